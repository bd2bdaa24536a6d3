package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// The sign-out rules read the sign-out steps (model.EventKind.IsSignOut)
// and, for a sign-out that never reached the provider, the sign-in after it.

// LogoutRedirectMismatch: the provider refused the post-logout redirect URI.
var LogoutRedirectMismatch = &Rule{
	ID:       "logout-redirect-mismatch",
	Title:    "post-logout redirect URI not registered",
	Severity: Error,
	Doc: `Detects a sign-out (OpenID Connect RP-Initiated Logout: the app sends the browser to
the provider's end-session endpoint) that the provider refused because the URI it was
asked to send the browser back to is not registered for the client:
post_logout_redirect_uri (Auth0's /v2/logout: returnTo; Cognito: logout_uri). Read from
the provider's answer: oidc-provider "post_logout_redirect_uri not registered", Keycloak
"Invalid redirect uri" (and "Invalid parameter: redirect_uri" for the legacy parameter),
Okta "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client
app settings", Auth0 "… is not defined as a valid URL in "Allowed Logout URLs"", Microsoft
"The provided value for the input parameter 'post_logout_redirect_uri' is not valid",
FusionAuth "The post_logout_redirect_uri is invalid.". The user sees the provider's error
page ("logout error page"); the provider's session may still be alive.

Evidence: the logout request (its post_logout_redirect_uri, the client) and the
provider's error.

Remediation: register the exact URI the app sends as a post-logout (sign-out) redirect URI
of the client, in the provider's console, or make the app send a registered one.`,
	Run: runLogoutRedirectMismatch,
}

// LogoutIDTokenHint: the provider refused or ignored a logout for its hint.
var LogoutIDTokenHint = &Rule{
	ID:       "logout-id-token-hint",
	Title:    "sign-out without a valid id_token_hint",
	Severity: Error,
	Doc: `Detects a sign-out the provider refused or could not complete for its id_token_hint:
missing where the provider requires it with a post_logout_redirect_uri (Keycloak 18 and
later: "Missing parameters: id_token_hint"), expired, of another client or unreadable
(oidc-provider "could not validate id_token_hint", Keycloak "Invalid parameter:
id_token_hint"); and a sign-out sent with a post_logout_redirect_uri but neither
id_token_hint nor client_id, which the provider completed on a page of its own without
sending the browser back (oidc-provider drops the URI it cannot tie to a client: the user
is left on "Sign-out Success", the app never learns of it). Mechanisms: missing,
expired, invalid, uri-dropped.

Evidence: the logout request (whether it carried id_token_hint and client_id, the
hint's expiry) and the provider's answer or the redirect that did not come back.

Remediation: keep the ID token of the sign-in (the app's session or the library's user
store) and send it as id_token_hint, or at least client_id, with the
post_logout_redirect_uri.`,
	Run: runLogoutIDTokenHint,
}

// LogoutNotPropagated: the app signed out locally and the user was signed
// straight back in.
var LogoutNotPropagated = &Rule{
	ID:       "logout-not-propagated",
	Title:    "sign-out ended only the app's session: signed back in",
	Severity: Warning,
	Doc: `Detects an app's sign-out (its own /logout, /signout …) that never reached the provider:
its answer sent the browser elsewhere than to an end-session endpoint, no logout request
or token revocation followed, and the next sign-in got a code back at once, without a
login page, because the provider's session survived ("I signed out but was signed
straight back in").

Evidence: the app's sign-out, the next authorize request and the code its answer issued
at once.

Remediation: end the provider's session too: send the browser to the provider's
end-session endpoint with id_token_hint and a registered post_logout_redirect_uri
(RP-Initiated Logout; Google has none: revoke the token), or start the next sign-in with
prompt=login (max_age=0) where a shared provider session is wanted.`,
	Run: runLogoutNotPropagated,
}

// LogoutStateMismatch: the state of the way back is not the one sent.
var LogoutStateMismatch = &Rule{
	ID:       "logout-state-mismatch",
	Title:    "sign-out state not returned as sent",
	Severity: Warning,
	Doc: `Detects a provider's redirect back to the post-logout redirect URI whose state is not
the state the logout request sent (another sign-out's, or none), so that an app checking
it refuses the way back. Two sign-outs started at once (two tabs) are the usual cause: the
provider keeps one pending sign-out per session.

Evidence: the logout request with its state and the redirect back with another.

Remediation: keep the sign-out's state per request (keyed by the state itself) rather
than one per session, or start one sign-out at a time.`,
	Run: runLogoutStateMismatch,
}

// FrontChannelLogoutBlocked: a front-channel logout the app could not act on.
var FrontChannelLogoutBlocked = &Rule{
	ID:       "frontchannel-logout-blocked",
	Title:    "front-channel logout blocked or without the app's cookies",
	Severity: Warning,
	Doc: `Detects a front-channel logout (OpenID Connect Front-Channel Logout 1.0: the provider's
sign-out page loads the app's frontchannel_logout_uri with iss and sid in an iframe) that
failed (the browser blocked the frame: X-Frame-Options or CSP frame-ancestors, a network
error) or reached the app without its session cookie: the browser keeps third-party
cookies (SameSite=Lax or Strict, or all third-party cookies blocked) out of a
cross-site frame, so the app cannot find the session to end and the user stays signed
in to it.

Evidence: the front-channel logout request, its status or failure and the cookies it
sent.

Remediation: let the provider's origin frame the logout URI (frame-ancestors), set the
app's session cookie SameSite=None; Secure (Partitioned where the browser partitions),
or use back-channel logout (the provider calls the app server to server).`,
	Run: runFrontChannelLogoutBlocked,
}

// errText is a provider error's name and description, lower case.
func errText(pe *model.ProviderError) string {
	if pe == nil {
		return ""
	}
	return strings.ToLower(pe.Error + " " + pe.Description + " " + strings.Join(pe.Codes, " "))
}

// returnUnregistered reports a refusal that says the post-logout redirect
// URI is not registered, in the words of the providers the rule names.
func returnUnregistered(pe *model.ProviderError) bool {
	t := errText(pe)
	switch {
	case t == "":
		return false
	case strings.Contains(t, "post_logout_redirect_uri not registered"), // oidc-provider
		strings.Contains(t, "must be a logout redirect uri"),              // Okta
		strings.Contains(t, "illegal_post_logout_redirect_uri"),           // Okta's API
		strings.Contains(t, "allowed logout urls"),                        // Auth0
		strings.Contains(t, "invalid_post_logout_redirect_uri"),           // FusionAuth
		strings.Contains(t, "post_logout_redirect_uri is invalid"),        // FusionAuth
		strings.Contains(t, "post_logout_uri_not_associated_with_client"), // Gluu
		strings.Contains(t, "invalid redirect uri"),                       // Keycloak, on its logout endpoint
		strings.Contains(t, "invalid parameter: redirect_uri"):            // Keycloak, the legacy parameter
		return true
	case strings.Contains(t, "post_logout_redirect_uri") && (strings.Contains(t, "not valid") || strings.Contains(t, "not registered") ||
		strings.Contains(t, "not allowed") || strings.Contains(t, "does not match")): // Microsoft and others
		return true
	}
	return false
}

// returnConsole says where a provider registers post-logout redirect URIs.
func returnConsole(p model.Provider, client string) string {
	c := orUnknownClient(client)
	switch p.Family {
	case model.FamilyEntra:
		return "the app registration's Authentication page (Microsoft Entra admin center > App registrations > " + c + " > Authentication: the URI among the platform's redirect URIs)"
	case model.FamilyOkta:
		return "the Okta Admin Console (Applications > " + c + " > General > Login > Sign-out redirect URIs)"
	case model.FamilyAuth0:
		return "the Auth0 Dashboard (Applications > " + c + " > Settings > Allowed Logout URLs; without client_id in the request: Settings > Advanced > Allowed Logout URLs of the tenant)"
	case model.FamilyKeycloak:
		return "the Keycloak admin console (Clients > " + c + " > Settings > Valid post logout redirect URIs; \"+\" takes the valid redirect URIs)"
	case model.FamilyCognito:
		return "the Cognito console (User pool > App clients > " + c + " > Login pages > Allowed sign-out URLs)"
	case model.FamilyADFS:
		return "AD FS (the application group's Web API or server application: Set-AdfsServerApplication -LogoutUri)"
	}
	return "the client's registration at the provider (its post_logout_redirect_uris)"
}

func runLogoutRedirectMismatch(p *Pass) {
	for _, ev := range p.signOutEvents() {
		if ev.Kind != model.LogoutRequest || ev.Err == nil || !returnUnregistered(ev.Err) {
			continue
		}
		prov := ev.Provider()
		uri := secret.RedactURL(ev.RedirectURI())
		param := ev.SignOut().ReturnParam
		if param == "" {
			param = "post_logout_redirect_uri"
		}
		what := fmt.Sprintf("%s %s", param, uri)
		if uri == "" {
			what = "the post-logout redirect URI"
		}
		f := Finding{Mechanism: MechReturnNotRegistered,
			Message: fmt.Sprintf("%s refused the sign-out at %s: %s is not registered for client %s (%s); the user is left on the provider's error page instead of coming back to the app",
				model.ProviderName(prov), ev.Ref, what, orUnknownClient(logoutClient(ev)), quoteErr(ev.Err)),
			Evidence: []Evidence{p.Evidence(ev, "logout request refused")},
		}
		f.Evidence[0].Param = param + "=" + uri
		f.Remediation = fmt.Sprintf("Register %s as a sign-out redirect URI in %s, exactly as the app sends it (scheme, host, port, path), or make the app send one that is registered.",
			orDefault(uri, "the URI the app sends"), returnConsole(prov, logoutClient(ev)))
		p.Report(f)
	}
}

// logoutClient is the client of a logout request: its client_id, else the
// audience of its hint.
func logoutClient(ev *model.Event) string {
	if ev.ClientID() != "" {
		return ev.ClientID()
	}
	return ev.SignOut().HintAudience
}

// Mechanisms of the sign-out rules.
const (
	MechReturnNotRegistered Mechanism = "not-registered"
	MechHintMissing         Mechanism = "missing"
	MechHintExpired         Mechanism = "expired"
	MechHintInvalid         Mechanism = "invalid"
	MechReturnDrop          Mechanism = "uri-dropped"
	MechLocalLogout         Mechanism = "local-only"
	MechFrameBlocked        Mechanism = "frame-blocked"
	MechNoCookies           Mechanism = "no-cookies"
)

// returnAfter is the provider's redirect that ended a logout request: the
// first LogoutReturn after it before the next logout request.
func returnAfter(evs []*model.Event, i int) *model.Event {
	for _, ev := range evs[i+1:] {
		switch ev.Kind {
		case model.LogoutRequest:
			return nil
		case model.LogoutReturn:
			return ev
		}
	}
	return nil
}

// requestTime is when the provider saw the request: its Date header, else
// the capture's time.
func requestTime(ev *model.Event) time.Time {
	if d := ev.ServerDate(); !d.IsZero() {
		return d
	}
	return ev.Time
}

func runLogoutIDTokenHint(p *Pass) {
	evs := p.signOutEvents()
	for i, ev := range evs {
		if ev.Kind != model.LogoutRequest {
			continue
		}
		so := ev.SignOut()
		hasHint := !ev.IDToken().IsZero()
		t := errText(ev.Err)
		prov := ev.Provider()
		var f Finding
		switch {
		case ev.Err != nil && strings.Contains(t, "id_token_hint") && !hasHint:
			f = Finding{Mechanism: MechHintMissing,
				Message: fmt.Sprintf("%s refused the sign-out at %s for lack of an id_token_hint (%s): the request carried %s but no hint",
					model.ProviderName(prov), ev.Ref, quoteErr(ev.Err), sentWith(ev))}
		case ev.Err != nil && hasHint && (strings.Contains(t, "id_token_hint") || strings.Contains(t, "idtoken") || strings.Contains(t, "id token")):
			f = Finding{Mechanism: MechHintInvalid,
				Message: fmt.Sprintf("%s refused the id_token_hint %s of the sign-out at %s (%s)",
					model.ProviderName(prov), ev.IDToken(), ev.Ref, quoteErr(ev.Err))}
			if exp := so.HintExpiry; !exp.IsZero() && requestTime(ev).After(exp) {
				f.Mechanism = MechHintExpired
				f.Message += fmt.Sprintf(": the hint expired at %s, %s before the request", exp.UTC().Format(time.RFC3339), fmtDuration(requestTime(ev).Sub(exp)))
			} else if so.HintUnreadable {
				f.Message += ": the hint is no JWT"
			} else if so.HintAudience != "" && ev.ClientID() != "" && so.HintAudience != ev.ClientID() {
				f.Message += fmt.Sprintf(": the hint was issued to client %s, the request names client %s", so.HintAudience, ev.ClientID())
			}
		case ev.Err == nil && !hasHint && ev.ClientID() == "" && ev.RedirectURI() != "":
			back := returnAfter(evs, i)
			if back == nil || sameURI(back.RedirectURI(), ev.RedirectURI()) {
				continue
			}
			f = Finding{Mechanism: MechReturnDrop, Severity: Warning,
				Message: fmt.Sprintf("%s signed the user out at %s but sent the browser to %s, not back to the app's post_logout_redirect_uri %s: the request carried neither id_token_hint nor client_id, so the provider could not tie the URI to a registered client and dropped it",
					model.ProviderName(prov), back.Ref, secret.RedactURL(back.RedirectURI()), secret.RedactURL(ev.RedirectURI()))}
			f.Evidence = []Evidence{p.Evidence(ev, "logout request without id_token_hint or client_id"), p.Evidence(back, "provider's own page, not the app")}
		default:
			continue
		}
		if f.Evidence == nil {
			f.Evidence = []Evidence{p.Evidence(ev, "logout request refused")}
		}
		f.Evidence[0].Param = hintParam(ev)
		f.Remediation = hintRemedy(f.Mechanism, prov)
		p.Report(f)
	}
}

// sentWith names the sign-out parameters a logout request carried.
func sentWith(ev *model.Event) string {
	var parts []string
	if ev.RedirectURI() != "" {
		parts = append(parts, orDefault(ev.SignOut().ReturnParam, "post_logout_redirect_uri"))
	}
	if ev.ClientID() != "" {
		parts = append(parts, "client_id")
	}
	if !ev.State.IsZero() {
		parts = append(parts, "state")
	}
	if len(parts) == 0 {
		return "no parameter"
	}
	return strings.Join(parts, ", ")
}

func hintParam(ev *model.Event) string {
	if ev.IDToken().IsZero() {
		return "id_token_hint absent"
	}
	return "id_token_hint=" + ev.IDToken().String()
}

func hintRemedy(m Mechanism, p model.Provider) string {
	switch m {
	case MechHintExpired:
		return "Send the ID token of the current sign-in as id_token_hint: renew it (a silent renewal or a refresh) before signing out, or, where the provider allows, send client_id instead of an expired hint."
	case MechHintInvalid:
		return "Send the ID token the provider issued to this client for this session as id_token_hint, unchanged (not the access token, not one of another client or provider); check what the app keeps after sign-in."
	case MechReturnDrop:
		return "Keep the ID token of the sign-in (in the app's session or the library's user store) and send it as id_token_hint with the post_logout_redirect_uri (openid-client: buildEndSessionUrl(config, { id_token_hint, post_logout_redirect_uri }); oidc-client-ts: signoutRedirect() with the user loaded), or send client_id at least."
	}
	if p.Family == model.FamilyKeycloak {
		return "Keycloak 18 and later require id_token_hint (or client_id) with post_logout_redirect_uri: send the ID token of the sign-in as id_token_hint; the client's 'Valid post logout redirect URIs' must hold the URI."
	}
	return "Keep the ID token of the sign-in and send it as id_token_hint with the post_logout_redirect_uri (or client_id where the provider takes it)."
}

// sameURI compares two URIs without their query.
func sameURI(a, b string) bool {
	cut := func(s string) string {
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s = s[:i]
		}
		return strings.TrimSuffix(strings.ToLower(s), "/")
	}
	return a != "" && cut(a) == cut(b)
}

func runLogoutNotPropagated(p *Pass) {
	// The trace's steps in time order: sign-outs, authorize requests and
	// the codes issued.
	var evs []*model.Event
	for ev := range p.events() {
		switch {
		case ev.Kind.IsSignOut(), ev.Kind == model.AuthorizeRequest, ev.Kind == model.CodeIssued:
			evs = append(evs, ev)
		}
	}
	sortSource(evs)
	for i, ev := range evs {
		if ev.Kind != model.AppLogout || ev.Status >= 400 {
			continue
		}
		var az, code *model.Event
	next:
		for _, e := range evs[i+1:] {
			switch e.Kind {
			case model.LogoutRequest, model.Revocation, model.AppLogout:
				break next // the provider was told, or another sign-out follows
			case model.AuthorizeRequest:
				if az != nil {
					break next
				}
				if e.Prompt() == "none" || e.Dest() == model.DestFrame || e.Prompt() == "login" {
					break next // a silent renewal, or a sign-in that asks again
				}
				az = e
			case model.CodeIssued:
				if az != nil && e.Exchange == az.Exchange {
					code = e
				}
				break next
			}
		}
		if az == nil || code == nil {
			continue
		}
		to := ev.SignOut().To
		if to != "" && sameHost(to, az.Endpoint()) {
			// The app did send the browser to the provider: whatever
			// happened there, the trace does not show it.
			continue
		}
		where := "did not redirect"
		if to != "" {
			where = "sent the browser to " + secret.RedactURL(to)
		}
		prov := az.Provider()
		f := Finding{Mechanism: MechLocalLogout,
			Message: fmt.Sprintf("the app's sign-out at %s ended only its own session (it %s, not to %s's end-session endpoint, and no logout request or token revocation followed); the next sign-in at %s got a code back at once, without a login page, because the provider's session survived: the user was signed straight back in",
				ev.Ref, where, model.ProviderName(prov), az.Ref),
			Evidence: []Evidence{p.Evidence(ev, "app's sign-out, provider not told"), p.Evidence(az, "next sign-in"), p.Evidence(code, "code issued at once (no login page)")},
			Remediation: "Make the app's sign-out end the provider's session as well: after clearing its own session, send the browser to " +
				endSessionOf(prov) + " with id_token_hint and a registered post_logout_redirect_uri (openid-client: client.buildEndSessionUrl; oidc-client-ts: signoutRedirect; MSAL: logoutRedirect; Auth.js has no RP-initiated logout: redirect to the end-session URL from its signOut event). Where the provider's session is meant to outlive the app's, start the next sign-in with prompt=login so the user is asked again."}
		f.Evidence[1].Param = "prompt=" + orDefault(az.Prompt(), "(none sent)")
		p.Report(f)
	}
}

func runLogoutStateMismatch(p *Pass) {
	evs := p.signOutEvents()
	for i, ev := range evs {
		if ev.Kind != model.LogoutRequest || ev.State.IsZero() || ev.Err != nil {
			continue
		}
		back := returnAfter(evs, i)
		if back == nil || !sameURI(back.RedirectURI(), ev.RedirectURI()) || back.State == ev.State {
			continue
		}
		got := "no state"
		if !back.State.IsZero() {
			got = "state " + back.State.String()
		}
		f := Finding{
			Message: fmt.Sprintf("the provider sent the browser back to %s at %s with %s, but the sign-out at %s sent state %s: an app that checks it refuses the way back",
				secret.RedactURL(back.RedirectURI()), back.Ref, got, ev.Ref, ev.State),
			Evidence:    []Evidence{p.Evidence(ev, "logout request"), p.Evidence(back, "redirect back with another state")},
			Remediation: "Keep the sign-out's state per request (keyed by the state itself) rather than one per session, or start one sign-out at a time; a provider keeps one pending sign-out per session.",
		}
		f.Evidence[0].Param = "state=" + ev.State.String()
		f.Evidence[1].Param = "state=" + orDefault(back.State.String(), "(none)")
		p.Report(f)
	}
}

func runFrontChannelLogoutBlocked(p *Pass) {
	for _, ev := range p.signOutEvents() {
		if ev.Kind != model.FrontChannelLogout {
			continue
		}
		var f Finding
		switch {
		case ev.Failure() != "" || ev.Status >= 400 || ev.Status == 0:
			why := ev.Failure()
			if why == "" && ev.Status != 0 {
				why = fmt.Sprintf("HTTP %d", ev.Status)
			}
			if why == "" {
				why = "no answer"
			}
			f = Finding{Mechanism: MechFrameBlocked,
				Message: fmt.Sprintf("the front-channel logout of %s at %s failed (%s): the app did not end its session",
					secret.RedactURL(ev.Endpoint()), ev.Ref, why)}
		case ev.SignOut().Dest == model.DestFrame && !ev.SentCookies():
			f = Finding{Mechanism: MechNoCookies,
				Message: fmt.Sprintf("the front-channel logout of %s at %s was loaded in the provider's iframe without any cookie: the browser kept the app's session cookie out of the third-party frame, so the app could not find the session to end",
					secret.RedactURL(ev.Endpoint()), ev.Ref)}
		default:
			continue
		}
		f.Evidence = []Evidence{p.Evidence(ev, "front-channel logout")}
		f.Remediation = "Let the provider's origin frame the logout URI (Content-Security-Policy frame-ancestors, no X-Frame-Options DENY on it), set the app's session cookie SameSite=None; Secure (Partitioned where the browser partitions third-party cookies), or use back-channel logout, which the provider sends server to server."
		p.Report(f)
	}
}
