package correlate

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/hoptrace/hoptrace/ingest"
)

// stored is one message stored OK at a known queue position (a send result or a Pub trace): a record of the
// store, keyed for the crash footprints. A message usually appears twice (its send log and its Pub trace).
type stored struct {
	pq     uint32 // place << 16 | queue: broker + topic (see world.places) and queue ID
	rec    int32  // the record (its msgId and the rest)
	offset int64
	time   int64
}

// placed is one message at a position, for the crash footprints.
type placed struct {
	msg  sym
	time int64
	rec  int32
}

// offsetOwner is one message stored OK with an offsetMsgId (its commit-log position).
type offsetOwner struct {
	off  sym
	msg  sym
	time int64
	rec  int32
}

// world is what the verdict rules know beyond one case: the window, the broker's state, and how far each kind of
// evidence reaches, so that "no evidence" is never read as "did not happen" where a source is simply dark.
//
// Its position indexes are sorted slices, not maps: a million orders put two million entries in each, and a
// slice of small structs costs a third of a map's memory and is searched in microseconds.
type world struct {
	s        *store
	from, to int64
	grace    int64

	// lastHop is the latest time of any event per hop: consumer evidence after t proves the consumer side was
	// alive and logging after t.
	lastHop [16]int64
	// lastSentByHost is the latest send result per producer host.
	lastSentByHost map[string]int64

	// stored: every OK store at a known position, sorted by position then time (two messages at one position
	// are a collision).
	stored []stored
	// byQueue: indexes into stored, sorted by queue then time (offsets going back over time = a rollback).
	byQueue []int32
	// offsets: the OK stores of every offsetMsgId that two different messages carry (the position was reused),
	// sorted by it.
	offsets       []offsetOwner
	byOffsetMsgID map[string][]offsetOwner // the same, by the offsetMsgId's text: classify needs no symbol lookup
	// progress: the consumer group's committed offset per queue, from the broker.
	progress map[queueKey]progressFact
	// places numbers the (broker, topic) pairs, so positions are small keys.
	places map[[2]string]uint32
	// delivered: messages some consumer received (a delivery or a consume result).
	delivered []bool // by symbol
}

// place numbers a (broker, topic) pair; only newWorld calls it (classify only reads w.places).
// A pq key holds 65536 pairs (an audit sees a handful); past that, a pair is not numbered and its messages get
// no crash footprint (ok is false).
func (w *world) place(broker, topic string) (p uint32, ok bool) {
	k := [2]string{broker, topic}
	if p, ok = w.places[k]; !ok && len(w.places) < 1<<16 {
		p, ok = uint32(len(w.places)), true
		w.places[k] = p
	}
	return p, ok
}

type queueKey struct {
	broker, topic string
	queue         int32
}

type progressFact struct {
	group  string
	offset int64
	time   int64
	ref    ingest.Ref
}

func newWorld(s *store, from, to, grace int64) *world {
	w := &world{
		s: s, from: from, to: to, grace: grace,
		lastSentByHost: map[string]int64{},
		progress:       map[queueKey]progressFact{},
		places:         map[[2]string]uint32{},
		delivered:      make([]bool, s.syms.len()),
	}
	// Per context (a handful of them): the place of its broker and topic (-1: none), and its latest send.
	ctxPlace := make([]int64, len(s.ctxs))
	ctxSent := make([]int64, len(s.ctxs))
	for ci := range s.ctxs {
		ctxPlace[ci] = -1
		if cx := &s.ctxs[ci]; cx.broker != "" && !isRetryTopic(cx.topic) {
			if p, ok := w.place(cx.broker, cx.topic); ok {
				ctxPlace[ci] = int64(p)
			}
		}
	}
	// An offsetMsgId is evidence only when two different messages carry it: find those first (by symbol, no
	// sort), and index only their stores.
	firstMsg := make([]sym, s.syms.len()) // offsetMsgId symbol -> the first msgId stored with it
	shared := make([]bool, s.syms.len())
	n, nShared := 0, 0
	for i := 0; i < s.len(); i++ {
		r := s.rec(i)
		if (r.hop() != ingest.HopSent && r.hop() != ingest.HopStored) || r.status() != ingest.StatusOK || r.msg == 0 {
			continue
		}
		if ctxPlace[r.ctx] >= 0 && r.qid >= 0 && r.qoff >= 0 {
			n++ // sized first: grown by append, the index would briefly need twice its memory
		}
		if r.offMsg != 0 {
			switch f := firstMsg[r.offMsg]; {
			case f == 0:
				firstMsg[r.offMsg] = r.msg
			case f != r.msg && !shared[r.offMsg]:
				shared[r.offMsg] = true
				nShared++
			}
		}
	}
	firstMsg = nil
	w.stored = make([]stored, 0, n)
	for i := 0; i < s.len(); i++ {
		r := s.rec(i)
		hop := r.hop()
		if int(hop) < len(w.lastHop) && r.time > w.lastHop[hop] {
			w.lastHop[hop] = r.time
		}
		switch hop {
		case ingest.HopProgress:
			cx := s.ctx(i)
			k := queueKey{cx.broker, cx.topic, int32(r.qid)}
			if p, ok := w.progress[k]; !ok || r.time >= p.time {
				w.progress[k] = progressFact{group: cx.group, offset: r.qoff, time: r.time,
					ref: ingest.Ref{Path: cx.path, Line: int64(r.refLine), Offset: r.offset()}}
			}
		case ingest.HopSent:
			ctxSent[r.ctx] = max(ctxSent[r.ctx], r.time)
		}
		if (hop == ingest.HopDelivered || hop == ingest.HopConsumed) && r.msg != 0 {
			w.delivered[r.msg] = true
		}
		if (hop != ingest.HopSent && hop != ingest.HopStored) || r.status() != ingest.StatusOK || r.msg == 0 {
			continue
		}
		if p := ctxPlace[r.ctx]; p >= 0 && r.qid >= 0 && r.qoff >= 0 {
			w.stored = append(w.stored, stored{pq: pq(uint32(p), int32(r.qid)), offset: r.qoff, time: r.time, rec: int32(i)})
		}
		if r.offMsg != 0 && shared[r.offMsg] {
			w.offsets = append(w.offsets, offsetOwner{off: r.offMsg, msg: r.msg, time: r.time, rec: int32(i)})
		}
	}
	for ci, t := range ctxSent {
		if h := s.ctxs[ci].host; t > w.lastSentByHost[h] {
			w.lastSentByHost[h] = t
		}
	}
	// Ties are broken by record number only after time: which of two same-time entries comes first never decides
	// a verdict (earliestOther compares msgIds for that).
	slices.SortFunc(w.stored, func(a, b stored) int {
		return cmp.Or(cmp.Compare(a.pq, b.pq), cmp.Compare(a.offset, b.offset), cmp.Compare(a.time, b.time), cmp.Compare(a.rec, b.rec))
	})
	slices.SortFunc(w.offsets, func(a, b offsetOwner) int {
		return cmp.Or(cmp.Compare(a.off, b.off), cmp.Compare(a.time, b.time), cmp.Compare(a.rec, b.rec))
	})
	w.byOffsetMsgID = make(map[string][]offsetOwner, nShared)
	for lo := 0; lo < len(w.offsets); {
		hi := lo + 1
		for hi < len(w.offsets) && w.offsets[hi].off == w.offsets[lo].off {
			hi++
		}
		w.byOffsetMsgID[s.syms.str(w.offsets[lo].off)] = w.offsets[lo:hi]
		lo = hi
	}
	w.byQueue = make([]int32, len(w.stored))
	for i := range w.byQueue {
		w.byQueue[i] = int32(i)
	}
	slices.SortFunc(w.byQueue, func(x, y int32) int {
		a, b := &w.stored[x], &w.stored[y]
		return cmp.Or(cmp.Compare(a.pq, b.pq), cmp.Compare(a.time, b.time), cmp.Compare(a.offset, b.offset), cmp.Compare(a.rec, b.rec))
	})
	return w
}

// pq packs a place and a queue ID into one key (queue IDs are small: a topic has a few dozen queues).
func pq(place uint32, queue int32) uint32 { return place<<16 | uint32(uint16(queue)) }

// atPosition returns the stores at one queue position.
func (w *world) atPosition(place uint32, queue int32, offset int64) []stored {
	k := pq(place, queue)
	lo, _ := slices.BinarySearchFunc(w.stored, stored{pq: k, offset: offset}, func(a, b stored) int {
		return cmp.Or(cmp.Compare(a.pq, b.pq), cmp.Compare(a.offset, b.offset))
	})
	hi := lo
	for hi < len(w.stored) && w.stored[hi].pq == k && w.stored[hi].offset == offset {
		hi++
	}
	return w.stored[lo:hi]
}

// queueAfter returns the stores on one queue later than t, in time order.
func (w *world) queueAfter(place uint32, queue int32, t int64) []int32 {
	k := pq(place, queue)
	lo := sort.Search(len(w.byQueue), func(i int) bool {
		a := &w.stored[w.byQueue[i]]
		return cmp.Or(cmp.Compare(a.pq, k), cmp.Compare(a.time, t)) > 0
	})
	hi := lo
	for hi < len(w.byQueue) && w.stored[w.byQueue[hi]].pq == k {
		hi++
	}
	return w.byQueue[lo:hi]
}

func isRetryTopic(t string) bool {
	return len(t) > 7 && (t[:7] == "%RETRY%" || t[:5] == "%DLQ%")
}

// okReason is the verdict sentence of an ok order.
const okReason = "the red packet was granted"

// consumerAliveAfter reports whether any delivery evidence exists after t (the consumer side logged something).
func (w *world) consumerAliveAfter(t int64) bool {
	return w.lastHop[ingest.HopDelivered] > t || w.lastHop[ingest.HopConsumed] > t
}

// classify applies the rules of DESIGN.md "Deciding an order's verdict"; the first rule that holds wins.
// Evidence sentences are written at the end, and not at all for an ok order when lean is set.
func (w *world) classify(c *Case, f *facts, lean bool) {
	defer func() {
		if lean && c.Verdict == OK {
			c.Evidence = nil
			return
		}
		for i := range c.Evidence {
			if e := c.Evidence[i].event; e != nil {
				c.Evidence[i].Text, c.Evidence[i].event = describe(e), nil
				if adj := c.adjustedOf(e); adj != 0 && adj != e.Time {
					c.Evidence[i].Text += fmt.Sprintf(" [%s on the producers' clock: the host's clock is corrected by %s]", fmtTime(adj), dur(adj-e.Time))
				}
			}
		}
	}()
	collect(f, c.Events)
	set := func(v Verdict, conf Confidence, reason string) {
		c.Verdict, c.Confidence, c.Reason = v, conf, reason
		c.Missing = missingHop(v)
	}
	ev := func(e *ingest.Event) {
		if e != nil {
			c.Evidence = append(c.Evidence, Evidence{Ref: e.Ref, Time: e.Time, event: e})
		}
	}
	fact := func(format string, args ...any) {
		c.Evidence = append(c.Evidence, Evidence{Text: fmt.Sprintf(format, args...)})
	}
	if p := first(f.paid); p != nil {
		ev(p)
		c.At = p.Time
		c.Where = p.Host
	}
	lastSend := last(f.sendOK)
	stored := len(f.sendOK)+len(f.storedOK) > 0

	// 1. consumer or grant evidence, no payment in the window.
	if len(f.paid) == 0 {
		if f.consumerSide() {
			e := first(concat(f.delivered, f.grants, f.grantFail))
			if e == nil {
				e = first(concat(f.consumedOK, f.consumedFail, f.dlq, f.grantSkip))
			}
			ev(e)
			c.At, c.Where = e.Time, e.Host
			if w.lastHop[ingest.HopPaid] == 0 {
				// Not one payment in all the inputs: the payment log is missing, not this order's payment.
				set(Unknown, Low, "no payment of any order is in the inputs: add the order service's logs to judge the consumer's evidence")
				return
			}
			set(Orphan, High, "the consumer side saw this order but no payment for it is in the audited window (paid before --from, or a message nobody paid for)")
			return
		}
		e := first(concat(f.sendOK, f.sendFail, f.sendTout))
		if e == nil {
			e = first(f.storedOK)
		}
		ev(e)
		if e != nil {
			c.At, c.Where = e.Time, e.Host
		}
		set(Unknown, Low, "no payment for this order is in the audited window, only its send: widen --from to judge it")
		return
	}

	// 2 and 3. grants.
	if n, withIDs := f.distinctGrants(); n >= 2 {
		for _, g := range f.grants {
			ev(g)
		}
		g := last(f.grants)
		c.At, c.Where = g.Time, g.Host
		conf, reason := High, fmt.Sprintf("the red packet was granted %d times for one payment", n)
		if !withIDs {
			conf, reason = Low, reason+" (the grant lines carry no red-packet ID: give the profile a grant_id to tell two grants from one logged twice)"
		}
		set(DuplicateGrant, conf, reason)
		return
	} else if n == 1 {
		g := first(f.grants)
		ev(g)
		set(OK, High, okReason)
		return
	}

	// 4. no send result at all.
	if len(f.sendOK)+len(f.sendFail)+len(f.sendTout)+len(f.storedOK) == 0 && !f.consumerSide() {
		p := first(f.paid)
		if w.to-p.Time < w.grace {
			set(InFlight, Low, fmt.Sprintf("paid %s before the end of the window, no send logged yet; it may still be sent", dur(w.to-p.Time)))
			return
		}
		if w.lastSentByHost[p.Host] <= p.Time && w.lastHop[ingest.HopSent] <= p.Time {
			set(Unknown, Low, "no send result for this order, but no send of any order was logged after its payment either: the producer's log looks cut off")
			return
		}
		fact("no send attempt and no send result for this order, while %s logged sends of other orders after it", p.Host)
		set(NotSent, High, "the order service never published the pay-success message")
		return
	}

	// 5. send failures only.
	if !stored && !f.consumerSide() {
		for _, e := range f.sendFail {
			ev(e)
		}
		for _, e := range f.sendTout {
			ev(e)
		}
		e := last(concat(f.sendFail, f.sendTout))
		c.At, c.Where = e.Time, e.Host
		conf := High
		reason := "every send attempt failed; the broker never stored the message"
		if len(f.sendFail) == 0 {
			conf = Medium
			reason = "every send attempt timed out and no consumer ever received the message: the broker most likely never stored it"
			if len(f.storedAbsent) > 0 {
				conf = High
			}
		}
		for _, e := range f.storedAbsent {
			ev(e)
		}
		set(SendFailed, conf, reason)
		return
	}

	// 6. stored but never delivered.
	if !f.consumerSide() {
		s := lastSend
		if s == nil {
			s = last(f.storedOK)
		}
		ev(s)
		c.At, c.Where = s.Time, where(s)
		if w.crashEvidence(c, f) {
			for _, e := range f.storedAbsent {
				ev(e) // the broker's own word that it lost the message
			}
			return
		}
		if p, ok := w.queued(s); ok {
			fact("the broker shows %s still queued: group %s committed offset %d on %s queue %d, this message is at offset %d",
				msgName(s), p.group, p.offset, s.Broker, s.QueueID, s.QueueOffset)
			set(InFlight, High, "the message is stored and still waiting in the queue (consumer lag), not lost")
			return
		}
		if w.to-s.Time < w.grace {
			fact("sent %s before the end of the window, inside the %s grace period", dur(w.to-s.Time), dur(w.grace))
			set(InFlight, Medium, "sent shortly before the end of the window: it may still be delivered")
			return
		}
		for _, e := range f.storedAbsent {
			ev(e)
		}
		if !w.consumerAliveAfter(s.Time) {
			fact("no consumer evidence at all after %s: the consumer logs end before this message, or the consumer is down", fmtTime(s.Time))
			set(Unknown, Low, "stored but never delivered, and the consumer side is dark after the send: cannot tell a loss from lag")
			return
		}
		fact("never delivered: no consumer evidence for %s in the %s after the send, while consumers received other messages until %s",
			msgName(s), dur(w.to-s.Time), fmtTime(w.lastHop[ingest.HopDelivered]))
		conf := Medium
		if len(f.storedAbsent) > 0 {
			conf = High
		}
		set(LostInBroker, conf, "the broker accepted the message but never delivered it")
		return
	}

	// From here on the consumer saw the message.
	d := last(f.delivered)
	if d == nil {
		d = last(concat(f.consumedOK, f.consumedFail))
	}
	if d == nil {
		d = last(concat(f.grantFail, f.dlq))
	}
	if d == nil {
		d = last(f.grantSkip)
	}
	ev(lastSend)

	// 7. delivered, then only failures.
	if len(f.dlq) > 0 {
		for _, e := range f.grantFail {
			ev(e)
		}
		q := last(f.dlq)
		ev(q)
		c.At, c.Where = q.Time, q.Group
		if c.Where == "" {
			c.Where = q.Host
		}
		set(DeadLettered, High, fmt.Sprintf("every delivery failed (%d attempts) and the message went to the dead-letter queue", max(len(f.delivered), 1)))
		return
	}
	if len(f.grantFail) > 0 {
		for _, e := range f.delivered {
			ev(e)
		}
		g := last(f.grantFail)
		ev(g)
		c.At, c.Where = g.Time, g.Host
		lc := last(concat(f.consumedOK, f.consumedFail))
		if lc != nil && lc.Status != ingest.StatusOK && w.to-lc.Time < w.grace {
			ev(lc)
			set(InFlight, Low, "the grant failed and the consumer asked for a redelivery that may still come")
			return
		}
		conf := High
		if lc != nil && lc.Status != ingest.StatusOK {
			ev(lc)
			conf = Medium
		}
		set(GrantFailed, conf, "the consumer received the message but granting the red packet failed")
		return
	}
	if len(f.grantSkip) > 0 {
		for _, e := range f.grantSkip {
			ev(e)
		}
		c.At, c.Where = d.Time, d.Host
		set(Unknown, Low, "the consumer skipped the grant as already granted, but no grant for this order is in the audited window: widen the window")
		return
	}

	// 8. delivered, no grant, no failure.
	for _, e := range f.delivered {
		ev(e)
	}
	for _, e := range f.consumedOK {
		ev(e)
	}
	c.At, c.Where = d.Time, d.Host
	if w.to-d.Time < w.grace {
		fact("delivered %s before the end of the window, inside the %s grace period", dur(w.to-d.Time), dur(w.grace))
		set(InFlight, Low, "received shortly before the end of the window: the grant may still come")
		return
	}
	if w.lastHop[ingest.HopGranted] <= d.Time {
		fact("no grant of any order was logged after %s: the red-packet log looks cut off", fmtTime(d.Time))
		set(Unknown, Low, "received, but the grant log is dark after the delivery: cannot tell a loss from a missing log")
		return
	}
	conf := Medium
	if len(f.consumedOK) > 0 {
		conf = High
		fact("the listener returned success, so the offset was committed: RocketMQ will not redeliver it")
	}
	set(LostInConsumer, conf, "the consumer received the message and never granted the red packet")
}

// where names the place a lost message blames, for incident clustering: the broker (a crash takes all its
// queues at once), else the host.
func where(e *ingest.Event) string {
	if e.Broker != "" {
		return e.Broker
	}
	return e.Host
}

func msgName(e *ingest.Event) string {
	if e.MsgID != "" {
		return "msgId " + e.MsgID
	}
	return "the message"
}

// queued reports whether the broker's consumer progress shows the message still waiting.
func (w *world) queued(s *ingest.Event) (progressFact, bool) {
	if s.Broker == "" || s.QueueID < 0 || s.QueueOffset < 0 {
		return progressFact{}, false
	}
	p, ok := w.progress[queueKey{s.Broker, s.Topic, s.QueueID}]
	if !ok {
		return p, false
	}
	return p, p.offset <= s.QueueOffset
}

// crashEvidence looks for the two broker-crash footprints: another message at this message's queue position
// (offset collision, also seen as a reused offsetMsgId), and the queue's offsets rolling back below this message
// after it was stored. Either proves the broker lost the message, whatever the consumer's offsets say.
func (w *world) crashEvidence(c *Case, f *facts) bool {
	t := w.s.syms
	sends := concat(f.sendOK, f.storedOK)
	for _, s := range sends {
		if s.MsgID == "" {
			continue
		}
		var other *placed
		how := ""
		hasPos := s.Broker != "" && s.QueueID >= 0 && s.QueueOffset >= 0
		pl, known := w.places[[2]string{s.Broker, s.Topic}] // read-only: classify runs on several goroutines
		if hasPos && known {
			var ps []placed
			for _, x := range w.atPosition(pl, s.QueueID, s.QueueOffset) {
				ps = append(ps, placed{msg: w.s.rec(int(x.rec)).msg, time: x.time, rec: x.rec})
			}
			if p := w.earliestOther(ps, s.MsgID); p != nil {
				other, how = p, fmt.Sprintf("%s queue %d offset %d", s.Broker, s.QueueID, s.QueueOffset)
			}
		}
		if other == nil && s.OffsetMsgID != "" {
			var ps []placed
			for _, x := range w.byOffsetMsgID[s.OffsetMsgID] {
				ps = append(ps, placed{msg: x.msg, time: x.time, rec: x.rec})
			}
			if p := w.earliestOther(ps, s.MsgID); p != nil {
				other, how = p, "offsetMsgId "+s.OffsetMsgID
			}
		}
		if other != nil {
			o := w.s.event(int(other.rec))
			c.Evidence = append(c.Evidence, Evidence{
				Text: fmt.Sprintf("offset collision: %s also holds msgId %s (order %s, stored at %s): the broker reused the position after a crash",
					how, o.MsgID, orDash(o.OrderID), fmtTime(o.Time)),
				Ref: o.Ref, Time: o.Time,
			})
			if other.time > s.Time {
				// A later message took this one's position: this one's data is gone.
				c.Verdict, c.Confidence, c.Missing = LostInBroker, High, ingest.HopDelivered
				c.Reason = "the broker lost the message in a crash (unflushed page cache): its queue position was reused by a later message"
				c.At = s.Time
				return true
			}
			// This message took the position of an earlier one. It is skipped only if the consumers had already
			// passed the position before the crash; otherwise it is merely waiting (or lost for another reason).
			if w.delivered[other.msg] {
				c.Evidence = append(c.Evidence, Evidence{Text: fmt.Sprintf("msgId %s, stored at that position before the crash, was delivered: the consumer group had already passed it", o.MsgID)})
			} else if p, ok := w.progress[queueKey{s.Broker, s.Topic, s.QueueID}]; ok && p.offset > s.QueueOffset {
				c.Evidence = append(c.Evidence, Evidence{Text: fmt.Sprintf("the broker shows group %s committed offset %d on %s queue %d, past this message's offset %d", p.group, p.offset, s.Broker, s.QueueID, s.QueueOffset), Ref: p.ref})
			} else {
				continue
			}
			c.Verdict, c.Confidence, c.Missing = LostInBroker, High, ingest.HopDelivered
			c.Reason = "the broker rolled back after a crash and stored this message at a position its consumers had already passed: it was never delivered (rollback skip)"
			c.At = s.Time
			return true
		}
		if hasPos && known {
			for _, x := range w.queueAfter(pl, s.QueueID, s.Time) {
				if q := &w.stored[x]; q.offset <= s.QueueOffset && t.str(w.s.rec(int(q.rec)).msg) != s.MsgID {
					c.Evidence = append(c.Evidence, Evidence{
						Text: fmt.Sprintf("%s queue %d rolled back: msgId %s was stored at offset %d at %s, at or below this message's offset %d: the broker lost its unflushed tail in a crash",
							s.Broker, s.QueueID, t.str(w.s.rec(int(q.rec)).msg), q.offset, fmtTime(q.time), s.QueueOffset),
						Time: q.time,
					})
					c.Verdict, c.Confidence, c.Missing = LostInBroker, High, ingest.HopDelivered
					c.Reason = "the broker lost the message in a crash: the queue's offsets rolled back below it"
					c.At = s.Time
					return true
				}
			}
		}
	}
	return false
}

// earliestOther picks, deterministically, the earliest message of ps that is not self (a msgId).
func (w *world) earliestOther(ps []placed, self string) *placed {
	t := w.s.syms
	var best *placed
	for i := range ps {
		p := &ps[i]
		if p.msg == 0 || t.str(p.msg) == self {
			continue
		}
		if best == nil || p.time < best.time || (p.time == best.time && t.str(p.msg) < t.str(best.msg)) {
			best = p
		}
	}
	return best
}

// concat joins event lists into a new one.
func concat(lists ...[]*ingest.Event) []*ingest.Event {
	var out []*ingest.Event
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func dur(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
