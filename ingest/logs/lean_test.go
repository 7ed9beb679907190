package logs

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLeanPrefilterSameResult: a JSON file of events only skips the literal prefilter after its first lines;
// events and the line accounting must be exactly those of the prefiltered read, noise and broken lines included.
func TestLeanPrefilterSameResult(t *testing.T) {
	var b bytes.Buffer
	line := func(i int, msg, extra string) {
		fmt.Fprintf(&b, `{"@timestamp":"2026-11-23T10:%02d:%02d.000Z","log.level":"INFO","host.name":"redpacket-1","message":%q%s}`+"\n", i/60%60, i%60, msg, extra)
	}
	for i := 0; i < 5000; i++ {
		line(i, "received pay-success message", fmt.Sprintf(`,"mq":{"msgId":"0a0b%08x","keys":"%d"}`, i, 2026112300000000+i))
	}
	for i := 0; i < 50; i++ {
		line(i, "health check", `,"status":"UP"`)                                                // noise: ignored
		b.WriteString("hello, not json\n")                                                       // no literal: malformed (not an object)
		b.WriteString("{not json at all}\n")                                                     // no literal, looks like an object: ignored
		b.WriteString(`{"message":"red packet granted","orderId":"1"` + "\n")                    // a broken event: malformed
		line(i, "red packet granted", fmt.Sprintf(`,"orderId":"%d","redPacketId":"RP%d"`, i, i)) // an event
	}
	b.WriteString(`{"message":"consume result","msgId":"0A0B`) // truncated last line
	path := filepath.Join(t.TempDir(), "redpacket-1.json.log")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	lean, leanStats, err := readAll(t, []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func(n int) { leanSample = n }(leanSample)
	leanSample = 1 << 40 // never decides: the prefiltered read
	full, fullStats, err := readAll(t, []string{path}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fullStats, leanStats); diff != "" {
		t.Errorf("stats differ (-prefiltered +lean):\n%s", diff)
	}
	if diff := cmp.Diff(full, lean); diff != "" {
		t.Errorf("events differ (-prefiltered +lean):\n%s", diff)
	}
	if s := leanStats[0]; s.Matched != 5050 || s.Malformed != 101 || s.Ignored != 100 {
		t.Errorf("accounting: matched %d malformed %d ignored %d, want 5050, 101, 100", s.Matched, s.Malformed, s.Ignored)
	}
}
