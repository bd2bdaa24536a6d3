package catalog_test

import (
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// TestRedirectWordings: servers word a refused redirect URI in their own
// ways; each of these descriptions (node-oidc-provider's InvalidRedirectUri,
// oauthlib's MismatchingRedirectURIError as Django OAuth Toolkit sends it,
// a generic wording, Keycloak's) is a redirect URI error, while the
// RFC's generic invalid_grant text is not.
func TestRedirectWordings(t *testing.T) {
	for _, desc := range []string{
		"redirect_uri did not match any of the client's registered redirect_uris",
		"Mismatching redirect URI.",
		"The redirect_uri does not match the registered value",
		"Invalid parameter: redirect_uri",
	} {
		info, ok := catalog.Classify(&model.ProviderError{Error: "invalid_request", Description: desc}, "")
		if !ok || info.Class != catalog.ClassRedirectURI {
			t.Errorf("%q: class %q, want %q", desc, info.Class, catalog.ClassRedirectURI)
		}
	}
	// RFC 6749's own invalid_grant text lists a redirection URI mismatch
	// among other causes: it stays the generic class.
	info, _ := catalog.Classify(&model.ProviderError{Error: "invalid_grant", Description: "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}, "")
	if info.Class == catalog.ClassRedirectURI {
		t.Errorf("RFC 6749's invalid_grant text: class %q, want the generic one", info.Class)
	}
}

// TestOIDCProviderGenericGrant: oidc-provider's "grant request is invalid"
// answers a reused, expired and mismatched code alike: it stays the generic
// class (the rules weigh the trace's evidence) and carries the server's
// default code lifetime, which only its wording can name.
func TestOIDCProviderGenericGrant(t *testing.T) {
	info, ok := catalog.Classify(&model.ProviderError{Error: "invalid_grant", Description: "grant request is invalid"}, model.FamilyGeneric)
	if !ok || info.Class != catalog.ClassGenericGrant {
		t.Errorf("class %q, want %q", info.Class, catalog.ClassGenericGrant)
	}
	if info.Lifetime.Expired != 60*time.Second || info.Lifetime.Source == "" {
		t.Errorf("lifetime %+v, want oidc-provider's default 60 s", info.Lifetime)
	}
	// Other wordings carry no lifetime of their own.
	if info, _ := catalog.Classify(&model.ProviderError{Error: "invalid_grant"}, model.FamilyGeneric); info.Lifetime.Expired != 0 {
		t.Errorf("bare invalid_grant: lifetime %+v", info.Lifetime)
	}
}

// TestInvalidRequestURI: oidc-provider's refusal of a spent pushed request
// (its words, as rules/testdata/par-discovery-reused.har recorded them)
// is about the request_uri, not a code its "already used" would suggest.
func TestInvalidRequestURI(t *testing.T) {
	info, ok := catalog.Classify(&model.ProviderError{Error: "invalid_request_uri", Description: "request_uri is invalid, expired, or was already used"}, model.FamilyGeneric)
	if !ok || info.Class != catalog.ClassFlowExpired || !strings.Contains(info.Remediation, "Push a new authorization request") {
		t.Errorf("info %+v, want %q with the push's remedy", info, catalog.ClassFlowExpired)
	}
}

// TestOAuthlibWordings: oauthlib's descriptions, as django-oauth-toolkit
// answers with them (rules/testdata/dot-*), are read for what they say:
// its redirect URI refusal with its own meaning (no redirect back to the
// app), a missing verifier as PKCE, an unknown client as one the
// provider does not have.
func TestOAuthlibWordings(t *testing.T) {
	for _, c := range []struct {
		desc    string
		class   catalog.ErrorClass
		meaning string
	}{
		{"Mismatching redirect URI.", catalog.ClassRedirectURI, "MismatchingRedirectURIError"},
		{"Code verifier required.", catalog.ClassPKCE, "sent no code_verifier"},
		{"Code challenge required.", catalog.ClassPKCE, "sent no code_challenge"},
		{"Invalid client_id parameter value.", catalog.ClassTenant, "no client with this client_id"},
	} {
		info, ok := catalog.Classify(&model.ProviderError{Error: "invalid_request", Description: c.desc}, model.FamilyDjangoOAuthToolkit)
		if !ok || info.Class != c.class || !strings.Contains(info.Meaning, c.meaning) {
			t.Errorf("%q: %+v, want class %q meaning %q", c.desc, info, c.class, c.meaning)
		}
	}
}

// TestSignOutWordings: each provider's words for a refused sign-out, as its
// end-session endpoint answers (the sources are named beside the entries),
// take a sign-out class; Keycloak's "Invalid redirect uri", which its
// authorize endpoint says too, keeps the sign-in class the sign-in rules
// read and names the sign-out rule besides; a sign-in's redirect URI
// refusal stays a sign-in one.
func TestSignOutWordings(t *testing.T) {
	for _, c := range []struct {
		family model.Family
		pe     model.ProviderError
		want   catalog.ErrorClass
	}{
		{model.FamilyGeneric, model.ProviderError{Error: "invalid_request", Description: "post_logout_redirect_uri not registered"}, catalog.ClassLogoutRedirect},
		{model.FamilyOkta, model.ProviderError{Error: "invalid_request", Description: "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings: https://dev-1-admin.okta.com/admin/app/oidc_client/instance/0oa1#tab-general"}, catalog.ClassLogoutRedirect},
		{model.FamilyAuth0, model.ProviderError{Error: "invalid_request", Description: `The "returnTo" querystring parameter "http://mysite.com/users/1234112" is not defined as a valid URL in "Allowed Logout URLs".`}, catalog.ClassLogoutRedirect},
		{model.FamilyEntra, model.ProviderError{Error: "invalid_request", Description: "The provided value for the input parameter 'post_logout_redirect_uri' is not valid. The expected value is a URI which matches the redirect URI registered for this client application. This error also occurs when an application which has not previously signed the user in attempts to sign the user out."}, catalog.ClassLogoutRedirect},
		{model.FamilyGeneric, model.ProviderError{Error: "invalid_request", Description: "could not validate id_token_hint"}, catalog.ClassLogoutHint},
		{model.FamilyGeneric, model.ProviderError{Error: "invalid_request", Description: "could not decode id_token_hint"}, catalog.ClassLogoutHint},
		{model.FamilyGeneric, model.ProviderError{Error: "invalid_client", Description: "unrecognized id_token_hint audience"}, catalog.ClassLogoutHint},
		{model.FamilyGeneric, model.ProviderError{Error: "invalid_request", Description: "client_id does not match the provided id_token_hint"}, catalog.ClassLogoutHint},
		{model.FamilyGeneric, model.ProviderError{Error: "invalid_request", Description: "post_logout_redirect_uri can only be used in combination with id_token_hint"}, catalog.ClassLogoutHint},
		{model.FamilyKeycloak, model.ProviderError{Error: "invalid_request", Description: "Missing parameters: id_token_hint"}, catalog.ClassLogoutHint},
		{model.FamilyKeycloak, model.ProviderError{Error: "invalid_request", Description: "Invalid parameter: id_token_hint"}, catalog.ClassLogoutHint},
		{model.FamilyEntra, model.ProviderError{Error: "invalid_request", Codes: []string{"AADB2C90272"}, Description: "AADB2C90272: The id_token_hint parameter has not been specified in the request. Please provide token and try again."}, catalog.ClassLogoutHint},
		{model.FamilyEntra, model.ProviderError{Error: "invalid_request", Codes: []string{"AADSTS16002"}, Description: "AADSTS16002: Application requested to sign out of a user session which does not exist."}, catalog.ClassLogoutSession},
		{model.FamilyKeycloak, model.ProviderError{Error: "invalid_request", Description: "Invalid redirect uri"}, catalog.ClassRedirectURI},
		{model.FamilyGeneric, model.ProviderError{Error: "invalid_request", Description: "redirect_uri did not match any of the client's registered redirect_uris"}, catalog.ClassRedirectURI},
	} {
		info, ok := catalog.Classify(&c.pe, c.family)
		if !ok || info.Class != c.want {
			t.Errorf("%s %q: class %q, want %q", c.family, c.pe.Description, info.Class, c.want)
		}
	}
	info, _ := catalog.Classify(&model.ProviderError{Error: "invalid_request", Description: "Invalid redirect uri"}, model.FamilyKeycloak)
	if len(info.Also) != 1 || info.Also[0] != "logout-redirect-mismatch" {
		t.Errorf("Keycloak's Invalid redirect uri names %v besides its class's rules, want logout-redirect-mismatch", info.Also)
	}
	// Another family's "Invalid redirect uri" is not read as Keycloak's.
	if info, _ := catalog.Classify(&model.ProviderError{Error: "invalid_request", Description: "Invalid redirect uri"}, model.FamilyOkta); len(info.Also) != 0 {
		t.Errorf("Okta's Invalid redirect uri read as Keycloak's: %+v", info)
	}
}

// TestCodesUnique: LookupCode returns the first entry with a code, so a
// second entry with the same code (in any letter case) would never be
// read; every code entry also names its class, meaning and remedy.
func TestCodesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range catalog.Catalog() {
		if e.Code == "" {
			continue
		}
		key := strings.ToUpper(e.Code)
		if seen[key] {
			t.Errorf("code %s is in the catalog twice", e.Code)
		}
		seen[key] = true
		if e.Class == catalog.ClassNone || e.Meaning == "" || e.Remediation == "" {
			t.Errorf("%s: class %q, meaning %q, remediation %q: want all three", e.Code, e.Class, e.Meaning, e.Remediation)
		}
		if e.Meaning != strings.TrimSpace(e.Meaning) || strings.HasSuffix(e.Meaning, ".") {
			t.Errorf("%s: meaning %q is not a clause (explain adds the full stop)", e.Code, e.Meaning)
		}
		if r := e.Remediation; r[0] < 'A' || r[0] > 'Z' || !strings.HasSuffix(r, ".") {
			t.Errorf("%s: remediation %q is not a sentence", e.Code, r)
		}
	}
}

// TestMicrosoftReferenceCodes: codes of Microsoft's reference lists (Entra's
// AADSTS list, B2C's AADB2C list; the sources are named beside the
// entries) are found by LookupCode with the class the rules read them by.
func TestMicrosoftReferenceCodes(t *testing.T) {
	for code, want := range map[string]catalog.ErrorClass{
		"AADSTS90038":   catalog.ClassTenant,      // NationalCloudTenantRedirection
		"AADSTS900382":  catalog.ClassTenant,      // confidential client in a cross-cloud request
		"AADSTS90124":   catalog.ClassTenant,      // resource not supported over /common or /consumers
		"AADSTS50074":   catalog.ClassInteraction, // MFA challenge not passed
		"AADSTS50078":   catalog.ClassInteraction, // MFA expired
		"AADSTS50140":   catalog.ClassInteraction, // KmsiInterrupt
		"AADSTS50199":   catalog.ClassInteraction, // CmsiInterrupt
		"AADSTS700020":  catalog.ClassInteraction, // InteractionRequired
		"AADSTS53001":   catalog.ClassAccess,      // DeviceNotDomainJoined
		"AADSTS530032":  catalog.ClassAccess,      // BlockedByConditionalAccessOnSecurityPolicy
		"AADSTS500021":  catalog.ClassAccess,      // tenant restrictions
		"AADSTS90095":   catalog.ClassAccess,      // admin consent workflow
		"AADSTS500014":  catalog.ClassAccess,      // resource service principal disabled
		"AADSTS650057":  catalog.ClassScope,       // resource not in the registration
		"AADSTS700030":  catalog.ClassClientAuth,  // certificate subject not authorized
		"AADSTS70016":   catalog.ClassPending,     // device code flow: keep polling
		"AADSTS70018":   catalog.ClassUserAction,  // device code flow: wrong user code
		"AADSTS500133":  catalog.ClassAssertion,   // on-behalf-of assertion expired
		"AADSTS50000":   catalog.ClassService,     // TokenIssuanceError
		"AADSTS16000":   catalog.ClassAccess,      // account not in the tenant
		"AADSTS160021":  catalog.ClassInteraction, // silent request naming a session that does not exist
		"AADSTS50068":   catalog.ClassLogoutSession,
		"AADSTS90120":   catalog.ClassFlowExpired, // device code already authorized or declined
		"AADB2C90240":   catalog.ClassAssertion,   // malformed id_token
		"aadsts9002332": catalog.ClassTenant,      // letter case does not matter
		"AADB2C90057":   catalog.ClassResponseType,
		"AADB2C90128":   catalog.ClassRefreshExpired,
		"AADB2C90212":   catalog.ClassFlowExpired,
		"AADB2C90209":   catalog.ClassLogoutHint,
	} {
		e, ok := catalog.LookupCode(code)
		if !ok || e.Class != want {
			t.Errorf("LookupCode(%s) = %+v, %v; want class %q", code, e, ok, want)
		}
	}
	// Microsoft's list: AADSTS16000 is an account missing from the tenant
	// (InteractionRequired), not the account picker's interrupt.
	if e, _ := catalog.LookupCode("AADSTS16000"); !strings.Contains(e.Meaning, "does not exist in the tenant") {
		t.Errorf("AADSTS16000: meaning %q", e.Meaning)
	}
	// Codes Microsoft's list does not have stay unknown rather than guessed.
	for _, code := range []string{"AADSTS530002", "AADSTS530003", "AADSTS70020", "AADSTS1003031", "AADSTS1"} {
		if e, ok := catalog.LookupCode(code); ok {
			t.Errorf("LookupCode(%s) = %+v, want not found", code, e)
		}
	}
}

// TestClassifyCodeFirst: a code the catalog knows decides the class over
// the OAuth error name beside it and over words other entries match, and
// the lookup gives the same answer every time.
func TestClassifyCodeFirst(t *testing.T) {
	// The poll answer rules/testdata/device-code-polling.har quotes.
	pe := &model.ProviderError{Error: "authorization_pending", Codes: []string{"AADSTS70016"},
		Description: "AADSTS70016: Pending end-user authorization."}
	for i := 0; i < 3; i++ {
		info, ok := catalog.Classify(pe, model.FamilyEntra)
		if !ok || info.Code != "AADSTS70016" || info.Class != catalog.ClassPending {
			t.Fatalf("pass %d: %+v, want AADSTS70016 pending", i, info)
		}
	}
	// Entra's bad_verification_code is its own code, not GitHub's words.
	pe = &model.ProviderError{Error: "bad_verification_code", Codes: []string{"AADSTS70018"}}
	if info, _ := catalog.Classify(pe, model.FamilyEntra); info.Code != "AADSTS70018" || info.Class != catalog.ClassUserAction {
		t.Errorf("AADSTS70018: %+v", info)
	}
	// A wrapper still gives way to the code it wraps.
	pe = &model.ProviderError{Error: "invalid_grant", Codes: []string{"AADSTS70002", "AADSTS500133"}}
	if info, _ := catalog.Classify(pe, model.FamilyEntra); info.Code != "AADSTS500133" {
		t.Errorf("wrapped AADSTS500133: %+v", info)
	}
}
