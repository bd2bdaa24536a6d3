package rules_test

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// rpWant is one finding a recording must produce: its rule, severity and
// words of its message and remediation.
type rpWant struct {
	rule     string
	severity rules.Severity
	message  []string
	remedy   []string
}

// checkRecorded runs every rule over a capture of testdata as scan does
// (remediation written for the case) and compares the findings with want,
// in order; nothing else may be reported.
func checkRecorded(t *testing.T, name string, want []rpWant) {
	t.Helper()
	exs, notes := loadRecording(t, name)
	a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
	fs := rules.Run(a, rules.All())
	rules.Remediate(a, fs) // as scan does
	if len(fs) != len(want) {
		for _, f := range fs {
			t.Errorf("%s: %s %s: %s", name, f.Severity, f.RuleID, f.Message)
		}
		t.Fatalf("%s: %d findings, want %d", name, len(fs), len(want))
	}
	for i, w := range want {
		f := fs[i]
		if f.RuleID != w.rule || f.Severity != w.severity {
			t.Errorf("%s: finding %d is %s %s, want %s %s: %s", name, i, f.Severity, f.RuleID, w.severity, w.rule, f.Message)
			continue
		}
		checkFindingSays(t, name, f, w.message, w.remedy)
	}
}

// checkFindingSays reports each of message's words f's message lacks and
// each of remedy's its remediation lacks.
func checkFindingSays(t *testing.T, name string, f rules.Finding, message, remedy []string) {
	t.Helper()
	for _, s := range message {
		if !strings.Contains(f.Message, s) {
			t.Errorf("%s: %s: no %q in %s", name, f.RuleID, s, f.Message)
		}
	}
	for _, s := range remedy {
		if !strings.Contains(f.Remediation, s) {
			t.Errorf("%s: %s: no %q in the remediation %s", name, f.RuleID, s, f.Remediation)
		}
	}
}

// checkOneFinding scans a recording with every rule, remedied as scan
// does: no finding when rule is "", else exactly one of rule whose message
// holds message and whose remediation holds remedy. It returns the
// verdict for the caller's own checks.
func checkOneFinding(t *testing.T, name, rule, message, remedy string) rules.Assessment {
	t.Helper()
	exs, notes := loadRecording(t, name)
	a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
	fs := rules.Run(a, rules.All())
	rules.Remediate(a, fs)
	if rule == "" {
		for _, f := range fs {
			t.Errorf("%s: unexpected %s %s", name, f.RuleID, f.Message)
		}
	} else if len(fs) != 1 || fs[0].RuleID != rule || !strings.Contains(fs[0].Message, message) || !strings.Contains(fs[0].Remediation, remedy) {
		for _, f := range fs {
			t.Errorf("%s: %s %s (remedy: %s)", name, f.RuleID, f.Message, f.Remediation)
		}
		t.Errorf("%s: want one %s saying %q", name, rule, message)
	}
	return rules.Assess(a, fs)
}

// TestModAuthOpenIDCRecorded reads sign-ins through Apache's
// mod_auth_openidc 2.4.12 (Debian 12's package) against oidc-provider,
// recorded on lo with its back channel (testdata/rp-modules/gen.sh).
func TestModAuthOpenIDCRecorded(t *testing.T) {
	checkRecorded(t, "modoidc-clean.pcap", nil)
	// Two tabs: a state cookie per sign-in, both complete.
	checkRecorded(t, "modoidc-two-tabs.pcap", nil)
	// The callback loaded again after the sign-in: mod_auth_openidc sees
	// the session already holds the state and redirects into the app
	// without a token request. Not reuse.
	checkRecorded(t, "modoidc-replay.pcap", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Info,
		message: []string{"the app did not redeem the code again: mod_auth_openidc answered it at frame 96 with HTTP 302 to http://localhost:4712/protected/ without a token request"},
		remedy:  []string{"Nothing to fix"}}})
	// The callback sent twice at once, both with the state cookie: both
	// redeem, the provider refuses the second and revokes the grant.
	checkRecorded(t, "modoidc-double-callback.pcap", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Error,
		message: []string{"was redeemed 2 times; the redemption at frame 58 won", "frame 63 was refused with invalid_grant",
			"requested again at frame 53 before the first delivery (frame 51) was answered", "(GET frame 90) was refused with HTTP 401",
			`the app answered the callback at frame 51 with its error (an HTTP 200 failure page, mod_auth_openidc says "OpenID Connect Provider error: Error in handling response type.")`}}})
	// The state cookie dropped before the callback: Apache's plain 400.
	checkRecorded(t, "modoidc-lost-state.pcap", []rpWant{{rule: rules.StateMismatch.ID, severity: rules.Error,
		message: []string{"the app refused the callback at frame 54 (HTTP 400): the request lacks the cookie(s) mod_auth_openidc_state_<sha256:",
			"mod_auth_openidc names its state cookie after the sign-in's state"},
		remedy: []string{"OIDCStateTimeout", "OIDCDefaultURL"}}})
	checkRecorded(t, "modoidc-redirect-mismatch.pcap", []rpWant{{rule: rules.RedirectURIMismatch.ID, severity: rules.Error,
		message: []string{`rejected the redirect URI "http://localhost:4712/redirect_uri" at authorize time (invalid_redirect_uri)`,
			"the sign-in was started by Apache's mod_auth_openidc (its state cookie set at frame 14), which sends its OIDCRedirectURI"},
		remedy: []string{`Register exactly "http://localhost:4712/redirect_uri"`, "set OIDCRedirectURI"}}})
	// A wrong OIDCClientSecret: the provider's invalid_client, and the
	// module's own error page, answered 200.
	checkRecorded(t, "modoidc-wrong-secret.pcap", []rpWant{{rule: rules.ClientAuthFailed.ID, severity: rules.Error,
		message: []string{"refused the credentials of client modoidc-app at frame 55 (invalid_client)",
			`the app answered the callback at frame 51 (an HTTP 200 failure page, mod_auth_openidc says "OpenID Connect Provider error: Error in handling response type.")`},
		remedy: []string{"set OIDCClientSecret"}}})
}

// TestOAuth2ProxyRecorded reads sign-ins through oauth2-proxy v7.15.6
// against oidc-provider, recorded on lo with its back channel
// (testdata/rp-modules/gen.sh).
func TestOAuth2ProxyRecorded(t *testing.T) {
	checkRecorded(t, "o2p-clean.pcap", nil)
	// The callback loaded again after the sign-in: oauth2-proxy cleared
	// its CSRF cookie at the first and refuses the second with 403,
	// without redeeming. Not a lost cookie, not a second redemption.
	checkRecorded(t, "o2p-replay.pcap", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Warning,
		message: []string{`the app did not redeem the code again: the app refused it at frame 74 (HTTP 403, oauth2-proxy says "Unable to find a valid CSRF token.") without a token request`},
		remedy:  []string{"oauth2-proxy clears its _oauth2_proxy_csrf cookie"}}})
	checkRecorded(t, "o2p-double-callback.pcap", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Error,
		message: []string{"redeemed 2 times (frame 71 repeats the refused frame 60 with a client_secret in the body", "the redemption at frame 53 won", "frame 60 was refused with invalid_grant",
			"requested again at frame 51 before the first delivery (frame 49) was answered", "(GET frame 67) was refused with HTTP 401",
			`the app answered the callback at frame 49 with its error (HTTP 500, oauth2-proxy says "Oops! Something went wrong.`}}})
	checkRecorded(t, "o2p-lost-state.pcap", []rpWant{{rule: rules.StateMismatch.ID, severity: rules.Error,
		message: []string{`the app refused the callback at frame 47 (HTTP 403, oauth2-proxy says "Unable to find a valid CSRF token."): the request lacks the cookie(s) _oauth2_proxy_csrf`},
		remedy:  []string{"cookie-csrf-expire"}}})
	// One CSRF cookie: tab B's start replaced A's; then the browser's
	// /favicon.ico, unauthenticated, started a third sign-in that
	// replaced B's.
	race := rpWant{rule: rules.MultiTabRace.ID, severity: rules.Error,
		message: []string{`failed (HTTP 403, oauth2-proxy says "Unable to find a valid CSRF token.")`},
		remedy:  []string{"--cookie-csrf-per-request=true", "--skip-auth-route"}}
	favicon := race
	favicon.message = append([]string{"sign-in #3 was not a user's: the app answered the browser's request for /favicon.ico at frame 75"}, race.message...)
	checkRecorded(t, "o2p-two-tabs.pcap", []rpWant{race, favicon})
	checkRecorded(t, "o2p-redirect-mismatch.pcap", []rpWant{{rule: rules.RedirectURIMismatch.ID, severity: rules.Error,
		message: []string{`rejected the redirect URI "http://localhost:4713/oauth2/callback2" at authorize time`,
			"the sign-in was started by oauth2-proxy (its CSRF cookie set at frame 18), which sends its --redirect-url"},
		remedy: []string{`Register exactly "http://localhost:4713/oauth2/callback2"`, "set oauth2-proxy's --redirect-url"}}})
	// A wrong --client-secret: golang.org/x/oauth2 retries the refused
	// redemption with the secret in the body; one finding, no reuse.
	checkRecorded(t, "o2p-wrong-secret.pcap", []rpWant{{rule: rules.ClientAuthFailed.ID, severity: rules.Error,
		message: []string{"at frame 49 (invalid_client); the client authenticated with HTTP Basic, then retried the same code at frame 53 with a client_secret in the body, refused again (invalid_client)",
			`the app answered the callback at frame 48 (HTTP 500, oauth2-proxy says "Oops! Something went wrong.`},
		remedy: []string{"set --client-secret"}}})
}
