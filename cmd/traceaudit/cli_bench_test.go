package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/internal/secretscan"
)

// benchEnv is the CLI's environment with output thrown away: the
// benchmarks measure reading, extraction, rules and report writing.
func benchEnv() environment {
	return environment{
		stdin:      eofReader{},
		stdout:     io.Discard,
		stderr:     io.Discard,
		getenv:     func(string) string { return "" },
		isTerminal: func(any) bool { return false },
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// benchCLI runs the CLI on path b.N times and reports MB/s of input.
func benchCLI(b *testing.B, path string, args ...string) {
	b.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		if code := run(append(append([]string{}, args...), path), benchEnv()); code == exitTrouble {
			b.Fatalf("%s: exit %d", path, code)
		}
	}
}

// BenchmarkCLI runs scan and exchanges, in-process, on one committed trace
// per format: the whole path a user's command takes, per input byte.
func BenchmarkCLI(b *testing.B) {
	for _, tc := range []struct{ name, path string }{
		{"har", filepath.Join(samples, "okta-har-analyzer-sample.har")},
		{"pcapng", filepath.Join(samples, "code-reuse-entra-shaped.pcapng")},
		{"saz", filepath.Join("..", "..", "saz", "testdata", "lab", "code-reuse-reload-fosite.saz")},
	} {
		b.Run(tc.name+"/scan", func(b *testing.B) { benchCLI(b, tc.path, "scan", "-f", "json", "--progress", "never") })
		b.Run(tc.name+"/exchanges", func(b *testing.B) {
			benchCLI(b, tc.path, "exchanges", "-f", "jsonl", "--progress", "never")
		})
	}
}

// BenchmarkCLIFile runs scan -f json and exchanges -f jsonl on the file
// named by TRACEAUDIT_BENCH_FILE (bench/run.sh PROFILE=1 points it at its
// generated hundreds-of-megabytes inputs to take CPU and heap profiles
// through the CLI), or on the bundled HAR sample when unset.
func BenchmarkCLIFile(b *testing.B) {
	path := os.Getenv("TRACEAUDIT_BENCH_FILE")
	if path == "" {
		path = filepath.Join(samples, "multi-tab-pkce-spa.har")
	}
	b.Run("scan", func(b *testing.B) { benchCLI(b, path, "scan", "-f", "json", "--progress", "never") })
	b.Run("exchanges", func(b *testing.B) { benchCLI(b, path, "exchanges", "-f", "jsonl", "--progress", "never") })
}

// BenchmarkSweepCost measures what the output sweep (internal/secretscan)
// adds to a command: each iteration runs the command in-process on the
// file named by TRACEAUDIT_BENCH_FILE (the bundled HAR sample when unset)
// with its output captured, then sweeps that output again on its own. It
// reports sweep-%: the sweep's time as a share of the command's.
func BenchmarkSweepCost(b *testing.B) {
	path := os.Getenv("TRACEAUDIT_BENCH_FILE")
	if path == "" {
		path = filepath.Join(samples, "multi-tab-pkce-spa.har")
	}
	for _, args := range [][]string{{"scan", "-f", "json"}, {"exchanges", "-f", "jsonl"}} {
		b.Run(args[0], func(b *testing.B) {
			var cmd, sweep time.Duration
			var outBytes int
			for b.Loop() {
				var out bytes.Buffer
				env := benchEnv()
				env.stdout = &out
				start := time.Now()
				if code := run(append(append([]string{}, args...), "--progress", "never", "--fail-on", "never", path), env); code != exitOK {
					b.Fatalf("%s: exit %d", path, code)
				}
				cmd += time.Since(start)
				start = time.Now()
				secretscan.Redact(out.Bytes())
				sweep += time.Since(start)
				outBytes = out.Len()
			}
			b.ReportMetric(100*float64(sweep)/float64(cmd), "sweep-%")
			b.ReportMetric(float64(outBytes), "out-bytes")
		})
	}
}
