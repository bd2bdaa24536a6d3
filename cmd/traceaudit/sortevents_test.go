package main

import (
	"slices"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
)

// Events are ordered by their exchange's start, extraction order kept
// within an exchange, whether the exchanges' indexes are dense (a list by
// index) or sparse (a map); an index without a start sorts as the zero time.
func TestSortEventsDenseAndSparse(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, stride := range []int{1, 1000} {
		// Exchange k starts at t0 + (5-k)s: the reverse of source order.
		var starts []exchangeStart
		for k := 0; k < 5; k++ {
			starts = append(starts, exchangeStart{index: k * stride, start: t0.Add(time.Duration(5-k) * time.Second)})
		}
		evs := []model.Event{
			{Exchange: 0, Ref: "a"}, {Exchange: 0, Ref: "b"},
			{Exchange: 2 * stride, Ref: "c"},
			{Exchange: 4 * stride, Ref: "d"}, {Exchange: 4 * stride, Ref: "e"},
			{Exchange: 99 * stride, Ref: "z"}, // no start known
		}
		sortEvents(evs, starts)
		got := ""
		for _, ev := range evs {
			got += ev.Ref
		}
		if want := "zdecab"; got != want {
			t.Errorf("stride %d: order %q, want %q", stride, got, want)
		}
	}
}

// TestEventOrderSameAsSort: the order scan's output reads the events held
// in chunks in (eventOrder, through eachEvent) is the order sortEvents puts
// the joined events in, over several chunks, with exchanges out of order,
// several events to an exchange, dense and sparse indexes, an index
// without a start and a start missing (source order then).
func TestEventOrderSameAsSort(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name          string
		events        int
		stride        int
		missing, zero bool
	}{
		{"dense", 3*eventChunk + 17, 1, false, false},
		{"sparse", 2*eventChunk + 5, 1000, false, false},
		{"one chunk", 40, 1, false, false},
		{"index without a start", eventChunk + 3, 1, true, false},
		{"a start missing", eventChunk + 3, 1, false, true},
	} {
		var evs []model.Event
		var starts []exchangeStart
		for i := 0; i < tc.events; i++ {
			x := i / 2 * tc.stride // two events to an exchange
			evs = append(evs, model.Event{Exchange: x, Ref: strconv.Itoa(i)})
			if i%2 == 0 {
				// Starts go back and forth in blocks of seven exchanges.
				at := t0.Add(time.Duration((i/2)%7*1000-(i/2)) * time.Millisecond)
				if tc.zero && i == 10 {
					at = time.Time{}
				}
				if !(tc.missing && i == 12) {
					starts = append(starts, exchangeStart{index: x, start: at})
				}
			}
		}
		c := &eventChunks{}
		c.add(evs)
		res := fileResult{pending: c, order: eventOrder(c, starts)}
		var got []string
		for e := range res.eachEvent() {
			got = append(got, e.Ref)
		}
		want := slices.Clone(evs)
		sortEvents(want, starts)
		var wantRefs []string
		for _, e := range want {
			wantRefs = append(wantRefs, e.Ref)
		}
		if !slices.Equal(got, wantRefs) {
			t.Errorf("%s: eachEvent lists %d events in another order than sortEvents:\n%v\n%v", tc.name, len(got), got, wantRefs)
		}
		if tc.zero != (res.order == nil) {
			t.Errorf("%s: order %v, want nil only when a start is missing", tc.name, res.order != nil)
		}
		if res.eventCount() != tc.events {
			t.Errorf("%s: eventCount %d, want %d", tc.name, res.eventCount(), tc.events)
		}
	}
}

// TestDrainEvents: draining yields the events eachEvent yields, in the same
// order (as held, or sorted by positions), and lets every chunk go once its
// events are yielded, the last one included.
func TestDrainEvents(t *testing.T) {
	for _, n := range []int{0, 1, eventChunk - 1, eventChunk, 3*eventChunk + 7} {
		for _, sorted := range []bool{false, true} {
			c := &eventChunks{}
			for i := range n {
				c.add([]model.Event{{Exchange: i, Ref: "frame " + strconv.Itoa(i)}})
			}
			r := fileResult{pending: c}
			if sorted && n > 0 {
				// Blocks of 100 reversed, in reverse: chunks are let go
				// out of order.
				for b := 0; b*100 < n; b++ {
					lo, hi := b*100, min(n, (b+1)*100)
					for i := hi - 1; i >= lo; i-- {
						r.order = append(r.order, i)
					}
				}
				slices.Reverse(r.order)
			}
			var want []string
			for e := range r.eachEvent() {
				want = append(want, e.Ref)
			}
			var got []string
			for e := range r.drainEvents() {
				got = append(got, e.Ref)
			}
			if !slices.Equal(got, want) || len(got) != n {
				t.Errorf("%d events, sorted %v: drained %d events in another order than the %d read", n, sorted, len(got), len(want))
			}
			for k, ch := range c.full {
				if ch != nil {
					t.Errorf("%d events, sorted %v: chunk %d kept after draining", n, sorted, k)
				}
			}
			if c.cur != nil && n > 0 {
				t.Errorf("%d events, sorted %v: last chunk kept after draining", n, sorted)
			}
		}
	}
}

// TestEventChunkWholePages: a chunk of events fills whole pages of the
// heap (8 KiB), so that no chunk holds a part of a page it does not use.
func TestEventChunkWholePages(t *testing.T) {
	size := eventChunk * int(unsafe.Sizeof(model.Event{}))
	if size%8192 != 0 {
		t.Errorf("a chunk of %d events is %d bytes, %d past a whole number of 8 KiB pages: choose eventChunk so that it fills them", eventChunk, size, size%8192)
	}
}
