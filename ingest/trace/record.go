// Package trace decodes RocketMQ message-trace bodies (the messages of topic RMQ_SYS_TRACE_TOPIC) into Records
// and maps them to ingest.Events.
//
// # Wire format (confirmed from the clients' sources)
//
// A trace body is many records back to back. Every field is followed by \x01 except the last, and every record
// ends with \x02 (Java TraceConstants.CONTENT_SPLITOR = (char) 1 and FIELD_SPLITOR = (char) 2; Go
// internal/trace.go contentSplitter = '\001' and fieldSplitter = '\002'). Java's StringBuilder writes a null
// String as "null"; Go writes "null" for empty keys of SubBefore and SubAfter (nullWrap). Field orders, with the
// sources they were read from (apache/rocketmq client/src/main/java/org/apache/rocketmq/client/trace/
// TraceDataEncoder.java encoderFromContextBean, apache/rocketmq-client-go internal/trace.go marshal2Bean):
//
//	Pub            Type ts region group topic msgId tags keys storeHost bodyLength costTime msgType offsetMsgId success
//	               14 fields (Java); Go adds clientHost: 15. (Java's decoder also takes 13, without offsetMsgId,
//	               but no Apache release writes that: 13 fields is rejected, it is more likely a lost field.)
//	SubBefore      Type ts region group requestId msgId retryTimes keys
//	               8 fields (Java); Go adds clientHost: 9
//	SubAfter       Type requestId msgId costTime success keys contextCode ts group
//	               9 fields (Go, Java >= 4.9.2); 7 fields: Java <= 4.9.1, and Java >= 5.1.4 with the CLOUD access
//	               channel (5.3.1+ writes a trailing empty field; 5.1.4-5.3.0 even forgot the \x02 terminator, so
//	               the record runs into the next one: DecodeBody splits such merged records again)
//	EndTransaction Type ts region group topic msgId tags keys storeHost msgType transactionId state fromCheck
//	               13 fields, Java only
//	Recall         Type ts region group topic msgId success
//	               7 fields, Java 5.3.2+ only
//
// Keys hold the message's keys separated by a space (MessageConst.KEY_SEPARATOR, Go PropertyKeySeparator): both
// clients write the KEYS property as is.
package trace

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/hoptrace/hoptrace/ingest"
)

// The separators of the trace wire format.
const (
	FieldSep  = '\x01' // ends every field but the last of a record (Java CONTENT_SPLITOR, Go contentSplitter)
	RecordEnd = '\x02' // ends every record (Java FIELD_SPLITOR, Go fieldSplitter)
)

// The record types (Java TraceType; the Go client writes only Pub, SubBefore and SubAfter).
const (
	TypePub            = "Pub"
	TypeSubBefore      = "SubBefore"
	TypeSubAfter       = "SubAfter"
	TypeEndTransaction = "EndTransaction"
	TypeRecall         = "Recall"
)

// The transaction states of an EndTransaction record (Java LocalTransactionState names, UNKNOW sic).
const (
	StateCommit   = "COMMIT_MESSAGE"
	StateRollback = "ROLLBACK_MESSAGE"
	StateUnknown  = "UNKNOW"
)

// contextCodes are the names of SubAfter's contextCode: the ordinal of Java's ConsumeReturnType (Go's
// primitive.ConsumeReturnType.Ordinal uses the same numbers).
var contextCodes = [...]string{"SUCCESS", "TIME_OUT", "EXCEPTION", "RETURNNULL", "FAILED"}

// ContextCodeName names a SubAfter contextCode: SUCCESS, TIME_OUT, EXCEPTION, RETURNNULL, FAILED, or CODE_<n>
// for a code no known client writes.
func ContextCodeName(code int) string {
	if code >= 0 && code < len(contextCodes) {
		return contextCodes[code]
	}
	return fmt.Sprintf("CODE_%d", code)
}

// Record is one decoded trace record. Fields a record type does not carry are zero. String fields that the Java
// client wrote as "null" are empty; Keys holds the real keys only (no "null" placeholder). Success is what the
// record says for Pub, SubAfter and Recall, always true for SubBefore (both clients set it and do not write it),
// false for EndTransaction (see TransactionState). TimeMs is 0 when the record carries no timestamp (a 7-field
// SubAfter).
type Record struct {
	Type                 string // Pub, SubBefore, SubAfter, EndTransaction, Recall
	TimeMs               int64
	Region, Group        string
	Topic, MsgID, Tags   string
	Keys                 []string
	StoreHost            string
	BodyLength, CostTime int
	MsgType              int // 0 normal, 1 transaction half, 2 transaction commit, 3 delay, 4 order (Java only)
	OffsetMsgID          string
	Success              bool
	ClientHost           string // Go client only (Pub, SubBefore)
	RequestID            string // pairs a SubBefore with its SubAfter
	RetryTimes           int
	ContextCode          int
	TransactionID        string
	TransactionState     string
	FromTransactionCheck bool
}

// ErrEmptyBody is reported by DecodeBody for a body with no record at all.
var ErrEmptyBody = errors.New("empty trace body")

// RecordError says why one record of a body or dump could not be decoded.
type RecordError struct {
	Index  int   // 1-based number of the record in its body, good and bad records alike
	Offset int64 // byte offset of the record's start in its body
	Reason string
}

func (e *RecordError) Error() string { return fmt.Sprintf("record %d: %s", e.Index, e.Reason) }

// DecodeBody decodes every record of one trace body. It is tolerant: a record that cannot be decoded is reported
// in bad (a *RecordError with its 1-based index and why) and the others are still decoded. Records are numbered
// in body order, good and bad alike. A body that holds no record reports ErrEmptyBody. DecodeBody never panics;
// the records do not share memory with body.
func DecodeBody(body []byte) (recs []Record, bad []error) {
	var d decoder
	idx := 0
	forEachToken(body, false, func(tok []byte, off int, complete bool) {
		idx++
		if !complete {
			bad = append(bad, &RecordError{Index: idx, Offset: int64(off), Reason: truncatedReason})
			return
		}
		r, err := d.decode(tok)
		if err != nil {
			bad = append(bad, &RecordError{Index: idx, Offset: int64(off), Reason: err.Error()})
			return
		}
		recs = append(recs, r)
	})
	if idx == 0 {
		bad = append(bad, ErrEmptyBody)
	}
	return recs, bad
}

const truncatedReason = "truncated record: no \\x02 terminator"

// forEachToken cuts a body into records: a record ends at \x02 (complete) or is truncated (complete == false)
// when the body ends first, or, with lines set, when a line ends first (\n never occurs inside a record written
// by a real client). Blank pieces between records (line ends, \r\n) are skipped. Merged records (see
// splitMerged) are cut apart.
func forEachToken(body []byte, lines bool, fn func(tok []byte, off int, complete bool)) {
	pos := 0
	for pos < len(body) {
		rest := body[pos:]
		end := bytes.IndexByte(rest, RecordEnd)
		limit := end
		if limit < 0 {
			limit = len(rest)
		}
		complete := end >= 0
		if lines {
			if nl := bytes.IndexByte(rest[:limit], '\n'); nl >= 0 {
				limit, complete = nl, false
			}
		}
		tok, lead := trimBlank(rest[:limit])
		if len(tok) > 0 {
			if complete {
				emitMerged(tok, pos+lead, fn)
			} else {
				fn(tok, pos+lead, false)
			}
		}
		pos += limit + 1
	}
}

// emitMerged hands fn the records of tok, cutting apart records that a buggy encoder merged.
func emitMerged(tok []byte, off int, fn func(tok []byte, off int, complete bool)) {
	for {
		n := splitMerged(tok)
		if n <= 0 {
			fn(tok, off, true)
			return
		}
		fn(tok[:n], off, true)
		tok, off = tok[n:], off+n
	}
}

// splitMerged returns where a second record starts inside tok, or 0. Java 5.1.4 to 5.3.0 wrote a CLOUD-channel
// SubAfter as "SubAfter\x01requestId\x01msgId\x01cost\x01success\x01keys\x01code\x01" with no \x02, so the next
// record follows right after the seventh \x01 (commit 16ef575537, fixed by 217fc8da53 in apache/rocketmq).
// A real record never has a record type name where a SubAfter has its (numeric) timestamp.
func splitMerged(tok []byte) int {
	if !bytes.HasPrefix(tok, []byte(TypeSubAfter+"\x01")) {
		return 0
	}
	p := 0
	for i := 0; i < 7; i++ {
		j := bytes.IndexByte(tok[p:], FieldSep)
		if j < 0 {
			return 0
		}
		p += j + 1
	}
	rest := tok[p:]
	for _, t := range [...]string{TypePub, TypeSubBefore, TypeSubAfter, TypeEndTransaction, TypeRecall} {
		if len(rest) > len(t) && rest[len(t)] == FieldSep && string(rest[:len(t)]) == t {
			return p
		}
	}
	return 0
}

// trimBlank drops the spaces, tabs and carriage returns around a piece and says how many bytes it dropped in
// front. (No field starts or ends with a blank in practice; the framing of dump files adds \r and blank lines.)
func trimBlank(b []byte) ([]byte, int) {
	i, j := 0, len(b)
	for i < j && isBlank(b[i]) {
		i++
	}
	for j > i && isBlank(b[j-1]) {
		j--
	}
	return b[i:j], i
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isPlaceholder is ingest.IsPlaceholder without its allocation (it lower-cases every value it is given): only
// short values can be placeholders.
func isPlaceholder(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) <= maxPlaceholder && ingest.IsPlaceholder(string(t))
}

// maxPlaceholder is the length of the longest placeholder ingest.IsPlaceholder knows ("undefined").
const maxPlaceholder = len("undefined")

// normalizeID is ingest.NormalizeID without its allocation for real ids (too long to be a placeholder).
func normalizeID(s string) string {
	t := strings.TrimSpace(s)
	if len(t) <= maxPlaceholder {
		return ingest.NormalizeID(s)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(t)
		}
	}
	return t
}

// maxFields bounds the fields looked at in one record; the longest layout has 15.
const maxFields = 16

// decoder turns one record (without its \x02) into a Record. With an Interner, the repetitive strings (group,
// topic, hosts, region, tags) are interned; identifiers (msgId, offsetMsgId, keys, requestId) are plain copies:
// they are unique per message, and interning them would grow the Interner by millions of entries a day.
type decoder struct {
	in *ingest.Interner
	// arena, if set, holds the identifiers' strings (see ingest.StringArena), and msgIds come out upper-cased:
	// ReadDump's events compare them upper-cased anyway, and one copy is made instead of two.
	arena  *ingest.StringArena
	fields [maxFields][]byte
	cache  map[string]string // this decoder's cache in front of in: no lock per field
}

func (d *decoder) str(b []byte) string {
	if len(b) == 0 || string(b) == "null" {
		return ""
	}
	if d.in == nil {
		return string(b)
	}
	if v, ok := d.cache[string(b)]; ok {
		return v
	}
	v := d.in.Bytes(b)
	if d.cache == nil {
		d.cache = map[string]string{}
	}
	if len(d.cache) < 4096 {
		d.cache[v] = v
	}
	return v
}

// unique copies a value that is never repeated beyond a pair of records (a requestId): interning it would only
// grow the Interner.
func (d *decoder) unique(b []byte) string {
	if len(b) == 0 || string(b) == "null" {
		return ""
	}
	if d.arena != nil {
		return d.arena.Bytes(b)
	}
	return string(b)
}

// id copies a msgId or offsetMsgId: upper-cased when the decoder has an arena.
func (d *decoder) id(b []byte) string {
	if d.arena == nil || len(b) == 0 || string(b) == "null" {
		return d.unique(b)
	}
	return d.arena.Upper(b)
}

// keys splits a keys field on spaces and drops placeholders ("null" when there are none).
func (d *decoder) keys(b []byte) []string {
	if len(b) == 0 || isPlaceholder(b) {
		return nil
	}
	n := 1 + bytes.Count(b, []byte{' '})
	var out []string
	if d.arena != nil {
		out = d.arena.List(n)
	} else {
		out = make([]string, 0, n)
	}
	for len(b) > 0 {
		k := b
		if i := bytes.IndexByte(b, ' '); i >= 0 {
			k, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(k) == 0 || isPlaceholder(k) {
			continue
		}
		out = append(out, d.unique(k))
	}
	if len(out) == 0 {
		return nil
	}
	return out[:len(out):len(out)] // events may share it: an append must not write into another's array
}

// split cuts rec into its fields and returns how many there are (which may exceed maxFields: only the first
// maxFields are kept). A trailing empty field is dropped, as Java's String.split does.
func (d *decoder) split(rec []byte) int {
	n := 0
	for {
		i := bytes.IndexByte(rec, FieldSep)
		if i < 0 {
			if n < maxFields {
				d.fields[n] = rec
			}
			n++
			break
		}
		if n < maxFields {
			d.fields[n] = rec[:i]
		}
		n++
		rec = rec[i+1:]
	}
	if n > 1 && n <= maxFields && len(d.fields[n-1]) == 0 {
		n--
	}
	return n
}

// fieldError names the field that failed.
type fieldError struct {
	typ, name string
	val       []byte
	want      string
}

func (e *fieldError) Error() string {
	v := string(e.val)
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return fmt.Sprintf("%s: %s %q is not %s", e.typ, e.name, v, e.want)
}

// decode decodes one record. It is strict: the field count must be one of the layouts a real client writes and
// the numeric and boolean fields must parse.
func (d *decoder) decode(rec []byte) (r Record, err error) {
	n := d.split(rec)
	f := &d.fields
	typ := f[0]
	var want string
	switch string(typ) {
	case TypePub:
		r.Type = TypePub
		want = "14 (Java) or 15 (Go)"
		if n != 14 && n != 15 {
			break
		}
		p := parser{d: d, typ: TypePub}
		r.TimeMs = p.time("timestamp", f[1])
		r.Region, r.Group, r.Topic = d.str(f[2]), d.str(f[3]), d.str(f[4])
		r.MsgID, r.Tags, r.Keys, r.StoreHost = d.id(f[5]), d.str(f[6]), d.keys(f[7]), d.str(f[8])
		r.BodyLength = p.count("bodyLength", f[9])
		r.CostTime = p.int("costTime", f[10])
		r.MsgType = p.count("msgType", f[11])
		r.OffsetMsgID = d.id(f[12])
		r.Success = p.bool("success", f[13])
		if n == 15 {
			r.ClientHost = d.str(f[14])
		}
		return r, p.err
	case TypeSubBefore:
		r.Type = TypeSubBefore
		want = "8 (Java) or 9 (Go)"
		if n != 8 && n != 9 {
			break
		}
		p := parser{d: d, typ: TypeSubBefore}
		r.TimeMs = p.time("timestamp", f[1])
		r.Region, r.Group, r.RequestID, r.MsgID = d.str(f[2]), d.str(f[3]), d.unique(f[4]), d.id(f[5])
		r.RetryTimes = p.count("retryTimes", f[6])
		r.Keys = d.keys(f[7])
		if n == 9 {
			r.ClientHost = d.str(f[8])
		}
		r.Success = true
		return r, p.err
	case TypeSubAfter:
		r.Type = TypeSubAfter
		want = "9, or 7 (Java without timestamp and group)"
		if n != 7 && n != 9 {
			break
		}
		p := parser{d: d, typ: TypeSubAfter}
		r.RequestID, r.MsgID = d.unique(f[1]), d.id(f[2])
		r.CostTime = p.int("costTime", f[3])
		r.Success = p.bool("success", f[4])
		r.Keys = d.keys(f[5])
		r.ContextCode = p.count("contextCode", f[6])
		if n == 9 {
			r.TimeMs = p.time("timestamp", f[7])
			r.Group = d.str(f[8])
		}
		return r, p.err
	case TypeEndTransaction:
		r.Type = TypeEndTransaction
		want = "13"
		if n != 13 {
			break
		}
		p := parser{d: d, typ: TypeEndTransaction}
		r.TimeMs = p.time("timestamp", f[1])
		r.Region, r.Group, r.Topic = d.str(f[2]), d.str(f[3]), d.str(f[4])
		r.MsgID, r.Tags, r.Keys, r.StoreHost = d.id(f[5]), d.str(f[6]), d.keys(f[7]), d.str(f[8])
		r.MsgType = p.count("msgType", f[9])
		r.TransactionID = d.unique(f[10])
		switch string(f[11]) {
		case StateCommit:
			r.TransactionState = StateCommit
		case StateRollback:
			r.TransactionState = StateRollback
		case StateUnknown:
			r.TransactionState = StateUnknown
		default:
			p.fail("transactionState", f[11], "COMMIT_MESSAGE, ROLLBACK_MESSAGE or UNKNOW")
		}
		r.FromTransactionCheck = p.bool("fromTransactionCheck", f[12])
		return r, p.err
	case TypeRecall:
		r.Type = TypeRecall
		want = "7"
		if n != 7 {
			break
		}
		p := parser{d: d, typ: TypeRecall}
		r.TimeMs = p.time("timestamp", f[1])
		r.Region, r.Group, r.Topic, r.MsgID = d.str(f[2]), d.str(f[3]), d.str(f[4]), d.id(f[5])
		r.Success = p.bool("success", f[6])
		return r, p.err
	default:
		return Record{}, fmt.Errorf("unknown record type %q", shorten(typ))
	}
	return Record{}, fmt.Errorf("%s record has %d fields, want %s", r.Type, n, want)
}

func shorten(b []byte) string {
	s := string(b)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return s
}

// parser parses the numeric and boolean fields of one record, keeping the first error.
type parser struct {
	d   *decoder
	typ string
	err error
}

func (p *parser) fail(name string, val []byte, want string) {
	if p.err == nil {
		p.err = &fieldError{typ: p.typ, name: name, val: val, want: want}
	}
}

// int parses a signed decimal int (cost times can be negative when the clock steps back).
func (p *parser) int(name string, b []byte) int {
	v, ok := parseInt(b, 1<<31-1)
	if !ok {
		p.fail(name, b, "an integer")
	}
	return int(v)
}

// count parses a non-negative decimal int.
func (p *parser) count(name string, b []byte) int {
	v, ok := parseInt(b, 1<<31-1)
	if !ok || v < 0 {
		p.fail(name, b, "a non-negative integer")
	}
	return int(v)
}

// time parses a timestamp in Unix milliseconds (non-negative; below year 2^63/1e6 ns so it converts to ns).
func (p *parser) time(name string, b []byte) int64 {
	v, ok := parseInt(b, maxTimeMs)
	if !ok || v < 0 {
		p.fail(name, b, "a timestamp in milliseconds")
	}
	return v
}

const maxTimeMs = (1<<63 - 1) / 1000000

func (p *parser) bool(name string, b []byte) bool {
	switch {
	case len(b) == 4 && bytes.EqualFold(b, []byte("true")):
		return true
	case len(b) == 5 && bytes.EqualFold(b, []byte("false")):
		return false
	}
	p.fail(name, b, "true or false")
	return false
}

// parseInt parses an optionally signed decimal integer whose absolute value is at most limit.
func parseInt(b []byte, limit int64) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (limit-int64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}
