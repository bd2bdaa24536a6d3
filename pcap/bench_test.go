package pcap

import (
	"bytes"
	"io"
	"testing"

	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

// BenchmarkReader reads a generated capture of many interleaved keep-alive
// connections (about 12 MB); MB/s and allocations are per capture byte.
func BenchmarkReader(b *testing.B) {
	cfg := capgen.DefaultConfig
	cfg.Conns = 500
	var buf bytes.Buffer
	st, err := capgen.Write(&buf, cfg)
	if err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != st.Exchanges {
			b.Fatalf("%d exchanges, want %d", n, st.Exchanges)
		}
	}
}

// TestInterleavedOrder reads many concurrent connections: every exchange
// comes out once, in the order its request began.
func TestInterleavedOrder(t *testing.T) {
	cfg := capgen.Config{Conns: 40, Concurrent: 9, PerConn: 3, BodyBytes: 3000, SegmentSize: 1000}
	var buf bytes.Buffer
	st, err := capgen.Write(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	exs, notes := readBytes(t, buf.Bytes())
	if len(exs) != st.Exchanges {
		t.Fatalf("%d exchanges, want %d", len(exs), st.Exchanges)
	}
	last := 0
	for i, ex := range exs {
		f := refFrame(ex.Ref)
		if ex.Index != i || f <= last || ex.Response == nil || len(ex.Response.Body.Data) != cfg.BodyBytes {
			t.Fatalf("exchange %d: index %d, %s after frame %d, response %v", i, ex.Index, ex.Ref, last, ex.Response != nil)
		}
		last = f
	}
	if len(notes) != 0 {
		t.Errorf("notes: %v", notes)
	}
}
