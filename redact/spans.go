package redact

import "strings"

// replaceSpans builds a copy of s with spans of it replaced, left to right:
// the scans of bodies and values find the spans one at a time and hand each
// to replace. No copy is made until a span is replaced.
type replaceSpans struct {
	s    string
	b    strings.Builder
	last int // where the last span replaced ends: s[last:] is not copied yet
}

// replace writes s up to start, then repl in place of s[start:end].
func (p *replaceSpans) replace(start, end int, repl string) {
	if p.b.Cap() == 0 {
		p.b.Grow(len(p.s))
	}
	p.b.WriteString(p.s[p.last:start])
	p.b.WriteString(repl)
	p.last = end
}

// result is s with the spans replaced, or s itself when none was.
func (p *replaceSpans) result() string {
	if p.last == 0 {
		return p.s
	}
	p.b.WriteString(p.s[p.last:])
	return p.b.String()
}
