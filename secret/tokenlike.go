package secret

import (
	"math"
	"strings"
)

// TokenLike reports a value that reads as a token rather than a word, a
// number, a date, a locale or an id: what a value seen only where a name
// does not say it is a credential (a cookie's) must look like before it is
// swept from every output and copy, so that "1", "true", "en-US", "dark",
// a timestamp, a date or Google Analytics' "GA1.1.123.456" stay readable
// wherever else they occur. It is one run of token bytes (letters, digits,
// "-._~+/%:!*|$@", '=' only as trailing padding), ScrubMin bytes or more,
// with a digit and three letters, or 16 bytes or more with letters of both
// cases; not a GUID (cookies carry correlation ids support reads), a path,
// a URL or a host name (which URLs in reports show).
func TokenLike(v string) bool {
	if len(v) < ScrubMin || len(v) > 1<<16 || IsGUID(v) || IsFingerprint(v) {
		return false
	}
	pad := len(v)
	for pad > 0 && v[pad-1] == '=' {
		pad--
	}
	letters, digits := 0, 0
	upper, lower := false, false
	for i := 0; i < pad; i++ {
		switch c := v[i]; {
		case c >= 'a' && c <= 'z':
			letters++
			lower = true
		case c >= 'A' && c <= 'Z':
			letters++
			upper = true
		case c >= '0' && c <= '9':
			digits++
		case strings.IndexByte("-._~+/%:!*|$@", c) >= 0:
		default:
			return false
		}
	}
	if IsPlaceholder(New(v)) || v[0] == '/' || strings.Contains(v, "://") || hostName(v) {
		return false // a placeholder, a path, a URL, a host: names, not secrets
	}
	return digits > 0 && letters >= 3 || pad >= 16 && upper && lower
}

// hostName reports a dotted lower-case name ending in a label of letters
// ("app2.example.com"): a cookie that remembers a host, which URLs show.
func hostName(v string) bool {
	dot := strings.LastIndexByte(v, '.')
	if dot <= 0 || dot == len(v)-1 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	for i := dot + 1; i < len(v); i++ {
		if c := v[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Shortest keys TokenKey takes for a token: under a credential's name, and
// anywhere.
const (
	minKeyToken    = 12
	minKeyTokenAny = 24
)

// TokenKey reports a JSON member name shaped like a token (token caches
// key their entries by the token itself): one unbroken run of token68
// bytes with letters and digits (both cases, when no credential's name
// holds it, holder: hex hashes and ids in one case are keys of their own)
// and an entropy of 3 bits or more, 12 bytes or more under a credential's
// name and 24 elsewhere, not a GUID, a URL or a composite of words (MSAL's
// "<account>-login.windows.net-refreshtoken-<client>--" cache keys name a
// token, they hold none). A JWT is a token key too. The sanitized copy
// (redact) and the listings' scrubber (cmd/traceaudit) both ask it, so
// that they agree on which keys are secrets.
func TokenKey(k string, holder bool) bool {
	if len(k) < minKeyToken || IsGUID(k) || IsPlaceholder(New(k)) {
		return false
	}
	if LooksJWT(k) {
		return true
	}
	if len(k) > 16<<10 || !holder && len(k) < minKeyTokenAny || looksURLText(k) {
		return false
	}
	lower, upper, digit, ok := TokenClasses(k)
	if !ok {
		return false
	}
	if !digit || !lower && !upper || !holder && !(lower && upper) || compositeKey(k) {
		return false
	}
	return Entropy(k) >= 3.0
}

// TokenClasses reports which of lower-case letters, upper-case letters and
// digits s holds, and ok when every byte of s is of a token's alphabet
// (letters, digits and -_.~+/=): the test TokenKey and the redactor's
// loose-token test both start from.
func TokenClasses(s string) (lower, upper, digit, ok bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		case strings.IndexByte("-_.~+/=", c) >= 0:
		default:
			return lower, upper, digit, false
		}
	}
	return lower, upper, digit, true
}

// LooksJWT reports a compact JWS or JWE: base64url segments joined by dots,
// the first one a JSON object ("eyJ").
func LooksJWT(v string) bool {
	if len(v) < 24 || !strings.HasPrefix(v, "eyJ") {
		return false
	}
	dots := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			dots++
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '=':
		default:
			return false
		}
	}
	return dots == 2 || dots == 4
}

// looksURLText reports an absolute http(s) URL or an origin-form target
// with a query.
func looksURLText(v string) bool {
	p := strings.ToLower(v[:min(len(v), 8)])
	return strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "http://") ||
		(strings.HasPrefix(v, "/") && strings.ContainsAny(v, "?#"))
}

// compositeKey reports a key of three or more parts joined by '-' or '.'
// one of which is a lower-case word of four letters or more.
func compositeKey(k string) bool {
	parts := strings.FieldsFunc(k, func(c rune) bool { return c == '-' || c == '.' })
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		word := len(p) >= 4
		for i := 0; i < len(p) && word; i++ {
			word = p[i] >= 'a' && p[i] <= 'z'
		}
		if word {
			return true
		}
	}
	return false
}

// Entropy is the Shannon entropy of s in bits per byte: how random a
// value reads, for telling a token from a name.
func Entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h, n := 0.0, float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
