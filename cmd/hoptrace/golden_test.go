package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestGolden renders the bundled sample as a user sees it: the audit report and one order of each kind of loss.
// Run `go test ./cmd/hoptrace -run TestGolden -update` after an intended change, and read the diff.
func TestGolden(t *testing.T) {
	logs := sampleLogs(t)
	tests := []struct {
		name string
		args []string
	}{
		{"audit.txt", []string{"audit", logs}},
		{"audit-lost_in_broker.csv", []string{"audit", logs, "--only", "lost_in_broker", "--format", "csv"}},
		{"order-lost_in_broker.txt", []string{"order", "2026112300001832", logs}},
		{"order-lost_in_consumer.txt", []string{"order", "2026112300000956", logs, "--no-raw"}},
		{"order-ok.json", []string{"order", "2026112300000042", logs, "--format", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := run(t, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			path := filepath.Join("testdata", "golden", tt.name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), out); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}
