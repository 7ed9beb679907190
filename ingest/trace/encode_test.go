package trace

import (
	"strconv"
	"strings"
)

// This file rebuilds trace bodies byte for byte as the real encoders write them, so the tests decode what a
// broker really holds.

// goCtx and goBean mirror TraceContext and TraceBean of apache/rocketmq-client-go internal/trace.go
// (commit 2173d070fd1b2ba1eba39e4f694eb7060d008613).
type goCtx struct {
	typ         string
	ts          int64
	region      string
	group       string
	cost        int64
	success     bool
	requestID   string
	contextCode int
	beans       []goBean
}

type goBean struct {
	topic, msgID, offsetMsgID, tags, keys, storeHost, clientHost string
	retryTimes, bodyLength, msgType                              int
}

// goEncode replicates (*TraceContext).marshal2Bean of apache/rocketmq-client-go internal/trace.go:
// contentSplitter '\001' after every field but the last, fieldSplitter '\002' after the last; the group loses a
// "namespace%" prefix; SubBefore and SubAfter write "null" for empty keys (nullWrap); Pub writes keys as is.
func goEncode(c goCtx) string {
	var b strings.Builder
	const cs, fs = '\001', '\002'
	group := c.group
	if ss := strings.Split(group, "%"); len(ss) == 2 {
		group = ss[1]
	}
	nullWrap := func(s string) string {
		if s == "" {
			return "null"
		}
		return s
	}
	switch c.typ {
	case TypePub:
		bean := c.beans[0]
		topic := bean.topic
		if ss := strings.Split(topic, "%"); len(ss) == 2 {
			topic = ss[1]
		}
		for _, f := range []string{c.typ, strconv.FormatInt(c.ts, 10), c.region, group, topic, bean.msgID,
			bean.tags, bean.keys, bean.storeHost, strconv.Itoa(bean.bodyLength), strconv.FormatInt(c.cost, 10),
			strconv.Itoa(bean.msgType), bean.offsetMsgID, strconv.FormatBool(c.success)} {
			b.WriteString(f)
			b.WriteRune(cs)
		}
		b.WriteString(bean.clientHost)
		b.WriteRune(fs)
	case TypeSubBefore:
		for _, bean := range c.beans {
			for _, f := range []string{c.typ, strconv.FormatInt(c.ts, 10), c.region, group, c.requestID,
				bean.msgID, strconv.Itoa(bean.retryTimes), nullWrap(bean.keys)} {
				b.WriteString(f)
				b.WriteRune(cs)
			}
			b.WriteString(bean.clientHost)
			b.WriteRune(fs)
		}
	case TypeSubAfter:
		for _, bean := range c.beans {
			for _, f := range []string{c.typ, c.requestID, bean.msgID, strconv.FormatInt(c.cost, 10),
				strconv.FormatBool(c.success), nullWrap(bean.keys), strconv.Itoa(c.contextCode),
				strconv.FormatInt(c.ts, 10)} {
				b.WriteString(f)
				b.WriteRune(cs)
			}
			b.WriteString(group)
			b.WriteRune(fs)
		}
	}
	return b.String()
}

// javaCtx and javaBean mirror TraceContext and TraceBean of apache/rocketmq
// client/src/main/java/org/apache/rocketmq/client/trace/ (commit 8fc57f1468d182eea11c01e089c0250d647dc5f3).
// A Java null String is written here as "null": StringBuilder.append((String) null) appends "null".
type javaCtx struct {
	typ         string
	ts          int64
	region      string
	group       string
	cost        int
	success     bool
	requestID   string
	contextCode int
	cloud       bool // AccessChannel.CLOUD
	beans       []javaBean
}

type javaBean struct {
	topic, msgID, offsetMsgID, tags, keys, storeHost string
	retryTimes, bodyLength, msgType                  int
	transactionID, transactionState                  string
	fromTransactionCheck                             bool
}

// javaEncode replicates TraceDataEncoder.encoderFromContextBean of apache/rocketmq
// client/src/main/java/org/apache/rocketmq/client/trace/TraceDataEncoder.java (5.3.1 and later): CONTENT_SPLITOR
// (char) 1 between fields, FIELD_SPLITOR (char) 2 after each record; SubAfter on the CLOUD channel ends
// "contextCode\x01\x02" (no timestamp, no group).
func javaEncode(c javaCtx) string {
	var b strings.Builder
	const cs, fs = "\x01", "\x02"
	rec := func(fields ...string) {
		b.WriteString(strings.Join(fields, cs))
		b.WriteString(fs)
	}
	itoa, btoa := strconv.Itoa, strconv.FormatBool
	ts := strconv.FormatInt(c.ts, 10)
	switch c.typ {
	case TypePub:
		bean := c.beans[0]
		rec(c.typ, ts, c.region, c.group, bean.topic, bean.msgID, bean.tags, bean.keys, bean.storeHost,
			itoa(bean.bodyLength), itoa(c.cost), itoa(bean.msgType), bean.offsetMsgID, btoa(c.success))
	case TypeSubBefore:
		for _, bean := range c.beans {
			rec(c.typ, ts, c.region, c.group, c.requestID, bean.msgID, itoa(bean.retryTimes), bean.keys)
		}
	case TypeSubAfter:
		for _, bean := range c.beans {
			b.WriteString(strings.Join([]string{c.typ, c.requestID, bean.msgID, itoa(c.cost), btoa(c.success),
				bean.keys, itoa(c.contextCode)}, cs) + cs)
			if !c.cloud {
				b.WriteString(ts + cs + c.group)
			}
			b.WriteString(fs)
		}
	case TypeEndTransaction:
		bean := c.beans[0]
		rec(c.typ, ts, c.region, c.group, bean.topic, bean.msgID, bean.tags, bean.keys, bean.storeHost,
			itoa(bean.msgType), bean.transactionID, bean.transactionState, btoa(bean.fromTransactionCheck))
	case TypeRecall:
		bean := c.beans[0]
		rec(c.typ, ts, c.region, c.group, bean.topic, bean.msgID, btoa(c.success))
	}
	return b.String()
}

// javaSubAfterOld is a SubAfter as Java 4.9.1 and earlier wrote it (TraceDataEncoder.java before commit
// 2cac86626b): "...keys\x01contextCode\x02", no timestamp and no group.
func javaSubAfterOld(c javaCtx) string {
	var b strings.Builder
	for _, bean := range c.beans {
		b.WriteString(strings.Join([]string{c.typ, c.requestID, bean.msgID, strconv.Itoa(c.cost),
			strconv.FormatBool(c.success), bean.keys, strconv.Itoa(c.contextCode)}, "\x01") + "\x02")
	}
	return b.String()
}

// javaSubAfterCloudMerged is a CLOUD-channel SubAfter as Java 5.1.4 to 5.3.0 wrote it (TraceDataEncoder.java
// from commit 16ef575537 until 217fc8da53): "...keys\x01contextCode\x01" with no \x02 at all.
func javaSubAfterCloudMerged(c javaCtx) string {
	var b strings.Builder
	for _, bean := range c.beans {
		b.WriteString(strings.Join([]string{c.typ, c.requestID, bean.msgID, strconv.Itoa(c.cost),
			strconv.FormatBool(c.success), bean.keys, strconv.Itoa(c.contextCode)}, "\x01") + "\x01")
	}
	return b.String()
}
