package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoptrace/hoptrace/fixtures"
)

// testEnv runs Main with buffers instead of the terminal.
func testEnv() (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) },
	}, &out, &errb
}

func run(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	e, out, errb := testEnv()
	code := Main(args, e)
	return code, out.String(), errb.String()
}

// readTruth reads a generator's truth.csv: order_id -> verdict and missing hop.
func readTruth(t testing.TB, path string) map[string][2]string {
	t.Helper()
	rows, err := fixtures.ReadTruth(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][2]string, len(rows))
	for _, r := range rows {
		out[r.OrderID] = [2]string{r.Verdict, r.MissingHop}
	}
	return out
}

type auditRow = fixtures.Audited

func readNDJSON(t testing.TB, s string) map[string]auditRow {
	t.Helper()
	got, err := fixtures.ReadAudit(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestAccuracy generates whole days with known truth and checks that the audit gets every order right. It is
// the measure that matters most: a wrong verdict is the worst bug hoptrace can have.
func TestAccuracy(t *testing.T) {
	orders := "50000"
	seeds := []string{"1", "7", "2026"}
	if testing.Short() {
		orders, seeds = "5000", []string{"77"}
	}
	for _, seed := range seeds {
		t.Run("seed="+seed, func(t *testing.T) {
			dir := genDay(t, orders, seed)
			auditAgainstTruth(t, dir, "")
		})
	}
}

// genDay generates a day and returns its directory (logs/ and truth.csv).
func genDay(t *testing.T, orders, seed string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "day")
	if code, _, stderr := run(t, "gen", "--orders", orders, "--seed", seed, "--out", dir); code != 0 {
		t.Fatalf("gen exit %d: %s", code, stderr)
	}
	return dir
}

// auditAgainstTruth audits dir's logs (with extra flags) as NDJSON, fails on any order whose verdict is not the
// truth's (what names the case in the message), and returns the audit's stderr.
func auditAgainstTruth(t *testing.T, dir, what string, flags ...string) string {
	t.Helper()
	args := append([]string{"audit", filepath.Join(dir, "logs")}, flags...)
	code, out, stderr := run(t, append(args, "--format", "ndjson", "--only", "all")...)
	if code != 0 {
		t.Fatalf("audit exit %d: %s", code, stderr)
	}
	truth, err := fixtures.ReadTruth(filepath.Join(dir, "truth.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if wrong, table := fixtures.Compare(truth, readNDJSON(t, out)); wrong > 0 {
		t.Errorf("%d of %d orders wrong%s. Confusion:\n%s", wrong, len(truth), what, table)
	}
	return stderr
}

// TestAccuracyWrongZone: the order-service logs' stamps carry no zone. Read in the wrong one (a profile without
// their timezone, and --tz off by eight hours), the producers' events move by hours, and messages sent just
// before the end of the day looked lost instead of in flight. The RocketMQ traces' epoch times show the
// offset: the verdicts must stay right, and a warning must say what was corrected.
func TestAccuracyWrongZone(t *testing.T) {
	dir := genDay(t, "5000", "5")
	code, prof, stderr := run(t, "profile", "default")
	if code != 0 {
		t.Fatalf("profile default exit %d: %s", code, stderr)
	}
	var kept []string
	for _, line := range strings.Split(prof, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "timezone:") {
			continue // the user forgot to say the zone of the order-service logs
		}
		kept = append(kept, line)
	}
	profile := filepath.Join(t.TempDir(), "no-zone.yaml")
	if err := os.WriteFile(profile, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr = auditAgainstTruth(t, dir, " with the order-service logs read 8h off", "--profile", profile, "--tz", "Asia/Shanghai")
	for _, host := range []string{"order-1", "order-2"} {
		if !strings.Contains(stderr, "warning: "+host+"'s time stamps are 8h0m0s behind the RocketMQ traces' clock") {
			t.Errorf("no warning that %s was read in the wrong zone; stderr:\n%s", host, stderr)
		}
	}
}
