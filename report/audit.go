package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/hoptrace/hoptrace/correlate"
)

// Formats lists the audit output formats.
var Formats = []string{"text", "json", "ndjson", "csv", "html"}

// AuditOptions say what an audit report shows.
type AuditOptions struct {
	Format string
	Only   Filter
	Colour bool
	// MaxListed caps the orders the text format lists (0 = 50); the machine formats list every matching order.
	MaxListed int
}

// WriteAudit renders an audit in the chosen format.
func WriteAudit(w io.Writer, a *correlate.Audit, opt AuditOptions) error {
	switch opt.Format {
	case "", "text":
		return writeAuditText(w, a, opt)
	case "json":
		return writeAuditJSON(w, a, opt)
	case "ndjson":
		return writeRows(w, a.Cases, func(b *bytes.Buffer, cs []*correlate.Case) error {
			var line []byte
			for _, c := range cs {
				if opt.Only.Match(c) {
					r := RowOf(c)
					line = r.AppendNDJSON(line[:0])
					b.Write(line)
				}
			}
			return nil
		})
	case "csv":
		return writeAuditCSV(w, a, opt)
	case "html":
		return writeAuditHTML(w, a, opt)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", opt.Format, strings.Join(Formats, ", "))
}

// CSVHeader is the header of the CSV format.
var CSVHeader = []string{"order_id", "verdict", "missing_hop", "confidence", "where", "at", "msg_ids", "user_id", "amount", "reason"}

func writeAuditCSV(w io.Writer, a *correlate.Audit, opt AuditOptions) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return writeRows(w, a.Cases, func(b *bytes.Buffer, cs []*correlate.Case) error {
		cw := csv.NewWriter(b)
		for _, c := range cs {
			if !opt.Only.Match(c) {
				continue
			}
			r := RowOf(c)
			if err := cw.Write([]string{r.OrderID, r.Verdict, r.MissingHop, r.Confidence, r.Where, r.At,
				strings.Join(r.MsgIDs, " "), r.UserID, r.Amount, r.Reason}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}

// rowChunk is how many orders one worker renders at a time.
const rowChunk = 4096

// writeRows renders cases a chunk at a time on every core and writes the chunks in order: the output is the
// same as rendering them one by one, a million rows take a fraction of the time.
func writeRows(w io.Writer, cases []*correlate.Case, render func(*bytes.Buffer, []*correlate.Case) error) error {
	n := (len(cases) + rowChunk - 1) / rowChunk
	if n <= 1 {
		var b bytes.Buffer
		if err := render(&b, cases); err != nil {
			return err
		}
		_, err := w.Write(b.Bytes())
		return err
	}
	workers := min(runtime.GOMAXPROCS(0), n)
	type chunk struct {
		buf  *bytes.Buffer
		err  error
		done chan struct{}
	}
	chunks := make([]chunk, n)
	for i := range chunks {
		chunks[i].done = make(chan struct{})
	}
	// A worker only runs ahead of the writer by a bounded number of chunks, so memory stays small.
	slots := make(chan struct{}, 4*workers)
	next := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			slots <- struct{}{}
			next <- i
		}
		close(next)
	}()
	pool := sync.Pool{New: func() any { return new(bytes.Buffer) }}
	for range workers {
		go func() {
			for i := range next {
				b := pool.Get().(*bytes.Buffer)
				b.Reset()
				cs := cases[i*rowChunk : min(len(cases), (i+1)*rowChunk)]
				chunks[i].buf, chunks[i].err = b, render(b, cs)
				close(chunks[i].done)
			}
		}()
	}
	var err error
	for i := range chunks {
		<-chunks[i].done
		if err == nil {
			err = chunks[i].err
		}
		if err == nil {
			_, err = w.Write(chunks[i].buf.Bytes())
		}
		pool.Put(chunks[i].buf)
		<-slots
	}
	return err
}

type auditJSON struct {
	Window     windowJSON     `json:"window"`
	Orders     int            `json:"orders"`
	Broken     int            `json:"broken"`
	Counts     map[string]int `json:"counts"`
	Incidents  []incidentJSON `json:"incidents"`
	Latency    []latencyJSON  `json:"latency"`
	Coverage   []coverageJSON `json:"coverage"`
	Skew       []skewJSON     `json:"clock_skew"`
	Inputs     []inputJSON    `json:"inputs"`
	Unattached int            `json:"unattached_events"`
	Outside    int64          `json:"events_outside_window"`
	Warnings   []string       `json:"warnings"`
	Rows       []Row          `json:"orders_listed"`
}

type windowJSON struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Grace    string `json:"grace"`
	Explicit bool   `json:"explicit"`
}

type incidentJSON struct {
	Verdict    string `json:"verdict"`
	Where      string `json:"where"`
	First      string `json:"first"`
	Last       string `json:"last"`
	Count      int    `json:"count"`
	FirstOrder string `json:"first_order"`
	LastOrder  string `json:"last_order"`
}

type latencyJSON struct {
	From  string  `json:"from"`
	To    string  `json:"to"`
	N     int     `json:"n"`
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	MaxMs float64 `json:"max_ms"`
}

type coverageJSON struct {
	Name    string `json:"name"`
	Present int    `json:"present"`
	Of      int    `json:"of"`
	Note    string `json:"note,omitempty"`
}

type skewJSON struct {
	Host     string  `json:"host"`
	BehindMs float64 `json:"behind_ms"`
	Applied  bool    `json:"corrected"`
}

type inputJSON struct {
	Path      string   `json:"path"`
	Format    string   `json:"format"`
	Bytes     int64    `json:"bytes"`
	Lines     int64    `json:"lines"`
	Matched   int64    `json:"matched"`
	Ignored   int64    `json:"ignored"`
	Malformed int64    `json:"malformed"`
	BadFields int64    `json:"bad_fields"`
	Events    int64    `json:"events"`
	Examples  []string `json:"problems,omitempty"`
	Error     string   `json:"error,omitempty"`
	Skipped   string   `json:"skipped,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func writeAuditJSON(w io.Writer, a *correlate.Audit, opt AuditOptions) error {
	out := auditJSON{
		Window: windowJSON{From: a.Window.From.Format(time.RFC3339Nano), To: a.Window.To.Format(time.RFC3339Nano),
			Grace: a.Grace.String(), Explicit: a.Window.Explicit},
		Orders: len(a.Cases), Broken: a.BrokenCount(), Counts: map[string]int{},
		Unattached: a.Unattached, Outside: a.Outside, Warnings: a.Warnings,
		Incidents: []incidentJSON{}, Latency: []latencyJSON{}, Coverage: []coverageJSON{}, Skew: []skewJSON{},
		Inputs: []inputJSON{}, Rows: []Row{},
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, v := range correlate.Verdicts() {
		out.Counts[string(v)] = a.Counts[v]
	}
	for _, i := range a.Incidents {
		out.Incidents = append(out.Incidents, incidentJSON{string(i.Verdict), i.Where, i.First.Format(time.RFC3339Nano),
			i.Last.Format(time.RFC3339Nano), i.Count, i.FirstOrder, i.LastOrder})
	}
	for _, l := range a.Latency {
		out.Latency = append(out.Latency, latencyJSON{l.From.String(), l.To.String(), l.N, ms(l.P50), ms(l.P99), ms(l.Max)})
	}
	for _, c := range a.Coverage {
		out.Coverage = append(out.Coverage, coverageJSON{c.Name, c.Present, c.Of, c.Note})
	}
	for _, s := range a.Skew {
		out.Skew = append(out.Skew, skewJSON{s.Host, ms(s.Behind), s.Applied})
	}
	for _, s := range a.Stats {
		out.Inputs = append(out.Inputs, inputJSON{s.Path, s.Format, s.Bytes, s.Lines, s.Matched, s.Ignored, s.Malformed, s.BadFields, s.Events, s.Examples, s.Err, s.Skipped})
	}
	for _, c := range a.Cases {
		if opt.Only.Match(c) {
			out.Rows = append(out.Rows, RowOf(c))
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeAuditText(w io.Writer, a *correlate.Audit, opt AuditOptions) error {
	p := &printer{w: w, colour: opt.Colour}
	total := len(a.Cases)
	p.f("%s\n", p.bold("hoptrace audit"))
	p.f("window  %s .. %s UTC (%s, grace %s%s)\n", a.Window.From.Format("2006-01-02 15:04:05.000"),
		a.Window.To.Format("2006-01-02 15:04:05.000"), a.Window.To.Sub(a.Window.From).Round(time.Second), a.Grace,
		map[bool]string{true: ", set by --from/--to", false: ", the span of the data"}[a.Window.Explicit])
	broken := a.BrokenCount()
	p.f("orders  %d: %d ok, %d in flight, %s (%s)\n\n", total, a.Counts[correlate.OK], a.Counts[correlate.InFlight],
		p.red(fmt.Sprintf("%d broken", broken)), rate(broken, total))

	p.f("  %-18s %8s %8s\n", "VERDICT", "ORDERS", "RATE")
	for _, v := range correlate.Verdicts() {
		if n := a.Counts[v]; n > 0 {
			p.f("  %-18s %8d %8s\n", v, n, rate(n, total))
		}
	}

	if len(a.Incidents) > 0 {
		p.f("\n%s\n", p.bold("INCIDENTS (broken or in-flight orders by verdict, place and time)"))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for i, in := range a.Incidents {
			if i == 10 {
				fmt.Fprintf(tw, "  ... %d more incidents (--format json lists all)\n", len(a.Incidents)-10)
				break
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s-%s\t%s\tfirst %s\tlast %s\n", in.Verdict, orNone(in.Where),
				in.First.Format("15:04:05"), in.Last.Format("15:04:05"), plural(in.Count, "order"), in.FirstOrder, in.LastOrder)
		}
		tw.Flush()
	}

	if len(a.Latency) > 0 {
		p.f("\n%s\n", p.bold("HOP LATENCY (ok orders, clock skew corrected)"))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "  \tN\tP50\tP99\tMAX\t\n")
		for _, l := range a.Latency {
			fmt.Fprintf(tw, "  %s -> %s\t%d\t%s\t%s\t%s\t\n", l.From, l.To, l.N, short(l.P50), short(l.P99), short(l.Max))
		}
		tw.Flush()
	}

	if len(a.Skew) > 0 {
		p.f("\n%s\n", p.bold("CLOCK SKEW"))
		for _, s := range a.Skew {
			state := "corrected"
			if !s.Applied {
				state = "too large to be a clock, NOT corrected"
			}
			p.f("  %s runs %s behind the producers (%s)\n", s.Host, short(s.Behind), state)
		}
	}

	p.f("\n%s\n", p.bold("EVIDENCE COVERAGE"))
	for _, c := range a.Coverage {
		line := fmt.Sprintf("  %-42s %6.1f%%  (%d of %d)", c.Name, 100*c.Ratio(), c.Present, c.Of)
		if c.Of == 0 {
			line = fmt.Sprintf("  %-42s %7s", c.Name, "-")
		} else if c.Of == 1000 && strings.HasPrefix(c.Name, "time span of ") {
			line = fmt.Sprintf("  %-42s %6.1f%%", c.Name, 100*c.Ratio())
		}
		if c.Note != "" {
			line += "  " + p.yellow(c.Note)
		}
		p.f("%s\n", line)
	}

	p.f("\n%s\n", p.bold("INPUTS"))
	width := len("total")
	for _, s := range a.Stats {
		width = max(width, len(s.Path))
	}
	p.f("  %-*s  %-7s %11s %11s %11s %9s\n", width, "FILE", "FORMAT", "LINES", "MATCHED", "IGNORED", "MALFORMED")
	var tl, tm, ti, tb int64
	for _, s := range a.Stats {
		p.f("  %-*s  %-7s %11d %11d %11d %9d\n", width, s.Path, s.Format, s.Lines, s.Matched, s.Ignored, s.Malformed)
		tl, tm, ti, tb = tl+s.Lines, tm+s.Matched, ti+s.Ignored, tb+s.Malformed
	}
	p.f("  %-*s  %-7s %11d %11d %11d %9d\n", width, "total", "", tl, tm, ti, tb)
	for _, s := range a.Stats {
		if s.Err != "" {
			p.f("  %s %s: %s\n", p.red("unreadable:"), s.Path, s.Err)
		}
		if s.Skipped != "" {
			p.f("  skipped: %s: %s\n", s.Path, s.Skipped)
		}
		for _, ex := range s.Examples {
			p.f("  problem: %s\n", ex)
		}
		if s.BadFields > 0 {
			p.f("  %s: %d values a rule found could not be used (see the problems above; the events were kept without them)\n", s.Path, s.BadFields)
		}
	}
	if a.Unattached > 0 {
		p.f("  %d events carried identifiers that link two different orders and were left out\n", a.Unattached)
	}
	if a.Outside > 0 {
		p.f("  %d events fell outside the window and were not used\n", a.Outside)
	}
	for _, wmsg := range a.Warnings {
		p.f("%s %s\n", p.yellow("warning:"), wmsg)
	}

	limit := opt.MaxListed
	if limit == 0 {
		limit = 50
	}
	var listed []*correlate.Case
	for _, c := range a.Cases {
		if opt.Only.Match(c) {
			listed = append(listed, c)
		}
	}
	if len(listed) > 0 {
		p.f("\n%s\n", p.bold(fmt.Sprintf("ORDERS (%s: %d)", opt.Only, len(listed))))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "  ORDER\tVERDICT\tMISSING\tCONF\tAT\tREASON\n")
		for i, c := range listed {
			if i == limit {
				fmt.Fprintf(tw, "  ... %d more (use --format csv or ndjson for every order)\n", len(listed)-limit)
				break
			}
			at := ""
			if c.At != 0 {
				at = time.Unix(0, c.At).UTC().Format("15:04:05")
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Verdict, orNone(hopName(c.Missing)), c.Confidence, at, c.Reason)
		}
		tw.Flush()
		p.f("\nOpen one with: hoptrace order <ORDER> [SOURCES]\n")
	}
	return p.err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func rate(n, total int) string {
	if total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(total))
}

// short prints a duration with three significant digits.
func short(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// printer writes and remembers the first error; colour only when asked.
type printer struct {
	w      io.Writer
	colour bool
	err    error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) style(code, s string) string {
	if !p.colour {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p *printer) bold(s string) string   { return p.style("1", s) }
func (p *printer) red(s string) string    { return p.style("1;31", s) }
func (p *printer) yellow(s string) string { return p.style("33", s) }
func (p *printer) green(s string) string  { return p.style("32", s) }
func (p *printer) dim(s string) string    { return p.style("2", s) }
