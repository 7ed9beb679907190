package logs

import (
	_ "embed"
	"fmt"
	"os"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hoptrace/hoptrace/ingest"
)

// defaultYAML is the built-in profile: it reads exactly the formats of fixtures/FORMATS.md.
//
//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML returns the text of the built-in profile, comments included: the starting point for your own.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

var (
	defaultOnce    sync.Once
	defaultProfile *Profile
)

// Default returns the built-in profile, parsed once and shared: do not modify it. It panics if the embedded
// profile is broken (a test guards that).
func Default() *Profile {
	defaultOnce.Do(func() {
		p, err := Parse(defaultYAML, "built-in")
		if err != nil {
			panic(err)
		}
		defaultProfile = p
	})
	return defaultProfile
}

// Load reads a log profile from a YAML file.
func Load(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w: %w", path, ingest.ErrBadProfile, err)
	}
	return Parse(data, path)
}

// Profile says how to read someone's logs: which files belong to which service (a Source) and which lines
// prove which hop (its Rules). See default.yaml for the format, with comments.
type Profile struct {
	Name    string // the file it came from, or "built-in"
	Version int
	Sources []*SourceSpec
}

// SourceSpec is one service's logs within a profile.
type SourceSpec struct {
	Name     string
	Paths    []string // globs; "**" crosses directories
	Format   string   // auto, logback, json, logfmt
	Timezone string   // zone of stamps that carry none ("" = the caller's, see Options.TZ)
	Rules    []*Rule

	// Text lines whose stamp is not one hoptrace knows, or not at the line start: TimeRegex finds it (its group
	// named "time", else its first group, else the whole match) and TimeLayout (a Go reference layout such as
	// "02/Jan/2006:15:04:05 -0700") parses it; without a layout the built-in stamp formats are tried. What follows
	// the match is read as "[LEVEL] [thread] [logger -] message".
	TimeRegex, TimeLayout string
	timeRe                *regexp.Regexp
	timeGrp               int

	// Field names for JSON and logfmt: the first one present wins.
	TimeFields, MessageFields, LevelFields []string
	HostField                              string // field holding the host, or ""
	HostFromPath                           string // regex on the file path with a named group "host", or ""

	line     int
	loc      *time.Location
	globs    []*regexp.Regexp
	hostRe   *regexp.Regexp
	hostGrp  int
	names    []string       // field names this source reads, indexed by slot
	slots    map[string]int // field name -> slot
	prefixes map[string]bool
	paths    pathIndex // slots and prefixes, for the readers' hot loops
	keys     *keyFilter
	filters  [][]byte // prefilter literals (raw line), deduplicated
	always   bool     // some rule has no literal: every line is a candidate
	timeSlot []int
	msgSlot  []int
	lvlSlot  []int
	hostSlot int
}

// Rule turns a matching line into an Event. Every selector given must hold (they are ANDed).
type Rule struct {
	Name     string
	Contains []string // literal substrings of the message; all must appear
	Regex    string   // on the message
	Level    []string // one of these levels (case-insensitive)
	Fields   []FieldTest
	Always   bool // the rule has no literal to prefilter on: try it on every line (slow)

	Hop        ingest.Hop
	Status     ingest.Status
	StatusFrom *StatusFrom
	Extract    map[string]*Extractor // Event field name -> extractor

	line    int
	re      *regexp.Regexp
	literal []byte // required literal of the raw line (prefilter)
	filter  int    // index into SourceSpec.filters, -1 = always
	lvlLow  []string
	extract []fieldExtract // ordered by Event field
}

// FieldTest selects lines by one field (JSON path, logfmt key or key=value name of a text message).
type FieldTest struct {
	Name     string
	Equals   string
	Contains string
	Regex    string
	hasEq    bool
	slot     int
	re       *regexp.Regexp
}

// StatusFrom maps a field's value to a status: {field: status, map: {CONSUME_SUCCESS: ok}, default: failed}.
type StatusFrom struct {
	Field   string
	Map     map[string]ingest.Status
	Default *ingest.Status
	slot    int
}

// Extractor pulls one Event field out of a line. Alternatives are tried in order; the first non-empty wins.
type Extractor struct {
	alts []extractAlt
}

type extractAlt struct {
	name  string         // field name (JSON path, logfmt key, key=value of a text message)
	re    *regexp.Regexp // regex with a named group, on the message (or on the field `from`)
	group int
	from  string // with re: the field the regex reads ("" = message)
	value string // a constant
	isVal bool
	slot  int // slot of name or from; -1 = message
}

type fieldExtract struct {
	field eventField
	ex    *Extractor
}

// eventField is one settable field of ingest.Event.
type eventField uint8

const (
	fOrderID eventField = iota
	fKeys
	fMsgID
	fOffsetMsgID
	fBroker
	fTopic
	fQueueID
	fQueueOffset
	fGroup
	fHost
	fResult
	fError
	fRetry
	fGrantID
	fUserID
	fAmount
	fieldCount
)

var eventFieldNames = [...]string{"order_id", "keys", "msg_id", "offset_msg_id", "broker", "topic", "queue_id",
	"queue_offset", "group", "host", "result", "error", "retry", "grant_id", "user_id", "amount"}

func parseEventField(s string) (eventField, bool) {
	for i, n := range eventFieldNames {
		if n == s {
			return eventField(i), true
		}
	}
	return 0, false
}

// Formats a profile source may name.
var formats = []string{"auto", "logback", "json", "logfmt"}

// profileError is a mistake in a profile, with the line it is on.
type profileError struct {
	file, where string
	line        int
	msg         string
}

func (e *profileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "profile %s: ", e.file)
	if e.line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.line)
	}
	if e.where != "" {
		b.WriteString(e.where)
		b.WriteString(": ")
	}
	b.WriteString(e.msg)
	return b.String()
}

func (e *profileError) Unwrap() error { return ingest.ErrBadProfile }

// loader walks the YAML node tree and remembers where it is for errors.
type loader struct {
	file  string
	where string
}

func (l *loader) errf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &profileError{file: l.file, where: l.where, line: line, msg: fmt.Sprintf(format, args...)}
}

// Parse reads a profile from YAML text; name is used in errors (usually the file name).
func Parse(data []byte, name string) (*Profile, error) {
	l := &loader{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		return nil, &profileError{file: name, msg: "bad YAML: " + msg}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &profileError{file: name, msg: "empty profile (want version: 1 and sources:)"}
	}
	resolveAliases(&doc, 0)
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, l.errf(root, "want a mapping with version: and sources:")
	}
	p := &Profile{Name: name}
	var sourcesNode *yaml.Node
	err := l.eachKey(root, func(k, v *yaml.Node) error {
		switch k.Value {
		case "version":
			if v.Kind != yaml.ScalarNode || v.Value != "1" {
				return l.errf(v, "unsupported version %q (want 1)", v.Value)
			}
			p.Version = 1
		case "sources":
			sourcesNode = v
		default:
			return l.errf(k, "unknown key %q (want version, sources)", k.Value)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if p.Version == 0 {
		return nil, l.errf(root, "missing version: 1")
	}
	if sourcesNode == nil || sourcesNode.Kind != yaml.SequenceNode || len(sourcesNode.Content) == 0 {
		return nil, l.errf(orNode(sourcesNode, root), "want sources: a list of at least one source")
	}
	seen := map[string]int{}
	for _, sn := range sourcesNode.Content {
		s, err := l.source(sn)
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[s.Name]; dup {
			l.where = fmt.Sprintf("source %q", s.Name)
			return nil, l.errf(sn, "source name used twice (first on line %d)", prev)
		}
		seen[s.Name] = sn.Line
		p.Sources = append(p.Sources, s)
	}
	return p, nil
}

// resolveAliases replaces YAML aliases (*name) by the nodes they point at, so the loader never sees one.
func resolveAliases(n *yaml.Node, depth int) {
	if depth > 50 {
		return
	}
	for i, c := range n.Content {
		for k := 0; c.Kind == yaml.AliasNode && c.Alias != nil && k < 10; k++ {
			c = c.Alias
		}
		n.Content[i] = c
		resolveAliases(c, depth+1)
	}
}

func orNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

func (l *loader) eachKey(n *yaml.Node, f func(k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return l.errf(n, "want a mapping (key: value lines), got %s", kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if err := f(n.Content[i], n.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "something else"
}

func (l *loader) scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", l.errf(n, "%s: want a single value, got %s", what, kindName(n))
	}
	return n.Value, nil
}

// strings reads a value or a list of values.
func (l *loader) strings(n *yaml.Node, what string) ([]string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}, nil
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			s, err := l.scalar(c, what)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, l.errf(n, "%s: want a value or a list of values, got %s", what, kindName(n))
}

func (l *loader) source(n *yaml.Node) (*SourceSpec, error) {
	s := &SourceSpec{line: n.Line, Format: "auto", hostSlot: -1}
	l.where = ""
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "name" && n.Content[i+1].Kind == yaml.ScalarNode {
				s.Name = n.Content[i+1].Value
				l.where = fmt.Sprintf("source %q", s.Name)
			}
		}
	}
	var rulesNode *yaml.Node
	err := l.eachKey(n, func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "name":
			s.Name, err = l.scalar(v, "name")
		case "paths":
			s.Paths, err = l.strings(v, "paths")
			for _, g := range s.Paths {
				if err != nil {
					break
				}
				re, gerr := globRegexp(g)
				if gerr != nil {
					return l.errf(v, "bad glob %q in paths: %v", g, gerr)
				}
				s.globs = append(s.globs, re)
			}
		case "format":
			s.Format, err = l.scalar(v, "format")
			s.Format = strings.ToLower(s.Format)
			if err == nil && !contains(formats, s.Format) {
				return l.errf(v, "unknown format %q (want one of %s)", s.Format, strings.Join(formats, ", "))
			}
		case "timezone":
			s.Timezone, err = l.scalar(v, "timezone")
			if err == nil {
				loc, lerr := time.LoadLocation(s.Timezone)
				if lerr != nil {
					return l.errf(v, "unknown timezone %q (want UTC, Local or an IANA name like Asia/Shanghai)", s.Timezone)
				}
				s.loc = loc
			}
		case "host":
			err = l.host(s, v)
		case "time_regex":
			s.TimeRegex, err = l.scalar(v, "time_regex")
			if err == nil {
				re, rerr := regexp.Compile(s.TimeRegex)
				if rerr != nil {
					return l.errf(v, "bad time_regex %q: %v", s.TimeRegex, rerr)
				}
				s.timeRe, s.timeGrp = re, 0
				if i := re.SubexpIndex("time"); i > 0 {
					s.timeGrp = i
				} else if re.NumSubexp() > 0 {
					s.timeGrp = 1
				}
			}
		case "time_layout":
			s.TimeLayout, err = l.scalar(v, "time_layout")
		case "time_field":
			s.TimeFields, err = l.strings(v, "time_field")
		case "message_field":
			s.MessageFields, err = l.strings(v, "message_field")
		case "level_field":
			s.LevelFields, err = l.strings(v, "level_field")
		case "rules":
			rulesNode = v
		default:
			return l.errf(k, "unknown key %q (want name, paths, format, timezone, host, time_regex, time_layout, time_field, message_field, level_field, rules)", k.Value)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.Name == "" {
		return nil, l.errf(n, "source without a name: (name it after the service, e.g. name: order-service)")
	}
	if s.TimeLayout != "" && s.timeRe == nil {
		return nil, l.errf(n, "time_layout needs a time_regex that finds the stamp in the line")
	}
	if len(s.TimeFields) == 0 {
		s.TimeFields = []string{"@timestamp", "timestamp", "time", "ts"}
	}
	if len(s.MessageFields) == 0 {
		s.MessageFields = []string{"message", "msg"}
	}
	if len(s.LevelFields) == 0 {
		s.LevelFields = []string{"log.level", "level", "lvl", "severity"}
	}
	if rulesNode == nil || rulesNode.Kind != yaml.SequenceNode || len(rulesNode.Content) == 0 {
		return nil, l.errf(orNode(rulesNode, n), "want rules: a list of at least one rule")
	}
	names := map[string]int{}
	for _, rn := range rulesNode.Content {
		r, err := l.rule(s, rn)
		if err != nil {
			return nil, err
		}
		if prev, dup := names[r.Name]; dup {
			return nil, l.errf(rn, "rule %q: name used twice in this source (first on line %d)", r.Name, prev)
		}
		names[r.Name] = rn.Line
		s.Rules = append(s.Rules, r)
	}
	s.compile()
	return s, nil
}

func (l *loader) host(s *SourceSpec, v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode {
		s.HostField = v.Value
		return nil
	}
	err := l.eachKey(v, func(k, v *yaml.Node) error {
		val, err := l.scalar(v, "host."+k.Value)
		if err != nil {
			return err
		}
		switch k.Value {
		case "field":
			s.HostField = val
		case "from_path":
			re, err := regexp.Compile(val)
			if err != nil {
				return l.errf(v, "host.from_path: bad regex: %v", err)
			}
			g := re.SubexpIndex("host")
			if g < 0 {
				return l.errf(v, "host.from_path: the regex needs a named group (?P<host>...)")
			}
			s.HostFromPath, s.hostRe, s.hostGrp = val, re, g
		default:
			return l.errf(k, "host: unknown key %q (want field or from_path)", k.Value)
		}
		return nil
	})
	if err == nil && s.HostField != "" && s.hostRe != nil {
		return l.errf(v, "host: give field or from_path, not both")
	}
	return err
}

func (l *loader) rule(s *SourceSpec, n *yaml.Node) (*Rule, error) {
	r := &Rule{line: n.Line, Extract: map[string]*Extractor{}}
	base := l.where
	defer func() { l.where = base }()
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "name" && n.Content[i+1].Kind == yaml.ScalarNode {
				r.Name = n.Content[i+1].Value
			}
		}
	}
	if r.Name == "" {
		return nil, l.errf(n, "rule without a name: (every rule needs one; events carry it)")
	}
	l.where = fmt.Sprintf("rule %q", r.Name)
	var hopNode, statusNode *yaml.Node
	status := ""
	err := l.eachKey(n, func(k, v *yaml.Node) error {
		var err error
		switch k.Value {
		case "name":
		case "contains":
			r.Contains, err = l.strings(v, "contains")
			for _, c := range r.Contains {
				if c == "" && err == nil {
					err = l.errf(v, "contains: empty string")
				}
			}
		case "regex":
			r.Regex, err = l.scalar(v, "regex")
			if err == nil {
				r.re, err = regexp.Compile(r.Regex)
				if err != nil {
					return l.errf(v, "bad regex: %v", err)
				}
			}
		case "level":
			r.Level, err = l.strings(v, "level")
		case "field":
			err = l.fieldTests(r, v)
		case "always":
			var b bool
			if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
				return l.errf(v, "always: want true or false")
			}
			r.Always = b
		case "hop":
			hopNode = v
			var h string
			if h, err = l.scalar(v, "hop"); err == nil {
				if strings.EqualFold(strings.TrimSpace(h), "grant_failed") {
					r.Hop, status = ingest.HopGranted, "failed"
					return nil
				}
				r.Hop, err = ingest.ParseHop(h)
				if err != nil || r.Hop == ingest.HopProgress {
					return l.errf(v, "unknown hop %q (want one of %s)", h, hopList())
				}
			}
		case "status":
			statusNode = v
			status, err = l.scalar(v, "status")
		case "status_from":
			err = l.statusFrom(r, v)
		case "fields":
			err = l.extractors(r, v)
		default:
			return l.errf(k, "unknown key %q (want name, contains, regex, field, level, always, hop, status, status_from, fields)", k.Value)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if hopNode == nil {
		return nil, l.errf(n, "missing hop: (want one of %s)", hopList())
	}
	if statusNode != nil {
		st, err := ingest.ParseStatus(status)
		if err != nil {
			return nil, l.errf(statusNode, "%v", err)
		}
		r.Status = st
	} else if status != "" { // grant_failed
		r.Status = ingest.StatusFailed
	}
	if len(r.Contains) == 0 && r.re == nil && len(r.Level) == 0 && len(r.Fields) == 0 {
		return nil, l.errf(n, "no selector: give contains:, regex:, field: or level: to say which lines this rule reads")
	}
	for _, lv := range r.Level {
		r.lvlLow = append(r.lvlLow, strings.ToLower(lv))
	}
	r.literal = r.requiredLiteral(s.Format)
	if r.literal == nil && !r.Always {
		return nil, l.errf(n, "no literal to prefilter lines on: add a contains: (a fixed piece of the message), "+
			"a regex with a fixed part, or a field test with a fixed value; or mark the rule always: true (slow: every line is parsed)")
	}
	return r, nil
}

func hopList() string {
	var names []string
	for _, h := range ingest.Hops() {
		names = append(names, h.String())
	}
	return strings.Join(append(names, "grant_failed"), ", ")
}

func (l *loader) fieldTests(r *Rule, v *yaml.Node) error {
	nodes := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		nodes = v.Content
	}
	for _, fn := range nodes {
		var ft FieldTest
		n := 0
		err := l.eachKey(fn, func(k, v *yaml.Node) error {
			val, err := l.scalar(v, "field."+k.Value)
			if err != nil {
				return err
			}
			switch k.Value {
			case "name":
				ft.Name = val
			case "equals":
				ft.Equals, ft.hasEq = val, true
				n++
			case "contains":
				ft.Contains = val
				n++
			case "regex":
				ft.Regex = val
				if ft.re, err = regexp.Compile(val); err != nil {
					return l.errf(v, "field.regex: bad regex: %v", err)
				}
				n++
			default:
				return l.errf(k, "field: unknown key %q (want name and one of equals, contains, regex)", k.Value)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if ft.Name == "" || n != 1 {
			return l.errf(fn, "field: want name: and exactly one of equals:, contains:, regex:")
		}
		r.Fields = append(r.Fields, ft)
	}
	return nil
}

func (l *loader) statusFrom(r *Rule, v *yaml.Node) error {
	sf := &StatusFrom{Map: map[string]ingest.Status{}}
	err := l.eachKey(v, func(k, v *yaml.Node) error {
		switch k.Value {
		case "field":
			f, err := l.scalar(v, "status_from.field")
			sf.Field = f
			return err
		case "default":
			s, err := l.scalar(v, "status_from.default")
			if err != nil {
				return err
			}
			st, err := ingest.ParseStatus(s)
			if err != nil {
				return l.errf(v, "status_from.default: %v", err)
			}
			sf.Default = &st
		case "map":
			return l.eachKey(v, func(k, v *yaml.Node) error {
				s, err := l.scalar(v, "status_from.map")
				if err != nil {
					return err
				}
				st, err := ingest.ParseStatus(s)
				if err != nil {
					return l.errf(v, "status_from.map: %s: %v", k.Value, err)
				}
				sf.Map[k.Value] = st
				return nil
			})
		default:
			return l.errf(k, "status_from: unknown key %q (want field, map, default)", k.Value)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sf.Field == "" || len(sf.Map) == 0 {
		return l.errf(v, "status_from: want field: and map: {VALUE: status, ...}")
	}
	r.StatusFrom = sf
	return nil
}

func (l *loader) extractors(r *Rule, v *yaml.Node) error {
	return l.eachKey(v, func(k, v *yaml.Node) error {
		f, ok := parseEventField(k.Value)
		if !ok {
			return l.errf(k, "fields: unknown field %q (want one of %s)", k.Value, strings.Join(eventFieldNames[:], ", "))
		}
		ex := &Extractor{}
		nodes := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			nodes = v.Content
		}
		for _, n := range nodes {
			alt, err := l.extractAlt(k.Value, n)
			if err != nil {
				return err
			}
			ex.alts = append(ex.alts, alt)
		}
		if len(ex.alts) == 0 {
			return l.errf(v, "fields: %s: empty list", k.Value)
		}
		r.Extract[k.Value] = ex
		r.extract = append(r.extract, fieldExtract{field: f, ex: ex})
		sort.Slice(r.extract, func(i, j int) bool { return r.extract[i].field < r.extract[j].field })
		return nil
	})
}

func (l *loader) extractAlt(field string, n *yaml.Node) (extractAlt, error) {
	alt := extractAlt{slot: -1}
	compile := func(expr string, at *yaml.Node) error {
		re, err := regexp.Compile(expr)
		if err != nil {
			return l.errf(at, "fields: %s: bad regex: %v", field, err)
		}
		g := 0
		for i, name := range re.SubexpNames() {
			if name != "" {
				g = i
				break
			}
		}
		if g == 0 {
			return l.errf(at, "fields: %s: the regex needs a named group, e.g. (?P<id>\\d+)", field)
		}
		alt.re, alt.group = re, g
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value == "" {
			return alt, l.errf(n, "fields: %s: empty field name", field)
		}
		if strings.ContainsAny(n.Value, `\()[]*+?^$| `) { // a regex, not a field name
			return alt, compile(n.Value, n)
		}
		alt.name = n.Value
		return alt, nil
	case yaml.MappingNode:
		err := l.eachKey(n, func(k, v *yaml.Node) error {
			val, err := l.scalar(v, "fields."+field+"."+k.Value)
			if err != nil {
				return err
			}
			switch k.Value {
			case "field", "name":
				alt.name = val
			case "regex":
				return compile(val, v)
			case "from":
				alt.from = val
			case "value":
				alt.value, alt.isVal = val, true
			default:
				return l.errf(k, "fields: %s: unknown key %q (want field, regex, from, value)", field, k.Value)
			}
			return nil
		})
		if err != nil {
			return alt, err
		}
		kinds := 0
		for _, b := range []bool{alt.name != "", alt.re != nil, alt.isVal} {
			if b {
				kinds++
			}
		}
		if kinds != 1 || (alt.from != "" && alt.re == nil) {
			return alt, l.errf(n, "fields: %s: want exactly one of field:, regex: (with optional from:), value:", field)
		}
		return alt, nil
	}
	return alt, l.errf(n, "fields: %s: want a field name, a list of them, or {regex: ...}", field)
}

// compile assigns slots to every field name the source reads and derives its prefilter.
func (s *SourceSpec) compile() {
	s.slots = map[string]int{}
	s.prefixes = map[string]bool{}
	slot := func(name string) int {
		if i, ok := s.slots[name]; ok {
			return i
		}
		i := len(s.names)
		s.names = append(s.names, name)
		s.slots[name] = i
		// nested JSON paths: every dotted prefix is an object to descend into.
		for j := 0; j < len(name); j++ {
			if name[j] == '.' {
				s.prefixes[name[:j]] = true
			}
		}
		return i
	}
	for _, f := range s.TimeFields {
		s.timeSlot = append(s.timeSlot, slot(f))
	}
	for _, f := range s.MessageFields {
		s.msgSlot = append(s.msgSlot, slot(f))
	}
	for _, f := range s.LevelFields {
		s.lvlSlot = append(s.lvlSlot, slot(f))
	}
	if s.HostField != "" {
		s.hostSlot = slot(s.HostField)
	}
	for _, r := range s.Rules {
		for i := range r.Fields {
			r.Fields[i].slot = slot(r.Fields[i].Name)
		}
		if r.StatusFrom != nil {
			r.StatusFrom.slot = slot(r.StatusFrom.Field)
		}
		for _, fe := range r.extract {
			for i := range fe.ex.alts {
				a := &fe.ex.alts[i]
				switch {
				case a.name != "":
					a.slot = slot(a.name)
				case a.from != "":
					a.slot = slot(a.from)
				}
			}
		}
	}
	s.keys = newKeyFilter(s.names)
	s.paths = newPathIndex(s.slots, s.prefixes)
	// Prefilter: the distinct rule literals, with a literal dropped when a shorter one it contains is kept, and
	// literals sharing a long common prefix merged into that prefix.
	var lits [][]byte
	for _, r := range s.Rules {
		if r.literal == nil {
			s.always = true
			continue
		}
		lits = append(lits, r.literal)
	}
	reduced := reduceLiterals(lits)
	for _, r := range s.Rules { // filters in the order rules first need them
		r.filter = -1
		if r.literal == nil {
			continue
		}
		for _, f := range reduced {
			if strings.Contains(string(r.literal), string(f)) {
				r.filter = -1
				for i, g := range s.filters {
					if string(g) == string(f) {
						r.filter = i
					}
				}
				if r.filter < 0 {
					r.filter = len(s.filters)
					s.filters = append(s.filters, f)
				}
				break
			}
		}
	}
}

// minMergedPrefix is the shortest common prefix worth merging two literals into.
const minMergedPrefix = 6

func reduceLiterals(lits [][]byte) [][]byte {
	set := map[string]bool{}
	for _, l := range lits {
		set[string(l)] = true
	}
	for changed := true; changed; {
		changed = false
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
	outer:
		for i, a := range keys {
			for j, b := range keys {
				if i == j {
					continue
				}
				if strings.Contains(a, b) { // b implies a is possible: keep only b
					delete(set, a)
					changed = true
					break outer
				}
				if j > i {
					p := commonPrefix(a, b)
					if len(p) >= minMergedPrefix {
						delete(set, a)
						delete(set, b)
						set[p] = true
						changed = true
						break outer
					}
				}
			}
		}
	}
	out := make([][]byte, 0, len(set))
	for k := range set {
		out = append(out, []byte(k))
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i]) < string(out[j]) })
	return out
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

// requiredLiteral is a byte string every line this rule matches must contain, or nil. The longest one known
// wins. In JSON a literal is searched in the raw line, so characters a JSON encoder may escape are cut out.
func (r *Rule) requiredLiteral(format string) []byte {
	var cands []string
	cands = append(cands, r.Contains...)
	if r.re != nil {
		cands = append(cands, regexLiteral(r.re))
	}
	for _, f := range r.Fields {
		switch {
		case f.hasEq:
			cands = append(cands, f.Equals)
		case f.Contains != "":
			cands = append(cands, f.Contains)
		case f.re != nil:
			cands = append(cands, regexLiteral(f.re))
		}
	}
	best := ""
	for _, c := range cands {
		c = rawSafe(c, format)
		if len(c) > len(best) {
			best = c
		}
	}
	if best == "" {
		return nil
	}
	return []byte(best)
}

// rawSafe returns the longest piece of lit that appears verbatim in the raw line whatever its encoding: JSON and
// logfmt may escape quotes, backslashes, control and non-ASCII characters (and Go's encoder escapes <, >, &).
func rawSafe(lit, format string) string {
	best, start := "", 0
	for i := 0; i <= len(lit); i++ {
		if i == len(lit) || unsafeRaw(lit[i]) {
			if i-start > len(best) {
				best = lit[start:i]
			}
			start = i + 1
		}
	}
	return best
}

func unsafeRaw(c byte) bool {
	return c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&'
}

// regexLiteral is the longest literal string every match of re must contain ("" if none is known).
func regexLiteral(re *regexp.Regexp) string {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return ""
	}
	return requiredOf(t.Simplify())
}

func requiredOf(t *syntax.Regexp) string {
	switch t.Op {
	case syntax.OpLiteral:
		if t.Flags&syntax.FoldCase != 0 {
			return ""
		}
		return string(t.Rune)
	case syntax.OpCapture:
		return requiredOf(t.Sub[0])
	case syntax.OpPlus:
		return requiredOf(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return requiredOf(t.Sub[0])
		}
	case syntax.OpConcat:
		best, run := "", ""
		for _, sub := range t.Sub {
			if sub.Op == syntax.OpLiteral && sub.Flags&syntax.FoldCase == 0 {
				run += string(sub.Rune)
				if len(run) > len(best) {
					best = run
				}
				continue
			}
			run = ""
			if s := requiredOf(sub); len(s) > len(best) {
				best = s
			}
		}
		return best
	}
	return ""
}

// globRegexp turns a path glob into an anchored regexp: "**" crosses "/", "*" and "?" do not.
func globRegexp(g string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch c {
		case '*':
			if i+1 < len(g) && g[i+1] == '*' {
				i++
				if i+1 < len(g) && g[i+1] == '/' { // "**/" = any number of directories, including none
					i++
					b.WriteString("(?:.*/)?")
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(g[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			class := g[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case '{':
			j := strings.IndexByte(g[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("unclosed {")
			}
			alts := strings.Split(g[i+1:i+j], ",")
			for k := range alts {
				alts[k] = regexp.QuoteMeta(alts[k])
			}
			b.WriteString("(?:" + strings.Join(alts, "|") + ")")
			i += j
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// sourceFor picks the profile source for a file: the first whose paths match the path relative to its root,
// its base name or its whole path. ok is false when none does.
func (p *Profile) sourceFor(rel, base, full string) (*SourceSpec, bool) {
	for _, s := range p.Sources {
		for _, g := range s.globs {
			if g.MatchString(rel) || g.MatchString(base) || g.MatchString(full) {
				return s, true
			}
		}
	}
	return nil, false
}

// sourceForFormat is the fallback when no paths match: the first source of that format, or of format auto.
func (p *Profile) sourceForFormat(format string) *SourceSpec {
	for _, s := range p.Sources {
		if s.Format == format {
			return s
		}
	}
	for _, s := range p.Sources {
		if s.Format == "auto" {
			return s
		}
	}
	return nil
}
