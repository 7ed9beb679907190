package ingest

import (
	"context"
	"errors"
	"sync"
)

// Source is one backend of evidence: log files, trace dumps, a live RocketMQ cluster, Elasticsearch, ...
//
// Read streams every Event it finds to emit, in batches. emit is never called concurrently by one Source; the
// batch belongs to the callee (the source does not touch it after emit returns). If emit returns an error, Read
// stops and returns that error.
//
// Read returns an error only when the source as a whole cannot be read (a path that does not exist, a server
// that does not answer, a bad gzip header). A malformed line or record is not an error: it is counted in the
// source's Stats and reading goes on. Errors name the file (and line) and say what to do next.
//
// Stats is valid after Read returns: one entry per file (or index, or topic) read.
type Source interface {
	Name() string
	Read(ctx context.Context, emit func([]Event) error) error
	Stats() []Stats
}

// Recycler is implemented by sources that reuse their batches. A caller that is done with a batch Read emitted
// (it copied what it keeps) may hand it back; the source may then reuse its memory. Optional on both sides.
type Recycler interface {
	Recycle(batch []Event)
}

// Sizer is implemented by sources that can tell, before reading, about how many bytes of evidence they hold
// (decompressed, estimated). Callers use it to size their tables once instead of growing them. Optional.
type Sizer interface {
	SizeHint() int64
}

// Stats is the accounting of one input: every line (record) read ends up in exactly one of Matched, Ignored or
// Malformed.
type Stats struct {
	Path      string   // file path, or index / topic name
	Format    string   // detected or forced format: logback, json, logfmt, trace, ...
	Bytes     int64    // bytes read (decompressed)
	Lines     int64    // lines or records read
	Matched   int64    // lines that a rule turned into an Event
	Ignored   int64    // well-formed lines that no rule matched (noise), and continuation lines
	Malformed int64    // lines that could not be parsed (bad JSON, truncated last line, bad trace record)
	Events    int64    // events emitted (a line may yield more than one, a stack trace none)
	BadFields int64    // values a rule found but could not use (a queue offset that is not a number): the event is kept without them
	FirstTime int64    // earliest event time seen (Unix ns), 0 if none
	LastTime  int64    // latest event time seen (Unix ns), 0 if none
	Examples  []string // the first few malformed lines, as "path:line: what was wrong"
	Err       string   // set when the input could not be read at all (it still counts in the report)
	Skipped   string   // set when a file found in a directory is not evidence (binary, unknown format, no profile source): why
}

// MaxExamples is how many malformed-line examples Stats keeps per input.
const MaxExamples = 5

// AddMalformed counts one malformed line and keeps its description if there is room.
func (s *Stats) AddMalformed(what string) {
	s.Malformed++
	if len(s.Examples) < MaxExamples {
		s.Examples = append(s.Examples, what)
	}
}

// AddBadField counts a value a rule extracted but could not use, keeping its description if there is room.
func (s *Stats) AddBadField(what string) {
	s.BadFields++
	if len(s.Examples) < MaxExamples {
		s.Examples = append(s.Examples, what)
	}
}

// Seen widens the time span of the input to include t (Unix ns).
func (s *Stats) Seen(t int64) {
	if t == 0 {
		return
	}
	if s.FirstTime == 0 || t < s.FirstTime {
		s.FirstTime = t
	}
	if t > s.LastTime {
		s.LastTime = t
	}
}

// Sentinel errors. Sources wrap them with the path and a hint; callers test with errors.Is.
var (
	ErrNoInput    = errors.New("no input")             // no file matched the given paths
	ErrBadProfile = errors.New("bad profile")          // the log profile could not be loaded
	ErrBadInput   = errors.New("input cannot be read") // a file is unreadable as a whole (bad gzip header, binary file)
)

// Interner deduplicates strings so that repeated identifiers (hosts, brokers, groups, file paths) are stored
// once. It is safe for concurrent use.
type Interner struct {
	mu sync.Mutex
	m  map[string]string
}

// NewInterner returns an empty Interner.
func NewInterner() *Interner { return &Interner{m: make(map[string]string)} }

// Bytes returns the interned string equal to b, allocating only the first time it is seen.
func (in *Interner) Bytes(b []byte) string {
	in.mu.Lock()
	s, ok := in.m[string(b)] // no allocation for the lookup
	if !ok {
		s = string(b)
		in.m[s] = s
	}
	in.mu.Unlock()
	return s
}

// String returns the interned copy of s.
func (in *Interner) String(s string) string {
	in.mu.Lock()
	v, ok := in.m[s]
	if !ok {
		in.m[s] = s
		v = s
	}
	in.mu.Unlock()
	return v
}

// Multi combines several sources into one: it reads them one after another and concatenates their Stats.
type Multi []Source

// Name implements Source.
func (m Multi) Name() string { return "multi" }

// Read implements Source.
func (m Multi) Read(ctx context.Context, emit func([]Event) error) error {
	var errs []error
	for _, s := range m {
		if err := s.Read(ctx, emit); err != nil {
			if ctx.Err() != nil {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Recycle hands a batch to the first source that recycles (any batch fits any of them).
func (m Multi) Recycle(batch []Event) {
	for _, s := range m {
		if r, ok := s.(Recycler); ok {
			r.Recycle(batch)
			return
		}
	}
}

// Stats implements Source.
func (m Multi) Stats() []Stats {
	var out []Stats
	for _, s := range m {
		out = append(out, s.Stats()...)
	}
	return out
}
