package report

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestFormatDeltaExtremes: a step ~292 years before the timeline's first
// (an evidence timeline is in findings' order, not time order) gives
// time.Sub's most negative duration, whose negation overflows to itself:
// formatDelta recursed until the stack overflowed, which kills the
// process (the fault rules' fmtDuration had, b7f0dff).
func TestFormatDeltaExtremes(t *testing.T) {
	if got := formatDelta(1500 * time.Millisecond); got != "+1.500 s" {
		t.Errorf("formatDelta(1.5s) = %q", got)
	}
	if got := formatDelta(math.MinInt64); !strings.HasPrefix(got, "-") || strings.Contains(got, "+") {
		t.Errorf("formatDelta(MinInt64) = %q", got)
	}
	// A step before the first reads "-1.500 s", not "-+1.500 s".
	if got := formatDelta(-1500 * time.Millisecond); got != "-1.500 s" {
		t.Errorf("formatDelta(-1.5s) = %q", got)
	}
	far := time.Date(2290, 1, 1, 0, 0, 0, 0, time.UTC)
	if d := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).Sub(far); d != math.MinInt64 {
		t.Fatalf("time.Sub no longer saturates (%v): the case is gone", d)
	}
}
