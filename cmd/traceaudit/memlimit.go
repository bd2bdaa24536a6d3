package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"

	"github.com/traceaudit/traceaudit/internal/hugebss"
)

// Memory budget of the trace commands (issue 18: scan within 64 MiB of peak
// RSS whatever the number of entries). With the default GOGC the heap grows
// to twice what is live before a collection, and pages freed by one are
// returned to the system only slowly: a scan holding 25 MiB peaked near
// 100 MiB of RSS. A soft limit makes the collector run before the heap
// passes the budget and return freed pages at once.
//
// memoryBudget is what the Go runtime may hold (heap, stacks, collector
// data); the binary's own pages come on top (12 to 16 MiB on linux/amd64),
// hence 44 MiB for a 64 MiB peak.
const memoryBudget = 44 << 20

// memoryLiftAt is the live heap at which the budget is lifted: with more
// live, each collection would free less than 16 MiB and the collector would
// run ever more often for a budget the command cannot fit anyway. It takes
// memoryLiftAfter collections in a row over it: a moment when two copies of
// the events are live (joining them after reading) must not lift it for the
// rest of the run. 30 rather than 28 MiB: the 13,000-connection capture
// holds 25-29 MiB live (collections' view) in the last third of its
// reading, and lifting there let the heap grow to the reading target on
// top of what the runtime holds besides: a peak of 63-64 MiB of RSS,
// 56-57 under the budget (with the collection before the report's steps,
// see timeline), for 5 more collections of its ~29: CPU as at the seventh
// round's start, ~7 % over lifting, which the events' 56 bytes fewer
// (model.Target) had saved.
//
// Once lifted, the limit follows the live heap: after every collection it
// is set to what the runtime holds besides the heap, plus the live heap
// and its headroom (see headroom): memoryHeadroom percent of it, at most
// memoryHeadroomMax, and less near memoryHeapTarget. Each
// collection then frees at least that much, so they never run back to
// back, and the runtime returns freed pages to stay under the limit:
// without a limit the default pacing (GOGC=100) let the heap grow to twice
// what is live and freed pages went back slowly (issue 18: a capture
// holding 65,000 sign-ins peaked at 170-200 MiB). 75 rather than 100: the
// memory the trace holds at the end, and so the peak, is 25 % smaller for
// about 30 % more collections while the limit follows (a few percent of
// CPU).
//
// The cap: on that capture 75 % of the 56 MiB live while the rules run was
// 42 MiB of room the peak filled. 24 MiB brings the peak down by 10 MiB
// (113 -> 103 MiB of RSS) for 3 more collections than the 21 of a scan,
// each marking 40-56 MiB; 16 MiB saved 19 MiB for 9 more, about 12 % more
// CPU. Only commands holding more than 32 MiB live meet the cap.
//
// The target: with a live heap near memoryHeapTarget the headroom is what
// is left up to it, at least memoryHeadroomMin percent of the live heap.
// At 48 MiB (44 now, 40 after reading: see memLimit.reading), the same
// capture, whose live heap then peaked at 41 MiB while the rules
// run (it was 56), then has 10 MiB of room instead of 24: 88 -> 75 MiB of
// peak RSS for 6-8 more collections than its 24, most at the end of
// reading and during the rules, which allocate little. A flat cap of 12
// MiB saved 12 MiB for as many; 8 MiB 16 MiB but for 11 more, which
// doubled the collector's CPU. The floor keeps a command with much more
// live (a bigger capture) at the cap: with 8 MiB of room over 100 MiB
// live each collection would free too little for what it marks.
const (
	memoryLiftAt      = 30 << 20
	memoryLiftAfter   = 2
	memoryHeadroom    = 75
	memoryHeadroomMax = 24 << 20
	memoryHeapTarget  = 44 << 20
	// memoryHeldTarget is the target once no trace is being read: what
	// is live then (the events, the rules' analysis, the report) stays
	// until the end, and the collector runs seldom (see memLimit.reading).
	memoryHeldTarget  = 40 << 20
	memoryHeadroomMin = 25
	// memorySlack is added to the limit for what grows between a
	// collection and the next besides the heap (stacks, the collector's
	// own data).
	memorySlack = 4 << 20
)

// firstCollectionAt is where the first collection of a trace command
// runs: until then the GC percent is off and this is the limit, instead of
// the runtime's first goal of 4 MiB. That first collection used to come a
// few milliseconds into reading, when the heap was mostly what setting up
// had made and would stay (init's tables, gopacket's page cache, the batch
// arenas), and cost a scan of a small capture ~4 ms of CPU and ~1,100 page
// faults while freeing little. A limit rather than a higher GC percent
// bounds the heap until the finalizer restores the percent, however late
// it runs.
const firstCollectionAt = 24 << 20

// memLimit sets the soft limit for one command and, when what the command
// holds outgrows the budget, has it follow the live heap, whatever phase
// the command is in: after every collection it reads the live heap (a
// finalizer on an object dropped at once runs after each collection). A
// user's GOMEMLIMIT or GOGC wins: the limit is not set at all then.
type memLimit struct {
	mu     sync.Mutex
	on     bool
	follow bool // lifted: the limit follows the live heap
	over   int  // collections in a row that found more than memoryLiftAt live
	prev   int64
	live   []metrics.Sample
	// first: the first collection has not run yet (see firstCollectionAt);
	// prevGC is the GC percent to restore after it.
	first  bool
	prevGC int
	// reading counts the traces being read (startReading): while one is,
	// the heap target is memoryHeapTarget, otherwise memoryHeldTarget.
	// On the 13,000-connection capture the lower target while the rules
	// run and the report is made brings the peak RSS down by 3 MiB for no
	// more CPU. While reading, 44 rather than 48 took 3.5 MiB more off it
	// and off cap-wide (a capture with big bodies, whose live heap rises
	// and falls as they pass) for 0-3 % more CPU (16 -> 20 collections
	// there); 40 while reading too cost cap-wide 10-20 % more CPU for
	// no lower peak.
	reading int
}

// startReading says that a trace is being read, until doneReading. A nil
// memLimit does nothing.
func (m *memLimit) startReading() {
	if m != nil {
		m.mu.Lock()
		m.reading++
		m.mu.Unlock()
	}
}

// doneReading ends a startReading. When the last trace is read and the
// limit follows the live heap, the limit is set for memoryHeldTarget at
// once, from what the last collection found: until the next collection
// the heap grew towards the reading target while the rules began, and on
// the 13,000-connection capture that moment was the peak (the heap at 42
// MiB when the first collection of the rules ran, 41 at the next).
func (m *memLimit) doneReading() {
	if m != nil {
		m.mu.Lock()
		m.reading--
		if m.reading == 0 && m.on && m.follow {
			debug.SetMemoryLimit(m.followed())
		}
		m.mu.Unlock()
	}
}

// followed is the limit that follows the live heap as the last collection
// found it (m.live), for the current target; m.mu is held.
func (m *memLimit) followed() int64 {
	return followLimit(m.live[0].Value.Uint64(), m.live[1].Value.Uint64(),
		m.live[2].Value.Uint64()+m.live[3].Value.Uint64()+m.live[4].Value.Uint64()+m.live[5].Value.Uint64(), m.target())
}

// target is the heap target (see memoryHeldTarget); m.mu is held.
func (m *memLimit) target() uint64 {
	if m.reading > 0 {
		return memoryHeapTarget
	}
	return memoryHeldTarget
}

func startMemLimit(env environment) *memLimit {
	m := &memLimit{}
	if env.getenv("GOMEMLIMIT") != "" || env.getenv("GOGC") != "" {
		return m
	}
	// The heap in huge pages until the first collection (see
	// hugebss.AdviseHeap and StopHeap): before the limit, whose accounting
	// must not see the pages the advice mapped.
	hugebss.AdviseHeap(debug.SetGCPercent, debug.FreeOSMemory)
	m.on = true
	m.prev = debug.SetMemoryLimit(firstCollectionAt)
	m.prevGC = debug.SetGCPercent(-1)
	m.first = true
	m.live = []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		// What the limit counts (total less released) besides the heap.
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	m.arm()
	return m
}

// gcSentinel is dropped as soon as it is made: its finalizer runs after the
// next collection.
type gcSentinel struct{ m *memLimit }

func (m *memLimit) arm() {
	runtime.SetFinalizer(&gcSentinel{m: m}, func(s *gcSentinel) {
		if s.m.check() {
			s.m.arm()
		}
	})
}

// check lifts the budget once the live heap (as of the last collection)
// has been over memoryLiftAt memoryLiftAfter times in a row, and from then
// on sets the limit after the live heap; it reports whether the limit is
// still on. It runs once after each collection.
func (m *memLimit) check() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.on {
		return false
	}
	if m.first {
		m.first = false
		hugebss.StopHeap()
		debug.SetGCPercent(m.prevGC)
		debug.SetMemoryLimit(memoryBudget)
	}
	metrics.Read(m.live)
	for _, s := range m.live {
		if s.Value.Kind() != metrics.KindUint64 {
			// A runtime without these metrics: no limit at all rather
			// than one that cannot follow.
			m.on = false
			debug.SetMemoryLimit(m.prev)
			return false
		}
	}
	live := m.live[0].Value.Uint64()
	if !m.follow && live <= memoryLiftAt {
		m.over = 0
		return true
	}
	if m.over++; m.follow || m.over >= memoryLiftAfter {
		m.follow = true
		debug.SetMemoryLimit(m.followed())
	}
	return true
}

// followLimit is the limit for a live heap of live bytes when the runtime
// holds total bytes, heap of them: the runtime's other memory, the live
// heap and its headroom, and never under the budget.
func followLimit(live, total, heap, target uint64) int64 {
	other := uint64(0)
	if total > heap {
		other = total - heap
	}
	return int64(max(other+live+headroom(live, target)+memorySlack, memoryBudget))
}

// headroom is what the heap may grow by over a live heap of live bytes
// before the next collection: memoryHeadroom percent of it, at most
// memoryHeadroomMax, and at most what is left up to target (a heap
// target) unless that is under memoryHeadroomMin percent of it.
func headroom(live, target uint64) uint64 {
	room := live * memoryHeadroomMin / 100
	if live < target && target-live > room {
		room = target - live
	}
	return min(live*memoryHeadroom/100, memoryHeadroomMax, room)
}

// stop restores the limit the process had.
func (m *memLimit) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.on {
		m.on = false
		m.first = false
		debug.SetGCPercent(m.prevGC)
		debug.SetMemoryLimit(m.prev)
	}
}
