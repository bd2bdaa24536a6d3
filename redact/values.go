package redact

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/internal/secretscan"
	"github.com/traceaudit/traceaudit/secret"
)

// class is what a named value is, for redaction.
type class int

const (
	classKeep      class = iota
	classSecret          // replayable: fingerprinted
	classMasked          // personal or guessable: masked
	classVerifier        // PKCE code_verifier: replaced by a derived verifier
	classChallenge       // PKCE code_challenge: mapped with the verifiers
	classSession         // a session id: fingerprinted unless a GUID (a correlation id)
	classCookie          // cookies as text (a Cookie header echoed in JSON, document.cookie): values masked
	classAuth            // an Authorization value as text: the scheme kept, the credential fingerprinted whole
)

// classify names a parameter, JSON member, form field or cookie-like name.
// HTML pages write & as &amp;, which leaves "amp;" in front of names.
func classify(name string) class {
	trimmed := strings.TrimSpace(strings.TrimPrefix(name, "amp;"))
	n := strings.ToLower(trimmed)
	switch {
	case n == "":
		return classKeep
	case n == "code_verifier" || n == "codeverifier":
		return classVerifier
	case n == "code_challenge":
		return classChallenge
	case secret.IsSecretParam(n) || secret.IsSecretParam(trimmed) || n == "request_uri":
		// A pushed authorization request's handle; a request_uri that
		// is a URL stays (classSecret keeps URLs, as secret.RedactParam
		// does).
		return classSecret
	case secret.IsMaskedParam(n) || secret.IsMaskedParam(trimmed):
		// The name as written too: a code's use is read from its
		// words, which only its case separates (otpCode, enterTotpCode:
		// typed one-time codes, masked; "otpcode" has no words).
		return classMasked
	case secret.IsSessionParam(n):
		return classSession
	case n == "cookie" || n == "set-cookie":
		return classCookie
	case n == "authorization" || n == "proxy-authorization":
		return classAuth
	}
	// Names of the families in any naming style (accessToken,
	// RefreshToken, x-api-key, clientSecret, SAMLAssertion), except the
	// ones that describe a credential rather than hold it (token_type,
	// tokenEndpoint, passwordResetPolicy). The name's own case splits its
	// words.
	if secret.IsCredentialName(trimmed) {
		if strings.Contains(n, "password") || strings.Contains(n, "passwd") || secret.PasswordName(trimmed) {
			return classMasked
		}
		return classSecret
	}
	if strings.Contains(n, "pass") && strings.Contains(strings.NewReplacer("_", "", "-", "", ".", "").Replace(n), "passcode") {
		// A passcode in any style (pass_code, one_time_passcode,
		// STOMP's passcode header): a password, masked.
		return classMasked
	}
	return classKeep
}

// secretHeader reports header names whose whole value is a credential
// (secret.IsSecretHeader: the CLI learns the same headers' values for the
// report scrubber).
func secretHeader(lname string) bool { return secret.IsSecretHeader(lname) }

const masked = "[redacted]"

// isPlaceholder reports a value a sanitizer already put in place of a secret,
// or one of ours; it is kept so that the rules see what they saw.
func isPlaceholder(v string) bool {
	return v == masked || secret.IsFingerprint(v) || secret.IsPlaceholder(secret.New(v))
}

// unreserved reports RFC 7636's verifier alphabet.
func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// maxVerifier bounds a derived verifier: longer input is a broken verifier
// either way (RFC 7636 allows 128), and stays broken at this length.
const maxVerifier = 4096

// deriveVerifier returns the stand-in for verifier v: as long as v (so a
// length error survives), drawn from the unreserved alphabet (starting with
// '+' when v has characters outside it, so that error survives too), and
// derived from SHA-256 of v so that the same verifier always gets the same
// stand-in and nothing about v can be read back.
func deriveVerifier(v string) string {
	if isPlaceholder(v) || isDerived(v) {
		return v
	}
	if uuidVerifier(v) {
		return deriveUUIDVerifier(v)
	}
	n := min(len(v), maxVerifier)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	out := make([]byte, 0, n)
	var block [8]byte
	for counter := uint64(0); len(out) < n; counter++ {
		binary.BigEndian.PutUint64(block[:], counter)
		sum := sha256.Sum256([]byte("traceaudit redact pkce\x00" + v + "\x00" + string(block[:])))
		for _, b := range sum {
			if len(out) == n {
				break
			}
			out = append(out, alphabet[b&63])
		}
	}
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			out[0] = '+'
			break
		}
	}
	if n >= markFrom {
		copy(out[n-markLen:], verifierMark(out[:n-markLen]))
	}
	return string(out)
}

// A derived verifier of markFrom characters or more ends with markLen
// characters computed from the rest, so that redacting a copy again leaves
// its verifiers alone (a real verifier ends so by chance once in 2^30).
const (
	markFrom = 16
	markLen  = 5
)

func verifierMark(head []byte) string {
	sum := sha256.Sum256(append([]byte("traceaudit redact mark\x00"), head...))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:markLen]
}

func isDerived(v string) bool {
	n := len(v)
	if uuidVerifier(v) {
		return v[n-markLen:] == hexMark(v[:n-markLen])
	}
	return n >= markFrom && n <= maxVerifier && v[n-markLen:] == verifierMark([]byte(v[:n-markLen]))
}

// uuidVerifier reports oidc-client-ts's verifier: three version 4 UUIDs
// without dashes (its CryptoUtils.generateCodeVerifier), 96 lower-case hex
// digits. The reader names the library by this shape (oauth.OIDCClientTS),
// and rules rest on it (logout-stopped-at-revocation: oidc-client-ts
// refuses a revocation answer that is not JSON), so its stand-in keeps the
// shape: the shape says which library, nothing of the value.
func uuidVerifier(v string) bool {
	if len(v) != 96 {
		return false
	}
	for i := 0; i < 96; i += 32 {
		u := v[i : i+32]
		if u[12] != '4' || !strings.ContainsRune("89ab", rune(u[16])) {
			return false
		}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// deriveUUIDVerifier is deriveVerifier for oidc-client-ts's verifier: 96
// hex digits derived from SHA-256 of v, the version and variant digits of
// each UUID set, and a mark of hex digits at the end (after the third
// UUID's variant digit) so that a copy redacted again keeps it.
func deriveUUIDVerifier(v string) string {
	const hexDigits = "0123456789abcdef"
	out := make([]byte, 0, 96)
	var block [8]byte
	for counter := uint64(0); len(out) < 96; counter++ {
		binary.BigEndian.PutUint64(block[:], counter)
		sum := sha256.Sum256([]byte("traceaudit redact pkce\x00" + v + "\x00" + string(block[:])))
		for _, b := range sum {
			if len(out) == 96 {
				break
			}
			out = append(out, hexDigits[b&15])
		}
	}
	for i := 0; i < 96; i += 32 {
		out[i+12] = '4'
		out[i+16] = "89ab"[out[i+16]&3]
	}
	copy(out[96-markLen:], hexMark(string(out[:96-markLen])))
	return string(out)
}

// hexMark is verifierMark in hex digits, for a stand-in that keeps
// uuidVerifier's shape.
func hexMark(head string) string {
	sum := sha256.Sum256(append([]byte("traceaudit redact mark\x00"), head...))
	return hex.EncodeToString(sum[:])[:markLen]
}

// s256 is the PKCE S256 challenge of v.
func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// looksJWT reports a compact JWS or JWE (secret.LooksJWT).
func looksJWT(v string) bool { return secret.LooksJWT(v) }

// looksURL reports an absolute http(s) URL or an origin-form target with a
// query.
func looksURL(v string) bool {
	l := len(v)
	if l > 8 {
		l = 8
	}
	p := strings.ToLower(v[:l])
	return strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "http://") ||
		(strings.HasPrefix(v, "/") && strings.ContainsAny(v, "?#"))
}

// maxNest bounds URLs inside parameters inside URLs.
const maxNest = 4

// url rewrites the query and fragment parameters of a URL (absolute or
// relative) and masks a userinfo password, leaving every other byte as it
// was.
func (r *redactor) url(raw string, nest int) string {
	raw = secret.OneTimePath(raw, r.secret)
	raw = secret.PathParams(raw, func(name, value string) string { return r.value(name, value, "", nest) })
	end := strings.IndexAny(raw, "?#")
	if end < 0 {
		end = len(raw)
	}
	head := r.userinfo(raw[:end])
	if nest >= maxNest {
		return head + r.sweep.apply(raw[end:])
	}
	var b strings.Builder
	b.WriteString(head)
	rest := raw[end:]
	if strings.HasPrefix(rest, "?") {
		q := rest[1:]
		frag := ""
		if i := strings.IndexByte(q, '#'); i >= 0 {
			q, frag = q[:i], q[i:]
		}
		b.WriteByte('?')
		b.WriteString(r.pairs(q, nest+1))
		rest = frag
	}
	if strings.HasPrefix(rest, "#") {
		b.WriteByte('#')
		f := rest[1:]
		if strings.Contains(f, "=") {
			// A fragment read as parameters: the browser's part of the
			// redirect in response_mode=fragment (may start with "/" or
			// "!"), after a single-page app's route ("#/callback?code=…").
			route, params := secret.HashRoute(f)
			b.WriteString(route)
			b.WriteString(r.pairs(params, nest+1))
		} else {
			b.WriteString(r.sweep.apply(f))
		}
	}
	return b.String()
}

// userinfo masks the password of scheme://user:password@host.
func (r *redactor) userinfo(head string) string {
	i := strings.Index(head, "://")
	if i < 0 {
		return r.sweep.apply(head)
	}
	auth := head[i+3:]
	if j := strings.IndexByte(auth, '/'); j >= 0 {
		auth = auth[:j]
	}
	at := strings.LastIndexByte(auth, '@')
	if at < 0 {
		return r.sweep.apply(head)
	}
	user, pass, hasPass := strings.Cut(auth[:at], ":")
	if !hasPass {
		// A user name alone may be a token (git over HTTPS takes one
		// there); a user name is masked anyway.
		red := r.maskEscaped(maskValue, user)
		if red == user {
			return r.sweep.apply(head)
		}
		return head[:i+3] + red + head[i+3+at:]
	}
	return head[:i+3] + user + ":" + r.maskEscaped(maskPassword, pass) + head[i+3+at:]
}

// maskEscaped masks a URL-escaped value (a URL's user name or password) as
// mask does its decoded value; one that is a placeholder already
// ("%5Bredacted%5D" of older copies) stays as it is written.
func (r *redactor) maskEscaped(kind, esc string) string {
	if esc == "" {
		return esc
	}
	v := unescape(esc)
	if _, _, ours := secret.MaskOrdinal(v); ours || v == masked {
		return esc
	}
	// Masked even when it reads like a placeholder ("secret"), as
	// copies always did: the credential must not survive.
	return url.PathEscape(r.placeholder(kind, v))
}

// pairs rewrites name=value pairs separated by '&' in order, re-encoding
// only the values it changes. The code_challenge_method of the same set
// decides how a code_challenge maps.
func (r *redactor) pairs(s string, nest int) string { return r.pairsSep(s, "&", nest) }

// pairsSep is pairs with the pairs separated by sep.
func (r *redactor) pairsSep(s, sep string, nest int) string {
	if s == "" {
		return s
	}
	parts := strings.Split(s, sep)
	method := ""
	for _, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		if strings.EqualFold(strings.TrimPrefix(unescape(k), "amp;"), "code_challenge_method") {
			method = unescape(v)
		}
	}
	changed := false
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok && nest < maxNest && (strings.Contains(p, "%3D") || strings.Contains(p, "%3d")) {
			// Pairs encoded whole ("?code%3D…%26state%3D…"): read as a
			// server that decodes once more would.
			if dec := unescape(p); dec != p && strings.IndexByte(dec, '=') > 0 {
				if red := r.pairs(dec, nest+1); red != dec {
					parts[i] = secret.EscapePairs(red)
					changed = true
				}
			}
			continue
		}
		if !ok || v == "" {
			continue
		}
		val := unescape(v)
		name := unescape(k)
		red := r.value(name, val, method, nest)
		if red == val && r.class(name) == classKeep && secret.OpaqueToken(strings.TrimPrefix(name, "amp;"), val) {
			// Shaped like a token under a name that says nothing, as
			// reports fail closed on it.
			red = r.secret(val)
		}
		if red == val && r.class(name) == classKeep && nest < maxNest {
			if head, tail, ok := secret.SemicolonPairs(v); ok {
				// Pairs after a ';' in a value whose name says nothing
				// ("x=1;code=…", a connection string's
				// "https;AccountName=…;AccountKey=…"): servers that split
				// at ';' read them as parameters (as reports do).
				if sub := r.pairsSep(tail, ";", nest+1); sub != tail {
					parts[i] = k + "=" + head + ";" + sub
					changed = true
					continue
				}
			}
		}
		if red != val {
			parts[i] = k + "=" + reescape(v, red)
			changed = true
		}
	}
	if !changed {
		return s
	}
	return strings.Join(parts, sep)
}

// reescape query-escapes red, a redacted value, the way raw was written:
// sub-delimiters raw held unescaped stay unescaped, so that a value such as
// "5;access_token=…" keeps the separators other parsers split on. '&', '#',
// '+', '%' and spaces are always escaped.
func reescape(raw, red string) string {
	esc := url.QueryEscape(red)
	if !strings.ContainsAny(raw, ";:/=,@!$'()*") {
		return esc
	}
	var b strings.Builder
	for i := 0; i < len(esc); i++ {
		if esc[i] == '%' && i+2 < len(esc) {
			if c, err := strconv.ParseUint(esc[i+1:i+3], 16, 8); err == nil && strings.IndexByte(";:/=,@!$'()*", byte(c)) >= 0 &&
				strings.IndexByte(raw, byte(c)) >= 0 {
				b.WriteByte(byte(c))
				i += 2
				continue
			}
		}
		b.WriteByte(esc[i])
	}
	return b.String()
}

func unescape(s string) string {
	if v, err := url.QueryUnescape(s); err == nil {
		return v
	}
	return s
}

// value redacts one named value.
func (r *redactor) value(name, v, method string, nest int) string {
	if v == "" {
		return v
	}
	if r.collecting && evidenceName(name) {
		r.noteEvidence(v)
	}
	if secret.CredentialTime(name, v) {
		return v
	}
	switch r.class(name) {
	case classVerifier:
		return r.verifier(v)
	case classChallenge:
		return r.challenge(v, method)
	case classSecret:
		if looksURL(v) {
			// A script's {"token": "https://idp/oauth2/token"} names an
			// endpoint; fingerprinting it would also sweep the endpoint
			// out of every request URL.
			return r.url(v, nest)
		}
		return r.secret(v)
	case classMasked:
		return r.mask(maskKindOf(name), v)
	case classSession:
		if secret.KeepSessionValue(v) {
			return v
		}
		return r.secret(v)
	case classCookie:
		return r.cookieText(v)
	case classAuth:
		// Echoed as text (a request logged in JSON): the credential is
		// fingerprinted whole, a Basic one too, whose user name the
		// header alone keeps.
		trimmed := strings.TrimLeft(v, " \t")
		scheme, cred, ok := strings.Cut(trimmed, " ")
		if !ok {
			return r.secret(v)
		}
		return v[:len(v)-len(trimmed)] + scheme + " " + r.secret(strings.TrimLeft(cred, " "))
	}
	return r.free(v, nest)
}

// free redacts a value whose name says nothing: a JWT is fingerprinted, a
// URL has its parameters redacted, and any collected secret inside is
// swept.
func (r *redactor) free(v string, nest int) string {
	switch {
	case looksJWT(v):
		return r.secret(v)
	case looksURL(v):
		return r.url(v, nest)
	}
	if nest < maxNest && r.decoding < maxNest {
		if red, ok := r.encoded(v, nest); ok {
			return red
		}
	}
	if nest < maxNest {
		if red, ok := r.headerBlock(v, nest); ok {
			return red
		}
		if red, ok := r.escaped(v, nest); ok {
			return red
		}
	}
	if strings.Contains(v, "PRIVATE KEY-----") {
		v = r.privateKeys(v)
	}
	if nest < maxNest && strings.Contains(v, "://") {
		// URLs inside text: a Link header's <…>, an error message that
		// quotes the URL it refused.
		v = r.urlsIn(v, nest+1)
	}
	if strings.ContainsAny(v, "\"'`") && strings.ContainsAny(v, ":=") {
		// Quoted pairs in free text: a GraphQL query's arguments
		// (login(password: "…")), a script or config in a string.
		v = r.jsonPairs(v)
	}
	switch {
	case nest < maxNest && looksQuery(v):
		// A URL-encoded query string inside a parameter (Office's
		// qs=WOPIsrc%3D…%26access_token%3D…): its own parameters are
		// redacted by name, at any depth.
		v = r.pairs(v, nest+1)
	case nest < maxNest && strings.IndexByte(v, '=') > 0:
		// One pair ("refresh_token=…" in a JSON string), or pairs among
		// words (a HAR comment: "pasted refresh_token=… here").
		v = r.wordPairs(v, nest)
	}
	return r.sweep.apply(r.shapes(maskEmails(v)))
}

// escaped redacts a value URL-encoded once more than its place needs (a
// return URL carried twice-encoded in a query, whose own parameters are
// then no pairs to read): decoded, redacted as free text, and encoded
// again when that changed it. ok is false when v holds no escape that
// decodes to a URL or a name=value pair, or that holds pairs already (a
// query in a parameter is read as one where it is).
func (r *redactor) escaped(v string, nest int) (string, bool) {
	if strings.IndexByte(v, '%') < 0 || strings.ContainsAny(v, " \"<>=&") {
		return v, false
	}
	// Decoded as often as it was encoded (a return URL inside a return
	// URL inside a query is encoded three times), until pairs or a URL
	// show.
	dec, levels := v, 0
	for levels < maxNest-nest {
		d, err := url.QueryUnescape(dec)
		if err != nil || d == dec {
			break
		}
		dec, levels = d, levels+1
		if strings.Contains(dec, "=") || looksURL(dec) || strings.IndexByte(dec, '%') < 0 {
			break
		}
	}
	if levels == 0 || !strings.Contains(dec, "=") && !looksURL(dec) {
		return v, false
	}
	red := r.free(dec, nest+levels)
	if red == dec {
		return v, false
	}
	for range levels {
		red = url.QueryEscape(red)
	}
	return red, true
}

// headerBlock redacts a text that is a message with a header block: a
// STOMP frame sent over a WebSocket (CONNECT, then login: and passcode:
// or an Authorization: line), or an HTTP request or answer logged as text.
// The first line is a command (upper-case letters) or an HTTP request or
// status line; the lines after it up to a blank one are name:value fields,
// redacted as headers are or by their names; what follows is redacted as
// free text. ok is false when v is no such message.
func (r *redactor) headerBlock(v string, nest int) (string, bool) {
	nl := strings.IndexByte(v, '\n')
	if nl < 0 || !messageStart(strings.TrimSuffix(v[:nl], "\r")) {
		return v, false
	}
	var b strings.Builder
	b.WriteString(v[:nl+1])
	rest := v[nl+1:]
	fields := 0
	for rest != "" {
		line, tail, more := strings.Cut(rest, "\n")
		cr := ""
		if strings.HasSuffix(line, "\r") {
			line, cr = line[:len(line)-1], "\r"
		}
		if line == "" {
			// The body, less a STOMP frame's closing NUL.
			b.WriteString(cr + "\n")
			body := strings.TrimRight(tail, "\x00\r\n")
			b.WriteString(r.free(body, nest+1) + tail[len(body):])
			return b.String(), fields > 0
		}
		name, val, ok := strings.Cut(line, ":")
		if !ok || !fieldName(name) {
			return v, false
		}
		fields++
		if classify(name) != classKeep {
			val = r.value(name, val, "", nest+1)
		} else {
			val = r.header(name, val)
		}
		b.WriteString(name + ":" + val + cr)
		if more {
			b.WriteByte('\n')
		}
		rest = tail
	}
	return b.String(), fields > 0
}

// messageStart reports the first line of a STOMP frame (its command) or of
// an HTTP message.
func messageStart(l string) bool {
	if strings.HasPrefix(l, "HTTP/") {
		return true
	}
	cmd, target, ok := strings.Cut(l, " ")
	if len(cmd) < 3 || len(cmd) > 16 {
		return false
	}
	for i := 0; i < len(cmd); i++ {
		if cmd[i] < 'A' || cmd[i] > 'Z' {
			return false
		}
	}
	return !ok || strings.Contains(target, " HTTP/")
}

// fieldName reports a header field name (RFC 9110's token, less the
// characters no real name holds).
func fieldName(n string) bool {
	if n == "" || len(n) > 128 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// encoded redacts a value that is a document of its own: JSON text (a
// WebSocket frame, a JSON string holding JSON, socket.io's `42[…]`), or
// base64 or base64url of JSON or of a form body, re-encoded the same way.
// ok is false when v is none of those; the result is v itself when
// nothing in it was secret.
func (r *redactor) encoded(v string, nest int) (string, bool) {
	r.decoding++
	defer func() { r.decoding-- }()
	t := strings.TrimSpace(v)
	if t == "" {
		return v, false
	}
	// JSON, after the digits of a socket.io packet type.
	j := strings.TrimLeft(t, "0123456789")
	if j != "" && (j[0] == '{' || j[0] == '[') && (len(j) == len(t) || len(t)-len(j) <= 4) {
		if gjson.Valid(j) {
			out, _ := r.json([]byte(j))
			if string(out) == j {
				return v, true
			}
			lead := v[:strings.Index(v, j)]
			return lead + string(out) + v[len(lead)+len(j):], true
		}
		return v, false
	}
	if len(t) < 16 || len(t) != len(v) {
		return v, false
	}
	enc := base64Of(v)
	if enc == nil {
		return v, false
	}
	data, err := enc.DecodeString(v)
	if err != nil {
		return v, false
	}
	if c := storedCoding(data); c != "" {
		return r.compressedValue(v, enc, c, data, nest)
	}
	if !utf8.Valid(data) || binaryBytes(data) {
		// Brotli or raw deflate, which carry no signature: read when
		// the bytes decode whole to text (headerless), as a body's are.
		if dec, c := r.headerless(data, maxLayers); c != "" && utf8.Valid(dec) && !binaryBytes(dec) {
			return r.packedValue(v, enc, c, dec, nest)
		}
		return v, false
	}
	d := bytes.TrimSpace(data)
	var red []byte
	switch {
	case len(d) > 0 && (d[0] == '{' || d[0] == '[') && gjson.ValidBytes(d):
		red, _ = r.json(data)
	case looksForm(d):
		if p := r.pairs(string(data), nest+1); p != string(data) {
			red = []byte(p)
		}
	default:
		return v, false
	}
	if red == nil || bytes.Equal(red, data) {
		return v, true
	}
	return enc.EncodeToString(red), true
}

// compressedValue redacts a value that is base64 of compressed bytes
// (gzip, zstd or zlib by their signatures: an app's state or payload
// packed small, "H4sI…"): the text it decompresses to is redacted as a
// free value and, when that changed it, compressed again the same way and
// encoded as it was. Compressed bytes of which no text decodes hide what
// they hold, so the value is fingerprinted whole (fail closed); a zlib
// header is two bytes any base64 value may start with, and one that does
// not decode is not read as compressed.
func (r *redactor) compressedValue(v string, enc *base64.Encoding, coding string, data []byte, nest int) (string, bool) {
	dec, truncated, err := httpwire.DecodeContent(coding, data, r.limits.InflateBytes)
	if err != nil || truncated || !utf8.Valid(dec) {
		if coding == "deflate" {
			return v, false
		}
		return r.secret(v), true
	}
	red := r.free(string(dec), nest+1)
	if red == string(dec) {
		return v, true
	}
	packed, err := compress(coding, []byte(red))
	if err != nil {
		return r.secret(v), true
	}
	return enc.EncodeToString(packed), true
}

// packedValue redacts a value that is base64 of brotli or raw deflate
// (coding) of text dec: redacted as a free value and, when that changed
// it, compressed again the same way and encoded as it was.
func (r *redactor) packedValue(v string, enc *base64.Encoding, coding string, dec []byte, nest int) (string, bool) {
	red := r.free(string(dec), nest+1)
	if red == string(dec) {
		return v, true
	}
	var z bytes.Buffer
	var w io.WriteCloser
	if coding == "br" {
		w = brotli.NewWriter(&z)
	} else {
		w, _ = flate.NewWriter(&z, flate.DefaultCompression)
	}
	w.Write([]byte(red))
	if err := w.Close(); err != nil {
		return r.secret(v), true
	}
	return enc.EncodeToString(z.Bytes()), true
}

// compress writes b compressed with coding (gzip, zstd, or deflate as
// zlib), as compressedValue found it.
func compress(coding string, b []byte) ([]byte, error) {
	var z bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&z)
	case "zstd":
		zw, err := zstd.NewWriter(&z, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		w = zw
	default:
		w = zlib.NewWriter(&z)
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return z.Bytes(), nil
}

// base64Of returns the encoding v is written in: standard or URL
// alphabet, padded or not; nil when v is not base64 of whole bytes.
func base64Of(v string) *base64.Encoding {
	std, url := false, false
	pad := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '=':
			pad++
			if pad > 2 {
				return nil
			}
			continue
		case pad > 0:
			return nil
		case c == '+' || c == '/':
			std = true
		case c == '-' || c == '_':
			url = true
		case !alnum(c):
			return nil
		}
	}
	if std && url {
		return nil
	}
	if pad > 0 {
		if len(v)%4 != 0 {
			return nil
		}
		if url {
			return base64.URLEncoding
		}
		return base64.StdEncoding
	}
	if len(v)%4 == 1 {
		return nil
	}
	if url {
		return base64.RawURLEncoding
	}
	if len(v)%4 == 0 {
		return base64.StdEncoding
	}
	return base64.RawStdEncoding
}

// wordPairs redacts name=value pairs that stand as words of a text, or
// as the whole value, when their name is secret.
func (r *redactor) wordPairs(v string, nest int) string {
	if !strings.ContainsAny(v, " \t\n") {
		return r.wordPair(v, nest)
	}
	sp := replaceSpans{s: v}
	for i := 0; i < len(v); {
		for i < len(v) && isSpace(v[i]) {
			i++
		}
		start := i
		for i < len(v) && !isSpace(v[i]) {
			i++
		}
		w := v[start:i]
		if red := r.wordPair(w, nest); red != w {
			sp.replace(start, i, red)
		}
	}
	return sp.result()
}

// wordPair redacts one word of pairs: joined by '&' (or ';'), or options
// after a host joined by ',' as a Redis connection string writes them
// ("cache.example:6380,password=…,ssl=True").
func (r *redactor) wordPair(w string, nest int) string {
	if pairWord(w) {
		return r.pairs(w, nest+1)
	}
	if strings.IndexByte(w, ',') < 0 || strings.ContainsAny(w, "<>{}\"'") {
		return w
	}
	for _, p := range strings.Split(w, ",") {
		if pairWord(p) {
			return r.pairsSep(w, ",", nest+1)
		}
	}
	return w
}

// pairWord reports a word that starts with a plain name and "=", holds
// no quotes or markup, and names a secret.
func pairWord(w string) bool {
	eq := strings.IndexByte(w, '=')
	if eq <= 0 || strings.ContainsAny(w, "<>{}\"'") {
		return false
	}
	for i := 0; i < eq; i++ {
		if c := w[i]; !alnum(c) && c != '_' && c != '-' && c != '.' && c != '$' && c != '[' && c != ']' {
			return false
		}
	}
	// Only words that name a secret are rewritten: the others stay
	// byte for byte.
	for _, p := range strings.FieldsFunc(w, func(c rune) bool { return c == '&' || c == ';' }) {
		if k, _, ok := strings.Cut(p, "="); ok && classify(unescape(k)) != classKeep {
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// looksQuery reports a value that reads as name=value pairs joined by '&'.
func looksQuery(v string) bool {
	eq := strings.IndexByte(v, '=')
	return eq > 0 && strings.IndexByte(v, '&') > 0 && !strings.ContainsAny(v, " \t\n<>{}\"")
}

// shapes fingerprints secret-shaped strings (JWTs at any URL-encoding
// depth, Bearer credentials, key log lines, high-entropy values after
// credential names) wherever they sit in a value or text.
func (r *redactor) shapes(s string) string {
	red := secretscan.RedactString(s)
	if red != s {
		r.count()
	}
	return red
}

func (r *redactor) count() {
	if r.stats != nil {
		r.stats.Replaced++
	}
}

// secret fingerprints a replayable value.
func (r *redactor) secret(v string) string {
	if v == "" || isPlaceholder(v) {
		return v
	}
	if strings.HasPrefix(v, "sha256%3") && secret.IsFingerprint(unescape(v)) {
		// A fingerprint a pair wrote URL-encoded, read again as it is
		// written (a NAME=value line).
		return v
	}
	fp := secret.Fingerprint(v)
	r.learn(v, fp)
	r.count()
	return fp
}

// mask hides a personal value, a password or a cookie's value behind the
// placeholder of its kind and ordinal in this copy (ordinals): equal
// values stay equal, different ones different, and nothing else of them
// is shown.
func (r *redactor) mask(kind, v string) string {
	if v == "" || isPlaceholder(v) {
		return v
	}
	// A quoted cookie value (sid="…") is the value without its quotes,
	// and echoed so.
	if isPlaceholder(unquoted(v)) {
		return v
	}
	return r.placeholder(kind, v)
}

// placeholder is the mask of v of kind, learnt for the sweep.
func (r *redactor) placeholder(kind, v string) string {
	core := unquoted(v)
	ph := r.ordinals.placeholder(kind, core)
	r.learn(v, ph)
	if core != v {
		r.learn(core, ph)
	}
	r.count()
	return ph
}

// verifier replaces a PKCE verifier with its derived stand-in and remembers
// the pair so that challenges map the same way.
func (r *redactor) verifier(v string) string {
	if isPlaceholder(v) {
		return v
	}
	d, ok := r.verifiers[v]
	if !ok {
		d = deriveVerifier(v)
		if len(r.verifiers) < maxVerifiers {
			r.verifiers[v] = d
			r.challenges[s256(v)] = s256(d)
		}
	}
	r.learn(v, d)
	r.count()
	return d
}

// challenge maps a code_challenge: one that a verifier of the trace proves
// by S256 becomes the S256 of that verifier's stand-in; a plain challenge
// (the verifier itself) becomes the verifier's stand-in. An S256 challenge no
// verifier proves is a hash and stays as it is.
func (r *redactor) challenge(c, method string) string {
	if isPlaceholder(c) {
		return c
	}
	if m, ok := r.challenges[c]; ok {
		r.count()
		return m
	}
	switch {
	case strings.EqualFold(method, "S256"):
		return c // a hash that no verifier of the trace proves
	case method == "" && r.verifiers[c] == "":
		// No method: RFC 7636 says plain, but clients that omit it mostly
		// send S256; only a challenge equal to a verifier is known plain.
		return c
	}
	r.count()
	return deriveVerifier(c)
}

// maxVerifiers bounds the verifier map of one trace.
const maxVerifiers = 1 << 16

// maskEmails masks e-mail addresses and UPNs as secret.MaskEmails does
// ([redacted-email]), by hand: bodies run to megabytes and the regular
// expression cost most of a copy's time on them.
func maskEmails(s string) string {
	if strings.IndexByte(s, '@') < 0 {
		return s
	}
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '@')
		if j < 0 {
			break
		}
		at := i + j
		i = at + 1
		l := at
		for l > sp.last && emailLocal(s[l-1]) {
			l--
		}
		if l == at {
			continue
		}
		r := at + 1
		for r < len(s) && (alnum(s[r]) || s[r] == '-' || s[r] == '.') {
			r++
		}
		n := emailDomain(s[at+1 : r])
		if n < 0 {
			continue
		}
		sp.replace(l, at+1+n, "[redacted-email]")
		i = sp.last
	}
	return sp.result()
}

func emailLocal(c byte) bool { return alnum(c) || strings.IndexByte("._%+'-", c) >= 0 }

// emailDomain returns the length of the domain at the start of d: labels
// joined by dots ending in a dot and two or more letters, the last such
// dot winning; -1 when there is none.
func emailDomain(d string) int {
	if k := strings.Index(d, ".."); k >= 0 {
		d = d[:k]
	}
	if d == "" || d[0] == '.' {
		return -1
	}
	for k := strings.LastIndexByte(d, '.'); k > 0; k = strings.LastIndexByte(d[:k], '.') {
		n := 0
		for k+1+n < len(d) && (d[k+1+n] >= 'a' && d[k+1+n] <= 'z' || d[k+1+n] >= 'A' && d[k+1+n] <= 'Z') {
			n++
		}
		if n >= 2 {
			return k + 1 + n
		}
	}
	return -1
}
