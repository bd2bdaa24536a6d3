package rules

import (
	"fmt"
	"strings"
)

// TokenRequestFailed: a token request that never got an answer.
var TokenRequestFailed = &Rule{
	ID:       "token-request-failed",
	Title:    "token request got no answer",
	Severity: Error,
	Doc: `Detects a token request the client sent but that never got an answer, as the
browser recorded it: a HAR entry with status 0 or -1 and the failure text Chrome
("_error", e.g. net::ERR_FAILED) or Playwright ("_failureText") writes. A
browser-side token POST fails this way when CORS blocks it (the token endpoint
does not allow the app's origin, or the preflight is refused), on a network
error, or when the page navigates away and aborts it; the sign-in then stops
with no error from the provider at all.

Evidence: the token request, its Origin and the failure text.

Remediation: for a browser app, register the redirect URI as a single-page
application (Entra: platform "spa") or add the app's origin to the provider's
allowed web origins (Auth0 "Allowed Web Origins", Okta "Trusted Origins" with
CORS, Keycloak client "Web origins"); do not navigate away while the token
request is in flight; or redeem the code server-side.`,
	Run: runTokenRequestFailed,
}

func runTokenRequestFailed(p *Pass) {
	for _, r := range allTokenRequests(p.Analysis) {
		req := r.Request
		if r.Response != nil || req.Failure() == "" {
			continue
		}
		if _, cors := CORSBlocked(r); cors {
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
