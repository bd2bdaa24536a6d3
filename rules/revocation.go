package rules

import (
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
)

// LogoutStoppedAtRevocation: a single-page app's sign-out that revoked a
// token from the page and went no further.
var LogoutStoppedAtRevocation = &Rule{
	ID:       "logout-stopped-at-revocation",
	Title:    "sign-out stopped at the token revocation",
	Severity: Error,
	Doc: `Detects a sign-out that a browser page began by revoking a token (RFC 7009: a POST to the
provider's revocation endpoint with the page's Origin, as oidc-client-ts does with
revokeTokensOnSignout and angular-oauth2-oidc with revokeTokenAndLogout) and that went no
further: no request to the provider's end-session endpoint (RP-Initiated Logout) follows,
so the provider's session survives and the next sign-in is answered without a login page
("sign-out does nothing"). Where the trace shows why, the finding says which:

- the revocation's answer is one the page's library refuses: oidc-client-ts accepts only
  application/json (and the types of its revokeTokenAdditionalContentTypes setting), and a
  provider may answer 200 with no body and another Content-Type (oidc-provider: text/plain),
  which RFC 7009 allows; mechanism content-type;
- the provider refused the revocation (an error status); mechanism error-status;
- the page could not read the answer: it lacks an Access-Control-Allow-Origin for the
  page's origin, or the browser recorded the request failed as it records a CORS refusal;
  mechanism cors; or it got no answer at all (a network error, an abort); mechanism
  no-answer;
- the revocation succeeded and the app stopped there (a warning); mechanism revoke-only.

A library's own error (oidc-client-ts: "Invalid response Content-Type") is in the page's
console, not in a HAR: the finding names the answer and the library's documented check,
not the error. What tells a sign-out that stopped from a trace that ends while it is under
way: a library the trace names (its requests) that stops on that answer, or the trace going
on for at least 2 s after the answer without an end-session request. A revocation from a
server (no Origin), one followed by the end-session request, the app's own sign-out route,
a new sign-in or a use of a token, a refresh token revoked before any sign-in of the
trace, and Google's revocation (Google has no end-session endpoint) are not reported.

Evidence: the revocation (its answer's status, Content-Type and
Access-Control-Allow-Origin), the sign-in that names the library, and where the trace
goes on.

Remediation: make the revocation endpoint answer the page's origin with CORS
(Access-Control-Allow-Origin) and 200 application/json, or have the app call the
end-session endpoint whatever the revocation's outcome (revocation is best effort). For
oidc-client-ts: revokeTokenAdditionalContentTypes: ["text/plain"] (the type the provider
sends), or no revokeTokensOnSignout; catch signoutRedirect's rejection.`,
	Run: runLogoutStoppedAtRevocation,
}

// Mechanisms of logout-stopped-at-revocation.
const (
	MechRevokeContentType Mechanism = "content-type"
	MechRevokeError       Mechanism = "error-status"
	MechRevokeCORS        Mechanism = "cors"
	MechRevokeNoAnswer    Mechanism = "no-answer"
	MechRevokeOnly        Mechanism = "revoke-only"
)

// revokeSettle is how long the trace must go on after a revocation's
// answer, without an end-session request, to show that the sign-out
// stopped there: a library sends the browser to the end-session endpoint
// as soon as its revocations are answered (milliseconds), and a trace that
// ends sooner may have been stopped while the sign-out was under way.
const revokeSettle = 2 * time.Second

func runLogoutStoppedAtRevocation(p *Pass) {
	// The trace's steps in source order: the sign-out steps and what shows
	// a sign-in or a token in use.
	var evs []*model.Event
	for ev := range p.events() {
		switch ev.Kind {
		case model.AuthorizeRequest, model.Callback, model.TokenRequest, model.TokenResponse, model.APICall:
			evs = append(evs, ev)
		default:
			if ev.Kind.IsSignOut() {
				evs = append(evs, ev)
			}
		}
	}
	sortSource(evs)
	for i, rv := range evs {
		if rv.Kind != model.Revocation || !fromPage(rv) || rv.Provider().Family == model.FamilyGoogle || !lastSignOutStep(evs, i) {
			continue
		}
		if !signedInBefore(evs[:i]) && rv.SignOut().TokenTypeHint != "access_token" {
			// A refresh token revoked before any sign-in of the trace:
			// the app's clean-up at start, not a sign-out.
			continue
		}
		reportStoppedRevocation(p, rv, evs[:i])
	}
}

// fromPage reports a request the browser's JavaScript sent (an Origin),
// not a server's.
func fromPage(ev *model.Event) bool {
	return ev.Origin() != "" && ev.Origin() != "null"
}

// lastSignOutStep reports that nothing follows the revocation at i but
// other revocations of the same page (oidc-client-ts revokes the access
// token, then the refresh token) ending with this one: no end-session
// request, app sign-out, front-channel logout, sign-in or token use.
func lastSignOutStep(evs []*model.Event, i int) bool {
	for _, e := range evs[i+1:] {
		if e.Kind == model.Revocation && e.Origin() == evs[i].Origin() {
			return false // the later revocation is the last step
		}
		if e.Kind != model.Revocation {
			return false
		}
	}
	return true
}

// signedInBefore reports a sign-in or a token in use before a step: the
// session a sign-out would end.
func signedInBefore(evs []*model.Event) bool {
	for _, e := range evs {
		switch {
		case e.Kind == model.TokenResponse && e.Err == nil && e.Status >= 200 && e.Status < 300,
			e.Kind == model.Callback && !e.Code.IsZero(),
			e.Kind == model.APICall && e.Status >= 200 && e.Status < 300:
			return true
		}
	}
	return false
}

// revocationAnswer is what the trace shows of a revocation's answer: the
// mechanism it points to (MechRevokeOnly for an answer a page reads and a
// library takes) and the sentence that says so.
func revocationAnswer(rv *model.Event, lib string) (Mechanism, string) {
	so := rv.SignOut()
	prov := model.ProviderName(rv.Provider())
	cross := !sameOrigin(rv.Origin(), rv.Endpoint())
	switch {
	case rv.Status <= 0:
		f := strings.ToLower(rv.Failure())
		switch {
		case cross && (strings.Contains(f, "err_failed") || strings.Contains(f, "cors") || strings.Contains(f, "access control") || strings.Contains(f, "access-control")):
			return MechRevokeCORS, fmt.Sprintf("the browser recorded the revocation as failed (%q), as it records a CORS refusal: the page never saw an answer", rv.Failure())
		case rv.Failure() != "":
			return MechRevokeNoAnswer, fmt.Sprintf("the revocation got no answer (the browser recorded %q)", rv.Failure())
		}
		return MechRevokeNoAnswer, "the revocation has no answer in the trace"
	case rv.Status >= 400:
		s := fmt.Sprintf("%s refused the revocation with HTTP %d", prov, rv.Status)
		if rv.Err != nil && !rv.Err.IsZero() && !strings.HasPrefix(rv.Err.Error, "http_") {
			s += " (" + quoteErr(rv.Err) + ")"
		}
		return MechRevokeError, s
	case cross && rv.FetchMode() == "cors" && so.AllowOrigin != "*" && !strings.EqualFold(so.AllowOrigin, rv.Origin()):
		if so.AllowOrigin == "" {
			return MechRevokeCORS, fmt.Sprintf("%s answered the revocation HTTP %d without an Access-Control-Allow-Origin header, so the browser withheld the answer from the page at %s and its request failed", prov, rv.Status, rv.Origin())
		}
		return MechRevokeCORS, fmt.Sprintf("%s answered the revocation HTTP %d with Access-Control-Allow-Origin %q, not the page's origin %s, so the browser withheld the answer from the page and its request failed", prov, rv.Status, so.AllowOrigin, rv.Origin())
	case rv.Status < 300 && so.ContentType != "" && !jsonType(so.ContentType):
		if lib == oauth.OIDCClientTS {
			return MechRevokeContentType, fmt.Sprintf("%s answered the revocation HTTP %d with Content-Type %q, not application/json, and oidc-client-ts refuses a revocation answer of any type but application/json and those of its revokeTokenAdditionalContentTypes setting (its error, \"Invalid response Content-Type\", stays in the page: no trace holds it)", prov, rv.Status, so.ContentType)
		}
		return MechRevokeContentType, fmt.Sprintf("%s answered the revocation HTTP %d with Content-Type %q, not application/json: RFC 7009 allows it, but a library that checks for JSON (oidc-client-ts does) refuses it", prov, rv.Status, so.ContentType)
	}
	return MechRevokeOnly, fmt.Sprintf("%s accepted the revocation (HTTP %d)", prov, rv.Status)
}

// jsonType reports a JSON media type (application/json, or a +json one).
func jsonType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// pageLibrary is the client library the trace's sign-in requests of the
// revocation's client name (oidc-client-ts by its verifier and its
// authorize query), and the event that names it; "" when none does. The
// page's own token request (same Origin) comes first: the verifier that
// names it keeps its shape in a redacted copy, the authorize request's
// state does not.
func pageLibrary(before []*model.Event, rv *model.Event) (string, *model.Event) {
	var az *model.Event
	for _, e := range before {
		if e.Library() == "" || rv.ClientID() != "" && e.ClientID() != "" && e.ClientID() != rv.ClientID() {
			continue
		}
		switch {
		case e.Kind == model.TokenRequest && e.Origin() == rv.Origin():
			return e.Library(), e
		case e.Kind == model.AuthorizeRequest && az == nil:
			az = e
		}
	}
	if az != nil {
		return az.Library(), az
	}
	return "", nil
}

// goesOn is the first exchange of the trace that starts revokeSettle or
// more after the revocation's answer, nil when the trace ends sooner or
// could not read all of its traffic (an end-session request may hide in
// what it could not read).
func goesOn(p *Pass, rv *model.Event) *Exchange {
	for _, n := range p.Notes {
		switch n.Kind {
		case model.NoteTLSNoKeys, model.NoteTLSNoHandshake, model.NoteTLSAuthFailed, model.NoteTLSUnsupported, model.NoteTLSNotDecrypted,
			model.NoteTLSGap, model.NoteTLSPartialKeys, model.NoteGap:
			return nil
		}
	}
	ex, pos, ok := p.exchangeAt(rv.Exchange)
	if !ok {
		return nil
	}
	end := ex.End()
	if end.IsZero() {
		end = ex.Start
	}
	for _, x := range p.Kept[pos+1:] {
		if x != nil && !x.Start.IsZero() && x.Start.Sub(end) >= revokeSettle {
			return x
		}
	}
	return nil
}

func reportStoppedRevocation(p *Pass, rv *model.Event, before []*model.Event) {
	lib, named := pageLibrary(before, rv)
	mech, why := revocationAnswer(rv, lib)
	// What shows the sign-out stopped here rather than the trace ending
	// while it was under way.
	libStops := lib == oauth.OIDCClientTS && mech != MechRevokeOnly
	later := goesOn(p, rv)
	if !libStops && later == nil {
		return
	}
	prov := rv.Provider()
	token := "a token"
	if h := rv.SignOut().TokenTypeHint; h != "" {
		token = "the " + strings.ReplaceAll(h, "_", " ")
	}
	if !rv.SignOut().Token.IsZero() {
		token += " " + rv.SignOut().Token.String()
	}
	msg := fmt.Sprintf("the sign-out stopped at the token revocation: the page at %s revoked %s at %s and no logout request to %s's end-session endpoint follows",
		rv.Origin(), token, rv.Ref, model.ProviderName(prov))
	if later != nil {
		msg += fmt.Sprintf(", though the trace goes on to %s, %s after the answer", later.Ref, fmtDuration(later.Start.Sub(answerEnd(p, rv))))
	}
	msg += "; " + why
	f := Finding{Mechanism: mech, Confidence: ConfidenceHigh}
	switch {
	case libStops:
		msg += "; with revokeTokensOnSignout, oidc-client-ts's signoutRedirect awaits the revocation and rejects when it fails, before it sends the browser to the end-session endpoint, so the user stays signed in at the provider"
	case mech == MechRevokeOnly:
		f.Severity, f.Confidence = Warning, ConfidenceMedium
		msg += "; the app revoked the token and went no further, so the provider's session survives: the next sign-in is answered without a login page"
	default:
		f.Confidence = ConfidenceMedium
		msg += "; the app went no further, so the provider's session survives: the next sign-in is answered without a login page"
	}
	f.Message = msg
	f.Evidence = []Evidence{p.Evidence(rv, "token revocation from the page, the sign-out's last step")}
	f.Evidence[0].Param = revocationParam(rv, mech)
	if named != nil {
		f.Evidence = append(f.Evidence, p.Evidence(named, "the page's sign-in, sent by "+lib))
	}
	if later != nil {
		f.Evidence = append(f.Evidence, p.ExchangeEvidence(later, "the trace goes on, no end-session request"))
	}
	f.Remediation = revocationRemedy(mech, lib, rv, prov)
	p.Report(f)
}

// answerEnd is when the revocation's answer ended (its start without one).
func answerEnd(p *Pass, rv *model.Event) time.Time {
	if ex := p.Exchange(rv); ex != nil && !ex.End().IsZero() {
		return ex.End()
	}
	return rv.Time
}

// revocationParam is the fact of the answer that proves the mechanism.
func revocationParam(rv *model.Event, m Mechanism) string {
	so := rv.SignOut()
	switch m {
	case MechRevokeContentType:
		return "Content-Type: " + so.ContentType
	case MechRevokeCORS:
		if rv.Status > 0 {
			return "Access-Control-Allow-Origin: " + orDefault(so.AllowOrigin, "(absent)") + " (Origin: " + rv.Origin() + ")"
		}
		return "failure: " + rv.Failure()
	case MechRevokeNoAnswer:
		return "failure: " + orDefault(rv.Failure(), "(no answer)")
	case MechRevokeError:
		return fmt.Sprintf("status %d", rv.Status)
	}
	return "token_type_hint=" + orDefault(so.TokenTypeHint, "(none)")
}

func revocationRemedy(m Mechanism, lib string, rv *model.Event, prov model.Provider) string {
	endSession := "send the browser to " + endSessionOf(prov) + " with id_token_hint and a registered post_logout_redirect_uri"
	if lib == oauth.OIDCClientTS {
		switch m {
		case MechRevokeContentType:
			return fmt.Sprintf("Either let oidc-client-ts take the provider's answer: revokeTokenAdditionalContentTypes: [%q] in the UserManager's settings, or make the provider answer its revocation endpoint with Content-Type: application/json, or drop revokeTokensOnSignout. And catch signoutRedirect's rejection so that a failed revocation does not end the sign-out: then %s (or call signoutRedirect from a UserManager without revokeTokensOnSignout).",
				mediaType(rv.SignOut().ContentType), endSession)
		case MechRevokeCORS:
			return fmt.Sprintf("Make the provider's revocation endpoint answer CORS for the app's origin %s (Access-Control-Allow-Origin on the answer and the preflight; the client's allowed web origins), or drop revokeTokensOnSignout; and catch signoutRedirect's rejection so that a failed revocation does not end the sign-out: then %s.", rv.Origin(), endSession)
		default:
			return fmt.Sprintf("Find why the provider refused or did not answer the revocation (its logs for the client and time), or drop revokeTokensOnSignout; and catch signoutRedirect's rejection so that a failed revocation does not end the sign-out: then %s.", endSession)
		}
	}
	switch m {
	case MechRevokeOnly:
		return fmt.Sprintf("After revoking the tokens, end the provider's session too: %s (RP-Initiated Logout; oidc-client-ts: signoutRedirect; angular-oauth2-oidc: revokeTokenAndLogout). Revoking a token does not end the provider's session.", endSession)
	case MechRevokeCORS:
		return fmt.Sprintf("Make the revocation endpoint answer CORS for the app's origin %s (Access-Control-Allow-Origin; the client's allowed web origins) and JSON per RFC 7009, and have the app call the end-session endpoint whatever the revocation's outcome (revocation is best effort): %s.", rv.Origin(), endSession)
	}
	return fmt.Sprintf("Make the revocation endpoint answer the page with 200 application/json (RFC 7009) and CORS for its origin, and have the app call the end-session endpoint whatever the revocation's outcome (revocation is best effort): %s.", endSession)
}

// mediaType is a Content-Type without its parameters.
func mediaType(ct string) string {
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return strings.TrimSpace(strings.Split(ct, ";")[0])
}
