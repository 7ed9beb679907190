package logs

// pathIndex answers, for a JSON key path or a logfmt key, "which slot reads it" and "is it the prefix of a path
// some slot reads" in one probe. It replaces two Go maps on the hottest loop of the JSON reader: every key of
// every line is looked up, and a map costs a string hash and a swiss-table probe each time.
type pathIndex struct {
	entries []pathEntry // open addressing; len is a power of two, at most half full
}

type pathEntry struct {
	key    string
	slot   int32 // -1: not read itself (a prefix only)
	prefix bool
	used   bool
}

func newPathIndex(slots map[string]int, prefixes map[string]bool) pathIndex {
	n := 8
	for n < 2*(len(slots)+len(prefixes)) {
		n <<= 1
	}
	x := pathIndex{entries: make([]pathEntry, n)}
	at := func(k string) *pathEntry {
		mask := uint32(n - 1)
		for i := pathHash([]byte(k)) & mask; ; i = (i + 1) & mask {
			if e := &x.entries[i]; !e.used || e.key == k {
				return e
			}
		}
	}
	for k, s := range slots {
		e := at(k)
		e.key, e.used, e.slot = k, true, int32(s)
	}
	for k := range prefixes {
		e := at(k)
		if !e.used {
			e.key, e.used, e.slot = k, true, -1
		}
		e.prefix = true
	}
	return x
}

// pathHash mixes a key's length and three of its bytes: an index holds a few dozen keys, and a probe compares
// the whole key anyway, so a hash needs only to spread them, not to read every byte of every key of every line.
func pathHash(b []byte) uint32 {
	n := len(b)
	if n == 0 {
		return 0
	}
	h := uint32(n) | uint32(b[0])<<8 | uint32(b[n-1])<<16 | uint32(b[n/2])<<24
	return (h ^ h>>15) * 0x2c1b3c6d >> 7
}

// lookup returns the slot reading k (ok false if none) and whether k is the prefix of a path read.
func (x *pathIndex) lookup(k []byte) (slot int, ok, prefix bool) {
	if len(x.entries) == 0 {
		return 0, false, false
	}
	mask := uint32(len(x.entries) - 1)
	for i := pathHash(k) & mask; ; i = (i + 1) & mask {
		e := &x.entries[i]
		if !e.used {
			return 0, false, false
		}
		if e.key == string(k) {
			return int(e.slot), e.slot >= 0, e.prefix
		}
	}
}
