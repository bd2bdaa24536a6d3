package oauth

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// TestNodeAppRefusal: the errors of @azure/msal-node, openid-client 6
// (oauth4webapi) and an app's page quoting a ResponseBodyError, on
// Express's error page, as recorded in rules/testdata/msalnode-*.har and
// oidc6-*.har (ids and timestamps made up here).
func TestNodeAppRefusal(t *testing.T) {
	html := model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}
	for _, c := range []struct {
		name, url string
		body      string
		lib, word string
		cause     model.RefusalCause
	}{
		{"msal state", "http://localhost:4952/auth/redirect", "<pre>ClientAuthError: state_mismatch: See https://aka.ms/msal.js.errors#state_mismatch for details</pre>",
			"MSAL Node", "ClientAuthError: state_mismatch", model.RefusalState},
		{"msal token", "http://localhost:4952/auth/redirect", "<pre>ServerError: invalid_grant: Error(s): Not Available - Timestamp: Not Available - Description: grant request is invalid - Correlation ID: Not Available - Trace ID: Not Available</pre>",
			"MSAL Node", "ServerError: invalid_grant", model.RefusalRedemption},
		{"msal entra", "https://app.example.com/auth/redirect", "<pre>ServerError: invalid_client: Error(s): 7000215 - Timestamp: 2026-12-06 10:00:00Z - Description: AADSTS7000215: Invalid client secret provided. - Correlation ID: 0e8a - Trace ID: 4f1c</pre>",
			"MSAL Node", "ServerError: invalid_client", model.RefusalRedemption},
		// Another library's ServerError, without MSAL's structure after
		// the name, is not MSAL's.
		{"other server error", "http://localhost:4952/cb", "<pre>ServerError: invalid_grant (grant request is invalid)</pre>", "", "", ""},
		{"oidc6 state", "http://localhost:4952/cb", "<pre>ClientError: invalid response encountered\ncode: OAUTH_INVALID_RESPONSE\ncause: unexpected &quot;state&quot; response parameter encountered</pre>",
			"openid-client", `unexpected "state" response parameter encountered`, model.RefusalState},
		{"oidc6 nonce", "http://localhost:4952/cb", `<pre>cause: unexpected ID Token "nonce" claim value</pre>`,
			"openid-client", `unexpected ID Token "nonce" claim value`, model.RefusalNonce},
		{"oidc6 iss", "http://localhost:4952/cb", "<pre>cause: response parameter &quot;iss&quot; (issuer) missing</pre>",
			"openid-client", `response parameter "iss" (issuer) missing`, model.RefusalUnknown},
		{"oidc6 token", "http://localhost:4952/cb", "<pre>ResponseBodyError: server responded with an error in the response body\ncode: OAUTH_RESPONSE_BODY_ERROR\nerror: invalid_client (client authentication failed)</pre>",
			"openid-client", "ResponseBodyError: invalid_client", model.RefusalRedemption},
		// Express's default page: the message alone.
		{"oidc6 token bare", "http://localhost:4952/cb", "<pre>ResponseBodyError: server responded with an error in the response body</pre>",
			"openid-client", "server responded with an error in the response body", model.RefusalRedemption},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", c.url+"?code=c0de-"+c.name+"&state=st-1", nil, "", 500, html, c.body))
		if len(evs) != 1 || evs[0].Kind != model.Callback {
			t.Errorf("%s: events %v", c.name, kinds(evs))
			continue
		}
		r := evs[0].Refusal()
		if c.cause == "" {
			if r != nil {
				t.Errorf("%s: refusal %+v, want none", c.name, r)
			}
			continue
		}
		if r == nil || r.Library != c.lib || r.Cause != c.cause || r.Words != c.word {
			t.Errorf("%s: refusal %+v, want %s %q (%s)", c.name, r, c.lib, c.word, c.cause)
		}
	}
	// The callback's own error raised again is not the app's refusal.
	if r := nodeAppRefusal([]byte("ServerError: access_denied: Error(s): x - Description: y"), "access_denied"); r != nil {
		t.Errorf("callback's error: %+v", r)
	}
}

// FuzzNodeAppRefusal: reading a Node app's error page never panics, and a
// refusal it reads quotes an OAuth error name the page holds, or a
// library's phrase.
func FuzzNodeAppRefusal(f *testing.F) {
	f.Add("ServerError: invalid_grant: Error(s): Not Available - Description: x", "")
	f.Add("ServerError: ServerError: invalid_client: Error(s): ", "")
	f.Add("ResponseBodyError: server responded with an error in the response body error: invalid_client", "invalid_client")
	f.Add("cause: unexpected &quot;state&quot; response parameter value", "")
	f.Fuzz(func(t *testing.T, page, callbackErr string) {
		r := nodeAppRefusal([]byte(page), callbackErr)
		if r == nil {
			return
		}
		if name, ok := strings.CutPrefix(r.Words, "ServerError: "); ok {
			if !isOAuthErrorName(name) || name == callbackErr || r.Library != msalNode {
				t.Fatalf("refusal %+v from %q", r, page)
			}
			return
		}
		if name, ok := strings.CutPrefix(r.Words, "ResponseBodyError: "); ok {
			if !isOAuthErrorName(name) || name == callbackErr || !strings.Contains(page, name) {
				t.Fatalf("refusal %+v from %q", r, page)
			}
			return
		}
		for _, ph := range nodeAppPhrases {
			if ph.words == r.Words && ph.library == r.Library {
				return
			}
		}
		t.Fatalf("refusal %+v from %q: not a library's phrase", r, page)
	})
}
