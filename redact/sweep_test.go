package redact

import (
	"strings"
	"testing"
)

// FuzzSweep: a value the sweep learnt never survives where it stands
// between two bytes no value may hold (quotes, markup, controls): as a
// script's string, an attribute, a word between tags. A value of 12 bytes
// or more is found after any such byte, a shorter one as a whole word; and
// a text that holds no learnt value comes back unchanged.
func FuzzSweep(f *testing.F) {
	f.Add("CgQI5pgB", "var s=", " order 482913", byte('"'), byte('"'))
	f.Add("AOiDlkphfGSlvWKsu", "<title>", "</title>", byte('>'), byte('<'))
	f.Add("GtMYjIVXfk0omvEX/A1mpBXxfb2x4uc-qq", "u=", "", byte('\''), byte('\n'))
	f.Add("Ab12Cd34", "xAb12Cd34 ", "Ab12Cd34z", byte('<'), byte('&'))
	f.Add("482913", "code ", " of", byte('"'), byte('"'))
	f.Fuzz(func(t *testing.T, v, a, b string, sep1, sep2 byte) {
		if len(v) > 256 || len(a) > 1024 || len(b) > 1024 || !never(sep1) || !never(sep2) {
			return
		}
		s := newSweeper()
		s.add(v, "#")
		learnt := len(s.vals) > 0
		if learnt && len(v) < sweepMin {
			// A short value is learnt only when it reads as a token.
			if _, ok := s.short[v]; !ok {
				t.Fatalf("%q learnt, not as a short value", v)
			}
		}
		planted := string(sep1) + v + string(sep2)
		text := a + planted + b
		out := s.apply(text)
		if learnt && strings.Contains(out, planted) {
			t.Fatalf("%q survives in %q", v, out)
		}
		plain := a + string(sep1) + string(sep2) + b
		var held bool
		for _, w := range s.vals {
			held = held || strings.Contains(plain, w)
		}
		if got := s.apply(plain); !held && got != plain {
			t.Fatalf("a text without %q changed: %q -> %q", v, plain, got)
		}
	})
}

// never reports a byte no swept value holds.
func never(c byte) bool {
	return c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == '\'' || c >= 0x7f
}
