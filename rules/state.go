package rules

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/parse"
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

Remediation: set transient cookies with SameSite=None; Secure when the callback
is a cross-site form_post (or use response_mode=query), key them per transaction,
generate a fresh state per sign-in, and on a mismatch restart sign-in once.`,
	Run: runStateMismatch,
}

type setCookie struct {
	name, sameSite string
	secure         bool
	deleted        bool
}

func parseSetCookie(v string) setCookie {
	parts := strings.Split(v, ";")
	name, val, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
	c := setCookie{name: strings.TrimSpace(name), deleted: strings.TrimSpace(val) == ""}
	for _, a := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(a), "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "samesite":
			c.sameSite = strings.ToLower(strings.TrimSpace(v))
		case "secure":
			c.secure = true
		case "max-age":
			if strings.TrimSpace(v) == "0" || strings.HasPrefix(strings.TrimSpace(v), "-") {
				c.deleted = true
			}
		case "expires":
			if t, err := time.Parse(time.RFC1123, strings.TrimSpace(v)); err == nil && t.Year() < 2000 {
				c.deleted = true
			}
		}
	}
	return c
}

// loginStart finds the app response that sent the browser to this authorize
// request, and the transient cookies it set.
func loginStart(a *Analysis, az *parse.Event) (*parse.Exchange, []setCookie) {
	ex := a.Exchange(az)
	if ex == nil {
		return nil, nil
	}
	at, ok := a.pos[ex.Index]
	if !ok {
		return nil, nil
	}
	// The app's redirect comes shortly before the authorize request.
	for i := at - 1; i >= 0 && i >= at-50; i-- {
		prev := a.Exchanges[i]
		if prev == nil || prev.Response == nil {
			continue
		}
		loc := prev.Response.Headers.Get("Location")
		if loc == "" {
			continue
		}
		base, err := url.Parse(prev.Request.URL)
		if err != nil {
			continue
		}
		lu, err := url.Parse(loc)
		if err != nil || !sameRequest(base.ResolveReference(lu), ex.Request.URL, az) {
			continue
		}
		var cs []setCookie
		for _, v := range prev.Response.Headers.Values("Set-Cookie") {
			if c := parseSetCookie(v); c.name != "" && !c.deleted {
				cs = append(cs, c)
			}
		}
		return prev, cs
	}
	return nil, nil
}

// traceHasCookies reports whether the trace kept any cookie at all (sanitized
// exports strip them everywhere).
func traceHasCookies(a *Analysis) bool {
	if a.cookies == 0 {
		a.cookies = 1
		for _, ex := range a.Exchanges {
			if ex != nil && (ex.Request.Headers.Has("Cookie") || (ex.Response != nil && ex.Response.Headers.Has("Set-Cookie"))) {
				a.cookies = 2
				break
			}
		}
	}
	return a.cookies == 2
}

func runStateMismatch(p *Pass) {
	cookiesKept := traceHasCookies(p.Analysis)
	for _, t := range p.Transactions {
		az := t.Authorize
		if az == nil {
			continue
		}
		if cookiesKept {
			checkTransientCookies(p, t)
		}
	}
	// Callbacks whose state matches no sign-in, that failed.
	states := map[parse.Secret]bool{}
	haveAuthz := false
	for _, t := range p.Transactions {
		if t.Authorize != nil {
			haveAuthz = true
			states[t.Authorize.State] = true
		}
	}
	if haveAuthz {
		for _, t := range p.Transactions {
			if t.Authorize != nil {
				continue
			}
			for _, cb := range t.Callbacks {
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
	byState := map[parse.Secret][]*Transaction{}
	var order []parse.Secret
	for _, t := range p.Transactions {
		az := t.Authorize
		if az == nil {
			continue
		}
		if az.State.IsZero() {
			if strings.Contains(az.ResponseType, "code") && az.Nonce.IsZero() && az.CodeChallenge.IsZero() {
				p.Report(Finding{Severity: Warning,
					Message:     fmt.Sprintf("the authorize request at %s sends neither state, nonce nor a PKCE challenge: nothing protects the callback against CSRF", az.Ref),
					Evidence:    []Evidence{p.Evidence(az, "authorize request")},
					Remediation: "Send a fresh, unguessable state per sign-in (and PKCE)."})
			}
			continue
		}
		if _, ok := byState[az.State]; !ok {
			order = append(order, az.State)
		}
		byState[az.State] = append(byState[az.State], t)
	}
	for _, s := range order {
		ts := byState[s]
		if len(ts) < 2 {
			continue
		}
		a, b := ts[0].Authorize, ts[1].Authorize
		if a.Nonce.Equal(b.Nonce) && a.CodeChallenge.Equal(b.CodeChallenge) {
			continue // the same request sent again (reload), not a new sign-in
		}
		p.Report(Finding{Severity: Warning,
			Message:     fmt.Sprintf("%d different sign-ins (%s, %s) send the same state %s: a constant state gives no CSRF protection and makes callbacks of different sign-ins indistinguishable", len(ts), a.Ref, b.Ref, s),
			Evidence:    []Evidence{p.Evidence(a, "first use of the state"), p.Evidence(b, "same state, different sign-in")},
			Remediation: "Generate a fresh, unguessable state for every sign-in."})
	}
}

// missingCookies returns the transient cookies the app set when starting
// t's sign-in that callback cb did not send, and the exchange that set them.
func missingCookies(a *Analysis, t *Transaction, cb *parse.Event) (*parse.Exchange, []setCookie) {
	if t.Authorize == nil || !traceHasCookies(a) {
		return nil, nil
	}
	start, set := loginStart(a, t.Authorize)
	if start == nil || len(set) == 0 {
		return nil, nil
	}
	have := map[string]bool{}
	for _, n := range cb.CookieNames {
		have[n] = true
	}
	var missing []setCookie
	for _, c := range set {
		if !have[c.name] {
			missing = append(missing, c)
		}
	}
	sort.SliceStable(missing, func(i, j int) bool { return missing[i].name < missing[j].name })
	return start, missing
}

func checkTransientCookies(p *Pass, t *Transaction) {
	for _, cb := range t.Callbacks {
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
		case cb.Delivery == "form_post" && (c.sameSite == "lax" || c.sameSite == "strict" || c.sameSite == ""):
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
		startEv := Evidence{Ref: start.Ref, Time: start.Start.UTC(), Method: start.Request.Method, URL: redactURL(start.Request.URL),
			Status: start.Status(), Note: "sign-in started; transient cookies set"}
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
			lib = parse.LibraryOfCookies(setNames)
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

// cookieName renders a cookie name for a finding. Apps put the state or
// another per-sign-in value in transient cookie names ("rp_pkce_<state>",
// ".AspNetCore.Correlation.<id>"): a known secret becomes its fingerprint and
// any other long random-looking part is elided.
func cookieName(name string, az *parse.Event) string {
	if az != nil {
		for _, sec := range []parse.Secret{az.State, az.Nonce} {
			if sec.Len() >= 6 && strings.Contains(name, sec.Reveal()) {
				name = strings.ReplaceAll(name, sec.Reveal(), "<"+sec.Fingerprint()+">")
			}
		}
	}
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '<' || r == '>' })
	for _, part := range parts {
		if len(part) >= 16 && !strings.HasPrefix(part, "sha256:") && looksRandom(part) {
			name = strings.ReplaceAll(name, part, "…")
		}
	}
	return name
}

// looksRandom reports a token that mixes letters and digits or cases, as
// generated identifiers do (and words do not).
func looksRandom(s string) bool {
	var lower, upper, digit bool
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit} {
		if b {
			n++
		}
	}
	return n >= 2
}

// sameRequest reports whether a redirect target is the authorize request the
// browser then made: same host and path, and the same state (browsers may
// re-encode a Location's query, so the strings need not be equal).
func sameRequest(target *url.URL, requested string, az *parse.Event) bool {
	if target.String() == requested {
		return true
	}
	ru, err := url.Parse(requested)
	if err != nil || !strings.EqualFold(target.Host, ru.Host) || target.Path != ru.Path {
		return false
	}
	st := target.Query().Get("state")
	return st != "" && parse.NewSecret(st).Equal(az.State)
}
