package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoptrace/hoptrace/correlate"
	"github.com/hoptrace/hoptrace/ingest"
	"github.com/hoptrace/hoptrace/ingest/logs"
)

// inputFlags are the flags every command that reads evidence shares.
type inputFlags struct {
	Profile string
	TZ      string
	Format  string
	From    string
	To      string
	Grace   time.Duration
}

func (f *inputFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.Profile, "profile", "", "log profile (YAML) mapping your log lines to hops; default: the built-in profile (see `hoptrace profile default`)")
	fl.StringVar(&f.TZ, "tz", "UTC", "time zone of log stamps that carry none, e.g. Asia/Shanghai or +08:00")
	fl.StringVar(&f.Format, "input-format", "", "force the format of every log file: logback, json, logfmt or trace (default: detected per file)")
	fl.StringVar(&f.From, "from", "", "start of the audited window, e.g. 2026-11-23T00:00:00Z or \"2026-11-23 10:00\" (default: the start of the data)")
	fl.StringVar(&f.To, "to", "", "end of the audited window; \"now\" for every verdict is this time, never the wall clock (default: the end of the data)")
	fl.DurationVar(&f.Grace, "grace", correlate.DefaultGrace, "a message sent less than this before the window's end is in_flight, not lost")
}

// options turns the flags into correlate options; errors are usage errors.
func (f *inputFlags) options() (correlate.Options, *time.Location, error) {
	loc, err := parseZone(f.TZ)
	if err != nil {
		return correlate.Options{}, nil, usagef("--tz Asia/Shanghai, --tz +08:00 or --tz UTC", "bad --tz %q: %v", f.TZ, err)
	}
	opt := correlate.Options{Grace: f.Grace}
	if f.Grace <= 0 {
		return opt, nil, usagef("--grace 10m", "--grace must be positive, got %s", f.Grace)
	}
	if opt.From, err = parseWhen(f.From, loc); err != nil {
		return opt, nil, usagef("--from 2026-11-23T00:00:00Z", "bad --from: %v", err)
	}
	if opt.To, err = parseWhen(f.To, loc); err != nil {
		return opt, nil, usagef("--to 2026-11-24T00:00:00Z", "bad --to: %v", err)
	}
	if !opt.From.IsZero() && !opt.To.IsZero() && !opt.From.Before(opt.To) {
		return opt, nil, usagef("--from 2026-11-23T00:00:00Z --to 2026-11-24T00:00:00Z", "--from %s is not before --to %s", f.From, f.To)
	}
	return opt, loc, nil
}

// logSource opens the log files (and trace dumps) named by paths.
func (f *inputFlags) logSource(paths []string, loc *time.Location, needles []string) (*logs.Source, error) {
	var prof *logs.Profile
	if f.Profile != "" {
		p, err := logs.Load(f.Profile)
		if err != nil {
			return nil, usagef("hoptrace profile check --profile "+f.Profile+" FILES", "%v", err)
		}
		prof = p
	}
	switch f.Format {
	case "", "logback", "json", "logfmt", "trace":
	default:
		return nil, usagef("--input-format logback|json|logfmt|trace", "unknown --input-format %q", f.Format)
	}
	src, err := logs.NewSource(paths, logs.Options{Profile: prof, TZ: loc, Format: f.Format, Needles: needles})
	if err != nil {
		if errors.Is(err, ingest.ErrNoInput) {
			return nil, usagef("pass log files, directories or globs, e.g. hoptrace audit fixtures/sample/logs", "%v", err)
		}
		return nil, err
	}
	return src, nil
}

func parseZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "utc") || s == "Z" {
		return time.UTC, nil
	}
	if s[0] == '+' || s[0] == '-' {
		t, err := time.Parse("-07:00", s)
		if err != nil {
			return nil, fmt.Errorf("want an offset like +08:00")
		}
		_, off := t.Zone()
		return time.FixedZone(s, off), nil
	}
	return time.LoadLocation(s)
}

var whenLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05.000", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

func parseWhen(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range whenLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want RFC 3339 like 2026-11-23T10:00:00Z, or \"2026-11-23 10:00:00\" in --tz)", s)
}
