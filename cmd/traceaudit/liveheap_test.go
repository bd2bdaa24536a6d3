package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/traceaudit/traceaudit/rules"
)

// TestScanLiveHeapFile measures what scan holds at its peak on the file
// named by TRACEAUDIT_BENCH_FILE (skipped when unset): the live heap after
// reading (events, the exchanges kept for the rules) and after the rules'
// analysis (transactions and code trails on top), each after a collection,
// as HeapAlloc. With TRACEAUDIT_HEAP_PROFILE set it writes a heap profile
// taken after the analysis there, for `go tool pprof -sample_index
// inuse_space`; with TRACEAUDIT_NO_REDACT set, it reads the file as scan
// --no-redact does. A profile of BenchmarkCLIFile shows the end of the run,
// when all of it is gone.
func TestScanLiveHeapFile(t *testing.T) {
	path := os.Getenv("TRACEAUDIT_BENCH_FILE")
	if path == "" {
		t.Skip("TRACEAUDIT_BENCH_FILE not set")
	}
	r, o, env := openScanReader(t, path)
	// With TRACEAUDIT_NO_REDACT set, as scan --no-redact reads it.
	o.noRedact = os.Getenv("TRACEAUDIT_NO_REDACT") != ""
	heap := func() float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapAlloc) / (1 << 20)
	}
	start := heap()
	var res fileResult
	kept, _ := readExchanges(r, &res, "scan", o, env)
	r = nil
	read := heap()
	in := rules.Input{Exchanges: kept.full, Kept: kept.compact, Events: res.events, Notes: res.notes}
	if res.pending != nil {
		// As scan: the rules read the events in their chunks.
		in.Events, in.EventChunks = nil, res.pending.chunks()
	}
	a := rules.Analyze(in, rules.Options{CodeLifetime: o.codeLifetime})
	analyzed := heap()
	if p := os.Getenv("TRACEAUDIT_HEAP_PROFILE"); p != "" {
		hf, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(hf); err != nil {
			t.Fatal(err)
		}
		if err := hf.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s: %d exchanges, %d events, %d transactions; heap %.1f MiB before reading, %.1f MiB after, %.1f MiB after the analysis",
		path, res.exchangeCount, res.eventCount(), len(a.Transactions), start, read, analyzed)
	if analyzed < read {
		t.Errorf("the analysis holds less than reading left (%.1f < %.1f MiB): the measure does not hold what scan holds", analyzed, read)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(&kept)
	runtime.KeepAlive(&res)
}
