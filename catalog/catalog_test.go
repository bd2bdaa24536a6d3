package catalog_test

import (
	"testing"

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
