package redact

import (
	"crypto/sha256"
	"strings"

	"github.com/traceaudit/traceaudit/secret"
)

// Kinds of masked values: the word a placeholder names (secret.MaskPlaceholder).
const (
	maskCookie   = "cookie"   // a cookie's value (Cookie, Set-Cookie, HAR cookies, a cookie echoed as text)
	maskPassword = "password" // a password, under any of its names
	maskValue    = "value"    // other personal or guessable values: user names, one-time codes, PINs, user codes
)

// maxOrdinals bounds the masked values one copy remembers. A value met after
// that gets a placeholder of its own each time it is met: equality is lost
// for it, never invented.
const maxOrdinals = 1 << 20

// ordinals gives masked values their placeholders within one copied file:
// the same value of one kind gets the same placeholder wherever it appears
// (a cookie set, sent back, echoed in a path), different values different
// ones, numbered from 1 per kind in the order the first pass meets them.
// Rules read findings from the equality of cookie values (a check cookie
// that came back as it was set, one sign-in's cookie carried to the other's
// callback), which a copy that masked them all alike could not show. The
// placeholder says nothing of the value: not its length, not any function
// of it that could be tried against guesses; the values are remembered by
// their SHA-256, in memory only, so that long cookies cost no more than
// short ones.
type ordinals struct {
	seen map[ordinalKey]int
	next map[string]int
}

type ordinalKey struct {
	kind string
	sum  [sha256.Size]byte
}

// placeholder returns the placeholder of value v of kind.
func (o *ordinals) placeholder(kind, v string) string {
	if o.seen == nil {
		o.seen, o.next = map[ordinalKey]int{}, map[string]int{}
	}
	k := ordinalKey{kind, sha256.Sum256([]byte(v))}
	n, ok := o.seen[k]
	if !ok {
		o.next[kind]++
		n = o.next[kind]
		if len(o.seen) < maxOrdinals {
			o.seen[k] = n
		}
	}
	return secret.MaskPlaceholder(kind, n)
}

// unquoted is a cookie value without the double quotes RFC 6265 allows
// around it: sid="abc" and sid=abc hold one value, echoed without quotes.
func unquoted(v string) string {
	if n := len(v); n > 2 && v[0] == '"' && v[n-1] == '"' {
		return v[1 : n-1]
	}
	return v
}

// maskKindOf is the kind of a value masked by its name.
func maskKindOf(name string) string {
	n := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "amp;")))
	if strings.Contains(n, "password") || strings.Contains(n, "passwd") || secret.PasswordName(strings.TrimSpace(name)) {
		return maskPassword
	}
	if strings.Contains(n, "cookie") {
		return maskCookie
	}
	return maskValue
}
