package rules_test

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestZitadelRecorded reads sign-ins against the example OpenID provider of
// github.com/zitadel/oidc/v3 v3.52.0 by Auth0's auth0-spa-js 2.27.0 and by a
// Go web app using golang.org/x/oauth2 and go-oidc, recorded in Chromium
// with the loopback's capture (testdata/zitadel/gen.sh). Before, the
// SDK's token requests that the provider's CORS preflight answer stopped in
// the browser (auth0-spa-js sends an Auth0-Client header the library's
// default CORS policy does not allow; Chromium records the unsent POST
// without Origin) read as a code "redeemed 3 times" and three network
// errors "whether the provider received it is unknown", remedied with the
// network path and a rule against retrying a code.
func TestZitadelRecorded(t *testing.T) {
	checkRecorded(t, "zitadel-web-clean.pcap", nil)
	checkRecorded(t, "zitadel-web-reload.pcap", []rpWant{{rule: "code-reuse", severity: rules.Error,
		message: []string{"was redeemed 2 times", "refused with invalid_grant", "the callback URL was loaded again"}}})
	// x/oauth2's auto-detected auth style retries a refused secret in the
	// body: one wrong secret, not a second use of the code.
	checkRecorded(t, "zitadel-web-bad-secret.pcap", []rpWant{{rule: "client-auth-failed", severity: rules.Error,
		message: []string{"refused the credentials of client web", "(invalid_client)", "golang.org/x/oauth2's auto-detected auth style"}}})
	checkRecorded(t, "zitadel-web-two-tabs.pcap", []rpWant{{rule: "multi-tab-race", severity: rules.Error,
		message: []string{"redeems the code of sign-in #1 with the PKCE verifier of sign-in #2"}}})
	checkRecorded(t, "zitadel-web-refresh-reuse.pcap", []rpWant{{rule: "refresh-token-expired", severity: rules.Error,
		message: []string{"was sent 2 times", "raced on one rotating refresh token"}}})
	checkRecorded(t, "zitadel-spa-silent.pcap", []rpWant{{rule: "interaction-required", severity: rules.Info,
		message: []string{"with login_required"}}})

	got := checkOneFinding(t, "zitadel-spa-cors-blocked.har", "spa-cross-origin",
		"the page asked to send the request header auth0-client, and the provider's answer (HTTP 204) carries no CORS field at all",
		"Let the token endpoint's CORS policy allow the app's origin http://localhost:4982 and every request header the page sends")
	if got.Verdict != rules.VerdictFindings {
		t.Errorf("cors-blocked: verdict %s (%s)", got.Verdict, got.Reason)
	}
	for _, name := range []string{"zitadel-spa-clean.har", "zitadel-spa-two-tabs.har", "zitadel-spa-refresh.har", "zitadel-web-clean.har", "zitadel-web-refresh-reuse.har"} {
		if got := checkOneFinding(t, name, "", "", ""); got.Verdict != rules.VerdictClean {
			t.Errorf("%s: verdict %s (%s)", name, got.Verdict, got.Reason)
		}
	}
	// The Go app's error page quotes x/oauth2's RetrieveError: the
	// provider's error name answering the app's own redemption. Before,
	// both read as a 500 "the trace cannot tell why".
	checkOneFinding(t, "zitadel-web-bad-secret.har", "client-auth-failed",
		`golang.org/x/oauth2 says "oauth2: invalid_client"): golang.org/x/oauth2 raises the provider's answer to the app's own token request, so the provider refused the credentials of client web`,
		"Use the secret value")
	// invalid_request alone does not say which parameter was wrong (here
	// the verifier left out): the app server's capture or log does.
	if got := checkOneFinding(t, "zitadel-web-pkce-missing.har", "trace-quality", `golang.org/x/oauth2 says "oauth2: invalid_request"`, "scan --case"); got.Verdict != rules.VerdictInconclusive {
		t.Errorf("pkce-missing: verdict %s (%s)", got.Verdict, got.Reason)
	}
	checkOneFinding(t, "zitadel-web-reload.har", "code-reuse",
		`the app redeemed the code again and the provider refused it: the app's page quotes the provider's answer (HTTP 500, golang.org/x/oauth2 says "oauth2: invalid_grant")`, "")
	// The provider refused the RP-initiated logout's post_logout_redirect_uri.
	exs, notes := loadRecording(t, "zitadel-web-signout.har")
	a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
	if got := rules.Assess(a, rules.Run(a, rules.All())); !strings.Contains(got.Reason, "was refused by the authorization server 127.0.0.1 (invalid_request)") {
		t.Errorf("web signout: verdict %s (%s)", got.Verdict, got.Reason)
	}
}
