package oauth

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/model"
)

// EndpointRole is what an identity provider endpoint is for.
type EndpointRole int

const (
	RoleNone EndpointRole = iota
	RoleAuthorize
	RoleToken
	RoleDiscovery
)

// ProviderOf identifies the identity provider family behind an endpoint URL
// from its host and path alone. Hosts it does not recognise are "generic";
// the extractor still recognises their endpoints from the OAuth parameters.
func ProviderOf(u *url.URL) model.Provider {
	if u == nil {
		return model.Provider{Family: model.FamilyGeneric}
	}
	return providerOf(u, strings.ToLower(u.Hostname()))
}

// providerOf is ProviderOf for host = strings.ToLower(u.Hostname()), which
// the extractor's quiet has at hand.
func providerOf(u *url.URL, host string) model.Provider {
	// Only the first three segments decide here (Keycloak's realm, read
	// below, needs them all): kept on the stack, as ProviderOf runs on
	// every exchange of a trace, and split only for the hosts and paths
	// that read them (most of a trace's are neither).
	var head [3]string
	nsegs := -1
	segments := func() []string {
		if nsegs < 0 {
			nsegs = leadingSegments(u.Path, &head)
		}
		return head[:nsegs]
	}
	first := func() string {
		if segs := segments(); len(segs) > 0 {
			return segs[0]
		}
		return ""
	}
	p := model.Provider{Family: model.FamilyGeneric, Host: host}
	switch {
	case host == "login.microsoftonline.com" || host == "login.windows.net" || host == "login.microsoft.com" ||
		host == "sts.windows.net":
		p.Family, p.Cloud, p.Tenant = model.FamilyEntra, "global", first()
		if strings.EqualFold(p.Tenant, "te") {
			// B2C's endpoints on the Entra host (login.microsoftonline.com/te/{tenant}/{policy}/…),
			// before b2clogin.com.
			p.Variant = "b2c"
			p.Tenant, p.Policy = b2cTenantPolicy(u, segments())
		}
	case host == "login.microsoftonline.us" || host == "login.usgovcloudapi.net":
		p.Family, p.Cloud, p.Tenant = model.FamilyEntra, "usgov", first()
	case host == "login.partner.microsoftonline.cn" || host == "login.chinacloudapi.cn":
		p.Family, p.Cloud, p.Tenant = model.FamilyEntra, "china", first()
	case host == "login.microsoftonline.de":
		// Microsoft Cloud Deutschland (closed in 2021; its traces remain).
		p.Family, p.Cloud, p.Tenant = model.FamilyEntra, "germany", first()
	case strings.HasSuffix(host, ".b2clogin.com"):
		p.Family, p.Variant, p.Cloud = model.FamilyEntra, "b2c", "global"
		p.Tenant, p.Policy = b2cTenantPolicy(u, segments())
	case strings.HasSuffix(host, ".ciamlogin.com"):
		p.Family, p.Variant, p.Cloud, p.Tenant = model.FamilyEntra, "ciam", "global", first()
	case pathContainsFold(u.Path, "/adfs/"):
		p.Family, p.Tenant = model.FamilyADFS, host
	case host == "accounts.google.com" || host == "oauth2.googleapis.com" ||
		(host == "www.googleapis.com" && first() == "oauth2"):
		p.Family = model.FamilyGoogle
	case strings.HasSuffix(host, ".okta.com") || strings.HasSuffix(host, ".oktapreview.com") ||
		strings.HasSuffix(host, ".okta-emea.com") || strings.HasSuffix(host, ".okta-gov.com"):
		p.Family, p.Tenant = model.FamilyOkta, host
		p.Variant = oktaAS(segments())
	case strings.HasSuffix(host, ".auth0.com"):
		p.Family, p.Tenant = model.FamilyAuth0, host
	case strings.HasSuffix(host, ".amazoncognito.com"):
		p.Family, p.Tenant = model.FamilyCognito, host
	case host == "github.com":
		p.Family = model.FamilyGitHub
	case strings.HasSuffix(host, ".onelogin.com"):
		p.Family, p.Tenant = model.FamilyOneLogin, host
	case isPingOneHost(host):
		// auth.pingone.{com,eu,asia,ca,com.au}/{environment id}/as/…
		p.Family, p.Variant, p.Tenant = model.FamilyPing, "pingone", first()
	case strings.HasSuffix(host, ".forgeblocks.com") || strings.HasSuffix(host, ".id.forgerock.io"):
		// ForgeRock Identity Cloud: AM at openam-{tenant}.forgeblocks.com/am/oauth2/{realm}/…
		p.Family, p.Tenant = model.FamilyForgeRock, forgeRockRealm(u.Path)
	}
	if p.Family == model.FamilyGeneric {
		if strings.Contains(u.Path, "/oauth2/realms/") && forgeRockRealm(u.Path) != "" {
			// ForgeRock AM's realm paths (…/oauth2/realms/root/realms/{sub}/authorize,
			// …/access_token) behind any host; read before Keycloak's, whose
			// …/realms/{realm}/.well-known/ they end like.
			p.Family, p.Tenant = model.FamilyForgeRock, forgeRockRealm(u.Path)
		} else if realm, legacy, ok := keycloakRealmOf(u.Path); ok {
			p.Family, p.Tenant = model.FamilyKeycloak, realm
			if legacy {
				p.Variant = "legacy"
			}
		} else if strings.HasPrefix(u.Path, "/oauth2/fallbacks/") {
			// Ory Hydra's own pages when URLS_ERROR, URLS_CONSENT… are
			// not set (/oauth2/fallbacks/error, …/consent, …/logout).
			p.Family, p.Tenant = model.FamilyHydra, host
		} else if glewlwydPath(u.Path) {
			// Glewlwyd's OpenID Connect plugin under its default API
			// prefix and plugin name (/api/oidc/auth, /api/oidc/token).
			p.Family, p.Tenant = model.FamilyGlewlwyd, host
		} else if dotPath(u.Path) {
			// django-oauth-toolkit's URLs where its documentation
			// includes them (/o/authorize/, /o/token/).
			p.Family, p.Tenant = model.FamilyDjangoOAuthToolkit, host
		} else if dexPath(u.Path) {
			// Dex under its issuer path: /dex (its own examples and Helm
			// chart), /api/dex (the Dex Argo CD bundles).
			p.Family, p.Tenant = model.FamilyDex, host
		} else if pingFederatePath(u.Path) {
			// PingFederate's endpoints keep their names behind any host
			// and port (sso.example.com:9031/as/authorization.oauth2).
			p.Family, p.Tenant = model.FamilyPing, host
		} else if strings.Contains(u.Path, "/oidc/2/") {
			// OneLogin behind a custom domain keeps its /oidc/2/ layout.
			p.Family, p.Tenant = model.FamilyOneLogin, host
		} else if strings.Contains(u.Path, "oauth2") { // else no segment "oauth2"
			// Okta behind a custom domain keeps its /oauth2/{as}/v1/ layout.
			if segs := segments(); len(segs) > 2 && segs[0] == "oauth2" {
				if as := oktaAS(segs); as != "" {
					p.Family, p.Tenant, p.Variant = model.FamilyOkta, host, as
				}
			} else if salesforcePath(u.Path) {
				// Salesforce's endpoints keep their layout behind My Domain,
				// Experience Cloud sites and custom domains
				// (…/services/oauth2/authorize, …/services/oauth2/token).
				p.Family, p.Tenant = model.FamilySalesforce, host
			} else if b2cPath(u.Path) {
				// B2C behind a custom domain (login.contoso.com/{tenant}/B2C_1_…/oauth2/v2.0/…,
				// or ?p=B2C_1_…): the policy's prefix is B2C's own.
				if tenant, policy := b2cTenantPolicy(u, segs); isB2CPolicy(policy) {
					p.Family, p.Variant, p.Tenant, p.Policy = model.FamilyEntra, "b2c", tenant, policy
				} else if len(segs) > 2 && segs[1] == "oauth2" && strings.HasPrefix(segs[2], "v2.0") && isEntraTenant(segs[0]) {
					// Entra External ID behind a custom URL domain
					// (login.contoso.com/{tenant id}/oauth2/v2.0/…).
					p.Family, p.Variant, p.Tenant = model.FamilyEntra, "ciam", segs[0]
				}
			}
		}
	}
	if p.Family == model.FamilyEntra && p.Variant == "" {
		lp := strings.ToLower(u.Path)
		switch {
		case strings.Contains(lp, "/oauth2/v2.0/"), strings.HasSuffix(lp, "/v2.0/.well-known/openid-configuration"):
			p.Variant = "v2"
		case strings.Contains(lp, "/oauth2/"), strings.HasSuffix(lp, "/.well-known/openid-configuration"):
			p.Variant = "v1"
		}
	}
	return p
}

// glewlwydPath reports a path of Glewlwyd's OpenID Connect endpoints under
// its default API prefix (api) and plugin instance name (oidc): its
// authorize endpoint is /auth, not /authorize.
func glewlwydPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/api/oidc/")
	if !ok {
		return false
	}
	switch strings.TrimSuffix(rest, "/") {
	case "auth", "token", "userinfo", "jwks", ".well-known/openid-configuration":
		return true
	}
	return false
}

// dotPath reports a path of django-oauth-toolkit's endpoints as its
// documentation and tutorials include oauth2_provider.urls, under "o/"
// (/o/authorize/, /o/token/), at the site's root or under a prefix: Django
// URLs with their trailing slash, which no other provider's have there.
// authentik's /application/o/authorize/ (its own Django views, not
// oauth2_provider) is not one.
func dotPath(path string) bool {
	i := strings.LastIndex(path, "/o/")
	if i < 0 || strings.HasSuffix(path[:i], "/application") {
		return false
	}
	switch path[i+len("/o/"):] {
	case "authorize/", "token/", "revoke_token/", "introspect/", "userinfo/", "logout/",
		".well-known/openid-configuration/", ".well-known/jwks.json":
		return true
	}
	return false
}

// dexPath reports a path under Dex's usual issuer paths: /dex/… (its own
// examples and Helm chart) and /api/dex/… (the Dex Argo CD bundles).
func dexPath(path string) bool {
	return strings.HasPrefix(path, "/dex/") || strings.HasPrefix(path, "/api/dex/")
}

// isPingOneHost reports PingOne's authentication hosts in its regions
// (auth.pingone.com, .eu, .asia, .ca, .com.au).
func isPingOneHost(host string) bool {
	rest, ok := strings.CutPrefix(host, "auth.pingone.")
	if !ok {
		return false
	}
	switch rest {
	case "com", "eu", "asia", "ca", "com.au":
		return true
	}
	return false
}

// pingFederatePath reports a path of PingFederate's OAuth endpoints
// (/as/authorization.oauth2, /as/token.oauth2, …).
func pingFederatePath(path string) bool {
	return strings.Contains(path, "/as/") && strings.HasSuffix(path, ".oauth2")
}

// salesforcePath reports a path of Salesforce's OAuth endpoints
// (/services/oauth2/authorize, /services/oauth2/token, an Experience Cloud
// site's /{site}/services/oauth2/…).
func salesforcePath(path string) bool {
	return strings.Contains(path, "/services/oauth2/")
}

// forgeRockRealm is the realm of a ForgeRock AM OAuth path: the last
// realm of …/oauth2/realms/root/realms/{sub}/… ("root" for the top
// realm), or the alias of …/oauth2/{alias}/… in ForgeRock Identity
// Cloud; "" for a path with neither.
func forgeRockRealm(path string) string {
	_, rest, ok := strings.Cut(path, "/oauth2/")
	if !ok {
		return ""
	}
	segs := strings.Split(rest, "/")
	realm := ""
	i := 0
	for ; i+1 < len(segs) && segs[i] == "realms"; i += 2 {
		realm = segs[i+1]
	}
	if realm == "" && len(segs) > 1 && segs[0] != "" && !strings.HasPrefix(segs[0], ".") {
		switch segs[0] {
		case "authorize", "access_token", "par", "device", "introspect", "token", "userinfo", "connect":
		default:
			realm = segs[0]
		}
	}
	return realm
}

// b2cTenantPolicy reads a B2C endpoint's tenant and policy from the
// path's first segments ({tenant}/{policy}/oauth2/v2.0/…), after the
// "tfp" (MSAL's B2C authorities: {host}/tfp/{tenant}/{policy}/) or "te"
// segment that some B2C paths start with, or the policy from ?p= when the
// path has none.
func b2cTenantPolicy(u *url.URL, segs []string) (tenant, policy string) {
	if len(segs) > 0 && (strings.EqualFold(segs[0], "tfp") || strings.EqualFold(segs[0], "te")) {
		segs = segs[1:]
	}
	if len(segs) > 0 {
		tenant = segs[0]
	}
	if len(segs) > 1 && !strings.EqualFold(segs[1], "oauth2") && !strings.HasPrefix(segs[1], "v2.0") &&
		!strings.HasPrefix(segs[1], ".well-known") {
		return tenant, segs[1]
	}
	if strings.Contains(u.RawQuery, "p=") {
		policy = u.Query().Get("p")
	}
	return tenant, policy
}

// isEntraTenant reports a tenant segment only Entra puts in its paths: a
// tenant id (a GUID) or a {name}.onmicrosoft.com domain.
func isEntraTenant(s string) bool {
	if hasLowerSuffix(s, ".onmicrosoft.com") {
		return true
	}
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}

// isB2CPolicy reports a B2C policy name: user flows are named B2C_1_…,
// custom policies B2C_1A_… (any case).
func isB2CPolicy(s string) bool {
	return len(s) > len("b2c_1_") && strings.EqualFold(s[:len("b2c_1")], "b2c_1")
}

// b2cPath reports a path of B2C's OAuth 2.0 endpoints (…/oauth2/v2.0/…).
func b2cPath(path string) bool {
	return pathContainsFold(path, "/oauth2/v2.0/")
}

// oktaAS returns "org" for /oauth2/v1/… and the authorization server id for
// /oauth2/{as}/v1/…, or "".
func oktaAS(segs []string) string {
	if len(segs) >= 2 && segs[0] == "oauth2" {
		if segs[1] == "v1" {
			return "org"
		}
		if len(segs) >= 3 && segs[2] == "v1" {
			return segs[1]
		}
	}
	return ""
}

// keycloakRealm finds /realms/{realm}/protocol/openid-connect/ (Keycloak ≥17)
// or /auth/realms/{realm}/… (before 17).
func keycloakRealm(segs []string) (realm string, legacy, ok bool) {
	for i := 0; i+3 < len(segs); i++ {
		if segs[i] == "realms" && segs[i+2] == "protocol" && segs[i+3] == "openid-connect" {
			return segs[i+1], i > 0 && segs[i-1] == "auth", true
		}
	}
	for i := 0; i+2 < len(segs); i++ {
		if segs[i] == "realms" && segs[i+2] == ".well-known" {
			return segs[i+1], i > 0 && segs[i-1] == "auth", true
		}
	}
	return "", false, false
}

// keycloakRealmOf is keycloakRealm of the path's segments; a realm needs
// a segment "realms" followed by another, so a path without "realms/" has
// none and is not split.
func keycloakRealmOf(path string) (realm string, legacy, ok bool) {
	if !strings.Contains(path, "realms/") {
		return "", false, false
	}
	return keycloakRealm(pathSegments(path))
}

// leadingSegments stores up to len(head) first non-empty segments of p, as
// pathSegments would give them, and returns how many it stored.
func leadingSegments(p string, head *[3]string) int {
	n := 0
	for n < len(head) && p != "" {
		var s string
		s, p, _ = strings.Cut(p, "/")
		if s != "" {
			head[n] = s
			n++
		}
	}
	return n
}

// pathContainsFold reports strings.Contains(strings.ToLower(s), sub) for
// a lower-case ASCII sub holding no 'i' or 'k', without building the
// lower-cased copy: the only runes besides A-Z that ToLower maps into ASCII
// are U+0130 (to 'i') and U+212A (Kelvin, to 'k').
func pathContainsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	// Most bytes of s are not sub's first in either case: two compares each.
	f0, f1 := sub[0], sub[0]
	if 'a' <= f0 && f0 <= 'z' {
		f1 = f0 - ('a' - 'A')
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if c := s[i]; c != f0 && c != f1 {
			continue
		}
		j := 1
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

func hasLowerSuffix(s, suffix string) bool {
	if len(s) < len(suffix) {
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				return strings.HasSuffix(strings.ToLower(s), suffix) // ToLower may lengthen s
			}
		}
		return false
	}
	tail := s[len(s)-len(suffix):]
	for i := 0; i < len(tail); i++ {
		if tail[i] >= utf8.RuneSelf {
			return strings.HasSuffix(strings.ToLower(s), suffix)
		}
	}
	return strings.EqualFold(tail, suffix)
}

func pathSegments(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// RoleOf says whether a URL is a well-known authorize, token or discovery
// endpoint of a recognised provider (or of the common generic layouts).
// Endpoints learnt from discovery documents are handled by the Extractor.
func RoleOf(u *url.URL, p model.Provider) EndpointRole {
	if u == nil {
		return RoleNone
	}
	path := strings.TrimSuffix(u.Path, "/")
	if hasLowerSuffix(path, "/.well-known/openid-configuration") ||
		hasLowerSuffix(path, "/.well-known/oauth-authorization-server") {
		return RoleDiscovery
	}
	if p.Family == model.FamilyGeneric {
		return RoleNone // no case below: most hosts of a trace
	}
	lp := strings.ToLower(path)
	switch p.Family {
	case model.FamilyEntra, model.FamilyADFS:
		switch {
		case strings.HasSuffix(lp, "/oauth2/v2.0/authorize"), strings.HasSuffix(lp, "/oauth2/authorize"):
			return RoleAuthorize
		case strings.HasSuffix(lp, "/oauth2/v2.0/token"), strings.HasSuffix(lp, "/oauth2/token"):
			return RoleToken
		}
	case model.FamilyGoogle:
		switch lp {
		case "/o/oauth2/v2/auth", "/o/oauth2/auth", "/o/oauth2/v2/auth/oauthchooseaccount", "/signin/oauth":
			return RoleAuthorize
		case "/token", "/oauth2/v4/token", "/oauth2/v3/token", "/o/oauth2/token":
			return RoleToken
		}
	case "okta":
		switch {
		case strings.HasSuffix(lp, "/v1/authorize"):
			return RoleAuthorize
		case strings.HasSuffix(lp, "/v1/token"):
			return RoleToken
		}
	case "keycloak":
		switch {
		case strings.HasSuffix(lp, "/protocol/openid-connect/auth"):
			return RoleAuthorize
		case strings.HasSuffix(lp, "/protocol/openid-connect/token"):
			return RoleToken
		}
	case "auth0":
		switch lp {
		case "/authorize":
			return RoleAuthorize
		case "/oauth/token":
			return RoleToken
		}
	case "cognito":
		switch lp {
		case "/oauth2/authorize", "/login":
			return RoleAuthorize
		case "/oauth2/token":
			return RoleToken
		}
	case model.FamilyPing:
		switch {
		case strings.HasSuffix(lp, "/as/authorization.oauth2"), p.Variant == "pingone" && strings.HasSuffix(lp, "/as/authorize"):
			return RoleAuthorize
		case strings.HasSuffix(lp, "/as/token.oauth2"), p.Variant == "pingone" && strings.HasSuffix(lp, "/as/token"):
			return RoleToken
		}
	case model.FamilyOneLogin:
		switch {
		case strings.HasSuffix(lp, "/oidc/2/auth"):
			return RoleAuthorize
		case strings.HasSuffix(lp, "/oidc/2/token"):
			return RoleToken
		}
	case "github":
		switch lp {
		case "/login/oauth/authorize":
			return RoleAuthorize
		case "/login/oauth/access_token":
			return RoleToken
		}
	case model.FamilyForgeRock:
		switch {
		case strings.HasSuffix(lp, "/authorize"):
			return RoleAuthorize
		case strings.HasSuffix(lp, "/access_token"):
			return RoleToken
		}
	case model.FamilyDex:
		// The issuer's /auth and /token; /auth/{connector}… carry the
		// authorize parameters on and are read by them.
		switch {
		case strings.HasSuffix(lp, "/dex/auth"):
			return RoleAuthorize
		case strings.HasSuffix(lp, "/dex/token"):
			return RoleToken
		}
	case model.FamilySalesforce:
		switch {
		case strings.HasSuffix(lp, "/services/oauth2/authorize"):
			return RoleAuthorize
		case strings.HasSuffix(lp, "/services/oauth2/token"):
			return RoleToken
		}
	}
	return RoleNone
}

// genericAuthorizePath reports whether a path looks like an authorize
// endpoint of an unrecognised RFC 6749 server.
func genericAuthorizePath(path string) bool {
	lp := strings.ToLower(strings.TrimSuffix(path, "/"))
	for _, s := range []string{"/authorize", "/auth", "/authorization", "/oauth/authorize", "/oauth2/auth",
		"/connect/authorize", "/oauth2/authorize", "/oauth/auth", "/oidc/auth"} {
		if strings.HasSuffix(lp, s) {
			return true
		}
	}
	return false
}

// genericTokenPath reports whether a path looks like a token endpoint.
func genericTokenPath(path string) bool {
	lp := strings.ToLower(strings.TrimSuffix(path, "/"))
	return strings.HasSuffix(lp, "/token") || strings.HasSuffix(lp, "/oauth/access_token") ||
		strings.HasSuffix(lp, "/access_token")
}
