package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestUsageErrors checks that every mistake in how hoptrace is called exits 2 with an error that says what is
// wrong and a hint saying what to try.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"audit without sources", []string{"audit"}, "no sources"},
		{"audit, path that does not exist", []string{"audit", "/nonexistent/hoptrace/logs"}, "/nonexistent/hoptrace/logs"},
		{"bad format", []string{"audit", "--format", "xml", "x"}, `unknown --format "xml"`},
		{"bad only", []string{"audit", "--only", "lost", "x"}, `unknown --only value "lost"`},
		{"bad from", []string{"audit", "--from", "yesterday", "x"}, "bad --from"},
		{"from after to", []string{"audit", "--from", "2026-11-24", "--to", "2026-11-23", "x"}, "is not before --to"},
		{"bad tz", []string{"audit", "--tz", "Mars/Olympus", "x"}, "bad --tz"},
		{"bad grace", []string{"audit", "--grace", "-1m", "x"}, "--grace must be positive"},
		{"unknown flag", []string{"audit", "--frobnicate"}, "unknown flag"},
		{"order without id", []string{"order"}, "missing the order ID"},
		{"order without sources", []string{"order", "42"}, "missing the sources"},
		{"bad profile path", []string{"audit", "--profile", "/nonexistent/p.yaml", "x"}, "/nonexistent/p.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not mention %q", stderr, tt.want)
			}
			if !strings.Contains(stderr, "Try: ") {
				t.Errorf("stderr %q has no hint", stderr)
			}
		})
	}
}

func TestOrderNotFound(t *testing.T) {
	code, _, stderr := run(t, "order", "NO-SUCH-ORDER", sampleLogs(t))
	if code != exitUsage || !strings.Contains(stderr, `order "NO-SUCH-ORDER" not found`) {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "version")
	if code != 0 || !strings.HasPrefix(out, "hoptrace ") {
		t.Errorf("exit %d, out %q", code, out)
	}
}

func TestFailOnBroken(t *testing.T) {
	logs := sampleLogs(t)
	if code, _, stderr := run(t, "audit", logs, "--format", "csv"); code != exitOK {
		t.Errorf("without --fail-on-broken: exit %d (%s)", code, stderr)
	}
	code, _, stderr := run(t, "audit", logs, "--format", "csv", "--fail-on-broken")
	if code != exitBroken || !strings.Contains(stderr, "broken orders found") {
		t.Errorf("with --fail-on-broken: exit %d (%s)", code, stderr)
	}
}

func TestRemediate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "owed.csv")
	code, _, stderr := run(t, "audit", sampleLogs(t), "--format", "csv", "--remediate", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if lines[0] != "order_id,user_id,amount,idempotency_key,verdict,confidence,reason" || len(lines) < 2 {
		t.Fatalf("remediation file:\n%s", b)
	}
	for _, l := range lines[1:] {
		for _, notOwed := range []string{",ok,", ",in_flight,", ",duplicate_grant,", ",orphan,", ",unknown,"} {
			if strings.Contains(l, notOwed) {
				t.Errorf("not owed but listed: %s", l)
			}
		}
	}
}

func sampleLogs(t *testing.T) string {
	t.Helper()
	p := filepath.Join("..", "..", "fixtures", "sample", "logs")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the bundled sample is missing: %v", err)
	}
	return p
}

// TestStrangerLogs reads logs in formats hoptrace was not written for (logfmt with other field names, log4j with
// bracketed stamps in another zone) through a profile only, as README's "Your own logs" shows.
func TestStrangerLogs(t *testing.T) {
	dir := filepath.Join("testdata", "stranger")
	code, out, stderr := run(t, "audit", "--profile", filepath.Join(dir, "profile.yaml"),
		filepath.Join(dir, "checkout"), filepath.Join(dir, "bonus"), "--format", "ndjson", "--only", "all")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := readNDJSON(t, out)
	want := map[string]string{"A100": "ok", "A101": "send_failed", "A102": "grant_failed", "A103": "ok"}
	for id, v := range want {
		if got[id].Verdict != v {
			t.Errorf("%s: %s (%s), want %s", id, got[id].Verdict, got[id].Reason, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d orders, want %d", len(got), len(want))
	}
}

// TestOrderMatchesTruth opens one order of every verdict of the bundled sample with `hoptrace order` and checks
// the verdict and missing hop against the generator's truth: support must see what the audit sees.
func TestOrderMatchesTruth(t *testing.T) {
	truth := readTruth(t, filepath.Join("..", "..", "fixtures", "sample", "truth.csv"))
	perVerdict := map[string]string{}
	ids := make([]string, 0, len(truth))
	for id := range truth {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, ok := perVerdict[truth[id][0]]; !ok {
			perVerdict[truth[id][0]] = id
		}
	}
	if len(perVerdict) < 11 {
		t.Errorf("the sample has %d verdict classes, want all 11", len(perVerdict))
	}
	for v, id := range perVerdict {
		t.Run(v, func(t *testing.T) {
			code, out, stderr := run(t, "order", id, sampleLogs(t), "--format", "json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got struct {
				Verdict    string `json:"verdict"`
				MissingHop string `json:"missing_hop"`
				Timeline   []struct {
					Hop     string `json:"hop"`
					Missing bool   `json:"missing"`
				} `json:"timeline"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if got.Verdict != v || got.MissingHop != truth[id][1] {
				t.Errorf("%s: got %s [%s], want %s [%s]", id, got.Verdict, got.MissingHop, v, truth[id][1])
			}
			missing := 0
			for _, s := range got.Timeline {
				if s.Missing {
					missing++
					if s.Hop != got.MissingHop {
						t.Errorf("timeline marks %s missing, verdict says %s", s.Hop, got.MissingHop)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[got.MissingHop != ""]; missing != want {
				t.Errorf("%d missing steps in the timeline, want %d", missing, want)
			}
		})
	}
}

// TestWindowFlags audits a slice of the sample day: events outside it are not used, and "now" is --to.
func TestWindowFlags(t *testing.T) {
	code, out, stderr := run(t, "audit", sampleLogs(t), "--from", "2026-11-23T10:00:00Z", "--to", "2026-11-23T11:00:00Z", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var a struct {
		Window struct {
			From, To string
			Explicit bool
		} `json:"window"`
		Outside int `json:"events_outside_window"`
		Counts  map[string]int
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if !a.Window.Explicit || a.Window.To != "2026-11-23T11:00:00Z" || a.Outside == 0 {
		t.Errorf("window %+v, outside %d", a.Window, a.Outside)
	}
	total := 0
	for _, n := range a.Counts {
		total += n
	}
	if total == 0 || total >= 3000 {
		t.Errorf("%d orders in a one-hour window of a 3,000-order day", total)
	}
}

// TestBadInputsNamedOnTheCommandLine: a file the user named that cannot be read is reported by name and makes
// the exit code 2, while the rest is still audited; a directory's stray non-log files are only skipped.
func TestBadInputsNamedOnTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "core.dump")
	if err := os.WriteFile(bin, []byte("\x7fELF\x00\x00\x01binary"), 0o644); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "app.log.gz")
	if err := os.WriteFile(gz, []byte("\x1f\x8b\x08\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "audit", sampleLogs(t), bin, gz)
	if code != exitUsage {
		t.Errorf("exit %d, want %d", code, exitUsage)
	}
	for _, want := range []string{"core.dump: binary file, not a log", "app.log.gz"} {
		if !strings.Contains(out+stderr, want) {
			t.Errorf("output does not name %q:\n%s\n%s", want, out, stderr)
		}
	}
	if !strings.Contains(out, "orders  3000") {
		t.Errorf("the readable inputs were not audited:\n%s", out)
	}
	// The same files found by reading a directory: skipped, exit 0.
	if err := os.Remove(gz); err != nil {
		t.Fatal(err)
	}
	code, out, _ = run(t, "audit", dir)
	if code != 0 || !strings.Contains(out, "skipped: "+bin) {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestProfileCommands(t *testing.T) {
	code, out, _ := run(t, "profile", "default")
	if code != 0 || !strings.Contains(out, "version: 1") || !strings.Contains(out, "sources:") {
		t.Fatalf("profile default: exit %d\n%s", code, out)
	}
	// The printed default is a valid profile: check it against the sample's order-service logs.
	p := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "profile", "check", "--profile", p, "--sample", "3", filepath.Join(sampleLogs(t), "order-service", "order-1.log"))
	if code != 0 {
		t.Fatalf("profile check: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"matched (first 3)", "sent/ok", "2026-11-23 ", "order_id="} {
		if !strings.Contains(out, want) {
			t.Errorf("profile check output lacks %q:\n%s", want, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nsources:\n  - name: x\n    rules:\n      - name: r\n        contains: a\n        hop: sended\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run(t, "profile", "check", "--profile", bad, sampleLogs(t))
	if code != exitUsage || !strings.Contains(stderr, `line 7: rule "r": unknown hop "sended"`) {
		t.Errorf("bad profile: exit %d: %s", code, stderr)
	}
}

func TestCaptureUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"capture", "-o", "x"}, "capture needs --namesrv"},
		{[]string{"capture", "--namesrv", "127.0.0.1:1", "--topic", "t", "--group", "g"}, "capture needs -o DIR"},
		{[]string{"capture", "--namesrv", "127.0.0.1:1", "--topic", "t", "--group", "g", "-o", "x", "--from", "soon"}, "valid --from"},
		{[]string{"capture", "--namesrv", "127.0.0.1:1", "-o", "x", "--from", "2026-11-23", "--to", "2026-11-24"}, "needs --topic"},
		{[]string{"capture", "--namesrv", "127.0.0.1:1", "--topic", "t", "--group", "g", "-o", t.TempDir(), "--from", "2026-11-23", "--to", "2026-11-24"}, "connection refused"},
	} {
		code, _, stderr := run(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d: %s", tt.args, code, stderr)
		}
	}
}

// TestSecretsNeverPrinted: an ACL secret given any way never shows in output or errors.
func TestSecretsNeverPrinted(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "sk")
	if err := os.WriteFile(keyFile, []byte("FILE-SECRET-42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{
		{"--access-key", "AK", "--secret-key", "FLAG-SECRET-42"},
		{"--access-key", "AK", "--secret-key-file", keyFile},
		{"--secret-key", "FLAG-SECRET-42"}, // half the pair: an error that must not echo it
	} {
		args := append([]string{"audit", sampleLogs(t), "--namesrv", "127.0.0.1:1", "--topic", "t", "--group", "g"}, extra...)
		code, out, stderr := run(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d", extra, code)
		}
		if strings.Contains(out+stderr, "SECRET-42") {
			t.Errorf("%v: the secret was printed:\n%s%s", extra, out, stderr)
		}
	}
}
