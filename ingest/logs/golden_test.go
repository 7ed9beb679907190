package logs

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hoptrace/hoptrace/ingest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// formatEvent renders an event on one line, non-empty fields only, for golden files.
func formatEvent(ev ingest.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s@%d", ev.Ref, ev.Ref.Offset)
	if ev.Time != 0 {
		fmt.Fprintf(&b, " %s", time.Unix(0, ev.Time).UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	fmt.Fprintf(&b, " %s/%s %s rule=%s", ev.Hop, ev.Status, ev.Origin, ev.Rule)
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, " %s=%q", k, v)
		}
	}
	add("order", ev.OrderID)
	if len(ev.Keys) > 0 {
		add("keys", strings.Join(ev.Keys, ","))
	}
	add("msg", ev.MsgID)
	add("offmsg", ev.OffsetMsgID)
	add("broker", ev.Broker)
	add("topic", ev.Topic)
	if ev.QueueID >= 0 {
		fmt.Fprintf(&b, " queue=%d", ev.QueueID)
	}
	if ev.QueueOffset >= 0 {
		fmt.Fprintf(&b, " qoff=%d", ev.QueueOffset)
	}
	add("group", ev.Group)
	add("host", ev.Host)
	add("result", ev.Result)
	add("error", ev.Error)
	if ev.Retry != 0 {
		fmt.Fprintf(&b, " retry=%d", ev.Retry)
	}
	add("grant", ev.GrantID)
	add("user", ev.UserID)
	add("amount", ev.Amount)
	return b.String()
}

func formatStats(st ingest.Stats) string {
	s := fmt.Sprintf("stats %s format=%s bytes=%d lines=%d matched=%d ignored=%d malformed=%d events=%d",
		st.Path, st.Format, st.Bytes, st.Lines, st.Matched, st.Ignored, st.Malformed, st.Events)
	if st.FirstTime != 0 {
		s += fmt.Sprintf(" span=%s..%s", time.Unix(0, st.FirstTime).UTC().Format(time.RFC3339Nano),
			time.Unix(0, st.LastTime).UTC().Format(time.RFC3339Nano))
	}
	for _, ex := range st.Examples {
		s += "\n  malformed " + ex
	}
	if st.Err != "" {
		s += "\n  err " + st.Err
	}
	return s
}

// readAll reads paths with opt and returns every event (sorted by Ref) and the stats.
func readAll(t testing.TB, paths []string, opt Options) ([]ingest.Event, []ingest.Stats, error) {
	t.Helper()
	src, err := NewSource(paths, opt)
	if err != nil {
		t.Fatalf("NewSource: %v", err)
	}
	var evs []ingest.Event
	err = src.Read(context.Background(), func(b []ingest.Event) error {
		evs = append(evs, b...)
		return nil
	})
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i].Ref, evs[j].Ref
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Line < b.Line
	})
	for _, st := range src.Stats() {
		checkAccounting(t, st)
	}
	return evs, src.Stats(), err
}

func checkAccounting(t testing.TB, st ingest.Stats) {
	t.Helper()
	if st.Format == "trace" {
		return // package trace counts its own records
	}
	if st.Lines != st.Matched+st.Ignored+st.Malformed {
		t.Errorf("%s: lines %d != matched %d + ignored %d + malformed %d", st.Path, st.Lines, st.Matched, st.Ignored, st.Malformed)
	}
	if st.Events != st.Matched {
		t.Errorf("%s: events %d != matched %d", st.Path, st.Events, st.Matched)
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestGolden(t *testing.T) {
	logfmtProfile, err := Load("testdata/profiles/logfmt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		paths  []string
		prof   *Profile
		golden string
	}{
		{"logback", []string{"testdata/samples/order-service"}, nil, "logback.golden"},
		{"json", []string{"testdata/samples/redpacket-service"}, nil, "json.golden"},
		{"trace", []string{"testdata/samples/traces"}, nil, "trace.golden"},
		{"logfmt", []string{"testdata/logfmt"}, logfmtProfile, "logfmt.golden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, stats, err := readAll(t, tt.paths, Options{Profile: tt.prof})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			var b strings.Builder
			for _, ev := range evs {
				b.WriteString(formatEvent(ev))
				b.WriteByte('\n')
			}
			for _, st := range stats {
				b.WriteString(formatStats(st))
				b.WriteByte('\n')
			}
			checkGolden(t, tt.golden, b.String())
		})
	}
}
