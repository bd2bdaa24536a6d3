package httpwire

import (
	"strings"
	"testing"
)

// TestTrimOWS: trimOWS is strings.Trim(s, " \t") on every string of up to
// five bytes from spaces, tabs, other whitespace and non-ASCII bytes.
func TestTrimOWS(t *testing.T) {
	alphabet := []byte{' ', '\t', 'a', '\r', '\n', '\v', 0x85, 0xa0, 0xc2}
	var walk func(prefix []byte)
	n := 0
	walk = func(prefix []byte) {
		s := string(prefix)
		if got, want := trimOWS(s), strings.Trim(s, " \t"); got != want {
			t.Fatalf("trimOWS(%q) = %q, want %q", s, got, want)
		}
		n++
		if len(prefix) == 5 {
			return
		}
		for _, c := range alphabet {
			walk(append(prefix, c))
		}
	}
	walk(nil)
	if n < 60000 {
		t.Fatalf("only %d strings tried", n)
	}
}

func FuzzTrimOWS(f *testing.F) {
	for _, s := range []string{"", " \t a b \t ", "\t\t", "x", " \u00a0 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := trimOWS(s), strings.Trim(s, " \t"); got != want {
			t.Fatalf("trimOWS(%q) = %q, want %q", s, got, want)
		}
	})
}
