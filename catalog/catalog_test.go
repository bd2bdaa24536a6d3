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
