package correlate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hoptrace/hoptrace/ingest"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// ev builds an event at t0+sec seconds from a compact spec: "hop[/status] k=v k=v".
func ev(sec float64, spec string) ingest.Event {
	e := ingest.NewEvent()
	e.Time = t0.Add(time.Duration(sec * float64(time.Second))).UnixNano()
	f := strings.Fields(spec)
	hs := strings.SplitN(f[0], "/", 2)
	h, err := ingest.ParseHop(hs[0])
	if err != nil {
		panic(err)
	}
	e.Hop = h
	if len(hs) == 2 {
		if e.Status, err = ingest.ParseStatus(hs[1]); err != nil {
			panic(err)
		}
	}
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "o":
			e.OrderID = v
		case "k":
			e.Keys = append(e.Keys, v)
		case "m":
			e.MsgID = ingest.NormalizeID(v)
		case "x":
			e.OffsetMsgID = v
		case "b":
			e.Broker = v
		case "q":
			fmt.Sscan(v, &e.QueueID)
		case "off":
			fmt.Sscan(v, &e.QueueOffset)
		case "h":
			e.Host = v
		case "g":
			e.GrantID = v
		case "grp":
			e.Group = v
		case "r":
			fmt.Sscan(v, &e.Retry)
		case "trace":
			e.Origin = ingest.OriginTrace
		case "broker":
			e.Origin = ingest.OriginBroker
		case "topic":
			e.Topic = v
		default:
			panic("bad key " + k)
		}
	}
	e.Ref = ingest.Ref{Path: "test.log", Line: int64(sec*1000) + 1}
	return e
}

// background is healthy traffic of other orders around the case under test: consumers and grants alive until
// t0+3600s, sends until t0+3600s, and the window ends at t0+3600s.
func background() []ingest.Event {
	var out []ingest.Event
	for i := 0; i < 4; i++ {
		s := float64(i) * 1000
		id := fmt.Sprintf("BG%d", i)
		m := fmt.Sprintf("BGM%d", i)
		out = append(out,
			ev(s, "paid o="+id+" h=order-1"),
			ev(s+0.01, "sent o="+id+" k="+id+" m="+m+" b=broker-a q=0 off="+fmt.Sprint(i)+" h=order-1"),
			ev(s+0.03, "delivered m="+m+" k="+id+" h=rp-1"),
			ev(s+0.05, "granted o="+id+" g=RP"+id+" h=rp-1"),
		)
	}
	out = append(out, ev(3600, "paid o=BGEND h=order-1"), ev(3600, "sent o=BGEND m=BGEND h=order-1"),
		ev(3600, "delivered m=BGEND h=rp-1"), ev(3600, "granted o=BGEND g=RPEND h=rp-1"))
	return out
}

func TestVerdicts(t *testing.T) {
	tests := []struct {
		name    string
		events  []ingest.Event
		want    Verdict
		missing ingest.Hop
		conf    Confidence
	}{
		{"ok", []ingest.Event{
			ev(10, "paid o=A h=order-1"), ev(10.01, "sent o=A k=A m=m1 h=order-1"),
			ev(10.02, "delivered m=m1 k=A h=rp-1"), ev(10.03, "consumed m=m1 h=rp-1"), ev(10.04, "granted o=A g=RP1 h=rp-1"),
		}, OK, ingest.HopNone, High},
		{"ok after send retry and redelivery, msgId case differs", []ingest.Event{
			ev(10, "paid o=A h=order-1"), ev(10.01, "sent/failed o=A k=A m=m0 h=order-1"), ev(11, "sent o=A k=A m=ABc1 h=order-1"),
			ev(11.02, "delivered m=abC1 k=A h=rp-1"), ev(11.03, "granted/failed o=A h=rp-1"), ev(11.04, "consumed/failed m=ABC1"),
			ev(21, "delivered m=abc1 k=A r=1 h=rp-2"), ev(21.01, "granted o=A g=RP1 h=rp-2"),
		}, OK, ingest.HopNone, High},
		{"ok: duplicate delivery granted once, skip", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1"), ev(10.02, "delivered m=m1 k=A h=rp-1"),
			ev(10.02, "delivered m=m1 k=A h=rp-2"), ev(10.03, "granted o=A g=RP1"), ev(10.04, "granted/skipped o=A g=RP1"),
		}, OK, ingest.HopNone, High},
		{"ok: send timed out but the broker had it", []ingest.Event{
			ev(10, "paid o=A"), ev(13, "sent/timeout o=A k=A m=m1"), ev(10.02, "delivered m=m1 k=A"), ev(10.03, "granted o=A g=RP1"),
		}, OK, ingest.HopNone, High},
		{"duplicate grant", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1"), ev(10.02, "delivered m=m1 k=A"),
			ev(10.03, "granted o=A g=RP1"), ev(10.05, "granted o=A g=RP2"),
		}, DuplicateGrant, ingest.HopNone, High},
		{"not sent", []ingest.Event{ev(10, "paid o=A h=order-1")}, NotSent, ingest.HopSent, High},
		{"send failed", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent/failed o=A k=A m=m1"), ev(11, "sent/timeout o=A k=A m=m2"),
		}, SendFailed, ingest.HopStored, High},
		{"send timed out only: medium", []ingest.Event{
			ev(10, "paid o=A"), ev(13, "sent/timeout o=A k=A m=m1"),
		}, SendFailed, ingest.HopStored, Medium},
		{"lost in broker from logs alone", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1 b=broker-b q=1 off=7"),
		}, LostInBroker, ingest.HopDelivered, Medium},
		{"lost in broker: the broker lookup finds nothing", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1 b=broker-b q=1 off=7"), ev(20, "stored/absent m=m1 broker"),
		}, LostInBroker, ingest.HopDelivered, High},
		{"lost in broker: offset collision with a later message", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1 b=broker-a q=0 off=100 x=OFF1"),
			ev(12, "paid o=B"), ev(12.01, "sent o=B k=B m=m2 b=broker-a q=0 off=100 x=OFF1"),
			ev(12.02, "delivered m=m2 k=B"), ev(12.03, "granted o=B g=RPB"),
		}, LostInBroker, ingest.HopDelivered, High},
		{"in flight: the broker shows it queued", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1 b=broker-c q=2 off=50"),
			ev(30, "progress b=broker-c q=2 off=50 grp=rp broker"),
		}, InFlight, ingest.HopDelivered, High},
		{"in flight: sent inside the grace period", []ingest.Event{
			ev(3300, "paid o=A"), ev(3300.01, "sent o=A k=A m=m1"),
		}, InFlight, ingest.HopDelivered, Medium},
		{"lost in consumer: success returned, no grant", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1"), ev(10.02, "delivered m=m1 k=A h=rp-2"), ev(10.03, "consumed m=m1 h=rp-2"),
		}, LostInConsumer, ingest.HopGranted, High},
		{"lost in consumer: only a SubBefore trace", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1"), ev(10.02, "delivered m=m1 k=A trace"),
		}, LostInConsumer, ingest.HopGranted, Medium},
		{"grant failed", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1"), ev(10.02, "delivered m=m1 k=A"),
			ev(10.03, "granted/failed o=A"), ev(10.04, "consumed m=m1"),
		}, GrantFailed, ingest.HopGranted, High},
		{"dead lettered", []ingest.Event{
			ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1"), ev(10.02, "delivered m=m1 k=A"), ev(10.03, "granted/failed o=A"),
			ev(20, "delivered m=m1 k=A r=1"), ev(20.01, "granted/failed o=A"), ev(21, "dead_letter m=m1 k=A"),
		}, DeadLettered, ingest.HopGranted, High},
		{"orphan: consumer evidence, no payment", []ingest.Event{
			ev(1, "delivered m=m1 k=A r=1"), ev(1.01, "granted o=A g=RP1"),
		}, Orphan, ingest.HopPaid, High},
		{"unknown: a send without a payment", []ingest.Event{
			ev(1, "sent o=A k=A m=m1"),
		}, Unknown, ingest.HopNone, Low},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Correlate(append(background(), tt.events...), nil, Options{})
			c := a.Find("A")
			if c == nil {
				t.Fatalf("case A not found; cases: %v", ids(a))
			}
			if c.Verdict != tt.want || c.Missing != tt.missing || c.Confidence != tt.conf {
				t.Errorf("got %s [%s] %s, want %s [%s] %s\nreason: %s\nevidence: %v", c.Verdict, c.Missing, c.Confidence,
					tt.want, tt.missing, tt.conf, c.Reason, c.Evidence)
			}
			if c.Reason == "" {
				t.Error("no reason")
			}
			for _, bg := range []string{"BG0", "BG1", "BG2", "BG3"} {
				if b := a.Find(bg); b == nil || b.Verdict != OK {
					t.Errorf("background order %s: %+v", bg, b)
				}
			}
		})
	}
}

func ids(a *Audit) []string {
	var out []string
	for _, c := range a.Cases {
		out = append(out, c.ID+"="+string(c.Verdict))
	}
	return out
}

func TestCollisionNeverJoinsTwoOrders(t *testing.T) {
	events := append(background(),
		ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1 b=broker-a q=0 off=100 x=OFF1"),
		ev(12, "paid o=B"), ev(12.01, "sent o=B k=B m=m2 b=broker-a q=0 off=100 x=OFF1"),
		ev(12.02, "delivered m=m2 k=B"), ev(12.03, "granted o=B g=RPB"),
		ev(30, "stored x=OFF1 broker"), // a lookup by the shared offsetMsgId: belongs to neither
	)
	a := Correlate(events, nil, Options{})
	if c := a.Find("B"); c == nil || c.Verdict != OK {
		t.Fatalf("B: %+v", c)
	}
	if c := a.Find("A"); c == nil || c.Verdict != LostInBroker || len(c.Events) != 2 {
		t.Fatalf("A: %+v", c)
	}
}

func TestRollbackSkip(t *testing.T) {
	// A is consumed at offset 100 before the crash; after it the queue rolls back and B reuses offset 100, but
	// the group had already committed past it: B is never delivered.
	events := append(background(),
		ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1 b=broker-a q=0 off=100"),
		ev(10.02, "delivered m=m1 k=A"), ev(10.03, "granted o=A g=RPA"),
		ev(12, "paid o=B"), ev(12.01, "sent o=B k=B m=m2 b=broker-a q=0 off=100"),
	)
	a := Correlate(events, nil, Options{})
	if c := a.Find("A"); c.Verdict != OK {
		t.Errorf("A: %s", c.Verdict)
	}
	c := a.Find("B")
	if c.Verdict != LostInBroker || c.Confidence != High || !strings.Contains(c.Reason, "rollback") {
		t.Errorf("B: %s %s %q", c.Verdict, c.Confidence, c.Reason)
	}
}

func TestSkewIsCorrected(t *testing.T) {
	events := append(background(),
		ev(10, "paid o=A h=order-1"), ev(10.01, "sent o=A k=A m=m1 h=order-1"),
		ev(7.52, "delivered m=m1 k=A h=rp-2"), ev(7.53, "granted o=A g=RP1 h=rp-2"),
	)
	a := Correlate(events, nil, Options{KeepEvents: true})
	c := a.Find("A")
	var hops []string
	for _, e := range c.Events {
		hops = append(hops, e.Hop.String())
	}
	if got := strings.Join(hops, ","); got != "paid,sent,delivered,granted" {
		t.Errorf("timeline order %s", got)
	}
	if len(a.Skew) != 1 || a.Skew[0].Host != "rp-2" || a.Skew[0].Behind < 2*time.Second {
		t.Errorf("skew %+v", a.Skew)
	}
}

func TestDarkConsumerIsNotALoss(t *testing.T) {
	// No consumer evidence at all after the send: hoptrace must not call it lost.
	events := []ingest.Event{
		ev(0, "paid o=Z"), ev(0.01, "sent o=Z m=z"), ev(0.02, "delivered m=z"), ev(0.03, "granted o=Z g=1"),
		ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1"),
		ev(5000, "paid o=Y"), ev(5000.1, "sent o=Y m=y"),
	}
	a := Correlate(events, nil, Options{})
	if c := a.Find("A"); c.Verdict != Unknown {
		t.Errorf("A: %s (%s)", c.Verdict, c.Reason)
	}
}

// TestNowIsTheWindowEnd: an audit cut with --to judges as of --to. A message sent five minutes before --to and
// delivered after it is in flight; with the whole data it is ok.
func TestNowIsTheWindowEnd(t *testing.T) {
	events := append(background(), ev(1800, "paid o=A"), ev(1800.01, "sent o=A k=A m=m1"),
		ev(2400, "delivered m=m1 k=A"), ev(2400.01, "granted o=A g=RP1"))
	if c := Correlate(events, nil, Options{}).Find("A"); c.Verdict != OK {
		t.Errorf("whole window: %s", c.Verdict)
	}
	a := Correlate(events, nil, Options{To: t0.Add(2100 * time.Second)})
	if c := a.Find("A"); c.Verdict != InFlight {
		t.Errorf("cut window: %s (%s)", c.Verdict, c.Reason)
	}
	if a.Outside == 0 {
		t.Error("events after --to were used")
	}
}

// TestReusedPositionIsNotASkipByItself: after a crash, B reuses the position of A, which was lost (never
// delivered), and the consumers are stopped. B is waiting, not skipped: only proof that the group had passed the
// position (A delivered, or the broker's committed offset beyond it) makes it a rollback skip. Found by the
// real-broker lab.
func TestReusedPositionIsNotASkipByItself(t *testing.T) {
	base := append(background(),
		ev(3000, "paid o=A"), ev(3000.01, "sent o=A k=A m=m1 b=broker-a q=1 off=3"),
		ev(3010, "paid o=B"), ev(3010.01, "sent o=B k=B m=m2 b=broker-a q=1 off=3"),
	)
	a := Correlate(base, nil, Options{})
	if c := a.Find("A"); c.Verdict != LostInBroker || c.Confidence != High {
		t.Errorf("A: %s %s", c.Verdict, c.Confidence)
	}
	if c := a.Find("B"); c.Verdict != InFlight {
		t.Errorf("B without proof of a skip: %s (%s)", c.Verdict, c.Reason)
	}
	withProgress := append(base, ev(3500, "progress b=broker-a q=1 off=3 grp=rp broker"))
	if c := Correlate(withProgress, nil, Options{}).Find("B"); c.Verdict != InFlight || c.Confidence != High {
		t.Errorf("B, broker shows it queued: %s %s (%s)", c.Verdict, c.Confidence, c.Reason)
	}
	passed := append(base, ev(3500, "progress b=broker-a q=1 off=4 grp=rp broker"))
	if c := Correlate(passed, nil, Options{}).Find("B"); c.Verdict != LostInBroker || !strings.Contains(c.Reason, "rollback") {
		t.Errorf("B, broker shows the group past it: %s (%s)", c.Verdict, c.Reason)
	}
}

// TestNoPaymentLogsIsNotOrphans: given only the consumer's logs, orders are unknown (the payment log is missing),
// not orphans.
func TestNoPaymentLogsIsNotOrphans(t *testing.T) {
	a := Correlate([]ingest.Event{ev(1, "delivered m=m1 k=A"), ev(1.01, "granted o=A g=RP1")}, nil, Options{})
	if c := a.Find("A"); c.Verdict != Unknown || !strings.Contains(c.Reason, "order service's logs") {
		t.Errorf("A: %s (%s)", c.Verdict, c.Reason)
	}
}

// TestGrantsWithoutIDs: without red-packet IDs, two grant lines of one grant (same host, same moment) are one
// grant; two grants a redelivery apart are a duplicate, with low confidence.
func TestGrantsWithoutIDs(t *testing.T) {
	base := []ingest.Event{ev(10, "paid o=A"), ev(10.01, "sent o=A k=A m=m1"), ev(10.02, "delivered m=m1 k=A h=rp-1")}
	once := append(append(background(), base...), ev(10.03, "granted o=A h=rp-1"), ev(10.04, "granted o=A h=rp-1"))
	if c := Correlate(once, nil, Options{}).Find("A"); c.Verdict != OK {
		t.Errorf("one grant logged twice: %s (%s)", c.Verdict, c.Reason)
	}
	mixed := append(append(background(), base...), ev(10.03, "granted o=A g=RP1 h=rp-1"), ev(10.04, "granted o=A h=rp-1"))
	if c := Correlate(mixed, nil, Options{}).Find("A"); c.Verdict != OK {
		t.Errorf("one grant, logged with and without its ID: %s (%s)", c.Verdict, c.Reason)
	}
	twice := append(append(background(), base...), ev(10.03, "granted o=A h=rp-1"),
		ev(40, "delivered m=m1 k=A r=1 h=rp-2"), ev(40.01, "granted o=A h=rp-2"))
	if c := Correlate(twice, nil, Options{}).Find("A"); c.Verdict != DuplicateGrant || c.Confidence != Low {
		t.Errorf("two grants: %s %s (%s)", c.Verdict, c.Confidence, c.Reason)
	}
}

// TestFocusWeakConsumerLogs: when consumer logs show few of the deliveries the SubBefore traces show, the audit
// lowers lost_in_broker verdicts from logs alone to low confidence. `hoptrace order` (Focus) must say the same.
func TestFocusWeakConsumerLogs(t *testing.T) {
	events := background()
	for i := 0; i < 40; i++ {
		s := 100 + float64(i)
		id, m := fmt.Sprintf("T%d", i), fmt.Sprintf("TM%d", i)
		events = append(events,
			ev(s, "paid o="+id+" h=order-1"),
			ev(s+0.01, "sent o="+id+" k="+id+" m="+m+" b=broker-a q=0 off="+fmt.Sprint(100+i)+" h=order-1"),
			ev(s+0.03, "delivered m="+m+" k="+id+" h=rp-1 trace"),
			ev(s+0.05, "granted o="+id+" g=RP"+id+" h=rp-1"))
	}
	events = append(events, ev(10, "paid o=L h=order-1"), ev(10.01, "sent o=L k=L m=LM b=broker-b q=1 off=7 h=order-1"))

	a := Correlate(append([]ingest.Event(nil), events...), nil, Options{})
	c := a.Find("L")
	if c == nil || c.Verdict != LostInBroker || c.Confidence != Low {
		t.Fatalf("audit: L = %+v, want lost_in_broker with low confidence", c)
	}
	f := Correlate(append([]ingest.Event(nil), events...), nil, Options{Focus: "L"})
	if len(f.Cases) != 1 || f.Cases[0].Verdict != LostInBroker || f.Cases[0].Confidence != Low {
		t.Fatalf("focus: %+v, want the one case, lost_in_broker with low confidence", f.Cases)
	}
	if len(f.Warnings) != len(a.Warnings) {
		t.Errorf("focus warnings %q, audit warnings %q", f.Warnings, a.Warnings)
	}
}

// TestArrivalOrderDoesNotMatter: files are read in parallel, so events arrive in any order; the cases (and the
// order of an order's msgIds) must not depend on it.
func TestArrivalOrderDoesNotMatter(t *testing.T) {
	events := append(background(),
		ev(10, "paid o=A h=order-1"), ev(10.01, "sent/timeout o=A k=A m=m1 h=order-1"),
		ev(11, "sent o=A k=A m=m2 b=broker-a q=0 off=9 h=order-1"), ev(11.01, "stored m=m2 k=A trace"),
		ev(10.02, "stored m=m1 k=A trace"), ev(11.03, "delivered m=m2 k=A h=rp-1"), ev(11.05, "granted o=A g=RP1 h=rp-1"))
	want := Correlate(append([]ingest.Event(nil), events...), nil, Options{KeepEvents: true}).Find("A")
	if got := strings.Join(want.MsgIDs, " "); got != "M1 M2" {
		t.Fatalf("msgIds = %q, want them in the order they were sent: M1 M2", got)
	}
	for seed := 0; seed < 20; seed++ {
		shuffled := append([]ingest.Event(nil), events...)
		for i := len(shuffled) - 1; i > 0; i-- {
			k := (i*7 + seed*13) % (i + 1)
			shuffled[i], shuffled[k] = shuffled[k], shuffled[i]
		}
		got := Correlate(shuffled, nil, Options{KeepEvents: true}).Find("A")
		if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Evidence{})); diff != "" {
			t.Fatalf("shuffle %d changed the case (-want +got):\n%s", seed, diff)
		}
	}
}

// zoneDay is 40 ok orders and one sent a minute before the end of the window, with the producer's lines moved
// by producer(i) seconds and the consumer's by consumer seconds; the traces (Pub only) keep the true clock.
func zoneDay(producer func(i int) float64, consumer float64, traces bool) []ingest.Event {
	var out []ingest.Event
	add := func(e ingest.Event) {
		if traces || e.Origin != ingest.OriginTrace {
			out = append(out, e)
		}
	}
	for i := 0; i < 40; i++ {
		s := 100 + float64(i)*10
		id, m := fmt.Sprintf("Z%d", i), fmt.Sprintf("ZM%d", i)
		add(ev(s+producer(i), "paid o="+id+" h=order-1"))
		add(ev(s+0.01+producer(i), "sent o="+id+" k="+id+" m="+m+" b=broker-a q=0 off="+fmt.Sprint(i)+" h=order-1"))
		add(ev(s+0.01, "stored m="+m+" k="+id+" trace"))
		add(ev(s+0.03+consumer, "delivered m="+m+" k="+id+" h=rp-1"))
		add(ev(s+0.05+consumer, "granted o="+id+" g=RP"+id+" h=rp-1"))
	}
	add(ev(1000+producer(0), "paid o=LAST h=order-1"))
	add(ev(1000.01+producer(0), "sent o=LAST k=LAST m=LASTM h=order-1"))
	add(ev(1000.01, "stored m=LASTM k=LAST trace"))
	add(ev(1060+consumer, "granted o=OTHER g=RPX h=rp-1"))
	return out
}

// TestZoneDetection: a log host whose lines sit a whole time zone away from the traces of the same messages (or,
// without traces, a consumer that far from the producers) is moved onto one clock, and the order sent a minute
// before the end stays in flight. A few seconds of skew, gaps that wander (a backlog) or half a zone are not a
// time zone.
func TestZoneDetection(t *testing.T) {
	zoneWarned := func(a *Audit) bool {
		for _, w := range a.Warnings {
			if strings.Contains(w, "wrong time zone") {
				return true
			}
		}
		return false
	}
	const eight = 8 * 3600
	for _, tt := range []struct {
		name     string
		producer func(int) float64
		consumer float64
		traces   bool
		moved    bool
	}{
		{"producer 8h behind the traces", func(int) float64 { return -eight }, 0, true, true},
		{"consumer 8h ahead, only Pub traces", func(int) float64 { return 0 }, eight, true, true},
		{"no traces, producer 8h behind", func(int) float64 { return -eight }, 0, false, true},
		{"2.5 s of skew", func(int) float64 { return -2.5 }, 0, true, false},
		{"no traces, 2.5 s of skew", func(int) float64 { return -2.5 }, 0, false, false},
		{"a backlog", func(i int) float64 { return -float64(i) * 600 }, 0, true, false},
		{"half a zone", func(int) float64 { return -7.5 * 60 }, 0, true, false},
	} {
		a := Correlate(zoneDay(tt.producer, tt.consumer, tt.traces), nil, Options{})
		if got := zoneWarned(a); got != tt.moved {
			t.Errorf("%s: zone correction %v, want %v; warnings %q", tt.name, got, tt.moved, a.Warnings)
		}
		if !tt.moved {
			continue
		}
		if c := a.Find("LAST"); c == nil || c.Verdict != InFlight {
			t.Errorf("%s: LAST = %+v, want in_flight", tt.name, c)
		}
	}
}
