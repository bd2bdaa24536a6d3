package har

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"

	"github.com/tidwall/gjson"
)

// scanner frames JSON values in the stream after the walk to log.entries.
// It does not build a tree: it finds where a value ends (string and escape
// aware, counting nesting) and keeps a bounded copy of it for gjson. Short
// strings stay in that copy as they are; long ones (bodies) are unescaped
// on the fly into a side buffer and replaced by a short reference, so gjson
// only ever walks a small skeleton and a body is read once. Memory is flat:
// strings are cut at strCap and values at valueCap.
type scanner struct {
	br  source
	off int64 // offset of the next unread byte in the (decompressed) document

	maxDepth int
	strCap   int // most decoded bytes of one long string kept
	valueCap int // most bytes of one value kept (skeleton and side together)

	buf   []byte // skeleton of the last value, whitespace outside strings dropped
	side  []byte // decoded long strings of the last value
	spans []span
	strs  []strSpan // where the skeleton's strings are, in order (see strSpan)

	// Set by scanValue for the last value.
	tooDeep  bool
	tooLarge bool

	eof bool // the input ended; everything left is buffered

	hasRaw bool // s.spans has a raw string
	// skipBody is Options.SkipBody; skipMemo remembers its answers by
	// the media type's text in the input.
	skipBody func(string) bool
	skipMemo map[string]bool
	// deferPages is Options.DeferPages: the text of an HTML page is kept
	// raw too, for the caller to decode or not (Reader.ResolveBody).
	deferPages bool
	// Tests: rawOff decodes every long string while framing, rawAll
	// keeps every one raw that can be.
	rawOff, rawAll bool
	// slowFrame turns frameFast off (tests compare the two).
	slowFrame bool
	noRaw     bool // no more raw strings in this value (settleRaw ran)

	// State of the string being read.
	keep     bool
	strStart int // start of its content in side
	strCut   bool
}

// span is one long string moved to side.
type span struct {
	start, end int
	cut        bool // cut at strCap
	// raw: side[start:end] is the string's content as it is in the input,
	// escapes and all, to be unescaped by unescapeRaw.
	raw bool
}

// strSpan is a plain string of the skeleton as the scanner found it while
// framing, one without a backslash or a byte below 0x20: its quotes are at
// buf[start] and buf[end]. Such a string is valid JSON, and the decoders'
// validating pass (skeleton.reset) need not read it again; most of an
// entry's strings are plain. Other strings are not listed.
type strSpan struct {
	start, end int32
}

// sideWindow is how much more room longString makes in side at a time.
const sideWindow = 16 << 10

// sideMax is the longest string kept in the skeleton; longer ones (and
// strings that cross a read boundary) go to side.
const sideMax = 256

// placeholder starts every side reference in the skeleton; a string that
// starts with it in the input goes to side too, so a reference is never
// forged.
var placeholder = []byte(`\u0000\u0001`)

var (
	errSyntax = errors.New("invalid JSON")
	// errDepth carries its limit so the CLI can name the flag.
	errDepth error = &model.LimitError{Limit: model.LimitJSONDepth, Err: errors.New("nesting too deep")}
)

// peek returns the buffered bytes, reading more when fewer than need are
// buffered (need is at most the buffer's size). At the end of the input it returns
// what is left, fewer than need bytes, and sets s.eof; io.EOF only when
// nothing is left.
func (s *scanner) peek(need int) ([]byte, error) {
	need = max(need, 1)
	if s.br.Buffered() < need {
		b, err := s.br.Peek(need)
		if err != nil {
			if len(b) == 0 || err != io.EOF {
				return nil, err
			}
			s.eof = true
			return b, nil
		}
	}
	b, _ := s.br.Peek(s.br.Buffered())
	return b, nil
}

func (s *scanner) discard(n int) {
	s.br.Discard(n) // n ≤ Buffered, cannot fail
	s.off += int64(n)
}

// nextByte skips whitespace and returns the next byte without consuming it.
func (s *scanner) nextByte() (byte, error) {
	for {
		b, err := s.peek(0)
		if err != nil {
			return 0, err
		}
		for i, c := range b {
			if !isSpace(c) {
				s.discard(i)
				return c, nil
			}
		}
		s.discard(len(b))
	}
}

// expect consumes the next non-space byte, which must be one of set.
func (s *scanner) expect(set string) (byte, error) {
	c, err := s.nextByte()
	if err != nil {
		return 0, err
	}
	if bytes.IndexByte([]byte(set), c) < 0 {
		return c, fmt.Errorf("%w: unexpected %q, want one of %q", errSyntax, c, set)
	}
	s.discard(1)
	return c, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// scalarByte reports whether c can be part of a JSON number or literal.
func scalarByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '+' || c == '.'
}

// scanValue consumes one JSON value. With keep, it is kept in s.buf and
// s.side (bounded by strCap and valueCap); without, it is only skipped, so a
// value of any size costs no memory. A clean end of input inside the value
// is io.ErrUnexpectedEOF.
func (s *scanner) scanValue(keep bool) error {
	s.buf, s.side, s.spans, s.strs = s.buf[:0], s.side[:0], s.spans[:0], s.strs[:0]
	s.tooDeep, s.tooLarge = false, false
	// A one-off huge value must not pin its buffers.
	if cap(s.buf) > 1<<20 {
		s.buf = nil
	}
	if cap(s.side) > 2*s.strCap+1<<20 {
		s.side = nil
	}
	if cap(s.strs) > 1<<16 {
		s.strs = nil
	}
	s.keep = keep
	s.hasRaw, s.noRaw = false, s.rawOff

	var (
		depth  int
		inStr  bool
		scalar bool // a top-level number or literal is being read
		need   int
		// gap: whitespace follows a byte of a number or literal. The
		// skeleton drops whitespace, so "-\t1" or "2 00" would read as
		// one number: a second such byte after the gap puts a space in
		// the skeleton, which its validation refuses, as JSON does.
		gap bool
	)
	checkSize := func() {
		if s.keep && len(s.buf)+len(s.side) > s.valueCap {
			// The limit counts decoded bytes: raw strings are decoded
			// before it is judged, once per value.
			if s.hasRaw {
				s.settleRaw()
				s.noRaw = true
				if len(s.buf)+len(s.side) <= s.valueCap {
					return
				}
			}
			s.keep = false
			s.tooLarge = true
		}
	}

	for {
		chunk, err := s.peek(need)
		need = 0
		if err != nil {
			if err == io.EOF {
				if scalar {
					return nil
				}
				return io.ErrUnexpectedEOF
			}
			return err
		}
		// chunk[run:i] goes to the skeleton as it is: bytes are copied a
		// run at a time, not one by one, up to whitespace, a long string,
		// the end of the value or of the chunk.
		i, run := 0, 0
		for i < len(chunk) {
			if inStr {
				n, closed := s.longString(chunk[i:])
				i += n
				run = i
				if closed {
					inStr = false
					if depth == 0 {
						s.discard(i)
						checkSize()
						return nil
					}
					continue
				}
				if i < len(chunk) {
					// An escape sequence continues past the buffered bytes.
					if s.eof {
						s.discard(i)
						return io.ErrUnexpectedEOF
					}
					need = len(chunk) - i + 12
				}
				break
			}

			// long: frameFast stopped at a string with no quote,
			// backslash or control byte in its first sideMax+1 bytes,
			// where closingQuoteInfo would find nothing either.
			long := false
			if s.keep && !gap && !scalar && depth > 0 && !s.slowFrame {
				// The common state, inside a kept container: pass over
				// punctuation, scalars and short plain strings without
				// the general switch; anything else is left to it.
				i, depth, long = s.frameFast(chunk, i, run, depth)
				if i == len(chunk) {
					break
				}
			}
			c := chunk[i]
			if gap && !isSpace(c) {
				gap = false
				if s.keep && scalarByte(c) {
					s.buf = append(s.buf, chunk[run:i]...)
					s.buf = append(s.buf, ' ')
					run = i
				}
			}
			if scalar {
				if isSpace(c) || c == ',' || c == ']' || c == '}' {
					s.discard(i)
					return nil
				}
				if s.keep {
					s.buf = append(s.buf, c)
				}
				i++
				run = i
				continue
			}
			switch c {
			case ' ', '\t', '\n', '\r':
				if s.keep {
					s.buf = append(s.buf, chunk[run:i]...)
					gap = gap || len(s.buf) > 0 && scalarByte(s.buf[len(s.buf)-1])
				}
				run = i + 1
			case '"':
				// A short string stays in the skeleton as it is; a long one
				// is decoded to side. Deciding needs sideMax+2 bytes
				// from the quote on: when the chunk ends before a short
				// string does, read more first.
				rest := chunk[i+1:]
				end, esc, ctrl := -1, false, false
				if !long {
					end, esc, ctrl = closingQuoteInfo(rest[:min(len(rest), sideMax+1)])
				}
				if end < 0 && len(rest) <= sideMax && !s.eof {
					need = sideMax + 2
					goto refill
				}
				if end >= 0 && !bytes.HasPrefix(rest, placeholder) {
					if s.keep && !esc && !ctrl {
						// The quote lands after the run not copied yet.
						at := len(s.buf) + i - run
						s.strs = append(s.strs, strSpan{start: int32(at), end: int32(at + end + 1)})
					}
					i += end + 2
					if depth == 0 {
						if s.keep {
							s.buf = append(s.buf, chunk[run:i]...)
						}
						s.discard(i)
						checkSize()
						return nil
					}
					continue
				}
				if s.keep {
					s.buf = append(s.buf, chunk[run:i]...)
					run = i
				}
				if s.keep && !s.noRaw && (s.rawAll || s.rawBody()) {
					// Kept raw when the whole string is buffered: the
					// decoding goroutines unescape it (see rawEnd), or,
					// as a body nothing reads, nobody does; a deferred
					// page, whoever needs it.
					if q := s.rawEnd(rest); q >= 0 {
						start := len(s.side)
						s.side = append(s.side, rest[:q]...)
						s.spans = append(s.spans, span{start: start, end: len(s.side), raw: true})
						s.hasRaw = true
						s.addRef()
						i += q + 2
						run = i
						if depth == 0 {
							s.discard(i)
							checkSize()
							return nil
						}
						continue
					}
					// A string the buffer cuts: read on from its quote so
					// that it is buffered whole, when it fits.
					if i > 0 && !s.eof && len(chunk) < s.br.Size() {
						need = s.br.Size()
						goto refill
					}
				}
				if s.keep {
					s.buf = append(s.buf, chunk[run:i]...)
				}
				run = i + 1
				inStr = true
				s.strStart, s.strCut = len(s.side), false
			case '{', '[':
				depth++
				if depth > s.maxDepth {
					if s.keep {
						s.buf = append(s.buf, chunk[run:i]...)
					}
					s.tooDeep = true
					s.keep = false
				}
			case '}', ']':
				if depth == 0 {
					s.discard(i)
					return fmt.Errorf("%w: unexpected %q", errSyntax, c)
				}
				depth--
				if depth == 0 {
					i++
					if s.keep {
						s.buf = append(s.buf, chunk[run:i]...)
					}
					s.discard(i)
					checkSize()
					return nil
				}
			default:
				if depth == 0 {
					scalar = true
					if s.keep {
						s.buf = append(s.buf, c)
					}
					i++
					run = i
					continue
				}
			}
			i++
		}
	refill:
		if s.keep && run < i {
			s.buf = append(s.buf, chunk[run:i]...)
		}
		checkSize()
		s.discard(i)
	}
}

// frameClass sorts the bytes frameFast meets outside strings: 0 for those
// it passes over (punctuation, digits, letters of literals), the others
// for what it does itself or leaves to scanValue's general switch.
var frameClass = [256]uint8{
	'"': 1, '{': 2, '[': 2, '}': 3, ']': 3,
	' ': 4, '\t': 4, '\n': 4, '\r': 4,
}

// frameFast is scanValue's loop for the bytes of a kept container at
// depth > 0, outside strings, with no whitespace gap and no scalar at the
// top level pending: it passes over bytes that are part of the container
// as they are (they are copied with the run that starts at run), notes the
// plain strings of at most sideMax bytes it finds whole in chunk, and
// counts nesting, which stays above zero and within maxDepth. It returns
// where it stopped, at a byte the general switch must read (a string it
// cannot settle, whitespace, a container too deep, the container's end)
// or at the end of chunk, the depth there, and whether it stopped at a
// string that has no quote, backslash or control byte in its first
// sideMax+1 bytes (a long one, which the general switch then need not
// search again). It reads and decides
// exactly as the general switch does for the bytes it takes (tests compare
// the two with slowFrame).
func (s *scanner) frameFast(chunk []byte, i, run, depth int) (int, int, bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	const quotes, backslashes, spaces = '"' * lo, '\\' * lo, 0x20 * lo
	strs := s.strs
	base := len(s.buf) - run // where chunk[j] lands in the skeleton: base+j
	for i < len(chunk) {
		switch frameClass[chunk[i]] {
		case 0:
			i++
			continue
		case 1:
			// A string: plain when a quote comes before any backslash or
			// control byte, within sideMax bytes.
			j := i + 1
			stop := min(len(chunk), j+sideMax+1)
			for j+8 <= stop {
				v := binary.LittleEndian.Uint64(chunk[j:])
				x, y := v^quotes, v^backslashes
				if m := ((x-lo)&^x | (y-lo)&^y | (v-spaces)&^v) & hi; m != 0 {
					j += bits.TrailingZeros64(m) / 8
					goto found
				}
				j += 8
			}
			for j < stop && chunk[j] != '"' && chunk[j] != '\\' && chunk[j] >= 0x20 {
				j++
			}
		found:
			if j >= stop || chunk[j] != '"' {
				s.strs = strs
				// Nothing stopped the search in a whole window: the
				// string is long, and plain that far.
				return i, depth, j >= stop && stop-(i+1) == sideMax+1
			}
			strs = append(strs, strSpan{start: int32(base + i), end: int32(base + j)})
			i = j + 1
		case 2:
			if depth >= s.maxDepth {
				s.strs = strs
				return i, depth, false
			}
			depth++
			i++
		case 3:
			if depth <= 1 {
				s.strs = strs
				return i, depth, false
			}
			depth--
			i++
		default:
			s.strs = strs
			return i, depth, false
		}
	}
	s.strs = strs
	return i, depth, false
}

// longString reads string content from p, unescaping it into side. It
// returns the bytes consumed and whether the closing quote was among them;
// it stops short of an escape sequence that p holds only part of.
//
// This loop is where a HAR's bodies are read, so it is written for speed:
// eight bytes at a time are stored unconditionally and then searched for a
// quote or backslash in a register (the classic has-zero-byte test); the
// decoded text is never longer than the input, so one Grow per chunk makes
// room. It works on a local copy of side because storing the slice header
// into the heap-allocated scanner on every append would cost a GC write
// barrier per escape.
func (s *scanner) longString(p []byte) (int, bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	const quotes, backslashes = '"' * lo, '\\' * lo
	keep := s.keep && !s.strCut
	limit := s.strStart + s.strCap
	side := s.side
	if keep && limit-len(side) >= len(p)+8 {
		// The common case: all of p fits under the cap. p is everything
		// buffered (up to readBuf), usually far more than the string:
		// room is made a window at a time, so that a frame's side buffer
		// grows with its strings, not with the read buffer.
		i := 0
		for {
			w := p[i:min(len(p), i+sideWindow)]
			last := i+len(w) == len(p)
			side = slices.Grow(side, len(w)+8)
			var n int
			var closed bool
			// Short of the window's end only at an escape sequence the
			// window cuts, which the next window holds whole.
			side, n, closed = decodeInto(side, w)
			i += n
			if closed || last {
				s.side = side
				if closed {
					s.closeString()
				}
				return i, closed
			}
		}
	}
	if keep {
		side = slices.Grow(side, min(len(p), max(limit-len(side), 0))+8)
	}
	i, closed := 0, false
	clean := 0 // plain 8-byte words in a row
	for i < len(p) {
		var k int // plain bytes before the next quote or backslash
		switch {
		case clean >= 4:
			// A long run without escapes (base64, minified text): let
			// the vectorized search find its end.
			clean = 0
			w := p[i:]
			k = bytes.IndexByte(w, '\\')
			if k < 0 {
				k = len(w)
			}
			if q := bytes.IndexByte(w[:k], '"'); q >= 0 {
				k = q
			}
			if keep {
				side, keep = s.addCut(side, w[:k], limit)
			}
			i += k
			if i == len(p) {
				continue
			}
		case i+8 <= len(p):
			v := binary.LittleEndian.Uint64(p[i:])
			x, y := v^quotes, v^backslashes
			m := ((x-lo)&^x | (y-lo)&^y) & hi
			k = 8
			if m != 0 {
				k = bits.TrailingZeros64(m) / 8
			}
			if keep {
				if n := len(side); limit-n >= 8 {
					side = side[:n+8]
					binary.LittleEndian.PutUint64(side[n:], v)
					side = side[:n+k]
				} else {
					side, keep = s.addCut(side, p[i:i+k], limit)
				}
			}
			i += k
			if k == 8 {
				clean++
				continue
			}
			clean = 0
		default:
			for k < len(p)-i && p[i+k] != '"' && p[i+k] != '\\' {
				k++
			}
			if keep {
				side, keep = s.addCut(side, p[i:i+k], limit)
			}
			i += k
			if i == len(p) {
				continue
			}
		}

		// p[i] is a quote or a backslash.
		if p[i] == '"' {
			i++
			closed = true
			break
		}
		if i+1 < len(p) {
			if c := simpleEscapes[p[i+1]]; c != 0 {
				if keep {
					if len(side) < limit {
						side = append(side, c)
					} else {
						keep, s.strCut = false, true
					}
				}
				i += 2
				continue
			}
		}
		n, r, ok := decodeEscape(p[i:])
		if !ok {
			break
		}
		if keep && r >= 0 {
			var tmp [4]byte
			side, keep = s.addCut(side, utf8.AppendRune(tmp[:0], r), limit)
		}
		i += n
	}
	if s.keep {
		s.side = side
	}
	if closed {
		s.closeString()
	}
	return i, closed
}

// decodeInto is longString's loop for when all of p fits in dst without a
// cap check: dst must have room for len(p)+8 more bytes. Decoded text is
// never longer than its input, so every eight-byte store stays in bounds.
func decodeInto(dst, p []byte) ([]byte, int, bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	const quotes, backslashes = '"' * lo, '\\' * lo
	n := len(dst)
	dst = dst[:cap(dst)]
	i, clean := 0, 0
	for i < len(p) {
		if clean >= 4 {
			clean = 0
			w := p[i:]
			k := bytes.IndexByte(w, '\\')
			if k < 0 {
				k = len(w)
			}
			if q := bytes.IndexByte(w[:k], '"'); q >= 0 {
				k = q
			}
			n += copy(dst[n:], w[:k])
			i += k
			if i == len(p) {
				break
			}
		} else if i+8 <= len(p) {
			v := binary.LittleEndian.Uint64(p[i:])
			binary.LittleEndian.PutUint64(dst[n:], v)
			x, y := v^quotes, v^backslashes
			m := ((x-lo)&^x | (y-lo)&^y) & hi
			if m == 0 {
				i += 8
				n += 8
				clean++
				continue
			}
			clean = 0
			k := bits.TrailingZeros64(m) / 8
			i += k
			n += k
		} else {
			for i < len(p) && p[i] != '"' && p[i] != '\\' {
				dst[n] = p[i]
				n++
				i++
			}
			if i == len(p) {
				break
			}
		}

		// p[i] is a quote or a backslash.
		if p[i] == '"' {
			return dst[:n], i + 1, true
		}
		if i+1 < len(p) {
			if c := simpleEscapes[p[i+1]]; c != 0 {
				dst[n] = c
				n++
				i += 2
				continue
			}
		}
		k, r, ok := decodeEscape(p[i:])
		if !ok {
			break
		}
		if r >= 0 {
			n += utf8.EncodeRune(dst[n:], r)
		}
		i += k
	}
	return dst[:n], i, false
}

// simpleEscapes maps the byte after a backslash to the byte it stands for,
// for the escapes of one byte ("\u" and invalid escapes are not here).
var simpleEscapes = [256]byte{
	'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
}

// addCut appends b to side up to limit, marking the string cut when it
// does not fit; it reports whether there is room for more.
func (s *scanner) addCut(side, b []byte, limit int) ([]byte, bool) {
	if room := limit - len(side); len(b) > room {
		s.strCut = true
		return append(side, b[:max(room, 0)]...), false
	}
	return append(side, b...), true
}

func (s *scanner) closeString() {
	if !s.keep {
		return
	}
	s.spans = append(s.spans, span{start: s.strStart, end: len(s.side), cut: s.strCut})
	s.addRef()
}

// rawEnd returns the length of the content of the long string that p
// starts (p is what follows its opening quote) when it can be kept raw,
// or -1. Kept raw: the closing quote is buffered, the content is at most
// strCap bytes (so its decoded text, never longer, is not cut) and at
// least 12 bytes follow the quote (so that decoding, which may look up to
// 12 bytes past an escape, reads it as longString would have, whatever
// comes after the string).
//
// This is all the framing goroutine does with a body: find where it ends
// (stringEnd) and copy it.
func (s *scanner) rawEnd(p []byte) int {
	p = p[:min(len(p), s.strCap+13)]
	i := stringEnd(p)
	if i < 0 || i > s.strCap || len(p)-i-1 < 12 {
		return -1
	}
	return i
}

// rawBody reports whether the long string starting now is, by the look
// of the skeleton so far, the text of a content object whose mimeType
// (given before it) SkipBody leaves out, or names an HTML page while
// DeferPages. Such a body is kept raw: not decoded while framing, since
// nobody reads it, or a page only the caller can tell whether anybody
// will (most are not: decoding them was a third of the framing
// goroutine's time on the 20,000-entry bench HAR, the one goroutine a scan
// of such a file waits for). Other bodies are decoded while framing, in
// the one pass that finds their end: keeping them raw would cost a
// second pass. The look is a guess, only ever choosing between two ways
// of keeping the same string.
func (s *scanner) rawBody() bool {
	const key, mimeKey = `"text":`, `"mimeType":"`
	b := s.buf
	if s.skipBody == nil && !s.deferPages || !bytes.HasSuffix(b, []byte(key)) {
		return false
	}
	obj := b[bytes.LastIndexByte(b, '{')+1:]
	// The last mimeType of the object, found with the vectorized forward
	// search (bytes.LastIndex hashes every byte of the object).
	k := -1
	for from := 0; ; {
		j := bytes.Index(obj[from:], []byte(mimeKey))
		if j < 0 {
			break
		}
		k = from + j
		from = k + 1
	}
	if k < 0 {
		return false
	}
	v := obj[k+len(mimeKey):]
	e := bytes.IndexByte(v, '"')
	if e < 0 || e > 128 || bytes.IndexByte(v[:e], '\\') >= 0 {
		return false
	}
	v = v[:e]
	skip, ok := s.skipMemo[string(v)]
	if !ok {
		mt := mediaType(string(v))
		skip = s.skipBody != nil && s.skipBody(mt) || s.deferPages && deferredType(mt)
		if s.skipMemo == nil || len(s.skipMemo) >= 64 {
			s.skipMemo = make(map[string]bool)
		}
		s.skipMemo[string(v)] = skip
	}
	return skip
}

// settleRaw unescapes the raw strings of the value being read, so that
// side holds decoded text only, as without raw strings.
func (s *scanner) settleRaw() {
	out := make([]byte, 0, len(s.side))
	prev := 0
	for k := range s.spans {
		sp := &s.spans[k]
		start := len(out)
		if sp.raw {
			out = unescapeRaw(out, s.side[sp.start:sp.end])
		} else {
			out = append(out, s.side[sp.start:sp.end]...)
		}
		prev = sp.end
		sp.start, sp.end, sp.raw = start, len(out), false
	}
	// A string being read by longString follows the spans.
	s.strStart += len(out) - prev
	s.side = append(out, s.side[prev:]...)
	s.hasRaw = false
}

// unescapeRaw appends the decoded text of raw, the content of a string
// (without its quotes) as rawEnd kept it, to dst, as longString would
// have decoded it: an escape that would look past the content sees the
// closing quote.
func unescapeRaw(dst, raw []byte) []byte {
	dst = slices.Grow(dst, len(raw)+8)
	for {
		var n int
		dst, n, _ = decodeInto(dst, raw)
		raw = raw[n:]
		if len(raw) == 0 {
			return dst
		}
		var tmp [12]byte
		copy(tmp[:], raw)
		tmp[len(raw)] = '"'
		k, r, _ := decodeEscape(tmp[:])
		if r >= 0 {
			dst = utf8.AppendRune(dst, r)
		}
		raw = raw[k:]
	}
}

// addRef appends a reference to the last span to the skeleton.
func (s *scanner) addRef() {
	s.buf = append(s.buf, '"')
	s.buf = append(s.buf, placeholder...)
	s.buf = strconv.AppendInt(s.buf, int64(len(s.spans)-1), 10)
	s.buf = append(s.buf, '"')
}

// decodeEscape decodes the escape sequence at the start of p (which starts
// with a backslash). ok is false when p ends before the sequence does. A
// malformed sequence is read leniently, since bodies are evidence, not
// something to reject: a bad \u or a backslash before a non-ASCII byte is
// dropped (r < 0: nothing to emit, only the backslash consumed). The
// decoded rune never takes more bytes than the sequence, which decodeInto
// relies on.
func decodeEscape(p []byte) (n int, r rune, ok bool) {
	if len(p) < 2 {
		return 0, 0, false
	}
	switch c := p[1]; c {
	case 'u':
		if len(p) < 6 {
			return 0, 0, false
		}
		r1, ok1 := hex4(p)
		if !ok1 {
			return 1, -1, true
		}
		if !utf16.IsSurrogate(r1) {
			return 6, r1, true
		}
		if len(p) < 12 {
			if len(p) >= 7 && p[6] != '\\' || len(p) >= 8 && p[7] != 'u' {
				return 6, utf8.RuneError, true
			}
			return 0, 0, false
		}
		if r2, ok2 := hex4(p[6:]); ok2 {
			if r := utf16.DecodeRune(r1, r2); r != utf8.RuneError {
				return 12, r, true
			}
		}
		return 6, utf8.RuneError, true
	case 'b':
		return 2, '\b', true
	case 'f':
		return 2, '\f', true
	case 'n':
		return 2, '\n', true
	case 'r':
		return 2, '\r', true
	case 't':
		return 2, '\t', true
	default:
		if c >= utf8.RuneSelf {
			return 1, -1, true
		}
		return 2, rune(c), true
	}
}

// closingQuote returns the index in p, the content of a string from its
// start, of the first quote not escaped by a backslash, or -1. One pass,
// eight bytes at a time, stopping at quotes and backslashes only: a
// backslash and the byte after it are skipped.
func closingQuote(p []byte) int {
	q, _ := closingQuoteEsc(p)
	return q
}

// closingQuoteEsc is closingQuote, also reporting whether a backslash came
// before the quote.
func closingQuoteEsc(p []byte) (int, bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	const quotes, backslashes = '"' * lo, '\\' * lo
	i, esc := 0, false
	for {
		for i+8 <= len(p) {
			v := binary.LittleEndian.Uint64(p[i:])
			x, y := v^quotes, v^backslashes
			if m := ((x-lo)&^x | (y-lo)&^y) & hi; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for i < len(p) && p[i] != '"' && p[i] != '\\' {
			i++
		}
		if i >= len(p) {
			return -1, esc
		}
		if p[i] == '"' {
			return i, esc
		}
		esc = true
		i += 2 // the backslash and the byte it escapes
	}
}

// closingQuoteInfo is closingQuoteEsc, also reporting whether a byte
// below 0x20 (invalid in a JSON string) came before the quote.
func closingQuoteInfo(p []byte) (int, bool, bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	const quotes, backslashes, spaces = '"' * lo, '\\' * lo, 0x20 * lo
	i, esc, ctrl := 0, false, false
	for {
		for i+8 <= len(p) {
			v := binary.LittleEndian.Uint64(p[i:])
			x, y := v^quotes, v^backslashes
			if m := ((x-lo)&^x | (y-lo)&^y | (v-spaces)&^v) & hi; m != 0 {
				i += bits.TrailingZeros64(m) / 8
				break
			}
			i += 8
		}
		for i < len(p) && p[i] != '"' && p[i] != '\\' && p[i] >= 0x20 {
			i++
		}
		if i >= len(p) {
			return -1, esc, ctrl
		}
		switch p[i] {
		case '"':
			return i, esc, ctrl
		case '\\':
			esc = true
			i += 2 // the backslash and the byte it escapes
		default:
			ctrl = true
			i++
		}
	}
}

// skipKey reads an object member name and its colon.
func (s *scanner) skipKey() error {
	c, err := s.nextByte()
	if err != nil {
		return err
	}
	if c != '"' {
		s.discard(1)
		return fmt.Errorf("%w: unexpected %q, want a member name", errSyntax, c)
	}
	if err := s.scanValue(false); err != nil {
		return err
	}
	_, err = s.expect(":")
	return err
}

// frame is one entry as the scanner kept it: the skeleton gjson reads and
// the long strings it refers to.
type frame struct {
	idx   int
	start int64 // offset of the entry in the document

	buf      []byte
	side     []byte
	spans    []span
	strs     []strSpan
	tooDeep  bool
	tooLarge bool
	valueCap int
}

// content returns the decoded bytes of a string value of the frame,
// whether they are a view into side (valid while the frame is) and whether
// the string was cut at strCap. Short strings are unescaped from the
// skeleton into a new slice of at most limit bytes.
// Raw strings are unescaped into *arena, which must stay untouched but
// for appends while the view is in use.
func (f *frame) content(v gjson.Result, limit int64, arena *[]byte) (data []byte, view, cut bool) {
	if v.Type != gjson.String {
		return nil, false, false
	}
	if sp, ok := f.spanOf(v); ok {
		return f.spanText(sp, arena), true, sp.cut
	}
	if len(v.Raw) < 2 {
		return nil, false, false
	}
	raw := v.Raw[1 : len(v.Raw)-1] // read only: no copy needed
	data, cut = unescapeBounded(unsafe.Slice(unsafe.StringData(raw), len(raw)), limit)
	return data, false, cut
}

// spanText returns the decoded text of a span: a view into side, or for a
// raw span into *arena, where it is unescaped now.
func (f *frame) spanText(sp span, arena *[]byte) []byte {
	b := f.side[sp.start:sp.end:sp.end]
	if !sp.raw {
		return b
	}
	start := len(*arena)
	*arena = unescapeRaw(*arena, b)
	return (*arena)[start:len(*arena):len(*arena)]
}

func (f *frame) spanOf(v gjson.Result) (span, bool) {
	if v.Type != gjson.String || !strings.HasPrefix(v.Str, "\x00\x01") {
		return span{}, false
	}
	i, err := strconv.Atoi(v.Str[2:])
	if err != nil || i < 0 || i >= len(f.spans) {
		return span{}, false
	}
	return f.spans[i], true
}

// str returns the text of a string value, resolving side references;
// numbers and booleans are rendered as text (producers disagree on whether
// connection and pageref are strings or numbers).
//
// The text is always a copy of its own: gjson's strings are substrings of
// the entry's whole skeleton, so keeping one (a URL, a header value) would
// keep the entry's every byte alive for as long as the exchange lives.
func (f *frame) str(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		if sp, ok := f.spanOf(v); ok {
			if sp.raw {
				return string(unescapeRaw(nil, f.side[sp.start:sp.end]))
			}
			return string(f.side[sp.start:sp.end])
		}
		return strings.Clone(v.Str)
	case gjson.Number, gjson.True, gjson.False:
		return strings.Clone(v.Raw)
	}
	return ""
}

// indexByte is bytes.IndexByte tuned for escape-heavy text (HTML, JSON
// bodies), where a quote or backslash comes every few bytes and the call
// overhead of the vectorized search dominates: the first 64 bytes are
// searched eight at a time in a register (the classic has-zero-byte test).
func indexByte(p []byte, c byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	pattern := uint64(c) * lo
	i := 0
	for ; i+8 <= len(p) && i < 64; i += 8 {
		x := binary.LittleEndian.Uint64(p[i:]) ^ pattern
		if m := (x - lo) &^ x & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i < 64 {
		for ; i < len(p); i++ {
			if p[i] == c {
				return i
			}
		}
		return -1
	}
	if j := bytes.IndexByte(p[i:], c); j >= 0 {
		return i + j
	}
	return -1
}
