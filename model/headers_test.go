package model

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestFoldLens: the only runes beyond ASCII that strings.EqualFold finds
// equal to an ASCII letter are those foldLens counts, the long s and the
// Kelvin sign, with this Go's Unicode tables.
func TestFoldLens(t *testing.T) {
	want := map[rune]rune{0x17F: 's', 0x212A: 'k'}
	for r := rune(utf8.RuneSelf); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < utf8.RuneSelf && unicode.ToLower(f) != want[r] {
				t.Errorf("%U folds to %q: foldLens does not count it", r, f)
			}
		}
	}
	for r, l := range want {
		if n := utf8.RuneLen(r); (l == 's' && n != 2) || (l == 'k' && n != 3) {
			t.Errorf("%U is %d bytes", r, n)
		}
	}
}

// TestHeaderLookupsFold: Get, Values and Has find what comparing every
// field name with strings.EqualFold finds, for names whose letters are
// written in the other case, as the Kelvin sign or the long s, or with a
// byte more or less.
func TestHeaderLookupsFold(t *testing.T) {
	names := []string{"Cookie", "Set-Cookie", "Set-Cookie2", "Authorization", "Proxy-Authorization", "Location",
		"Content-Type", "X-Api-Key", "sec-fetch-mode", "Ks", "k", "s", "", "Coo\u212Aie", "\u017Fet-cookie", "é"}
	rng := rand.New(rand.NewPCG(1, 2))
	variant := func(name string) string {
		var b strings.Builder
		for _, r := range name {
			switch x := rng.IntN(8); {
			case x == 0 && (r == 'k' || r == 'K'):
				b.WriteRune(0x212A)
			case x == 0 && (r == 's' || r == 'S'):
				b.WriteRune(0x17F)
			case x == 1:
				b.WriteRune(unicode.SimpleFold(r))
			case x == 2 && rng.IntN(4) == 0:
				// drop the rune
			case x == 3 && rng.IntN(4) == 0:
				b.WriteRune(r)
				b.WriteByte('x')
			default:
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	for range 20000 {
		var h Headers
		for range rng.IntN(6) {
			h = append(h, Header{Name: variant(names[rng.IntN(len(names))]), Value: "v"})
		}
		h = append(h, Header{Name: variant(names[rng.IntN(len(names))]), Value: "w"})
		name := names[rng.IntN(len(names))]
		if rng.IntN(3) == 0 {
			name = variant(name)
		}
		var get string
		var values []string
		has := false
		for _, f := range h {
			if strings.EqualFold(f.Name, name) {
				if !has {
					get = f.Value
				}
				has = true
				values = append(values, f.Value)
			}
		}
		if h.Has(name) != has || h.Get(name) != get || strings.Join(h.Values(name), ",") != strings.Join(values, ",") {
			t.Fatalf("%q in %q: Has %v Get %q Values %q, EqualFold finds %v %q %q", name, h, h.Has(name), h.Get(name), h.Values(name), has, get, values)
		}
	}
}
