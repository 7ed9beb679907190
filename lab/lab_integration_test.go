package lab_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoptrace/hoptrace/fixtures"
)

// TestLabEndToEnd runs the real-broker lab: it fetches the RocketMQ jars (cached), starts a name server and a
// broker on loopback, runs every loss scenario for real (go run ./lab/cmd/rmqlab), then audits the logs with
// `hoptrace audit` (plus the live broker when the audit has --namesrv) and compares every order's verdict with
// the lab's truth.csv. Budget: under 8 minutes on 2 cores (measured: about 1.5 minutes with warm caches).
func TestLabEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("real-broker lab: skipped under -short")
	}
	for _, tool := range []string{"java", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("real-broker lab: %s not found (install JDK 17 and Maven to run it)", tool)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "lab", "rocketmq.sh")
	start := time.Now()
	step := func(name string, t0 time.Time) { t.Logf("%-28s %6.1fs", name, time.Since(t0).Seconds()) }

	t0 := time.Now()
	if out, err := exec.Command("bash", script, "fetch").CombinedOutput(); err != nil {
		if _, lerr := exec.LookPath("mvn"); lerr != nil {
			t.Skipf("real-broker lab: RocketMQ jars missing and mvn not found: %s", out)
		}
		t.Fatalf("lab/rocketmq.sh fetch: %v\n%s", err, out)
	}
	step("fetch jars", t0)

	// The lab's output is kept when the test fails, for a look at the logs.
	dir, err := os.MkdirTemp("", "hoptrace-lab-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lab output kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	labDir := filepath.Join(dir, "broker")
	out := filepath.Join(dir, "out")
	t.Cleanup(func() {
		if b, err := exec.Command("bash", script, "stop", labDir).CombinedOutput(); err != nil {
			t.Logf("stop lab: %v\n%s", err, b)
		}
	})
	t0 = time.Now()
	runLogged(t, root, "bash", script, "start", labDir)
	step("start name server + broker", t0)

	t0 = time.Now()
	bin := filepath.Join(dir, "rmqlab")
	runLogged(t, root, "go", "build", "-o", bin, "./lab/cmd/rmqlab")
	step("build rmqlab", t0)

	t0 = time.Now()
	runLogged(t, root, bin, "-out", out, "-lab", labDir)
	step("run scenarios", t0)

	env := readEnv(t, filepath.Join(labDir, "lab.env"))
	hoptrace := filepath.Join(dir, "hoptrace")
	runLogged(t, root, "go", "build", "-o", hoptrace, "./cmd/hoptrace")
	truth := readTruth(t, filepath.Join(out, "truth.csv"))
	broker := []string{"--namesrv", env["NAMESRV_ADDR"], "--topic", "pay-success", "--group", "redpacket-consumer"}
	// The lab's day lasts about a minute: a grace of 10 s keeps the orders sent in its last seconds in flight
	// and lets the earlier ones count as lost.
	audit := []string{"audit", filepath.Join(out, "logs"), "--format", "ndjson", "--only", "all", "--grace", "10s"}

	t.Run("live broker", func(t *testing.T) {
		t0 := time.Now()
		got := readAudit(t, runHoptrace(t, root, hoptrace, append(append([]string{}, audit...), broker...)...))
		step("hoptrace audit --namesrv", t0)
		compare(t, truth, got, true)
	})

	t.Run("capture, then offline", func(t *testing.T) {
		t0 := time.Now()
		ev := filepath.Join(dir, "evidence")
		runHoptrace(t, root, hoptrace, append([]string{"capture", "-o", ev,
			"--from", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "--to", time.Now().Add(time.Minute).UTC().Format(time.RFC3339)}, broker...)...)
		got := readAudit(t, runHoptrace(t, root, hoptrace, append(append([]string{}, audit...), ev)...))
		step("capture + offline audit", t0)
		compare(t, truth, got, true)
	})

	t.Run("order with broker lookups", func(t *testing.T) {
		for _, want := range truth {
			id := want.OrderID
			if want.Verdict != "lost_in_broker" {
				continue
			}
			outp := runHoptrace(t, root, hoptrace, append([]string{"order", id, filepath.Join(out, "logs"), "--grace", "10s", "--format", "json"}, broker...)...)
			if !bytes.Contains(outp, []byte(`"verdict": "lost_in_broker"`)) || !bytes.Contains(outp, []byte("broker does not have the message")) {
				t.Errorf("order %s: want lost_in_broker with the broker's lookup as evidence:\n%s", id, outp)
			}
		}
	})
	step("total", start)
}

// runHoptrace runs the built binary and returns its stdout; a non-zero exit fails the test with stderr.
func runHoptrace(t *testing.T, dir, bin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hoptrace %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

func runLogged(t *testing.T, dir string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	if testing.Verbose() || err != nil {
		t.Logf("%s %s:\n%s", filepath.Base(name), strings.Join(args, " "), b)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func readEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			env[k] = v
		}
	}
	return env
}

func readTruth(t *testing.T, path string) []fixtures.TruthRow {
	t.Helper()
	rows, err := fixtures.ReadTruth(path)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func readAudit(t *testing.T, b []byte) map[string]fixtures.Audited {
	t.Helper()
	got, err := fixtures.ReadAudit(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// compare logs the confusion table (truth verdict x audited verdict) and fails when an order's verdict or missing
// hop differs from the truth.
func compare(t *testing.T, truth []fixtures.TruthRow, got map[string]fixtures.Audited, live bool) {
	t.Helper()
	wrong, table := fixtures.Compare(truth, got)
	t.Logf("confusion table (live broker facts: %v):\n%s", live, table)
	if wrong > 0 {
		t.Errorf("%d of %d orders wrong", wrong, len(truth))
	}
}
