package logs

import (
	"bufio"
	"bytes"
	"time"
)

// maxLine caps the bytes kept of one line; the rest of a longer line is skipped (and the line counted
// malformed). Lines up to this size are read whole, whatever bufio's buffer size.
const maxLine = 64 << 20

// lineReader returns lines of any length: ReadSlice while the line fits the buffer, an owned slice after.
type lineReader struct {
	br   *bufio.Reader
	long []byte
	cut  bool // the last line was longer than maxLine
}

// next returns the next line with its '\n' (absent on a last line without one). The slice is valid until the
// next call. At the end it returns an empty line and io.EOF; a read error comes with the bytes read before it.
func (lr *lineReader) next() ([]byte, error) {
	lr.cut = false
	line, err := lr.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	lr.long = append(lr.long[:0], line...)
	for err == bufio.ErrBufferFull {
		line, err = lr.br.ReadSlice('\n')
		if len(lr.long)+len(line) > maxLine {
			lr.cut = true
			if room := maxLine - len(lr.long); room > 0 {
				lr.long = append(lr.long, line[:room]...)
			}
			continue
		}
		lr.long = append(lr.long, line...)
	}
	if cap(lr.long) > 4<<20 && len(lr.long) < 1<<20 { // do not keep a huge buffer for one odd line
		lr.long = nil
	}
	return lr.long, err
}

// trimEOL strips "\n" and "\r\n" (and a lone trailing "\r").
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// isContinuation reports whether a line belongs to the record above it: a Java stack trace line ("\tat ...",
// "  at ...", "Caused by: ...", "\t... 12 more", "Suppressed: ..."), or an exception class line
// ("java.lang.IllegalStateException: boom") right after a record or another continuation line.
func isContinuation(line []byte, afterRecord bool) bool {
	if len(line) == 0 {
		return false
	}
	switch line[0] {
	case ' ', '\t':
		return true
	case 'C':
		return bytes.HasPrefix(line, []byte("Caused by:"))
	case 'S':
		return bytes.HasPrefix(line, []byte("Suppressed:"))
	case '.':
		return bytes.HasPrefix(line, []byte("... ")) && bytes.HasSuffix(line, []byte(" more"))
	}
	if !afterRecord {
		return false
	}
	if bytes.HasPrefix(line, []byte("Exception in thread ")) {
		return true
	}
	return isExceptionHeader(line)
}

// isExceptionHeader matches "pkg.sub.SomeException" optionally followed by ":" or whitespace: a dotted Java
// name whose last part starts upper-case.
func isExceptionHeader(line []byte) bool {
	i, dots, segStart := 0, 0, 0
	for ; i < len(line); i++ {
		c := line[i]
		if c == '.' {
			if i == segStart {
				return false
			}
			dots++
			segStart = i + 1
			continue
		}
		if c == ':' || c == ' ' || c == '\t' {
			break
		}
		if !(isWordByte(c) || c == '$') {
			return false
		}
		if i == segStart && isDigit(c) {
			return false
		}
	}
	if dots == 0 || segStart >= i {
		return false
	}
	last := line[segStart]
	return last >= 'A' && last <= 'Z'
}

// textHeader is what a logback/log4j line holds before its message.
type textHeader struct {
	time   int64
	level  []byte
	thread []byte
	logger []byte
	msg    []byte
}

// parseLeadStamp reads the time stamp a text line starts with, bare or in brackets ("[2026-11-23 10:00:00,200]",
// log4j's "[%d]"), also after a leading level ("INFO 2026-11-23 ...", "[WARN] 2026-11-23 ..."). n is how many
// bytes it took, brackets and level included.
func parseLeadStamp(line []byte, loc *time.Location) (ns int64, n int, ok bool) {
	if ns, n, ok = parseBareOrBracketed(line, loc); ok {
		return ns, n, ok
	}
	if _, skip := leadingLevel(line); skip > 0 {
		if ns, n, ok = parseBareOrBracketed(line[skip:], loc); ok {
			return ns, skip + n, true
		}
	}
	return 0, 0, false
}

// leadingLevel recognises a level word at the start of a line, bare or bracketed, and returns it and how many
// bytes (with the spaces after it) to skip.
func leadingLevel(line []byte) (level []byte, skip int) {
	w := line
	bracket := len(w) > 0 && w[0] == '['
	if bracket {
		end := bytes.IndexByte(w, ']')
		if end < 0 || end > 12 {
			return nil, 0
		}
		level, skip = bytes.TrimSpace(w[1:end]), end+1
	} else {
		skip = wordEnd(w)
		level = w[:skip]
	}
	if !isLevel(level) {
		return nil, 0
	}
	for skip < len(line) && (line[skip] == ' ' || line[skip] == '\t') {
		skip++
	}
	return level, skip
}

func parseBareOrBracketed(line []byte, loc *time.Location) (ns int64, n int, ok bool) {
	if len(line) > 1 && line[0] == '[' {
		ns, n, ok = parseStamp(line[1:], loc)
		if !ok || 1+n >= len(line) || line[1+n] != ']' {
			return 0, 0, false
		}
		return ns, n + 2, true
	}
	return parseStamp(line, loc)
}

// parseTextLine reads "<stamp> [LEVEL] [[thread]] [logger] - message", the stamp bare or in brackets. Level and
// thread may come in either order, the level bracketed too ("[INFO ]"); the logger and " - " are optional: a
// logger may also end in ": " (log4j's "%c: %m"); without either the message is the rest of the line.
func parseTextLine(line []byte, loc *time.Location) (h textHeader, ok bool) {
	ns, n, ok := parseLeadStamp(line, loc)
	if !ok {
		return h, false
	}
	if lv, skip := leadingLevel(line); skip > 0 && skip <= n {
		h.level = lv
	}
	return headerAfterStamp(h, ns, line[n:]), true
}

// headerAfterStamp reads level, thread, logger and message from what follows a line's time stamp.
func headerAfterStamp(h textHeader, ns int64, rest []byte) textHeader {
	h.time = ns
	for k := 0; k < 3; k++ {
		rest = trimLeftSpace(rest)
		if len(rest) == 0 {
			return h
		}
		if rest[0] == '[' {
			end := bytes.IndexByte(rest, ']')
			if end < 0 {
				break
			}
			if in := bytes.TrimSpace(rest[1:end]); h.level == nil && isLevel(in) {
				h.level = in
			} else {
				h.thread = rest[1:end]
			}
			rest = rest[end+1:]
			continue
		}
		if h.level == nil {
			w := wordEnd(rest)
			if isLevel(rest[:w]) {
				h.level = rest[:w]
				rest = rest[w:]
				continue
			}
		}
		break
	}
	rest = trimLeftSpace(rest)
	if i := bytes.Index(rest, []byte(" - ")); i >= 0 && bytes.IndexByte(rest[:i], ' ') < 0 {
		h.logger = rest[:i]
		h.msg = rest[i+3:]
	} else if bytes.HasPrefix(rest, []byte("- ")) {
		h.msg = rest[2:]
	} else if i := bytes.Index(rest, []byte(": ")); i > 0 && looksLogger(rest[:i]) {
		h.logger = rest[:i]
		h.msg = rest[i+2:]
	} else {
		h.msg = rest
	}
	return h
}

// looksLogger says whether w, the text before a ": ", is a logger name (c.h.rp.GrantService, BonusListener)
// rather than the first word of a message ("ratio: 3 of 4").
func looksLogger(w []byte) bool {
	if bytes.ContainsAny(w, " =\t") {
		return false
	}
	return bytes.IndexByte(w, '.') >= 0 || (w[0] >= 'A' && w[0] <= 'Z')
}

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func wordEnd(b []byte) int {
	i := 0
	for i < len(b) && b[i] != ' ' && b[i] != '\t' {
		i++
	}
	return i
}

func isLevel(w []byte) bool {
	switch string(w) {
	case "TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "SEVERE", "NOTICE", "CRITICAL",
		"trace", "debug", "info", "warn", "warning", "error", "fatal", "Trace", "Debug", "Info", "Warn", "Error":
		return true
	}
	return false
}

// kvPair is one key=value of a text message or a logfmt line.
type kvPair struct {
	key, val []byte
}

// nextKV finds the next key=value pair in b from i: a key of word characters (and . - @ /) directly followed
// by '=', then a value up to the next space, or a double-quoted value with backslash escapes. Trailing ','
// and ';' of an unquoted value are dropped. Words without '=' are skipped. ok is false at the end; bad is
// set when a quoted value has no closing quote (the value then runs to the end).
func nextKV(b []byte, i int) (p kvPair, next int, ok, bad bool) {
	for i < len(b) {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		// Java toString()s open a group before the first key: "SendResult [sendStatus=SEND_OK, ...".
		for i < len(b) && (b[i] == '[' || b[i] == '(' || b[i] == '{') {
			i++
		}
		start := i
		for i < len(b) && isKeyByte(b[i]) {
			i++
		}
		if i == start || i >= len(b) || b[i] != '=' {
			// not a key: skip this word
			for i < len(b) && b[i] != ' ' && b[i] != '\t' {
				i++
			}
			continue
		}
		p.key = b[start:i]
		i++ // '='
		if i < len(b) && b[i] == '"' {
			j, esc := i+1, false
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					esc = true
					j++
				}
				j++
			}
			if j >= len(b) {
				p.val = b[i+1:]
				return p, len(b), true, true
			}
			p.val = b[i+1 : j]
			if esc {
				p.val = unescapeKV(p.val)
			}
			return p, j + 1, true, false
		}
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\t' {
			j++
		}
		v := b[i:j]
		// Drop the punctuation that ends a value in prose and in Java toString()s ("queueId=3],"), but keep a
		// closing bracket the value itself opened ("tags=[a]").
		for len(v) > 0 {
			c := v[len(v)-1]
			if c == ',' || c == ';' || (c == ']' && bytes.IndexByte(v, '[') < 0) || (c == ')' && bytes.IndexByte(v, '(') < 0) || (c == '}' && bytes.IndexByte(v, '{') < 0) {
				v = v[:len(v)-1]
				continue
			}
			break
		}
		p.val = v
		return p, j, true, false
	}
	return p, i, false, false
}

func isKeyByte(c byte) bool {
	return isWordByte(c) || c == '.' || c == '-' || c == '@' || c == '/'
}

func unescapeKV(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n':
				c = '\n'
			case 't':
				c = '\t'
			case 'r':
				c = '\r'
			default:
				c = v[i]
			}
		}
		out = append(out, c)
	}
	return out
}

// looksLogfmt reports whether a line starts like logfmt: key=value, and has at least two pairs.
func looksLogfmt(line []byte) bool {
	i := 0
	for i < len(line) && isKeyByte(line[i]) {
		i++
	}
	if i == 0 || i >= len(line) || line[i] != '=' {
		return false
	}
	return bytes.Count(line, []byte("=")) >= 2
}

// isTraceStart reports whether a line starts a RocketMQ trace record.
func isTraceStart(line []byte) bool {
	for _, p := range []string{"Pub\x01", "SubBefore\x01", "SubAfter\x01", "EndTransaction\x01", "Recall\x01"} {
		if bytes.HasPrefix(line, []byte(p)) {
			return true
		}
	}
	return false
}

// detectFormat tells the format from the first lines of a file: "trace", "json", "logback", "logfmt", or ""
// when it cannot tell. full says head is a prefix of a longer file (its last line may be cut).
func detectFormat(head []byte, full bool) string {
	if bytes.IndexByte(head, '\x02') >= 0 && bytes.IndexByte(head, '\x01') >= 0 {
		rest := head
		for len(rest) > 0 {
			i := bytes.IndexByte(rest, '\n')
			line := rest
			if i >= 0 {
				line, rest = rest[:i], rest[i+1:]
			} else {
				rest = nil
			}
			line = bytes.TrimLeft(trimEOL(line), " \t")
			if len(line) == 0 {
				continue
			}
			if isTraceStart(line) {
				return "trace"
			}
			break
		}
	}
	votes := map[string]int{}
	first := ""
	seen := 0
	for len(head) > 0 && seen < 50 {
		i := bytes.IndexByte(head, '\n')
		var line []byte
		if i < 0 {
			if full {
				break // cut by the peek
			}
			line, head = head, nil
		} else {
			line, head = head[:i], head[i+1:]
		}
		line = trimEOL(line)
		t := bytes.TrimLeft(line, " \t")
		if len(t) == 0 {
			continue
		}
		seen++
		f := ""
		switch {
		case t[0] == '{':
			f = "json"
		case func() bool { _, _, ok := parseLeadStamp(line, nil); return ok }():
			f = "logback"
		case looksLogfmt(line):
			f = "logfmt"
		}
		if f == "" {
			continue
		}
		if first == "" {
			first = f
		}
		votes[f]++
	}
	best := first
	for f, n := range votes {
		if n > votes[best] {
			best = f
		}
	}
	return best
}

// isBinary reports whether head looks like a binary file: a NUL byte in its first 8 KB.
func isBinary(head []byte) bool {
	if len(head) > 8<<10 {
		head = head[:8<<10]
	}
	return bytes.IndexByte(head, 0) >= 0
}

// containsFold reports whether line contains needle (lower-case ASCII), ignoring ASCII case. It anchors on the
// longest run of the needle without letters (digits of an order ID) and verifies around it.
func containsFold(line []byte, needle []byte, anchor []byte, anchorAt int) bool {
	if len(needle) == 0 {
		return true
	}
	if len(anchor) == 0 {
		return bytes.Contains(lowerASCII(line), needle)
	}
	from := 0
	for {
		j := bytes.Index(line[from:], anchor)
		if j < 0 {
			return false
		}
		start := from + j - anchorAt
		if start >= 0 && start+len(needle) <= len(line) && bytes.EqualFold(line[start:start+len(needle)], needle) {
			return true
		}
		from += j + 1
	}
}

func lowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// needle is one Options.Needles entry, prepared for containsFold.
type needle struct {
	lower    []byte
	anchor   []byte
	anchorAt int
}

func newNeedle(s string) needle {
	n := needle{lower: lowerASCII([]byte(s))}
	bestStart, bestLen, start := 0, 0, 0
	for i := 0; i <= len(n.lower); i++ {
		if i == len(n.lower) || (n.lower[i] >= 'a' && n.lower[i] <= 'z') {
			if i-start > bestLen {
				bestStart, bestLen = start, i-start
			}
			start = i + 1
		}
	}
	if bestLen >= 2 || bestLen == len(n.lower) {
		n.anchor = n.lower[bestStart : bestStart+bestLen]
		n.anchorAt = bestStart
	}
	return n
}
