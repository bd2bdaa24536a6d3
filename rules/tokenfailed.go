package rules

import (
	"fmt"
	"strconv"
	"strings"
)

// TokenRequestFailed: a token request that got no token response.
var TokenRequestFailed = &Rule{
	ID:       "token-request-failed",
	Title:    "token request got no token response",
	Severity: Error,
	Doc: `Detects a token request the client sent that got no token response: either
no answer at all, as the browser recorded it (a HAR entry with status 0 or -1
and the failure text Chrome ("_error", e.g. net::ERR_FAILED) or Playwright
("_failureText") writes), or an answer that is not one: an HTML page with no
provider error in it, or a redirect, where a token endpoint answers JSON. A
browser-side token POST fails the first way when CORS blocks it (the token
endpoint does not allow the app's origin, or the preflight is refused), on a
network error, or when the page navigates away and aborts it; the second way
when a proxy's block page, an access gateway's sign-in or a wrong token
endpoint URL answers in the provider's place. The sign-in then stops with no
error from the provider at all.

Evidence: the token request, its Origin and the failure text; or the answer's
status and what it was (the page's visible text, the redirect's target without
its query).

Remediation: for a browser app, register the redirect URI as a single-page
application (Entra: platform "spa") or add the app's origin to the provider's
allowed web origins (Auth0 "Allowed Web Origins", Okta "Trusted Origins" with
CORS, Keycloak client "Web origins"); do not navigate away while the token
request is in flight; or redeem the code server-side. For a page or a
redirect, find what answered in the token endpoint's place: let the token
endpoint through the proxy or exempt it from the gateway's sign-in, or correct
the token endpoint URL the app is configured with.`,
	Run: runTokenRequestFailed,
}

func runTokenRequestFailed(p *Pass) {
	for _, r := range allTokenRequests(p.Analysis) {
		req := r.Request
		if pageAnswer(r) {
			reportPageAnswer(p, r)
			continue
		}
		if r.Response != nil || req.Failure() == "" {
			continue
		}
		if _, cors := CORSBlocked(p.Analysis, r); cors {
			continue // spa-cross-origin reports it
		}
		f := Finding{Code: req.Code, Evidence: []Evidence{p.Evidence(req, "token request without an answer: "+req.Failure())}}
		if c := p.trailOf(req.Code); c != nil {
			f.Evidence = append(p.CodeStory(req.Code, f.Evidence), f.Evidence...)
		}
		what := "the token request"
		if req.GrantType() == "refresh_token" {
			what = "the refresh token request"
		}
		f.Message = fmt.Sprintf("%s at %s got no answer: the browser recorded %q", what, req.Ref, req.Failure())
		switch {
		case strings.Contains(req.Failure(), "ABORTED") || strings.Contains(strings.ToLower(req.Failure()), "abort"):
			f.Message += ": the request was aborted (the page navigated away or the app cancelled it) before the provider answered; whether the code was redeemed is unknown"
			f.Remediation = "Wait for the token response before navigating away from the callback page; if the request may have reached the provider, restart the sign-in instead of retrying with the same code."
		default:
			f.Message += ": a network error ended it before any answer; whether the provider received it is unknown"
			f.Remediation = "Check the network path to the token endpoint (proxy, DNS, TLS inspection) and restart the sign-in rather than retrying with the same code."
		}
		p.Report(f)
	}
}

// pageAnswer reports a token request answered, with a success status, by
// an HTML page the extractor found no provider error in: its error is then
// only the status ("http_200"), set because a page is no token response.
func pageAnswer(r *Redemption) bool {
	resp := r.Response
	return resp != nil && resp.Status >= 200 && resp.Status < 400 && resp.Err != nil &&
		resp.Err.Error == "http_"+strconv.Itoa(resp.Status) && len(resp.Err.Codes) == 0
}

func reportPageAnswer(p *Pass, r *Redemption) {
	req := r.Request
	f := Finding{Code: req.Code, Evidence: []Evidence{p.RedemptionEvidence(r, "token request answered by a page")}}
	if c := p.trailOf(req.Code); c != nil {
		f.Evidence = append(p.CodeStory(req.Code, f.Evidence), f.Evidence...)
	}
	what := "the token request"
	if req.GrantType() == "refresh_token" {
		what = "the refresh token request"
	}
	answer := fmt.Sprintf("an HTML page (HTTP %d)", r.Response.Status)
	if r.Response.Status >= 300 {
		answer = fmt.Sprintf("a redirect (HTTP %d%s)", r.Response.Status, strings.TrimPrefix(r.Response.Err.Description, "a redirect, not a token response"))
	}
	f.Message = fmt.Sprintf("%s at %s was answered with %s, not a token response: no tokens were issued; a proxy, a gateway's sign-in or block page, or a wrong token endpoint URL answered instead of the provider's token endpoint",
		what, req.Ref, answer)
	if d := strings.TrimPrefix(r.Response.Err.Description, "an HTML page, not a token response: "); d != r.Response.Err.Description {
		if len(d) > 120 {
			d = d[:120] + "…"
		}
		f.Message += fmt.Sprintf(" (the page says %q)", d)
	}
	f.Remediation = "Find what answered in the token endpoint's place: send the token request to the endpoint of the provider's discovery document, and exempt it from TLS inspection, proxy authentication and web gateways; then restart the sign-in."
	p.Report(f)
}
