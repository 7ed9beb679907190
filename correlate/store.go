package correlate

import (
	"hash/maphash"
	"unsafe"

	"github.com/hoptrace/hoptrace/ingest"
)

// The store keeps a window's events compactly while they stream in: every string becomes a 4-byte symbol, an
// event about 100 bytes instead of an ingest.Event's 300, and identifiers are kept once however many lines
// repeat them. Cases are materialized back into ingest.Events one at a time, when they are classified.

type sym uint32 // 0 is the empty string

// symtab numbers strings. It keeps their bytes in append-only chunks and finds them through an open-addressing
// table of symbols: no per-string allocation and no pointers for the garbage collector to trace, which matters
// with millions of order IDs and msgIds.
type symtab struct {
	chunks [][]byte // string bytes; a chunk is never reallocated, so strings made from it stay valid
	loc    []uint64 // per symbol: chunk index << 40 | offset << 20 | length
	table  []uint32 // slot -> symbol (0 = empty); len is a power of two, at most half full
	seed   maphash.Seed
}

const (
	symChunk  = 1 << 20 // bytes per chunk
	symMaxLen = 1<<20 - 1
)

func newSymtab(n int) *symtab {
	size := 1024
	for size < 2*n {
		size <<= 1
	}
	return &symtab{loc: make([]uint64, 1, n+1), table: make([]uint32, size), seed: maphash.MakeSeed()}
}

// len is the number of symbols, counting the empty string's 0.
func (t *symtab) len() int { return len(t.loc) }

func (t *symtab) str(x sym) string {
	l := t.loc[x]
	c, off, n := l>>40, (l>>20)&(1<<20-1), l&(1<<20-1)
	if n == 0 {
		return ""
	}
	return unsafe.String(&t.chunks[c][off], int(n))
}

// lookup finds the symbol of s without adding it.
func (t *symtab) lookup(s string) (sym, bool) {
	if s == "" {
		return 0, true
	}
	mask := uint64(len(t.table) - 1)
	for i := maphash.String(t.seed, s) & mask; ; i = (i + 1) & mask {
		x := t.table[i]
		if x == 0 {
			return 0, false
		}
		if t.str(sym(x)) == s {
			return sym(x), true
		}
	}
}

func (t *symtab) id(s string) sym {
	if s == "" {
		return 0
	}
	if len(s) > symMaxLen {
		s = s[:symMaxLen] // an identifier of a megabyte is garbage; keep it bounded
	}
	mask := uint64(len(t.table) - 1)
	i := maphash.String(t.seed, s) & mask
	for ; ; i = (i + 1) & mask {
		x := t.table[i]
		if x == 0 {
			break
		}
		if t.str(sym(x)) == s {
			return sym(x)
		}
	}
	x := sym(len(t.loc))
	t.loc = append(t.loc, t.store(s))
	t.table[i] = uint32(x)
	if 2*len(t.loc) > len(t.table) {
		t.grow()
	}
	return x
}

// store copies s into the chunks and returns its location.
func (t *symtab) store(s string) uint64 {
	c := len(t.chunks) - 1
	if c < 0 || len(t.chunks[c])+len(s) > cap(t.chunks[c]) {
		t.chunks = append(t.chunks, make([]byte, 0, max(symChunk, len(s))))
		c++
	}
	off := len(t.chunks[c])
	t.chunks[c] = append(t.chunks[c], s...)
	return uint64(c)<<40 | uint64(off)<<20 | uint64(len(s))
}

func (t *symtab) grow() {
	table := make([]uint32, 2*len(t.table))
	mask := uint64(len(table) - 1)
	for x := 1; x < len(t.loc); x++ {
		i := maphash.String(t.seed, t.str(sym(x))) & mask
		for table[i] != 0 {
			i = (i + 1) & mask
		}
		table[i] = uint32(x)
	}
	t.table = table
}

// rec is one event, packed: the low-cardinality strings of an event (broker, topic, group, host, result,
// error, rule, file) form a context tuple shared by many events; the per-order payload of a paid or granted event
// (red-packet ID, user, amount) sits in a side table. About 60 bytes an event.
type rec struct {
	time    int64
	qoff    int64
	refOff  int64
	refLine uint32
	qid     int16
	retry   int16
	hop     uint8
	status  uint8
	origin  uint8
	nkeys   uint8 // keys beyond the first live in store.moreKeys
	order   sym
	msg     sym
	offMsg  sym
	key     sym
	ctx     uint32 // index into store.ctxs
	detail  uint32 // index into store.details (0 = none)
}

type evContext struct {
	broker, topic, group, host, result, err, rule, path string
}

type detail struct {
	grant, user, amount string
}

type store struct {
	cache    [256]ctxEntry // recently seen contexts: most events repeat one of a few
	syms     *symtab
	chunks   [][]rec // records in chunks of chunkSize: growing never copies them
	moreKeys map[int32][]sym
	ctxs     []evContext
	ctxIndex map[evContext]uint32
	details  []detail
}

func newStore(hint int) *store {
	return &store{syms: newSymtab(hint), moreKeys: map[int32][]sym{},
		ctxIndex: map[evContext]uint32{}, details: make([]detail, 1)}
}

type ctxEntry struct {
	cx  evContext
	idx uint32
	ok  bool
}

// ctxOf returns the index of an event's context, adding it when new. A small cache keyed by the strings'
// lengths answers most lookups with eight string comparisons (cheap: the sources intern these strings, so
// equal ones share their bytes) instead of hashing eight strings.
func (s *store) ctxOf(e *ingest.Event) uint32 {
	h := (len(e.Rule)*31 + len(e.Ref.Path)*17 + len(e.Host)*7 + len(e.Result)*5 + len(e.Group)*3 + len(e.Error) + len(e.Broker)*11 + len(e.Topic)*13) & 255
	c := &s.cache[h]
	if c.ok && c.cx.rule == e.Rule && c.cx.path == e.Ref.Path && c.cx.host == e.Host && c.cx.result == e.Result &&
		c.cx.group == e.Group && c.cx.err == e.Error && c.cx.broker == e.Broker && c.cx.topic == e.Topic {
		return c.idx
	}
	cx := evContext{e.Broker, e.Topic, e.Group, e.Host, e.Result, e.Error, e.Rule, e.Ref.Path}
	ci, ok := s.ctxIndex[cx]
	if !ok {
		ci = uint32(len(s.ctxs))
		s.ctxs = append(s.ctxs, cx)
		s.ctxIndex[cx] = ci
	}
	*c = ctxEntry{cx, ci, true}
	return ci
}

func (s *store) add(e *ingest.Event) {
	t := s.syms
	ci := s.ctxOf(e)
	r := rec{
		time: e.Time, qoff: e.QueueOffset, refOff: e.Ref.Offset, refLine: uint32(min(max(e.Ref.Line, 0), 1<<32-1)),
		qid: int16(max(min(e.QueueID, 1<<15-1), -1)), retry: int16(max(min(e.Retry, 1<<15-1), -1)),
		hop: uint8(e.Hop), status: uint8(e.Status), origin: uint8(e.Origin),
		order: t.id(e.OrderID), msg: t.id(e.MsgID), offMsg: t.id(e.OffsetMsgID), ctx: ci,
	}
	if e.GrantID != "" || e.UserID != "" || e.Amount != "" {
		r.detail = uint32(len(s.details))
		s.details = append(s.details, detail{e.GrantID, e.UserID, e.Amount})
	}
	if len(e.Keys) > 0 {
		r.key = t.id(e.Keys[0])
		if len(e.Keys) > 1 {
			more := make([]sym, 0, len(e.Keys)-1)
			for _, k := range e.Keys[1:] {
				more = append(more, t.id(k))
			}
			r.nkeys = uint8(min(len(more), 255))
			s.moreKeys[int32(s.len())] = more
		}
	}
	s.push(r)
}

const chunkBits = 16
const chunkSize = 1 << chunkBits

func (s *store) push(r rec) {
	if n := len(s.chunks); n == 0 || len(s.chunks[n-1]) == chunkSize {
		s.chunks = append(s.chunks, make([]rec, 0, chunkSize))
	}
	last := &s.chunks[len(s.chunks)-1]
	*last = append(*last, r)
}

// len is the number of records.
func (s *store) len() int {
	if len(s.chunks) == 0 {
		return 0
	}
	return (len(s.chunks)-1)*chunkSize + len(s.chunks[len(s.chunks)-1])
}

// rec returns record i.
func (s *store) rec(i int) *rec { return &s.chunks[i>>chunkBits][i&(chunkSize-1)] }

// filter keeps the records keep accepts, in order, renumbering them (and their extra keys).
func (s *store) filter(keep func(*rec) bool) {
	old, oldMore, n := s.chunks, s.moreKeys, s.len()
	s.chunks, s.moreKeys = nil, map[int32][]sym{}
	for i := 0; i < n; i++ {
		r := &old[i>>chunkBits][i&(chunkSize-1)]
		if !keep(r) {
			continue
		}
		if k, ok := oldMore[int32(i)]; ok {
			s.moreKeys[int32(s.len())] = k
		}
		s.push(*r)
	}
}

// ctx returns record i's context strings.
func (s *store) ctx(i int) *evContext { return &s.ctxs[s.rec(i).ctx] }

// event materializes record i.
func (s *store) event(i int) ingest.Event {
	r := s.rec(i)
	t := s.syms
	cx := &s.ctxs[r.ctx]
	d := &s.details[r.detail]
	e := ingest.Event{
		Time: r.time, Hop: ingest.Hop(r.hop), Status: ingest.Status(r.status), Origin: ingest.Origin(r.origin),
		OrderID: t.str(r.order), MsgID: t.str(r.msg), OffsetMsgID: t.str(r.offMsg),
		Broker: cx.broker, Topic: cx.topic, QueueID: int32(r.qid), QueueOffset: r.qoff,
		Group: cx.group, Host: cx.host, Result: cx.result, Error: cx.err,
		Retry: int32(r.retry), GrantID: d.grant, UserID: d.user, Amount: d.amount,
		Rule: cx.rule, Ref: ingest.Ref{Path: cx.path, Line: int64(r.refLine), Offset: r.refOff},
	}
	if r.key != 0 {
		e.Keys = s.keys(i)
	}
	return e
}

// keys returns record i's keys as strings.
func (s *store) keys(i int) []string {
	r := s.rec(i)
	if r.key == 0 {
		return nil
	}
	out := []string{s.syms.str(r.key)}
	for _, k := range s.moreKeys[int32(i)] {
		out = append(out, s.syms.str(k))
	}
	return out
}

// keySyms calls f for each key symbol of record i.
func (s *store) keySyms(i int, f func(sym)) {
	r := s.rec(i)
	if r.key == 0 {
		return
	}
	f(r.key)
	if r.nkeys > 0 {
		for _, k := range s.moreKeys[int32(i)] {
			f(k)
		}
	}
}
