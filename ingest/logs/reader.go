package logs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/hoptrace/hoptrace/ingest"
)

// lineObserver sees every line's fate; Check uses it to show what each rule does.
type lineObserver interface {
	setSource(name string) // the profile source that reads the file
	matched(lineNo int64, line []byte, ev *ingest.Event)
	unmatched(lineNo int64, line []byte) // well-formed, not a continuation, and no rule matched
}

// fileReader reads one file. It is used by one goroutine.
type fileReader struct {
	s     *Source
	f     inputFile
	st    *ingest.Stats
	flush func([]ingest.Event) error
	obs   lineObserver

	spec   *SourceSpec
	format string
	loc    *time.Location
	host   string // from the path

	batch    []ingest.Event
	lits     litCache
	scanner  jsonScanner
	vals     [][]byte
	inRecord bool               // the previous text line was a record or one of its continuation lines
	interned map[string]string  // this reader's cache in front of the shared Interner: no lock per event
	strs     ingest.StringArena // per-event strings
	lean     leanPrefilter
}

// intern returns the shared interned copy of b, through a cache of this reader's own (hosts, brokers, topics,
// groups and results repeat on almost every line; the shared Interner's lock would be taken for each).
func (fr *fileReader) intern(b []byte) string {
	if s, ok := fr.interned[string(b)]; ok {
		return s
	}
	s := fr.s.in.Bytes(b)
	if fr.interned == nil {
		fr.interned = map[string]string{}
	}
	if len(fr.interned) < 4096 { // low-cardinality values only; anything else goes straight to the Interner
		fr.interned[s] = s
	}
	return s
}

func (s *Source) newFileReader(idx int, st *ingest.Stats, flush func([]ingest.Event) error) *fileReader {
	fr := &fileReader{s: s, f: s.files[idx], st: st, flush: flush}
	if s.observe != nil {
		fr.obs = s.observe(idx)
	}
	st.Path = fr.f.name
	return fr
}

// peekSize is how much of a file's (decompressed) start detection looks at.
const peekSize = 64 << 10

var gzipMagic = []byte{0x1f, 0x8b}

// openInput opens a file (or stdin) and undoes gzip, told by its magic bytes.
func (s *Source) openInput(f inputFile) (io.Reader, func(), error) {
	var raw io.Reader
	closeFn := func() {}
	if f.path == "-" {
		raw = s.stdin
	} else {
		fh, err := os.Open(f.path)
		if err != nil {
			return nil, nil, err
		}
		raw, closeFn = fh, func() { fh.Close() }
	}
	r, err := maybeGunzip(raw)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	return r, closeFn, nil
}

func maybeGunzip(raw io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(raw, 64<<10)
	if head, _ := br.Peek(2); bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

func (fr *fileReader) read(ctx context.Context) error {
	st := fr.st
	r, closeFn, err := fr.s.openInput(fr.f)
	if err != nil {
		st.Err = err.Error()
		if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("read %s: %w: %w (the gzip file is corrupt or cut short)", fr.f.name, ingest.ErrBadInput, err)
		}
		return fmt.Errorf("read %s: %w (check that the file exists and is readable)", fr.f.name, err)
	}
	defer closeFn()
	br := bufio.NewReaderSize(r, 256<<10)
	head, perr := br.Peek(peekSize)
	if perr != nil && perr != io.EOF && perr != bufio.ErrBufferFull && len(head) == 0 {
		st.Err = perr.Error()
		return fmt.Errorf("read %s: %w: %w", fr.f.name, ingest.ErrBadInput, perr)
	}
	full := perr == nil

	format := fr.s.opt.Format
	if format == "" {
		if detected := detectFormat(head, full); detected == "trace" {
			format = "trace"
		}
	}
	if format == "trace" {
		st.Format = "trace"
		return fr.readTrace(br)
	}
	if ingest.IsEventFile(head) {
		st.Format = "events"
		return fr.readEvents(br)
	}
	notLog := func(why string) {
		if fr.f.walked {
			st.Skipped = why
		} else {
			st.Err = why
		}
	}
	if isBinary(head) {
		notLog("binary file, not a log")
		return nil
	}
	spec, ok := fr.s.prof.sourceFor(fr.f.rel, filepath.Base(fr.f.path), filepath.ToSlash(fr.f.path))
	if format == "" && ok && spec.Format != "auto" {
		format = spec.Format
	}
	if format == "" {
		format = detectFormat(head, full)
	}
	if len(head) == 0 {
		st.Format = format
		return nil // an empty file
	}
	if format == "" {
		notLog("cannot tell the log format from the first lines (force one with --input-format or the profile's format:)")
		return nil
	}
	if !ok {
		spec = fr.s.prof.sourceForFormat(format)
		if spec == nil {
			notLog(fmt.Sprintf("no source of profile %s reads this file (add it to a source's paths:)", fr.s.prof.Name))
			return nil
		}
	}
	st.Format = format
	fr.setup(spec, format)
	return fr.readLines(ctx, br)
}

func (fr *fileReader) setup(spec *SourceSpec, format string) {
	fr.spec, fr.format = spec, format
	if fr.obs != nil {
		fr.obs.setSource(spec.Name)
	}
	fr.loc = fr.s.opt.TZ
	if spec.loc != nil {
		fr.loc = spec.loc
	}
	if fr.loc == nil {
		fr.loc = time.UTC
	}
	if spec.hostRe != nil {
		if m := spec.hostRe.FindStringSubmatch(filepath.ToSlash(fr.f.path)); m != nil {
			fr.host = fr.s.in.String(m[spec.hostGrp])
		}
	}
	fr.vals = make([][]byte, len(spec.names))
	fr.scanner = jsonScanner{paths: &spec.paths, vals: fr.vals, filter: spec.keys}
}

func (fr *fileReader) readLines(ctx context.Context, br *bufio.Reader) error {
	lr := lineReader{br: br}
	st := fr.st
	var off, lineNo int64
	for {
		raw, err := lr.next()
		if len(raw) > 0 {
			lineNo++
			terminated := raw[len(raw)-1] == '\n'
			line := trimEOL(raw)
			st.Lines++
			switch {
			case lr.cut:
				st.AddMalformed(fmt.Sprintf("%s:%d: line longer than %d MiB, cut", fr.f.name, lineNo, maxLine>>20))
			default:
				fr.line(line, lineNo, off, !terminated)
			}
			off += int64(len(raw))
			st.Bytes += int64(len(raw))
			if len(fr.batch) >= batchSize {
				if ferr := fr.flushBatch(); ferr != nil {
					return ferr
				}
			}
			if lineNo&4095 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if err != nil {
			if ferr := fr.flushBatch(); ferr != nil {
				return ferr
			}
			if err == io.EOF {
				return nil
			}
			st.Err = err.Error()
			return fmt.Errorf("read %s: line %d: %w: %w (the file is corrupt or cut short; the %d lines before were read)",
				fr.f.name, lineNo+1, ingest.ErrBadInput, err, lineNo)
		}
	}
}

func (fr *fileReader) flushBatch() error {
	if len(fr.batch) == 0 {
		return nil
	}
	b := fr.batch
	fr.batch = fr.s.newBatch()
	return fr.flush(b)
}

// line handles one line (without its end of line). last says it is the file's last line and had no newline.
func (fr *fileReader) line(line []byte, lineNo, off int64, last bool) {
	st := fr.st
	if len(fr.s.needles) > 0 && !fr.hasNeedle(line) {
		st.Ignored++
		return
	}
	switch fr.format {
	case "json":
		fr.jsonLine(line, lineNo, off, last)
	case "logfmt":
		fr.logfmtLine(line, lineNo, off, last)
	default:
		fr.textLine(line, lineNo, off, last)
	}
}

func (fr *fileReader) hasNeedle(line []byte) bool {
	for i := range fr.s.needles {
		n := &fr.s.needles[i]
		if containsFold(line, n.lower, n.anchor, n.anchorAt) {
			return true
		}
	}
	return false
}

// leanPrefilter decides, from a file's first lines, whether the literal prefilter pays: when nearly every line
// holds a rule's literal (a JSON log of events, no noise), searching for them first is wasted work.
type leanPrefilter struct {
	lines, passed int
	skip          bool
}

// leanSample is how many lines decide (a variable for tests).
var leanSample = 4096

func (l *leanPrefilter) count(passed bool) {
	if l.lines >= leanSample {
		return
	}
	l.lines++
	if passed {
		l.passed++
	}
	if l.lines == leanSample {
		l.skip = l.passed*4 >= l.lines*3 // 75% or more
	}
}

// litCache answers "does the line contain prefilter literal i", searching each literal at most once per line
// and only when asked: a line that matches the first rule's literal never pays for the others.
type litCache struct {
	line        []byte
	filters     [][]byte
	known, hits uint64
}

func (c *litCache) has(i int) bool {
	if i >= 64 {
		return bytes.Contains(c.line, c.filters[i])
	}
	bit := uint64(1) << uint(i)
	if c.known&bit == 0 {
		c.known |= bit
		if bytes.Contains(c.line, c.filters[i]) {
			c.hits |= bit
		}
	}
	return c.hits&bit != 0
}

// prefilter reports whether any rule can match line: one of the literals is in it (or a rule has none).
func (fr *fileReader) prefilter(line []byte) (*litCache, bool) {
	c := &fr.lits
	*c = litCache{line: line, filters: fr.spec.filters}
	if fr.spec.always {
		return c, true
	}
	for i := range c.filters {
		if c.has(i) {
			return c, true
		}
	}
	return c, false
}

func (fr *fileReader) malformed(lineNo int64, format string, args ...any) {
	fr.st.AddMalformed(fmt.Sprintf("%s:%d: ", fr.f.name, lineNo) + fmt.Sprintf(format, args...))
}

// badField notes a value a rule extracted but could not use; the event is kept without it.
func (fr *fileReader) badField(lineNo int64, field string, v []byte) {
	fr.st.AddBadField(fmt.Sprintf("%s:%d: %s: %s is not a number (event kept without it; check the profile's extractor)", fr.f.name, lineNo, field, clip(v)))
}

func (fr *fileReader) unmatched(lineNo int64, line []byte) {
	fr.st.Ignored++
	if fr.obs != nil {
		fr.obs.unmatched(lineNo, line)
	}
}

// stamp finds a text line's time stamp: with the source's time_regex (and time_layout) when it has one, else
// at the line start in a built-in format. end is where the rest of the header begins.
func (fr *fileReader) stamp(line []byte) (ns int64, end int, ok bool) {
	spec := fr.spec
	if spec == nil || spec.timeRe == nil {
		return parseLeadStamp(line, fr.loc)
	}
	m := spec.timeRe.FindSubmatchIndex(line)
	if m == nil || m[2*spec.timeGrp] < 0 {
		return 0, 0, false
	}
	v := line[m[2*spec.timeGrp]:m[2*spec.timeGrp+1]]
	if spec.TimeLayout != "" {
		t, err := time.ParseInLocation(spec.TimeLayout, string(v), fr.loc)
		if err != nil {
			return 0, 0, false
		}
		return t.UnixNano(), m[1], true
	}
	if ns, ok = parseTimeValue(v, fr.loc); !ok {
		return 0, 0, false
	}
	return ns, m[1], true
}

func (fr *fileReader) textLine(line []byte, lineNo, off int64, last bool) {
	st := fr.st
	if len(bytes.TrimSpace(line)) == 0 {
		st.Ignored++
		return
	}
	if isContinuation(line, fr.inRecord) {
		st.Ignored++
		return
	}
	lits, maybe := fr.prefilter(line)
	if !maybe {
		// Cheap check only: a line that starts with a stamp is a record.
		if _, _, ok := fr.stamp(line); !ok {
			fr.inRecord = false
			if last {
				fr.malformed(lineNo, "truncated last line (no newline) without a timestamp")
			} else {
				fr.malformed(lineNo, "no timestamp at line start (and not a stack trace line): %s", clip(line))
			}
			return
		}
		fr.inRecord = true
		fr.unmatched(lineNo, line)
		return
	}
	var h textHeader
	ok := false
	if fr.spec.timeRe != nil {
		var ns int64
		var end int
		if ns, end, ok = fr.stamp(line); ok {
			h = headerAfterStamp(h, ns, line[end:])
		}
	} else {
		h, ok = parseTextLine(line, fr.loc)
	}
	if !ok {
		fr.inRecord = false
		fr.malformed(lineNo, "no timestamp at line start (and not a stack trace line): %s", clip(line))
		return
	}
	fr.inRecord = true
	rec := record{time: h.time, hasTime: true, msg: h.msg, level: h.level, vals: fr.vals}
	rec.reset()
	for i, ok := 0, true; ok; {
		var p kvPair
		p, i, ok, _ = nextKV(h.msg, i)
		if ok {
			rec.set(fr.spec, p.key, p.val)
		}
	}
	for _, pf := range [...]struct {
		name string
		v    []byte
	}{{"level", h.level}, {"thread", h.thread}, {"logger", h.logger}, {"message", h.msg}, {"msg", h.msg}} {
		if pf.v != nil {
			rec.set(fr.spec, []byte(pf.name), pf.v)
		}
	}
	fr.match(&rec, lits, line, lineNo, off)
}

func (fr *fileReader) jsonLine(line []byte, lineNo, off int64, last bool) {
	st := fr.st
	t := bytes.TrimSpace(line)
	if len(t) == 0 {
		st.Ignored++
		return
	}
	if fr.lean.skip {
		// Almost every line of this file is a candidate: decode it first, and look for literals only in a line
		// that does not decode (to tell noise from a broken event, exactly as below). The rules' own conditions
		// imply their literals, so matching needs no prefilter.
		if err := fr.scanner.scan(line); err == nil {
			rec := record{vals: fr.vals}
			fr.fillCommon(&rec)
			fr.match(&rec, nil, line, lineNo, off)
			return
		}
	}
	lits, maybe := fr.prefilter(line)
	fr.lean.count(maybe)
	if !maybe && !last {
		if t[0] != '{' || t[len(t)-1] != '}' {
			fr.malformed(lineNo, "not a JSON object: %s", clip(line))
			return
		}
		fr.unmatched(lineNo, line)
		return
	}
	if err := fr.scanner.scan(line); err != nil {
		if last {
			fr.malformed(lineNo, "truncated last line (no newline): %v", err)
		} else {
			fr.malformed(lineNo, "%v", err)
		}
		return
	}
	if !maybe {
		fr.unmatched(lineNo, line)
		return
	}
	rec := record{vals: fr.vals}
	fr.fillCommon(&rec)
	fr.match(&rec, lits, line, lineNo, off)
}

func (fr *fileReader) logfmtLine(line []byte, lineNo, off int64, last bool) {
	st := fr.st
	if len(bytes.TrimSpace(line)) == 0 {
		st.Ignored++
		return
	}
	lits, maybe := fr.prefilter(line)
	if !maybe && !last {
		if !looksLogfmt(line) {
			fr.malformed(lineNo, "not a logfmt line (key=value ...): %s", clip(line))
			return
		}
		fr.unmatched(lineNo, line)
		return
	}
	if !looksLogfmt(line) {
		fr.malformed(lineNo, "not a logfmt line (key=value ...): %s", clip(line))
		return
	}
	rec := record{vals: fr.vals}
	rec.reset()
	for i, ok := 0, true; ok; {
		var p kvPair
		var bad bool
		p, i, ok, bad = nextKV(line, i)
		if bad {
			what := "unterminated quoted value"
			if last {
				what = "truncated last line (no newline): " + what
			}
			fr.malformed(lineNo, "%s of %s", what, p.key)
			return
		}
		if ok {
			rec.set(fr.spec, p.key, p.val)
		}
	}
	if !maybe {
		fr.unmatched(lineNo, line)
		return
	}
	fr.fillCommon(&rec)
	fr.match(&rec, lits, line, lineNo, off)
}

// fillCommon takes time, message and level of a JSON or logfmt record from their fields.
func (fr *fileReader) fillCommon(rec *record) {
	for _, sl := range fr.spec.timeSlot {
		if v := rec.vals[sl]; v != nil {
			if ns, ok := parseTimeValue(v, fr.loc); ok {
				rec.time, rec.hasTime = ns, true
				break
			}
		}
	}
	for _, sl := range fr.spec.msgSlot {
		if v := rec.vals[sl]; v != nil {
			rec.msg = v
			break
		}
	}
	for _, sl := range fr.spec.lvlSlot {
		if v := rec.vals[sl]; v != nil {
			rec.level = v
			break
		}
	}
}

// record is one parsed line: its stamp, message, level and the values of the fields the source reads.
type record struct {
	time    int64
	hasTime bool
	msg     []byte
	level   []byte
	vals    [][]byte // by slot
}

func (r *record) reset() {
	for i := range r.vals {
		r.vals[i] = nil
	}
}

// set stores a key=value if the source reads that key (the first value wins).
func (r *record) set(spec *SourceSpec, key, val []byte) {
	if i, ok, _ := spec.paths.lookup(key); ok && r.vals[i] == nil {
		r.vals[i] = val
	}
}

func (fr *fileReader) match(rec *record, lits *litCache, line []byte, lineNo, off int64) {
	for _, r := range fr.spec.Rules {
		if r.filter >= 0 && lits != nil && !lits.has(r.filter) {
			continue
		}
		if !r.matches(rec) {
			continue
		}
		// Build the event in place in the batch: a local handed to the observer would escape to the heap.
		fr.batch = append(fr.batch, ingest.Event{})
		ev := &fr.batch[len(fr.batch)-1]
		*ev = fr.event(r, rec, lineNo, off)
		fr.st.Matched++
		fr.st.Events++
		fr.st.Seen(ev.Time)
		if fr.obs != nil {
			fr.obs.matched(lineNo, line, ev)
		}
		return
	}
	fr.unmatched(lineNo, line)
}

func (r *Rule) matches(rec *record) bool {
	for _, c := range r.Contains {
		if !bytes.Contains(rec.msg, []byte(c)) {
			return false
		}
	}
	if r.re != nil && !r.re.Match(rec.msg) {
		return false
	}
	if len(r.lvlLow) > 0 {
		ok := false
		for _, l := range r.lvlLow {
			if bytes.EqualFold(bytes.TrimSpace(rec.level), []byte(l)) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for i := range r.Fields {
		f := &r.Fields[i]
		v := rec.vals[f.slot]
		if v == nil {
			return false
		}
		switch {
		case f.hasEq:
			if string(v) != f.Equals {
				return false
			}
		case f.re != nil:
			if !f.re.Match(v) {
				return false
			}
		default:
			if !bytes.Contains(v, []byte(f.Contains)) {
				return false
			}
		}
	}
	return true
}

func (fr *fileReader) event(r *Rule, rec *record, lineNo, off int64) ingest.Event {
	ev := ingest.NewEvent()
	ev.Origin = ingest.OriginLog
	ev.Hop = r.Hop
	ev.Status = r.Status
	ev.Rule = r.Name // one string per rule: shared by every event it makes
	ev.Ref = ingest.Ref{Path: fr.f.name, Line: lineNo, Offset: off}
	if rec.hasTime {
		ev.Time = rec.time
	}
	ev.Host = fr.host
	if fr.spec.hostSlot >= 0 {
		if v := rec.vals[fr.spec.hostSlot]; len(v) > 0 {
			ev.Host = fr.intern(v)
		}
	}
	if sf := r.StatusFrom; sf != nil {
		v := string(bytes.TrimSpace(rec.vals[sf.slot]))
		st, ok := sf.Map[v]
		if !ok {
			for k, s := range sf.Map {
				if len(k) == len(v) && bytes.EqualFold([]byte(k), []byte(v)) {
					st, ok = s, true
					break
				}
			}
		}
		switch {
		case ok:
			ev.Status = st
		case sf.Default != nil:
			ev.Status = *sf.Default
		}
	}
	for _, fe := range r.extract {
		v := bytes.TrimSpace(fr.extractValue(rec, fe.ex))
		if len(v) == 0 {
			continue
		}
		switch fe.field {
		case fOrderID:
			if !placeholder(v) {
				ev.OrderID = fr.strs.Bytes(v)
			}
		case fKeys:
			ev.Keys = splitKeys(&fr.strs, v, ev.OrderID)
		case fMsgID:
			ev.MsgID = normID(&fr.strs, v)
		case fOffsetMsgID:
			ev.OffsetMsgID = normID(&fr.strs, v)
		case fBroker:
			ev.Broker = fr.intern(v)
		case fTopic:
			ev.Topic = fr.intern(v)
		case fQueueID:
			if n, err := strconv.ParseInt(string(v), 10, 32); err == nil {
				ev.QueueID = int32(n)
			} else {
				fr.badField(lineNo, "queue_id", v)
			}
		case fQueueOffset:
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				ev.QueueOffset = n
			} else {
				fr.badField(lineNo, "queue_offset", v)
			}
		case fGroup:
			ev.Group = fr.intern(v)
		case fHost:
			ev.Host = fr.intern(v)
		case fResult:
			ev.Result = fr.intern(v)
		case fError:
			ev.Error = string(v)
		case fRetry:
			if n, err := strconv.ParseInt(string(v), 10, 32); err == nil {
				ev.Retry = int32(n)
			} else {
				fr.badField(lineNo, "retry", v)
			}
		case fGrantID:
			if !placeholder(v) {
				ev.GrantID = fr.strs.Bytes(v)
			}
		case fUserID:
			if !placeholder(v) {
				ev.UserID = fr.strs.Bytes(v)
			}
		case fAmount:
			ev.Amount = fr.strs.Bytes(v)
		}
	}
	return ev
}

func (fr *fileReader) extractValue(rec *record, ex *Extractor) []byte {
	for i := range ex.alts {
		a := &ex.alts[i]
		var v []byte
		switch {
		case a.isVal:
			v = []byte(a.value)
		case a.re != nil:
			src := rec.msg
			if a.slot >= 0 {
				src = rec.vals[a.slot]
			}
			if m := a.re.FindSubmatchIndex(src); m != nil && m[2*a.group] >= 0 {
				v = src[m[2*a.group]:m[2*a.group+1]]
			}
		default:
			v = rec.vals[a.slot]
		}
		if len(v) > 0 {
			return v
		}
	}
	return nil
}

// normID is ingest.NormalizeID for a byte slice: upper-cased hex, placeholders dropped.
func normID(a *ingest.StringArena, v []byte) string {
	v = bytes.TrimSpace(v)
	if placeholder(v) {
		return ""
	}
	return a.Upper(v)
}

// splitKeys splits message keys on spaces and commas, dropping placeholders. A key equal to the order ID shares
// its string.
func splitKeys(a *ingest.StringArena, v []byte, orderID string) []string {
	var out []string
	for len(v) > 0 {
		i := 0
		for i < len(v) && (v[i] == ' ' || v[i] == ',' || v[i] == '\t') {
			i++
		}
		j := i
		for j < len(v) && !(v[j] == ' ' || v[j] == ',' || v[j] == '\t') {
			j++
		}
		if k := v[i:j]; len(k) > 0 && !placeholder(k) {
			s := orderID
			if string(k) != orderID {
				s = a.Bytes(k)
			}
			if out == nil {
				out = a.List(1 + bytes.Count(v[j:], []byte{' '}) + bytes.Count(v[j:], []byte{','}) + bytes.Count(v[j:], []byte{'\t'}))
			}
			out = append(out, s)
		}
		v = v[j:]
	}
	return out
}

// placeholder is ingest.IsPlaceholder without a string conversion for the usual long identifiers.
func placeholder(v []byte) bool {
	const longest = len("undefined") + 2 // with surrounding spaces
	return len(v) <= longest && ingest.IsPlaceholder(string(v))
}

// clip shortens a line for an error message.
func clip(b []byte) string {
	const max = 80
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}

// readTrace hands a trace dump to package trace.
// readEvents reads a hoptrace event file (written by `hoptrace capture`).
func (fr *fileReader) readEvents(r io.Reader) error {
	err := ingest.ReadEventFile(r, fr.f.name, fr.st, func(ev ingest.Event) {
		fr.batch = append(fr.batch, ev)
		if len(fr.batch) >= batchSize {
			_ = fr.flushBatch() // a failed flush means ctx was cancelled: Read returns that error
		}
	})
	if ferr := fr.flushBatch(); ferr != nil {
		return ferr
	}
	if err != nil && fr.st.Err == "" {
		fr.st.Err = err.Error()
	}
	return err
}

func (fr *fileReader) readTrace(r io.Reader) error {
	err := readTraceDump(r, fr.f.name, fr.s.in, fr.st, func(ev ingest.Event) {
		fr.batch = append(fr.batch, ev)
		if len(fr.batch) >= batchSize {
			_ = fr.flushBatch() // a failed flush means ctx was cancelled: Read returns that error
		}
	})
	if ferr := fr.flushBatch(); ferr != nil {
		return ferr
	}
	if err != nil {
		if fr.st.Err == "" {
			fr.st.Err = err.Error()
		}
		return err // it names the file
	}
	return nil
}
