package rules

import (
	"fmt"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// CodeExpired: a code redeemed later than its provider allows, or rejected
// as expired.
var CodeExpired = &Rule{
	ID:       "code-expired",
	Title:    "authorization code redeemed after its lifetime",
	Severity: Error,
	Doc: `Detects an authorization code rejected as expired (Entra AADSTS70008 on an
authorization_code grant, "The authorization code has expired", Okta "invalid or
has expired"), and a code redeemed later than its provider keeps it: Entra and
AD FS about 10 minutes, Okta and Keycloak 60 seconds, Amazon Cognito 5 minutes,
others 10 minutes (RFC 6749). --code-lifetime replaces these figures.

Time runs from the provider's answer that issued the code (or, when that is not
in the trace, the callback that delivered it) to the token request, on the
provider's Date headers when both carry one, else on the capture clock.

A bare invalid_grant is attributed to expiry by elimination: the code was not
redeemed before, the redirect_uri and PKCE verifier match, and the delay is over
the lifetime (confidence high) or unusually long (medium). When the delay is
short but the app paused seconds between the callback and the redemption while
its other steps took milliseconds (an interstitial page, a queued job), expiry
under a short configured lifetime is the remaining explanation: a warning with
low confidence that asks to confirm the provider's code lifetime and pass it
with --code-lifetime.

A refusal as expired far inside the provider's documented lifetime (Entra
AADSTS70008 seconds after issue) is reported with low confidence: the code was
most likely issued earlier than the trace shows (a replayed, bookmarked or
restored callback URL, a code of another session) or a clock is off.

Remediation: redeem the code immediately in the callback request; do not queue
it, defer it to another service or hand-carry it (Postman, curl); check the
server clock (NTP).`,
	Run: runCodeExpired,
}

func runCodeExpired(p *Pass) {
	for _, c := range p.Codes {
		for i, r := range c.Redemptions {
			checkExpiry(p, c, i, r)
		}
	}
}

func checkExpiry(p *Pass, c *CodeTrail, idx int, r *Redemption) {
	life := p.RedemptionLifetime(r)
	from, fromRole := issuedEvent(c)
	delay, basis, known := Elapsed(from, r.Request)
	cls := r.Class()
	name := model.ProviderName(r.Request.Provider())

	if r.Succeeded() || (r.Response == nil && !(known && delay > life.Expired)) {
		return // the common case: nothing to report, build no evidence
	}
	f := Finding{Code: c.Code, Remediation: fmt.Sprintf(
		"Redeem the code immediately in the callback request; %s allows about %s (%s). Do not queue or defer the redemption, or hand-carry codes (Postman/curl); check the server clock (NTP).",
		name, fmtDuration(life.Expired), life.Source)}
	delayText := ""
	if known {
		delayText = fmt.Sprintf(" %s after it was %s (%s)", fmtDuration(delay), fromRole, basis)
	}

	f.Mechanism = MechSlowRedemption
	switch {
	case cls == catalog.ClassCodeExpired && r.Request.GrantType() != "refresh_token":
		f.Message = fmt.Sprintf("%s rejected authorization code %s as expired (%s); it was redeemed%s", name, c.Code,
			p.RedemptionEvidence(r, "").ErrorCode, orUnknown(delayText))
		f.Confidence = "high"
		if known && delay < life.Suspicious && p.CodeLifetime == 0 {
			// Far inside the documented lifetime: expiry is the provider's
			// word, but the clock says something else happened.
			f.Confidence, f.Mechanism = "low", MechIssuedEarlier
			f.Message += fmt.Sprintf(", far inside the about %s %s allows (%s): the code was most likely issued earlier than this trace shows (a replayed, bookmarked or restored callback URL, or a code from another session), or a clock is off (the provider's, or the capture's)",
				fmtDuration(life.Expired), name, life.Source)
			f.Remediation = "Check where the code came from: a callback URL opened again from history, a bookmark or a restored tab carries an old code (start a new sign-in instead), and a code copied from another session is not this one. Compare the provider's sign-in log for this code (trace and correlation ids) with the trace's times, and check the clocks (NTP) of the app server and the capture machine."
		}
	case r.Failed() && (cls == catalog.ClassCodeInvalid || cls == catalog.ClassGenericGrant || unclassified(r)):
		// By elimination: not reused, same redirect_uri, matching PKCE.
		if idx > 0 || len(c.Deliveries) > 1 || redirectDiffers(r) || pkceFails(r) || !known || p.CrossingOf(c) != nil {
			return
		}
		var judgement string
		switch {
		case delay > life.Expired:
			f.Confidence = "high"
			judgement = fmt.Sprintf("beyond the %s lifetime (%s)", fmtDuration(life.Expired), life.Source)
		case delay > life.Suspicious:
			f.Confidence = "medium"
			judgement = fmt.Sprintf("longer than codes commonly live (%s; many providers allow only 60 s)", life.Source)
		default:
			pause, ok := p.PauseBeforeRedemption(c, r)
			if !ok {
				return
			}
			f.Confidence, f.Severity, f.Mechanism = "low", Warning, MechShortLifetime
			f.Message = fmt.Sprintf("%s refused authorization code %s with %s %s after it was %s (%s), inside the lifetime this provider usually allows (%s), and nothing else explains the refusal (not reused, same redirect_uri, PKCE consistent); but the app paused %s between the callback at %s and the redemption at %s while its other steps took %s: if this provider is configured with a code lifetime of a few seconds, the code expired during that pause",
				name, c.Code, p.RedemptionEvidence(r, "").ErrorCode, fmtDuration(delay), fromRole, basis, life.Source,
				fmtDuration(pause.Pause), pause.Callback.Ref, r.Request.Ref, fmtDuration(pause.Others))
			where := "its client or realm settings"
			switch r.Request.Provider().Family {
			case model.FamilyDjangoOAuthToolkit:
				where = "django-oauth-toolkit's AUTHORIZATION_CODE_EXPIRE_SECONDS in the Django site's OAUTH2_PROVIDER settings, 60 by default"
			case model.FamilyGlewlwyd:
				where = "Glewlwyd's administration app: Parameters, Plugins, the OpenID Connect plugin, Code duration (code-duration, seconds)"
			case model.FamilyLemonLDAP:
				where = "LemonLDAP::NG Manager: OpenID Connect Relying Parties, the relying party, Options, Timeouts, Authorization Code expiration; else General Parameters, Issuer modules, OpenID Connect, Security, Authorization Code expiration"
			}
			f.Remediation = fmt.Sprintf("Confirm the provider's configured authorization code lifetime (%s) and run again with --code-lifetime set to it; then redeem the code in the callback request itself, before any interstitial page, consent screen or queued job: a pause of %s between callback and redemption is enough to lose a code that lives a few seconds.", where, fmtDuration(pause.Pause))
			f.Evidence = append(f.Evidence, p.Evidence(from, "code "+fromRole), p.Evidence(pause.Callback, "code delivered to the app"),
				p.RedemptionEvidence(r, fmt.Sprintf("redemption %s later", fmtDuration(pause.Pause))))
			p.Report(f)
			return
		}
		if unclassified(r) {
			// The answer does not even name the grant: one notch less sure.
			f.Confidence = map[Confidence]Confidence{ConfidenceHigh: ConfidenceMedium, ConfidenceMedium: ConfidenceLow}[f.Confidence]
		}
		if f.Confidence == "low" {
			f.Severity = Warning
		}
		f.Message = fmt.Sprintf("%s refused authorization code %s with %s; it was redeemed%s, %s, and nothing else explains the refusal (not reused, same redirect_uri, PKCE consistent)",
			name, c.Code, p.RedemptionEvidence(r, "").ErrorCode, delayText, judgement)
	case r.Response == nil && known && delay > life.Expired:
		f.Message = fmt.Sprintf("authorization code %s was redeemed%s, beyond %s's %s lifetime; the response is not in the trace",
			c.Code, delayText, name, fmtDuration(life.Expired))
		f.Confidence = "medium"
		f.Severity = Warning
	default:
		return
	}
	if from != nil {
		f.Evidence = append(f.Evidence, p.Evidence(from, "code "+fromRole))
	}
	f.Evidence = append(f.Evidence, p.RedemptionEvidence(r, "redemption"))
	p.Report(f)
}

func orUnknown(s string) string {
	if s == "" {
		return " at an unknown time after issue (the trace lacks the issuing response's time)"
	}
	return s
}
