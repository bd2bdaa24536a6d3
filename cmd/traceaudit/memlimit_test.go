package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// TestMemLimit: the trace commands set the soft memory limit only when the
// user set neither GOMEMLIMIT nor GOGC, hold the first collection until
// firstCollectionAt, let the limit follow the live heap once that passes
// memoryLiftAt (after any collection), and give the process its limit and
// GC percent back when they end.
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

	gcPercent := func() int { p := debug.SetGCPercent(100); debug.SetGCPercent(p); return p }
	prevGC := gcPercent()
	m := startMemLimit(environment{getenv: func(string) string { return "" }})
	// Until the first collection: no GC percent, firstCollectionAt.
	if got := limit(); got != firstCollectionAt {
		t.Fatalf("limit %d before the first collection, want %d", got, firstCollectionAt)
	}
	if got := gcPercent(); got != -1 {
		t.Fatalf("GC percent %d before the first collection, want -1 (off)", got)
	}
	runtime.GC()
	m.check() // this test's heap is far below the threshold
	if got := limit(); got != memoryBudget {
		t.Errorf("limit %d after a check with a small heap, want the budget %d", got, memoryBudget)
	}
	if got := gcPercent(); got != prevGC {
		t.Errorf("GC percent %d after the first collection, want the process's %d back", got, prevGC)
	}
	m.stop()
	if got := limit(); got != prev {
		t.Errorf("limit %d after stop, want the process's %d back", got, prev)
	}

	// A command that ends before any collection gives both back.
	m = startMemLimit(environment{getenv: func(string) string { return "" }})
	m.stop()
	if got, gotGC := limit(), gcPercent(); got != prev || gotGC != prevGC {
		t.Errorf("limit %d and GC percent %d after stop before any collection, want %d and %d", got, gotGC, prev, prevGC)
	}

	m = startMemLimit(environment{getenv: func(string) string { return "" }})
	held := make([]byte, memoryLiftAt+(8<<20))
	for i := range held {
		held[i] = 1 // a live heap over the threshold
	}
	// No call to check: the hook that runs after each collection lets the
	// limit follow the live heap, whatever the command is doing (until the
	// hook has run once, the limit may still be firstCollectionAt).
	deadline := time.Now().Add(10 * time.Second)
	for (limit() == memoryBudget || limit() == firstCollectionAt) && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	// At least the live heap and its headroom (no back-to-back
	// collections), at most what the default pacing would let the heap
	// grow to plus the runtime's own memory.
	low, high := int64(len(held))+int64(headroom(uint64(len(held)), memoryHeldTarget)), int64(len(held))*2+(32<<20)
	if got := limit(); got < low || got > high {
		t.Errorf("limit %d with %d bytes live, want it to follow the live heap: between %d and %d", got, len(held), low, high)
	}
	runtime.KeepAlive(held)
	held = nil
	// Once the command holds less, the limit comes down with it, to the
	// budget at the least.
	deadline = time.Now().Add(10 * time.Second)
	for limit() != memoryBudget && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := limit(); got != memoryBudget {
		t.Errorf("limit %d with little live, want the budget %d", got, memoryBudget)
	}
	m.stop()
	if got := limit(); got != prev {
		t.Errorf("limit %d after stop, want %d", got, prev)
	}
}

// TestFollowLimit: the limit the live heap sets counts the runtime's
// memory besides the heap, the live heap and its headroom (75 %, at most
// 24 MiB, less near the target of 44 MiB while reading, 40 after, but
// never under 25 %), never
// under the budget.
func TestFollowLimit(t *testing.T) {
	const mib = 1 << 20
	if got, want := followLimit(100*mib, 130*mib, 120*mib, memoryHeapTarget), int64((10+100+24)*mib+memorySlack); got != want {
		t.Errorf("followLimit(100 MiB live, 10 MiB besides the heap) = %d, want %d (the headroom capped)", got, want)
	}
	if got, want := followLimit(32*mib, 40*mib, 36*mib, memoryHeapTarget), int64((4+32+12)*mib+memorySlack); got != want {
		t.Errorf("followLimit(32 MiB live, 4 MiB besides the heap) = %d, want %d (up to the target)", got, want)
	}
	if got, want := followLimit(40*mib, 48*mib, 44*mib, memoryHeapTarget), int64((4+40+10)*mib+memorySlack); got != want {
		t.Errorf("followLimit(40 MiB live, 4 MiB besides the heap) = %d, want %d (25 %% of the live heap)", got, want)
	}
	if got, want := followLimit(24*mib, 40*mib, 36*mib, memoryHeapTarget), int64(4*mib+24*mib+24*mib*3/4+memorySlack); got != want {
		t.Errorf("followLimit(24 MiB live, 4 MiB besides the heap) = %d, want %d (75 %% of the live heap)", got, want)
	}
	if got, want := followLimit(28*mib, 36*mib, 32*mib, memoryHeldTarget), int64((4+28+12)*mib+memorySlack); got != want {
		t.Errorf("followLimit(28 MiB live, 4 MiB besides the heap, after reading) = %d, want %d (up to the lower target)", got, want)
	}
	if got := followLimit(1*mib, 20*mib, 30*mib, memoryHeapTarget); got != memoryBudget {
		t.Errorf("followLimit(1 MiB live) = %d, want the budget %d", got, memoryBudget)
	}
}

// TestHeadroom: near the target (while a trace is read and after) the
// live heap and its headroom stay within it, the headroom never under a
// quarter of the live heap nor over three quarters or 24 MiB, and it never
// grows as the live heap grows past the point where the target starts to
// bind (so the limit never jumps).
func TestHeadroom(t *testing.T) {
	const mib = 1 << 20
	for _, target := range []uint64{memoryHeapTarget, memoryHeldTarget} {
		prev := uint64(0)
		for live := uint64(0); live <= 200*mib; live += mib / 4 {
			h := headroom(live, target)
			if h > live*3/4 || h > 24*mib || (h < live/4 && h < 24*mib) {
				t.Errorf("headroom(%.2f MiB) = %.2f MiB, want between 25 %% and 75 %% of it, at most 24 MiB", float64(live)/mib, float64(h)/mib)
			}
			if live >= 28*mib && live <= target*4/5 && live+h > target {
				t.Errorf("headroom(%.2f MiB) = %.2f MiB: over the target of %d MiB", float64(live)/mib, float64(h)/mib, target/mib)
			}
			if live+h < prev {
				t.Errorf("live heap and headroom fall from %.2f to %.2f MiB at %.2f MiB live", float64(prev)/mib, float64(live+h)/mib, float64(live)/mib)
			}
			prev = live + h
		}
	}
	if memoryHeldTarget > memoryHeapTarget {
		t.Errorf("the target after reading (%d MiB) is over the one while reading (%d MiB)", memoryHeldTarget/mib, memoryHeapTarget/mib)
	}
}

// TestTargetWhileReading: the heap target is memoryHeapTarget while any
// trace is read (files are read concurrently) and memoryHeldTarget
// otherwise; a command without a limit (nil) is told nothing.
func TestTargetWhileReading(t *testing.T) {
	m := &memLimit{}
	if got := m.target(); got != memoryHeldTarget {
		t.Errorf("target before reading %d, want %d", got, memoryHeldTarget)
	}
	m.startReading()
	m.startReading()
	m.doneReading()
	if got := m.target(); got != memoryHeapTarget {
		t.Errorf("target while a file is still read %d, want %d", got, memoryHeapTarget)
	}
	m.doneReading()
	if got := m.target(); got != memoryHeldTarget {
		t.Errorf("target after reading %d, want %d", got, memoryHeldTarget)
	}
	var none *memLimit
	none.startReading()
	none.doneReading()
}

// TestLimitWhenReadingEnds: once the last trace is read, a limit that
// follows the live heap is set for memoryHeldTarget at once, not at the
// next collection (until then the rules' first allocations grew the heap
// towards the reading target).
func TestLimitWhenReadingEnds(t *testing.T) {
	limit := func() int64 { return debug.SetMemoryLimit(-1) }
	prev := limit()
	m := startMemLimit(environment{getenv: func(string) string { return "" }})
	defer func() {
		m.stop()
		if got := limit(); got != prev {
			t.Errorf("limit %d after stop, want %d", got, prev)
		}
	}()
	m.startReading()
	// 32 MiB live: over memoryLiftAt, and its headroom is 12 MiB up to
	// the reading target, 8 up to the held one. What earlier tests of the
	// package left live counts: with 8 MiB more both headrooms were the
	// floor (a quarter of the live heap) and the limit had no reason to
	// come down.
	held := make([]byte, max(32<<20-liveHeap(), 1<<20))
	for i := range held {
		held[i] = 1
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		m.mu.Lock()
		follow := m.follow
		m.mu.Unlock()
		if follow || time.Now().After(deadline) {
			break
		}
	}
	reading := limit()
	m.doneReading()
	after := limit()
	m.mu.Lock()
	want := m.followed()
	live := m.live[0].Value.Uint64()
	m.mu.Unlock()
	if after != want {
		t.Errorf("limit %d while reading, %d once read with %d bytes live, want %d", reading, after, live, want)
	}
	d := headroom(live, memoryHeapTarget) - headroom(live, memoryHeldTarget)
	if d == 0 {
		t.Fatalf("%d bytes live: the targets' headrooms are the same, the test proves nothing", live)
	}
	if after >= reading || uint64(reading-after) < d/2 {
		t.Errorf("the limit came down by %d once read (%d -> %d), the targets' headrooms differ by %d", reading-after, reading, after, d)
	}
	runtime.KeepAlive(held)
}

// liveHeap is the live heap after a collection, as the memory limit reads
// it.
func liveHeap() int {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}
