package pcap

import (
	"bytes"
	"sync"
	"testing"

	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

// shortSample is files, or under -short every sixth of them. CI's race step
// passes -short: the tests that read every capture of testdata several ways
// and compare the readings are slowed several times over by the race
// detector, which finds a data race in one pass over a path; the plain test
// step, without -short, still reads every file.
func shortSample(files []string) []string {
	if !testing.Short() {
		return files
	}
	var out []string
	for i, f := range files {
		if i%6 == 0 {
			out = append(out, f)
		}
	}
	return out
}

// shortGen is cfg, or under -short a third of its connections: writing a
// generated capture (gzip and brotli bodies) costs more than reading it,
// several times more under the race detector, and a third of the
// connections still interleave many at once.
func shortGen(cfg capgen.Config) capgen.Config {
	if testing.Short() {
		cfg.Conns /= 3
	}
	return cfg
}

// generatedCaptures holds each capture generated already, by its
// configuration.
var generatedCaptures sync.Map

// generated is capgen's capture for cfg, written once per test binary
// (capgen is deterministic): TestParkedSame, TestSkipBody, TestSkipResponse
// and TestCoroutinesReusedSame read the same configurations. Callers must
// not change the bytes.
func generated(t testing.TB, cfg capgen.Config) []byte {
	t.Helper()
	if b, ok := generatedCaptures.Load(cfg); ok {
		return b.([]byte)
	}
	var buf bytes.Buffer
	if _, err := capgen.Write(&buf, cfg); err != nil {
		t.Fatal(err)
	}
	b, _ := generatedCaptures.LoadOrStore(cfg, buf.Bytes())
	return b.([]byte)
}
