package ingest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEventFileRoundTrip(t *testing.T) {
	in := []Event{NewEvent(), NewEvent()}
	in[0].Time, in[0].Hop, in[0].Origin, in[0].MsgID, in[0].Keys = 1700000000123000000, HopStored, OriginTrace, "0A0B", []string{"k1", "k2"}
	in[0].Ref = Ref{Path: "RMQ_SYS_TRACE_TOPIC@broker-a/0:17"}
	in[1].Hop, in[1].Origin, in[1].Broker, in[1].Topic, in[1].QueueID, in[1].QueueOffset, in[1].Group = HopProgress, OriginBroker, "broker-a", "pay-success", 0, 0, "rp"
	var b bytes.Buffer
	w, err := NewEventWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if err := w.Write(&in[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []Event
	var st Stats
	if err := ReadEventFile(&b, "x.events", &st, func(e Event) { got = append(got, e) }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if st.Lines != 2 || st.Matched != 2 || st.Malformed != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestEventFileBadLines(t *testing.T) {
	data := EventFileHeader + "\n" + `{"hop":"sent"}` + "\n" + `{"hop":"sendt"}` + "\n" + `not json` + "\n" + `{"hop":"paid","origin":"mars"}`
	var st Stats
	n := 0
	if err := ReadEventFile(strings.NewReader(data), "x.events", &st, func(Event) { n++ }); err != nil {
		t.Fatal(err)
	}
	if n != 1 || st.Lines != 4 || st.Malformed != 3 || !strings.Contains(st.Examples[0], "x.events:3: unknown hop") {
		t.Errorf("n %d, stats %+v", n, st)
	}
	if err := ReadEventFile(strings.NewReader("hello\n"), "y", &st, func(Event) {}); err == nil || !strings.Contains(err.Error(), "not a hoptrace event file") {
		t.Errorf("a file without the header: %v", err)
	}
}

func FuzzReadEventFile(f *testing.F) {
	f.Add([]byte(EventFileHeader + "\n" + `{"t":1,"hop":"delivered","status":"ok","origin":"trace","msg_id":"ab","keys":["k"],"queue_id":1,"queue_offset":2}` + "\n"))
	f.Add([]byte(EventFileHeader + "\n{\"hop\":\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st Stats
		_ = ReadEventFile(bytes.NewReader(data), "fuzz", &st, func(Event) {})
		if st.Lines != st.Matched+st.Malformed {
			t.Fatalf("accounting: %+v", st)
		}
	})
}
