package har

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestIndexByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		p := make([]byte, rng.IntN(200))
		for i := range p {
			p[i] = "ab\\\"\x80\xdc"[rng.IntN(6)]
		}
		for _, c := range []byte{'\\', '"', 0x80} {
			if got, want := indexByte(p, c), bytes.IndexByte(p, c); got != want {
				t.Fatalf("indexByte(%q, %q) = %d, want %d", p, c, got, want)
			}
		}
	}
}
