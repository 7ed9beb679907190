package rocketmq

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Commit-log record constants (org.apache.rocketmq.common.message.MessageDecoder, MessageSysFlag, MessageConst).
const (
	magicV1         = -626843481 // MESSAGE_MAGIC_CODE: topic length is 1 byte
	magicV2         = -626843477 // MESSAGE_MAGIC_CODE_V2: topic length is 2 bytes
	blankMagic      = -875286124 // end-of-file filler of a commit-log file
	flagBornHostV6  = 1 << 4
	flagStoreHostV6 = 1 << 5
	propUniqKey     = "UNIQ_KEY"
	propKeys        = "KEYS"
	propTags        = "TAGS"
	propRealTopic   = "REAL_TOPIC"
	propReconsume   = "RECONSUME_TIME"
	propSep         = '\x02' // PROPERTY_SEPARATOR
	nameValueSep    = '\x01' // NAME_VALUE_SEPARATOR
)

// Message is one decoded commit-log record, as QUERY_MESSAGE and VIEW_MESSAGE_BY_ID answer them. The body is not
// kept (hoptrace never needs it).
type Message struct {
	StoreSize      int32
	QueueID        int32
	Flag           int32
	QueueOffset    int64
	PhysicalOffset int64 // commit-log offset
	SysFlag        int32
	BornTimestamp  int64 // ms
	BornHost       string
	StoreTimestamp int64 // ms
	StoreHost      string
	ReconsumeTimes int32
	BodyLen        int32
	Topic          string
	Properties     map[string]string

	MsgID       string   // the UNIQ_KEY property (upper-case hex), "" if absent
	Keys        []string // the KEYS property, split on spaces
	OffsetMsgID string   // hex(store host IP + port + physical offset), upper-case, as MessageDecoder.createMessageId
}

// ErrRecord is wrapped by every error about a malformed commit-log record.
var ErrRecord = errors.New("malformed message record")

// DecodeMessages decodes records back to back (a QUERY_MESSAGE body). It stops at the first malformed record and
// returns the records before it with the error.
func DecodeMessages(b []byte) ([]Message, error) {
	var out []Message
	for len(b) > 0 {
		m, n, err := DecodeMessage(b)
		if err != nil {
			return out, fmt.Errorf("record %d: %w", len(out)+1, err)
		}
		out = append(out, m)
		b = b[n:]
	}
	return out, nil
}

// DecodeMessage decodes the record at the start of b and returns it and its length. It never panics.
func DecodeMessage(b []byte) (Message, int, error) {
	var m Message
	r := recReader{b: b}
	m.StoreSize = r.i32()
	if r.err != nil {
		return m, 0, r.err
	}
	if m.StoreSize < 4*5+8*2 || int(m.StoreSize) > len(b) {
		return m, 0, fmt.Errorf("%w: total size %d (have %d bytes)", ErrRecord, m.StoreSize, len(b))
	}
	r.b = b[:m.StoreSize] // never read past this record
	magic := r.i32()
	topicLenBytes := 0
	switch magic {
	case magicV1:
		topicLenBytes = 1
	case magicV2:
		topicLenBytes = 2
	case blankMagic:
		return m, 0, fmt.Errorf("%w: end-of-file blank, not a message", ErrRecord)
	default:
		return m, 0, fmt.Errorf("%w: magic code %#x", ErrRecord, uint32(magic))
	}
	r.i32() // body CRC
	m.QueueID = r.i32()
	m.Flag = r.i32()
	m.QueueOffset = r.i64()
	m.PhysicalOffset = r.i64()
	m.SysFlag = r.i32()
	m.BornTimestamp = r.i64()
	m.BornHost = r.host(m.SysFlag&flagBornHostV6 != 0)
	m.StoreTimestamp = r.i64()
	storeIP := r.peekHostIP(m.SysFlag&flagStoreHostV6 != 0)
	m.StoreHost = r.host(m.SysFlag&flagStoreHostV6 != 0)
	storePort := r.lastPort
	m.ReconsumeTimes = r.i32()
	r.i64() // prepared transaction offset
	m.BodyLen = r.i32()
	if m.BodyLen < 0 {
		return m, 0, fmt.Errorf("%w: body length %d", ErrRecord, m.BodyLen)
	}
	r.skip(int(m.BodyLen))
	var tl int
	if topicLenBytes == 1 {
		tl = int(r.u8())
	} else {
		tl = int(uint16(r.i16()))
	}
	m.Topic = string(r.bytes(tl))
	pl := int(uint16(r.i16()))
	props := r.bytes(pl)
	if r.err != nil {
		return m, 0, r.err
	}
	if len(props) > 0 {
		m.Properties = parseProperties(props)
		m.MsgID = strings.ToUpper(strings.TrimSpace(m.Properties[propUniqKey]))
		m.Keys = append(m.Keys, strings.Fields(m.Properties[propKeys])...)
	}
	if storeIP != nil {
		id := make([]byte, 0, len(storeIP)+12)
		id = append(id, storeIP...)
		id = binary.BigEndian.AppendUint32(id, uint32(storePort))
		id = binary.BigEndian.AppendUint64(id, uint64(m.PhysicalOffset))
		m.OffsetMsgID = strings.ToUpper(hex.EncodeToString(id))
	}
	return m, int(m.StoreSize), nil
}

// parseProperties reads k\x01v\x02 pairs (MessageDecoder.string2messageProperties).
func parseProperties(b []byte) map[string]string {
	out := make(map[string]string, 8)
	for len(b) > 0 {
		var kv []byte
		if i := indexByte(b, propSep); i >= 0 {
			kv, b = b[:i], b[i+1:]
		} else {
			kv, b = b, nil
		}
		if i := indexByte(kv, nameValueSep); i > 0 {
			out[string(kv[:i])] = string(kv[i+1:])
		}
	}
	return out
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// recReader reads big-endian fields and remembers the first error instead of panicking.
type recReader struct {
	b        []byte
	i        int
	err      error
	lastPort int32
}

func (r *recReader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || r.i+n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated at byte %d (need %d more, record is %d bytes)", ErrRecord, r.i, n, len(r.b))
		return false
	}
	return true
}

func (r *recReader) u8() byte {
	if !r.need(1) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *recReader) i16() int16 {
	if !r.need(2) {
		return 0
	}
	r.i += 2
	return int16(binary.BigEndian.Uint16(r.b[r.i-2:]))
}

func (r *recReader) i32() int32 {
	if !r.need(4) {
		return 0
	}
	r.i += 4
	return int32(binary.BigEndian.Uint32(r.b[r.i-4:]))
}

func (r *recReader) i64() int64 {
	if !r.need(8) {
		return 0
	}
	r.i += 8
	return int64(binary.BigEndian.Uint64(r.b[r.i-8:]))
}

func (r *recReader) skip(n int) {
	if r.need(n) {
		r.i += n
	}
}

func (r *recReader) bytes(n int) []byte {
	if !r.need(n) {
		return nil
	}
	r.i += n
	return r.b[r.i-n : r.i]
}

func (r *recReader) peekHostIP(v6 bool) []byte {
	n := 4
	if v6 {
		n = 16
	}
	if r.err != nil || r.i+n > len(r.b) {
		return nil
	}
	return append([]byte(nil), r.b[r.i:r.i+n]...)
}

// host reads an IPv4 or IPv6 address and an int32 port as "ip:port".
func (r *recReader) host(v6 bool) string {
	n := 4
	if v6 {
		n = 16
	}
	ip := r.bytes(n)
	port := r.i32()
	r.lastPort = port
	if r.err != nil {
		return ""
	}
	return net.JoinHostPort(net.IP(ip).String(), strconv.Itoa(int(port)))
}

// ParseOffsetMsgID decodes an offsetMsgId: hex of the store host's IPv4 (or IPv6) address, its port (int32) and
// the commit-log offset (int64): 32 hex digits for IPv4, 56 for IPv6.
func ParseOffsetMsgID(id string) (storeHost string, offset int64, err error) {
	b, err := hex.DecodeString(strings.TrimSpace(id))
	if err != nil || (len(b) != 16 && len(b) != 28) {
		return "", 0, fmt.Errorf("offsetMsgId %q: want 32 (IPv4) or 56 (IPv6) hex digits", id)
	}
	ipLen := len(b) - 12
	port := binary.BigEndian.Uint32(b[ipLen:])
	off := int64(binary.BigEndian.Uint64(b[ipLen+4:]))
	return net.JoinHostPort(net.IP(b[:ipLen]).String(), strconv.Itoa(int(port))), off, nil
}
