package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// The red-packet service: a real push consumer with tracing on. It runs as a child process of the lab so the
// lab can SIGKILL it for real. What it does with an order comes from STATE/behaviour.json, which the lab rewrites
// between scenarios:
//
//   - "fail": the grant hits a (simulated) database error: log the failure, return RECONSUME_LATER with the
//     shortest retry delay (1 s); once reconsumeTimes reaches the maximum the broker moves it to the DLQ.
//   - "swallow": the grant hits the same database error, the failure is logged, and the listener returns
//     CONSUME_SUCCESS anyway (the error is swallowed): the broker never redelivers, the red packet is owed.
//   - "crash": the listener hands the grant to an in-memory executor and returns CONSUME_SUCCESS at once (the
//     classic bug); the consumer then reports its offset to the broker, prints "CRASHPOINT <order>" and waits to
//     be killed before the executor runs.
//   - anything else: grant (idempotently, STATE/grants/<order> is the "database") and return CONSUME_SUCCESS.
//
// It prints "READY" once started and exits cleanly (offsets reported by Shutdown) on SIGTERM.

type behaviour struct {
	Fail    []string `json:"fail"`
	Swallow []string `json:"swallow"`
	Crash   []string `json:"crash"`
}

func readBehaviour(state string) behaviour {
	var b behaviour
	data, err := os.ReadFile(filepath.Join(state, "behaviour.json"))
	if err == nil {
		_ = json.Unmarshal(data, &b)
	}
	return b
}

func writeBehaviour(state string, b behaviour) error {
	data, _ := json.Marshal(b)
	tmp := filepath.Join(state, "behaviour.json.tmp")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(state, "behaviour.json"))
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func runConsumer(args []string) error {
	fs := flag.NewFlagSet("consumer", flag.ContinueOnError)
	namesrv := fs.String("namesrv", "", "name server host:port")
	topic := fs.String("topic", "pay-success", "topic")
	group := fs.String("group", "redpacket-consumer", "consumer group")
	logPath := fs.String("log", "", "JSON log file")
	host := fs.String("host", "redpacket-1", "host.name of the log lines")
	state := fs.String("state", "", "state dir (behaviour.json, grants/)")
	maxRe := fs.Int("max-reconsume", 2, "max reconsume times before the DLQ")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *namesrv == "" || *logPath == "" || *state == "" {
		return errors.New("consumer: -namesrv, -log and -state are required")
	}
	quietClient()
	lf, err := openLog(*logPath)
	if err != nil {
		return err
	}
	log := rpLog{logFile: lf, host: *host}
	grants := filepath.Join(*state, "grants")
	if err := os.MkdirAll(grants, 0o755); err != nil {
		return err
	}

	addrs := []string{*namesrv}
	var pc interface {
		Start() error
		Shutdown() error
		PersistConsumerOffset() error
	}
	var crashOnce sync.Once
	listener := func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		result := consumer.ConsumeSuccess
		for _, m := range msgs {
			order := strings.TrimSpace(m.GetKeys())
			now := time.Now()
			qtopic := m.Topic
			if m.Queue != nil {
				qtopic = m.Queue.Topic
			}
			log.line(now, "INFO", listenerClass, "received pay-success message",
				kv{"mq", []kv{{"msgId", m.MsgId}, {"keys", order}, {"topic", qtopic}, {"queueId", queueID(m)},
					{"queueOffset", m.QueueOffset}, {"reconsumeTimes", m.ReconsumeTimes}}},
				kv{"group", *group})
			b := readBehaviour(*state)
			switch {
			case has(b.Crash, order) && !exists(filepath.Join(*state, "crashed-"+order)):
				// The bug: success is returned before the grant, which runs later on an executor.
				go func(order string) {
					time.Sleep(10 * time.Second)
					grant(log, grants, order, userFromBody(m.Body))
				}(order)
				log.line(time.Now(), "INFO", listenerClass, "consume result", kv{"msgId", strings.ToUpper(m.MsgId)}, kv{"status", "CONSUME_SUCCESS"})
				crashOnce.Do(func() {
					go func(order string) {
						// Report the consumed offset to the broker before dying, or the crash only causes a
						// redelivery (DESIGN.md: offsets are reported 10 s after start, then every 5 s).
						time.Sleep(500 * time.Millisecond)
						if err := pc.PersistConsumerOffset(); err != nil {
							fmt.Fprintln(os.Stderr, "rmqlab consumer: persist offset:", err)
						}
						time.Sleep(300 * time.Millisecond)
						_ = os.WriteFile(filepath.Join(*state, "crashed-"+order), nil, 0o644)
						fmt.Println("CRASHPOINT " + order)
					}(order)
				})
			case has(b.Swallow, order):
				grantFailed(log, order)
				log.line(time.Now(), "INFO", listenerClass, "consume result", kv{"msgId", strings.ToUpper(m.MsgId)}, kv{"status", "CONSUME_SUCCESS"})
			case has(b.Fail, order):
				grantFailed(log, order)
				log.line(time.Now(), "WARN", listenerClass, "consume result", kv{"msgId", strings.ToUpper(m.MsgId)}, kv{"status", "RECONSUME_LATER"})
				if m.ReconsumeTimes >= int32(*maxRe) {
					log.line(time.Now(), "ERROR", listenerClass, "message exceeded max reconsume times, moved to DLQ",
						kv{"mq", []kv{{"msgId", strings.ToLower(m.MsgId)}, {"keys", order}, {"reconsumeTimes", m.ReconsumeTimes}}},
						kv{"dlqTopic", "%DLQ%" + *group})
				}
				if cc, ok := primitive.GetConcurrentlyCtx(ctx); ok {
					cc.DelayLevelWhenNextConsume = 1 // 1 s: keeps the lab fast
				}
				result = consumer.ConsumeRetryLater
			default:
				grant(log, grants, order, userFromBody(m.Body))
				log.line(time.Now(), "INFO", listenerClass, "consume result", kv{"msgId", strings.ToUpper(m.MsgId)}, kv{"status", "CONSUME_SUCCESS"})
			}
		}
		return result, nil
	}

	c, err := consumer.NewPushConsumer(
		consumer.WithGroupName(*group),
		consumer.WithNameServer(addrs),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumeMessageBatchMaxSize(1),
		consumer.WithMaxReconsumeTimes(int32(*maxRe)),
		consumer.WithInstance(fmt.Sprintf("redpacket-%d", os.Getpid())),
		consumer.WithTrace(&primitive.TraceConfig{GroupName: *group, Access: primitive.Local, NamesrvAddrs: addrs}),
	)
	if err != nil {
		return fmt.Errorf("consumer: %w", err)
	}
	pc = c
	if err := c.Subscribe(*topic, consumer.MessageSelector{}, listener); err != nil {
		return fmt.Errorf("consumer: subscribe %s: %w", *topic, err)
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("consumer: start: %w", err)
	}
	fmt.Println("READY")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	if err := c.Shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, "rmqlab consumer: shutdown:", err)
	}
	fmt.Println("STOPPED")
	return nil
}

// grantFailed logs a grant that hit a (simulated) database deadlock, with its stack trace.
func grantFailed(log rpLog, order string) {
	errText := "Deadlock found when trying to get lock; try restarting transaction"
	log.line(time.Now(), "ERROR", grantClass, "grant red packet failed", kv{"orderId", order}, kv{"error", errText},
		kv{"error.stack_trace", "com.mysql.cj.jdbc.exceptions.MySQLTransactionRollbackException: " + errText +
			"\n\tat com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:123)\n\tat com.hoptrace.rp.GrantService.grant(GrantService.java:64)\n\t... 31 more"})
}

var grantMu sync.Mutex

// grant inserts the red packet unless the order has one ("already granted, skip").
func grant(log rpLog, dir, order, user string) {
	grantMu.Lock()
	defer grantMu.Unlock()
	p := filepath.Join(dir, order)
	if data, err := os.ReadFile(p); err == nil {
		log.line(time.Now(), "INFO", grantClass, "red packet already granted, skip", kv{"orderId", order}, kv{"redPacketId", strings.TrimSpace(string(data))})
		return
	}
	rp := "RP" + order
	if err := os.WriteFile(p, []byte(rp+"\n"), 0o644); err != nil {
		log.line(time.Now(), "ERROR", grantClass, "grant red packet failed", kv{"orderId", order}, kv{"error", err.Error()})
		return
	}
	log.line(time.Now(), "INFO", grantClass, "red packet granted", kv{"orderId", order}, kv{"userId", user},
		kv{"redPacketId", rp}, kv{"amount", "5.00"})
}

func queueID(m *primitive.MessageExt) int {
	if m.Queue != nil {
		return m.Queue.QueueId
	}
	return -1
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// userFromBody reads the userId of a pay-success message body ({"orderId":..,"userId":..,"amount":..}).
func userFromBody(body []byte) string {
	var b struct {
		UserID string `json:"userId"`
	}
	_ = json.Unmarshal(body, &b)
	return b.UserID
}
