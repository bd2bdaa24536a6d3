package httpwire

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDecodeGzip decodes a 40 KB JSON answer, as API calls in a
// capture carry them.
func BenchmarkDecodeGzip(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 40<<10; i++ {
		fmt.Fprintf(&sb, `{"id":%d,"name":"item %d","price":%d.%02d,"tags":["a%d","b%d"]},`, i*7919%100003, i, i%500, i%100, i%37, i%11)
	}
	z := gz(sb.String())
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeContent("gzip", z, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}
