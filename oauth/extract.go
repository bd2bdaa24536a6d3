package oauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Extractor turns exchanges into OAuth events. It is stateful: it learns
// authorize and token endpoints from discovery documents and authorize
// requests, and the app's redirect URIs from authorize requests, so that
// later exchanges to those URLs are recognised even on unknown hosts.
// Feed it every exchange of one trace in source order.
type Extractor struct {
	authorize map[string]model.Provider // endpoint key → provider
	token     map[string]model.Provider
	// endpointHosts holds the host part (see endpointHost) of every key of
	// authorize and token: an exchange to another host matches neither,
	// and its endpoint key is not built.
	endpointHosts map[string]bool
	idpHosts      map[string]model.Provider // hosts that served an authorize endpoint
	redirects     map[string]bool           // redirect URI keys (no query) seen in authorize requests
	redirectURIs  map[string]bool           // redirect URIs learnt (learnRedirect), bounded
	contexts      contexts
	providers     shared[model.Provider]
	authzs        shared[model.AuthorizeParams]
	targets       shared[model.Target]
	strings       strs
	// The last Date header read and what it parsed to: responses of one
	// second share it, and a value http.ParseTime refuses costs three
	// parse errors each time it is tried.
	lastDate       string
	lastServerDate time.Time
	// skippedRead is set once a response body the reader skipped was
	// read (see SkippedBodyRead).
	skippedRead bool
	// compactTokens: tokens and client assertions are kept compacted
	// (CompactTokens).
	compactTokens bool
	// fragments are the codes a provider redirected to the app in the
	// URL's fragment (response_mode=fragment), by the redirect target
	// without the fragment (fragmentKey), until the browser loads it.
	fragments map[string]fragmentCode
	// fragmentHosts counts the entries of fragments by their target's
	// host (lower case): quiet builds a key only for an exchange to one.
	fragmentHosts map[string]int
	// solicited are the redirect URI keys (endpointKey) and states of
	// authorize requests the app redirected the browser to, which the
	// trace may not show being sent (a capture on the app's side).
	solicited map[string]bool
	// pushed are the parameters of pushed authorization requests (RFC
	// 9126) until the authorize request that names them: by the
	// request_uri the push was answered with ("uri " + it), or, when the
	// trace lost that answer (a HAR whose page navigated on before the
	// browser kept the fetch's body), by the host and client_id the next
	// authorize request of the client shows ("client " + host + " " + id).
	pushed map[string]pushedRequest
	// unclaimed are pushes no authorize request can name any more (a
	// later push of the client took their place), for Flush.
	unclaimed []model.Event
	// heldBack: the last exchange was a push whose event Flush may give.
	heldBack bool
	// quietEx is the exchange MayReadResponse last judged, quietAns what
	// quiet said of it: AppendExchange, given it next, need not ask again.
	quietEx  *model.Exchange
	quietAns bool
	// failurePages are the pages an app's sign-in library sent the
	// browser to after refusing a callback without saying why (Spring
	// Security's /login?error), by their URL (failurePageKey), with the
	// callback's refusal, which the page's words complete when the
	// browser loads it. Bounded by maxFailurePages.
	failurePages map[string]failurePage
	// lastAuthz is the last authorize request of each provider host (lower
	// case), for a refusal the provider answers on one of its own pages
	// that carries no OAuth parameter (Dex's "Approval rejected." at
	// /approval): the sign-in it ends.
	lastAuthz map[string]*model.Event
	// Sign-out (signout.go): the end-session and revocation endpoints
	// discovery documents named (endpoint key → provider) and their hosts;
	// the logout requests whose end a later answer of their host tells, by
	// host (lower case); the hosts of the redirect URIs learnt, where an
	// app's own sign-out route is read; the post-logout redirect URIs asked
	// for (endpoint keys), which are no app sign-out route.
	endSession, revocation map[string]model.Provider
	endSessionHosts        map[string]bool
	logoutPending          map[string]pendingLogout
	appHosts               map[string]bool
	postLogoutURIs         map[string]bool
}

// pushedRequest is what a pushed authorization request sent.
type pushedRequest struct {
	params url.Values // the authorize parameters (requestObjectParams) it pushed
	ref    string     // its exchange's Ref
	// byRef: the push held a request object the trace cannot read
	// (encrypted), so what it lacks is unknown, not missing.
	byRef bool
	// ev is the push read as the authorize request it stands for, which
	// Flush gives when no authorize request of the trace named it: a
	// capture of the app server's side holds its back-channel push and
	// not the browser's request. claimed: an authorize request named it.
	ev      model.Event
	claimed bool
}

// failurePage is a refusal waiting for the page that names its cause.
type failurePage struct {
	refusal *model.AppRefusal
	// callbackErr: the callback carried the provider's error.
	callbackErr bool
	// devise: the page may show Devise's OmniAuth failure flash; the
	// refusal is pending until it does.
	devise bool
}

// maxFailurePages bounds Extractor.failurePages: a trace of many refused
// callbacks whose pages were never loaded keeps that many.
const maxFailurePages = 256

// fragmentCode is what a redirect's fragment delivered to the app.
type fragmentCode struct {
	code, state, idToken secret.Secret
}

// CompactTokens makes the events keep access, ID and refresh tokens and
// client assertions as secret.Compact keeps them: their fingerprint, length
// and what finds them in output, not their values (a few KiB each, which a
// trace of thousands of sign-ins otherwise holds until its report is
// written). Only a caller whose output shows neither the tokens' values
// nor their JWT claims may ask (scan, with or without --no-redact: its
// report shows no token; not scan --case): the values and claims can no
// longer be read.
func (x *Extractor) CompactTokens() { x.compactTokens = true }

// tokenSecret wraps a token's value, compacted when CompactTokens asked.
// Every token goes through it, so that one value is held one way and
// equal tokens of different events stay ==.
func (x *Extractor) tokenSecret(v string) secret.Secret {
	if x.compactTokens {
		return secret.Compact(v)
	}
	return secret.New(v)
}

// tokenSecretView is tokenSecret of v, a view into a body that the secret
// must not keep: a compacted token keeps nothing of it (its hash and ends
// are copies), any other secret keeps a copy. Compacting the view saves a
// copy of every token of a token response (a third of what a scan of the
// 100,000-entry bench HAR allocated).
func (x *Extractor) tokenSecretView(v string) secret.Secret {
	if x.compactTokens {
		if s := secret.Compact(v); s.IsCompact() {
			return s
		}
	}
	return x.tokenSecret(strings.Clone(v))
}

// NewExtractor returns an Extractor that knows nothing about the trace yet.
func NewExtractor() *Extractor {
	return &Extractor{
		authorize:     map[string]model.Provider{},
		token:         map[string]model.Provider{},
		endpointHosts: map[string]bool{},
		idpHosts:      map[string]model.Provider{},
		redirects:     map[string]bool{},
		redirectURIs:  map[string]bool{},
		contexts:      contexts{seen: map[contextKey]*model.Context{}, commons: map[contextKey]*model.RequestContext{}},
		providers:     shared[model.Provider]{seen: map[model.Provider]*model.Provider{}},
		authzs:        shared[model.AuthorizeParams]{seen: map[model.AuthorizeParams]*model.AuthorizeParams{}},
		targets:       shared[model.Target]{seen: map[model.Target]*model.Target{}},
		strings:       strs{seen: map[string]string{}},
		lastAuthz:     map[string]*model.Event{},
		endSession:    map[string]model.Provider{}, revocation: map[string]model.Provider{},
		endSessionHosts: map[string]bool{}, logoutPending: map[string]pendingLogout{},
		appHosts: map[string]bool{}, postLogoutURIs: map[string]bool{},
	}
}

// ExtractAll runs a fresh Extractor over exchanges in order.
func ExtractAll(exchanges []*model.Exchange) []model.Event {
	x := NewExtractor()
	out := make([]model.Event, 0, len(exchanges)/2+1)
	for _, ex := range exchanges {
		out = append(out, x.Exchange(ex)...)
	}
	return x.Flush(out)
}

// endpointKey normalises a URL to compare endpoints: lower-case scheme and
// host, default port dropped, path without trailing slash, no query.
func endpointKey(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + endpointHost(u) + strings.TrimSuffix(u.Path, "/")
}

// endpointHost is the host part of endpointKey: lower case, default port
// dropped.
func endpointHost(u *url.URL) string {
	return endpointHostOf(u.Scheme, strings.ToLower(u.Host))
}

// endpointHostOf is endpointHost for host = strings.ToLower(u.Host).
func endpointHostOf(scheme, host string) string {
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return host
}

// learnAuthorize and learnToken record an endpoint of the provider p.
func (x *Extractor) learnAuthorize(u *url.URL, p model.Provider) {
	x.authorize[endpointKey(u)] = p
	x.endpointHosts[endpointHost(u)] = true
}

func (x *Extractor) learnToken(u *url.URL, p model.Provider) {
	x.token[endpointKey(u)] = p
	x.endpointHosts[endpointHost(u)] = true
}

// endpointOf is the URL without query and fragment, as the trace spells it.
func endpointOf(u *url.URL) string {
	c := *u
	c.RawQuery, c.Fragment, c.RawFragment, c.User = "", "", "", nil
	c.ForceQuery = false
	return c.String()
}

// Exchange returns the OAuth events found in one exchange, in the order
// they happened (request events before response events).
func (x *Extractor) Exchange(ex *model.Exchange) []model.Event {
	return x.AppendExchange(nil, ex)
}

// AppendExchange appends the events of one exchange, as Exchange returns
// them, to dst. A caller that copies the events elsewhere reuses one list
// for every exchange (the CLI: a capture of 65,000 authorize requests
// otherwise allocated a list of 288 bytes for each).
func (x *Extractor) AppendExchange(dst []model.Event, ex *model.Exchange) []model.Event {
	x.heldBack = false
	if ex == nil || ex.Tunnel {
		return dst
	}
	if m := strings.ToUpper(ex.Request.Method); m == "OPTIONS" || m == "CONNECT" {
		return dst // CORS preflights and tunnels carry no OAuth parameters
	}
	if redirectsToAuthorize(ex) {
		x.noteSolicited(ex) // a redirect yields no event: it may be quiet
	}
	if len(x.failurePages) > 0 {
		x.failurePage(ex)
	}
	q := x.quietAns
	if x.quietEx != ex {
		q = x.quiet(ex)
	}
	x.quietEx = nil
	if q {
		return dst
	}
	n := len(dst)
	dst = x.appendExchange(dst, ex)
	// Equal targets share one copy (see model.Event.Target): the Set…
	// methods that filled them made copies of their own.
	for i := n; i < len(dst); i++ {
		if t := dst[i].Target; t != nil {
			dst[i].Target = x.targets.get(*t)
		}
	}
	return dst
}

// MayReadResponse reports whether AppendExchange, given ex next, may read
// its response body: false only where it surely does not (a tunnel, a
// preflight, an exchange quiet says yields nothing while no failure page
// is awaited), so that a reader may leave that body undecoded. A wrong
// false is caught: the read of a body left out (model.Body.Skipped) is
// what SkippedBodyRead reports. Call it right before AppendExchange with
// the same exchange, which then does not judge it again.
func (x *Extractor) MayReadResponse(ex *model.Exchange) bool {
	x.quietEx = nil
	if ex == nil || ex.Response == nil || ex.Tunnel {
		return false
	}
	if m := strings.ToUpper(ex.Request.Method); m == "OPTIONS" || m == "CONNECT" {
		return false
	}
	if len(x.failurePages) > 0 {
		return true
	}
	// What AppendExchange does before quiet (noteSolicited, failurePage)
	// changes nothing quiet reads: its answer stands.
	x.quietEx, x.quietAns = ex, x.quiet(ex)
	return !x.quietAns
}

// quiet reports, without parsing the URL into a new url.URL, that
// appendExchange yields no event for ex: most exchanges of a trace (a
// page's scripts, images, API calls) are on a host that is no provider's
// and carry none of the gate keys. It may say no wrongly, never yes: it
// answers only for a URL that simpleURL splits as url.Parse does, and asks
// what appendExchange asks to yield an event (the provider and role, the
// endpoints and hosts learnt, the gate keys, a bearer token) with the same
// functions.
func (x *Extractor) quiet(ex *model.Exchange) bool {
	var u url.URL
	if !simpleURL(ex.Request.URL, &u) {
		return false
	}
	for _, h := range ex.Request.Headers {
		// As Headers.Has: the length first, as most names differ in it.
		if len(h.Name) == len("Authorization") && strings.EqualFold(h.Name, "Authorization") {
			return false
		}
	}
	host, hostname := simpleHost(&u)
	prov := providerOf(&u, hostname)
	if prov.Family != model.FamilyGeneric || RoleOf(&u, prov) != RoleNone {
		return false
	}
	if x.endpointHosts[endpointHostOf(u.Scheme, host)] {
		return false
	}
	if _, ok := x.idpHosts[host]; ok {
		return false
	}
	if x.fragmentHosts[host] > 0 {
		if _, ok := x.fragments[fragmentKey(&u)]; ok {
			return false
		}
	}
	if x.maySignOut(&ex.Request, &u, host) {
		return false
	}
	return !mayHoldKey(&ex.Request, &u, quietKeys)
}

// simpleURL fills u's Scheme, Host, Path and RawQuery as url.Parse(s)
// would, for an absolute http or https URL of printable ASCII with a host
// and without escapes, user info, fragment or IP literal; it reports false
// (u unusable) for any other. url.Parse itself allocates the URL, on every
// exchange of a trace.
func simpleURL(s string, u *url.URL) bool {
	var rest string
	switch {
	case strings.HasPrefix(s, "https://"):
		u.Scheme, rest = "https", s[len("https://"):]
	case strings.HasPrefix(s, "http://"):
		u.Scheme, rest = "http", s[len("http://"):]
	default:
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !plainURLByte[rest[i]] {
			return false
		}
	}
	rest, u.RawQuery, _ = strings.Cut(rest, "?")
	u.Host, u.Path = rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		u.Host, u.Path = rest[:i], rest[i:]
	}
	if u.Host == "" {
		return false
	}
	if i := strings.IndexByte(u.Host, ':'); i >= 0 && !validPort(u.Host[i+1:]) {
		return false // url.Parse refuses it
	}
	return true
}

// simpleHost returns strings.ToLower(u.Host) and strings.ToLower(u.Hostname())
// for a u simpleURL filled, lower-casing once: its host is ASCII, with at
// most one colon, before a port of digits.
func simpleHost(u *url.URL) (host, hostname string) {
	host = strings.ToLower(u.Host)
	hostname = host
	if i := strings.IndexByte(host, ':'); i >= 0 {
		hostname = host[:i]
	}
	return host, hostname
}

// plainURLByte holds the bytes simpleURL accepts: printable ASCII but
// for escapes, user info, fragment and IP literal.
var plainURLByte = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = true
	}
	for _, c := range "%@#[]\\" {
		t[c] = false
	}
	return t
}()

// validPort is what url.Parse accepts after a host's colon: digits, or
// nothing.
func validPort(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// appendExchange is AppendExchange past its early returns.
func (x *Extractor) appendExchange(dst []model.Event, ex *model.Exchange) []model.Event {
	u, err := url.Parse(ex.Request.URL)
	if err != nil || u.Host == "" {
		return dst
	}
	prov := ProviderOf(u)
	role := RoleOf(u, prov)
	learntRole, learnt := RoleNone, model.Provider{}
	if x.endpointHosts[endpointHost(u)] {
		key := endpointKey(u)
		if p, ok := x.authorize[key]; ok {
			learntRole, learnt = RoleAuthorize, p
		} else if p, ok := x.token[key]; ok {
			learntRole, learnt = RoleToken, p
		}
	}
	if learntRole != RoleNone {
		role, prov = learntRole, mergeProvider(prov, learnt)
		if p, ok := x.idpHosts[strings.ToLower(u.Host)]; ok && prov.Family == model.FamilyGeneric {
			// Endpoints learnt from a discovery document name no
			// provider when their paths are shared (/oauth2/token):
			// the host's authorize answer may have named it since.
			prov = mergeProvider(prov, p)
		}
	} else if p, ok := x.idpHosts[strings.ToLower(u.Host)]; ok && prov.Family == model.FamilyGeneric {
		prov = mergeProvider(prov, p)
	}
	// Most exchanges of a trace yield no event: the fields events share
	// are read only when one does.
	lb := lazyBase{x: x, ex: ex, u: u, prov: prov}
	method := strings.ToUpper(ex.Request.Method)
	// Off the provider's endpoints, an event needs one of the gate keys
	// (grant_type, code, client_id, error): without any, the parameters
	// are never read and are not parsed (nil reads as empty).
	var params url.Values
	if role != RoleNone || mayHoldGateKey(&ex.Request, u) {
		params = requestParams(ex, u)
	}

	if role == RoleNone && redirectsToAuthorize(ex) {
		x.noteSolicited(ex)
	}
	out := dst
	if role == RoleNone {
		if evs, ok := x.signOut(out, ex, u, &lb, params, prov); ok {
			return evs
		}
	}
	switch {
	case role == RoleDiscovery:
		if ev, ok := x.discovery(ex, u, lb.get()); ok {
			out = append(out, ev)
		}
		return out
	case params.Get("grant_type") != "" && (method == "POST" || role == RoleToken),
		// GitHub-style exchanges omit grant_type: a POST of a code with
		// client credentials or a verifier to a token-like path.
		method == "POST" && params.Get("code") != "" && (params.Get("client_id") != "" || params.Get("code_verifier") != "") &&
			genericTokenPath(u.Path) && !x.redirects[endpointKey(u)]:
		out = append(out, x.tokenRequest(ex, u, lb.get(), params))
		if resp, ok := x.tokenResponse(ex, lb.get()); ok {
			out = append(out, resp)
		}
		return out
	case role == RoleToken:
		// A GET on a token endpoint (back button) or a POST without a
		// grant: still a token request the provider will reject.
		out = append(out, x.tokenRequest(ex, u, lb.get(), params))
		if resp, ok := x.tokenResponse(ex, lb.get()); ok {
			out = append(out, resp)
		}
		return out
	case method == "POST" && x.pushAuthorization(ex, u, &lb, params):
		// A pushed authorization request (RFC 9126): no step of its own,
		// the authorize request that names it is the sign-in's.
		return out
	case method == "POST" && x.interactRequest(ex, params):
		// Okta's interaction code flow starts with /v1/interact, which
		// takes the authorize request's parameters and answers a handle:
		// the sign-in's authorize request.
		return append(out, x.authorizeRequest(ex, u, lb.get(), params))
	case role == RoleAuthorize || looksLikeAuthorize(u, params) && !signInUIStep(u, prov):
		if prov.Family == model.FamilyGeneric && hydraAnswer(ex.Response) {
			// Ory Hydra's paths are fosite's, which other servers share:
			// its answer names it.
			lb.prov.Family, lb.prov.Tenant = model.FamilyHydra, lb.prov.Host
		} else if prov.Family == model.FamilyGeneric && glewlwydAnswer(ex.Response) {
			// Glewlwyd under another API prefix or plugin name.
			lb.prov.Family, lb.prov.Tenant = model.FamilyGlewlwyd, lb.prov.Host
		} else if prov.Family == model.FamilyGeneric && lemonldapAnswer(ex.Response) {
			// So are LemonLDAP::NG's (/oauth2/authorize, /oauth2/token).
			lb.prov.Family, lb.prov.Tenant = model.FamilyLemonLDAP, lb.prov.Host
		} else if prov.Family == model.FamilyGeneric && x.dotAnswer(ex.Response) {
			// django-oauth-toolkit included elsewhere than o/ (oauth/,
			// api/oauth/): its consent page names it, and the host's
			// later steps (the consent's answer, the token endpoint).
			lb.prov.Family, lb.prov.Tenant = model.FamilyDjangoOAuthToolkit, lb.prov.Host
		}
		ev := x.authorizeRequest(ex, u, lb.get(), params)
		out = append(out, ev)
		out = append(out, x.providerAnswer(ex, &lb, ev)...)
		return out
	}
	if cb, ok := x.callback(ex, u, &lb, params, prov, role, "query"); ok {
		x.takeFragment(u)
		return append(out, cb)
	}
	// A callback whose code is in the URL's fragment: a HAR often keeps
	// the fragment of the page's URL; on the wire (a capture) it is never
	// sent, and the load of the redirect's target is the delivery.
	if fp := fragmentParams(u); fp != nil {
		if cb, ok := x.callback(ex, u, &lb, fp, prov, role, "fragment"); ok {
			x.takeFragment(u)
			return append(out, cb)
		}
	}
	if len(x.fragments) > 0 && strings.EqualFold(ex.Request.Method, "GET") {
		if fc, ok := x.takeFragment(u); ok {
			ev := lb.get()
			ev.Kind = model.Callback
			ev.Prov = x.providers.get(model.Provider{Family: model.FamilyApp, Host: strings.ToLower(u.Hostname())})
			ev.SetRedirectURI(x.strings.get(endpointOf(u)))
			ev.Code, ev.State = fc.code, fc.state
			ev.SetDelivery("fragment")
			if !fc.idToken.IsZero() {
				ev.SetIDToken(fc.idToken)
			}
			x.setLibrary(&ev, libraryOf(nil, ev.CookieNames()))
			return append(out, ev)
		}
	}
	if x.isIdPHost(u, prov) {
		out = append(out, x.providerAnswer(ex, &lb, model.Event{})...)
	}
	if len(out) == len(dst) {
		if tok := bearerToken(ex.Request.Headers.Get("Authorization")); tok != "" {
			ev := lb.get()
			ev.Kind = model.APICall
			ev.SetAccessToken(x.tokenSecret(tok))
			if r := ex.Response; r != nil && (r.Status == 401 || r.Status == 403) {
				// A resource server (or the userinfo endpoint) says why it
				// refused the token in its challenge (RFC 6750 §3).
				if pe := wwwAuthenticateError(r.Headers); pe != nil {
					fillFromHeaders(pe, ex, ev.ServerDate())
					ev.Err = pe
				}
			}
			out = append(out, ev)
		}
	}
	return out
}

// hydraAnswer reports an answer to an authorize request that only Ory
// Hydra gives: a redirect to its login or consent app with the challenge
// it made (login_challenge=, consent_challenge=), to its own error page
// (/oauth2/fallbacks/error, URLS_ERROR not set), or its own cookies
// (ory_hydra_login_csrf…, ory_hydra_consent_csrf…, ory_hydra_session…).
func hydraAnswer(r *model.Response) bool {
	if r == nil {
		return false
	}
	for _, h := range r.Headers {
		switch {
		case strings.EqualFold(h.Name, "Location"):
			if strings.Contains(h.Value, "login_challenge=") || strings.Contains(h.Value, "consent_challenge=") ||
				strings.Contains(h.Value, "/oauth2/fallbacks/error?") {
				return true
			}
		case strings.EqualFold(h.Name, "Set-Cookie"):
			if strings.HasPrefix(h.Value, "ory_hydra_") {
				return true
			}
		}
	}
	return false
}

// glewlwydAnswer reports an answer to an authorize request that only
// Glewlwyd gives: the redirect to its login app (login.html) with the
// authorize URL to come back to as callback_url, or its session cookie
// (GLEWLWYD2_SESSION_ID, its default session_key).
func glewlwydAnswer(r *model.Response) bool {
	if r == nil {
		return false
	}
	for _, h := range r.Headers {
		switch {
		case strings.EqualFold(h.Name, "Location"):
			if strings.Contains(h.Value, "login.html?") && strings.Contains(h.Value, "callback_url=") {
				return true
			}
		case strings.EqualFold(h.Name, "Set-Cookie"):
			if strings.HasPrefix(h.Value, "GLEWLWYD2_SESSION_ID=") {
				return true
			}
		}
	}
	return false
}

// dotAnswer reports django-oauth-toolkit's consent page as the answer to an
// authorize request: its authorize.html's form, id "authorizationForm"
// (kept by the sites that restyle the page by extending its template).
//
// An authorize request without an answer (a capture's lost bytes, an
// aborted navigation) has none; the body is read only for a 200, so that
// no other answer counts as a read of a body the reader skipped.
func (x *Extractor) dotAnswer(r *model.Response) bool {
	if r == nil || r.Status != 200 {
		return false
	}
	body := x.respBody(r)
	return bytes.Contains(body[:min(len(body), 1<<20)], []byte(`<form id="authorizationForm"`))
}

// lemonldapAnswer reports an answer to an authorize request that only
// LemonLDAP::NG's portal gives: its session cookies (lemonldap, its default
// cookieName, and lemonldappdata, the pending request it keeps across the
// login form) or the authenticated user its handler names
// (Lm-Remote-User) on the redirect back to the app.
func lemonldapAnswer(r *model.Response) bool {
	if r == nil {
		return false
	}
	for _, h := range r.Headers {
		switch {
		case strings.EqualFold(h.Name, "Lm-Remote-User"):
			return true
		case strings.EqualFold(h.Name, "Set-Cookie"):
			if strings.HasPrefix(h.Value, "lemonldappdata=") || strings.HasPrefix(h.Value, "lemonldap=") {
				return true
			}
		}
	}
	return false
}

// signInUIStep reports a provider's own sign-in page talking to its
// backend, which carries the authorize parameters without being an
// authorize request: Google's consent and account pages post them to
// accounts.google.com/_/signin/oauth (and other /_/ paths).
func signInUIStep(u *url.URL, p model.Provider) bool {
	return p.Family == model.FamilyGoogle && strings.HasPrefix(u.Path, "/_/")
}

// bearerToken returns the token of an "Authorization: Bearer" (or DPoP)
// header, or "".
func bearerToken(h string) string {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "DPoP")) {
		return ""
	}
	return strings.TrimSpace(rest)
}

func mergeProvider(seen, learnt model.Provider) model.Provider {
	if seen.Family == model.FamilyGeneric && learnt.Family != "" {
		learnt.Host = seen.Host
		return learnt
	}
	return seen
}

// servedAuthorize reports whether the host of rawURL served an authorize
// request this Extractor read (idpHosts).
func (x *Extractor) servedAuthorize(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	_, ok := x.idpHosts[strings.ToLower(u.Host)]
	return ok
}

func (x *Extractor) isIdPHost(u *url.URL, p model.Provider) bool {
	if p.Family != model.FamilyGeneric {
		return true
	}
	_, ok := x.idpHosts[strings.ToLower(u.Host)]
	return ok
}

// lazyBase is the base event of one exchange, filled on first use.
type lazyBase struct {
	x    *Extractor
	ex   *model.Exchange
	u    *url.URL
	prov model.Provider
	ev   model.Event
	done bool
}

func (b *lazyBase) get() model.Event {
	if !b.done {
		b.ev, b.done = b.x.base(b.ex, b.u, b.prov), true
	}
	return b.ev
}

// base fills the fields every event of the exchange shares.
func (x *Extractor) base(ex *model.Exchange, u *url.URL, p model.Provider) model.Event {
	h := ex.Request.Headers
	if p.Family == model.FamilyGeneric && ex.Response != nil {
		p = providerByHeader(p, ex.Response.Headers)
	}
	ev := model.Event{
		Exchange: ex.Index,
		Ref:      ex.Ref,
		Time:     ex.Start,
		Prov:     x.providers.get(p),
		Target:   x.targets.get(model.Target{Endpoint: x.strings.get(endpointOf(u)), Method: strings.ToUpper(ex.Request.Method)}),
		Status:   ex.Status(),
	}
	if ex.Failure != "" {
		ev.SetFailure(ex.Failure)
	}
	ev.Context = x.contexts.get(model.RequestContext{
		Origin:      h.Get("Origin"),
		FetchMode:   strings.ToLower(h.Get("Sec-Fetch-Mode")),
		Forwarded:   forwardedBy(h),
		Referer:     model.WithoutQuery(h.Get("Referer")),
		UserAgent:   h.Get("User-Agent"),
		Prefetch:    prefetchMarker(h),
		Conn:        ex.Conn,
		Page:        ex.Page,
		Process:     ex.Process,
		RequestID:   clientRequestID(h, u),
		CookieNames: slices.Clip(cookieNames(h)), // shared: appending must copy
	})
	if ex.Response != nil {
		if d := ex.Response.Headers.Get("Date"); d != "" {
			ev.SetServerDate(x.serverDate(d))
		}
	}
	return ev
}

// clientRequestID is the client-request-id a request carries: MSAL's
// libraries send it as a header, MSAL.js 5 in the query string of its
// authorize and token requests. Entra files the request under it
// (correlation_id). A value longer than a GUID's braces allow is no id.
func clientRequestID(h model.Headers, u *url.URL) string {
	if id := h.Get("client-request-id"); id != "" {
		return id
	}
	if u == nil || !strings.Contains(u.RawQuery, "client-request-id=") {
		return ""
	}
	if id := u.Query().Get("client-request-id"); len(id) <= 40 {
		return strings.Clone(id)
	}
	return ""
}

// serverDate is the time a Date header gives, zero when it is not an HTTP
// date.
func (x *Extractor) serverDate(d string) time.Time {
	if d == x.lastDate {
		return x.lastServerDate
	}
	var t time.Time
	if p, err := http.ParseTime(d); err == nil {
		t = p.UTC()
	}
	x.lastDate, x.lastServerDate = strings.Clone(d), t
	return t
}

func responseTime(ex *model.Exchange) time.Time {
	if !ex.End.IsZero() {
		return ex.End
	}
	return ex.Start
}

// forwardedBy names the header that shows a request came through a proxy
// or load balancer, or "".
func forwardedBy(h model.Headers) string {
	for _, name := range []string{"Forwarded", "X-Forwarded-For", "Via", "X-Real-IP"} {
		if h.Has(name) {
			return name
		}
	}
	return ""
}

// prefetchMarker returns the header that marks a speculative request.
func prefetchMarker(h model.Headers) string {
	for _, name := range []string{"Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"} {
		v := h.Get(name)
		lv := strings.ToLower(v)
		if strings.Contains(lv, "prefetch") || strings.Contains(lv, "prerender") || strings.Contains(lv, "preview") {
			return name + ": " + v
		}
	}
	if v := h.Get("Next-Router-Prefetch"); v != "" && v != "0" {
		return "Next-Router-Prefetch: " + v
	}
	return ""
}

func cookieNames(h model.Headers) []string {
	var names []string
	for _, v := range h.Values("Cookie") {
		for _, part := range strings.Split(v, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name != "" {
				names = appendUnique(names, name)
			}
			if len(names) >= 200 {
				return names
			}
		}
	}
	return names
}

// requestParams merges the query with a form or JSON body. Body values win
// (an authorize POST or a token POST carries its parameters in the body).
func requestParams(ex *model.Exchange, u *url.URL) url.Values {
	body := bodyParams(ex.Request.Headers, ex.Request.Body)
	if u.RawQuery == "" && body != nil {
		return body // a POST's usual form: no second map to copy it into
	}
	q, _ := url.ParseQuery(u.RawQuery)
	if q == nil {
		q = url.Values{}
	}
	for k, v := range body {
		q[k] = v
	}
	return q
}

func bodyParams(h model.Headers, b model.Body) url.Values {
	switch bodyKindOf(h, b) {
	case bodyJSON:
		return jsonParams(b.Data)
	case bodyForm:
		v, _ := url.ParseQuery(string(b.Data))
		return v
	}
	return nil
}

type bodyKind int

const (
	bodyNone bodyKind = iota
	bodyJSON
	bodyForm
)

// bodyKindOf says how bodyParams reads a request body.
func bodyKindOf(h model.Headers, b model.Body) bodyKind {
	if len(b.Data) == 0 {
		return bodyNone
	}
	mt := b.MIMEType
	if mt == "" {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(h.Get("Content-Type"), ";")[0]))
	}
	switch {
	case strings.Contains(mt, "json"):
		return bodyJSON
	case mt == "application/x-www-form-urlencoded", mt == "" && looksLikeForm(b.Data):
		return bodyForm
	}
	return bodyNone
}

// gateKeys are the parameters without which an exchange off the
// provider's known endpoints yields no event (see Exchange).
var gateKeys = [...]string{"grant_type", "code", "client_id", "error"}

// mayHoldGateKey reports whether requestParams might hold a gate
// key. It may say yes wrongly, never no: a query or form key decodes to a
// gate key only if it is one or holds a '%' escape, and a JSON member name
// only if it appears quoted as is or the body holds a '\' escape.
func mayHoldGateKey(req *model.Request, u *url.URL) bool {
	return mayHoldKey(req, u, gateKeys[:])
}

// mayHoldKey reports whether requestParams might hold one of keys, as
// mayHoldGateKey does for the gate keys.
func mayHoldKey(req *model.Request, u *url.URL, keys []string) bool {
	if formMayHoldKey(u.RawQuery, keys) {
		return true
	}
	b := req.Body
	switch bodyKindOf(req.Headers, b) {
	case bodyJSON:
		if bytes.IndexByte(b.Data, '\\') >= 0 {
			return true
		}
		for _, k := range keys {
			if bytes.Contains(b.Data, []byte(`"`+k+`"`)) {
				return true
			}
		}
	case bodyForm:
		return formMayHoldKey(string(b.Data), keys)
	}
	return false
}

// formMayHoldKey reports whether url.ParseQuery(s) might hold one of keys
// (url.ParseQuery splits at '&', and its keys are unescaped: '+' to a
// space, "%XX" to a byte).
func formMayHoldKey(s string, keys []string) bool {
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		k, _, _ := strings.Cut(kv, "=")
		if strings.IndexByte(k, '%') >= 0 || slices.Contains(keys, k) {
			return true
		}
	}
	return false
}

func looksLikeForm(b []byte) bool {
	s := string(b)
	return strings.Contains(s, "=") && !strings.ContainsAny(s, " \n{<")
}

// errNotObject is unmarshalObject's error for data that is not a JSON
// object or null.
var errNotObject = errors.New("not a JSON object")

// unmarshalObject is json.Unmarshal(data, m), which fails on any JSON
// text but an object or null, without starting the decoder on data whose
// first byte past white space starts neither: the pages, forms and binary
// bodies a token endpoint or a provider may answer.
func unmarshalObject(data []byte, m *map[string]json.RawMessage) error {
	i := 0
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	if i == len(data) || data[i] != '{' && data[i] != 'n' {
		return errNotObject
	}
	return json.Unmarshal(data, m)
}

// jsonParams reads the top-level string and number members of a JSON object.
func jsonParams(data []byte) url.Values {
	var m map[string]json.RawMessage
	if unmarshalObject(data, &m) != nil {
		return nil
	}
	out := url.Values{}
	for k, raw := range m {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out.Set(k, s)
			continue
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			out.Set(k, n.String())
		}
	}
	return out
}

// looksLikeAuthorize recognises an RFC 6749 authorize request on an unknown
// server by its parameters. One that sends them by reference carries
// client_id and request_uri (a pushed request, RFC 9126) or request (a
// request object, RFC 9101) alone: only an authorization request has
// either.
func looksLikeAuthorize(u *url.URL, p url.Values) bool {
	if p.Get("client_id") == "" {
		return false
	}
	if p.Get("response_type") == "" {
		return p.Get("request_uri") != "" || p.Get("request") != ""
	}
	return genericAuthorizePath(u.Path) || p.Get("redirect_uri") != "" || p.Get("scope") != ""
}

// pushAuthorization recognises a pushed authorization request (RFC 9126
// §2) by its pattern: a POST of an authorize request's parameters (or a
// request object) answered 201 Created, or 2xx with a request_uri, and
// keeps its parameters for the authorize request that names it. It
// reports false for any other exchange, and for a push that failed or got
// no answer: that one is read as the authorize request it tried to be,
// with its refusal (a pushed redirect_uri the server does not accept is
// refused at the push).
func (x *Extractor) pushAuthorization(ex *model.Exchange, u *url.URL, lb *lazyBase, p url.Values) bool {
	r := ex.Response
	if r == nil || r.Status < 200 || r.Status >= 300 || p.Get("client_id") == "" || p.Get("grant_type") != "" ||
		(p.Get("response_type") == "" && p.Get("request") == "") {
		return false
	}
	var answer struct {
		RequestURI string `json:"request_uri"`
	}
	data := x.respBody(r)
	if bytes.Contains(data, []byte(`"request_uri"`)) {
		_ = json.Unmarshal(data, &answer)
	}
	if answer.RequestURI == "" && (r.Status != http.StatusCreated || len(data) > 0 && x.isHTML(r)) {
		return false
	}
	pr := pushedRequest{ref: ex.Ref, ev: x.authorizeRequest(ex, u, lb.get(), p)}
	if answer.RequestURI != "" && pr.ev.Authz != nil {
		// The push read as the authorize request carries the request_uri
		// its answer named, which the browser's request sends.
		az := *pr.ev.Authz
		az.RequestURI = secret.New(answer.RequestURI)
		pr.ev.Authz = &az
	}
	if ro := p.Get("request"); ro != "" {
		merged, ok := withRequestObject(p, ro)
		p, pr.byRef = merged, !ok
	}
	pr.params = make(url.Values, len(requestObjectParams))
	for _, name := range requestObjectParams {
		if v := p.Get(name); v != "" {
			pr.params[name] = []string{v}
		}
	}
	if x.pushed == nil {
		x.pushed = map[string]pushedRequest{}
	} else if len(x.pushed) >= maxContexts {
		for _, old := range x.pushed {
			if !old.claimed {
				x.unclaimed = append(x.unclaimed, old.ev)
			}
		}
		clear(x.pushed)
	}
	k := "uri " + answer.RequestURI
	if answer.RequestURI == "" {
		k = "client " + strings.ToLower(u.Host) + " " + p.Get("client_id")
	}
	if old, ok := x.pushed[k]; ok && !old.claimed {
		x.unclaimed = append(x.unclaimed, old.ev)
	}
	x.pushed[k] = pr
	x.heldBack = true
	return true
}

// HeldBack reports that the exchange AppendExchange was last given yielded
// no event yet but may give one at Flush: a pushed authorization request,
// read as the sign-in's authorize request only if no authorize request of
// the trace names it. A caller that keeps only the exchanges with events
// keeps this one too.
func (x *Extractor) HeldBack() bool { return x.heldBack }

// Flush appends the events only the trace's end decides, in source order:
// the pushed authorization requests no authorize request named, each read
// as the authorize request it stands for (a capture of the app server's
// side holds the push, not the browser's request). Call it once, after the
// last exchange; the extractor forgets them.
func (x *Extractor) Flush(dst []model.Event) []model.Event {
	n := len(dst)
	dst = append(dst, x.unclaimed...)
	for _, pr := range x.pushed {
		if !pr.claimed {
			dst = append(dst, pr.ev)
		}
	}
	flushed := dst[n:]
	slices.SortStableFunc(flushed, func(a, b model.Event) int { return a.Exchange - b.Exchange })
	for i := range flushed {
		if t := flushed[i].Target; t != nil {
			flushed[i].Target = x.targets.get(*t)
		}
	}
	x.pushed, x.unclaimed = nil, nil
	return dst
}

// interactRequest recognises the start of Okta's interaction code flow
// (Identity Engine's /v1/interact, OAuth 2.0 with IDX): a POST of the
// authorize parameters (client_id with a PKCE challenge or a redirect_uri,
// no response_type) answered with an interaction_handle. Its code, the
// interaction code, comes back in an IDX answer (idxInteractionCode) and
// is redeemed with grant_type=interaction_code.
func (x *Extractor) interactRequest(ex *model.Exchange, p url.Values) bool {
	r := ex.Response
	if r == nil || r.Status < 200 || r.Status >= 300 || p.Get("client_id") == "" || p.Get("response_type") != "" ||
		p.Get("grant_type") != "" || (p.Get("code_challenge") == "" && p.Get("redirect_uri") == "") {
		return false
	}
	return bytes.Contains(x.respBody(r), []byte(`"interaction_handle"`))
}

// jsonOrUntyped reports an answer whose media type is JSON's (IDX answers
// are application/ion+json or application/json) or not given: a
// provider's style sheets, images and scripts (Dex's pages load theirs
// from its host) are not read for an interaction code, which would read
// bodies BodyGate skipped when their connections reach the reader before
// the authorize request's.
func jsonOrUntyped(r *model.Response) bool {
	mt := r.Body.MIMEType
	if mt == "" {
		mt = r.Headers.Get("Content-Type")
	}
	return mt == "" || strings.Contains(strings.ToLower(mt), "json")
}

// idxInteractionCode is the interaction code an IDX answer hands the
// client when the sign-in succeeded (its successWithInteractionCode form,
// whose interaction_code field holds it), or "".
func idxInteractionCode(data []byte) string {
	if !bytes.Contains(data, []byte(`"successWithInteractionCode"`)) {
		return ""
	}
	var doc struct {
		Success struct {
			Value []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"value"`
		} `json:"successWithInteractionCode"`
	}
	if unmarshalObject(data, new(map[string]json.RawMessage)) != nil || json.Unmarshal(data, &doc) != nil {
		return ""
	}
	for _, f := range doc.Success.Value {
		if f.Name == "interaction_code" {
			return f.Value
		}
	}
	return ""
}

// takePushed returns the pushed request an authorize request to u names
// by requestURI, for the client clientID: the one answered with that
// request_uri (kept: a reload names it again, and the provider refuses
// it), else the client's latest push on that host whose answer the trace
// lost (taken: the next push sends the next sign-in's).
func (x *Extractor) takePushed(u *url.URL, requestURI, clientID string) (pushedRequest, bool) {
	if len(x.pushed) == 0 {
		return pushedRequest{}, false
	}
	if pr, ok := x.pushed["uri "+requestURI]; ok {
		if !pr.claimed {
			pr.claimed = true
			x.pushed["uri "+requestURI] = pr
		}
		return pr, true
	}
	k := "client " + strings.ToLower(u.Host) + " " + clientID
	pr, ok := x.pushed[k]
	if ok {
		delete(x.pushed, k)
	}
	return pr, ok
}

func (x *Extractor) authorizeRequest(ex *model.Exchange, u *url.URL, base model.Event, p url.Values) model.Event {
	byRef := p.Get("request_uri") != ""
	var pushedRef string
	if byRef {
		if pr, ok := x.takePushed(u, p.Get("request_uri"), p.Get("client_id")); ok {
			// The provider takes the pushed parameters, not the URL's
			// (RFC 9126 §4): they are the request's.
			merged := make(url.Values, len(p)+len(pr.params))
			for k, v := range p {
				merged[k] = v
			}
			for k, v := range pr.params {
				merged[k] = v
			}
			p, byRef, pushedRef = merged, pr.byRef, pr.ref
		}
	}
	if req := p.Get("request"); req != "" {
		if merged, ok := withRequestObject(p, req); ok {
			p = merged
		} else {
			byRef = true
		}
	}
	ev := base
	ev.Kind = model.AuthorizeRequest
	ev.SetClientID(x.strings.get(p.Get("client_id")))
	ev.SetRedirectURI(x.strings.get(p.Get("redirect_uri")))
	// Values are copies or shared copies, not parts of the request's URL:
	// an event outlives the URL (a capture of 65,000 authorize requests
	// held every URL, 9 MiB, for their states alone).
	ev.State = secret.New(strings.Clone(p.Get("state")))
	ev.SetResource(x.strings.get(p.Get("resource")))
	ev.SetResponseMode(x.strings.get(p.Get("response_mode")))
	az := model.AuthorizeParams{
		Scope:               x.strings.get(p.Get("scope")),
		Nonce:               secret.New(strings.Clone(p.Get("nonce"))),
		ResponseType:        x.strings.get(p.Get("response_type")),
		Prompt:              x.strings.get(p.Get("prompt")),
		CodeChallenge:       secret.New(strings.Clone(p.Get("code_challenge"))),
		CodeChallengeMethod: x.strings.get(p.Get("code_challenge_method")),
		ByReference:         byRef,
		Pushed:              pushedRef,
		RequestURI:          secret.New(strings.Clone(p.Get("request_uri"))),
		Dest:                model.FetchDestOf(ex.Request.Headers.Get("Sec-Fetch-Dest")),
		SetCookie:           ex.Response != nil && ex.Response.Headers.Get("Set-Cookie") != "",
	}
	switch {
	case az == (model.AuthorizeParams{}):
	case az.Nonce.IsZero() && az.CodeChallenge.IsZero():
		// Without the per-request values, requests of one client repeat
		// the same few parameters: one shared copy each.
		ev.Authz = x.authzs.get(az)
	default:
		// A copy of its own, so that az itself stays off the heap when
		// shared (one allocation per authorize request otherwise).
		p := new(model.AuthorizeParams)
		*p = az
		ev.Authz = p
	}
	lib := libraryOf(p, ev.CookieNames())
	if lib == "" && oidcClientTSAuthorize(u.RawQuery) {
		lib = OIDCClientTS
	}
	x.setLibrary(&ev, lib)
	if ev.Provider().Family == model.FamilyEntra && ev.Provider().Variant == "b2c" && ev.Provider().Policy == "" {
		pv := ev.Provider()
		pv.Policy = p.Get("p")
		ev.Prov = x.providers.get(pv)
	}
	x.learnAuthorize(u, ev.Provider())
	x.idpHosts[strings.ToLower(u.Host)] = ev.Provider()
	x.learnRedirect(ev.RedirectURI())
	if last := x.lastAuthz[strings.ToLower(u.Host)]; last == nil || !last.State.Equal(ev.State) || last.Target != ev.Target {
		// One copy per sign-in, not per request: Dex's connector paths
		// repeat the authorize request.
		c := ev
		x.lastAuthz[strings.ToLower(u.Host)] = &c
	}
	return ev
}

// requestObjectParams are the authorize parameters the extractor reads
// that a request object (RFC 9101, OIDC Core 6.1) may carry.
var requestObjectParams = []string{"client_id", "redirect_uri", "state", "scope", "resource", "response_mode",
	"nonce", "response_type", "prompt", "code_challenge", "code_challenge_method"}

// withRequestObject returns p with the parameters of a signed (readable)
// request object: the provider takes them from the object, not from the
// URL, which then often carries no state, nonce or challenge at all. ok is
// false for an object the trace cannot read (encrypted, or not a JWT).
func withRequestObject(p url.Values, jwt string) (url.Values, bool) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || len(parts[1]) > 64<<10 {
		return p, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return p, false
	}
	var claims map[string]json.RawMessage
	if unmarshalObject(payload, &claims) != nil {
		return p, false
	}
	out := make(url.Values, len(p)+len(requestObjectParams))
	for k, v := range p {
		out[k] = v
	}
	for _, name := range requestObjectParams {
		var v string
		if raw, ok := claims[name]; ok && json.Unmarshal(raw, &v) == nil && v != "" {
			out.Set(name, v)
		}
	}
	return out, true
}

// learnRedirect notes the endpoint of a redirect URI an authorize request
// named. A client names the same few on every request: each is parsed once
// (a capture of 65,000 authorize requests parsed as many).
func (x *Extractor) learnRedirect(uri string) {
	if x.redirectURIs[uri] {
		return
	}
	if len(x.redirectURIs) >= maxContexts {
		clear(x.redirectURIs)
	}
	x.redirectURIs[uri] = true
	if ru, err := url.Parse(uri); err == nil && ru.Host != "" {
		x.redirects[endpointKey(ru)] = true
		if len(x.appHosts) < maxContexts {
			x.appHosts[strings.ToLower(ru.Host)] = true
		}
	}
}

// redirectsToAuthorize reports, cheaply, a redirect whose target may be an
// authorize request (it names a client and a redirect URI): the app
// sending the browser to sign in.
func redirectsToAuthorize(ex *model.Exchange) bool {
	r := ex.Response
	if r == nil || r.Status < 300 || r.Status >= 400 {
		return false
	}
	loc := r.Headers.Get("Location")
	return strings.Contains(loc, "client_id=") && strings.Contains(loc, "redirect_uri=")
}

// noteSolicited remembers the redirect URI and state of the authorize
// request an app's redirect sends the browser to: a capture on the app's
// side shows that redirect and the callbacks, not the request to the
// provider.
func (x *Extractor) noteSolicited(ex *model.Exchange) {
	lu, err := url.Parse(ex.Response.Headers.Get("Location"))
	if err != nil {
		return
	}
	if reqURL, err := url.Parse(ex.Request.URL); err == nil {
		lu = reqURL.ResolveReference(lu)
	}
	q := lu.Query()
	if !looksLikeAuthorize(lu, q) && RoleOf(lu, ProviderOf(lu)) != RoleAuthorize {
		return
	}
	if x.solicited == nil {
		x.solicited = map[string]bool{}
	} else if len(x.solicited) >= maxContexts {
		clear(x.solicited)
	}
	if ru, err := url.Parse(q.Get("redirect_uri")); err == nil && ru.Host != "" {
		x.solicited["uri "+endpointKey(ru)] = true
	}
	if st := q.Get("state"); st != "" {
		x.solicited["state "+st] = true
	}
}

// solicitedCallback reports whether the trace ties a callback to OAuth by
// itself (see model.EventRare.Solicited).
func (x *Extractor) solicitedCallback(u *url.URL, p url.Values) bool {
	if x.redirects[endpointKey(u)] || x.solicited["uri "+endpointKey(u)] || x.solicited["state "+p.Get("state")] {
		return true
	}
	if p.Get("iss") != "" || p.Get("session_state") != "" || p.Get("client_info") != "" || p.Get("id_token") != "" {
		return true
	}
	for _, s := range strings.Fields(p.Get("scope")) {
		if s == "openid" {
			return true
		}
	}
	return false
}

// fragmentKey is the key of a redirect target in Extractor.fragments: the
// URL without its fragment, the host in lower case.
func fragmentKey(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + u.Path + "?" + u.RawQuery
}

// noteFragment remembers a code a redirect delivered in its target's
// fragment, for the load of that target (the browser keeps the fragment,
// and a capture never shows it).
func (x *Extractor) noteFragment(target *url.URL, fc fragmentCode) {
	if x.fragments == nil {
		x.fragments, x.fragmentHosts = map[string]fragmentCode{}, map[string]int{}
	} else if len(x.fragments) >= maxContexts {
		clear(x.fragments)
		clear(x.fragmentHosts)
	}
	k := fragmentKey(target)
	if _, ok := x.fragments[k]; !ok {
		x.fragmentHosts[strings.ToLower(target.Host)]++
	}
	x.fragments[k] = fc
}

// takeFragment returns and forgets the code a redirect delivered to u in
// its fragment. Only the first load of the target counts: a later one
// (a reload, a link back to the page) may no longer carry the fragment,
// which an app usually clears once it has read it.
func (x *Extractor) takeFragment(u *url.URL) (fragmentCode, bool) {
	if len(x.fragments) == 0 {
		return fragmentCode{}, false
	}
	k := fragmentKey(u)
	fc, ok := x.fragments[k]
	if ok {
		delete(x.fragments, k)
		if h := strings.ToLower(u.Host); x.fragmentHosts[h] > 1 {
			x.fragmentHosts[h]--
		} else {
			delete(x.fragmentHosts, h)
		}
	}
	return fc, ok
}

// fragmentParams are the OAuth parameters of a URL's fragment (a HAR's
// request URL may keep it), nil when it carries no code or error.
func fragmentParams(u *url.URL) url.Values {
	if u.Fragment == "" {
		return nil
	}
	p, _ := locationParams(&url.URL{Fragment: u.Fragment})
	if p.Get("code") == "" && p.Get("error") == "" {
		return nil
	}
	return p
}

// callback recognises the app's redirect URI receiving a code or an error;
// delivery says where the URL holds them (query, or fragment).
func (x *Extractor) callback(ex *model.Exchange, u *url.URL, lb *lazyBase, p url.Values, prov model.Provider, role EndpointRole, delivery string) (model.Event, bool) {
	if role != RoleNone {
		return model.Event{}, false
	}
	code, state, errStr := p.Get("code"), p.Get("state"), p.Get("error")
	if code == "" && errStr == "" {
		return model.Event{}, false
	}
	known := x.redirects[endpointKey(u)]
	if !known {
		// Unknown app URL: accept code+state, but never on a provider host
		// (the provider's own pages carry other "code" parameters).
		if state == "" || (code == "" && errStr == "") || x.isIdPHost(u, prov) {
			return model.Event{}, false
		}
	}
	ev := lb.get()
	ev.Kind = model.Callback
	ev.Prov = x.providers.get(model.Provider{Family: model.FamilyApp, Host: strings.ToLower(u.Hostname())})
	ev.SetRedirectURI(x.strings.get(endpointOf(u)))
	ev.Code = secret.New(strings.Clone(code)) // not parts of the URL, as in authorizeRequest
	ev.State = secret.New(strings.Clone(state))
	ev.SetDelivery(delivery)
	if x.solicitedCallback(u, p) {
		ev.SetSolicited(true)
	}
	if ev.Method() == "POST" && delivery == "query" {
		if bp := bodyParams(ex.Request.Headers, ex.Request.Body); bp.Get("code") != "" || bp.Get("error") != "" {
			ev.SetDelivery("form_post")
		}
	}
	if t := p.Get("id_token"); t != "" {
		ev.SetIDToken(x.tokenSecret(t))
	}
	x.setLibrary(&ev, libraryOf(nil, ev.CookieNames()))
	if errStr != "" {
		ev.Err = providerErrorFromParams(p)
	}
	if r := ex.Response; r != nil && r.Status >= 200 && r.Status != 204 {
		var data []byte
		if r.Status >= 400 || r.Status < 300 && code != "" && errStr == "" && x.isHTML(r) {
			data = x.respBody(r)
		}
		if rf := appRefusal(ex, u, data); rf != nil {
			ev.SetRefusal(rf)
			if rf.Library == springLogin && rf.Cause == model.RefusalUnknown {
				x.awaitFailurePage(u, r.Headers.Get("Location"), failurePage{refusal: rf, callbackErr: errStr != ""})
			}
		} else if r.Status >= 300 && r.Status < 400 && omniAuthCallback(u) {
			// Perhaps Devise's failure redirect: the page it leads to says.
			if lu, err := u.Parse(r.Headers.Get("Location")); err == nil && deviseFailureTarget(u, lu) {
				rf := &model.AppRefusal{Pending: true}
				ev.SetRefusal(rf)
				x.awaitFailurePage(u, lu.String(), failurePage{refusal: rf, callbackErr: errStr != "", devise: true})
			}
		}
	}
	return ev, true
}

func providerErrorFromParams(p url.Values) *model.ProviderError {
	pe := &model.ProviderError{
		Error:       p.Get("error"),
		Description: withCause(p.Get("error_description"), p.Get("error_hint"), p.Get("error_debug")),
		URI:         p.Get("error_uri"),
		TraceID:     p.Get("trace_id"),
		Correlation: p.Get("correlation_id"),
		Timestamp:   p.Get("timestamp"),
		Suberror:    p.Get("suberror"),
	}
	for _, c := range strings.FieldsFunc(p.Get("error_codes"), func(r rune) bool { return r == ',' || r == ' ' || r == '[' || r == ']' }) {
		pe.Codes = appendUnique(pe.Codes, numericCode(c))
	}
	for _, c := range codesInText(pe.Description) {
		pe.Codes = appendUnique(pe.Codes, c)
	}
	fillFromDescription(pe)
	if pe.TraceID == "" && pe.Correlation == "" {
		// AD FS's error redirect carries no trace_id: it appends the
		// request's client-request-id, the Activity ID its event logs
		// (Admin event 364, the audit events) file the request under
		// ("…&error_description=MSIS9605%3a+The+client+is+not+allowed+
		// to+access+the+requested+resource.&state=…&client-request-id=
		// 80f15800-e242-4022-fe39-0080000000ed").
		pe.TraceID = p.Get("client-request-id")
	}
	return pe
}

// withCause completes an error's description with the cause ORY Hydra
// (and fosite's legacy error format) sends beside it: error_hint says what
// was wrong ("The 'redirect_uri' parameter does not match any of the OAuth
// 2.0 Client's pre-registered redirect urls.") where error_description
// only repeats RFC 6749's sentence for the error, and error_debug (a
// server in debug mode) the internal reason. A cause the description
// already holds (modern fosite merges the hint into it) is not repeated.
func withCause(desc, hint, debug string) string {
	if hint = strings.TrimSpace(hint); hint != "" && !strings.Contains(desc, hint) {
		switch {
		case desc == "":
			desc = hint
		case strings.HasSuffix(desc, ".") || strings.HasSuffix(desc, ":"):
			desc += " " + hint
		default:
			desc += ". " + hint
		}
	}
	if debug = strings.TrimSpace(debug); debug != "" && !strings.Contains(desc, debug) {
		if len(debug) > 300 {
			debug = debug[:300] + "…"
		}
		if desc == "" {
			desc = "debug: " + debug
		} else {
			desc += " (debug: " + debug + ")"
		}
	}
	return desc
}

func numericCode(c string) string {
	if _, err := strconv.Atoi(c); err == nil {
		return "AADSTS" + c
	}
	return c
}

// fillFromDescription takes Trace ID / Correlation ID / Timestamp from an
// Entra description when the JSON members are absent.
func fillFromDescription(pe *model.ProviderError) {
	for _, line := range strings.Split(pe.Description, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := cutPrefixFold(line, "Trace ID:"); ok && pe.TraceID == "" {
			pe.TraceID = strings.TrimSpace(v)
		} else if v, ok := cutPrefixFold(line, "Correlation ID:"); ok && pe.Correlation == "" {
			pe.Correlation = strings.TrimSpace(v)
		} else if v, ok := cutPrefixFold(line, "Timestamp:"); ok && pe.Timestamp == "" {
			pe.Timestamp = strings.TrimSpace(v)
		}
	}
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

func (x *Extractor) tokenRequest(ex *model.Exchange, u *url.URL, base model.Event, p url.Values) model.Event {
	ev := base
	ev.Kind = model.TokenRequest
	tp := new(model.TokenParams)
	ev.Token = tp
	tp.GrantType = p.Get("grant_type")
	// ADAL's v1 device flow sends the device code as "code"
	// (grant_type=device_code): it is not an authorization code, and its
	// polls must not read as one code redeemed again and again.
	if !isDeviceGrant(tp.GrantType) {
		c := p.Get("code")
		if c == "" && tp.GrantType == "interaction_code" {
			// Okta's interaction code grant redeems the code an IDX
			// answer handed over, with the verifier of /v1/interact's
			// challenge: an authorization code by another name.
			c = p.Get("interaction_code")
		}
		ev.Code = secret.New(c)
	}
	ev.SetRedirectURI(x.strings.get(p.Get("redirect_uri")))
	tp.CodeVerifier = secret.New(p.Get("code_verifier"))
	tp.RefreshToken = x.tokenSecret(p.Get("refresh_token"))
	ev.SetClientID(x.strings.get(p.Get("client_id")))
	tp.Scope = x.strings.get(p.Get("scope"))
	ev.SetResource(p.Get("resource"))
	lib := libraryOf(p, nil)
	if lib == "" {
		// MSAL also sends its SKU as headers on token requests.
		h := ex.Request.Headers
		lib = libraryOf(url.Values{"x-client-SKU": {h.Get("x-client-SKU")}, "x-client-ver": {h.Get("x-client-VER")}}, nil)
	}
	if lib == "" && oidcClientTSVerifier(p.Get("code_verifier")) {
		lib = OIDCClientTS
	}
	x.setLibrary(&ev, lib)
	tp.ClientAuth = "none"
	if s := p.Get("client_secret"); s != "" {
		tp.ClientAuth, tp.ClientSecret = "secret", secret.New(s)
	}
	if a := p.Get("client_assertion"); a != "" {
		if tp.ClientAuth == "secret" {
			tp.ClientAuth = "secret+assertion"
		} else {
			tp.ClientAuth = "assertion"
		}
		tp.Assertion = x.tokenSecret(a) // a JWT, read as the tokens are
	}
	if id, secretValue, ok := basicAuth(ex.Request.Headers.Get("Authorization")); ok {
		if tp.ClientAuth == "none" {
			tp.ClientAuth = "basic"
		} else {
			tp.ClientAuth += "+basic"
		}
		tp.ClientSecret = secret.New(secretValue)
		if ev.ClientID() == "" {
			ev.SetClientID(id)
		}
	}
	if ev.Provider().Family == model.FamilyEntra && ev.Provider().Variant == "b2c" && ev.Provider().Policy == "" {
		pv := ev.Provider()
		pv.Policy = p.Get("p")
		ev.Prov = x.providers.get(pv)
	}
	x.learnToken(u, ev.Provider())
	return ev
}

// basicAuth decodes HTTP Basic client credentials (RFC 6749 §2.3.1: both
// parts are form-encoded before base64).
func basicAuth(h string) (id, secret string, ok bool) {
	scheme, rest, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
	if err != nil {
		return "", "", false
	}
	id, secret, found = strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	if v, err := url.QueryUnescape(id); err == nil {
		id = v
	}
	if v, err := url.QueryUnescape(secret); err == nil {
		secret = v
	}
	return id, secret, true
}

// tokenResponse reads the token endpoint's answer.
func (x *Extractor) tokenResponse(ex *model.Exchange, base model.Event) (model.Event, bool) {
	if ex.Response == nil || ex.Response.Status == 0 {
		return model.Event{}, false
	}
	ev := base
	ev.Kind = model.TokenResponse
	tp := new(model.TokenParams)
	ev.Token = tp
	ev.Time = responseTime(ex)
	ev.SetMethod("")
	x.answerContext(&ev, false)
	resp := ex.Response
	tp.AllowOrigin = resp.Headers.Get("Access-Control-Allow-Origin")
	data := x.respBody(resp)
	if tj, ok := readTokenJSON(data); ok {
		ev.SetAccessToken(x.tokenSecretView(tj.access))
		ev.SetIDToken(x.tokenSecretView(tj.id))
		tp.RefreshToken = x.tokenSecretView(tj.refresh)
		tp.Scope = tj.scope
		tp.ExpiresIn = tj.expiresIn
		tp.RefreshExpiresIn = tj.refreshExpiresIn
		if pe := tj.err; pe != nil {
			fillFromHeaders(pe, ex, ev.ServerDate())
			ev.Err = pe
		}
	} else if f := formResponse(resp); f != nil {
		// GitHub answers form-encoded unless asked for JSON.
		ev.SetAccessToken(x.tokenSecret(f.Get("access_token")))
		ev.SetIDToken(x.tokenSecret(f.Get("id_token")))
		tp.RefreshToken = x.tokenSecret(f.Get("refresh_token"))
		tp.Scope = f.Get("scope")
		if v, err := strconv.Atoi(f.Get("expires_in")); err == nil && v >= 0 {
			tp.ExpiresIn = v
		}
		if v, err := strconv.Atoi(f.Get("refresh_token_expires_in")); err == nil && v >= 0 {
			tp.RefreshExpiresIn = v
		}
		if f.Get("error") != "" {
			ev.Err = providerErrorFromParams(f)
		}
	} else if resp.Status >= 400 {
		// Not JSON (AD FS and proxies answer HTML or text): keep what the
		// text says.
		pe := &model.ProviderError{Error: "http_" + strconv.Itoa(resp.Status)}
		pe.Codes = codesInBytes(data)
		if m := htmlErrorPage(data, base.Provider()); m != nil {
			pe = m
		}
		ev.Err = pe
	}
	if ev.Err == nil && resp.Status >= 400 {
		ev.Err = &model.ProviderError{Error: "http_" + strconv.Itoa(resp.Status)}
	}
	if pe := ev.Err; pe != nil && pe.Description == "" && len(pe.Codes) == 0 && strings.HasPrefix(pe.Error, "http_") {
		// The body said nothing: the error may be in the challenge
		// (RFC 6749 §5.2 answers failed client authentication with
		// WWW-Authenticate; some servers put the error there alone).
		if w := wwwAuthenticateError(resp.Headers); w != nil {
			pe.Error, pe.Description = w.Error, w.Description
		}
	}
	if ev.Err == nil && resp.Status >= 300 && resp.Status < 400 {
		// A token endpoint answers with JSON, never a redirect: a gateway
		// in front of it sent the request to a sign-in page.
		pe := &model.ProviderError{Error: "http_" + strconv.Itoa(resp.Status), Description: "a redirect, not a token response"}
		if loc := resp.Headers.Get("Location"); loc != "" {
			pe.Description += " to " + model.WithoutQuery(loc)
		}
		ev.Err = pe
	}
	if ev.Err == nil && ev.AccessToken().IsZero() && ev.IDToken().IsZero() && x.isHTML(resp) && len(data) > 0 {
		// A page is no token response: a proxy, a gateway's sign-in or
		// block page, or the provider's own page answered instead.
		pe := htmlErrorPage(data, base.Provider())
		if pe == nil {
			pe = &model.ProviderError{Error: "http_" + strconv.Itoa(resp.Status), Codes: codesInBytes(data[:min(len(data), 1<<20)])}
			if text := pageTextPrefix(data, 200); text != "" {
				pe.Description = "an HTML page, not a token response: " + text
			} else {
				pe.Description = "an HTML page, not a token response"
			}
		}
		fillFromHeaders(pe, ex, ev.ServerDate())
		ev.Err = pe
	}
	return ev, true
}

// discovery reads an OpenID Provider Configuration document and learns its
// endpoints.
func (x *Extractor) discovery(ex *model.Exchange, u *url.URL, base model.Event) (model.Event, bool) {
	if ex.Response == nil || ex.Response.Status != 200 {
		return model.Event{}, false
	}
	var doc struct {
		Issuer                string `json:"issuer"`
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		EndSessionEndpoint    string `json:"end_session_endpoint"`
		RevocationEndpoint    string `json:"revocation_endpoint"`
	}
	if json.Unmarshal(x.respBody(ex.Response), &doc) != nil || (doc.AuthorizationEndpoint == "" && doc.TokenEndpoint == "") {
		return model.Event{}, false
	}
	prov := base.Provider()
	if iu, err := url.Parse(doc.Issuer); err == nil && iu.Host != "" {
		if ip := ProviderOf(iu); ip.Family != model.FamilyGeneric || prov.Family == model.FamilyGeneric {
			prov = ip
		}
	}
	if au, err := url.Parse(doc.AuthorizationEndpoint); err == nil && au.Host != "" {
		x.learnAuthorize(au, prov)
		x.idpHosts[strings.ToLower(au.Host)] = prov
	}
	if tu, err := url.Parse(doc.TokenEndpoint); err == nil && tu.Host != "" {
		x.learnToken(tu, prov)
	}
	x.learnSignOut(doc.EndSessionEndpoint, doc.RevocationEndpoint, prov)
	ev := base
	ev.Kind = model.Discovery
	ev.Prov = x.providers.get(prov)
	ev.Time = responseTime(ex)
	return ev, true
}

// providerAnswer looks at a provider response for a code or an error on
// its way back to the app: a redirect, a form_post page, or an error page.
func (x *Extractor) providerAnswer(ex *model.Exchange, lb *lazyBase, authz model.Event) []model.Event {
	resp := ex.Response
	if resp == nil {
		return nil
	}
	base := lb.get()
	ev := base
	ev.Time = responseTime(ex)
	ev.SetMethod("")
	x.answerContext(&ev, true)
	ev.SetClientID(authz.ClientID())
	ev.SetResponseMode(authz.ResponseMode())
	if resp.Status >= 300 && resp.Status < 400 {
		loc := resp.Headers.Get("Location")
		if loc == "" {
			return nil
		}
		lu, err := url.Parse(loc)
		if err != nil {
			return nil
		}
		if reqURL, err := url.Parse(ex.Request.URL); err == nil {
			lu = reqURL.ResolveReference(lu)
		}
		p, delivery := locationParams(lu)
		if p == nil {
			return nil
		}
		if !x.redirects[endpointKey(lu)] && authz.Kind == 0 && p.Get("state") == "" {
			return nil
		}
		if authz.RedirectURI() != "" && !strings.EqualFold(endpointOf(lu), authz.RedirectURI()) && p.Get("code") == "" && p.Get("error") == "" {
			return nil
		}
		ev.SetRedirectURI(endpointOf(lu))
		ev.State = secret.New(p.Get("state"))
		ev.SetDelivery(delivery)
		switch {
		case p.Get("code") != "":
			ev.Kind = model.CodeIssued
			ev.Code = secret.New(p.Get("code"))
			ev.SetAccessToken(x.tokenSecret(p.Get("access_token")))
			ev.SetIDToken(x.tokenSecret(p.Get("id_token")))
			if delivery == "fragment" {
				x.noteFragment(lu, fragmentCode{code: ev.Code, state: ev.State, idToken: x.tokenSecret(p.Get("id_token"))})
			}
			return []model.Event{ev}
		case p.Get("error") != "":
			ev.Kind = model.AuthorizeError
			ev.Err = providerErrorFromParams(p)
			return []model.Event{ev}
		case p.Get("access_token") != "" || p.Get("id_token") != "":
			// Implicit flow: tokens in the front channel, no code.
			ev.Kind = model.CodeIssued
			ev.SetAccessToken(x.tokenSecret(p.Get("access_token")))
			ev.SetIDToken(x.tokenSecret(p.Get("id_token")))
			return []model.Event{ev}
		}
		return nil
	}
	// Google's error page carries its error in its own URL (authError),
	// the same in every language and without the page's body.
	var authErr googleAuthErr
	if base.Provider().Family == model.FamilyGoogle && strings.Contains(lb.u.RawQuery, "authError=") {
		authErr = googleAuthError(lb.u.Query().Get("authError"))
	}
	if resp.Status == 403 && authz.Kind == model.AuthorizeRequest && base.Provider().Family == model.FamilyGlewlwyd && len(x.respBody(resp)) == 0 {
		// Glewlwyd refuses an authorize request it cannot answer at the
		// app's redirect URI with 403 and nothing else.
		return []model.Event{pageErrorEvent(ev, &model.ProviderError{Error: "http_403", Description: glewlwydRefusal}, ex, authz)}
	}
	if !x.isHTML(resp) {
		if authErr.name != "" {
			return []model.Event{pageErrorEvent(ev, withAuthError(nil, authErr), ex, authz)}
		}
		if resp.Status >= 200 && resp.Status < 300 && jsonOrUntyped(resp) && x.servedAuthorize(ex.Request.URL) {
			// Only where a sign-in started (/v1/interact names client_id,
			// so BodyGate keeps that host's bodies too): reading every 2xx
			// answer of a provider's host would read bodies the gate
			// skipped, and the scan would read the trace again whole.
			if c := idxInteractionCode(x.respBody(resp)); c != "" {
				// The IDX answer that ends an interaction code flow hands
				// the code to the client in its JSON.
				ev.Kind = model.CodeIssued
				ev.Code = secret.New(c)
				ev.SetDelivery("idx")
				return []model.Event{ev}
			}
		}
		if resp.Status >= 400 && authz.Kind == model.AuthorizeRequest {
			if pe := bodyError(x.respBody(resp), base.Provider()); pe != nil {
				fillFromHeaders(pe, ex, ev.ServerDate())
				ev.Kind = model.AuthorizeError
				ev.SetRedirectURI(authz.RedirectURI())
				ev.State = authz.State
				ev.Err = pe
				return []model.Event{ev}
			}
		}
		return nil
	}
	data := x.respBody(resp)
	if form, ok := formPostPage(data); ok {
		fields := form.Fields
		if fields.Get("code") != "" || fields.Get("error") != "" || fields.Get("id_token") != "" || fields.Get("access_token") != "" {
			action := form.Action
			if reqURL, err := url.Parse(ex.Request.URL); err == nil {
				if au, err := url.Parse(action); err == nil {
					action = endpointOf(reqURL.ResolveReference(au))
				}
			}
			ev.SetRedirectURI(action)
			x.deliveredInPage(&ev, "form_post", fields)
			return []model.Event{ev}
		}
	}
	if messageMode(authz.ResponseMode()) {
		if fields, ok := postMessagePage(data); ok {
			ev.SetRedirectURI(authz.RedirectURI())
			x.deliveredInPage(&ev, "post_message", fields)
			return []model.Event{ev}
		}
	}
	var pe *model.ProviderError
	// An error status refuses the authorize request; a page of another
	// status does when it is marked as its provider's error page (served
	// with 200 by some versions and by proxies in front of them).
	refused := authz.Kind == model.AuthorizeRequest &&
		(resp.Status >= 400 || resp.Status < 300 && errorPageMarked(data, base.Provider()))
	if refused && base.Provider().Family == model.FamilyKeycloak {
		// A parameter the request lacks, named as Keycloak names an
		// invalid one: read before the redirect URI readers, which would
		// take "…: redirect_uri" for an unregistered URI.
		pe = keycloakMissingParameter(data, requestParams(ex, lb.u))
	}
	if pe == nil && refused {
		if msg := dexPageMessage(data); msg != "" {
			// Dex's error page, on any host: its message alone, the
			// page's error type ("Bad Request") left out.
			if pe = textError(&model.ProviderError{Description: msg}, msg, base.Provider()); pe == nil {
				pe = &model.ProviderError{Error: "http_" + strconv.Itoa(resp.Status), Description: msg}
			}
			if p := ev.Provider(); p.Family == model.FamilyGeneric {
				p.Family, p.Tenant = model.FamilyDex, p.Host
				ev.Prov = x.providers.get(p)
			}
		}
	}
	if pe == nil && refused {
		if pe = lemonldapPageError(data); pe != nil {
			// LemonLDAP::NG's portal error page (served with 200).
			if p := ev.Provider(); p.Family == model.FamilyGeneric {
				p.Family, p.Tenant = model.FamilyLemonLDAP, p.Host
				ev.Prov = x.providers.get(p)
			}
		}
	}
	if pe == nil {
		pe = htmlErrorPage(data, base.Provider())
	}
	if pe == nil && refused {
		pe = pageError(data, base.Provider())
		if pe == nil && base.Provider().Family == model.FamilyKeycloak {
			// Keycloak refused the request with its error page: its
			// message, whatever it says, is the refusal ("Client not
			// found.", in the page's language).
			if msg := keycloakErrorMessage(data); msg != "" {
				pe = &model.ProviderError{Error: "http_" + strconv.Itoa(resp.Status), Description: msg}
			}
		}
		if pe == nil && resp.Status >= 400 && resp.Status != 401 && resp.Status != 407 {
			// The server refused the authorize request with a page
			// nothing above knows (another provider's layout or language,
			// a gateway's block page): a refusal all the same, in the
			// page's words; the trace did not merely stop before a code.
			// 401 and 407 challenge the browser (Windows authentication,
			// a proxy), which answers them.
			pe = &model.ProviderError{Error: "http_" + strconv.Itoa(resp.Status), Description: pageTextPrefix(data, 200)}
		}
	}
	if pe == nil && strings.Contains(lb.u.RawQuery, "errorId=") && lb.u.Query().Get("errorId") != "" {
		pe = errorIDPage(data)
	}
	if pe == nil && authz.Kind == 0 && resp.Status >= 400 {
		// Dex refuses a step of its own pages (its approval page's
		// Cancel: 500 "Approval rejected.") with its error page and never
		// redirects back: the refusal of the host's last sign-in.
		if msg := dexPageMessage(data); msg != "" {
			if az := x.lastAuthz[strings.ToLower(lb.u.Host)]; az != nil {
				pe = &model.ProviderError{Error: "http_" + strconv.Itoa(resp.Status), Description: msg}
				ev.SetClientID(az.ClientID())
				if p := ev.Provider(); p.Family == model.FamilyGeneric {
					p.Family, p.Tenant = model.FamilyDex, p.Host
					ev.Prov = x.providers.get(p)
				}
				return []model.Event{pageErrorEvent(ev, pe, ex, *az)}
			}
		}
	}
	if pe = withAuthError(pe, authErr); pe != nil {
		return []model.Event{pageErrorEvent(ev, pe, ex, authz)}
	}
	return nil
}

// pageErrorEvent is the authorize error a provider's page (or its URL)
// says, for the authorize request authz when the page answered it.
func pageErrorEvent(ev model.Event, pe *model.ProviderError, ex *model.Exchange, authz model.Event) model.Event {
	fillFromHeaders(pe, ex, ev.ServerDate())
	ev.Kind = model.AuthorizeError
	ev.SetRedirectURI(authz.RedirectURI())
	ev.State = authz.State
	ev.Err = pe
	return ev
}

// locationParams returns the OAuth parameters of a redirect target, from the
// fragment when it carries them (response_mode=fragment), else the query.
func locationParams(u *url.URL) (url.Values, string) {
	if u.Fragment != "" {
		if f, err := url.ParseQuery(u.Fragment); err == nil || len(f) > 0 {
			if f.Get("code") != "" || f.Get("error") != "" || f.Get("access_token") != "" || f.Get("id_token") != "" {
				return f, "fragment"
			}
		}
	}
	q, _ := url.ParseQuery(u.RawQuery)
	if q.Get("code") != "" || q.Get("error") != "" || q.Get("access_token") != "" || q.Get("id_token") != "" {
		return q, "query"
	}
	return nil, ""
}

// isHTML says whether an answer is a page: by its media type, or by its
// first bytes when it has none.
func (x *Extractor) isHTML(r *model.Response) bool {
	mt := r.Body.MIMEType
	if mt == "" {
		mt = strings.ToLower(r.Headers.Get("Content-Type"))
	}
	if strings.Contains(mt, "html") {
		return true
	}
	if mt != "" {
		return false
	}
	data := x.respBody(r)
	return len(data) > 0 && strings.Contains(strings.ToLower(string(data[:min(len(data), 512)])), "<html")
}

// reAuthParam finds the error and error_description parameters of a
// WWW-Authenticate challenge, quoted or as a bare token.
var reAuthParam = lazyRegexp(`(?i)(?:^|[\s,])(error|error_description)\s*=\s*(?:"((?:[^"\\]|\\.){0,400})"|([^\s,"]{1,100}))`)

// wwwAuthenticateError is the error a WWW-Authenticate challenge carries
// (Bearer error="invalid_token", error_description="The access token
// expired", RFC 6750 §3), or nil when it names none.
func wwwAuthenticateError(h model.Headers) *model.ProviderError {
	v := h.Get("WWW-Authenticate")
	if v == "" || !strings.Contains(strings.ToLower(v[:min(len(v), 2048)]), "error") {
		return nil
	}
	v = v[:min(len(v), 2048)]
	pe := &model.ProviderError{}
	for _, m := range reAuthParam().FindAllStringSubmatch(v, 8) {
		val := m[2]
		if val == "" {
			val = m[3]
		}
		val = strings.ReplaceAll(val, `\"`, `"`)
		switch strings.ToLower(m[1]) {
		case "error":
			if pe.Error == "" {
				pe.Error = val
			}
		case "error_description":
			if pe.Description == "" {
				pe.Description = val
			}
		}
	}
	if pe.Error == "" {
		return nil
	}
	return pe
}

// providerByHeader is p, an endpoint ProviderOf could not place (a custom
// domain: login.example.com/authorize), as the provider its answer's own
// request id header names: Auth0 and Amazon Cognito answer on a
// customer's domain with the paths of any RFC 6749 server, and only their
// X-Auth0-RequestId and x-amz-cognito-request-id say who answered. The
// family decides a code's lifetime (Cognito's 5 minutes) and where a
// remediation sends the customer (the Auth0 Dashboard).
func providerByHeader(p model.Provider, h model.Headers) model.Provider {
	switch {
	case h.Get("x-auth0-requestid") != "":
		p.Family, p.Tenant = model.FamilyAuth0, p.Host
	case h.Get("x-amz-cognito-request-id") != "":
		p.Family, p.Tenant = model.FamilyCognito, p.Host
	}
	return p
}

// providerRequestIDHeaders name the response headers that carry a
// provider's own request id, in the order they are tried.
var providerRequestIDHeaders = []string{"x-okta-request-id", "x-auth0-requestid", "x-amz-cognito-request-id"}

// fillFromHeaders completes an error's escalation fields from the response
// headers when the body lacks them: Entra sends the request id (the "Trace
// ID" / "Request Id") as x-ms-request-id and echoes the client's
// client-request-id, which is the correlation id.
func fillFromHeaders(pe *model.ProviderError, ex *model.Exchange, date time.Time) {
	if ex.Response == nil {
		return
	}
	h := ex.Response.Headers
	if pe.TraceID == "" {
		pe.TraceID = h.Get("x-ms-request-id")
	}
	// The request id each provider's support and logs search by, sent as
	// a header of every answer: Okta's System Log (debugData.requestId),
	// Auth0's tenant logs, Cognito's support. Without it a finding on
	// these providers carried no id to escalate with.
	for _, name := range providerRequestIDHeaders {
		if pe.TraceID != "" {
			break
		}
		pe.TraceID = h.Get(name)
	}
	if pe.Correlation == "" {
		if v := h.Get("client-request-id"); v != "" {
			pe.Correlation = v
		} else if v := ex.Request.Headers.Get("client-request-id"); v != "" {
			pe.Correlation = v
		}
	}
	if pe.Timestamp == "" && !date.IsZero() && (pe.TraceID != "" || len(pe.Codes) > 0) {
		pe.Timestamp = date.UTC().Format("2006-01-02 15:04:05Z")
	}
}

// tokenJSON is what a token endpoint's JSON answer says. access, id and
// refresh may be views into the text read (see tokenSecretView).
type tokenJSON struct {
	access, id, refresh, scope  string
	expiresIn, refreshExpiresIn int
	err                         *model.ProviderError
}

// readTokenJSON reads a token response; ok is false when data is not a
// JSON object (nor null), which the form and page readings then try.
func readTokenJSON(data []byte) (tj tokenJSON, ok bool) {
	var buf [16]jsonMember
	o, ok := parseJSONObject(data, buf[:0])
	if !ok {
		return tj, false
	}
	tj.access = o.view("access_token")
	tj.id = o.view("id_token")
	tj.refresh = o.view("refresh_token")
	tj.scope = o.str("scope")
	tj.expiresIn, _ = o.expiresIn()
	tj.refreshExpiresIn, _ = o.seconds("refresh_token_expires_in")
	tj.err = jsonProviderError(&o)
	return tj, true
}

// jsonProviderError reads an OAuth JSON error object (RFC 6749 §5.2 plus
// the members Entra adds), or returns nil when o carries no error.
func jsonProviderError(o *jsonObject) *model.ProviderError {
	e := o.str("error")
	if e == "" && o.str("error_description") == "" {
		return nil
	}
	pe := &model.ProviderError{
		Error:       e,
		Description: withCause(o.str("error_description"), o.str("error_hint"), o.str("error_debug")),
		TraceID:     o.str("trace_id"),
		Correlation: o.str("correlation_id"),
		Timestamp:   o.str("timestamp"),
		URI:         o.str("error_uri"),
		Suberror:    o.str("suberror"),
	}
	if raw, ok := o.get("error_codes"); ok && len(raw) > 0 && raw[0] == '[' {
		// Elements as json.Unmarshal reads them into a json.Number, else
		// into a string; parse checked the text.
		i := skipJSONSpace(raw, 1)
		for n := 0; i < len(raw) && raw[i] != ']' && n < 32; n++ {
			end, _ := skipJSONValue(raw, i)
			if num, s, ok := jsonNumber(raw[i:end]); ok {
				pe.Codes = appendUnique(pe.Codes, numericCode(num))
			} else if s != "" {
				pe.Codes = appendUnique(pe.Codes, numericCode(s))
			}
			i = skipJSONSpace(raw, end)
			if i < len(raw) && raw[i] == ',' {
				i = skipJSONSpace(raw, i+1)
			}
		}
	}
	for _, c := range codesInText(pe.Description) {
		pe.Codes = appendUnique(pe.Codes, c)
	}
	fillFromDescription(pe)
	return pe
}

// bodyError reads an error a provider answered in a JSON or plain-text body
// (fosite answers a bad authorize request with JSON, zitadel with text).
// Text counts only when the catalog knows it.
func bodyError(data []byte, p model.Provider) *model.ProviderError {
	var buf [16]jsonMember
	if o, ok := parseJSONObject(data, buf[:0]); ok {
		return jsonProviderError(&o)
	}
	text := strings.TrimSpace(string(data[:min(len(data), 4096)]))
	if text == "" || strings.ContainsAny(text[:min(len(text), 64)], "<{") {
		return nil
	}
	pe := &model.ProviderError{Description: text, Codes: codesInText(text)}
	if name, rest, ok := strings.Cut(text, ":"); ok && isOAuthErrorName(name) {
		pe.Error, pe.Description = name, strings.TrimSpace(rest)
	}
	return textError(pe, text, p)
}

// pageError reads the error page an authorize endpoint answered with (4xx)
// when htmlErrorPage does not know its provider's layout: its visible text
// is read as a plain-text error body is, so only a message the catalog
// explains makes it an error. The OAuth error is the first error name the
// page shows ("[invalid_request] …", "error: invalid_request").
func pageError(data []byte, p model.Provider) *model.ProviderError {
	if p.Family == model.FamilyKeycloak {
		if msg := keycloakPageMessage(data); msg != "" {
			return &model.ProviderError{Error: "invalid_request", Description: msg + " (" + keycloakInvalidRedirect + ")"}
		}
	}
	if pe := labelledErrorPage(data); pe != nil {
		return pe
	}
	text := pageText(data)
	if text == "" {
		return nil
	}
	if p.Family == model.FamilyDjangoOAuthToolkit {
		if pe := dotPageError(text); pe != nil {
			return textError(pe, text, p)
		}
	}
	pe := &model.ProviderError{Description: text, Codes: codesInText(text)}
	// "Error 400: redirect_uri_mismatch" in the page's language names the
	// error better than the first error name the text happens to show.
	if _, name := statusErrorName(text); name != "" {
		pe.Error = name
		return textError(pe, text, p)
	}
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r != '_' && (r < 'a' || r > 'z') }) {
		if isOAuthErrorName(w) {
			pe.Error = w
			break
		}
	}
	return textError(pe, text, p)
}

// dotPageError reads django-oauth-toolkit's authorize page when it shows
// an error it will not send back to the app (its authorize.html: "Error:"
// and the error's name as the heading, oauthlib's description below it):
// the description is what follows the name, not the page's whole text.
func dotPageError(text string) *model.ProviderError {
	_, rest, ok := strings.Cut(text, "Error: ")
	if !ok {
		return nil
	}
	name := errorNameAt(rest)
	if !errorNameToken(name) {
		return nil
	}
	desc := strings.TrimSpace(rest[len(name):])
	if len(desc) > 300 {
		desc = strings.ToValidUTF8(desc[:300], "") // a cut inside a rune
	}
	return &model.ProviderError{Error: name, Description: desc}
}

// textError completes pe, read from an error's text, and keeps it only when
// the catalog explains the text.
func textError(pe *model.ProviderError, text string, p model.Provider) *model.ProviderError {
	if pe.Error == "" {
		pe.Error = "invalid_request"
	}
	if info, ok := catalog.Classify(pe, p.Family); !ok || info.Class == catalog.ClassNone || info.Class == catalog.ClassGenericGrant && len(pe.Codes) == 0 && !strings.Contains(text, "invalid_grant") {
		return nil
	}
	if len(pe.Description) > 300 {
		pe.Description = pe.Description[:300]
	}
	return pe
}

func isOAuthErrorName(s string) bool {
	switch s {
	case "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type", "invalid_scope",
		"server_error", "temporarily_unavailable", "invalid_client", "invalid_grant", "unsupported_grant_type",
		"interaction_required", "login_required", "consent_required", "account_selection_required":
		return true
	}
	return false
}

// formResponse reads a form-encoded token response, or returns nil.
func formResponse(r *model.Response) url.Values {
	mt := r.Body.MIMEType
	if mt != "application/x-www-form-urlencoded" && !(mt == "" || mt == "text/plain") {
		return nil
	}
	if len(r.Body.Data) == 0 || !looksLikeForm(r.Body.Data) {
		return nil
	}
	v, _ := url.ParseQuery(string(r.Body.Data))
	if v.Get("access_token") == "" && v.Get("error") == "" {
		return nil
	}
	return v
}

// isDeviceGrant reports the device authorization grant (RFC 8628), in its
// standard name and the short one Entra v1 accepts.
func isDeviceGrant(g string) bool {
	return g == "urn:ietf:params:oauth:grant-type:device_code" || g == "device_code"
}

// deliveredInPage fills ev from the parameters an answer page hands to the
// app (form_post's hidden inputs, a post_message script): the code and
// tokens it issues, or the provider's error.
func (x *Extractor) deliveredInPage(ev *model.Event, delivery string, fields url.Values) {
	ev.State = secret.New(fields.Get("state"))
	ev.SetDelivery(delivery)
	if fields.Get("error") != "" {
		ev.Kind = model.AuthorizeError
		ev.Err = providerErrorFromParams(fields)
		return
	}
	ev.Kind = model.CodeIssued
	ev.Code = secret.New(fields.Get("code"))
	ev.SetIDToken(x.tokenSecret(fields.Get("id_token")))
	ev.SetAccessToken(x.tokenSecret(fields.Get("access_token")))
}

// contexts gives equal request contexts one shared copy (see
// model.Event.Context): most requests of a trace come from one browser, and
// an event points at its context instead of holding a dozen strings.
type contexts struct {
	last *model.Context
	seen map[contextKey]*model.Context
	// commons gives equal common parts (model.Context.Common) one copy:
	// the contexts of a browser's connections differ in Conn alone.
	commons map[contextKey]*model.RequestContext
}

// contextKey is a RequestContext in comparable form.
type contextKey struct {
	origin, fetchMode, forwarded, referer, userAgent, prefetch string
	conn, page, process, requestID, cookies, library           string
}

// maxContexts bounds the table: a trace whose every request differs
// (request ids) gains nothing from it, and must not grow it without end.
const maxContexts = 4096

// get returns the shared copy of c, or nil when c is empty.
func (cs *contexts) get(c model.RequestContext) *model.Context {
	if c.IsZero() {
		return nil
	}
	if cs.last != nil && sameContext(cs.last, &c) {
		return cs.last
	}
	k := keyOf(&c)
	if p, ok := cs.seen[k]; ok && sameContext(p, &c) {
		cs.last = p
		return p
	}
	if len(cs.seen) >= maxContexts {
		clear(cs.seen)
	}
	p := &model.Context{Conn: c.Conn, Page: c.Page, Process: c.Process, RequestID: c.RequestID}
	c.Conn, c.Page, c.Process, c.RequestID = "", "", "", ""
	if !c.IsZero() {
		ck := keyOf(&c)
		common, ok := cs.commons[ck]
		if !ok || !sameValue(common, &c) {
			if len(cs.commons) >= maxContexts {
				clear(cs.commons)
			}
			common = new(model.RequestContext)
			*common = c
			cs.commons[ck] = common
		}
		p.Common = common
	}
	cs.seen[k] = p
	cs.last = p
	return p
}

// keyOf is c in comparable form.
func keyOf(c *model.RequestContext) contextKey {
	return contextKey{c.Origin, c.FetchMode, c.Forwarded, c.Referer, c.UserAgent, c.Prefetch,
		c.Conn, c.Page, c.Process, c.RequestID, strings.Join(c.CookieNames, "\x00"), c.Library}
}

// sameContext reports whether a holds c.
func sameContext(a *model.Context, c *model.RequestContext) bool {
	if a.Conn != c.Conn || a.Page != c.Page || a.Process != c.Process || a.RequestID != c.RequestID {
		return false
	}
	v := a.Value()
	return sameValue(&v, c)
}

// sameValue compares every field, cookie names one by one (a name may
// hold the separator of contextKey).
func sameValue(a, b *model.RequestContext) bool {
	return a.Origin == b.Origin && a.FetchMode == b.FetchMode && a.Forwarded == b.Forwarded &&
		a.Referer == b.Referer && a.UserAgent == b.UserAgent && a.Prefetch == b.Prefetch &&
		a.Conn == b.Conn && a.Page == b.Page && a.Process == b.Process && a.RequestID == b.RequestID &&
		a.Library == b.Library && slices.Equal(a.CookieNames, b.CookieNames) &&
		(a.CookieNames == nil) == (b.CookieNames == nil)
}

func contextOf(ev *model.Event) model.RequestContext { return ev.Context.Value() }

// setLibrary gives ev a context naming lib (the shared one is not changed).
func (x *Extractor) setLibrary(ev *model.Event, lib string) {
	if lib == ev.Library() {
		return
	}
	c := contextOf(ev)
	c.Library = lib
	ev.Context = x.contexts.get(c)
}

// answerContext keeps of the request's context what a response event
// carries: not the request's Origin, Referer, prefetch marker and cookies,
// nor with noAgent its User-Agent.
func (x *Extractor) answerContext(ev *model.Event, noAgent bool) {
	c := contextOf(ev)
	c.Origin, c.Referer, c.Prefetch, c.CookieNames = "", "", "", nil
	if noAgent {
		c.UserAgent = ""
	}
	ev.Context = x.contexts.get(c)
}

// shared gives equal values one copy that events point to (events read
// it, never change it): a trace's events name a handful of providers and
// authorize parameter sets. The zero value gives nil. The table is bounded
// by maxContexts.
type shared[T comparable] struct {
	seen map[T]*T
}

func (s *shared[T]) get(v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	if q, ok := s.seen[v]; ok {
		return q
	}
	if len(s.seen) >= maxContexts {
		clear(s.seen)
	}
	q := new(T)
	*q = v
	s.seen[v] = q
	return q
}

// strs gives equal strings one copy: endpoints, client ids, redirect URIs
// and scopes repeat in every event of a sign-in and across sign-ins.
type strs struct {
	seen map[string]string
}

func (ss *strs) get(v string) string {
	if v == "" {
		return ""
	}
	if w, ok := ss.seen[v]; ok {
		return w
	}
	if len(ss.seen) >= maxContexts {
		clear(ss.seen)
	}
	ss.seen[v] = v
	return v
}

// failurePageKey keys a page's URL for failurePages: scheme, host (lower
// case, default port dropped), path and query, without fragment.
func failurePageKey(u *url.URL) string {
	return endpointKey(u) + "?" + u.RawQuery
}

// awaitFailurePage notes that the callback at u, refused with fp's
// refusal, sent the browser to loc, the page that names its cause.
func (x *Extractor) awaitFailurePage(u *url.URL, loc string, fp failurePage) {
	lu, err := u.Parse(loc)
	if err != nil || len(x.failurePages) >= maxFailurePages {
		return
	}
	if x.failurePages == nil {
		x.failurePages = map[string]failurePage{}
	}
	x.failurePages[failurePageKey(lu)] = fp
}

// failurePage completes a callback's refusal with the words of the page
// its library sent the browser to (see failurePages), when ex loads it:
// the refusal already given to the callback's event is filled in, so the
// event names the cause. A page loaded again finds nothing to complete.
func (x *Extractor) failurePage(ex *model.Exchange) {
	if !strings.EqualFold(ex.Request.Method, "GET") {
		return
	}
	u, err := url.Parse(ex.Request.URL)
	if err != nil {
		return
	}
	key := failurePageKey(u)
	fp, ok := x.failurePages[key]
	if !ok {
		return
	}
	delete(x.failurePages, key)
	r := ex.Response
	if r == nil || r.Status != 200 || !x.isHTML(r) {
		return
	}
	if fp.devise {
		if rf := deviseFlashRefusal(x.respBody(r)); rf != nil {
			*fp.refusal = *rf
		}
		return
	}
	if rf := springPageRefusal(x.respBody(r), fp.callbackErr); rf != nil {
		*fp.refusal = *rf
	}
}
