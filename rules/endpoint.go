package rules

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
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
		az   *model.Event // the silent request's authorize request, or nil
		lib  string       // the client library its transaction names
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
				hits = append(hits, hit{e, code, t.Authorize, t.Library()})
			}
		}
	}
	for _, r := range allTokenRequests(p.Analysis) {
		if r.Class() == catalog.ClassInteraction {
			hits = append(hits, hit{r.Response, p.RedemptionEvidence(r, "").ErrorCode, nil, r.Request.Library()})
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
		// The OAuth error, not the code: Entra's login_required comes as
		// AADSTS50058, its interaction_required as AADSTS50076 and others.
		if lib, az := hs[0].lib, hs[0].az; az != nil && silentLibraryRemedy(lib, false) != "" && silentLibraryError(first.Err.Error) {
			f.Message += fmt.Sprintf("; %s made it (%s)", lib, silentHow(az))
			f.Remediation = silentLibraryRemedy(lib, false) + " " + f.Remediation
		}
		if az := hs[0].az; az != nil && az.Prompt() == "none" {
			if x, ok := expiredRefresh(p, az); ok {
				f.Message += refreshClause(x, hs[0].lib)
				f.Remediation = refreshExpiredRemedy(hs[0].lib, az.Provider()) + " " + f.Remediation
			}
		}
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

// rtExpiry is a refresh token a silent renewal stood in for: the token
// response that issued it with a refresh_token_expires_in, that lifetime,
// and its age at the renewal.
type rtExpiry struct {
	resp      *model.Event
	life, age time.Duration
}

// msalRefreshOffset is the part of a refresh token's life MSAL.js keeps
// back (msal-common's DEFAULT_REFRESH_TOKEN_EXPIRATION_OFFSET_SECONDS): it
// does not send one with less left, and renews without it.
const msalRefreshOffset = 300 * time.Second

// expiredRefresh finds the refresh token a silent renewal req was made
// without: the last token response before req that issued one with a
// refresh_token_expires_in, for req's client, when no refresh request
// followed it before req and its lifetime was over at req's time (for
// MSAL.js, within the 5 minutes it keeps back). Entra gives a single-page
// app's refresh token 24 hours from the sign-in, which no renewal extends:
// past them MSAL.js renews only in the hidden iframe.
func expiredRefresh(p *Pass, req *model.Event) (rtExpiry, bool) {
	var last *model.Event
	for _, r := range allTokenRequests(p.Analysis) {
		if r.Request.Exchange >= req.Exchange {
			break
		}
		if c := req.ClientID(); c != "" && r.Request.ClientID() != "" && r.Request.ClientID() != c {
			continue
		}
		if r.Request.GrantType() == "refresh_token" {
			last = nil // sent: a refusal is the refresh rules' story
		}
		if x := r.Response; x != nil && x.Exchange < req.Exchange && !x.RefreshToken().IsZero() && x.RefreshExpiresIn() > 0 {
			last = x
		}
	}
	if last == nil || last.Time.IsZero() || req.Time.IsZero() {
		return rtExpiry{}, false
	}
	x := rtExpiry{resp: last, life: time.Duration(last.RefreshExpiresIn()) * time.Second, age: req.Time.Sub(last.Time)}
	left := x.life - x.age
	if x.age < 0 || left > 0 && !(strings.HasPrefix(req.Library(), "MSAL.js") && left < msalRefreshOffset) {
		return rtExpiry{}, false
	}
	return x, true
}

// refreshClause says why a silent renewal was made without the refresh
// token the trace shows the app had.
func refreshClause(x rtExpiry, lib string) string {
	if strings.HasPrefix(lib, "MSAL.js") {
		return fmt.Sprintf("; %s did not send the refresh token issued at %s: the provider gave it %s (refresh_token_expires_in) and it was %s old, so MSAL.js (which keeps back a refresh token with under 5 minutes left) renewed in the hidden iframe instead",
			lib, x.resp.Ref, fmtDuration(x.life), fmtDuration(x.age))
	}
	return fmt.Sprintf("; the refresh token issued at %s had expired (refresh_token_expires_in %s, issued %s before this renewal)", x.resp.Ref, fmtDuration(x.life), fmtDuration(x.age))
}

// refreshExpiredRemedy is the remedy for a renewal made in the iframe
// because the refresh token's fixed lifetime was over.
func refreshExpiredRemedy(lib string, prov model.Provider) string {
	r := "The refresh token had reached the end of its lifetime (refresh_token_expires_in): past it the only silent renewal is the hidden iframe, which needs the provider's session cookies. Expect an interactive sign-in when it ends:"
	if prov.Family == model.FamilyEntra {
		r = "The refresh token had reached the end of its lifetime (Entra gives a single-page app's refresh token 24 hours from the sign-in, which no renewal extends; one sent after it is refused with AADSTS700084): past it the only silent renewal is the hidden iframe, which needs the provider's session cookies. Expect one interactive sign-in a day:"
	}
	if strings.HasPrefix(lib, "MSAL.js") {
		return r + " catch InteractionRequiredAuthError from acquireTokenSilent and call acquireTokenRedirect (or acquireTokenPopup) with the same request."
	}
	return r + " on login_required start an interactive (top-level redirect or popup) sign-in."
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
	because := "the browser blocks third-party cookies (Safari ITP, Firefox ETP, Chrome's third-party cookie phase-out, Edge strict)"
	// cookies is what lets the iframe see the session, for a renewal that
	// has no refresh token left to renew with.
	cookies := "With third-party cookies blocked the iframe cannot see the session: serve the provider from a custom domain on the app's site, or ask users to allow the provider's cookies."
	remedy := "Renew with refresh tokens instead of the hidden iframe (MSAL.js 2 or later, auth code + PKCE with a refresh token in the SPA; oidc-client-ts and the Auth0 SPA SDK can use refresh tokens too), serve the provider from a custom domain on the app's site so its cookies are first-party, or ask users to allow third-party cookies for the provider."
	if names := sameSiteSession(p, first.req); len(names) > 0 {
		// Cookies SameSite=Lax or Strict stay out of a cross-site frame in
		// every browser: no browser setting explains or fixes it.
		because = fmt.Sprintf("the provider set them SameSite=Lax or Strict (%s), which no browser sends in a cross-site frame", strings.Join(names, ", "))
		remedy = "The provider's session cookies are SameSite=Lax or Strict, so its hidden-iframe renewal (prompt=none) cannot work from another site in any browser. Renew with the refresh token instead, serve the provider on the app's site, or have the provider set its session cookies SameSite=None; Secure (browsers blocking third-party cookies still keep those back)."
		cookies = "The provider's session cookies are SameSite=Lax or Strict, which no browser sends in a cross-site frame: serve the provider on the app's site, or have it set them SameSite=None; Secure."
	}
	lib := first.req.Library()
	rt, expired := expiredRefresh(p, first.req)
	if expired {
		// The refresh token it would have renewed with was over: renewing
		// with refresh tokens is what failed, not a way out.
		remedy = refreshExpiredRemedy(lib, first.req.Provider()) + " " + cookies
	} else if lr := silentLibraryRemedy(lib, true); lr != "" {
		remedy += " " + lr
	}
	f := Finding{
		Message: fmt.Sprintf("%s answered %d silent renewal(s) in a hidden iframe with %s (first at %s) because the provider's session cookies were not sent in the third-party context: the frame's request (prompt=none, Sec-Fetch-Dest: iframe) carried none of them while the top-level request at %s %s; %s",
			model.ProviderName(first.req.Provider()), len(bs), first.code, first.answer.Ref, first.top.Ref, why, because),
		Remediation: remedy,
	}
	f.Evidence = append(f.Evidence, p.Evidence(first.top, "top-level request with the provider's cookies"))
	if expired {
		f.Message += refreshClause(rt, lib)
		// After the top-level request that started the session, before
		// the renewal: the evidence in time order.
		f.Evidence = append(f.Evidence, p.Evidence(rt.resp, "refresh token issued with refresh_token_expires_in"))
	}
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

// silentLibraryError reports the OAuth errors a library's silent call
// rejects with as its interaction-required error (MSAL.js's
// InteractionRequiredAuthError, oidc-client-ts's ErrorResponse).
func silentLibraryError(oauthErr string) bool {
	return oauthErr == "login_required" || oauthErr == "interaction_required" || oauthErr == "consent_required"
}

// silentHow says how a silent request was made: in a hidden iframe
// (Sec-Fetch-Dest) with prompt=none, or with prompt=none alone.
func silentHow(e *model.Event) string {
	if e.Dest() == model.DestFrame {
		return "prompt=none in a hidden iframe"
	}
	return "prompt=" + e.Prompt()
}

// silentLibraryRemedy says, in a single-page app library's own API, what
// to do when its silent renewal needs the user: "" for other libraries.
// renewal tells a renewal of a sign-in (the user had signed in) from a
// silent sign-in attempted first.
func silentLibraryRemedy(lib string, renewal bool) string {
	switch {
	case strings.HasPrefix(lib, "MSAL.js"):
		if renewal {
			return "MSAL.js renews with the refresh token first and falls back to the hidden iframe only when it has none or the provider refused it; acquireTokenSilent then rejects with InteractionRequiredAuthError (login_required): catch it and call acquireTokenRedirect (or acquireTokenPopup) with the same request."
		}
		return "MSAL.js's ssoSilent and acquireTokenSilent reject with InteractionRequiredAuthError (login_required) when the provider has no session it can see: catch it and call loginRedirect or acquireTokenRedirect (or their Popup forms); call ssoSilent only when a session at the provider is likely."
	case lib == oauth.OIDCClientTS:
		if renewal {
			return "oidc-client-ts's signinSilent uses the refresh token when the user has one (ask offline_access, or the provider's equivalent) and the hidden iframe on silent_redirect_uri otherwise; it rejects with an ErrorResponse whose error is login_required: catch it (events.addSilentRenewError with automaticSilentRenew) and call signinRedirect."
		}
		return "oidc-client-ts's signinSilent (the hidden iframe on silent_redirect_uri, prompt=none) rejects with an ErrorResponse whose error is login_required when the provider has no session it can see: catch it and call signinRedirect (or signinPopup)."
	}
	return ""
}

// sameSiteSession returns the names of the cookies the provider's host
// had set, on path /, before the silent request req, when every one of
// them is SameSite=Lax or Strict (the last Set-Cookie of each name, cookies
// deleted or expired left out); nil otherwise or when none was set.
func sameSiteSession(p *Pass, req *model.Event) []string {
	host := hostOfURL(req.Endpoint())
	last := map[string]*http.Cookie{}
	var order []string
	for _, x := range p.Kept {
		if x == nil || x.Index >= req.Exchange || !strings.EqualFold(hostOfURL(x.URL()), host) {
			continue
		}
		for _, c := range x.SetCookies() {
			if c.Path != "" && c.Path != "/" {
				continue
			}
			if _, seen := last[c.Name]; !seen {
				order = append(order, c.Name)
			}
			last[c.Name] = c
			if model.Expired(c, x.End()) {
				last[c.Name] = nil
			}
		}
	}
	var names []string
	for _, n := range order {
		c := last[n]
		if c == nil {
			continue
		}
		if c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode {
			return nil
		}
		names = append(names, n)
	}
	return names
}
