package correlate

import "github.com/hoptrace/hoptrace/ingest"

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
// Order IDs and keys share one namespace (a key equal to an order ID is that order: keys usually are the
// order ID); msgIds have their own. Nodes are symbols, so the join needs no string maps.

const noNode = int32(-1)

type joiner struct {
	n      int32   // symbols; msgId nodes are sym + n
	parent []int32 // union-find over 2n nodes
	order  []sym   // order ID held by a root (0 = none)
	isOrd  []bool  // the symbol is used as an order ID somewhere

	ambiguous []bool // per node: a key or msgId seen beside two different order IDs

	refused int // links refused because they would merge two orders
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
	if oa != 0 && ob != 0 && oa != ob {
		j.refused++
		return
	}
	if ra > rb { // keep the lower root: deterministic
		ra, rb = rb, ra
	}
	j.parent[rb] = ra
	if j.order[ra] == 0 {
		j.order[ra] = j.order[rb]
	}
}

// joined is the result of the join: for each event the case it belongs to (-1: none), and per case its size.
type joined struct {
	caseOf     []int32
	sizes      []int32 // events per case
	unattached int     // events with identifiers that could not be placed (ambiguous links only)
	refused    int
}

func join(s *store) joined {
	n := int32(s.syms.len())
	j := &joiner{n: n, parent: make([]int32, 2*n), order: make([]sym, 2*n), isOrd: make([]bool, n), ambiguous: make([]bool, 2*n)}
	hugePages(j.parent) // read at random, as the symbol table is
	hugePages(j.order)
	for i := range j.parent {
		j.parent[i] = int32(i)
	}
	// Which symbols are order IDs, and which keys / msgIds sit beside two different ones. Until the links are
	// made, j.order holds, for a key or msgId node, the first order ID seen beside it (it is reset below): the
	// join's arrays are the largest scratch memory of an audit, and this saves one.
	seenWith := j.order
	mark := func(node int32, order sym) {
		switch w := seenWith[node]; {
		case w == 0:
			seenWith[node] = order
		case w != order:
			j.ambiguous[node] = true
		}
	}
	for i := 0; i < s.len(); i++ {
		r := s.rec(i)
		if r.order == 0 {
			continue
		}
		j.isOrd[r.order] = true
		j.order[r.order] = r.order
		s.keySyms(i, func(k sym) {
			if k != r.order {
				mark(int32(k), r.order)
			}
		})
		if r.msg != 0 {
			mark(int32(r.msg)+n, r.order)
		}
	}
	for k := int32(1); k < n; k++ {
		if j.isOrd[k] {
			j.ambiguous[k] = false // an order ID is never ambiguous as itself
			j.order[k] = sym(k)
		} else {
			j.order[k] = 0
		}
	}
	clear(j.order[n:])

	for i := 0; i < s.len(); i++ {
		r := s.rec(i)
		if r.hop() == ingest.HopProgress {
			continue
		}
		first := noNode
		link := func(node int32) {
			if j.ambiguous[node] {
				return
			}
			if first == noNode {
				first = node
			} else {
				j.union(first, node)
			}
		}
		if r.order != 0 {
			link(int32(r.order))
		}
		if r.msg != 0 {
			link(int32(r.msg) + n)
		}
		s.keySyms(i, func(k sym) { link(int32(k)) })
	}

	// offsetMsgId -> the one msgId that carries it (0: none; noOwner: two or more).
	const noOwner = ^sym(0)
	offOwner := make([]sym, n)
	hugePages(offOwner)
	for i := 0; i < s.len(); i++ {
		r := s.rec(i)
		if r.offMsg == 0 || r.msg == 0 {
			continue
		}
		if o := offOwner[r.offMsg]; o == 0 {
			offOwner[r.offMsg] = r.msg
		} else if o != r.msg {
			offOwner[r.offMsg] = noOwner
		}
	}

	res := joined{caseOf: make([]int32, s.len()), refused: j.refused}
	// root node -> case index + 1 (0 = no case yet), in j.order's memory: the links are made.
	clear(j.order)
	rootCase := j.order
	for i := 0; i < s.len(); i++ {
		r := s.rec(i)
		res.caseOf[i] = noNode
		if r.hop() == ingest.HopProgress {
			continue
		}
		node := noNode
		switch {
		case r.order != 0:
			node = int32(r.order)
		case r.msg != 0 && !j.ambiguous[int32(r.msg)+n]:
			node = int32(r.msg) + n
		default:
			s.keySyms(i, func(k sym) {
				if node == noNode && !j.ambiguous[k] {
					node = int32(k)
				}
			})
			if node == noNode && r.offMsg != 0 {
				if owner := offOwner[r.offMsg]; owner != 0 && owner != noOwner {
					node = int32(owner) + n
				}
			}
		}
		if node == noNode {
			if r.order != 0 || r.msg != 0 || r.key != 0 || r.offMsg != 0 {
				res.unattached++
			}
			continue
		}
		root := j.find(node)
		c := int32(rootCase[root]) - 1
		if c < 0 {
			c = int32(len(res.sizes))
			rootCase[root] = sym(c + 1)
			res.sizes = append(res.sizes, 0)
		}
		res.caseOf[i] = c
		res.sizes[c]++
	}
	return res
}

// caseSet lists, per case, the indexes of its records in input order: case c's are idx[start[c]:start[c+1]].
// Two flat arrays, not a slice per case: a million cases would cost 24 MB of slice headers.
type caseSet struct {
	start []int32
	idx   []int32
}

func (cs caseSet) len() int { return max(len(cs.start)-1, 0) }

func (cs caseSet) at(c int) []int32 { return cs.idx[cs.start[c]:cs.start[c+1]:cs.start[c+1]] }

// caseRanges groups the records by case.
func caseRanges(j joined) caseSet {
	start := make([]int32, len(j.sizes)+1)
	for c, n := range j.sizes {
		start[c+1] = start[c] + n
	}
	idx := make([]int32, start[len(j.sizes)])
	next := append([]int32(nil), start[:len(j.sizes)]...)
	for i, c := range j.caseOf {
		if c >= 0 {
			idx[next[c]] = int32(i)
			next[c]++
		}
	}
	return caseSet{start: start, idx: idx}
}
