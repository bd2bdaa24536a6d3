package rules

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Verdict is a file's triage bucket (CLI contract, "Per-file verdict").
type Verdict string

const (
	// VerdictFindings: at least one finding at warning or above.
	VerdictFindings Verdict = "findings"
	// VerdictClean: a complete sign-in and nothing at warning or above.
	VerdictClean Verdict = "clean"
	// VerdictInconclusive: nothing at warning or above, but the trace cannot
	// show the sign-in.
	VerdictInconclusive Verdict = "inconclusive"
	// VerdictUnreadable: the file could not be read at all (set by the
	// caller; the analysis never sees such a file).
	VerdictUnreadable Verdict = "unreadable"
)

// Assessment is a file's verdict and the one sentence that says why.
type Assessment struct {
	Verdict Verdict
	Reason  string
}

// Assess gives the verdict on an analysed trace and its findings. A batch
// of hundreds of traces is triaged by it, so "no findings" is not enough to
// call a trace clean: it must show a sign-in that completed, and a failure
// the trace cannot explain (a token request without answer, a refused code
// with nothing to blame) makes it inconclusive, not clean.
func Assess(a *Analysis, findings []Finding) Assessment {
	as := assess(a, findings)
	if as.Reason != "" && !a.DeferScrub {
		as.Reason = a.Scrubber().String(as.Reason)
	}
	return as
}

func assess(a *Analysis, findings []Finding) Assessment {
	if s := findingsReason(findings); s != "" {
		return Assessment{VerdictFindings, s}
	}
	if s := unexplainedFailure(a); s != "" {
		return Assessment{VerdictInconclusive, s}
	}
	if s := cutBeforeRedemption(a); s != "" {
		return Assessment{VerdictInconclusive, s}
	}
	if s := completed(a); s != "" {
		if so := signOutReached(a); so != "" {
			s += "; " + so
		}
		if u := refusedTokenUse(a); u != "" {
			// The tokens were issued, but what the app did with them
			// failed: the sign-in the user saw did not complete.
			return Assessment{VerdictInconclusive, s + ", but " + u}
		}
		if u := unreadProviderConnections(a); u != "" {
			// What the trace could not read may hold the failure: a
			// second redemption, a refused refresh.
			return Assessment{VerdictInconclusive, s + ", but " + u}
		}
		if u := unnamedUnread(a); u != "" {
			return Assessment{VerdictClean, s + "; note: " + u}
		}
		return Assessment{VerdictClean, s}
	}
	if so := signOutReached(a); so != "" {
		if len(a.Transactions) == 0 && len(allTokenRequests(a)) == 0 && signOutDone(a) {
			// A trace of the sign-out alone (the ticket is about it):
			// the provider signed the user out and sent the browser on.
			return Assessment{VerdictClean, "no sign-in in the trace; " + so}
		}
		return Assessment{VerdictInconclusive, whyNoSignIn(a) + "; " + so}
	}
	return Assessment{VerdictInconclusive, whyNoSignIn(a)}
}

// refusedTokenUse says which API call (the userinfo endpoint, the app's
// own API) refused an access token the provider had just issued, when the
// first call presenting it was answered 401 or 403, or "". A later refusal
// after an accepted call can be the token's end of life; the first one
// means the token was never accepted (its audience, issuer, scopes or
// lifetime against the API's clock), which a customer sees as a failed
// sign-in though the provider's part succeeded.
func refusedTokenUse(a *Analysis) string {
	for _, r := range allTokenRequests(a) {
		if !r.Succeeded() || r.Response.AccessToken().IsZero() {
			continue
		}
		for _, call := range a.APICalls {
			if call.Exchange <= r.Request.Exchange || !call.AccessToken().Equal(r.Response.AccessToken()) {
				continue
			}
			if call.Status != 401 && call.Status != 403 {
				break
			}
			s := fmt.Sprintf("the first call presenting the access token issued at %s, %s %s at %s, was refused with HTTP %d",
				r.Response.Ref, call.Method(), model.WithoutQuery(call.Endpoint()), call.Ref, call.Status)
			if call.Err != nil && call.Err.Error != "" {
				s += " (" + call.Err.Error
				if call.Err.Description != "" {
					s += fmt.Sprintf(": %q", shortDescription(call.Err.Description))
				}
				s += ")"
			}
			return s + ": the token was issued but not accepted; compare its audience, issuer and scopes with what that API expects, and the clocks of the API and the provider (a token refused as expired right after issue)"
		}
	}
	return ""
}

// unreadProviderConnections says what of the TLS connections to a host the
// sign-in's authorize or token requests went to the trace could not read
// (no key, handshake not captured, records that fail authentication, a
// tunnel the proxy did not decrypt, bytes lost, secrets missing), or "".
//
// A note names its server when the ClientHello did. One that names none
// (the capture began after the handshake; bytes lost from a plain HTTP
// stream) is the provider's when it is about a connection the sign-in's
// own requests used: the same connection is the same server. A connection
// of its own to the same server address (IP and port) as the provider's
// is very likely the provider's too, but a shared front end serves other
// hosts at one address, so it is named as such; and of one that shares
// nothing the trace cannot tell whose it was, which the answer says
// rather than calling the sign-in clean unawares (noteUnnamed).
func unreadProviderConnections(a *Analysis) string {
	idp := map[string]bool{}
	conns := map[string]string{}   // connection → provider host, from the sign-in's requests
	servers := map[string]string{} // server address of those connections → provider host
	learn := func(ev *model.Event) {
		host := ev.Provider().Host
		idp[host] = true
		if c := ev.Conn(); c != "" && host != "" {
			conns[c] = host
			if srv := serverAddr(c); srv != "" {
				servers[srv] = host
			}
		}
	}
	for _, t := range a.Transactions {
		if t.Authorize != nil {
			learn(t.Authorize)
		}
	}
	for _, r := range allTokenRequests(a) {
		learn(r.Request)
	}
	var hosts, whys, shared []string
	n := 0
	for _, note := range a.Notes {
		switch note.Kind {
		case model.NoteTLSNoKeys, model.NoteTLSNoHandshake, model.NoteTLSAuthFailed, model.NoteTLSUnsupported, model.NoteTLSNotDecrypted,
			model.NoteTLSGap, model.NoteTLSPartialKeys, model.NoteGap:
		default:
			continue
		}
		h := strings.ToLower(note.Host)
		if h == "" && note.Conn != "" {
			if ph, ok := conns[note.Conn]; ok {
				h = ph
			} else if ph, ok := servers[serverAddr(note.Conn)]; ok && note.Kind != model.NoteGap {
				shared = appendHost(shared, ph)
				h = ph
			}
		}
		if h == "" || !idp[h] {
			continue
		}
		n++
		hosts = appendHost(hosts, h)
		why := unreadWhy[note.Kind]
		if note.Host == "" && note.Kind != model.NoteGap {
			if _, same := conns[note.Conn]; !same {
				why += ", on a connection without a server name to the same address as " + h
			}
		}
		whys = appendHost(whys, why)
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("the trace could not read all of its traffic%s (%s): what is missing may hold other token requests or refusals",
		hostList(hosts), strings.Join(whys, "; "))
}

// unnamedUnread says what TLS connections the trace could not read name no
// server and share no address with the sign-in's requests, or "": the
// trace cannot tell whether they were the provider's.
func unnamedUnread(a *Analysis) string {
	known := map[string]bool{}
	for ev := range a.events() {
		if c := ev.Conn(); c != "" {
			known[c] = true
			known[serverAddr(c)] = true
		}
	}
	var conns []string
	for _, note := range a.Notes {
		switch note.Kind {
		case model.NoteTLSNoKeys, model.NoteTLSNoHandshake, model.NoteTLSAuthFailed, model.NoteTLSUnsupported, model.NoteTLSGap, model.NoteTLSPartialKeys:
		default:
			continue
		}
		if note.Host != "" || note.Conn == "" || known[note.Conn] || known[serverAddr(note.Conn)] {
			continue
		}
		conns = appendHost(conns, note.Conn)
	}
	switch len(conns) {
	case 0:
		return ""
	case 1:
		return "1 TLS connection the trace could not read names no server (none in what was captured of it) and shares no address with the sign-in's requests, so the trace cannot tell whether it was the provider's"
	}
	return fmt.Sprintf("%d TLS connections the trace could not read name no server (none in what was captured of them) and share no address with the sign-in's requests, so the trace cannot tell whether they were the provider's", len(conns))
}

// serverAddr is the server side of a connection named as Exchange.Conn
// names it ("client:port-server:port"), "" when it is not so named.
func serverAddr(conn string) string {
	_, srv, ok := strings.Cut(conn, "-")
	if !ok || !strings.Contains(srv, ":") {
		return ""
	}
	return srv
}

var unreadWhy = map[model.NoteKind]string{
	model.NoteTLSNoKeys:       "no TLS key for a connection",
	model.NoteTLSNoHandshake:  "a TLS handshake not captured",
	model.NoteTLSAuthFailed:   "TLS records that fail decryption",
	model.NoteTLSUnsupported:  "a TLS version or cipher suite not decrypted",
	model.NoteTLSNotDecrypted: "a tunnel the proxy did not decrypt",
	model.NoteTLSGap:          "bytes lost from a TLS stream",
	model.NoteTLSPartialKeys:  "TLS secrets missing from the key log",
	model.NoteGap:             "bytes lost from the capture",
}

// findingsReason names the findings at warning or above, worst first, or
// "" when there are none.
func findingsReason(findings []Finding) string {
	type count struct {
		rule string
		sev  Severity
		n    int
	}
	var counts []*count
	by := map[string]*count{}
	for _, f := range findings {
		if f.Severity < Warning {
			continue
		}
		c := by[f.RuleID]
		if c == nil {
			c = &count{rule: f.RuleID}
			by[f.RuleID] = c
			counts = append(counts, c)
		}
		c.n++
		if f.Severity > c.sev {
			c.sev = f.Severity
		}
	}
	if len(counts) == 0 {
		return ""
	}
	sort.SliceStable(counts, func(i, j int) bool { return counts[i].sev > counts[j].sev })
	parts := make([]string, 0, len(counts))
	total := 0
	for _, c := range counts {
		total += c.n
		s := fmt.Sprintf("%s (%s)", c.rule, c.sev)
		if c.n > 1 {
			s = fmt.Sprintf("%s ×%d (%s)", c.rule, c.n, c.sev)
		}
		parts = append(parts, s)
	}
	noun := "finding"
	if total > 1 {
		noun = "findings"
	}
	return fmt.Sprintf("%d %s at warning or above: %s", total, noun, strings.Join(parts, ", "))
}

// unexplainedFailure describes the first failure in the trace no rule
// explained (the caller checked there is no finding at warning or above):
// a token request without an answer, a refused token request, a failed
// callback, an interactive authorize answered with an error.
func unexplainedFailure(a *Analysis) string {
	reqs := allTokenRequests(a)
	for i, r := range reqs {
		if pollPending(r) {
			if pollAnswered(reqs[i+1:], r) {
				continue
			}
			for _, o := range reqs[i+1:] {
				if o.Request.ClientID() == r.Request.ClientID() && o.Request.GrantType() == r.Request.GrantType() {
					r = o
				}
			}
			return fmt.Sprintf("%s was still waiting for the user to approve the sign-in when the trace ends (%s at %s, the last poll of the client): the outcome is not in the trace",
				model.ProviderName(r.Request.Provider()), errorText(r.Response), r.Request.Ref)
		}
		if r.Response == nil {
			what := "token request"
			if r.Request.GrantType() == "refresh_token" {
				what = "refresh token request"
			}
			why := "the trace ends or the connection was lost before the answer"
			if r.Request.Failure() != "" {
				why = "the client recorded " + fmt.Sprintf("%q", r.Request.Failure())
			}
			return fmt.Sprintf("the %s at %s has no response in the trace (%s), so whether %s issued tokens is unknown",
				what, r.Request.Ref, why, model.ProviderName(r.Request.Provider()))
		}
		if r.Failed() {
			code := errorText(r.Response)
			// A code the catalog knows by itself (a wrong password, a
			// disabled account) is its own explanation, even if no rule
			// turns it into a finding.
			if r.Response.Err != nil {
				if info, ok := catalog.Classify(r.Response.Err, r.Response.Provider().Family); ok && info.Code != "" && info.Class != catalog.ClassGenericGrant {
					return fmt.Sprintf("%s refused the token request at %s (%s): %s; see traceaudit explain %s",
						model.ProviderName(r.Request.Provider()), r.Request.Ref, code, info.Meaning, info.Code)
				} else if ok && info.Class == catalog.ClassGrantType {
					// unauthorized_client: the client's registration, which
					// no rule reads, is the explanation.
					return fmt.Sprintf("%s refused the token request at %s (%s): %s; %s",
						model.ProviderName(r.Request.Provider()), r.Request.Ref, code, info.Meaning, lowerFirst(info.Remediation))
				}
			}
			if r.Response.Err != nil && r.Response.Err.Error == "expired_token" && pollGrant(r.Request.GrantType()) {
				// RFC 8628 §3.5 (and CIBA), where the provider's own code
				// says no more: the device code expired while the client
				// polled; the user did not approve in time.
				return fmt.Sprintf("%s refused the token request at %s (%s): the device code expired before the user approved the sign-in on the verification page; the device client must start a new device authorization",
					model.ProviderName(r.Request.Provider()), r.Request.Ref, code)
			}
			if why := scopeBeyondGrant(a, r); why != "" {
				return fmt.Sprintf("%s refused the refresh at %s (%s%s): %s",
					model.ProviderName(r.Request.Provider()), r.Request.Ref, code, saysSuffix(r.Response), why)
			}
			if lookup := unlistedCode(r.Response.Err); lookup != "" {
				return fmt.Sprintf("%s refused the token request at %s (%s%s); %s; check the provider's logs with its trace and correlation ids",
					model.ProviderName(r.Request.Provider()), r.Request.Ref, code, saysSuffix(r.Response), lookup)
			}
			return fmt.Sprintf("%s refused the token request at %s (%s) and the trace cannot explain why; check the provider's logs with its trace and correlation ids",
				model.ProviderName(r.Request.Provider()), r.Request.Ref, code)
		}
	}
	for _, t := range a.Transactions {
		for _, cb := range t.Callbacks() {
			if cb.Err != nil {
				// The callback brought the provider's error: the app's
				// error page follows from it, the error says why.
				continue
			}
			if failed, how := callbackFailed(a, cb); failed {
				s := fmt.Sprintf("the app refused the callback at %s (%s) and the trace cannot tell why", cb.Ref, how)
				hint := authJSChecksCameBack(a, t, cb)
				if hint == "" {
					hint = refusalHint(cb.Refusal())
				}
				if hint != "" {
					s += "; " + hint
				}
				if !cb.Code.IsZero() && !redeemedInTrace(a, cb.Code) {
					s += "; no redemption of its code is in the trace (the app refused it first, or redeemed it server-side out of sight): add the app server's capture (scan --case with both traces) or its log"
				}
				return s
			}
		}
		if t.Interactive() && len(t.Issued()) == 0 && (len(t.Errors()) > 0 || refusedBack(t) != nil) {
			e := refusedBack(t)
			if len(t.Errors()) > 0 {
				e = t.Errors()[0]
			}
			if s := knownRefusal(e); s != "" {
				return s
			}
			if len(t.Errors()) == 0 {
				// Only the callback shows the provider's answer.
				return fmt.Sprintf("%s sent the sign-in started at %s back to the app at %s with %s, no code, and no rule explains it%s",
					model.ProviderName(t.Authorize.Provider()), t.Authorize.Ref, e.Ref, errorText(e), explainSuffix(e))
			}
			return fmt.Sprintf("%s answered the sign-in at %s with %s and no rule explains it%s",
				model.ProviderName(e.Provider()), e.Ref, errorText(e), explainSuffix(e))
		}
	}
	return ""
}

// refusedBack is the first callback of a sign-in that brought the
// provider's error and no code, nil when none did: the provider's refusal
// when its own answer is not in the trace (oidc-provider answers a denied
// interaction from /auth/{uid}, not the authorize request's path).
func refusedBack(t *Transaction) *model.Event {
	for _, cb := range t.Callbacks() {
		if cb.Err != nil && cb.Code.IsZero() {
			return cb
		}
	}
	return nil
}

// cutBeforeRedemption reports a trace that ends early (a truncated HAR, a
// damaged capture) after a code reached the app and before any redemption
// of it: the trace stops where the sign-in would have been decided, so a
// callback that looked accepted proves nothing.
func cutBeforeRedemption(a *Analysis) string {
	cut := cutShort(a)
	if cut == "" {
		return ""
	}
	for _, t := range a.Transactions {
		if len(t.Redemptions()) > 0 {
			continue
		}
		if len(t.Callbacks()) > 0 {
			return fmt.Sprintf("the trace is cut short (%s) before the redemption: the code reached the app at %s and no token request follows", cut, t.Callbacks()[len(t.Callbacks())-1].Ref)
		}
		if len(t.Issued()) > 0 {
			return fmt.Sprintf("the trace is cut short (%s) before the redemption: the code issued at %s is neither delivered nor redeemed", cut, t.Issued()[len(t.Issued())-1].Ref)
		}
	}
	return ""
}

// cutShort names the first note saying the trace ends early, or "".
func cutShort(a *Analysis) string {
	for _, n := range a.Notes {
		switch n.Kind {
		case model.NoteTruncated, model.NoteDamaged, model.NoteTLSTruncated, model.NoteBadEntry:
			return string(n.Kind)
		}
	}
	return ""
}

func errorText(e *model.Event) string {
	if e == nil || e.Err == nil {
		if e != nil && e.Status > 0 {
			return fmt.Sprintf("HTTP %d", e.Status)
		}
		return "an error"
	}
	code := catalog.PrimaryCode(e.Err)
	switch {
	case code != "" && e.Err.Error != "" && code != e.Err.Error:
		return code + " " + e.Err.Error
	case code != "":
		return code
	case e.Err.Error != "":
		return e.Err.Error
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}

// refusalHint says where the cause of a callback refusal is when the app's
// library names none to the browser: Auth.js's error=OAuthCallback and
// Spring Security's /login?error, and an app whose own redemption failed.
func refusalHint(r *model.AppRefusal) string {
	if r == nil {
		return ""
	}
	switch {
	case r.Cause == model.RefusalRedemption && r.Words == "[invalid_id_token]":
		return fmt.Sprintf("%s says it refused the ID token of its own redemption (%q): the provider issued it, and the app's validation rejected its signature, issuer, audience or times: compare the app's issuer-uri and jwk-set-uri with the provider's discovery document, and the app server's clock with the provider's (its log names the claim)", r.Library, r.Words)
	case r.Cause == model.RefusalRedemption:
		return fmt.Sprintf("%s says its own redemption of the code failed (%q): the provider's answer to it is in the app's log or the app server's capture", r.Library, r.Words)
	case r.Cause == model.RefusalRegistration:
		return fmt.Sprintf("%s says (%q) that it found the sign-in's saved authorization request but no client registration with the registration id it names: the instance that received the callback runs other spring.security.oauth2.client.registration.* settings than the one that started the sign-in (a rolling deployment, another profile, instances sharing a session store but not their configuration), or the registration was renamed or removed in between; give every instance the same registrations and have the user sign in again", r.Library, r.Words)
	case r.Cause != model.RefusalUnknown:
		return ""
	case strings.HasPrefix(r.Library, "Auth.js"):
		return "Auth.js names the cause only in its server log (OAUTH_CALLBACK_ERROR, InvalidCheck): most often \"State cookie was missing.\" or \"PKCE code_verifier cookie was missing.\" (the cookies it set at the sign-in's start did not come back: AUTH_URL or NEXTAUTH_URL not the URL users browse, another AUTH_SECRET on another instance, a second sign-in in another tab), otherwise the provider's answer to its token request"
	case strings.HasPrefix(r.Library, "django-allauth"):
		return "django-allauth names the cause only to its adapter (SocialAccountAdapter.on_authentication_error: the AuthError and the exception) and its log: most often a state it cannot find in the session (PermissionDenied: the session cookie did not come back with the callback, another instance without a shared session store, the callback loaded again after it completed), otherwise the provider's error or the provider's answer to its own token request (a wrong client secret, a callback URL that does not match the app's settings); log them in on_authentication_error to see which"
	case strings.HasPrefix(r.Library, "social-auth") && r.Words == "Your credentials aren't allowed":
		return "social-auth-app-django says \"Your credentials aren't allowed\" (social-core's AuthForbidden): it raises it when the provider answers one of the app's own requests with HTTP 401 (the token request of a client whose secret the provider refuses: invalid_client) or when the app's allow-list (SOCIAL_AUTH_<BACKEND>_WHITELISTED_DOMAINS or _EMAILS) refuses the user, and the browser's trace does not show which: the app's log (the social logger) or the app server's capture does"
	case strings.HasPrefix(r.Library, "Flask"):
		return "Flask's plain 500 page names no cause: the exception is in the app's log (with Authlib: MismatchingStateError when the session that held the sign-in's state did not come back or the callback was handled before, OAuthError naming the provider's answer to the app's token request, such as invalid_client); log the exception (an errorhandler for authlib.integrations.base_client.errors.OAuthError, or app.logger) to see which, rather than turning on debug mode, whose debugger runs code for anyone who has its PIN"
	case strings.HasPrefix(r.Library, "Spring Security"):
		return "Spring Security's failure redirect names no cause; most often it is authorization_request_not_found (the session that saved the authorization request did not come back: another instance without a shared session store, a session cookie not sent on the provider's redirect, the back button or a second tab), which its log and the message of the /login?error page give"
	}
	return ""
}

// knownRefusal explains an authorize error whose code the catalog knows by
// itself, as the verdict explains such a refused token request: what it
// means, what to do, and the id the provider's logs file it under (AD FS's
// MSIS9605 on a client without permission on the resource, with its
// Activity ID). "" for errors known by their name or words only, or not
// at all.
func knownRefusal(e *model.Event) string {
	if e.Err == nil {
		return ""
	}
	info, ok := catalog.Classify(e.Err, e.Provider().Family)
	if !ok || info.Code == "" || info.Class == catalog.ClassGenericGrant || info.Class == catalog.ClassWrapper {
		return ""
	}
	name := model.ProviderName(e.Provider())
	s := fmt.Sprintf("%s answered the sign-in at %s with %s: %s; %s", name, e.Ref, errorText(e),
		info.Meaning, strings.TrimSuffix(lowerFirst(info.Remediation), "."))
	if id := e.Err.TraceID; id != "" {
		s += fmt.Sprintf("; %s's logs file the request under trace id %s", name, id)
	}
	return s + " (traceaudit explain " + info.Code + ")"
}

// explainSuffix points to `traceaudit explain` for an error it explains;
// for one it does not, it quotes the provider's own description instead.
func explainSuffix(e *model.Event) string {
	// A description the catalog knows by a provider's own words says more
	// than the bare error name's explanation (Okta's invalid_scope names
	// the authorization server's scopes).
	if e.Err != nil && e.Err.Description != "" && catalog.PrimaryCode(e.Err) == "" {
		if info, ok := catalog.Classify(e.Err, e.Provider().Family); ok && info.Code == "" && info.Match != "" {
			return fmt.Sprintf(" (the provider says %q): %s; %s", shortDescription(e.Err.Description), info.Meaning, lowerFirst(info.Remediation))
		}
	}
	key := explainKey(e)
	if key != "RULE" && explainable(key) {
		return fmt.Sprintf("; see the error's explanation (traceaudit explain %s)", key)
	}
	lookup := unlistedCode(e.Err)
	if e.Err != nil && e.Err.Description != "" {
		s := fmt.Sprintf(" (the provider says %q)", shortDescription(e.Err.Description))
		// A description the catalog knows by its words (no code, an error
		// name explain does not know) is explained here.
		if info, ok := catalog.Classify(e.Err, e.Provider().Family); ok && info.Code == "" && info.Match != "" {
			s += ": " + info.Meaning + "; " + lowerFirst(info.Remediation)
		}
		if lookup != "" {
			s += "; " + lookup
		}
		return s
	}
	if lookup != "" {
		return " (" + lookup + ")"
	}
	if e.Err != nil && e.Err.Error == "access_denied" && e.Provider().Family == model.FamilyDjangoOAuthToolkit {
		// oauth2_provider's AuthorizationView sends it, bare, for one
		// reason only: its consent form came back without "allow".
		return " (access_denied without a description: django-oauth-toolkit sends it only when its consent page's form comes back without its allow field: the user pressed Cancel; nothing is broken if the user meant to refuse: sign in again and press Authorize. To skip the page for an application the site trusts: the application's Skip authorization in the Django admin, or REQUEST_APPROVAL_PROMPT \"auto\" in the site's OAUTH2_PROVIDER settings to ask once per user and scope)"
	}
	if e.Err != nil && e.Err.Error == "access_denied" {
		// Google and Keycloak send it bare when the user declines.
		return " (access_denied without a description: the user declined the consent or cancelled the sign-in, or a policy of the provider denied it; the provider's sign-in logs tell which)"
	}
	return ""
}

// lowerFirst is s with its first letter in lower case when it is ASCII,
// to continue a sentence with it.
func lowerFirst(s string) string {
	if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}

// explainable reports the keys `traceaudit explain` finds in the catalog:
// a code, or an error name or text the catalog classifies (the lookup
// ExplainError makes; this file may not call it).
func explainable(key string) bool {
	if _, ok := catalog.LookupCode(key); ok {
		return true
	}
	name := strings.ToLower(key)
	_, ok := catalog.Classify(&model.ProviderError{Error: name, Description: name}, "")
	return ok
}

func explainKey(e *model.Event) string {
	if e.Err == nil {
		return "RULE"
	}
	if c := catalog.PrimaryCode(e.Err); c != "" {
		return c
	}
	if e.Err.Error != "" {
		return e.Err.Error
	}
	return "RULE"
}

// nativeLoopback reports a callback a native app's loopback listener
// answered with a page (RFC 8252 §7.3: http://localhost:PORT or
// 127.0.0.1, at its root): such a listener (kubelogin, cloud CLIs)
// answers the browser before it redeems the code, so its page proves no
// sign-in completed.
func nativeLoopback(a *Analysis, cb *model.Event) bool {
	if !isLoopback(cb.RedirectURI()) {
		return false
	}
	u, err := url.Parse(cb.RedirectURI())
	if err != nil || u.Path != "" && u.Path != "/" {
		return false
	}
	ex := a.Exchange(cb)
	return ex != nil && ex.Status() >= 200 && ex.Status() < 300
}

// strayLinksOnly is the first event's ref when every event of the trace is
// a callback that nothing ties to OAuth (see oauthDelivered), "" otherwise.
func strayLinksOnly(a *Analysis) string {
	first := ""
	for ev := range a.events() {
		if ev.Kind != model.Callback || ev.Code.IsZero() {
			return ""
		}
		if c := a.trailOf(ev.Code); c == nil || oauthDelivered(a, c) {
			return ""
		}
		if first == "" {
			first = ev.Ref
		}
	}
	return first
}

// completed describes the completed sign-ins, or "" when there is none: a
// code redeemed for tokens, a code the app's callback accepted (the
// redemption happened server-side, out of this trace), or tokens from a
// refresh or another grant.
func completed(a *Analysis) string {
	var redeemed, delivered, refreshed, other int
	var first string
	for _, t := range a.Transactions {
		done := false
		for _, r := range t.Redemptions() {
			if !r.Succeeded() {
				continue
			}
			redeemed++
			done = true
			if first == "" {
				first = "tokens issued at " + r.Response.Ref
				if d, _, ok := Elapsed(t.Authorize, r.Response); ok {
					first = fmt.Sprintf("tokens issued %s after authorize", humanSeconds(d.Seconds()))
				}
			}
			break
		}
		if done {
			continue
		}
		for _, cb := range t.Callbacks() {
			if cb.Code.IsZero() || cb.Err != nil {
				continue
			}
			if c := a.trailOf(cb.Code); c == nil || !oauthDelivered(a, c) {
				continue // a link with code= and state=, not a sign-in's callback
			}
			if failed, _ := callbackFailed(a, cb); failed {
				continue
			}
			if ex := a.Exchange(cb); ex == nil || !ex.Responded || ex.Status() == 0 {
				continue
			}
			if nativeLoopback(a, cb) {
				continue // whyNoSignIn says why its answer proves nothing
			}
			delivered++
			if first == "" {
				first = fmt.Sprintf("the app's callback at %s accepted the code (redeemed server-side, outside this trace)", cb.Ref)
			}
			break
		}
	}
	for _, r := range a.Refreshes {
		if r.Succeeded() {
			refreshed++
		}
	}
	for _, r := range a.OtherGrants {
		if r.Succeeded() {
			other++
		}
	}
	n := redeemed + delivered
	if n == 0 && refreshed == 0 && other == 0 {
		return ""
	}
	var parts []string
	if n > 0 {
		s := "1 sign-in completed"
		if n > 1 {
			s = fmt.Sprintf("%d sign-ins completed", n)
		}
		if first != "" {
			s += ", " + first
		}
		parts = append(parts, s)
	}
	if refreshed > 0 {
		parts = append(parts, plural(refreshed, "token refresh", "token refreshes")+" answered with tokens")
	}
	if other > 0 {
		parts = append(parts, plural(other, "token request of another grant", "token requests of other grants")+" answered with tokens")
	}
	return strings.Join(parts, "; ")
}

func humanSeconds(s float64) string {
	if s < 10 {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%.0f s", s)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// whyNoSignIn says why a trace without findings shows no complete sign-in,
// most actionable reason first: keys to pass, a capture to redo, what the
// trace ends on.
func whyNoSignIn(a *Analysis) string {
	var tlsHosts, tunnelHosts []string
	tls, tunnels := 0, 0
	truncated := cutShort(a)
	for _, n := range a.Notes {
		switch n.Kind {
		case model.NoteTLSNoKeys:
			tls++
			tlsHosts = appendHost(tlsHosts, n.Host)
		case model.NoteTLSNotDecrypted:
			tunnels++
			tunnelHosts = appendHost(tunnelHosts, n.Host)
		}
	}
	switch {
	case tls > 0:
		return fmt.Sprintf("%s%s not decrypted; pass --keylog FILE (the SSLKEYLOGFILE the client wrote)",
			plural(tls, "TLS connection", "TLS connections"), hostList(tlsHosts))
	case tunnels > 0:
		return fmt.Sprintf("%s%s not decrypted by Fiddler; enable HTTPS decryption and capture again",
			plural(tunnels, "HTTPS tunnel", "HTTPS tunnels"), hostList(tunnelHosts))
	case len(a.Placeholders) > 0:
		return fmt.Sprintf("%s carry a sanitizer's placeholder instead of the code or state, so the sign-in cannot be followed; scan the original capture",
			plural(len(a.Placeholders), "OAuth message", "OAuth messages"))
	}
	if a.eventCount() == 0 {
		if len(a.Kept) == 0 {
			return "no HTTP exchange could be read from the trace"
		}
		return fmt.Sprintf("no OAuth traffic in %s (no authorize, callback or token request)", plural(len(a.Kept), "exchange", "exchanges"))
	}
	if ref := strayLinksOnly(a); ref != "" {
		return fmt.Sprintf("no OAuth sign-in in %s: the only URLs with code and state parameters (first at %s) are tied to no authorize request, provider answer or token request, so they may be any link (an e-mail verification, an app's own page)",
			plural(len(a.Kept), "exchange", "exchanges"), ref)
	}
	// The last step the trace shows, to say where it stops.
	end := ""
	for _, t := range a.Transactions {
		switch {
		case len(t.Errors()) > 0 && len(t.Issued()) == 0:
			// The provider answered with an error (a silent sign-in's
			// login_required, a denied consent): no code to follow.
			e := t.Errors()[0]
			end = fmt.Sprintf("%s answered the sign-in at %s with %s and no sign-in after it completed%s",
				model.ProviderName(e.Provider()), e.Ref, errorText(e), explainSuffix(e))
		case len(t.Callbacks()) > 0 && nativeLoopback(a, t.Callbacks()[len(t.Callbacks())-1]):
			cb := t.Callbacks()[len(t.Callbacks())-1]
			end = fmt.Sprintf("the code reached a native app's loopback listener at %s (%s), which answers the browser before it redeems the code (kubelogin, for one, shows \"Authenticated\" whether or not its redemption then succeeds): the redemption is not in the trace; capture the loopback interface and the app's traffic to the provider (tcpdump -i lo plus the provider's port, or -i any), or read the app's own output (kubelogin: -v1)",
				secret.RedactURL(cb.RedirectURI()), cb.Ref)
		case len(t.Callbacks()) > 0:
			end = fmt.Sprintf("the code reached the app at %s but its redemption is not in the trace", t.Callbacks()[len(t.Callbacks())-1].Ref)
		case len(t.Issued()) > 0:
			end = fmt.Sprintf("the code issued at %s is neither delivered nor redeemed in the trace", t.Issued()[len(t.Issued())-1].Ref)
		case t.Authorize != nil && messageRedirect(t.Authorize.RedirectURI()):
			end = fmt.Sprintf("the sign-in started at %s hands its code to the page by postMessage (redirect_uri %q), never in a URL, so the trace cannot show it; look at the app's own request that sends the code to its server",
				t.Authorize.Ref, secret.RedactURL(t.Authorize.RedirectURI()))
		case t.Authorize != nil:
			end = fmt.Sprintf("the sign-in started at %s but the trace shows no code", t.Authorize.Ref)
		}
	}
	if truncated != "" && end != "" {
		return "the trace is cut short (" + truncated + ") before the redemption: " + end
	}
	if end != "" {
		return end
	}
	if len(a.APICalls) > 0 {
		return fmt.Sprintf("no sign-in in the trace, only %s presenting a token", plural(len(a.APICalls), "API call", "API calls"))
	}
	return "no complete sign-in in the trace (no code redeemed and no tokens issued)"
}

func appendHost(hosts []string, h string) []string {
	if h == "" {
		return hosts
	}
	for _, x := range hosts {
		if x == h {
			return hosts
		}
	}
	return append(hosts, h)
}

// hostList is " to a, b and 2 more", sorted so the sentence is stable.
func hostList(hosts []string) string {
	if len(hosts) == 0 {
		return ""
	}
	hs := append([]string(nil), hosts...)
	sort.Strings(hs)
	const max = 3
	s := " to " + strings.Join(hs[:min(len(hs), max)], ", ")
	if len(hs) > max {
		s += fmt.Sprintf(" and %d more", len(hs)-max)
	}
	return s
}

// pollAnswered reports whether a later poll of the same client and grant
// got a final answer (tokens or a refusal other than "keep polling").
func pollAnswered(later []*Redemption, r *Redemption) bool {
	for _, o := range later {
		if o.Request.ClientID() == r.Request.ClientID() && o.Request.GrantType() == r.Request.GrantType() &&
			o.Response != nil && !pollPending(o) {
			return true
		}
	}
	return false
}

// redeemedInTrace reports whether the trace holds a token request for code.
func redeemedInTrace(a *Analysis, code secret.Secret) bool {
	for _, c := range a.Codes {
		if c.Code.Equal(code) {
			return len(c.Redemptions) > 0
		}
	}
	return false
}

// saysSuffix quotes an error's description: ", the provider says …".
// unlistedCode says where Microsoft explains the primary code of pe when
// the catalog does not list it (Microsoft adds codes every month), "" for
// any other error.
func unlistedCode(pe *model.ProviderError) string {
	c := catalog.PrimaryCode(pe)
	if c == "" {
		return ""
	}
	if _, listed := catalog.LookupCode(c); listed {
		return ""
	}
	if _, where, ok := catalog.CodeReference(c); ok {
		return fmt.Sprintf("%s is not in traceaudit's catalog: %s", c, where)
	}
	return ""
}

func saysSuffix(e *model.Event) string {
	if e == nil || e.Err == nil || e.Err.Description == "" {
		return ""
	}
	return fmt.Sprintf(", the provider says %q", shortDescription(e.Err.Description))
}

// scopeBeyondGrant explains a refresh refused with invalid_scope that asked
// for scopes the token answer which issued its refresh token had not
// granted (RFC 6749 section 6: a refresh may ask for no scope beyond the
// original grant). "" when the trace does not show that answer or its
// scope. MSAL.js asks openid, profile and offline_access on every request,
// so a provider that dropped one of them from the grant refuses its
// refreshes so.
func scopeBeyondGrant(a *Analysis, r *Redemption) string {
	if r.Request.GrantType() != "refresh_token" || r.Response == nil || r.Response.Err == nil ||
		r.Response.Err.Error != "invalid_scope" || r.Request.RefreshToken().IsZero() || r.Request.Scope() == "" {
		return ""
	}
	for _, o := range allTokenRequests(a) {
		resp := o.Response
		if resp == nil || !o.Succeeded() || resp.Exchange >= r.Request.Exchange || !resp.RefreshToken().Equal(r.Request.RefreshToken()) || resp.Scope() == "" {
			continue
		}
		granted := strings.Fields(resp.Scope())
		var beyond []string
		for _, sc := range strings.Fields(r.Request.Scope()) {
			if !slices.Contains(granted, sc) {
				beyond = append(beyond, sc)
			}
		}
		if len(beyond) == 0 {
			return ""
		}
		s := fmt.Sprintf("it asked for %q, and the token answer at %s that issued this refresh token had granted %q, without %s; a refresh may not ask for more than the grant (RFC 6749 section 6)",
			r.Request.Scope(), resp.Ref, resp.Scope(), strings.Join(beyond, " "))
		if lib := r.Request.Library(); strings.HasPrefix(lib, "MSAL.js") {
			s += fmt.Sprintf("; %s adds openid, profile and offline_access to every request, so a provider that leaves offline_access out of the grant (one that keeps it only with prompt=consent, as node oidc-provider does) refuses its refreshes: have the provider grant offline_access to the app, or sign in with prompt=consent", lib)
		}
		return s
	}
	return ""
}

// signOutReached says how far the trace's sign-out went, "" when the trace
// holds none: a verdict on a trace with a sign-out speaks of it, not of the
// sign-in alone. The last step a sign-out reached tells (a front-channel
// logout is the provider's echo of one, named only when it is all there
// is).
func signOutReached(a *Analysis) string {
	var steps []*model.Event
	done := 0
	for _, ev := range a.signOutEvents() {
		if ev.Kind == model.LogoutReturn && ev.Err == nil {
			done++
		}
		if ev.Kind != model.FrontChannelLogout {
			steps = append(steps, ev)
		}
	}
	if len(steps) == 0 {
		for _, ev := range a.signOutEvents() {
			return fmt.Sprintf("a front-channel logout reached the app at %s (%s)", ev.Ref, statusText(ev))
		}
		return ""
	}
	last := steps[len(steps)-1]
	name := model.ProviderName(last.Provider())
	switch last.Kind {
	case model.LogoutReturn:
		if last.Err != nil {
			return fmt.Sprintf("the sign-out came back from %s at %s with %s", name, last.Ref, errorText(last))
		}
		where := "back to " + secret.RedactURL(last.RedirectURI())
		if sameHost(last.RedirectURI(), last.Endpoint()) {
			where = "to its own page " + secret.RedactURL(last.RedirectURI())
		}
		s := plural(done, "sign-out", "sign-outs") + " completed: "
		if done > 1 {
			s += "the last, "
		}
		return s + fmt.Sprintf("%s signed the user out and sent the browser %s at %s", name, where, last.Ref)
	case model.LogoutRequest:
		switch so := last.SignOut(); {
		case last.Err != nil:
			return fmt.Sprintf("the sign-out at %s was refused by %s (%s)", last.Ref, name, errorText(last))
		case so.Page && so.PageTitle != "":
			return fmt.Sprintf("the sign-out reached %s's end-session endpoint at %s, which answered with its page %q; the trace ends before the way back to the app", name, last.Ref, so.PageTitle)
		}
		return fmt.Sprintf("the sign-out reached %s's end-session endpoint at %s (%s); the trace ends before the way back to the app", name, last.Ref, statusText(last))
	case model.Revocation:
		if last.Provider().Family == model.FamilyGoogle {
			return fmt.Sprintf("the sign-out revoked the token at %s (%s), as Google signs out", last.Ref, statusText(last))
		}
		return fmt.Sprintf("the sign-out revoked a token at %s (%s) and no end-session request follows", last.Ref, statusText(last))
	case model.AppLogout:
		if to := last.SignOut().To; to != "" {
			return fmt.Sprintf("the app's sign-out at %s sent the browser to %s and no request to the provider's end-session endpoint follows", last.Ref, secret.RedactURL(to))
		}
		return fmt.Sprintf("the app's sign-out at %s answered %s and no request to the provider's end-session endpoint follows", last.Ref, statusText(last))
	}
	return ""
}

// signOutDone reports a trace whose last sign-out the provider completed:
// its redirect after signing the user out, without an error.
func signOutDone(a *Analysis) bool {
	var last *model.Event
	for _, ev := range a.signOutEvents() {
		if ev.Kind != model.FrontChannelLogout {
			last = ev
		}
	}
	return last != nil && last.Kind == model.LogoutReturn && last.Err == nil
}

// statusText is a step's answer as a verdict names it.
func statusText(ev *model.Event) string {
	switch {
	case ev.Status > 0:
		return fmt.Sprintf("HTTP %d", ev.Status)
	case ev.Failure() != "":
		return fmt.Sprintf("failed: %q", ev.Failure())
	}
	return "no answer in the trace"
}
