package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/internal/secretscan"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/secret"
)

// entry is a hand-written HAR entry for one edge case.
type entry struct {
	Method, URL string
	ReqHeaders  [][2]string
	ReqMIME     string
	ReqBody     string
	Status      int
	RespHeaders [][2]string
	RespMIME    string
	RespBody    string
	RespBase64  bool
}

func buildHAR(t testing.TB, entries ...entry) []byte {
	t.Helper()
	pairs := func(hs [][2]string) []map[string]string {
		out := []map[string]string{}
		for _, h := range hs {
			out = append(out, map[string]string{"name": h[0], "value": h[1]})
		}
		return out
	}
	var es []any
	for i, e := range entries {
		req := map[string]any{"method": e.Method, "url": e.URL, "httpVersion": "HTTP/1.1", "headers": pairs(e.ReqHeaders)}
		if e.ReqBody != "" {
			req["postData"] = map[string]any{"mimeType": e.ReqMIME, "text": e.ReqBody}
		}
		content := map[string]any{"mimeType": e.RespMIME, "size": len(e.RespBody), "text": e.RespBody}
		if e.RespBase64 {
			content["text"] = base64.StdEncoding.EncodeToString([]byte(e.RespBody))
			content["encoding"] = "base64"
		}
		es = append(es, map[string]any{
			"startedDateTime": "2026-11-26T10:00:0" + string(rune('0'+i)) + "Z", "time": 10,
			"request":  req,
			"response": map[string]any{"status": e.Status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": pairs(e.RespHeaders), "content": content},
		})
	}
	data, err := json.MarshalIndent(map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]string{"name": "test"}, "entries": es}}, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustNotContain(t *testing.T, out []byte, what ...string) {
	t.Helper()
	for _, w := range what {
		if bytes.Contains(out, []byte(w)) {
			t.Errorf("copy still holds %q", w)
		}
	}
}

func mustContain(t *testing.T, out []byte, what ...string) {
	t.Helper()
	for _, w := range what {
		if !bytes.Contains(out, []byte(w)) {
			t.Errorf("copy lacks %q", w)
		}
	}
}

const (
	verifierA = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 appendix B
	verifierB = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
)

// TestPKCEPreserved: a verifier that proves its challenge still does, one
// that does not still does not, and a verifier RFC 7636 forbids stays
// forbidden for the same reason.
func TestPKCEPreserved(t *testing.T) {
	for _, tc := range []struct {
		name, method, challenge, verifier string
	}{
		{"s256 match", "S256", s256(verifierA), verifierA},
		{"s256 mismatch", "S256", s256(verifierA), verifierB},
		{"plain match", "plain", verifierA, verifierA},
		{"plain mismatch", "plain", verifierA, verifierB},
		{"short verifier", "S256", s256("short"), "short"},
		{"bad characters", "S256", s256(verifierA + "!"), verifierA + "!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := buildHAR(t,
				entry{Method: "GET", URL: "https://login.example.com/oauth2/authorize?client_id=app&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=st4te-value-123&code_challenge=" + tc.challenge + "&code_challenge_method=" + tc.method,
					Status: 302, RespHeaders: [][2]string{{"Location", "https://app.example.com/cb?code=the-code-1234567&state=st4te-value-123"}}},
				entry{Method: "GET", URL: "https://app.example.com/cb?code=the-code-1234567&state=st4te-value-123", Status: 200},
				entry{Method: "POST", URL: "https://login.example.com/oauth2/token", ReqMIME: "application/x-www-form-urlencoded",
					ReqBody: "grant_type=authorization_code&code=the-code-1234567&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&client_id=app&code_verifier=" + tc.verifier,
					Status:  200, RespMIME: "application/json", RespBody: `{"access_token":"at-value-abcdefghijkl","token_type":"Bearer","expires_in":3600}`},
			)
			orig, _ := readHAR(t, data)
			red, st := redactHAR(t, data, Options{})
			got, _ := readHAR(t, red)
			ev0, ev1 := oauth.ExtractAll(orig), oauth.ExtractAll(got)
			chal := func(evs []model.Event) secret.Secret {
				for _, e := range evs {
					if e.Kind == model.AuthorizeRequest {
						return e.CodeChallenge()
					}
				}
				t.Fatal("no authorize request")
				return secret.Secret{}
			}
			ver := func(evs []model.Event) secret.Secret {
				for _, e := range evs {
					if e.Kind == model.TokenRequest {
						return e.CodeVerifier()
					}
				}
				t.Fatal("no token request")
				return secret.Secret{}
			}
			proves := func(c, v secret.Secret) bool {
				if tc.method == "plain" {
					return c.Reveal() == v.Reveal()
				}
				return c.Reveal() == v.S256()
			}
			if a, b := proves(chal(ev0), ver(ev0)), proves(chal(ev1), ver(ev1)); a != b {
				t.Errorf("verifier proves challenge: %v in the original, %v in the copy", a, b)
			}
			v0, v1 := ver(ev0), ver(ev1)
			if v0.Len() != v1.Len() {
				t.Errorf("verifier length %d became %d", v0.Len(), v1.Len())
			}
			if ok0, ok1 := validChars(v0.Reveal()), validChars(v1.Reveal()); ok0 != ok1 {
				t.Errorf("verifier alphabet validity %v became %v", ok0, ok1)
			}
			mustNotContain(t, red, tc.verifier, "the-code-1234567", "st4te-value-123", "at-value-abcdefghijkl")
			if tc.method == "plain" {
				mustNotContain(t, red, tc.challenge)
			}
			if st.Verifiers != 1 {
				t.Errorf("Stats.Verifiers = %d, want 1", st.Verifiers)
			}
		})
	}
}

func validChars(v string) bool {
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			return false
		}
	}
	return true
}

// TestCredentialsAndCookies: Authorization keeps its scheme (and a Basic
// client id), cookies keep names and attributes, login form fields and
// JWTs anywhere are replaced.
func TestCredentialsAndCookies(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZUBleGFtcGxlLmNvbSJ9.c2lnbmF0dXJlLXZhbHVl"
	basic := base64.StdEncoding.EncodeToString([]byte("my-client:s3cr3t-client-password"))
	data := buildHAR(t,
		entry{Method: "GET", URL: "https://api.example.com/me", Status: 200,
			ReqHeaders:  [][2]string{{"Authorization", "Bearer " + jwt}, {"Cookie", "ESTSAUTH=estsauth-cookie-value; fpc=fpc-cookie-value-1"}, {"X-Api-Key", "api-key-value-0123"}},
			RespHeaders: [][2]string{{"Set-Cookie", "session=session-cookie-value; Path=/; Secure; HttpOnly; SameSite=None; Expires=Wed, 21 Oct 2026 07:28:00 GMT\nsecond=second-cookie-value; Path=/"}},
			RespMIME:    "application/json", RespBody: `{"user":{"name":"Alice","token":"` + jwt + `"},"error":{"code":"InvalidAuthenticationToken"}}`},
		entry{Method: "POST", URL: "https://login.example.com/oauth2/token", Status: 400,
			ReqHeaders: [][2]string{{"Authorization", "Basic " + basic}},
			ReqMIME:    "application/x-www-form-urlencoded", ReqBody: "grant_type=client_credentials&scope=api",
			RespMIME: "application/json", RespBody: `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0d6f4c7e-1111-2222-3333-444455556666"}`},
		entry{Method: "POST", URL: "https://login.microsoftonline.com/common/login", Status: 200,
			ReqMIME:  "application/x-www-form-urlencoded",
			ReqBody:  "login=alice%40example.com&loginfmt=alice%40example.com&passwd=hunter2-password&flowToken=flow-token-value-0123&canary=canary-value-0123&ctx=ctx-value-0123",
			RespMIME: "text/html", RespBody: `<script>$Config={"sFT":"flow-token-value-0123","canary":"canary-value-0123","correlationId":"5b7a3c1e-aaaa-bbbb-cccc-ddddeeeeffff"};</script>`},
	)
	red, _ := redactHAR(t, data, Options{})
	mustNotContain(t, red, jwt, basic, "s3cr3t-client-password", "estsauth-cookie-value", "fpc-cookie-value-1",
		"session-cookie-value", "second-cookie-value", "api-key-value-0123", "alice%40example.com", "alice@example.com", "hunter2-password",
		"flow-token-value-0123", "canary-value-0123", "ctx-value-0123")
	mustContain(t, red, "Bearer "+secret.Fingerprint(jwt), "ESTSAUTH=REDACTED-cookie-1; fpc=REDACTED-cookie-2",
		"session=REDACTED-cookie-3; Path=/; Secure; HttpOnly; SameSite=None; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
		"second=REDACTED-cookie-4; Path=/",
		// One user name, one mask; the password's own kind.
		"login=REDACTED-value-1&loginfmt=REDACTED-value-1&passwd=REDACTED-password-1",
		`\"code\":\"InvalidAuthenticationToken\"`, "AADSTS7000215", "0d6f4c7e-1111-2222-3333-444455556666", "5b7a3c1e-aaaa-bbbb-cccc-ddddeeeeffff", "grant_type=client_credentials")
	exs, _ := readHAR(t, red)
	auth := exs[1].Request.Headers.Get("Authorization")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(auth, "Basic "))
	if err != nil || !strings.HasPrefix(string(raw), "my-client:sha256:") {
		t.Errorf("Basic credential = %q (%v), want the client id and a fingerprint", raw, err)
	}
}

// TestFormPostAndFragment: codes delivered by a form_post page or in a
// fragment are fingerprinted where they sit, and the events keep the same
// code fingerprints.
func TestFormPostAndFragment(t *testing.T) {
	idt := "eyJhbGciOiJSUzI1NiJ9.eyJub25jZSI6Im4ifQ.c2lnbmF0dXJl"
	page := `<html><body onload="document.forms[0].submit()"><form method="POST" action="https://app.example.com/signin-oidc">` +
		`<input type="hidden" name="code" value="form-post-code-0123456"/><input type="hidden" name="id_token" value="` + idt + `"/>` +
		`<input type="hidden" name="state" value="form-post-state-0123"/><input type="hidden" name="session_state" value="sess-state-0123456"/></form></body></html>`
	data := buildHAR(t,
		entry{Method: "POST", URL: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=app&response_type=code%20id_token&response_mode=form_post&redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc&state=form-post-state-0123&nonce=nonce-value-01234",
			Status: 200, RespMIME: "text/html", RespBody: page},
		entry{Method: "GET", URL: "https://login.example.com/authorize?client_id=spa&response_type=code&redirect_uri=https%3A%2F%2Fspa.example.com%2F&response_mode=fragment&state=frag-state-012345",
			Status: 302, RespHeaders: [][2]string{{"Location", "https://spa.example.com/#code=fragment-code-0123456&state=frag-state-012345"}}},
	)
	orig, _ := readHAR(t, data)
	red, _ := redactHAR(t, data, Options{})
	got, _ := readHAR(t, red)
	mustNotContain(t, red, "form-post-code-0123456", idt, "form-post-state-0123", "sess-state-0123456", "fragment-code-0123456", "frag-state-012345", "nonce-value-01234")
	codes := func(exs []*model.Exchange) []string {
		var out []string
		for _, e := range oauth.ExtractAll(exs) {
			if !e.Code.IsZero() {
				out = append(out, e.Kind.String()+" "+e.Code.Fingerprint()+" "+e.State.Fingerprint())
			}
		}
		return out
	}
	c0, c1 := codes(orig), codes(got)
	if len(c0) != 2 || strings.Join(c0, "|") != strings.Join(c1, "|") {
		t.Errorf("code events differ:\n%v\n%v", c0, c1)
	}
}

// TestStripBodies: scripts and images go, OAuth bodies stay (redacted).
func TestStripBodies(t *testing.T) {
	data := buildHAR(t,
		entry{Method: "GET", URL: "https://cdn.example.com/app.js", Status: 200, RespMIME: "application/javascript", RespBody: "var x = 'bundle';"},
		entry{Method: "GET", URL: "https://cdn.example.com/logo.png", Status: 200, RespMIME: "image/png", RespBody: "\x89PNG....", RespBase64: true},
		entry{Method: "POST", URL: "https://login.example.com/token", Status: 200, RespMIME: "application/json", RespBody: `{"access_token":"access-token-0123456"}`},
	)
	red, st := redactHAR(t, data, Options{StripBodies: true})
	if st.Stripped != 2 {
		t.Errorf("Stripped = %d, want 2", st.Stripped)
	}
	mustNotContain(t, red, "bundle", base64.StdEncoding.EncodeToString([]byte("\x89PNG....")), "access-token-0123456")
	mustContain(t, red, strippedBody, secret.Fingerprint("access-token-0123456"))
	exs, _ := readHAR(t, red)
	if len(exs) != 3 || string(exs[1].Response.Body.Data) != strippedBody {
		t.Errorf("stripped image body reads as %q", exs[1].Response.Body.Data)
	}
}

// TestErrors: input that is not a HAR is refused with ErrFormat; a HAR cut
// inside log.entries yields a valid copy of the entries read and a note
// naming the entry.
func TestErrors(t *testing.T) {
	_, err := HAR(strings.NewReader(`{"not":"a har"}`), io.Discard, Options{})
	if !errors.Is(err, ErrFormat) || !errors.Is(err, har.ErrFormat) {
		t.Errorf("non-HAR input: err = %v, want ErrFormat", err)
	}
	data := buildHAR(t,
		entry{Method: "GET", URL: "https://a.example.com/1?code=first-code-0123456", Status: 200},
		entry{Method: "GET", URL: "https://a.example.com/2?code=second-code-0123456", Status: 200},
	)
	cut := data[:bytes.Index(data, []byte("second-code"))]
	red, st := redactHAR(t, cut, Options{})
	exs, notes := readHAR(t, red)
	if len(exs) != 1 || len(notes) != 0 {
		t.Errorf("copy of a cut HAR: %d exchanges, notes %v; want 1 exchange and a clean document", len(exs), notes)
	}
	if len(st.Notes) != 1 || st.Notes[0].Ref != "entries[1]" {
		t.Errorf("notes = %+v, want one at entries[1]", st.Notes)
	}
	mustNotContain(t, red, "first-code-0123456")

	_, err = SAZ(bytes.NewReader([]byte("PK\x03\x04garbage")), 12, io.Discard, Options{})
	if !errors.Is(err, ErrFormat) {
		t.Errorf("non-SAZ input: err = %v, want ErrFormat", err)
	}
}

// TestEntryBound: an entry larger than Limits.InflateBytes is not held in
// memory; it becomes null with a note and later entries keep their index.
func TestEntryBound(t *testing.T) {
	data := buildHAR(t,
		entry{Method: "GET", URL: "https://a.example.com/big", Status: 200, RespMIME: "text/plain", RespBody: strings.Repeat("x", 8000)},
		entry{Method: "GET", URL: "https://a.example.com/next?code=next-code-0123456", Status: 200},
	)
	red, st := redactHAR(t, data, Options{Limits: model.Limits{InflateBytes: 4000}})
	exs, _ := readHAR(t, red)
	if len(exs) != 1 || exs[0].Ref != "entries[1]" {
		t.Fatalf("copy holds %d exchanges, want only entries[1]", len(exs))
	}
	if len(st.Notes) != 1 || st.Notes[0].Ref != "entries[0]" || st.Notes[0].Kind != "limit" {
		t.Errorf("notes = %+v, want a limit note at entries[0]", st.Notes)
	}
	mustNotContain(t, red, "next-code-0123456", strings.Repeat("x", 100))
}

// TestMalformedEscapeInLongString: the HAR reader sets a string of more
// than 256 bytes aside and reads a malformed \u in it leniently (the
// backslash dropped), so it keeps the entry; the copy must keep it too, as
// valid JSON, or it loses an exchange the input had (found by
// FuzzRedactHAR: a \u00 followed by DEL in a long authorize URL).
func TestMalformedEscapeInLongString(t *testing.T) {
	long := "https://login.example.com/authorize?client_id=app&ui_locales=BADESCAPE&code=c0de-0123456789abcdef&pad=" + strings.Repeat("p", 300)
	data := buildHAR(t,
		entry{Method: "GET", URL: long, Status: 302},
		entry{Method: "GET", URL: "https://a.example.com/next", Status: 200},
	)
	data = bytes.Replace(data, []byte("BADESCAPE"), []byte("\\u00\x7fz"), 1)
	in, notes := readHAR(t, data)
	if len(in) != 2 || damaged(notes) {
		t.Fatalf("input reads as %d exchanges with notes %+v; the test wants the reader to keep both", len(in), notes)
	}
	red, st := redactHAR(t, data, Options{})
	exs, _ := readHAR(t, red)
	if len(exs) != 2 {
		t.Fatalf("copy holds %d exchanges, want 2 (notes %+v)", len(exs), st.Notes)
	}
	if got := exs[0].Request.URL; !strings.Contains(got, "ui_locales=u00") {
		t.Errorf("copy's URL = %q, want the malformed escape read as the reader reads it (u00…)", got)
	}
	mustNotContain(t, red, "c0de-0123456789abcdef")
}

// TestNestedAndStyledSecrets: the places issue 13 found secrets surviving
// a copy — a token URL-encoded inside another parameter (Office WOPI
// qs=…%26access_token%3D…), a Bearer credential in a custom header, JSON
// members in camel and Pascal case, a token assigned in an inline script,
// an entry comment — are redacted by the structured rewrite, values that
// carry no shape included, and the URL stays valid with its other
// parameters as they were.
func TestNestedAndStyledSecrets(t *testing.T) {
	const opaque = "opaque-wopi-token"
	qs := url.QueryEscape("WOPIsrc=https://wopi.example/files/1&access_token=" + opaque + "&access_token_ttl=1800000000")
	data := buildHAR(t,
		entry{Method: "GET", URL: "https://office.example/findsession?qs=" + qs + "&ui=en-US", Status: 200,
			ReqHeaders: [][2]string{{"X-Custom-Auth", "Bearer custom-auth-value"}, {"Ocp-Apim-Subscription-Key", "apim-key-value"}},
			RespMIME:   "application/json", RespBody: `{"data":{"accessToken":"camel-token-value","RefreshToken":"pascal-token-value","token_type":"Bearer","userPrincipalName":"alice@contoso.example"}}`},
		entry{Method: "GET", URL: "https://app.example/?limit=5;access_token=Az9_semicolon-token-3f7c1e2d9b8a4c6e", Status: 200,
			RespMIME: "text/html", RespBody: `<script>window.cfg = {"apiKey": "script-api-key"}; var accessToken = "low-entropy-token";` +
				`cfg2 = {clientSecret: 'single-quoted-secret'}; window.app.refresh_token='dotted-rt-value'; if (a == "b") {}</script>` +
				`<p>Contact bob@contoso.example</p>`},
	)
	red, _ := redactHAR(t, data, Options{})
	mustNotContain(t, red, opaque, "custom-auth-value", "apim-key-value", "camel-token-value", "pascal-token-value",
		"script-api-key", "alice@contoso.example", "bob@contoso.example", "low-entropy-token", "single-quoted-secret", "dotted-rt-value")
	mustContain(t, red, `\"token_type\":\"Bearer\"`, "Bearer "+secret.Fingerprint("custom-auth-value"),
		`if (a == \"b\")`, "clientSecret: '"+secret.Fingerprint("single-quoted-secret")+"'",
		// A ';'-separated parameter keeps its separators unescaped.
		"?limit=5;access_token="+url.QueryEscape(secret.Fingerprint("Az9_semicolon-token-3f7c1e2d9b8a4c6e")))
	exs, _ := readHAR(t, red)
	u, err := url.Parse(exs[0].Request.URL)
	if err != nil {
		t.Fatalf("copy's URL does not parse: %v", err)
	}
	inner, err := url.ParseQuery(u.Query().Get("qs"))
	if err != nil {
		t.Fatalf("copy's qs does not parse: %v", err)
	}
	if got := inner.Get("access_token"); got != secret.Fingerprint(opaque) {
		t.Errorf("nested access_token = %q, want its fingerprint", got)
	}
	if inner.Get("WOPIsrc") != "https://wopi.example/files/1" || inner.Get("access_token_ttl") != "1800000000" || u.Query().Get("ui") != "en-US" {
		t.Errorf("other parameters changed: %s", exs[0].Request.URL)
	}
}

// TestRefusesSurvivingSecret: a JWT in a body the rewrite leaves alone (a
// body typed as an image is binary to it) refuses the copy, naming where
// and never the value.
func TestRefusesSurvivingSecret(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVlLTAxMjM0NTY3"
	data := buildHAR(t,
		entry{Method: "GET", URL: "https://app.example/", Status: 200, RespMIME: "text/html", RespBody: "<p>ok</p>"},
		entry{Method: "GET", URL: "https://app.example/logo.png", Status: 200, RespMIME: "image/png", RespBody: "\x89PNG " + jwt},
	)
	var out bytes.Buffer
	_, err := HAR(bytes.NewReader(data), &out, Options{})
	var leak *secretscan.LeakError
	if !errors.As(err, &leak) {
		t.Fatalf("want a refusal, got %v", err)
	}
	if leak.Member != "entries[1]" || leak.Kind != secretscan.JWT || leak.Offset <= 0 {
		t.Errorf("refusal names %+v", leak)
	}
	if strings.Contains(err.Error(), jwt[:24]) || bytes.Contains(out.Bytes(), []byte(jwt)) {
		t.Error("the refusal or the output shows the token")
	}
	exs, _ := readHAR(t, data)
	exs[1].Response.Headers = model.Headers{{Name: "Content-Type", Value: "image/png"}}
	exs[1].Response.Body.Data = []byte("\x89PNG " + jwt)
	saz := sazFromExchanges(t, exs)
	_, err = SAZ(bytes.NewReader(saz), int64(len(saz)), &out, Options{})
	if !errors.As(err, &leak) || leak.Member != "raw/2_s.txt" {
		t.Errorf("SAZ: want a refusal naming raw/2_s.txt, got %v", err)
	}
}

// TestMaskEmailsAgreesWithParse: the hand-written masker gives what
// secret.MaskEmails's regular expression gives.
func TestMaskEmailsAgreesWithParse(t *testing.T) {
	for _, s := range []string{
		"", "no at sign", "alice@contoso.com", "AADSTS50034: The user account alice.b+x@sub.contoso.co.uk does not exist.",
		"a@b.com-x", "x@y", "@contoso.com", "bob@localhost", "two: a@b.io, c_d@e-f.org.", "weird a@b..com c@.com d@e.c",
		"o'neil@contoso.com", "mail%40x.com user%40contoso.com", "a@b.c0m q@r.com2", "x@@y.com", "loginfmt=alice@contoso.example&x=1",
	} {
		if got, want := maskEmails(s), secret.MaskEmails(s); got != want {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
	}
}

// TestOneTimeAndIdentityEngineCredentials: Okta Identity Engine sends the
// user's password as credentials.passcode (and OTPs the same way), Entra's
// MFA page sends its one-time code as otc. Those are guessable: a plain
// SHA-256 of "Summer2026!" or of six digits is reversed by trying them, so
// they are masked like passwords, never fingerprinted. The Identity
// Engine's stateHandle resumes the sign-in transaction, as stateToken
// does, and is fingerprinted. The trace is the third-party Okta HAR with
// its Classic /api/v1/authn body turned into the Identity Engine's
// /idp/idx/challenge/answer body, and an Entra ProcessAuth form added.
func TestOneTimeAndIdentityEngineCredentials(t *testing.T) {
	data, err := os.ReadFile("../rules/testdata/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	const (
		password    = "Summer2026!"
		stateHandle = "02aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdef"
	)
	classic := `{\"username\":\"jane.doe@example.com\",\"password\":\"[REDACTED]\",\"options\":{\"multiOptionalFactorEnroll\":false,\"warnBeforePasswordExpired\":false}}`
	idx := `{\"credentials\":{\"passcode\":\"` + password + `\"},\"stateHandle\":\"` + stateHandle + `\"}`
	if !bytes.Contains(data, []byte(classic)) {
		t.Fatal("the fixture's /api/v1/authn body changed")
	}
	data = bytes.Replace(data, []byte(classic), []byte(idx), 1)
	data = bytes.Replace(data, []byte("https://dev-12345.okta.com/api/v1/authn"), []byte("https://dev-12345.okta.com/idp/idx/challenge/answer"), 1)
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	log := doc["log"].(map[string]any)
	log["entries"] = append(log["entries"].([]any), map[string]any{
		"startedDateTime": "2026-11-26T10:00:09Z", "time": 10,
		"request": map[string]any{"method": "POST", "url": "https://login.microsoftonline.com/common/SAS/ProcessAuth", "httpVersion": "HTTP/1.1",
			"headers":  []any{},
			"postData": map[string]any{"mimeType": "application/x-www-form-urlencoded", "text": "type=18&otc=739204&pin=8642"}},
		"response": map[string]any{"status": 200, "httpVersion": "HTTP/1.1", "headers": []any{}, "content": map[string]any{"mimeType": "text/html", "text": ""}},
	})
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	red, _ := redactHAR(t, data, Options{})
	hex := func(v string) string { return strings.TrimPrefix(secret.Fingerprint(v), "sha256:") }
	mustNotContain(t, red, password, hex(password), stateHandle, "otc=739204", hex("739204"), "pin=8642", hex("8642"))
	mustContain(t, red, secret.Fingerprint(stateHandle), "type=18&otc=")
}

// TestPostDataBase64: a request body stored in base64 (postData.encoding)
// is decoded, redacted and encoded again; the copy kept the third-party Okta
// sample's token request, so stored, with its code and verifier before.
func TestPostDataBase64(t *testing.T) {
	data, err := os.ReadFile("../rules/testdata/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	const form = `grant_type=authorization_code&code=aB3cD4eF5gH6iJ7kL8mN9oP0&redirect_uri=https%3A%2F%2Fmyapp.example.com%2Fcallback&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`
	quoted := `"text": "` + form + `"`
	if !bytes.Contains(data, []byte(quoted)) {
		t.Fatal("the sample's token request body changed")
	}
	data = bytes.Replace(data, []byte(quoted), []byte(`"encoding": "base64", "text": "`+base64.StdEncoding.EncodeToString([]byte(form))+`"`), 1)
	red, _ := redactHAR(t, data, Options{})
	exs, _ := readHAR(t, red)
	var body string
	for _, ex := range exs {
		if strings.HasSuffix(ex.Request.URL, "/v1/token") {
			body = string(ex.Request.Body.Data)
		}
	}
	if body == "" || strings.Contains(body, "aB3cD4eF5gH6iJ7kL8mN9oP0") || strings.Contains(body, "dBjftJeZ4CVP") ||
		!strings.Contains(body, "code="+url.QueryEscape(secret.Fingerprint("aB3cD4eF5gH6iJ7kL8mN9oP0"))) {
		t.Errorf("copy's token request body: %q", body)
	}
	mustNotContain(t, red, base64.StdEncoding.EncodeToString([]byte(form)))
}

// TestRefreshURLAfterLengthChangingRunes: the URL of a Refresh header is
// redacted wherever "url=" sits after runes whose lower case is longer
// (U+023A) or shorter (U+212A): the offset of "url=" in a lowered copy cut
// the value in the wrong place, so the code went out in the clear, or the
// command panicked.
func TestRefreshURLAfterLengthChangingRunes(t *testing.T) {
	const code = "refresh-code-0123456789"
	for _, pad := range []string{"", strings.Repeat("\u023a", 10), strings.Repeat("\u023a", 40), strings.Repeat("\u023a", 80),
		strings.Repeat("\u212a", 40), strings.Repeat("\xc8\xba\xe2\x84\xaa", 20)} {
		data := buildHAR(t, entry{Method: "GET", URL: "https://app.example/page", Status: 200,
			RespHeaders: [][2]string{{"Refresh", "0; " + pad + " URL=https://app.example/cb?code=" + code + "&state=s"}},
			RespMIME:    "text/html", RespBody: "<p>ok</p>"})
		red, _ := redactHAR(t, data, Options{})
		mustNotContain(t, red, code)
		mustContain(t, red, pad+" URL=https://app.example/cb?code="+url.QueryEscape(secret.Fingerprint(code)))
	}
}

// indexFoldASCII finds "url=" where the lowered copy does, counted in the
// value itself.
func TestIndexFoldASCII(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	parts := []string{"u", "U", "r", "R", "l", "L", "=", "url=", "URL=", "Url=", "\u023a", "\u212a", "\u0130", "\xff", "é", " ", "ur"}
	for n := 0; n < 50000; n++ {
		var b strings.Builder
		for range rng.Intn(10) {
			b.WriteString(parts[rng.Intn(len(parts))])
		}
		s := b.String()
		want := strings.Index(strings.ToLower(s), "url=")
		got := indexFoldASCII(s, "url=")
		if (got >= 0) != (want >= 0) || got >= 0 && len(strings.ToLower(s[:got])) != want {
			t.Fatalf("indexFoldASCII(%q) = %d; in the lowered copy %d", s, got, want)
		}
	}
}

// TestDeviceUserCodeMasked: a device flow's user_code is a few letters the
// user types, so a fingerprint of it is reversed by trying every value; the
// copy masks it, while the device code itself keeps its fingerprint.
func TestDeviceUserCodeMasked(t *testing.T) {
	data, err := os.ReadFile("../rules/testdata/device-code-polling.har")
	if err != nil {
		t.Fatal(err)
	}
	const userCode = "FGH7KLMN2"
	if !bytes.Contains(data, []byte(`\"user_code\": \"`+userCode+`\"`)) {
		t.Fatal("the fixture's device authorization answer changed")
	}
	red, _ := redactHAR(t, data, Options{})
	mustNotContain(t, red, userCode, strings.TrimPrefix(secret.Fingerprint(userCode), "sha256:"))
	// The code the answer repeats in words has the mask of its user_code.
	mustContain(t, red, `\"user_code\": \"REDACTED-value-1\"`, "enter the code REDACTED-value-1 to authenticate")
	if !bytes.Contains(red, []byte(`\"device_code\": \"sha256:`)) {
		t.Error("the device code lost its fingerprint")
	}
}

func TestReplaceWord(t *testing.T) {
	for _, c := range []struct{ s, old, want string }{
		{"enter the code FGH7KLMN2 to authenticate.", "FGH7KLMN2", "enter the code X to authenticate."},
		{"FGH7KLMN2", "FGH7KLMN2", "X"},
		{"AFGH7KLMN2 FGH7KLMN2B FGH7KLMN2", "FGH7KLMN2", "AFGH7KLMN2 FGH7KLMN2B X"},
		{"ab-ab-ab", "ab-ab", "X-ab"}, // matches that overlap a replaced one are not replaced
		{"8642, 86420, (8642)", "8642", "X, 86420, (X)"},
		{"nothing here", "8642", "nothing here"},
	} {
		if got := replaceWord(c.s, c.old, "X"); got != c.want {
			t.Errorf("replaceWord(%q, %q) = %q, want %q", c.s, c.old, got, c.want)
		}
	}
}

// TestCommaJoinedSetCookie: each cookie of a Set-Cookie joined with
// commas is masked; an Expires date's comma splits nothing.
func TestCommaJoinedSetCookie(t *testing.T) {
	r := newRedactor(Options{})
	got := r.header("Set-Cookie", "a=first-cookie-value; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/, sid=second-cookie-value; HttpOnly,theme=dark")
	want := "a=REDACTED-cookie-1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/, sid=REDACTED-cookie-2; HttpOnly,theme=REDACTED-cookie-3"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestPageAndScriptShapes: secrets in a page's relative URLs, textareas,
// storage calls, template literals, JSON text inside script strings,
// document.cookie and multipart parts are redacted; the same shapes
// without a secret stay byte for byte.
func TestPageAndScriptShapes(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	page := `<form action="/cb?session_state=` + v + `&x=1"><a href='/p?theme=dark'>a</a>` +
		`<textarea name="SAMLResponse">` + v + `</textarea><textarea name="note">hello</textarea></form>` +
		`<script>localStorage.setItem("refresh_token", "` + v + `");localStorage.setItem("theme", "dark");` +
		"const accessToken = `" + v + "`;" + `var c = JSON.parse("{\"client_secret\":\"` + v + `\",\"client_id\":\"c1\"}");` +
		`document.cookie = "sid=` + v + `; path=/";var t = {Cookies:"Cookies"};</script>`
	got := r.text(page)
	if strings.Contains(got, v) {
		t.Errorf("a secret survived: %s", got)
	}
	for _, keep := range []string{`href='/p?theme=dark'`, `<textarea name="note">hello</textarea>`, `setItem("theme", "dark")`,
		`\"client_id\":\"c1\"`, `; path=/"`, `{Cookies:"Cookies"}`, `&x=1"`} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %s", keep, got)
		}
	}
	mp := "--b\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nc1\r\n--b\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\n" + v +
		"\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nplain text\r\n--b--\r\n"
	red := string(r.body("multipart/form-data", []byte(mp)))
	if strings.Contains(red, v) || !strings.Contains(red, "\r\n\r\nc1\r\n") || !strings.Contains(red, "plain text") {
		t.Errorf("multipart: %q", red)
	}
}

// TestNumbersProtocolsPlainForms: a one-time code or session id sent as a
// JSON number is redacted, an error code or a lifetime is not; tokens in
// Sec-WebSocket-Protocol are fingerprinted and protocol names stay; a form
// sent as text/plain is redacted as a form.
func TestNumbersProtocolsPlainForms(t *testing.T) {
	r := newRedactor(Options{})
	got := string(r.body("application/json", []byte(`{"code":400,"otp":482913,"sessionId":99887766,"expires_in":3600,"error":{"code":70008}}`)))
	want := `{"code":400,"otp":"REDACTED-value-1","sessionId":"` + secret.Fingerprint("99887766") + `","expires_in":3600,"error":{"code":70008}}`
	if got != want {
		t.Errorf("numbers:\n got  %s\n want %s", got, want)
	}
	const tok = "Qx7Lp2Vw9Kz3Tn5R"
	ws := r.header("Sec-WebSocket-Protocol", "graphql-ws, access_token, "+tok)
	if ws != "graphql-ws, access_token, "+secret.Fingerprint(tok) {
		t.Errorf("Sec-WebSocket-Protocol: %q", ws)
	}
	k8s := r.header("Sec-WebSocket-Protocol", "base64url.bearer.authorization.k8s.io."+tok+", v4.channel.k8s.io")
	if k8s != "base64url.bearer.authorization.k8s.io."+secret.Fingerprint(tok)+", v4.channel.k8s.io" {
		t.Errorf("k8s subprotocol: %q", k8s)
	}
	form := string(r.body("text/plain", []byte("client_id=c1&client_secret="+tok)))
	if form != "client_id=c1&client_secret="+url.QueryEscape(secret.Fingerprint(tok)) {
		t.Errorf("text/plain form: %q", form)
	}
	if prose := "see the docs at https://x.example"; string(r.body("text/plain", []byte(prose))) != prose {
		t.Error("prose changed")
	}
}

// TestRelativeURLQuotesPair: an unquoted href and quoted attributes after
// it are all rewritten; a quote ending one value never starts the next.
func TestRelativeURLQuotesPair(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	got := r.relativeURLs(`<a href=/resume?session_state=` + v + `&amp;y=2>y</a><form method="post" action="/cb?session_state=` + v + `">` +
		`<meta content="0;url=/cb?code=` + v + `"><a title='it' href='cb?id_token_hint=` + v + `'>`)
	if strings.Contains(got, v) {
		t.Errorf("a secret survived: %s", got)
	}
	if !strings.Contains(got, `method="post"`) || !strings.Contains(got, `&amp;y=2>`) || !strings.Contains(got, `title='it'`) {
		t.Errorf("changed more than the secrets: %s", got)
	}
}
