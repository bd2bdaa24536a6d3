package etl

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkReader reads every frame of the 1.1 MB pktmon capture (30132
// frames in 17 compressed buffers): index, decompression, assembly.
func BenchmarkReader(b *testing.B) {
	data := load(b, "../testdata/pktmon-wifi-http.etl")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), Limits{})
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
		if n != 30132 {
			b.Fatalf("%d frames", n)
		}
	}
}
