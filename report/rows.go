// Package report renders correlate's results: an order's timeline, and an audit as text for people or as
// JSON, NDJSON and CSV for scripts. Field names of the machine formats are stable.
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/hoptrace/hoptrace/correlate"
	"github.com/hoptrace/hoptrace/ingest"
)

// Row is one order in the machine-readable formats.
type Row struct {
	OrderID    string         `json:"order_id"`
	Verdict    string         `json:"verdict"`
	MissingHop string         `json:"missing_hop"`
	Confidence string         `json:"confidence"`
	Reason     string         `json:"reason"`
	Where      string         `json:"where,omitempty"`
	At         string         `json:"at,omitempty"`
	MsgIDs     []string       `json:"msg_ids,omitempty"`
	UserID     string         `json:"user_id,omitempty"`
	Amount     string         `json:"amount,omitempty"`
	Evidence   []EvidenceJSON `json:"evidence,omitempty"`
}

// EvidenceJSON is one fact behind a verdict, with its source as "file:line".
type EvidenceJSON struct {
	Text   string `json:"text"`
	Source string `json:"source,omitempty"`
}

// RowOf turns a case into its output row.
func RowOf(c *correlate.Case) Row {
	r := Row{
		OrderID:    c.ID,
		Verdict:    string(c.Verdict),
		MissingHop: hopName(c.Missing),
		Confidence: string(c.Confidence),
		Reason:     c.Reason,
		Where:      c.Where,
		MsgIDs:     c.MsgIDs,
		UserID:     c.UserID,
		Amount:     c.Amount,
	}
	if c.At != 0 {
		r.At = stamp(c.At)
	}
	for _, e := range c.Evidence {
		r.Evidence = append(r.Evidence, EvidenceJSON{Text: e.Text, Source: refString(e.Ref)})
	}
	return r
}

// Filter selects the orders a report lists: "broken" (the default), "all", or verdict names separated by
// commas ("lost_in_broker,lost_in_consumer").
type Filter string

// ParseFilter checks an --only value.
func ParseFilter(s string) (Filter, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	switch s {
	case "", "broken":
		return "broken", nil
	case "all":
		return "all", nil
	}
	for _, v := range strings.Split(s, ",") {
		if _, ok := correlate.ParseVerdict(v); !ok {
			names := []string{"broken", "all"}
			for _, v := range correlate.Verdicts() {
				names = append(names, string(v))
			}
			return "", fmt.Errorf("unknown --only value %q (want broken, all, or verdicts separated by commas: %s)", v, strings.Join(names[2:], ", "))
		}
	}
	return Filter(s), nil
}

// Match reports whether a case passes the filter.
func (f Filter) Match(c *correlate.Case) bool {
	switch f {
	case "all":
		return true
	case "", "broken":
		return c.Verdict.Broken()
	}
	for rest := string(f); rest != ""; {
		v, tail, _ := strings.Cut(rest, ",")
		if v == string(c.Verdict) {
			return true
		}
		rest = tail
	}
	return false
}

func hopName(h ingest.Hop) string {
	if h == ingest.HopNone {
		return ""
	}
	return h.String()
}

func refString(r ingest.Ref) string {
	if r.Path == "" {
		return ""
	}
	return r.String()
}

func stamp(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000Z")
}
