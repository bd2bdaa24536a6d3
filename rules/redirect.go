package rules

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/secret"
)

// RedirectURIMismatch: the token redirect_uri differs from the authorize
// one, or the provider rejected the redirect URI.
var RedirectURIMismatch = &Rule{
	ID:       "redirect-uri-mismatch",
	Title:    "redirect URI differs between requests or was rejected",
	Severity: Error,
	Doc: `Detects a token request whose redirect_uri is not byte-for-byte the redirect_uri
of the authorize request that issued the code (RFC 6749 §4.1.3), and a provider
that rejected the redirect URI: at authorize time with an error redirect or an
HTML error page (Entra AADSTS50011, AADSTS900971, AADSTS90102; B2C AADB2C90006
and AADB2C90007; Google "Error 400: redirect_uri_mismatch"; Okta "must be a
Login redirect URI"; Auth0 "Callback URL mismatch"; Keycloak "Invalid parameter:
redirect_uri"), or at token time (Google redirect_uri_mismatch, Keycloak
"Incorrect redirect_uri", Entra AADSTS70000 citing redirect_uri).

Evidence: both values and what differs between them — scheme (http behind a
TLS-terminating proxy), host, port, path, letter case, trailing slash,
percent-encoding — with the provider's trace and correlation ids.

Remediation: register exactly the URI the app sends (scheme, host, port, path,
case) or fix the app to send the registered value; send the identical
redirect_uri on the token request; behind a proxy honour X-Forwarded-Proto and
X-Forwarded-Host.`,
	Run: runRedirectMismatch,
}

const redirectRemediation = "Register exactly the URI the app sends (scheme, host, port, path, case) or fix the app to send the registered value; send the identical redirect_uri on the token request; behind a proxy honour X-Forwarded-Proto/X-Forwarded-Host."

func runRedirectMismatch(p *Pass) {
	reported := map[*model.Event]bool{}
	for _, t := range p.Transactions {
		// Authorize-time rejection.
		for _, e := range t.Errors() {
			if classOf(e) != catalog.ClassRedirectURI {
				continue
			}
			sent := ""
			f := Finding{Remediation: redirectRemediation}
			if t.Authorize != nil {
				sent = t.Authorize.RedirectURI()
				if t.Authorize.Exchange != e.Exchange {
					f.Evidence = append(f.Evidence, p.Evidence(t.Authorize, "authorize request"))
				}
			}
			f.Evidence = append(f.Evidence, p.Evidence(e, "provider rejected the redirect URI"))
			code := catalog.PrimaryCode(e.Err)
			if code == "" {
				code = e.Err.Error
			}
			msg := fmt.Sprintf("%s rejected the redirect URI", model.ProviderName(providerOf(t, e)))
			if sent != "" {
				msg += fmt.Sprintf(" %q", secret.RedactURL(sent))
			}
			if pv := providerOf(t, e); pv.Family == model.FamilyDex && e.Err.Description != "" && catalog.PrimaryCode(e.Err) == "" {
				// Dex's page names no error code: its words.
				msg += fmt.Sprintf(" at authorize time (its error page says %q)", e.Err.Description)
			} else if pv.Family == model.FamilyLemonLDAP && e.Err.Description != "" && strings.HasPrefix(e.Err.Error, "PE_") {
				// LemonLDAP::NG's portal page: its message and constant;
				// it checks the redirect URI only once the user has
				// signed in, so the refusal follows the login form.
				msg += fmt.Sprintf(" at authorize time, after the user signed in at its portal (its error page says %q, %s)", e.Err.Description, e.Err.Error)
			} else if pv.Family == model.FamilyDjangoOAuthToolkit && e.Err.Description != "" && catalog.PrimaryCode(e.Err) == "" {
				// django-oauth-toolkit asks the user to sign in before it
				// reads the request, then shows oauthlib's words on its
				// authorize page (HTTP 400) and does not redirect.
				msg += fmt.Sprintf(" at authorize time, once the user had signed in (its authorize page says %q, %s, and does not send the browser back to the app)", e.Err.Description, code)
			} else if pv.Family == model.FamilyGlewlwyd && e.Err.Error == "http_403" {
				// Glewlwyd's refusal says nothing: what it refuses so.
				msg += " at authorize time (403 with no body, Glewlwyd's answer to a redirect_uri the client does not list, and to an unknown or disabled client_id)"
			} else if cause := fositeCause(e.Err.Description); pv.Family == model.FamilyHydra && cause != "" {
				// Hydra's description opens with RFC 6749's sentence:
				// the cause is what follows.
				msg += fmt.Sprintf(" at authorize time (%s: %q)", code, cause)
			} else {
				msg += fmt.Sprintf(" at authorize time (%s)", code)
			}
			if echoed := oauth.EchoedRedirectURI(e.Err); echoed != "" && sent != "" && echoed != sent {
				msg += "; the error quotes " + fmt.Sprintf("%q", secret.RedactURL(echoed)) + ": " + ExplainURIDiff(sent, echoed)
			} else if sent != "" {
				if hint := uriHint(sent); hint != "" {
					msg += "; " + hint
				}
			}
			msg += "; it is not registered for client " + clientOf(t)
			if rp := rpSending(p.Analysis, t); rp != "" {
				msg += "; " + rp
			} else if note, kubelogin := loopbackSending(p.Analysis, t); note != "" {
				msg += "; " + note
				if kubelogin {
					f.sentBy = "kubelogin"
				}
			}
			f.Message = msg
			p.Report(f)
			reported[e] = true
		}
		// Token-time comparison.
		omittedOK := false // a redemption without redirect_uri succeeded
		for _, r := range t.Redemptions() {
			if r.Request.RedirectURI() == "" && r.Succeeded() {
				omittedOK = true
			}
		}
		for _, r := range t.Redemptions() {
			if t.Authorize == nil || t.Authorize.RedirectURI() == "" || r.Request.GrantType() == "interaction_code" {
				// Okta's interaction_code grant takes no redirect_uri: the
				// client sent it to /v1/interact alone.
				continue
			}
			want, got := t.Authorize.RedirectURI(), r.Request.RedirectURI()
			if got == want {
				continue
			}
			// An omitted redirect_uri explains a refusal only when nothing
			// else does: not when the provider names another cause (a
			// used or expired code, PKCE, client credentials), nor when it
			// accepted the omission in another redemption of the sign-in
			// (GitHub does not require it).
			if got == "" && (!r.Failed() || omittedOK || !omissionMayExplain(r.Class())) {
				continue
			}
			f := Finding{Code: r.Request.Code, Remediation: redirectRemediation, Evidence: []Evidence{
				p.Evidence(t.Authorize, "authorize request"),
			}}
			if c, ok := p.byCode[r.Request.Code]; ok && c.Issued != nil && c.Issued.Exchange != t.Authorize.Exchange {
				f.Evidence = append(f.Evidence, p.Evidence(c.Issued, "code issued to "+c.Issued.RedirectURI()))
			}
			f.Evidence = append(f.Evidence, p.RedemptionEvidence(r, "token request"))
			if got == "" {
				f.Message = fmt.Sprintf("the token request omits redirect_uri although the authorize request sent %q (RFC 6749 §4.1.3 requires the same value)", secret.RedactURL(want))
			} else {
				f.Message = fmt.Sprintf("token request redirect_uri %q differs from the authorize request's %q: %s", secret.RedactURL(got), secret.RedactURL(want), ExplainURIDiff(want, got))
			}
			if r.Succeeded() {
				f.Severity = Warning
				f.Message += "; the provider accepted it here, but strict providers refuse the code"
			}
			p.Report(f)
			if r.Response != nil {
				reported[r.Response] = true
			}
		}
	}
	// Token responses naming the redirect URI, not explained above.
	for _, rs := range [][]*Redemption{allRedemptions(p.Analysis)} {
		for _, r := range rs {
			if r.Response == nil || reported[r.Response] || r.Class() != catalog.ClassRedirectURI {
				continue
			}
			if r.Request.GrantType() != "" && r.Request.GrantType() != "authorization_code" {
				continue
			}
			f := Finding{Code: r.Request.Code, Remediation: redirectRemediation}
			if r.Tx != nil && r.Tx.Authorize != nil {
				f.Evidence = append(f.Evidence, p.Evidence(r.Tx.Authorize, "authorize request"))
			}
			f.Evidence = append(f.Evidence, p.RedemptionEvidence(r, "token request refused"))
			f.Message = fmt.Sprintf("%s refused the token request's redirect_uri %q (%s)",
				model.ProviderName(r.Request.Provider()), secret.RedactURL(r.Request.RedirectURI()), p.RedemptionEvidence(r, "").ErrorCode)
			if r.Tx == nil || r.Tx.Authorize == nil {
				f.Message += "; the authorize request is not in the trace, so the two values cannot be compared"
			}
			p.Report(f)
		}
	}
}

func providerOf(t *Transaction, e *model.Event) model.Provider {
	if t != nil && t.Authorize != nil {
		if p := t.Authorize.Provider(); p.Family != model.FamilyGeneric || e.Provider().Family == model.FamilyGeneric || e.Provider().Family == "" {
			return p
		}
		// The provider's answer named it where its URL did not (Dex's
		// error page on any host).
	}
	return e.Provider()
}

func clientOf(t *Transaction) string {
	if t != nil && t.Authorize != nil && t.Authorize.ClientID() != "" {
		return t.Authorize.ClientID()
	}
	return "(unknown client)"
}

// uriHint flags the common causes visible in one URI.
func uriHint(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "it is not a valid URI"
	}
	host := u.Hostname()
	switch {
	case u.Scheme == "http" && host != "localhost" && host != "127.0.0.1" && host != "::1":
		return "it uses http:// on a non-loopback host (an app behind a TLS-terminating proxy often builds http URIs)"
	case host == "0.0.0.0" || (!strings.Contains(host, ".") && host != "localhost" && host != ""):
		return "its host looks like a container or internal name"
	case u.RawQuery != "":
		return "it carries a query string, which must be registered too"
	}
	return ""
}

// ExplainURIDiff says how two redirect URIs differ: scheme, host, port,
// path, case, trailing slash, percent-encoding, query.
func ExplainURIDiff(want, got string) string {
	if want == got {
		return "identical"
	}
	if uw, err := url.QueryUnescape(got); err == nil && uw == want {
		return "the second is percent-encoded where the first is not (encoded one time too many)"
	}
	if uw, err := url.QueryUnescape(want); err == nil && uw == got {
		return "the first is percent-encoded where the second is not (decoded one time too many, or encoded one time too many)"
	}
	if strings.EqualFold(want, got) {
		return "they differ only in letter case (" + firstDiff(want, got) + "); providers compare redirect URIs case-sensitively"
	}
	a, errA := url.Parse(want)
	b, errB := url.Parse(got)
	if errA != nil || errB != nil {
		return "they differ at " + firstDiff(want, got)
	}
	var diffs []string
	if !strings.EqualFold(a.Scheme, b.Scheme) {
		diffs = append(diffs, fmt.Sprintf("scheme %s vs %s", a.Scheme, b.Scheme))
	}
	if !strings.EqualFold(a.Hostname(), b.Hostname()) {
		diffs = append(diffs, fmt.Sprintf("host %s vs %s", a.Hostname(), b.Hostname()))
	} else if a.Hostname() != b.Hostname() {
		diffs = append(diffs, "host letter case")
	}
	if pa, pb := portOf(a), portOf(b); pa != pb && (a.Port() != "" || b.Port() != "") {
		diffs = append(diffs, fmt.Sprintf("port %s vs %s", pa, pb))
	} else if a.Port() != b.Port() {
		diffs = append(diffs, "one spells the default port explicitly")
	}
	switch pa, pb := a.EscapedPath(), b.EscapedPath(); {
	case pa == pb:
	case strings.TrimSuffix(pa, "/") == strings.TrimSuffix(pb, "/"):
		diffs = append(diffs, "trailing slash")
	case strings.EqualFold(pa, pb):
		diffs = append(diffs, fmt.Sprintf("path letter case (%s vs %s)", pa, pb))
	case a.Path == b.Path:
		diffs = append(diffs, fmt.Sprintf("percent-encoding of the path (%s vs %s)", pa, pb))
	default:
		diffs = append(diffs, fmt.Sprintf("path %s vs %s", pa, pb))
	}
	if a.RawQuery != b.RawQuery {
		diffs = append(diffs, "query string")
	}
	if len(diffs) == 0 {
		return "they differ at " + firstDiff(want, got)
	}
	return strings.Join(diffs, ", ")
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return fmt.Sprintf("byte %d", i)
}

// omissionMayExplain reports the refusals a missing token redirect_uri can
// be the cause of: one naming the redirect URI, a bare invalid_grant, or an
// error the catalog does not know.
func omissionMayExplain(c catalog.ErrorClass) bool {
	return c == catalog.ClassRedirectURI || c == catalog.ClassGenericGrant || c == catalog.ClassNone
}

// rpSending says which relying party in front of the app sent the sign-in
// and where its redirect URI comes from, when the cookies its start set
// name one (mod_auth_openidc, oauth2-proxy); "" otherwise.
func rpSending(a *Analysis, t *Transaction) string {
	if t.Authorize == nil {
		return ""
	}
	start, set := loginStart(a, t.Authorize)
	if start == nil {
		return ""
	}
	var names []string
	for _, c := range set {
		names = append(names, c.name)
	}
	switch lib := oauth.LibraryOfCookies(names); {
	case strings.HasPrefix(lib, "mod_auth_openidc"):
		return fmt.Sprintf("the sign-in was started by Apache's mod_auth_openidc (its state cookie set at %s), which sends its OIDCRedirectURI", start.Ref)
	case strings.HasPrefix(lib, "oauth2-proxy"):
		return fmt.Sprintf("the sign-in was started by oauth2-proxy (its CSRF cookie set at %s), which sends its --redirect-url (without one, /oauth2/callback on the host the browser asked)", start.Ref)
	}
	return nodeAppSending(t, start, oauth.LibraryOfCookies(names))
}
