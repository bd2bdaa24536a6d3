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
