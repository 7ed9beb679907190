package correlate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hoptrace/hoptrace/ingest"
)

// Case is one order: every event joined to it, in causal order, and what hoptrace concluded.
type Case struct {
	ID       string   // the order ID, or "key:K" / "msg:M" when no evidence names the order
	OrderID  string   // "" when no evidence names the order
	UserID   string   // from the payment, for remediation
	Amount   string   // from the payment, for remediation
	MsgIDs   []string // every msgId of the order's messages (a resend gets a new one)
	Keys     []string
	Events   []ingest.Event // in causal order (see Adjusted)
	Adjusted []int64        // per event: its time corrected for the writer's clock skew and causality

	Verdict    Verdict
	Missing    ingest.Hop // the hop that did not happen (HopNone for ok, duplicate_grant, unknown)
	Confidence Confidence
	Reason     string     // one sentence a support engineer can paste into a ticket
	Evidence   []Evidence // the facts that decided the verdict, each pointing at its source
	Where      string     // the host, broker queue or consumer instance involved (incident key)
	At         int64      // time of the deciding evidence (Unix ns), for incident clustering
}

// Evidence is one fact behind a verdict.
type Evidence struct {
	Text string
	Ref  ingest.Ref // zero when the fact is an absence ("never delivered")
	Time int64

	event *ingest.Event // during classify only: the event Text will describe
}

// Step is one line of an order's timeline: an event, or the missing hop.
type Step struct {
	Hop     ingest.Hop
	Event   *ingest.Event // nil for the missing hop
	Time    int64         // adjusted time (Unix ns); 0 for the missing hop
	Gap     time.Duration // since the previous step with a time
	Skew    time.Duration // how much the writer's clock was corrected
	Missing bool
}

// Timeline returns the case's events in causal order, with the missing hop inserted where it should have been.
func (c *Case) Timeline() []Step {
	steps := make([]Step, 0, len(c.Events)+1)
	var prev int64
	inserted := c.Missing == ingest.HopNone
	for i := range c.Events {
		e := &c.Events[i]
		if !inserted && hopRank(e.Hop) > hopRank(c.Missing) {
			steps = append(steps, Step{Hop: c.Missing, Missing: true})
			inserted = true
		}
		s := Step{Hop: e.Hop, Event: e, Time: c.Adjusted[i], Skew: time.Duration(c.Adjusted[i] - e.Time)}
		if prev != 0 && s.Time != 0 {
			s.Gap = time.Duration(s.Time - prev)
		}
		if s.Time != 0 {
			prev = s.Time
		}
		steps = append(steps, s)
	}
	if !inserted {
		steps = append(steps, Step{Hop: c.Missing, Missing: true})
	}
	return steps
}

func hopRank(h ingest.Hop) int { return int(h) }

// adjustedOf returns the corrected time of one of the case's events (0 if e is not one of them).
func (c *Case) adjustedOf(e *ingest.Event) int64 {
	for i := range c.Events {
		if &c.Events[i] == e && i < len(c.Adjusted) {
			return c.Adjusted[i]
		}
	}
	return 0
}

// facts are the order-level aggregates the verdict rules read.
type facts struct {
	paid                       []*ingest.Event
	sendOK, sendFail, sendTout []*ingest.Event
	storedOK, storedAbsent     []*ingest.Event
	delivered                  []*ingest.Event
	consumedOK, consumedFail   []*ingest.Event
	grants                     []*ingest.Event // StatusOK
	grantFail, grantSkip       []*ingest.Event
	dlq                        []*ingest.Event
}

// collect fills f from a case's events, reusing f's slices.
func collect(f *facts, events []ingest.Event) {
	*f = facts{paid: f.paid[:0], sendOK: f.sendOK[:0], sendFail: f.sendFail[:0], sendTout: f.sendTout[:0],
		storedOK: f.storedOK[:0], storedAbsent: f.storedAbsent[:0], delivered: f.delivered[:0],
		consumedOK: f.consumedOK[:0], consumedFail: f.consumedFail[:0], grants: f.grants[:0],
		grantFail: f.grantFail[:0], grantSkip: f.grantSkip[:0], dlq: f.dlq[:0]}
	for i := range events {
		e := &events[i]
		switch e.Hop {
		case ingest.HopPaid:
			f.paid = append(f.paid, e)
		case ingest.HopSent:
			switch e.Status {
			case ingest.StatusOK:
				f.sendOK = append(f.sendOK, e)
			case ingest.StatusTimeout:
				f.sendTout = append(f.sendTout, e)
			default:
				f.sendFail = append(f.sendFail, e)
			}
		case ingest.HopStored:
			if e.Status == ingest.StatusAbsent {
				f.storedAbsent = append(f.storedAbsent, e)
			} else if e.Status == ingest.StatusOK {
				f.storedOK = append(f.storedOK, e)
			}
		case ingest.HopDelivered:
			f.delivered = append(f.delivered, e)
		case ingest.HopConsumed:
			if e.Status == ingest.StatusOK {
				f.consumedOK = append(f.consumedOK, e)
			} else {
				f.consumedFail = append(f.consumedFail, e)
			}
		case ingest.HopGranted:
			switch e.Status {
			case ingest.StatusOK:
				f.grants = append(f.grants, e)
			case ingest.StatusSkipped:
				f.grantSkip = append(f.grantSkip, e)
			default:
				f.grantFail = append(f.grantFail, e)
			}
		case ingest.HopDeadLetter:
			f.dlq = append(f.dlq, e)
		}
	}
}

// consumerSide reports evidence that the consumer side saw the order.
func (f *facts) consumerSide() bool {
	return len(f.delivered)+len(f.consumedOK)+len(f.consumedFail)+len(f.grants)+len(f.grantFail)+len(f.grantSkip)+len(f.dlq) > 0
}

// distinctGrants counts grants by red-packet ID; grants without an ID count by themselves. It returns the
// count and whether every grant carried an ID.
//
// Grants without an ID cannot be told apart from one grant logged twice (two rules matching two lines of the
// same grant): those on one host within a second of each other count once.
func (f *facts) distinctGrants() (int, bool) {
	var ids []string
	for _, g := range f.grants {
		if g.GrantID != "" && !contains(ids, g.GrantID) {
			ids = append(ids, g.GrantID)
		}
	}
	var anon []*ingest.Event
	for _, g := range f.grants {
		if g.GrantID != "" {
			continue
		}
		dup := false
		for _, o := range f.grants { // the same moment as an identified grant, or as an earlier anonymous one
			if o != g && (o.GrantID != "" || contains1(anon, o)) && o.Host == g.Host && abs(o.Time-g.Time) <= int64(time.Second) {
				dup = true
				break
			}
		}
		if !dup {
			anon = append(anon, g)
		}
	}
	return len(ids) + len(anon), len(anon) == 0
}

func contains1(list []*ingest.Event, e *ingest.Event) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func last(es []*ingest.Event) *ingest.Event {
	var l *ingest.Event
	for _, e := range es {
		if l == nil || e.Time > l.Time {
			l = e
		}
	}
	return l
}

func first(es []*ingest.Event) *ingest.Event {
	var f *ingest.Event
	for _, e := range es {
		if f == nil || (e.Time != 0 && e.Time < f.Time) {
			f = e
		}
	}
	return f
}

// describe is the evidence sentence for one event.
func describe(e *ingest.Event) string {
	var b strings.Builder
	b.WriteString(hopPhrase(e))
	if e.Time != 0 {
		fmt.Fprintf(&b, " at %s", fmtTime(e.Time))
	}
	if e.Host != "" {
		fmt.Fprintf(&b, " on %s", e.Host)
	}
	var ids []string
	if e.MsgID != "" {
		ids = append(ids, "msgId "+e.MsgID)
	}
	if e.Broker != "" && e.QueueID >= 0 && e.QueueOffset >= 0 {
		ids = append(ids, fmt.Sprintf("%s queue %d offset %d", e.Broker, e.QueueID, e.QueueOffset))
	}
	if e.Result != "" {
		ids = append(ids, e.Result)
	}
	if e.Retry > 0 && (e.Hop == ingest.HopDelivered || e.Hop == ingest.HopConsumed) {
		ids = append(ids, fmt.Sprintf("redelivery #%d", e.Retry))
	}
	if e.GrantID != "" {
		ids = append(ids, "red packet "+e.GrantID)
	}
	if e.Error != "" {
		ids = append(ids, "error: "+e.Error)
	}
	if len(ids) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(ids, ", "))
	}
	return b.String()
}

func hopPhrase(e *ingest.Event) string {
	src := ""
	if e.Origin == ingest.OriginTrace {
		src = " [trace]"
	} else if e.Origin == ingest.OriginBroker {
		src = " [broker]"
	}
	var s string
	switch e.Hop {
	case ingest.HopPaid:
		s = "paid"
	case ingest.HopSent:
		switch e.Status {
		case ingest.StatusOK:
			s = "sent OK"
		case ingest.StatusTimeout:
			s = "send timed out"
		default:
			s = "send failed"
		}
	case ingest.HopStored:
		if e.Status == ingest.StatusAbsent {
			s = "broker does not have the message"
		} else {
			s = "stored on the broker"
		}
	case ingest.HopDelivered:
		s = "delivered to the consumer"
	case ingest.HopConsumed:
		if e.Status == ingest.StatusOK {
			s = "consumed (listener returned success)"
		} else {
			s = "consume failed (will be redelivered)"
		}
	case ingest.HopGranted:
		switch e.Status {
		case ingest.StatusOK:
			s = "red packet granted"
		case ingest.StatusSkipped:
			s = "grant skipped: already granted"
		default:
			s = "grant failed"
		}
	case ingest.HopDeadLetter:
		s = "moved to the dead-letter queue"
	default:
		s = e.Hop.String()
	}
	return s + src
}

func fmtTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000")
}

// order sorts a case's events causally: by time corrected for clock skew, never putting a consumer-side event
// before the send of the message it consumed. It fills c.Adjusted.
// orderScratch is order's reusable memory.
type orderScratch struct {
	perm []int
	evs  []ingest.Event
	adj  []int64
}

func (c *Case) order(skew map[string]int64, sc *orderScratch) {
	adj := c.Adjusted
	var firstSend int64
	for i := range c.Events {
		e := &c.Events[i]
		adj[i] = e.Time
		if e.Time != 0 {
			adj[i] += skew[e.Host]
		}
		if (e.Hop == ingest.HopSent || e.Hop == ingest.HopStored) && e.Time != 0 && (firstSend == 0 || adj[i] < firstSend) {
			firstSend = adj[i]
		}
	}
	for i := range c.Events {
		e := &c.Events[i]
		if e.Hop < ingest.HopDelivered || e.Hop > ingest.HopDeadLetter || adj[i] == 0 {
			continue
		}
		floor := firstSend
		if e.MsgID != "" {
			if t := c.sendTime(e.MsgID); t != 0 {
				floor = t
			}
		}
		if floor != 0 && adj[i] < floor {
			adj[i] = floor
		}
	}
	// Sort a permutation, then move each event once: swapping events themselves moves 300 bytes (and runs the
	// GC's write barriers) per swap.
	sc.perm = sc.perm[:0]
	for i := range c.Events {
		sc.perm = append(sc.perm, i)
	}
	less := causal{c}
	slices.SortFunc(sc.perm, func(a, b int) int {
		switch {
		case a == b:
			return 0
		case less.Less(a, b):
			return -1
		}
		return 1
	})
	sc.evs, sc.adj = append(sc.evs[:0], c.Events...), append(sc.adj[:0], c.Adjusted...)
	for k, i := range sc.perm {
		c.Events[k], c.Adjusted[k] = sc.evs[i], sc.adj[i]
	}
	clear(sc.evs) // drop the strings it points at
}

// sendTime is the earliest producer-side time of a message (before ordering: raw times plus skew).
func (c *Case) sendTime(msgID string) int64 {
	var t int64
	for i := range c.Events {
		e := &c.Events[i]
		if (e.Hop == ingest.HopSent || e.Hop == ingest.HopStored) && e.MsgID == msgID && e.Time != 0 {
			if a := c.Adjusted[i]; t == 0 || a < t {
				t = a
			}
		}
	}
	return t
}

type causal struct{ c *Case }

// Less is a total order: inputs are read in parallel, so ties must not fall back on arrival order.
func (s causal) Less(a, b int) bool {
	ta, tb := s.c.Adjusted[a], s.c.Adjusted[b]
	if ta != tb {
		return ta < tb
	}
	ea, eb := &s.c.Events[a], &s.c.Events[b]
	if ea.Hop != eb.Hop {
		return ea.Hop < eb.Hop
	}
	if ea.Origin != eb.Origin {
		return ea.Origin < eb.Origin // a log line before the trace of the same hop
	}
	if ea.Ref.Path != eb.Ref.Path {
		return ea.Ref.Path < eb.Ref.Path
	}
	return ea.Ref.Line < eb.Ref.Line
}
