package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoptrace/hoptrace/ingest"
	"github.com/hoptrace/hoptrace/ingest/logs"
)

func init() { subcommands = append(subcommands, newProfileCmd) }

func newProfileCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Write and test a log profile: how hoptrace reads your logs",
		Long: `A log profile (YAML) says which files belong to which service and which log lines prove which hop
(paid, sent, stored, delivered, consumed, granted, dead_letter). Start from the built-in one, edit it for your
own wordings and field names, and check it on a few files before an audit.`,
		Example: `  hoptrace profile default > my-logs.yaml
  hoptrace profile check --profile my-logs.yaml /var/log/order-service/app.log`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return usagef("hoptrace profile --help", "name a subcommand: check or default")
		},
	}
	cmd.AddCommand(newProfileCheckCmd(e), newProfileDefaultCmd(e))
	return cmd
}

type profileCheckOptions struct {
	Profile string
	Sample  int
	Format  string
	TZ      string
	Paths   []string
}

func newProfileCheckCmd(e *env) *cobra.Command {
	opts := &profileCheckOptions{}
	cmd := &cobra.Command{
		Use:   "check [--profile p.yaml] [--sample N] FILES...",
		Short: "Show which rule each log line matches and what it extracts",
		Long: `check reads the files (or directories, globs, - for stdin) with a profile and shows, per file, the first
N lines each rule turned into an event (rule, hop/status and the identifiers extracted), the first N lines
that matched no rule, and the counts. A bad profile is reported with its line number (exit code 2).`,
		Example: `  hoptrace profile check fixtures/sample/logs
  hoptrace profile check --profile my-logs.yaml --sample 5 /var/log/order-service/app.log`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Paths = args
			return profileCheckRun(c, e, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Profile, "profile", "", "log profile (YAML); default: the built-in one")
	cmd.Flags().IntVar(&opts.Sample, "sample", 10, "lines to show per file, matched and unmatched")
	cmd.Flags().StringVar(&opts.Format, "input-format", "", "force the format of every file: logback, json, logfmt or trace (default: detected per file)")
	cmd.Flags().StringVar(&opts.TZ, "tz", "UTC", "time zone of log stamps that carry none, e.g. Asia/Shanghai or +08:00")
	return cmd
}

func profileCheckRun(c *cobra.Command, e *env, opts *profileCheckOptions) error {
	if len(opts.Paths) == 0 {
		return usagef("hoptrace profile check [--profile p.yaml] FILES...", "give at least one log file or directory to check")
	}
	if opts.Sample < 0 {
		return usagef("hoptrace profile check --sample 10 FILES...", "--sample must be 0 or more")
	}
	switch opts.Format {
	case "", "logback", "json", "logfmt", "trace":
	default:
		return usagef("--input-format logback|json|logfmt|trace", "unknown --input-format %q", opts.Format)
	}
	lopt := logs.Options{Format: opts.Format}
	if opts.Profile != "" {
		p, err := logs.Load(opts.Profile)
		if err != nil {
			return usagef("fix the profile, then: hoptrace profile check --profile "+opts.Profile+" FILES...", "%v", err)
		}
		lopt.Profile = p
	}
	loc, err := parseZone(opts.TZ) // shared with the other commands (sources.go)
	if err != nil {
		return usagef("--tz Asia/Shanghai, --tz +08:00 or --tz UTC", "bad --tz %q: %v", opts.TZ, err)
	}
	lopt.TZ = loc
	rep, err := logs.Check(c.Context(), opts.Paths, lopt, opts.Sample)
	if rep == nil {
		if errors.Is(err, ingest.ErrNoInput) {
			return usagef("hoptrace profile check PATH... (files, directories or globs)", "%v", err)
		}
		return err
	}
	writeCheckReport(e.Stdout, rep)
	return err
}

func writeCheckReport(w io.Writer, rep *logs.CheckReport) {
	fmt.Fprintf(w, "profile: %s\n", rep.Profile)
	for _, f := range rep.Files {
		st := f.Stats
		fmt.Fprintf(w, "\n== %s", f.Path)
		var about []string
		if f.Source != "" {
			about = append(about, "source "+f.Source)
		}
		if st.Format != "" {
			about = append(about, "format "+st.Format)
		}
		if len(about) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(about, ", "))
		}
		fmt.Fprintln(w)
		if st.Err != "" {
			fmt.Fprintf(w, "   not read: %s\n", st.Err)
			continue
		}
		if st.Skipped != "" {
			fmt.Fprintf(w, "   skipped: %s\n", st.Skipped)
			continue
		}
		if len(f.Matched) > 0 {
			fmt.Fprintf(w, "matched (first %d):\n", len(f.Matched))
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			for _, l := range f.Matched {
				ev := l.Event
				when := "no time"
				if ev.Time != 0 {
					when = time.Unix(0, ev.Time).UTC().Format("2006-01-02 15:04:05.000Z")
				}
				fmt.Fprintf(tw, "  %d\t%s\t%s\t%s/%s\t%s\n", l.Line, when, ev.Rule, ev.Hop, ev.Status, logs.EventIDs(ev))
			}
			tw.Flush()
		}
		if len(f.Unmatched) > 0 {
			fmt.Fprintf(w, "no rule matched (first %d):\n", len(f.Unmatched))
			for _, l := range f.Unmatched {
				fmt.Fprintf(w, "  %d\t%s\n", l.Line, clipLine(l.Text, 160))
			}
		}
		for _, ex := range st.Examples {
			fmt.Fprintf(w, "malformed: %s\n", ex)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "lines\tmatched\tignored\tmalformed\tevents\tformat\tfile")
	var tot ingest.Stats
	for _, f := range rep.Files {
		st := f.Stats
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%s\t%s\n", st.Lines, st.Matched, st.Ignored, st.Malformed, st.Events, st.Format, st.Path)
		tot.Lines += st.Lines
		tot.Matched += st.Matched
		tot.Ignored += st.Ignored
		tot.Malformed += st.Malformed
		tot.Events += st.Events
	}
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t\t%s\n", tot.Lines, tot.Matched, tot.Ignored, tot.Malformed, tot.Events, "total")
	tw.Flush()
}

func clipLine(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func newProfileDefaultCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "default",
		Short: "Print the built-in log profile, the starting point for your own",
		Example: `  hoptrace profile default > my-logs.yaml
  hoptrace profile check --profile my-logs.yaml /var/log/order-service/`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := e.Stdout.Write(logs.DefaultYAML())
			return err
		},
	}
}
