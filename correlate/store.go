package correlate

import (
	"encoding/binary"
	"hash/maphash"
	"unsafe"

	"github.com/hoptrace/hoptrace/ingest"
)

// The store keeps a window's events compactly while they stream in: every string becomes a 4-byte symbol, an
// event about 100 bytes instead of an ingest.Event's 300, and identifiers are kept once however many lines
// repeat them. Cases are materialized back into ingest.Events one at a time, when they are classified.

type sym uint32 // 0 is the empty string

// symtab numbers strings. It keeps their bytes in append-only chunks and finds them through an open-addressing
// table: no per-string allocation and no pointers for the garbage collector to trace, which matters with
// millions of order IDs and msgIds.
//
// Interning is on the single path every event takes, and with millions of identifiers the table is far larger
// than the CPU's caches: a lookup is mostly waiting for memory. So a table slot holds where the string sits in
// the arena (plus its length and a few bits of its hash), and the arena keeps each string's symbol right before
// its bytes: a lookup reads the slot, then one place in the arena, and nothing else.
type symtab struct {
	arena
	loc   []uint64 // per symbol: its place in the arena (see arena.get)
	table []uint64 // slots (0 = empty): tag << 52 | length << 40 | chunk << 20 | offset of the symbol's record
	seed  maphash.Seed
	// touched sums the slots addAll touched ahead of time: using the loads keeps them from being optimized away.
	touched uint64
}

// arena keeps strings in append-only chunks of bytes: no pointers for the garbage collector, no allocation per
// string, and a chunk is never reallocated, so strings made from it stay valid.
type arena struct {
	chunks [][]byte
}

// room makes sure the last chunk can take n more bytes and returns its index.
func (a *arena) room(n int) int {
	c := len(a.chunks) - 1
	if c < 0 || len(a.chunks[c])+n > cap(a.chunks[c]) {
		a.chunks = append(a.chunks, make([]byte, 0, max(symChunk, n)))
		c++
	}
	return c
}

// put copies s into the arena and returns its location: chunk index << 40 | offset << 20 | length.
func (a *arena) put(s string) uint64 {
	c := a.room(len(s))
	off := len(a.chunks[c])
	a.chunks[c] = append(a.chunks[c], s...)
	return uint64(c)<<40 | uint64(off)<<20 | uint64(len(s))
}

// get returns the string at loc.
func (a *arena) get(loc uint64) string {
	c, off, n := loc>>40, (loc>>20)&(1<<20-1), loc&(1<<20-1)
	if n == 0 {
		return ""
	}
	return unsafe.String(&a.chunks[c][off], int(n))
}

const (
	symChunk  = 1 << 20 // bytes per chunk
	symMaxLen = 1<<12 - 1
)

func newSymtab(n int) *symtab {
	size := 1024
	for size < 2*n {
		size <<= 1
	}
	t := &symtab{loc: make([]uint64, 1, n+1), table: make([]uint64, size), seed: maphash.MakeSeed()}
	hugePages(t.table)
	return t
}

// len is the number of symbols, counting the empty string's 0.
func (t *symtab) len() int { return len(t.loc) }

func (t *symtab) str(x sym) string { return t.get(t.loc[x]) }

// slotTag is the part of a hash a slot keeps.
func slotTag(h uint64) uint64 { return h >> 52 << 52 }

// probe finds s (hash h) in the table: its symbol, or the empty slot where it belongs.
func (t *symtab) probe(s string, h uint64) (x sym, slot uint64, found bool) {
	mask := uint64(len(t.table) - 1)
	want := slotTag(h) | uint64(len(s))<<40
	for i := h & mask; ; i = (i + 1) & mask {
		e := t.table[i]
		if e == 0 {
			return 0, i, false
		}
		if e&^(1<<40-1) != want {
			continue
		}
		c, off := (e>>20)&(1<<20-1), e&(1<<20-1)
		b := t.chunks[c][off : off+4+uint64(len(s))]
		if string(b[4:]) == s {
			return sym(binary.LittleEndian.Uint32(b)), i, true
		}
	}
}

// lookup finds the symbol of s without adding it.
func (t *symtab) lookup(s string) (sym, bool) {
	if s == "" {
		return 0, true
	}
	if t.table == nil || len(s) > symMaxLen {
		return 0, false // the table is dropped after the verdicts (see correlate)
	}
	x, _, found := t.probe(s, maphash.String(t.seed, s))
	return x, found
}

func (t *symtab) id(s string) sym {
	if s == "" {
		return 0
	}
	if len(s) > symMaxLen {
		s = s[:symMaxLen] // an identifier of kilobytes is garbage; keep it bounded
	}
	return t.idHashed(s, maphash.String(t.seed, s))
}

// hash is the table's hash of an identifier as id sees it.
func (t *symtab) hash(s string) uint64 {
	if len(s) > symMaxLen {
		s = s[:symMaxLen]
	}
	return maphash.String(t.seed, s)
}

// idHashed is id for a non-empty s of at most symMaxLen bytes whose hash is h.
func (t *symtab) idHashed(s string, h uint64) sym {
	x, slot, found := t.probe(s, h)
	if found {
		return x
	}
	x = sym(len(t.loc))
	c := t.room(4 + len(s))
	off := len(t.chunks[c])
	t.chunks[c] = binary.LittleEndian.AppendUint32(t.chunks[c], uint32(x))
	t.chunks[c] = append(t.chunks[c], s...)
	t.loc = append(t.loc, uint64(c)<<40|uint64(off+4)<<20|uint64(len(s)))
	t.table[slot] = slotTag(h) | uint64(len(s))<<40 | uint64(c)<<20 | uint64(off)
	if 2*len(t.loc) > len(t.table) {
		t.grow()
	}
	return x
}

func (t *symtab) grow() {
	table := make([]uint64, 2*len(t.table))
	mask := uint64(len(table) - 1)
	for x := 1; x < len(t.loc); x++ {
		l := t.loc[x]
		s := t.get(l)
		h := maphash.String(t.seed, s)
		i := h & mask
		for table[i] != 0 {
			i = (i + 1) & mask
		}
		table[i] = slotTag(h) | uint64(len(s))<<40 | (l>>40)<<20 | ((l>>20)&(1<<20-1) - 4)
	}
	t.table = table
	hugePages(t.table)
}

// rec is one event, packed: the low-cardinality strings of an event (broker, topic, group, host, result,
// error, rule, file) form a context tuple shared by many events; the per-order payload of a paid or granted event
// (red-packet ID, user, amount) sits in a side arena. 56 bytes an event.
type rec struct {
	time    int64
	qoff    int64
	refLo   uint32 // low 32 bits of the line's byte offset (see offset)
	refLine uint32
	order   sym
	msg     sym
	offMsg  sym
	key     sym
	ctx     uint32 // index into store.ctxs
	detail  uint32 // index into store.details (0 = none)
	qid     int16
	retry   int16
	hs      uint8 // hop | status << 4
	origin  uint8
	nkeys   uint8 // keys beyond the first live in store.moreKeys
	refHi   uint8 // bits 32-39 of the offset: a file may hold 1 TiB of (decompressed) text
}

func (r *rec) hop() ingest.Hop       { return ingest.Hop(r.hs & 15) }
func (r *rec) status() ingest.Status { return ingest.Status(r.hs >> 4) }
func (r *rec) offset() int64         { return int64(r.refHi)<<32 | int64(r.refLo) }

type evContext struct {
	broker, topic, group, host, result, err, rule, path string
}

type store struct {
	cache    [256]ctxEntry // recently seen contexts: most events repeat one of a few
	syms     *symtab
	chunks   [][]rec // records in chunks of chunkSize: growing never copies them
	moreKeys map[int32][]sym
	ctxs     []evContext
	ctxIndex map[evContext]uint32
	details  []uint64 // per detail: where its red-packet ID, user and amount sit in blobs (see putDetail)
	blobs    arena
	scratch  []byte
}

func newStore(hint int) *store {
	return &store{syms: newSymtab(hint), moreKeys: map[int32][]sym{},
		ctxIndex: map[evContext]uint32{}, details: make([]uint64, 1)}
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

// addGroup is how many events addAll looks ahead for.
const addGroup = 32

// addAll adds a batch of events. The symbol table is far larger than the CPU's caches, so a lookup is mostly a
// wait for its slot to come from memory; addAll first hashes a group of events' identifiers and touches their
// slots with independent loads (the waits overlap), then adds the events, whose lookups now hit the cache.
func (s *store) addAll(evs []ingest.Event) {
	t := s.syms
	var hs [addGroup][3]uint64
	for lo := 0; lo < len(evs); lo += addGroup {
		group := evs[lo:min(lo+addGroup, len(evs))]
		var touch uint64
		mask := uint64(len(t.table) - 1)
		for i := range group {
			e := &group[i]
			for k, id := range [3]string{e.OrderID, e.MsgID, e.OffsetMsgID} {
				if id != "" {
					hs[i][k] = t.hash(id)
					touch += t.table[hs[i][k]&mask]
				}
			}
		}
		t.touched += touch
		for i := range group {
			s.addHashed(&group[i], &hs[i])
		}
	}
}

func (s *store) add(e *ingest.Event) {
	var h [3]uint64
	for k, id := range [3]string{e.OrderID, e.MsgID, e.OffsetMsgID} {
		if id != "" {
			h[k] = s.syms.hash(id)
		}
	}
	s.addHashed(e, &h)
}

// addHashed adds e, whose order ID, msgId and offsetMsgId hash to h (0 for an empty one).
func (s *store) addHashed(e *ingest.Event, h *[3]uint64) {
	t := s.syms
	ci := s.ctxOf(e)
	r := rec{
		time: e.Time, qoff: e.QueueOffset, refLine: uint32(min(max(e.Ref.Line, 0), 1<<32-1)),
		refLo: uint32(e.Ref.Offset), refHi: uint8(min(max(e.Ref.Offset, 0), 1<<40-1) >> 32),
		qid: int16(max(min(e.QueueID, 1<<15-1), -1)), retry: int16(max(min(e.Retry, 1<<15-1), -1)),
		hs: uint8(e.Hop&15) | uint8(e.Status&15)<<4, origin: uint8(e.Origin), ctx: ci,
	}
	for k, id := range [3]string{e.OrderID, e.MsgID, e.OffsetMsgID} {
		if id == "" {
			continue
		}
		x := t.idHashed(id[:min(len(id), symMaxLen)], h[k])
		switch k {
		case 0:
			r.order = x
		case 1:
			r.msg = x
		default:
			r.offMsg = x
		}
	}
	if e.GrantID != "" || e.UserID != "" || e.Amount != "" {
		r.detail = s.putDetail(e.GrantID, e.UserID, e.Amount)
	}
	if len(e.Keys) > 0 {
		if e.Keys[0] == e.OrderID {
			r.key = r.order // the usual case: the key is the order ID
		} else {
			r.key = t.id(e.Keys[0])
		}
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

// putDetail keeps a grant's or payment's payload as one blob of three length-prefixed strings and returns its
// index in details. The strings are copied: the event's own may live in a batch its source reuses.
func (s *store) putDetail(grant, user, amount string) uint32 {
	b := s.scratch[:0]
	for _, v := range [3]string{grant, user, amount} {
		v = v[:min(len(v), 1<<16)] // a payload field of more than 64 KiB is garbage; keep it bounded
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	s.scratch = b
	s.details = append(s.details, s.blobs.put(unsafe.String(unsafe.SliceData(b), len(b))))
	return uint32(len(s.details) - 1)
}

// detail returns a detail's red-packet ID, user and amount.
func (s *store) detail(i uint32) (grant, user, amount string) {
	if i == 0 {
		return "", "", ""
	}
	b := s.blobs.get(s.details[i])
	var out [3]string
	for k := range out {
		n, w := binary.Uvarint([]byte(b[:min(len(b), binary.MaxVarintLen64)]))
		out[k], b = b[w:w+int(n)], b[w+int(n):]
	}
	return out[0], out[1], out[2]
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
	var keys []string
	return s.eventInto(i, &keys)
}

// eventInto is event, with the event's Keys carved from *keys (appended to): a classification worker
// materializes millions of events, and their key lists need not be an allocation each.
func (s *store) eventInto(i int, keys *[]string) ingest.Event {
	r := s.rec(i)
	t := s.syms
	cx := &s.ctxs[r.ctx]
	grant, user, amount := s.detail(r.detail)
	e := ingest.Event{
		Time: r.time, Hop: r.hop(), Status: r.status(), Origin: ingest.Origin(r.origin),
		OrderID: t.str(r.order), MsgID: t.str(r.msg), OffsetMsgID: t.str(r.offMsg),
		Broker: cx.broker, Topic: cx.topic, QueueID: int32(r.qid), QueueOffset: r.qoff,
		Group: cx.group, Host: cx.host, Result: cx.result, Error: cx.err,
		Retry: int32(r.retry), GrantID: grant, UserID: user, Amount: amount,
		Rule: cx.rule, Ref: ingest.Ref{Path: cx.path, Line: int64(r.refLine), Offset: r.offset()},
	}
	if r.key != 0 {
		start := len(*keys)
		*keys = append(*keys, t.str(r.key))
		if r.nkeys > 0 {
			for _, k := range s.moreKeys[int32(i)] {
				*keys = append(*keys, t.str(k))
			}
		}
		e.Keys = (*keys)[start:len(*keys):len(*keys)]
	}
	return e
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

// okRow is an ok order of a large audit, compactly: every string of its Case is a symbol, a detail or a context
// of the store (see compactOK).
type okRow struct {
	at     int64
	order  sym    // ID and OrderID
	msg    sym    // its one msgId (0: none)
	detail uint32 // its payment's user and amount (0: none)
	where  uint32 // 1 + the context whose host is Where (0: none)
}

// compactOK turns a lean ok Case (classified, its events dropped or about to be) into an okRow, when every field
// can be said with the store's symbols; otherwise it says no and the Case is kept as it is.
func (s *store) compactOK(c *Case, idx []int32) (okRow, bool) {
	if c.Verdict != OK || c.Confidence != High || c.Reason != okReason || c.Missing != ingest.HopNone ||
		c.OrderID == "" || c.ID != c.OrderID || len(c.MsgIDs) > 1 || len(c.Evidence) > 0 {
		return okRow{}, false
	}
	row := okRow{at: c.At}
	needMsg, needDetail, needWhere := len(c.MsgIDs) == 1, c.UserID != "" || c.Amount != "", c.Where != ""
	for _, i := range idx {
		r := s.rec(int(i))
		if row.order == 0 && r.order != 0 && s.syms.str(r.order) == c.OrderID {
			row.order = r.order
		}
		if needMsg && row.msg == 0 && r.msg != 0 && s.syms.str(r.msg) == c.MsgIDs[0] {
			row.msg = r.msg
		}
		if needDetail && row.detail == 0 && r.detail != 0 {
			if _, user, amount := s.detail(r.detail); user == c.UserID && amount == c.Amount {
				row.detail = r.detail
			}
		}
		if needWhere && row.where == 0 && s.ctxs[r.ctx].host == c.Where {
			row.where = r.ctx + 1
		}
	}
	if row.order == 0 || (needMsg && row.msg == 0) || (needDetail && row.detail == 0) || (needWhere && row.where == 0) {
		return okRow{}, false
	}
	return row, true
}

// okCase makes the Case of an okRow; it needs the symbols, details and contexts, not the records.
func (s *store) okCase(row *okRow) *Case {
	c := &Case{ID: s.syms.str(row.order), Verdict: OK, Confidence: High, Reason: okReason, At: row.at}
	c.OrderID = c.ID
	if row.msg != 0 {
		c.MsgIDs = []string{s.syms.str(row.msg)}
	}
	_, c.UserID, c.Amount = s.detail(row.detail)
	if row.where != 0 {
		c.Where = s.ctxs[row.where-1].host
	}
	return c
}

// dropRecords lets the records go; symbols, contexts and details stay (Cases point into them).
func (s *store) dropRecords() {
	s.chunks, s.moreKeys = nil, nil
}

var _ [56 - unsafe.Sizeof(rec{})]byte // rec stays 56 bytes: 8 million of them are most of an audit's memory
