package oauth

import (
	"net/url"
	"strconv"
	"strings"

	xhtml "golang.org/x/net/html"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Sign-out: the steps of ending a session, read as the sign-in's are.
//
//   - A logout request (model.LogoutRequest) to the provider's end-session
//     endpoint: OpenID Connect RP-Initiated Logout 1.0 (id_token_hint,
//     post_logout_redirect_uri, state, client_id, logout_hint, ui_locales),
//     in each provider's layout (signOutEndpoint), at an end_session_endpoint
//     a discovery document named, or on any host by the parameters only an
//     end-session request carries (id_token_hint, post_logout_redirect_uri).
//   - The provider's redirect once the user is signed out
//     (model.LogoutReturn): to the post-logout redirect URI with the state,
//     or to a page of its own; from the logout request's answer, or from a
//     later answer of the same host (a confirmation page's POST).
//   - The app's own sign-out URL (model.AppLogout) on the host of a redirect
//     URI the trace's authorize requests named.
//   - A front-channel logout (model.FrontChannelLogout): the app's URI
//     loaded with iss and sid.
//   - A token revocation (model.Revocation, RFC 7009).

// signOutEP is what kind of sign-out endpoint a URL is.
type signOutEP uint8

const (
	soNone signOutEP = iota
	soLogout
	soRevoke
)

// signOutEndpoint says whether u is a provider's end-session or revocation
// endpoint by the provider's own layout.
func signOutEndpoint(u *url.URL, p model.Provider) signOutEP {
	lp := strings.ToLower(strings.TrimSuffix(u.Path, "/"))
	suffix := func(ss ...string) bool {
		for _, s := range ss {
			if strings.HasSuffix(lp, s) {
				return true
			}
		}
		return false
	}
	switch p.Family {
	case model.FamilyEntra, model.FamilyADFS:
		if suffix("/oauth2/v2.0/logout", "/oauth2/logout") {
			return soLogout
		}
	case model.FamilyGoogle:
		// Google has no end-session endpoint: an app signs out by
		// revoking the token.
		if lp == "/revoke" || lp == "/o/oauth2/revoke" {
			return soRevoke
		}
	case model.FamilyOkta:
		switch {
		case suffix("/v1/logout"):
			return soLogout
		case suffix("/v1/revoke"):
			return soRevoke
		}
	case model.FamilyAuth0:
		switch lp {
		case "/v2/logout", "/oidc/logout":
			return soLogout
		case "/oauth/revoke":
			return soRevoke
		}
	case model.FamilyKeycloak:
		switch {
		case suffix("/protocol/openid-connect/logout"):
			return soLogout
		case suffix("/protocol/openid-connect/revoke"):
			return soRevoke
		}
	case model.FamilyCognito:
		switch lp {
		case "/logout":
			return soLogout
		case "/oauth2/revoke":
			return soRevoke
		}
	case model.FamilyPing:
		switch {
		case suffix("/idp/startslo.ping", "/as/signoff"):
			return soLogout
		case suffix("/as/revoke_token.oauth2", "/as/revoke"):
			return soRevoke
		}
	case model.FamilyOneLogin:
		switch {
		case suffix("/oidc/2/logout"):
			return soLogout
		case suffix("/oidc/2/token/revocation"):
			return soRevoke
		}
	case model.FamilyForgeRock:
		switch {
		case suffix("/connect/endsession"):
			return soLogout
		case suffix("/token/revoke"):
			return soRevoke
		}
	case model.FamilySalesforce:
		switch {
		case suffix("/services/auth/idp/oidc/logout"):
			return soLogout
		case suffix("/services/oauth2/revoke"):
			return soRevoke
		}
	case model.FamilyGitHub, model.FamilyDex, model.FamilyGeneric, model.FamilyApp:
		// GitHub and Dex have neither; the others are read by the
		// endpoints learnt and by their parameters.
	}
	return soNone
}

// genericRevokePath reports a path that looks like a revocation endpoint of
// an unrecognised server (fosite's /oauth2/revoke, oidc-provider's
// /token/revocation, Spring Authorization Server's /oauth2/revoke).
func genericRevokePath(path string) bool {
	lp := strings.ToLower(strings.TrimSuffix(path, "/"))
	return strings.HasSuffix(lp, "/revoke") || strings.HasSuffix(lp, "/revocation") || strings.HasSuffix(lp, "/revoke_token")
}

// appLogoutPath reports a path whose last segment is an app's sign-out
// route. ASP.NET Core's /signout-oidc (front-channel) and
// /signout-callback-oidc (the post-logout redirect URI) are not: they are
// the provider's calls back.
func appLogoutPath(path string) bool {
	seg := strings.ToLower(strings.TrimSuffix(path, "/"))
	if i := strings.LastIndexByte(seg, '/'); i >= 0 {
		seg = seg[i+1:]
	}
	switch seg {
	case "logout", "signout", "sign-out", "log-out", "logoff", "log-off", "sign_out", "log_out", "signoff":
		return true
	}
	return false
}

// Keys only a sign-out request carries: an exchange on an unknown host
// holding one is read (see quiet).
var signOutKeys = [...]string{"id_token_hint", "post_logout_redirect_uri", "logout_hint", "sid"}

// quietKeys are the gate keys and the sign-out keys: quiet looks for them
// in one pass over a request's query and body.
var quietKeys = append(append([]string(nil), gateKeys[:]...), signOutKeys[:]...)

// maySignOut reports, cheaply, that an exchange quiet would drop may be a
// sign-out step by where it goes: an end-session or revocation endpoint
// learnt or a path like one, the host of a pending logout, or a sign-out
// route of the app's host. (One carrying a sign-out key quiet finds with
// the gate keys: quietKeys.)
func (x *Extractor) maySignOut(req *model.Request, u *url.URL, host string) bool {
	if len(x.endSession)+len(x.revocation) > 0 {
		if x.endSessionHosts[endpointHostOf(u.Scheme, host)] {
			return true
		}
	}
	if _, ok := x.logoutPending[host]; ok {
		return true
	}
	if x.appHosts[host] && appLogoutPath(u.Path) {
		return true
	}
	return strings.EqualFold(req.Method, "POST") && genericRevokePath(u.Path)
}

// pendingLogout is a logout request whose outcome a later answer of the
// provider's host tells (after its confirmation page).
type pendingLogout struct {
	path      string // the end-session endpoint's path, lower case
	returnURI string // the post-logout redirect URI asked for, without query
	ev        model.Event
}

// maxPendingLogouts bounds Extractor.logoutPending.
const maxPendingLogouts = 64

// learnSignOut records the end-session and revocation endpoints of a
// discovery document.
func (x *Extractor) learnSignOut(endSession, revocation string, p model.Provider) {
	for _, e := range []struct {
		raw string
		m   map[string]model.Provider
	}{{endSession, x.endSession}, {revocation, x.revocation}} {
		if e.raw == "" {
			continue
		}
		if u, err := url.Parse(e.raw); err == nil && u.Host != "" && len(e.m) < maxContexts {
			e.m[endpointKey(u)] = p
			x.endSessionHosts[endpointHost(u)] = true
		}
	}
}

// signOut reads the sign-out steps of an exchange; ok is false when it is
// none (the caller reads it as it did before).
func (x *Extractor) signOut(dst []model.Event, ex *model.Exchange, u *url.URL, lb *lazyBase, params url.Values, prov model.Provider) ([]model.Event, bool) {
	kind := signOutEndpoint(u, prov)
	if kind == soNone && x.endSessionHosts[endpointHost(u)] {
		key := endpointKey(u)
		if p, ok := x.endSession[key]; ok {
			kind, lb.prov = soLogout, mergeProvider(prov, p)
		} else if p, ok := x.revocation[key]; ok {
			kind, lb.prov = soRevoke, mergeProvider(prov, p)
		}
	}
	method := strings.ToUpper(ex.Request.Method)
	// Most exchanges that get here (a provider's pages, an API's calls with
	// a bearer token) are no sign-out: their parameters are parsed only
	// when a sign-out key may be among them.
	if params == nil && (kind != soNone || method == "POST" && genericRevokePath(u.Path) || mayHoldKey(&ex.Request, u, signOutKeys[:])) {
		params = requestParams(ex, u)
	}
	if kind == soNone {
		switch {
		case (params.Get("id_token_hint") != "" || params.Get("post_logout_redirect_uri") != "") &&
			// An authorize request may carry id_token_hint too (a silent
			// sign-in, prompt=none).
			params.Get("response_type") == "" && params.Get("grant_type") == "":
			kind = soLogout
		case method == "POST" && params.Get("token") != "" && genericRevokePath(u.Path):
			kind = soRevoke
		}
	}
	host := strings.ToLower(u.Host)
	switch kind {
	case soLogout:
		return append(dst, x.logoutRequest(ex, u, lb, params)...), true
	case soRevoke:
		return append(dst, x.revocationRequest(ex, lb, params)), true
	}
	if pl, ok := x.logoutPending[host]; ok {
		if ev, ok := x.logoutReturn(ex, lb, pl, false); ok {
			delete(x.logoutPending, host)
			return append(dst, ev), true
		}
	}
	if params.Get("iss") != "" && params.Get("sid") != "" && method == "GET" &&
		(x.appHosts[host] || model.FetchDestOf(ex.Request.Headers.Get("Sec-Fetch-Dest")) == model.DestFrame) {
		ev := lb.get()
		ev.Kind = model.FrontChannelLogout
		ev.Prov = x.providers.get(model.Provider{Family: model.FamilyApp, Host: strings.ToLower(u.Hostname())})
		ev.SetSignOut(&model.SignOutParams{Issuer: params.Get("iss"), SID: params.Get("sid"),
			Dest: model.FetchDestOf(ex.Request.Headers.Get("Sec-Fetch-Dest"))})
		return append(dst, ev), true
	}
	if x.appHosts[host] && appLogoutPath(u.Path) && !x.postLogoutURIs[endpointKey(u)] {
		ev := lb.get()
		ev.Kind = model.AppLogout
		ev.Prov = x.providers.get(model.Provider{Family: model.FamilyApp, Host: strings.ToLower(u.Hostname())})
		so := &model.SignOutParams{}
		if lu := locationOf(ex, u); lu != nil {
			so.To = x.strings.get(lu.String())
		}
		ev.SetSignOut(so)
		return append(dst, ev), true
	}
	return dst, false
}

// locationOf is the answer's Location resolved against the request's URL,
// nil when the answer is no redirect.
func locationOf(ex *model.Exchange, u *url.URL) *url.URL {
	r := ex.Response
	if r == nil || r.Status < 300 || r.Status >= 400 {
		return nil
	}
	loc := r.Headers.Get("Location")
	if loc == "" {
		return nil
	}
	lu, err := u.Parse(loc)
	if err != nil {
		return nil
	}
	return lu
}

// logoutRequest reads a request to an end-session endpoint and, when its
// answer already tells, where the provider sent the browser next.
func (x *Extractor) logoutRequest(ex *model.Exchange, u *url.URL, lb *lazyBase, p url.Values) []model.Event {
	ev := lb.get()
	ev.Kind = model.LogoutRequest
	so := &model.SignOutParams{UILocales: p.Get("ui_locales"), Dest: model.FetchDestOf(ex.Request.Headers.Get("Sec-Fetch-Dest"))}
	if v := p.Get("logout_hint"); v != "" {
		so.LogoutHint = secret.New(v)
	}
	ret := ""
	for _, name := range []string{"post_logout_redirect_uri", "returnTo", "logout_uri", "redirect_uri"} {
		if v := p.Get(name); v != "" {
			ret, so.ReturnParam = v, name
			break
		}
	}
	if hint := p.Get("id_token_hint"); hint != "" {
		// The claims are read here: a compacted token keeps none.
		if c, ok := secret.New(hint).Claims(); ok {
			so.HintExpiry = c.Expiry
			if len(c.Aud) > 0 {
				so.HintAudience = c.Aud[0]
			}
		} else {
			so.HintUnreadable = true
		}
		ev.SetIDToken(x.tokenSecret(hint))
	}
	ev.SetClientID(x.strings.get(p.Get("client_id")))
	ev.SetRedirectURI(x.strings.get(ret))
	ev.State = secret.New(p.Get("state"))
	if ret != "" {
		if ru, err := url.Parse(ret); err == nil && ru.Host != "" && len(x.postLogoutURIs) < maxContexts {
			x.postLogoutURIs[endpointKey(ru)] = true
		}
	}
	resp := ex.Response
	var out []model.Event
	if resp != nil {
		data := x.respBody(resp)
		switch {
		case resp.Status >= 300 && resp.Status < 400:
			if lu := locationOf(ex, u); lu != nil {
				if q, _ := locationParams(lu); q != nil && q.Get("error") != "" && !sameEndpoint(lu, ret) {
					// The provider's error redirect (Microsoft accounts'
					// err.srf#error=…) rather than the way back.
					ev.Err = providerErrorFromParams(q)
					fillFromHeaders(ev.Err, ex, ev.ServerDate())
				}
			}
		case resp.Status >= 400:
			ev.Err = x.signOutError(data, resp.Status, ev.Provider())
		case resp.Status == 200 && x.isHTML(resp):
			so.Page = true
			so.PageTitle = pageTitle(data)
			if pe := labelledErrorPage(data); pe != nil {
				ev.Err = pe
			} else if msg := keycloakErrorMessage(data); msg != "" {
				ev.Err = &model.ProviderError{Error: "invalid_request", Description: msg}
			}
		}
		if ev.Err != nil {
			fillFromHeaders(ev.Err, ex, ev.ServerDate())
		}
	}
	ev.SetSignOut(so)
	out = append(out, ev)
	if ev.Err != nil {
		return out
	}
	pl := pendingLogout{path: strings.ToLower(strings.TrimSuffix(u.Path, "/")), returnURI: model.WithoutQuery(ret), ev: ev}
	if back, ok := x.logoutReturn(ex, lb, pl, true); ok {
		return append(out, back)
	}
	if resp != nil && resp.Status < 400 {
		host := strings.ToLower(u.Host)
		if _, ok := x.logoutPending[host]; ok || len(x.logoutPending) < maxPendingLogouts {
			x.logoutPending[host] = pl
		}
	}
	return out
}

// sameEndpoint reports that lu is the URI raw without its query.
func sameEndpoint(lu *url.URL, raw string) bool {
	return raw != "" && strings.EqualFold(endpointOf(lu), model.WithoutQuery(raw))
}

// logoutReturn reads the provider's redirect that ends a sign-out: the
// answer to the logout request itself (first), or a later answer of its
// host under the end-session endpoint's path (a confirmation's POST) or
// that sends the browser to the post-logout redirect URI.
func (x *Extractor) logoutReturn(ex *model.Exchange, lb *lazyBase, pl pendingLogout, first bool) (model.Event, bool) {
	u := lb.u
	lu := locationOf(ex, u)
	if lu == nil {
		return model.Event{}, false
	}
	toApp := pl.returnURI != "" && sameEndpoint(lu, pl.returnURI)
	under := strings.HasPrefix(strings.ToLower(u.Path), pl.path)
	if !first && !toApp && !under {
		return model.Event{}, false
	}
	if first && !toApp && strings.EqualFold(lu.Host, u.Host) && strings.HasPrefix(strings.ToLower(lu.Path), pl.path) {
		// The provider's own next step (Keycloak's confirmation, Entra's
		// logoutsession): the end is still to come.
		return model.Event{}, false
	}
	ev := lb.get()
	ev.Kind = model.LogoutReturn
	ev.Time = responseTime(ex)
	ev.SetMethod("")
	x.answerContext(&ev, true)
	ev.Prov = pl.ev.Prov
	ev.SetClientID(pl.ev.ClientID())
	ev.SetRedirectURI(x.strings.get(endpointOf(lu)))
	q := lu.Query()
	ev.State = secret.New(q.Get("state"))
	if q.Get("error") != "" {
		ev.Err = providerErrorFromParams(q)
	}
	return ev, true
}

// signOutError reads a provider's refusal of a logout request: its error
// page or JSON, else the page's first words.
func (x *Extractor) signOutError(data []byte, status int, p model.Provider) *model.ProviderError {
	if pe := labelledErrorPage(data); pe != nil {
		return pe
	}
	if pe := oktaErrorCodePage(data); pe != nil {
		return pe
	}
	if msg := keycloakErrorMessage(data); msg != "" {
		return &model.ProviderError{Error: "invalid_request", Description: msg}
	}
	if pe := htmlErrorPage(data, p); pe != nil {
		return pe
	}
	var buf [16]jsonMember
	if o, ok := parseJSONObject(data, buf[:0]); ok {
		if pe := jsonProviderError(&o); !pe.IsZero() {
			return pe
		}
	}
	text := pageTextPrefix(data, 300)
	if text == "" {
		text = strings.TrimSpace(string(data[:min(len(data), 300)]))
	}
	return &model.ProviderError{Error: "http_" + strconv.Itoa(status), Description: strings.ToValidUTF8(text, "")}
}

// revocationRequest reads a token revocation request (RFC 7009) and its
// answer.
func (x *Extractor) revocationRequest(ex *model.Exchange, lb *lazyBase, p url.Values) model.Event {
	ev := lb.get()
	ev.Kind = model.Revocation
	so := &model.SignOutParams{TokenTypeHint: p.Get("token_type_hint")}
	if t := p.Get("token"); t != "" {
		so.Token = x.tokenSecret(t)
	}
	id := p.Get("client_id")
	if id == "" {
		id, _, _ = basicAuth(ex.Request.Headers.Get("Authorization"))
	}
	ev.SetClientID(x.strings.get(id))
	if r := ex.Response; r != nil && r.Status > 0 {
		so.ContentType = x.strings.get(boundHeader(r.Headers.Get("Content-Type")))
		so.AllowOrigin = x.strings.get(boundHeader(r.Headers.Get("Access-Control-Allow-Origin")))
		if r.Status >= 400 {
			ev.Err = x.signOutError(x.respBody(r), r.Status, ev.Provider())
			fillFromHeaders(ev.Err, ex, ev.ServerDate())
		}
	}
	ev.SetSignOut(so)
	return ev
}

// boundHeader is a header's value as a sign-out step keeps it: trimmed, at
// most 100 bytes of valid UTF-8 (a hostile answer's header is no report's
// paragraph).
func boundHeader(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 100 {
		v = v[:100]
	}
	return strings.ToValidUTF8(v, "")
}

// pageTitle is an HTML page's title, its white space folded, at most 120
// bytes.
func pageTitle(data []byte) string {
	z := xhtml.NewTokenizer(strings.NewReader(string(data[:min(len(data), 64<<10)])))
	for n := 0; n < maxHTMLTokens; n++ {
		switch z.Next() {
		case xhtml.ErrorToken:
			return ""
		case xhtml.StartTagToken:
			if name, _ := z.TagName(); string(name) == "title" {
				if z.Next() == xhtml.TextToken {
					t := strings.Join(strings.Fields(string(z.Text())), " ")
					if len(t) > 120 {
						t = strings.ToValidUTF8(t[:120], "")
					}
					return t
				}
				return ""
			}
		}
	}
	return ""
}
