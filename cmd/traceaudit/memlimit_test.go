package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// TestMemLimit: the trace commands set the soft memory limit only when the
// user set neither GOMEMLIMIT nor GOGC, lift it once the live heap passes
// memoryLiftAt (after any collection), and give the process its limit
// back when they end.
func TestMemLimit(t *testing.T) {
	limit := func() int64 { return debug.SetMemoryLimit(-1) } // -1 reads it
	prev := limit()
	for _, name := range []string{"GOMEMLIMIT", "GOGC"} {
		env := environment{getenv: func(k string) string {
			if k == name {
				return "1GiB"
			}
			return ""
		}}
		m := startMemLimit(env)
		if got := limit(); got != prev {
			t.Errorf("with %s set the limit is %d, want the process's %d untouched", name, got, prev)
		}
		m.check()
		m.stop()
	}

	m := startMemLimit(environment{getenv: func(string) string { return "" }})
	if got := limit(); got != memoryBudget {
		t.Fatalf("limit %d, want the budget %d", got, memoryBudget)
	}
	runtime.GC()
	m.check() // this test's heap is far below the threshold
	if got := limit(); got != memoryBudget {
		t.Errorf("limit %d after a check with a small heap, want the budget %d", got, memoryBudget)
	}
	m.stop()
	if got := limit(); got != prev {
		t.Errorf("limit %d after stop, want the process's %d back", got, prev)
	}

	m = startMemLimit(environment{getenv: func(string) string { return "" }})
	held := make([]byte, memoryLiftAt+(8<<20))
	for i := range held {
		held[i] = 1 // a live heap over the threshold
	}
	// No call to check: the hook that runs after each collection lifts it,
	// whatever the command is doing.
	deadline := time.Now().Add(10 * time.Second)
	for limit() != prev && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := limit(); got != prev {
		t.Errorf("limit %d with %d bytes live, want it lifted to the process's %d", got, len(held), prev)
	}
	runtime.KeepAlive(held)
	m.stop()
	if got := limit(); got != prev {
		t.Errorf("limit %d after stop, want %d", got, prev)
	}
}
