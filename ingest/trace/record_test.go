package trace

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hoptrace/hoptrace/ingest"
)

// upstreamGoPub is the expected body of TestMarshal2Bean in apache/rocketmq-client-go internal/trace_test.go.
const upstreamGoPub = "Pub\x011563780533299\x01DefaultRegion\x01ProducerGroupName\x01TopicTest\x01" +
	"0A5DE93A833B18B4AAC26F842A2F0000\x01TagA\x01OrderID1882\x0110.93.233.58:10911\x0111\x013572\x010\x01" +
	"0A5DE93A00002A9F000000000042E322\x01true\x0110.93.233.58\x02"

func TestGoEncoderMatchesUpstream(t *testing.T) {
	got := goEncode(goCtx{typ: TypePub, ts: 1563780533299, region: "DefaultRegion", group: "ProducerGroupName",
		cost: 3572, success: true, beans: []goBean{{topic: "TopicTest", msgID: "0A5DE93A833B18B4AAC26F842A2F0000",
			offsetMsgID: "0A5DE93A00002A9F000000000042E322", tags: "TagA", keys: "OrderID1882",
			storeHost: "10.93.233.58:10911", clientHost: "10.93.233.58", bodyLength: 11}}})
	if got != upstreamGoPub {
		t.Fatalf("goEncode differs from upstream:\n got %q\nwant %q", got, upstreamGoPub)
	}
}

// Sample identifiers of a pay-success message.
const (
	msgID    = "7F0000010F2C18B4AAC2A1B2C3D40001" // UNIQ_KEY
	msgIDlc  = "7f0000010f2c18b4aac2a1b2c3d40001" // the same, as some Go clients print it
	offID    = "7F00000100002A9F0000000000001A2B"
	reqID    = "0A0B0C0D0E0F18B4AAC2000000000007"
	orderKey = "ORDER-20261125-0001"
	payKey   = "PAY-9f8e"
	ts       = int64(1764057600123)
)

func TestDecodeBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []Record
	}{
		{
			name: "go pub (15 fields, clientHost)",
			body: upstreamGoPub,
			want: []Record{{Type: TypePub, TimeMs: 1563780533299, Region: "DefaultRegion", Group: "ProducerGroupName",
				Topic: "TopicTest", MsgID: "0A5DE93A833B18B4AAC26F842A2F0000", Tags: "TagA", Keys: []string{"OrderID1882"},
				StoreHost: "10.93.233.58:10911", BodyLength: 11, CostTime: 3572, OffsetMsgID: "0A5DE93A00002A9F000000000042E322",
				Success: true, ClientHost: "10.93.233.58"}},
		},
		{
			name: "go pub, namespaced group, two keys, no tags, status not SEND_OK",
			body: goEncode(goCtx{typ: TypePub, ts: ts, region: "DefaultRegion", group: "ns%order-producer", cost: 12,
				beans: []goBean{{topic: "pay_success", msgID: msgIDlc, offsetMsgID: offID, keys: orderKey + " " + payKey,
					storeHost: "127.0.0.1:10911", clientHost: "10.0.0.7", bodyLength: 88}}}),
			want: []Record{{Type: TypePub, TimeMs: ts, Region: "DefaultRegion", Group: "order-producer", Topic: "pay_success",
				MsgID: msgIDlc, Keys: []string{orderKey, payKey}, StoreHost: "127.0.0.1:10911", BodyLength: 88, CostTime: 12,
				OffsetMsgID: offID, ClientHost: "10.0.0.7"}},
		},
		{
			name: "java pub (14 fields), null tags",
			body: javaEncode(javaCtx{typ: TypePub, ts: ts, region: "DefaultRegion", group: "order-producer", cost: 3,
				success: true, beans: []javaBean{{topic: "pay_success", msgID: msgID, offsetMsgID: offID, tags: "null",
					keys: orderKey, storeHost: "127.0.0.1:10911", bodyLength: 64, msgType: 3}}}),
			want: []Record{{Type: TypePub, TimeMs: ts, Region: "DefaultRegion", Group: "order-producer", Topic: "pay_success",
				MsgID: msgID, Keys: []string{orderKey}, StoreHost: "127.0.0.1:10911", BodyLength: 64, CostTime: 3, MsgType: 3,
				OffsetMsgID: offID, Success: true}},
		},
		{
			name: "go subBefore (9 fields), empty keys written as null, batch of two",
			body: goEncode(goCtx{typ: TypeSubBefore, ts: ts, region: "DefaultRegion", group: "redpacket-consumer",
				requestID: reqID, beans: []goBean{{msgID: msgIDlc, retryTimes: 2, clientHost: "10.0.0.9"},
					{msgID: "B", keys: orderKey, clientHost: "10.0.0.9"}}}),
			want: []Record{
				{Type: TypeSubBefore, TimeMs: ts, Region: "DefaultRegion", Group: "redpacket-consumer", RequestID: reqID,
					MsgID: msgIDlc, RetryTimes: 2, ClientHost: "10.0.0.9", Success: true},
				{Type: TypeSubBefore, TimeMs: ts, Region: "DefaultRegion", Group: "redpacket-consumer", RequestID: reqID,
					MsgID: "B", Keys: []string{orderKey}, ClientHost: "10.0.0.9", Success: true},
			},
		},
		{
			name: "java subBefore (8 fields), null keys",
			body: javaEncode(javaCtx{typ: TypeSubBefore, ts: ts, region: "DefaultRegion", group: "redpacket-consumer",
				requestID: reqID, beans: []javaBean{{msgID: msgID, keys: "null"}}}),
			want: []Record{{Type: TypeSubBefore, TimeMs: ts, Region: "DefaultRegion", Group: "redpacket-consumer",
				RequestID: reqID, MsgID: msgID, Success: true}},
		},
		{
			name: "go subAfter (9 fields), failed",
			body: goEncode(goCtx{typ: TypeSubAfter, ts: ts + 40, group: "redpacket-consumer", requestID: reqID, cost: 40,
				contextCode: 4, beans: []goBean{{msgID: msgIDlc, keys: orderKey}}}),
			want: []Record{{Type: TypeSubAfter, TimeMs: ts + 40, Group: "redpacket-consumer", RequestID: reqID,
				MsgID: msgIDlc, CostTime: 40, Keys: []string{orderKey}, ContextCode: 4}},
		},
		{
			name: "java subAfter (9 fields)",
			body: javaEncode(javaCtx{typ: TypeSubAfter, ts: ts + 5, group: "redpacket-consumer", requestID: reqID, cost: 5,
				success: true, beans: []javaBean{{msgID: msgID, keys: orderKey}}}),
			want: []Record{{Type: TypeSubAfter, TimeMs: ts + 5, Group: "redpacket-consumer", RequestID: reqID,
				MsgID: msgID, CostTime: 5, Success: true, Keys: []string{orderKey}}},
		},
		{
			name: "java subAfter cloud 5.3.1+ (7 fields and a trailing empty one)",
			body: javaEncode(javaCtx{typ: TypeSubAfter, requestID: reqID, cost: 5, success: true, cloud: true,
				contextCode: 1, beans: []javaBean{{msgID: msgID, keys: orderKey}}}),
			want: []Record{{Type: TypeSubAfter, RequestID: reqID, MsgID: msgID, CostTime: 5, Success: true,
				Keys: []string{orderKey}, ContextCode: 1}},
		},
		{
			name: "java subAfter 4.9.1 (7 fields)",
			body: javaSubAfterOld(javaCtx{typ: TypeSubAfter, requestID: reqID, cost: 5, contextCode: 2,
				beans: []javaBean{{msgID: msgID, keys: "null"}}}),
			want: []Record{{Type: TypeSubAfter, RequestID: reqID, MsgID: msgID, CostTime: 5, ContextCode: 2}},
		},
		{
			name: "java subAfter cloud 5.1.4-5.3.0 (no terminator, runs into the next record)",
			body: javaSubAfterCloudMerged(javaCtx{typ: TypeSubAfter, requestID: reqID, cost: 5, success: true,
				beans: []javaBean{{msgID: msgID, keys: orderKey}, {msgID: "B", keys: "null"}}}) +
				javaEncode(javaCtx{typ: TypeSubBefore, ts: ts, group: "g", requestID: "R2", beans: []javaBean{{msgID: "C", keys: "null"}}}),
			want: []Record{
				{Type: TypeSubAfter, RequestID: reqID, MsgID: msgID, CostTime: 5, Success: true, Keys: []string{orderKey}},
				{Type: TypeSubAfter, RequestID: reqID, MsgID: "B", CostTime: 5, Success: true},
				{Type: TypeSubBefore, TimeMs: ts, Group: "g", RequestID: "R2", MsgID: "C", Success: true},
			},
		},
		{
			name: "java endTransaction",
			body: javaEncode(javaCtx{typ: TypeEndTransaction, ts: ts, region: "DefaultRegion", group: "order-producer",
				beans: []javaBean{{topic: "pay_success", msgID: msgID, tags: "null", keys: orderKey, storeHost: "127.0.0.1:10911",
					msgType: 2, transactionID: "TX1", transactionState: StateRollback, fromTransactionCheck: true}}}),
			want: []Record{{Type: TypeEndTransaction, TimeMs: ts, Region: "DefaultRegion", Group: "order-producer",
				Topic: "pay_success", MsgID: msgID, Keys: []string{orderKey}, StoreHost: "127.0.0.1:10911", MsgType: 2,
				TransactionID: "TX1", TransactionState: StateRollback, FromTransactionCheck: true}},
		},
		{
			name: "java recall",
			body: javaEncode(javaCtx{typ: TypeRecall, ts: ts, region: "DefaultRegion", group: "order-producer", success: true,
				beans: []javaBean{{topic: "pay_success", msgID: msgID}}}),
			want: []Record{{Type: TypeRecall, TimeMs: ts, Region: "DefaultRegion", Group: "order-producer",
				Topic: "pay_success", MsgID: msgID, Success: true}},
		},
		{
			name: "one body per line with CRLF",
			body: javaEncode(javaCtx{typ: TypeRecall, ts: ts, success: true, beans: []javaBean{{msgID: "A"}}}) + "\r\n",
			want: []Record{{Type: TypeRecall, TimeMs: ts, MsgID: "A", Success: true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad := DecodeBody([]byte(tt.body))
			if len(bad) > 0 {
				t.Fatalf("DecodeBody(%q) reported %v", tt.body, bad)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeBody(%q) mismatch (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestDecodeBodyMalformed(t *testing.T) {
	good := javaEncode(javaCtx{typ: TypeRecall, ts: ts, success: true, beans: []javaBean{{msgID: "A"}}})
	pub := strings.TrimSuffix(upstreamGoPub, "\x02")
	tests := []struct {
		name string
		body string
		good int
		bad  []string // want the reasons, in order
	}{
		{"empty body", "", 0, []string{ErrEmptyBody.Error()}},
		{"blank body", "\r\n \n", 0, []string{ErrEmptyBody.Error()}},
		{"pub with 12 fields", "Pub\x01" + strings.Repeat("1\x01", 10) + "1\x02" + good, 1,
			[]string{"record 1: Pub record has 12 fields, want 14 (Java) or 15 (Go)"}},
		{"pub with 13 fields (Java's decoder takes it, no release writes it)", "Pub\x01" + "1764057600123\x01DefaultRegion\x01p\x01pay_success\x01" +
			msgID + "\x01null\x01" + orderKey + "\x01127.0.0.1:10911\x0164\x013\x010\x01true\x02", 0,
			[]string{"record 1: Pub record has 13 fields, want 14 (Java) or 15 (Go)"}},
		{"pub with 16 fields", pub + "\x01extra\x02", 0, []string{"record 1: Pub record has 16 fields, want 14 (Java) or 15 (Go)"}},
		{"subAfter with 8 fields", "SubAfter\x01r\x01m\x011\x01true\x01k\x010\x011\x02", 0,
			[]string{"record 1: SubAfter record has 8 fields, want 9, or 7 (Java without timestamp and group)"}},
		{"non-numeric timestamp", good + strings.Replace(good, "1764057600123", "17640576OO123", 1), 1,
			[]string{`record 2: Recall: timestamp "17640576OO123" is not a timestamp in milliseconds`}},
		{"timestamp overflow", strings.Replace(good, "1764057600123", "99999999999999999999", 1), 0,
			[]string{`record 1: Recall: timestamp "99999999999999999999" is not a timestamp in milliseconds`}},
		{"bad bool", strings.Replace(good, "true", "yes", 1), 0, []string{`record 1: Recall: success "yes" is not true or false`}},
		{"negative retry", "SubBefore\x011\x01r\x01g\x01q\x01m\x01-1\x01k\x02", 0,
			[]string{`record 1: SubBefore: retryTimes "-1" is not a non-negative integer`}},
		{"bad transaction state", "EndTransaction\x011\x01r\x01g\x01t\x01m\x01null\x01k\x01h\x012\x01tx\x01MAYBE\x01false\x02", 0,
			[]string{`record 1: EndTransaction: transactionState "MAYBE" is not COMMIT_MESSAGE, ROLLBACK_MESSAGE or UNKNOW`}},
		{"unknown type", "Sub\x011\x02" + good, 1, []string{`record 1: unknown record type "Sub"`}},
		{"binary garbage", "\x00\xff\xfe\x02\x89PNG\x01\x02", 0,
			[]string{`record 1: unknown record type "\x00\xff\xfe"`, `record 2: unknown record type "\x89PNG"`}},
		{"truncated last record", good + good[:30], 1, []string{"record 2: " + truncatedReason}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad := DecodeBody([]byte(tt.body))
			if len(got) != tt.good {
				t.Errorf("DecodeBody decoded %d records, want %d", len(got), tt.good)
			}
			var reasons []string
			for _, e := range bad {
				reasons = append(reasons, e.Error())
			}
			if diff := cmp.Diff(tt.bad, reasons); diff != "" {
				t.Errorf("DecodeBody(%q) errors (-want +got):\n%s", tt.body, diff)
			}
		})
	}
	if _, bad := DecodeBody(nil); len(bad) != 1 || !errors.Is(bad[0], ErrEmptyBody) {
		t.Errorf("DecodeBody(nil) = %v, want ErrEmptyBody", bad)
	}
	_, bad := DecodeBody([]byte(good + "Pub\x01x\x02"))
	var re *RecordError
	if len(bad) != 1 || !errors.As(bad[0], &re) || re.Index != 2 || re.Offset != int64(len(good)) {
		t.Errorf("RecordError = %+v, want index 2 at offset %d", bad, len(good))
	}
}

func TestRecordEvent(t *testing.T) {
	ref := ingest.Ref{Path: "t.dump", Line: 3, Offset: 99}
	base := func(hop ingest.Hop, st ingest.Status, rule string) ingest.Event {
		ev := ingest.NewEvent()
		ev.Origin, ev.Hop, ev.Status, ev.Rule, ev.Ref = ingest.OriginTrace, hop, st, rule, ref
		ev.Time = ts * 1e6
		ev.MsgID = msgID
		return ev
	}
	pubOK := Record{Type: TypePub, TimeMs: ts, Group: "p", Topic: "pay_success", MsgID: msgIDlc, Keys: []string{orderKey},
		StoreHost: "127.0.0.1:10911", OffsetMsgID: strings.ToLower(offID), Success: true, ClientHost: "10.0.0.7"}
	pubNotOK := pubOK
	pubNotOK.Success, pubNotOK.ClientHost = false, ""
	tests := []struct {
		name string
		rec  Record
		want ingest.Event
		ok   bool
	}{
		{"pub ok", pubOK, func() ingest.Event {
			ev := base(ingest.HopStored, ingest.StatusOK, "trace:Pub")
			ev.OffsetMsgID, ev.Keys, ev.Topic, ev.Group, ev.Broker, ev.Host = offID, []string{orderKey}, "pay_success", "p", "127.0.0.1:10911", "10.0.0.7"
			ev.Result = "SEND_OK"
			return ev
		}(), true},
		{"pub not SEND_OK is still stored", pubNotOK, func() ingest.Event {
			ev := base(ingest.HopStored, ingest.StatusOK, "trace:Pub")
			ev.OffsetMsgID, ev.Keys, ev.Topic, ev.Group, ev.Broker = offID, []string{orderKey}, "pay_success", "p", "127.0.0.1:10911"
			ev.Result = ResultSendNotOK
			return ev
		}(), true},
		{"subBefore", Record{Type: TypeSubBefore, TimeMs: ts, Group: "c", RequestID: reqID, MsgID: msgID, RetryTimes: 3,
			ClientHost: "10.0.0.9", Success: true}, func() ingest.Event {
			ev := base(ingest.HopDelivered, ingest.StatusOK, "trace:SubBefore")
			ev.Group, ev.Retry, ev.Host = "c", 3, "10.0.0.9"
			return ev
		}(), true},
		{"subAfter ok", Record{Type: TypeSubAfter, TimeMs: ts, Group: "c", MsgID: msgID, Success: true}, func() ingest.Event {
			ev := base(ingest.HopConsumed, ingest.StatusOK, "trace:SubAfter")
			ev.Group, ev.Result = "c", "SUCCESS"
			return ev
		}(), true},
		{"subAfter failed", Record{Type: TypeSubAfter, TimeMs: ts, Group: "c", MsgID: msgID, ContextCode: 2}, func() ingest.Event {
			ev := base(ingest.HopConsumed, ingest.StatusFailed, "trace:SubAfter")
			ev.Group, ev.Result, ev.Error = "c", "EXCEPTION", "consume failed: listener returned EXCEPTION"
			return ev
		}(), true},
		{"subAfter without time (unpaired 7-field)", Record{Type: TypeSubAfter, MsgID: msgID, Success: true, ContextCode: 1},
			func() ingest.Event {
				ev := base(ingest.HopConsumed, ingest.StatusOK, "trace:SubAfter")
				ev.Time, ev.Result = 0, "TIME_OUT"
				return ev
			}(), true},
		{"commit", Record{Type: TypeEndTransaction, TimeMs: ts, MsgID: msgID, TransactionState: StateCommit}, func() ingest.Event {
			ev := base(ingest.HopSent, ingest.StatusOK, "trace:EndTransaction")
			ev.Result = StateCommit
			return ev
		}(), true},
		{"rollback", Record{Type: TypeEndTransaction, TimeMs: ts, MsgID: msgID, TransactionState: StateRollback}, func() ingest.Event {
			ev := base(ingest.HopSent, ingest.StatusFailed, "trace:EndTransaction")
			ev.Result, ev.Error = StateRollback, "transaction rolled back"
			return ev
		}(), true},
		{"unknow", Record{Type: TypeEndTransaction, TimeMs: ts, MsgID: msgID, TransactionState: StateUnknown}, func() ingest.Event {
			ev := base(ingest.HopSent, ingest.StatusTimeout, "trace:EndTransaction")
			ev.Result, ev.Error = StateUnknown, "transaction state unknown (UNKNOW): the broker will check it back"
			return ev
		}(), true},
		{"recall", Record{Type: TypeRecall, TimeMs: ts, MsgID: msgID, Success: true}, func() ingest.Event {
			ev := base(ingest.HopSent, ingest.StatusFailed, "trace:Recall")
			ev.Error = "message recalled"
			return ev
		}(), true},
		{"failed recall proves nothing", Record{Type: TypeRecall, TimeMs: ts, MsgID: msgID}, ingest.Event{}, false},
		{"unknown type", Record{Type: "Nope"}, ingest.Event{}, false},
	}
	in := ingest.NewInterner()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.rec.Event(in, ref)
			if ok != tt.ok {
				t.Fatalf("Event ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Event mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContextCodeName(t *testing.T) {
	for code, want := range map[int]string{0: "SUCCESS", 1: "TIME_OUT", 2: "EXCEPTION", 3: "RETURNNULL", 4: "FAILED", 9: "CODE_9"} {
		if got := ContextCodeName(code); got != want {
			t.Errorf("ContextCodeName(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestNormalizeIDAgrees(t *testing.T) {
	for _, s := range []string{"", "null", " NULL ", "undefined", " undefined\t", "0", msgID, msgIDlc, " " + msgIDlc + "\n",
		"abc", "ABCDEFGHIJ", "abcdefghij", "\u00a0null\u00a0", "\u3000" + msgIDlc, "é" + msgID, "éa" + msgID} {
		if got, want := normalizeID(s), ingest.NormalizeID(s); got != want {
			t.Errorf("normalizeID(%q) = %q, ingest.NormalizeID = %q", s, got, want)
		}
		if got, want := isPlaceholder([]byte(s)), ingest.IsPlaceholder(s); got != want {
			t.Errorf("isPlaceholder(%q) = %v, ingest.IsPlaceholder = %v", s, got, want)
		}
	}
}
