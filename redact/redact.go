package redact

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strings"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Options configure a redaction.
type Options struct {
	// Password opens a protected SAZ. The copy is written unprotected.
	Password string
	// Limits bound what is read and inflated; zero fields take the
	// defaults.
	Limits model.Limits
	// StripBodies replaces response bodies that carry no OAuth message
	// (scripts, style sheets, images, fonts) by a short placeholder. JSON,
	// HTML, XML, form and plain text bodies are kept (redacted).
	StripBodies bool
	// Verifiers are PKCE verifiers seen in other traces of the same
	// incident (bundle): a code_challenge in this trace whose verifier is
	// only in another (the browser's HAR has the challenge, the server's
	// capture the verifier) maps to the same stand-in's challenge, so the
	// copies still prove each other when read as one case.
	Verifiers []string
}

// Stats count what a redaction did.
type Stats struct {
	// Exchanges is the number of HAR entries or SAZ sessions written.
	Exchanges int
	// Replaced counts values replaced by a fingerprint, a mask or a PKCE
	// stand-in.
	Replaced int
	// Verifiers counts distinct PKCE verifiers given a stand-in.
	Verifiers int
	// Stripped counts response bodies replaced under StripBodies.
	Stripped int
	// Notes record damage met in the input; what could be read was
	// written.
	Notes []model.Note
}

// strippedBody replaces a body under StripBodies.
const strippedBody = "[body removed by traceaudit redact]"

// redactor holds what one redaction learnt in its first pass.
type redactor struct {
	opts       Options
	limits     model.Limits
	verifiers  map[string]string // verifier -> stand-in
	challenges map[string]string // S256(verifier) -> S256(stand-in)
	sweep      *sweeper
	// ordinals number the masked values of this copy.
	ordinals   ordinals
	collecting bool // first pass: learn values, output is discarded
	// decoding counts the documents inside values being redacted (JSON
	// in a JSON string, base64 of a form), to bound the nesting.
	decoding int
	// xmlNames remembers which XML element names are secret, classes
	// the class of names met in text.
	xmlNames map[string]bool
	classes  map[string]class
	holders  map[string]bool
	stats    *Stats
	// outOffset and entryStarts locate HAR entries in the copy, to name
	// where a leak was found.
	outOffset   func() int64
	entryStarts []int64
	// entryRef names the HAR entry being rewritten, for notes.
	entryRef string
	// storeRequest is what the request being rewritten gives a secret
	// store (storeRequestKind), storeNone for an answer.
	storeRequest storeKind
	// evidence holds the values the trace gives under a name that says
	// they are evidence (a client id, a PKCE challenge, a request id:
	// evidenceName), loose the values fingerprinted by their shape alone
	// (looseSecret): a shape's guess never overrides what a name says,
	// and the sweep learns a loose value only once the whole trace was
	// read and it is no evidence anywhere.
	evidence map[string]bool
	loose    map[string]bool
}

func newRedactor(opts Options) *redactor {
	r := &redactor{
		opts:       opts,
		limits:     opts.Limits.WithDefaults(),
		verifiers:  map[string]string{},
		challenges: map[string]string{},
		sweep:      newSweeper(),
	}
	for _, v := range opts.Verifiers {
		if len(r.challenges) >= maxVerifiers {
			break
		}
		if v != "" && !isPlaceholder(v) {
			r.challenges[s256(v)] = s256(deriveVerifier(v))
		}
	}
	return r
}

// endCollect ends the first pass: the values fingerprinted by their
// shape alone that no name gave as evidence are learnt for the sweep.
func (r *redactor) endCollect() {
	vals := make([]string, 0, len(r.loose))
	for v := range r.loose {
		if !r.evidence[v] {
			vals = append(vals, v)
		}
	}
	sort.Strings(vals) // the sweep's bounds keep the first ones
	for _, v := range vals {
		r.sweep.add(v, secret.Fingerprint(v))
	}
	r.collecting = false
}

// noteEvidence records v, given under a name that says it is evidence.
func (r *redactor) noteEvidence(v string) {
	if r.collecting && v != "" && len(r.evidence) < maxVerifiers {
		if r.evidence == nil {
			r.evidence = map[string]bool{}
		}
		r.evidence[v] = true
	}
}

// looseSecret fingerprints v, a value found by its shape alone (a
// token-shaped word of a header no rule knows, of a script's string),
// unless the trace gives it as evidence elsewhere (a client id, a
// challenge, a request id), which stays.
func (r *redactor) looseSecret(v string) string {
	if v == "" || isPlaceholder(v) || r.evidence[v] {
		return v
	}
	if r.collecting && len(r.loose) < maxVerifiers {
		if r.loose == nil {
			r.loose = map[string]bool{}
		}
		r.loose[v] = true
	}
	r.count()
	return secret.Fingerprint(v)
}

// learn records a replacement for the sweep. Only the first pass learns:
// the second applies what it learnt, so output does not depend on where in
// the trace a secret first appeared.
func (r *redactor) learn(v, repl string) {
	if r.collecting {
		r.sweep.add(v, repl)
	}
}

// collect runs the rewrite over one exchange as a reader produced it, to
// learn verifiers and secret values. The result is discarded.
func (r *redactor) collect(ex *model.Exchange) {
	r.url(ex.Request.URL, 0)
	for _, h := range ex.Request.Headers {
		r.header(h.Name, h.Value)
	}
	r.storeRequest = storeRequestKind(ex.Request.URL, ex.Request.Headers.Get("X-Vault-Token") != "")
	r.collectBody(mimeOf(ex.Request.Body.MIMEType, ex.Request.Headers), ex.Request.Headers, ex.Request.Body.Data)
	r.storeRequest = storeNone
	if ex.Response == nil {
		return
	}
	for _, h := range ex.Response.Headers {
		r.header(h.Name, h.Value)
	}
	r.collectBody(mimeOf(ex.Response.Body.MIMEType, ex.Response.Headers), ex.Response.Headers, ex.Response.Body.Data)
}

// collectBody learns a body's secrets; one stored still compressed is
// learnt from decompressed, as the rewrite reads it.
func (r *redactor) collectBody(mt string, h model.Headers, data []byte) {
	if dec, _, st := r.stored(mt, h.Get("Content-Encoding"), data); st == storedDecoded || st == storedPartial {
		data = dec
	}
	r.body(mt, data)
}

func mimeOf(mt string, h model.Headers) string {
	if mt != "" {
		return mt
	}
	ct, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	return strings.ToLower(strings.TrimSpace(ct))
}

// indexFoldASCII is the offset in s of the first sub (lower-case ASCII)
// in any case: where strings.Index(strings.ToLower(s), sub) finds it, for a
// sub without "k" or "i" (the only ASCII letters a rune outside ASCII
// lowers to: U+212A and U+0130), but counted in s itself. Lowering
// changes the length of some runes (U+023A's two bytes become three), and
// the offset in the lowered copy cut a Refresh header's value in the wrong
// place: the URL after it went out unredacted, or the command panicked.
func indexFoldASCII(s, sub string) int {
next:
	for i := 0; i+len(sub) <= len(s); i++ {
		for j := 0; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				continue next
			}
		}
		return i
	}
	return -1
}

// header redacts one header value.
func (r *redactor) header(name, value string) string { return r.headerAs(name, value, true) }

// headerAs is header; loose says whether the token-shaped words of a
// field no name tells the meaning of are fingerprinted (looseTokens), or
// left to a caller that masks such a value whole (bareLine).
func (r *redactor) headerAs(name, value string, loose bool) string {
	if value == "" {
		return value
	}
	lname := strings.ToLower(strings.TrimSpace(name))
	switch lname {
	case "authorization", "proxy-authorization":
		return r.authorization(value)
	case "cookie":
		return r.cookieHeader(value)
	case "set-cookie", "set-cookie2":
		// Browsers' HAR exports join several cookies with newlines.
		lines := strings.Split(value, "\n")
		for i, l := range lines {
			lines[i] = r.setCookie(l)
		}
		return strings.Join(lines, "\n")
	case "location", "referer", "content-location", "origin", ":path", "x-original-url", "x-rewrite-url":
		return r.url(value, 0)
	case "refresh":
		if i := indexFoldASCII(value, "url="); i >= 0 {
			return value[:i+4] + r.url(value[i+4:], 0)
		}
	case "sec-websocket-protocol":
		return r.wsProtocols(value)
	case "server-timing":
		// Its descriptions are a server's free text (auth;desc="<token>").
		if !loose {
			return r.serverTiming(value)
		}
		return r.looseTokens(r.serverTiming(value))
	case "www-authenticate", "proxy-authenticate":
		return r.authChallenges(value)
	case "x-anchormailbox":
		// MSAL's routing hint: UPN:<user name> or Oid:<object id>@<tenant>.
		return r.mask(maskValue, value)
	case "authentication-info", "proxy-authentication-info":
		// Digest's rspauth proves the password; nextnonce is the next
		// request's challenge.
		return r.secret(value)
	}
	if strings.HasSuffix(lname, "-auth") || strings.Contains(lname, "-auth-") || strings.HasPrefix(lname, "auth-") ||
		strings.Contains(lname, "authorization") || strings.HasSuffix(lname, "authentication") {
		// A custom header carrying a credential (X-Custom-Auth: Bearer
		// …), and Authentication, which some APIs take for Authorization.
		return r.authorization(value)
	}
	if secretHeader(lname) || secret.IsSecretParam(lname) {
		return r.secret(value)
	}
	if secret.IsSessionParam(lname) && !secret.KeepSessionValue(value) {
		return r.secret(value) // X-Session-Id
	}
	if idHeader(lname) {
		r.noteEvidence(strings.TrimSpace(value))
	}
	if !loose || keptHeader(lname) {
		return r.free(value, 0)
	}
	// A field of a server's or a client's own: whatever its name, a
	// token in it is one (fail closed).
	return r.looseTokens(r.free(value, 0))
}

// serverTiming redacts the descriptions of a Server-Timing value
// (`auth;desc="token=…";dur=12`): a server's free text, quoted or not,
// read as a free value.
func (r *redactor) serverTiming(v string) string {
	parts := strings.Split(v, ";")
	changed := false
	for i, p := range parts {
		name, val, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "desc") {
			continue
		}
		q := ""
		core := strings.TrimSpace(val)
		if len(core) >= 2 && core[0] == '"' && core[len(core)-1] == '"' {
			q, core = `"`, core[1:len(core)-1]
		}
		if red := r.free(core, 0); red != core {
			parts[i] = name + "=" + q + red + q
			changed = true
		}
	}
	if !changed {
		return r.free(v, 0)
	}
	return strings.Join(parts, ";")
}

// authChallenges redacts a WWW-Authenticate or Proxy-Authenticate value: the
// token68 after Negotiate, Kerberos or NTLM is a server's answer in a
// handshake (SPNEGO's mutual authentication token, a Kerberos AP-REP, an
// NTLM challenge); the parameters of other schemes (realm, error,
// error_description, scope) stay for support, read as free text.
func (r *redactor) authChallenges(v string) string {
	sp := replaceSpans{s: v}
	for _, scheme := range []string{"negotiate", "kerberos", "ntlm"} {
		for i := 0; ; {
			k := indexFoldASCII(v[i:], scheme)
			if k < 0 {
				break
			}
			k += i
			i = k + len(scheme)
			if k > 0 && (alnum(v[k-1]) || v[k-1] == '-') || i >= len(v) || v[i] != ' ' {
				continue
			}
			ts := i
			for ts < len(v) && v[ts] == ' ' {
				ts++
			}
			te := ts
			for te < len(v) && (alnum(v[te]) || strings.IndexByte("+/=._~-", v[te]) >= 0) {
				te++
			}
			if te-ts >= 4 && (te == len(v) || v[te] == ',' || v[te] == ' ') {
				sp.replace(ts, te, r.secret(v[ts:te]))
			}
			i = te
		}
	}
	if out := sp.result(); out != v {
		return out
	}
	return r.free(v, 0)
}

// k8sBearer prefixes a Kubernetes API token sent as a WebSocket
// subprotocol.
const k8sBearer = "base64url.bearer.authorization.k8s.io."

// wsProtocols redacts tokens browsers send as WebSocket subprotocols,
// since a WebSocket cannot carry an Authorization header: the item after
// one named as a credential ("access_token, <token>") and Kubernetes'
// base64url.bearer.authorization.k8s.io.<token>. Protocol names stay.
func (r *redactor) wsProtocols(v string) string {
	items := strings.Split(v, ",")
	prevCred := false
	for i, it := range items {
		t := strings.TrimSpace(it)
		lead := it[:len(it)-len(strings.TrimLeft(it, " \t"))]
		switch {
		case prevCred && t != "":
			items[i] = lead + r.secret(t)
			prevCred = false
			continue
		case strings.HasPrefix(strings.ToLower(t), k8sBearer) && len(t) > len(k8sBearer):
			items[i] = lead + t[:len(k8sBearer)] + r.secret(t[len(k8sBearer):])
		default:
			items[i] = lead + r.free(t, 0)
		}
		l := strings.ToLower(t)
		prevCred = classify(t) != classKeep || l == "bearer" || l == "authorization"
	}
	return strings.Join(items, ",")
}

// authorization keeps the scheme and fingerprints the credential. HTTP Basic
// keeps its client id and replaces only the secret, so that the copy still
// shows which client authenticated how.
func (r *redactor) authorization(v string) string {
	trimmed := strings.TrimLeft(v, " \t")
	scheme, cred, ok := strings.Cut(trimmed, " ")
	if !ok {
		return r.secret(v)
	}
	lead := v[:len(v)-len(trimmed)] + scheme + " "
	cred = strings.TrimLeft(cred, " ")
	if isPlaceholder(cred) {
		return v
	}
	if strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
			if id, secretValue, found := strings.Cut(string(raw), ":"); found {
				r.learn(cred, secret.Fingerprint(cred))
				s := secretValue
				if u, err := url.QueryUnescape(secretValue); err == nil {
					s = u
				}
				// Fingerprinted even when it reads like a placeholder
				// ("secret"): the credential as a whole must not survive.
				r.count()
				red := id + ":" + secret.Fingerprint(s)
				return lead + base64.StdEncoding.EncodeToString([]byte(red))
			}
		}
	}
	return lead + r.secret(cred)
}

// cookieHeader masks every cookie value and keeps the names.
func (r *redactor) cookieHeader(v string) string {
	parts := strings.Split(v, ";")
	for i, p := range parts {
		name, val, ok := strings.Cut(p, "=")
		if !ok {
			// A cookie without a name: the part is its value.
			if t := strings.TrimSpace(p); t != "" {
				parts[i] = p[:len(p)-len(strings.TrimLeft(p, " "))] + r.mask(maskCookie, t)
			}
			continue
		}
		// Names stay (rules match them between Set-Cookie and Cookie),
		// but some embed the state ("rp_tx_<state>"): the sweep replaces
		// it the same way everywhere.
		parts[i] = r.sweep.apply(name) + "=" + r.mask(maskCookie, val)
	}
	return strings.Join(parts, ";")
}

// cookieText masks the cookie values of a text that holds cookies (a
// Cookie header echoed in JSON, a document.cookie assignment), keeping
// their names and the attributes of a cookie being set; a text without
// "=" is a free value.
func (r *redactor) cookieText(v string) string {
	if strings.IndexByte(v, '=') < 0 {
		return r.free(v, 0)
	}
	parts := strings.Split(v, ";")
	for i, p := range parts {
		name, val, ok := strings.Cut(p, "=")
		if !ok || cookieAttrs[strings.ToLower(strings.TrimSpace(name))] {
			continue
		}
		lead := val[:len(val)-len(strings.TrimLeft(val, " "))]
		parts[i] = r.sweep.apply(name) + "=" + lead + r.mask(maskCookie, strings.TrimSpace(val))
	}
	return strings.Join(parts, ";")
}

// setCookie masks the value and keeps the name and every attribute
// (SameSite, Secure, Path, Domain, Expires, Max-Age), which rules read. A
// header that joins several cookies with commas ("a=1; Path=/, sid=…")
// has each one masked.
func (r *redactor) setCookie(v string) string {
	parts := splitSetCookies(v)
	if len(parts) == 1 {
		return r.oneSetCookie(v)
	}
	for i, p := range parts {
		parts[i] = r.oneSetCookie(p)
	}
	return strings.Join(parts, ",")
}

// cookieAttrs are the Set-Cookie attribute names.
var cookieAttrs = map[string]bool{"expires": true, "max-age": true, "domain": true, "path": true, "secure": true,
	"httponly": true, "samesite": true, "priority": true, "partitioned": true, "version": true, "comment": true}

// splitSetCookies splits a Set-Cookie value at the commas that start
// another cookie: a name (a token, no attribute's) and "=" follow. The
// comma of an Expires date ("Wed, 21 Oct 2026 …") is followed by a date,
// which holds spaces, and does not split.
func splitSetCookies(v string) []string {
	var out []string
	last := 0
	for i := 0; i < len(v); i++ {
		if v[i] != ',' {
			continue
		}
		rest := strings.TrimLeft(v[i+1:], " \t")
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			continue
		}
		name := rest[:eq]
		if strings.ContainsAny(name, " \t;,\"") || cookieAttrs[strings.ToLower(name)] {
			continue
		}
		out = append(out, v[last:i])
		last = i + 1
	}
	return append(out, v[last:])
}

func (r *redactor) oneSetCookie(v string) string {
	first, attrs, _ := strings.Cut(v, ";")
	name, val, ok := strings.Cut(first, "=")
	if !ok {
		// A cookie without a name ("Set-Cookie: <value>; Path=/"),
		// which browsers store under the empty name: the text before
		// the first ';' is its value.
		core := strings.TrimSpace(first)
		if core == "" || cookieAttrs[strings.ToLower(core)] {
			return v
		}
		lead := first[:len(first)-len(strings.TrimLeft(first, " "))]
		out := lead + r.mask(maskCookie, core)
		if strings.Contains(v, ";") {
			out += ";" + r.sweep.apply(attrs)
		}
		return out
	}
	lead := val[:len(val)-len(strings.TrimLeft(val, " "))]
	core := strings.TrimSpace(val)
	red := r.mask(maskCookie, core)
	out := r.sweep.apply(name) + "=" + lead + red
	if len(attrs) > 0 || strings.Contains(v, ";") {
		out += ";" + r.cookieAttrValues(attrs)
	}
	return out
}

// setCookieAttrs are the attribute names of RFC 6265, its drafts' and
// browsers' (Priority, Partitioned, SameParty) and RFC 2965's, whose values
// rules read and no secret is in.
var setCookieAttrs = map[string]bool{"expires": true, "max-age": true, "domain": true, "path": true, "secure": true,
	"httponly": true, "samesite": true, "priority": true, "partitioned": true, "sameparty": true, "version": true,
	"comment": true, "commenturl": true, "discard": true, "port": true}

// cookieAttrValues keeps the known attributes of a Set-Cookie and masks
// the value of any other: a server that appends a second pair after the
// first ("sid=…; Path=/; session_token=…") sets no attribute by it, and
// what it holds is not known (fail closed).
func (r *redactor) cookieAttrValues(attrs string) string {
	parts := strings.Split(attrs, ";")
	changed := false
	for i, a := range parts {
		name, val, ok := strings.Cut(a, "=")
		core := strings.TrimSpace(val)
		if !ok || core == "" || setCookieAttrs[strings.ToLower(strings.TrimSpace(name))] {
			continue
		}
		parts[i] = name + "=" + val[:len(val)-len(strings.TrimLeft(val, " "))] + r.mask(maskCookie, core)
		changed = true
	}
	if !changed {
		return r.sweep.apply(attrs)
	}
	return r.sweep.apply(strings.Join(parts, ";"))
}
