package rules

import (
	"fmt"
	"sort"
	"strings"
	"time"

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
(data protection keys, session store).

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
	// Callbacks whose state matches no sign-in, that failed. The states
	// are gathered only when there are such callbacks (a capture of 65,000
	// authorize requests has none).
	haveAuthz, orphans := false, false
	for _, t := range p.Transactions {
		if t.Authorize != nil {
			haveAuthz = true
		} else if len(t.Callbacks()) > 0 {
			orphans = true
		}
	}
	if haveAuthz && orphans {
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
		if !failed {
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
		why := "the cookie was lost (overwritten by another tab's sign-in, set for another host or path, or dropped by a proxy)"
		c := missing[0]
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
		default:
			if d, _, ok := Elapsed(t.Authorize, cb); ok && d > 15*time.Minute {
				why = fmt.Sprintf("the sign-in took %s, longer than such correlation cookies usually live (ASP.NET Core: 15 minutes)", fmtDuration(d))
			}
		}
		startEv := p.ExchangeEvidence(start, "sign-in started; transient cookies set")
		evs := []Evidence{startEv, p.Evidence(t.Authorize, "authorize request")}
		cbEv := p.Evidence(cb, "callback without the cookie")
		evs = append(evs, p.CodeStory(cb.Code, append(evs, cbEv))...)
		evs = append(evs, cbEv)
		lib := t.Library()
		if lib == "" {
			var setNames []string
			for _, c := range missing {
				setNames = append(setNames, c.name)
			}
			lib = oauth.LibraryOfCookies(setNames)
		}
		if note := raceLibraryNote(lib); note != "" && !strings.HasPrefix(note, "MSAL") {
			why += "; " + note
		}
		p.Report(Finding{Code: cb.Code,
			Message: fmt.Sprintf("the app refused the callback at %s (%s): the request lacks the cookie(s) %s that the app set when starting the sign-in at %s; %s",
				cb.Ref, how, strings.Join(names, ", "), start.Ref, why),
			Evidence:    evs,
			Remediation: "Set transient state/nonce/correlation cookies with SameSite=None; Secure when the callback is a cross-site form_post (or use response_mode=query), key them per transaction, and restart sign-in once on a mismatch."})
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
