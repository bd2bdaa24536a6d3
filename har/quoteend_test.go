package har

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
)

// refStringEnd is stringEnd byte by byte.
func refStringEnd(p []byte) int {
	e := false
	for i, c := range p {
		switch {
		case e:
			e = false
		case c == '\\':
			e = true
		case c == '"':
			return i
		}
	}
	return -1
}

func TestStringEndRandom(t *testing.T) {
	alpha := []byte(`\\\"aé#!]` + "\x00\x80\xff")
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 200000 {
		p := make([]byte, rng.IntN(90))
		for i := range p {
			if rng.IntN(3) == 0 {
				p[i] = alpha[rng.IntN(len(alpha))]
			} else {
				p[i] = byte('a' + rng.IntN(26))
			}
		}
		if got, want := stringEnd(p), refStringEnd(p); got != want {
			t.Fatalf("case %d %q: %d, want %d", n, p, got, want)
		}
	}
}

func FuzzStringEnd(f *testing.F) {
	f.Add([]byte(`abc\\\"def"`))
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := stringEnd(p), refStringEnd(p); got != want {
			t.Fatalf("%q: %d, want %d", p, got, want)
		}
	})
}

// bodies returns the raw contents of the long strings of the first MiBs
// of TRACEAUDIT_BENCH_FILE.
func benchBodies(b *testing.B) [][]byte {
	path := os.Getenv("TRACEAUDIT_BENCH_FILE")
	if path == "" {
		b.Skip("TRACEAUDIT_BENCH_FILE not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	data = data[:min(len(data), 256<<20)]
	var out [][]byte
	for i := 0; i < len(data); {
		j := refStringEnd(data[i+1:])
		if j < 0 {
			break
		}
		if j > 1000 {
			out = append(out, data[i+1:])
		}
		i += j + 2
		for i < len(data) && data[i] != '"' {
			i++
		}
	}
	return out
}

func BenchmarkStringEnd(b *testing.B) {
	all := benchBodies(b)
	for _, kind := range []string{"html", "plain"} {
		var bodies [][]byte
		for _, p := range all {
			if bytes.IndexByte(p[:200], '\\') >= 0 == (kind == "html") {
				bodies = append(bodies, p)
			}
		}
		b.Run(kind, func(b *testing.B) { benchStringEnd(b, bodies) })
	}
}

func benchStringEnd(b *testing.B, bodies [][]byte) {
	var n int64
	for _, p := range bodies {
		n += int64(refStringEnd(p))
	}
	b.Logf("%d bodies, %d bytes", len(bodies), n)
	dst := make([]byte, 0, 1<<20)
	b.Run("stringEnd", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			for _, p := range bodies {
				stringEnd(p)
			}
		}
	})
	b.Run("rawEnd", func(b *testing.B) {
		s := &scanner{strCap: 1 << 30}
		b.SetBytes(n)
		for b.Loop() {
			for _, p := range bodies {
				s.rawEnd(p[:min(len(p), 300<<10)])
			}
		}
	})
	b.Run("decodeInto", func(b *testing.B) {
		b.SetBytes(n)
		for b.Loop() {
			for _, p := range bodies {
				p = p[:min(len(p), 300<<10)]
				decodeInto(dst[:0], p)
			}
		}
	})
}
