package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hoptrace/hoptrace/correlate"
	"github.com/hoptrace/hoptrace/ingest"
	"github.com/hoptrace/hoptrace/ingest/logs"
	"github.com/hoptrace/hoptrace/report"
)

func init() { subcommands = append(subcommands, newOrderCmd) }

type orderOptions struct {
	inputFlags
	brokerFlags
	ID     string
	Paths  []string
	Format string
	NoRaw  bool
}

func newOrderCmd(e *env) *cobra.Command {
	o := &orderOptions{}
	cmd := &cobra.Command{
		Use:   "order ID SOURCES...",
		Short: "Show one order's timeline, its verdict and the evidence behind it",
		Long: `order finds one order in the sources and prints its timeline: every hop with its time, host, status
and the gap since the previous hop, the missing hop highlighted, the verdict in a sentence a support
engineer can paste into a ticket, and the raw evidence lines with file:line.

ID may be an order ID, a msgId (any letter case) or a message key. The verdict is the one the audit
of the same sources gives: it reads the same window, so "now" is the end of the data (or --to).`,
		Example: `  hoptrace order 2026112300000042 fixtures/sample/logs
  hoptrace order 0A0B0C0D00002A9F3B1C5E7A00000001 /var/log/order /var/log/redpacket
  hoptrace order 2026112300000042 logs/ --format json
  hoptrace order 2026112300000042 logs/ --namesrv 10.0.0.5:9876 --topic pay-success --group redpacket-consumer`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("hoptrace order 2026112300000042 fixtures/sample/logs", "missing the order ID")
			}
			if len(args) == 1 {
				return usagef("hoptrace order "+args[0]+" fixtures/sample/logs", "missing the sources to search: pass log files, directories or globs")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID, o.Paths = args[0], args[1:]
			return runOrder(cmd.Context(), e, o)
		},
	}
	o.inputFlags.register(cmd)
	o.brokerFlags.register(cmd)
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&o.NoRaw, "no-raw", false, "do not show the raw evidence lines")
	return cmd
}

func runOrder(ctx context.Context, e *env, o *orderOptions) error {
	if o.Format != "text" && o.Format != "json" {
		return usagef("--format text|json", "unknown --format %q", o.Format)
	}
	opt, loc, err := o.inputFlags.options()
	if err != nil {
		return err
	}
	opt.Focus = o.ID
	src, err := evidenceSource(ctx, e, &o.inputFlags, &o.brokerFlags, o.Paths, loc, &opt)
	if err != nil {
		return err
	}
	a, readErr := correlate.Run(ctx, src, opt)
	if readErr != nil && (a == nil || ctx.Err() != nil) {
		return readErr
	}
	c := a.Find(o.ID)
	if c == nil {
		return usagef("check the ID, or widen the sources and the window (--from/--to); hoptrace audit --only all lists every order it found",
			"order %q not found in %d events read from %d inputs", o.ID, a.Events, len(a.Stats))
	}
	var raw map[ingest.Ref]string
	if !o.NoRaw {
		var refs []ingest.Ref
		for i := range c.Events {
			if c.Events[i].Origin == ingest.OriginLog {
				refs = append(refs, c.Events[i].Ref)
			}
		}
		raw, err = logs.ReadRefs(refs)
		if err != nil {
			fmt.Fprintf(e.Stderr, "warning: raw evidence lines: %v\n", err)
		}
	}
	if err := writeTo(e, "", func(w io.Writer) error {
		return report.WriteOrder(w, c, report.OrderOptions{Format: o.Format, Colour: e.colour(), Raw: raw})
	}); err != nil {
		return err
	}
	printWarnings(e, a) // what makes the day's times doubtful (a time zone, a skewed clock) concerns this order too
	if readErr != nil {
		return fmt.Errorf("some evidence could not be read, the verdict above is based on the rest: %w", readErr)
	}
	return nil
}
