package report

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// oneLine makes a hostile string safe to show on one line of a terminal,
// a Markdown cell or an HTML text node: CR, LF and tabs become spaces; other
// control characters, bidi overrides and invalid UTF-8 become visible
// escapes (\x1b, \u202e), so a trace cannot move the cursor, recolour the
// terminal or reorder what a reader sees (Trojan Source).
func oneLine(s string) string {
	return clean(s, true)
}

// Line is oneLine for the CLI's own diagnostics on stderr, which quote
// file names and reader errors.
func Line(s string) string { return oneLine(s) }

// multiLine is oneLine but keeps line breaks (as \n) for paragraphs.
func multiLine(s string) string {
	return clean(strings.ReplaceAll(s, "\r\n", "\n"), false)
}

func clean(s string, single bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && !single:
			b.WriteByte('\n')
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case isInvisibleControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// isPlain reports whether s needs no cleaning (the common case).
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			return false
		}
	}
	return true
}

// isInvisibleControl reports C1 controls, bidi embeddings/overrides/isolates
// and other format characters (Unicode category Cf, e.g. zero-width joiners
// and U+FEFF) that change how text displays without being visible.
func isInvisibleControl(r rune) bool {
	return (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r) ||
		r == 0x2028 || r == 0x2029 || r == utf8.RuneError
}

// findingFingerprint is the stable identity of a finding: its own
// Fingerprint when the rules engine set one, else a hash of the rule, the
// file path, the code fingerprint and the evidence refs — none of which
// change between runs over the same trace.
func findingFingerprint(path string, f *Finding) string {
	if f.Fingerprint != "" {
		return f.Fingerprint
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", f.Rule, path, f.Code)
	for _, e := range f.Evidence {
		fmt.Fprintf(h, "\x00%s", e.Where())
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// refs lists the evidence refs of a finding, in evidence order.
func refs(f *Finding) []string {
	out := make([]string, 0, len(f.Evidence))
	for _, e := range f.Evidence {
		out = append(out, e.Where())
	}
	return out
}

// terminalSafeJSON wraps w for JSON output: encoding/json already escapes
// C0 controls (ESC shows as \u001b) but writes DEL, C1 controls (U+009B is
// a one-character CSI) and bidi overrides raw, and a terminal acts on them
// when a user views the output. Each becomes its \u escape, which decodes
// to the same string. Those characters occur only inside JSON strings, and
// every Write is whole encoded values or the punctuation between them (the
// json writer streams), so no sequence spans two writes.
type terminalSafeJSON struct{ w io.Writer }

func (s terminalSafeJSON) Write(p []byte) (int, error) {
	if !needsJSONEscape(p) {
		return s.w.Write(p)
	}
	out := make([]byte, 0, len(p)+32)
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(out, `\u007f`...)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if (r >= 0x80 && r < 0xa0) || isBidiControl(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, p[i:i+size]...)
		}
		i += size
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// needsJSONEscape reports whether p holds DEL or a lead byte of one of the
// characters terminalSafeJSON escapes (C1 controls start with 0xc2, bidi
// controls with 0xd8 or 0xe2). Eight bytes at a time: a word of ASCII
// without DEL, nearly all of a report, is passed over in a few
// instructions; it went through this test a byte at a time, which took
// more than encoding a timeline step.
func needsJSONEscape(p []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(p); i += 8 {
		v := binary.LittleEndian.Uint64(p[i:])
		x := v ^ 0x7f*lo // a zero byte where p has DEL
		if (v|(x-lo)&^x)&hi != 0 && needsJSONEscapeSlow(p[i:i+8]) {
			return true
		}
	}
	return needsJSONEscapeSlow(p[i:])
}

// needsJSONEscapeSlow is needsJSONEscape a byte at a time.
func needsJSONEscapeSlow(p []byte) bool {
	for _, c := range p {
		if c == 0x7f || c == 0xc2 || c == 0xe2 || c == 0xd8 {
			return true
		}
	}
	return false
}

// isBidiControl reports the characters that reorder displayed text.
func isBidiControl(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}
