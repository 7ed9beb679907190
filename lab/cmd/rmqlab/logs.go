package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// The log writers imitate the two services of fixtures/FORMATS.md exactly: the order service's logback text
// (UTC stamps without a zone) and the red-packet service's JSON lines (RFC 3339 with a +08:00 offset). Every
// line is written with one write(2) to a file opened O_APPEND, so a killed process leaves at worst a torn last
// line, as a real crash does.

const (
	orderThread   = "http-nio-8080-exec-"
	producerClass = "c.h.order.PaySuccessProducer"
	listenerClass = "c.h.rp.PaySuccessListener"
	grantClass    = "c.h.rp.GrantService"
)

var cst = time.FixedZone("+08:00", 8*3600)

type logFile struct {
	mu sync.Mutex
	f  *os.File
}

func openLog(path string) (*logFile, error) {
	if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &logFile{f: f}, nil
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return "."
}

func (l *logFile) write(b []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(b); err != nil {
		fmt.Fprintln(os.Stderr, "rmqlab: write log:", err)
	}
}

func (l *logFile) Close() error { return l.f.Close() }

// orderLog writes the order service's logback text.
type orderLog struct{ *logFile }

func (l orderLog) line(t time.Time, level string, thread int, logger, msg string) {
	l.write([]byte(fmt.Sprintf("%s %-5s [%s%d] %s - %s\n", t.UTC().Format("2006-01-02 15:04:05.000"), level, orderThread, thread, logger, msg)))
}

func (l orderLog) paid(t time.Time, thread int, o *order) {
	l.line(t, "INFO", thread, "c.h.order.PayCallbackController",
		fmt.Sprintf("payment callback ok, order paid orderId=%s userId=%s amount=%s channel=%s", o.id, o.user, o.amount, o.channel))
}

func (l orderLog) sendOK(t time.Time, thread int, o *order, s sendOutcome) {
	level := "INFO"
	if s.status != "SEND_OK" {
		level = "WARN"
	}
	l.line(t, level, thread, producerClass, fmt.Sprintf("send pay-success ok orderId=%s key=%s msgId=%s offsetMsgId=%s status=%s broker=%s topic=%s queueId=%d queueOffset=%d costMs=%d",
		o.id, o.id, strings.ToUpper(s.msgID), strings.ToUpper(s.offsetMsgID), s.status, s.broker, s.topic, s.queueID, s.queueOffset, s.cost.Milliseconds()))
}

func (l orderLog) sendFailed(t time.Time, thread int, o *order, msgID string, attempt int, last bool, errText string) {
	level := "WARN"
	if last {
		level = "ERROR"
	}
	errText = strings.ReplaceAll(strings.ReplaceAll(errText, `"`, `'`), "\n", " ")
	msg := fmt.Sprintf(`send pay-success failed orderId=%s key=%s msgId=%s attempt=%d error="%s"`, o.id, o.id, strings.ToUpper(msgID), attempt, errText)
	if last {
		// A Java service logs the exception's stack trace under an ERROR line; keep the real client error in it.
		msg += "\norg.apache.rocketmq.client.exception.MQClientException: " + errText +
			"\n\tat org.apache.rocketmq.client.impl.producer.DefaultMQProducerImpl.sendDefaultImpl(DefaultMQProducerImpl.java:681)" +
			"\n\tat org.apache.rocketmq.client.producer.DefaultMQProducer.send(DefaultMQProducer.java:345)" +
			"\n\tat com.hoptrace.order.mq.PaySuccessProducer.send(PaySuccessProducer.java:58)" +
			"\n\t... 12 more"
	}
	l.line(t, level, thread, producerClass, msg)
}

func (l orderLog) noise(t time.Time, thread int, msg string) {
	l.line(t, "INFO", thread, "c.h.order.HealthController", msg)
}

// rpLog writes the red-packet service's JSON lines. Fields are written in a fixed order, as a logback JSON
// encoder does.
type rpLog struct {
	*logFile
	host string
}

type kv struct {
	k string
	v any
}

func (l rpLog) line(t time.Time, level, logger, message string, fields ...kv) {
	var b strings.Builder
	b.WriteString(`{"@timestamp":"`)
	b.WriteString(t.In(cst).Format("2006-01-02T15:04:05.000-07:00"))
	b.WriteString(`","log.level":"`)
	b.WriteString(level)
	b.WriteString(`","host.name":"`)
	b.WriteString(l.host)
	b.WriteString(`","service.name":"redpacket-service","logger":"`)
	b.WriteString(logger)
	b.WriteString(`","message":`)
	writeJSON(&b, message)
	for _, f := range fields {
		b.WriteByte(',')
		writeJSON(&b, f.k)
		b.WriteByte(':')
		switch v := f.v.(type) {
		case []kv:
			b.WriteByte('{')
			for i, g := range v {
				if i > 0 {
					b.WriteByte(',')
				}
				writeJSON(&b, g.k)
				b.WriteByte(':')
				writeJSON(&b, g.v)
			}
			b.WriteByte('}')
		default:
			writeJSON(&b, v)
		}
	}
	b.WriteString("}\n")
	l.write([]byte(b.String()))
}

func writeJSON(b *strings.Builder, v any) {
	j, err := json.Marshal(v)
	if err != nil {
		j = []byte(`null`)
	}
	b.Write(j)
}
