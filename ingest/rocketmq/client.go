package rocketmq

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds one remoting call (dial, write, read) when Client.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// clientVersion is the version the client announces (MQVersion ordinal of V5_3_3); brokers and name servers
// use it to pick the standard-JSON route encoding.
const clientVersion = 480

// Client is a small read-only remoting client: one connection per call, a timeout per call, no retries (a
// diagnostic tool must not hammer a struggling broker). It only ever sends the read requests listed in this
// package (route, consume stats, max offset, query message, view message).
type Client struct {
	Timeout time.Duration // per call; DefaultTimeout when zero
	// Dial opens a connection; net.Dialer.DialContext when nil (tests swap in a fake).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// AccessKey and SecretKey sign requests for an ACL-enabled cluster (AclClientRPCHook: HMAC-SHA1 over the
	// sorted extFields values and the body). Never printed.
	AccessKey string
	SecretKey string
	// Trace, when set, sees every request frame and response frame (tests capture real bytes with it).
	Trace func(addr string, request, response []byte)

	opaque atomic.Int32
}

// CallError is returned for a response whose code is not success. Code is the broker's response code.
type CallError struct {
	Addr   string
	Code   int
	Remark string
	Req    int
}

func (e *CallError) Error() string {
	r := strings.TrimSpace(e.Remark)
	if r == "" {
		r = "no remark"
	}
	return fmt.Sprintf("%s answered request %d with code %d: %s", e.Addr, e.Req, e.Code, r)
}

// ErrUnreachable is wrapped when a server cannot be connected or does not answer in time.
var ErrUnreachable = errors.New("server unreachable")

// invoke sends one request to addr and reads its response.
func (c *Client) invoke(ctx context.Context, addr string, code int, ext map[string]string, body []byte) (*Command, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := c.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	if ext == nil {
		ext = map[string]string{}
	}
	if c.AccessKey != "" && c.SecretKey != "" {
		ext = sign(ext, body, c.AccessKey, c.SecretKey)
	}
	req := &Command{Code: code, Language: "GO", Version: clientVersion, Opaque: c.opaque.Add(1), ExtFields: ext, Body: body}
	frame, err := EncodeFrame(req)
	if err != nil {
		return nil, err
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: connect %s: %v", ErrUnreachable, addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(frame); err != nil {
		return nil, fmt.Errorf("%w: write to %s: %v", ErrUnreachable, addr, err)
	}
	rec := &recordingReader{r: conn, on: c.Trace != nil}
	for {
		resp, err := ReadFrame(rec)
		if err != nil {
			if errors.Is(err, ErrFrame) {
				return nil, fmt.Errorf("read from %s: %w", addr, err)
			}
			return nil, fmt.Errorf("%w: read from %s (request %d, timeout %s): %v", ErrUnreachable, addr, code, timeout, err)
		}
		if !resp.IsResponse() || resp.Opaque != req.Opaque {
			rec.buf = rec.buf[:0]
			continue // a server-initiated request or a stale response: not ours
		}
		if c.Trace != nil {
			c.Trace(addr, frame, rec.buf)
		}
		return resp, nil
	}
}

type recordingReader struct {
	r   net.Conn
	on  bool
	buf []byte
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if r.on {
		r.buf = append(r.buf, p[:n]...)
	}
	return n, err
}

// sign adds AccessKey and Signature as AclClientRPCHook does: the values of the extFields plus AccessKey, sorted
// by key and concatenated, then the body, HMAC-SHA1 with the secret key, base64.
func sign(ext map[string]string, body []byte, ak, sk string) map[string]string {
	out := make(map[string]string, len(ext)+2)
	for k, v := range ext {
		out[k] = v
	}
	out["AccessKey"] = ak
	var content []byte
	for _, k := range sortedKeys(out) {
		content = append(content, out[k]...)
	}
	content = append(content, body...)
	mac := hmac.New(sha1.New, []byte(sk))
	mac.Write(content)
	out["Signature"] = base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return out
}

// Route asks the name servers, in turn, for a topic's route. A topic that no name server knows is an error
// wrapping ErrTopicNotExist.
func (c *Client) Route(ctx context.Context, namesrvs []string, topic string) (Route, error) {
	var errs []error
	for _, ns := range namesrvs {
		resp, err := c.invoke(ctx, ns, CodeGetRouteInfoByTopic, map[string]string{"topic": topic}, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch resp.Code {
		case RespSuccess:
			return ParseRoute(resp.Body)
		case RespTopicNotExist:
			return Route{}, fmt.Errorf("topic %s: %w (name server %s: %s)", topic, ErrTopicNotExist, ns, strings.TrimSpace(resp.Remark))
		default:
			errs = append(errs, &CallError{Addr: ns, Code: resp.Code, Remark: resp.Remark, Req: CodeGetRouteInfoByTopic})
		}
	}
	if len(errs) == 0 {
		return Route{}, fmt.Errorf("%w: no name server address given", ErrUnreachable)
	}
	return Route{}, fmt.Errorf("route of topic %s: %w", topic, errors.Join(errs...))
}

// ErrTopicNotExist says the name server has no route for the topic.
var ErrTopicNotExist = errors.New("topic does not exist")

// ConsumeStats asks one broker for a group's progress on a topic (GET_CONSUME_STATS). An unknown group answers
// code 0 with consumerOffset 0; an unknown topic an empty table.
func (c *Client) ConsumeStats(ctx context.Context, brokerAddr, group, topic string) (ConsumeStats, error) {
	resp, err := c.invoke(ctx, brokerAddr, CodeGetConsumeStats, map[string]string{"consumerGroup": group, "topic": topic}, nil)
	if err != nil {
		return ConsumeStats{}, err
	}
	if resp.Code != RespSuccess {
		return ConsumeStats{}, &CallError{Addr: brokerAddr, Code: resp.Code, Remark: resp.Remark, Req: CodeGetConsumeStats}
	}
	return ParseConsumeStats(resp.Body)
}

// MaxOffset asks one broker for the end of a queue (GET_MAX_OFFSET): the queue offset the next message will get.
func (c *Client) MaxOffset(ctx context.Context, brokerAddr, topic string, queueID int32) (int64, error) {
	resp, err := c.invoke(ctx, brokerAddr, CodeGetMaxOffset, map[string]string{"topic": topic, "queueId": itoa(int64(queueID))}, nil)
	if err != nil {
		return 0, err
	}
	if resp.Code != RespSuccess {
		return 0, &CallError{Addr: brokerAddr, Code: resp.Code, Remark: resp.Remark, Req: CodeGetMaxOffset}
	}
	v := looseValue{kind: looseNumber, text: resp.ExtFields["offset"]}
	n, ok := v.asInt()
	if !ok {
		return 0, fmt.Errorf("%s: GET_MAX_OFFSET answered without an offset", brokerAddr)
	}
	return n, nil
}

// QueryMessage looks messages up in one broker's index (QUERY_MESSAGE) by key, or by msgId (UNIQ_KEY) when
// unique is set, among messages stored between begin and end (Unix ms). Nothing found is (nil, nil).
func (c *Client) QueryMessage(ctx context.Context, brokerAddr, topic, key string, unique bool, maxNum int, begin, end int64) ([]Message, error) {
	if maxNum <= 0 {
		maxNum = 32
	}
	ext := map[string]string{"topic": topic, "key": key, "maxNum": itoa(int64(maxNum)),
		"beginTimestamp": itoa(begin), "endTimestamp": itoa(end)}
	if unique {
		ext[uniqueKeyQueryFlag] = "true"
	}
	resp, err := c.invoke(ctx, brokerAddr, CodeQueryMessage, ext, nil)
	if err != nil {
		return nil, err
	}
	switch resp.Code {
	case RespSuccess:
		msgs, err := DecodeMessages(resp.Body)
		if err != nil {
			return msgs, fmt.Errorf("%s: QUERY_MESSAGE %s: %w", brokerAddr, key, err)
		}
		return msgs, nil
	case RespQueryNotFound:
		return nil, nil
	}
	return nil, &CallError{Addr: brokerAddr, Code: resp.Code, Remark: resp.Remark, Req: CodeQueryMessage}
}

// ViewMessage reads the message at a commit-log offset (VIEW_MESSAGE_BY_ID). Nothing there is (nil, nil): the
// broker answers SYSTEM_ERROR for an offset it cannot read.
func (c *Client) ViewMessage(ctx context.Context, brokerAddr string, offset int64) (*Message, error) {
	resp, err := c.invoke(ctx, brokerAddr, CodeViewMessageByID, map[string]string{"offset": itoa(offset)}, nil)
	if err != nil {
		return nil, err
	}
	switch resp.Code {
	case RespSuccess:
		m, _, err := DecodeMessage(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: VIEW_MESSAGE_BY_ID %d: %w", brokerAddr, offset, err)
		}
		return &m, nil
	case RespSystemError:
		return nil, nil
	}
	return nil, &CallError{Addr: brokerAddr, Code: resp.Code, Remark: resp.Remark, Req: CodeViewMessageByID}
}
