package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/hoptrace/hoptrace/correlate"
	"github.com/hoptrace/hoptrace/ingest"
	"github.com/hoptrace/hoptrace/report"
)

func init() { subcommands = append(subcommands, newAuditCmd) }

type auditOptions struct {
	inputFlags
	brokerFlags
	Paths        []string
	Format       string
	Output       string
	Only         string
	FailOnBroken bool
	Remediate    string
	NoProgress   bool
}

func newAuditCmd(e *env) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit [SOURCES...]",
		Short: "Classify every order of a window and cluster the broken ones into incidents",
		Long: `audit reads a whole window of evidence (log files, directories, globs, .gz, trace dumps; "-" for
stdin), joins it per order and gives every order a verdict: ok, in_flight, not_sent, send_failed,
lost_in_broker, lost_in_consumer, grant_failed, dead_lettered, duplicate_grant, orphan or unknown.

The text report shows counts per verdict, incidents, hop latency, evidence coverage and what was read
from each file. json, ndjson and csv are for scripts: ndjson and csv hold one row per order with at
least order_id, verdict, missing_hop and confidence.

Exit codes: 0 ok (also when broken orders were found, unless --fail-on-broken), 1 broken orders found
with --fail-on-broken, 2 usage or input error.`,
		Example: `  hoptrace audit fixtures/sample/logs
  hoptrace audit /var/log/order /var/log/redpacket --from 2026-11-23T00:00:00Z --to 2026-11-24T00:00:00Z
  hoptrace audit logs/ --format ndjson --only all -o audit.ndjson
  hoptrace audit logs/ --only lost_in_consumer --format csv
  hoptrace audit logs/ --remediate owed.csv --fail-on-broken
  hoptrace audit logs/ --namesrv 10.0.0.5:9876 --topic pay-success --group redpacket-consumer`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Paths = args
			return runAudit(cmd.Context(), e, o)
		},
	}
	o.inputFlags.register(cmd)
	o.brokerFlags.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "text", "output format: "+strings.Join(report.Formats, ", "))
	fl.StringVarP(&o.Output, "output", "o", "", "write the report to this file instead of stdout")
	fl.StringVar(&o.Only, "only", "broken", "orders to list: broken, all, or verdict names separated by commas (lost_in_broker,lost_in_consumer)")
	fl.BoolVar(&o.FailOnBroken, "fail-on-broken", false, "exit 1 when broken orders are found")
	fl.StringVar(&o.Remediate, "remediate", "", "write the orders whose red packet is owed (lost or failed, not in flight) to this CSV: a dry-run list for re-granting")
	fl.BoolVar(&o.NoProgress, "no-progress", false, "never show the progress bar")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(report.Formats, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runAudit(ctx context.Context, e *env, o *auditOptions) error {
	if len(o.Paths) == 0 {
		return usagef("hoptrace audit fixtures/sample/logs", "no sources: pass log files, directories or globs (or - for stdin)")
	}
	only, err := report.ParseFilter(o.Only)
	if err != nil {
		return usagef("--only broken, --only all or --only lost_in_broker,lost_in_consumer", "%v", err)
	}
	if !validFormat(o.Format) {
		return usagef("--format "+strings.Join(report.Formats, "|"), "unknown --format %q", o.Format)
	}
	opt, loc, err := o.inputFlags.options()
	if err != nil {
		return err
	}
	src, err := evidenceSource(ctx, e, &o.inputFlags, &o.brokerFlags, o.Paths, loc, &opt)
	if err != nil {
		return err
	}
	stop := startProgress(e, o.NoProgress, &opt)
	a, readErr := correlate.Run(ctx, src, opt)
	stop()
	if readErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %w", ctx.Err())
		}
		if a == nil {
			return readErr
		}
		// Some evidence could not be read: report what could be, then fail with the reason (exit 2).
	}
	if err := writeTo(e, o.Output, func(w io.Writer) error {
		return report.WriteAudit(w, a, report.AuditOptions{Format: o.Format, Only: only, Colour: o.Output == "" && e.colour()})
	}); err != nil {
		return err
	}
	if o.Format != "text" || (o.Output != "" && o.Output != "-") {
		// A script reading rows (or a report going to a file) must not hide what makes verdicts doubtful.
		printWarnings(e, a)
	}
	if o.Remediate != "" {
		n, err := writeRemediation(o.Remediate, a)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stderr, "remediation: %d owed orders written to %s (dry run: nothing was granted)\n", n, o.Remediate)
	}
	if readErr != nil {
		return fmt.Errorf("some evidence could not be read, the verdicts above are based on the rest: %w", readErr)
	}
	if hasUnreadable(a.Stats) {
		return fmt.Errorf("some inputs could not be read (see the INPUTS section); the verdicts above are based on the rest")
	}
	if o.FailOnBroken {
		if n := a.BrokenCount(); n > 0 {
			return &brokenError{n: n}
		}
	}
	return nil
}

// printWarnings writes the audit's warnings to stderr, one per line.
func printWarnings(e *env, a *correlate.Audit) {
	for _, w := range a.Warnings {
		fmt.Fprintf(e.Stderr, "warning: %s\n", w)
	}
}

func validFormat(f string) bool {
	for _, x := range report.Formats {
		if f == x {
			return true
		}
	}
	return false
}

func hasUnreadable(stats []ingest.Stats) bool {
	for _, s := range stats {
		if s.Err != "" {
			return true
		}
	}
	return false
}

// writeTo writes to the named file (see writeFile), or to stdout when path is "" or "-".
func writeTo(e *env, path string, write func(io.Writer) error) error {
	if path != "" && path != "-" {
		return writeFile(path, write)
	}
	bw := bufio.NewWriterSize(e.Stdout, 64<<10)
	if err := write(bw); err != nil {
		return err
	}
	return bw.Flush()
}

// writeFile writes a file atomically: a temp file beside it, renamed into place once complete, so an
// interrupted run never leaves half a report.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hoptrace-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 64<<10)
	if err := write(bw); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp makes it 0600; a report is for sharing
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeRemediation lists the orders whose red packet is owed, with the msgId as an idempotency key.
func writeRemediation(path string, a *correlate.Audit) (int, error) {
	n := 0
	err := writeFile(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"order_id", "user_id", "amount", "idempotency_key", "verdict", "confidence", "reason"})
		for _, c := range a.Cases {
			if !c.Verdict.Owed() || c.OrderID == "" {
				continue
			}
			key := c.OrderID
			if len(c.MsgIDs) > 0 {
				key = c.MsgIDs[len(c.MsgIDs)-1]
			}
			_ = cw.Write([]string{c.OrderID, c.UserID, c.Amount, key, string(c.Verdict), string(c.Confidence), c.Reason})
			n++
		}
		cw.Flush()
		return cw.Error()
	})
	return n, err
}

// startProgress shows a spinner with the count of events read on stderr, only on a terminal and only once the
// work has taken more than a second. It returns the function that clears it.
func startProgress(e *env, disabled bool, opt *correlate.Options) func() {
	if disabled || !e.StderrTTY {
		return func() {}
	}
	start := time.Now()
	var bar *progressbar.ProgressBar
	opt.OnEvents = func(n int64) {
		if bar == nil {
			if time.Since(start) < time.Second {
				return
			}
			bar = progressbar.NewOptions64(-1,
				progressbar.OptionSetWriter(e.Stderr),
				progressbar.OptionSetElapsedTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
				progressbar.OptionSpinnerType(14),
			)
		}
		bar.Describe(fmt.Sprintf("reading evidence: %d events", n))
		_ = bar.Set64(n)
	}
	opt.OnStage = func(stage string) {
		if bar != nil {
			bar.Describe(stage)
			_ = bar.Add64(1)
		}
	}
	return func() {
		if bar != nil {
			_ = bar.Finish()
			_ = bar.Clear()
		}
	}
}
