package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// WrongEndpoint: a code redeemed at another tenant, cloud or policy than it
// was issued for, or a token endpoint called with GET.
var WrongEndpoint = &Rule{
	ID:       "wrong-endpoint",
	Title:    "code redeemed at a different tenant, cloud or endpoint",
	Severity: Error,
	Doc: `Detects a token request sent to another endpoint than the one that issued the
code: a different Microsoft Entra tenant path (/common vs /{tenant}, Entra answers
AADSTS700005), another cloud (login.microsoftonline.com vs .us or .cn), another
B2C policy, or another provider host; provider answers naming the tenant or
cloud (AADSTS90002 tenant not found, AADSTS50194 single-tenant app on /common,
AADSTS9001023 grant not supported on /common or /consumers, AADSTS700016 app not
found in the tenant, AADB2C90085 policy missing); and a token endpoint requested
with GET (AADSTS90056/900561), usually a back button or a pasted URL, which is
harmless.

Remediation: redeem the code at the same authority (host, tenant path, policy)
as the authorize request; use the tenant-specific endpoint for single-tenant
apps; register the app in the cloud it signs in to.`,
	Run: runWrongEndpoint,
}

func authority(p model.Provider) string {
	a := strings.ToLower(p.Host)
	if p.Tenant != "" {
		a += "/" + strings.ToLower(p.Tenant)
	}
	if p.Policy != "" {
		a += " (policy " + strings.ToLower(p.Policy) + ")"
	}
	return a
}

func runWrongEndpoint(p *Pass) {
	reported := map[*Redemption]bool{}
	for _, t := range p.Transactions {
		az := t.Authorize
		if az == nil {
			continue
		}
		for _, r := range t.Redemptions() {
			got, want := r.Request.Provider(), az.Provider()
			if got.Family == "generic" || want.Family == "generic" || got.Family != want.Family {
				continue // unknown layouts: hosts may legitimately differ (Google)
			}
			if want.Family == "google" || authority(got) == authority(want) {
				continue
			}
			f := Finding{Code: r.Request.Code, Evidence: []Evidence{p.Evidence(az, "authorize request"), p.RedemptionEvidence(r, "token request")},
				Message:     fmt.Sprintf("the code was issued by %s but redeemed at %s", authority(want), authority(got)),
				Remediation: "Redeem the code at the same authority (host, tenant path, policy) as the authorize request."}
			if r.Failed() {
				f.Message += fmt.Sprintf("; %s refused it (%s)", model.ProviderName(got), p.RedemptionEvidence(r, "").ErrorCode)
			} else if r.Succeeded() {
				f.Severity = Warning
				f.Message += "; the provider accepted it here (e.g. /common resolving to the same tenant), but this breaks for other accounts"
			}
			p.Report(f)
			reported[r] = true
		}
	}
	for _, r := range allTokenRequests(p.Analysis) {
		if reported[r] {
			continue
		}
		req := r.Request
		if req.Method() == "GET" {
			p.Report(Finding{Severity: Info,
				Message:     fmt.Sprintf("the token endpoint was requested with GET at %s (a back button, bookmark or pasted URL); token requests must be POSTs, and this one is harmless", req.Ref),
				Evidence:    []Evidence{p.RedemptionEvidence(r, "GET on the token endpoint")},
				Remediation: "Nothing to fix if the sign-in otherwise completed; never link to the token endpoint."})
			continue
		}
		if r.Class() != catalog.ClassTenant {
			continue
		}
		code := p.RedemptionEvidence(r, "").ErrorCode
		msg := fmt.Sprintf("%s refused the token request at %s (%s) because of the tenant, cloud or policy it was sent to", model.ProviderName(req.Provider()), req.Ref, code)
		remedy := "Use the tenant-specific endpoint for single-tenant apps, the same tenant path as the authorize request, and the cloud the app is registered in."
		if info, ok := catalog.Classify(r.Response.Err, req.Provider().Family); ok {
			if own := providerRemedy(info, ""); own != "" {
				// The provider's own words or code (AD FS's unknown
				// client_id) say what was wrong: not a tenant or cloud.
				msg = fmt.Sprintf("%s refused the token request at %s (%s)", model.ProviderName(req.Provider()), req.Ref, code)
				remedy = own
			}
			msg += ": " + info.Meaning
		}
		p.Report(Finding{Code: req.Code, Message: msg, Evidence: []Evidence{p.RedemptionEvidence(r, "token request refused")},
			Remediation: remedy})
	}
	// Authorize-time tenant and cloud errors.
	for _, t := range p.Transactions {
		for _, e := range t.Errors() {
			if classOf(e) != catalog.ClassTenant {
				continue
			}
			info, _ := catalog.Classify(e.Err, e.Provider().Family)
			code := catalog.PrimaryCode(e.Err)
			if code == "" {
				code = e.Err.Error // a provider without codes (Keycloak's page)
			}
			p.Report(Finding{
				Message:     fmt.Sprintf("%s refused the sign-in at %s (%s): %s", model.ProviderName(e.Provider()), e.Ref, code, info.Meaning),
				Evidence:    []Evidence{p.Evidence(e, "authorize error")},
				Remediation: providerRemedy(info, "Check the client_id, the tenant in the authority URL and the cloud host the app is registered in.")})
		}
	}
}

// providerRemedy is the remediation of an error the catalog knows by a
// provider's own words (Okta's "feature is not enabled", Keycloak's "Client
// not found."): it names that provider's setting, where the rule's own
// text is written for Entra's tenants and clouds. So are AD FS's MSIS
// codes, whose remedies are at AD FS (its application groups, endpoints):
// an unknown client_id is not a tenant or cloud to change. Entra's and
// B2C's codes keep the rule's text.
func providerRemedy(info catalog.ErrorInfo, ruleText string) string {
	if info.Remediation != "" && (info.Code == "" && info.Match != "" || strings.HasPrefix(info.Code, "MSIS")) {
		return info.Remediation
	}
	return ruleText
}

// InteractionRequired: silent requests that need the user.
var InteractionRequired = &Rule{
	ID:       "interaction-required",
	Title:    "silent sign-in needs user interaction",
	Severity: Info,
	Doc: `Reports silent requests (prompt=none, hidden iframes, refresh) that the provider
answered with login_required, interaction_required, consent_required or
account_selection_required, or Entra AADSTS50058 (no session), AADSTS65001
(consent), AADSTS50076/50079 (MFA), B2C AADB2C90077. These are expected answers: the app must
fall back to an interactive request. Third-party-cookie blocking (Safari ITP,
Brave, Chrome's tracking protection) makes every silent iframe renewal answer
login_required; when the trace proves it (an iframe's prompt=none request,
Sec-Fetch-Dest: iframe, sent none of the provider's session cookies that a
top-level request to the same host carried or received), the finding says so
and gives that cause's remedies.

Remediation: fall back to an interactive (top-level redirect or popup) request;
grant admin consent or assign the user; satisfy MFA or Conditional Access. For
blocked third-party cookies: renew with refresh tokens (authorization code with
PKCE) instead of the hidden iframe, serve the provider from a custom domain on the
app's site, or allow the provider's cookies.`,
	Run: runInteractionRequired,
}

// runInteractionRequired reports one finding per answer kind. A hidden
// iframe's silent renewal the trace proves third-party cookie blocking
// failed (thirdPartyCookieBlock) is reported apart, with that cause and its
// remedies.
func runInteractionRequired(p *Pass) {
	type hit struct {
		ev   *model.Event
		code string
	}
	var hits []hit
	var blocked []cookieBlock
	for _, t := range p.Transactions {
		for _, e := range t.Errors() {
			if classOf(e) == catalog.ClassInteraction {
				if b, ok := thirdPartyCookieBlock(p, t, e); ok {
					blocked = append(blocked, b)
					continue
				}
				code := catalog.PrimaryCode(e.Err)
				if code == "" {
					code = e.Err.Error
				}
				hits = append(hits, hit{e, code})
			}
		}
	}
	for _, r := range allTokenRequests(p.Analysis) {
		if r.Class() == catalog.ClassInteraction {
			hits = append(hits, hit{r.Response, p.RedemptionEvidence(r, "").ErrorCode})
		}
	}
	reportCookieBlocks(p, blocked)
	if len(hits) == 0 {
		return
	}
	// One finding per answer kind: a renewal loop answers the same many times.
	byCode := map[string][]hit{}
	var order []string
	for _, h := range hits {
		if _, ok := byCode[h.code]; !ok {
			order = append(order, h.code)
		}
		byCode[h.code] = append(byCode[h.code], h)
	}
	for _, code := range order {
		hs := byCode[code]
		first := hs[0].ev
		info, _ := catalog.Classify(first.Err, first.Provider().Family)
		f := Finding{Remediation: "Fall back to an interactive (top-level redirect or popup) request; grant consent or assign the user; satisfy MFA or Conditional Access."}
		f.Message = fmt.Sprintf("%s answered %d silent request(s) with %s (first at %s): %s", model.ProviderName(first.Provider()), len(hs), code, first.Ref, info.Meaning)
		for i, h := range hs {
			if i == 3 {
				break
			}
			f.Evidence = append(f.Evidence, p.Evidence(h.ev, "needs interaction"))
		}
		p.Report(f)
	}
}

// cookieBlock is a silent renewal in a frame whose provider session
// cookies the browser kept back: the frame's request, its answer, and the
// earlier top-level request that shows the cookies existed.
type cookieBlock struct {
	req, answer, top *model.Event
	code             string
}

// thirdPartyCookieBlock reports whether the trace proves that the silent
// renewal t answered with e failed for blocked third-party cookies: t's
// authorize request asked prompt=none and loaded in a frame
// (Sec-Fetch-Dest), e is login_required or interaction_required, and an
// earlier top-level (not framed) request to the same provider host sent
// cookies none of which the frame's request sent, or had cookies set
// while the frame's request sent none. A trace whose cookies were removed
// (a sanitized HAR export) shows none anywhere, and proves nothing.
func thirdPartyCookieBlock(p *Pass, t *Transaction, e *model.Event) (cookieBlock, bool) {
	a := t.Authorize
	if a == nil || a.Prompt() != "none" || a.Dest() != model.DestFrame || e.Err == nil {
		return cookieBlock{}, false
	}
	if code := e.Err.Error; code != "login_required" && code != "interaction_required" {
		return cookieBlock{}, false
	}
	host := hostOfURL(a.Endpoint())
	if host == "" {
		return cookieBlock{}, false
	}
	sent := a.CookieNames()
	for _, o := range p.Transactions {
		top := o.Authorize
		if top == nil || top == a || top.Dest() == model.DestFrame || !top.Time.Before(a.Time) ||
			!strings.EqualFold(hostOfURL(top.Endpoint()), host) {
			continue
		}
		if names := top.CookieNames(); len(names) > 0 && !sharesAny(names, sent) ||
			top.AnswerSetCookie() && len(sent) == 0 {
			code := catalog.PrimaryCode(e.Err)
			if code == "" {
				code = e.Err.Error
			}
			return cookieBlock{req: a, answer: e, top: top, code: code}, true
		}
	}
	return cookieBlock{}, false
}

func sharesAny(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// reportCookieBlocks reports the silent renewals third-party cookie
// blocking failed: one finding for all of them (a renewal loop repeats the
// same), with the first three as evidence and the top-level request that
// shows the session existed.
func reportCookieBlocks(p *Pass, bs []cookieBlock) {
	if len(bs) == 0 {
		return
	}
	first := bs[0]
	why := "sent cookies"
	if len(first.top.CookieNames()) == 0 {
		why = "had cookies set"
	}
	f := Finding{
		Message: fmt.Sprintf("%s answered %d silent renewal(s) in a hidden iframe with %s (first at %s) because the provider's session cookies were not sent in the third-party context: the frame's request (prompt=none, Sec-Fetch-Dest: iframe) carried none of them while the top-level request at %s %s; the browser blocks third-party cookies (Safari ITP, Firefox ETP, Chrome's third-party cookie phase-out, Edge strict)",
			model.ProviderName(first.req.Provider()), len(bs), first.code, first.answer.Ref, first.top.Ref, why),
		Remediation: "Renew with refresh tokens instead of the hidden iframe (MSAL.js 2 or later, auth code + PKCE with a refresh token in the SPA; oidc-client-ts and the Auth0 SPA SDK can use refresh tokens too), serve the provider from a custom domain on the app's site so its cookies are first-party, or ask users to allow third-party cookies for the provider.",
	}
	f.Evidence = append(f.Evidence, p.Evidence(first.top, "top-level request with the provider's cookies"))
	for i, b := range bs {
		if i == 3 {
			break
		}
		if b.req.Ref != b.answer.Ref {
			f.Evidence = append(f.Evidence, p.Evidence(b.req, "silent renewal in an iframe, sent without the provider's cookies"))
		}
		f.Evidence = append(f.Evidence, p.Evidence(b.answer, "silent renewal in an iframe without the provider's cookies: needs interaction"))
	}
	p.Report(f)
}
