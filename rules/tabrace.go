package rules

import (
	"fmt"
	"net/url"
	"strings"
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
different sign-in than its code, one code redeemed by both, one sign-in's code
delivered but never redeemed while the other's is redeemed twice (both tabs
handed their code over through one shared storage slot), or the first
sign-in's callback failing (PKCE mismatch AADSTS50148/501481, an app error,
"state mismatch", "Correlation failed") after the second one overwrote the
shared transient state (state, nonce, verifier cookies or storage), or the
provider refusing the first sign-in at its own step (a state-class error at the
callback) after the second sign-in's authorize answer replaced the cookie the
provider had set for the first (Ory Hydra's login CSRF cookie, one per client).
Captures and SAZ files have no tabs: sign-ins are told apart by state, code
and PKCE.

It also reports a grant replaced by the second sign-in (medium confidence):
the first sign-in's code, issued before the second's and redeemed after it,
refused with a bare invalid_grant while the second succeeded and nothing else
explains the refusal — providers that bind codes to the grant revoke the
outstanding code when the same browser session signs in again for the client.

It does not fire on legitimate parallel traffic: silent prompt=none renewals in
hidden iframes, or one sign-in per tab that each complete cleanly.

Remediation: key state/nonce/verifier storage per transaction (suffix by
state), do not start a login from background or prefetch requests, and on a
state mismatch restart sign-in once instead of showing an error.`,
	Run: runTabRace,
}

func runTabRace(p *Pass) {
	for _, x := range p.Crossings {
		a, b := x.A, x.B
		f := Finding{Remediation: x.Remediation(), Confidence: x.Confidence, Code: x.Code, Mechanism: x.Mechanism, providerSlot: x.ProviderCookie != "", Evidence: []Evidence{
			p.Evidence(a.Authorize, fmt.Sprintf("sign-in #%d started", a.ID)),
			p.Evidence(b.Authorize, fmt.Sprintf("sign-in #%d started before #%d completed", b.ID, a.ID)),
		}}
		if !x.Code.IsZero() {
			f.Evidence = append(f.Evidence, p.CodeStory(x.Code, x.Evidence)...)
		}
		f.Evidence = append(f.Evidence, x.Evidence...)
		f.Message = fmt.Sprintf("two sign-ins for client %s overlapped in one browser (%s and %s) and crossed: %s",
			a.Authorize.ClientID(), a.Authorize.Ref, b.Authorize.Ref, x.Why)
		if c := p.trailOf(x.Code); c != nil {
			// The app's refusal of the crossed code's callback, in its
			// library's words when the page names them.
			for _, cb := range c.Deliveries {
				if cb.Refusal() == nil {
					continue
				}
				if failed, how := callbackFailed(p.Analysis, cb); failed {
					if !strings.Contains(f.Message, how) { // the proof may quote it already
						f.Message += fmt.Sprintf("; the app refused the callback at %s (%s)", cb.Ref, how)
					}
					f.refusedBy = cb.Refusal().Library
					break
				}
			}
		}
		if note := raceLibraryNote(a.Library()); note != "" && x.Mechanism == MechMultiTab {
			f.Message += "; " + note
		}
		if s := authJSCrossedCookie(p.Analysis, x); s != "" && x.Mechanism == MechMultiTab {
			f.Message += "; " + s
		}
		if start, _ := loginStart(p.Analysis, b.Authorize); start != nil {
			if res := subresource(start.URL()); res != "" {
				// No tab: the page's own resource met the sign-in.
				f.Message += fmt.Sprintf("; sign-in #%d was not a user's: the app answered the browser's request for %s at %s, a resource of a page rather than a page, with a redirect to sign in", b.ID, res, start.Ref)
				f.Evidence = append(f.Evidence, p.ExchangeEvidence(start, fmt.Sprintf("sign-in #%d started by a resource request", b.ID)))
			}
		}
		p.Report(f)
	}
}

// subresource is the path of a URL that names a resource of a page (an
// icon, an image, a style sheet, a script, a font) rather than a page,
// "" otherwise: a sign-in such a request starts is the browser's, not a
// user's.
func subresource(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	path := strings.ToLower(u.Path)
	for _, ext := range []string{".ico", ".png", ".gif", ".jpg", ".jpeg", ".svg", ".webp", ".css", ".js", ".mjs", ".woff", ".woff2", ".ttf", ".map"} {
		if strings.HasSuffix(path, ext) {
			return u.Path
		}
	}
	return ""
}
