package logs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hoptrace/hoptrace/ingest"
)

// genText writes n orders' worth of order-service logback lines: per order the three hop lines of
// FORMATS.md and six noise lines (one mentions the order ID), and a stack trace every 50 orders.
func genText(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		id := 2026112300000000 + i
		s := fmt.Sprintf("2026-11-23 08:%02d:%02d.%03d", i/60000%60, i/1000%60, i%1000)
		fmt.Fprintf(&b, "%s INFO  [http-nio-8080-exec-7] c.h.order.HealthController - health check ok status=UP db=UP redis=UP\n", s)
		fmt.Fprintf(&b, "%s INFO  [http-nio-8080-exec-7] c.h.order.PayCallbackController - payment callback ok, order paid orderId=%d userId=u%d amount=35.00 channel=alipay\n", s, id, i)
		fmt.Fprintf(&b, "%s DEBUG [http-nio-8080-exec-7] c.h.order.OrderMapper - ==>  Preparing: SELECT id, user_id, amount FROM t_order WHERE order_id = ?\n", s)
		fmt.Fprintf(&b, "%s DEBUG [http-nio-8080-exec-7] c.h.order.OrderMapper - ==> Parameters: %d(Long)\n", s, id)
		fmt.Fprintf(&b, "%s INFO  [http-nio-8080-exec-7] c.h.order.OrderQueryService - query order detail orderId=%d cost=3ms\n", s, id)
		fmt.Fprintf(&b, "%s INFO  [http-nio-8080-exec-7] c.h.order.PaySuccessProducer - send pay-success ok orderId=%d key=%d msgId=0A0B0C0D00002A9F3B1C5E7A%08X offsetMsgId=0A00000B00002A9F00000000%08X status=SEND_OK broker=broker-a topic=pay-success queueId=%d queueOffset=%d costMs=8\n", s, id, id, i, i, i%8, i)
		fmt.Fprintf(&b, "%s INFO  [scheduling-1] c.h.order.MetricsReporter - reported 42 metrics to prometheus in 12ms\n", s)
		fmt.Fprintf(&b, "%s DEBUG [http-nio-8080-exec-7] o.s.web.servlet.DispatcherServlet - Completed 200 OK\n", s)
		fmt.Fprintf(&b, "%s INFO  [http-nio-8080-exec-7] c.h.order.AccessLog - POST /api/pay/callback 200 14ms ip=10.0.3.7\n", s)
		if i%50 == 0 {
			fmt.Fprintf(&b, "%s ERROR [http-nio-8080-exec-7] c.h.order.PaySuccessProducer - send pay-success failed orderId=%d key=%d msgId=0A0B0C0D00002A9F3B1C5E7AFFFFFFFF attempt=1 error=\"CODE: 14 DESC: service not available now\"\n", s, id, id)
			b.WriteString("org.apache.rocketmq.client.exception.MQBrokerException: CODE: 14  DESC: service not available now\n\tat org.apache.rocketmq.client.impl.MQClientAPIImpl.processSendResponse(MQClientAPIImpl.java:665)\n\tat org.apache.rocketmq.client.producer.DefaultMQProducer.send(DefaultMQProducer.java:345)\n\t... 12 more\n")
		}
	}
	return b.Bytes()
}

// genJSON writes n orders' worth of red-packet JSON lines: delivered, consume result, granted and two noise lines.
func genJSON(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		id := 2026112300000000 + i
		s := fmt.Sprintf("2026-11-23T16:%02d:%02d.%03d+08:00", i/60000%60, i/1000%60, i%1000)
		head := fmt.Sprintf(`{"@timestamp":"%s","log.level":"INFO","host.name":"redpacket-1","service.name":"redpacket-service",`, s)
		fmt.Fprintf(&b, `%s"logger":"c.h.rp.PaySuccessListener","message":"received pay-success message","mq":{"msgId":"0a0b0c0d00002a9f3b1c5e7a%08x","keys":"%d","topic":"pay-success","queueId":%d,"queueOffset":%d,"reconsumeTimes":0},"group":"redpacket-consumer"}`+"\n", head, i, id, i%8, i)
		fmt.Fprintf(&b, `%s"logger":"c.h.rp.UserClient","message":"load user profile","userId":"u%d","costMs":4}`+"\n", head, i)
		fmt.Fprintf(&b, `%s"logger":"c.h.rp.GrantService","message":"red packet granted","orderId":"%d","userId":"u%d","redPacketId":"RP%d","amount":"5.00"}`+"\n", head, id, i, id)
		fmt.Fprintf(&b, `%s"logger":"c.h.rp.PaySuccessListener","message":"consume result","msgId":"0A0B0C0D00002A9F3B1C5E7A%08X","status":"CONSUME_SUCCESS"}`+"\n", head, i)
		fmt.Fprintf(&b, `%s"logger":"c.h.rp.Metrics","message":"pool stats","active":3,"idle":5,"waiting":0}`+"\n", head)
	}
	return b.Bytes()
}

func benchRead(b *testing.B, name string, data []byte) {
	dir := b.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.Fatal(err)
	}
	in := ingest.NewInterner()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := NewSource([]string{path}, Options{Interner: in})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		if err := src.Read(context.Background(), func(evs []ingest.Event) error { n += len(evs); return nil }); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("no events")
		}
	}
}

func BenchmarkReadText(b *testing.B) { benchRead(b, "order-1.log", genText(20000)) }

func BenchmarkReadJSON(b *testing.B) { benchRead(b, "redpacket-1.json.log", genJSON(20000)) }

// BenchmarkReadTextNeedle is `hoptrace order ID`: one needle, almost every line skipped.
func BenchmarkReadTextNeedle(b *testing.B) {
	data := genText(20000)
	dir := b.TempDir()
	path := filepath.Join(dir, "order-1.log")
	os.WriteFile(path, data, 0o644)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, _ := NewSource([]string{path}, Options{Needles: []string{"2026112300012345"}})
		if err := src.Read(context.Background(), func([]ingest.Event) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGeneratedAccounting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   []byte
		events int64
	}{
		{"order-1.log", genText(200), 200*2 + 4},
		{"redpacket-1.json.log", genJSON(200), 200 * 3},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, tc.name)
		os.WriteFile(path, tc.data, 0o644)
		_, stats, err := readAll(t, []string{path}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if st := stats[0]; st.Events != tc.events || st.Malformed != 0 {
			t.Errorf("%s: %+v, want %d events", tc.name, st, tc.events)
		}
	}
}
