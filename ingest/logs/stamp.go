package logs

import (
	"bytes"
	"strconv"
	"time"
)

// parseStamp reads a timestamp at the start of b: "2006-01-02 15:04:05", with optional ".000" or ",000"
// fraction (any number of digits), 'T' or ' ' between date and time, '/' allowed in the date, and an optional
// zone ("Z", "+08:00", "+0800", "+08", with or without a space before it). It returns Unix nanoseconds (UTC)
// and how many bytes it used. Stamps without a zone are read in loc (nil = UTC).
func parseStamp(b []byte, loc *time.Location) (ns int64, n int, ok bool) {
	if len(b) < 19 {
		return 0, 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, 0, false
	}
	if !(b[4] == '-' || b[4] == '/') || b[7] != b[4] || !(b[10] == ' ' || b[10] == 'T') || b[13] != ':' || b[16] != ':' {
		return 0, 0, false
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return 0, 0, false
	}
	n = 19
	var frac int64
	if n < len(b) && (b[n] == '.' || b[n] == ',') && n+1 < len(b) && isDigit(b[n+1]) {
		n++
		scale := int64(100000000)
		for n < len(b) && isDigit(b[n]) {
			frac += int64(b[n]-'0') * scale
			scale /= 10
			n++
		}
	}
	// Zone.
	offset, zoned := 0, false
	z := n
	if z < len(b) && b[z] == ' ' && z+1 < len(b) && (b[z+1] == '+' || b[z+1] == '-' || b[z+1] == 'Z') {
		z++ // "2026-11-23 10:00:01.123 +0800"
	}
	if z < len(b) {
		switch c := b[z]; {
		case c == 'Z':
			if z+1 == len(b) || !isWordByte(b[z+1]) {
				zoned, n = true, z+1
			}
		case c == '+' || c == '-':
			if off, m, ok := parseOffset(b[z:]); ok {
				offset, zoned, n = off, true, z+m
			}
		}
	}
	days := daysFromCivil(year, month, day)
	secs := days*86400 + int64(hour*3600+minute*60+sec)
	if zoned {
		return (secs-int64(offset))*1e9 + frac, n, true
	}
	if loc == nil || loc == time.UTC {
		return secs*1e9 + frac, n, true
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, int(frac), loc)
	return t.UnixNano(), n, true
}

// parseOffset reads "+08:00", "+0800" or "+08" and returns the offset in seconds east of UTC.
func parseOffset(b []byte) (int, int, bool) {
	if len(b) < 3 {
		return 0, 0, false
	}
	sign := 1
	if b[0] == '-' {
		sign = -1
	}
	h, ok := digits(b[1:3])
	if !ok {
		return 0, 0, false
	}
	n, m := 3, 0
	if len(b) >= 6 && b[3] == ':' {
		if mm, ok := digits(b[4:6]); ok {
			m, n = mm, 6
		}
	} else if len(b) >= 5 {
		if mm, ok := digits(b[3:5]); ok {
			m, n = mm, 5
		}
	}
	if n < len(b) && isDigit(b[n]) {
		return 0, 0, false
	}
	if h > 14 || m > 59 {
		return 0, 0, false
	}
	return sign * (h*3600 + m*60), n, true
}

// parseTimeValue reads a timestamp field value (JSON or logfmt): a stamp as parseStamp reads it (the whole value),
// or epoch seconds, milliseconds, microseconds or nanoseconds (told apart by magnitude), with an optional fraction.
func parseTimeValue(v []byte, loc *time.Location) (int64, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0, false
	}
	if ns, n, ok := parseStamp(v, loc); ok {
		return ns, n == len(v)
	}
	// Epoch number.
	intPart, frac := v, []byte(nil)
	if i := bytes.IndexByte(v, '.'); i >= 0 {
		intPart, frac = v[:i], v[i+1:]
	}
	if len(intPart) == 0 || len(intPart) > 19 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(intPart), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	for _, c := range frac {
		if !isDigit(c) {
			return 0, false
		}
	}
	var unit int64
	switch {
	case n < 1e11: // seconds (until year 5138)
		unit = 1e9
	case n < 1e14:
		unit = 1e6
	case n < 1e17:
		unit = 1e3
	default:
		unit = 1
	}
	ns := n * unit
	scale := unit / 10
	for _, c := range frac {
		if scale == 0 {
			break
		}
		ns += int64(c-'0') * scale
		scale /= 10
	}
	return ns, true
}

func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// daysFromCivil is the number of days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
