package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// An event file holds normalized Events as JSON lines, after a header line. `hoptrace capture` writes one with
// what it read from a live broker (traces, consumer progress, lookups) so that `order` and `audit` can be re-run
// offline on the same evidence, and the file can be attached to a ticket. The log source recognises it by its
// header.

// EventFileHeader starts every event file.
const EventFileHeader = `{"hoptrace_events":1}`

type eventJSON struct {
	Time        int64    `json:"t,omitempty"`
	Hop         string   `json:"hop"`
	Status      string   `json:"status,omitempty"`
	Origin      string   `json:"origin,omitempty"`
	OrderID     string   `json:"order_id,omitempty"`
	Keys        []string `json:"keys,omitempty"`
	MsgID       string   `json:"msg_id,omitempty"`
	OffsetMsgID string   `json:"offset_msg_id,omitempty"`
	Broker      string   `json:"broker,omitempty"`
	Topic       string   `json:"topic,omitempty"`
	QueueID     *int32   `json:"queue_id,omitempty"`
	QueueOffset *int64   `json:"queue_offset,omitempty"`
	Group       string   `json:"group,omitempty"`
	Host        string   `json:"host,omitempty"`
	Result      string   `json:"result,omitempty"`
	Error       string   `json:"error,omitempty"`
	Retry       int32    `json:"retry,omitempty"`
	GrantID     string   `json:"grant_id,omitempty"`
	UserID      string   `json:"user_id,omitempty"`
	Amount      string   `json:"amount,omitempty"`
	Rule        string   `json:"rule,omitempty"`
	Source      string   `json:"source,omitempty"`
	Line        int64    `json:"line,omitempty"`
	Offset      int64    `json:"offset,omitempty"`
}

// EventWriter writes an event file.
type EventWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewEventWriter writes the header and returns a writer; Flush when done.
func NewEventWriter(w io.Writer) (*EventWriter, error) {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(EventFileHeader + "\n"); err != nil {
		return nil, err
	}
	return &EventWriter{w: bw, enc: json.NewEncoder(bw)}, nil
}

// Write appends one event.
func (ew *EventWriter) Write(e *Event) error {
	j := eventJSON{Time: e.Time, Hop: e.Hop.String(), Status: e.Status.String(), Origin: e.Origin.String(),
		OrderID: e.OrderID, Keys: e.Keys, MsgID: e.MsgID, OffsetMsgID: e.OffsetMsgID, Broker: e.Broker, Topic: e.Topic,
		Group: e.Group, Host: e.Host, Result: e.Result, Error: e.Error, Retry: e.Retry, GrantID: e.GrantID,
		UserID: e.UserID, Amount: e.Amount, Rule: e.Rule, Source: e.Ref.Path, Line: e.Ref.Line, Offset: e.Ref.Offset}
	if e.QueueID >= 0 {
		j.QueueID = &e.QueueID
	}
	if e.QueueOffset >= 0 {
		j.QueueOffset = &e.QueueOffset
	}
	return ew.enc.Encode(j)
}

// Flush writes what is buffered.
func (ew *EventWriter) Flush() error { return ew.w.Flush() }

// IsEventFile reports whether the first bytes of a file are an event file's header.
func IsEventFile(head []byte) bool { return bytes.HasPrefix(head, []byte(EventFileHeader)) }

// ReadEventFile reads an event file written by EventWriter, counting into st (a bad line is Malformed, with
// its line number). Events keep the Ref they were captured with (the broker topic and offset of a trace).
func ReadEventFile(r io.Reader, path string, st *Stats, emit func(Event)) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var line int64
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			line++
			b = bytes.TrimRight(b, "\r\n")
			st.Bytes += int64(len(b)) + 1
			switch {
			case line == 1:
				if !IsEventFile(b) {
					return fmt.Errorf("%s: line 1: not a hoptrace event file (want %s)", path, EventFileHeader)
				}
			case len(bytes.TrimSpace(b)) == 0:
			default:
				st.Lines++
				e, perr := decodeEvent(b)
				if perr != nil {
					st.AddMalformed(fmt.Sprintf("%s:%d: %v", path, line, perr))
					break
				}
				st.Matched++
				st.Events++
				st.Seen(e.Time)
				emit(e)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: line %d: %w", path, line+1, err)
		}
	}
}

func decodeEvent(b []byte) (Event, error) {
	var j eventJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return Event{}, fmt.Errorf("bad JSON: %v", err)
	}
	e := NewEvent()
	var err error
	if e.Hop, err = ParseHop(j.Hop); err != nil {
		return e, err
	}
	if e.Status, err = ParseStatus(j.Status); err != nil {
		return e, err
	}
	switch j.Origin {
	case "", "log":
		e.Origin = OriginLog
	case "trace":
		e.Origin = OriginTrace
	case "broker":
		e.Origin = OriginBroker
	default:
		return e, fmt.Errorf("unknown origin %q", j.Origin)
	}
	e.Time, e.OrderID, e.Keys = j.Time, j.OrderID, j.Keys
	e.MsgID, e.OffsetMsgID = NormalizeID(j.MsgID), NormalizeID(j.OffsetMsgID)
	e.Broker, e.Topic, e.Group, e.Host = j.Broker, j.Topic, j.Group, j.Host
	e.Result, e.Error, e.Retry, e.GrantID, e.UserID, e.Amount, e.Rule = j.Result, j.Error, j.Retry, j.GrantID, j.UserID, j.Amount, j.Rule
	e.Ref = Ref{Path: j.Source, Line: j.Line, Offset: j.Offset}
	if j.QueueID != nil {
		e.QueueID = *j.QueueID
	}
	if j.QueueOffset != nil {
		e.QueueOffset = *j.QueueOffset
	}
	return e, nil
}
