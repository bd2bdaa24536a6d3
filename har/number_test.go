package har

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// FuzzShortDecimal: whatever shortDecimal reads, it reads to the bit as
// strconv.ParseFloat does (numOf's answer must not depend on the path).
func FuzzShortDecimal(f *testing.F) {
	for _, s := range []string{"200", "-1", "0", "-0", "115.800", "0.1", "-0.0", "999999999999999", "1234567890.12345",
		"9007199254740993", "1.", ".5", "-", "", "1e3", "00012", "3.14159265358979", "0.000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := shortDecimal(s)
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil && s != "1." && s != ".5" {
			// Forms JSON refuses and ParseFloat too ("1.", ".5" it reads);
			// the skeleton never hands them over.
			return
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("shortDecimal(%q) = %v (%x), ParseFloat %v (%x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	})
}

// TestShortDecimal compares shortDecimal with strconv.ParseFloat, to the
// bit, on 200,000 random numbers of up to 15 digits with the point
// anywhere, and checks it declines exponents and longer numbers.
func TestShortDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		n := 1 + rng.IntN(15)
		b := make([]byte, 0, 18)
		if rng.IntN(2) == 0 {
			b = append(b, '-')
		}
		point := -1
		if rng.IntN(2) == 0 {
			point = 1 + rng.IntN(n)
		}
		for i := range n {
			if i == point {
				b = append(b, '.')
			}
			b = append(b, byte('0'+rng.IntN(10)))
		}
		s := string(b)
		got, ok := shortDecimal(s)
		want, err := strconv.ParseFloat(s, 64)
		if !ok || err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("shortDecimal(%q) = %v, %v; ParseFloat %v, %v", s, got, ok, want, err)
		}
	}
	for _, s := range []string{"1e3", "1E-2", "1234567890123456", "-", "", "1.2.3", "+1"} {
		if _, ok := shortDecimal(s); ok {
			t.Errorf("shortDecimal(%q) read it", s)
		}
	}
}
