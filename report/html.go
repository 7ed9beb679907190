package report

import (
	"fmt"
	"html/template"
	"io"
	"time"

	"github.com/hoptrace/hoptrace/correlate"
)

// The HTML report is one self-contained page (no scripts, no external assets): it can be attached to a ticket
// or mailed. Charts are inline SVG drawn here.

var verdictColour = map[correlate.Verdict]string{
	correlate.LostInBroker:   "#d62728",
	correlate.LostInConsumer: "#ff7f0e",
	correlate.SendFailed:     "#9467bd",
	correlate.NotSent:        "#8c564b",
	correlate.GrantFailed:    "#e377c2",
	correlate.DeadLettered:   "#7f7f7f",
	correlate.DuplicateGrant: "#bcbd22",
	correlate.Orphan:         "#17becf",
	correlate.Unknown:        "#aec7e8",
	correlate.InFlight:       "#98df8a",
	correlate.OK:             "#2ca02c",
}

type htmlBar struct {
	Label  string
	Count  int
	Rate   string
	Width  float64
	Colour string
	Y      int
}

type htmlRect struct {
	X, Y, W, H float64
	Colour     string
	Title      string
}

type htmlPage struct {
	A          *correlate.Audit
	Total      int
	OK         int
	InFlight   int
	Broken     int
	BrokenRate string
	Bars       []htmlBar
	BarsHeight int
	Timeline   []htmlRect
	Axis       []htmlTick
	Legend     []htmlBar
	Rows       []Row
	More       int
	Only       Filter
}

type htmlTick struct {
	X     float64
	Label string
}

const (
	chartW   = 900.0
	chartH   = 160.0
	buckets  = 96 // 15-minute buckets over a day-long window
	maxTable = 500
)

var htmlFuncs = template.FuncMap{
	"ts":  func(t time.Time) string { return t.Format("15:04:05") },
	"day": func(t time.Time) string { return t.Format("2006-01-02 15:04:05") },
	"ms":  func(d time.Duration) string { return short(d) },
	"pct": func(c correlate.Coverage) string { return fmt.Sprintf("%.1f%%", 100*c.Ratio()) },
}

var htmlTmpl = template.Must(template.New("audit").Funcs(htmlFuncs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hoptrace audit {{day .A.Window.From}} .. {{day .A.Window.To}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777}
.broken{color:#c00;font-weight:600}.warn{color:#a60}code{font-size:12px}
</style></head><body>
<h1>hoptrace audit</h1>
<div class="muted">window {{day .A.Window.From}} .. {{day .A.Window.To}} UTC, grace {{.A.Grace}}{{if .A.Window.Explicit}}, set by --from/--to{{else}}, the span of the data{{end}}</div>
<p><b>{{.Total}}</b> orders: {{.OK}} ok, {{.InFlight}} in flight, <span class="broken">{{.Broken}} broken ({{.BrokenRate}})</span></p>
{{range .A.Warnings}}<p class="warn">warning: {{.}}</p>{{end}}

<h2>Verdicts</h2>
<svg width="{{printf "%.0f" 900.0}}" height="{{.BarsHeight}}" role="img" aria-label="orders per verdict">
{{range .Bars}}<text x="0" y="{{.Y}}" dy="13">{{.Label}}</text><rect x="160" y="{{.Y}}" width="{{printf "%.1f" .Width}}" height="16" fill="{{.Colour}}"><title>{{.Label}}: {{.Count}}</title></rect><text x="{{printf "%.1f" .Width}}" dx="166" y="{{.Y}}" dy="13">{{.Count}} ({{.Rate}})</text>
{{end}}</svg>

<h2>Broken and in-flight orders over time</h2>
{{if .Timeline}}<svg width="900" height="190" role="img" aria-label="broken orders over time">
<line x1="0" y1="160" x2="900" y2="160" stroke="#999"/>
{{range .Timeline}}<rect x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}" width="{{printf "%.1f" .W}}" height="{{printf "%.1f" .H}}" fill="{{.Colour}}"><title>{{.Title}}</title></rect>
{{end}}{{range .Axis}}<text x="{{printf "%.1f" .X}}" y="178" font-size="11" text-anchor="middle">{{.Label}}</text>
{{end}}</svg>
<div>{{range .Legend}}<span style="display:inline-block;width:10px;height:10px;background:{{.Colour}}"></span> {{.Label}} &nbsp; {{end}}</div>
{{else}}<p class="muted">no broken or in-flight orders</p>{{end}}

<h2>Incidents</h2>
{{if .A.Incidents}}<table><tr><th>verdict</th><th>where</th><th>from</th><th>to</th><th>orders</th><th>first</th><th>last</th></tr>
{{range .A.Incidents}}<tr><td>{{.Verdict}}</td><td>{{.Where}}</td><td>{{ts .First}}</td><td>{{ts .Last}}</td><td class="n">{{.Count}}</td><td><code>{{.FirstOrder}}</code></td><td><code>{{.LastOrder}}</code></td></tr>
{{end}}</table>{{else}}<p class="muted">none</p>{{end}}

<h2>Hop latency (ok orders, clock skew corrected)</h2>
<table><tr><th>hops</th><th>n</th><th>p50</th><th>p99</th><th>max</th></tr>
{{range .A.Latency}}<tr><td>{{.From}} &rarr; {{.To}}</td><td class="n">{{.N}}</td><td class="n">{{ms .P50}}</td><td class="n">{{ms .P99}}</td><td class="n">{{ms .Max}}</td></tr>
{{end}}</table>
{{if .A.Skew}}<p>{{range .A.Skew}}{{.Host}} runs {{ms .Behind}} behind the producers ({{if .Applied}}corrected{{else}}NOT corrected: too large for a clock{{end}}). {{end}}</p>{{end}}

<h2>Evidence coverage</h2>
<table><tr><th>evidence</th><th>present</th><th></th><th>note</th></tr>
{{range .A.Coverage}}<tr><td>{{.Name}}</td><td class="n">{{pct .}}</td><td class="n muted">{{.Present}} of {{.Of}}</td><td class="warn">{{.Note}}</td></tr>
{{end}}</table>

<h2>Inputs</h2>
<table><tr><th>file</th><th>format</th><th>lines</th><th>matched</th><th>ignored</th><th>malformed</th></tr>
{{range .A.Stats}}<tr><td><code>{{.Path}}</code>{{if .Err}} <span class="broken">{{.Err}}</span>{{end}}{{range .Examples}}<br><span class="muted">{{.}}</span>{{end}}</td><td>{{.Format}}</td><td class="n">{{.Lines}}</td><td class="n">{{.Matched}}</td><td class="n">{{.Ignored}}</td><td class="n">{{.Malformed}}</td></tr>
{{end}}</table>

<h2>Orders ({{.Only}})</h2>
{{if .Rows}}<table><tr><th>order</th><th>verdict</th><th>missing</th><th>conf.</th><th>at</th><th>reason and evidence</th></tr>
{{range .Rows}}<tr><td><code>{{.OrderID}}</code></td><td>{{.Verdict}}</td><td>{{.MissingHop}}</td><td>{{.Confidence}}</td><td>{{.At}}</td><td>{{.Reason}}{{range .Evidence}}<br><span class="muted">{{.Text}}{{if .Source}} ({{.Source}}){{end}}</span>{{end}}</td></tr>
{{end}}</table>{{if .More}}<p class="muted">... {{.More}} more: use --format csv or ndjson for every order</p>{{end}}
{{else}}<p class="muted">none</p>{{end}}
<p class="muted">generated by hoptrace</p>
</body></html>
`))

func writeAuditHTML(w io.Writer, a *correlate.Audit, opt AuditOptions) error {
	p := htmlPage{A: a, Total: len(a.Cases), OK: a.Counts[correlate.OK], InFlight: a.Counts[correlate.InFlight],
		Broken: a.BrokenCount(), Only: opt.Only}
	p.BrokenRate = rate(p.Broken, p.Total)
	// Bars are scaled to the largest verdict other than ok, so a few broken orders stay visible next to a
	// million ok ones; the ok bar is capped at full width and says so.
	maxN := 1
	for _, v := range correlate.Verdicts() {
		if v != correlate.OK && a.Counts[v] > maxN {
			maxN = a.Counts[v]
		}
	}
	y := 0
	for _, v := range correlate.Verdicts() {
		n := a.Counts[v]
		if n == 0 {
			continue
		}
		b := htmlBar{Label: string(v), Count: n, Rate: rate(n, p.Total),
			Width: 520 * float64(n) / float64(maxN), Colour: verdictColour[v], Y: y}
		if b.Width > 520 {
			b.Width, b.Rate = 520, b.Rate+", bar not to scale"
		}
		p.Bars = append(p.Bars, b)
		y += 22
	}
	p.BarsHeight = y + 4
	p.Timeline, p.Axis, p.Legend = timelineChart(a)
	for _, c := range a.Cases {
		if opt.Only.Match(c) {
			if len(p.Rows) == maxTable {
				p.More++
				continue
			}
			p.Rows = append(p.Rows, RowOf(c))
		}
	}
	return htmlTmpl.Execute(w, p)
}

// timelineChart stacks broken and in-flight orders per time bucket, coloured by verdict.
func timelineChart(a *correlate.Audit) ([]htmlRect, []htmlTick, []htmlBar) {
	from, to := a.Window.From.UnixNano(), a.Window.To.UnixNano()
	if to <= from {
		return nil, nil, nil
	}
	span := float64(to-from) / buckets
	counts := make([]map[correlate.Verdict]int, buckets)
	seen := map[correlate.Verdict]bool{}
	peak := 0
	for _, c := range a.Cases {
		if !c.Verdict.Broken() && c.Verdict != correlate.InFlight || c.At == 0 {
			continue
		}
		b := int(float64(c.At-from) / span)
		if b < 0 || b >= buckets {
			b = min(max(b, 0), buckets-1)
		}
		if counts[b] == nil {
			counts[b] = map[correlate.Verdict]int{}
		}
		counts[b][c.Verdict]++
		seen[c.Verdict] = true
	}
	for _, m := range counts {
		t := 0
		for _, n := range m {
			t += n
		}
		peak = max(peak, t)
	}
	if peak == 0 {
		return nil, nil, nil
	}
	var rects []htmlRect
	bw := chartW / buckets
	for b, m := range counts {
		yTop := chartH
		for _, v := range correlate.Verdicts() {
			n := m[v]
			if n == 0 {
				continue
			}
			h := chartH * float64(n) / float64(peak)
			yTop -= h
			start := time.Unix(0, from+int64(float64(b)*span)).UTC()
			rects = append(rects, htmlRect{X: float64(b) * bw, Y: yTop, W: bw - 1, H: h, Colour: verdictColour[v],
				Title: fmt.Sprintf("%s from %s: %d", v, start.Format("15:04"), n)})
		}
	}
	var axis []htmlTick
	for i := 0; i <= 6; i++ {
		t := time.Unix(0, from+int64(float64(to-from)*float64(i)/6)).UTC()
		axis = append(axis, htmlTick{X: min(max(chartW*float64(i)/6, 20), chartW-20), Label: t.Format("15:04")})
	}
	var legend []htmlBar
	for _, v := range correlate.Verdicts() {
		if seen[v] {
			legend = append(legend, htmlBar{Label: string(v), Colour: verdictColour[v]})
		}
	}
	return rects, axis, legend
}
