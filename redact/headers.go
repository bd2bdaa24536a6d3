package redact

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/traceaudit/traceaudit/secret"
)

// keptHeaders are the header fields whose values a copy keeps as read
// (after the free value's redaction: URLs, JWTs, named pairs): HTTP's own
// fields, which say how a message is framed, cached, negotiated and
// secured, and the request, trace and correlation ids support looks up in
// a provider's logs (also known by their names, idHeader). Any other
// field is a server's or a client's own, whose value no one can say
// carries no credential (Server-Timing: auth;desc="<token>", X-Foo:
// Bearer <token>): its token-shaped words are fingerprinted (looseTokens).
var keptHeaders = map[string]bool{
	"accept": true, "accept-ch": true, "accept-charset": true, "accept-encoding": true, "accept-language": true,
	"accept-patch": true, "accept-post": true, "accept-ranges": true, "access-control-allow-credentials": true,
	"access-control-allow-headers": true, "access-control-allow-methods": true, "access-control-allow-origin": true,
	"access-control-expose-headers": true, "access-control-max-age": true, "access-control-request-headers": true,
	"access-control-request-method": true, "age": true, "allow": true, "alt-svc": true, "alt-used": true,
	"cache-control": true, "cache-status": true, "clear-site-data": true, "connection": true, "content-disposition": true,
	"content-encoding": true, "content-language": true, "content-length": true, "content-location": true,
	"content-range": true, "content-security-policy": true, "content-security-policy-report-only": true,
	"content-type": true, "critical-ch": true, "cross-origin-embedder-policy": true,
	"cross-origin-embedder-policy-report-only": true, "cross-origin-opener-policy": true,
	"cross-origin-opener-policy-report-only": true, "cross-origin-resource-policy": true, "date": true, "dnt": true,
	"document-policy": true, "early-data": true, "etag": true, "expect": true, "expect-ct": true, "expires": true,
	"forwarded": true, "host": true, "http2-settings": true, "if-match": true, "if-modified-since": true,
	"if-none-match": true, "if-range": true, "if-unmodified-since": true, "keep-alive": true, "last-modified": true,
	"link": true, "max-forwards": true, "nel": true, "origin-agent-cluster": true, "origin-trial": true,
	"permissions-policy": true, "pragma": true, "priority": true, "purpose": true, "range": true, "referrer-policy": true,
	"report-to": true, "reporting-endpoints": true, "retry-after": true, "save-data": true, "server": true,
	"service-worker-allowed": true, "sourcemap": true, "strict-transport-security": true, "te": true,
	"timing-allow-origin": true, "trailer": true, "transfer-encoding": true, "upgrade": true,
	"upgrade-insecure-requests": true, "user-agent": true, "vary": true, "via": true, "warning": true,
	"x-content-type-options": true, "x-dns-prefetch-control": true, "x-download-options": true,
	"x-frame-options": true, "x-permitted-cross-domain-policies": true, "x-powered-by": true,
	"x-requested-with": true, "x-ua-compatible": true, "x-xss-protection": true,
	// A WebSocket handshake's nonce and its proof, which rules compare.
	"sec-websocket-key": true, "sec-websocket-accept": true, "sec-websocket-version": true, "sec-websocket-extensions": true,
	":authority": true, ":method": true, ":scheme": true, ":status": true, ":protocol": true,
	// Caches' and CDNs' reports: hits, points of presence, timings.
	"x-cache": true, "x-cache-hits": true, "x-served-by": true, "x-timer": true, "x-runtime": true, "x-amz-cf-pop": true,
	"cf-cache-status": true, "x-amz-bucket-region": true, "x-accel-expires": true, "sec-purpose": true,
	// What the extractor reads: the client library and its version
	// (MSAL's x-client-*), Next.js' prefetch, gRPC's status.
	"x-client-sku": true, "x-client-ver": true, "x-client-os": true, "x-client-cpu": true, "x-client-brkrver": true,
	"x-client-current-telemetry": true, "x-client-last-telemetry": true, "x-app-name": true, "x-app-ver": true,
	"next-router-prefetch": true, "grpc-status": true, "grpc-message": true, "grpc-encoding": true,
	"grpc-accept-encoding": true, "x-ms-ests-server": true, "x-ms-clitelem": true, "x-okta-user-agent-extended": true,
}

// idHeader reports a field named as the id of a request, a trace, a span,
// a correlation or an activity (x-ms-request-id, client-request-id,
// X-Correlation-ID, traceparent, x-amzn-trace-id, x-amz-cf-id, cf-ray):
// evidence support quotes to a provider, kept as it is.
func idHeader(lname string) bool {
	for _, w := range []string{"request-id", "requestid", "correlation", "trace", "span-id", "spanid", "activity-id",
		"activityid", "x-amz-cf-id", "x-amz-id-2", "cf-ray", "x-msedge-ref"} {
		if strings.Contains(lname, w) {
			return true
		}
	}
	return false
}

// keptHeader reports a field whose value looseTokens leaves alone:
// keptHeaders, ids, and the client hints (sec-ch-*, sec-fetch-*).
func keptHeader(lname string) bool {
	return keptHeaders[lname] || strings.HasPrefix(lname, "sec-ch-") || strings.HasPrefix(lname, "sec-fetch-") ||
		strings.HasPrefix(lname, "access-control-") || idHeader(lname)
}

// authSchemes are the HTTP authentication schemes (and the words APIs
// use as one) whose next word is a credential wherever a header writes
// them.
var authSchemes = []string{"bearer", "basic", "token", "dpop", "pop", "mac", "negotiate", "ntlm", "sharedaccesssignature", "apikey"}

// looseTokens fingerprints, in the value of a header no name tells the
// meaning of, the credential after an authentication scheme ("Bearer
// <token>", at any length) and every word shaped like a token
// (looseToken). The rest stays as it is.
func (r *redactor) looseTokens(v string) string {
	sp := replaceSpans{s: v}
	prevScheme := false
	for i := 0; i < len(v); {
		if !tokenByte(v[i]) {
			i++
			continue
		}
		start := i
		for i < len(v) && tokenByte(v[i]) {
			if v[i] == '=' {
				// '=' pads a base64 word's end, or parts a name
				// from its value ("k=<token>").
				j := i
				for j < len(v) && v[j] == '=' {
					j++
				}
				if j < len(v) && tokenByte(v[j]) {
					break
				}
				i = j
				continue
			}
			i++
		}
		if i == start {
			i++ // a '=' that parts a pair
			continue
		}
		w := v[start:i]
		scheme := prevScheme
		prevScheme = false
		switch {
		case isPlaceholder(w) || isPlaceholder(strings.TrimRight(w, "=")):
		case scheme && schemeCredential(v, start, i):
			sp.replace(start, i, r.secret(w))
		case looseToken(w) && !r.plainDocument(w):
			sp.replace(start, i, r.looseSecret(w))
		default:
			prevScheme = i < len(v) && v[i] == ' ' && authScheme(w)
		}
	}
	return sp.result()
}

// plainDocument reports a word that is base64 or base64url of a JSON
// document in which neither the names nor looseTokens find anything to
// redact: an SDK's telemetry header (auth0-js's Auth0-Client,
// {"name":"auth0.js","version":"10.2.1"}), evidence of the client and its
// version, as MSAL's x-client-* headers are. A document with anything
// token-shaped in it is fingerprinted whole, as any token-shaped word is.
func (r *redactor) plainDocument(w string) bool {
	enc := base64Of(w)
	if enc == nil {
		return false
	}
	data, err := enc.DecodeString(w)
	if err != nil || !utf8.Valid(data) {
		return false
	}
	d := bytes.TrimSpace(data)
	if len(d) == 0 || d[0] != '{' && d[0] != '[' || !gjson.ValidBytes(d) {
		return false
	}
	if red, _ := r.json(data); !bytes.Equal(red, data) {
		return false
	}
	return r.looseTokens(string(data)) == string(data)
}

// authScheme reports an authentication scheme's name (authSchemes).
func authScheme(w string) bool {
	for _, s := range authSchemes {
		if strings.EqualFold(w, s) {
			return true
		}
	}
	return false
}

// schemeCredential reports the word v[start:end], which follows a
// scheme's name and spaces, as its credential: a token68 that ends the
// value, a list item or a parameter (not the name of a parameter, as in
// `Bearer realm="…"`), four bytes or more, no word of prose.
func schemeCredential(v string, start, end int) bool {
	if end-start < 4 || strings.TrimRight(v[:start], " ") == v[:start] {
		return false
	}
	w := v[start:end]
	if eq := strings.IndexByte(w, '='); eq >= 0 && strings.Trim(w[eq:], "=") != "" {
		return false // name=value: a parameter
	}
	if end < len(v) && strings.IndexByte(" ,;\"'", v[end]) < 0 {
		return false
	}
	if end < len(v) && w[len(w)-1] == '=' && (v[end] == '"' || v[end] == '\'') {
		return false // realm="…"
	}
	// A word of prose ("checking token revocation") is no credential:
	// one has a digit, a byte of token68's punctuation, or capitals
	// past its first letter.
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= '0' && c <= '9' || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') || i > 0 && c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

// looseToken reports a word shaped like a token where no name says what
// it is (a header's value, a body of one word, a quoted string of a page
// or script): a
// JWT, hex digits (32 or more, letters and digits among them), or twelve
// bytes or more of the token alphabet with upper and lower case letters
// and digits mixed, three bits of entropy per byte or more, that is no
// GUID, no product and version ("MSAL.Desktop/4.61.3.0"), no name made
// of words ("cache-lhr6327-LHR") and no identifier (camelWords).
func looseToken(w string) bool {
	w = strings.TrimRight(w, "=")
	if len(w) < 12 || len(w) > 1<<16 || secret.IsGUID(w) || strings.IndexByte(w, '=') >= 0 {
		// '=' only pads a token's end; inside, it parts a pair.
		return false
	}
	if looksJWT(w) || hexToken([]byte(w)) {
		return true
	}
	lower, upper, digit, ok := secret.TokenClasses(w)
	if !ok || !upper || !lower || !digit || wordyName(w) || camelWords(w) || secret.Entropy(w) < 3.0 {
		return false
	}
	return true
}

// wordyName reports a word made of parts joined by '-', '.', '_' or '/'
// of which one is a word of four letters or more (lower case, or one
// capital then lower case: "Desktop", "cache"): a product, a host, a file
// or a name, not a token.
func wordyName(w string) bool {
	if !strings.ContainsAny(w, "-._/") {
		return false
	}
	for _, p := range strings.FieldsFunc(w, func(c rune) bool { return c == '-' || c == '.' || c == '_' || c == '/' }) {
		if len(p) < 4 {
			continue
		}
		word := true
		for i := 0; i < len(p) && word; i++ {
			c := p[i]
			word = c >= 'a' && c <= 'z' || i == 0 && c >= 'A' && c <= 'Z'
		}
		if word {
			return true
		}
	}
	return false
}

// camelWords reports a word most of whose bytes are words of four
// letters or more: capitalized ("HelloWorldFromTheScript2026"), or in
// small letters where a part starts ("ctl00_PlaceHolder_troubleshootingPanel",
// an identifier). Random text rarely holds one capital and three small
// letters in a row, let alone mostly.
func camelWords(w string) bool {
	in := 0
	for i := 0; i < len(w); {
		c := w[i]
		partStart := i == 0 || w[i-1] == '-' || w[i-1] == '_' || w[i-1] == '.' || w[i-1] == '/'
		if c >= 'A' && c <= 'Z' || partStart && c >= 'a' && c <= 'z' {
			j := i + 1
			for j < len(w) && w[j] >= 'a' && w[j] <= 'z' {
				j++
			}
			if j-i >= 4 {
				in += j - i
			}
			i = j
			continue
		}
		i++
	}
	return in*10 >= len(w)*6
}

// evidenceNames are the names, compacted (lower case, no '-', '_', '.'),
// whose values support reads and a copy keeps whatever their shape: the
// app's and the tenant's ids, a PKCE challenge (a hash), the redirect URI,
// the ids of a request, a trace, a correlation, an activity, a key.
var evidenceNames = map[string]bool{
	"clientid": true, "codechallenge": true, "redirecturi": true, "requesturi": true, "scope": true, "resource": true,
	"audience": true, "aud": true, "clientrequestid": true, "correlationid": true, "traceid": true, "errorid": true,
	"requestid": true, "activityid": true, "tenantid": true, "tenant": true, "appid": true, "applicationid": true,
	"kid": true, "keyid": true, "spanid": true, "xmsrequestid": true, "iss": true, "issuer": true,
}

// evidenceName reports a name whose value is evidence (evidenceNames).
func evidenceName(name string) bool {
	name = strings.TrimPrefix(name, "amp;")
	if len(name) > 64 {
		return false
	}
	var buf [64]byte
	n := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	return evidenceNames[string(buf[:n])]
}
