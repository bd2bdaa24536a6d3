package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/secret"
)

// Mechanism names how an incident came about, as a value that later steps
// (case-specific remediation, verdicts) can switch on; a finding's message
// says the same in words.
type Mechanism string

const (
	// MechPrefetch: a speculative prefetch of the callback URL used the code.
	MechPrefetch Mechanism = "prefetch"
	// MechFormPostResubmit: the form_post page was submitted twice before
	// the first redemption was answered.
	MechFormPostResubmit Mechanism = "form-post-resubmitted"
	// MechReload: the callback was loaded again after the first redemption
	// was answered (reload, back button, restored tab).
	MechReload Mechanism = "reload"
	// MechDuplicateNavigation: the callback was requested again before the
	// first redemption was answered (duplicate navigation, two app
	// instances, a service worker).
	MechDuplicateNavigation Mechanism = "duplicate-navigation"
	// MechProxyRetry: a proxy or load balancer in front of the app sent the
	// callback again (to another instance) while the first was unanswered.
	MechProxyRetry Mechanism = "proxy-retry"
	// MechDoubleHandler: two redemptions inside one callback request, or two
	// server handlers redeeming at once.
	MechDoubleHandler Mechanism = "double-handler"
	// MechBrowserAndServer: browser JavaScript and a server both redeemed.
	MechBrowserAndServer Mechanism = "browser-and-server"
	// MechBrowserTwice: the browser app redeemed one code twice (React
	// StrictMode, two listeners).
	MechBrowserTwice Mechanism = "browser-redeemed-twice"
	// MechRetry: the code was redeemed again after the first was answered.
	MechRetry Mechanism = "retry"
	// MechOutOfSight: the provider says the code was used, and no earlier
	// redemption is in the trace.
	MechOutOfSight Mechanism = "redeemed-out-of-sight"
	// MechMultiTab: overlapping sign-ins in one browser crossed their codes,
	// states or verifiers.
	MechMultiTab Mechanism = "multi-tab"
	// MechGrantReplaced: a second sign-in for the same client made the
	// provider revoke the first sign-in's outstanding code.
	MechGrantReplaced Mechanism = "grant-replaced"
	// MechSlowRedemption: the code was redeemed later than the provider
	// keeps it.
	MechSlowRedemption Mechanism = "slow-redemption"
	// MechShortLifetime: the app paused seconds before redeeming and the
	// provider's code lifetime is likely shorter than that.
	MechShortLifetime Mechanism = "short-lifetime"
	// MechCORSBlocked: browser JavaScript's cross-origin token request was
	// answered (or refused) in a way CORS kept from the page.
	MechCORSBlocked Mechanism = "cors-blocked"
	// MechInstanceWithoutSharedState: behind a proxy, the callback reached
	// another app instance than the one that started the sign-in, and that
	// instance could not read the sign-in state (its own data protection
	// keys, its own session store), so it refused the callback.
	MechInstanceWithoutSharedState Mechanism = "instance-without-shared-state"
	// MechIssuedEarlier: refused as expired far inside the provider's
	// lifetime: the code was issued earlier than the trace shows (a replayed
	// or bookmarked callback, a code of another session) or a clock is off.
	MechIssuedEarlier Mechanism = "issued-earlier"
)

// Crossing is the proof that two overlapping sign-ins for one client in one
// browser interfered. A started first; B started before A completed.
type Crossing struct {
	A, B       *Transaction
	Mechanism  Mechanism // MechMultiTab or MechGrantReplaced
	Why        string
	Confidence Confidence
	// Code is the code of the sign-in that broke.
	Code     secret.Secret
	Evidence []Evidence
	// Codes are the code trails the crossing explains: code-reuse reports
	// on them name the crossing instead of a mechanism of their own.
	Codes []*CodeTrail
	// ProviderCookie names the provider's own cookie the later sign-in
	// replaced (the provider refused the earlier one), "" when the app's
	// state crossed.
	ProviderCookie string
}

const raceRemediation = "Two sign-ins were started in parallel in one browser and shared one set of transient state. Key state/nonce/verifier storage per transaction (suffix by state), do not start a login from background or prefetch requests, and on state mismatch restart sign-in once instead of showing an error."

const grantReplacedRemediation = "A second sign-in for the same client in the same browser session made the provider revoke the first sign-in's outstanding code. Do not start a new sign-in while one is in flight (one interaction at a time per app, e.g. a lock in shared storage), key state/nonce/verifier per transaction, and when a redemption is refused restart the sign-in once: the session at the provider makes it silent. Confirm in the provider's logs (trace and correlation ids) that the code was revoked."

// Remediation is the advice for a crossing, shared by every finding that
// tells its story.
func (x *Crossing) Remediation() string {
	if x.Mechanism == MechGrantReplaced {
		return grantReplacedRemediation
	}
	if x.ProviderCookie != "" {
		s := "The provider, not the app, lost the first sign-in: it keeps one cookie per client in a browser (" + x.ProviderCookie + "), which the second sign-in replaced, so it refused the first at its own step, before the app could use its own state for it. Start one sign-in at a time per client (a lock in shared storage, or no sign-in started by a background or prefetch request), and when the callback brings this error start a fresh sign-in once instead of showing it: the provider's session makes it quick."
		if x.A != nil && x.A.Authorize != nil && x.A.Authorize.Provider().Family == model.FamilyHydra {
			s += " Ory Hydra names its login and consent CSRF cookies after the client (ory_hydra_login_csrf_…, ory_hydra_consent_csrf_…); accepting the login with remember: true lets the fresh sign-in skip the login page."
		}
		return s
	}
	return raceRemediation
}

// sameProviderCookie is the name of a cookie the provider set when it
// answered both sign-ins' authorize requests, and the ref of the answer
// that set it for the first: the provider's one slot for both.
func (a *Analysis) sameProviderCookie(x, y *Transaction) (name, ref string) {
	ex, ey := a.Exchange(x.Authorize), a.Exchange(y.Authorize)
	if ex == nil || ey == nil {
		return "", ""
	}
	later := map[string]bool{}
	for _, c := range ey.SetCookies() {
		later[c.Name] = true
	}
	for _, c := range ex.SetCookies() {
		if later[c.Name] {
			return c.Name, ex.Ref
		}
	}
	return "", ""
}

// Bounds on the sign-ins one sign-in is compared with, so that a trace of
// thousands of unfinished authorize requests stays linear: a browser races
// a handful of tabs, and a login transaction does not outlive an hour
// (providers expire them sooner).
const (
	maxRaceCandidates = 64
	maxRaceWindow     = time.Hour
)

// hasProof reports whether a sign-in has what a proof of crossing needs:
// a callback or a redemption.
func hasProof(t *Transaction) bool { return len(t.Callbacks())+len(t.Redemptions()) > 0 }

// completedAt is the source position at which a transaction's code came
// back to the app (its first callback), or -1.
func completedAt(t *Transaction) int {
	if len(t.Callbacks()) > 0 {
		return t.Callbacks()[0].Exchange
	}
	return -1
}

// findCrossings pairs the overlapping interactive sign-ins of each client
// and keeps those with proof that they crossed.
func (a *Analysis) findCrossings() {
	a.crossingOf = map[*CodeTrail]*Crossing{}
	// Sign-ins race only with others of the same client: group them, in
	// source order, so a trace of many clients costs no cross-client work.
	byClient := map[string][]*Transaction{}
	var clients []string
	for _, t := range a.Transactions {
		if !t.Interactive() {
			continue
		}
		id := t.Authorize.ClientID()
		if _, ok := byClient[id]; !ok {
			clients = append(clients, id)
		}
		byClient[id] = append(byClient[id], t)
	}
	var next []int
	for _, id := range clients {
		txs := byClient[id]
		// next[j] is the first sign-in from j on that holds a proof
		// (len(txs) when none): a sign-in without one can cross only one
		// that has one (see crossing), so it is compared only when one is
		// among its candidates. A capture of 65,000 authorize requests
		// and no callback then costs no pairs at all.
		next = slices.Grow(next[:0], len(txs)+1)[:len(txs)+1]
		next[len(txs)] = len(txs)
		for j := len(txs) - 1; j >= 0; j-- {
			if next[j] = next[j+1]; hasProof(txs[j]) {
				next[j] = j
			}
		}
		for i, x := range txs {
			if !hasProof(x) && next[i+1]-(i+1) >= maxRaceCandidates {
				continue
			}
			for k, y := range txs[i+1:] {
				if k >= maxRaceCandidates {
					break
				}
				if at, bt := x.Authorize.Time, y.Authorize.Time; !at.IsZero() && !bt.IsZero() && bt.Sub(at) > maxRaceWindow {
					break
				}
				if x.Authorize.State.Equal(y.Authorize.State) && !x.Authorize.State.IsZero() &&
					x.Authorize.CodeChallenge().Equal(y.Authorize.CodeChallenge()) {
					continue // one sign-in sent twice; two share a state only with challenges of their own
				}
				if done := completedAt(x); done >= 0 && done < y.Authorize.Exchange {
					break // x finished before y (and every later sign-in) started: sequential
				}
				if c, ok := a.crossing(x, y); ok {
					c.A, c.B = x, y
					a.Crossings = append(a.Crossings, c)
					for _, t := range c.Codes {
						if _, seen := a.crossingOf[t]; !seen {
							a.crossingOf[t] = c
						}
					}
				}
			}
		}
	}
}

// CrossingOf returns the crossing that explains a code trail (the first
// found), or nil.
func (a *Analysis) CrossingOf(c *CodeTrail) *Crossing { return a.crossingOf[c] }

func (a *Analysis) trailOf(code secret.Secret) *CodeTrail {
	if code.IsZero() {
		return nil
	}
	return a.byCode[code]
}

// crossing looks for proof that sign-ins x and y (y started while x was in
// flight) interfered, strongest proof first.
func (a *Analysis) crossing(x, y *Transaction) (*Crossing, bool) {
	if !hasProof(x) && !hasProof(y) {
		return nil, false // every proof needs a callback or a redemption
	}
	pairs := [][2]*Transaction{{x, y}, {y, x}}
	// 1. A verifier that proves the other sign-in's challenge.
	for _, pair := range pairs {
		for _, r := range pair[0].Redemptions() {
			if r.VerifierTx == pair[1] {
				return &Crossing{Mechanism: MechMultiTab, Confidence: ConfidenceHigh, Code: r.Request.Code,
					Evidence: []Evidence{a.RedemptionEvidence(r, fmt.Sprintf("redeems sign-in #%d's code with sign-in #%d's verifier", pair[0].ID, pair[1].ID))},
					Why: fmt.Sprintf("the token request at %s redeems the code of sign-in #%d with the PKCE verifier of sign-in #%d (S256 of the verifier equals #%d's code_challenge): the second sign-in overwrote the stored verifier",
						r.Request.Ref, pair[0].ID, pair[1].ID, pair[1].ID),
					Codes: trails(a.trailOf(r.Request.Code))}, true
			}
		}
	}
	// 2. A callback whose state belongs to the other sign-in.
	for _, pair := range pairs {
		for _, cb := range pair[0].Callbacks() {
			if !cb.State.IsZero() && !pair[1].Authorize.State.IsZero() && cb.State.Equal(pair[1].Authorize.State) &&
				!pair[0].Authorize.State.Equal(pair[1].Authorize.State) { // a state both sent proves nothing
				return &Crossing{Mechanism: MechMultiTab, Confidence: ConfidenceHigh, Code: cb.Code,
					Evidence: []Evidence{a.Evidence(cb, "callback with the other sign-in's state")},
					Why:      fmt.Sprintf("the callback at %s carries sign-in #%d's code but sign-in #%d's state", cb.Ref, pair[0].ID, pair[1].ID),
					Codes:    trails(a.trailOf(cb.Code))}, true
			}
		}
	}
	// 3. One slot for both: one sign-in's code reached the app and was
	// never redeemed, while the other's was redeemed twice.
	for _, pair := range pairs {
		lost, twice := a.unredeemedCode(pair[0]), a.codeRedeemedTwice(pair[1])
		if lost == nil || twice == nil {
			continue
		}
		var evs []Evidence
		if lost.Issued != nil {
			evs = append(evs, a.Evidence(lost.Issued, fmt.Sprintf("sign-in #%d's code issued", pair[0].ID)))
		}
		evs = append(evs, a.Evidence(lost.Deliveries[0], fmt.Sprintf("sign-in #%d's code delivered, never redeemed", pair[0].ID)))
		for i, r := range twice.Redemptions {
			evs = append(evs, a.RedemptionEvidence(r, fmt.Sprintf("%s redemption of sign-in #%d's code", ordinal(i), pair[1].ID)))
		}
		return &Crossing{Mechanism: MechMultiTab, Confidence: ConfidenceHigh, Code: twice.Code, Evidence: evs,
			Why: fmt.Sprintf("sign-in #%d's code %s reached the app at %s but was never redeemed, while sign-in #%d's code %s was redeemed %d times (%s and %s): both tabs handed their code to the app through one shared slot (storage or a cookie), the later one overwrote it, and both redeemed that one",
				pair[0].ID, lost.Code, lost.Deliveries[0].Ref, pair[1].ID, twice.Code, len(twice.Redemptions),
				twice.Redemptions[0].Request.Ref, twice.Redemptions[1].Request.Ref),
			Codes: trails(lost, twice)}, true
	}
	// 4. Both sign-ins' pages redeeming one code.
	for _, c := range a.codesOf(x, y) {
		if len(c.Redemptions) < 2 {
			continue
		}
		pages := map[string]bool{}
		for _, r := range c.Redemptions {
			pages[r.Request.Page()+"|"+r.Request.Origin()] = true
		}
		if len(pages) > 1 {
			var evs []Evidence
			for i, r := range c.Redemptions {
				evs = append(evs, a.RedemptionEvidence(r, ordinal(i)+" redemption"))
			}
			return &Crossing{Mechanism: MechMultiTab, Confidence: ConfidenceMedium, Code: c.Code, Evidence: evs,
				Why: fmt.Sprintf("code %s was redeemed from two different tabs", c.Code), Codes: trails(c)}, true
		}
	}
	// 5. The earlier sign-in failing PKCE after the later one began.
	for _, r := range x.Redemptions() {
		if r.Class() == catalog.ClassPKCE {
			return &Crossing{Mechanism: MechMultiTab, Confidence: ConfidenceMedium, Code: r.Request.Code,
				Evidence: []Evidence{a.RedemptionEvidence(r, "PKCE verification failed")},
				Why: fmt.Sprintf("sign-in #%d's token request at %s failed PKCE verification (%s) after sign-in #%d replaced the stored verifier",
					x.ID, r.Request.Ref, a.RedemptionEvidence(r, "").ErrorCode, y.ID),
				Codes: trails(a.trailOf(r.Request.Code))}, true
		}
	}
	// 5b. The provider refused the earlier sign-in at its own step (its
	// error at the callback says its sign-in cookie did not match) after
	// the later sign-in's authorize answer replaced the cookie the
	// provider had set for the earlier one: one cookie per client at the
	// provider (Ory Hydra's login CSRF cookie).
	for _, cb := range x.Callbacks() {
		if cb.Exchange < y.Authorize.Exchange || cb.Err == nil || classOf(cb) != catalog.ClassStateMismatch {
			continue
		}
		name, set := a.sameProviderCookie(x, y)
		if name == "" {
			continue
		}
		prov := x.Authorize.Provider()
		return &Crossing{Mechanism: MechMultiTab, Confidence: ConfidenceHigh, Code: cb.Code, ProviderCookie: name,
			Evidence: []Evidence{a.Evidence(cb, "callback with the provider's refusal")},
			Why: fmt.Sprintf("sign-in #%d's callback at %s carries %s's error %s (%q): %s refused sign-in #%d itself, because sign-in #%d's authorize request at %s replaced the cookie %s it had set for #%d at %s: it keeps one such cookie per client in a browser",
				x.ID, cb.Ref, model.ProviderName(prov), cb.Err.Error, shortDescription(cb.Err.Description), model.ProviderName(prov), x.ID, y.ID, y.Authorize.Ref, name, x.ID, set),
			Codes: trails(a.trailOf(cb.Code))}, true
	}
	// 6. A callback carrying the other sign-in's transient value.
	for _, cb := range x.Callbacks() {
		if cb.Exchange < y.Authorize.Exchange {
			continue
		}
		if name, what, ok := cookieHolding(a, cb, x, y); ok {
			why := fmt.Sprintf("sign-in #%d's callback at %s carries cookie %s holding sign-in #%d's %s: sign-in #%d overwrote the transient state the app keeps for #%d",
				x.ID, cb.Ref, cookieName(cookieName(name, x.Authorize), y.Authorize), y.ID, what, y.ID, x.ID)
			if failed, how := callbackFailed(a, cb); failed {
				why += fmt.Sprintf(", and the app refused the callback (%s)", how)
			}
			return &Crossing{Mechanism: MechMultiTab, Confidence: ConfidenceHigh, Code: cb.Code, Why: why,
				Evidence: []Evidence{a.Evidence(cb, "callback with the other sign-in's cookie")}, Codes: trails(a.trailOf(cb.Code))}, true
		}
	}
	// 7. The grant replaced: the earlier code refused, bare, after the
	// later sign-in got its own code, while the later one succeeded.
	for _, pair := range pairs {
		c, r, ok := a.grantReplaced(pair[0], pair[1])
		if !ok {
			continue
		}
		refused, other := pair[0], pair[1]
		d, basis, _ := Elapsed(c.Issued, r.Request)
		evs := []Evidence{a.RedemptionEvidence(r, fmt.Sprintf("sign-in #%d's code refused", refused.ID))}
		for _, ev := range other.Issued() {
			if !ev.Code.IsZero() {
				evs = append(evs, a.Evidence(ev, fmt.Sprintf("sign-in #%d's code issued", other.ID)))
				break
			}
		}
		for _, or := range other.Redemptions() {
			if or.Succeeded() {
				evs = append(evs, a.RedemptionEvidence(or, fmt.Sprintf("sign-in #%d's redemption succeeded", other.ID)))
				break
			}
		}
		return &Crossing{Mechanism: MechGrantReplaced, Confidence: ConfidenceMedium, Code: c.Code, Evidence: evs,
			Why: fmt.Sprintf("sign-in #%d's code %s was issued before sign-in #%d's and redeemed after it at %s, %s after issue (%s), and %s refused it (%s) while sign-in #%d's redemption succeeded; nothing else explains the refusal (one delivery, one redemption, same redirect_uri, PKCE consistent): the provider most likely revoked the outstanding code when the same browser session signed in again for the same client (the grant was replaced)",
				refused.ID, c.Code, other.ID, r.Request.Ref, fmtDuration(d), basis, model.ProviderName(r.Request.Provider()),
				a.RedemptionEvidence(r, "").ErrorCode, other.ID),
			Codes: trails(c)}, true
	}
	// 8. The earlier sign-in's callback failing after the later one began.
	for _, cb := range x.Callbacks() {
		if cb.Exchange < y.Authorize.Exchange {
			continue
		}
		if failed, how := callbackFailed(a, cb); failed {
			return &Crossing{Mechanism: MechMultiTab, Confidence: ConfidenceMedium, Code: cb.Code,
				Evidence: []Evidence{a.Evidence(cb, "callback failed")},
				Why:      fmt.Sprintf("sign-in #%d's callback at %s failed (%s) after sign-in #%d had replaced the transient state the app keeps for it", x.ID, cb.Ref, how, y.ID),
				Codes:    trails(a.trailOf(cb.Code))}, true
		}
	}
	return nil, false
}

func trails(cs ...*CodeTrail) []*CodeTrail {
	var out []*CodeTrail
	for _, c := range cs {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// unredeemedCode is a code of t delivered to the app and never redeemed
// in a trace that shows redemptions of t's client.
func (a *Analysis) unredeemedCode(t *Transaction) *CodeTrail {
	for _, cb := range t.Callbacks() {
		if c := a.trailOf(cb.Code); c != nil && len(c.Redemptions) == 0 && len(c.Deliveries) > 0 {
			return c
		}
	}
	return nil
}

// codeRedeemedTwice is a code of t redeemed more than once.
func (a *Analysis) codeRedeemedTwice(t *Transaction) *CodeTrail {
	for _, r := range t.Redemptions() {
		if c := a.trailOf(r.Request.Code); c != nil && c.Tx == t && len(c.Redemptions) >= 2 {
			return c
		}
	}
	return nil
}

// codesOf returns the code trails redeemed in transactions x and y.
func (a *Analysis) codesOf(x, y *Transaction) []*CodeTrail {
	var out []*CodeTrail
	seen := map[*CodeTrail]bool{}
	for _, t := range []*Transaction{x, y} {
		for _, r := range t.Redemptions() {
			if c := a.trailOf(r.Request.Code); c != nil && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// grantReplaced finds x's code refused with a bare or generic answer and
// nothing else to explain it, issued before y's code and redeemed after y's
// code was issued, while y's redemption succeeded.
func (a *Analysis) grantReplaced(x, y *Transaction) (*CodeTrail, *Redemption, bool) {
	var yIssued *model.Event
	for _, ev := range y.Issued() {
		if !ev.Code.IsZero() {
			yIssued = ev
			break
		}
	}
	ySucceeded := false
	for _, r := range y.Redemptions() {
		ySucceeded = ySucceeded || r.Succeeded()
	}
	if yIssued == nil || !ySucceeded {
		return nil, nil, false
	}
	for _, r := range x.Redemptions() {
		c := a.trailOf(r.Request.Code)
		if c == nil || c.Issued == nil || !r.Failed() || len(c.Redemptions) != 1 || len(c.Deliveries) > 1 ||
			redirectDiffers(r) || pkceFails(r) || r.VerifierTx != nil && r.VerifierTx != x {
			continue
		}
		switch r.Class() {
		case catalog.ClassGenericGrant, catalog.ClassCodeInvalid:
		default:
			if !unclassified(r) {
				continue
			}
		}
		if c.Issued.Exchange < yIssued.Exchange && r.Request.Exchange > yIssued.Exchange {
			if d, _, ok := Elapsed(c.Issued, r.Request); ok && d > a.RedemptionLifetime(r).Suspicious {
				continue // old enough for expiry to explain it
			}
			return c, r, true
		}
	}
	return nil, nil, false
}

// ReuseStory names how a code came to be used more than once, from the
// order of events rather than from fixed delays: words for the finding and
// the structured Mechanism.
func (a *Analysis) ReuseStory(c *CodeTrail) (Mechanism, string) {
	for _, d := range c.Deliveries {
		if d.Prefetch() != "" {
			return MechPrefetch, fmt.Sprintf("a speculative prefetch of the callback URL (%s at %s) consumed the code before the real navigation; ignore prefetch requests on the callback route", d.Prefetch(), d.Ref)
		}
	}
	if len(c.Deliveries) >= 2 {
		d1, d2 := c.Deliveries[0], c.Deliveries[1]
		after, ref, openFirst, known := a.afterFirstAnswer(c, d1, d2)
		formPost := d1.Delivery() == "form_post" && d2.Delivery() == "form_post"
		switch {
		case known && openFirst && resentBehindBrowser(d1, d2):
			return MechProxyRetry, fmt.Sprintf("the browser sent the callback once (%s), yet the app side received it again at %s while the first was still unanswered: a reverse proxy or load balancer in front of the app retried it (a read timeout shorter than the app's callback; retries of non-idempotent requests, HAProxy retry-on with redispatch, an F5 pool's reselect) and another instance redeemed the code again", d1.Ref, d2.Ref)
		case known && openFirst && (d1.Forwarded() != "" || d2.Forwarded() != ""):
			via := d2.Forwarded()
			if via == "" {
				via = d1.Forwarded()
			}
			return MechProxyRetry, fmt.Sprintf("the callback reached the app through a proxy (%s) and was delivered again at %s while %s was still unanswered: the proxy or load balancer retried the request (a read timeout shorter than the app's callback, retries of non-idempotent requests) and a second instance redeemed the code again", via, d2.Ref, ref)
		case known && after && formPost:
			return MechReload, fmt.Sprintf("the form_post page was posted again at %s after %s had been answered (reload or back button re-posting it), and the app redeemed the code again", d2.Ref, ref)
		case known && after && a.replayUnredeemed(c):
			return MechReload, fmt.Sprintf("the callback URL was loaded again at %s after %s had been answered (reload, back button or a restored tab), and the app did not redeem the code again: %s", d2.Ref, ref, a.replayAnswer(c, d2))
		case known && after && len(c.Redemptions) == 0 && replayOfCompleted(a, d2) && a.replayUnseen(c, d1, d2) != "":
			return MechReload, fmt.Sprintf("the callback URL was loaded again at %s after %s had been answered (reload, back button or a restored tab): %s", d2.Ref, ref, a.replayUnseen(c, d1, d2))
		case known && after && a.browserReplayUnredeemed(c, d1, d2):
			return MechReload, fmt.Sprintf("the callback URL was loaded again at %s after %s had been answered (reload, back button or a restored tab), and no second token request follows: %s", d2.Ref, ref, browserReplayAnswer(c))
		case known && after:
			return MechReload, fmt.Sprintf("the callback URL was loaded again at %s after %s had been answered (reload, back button or a restored tab), and the app redeemed the code again", d2.Ref, ref)
		case known && formPost:
			return MechFormPostResubmit, fmt.Sprintf("the form_post page was submitted twice: the second post at %s came before %s was answered (double submit, or two app instances)", d2.Ref, ref)
		case known:
			return MechDuplicateNavigation, fmt.Sprintf("the callback URL was requested again at %s before %s was answered (duplicate navigation, a prefetch without a marker header, two app instances, or a service worker)", d2.Ref, ref)
		}
		return MechReload, fmt.Sprintf("the callback URL was loaded again at %s (reload, back button or a restored tab; the trace lacks the times to tell it from a duplicate navigation) and the app redeemed the code again", d2.Ref)
	}
	if len(c.Redemptions) >= 2 {
		r1, r2 := c.Redemptions[0], c.Redemptions[1]
		q1, q2 := r1.Request, r2.Request
		answered := r1.Response != nil && !r1.Response.Time.IsZero() && !q2.Time.IsZero() && !q2.Time.Before(r1.Response.Time)
		switch {
		case (q1.Origin() == "") != (q2.Origin() == ""):
			return MechBrowserAndServer, "both browser JavaScript (with an Origin header) and a server (without) redeemed the code; let exactly one party redeem it"
		case q1.Origin() != "" && q2.Origin() != "" && answered:
			return MechBrowserTwice, "the browser app redeemed the code again after the first redemption was answered (a second listener handling the redirect, or the callback handler run again)"
		case q1.Origin() != "" && q2.Origin() != "" && q1.Library() == oauth.OIDCClientTS && q2.Library() == oauth.OIDCClientTS && q1.CodeVerifier().Equal(q2.CodeVerifier()):
			// Both with the one sign-in's verifier: one page read the
			// sign-in's state from storage twice before either removed it.
			return MechBrowserTwice, "oidc-client-ts redeemed the code twice at once with the sign-in's one PKCE verifier: signinRedirectCallback ran twice on the callback page (e.g. a React 18 effect under StrictMode, or two handlers), each reading the sign-in's state from storage before the other removed it"
		case q1.Origin() != "" && q2.Origin() != "":
			return MechBrowserTwice, "the browser app redeemed the code twice at once (e.g. React StrictMode running the effect twice, or two listeners handling the redirect)"
		}
		if len(c.Deliveries) == 1 {
			if cbEx := a.Exchange(c.Deliveries[0]); cbEx != nil && !cbEx.End().IsZero() &&
				!q2.Time.IsZero() && q2.Time.Before(cbEx.End()) && !q1.Time.Before(cbEx.Start) {
				return MechDoubleHandler, "two code-received handlers ran inside the one callback request (e.g. Microsoft.Identity.Web before 2.15.1 applying its options twice, or middleware plus app code both redeeming)" + idwebNote(c)
			}
		}
		if !answered && r1.Response != nil && !q2.Time.IsZero() {
			return MechDoubleHandler, "two handlers redeemed the code concurrently, the second before the first was answered (middleware plus app code, or a duplicated handler)" + idwebNote(c)
		}
		return MechRetry, "the code was redeemed again after the first redemption was answered (a retry after a timeout, or a second component)"
	}
	return MechOutOfSight, ""
}

// resentBehindBrowser reports, for traces of one incident read together
// (scan --case), a second delivery the server side saw and the browser's
// trace lacks, though the browser's trace holds the first: the browser sent
// the callback once and something between it and the app sent it again.
func resentBehindBrowser(d1, d2 *model.Event) bool {
	return slices.Contains(d1.Vantages(), "browser") && len(d2.Vantages()) > 0 && !slices.Contains(d2.Vantages(), "browser")
}

// afterFirstAnswer reports whether delivery d2 came after the app's first
// use of the code was answered: after the first delivery's own response
// (a server-side app redeems inside it) and after the first redemption's
// response, of those the trace has. ref names what d2 came before (or,
// when after, the last of them); openFirst is set when d2 came while the
// first delivery was still unanswered.
func (a *Analysis) afterFirstAnswer(c *CodeTrail, d1, d2 *model.Event) (after bool, ref string, openFirst, known bool) {
	if d2.Time.IsZero() {
		return false, "", false, false
	}
	type answer struct {
		at  time.Time
		ref string
	}
	var answers []answer
	if ex := a.Exchange(d1); ex != nil && !ex.End().IsZero() && ex.Answered() {
		answers = append(answers, answer{ex.End(), "the first delivery (" + d1.Ref + ")"})
	} else if ex != nil && !ex.Answered() && !ex.Start.IsZero() {
		// Never answered in the trace: still open when d2 came.
		return false, "the first delivery (" + d1.Ref + ")", true, true
	}
	for _, r := range c.Redemptions {
		if r.Request.Exchange > d2.Exchange || r.Response == nil || r.Response.Time.IsZero() {
			continue
		}
		answers = append(answers, answer{r.Response.Time, "the first redemption (" + r.Request.Ref + ")"})
		break
	}
	if len(answers) == 0 {
		return false, "", false, false
	}
	for i, an := range answers {
		if d2.Time.Before(an.at) {
			return false, an.ref, i == 0 && strings.HasPrefix(an.ref, "the first delivery"), true
		}
	}
	return true, answers[len(answers)-1].ref, false, true
}

// idwebNote names the Microsoft.Identity.Web version when the trace shows
// one affected by the double code-received handler (fixed in 2.15.1).
func idwebNote(c *CodeTrail) string {
	if c.Tx == nil {
		return ""
	}
	lib := c.Tx.Library()
	v, ok := strings.CutPrefix(lib, "Microsoft.Identity.Web ")
	if !ok || !versionBelow(v, "2.15.1") {
		return ""
	}
	return fmt.Sprintf("; the app sends %s (x-client-brkrver), which applies its OpenID Connect options twice when AddMicrosoftIdentityWebApp is combined with EnableTokenAcquisitionToCallDownstreamApi: upgrade to 2.15.1 or later", lib)
}

// unclassified reports a refusal whose error the catalog does not know
// (fosite answers an expired code with a generic invalid_request).
func unclassified(r *Redemption) bool {
	if r.Response == nil || r.Response.Err == nil {
		return false
	}
	_, known := r.classify()
	e := r.Response.Err.Error
	return !known && (e == "invalid_request" || e == "invalid_grant" || e == "invalid_token")
}

// replayUnredeemed reports a code the app redeemed once, inside its first
// delivery, and delivered again after that delivery was answered, with no
// token request for it after: the trace is the app side's own (it holds the
// app's back-channel redemption, sent after the callback arrived and
// answered before the app answered the callback), so a second redemption
// would be in it too. The later deliveries met an app that had consumed
// the sign-in's state.
func (a *Analysis) replayUnredeemed(c *CodeTrail) bool {
	if len(c.Redemptions) != 1 || len(c.Deliveries) < 2 {
		return false
	}
	r, d1 := c.Redemptions[0], c.Deliveries[0]
	x1 := a.Exchange(d1)
	if x1 == nil || !x1.Answered() || x1.End().IsZero() || r.Response == nil || !r.Succeeded() || r.Request.Origin() != "" ||
		r.Request.Time.Before(x1.Start) || r.Response.Time.IsZero() || x1.End().Before(r.Response.Time) {
		return false
	}
	for _, d := range c.Deliveries[1:] {
		if x := a.Exchange(d); x == nil || !x.Answered() || d.Time.Before(x1.End()) {
			return false
		}
	}
	return true
}

// browserReplayUnredeemed reports a single-page app's callback loaded again
// after the sign-in completed: the code's one redemption succeeded and was
// the browser's own (its Origin header), made after the first delivery and
// before the second, and the second delivery was answered with no token
// request for the code after it. A browser's trace holds a browser's
// redemptions, so a second one would be in it.
func (a *Analysis) browserReplayUnredeemed(c *CodeTrail, d1, d2 *model.Event) bool {
	if len(c.Redemptions) != 1 {
		return false
	}
	r := c.Redemptions[0]
	x2 := a.Exchange(d2)
	return r.Succeeded() && r.Request.Origin() != "" && x2 != nil && x2.Answered() &&
		r.Request.Exchange > d1.Exchange && r.Request.Exchange < d2.Exchange
}

// browserReplayAnswer says what a single-page app does with a callback it
// already handled, in its library's terms where the trace names it.
func browserReplayAnswer(c *CodeTrail) string {
	lib := ""
	if c.Tx != nil {
		lib = c.Tx.Library()
	}
	switch {
	case lib == oauth.OIDCClientTS:
		return "oidc-client-ts removed the sign-in's state from storage when signinRedirectCallback handled the first callback, so on this load it finds none and rejects with \"No matching state found in storage\" before any token request; the first callback had signed the user in"
	case strings.HasPrefix(lib, "MSAL.js"):
		return lib + " removed the sign-in's request from storage when handleRedirectPromise handled the first callback, so on this load it makes no token request; the first callback had signed the user in"
	}
	return "the app's JavaScript redeems the code (its token request carries an Origin header), and found the sign-in's state consumed by the first callback; the first callback had signed the user in"
}

// replayAnswer says how the app answered a delivery of a code it had
// already redeemed (replayUnredeemed): refused in its library's words,
// or sent on into the app.
func (a *Analysis) replayAnswer(c *CodeTrail, d *model.Event) string {
	lib := "the app"
	if c.Tx != nil && c.Tx.Library() != "" {
		lib = c.Tx.Library()
	}
	if failed, how := callbackFailed(a, d); failed {
		return fmt.Sprintf("the app refused it at %s (%s) without a token request, since the first callback had consumed the sign-in's state; the first callback had signed the user in", d.Ref, how)
	}
	to := ""
	if x := a.Exchange(d); x != nil {
		if lu := x.Location(); lu != nil {
			to = " to " + secret.RedactURL(lu.String())
		}
		return fmt.Sprintf("%s answered it at %s with HTTP %d%s without a token request: it recognised the callback of a sign-in it had completed", lib, d.Ref, x.Status(), to)
	}
	return lib + " answered it without a token request"
}

// replayUnseen says how the app answered a callback loaded again after
// the first delivery completed the sign-in, in a trace without the app's
// redemptions (a browser's HAR), when its answer tells: refused in words
// saying it found no state of the sign-in (the first had consumed it, and
// an app checks its state before it redeems), or sent on as the first was
// by mod_auth_openidc (which does so without a token request when its
// session holds the sign-in's state). "" when the answer does not tell.
func (a *Analysis) replayUnseen(c *CodeTrail, d1, d2 *model.Event) string {
	if failed, how := callbackFailed(a, d2); failed {
		if r := d2.Refusal(); r != nil && r.Cause == model.RefusalRedemption && strings.HasPrefix(r.Library, "social-auth") && r.Words == "Authentication process canceled" {
			// social-core reports a token request answered 400 so.
			return fmt.Sprintf("the app redeemed the code again and the provider refused it with HTTP 400 (%s: social-core reports any 400 answer to its token request as AuthCanceled, not a user's cancel); the redemptions are server-side, not in this trace", how)
		}
		if r := d2.Refusal(); refusalNames(r, "invalid_grant") {
			// The library raised the provider's answer to its own
			// redemption: the replay was redeemed, and refused.
			return fmt.Sprintf("the app redeemed the code again and the provider refused it: the app's page quotes the provider's answer (%s); the redemptions are server-side, not in this trace", how)
		}
		if r := d2.Refusal(); r == nil || r.Cause != model.RefusalState {
			if names := a.clearedForReplay(c, d1, d2); names != "" {
				return fmt.Sprintf("the app refused it (%s); the first callback had completed the sign-in and consumed its state: its answer deleted the cookie(s) %s that the sign-in's start set, and this callback came without them, so the app refused it before any redemption (its redemptions are server-side, not in this trace)", how, names)
			}
			return ""
		}
		return fmt.Sprintf("the app refused it (%s); the first callback had completed the sign-in and consumed its state, so the app most likely refused it before any redemption (its redemptions are server-side, not in this trace)", how)
	}
	x1, x2 := a.Exchange(d1), a.Exchange(d2)
	if c.Tx == nil || !strings.HasPrefix(c.Tx.Library(), "mod_auth_openidc") ||
		x1 == nil || x2 == nil || x1.Location() == nil || x2.Location() == nil || x1.Location().String() != x2.Location().String() {
		return ""
	}
	return fmt.Sprintf("mod_auth_openidc answered it as the first, with a redirect to %s: it does so without a token request when its session already holds the sign-in's state (its browser-back detection)", secret.RedactURL(x2.Location().String()))
}
