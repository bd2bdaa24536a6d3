package rules

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/traceaudit/traceaudit/parse"
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

var urlTokenParams = []string{"access_token", "id_token", "refresh_token"}

func runTokenInURL(p *Pass) {
	for _, t := range p.Transactions {
		for _, ci := range t.Issued {
			if ci.AccessToken.IsZero() && ci.IDToken.IsZero() {
				continue
			}
			if ci.Delivery == "form_post" {
				continue // a POST body, not a URL
			}
			var kinds []string
			if !ci.AccessToken.IsZero() {
				kinds = append(kinds, "an access token")
			}
			if !ci.IDToken.IsZero() {
				kinds = append(kinds, "an ID token")
			}
			f := Finding{
				Message: fmt.Sprintf("%s returned %s in the redirect URL's %s at %s (implicit or hybrid flow)",
					parse.ProviderName(ci.Provider), strings.Join(kinds, " and "), ci.Delivery, ci.Ref),
				Remediation: "Use the authorization code flow with PKCE (response_type=code); if an ID token must come from the authorize endpoint, use response_mode=form_post.",
			}
			if t.Authorize != nil && t.Authorize.Exchange != ci.Exchange {
				f.Evidence = append(f.Evidence, p.Evidence(t.Authorize, "authorize request (response_type "+t.Authorize.ResponseType+")"))
			}
			f.Evidence = append(f.Evidence, p.Evidence(ci, "tokens in the redirect URL"))
			p.Report(f)
		}
	}
	// Query parameters on any request, grouped by endpoint.
	type group struct {
		param string
		refs  []*parse.Exchange
	}
	groups := map[string]*group{}
	var keys []string
	for _, ex := range p.Exchanges {
		if ex == nil || ex.Tunnel {
			continue
		}
		u, err := url.Parse(ex.Request.URL)
		if err != nil || u.RawQuery == "" {
			continue
		}
		q := u.Query()
		for _, name := range urlTokenParams {
			if q.Get(name) == "" || parse.IsPlaceholder(parse.NewSecret(q.Get(name))) {
				continue
			}
			u2 := *u
			u2.RawQuery = ""
			key := name + " " + u2.String()
			g, ok := groups[key]
			if !ok {
				g = &group{param: name}
				groups[key] = g
				keys = append(keys, key)
			}
			g.refs = append(g.refs, ex)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		f := Finding{Remediation: "Send access tokens in the Authorization header (Bearer), never in the URL."}
		for i, ex := range g.refs {
			if i == 3 {
				break
			}
			f.Evidence = append(f.Evidence, Evidence{Ref: ex.Ref, Time: ex.Start.UTC(), Method: ex.Request.Method,
				URL: parse.RedactURL(ex.Request.URL), Status: ex.Status(), Note: g.param + " in the query"})
		}
		f.Message = fmt.Sprintf("%d request(s) pass %s in the URL query (first at %s); URLs end up in history, logs and Referer headers",
			len(g.refs), g.param, g.refs[0].Ref)
		p.Report(f)
	}
}
