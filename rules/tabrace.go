package rules

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/parse"
)

// MultiTabRace: overlapping sign-ins in one browser that cross.
var MultiTabRace = &Rule{
	ID:       "multi-tab-race",
	Title:    "concurrent sign-ins crossed state or PKCE verifier",
	Severity: Error,
	Doc: `Detects two interactive sign-ins for the same client started in one browser
before the first completed, that then crossed: a token request for one sign-in's
code carrying the PKCE verifier of the other (S256 of the verifier equals the
other authorize request's code_challenge), a callback whose state belongs to a
different sign-in than its code, one code redeemed by both, or the first
sign-in's callback failing (PKCE mismatch AADSTS50148/501481, an app error,
"state mismatch", "Correlation failed") after the second one overwrote the
shared transient state (state, nonce, verifier cookies or storage).

It does not fire on legitimate parallel traffic: silent prompt=none renewals in
hidden iframes, or one sign-in per tab that each complete cleanly.

Remediation: key state/nonce/verifier storage per transaction (suffix by
state), do not start a login from background or prefetch requests, and on a
state mismatch restart sign-in once instead of showing an error.`,
	Run: runTabRace,
}

const raceRemediation = "Two sign-ins were started in parallel in one browser and shared one set of transient state. Key state/nonce/verifier storage per transaction (suffix by state), do not start a login from background or prefetch requests, and on state mismatch restart sign-in once instead of showing an error."

// completedAt is the source position at which a transaction's code came
// back to the app (its first callback), or -1.
func completedAt(t *Transaction) int {
	if len(t.Callbacks) > 0 {
		return t.Callbacks[0].Exchange
	}
	return -1
}

func runTabRace(p *Pass) {
	// Sign-ins race only with others of the same client: group them, in
	// source order, so a trace of many clients costs no cross-client work.
	byClient := map[string][]*Transaction{}
	var clients []string
	for _, t := range p.Transactions {
		if !t.Interactive() {
			continue
		}
		id := t.Authorize.ClientID
		if _, ok := byClient[id]; !ok {
			clients = append(clients, id)
		}
		byClient[id] = append(byClient[id], t)
	}
	for _, id := range clients {
		racePairs(p, byClient[id])
	}
}

// Bounds on the sign-ins one sign-in is compared with, so that a trace of
// thousands of unfinished authorize requests stays linear: a browser races
// a handful of tabs, and a login transaction does not outlive an hour
// (providers expire them sooner).
const (
	maxRaceCandidates = 64
	maxRaceWindow     = time.Hour
)

func racePairs(p *Pass, txs []*Transaction) {
	for i, a := range txs {
		for k, b := range txs[i+1:] {
			if k >= maxRaceCandidates {
				break
			}
			if at, bt := a.Authorize.Time, b.Authorize.Time; !at.IsZero() && !bt.IsZero() && bt.Sub(at) > maxRaceWindow {
				break
			}
			if a.Authorize.State.Equal(b.Authorize.State) && !a.Authorize.State.IsZero() {
				continue
			}
			done := completedAt(a)
			if done >= 0 && done < b.Authorize.Exchange {
				break // a finished before b (and every later sign-in) started: sequential
			}
			x, ok := crossing(p, a, b)
			if !ok {
				continue
			}
			f := Finding{Remediation: raceRemediation, Confidence: x.confidence, Code: x.code, Evidence: []Evidence{
				p.Evidence(a.Authorize, fmt.Sprintf("sign-in #%d started", a.ID)),
				p.Evidence(b.Authorize, fmt.Sprintf("sign-in #%d started before #%d completed", b.ID, a.ID)),
			}}
			if !x.code.IsZero() {
				f.Evidence = append(f.Evidence, p.CodeStory(x.code, x.evidence)...)
			}
			f.Evidence = append(f.Evidence, x.evidence...)
			f.Message = fmt.Sprintf("two sign-ins for client %s overlapped in one browser (%s and %s) and crossed: %s",
				a.Authorize.ClientID, a.Authorize.Ref, b.Authorize.Ref, x.why)
			if note := raceLibraryNote(a.Library()); note != "" {
				f.Message += "; " + note
			}
			p.Report(f)
		}
	}
}

// cross is the proof that two sign-ins interfered.
type cross struct {
	evidence   []Evidence
	why        string
	confidence string
	code       parse.Secret // the code of the sign-in that broke
}

// crossing looks for proof that transactions a and b (b started while a was
// in flight) interfered.
func crossing(p *Pass, a, b *Transaction) (cross, bool) {
	// 1. A verifier that proves the other sign-in's challenge.
	for _, pair := range [][2]*Transaction{{a, b}, {b, a}} {
		for _, r := range pair[0].Redemptions {
			if r.VerifierTx == pair[1] {
				return cross{
					evidence: []Evidence{p.RedemptionEvidence(r, fmt.Sprintf("redeems sign-in #%d's code with sign-in #%d's verifier", pair[0].ID, pair[1].ID))},
					why: fmt.Sprintf("the token request at %s redeems the code of sign-in #%d with the PKCE verifier of sign-in #%d (S256 of the verifier equals #%d's code_challenge): the second sign-in overwrote the stored verifier",
						r.Request.Ref, pair[0].ID, pair[1].ID, pair[1].ID),
					confidence: "high", code: r.Request.Code}, true
			}
		}
	}
	// 2. A callback whose state belongs to the other sign-in.
	for _, pair := range [][2]*Transaction{{a, b}, {b, a}} {
		for _, cb := range pair[0].Callbacks {
			if !cb.State.IsZero() && !pair[1].Authorize.State.IsZero() && cb.State.Equal(pair[1].Authorize.State) {
				return cross{
					evidence:   []Evidence{p.Evidence(cb, "callback with the other sign-in's state")},
					why:        fmt.Sprintf("the callback at %s carries sign-in #%d's code but sign-in #%d's state", cb.Ref, pair[0].ID, pair[1].ID),
					confidence: "high", code: cb.Code}, true
			}
		}
	}
	// 3. Both sign-ins' pages redeeming one code.
	for _, c := range codesOf(p.Analysis, a, b) {
		if len(c.Redemptions) < 2 {
			continue
		}
		pages := map[string]bool{}
		for _, r := range c.Redemptions {
			pages[r.Request.Page+"|"+r.Request.Origin] = true
		}
		if len(pages) > 1 {
			var evs []Evidence
			for i, r := range c.Redemptions {
				evs = append(evs, p.RedemptionEvidence(r, ordinal(i)+" redemption"))
			}
			return cross{evidence: evs, why: fmt.Sprintf("code %s was redeemed from two different tabs", c.Code), confidence: "medium", code: c.Code}, true
		}
	}
	// 4. The earlier sign-in failing after the later one began.
	for _, r := range a.Redemptions {
		if r.Class() == parse.ClassPKCE {
			return cross{
				evidence: []Evidence{p.RedemptionEvidence(r, "PKCE verification failed")},
				why: fmt.Sprintf("sign-in #%d's token request at %s failed PKCE verification (%s) after sign-in #%d replaced the stored verifier",
					a.ID, r.Request.Ref, p.RedemptionEvidence(r, "").ErrorCode, b.ID),
				confidence: "medium", code: r.Request.Code}, true
		}
	}
	for _, cb := range a.Callbacks {
		if cb.Exchange < b.Authorize.Exchange {
			continue
		}
		failed, how := callbackFailed(p.Analysis, cb)
		if name, what, ok := cookieHolding(p.Analysis, cb, b); ok {
			why := fmt.Sprintf("sign-in #%d's callback at %s carries cookie %s holding sign-in #%d's %s: sign-in #%d overwrote the transient state the app keeps for #%d",
				a.ID, cb.Ref, cookieName(cookieName(name, a.Authorize), b.Authorize), b.ID, what, b.ID, a.ID)
			if failed {
				why += fmt.Sprintf(", and the app refused the callback (%s)", how)
			}
			return cross{evidence: []Evidence{p.Evidence(cb, "callback with the other sign-in's cookie")}, why: why, confidence: "high", code: cb.Code}, true
		}
		if failed {
			return cross{
				evidence:   []Evidence{p.Evidence(cb, "callback failed")},
				why:        fmt.Sprintf("sign-in #%d's callback at %s failed (%s) after sign-in #%d had replaced the transient state the app keeps for it", a.ID, cb.Ref, how, b.ID),
				confidence: "medium", code: cb.Code}, true
		}
	}
	return cross{}, false
}

// callbackFailed reports whether the app refused a callback: an error
// status, a redirect to an error page or straight back to sign-in.
func callbackFailed(a *Analysis, cb *parse.Event) (bool, string) {
	ex := a.Exchange(cb)
	if ex == nil || ex.Response == nil {
		return false, ""
	}
	st := ex.Response.Status
	if st >= 400 {
		return true, fmt.Sprintf("HTTP %d", st)
	}
	if st >= 300 && st < 400 {
		loc := ex.Response.Headers.Get("Location")
		lu, err := url.Parse(loc)
		if err != nil {
			return false, ""
		}
		low := strings.ToLower(lu.Path + "?" + lu.RawQuery)
		if strings.Contains(low, "error") || strings.Contains(low, "state_mismatch") || strings.Contains(low, "correlation") {
			return true, "redirected to " + redactURL(loc)
		}
		if lu.Query().Get("client_id") != "" && lu.Query().Get("response_type") != "" {
			return true, "redirected straight back to the authorize endpoint"
		}
	}
	return false, ""
}

// codesOf returns the code trails redeemed in transactions a and b.
func codesOf(an *Analysis, a, b *Transaction) []*CodeTrail {
	var out []*CodeTrail
	seen := map[*CodeTrail]bool{}
	for _, t := range []*Transaction{a, b} {
		for _, r := range t.Redemptions {
			if c, ok := an.byCode[r.Request.Code]; ok && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// cookieHolding finds a cookie of the callback's request whose value is the
// other sign-in's state, nonce, or PKCE verifier (its S256 equals the other
// authorize request's challenge): proof that the other sign-in overwrote it.
// Values are compared, never shown.
func cookieHolding(a *Analysis, cb *parse.Event, other *Transaction) (name, what string, ok bool) {
	ex := a.Exchange(cb)
	if ex == nil || other.Authorize == nil {
		return "", "", false
	}
	oa := other.Authorize
	for _, header := range ex.Request.Headers.Values("Cookie") {
		for _, part := range strings.Split(header, ";") {
			n, v, found := strings.Cut(strings.TrimSpace(part), "=")
			if !found || len(v) < 8 {
				continue
			}
			if dec, err := url.QueryUnescape(v); err == nil {
				v = dec
			}
			sv := parse.NewSecret(v)
			switch {
			case !oa.State.IsZero() && sv.Equal(oa.State):
				return n, "state", true
			case !oa.Nonce.IsZero() && sv.Equal(oa.Nonce):
				return n, "nonce", true
			case !oa.CodeChallenge.IsZero() && oa.CodeChallengeMethod != "plain" && sv.S256() == oa.CodeChallenge.Reveal():
				return n, "PKCE verifier", true
			}
		}
	}
	return "", "", false
}

// raceLibraryNote says how a known library behaves with concurrent sign-ins.
func raceLibraryNote(lib string) string {
	switch {
	case strings.HasPrefix(lib, "NextAuth.js"), strings.HasPrefix(lib, "Auth.js"):
		return lib + " keeps one state and PKCE cookie per provider, so concurrent sign-ins with one provider collide (it reports \"state mismatch\" or \"State cookie was missing\")"
	case strings.HasPrefix(lib, "ASP.NET Core"), strings.HasPrefix(lib, "Microsoft.Identity.Web"):
		return "the ASP.NET Core handler reports such a callback as \"Correlation failed.\""
	case strings.HasPrefix(lib, "MSAL.js"):
		return lib + " allows one interaction at a time per app (interaction_in_progress) and keeps its request state in browser storage shared by the tabs"
	case strings.HasPrefix(lib, "express-openid-connect"):
		return "express-openid-connect keeps one auth_verification cookie, which the second sign-in overwrites"
	}
	return ""
}
