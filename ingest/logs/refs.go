package logs

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/hoptrace/hoptrace/ingest"
)

// maxContinuation caps the continuation lines (stack trace) ReadRefs appends to one line.
const maxContinuation = 500

// ReadRefs returns the raw text of each referenced line, with its continuation lines (a stack trace) appended,
// joined by "\n". It reads each file once, in offset order; a gzip file is decompressed up to the offsets it
// needs. Refs into stdin or trace dumps' record numbers are read the same way (by Offset). Files that cannot be
// read give an error naming them; the text of the others is still returned.
func ReadRefs(refs []ingest.Ref) (map[ingest.Ref]string, error) {
	out := make(map[ingest.Ref]string, len(refs))
	byPath := map[string][]ingest.Ref{}
	for _, r := range refs {
		byPath[r.Path] = append(byPath[r.Path], r)
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var errs []error
	for _, p := range paths {
		rs := byPath[p]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Offset < rs[j].Offset })
		if err := readRefsOf(p, rs, out); err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// refCursor walks one file forward line by line, remembering the line it read last so that it can be handed
// out again.
type refCursor struct {
	path    string
	f       *os.File
	lr      lineReader
	plain   bool  // not gzip: Seek works
	pos     int64 // offset of the next unread byte
	held    []byte
	heldOff int64
	heldOK  bool
}

func openRefCursor(path string) (*refCursor, error) {
	if path == stdinName {
		return nil, fmt.Errorf("read %s: standard input cannot be read twice: save it to a file to see the raw lines", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	c := &refCursor{path: path, f: f}
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(2)
	if bytes.Equal(head, gzipMagic) {
		r, err := maybeGunzip(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read %s: %w: %w", path, ingest.ErrBadInput, err)
		}
		c.lr = lineReader{br: bufio.NewReaderSize(r, 64<<10)}
	} else {
		c.plain = true
		c.lr = lineReader{br: br}
	}
	return c, nil
}

// seek moves to off (forward only unless the file is plain).
func (c *refCursor) seek(off int64) error {
	if c.heldOK && c.heldOff == off {
		return nil
	}
	c.heldOK = false
	if off < c.pos && !c.plain {
		return fmt.Errorf("offset %d is behind the cursor", off)
	}
	if c.plain && (off < c.pos || off-c.pos > 1<<20) {
		if _, err := c.f.Seek(off, io.SeekStart); err != nil {
			return err
		}
		c.lr.br.Reset(c.f)
		c.pos = off
		return nil
	}
	for c.pos < off {
		n := off - c.pos
		if n > 1<<30 {
			n = 1 << 30
		}
		d, err := c.lr.br.Discard(int(n))
		c.pos += int64(d)
		if err != nil {
			if err == io.EOF {
				return fmt.Errorf("offset %d is past the end of the file (%d bytes)", off, c.pos)
			}
			return err
		}
	}
	return nil
}

// line returns the line at the cursor (without its end of line) and moves past it.
func (c *refCursor) line() ([]byte, bool, error) {
	if c.heldOK {
		c.heldOK = false
		return c.held, true, nil
	}
	raw, err := c.lr.next()
	start := c.pos
	c.pos += int64(len(raw))
	if len(raw) == 0 {
		if err == nil {
			err = io.EOF
		}
		return nil, false, err
	}
	c.held = append(c.held[:0], trimEOL(raw)...)
	c.heldOff = start
	return c.held, true, nil
}

// hold gives the line just read back, so that the next seek to its offset finds it.
func (c *refCursor) hold() { c.heldOK = true }

func readRefsOf(path string, refs []ingest.Ref, out map[ingest.Ref]string) error {
	c, err := openRefCursor(path)
	if err != nil {
		return err
	}
	defer func() { c.f.Close() }()
	var text []byte
	lastOff := int64(-1)
	for _, r := range refs {
		if r.Offset == lastOff {
			out[r] = string(text)
			continue
		}
		if r.Offset < c.pos && !c.plain && !(c.heldOK && c.heldOff == r.Offset) {
			// Behind a gzip cursor (a ref inside the previous record's stack trace): start again.
			c.f.Close()
			if c, err = openRefCursor(path); err != nil {
				return err
			}
		}
		if err := c.seek(r.Offset); err != nil {
			return fmt.Errorf("read %s: line %d: %w", path, r.Line, err)
		}
		line, ok, err := c.line()
		if !ok {
			if err == io.EOF {
				return fmt.Errorf("read %s: line %d: offset %d is past the end of the file", path, r.Line, r.Offset)
			}
			return fmt.Errorf("read %s: line %d: %w", path, r.Line, err)
		}
		text = append(text[:0], line...)
		for n := 0; n < maxContinuation; n++ {
			next, ok, _ := c.line()
			if !ok {
				break
			}
			if !isContinuation(next, true) {
				c.hold()
				break
			}
			text = append(text, '\n')
			text = append(text, next...)
		}
		out[r] = string(text)
		lastOff = r.Offset
	}
	return nil
}
