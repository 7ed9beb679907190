// Package logs reads application log files (logback/log4j text, JSON lines, logfmt; plain or gzip) into
// ingest.Events, following a log profile: a YAML file that says which files belong to which service and which
// lines prove which hop. The built-in profile (default.yaml) reads the formats of fixtures/FORMATS.md; a user
// copies it (`hoptrace profile default`) to read logs of their own without code.
//
// Speed comes from three habits: one goroutine per file, a literal prefilter (a line no rule can match costs
// one byte search, never a regex or a JSON decode), and interned identifiers.
package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hoptrace/hoptrace/ingest"
)

// Options configure a Source.
type Options struct {
	Profile  *Profile         // nil = Default()
	TZ       *time.Location   // zone for stamps without one; nil = UTC; a profile source's timezone overrides it
	Format   string           // "" = detect per file; or force "logback", "json", "logfmt", "trace"
	Workers  int              // files read in parallel; 0 = GOMAXPROCS
	Needles  []string         // if non-empty: only lines containing one of these (ASCII case-insensitive) are parsed; others count as Ignored
	Interner *ingest.Interner // nil = a new one
}

// Source reads log files. Create it with NewSource.
type Source struct {
	opt     Options
	prof    *Profile
	in      *ingest.Interner
	files   []inputFile
	needles []needle
	stdin   io.Reader

	mu    sync.Mutex
	stats []ingest.Stats

	batches sync.Pool // recycled event batches (see Recycle)

	observe func(idx int) lineObserver // set by Check
}

var (
	_ ingest.Source   = (*Source)(nil)
	_ ingest.Recycler = (*Source)(nil)
)

// newBatch returns an empty batch, reusing a recycled one when there is one.
func (s *Source) newBatch() []ingest.Event {
	if b, ok := s.batches.Get().(*[]ingest.Event); ok {
		return (*b)[:0]
	}
	return make([]ingest.Event, 0, batchSize)
}

// Recycle implements ingest.Recycler: the caller is done with a batch Read emitted.
func (s *Source) Recycle(b []ingest.Event) {
	if cap(b) < batchSize {
		return
	}
	clear(b[:cap(b)]) // drop the strings it points at
	b = b[:0]
	s.batches.Put(&b)
}

// inputFile is one file to read.
type inputFile struct {
	path string // as opened; "-" = stdin
	name string // Ref.Path (interned)
	rel  string // path relative to the root it was found under (slash-separated), or the base name
	// walked says the file was found by reading a directory, not named: a file there that is not a log is
	// skipped with a note (Stats.Skipped) rather than reported as an error.
	walked bool
}

// stdinName is the Ref.Path of lines read from standard input.
const stdinName = "<stdin>"

// Formats a caller may force.
var forcedFormats = []string{"logback", "json", "logfmt", "trace"}

// NewSource expands paths (files, directories read recursively, globs, "-" for stdin) into the files to read,
// ordered by directory and host, rotated parts oldest first. A path that matches nothing is an error wrapping
// ingest.ErrNoInput.
func NewSource(paths []string, opt Options) (*Source, error) {
	s := &Source{opt: opt, prof: opt.Profile, in: opt.Interner, stdin: os.Stdin}
	if s.prof == nil {
		s.prof = Default()
	}
	if s.in == nil {
		s.in = ingest.NewInterner()
	}
	if opt.Format != "" && !contains(forcedFormats, opt.Format) {
		return nil, fmt.Errorf("unknown format %q (want one of %s)", opt.Format, strings.Join(forcedFormats, ", "))
	}
	for _, n := range opt.Needles {
		if n = strings.TrimSpace(n); n != "" {
			s.needles = append(s.needles, newNeedle(n))
		}
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no paths given: %w", ingest.ErrNoInput)
	}
	seen := map[string]bool{}
	add := func(f inputFile) {
		if seen[f.path] {
			return
		}
		seen[f.path] = true
		f.name = s.in.String(f.name)
		s.files = append(s.files, f)
	}
	for _, p := range paths {
		n := len(s.files)
		if err := expand(p, add); err != nil {
			return nil, err
		}
		if len(s.files) == n && !seen[p] {
			return nil, fmt.Errorf("%s: no log files there: %w", p, ingest.ErrNoInput)
		}
	}
	sortRotated(s.files)
	return s, nil
}

func expand(p string, add func(inputFile)) error {
	if p == "-" {
		add(inputFile{path: "-", name: stdinName, rel: stdinName})
		return nil
	}
	if strings.ContainsAny(p, "*?[") {
		matches, err := filepath.Glob(p)
		if err != nil {
			return fmt.Errorf("%s: bad glob: %v: %w", p, err, ingest.ErrNoInput)
		}
		if len(matches) == 0 {
			return fmt.Errorf("%s: no file matches the glob: %w", p, ingest.ErrNoInput)
		}
		root := globRoot(p)
		for _, m := range matches {
			if err := expandOne(m, root, add); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no such file or directory: %w", p, ingest.ErrNoInput)
		}
		// Unreadable: keep it, so Read reports it with the others.
		add(inputFile{path: p, name: p, rel: filepath.Base(p)})
		return nil
	}
	return expandOne(p, "", add)
}

// globRoot is the directory part of a glob before its first wildcard.
func globRoot(g string) string {
	i := strings.IndexAny(g, "*?[")
	return filepath.Dir(g[:i] + "x")
}

func expandOne(p, root string, add func(inputFile)) error {
	fi, err := os.Stat(p)
	if err != nil || !fi.IsDir() {
		rel := filepath.Base(p)
		if root != "" {
			if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
				rel = r
			}
		}
		add(inputFile{path: p, name: p, rel: filepath.ToSlash(rel)})
		return nil
	}
	var files []inputFile
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == p {
				return err
			}
			files = append(files, inputFile{path: path, name: path, rel: filepath.Base(path)})
			return nil
		}
		if d.IsDir() {
			if path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, _ := filepath.Rel(p, path)
		files = append(files, inputFile{path: path, name: path, rel: filepath.ToSlash(rel), walked: true})
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	for _, f := range files {
		add(f)
	}
	return nil
}

// Rotation order. A file's group is its directory plus its stem (the base name before the first dot, without a
// trailing date); within a group rotated parts come first, oldest first, and the current file last:
// app.2026-11-22.0.log.gz, app.2026-11-23.0.log.gz, app.2026-11-23.1.log.gz, app.log (logback), and
// app.log.3.gz, app.log.2, app.log.1, app.log (logrotate: a bigger number is older).
type rotKey struct {
	group   string
	current bool
	date    string
	index   int // ascending
}

var (
	dateToken  = regexp.MustCompile(`^\d{4}-?\d{2}-?\d{2}(?:[-_T]?\d{2}(?:-?\d{2})?)?$`)
	stemDateRe = regexp.MustCompile(`^(.*?)[-_.]?(\d{4}-\d{2}-\d{2}|\d{8})$`)
	exts       = map[string]bool{"log": true, "gz": true, "json": true, "txt": true, "out": true, "ndjson": true, "jsonl": true}
)

func rotationKey(path string) rotKey {
	dir, base := filepath.Split(path)
	parts := strings.Split(base, ".")
	stem := parts[0]
	k := rotKey{current: true}
	if m := stemDateRe.FindStringSubmatch(stem); m != nil && m[1] != "" {
		stem, k.date, k.current = m[1], strings.ReplaceAll(m[2], "-", ""), false
	}
	k.group = dir + "\x00" + stem
	seenExt := false
	for _, t := range parts[1:] {
		switch {
		case exts[t]:
			seenExt = true
		case dateToken.MatchString(t):
			k.date, k.current = strings.ReplaceAll(t, "-", ""), false
		default:
			if n, err := strconv.Atoi(t); err == nil {
				k.current = false
				if seenExt { // logrotate: app.log.1 is newer than app.log.2
					k.index = -n
				} else {
					k.index = n
				}
			}
		}
	}
	return k
}

func sortRotated(files []inputFile) {
	keys := make(map[string]rotKey, len(files))
	for _, f := range files {
		keys[f.path] = rotationKey(f.path)
	}
	sort.SliceStable(files, func(i, j int) bool {
		a, b := keys[files[i].path], keys[files[j].path]
		if a.group != b.group {
			return a.group < b.group
		}
		if a.current != b.current {
			return !a.current
		}
		if a.date != b.date {
			return a.date < b.date
		}
		if a.index != b.index {
			return a.index < b.index
		}
		return files[i].path < files[j].path
	})
}

// largestFirst orders the files by decreasing size (a gzip one counted ten times): with the largest started
// first, the last file to finish is a small one, and no core idles at the end of the read.
func (s *Source) largestFirst() []int {
	size := make([]int64, len(s.files))
	order := make([]int, len(s.files))
	for i, f := range s.files {
		order[i] = i
		if fi, err := os.Stat(f.path); err == nil && fi.Mode().IsRegular() {
			size[i] = fi.Size()
			if strings.HasSuffix(f.path, ".gz") {
				size[i] *= 10
			}
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	return order
}

// Name implements ingest.Source.
func (s *Source) Name() string { return "logs" }

// Files lists the files Read reads, in order (stdin as "<stdin>").
// SizeHint implements ingest.Sizer: the files' sizes, gzip ones counted ten times (a typical ratio for logs).
func (s *Source) SizeHint() int64 {
	var n int64
	for _, f := range s.files {
		fi, err := os.Stat(f.path)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if strings.HasSuffix(f.path, ".gz") {
			n += 10 * fi.Size()
		} else {
			n += fi.Size()
		}
	}
	return n
}

func (s *Source) Files() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.name
	}
	return out
}

// Stats implements ingest.Source: one entry per file, in Files order. Valid after Read.
func (s *Source) Stats() []ingest.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ingest.Stats(nil), s.stats...)
}

// batchSize is how many events go to emit at once.
const batchSize = 1024

// Read implements ingest.Source: it reads the files in parallel (Options.Workers) and hands their events to
// emit in batches, never concurrently. A file that cannot be opened, or a gzip file that is corrupt, sets its
// Stats.Err and its error joins Read's error; reading goes on with the other files.
func (s *Source) Read(ctx context.Context, emit func([]ingest.Event) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := s.opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > len(s.files) {
		workers = len(s.files)
	}
	stats := make([]ingest.Stats, len(s.files))
	errs := make([]error, len(s.files))
	batches := make(chan []ingest.Event, 2*workers+2)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for idx := range jobs {
				fr := s.newFileReader(idx, &stats[idx], func(b []ingest.Event) error {
					select {
					case batches <- b:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
				errs[idx] = fr.read(ctx)
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, i := range s.largestFirst() {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(batches)
	}()
	var emitErr error
	for b := range batches {
		if emitErr != nil {
			continue
		}
		if err := emit(b); err != nil {
			emitErr = err
			cancel()
		}
	}
	s.mu.Lock()
	s.stats = stats
	s.mu.Unlock()
	if emitErr != nil {
		return emitErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}
