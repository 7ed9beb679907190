package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoptrace/hoptrace/ingest"
)

func statsOf(t *testing.T, stats []ingest.Stats, suffix string) ingest.Stats {
	t.Helper()
	for _, st := range stats {
		if strings.HasSuffix(st.Path, suffix) {
			return st
		}
	}
	t.Fatalf("no stats for %s in %v", suffix, stats)
	return ingest.Stats{}
}

func TestFileEdgeCases(t *testing.T) {
	evs, stats, err := readAll(t, []string{"testdata/edge"}, Options{})
	if err == nil || !errors.Is(err, ingest.ErrBadInput) || !strings.Contains(err.Error(), "order-bad.log.gz") {
		t.Errorf("Read error = %v, want ErrBadInput naming order-bad.log.gz", err)
	}
	byOrder := map[string]ingest.Event{}
	for _, ev := range evs {
		byOrder[ev.OrderID] = ev
	}
	t.Run("crlf", func(t *testing.T) {
		st := statsOf(t, stats, "order-crlf.log")
		if st.Lines != 2 || st.Matched != 1 || st.Malformed != 0 {
			t.Errorf("stats %+v", st)
		}
		if ev := byOrder["1001"]; ev.Amount != "1.00" {
			t.Errorf("amount = %q, want 1.00 (CR stripped)", ev.Amount)
		}
	})
	t.Run("invalid utf8", func(t *testing.T) {
		st := statsOf(t, stats, "order-badutf8.log")
		if st.Lines != 2 || st.Matched != 1 || st.Malformed != 0 {
			t.Errorf("stats %+v", st)
		}
		if ev := byOrder["1002"]; ev.UserID != "\xff\xfeu2" {
			t.Errorf("user = %q, want the bytes kept", ev.UserID)
		}
	})
	t.Run("truncated last line", func(t *testing.T) {
		st := statsOf(t, stats, "order-truncated.log")
		if st.Lines != 2 || st.Matched != 1 || st.Malformed != 1 || st.Err != "" {
			t.Errorf("stats %+v", st)
		}
		if len(st.Examples) != 1 || !strings.Contains(st.Examples[0], "order-truncated.log:2: truncated last line") {
			t.Errorf("examples %q", st.Examples)
		}
	})
	t.Run("empty", func(t *testing.T) {
		st := statsOf(t, stats, "order-empty.log")
		if st.Lines != 0 || st.Err != "" {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("binary", func(t *testing.T) {
		// Found in a directory: skipped with a note, not an error.
		st := statsOf(t, stats, "order-binary.log")
		if st.Skipped != "binary file, not a log" || st.Err != "" || st.Lines != 0 {
			t.Errorf("stats %+v", st)
		}
		// Named on the command line: an error.
		src, err := NewSource([]string{"testdata/edge/order-binary.log"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_ = src.Read(context.Background(), func([]ingest.Event) error { return nil })
		if st := src.Stats()[0]; st.Err != "binary file, not a log" {
			t.Errorf("named binary file: stats %+v", st)
		}
	})
	t.Run("bad gzip", func(t *testing.T) {
		st := statsOf(t, stats, "order-bad.log.gz")
		if st.Err == "" || st.Matched != 1 || st.Lines < 2900 {
			t.Errorf("stats %+v: want Err set and the lines before the corruption read", st)
		}
		if _, ok := byOrder["1004"]; !ok {
			t.Error("the event before the corruption is lost")
		}
	})
	t.Run("rotated pair", func(t *testing.T) {
		src, err := NewSource([]string{"testdata/edge"}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		files := strings.Join(src.Files(), " ")
		if i, j := strings.Index(files, "order-9.2026-11-23.0.log.gz"), strings.Index(files, "order-9.log"); i < 0 || j < i {
			t.Errorf("files %s: want the rotated part before the current file", files)
		}
		if ev := byOrder["1"]; ev.Host != "order-9" || ev.Ref.Line != 1 {
			t.Errorf("rotated gz event = %+v", ev)
		}
	})
}

func TestLongLine(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	b.WriteString("2026-11-23 08:15:02.123 INFO  [main] c - payment callback ok, order paid orderId=7 userId=u7 amount=7.00 pad=")
	b.WriteString(strings.Repeat("x", 2<<20))
	b.WriteString("\n2026-11-23 08:15:02.124 INFO  [main] c - payment callback ok, order paid orderId=8 userId=u8 amount=8.00\n")
	long := b.Len()
	path := filepath.Join(dir, "order-long.log")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	evs, stats, err := readAll(t, []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].OrderID != "7" || evs[1].OrderID != "8" {
		t.Fatalf("events %v", evs)
	}
	if st := stats[0]; st.Bytes != int64(long) || st.Lines != 2 || st.Malformed != 0 {
		t.Errorf("stats %+v", st)
	}
	if evs[1].Ref.Offset != int64(long-len("2026-11-23 08:15:02.124 INFO  [main] c - payment callback ok, order paid orderId=8 userId=u8 amount=8.00\n")) {
		t.Errorf("offset of line 2 = %d", evs[1].Ref.Offset)
	}
	// ReadRefs reads it back whole.
	raw, err := ReadRefs([]ingest.Ref{evs[0].Ref, evs[1].Ref})
	if err != nil {
		t.Fatal(err)
	}
	if got := raw[evs[0].Ref]; len(got) != 2<<20+len("2026-11-23 08:15:02.123 INFO  [main] c - payment callback ok, order paid orderId=7 userId=u7 amount=7.00 pad=") {
		t.Errorf("ReadRefs long line = %d bytes", len(got))
	}
	if got := raw[evs[1].Ref]; !strings.HasSuffix(got, "orderId=8 userId=u8 amount=8.00") {
		t.Errorf("ReadRefs line 2 = %q", got)
	}
}

func TestUnreadableFile(t *testing.T) {
	// A symlink loop: Stat and Open fail with "too many levels of symbolic links", even for root.
	dir := t.TempDir()
	a, b := filepath.Join(dir, "order-a.log"), filepath.Join(dir, "order-b.log")
	if err := os.Symlink(a, b); err != nil {
		t.Skip(err)
	}
	os.Symlink(b, a)
	good := "testdata/edge/order-9.log"
	src, err := NewSource([]string{a, good}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = src.Read(context.Background(), func(b []ingest.Event) error { n += len(b); return nil })
	if err == nil || !strings.Contains(err.Error(), a) {
		t.Errorf("err = %v, want it to name %s", err, a)
	}
	st := statsOf(t, src.Stats(), "order-a.log")
	if st.Err == "" {
		t.Errorf("stats %+v: want Err", st)
	}
	if n != 1 {
		t.Errorf("%d events, want the good file read anyway", n)
	}
}

func TestEmptyGlobDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "order-1.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := NewSource([]string{filepath.Join(dir, "*.log")}, Options{})
	if !errors.Is(err, ingest.ErrNoInput) {
		t.Errorf("err = %v, want ErrNoInput (the glob matched an empty directory)", err)
	}
}

func TestNoInput(t *testing.T) {
	for _, p := range []string{"testdata/nope", "testdata/nope*.log", "testdata/profiles/../edge/none-*.log"} {
		_, err := NewSource([]string{p}, Options{})
		if !errors.Is(err, ingest.ErrNoInput) || !strings.Contains(err.Error(), p) {
			t.Errorf("NewSource(%s) err = %v, want ErrNoInput naming the path", p, err)
		}
	}
	if _, err := NewSource([]string{"testdata/edge"}, Options{Format: "xml"}); err == nil {
		t.Error("format xml accepted")
	}
}

func TestStdin(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"@timestamp":"2026-11-23T16:15:02.171+08:00","host.name":"rp-9","message":"red packet granted","orderId":"55","redPacketId":"RP1"}` + "\n"))
	zw.Close()
	src, err := NewSource([]string{"-"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	src.stdin = &gz
	var evs []ingest.Event
	if err := src.Read(context.Background(), func(b []ingest.Event) error { evs = append(evs, b...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].GrantID != "RP1" || evs[0].Host != "rp-9" || evs[0].Ref.Path != stdinName {
		t.Errorf("events %+v", evs)
	}
	if st := src.Stats()[0]; st.Format != "json" {
		t.Errorf("stdin format %q", st.Format)
	}
}

func TestNeedles(t *testing.T) {
	evs, stats, err := readAll(t, []string{"testdata/samples"}, Options{Needles: []string{"2026112300000043", "0a0b0c0d00002a9f3b1c5e7a00000009"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Origin == ingest.OriginLog {
			got = append(got, ev.Rule)
		}
	}
	want := "sent-timeout sent-failed consumed dead-letter"
	if strings.Join(got, " ") != want {
		t.Errorf("rules %q, want %q", strings.Join(got, " "), want)
	}
	st := statsOf(t, stats, "redpacket-1.json.log")
	if st.Malformed != 0 || st.Matched != 2 {
		t.Errorf("with needles, lines without them are ignored, not parsed: %+v", st)
	}
}

func TestEmitErrorStops(t *testing.T) {
	src, err := NewSource([]string{"testdata/samples", "testdata/edge"}, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	calls := 0
	err = src.Read(context.Background(), func([]ingest.Event) error { calls++; return boom })
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("err = %v after %d calls, want boom after 1", err, calls)
	}
}

func TestCancel(t *testing.T) {
	src, err := NewSource([]string{"testdata/samples"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := src.Read(ctx, func([]ingest.Event) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestForcedFormatAndFallbackSource(t *testing.T) {
	dir := t.TempDir()
	// A JSON file no source's paths name: it goes to the first json source.
	path := filepath.Join(dir, "whatever.txt")
	os.WriteFile(path, []byte(`{"@timestamp":"2026-11-23T16:15:02.171+08:00","message":"red packet granted","orderId":"56","redPacketId":"RP2"}`+"\n"), 0o644)
	evs, stats, err := readAll(t, []string{path}, Options{})
	if err != nil || len(evs) != 1 || evs[0].Rule != "granted" || stats[0].Format != "json" {
		t.Errorf("fallback: evs %v stats %+v err %v", evs, stats, err)
	}
	// Forcing logback on it makes every line malformed.
	_, stats, _ = readAll(t, []string{path}, Options{Format: "logback"})
	if stats[0].Malformed != 1 || stats[0].Format != "logback" {
		t.Errorf("forced: stats %+v", stats[0])
	}
}

func TestReadRefs(t *testing.T) {
	evs, _, err := readAll(t, []string{"testdata/samples/order-service"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var refs []ingest.Ref
	for _, ev := range evs {
		refs = append(refs, ev.Ref)
	}
	refs = append(refs, refs[0]) // a duplicate
	raw, err := ReadRefs(refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		text := raw[ev.Ref]
		if !strings.HasPrefix(text, "2026-11-23 ") {
			t.Errorf("%s: raw %q", ev.Ref, text)
		}
		if ev.Rule == "sent-failed" {
			lines := strings.Split(text, "\n")
			if len(lines) != 6 || !strings.HasPrefix(lines[1], "org.apache.rocketmq.client.exception.MQBrokerException") || lines[5] != "\t... 12 more" {
				t.Errorf("stack trace not attached: %q", lines)
			}
		} else if strings.Contains(text, "\n") {
			t.Errorf("%s: unexpected continuation %q", ev.Ref, text)
		}
	}
	gz := raw[ingest.Ref{Path: "testdata/samples/order-service/order-1.2026-11-23.0.log.gz", Line: 1, Offset: 0}]
	if !strings.Contains(gz, "orderId=2026112300000040") {
		t.Errorf("gz ref = %q", gz)
	}
	_, err = ReadRefs([]ingest.Ref{{Path: "testdata/nope.log", Line: 1}, {Path: "testdata/edge/order-9.log", Line: 9, Offset: 5000}})
	if err == nil || !strings.Contains(err.Error(), "testdata/nope.log") || !strings.Contains(err.Error(), "past the end") {
		t.Errorf("err = %v", err)
	}
}

func TestCheck(t *testing.T) {
	rep, err := Check(context.Background(), []string{"testdata/samples"}, Options{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Files) != 4 || rep.Profile != "built-in" {
		t.Fatalf("report %+v", rep)
	}
	f := rep.Files[1] // order-1.log
	if f.Source != "order-service" || len(f.Matched) != 2 || len(f.Unmatched) != 2 {
		t.Errorf("order-1.log: %+v", f)
	}
	if f.Matched[0].Event.Rule != "paid" || f.Matched[0].Line != 2 || f.Unmatched[0].Line != 1 {
		t.Errorf("order-1.log lines: %+v", f)
	}
	if got := EventIDs(f.Matched[0].Event); got != "order_id=2026112300000042 host=order-1 user_id=u88231 amount=35.00" {
		t.Errorf("EventIDs = %q", got)
	}
}

// TestBadFieldValue: a value a rule finds but cannot use (a queue offset that is not a number) is counted and
// described, and the event is kept without it.
func TestBadFieldValue(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "order-1.log")
	line := "2026-11-23 08:15:02.131 INFO  [main] c.h.order.PaySuccessProducer - send pay-success ok orderId=42 key=42 msgId=AB status=SEND_OK broker=broker-a queueId=3 queueOffset=ten\n"
	if err := os.WriteFile(p, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := NewSource([]string{p}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var evs []ingest.Event
	if err := src.Read(context.Background(), func(b []ingest.Event) error { evs = append(evs, b...); return nil }); err != nil {
		t.Fatal(err)
	}
	st := src.Stats()[0]
	if len(evs) != 1 || evs[0].QueueID != 3 || evs[0].QueueOffset != -1 || st.BadFields != 1 || st.Matched != 1 {
		t.Fatalf("events %+v, stats %+v", evs, st)
	}
	if len(st.Examples) != 1 || !strings.Contains(st.Examples[0], `order-1.log:1: queue_offset: "ten" is not a number`) {
		t.Errorf("examples %q", st.Examples)
	}
}
