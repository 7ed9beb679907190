package rocketmq

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The broker serializes its bodies with fastjson, which writes a Map whose keys are objects as
// {{"brokerName":"broker-a","queueId":0,"topic":"pay-success"}:{"brokerOffset":5,...}} and a Map with Integer or
// Long keys as {0:4,1:4}: not JSON. looseValue is a tolerant reader of that dialect: object keys may be any value
// (string, number, object, array, bare word), strings may use single quotes, and trailing commas are accepted.

type looseKind uint8

const (
	looseNull looseKind = iota
	looseBool
	looseNumber
	looseString
	looseObject
	looseArray
)

type looseValue struct {
	kind    looseKind
	text    string // string value, number literal, bare word, or "true"/"false"
	members []looseMember
	items   []looseValue
}

type looseMember struct {
	key, val looseValue
}

// errLoose is wrapped by every parse error.
var errLoose = errors.New("malformed broker JSON")

// maxLooseDepth bounds nesting so hostile input cannot exhaust the stack.
const maxLooseDepth = 64

// parseLoose parses one value that fills b (surrounding white space allowed).
func parseLoose(b []byte) (looseValue, error) {
	p := looseParser{b: b}
	v, err := p.value(0)
	if err != nil {
		return looseValue{}, err
	}
	p.space()
	if p.i != len(p.b) {
		return looseValue{}, p.fail("trailing data")
	}
	return v, nil
}

type looseParser struct {
	b []byte
	i int
}

func (p *looseParser) fail(what string) error {
	return fmt.Errorf("%w: %s at byte %d", errLoose, what, p.i)
}

func (p *looseParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *looseParser) value(depth int) (looseValue, error) {
	if depth > maxLooseDepth {
		return looseValue{}, p.fail("nesting too deep")
	}
	p.space()
	if p.i >= len(p.b) {
		return looseValue{}, p.fail("unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"' || c == '\'':
		s, err := p.str(c)
		return looseValue{kind: looseString, text: s}, err
	default:
		start := p.i
		for p.i < len(p.b) && isBareByte(p.b[p.i]) {
			p.i++
		}
		if p.i == start {
			return looseValue{}, p.fail(fmt.Sprintf("unexpected %q", c))
		}
		w := string(p.b[start:p.i])
		switch w {
		case "null":
			return looseValue{kind: looseNull}, nil
		case "true", "false":
			return looseValue{kind: looseBool, text: w}, nil
		}
		if (w[0] >= '0' && w[0] <= '9') || w[0] == '-' || w[0] == '+' || w[0] == '.' {
			return looseValue{kind: looseNumber, text: w}, nil
		}
		return looseValue{kind: looseString, text: w}, nil // a bare word: treat as a string
	}
}

func isBareByte(c byte) bool {
	return c == '_' || c == '-' || c == '+' || c == '.' || c == '$' || c == '%' ||
		(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func (p *looseParser) object(depth int) (looseValue, error) {
	p.i++ // {
	v := looseValue{kind: looseObject}
	for {
		p.space()
		if p.i >= len(p.b) {
			return v, p.fail("unterminated object")
		}
		if p.b[p.i] == '}' {
			p.i++
			return v, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return v, err
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return v, p.fail("expected ':'")
		}
		p.i++
		val, err := p.value(depth + 1)
		if err != nil {
			return v, err
		}
		v.members = append(v.members, looseMember{k, val})
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return v, nil
		}
		return v, p.fail("expected ',' or '}'")
	}
}

func (p *looseParser) array(depth int) (looseValue, error) {
	p.i++ // [
	v := looseValue{kind: looseArray}
	for {
		p.space()
		if p.i >= len(p.b) {
			return v, p.fail("unterminated array")
		}
		if p.b[p.i] == ']' {
			p.i++
			return v, nil
		}
		it, err := p.value(depth + 1)
		if err != nil {
			return v, err
		}
		v.items = append(v.items, it)
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return v, nil
		}
		return v, p.fail("expected ',' or ']'")
	}
}

func (p *looseParser) str(q byte) (string, error) {
	p.i++ // opening quote
	var sb strings.Builder
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == q:
			sb.Write(p.b[start:p.i])
			p.i++
			return sb.String(), nil
		case c == '\\':
			sb.Write(p.b[start:p.i])
			p.i++
			if p.i >= len(p.b) {
				return "", p.fail("unterminated escape")
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				if p.i+4 > len(p.b) {
					return "", p.fail("short \\u escape")
				}
				n, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
				if err != nil {
					return "", p.fail("bad \\u escape")
				}
				p.i += 4
				r := rune(n)
				if r >= 0xD800 && r < 0xDC00 && p.i+6 <= len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
					if lo, err := strconv.ParseUint(string(p.b[p.i+2:p.i+6]), 16, 32); err == nil && lo >= 0xDC00 && lo < 0xE000 {
						r = (r-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000
						p.i += 6
					}
				}
				if !utf8.ValidRune(r) {
					r = utf8.RuneError
				}
				sb.WriteRune(r)
			default: // \" \\ \/ \' and anything else: the character itself
				sb.WriteByte(e)
			}
			start = p.i
		default:
			p.i++
		}
	}
	return "", p.fail("unterminated string")
}

// get returns the value of the member whose key is the string k.
func (v looseValue) get(k string) (looseValue, bool) {
	for _, m := range v.members {
		if m.key.kind == looseString && m.key.text == k {
			return m.val, true
		}
	}
	return looseValue{}, false
}

func (v looseValue) str(k string) string {
	m, _ := v.get(k)
	if m.kind == looseString || m.kind == looseNumber || m.kind == looseBool {
		return m.text
	}
	return ""
}

// int returns the integer member k (a number, or a string holding one); ok is false when it is missing or not
// an integer.
func (v looseValue) int(k string) (int64, bool) {
	m, found := v.get(k)
	if !found {
		return 0, false
	}
	return m.asInt()
}

func (v looseValue) asInt() (int64, bool) {
	if v.kind != looseNumber && v.kind != looseString {
		return 0, false
	}
	n, err := strconv.ParseInt(v.text, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v.text, 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, false
		}
		n = int64(f)
	}
	return n, true
}

func (v looseValue) float(k string) float64 {
	m, _ := v.get(k)
	f, _ := strconv.ParseFloat(m.text, 64)
	return f
}
