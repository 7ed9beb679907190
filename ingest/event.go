// Package ingest turns evidence (log lines, RocketMQ trace records, broker facts) into a stream of normalized
// Events. It knows nothing about verdicts: that is package correlate's job.
//
// The contract with correlate is the Event: one record per piece of evidence, carrying the hop it proves, its
// status, the identifiers it mentions and a Ref back to where it came from, so the raw evidence can be shown
// later without holding every raw line in memory.
package ingest

import (
	"fmt"
	"strings"
)

// Hop is a step of the pay-success flow: paid -> sent -> stored -> delivered -> consumed -> granted.
// HopDeadLetter and HopProgress are not steps of one message's path: the first says a message was moved to the
// dead-letter queue, the second is a broker fact (a consumer group's committed offset on one queue).
type Hop uint8

// The hops, in causal order. Their String names are stable: profiles, JSON output and scripts use them.
const (
	HopNone       Hop = iota
	HopPaid           // "paid": the order service recorded the payment
	HopSent           // "sent": the producer's send result (ok, or failed / timed out)
	HopStored         // "stored": the broker has the message (Pub trace, broker lookup); StatusAbsent when a lookup found nothing
	HopDelivered      // "delivered": the consumer received the message (SubBefore trace, consumer log)
	HopConsumed       // "consumed": the listener returned (SubAfter trace, consume-result log); failed = reconsume later
	HopGranted        // "granted": the red packet was granted (ok), failed to grant (failed), or skipped as already granted (skipped)
	HopDeadLetter     // "dead_letter": the message went to the consumer group's DLQ
	HopProgress       // "progress": a broker fact, Group's committed offset on Broker/Topic/QueueID is QueueOffset
	hopCount
)

var hopNames = [...]string{"", "paid", "sent", "stored", "delivered", "consumed", "granted", "dead_letter", "progress"}

func (h Hop) String() string {
	if int(h) < len(hopNames) {
		return hopNames[h]
	}
	return fmt.Sprintf("hop(%d)", h)
}

// ParseHop reads a hop name as written in profiles ("paid", "sent", ...). Profiles also accept "grant_failed"
// (granted + failed); that shorthand is resolved by the profile loader, not here.
func ParseHop(s string) (Hop, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, n := range hopNames {
		if i > 0 && n == s {
			return Hop(i), nil
		}
	}
	return HopNone, fmt.Errorf("unknown hop %q (want one of %s)", s, strings.Join(hopNames[1:], ", "))
}

// Hops lists the real hops in causal order, for renderers.
func Hops() []Hop {
	return []Hop{HopPaid, HopSent, HopStored, HopDelivered, HopConsumed, HopGranted, HopDeadLetter}
}

// Status is what the evidence says about its hop.
type Status uint8

const (
	StatusOK      Status = iota // the hop happened and succeeded
	StatusFailed                // the hop was attempted and failed (Error says why)
	StatusTimeout               // the writer gave up waiting: the outcome is unknown to it (a send timeout may still be stored)
	StatusSkipped               // the hop was skipped on purpose, e.g. "red packet already granted, skip" (an idempotent no-op)
	StatusAbsent                // a lookup looked for it and found nothing (broker does not have the message)
	statusCount
)

var statusNames = [...]string{"ok", "failed", "timeout", "skipped", "absent"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", s)
}

// ParseStatus reads a status name as written in profiles.
func ParseStatus(s string) (Status, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return StatusOK, nil
	}
	for i, n := range statusNames {
		if n == s {
			return Status(i), nil
		}
	}
	return StatusOK, fmt.Errorf("unknown status %q (want one of %s)", s, strings.Join(statusNames[:], ", "))
}

// Origin says what kind of source produced an Event. Traces are best-effort (the client drops them when its
// buffer is full), so correlate weighs a missing trace less than a missing log line.
type Origin uint8

const (
	OriginLog    Origin = iota // an application log line
	OriginTrace                // a RocketMQ message trace record (Pub, SubBefore, SubAfter, ...)
	OriginBroker               // a fact read from the broker (consumer progress, a lookup by key or id)
)

var originNames = [...]string{"log", "trace", "broker"}

func (o Origin) String() string {
	if int(o) < len(originNames) {
		return originNames[o]
	}
	return fmt.Sprintf("origin(%d)", o)
}

// Ref points back at the raw evidence. For files: Path plus 1-based Line and the byte Offset of the line's
// start in the (decompressed) stream. For trace dumps Line is the record number. For other backends Path names
// the place (index/doc id, topic@queue:offset) and Line/Offset may be zero.
type Ref struct {
	Path   string
	Line   int64
	Offset int64
}

func (r Ref) String() string {
	if r.Line > 0 {
		return fmt.Sprintf("%s:%d", r.Path, r.Line)
	}
	return r.Path
}

// Event is one normalized piece of evidence. Strings are interned by the sources (see Interner) so that a
// million events mentioning the same host cost one string. Empty string, QueueID -1 and QueueOffset -1 mean
// "not known".
type Event struct {
	Time   int64 // Unix nanoseconds, UTC; 0 when the evidence carries no time
	Hop    Hop
	Status Status
	Origin Origin

	// Identifiers. MsgID and OffsetMsgID are upper-cased hex (the Go client mixes case; compare
	// case-insensitively). Keys holds the message keys (RocketMQ allows several, space-separated on the wire).
	OrderID     string
	Keys        []string
	MsgID       string
	OffsetMsgID string

	// Where the message sits on the broker.
	Broker      string
	Topic       string
	QueueID     int32
	QueueOffset int64
	Group       string // consumer group (delivered/consumed/progress) or producer group (sent)

	Host    string // host or instance that wrote the evidence
	Result  string // the source's own result word: SEND_OK, FLUSH_DISK_TIMEOUT, CONSUME_SUCCESS, RECONSUME_LATER, ...
	Error   string // why it failed, for StatusFailed / StatusTimeout
	Retry   int32  // reconsumeTimes of a delivery (0 for the first delivery), or the send attempt number
	GrantID string // red packet ID of a grant: two distinct GrantIDs for one order are a duplicate grant
	UserID  string // from the paid event, for remediation
	Amount  string // from the paid event, for remediation
	Rule    string // name of the profile rule (or trace record type) that produced the event
	Ref     Ref
}

// NewEvent returns an Event with the "unknown" queue position set.
func NewEvent() Event { return Event{QueueID: -1, QueueOffset: -1} }

// NormalizeID upper-cases a msgId or offsetMsgId and drops placeholders such as "null" or "-".
func NormalizeID(s string) string {
	s = strings.TrimSpace(s)
	if IsPlaceholder(s) {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// IsPlaceholder reports whether an identifier value is a stand-in for "none" that must never join two cases.
func IsPlaceholder(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "null", "nil", "none", "-", "n/a", "na", "undefined", "0":
		return true
	}
	return false
}
