package main

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// TestScanMemoryFlatInEntries reads a generated HAR of 100,000 small
// entries (one in ten a token request answered with Entra-shaped tokens, so
// 10,000 exchanges with an event each way) the way scan does and measures
// the live heap while everything scan keeps for the rules is still held:
// the exchanges kept (as what the rules read of them), the rows and the
// events; then again with the rules' analysis made from them as scan makes
// it, the events still in the chunks reading left them in. The bounds say
// memory follows the exchanges the rules keep, not the number of entries:
// at most 1,408 bytes per kept exchange after reading (with its two events,
// request and response, 160 bytes each plus the token request's and
// response's parameters and what is kept aside, and the response's three
// tokens, compacted as scan keeps them: 80 bytes each whatever their
// length), 1,760 with the analysis (transaction, code trail and
// redemption), and 16 bytes per dropped one (its hole in the rules' list).
// Before the retainer every exchange was kept and this HAR held about 420
// MB. When the generated token answers became JSON the tokens were kept
// whole (26 MiB here, ~2.7 KB per response) and counted apart: 1,417 and
// 1,775 bytes per kept exchange besides them (what the whole tokens took
// beyond their lengths counted in those). Compacted (secret.Compact) they are counted
// in: 1,423 and 1,781 bytes per kept exchange with them, 13.6 and 17.0 MiB;
// tokens kept whole again add ~2,700 bytes per kept exchange. Since the
// events share their targets (model.Target), 56 bytes fewer each: 1,304
// and 1,662 bytes, bounds 1,408 and 1,760, which events grown back by as
// much fail; the test also fails when equal targets are held apart. It reads
// the file again as scan --no-redact does, which keeps the same: no row
// (the raw URLs its evidence shows come from the kept exchanges) and
// tokens compacted (its report shows none).
func TestScanMemoryFlatInEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 170 MB HAR")
	}
	path := filepath.Join(t.TempDir(), "many.har")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const entries = 100_000
	if _, err := hargen.Write(f, hargen.ManyEntries(entries)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// scan --no-redact keeps what scan keeps (its report shows no token,
	// its evidence the raw URLs of kept exchanges only). Before the
	// seventh round it kept every token whole and every exchange's row,
	// and peaked at 107 MiB on the 100,000-entry bench HAR.
	for _, noRedact := range []bool{false, true} {
		name := "scan"
		if noRedact {
			name = "no-redact"
		}
		t.Run(name, func(t *testing.T) { scanMemoryFlat(t, path, entries, noRedact) })
	}
}

// scanMemoryFlat is TestScanMemoryFlatInEntries on the HAR at path, of
// entries entries, read as scan (with --no-redact when noRedact) reads it.
func scanMemoryFlat(t *testing.T, path string, entries int, noRedact bool) {
	r, o, env := openScanReader(t, path)
	o.noRedact = noRedact

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var res fileResult
	kept, _ := readExchanges(r, &res, "scan", o, env)
	runtime.GC()
	runtime.ReadMemStats(&after)
	if p := os.Getenv("TRACEAUDIT_HEAP_PROFILE"); p != "" {
		if hf, err := os.Create(p); err == nil {
			pprof.WriteHeapProfile(hf)
			hf.Close()
		}
	}
	exchanges := kept.compact
	if kept.full != nil {
		t.Fatalf("scan kept %d model exchanges, want only what the rules read of them", len(kept.full))
	}
	n := 0
	for _, ex := range exchanges {
		if ex != nil {
			n++
		}
	}
	runtime.KeepAlive(exchanges)
	runtime.KeepAlive(&res)

	if res.exchangeCount != entries || len(exchanges) != entries {
		t.Fatalf("read %d exchanges (%d in the rules' list), want %d", res.exchangeCount, len(exchanges), entries)
	}
	if n < entries/10 || n > entries/10+10 {
		t.Fatalf("kept %d exchanges, want about %d (the token requests)", n, entries/10)
	}
	// The tokens the token responses carry count in: scan keeps them
	// compacted (the value's length is what they would take whole).
	var tokens, whole int64
	for _, chunk := range res.pending.chunks() {
		for i := range chunk {
			ev := &chunk[i]
			for _, s := range []secret.Secret{ev.AccessToken(), ev.IDToken(), ev.RefreshToken()} {
				if !s.IsZero() {
					tokens++
					whole += int64(s.Len())
				}
				if s.Len() >= secret.CompactMin && !s.IsCompact() {
					t.Fatalf("event %d of %s kept a token of %d bytes whole", ev.Exchange, ev.Kind, s.Len())
				}
			}
		}
	}
	if tokens < int64(n) {
		t.Fatalf("%d tokens for %d kept exchanges: the generated token responses lost their tokens", tokens, n)
	}
	// Equal targets are one (model.Event.Target): 20,000 events to one
	// token endpoint held a copy each, 56 bytes per event.
	ptrs, vals := map[*model.Target]bool{}, map[model.Target]bool{}
	for _, chunk := range res.pending.chunks() {
		for i := range chunk {
			if tg := chunk[i].Target; tg != nil {
				ptrs[tg], vals[*tg] = true, true
			}
		}
	}
	if len(ptrs) != len(vals) {
		t.Errorf("%d targets held for %d distinct ones: equal targets are no longer shared", len(ptrs), len(vals))
	}
	// No rows, with --no-redact either: its evidence's raw URLs come from
	// the kept exchanges once the rules are done (evidenceURLs).
	if len(res.exchanges) != 0 || len(res.rawURLs) != 0 {
		t.Fatalf("kept %d rows and %d raw URLs for %d kept exchanges (no-redact %v): rows grow with entries again",
			len(res.exchanges), len(res.rawURLs), n, noRedact)
	}
	live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	bound := int64(n)*1408 + int64(entries-n)*16
	t.Logf("%d entries, %d kept, %d events, %d exchange starts, %d tokens (%.1f MiB whole): live heap %.1f MiB (%.0f bytes per kept exchange), bound %.1f MiB",
		entries, n, res.eventCount(), len(res.starts), tokens, float64(whole)/(1<<20), float64(live)/(1<<20), float64(live)/float64(n), float64(bound)/(1<<20))
	if live > bound {
		t.Errorf("live heap %d bytes after reading, over the bound of %d: memory grows with entries again", live, bound)
	}

	// scan's rules read the events where reading left them, in chunks:
	// joined before the rules, every event was held twice at the peak
	// (issue 18). analyzeInput joins them once the rules are done.
	if len(res.events) != 0 || res.pending == nil || res.pending.n != res.eventCount() {
		t.Fatalf("after reading, %d events joined and %d in chunks: scan's events must stay in their chunks until the rules are done",
			len(res.events), res.eventCount()-len(res.events))
	}
	a := rules.Analyze(rules.Input{Kept: exchanges, EventChunks: res.pending.chunks(), Notes: res.notes},
		rules.Options{CodeLifetime: o.codeLifetime})
	var analyzed runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&analyzed)
	runtime.KeepAlive(a)
	withRules := int64(analyzed.HeapAlloc) - int64(before.HeapAlloc)
	bound = int64(n)*1760 + int64(entries-n)*16
	t.Logf("with the rules' analysis (%d transactions, %d codes): live heap %.1f MiB (%.0f bytes per kept exchange), bound %.1f MiB",
		len(a.Transactions), len(a.Codes), float64(withRules)/(1<<20), float64(withRules)/float64(n), float64(bound)/(1<<20))
	if withRules > bound {
		t.Errorf("live heap %d bytes with the analysis, over the bound of %d", withRules, bound)
	}
}

// openScanReader opens the trace at path with the reader, options and
// environment scan uses (JSON output, no failing, no progress); the file
// is closed when the test ends.
func openScanReader(t *testing.T, path string) (model.Reader, *options, environment) {
	t.Helper()
	o := &options{cmd: "scan", format: "json", failOn: "never", progress: "never"}
	if err := o.validate("scan"); err != nil {
		t.Fatal(err)
	}
	env := environment{getenv: func(string) string { return "" }, isTerminal: func(any) bool { return false }}
	oi, err := openInput(input{path: path, explicit: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(oi.close)
	r, err := newReader(oi, o, env, &keyMaterial{})
	if err != nil {
		t.Fatal(err)
	}
	return r, o, env
}
