package rocketmq

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/hoptrace/hoptrace/ingest"
	"github.com/hoptrace/hoptrace/ingest/trace"
)

// Defaults of Options.
const (
	DefaultTraceTopic  = "RMQ_SYS_TRACE_TOPIC"
	DefaultReaderGroup = "hoptrace-reader" // the pull consumer's group: never commits, never joins a real group
	pullBatch          = 32
	emitBatch          = 512
)

// Errors a caller may want to tell apart (errors.Is).
var (
	// ErrTraceTopicEmpty: the trace topic exists but holds no message at all.
	ErrTraceTopicEmpty = errors.New("trace topic is empty: enable traceTopicEnable=true on the broker " +
		"and message tracing in the producer and consumer clients (Go: producer.WithTrace / consumer.WithTrace; " +
		"Java: enableMsgTrace=true)")
	// ErrNoNameServer: Options has no name server address.
	ErrNoNameServer = errors.New("no name server address (--namesrv host:port[;host:port])")
)

// Options configures a live Source. AccessKey and SecretKey are never printed: Options formats them redacted.
type Options struct {
	NamesrvAddrs []string      // name servers, host:port
	Topic        string        // the business topic (pay-success); needed for progress and Lookup
	Group        string        // the consumer group whose progress is read (never joined)
	TraceTopic   string        // DefaultTraceTopic when empty
	ReaderGroup  string        // DefaultReaderGroup when empty
	From, To     time.Time     // the window [From, To) of store times; zero From reads from the start, zero To up to now
	AccessKey    string        // ACL access key, optional
	SecretKey    string        // ACL secret key, optional
	Timeout      time.Duration // per remoting call; DefaultTimeout when zero
	NoTraces     bool          // read only broker facts (progress), not the trace topic
	Now          func() time.Time
}

// String formats the options without the secret key.
func (o Options) String() string {
	ak := ""
	if o.AccessKey != "" {
		ak = " accessKey=" + redact(o.AccessKey)
	}
	sk := ""
	if o.SecretKey != "" {
		sk = " secretKey=***"
	}
	return fmt.Sprintf("rocketmq{namesrv=%s topic=%s group=%s traceTopic=%s from=%s to=%s%s%s}",
		strings.Join(o.NamesrvAddrs, ";"), o.Topic, o.Group, o.traceTopic(), o.From.Format(time.RFC3339), o.To.Format(time.RFC3339), ak, sk)
}

// GoString keeps %#v from printing the secret key.
func (o Options) GoString() string { return o.String() }

func redact(s string) string {
	if len(s) <= 4 {
		return "***"
	}
	return s[:2] + "***"
}

func (o Options) traceTopic() string {
	if o.TraceTopic == "" {
		return DefaultTraceTopic
	}
	return o.TraceTopic
}

// Source reads a live cluster. It implements ingest.Source; Lookup answers one order's questions.
type Source struct {
	opts   Options
	client *Client
	in     *ingest.Interner
	stats  []ingest.Stats
}

var _ ingest.Source = (*Source)(nil)

// NewSource checks the options and returns a Source. It does not connect yet.
func NewSource(o Options) (*Source, error) {
	var addrs []string
	for _, a := range o.NamesrvAddrs {
		addrs = append(addrs, strings.FieldsFunc(a, func(r rune) bool { return r == ';' || r == ',' || r == ' ' })...)
	}
	if len(addrs) == 0 {
		return nil, ErrNoNameServer
	}
	o.NamesrvAddrs = addrs
	if o.ReaderGroup == "" {
		o.ReaderGroup = DefaultReaderGroup
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if !o.To.IsZero() && !o.From.IsZero() && !o.From.Before(o.To) {
		return nil, fmt.Errorf("rocketmq window: from %s is not before to %s", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339))
	}
	if (o.AccessKey == "") != (o.SecretKey == "") {
		return nil, errors.New("rocketmq ACL: give both the access key and the secret key, or neither")
	}
	return &Source{opts: o, client: &Client{Timeout: o.Timeout, AccessKey: o.AccessKey, SecretKey: o.SecretKey}, in: ingest.NewInterner()}, nil
}

// SetInterner makes the source intern its strings in in (share one Interner with the other sources).
func (s *Source) SetInterner(in *ingest.Interner) {
	if in != nil {
		s.in = in
	}
}

// Client returns the remoting client (for tests and for capture).
func (s *Source) Client() *Client { return s.client }

// Name implements ingest.Source.
func (s *Source) Name() string { return "rocketmq " + strings.Join(s.opts.NamesrvAddrs, ";") }

// Stats implements ingest.Source: one entry for the consumer progress, one for the trace topic.
func (s *Source) Stats() []ingest.Stats { return s.stats }

// Read implements ingest.Source: the group's committed offset per queue (HopProgress events, when Topic and
// Group are set), then every trace record stored in the window (unless NoTraces). It fails as a whole when the
// name server is unreachable, the topic does not exist, or the trace topic is empty (ErrTraceTopicEmpty, after
// the progress events were emitted).
func (s *Source) Read(ctx context.Context, emit func([]ingest.Event) error) error {
	s.stats = nil
	if s.opts.Topic != "" && s.opts.Group != "" {
		evs, st, err := s.progress(ctx)
		s.stats = append(s.stats, st)
		if err != nil {
			return err
		}
		if len(evs) > 0 {
			if err := emit(evs); err != nil {
				return err
			}
		}
	}
	if s.opts.NoTraces {
		return nil
	}
	st := ingest.Stats{Path: s.opts.traceTopic(), Format: "trace"}
	err := s.readTraces(ctx, &st, emit)
	s.stats = append(s.stats, st)
	return err
}

// Progress returns the group's committed offset on every queue of the topic, as HopProgress events.
func (s *Source) Progress(ctx context.Context) ([]ingest.Event, error) {
	evs, _, err := s.progress(ctx)
	return evs, err
}

func (s *Source) progress(ctx context.Context) ([]ingest.Event, ingest.Stats, error) {
	st := ingest.Stats{Path: "consume-stats " + s.opts.Group + "@" + s.opts.Topic, Format: "broker"}
	route, err := s.client.Route(ctx, s.opts.NamesrvAddrs, s.opts.Topic)
	if err != nil {
		st.Err = err.Error()
		return nil, st, s.explain(err)
	}
	now := s.opts.Now().UnixNano()
	var evs []ingest.Event
	for _, b := range route.Brokers {
		addr := b.MasterAddr()
		cs, err := s.client.ConsumeStats(ctx, addr, s.opts.Group, s.opts.Topic)
		if err != nil {
			st.Err = err.Error()
			return nil, st, fmt.Errorf("consumer progress of group %s on broker %s (%s): %w", s.opts.Group, b.Name, addr, err)
		}
		for _, q := range cs.Queues {
			if q.Topic != s.opts.Topic {
				continue
			}
			st.Lines++
			st.Matched++
			st.Events++
			st.Seen(now)
			ev := ingest.NewEvent()
			ev.Time, ev.Hop, ev.Status, ev.Origin = now, ingest.HopProgress, ingest.StatusOK, ingest.OriginBroker
			ev.Group, ev.Topic = s.in.String(s.opts.Group), s.in.String(q.Topic)
			ev.Broker = s.in.String(nonEmpty(q.Broker, b.Name))
			ev.QueueID, ev.QueueOffset = q.QueueID, q.ConsumerOffset
			ev.Result = fmt.Sprintf("consumerOffset=%d brokerOffset=%d", q.ConsumerOffset, q.BrokerOffset)
			ev.Rule = "broker:consume-stats"
			ev.Ref = ingest.Ref{Path: s.in.String(fmt.Sprintf("consume-stats %s@%s/%s/%d", s.opts.Group, ev.Broker, q.Topic, q.QueueID))}
			evs = append(evs, ev)
		}
	}
	return evs, st, nil
}

// explain turns a route error into one that says what to do.
func (s *Source) explain(err error) error {
	switch {
	case errors.Is(err, ErrTopicNotExist):
		return fmt.Errorf("%w: check --topic (and --namesrv: the topic may live in another cluster)", err)
	case errors.Is(err, ErrUnreachable):
		return fmt.Errorf("name server %s: %w: check --namesrv and that the name server is up", strings.Join(s.opts.NamesrvAddrs, ";"), err)
	}
	return err
}

func nonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var instanceSeq atomic.Int64

// quietLogger discards the client's logging: it would spray the terminal and the TUI.
type quietLogger struct{}

func (quietLogger) Debug(string, map[string]interface{})   {}
func (quietLogger) Info(string, map[string]interface{})    {}
func (quietLogger) Warning(string, map[string]interface{}) {}
func (quietLogger) Error(string, map[string]interface{})   {}
func (quietLogger) Fatal(string, map[string]interface{})   {}
func (quietLogger) Level(string)                           {}
func (quietLogger) OutputPath(string) error                { return nil }

// SilenceClientLog replaces rocketmq-client-go's logger with one that discards everything.
func SilenceClientLog() { rlog.SetLogger(quietLogger{}) }

// readTraces reads the trace topic between From and To with a pull consumer in Assign mode with no assigned
// queues (so it never pulls on its own and has no offset to commit), one PullFrom per batch.
func (s *Source) readTraces(ctx context.Context, st *ingest.Stats, emit func([]ingest.Event) error) error {
	topic := s.opts.traceTopic()
	route, err := s.client.Route(ctx, s.opts.NamesrvAddrs, topic)
	if err != nil {
		st.Err = err.Error()
		if errors.Is(err, ErrTopicNotExist) {
			return fmt.Errorf("trace topic %s does not exist: %w", topic, ErrTraceTopicEmpty)
		}
		return s.explain(err)
	}
	type queue struct {
		mq   primitive.MessageQueue
		addr string
		max  int64
	}
	var queues []queue
	total := int64(0)
	for _, qd := range route.Queues {
		var addr string
		for _, b := range route.Brokers {
			if b.Name == qd.Broker {
				addr = b.MasterAddr()
			}
		}
		for id := int32(0); id < qd.ReadQueues; id++ {
			max, err := s.client.MaxOffset(ctx, addr, topic, id)
			if err != nil {
				st.Err = err.Error()
				return fmt.Errorf("trace topic %s on broker %s: %w", topic, qd.Broker, err)
			}
			total += max
			queues = append(queues, queue{mq: primitive.MessageQueue{Topic: topic, BrokerName: qd.Broker, QueueId: int(id)}, addr: addr, max: max})
		}
	}
	if total == 0 {
		st.Err = ErrTraceTopicEmpty.Error()
		return fmt.Errorf("trace topic %s on %s: %w", topic, strings.Join(s.opts.NamesrvAddrs, ";"), ErrTraceTopicEmpty)
	}

	SilenceClientLog()
	opts := []consumer.Option{
		consumer.WithGroupName(s.opts.ReaderGroup),
		consumer.WithNameServer(s.opts.NamesrvAddrs),
		consumer.WithInstance(fmt.Sprintf("hoptrace-%d-%d", os.Getpid(), instanceSeq.Add(1))),
	}
	if s.opts.AccessKey != "" {
		opts = append(opts, consumer.WithCredentials(primitive.Credentials{AccessKey: s.opts.AccessKey, SecretKey: s.opts.SecretKey}))
	}
	pc, err := consumer.NewPullConsumer(opts...)
	if err != nil {
		return fmt.Errorf("trace reader: %w", err)
	}
	if err := pc.Assign(topic, nil); err != nil {
		return fmt.Errorf("trace reader: %w", err)
	}
	if err := pc.Start(); err != nil {
		return fmt.Errorf("trace reader: start pull consumer: %w", err)
	}
	defer pc.Shutdown()

	fromMs, toMs := int64(0), int64(1<<62)
	if !s.opts.From.IsZero() {
		fromMs = s.opts.From.UnixMilli()
	}
	if !s.opts.To.IsZero() {
		toMs = s.opts.To.UnixMilli()
	}
	pairs := trace.NewPairer()
	batch := make([]ingest.Event, 0, emitBatch)
	flush := func() error {
		for {
			r, ref, ok := pairs.Next()
			if !ok {
				break
			}
			if ev, ok := r.Event(s.in, ref); ok {
				st.Matched++
				st.Events++
				st.Seen(ev.Time)
				batch = append(batch, ev)
			} else {
				st.Ignored++
			}
		}
		if len(batch) >= emitBatch {
			if err := emit(batch); err != nil {
				return err
			}
			batch = make([]ingest.Event, 0, emitBatch)
		}
		return nil
	}
	for _, q := range queues {
		off := int64(0)
		if fromMs > 0 {
			mq := q.mq
			o, err := pc.OffsetForTimestamp(&mq, fromMs) // the client applies its own 3 s timeout
			if err != nil {
				return fmt.Errorf("trace topic %s queue %s/%d: offset for %s: %w", topic, q.mq.BrokerName, q.mq.QueueId, s.opts.From.Format(time.RFC3339), err)
			}
			off = o
		}
	queueLoop:
		for off < q.max {
			callCtx, cancel := context.WithTimeout(ctx, s.timeout())
			mq := q.mq
			res, err := pc.PullFrom(callCtx, &mq, off, pullBatch)
			cancel()
			if err != nil {
				return fmt.Errorf("trace topic %s queue %s/%d: pull at offset %d: %w", topic, q.mq.BrokerName, q.mq.QueueId, off, err)
			}
			msgs := res.GetMessageExts()
			if res.Status != primitive.PullFound || len(msgs) == 0 {
				if res.NextBeginOffset > off {
					off = res.NextBeginOffset // an offset that moved (a deleted file): go on from the broker's hint
					continue
				}
				break
			}
			for _, m := range msgs {
				off = m.QueueOffset + 1
				if m.StoreTimestamp < fromMs {
					continue
				}
				if m.StoreTimestamp >= toMs {
					break queueLoop
				}
				st.Bytes += int64(len(m.Body))
				recs, bad := trace.DecodeBody(m.Body)
				path := s.in.String(fmt.Sprintf("%s@%s/%d:%d", topic, q.mq.BrokerName, q.mq.QueueId, m.QueueOffset))
				for i, r := range recs {
					st.Lines++
					pairs.AddRef(r, ingest.Ref{Path: path, Line: int64(i + 1)})
				}
				for _, e := range bad {
					st.Lines++
					st.AddMalformed(fmt.Sprintf("%s: %v", path, e))
				}
				if err := flush(); err != nil {
					return err
				}
			}
			if res.NextBeginOffset > off {
				off = res.NextBeginOffset
			}
		}
	}
	pairs.Flush()
	if err := flush(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return emit(batch)
	}
	return nil
}

func (s *Source) timeout() time.Duration {
	if s.opts.Timeout > 0 {
		return s.opts.Timeout
	}
	return DefaultTimeout
}

// Lookup asks the broker about one order's message: QUERY_MESSAGE by key, QUERY_MESSAGE by msgId (the UNIQ_KEY
// index) and VIEW_MESSAGE_BY_ID by offsetMsgId; any argument may be empty. Every question yields HopStored
// events: StatusOK for each message found (with its own msgId, keys and queue position), StatusAbsent when the
// broker has nothing. A message found at the offsetMsgId's commit-log offset whose msgId differs from msgID is
// not the asked message: the broker lost it and reused the offset after a crash. That yields a StatusAbsent
// event with Result "OFFSET_REUSED", the asked identifiers, the queue position where the other message now sits,
// and the other message's msgId and keys in Error (never as identifiers, so the two orders are not joined).
func (s *Source) Lookup(ctx context.Context, msgID, key, offsetMsgID string) ([]ingest.Event, error) {
	if s.opts.Topic == "" {
		return nil, errors.New("rocketmq lookup: no topic (--topic)")
	}
	rawMsgID := strings.TrimSpace(msgID)
	msgID, offsetMsgID = ingest.NormalizeID(msgID), ingest.NormalizeID(offsetMsgID)
	key = strings.TrimSpace(key)
	route, err := s.client.Route(ctx, s.opts.NamesrvAddrs, s.opts.Topic)
	if err != nil {
		return nil, s.explain(err)
	}
	begin, end := int64(0), s.opts.Now().Add(24*time.Hour).UnixMilli()
	if !s.opts.From.IsZero() {
		begin = s.opts.From.Add(-time.Hour).UnixMilli()
	}
	if !s.opts.To.IsZero() {
		end = s.opts.To.Add(time.Hour).UnixMilli()
	}
	now := s.opts.Now().UnixNano()
	var evs []ingest.Event
	absent := func(rule string) ingest.Event {
		ev := ingest.NewEvent()
		ev.Time, ev.Hop, ev.Status, ev.Origin, ev.Rule = now, ingest.HopStored, ingest.StatusAbsent, ingest.OriginBroker, rule
		ev.Topic = s.in.String(s.opts.Topic)
		ev.MsgID, ev.OffsetMsgID = msgID, offsetMsgID
		if key != "" {
			ev.Keys = []string{key}
		}
		ev.Ref = ingest.Ref{Path: s.in.String(rule + " " + nonEmpty(nonEmpty(msgID, key), offsetMsgID))}
		return ev
	}
	// query returns the events of the messages found by key (or by msgId when unique), on every broker.
	query := func(k string, unique bool, rule string) ([]ingest.Event, error) {
		var found []ingest.Event
		for _, b := range route.Brokers {
			addr := b.MasterAddr()
			msgs, err := s.client.QueryMessage(ctx, addr, s.opts.Topic, k, unique, 32, begin, end)
			if err != nil {
				return found, fmt.Errorf("look up %s on broker %s: %w", k, b.Name, err)
			}
			for _, m := range msgs {
				if m.Topic != s.opts.Topic || (unique && !strings.EqualFold(m.MsgID, k)) || (!unique && !contains(m.Keys, k)) {
					continue // an index hash collision: not this message
				}
				found = append(found, s.foundEvent(m, b.Name, rule))
			}
		}
		return found, nil
	}
	if key != "" {
		const rule = "broker:query-key"
		found, err := query(key, false, rule)
		if err != nil {
			return evs, err
		}
		if len(found) == 0 {
			found = append(found, absent(rule))
		}
		evs = append(evs, found...)
	}
	if msgID != "" {
		// The UNIQ_KEY index is case-sensitive, and logs often change the case of msgIds: ask for the id as
		// given, then in the spellings the clients write, until one is found.
		const rule = "broker:query-msgid"
		var found []ingest.Event
		for _, cand := range msgIDSpellings(rawMsgID) {
			got, err := query(cand, true, rule)
			if err != nil {
				return evs, err
			}
			if len(got) > 0 {
				found = got
				break
			}
		}
		if len(found) == 0 {
			found = append(found, absent(rule))
		}
		evs = append(evs, found...)
	}
	if offsetMsgID != "" {
		host, off, err := ParseOffsetMsgID(offsetMsgID)
		if err != nil {
			return evs, fmt.Errorf("rocketmq lookup: %w", err)
		}
		m, err := s.client.ViewMessage(ctx, host, off)
		if err != nil {
			return evs, fmt.Errorf("view message %s at %s: %w", offsetMsgID, host, err)
		}
		const rule = "broker:view-offsetmsgid"
		switch {
		case m == nil:
			evs = append(evs, absent(rule))
		case msgID != "" && !strings.EqualFold(m.MsgID, msgID):
			ev := absent(rule)
			ev.Result = "OFFSET_REUSED"
			ev.QueueID, ev.QueueOffset = m.QueueID, m.QueueOffset
			ev.Broker = s.in.String(brokerOf(route, host))
			ev.Error = fmt.Sprintf("the broker holds a different message at this commit-log offset: msgId %s keys %s stored %s (queue %d offset %d); the asked message was lost and its offset reused",
				m.MsgID, strings.Join(m.Keys, " "), time.UnixMilli(m.StoreTimestamp).UTC().Format("2006-01-02 15:04:05.000"), m.QueueID, m.QueueOffset)
			evs = append(evs, ev)
		default:
			evs = append(evs, s.foundEvent(*m, brokerOf(route, host), rule))
		}
	}
	return evs, nil
}

func (s *Source) foundEvent(m Message, broker, rule string) ingest.Event {
	ev := ingest.NewEvent()
	ev.Time, ev.Hop, ev.Status, ev.Origin, ev.Rule = m.StoreTimestamp*int64(time.Millisecond), ingest.HopStored, ingest.StatusOK, ingest.OriginBroker, rule
	ev.MsgID, ev.OffsetMsgID = m.MsgID, m.OffsetMsgID
	ev.Keys = m.Keys
	ev.Topic, ev.Broker = s.in.String(m.Topic), s.in.String(broker)
	ev.QueueID, ev.QueueOffset = m.QueueID, m.QueueOffset
	ev.Result = "FOUND"
	ev.Ref = ingest.Ref{Path: s.in.String(fmt.Sprintf("%s %s@%s/%d:%d", rule, m.Topic, broker, m.QueueID, m.QueueOffset))}
	return ev
}

func brokerOf(r Route, addr string) string {
	for _, b := range r.Brokers {
		for _, a := range b.Addrs {
			if a == addr {
				return b.Name
			}
		}
	}
	return addr
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// msgIDSpellings lists the spellings of a msgId to ask the case-sensitive UNIQ_KEY index for: as given, upper
// case (Java's UtilAll.bytes2string), and the Go client's (upper-case prefix of 20 digits, lower-case rest).
func msgIDSpellings(id string) []string {
	out := []string{id}
	add := func(s string) {
		for _, x := range out {
			if x == s {
				return
			}
		}
		out = append(out, s)
	}
	add(strings.ToUpper(id))
	if len(id) == 32 {
		add(strings.ToUpper(id[:20]) + strings.ToLower(id[20:]))
	}
	return out
}

// Check asks the name server for the topic's route: a quick pre-flight so a wrong --namesrv or --topic fails
// before minutes of log reading, with the same explanation Read would give.
func (s *Source) Check(ctx context.Context) error {
	if _, err := s.client.Route(ctx, s.opts.NamesrvAddrs, s.opts.Topic); err != nil {
		return s.explain(err)
	}
	return nil
}
