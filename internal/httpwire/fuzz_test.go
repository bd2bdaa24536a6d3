package httpwire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

var fuzzLimits = model.Limits{BodyBytes: 1 << 16, InflateBytes: 1 << 16, HeaderBytes: 1 << 14, HeaderCount: 100}

// FuzzReadRequest reads requests until the input ends or fails: no panic,
// bounded bodies, and every error is EOF or wraps ErrMalformed.
func FuzzReadRequest(f *testing.F) {
	for _, tt := range reqTests {
		f.Add([]byte(tt.Raw))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		for range 100 {
			req, err := Options{Limits: fuzzLimits}.ReadRequest(br)
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrMalformed) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
			checkFieldIs(t, req.Headers)
			if int64(len(req.Body.Data)) > fuzzLimits.BodyBytes {
				t.Fatalf("kept %d body bytes", len(req.Body.Data))
			}
		}
	})
}

// FuzzReadResponse is FuzzReadRequest for responses.
func FuzzReadResponse(f *testing.F) {
	for _, tt := range respTests {
		f.Add([]byte(tt.Raw), tt.Method)
	}
	f.Fuzz(func(t *testing.T, data []byte, method string) {
		br := bufio.NewReader(bytes.NewReader(data))
		for range 100 {
			resp, err := ReadResponse(br, method, fuzzLimits)
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrMalformed) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
			checkFieldIs(t, resp.Headers)
			if int64(len(resp.Body.Data)) > fuzzLimits.BodyBytes {
				t.Fatalf("kept %d body bytes", len(resp.Body.Data))
			}
		}
	})
}

// FuzzDecodeContent checks that decoding never exceeds its limit and fails
// only with ErrEncoding.
func FuzzDecodeContent(f *testing.F) {
	f.Add("gzip", gz("hello"))
	f.Add("deflate", []byte{0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x06, 0x2c, 0x02, 0x15})
	f.Add("br", []byte{0x0b, 0x02, 0x80, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x03})
	f.Add("zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x29, 0x00, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f})
	f.Add("gzip, br", []byte("x"))
	f.Fuzz(func(t *testing.T, coding string, data []byte) {
		const limit = 1 << 16
		out, _, err := DecodeContent(coding, data, limit)
		if len(out) > limit {
			t.Fatalf("decoded %d bytes over the limit", len(out))
		}
		if err != nil && !errors.Is(err, ErrEncoding) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
