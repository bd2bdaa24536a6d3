package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestAuthlibRecorded reads sign-ins recorded from a real Flask app signing
// in with Authlib 1.2.0 against oidc-provider (testdata/authlib/gen.sh):
// the browser's HARs and, for five stories, tcpdump's capture of both the
// browser's requests and the app's own calls to the provider. Authlib
// keeps each sign-in's state under a session key of its own, so two tabs
// both complete; a refusal is an exception, on Werkzeug's debugger page in
// debug mode ("mismatching_state: CSRF Warning! State not equal in
// request and response.", "OAuthError: invalid_client: …") and on Flask's
// plain 500 page otherwise. Before, the reload read as "the app redeemed
// the code again", the refused redemption as a callback the trace cannot
// explain, and the lost session cookie with the generic advice about
// SameSite=None cookies.
func TestAuthlibRecorded(t *testing.T) {
	checkRecorded(t, "authlib-clean.pcap", nil)
	checkRecorded(t, "authlib-two-tabs.pcap", nil)
	checkRecorded(t, "authlib-reload.pcap", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Warning,
		message: []string{`the app did not redeem the code again: the app refused it at frame 105 (HTTP 500, Authlib says "mismatching_state: CSRF Warning! State not equal in request and response.") without a token request`},
		remedy:  []string{"Authlib removes the sign-in's state from the session", "Catch authlib.integrations.base_client.errors.MismatchingStateError"}}})
	checkRecorded(t, "authlib-bad-secret.pcap", []rpWant{{rule: rules.ClientAuthFailed.ID, severity: rules.Error,
		message: []string{"refused the credentials of client authlib-app at frame 53 (invalid_client)", `Authlib says "OAuthError: invalid_client"`},
		remedy:  []string{"The app signs in with Authlib", "{NAME}_CLIENT_SECRET", "client_secret_basic by default"}}})
	checkRecorded(t, "authlib-lost-session-prod.pcap", []rpWant{{rule: rules.StateMismatch.ID, severity: rules.Error,
		message: []string{`(HTTP 500, Flask's page says "Internal Server Error" and names no cause): the request lacks the cookie(s) session`,
			"no other sign-in replaced it; the callback went to the host that set it and it was 382 bytes, under the 4 KB browsers keep", "which the trace cannot show"},
		remedy: []string{"Flask keeps its session", "SESSION_COOKIE_SAMESITE", "the same SECRET_KEY on every instance"}}})

	load := func(file string) (rules.Assessment, []rules.Finding) {
		t.Helper()
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		a := rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{})
		fs := rules.Run(a, rules.All())
		rules.Remediate(a, fs)
		return rules.Assess(a, fs), fs
	}
	for _, f := range []string{"authlib-clean.har", "authlib-two-tabs.har"} {
		if got, fs := load(f); got.Verdict != rules.VerdictClean || len(fs) != 0 {
			t.Errorf("%s: verdict %s (%s), findings %+v", f, got.Verdict, got.Reason, fs)
		}
	}
	// The HAR holds no redemption: the app's page says it refused the
	// replay before one.
	if _, fs := load("authlib-reload.har"); len(fs) != 1 || !strings.Contains(fs[0].Message, "the app most likely refused it before any redemption") ||
		strings.Contains(fs[0].Message, "the app redeemed the code again") || !strings.Contains(fs[0].Remediation, "MismatchingStateError") {
		t.Errorf("reload: %+v", fs)
	}
	// The provider's invalid_client, shown only by Authlib's words on the
	// page: the token request is the app's, out of the HAR.
	if got, fs := load("authlib-bad-secret.har"); got.Verdict != rules.VerdictFindings || len(fs) != 1 || fs[0].RuleID != rules.ClientAuthFailed.ID ||
		fs[0].Confidence != rules.ConfidenceMedium || !strings.Contains(fs[0].Message, "which cannot show which credential was sent") ||
		!strings.Contains(fs[0].Remediation, "The app signs in with Authlib") {
		t.Errorf("bad secret: verdict %s, findings %+v", got.Verdict, fs)
	}
	// Flask's plain 500 page names nothing: inconclusive, saying where the
	// cause is.
	if got, _ := load("authlib-bad-secret-prod.har"); got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "Flask's plain 500 page names no cause") {
		t.Errorf("bad secret, plain 500 page: verdict %s (%s)", got.Verdict, got.Reason)
	}
	if _, fs := load("authlib-lost-session.har"); len(fs) != 1 || !strings.Contains(fs[0].Remediation, "Authlib keeps each sign-in's state") {
		t.Errorf("lost session: %+v", fs)
	}
	// The user's refusal: Authlib raises the callback's own error, which
	// is not the app's redemption failing.
	if got, fs := load("authlib-denied.har"); got.Verdict != rules.VerdictInconclusive || len(fs) != 0 || !strings.Contains(got.Reason, "with access_denied") {
		t.Errorf("denied: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
}
