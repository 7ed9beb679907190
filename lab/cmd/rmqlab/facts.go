package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hoptrace/hoptrace/ingest"
	"github.com/hoptrace/hoptrace/ingest/rocketmq"
)

// brokerFacts reads the lab broker back with hoptrace's own live source, as the audit will: the group's
// progress, the traces of the window and one lookup per order. It records what it saw in the report and, with
// -capture, the raw remoting frames for ingest/rocketmq/testdata.
func (l *lab) brokerFacts() error {
	src, err := rocketmq.NewSource(rocketmq.Options{NamesrvAddrs: []string{l.env["NAMESRV_ADDR"]}, Topic: topic, Group: group,
		From: l.report.WindowFrom, To: l.report.WindowTo.Add(time.Second)})
	if err != nil {
		return err
	}
	if l.capture != "" {
		if err := os.MkdirAll(l.capture, 0o755); err != nil {
			return err
		}
		n := map[int]int{}
		src.Client().Trace = func(addr string, req, resp []byte) {
			code := int(0)
			if c, err := rocketmq.DecodeFrame(req[4:]); err == nil {
				code = c.Code
			}
			n[code]++
			base := filepath.Join(l.capture, fmt.Sprintf("code%d-%02d", code, n[code]))
			_ = os.WriteFile(base+".req.bin", req, 0o644)
			_ = os.WriteFile(base+".resp.bin", resp, 0o644)
		}
	}
	ctx := context.Background()
	counts := map[string]int{}
	err = src.Read(ctx, func(evs []ingest.Event) error {
		for _, e := range evs {
			counts[e.Hop.String()+"/"+e.Origin.String()]++
			if e.Hop == ingest.HopProgress {
				l.fact("progress: %s queue %d committed offset %d", e.Group, e.QueueID, e.QueueOffset)
			}
		}
		return nil
	})
	if err != nil {
		l.fact("live source read: %v", err)
	}
	l.fact("live source events: %v", counts)
	for _, st := range src.Stats() {
		l.fact("live source stats %s: lines %d matched %d malformed %d events %d", st.Path, st.Lines, st.Matched, st.Malformed, st.Events)
	}
	for _, o := range l.orders {
		if len(o.sends) == 0 {
			continue
		}
		s := o.sends[0]
		evs, err := src.Lookup(ctx, s.msgID, o.id, s.offsetMsgID)
		if err != nil {
			l.fact("lookup %s: %v", o.id, err)
			continue
		}
		var parts []string
		for _, e := range evs {
			p := e.Rule + "=" + e.Status.String()
			if e.Result == "OFFSET_REUSED" {
				p += "(offset reused)"
			}
			parts = append(parts, p)
		}
		l.fact("lookup %s [%s]: %s", o.id, o.scenario, strings.Join(parts, " "))
	}
	if l.capture != "" {
		if data, err := os.ReadFile(filepath.Join(l.env["STORE_DIR"], "config", "consumerOffset.json")); err == nil {
			_ = os.WriteFile(filepath.Join(l.capture, "consumerOffset.json"), data, 0o644)
		}
	}
	return nil
}
