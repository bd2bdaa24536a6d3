package oauth

import (
	"testing"
	"time"
)

// The one-value cache must answer as http.ParseTime does, for a repeated
// date, a refused one and one that follows a refused one.
func TestServerDateCache(t *testing.T) {
	x := NewExtractor()
	good := "Sun, 01 Mar 2026 09:00:00 GMT"
	want := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		in   string
		want time.Time
	}{
		{good, want},
		{good, want},
		{"Sun, 01 Mar 2026 09:00:00 UTC", time.Time{}},
		{"Sun, 01 Mar 2026 09:00:00 UTC", time.Time{}},
		{"Sun, 01 Mar 2026 09:00:01 GMT", want.Add(time.Second)},
		{good, want},
	} {
		if got := x.serverDate(c.in); !got.Equal(c.want) {
			t.Errorf("%d: serverDate(%q) = %v, want %v", i, c.in, got, c.want)
		}
	}
}
