// Package report renders correlate's results: an order's timeline, and an audit as text for people or as
// JSON, NDJSON and CSV for scripts. Field names of the machine formats are stable.
package report

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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

// stamp formats a time as 2006-01-02T15:04:05.000Z (UTC, milliseconds). By hand: an audit formats a million.
func stamp(ns int64) string {
	t := time.Unix(0, ns).UTC()
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	if y < 0 || y > 9999 {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	var b [24]byte
	put := func(i, v, n int) {
		for k := i + n - 1; k >= i; k-- {
			b[k] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = 'T'
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, sec, 2)
	b[19] = '.'
	put(20, t.Nanosecond()/1e6, 3)
	b[23] = 'Z'
	return string(b[:])
}

// AppendNDJSON appends r as one line of JSON, exactly as encoding/json's Encoder writes a Row (same field order,
// same omissions, same escaping, including of <, > and &), without its reflection: an audit writes a million.
func (r *Row) AppendNDJSON(b []byte) []byte {
	b = append(b, `{"order_id":`...)
	b = appendJSONString(b, r.OrderID)
	b = append(b, `,"verdict":`...)
	b = appendJSONString(b, r.Verdict)
	b = append(b, `,"missing_hop":`...)
	b = appendJSONString(b, r.MissingHop)
	b = append(b, `,"confidence":`...)
	b = appendJSONString(b, r.Confidence)
	b = append(b, `,"reason":`...)
	b = appendJSONString(b, r.Reason)
	if r.Where != "" {
		b = append(b, `,"where":`...)
		b = appendJSONString(b, r.Where)
	}
	if r.At != "" {
		b = append(b, `,"at":`...)
		b = appendJSONString(b, r.At)
	}
	if len(r.MsgIDs) > 0 {
		b = append(b, `,"msg_ids":[`...)
		for i, m := range r.MsgIDs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, m)
		}
		b = append(b, ']')
	}
	if r.UserID != "" {
		b = append(b, `,"user_id":`...)
		b = appendJSONString(b, r.UserID)
	}
	if r.Amount != "" {
		b = append(b, `,"amount":`...)
		b = appendJSONString(b, r.Amount)
	}
	if len(r.Evidence) > 0 {
		b = append(b, `,"evidence":[`...)
		for i, e := range r.Evidence {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"text":`...)
			b = appendJSONString(b, e.Text)
			if e.Source != "" {
				b = append(b, `,"source":`...)
				b = appendJSONString(b, e.Source)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// jsonSafe marks the ASCII bytes encoding/json (with HTML escaping, its default) writes as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONString is encoding/json's string encoding (HTML-escaped): invalid UTF-8 becomes U+FFFD, and U+2028
// and U+2029 are escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
