package redact

import (
	"strings"

	"github.com/traceaudit/traceaudit/secret"
)

// sweeper replaces secret values collected in the first pass wherever they
// turn up in text the structured rewrite does not understand (a script that
// echoes a flow token, an initiator stack URL, a page title). It finds a
// secret only where it starts after a non-alphanumeric byte, which is how
// values sit in queries, JSON, HTML and headers, and keeps the lookup to one
// map probe per such position.
type sweeper struct {
	// first2 has a bit for the first two bytes of every value: one array
	// probe rules out most positions before the map is asked.
	first2   [1 << 16 / 64]uint64
	byPrefix map[string][]int32
	vals     []string
	repl     []string
	bytes    int
}

const (
	sweepMin    = 12       // shorter values would hit unrelated text
	sweepPrefix = 8        // bytes of a value used as its lookup key
	sweepMax    = 1 << 18  // values kept
	sweepBytes  = 64 << 20 // bytes of values kept
)

func newSweeper() *sweeper { return &sweeper{byPrefix: map[string][]int32{}} }

// add remembers that v is to be written as repl. Values that are too short,
// that hold bytes needing escapes in JSON, HTML or XML, or that look like
// a GUID (cookies often hold request ids that must stay readable) are not
// swept.
func (s *sweeper) add(v, repl string) {
	if s == nil || len(v) < sweepMin || len(s.vals) >= sweepMax || s.bytes+len(v) > sweepBytes || v == repl {
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

func alnum(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// apply returns text with every collected value replaced, longest match
// first.
func (s *sweeper) apply(text string) string {
	if s == nil || len(s.vals) == 0 || len(text) < sweepMin {
		return text
	}
	sp := replaceSpans{s: text}
	for i := 0; i+sweepMin <= len(text); i++ {
		if i > 0 && alnum(text[i-1]) {
			continue
		}
		if k2 := uint16(text[i])<<8 | uint16(text[i+1]); s.first2[k2/64]&(1<<(k2%64)) == 0 {
			continue
		}
		cands := s.byPrefix[text[i:i+sweepPrefix]]
		if len(cands) == 0 {
			continue
		}
		best := -1
		for _, c := range cands {
			v := s.vals[c]
			if strings.HasPrefix(text[i:], v) && (best < 0 || len(v) > len(s.vals[best])) {
				best = int(c)
			}
		}
		if best < 0 {
			continue
		}
		sp.replace(i, i+len(s.vals[best]), s.repl[best])
		i += len(s.vals[best]) - 1
	}
	return sp.result()
}
