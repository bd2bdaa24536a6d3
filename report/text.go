package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
		fmt.Fprintf(h, "\x00%s", e.Ref)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// refs lists the evidence refs of a finding, in evidence order.
func refs(f *Finding) []string {
	out := make([]string, 0, len(f.Evidence))
	for _, e := range f.Evidence {
		out = append(out, e.Ref)
	}
	return out
}
