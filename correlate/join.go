package correlate

import (
	"github.com/hoptrace/hoptrace/ingest"
)

// The identity join. Evidence lines do not all carry the order ID: a consumer may log only the msgId, a trace
// carries msgId + keys, a broker lookup only an offsetMsgId. Every identifier an event carries becomes a node of
// a union-find; an event links its nodes. Three guards keep one bad identifier from gluing orders together:
//
//   - a set never holds two different order IDs: a link that would merge them is refused and counted;
//   - a key or msgId that appears beside two different order IDs is ambiguous and joins nothing;
//   - an offsetMsgId is never a link of its own: after a broker crash two different messages can share one (the
//     commit-log position was reused). An event that carries only an offsetMsgId joins the message that owns it
//     when exactly one does.
//
// A key equal to a known order ID is the same identity (keys are usually the order ID).

const noNode = int32(-1)

type joiner struct {
	parent []int32
	order  []string // order ID held by a root ("" = none)

	orders map[string]int32
	keys   map[string]int32
	msgs   map[string]int32

	ambiguousKeys map[string]bool
	ambiguousMsgs map[string]bool

	refused int // links refused because they would merge two orders
}

func newJoiner(n int) *joiner {
	return &joiner{
		parent:        make([]int32, 0, n),
		order:         make([]string, 0, n),
		orders:        make(map[string]int32, n/4),
		keys:          make(map[string]int32, n/4),
		msgs:          make(map[string]int32, n/4),
		ambiguousKeys: map[string]bool{},
		ambiguousMsgs: map[string]bool{},
	}
}

func (j *joiner) node(m map[string]int32, id, orderID string) int32 {
	if n, ok := m[id]; ok {
		return n
	}
	n := int32(len(j.parent))
	j.parent = append(j.parent, n)
	j.order = append(j.order, orderID)
	m[id] = n
	return n
}

func (j *joiner) find(n int32) int32 {
	for j.parent[n] != n {
		j.parent[n] = j.parent[j.parent[n]]
		n = j.parent[n]
	}
	return n
}

func (j *joiner) union(a, b int32) {
	ra, rb := j.find(a), j.find(b)
	if ra == rb {
		return
	}
	oa, ob := j.order[ra], j.order[rb]
	if oa != "" && ob != "" && oa != ob {
		j.refused++
		return
	}
	if ra > rb { // keep the lower (earlier) root: deterministic
		ra, rb = rb, ra
	}
	j.parent[rb] = ra
	if j.order[ra] == "" {
		j.order[ra] = j.order[rb]
	}
}

// markAmbiguous finds keys and msgIds seen beside two different order IDs.
func (j *joiner) markAmbiguous(events []ingest.Event) {
	keyOrder := map[string]string{}
	msgOrder := map[string]string{}
	for i := range events {
		e := &events[i]
		if e.OrderID == "" {
			continue
		}
		for _, k := range e.Keys {
			if k == e.OrderID {
				continue
			}
			if o, ok := keyOrder[k]; ok && o != e.OrderID {
				j.ambiguousKeys[k] = true
			} else {
				keyOrder[k] = e.OrderID
			}
		}
		if e.MsgID != "" {
			if o, ok := msgOrder[e.MsgID]; ok && o != e.OrderID {
				j.ambiguousMsgs[e.MsgID] = true
			} else {
				msgOrder[e.MsgID] = e.OrderID
			}
		}
	}
}

// joined is the result of the join: for each event the case it belongs to (-1: none), and per case its size.
type joined struct {
	caseOf     []int32
	sizes      []int32 // events per case
	unattached int     // events with identifiers that could not be placed (ambiguous links only)
	refused    int
}

func join(events []ingest.Event) joined {
	j := newJoiner(len(events))
	j.markAmbiguous(events)

	// Order IDs first, so a key equal to an order ID finds it.
	for i := range events {
		if id := events[i].OrderID; id != "" {
			j.node(j.orders, id, id)
		}
	}
	for i := range events {
		e := &events[i]
		if e.Hop == ingest.HopProgress {
			continue
		}
		first := noNode
		link := func(n int32) {
			if first == noNode {
				first = n
			} else {
				j.union(first, n)
			}
		}
		if e.OrderID != "" {
			link(j.orders[e.OrderID])
		}
		if e.MsgID != "" && !j.ambiguousMsgs[e.MsgID] {
			link(j.node(j.msgs, e.MsgID, ""))
		}
		for _, k := range e.Keys {
			if j.ambiguousKeys[k] {
				continue
			}
			if n, ok := j.orders[k]; ok {
				link(n)
				continue
			}
			link(j.node(j.keys, k, ""))
		}
	}

	// offsetMsgId -> the one msgId that carries it, or ambiguous.
	offOwner := map[string]string{}
	for i := range events {
		e := &events[i]
		if e.OffsetMsgID == "" || e.MsgID == "" {
			continue
		}
		if o, ok := offOwner[e.OffsetMsgID]; ok && o != e.MsgID {
			offOwner[e.OffsetMsgID] = ""
		} else if !ok {
			offOwner[e.OffsetMsgID] = e.MsgID
		}
	}

	res := joined{caseOf: make([]int32, len(events)), refused: j.refused}
	rootCase := map[int32]int32{}
	for i := range events {
		e := &events[i]
		res.caseOf[i] = noNode
		if e.Hop == ingest.HopProgress {
			continue
		}
		n := noNode
		switch {
		case e.OrderID != "":
			n = j.orders[e.OrderID]
		case e.MsgID != "" && !j.ambiguousMsgs[e.MsgID]:
			n = j.msgs[e.MsgID]
		default:
			for _, k := range e.Keys {
				if j.ambiguousKeys[k] {
					continue
				}
				if m, ok := j.orders[k]; ok {
					n = m
				} else {
					n = j.keys[k]
				}
				break
			}
			if n == noNode && e.OffsetMsgID != "" {
				if owner := offOwner[e.OffsetMsgID]; owner != "" {
					n = j.msgs[owner]
				}
			}
		}
		if n == noNode {
			if e.OrderID != "" || e.MsgID != "" || len(e.Keys) > 0 || e.OffsetMsgID != "" {
				res.unattached++
			}
			continue
		}
		r := j.find(n)
		c, ok := rootCase[r]
		if !ok {
			c = int32(len(res.sizes))
			rootCase[r] = c
			res.sizes = append(res.sizes, 0)
		}
		res.caseOf[i] = c
		res.sizes[c]++
	}
	return res
}

// groupByCase reorders events in place so that each case's events are contiguous, in input order, with events
// that belong to no case at the end, and returns each case's sub-slice. Moving the events once in place keeps
// peak memory at one copy of the day.
func groupByCase(events []ingest.Event, j joined) [][]ingest.Event {
	start := make([]int, len(j.sizes)+1)
	for c, n := range j.sizes {
		start[c+1] = start[c] + int(n)
	}
	next := append([]int(nil), start[:len(j.sizes)]...)
	tail := start[len(j.sizes)]
	pos := make([]int32, len(events))
	for i, c := range j.caseOf {
		if c < 0 {
			pos[i] = int32(tail)
			tail++
			continue
		}
		pos[i] = int32(next[c])
		next[c]++
	}
	for i := range events {
		for int(pos[i]) != i {
			k := pos[i]
			events[i], events[k] = events[k], events[i]
			pos[i], pos[k] = pos[k], pos[i]
		}
	}
	out := make([][]ingest.Event, len(j.sizes))
	for c := range out {
		out[c] = events[start[c]:start[c+1]:start[c+1]]
	}
	return out
}
