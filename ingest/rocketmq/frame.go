// Package rocketmq reads evidence from a live Apache RocketMQ cluster, strictly read-only: the message traces of
// a window (through rocketmq-client-go's pull consumer, under a reader group of its own that never commits), a
// consumer group's committed offsets, and lookups of one message by key, msgId or offsetMsgId (through a small
// remoting client of its own, because the Go client has no public API for them).
//
// # Remoting frames
//
// A frame is an int32 total length (of everything after it), an int32 whose high byte is the header's serialize
// type (0 JSON, 1 ROCKETMQ binary) and whose low 24 bits are the header length, the header, then the body
// (org.apache.rocketmq.remoting.protocol.RemotingCommand encodeHeader / decode; rocketmq-client-go
// internal/remote/codec.go). A response has bit 0 of flag set and the opaque of its request. All integers are
// big-endian.
package rocketmq

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// Request codes (org.apache.rocketmq.remoting.protocol.RequestCode) this client sends; all of them read.
const (
	CodeQueryMessage             = 12  // QUERY_MESSAGE: messages by key (or by msgId with _UNIQUE_KEY_QUERY)
	CodeGetMaxOffset             = 30  // GET_MAX_OFFSET: the end of one queue
	CodeViewMessageByID          = 33  // VIEW_MESSAGE_BY_ID: one message by commit-log offset (from an offsetMsgId)
	CodeGetRouteInfoByTopic      = 105 // GET_ROUTEINFO_BY_TOPIC: queues and brokers of a topic (name server)
	CodeGetConsumeStats          = 208 // GET_CONSUME_STATS: a group's committed offset per queue
	uniqueKeyQueryFlag           = "_UNIQUE_KEY_QUERY"
	responseFlag                 = 1 // bit 0 of flag: the command is a response
	onewayFlag                   = 2 // bit 1: oneway request
	serializeJSON           byte = 0
	serializeRocketMQ       byte = 1
)

// Response codes (org.apache.rocketmq.remoting.protocol.ResponseCode) the client tells apart.
const (
	RespSuccess       = 0
	RespSystemError   = 1
	RespNoPermission  = 16
	RespTopicNotExist = 17
	RespQueryNotFound = 22
)

// MaxFrameLen is the largest frame accepted (the broker's default com.rocketmq.remoting.frameMaxLength).
const MaxFrameLen = 16 << 20

// Command is one remoting request or response.
type Command struct {
	Code      int
	Language  string
	Version   int
	Opaque    int32
	Flag      int
	Remark    string
	ExtFields map[string]string
	Body      []byte
	// Serialize is the header's serialize type as read (0 JSON, 1 ROCKETMQ); requests are always written as JSON.
	Serialize byte
}

// IsResponse reports whether the command is a response (flag bit 0).
func (c *Command) IsResponse() bool { return c.Flag&responseFlag != 0 }

// jsonHeader is the JSON form of a header, as RemotingCommand and the Go client write it.
type jsonHeader struct {
	Code      int               `json:"code"`
	ExtFields map[string]string `json:"extFields,omitempty"`
	Flag      int               `json:"flag"`
	Language  string            `json:"language"`
	Opaque    int32             `json:"opaque"`
	Remark    string            `json:"remark,omitempty"`
	Serialize string            `json:"serializeTypeCurrentRPC"`
	Version   int               `json:"version"`
}

// EncodeFrame encodes c as one frame with a JSON header.
func EncodeFrame(c *Command) ([]byte, error) {
	h, err := json.Marshal(jsonHeader{Code: c.Code, ExtFields: c.ExtFields, Flag: c.Flag, Language: c.Language,
		Opaque: c.Opaque, Remark: c.Remark, Serialize: "JSON", Version: c.Version})
	if err != nil {
		return nil, fmt.Errorf("encode remoting header: %w", err)
	}
	total := 4 + len(h) + len(c.Body)
	if total > MaxFrameLen || len(h) > 0xFFFFFF {
		return nil, fmt.Errorf("encode remoting frame: %d bytes is over the %d limit", total, MaxFrameLen)
	}
	out := make([]byte, 8, 4+total)
	binary.BigEndian.PutUint32(out[0:], uint32(total))
	binary.BigEndian.PutUint32(out[4:], uint32(len(h))|uint32(serializeJSON)<<24)
	out = append(out, h...)
	return append(out, c.Body...), nil
}

// ErrFrame is wrapped by every error about a malformed frame.
var ErrFrame = errors.New("malformed remoting frame")

// ReadFrame reads one frame from r and decodes it.
func ReadFrame(r io.Reader) (*Command, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(lb[:])
	if n < 4 || n > MaxFrameLen {
		return nil, fmt.Errorf("%w: length %d (want 4..%d)", ErrFrame, n, MaxFrameLen)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return DecodeFrame(buf)
}

// DecodeFrame decodes a frame without its leading total length: the header-length word, the header and the body.
// It never panics; the command's Body is a copy.
func DecodeFrame(b []byte) (*Command, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("%w: %d bytes, too short for a header length", ErrFrame, len(b))
	}
	word := binary.BigEndian.Uint32(b)
	ser, hl := byte(word>>24), int(word&0xFFFFFF)
	if hl > len(b)-4 {
		return nil, fmt.Errorf("%w: header length %d exceeds the frame (%d bytes)", ErrFrame, hl, len(b)-4)
	}
	hdr, body := b[4:4+hl], b[4+hl:]
	var c *Command
	var err error
	switch ser {
	case serializeJSON:
		c, err = decodeJSONHeader(hdr)
	case serializeRocketMQ:
		c, err = decodeRocketMQHeader(hdr)
	default:
		err = fmt.Errorf("%w: unknown serialize type %d", ErrFrame, ser)
	}
	if err != nil {
		return nil, err
	}
	c.Serialize = ser
	if len(body) > 0 {
		c.Body = append([]byte(nil), body...)
	}
	return c, nil
}

// decodeJSONHeader reads a JSON header. extFields values are strings on the wire, but a number or boolean is
// accepted too (kept as written).
func decodeJSONHeader(hdr []byte) (*Command, error) {
	var h struct {
		Code      int                        `json:"code"`
		ExtFields map[string]json.RawMessage `json:"extFields"`
		Flag      int                        `json:"flag"`
		Language  string                     `json:"language"`
		Opaque    int32                      `json:"opaque"`
		Remark    string                     `json:"remark"`
		Version   int                        `json:"version"`
	}
	if err := json.Unmarshal(hdr, &h); err != nil {
		return nil, fmt.Errorf("%w: JSON header: %v", ErrFrame, err)
	}
	c := &Command{Code: h.Code, Flag: h.Flag, Language: h.Language, Opaque: h.Opaque, Remark: h.Remark, Version: h.Version}
	if len(h.ExtFields) > 0 {
		c.ExtFields = make(map[string]string, len(h.ExtFields))
		for k, raw := range h.ExtFields {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				s = string(raw)
			}
			c.ExtFields[k] = s
		}
	}
	return c, nil
}

// decodeRocketMQHeader reads the binary header (RocketMQSerializable.rocketMQProtocolDecode): code int16,
// language byte, version int16, opaque int32, flag int32, remark (int32 length + bytes), extFields (int32 length,
// then int16 key length + key + int32 value length + value, repeated).
func decodeRocketMQHeader(h []byte) (*Command, error) {
	bad := func(what string) error { return fmt.Errorf("%w: ROCKETMQ header: %s", ErrFrame, what) }
	if len(h) < 2+1+2+4+4+4 {
		return nil, bad("too short")
	}
	c := &Command{
		Code:     int(int16(binary.BigEndian.Uint16(h[0:]))),
		Language: languageName(h[2]),
		Version:  int(int16(binary.BigEndian.Uint16(h[3:]))),
		Opaque:   int32(binary.BigEndian.Uint32(h[5:])),
		Flag:     int(int32(binary.BigEndian.Uint32(h[9:]))),
	}
	p := h[13:]
	rl := int(binary.BigEndian.Uint32(p))
	p = p[4:]
	if rl < 0 || rl > len(p) {
		return nil, bad("remark length")
	}
	c.Remark, p = string(p[:rl]), p[rl:]
	if len(p) < 4 {
		return nil, bad("no extFields length")
	}
	el := int(binary.BigEndian.Uint32(p))
	p = p[4:]
	if el < 0 || el > len(p) {
		return nil, bad("extFields length")
	}
	p = p[:el]
	for len(p) > 0 {
		if len(p) < 2 {
			return nil, bad("extFields key length")
		}
		kl := int(binary.BigEndian.Uint16(p))
		p = p[2:]
		if kl > len(p) {
			return nil, bad("extFields key")
		}
		k := string(p[:kl])
		p = p[kl:]
		if len(p) < 4 {
			return nil, bad("extFields value length")
		}
		vl := int(binary.BigEndian.Uint32(p))
		p = p[4:]
		if vl < 0 || vl > len(p) {
			return nil, bad("extFields value")
		}
		if c.ExtFields == nil {
			c.ExtFields = map[string]string{}
		}
		c.ExtFields[k] = string(p[:vl])
		p = p[vl:]
	}
	return c, nil
}

// languageName names LanguageCode ordinals (org.apache.rocketmq.remoting.protocol.LanguageCode).
func languageName(b byte) string {
	names := []string{"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS"}
	if int(b) < len(names) {
		return names[b]
	}
	return "LANG_" + strconv.Itoa(int(b))
}

// sortedKeys returns the keys of m in byte order.
func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
