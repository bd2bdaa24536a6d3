package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// loadRecorded runs every rule over a HAR of testdata as scan does and
// returns the verdict and the findings.
func loadRecorded(t *testing.T, file string) (rules.Assessment, []rules.Finding) {
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

// wantOne checks that a HAR gives one finding of rule whose message and
// remediation hold the words given.
func wantOne(t *testing.T, file, rule string, message, remedy []string) {
	t.Helper()
	_, fs := loadRecorded(t, file)
	if len(fs) != 1 || fs[0].RuleID != rule {
		t.Errorf("%s: want one %s finding, got %+v", file, rule, fs)
		return
	}
	for _, s := range message {
		if !strings.Contains(fs[0].Message, s) {
			t.Errorf("%s: no %q in %s", file, s, fs[0].Message)
		}
	}
	for _, s := range remedy {
		if !strings.Contains(fs[0].Remediation, s) {
			t.Errorf("%s: no %q in the remediation %s", file, s, fs[0].Remediation)
		}
	}
}

// TestMSALNodeRecorded reads sign-ins of an Express web app using
// @azure/msal-node 7.2's confidential client as Microsoft's Node.js
// tutorial does (getAuthCodeUrl, acquireTokenByCode with the callback's
// parameters; PKCE and state in an express-session session), against
// oidc-provider over HTTPS in MSAL's OIDC protocol mode
// (testdata/node-webapps/gen.sh): the browser's HARs and, for four
// stories, tcpdump's capture with the TLS keys embedded, which holds the
// app's token requests (x-client-SKU msal.js.node). MSAL Node is named by
// the authorize request's x-client-SKU and by its errors on Express's
// page: ClientAuthError state_mismatch, and ServerError quoting the
// provider's answer to acquireTokenByCode. Before, the wrong secret was a
// callback the HAR could not explain, and every remedy was generic.
func TestMSALNodeRecorded(t *testing.T) {
	checkRecorded(t, "msalnode-clean.pcapng", nil)
	checkRecorded(t, "msalnode-two-tabs.pcapng", []rpWant{{rule: rules.MultiTabRace.ID, severity: rules.Error,
		message: []string{`sign-in #1's callback at frame 83 failed (HTTP 500, MSAL Node says "ClientAuthError: state_mismatch")`},
		remedy:  []string{"keyed by the state (req.session.authRequests[state]", "acquireTokenByCode"}}})
	checkRecorded(t, "msalnode-reload.pcapng", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Error,
		message: []string{"frame 93 was refused with invalid_grant", `the app answered the callback at frame 92 with its error (HTTP 500, MSAL Node says "ServerError: invalid_grant")`},
		remedy:  []string{"MSAL Node keeps no record of a callback it handled", "(pkceCodes, authCodeRequest) once acquireTokenByCode has run"}}})
	checkRecorded(t, "msalnode-bad-secret.pcapng", []rpWant{{rule: rules.ClientAuthFailed.ID, severity: rules.Error,
		message: []string{"refused the credentials of client msalnode-app at frame 74 (invalid_client); the client authenticated with a client_secret in the body", `MSAL Node says "ServerError: invalid_client"`},
		remedy:  []string{"The app signs in with MSAL Node", "auth.clientSecret"}}})

	if got, fs := loadRecorded(t, "msalnode-clean.har"); got.Verdict != rules.VerdictClean || len(fs) != 0 {
		t.Errorf("clean: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	wantOne(t, "msalnode-bad-secret.har", rules.ClientAuthFailed.ID,
		[]string{`MSAL Node says "ServerError: invalid_client"): MSAL Node raises the provider's answer to the app's own token request`},
		[]string{"ConfidentialClientApplication", "auth.clientSecret"})
	wantOne(t, "msalnode-reload.har", rules.CodeReuse.ID,
		[]string{`the app redeemed the code again and the provider refused it: the app's page quotes the provider's answer (HTTP 500, MSAL Node says "ServerError: invalid_grant")`},
		[]string{"MSAL Node keeps no record"})
	wantOne(t, "msalnode-two-tabs.har", rules.MultiTabRace.ID,
		[]string{`MSAL Node says "ClientAuthError: state_mismatch"`}, []string{"req.session.authRequests[state]"})
	wantOne(t, "msalnode-redirect-mismatch.har", rules.RedirectURIMismatch.ID,
		[]string{"the sign-in was started by MSAL Node 7.2.4 (the authorize request's x-client-SKU), which sends the redirectUri of the app's getAuthCodeUrl request"},
		[]string{`Register exactly "http://localhost:4952/auth/callback"`, "getAuthCodeUrl and acquireTokenByCode requests that URI as redirectUri"})
	// The session lost: MSAL checks no state the app's request lacks, and
	// redeems the code without its verifier.
	wantOne(t, "msalnode-lost-session.har", rules.StateMismatch.ID,
		[]string{"lacks the cookie(s) connect.sid", "no other sign-in removed it", `(ServerError: invalid_grant): with the session gone the app's request carried no state and no PKCE verifier`},
		[]string{"express-session session", "before calling acquireTokenByCode"})
	// The user's refusal: MSAL raises request_cannot_be_made, the
	// callback's own error says why.
	if got, fs := loadRecorded(t, "msalnode-denied.har"); got.Verdict != rules.VerdictInconclusive || len(fs) != 0 || !strings.Contains(got.Reason, "with access_denied") {
		t.Errorf("denied: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
}

// TestAuthJSRecorded reads sign-ins of an Express web app using Auth.js
// (@auth/express 0.12 on @auth/core 0.41, next-auth 5's core) with one
// OpenID Connect provider and its default PKCE check
// (testdata/node-webapps/gen.sh). Auth.js sends no state, keeps the PKCE
// verifier in one cookie per browser (authjs.pkce.code_verifier) and
// answers every failure with a redirect naming error=Configuration only.
// Before, two tabs were a callback the HAR could not explain (the codes,
// without state, went to the wrong sign-ins: navigationTx now follows the
// provider's redirects and the login page's Referer), the reload read as
// a second redemption, and the remedies were generic.
func TestAuthJSRecorded(t *testing.T) {
	checkRecorded(t, "authjs-clean.pcapng", nil)
	checkRecorded(t, "authjs-two-tabs.pcapng", []rpWant{{rule: rules.MultiTabRace.ID, severity: rules.Error,
		message: []string{"the token request at frame 98 redeems the code of sign-in #1 with the PKCE verifier of sign-in #2", "the app refused the callback at frame 93 (redirected to http://localhost:4952/auth/error?error=Configuration",
			"the callback at frame 93 carried the authjs.pkce.code_verifier cookie sign-in #2's start set at frame 58, which replaced the one sign-in #1's start set at frame 15"},
		remedy: []string{"Auth.js keeps one cookie per check and browser", "redeemed with the second's PKCE verifier", "pages.error"}}})
	checkRecorded(t, "authjs-reload.pcapng", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Warning,
		message: []string{"one redemption is visible (frame 83)", "the app did not redeem the code again: the app refused it at frame 93"},
		remedy:  []string{"Auth.js deletes its PKCE cookie", "InvalidCheck: pkceCodeVerifier value could not be parsed"}}})
	checkRecorded(t, "authjs-bad-secret.pcapng", []rpWant{{rule: rules.ClientAuthFailed.ID, severity: rules.Error,
		message: []string{"refused the credentials of client authjs-app at frame 84 (invalid_client); the client authenticated with HTTP Basic", "error=Configuration"},
		remedy:  []string{"The app signs in with Auth.js", "AUTH_<PROVIDER>_SECRET", "token_endpoint_auth_method"}}})

	if got, fs := loadRecorded(t, "authjs-clean.har"); got.Verdict != rules.VerdictClean || len(fs) != 0 {
		t.Errorf("clean: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	wantOne(t, "authjs-two-tabs.har", rules.MultiTabRace.ID,
		[]string{"sign-in #1's callback at entries[13] failed (redirected to http://localhost:4952/auth/error?error=Configuration",
			"Auth.js keeps one cookie per check (PKCE verifier, state, nonce) and browser",
			"the callback at entries[13] carried the authjs.pkce.code_verifier cookie sign-in #2's start set at entries[6], which replaced the one sign-in #1's start set at entries[2]"},
		[]string{"Auth.js keeps one cookie per check and browser"})
	wantOne(t, "authjs-reload.har", rules.CodeReuse.ID,
		[]string{"its answer deleted the cookie(s) authjs.pkce.code_verifier that the sign-in's start set, and this callback came without them, so the app refused it before any redemption"},
		[]string{"Auth.js deletes its PKCE cookie"})
	wantOne(t, "authjs-lost-session.har", rules.StateMismatch.ID,
		[]string{"lacks the cookie(s) authjs.pkce.code_verifier", "no other sign-in in this trace set it again", "inside the 15 minutes Auth.js gives it"},
		[]string{"AUTH_URL", "AUTH_SECRET", "pages.error"})
	wantOne(t, "authjs-redirect-mismatch.har", rules.RedirectURIMismatch.ID,
		[]string{"the sign-in was started by Auth.js (its cookies set at entries[2])"},
		[]string{`Register exactly "http://localhost:4952/auth/callback/lab"`, "/callback/<provider id>", "AUTH_TRUST_HOST"})
	// The wrong secret: Auth.js shows error=Configuration only. The trace
	// rules out its check cookie, and says where the cause is.
	got, fs := loadRecorded(t, "authjs-bad-secret.har")
	if got.Verdict != rules.VerdictInconclusive || len(fs) != 1 || fs[0].RuleID != rules.TraceQuality.ID ||
		!strings.Contains(got.Reason, "authjs.pkce.code_verifier, set when the sign-in started at entries[2], came back with this callback, the code's first delivery, as they were set") ||
		!strings.Contains(fs[0].Remediation, "[auth][cause]") {
		t.Errorf("bad secret: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	if got, fs := loadRecorded(t, "authjs-denied.har"); got.Verdict != rules.VerdictInconclusive || len(fs) != 0 || !strings.Contains(got.Reason, "with access_denied") {
		t.Errorf("denied: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
}

// TestOpenIDClient6Recorded reads sign-ins of an Express web app using
// openid-client 6's API (discovery, buildAuthorizationUrl,
// authorizationCodeGrant with pkceCodeVerifier, expectedState and
// expectedNonce kept in an express-session session), whose error page
// shows the error, its code and its cause (testdata/node-webapps/gen.sh).
// oauth4webapi's reasons are read: "unexpected "state" response parameter
// value" (another tab's sign-in) and "… encountered" (no session), and a
// ResponseBodyError with the provider's error. Before, the wrong secret
// was a callback the HAR could not explain, and the remedies named
// openid-client 5's API.
func TestOpenIDClient6Recorded(t *testing.T) {
	checkRecorded(t, "oidc6-clean.pcapng", nil)
	checkRecorded(t, "oidc6-two-tabs.pcapng", []rpWant{{rule: rules.MultiTabRace.ID, severity: rules.Error,
		message: []string{`sign-in #1's callback at frame 87 failed (HTTP 500, openid-client says "unexpected \"state\" response parameter value")`},
		remedy:  []string{"expectedState", "authorizationCodeGrant", "req.session.oidc[state]"}}})
	checkRecorded(t, "oidc6-reload.pcapng", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Error,
		message: []string{"frame 110 was refused with invalid_grant", `openid-client says "ResponseBodyError: invalid_grant"`},
		remedy:  []string{"openid-client 6 keeps no record", "once authorizationCodeGrant has run"}}})
	checkRecorded(t, "oidc6-bad-secret.pcapng", []rpWant{{rule: rules.ClientAuthFailed.ID, severity: rules.Error,
		message: []string{"refused the credentials of client oidc6-app at frame 83 (invalid_client)", `openid-client says "ResponseBodyError: invalid_client"`},
		remedy:  []string{"The app uses openid-client", "discovery() in openid-client 6"}}})

	if got, fs := loadRecorded(t, "oidc6-clean.har"); got.Verdict != rules.VerdictClean || len(fs) != 0 {
		t.Errorf("clean: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	wantOne(t, "oidc6-bad-secret.har", rules.ClientAuthFailed.ID,
		[]string{`openid-client says "ResponseBodyError: invalid_client"): openid-client raises the provider's answer`}, []string{"discovery() in openid-client 6"})
	wantOne(t, "oidc6-reload.har", rules.CodeReuse.ID,
		[]string{`the app redeemed the code again and the provider refused it: the app's page quotes the provider's answer (HTTP 500, openid-client says "ResponseBodyError: invalid_grant")`},
		[]string{"openid-client 6 keeps no record"})
	wantOne(t, "oidc6-two-tabs.har", rules.MultiTabRace.ID,
		[]string{`openid-client says "unexpected \"state\" response parameter value"`}, []string{"expectedState"})
	wantOne(t, "oidc6-lost-session.har", rules.StateMismatch.ID,
		[]string{`openid-client says "unexpected \"state\" response parameter encountered"`, "lacks the cookie(s) connect.sid"},
		[]string{"express-session session", "passes authorizationCodeGrant no expectedState"})
	wantOne(t, "oidc6-redirect-mismatch.har", rules.RedirectURIMismatch.ID,
		[]string{"not registered for client oidc6-app"}, []string{`Register exactly "http://localhost:4952/callback"`})
	if got, fs := loadRecorded(t, "oidc6-denied.har"); got.Verdict != rules.VerdictInconclusive || len(fs) != 0 || !strings.Contains(got.Reason, "with access_denied") {
		t.Errorf("denied: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
}
