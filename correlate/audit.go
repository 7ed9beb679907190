package correlate

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hoptrace/hoptrace/ingest"
)

// Options configure a correlation run.
type Options struct {
	From, To time.Time     // the audited window; zero = the span of the data
	Grace    time.Duration // a message sent less than this before the window's end is in_flight, not lost; 0 = 10m
	// Focus, if set, classifies only the case this identifier names (an order ID, msgId or key), keeping its
	// events: what `hoptrace order` needs. The window, the join and the world are still built from everything,
	// so the verdict is the one a full audit gives.
	Focus string
	// Enrich, with Focus, is asked for more evidence about the focused case once it is known (a broker lookup of
	// its msgIds, keys and offsetMsgIds); what it returns is joined in before the case is classified.
	Enrich func(c *Case) []ingest.Event
	// KeepEvents keeps every case's events (for an order's timeline or the TUI); without it only cases that are
	// not ok keep theirs, which saves most of the memory of a large audit.
	KeepEvents bool
	// OnEvents, if set, is called after each batch with the running count of events read (for progress bars).
	OnEvents func(n int64)
	// OnStage, if set, is told when reading is done and the join and verdicts begin.
	OnStage func(stage string)
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

// Run reads every event of src and correlates them. Events are stored compactly as they arrive, so memory
// grows with the identifiers and hops of the window, not with the lines read.
func Run(ctx context.Context, src ingest.Source, opt Options) (*Audit, error) {
	// Size the symbol table once: a day's logs hold roughly one distinct identifier per 700 bytes (order IDs,
	// msgIds, offsetMsgIds). Growing a map of millions of strings rehashes it a dozen times.
	hint := 1 << 16
	if z, ok := src.(ingest.Sizer); ok {
		hint = max(hint, int(min(z.SizeHint()/700, 1<<26)))
	}
	st := newStore(hint)
	var n int64
	err := src.Read(ctx, func(batch []ingest.Event) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		st.addAll(batch)
		n += int64(len(batch))
		if r, ok := src.(ingest.Recycler); ok {
			r.Recycle(batch) // everything needed was copied into the store
		}
		if opt.OnEvents != nil {
			opt.OnEvents(n)
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if opt.OnStage != nil {
		opt.OnStage(fmt.Sprintf("joining %d events into orders", n))
	}
	return correlate(st, src.Stats(), opt), err
}

// Correlate joins and classifies events already read. stats, if given, widen the default window to the span of
// every input (so an order's own events do not decide where "now" is).
func Correlate(events []ingest.Event, stats []ingest.Stats, opt Options) *Audit {
	st := newStore(len(events))
	st.addAll(events)
	return correlate(st, stats, opt)
}

func correlate(st *store, stats []ingest.Stats, opt Options) *Audit {
	a := &Audit{Stats: stats, Events: int64(st.len()), Counts: map[Verdict]int{}, Grace: opt.Grace}
	if a.Grace == 0 {
		a.Grace = DefaultGrace
	}
	if opt.Focus == "" {
		// Only Focus and Enrich look symbols up by their text; an audit's verdicts work on the symbols the records
		// hold. The table is a tenth of an audit's memory: let it go before the join needs its own.
		st.syms.table = nil
	}
	shifts, noTraces := detectZones(st)
	moved, zoneWarnings := applyZones(st, shifts, noTraces)
	a.Window = window(st, stats, moved, opt)
	from, to := a.Window.From.UnixNano(), a.Window.To.UnixNano()
	if a.Window.Explicit {
		st.filter(func(r *rec) bool {
			if r.time == 0 || (r.time >= from && r.time <= to) {
				return true
			}
			a.Outside++
			return false
		})
	}

	ranges, w, skew := prepare(st, a, from, to)
	if opt.Focus != "" && opt.Enrich != nil {
		if rs := focus(st, ranges, opt.Focus); rs.len() > 0 {
			c := &Case{}
			for _, i := range rs.at(0) {
				c.Events = append(c.Events, st.event(int(i)))
			}
			c.fillIdentity()
			if extra := opt.Enrich(c); len(extra) > 0 {
				for i := range extra {
					st.add(&extra[i])
				}
				a.Warnings, a.Skew = nil, nil
				a.Events = int64(st.len())
				ranges, w, skew = prepare(st, a, from, to)
			}
		}
	}
	var dlog Coverage
	if opt.Focus != "" {
		// One case is classified, but a confidence that hangs on the whole day's coverage must be the audit's.
		dlog = deliveredLogCoverage(st, ranges)
		ranges = focus(st, ranges, opt.Focus)
		opt.KeepEvents = true
	}
	a.Warnings = append(zoneWarnings, a.Warnings...)
	a.Cases = make([]*Case, ranges.len())
	st.syms.table = nil // no symbol is looked up from here on: the verdicts work on the symbols the records hold
	// An ok order of a large audit is kept as a compact row while the store is alive, and becomes a Case only
	// once the store is gone: a million Cases and the store never share the memory.
	var oks []okRow
	if !opt.KeepEvents {
		oks = make([]okRow, ranges.len())
	}
	// Cases are independent once the world is built: classify them on every core, each worker with its own
	// scratch space and accumulator.
	workers := min(runtime.GOMAXPROCS(0), max(1, ranges.len()/1000))
	accs := make([]accumulator, workers)
	var wg sync.WaitGroup
	for wi := 0; wi < workers; wi++ {
		wg.Add(1)
		go func(wi int) {
			defer wg.Done()
			var scratch facts
			var evs []ingest.Event
			var adj []int64
			var keys []string
			var sc Case
			var osc orderScratch
			for ci := wi; ci < ranges.len(); ci += workers {
				evs, adj, keys = evs[:0], adj[:0], keys[:0]
				for _, i := range ranges.at(ci) {
					evs = append(evs, st.eventInto(int(i), &keys))
					adj = append(adj, 0)
				}
				c := &sc
				*c = Case{Events: evs, Adjusted: adj}
				c.order(skew.correct, &osc)
				c.fillIdentity() // in causal order: msgIds and keys are listed as they happened, not as files were read
				w.classify(c, &scratch, !opt.KeepEvents)
				accs[wi].add(c)
				if oks != nil && c.Verdict == OK {
					if row, ok := st.compactOK(c, ranges.at(ci)); ok {
						oks[ci] = row
						continue
					}
				}
				kept := *c
				if opt.KeepEvents || c.Verdict != OK {
					kept.Events = append([]ingest.Event(nil), c.Events...)
					kept.Adjusted = append([]int64(nil), c.Adjusted...)
					for i := range kept.Events { // their keys sit in the worker's scratch
						kept.Events[i].Keys = slices.Clip(slices.Clone(kept.Events[i].Keys))
					}
				} else {
					// An ok order in a large audit keeps its verdict and where to find it, not its evidence:
					// that is what makes a million orders fit. `hoptrace order` (KeepEvents) shows all of it.
					kept.Events, kept.Adjusted, kept.Keys = nil, nil, nil
				}
				a.Cases[ci] = &kept
			}
		}(wi)
	}
	wg.Wait()
	if oks != nil {
		// The records, the join and the world are done with: let them go before a Case is made per ok row.
		ranges, w = caseSet{}, nil
		st.dropRecords()
		runtime.GC()
		for ci := range a.Cases {
			if a.Cases[ci] == nil {
				a.Cases[ci] = st.okCase(&oks[ci])
			}
		}
		oks = nil
	}
	var acc accumulator
	for i := range accs {
		acc.merge(&accs[i])
	}
	if opt.Focus != "" {
		acc.dlog.Of, acc.dlog.Present = dlog.Of, dlog.Present
	}
	for _, c := range a.Cases {
		a.Counts[c.Verdict]++
	}
	sortByID(a.Cases)

	a.Coverage = acc.coverage(stats, a.Window)
	a.Latency = acc.latency()
	if weak := a.weakConsumerLogs(); weak != "" {
		a.Warnings = append(a.Warnings, weak)
		for _, c := range a.Cases {
			if c.Verdict == LostInBroker && c.Confidence == Medium {
				c.Confidence = Low
			}
		}
	}
	a.Incidents = incidents(a.Cases)
	return a
}

// sortByID sorts cases by ID. The IDs are copied beside their cases first, so the comparisons read one array
// instead of chasing a pointer per comparison, and the two halves are sorted at once, then merged.
func sortByID(cases []*Case) {
	type entry struct {
		id string
		c  *Case
	}
	es := make([]entry, len(cases))
	for i, c := range cases {
		es[i] = entry{c.ID, c}
	}
	cmpID := func(a, b entry) int { return strings.Compare(a.id, b.id) }
	half := len(es) / 2
	if len(es) < 1<<14 {
		half = 0
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); slices.SortFunc(es[:half], cmpID) }()
	slices.SortFunc(es[half:], cmpID)
	wg.Wait()
	i, j := 0, half
	for k := range cases {
		if j >= len(es) || (i < half && es[i].id <= es[j].id) {
			cases[k] = es[i].c
			i++
		} else {
			cases[k] = es[j].c
			j++
		}
	}
}

// prepare joins the store and builds the world and the clock-skew estimate, noting skew in a.
func prepare(st *store, a *Audit, from, to int64) (caseSet, *world, skewEstimate) {
	// The join, the world and the clock skew only read the store: the world and the skew are built beside the
	// join.
	var skew skewEstimate
	var w *world
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w = newWorld(st, from, to, int64(a.Grace)); skew = estimateSkew(st) }()
	j := join(st)
	ranges := caseRanges(j)
	j.caseOf = nil
	wg.Wait()
	a.Unattached, a.Refused = j.unattached, j.refused
	for h, d := range skew.behind {
		s := HostSkew{Host: h, Behind: time.Duration(d), Applied: time.Duration(d) <= maxSkew}
		if !s.Applied {
			delete(skew.correct, h)
			a.Warnings = append(a.Warnings, fmt.Sprintf("%s's events appear %s before the sends they follow: not a clock skew hoptrace corrects; check --tz or the profile's timezone for its logs", h, dur(d)))
		}
		a.Skew = append(a.Skew, s)
	}
	for h, d := range skew.ahead {
		a.Warnings = append(a.Warnings, fmt.Sprintf("%s received every message at least %s after it was sent: its time stamps are probably in another zone; set the profile source's timezone (or --tz) for its logs", h, dur(d)))
	}
	sort.Strings(a.Warnings)
	sort.Slice(a.Skew, func(x, y int) bool { return a.Skew[x].Host < a.Skew[y].Host })
	return ranges, w, skew
}

// focus keeps the cases that carry the identifier id (as order ID, key or msgId in any letter case).
func focus(st *store, ranges caseSet, id string) caseSet {
	id = strings.TrimSpace(id)
	want := map[sym]bool{}
	for _, v := range []string{id, strings.ToUpper(id)} {
		if x, ok := st.syms.lookup(v); ok && x != 0 {
			want[x] = true
		}
	}
	out := caseSet{start: []int32{0}}
	for c := range ranges.len() {
		idx := ranges.at(c)
		for _, i := range idx {
			r := st.rec(int(i))
			hit := want[r.order] || want[r.msg] || want[r.key]
			if !hit && r.nkeys > 0 {
				st.keySyms(int(i), func(k sym) { hit = hit || want[k] })
			}
			if hit {
				out.idx = append(out.idx, idx...)
				out.start = append(out.start, int32(len(out.idx)))
				break
			}
		}
	}
	return out
}

func window(st *store, stats []ingest.Stats, moved map[string]bool, opt Options) Window {
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
		if moved[s.Path] {
			continue // its events moved to another zone: its span as read is off (the events themselves count)
		}
		widen(s.FirstTime)
		widen(s.LastTime)
	}
	for i := 0; i < st.len(); i++ {
		widen(st.rec(i).time)
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
	ahead   map[string]int64 // host -> its fastest delivery is this late: more than a clock skew, likely a zone
	behind  map[string]int64 // host -> how far behind (ns), every host seen behind
	correct map[string]int64 // host -> correction to add, only plausible clock skews
}

// estimateSkew compares each consumer host's delivery times with the send times of the same messages. A host
// most of whose deliveries come "before" their sends runs behind; its correction is the 5th percentile of those
// gaps, so a few slow sends (a send logs when it returns, and a FLUSH_DISK_TIMEOUT returns seconds after the
// broker stored and delivered the message) do not pass for a clock error. Per case, order() still keeps every
// delivery after its send.
func estimateSkew(st *store) skewEstimate {
	sent := make([]int64, st.syms.len()) // msgId symbol -> earliest send time (0 = none)
	hugePages(sent)
	producers := map[string]bool{}
	for i := 0; i < st.len(); i++ {
		r := st.rec(i)
		hop := r.hop()
		if (hop == ingest.HopSent && r.status() == ingest.StatusOK) || (hop == ingest.HopStored && ingest.Origin(r.origin) == ingest.OriginTrace) {
			if r.msg != 0 && r.time != 0 {
				if t := sent[r.msg]; t == 0 || r.time < t {
					sent[r.msg] = r.time
				}
			}
			if h := st.ctx(i).host; h != "" {
				producers[h] = true
			}
		}
	}
	gaps := map[string][]int64{} // host -> delivery time - send time, per first delivery of a message
	for i := 0; i < st.len(); i++ {
		r := st.rec(i)
		if r.hop() != ingest.HopDelivered || r.msg == 0 || r.time == 0 {
			continue
		}
		h := st.ctx(i).host
		if h == "" || producers[h] {
			continue
		}
		if s := sent[r.msg]; s != 0 {
			gaps[h] = append(gaps[h], r.time-s)
		}
	}
	est := skewEstimate{behind: map[string]int64{}, correct: map[string]int64{}, ahead: map[string]int64{}}
	for h, g := range gaps {
		slices.Sort(g)
		median, low := g[len(g)/2], g[len(g)/20]
		if median < 0 {
			est.behind[h] = -low
			est.correct[h] = -low
		}
		if time.Duration(g[0]) > maxSkew {
			est.ahead[h] = g[0]
		}
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

var latencyPairs = [][2]ingest.Hop{{ingest.HopPaid, ingest.HopSent}, {ingest.HopSent, ingest.HopDelivered}, {ingest.HopDelivered, ingest.HopGranted}, {ingest.HopPaid, ingest.HopGranted}}

// accumulator gathers latency samples and coverage counts case by case, so cases need not keep their events.
type accumulator struct {
	samples               [4][]time.Duration
	pub, sub, dlog, grant Coverage
	sentLog, pubTrace     []string
	delLog, delTrace      []string
}

func (acc *accumulator) add(c *Case) {
	if c.Verdict == OK {
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
		for p, pr := range latencyPairs {
			a, b := firstOK[pr[0]], firstOK[pr[1]]
			if a != 0 && b != 0 && b >= a {
				acc.samples[p] = append(acc.samples[p], time.Duration(b-a))
			}
		}
	}
	acc.sentLog, acc.pubTrace, acc.delLog, acc.delTrace = acc.sentLog[:0], acc.pubTrace[:0], acc.delLog[:0], acc.delTrace[:0]
	granted := false
	for i := range c.Events {
		e := &c.Events[i]
		switch {
		case e.Hop == ingest.HopSent && e.Status == ingest.StatusOK && e.Origin == ingest.OriginLog:
			acc.sentLog = append(acc.sentLog, e.MsgID)
		case e.Hop == ingest.HopStored && e.Origin == ingest.OriginTrace:
			acc.pubTrace = append(acc.pubTrace, e.MsgID)
		case e.Hop == ingest.HopDelivered && e.Origin == ingest.OriginLog:
			acc.delLog = append(acc.delLog, e.MsgID)
		case e.Hop == ingest.HopDelivered && e.Origin == ingest.OriginTrace:
			acc.delTrace = append(acc.delTrace, e.MsgID)
		case e.Hop == ingest.HopGranted || e.Hop == ingest.HopDeadLetter:
			granted = true
		}
	}
	countPresent(&acc.pub, acc.sentLog, acc.pubTrace)
	countPresent(&acc.sub, acc.delLog, acc.delTrace)
	countPresent(&acc.dlog, acc.delTrace, acc.delLog)
	if len(acc.delLog) > 0 && c.Verdict != InFlight {
		acc.grant.Of++
		if granted {
			acc.grant.Present++
		}
	}
}

func (acc *accumulator) merge(o *accumulator) {
	for p := range acc.samples {
		acc.samples[p] = append(acc.samples[p], o.samples[p]...)
	}
	for _, pair := range [][2]*Coverage{{&acc.pub, &o.pub}, {&acc.sub, &o.sub}, {&acc.dlog, &o.dlog}, {&acc.grant, &o.grant}} {
		pair[0].Present += pair[1].Present
		pair[0].Of += pair[1].Of
	}
}

func (acc *accumulator) latency() []Latency {
	var wg sync.WaitGroup // a million samples per pair: sort the pairs on every core
	for p := range acc.samples {
		wg.Add(1)
		go func() { defer wg.Done(); slices.Sort(acc.samples[p]) }()
	}
	wg.Wait()
	var out []Latency
	for p, s := range acc.samples {
		if len(s) == 0 {
			continue
		}
		out = append(out, Latency{From: latencyPairs[p][0], To: latencyPairs[p][1], N: len(s), P50: pct(s, 50), P99: pct(s, 99), Max: s[len(s)-1]})
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

func (acc *accumulator) coverage(stats []ingest.Stats, w Window) []Coverage {
	pub, sub, dlog, grant := acc.pub, acc.sub, acc.dlog, acc.grant
	pub.Name, sub.Name, dlog.Name, grant.Name = coverPubTraces, coverSubTraces, coverDeliveredLogs, coverGrantLogs
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
// deliveredLogCoverage counts, over every case, the messages delivered per SubBefore trace and, of those, the
// ones a consumer log shows delivered: the accumulator's dlog, from the records alone (no case is classified).
func deliveredLogCoverage(st *store, ranges caseSet) Coverage {
	var c Coverage
	var traced, logged []sym
	for ci := range ranges.len() {
		traced, logged = traced[:0], logged[:0]
		for _, i := range ranges.at(ci) {
			r := st.rec(int(i))
			if r.hop() != ingest.HopDelivered {
				continue
			}
			switch ingest.Origin(r.origin) {
			case ingest.OriginTrace:
				traced = append(traced, r.msg)
			case ingest.OriginLog:
				logged = append(logged, r.msg)
			}
		}
		for k, m := range traced {
			if slices.Contains(traced[:k], m) {
				continue
			}
			c.Of++
			if slices.Contains(logged, m) {
				c.Present++
			}
		}
	}
	return c
}

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
