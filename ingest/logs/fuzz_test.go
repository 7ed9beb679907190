package logs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoptrace/hoptrace/ingest"
)

// readBytes reads data as stdin with a forced format and checks the Lines accounting.
func readBytes(t *testing.T, data []byte, format string, prof *Profile) ([]ingest.Event, ingest.Stats) {
	t.Helper()
	src, err := NewSource([]string{"-"}, Options{Format: format, Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	src.stdin = bytes.NewReader(data)
	var evs []ingest.Event
	err = src.Read(context.Background(), func(b []ingest.Event) error { evs = append(evs, b...); return nil })
	st := src.Stats()[0]
	if err != nil && st.Err == "" {
		t.Fatalf("Read: %v without Stats.Err", err)
	}
	if st.Err != "" {
		return evs, st
	}
	if format != "trace" {
		checkAccounting(t, st)
		want := int64(bytes.Count(data, []byte("\n")))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			want++
		}
		if !isBinary(data) && st.Lines != want {
			t.Errorf("Lines = %d, want %d", st.Lines, want)
		}
		if int64(len(evs)) != st.Events {
			t.Errorf("%d events emitted, Stats.Events = %d", len(evs), st.Events)
		}
	}
	for _, ev := range evs {
		if ev.Ref.Line < 1 || ev.Ref.Offset < 0 || ev.Ref.Offset >= int64(len(data)) {
			t.Errorf("bad ref %+v", ev.Ref)
		}
	}
	return evs, st
}

func seedLines(f *testing.F, paths ...string) {
	for _, p := range paths {
		fh, err := os.Open(p)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			f.Add(sc.Text())
		}
		fh.Close()
	}
}

func FuzzTextLine(f *testing.F) {
	seedLines(f, "testdata/samples/order-service/order-1.log", "testdata/edge/order-badutf8.log", "testdata/edge/order-truncated.log")
	f.Add("2026-11-23 08:15:02.123 INFO - send pay-success failed error=\"unterminated timeout")
	f.Fuzz(func(t *testing.T, line string) {
		readBytes(t, []byte(line+"\n"+line), "logback", nil)
	})
}

func FuzzJSONLine(f *testing.F) {
	seedLines(f, "testdata/samples/redpacket-service/redpacket-1.json.log")
	f.Add(`{"message":"red packet granted","orderId":"1","a":[1,{"b":"\u00e9\ud83d\ude00"}],"n":null,"x":-1.5e3}`)
	f.Add(`{"mq.msgId":"a","mq":{"msgId":"b"}}`)
	f.Fuzz(func(t *testing.T, line string) {
		readBytes(t, []byte(line+"\n"+line), "json", nil)
		// The scanner agrees with encoding/json on what is one valid JSON object.
		s := newTestScanner("message", "mq.msgId", "a.b")
		err := s.scan([]byte(line))
		trimmed := strings.TrimSpace(line)
		valid := json.Valid([]byte(line)) && strings.HasPrefix(trimmed, "{")
		if err == nil && !valid {
			t.Errorf("scanner accepts %q, encoding/json does not", line)
		}
		if err != nil && valid && !strings.Contains(err.Error(), "nested too deep") {
			t.Errorf("scanner rejects valid %q: %v", line, err)
		}
	})
}

func FuzzLogfmtLine(f *testing.F) {
	seedLines(f, "testdata/logfmt/app.logfmt")
	prof, err := Load("testdata/profiles/logfmt.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		readBytes(t, []byte(line+"\n"+line), "logfmt", prof)
	})
}

func FuzzProfile(f *testing.F) {
	files, _ := filepath.Glob("testdata/profiles/*.yaml")
	files = append(files, "default.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	sample, err := os.ReadFile("testdata/samples/order-service/order-1.log")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "profile fuzz.yaml: ") {
				t.Errorf("error without the profile name: %v", err)
			}
			return
		}
		for _, format := range []string{"logback", "json", "logfmt"} {
			readBytes(t, sample, format, p)
		}
	})
}
