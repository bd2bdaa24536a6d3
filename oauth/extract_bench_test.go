package oauth

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// BenchmarkAppendExchange measures the extractor alone over the exchanges
// of the HAR named by TRACEAUDIT_BENCH_FILE (the bundled sample when
// unset), read once before timing: one op is the whole trace through a
// fresh Extractor, as a scan runs it.
func BenchmarkAppendExchange(b *testing.B) {
	path := os.Getenv("TRACEAUDIT_BENCH_FILE")
	if path == "" {
		path = filepath.Join("..", "testdata", "samples", "multi-tab-pkce-spa.har")
	}
	exs := readHAR(b, path)
	if len(exs) == 0 {
		b.Fatalf("%s: no exchanges", path)
	}
	b.ReportAllocs()
	var scratch []model.Event
	events := 0
	for b.Loop() {
		x := NewExtractor()
		events = 0
		for _, ex := range exs {
			scratch = x.AppendExchange(scratch[:0], ex)
			events += len(scratch)
		}
	}
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(exs)), "ns/exchange")
}
