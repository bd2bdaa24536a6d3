package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/secret"
)

// SPACrossOrigin: Entra's spa / web platform redemption errors.
var SPACrossOrigin = &Rule{
	ID:       "spa-cross-origin",
	Title:    "code redeemed from the wrong origin for its platform",
	Severity: Error,
	Doc: `Detects Microsoft Entra ID refusing a code because of where it was redeemed:
AADSTS9002326 (older AADSTS90023) when browser JavaScript redeems it cross-origin
(the token POST carries an Origin header) but the redirect URI is not registered
as a Single-Page Application, and AADSTS9002327 when a code issued to a 'spa'
redirect URI is redeemed without an Origin header (by a server or a proxy).

It also detects a cross-origin token request whose answer CORS kept from the
page: a HAR entry the browser recorded as failed (status 0, net::ERR_FAILED)
for a POST with an Origin header, or, in a capture, the provider's answer
without an Access-Control-Allow-Origin for that Origin (the code is spent,
the app never saw the tokens).

Remediation: for AADSTS9002326 register the redirect URI under the Single-page
application platform (type spa), or redeem server-side with a Web-platform URI;
for a CORS-blocked answer, add the app's origin to the provider's allowed web
origins (or register the URI as spa) and start a new sign-in;
for AADSTS9002327 redeem the code in browser JavaScript (CORS, with Origin), or
use a Web-platform redirect URI and a client credential for server-side
redemption.`,
	Run: runSPACrossOrigin,
}

func runSPACrossOrigin(p *Pass) {
	unsent := map[*model.Event]bool{} // reported with an earlier attempt
	for _, r := range allTokenRequests(p.Analysis) {
		if unsent[r.Request] {
			continue
		}
		if b, ok := CORSBlocked(p.Analysis, r); ok {
			var again []*Redemption
			if b.Unsent {
				again = unsentRetries(p.Analysis, r)
				for _, x := range again {
					unsent[x.Request] = true
				}
			}
			reportCORSBlocked(p, r, b, again)
			continue
		}
		if r.Class() != catalog.ClassSPACrossOrigin {
			continue
		}
		req := r.Request
		code := p.RedemptionEvidence(r, "").ErrorCode
		f := Finding{Code: req.Code, Evidence: []Evidence{p.RedemptionEvidence(r, "token request refused")}}
		if code == "AADSTS9002327" {
			f.Message = fmt.Sprintf("the code issued to a 'spa' redirect URI was redeemed at %s without an Origin header (%s): a server or proxy redeemed a code meant for browser JavaScript", req.Ref, code)
			f.Remediation = "A spa URI's code must be redeemed by browser JavaScript (CORS with Origin); server-side redemption needs a Web-platform redirect URI and a client credential."
		} else {
			origin := req.Origin()
			if origin == "" {
				origin = "(the Origin header is not in the trace)"
			}
			uri := secret.RedactURL(req.RedirectURI())
			f.Message = fmt.Sprintf("browser JavaScript at %s redeemed the code cross-origin at %s (%s), but the redirect URI %q is not registered as a Single-Page Application",
				origin, req.Ref, code, uri)
			f.Remediation = spaPlatformRemedy(req, uri)
		}
		p.Report(f)
	}
}

// spaPlatformRemedy says where to move a redirect URI Entra refused a
// cross-origin redemption for (AADSTS9002326): the app registration's
// Authentication page, the URI as the token request sent it. An app whose
// library redeems only in the browser (MSAL.js, oidc-client-ts) has no
// server to redeem with a Web-platform URI, so that choice is left out.
func spaPlatformRemedy(req *model.Event, uri string) string {
	cl := "the app registration"
	if c := req.ClientID(); c != "" {
		cl = "client " + c
	}
	where := "this redirect URI"
	if uri != "" {
		where = fmt.Sprintf("exactly %q", uri)
	}
	move := fmt.Sprintf("Microsoft Entra admin center → Identity → Applications → App registrations → %s → Authentication → remove %s from the Web platform and add it under Single-page application (type spa), which lets the token endpoint redeem its codes cross-origin with PKCE and no secret.", cl, where)
	if lib := req.Library(); strings.HasPrefix(lib, "MSAL.js") || lib == oauth.OIDCClientTS {
		return move + fmt.Sprintf(" %s redeems the code in the browser, so the URI must be a Single-page application one; then sign in again.", lib)
	}
	return move + " Or, if a server is meant to redeem the code, redeem it there with a Web-platform redirect URI and a client credential."
}

// reportCORSBlocked: browser JavaScript redeemed the code (or refreshed)
// cross-origin and the page could not read the answer.
//
// A request its refused preflight kept unsent is reported once with the
// app's later attempts of the same grant (again), which the same
// preflight answer stopped too.
func reportCORSBlocked(p *Pass, r *Redemption, b CORSBlock, again []*Redemption) {
	req := r.Request
	f := Finding{Code: req.Code, Mechanism: MechCORSBlocked, Confidence: b.Confidence}
	if b.Confidence == ConfidenceLow {
		f.Severity = Warning
	}
	ev := p.RedemptionEvidence(r, "cross-origin token request the page could not read")
	if !req.Code.IsZero() {
		f.Evidence = p.CodeStory(req.Code, []Evidence{ev})
	}
	f.Evidence = append(f.Evidence, ev)
	what := "the code"
	if req.GrantType() == "refresh_token" {
		what = "the refresh token"
	}
	f.Message = fmt.Sprintf("browser JavaScript at %s redeemed %s cross-origin at %s and CORS blocked the answer: %s", b.Origin, what, req.Ref, b.How)
	if b.Confidence == ConfidenceLow {
		f.Message = fmt.Sprintf("browser JavaScript at %s sent %s cross-origin at %s and got no answer, most likely blocked by CORS: %s", b.Origin, what, req.Ref, b.How)
	}
	if r.Succeeded() {
		f.Message += "; the provider did issue tokens (the code is now spent), but the app never received them"
	}
	f.Remediation = corsRemedy(req.Provider(), req.ClientID(), b.Origin)
	if b.Unsent {
		f.Message = fmt.Sprintf("browser JavaScript at %s tried to send %s to the token endpoint cross-origin at %s and CORS stopped it before it left the browser: %s", b.Origin, what, req.Ref, b.How)
		if len(again) > 0 {
			refs := make([]string, len(again))
			for i, x := range again {
				refs[i] = x.Request.Ref
				f.Evidence = append(f.Evidence, p.RedemptionEvidence(x, "the same request again, stopped by the same preflight answer"))
			}
			f.Message += fmt.Sprintf("; the app tried again at %s, stopped the same way", strings.Join(refs, ", "))
		}
		f.Message += "; the provider never saw the request"
		if what == "the code" {
			f.Message += ", so the code was never redeemed"
		}
		f.Remediation = preflightRemedy(req.Provider(), b)
	}
	if r.Response != nil && r.Response.Err != nil && strings.Contains(r.Response.Err.Description, " not allowed for client") {
		// oidc-provider's own refusal of the origin (its clientBasedCORS
		// helper said no; lib/shared/cors.js: "origin … not allowed for
		// client: …"), which it sends without CORS headers: the code was
		// not redeemed.
		f.Message += fmt.Sprintf("; the server refused the origin itself (%q): oidc-provider's clientBasedCORS does not allow it, and the code was not redeemed", shortText(r.Response.Err.Description))
		f.Remediation = fmt.Sprintf("Allow the app's origin %q for client %s in oidc-provider's clientBasedCORS helper (its default allows a public client only the origins of its redirect URIs; a confidential client none), or redeem the code server-side. Start a new sign-in after the change.", req.Origin(), orUnknownClient(req.ClientID()))
	}
	p.Report(f)
}

// unsentRetries are the token requests after r of the same grant (the
// same code or refresh token) that a refused preflight also kept unsent:
// a library retrying a request that failed as a network error does.
func unsentRetries(a *Analysis, r *Redemption) []*Redemption {
	var out []*Redemption
	seen := false
	for _, x := range allTokenRequests(a) {
		if x == r {
			seen = true
			continue
		}
		if !seen || x.Request.Code != r.Request.Code || x.Request.GrantType() != r.Request.GrantType() {
			continue
		}
		if b, ok := CORSBlocked(a, x); ok && b.Unsent {
			out = append(out, x)
		}
	}
	return out
}

// preflightRemedy says how to let a token request its preflight's answer
// refused through: what the answer lacked, where the provider sets it.
func preflightRemedy(p model.Provider, b CORSBlock) string {
	return fmt.Sprintf("The provider's answer to the CORS preflight must allow what the page asks, and it did not: %s. "+
		"Let the token endpoint's CORS policy allow the app's origin %s and every request header the page sends (its allowed headers, Access-Control-Allow-Headers), "+
		"or make the app stop sending a header the provider does not need. Then start a new sign-in: the code of this one was never redeemed.", b.Refusal, b.Origin)
}

// shortText is s on one line, cut at 160 bytes.
func shortText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// corsRemedy says where the provider of a token request blocked by CORS
// is told to answer the app's origin: the provider's own setting when the
// trace names the provider, every provider's otherwise.
func corsRemedy(p model.Provider, client, origin string) string {
	const tail = " Do not retry with the same code: start a new sign-in."
	o := "the app's origin"
	if origin != "" {
		o = fmt.Sprintf("the app's origin %q", origin)
	}
	cl := "the client"
	if client != "" {
		cl = "client " + client
	}
	switch p.Family {
	case model.FamilyEntra:
		return fmt.Sprintf("Register the redirect URI of %s under the Single-page application platform (type spa), which makes the token endpoint answer %s with CORS; or redeem the code server-side with a Web-platform redirect URI.", cl, o) + tail
	case model.FamilyOkta:
		return fmt.Sprintf("Okta Admin Console → Security → API → Trusted Origins → add %s with CORS enabled; or redeem the code server-side.", o) + tail
	case model.FamilyAuth0:
		return fmt.Sprintf("Auth0 Dashboard → Applications → Applications → the application of %s → Settings → Allowed Web Origins → add %s; or redeem the code server-side.", cl, o) + tail
	case model.FamilyKeycloak:
		realm := "the realm"
		if p.Tenant != "" {
			realm = "realm " + p.Tenant
		}
		return fmt.Sprintf("Keycloak Admin Console → %s → Clients → %s → Settings → Web origins → add %s (or + for the origins of its valid redirect URIs); or redeem the code server-side.", realm, cl, o) + tail
	case model.FamilyGoogle:
		return fmt.Sprintf("Google Cloud console → APIs & Services → Credentials → OAuth 2.0 Client IDs → %s → Authorized JavaScript origins → add %s; or redeem the code server-side.", cl, o) + tail
	case model.FamilyADFS:
		return fmt.Sprintf("AD FS 2019 and later answer cross-origin token requests once CORS is on: Set-AdfsResponseHeaders -EnableCORS $true -CORSTrustedOrigins with %s; or redeem the code server-side.", o) + tail
	}
	return "Let the token endpoint answer this origin: register the redirect URI as a single-page application (Entra: platform \"spa\", which enables CORS on the token endpoint) or add the app's origin to the provider's allowed web origins (Auth0 \"Allowed Web Origins\", Okta \"Trusted Origins\" with CORS, Keycloak client \"Web origins\"); or redeem the code server-side with a Web-platform redirect URI." + tail
}

// ClientAuthFailed: the token endpoint refused the client's credentials.
var ClientAuthFailed = &Rule{
	ID:       "client-auth-failed",
	Title:    "client authentication failed at the token endpoint",
	Severity: Error,
	Doc: `Detects a token request refused for its client credentials: error invalid_client,
HTTP 401, Entra AADSTS7000215 (invalid secret — often the
secret's ID sent instead of its value), AADSTS7000222 (expired secret),
AADSTS7000218 (no credential from a confidential client), AADSTS700025 (a public
client sent one), AADSTS700027/50012 (assertion or certificate), B2C
AADB2C90079/90081/90084. It also flags requests that send two credentials
(secret and assertion, or body and Basic) and a client assertion replayed in two
requests (JWT jti reuse on retry). unauthorized_client is not reported: the
client is known but may not use the grant (RFC 6749 §5.2), which the verdict
explains with the provider's setting.

Remediation: use the secret value (not its ID), rotate expired credentials, send
exactly one credential type, send none from public clients (SPA, native), and
build a new client assertion for every request.`,
	Run: runClientAuthFailed,
}

const clientAuthRemediation = "Use the secret value (not its ID), rotate expired credentials, send exactly one credential type; public clients (SPA/native) send none; regenerate client assertions per request."

func runClientAuthFailed(p *Pass) {
	assertions := map[secret.Secret]*Redemption{}
	all := allTokenRequests(p.Analysis)
	retried := map[*Redemption]*Redemption{} // a refused request → its retry with another method
	retry := map[*Redemption]bool{}
	for _, c := range p.Codes {
		for i := 1; i < len(c.Redemptions); i++ {
			if prev, r := c.Redemptions[i-1], c.Redemptions[i]; authRetry(prev, r) && !retry[prev] {
				retried[prev], retry[r] = r, true
			}
		}
	}
	for _, r := range all {
		req := r.Request
		if !req.Assertion().IsZero() {
			if first, ok := assertions[req.Assertion()]; ok {
				p.Report(Finding{Severity: Warning,
					Message: fmt.Sprintf("the same client_assertion %s was sent at %s and again at %s; assertions are single-use (jti) and a retry must build a new one",
						req.Assertion(), first.Request.Ref, req.Ref),
					Evidence:    []Evidence{p.RedemptionEvidence(first, "first use"), p.RedemptionEvidence(r, "replayed")},
					Remediation: clientAuthRemediation,
				})
			} else {
				assertions[req.Assertion()] = r
			}
		}
		cls := r.Class()
		// A 401 is a client authentication failure unless the error says
		// otherwise (fosite answers expired codes and tokens with 401).
		refused := cls == catalog.ClassClientAuth ||
			(r.Response != nil && r.Response.Status == 401 && (cls == catalog.ClassNone || cls == catalog.ClassUnknownProvider))
		if !refused || retry[r] {
			continue // a retry is told with the request it repeats
		}
		code := p.RedemptionEvidence(r, "").ErrorCode
		msg := fmt.Sprintf("%s refused the credentials of client %s at %s (%s); the client authenticated with %s",
			model.ProviderName(req.Provider()), orUnknownClient(req.ClientID()), req.Ref, code, authName(req.ClientAuth()))
		if strings.Contains(req.ClientAuth(), "+") {
			msg += "; it sent more than one credential"
		}
		evs := []Evidence{p.RedemptionEvidence(r, "token request refused")}
		var sev Severity
		if again := retried[r]; again != nil {
			how := "refused again"
			if c := p.RedemptionEvidence(again, "").ErrorCode; c != "" {
				how += " (" + c + ")"
			}
			why := "so the secret itself, not the method, is what the provider refused"
			if !again.Failed() {
				how, why = "accepted", "so the client is registered for the other method"
				sev = Info // the sign-in went on: one wasted request
			}
			msg += fmt.Sprintf(", then retried the same code at %s with %s, %s: its library falls back to the other method after a refusal (golang.org/x/oauth2's auto-detected auth style does), %s",
				again.Request.Ref, authName(again.Request.ClientAuth()), how, why)
			evs = append(evs, p.RedemptionEvidence(again, "retried with another client authentication"))
		}
		if info, ok := catalog.LookupCode(code); ok {
			msg += "; " + info.Meaning
		}
		if cb := refusedCallbackOf(p.Analysis, r); cb != nil {
			_, how := callbackFailed(p.Analysis, cb)
			msg += fmt.Sprintf("; the app answered the callback at %s (%s)", cb.Ref, how)
			evs = append(evs, p.Evidence(cb, "callback the app refused"))
		}
		p.Report(Finding{Code: req.Code, Message: msg, Evidence: evs, Severity: sev,
			Remediation: appCredentialRemedy(p.Analysis, r.Tx) + clientAuthRemedy(req.Provider())})
	}
	reportRefusedClientAuth(p)
}

// reportRefusedClientAuth reports a callback the app refused in its
// library's words quoting invalid_client (Authlib's "OAuthError:
// invalid_client") when no redemption of its code is in the trace: the
// provider refused the app's own, server-side token request for its
// client credentials, which only the app's page shows.
func reportRefusedClientAuth(p *Pass) {
	for _, t := range p.Transactions {
		for _, cb := range t.Callbacks() {
			if !refusalClientAuth(cb) || cb.Code.IsZero() || !codeUnredeemed(p.Analysis, cb.Code) {
				continue
			}
			failed, how := callbackFailed(p.Analysis, cb)
			if !failed {
				continue
			}
			var evs []Evidence
			client, prov := "", model.Provider{}
			if t.Authorize != nil {
				evs = append(evs, p.Evidence(t.Authorize, "authorize request"))
				client, prov = t.Authorize.ClientID(), t.Authorize.Provider()
			}
			cbEv := p.Evidence(cb, "callback the app refused")
			evs = append(evs, p.CodeStory(cb.Code, append(evs, cbEv))...)
			evs = append(evs, cbEv)
			r := cb.Refusal()
			p.Report(Finding{Code: cb.Code, Confidence: ConfidenceMedium,
				Message: fmt.Sprintf("the app refused the callback at %s (%s): %s raises the provider's answer to the app's own token request, so the provider refused the credentials of client %s (invalid_client: a wrong, rotated or expired client secret, or another authentication method than the client is registered for); that request is server-side and not in this trace, which cannot show which credential was sent",
					cb.Ref, how, r.Library, orUnknownClient(client)),
				Evidence:    evs,
				Remediation: appCredentialRemedy(p.Analysis, t) + clientAuthRemedy(prov)})
		}
	}
}

// refusedCallbackOf is the callback that delivered r's code when the app
// answered it with a failure in its library's words, nil otherwise.
func refusedCallbackOf(a *Analysis, r *Redemption) *model.Event {
	c := a.trailOf(r.Request.Code)
	if c == nil {
		return nil
	}
	for _, d := range c.Deliveries {
		if d.Exchange > r.Request.Exchange || d.Refusal() == nil {
			continue
		}
		if failed, _ := callbackFailed(a, d); failed {
			return d
		}
	}
	return nil
}

// appCredentialRemedy names where a relying party the trace recognises
// keeps its client secret, "" for others.
func appCredentialRemedy(a *Analysis, t *Transaction) string {
	if t == nil {
		return ""
	}
	if _, kubelogin := loopbackSending(a, t); kubelogin {
		return "The client is kubelogin on the user's machine (kubectl oidc-login): its secret is the --oidc-client-secret of the kubeconfig user's exec args; set it to the client's current secret there, or register the client as public at the provider and drop the flag. "
	}
	lib := t.Library()
	if lib == "" {
		lib = t.refusingLibrary()
	}
	if s := nodeAppCredentialRemedy(lib); s != "" {
		return s
	}
	switch {
	case strings.HasPrefix(lib, "Authlib"):
		return "The app signs in with Authlib: give oauth.register the client's current secret (its client_secret argument, or the {NAME}_CLIENT_SECRET setting of the registered name: Flask's app.config, Django's AUTHLIB_OAUTH_CLIENTS), and client_kwargs={\"token_endpoint_auth_method\": \"client_secret_post\"} when the client is registered for that method (Authlib sends client_secret_basic by default), then restart the app. "
	case strings.HasPrefix(lib, "social-auth"):
		return "The app signs in with social-auth-app-django: set SOCIAL_AUTH_<BACKEND>_SECRET (SOCIAL_AUTH_OIDC_SECRET for social-core's generic OpenID Connect backend) to the client's current secret, then restart the app (social-core sends it with HTTP Basic when the provider's discovery document lists client_secret_basic, in the body otherwise); social-core reports the provider's 401 as \"Your credentials aren't allowed\" (AuthForbidden). "
	case strings.HasPrefix(lib, "openid-client"):
		return "The app uses openid-client: give its Client the client's current secret (client_secret in new issuer.Client({ … }) in openid-client 5; the ClientSecretBasic or ClientSecretPost given to discovery() in openid-client 6) and the token_endpoint_auth_method the client is registered for (openid-client 5 sends client_secret_basic by default), then restart the app. "
	case strings.HasPrefix(lib, "mod_auth_openidc"):
		return "The app is Apache's mod_auth_openidc: set OIDCClientSecret to the client's current secret (and OIDCProviderTokenEndpointAuth to the method the client is registered for), then reload Apache. "
	case strings.HasPrefix(lib, "oauth2-proxy"):
		return "The app is oauth2-proxy: set --client-secret (client_secret in its configuration file, OAUTH2_PROXY_CLIENT_SECRET, or --client-secret-file) to the client's current secret, then restart it. "
	}
	return ""
}

// clientAuthRemedy is the remediation of a refused client credential at
// provider p: where that provider keeps the client's secret and its
// authentication method. "The secret value, not its ID" is Entra's own
// trap (AADSTS7000215); Entra and servers the trace cannot name keep the
// general text.
func clientAuthRemedy(p model.Provider) string {
	const base = "Send the client's current credential, exactly one of the type the client is registered for (rotate an expired secret; build a new client assertion for every request); a public client (SPA, native) sends none"
	switch p.Family {
	case model.FamilyOkta:
		return base + ": Okta Admin Console → Applications → the app → General → Client Credentials (the client secret and the Client authentication method; Require PKCE with no secret for a SPA)."
	case model.FamilyAuth0:
		return base + ": Auth0 Dashboard → Applications → the application → Settings → Client Secret, and Credentials → Authentication Method (None for a SPA)."
	case model.FamilyKeycloak:
		return base + ": Keycloak Admin Console → the realm → Clients → the client → Credentials (the secret; Client authentication off for a public client)."
	case model.FamilyCognito:
		return base + ": Amazon Cognito console → the user pool → App integration → the app client (its client secret; a client created without one must send none)."
	case model.FamilyGoogle:
		return base + ": Google Cloud console → APIs & Services → Credentials → the OAuth 2.0 client (its client secret; the secret of another client or a deleted one fails)."
	case model.FamilyPing:
		if p.Variant == "pingone" {
			return base + ": PingOne admin console → Applications → the application → Configuration (Token Endpoint Authentication Method and the client secret)."
		}
		return base + ": PingFederate administrative console → Applications → OAuth → Clients → the client → Client Authentication (and replicate the configuration to every node)."
	case model.FamilyOneLogin:
		return base + ": OneLogin administration → Applications → the app → SSO (the client secret and the Token Endpoint authentication method)."
	case model.FamilyADFS:
		return base + ": AD FS Management → Application Groups → the group → the server application → Configure client credentials."
	case model.FamilyHydra:
		return base + ": Ory Hydra keeps the client's client_secret (shown once, when the client is created) and its token_endpoint_auth_method (client_secret_basic by default; client_secret_post, private_key_jwt, none): hydra get oauth2-client CLIENT_ID --endpoint ADMIN_URL shows the method; a new secret is set with PATCH /admin/clients/CLIENT_ID ([{\"op\": \"replace\", \"path\": \"/client_secret\", \"value\": …}]), not with hydra update oauth2-client, which replaces the whole client."
	case model.FamilyDjangoOAuthToolkit:
		return base + ": the Django site's admin (/admin/) → Django OAuth Toolkit → Applications → the application → Client secret, Client type (confidential; a public client sends none); django-oauth-toolkit takes the secret with HTTP Basic or in the body alike. From its version 2.0 it keeps only a hash of the secret (Hash client secret, on by default): copy the secret when the application is created, as the form shows it before Save; the value the admin shows afterwards is the hash, and an app given the hash is refused with invalid_client."
	case model.FamilyGlewlwyd:
		return base + ": Glewlwyd answers a wrong or missing secret with 403 unauthorized_client, not invalid_client; its administration app → Clients → the client: its password (the secret, set anew there; only its hash is kept), Token endpoint authentication methods (client_secret_basic, client_secret_post: the method the app uses must be listed) and Authorization types (code)."
	case model.FamilyLemonLDAP:
		return base + ": LemonLDAP::NG Manager → OpenID Connect Relying Parties → the relying party → Options → Basic → Client secret (oidcRPMetaDataOptionsClientSecret), then Save; the app sends it with HTTP Basic or in the body, either is accepted, and a relying party with Public client on takes none. The portal logs \"Wrong credentials for\" the relying party on each refusal."
	case model.FamilyDex:
		return base + ": Dex's configuration (config.yaml; the Helm chart's config value; Argo CD's dex.config) → staticClients → the client's entry → secret (or secretEnv, the environment variable holding it), then restart Dex; a client with public: true has no secret and its apps send none."
	case model.FamilyGitHub:
		return base + ": GitHub → Settings (the organization's settings for an app it owns) → Developer settings → OAuth Apps or GitHub Apps → the app → Client ID and Client secrets (GitHub shows a secret once: generate a new one, deploy it, then delete the old one)."
	}
	return clientAuthRemediation
}

// RefreshTokenExpired: a refresh grant refused as expired or revoked.
var RefreshTokenExpired = &Rule{
	ID:       "refresh-token-expired",
	Title:    "refresh token expired, revoked or raced",
	Severity: Warning,
	Doc: `Detects a refresh_token grant refused because the refresh token expired or was
revoked (Entra AADSTS700082 after 90 days of inactivity, AADSTS700084 for the
fixed 24-hour SPA lifetime, AADSTS70008, AADSTS50173 after a password change,
AADSTS70043 Conditional Access sign-in frequency; B2C AADB2C90080/90129; Google
"Token has been expired or revoked."; Keycloak "Token is not active", "Stale
token"), and two refresh requests sent with the same refresh token where one
fails (rotation race between tabs or processes).

This is usually an expected lifecycle event, hence a warning.

Remediation: start an interactive sign-in; store the newest refresh token after
every refresh; serialize refreshes across tabs and processes.`,
	Run: runRefreshExpired,
}

func runRefreshExpired(p *Pass) {
	byToken := map[secret.Secret][]*Redemption{}
	var order []secret.Secret
	for _, r := range p.Refreshes {
		rt := r.Request.RefreshToken()
		if !rt.IsZero() {
			if _, ok := byToken[rt]; !ok {
				order = append(order, rt)
			}
			byToken[rt] = append(byToken[rt], r)
		}
	}
	raced := map[*Redemption]bool{}
	// A refused refresh its library sent again at once with the other
	// client authentication (golang.org/x/oauth2's auto-detected auth
	// style retries after any refusal): one refresh, not a race.
	retry := map[*Redemption]*Redemption{}
	for _, rt := range order {
		rs := byToken[rt]
		if len(rs) == 2 && authRetry(rs[0], rs[1]) {
			retry[rs[0]] = rs[1]
			raced[rs[1]] = true
			continue
		}
		if len(rs) < 2 || !anyFailed(rs) {
			continue
		}
		f := Finding{Severity: Error, Remediation: "Serialize refreshes across tabs and processes and always store the newest refresh token; with rotation a reused refresh token is refused and may revoke the session." + refreshRotationAt(rs[0].Request.Provider())}
		for i, r := range rs {
			f.Evidence = append(f.Evidence, p.RedemptionEvidence(r, ordinal(i)+" refresh"))
			raced[r] = true
		}
		first, second := rs[0], rs[1]
		rotated := first.Succeeded() && !first.Response.RefreshToken().IsZero() && !first.Response.RefreshToken().Equal(rt)
		sequential := first.Response != nil && !second.Request.Time.IsZero() && !first.Response.Time.IsZero() &&
			!second.Request.Time.Before(first.Response.Time)
		if rotated && sequential {
			f.Message = fmt.Sprintf("refresh token %s was used again at %s after the refresh at %s had rotated it (the provider returned a new refresh token), and the reuse failed: the client keeps the old refresh token instead of the newest one",
				rt, second.Request.Ref, first.Request.Ref)
			f.Remediation = "Store the refresh token returned by every refresh and use only the newest; providers that rotate refresh tokens refuse (and may revoke the session on) reuse of an old one." + refreshRotationAt(first.Request.Provider())
		} else {
			f.Message = fmt.Sprintf("refresh token %s was sent %d times (%s and %s) and a refresh failed: two tabs or processes raced on one rotating refresh token",
				rt, len(rs), first.Request.Ref, second.Request.Ref)
		}
		p.Report(f)
	}
	for _, r := range p.Refreshes {
		if raced[r] || !r.Failed() {
			continue
		}
		cls := r.Class()
		if cls != catalog.ClassRefreshExpired && cls != catalog.ClassCodeExpired && cls != catalog.ClassGenericGrant && cls != catalog.ClassCodeInvalid {
			continue
		}
		code := p.RedemptionEvidence(r, "").ErrorCode
		msg := fmt.Sprintf("%s refused the refresh token at %s (%s)", model.ProviderName(r.Request.Provider()), r.Request.Ref, code)
		if info, ok := catalog.Classify(r.Response.Err, r.Request.Provider().Family); ok && cls != catalog.ClassGenericGrant && cls != catalog.ClassCodeInvalid {
			msg += ": " + info.Meaning
		} else {
			msg += ": the refresh token is expired, revoked or was rotated away"
		}
		ev := []Evidence{p.RedemptionEvidence(r, "refresh refused")}
		if again := retry[r]; again != nil {
			msg += fmt.Sprintf("; the client sent it again at %s with %s instead of %s, refused again: its library retries a refused request with the other client authentication (golang.org/x/oauth2's auto-detected auth style does), so this is one refresh, not two",
				again.Request.Ref, authName(again.Request.ClientAuth()), authName(r.Request.ClientAuth()))
			ev = append(ev, p.RedemptionEvidence(again, "the same refresh, other client authentication"))
		}
		remedy := "Expected lifecycle event: start an interactive sign-in; store the newest refresh token after every refresh; serialize refreshes across tabs/processes."
		if serverLibrary(p.Analysis, r) == "oauth2-proxy" {
			msg += "; oauth2-proxy refreshes a session older than --cookie-refresh with the refresh token it keeps in the session, and when the provider refuses it clears the session and sends the user to sign in again"
			if t := signInAfter(p.Analysis, r); t != nil {
				msg += fmt.Sprintf(" (the new sign-in at %s)", t.Authorize.Ref)
				ev = append(ev, p.Evidence(t.Authorize, "oauth2-proxy's new sign-in"))
			}
			remedy = "Nothing is broken when the provider ended the session on purpose (a logout elsewhere, a password change, an administrator's revocation): the new sign-in oauth2-proxy started is the expected outcome. Otherwise align oauth2-proxy with the provider's refresh-token lifetimes: --cookie-refresh (cookie_refresh) well under the refresh token's idle timeout (Keycloak's SSO Session Idle, Entra's inactivity window), so that each refresh renews it before it lapses, and --cookie-expire (168h by default) no longer than the refresh token's maximum lifetime; oauth2-proxy logs \"Unable to refresh session\" with the provider's error."
		}
		if r.Request.Provider().Family == model.FamilyGoogle {
			// Google does not rotate refresh tokens: its bare invalid_grant
			// ("Bad Request") on a refresh is one of the ends of life its
			// OAuth documentation lists.
			remedy = "Start an interactive sign-in (with access_type=offline and prompt=consent for a new refresh token). Google ends a refresh token when the user revokes the app's access, when the password changes (for Gmail scopes), after six months unused, after 7 days for an app in Testing publishing status, or when the account holds more than 100 refresh tokens for the client (the oldest goes): keep one refresh token per user and reuse it."
		}
		if lib := browserLibrary(p.Analysis, r); lib != "" {
			msg += fmt.Sprintf("; %s sent it from the browser (Origin %s)", lib, r.Request.Origin())
			fb := silentAfter(p.Analysis, r)
			switch {
			case strings.HasPrefix(lib, "MSAL.js") && fb != nil:
				msg += fmt.Sprintf(" and then, as MSAL.js does when a refresh token is refused, renewed silently at %s (prompt=none%s)", fb.Authorize.Ref, inFrame(fb.Authorize))
				ev = append(ev, p.Evidence(fb.Authorize, "MSAL.js's fallback: a silent renewal"))
				remedy = "MSAL.js renews with the refresh token first and, when the provider refuses it, with a hidden iframe (prompt=none) on its own; when that needs the user too, acquireTokenSilent rejects with InteractionRequiredAuthError: catch it and call acquireTokenRedirect (or acquireTokenPopup) with the same request. Entra gives single-page apps refresh tokens for 24 hours (AADSTS700084 after), so an interactive sign-in a day is expected where the iframe cannot renew."
			case strings.HasPrefix(lib, "MSAL.js"):
				remedy = "MSAL.js renews with the refresh token first and, when the provider refuses it, with a hidden iframe (prompt=none) on its own; when acquireTokenSilent rejects with InteractionRequiredAuthError, call acquireTokenRedirect (or acquireTokenPopup) with the same request. Entra gives single-page apps refresh tokens for 24 hours (AADSTS700084 after)."
			case lib == oauth.OIDCClientTS && fb == nil:
				msg += ", and made no other attempt: its signinSilent does not fall back to the iframe when it has a refresh token"
				remedy = "oidc-client-ts's signinSilent renews with the user's refresh token when it has one and then rejects with the provider's ErrorResponse (invalid_grant) without trying the iframe: catch it (events.addSilentRenewError with automaticSilentRenew), call removeUser() and signinRedirect(). Store the newest refresh token (oidc-client-ts does so itself) and do not run two UserManagers on one user store."
			}
		}
		p.Report(Finding{Message: msg, Evidence: ev, Remediation: remedy})
	}
}

// browserLibrary names the single-page app library (MSAL.js,
// oidc-client-ts) behind a refresh the browser's JavaScript sent (an
// Origin header): the request's own, else the one the trace's sign-ins
// name when they name no other. "" otherwise.
func browserLibrary(a *Analysis, r *Redemption) string {
	if r.Request.Origin() == "" || r.Request.Origin() == "null" {
		return ""
	}
	spa := func(lib string) bool { return strings.HasPrefix(lib, "MSAL.js") || lib == oauth.OIDCClientTS }
	if lib := r.Request.Library(); lib != "" {
		if spa(lib) {
			return lib
		}
		return ""
	}
	found := ""
	for _, t := range a.Transactions {
		switch lib := t.Library(); {
		case lib == "":
		case !spa(lib) || found != "" && found != lib:
			return ""
		default:
			found = lib
		}
	}
	return found
}

// serverLibrary names the relying party in front of an app (oauth2-proxy)
// behind a refresh sent from a server (no Origin), when every sign-in of
// the trace names that one; "" otherwise.
func serverLibrary(a *Analysis, r *Redemption) string {
	if r.Request.Origin() != "" {
		return ""
	}
	found := ""
	for _, t := range a.Transactions {
		lib := t.Library()
		switch {
		case lib == "":
		case !strings.HasPrefix(lib, "oauth2-proxy") || found != "" && found != "oauth2-proxy":
			return ""
		default:
			found = "oauth2-proxy"
		}
	}
	return found
}

// signInAfter finds the first interactive sign-in started after refresh r
// was answered, within a minute: what the app did next.
func signInAfter(a *Analysis, r *Redemption) *Transaction {
	if r.Response == nil {
		return nil
	}
	for _, t := range a.Transactions {
		az := t.Authorize
		if az == nil || az.Exchange <= r.Response.Exchange {
			continue
		}
		if d, _, ok := Elapsed(r.Response, az); ok && d > time.Minute {
			continue
		}
		return t
	}
	return nil
}

// silentAfter finds the first silent sign-in (prompt=none) that started
// after refresh r was answered, within a minute: a library's fallback.
func silentAfter(a *Analysis, r *Redemption) *Transaction {
	if r.Response == nil {
		return nil
	}
	for _, t := range a.Transactions {
		az := t.Authorize
		if az == nil || az.Prompt() != "none" || az.Exchange <= r.Response.Exchange {
			continue
		}
		if d, _, ok := Elapsed(r.Response, az); ok && d > time.Minute {
			continue
		}
		return t
	}
	return nil
}

// inFrame says ", in a hidden iframe" for a request a frame made.
func inFrame(e *model.Event) string {
	if e.Dest() == model.DestFrame {
		return ", in a hidden iframe"
	}
	return ""
}

// SecretInBrowser: a client secret sent by browser JavaScript.
var SecretInBrowser = &Rule{
	ID:       "secret-in-browser",
	Title:    "client secret sent from browser JavaScript",
	Severity: Warning,
	Doc: `Detects a token request that carries a client secret (in the body or as HTTP
Basic) and an Origin header: browser JavaScript sent it, so the secret ships in
the web page and every user can read it. Such a client cannot be confidential;
RFC 9700 and the providers treat browser apps as public clients (Entra refuses
credentials with an Origin header, AADSTS700025 / AADSTS9002326).

Remediation: remove the secret from the browser app and rotate it; register the
app as a public client (single-page application) using PKCE, or redeem codes on a
backend.`,
	Run: runSecretInBrowser,
}

func runSecretInBrowser(p *Pass) {
	for _, r := range allTokenRequests(p.Analysis) {
		req := r.Request
		if req.Origin() == "" || req.Origin() == "null" || req.ClientSecret().IsZero() {
			continue
		}
		p.Report(Finding{
			Message: fmt.Sprintf("browser JavaScript at %s sent client %s's secret %s to the token endpoint at %s (%s): a secret in a web page is readable by every user, so this client cannot be confidential",
				req.Origin(), orUnknownClient(req.ClientID()), req.ClientSecret(), req.Ref, authName(req.ClientAuth())),
			Evidence:    []Evidence{p.RedemptionEvidence(r, "client secret sent from a browser")},
			Remediation: "Remove the secret from the browser app and rotate it; register the app as a public client (SPA) using PKCE, or redeem codes on a backend."})
		return // one finding per trace: every later request repeats it
	}
}

// refreshRotationAt names a provider's own settings for refresh token
// rotation, to follow a remediation ("" when it has none the rules know).
func refreshRotationAt(p model.Provider) string {
	if p.Family == model.FamilyDjangoOAuthToolkit {
		// oauth2_provider's settings: rotation on, no grace period.
		return " django-oauth-toolkit rotates refresh tokens by default (ROTATE_REFRESH_TOKEN) and refuses a used one at once with invalid_grant; REFRESH_TOKEN_GRACE_PERIOD_SECONDS in the site's OAUTH2_PROVIDER settings (0 by default) lets a used one be presented again for that many seconds, for clients that refresh concurrently or lose the answer."
	}
	return ""
}
