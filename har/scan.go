package har

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// scanner frames JSON values in the stream after the walk to log.entries.
// It does not parse: it finds where a value ends (string and escape aware,
// counting nesting) and keeps a bounded copy of it for gjson. This is what
// makes the reader fast (bytes.IndexByte through long strings) and its memory
// flat (strings longer than strCap and values longer than valueCap are cut).
type scanner struct {
	br  *bufio.Reader
	off int64 // offset of the next unread byte in the (decompressed) document

	maxDepth int
	strCap   int // most bytes of one string's content kept
	valueCap int // most bytes of one value kept

	buf []byte // kept bytes of the last value, whitespace outside strings dropped

	// Long strings are moved out of buf into side, and buf holds a short
	// placeholder ("\u0000\u0001" and the index into spans) instead, so
	// that gjson walks a small skeleton and never scans a body.
	side  []byte
	spans [][2]int // [start, end) of each string literal, quotes included

	// Set by scanValue for the last value.
	tooDeep      bool
	tooLarge     bool
	strTruncated bool
}

// sideMin is the string length from which a string is kept in side.
const sideMin = 16 << 10

// placeholder starts every side reference in buf; a string that starts
// with it in the input goes to side too, so a reference is never forged.
var placeholder = []byte(`\u0000\u0001`)

var (
	errSyntax = errors.New("invalid JSON")
	errDepth  = errors.New("nesting too deep")
)

// peek returns the buffered bytes, reading more when none are left.
func (s *scanner) peek() ([]byte, error) {
	if s.br.Buffered() == 0 {
		if _, err := s.br.Peek(1); err != nil {
			return nil, err
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
		b, err := s.peek()
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

// scanValue consumes one JSON value. With keep, its bytes are collected in
// s.buf and s.side (bounded by strCap and valueCap); without, they are only
// skipped, so a value of any size costs no memory. A clean end of input
// inside the value is io.ErrUnexpectedEOF.
func (s *scanner) scanValue(keep bool) error {
	s.buf, s.side, s.spans = s.buf[:0], s.side[:0], s.spans[:0]
	s.tooDeep, s.tooLarge, s.strTruncated = false, false, false
	// A one-off huge value must not pin its buffers.
	if cap(s.buf) > 1<<20 {
		s.buf = nil
	}
	if cap(s.side) > 2*s.strCap+1<<20 {
		s.side = nil
	}

	var (
		depth    int
		inStr    bool
		bsRun    int // backslashes that ended the previous chunk inside a string
		strStart int // index in side of the current string's opening quote
		strCut   bool
		scalar   bool // a top-level number or literal is being read
	)
	// String content goes to side as it arrives (one copy for a body);
	// closeStr moves short strings back into buf.
	appendStr := func(p []byte) {
		if !keep || strCut {
			return
		}
		if room := s.strCap - (len(s.side) - strStart - 1); len(p) > room {
			p = p[:max(room, 0)]
			strCut = true
			s.strTruncated = true
		}
		s.side = append(s.side, p...)
	}
	closeStr := func() {
		inStr = false
		if !keep {
			return
		}
		if strCut {
			s.side = append(s.side[:strStart+1], trimPartialEscape(s.side[strStart+1:])...)
		}
		s.side = append(s.side, '"')
		lit := s.side[strStart:]
		if len(lit)-2 <= sideMin && !bytes.HasPrefix(lit[1:], placeholder) {
			s.buf = append(s.buf, lit...)
			s.side = s.side[:strStart]
			return
		}
		s.spans = append(s.spans, [2]int{strStart, len(s.side)})
		s.buf = append(s.buf, '"')
		s.buf = append(s.buf, placeholder...)
		s.buf = strconv.AppendInt(s.buf, int64(len(s.spans)-1), 10)
		s.buf = append(s.buf, '"')
	}
	checkSize := func() {
		if keep && len(s.buf)+len(s.side) > s.valueCap {
			keep = false
			s.tooLarge = true
		}
	}

	for {
		chunk, err := s.peek()
		if err != nil {
			if err == io.EOF {
				if scalar {
					return nil
				}
				return io.ErrUnexpectedEOF
			}
			return err
		}
		i := 0
		for i < len(chunk) {
			if inStr {
				rest := chunk[i:]
				end := closingQuote(rest, bsRun)
				if end < 0 {
					appendStr(rest)
					t := trailingBackslashes(rest)
					if t == len(rest) {
						bsRun += t
					} else {
						bsRun = t
					}
					i = len(chunk)
					continue
				}
				appendStr(rest[:end])
				i += end + 1
				bsRun = 0
				closeStr()
				if depth == 0 {
					s.discard(i)
					checkSize()
					return nil
				}
				continue
			}

			c := chunk[i]
			if scalar {
				if isSpace(c) || c == ',' || c == ']' || c == '}' {
					s.discard(i)
					return nil
				}
				if keep {
					s.buf = append(s.buf, c)
				}
				i++
				continue
			}
			switch c {
			case ' ', '\t', '\n', '\r':
			case '"':
				inStr, strCut = true, false
				strStart = len(s.side)
				if keep {
					s.side = append(s.side, '"')
				}
			case '{', '[':
				depth++
				if depth > s.maxDepth {
					s.tooDeep = true
					keep = false
				}
				if keep {
					s.buf = append(s.buf, c)
				}
			case '}', ']':
				if depth == 0 {
					s.discard(i)
					return fmt.Errorf("%w: unexpected %q", errSyntax, c)
				}
				depth--
				if keep {
					s.buf = append(s.buf, c)
				}
				if depth == 0 {
					s.discard(i + 1)
					checkSize()
					return nil
				}
			default:
				if depth == 0 {
					scalar = true
				}
				if keep {
					s.buf = append(s.buf, c)
				}
			}
			i++
		}
		checkSize()
		s.discard(i)
	}
}

// closingQuote returns the index in p of the quote that ends the string
// being read, or -1. carry is the number of backslashes directly before p.
func closingQuote(p []byte, carry int) int {
	from := 0
	for {
		q := indexByte(p[from:], '"')
		if q < 0 {
			return -1
		}
		q += from
		n := 0
		for j := q - 1; j >= 0 && p[j] == '\\'; j-- {
			n++
		}
		if n == q {
			n += carry
		}
		if n%2 == 0 {
			return q
		}
		from = q + 1
	}
}

func trailingBackslashes(p []byte) int {
	n := 0
	for j := len(p) - 1; j >= 0 && p[j] == '\\'; j-- {
		n++
	}
	return n
}

// scanKey reads an object member name and its colon. Names longer than
// strCap are cut; only their prefix matters to the reader.
func (s *scanner) scanKey() (string, error) {
	c, err := s.nextByte()
	if err != nil {
		return "", err
	}
	if c != '"' {
		s.discard(1)
		return "", fmt.Errorf("%w: unexpected %q, want a member name", errSyntax, c)
	}
	if err := s.scanValue(true); err != nil {
		return "", err
	}
	key := string(s.buf)
	if _, err := s.expect(":"); err != nil {
		return "", err
	}
	return key, nil
}

// trimPartialEscape drops an escape sequence cut short at the end of a
// string's content, so that a truncated string stays valid JSON.
func trimPartialEscape(b []byte) []byte {
	from := max(len(b)-6, 0)
	last := bytes.LastIndexByte(b[from:], '\\')
	if last < 0 {
		return b
	}
	last += from
	run := 0
	for j := last; j >= 0 && b[j] == '\\'; j-- {
		run++
	}
	if run%2 == 0 {
		return b // the backslash is itself escaped
	}
	need := 2
	if last+1 < len(b) && b[last+1] == 'u' {
		need = 6
	}
	if last+need > len(b) {
		return b[:last]
	}
	return b
}

// cutString reports whether the kept string literal raw (quotes included)
// may have been cut at strCap by the last scanValue: a cut string is as long
// as the cap less at most one partial escape.
func (s *scanner) cutString(raw []byte) bool {
	return s.strTruncated && len(raw)-2 >= s.strCap-5
}

// literal returns the raw JSON literal (quotes included) of a string value
// of the last kept value, resolving side references. The bytes are valid
// until the next scanValue.
func (s *scanner) literal(v gjson.Result) []byte {
	if v.Type != gjson.String || !strings.HasPrefix(v.Str, "\x00\x01") {
		return []byte(v.Raw)
	}
	i, err := strconv.Atoi(v.Str[2:])
	if err != nil || i < 0 || i >= len(s.spans) {
		return []byte(v.Raw)
	}
	sp := s.spans[i]
	return s.side[sp[0]:sp[1]]
}

// str returns the decoded text of a string value, resolving side
// references; numbers and booleans are rendered as text (producers disagree
// on whether connection and pageref are strings or numbers).
func (s *scanner) str(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		if !strings.HasPrefix(v.Str, "\x00\x01") {
			return v.Str
		}
		b, _ := unescapeBounded(s.literal(v), int64(s.strCap))
		return string(b)
	case gjson.Number, gjson.True, gjson.False:
		return v.Raw
	}
	return ""
}

// indexByte is bytes.IndexByte with a plain loop over the first bytes:
// escape-heavy text (HTML, JSON bodies) has a quote or backslash every few
// bytes, where the call overhead of the vectorized search dominates.
func indexByte(p []byte, c byte) int {
	n := min(len(p), 24)
	for i, b := range p[:n] {
		if b == c {
			return i
		}
	}
	if n == len(p) {
		return -1
	}
	if i := bytes.IndexByte(p[n:], c); i >= 0 {
		return n + i
	}
	return -1
}
