package trace

import (
	"hash/maphash"

	"github.com/hoptrace/hoptrace/ingest"
)

// DefaultPairWindow bounds a Pairer's memory: a SubBefore is remembered while fewer than DefaultPairWindow newer
// SubBefores have arrived, and a SubAfter waits for its SubBefore while fewer than DefaultPairWindow newer
// SubAfters are waiting (then it is released as it is).
const DefaultPairWindow = 1 << 17

// Pairer completes SubAfter records from their SubBefore. A 7-field SubAfter (Java before 4.9.2, or the CLOUD
// access channel) has no timestamp and no group; a SubAfter may also lack the keys. Both clients give a SubBefore
// and its SubAfter the same requestId and msgId (one requestId per consume call, shared by the messages of a
// batch), so the Pairer joins them on (requestId, msgId) and copies the missing time, group and keys.
//
// Records may arrive in either order: a SubAfter that lacks its time or group waits (at most DefaultPairWindow
// of them) until its SubBefore arrives or Flush is called. Every other record is ready at once. Take ready records
// with Next, in the order they became ready.
type Pairer struct {
	window int

	befores map[pairKey]before // unpaired SubBefore facts (but the newest, see last)
	bring   []ringEntry        // insertion order of befores, for eviction
	// last is the newest unpaired SubBefore, kept out of befores: a SubAfter usually comes right after its
	// SubBefore, and then the pair is made without touching the map.
	last      pairKey
	lastB     before
	lastValid bool
	// inMap has a bit set for every key that may be in befores (a bit is never cleared while the map holds
	// anything): most keys are not there, and a clear bit saves hashing two strings into the map.
	inMap [1 << 10]uint64
	seed  maphash.Seed
	bhead int
	seq   uint64

	waiting map[pairKey][]pending // SubAfters waiting for their SubBefore
	wring   []pairKey             // arrival order of waiting keys
	whead   int
	nwait   int

	ready []pending
	rhead int
}

type pairKey struct{ req, msg string }

type ringEntry struct {
	k   pairKey
	seq uint64
}

type before struct {
	timeMs int64
	group  string
	keys   []string
	seq    uint64
}

type pending struct {
	r   Record
	ref ingest.Ref
}

// NewPairer returns an empty Pairer with the default window.
func NewPairer() *Pairer { return newPairer(DefaultPairWindow) }

func newPairer(window int) *Pairer {
	if window < 1 {
		window = 1
	}
	return &Pairer{window: window, befores: make(map[pairKey]before), waiting: make(map[pairKey][]pending), seed: maphash.MakeSeed()}
}

// Add adds a record with no source position; see AddRef.
func (p *Pairer) Add(r Record) { p.AddRef(r, ingest.Ref{}) }

// AddRef adds a record and where it came from. The record becomes ready now, or, for a SubAfter lacking its time
// or group whose SubBefore has not been seen, when the SubBefore arrives or at Flush.
func (p *Pairer) AddRef(r Record, ref ingest.Ref) {
	switch {
	case r.Type == TypeSubBefore && r.RequestID != "":
		k := pairKey{r.RequestID, r.MsgID}
		p.push(r, ref)
		if p.nwait == 0 {
			p.remember(k, before{timeMs: r.TimeMs, group: r.Group, keys: r.Keys})
			return
		}
		if ws, ok := p.waiting[k]; ok {
			delete(p.waiting, k)
			p.nwait -= len(ws)
			for _, w := range ws {
				fill(&w.r, r.TimeMs, r.Group, r.Keys)
				p.push(w.r, w.ref)
			}
			return
		}
		p.remember(k, before{timeMs: r.TimeMs, group: r.Group, keys: r.Keys})
	case r.Type == TypeSubAfter && r.RequestID != "":
		k := pairKey{r.RequestID, r.MsgID}
		if p.lastValid && p.last == k {
			p.lastValid = false
			fill(&r, p.lastB.timeMs, p.lastB.group, p.lastB.keys)
			p.lastB = before{}
			p.push(r, ref)
			return
		}
		if !p.mayHave(k) {
			// not in the map: fall through
		} else if b, ok := p.befores[k]; ok {
			p.forget(k)
			fill(&r, b.timeMs, b.group, b.keys)
			p.push(r, ref)
			return
		}
		if r.TimeMs != 0 && r.Group != "" {
			p.push(r, ref)
			return
		}
		p.wait(k, pending{r, ref})
	default:
		p.push(r, ref)
	}
}

// Next returns the next ready record and its Ref, or false when none is ready.
func (p *Pairer) Next() (Record, ingest.Ref, bool) {
	e := p.next()
	if e == nil {
		return Record{}, ingest.Ref{}, false
	}
	r, ref := e.r, e.ref
	*e = pending{} // drop its strings
	return r, ref, true
}

// next is Next without copying the record out: the pointer is valid until the Pairer is next changed.
func (p *Pairer) next() *pending {
	if p.rhead >= len(p.ready) {
		p.ready, p.rhead = p.ready[:0], 0
		return nil
	}
	e := &p.ready[p.rhead]
	p.rhead++
	return e
}

// Flush makes every waiting SubAfter ready as it is (its SubBefore never came), in arrival order. Call it at the
// end of the input, then drain Next.
func (p *Pairer) Flush() {
	for p.whead < len(p.wring) {
		p.releaseOldest()
	}
	p.wring, p.whead = p.wring[:0], 0
}

// Waiting reports how many SubAfter records wait for their SubBefore.
func (p *Pairer) Waiting() int { return p.nwait }

func (p *Pairer) push(r Record, ref ingest.Ref) { p.ready = append(p.ready, pending{r, ref}) }

func fill(r *Record, timeMs int64, group string, keys []string) {
	if r.TimeMs == 0 {
		r.TimeMs = timeMs
	}
	if r.Group == "" {
		r.Group = group
	}
	if len(r.Keys) == 0 {
		r.Keys = keys
	}
}

// bit is k's bit in inMap.
func (p *Pairer) bit(k pairKey) uint32 {
	return uint32(maphash.String(p.seed, k.req)^maphash.String(p.seed, k.msg)*31) % (64 * uint32(len(p.inMap)))
}

func (p *Pairer) mayHave(k pairKey) bool {
	if len(p.befores) == 0 {
		return false
	}
	b := p.bit(k)
	return p.inMap[b/64]&(1<<(b%64)) != 0
}

// forget deletes k from the map; an empty map clears inMap.
func (p *Pairer) forget(k pairKey) {
	delete(p.befores, k)
	if len(p.befores) == 0 {
		p.inMap = [len(p.inMap)]uint64{}
	}
}

// remember keeps a SubBefore's facts for the next window SubBefores.
func (p *Pairer) remember(k pairKey, b before) {
	p.seq++
	b.seq = p.seq
	// b becomes last; the previous last moves into the map, and an older entry of the same key leaves it (b
	// replaces it, as a map write would).
	if p.lastValid && p.last != k {
		p.befores[p.last] = p.lastB
		p.inMap[p.bit(p.last)/64] |= 1 << (p.bit(p.last) % 64)
	}
	if p.mayHave(k) {
		p.forget(k)
	}
	p.last, p.lastB, p.lastValid = k, b, true
	p.bring = append(p.bring, ringEntry{k, b.seq})
	for len(p.bring)-p.bhead > p.window {
		e := p.bring[p.bhead]
		p.bring[p.bhead] = ringEntry{}
		p.bhead++
		if p.lastValid && p.last == e.k && p.lastB.seq == e.seq {
			p.lastValid, p.lastB = false, before{}
		} else if !p.mayHave(e.k) {
			// not in the map
		} else if ob, ok := p.befores[e.k]; ok && ob.seq == e.seq {
			p.forget(e.k)
		}
	}
	if p.bhead >= p.window {
		p.bring = append(p.bring[:0], p.bring[p.bhead:]...)
		p.bhead = 0
	}
}

// wait holds a SubAfter until its SubBefore comes; at most window keys wait, the oldest is released first.
func (p *Pairer) wait(k pairKey, w pending) {
	if _, ok := p.waiting[k]; !ok {
		p.wring = append(p.wring, k)
	}
	p.waiting[k] = append(p.waiting[k], w)
	p.nwait++
	for len(p.wring)-p.whead > p.window {
		p.releaseOldest()
	}
	if p.whead >= p.window {
		p.wring = append(p.wring[:0], p.wring[p.whead:]...)
		p.whead = 0
	}
}

// releaseOldest pops the oldest waiting key and makes its SubAfters ready as they are (if it is still waiting).
func (p *Pairer) releaseOldest() {
	k := p.wring[p.whead]
	p.wring[p.whead] = pairKey{}
	p.whead++
	ws, ok := p.waiting[k]
	if !ok {
		return // already paired
	}
	delete(p.waiting, k)
	p.nwait -= len(ws)
	for _, w := range ws {
		p.push(w.r, w.ref)
	}
}
