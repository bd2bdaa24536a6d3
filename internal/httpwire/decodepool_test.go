package httpwire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// TestGzipSizeHint: the trailer sizes the output exactly when it tells the
// truth, and a lying trailer neither breaks decoding nor buys a buffer
// larger than 64 times the input.
func TestGzipSizeHint(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, `{"id":%d,"name":"x%d"},`, i*7919%10007, i*31%97)
	}
	text := b.String()
	z := gz(text)
	out, trunc, err := DecodeContent("gzip", z, 1<<20)
	if err != nil || trunc || string(out) != text || cap(out) != len(text)+1 {
		t.Fatalf("decoded %d bytes (cap %d), truncated %v, err %v", len(out), cap(out), trunc, err)
	}
	lying := bytes.Clone(z)
	binary.LittleEndian.PutUint32(lying[len(lying)-4:], 0xffffffff)
	if h := gzipSizeHint(lying); h != 64*int64(len(lying)) {
		t.Errorf("hint %d for a %d-byte stream", h, len(lying))
	}
	// The trailer's length check now fails: what was decoded is kept.
	out, _, err = DecodeContent("gzip", lying, 1<<20)
	if err == nil || string(out) != text {
		t.Errorf("lying trailer: %d bytes, err %v", len(out), err)
	}
	// Reused readers start clean: a second stream decodes alone.
	out, _, err = DecodeContent("gzip", gz("second"), 100)
	if err != nil || string(out) != "second" {
		t.Errorf("second stream: %q, %v", out, err)
	}
	out, trunc, _ = DecodeContent("gzip", z, 10)
	if !trunc || string(out) != text[:10] {
		t.Errorf("limit: %q, truncated %v", out, trunc)
	}
}
