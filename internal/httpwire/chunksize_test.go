package httpwire

import (
	"strconv"
	"testing"
)

var chunkSizes = []string{"", "0", "00", "a", "A", "1f", "FFFF", "fffffffffffffff", "7fffffffffffffff", "8000000000000000",
	"ffffffffffffffff", "10000000000000000", "00000000000000000000001", "0x10", "1_0", "+1", "-1", "g", " 1", "1 ", "\u00e9"}

// parseChunkSize answers as strconv.ParseUint(s, 16, 63), which it replaces.
func TestParseChunkSize(t *testing.T) {
	for _, s := range chunkSizes {
		checkChunkSize(t, s)
	}
}

func checkChunkSize(t *testing.T, s string) {
	want, err := strconv.ParseUint(s, 16, 63)
	got, ok := parseChunkSize([]byte(s))
	if ok != (err == nil) || ok && got != want {
		t.Errorf("parseChunkSize(%q) = %d, %v; ParseUint gives %d, %v", s, got, ok, want, err)
	}
}

func FuzzParseChunkSize(f *testing.F) {
	for _, s := range chunkSizes {
		f.Add(s)
	}
	f.Fuzz(checkChunkSize)
}
