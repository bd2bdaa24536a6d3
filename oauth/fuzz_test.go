package oauth

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// FuzzExtract builds exchanges from fuzz bytes: a request line-ish URL, a
// request body, a Location header and a response body, and checks that
// extraction never panics and never puts a raw code into a string field.
func FuzzExtract(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "aad-responses", "*.json"))
	for _, s := range seeds {
		body, err := os.ReadFile(s)
		if err == nil {
			f.Add("https://login.microsoftonline.com/common/oauth2/v2.0/token", "grant_type=authorization_code&code=abc", "", string(body), uint8(0))
		}
	}
	f.Add("https://dev-1.okta.com/oauth2/default/v1/authorize?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb&state=s",
		"", "https://app/cb?code=abc&state=s", "", uint8(1))
	f.Add("https://login.microsoftonline.com/common/login", "", "",
		`<form method="POST" action="https://app/cb"><input type="hidden" name="code" value="abc"/><input type="hidden" name="state" value="s"/></form>`, uint8(2))
	f.Add("https://id.example/.well-known/openid-configuration", "", "",
		`{"issuer":"https://id.example","authorization_endpoint":"https://id.example/a","token_endpoint":"https://id.example/t"}`, uint8(3))
	f.Add("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&response_type=code", "", "",
		"<html>Request Id: 2b3a6d8f-1c2d-4e5f-8a9b-0c1d2e3f4a5b AADSTS50011: The redirect URI 'x' specified</html>", uint8(4))
	f.Add("https://sso.example/realms/demo/protocol/openid-connect/auth?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb", "", "",
		`<div id="kc-error-message"><p class="instruction">Ung&uuml;ltiger Parameter: redirect_uri</p></div>`, uint8(65))
	f.Add("https://dev-1.okta.com/oauth2/v1/authorize?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb", "", "",
		`<p>Der Parameter &#39;redirect_uri&#39; muss: https://dev-1-admin.okta.com/admin/app/oidc_client/instance/0oa1#tab-general</p>`, uint8(65))
	// Keycloak pages of other themes (a Keycloakify page's kcContext),
	// Auth0's page in another language.
	f.Add("https://sso.example/realms/demo/protocol/openid-connect/auth?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb", "", "",
		`<script>window.kcContext = {"message": {"summary": "Ung\u00fcltiger Parameter: redirect_uri", "type": "error"}, "pageId": "error.ftl"};</script>`, uint8(65))
	f.Add("https://acme.eu.auth0.com/authorize?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb", "", "",
		`<p>Die angegebene redirect_uri ist nicht erlaubt.</p><p><a href="https://manage.auth0.com/#/applications/c/settings">x</a></p>`, uint8(65))
	f.Fuzz(func(t *testing.T, rawURL, reqBody, location, respBody string, mode uint8) {
		x := NewExtractor()
		methods := []string{"GET", "POST"}
		statuses := []int{200, 302, 400, 303, 0}
		cts := []string{"application/json", "text/html", "application/x-www-form-urlencoded", ""}
		ex := &model.Exchange{
			Ref: "entries[0]",
			Request: model.Request{Method: methods[int(mode)%2], URL: rawURL,
				Headers: model.Headers{{Name: "Content-Type", Value: cts[int(mode/2)%4]}, {Name: "Authorization", Value: "Basic " + reqBody}},
				Body:    model.Body{Data: []byte(reqBody), MIMEType: cts[int(mode/8)%4]}},
		}
		if st := statuses[int(mode/32)%5]; st != 0 {
			ex.Response = &model.Response{Status: st, Headers: model.Headers{{Name: "Location", Value: location}, {Name: "Date", Value: location}},
				Body: model.Body{Data: []byte(respBody), MIMEType: cts[int(mode)%4]}}
		}
		checkFastPaths(t, ex)
		// Run twice: the second pass sees endpoints learnt by the first.
		for i := 0; i < 2; i++ {
			if x.quiet(ex) {
				if evs := x.appendExchange(nil, ex); len(evs) > 0 {
					t.Fatalf("quiet, but the full path yields %d events", len(evs))
				}
			}
			for _, ev := range x.Exchange(ex) {
				if ev.Code.Len() >= 12 {
					raw := ev.Code.Reveal()
					for _, s := range []string{ev.Endpoint(), ev.RedirectURI(), ev.Ref, ev.Referer(), ev.Scope(), ev.ClientID()} {
						if strings.Contains(s, raw) && !strings.Contains(rawURL, raw) && !bytes.Contains([]byte(location), []byte(raw)) {
							t.Fatalf("raw code in a plain field %q", s)
						}
					}
				}
			}
		}
		for _, ev := range x.Flush(nil) {
			if ev.Kind != model.AuthorizeRequest {
				t.Fatalf("flush gave a %s event", ev.Kind)
			}
		}
		_ = secret.RedactURL(rawURL)
	})
}

// FuzzSpringFailurePage: the reader of Spring Security's /login?error page
// never panics, and what it keeps of a page is a bracketed code the page
// shows, one Spring gives or an OAuth error name, never other text.
func FuzzSpringFailurePage(f *testing.F) {
	f.Add(springLoginPage("[authorization_request_not_found] "), false)
	f.Add(springLoginPage("[invalid_token_response] An error occurred while attempting to retrieve the OAuth 2.0 Access Token Response: 401 Unauthorized: [no body]"), false)
	f.Add(springLoginPage("[invalid_grant] Code not valid"), true)
	f.Add("[[[]]][invalid_nonce", false)
	f.Fuzz(func(t *testing.T, page string, callbackErr bool) {
		r := springPageRefusal([]byte(page), callbackErr)
		if r == nil {
			return
		}
		code := strings.TrimSuffix(strings.TrimPrefix(r.Words, "["), "]")
		if "["+code+"]" != r.Words || !strings.Contains(page, r.Words) || r.Library != springLogin {
			t.Fatalf("refusal %+v from %q", r, page)
		}
		if _, known := springCodes[code]; !known && (!isOAuthErrorName(code) || callbackErr) {
			t.Fatalf("refusal %+v: not a code Spring gives", r)
		}
	})
}

// FuzzSocialAuthMessages: the reader of Django's messages cookie (what
// social-auth-app-django's middleware leaves there for a refused callback)
// never panics on any value, inflates no more than maxDjangoMessages, and
// what it keeps of a message is one of social-core's own phrases.
func FuzzSocialAuthMessages(f *testing.F) {
	// The values recorded in rules/testdata/social-*.har: plain and
	// zlib-compressed payloads.
	f.Add("W1siX19qc29uX21lc3NhZ2UiLDAsNDAsIlNlc3Npb24gdmFsdWUgc3RhdGUgbWlzc2luZy4iLCJzb2NpYWwtYXV0aCBvaWRjIl1d:1xa7Ga:-QOl729fFdfBiUwyDTbVivYaxGzwZOpv3qKvcwJr9fg", false)
	f.Add(".eJwVzLEKg0AMANBfCZlPcHDq1sFP6CRypLlQUzSRS_z_2v3xlgVr_YZbPSSCPoJlLNNY8HnlJpbKlOoGZ3e-ATAZyy7tAbO14RXSgd7eUxqopXTiP8eC4ay0D3Q34NoY1_UHJpMmgg:1xa7H4:KbZROoE3UT3WON8-bfu5MIyH5BO501WdCbuTV911yu4", true)
	f.Add(".eJwLSS0u0TU0MDIAAAxGAl8:a:b", false)
	f.Add("", false)
	f.Fuzz(func(t *testing.T, value string, callbackErr bool) {
		r := &model.Response{Status: 302, Headers: model.Headers{{Name: "Set-Cookie", Value: "messages=" + value + "; Path=/"}}}
		_ = djangoMessages(value)
		rf := socialAuthRefusal(r, callbackErr)
		if rf == nil {
			return
		}
		if rf.Library != socialAuthLibrary {
			t.Fatalf("refusal %+v", rf)
		}
		if rf.Words == "redirected to LOGIN_ERROR_URL" {
			return
		}
		for _, k := range socialAuthMessages {
			if rf.Words == k.words && rf.Cause == k.cause {
				return
			}
		}
		t.Fatalf("refusal %+v: not one of social-core's phrases", rf)
	})
}
