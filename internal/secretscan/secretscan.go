// Package secretscan is the last line of redaction: a sweep by shape over
// bytes about to be written. Structured redaction (parse, redact) knows
// names and places; this package knows only what a secret looks like, so it
// finds what the structured layer missed wherever it sits:
//
//   - JWS/JWE compact tokens ("eyJ" base64url segments joined by dots) at any
//     URL-encoding depth (dots written as ".", "%2E", "%252E", …);
//   - credentials after an HTTP authentication scheme (Bearer, Basic,
//     Negotiate, NTLM), with the space as " ", "+" or percent-encoded;
//   - SSLKEYLOGFILE lines (the secret field);
//   - long high-entropy values right after a credential-like name
//     (token, secret, password, assertion, api key, … in any naming style)
//     and "=", ":" or a percent-encoded "=";
//   - tokens a service marks with its own prefix (GitHub's ghp_, GitLab's
//     glpat-, Slack's xoxb-, Stripe's sk_live_, npm's npm_, Google's AIza,
//     …) wherever they stand, under any name or none.
//
// Reports replace what it finds by the contract fingerprint of the value
// after URL decoding (Redact, Writer); sanitized copies refuse to be written
// when it finds anything (Find).
package secretscan

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"math"
	"strings"
)

// Kind names a shape.
type Kind string

// The shapes.
const (
	JWT        Kind = "a JWT"
	AuthScheme Kind = "an authorization credential"
	KeyLog     Kind = "a TLS key log secret"
	Credential Kind = "a credential value"
	Vendor     Kind = "a service's prefixed token"
)

// Match is one secret-shaped string: bytes [Start, End) of the input, and
// the value they hold after percent-decoding.
type Match struct {
	Start, End int
	Kind       Kind
	Value      string
}

// Replacement is what Redact writes in place of m: the contract fingerprint
// ("sha256:" and 12 hex of SHA-256 of the decoded value). A colon needs no
// escape at any URL-encoding depth, so the text around stays valid.
func (m Match) Replacement() string { return fingerprint(m.Value) }

func fingerprint(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:6])
}

// Limits of the shapes.
const (
	minJWTHead  = 10 // "eyJ" and at least this many bytes in all before the first dot
	minJWTTail  = 8  // bytes of segments after the first dot
	minAuthCred = 16 // credential after an authentication scheme
	minCredVal  = 20 // value after a credential-like name
	maxName     = 64 // bytes of a name looked at before a separator
	maxValue    = 1 << 20
	minEntropy  = 3.0 // bits per character of a credential value
)

// trigger marks bytes at which a shape can start or be anchored.
var trigger = func() (t [256]bool) {
	for _, c := range []byte("eBbNnCSER=:%") {
		t[c] = true
	}
	for _, v := range vendorPrefixes {
		t[v.prefix[0]] = true
	}
	return t
}()

// vendorPrefixes are the prefixes services put on the secrets they issue,
// so that scanners know them (GitHub, GitLab, Slack, Stripe, npm, OpenAI,
// Anthropic, Google API keys, Hugging Face, Shopify, DigitalOcean, PyPI,
// Grafana, Linear, Brevo, SendGrid), and the fewest bytes of the token
// alphabet after the prefix that make one. A prefix counts only where a
// word starts (not inside "task-…"), and the rest must hold letters and
// digits: "sk-" followed by a CSS class name is no key.
var vendorPrefixes = []struct {
	prefix string
	min    int
}{
	{"ghp_", 30}, {"gho_", 30}, {"ghu_", 30}, {"ghs_", 30}, {"ghr_", 30}, {"github_pat_", 40},
	{"glpat-", 20}, {"glptt-", 20}, {"gldt-", 20}, {"glrt-", 20}, {"glsa_", 32},
	{"xoxb-", 20}, {"xoxp-", 20}, {"xoxa-", 20}, {"xoxr-", 20}, {"xoxe-", 20}, {"xoxs-", 20}, {"xapp-", 20},
	{"sk_live_", 20}, {"rk_live_", 20}, {"sk_test_", 20}, {"rk_test_", 20}, {"whsec_", 24},
	{"npm_", 30}, {"sk-", 40}, {"AIza", 30}, {"hf_", 30},
	{"shpat_", 32}, {"shpss_", 32}, {"shpca_", 32}, {"shppa_", 32},
	{"dop_v1_", 60}, {"doo_v1_", 60}, {"dor_v1_", 60}, {"pypi-", 60}, {"lin_api_", 32}, {"xkeysib-", 60},
	{"SG.", 20},
}

// vendorSecond holds, per first byte of a prefix, the second bytes that
// may follow: the scan's cheap test before the prefixes are compared.
var vendorSecond = func() (t [256]string) {
	for _, v := range vendorPrefixes {
		if strings.IndexByte(t[v.prefix[0]], v.prefix[1]) < 0 {
			t[v.prefix[0]] += v.prefix[1:2]
		}
	}
	return t
}()

// vendorAt matches a token with a service's prefix at b[i].
func (sc *scratch) vendorAt(b []byte, i int) (Match, bool) {
	if inWord(b, i) {
		return Match{}, false
	}
	for _, v := range vendorPrefixes {
		if !bytes.HasPrefix(b[i:], []byte(v.prefix)) {
			continue
		}
		p := i + len(v.prefix)
		dec := sc.dec
		end := run(b, p, b64urlClass, &dec)
		n := len(dec)
		if v.prefix == "SG." && end < len(b) && b[end] == '.' {
			// SendGrid's key is two parts: SG.<id>.<secret>.
			dec = append(dec, '.')
			tail := dec[len(dec):]
			e := run(b, end+1, b64urlClass, &tail)
			if len(tail) >= 20 {
				dec = append(dec, tail...)
				end = e
			} else {
				dec = dec[:n]
			}
		}
		sc.dec = dec[:0]
		if n < v.min || !mixed(dec) || isPlaceholder(string(dec)) {
			return Match{}, false
		}
		return Match{Start: i, End: end, Kind: Vendor, Value: v.prefix + string(dec)}, true
	}
	return Match{}, false
}

// Find returns the secret-shaped strings of b, in order, without overlap
// (see scan for how overlapping shapes are cut).
func Find(b []byte) []Match {
	var out []Match
	scan(b, func(m Match) bool { out = append(out, m); return true })
	return out
}

// First returns the first secret-shaped string of b.
func First(b []byte) (Match, bool) {
	var first Match
	found := false
	scan(b, func(m Match) bool { first, found = m, true; return false })
	return first, found
}

// Redact returns b with every match replaced by its fingerprint. It returns
// b itself when nothing matched.
func Redact(b []byte) []byte {
	var out []byte
	last := 0
	scan(b, func(m Match) bool {
		if out == nil {
			out = make([]byte, 0, len(b))
		}
		out = append(out, b[last:m.Start]...)
		out = append(out, m.Replacement()...)
		last = m.End
		return true
	})
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// RedactString is Redact for strings.
func RedactString(s string) string {
	if len(s) < minCredVal-4 {
		return s
	}
	r := Redact([]byte(s))
	if len(r) == len(s) && string(r) == s {
		return s
	}
	return string(r)
}

// scan calls fn for each match in order; fn returns false to stop.
// Matches may overlap (a password that runs into a key log line): a later
// one that ends beyond the current one is cut to start where it ends, so
// that what fn gets never overlaps and covers every byte of every match.
func scan(b []byte, fn func(Match) bool) {
	var cur Match
	have := false
	sc := &scratch{dec: make([]byte, 0, 256)}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !trigger[c] {
			continue
		}
		var m Match
		ok := false
		// The cheap tests of the next byte are here, inlined: most
		// trigger bytes start nothing.
		var next byte
		if i+1 < len(b) {
			next = b[i+1]
		}
		switch c {
		case 'e':
			if next == 'y' {
				m, ok = sc.jwtAt(b, i)
			}
		case 'B', 'b', 'N', 'n':
			if next == 'e' || next == 'E' || next == 'a' || next == 'A' || next == 't' || next == 'T' {
				m, ok = sc.authAt(b, i)
			}
		case 'C', 'S', 'E', 'R':
			if next >= 'A' && next <= 'Z' {
				m, ok = keyLogAt(b, i)
			}
		case '=', ':', '%':
			m, ok = sc.credentialAt(b, i)
		}
		if !ok && vendorSecond[c] != "" && strings.IndexByte(vendorSecond[c], next) >= 0 {
			m, ok = sc.vendorAt(b, i)
		}
		if !ok {
			continue
		}
		switch {
		case !have:
			cur, have = m, true
		case m.Start >= cur.End:
			if !fn(cur) {
				return
			}
			cur = m
		case m.End > cur.End:
			if !fn(cur) {
				return
			}
			m.Start = cur.End
			cur = m
		}
	}
	if have {
		fn(cur)
	}
}

// scratch holds the decoding buffer of one scan, so that looking at a
// position allocates nothing until a match is found.
type scratch struct {
	dec []byte
	// jwt remembers the last base64url run jwtAt read whole after a
	// JOSE-like head: from jwtFrom, its first segment ends at jwtEnd, and
	// a start inside it reads to the same end and the same segments
	// after, so gives no match scan would keep (jwtAt at jwtFrom gave
	// none, or gave one to the same end that scan holds).
	jwtFrom, jwtEnd int
	jwtRead         bool
}

// pct reads a percent-escape at b[i] ('%', then "25" once per extra level,
// then two hex digits) and returns the byte it finally decodes to, its
// length and its depth. ok is false when b[i] starts no escape.
func pct(b []byte, i int) (c byte, n, depth int, ok bool) {
	if i >= len(b) || b[i] != '%' {
		return 0, 0, 0, false
	}
	p, depth := i+1, 1
	for p+2 <= len(b) {
		v, good := hexByte(b[p], b[p+1])
		if !good {
			return 0, 0, 0, false
		}
		if v == '%' && p+4 <= len(b) {
			if _, next := hexByte(b[p+2], b[p+3]); next {
				p += 2
				depth++
				continue
			}
		}
		return v, p + 2 - i, depth, true
	}
	return 0, 0, 0, false
}

func hexByte(a, b byte) (byte, bool) {
	x, ok1 := unhex(a)
	y, ok2 := unhex(b)
	return x<<4 | y, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func b64url(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// A byteClass is a set of bytes, as a table: the scans test one byte at a
// time in their inner loops.
type byteClass [256]bool

func classOf(f func(byte) bool) *byteClass {
	var t byteClass
	for c := 0; c < 256; c++ {
		t[c] = f(byte(c))
	}
	return &t
}

var (
	b64urlClass  = classOf(b64url)
	token68Class = classOf(token68)
	credClass    = classOf(credValue)
)

// run reads bytes of class ok, plain or percent-encoded, from b[i], at
// most maxValue decoded. It returns the end and the decoded value in dec.
func run(b []byte, i int, ok *byteClass, dec *[]byte) int {
	return runN(b, i, ok, dec, maxValue)
}

// runN is run reading at most max decoded bytes.
func runN(b []byte, i int, ok *byteClass, dec *[]byte, max int) int {
	d := (*dec)[:0]
	for i < len(b) && len(d) < max {
		c := b[i]
		if ok[c] {
			d = append(d, c)
			i++
			continue
		}
		if c == '%' {
			if v, n, _, good := pct(b, i); good && ok[v] {
				d = append(d, v)
				i += n
				continue
			}
		}
		break
	}
	*dec = d
	return i
}

// jwtAt matches a compact JWS or JWE starting at b[i].
//
// A long base64url run holds an "ey" every few bytes: reading the run
// whole at each made 128 KB of "eyJ" take 10 s. The head is judged on
// its first jsonHeadBytes decoded bytes (all jsonHead looks at), and a
// run read whole once is not read again from inside it (scratch.jwt).
// For a run longer than maxValue this may leave out a match that would
// start after the run's first maxValue bytes; no JOSE header is that
// long.
func (sc *scratch) jwtAt(b []byte, i int) (Match, bool) {
	if i+3 > len(b) || b[i+1] != 'y' || b[i+2] != 'J' {
		return Match{}, false
	}
	if sc.jwtRead && i > sc.jwtFrom && i < sc.jwtEnd {
		return Match{}, false
	}
	dec := sc.dec
	runN(b, i, b64urlClass, &dec, jsonHeadBytes)
	if len(dec) < minJWTHead || !jsonHead(dec) {
		sc.dec = dec[:0]
		return Match{}, false
	}
	end := run(b, i, b64urlClass, &dec)
	defer func() { sc.dec = dec[:0] }()
	sc.jwtFrom, sc.jwtEnd, sc.jwtRead = i, end, true
	val := append([]byte(nil), dec...)
	dots, tail := 0, 0
	for dots < 4 && end < len(b) {
		n := 0
		if b[end] == '.' {
			n = 1
		} else if v, l, _, ok := pct(b, end); ok && v == '.' {
			n = l
		}
		if n == 0 {
			break
		}
		// A dot counts when a segment or another dot follows (a JWE's
		// encrypted key may be empty); a sentence's full stop does not.
		segStart := end + n
		segEnd := run(b, segStart, b64urlClass, &dec)
		if len(dec) == 0 {
			if _, _, _, ok := pct(b, segStart); !(segStart < len(b) && b[segStart] == '.') && !(ok && pctDot(b, segStart)) {
				break
			}
		}
		val = append(val, '.')
		val = append(val, dec...)
		tail += len(dec)
		dots++
		end = segEnd
	}
	if dots == 0 || tail < minJWTTail {
		return Match{}, false
	}
	return Match{Start: i, End: end, Kind: JWT, Value: string(val)}, true
}

// jsonHeadBytes is how much of a first segment jsonHead decodes.
const jsonHeadBytes = 64

// jsonHead reports a first segment that decodes to printable text, as a
// JOSE header does ("keyJustification" does not).
func jsonHead(seg []byte) bool {
	n := len(seg) / 4 * 4
	if n > jsonHeadBytes {
		n = jsonHeadBytes
	}
	var buf [48]byte
	k, err := base64.RawURLEncoding.Decode(buf[:], seg[:n])
	if err != nil {
		return false
	}
	for _, c := range buf[:k] {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func pctDot(b []byte, i int) bool {
	v, _, _, ok := pct(b, i)
	return ok && v == '.'
}

// token68 is RFC 9110's credential alphabet.
func token68(c byte) bool {
	return b64url(c) || c == '.' || c == '~' || c == '+' || c == '/' || c == '='
}

var schemes = []struct {
	name string
	min  int
}{{"bearer", minAuthCred}, {"basic", minAuthCred}, {"negotiate", 24}, {"ntlm", 24}}

// authAt matches a credential after an authentication scheme at b[i].
func (sc *scratch) authAt(b []byte, i int) (Match, bool) {
	if i+1 >= len(b) {
		return Match{}, false
	}
	switch b[i+1] {
	case 'e', 'E', 'a', 'A', 't', 'T':
	default:
		return Match{}, false
	}
	if inWord(b, i) {
		return Match{}, false
	}
	for _, s := range schemes {
		if i+len(s.name) >= len(b) || !equalFold(b[i:i+len(s.name)], s.name) {
			continue
		}
		p := i + len(s.name)
		spaces := 0
		for p < len(b) {
			switch {
			case b[p] == ' ' || b[p] == '+':
				p++
			default:
				if v, n, _, ok := pct(b, p); ok && v == ' ' {
					p += n
				} else {
					goto cred
				}
			}
			spaces++
		}
	cred:
		if spaces == 0 || spaces > 4 {
			return Match{}, false
		}
		dec := sc.dec
		end := run(b, p, token68Class, &dec)
		sc.dec = dec[:0]
		if len(dec) < s.min || isPlaceholder(string(dec)) {
			return Match{}, false
		}
		if s.name == "basic" {
			// Prose ("Basic authentication…") stops at a space; a real
			// credential decodes to id:secret.
			// A copy keeps the id and fingerprints the secret
			// ("id:sha256:…"), which is no credential.
			raw, err := base64.StdEncoding.DecodeString(string(dec))
			_, secret, found := bytes.Cut(raw, []byte(":"))
			if err != nil || !found || isPlaceholder(string(secret)) {
				return Match{}, false
			}
		}
		if !mixed(dec) {
			return Match{}, false
		}
		return Match{Start: p, End: end, Kind: AuthScheme, Value: string(dec)}, true
	}
	return Match{}, false
}

// inWord reports whether b[i] continues a word or a base64 run rather than
// starting one: a scheme's name there is no scheme ("…c0nTLM+GZR…" in a
// random base64 body made redact refuse a clean copy of a HAR). The end of
// an escape ("%20Bearer", "\\nBearer", "\\u0020Bearer") starts a word.
func inWord(b []byte, i int) bool {
	if i == 0 {
		return false
	}
	c := b[i-1]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
		return false
	}
	switch {
	case i >= 3 && b[i-3] == '%' && isHex(b[i-2]) && isHex(c):
		return false
	case i >= 2 && b[i-2] == '\\':
		return false
	case i >= 6 && b[i-6] == '\\' && b[i-5] == 'u':
		return false
	}
	return true
}

func equalFold(b []byte, lower string) bool {
	for k := 0; k < len(lower); k++ {
		c := b[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[k] {
			return false
		}
	}
	return true
}

var keyLogLabels = []string{
	"CLIENT_RANDOM", "CLIENT_EARLY_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	"SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0",
	"EXPORTER_SECRET", "EARLY_EXPORTER_SECRET", "RSA",
}

func isHex(c byte) bool { _, ok := unhex(c); return ok }

// keyLogAt matches the secret of an NSS key log line at b[i]: LABEL, a hex
// client random (or encrypted pre-master prefix), a hex secret.
func keyLogAt(b []byte, i int) (Match, bool) {
	if i+3 >= len(b) || !(b[i+1] >= 'A' && b[i+1] <= 'Z') || !(b[i+2] >= 'A' && b[i+2] <= 'Z') {
		return Match{}, false
	}
	for _, l := range keyLogLabels {
		if !bytes.HasPrefix(b[i:], []byte(l)) {
			continue
		}
		p := i + len(l)
		if p >= len(b) || b[p] != ' ' {
			return Match{}, false
		}
		p++
		q := p
		for q < len(b) && isHex(b[q]) {
			q++
		}
		if q-p < 16 || q >= len(b) || b[q] != ' ' {
			return Match{}, false
		}
		s := q + 1
		e := s
		for e < len(b) && isHex(b[e]) {
			e++
		}
		if e-s < 32 {
			return Match{}, false
		}
		return Match{Start: s, End: e, Kind: KeyLog, Value: string(b[s:e])}, true
	}
	return Match{}, false
}

// credWords are the name families whose values are credentials, matched in
// a name lower-cased with '_', '-' and '.' removed, so that every naming
// style (access_token, accessToken, AccessToken, x-api-key) matches.
var credWords = []string{"token", "secret", "password", "passwd", "assertion", "apikey", "credential",
	"subscriptionkey", "accesskey", "privatekey", "signature", "samlresponse", "samlrequest", "wresult"}

var credWordBytes = func() [][]byte {
	out := make([][]byte, len(credWords))
	for i, w := range credWords {
		out[i] = []byte(w)
	}
	return out
}()

// CredentialName reports a name of the token, secret, password, assertion
// and api-key families in any naming style.
func CredentialName(name string) bool { return credName([]byte(name)) }

func credName(name []byte) bool {
	var buf [maxName]byte
	n := 0
	for i := 0; i < len(name) && n < len(buf); i++ {
		c := name[i]
		switch {
		case c == '_' || c == '-' || c == '.' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	norm := buf[:n]
	switch string(norm) {
	case "pwd", "sig", "xmssig":
		return true
	}
	for _, w := range credWordBytes {
		if bytes.Contains(norm, w) {
			return true
		}
	}
	return false
}

func nameByte(c byte) bool { return b64url(c) || c == '.' || c == '$' }

// credValue is what a credential value holds: token68 and the punctuation
// of generated passwords, not what separates values (space, quotes, '&',
// ';', ',', ':', brackets).
func credValue(c byte) bool {
	return token68(c) || strings.IndexByte("!$*@#^()|?", c) >= 0
}

// credentialAt matches a high-entropy value after a credential-like name
// and the separator at b[i] ("=", ":" or a percent-encoded "=").
func (sc *scratch) credentialAt(b []byte, i int) (Match, bool) {
	sepLen := 1
	if b[i] == '%' {
		v, n, _, ok := pct(b, i)
		if !ok || v != '=' {
			return Match{}, false
		}
		sepLen = n
	}
	// The value: after optional spaces and one quote (plain or escaped).
	p := i + sepLen
	for p < len(b) && b[p] == ' ' {
		p++
	}
	if p < len(b) && b[p] == '\\' && p+1 < len(b) && b[p+1] == '"' {
		p += 2
	} else if p < len(b) && (b[p] == '"' || b[p] == '\'') {
		p++
	}
	// The name: before optional spaces and one quote. It is judged
	// before the value is read: most separators follow no credential
	// name, and reading the value first made a run of '=' quadratic (each
	// '=' read the rest of the run: 4 s for 32 KB).
	q := i - 1
	for q >= 0 && b[q] == ' ' {
		q--
	}
	if q >= 0 && (b[q] == '"' || b[q] == '\'') {
		q--
		if q >= 0 && b[q] == '\\' {
			q--
		}
	}
	nameEnd := q + 1
	for q >= 0 && nameEnd-q <= maxName && nameByte(b[q]) {
		q--
	}
	start := q + 1
	switch {
	case q >= 0 && b[q] == '%':
		// "%26name": the escape ends before the name.
		if _, n, _, ok := pct(b, q); ok {
			start = min(q+n, nameEnd)
		}
	case q >= 0 && b[q] == '\\' && start < nameEnd:
		// A JSON escape ("\nname", "\u0026name") ends before it.
		start++
		if b[q+1] == 'u' {
			start = min(start+4, nameEnd)
		}
	}
	if nameEnd-start < 3 || !credName(b[start:nameEnd]) {
		return Match{}, false
	}
	dec := sc.dec
	end := run(b, p, credClass, &dec)
	sc.dec = dec[:0]
	if len(dec) < minCredVal {
		return Match{}, false
	}
	if !mixed(dec) || entropy(dec) < minEntropy {
		// A generated password may hold '#', '?' or '|', but so does
		// what follows a token in a URL ("…&t=K3k8…?####"), and filler
		// of one token68 byte may follow it ("…sig=+++++"): a run of
		// them lowers the whole's entropy under the bar while the
		// token68 core before them is a credential of its own. The core
		// is judged without a run of one repeated byte at either end,
		// inner runs counted as one byte; the match and its fingerprint
		// are the core's.
		core := sc.dec
		run(b, p, token68Class, &core)
		sc.dec = core[:0]
		lead, keep := trimRepeats(core)
		if !credCore(core[lead:keep]) {
			return Match{}, false
		}
		p, end, dec = rawOffset(b, p, lead), rawOffset(b, p, keep), core[lead:keep]
	}
	v := string(dec)
	if isPlaceholder(v) {
		return Match{}, false
	}
	kind := Credential
	if strings.HasPrefix(v, "eyJ") && strings.Contains(v, ".") {
		kind = JWT
	}
	return Match{Start: p, End: end, Kind: kind, Value: v}, true
}

// credCore reports a value a credential's: long enough, letters and
// digits, entropy over the bar.
func credCore(v []byte) bool {
	return len(v) >= minCredVal && mixed(v) && entropyRunsOnce(v) >= minEntropy
}

// minRepeat is the shortest run of one byte trimRepeats and
// entropyRunsOnce treat as filler: "==" ends base64, "aaa" is rare in a
// token.
const minRepeat = 3

// trimRepeats returns v's core, v[lead:keep], without a run of one repeated
// byte (minRepeat or more) at its start or its end.
func trimRepeats(v []byte) (lead, keep int) {
	keep = len(v)
	if n := repeatRun(v, 0, 1); n >= minRepeat {
		lead = n
	}
	if n := repeatRun(v, len(v)-1, -1); n >= minRepeat && keep-n > lead {
		keep -= n
	}
	return lead, keep
}

// repeatRun counts the bytes equal to v[i] from i in direction step.
func repeatRun(v []byte, i, step int) int {
	if i < 0 || i >= len(v) {
		return 0
	}
	n := 0
	for j := i; j >= 0 && j < len(v) && v[j] == v[i]; j += step {
		n++
	}
	return n
}

// entropyRunsOnce is the entropy of v with each run of one repeated byte
// (minRepeat or more) counted as one byte: filler inside a value does not
// hide the token around it.
func entropyRunsOnce(v []byte) float64 {
	var counts [256]int
	n := 0
	for i := 0; i < len(v); {
		j := i + 1
		for j < len(v) && v[j] == v[i] {
			j++
		}
		if j-i >= minRepeat {
			counts[v[i]]++
			n++
		} else {
			counts[v[i]] += j - i
			n += j - i
		}
		i = j
	}
	return entropyOf(&counts, n)
}

// rawOffset is where in b the k-th decoded byte of the run read from p
// starts (percent-escapes count as one decoded byte).
func rawOffset(b []byte, p, k int) int {
	for ; k > 0 && p < len(b); k-- {
		if b[p] == '%' {
			if _, n, _, ok := pct(b, p); ok {
				p += n
				continue
			}
		}
		p++
	}
	return p
}

// isPlaceholder reports values already redacted.
func isPlaceholder(v string) bool {
	return strings.HasPrefix(v, "sha256") || strings.Contains(v, "redacted") || strings.Contains(v, "REDACTED")
}

// mixed reports a value with letters and digits, as keys and tokens have
// and words and identifiers mostly do not.
func mixed(v []byte) bool {
	var letter, digit bool
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		}
	}
	return letter && digit
}

// entropy is the Shannon entropy of v in bits per byte.
func entropy(v []byte) float64 {
	var counts [256]int
	for _, c := range v {
		counts[c]++
	}
	return entropyOf(&counts, len(v))
}

func entropyOf(counts *[256]int, total int) float64 {
	h, n := 0.0, float64(total)
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
