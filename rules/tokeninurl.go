package rules

import (
	"fmt"
	"strings"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// TokenInURL: tokens in URLs (implicit flow, access_token query parameters).
var TokenInURL = &Rule{
	ID:       "token-in-url",
	Title:    "tokens travel in URLs",
	Severity: Warning,
	Doc: `Detects access, ID and refresh tokens in URLs, where browser history, server and
proxy logs and Referer headers keep them: the implicit or hybrid flow returning
tokens in the redirect's query or fragment (response_type containing "token"),
and requests that pass access_token, id_token or refresh_token as a query
parameter. RFC 9700 says clients should not use the implicit flow and should not
put tokens in URLs.

Remediation: use the authorization code flow with PKCE (response_type=code) and
send access tokens in the Authorization header.`,
	Run: runTokenInURL,
}

func runTokenInURL(p *Pass) {
	for _, t := range p.Transactions {
		for _, ci := range t.Issued() {
			if ci.AccessToken().IsZero() && ci.IDToken().IsZero() {
				continue
			}
			if ci.Delivery() == "form_post" || ci.Delivery() == "post_message" {
				continue // a POST body or a page's script, not a URL
			}
			var kinds []string
			if !ci.AccessToken().IsZero() {
				kinds = append(kinds, "an access token")
			}
			if !ci.IDToken().IsZero() {
				kinds = append(kinds, "an ID token")
			}
			f := Finding{
				Message: fmt.Sprintf("%s returned %s in the redirect URL's %s at %s (implicit or hybrid flow)",
					model.ProviderName(ci.Provider()), strings.Join(kinds, " and "), ci.Delivery(), ci.Ref),
				Remediation: "Use the authorization code flow with PKCE (response_type=code); if an ID token must come from the authorize endpoint, use response_mode=form_post.",
			}
			if t.Authorize != nil && t.Authorize.Exchange != ci.Exchange {
				f.Evidence = append(f.Evidence, p.Evidence(t.Authorize, "authorize request (response_type "+t.Authorize.ResponseType()+")"))
			}
			f.Evidence = append(f.Evidence, p.Evidence(ci, "tokens in the redirect URL"))
			p.Report(f)
		}
	}
	reportURLTokens(p)
}

// urlToken is one token value and every request whose URL carries it.
type urlToken struct {
	param     string
	value     secret.Secret
	exchanges []*Exchange
	endpoints map[string]bool
	wopi      bool
}

// reportURLTokens gives one finding per token value, counting every URL
// that carries it, whatever its endpoint.
func reportURLTokens(p *Pass) {
	byValue := map[secret.Secret]*urlToken{}
	var order []*urlToken
	for _, ex := range p.Kept {
		if ex == nil || ex.Tunnel || !ex.MayHaveURLTokens() {
			continue
		}
		u := ex.URL()
		for _, tok := range secret.URLTokens(u) {
			if tok.In != "query" {
				continue // browsers do not send fragments; implicit-flow redirects are reported above
			}
			t, ok := byValue[tok.Value]
			if !ok {
				t = &urlToken{param: tok.Param, value: tok.Value, endpoints: map[string]bool{}}
				byValue[tok.Value] = t
				order = append(order, t)
			}
			if n := len(t.exchanges); n == 0 || t.exchanges[n-1] != ex {
				t.exchanges = append(t.exchanges, ex)
			}
			base, _, _ := strings.Cut(u, "?")
			t.endpoints[base] = true
			t.wopi = t.wopi || isWOPI(u)
		}
	}
	for _, t := range order {
		first := t.exchanges[0]
		f := Finding{}
		for i, ex := range t.exchanges {
			if i == 3 {
				break
			}
			f.Evidence = append(f.Evidence, p.ExchangeEvidence(ex, t.param+" in the query"))
		}
		if last := t.exchanges[len(t.exchanges)-1]; len(t.exchanges) > 3 {
			f.Evidence = append(f.Evidence, p.ExchangeEvidence(last, fmt.Sprintf("last of %d requests with this token", len(t.exchanges))))
		}
		what := map[string]string{"access_token": "access token", "id_token": "ID token", "refresh_token": "refresh token"}[t.param]
		f.Message = fmt.Sprintf("%s %s is passed as %s in the URL query of %d request(s) to %d endpoint(s) (first at %s); URLs end up in browser history, server and proxy logs and Referer headers",
			what, t.value, t.param, len(t.exchanges), len(t.endpoints), first.Ref)
		if t.wopi {
			// WOPI puts the token in the URL by design: the advice is how
			// to live with that, and it is not a defect of the sign-in.
			f.Severity = Info
			f.Message += "; this is the WOPI protocol, which puts the access token in the URL by design"
			f.Remediation = "WOPI passes the access token in the URL by design: keep it scoped to one file and user and short-lived (access_token_ttl), serve these URLs over HTTPS only, strip access_token from proxy and server logs, and keep it out of Referer headers (Referrer-Policy: no-referrer)."
		} else {
			f.Remediation = "Send access tokens in the Authorization header (Bearer), never in the URL. Where a design must put a token in a URL (file-access protocols such as WOPI, pre-signed links), make it short-lived and scoped to that one resource, strip it from logs and keep it out of Referer (Referrer-Policy: no-referrer)."
		}
		p.Report(f)
	}
}

// isWOPI recognises a WOPI request (Office for the web's file protocol,
// which passes access_token and access_token_ttl in the query).
func isWOPI(raw string) bool {
	low := strings.ToLower(raw)
	return strings.Contains(low, "/wopi/") || strings.Contains(low, "access_token_ttl") || strings.Contains(low, "wopisrc")
}
