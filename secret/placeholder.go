package secret

import (
	"math/bits"
	"strconv"
	"strings"
)

// placeholders are values HAR sanitizers and people put in place of codes and
// tokens: Chrome and Firefox sanitized exports, Cloudflare's and Google's
// har-sanitizer, manual redaction.
var placeholders = []string{
	"redacted", "[redacted]", "<redacted>", "removed", "<removed>", "[removed]", "[filtered]", "filtered",
	"sanitized", "[sanitized]", "hidden", "xxx", "xxxx", "xxxxx", "***", "****", "*****", "...", "…",
	"<code>", "{code}", "code", "your_code", "authorization_code", "null", "undefined", "[secret]", "secret",
	"obfuscated", "[obfuscated]", "masked", "[masked]", "scrubbed", "[scrubbed]",
}

// IsPlaceholder reports whether a secret's value is a sanitizer's placeholder
// rather than a real value, so that rules do not link unrelated requests that
// share "[REDACTED]".
func IsPlaceholder(s Secret) bool {
	v, ok := s.value()
	if !ok {
		return false // Compact keeps placeholders whole
	}
	return isPlaceholder(v)
}

func isPlaceholder(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		return false
	}
	for _, p := range placeholders {
		if v == p {
			return true
		}
	}
	if strings.Trim(v, "x*•.#-_") == "" {
		return true
	}
	if strings.Contains(v, "redacted") || strings.HasPrefix(v, "sanitized") || strings.HasPrefix(v, "removed") {
		return true
	}
	// Other sanitizers' words, alone or in brackets with a tag: Auth0's
	// har-sanitizer writes "obfuscated", WSO2's "[HAR_SANITIZER:REMOVED]".
	// Short values only: a real code or token is long and random.
	if len(v) <= 40 {
		for _, w := range placeholderWords {
			if strings.Contains(v, w) {
				return true
			}
		}
	}
	return false
}

// placeholderWords mark a short value as a placeholder wherever they sit in it.
var placeholderWords = []string{"obfuscated", "removed", "sanitized", "sanitizer", "masked", "scrubbed", "censored", "omitted", "stripped"}

// mayBePlaceholder is isPlaceholder(v) for Compact, without lowering a
// copy of a token of a few KiB or looking for "redacted" at every byte of
// it (a tenth of a scan's CPU on the 100,000-entry bench HAR).
func mayBePlaceholder(v string) bool {
	t := strings.TrimSpace(v)
	// Lowering may shorten a value (U+0130 and the Kelvin sign lower to
	// one ASCII byte): up to three times the 40 bytes below which the
	// placeholder words count, isPlaceholder answers.
	if len(t) <= 3*40 {
		return isPlaceholder(v)
	}
	// Long: only the trim set (no other letter lowers to x), the two
	// prefixes, or "redacted" anywhere make a placeholder. No rune but
	// an ASCII letter lowers to one of "redacted"'s, so it is looked for
	// in t folding ASCII only.
	if strings.Trim(t, "xX*•.#-_") == "" {
		return true
	}
	lead := t[:40]
	if !isASCII(lead) {
		lead = strings.ToLower(lead)
	}
	if hasPrefixFold(lead, "sanitized") || hasPrefixFold(lead, "removed") {
		return true
	}
	return containsRedacted(t)
}

// containsRedacted reports whether t holds "redacted" in any ASCII case. An
// occurrence covers one position of every eight: only those are looked at,
// then the word is tried where that byte would sit in it.
func containsRedacted(t string) bool {
	const w = "redacted"
	for q := len(w) - 1; q < len(t); q += len(w) {
		for at := redactedAt[t[q]]; at != 0; at &= at - 1 {
			if s := q - bits.TrailingZeros8(at); s >= 0 && hasPrefixFold(t[s:], w) {
				return true
			}
		}
	}
	return false
}

// redactedAt has bit k set for a byte that is "redacted"[k] in either case.
var redactedAt = [256]uint8{
	'r': 1 << 0, 'R': 1 << 0,
	'e': 1<<1 | 1<<6, 'E': 1<<1 | 1<<6,
	'd': 1<<2 | 1<<7, 'D': 1<<2 | 1<<7,
	'a': 1 << 3, 'A': 1 << 3,
	'c': 1 << 4, 'C': 1 << 4,
	't': 1 << 5, 'T': 1 << 5,
}

// hasPrefixFold reports whether s starts with lower, an ASCII lower-case
// word, in any ASCII case.
func hasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// maskPrefix starts the placeholders of traceaudit redact's masks.
const maskPrefix = "REDACTED-"

// MaskPlaceholder is what a traceaudit redact copy writes in place of the
// n-th distinct masked value of a kind (cookie, password, value) in that
// file: "REDACTED-cookie-3". The same value of a kind gets the same
// placeholder throughout one copy and different values different ones;
// the number is an ordinal, no function of the value. It is a placeholder
// (IsPlaceholder), so rules link nothing by it unless they ask MaskOrdinal.
func MaskPlaceholder(kind string, n int) string {
	return maskPrefix + kind + "-" + strconv.Itoa(n)
}

// MaskOrdinal reports whether v is a placeholder MaskPlaceholder writes,
// and its kind and ordinal. Two equal ones stand for one value only within
// one copied file: copies of different files number their values apart.
func MaskOrdinal(v string) (kind string, n int, ok bool) {
	rest, found := strings.CutPrefix(v, maskPrefix)
	if !found {
		return "", 0, false
	}
	i := strings.LastIndexByte(rest, '-')
	if i <= 0 || i == len(rest)-1 || len(rest)-i > 11 || rest[i+1] == '0' {
		return "", 0, false
	}
	kind = rest[:i]
	for j := 0; j < len(kind); j++ {
		if kind[j] < 'a' || kind[j] > 'z' {
			return "", 0, false
		}
	}
	for j := i + 1; j < len(rest); j++ {
		if rest[j] < '0' || rest[j] > '9' {
			return "", 0, false
		}
	}
	n, err := strconv.Atoi(rest[i+1:])
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return kind, n, true
}

// WithoutMaskOrdinals is s with the ordinal of every MaskPlaceholder in it
// left out ("/interaction/REDACTED-cookie-4" becomes
// "/interaction/REDACTED-cookie"): what two copies of different files,
// which number their values apart, have in common where both masked a
// value, as copies before ordinals wrote them alike.
func WithoutMaskOrdinals(s string) string {
	if !strings.Contains(s, maskPrefix) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, maskPrefix)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(maskPrefix)
		for end < len(s) && (s[end] >= 'a' && s[end] <= 'z' || s[end] == '-' || s[end] >= '0' && s[end] <= '9') {
			end++
		}
		tok := s[i:end]
		// The placeholder is the longest prefix of tok MaskOrdinal reads.
		cut := -1
		for j := len(tok); j > len(maskPrefix); j-- {
			if _, _, ok := MaskOrdinal(tok[:j]); ok {
				cut = j
				break
			}
		}
		if cut < 0 {
			b.WriteString(s[:end])
			s = s[end:]
			continue
		}
		ph := tok[:cut]
		b.WriteString(s[:i])
		b.WriteString(ph[:strings.LastIndexByte(ph, '-')])
		s = s[i+cut:]
	}
}
