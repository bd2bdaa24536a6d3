package har

import (
	"strings"
	"testing"
	"unsafe"
)

// TestInterner: every text comes back equal and never as the caller's own
// string (which may be a view into a reused buffer); a text seen before
// comes back as the same copy, for every length up to internMaxLen, and
// longer ones are copied each time.
func TestInterner(t *testing.T) {
	in := newInterner()
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	for n := 1; n <= internMaxLen+2; n++ {
		text := strings.Repeat("ab", n)[:n]
		view := string([]byte(text))
		first := in.str(view)
		if first != text || same(first, view) {
			t.Fatalf("len %d: %q, or the caller's own string", n, first)
		}
		again := in.str(string([]byte(text)))
		if again != text || same(again, first) != (n <= internMaxLen) {
			t.Fatalf("len %d: the second time %q, shared %v", n, again, same(again, first))
		}
	}
	if in.str("") != "" {
		t.Fatal("empty text")
	}
	// Texts differing in one byte anywhere, at every length, spread over
	// the slots as a good hash would (the cache is direct-mapped: a text
	// stays until another lands in its slot, and asking again for one
	// that was pushed out puts it back): maphash keeps about 1,250 of
	// these 2,080, hashes that mix a one-bit change poorly or combine
	// 16-byte blocks without their order about 600.
	var texts, copies []string
	for n := 1; n <= 64; n++ {
		for i := 0; i < n; i++ {
			b := []byte(strings.Repeat("x", n))
			b[i] = 'y'
			texts = append(texts, string(b))
			copies = append(copies, in.str(string(b)))
		}
	}
	kept := 0
	for i, text := range texts {
		if same(in.str(text), copies[i]) {
			kept++
		}
	}
	if kept < 1100 {
		t.Fatalf("%d of %d texts found again", kept, len(texts))
	}
}
