package ingest

import "unsafe"

// StringArena hands out the per-event strings of one reader (identifiers, grant payloads, key lists) from shared
// blocks: one allocation per 64 KiB instead of one per string, and byte blocks the garbage collector never scans.
// A block lives as long as any string in it. A consumer that keeps events' strings for good should copy them
// (correlate's store does); strings kept by the reader itself for good (interned values, error texts) should not
// come from an arena, or they pin a block. Not safe for concurrent use: one per reader.
type StringArena struct {
	buf  []byte
	strs []string
}

const (
	arenaBlock   = 64 << 10
	arenaLargest = arenaBlock / 16 // longer strings get an allocation of their own
	arenaLists   = 1024            // strings per list block
)

// Bytes returns b as a string.
func (a *StringArena) Bytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaLargest {
		return string(b)
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, arenaBlock)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b))
}

// Upper returns b with ASCII letters upper-cased, as a string (msgIds are compared upper-cased).
func (a *StringArena) Upper(b []byte) string {
	lower := false
	for _, c := range b {
		if c >= 'a' && c <= 'z' {
			lower = true
			break
		}
	}
	if !lower {
		return a.Bytes(b)
	}
	if len(b) > arenaLargest || cap(a.buf)-len(a.buf) < len(b) {
		if len(b) > arenaLargest {
			u := []byte(string(b))
			upper(u)
			return string(u)
		}
		a.buf = make([]byte, 0, arenaBlock)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	upper(a.buf[start:])
	return unsafe.String(&a.buf[start], len(b))
}

func upper(b []byte) {
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
}

// List returns an empty slice with room for n strings, carved from a shared block. Appending more than n moves
// the slice to an allocation of its own (its capacity is capped), so lists never overwrite each other.
func (a *StringArena) List(n int) []string {
	if n > arenaLists/8 {
		return make([]string, 0, n)
	}
	if cap(a.strs)-len(a.strs) < n {
		a.strs = make([]string, 0, arenaLists)
	}
	start := len(a.strs)
	a.strs = a.strs[:start+n]
	return a.strs[start : start : start+n]
}
