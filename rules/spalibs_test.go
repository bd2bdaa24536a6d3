package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestSPALibrariesRecorded reads sign-ins of real single-page apps
// recorded with Microsoft's MSAL.js 5 (@azure/msal-browser 5.31.0, its
// redirect bridge page, protocolMode OIDC) and oidc-client-ts 3.5.0, each
// library's own browser build, against oidc-provider over https, in
// Chromium (testdata/spa-libs/gen.sh): the browser's HARs, with hidden
// iframes and popups, and for five stories of each the capture with
// Chromium's TLS keys embedded. MSAL.js names itself (x-client-SKU);
// oidc-client-ts by its verifier and its authorize query.
//
// Before: the oidc-client-ts callback handled twice at once read as any
// browser app's, with MSAL.js's remedy; the oidc-client-ts callback loaded
// again read "and the app redeemed the code again" though no second token
// request was made (the library found no state and stopped); silent renewals needing the user
// and refused refresh tokens had remedies in no library's terms; a hidden
// iframe left without the provider's SameSite=Lax session cookies was put
// down to third-party cookie blocking; MSAL.js's refresh refused for a
// scope the grant lacked was "the trace cannot explain why".
func TestSPALibrariesRecorded(t *testing.T) {
	load := func(file string) (rules.Assessment, []rules.Finding, string) {
		t.Helper()
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		evs := oauth.ExtractAll(fx.Exchanges)
		lib := ""
		for _, ev := range evs {
			if ev.Library() != "" {
				lib = ev.Library()
			}
		}
		a := rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: evs}, rules.Options{})
		fs := rules.Run(a, rules.All())
		rules.Remediate(a, fs)
		return rules.Assess(a, fs), fs, lib
	}
	for _, tt := range []struct {
		file, lib, reason string
	}{
		{"msal-clean.har", "MSAL.js (msal-browser) 5.31.0", "1 sign-in completed"},
		{"msal-popup.har", "MSAL.js (msal-browser) 5.31.0", "1 sign-in completed"},
		{"msal-refresh.har", "MSAL.js (msal-browser) 5.31.0", "1 token refresh answered with tokens"},
		// Two tabs: MSAL.js keeps each tab's sign-in in that tab's
		// sessionStorage, oidc-client-ts one state per sign-in: no race.
		{"msal-two-tabs.har", "MSAL.js (msal-browser) 5.31.0", "2 sign-ins completed"},
		// MSAL.js's answer comes in the fragment, which the reopened
		// bridge page's request does not carry, and it redeems nothing.
		{"msal-reload.har", "MSAL.js (msal-browser) 5.31.0", "1 sign-in completed"},
		// handleRedirectPromise called twice at start-up (React 18's
		// StrictMode effect): MSAL.js 5 returns the first call's promise
		// to the second, one redemption.
		{"msal-double-callback.har", "MSAL.js (msal-browser) 5.31.0", "1 sign-in completed"},
		{"oidcts-clean.har", oauth.OIDCClientTS, "1 sign-in completed"},
		{"oidcts-popup.har", oauth.OIDCClientTS, "1 sign-in completed"},
		{"oidcts-refresh.har", oauth.OIDCClientTS, "1 token refresh answered with tokens"},
		{"oidcts-two-tabs.har", oauth.OIDCClientTS, "2 sign-ins completed"},
	} {
		got, fs, lib := load(tt.file)
		if got.Verdict != rules.VerdictClean || len(fs) != 0 || !strings.Contains(got.Reason, tt.reason) || lib != tt.lib {
			t.Errorf("%s: verdict %s (%s), library %q, findings %+v", tt.file, got.Verdict, got.Reason, lib, fs)
		}
	}

	type want struct {
		rule            string
		severity        rules.Severity
		message, remedy []string
	}
	check := func(file string, ws ...want) {
		t.Helper()
		_, fs, _ := load(file)
		if len(fs) != len(ws) {
			t.Errorf("%s: %d findings, want %d: %+v", file, len(fs), len(ws), fs)
			return
		}
		for i, w := range ws {
			f := fs[i]
			if f.RuleID != w.rule || f.Severity != w.severity {
				t.Errorf("%s: finding %d is %s %s, want %s %s", file, i, f.Severity, f.RuleID, w.severity, w.rule)
			}
			checkFindingSays(t, file, f, w.message, w.remedy)
		}
	}
	check("oidcts-reload.har", want{rules.CodeReuse.ID, rules.Warning,
		[]string{"and no second token request follows: oidc-client-ts removed the sign-in's state from storage when signinRedirectCallback handled the first callback", `"No matching state found in storage"`},
		[]string{"After signinRedirectCallback resolves", "userManager.getUser()"}})
	// signinRedirectCallback called twice: two redemptions with the one
	// verifier 2 ms apart, the provider refuses one.
	check("oidcts-double-callback.har", want{rules.CodeReuse.ID, rules.Error,
		[]string{"oidc-client-ts redeemed the code twice at once with the sign-in's one PKCE verifier: signinRedirectCallback ran twice on the callback page", "refused with invalid_grant"},
		[]string{"Call oidc-client-ts's signinRedirectCallback once per page load", "useRef"}})
	check("msal-silent-login-required.har", want{rules.InteractionRequired.ID, rules.Info,
		[]string{"with login_required", "MSAL.js (msal-browser) 5.31.0 made it (prompt=none in a hidden iframe)"},
		[]string{"InteractionRequiredAuthError", "loginRedirect or acquireTokenRedirect"}})
	check("oidcts-silent-login-required.har", want{rules.InteractionRequired.ID, rules.Info,
		[]string{"with login_required", "oidc-client-ts made it (prompt=none in a hidden iframe)"},
		[]string{"signinSilent", "call signinRedirect"}})
	check("msal-refresh-expired.har",
		want{rules.InteractionRequired.ID, rules.Info,
			[]string{"the provider set them SameSite=Lax or Strict (_session, _session.sig), which no browser sends in a cross-site frame"},
			[]string{"SameSite=None; Secure", "acquireTokenSilent then rejects with InteractionRequiredAuthError"}},
		want{rules.RefreshTokenExpired.ID, rules.Warning,
			[]string{"(invalid_grant)", "MSAL.js (msal-browser) 5.31.0 sent it from the browser (Origin http://localhost:4942) and then, as MSAL.js does when a refresh token is refused, renewed silently at"},
			[]string{"InteractionRequiredAuthError", "acquireTokenRedirect"}})
	check("oidcts-refresh-expired.har", want{rules.RefreshTokenExpired.ID, rules.Warning,
		[]string{"oidc-client-ts sent it from the browser (Origin http://localhost:4943), and made no other attempt"},
		[]string{"removeUser() and signinRedirect()"}})
	check("msal-redirect-mismatch.har", want{rules.RedirectURIMismatch.ID, rules.Error,
		[]string{`"http://localhost:4942/auth/callback"`, "not registered for client msal-spa"}, nil})
	check("oidcts-redirect-mismatch.har", want{rules.RedirectURIMismatch.ID, rules.Error,
		[]string{`"http://localhost:4943/auth/callback"`, "not registered for client oidc-spa"}, nil})
	// The captures (Chromium's TLS keys embedded) read as the HARs do.
	checkRecorded(t, "msal-clean.pcapng", nil)
	checkRecorded(t, "msal-reload.pcapng", nil)
	checkRecorded(t, "oidcts-clean.pcapng", nil)
	checkRecorded(t, "msal-double-callback.pcapng", nil)
	checkRecorded(t, "oidcts-double-callback.pcapng", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Error,
		message: []string{"the redemption at frame 76 won", "frame 77 was refused with invalid_grant", "signinRedirectCallback ran twice"},
		remedy:  []string{"signinRedirectCallback once per page load"}}})
	checkRecorded(t, "oidcts-reload.pcapng", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Warning,
		message: []string{"one redemption is visible (frame 66)", "loaded again at frame 72", "and no second token request follows: oidc-client-ts removed"},
		remedy:  []string{"After signinRedirectCallback resolves"}}})
	checkRecorded(t, "msal-silent-login-required.pcapng", []rpWant{{rule: rules.InteractionRequired.ID, severity: rules.Info,
		message: []string{"with login_required (first at frame 40)", "MSAL.js (msal-browser) 5.31.0 made it (prompt=none in a hidden iframe)"},
		remedy:  []string{"InteractionRequiredAuthError"}}})
	checkRecorded(t, "oidcts-silent-login-required.pcapng", []rpWant{{rule: rules.InteractionRequired.ID, severity: rules.Info,
		message: []string{"with login_required (first at frame 40)", "oidc-client-ts made it (prompt=none in a hidden iframe)"},
		remedy:  []string{"signinSilent"}}})
	checkRecorded(t, "msal-refresh-expired.pcapng", []rpWant{
		{rule: rules.InteractionRequired.ID, severity: rules.Info,
			message: []string{"(first at frame 92)", "SameSite=Lax or Strict (_session, _session.sig)"},
			remedy:  []string{"SameSite=None; Secure"}},
		{rule: rules.RefreshTokenExpired.ID, severity: rules.Warning,
			message: []string{"refused the refresh token at frame 72 (invalid_grant)", "renewed silently at frame 92 (prompt=none, in a hidden iframe)"},
			remedy:  []string{"acquireTokenRedirect"}}})
	checkRecorded(t, "oidcts-refresh-expired.pcapng", []rpWant{{rule: rules.RefreshTokenExpired.ID, severity: rules.Warning,
		message: []string{"refused the refresh token at frame 76 (invalid_grant)", "oidc-client-ts sent it from the browser (Origin http://localhost:4943), and made no other attempt"},
		remedy:  []string{"removeUser() and signinRedirect()"}}})

	if got, fs, _ := load("msal-refresh-invalid-scope.har"); got.Verdict != rules.VerdictInconclusive || len(fs) != 0 ||
		!strings.Contains(got.Reason, `had granted "openid profile", without offline_access`) || !strings.Contains(got.Reason, "prompt=consent") {
		t.Errorf("refresh invalid_scope: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
}
