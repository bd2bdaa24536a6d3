package rules

import (
	"slices"
	"strings"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// ErrorExplanation is what `traceaudit explain CODE` says about a provider
// error: the catalog's meaning and advice, the usual causes of its class and
// the rules that report it.
type ErrorExplanation struct {
	// Key is the code or error name looked up ("AADSTS54005",
	// "invalid_grant", or the catalog's message text).
	Key         string
	Info        catalog.ErrorInfo
	Causes      []string
	Rules       []*Rule
	NoRuleNote  string // when no rule reports it, where it still shows
	FromMessage bool   // matched by message text, not by code
}

// ExplainError looks a provider error up in the catalog: a code
// ("AADSTS54005", "aadsts54005", "AADB2C90088", "MSIS9622"), a number alone
// ("54005": every family's code with that number), an OAuth error name
// ("invalid_grant") or a message text the catalog matches. It returns one
// explanation per match, none when the catalog does not know it.
func ExplainError(key string) []ErrorExplanation {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil
	}
	var out []ErrorExplanation
	if isDigits(key) {
		for _, prefix := range []string{"AADSTS", "AADB2C", "MSIS"} {
			if info, ok := catalog.LookupCode(prefix + key); ok {
				out = append(out, explanation(info.Code, info, false))
			}
		}
		return out
	}
	if info, ok := catalog.LookupCode(key); ok {
		return []ErrorExplanation{explanation(info.Code, info, false)}
	}
	name := strings.ToLower(key)
	if info, ok := catalog.Classify(&model.ProviderError{Error: name, Description: name}, ""); ok {
		return []ErrorExplanation{explanation(key, info, info.Match != "")}
	}
	return nil
}

func explanation(key string, info catalog.ErrorInfo, fromMessage bool) ErrorExplanation {
	causes := info.Causes
	if len(causes) == 0 {
		causes = classCauses(info.Class)
	}
	e := ErrorExplanation{Key: key, Info: info, Causes: slices.Clone(causes), FromMessage: fromMessage}
	if slices.Contains(info.Also, "logout-redirect-mismatch") {
		// The same words on the provider's sign-out page.
		e.Causes = append(e.Causes, "at the sign-out: "+classCauses(catalog.ClassLogoutRedirect)[0])
	}
	for _, id := range append(classRules(info.Class), info.Also...) {
		if r := ByID(id); r != nil {
			e.Rules = append(e.Rules, r)
		}
	}
	if len(e.Rules) == 0 {
		e.NoRuleNote = "No rule reports this error by itself; `traceaudit events` shows it on the exchange that carried it, with its trace and correlation ids."
	}
	return e
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// classRules names the rules that report errors of a class, the one that
// decides most often first.
func classRules(c catalog.ErrorClass) []string {
	switch c {
	case catalog.ClassCodeReused:
		return []string{"code-reuse", "multi-tab-race"}
	case catalog.ClassCodeExpired:
		return []string{"code-expired"}
	case catalog.ClassCodeInvalid, catalog.ClassGenericGrant:
		return []string{"code-reuse", "code-expired", "redirect-uri-mismatch", "pkce-mismatch", "multi-tab-race", "trace-quality"}
	case catalog.ClassRedirectURI:
		return []string{"redirect-uri-mismatch"}
	case catalog.ClassPKCE:
		return []string{"pkce-mismatch", "multi-tab-race"}
	case catalog.ClassClientAuth:
		return []string{"client-auth-failed"}
	case catalog.ClassSPACrossOrigin:
		return []string{"spa-cross-origin"}
	case catalog.ClassRefreshExpired:
		return []string{"refresh-token-expired"}
	case catalog.ClassInteraction:
		return []string{"interaction-required"}
	case catalog.ClassTenant:
		return []string{"wrong-endpoint"}
	case catalog.ClassLoop:
		return []string{"request-loop"}
	case catalog.ClassStateMismatch:
		return []string{"state-mismatch"}
	case catalog.ClassLogoutRedirect:
		return []string{"logout-redirect-mismatch"}
	case catalog.ClassLogoutHint:
		return []string{"logout-id-token-hint"}
	}
	return nil
}

// classCauses lists what usually produces an error of a class, as a
// support engineer checks them.
func classCauses(c catalog.ErrorClass) []string {
	switch c {
	case catalog.ClassCodeReused:
		return []string{
			"the callback page was reloaded, or reached again with the back button or a restored tab, after the code was redeemed",
			"two handlers redeemed the code in one callback request (middleware and app code, an options callback registered twice)",
			"browser JavaScript and the server both redeemed it, or a SPA redeemed it twice (React StrictMode, two listeners)",
			"a prefetch or link scanner requested the callback URL first",
			"two sign-ins in two tabs crossed (see multi-tab-race)",
		}
	case catalog.ClassCodeExpired:
		return []string{
			"the app paused between the callback and the redemption (an interstitial page, a queued job, a debugger)",
			"the callback URL was replayed or bookmarked, so the code is older than the trace shows",
			"the app server's or the capture machine's clock is off",
		}
	case catalog.ClassCodeInvalid, catalog.ClassGenericGrant:
		return []string{
			"the code was already redeemed (reload, double handler, two tabs)",
			"the code expired before the redemption",
			"the token request's redirect_uri differs from the authorize request's",
			"the PKCE code_verifier is not the one of this code's authorize request",
			"the code was issued to another client or tenant, or altered in transit (decoded twice)",
		}
	case catalog.ClassCodeMalformed:
		return []string{"the code was URL-decoded twice or truncated on its way to the token request", "a token was sent where the code belongs"}
	case catalog.ClassRedirectURI:
		return []string{
			"the redirect URI is not registered for the client (a new host, port or path; http vs https behind a TLS-terminating proxy)",
			"it is registered under the wrong platform (Entra: SPA vs Web)",
			"the token request sends another redirect_uri than the authorize request",
		}
	case catalog.ClassPKCE:
		return []string{
			"the verifier stored for one sign-in was overwritten by another (two tabs, one storage slot)",
			"the app lost its stored verifier (a new session, another server instance without shared state)",
		}
	case catalog.ClassPKCEFormat:
		return []string{"the code_challenge or code_verifier has the wrong length or characters, or the method is not S256"}
	case catalog.ClassClientAuth:
		return []string{"the client secret expired or was rotated, or its ID was sent instead of its value", "a public client (SPA, native) sent a secret, or a confidential client sent none", "a client assertion's certificate or claims are wrong"}
	case catalog.ClassSPACrossOrigin:
		return []string{"the redirect URI is registered for the Web platform but the browser redeemed the code (CORS)", "a SPA-platform code was redeemed server-side"}
	case catalog.ClassRefreshExpired:
		return []string{"the refresh token reached its lifetime or was revoked (password change, admin action, sign-in frequency policy)", "a rotated refresh token was used again (two tabs or processes refreshing at once)"}
	case catalog.ClassInteraction:
		return []string{"a silent (prompt=none) request found no session, or needs consent or MFA"}
	case catalog.ClassTenant:
		return []string{"the wrong tenant, cloud or endpoint version (v1 vs v2, /common for a single-tenant app)",
			"Azure AD B2C: the token request names another user flow or custom policy than the authorize request"}
	case catalog.ClassLoop:
		return []string{"the app requests tokens again and again instead of caching them"}
	case catalog.ClassFlowExpired:
		return []string{"the user stayed on the sign-in page too long", "a pushed authorization request's request_uri was sent again (a reload, the back button) or after its lifetime"}
	case catalog.ClassGrantType:
		return []string{"the client's registration does not allow the grant (authorization code, refresh token) or response type the app uses",
			"the app sends another client's id (a copy of another app's configuration, another environment)"}
	case catalog.ClassMalformed, catalog.ClassResponseType, catalog.ClassScope:
		return []string{"the request is missing a parameter or uses one the client is not configured for"}
	case catalog.ClassAccess:
		return []string{"the user is not assigned to the app, blocked or unknown in this tenant"}
	case catalog.ClassUserAction:
		return []string{"the user cancelled, or chose a step (a password reset) the app has to start itself", "the user mistyped a code the flow asked for (the device code flow's user code)"}
	case catalog.ClassPending:
		return []string{"a device code (or CIBA) client polls the token endpoint until the user finishes signing in elsewhere: each poll before that is answered pending, as the protocol says"}
	case catalog.ClassAssertion:
		return []string{"the token the request presents (an on-behalf-of user assertion, a JWT bearer grant, a federated identity provider's ID token) expired before it was used",
			"it was issued by another issuer or for another audience, or is malformed"}
	case catalog.ClassService:
		return []string{"a transient failure or throttling of the provider's service, not the app's request"}
	case catalog.ClassWrapper:
		return []string{"it wraps a more specific code: look for the other code in the same answer"}
	case catalog.ClassLogoutRedirect:
		return []string{
			"the app sends a post-logout redirect URI that is not registered for the client: a new host, port or path, a trailing slash, http vs https behind a proxy, a relative URI",
			"the URI is registered as a sign-in redirect URI only (most providers keep sign-out URIs in a list of their own)",
			"the request names no client (no client_id, no id_token_hint), so the provider checks the URI against a tenant-wide list (Auth0) or cannot check it at all",
		}
	case catalog.ClassLogoutHint:
		return []string{
			"the app lost the ID token of the sign-in (a new server instance, a session store that does not keep it, a library configured not to expose it) and sends no id_token_hint",
			"the ID token expired before the user signed out, and the provider refuses an expired hint",
			"the app sends another token (the access token, another client's or environment's ID token) as the hint",
		}
	case catalog.ClassLogoutSession:
		return []string{"the provider's session had already ended (another tab or app signed out, it expired)", "the sign-out names another account's session (a stale sid or logout_hint)"}
	}
	return nil
}
