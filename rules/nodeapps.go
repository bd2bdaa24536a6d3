package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/secret"
)

// Node web apps' sign-in libraries read in their own terms: @azure/msal-node
// (its confidential client's getAuthCodeUrl and acquireTokenByCode, known
// by the x-client-SKU msal.js.node it puts on the authorize request and
// the token call), Auth.js (@auth/core under next-auth 5 and @auth/express,
// known by its authjs.* cookies and its error redirect) and openid-client 6
// (discovery, buildAuthorizationUrl, authorizationCodeGrant, known by
// oauth4webapi's words on the app's error page). Their remedies name each
// library's API and settings; recorded in testdata/node-webapps.

func isMSALNode(lib string) bool { return strings.HasPrefix(lib, "MSAL Node") }

func isAuthJS(lib string) bool {
	return strings.HasPrefix(lib, "Auth.js") || strings.HasPrefix(lib, "NextAuth.js")
}

// nodeAppCredentialRemedy names where a Node web app keeps its client
// credential, "" for other apps (openid-client's is appCredentialRemedy's).
func nodeAppCredentialRemedy(lib string) string {
	switch {
	case isMSALNode(lib):
		return "The app signs in with MSAL Node: give its ConfidentialClientApplication the client's current credential (auth.clientSecret: the secret's value, not its ID, which Entra's Certificates & secrets shows only when the secret is created; or auth.clientCertificate / auth.clientAssertion), then restart the app; MSAL Node raises the provider's refusal of acquireTokenByCode as a ServerError (Entra: AADSTS7000215 for a wrong secret, AADSTS7000222 for an expired one). "
	case isAuthJS(lib):
		return "The app signs in with Auth.js: give the provider's configuration the client's current secret (clientSecret, or the AUTH_<PROVIDER>_SECRET environment variable Auth.js 5 reads for it), and client: { token_endpoint_auth_method: \"client_secret_post\" } when the client is registered for that method (Auth.js sends client_secret_basic by default), then restart the app; Auth.js shows only error=Configuration and logs the refusal as CallbackRouteError. "
	}
	return ""
}

// nodeAppReuseRemedy is the remedy of a callback loaded again whose code a
// Node web app redeemed again, in its library's terms; "" for others.
func nodeAppReuseRemedy(f *Finding) string {
	switch {
	case strings.Contains(f.Message, `MSAL Node says "ServerError: invalid_grant"`):
		return "MSAL Node keeps no record of a callback it handled and acquireTokenByCode redeems whatever code it is given: the app's session still held the sign-in's request and PKCE verifier, so the callback loaded again passed MSAL's state check and the app redeemed the code again, which the provider refused (invalid_grant; Entra: AADSTS54005, code already redeemed). Delete the sign-in's entries from the session (pkceCodes, authCodeRequest) once acquireTokenByCode has run, answer a callback whose state has no pending request by redirecting a signed-in user into the app, and after the callback redirect to a clean URL, as the app does."
	case strings.Contains(f.Message, `openid-client says "ResponseBodyError: invalid_grant"`), strings.Contains(f.Message, `openid-client says "server responded with an error in the response body"`):
		return "openid-client 6 keeps no record of a callback it handled: the app's session still held the sign-in's state, nonce and PKCE verifier, so the callback loaded again passed authorizationCodeGrant's checks and the app redeemed the code again, which the provider refused (a ResponseBodyError with error invalid_grant). Delete them from the session once authorizationCodeGrant has run (the same callback then fails its state check before any redemption: redirect a user the session already holds into the app), and after the callback redirect to a clean URL, as the app does."
	}
	return ""
}

// nodeAppReplayRemedy is the remedy of a callback loaded again that a Node
// web app refused without redeeming, "" for others.
func nodeAppReplayRemedy(lib string) string {
	if isAuthJS(lib) {
		return "Nothing is broken but the page: Auth.js deletes its PKCE cookie (authjs.pkce.code_verifier; authjs.state and authjs.nonce too when its checks include them) when its callback succeeds, so the same callback loaded again fails its check before any token request (InvalidCheck: pkceCodeVerifier value could not be parsed, in the server's log) and the browser gets error=Configuration. Point pages.error at a page that sends a user who has a session (auth() / getSession) into the app, and keep users off /auth/callback/<provider> (Auth.js already redirects to the callbackUrl after a sign-in)."
	}
	return ""
}

// nodeAppRaceRemedy is the remedy of two tabs' sign-ins crossing in a Node
// web app, in its library's terms; "" for others.
func nodeAppRaceRemedy(f *Finding) string {
	switch {
	case strings.Contains(f.Message, `MSAL Node says "ClientAuthError: state_mismatch"`):
		return "MSAL Node keeps no sign-in state of its own: acquireTokenByCode compares the callback's state with the state of the request the app passes, and the app kept one request (pkceCodes, authCodeRequest, as Microsoft's Node.js web app sample does) in its session, so the second tab's getAuthCodeUrl replaced the first's and the first callback failed state_mismatch. Keep the pending requests per sign-in, keyed by the state (req.session.authRequests[state] = { codeVerifier, redirectUri, scopes }), look them up with the callback's state, delete the entry after acquireTokenByCode, and on ClientAuthError state_mismatch start a fresh sign-in once instead of the error page."
	case strings.Contains(f.Message, `openid-client says "unexpected \"state\" response parameter value"`):
		return "openid-client 6 checks the callback against the expectedState (and pkceCodeVerifier, expectedNonce) the app passes to authorizationCodeGrant, and the app kept one of each in its session, so the second tab's sign-in replaced the first's and the first callback failed \"unexpected \\\"state\\\" response parameter value\" (a ClientError with code OAUTH_INVALID_RESPONSE, the reason in its cause). Keep them per sign-in, keyed by the state (req.session.oidc[state] = { codeVerifier, nonce }), read the entry back by the state the callback carries, delete it once authorizationCodeGrant has run, and on that error start a fresh sign-in once instead of the error page."
	case isAuthJS(f.refusedBy) || strings.Contains(f.Message, "Auth.js keeps one"):
		crossed := "so the first callback failed its check, or its code was redeemed with the second's PKCE verifier and the provider refused it"
		if strings.Contains(f.Message, "with the PKCE verifier of sign-in") {
			crossed = "so the first callback's code was redeemed with the second's PKCE verifier and the provider refused it"
		}
		return "Auth.js keeps one cookie per check and browser (authjs.pkce.code_verifier, and authjs.state and authjs.nonce when the provider's checks include them; next-auth.* in NextAuth.js 4), not one per sign-in: the second tab's sign-in (POST /auth/signin/<provider>) replaced the first's, " + crossed + ". Auth.js names the cause only in its server log (InvalidCheck, CallbackRouteError; OAUTH_CALLBACK_ERROR in NextAuth.js 4) and sends the browser to its error page (error=Configuration; OAuthCallback in NextAuth.js 4). It has no setting for per-sign-in cookies: let one sign-in run at a time (disable the sign-in button while one is in flight), and point pages.error at a page that starts a fresh signIn() once for that error, or sends a user who already has a session (the other tab's) into the app."
	}
	return ""
}

// nodeAppSending says which Node web-app library sent the sign-in and
// where its redirect URI comes from, "" when the trace names none.
func nodeAppSending(t *Transaction, start *Exchange, cookieLib string) string {
	switch {
	case isMSALNode(t.Authorize.Library()):
		return fmt.Sprintf("the sign-in was started by %s (the authorize request's x-client-SKU), which sends the redirectUri of the app's getAuthCodeUrl request", t.Authorize.Library())
	case isAuthJS(cookieLib):
		return fmt.Sprintf("the sign-in was started by Auth.js (its cookies set at %s), which builds its callback URL from AUTH_URL, or from the request's host, and its base path: <basePath>/callback/<provider id>", start.Ref)
	}
	return ""
}

// nodeAppRedirectRemedy adds the library's own setting to the remedy of
// a redirect URI the provider refused, "" for others.
func nodeAppRedirectRemedy(msg string) string {
	switch {
	case strings.Contains(msg, "which sends the redirectUri of the app's getAuthCodeUrl request"):
		return " Or, when the URI registered is the right one, give MSAL Node's getAuthCodeUrl and acquireTokenByCode requests that URI as redirectUri (both must send the same), serve the route it names, and restart the app; an Entra app registration lists it under Authentication, platform Web (not Single-page application)."
	case strings.Contains(msg, "which builds its callback URL from AUTH_URL"):
		return " Or, when the URI registered is the right one, make Auth.js send it: its path is the base path Auth.js is mounted at (/api/auth in Next.js, the route given to ExpressAuth in Express, basePath otherwise) followed by /callback/<provider id>, so mount it there or set AUTH_URL (with the base path) to the URL users browse; behind a proxy set AUTH_TRUST_HOST so the forwarded host and scheme are used."
	}
	return ""
}

// authJSCookieLost says what the trace shows of an Auth.js check cookie
// (authjs.pkce.code_verifier, authjs.state, authjs.nonce) that did not
// come back with the callback: whether another sign-in in the trace set it
// again before the callback (Auth.js keeps one per browser), the host, and
// its lifetime; "" when c is not Auth.js's.
func authJSCookieLost(a *Analysis, t *Transaction, start *Exchange, cb *model.Event, c setCookie) string {
	if !isAuthJS(oauth.LibraryOfCookies([]string{c.name})) {
		return ""
	}
	cbEx := a.Exchange(cb)
	if cbEx == nil {
		return ""
	}
	for _, o := range a.Transactions {
		if o == t || o.Authorize == nil {
			continue
		}
		st, set := loginStart(a, o.Authorize)
		if st == nil || st.Index <= start.Index || st.Index >= cbEx.Index {
			continue
		}
		for _, s := range set {
			if s.name == c.name {
				return fmt.Sprintf("Auth.js keeps one %s cookie per browser, and the sign-in started at %s set it again before this callback, replacing this sign-in's", c.name, st.Ref)
			}
		}
	}
	why := fmt.Sprintf("Auth.js keeps one %s cookie per browser, but no other sign-in in this trace set it again", c.name)
	var shown []string
	if strings.EqualFold(hostOfURL(start.URL()), hostOfURL(cbEx.URL())) {
		shown = append(shown, "the callback went to the host that set it")
	}
	if d := cbEx.Start.Sub(start.Start); d > 0 && d < 15*time.Minute {
		shown = append(shown, fmt.Sprintf("it came %s after the cookie was set, inside the 15 minutes Auth.js gives it", fmtDuration(d)))
	}
	if len(shown) > 0 {
		why += "; " + strings.Join(shown, " and ")
	}
	return why + ": the browser deleted or withheld it (cookies cleared, a privacy setting or extension), which the trace cannot show; Auth.js logs such a callback as InvalidCheck (\"pkceCodeVerifier value could not be parsed\" for its PKCE cookie) and shows error=Configuration"
}

// authJSLostRemedy is the remedy of an Auth.js check cookie that did not
// come back with the callback.
const authJSLostRemedy = "Have Auth.js's check cookies come back with the callback: it sets authjs.pkce.code_verifier (and authjs.state, authjs.nonce when the provider's checks include them; __Secure- prefixed over HTTPS, next-auth.* in NextAuth.js 4) when the sign-in starts, encrypted with AUTH_SECRET, for 15 minutes, SameSite Lax, on the host the sign-in started on. So AUTH_URL must be the URL users browse (AUTH_TRUST_HOST behind a proxy), every instance must have the same AUTH_SECRET, a cookies option must keep sameSite \"lax\" and the host's domain, and the user must finish within 15 minutes. For a user whose cookie was dropped, point pages.error at a page that starts a fresh signIn() once for error=Configuration instead of Auth.js's \"Server error\"."

// expressSessionRemedy is base, the express-session remedy, with the
// words the library that checks the state says when the session did not
// come back: MSAL Node's and openid-client 6's; "" for others
// (openid-client 5's are base's own).
func expressSessionRemedy(base string, r *model.AppRefusal) string {
	if r == nil {
		return ""
	}
	i := strings.Index(base, " When the session has no state")
	if i < 0 {
		return ""
	}
	base = base[:i]
	switch {
	case isMSALNode(r.Library):
		return base + " When the session is gone the app passes acquireTokenByCode a request without its state and PKCE verifier: MSAL Node then skips its state check (it compares only a state the request carries) and redeems the code without the verifier, which the provider refuses (ServerError: invalid_grant). Check in the redirect route that the session holds a pending request for the callback's state before calling acquireTokenByCode, and start a fresh sign-in once when it does not."
	case r.Library == "openid-client" && strings.Contains(r.Words, `"state" response parameter`):
		return base + " When the session is gone the app passes authorizationCodeGrant no expectedState, and openid-client 6 refuses a callback carrying one (\"unexpected \\\"state\\\" response parameter encountered\", a ClientError with code OAUTH_INVALID_RESPONSE): catch it in the callback route and start a fresh sign-in once instead of the error page."
	}
	return ""
}

// msalLostSession adds to a lost express-session cookie what MSAL Node did
// with the callback then, "" for other libraries.
func msalLostSession(r *model.AppRefusal) string {
	if r == nil || !isMSALNode(r.Library) || r.Cause != model.RefusalRedemption {
		return ""
	}
	return fmt.Sprintf("; the page quotes the provider's refusal of the app's token request (%s): with the session gone the app's request carried no state and no PKCE verifier, so MSAL Node skipped its state check and redeemed the code without the verifier", r.Words)
}

// authJSChecksCameBack says, of a callback Auth.js refused with an error
// name only (error=Configuration), that the trace rules out its check
// cookies: every one it set when the sign-in started (the PKCE verifier's,
// the state's, the nonce's) came back with this callback, the code's
// first delivery, with the value set. What fails after its checks is its
// token request or its validation of the answer, which only the server
// sees. "" when the trace does not show that.
func authJSChecksCameBack(a *Analysis, t *Transaction, cb *model.Event) string {
	r := cb.Refusal()
	if r == nil || !isAuthJS(r.Library) || r.Cause != model.RefusalUnknown || t.Authorize == nil || !a.HasCookies || cb.Code.IsZero() {
		return ""
	}
	if c := a.trailOf(cb.Code); c == nil || len(c.Deliveries) == 0 || c.Deliveries[0] != cb {
		return ""
	}
	start, _ := loginStart(a, t.Authorize)
	x := a.Exchange(cb)
	if start == nil || x == nil {
		return ""
	}
	sent := map[string]string{}
	for _, ck := range x.Cookies() {
		sent[ck.Name] = ck.Value
	}
	var names []string
	for _, sc := range start.SetCookies() {
		if !authJSCheckCookie(sc.Name) || model.Expired(sc, start.End()) {
			continue
		}
		// A sanitizer's placeholders compare equal whatever the values
		// were: nothing is shown then, but for a traceaudit copy's
		// ordinal masks, equal for one value within one file.
		if v, ok := sent[sc.Name]; !ok || v != sc.Value || secret.IsPlaceholder(secret.New(v)) && !oneFileMask(start, x, v) {
			return ""
		}
		names = append(names, sc.Name)
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("Auth.js's check cookie(s) %s, set when the sign-in started at %s, came back with this callback, the code's first delivery, as they were set (not lost, and not replaced by another sign-in): so Auth.js refused it after its checks, in its own token request or its validation of the provider's answer (a client secret the provider refuses, invalid_client; an issuer or ID token that does not match the provider's discovery document), which it logs as CallbackRouteError with the cause ([auth][error], [auth][cause]) and which only the server sees",
		strings.Join(names, ", "), start.Ref)
}

// sameFileMasks reports whether cookie values a, read at xa, and b, read at
// xb, can be compared as strings when either is a traceaudit copy's mask
// (secret.MaskOrdinal): only when both were read from one file, as copies
// of different files number their values apart. Values that are no such
// masks compare as they are.
func sameFileMasks(xa, xb *Exchange, a, b string) bool {
	_, _, ma := secret.MaskOrdinal(a)
	_, _, mb := secret.MaskOrdinal(b)
	return !ma && !mb || xa.Trace() == xb.Trace()
}

// oneFileMask reports a traceaudit copy's mask (secret.MaskOrdinal) read at
// xa and at xb from one file, where it stands for one value.
func oneFileMask(xa, xb *Exchange, v string) bool {
	_, _, ok := secret.MaskOrdinal(v)
	return ok && xa.Trace() == xb.Trace()
}

// authJSCheckCookie reports the cookies Auth.js (and NextAuth.js 4) keeps
// a sign-in's checks in: its PKCE verifier, state and nonce.
func authJSCheckCookie(name string) bool {
	n := strings.TrimPrefix(strings.TrimPrefix(name, "__Secure-"), "__Host-")
	for _, p := range []string{"authjs.", "next-auth."} {
		switch strings.TrimPrefix(n, p) {
		case "pkce.code_verifier", "state", "nonce":
			return strings.HasPrefix(n, p)
		}
	}
	return false
}

// authJSLogRemedy is where to read the cause of callbacks Auth.js refused
// with an error name only, "" when none of cbs is Auth.js's.
func authJSLogRemedy(cbs []*model.Event) string {
	for _, cb := range cbs {
		if r := cb.Refusal(); r != nil && isAuthJS(r.Library) {
			return "Read the app server's log, where Auth.js names the cause it hides from the browser: [auth][error] with the error (CallbackRouteError, InvalidCheck) and [auth][cause] with the provider's answer to its token request (NextAuth.js 4: [next-auth][error][OAUTH_CALLBACK_ERROR]); debug: true adds the requests. Or add the app server's capture (its back-channel calls to the token endpoint, with its TLS key log: NODE_OPTIONS=--tls-keylog=FILE) and read both as one incident: traceaudit scan --case THIS-TRACE SERVER-CAPTURE."
		}
	}
	return ""
}

// authJSCrossedCookie says which of Auth.js's check cookies the crossed
// callback carried with the later sign-in's value: the cookie both starts
// set under one name, the second replacing the first's. "" when the trace
// does not show it (no cookies, another library, the values not the
// starts').
func authJSCrossedCookie(a *Analysis, x *Crossing) string {
	if !a.HasCookies || x.A.Authorize == nil || x.B.Authorize == nil {
		return ""
	}
	c := a.trailOf(x.Code)
	if c == nil || len(c.Deliveries) == 0 {
		return ""
	}
	cbEx := a.Exchange(c.Deliveries[0])
	startA, _ := loginStart(a, x.A.Authorize)
	startB, _ := loginStart(a, x.B.Authorize)
	if cbEx == nil || startA == nil || startB == nil {
		return ""
	}
	sent := map[string]string{}
	for _, ck := range cbEx.Cookies() {
		sent[ck.Name] = ck.Value
	}
	setA := map[string]string{}
	for _, sc := range startA.SetCookies() {
		setA[sc.Name] = sc.Value
	}
	for _, sc := range startB.SetCookies() {
		if !authJSCheckCookie(sc.Name) || setA[sc.Name] == "" || setA[sc.Name] == sc.Value || sent[sc.Name] != sc.Value {
			continue
		}
		if !sameFileMasks(startA, startB, setA[sc.Name], sc.Value) || !sameFileMasks(cbEx, startB, sent[sc.Name], sc.Value) {
			continue // two copies' masks: equal or not, they say nothing of the values
		}
		return fmt.Sprintf("the callback at %s carried the %s cookie sign-in #%d's start set at %s, which replaced the one sign-in #%d's start set at %s",
			c.Deliveries[0].Ref, sc.Name, x.B.ID, startB.Ref, x.A.ID, startA.Ref)
	}
	return ""
}
