// Package redact writes sanitized copies of HAR and SAZ traces that can be
// shared (attached to a ticket) yet still scan to the same findings.
//
// Replayable secrets (codes, tokens, client secrets and assertions, state,
// nonce, SAML messages, session artifacts) become their contract fingerprint
// (secret.Fingerprint), wherever they appear: query strings, fragments, URLs
// in headers, form and JSON bodies, form_post pages. secret.Fingerprint is
// idempotent, so the copy yields the same fingerprints as the original and a
// copy of a copy is unchanged. Passwords, user names and cookie values are
// masked by ordinals: each distinct value of a kind gets the next number of
// that kind in this copy ("REDACTED-cookie-3", secret.MaskPlaceholder), the
// same value the same placeholder wherever it appears (Set-Cookie, Cookie,
// a path, a query, a JSON echo), so that findings read from the equality
// of cookie values (a check cookie that came back as set, one sign-in's
// cookie at the other's callback) survive; nothing of the value is shown,
// not its length nor any function of it. PKCE stays checkable: every code_verifier is replaced by a valid
// verifier derived from it, and every code_challenge that a verifier of the
// trace proves is replaced by the challenge of the derived verifier, so S256
// matches and mismatches survive.
//
// Redaction takes two passes: the first reads the trace with the format's
// reader to collect verifiers and every secret value; the second rewrites the
// trace, then sweeps each rewritten text for collected secrets that appeared
// somewhere unexpected (a script, an initiator stack, a page title): a
// value of 12 bytes or more (also URL-encoded) wherever it starts after a
// byte that is not a letter or digit, a shorter one (6 to 11 bytes) only as
// a whole word and when it reads as a token (secret.TokenLike), so that a
// short word, number, date or locale a cookie or secret's name once held
// is not replaced all over the copy. Cookie values (quoted ones without
// their quotes) are learnt as secrets are.
//
// Where no name says what a value is, its shape does (fail closed): in a
// header no rule knows (a server's Server-Timing description, a custom
// field), the credential after an authentication scheme and every word
// shaped like a token; in a page or a script, a quoted string that is one
// such word; a body that is one. HTTP's own fields and the ids support
// quotes (request, correlation and trace ids) stay, and a value the trace
// gives as evidence under its name elsewhere (a client id, a PKCE
// challenge, a request id) is never replaced by its shape. A body
// compressed with a coding the copy cannot undo (dcb and dcz, whose
// dictionary is another response) is replaced by a note. Everything else
// stays byte for byte as it was.
//
// HAR copies (HAR) are streamed: memory depends on the largest entry, not on
// the file; a compressed HAR is written uncompressed. SAZ copies (SAZ) are a
// new, unprotected zip with the same members in the same order; a body that
// redaction changes is written decoded (no chunked framing, no
// Content-Encoding) with its new Content-Length. Damage the format's reader
// tolerates is tolerated too and reported in Stats.Notes; input the reader
// refuses is an error wrapping ErrFormat.
package redact
