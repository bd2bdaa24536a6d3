package main

import (
	"math/rand/v2"
	"reflect"
	"regexp"
	"strconv"
	"testing"
)

// TestHuntB64RunsMatchesRegexp: the hunts' hand-written base64 run
// scanner finds what the regular expression it replaced finds.
func TestHuntB64RunsMatchesRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "Aa9+/_-= .%\"\\\n"
	for _, min := range []int{16, 24} {
		re := regexp.MustCompile(`[A-Za-z0-9+/_-]{` + strconv.Itoa(min) + `,}={0,2}`)
		for n := 0; n < 3000; n++ {
			b := make([]byte, rng.IntN(120))
			for i := range b {
				// Long runs of base64 characters, broken now and then.
				switch rng.IntN(8) {
				case 0:
					b[i] = alphabet[rng.IntN(len(alphabet))]
				case 1:
					b[i] = '=' // padding, and more than two of it
				default:
					b[i] = alphabet[rng.IntN(7)]
				}
			}
			want := re.FindAllStringIndex(string(b), -1)
			got := huntB64Runs(string(b), min)
			if len(want) == 0 && len(got) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("min %d, %q: got %v, want %v", min, b, got, want)
			}
		}
	}
}
