package rules_test

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestDjangoOAuthToolkitRecorded reads sign-ins against a real
// django-oauth-toolkit 1.7.0 (Debian's python3-django-oauth-toolkit,
// oauthlib 3.2.2, Django 3.2) by a web app, recorded with the app's back
// channel (testdata/django-oauth-toolkit/gen.sh): its token endpoint
// answers a reused, expired or wrongly proven code and a used-up refresh
// token alike, 400 {"error": "invalid_grant"} with no description.
func TestDjangoOAuthToolkitRecorded(t *testing.T) {
	checkRecorded(t, "dot-clean.pcap", nil)
	checkRecorded(t, "dot-bad-secret.pcap", []rpWant{{rule: "client-auth-failed", severity: rules.Error,
		message: []string{"django-oauth-toolkit refused the credentials of client web-app", "(invalid_client)", "HTTP Basic"},
		remedy:  []string{"Django OAuth Toolkit → Applications → the application → Client secret", "the value the admin shows afterwards is the hash"}}})
	checkRecorded(t, "dot-code-reuse.pcap", []rpWant{{rule: "code-reuse", severity: rules.Error,
		message: []string{"was redeemed 2 times", "was refused with invalid_grant", "the callback URL was loaded again"}}})
	checkRecorded(t, "dot-pkce-mismatch.pcap", []rpWant{{rule: "pkce-mismatch", severity: rules.Error,
		message: []string{"does not prove the S256 code_challenge", "django-oauth-toolkit refused it (invalid_grant)"}}})
	// The app sent no code_verifier: oauthlib's MissingCodeVerifierError,
	// 400 invalid_request "Code verifier required.".
	checkRecorded(t, "dot-pkce-missing.pcap", []rpWant{{rule: "pkce-missing", severity: rules.Error,
		message: []string{"sends no code_verifier", "django-oauth-toolkit refused it (invalid_request)"}}})
	// The provider keeps codes 2 s (gen.sh); the app waited 5 s.
	checkRecorded(t, "dot-code-expired.pcap", []rpWant{{rule: "code-expired", severity: rules.Warning,
		message: []string{"django-oauth-toolkit refused authorization code", "with invalid_grant 5s after it was issued",
			"django-oauth-toolkit keeps codes 60 seconds by default: its AUTHORIZATION_CODE_EXPIRE_SECONDS setting", "the app paused 5s"},
		remedy: []string{"django-oauth-toolkit's AUTHORIZATION_CODE_EXPIRE_SECONDS in the Django site's OAUTH2_PROVIDER settings, 60 by default"}}})
	// The app refreshed twice with the sign-in's refresh token; DOT
	// rotates refresh tokens (ROTATE_REFRESH_TOKEN) with no grace period.
	checkRecorded(t, "dot-refresh-reused.pcap", []rpWant{{rule: "refresh-token-expired", severity: rules.Error,
		message: []string{"was used again at frame", "had rotated it", "the client keeps the old refresh token"},
		remedy:  []string{"django-oauth-toolkit rotates refresh tokens by default (ROTATE_REFRESH_TOKEN)", "REFRESH_TOKEN_GRACE_PERIOD_SECONDS"}}})

	type want struct {
		rule, message, remedy string
	}
	for name, w := range map[string]want{
		"dot-clean.har": {},
		"dot-redirect-mismatch.har": {"redirect-uri-mismatch",
			`django-oauth-toolkit rejected the redirect URI "http://localhost:4967/signin-oidc" at authorize time, once the user had signed in (its authorize page says "Mismatching redirect URI.", invalid_request, and does not send the browser back to the app)`,
			`Django OAuth Toolkit → Applications → the application whose Client id is web-app → Redirect uris → add exactly "http://localhost:4967/signin-oidc"`},
		"dot-code-reuse.har": {"code-reuse", "the callback URL was loaded again", ""},
		"dot-two-tabs.har":   {"multi-tab-race", "carries cookie app_verifier holding sign-in #2's PKCE verifier", ""},
		// The refreshes are on the app's back channel: the browser saw a
		// sign-in and then the app's own error page.
		"dot-refresh-reused.har": {},
	} {
		got := checkOneFinding(t, name, w.rule, w.message, w.remedy)
		if w.rule == "" && got.Verdict != rules.VerdictClean {
			t.Errorf("%s: verdict %s (%s)", name, got.Verdict, got.Reason)
		}
	}
	// Cancel on DOT's consent page: access_denied, bare, at the callback,
	// which DOT sends for nothing else.
	if got := checkOneFinding(t, "dot-denied.har", "", "", ""); got.Verdict != rules.VerdictInconclusive ||
		!strings.Contains(got.Reason, "django-oauth-toolkit sends it only when its consent page's form comes back without its allow field: the user pressed Cancel") ||
		strings.Contains(got.Reason, "a policy of the provider denied it") {
		t.Errorf("dot-denied.har: verdict %s (%s)", got.Verdict, got.Reason)
	}
}

// TestDjangoOAuthToolkitProvider: django-oauth-toolkit is named by its
// endpoints where its documentation includes them (/o/authorize/,
// /o/token/), in the browser's requests and the app's back channel alike.
func TestDjangoOAuthToolkitProvider(t *testing.T) {
	exs, _ := loadRecording(t, "dot-refresh-reused.pcap")
	n := map[model.EventKind]int{}
	for _, ev := range oauth.ExtractAll(exs) {
		switch ev.Kind {
		case model.AuthorizeRequest, model.CodeIssued, model.TokenRequest, model.TokenResponse:
			n[ev.Kind]++
			if ev.Provider().Family != model.FamilyDjangoOAuthToolkit {
				t.Errorf("%s %s: provider %+v", ev.Ref, ev.Kind, ev.Provider())
			}
		}
	}
	// One sign-in, its redemption and two refreshes.
	if n[model.AuthorizeRequest] < 1 || n[model.CodeIssued] < 1 || n[model.TokenRequest] != 3 || n[model.TokenResponse] != 3 {
		t.Errorf("events of the sign-in: %v", n)
	}
}

// TestDjangoOAuthToolkitElsewhere: django-oauth-toolkit included under
// /oauth/ rather than its documented /o/ (gen.sh with DOT_PREFIX=oauth/)
// is named by its consent page (its form "authorizationForm"), and from
// there on so are the host's later steps, the back channel's token
// request included; Cancel on that page is read as on the /o/ site.
func TestDjangoOAuthToolkitElsewhere(t *testing.T) {
	exs, _ := loadRecording(t, "dot-oauth-clean.pcap")
	var named []string
	for _, ev := range oauth.ExtractAll(exs) {
		if ev.Provider().Family == model.FamilyDjangoOAuthToolkit {
			named = append(named, ev.Kind.String())
		}
	}
	// The first authorize request is answered by the redirect to Django's
	// login page, which names no provider.
	if got, want := strings.Join(named, " "), "authorize authorize code-issued token-request token-response"; got != want {
		t.Errorf("named events %q, want %q", got, want)
	}
	checkRecorded(t, "dot-oauth-clean.pcap", nil)
	if got := checkOneFinding(t, "dot-oauth-denied.har", "", "", ""); got.Verdict != rules.VerdictInconclusive ||
		!strings.Contains(got.Reason, "django-oauth-toolkit answered the sign-in at entries[7] with access_denied") ||
		!strings.Contains(got.Reason, "the user pressed Cancel") {
		t.Errorf("dot-oauth-denied.har: verdict %s (%s)", got.Verdict, got.Reason)
	}
}
