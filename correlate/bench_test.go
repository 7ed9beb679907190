package correlate

import (
	"fmt"
	"testing"
	"time"

	"github.com/hoptrace/hoptrace/ingest"
)

// syntheticDay builds n healthy orders of six events each, with the identifiers spread the way real logs spread
// them (the consume result carries only the msgId).
func syntheticDay(n int) []ingest.Event {
	in := ingest.NewInterner()
	out := make([]ingest.Event, 0, n*6)
	base := t0.UnixNano()
	mk := func(t int64, h ingest.Hop) ingest.Event {
		e := ingest.NewEvent()
		e.Time, e.Hop = t, h
		return e
	}
	for i := 0; i < n; i++ {
		id := in.String(fmt.Sprintf("20261123%08d", i))
		msg := in.String(fmt.Sprintf("0A0B0C0D00002A9F%016X", i))
		t := base + int64(i)*int64(80*time.Millisecond)
		e := mk(t, ingest.HopPaid)
		e.OrderID, e.Host = id, "order-1"
		out = append(out, e)
		e = mk(t+int64(5*time.Millisecond), ingest.HopSent)
		e.OrderID, e.Keys, e.MsgID, e.Broker, e.QueueID, e.QueueOffset, e.Host = id, []string{id}, msg, "broker-a", int32(i%4), int64(i/4), "order-1"
		out = append(out, e)
		e = mk(t+int64(20*time.Millisecond), ingest.HopStored)
		e.MsgID, e.Keys, e.Origin = msg, []string{id}, ingest.OriginTrace
		out = append(out, e)
		e = mk(t+int64(30*time.Millisecond), ingest.HopDelivered)
		e.MsgID, e.Keys, e.Host = msg, []string{id}, "redpacket-1"
		out = append(out, e)
		e = mk(t+int64(35*time.Millisecond), ingest.HopConsumed)
		e.MsgID, e.Host = msg, "redpacket-1"
		out = append(out, e)
		e = mk(t+int64(40*time.Millisecond), ingest.HopGranted)
		e.OrderID, e.GrantID, e.Host = id, in.String("RP"+id), "redpacket-1"
		out = append(out, e)
	}
	return out
}

// BenchmarkCorrelate measures the join and the verdicts (not the parsing) per event.
func BenchmarkCorrelate(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		day := syntheticDay(n)
		b.Run(fmt.Sprintf("orders=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			events := make([]ingest.Event, len(day))
			for i := 0; i < b.N; i++ {
				copy(events, day)
				a := Correlate(events, nil, Options{})
				if a.Counts[OK] != n {
					b.Fatalf("ok = %d, want %d", a.Counts[OK], n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(day)), "ns/event")
		})
	}
}
