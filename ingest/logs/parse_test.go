package logs

import (
	"strings"
	"testing"
	"time"
)

func ns(s string) int64 {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UnixNano()
}

func TestParseStamp(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		loc  *time.Location
		want string // RFC3339; "" = no stamp
		n    int
	}{
		{"2026-11-23 08:15:02.123 INFO", nil, "2026-11-23T08:15:02.123Z", 23},
		{"2026-11-23 08:15:02,123 INFO", nil, "2026-11-23T08:15:02.123Z", 23},
		{"2026-11-23 08:15:02 INFO", nil, "2026-11-23T08:15:02Z", 19},
		{"2026-11-23T08:15:02.123Z x", nil, "2026-11-23T08:15:02.123Z", 24},
		{"2026-11-23T16:15:02.160+08:00", nil, "2026-11-23T08:15:02.16Z", 29},
		{"2026-11-23T16:15:02+0800 x", nil, "2026-11-23T08:15:02Z", 24},
		{"2026-11-23 16:15:02.123 +08:00 x", nil, "2026-11-23T08:15:02.123Z", 30},
		{"2026-11-23T03:15:02.123456789-05:00", nil, "2026-11-23T08:15:02.123456789Z", 35},
		{"2026/11/23 08:15:02.5", nil, "2026-11-23T08:15:02.5Z", 21},
		{"2026-11-23 16:15:02.123 INFO", shanghai, "2026-11-23T08:15:02.123Z", 23},
		{"2026-11-23 16:15:02.123Z", shanghai, "2026-11-23T16:15:02.123Z", 24},
		{"2024-02-29 00:00:00", nil, "2024-02-29T00:00:00Z", 19},
		{"1969-12-31 23:59:59", nil, "1969-12-31T23:59:59Z", 19},
		{"2026-11-23 08:15", nil, "", 0},
		{"2026-13-23 08:15:02", nil, "", 0},
		{"2026-11-23x08:15:02", nil, "", 0},
		{"\tat org.foo.Bar(Bar.java:1)", nil, "", 0},
		{"", nil, "", 0},
	}
	for _, tt := range tests {
		got, n, ok := parseStamp([]byte(tt.in), tt.loc)
		if tt.want == "" {
			if ok {
				t.Errorf("parseStamp(%q) = %d, want no stamp", tt.in, got)
			}
			continue
		}
		if !ok || got != ns(tt.want) || n != tt.n {
			t.Errorf("parseStamp(%q) = %s, %d, %v; want %s, %d", tt.in, time.Unix(0, got).UTC().Format(time.RFC3339Nano), n, ok, tt.want, tt.n)
		}
	}
}

func TestParseTimeValue(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2026-11-23T16:15:02.160+08:00", "2026-11-23T08:15:02.16Z"},
		{"1795421702", "2026-11-23T08:15:02Z"},
		{"1795421702.5", "2026-11-23T08:15:02.5Z"},
		{"1795421702131", "2026-11-23T08:15:02.131Z"},
		{"1795421702131000", "2026-11-23T08:15:02.131Z"},
		{"1795421702131000000", "2026-11-23T08:15:02.131Z"},
		{"2026-11-23 08:15:02,131", "2026-11-23T08:15:02.131Z"},
		{"yesterday", ""},
		{"2026-11-23T08:15:02Z trailing", ""},
		{"-5", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := parseTimeValue([]byte(tt.in), nil)
		if tt.want == "" {
			if ok {
				t.Errorf("parseTimeValue(%q) = %d, want failure", tt.in, got)
			}
			continue
		}
		if !ok || got != ns(tt.want) {
			t.Errorf("parseTimeValue(%q) = %s %v, want %s", tt.in, time.Unix(0, got).UTC().Format(time.RFC3339Nano), ok, tt.want)
		}
	}
}

func TestParseTextLine(t *testing.T) {
	tests := []struct {
		in                         string
		level, thread, logger, msg string
	}{
		{"2026-11-23 08:15:02.123 INFO  [http-nio-8080-exec-7] c.h.order.PayCallbackController - payment callback ok, order paid orderId=1",
			"INFO", "http-nio-8080-exec-7", "c.h.order.PayCallbackController", "payment callback ok, order paid orderId=1"},
		{"2026-11-23 08:15:02,123 [main] WARN com.x.Y - hello - world", "WARN", "main", "com.x.Y", "hello - world"},
		{"2026-11-23T08:15:02.123+08:00  ERROR c.x.Y - boom", "ERROR", "", "c.x.Y", "boom"},
		{"2026-11-23 08:15:02.123 INFO - bare message", "INFO", "", "", "bare message"},
		{"2026-11-23 08:15:02.123 INFO no logger here key=v", "INFO", "", "", "no logger here key=v"},
		{"2026-11-23 08:15:02.123  WARN [pool 1 thread] x - m", "WARN", "pool 1 thread", "x", "m"},
		{"2026-11-23 08:15:02.123", "", "", "", ""},
		// log4j "[%d] [%-5p] %c: %m" and variants.
		{"[2026-11-23 10:00:00,200] [INFO ] BonusListener: got message id=7f keys=A100", "INFO", "", "BonusListener", "got message id=7f keys=A100"},
		{"[2026-11-23T10:00:00.200Z] [ERROR] [worker-3] c.x.Bonus: failed: pool exhausted", "ERROR", "worker-3", "c.x.Bonus", "failed: pool exhausted"},
		{"2026-11-23 10:00:00.200 INFO ratio: 3 of 4 done", "INFO", "", "", "ratio: 3 of 4 done"},
		// Level first.
		{"INFO 2026-11-23 10:00:00,123 order 77 paid", "INFO", "", "", "order 77 paid"},
		{"[WARN] 2026-11-23T10:00:00Z [main] c.x.Pay - order 78 paid", "WARN", "main", "c.x.Pay", "order 78 paid"},
	}
	for _, tt := range tests {
		h, ok := parseTextLine([]byte(tt.in), nil)
		if !ok {
			t.Errorf("parseTextLine(%q) failed", tt.in)
			continue
		}
		got := []string{string(h.level), string(h.thread), string(h.logger), string(h.msg)}
		want := []string{tt.level, tt.thread, tt.logger, tt.msg}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("parseTextLine(%q)\n got %q\nwant %q", tt.in, got, want)
		}
	}
}

func TestNextKV(t *testing.T) {
	tests := []struct {
		in   string
		want string // k=v|k=v
		bad  bool
	}{
		{`send ok orderId=42 key=42 status=SEND_OK`, `orderId=42|key=42|status=SEND_OK`, false},
		{`failed error="send request timeout after 3000ms" attempt=1`, `error=send request timeout after 3000ms|attempt=1`, false},
		{`a="say \"hi\"\n" b=2`, "a=say \"hi\"\n|b=2", false},
		{`orderId=42, userId=u1; amount=3.00`, `orderId=42|userId=u1|amount=3.00`, false},
		{`x = y z=1 =3 log.level=info @ts=5`, `z=1|log.level=info|@ts=5`, false},
		{`empty= next=1`, `empty=|next=1`, false},
		{`cut="no end`, `cut=no end`, true},
		{`no pairs at all`, ``, false},
		// RocketMQ's SendResult.toString(), as Java producers log it.
		{`SendResult [sendStatus=SEND_OK, msgId=7F01, offsetMsgId=0A0B, messageQueue=MessageQueue [topic=pay-success, brokerName=broker-a, queueId=3], queueOffset=10234]`,
			`sendStatus=SEND_OK|msgId=7F01|offsetMsgId=0A0B|messageQueue=MessageQueue|topic=pay-success|brokerName=broker-a|queueId=3|queueOffset=10234`, false},
		{`tags=[a] (x=1)`, `tags=[a]|x=1`, false},
	}
	for _, tt := range tests {
		var got []string
		bad := false
		for i, ok := 0, true; ok; {
			var p kvPair
			var b bool
			p, i, ok, b = nextKV([]byte(tt.in), i)
			bad = bad || b
			if ok {
				got = append(got, string(p.key)+"="+string(p.val))
			}
		}
		if strings.Join(got, "|") != tt.want || bad != tt.bad {
			t.Errorf("kv(%q) = %q bad=%v, want %q bad=%v", tt.in, strings.Join(got, "|"), bad, tt.want, tt.bad)
		}
	}
}

func newTestScanner(names ...string) *jsonScanner {
	s := &SourceSpec{Name: "t", HostField: ""}
	s.TimeFields, s.MessageFields, s.LevelFields = []string{"@timestamp"}, []string{"message"}, []string{"log.level"}
	s.Rules = []*Rule{{Name: "r", literal: []byte("x"), Extract: map[string]*Extractor{}}}
	ex := &Extractor{}
	for _, n := range names {
		ex.alts = append(ex.alts, extractAlt{name: n})
	}
	s.Rules[0].extract = []fieldExtract{{field: fOrderID, ex: ex}}
	s.compile()
	return &jsonScanner{paths: &s.paths, vals: make([][]byte, len(s.names))}
}

func TestJSONScanner(t *testing.T) {
	names := []string{"@timestamp", "message", "log.level", "mq.msgId", "mq.keys", "host.name", "a.b.c", "n", "arr", "obj"}
	tests := []struct {
		in   string
		want map[string]string // absent = not found
		err  string
	}{
		{`{"@timestamp":"2026","log.level":"INFO","message":"hi","mq":{"msgId":"AB","keys":"k1 k2","queueId":3}}`,
			map[string]string{"@timestamp": "2026", "log.level": "INFO", "message": "hi", "mq.msgId": "AB", "mq.keys": "k1 k2"}, ""},
		{`{"log":{"level":"WARN"},"host":{"name":"h1"},"mq.msgId":"CD"}`,
			map[string]string{"log.level": "WARN", "host.name": "h1", "mq.msgId": "CD"}, ""},
		{` { "a" : { "b" : { "c" : 12.5e3 } } , "n" : null } `, map[string]string{"a.b.c": "12.5e3"}, ""},
		{`{"message":"tab\there \"q\" \u00e9 \ud83d\ude00 \/"}`, map[string]string{"message": "tab\there \"q\" é 😀 /"}, ""},
		{`{"arr":["a",1,{"x":1},"b"],"obj":{"k":[1,2]}}`, map[string]string{"arr": "a 1 b", "obj": `{"k":[1,2]}`}, ""},
		{`{"other":{"deep":[{"x":"}"}]},"message":"after"}`, map[string]string{"message": "after"}, ""},
		{`{"message":"dup1","message":"dup2"}`, map[string]string{"message": "dup1"}, ""},
		{`{}`, map[string]string{}, ""},
		{`{"message":"cut`, nil, "unterminated string"},
		{`{"message":"x",}`, nil, "want a key string"},
		{`{"message":"x"} tail`, nil, "text after the object"},
		{`["not","object"]`, nil, "not a JSON object"},
		{`{"a":tru}`, nil, "want a value"},
		{`{"message":"bad \x escape"}`, nil, "bad escape"},
		{`{"mq":{"msgId":"AB"`, nil, "unexpected end of line"},
		{`{"a":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, nil, "nested too deep"},
	}
	for _, tt := range tests {
		s := newTestScanner(names...)
		err := s.scan([]byte(tt.in))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("scan(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("scan(%q): %v", tt.in, err)
			continue
		}
		for _, n := range names {
			slot, ok, _ := s.paths.lookup([]byte(n))
			if !ok {
				t.Fatalf("%s has no slot", n)
			}
			v := s.vals[slot]
			want, found := tt.want[n]
			if found != (v != nil) || string(v) != want {
				t.Errorf("scan(%q)[%s] = %q (found %v), want %q (found %v)", tt.in, n, v, v != nil, want, found)
			}
		}
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, head string
		full       bool
		want       string
	}{
		{"logback", "2026-11-23 08:15:02.123 INFO  [main] x - y\n", false, "logback"},
		{"logback after banner", "  .   ____\n /\\\\ / ___'\n=========\n2026-11-23 08:15:02.123 INFO  [main] x - y\n2026-11-23 08:15:02.124 INFO  [main] x - z\n", false, "logback"},
		{"json", "\n\n{\"a\":1}\n", false, "json"},
		{"logfmt", "ts=2026-11-23T08:15:02Z level=info msg=hi\n", false, "logfmt"},
		{"trace", "Pub\x011795421702131\x01r\x01g\x02\n", false, "trace"},
		{"not trace", "hello \x01 \x02\n", false, ""},
		{"unknown", "hello world\n", false, ""},
		{"cut last line ignored", "garbage\n{\"a\":", true, ""},
		{"empty", "", false, ""},
	}
	for _, tt := range tests {
		if got := detectFormat([]byte(tt.head), tt.full); got != tt.want {
			t.Errorf("%s: detectFormat = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestIsContinuation(t *testing.T) {
	tests := []struct {
		line  string
		after bool
		want  bool
	}{
		{"\tat org.apache.Foo.bar(Foo.java:1)", false, true},
		{"    at org.apache.Foo.bar(Foo.java:1)", false, true},
		{"Caused by: java.net.SocketException: reset", false, true},
		{"\t... 12 more", false, true},
		{"... 12 more", false, true},
		{"Suppressed: x.Y", false, true},
		{"org.apache.rocketmq.client.exception.MQBrokerException: CODE: 14", true, true},
		{"org.apache.rocketmq.client.exception.MQBrokerException: CODE: 14", false, false},
		{"java.lang.NullPointerException", true, true},
		{"com.foo.Outer$Inner: x", true, true},
		{"Exception in thread \"main\" java.lang.Error", true, true},
		{"hello world", true, false},
		{"c.h.order.lower: x", true, false},
		{"2026-11-23 08:15:02.123 INFO x", true, false},
		{"", true, false},
	}
	for _, tt := range tests {
		if got := isContinuation([]byte(tt.line), tt.after); got != tt.want {
			t.Errorf("isContinuation(%q, %v) = %v, want %v", tt.line, tt.after, got, tt.want)
		}
	}
}

func TestContainsFold(t *testing.T) {
	tests := []struct {
		line, needle string
		want         bool
	}{
		{"orderId=2026112300000042 x", "2026112300000042", true},
		{"msgId=0a0b0c0d00002a9f3b1c5e7a00000001", "0A0B0C0D00002A9F3B1C5E7A00000001", true},
		{"msgId=0a0b0c0d00002a9f3b1c5e7a00000002", "0A0B0C0D00002A9F3B1C5E7A00000001", false},
		{"xx ABC yy", "abc", true},
		{"xx ABD yy", "abc", false},
		{"RP-ab12", "rp-AB12", true},
		{"short", "a-much-longer-needle", false},
	}
	for _, tt := range tests {
		n := newNeedle(tt.needle)
		if got := containsFold([]byte(tt.line), n.lower, n.anchor, n.anchorAt); got != tt.want {
			t.Errorf("containsFold(%q, %q) = %v, want %v", tt.line, tt.needle, got, tt.want)
		}
	}
}

func TestRotationOrder(t *testing.T) {
	in := []string{
		"logs/order-service/order-2.log",
		"logs/order-service/order-1.log",
		"logs/order-service/order-1.2026-11-23.1.log.gz",
		"logs/order-service/order-1.2026-11-23.0.log.gz",
		"logs/order-service/order-1.2026-11-22.0.log.gz",
		"logs/order-service/order-2.2026-11-23.0.log.gz",
		"var/app.log.1",
		"var/app.log",
		"var/app.log.2.gz",
		"var/app-2026-11-23.log",
		"var/app-2026-11-22.log",
	}
	want := []string{
		"logs/order-service/order-1.2026-11-22.0.log.gz",
		"logs/order-service/order-1.2026-11-23.0.log.gz",
		"logs/order-service/order-1.2026-11-23.1.log.gz",
		"logs/order-service/order-1.log",
		"logs/order-service/order-2.2026-11-23.0.log.gz",
		"logs/order-service/order-2.log",
		"var/app.log.2.gz",
		"var/app.log.1",
		"var/app-2026-11-22.log",
		"var/app-2026-11-23.log",
		"var/app.log",
	}
	files := make([]inputFile, len(in))
	for i, p := range in {
		files[i] = inputFile{path: p}
	}
	sortRotated(files)
	var got []string
	for _, f := range files {
		got = append(got, f.path)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
