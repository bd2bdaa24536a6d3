package rules

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Remediation for the case: the rules' advice is one paragraph per rule or
// mechanism; Remediate rewrites it from the evidence of each finding — which
// side changed, where the fix lives for this provider, the exact value to
// register — and shows in the evidence rows the parameter that proves it.

// Redirect URI cases, set as the finding's Mechanism when the rule left it
// empty.
const (
	// MechRedirectNotRegistered: the provider refused the redirect URI at
	// authorize time: the registration lacks it.
	MechRedirectNotRegistered Mechanism = "not-registered"
	// MechRedirectTokenDiffers: the token call sent another redirect_uri
	// than the authorize request: the app's code is at fault.
	MechRedirectTokenDiffers Mechanism = "token-call-differs"
	// MechRedirectProxyScheme: the two differ by http vs https: the app
	// builds its URL behind a TLS-terminating proxy.
	MechRedirectProxyScheme Mechanism = "proxy-scheme"
	// MechRedirectRefusedAtToken: the provider refused the token call's
	// redirect_uri and the authorize request is not in the trace.
	MechRedirectRefusedAtToken Mechanism = "refused-at-token"
)

// Remediate rewrites the remediation of each finding for its case and adds
// the proving parameters to its evidence.
func Remediate(a *Analysis, fs []Finding) {
	idx := refEvents(a, fs)
	for i := range fs {
		f := &fs[i]
		c := contextOf(idx, f)
		addParams(f, c)
		if s := caseRemediation(f, c); s != "" {
			f.Remediation = s
		}
	}
	a.scrubFindings(fs)
}

// findingContext is what the evidence of one finding shows about the
// sign-in: the events behind its refs.
type findingContext struct {
	events    []*model.Event
	provider  model.Provider
	client    string
	authorize *model.Event
	tokenReq  *model.Event
}

// refEvents lists, for every ref the findings' evidence names, the events
// behind it with their positions in source order, in one pass over the
// events: a pass per finding made 10,000 findings over 20,000 events
// (a HAR whose every token request was answered with a page) take 2.3 s.
func refEvents(a *Analysis, fs []Finding) map[string][]posEvent {
	idx := map[string][]posEvent{}
	for i := range fs {
		for _, e := range fs[i].Evidence {
			idx[e.Ref] = nil
		}
	}
	if len(idx) == 0 {
		return idx
	}
	pos := 0
	for ev := range a.events() {
		if evs, ok := idx[ev.Ref]; ok {
			idx[ev.Ref] = append(evs, posEvent{pos, ev})
		}
		pos++
	}
	return idx
}

// posEvent is an event and its position in source order.
type posEvent struct {
	pos int
	ev  *model.Event
}

// contextOf gathers the events behind f's evidence (from refEvents), in
// source order.
func contextOf(idx map[string][]posEvent, f *Finding) findingContext {
	var evs []posEvent
	seen := map[string]bool{}
	for _, e := range f.Evidence {
		if !seen[e.Ref] {
			seen[e.Ref] = true
			evs = append(evs, idx[e.Ref]...)
		}
	}
	slices.SortFunc(evs, func(x, y posEvent) int { return x.pos - y.pos })
	var c findingContext
	for _, pe := range evs {
		ev := pe.ev
		c.events = append(c.events, ev)
		if c.provider.Family == "" && ev.Provider().Family != "" && ev.Provider().Family != model.FamilyApp {
			c.provider = ev.Provider()
		}
		if c.client == "" && ev.ClientID() != "" {
			c.client = ev.ClientID()
		}
		switch ev.Kind {
		case model.AuthorizeRequest:
			if c.authorize == nil {
				c.authorize = ev
			}
		case model.TokenRequest:
			c.tokenReq = ev // the last one: the refused or repeated call
		}
	}
	return c
}

// issued reports whether the finding's evidence shows the provider issuing
// a code.
func (c findingContext) issued() bool {
	for _, ev := range c.events {
		if ev.Kind == model.CodeIssued {
			return true
		}
	}
	return false
}

// addParams shows, on each evidence row, the parameter the finding turns
// on: the redirect_uri of the authorize and token requests, the code, the
// PKCE verifier, the state.
func addParams(f *Finding, c findingContext) {
	byRef := map[string][]*model.Event{}
	for _, ev := range c.events {
		byRef[ev.Ref] = append(byRef[ev.Ref], ev)
	}
	for i := range f.Evidence {
		e := &f.Evidence[i]
		if e.Param != "" {
			continue
		}
		for _, ev := range byRef[e.Ref] {
			if p := provingParam(f.RuleID, ev); p != "" {
				e.Param = p
				break
			}
		}
	}
}

func provingParam(rule string, ev *model.Event) string {
	switch rule {
	case "redirect-uri-mismatch":
		if (ev.Kind == model.AuthorizeRequest || ev.Kind == model.TokenRequest) && ev.RedirectURI() != "" {
			return "redirect_uri=" + secret.RedactURL(ev.RedirectURI())
		}
		if ev.Kind == model.TokenRequest {
			return "redirect_uri absent"
		}
	case "code-reuse", "code-expired":
		if (ev.Kind == model.TokenRequest || ev.Kind == model.Callback || ev.Kind == model.CodeIssued) && !ev.Code.IsZero() {
			return "code=" + ev.Code.String()
		}
	case "pkce-mismatch", "pkce-missing", "multi-tab-race":
		switch {
		case ev.Kind == model.TokenRequest && !ev.CodeVerifier().IsZero():
			return "code_verifier=" + ev.CodeVerifier().String()
		case ev.Kind == model.AuthorizeRequest && !ev.State.IsZero():
			return "state=" + ev.State.String()
		case ev.Kind == model.Callback && !ev.State.IsZero():
			return "state=" + ev.State.String()
		}
	case "state-mismatch":
		if !ev.State.IsZero() {
			return "state=" + ev.State.String()
		}
	}
	return ""
}

func caseRemediation(f *Finding, c findingContext) string {
	switch f.RuleID {
	case "redirect-uri-mismatch":
		return redirectRemedy(f, c)
	case "code-reuse":
		return reuseRemedy(f)
	case "multi-tab-race":
		return raceRemedy(f)
	case "code-expired":
		return expiredRemedy(f)
	}
	return ""
}

func redirectRemedy(f *Finding, c findingContext) string {
	var authURI, tokenURI string
	if c.authorize != nil {
		authURI = c.authorize.RedirectURI()
	}
	if c.tokenReq != nil {
		tokenURI = c.tokenReq.RedirectURI()
	}
	rejectedAtAuthorize := false
	for _, e := range f.Evidence {
		if e.Note == "provider rejected the redirect URI" {
			rejectedAtAuthorize = true
		}
	}
	switch {
	case rejectedAtAuthorize:
		setMech(f, MechRedirectNotRegistered)
		s := "The provider refused the redirect URI when the sign-in started: the fix lives in the app registration, not in the token call. " +
			registration(c.provider, c.client, authURI)
		switch {
		case strings.Contains(f.Message, "which sends its OIDCRedirectURI"):
			s += " Or, when the URI registered is the right one, set OIDCRedirectURI in the Apache configuration to it (a path inside a location with AuthType openid-connect: mod_auth_openidc answers it itself) and reload Apache."
		case strings.Contains(f.Message, "which sends its --redirect-url"):
			s += " Or, when the URI registered is the right one, set oauth2-proxy's --redirect-url (redirect_url, OAUTH2_PROXY_REDIRECT_URL) to it, ending in its callback path /oauth2/callback (under --proxy-prefix), and restart it."
		case nodeAppRedirectRemedy(f.Message) != "":
			s += nodeAppRedirectRemedy(f.Message)
		case f.sentBy == "kubelogin":
			s += " kubelogin's usage documentation asks to register both of its defaults, http://localhost:8000 and http://localhost:18000 (the second is used when port 8000 is taken); or keep kubelogin on the registered one with --listen-address=127.0.0.1:8000 (and --oidc-redirect-url-hostname, or --oidc-redirect-url, when the registration names 127.0.0.1 rather than localhost) in the kubeconfig user's exec args, and run one kubectl sign-in at a time: a second kubelogin started while the first waits for the browser cannot take the port."
		}
		if isHTTPOnNonLoopback(authURI) {
			setMech(f, MechRedirectProxyScheme)
			s = fmt.Sprintf("The app sent %q, an http:// URI on a public host: it builds its redirect URI from the request it sees behind a TLS-terminating proxy (load balancer, App Service, ingress), which arrives as http. Register nothing new; make the app see https: %s. Only if http is really intended: %s",
				secret.RedactURL(authURI), forwardedHeaders, registration(c.provider, c.client, authURI))
		}
		return s
	case c.tokenReq != nil && authURI != "" && tokenURI != authURI:
		setMech(f, MechRedirectTokenDiffers)
		if schemeOnly(authURI, tokenURI) {
			setMech(f, MechRedirectProxyScheme)
			return fmt.Sprintf("The authorize request sent %q and the token call %q: only the scheme differs, so the app builds the token call's redirect URI from a request it sees as http behind a TLS-terminating proxy. The fix lives in the app, not in the registration: %s, or configure the redirect URI explicitly and use the same value in both calls.",
				secret.RedactURL(authURI), secret.RedactURL(tokenURI), forwardedHeaders)
		}
		if tokenURI == "" {
			return fmt.Sprintf("The token call omits redirect_uri although the authorize request sent %q: the fix lives in the app's token call: send redirect_uri=%q with the code (RFC 6749 §4.1.3); the registration is fine, the provider accepted the URI at authorize time.",
				secret.RedactURL(authURI), secret.RedactURL(authURI))
		}
		return fmt.Sprintf("The authorize request sent %q and the token call %q. The fix lives in the app's token call, not in the registration (the provider accepted the first URI when the sign-in started): send on the token request exactly the redirect_uri of the authorize request — keep it with the state, or build both from one setting.",
			secret.RedactURL(authURI), secret.RedactURL(tokenURI))
	case c.tokenReq != nil && c.authorize != nil && authURI == "":
		// The provider sent the code to the client's registered redirect
		// URI (GitHub's default callback URL); the token call named
		// another.
		setMech(f, MechRedirectTokenDiffers)
		return fmt.Sprintf("The authorize request at %s sent no redirect_uri, so the provider sent the code to the redirect URI registered for the client, and the token call sent %q, which it refused. The fix lives in the app: send the same redirect_uri on both calls, or on neither; if %q is the one the app should use, send it on the authorize request too and register it. %s",
			c.authorize.Ref, secret.RedactURL(tokenURI), secret.RedactURL(tokenURI), registration(c.provider, c.client, tokenURI))
	case c.tokenReq != nil && c.authorize != nil && authURI == tokenURI:
		setMech(f, MechRedirectRefusedAtToken)
		if !c.issued() {
			return fmt.Sprintf("The provider refused the token call's redirect_uri %q, the value the authorize request at %s sent too; the trace does not show the provider issuing the code for it. If this value is what the app uses, register it. %s",
				secret.RedactURL(tokenURI), c.authorize.Ref, registration(c.provider, c.client, tokenURI))
		}
		return fmt.Sprintf("The provider refused the token call's redirect_uri %q, although the authorize request at %s sent the same value and the provider issued the code for it: the value is registered for the client that started the sign-in. Compare the token call's client_id with the authorize request's (another app's registration does not list it), check that the code redeemed is the one this sign-in issued, and that the registration did not change in between. %s",
			secret.RedactURL(tokenURI), c.authorize.Ref, registration(c.provider, c.client, tokenURI))
	case c.tokenReq != nil:
		setMech(f, MechRedirectRefusedAtToken)
		return fmt.Sprintf("The provider refused the token call's redirect_uri %q. The authorize request is not in this trace: if it sent another value, send that one on the token call; if this value is what the app uses, register it. %s",
			secret.RedactURL(tokenURI), registration(c.provider, c.client, tokenURI))
	}
	return ""
}

const forwardedHeaders = "honour X-Forwarded-Proto and X-Forwarded-Host from the proxy (ASP.NET Core: app.UseForwardedHeaders() with ForwardedHeaders.XForwardedProto | XForwardedHost, trusting your proxy's network; Express: app.set('trust proxy', …); Spring Boot: server.forward-headers-strategy=framework; Django: SECURE_PROXY_SSL_HEADER; nginx in front: proxy_set_header X-Forwarded-Proto $scheme)"

// orThe is a client id for a sentence, "the client's" when unknown.
func orThe(client string) string {
	if client == "" {
		return "the client's"
	}
	return client
}

// registration says where the redirect URI is registered at this provider
// and which exact value to add.
func registration(p model.Provider, client, uri string) string {
	exact := "the exact URI"
	if uri != "" {
		exact = fmt.Sprintf("exactly %q (scheme, host, port, path and case as sent)", secret.RedactURL(uri))
	}
	cl := "the client"
	if client != "" {
		cl = "client " + client
	}
	switch p.Family {
	case model.FamilyEntra:
		if p.Variant == "b2c" {
			return fmt.Sprintf("Azure portal → Azure AD B2C → App registrations → %s → Authentication → add %s under the platform the app uses (Single-page application when browser JavaScript redeems the code, Web when a server does).", cl, exact)
		}
		return fmt.Sprintf("Microsoft Entra admin center → Identity → Applications → App registrations → %s → Authentication → under the platform the app uses (Single-page application when browser JavaScript redeems the code with PKCE, Web when a server redeems it with a secret) → Add URI: %s.", cl, exact)
	case model.FamilyOkta:
		return fmt.Sprintf("Okta Admin Console → Applications → Applications → the app of %s → General → LOGIN → Sign-in redirect URIs → add %s.", cl, exact)
	case model.FamilyAuth0:
		return fmt.Sprintf("Auth0 Dashboard → Applications → Applications → the application of %s → Settings → Allowed Callback URLs → add %s.", cl, exact)
	case model.FamilyGoogle:
		return fmt.Sprintf("Google Cloud console → APIs & Services → Credentials → OAuth 2.0 Client IDs → %s → Authorized redirect URIs → add %s (the change can take a few minutes to apply).", cl, exact)
	case model.FamilyKeycloak:
		realm := "the realm"
		if p.Tenant != "" {
			realm = "realm " + p.Tenant
		}
		return fmt.Sprintf("Keycloak Admin Console → %s → Clients → %s → Settings → Valid redirect URIs → add %s (a * wildcard matches only at the end).", realm, cl, exact)
	case model.FamilyADFS:
		return fmt.Sprintf("AD FS Management → Application Groups → the group of %s → the application → Redirect URI → add %s.", cl, exact)
	case model.FamilyCognito:
		return fmt.Sprintf("Amazon Cognito console → User pools → the pool → App integration → App clients → %s → Hosted UI → Allowed callback URLs → add %s.", cl, exact)
	case model.FamilyPing:
		if p.Variant == "pingone" {
			return fmt.Sprintf("PingOne admin console → Applications → Applications → the application of %s → Configuration → Redirect URIs → add %s.", cl, exact)
		}
		return fmt.Sprintf("PingFederate administrative console → Applications → OAuth → Clients → %s → Redirection URIs → add %s, then replicate the configuration to every node of the cluster.", cl, exact)
	case model.FamilyGitHub:
		return fmt.Sprintf("GitHub → Settings (the organization's settings for an app it owns) → Developer settings → OAuth Apps or GitHub Apps → the app of %s → Authorization callback URL (a GitHub App lists up to 10 Callback URLs): GitHub accepts a redirect_uri whose host and port equal the callback URL's and whose path is the callback URL's path or below it; make it cover %s, or send no redirect_uri at all, on the authorize and the token request alike, to use the registered one.", cl, exact)
	case model.FamilyDex:
		id := "the client's"
		if client != "" {
			id = "the one with id: " + client
		}
		s := fmt.Sprintf("Dex's configuration (its config.yaml; the Helm chart's config value; Argo CD's dex.config in argocd-cm) → staticClients → %s → redirectURIs → add %s; Dex compares redirect URIs exactly and reads staticClients when it starts, so restart it (a client made through Dex's gRPC API: UpdateClient with the URI added).", id, exact)
		if isLoopback(uri) {
			s += " A public client (public: true) that lists no redirectURIs accepts every http://localhost and http://127.0.0.1 port instead."
		}
		return s
	case model.FamilyHydra:
		id := "CLIENT_ID"
		if client != "" {
			id = client
		}
		v := "URI"
		if uri != "" {
			v = secret.RedactURL(uri)
		}
		return fmt.Sprintf("Ory Hydra: add %s to the redirect_uris of client %s through its admin API, which keeps the client's other settings: PATCH /admin/clients/%s with [{\"op\": \"add\", \"path\": \"/redirect_uris/-\", \"value\": %q}] (Hydra compares redirect URIs exactly). Not hydra update oauth2-client %s --redirect-uri …: it replaces the whole client, and every setting not given again (its secret, grant types, scopes) falls back to its default. On Ory Network: Console → OAuth2 → Clients → the client → Redirect URIs.", exact, id, id, v, id)
	case model.FamilyDjangoOAuthToolkit:
		s := fmt.Sprintf("The Django site's admin (/admin/) → Django OAuth Toolkit → Applications → the application whose Client id is %s → Redirect uris → add %s, separated from the others by a space or a new line, then Save (or DOT's own application views under /o/applications/, for the application's owner): django-oauth-toolkit compares scheme, host, port and path exactly, and accepts only the schemes of ALLOWED_REDIRECT_URI_SCHEMES (http and https by default).", orThe(client), exact)
		if isLoopback(uri) {
			s += " A redirect URI registered on http://127.0.0.1 or http://[::1] without a port accepts any port (RFC 8252); http://localhost is compared with its port."
		}
		return s
	case model.FamilyGlewlwyd:
		return fmt.Sprintf("Glewlwyd's administration app (its index.html) → Clients → %s → Redirect URIs → add %s (Glewlwyd compares each exactly), then Save; through its API, PUT /api/client/{client_id} with the whole client and the URI added to its redirect_uri list. If the client is not listed or is disabled, Glewlwyd answers the same 403.", cl, exact)
	case model.FamilyLemonLDAP:
		return fmt.Sprintf("LemonLDAP::NG Manager → OpenID Connect Relying Parties → the relying party of %s (its Client ID under Options → Basic) → Options → Basic → Allowed redirection addresses for login (oidcRPMetaDataOptionsRedirectUris) → add %s, separated from the others by a space (LemonLDAP::NG compares each exactly), then Save: the portal reloads the new configuration.", cl, exact)
	case model.FamilyOneLogin:
		return fmt.Sprintf("OneLogin administration → Applications → the OpenID Connect app of %s → Configuration → Redirect URIs → add %s.", cl, exact)
	}
	return fmt.Sprintf("Register %s as a redirect URI of %s at the authorization server.", exact, cl)
}

func setMech(f *Finding, m Mechanism) {
	switch f.Mechanism {
	case "", MechRedirectNotRegistered, MechRedirectTokenDiffers:
		f.Mechanism = m
	}
}

func isHTTPOnNonLoopback(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	h := u.Hostname()
	return h != "localhost" && h != "127.0.0.1" && h != "::1" && h != ""
}

// schemeOnly reports URIs that differ only by http vs https (and the
// default port that goes with it).
func schemeOnly(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil || strings.EqualFold(ua.Scheme, ub.Scheme) {
		return false
	}
	return strings.EqualFold(ua.Hostname(), ub.Hostname()) && ua.EscapedPath() == ub.EscapedPath() && ua.RawQuery == ub.RawQuery
}

func reuseRemedy(f *Finding) string {
	if strings.Contains(f.Message, "oidc-client-ts removed the sign-in's state from storage") {
		return "oidc-client-ts handled the callback once and signed the user in; loading its URL again (reload, back button, a bookmarked or restored tab) makes signinRedirectCallback reject with \"No matching state found in storage\". After signinRedirectCallback resolves, take the code and state off the URL (window.history.replaceState(null, \"\", \"/\"), as react-oidc-context's documentation has its onSigninCallback do, or location.replace into the app), and when it rejects so, call userManager.getUser() and send a signed-in user into the app instead of showing the error."
	}
	if strings.Contains(f.Message, "and no second token request follows") {
		return "The single-page app handled the callback once and signed the user in; its URL was loaded again (reload, back button, restored tab). After handling the callback, take code and state off the URL (history.replaceState(null, \"\", location.pathname)), and when the library reports the sign-in's state missing, check whether the user is signed in and send them into the app instead of showing an error."
	}
	if strings.Contains(f.Message, "the app did not redeem the code again") || strings.Contains(f.Message, "consumed its state, so the app most likely refused it") ||
		strings.Contains(f.Message, "that the sign-in's start set, and this callback came without them") ||
		strings.Contains(f.Message, "mod_auth_openidc answered it as the first") {
		return "" // the rule's advice is for the app that recognised the replay
	}
	switch f.Mechanism {
	case MechReload:
		if s := nodeAppReuseRemedy(f); s != "" {
			return s
		}
		if strings.Contains(f.Message, "social-auth-app-django says \"Authentication process canceled\"") {
			return "social-core keeps the sign-in's state in the Django session after the sign-in (<backend>_state, reused by the session's next sign-ins), so the callback loaded again passed its state check and the app redeemed the code again, which the provider refused with HTTP 400; social-core reports that as AuthCanceled (\"Authentication process canceled\"), as if the user had cancelled. Keep users off /complete/<backend>/ after a sign-in (the app redirects to SOCIAL_AUTH_LOGIN_REDIRECT_URL already), and make LOGIN_ERROR_URL's page send a user who is signed in into the app instead of showing the error."
		}
		if strings.Contains(f.Message, "openid-client says \"OPError: invalid_grant\"") {
			return "openid-client keeps no record of a callback it handled: the app's session still held the sign-in's state and PKCE verifier, so the callback loaded again passed its checks and the app redeemed the code again, which the provider refused (invalid_grant; some providers then revoke the tokens the first redemption obtained). Delete the state and verifier from the session once client.callback has run (the same callback then fails \"checks.state argument is missing\" before any redemption: redirect a user the session already holds into the app), and after the callback redirect to a clean URL, as the app does."
		}
		return "The callback URL was loaded again after the code had been redeemed (reload, back button, restored tab). After processing the callback, remove code and state from the URL — in a SPA history.replaceState(null, \"\", location.pathname), on a server a 302 redirect to a clean URL — and treat a callback whose state was already consumed as \"already signed in\" (redirect into the app) instead of redeeming the code again."
	case MechDuplicateNavigation, MechFormPostResubmit:
		return "The callback was requested twice before the first redemption was answered (a double navigation, a form_post page submitted twice, a service worker replaying it). Make the callback idempotent per state: mark the state consumed before redeeming, and let a second request with that state wait for the first or redirect into the app; do not resubmit the form_post page."
	case MechDoubleHandler:
		return "Two code handlers redeemed the code inside one callback request. Keep one place that redeems: either the framework's handler or your own call (e.g. not both OnAuthorizationCodeReceived with AcquireTokenByAuthorizationCode and the middleware's own redemption; Microsoft.Identity.Web 2.15.1 or later when its options were applied twice)."
	case MechBrowserAndServer:
		return "The browser's JavaScript and the server both redeemed the code. Choose one: a SPA (PKCE, the browser redeems, redirect URI registered as Single-page application) or a web app (the server redeems with a credential, redirect URI registered as Web), and remove the other path."
	case MechBrowserTwice:
		if strings.Contains(f.Message, "signinRedirectCallback ran twice") {
			return "Call oidc-client-ts's signinRedirectCallback once per page load: it does not guard against a second call while the first is under way, so both read the sign-in's state and redeem its code, and the provider refuses one (and may revoke the tokens the other obtained: RFC 6749 section 4.1.2 lets it, oidc-provider does). Keep the call's promise at module level or behind a useRef flag, as react-oidc-context's AuthProvider does."
		}
		return "The browser app redeemed the code twice. Guard the redemption so it runs once per code: React StrictMode runs effects twice in development (use a ref, or call MSAL's handleRedirectPromise once at start-up), and register one redirect listener."
	case MechPrefetch:
		return "A prefetch of the callback URL used the code before the user's navigation. Ignore prefetch on the callback: answer 204 without redeeming when the request carries Sec-Purpose: prefetch (or Purpose: prefetch), and keep the callback URL out of speculation rules and link previews."
	case MechRetry:
		return "The app redeemed the code again after the provider had answered. A code is single-use: never retry a token request that reached the provider; on a refusal restart the sign-in with a new authorize request."
	case MechOutOfSight:
		return "The provider says the code was already used, and no earlier redemption is in this trace: another party redeemed it — a second app instance, a proxy, a link scanner, or a server you did not capture. Capture the app server's outbound traffic too, and look the correlation id up in the provider's logs to see the first redemption."
	}
	return ""
}

func raceRemedy(f *Finding) string {
	if f.Mechanism == MechGrantReplaced || f.providerSlot {
		return "" // the crossing's own remedy
	}
	// The library that refused the crossed callback keeps the sign-in's
	// state in its own way: its remedy first.
	switch lib := f.refusedBy; {
	case strings.HasPrefix(lib, "django-allauth"):
		return "django-allauth before 0.62 keeps one pending sign-in per session (session[\"socialaccount_state\"]): the second tab's sign-in replaced the first's, so the first callback was refused with its failure page. Upgrade django-allauth to 0.62 or later, which keeps up to 10 pending sign-ins per session (socialaccount_states); until then, when the adapter's authentication_error (on_authentication_error since 0.62) gets a PermissionDenied, send the user to a fresh sign-in once instead of the failure page."
	case strings.HasPrefix(lib, "oauth2-proxy"):
		return "oauth2-proxy keeps one _oauth2_proxy_csrf cookie per browser by default, so every sign-in it starts replaces the one before: another tab's, or one started by any unauthenticated request it sends to the provider (the browser's /favicon.ico, a script or an image of the protected site). Set --cookie-csrf-per-request=true (a CSRF cookie per sign-in, named after its state; --cookie-csrf-per-request-limit bounds them) and exempt requests that need no sign-in (--skip-auth-route for /favicon.ico and static assets)."
	case strings.HasPrefix(lib, "OmniAuth"):
		return "OmniAuth keeps one pending sign-in per session (session[\"omniauth.state\"]): the second tab's sign-in replaced the first's state, so the first callback failed csrf_detected. Start the sign-in from one tab at a time, and on csrf_detected send the user to a fresh sign-in once (Devise: the omniauth callbacks controller's failure action; otherwise OmniAuth.config.on_failure) instead of the failure page; OmniAuth has no setting that keeps several states."
	}
	if s := nodeAppRaceRemedy(f); s != "" {
		return s
	}
	msg := strings.ToLower(f.Message)
	switch {
	case strings.Contains(msg, "openid-client says \"rperror: state mismatch\""):
		return "openid-client checks the state (and PKCE verifier) the app passes to client.callback, and the app kept one of each in its session (the framework's session, where openid-client 5's README says to store them), so the second tab's sign-in replaced the first's and the first callback failed \"state mismatch, expected …, got: …\". Keep them per sign-in, keyed by the state (req.session.oidc[state] = { codeVerifier, nonce }), look them up with the state the callback carries, delete the entry once client.callback has run, and on an RPError state mismatch start a fresh sign-in once instead of the error page."
	case strings.Contains(msg, "cookie"):
		return "Two sign-ins in one browser shared one transient cookie (one storage slot for the state, nonce or verifier): the later sign-in overwrote the earlier one's. Name the transient cookie per transaction (suffix it with the state, as ASP.NET's .AspNetCore.Correlation.<state> does) and expire it after use; on a state mismatch restart the sign-in once instead of showing an error."
	case strings.Contains(msg, "verifier"):
		return "Two sign-ins in one browser shared one stored PKCE verifier: the second overwrote the first's, so the first code was redeemed with the wrong verifier. Store the verifier per transaction, keyed by its state (e.g. sessionStorage key \"pkce.\" + state), read it back by the state the callback carries, and do not start a second sign-in while one is in flight."
	case strings.Contains(msg, "state"):
		return "Two sign-ins in one browser crossed their state: the callback of one carried a state the app had replaced with the other's. Keep one entry per transaction (keyed by state) instead of a single \"current state\" slot, and on a state mismatch restart the sign-in once instead of showing an error."
	}
	return ""
}

func expiredRemedy(f *Finding) string {
	switch f.Mechanism {
	case MechSlowRedemption:
		return "The code was redeemed after the provider's lifetime for it. Redeem it in the callback request itself: no interstitial page, queued job or user action between the callback and the token request; check the app server's latency to the token endpoint and its clock (NTP)."
	}
	return "" // issued-earlier and short-lifetime: the rule's advice is already for the case
}
