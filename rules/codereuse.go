package rules

import (
	"fmt"
	"strings"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// CodeReuse: one authorization code delivered to the app or redeemed more
// than once, or a provider's "already redeemed" answer.
var CodeReuse = &Rule{
	ID:       "code-reuse",
	Title:    "authorization code delivered or redeemed more than once",
	Severity: Error,
	Doc: `Detects an authorization code that reached the token endpoint more than once, a
callback URL carrying the same code that the browser requested more than once
(reload, back button, prefetch, a form_post page submitted twice), and token
responses in which the provider says the code was already used (Entra
AADSTS54005, Google "Code was already redeemed", Keycloak "Code ... already
used", AD FS MSIS9612 after an earlier redemption).

Codes are single-use (RFC 6749 §4.1.2): the first redemption wins and every
later one fails; Keycloak even revokes the tokens the first one obtained.

Evidence: the code's issuance, every delivery to the app (with the header
that marked a prefetch: Sec-Purpose, Purpose, X-Moz, Next-Router-Prefetch),
every redemption with its status, error code, trace and correlation ids, which
one won and the delay between them. The likely mechanism is named (and given as
a structured "mechanism" field), decided from the order of events rather than a
fixed delay: a second delivery after the first redemption was answered is a
reload, back button or restored tab; one before it is a duplicate navigation,
double form_post submit or two app instances; two redemptions inside one
callback request are two handlers (Microsoft.Identity.Web before 2.15.1
applying its options twice, middleware plus app code); a browser and a server
both redeeming, the browser app redeeming twice (React StrictMode), a retry;
a prefetch marked by its header. When the redemptions belong to two overlapping
sign-ins that crossed, the finding says so and shares multi-tab-race's
mechanism and remediation. When the app's next call with the winning token is
refused (401/403: the provider revoked the grant), the finding shows it.

Remediation: redeem each code exactly once per callback (one handler, no
client+server double exchange), ignore prefetch requests on the callback
route, clear transient PKCE/state cookies after success, never retry a token
POST that may have reached the provider (restart the sign-in instead), and
enable sticky sessions if the app keeps login state in memory.`,
	Run: runCodeReuse,
}

const reuseRemediation = "Codes are single-use. Make code redemption happen exactly once per callback (one handler, no client+server double exchange), ignore prefetch requests on the callback route, clear transient PKCE/state cookies after success, never retry a token POST that may have reached the provider — restart the sign-in instead; enable sticky sessions if the app keeps login state in memory."

func runCodeReuse(p *Pass) {
	for _, c := range p.Codes {
		if c.Code.IsZero() {
			continue
		}
		reusedAnswer := false
		for _, r := range c.Redemptions {
			if r.Class() == catalog.ClassCodeReused {
				reusedAnswer = true
			}
		}
		invalidAfterEarlier := false
		for i, r := range c.Redemptions {
			if i > 0 && r.Failed() && (r.Class() == catalog.ClassCodeInvalid || r.Class() == catalog.ClassGenericGrant) {
				invalidAfterEarlier = true
			}
		}
		if len(c.Redemptions)-authRetries(c.Redemptions)-unsentCount(p.Analysis, c.Redemptions) < 2 && (len(c.Deliveries) < 2 || !oauthDelivered(p.Analysis, c)) && !reusedAnswer {
			continue // a redemption retried with another client authentication is client-auth-failed's
		}
		reportReuse(p, c, reusedAnswer || invalidAfterEarlier)
	}
}

// unsentCount counts the redemptions a refused CORS preflight kept in the
// browser: the provider never saw them, so they are no use of the code.
func unsentCount(a *Analysis, rs []*Redemption) int {
	n := 0
	for _, r := range rs {
		if b, ok := CORSBlocked(a, r); ok && b.Unsent {
			n++
		}
	}
	return n
}

func reportReuse(p *Pass, c *CodeTrail, providerSaysReused bool) {
	f := Finding{Code: c.Code, Remediation: reuseRemediation}
	if c.Issued != nil {
		f.Evidence = append(f.Evidence, p.Evidence(c.Issued, "code issued ("+c.Issued.Delivery()+")"))
	}
	for i, d := range c.Deliveries {
		note := ordinal(i) + " delivery to the app"
		if d.Delivery() == "fragment" {
			note += " (in the URL's fragment)"
		}
		if d.Prefetch() != "" {
			note += " (prefetch: " + d.Prefetch() + ")"
		}
		f.Evidence = append(f.Evidence, p.Evidence(d, note))
	}
	var won *Redemption
	for _, r := range c.Redemptions {
		if r.Succeeded() {
			won = r
			break
		}
	}
	for i, r := range c.Redemptions {
		note := ordinal(i) + " redemption"
		switch {
		case r == won:
			note += " (won)"
		case r.Failed():
			note += " (lost)"
		case r.Response == nil:
			note += " (no response captured)"
		}
		f.Evidence = append(f.Evidence, p.RedemptionEvidence(r, note))
	}

	var msg strings.Builder
	n := len(c.Redemptions) - authRetries(c.Redemptions)
	switch {
	case n >= 2:
		fmt.Fprintf(&msg, "authorization code %s was redeemed %d times", c.Code, n)
		for i := 1; i < len(c.Redemptions); i++ {
			if prev, r := c.Redemptions[i-1], c.Redemptions[i]; authRetry(prev, r) {
				fmt.Fprintf(&msg, " (%s repeats the refused %s with %s: its client library's fallback, golang.org/x/oauth2's auto-detected auth style, not another use)",
					r.Request.Ref, prev.Request.Ref, authName(r.Request.ClientAuth()))
				break
			}
		}
		if won != nil {
			fmt.Fprintf(&msg, "; the redemption at %s won", won.Request.Ref)
		} else {
			msg.WriteString("; no redemption succeeded")
		}
		if d, basis, ok := Elapsed(c.Redemptions[0].Request, c.Redemptions[1].Request); ok {
			fmt.Fprintf(&msg, ", the second came %s after the first (%s)", fmtDuration(d), basis)
		}
		for _, r := range c.Redemptions[1:] {
			if r.Failed() {
				if code := p.RedemptionEvidence(r, "").ErrorCode; code != "" {
					fmt.Fprintf(&msg, "; %s was refused with %s", r.Request.Ref, code)
				}
				break
			}
		}
	case len(c.Deliveries) >= 2:
		fmt.Fprintf(&msg, "authorization code %s was delivered to the app %d times", c.Code, len(c.Deliveries))
		if d, basis, ok := Elapsed(c.Deliveries[0], c.Deliveries[1]); ok {
			fmt.Fprintf(&msg, " (second delivery %s after the first, %s)", fmtDuration(d), basis)
		}
		if n == 1 {
			fmt.Fprintf(&msg, "; one redemption is visible (%s)", c.Redemptions[0].Request.Ref)
		} else if n == 0 {
			msg.WriteString("; the redemptions are not in this trace (server-side)")
		}
	default:
		r := c.Redemptions[0]
		fmt.Fprintf(&msg, "%s answered that authorization code %s was already redeemed (%s), but only this redemption is in the trace: another component (a server-side handler, a second app instance, or a retry not captured) redeemed it first",
			model.ProviderName(r.Request.Provider()), c.Code, p.RedemptionEvidence(r, "").ErrorCode)
		f.Confidence = "medium"
	}
	if x := p.CrossingOf(c); x != nil {
		// One story per incident: the race explains this reuse.
		fmt.Fprintf(&msg, "; the redemptions belong to two overlapping sign-ins in one browser (#%d at %s and #%d at %s) that crossed, see multi-tab-race",
			x.A.ID, x.A.Authorize.Ref, x.B.ID, x.B.Authorize.Ref)
		f.Mechanism, f.Remediation, f.Confidence = x.Mechanism, x.Remediation(), x.Confidence
	} else if mech, words := p.ReuseStory(c); words != "" {
		msg.WriteString("; likely mechanism: " + words)
		f.Mechanism = mech
		if mech == MechProxyRetry {
			f.Remediation = "Do not let the proxy or load balancer retry the callback: it is not idempotent (nginx: leave non_idempotent out of proxy_next_upstream and set proxy_read_timeout above the callback's slowest answer; HAProxy: no retry-on condition that fires after the request was sent, such as response-timeout, for the callback route, and timeout server above its slowest answer; F5 and cloud load balancers: no retry or reselect on timeout for it). " + reuseRemediation
		}
	} else {
		f.Mechanism = mech
	}
	if won != nil {
		if lost := firstLost(c.Redemptions); lost != nil {
			if call := p.RefusedUse(won, lost); call != nil {
				fmt.Fprintf(&msg, "; what the user saw: the app's next call with the access token the winning redemption obtained (%s %s) was refused with HTTP %d, consistent with %s revoking the grant after the second redemption",
					call.Method(), call.Ref, call.Status, model.ProviderName(lost.Request.Provider()))
				f.Evidence = append(f.Evidence, p.Evidence(call, "API call with the winning token refused"))
			} else if lost.Request.Provider().Family == model.FamilyKeycloak {
				// Not visible in the trace, but what the user meets next.
				msg.WriteString("; Keycloak also revokes the tokens a code obtained when the code is used again, so the sign-in that won is ended too (its next refresh or API call fails)")
			}
		}
	}
	if n >= 2 {
		// What the user saw of a lost redemption: the app's own words on
		// the callback it failed.
		for _, d := range c.Deliveries {
			if d.Refusal() == nil {
				continue
			}
			if failed, how := callbackFailed(p.Analysis, d); failed && !strings.Contains(msg.String(), how) {
				fmt.Fprintf(&msg, "; the app answered the callback at %s with its error (%s)", d.Ref, how) // the delivery is evidence already
				break
			}
		}
	}
	f.Message = msg.String()
	if n < 2 && len(c.Deliveries) >= 2 && !providerSaysReused && !anyFailed(c.Redemptions) && !deliveryFailed(p, c.Deliveries[1:]) {
		// Delivered twice but nothing visibly broke: worth fixing, not an outage.
		f.Severity = Warning
	}
	if p.CrossingOf(c) == nil && len(c.Redemptions) == 0 && len(c.Deliveries) >= 2 && strings.Contains(f.Message, "the first callback had completed the sign-in and consumed its state") {
		// A browser's trace: the replay was refused for the state the
		// first callback consumed; the user was signed in.
		f.Severity, f.Confidence, f.Remediation = Warning, ConfidenceMedium, replayRefusedRemedy(c)
	}
	if p.CrossingOf(c) == nil && len(c.Redemptions) == 0 && strings.Contains(f.Message, "mod_auth_openidc answered it as the first") {
		f.Severity, f.Confidence = Info, ConfidenceMedium
		f.Remediation = "Nothing to fix: mod_auth_openidc recognises a callback of a sign-in its session already holds and sends the browser on without redeeming the code again. Users who reach the callback URL from a bookmark or their history should be sent to the app's own pages instead."
	}
	if p.CrossingOf(c) == nil && p.replayUnredeemed(c) {
		// The app side's own trace shows the code redeemed once: the
		// replay reached an app that had consumed the sign-in's state.
		f.Confidence = ConfidenceHigh
		if deliveryFailed(p, c.Deliveries[1:]) {
			f.Severity = Warning // an error page for a user already signed in
			f.Remediation = replayRefusedRemedy(c)
		} else {
			f.Severity = Info
			f.Remediation = "Nothing to fix: the app recognised the replayed callback and sent the browser on without redeeming the code again. Users who reach the callback URL from a bookmark or their history should be sent to the app's own pages instead."
		}
	}
	p.Report(f)
}

func deliveryFailed(p *Pass, ds []*model.Event) bool {
	for _, d := range ds {
		if failed, _ := callbackFailed(p.Analysis, d); failed {
			return true
		}
	}
	return false
}

// firstLost is the first refused redemption, or nil.
func firstLost(rs []*Redemption) *Redemption {
	for _, r := range rs {
		if r.Failed() {
			return r
		}
	}
	return nil
}

// replayRefusedRemedy is the advice for a callback loaded again after its
// sign-in completed and refused by the app without a second redemption:
// the user is signed in and saw an error page.
func replayRefusedRemedy(c *CodeTrail) string {
	lib := ""
	if c.Tx != nil {
		if lib = c.Tx.Library(); lib == "" {
			lib = c.Tx.refusingLibrary()
		}
	}
	if s := nodeAppReplayRemedy(lib); s != "" {
		return s
	}
	switch {
	case strings.HasPrefix(lib, "Authlib"):
		return "Nothing is broken but the page: Authlib removes the sign-in's state from the session (_state_{name}_{state}) when authorize_access_token handles the callback, so the same callback loaded again raises MismatchingStateError before any token request. Catch authlib.integrations.base_client.errors.MismatchingStateError (an OAuthError) in the callback view and redirect a user the session already holds into the app, anyone else to a fresh sign-in; and after a sign-in redirect to a clean URL, as the app does."
	case strings.HasPrefix(lib, "oauth2-proxy"):
		return "Nothing is broken but the page: oauth2-proxy clears its _oauth2_proxy_csrf cookie when it handles a callback and refuses the same callback again (403 \"Unable to find a valid CSRF token\"), and the first callback had already set the _oauth2_proxy session cookie. Keep users off /oauth2/callback (no bookmarks or links to it; the back button returns there after a sign-in); a custom error page (--custom-templates-dir) can send them to the app's start page."
	case strings.HasPrefix(lib, "mod_auth_openidc"):
		return "Nothing is broken but the page: mod_auth_openidc deletes the sign-in's mod_auth_openidc_state_ cookie when it handles the callback, so the same callback loaded again finds no state. Keep users off the OIDCRedirectURI (no bookmarks or links to it), and set OIDCDefaultURL so that such a callback lands on a page of the app instead of an error."
	}
	return "Nothing is broken but the page: the first callback signed the user in and consumed the sign-in's state, so the app refused the same callback loaded again. Treat a callback whose state was already consumed as \"already signed in\" (redirect into the app) instead of showing an error, and keep users off the callback URL (after processing it, redirect to a clean URL)."
}
