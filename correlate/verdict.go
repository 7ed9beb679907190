// Package correlate joins ingest.Events into one Case per order, decides each order's Verdict and the hop that
// is missing, and summarizes a whole window: counts, incidents, hop latency and evidence coverage.
package correlate

import "github.com/hoptrace/hoptrace/ingest"

// Verdict is what happened to an order's pay-success message. The names are stable: scripts and reports depend
// on them.
type Verdict string

// The verdicts, see ../shared/DESIGN.md "Deciding an order's verdict".
const (
	OK             Verdict = "ok"
	InFlight       Verdict = "in_flight"
	NotSent        Verdict = "not_sent"
	SendFailed     Verdict = "send_failed"
	LostInBroker   Verdict = "lost_in_broker"
	LostInConsumer Verdict = "lost_in_consumer"
	GrantFailed    Verdict = "grant_failed"
	DeadLettered   Verdict = "dead_lettered"
	DuplicateGrant Verdict = "duplicate_grant"
	Orphan         Verdict = "orphan"
	Unknown        Verdict = "unknown"
)

// Verdicts lists every verdict in report order (broken ones first, ok last).
func Verdicts() []Verdict {
	return []Verdict{LostInBroker, LostInConsumer, SendFailed, NotSent, GrantFailed, DeadLettered, DuplicateGrant,
		Orphan, Unknown, InFlight, OK}
}

// Broken reports whether the verdict means the user is owed something or something went wrong that a human
// must look at. ok and in_flight are not broken.
func (v Verdict) Broken() bool { return v != OK && v != InFlight }

// Owed reports whether the user's red packet is owed: the message was lost or the grant failed, and it is not
// merely still in flight. These are the rows of `audit --remediate`.
func (v Verdict) Owed() bool {
	switch v {
	case NotSent, SendFailed, LostInBroker, LostInConsumer, GrantFailed, DeadLettered:
		return true
	}
	return false
}

// ParseVerdict checks a verdict name.
func ParseVerdict(s string) (Verdict, bool) {
	for _, v := range Verdicts() {
		if string(v) == s {
			return v, true
		}
	}
	return "", false
}

// Confidence says how sure a verdict is. Traces are best-effort and logs can be incomplete, so a verdict that
// rests on the absence of evidence is never high unless the broker itself confirms it.
type Confidence string

const (
	High   Confidence = "high"
	Medium Confidence = "medium"
	Low    Confidence = "low"
)

// missingHop is the hop a verdict blames, per DESIGN.md.
func missingHop(v Verdict) ingest.Hop {
	switch v {
	case Orphan:
		return ingest.HopPaid
	case NotSent:
		return ingest.HopSent
	case SendFailed:
		return ingest.HopStored
	case LostInBroker, InFlight:
		return ingest.HopDelivered
	case LostInConsumer, GrantFailed, DeadLettered:
		return ingest.HopGranted
	}
	return ingest.HopNone
}
