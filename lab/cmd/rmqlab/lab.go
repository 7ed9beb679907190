package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	rmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/hoptrace/hoptrace/ingest/rocketmq"
)

const (
	topic         = "pay-success"
	group         = "redpacket-consumer"
	producerGroup = "order-producer"
	queues        = 4
	maxReconsume  = 2
)

type order struct {
	id, user, amount, channel string
	scenario, verdict, hop    string
	sends                     []sendOutcome // successful sends (at most one)
	failures                  int
}

type sendOutcome struct {
	msgID, offsetMsgID, status, broker, topic string
	queueID                                   int
	queueOffset                               int64
	cost                                      time.Duration
}

type lab struct {
	out, labDir, script, capture string
	healthy                      int
	env                          map[string]string
	olog                         orderLog
	prod                         rmq.Producer
	state                        string
	child                        *child
	children                     []*child
	seq                          int
	day                          string
	orders                       []*order
	rng                          *rand.Rand
	report                       report
	started                      bool
	behave                       behaviour
	mu                           sync.Mutex
}

type report struct {
	NamesrvAddr string            `json:"namesrvAddr"`
	BrokerAddr  string            `json:"brokerAddr"`
	Topic       string            `json:"topic"`
	Group       string            `json:"group"`
	WindowFrom  time.Time         `json:"windowFrom"`
	WindowTo    time.Time         `json:"windowTo"`
	TimingsMs   map[string]int64  `json:"timingsMs"`
	Facts       []string          `json:"facts"`
	Scenarios   map[string]string `json:"scenarios"`
}

func (l *lab) fact(format string, a ...any) {
	s := fmt.Sprintf(format, a...)
	l.report.Facts = append(l.report.Facts, s)
	fmt.Fprintln(os.Stderr, "rmqlab:", s)
}

func (l *lab) timed(name string, f func() error) error {
	t0 := time.Now()
	err := f()
	l.report.TimingsMs[name] = time.Since(t0).Milliseconds()
	fmt.Fprintf(os.Stderr, "rmqlab: %s took %s\n", name, time.Since(t0).Round(time.Millisecond))
	return err
}

func (l *lab) sh(args ...string) error {
	cmd := exec.Command("bash", append([]string{l.script}, args...)...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("lab/rocketmq.sh %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

func (l *lab) loadEnv() error {
	data, err := os.ReadFile(filepath.Join(l.labDir, "lab.env"))
	if err != nil {
		return fmt.Errorf("read lab.env: %w", err)
	}
	l.env = map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			l.env[k] = v
		}
	}
	if l.env["NAMESRV_ADDR"] == "" || l.env["BROKER_ADDR"] == "" {
		return errors.New("lab.env has no NAMESRV_ADDR / BROKER_ADDR")
	}
	return nil
}

func quietClient() {
	rlog.SetLogLevel("error")
	rocketmq.SilenceClientLog()
}

func (l *lab) cleanup(own bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.children {
		c.kill()
	}
	l.children = nil
	if own && l.started {
		_ = l.sh("stop", l.labDir)
		l.started = false
	}
}

func (l *lab) run(own bool) error {
	quietClient()
	t0 := time.Now()
	l.report = report{Topic: topic, Group: group, TimingsMs: map[string]int64{}, Scenarios: map[string]string{}}
	l.rng = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 42))
	l.day = time.Now().UTC().Format("20060102")
	l.state = filepath.Join(l.out, "rp-state")
	for _, d := range []string{l.state, filepath.Join(l.out, "logs", "order-service"), filepath.Join(l.out, "logs", "redpacket-service")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := writeBehaviour(l.state, behaviour{}); err != nil {
		return err
	}
	if own {
		if err := l.timed("lab_start", func() error { l.started = true; return l.sh("start", l.labDir) }); err != nil {
			return err
		}
	}
	if err := l.loadEnv(); err != nil {
		return err
	}
	l.report.NamesrvAddr, l.report.BrokerAddr = l.env["NAMESRV_ADDR"], l.env["BROKER_ADDR"]
	lf, err := openLog(filepath.Join(l.out, "logs", "order-service", "order-1.log"))
	if err != nil {
		return err
	}
	defer lf.Close()
	l.olog = orderLog{lf}
	l.olog.noise(time.Now(), 1, "Started OrderApplication in 6.214 seconds (process running for 6.9)")

	if err := l.timed("create_topic", l.createTopic); err != nil {
		return err
	}
	if err := l.timed("producer_start", l.startProducer); err != nil {
		return err
	}
	defer func() {
		if l.prod != nil {
			_ = l.prod.Shutdown()
		}
	}()
	if err := l.timed("consumer_start", l.startConsumer); err != nil {
		return err
	}
	l.report.WindowFrom = time.Now().Add(-time.Second).UTC()

	steps := []struct {
		name string
		f    func() error
	}{
		{"scenario1_healthy", l.scenarioHealthy},
		{"scenario4_grant_fails_dlq", l.scenarioDeadLetter},
		{"scenario7_grant_fails_swallowed", l.scenarioGrantSwallowed},
		{"scenario3_consumer_crash", l.scenarioConsumerCrash},
		{"scenario2_broker_stopped", l.scenarioBrokerStopped},
		{"scenario6_broker_crash", l.scenarioBrokerCrash},
		{"scenario5_consumer_stopped", l.scenarioConsumerStopped},
	}
	for _, s := range steps {
		if err := l.timed(s.name, s.f); err != nil {
			l.writeTruth()
			l.writeReport()
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	// Let the last traces reach the broker, then stop the producer (it flushes its trace buffer).
	time.Sleep(1500 * time.Millisecond)
	_ = l.prod.Shutdown()
	l.prod = nil
	l.report.WindowTo = time.Now().UTC()
	l.offsetReuse()
	if err := l.timed("broker_facts", l.brokerFacts); err != nil {
		l.fact("reading broker facts failed: %v", err)
	}
	l.report.TimingsMs["total"] = time.Since(t0).Milliseconds()
	if err := l.writeTruth(); err != nil {
		return err
	}
	return l.writeReport()
}

func (l *lab) createTopic() error {
	addrs := []string{l.env["NAMESRV_ADDR"]}
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver(addrs)))
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(l.env["BROKER_ADDR"]),
		admin.WithReadQueueNums(queues), admin.WithWriteQueueNums(queues)); err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	// The group's retry topic too: the broker would create it at the consumer's first heartbeat, but the Go
	// client learns new routes only every 30 s, so the first redelivery would wait that long.
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate("%RETRY%"+group), admin.WithBrokerAddrCreate(l.env["BROKER_ADDR"]),
		admin.WithReadQueueNums(1), admin.WithWriteQueueNums(1)); err != nil {
		return fmt.Errorf("create topic %%RETRY%%%s: %w", group, err)
	}
	if err := l.waitRoute("%RETRY%"+group, 30*time.Second); err != nil {
		return err
	}
	return l.waitRoute(topic, 30*time.Second)
}

// waitRoute polls the name server until the topic has a route with queues.
func (l *lab) waitRoute(t string, max time.Duration) error {
	c := &rocketmq.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(max)
	for {
		r, err := c.Route(context.Background(), []string{l.env["NAMESRV_ADDR"]}, t)
		if err == nil && len(r.Queues) > 0 && len(r.Brokers) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no route for topic %s after %s: %v (see %s/broker.out)", t, max, err, l.labDir)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (l *lab) startProducer() error {
	addrs := []string{l.env["NAMESRV_ADDR"]}
	p, err := producer.NewDefaultProducer(
		producer.WithNameServer(addrs),
		producer.WithGroupName(producerGroup),
		producer.WithInstanceName(fmt.Sprintf("order-%d", os.Getpid())),
		producer.WithRetry(1),
		producer.WithSendMsgTimeout(3*time.Second),
		producer.WithTrace(&primitive.TraceConfig{GroupName: producerGroup, Access: primitive.Local, NamesrvAddrs: addrs}),
	)
	if err != nil {
		return err
	}
	if err := p.Start(); err != nil {
		return err
	}
	l.prod = p
	return nil
}

// ---------------------------------------------------------------- orders and sends

func (l *lab) newOrder(scenario, verdict, hop string) *order {
	l.seq++
	o := &order{id: fmt.Sprintf("%s%08d", l.day, 9000000+l.seq), user: fmt.Sprintf("u%d", 10000+l.rng.IntN(90000)),
		amount: fmt.Sprintf("%d.%02d", 5+l.rng.IntN(200), l.rng.IntN(100)), channel: []string{"alipay", "wechat", "card"}[l.rng.IntN(3)],
		scenario: scenario, verdict: verdict, hop: hop}
	l.orders = append(l.orders, o)
	l.report.Scenarios[scenario] = verdict
	return o
}

// pay logs the payment and sends the message, retrying in the application up to attempts times (each attempt
// a new message, so a new msgId). It reports whether a send succeeded.
func (l *lab) pay(o *order, attempts int) bool {
	thread := 1 + l.rng.IntN(200)
	l.olog.paid(time.Now(), thread, o)
	for a := 1; a <= attempts; a++ {
		msg := primitive.NewMessage(topic, []byte(fmt.Sprintf(`{"orderId":"%s","userId":"%s","amount":"%s"}`, o.id, o.user, o.amount)))
		msg.WithKeys([]string{o.id})
		msg.WithTag("paid")
		t0 := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
		res, err := l.prod.SendSync(ctx, msg)
		cancel()
		msgID := msg.GetProperty(primitive.PropertyUniqueClientMessageIdKeyIndex)
		if err == nil && res != nil && res.Status == primitive.SendOK {
			s := sendOutcome{msgID: res.MsgID, offsetMsgID: res.OffsetMsgID, status: "SEND_OK", broker: res.MessageQueue.BrokerName,
				topic: res.MessageQueue.Topic, queueID: res.MessageQueue.QueueId, queueOffset: res.QueueOffset, cost: time.Since(t0)}
			o.sends = append(o.sends, s)
			l.olog.sendOK(time.Now(), thread, o, s)
			return true
		}
		if err == nil {
			err = fmt.Errorf("send status %v", res)
		}
		o.failures++
		l.olog.sendFailed(time.Now(), thread, o, msgID, a, a == attempts, err.Error())
		if a < attempts {
			time.Sleep(200 * time.Millisecond)
		}
	}
	return false
}

func (l *lab) granted(o *order) bool { return exists(filepath.Join(l.state, "grants", o.id)) }

func (l *lab) waitFor(what string, max time.Duration, cond func() bool) error {
	deadline := time.Now().Add(max)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", max, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

func (l *lab) waitGranted(batch []*order, max time.Duration) error {
	return l.waitFor(fmt.Sprintf("%d grants", len(batch)), max, func() bool {
		for _, o := range batch {
			if !l.granted(o) {
				return false
			}
		}
		return true
	})
}

func (l *lab) rpLogHas(subs ...string) bool {
	data, err := os.ReadFile(filepath.Join(l.out, "logs", "redpacket-service", "redpacket-1.json.log"))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		all := true
		for _, s := range subs {
			if !strings.Contains(line, s) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------- the consumer child process

type child struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
}

func (l *lab) startConsumer() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "consumer", "-namesrv", l.env["NAMESRV_ADDR"], "-topic", topic, "-group", group,
		"-log", filepath.Join(l.out, "logs", "redpacket-service", "redpacket-1.json.log"), "-host", "redpacket-1",
		"-state", l.state, "-max-reconsume", fmt.Sprint(maxReconsume))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	c := &child{cmd: cmd, lines: make(chan string, 16), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(c.done)
	}()
	l.mu.Lock()
	l.child = c
	l.children = append(l.children, c)
	l.mu.Unlock()
	if _, err := c.expect("READY", 30*time.Second); err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	return nil
}

func (c *child) expect(prefix string, max time.Duration) (string, error) {
	timer := time.NewTimer(max)
	defer timer.Stop()
	for {
		select {
		case line := <-c.lines:
			if strings.HasPrefix(line, prefix) {
				return line, nil
			}
		case <-c.done:
			return "", fmt.Errorf("consumer process exited before %q", prefix)
		case <-timer.C:
			return "", fmt.Errorf("consumer did not say %q within %s", prefix, max)
		}
	}
}

func (c *child) kill() {
	if c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// stop stops the consumer cleanly (Shutdown reports its offsets).
func (l *lab) stopConsumer() error {
	c := l.child
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		c.kill()
		return errors.New("consumer did not stop within 30s after SIGTERM: killed")
	}
	l.child = nil
	return nil
}

// ---------------------------------------------------------------- scenarios

// 1: healthy traffic -> ok.
func (l *lab) scenarioHealthy() error {
	var batch []*order
	for i := 0; i < l.healthy; i++ {
		o := l.newOrder("lab_ok", "ok", "")
		if !l.pay(o, 2) {
			return fmt.Errorf("healthy send of %s failed", o.id)
		}
		batch = append(batch, o)
	}
	return l.waitGranted(batch, 60*time.Second)
}

// 4: the grant fails with a (simulated) database error on every attempt; after maxReconsume retries the broker
// moves the message to %DLQ%redpacket-consumer -> dead_lettered.
func (l *lab) scenarioDeadLetter() error {
	var batch []*order
	for i := 0; i < 2; i++ {
		o := l.newOrder("lab_dead_lettered", "dead_lettered", "granted")
		// Behaviours accumulate: a retry or a redelivery after a consumer restart must meet the same database.
		l.behave.Fail = append(l.behave.Fail, o.id)
		batch = append(batch, o)
	}
	if err := l.payUntilLogged(batch, "moved to DLQ", 90*time.Second); err != nil {
		return err
	}
	// The broker really has them in the DLQ topic: its route exists now.
	if err := l.waitRoute("%DLQ%"+group, 15*time.Second); err != nil {
		l.fact("DLQ topic route not seen: %v", err)
	} else {
		l.fact("scenario 4: %d messages reached %%DLQ%%%s after %d attempts each", len(batch), group, maxReconsume+1)
	}
	return nil
}

// payUntilLogged writes the behaviours, pays every order of batch, and waits until the red-packet log has a line
// with text for each of them.
func (l *lab) payUntilLogged(batch []*order, text string, max time.Duration) error {
	if err := writeBehaviour(l.state, l.behave); err != nil {
		return err
	}
	for _, o := range batch {
		if !l.pay(o, 2) {
			return fmt.Errorf("send of %s failed", o.id)
		}
	}
	return l.waitFor(fmt.Sprintf("%q logged for %d orders", text, len(batch)), max, func() bool {
		for _, o := range batch {
			if !l.rpLogHas(text, o.id) {
				return false
			}
		}
		return true
	})
}

// 7: the grant fails with the same database error, the failure is logged, and the listener returns
// CONSUME_SUCCESS anyway: the broker is done with the message, nobody retries, the red packet is owed ->
// grant_failed.
func (l *lab) scenarioGrantSwallowed() error {
	var batch []*order
	for i := 0; i < 2; i++ {
		o := l.newOrder("lab_grant_failed_swallowed", "grant_failed", "granted")
		l.behave.Swallow = append(l.behave.Swallow, o.id)
		batch = append(batch, o)
	}
	if err := l.payUntilLogged(batch, "grant red packet failed", 60*time.Second); err != nil {
		return err
	}
	// The broker must not redeliver: give a retry (delay level 1 is 1 s) time to show, then check.
	time.Sleep(2500 * time.Millisecond)
	for _, o := range batch {
		if l.granted(o) {
			return fmt.Errorf("order %s was granted after all: the loss did not happen", o.id)
		}
	}
	l.fact("scenario 7: %d grants failed, the errors were swallowed (CONSUME_SUCCESS), no redelivery in 2.5 s", len(batch))
	return nil
}

// 3: the consumer returns CONSUME_SUCCESS before granting, reports its offset, and is SIGKILLed before the grant
// runs -> lost_in_consumer. A new consumer process takes over and never sees the message again.
func (l *lab) scenarioConsumerCrash() error {
	o := l.newOrder("lab_lost_in_consumer_crash", "lost_in_consumer", "granted")
	l.behave.Crash = append(l.behave.Crash, o.id)
	if err := writeBehaviour(l.state, l.behave); err != nil {
		return err
	}
	if !l.pay(o, 2) {
		return fmt.Errorf("send of %s failed", o.id)
	}
	if _, err := l.child.expect("CRASHPOINT "+o.id, 30*time.Second); err != nil {
		return err
	}
	// The broker holds the committed offset past the message before the kill.
	s := o.sends[0]
	c := &rocketmq.Client{Timeout: 3 * time.Second}
	if err := l.waitFor("committed offset past the crash message", 10*time.Second, func() bool {
		cs, err := c.ConsumeStats(context.Background(), l.env["BROKER_ADDR"], group, topic)
		if err != nil {
			return false
		}
		for _, q := range cs.Queues {
			if q.QueueID == int32(s.queueID) && q.ConsumerOffset > s.queueOffset {
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	l.child.kill()
	l.fact("scenario 3: consumer pid %d SIGKILLed after committing offset > %d on queue %d, before the grant of %s", l.child.cmd.Process.Pid, s.queueOffset, s.queueID, o.id)
	if err := l.startConsumer(); err != nil {
		return err
	}
	// Prove the new consumer works and the crashed order does not come back.
	h := l.newOrder("lab_ok", "ok", "")
	if !l.pay(h, 2) {
		return fmt.Errorf("send of %s failed", h.id)
	}
	if err := l.waitGranted([]*order{h}, 60*time.Second); err != nil {
		return err
	}
	if l.granted(o) {
		return fmt.Errorf("order %s was granted after all (redelivered): the loss did not happen", o.id)
	}
	return nil
}

// 2: the broker is stopped (SIGKILL) while the order service sends -> send_failed. Then the broker comes back.
func (l *lab) scenarioBrokerStopped() error {
	if err := l.sh("kill-broker", l.labDir); err != nil {
		return err
	}
	for i := 0; i < 2; i++ {
		o := l.newOrder("lab_send_failed_broker_stopped", "send_failed", "stored")
		if l.pay(o, 2) {
			return fmt.Errorf("send of %s succeeded with the broker down", o.id)
		}
	}
	if err := l.timed("broker_restart_after_stop", func() error { return l.sh("start-broker", l.labDir) }); err != nil {
		return err
	}
	if err := l.loadEnv(); err != nil {
		return err
	}
	return l.afterRestartHealthy("lab_ok_after_broker_restart")
}

// afterRestartHealthy sends healthy orders until the producer and the consumer work again after a broker
// restart (the first sends may fail while routes refresh: those orders are send_failed for real).
func (l *lab) afterRestartHealthy(scenario string) error {
	var ok []*order
	for i := 0; i < 2; i++ {
		o := l.newOrder(scenario, "ok", "")
		if !l.pay(o, 3) {
			o.scenario, o.verdict, o.hop = scenario+"_send_failed", "send_failed", "stored"
			l.report.Scenarios[o.scenario] = o.verdict
			l.fact("%s: send of %s failed after the broker restart (counted as send_failed)", scenario, o.id)
			continue
		}
		ok = append(ok, o)
	}
	if len(ok) == 0 {
		return errors.New("no send succeeded after the broker restart")
	}
	return l.waitGranted(ok, 90*time.Second)
}

// 6: the consumer is down; three orders are sent (SEND_OK, async flush) and the broker is SIGKILLed right after;
// its commit log is zeroed from the first of them on (the page cache that a power loss would take), and the
// broker restarts -> lost_in_broker. Orders sent after the restart reuse the lost queue offsets.
func (l *lab) scenarioBrokerCrash() error {
	if err := l.stopConsumer(); err != nil {
		return err
	}
	var lost []*order
	for i := 0; i < 3; i++ {
		o := l.newOrder("lab_lost_in_broker_crash", "lost_in_broker", "delivered")
		if !l.pay(o, 1) {
			return fmt.Errorf("send of %s failed", o.id)
		}
		lost = append(lost, o)
	}
	if err := l.sh("kill-broker", l.labDir); err != nil {
		return err
	}
	first := lost[0].sends[0]
	_, phys, err := rocketmq.ParseOffsetMsgID(first.offsetMsgID)
	if err != nil {
		return err
	}
	n, err := zeroCommitLogFrom(l.env["COMMITLOG_DIR"], phys)
	if err != nil {
		return err
	}
	l.fact("scenario 6: broker SIGKILLed after SEND_OK of %d orders; commit log zeroed from physical offset %d (%d bytes)", len(lost), phys, n)
	if err := l.timed("broker_restart_after_crash", func() error { return l.sh("start-broker", l.labDir) }); err != nil {
		return err
	}
	if err := l.loadEnv(); err != nil {
		return err
	}
	// Orders after the crash: the producer is still up and picks the same queues again.
	var after []*order
	for i := 0; i < 3; i++ {
		o := l.newOrder("lab_ok_broker_crash_offset_reused", "ok", "")
		if !l.pay(o, 3) {
			o.scenario, o.verdict, o.hop = "lab_send_failed_after_crash", "send_failed", "stored"
			l.report.Scenarios[o.scenario] = o.verdict
			continue
		}
		after = append(after, o)
	}
	if err := l.startConsumer(); err != nil {
		return err
	}
	if err := l.waitGranted(after, 90*time.Second); err != nil {
		return err
	}
	time.Sleep(2 * time.Second) // would a lost message come after all?
	for _, o := range lost {
		if l.granted(o) || l.rpLogHas("received pay-success message", o.id) {
			return fmt.Errorf("order %s was delivered after the crash: the loss did not happen", o.id)
		}
	}
	return nil
}

// 5: the consumer group is stopped; orders are sent and wait in the queue -> in_flight (the committed offset is
// at or below their queue offsets).
func (l *lab) scenarioConsumerStopped() error {
	if err := l.stopConsumer(); err != nil {
		return err
	}
	for i := 0; i < 3; i++ {
		o := l.newOrder("lab_in_flight_consumer_stopped", "in_flight", "delivered")
		if !l.pay(o, 2) {
			return fmt.Errorf("send of %s failed", o.id)
		}
	}
	return nil
}

// zeroCommitLogFrom overwrites the commit log with zeros from physical offset phys to the end of its mapped file
// and removes later files: what the broker would find after a power loss that took the unflushed page cache.
func zeroCommitLogFrom(dir string, phys int64) (int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	type seg struct {
		start int64
		path  string
	}
	var segs []seg
	for _, e := range ents {
		var start int64
		if _, err := fmt.Sscanf(e.Name(), "%d", &start); err == nil && len(e.Name()) == 20 {
			segs = append(segs, seg{start, filepath.Join(dir, e.Name())})
		}
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].start < segs[j].start })
	var zeroed int64
	for _, s := range segs {
		fi, err := os.Stat(s.path)
		if err != nil {
			return zeroed, err
		}
		if s.start+fi.Size() <= phys {
			continue
		}
		if s.start > phys {
			if err := os.Remove(s.path); err != nil {
				return zeroed, err
			}
			continue
		}
		f, err := os.OpenFile(s.path, os.O_WRONLY, 0)
		if err != nil {
			return zeroed, err
		}
		buf := make([]byte, 1<<20)
		for off := phys - s.start; off < fi.Size(); {
			n := int64(len(buf))
			if off+n > fi.Size() {
				n = fi.Size() - off
			}
			if _, err := f.WriteAt(buf[:n], off); err != nil {
				f.Close()
				return zeroed, err
			}
			off += n
			zeroed += n
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return zeroed, err
		}
		if err := f.Close(); err != nil {
			return zeroed, err
		}
	}
	return zeroed, nil
}

// ---------------------------------------------------------------- outputs

func (l *lab) writeTruth() error {
	var b strings.Builder
	b.WriteString("order_id,verdict,missing_hop,scenario\n")
	for _, o := range l.orders {
		fmt.Fprintf(&b, "%s,%s,%s,%s\n", o.id, o.verdict, o.hop, o.scenario)
	}
	return os.WriteFile(filepath.Join(l.out, "truth.csv"), []byte(b.String()), 0o644)
}

func (l *lab) writeReport() error {
	data, err := json.MarshalIndent(l.report, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(l.out, "lab-report.json"), append(data, '\n'), 0o644)
}

// offsetReuse records every later order stored at the queue position of an order lost in the broker crash.
func (l *lab) offsetReuse() {
	reused := 0
	for i, lo := range l.orders {
		if lo.verdict != "lost_in_broker" || len(lo.sends) == 0 {
			continue
		}
		ls := lo.sends[0]
		for _, ao := range l.orders[i+1:] {
			if ao.verdict == "lost_in_broker" || len(ao.sends) == 0 {
				continue
			}
			as := ao.sends[0]
			if ls.queueID == as.queueID && ls.queueOffset == as.queueOffset {
				reused++
				same := ""
				if strings.EqualFold(ls.offsetMsgID, as.offsetMsgID) {
					same = ", same offsetMsgId"
				}
				l.fact("offset reuse: lost %s (msgId %s) and %s [%s] (msgId %s) both at queue %d offset %d%s",
					lo.id, ls.msgID, ao.id, ao.scenario, as.msgID, ls.queueID, ls.queueOffset, same)
			}
		}
	}
	if reused == 0 {
		l.fact("no queue offset of a message lost in the broker crash was reused")
	}
}
