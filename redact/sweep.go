package redact

import (
	"net/url"
	"strings"

	"github.com/traceaudit/traceaudit/secret"
)

// sweeper replaces secret values collected in the first pass wherever they
// turn up in text the structured rewrite does not understand (a script that
// echoes a flow token, an initiator stack URL, a page title). It finds a
// secret only where it starts after a non-alphanumeric byte, which is how
// values sit in queries, JSON, HTML and headers, and keeps the lookup to one
// map probe per such position.
//
// A value shorter than sweepMin (a short code, an API's 10-byte session
// token, a cookie's) is swept only where it stands as a whole word, with no
// letter or digit on either side, and only when it reads as a token
// (secret.TokenLike: a digit and three letters, or letters of both cases
// over 16 bytes): a short word, number, date or locale a name once held
// ("en-US", "true", "1705315800") would otherwise be replaced all over the
// copy, in sizes, ports and times the rules read.
type sweeper struct {
	// first2 has a bit for the first two bytes of every value: one array
	// probe rules out most positions before the map is asked.
	first2   [1 << 16 / 64]uint64
	byPrefix map[string][]int32
	vals     []string
	repl     []string
	bytes    int
	// The short values: shortFirst2 as first2, short by the whole value
	// (an index into vals), shortLens a bit per length present.
	shortFirst2 [1 << 16 / 64]uint64
	short       map[string]int32
	shortLens   uint32
}

const (
	sweepMin      = 12       // shorter values are swept as whole words only
	sweepShortMin = 6        // shorter ones are never swept (secret.ScrubMin)
	sweepPrefix   = 8        // bytes of a value used as its lookup key
	sweepMax      = 1 << 18  // values kept
	sweepBytes    = 64 << 20 // bytes of values kept
)

func newSweeper() *sweeper { return &sweeper{byPrefix: map[string][]int32{}} }

// add remembers that v is to be written as repl. Values that are too short,
// that hold bytes needing escapes in JSON, HTML or XML, or that look like
// a GUID (cookies often hold request ids that must stay readable) are not
// swept. A value that URL-encoding changes (a cookie's base64 "/" and "=")
// is swept in its encoded form too: it is echoed so in a redirect URL a
// page or script quotes.
func (s *sweeper) add(v, repl string) {
	if s == nil || len(v) < sweepShortMin || len(s.vals) >= sweepMax || s.bytes+len(v) > sweepBytes || v == repl {
		return
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == '\'' || c >= 0x7f {
			return
		}
	}
	if secret.IsGUID(v) || looksURL(v) {
		return
	}
	if len(v) < sweepMin {
		s.addShort(v, repl)
		return
	}
	s.addLong(v, repl)
	if esc := url.QueryEscape(v); esc != v && !strings.Contains(v, "%") {
		s.addLong(esc, repl)
	}
}

func (s *sweeper) addLong(v, repl string) {
	key := v[:sweepPrefix]
	for _, i := range s.byPrefix[key] {
		if s.vals[i] == v {
			return
		}
	}
	k2 := uint16(v[0])<<8 | uint16(v[1])
	s.first2[k2/64] |= 1 << (k2 % 64)
	s.byPrefix[key] = append(s.byPrefix[key], int32(len(s.vals)))
	s.vals = append(s.vals, v)
	s.repl = append(s.repl, repl)
	s.bytes += len(v)
}

func (s *sweeper) addShort(v, repl string) {
	if !secret.TokenLike(v) && !userCodeLike(v) {
		return
	}
	if _, ok := s.short[v]; ok {
		return
	}
	if s.short == nil {
		s.short = map[string]int32{}
	}
	k2 := uint16(v[0])<<8 | uint16(v[1])
	s.shortFirst2[k2/64] |= 1 << (k2 % 64)
	s.short[v] = int32(len(s.vals))
	s.shortLens |= 1 << len(v)
	s.vals = append(s.vals, v)
	s.repl = append(s.repl, repl)
	s.bytes += len(v)
}

// userCodeLike reports a device flow's user code in the shape RFC 8628
// §6.1 suggests: upper-case letters (its base-20 set) and digits in two
// groups a hyphen splits ("WDJB-MJHT"). TokenLike wants a digit in a value
// this short; oidc-provider's user codes, letters alone, have none, and
// its confirmation page shows the code the user typed.
func userCodeLike(v string) bool {
	n, dash := 0, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			n++
		case c == '-' && i > 0 && i < len(v)-1:
			dash++
		default:
			return false
		}
	}
	return n >= 6 && dash == 1
}

func alnum(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// apply returns text with every collected value replaced, longest match
// first.
func (s *sweeper) apply(text string) string {
	if s == nil || len(s.vals) == 0 || len(text) < sweepShortMin || len(text) < sweepMin && s.short == nil {
		return text
	}
	sp := replaceSpans{s: text}
	for i := 0; i+sweepShortMin <= len(text); i++ {
		if i > 0 && alnum(text[i-1]) {
			continue
		}
		k2 := uint16(text[i])<<8 | uint16(text[i+1])
		if i+sweepMin <= len(text) && s.first2[k2/64]&(1<<(k2%64)) != 0 {
			if n := s.longAt(text, i, &sp); n > 0 {
				i += n - 1
				continue
			}
		}
		if s.short != nil && s.shortFirst2[k2/64]&(1<<(k2%64)) != 0 {
			if n := s.shortAt(text, i, &sp); n > 0 {
				i += n - 1
			}
		}
	}
	return sp.result()
}

// longAt replaces the longest long value at text[i:], returning its
// length, or 0.
func (s *sweeper) longAt(text string, i int, sp *replaceSpans) int {
	cands := s.byPrefix[text[i:i+sweepPrefix]]
	if len(cands) == 0 {
		return 0
	}
	best := -1
	for _, c := range cands {
		v := s.vals[c]
		if strings.HasPrefix(text[i:], v) && (best < 0 || len(v) > len(s.vals[best])) {
			best = int(c)
		}
	}
	if best < 0 {
		return 0
	}
	sp.replace(i, i+len(s.vals[best]), s.repl[best])
	return len(s.vals[best])
}

// shortAt replaces the longest short value standing as a whole word at
// text[i:] (no letter or digit after it), returning its length, or 0.
func (s *sweeper) shortAt(text string, i int, sp *replaceSpans) int {
	for n := sweepMin - 1; n >= sweepShortMin; n-- {
		if s.shortLens&(1<<n) == 0 || i+n > len(text) || i+n < len(text) && alnum(text[i+n]) {
			continue
		}
		if j, ok := s.short[text[i:i+n]]; ok {
			sp.replace(i, i+n, s.repl[j])
			return n
		}
	}
	return 0
}
