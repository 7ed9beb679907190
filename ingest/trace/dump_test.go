package trace

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hoptrace/hoptrace/ingest"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/*.golden")
	gen    = flag.Bool("gen", false, "rewrite testdata/*.dump from the encoders in encode_test.go")
)

const (
	t0       = int64(1764057600000) // 2025-11-25T08:00:00Z
	producer = "order-producer"
	consumer = "redpacket-consumer"
	broker   = "127.0.0.1:10911"
)

func oid(n int) string   { return fmt.Sprintf("7F0000010F2C18B4AAC2A1B2C3D4%04X", n) }
func offid(n int) string { return fmt.Sprintf("7F00000100002A9F00000000000%05X", n*0x200) }
func okey(n int) string  { return fmt.Sprintf("ORDER-20261125-%04d", n) }

// dumpFiles builds the testdata dumps. bodies.dump: trace bodies back to back as in the topic, Go and Java
// layouts, ending in a truncated record. lines.dump: one body per line with CRLF, the Java short SubAfter layouts,
// pairing in both orders and malformed lines.
func dumpFiles() map[string]string {
	var raw strings.Builder
	// Order 1, Go client end to end: stored, delivered, consumed.
	raw.WriteString(goEncode(goCtx{typ: TypePub, ts: t0 + 1, region: "DefaultRegion", group: producer, cost: 3, success: true,
		beans: []goBean{{topic: "pay_success", msgID: oid(1), offsetMsgID: offid(1), keys: okey(1), storeHost: broker,
			clientHost: "10.0.0.7", bodyLength: 96}}}))
	raw.WriteString(goEncode(goCtx{typ: TypeSubBefore, ts: t0 + 30, region: "DefaultRegion", group: consumer, requestID: "REQ-GO-1",
		beans: []goBean{{msgID: oid(1), keys: okey(1), clientHost: "10.0.0.9"}}}) +
		goEncode(goCtx{typ: TypeSubAfter, ts: t0 + 45, region: "DefaultRegion", group: consumer, requestID: "REQ-GO-1", cost: 15,
			success: true, beans: []goBean{{msgID: oid(1), keys: okey(1), clientHost: "10.0.0.9"}}}))
	// Orders 2 and 3, Java producer: 3 got FLUSH_SLAVE_TIMEOUT (success=false) and was never consumed.
	raw.WriteString(javaEncode(javaCtx{typ: TypePub, ts: t0 + 100, region: "DefaultRegion", group: producer, cost: 2, success: true,
		beans: []javaBean{{topic: "pay_success", msgID: oid(2), offsetMsgID: offid(2), tags: "null", keys: okey(2), storeHost: broker, bodyLength: 96}}}) +
		javaEncode(javaCtx{typ: TypePub, ts: t0 + 110, region: "DefaultRegion", group: producer, cost: 3002,
			beans: []javaBean{{topic: "pay_success", msgID: oid(3), offsetMsgID: offid(3), tags: "paid", keys: okey(3) + " PAY-3", storeHost: broker, bodyLength: 96}}}))
	// Order 2, Java consumer, first delivery fails, the retry succeeds.
	raw.WriteString(javaEncode(javaCtx{typ: TypeSubBefore, ts: t0 + 130, region: "DefaultRegion", group: consumer, requestID: "REQ-J-1",
		beans: []javaBean{{msgID: oid(2), keys: okey(2)}}}) +
		javaEncode(javaCtx{typ: TypeSubAfter, ts: t0 + 140, group: consumer, requestID: "REQ-J-1", cost: 10, contextCode: 2,
			beans: []javaBean{{msgID: oid(2), keys: okey(2)}}}) +
		javaEncode(javaCtx{typ: TypeSubBefore, ts: t0 + 10140, region: "DefaultRegion", group: consumer, requestID: "REQ-J-2",
			beans: []javaBean{{msgID: oid(2), keys: okey(2), retryTimes: 1}}}) +
		javaEncode(javaCtx{typ: TypeSubAfter, ts: t0 + 10150, group: consumer, requestID: "REQ-J-2", cost: 10, success: true,
			beans: []javaBean{{msgID: oid(2), keys: okey(2)}}}))
	// Orders 4-7: transactions and recalls (Java only).
	tx := func(n int, state string) string {
		return javaEncode(javaCtx{typ: TypeEndTransaction, ts: t0 + int64(200+n), region: "DefaultRegion", group: producer,
			beans: []javaBean{{topic: "pay_success", msgID: oid(n), tags: "null", keys: okey(n), storeHost: broker, msgType: 2,
				transactionID: fmt.Sprintf("TX%d", n), transactionState: state}}})
	}
	recall := func(n int, ok bool) string {
		return javaEncode(javaCtx{typ: TypeRecall, ts: t0 + int64(300+n), region: "DefaultRegion", group: producer, success: ok,
			beans: []javaBean{{topic: "pay_success", msgID: oid(n)}}})
	}
	raw.WriteString(tx(4, StateCommit) + tx(5, StateRollback) + tx(6, StateUnknown) + recall(7, true) + recall(8, false))
	// A body cut short by the dump: the last record has no terminator.
	last := goEncode(goCtx{typ: TypePub, ts: t0 + 400, region: "DefaultRegion", group: producer, cost: 1, success: true,
		beans: []goBean{{topic: "pay_success", msgID: oid(9), offsetMsgID: offid(9), keys: okey(9), storeHost: broker, clientHost: "10.0.0.7"}}})
	raw.WriteString(last[:len(last)/2])

	var lines strings.Builder
	line := func(body string) { lines.WriteString(body + "\r\n") }
	// Order 10: Java cloud SubAfter (no time, no group) arrives before its SubBefore.
	line(javaEncode(javaCtx{typ: TypeSubAfter, requestID: "REQ-J-3", cost: 7, success: true, cloud: true,
		beans: []javaBean{{msgID: oid(10), keys: okey(10)}, {msgID: oid(11), keys: "null"}}}))
	// Orders 10 and 11 delivered in one batch (one requestId).
	line(javaEncode(javaCtx{typ: TypeSubBefore, ts: t0 + 500, region: "DefaultRegion", group: consumer, requestID: "REQ-J-3",
		beans: []javaBean{{msgID: oid(10), keys: okey(10)}, {msgID: oid(11), keys: okey(11)}}}))
	// Order 12, Java 4.9.1 consumer: SubBefore then a 7-field SubAfter that returned null.
	line(javaEncode(javaCtx{typ: TypeSubBefore, ts: t0 + 600, region: "DefaultRegion", group: consumer, requestID: "REQ-J-4",
		beans: []javaBean{{msgID: oid(12), keys: okey(12)}}}) +
		javaSubAfterOld(javaCtx{typ: TypeSubAfter, requestID: "REQ-J-4", cost: 3, contextCode: 3,
			beans: []javaBean{{msgID: oid(12), keys: okey(12)}}}))
	// Order 13, Go producer printing a lower-case msgId, two keys.
	line(goEncode(goCtx{typ: TypePub, ts: t0 + 700, region: "DefaultRegion", group: producer, cost: 4, success: true,
		beans: []goBean{{topic: "pay_success", msgID: strings.ToLower(oid(13)), offsetMsgID: strings.ToLower(offid(13)),
			keys: okey(13) + " PAY-13", storeHost: broker, clientHost: "10.0.0.8", bodyLength: 96}}}))
	// A line cut before its record's terminator.
	line(javaEncode(javaCtx{typ: TypeSubBefore, ts: t0 + 800, group: consumer, requestID: "REQ-J-5",
		beans: []javaBean{{msgID: oid(14), keys: okey(14)}}})[:40])
	line("")
	// A Pub missing its offsetMsgId (13 fields), then a Go SubBefore of a message without keys (redelivery).
	line("Pub\x01" + fmt.Sprint(t0+900) + "\x01DefaultRegion\x01" + producer + "\x01pay_success\x01" + oid(15) + "\x01\x01" + okey(15) +
		"\x01" + broker + "\x0196\x013\x010\x01true\x02" +
		goEncode(goCtx{typ: TypeSubBefore, ts: t0 + 950, region: "DefaultRegion", group: consumer, requestID: "REQ-GO-2",
			beans: []goBean{{msgID: oid(16), retryTimes: 1, clientHost: "10.0.0.9"}}}))
	// Java 5.1.4-5.3.0 cloud SubAfter without a terminator, running into the next record.
	line(javaSubAfterCloudMerged(javaCtx{typ: TypeSubAfter, requestID: "REQ-GO-2", cost: 2, contextCode: 1, success: true,
		beans: []javaBean{{msgID: oid(16), keys: "null"}}}) +
		javaEncode(javaCtx{typ: TypeRecall, ts: t0 + 990, region: "DefaultRegion", group: producer, success: true,
			beans: []javaBean{{topic: "pay_success", msgID: oid(17)}}}))
	// Binary garbage.
	line("\x1f\x8b\x08\x00\xde\xad\xbe\xef\x02")
	return map[string]string{"bodies.dump": raw.String(), "lines.dump": lines.String()}
}

func TestGenerateDumps(t *testing.T) {
	if !*gen {
		t.Skip("run with -gen to rewrite testdata/*.dump")
	}
	for name, data := range dumpFiles() {
		if err := os.WriteFile(filepath.Join("testdata", name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// render writes events and stats in a stable, readable form for golden files.
func render(events []ingest.Event, st ingest.Stats) string {
	var b strings.Builder
	for _, ev := range events {
		fmt.Fprintf(&b, "record %d @%d %s %s %s", ev.Ref.Line, ev.Ref.Offset, ev.Rule, ev.Hop, ev.Status)
		if ev.Time != 0 {
			fmt.Fprintf(&b, " time=%s", time.Unix(0, ev.Time).UTC().Format("15:04:05.000"))
		}
		for _, f := range []struct{ k, v string }{{"msgId", ev.MsgID}, {"offsetMsgId", ev.OffsetMsgID},
			{"keys", strings.Join(ev.Keys, ",")}, {"topic", ev.Topic}, {"group", ev.Group}, {"broker", ev.Broker},
			{"host", ev.Host}, {"result", ev.Result}, {"error", ev.Error}} {
			if f.v != "" {
				fmt.Fprintf(&b, " %s=%q", f.k, f.v)
			}
		}
		if ev.Retry != 0 {
			fmt.Fprintf(&b, " retry=%d", ev.Retry)
		}
		if ev.QueueID != -1 || ev.QueueOffset != -1 || ev.Origin != ingest.OriginTrace || ev.Ref.Path != st.Path {
			fmt.Fprintf(&b, " UNEXPECTED queue=%d/%d origin=%s path=%s", ev.QueueID, ev.QueueOffset, ev.Origin, ev.Ref.Path)
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "-- stats\nformat=%s bytes=%d lines=%d matched=%d ignored=%d malformed=%d events=%d\n",
		st.Format, st.Bytes, st.Lines, st.Matched, st.Ignored, st.Malformed, st.Events)
	fmt.Fprintf(&b, "span=%s..%s\n", time.Unix(0, st.FirstTime).UTC().Format(time.RFC3339Nano),
		time.Unix(0, st.LastTime).UTC().Format(time.RFC3339Nano))
	for _, ex := range st.Examples {
		fmt.Fprintf(&b, "malformed: %q\n", ex)
	}
	return b.String()
}

func readDumpString(t testing.TB, data []byte, path string) ([]ingest.Event, ingest.Stats, error) {
	t.Helper()
	var events []ingest.Event
	st := ingest.Stats{Path: path}
	err := ReadDump(bytes.NewReader(data), path, ingest.NewInterner(), &st, func(ev ingest.Event) { events = append(events, ev) })
	return events, st, err
}

func checkAccounting(t testing.TB, st ingest.Stats) {
	t.Helper()
	if st.Lines != st.Matched+st.Ignored+st.Malformed {
		t.Errorf("lines %d != matched %d + ignored %d + malformed %d", st.Lines, st.Matched, st.Ignored, st.Malformed)
	}
	if st.Events != st.Matched {
		t.Errorf("events %d != matched %d", st.Events, st.Matched)
	}
}

func TestReadDumpGolden(t *testing.T) {
	dumps, _ := filepath.Glob("testdata/*.dump")
	if len(dumps) == 0 {
		t.Fatal("no testdata/*.dump (run with -gen)")
	}
	for _, path := range dumps {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := dumpFiles()[filepath.Base(path)]; ok && want != string(data) {
				t.Errorf("%s differs from what the encoders build (run with -gen)", path)
			}
			events, st, err := readDumpString(t, data, path)
			if err != nil {
				t.Fatal(err)
			}
			checkAccounting(t, st)
			got := render(events, st)
			golden := strings.TrimSuffix(path, ".dump") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}

			// The same dump gzipped reads the same; so does a reader that returns one byte at a time.
			var zb bytes.Buffer
			zw := gzip.NewWriter(&zb)
			zw.Write(data)
			zw.Close()
			zevents, zst, err := readDumpString(t, zb.Bytes(), path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, render(zevents, zst)); diff != "" {
				t.Errorf("gzipped dump reads differently (-plain +gzip):\n%s", diff)
			}
			var oevents []ingest.Event
			ost := ingest.Stats{Path: path}
			err = ReadDump(iotestOneByte{bytes.NewReader(data)}, path, nil, &ost, func(ev ingest.Event) { oevents = append(oevents, ev) })
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(got, render(oevents, ost)); diff != "" {
				t.Errorf("one-byte reads differ (-want +got):\n%s", diff)
			}
		})
	}
}

type iotestOneByte struct{ r io.Reader }

func (o iotestOneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

// DecodeBody and ReadDump agree on a single body.
func TestReadDumpMatchesDecodeBody(t *testing.T) {
	body := []byte(dumpFiles()["bodies.dump"])
	recs, bad := DecodeBody(body)
	_, st, err := readDumpString(t, body, "x")
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(recs)) != st.Matched+st.Ignored || int64(len(bad)) != st.Malformed {
		t.Errorf("DecodeBody: %d good, %d bad; ReadDump: %+v", len(recs), len(bad), st)
	}
}

func TestReadDumpMalformed(t *testing.T) {
	good := javaEncode(javaCtx{typ: TypeRecall, ts: ts, success: true, beans: []javaBean{{msgID: "A"}}})
	tests := []struct {
		name      string
		data      string
		lines     int64
		malformed int64
		example   string // first example
	}{
		{"empty file", "", 0, 0, ""},
		{"blank lines", "\n\r\n\n", 0, 0, ""},
		{"wrong field count", good + "SubBefore\x011\x02" + good, 3, 1, "d:record 2: SubBefore record has 2 fields, want 8 (Java) or 9 (Go)"},
		{"non-numeric timestamp", strings.Replace(good, "1764057600123", "now", 1), 1, 1,
			`d:record 1: Recall: timestamp "now" is not a timestamp in milliseconds`},
		{"truncated last record", good + good[:20], 2, 1, `d:record 2: truncated last record: no \x02 terminator`},
		{"truncated line", good[:20] + "\n" + good + "\n", 2, 1, `d:record 1: truncated record: the line ends before the \x02 terminator`},
		{"binary garbage", "\x00\x01\x02\x03\x04\xff\n\x02", 2, 2, `d:record 1: unknown record type "\x00"`},
		{"over-long record", strings.Repeat("x", MaxRecordLen+10) + "\x02" + good, 2, 1,
			fmt.Sprintf("d:record 1: record longer than %d bytes without \\x02 or a line end", MaxRecordLen)},
		{"over-long tail at EOF", good + strings.Repeat("x", 2*MaxRecordLen+10), 2, 1,
			fmt.Sprintf("d:record 2: record longer than %d bytes without \\x02 or a line end", MaxRecordLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, st, err := readDumpString(t, []byte(tt.data), "d")
			if err != nil {
				t.Fatal(err)
			}
			checkAccounting(t, st)
			if st.Lines != tt.lines || st.Malformed != tt.malformed {
				t.Errorf("lines %d malformed %d, want %d %d (%q)", st.Lines, st.Malformed, tt.lines, tt.malformed, st.Examples)
			}
			first := ""
			if len(st.Examples) > 0 {
				first = st.Examples[0]
			}
			if first != tt.example {
				t.Errorf("first example %q, want %q", first, tt.example)
			}
			if st.Bytes != int64(len(tt.data)) {
				t.Errorf("bytes %d, want %d", st.Bytes, len(tt.data))
			}
		})
	}
}

var errDisk = errors.New("disk on fire")

type failingReader struct {
	data []byte
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, errDisk
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReadDumpErrors(t *testing.T) {
	good := javaEncode(javaCtx{typ: TypeRecall, ts: ts, success: true, beans: []javaBean{{msgID: "A"}}})
	var st ingest.Stats
	n := 0
	err := ReadDump(&failingReader{[]byte(good + good)}, "d", nil, &st, func(ingest.Event) { n++ })
	if !errors.Is(err, errDisk) || n != 2 || !strings.Contains(err.Error(), "read trace dump d") {
		t.Errorf("ReadDump = %v after %d events, want the read error after 2", err, n)
	}
	err = ReadDump(strings.NewReader("\x1f\x8bnot gzip"), "d.gz", nil, &st, func(ingest.Event) {})
	if !errors.Is(err, ingest.ErrBadInput) {
		t.Errorf("ReadDump(bad gzip) = %v, want ErrBadInput", err)
	}
}

// genReader produces n copies of a body without holding them.
type genReader struct {
	body []byte
	n    int
	pos  int
}

func (g *genReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if g.n == 0 {
			if total == 0 {
				return 0, io.EOF
			}
			break
		}
		c := copy(p, g.body[g.pos:])
		p, g.pos, total = p[c:], g.pos+c, total+c
		if g.pos == len(g.body) {
			g.pos, g.n = 0, g.n-1
		}
	}
	return total, nil
}

func benchBody() []byte {
	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteString(goEncode(goCtx{typ: TypePub, ts: t0 + int64(i), region: "DefaultRegion", group: producer, cost: 3, success: true,
			beans: []goBean{{topic: "pay_success", msgID: oid(i), offsetMsgID: offid(i), keys: okey(i), storeHost: broker, clientHost: "10.0.0.7", bodyLength: 96}}}))
		b.WriteString(javaEncode(javaCtx{typ: TypeSubBefore, ts: t0 + 30, region: "DefaultRegion", group: consumer, requestID: fmt.Sprint("R", i),
			beans: []javaBean{{msgID: oid(i), keys: okey(i)}}}))
		b.WriteString(javaEncode(javaCtx{typ: TypeSubAfter, ts: t0 + 45, group: consumer, requestID: fmt.Sprint("R", i), cost: 15, success: true,
			beans: []javaBean{{msgID: oid(i), keys: okey(i)}}}))
	}
	b.WriteString("\n")
	return []byte(b.String())
}

// TestReadDumpStreams reads ~60 MB without holding it: the heap must not grow with the input.
func TestReadDumpStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("large input")
	}
	body := benchBody()
	n := 60 << 20 / len(body)
	var st ingest.Stats
	var events int64
	var peak uint64
	var ms runtime.MemStats
	err := ReadDump(&genReader{body: body, n: n}, "big", ingest.NewInterner(), &st, func(ingest.Event) {
		if events++; events%(1<<16) == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if peak > 64<<20 {
		t.Errorf("heap in use reached %d MiB reading %d MiB", peak>>20, st.Bytes>>20)
	}
	checkAccounting(t, st)
	if st.Lines != int64(60*n) || events != st.Lines || st.Bytes != int64(n*len(body)) {
		t.Errorf("lines %d events %d bytes %d, want %d records of %d bytes", st.Lines, events, st.Bytes, 60*n, n*len(body))
	}
}

func BenchmarkReadDump(b *testing.B) {
	body := benchBody()
	const copies = 200
	b.SetBytes(int64(copies * len(body)))
	b.ReportAllocs()
	in := ingest.NewInterner()
	for b.Loop() {
		var st ingest.Stats
		if err := ReadDump(&genReader{body: body, n: copies}, "bench", in, &st, func(ingest.Event) {}); err != nil {
			b.Fatal(err)
		}
	}
}

func fuzzSeeds(f *testing.F) {
	for _, data := range dumpFiles() {
		f.Add([]byte(data))
	}
	f.Add([]byte(upstreamGoPub))
	f.Add([]byte(""))
	f.Add([]byte("SubAfter\x01r\x01m\x011\x01true\x01k\x010\x01Pub\x01"))
}

func FuzzDecodeBody(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, bad := DecodeBody(body)
		for _, r := range recs {
			switch r.Type {
			case TypePub, TypeSubBefore, TypeSubAfter, TypeEndTransaction, TypeRecall:
			default:
				t.Errorf("decoded a record of type %q", r.Type)
			}
			r.Event(nil, ingest.Ref{})
		}
		if len(recs) == 0 && len(bad) == 0 {
			t.Errorf("DecodeBody(%q) returned nothing at all", body)
		}
	})
}

func FuzzReadDump(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var st ingest.Stats
		var events int64
		if err := ReadDump(bytes.NewReader(data), "fuzz", nil, &st, func(ingest.Event) { events++ }); err != nil {
			if !errors.Is(err, ingest.ErrBadInput) && !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
				t.Fatalf("ReadDump: %v", err)
			}
			return
		}
		checkAccounting(t, st)
		if events != st.Events {
			t.Errorf("emitted %d events, stats say %d", events, st.Events)
		}
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			recs, bad := DecodeBody(data)
			nbad := int64(len(bad))
			if len(bad) == 1 && errors.Is(bad[0], ErrEmptyBody) {
				nbad = 0
			}
			// DecodeBody does not treat \n as the end of a body; without one they must agree.
			if !bytes.ContainsRune(data, '\n') && (int64(len(recs)) != st.Matched+st.Ignored || nbad != st.Malformed) {
				t.Errorf("DecodeBody %d good %d bad; ReadDump %+v", len(recs), nbad, st)
			}
		}
	})
}
