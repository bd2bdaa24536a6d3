package rules

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/secret"
)

// StateMismatch: the app could not match the callback to its sign-in.
var StateMismatch = &Rule{
	ID:       "state-mismatch",
	Title:    "callback state or correlation cookie lost",
	Severity: Error,
	Doc: `Detects callbacks the app refused because it could not match them to the
sign-in it started ("state mismatch", "Correlation failed", "State cookie was
missing", authorization_request_not_found): the callback request lacks a
transient cookie the app set when it started the sign-in (the response that
redirected to the authorize endpoint), with the likely reason — SameSite=Lax or
Strict cookies are not sent on a cross-site form_post, SameSite=None without
Secure is rejected, the login page was left open past the cookie's lifetime
(ASP.NET Core: 15 minutes), or the cookie was lost to another tab, host or path.
It also flags a callback whose state matches none of the trace's authorize
requests while it failed, the same state reused by different sign-ins (no CSRF
protection), and code-flow authorize requests with neither state, nonce nor PKCE.
With scan --case and a capture of a proxy's backend side, it names a callback
refused by another app instance than the one that started the sign-in while the
browser sent every cookie back: the instances do not share their sign-in state
(data protection keys, session store). When the trace cannot show the cookies (a
HAR exported without them, a trace that starts after the sign-in did), it reads
the refusal in the app library's own words on its answer: ASP.NET Core's
"Correlation failed." and "Unable to unprotect the message.State." (data
protection keys another instance or a restart does not have), Spring Security's
authorization_request_not_found, oauth2-proxy's "Unable to find a valid CSRF
token", Passport's and openid-client's state errors, and remedies it in that
library's terms.

Remediation: set transient cookies with SameSite=None; Secure when the callback
is a cross-site form_post (or use response_mode=query), key them per transaction,
generate a fresh state per sign-in, and on a mismatch restart sign-in once.`,
	Run: runStateMismatch,
}

func runStateMismatch(p *Pass) {
	cookiesKept := p.HasCookies
	for _, t := range p.Transactions {
		az := t.Authorize
		if az == nil {
			continue
		}
		if cookiesKept {
			checkTransientCookies(p, t)
		}
		checkInstanceSwitch(p, t)
	}
	for _, t := range p.Transactions {
		checkRefusalWords(p, t, cookiesKept)
	}
	// Callbacks whose state matches no sign-in, that failed. The states
	// are gathered only when there are such callbacks (a capture of 65,000
	// authorize requests has none).
	// An authorize request that sent its parameters by reference (the
	// request_uri of a push the trace lacks, a request object it cannot
	// read) sent a state the trace does not know: a callback's state may
	// be its, so none is said to match no sign-in.
	haveAuthz, orphans, unknownState := false, false, false
	for _, t := range p.Transactions {
		if t.Authorize != nil {
			haveAuthz = true
			unknownState = unknownState || t.Authorize.ParamsByReference() && t.Authorize.State.IsZero()
		} else if len(t.Callbacks()) > 0 {
			orphans = true
		}
	}
	if haveAuthz && orphans && !unknownState {
		states := map[secret.Secret]bool{}
		for _, t := range p.Transactions {
			if t.Authorize != nil {
				states[t.Authorize.State] = true
			}
		}
		for _, t := range p.Transactions {
			if t.Authorize != nil {
				continue
			}
			for _, cb := range t.Callbacks() {
				if cb.State.IsZero() || states[cb.State] {
					continue
				}
				if failed, how := callbackFailed(p.Analysis, cb); failed {
					p.Report(Finding{Code: cb.Code, Confidence: "low",
						Message: fmt.Sprintf("the callback at %s carries a state that none of the trace's authorize requests sent, and the app refused it (%s): a stale or replayed callback (back button, bookmark, restored tab)",
							cb.Ref, how),
						Evidence:    []Evidence{p.Evidence(cb, "callback with an unknown state")},
						Remediation: "Restart the sign-in on a state mismatch instead of showing an error; do not bookmark or restore callback URLs."})
				}
			}
		}
	}
	// The same state in different sign-ins, and sign-ins without any CSRF
	// protection.
	// Only the first two sign-ins of a state and their number are
	// reported: one map entry per state, a record per reused one.
	var first stateIndex // → position in Transactions of the first
	reused := map[secret.Secret]*reusedState{}
	var order []secret.Secret
	for i, t := range p.Transactions {
		az := t.Authorize
		if az == nil {
			continue
		}
		if az.State.IsZero() {
			if strings.Contains(az.ResponseType(), "code") && az.Nonce().IsZero() && az.CodeChallenge().IsZero() && !messageRedirect(az.RedirectURI()) &&
				!az.ParamsByReference() {
				p.Report(Finding{Severity: Warning,
					Message:     fmt.Sprintf("the authorize request at %s sends neither state, nonce nor a PKCE challenge: nothing protects the callback against CSRF", az.Ref),
					Evidence:    []Evidence{p.Evidence(az, "authorize request")},
					Remediation: "Send a fresh, unguessable state per sign-in (and PKCE)."})
			}
			continue
		}
		f := first.put(p.Transactions, az.State, i, false)
		if f < 0 {
			continue
		}
		if r := reused[az.State]; r != nil {
			r.n++
			continue
		}
		reused[az.State] = &reusedState{pos: f, first: p.Transactions[f], second: t, n: 2}
		order = append(order, az.State)
	}
	// In the order the states first appeared.
	sort.Slice(order, func(i, j int) bool { return reused[order[i]].pos < reused[order[j]].pos })
	for _, s := range order {
		r := reused[s]
		a, b := r.first.Authorize, r.second.Authorize
		if a.Nonce().Equal(b.Nonce()) && a.CodeChallenge().Equal(b.CodeChallenge()) {
			continue // the same request sent again (reload), not a new sign-in
		}
		if a.CodeChallengeMethod() == "S256" && b.CodeChallengeMethod() == "S256" && !a.CodeChallenge().IsZero() && !b.CodeChallenge().IsZero() {
			// A state that carries only the app's return URL
			// (express-openid-connect's), each sign-in with a PKCE
			// challenge of its own: PKCE is the CSRF protection.
			p.Report(Finding{Severity: Info,
				Message:     fmt.Sprintf("%d different sign-ins (%s, %s) send the same state %s: their own S256 PKCE challenges protect the callback against CSRF where the provider enforces PKCE (RFC 9700 section 4.7.1), but callbacks of different sign-ins cannot be told apart by their state", r.n, a.Ref, b.Ref, s),
				Evidence:    []Evidence{p.Evidence(a, "first use of the state"), p.Evidence(b, "same state, different sign-in")},
				Remediation: "Nothing is needed for CSRF while the provider enforces PKCE; a fresh state per sign-in lets the app tell its sign-ins apart."})
			continue
		}
		if socialAuthStarts(p.Analysis, a, b) {
			// social-core keeps one state per session and reuses it.
			p.Report(Finding{Severity: Info,
				Message: fmt.Sprintf("%d different sign-ins (%s, %s) send the same state %s, both started by social-auth-app-django (its /login/<backend>/ and /complete/<backend>/): social-core keeps one state per backend in the Django session and reuses it for every sign-in of that session, which still protects the callback against CSRF (the state is the session's, not a constant; a trace of one browser cannot show that another browser gets another), but callbacks of sign-ins in two tabs cannot be told apart by their state",
					r.n, a.Ref, b.Ref, s),
				Evidence:    []Evidence{p.Evidence(a, "first use of the state"), p.Evidence(b, "same state, same session")},
				Remediation: "Nothing is needed for CSRF: social-core's state is per session. Sign-ins in two tabs both complete (each has its own code and nonce)."})
			continue
		}
		p.Report(Finding{Severity: Warning,
			Message:     fmt.Sprintf("%d different sign-ins (%s, %s) send the same state %s: a constant state gives no CSRF protection and makes callbacks of different sign-ins indistinguishable", r.n, a.Ref, b.Ref, s),
			Evidence:    []Evidence{p.Evidence(a, "first use of the state"), p.Evidence(b, "same state, different sign-in")},
			Remediation: "Generate a fresh, unguessable state for every sign-in."})
	}
}

// reusedState is a state sent by more than one sign-in: the first two and
// how many.
type reusedState struct {
	pos           int // of first in Transactions
	first, second *Transaction
	n             int
}

func checkTransientCookies(p *Pass, t *Transaction) {
	for _, cb := range t.Callbacks() {
		failed, how := callbackFailed(p.Analysis, cb)
		if !failed || replayOfCompleted(p.Analysis, cb) {
			continue
		}
		start, missing := missingCookies(p.Analysis, t, cb)
		if len(missing) == 0 {
			continue
		}
		var names []string
		for _, c := range missing {
			names = append(names, cookieName(c.name, t.Authorize))
		}
		lib := t.Library()
		if r := cb.Refusal(); lib == "" && r != nil {
			lib = r.Library
		}
		if lib == "" {
			var setNames []string
			for _, c := range missing {
				setNames = append(setNames, c.name)
			}
			lib = oauth.LibraryOfCookies(setNames)
		}
		for _, c := range missing {
			if lib == "" {
				lib = c.lib // a session cookie known by its value's shape
			}
		}
		why := "the cookie was lost (overwritten by another tab's sign-in, set for another host or path, or dropped by a proxy)"
		authJS := false // an Auth.js check cookie, read by authJSCookieLost
		c := missing[0]
		// What the Set-Cookie shows a browser refusing, if anything.
		refused, refusedWhy := cookieRefused(c, callbackTime(p.Analysis, cb))
		switch {
		case cb.Delivery() == "form_post" && (c.sameSite == "lax" || c.sameSite == "strict" || c.sameSite == ""):
			ss := c.sameSite
			if ss == "" {
				ss = "unset (Lax by default)"
			}
			why = fmt.Sprintf("the callback is a cross-site form_post and the cookie's SameSite is %s, so the browser does not send it", ss)
		case c.sameSite == "strict":
			why = "the cookie is SameSite=Strict, which browsers do not send on the cross-site redirect back from the provider"
		case c.sameSite == "none" && !c.secure:
			why = "the cookie is SameSite=None without Secure, which browsers reject"
		case refused != "":
			why = refusedWhy
		default:
			if d, _, ok := Elapsed(t.Authorize, cb); ok && d > 15*time.Minute {
				why = fmt.Sprintf("the sign-in took %s, longer than such correlation cookies usually live (ASP.NET Core: 15 minutes)", fmtDuration(d))
			} else if sessionCookie(lib, c) {
				why = sessionCookieLost(p.Analysis, start, cb, c) + msalLostSession(cb.Refusal())
			} else if w := authJSCookieLost(p.Analysis, t, start, cb, c); w != "" {
				why, authJS = w, true
			} else if strings.HasPrefix(c.name, "mod_auth_openidc_state_") {
				// Named after the state: no other sign-in replaces it.
				why = "mod_auth_openidc names its state cookie after the sign-in's state, so another tab's sign-in does not replace it: it was dropped (expired after OIDCStateTimeout, 300 seconds by default; deleted to stay within OIDCStateMaxNumberOfCookies; blocked by the browser) or set for another host than the OIDCRedirectURI's"
			}
		}
		startEv := p.ExchangeEvidence(start, "sign-in started; transient cookies set")
		evs := []Evidence{startEv, p.Evidence(t.Authorize, "authorize request")}
		cbEv := p.Evidence(cb, "callback without the cookie")
		evs = append(evs, p.CodeStory(cb.Code, append(evs, cbEv))...)
		evs = append(evs, cbEv)
		if note := raceLibraryNote(lib); note != "" && !strings.HasPrefix(note, "MSAL") && !authJS {
			why += "; " + note
		}
		remedy := "Set transient state/nonce/correlation cookies with SameSite=None; Secure when the callback is a cross-site form_post (or use response_mode=query), key them per transaction, and restart sign-in once on a mismatch."
		if refused != "" && why == refusedWhy {
			// The Set-Cookie shows the cause: its own fix.
			remedy = cookieRefusedRemedy(lib, refused, c)
		} else if strings.HasPrefix(lib, "mod_auth_openidc") || strings.HasPrefix(lib, "oauth2-proxy") {
			// An app in front of the app: its own settings are the fix.
			remedy = refusalRemedy(lib, model.RefusalState)
		} else if r := cb.Refusal(); r != nil && (strings.HasPrefix(r.Library, "django-allauth") || strings.HasPrefix(r.Library, "OmniAuth") || strings.HasPrefix(r.Library, "Authlib") || strings.HasPrefix(r.Library, "social-auth")) {
			// The library that refused keeps the state in the app's
			// session: its session cookie is the one to bring back.
			remedy = refusalRemedy(r.Library, model.RefusalState)
		} else if strings.HasPrefix(lib, "Flask") {
			remedy = refusalRemedy(lib, model.RefusalState)
		} else if c.lib == "express-session" {
			// The app keeps the state in its session, whichever
			// library checks it (openid-client used directly).
			remedy = refusalRemedy(c.lib, model.RefusalState)
			if s := expressSessionRemedy(remedy, cb.Refusal()); s != "" {
				remedy = s
			}
		} else if authJS {
			remedy = authJSLostRemedy
		}
		p.Report(Finding{Code: cb.Code,
			Message: fmt.Sprintf("the app refused the callback at %s (%s): the request lacks the cookie(s) %s that the app set when starting the sign-in at %s; %s",
				cb.Ref, how, strings.Join(names, ", "), start.Ref, why),
			Evidence:    evs,
			Remediation: remedy})
	}
}

// checkInstanceSwitch reports a callback refused by another app instance
// than the one that started the sign-in (scan --case with a proxy's
// backend-side capture): the instances do not share their sign-in state.
func checkInstanceSwitch(p *Pass, t *Transaction) {
	for _, cb := range t.Callbacks() {
		sw, ok := instanceSwitch(p.Analysis, t, cb)
		if !ok {
			continue
		}
		evs := []Evidence{p.ExchangeEvidence(sw.Start, "sign-in started at instance "+sw.From), p.Evidence(t.Authorize, "authorize request")}
		cbEv := p.Evidence(cb, "callback refused by instance "+sw.To)
		evs = append(evs, p.CodeStory(cb.Code, append(evs, cbEv))...)
		evs = append(evs, cbEv)
		sent := ""
		if sw.CookiesSent {
			sent = " though the browser sent back every cookie set when the sign-in started"
		}
		p.Report(Finding{Code: cb.Code, Confidence: ConfidenceMedium, Mechanism: MechInstanceWithoutSharedState,
			Message: fmt.Sprintf("the app refused the callback at %s (%s)%s: the proxy sent the sign-in's start (%s) to app instance %s and the callback to instance %s, which could not read the first instance's sign-in state (correlation and nonce cookies protected with keys it does not have, or a session it does not hold) and never redeemed the code",
				cb.Ref, sw.HowRefused, sent, sw.Start.Ref, sw.From, sw.To),
			Evidence:    evs,
			Remediation: "Share the sign-in state between the app's instances: one data protection key ring for all of them (ASP.NET Core: PersistKeysTo… shared storage and the same SetApplicationName; other stacks: the same cookie encryption/signing secret) and a shared session store (Redis, SQL) instead of in-memory sessions; or keep a sign-in on one instance (sticky sessions) until its callback completes."})
	}
}

// checkRefusalWords reports a callback the app's sign-in library refused
// in words saying it lost the sign-in's state ("Correlation failed.",
// authorization_request_not_found, "Unable to find a valid CSRF token",
// "Unable to unprotect the message.State.") when the trace's cookies do not
// show it already: a HAR exported without cookies, a trace that starts
// after the sign-in did, state the app kept server-side.
func checkRefusalWords(p *Pass, t *Transaction, cookiesKept bool) {
	for _, cb := range t.Callbacks() {
		if !refusalLost(cb) || cb.Err != nil || overlapped(p.Analysis, t, cb) || replayOfCompleted(p.Analysis, cb) {
			continue // the provider's error, multi-tab-race or code-reuse says why
		}
		failed, how := callbackFailed(p.Analysis, cb)
		if !failed {
			continue
		}
		if t.Authorize != nil {
			if _, missing := missingCookies(p.Analysis, t, cb); cookiesKept && len(missing) > 0 {
				continue // checkTransientCookies names the cookies
			}
			if _, ok := instanceSwitch(p.Analysis, t, cb); ok {
				continue // checkInstanceSwitch names the instances
			}
		}
		r := cb.Refusal()
		lib := r.Library
		if lib == "" {
			lib = t.Library()
		}
		what := "the app found no sign-in state of its own for the callback: the transient cookie it set when the sign-in started (state, correlation or PKCE verifier), or the session that held it, did not come back with the callback"
		switch r.Cause {
		case model.RefusalKeys:
			what = "the callback brought back the state the app protected when the sign-in started, and the app could not decrypt it: the callback reached an app instance (or the app restarted) whose data protection keys are not the ones that protected it, or another authentication handler on the same callback path took it"
		case model.RefusalNonce:
			what = "the app found no nonce of its own for the ID token: the nonce cookie it set when the sign-in started did not come back with the callback"
		}
		seen := ""
		switch {
		case r.Cause == model.RefusalKeys:
		case !cookiesKept:
			seen = "; the trace has no cookies (a sanitized export), so it cannot show which cookie was missing or why"
		case t.Authorize == nil:
			seen = "; the trace starts after the sign-in did, so it cannot show the cookies set then"
		default:
			seen = "; the callback sent back every cookie the trace shows the app setting, so the state was lost on the app's side (a session another instance does not hold, or one that expired) or set outside the trace"
		}
		var evs []Evidence
		if t.Authorize != nil {
			evs = append(evs, p.Evidence(t.Authorize, "authorize request"))
		}
		cbEv := p.Evidence(cb, "callback refused by the app")
		evs = append(evs, p.CodeStory(cb.Code, append(evs, cbEv))...)
		evs = append(evs, cbEv)
		p.Report(Finding{Code: cb.Code, Confidence: ConfidenceMedium,
			Message:     fmt.Sprintf("the app refused the callback at %s (%s): %s%s", cb.Ref, how, what, seen),
			Evidence:    evs,
			Remediation: refusalRemedy(lib, r.Cause)})
	}
}

// refusalRemedy is what to change for a callback refused for lost state,
// in the terms of the library that refused it.
func refusalRemedy(lib string, cause model.RefusalCause) string {
	if cause == model.RefusalKeys {
		return "Give every instance of the app one data protection key ring that survives restarts (ASP.NET Core: PersistKeysTo… on shared storage and the same SetApplicationName), and each authentication handler its own callback path; or keep a sign-in on one instance (sticky sessions) until its callback completes."
	}
	switch {
	case strings.HasPrefix(lib, "ASP.NET Core"), strings.HasPrefix(lib, "Microsoft.Identity.Web"):
		return "Have the .AspNetCore.Correlation and .AspNetCore.OpenIdConnect.Nonce cookies come back with the provider's redirect: for a form_post callback they must be SameSite=None; Secure, which the handler sets only over HTTPS (behind a TLS-terminating proxy, UseForwardedHeaders so it sees the scheme), on the host and path of the callback; share the data protection key ring between instances; and in OnRemoteFailure send the user to a fresh sign-in instead of an error page (a sign-in page left open past the cookies' 15 minutes, the back button, a second tab)."
	case strings.HasPrefix(lib, "Spring Security"):
		return "Keep the session that saved the authorization request for the callback: a session store every instance shares (Spring Session) or sticky sessions, a session cookie the browser sends on the provider's redirect back (the host name the sign-in started on; SameSite Lax, not Strict), and no SessionCreationPolicy.STATELESS without a cookie-based AuthorizationRequestRepository."
	case strings.HasPrefix(lib, "django-allauth"):
		return "django-allauth keeps the sign-in's state in the Django session (socialaccount_state; socialaccount_states since 0.62), so the session cookie (SESSION_COOKIE_NAME, sessionid by default) must come back with the provider's redirect: the host name the sign-in started on, SESSION_COOKIE_SAMESITE \"Lax\" (not \"Strict\"), SESSION_COOKIE_SECURE only where the site is served over HTTPS (SECURE_PROXY_SSL_HEADER behind a TLS-terminating proxy), a session engine every instance reads (the database or a shared cache, not local memory) and the same SECRET_KEY on every instance; a session that expires or is flushed between the sign-in's start and its callback (SESSION_COOKIE_AGE, a logout in another tab) loses the state too."
	case strings.HasPrefix(lib, "Authlib"):
		return "Authlib keeps each sign-in's state in the web framework's session under a key of its own (_state_{name}_{state}; another tab's sign-in does not replace it), so the session must come back with the provider's redirect. With Flask's default cookie session that is the session cookie (SESSION_COOKIE_NAME, session by default): the host name the sign-in started on (SERVER_NAME, SESSION_COOKIE_DOMAIN), SESSION_COOKIE_SAMESITE \"Lax\" or unset, not \"Strict\", SESSION_COOKIE_SECURE only where the site is served over HTTPS (werkzeug's ProxyFix behind a TLS-terminating proxy), the same SECRET_KEY on every instance and across restarts, and a session under the browsers' 4 KB cookie limit (keep tokens out of it); a cache given to OAuth(app, cache=…) must be one every instance reads. Catch authlib.integrations.base_client.errors.MismatchingStateError (an OAuthError) in the callback view and send the user to a fresh sign-in once instead of a 500 page."
	case strings.HasPrefix(lib, "Flask"):
		return "Flask keeps its session, and with it the sign-in's state, in the session cookie itself (signed with SECRET_KEY, not encrypted), so that cookie (SESSION_COOKIE_NAME, session by default) must come back with the provider's redirect: the host name the sign-in started on (SERVER_NAME, SESSION_COOKIE_DOMAIN), SESSION_COOKIE_SAMESITE \"Lax\" or unset, not \"Strict\", SESSION_COOKIE_SECURE only where the site is served over HTTPS (werkzeug's ProxyFix behind a TLS-terminating proxy), the same SECRET_KEY on every instance and across restarts, and a session under the browsers' 4 KB cookie limit (keep tokens out of it). The callback answered a bare error page: the app's log holds the exception (Authlib: MismatchingStateError), which the callback view should catch and answer with a fresh sign-in."
	case strings.HasPrefix(lib, "OmniAuth"):
		return "OmniAuth keeps the state in the Rack session (session[\"omniauth.state\"]), which must come back with the provider's redirect: the host name the sign-in started on, a session cookie with SameSite=Lax (not Strict) and Secure behind TLS (the proxy's X-Forwarded-Proto), one session store every instance reads (a cookie store with the same secret_key_base on every instance, or Redis or the database), and one sign-in at a time per browser (a second tab replaces the state)."
	case strings.HasPrefix(lib, "mod_auth_openidc"):
		return "Have the mod_auth_openidc_state_<state> cookie come back to the OIDCRedirectURI: users must browse the host and scheme the OIDCRedirectURI names (OIDCCookieDomain when they differ), finish the sign-in within OIDCStateTimeout (300 seconds by default), and not start more sign-ins at once than OIDCStateMaxNumberOfCookies allows; and set OIDCDefaultURL so a callback without its state lands on a page that starts a new sign-in instead of Apache's 400 Bad Request."
	case strings.HasPrefix(lib, "oauth2-proxy"):
		return "Have the _oauth2_proxy_csrf cookie come back to /oauth2/callback: the browser must use the host the redirect URL names (cookie-domain; cookie-secure behind TLS), cookie-samesite lax rather than strict, the sign-in finished within cookie-csrf-expire (15 minutes by default), and cookie-csrf-per-request for sign-ins in several tabs."
	case strings.HasPrefix(lib, "Auth.js"), strings.HasPrefix(lib, "NextAuth.js"):
		return "Have Auth.js's state and PKCE cookies (authjs.state, authjs.pkce.code_verifier; next-auth.* in NextAuth.js 4) come back with the callback: AUTH_URL or NEXTAUTH_URL must be the URL users browse (the callback's host and scheme), every instance the same AUTH_SECRET, and one sign-in with a provider at a time in a browser."
	case strings.HasPrefix(lib, "Passport.js"):
		return "passport-oauth2 keeps the state in the session: use a session store every instance shares (not express-session's MemoryStore) and a session cookie the browser sends on the provider's redirect back (sameSite 'lax'; secure with app.set('trust proxy') behind TLS), on the host the sign-in started on."
	case strings.HasPrefix(lib, "social-auth"):
		return "social-auth-app-django keeps the sign-in's state in the Django session (<backend>_state), so the session cookie (SESSION_COOKIE_NAME, sessionid by default) must come back with the provider's redirect: the host name the sign-in started on, SESSION_COOKIE_SAMESITE \"Lax\" (not \"Strict\"), SESSION_COOKIE_SECURE only where the site is served over HTTPS (SECURE_PROXY_SSL_HEADER behind a TLS-terminating proxy), a session engine every instance reads (the database or a shared cache, not local memory), the same SECRET_KEY on every instance, and a SESSION_COOKIE_AGE longer than a sign-in takes. Without it social-core raises AuthStateMissing (\"Session value state missing.\"); LOGIN_ERROR_URL's page can offer a fresh sign-in."
	case strings.HasPrefix(lib, "express-session"):
		return "The app keeps the sign-in's state (and PKCE verifier) in its express-session session, so the session cookie (connect.sid unless the name option changes it) must come back with the provider's redirect: the host name the sign-in started on, cookie.sameSite 'lax' (not 'strict'), cookie.secure only where the site is served over HTTPS (app.set('trust proxy', 1) behind a TLS-terminating proxy), a cookie.maxAge longer than a sign-in takes, one store every instance reads (connect-redis or another shared store: the default MemoryStore is per process and empties on restart) and the same secret on every instance. When the session has no state, openid-client throws \"checks.state argument is missing\": catch it in the callback route and start a fresh sign-in once instead of the error page."
	case strings.HasPrefix(lib, "openid-client"), strings.HasPrefix(lib, "express-openid-connect"):
		return "Have the auth_verification cookie come back with the callback: one host name for the start and the callback, SameSite=None; Secure for a form_post callback, and the same secret on every instance."
	}
	return "Set transient state/nonce/correlation cookies with SameSite=None; Secure when the callback is a cross-site form_post (or use response_mode=query), keep sign-in state where every app instance reads it, key it per transaction, and restart sign-in once on a mismatch."
}

// sessionCookie reports the session cookie of a web framework the app
// kept the sign-in's state in, known by its value's shape
// (oauth.LibraryOfCookie): Flask's, which holds Authlib's state itself, or
// express-session's, the id of a server-side session (where an app using
// openid-client directly keeps its state and PKCE verifier).
func sessionCookie(lib string, c setCookie) bool {
	switch c.lib {
	case "Flask":
		return strings.HasPrefix(lib, "Flask") || strings.HasPrefix(lib, "Authlib")
	case "express-session", "Django":
		return true
	}
	return false
}

// sessionCookieLost says what the trace shows of a framework's session
// cookie that did not come back with the callback: no other sign-in
// replaced it (a second tab's sign-in sends the same cookie back), and
// whether the callback went to the host that set it and the cookie was
// under the 4 KB browsers keep; what remains is the browser's side, which
// a trace cannot show.
func sessionCookieLost(a *Analysis, start *Exchange, cb *model.Event, c setCookie) string {
	why := "Flask keeps the session, and with it the sign-in's state, in the session cookie itself, and another tab's sign-in would have sent it back holding both states, so no other sign-in replaced it"
	switch c.lib {
	case "express-session":
		why = "express-session keeps the session, and with it the state the app stored for the sign-in, on the server under the id this cookie carries, and another tab's sign-in would have sent the same cookie back, so no other sign-in removed it"
	case "Django":
		why = "Django keeps the session, and with it the sign-in's state, on the server under the key this cookie carries, and another tab's sign-in would have sent the same cookie back, so no other sign-in removed it"
	}
	var shown []string
	if ex := a.Exchange(cb); ex != nil && strings.EqualFold(hostOfURL(start.URL()), hostOfURL(ex.URL())) {
		shown = append(shown, "the callback went to the host that set it")
	}
	if c.size > 4000 {
		return why + fmt.Sprintf("; it was %d bytes, over the 4 KB browsers keep of a cookie, so the browser dropped it", c.size)
	}
	if c.size > 0 {
		shown = append(shown, fmt.Sprintf("it was %d bytes, under the 4 KB browsers keep", c.size))
	}
	if len(shown) > 0 {
		why += "; " + strings.Join(shown, " and ")
	}
	return why + ": the browser deleted or withheld it (cookies cleared, a privacy setting or extension, a browser session that ended), which the trace cannot show"
}

// The causes cookieRefused reads in a Set-Cookie.
const (
	cookieInsecure = "secure-over-http"
	cookieDomain   = "domain"
	cookieExpired  = "expired"
)

// callbackTime is when the browser sent callback cb (zero when unknown).
func callbackTime(a *Analysis, cb *model.Event) time.Time {
	if ex := a.Exchange(cb); ex != nil {
		return ex.Start
	}
	return time.Time{}
}

// cookieRefused says why a browser did not send a transient cookie back
// when the Set-Cookie that made it shows the reason: Secure set by a
// plain-http answer (browsers keep Secure cookies only from secure
// origins, localhost aside), a Domain attribute the answering host is not
// in (refused: RFC 6265 section 5.3 step 6), or an expiry that passed
// before the callback at. kind is one of cookieInsecure, cookieDomain,
// cookieExpired, "" when the Set-Cookie shows no reason.
func cookieRefused(c setCookie, at time.Time) (kind, why string) {
	u, err := url.Parse(c.setURL)
	if err != nil || u.Host == "" {
		return "", ""
	}
	host := strings.ToLower(u.Hostname())
	if c.secure && u.Scheme == "http" && !loopbackName(host) {
		return cookieInsecure, fmt.Sprintf("the cookie is Secure and was set by a plain-http answer (%s://%s): browsers keep Secure cookies only from https pages (localhost aside), so this one was refused and never sent", u.Scheme, u.Host)
	}
	if d := strings.TrimPrefix(strings.ToLower(c.domain), "."); d != "" && host != d && !strings.HasSuffix(host, "."+d) {
		return cookieDomain, fmt.Sprintf("the cookie was set with Domain=%s by %s, a host not in that domain: browsers refuse such a cookie, so it was never sent", c.domain, host)
	}
	if !c.expires.IsZero() && !at.IsZero() && at.After(c.expires) {
		if c.maxAge > 0 {
			return cookieExpired, fmt.Sprintf("the cookie lived %s (Max-Age=%d) and the callback came %s after it was set: it had expired", fmtDuration(time.Duration(c.maxAge)*time.Second), c.maxAge, fmtDuration(at.Sub(c.expires)+time.Duration(c.maxAge)*time.Second))
		}
		return cookieExpired, fmt.Sprintf("the cookie expired at %s (its Expires), %s before the callback", c.expires.UTC().Format("15:04:05 UTC"), fmtDuration(at.Sub(c.expires)))
	}
	return "", ""
}

// loopbackName reports a host browsers treat as a secure origin over plain
// http (Secure cookies included).
func loopbackName(host string) bool {
	host = strings.Trim(host, "[]")
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || host == "::1" || strings.HasPrefix(host, "127.")
}

// cookieRefusedRemedy is the fix for a transient cookie the browser refused
// or let expire (cookieRefused), in the terms of the library that set it.
func cookieRefusedRemedy(lib, kind string, c setCookie) string {
	host := ""
	if u, err := url.Parse(c.setURL); err == nil {
		host = u.Hostname()
	}
	if strings.HasPrefix(lib, "oauth2-proxy") {
		switch kind {
		case cookieInsecure:
			return "oauth2-proxy marks its cookies Secure (--cookie-secure=true, its default) and the browser reached it over plain http, so the browser refused its CSRF cookie and every callback fails. Serve it over HTTPS (--https-address with --tls-cert-file and --tls-key-file, or TLS at the ingress or load balancer in front, with --reverse-proxy=true so it reads X-Forwarded-Proto) and make --redirect-url the https URL; only for a plain-http test setup set --cookie-secure=false (cookie_secure = false, OAUTH2_PROXY_COOKIE_SECURE=false)."
		case cookieDomain:
			return fmt.Sprintf("oauth2-proxy set its cookies for Domain=%s (its --cookie-domain), which the host the browser uses (%s) is not in, so the browser refused them. Set --cookie-domain to a domain that host is in (several may be given, the most specific first; oauth2-proxy falls back to the last when none matches) or leave it unset for cookies of the host alone, and let --whitelist-domain allow the same domains for the redirect after sign-in.", c.domain, host)
		case cookieExpired:
			return fmt.Sprintf("oauth2-proxy's CSRF cookie lives --cookie-csrf-expire (15m by default; here Max-Age=%d) and the user took longer at the provider. Raise --cookie-csrf-expire (cookie_csrf_expire) above the time a sign-in can take (MFA, a password reset), and give the 403 page a way back to a fresh sign-in (--custom-templates-dir).", c.maxAge)
		}
	}
	switch kind {
	case cookieInsecure:
		return "Serve the app over HTTPS (behind a TLS-terminating proxy, let it see the scheme: X-Forwarded-Proto), or do not mark its transient sign-in cookies Secure on a plain-http test site."
	case cookieDomain:
		return fmt.Sprintf("Set the sign-in cookies' Domain to one the host %s is in, or leave it unset.", host)
	}
	return "Give the transient sign-in cookie a lifetime longer than a sign-in can take at the provider, and start a fresh sign-in once when it is gone."
}
