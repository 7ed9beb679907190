package logs

import (
	"context"
	"fmt"
	"strings"

	"github.com/hoptrace/hoptrace/ingest"
)

// CheckReport shows what a profile makes of some files: per file, a sample of the lines each rule matched
// (with the event they became), the first lines no rule matched, and the counts. `hoptrace profile check`
// prints it.
type CheckReport struct {
	Profile string
	Files   []CheckFile
}

// CheckFile is the part of a CheckReport about one file.
type CheckFile struct {
	Path      string
	Source    string // the profile source that read it ("" for trace dumps and skipped files)
	Matched   []CheckLine
	Unmatched []CheckLine
	Stats     ingest.Stats
}

// CheckLine is one line of a file, and the event it became (Event is nil for unmatched lines).
type CheckLine struct {
	Line  int64
	Text  string
	Event *ingest.Event
}

// Check reads paths like Read does and reports, per file, the first sample matched lines, the first sample
// lines that matched no rule, and the counts. sample <= 0 means 10.
func Check(ctx context.Context, paths []string, opt Options, sample int) (*CheckReport, error) {
	if sample <= 0 {
		sample = 10
	}
	src, err := NewSource(paths, opt)
	if err != nil {
		return nil, err
	}
	files := make([]*checkObserver, len(src.files))
	for i := range files {
		files[i] = &checkObserver{sample: sample}
	}
	src.observe = func(idx int) lineObserver { return files[idx] }
	readErr := src.Read(ctx, func([]ingest.Event) error { return nil })
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	rep := &CheckReport{Profile: src.prof.Name}
	for i, st := range src.Stats() {
		o := files[i]
		rep.Files = append(rep.Files, CheckFile{Path: st.Path, Source: o.source, Matched: o.matchedLines,
			Unmatched: o.unmatchedLines, Stats: st})
	}
	return rep, readErr
}

type checkObserver struct {
	sample         int
	source         string
	matchedLines   []CheckLine
	unmatchedLines []CheckLine
}

func (o *checkObserver) setSource(name string) { o.source = name }

func (o *checkObserver) matched(lineNo int64, line []byte, ev *ingest.Event) {
	if len(o.matchedLines) < o.sample {
		e := *ev
		o.matchedLines = append(o.matchedLines, CheckLine{Line: lineNo, Text: clipText(line), Event: &e})
	}
}

func (o *checkObserver) unmatched(lineNo int64, line []byte) {
	if len(o.unmatchedLines) < o.sample {
		o.unmatchedLines = append(o.unmatchedLines, CheckLine{Line: lineNo, Text: clipText(line)})
	}
}

func clipText(b []byte) string {
	const max = 300
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// EventIDs renders the identifiers and facts an event carries as "name=value" pairs, empty ones left out.
func EventIDs(ev *ingest.Event) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	add("order_id", ev.OrderID)
	add("keys", strings.Join(ev.Keys, ","))
	add("msg_id", ev.MsgID)
	add("offset_msg_id", ev.OffsetMsgID)
	add("broker", ev.Broker)
	add("topic", ev.Topic)
	if ev.QueueID >= 0 {
		add("queue_id", fmt.Sprint(ev.QueueID))
	}
	if ev.QueueOffset >= 0 {
		add("queue_offset", fmt.Sprint(ev.QueueOffset))
	}
	add("group", ev.Group)
	add("host", ev.Host)
	add("result", ev.Result)
	add("error", ev.Error)
	if ev.Retry != 0 {
		add("retry", fmt.Sprint(ev.Retry))
	}
	add("grant_id", ev.GrantID)
	add("user_id", ev.UserID)
	add("amount", ev.Amount)
	return strings.Join(parts, " ")
}
