package har

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// stringEnd returns the index in p, the content of a JSON string from its
// start, of its closing quote (the first quote not escaped by a backslash),
// or -1 when p holds none.
//
// It is the framing goroutine's whole work on a body kept raw, so it must
// be much cheaper than unescaping: escape-heavy text (HTML, JSON bodies)
// has a quote or backslash every few bytes, and a search that stops at each
// one (closingQuote, or a quote search that then counts the backslashes
// before it) costs about as much as decoding. This one
// reads eight bytes at a time and stops at none of them: it marks the
// quotes and backslashes of a word exactly (a byte's high bit), and where
// no two backslashes of the word are adjacent every backslash escapes the
// byte after it, so the escaped bytes are the backslashes' marks moved up
// a byte (and the first byte when the word before ended in an escaping
// backslash). A quote not among them ends the string. A word with adjacent
// backslashes (an escaped backslash, rare in bodies) is read byte by byte.
// A run of words without either switches to the vectorized search (base64).
func stringEnd(p []byte) int {
	const lo, hi, low7 = 0x0101010101010101, 0x8080808080808080, 0x7f7f7f7f7f7f7f7f
	const quotes, backslashes = '"' * lo, '\\' * lo
	var esc uint64 // 0x80 when the byte before p[i] is an escaping backslash
	i, clean := 0, 0
	for i+8 <= len(p) {
		v := binary.LittleEndian.Uint64(p[i:])
		x, y := v^quotes, v^backslashes
		// A byte's high bit is set when it is zero in x (a quote) or y
		// (a backslash), exactly: no borrow crosses bytes.
		qm := ^((x&low7 + low7) | x) & hi
		bm := ^((y&low7 + low7) | y) & hi
		if qm|bm == 0 {
			i += 8
			esc = 0
			if clean++; clean == 4 {
				clean = 0
				// A long run without escapes: find the next quote with
				// the vectorized search, then make sure no backslash
				// comes before it.
				q := bytes.IndexByte(p[i:], '"')
				if q < 0 {
					q = len(p) - i
				}
				b := bytes.IndexByte(p[i:i+q], '\\')
				if b < 0 {
					if i+q == len(p) {
						return -1
					}
					return i + q
				}
				i += b // esc stays 0: the byte before is not a backslash
			}
			continue
		}
		clean = 0
		bm &^= esc // a backslash escaped by the one before is plain
		if bm&(bm<<8) == 0 {
			if q := qm &^ (bm<<8 | esc); q != 0 {
				return i + bits.TrailingZeros64(q)/8
			}
			esc = bm >> 56
			i += 8
			continue
		}
		// Adjacent backslashes: byte by byte.
		e := esc != 0
		for k := i; k < i+8; k++ {
			switch {
			case e:
				e = false
			case p[k] == '\\':
				e = true
			case p[k] == '"':
				return k
			}
		}
		esc = 0
		if e {
			esc = 0x80
		}
		i += 8
	}
	e := esc != 0
	for ; i < len(p); i++ {
		switch {
		case e:
			e = false
		case p[i] == '\\':
			e = true
		case p[i] == '"':
			return i
		}
	}
	return -1
}
