package correlate

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/hoptrace/hoptrace/ingest"
)

// A log whose stamps carry no zone is read in the profile's timezone (or --tz). Read in the wrong one, a host's
// events move by hours: "now" (the window's end) moves with them, and a message sent minutes before the end
// looks hours old, lost instead of in flight. RocketMQ traces carry epoch milliseconds, which no zone setting
// can misread; a host whose send and delivery lines sit a whole number of quarter hours away from the traces of
// the same messages, all of them and tightly, was read in the wrong zone. Its events are moved back onto the
// traces' clock before anything is decided, and a warning says so. Without traces, the producers' send lines
// are the reference instead, and a consumer host is moved onto their clock (which side was misread cannot be
// told then; the verdicts only need both sides on one clock).

const (
	zoneUnit       = 15 * time.Minute // time zones differ by whole quarter hours
	zoneTolerance  = 2 * time.Minute  // a send logs when it returns: seconds after its Pub trace, rarely more
	zoneMinPairs   = 20               // pairs of a host's line and a trace of the same message, at the least
	zoneAgreeShare = 0.95             // the share of pairs that must sit at the same offset
)

// zoneShift is a correction for one host: add ns to its events' times.
type zoneShift struct {
	host string
	ns   int64
	n    int // pairs it rests on
}

// detectZones finds the log hosts read in the wrong zone. On a large day it samples one message in sixteen, by
// a hash of the end of its msgId (the same ones on every run), to keep its memory small.
func detectZones(st *store) (shifts []zoneShift, noTraces bool) {
	type traced struct{ stored, delivered, consumed int64 }
	// Which symbols are sampled, read once in symbol order (the arena front to back), not once per record.
	pick := make([]uint64, (st.syms.len()+63)/64)
	every := st.syms.len() < 1<<16
	for x := 1; x < st.syms.len(); x++ {
		if every || sampleHash(st.syms.str(sym(x)))%16 == 0 {
			pick[x/64] |= 1 << (x % 64)
		}
	}
	sampled := func(m sym) bool { return pick[m/64]&(1<<(m%64)) != 0 }
	// One pass: the sampled traces' times, and the sampled log lines to compare with them.
	type line struct {
		msg  sym
		ctx  uint32
		hop  ingest.Hop
		time int64
	}
	traces := map[sym]*traced{}
	var lines []line
	for i := 0; i < st.len(); i++ {
		r := st.rec(i)
		if r.msg == 0 || r.time == 0 || !sampled(r.msg) {
			continue
		}
		hop := r.hop()
		if ingest.Origin(r.origin) == ingest.OriginLog {
			if (hop == ingest.HopSent && r.status() == ingest.StatusOK) || hop == ingest.HopDelivered || hop == ingest.HopConsumed {
				lines = append(lines, line{r.msg, r.ctx, hop, r.time})
			}
			continue
		}
		if ingest.Origin(r.origin) != ingest.OriginTrace {
			continue
		}
		t := traces[r.msg]
		if t == nil {
			t = &traced{}
			traces[r.msg] = t
		}
		var at *int64
		switch hop {
		case ingest.HopStored:
			at = &t.stored
		case ingest.HopDelivered:
			at = &t.delivered
		case ingest.HopConsumed:
			at = &t.consumed
		default:
			continue
		}
		if *at == 0 || r.time < *at {
			*at = r.time
		}
	}
	diffs := map[string][]int64{}
	if len(traces) > 0 {
		for _, l := range lines {
			t := traces[l.msg]
			if t == nil {
				continue
			}
			ref := t.stored // a send result against its Pub trace
			switch {
			case l.hop == ingest.HopDelivered && t.delivered != 0:
				ref = t.delivered
			case l.hop == ingest.HopConsumed && t.consumed != 0:
				ref = t.consumed
			}
			// With no SubBefore or SubAfter trace (consumer tracing off), a delivery is compared with its Pub
			// trace: milliseconds after it, or seconds; never hours, for every message.
			if h := st.ctxs[l.ctx].host; ref != 0 && h != "" {
				diffs[h] = append(diffs[h], l.time-ref)
			}
		}
	} else {
		// No traces: the producers' send lines are the reference. A delivery comes milliseconds after its
		// send; hours after, for every message, is a zone. Which side is wrong cannot be told: the consumer
		// side is moved onto the producers' clock, so that the verdicts compare like with like.
		sent := map[sym]int64{}
		for _, l := range lines {
			if t, ok := sent[l.msg]; l.hop == ingest.HopSent && (!ok || l.time < t) {
				sent[l.msg] = l.time
			}
		}
		for _, l := range lines {
			if t, ok := sent[l.msg]; ok && l.hop != ingest.HopSent {
				if h := st.ctxs[l.ctx].host; h != "" {
					diffs[h] = append(diffs[h], l.time-t)
				}
			}
		}
		noTraces = true
	}
	for h, d := range diffs {
		if len(d) < zoneMinPairs {
			continue
		}
		slices.Sort(d)
		k := (d[len(d)/2] + int64(zoneUnit)/2*sign(d[len(d)/2])) / int64(zoneUnit)
		if k == 0 {
			continue
		}
		off := k * int64(zoneUnit)
		lo := sort.Search(len(d), func(i int) bool { return d[i] >= off-int64(zoneTolerance) })
		hi := sort.Search(len(d), func(i int) bool { return d[i] > off+int64(zoneTolerance) })
		if float64(hi-lo) < zoneAgreeShare*float64(len(d)) {
			continue
		}
		shifts = append(shifts, zoneShift{host: h, ns: -off, n: len(d)})
	}
	sort.Slice(shifts, func(a, b int) bool { return shifts[a].host < shifts[b].host })
	return shifts, noTraces
}

// sampleHash is FNV-1a over the last 8 bytes of an identifier: where identifiers differ, whatever their scheme.
func sampleHash(s string) uint32 {
	h := uint32(2166136261)
	for i := max(0, len(s)-8); i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func sign(x int64) int64 {
	if x < 0 {
		return -1
	}
	return 1
}

// applyZones moves the corrected hosts' log events onto the traces' clock, and returns the files whose events
// moved (their time spans, as the readers counted them, are off) and a warning per host.
func applyZones(st *store, shifts []zoneShift, noTraces bool) (moved map[string]bool, warnings []string) {
	if len(shifts) == 0 {
		return nil, nil
	}
	by := map[string]int64{}
	for _, z := range shifts {
		by[z.host] = z.ns
		ahead := "behind"
		if z.ns < 0 {
			ahead = "ahead of"
		}
		if noTraces {
			warnings = append(warnings, fmt.Sprintf("%s's time stamps are %s %s the producers' for the same messages (%d of them agree): one side was read in the wrong time zone (with no RocketMQ traces, hoptrace cannot tell which), and %s's events are moved here by %s so that the verdicts compare like with like; set the profile sources' timezone (or --tz) so the times are right everywhere",
				z.host, dur(abs(z.ns)), ahead, z.n, z.host, dur(z.ns)))
			continue
		}
		warnings = append(warnings, fmt.Sprintf("%s's time stamps are %s %s the RocketMQ traces' clock for the same messages (%d of them agree): they were read in the wrong time zone, and are corrected here by %s; set the profile source's timezone (or --tz) so its times are right everywhere",
			z.host, dur(abs(z.ns)), ahead, z.n, dur(z.ns)))
	}
	ctxShift := make([]int64, len(st.ctxs))
	for ci := range st.ctxs {
		ctxShift[ci] = by[st.ctxs[ci].host]
	}
	moved = map[string]bool{}
	for i := 0; i < st.len(); i++ {
		r := st.rec(i)
		if d := ctxShift[r.ctx]; d != 0 && r.time != 0 && ingest.Origin(r.origin) == ingest.OriginLog {
			r.time += d
			moved[st.ctxs[r.ctx].path] = true
		}
	}
	return moved, warnings
}
