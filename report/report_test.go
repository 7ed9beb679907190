package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hoptrace/hoptrace/correlate"
	"github.com/hoptrace/hoptrace/ingest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var day = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func event(sec int, hop ingest.Hop, st ingest.Status, order, msg, host string, line int64) ingest.Event {
	e := ingest.NewEvent()
	e.Time = day.Add(time.Duration(sec) * time.Second).UnixNano()
	e.Hop, e.Status, e.OrderID, e.MsgID, e.Host = hop, st, order, msg, host
	if order != "" && hop == ingest.HopSent {
		e.Keys = []string{order}
	}
	e.Ref = ingest.Ref{Path: "logs/app.log", Line: line}
	return e
}

// smallAudit is a hand-made window with one order of several verdicts.
func smallAudit() *correlate.Audit {
	var ev []ingest.Event
	add := func(e ingest.Event) { ev = append(ev, e) }
	line := int64(0)
	next := func() int64 { line++; return line }
	// ok orders keep the consumer side alive until the end.
	for i, id := range []string{"A1", "A2", "A3"} {
		s := i * 3000
		add(event(s, ingest.HopPaid, ingest.StatusOK, id, "", "order-1", next()))
		add(event(s, ingest.HopSent, ingest.StatusOK, id, "M"+id, "order-1", next()))
		add(event(s+1, ingest.HopDelivered, ingest.StatusOK, "", "M"+id, "rp-1", next()))
		g := event(s+1, ingest.HopGranted, ingest.StatusOK, id, "", "rp-1", next())
		g.GrantID = "RP" + id
		add(g)
	}
	p := event(100, ingest.HopPaid, ingest.StatusOK, "B1", "", "order-2", next())
	p.UserID, p.Amount = "u1", "12.50"
	add(p)
	s := event(100, ingest.HopSent, ingest.StatusOK, "B1", "MB1", "order-2", next())
	s.Broker, s.QueueID, s.QueueOffset, s.Result = "broker-a", 1, 42, "SEND_OK"
	add(s)
	add(event(200, ingest.HopPaid, ingest.StatusOK, "C1", "", "order-1", next()))
	f := event(200, ingest.HopSent, ingest.StatusFailed, "C1", "MC1", "order-1", next())
	f.Error = "CODE: 14 DESC: service not available now"
	add(f)
	return correlate.Correlate(ev, []ingest.Stats{{Path: "logs/app.log", Format: "logback", Lines: 20, Matched: 16, Ignored: 3, Malformed: 1,
		Examples: []string{"logs/app.log:20: truncated last line"}}}, correlate.Options{KeepEvents: true})
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s\nrun go test ./report -update if the change is intended", name, diff)
	}
}

func TestAuditGolden(t *testing.T) {
	a := smallAudit()
	for _, format := range Formats {
		for _, only := range []Filter{"broken", "all"} {
			t.Run(format+"/"+string(only), func(t *testing.T) {
				var b bytes.Buffer
				if err := WriteAudit(&b, a, AuditOptions{Format: format, Only: only}); err != nil {
					t.Fatal(err)
				}
				golden(t, "audit-"+string(only)+"."+format, b.Bytes())
			})
		}
	}
}

func TestMachineFormatsAreValid(t *testing.T) {
	a := smallAudit()
	var b bytes.Buffer
	if err := WriteAudit(&b, a, AuditOptions{Format: "ndjson", Only: "all"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != len(a.Cases) {
		t.Fatalf("%d ndjson rows for %d orders", len(lines), len(a.Cases))
	}
	for _, l := range lines {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("bad json %q: %v", l, err)
		}
		for _, k := range []string{"order_id", "verdict", "missing_hop", "confidence"} {
			if _, ok := r[k]; !ok {
				t.Errorf("row lacks %s: %s", k, l)
			}
		}
	}
	b.Reset()
	if err := WriteAudit(&b, a, AuditOptions{Format: "csv", Only: "broken"}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(CSVHeader, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(rows)-1 != a.BrokenCount() {
		t.Errorf("%d csv rows, %d broken", len(rows)-1, a.BrokenCount())
	}
}

func TestOrderGolden(t *testing.T) {
	a := smallAudit()
	raw := map[ingest.Ref]string{}
	for _, id := range []string{"B1", "C1", "A2"} {
		c := a.Find(id)
		for i := range c.Events {
			raw[c.Events[i].Ref] = "2026-11-23 00:01:40.000 INFO raw line " + c.Events[i].Ref.String() + "\n\tat x.y(Z.java:1)"
		}
		for _, format := range []string{"text", "json"} {
			for _, colour := range []bool{false, true} {
				if colour && format == "json" {
					continue
				}
				var b bytes.Buffer
				if err := WriteOrder(&b, c, OrderOptions{Format: format, Colour: colour, Raw: raw}); err != nil {
					t.Fatal(err)
				}
				name := "order-" + id + "." + format
				if colour {
					name += ".colour"
				}
				golden(t, name, b.Bytes())
			}
		}
	}
}

func TestPrintableStripsControls(t *testing.T) {
	if got := printable("a\x1b[31mred\x01b\x02"); got != "a?[31mred|b/" {
		t.Errorf("got %q", got)
	}
}

func TestFilter(t *testing.T) {
	a := smallAudit()
	f, err := ParseFilter("lost_in_broker, send_failed")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range a.Cases {
		if f.Match(c) {
			got = append(got, c.ID)
		}
	}
	if strings.Join(got, ",") != "B1,C1" {
		t.Errorf("matched %v", got)
	}
	if _, err := ParseFilter("ok,lost"); err == nil || !strings.Contains(err.Error(), `"lost"`) {
		t.Errorf("bad name: %v", err)
	}
}

// TestAppendNDJSON: the hand-written NDJSON row is byte for byte what encoding/json writes.
func TestAppendNDJSON(t *testing.T) {
	odd := []string{"", "plain", `quo"te \ back`, "<b>&amp;</b>", "tab\tnl\ncr\r\x00\x1f\x7f", "bad \xff\xfe utf8",
		"line\u2028sep\u2029", "ünïcødé 红包 🧧", "\b\f"}
	rows := []Row{{}, {OrderID: "1", Verdict: "ok", Confidence: "high", Reason: "the red packet was granted", Where: "h",
		At: "2026-11-23T10:00:00.000Z", MsgIDs: []string{"A", "B"}, UserID: "u", Amount: "1.00",
		Evidence: []EvidenceJSON{{Text: "t"}, {Text: "u", Source: "f:1"}}}}
	for _, s := range odd {
		rows = append(rows, Row{OrderID: s, Verdict: s, MissingHop: s, Confidence: s, Reason: s, Where: s, At: s,
			MsgIDs: []string{s}, UserID: s, Amount: s, Evidence: []EvidenceJSON{{Text: s, Source: s}}})
	}
	for _, r := range rows {
		checkNDJSON(t, r)
	}
}

// checkNDJSON fails when r's hand-written NDJSON line is not encoding/json's.
func checkNDJSON(t *testing.T, r Row) {
	t.Helper()
	var want bytes.Buffer
	if err := json.NewEncoder(&want).Encode(r); err != nil {
		t.Fatal(err)
	}
	if got := r.AppendNDJSON(nil); string(got) != want.String() {
		t.Errorf("AppendNDJSON:\n got %q\nwant %q", got, want.String())
	}
}

func FuzzAppendNDJSON(f *testing.F) {
	f.Add("2026112300000001", "lost_in_consumer", "x<y>&\"z\"\n\xff")
	f.Fuzz(func(t *testing.T, id, verdict, reason string) {
		checkNDJSON(t, Row{OrderID: id, Verdict: verdict, Reason: reason, MsgIDs: []string{reason}, Evidence: []EvidenceJSON{{Text: id, Source: verdict}}})
	})
}

func TestStamp(t *testing.T) {
	for _, ns := range []int64{0, 1, 999_999, 1_000_000, 1795391998028_000_000, -1, -86_400_000_000_001,
		time.Date(2026, 11, 23, 23, 59, 59, 999_999_999, time.UTC).UnixNano(),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixNano()} {
		if got, want := stamp(ns), time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Errorf("stamp(%d) = %s, want %s", ns, got, want)
		}
	}
}
