package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestOpenIDClientRecorded reads sign-ins recorded from a real Express app
// using openid-client 5.7 directly, its state and PKCE verifier in an
// express-session session as the library's README suggests, against
// oidc-provider (testdata/openid-client/gen.sh): the browser's HARs and,
// for four stories, tcpdump's capture with the app's back channel.
// openid-client's errors reach the browser on Express's error page:
// "RPError: state mismatch, expected …, got: …" (the states not quoted),
// "checks.state argument is missing", and OPError with the provider's
// answer to the app's own token request ("OPError: invalid_client (…)").
// Before, the wrong secret was a callback the trace cannot explain in the
// HAR, the lost session cookie had the express-openid-connect remedy about
// its auth_verification cookie, and two tabs the generic one.
func TestOpenIDClientRecorded(t *testing.T) {
	checkRecorded(t, "oidclient-clean.pcap", nil)
	checkRecorded(t, "oidclient-two-tabs.pcap", []rpWant{{rule: rules.MultiTabRace.ID, severity: rules.Error,
		message: []string{`sign-in #1's callback at frame 68 failed (HTTP 500, openid-client says "RPError: state mismatch")`},
		remedy:  []string{"keyed by the state (req.session.oidc[state]", "RPError state mismatch"}}})
	checkRecorded(t, "oidclient-reload.pcap", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Error,
		message: []string{"frame 85 was refused with invalid_grant", `the app answered the callback at frame 84 with its error (HTTP 500, openid-client says "OPError: invalid_grant")`},
		remedy:  []string{"openid-client keeps no record of a callback it handled", "Delete the state and verifier from the session"}}})
	checkRecorded(t, "oidclient-bad-secret.pcap", []rpWant{{rule: rules.ClientAuthFailed.ID, severity: rules.Error,
		message: []string{"refused the credentials of client oidclient-app at frame 56 (invalid_client)", `openid-client says "OPError: invalid_client"`},
		remedy:  []string{"The app uses openid-client", "new issuer.Client"}}})

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
	if got, fs := load("oidclient-clean.har"); got.Verdict != rules.VerdictClean || len(fs) != 0 {
		t.Errorf("clean: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	// The HAR lacks the redemptions; the page quotes the provider's
	// refusal of the second.
	if _, fs := load("oidclient-reload.har"); len(fs) != 1 || fs[0].RuleID != rules.CodeReuse.ID ||
		!strings.Contains(fs[0].Message, `the app redeemed the code again and the provider refused it: the app's page quotes the provider's answer (HTTP 500, openid-client says "OPError: invalid_grant")`) {
		t.Errorf("reload: %+v", fs)
	}
	if got, fs := load("oidclient-bad-secret.har"); got.Verdict != rules.VerdictFindings || len(fs) != 1 || fs[0].RuleID != rules.ClientAuthFailed.ID ||
		!strings.Contains(fs[0].Remediation, "The app uses openid-client") {
		t.Errorf("bad secret: verdict %s, findings %+v", got.Verdict, fs)
	}
	// express-session's cookie lost: its remedy, not express-openid-connect's.
	if _, fs := load("oidclient-lost-session.har"); len(fs) != 1 || !strings.Contains(fs[0].Message, `openid-client says "checks.state argument is missing"`) ||
		!strings.Contains(fs[0].Remediation, "express-session session") || strings.Contains(fs[0].Remediation, "auth_verification") {
		t.Errorf("lost session: %+v", fs)
	}
	// The user's refusal, re-raised as an OPError: the callback's own error.
	if got, fs := load("oidclient-denied.har"); got.Verdict != rules.VerdictInconclusive || len(fs) != 0 || !strings.Contains(got.Reason, "with access_denied") {
		t.Errorf("denied: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
}
