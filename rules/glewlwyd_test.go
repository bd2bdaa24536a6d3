package rules_test

import (
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestGlewlwydRecorded reads sign-ins against a real Glewlwyd 2.7.5
// (Debian's package, its OpenID Connect plugin) by a web app, recorded
// with the app's back channel (testdata/glewlwyd/gen.sh). Before, Glewlwyd
// was "the authorization server 127.0.0.1"; its 403 unauthorized_client
// for a wrong secret read as a grant type the client may not use, remedied
// with Auth0's, Cognito's and Okta's grant settings; its 403 invalid_code
// (a code expired, reused or redeemed with the wrong verifier) was an
// error nothing explained; and its 403 with no body for an unregistered
// redirect URI read as a sign-in that "shows no code".
func TestGlewlwydRecorded(t *testing.T) {
	checkRecorded(t, "glewlwyd-clean.pcap", nil)
	checkRecorded(t, "glewlwyd-bad-secret.pcap", []rpWant{{rule: "client-auth-failed", severity: rules.Error,
		message: []string{"Glewlwyd refused the credentials of client web-app", "(unauthorized_client)"},
		remedy:  []string{"Glewlwyd answers a wrong or missing secret with 403 unauthorized_client", "Token endpoint authentication methods"}}})
	checkRecorded(t, "glewlwyd-pkce-mismatch.pcap", []rpWant{{rule: "pkce-mismatch", severity: rules.Error,
		message: []string{"does not prove the S256 code_challenge", "Glewlwyd refused it (invalid_code)"}}})
	// The plugin's codes live 2 s (gen.sh); the app waited 5 s.
	checkRecorded(t, "glewlwyd-code-expired.pcap", []rpWant{{rule: "code-expired", severity: rules.Warning,
		message: []string{"Glewlwyd refused authorization code", "with invalid_code", "keeps codes 600 seconds by default: its code-duration", "the app paused"},
		remedy:  []string{"Glewlwyd's administration app: Parameters, Plugins, the OpenID Connect plugin, Code duration"}}})

	type want struct {
		rule, message, remedy string
	}
	for name, w := range map[string]want{
		"glewlwyd-clean.har": {},
		"glewlwyd-redirect-mismatch.har": {"redirect-uri-mismatch",
			`Glewlwyd rejected the redirect URI "http://localhost:4953/signin-oidc" at authorize time (403 with no body, Glewlwyd's answer to a redirect_uri the client does not list, and to an unknown or disabled client_id)`,
			`Glewlwyd's administration app (its index.html) → Clients → client web-app → Redirect URIs → add exactly "http://localhost:4953/signin-oidc"`},
		"glewlwyd-code-reuse.har": {"code-reuse", "the callback URL was loaded again", ""},
		"glewlwyd-two-tabs.har":   {"multi-tab-race", "carries cookie app_verifier holding sign-in #2's PKCE verifier", ""},
	} {
		got := checkOneFinding(t, name, w.rule, w.message, w.remedy)
		if w.rule == "" && got.Verdict != rules.VerdictClean {
			t.Errorf("%s: verdict %s (%s)", name, got.Verdict, got.Reason)
		}
	}
}

// TestGlewlwydProvider: Glewlwyd is named by its endpoints under its
// default API prefix and plugin name (/api/oidc/auth, /api/oidc/token) and
// by its answers (the redirect to login.html with callback_url).
func TestGlewlwydProvider(t *testing.T) {
	exs, _ := loadRecording(t, "glewlwyd-clean.pcap")
	n := 0
	for _, ev := range oauth.ExtractAll(exs) {
		switch ev.Kind {
		case model.AuthorizeRequest, model.CodeIssued, model.TokenRequest, model.TokenResponse:
			n++
			if ev.Provider().Family != model.FamilyGlewlwyd {
				t.Errorf("%s %s: provider %+v", ev.Ref, ev.Kind, ev.Provider())
			}
		}
	}
	if n < 4 {
		t.Errorf("%d events of the sign-in", n)
	}
}
