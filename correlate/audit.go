package correlate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hoptrace/hoptrace/ingest"
)

// Options configure a correlation run.
type Options struct {
	From, To time.Time     // the audited window; zero = the span of the data
	Grace    time.Duration // a message sent less than this before the window's end is in_flight, not lost; 0 = 10m
	// OnEvents, if set, is called after each batch with the running count of events read (for progress bars).
	OnEvents func(n int64)
}

// DefaultGrace is the grace period when Options.Grace is zero.
const DefaultGrace = 10 * time.Minute

// Window is the audited time span. "Now" for every verdict is To, never the wall clock.
type Window struct {
	From, To time.Time
	Explicit bool // given by the user rather than taken from the data
}

// Audit is the result of correlating a window of evidence.
type Audit struct {
	Window     Window
	Grace      time.Duration
	Cases      []*Case // sorted by ID
	Counts     map[Verdict]int
	Incidents  []Incident
	Latency    []Latency
	Coverage   []Coverage
	Skew       []HostSkew
	Stats      []ingest.Stats
	Events     int64 // events read
	Outside    int64 // events outside the window, not used
	Unattached int   // events whose identifiers could not be placed in one case
	Refused    int   // identifier links refused because they would merge two orders
	Warnings   []string
}

// HostSkew is a clock correction hoptrace applied to one host's events.
type HostSkew struct {
	Host    string
	Behind  time.Duration // how far the host's clock appears to run behind the producers'
	Applied bool          // false when the skew is too large to be a clock (a time-zone mistake?) and was left alone
}

// maxSkew is the largest clock difference hoptrace corrects; more than that is a time-zone problem.
const maxSkew = 5 * time.Minute

// Run reads every event of src and correlates them.
func Run(ctx context.Context, src ingest.Source, opt Options) (*Audit, error) {
	var events []ingest.Event
	var n int64
	err := src.Read(ctx, func(batch []ingest.Event) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		events = append(events, batch...)
		n += int64(len(batch))
		if opt.OnEvents != nil {
			opt.OnEvents(n)
		}
		return nil
	})
	a := Correlate(events, src.Stats(), opt)
	return a, err
}

// Correlate joins and classifies events already read. stats, if given, widen the default window to the span of
// every input (so an order's own events do not decide where "now" is).
func Correlate(events []ingest.Event, stats []ingest.Stats, opt Options) *Audit {
	a := &Audit{Stats: stats, Events: int64(len(events)), Counts: map[Verdict]int{}, Grace: opt.Grace}
	if a.Grace == 0 {
		a.Grace = DefaultGrace
	}
	a.Window = window(events, stats, opt)
	from, to := a.Window.From.UnixNano(), a.Window.To.UnixNano()
	if a.Window.Explicit {
		kept := events[:0]
		for _, e := range events {
			if e.Time == 0 || (e.Time >= from && e.Time <= to) {
				kept = append(kept, e)
			} else {
				a.Outside++
			}
		}
		events = kept
	}

	j := join(events)
	a.Unattached, a.Refused = j.unattached, j.refused
	w := newWorld(events, from, to, int64(a.Grace))
	skew := estimateSkew(events, j)
	for h, d := range skew.behind {
		s := HostSkew{Host: h, Behind: time.Duration(d), Applied: time.Duration(d) <= maxSkew}
		if !s.Applied {
			delete(skew.correct, h)
			a.Warnings = append(a.Warnings, fmt.Sprintf("%s's events appear %s before the sends they follow: not a clock skew hoptrace corrects; check --tz or the profile's timezone for its logs", h, dur(d)))
		}
		a.Skew = append(a.Skew, s)
	}
	sort.Slice(a.Skew, func(x, y int) bool { return a.Skew[x].Host < a.Skew[y].Host })

	groups := groupByCase(events, j)
	a.Cases = make([]*Case, len(groups))
	adjusted := make([]int64, len(events))
	var scratch facts
	off := 0
	for ci, evs := range groups {
		c := &Case{Events: evs, Adjusted: adjusted[off : off+len(evs) : off+len(evs)]}
		off += len(evs)
		c.fillIdentity()
		c.order(skew.correct)
		w.classify(c, &scratch)
		a.Cases[ci] = c
		a.Counts[c.Verdict]++
	}
	sort.Slice(a.Cases, func(x, y int) bool { return a.Cases[x].ID < a.Cases[y].ID })

	a.Coverage = coverage(a.Cases, stats, a.Window)
	if weak := a.weakConsumerLogs(); weak != "" {
		a.Warnings = append(a.Warnings, weak)
		for _, c := range a.Cases {
			if c.Verdict == LostInBroker && c.Confidence == Medium {
				c.Confidence = Low
			}
		}
	}
	a.Incidents = incidents(a.Cases)
	a.Latency = latency(a.Cases)
	return a
}

func window(events []ingest.Event, stats []ingest.Stats, opt Options) Window {
	var lo, hi int64
	widen := func(t int64) {
		if t == 0 {
			return
		}
		if lo == 0 || t < lo {
			lo = t
		}
		if t > hi {
			hi = t
		}
	}
	for _, s := range stats {
		widen(s.FirstTime)
		widen(s.LastTime)
	}
	for i := range events {
		widen(events[i].Time)
	}
	w := Window{From: time.Unix(0, lo).UTC(), To: time.Unix(0, hi).UTC()}
	if !opt.From.IsZero() {
		w.From, w.Explicit = opt.From.UTC(), true
	}
	if !opt.To.IsZero() {
		w.To, w.Explicit = opt.To.UTC(), true
	}
	return w
}

// fillIdentity sets the case's ID, order ID, user, amount, msgIds and keys from its events.
func (c *Case) fillIdentity() {
	for i := range c.Events {
		e := &c.Events[i]
		if e.OrderID != "" && c.OrderID == "" {
			c.OrderID = e.OrderID
		}
		if e.Hop == ingest.HopPaid {
			if c.UserID == "" {
				c.UserID = e.UserID
			}
			if c.Amount == "" {
				c.Amount = e.Amount
			}
		}
		if e.MsgID != "" && !contains(c.MsgIDs, e.MsgID) {
			c.MsgIDs = append(c.MsgIDs, e.MsgID)
		}
		for _, k := range e.Keys {
			if !contains(c.Keys, k) {
				c.Keys = append(c.Keys, k)
			}
		}
	}
	switch {
	case c.OrderID != "":
		c.ID = c.OrderID
	case len(c.Keys) > 0:
		c.ID = "key:" + c.Keys[0]
	case len(c.MsgIDs) > 0:
		c.ID = "msg:" + c.MsgIDs[0]
	default:
		c.ID = "?"
	}
}

type skewEstimate struct {
	behind  map[string]int64 // host -> how far behind (ns), every host seen behind
	correct map[string]int64 // host -> correction to add, only plausible clock skews
}

// estimateSkew compares each consumer host's delivery times with the send times of the same messages. A host
// whose deliveries come "before" their sends runs behind; its correction is the largest such gap, so that after
// correction no delivery precedes its send.
func estimateSkew(events []ingest.Event, j joined) skewEstimate {
	sent := map[string]int64{}
	producers := map[string]bool{}
	for i := range events {
		e := &events[i]
		if (e.Hop == ingest.HopSent && e.Status == ingest.StatusOK) || (e.Hop == ingest.HopStored && e.Origin == ingest.OriginTrace) {
			if e.MsgID != "" && e.Time != 0 {
				if t, ok := sent[e.MsgID]; !ok || e.Time < t {
					sent[e.MsgID] = e.Time
				}
			}
			if e.Host != "" {
				producers[e.Host] = true
			}
		}
	}
	est := skewEstimate{behind: map[string]int64{}, correct: map[string]int64{}}
	for i := range events {
		e := &events[i]
		if (e.Hop != ingest.HopDelivered && e.Hop != ingest.HopConsumed) || e.Host == "" || producers[e.Host] || e.MsgID == "" || e.Time == 0 {
			continue
		}
		s, ok := sent[e.MsgID]
		if !ok {
			continue
		}
		if d := s - e.Time; d > 0 && d > est.behind[e.Host] {
			est.behind[e.Host] = d
		}
	}
	for h, d := range est.behind {
		est.correct[h] = d
	}
	return est
}

// weakConsumerLogs compares consumer logs with SubBefore traces: when traces show deliveries the consumer logs do
// not, a missing delivery log is weak evidence of a broker loss.
func (a *Audit) weakConsumerLogs() string {
	for _, c := range a.Coverage {
		if c.Name == coverDeliveredLogs && c.Of > 20 && c.Ratio() < 0.99 {
			return fmt.Sprintf("consumer logs show only %.1f%% of the deliveries the SubBefore traces show: lost_in_broker verdicts from logs alone are lowered to low confidence", 100*c.Ratio())
		}
	}
	return ""
}

// Incident is a cluster of broken orders with the same verdict, in the same place, close in time.
type Incident struct {
	Verdict     Verdict
	Where       string
	First, Last time.Time
	Count       int
	FirstOrder  string
	LastOrder   string
}

// incidentGap is how far apart two broken orders may be and still belong to one incident.
const incidentGap = 5 * time.Minute

func incidents(cases []*Case) []Incident {
	type key struct {
		v     Verdict
		where string
	}
	groups := map[key][]*Case{}
	for _, c := range cases {
		if c.Verdict.Broken() || c.Verdict == InFlight {
			k := key{c.Verdict, c.Where}
			groups[k] = append(groups[k], c)
		}
	}
	var out []Incident
	for k, cs := range groups {
		sort.Slice(cs, func(x, y int) bool { return cs[x].At < cs[y].At })
		var cur *Incident
		var lastAt int64
		for _, c := range cs {
			if cur == nil || c.At-lastAt > int64(incidentGap) {
				out = append(out, Incident{Verdict: k.v, Where: k.where, First: time.Unix(0, c.At).UTC(), FirstOrder: c.ID})
				cur = &out[len(out)-1]
			}
			cur.Count++
			cur.Last = time.Unix(0, c.At).UTC()
			cur.LastOrder = c.ID
			lastAt = c.At
		}
	}
	sort.Slice(out, func(x, y int) bool {
		if out[x].Count != out[y].Count {
			return out[x].Count > out[y].Count
		}
		if !out[x].First.Equal(out[y].First) {
			return out[x].First.Before(out[y].First)
		}
		return out[x].Where < out[y].Where
	})
	return out
}

// Latency is the distribution of the time between two hops over the window's ok orders.
type Latency struct {
	From, To      ingest.Hop
	N             int
	P50, P99, Max time.Duration
}

func latency(cases []*Case) []Latency {
	pairs := [][2]ingest.Hop{{ingest.HopPaid, ingest.HopSent}, {ingest.HopSent, ingest.HopDelivered}, {ingest.HopDelivered, ingest.HopGranted}, {ingest.HopPaid, ingest.HopGranted}}
	samples := make([][]time.Duration, len(pairs))
	for _, c := range cases {
		if c.Verdict != OK {
			continue
		}
		var firstOK [16]int64
		for i := range c.Events {
			e := &c.Events[i]
			if e.Status != ingest.StatusOK || e.Origin != ingest.OriginLog || int(e.Hop) >= len(firstOK) {
				continue
			}
			if firstOK[e.Hop] == 0 {
				firstOK[e.Hop] = c.Adjusted[i]
			}
		}
		for p, pr := range pairs {
			a, b := firstOK[pr[0]], firstOK[pr[1]]
			if a != 0 && b != 0 && b >= a {
				samples[p] = append(samples[p], time.Duration(b-a))
			}
		}
	}
	var out []Latency
	for p, s := range samples {
		if len(s) == 0 {
			continue
		}
		sort.Slice(s, func(x, y int) bool { return s[x] < s[y] })
		out = append(out, Latency{From: pairs[p][0], To: pairs[p][1], N: len(s), P50: pct(s, 50), P99: pct(s, 99), Max: s[len(s)-1]})
	}
	return out
}

func pct(s []time.Duration, p int) time.Duration {
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

// Coverage says how often one kind of evidence is present where it should be, so "no evidence" is never read as
// "did not happen".
type Coverage struct {
	Name    string
	Present int
	Of      int
	Note    string
}

// Ratio is Present / Of (1 when Of is 0).
func (c Coverage) Ratio() float64 {
	if c.Of == 0 {
		return 1
	}
	return float64(c.Present) / float64(c.Of)
}

const (
	coverPubTraces     = "Pub traces for messages sent OK"
	coverSubTraces     = "SubBefore traces for deliveries logged"
	coverDeliveredLogs = "consumer logs for deliveries traced"
	coverGrantLogs     = "grant or failure logs for deliveries"
)

func coverage(cases []*Case, stats []ingest.Stats, w Window) []Coverage {
	var pub, sub, dlog, grant Coverage
	pub.Name, sub.Name, dlog.Name, grant.Name = coverPubTraces, coverSubTraces, coverDeliveredLogs, coverGrantLogs
	var sentLog, pubTrace, delLog, delTrace []string
	for _, c := range cases {
		sentLog, pubTrace, delLog, delTrace = sentLog[:0], pubTrace[:0], delLog[:0], delTrace[:0]
		granted := false
		for i := range c.Events {
			e := &c.Events[i]
			switch {
			case e.Hop == ingest.HopSent && e.Status == ingest.StatusOK && e.Origin == ingest.OriginLog:
				sentLog = append(sentLog, e.MsgID)
			case e.Hop == ingest.HopStored && e.Origin == ingest.OriginTrace:
				pubTrace = append(pubTrace, e.MsgID)
			case e.Hop == ingest.HopDelivered && e.Origin == ingest.OriginLog:
				delLog = append(delLog, e.MsgID)
			case e.Hop == ingest.HopDelivered && e.Origin == ingest.OriginTrace:
				delTrace = append(delTrace, e.MsgID)
			case e.Hop == ingest.HopGranted || e.Hop == ingest.HopDeadLetter:
				granted = true
			}
		}
		countPresent(&pub, sentLog, pubTrace)
		countPresent(&sub, delLog, delTrace)
		countPresent(&dlog, delTrace, delLog)
		if len(delLog) > 0 && c.Verdict != InFlight {
			grant.Of++
			if granted {
				grant.Present++
			}
		}
	}
	note := func(c *Coverage, thin string) {
		switch {
		case c.Of == 0:
			c.Note = "nothing to compare"
		case c.Ratio() < 0.5:
			c.Note = thin
		}
	}
	note(&pub, "client tracing looks off: missing Pub traces are not used as evidence")
	note(&sub, "consumer tracing looks off: missing SubBefore traces are not used as evidence")
	note(&dlog, "consumer logs miss most traced deliveries: broker-loss verdicts from logs alone are weak")
	out := []Coverage{pub, sub, dlog, grant}
	// Time coverage per log stream: a host's rotated parts and current file together (order-1.*.log.gz +
	// order-1.log), so rotation is not mistaken for a gap.
	type span struct{ lo, hi int64 }
	streams := map[string]*span{}
	var names []string
	for _, s := range stats {
		if s.FirstTime == 0 {
			continue
		}
		k := streamName(s.Path)
		sp, ok := streams[k]
		if !ok {
			sp = &span{s.FirstTime, s.LastTime}
			streams[k] = sp
			names = append(names, k)
		}
		sp.lo, sp.hi = min(sp.lo, s.FirstTime), max(sp.hi, s.LastTime)
	}
	sort.Strings(names)
	from, to := w.From.UnixNano(), w.To.UnixNano()
	if to-from >= int64(time.Hour) {
		for _, k := range names {
			sp := streams[k]
			lo, hi := max(sp.lo, from), min(sp.hi, to)
			covered := max(hi-lo, 0)
			if float64(covered) < 0.9*float64(to-from) {
				out = append(out, Coverage{Name: "time span of " + k, Present: int(1000 * covered / (to - from)), Of: 1000,
					Note: fmt.Sprintf("its events cover only %s .. %s of the window: verdicts there rest on the other sources", fmtTime(sp.lo), fmtTime(sp.hi))})
			}
		}
	}
	return out
}

// streamName groups a host's rotated log parts with its current file: dir/order-1 for dir/order-1.log and
// dir/order-1.2026-11-23.0.log.gz.
func streamName(path string) string {
	dir, base := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir, base = path[:i+1], path[i+1:]
	}
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return dir + base
}

// countPresent counts the distinct msgIds of want and how many of them appear in have.
func countPresent(c *Coverage, want, have []string) {
	for i, m := range want {
		if contains(want[:i], m) {
			continue
		}
		c.Of++
		if contains(have, m) {
			c.Present++
		}
	}
}

// Find returns the case an identifier names: an order ID, a msgId (any case) or a message key. An offsetMsgId
// is not accepted: after a broker crash two messages can share one.
func (a *Audit) Find(id string) *Case {
	id = strings.TrimSpace(id)
	up := strings.ToUpper(id)
	for _, c := range a.Cases {
		if c.OrderID == id {
			return c
		}
	}
	for _, c := range a.Cases {
		for _, m := range c.MsgIDs {
			if m == up {
				return c
			}
		}
		for _, k := range c.Keys {
			if k == id {
				return c
			}
		}
	}
	return nil
}

// BrokenCount is the number of broken orders (neither ok nor in_flight).
func (a *Audit) BrokenCount() int {
	n := 0
	for v, c := range a.Counts {
		if v.Broken() {
			n += c
		}
	}
	return n
}
