package trace

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoptrace/hoptrace/ingest"
)

// refPairer is the Pairer's plain definition, kept as a model: every unpaired SubBefore in one map, evicted
// after window newer ones. The Pairer keeps its newest SubBefore out of the map and skips map lookups it can
// prove useless; TestPairerMatchesModel checks that nothing else changes.
type refPairer struct {
	window  int
	befores map[pairKey]before
	bring   []ringEntry
	seq     uint64
	waiting map[pairKey][]pending
	wring   []pairKey
	ready   []pending
}

func (p *refPairer) add(r Record, ref ingest.Ref) {
	switch {
	case r.Type == TypeSubBefore && r.RequestID != "":
		k := pairKey{r.RequestID, r.MsgID}
		p.ready = append(p.ready, pending{r, ref})
		if ws, ok := p.waiting[k]; ok {
			delete(p.waiting, k)
			for _, w := range ws {
				fill(&w.r, r.TimeMs, r.Group, r.Keys)
				p.ready = append(p.ready, w)
			}
			return
		}
		p.seq++
		p.befores[k] = before{timeMs: r.TimeMs, group: r.Group, keys: r.Keys, seq: p.seq}
		p.bring = append(p.bring, ringEntry{k, p.seq})
		for len(p.bring) > p.window {
			e := p.bring[0]
			p.bring = p.bring[1:]
			if ob, ok := p.befores[e.k]; ok && ob.seq == e.seq {
				delete(p.befores, e.k)
			}
		}
	case r.Type == TypeSubAfter && r.RequestID != "":
		k := pairKey{r.RequestID, r.MsgID}
		if b, ok := p.befores[k]; ok {
			delete(p.befores, k)
			fill(&r, b.timeMs, b.group, b.keys)
			p.ready = append(p.ready, pending{r, ref})
			return
		}
		if r.TimeMs != 0 && r.Group != "" {
			p.ready = append(p.ready, pending{r, ref})
			return
		}
		if _, ok := p.waiting[k]; !ok {
			p.wring = append(p.wring, k)
		}
		p.waiting[k] = append(p.waiting[k], pending{r, ref})
		for len(p.wring) > p.window {
			p.release()
		}
	default:
		p.ready = append(p.ready, pending{r, ref})
	}
}

func (p *refPairer) release() {
	k := p.wring[0]
	p.wring = p.wring[1:]
	if ws, ok := p.waiting[k]; ok {
		delete(p.waiting, k)
		p.ready = append(p.ready, ws...)
	}
}

func TestPairerMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 2000; iter++ {
		window := 1 + rng.IntN(6)
		p := newPairer(window)
		m := &refPairer{window: window, befores: map[pairKey]before{}, waiting: map[pairKey][]pending{}}
		var got []pending
		for i := 0; i < 150; i++ {
			r := Record{RequestID: fmt.Sprint("req", rng.IntN(3)), MsgID: fmt.Sprint("M", rng.IntN(3))}
			switch rng.IntN(5) {
			case 0, 1:
				r.Type, r.TimeMs, r.Group, r.Keys = TypeSubBefore, int64(i), fmt.Sprint("g", i), []string{fmt.Sprint("k", i)}
			case 2:
				r.Type = TypeSubAfter // lacks time and group: it is completed or waits
			case 3:
				r.Type, r.TimeMs, r.Group = TypeSubAfter, int64(1000+i), "g"
			default:
				r.Type = TypePub
			}
			ref := ingest.Ref{Line: int64(i + 1)}
			p.AddRef(r, ref)
			m.add(r, ref)
			for e := p.next(); e != nil; e = p.next() {
				got = append(got, *e)
			}
		}
		p.Flush()
		for e := p.next(); e != nil; e = p.next() {
			got = append(got, *e)
		}
		for len(m.wring) > 0 {
			m.release()
		}
		if diff := cmp.Diff(m.ready, got, cmp.AllowUnexported(pending{})); diff != "" {
			t.Fatalf("iteration %d (window %d): the Pairer differs from the model (-model +pairer):\n%s", iter, window, diff)
		}
	}
}
