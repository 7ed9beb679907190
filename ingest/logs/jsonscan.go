package logs

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner pulls the values of a few wanted fields out of one JSON object without building a map. A wanted
// name is a dotted path: "mq.msgId" matches {"mq":{"msgId":...}} and also a literal key "mq.msgId" (ECS
// writes both styles). It validates the whole line as it goes, so a line that is not one JSON object fails.
type jsonScanner struct {
	paths  *pathIndex // wanted path -> slot, and the paths of objects worth descending into
	vals   [][]byte   // by slot; nil = absent (or null)
	path   []byte
	filter *keyFilter // nil = look every key up
}

// keyFilter rules out most unwanted keys before a map lookup: the first byte and the length of every wanted
// path segment and every wanted literal key.
type keyFilter struct {
	first [256]bool
	lens  uint64 // bit n: some wanted key has length n (bit 63: 63 or longer)
}

func newKeyFilter(names []string) *keyFilter {
	f := &keyFilter{}
	add := func(k string) {
		if k == "" {
			f.first[0] = true
			f.lens |= 1
			return
		}
		f.first[k[0]] = true
		f.lens |= 1 << uint(min(len(k), 63))
	}
	for _, n := range names {
		add(n)
		for _, seg := range strings.Split(n, ".") {
			add(seg)
		}
	}
	return f
}

func (f *keyFilter) may(k []byte) bool {
	if len(k) == 0 {
		return f.first[0]
	}
	return f.first[k[0]] && f.lens&(1<<uint(min(len(k), 63))) != 0
}

const maxJSONDepth = 100

var errJSONDepth = errors.New("nested too deep")

type jsonError struct {
	at  int
	msg string
}

func (e *jsonError) Error() string { return fmt.Sprintf("bad JSON at byte %d: %s", e.at+1, e.msg) }

func jerr(at int, format string, args ...any) error {
	return &jsonError{at: at, msg: fmt.Sprintf(format, args...)}
}

// scan reads line (one JSON object, surrounding whitespace allowed) and fills s.vals.
func (s *jsonScanner) scan(b []byte) error {
	for i := range s.vals {
		s.vals[i] = nil
	}
	s.path = s.path[:0]
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return jerr(i, "not a JSON object")
	}
	i, err := s.object(b, i, true, 0)
	if err != nil {
		return err
	}
	if i = skipWS(b, i); i != len(b) {
		return jerr(i, "text after the object")
	}
	return nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// object reads the object at b[i] == '{'. want says whether its keys can be wanted.
func (s *jsonScanner) object(b []byte, i int, want bool, depth int) (int, error) {
	if depth > maxJSONDepth {
		return i, jerr(i, "%v", errJSONDepth)
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) {
			return i, jerr(i, "unexpected end of line in object")
		}
		if b[i] != '"' {
			return i, jerr(i, "want a key string, got %q", b[i])
		}
		key, next, err := jstring(b, i)
		if err != nil {
			return i, err
		}
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return i, jerr(i, "want ':' after key")
		}
		i = skipWS(b, i+1)
		if i >= len(b) {
			return i, jerr(i, "unexpected end of line after ':'")
		}
		if want && (s.filter == nil || s.filter.may(key)) {
			base := len(s.path)
			if base > 0 {
				s.path = append(s.path, '.')
			}
			s.path = append(s.path, key...)
			slot, wanted, prefix := s.paths.lookup(s.path)
			switch c := b[i]; {
			case c == '{':
				start := i
				i, err = s.object(b, i, prefix, depth+1)
				if err == nil && wanted && s.vals[slot] == nil {
					s.vals[slot] = b[start:i]
				}
			case c == '[':
				if wanted {
					var v []byte
					v, i, err = jarrayJoin(b, i, depth+1)
					if err == nil && s.vals[slot] == nil {
						s.vals[slot] = v
					}
				} else {
					i, err = skipValue(b, i, depth+1)
				}
			case c == '"':
				var v []byte
				v, i, err = jstring(b, i)
				if err == nil && wanted && s.vals[slot] == nil {
					s.vals[slot] = v
				}
			default:
				start := i
				i, err = jscalar(b, i)
				if err == nil && wanted && s.vals[slot] == nil && string(b[start:i]) != "null" {
					s.vals[slot] = b[start:i]
				}
			}
			s.path = s.path[:base]
		} else {
			i, err = skipValue(b, i, depth+1)
		}
		if err != nil {
			return i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return i, jerr(i, "unexpected end of line in object")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, jerr(i, "want ',' or '}', got %q", b[i])
		}
	}
}

// skipValue skips (and checks) any JSON value at b[i].
func skipValue(b []byte, i int, depth int) (int, error) {
	if depth > maxJSONDepth {
		return i, jerr(i, "%v", errJSONDepth)
	}
	if i >= len(b) {
		return i, jerr(i, "unexpected end of line, want a value")
	}
	switch b[i] {
	case '{':
		var s jsonScanner
		return s.object(b, i, false, depth)
	case '[':
		i = skipWS(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		for {
			var err error
			if i, err = skipValue(b, i, depth+1); err != nil {
				return i, err
			}
			i = skipWS(b, i)
			if i >= len(b) {
				return i, jerr(i, "unexpected end of line in array")
			}
			switch b[i] {
			case ',':
				i = skipWS(b, i+1)
			case ']':
				return i + 1, nil
			default:
				return i, jerr(i, "want ',' or ']', got %q", b[i])
			}
		}
	case '"':
		_, next, err := jstringRaw(b, i)
		return next, err
	}
	return jscalar(b, i)
}

// jarrayJoin reads an array and returns its scalar elements joined by spaces (nested values are skipped).
func jarrayJoin(b []byte, i int, depth int) ([]byte, int, error) {
	var out []byte
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return []byte{}, i + 1, nil
	}
	for {
		if i >= len(b) {
			return nil, i, jerr(i, "unexpected end of line in array")
		}
		var err error
		switch b[i] {
		case '"':
			var v []byte
			if v, i, err = jstring(b, i); err == nil {
				if len(out) > 0 {
					out = append(out, ' ')
				}
				out = append(out, v...)
			}
		case '{', '[':
			i, err = skipValue(b, i, depth+1)
		default:
			start := i
			if i, err = jscalar(b, i); err == nil {
				if len(out) > 0 {
					out = append(out, ' ')
				}
				out = append(out, b[start:i]...)
			}
		}
		if err != nil {
			return nil, i, err
		}
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, i, jerr(i, "unexpected end of line in array")
		}
		switch b[i] {
		case ',':
			i = skipWS(b, i+1)
		case ']':
			if out == nil {
				out = []byte{}
			}
			return out, i + 1, nil
		default:
			return nil, i, jerr(i, "want ',' or ']', got %q", b[i])
		}
	}
}

// jscalar reads a number, true, false or null.
func jscalar(b []byte, i int) (int, error) {
	start := i
	for _, lit := range []string{"true", "false", "null"} {
		if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
			return i + len(lit), nil
		}
	}
	// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
	bad := func() (int, error) {
		if start < len(b) {
			return start, jerr(start, "want a value, got %q", b[start])
		}
		return start, jerr(start, "unexpected end of line, want a value")
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return bad()
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || !isDigit(b[i]) {
			return bad()
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return bad()
		}
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	}
	return i, nil
}

// strPlain marks the bytes a JSON string scan steps over: everything but '"', '\\' and control characters.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// jstringRaw finds the end of the string at b[i] == '"'. It returns the raw content, where the string ends, and
// whether it has escapes.
func jstringScan(b []byte, i int) (raw []byte, next int, escaped bool, err error) {
	j := i + 1
	for {
		for j < len(b) && strPlain[b[j]] {
			j++
		}
		if j >= len(b) {
			return nil, len(b), false, jerr(len(b), "unterminated string")
		}
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, escaped, nil
		case c == '\\':
			// Checked here, not only when unescaping: a value that is skipped must be valid JSON too.
			escaped = true
			if j+1 >= len(b) {
				return nil, len(b), false, jerr(len(b), "unterminated string")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if _, ok := hex4(b, j+2); !ok {
					return nil, j, false, jerr(j, "bad \\u escape in string")
				}
				j += 6
			default:
				return nil, j, false, jerr(j, "bad escape \\%c in string", b[j+1])
			}
		default:
			return nil, j, false, jerr(j, "control character in string")
		}
	}
}

// jstringRaw finds the end of the string at b[i] == '"' and returns its raw content.
func jstringRaw(b []byte, i int) (raw []byte, next int, err error) {
	raw, next, _, err = jstringScan(b, i)
	return raw, next, err
}

// jstring reads the string at b[i] == '"' and returns its value, unescaped (a new slice only if needed).
func jstring(b []byte, i int) ([]byte, int, error) {
	raw, next, escaped, err := jstringScan(b, i)
	if err != nil || !escaped {
		return raw, next, err
	}
	v, err := unescapeJSON(raw, i+1)
	return v, next, err
}

func unescapeJSON(raw []byte, at int) ([]byte, error) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return nil, jerr(at+i, "bad escape")
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw, i+1)
			if !ok {
				return nil, jerr(at+i, "bad \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(raw, i+3); ok && i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, jerr(at+i, "bad escape \\%c", raw[i])
		}
	}
	return out, nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
