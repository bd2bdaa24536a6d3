package rules_test

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestHydraRecorded reads sign-ins against a real Ory Hydra v2.3.0 by a web
// app with its login and consent app, recorded on lo with the app's back
// channel (testdata/hydra/gen.sh). Before, Hydra was "the authorization
// server 127.0.0.1", its refusal of a redirect URI "(invalid_request)" and
// was remedied with "register it at the authorization server", and two
// tabs crossing Hydra's one login CSRF cookie per client read as the app's
// verifier cookie crossing, the app refusing the callback, when Hydra had
// refused the sign-in itself.
func TestHydraRecorded(t *testing.T) {
	checkRecorded(t, "hydra-clean.pcap", nil)
	checkRecorded(t, "hydra-redirect-mismatch.pcap", []rpWant{{rule: "redirect-uri-mismatch", severity: rules.Error,
		message: []string{`Ory Hydra rejected the redirect URI "http://localhost:4897/signin-oidc" at authorize time (invalid_request: "The 'redirect_uri' parameter does not match any of the OAuth 2.0 Client's pre-registered redirect urls.")`},
		remedy:  []string{`PATCH /admin/clients/web-app`, `"path": "/redirect_uris/-"`, "replaces the whole client"}}})
	checkRecorded(t, "hydra-two-tabs.pcap", []rpWant{{rule: "multi-tab-race", severity: rules.Error,
		message: []string{"carries Ory Hydra's error request_forbidden", "Ory Hydra refused sign-in #1 itself",
			"replaced the cookie ory_hydra_login_csrf_dev_1455758610 it had set for #1 at frame 14"},
		remedy: []string{"The provider, not the app, lost the first sign-in", "ory_hydra_login_csrf_"}}})
	checkRecorded(t, "hydra-pkce-mismatch.pcap", []rpWant{{rule: "pkce-mismatch", severity: rules.Error,
		message: []string{"Ory Hydra refused it (invalid_grant)"}}})
	checkRecorded(t, "hydra-code-reuse.pcap", []rpWant{{rule: "code-reuse", severity: rules.Error,
		message: []string{"was redeemed 2 times", "the callback URL was loaded again"}}})

	exs, notes := loadRecording(t, "hydra-consent-denied.har")
	a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
	fs := rules.Run(a, rules.All())
	if got := rules.Assess(a, fs); got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "Ory Hydra answered the sign-in") ||
		!strings.Contains(got.Reason, "access_denied") {
		t.Errorf("consent denied: verdict %s (%s)", got.Verdict, got.Reason)
	}
	// A web app on localhost with a callback path is no native app.
	for _, name := range []string{"hydra-redirect-mismatch.har", "hydra-redirect-mismatch.pcap"} {
		exs, notes := loadRecording(t, name)
		a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
		for _, f := range rules.Run(a, rules.All()) {
			if strings.Contains(f.Message, "native app") {
				t.Errorf("%s: %s", name, f.Message)
			}
		}
	}
}

// TestHydraProvider: Hydra's paths are fosite's, so Hydra is named by its
// answers (the redirect to its login app with login_challenge, its own
// cookies, its fallback error page), and every event of its host with it.
func TestHydraProvider(t *testing.T) {
	exs, _ := loadRecording(t, "hydra-clean.pcap")
	n := 0
	for _, ev := range oauth.ExtractAll(exs) {
		switch ev.Kind {
		case model.AuthorizeRequest, model.CodeIssued, model.TokenRequest, model.TokenResponse:
			n++
			if ev.Provider().Family != model.FamilyHydra {
				t.Errorf("%s %s: provider %+v", ev.Ref, ev.Kind, ev.Provider())
			}
		}
	}
	if n < 4 {
		t.Errorf("%d events of the sign-in", n)
	}
}
