package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoptrace/hoptrace/correlate"
	"github.com/hoptrace/hoptrace/ingest"
	"github.com/hoptrace/hoptrace/ingest/rocketmq"
)

// brokerFlags point hoptrace at a live RocketMQ cluster, read strictly read-only: traces through a pull consumer
// of its own group that never commits, consumer progress and message lookups through read-only remoting calls.
type brokerFlags struct {
	Namesrv       string
	Topic         string
	Group         string
	TraceTopic    string
	AccessKey     string
	SecretKey     string
	SecretKeyFile string
	Timeout       time.Duration
}

func (b *brokerFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&b.Namesrv, "namesrv", "", "RocketMQ name server(s), host:port[;host:port]: also read the broker's traces, consumer progress and lookups (read-only)")
	fl.StringVar(&b.Topic, "topic", "", "the business topic whose messages are audited (with --namesrv), e.g. pay-success")
	fl.StringVar(&b.Group, "group", "", "the consumer group whose committed offsets are read (with --namesrv; never joined)")
	fl.StringVar(&b.TraceTopic, "trace-topic", rocketmq.DefaultTraceTopic, "the trace topic (with --namesrv)")
	fl.StringVar(&b.AccessKey, "access-key", "", "ACL access key (or env HOPTRACE_ACCESS_KEY)")
	fl.StringVar(&b.SecretKey, "secret-key", "", "ACL secret key (prefer env HOPTRACE_SECRET_KEY or --secret-key-file: flags show in ps)")
	fl.StringVar(&b.SecretKeyFile, "secret-key-file", "", "read the ACL secret key from this file")
	fl.DurationVar(&b.Timeout, "broker-timeout", rocketmq.DefaultTimeout, "timeout of each call to a name server or broker (no retries)")
}

func (b *brokerFlags) enabled() bool { return b.Namesrv != "" }

// options checks the flags and resolves the secrets. It never puts a secret in an error.
func (b *brokerFlags) options(e *env) (rocketmq.Options, error) {
	o := rocketmq.Options{NamesrvAddrs: []string{b.Namesrv}, Topic: b.Topic, Group: b.Group, TraceTopic: b.TraceTopic,
		Timeout: b.Timeout, Now: e.Now}
	if b.Topic == "" || b.Group == "" {
		return o, usagef("--namesrv 127.0.0.1:9876 --topic pay-success --group redpacket-consumer",
			"--namesrv needs --topic (the business topic) and --group (the consumer group to inspect)")
	}
	o.AccessKey = firstNonEmpty(b.AccessKey, e.Getenv("HOPTRACE_ACCESS_KEY"))
	o.SecretKey = firstNonEmpty(b.SecretKey, e.Getenv("HOPTRACE_SECRET_KEY"))
	if b.SecretKeyFile != "" {
		data, err := os.ReadFile(b.SecretKeyFile)
		if err != nil {
			return o, usagef("--secret-key-file PATH (a file holding only the key)", "read the secret key file: %v", err)
		}
		o.SecretKey = strings.TrimSpace(string(data))
	}
	if (o.AccessKey == "") != (o.SecretKey == "") {
		return o, usagef("--access-key AK with HOPTRACE_SECRET_KEY=... (or --secret-key-file)", "ACL needs both an access key and a secret key")
	}
	return o, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// withBroker chains the log files and a live broker: the logs are read first, so that without --from/--to the
// broker is read over the logs' own time span.
type withBroker struct {
	logs ingest.Source
	opts rocketmq.Options
	in   *ingest.Interner
	live *rocketmq.Source
}

func (s *withBroker) Name() string { return s.logs.Name() + " + rocketmq" }

func (s *withBroker) Read(ctx context.Context, emit func([]ingest.Event) error) error {
	logErr := s.logs.Read(ctx, emit)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	o := s.opts
	if o.From.IsZero() || o.To.IsZero() {
		var lo, hi int64
		for _, st := range s.logs.Stats() {
			if st.FirstTime != 0 && (lo == 0 || st.FirstTime < lo) {
				lo = st.FirstTime
			}
			hi = max(hi, st.LastTime)
		}
		if lo == 0 {
			return errors.Join(logErr, usagef("--from 2026-11-23T00:00:00Z --to 2026-11-24T00:00:00Z",
				"no time span to read the broker over: the logs have no time stamps; give --from and --to"))
		}
		if o.From.IsZero() {
			o.From = time.Unix(0, lo).Add(-time.Minute)
		}
		if o.To.IsZero() {
			o.To = time.Unix(0, hi).Add(time.Minute)
		}
	}
	live, err := rocketmq.NewSource(o)
	if err != nil {
		return errors.Join(logErr, err)
	}
	live.SetInterner(s.in)
	s.live = live
	return errors.Join(logErr, live.Read(ctx, emit))
}

// SizeHint is the log source's (the broker's traces are not known in advance).
func (s *withBroker) SizeHint() int64 {
	if z, ok := s.logs.(ingest.Sizer); ok {
		return z.SizeHint()
	}
	return 0
}

// Recycle passes batches back to the log source, which reuses them.
func (s *withBroker) Recycle(b []ingest.Event) {
	if r, ok := s.logs.(ingest.Recycler); ok {
		r.Recycle(b)
	}
}

func (s *withBroker) Stats() []ingest.Stats {
	out := s.logs.Stats()
	if s.live != nil {
		out = append(out, s.live.Stats()...)
	}
	return out
}

// evidenceSource returns the sources to read: the logs, plus the live broker when --namesrv is given. For
// `order` it also sets opt.Enrich to look the focused order's messages up on the broker.
func evidenceSource(ctx context.Context, e *env, in *inputFlags, b *brokerFlags, paths []string, loc *time.Location, opt *correlate.Options) (ingest.Source, error) {
	logSrc, err := in.logSource(paths, loc, nil)
	if err != nil {
		return nil, err
	}
	if !b.enabled() {
		return logSrc, nil
	}
	rocketmq.SilenceClientLog()
	ro, err := b.options(e)
	if err != nil {
		return nil, err
	}
	ro.From, ro.To = opt.From, opt.To
	probe, err := rocketmq.NewSource(ro)
	if err != nil {
		return nil, usagef("--namesrv host:port --topic pay-success --group redpacket-consumer", "%v", err)
	}
	if err := probe.Check(ctx); err != nil {
		return nil, err
	}
	src := &withBroker{logs: logSrc, opts: ro}
	if opt.Focus != "" {
		opt.Enrich = func(c *correlate.Case) []ingest.Event {
			if src.live == nil {
				return nil
			}
			var out []ingest.Event
			ask := func(msgID, key, offsetMsgID string) {
				evs, err := src.live.Lookup(ctx, msgID, key, offsetMsgID)
				if err != nil {
					fmt.Fprintf(e.Stderr, "warning: broker lookup: %v\n", err)
					return
				}
				out = append(out, evs...)
			}
			offs := map[string]string{} // msgId -> offsetMsgId from the producer's log
			for i := range c.Events {
				if ev := &c.Events[i]; ev.MsgID != "" && ev.OffsetMsgID != "" {
					offs[ev.MsgID] = ev.OffsetMsgID
				}
			}
			key := ""
			if len(c.Keys) > 0 {
				key = c.Keys[0]
			}
			for i, m := range c.MsgIDs {
				k := ""
				if i == 0 {
					k = key
				}
				ask(m, k, offs[m])
			}
			if len(c.MsgIDs) == 0 && key != "" {
				ask("", key, "")
			}
			return out
		}
	}
	return src, nil
}
