package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
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

// memoryLiftAt is the live heap at which the limit is lifted: with more
// live, each collection would free less than 16 MiB and the collector would
// run ever more often for a budget the command cannot fit anyway (the
// default pacing, twice the live heap, then applies, as without the limit).
// It takes memoryLiftAfter collections in a row over it: a moment when two
// copies of the events are live (joining them after reading) must not lift
// it for the rest of the run.
const (
	memoryLiftAt    = 28 << 20
	memoryLiftAfter = 2
)

// memLimit sets the soft limit for one command and lifts it when what the
// command holds outgrows it, whatever phase it is in: after every
// collection it reads the live heap (a finalizer on an object dropped at
// once runs after each collection). A user's GOMEMLIMIT or GOGC wins: the
// limit is not set at all then.
type memLimit struct {
	mu   sync.Mutex
	on   bool
	over int // collections in a row that found more than memoryLiftAt live
	prev int64
	live []metrics.Sample
}

func startMemLimit(env environment) *memLimit {
	m := &memLimit{}
	if env.getenv("GOMEMLIMIT") != "" || env.getenv("GOGC") != "" {
		return m
	}
	m.on = true
	m.prev = debug.SetMemoryLimit(memoryBudget)
	m.live = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
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

// check lifts the limit once the live heap (as of the last collection)
// has been over memoryLiftAt memoryLiftAfter times in a row; it reports
// whether the limit is still on. It runs once after each collection.
func (m *memLimit) check() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.on {
		return false
	}
	metrics.Read(m.live)
	if v := m.live[0].Value; v.Kind() != metrics.KindUint64 || v.Uint64() <= memoryLiftAt {
		m.over = 0
		return true
	}
	if m.over++; m.over >= memoryLiftAfter {
		m.on = false
		debug.SetMemoryLimit(m.prev)
	}
	return m.on
}

// stop restores the limit the process had.
func (m *memLimit) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.on {
		m.on = false
		debug.SetMemoryLimit(m.prev)
	}
}
