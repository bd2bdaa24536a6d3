package secret

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"unsafe"
)

// Secret holds a replayable value found in a trace: an authorization code, a
// token, a PKCE verifier, a client secret or assertion, a state or nonce.
//
// Everything that formats a Secret (String, Format via %v/%s, MarshalJSON)
// yields only its fingerprint, so a Secret can travel through events,
// findings and error messages without leaking. Reports call Reveal only when
// the user asked for --no-redact. Equality (==, Equal) still works on the raw
// value, which the rules need to follow one code across requests.
//
// A long token can be held compacted (Compact): what scan's report reads of
// it, not the value. See Compact for what that keeps.
type Secret struct {
	// raw is the value, except when its first byte is 0: then the second
	// byte says what follows, tagEscaped (a value that starts with a NUL
	// byte) or tagCompact (a compacted token). Equal values have equal
	// raw fields either way, so == and map keys still compare values.
	raw string
}

const (
	tagEscaped = 0
	tagCompact = 1
)

// New wraps a raw value (after URL/form decoding).
func New(raw string) Secret {
	if raw != "" && raw[0] == 0 {
		return Secret{raw: "\x00\x00" + raw}
	}
	return Secret{raw: raw}
}

// CompactMin is the shortest value Compact compacts: below it what it keeps
// would save little.
const CompactMin = 128

// The layout of a compacted token after its two tag bytes: SHA-256 of the
// value, its length (4 bytes, little-endian), its first compactHead and
// last compactTail bytes.
const (
	compactHead = 8
	compactTail = 24
	compactSum  = 2
	compactLen  = compactSum + sha256.Size
	compactHd   = compactLen + 4
	compactTl   = compactHd + compactHead
	compactSize = compactTl + compactTail
)

// Compact wraps a long token as what is read of it when output is redacted:
// its fingerprint, its length, equality with other values, and enough for
// a Scrubber to find the value in output text (its length, first and last
// bytes: the Scrubber takes every span that has them for a secret). A
// token response's access, ID and refresh tokens are a few KiB each, and a
// trace of thousands of sign-ins otherwise holds them all until the report
// is written.
//
// What it cannot give is the value: Reveal, S256 and Claims panic on a
// compacted Secret, and Render shows its fingerprint even with noRedact.
// So only a caller whose output shows neither the value nor its claims
// compacts: scan, whose report shows no token even with --no-redact (its
// findings are scrubbed either way), but not scan --case. Values shorter than CompactMin and
// sanitizers' placeholders are kept as New keeps them, so that a value is
// compacted or not by itself alone, and equal values stay ==.
func Compact(raw string) Secret {
	if len(raw) < CompactMin || len(raw) > 1<<30 || mayBePlaceholder(raw) {
		return New(raw)
	}
	var b [compactSize]byte
	b[1] = tagCompact
	sum := sha256.Sum256(readOnlyBytes(raw))
	copy(b[compactSum:], sum[:])
	binary.LittleEndian.PutUint32(b[compactLen:], uint32(len(raw)))
	copy(b[compactHd:], raw[:compactHead])
	copy(b[compactTl:], raw[len(raw)-compactTail:])
	return Secret{raw: string(b[:])}
}

// compacted is a compacted token's fields, read from its encoding.
type compacted struct {
	sum        string // SHA-256 of the value, 32 bytes
	n          int
	head, tail string
}

// compact returns the fields of a compacted Secret; ok is false for any
// other.
func (s Secret) compact() (c compacted, ok bool) {
	if len(s.raw) != compactSize || s.raw[0] != 0 || s.raw[1] != tagCompact {
		return c, false
	}
	r := s.raw
	n := int(r[compactLen]) | int(r[compactLen+1])<<8 | int(r[compactLen+2])<<16 | int(r[compactLen+3])<<24
	return compacted{sum: r[compactSum:compactLen], n: n, head: r[compactHd:compactTl], tail: r[compactTl:]}, true
}

// IsCompact reports whether s was compacted (Compact): it has no raw value.
func (s Secret) IsCompact() bool {
	_, ok := s.compact()
	return ok
}

// value is the raw value; ok is false for a compacted Secret.
func (s Secret) value() (string, bool) {
	if s.raw == "" || s.raw[0] != 0 {
		return s.raw, true
	}
	if s.raw[1] == tagEscaped {
		return s.raw[2:], true
	}
	return "", false
}

// mustValue is the raw value of a Secret that must have one: asked of a
// compacted token, the caller reads what compaction dropped, which is a bug
// (failing loudly rather than reading something else).
func (s Secret) mustValue(what string) string {
	v, ok := s.value()
	if !ok {
		panic("secret: " + what + " of a compacted token: its value was not kept (see secret.Compact)")
	}
	return v
}

// IsZero reports whether no value was present.
func (s Secret) IsZero() bool { return s.raw == "" }

// Equal reports whether both hold the same raw value, compacted or not.
func (s Secret) Equal(o Secret) bool {
	if s.raw == o.raw {
		return true
	}
	c, sc := s.compact()
	d, oc := o.compact()
	switch {
	case sc == oc:
		return false // both compacted, or both not: raw compares the values
	case sc:
		v, _ := o.value()
		return c.matches(v)
	default:
		v, _ := s.value()
		return d.matches(v)
	}
}

// MayHold reports, without hashing, whether s may hold v: the same value,
// or for a compacted token the same length and kept ends. It is for
// skipping work on a value already known; a caller that must be sure asks
// Equal. A Scrubber that has s masks every v that s MayHold, so skipping v
// there leaves nothing raw.
func (s Secret) MayHold(v string) bool {
	if c, ok := s.compact(); ok {
		return len(v) == c.n && v[:compactHead] == c.head && v[len(v)-compactTail:] == c.tail
	}
	w, _ := s.value()
	return w == v && v != ""
}

// matches reports whether v is the value c was made from.
func (c compacted) matches(v string) bool {
	if len(v) != c.n || v[:compactHead] != c.head || v[len(v)-compactTail:] != c.tail {
		return false
	}
	sum := sha256.Sum256(readOnlyBytes(v))
	return string(sum[:]) == c.sum
}

// readOnlyBytes is s's bytes, not copied, for a function that only reads
// them (hashing a token of a few KiB copied it first).
func readOnlyBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Fingerprint is the contract's stable, non-reversible name for the value:
// "sha256:" and the first 12 hex digits of SHA-256 of the exact value.
// It is "" for an empty Secret.
func (s Secret) Fingerprint() string {
	if s.raw == "" {
		return ""
	}
	if c, ok := s.compact(); ok {
		return "sha256:" + hex.EncodeToString([]byte(c.sum[:6]))
	}
	v, _ := s.value()
	return Fingerprint(v)
}

// Fingerprint returns the contract fingerprint of v. A value that already is
// a fingerprint (a trace sanitized by traceaudit redact) is returned as it
// is, so a redacted copy yields the same fingerprints as the original.
func Fingerprint(v string) string {
	if IsFingerprint(v) {
		return v
	}
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// IsFingerprint reports whether v has the form of a contract fingerprint:
// "sha256:" and 12 lower-case hex digits.
func IsFingerprint(v string) bool {
	const prefix = "sha256:"
	if len(v) != len(prefix)+12 || v[:len(prefix)] != prefix {
		return false
	}
	for _, c := range v[len(prefix):] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// IsRedacted reports whether the value was replaced by its fingerprint
// before traceaudit saw it: equality still links it across requests, but
// properties of the raw value (PKCE S256, length) cannot be checked.
func (s Secret) IsRedacted() bool { return IsFingerprint(s.raw) }

// Reveal returns the raw value, for comparisons the analysis needs (a PKCE
// challenge against a verifier, a secret inside a cookie name). Output goes
// through Render, which reveals the value only with redaction off. It
// panics on a compacted token, which has no raw value.
func (s Secret) Reveal() string { return s.mustValue("Reveal") }

// Render returns the fingerprint, or the raw value when noRedact is set. A
// compacted token has no raw value and renders as its fingerprint either
// way: nothing that renders a token with noRedact compacts (see Compact).
func (s Secret) Render(noRedact bool) string {
	if v, ok := s.value(); ok && noRedact {
		return v
	}
	return s.Fingerprint()
}

// Len is the raw value's length in bytes; rules use it (PKCE verifier length)
// without seeing the value.
func (s Secret) Len() int {
	if c, ok := s.compact(); ok {
		return c.n
	}
	v, _ := s.value()
	return len(v)
}

// S256 returns base64url(SHA-256(value)) without padding: the PKCE S256
// code_challenge a verifier proves (RFC 7636 §4.2).
func (s Secret) S256() string {
	sum := sha256.Sum256([]byte(s.mustValue("S256")))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// String returns the fingerprint.
func (s Secret) String() string { return s.Fingerprint() }

// GoString keeps %#v from printing the raw field.
func (s Secret) GoString() string { return "secret.Secret(" + s.Fingerprint() + ")" }

// MarshalJSON writes the fingerprint (null when empty).
func (s Secret) MarshalJSON() ([]byte, error) {
	if s.raw == "" {
		return []byte("null"), nil
	}
	return json.Marshal(s.Fingerprint())
}

// Mask hides a low-entropy secret (password, cookie value, user name) whose
// plain hash could be reversed by guessing: it keeps only its length class.
func Mask(v string) string {
	if v == "" {
		return ""
	}
	return "[redacted]"
}
