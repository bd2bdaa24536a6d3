package main

import "testing"

// Under -short, which CI's race step passes, the tests that repeat one path
// over every trace of the repository or over every output format take a
// sample. The race detector looks for data races, which one pass over each
// path finds, and it slows these tests several times over (the package took
// nearly 10 minutes under it on a slow 2-core machine); the plain test step,
// without -short, still runs every trace and every format.

// shortReportRuns are the runs each file gets under -short: one of each
// command, in the formats that print most of an exchange.
var shortReportRuns = [][]string{{"scan", "-f", "json"}, {"scan", "--case", "-f", "html"}, {"events", "-f", "jsonl"},
	{"events", "--case", "-f", "json"}, {"exchanges", "-f", "json"}, {"exchanges", "-f", "table"}}

// reportRuns is full, or shortReportRuns under -short.
func reportRuns(full [][]string) [][]string {
	if testing.Short() {
		return shortReportRuns
	}
	return full
}

// shortSampleEvery is the step of sampleShort.
const shortSampleEvery = 6

// sampleShort is items, or under -short every sixth of them and the last
// (where tests append a trace of their own making).
func sampleShort[T any](items []T) []T {
	return sampleShortEvery(items, shortSampleEvery)
}

// shortCompareEvery is the step of the path comparisons (comparePaths):
// each trace runs every command twice, and the ~140 traces a sixth would
// keep took a minute and a quarter under the race detector.
const shortCompareEvery = 18

// sampleShortEvery is items, or under -short one in every and the last.
func sampleShortEvery[T any](items []T, every int) []T {
	if !testing.Short() {
		return items
	}
	var out []T
	for i, it := range items {
		if i%every == 0 || i == len(items)-1 {
			out = append(out, it)
		}
	}
	return out
}

// skipShortRepeat skips, under -short, a test whose every run repeats a
// path other tests take under -short too: the twelfth, thirteenth and
// sixteenth rounds' leak hunts, whose canaries differ from the first
// round's in what the outputs and copies must not show, not in the
// goroutines that run (the readers' own, the read-ahead, the report and
// redaction writers), and the checks of what copies and reports keep. The
// race detector finds a data race in that path once; go test ./... runs
// the test whole.
func skipShortRepeat(t *testing.T, samePathAs string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("-short: the same scan, redact and bundle paths as %s, which runs under -short; go test ./... runs this one", samePathAs)
	}
}
