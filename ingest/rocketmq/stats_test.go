package rocketmq

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestParseConsumeStatsCaptured parses the body the lab broker answered to GET_CONSUME_STATS: object keys.
func TestParseConsumeStatsCaptured(t *testing.T) {
	c := frameOf(t, "consume-stats.resp.bin")
	if !strings.Contains(string(c.Body), `"offsetTable":{{`) {
		t.Fatalf("captured body is not the non-JSON form this test is about: %.200s", c.Body)
	}
	cs, err := ParseConsumeStats(c.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.Queues) != 4 {
		t.Fatalf("%d queues, want 4: %+v", len(cs.Queues), cs.Queues)
	}
	for i, q := range cs.Queues {
		if q.Topic != "pay-success" || q.Broker != "broker-a" || q.QueueID != int32(i) {
			t.Errorf("queue %d: %+v", i, q)
		}
		if q.ConsumerOffset <= 0 || q.ConsumerOffset > q.BrokerOffset {
			t.Errorf("queue %d: consumerOffset %d, brokerOffset %d", i, q.ConsumerOffset, q.BrokerOffset)
		}
	}
}

func TestParseConsumeStats(t *testing.T) {
	body := `{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-b","queueId":1,"topic":"pay-success"}:{"brokerOffset":9,"consumerOffset":7,"lastTimestamp":1764079200000,"pullOffset":8},` +
		`{"brokerName":"broker-a","queueId":0,"topic":"pay-success"}:{"brokerOffset":5,"consumerOffset":5,"lastTimestamp":0,"pullOffset":5}}}`
	cs, err := ParseConsumeStats([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := ConsumeStats{ConsumeTPS: 1.5, Queues: []QueueProgress{
		{Broker: "broker-a", Topic: "pay-success", QueueID: 0, BrokerOffset: 5, ConsumerOffset: 5, PullOffset: 5},
		{Broker: "broker-b", Topic: "pay-success", QueueID: 1, BrokerOffset: 9, ConsumerOffset: 7, PullOffset: 8, LastTimestamp: 1764079200000},
	}}
	if diff := cmp.Diff(want, cs); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	// Unknown topic: an empty table.
	if cs, err := ParseConsumeStats([]byte(`{"consumeTps":0.0,"offsetTable":{}}`)); err != nil || len(cs.Queues) != 0 {
		t.Fatalf("empty table: %+v, %v", cs, err)
	}
	for name, bad := range map[string]string{
		"not an object":  `[1]`,
		"no consumerOff": `{"offsetTable":{{"brokerName":"a","queueId":0,"topic":"t"}:{"brokerOffset":1}}}`,
		"key not object": `{"offsetTable":{"x":{"consumerOffset":1}}}`,
		"truncated":      `{"offsetTable":{{"brokerName":"a","queueId":0,"topic":"t"}:{"consumerOffset":1}`,
		"no queueId":     `{"offsetTable":{{"brokerName":"a","topic":"t"}:{"consumerOffset":1}}}`,
	} {
		if _, err := ParseConsumeStats([]byte(bad)); !errors.Is(err, errLoose) {
			t.Errorf("%s: err = %v, want a parse error", name, err)
		}
	}
}

// TestParseOffsetTableCaptured parses the broker's own consumerOffset.json from the lab: bare integer keys.
func TestParseOffsetTableCaptured(t *testing.T) {
	ot, err := ParseOffsetTable(readTestdata(t, "consumerOffset.json"))
	if err != nil {
		t.Fatal(err)
	}
	qs := ot["pay-success@redpacket-consumer"]
	if len(qs) != 4 {
		t.Fatalf("pay-success@redpacket-consumer: %v (all: %v)", qs, ot)
	}
}

func TestParseRouteCaptured(t *testing.T) {
	r, err := ParseRoute(frameOf(t, "route-pay-success.resp.bin").Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Queues) != 1 || r.Queues[0].Broker != "broker-a" || r.Queues[0].ReadQueues != 4 {
		t.Fatalf("queues %+v", r.Queues)
	}
	if len(r.Brokers) != 1 || r.Brokers[0].MasterAddr() == "" || !strings.HasPrefix(r.Brokers[0].MasterAddr(), "127.0.0.1:") {
		t.Fatalf("brokers %+v", r.Brokers)
	}
}

func TestParseRouteBareKeys(t *testing.T) {
	r, err := ParseRoute([]byte(`{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"b","cluster":"c"}],"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":8,"writeQueueNums":8}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Brokers[0].MasterAddr(); got != "10.0.0.1:10911" {
		t.Fatalf("master %q", got)
	}
}

func TestLooseParser(t *testing.T) {
	for _, ok := range []string{`{}`, `[]`, `{"a":[1,2,{"b":null}],"c":true}`, `{'a':'b'}`, `{a:1,}`, `"\u00e9\ud83d\ude00"`, `{1:{2:3}}`} {
		if _, err := parseLoose([]byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":1 "b":2}`, `[1 2]`, `"abc`, `{}x`, strings.Repeat("[", 100)} {
		if _, err := parseLoose([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParseConsumeStats(f *testing.F) {
	f.Add([]byte(`{"consumeTps":0.0,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"pay-success"}:{"brokerOffset":5,"consumerOffset":5,"lastTimestamp":1,"pullOffset":5}}}`))
	f.Add([]byte(`{"offsetTable":{"pay-success@g":{0:4,1:4}}}`))
	if b, err := readFile("consume-stats.resp.bin"); err == nil {
		if c, err := DecodeFrame(b[4:]); err == nil {
			f.Add(c.Body)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := ParseConsumeStats(b)
		if err == nil {
			for _, q := range cs.Queues {
				if q.Topic == "" || q.QueueID < 0 {
					t.Fatalf("accepted a queue without topic or with a negative id: %+v", q)
				}
			}
		}
		_, _ = ParseOffsetTable(b)
		_, _ = ParseRoute(b)
	})
}
