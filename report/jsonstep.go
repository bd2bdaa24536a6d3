package report

import (
	"strconv"
	"unicode/utf8"
)

// appendStep appends a timeline step as encoding/json's Encoder with
// SetIndent(indentOf(depth), "  ") writes it, without its trailing newline:
// the same bytes (TestStepEncoding, FuzzStepEncoding), without reflection,
// Time.MarshalJSON's second encoding and the validation and indentation
// passes over the result. A timeline is most of a scan's output (20,000
// steps for a HAR of 100,000 entries) and its encoding was most of what a
// scan does after the rules, on the critical path.
//
// The fields are TimelineEvent's, in its order, with its omitempty and
// omitzero rules; TestStepFieldsKnown fails when the struct changes.
func appendStep(out []byte, e *TimelineEvent, depth int) []byte {
	out = append(out, '{')
	first := true
	// member starts a member: the comma after the one before, a new line,
	// the indentation and the key.
	member := func(name string) {
		if !first {
			out = append(out, ',')
		}
		first = false
		out = append(out, '\n')
		for range depth + 1 {
			out = append(out, jsonIndent...)
		}
		out = append(out, '"')
		out = append(out, name...)
		out = append(out, `": `...)
	}
	if !e.Time.IsZero() {
		member("time")
		out = append(out, '"')
		out = e.Time.appendText(out)
		out = append(out, '"')
	}
	member("ref")
	out = appendJSONString(out, e.Ref)
	if e.File != "" {
		member("file")
		out = appendJSONString(out, e.File)
	}
	member("kind")
	out = appendJSONString(out, e.Kind)
	for _, m := range [...]struct{ name, v string }{
		{"party", e.Party}, {"lane", e.Lane}, {"lane_title", e.LaneTitle}, {"label", e.Label}, {"code", e.Code},
	} {
		if m.v != "" {
			member(m.name)
			out = appendJSONString(out, m.v)
		}
	}
	if e.Status != 0 {
		member("status")
		out = strconv.AppendInt(out, int64(e.Status), 10)
	}
	if e.ErrorCode != "" {
		member("error_code")
		out = appendJSONString(out, e.ErrorCode)
	}
	if len(e.Highlight) > 0 {
		member("highlight")
		out = append(out, '[')
		for i, h := range e.Highlight {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, '\n')
			for range depth + 2 {
				out = append(out, jsonIndent...)
			}
			out = strconv.AppendInt(out, int64(h), 10)
		}
		out = append(out, '\n')
		for range depth + 1 {
			out = append(out, jsonIndent...)
		}
		out = append(out, ']')
	}
	out = append(out, '\n')
	for range depth {
		out = append(out, jsonIndent...)
	}
	return append(out, '}')
}

// appendJSONString appends s as encoding/json writes a string with HTML
// escaping on (an Encoder's default): <, > and & and bytes below 0x20 as
// escapes, invalid UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(out []byte, s string) []byte {
	out = append(out, '"')
	i := 0
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	if i == len(s) {
		out = append(out, s...)
		return append(out, '"')
	}
	const hex = "0123456789abcdef"
	start := 0
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf {
			if jsonPlain[b] {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			switch b {
			case '\\', '"':
				out = append(out, '\\', b)
			case '\b':
				out = append(out, '\\', 'b')
			case '\f':
				out = append(out, '\\', 'f')
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			out = append(out, s[start:i]...)
			out = append(out, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			out = append(out, s[start:i]...)
			out = append(out, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

// jsonPlain holds the ASCII bytes encoding/json writes as they are with
// HTML escaping on; every other byte takes appendJSONString's slow path.
var jsonPlain = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()
