package correlate

import (
	"testing"

	"github.com/hoptrace/hoptrace/ingest"
)

// FuzzCorrelate builds arbitrary evidence (any hop, status, origin, identifiers shared or not, times in any
// order) and checks that correlating it never panics and gives every case a known verdict with a reason.
func FuzzCorrelate(f *testing.F) {
	f.Add([]byte{1, 0, 0, 1, 1, 2, 0, 0, 1, 1, 4, 0, 0, 0, 1, 6, 0, 0, 1, 0})
	f.Add([]byte{4, 3, 0, 0, 1, 5, 1, 1, 0, 1, 7, 0, 0, 0, 1, 8, 0, 2, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var events []ingest.Event
		ids := []string{"", "A", "B", "null"}
		msgs := []string{"", "M1", "m1", "M2"}
		for len(data) >= 5 && len(events) < 200 {
			e := ingest.NewEvent()
			e.Hop = ingest.Hop(data[0] % 9)
			e.Status = ingest.Status(data[1] % 5)
			e.Origin = ingest.Origin(data[2] % 3)
			e.OrderID = ids[data[3]%4]
			e.MsgID = ingest.NormalizeID(msgs[(data[3]>>2)%4])
			if data[3]&0x10 != 0 {
				e.Keys = []string{ids[(data[3]>>5)%4]}
			}
			if data[4]&1 != 0 {
				e.Broker, e.QueueID, e.QueueOffset = "b", int32(data[4]>>6), int64(data[4]>>4&3)
			}
			if data[4]&2 != 0 {
				e.OffsetMsgID = "X"
			}
			e.Time = int64(data[4]) * 1e9
			if data[1]&0x80 != 0 {
				e.Time = 0
			}
			e.GrantID = []string{"", "g1", "g2", "g1"}[data[2]>>6]
			e.Host = []string{"", "h1", "h2", "h1"}[(data[2]>>4)&3]
			events = append(events, e)
			data = data[5:]
		}
		for _, keep := range []bool{false, true} {
			a := Correlate(events, nil, Options{KeepEvents: keep})
			for _, c := range a.Cases {
				if _, ok := ParseVerdict(string(c.Verdict)); !ok || c.Reason == "" || c.Confidence == "" {
					t.Fatalf("case %s: verdict %q, reason %q, confidence %q", c.ID, c.Verdict, c.Reason, c.Confidence)
				}
				_ = c.Timeline()
			}
		}
	})
}
