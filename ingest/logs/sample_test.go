package logs

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoptrace/hoptrace/ingest"
)

// sampleDir is the generated day of fixtures/ (written by `hoptrace gen`); the test skips when it is absent.
// HOPTRACE_SAMPLE_LOGS points it elsewhere (a bigger generated day).
const sampleDir = "../../fixtures/sample/logs"

// hopPhrases are the messages FORMATS.md names as hops, as they appear in the raw lines.
var hopPhrases = []string{
	"- payment callback ok, order paid ",
	"- send pay-success ok ",
	"- send pay-success failed ",
	`"message":"received pay-success message"`,
	`"message":"consume result"`,
	`"message":"red packet granted"`,
	`"message":"red packet already granted, skip"`,
	`"message":"grant red packet failed"`,
	`"message":"message exceeded max reconsume times, moved to DLQ"`,
}

func TestSampleFixtures(t *testing.T) {
	sampleDir := sampleDir
	if d := os.Getenv("HOPTRACE_SAMPLE_LOGS"); d != "" {
		sampleDir = d
	}
	if _, err := os.Stat(sampleDir); err != nil {
		t.Skipf("%s not generated yet", sampleDir)
	}
	evs, stats, err := readAll(t, []string{sampleDir}, Options{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var malformed int64
	for _, st := range stats {
		if st.Err != "" {
			t.Errorf("%s: %s", st.Path, st.Err)
		}
		if st.Format == "trace" {
			continue
		}
		malformed += st.Malformed
		if st.Malformed > 0 && !strings.Contains(st.Path, "redpacket-2") {
			t.Errorf("%s: %d malformed lines: %q", st.Path, st.Malformed, st.Examples)
		}
	}
	if malformed != 1 {
		t.Errorf("%d malformed lines, want exactly the truncated last line of redpacket-2", malformed)
	}
	got := map[string]int{}
	for _, ev := range evs {
		if ev.Origin == ingest.OriginLog {
			got[ev.Ref.Path]++
		}
	}
	for _, st := range stats {
		if st.Format == "trace" {
			continue
		}
		want := countHopLines(t, st.Path)
		if got[st.Path] != want {
			t.Errorf("%s: %d events, want %d (one per hop line of FORMATS.md)", st.Path, got[st.Path], want)
		}
	}
}

// countHopLines counts the complete lines of a file that carry one of the hop phrases.
func countHopLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	br := bufio.NewReaderSize(r, 1<<20)
	n := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			for _, p := range hopPhrases {
				if bytes.Contains(line, []byte(p)) {
					n++
					break
				}
			}
		}
		if err != nil {
			break
		}
	}
	return n
}
