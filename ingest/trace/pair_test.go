package trace

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoptrace/hoptrace/ingest"
)

func drainAll(p *Pairer) (out []Record, lines []int64) {
	for {
		r, ref, ok := p.Next()
		if !ok {
			return out, lines
		}
		out = append(out, r)
		lines = append(lines, ref.Line)
	}
}

func TestPairer(t *testing.T) {
	before := Record{Type: TypeSubBefore, TimeMs: ts, Group: "redpacket-consumer", RequestID: reqID, MsgID: msgID,
		Keys: []string{orderKey}, Success: true}
	short := Record{Type: TypeSubAfter, RequestID: reqID, MsgID: msgID, CostTime: 5, Success: true} // Java cloud / 4.9.1
	full := Record{Type: TypeSubAfter, TimeMs: ts + 9, Group: "redpacket-consumer", RequestID: reqID, MsgID: msgID, Success: true}
	filled := short
	filled.TimeMs, filled.Group, filled.Keys = ts, "redpacket-consumer", []string{orderKey}
	fullKeys := full
	fullKeys.Keys = []string{orderKey}
	other := Record{Type: TypePub, MsgID: "X"}

	tests := []struct {
		name      string
		in        []Record
		wantReady []Record // before Flush
		wantAll   []Record // after Flush
		lines     []int64  // Ref.Line of the records after Flush
	}{
		{"before then short after", []Record{before, other, short}, []Record{before, other, filled}, nil, []int64{1, 2, 3}},
		{"short after then before", []Record{short, other, before}, []Record{other, before, filled}, nil, []int64{2, 3, 1}},
		{"full after keeps its own time and group, gets keys", []Record{before, full}, []Record{before, fullKeys}, nil, []int64{1, 2}},
		{"full after first is not held", []Record{full, before}, []Record{full, before}, nil, []int64{1, 2}},
		{"short after never paired is released by Flush", []Record{short, other}, []Record{other}, []Record{short}, []int64{2, 1}},
		{"different msgId in the same batch does not pair", []Record{before, {Type: TypeSubAfter, RequestID: reqID, MsgID: "other"}},
			[]Record{before}, []Record{{Type: TypeSubAfter, RequestID: reqID, MsgID: "other"}}, []int64{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPairer()
			for i, r := range tt.in {
				p.AddRef(r, ingest.Ref{Line: int64(i + 1)})
			}
			got, lines := drainAll(p)
			if diff := cmp.Diff(tt.wantReady, got); diff != "" {
				t.Errorf("ready before Flush (-want +got):\n%s", diff)
			}
			p.Flush()
			rest, lines2 := drainAll(p)
			if diff := cmp.Diff(tt.wantAll, rest); diff != "" {
				t.Errorf("released by Flush (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.lines, append(lines, lines2...)); diff != "" {
				t.Errorf("refs (-want +got):\n%s", diff)
			}
			if p.Waiting() != 0 {
				t.Errorf("Waiting() = %d after Flush", p.Waiting())
			}
		})
	}
}

// TestPairerWindow checks that memory stays bounded: old SubBefores are forgotten and old waiting SubAfters are
// released once the window is full.
func TestPairerWindow(t *testing.T) {
	p := newPairer(4)
	for i := 0; i < 100; i++ {
		p.Add(Record{Type: TypeSubBefore, TimeMs: ts, Group: "g", RequestID: fmt.Sprint("r", i), MsgID: "m"})
		p.Add(Record{Type: TypeSubAfter, RequestID: fmt.Sprint("x", i), MsgID: "m"})
	}
	if len(p.befores) > 4 || len(p.bring) > 8 || p.Waiting() > 4 || len(p.wring) > 8 {
		t.Errorf("window exceeded: %d befores (ring %d), %d waiting (ring %d)", len(p.befores), len(p.bring), p.Waiting(), len(p.wring))
	}
	got, _ := drainAll(p)
	if len(got) != 200-4 {
		t.Errorf("ready = %d records, want %d", len(got), 196)
	}
	// The last SubBefores are still remembered, the first ones are not.
	p.Add(Record{Type: TypeSubAfter, RequestID: "r99", MsgID: "m"})
	p.Add(Record{Type: TypeSubAfter, RequestID: "r0", MsgID: "m"})
	got, _ = drainAll(p)
	// r99 pairs; r0 (forgotten) waits and pushes the oldest waiting SubAfter, x96, out unpaired.
	if len(got) != 2 || got[0].RequestID != "r99" || got[0].Group != "g" || got[1].RequestID != "x96" {
		t.Errorf("after window: ready %+v, want r99 paired then x96 released", got)
	}
	p.Flush()
	if got, _ = drainAll(p); len(got) != 4 || got[3].RequestID != "r0" {
		t.Errorf("Flush released %+v, want x97, x98, x99, r0", got)
	}
}
