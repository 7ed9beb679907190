package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/hoptrace/hoptrace/fixtures"
	"github.com/spf13/cobra"
)

func init() { subcommands = append(subcommands, newGenCmd) }

// genOptions is what `hoptrace gen` was asked to do.
type genOptions struct {
	Orders int
	Seed   int64
	Out    string
	Day    string
	Force  bool
}

func newGenCmd(e *env) *cobra.Command {
	opts := &genOptions{}
	cmd := &cobra.Command{
		Use:   "gen --out DIR",
		Short: "Generate a realistic day of logs and traces with known truth",
		Long: `gen writes one deterministic day of order-service logs (logback text, partly gzip-rotated),
red-packet-service logs (JSON lines), a RocketMQ trace dump, and truth.csv: the verdict and missing hop
hoptrace must find for every order. The same --seed and --orders give byte-identical output.

The day holds healthy orders and every kind of loss: orders never sent, sends that failed, a broker crash
that loses messages (with offset collisions and a rollback skip), a consumer that crashes, grant failures,
dead-lettered messages, duplicate grants, messages still in flight at the end of the day, orphans and
unknowns. The formats are described in fixtures/FORMATS.md.`,
		Example: `  hoptrace gen --out /tmp/day
  hoptrace gen --orders 1000000 --seed 7 --out /tmp/bigday
  hoptrace gen --orders 3000 --seed 20261123 --day 2026-11-23 --out fixtures/sample --force
  hoptrace audit /tmp/day/logs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return genRun(e, opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Orders, "orders", 2000, "orders in the day (truth.csv has one row per order)")
	f.Int64Var(&opts.Seed, "seed", 1, "random seed: the same seed and orders give the same bytes")
	f.StringVar(&opts.Out, "out", "", "output directory (required; must be empty or missing unless --force)")
	f.StringVar(&opts.Day, "day", "2026-11-23", "the day to generate, YYYY-MM-DD (UTC)")
	f.BoolVar(&opts.Force, "force", false, "write into a non-empty directory, overwriting the generated files")
	return cmd
}

func genRun(e *env, opts *genOptions) error {
	const hint = "hoptrace gen --help"
	if opts.Out == "" {
		return usagef("hoptrace gen --out /tmp/day", "--out is required: the directory to write the day into")
	}
	if opts.Orders <= 0 || opts.Orders > 99_999_999 {
		return usagef(hint, "--orders must be between 1 and 99999999, got %d", opts.Orders)
	}
	day, err := time.Parse("2006-01-02", opts.Day)
	if err != nil {
		return usagef("hoptrace gen --day 2026-11-23 --out DIR", "--day %q is not a date of the form YYYY-MM-DD", opts.Day)
	}
	if !opts.Force {
		empty, err := dirEmpty(opts.Out)
		if err != nil {
			return usagef(hint, "--out %s: %v", opts.Out, err)
		}
		if !empty {
			return usagef("hoptrace gen --out "+opts.Out+" --force", "%s is not empty: pass --force to write into it anyway", opts.Out)
		}
	}
	var progress func(done, total int)
	if e.StderrTTY {
		progress = func(done, total int) {
			fmt.Fprintf(e.Stderr, "\rgenerating: %d/%d orders", done, total)
			if done == total {
				fmt.Fprintln(e.Stderr)
			}
		}
	}
	start := time.Now()
	sum, err := fixtures.Generate(fixtures.GenOptions{Orders: opts.Orders, Seed: opts.Seed, Out: opts.Out, Day: day, Progress: progress})
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	printGenSummary(e.Stdout, opts, sum, time.Since(start))
	return nil
}

// dirEmpty reports whether dir is missing or holds no entries.
func dirEmpty(dir string) (bool, error) {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, fmt.Errorf("not a directory")
	}
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

func printGenSummary(w io.Writer, opts *genOptions, sum fixtures.Summary, took time.Duration) {
	fmt.Fprintf(w, "generated %d orders (seed %d, day %s) in %s\n", sum.Orders, opts.Seed, opts.Day, took.Round(time.Millisecond))
	order := map[string]int{}
	for i, v := range fixtures.Verdicts {
		order[v] = i
	}
	var names []string
	for v := range sum.Verdicts {
		names = append(names, v)
	}
	sort.Slice(names, func(i, j int) bool { return order[names[i]] < order[names[j]] })
	for _, v := range names {
		fmt.Fprintf(w, "  %-17s %8d\n", v, sum.Verdicts[v])
	}
	fmt.Fprintf(w, "wrote %d files, %s, to %s\n", len(sum.Files), humanBytes(sum.Bytes), opts.Out)
	fmt.Fprintf(w, "truth: %s\n", filepath.Join(opts.Out, "truth.csv"))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
