package rules_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// assess runs every rule over exs and the events extracted from them, as
// scan does: the verdict and the findings.
func assess(exs []*model.Exchange) (rules.Assessment, []rules.Finding) {
	a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs)}, rules.Options{})
	fs := rules.Run(a, rules.All())
	return rules.Assess(a, fs), fs
}

// TestDeviceCodePolling: a device code client polls the token endpoint and
// is answered authorization_pending until the user approves. That is the
// protocol, not a loop, and not a refusal: the trace is clean once a poll
// gets tokens, and inconclusive (naming the last poll) when none does.
func TestDeviceCodePolling(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "device-code-polling.har"))
	if err != nil {
		t.Fatal(err)
	}
	got, fs := assess(fx.Exchanges)
	for _, f := range fs {
		t.Errorf("finding on a device code sign-in that polled as told: %s %s", f.RuleID, f.Message)
	}
	if got.Verdict != rules.VerdictClean {
		t.Errorf("verdict = %s (%s), want clean", got.Verdict, got.Reason)
	}
	// Without the poll that got tokens: still waiting at the end.
	last := fx.Exchanges[len(fx.Exchanges)-2].Ref
	got, _ = assess(fx.Exchanges[:len(fx.Exchanges)-1])
	if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "still waiting") || !strings.Contains(got.Reason, last) {
		t.Errorf("cut before approval: verdict = %s (%s), want inconclusive naming %s", got.Verdict, got.Reason, last)
	}
	// The user never finished: the last poll is answered expired_token
	// (AADSTS70019) instead of tokens. The verdict says the device code
	// expired, not that the refusal cannot be explained.
	exs := fx.Exchanges[:len(fx.Exchanges)-1]
	expired := *exs[len(exs)-1]
	resp := *expired.Response
	resp.Body.Data = []byte(`{"error":"expired_token","error_description":"AADSTS70019: Verification code expired.\r\nTrace ID: 5b9c1f5e-8d3a-4f0e-9a61-2c7d4e8f1a00\r\nCorrelation ID: 0f3d2c1b-4a59-4e68-8b7a-6c5d4e3f2a10\r\nTimestamp: 2016-10-19 17:40:12Z","error_codes":[70019],"timestamp":"2016-10-19 17:40:12Z","trace_id":"5b9c1f5e-8d3a-4f0e-9a61-2c7d4e8f1a00","correlation_id":"0f3d2c1b-4a59-4e68-8b7a-6c5d4e3f2a10"}`)
	expired.Response = &resp
	exs = append(exs[:len(exs)-1:len(exs)-1], &expired)
	got, _ = assess(exs)
	if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "AADSTS70019") || !strings.Contains(got.Reason, "device code expired") {
		t.Errorf("device code expired: verdict = %s (%s), want the code's meaning", got.Verdict, got.Reason)
	}
}

// TestGooglePopupNoCallback: Google's popup code flow (redirect_uri
// storagerelay://… or postmessage) has no callback URL, so an authorize
// request without state is not a CSRF hole, and the verdict says why the
// code is not in the trace instead of calling the sign-in unfinished.
func TestGooglePopupNoCallback(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "google-gis-popup.har"))
	if err != nil {
		t.Fatal(err)
	}
	got, fs := assess(fx.Exchanges)
	for _, f := range fs {
		t.Errorf("finding on a Google popup sign-in: %s %s", f.RuleID, f.Message)
	}
	if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "postMessage") {
		t.Errorf("verdict = %s (%s), want inconclusive saying the code goes by postMessage", got.Verdict, got.Reason)
	}
}

// TestVerdictGivesTheProviderReason: a refused token request whose code the
// catalog knows (AADSTS50126, a wrong password on the password grant) is
// explained by that code; the verdict says so instead of "the trace cannot
// explain why".
func TestVerdictGivesTheProviderReason(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "ropc-wrong-password.har"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := assess(fx.Exchanges)
	if strings.Contains(got.Reason, "cannot explain") || !strings.Contains(got.Reason, "password is wrong") || !strings.Contains(got.Reason, "explain AADSTS50126") {
		t.Errorf("verdict = %s (%s), want the catalog's meaning of AADSTS50126", got.Verdict, got.Reason)
	}
}

// TestVerdictUnlistedMicrosoftCode: a refusal with an Entra code the
// catalog does not list (the recorded AADSTS50126 answer renumbered, in
// its description and error_codes alike) keeps the provider's words and
// says where Microsoft explains the code, rather than pointing to an
// explain that knows nothing of it.
func TestVerdictUnlistedMicrosoftCode(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "ropc-wrong-password.har"))
	if err != nil {
		t.Fatal(err)
	}
	const unlisted = "59998"
	if _, ok := catalog.LookupCode("AADSTS" + unlisted); ok {
		t.Fatalf("AADSTS%s is in the catalog; pick a number it lacks", unlisted)
	}
	renumbered := bytes.ReplaceAll(data, []byte("50126"), []byte(unlisted))
	if bytes.Equal(renumbered, data) {
		t.Fatal("the recording no longer carries AADSTS50126")
	}
	path := filepath.Join(t.TempDir(), "ropc-unlisted.har")
	if err := os.WriteFile(path, renumbered, 0o600); err != nil {
		t.Fatal(err)
	}
	fx, err := fixture(path)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := assess(fx.Exchanges)
	for _, want := range []string{"the provider says", "AADSTS" + unlisted + " is not in traceaudit's catalog", "https://login.microsoftonline.com/error?code=" + unlisted} {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("verdict = %s (%s), want %q", got.Verdict, got.Reason, want)
		}
	}
	if strings.Contains(got.Reason, "traceaudit explain AADSTS"+unlisted) {
		t.Errorf("verdict points to an explain that does not know the code: %s", got.Reason)
	}
}

// TestB2CUserAction: Azure AD B2C answers "Forgot your password?" on a
// user flow without self-service password reset with access_denied
// AADB2C90118, which the app must turn into a password reset sign-in. The
// verdict sent the user to the provider's words; it now points to the
// code's explanation, which says what the app must do.
func TestB2CUserAction(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "b2c-forgot-password.har"))
	if err != nil {
		t.Fatal(err)
	}
	got, fs := assess(fx.Exchanges)
	for _, f := range fs {
		t.Errorf("finding on a B2C password reset choice: %s %s", f.RuleID, f.Message)
	}
	if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "traceaudit explain AADB2C90118") {
		t.Errorf("verdict = %s (%s), want the code's explanation", got.Verdict, got.Reason)
	}
	info, ok := catalog.LookupCode("AADB2C90118")
	if !ok || info.Class != catalog.ClassUserAction || !strings.Contains(info.Remediation, "password reset user flow") {
		t.Errorf("catalog entry = %+v, %v", info, ok)
	}
}

// TestDescriptionExplained: a provider's refusal known by its words, not a
// code (Okta's user not assigned to the app, Keycloak's expired
// authentication session), is explained in the verdict: what it means and
// what to do, after the provider's own words.
func TestDescriptionExplained(t *testing.T) {
	for file, says := range map[string][]string{
		"okta-not-assigned.har":               {`"User is not assigned to the client application."`, "the user is not assigned to the application; assign the user"},
		"keycloak-authentication-expired.har": {`"authentication_expired"`, "the authentication session of the sign-in page expired", "Login timeout"},
		// A bare access_denied (Google, Keycloak when the user declines).
		"google-access-denied.har": {"access_denied without a description: the user declined the consent or cancelled the sign-in"},
		// Okta's words, explained even when the error name (invalid_scope)
		// has an explanation of its own, which says less.
		"okta-policy-evaluation-failed.har": {`"Policy evaluation failed for this request, please check the policy configurations."`, "Authorization Servers, the server, Access Policies"},
		"okta-scope-not-configured.har":     {`"One or more scopes are not configured for the authorization server resource."`, "Authorization Servers, the server, Scopes"},
		// Google's error names, on its page in any language.
		"google-org-internal.har":            {`"Error 403: org_internal"`, "only accounts of its Google Cloud organization may sign in", "User type"},
		"google-disallowed-useragent-de.har": {`"Error 403: disallowed_useragent"`, "embedded browser", "open the sign-in in the system browser"},
		"keycloak-cookie-not-found.har":      {`"Cookie not found. Please make sure cookies are enabled in your browser."`, "without its authentication session cookie", "one host name for Keycloak"},
	} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		got, fs := assess(fx.Exchanges)
		for _, f := range fs {
			t.Errorf("%s: finding %s %s", file, f.RuleID, f.Message)
		}
		for _, s := range says {
			if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, s) {
				t.Errorf("%s: verdict = %s (%s), want it to say %q", file, got.Verdict, got.Reason, s)
			}
		}
	}
}

// TestCORSRemedyByProvider: a token request CORS blocked is remedied at
// the provider the trace names (Okta's Trusted Origins, the realm's
// client Web origins in Keycloak), not with every provider's setting; an
// unknown server gets them all.
func TestCORSRemedyByProvider(t *testing.T) {
	for file, c := range map[string]struct{ has, hasNot string }{
		"token-cors-blocked-okta.har":     {"Okta Admin Console → Security → API → Trusted Origins", "Entra"},
		"token-cors-blocked-keycloak.har": {"realm acme → Clients → client rp-spa → Settings → Web origins", "Okta"},
		"token-cors-blocked.har":          {`Okta "Trusted Origins" with CORS, Keycloak client "Web origins"`, "Admin Console"},
	} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		fs := rules.Check(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{})
		found := false
		for _, f := range fs {
			if f.RuleID != rules.SPACrossOrigin.ID {
				continue
			}
			found = true
			if !strings.Contains(f.Remediation, c.has) || strings.Contains(f.Remediation, c.hasNot) {
				t.Errorf("%s: remediation %q, want %q and not %q", file, f.Remediation, c.has, c.hasNot)
			}
		}
		if !found {
			t.Errorf("%s: no %s finding in %+v", file, rules.SPACrossOrigin.ID, fs)
		}
	}
}

// TestWrongEndpointRemedyByProvider: a sign-in refused for where it was
// sent, known by the provider's own words, is remedied at that provider's
// setting (the Okta org's authorization server, the Keycloak realm's
// clients), not with the rule's text for Entra tenants and clouds.
func TestWrongEndpointRemedyByProvider(t *testing.T) {
	for file, want := range map[string]string{
		"okta-feature-not-enabled.har":    "Use the org authorization server (issuer https://{your org}, endpoints /oauth2/v1/authorize and /oauth2/v1/token)",
		"okta-error-code-page.har":        "Applications, the app, General, Client Credentials",
		"keycloak-client-not-found.har":   "realm's Clients list in the Keycloak Admin Console",
		"pingfederate-unknown-client.har": "PingFederate's administrative console (Applications, OAuth, Clients)",
		"google-deleted-client.har":       "deleted credentials can be restored for 30 days",
		// AD FS's MSIS9607 (its words quoted by a .NET AD FS client):
		// an unknown client_id, not a tenant or cloud to change.
		"adfs-token-unknown-client.har": "Client Identifier of its application in AD FS",
		// MSIS9223 on AD FS's error page, in the words a public write-up
		// quotes ("The received 'client_id' is invalid as no registered
		// client was found with this client identifier."): before, Entra's
		// tenant and cloud text.
		"adfs-unknown-client-page.har": "application group's client identifier in AD FS",
	} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		_, fs := assess(fx.Exchanges)
		if len(fs) != 1 || fs[0].RuleID != rules.WrongEndpoint.ID || !strings.Contains(fs[0].Remediation, want) || strings.Contains(fs[0].Remediation, "cloud host") {
			t.Errorf("%s: findings %+v, want one %s remedied with %q", file, fs, rules.WrongEndpoint.ID, want)
		}
	}
}

// TestUnauthorizedClientIsNotCredentials: unauthorized_client at the token
// endpoint means the client may not use the grant (RFC 6749 §5.2), not
// that its credentials are wrong: no client-auth-failed finding telling to
// rotate secrets ("authenticated with no credential" for a public client
// that needs none), and a verdict naming where the provider lists the
// client's grant types.
func TestUnauthorizedClientIsNotCredentials(t *testing.T) {
	for file, want := range map[string]string{
		"token-unauthorized-client-auth0.har":   "Auth0 Dashboard, Applications, the app, Settings, Advanced Settings, Grant Types",
		"token-unauthorized-client-cognito.har": "OAuth 2.0 grant types (Authorization code grant)",
	} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		got, fs := assess(fx.Exchanges)
		for _, f := range fs {
			t.Errorf("%s: finding %s %s", file, f.RuleID, f.Message)
		}
		if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "not allowed to use this grant type") || !strings.Contains(got.Reason, want) {
			t.Errorf("%s: verdict = %s (%s), want the grant type explained with %q", file, got.Verdict, got.Reason, want)
		}
	}
	// Another provider's setting is not named for a known provider.
	info, _ := catalog.Classify(&model.ProviderError{Error: "unauthorized_client"}, model.FamilyCognito)
	if info.Class != catalog.ClassGrantType || strings.Contains(info.Remediation, "Auth0") {
		t.Errorf("Cognito's unauthorized_client: %+v", info)
	}
}

// TestRedirectRemedyByProvider: PingFederate, recognised by its endpoint
// names behind the customer's own host and port, and Auth0 on a custom
// domain, recognised by its X-Auth0-RequestId answer, are named in the
// finding and their console's setting in the remediation (before: "the
// authorization server HOST" and "Register … at the authorization server").
func TestRedirectRemedyByProvider(t *testing.T) {
	for file, c := range map[string]struct{ name, want string }{
		"pingfederate-redirect-mismatch.har":        {"PingFederate", "PingFederate administrative console → Applications → OAuth → Clients → client rp-web → Redirection URIs → add exactly"},
		"auth0-custom-domain-callback-mismatch.har": {"Auth0", "Auth0 Dashboard → Applications → Applications → the application of client rp-web → Settings → Allowed Callback URLs → add exactly"},
		// GitHub's error redirect to the app's registered callback URL.
		"github-authorize-redirect-mismatch.har": {"GitHub", "Developer settings → OAuth Apps or GitHub Apps → the app of client Iv1.8a61f9b3a7aba766 → Authorization callback URL"},
	} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		a := rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{})
		fs := rules.Run(a, rules.All())
		rules.Remediate(a, fs) // as scan does
		if len(fs) != 1 || fs[0].RuleID != rules.RedirectURIMismatch.ID || !strings.HasPrefix(fs[0].Message, c.name+" rejected") || !strings.Contains(fs[0].Remediation, c.want) {
			t.Errorf("%s: findings %+v, want one %s naming %s and %q", file, fs, rules.RedirectURIMismatch.ID, c.name, c.want)
		}
	}
}

// TestRefusedTokenUse: tokens issued and the first call presenting the
// access token refused (the provider's real 401 with its RFC 6750
// challenge) is no completed sign-in for the user: the verdict is not
// clean and names the call and the challenge's error.
func TestRefusedTokenUse(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "api-refused-after-signin.har"))
	if err != nil {
		t.Fatal(err)
	}
	got, fs := assess(fx.Exchanges)
	for _, f := range fs {
		t.Errorf("finding %s %s", f.RuleID, f.Message)
	}
	if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "was refused with HTTP 401 (invalid_token)") || !strings.Contains(got.Reason, "entries[5]") {
		t.Errorf("verdict = %s (%s), want inconclusive naming the refused call", got.Verdict, got.Reason)
	}
	// Accepted first: a later refusal is the token's end of life, not a
	// failed sign-in.
	exs := append([]*model.Exchange(nil), fx.Exchanges...)
	ok := *exs[5]
	resp := *ok.Response
	resp.Status, resp.Headers = 200, nil
	ok.Response = &resp
	exs = append(exs[:5:5], append([]*model.Exchange{&ok}, exs[5:]...)...)
	for i, ex := range exs {
		c := *ex
		c.Index = i
		exs[i] = &c
	}
	if got, _ := assess(exs); got.Verdict != rules.VerdictClean {
		t.Errorf("accepted then refused: verdict = %s (%s), want clean", got.Verdict, got.Reason)
	}
}

// TestClientAuthRemedyByProvider: a refused client credential is remedied
// where the provider keeps it (Okta's Client Credentials, the Keycloak
// client's Credentials tab), not with Entra's "the secret value, not its
// ID", which only Entra's console makes a trap; Entra keeps it.
func TestClientAuthRemedyByProvider(t *testing.T) {
	for file, want := range map[string]string{
		"client-auth-okta.har":          "Okta Admin Console → Applications → the app → General → Client Credentials",
		"client-auth-keycloak.har":      "Keycloak Admin Console → the realm → Clients → the client → Credentials",
		"client-secret-id.har":          "not its ID",
		"adfs-client-auth-msis9622.har": "AD FS Management → Application Groups → the group → the server application → Configure client credentials",
		// GitHub answers a wrong client secret with HTTP 200 and
		// incorrect_client_credentials (before: an inconclusive verdict).
		"github-incorrect-client-credentials.har": "Developer settings → OAuth Apps or GitHub Apps → the app → Client ID and Client secrets",
	} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		_, fs := assess(fx.Exchanges)
		found := false
		for _, f := range fs {
			if f.RuleID != rules.ClientAuthFailed.ID {
				continue
			}
			found = true
			if !strings.Contains(f.Remediation, want) || want != "not its ID" && strings.Contains(f.Remediation, "not its ID") {
				t.Errorf("%s: remediation %q, want %q", file, f.Remediation, want)
			}
		}
		if !found {
			t.Errorf("%s: no %s finding in %+v", file, rules.ClientAuthFailed.ID, fs)
		}
	}
}

// TestADFSRefusalVerdict: AD FS refusing the sign-in with a code the
// catalog knows (MSIS9605, a client without permission on the Web API the
// resource names, as AD FS redirects it to a native client in a public
// log) is explained in the verdict with its remedy at AD FS and its
// Activity ID (the redirect's client-request-id) as the trace id, where it
// said "no rule explains it" and only pointed to traceaudit explain.
func TestADFSRefusalVerdict(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "adfs-msis9605-redirect.har"))
	if err != nil {
		t.Fatal(err)
	}
	got, fs := assess(fx.Exchanges)
	for _, f := range fs {
		t.Errorf("finding %s %s", f.RuleID, f.Message)
	}
	for _, want := range []string{"AD FS answered the sign-in at entries[1] with MSIS9605 access_denied: ", "not allowed to access the requested resource",
		"Client Permissions", "trace id 80f15800-e242-4022-fe39-0080000000ed"} {
		if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, want) {
			t.Errorf("verdict = %s (%s), want inconclusive with %q", got.Verdict, got.Reason, want)
		}
	}
}

// TestCallbackRefusedInLibraryWords: a callback the app's sign-in library
// refused in its own words is read by them when the trace cannot show the
// cookies (a sanitized HAR export has none): state-mismatch names the
// library's words and is remedied in its terms, where the verdict said
// "the trace cannot tell why". Libraries that name no cause to the browser
// (Auth.js's error=OAuthCallback, Spring Security's /login?error) and an
// app whose own redemption failed are named in the verdict with where the
// cause is.
func TestCallbackRefusedInLibraryWords(t *testing.T) {
	for file, want := range map[string]string{
		"state-correlation-failed-no-cookies.har": "SameSite=None; Secure, which the handler sets only over HTTPS",
		"state-unprotect-aspnet.har":              "one data protection key ring",
		"state-oauth2-proxy-csrf.har":             "_oauth2_proxy_csrf cookie",
		"state-spring-request-not-found.har":      "Spring Session",
		// Spring's failure redirect names no cause; the /login?error
		// page the browser loads after it does.
		"callback-spring-login-error-page.har": "Spring Session",
		// OmniAuth's failure redirect (before: a clean verdict).
		"callback-omniauth-csrf-detected.har": `session["omniauth.state"]`,
	} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		_, fs := assess(fx.Exchanges)
		if len(fs) != 1 || fs[0].RuleID != rules.StateMismatch.ID || !strings.Contains(fs[0].Remediation, want) {
			t.Errorf("%s: findings %+v, want one %s remedied with %q", file, fs, rules.StateMismatch.ID, want)
		}
	}
	for file, want := range map[string]string{
		"callback-authjs-oauthcallback.har":  `"State cookie was missing."`,
		"callback-spring-login-error.har":    "most often it is authorization_request_not_found",
		"callback-passport-token-failed.har": "says its own redemption of the code failed",
		// The /login?error page's alert: the code, never the provider's
		// answer Spring quotes after it.
		"callback-spring-login-error-page-token.har": `Spring Security OAuth2 Login says its own redemption of the code failed ("[invalid_token_response]")`,
		// django-allauth's failure page, rendered at the callback with
		// 200 (before: a clean verdict).
		"callback-allauth-failure-page.har":         "SocialAccountAdapter.on_authentication_error",
		"callback-omniauth-invalid-credentials.har": `OmniAuth says its own redemption of the code failed ("message=invalid_credentials")`,
		// Spring found the saved authorization request but not the
		// registration it names (before: "most often it is
		// authorization_request_not_found").
		"callback-spring-client-registration-not-found.har": "no client registration with the registration id it names",
	} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := assess(fx.Exchanges)
		if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, want) {
			t.Errorf("%s: verdict = %s (%s), want %q", file, got.Verdict, got.Reason, want)
		}
	}
}

// TestRefreshRefusalTold: a refused refresh is told apart from a refused
// redemption of the sign-in's code and explained in its provider's terms.
// Google's bare invalid_grant ("Bad Request") on a refresh, after the code
// was redeemed, is refresh-token-expired with Google's ends of a refresh
// token (it does not rotate), not a code the provider refused; Auth0's
// "Unknown or invalid refresh token." (its 403 on a refresh token it does
// not know: expired, revoked, or reused after rotation, quoted in public
// auth0-spa-js users' code) and Keycloak's "Maximum allowed refresh token
// reuse exceeded" (its TokenManager) are known by their words.
func TestRefreshRefusalTold(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "refresh-google-bad-request.har"))
	if err != nil {
		t.Fatal(err)
	}
	_, fs := assess(fx.Exchanges)
	if len(fs) != 1 || fs[0].RuleID != rules.RefreshTokenExpired.ID || !strings.Contains(fs[0].Remediation, "Testing publishing status") {
		t.Errorf("Google refresh: findings %+v, want one %s with Google's ends of a refresh token", fs, rules.RefreshTokenExpired.ID)
	}
	// Auth0's refusal alone, without the rotation the trace showed.
	fx, err = fixture(filepath.Join("testdata", "refresh-auth0-rotation-reuse.har"))
	if err != nil {
		t.Fatal(err)
	}
	_, fs = assess(fx.Exchanges[2:])
	if len(fs) != 1 || fs[0].RuleID != rules.RefreshTokenExpired.ID || !strings.Contains(fs[0].Message, "Auth0 refused the refresh token at entries[2] (invalid_grant): the provider does not know this refresh token") {
		t.Errorf("Auth0 refresh: findings %+v", fs)
	}
	info, _ := catalog.Classify(&model.ProviderError{Error: "invalid_grant", Description: "Maximum allowed refresh token reuse exceeded"}, model.FamilyKeycloak)
	if info.Class != catalog.ClassRefreshExpired || !strings.Contains(info.Remediation, "Refresh Token Max Reuse") {
		t.Errorf("Keycloak's refresh token reuse: %+v", info)
	}
}

// TestCORSRefusedByOIDCProvider: oidc-provider refuses a token request from
// an origin its clientBasedCORS does not allow, itself and without CORS
// headers (the lab's real recording, cors-blocked-token-spa-oidcprovider):
// in the capture, where its answer is readable, spa-cross-origin says the
// code was not redeemed and remedies it in oidc-provider's terms instead of
// listing every provider's CORS setting.
func TestCORSRefusedByOIDCProvider(t *testing.T) {
	dir := filepath.Join("..", "testdata", "lab", "scenarios", "cors-blocked-token-spa-oidcprovider")
	exs, _ := loadLabPCAP(t, dir)
	_, fs := assess(exs)
	if len(fs) != 1 || fs[0].RuleID != rules.SPACrossOrigin.ID || !strings.Contains(fs[0].Message, "the code was not redeemed") ||
		!strings.Contains(fs[0].Remediation, "oidc-provider's clientBasedCORS") || strings.Contains(fs[0].Remediation, "Okta") {
		t.Errorf("capture: findings %+v, want one %s remedied at oidc-provider's clientBasedCORS", fs, rules.SPACrossOrigin.ID)
	}
	// The HAR shows no answer: the general remedy stays.
	exs, _ = loadLabHAR(t, dir)
	if _, fs := assess(exs); len(fs) != 1 || strings.Contains(fs[0].Remediation, "clientBasedCORS") {
		t.Errorf("HAR: findings %+v", fs)
	}
}

// servedWith200 is exs with the answers of status from served with 200
// instead, on copies; the other exchanges are shared.
func servedWith200(exs []*model.Exchange, from int) (out []*model.Exchange, changed int) {
	for _, ex := range exs {
		if ex.Response != nil && ex.Response.Status == from {
			c, r := *ex, *ex.Response
			r.Status = 200
			c.Response = &r
			ex = &c
			changed++
		}
		out = append(out, ex)
	}
	return out, changed
}

// TestErrorPageServedWith200: a provider's error page refusing the
// authorize request is a refusal whatever its status: served with 200
// (by some versions, themes, or a proxy that rewrites the status), the
// pages of PingFederate, Keycloak's error.ftl, Dex and Spring Authorization
// Server give the finding they give with their real 400 (before: an
// inconclusive "the sign-in started … but" verdict, as the page of a
// sign-in in progress). A 200 page without its provider's error-page mark
// is not one.
func TestErrorPageServedWith200(t *testing.T) {
	for _, file := range []string{
		"pingfederate-redirect-mismatch.har", "pingfederate-unknown-client.har", "keycloak-client-not-found.har",
		"redirect-page-dex.har", "redirect-page-spring.har",
	} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		_, want := assess(fx.Exchanges)
		exs, changed := servedWith200(fx.Exchanges, 400)
		if changed != 1 || len(want) != 1 {
			t.Fatalf("%s: %d answers of 400, findings %+v: not the fixture this test is for", file, changed, want)
		}
		_, got := assess(exs)
		if len(got) != 1 || got[0].RuleID != want[0].RuleID || got[0].Message != want[0].Message {
			t.Errorf("%s served with 200: findings %+v, want %s %q", file, got, want[0].RuleID, want[0].Message)
		}
	}
	// Keycloak's page without its error template's element: a page of
	// the sign-in, not a refusal.
	fx, err := fixture(filepath.Join("testdata", "keycloak-client-not-found.har"))
	if err != nil {
		t.Fatal(err)
	}
	exs, _ := servedWith200(fx.Exchanges, 400)
	for i, ex := range exs {
		if ex.Response != nil && bytes.Contains(ex.Response.Body.Data, []byte(`id="kc-error-message"`)) {
			c, r := *ex, *ex.Response
			r.Body.Data = bytes.ReplaceAll(r.Body.Data, []byte(`id="kc-error-message"`), []byte(`id="kc-content"`))
			c.Response = &r
			exs[i] = &c
		}
	}
	for _, ev := range oauth.ExtractAll(exs) {
		if ev.Kind == model.AuthorizeError {
			t.Errorf("unmarked Keycloak page served with 200: authorize error %+v", ev.Err)
		}
	}
}

// TestRedirectRefusedAtTokenWithAuthorize: a token call's redirect_uri
// refused (GitHub's 200 redirect_uri_mismatch) with its authorize request
// in the trace is remedied by what that request sent, where the
// remediation said "The authorize request is not in this trace": nothing
// (GitHub then sends the code to the app's registered callback URL, and
// the token call must name none or the same), or the same value, which
// the provider accepted when it issued the code.
func TestRedirectRefusedAtTokenWithAuthorize(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "github-token-redirect-uri-not-at-authorize.har"))
	if err != nil {
		t.Fatal(err)
	}
	remedied := func(exs []*model.Exchange) rules.Finding {
		a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs)}, rules.Options{})
		fs := rules.Run(a, rules.All())
		rules.Remediate(a, fs)
		if len(fs) != 1 || fs[0].RuleID != rules.RedirectURIMismatch.ID {
			t.Fatalf("findings %+v, want one %s", fs, rules.RedirectURIMismatch.ID)
		}
		return fs[0]
	}
	f := remedied(fx.Exchanges)
	if !strings.Contains(f.Remediation, "The authorize request at entries[0] sent no redirect_uri") || strings.Contains(f.Remediation, "not in this trace") ||
		f.Mechanism != rules.MechRedirectTokenDiffers {
		t.Errorf("authorize without redirect_uri: %s %q", f.Mechanism, f.Remediation)
	}
	// The same value on both calls.
	exs := append([]*model.Exchange(nil), fx.Exchanges...)
	az := *exs[0]
	az.Request.URL += "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Fgithub%2Fcallback"
	exs[0] = &az
	f = remedied(exs)
	if !strings.Contains(f.Remediation, "sent the same value and the provider issued the code for it") || strings.Contains(f.Remediation, "not in this trace") {
		t.Errorf("same redirect_uri on both calls: %q", f.Remediation)
	}
}
