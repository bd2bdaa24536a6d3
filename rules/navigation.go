package rules

import (
	"strings"

	"github.com/traceaudit/traceaudit/model"
)

// navigationTx links a provider's answer that carries no state (a code
// issued to an app that sends none: Auth.js with its default PKCE check)
// to the sign-in whose pages the browser was on when it got it: the
// redirect's Referer is the provider page its navigation started from (the
// login form the user posted), and that sign-in's authorize request led
// the browser to that page through redirects. nil unless exactly one open
// sign-in at the provider's host matches: many providers show every
// sign-in one login page, which tells them apart no better than the
// latest-sign-in guess of txForIssue.
func (a *Analysis) navigationTx(ev *model.Event) *Transaction {
	ex := a.Exchange(ev)
	if ex == nil {
		return nil
	}
	page := model.WithoutQuery(ex.Referer())
	if page == "" {
		return nil
	}
	var found *Transaction
	for _, t := range a.Transactions {
		if t.Authorize == nil || len(t.Issued()) > 0 || len(t.Errors()) > 0 || len(t.Callbacks()) > 0 ||
			!strings.EqualFold(t.Authorize.Provider().Host, ev.Provider().Host) || !a.redirectsTo(t.Authorize, page) {
			continue
		}
		if found != nil {
			return nil
		}
		found = t
	}
	return found
}

// redirectsTo reports whether the answer to the authorize request az took
// the browser to page (a URL without its query) through at most eight
// redirects, each followed by the next request for its Location.
func (a *Analysis) redirectsTo(az *model.Event, page string) bool {
	ex := a.Exchange(az)
	for hop := 0; ex != nil && hop < 8; hop++ {
		loc := ex.Location()
		if loc == nil {
			return false
		}
		to := loc.String()
		if model.WithoutQuery(to) == page {
			return true
		}
		ex = a.nextRequestOf(ex, to)
	}
	return false
}

// nextRequestOf is the first exchange after ex, among the 50 kept next,
// that requests u; nil when none does.
func (a *Analysis) nextRequestOf(ex *Exchange, u string) *Exchange {
	_, at, ok := a.exchangeAt(ex.Index)
	if !ok {
		return nil
	}
	for i := at + 1; i < len(a.Kept) && i <= at+50; i++ {
		if next := a.Kept[i]; next != nil && next.URL() == u {
			return next
		}
	}
	return nil
}

// clearedForReplay names the transient cookies the sign-in's start set
// that the answer to the first delivery d1 deleted and the later delivery
// d2 did not carry: an app that keeps its check of the sign-in (state,
// PKCE verifier) in such a cookie (Auth.js's authjs.pkce.code_verifier)
// has nothing to check d2 against, and refuses it before any redemption.
// "" when the trace does not show all three.
func (a *Analysis) clearedForReplay(c *CodeTrail, d1, d2 *model.Event) string {
	if c.Tx == nil || c.Tx.Authorize == nil || !a.HasCookies {
		return ""
	}
	start, set := loginStart(a, c.Tx.Authorize)
	x1, x2 := a.Exchange(d1), a.Exchange(d2)
	if start == nil || x1 == nil || x2 == nil || !x1.Answered() {
		return ""
	}
	deleted := map[string]bool{}
	for _, sc := range x1.SetCookies() {
		if model.Expired(sc, x1.End()) {
			deleted[sc.Name] = true
		}
	}
	sent := map[string]bool{}
	for _, ck := range x2.Cookies() {
		sent[ck.Name] = true
	}
	var names []string
	for _, sc := range set {
		if deleted[sc.name] && !sent[sc.name] {
			names = append(names, sc.name)
		}
	}
	return strings.Join(names, ", ")
}
