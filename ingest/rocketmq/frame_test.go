package rocketmq

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// frameOf decodes a captured frame file (with its leading total length).
func frameOf(t testing.TB, name string) *Command {
	t.Helper()
	c, err := ReadFrame(bytes.NewReader(readTestdata(t, name)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func TestEncodeFrameRoundTrip(t *testing.T) {
	in := &Command{Code: CodeGetConsumeStats, Language: "GO", Version: clientVersion, Opaque: 7,
		ExtFields: map[string]string{"consumerGroup": "redpacket-consumer", "topic": "pay-success"}, Body: []byte("xyz")}
	b, err := EncodeFrame(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint32(b); int(got) != len(b)-4 {
		t.Fatalf("total length %d, frame is %d bytes", got, len(b))
	}
	if b[4] != serializeJSON {
		t.Fatalf("serialize type byte %d, want 0 (JSON)", b[4])
	}
	out, err := ReadFrame(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	in.Serialize = serializeJSON
	if diff := cmp.Diff(in, out, cmp.AllowUnexported(Command{})); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}

// TestCapturedRequests checks that the requests this client wrote, as captured against the lab broker, decode
// to what was meant (the broker accepted each of them).
func TestCapturedRequests(t *testing.T) {
	for _, tc := range []struct {
		file string
		code int
		ext  map[string]string
	}{
		{"route-pay-success.req.bin", CodeGetRouteInfoByTopic, map[string]string{"topic": "pay-success"}},
		{"consume-stats.req.bin", CodeGetConsumeStats, map[string]string{"consumerGroup": "redpacket-consumer", "topic": "pay-success"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := frameOf(t, tc.file)
			if c.Code != tc.code || c.IsResponse() {
				t.Fatalf("code %d response %v, want request %d", c.Code, c.IsResponse(), tc.code)
			}
			if diff := cmp.Diff(tc.ext, c.ExtFields); diff != "" {
				t.Fatalf("extFields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCapturedResponses(t *testing.T) {
	for _, tc := range []struct {
		file string
		code int
	}{
		{"route-pay-success.resp.bin", RespSuccess},
		{"consume-stats.resp.bin", RespSuccess},
		{"query-key-found.resp.bin", RespSuccess},
		{"query-msgid-found.resp.bin", RespSuccess},
		{"query-not-found.resp.bin", RespQueryNotFound},
		{"view-found.resp.bin", RespSuccess},
		{"view-offset-reused.resp.bin", RespSuccess},
		{"view-absent.resp.bin", RespSystemError},
		{"max-offset.resp.bin", RespSuccess},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := frameOf(t, tc.file)
			if !c.IsResponse() || c.Code != tc.code {
				t.Fatalf("response %v code %d (remark %q), want response code %d", c.IsResponse(), c.Code, c.Remark, tc.code)
			}
		})
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	for name, b := range map[string][]byte{
		"short":           {0, 0},
		"header too long": {0, 0, 0, 9, '{', '}'},
		"bad serialize":   {7, 0, 0, 2, '{', '}'},
		"bad json":        {0, 0, 0, 2, '{', '['},
		"rocketmq short":  {1, 0, 0, 2, 0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeFrame(b); !errors.Is(err, ErrFrame) {
				t.Fatalf("err = %v, want ErrFrame", err)
			}
		})
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0x7f, 0, 0, 0})); !errors.Is(err, ErrFrame) {
		t.Fatalf("huge length: err = %v, want ErrFrame", err)
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{0, 0, 0, 10, 0, 0})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: err = %v, want unexpected EOF", err)
	}
}

// TestRocketMQHeader decodes a binary (ROCKETMQ serialize type) header built as RocketMQSerializable writes it.
func TestRocketMQHeader(t *testing.T) {
	var h []byte
	h = binary.BigEndian.AppendUint16(h, 22) // code
	h = append(h, 0)                         // JAVA
	h = binary.BigEndian.AppendUint16(h, 480)
	h = binary.BigEndian.AppendUint32(h, 9) // opaque
	h = binary.BigEndian.AppendUint32(h, 1) // response
	h = binary.BigEndian.AppendUint32(h, 2)
	h = append(h, "no"...)
	var ext []byte
	ext = binary.BigEndian.AppendUint16(ext, 1)
	ext = append(ext, 'k')
	ext = binary.BigEndian.AppendUint32(ext, 2)
	ext = append(ext, "vv"...)
	h = binary.BigEndian.AppendUint32(h, uint32(len(ext)))
	h = append(h, ext...)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(h))|1<<24)
	frame = append(frame, h...)
	c, err := DecodeFrame(frame)
	if err != nil {
		t.Fatal(err)
	}
	want := &Command{Code: 22, Language: "JAVA", Version: 480, Opaque: 9, Flag: 1, Remark: "no", ExtFields: map[string]string{"k": "vv"}, Serialize: 1}
	if diff := cmp.Diff(want, c, cmp.AllowUnexported(Command{})); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func TestSign(t *testing.T) {
	// Same input as rocketmq-client-go internal/remote/interceptor_test.go Test_CalculateSignature.
	out := sign(map[string]string{}, []byte("Hello RocketMQ Client ACL Feature"), "", "adiaushdiaushd")
	if got, want := out["Signature"], "tAb/54Rwwcq+pbH8Loi7FWX4QSQ="; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, name := range []string{"route-pay-success.resp.bin", "consume-stats.resp.bin", "query-key-found.resp.bin", "view-found.resp.bin"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err == nil && len(b) > 4 {
			f.Add(b[4:])
		}
	}
	f.Add([]byte{1, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeFrame(b)
		if err != nil {
			return
		}
		if c.Serialize == serializeJSON {
			if _, err := EncodeFrame(c); err != nil && len(b) < MaxFrameLen {
				t.Fatalf("decoded frame does not encode: %v", err)
			}
		}
	})
}
