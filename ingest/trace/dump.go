package trace

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/hoptrace/hoptrace/ingest"
)

// MaxRecordLen is the longest record ReadDump accepts; a longer run of bytes without \x02 or a line end is one
// malformed record, skipped up to its next terminator. It bounds ReadDump's memory.
const MaxRecordLen = 1 << 20

// ReadDump reads a dump of trace bodies: bodies back to back as they sit in the topic, or one body per line
// (\n or \r\n between bodies), or a gzip of either. It streams: memory is bounded by MaxRecordLen and the Pairer
// window, whatever the size of the input.
//
// Every record counts in st.Lines and then in exactly one of st.Matched (it yielded an event), st.Ignored (a
// well-formed record that proves nothing, such as a failed Recall) or st.Malformed (with an example
// "path:record N: why"). A line that ends before its record's \x02, and a last record without one, are malformed
// (truncated). Events carry Ref{Path: path, Line: record number (1-based, across the file), Offset: byte offset of
// the record in the (decompressed) stream}. SubAfter records are completed from their SubBefore (see Pairer), so
// events are not strictly in file order.
//
// ReadDump returns an error only when the input cannot be read (a read error, a broken gzip stream); the events
// read until then have been emitted and st counted.
func ReadDump(r io.Reader, path string, in *ingest.Interner, st *ingest.Stats, emit func(ingest.Event)) error {
	if in == nil {
		in = ingest.NewInterner()
	}
	if st == nil {
		st = &ingest.Stats{}
	}
	if st.Path == "" {
		st.Path = path
	}
	if st.Format == "" {
		st.Format = "trace"
	}
	d := dumpReader{path: in.String(path), in: in, st: st, emit: emit, pairs: NewPairer(), dec: decoder{in: in, arena: &ingest.StringArena{}}}

	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("read trace dump %s: %w: %v", path, ingest.ErrBadInput, err)
		}
		defer zr.Close()
		src = zr
	}
	sc := scanner{r: src, buf: make([]byte, 64<<10)}
	err := d.run(&sc)
	st.Bytes += sc.total
	d.pairs.Flush()
	d.drain()
	if err != nil {
		return fmt.Errorf("read trace dump %s: record %d: %w", path, d.rec, err)
	}
	return nil
}

type dumpReader struct {
	path  string
	in    *ingest.Interner
	st    *ingest.Stats
	emit  func(ingest.Event)
	pairs *Pairer
	dec   decoder
	rec   int64 // records seen so far
}

func (d *dumpReader) run(sc *scanner) error {
	for {
		seg, off, term, ok := sc.next()
		if !ok {
			break
		}
		tok, lead := trimBlank(seg)
		if len(tok) == 0 {
			continue
		}
		off += int64(lead)
		switch term {
		case RecordEnd:
			for {
				n := splitMerged(tok)
				if n <= 0 {
					break
				}
				d.record(tok[:n], off)
				tok, off = tok[n:], off+int64(n)
			}
			d.record(tok, off)
		case '\n':
			d.malformed("truncated record: the line ends before the \\x02 terminator")
		case termTooLong:
			d.malformed(fmt.Sprintf("record longer than %d bytes without \\x02 or a line end", MaxRecordLen))
		default:
			d.malformed("truncated last record: no \\x02 terminator")
		}
	}
	if sc.err == io.EOF {
		return nil
	}
	return sc.err
}

func (d *dumpReader) malformed(why string) {
	d.rec++
	d.st.Lines++
	d.st.AddMalformed(fmt.Sprintf("%s:record %d: %s", d.path, d.rec, why))
}

func (d *dumpReader) record(tok []byte, off int64) {
	r, err := d.dec.decode(tok)
	if err != nil {
		d.malformed(err.Error())
		return
	}
	d.rec++
	d.st.Lines++
	d.pairs.AddRef(r, ingest.Ref{Path: d.path, Line: d.rec, Offset: off})
	d.drain()
}

func (d *dumpReader) drain() {
	for {
		e := d.pairs.next()
		if e == nil {
			return
		}
		ev, ok := e.r.event(d.in, e.ref, true)
		*e = pending{} // drop its strings
		if !ok {
			d.st.Ignored++
			continue
		}
		d.st.Matched++
		d.st.Events++
		d.st.Seen(ev.Time)
		d.emit(ev)
	}
}

// termTooLong is the terminator the scanner reports for a piece longer than MaxRecordLen.
const termTooLong = 0xff

// scanner cuts a stream into pieces that end at \x02 or \n (the terminator is returned, not part of the piece),
// holding at most about MaxRecordLen bytes.
type scanner struct {
	r          io.Reader
	buf        []byte
	start, end int   // buf[start:end] is not yet returned
	base       int64 // stream offset of buf[0]
	total      int64 // bytes read
	err        error // sticky: io.EOF at the end
	skipping   bool  // inside an over-long piece: drop bytes up to the next terminator
	empty      int   // consecutive reads that returned nothing
}

// next returns the next piece (valid until the following call), its stream offset and its terminator: RecordEnd,
// '\n', termTooLong, or 0 when the stream ended first. ok is false at the end.
func (s *scanner) next() (piece []byte, off int64, term byte, ok bool) {
	for {
		data := s.buf[s.start:s.end]
		if i := indexTerm(data); i >= 0 {
			piece, off, term = data[:i], s.base+int64(s.start), data[i]
			s.start += i + 1
			if s.skipping {
				s.skipping = false
				continue
			}
			return piece, off, term, true
		}
		if s.err != nil {
			s.start = s.end
			if len(data) == 0 || s.skipping {
				return nil, 0, 0, false
			}
			return data, s.base + int64(s.end-len(data)), 0, true
		}
		if len(data) >= MaxRecordLen {
			off = s.base + int64(s.start)
			s.start = s.end
			if !s.skipping {
				s.skipping = true
				return data, off, termTooLong, true
			}
		}
		s.fill()
	}
}

// indexTerm returns the index of the first \x02 or \n in b, or -1.
func indexTerm(b []byte) int {
	i := bytes.IndexByte(b, RecordEnd)
	if i < 0 {
		i = len(b)
	}
	if j := bytes.IndexByte(b[:i], '\n'); j >= 0 {
		return j
	}
	if i == len(b) {
		return -1
	}
	return i
}

// fill moves the unread bytes to the front of buf, grows it if it is full, and reads once.
func (s *scanner) fill() {
	if s.start > 0 {
		n := copy(s.buf, s.buf[s.start:s.end])
		s.base += int64(s.start)
		s.start, s.end = 0, n
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	n, err := s.r.Read(s.buf[s.end:])
	if n < 0 || n > len(s.buf)-s.end {
		n, err = 0, errors.New("reader returned an invalid count")
	}
	s.end += n
	s.total += int64(n)
	switch {
	case err != nil:
		s.err = err
	case n > 0:
		s.empty = 0
	default:
		if s.empty++; s.empty >= 100 {
			s.err = io.ErrNoProgress
		}
	}
}
