package redact

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/secret"
)

// TestLooseHeaderTokens: in a header no name tells the meaning of, the
// credential after a scheme (at any length) and every token-shaped word
// (a JWT, long hex, mixed letters and digits) are fingerprinted; the
// fields of HTTP and the ids support looks up (x-ms-request-id,
// client-request-id, correlation and trace ids, an ETag) stay, and so do
// the words of a custom field that are no token.
func TestLooseHeaderTokens(t *testing.T) {
	const tok = "Qx7Lp2Vw9Kz3Tn5R"
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXZhbHVl"
	fp := secret.Fingerprint
	r := newRedactor(Options{})
	for _, tc := range []struct{ name, value, want string }{
		{"Server-Timing", `auth;desc="` + tok + `";dur=12`, `auth;desc="` + fp(tok) + `";dur=12`},
		{"Server-Timing", `auth;desc=` + tok, `auth;desc=` + fp(tok)},
		{"X-Whatever", "Bearer Ab3dE", "Bearer " + fp("Ab3dE")},
		{"X-Whatever", "token " + tok, "token " + fp(tok)},
		{"X-Debug", jwt, fp(jwt)},
		{"X-Thing", "v=1, k=" + tok, "v=1, k=" + fp(tok)},
		{"X-Hash", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b", fp("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b")},
		{"X-RequestDigest", "0xE40624FC42D5EDB54126D73026918FD5E6B728C0, 02 Apr 2020", fp("0xE40624FC42D5EDB54126D73026918FD5E6B728C0") + ", 02 Apr 2020"},
	} {
		if got := r.header(tc.name, tc.value); got != tc.want {
			t.Errorf("%s: %s: got %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
	for _, h := range [][2]string{
		{"x-ms-request-id", "6a1c9b1e-0d2f-4e55-8a4c-2b9f7d3e1a00"}, {"client-request-id", "0e87b495-1e24-4882-be85-d012c216f4f6"},
		{"X-Correlation-ID", "Zq8Xw2Lk5Mn7Bv4Cx1Nz"}, {"x-okta-request-id", "aBcD3fGh1JkLmN0pQrStUvWxYz"},
		{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}, {"x-amz-cf-id", "IW86a_cg24ojMavKL5JYn8hlQ2M4VVVCXzsSkL-HobMhQ9ihGmRiVQ=="},
		{"ETag", `W/"120-S1AebKTRBxeK/aO+rZOr883ruGk"`}, {"Date", "Mon, 23 Oct 2023 15:45:13 GMT"}, {"Content-Type", "application/json; charset=utf-8"},
		{"X-Powered-By", "PHP/8.2.36"}, {"x-served-by", "cache-lhr6327-LHR"}, {"cf-ray", "81ab1b1cfe364749-DFW"},
		{"X-Client-Info", "MSAL.Desktop/4.61.3.0 okta-auth-js/7.0.0"}, {"X-Status", "checking token revocation"},
		{"X-Hint", "Bearer realm=\"api\""}, {"X-MSEdge-Ref", "Ref A: 2BE13BC51A4E4114BA77247CB5BFB3B3 Ref B: HK2EDGE1120 Ref C: 2020-04-02T04:41:15Z"}, {"X-Id", "0e87b495-1e24-4882-be85-d012c216f4f6"}, {"X-Build", "2.1.19165.6 - SCUS ProdSlices"},
	} {
		if got := r.header(h[0], h[1]); got != h[1] {
			t.Errorf("%s: %q became %q", h[0], h[1], got)
		}
	}
	if got := r.header("X-Whatever", "Bearer "+tok); strings.Contains(got, tok) {
		t.Errorf("X-Whatever: %s", got)
	}
}

// TestLooseHeaderTelemetry: a header that is base64 of a JSON document
// with nothing secret in it (auth0-js's Auth0-Client, as recorded in
// cmd/traceaudit/testdata/sdk-wire) stays as evidence of the client;
// one whose document holds a token-shaped word under a name that says
// nothing is fingerprinted whole, and a secret's name has its value
// fingerprinted inside the document.
func TestLooseHeaderTelemetry(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	b64u := base64.RawURLEncoding.EncodeToString
	r := newRedactor(Options{})
	for _, v := range []string{
		b64([]byte(`{"name":"auth0.js","version":"10.2.1"}`)),
		b64u([]byte(`{"name":"auth0-spa-js","version":"2.1.3","env":{"react":"18.2.0"}}`)),
	} {
		if got := r.header("Auth0-Client", v); got != v {
			t.Errorf("Auth0-Client %q became %q", v, got)
		}
	}
	// A token-shaped word under a name that says nothing: the whole.
	v := b64([]byte(`{"name":"sdk","version":"1.0.0","h":"Qx7Lp2Vw9Kz3Tn5RbM4c"}`))
	if got := r.header("X-Client-Telemetry", v); got != secret.Fingerprint(v) {
		t.Errorf("%q became %q, want its fingerprint", v, got)
	}
	// A secret's name: the document, its secret fingerprinted.
	for _, doc := range []string{`{"name":"sdk","version":"1.0.0","session":"Qx7Lp2Vw9Kz3Tn5R"}`, `{"name":"sdk","access_token":"abc"}`} {
		got, _ := base64.StdEncoding.DecodeString(r.header("X-Client-Telemetry", b64([]byte(doc))))
		if !strings.Contains(string(got), `"name":"sdk"`) || strings.Contains(string(got), "Qx7Lp2Vw9Kz3Tn5R") || strings.Contains(string(got), `"abc"`) {
			t.Errorf("%s became %s", doc, got)
		}
	}
}
