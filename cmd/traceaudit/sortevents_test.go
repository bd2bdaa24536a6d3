package main

import (
	"testing"
	"time"

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
