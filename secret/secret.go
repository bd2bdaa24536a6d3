package secret

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
)

// Secret holds a replayable value found in a trace: an authorization code, a
// token, a PKCE verifier, a client secret or assertion, a state or nonce.
//
// Everything that formats a Secret (String, Format via %v/%s, MarshalJSON)
// yields only its fingerprint, so a Secret can travel through events,
// findings and error messages without leaking. Reports call Reveal only when
// the user asked for --no-redact. Equality (==, Equal) still works on the raw
// value, which the rules need to follow one code across requests.
type Secret struct {
	raw string
}

// New wraps a raw value (after URL/form decoding).
func New(raw string) Secret { return Secret{raw: raw} }

// IsZero reports whether no value was present.
func (s Secret) IsZero() bool { return s.raw == "" }

// Equal reports whether both hold the same raw value.
func (s Secret) Equal(o Secret) bool { return s.raw == o.raw }

// Fingerprint is the contract's stable, non-reversible name for the value:
// "sha256:" and the first 12 hex digits of SHA-256 of the exact value.
// It is "" for an empty Secret.
func (s Secret) Fingerprint() string {
	if s.raw == "" {
		return ""
	}
	return Fingerprint(s.raw)
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
// through Render, which reveals the value only with redaction off.
func (s Secret) Reveal() string { return s.raw }

// Render returns the fingerprint, or the raw value when noRedact is set.
func (s Secret) Render(noRedact bool) string {
	if noRedact {
		return s.raw
	}
	return s.Fingerprint()
}

// Len is the raw value's length in bytes; rules use it (PKCE verifier length)
// without seeing the value.
func (s Secret) Len() int { return len(s.raw) }

// S256 returns base64url(SHA-256(value)) without padding: the PKCE S256
// code_challenge a verifier proves (RFC 7636 §4.2).
func (s Secret) S256() string {
	sum := sha256.Sum256([]byte(s.raw))
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
