package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hoptrace/hoptrace/correlate"
	"github.com/hoptrace/hoptrace/ingest"
)

// OrderOptions say how an order's timeline is shown.
type OrderOptions struct {
	Format string // text or json
	Colour bool
	// Raw holds the raw evidence lines by reference (from the sources), shown under the timeline. May be nil.
	Raw map[ingest.Ref]string
}

type stepJSON struct {
	Hop     string  `json:"hop"`
	Missing bool    `json:"missing,omitempty"`
	Time    string  `json:"time,omitempty"`
	GapMs   float64 `json:"gap_ms,omitempty"`
	SkewMs  float64 `json:"skew_corrected_ms,omitempty"`
	Status  string  `json:"status,omitempty"`
	Origin  string  `json:"origin,omitempty"`
	Host    string  `json:"host,omitempty"`
	Detail  string  `json:"detail,omitempty"`
	Source  string  `json:"source,omitempty"`
	Raw     string  `json:"raw,omitempty"`
}

type orderJSON struct {
	Row
	Timeline []stepJSON `json:"timeline"`
}

// WriteOrder renders one case: the verdict, the timeline with the missing hop highlighted, the evidence, and the
// raw lines behind it.
func WriteOrder(w io.Writer, c *correlate.Case, opt OrderOptions) error {
	steps := c.Timeline()
	if opt.Format == "json" {
		out := orderJSON{Row: RowOf(c), Timeline: []stepJSON{}}
		for _, s := range steps {
			j := stepJSON{Hop: s.Hop.String(), Missing: s.Missing}
			if s.Event != nil {
				e := s.Event
				if s.Time != 0 {
					j.Time = stamp(s.Time)
				}
				j.GapMs, j.SkewMs = ms(s.Gap), ms(s.Skew)
				j.Status, j.Origin, j.Host, j.Detail = e.Status.String(), e.Origin.String(), e.Host, detail(e)
				j.Source = refString(e.Ref)
				j.Raw = opt.Raw[e.Ref]
			}
			out.Timeline = append(out.Timeline, j)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if opt.Format != "" && opt.Format != "text" {
		return fmt.Errorf("unknown format %q (want text or json)", opt.Format)
	}

	p := &printer{w: w, colour: opt.Colour}
	head := strings.ToUpper(strings.ReplaceAll(string(c.Verdict), "_", " "))
	if c.Verdict.Broken() {
		head = p.red(head)
	} else if c.Verdict == correlate.OK {
		head = p.green(head)
	} else {
		head = p.yellow(head)
	}
	p.f("%s %s  %s", p.bold("Order"), p.bold(c.ID), head)
	if c.Missing != ingest.HopNone {
		p.f("  (missing hop: %s, confidence %s)", c.Missing, c.Confidence)
	} else {
		p.f("  (confidence %s)", c.Confidence)
	}
	p.f("\n%s.\n", capitalize(c.Reason))
	if c.UserID != "" || c.Amount != "" {
		p.f("user %s, amount %s", orNone(c.UserID), orNone(c.Amount))
		if len(c.MsgIDs) > 0 {
			p.f(", msgId %s", strings.Join(c.MsgIDs, " "))
		}
		p.f("\n")
	}
	p.f("\n")

	// The table is laid out in plain text, then whole rows are coloured: escape codes inside cells would count
	// as width and skew the columns.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  TIME (UTC)\tGAP\tHOP\tSTATUS\tHOST\tDETAIL\n")
	styles := []func(string) string{p.bold}
	var day string
	for _, s := range steps {
		if s.Missing {
			fmt.Fprintf(tw, "  %s\t\t%s\t%s\t\t%s\n", "✗", s.Hop, "MISSING", "this hop never happened")
			styles = append(styles, p.red)
			continue
		}
		e := s.Event
		t := "-"
		if s.Time != 0 {
			tt := time.Unix(0, s.Time).UTC()
			if d := tt.Format("2006-01-02"); d != day {
				day = d
				t = tt.Format("2006-01-02 15:04:05.000")
			} else {
				t = tt.Format("15:04:05.000")
			}
		}
		gap := ""
		if s.Gap != 0 {
			gap = "+" + short(s.Gap)
			if s.Gap < 0 {
				gap = short(s.Gap)
			}
		}
		det := detail(e)
		if s.Skew != 0 {
			det += fmt.Sprintf(" [clock +%s corrected]", short(s.Skew))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", t, gap, e.Hop, e.Status, orNone(e.Host), det)
		switch e.Status {
		case ingest.StatusFailed, ingest.StatusTimeout, ingest.StatusAbsent:
			styles = append(styles, p.yellow)
		default:
			styles = append(styles, func(s string) string { return s })
		}
	}
	tw.Flush()
	for i, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		p.f("%s\n", styles[i](line))
	}

	if len(c.Evidence) > 0 {
		p.f("\n%s\n", p.bold("Evidence"))
		for _, ev := range c.Evidence {
			if ev.Ref.Path != "" {
				p.f("  - %s  %s\n", ev.Text, p.dim("("+ev.Ref.String()+")"))
			} else {
				p.f("  - %s\n", ev.Text)
			}
		}
	}
	if len(opt.Raw) > 0 {
		p.f("\n%s\n", p.bold("Raw evidence"))
		for i := range c.Events {
			e := &c.Events[i]
			raw, ok := opt.Raw[e.Ref]
			if !ok {
				continue
			}
			p.f("  %s\n", p.dim(e.Ref.String()))
			for _, l := range strings.Split(strings.TrimRight(raw, "\n"), "\n") {
				p.f("    %s\n", printable(l))
			}
		}
	}
	return p.err
}

// detail is the one-line description of an event's identifiers and result.
func detail(e *ingest.Event) string {
	var parts []string
	if e.UserID != "" {
		parts = append(parts, "user "+e.UserID)
	}
	if e.Amount != "" {
		parts = append(parts, "amount "+e.Amount)
	}
	if e.MsgID != "" {
		parts = append(parts, "msgId "+e.MsgID)
	}
	if e.Broker != "" || e.QueueID >= 0 {
		pos := e.Broker
		if e.QueueID >= 0 {
			pos += fmt.Sprintf(" q%d", e.QueueID)
		}
		if e.QueueOffset >= 0 {
			pos += fmt.Sprintf(" @%d", e.QueueOffset)
		}
		parts = append(parts, strings.TrimSpace(pos))
	}
	if e.Topic != "" && strings.HasPrefix(e.Topic, "%") {
		parts = append(parts, e.Topic)
	}
	if e.Retry > 0 && (e.Hop == ingest.HopDelivered || e.Hop == ingest.HopConsumed) {
		parts = append(parts, fmt.Sprintf("reconsume %d", e.Retry))
	}
	if e.Result != "" {
		parts = append(parts, e.Result)
	}
	if e.GrantID != "" {
		parts = append(parts, "red packet "+e.GrantID)
	}
	if e.Error != "" {
		parts = append(parts, "error: "+e.Error)
	}
	if e.Origin != ingest.OriginLog {
		parts = append(parts, "["+e.Origin.String()+"]")
	}
	return strings.Join(parts, ", ")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// printable replaces control characters (trace separators, escape codes from a hostile log) so a raw line can
// not drive the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return r
		case r == 0x01:
			return '|'
		case r == 0x02:
			return '/'
		case r < 0x20 || r == 0x7f:
			return '?'
		}
		return r
	}, s)
}
