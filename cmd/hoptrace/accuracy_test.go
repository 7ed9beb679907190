package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
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

type auditRow struct {
	OrderID    string `json:"order_id"`
	Verdict    string `json:"verdict"`
	MissingHop string `json:"missing_hop"`
	Confidence string `json:"confidence"`
	Reason     string `json:"reason"`
}

func readNDJSON(t testing.TB, s string) map[string]auditRow {
	t.Helper()
	out := map[string]auditRow{}
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r auditRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad ndjson line %q: %v", sc.Text(), err)
		}
		out[r.OrderID] = r
	}
	return out
}

// compare checks every truth row against the audit, and prints a confusion matrix with three examples per
// wrong cell on failure.
func compare(t *testing.T, truth map[string][2]string, got map[string]auditRow) {
	t.Helper()
	type cell struct{ want, got string }
	confusion := map[cell][]string{}
	perClass := map[string]int{}
	wrong := 0
	for id, tr := range truth {
		perClass[tr[0]]++
		g, ok := got[id]
		gv := g.Verdict
		if !ok {
			gv = "MISSING"
		}
		if gv != tr[0] || (ok && g.MissingHop != tr[1]) {
			wrong++
			if gv == tr[0] {
				gv += " (missing_hop " + g.MissingHop + ", want " + tr[1] + ")"
			}
		}
		confusion[cell{tr[0], gv}] = append(confusion[cell{tr[0], gv}], id)
	}
	if wrong == 0 {
		return
	}
	var cells []cell
	for c := range confusion {
		cells = append(cells, c)
	}
	sort.Slice(cells, func(i, j int) bool {
		if cells[i].want != cells[j].want {
			return cells[i].want < cells[j].want
		}
		return cells[i].got < cells[j].got
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d orders wrong. Confusion (truth -> audit: count, examples):\n", wrong, len(truth))
	for _, c := range cells {
		ids := confusion[c]
		sort.Strings(ids)
		mark := "  "
		if c.want != c.got {
			mark = "✗ "
		}
		ex := ""
		if c.want != c.got {
			n := min(3, len(ids))
			var parts []string
			for _, id := range ids[:n] {
				parts = append(parts, fmt.Sprintf("%s (%q)", id, got[id].Reason))
			}
			ex = "  e.g. " + strings.Join(parts, "; ")
		}
		fmt.Fprintf(&b, "%s%-17s -> %-17s %6d%s\n", mark, c.want, c.got, len(ids), ex)
	}
	t.Error(b.String())
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
			dir := filepath.Join(t.TempDir(), "day")
			if code, _, stderr := run(t, "gen", "--orders", orders, "--seed", seed, "--out", dir); code != 0 {
				t.Fatalf("gen exit %d: %s", code, stderr)
			}
			code, out, stderr := run(t, "audit", filepath.Join(dir, "logs"), "--format", "ndjson", "--only", "all")
			if code != 0 {
				t.Fatalf("audit exit %d: %s", code, stderr)
			}
			compare(t, readTruth(t, filepath.Join(dir, "truth.csv")), readNDJSON(t, out))
		})
	}
}
