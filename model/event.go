package model

import (
	"iter"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/secret"
)

// EventKind is one step of an OAuth 2.0 / OpenID Connect sign-in. It is
// 32 bits so that Event packs it with the server date's nanoseconds.
type EventKind int32

const (
	// AuthorizeRequest: the browser asks the authorize endpoint for a code.
	AuthorizeRequest EventKind = iota + 1
	// CodeIssued: the provider hands a code back (302/303 Location with
	// query or fragment, or a 200 form_post page).
	CodeIssued
	// AuthorizeError: the provider answered the authorize request with an
	// error, as a redirect carrying error=… or as an HTML error page.
	AuthorizeError
	// Callback: the app's redirect URI received a code (or an error).
	Callback
	// TokenRequest: a POST to the token endpoint (any grant type).
	TokenRequest
	// TokenResponse: the token endpoint's answer, success or error.
	TokenResponse
	// Discovery: an OpenID configuration document, which names endpoints.
	Discovery
	// APICall: a request that presents an access token to a resource (an
	// Authorization: Bearer header), e.g. userinfo or the app's own API; its
	// status shows whether the token still worked.
	APICall
	// LogoutRequest: the browser asks the provider's end-session endpoint
	// to end the user's session there (OpenID Connect RP-Initiated Logout
	// 1.0, or the provider's own shape: Auth0's /v2/logout, Cognito's
	// /logout). Its Status and Err are the provider's answer. The hint
	// (id_token_hint) is kept as IDToken, the post-logout redirect URI
	// (post_logout_redirect_uri, returnTo, logout_uri) as RedirectURI.
	LogoutRequest
	// LogoutReturn: the provider, having signed the user out, sends the
	// browser on (a redirect): to the app's post-logout redirect URI with
	// the state it was given, or to a page of its own. RedirectURI is where.
	LogoutReturn
	// AppLogout: the app's own sign-out URL (…/logout, /signout, …) on the
	// host of a redirect URI of the trace: what the app did there (its
	// answer's redirect) says whether the provider was told.
	AppLogout
	// FrontChannelLogout: the provider's page loads the app's front-channel
	// logout URI (OpenID Connect Front-Channel Logout 1.0: iss and sid) in
	// an iframe; Status and Failure say whether the app got it.
	FrontChannelLogout
	// Revocation: a token revocation request (RFC 7009) and its answer.
	Revocation
)

var eventKindNames = [...]string{
	AuthorizeRequest: "authorize",
	CodeIssued:       "code-issued",
	AuthorizeError:   "authorize-error",
	Callback:         "callback",
	TokenRequest:     "token-request",
	TokenResponse:    "token-response",
	Discovery:        "discovery",
	APICall:          "api-call",
	// Added after the contract's first kinds (cli-contract.md: it only
	// grows).
	LogoutRequest:      "logout",
	LogoutReturn:       "logout-return",
	AppLogout:          "app-logout",
	FrontChannelLogout: "frontchannel-logout",
	Revocation:         "revocation",
}

// IsSignOut reports the kinds of a sign-out (LogoutRequest to Revocation),
// which the sign-in rules do not read.
func (k EventKind) IsSignOut() bool { return k >= LogoutRequest && k <= Revocation }

// String is the kind's stable name, used in JSON output.
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return "unknown"
}

// MarshalText makes the kind serialize as its name.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Family is an identity provider family.
type Family string

// The provider families ProviderOf recognises, plus FamilyApp for the
// relying party's own endpoints.
const (
	FamilyEntra    Family = "entra" // Microsoft Entra ID (Azure AD), B2C and External ID (CIAM)
	FamilyADFS     Family = "adfs"
	FamilyGoogle   Family = "google"
	FamilyOkta     Family = "okta"
	FamilyAuth0    Family = "auth0"
	FamilyCognito  Family = "cognito"
	FamilyGitHub   Family = "github"
	FamilyKeycloak Family = "keycloak"
	FamilyPing     Family = "ping" // PingFederate (Variant ""), PingOne (Variant "pingone")
	FamilyOneLogin Family = "onelogin"
	// FamilyForgeRock: ForgeRock Access Management (AM), also behind
	// ForgeRock Identity Cloud (PingOne Advanced Identity Cloud).
	FamilyForgeRock  Family = "forgerock"
	FamilySalesforce Family = "salesforce"
	// FamilyDex: Dex (dexidp/dex), the federating OpenID provider of many
	// Kubernetes and Argo CD installations.
	FamilyDex Family = "dex"
	// FamilyHydra: Ory Hydra (self-hosted, and Ory Network's OAuth2), built
	// on ory/fosite.
	FamilyHydra Family = "hydra"
	// FamilyLemonLDAP: LemonLDAP::NG's portal in its OpenID Connect
	// provider (issuer) role.
	FamilyLemonLDAP Family = "lemonldap"
	// FamilyGlewlwyd: Glewlwyd's OpenID Connect plugin (babelouest/glewlwyd).
	FamilyGlewlwyd Family = "glewlwyd"
	// FamilyDjangoOAuthToolkit: django-oauth-toolkit (oauth2_provider), the
	// OAuth 2.0 and OpenID provider of Django sites, built on oauthlib.
	FamilyDjangoOAuthToolkit Family = "django-oauth-toolkit"
	FamilyGeneric            Family = "generic" // an endpoint recognised by its OAuth parameters only
	FamilyApp                Family = "app"     // the relying party (callback, its own API)
)

// Provider identifies the identity provider family and flavour of an
// endpoint, e.g. {Family: "entra", Variant: "v2", Cloud: "global", Tenant: "common"}.
type Provider struct {
	Family  Family `json:"family"`
	Variant string `json:"variant,omitempty"` // v1, v2, b2c, ciam; okta "org" or an AS id
	Cloud   string `json:"cloud,omitempty"`   // entra: global, usgov, china
	Tenant  string `json:"tenant,omitempty"`  // tenant / realm / org host
	Host    string `json:"host,omitempty"`
	Policy  string `json:"policy,omitempty"` // Azure AD B2C user flow / custom policy
}

// ProviderError is an OAuth error answer with the fields providers add for
// support escalation. None of its fields is secret.
type ProviderError struct {
	Error       string   `json:"error,omitempty"`
	Description string   `json:"error_description,omitempty"`
	Codes       []string `json:"error_codes,omitempty"` // "AADSTS54005", "MSIS9612", "AADB2C90006"
	TraceID     string   `json:"trace_id,omitempty"`
	Correlation string   `json:"correlation_id,omitempty"`
	Timestamp   string   `json:"timestamp,omitempty"`
	URI         string   `json:"error_uri,omitempty"`
	Suberror    string   `json:"suberror,omitempty"`
}

// IsZero reports whether no error was found.
func (e *ProviderError) IsZero() bool {
	return e == nil || (e.Error == "" && e.Description == "" && len(e.Codes) == 0)
}

// Event is one OAuth step found in an exchange. An exchange can yield
// several (an authorize request and the code its response issued).
type Event struct {
	Kind EventKind
	// serverNsec and serverSec are the server date (ServerDate) as
	// nanoseconds and seconds since the zero time, 0 and 0 for none: 12
	// bytes where a time.Time is 24, as the date is always UTC.
	serverNsec int32
	// Exchange is the source exchange's Index; Ref its contract locator.
	Exchange int
	Ref      string
	// Time is when the step happened: the request start for requests, the
	// response end (or start) for responses.
	Time      time.Time
	serverSec int64

	// Prov is the endpoint's provider (read it with Provider); nil when
	// none was named. Like Context it is shared between events and never
	// changed once set: set a new one.
	Prov *Provider
	// Target holds the endpoint, method, client id and redirect URI (read
	// them with the methods of the same names, set them with the Set…
	// methods); nil when none was found. Like Context it is shared
	// between events and never changed once set: the extractor gives
	// equal targets one copy (a capture's 65,000 authorize requests go
	// to one endpoint for one client and redirect URI), which keeps an
	// event 56 bytes smaller than these four strings in it.
	Target *Target
	Status int

	State secret.Secret
	// Authz holds the parameters only an authorize request carries (read
	// them with the methods of the same names); nil on other events.
	Authz *AuthorizeParams

	// Code is the authorization code issued, delivered or redeemed.
	Code secret.Secret

	// Token holds what only token requests and responses carry (read it
	// with the methods of the same names); nil on other events.
	Token *TokenParams

	Err *ProviderError

	// Context is what the request said about where it came from; nil
	// when it said nothing (read it through the methods of the same names:
	// Origin, UserAgent, Conn, ...). It is shared and never changed once
	// set: the events of one exchange share one, and the extractor gives
	// equal contexts of different exchanges one copy (most requests of a
	// trace come from one browser), which keeps an event small.
	Context *Context

	// Rare holds what few events carry (read and set it with the methods
	// Resource, ResponseMode, Delivery, AccessToken, IDToken, Failure,
	// Vantages and their Set…); nil on most. A capture whose every exchange
	// is an authorize request holds 65,000 events at once. Like Context it
	// is never changed once set, so copies of an event may share it.
	Rare *EventRare
}

// zeroUnix is the zero time in Unix seconds: ServerDate is kept as seconds
// since then, so that the zero time is 0.
var zeroUnix = time.Time{}.Unix()

// ServerDate is the provider's or app's Date header, when present (the zero
// time otherwise), in UTC: the provider's clock, immune to the capture
// machine's skew.
func (e *Event) ServerDate() time.Time {
	if e.serverSec == 0 && e.serverNsec == 0 {
		return time.Time{}
	}
	return time.Unix(e.serverSec+zeroUnix, int64(e.serverNsec)).UTC()
}

// SetServerDate sets ServerDate; t is read as UTC.
func (e *Event) SetServerDate(t time.Time) {
	if t.IsZero() {
		e.serverSec, e.serverNsec = 0, 0
		return
	}
	e.serverSec, e.serverNsec = t.Unix()-zeroUnix, int32(t.Nanosecond())
}

// EventRare is what few events carry (Event.Rare).
type EventRare struct {
	// Resource is an Entra v1 request's "resource"; ResponseMode the
	// response mode an authorize request asked for (query, fragment,
	// form_post), and the one a code it issued came back by.
	Resource     string
	ResponseMode string
	// Delivery says how a code or error came back: query, fragment, form_post.
	Delivery string
	// Token contents (present/absent), fingerprinted.
	AccessToken secret.Secret
	IDToken     secret.Secret
	// Failure is why the request got no answer, when the client recorded
	// it (Exchange.Failure: a CORS block, a network error, an abort).
	Failure string
	// Solicited marks a callback the trace ties to OAuth by itself: its
	// redirect URI or state went out in an authorize request (sent, or in
	// the app's redirect to one), or its URL carries parameters only an
	// OAuth response has (iss, session_state, client_info, an openid
	// scope). A link with code= and state= and none of this may be any
	// link (an e-mail verification, an app's own page).
	Solicited bool
	// Refusal is how the app's sign-in library refused a callback, in the
	// words its answer showed (its page, or the error its redirect named);
	// nil when the answer says nothing a library is known to say.
	Refusal *AppRefusal
	// Vantages lists where the step was seen when several traces of one
	// incident are read together (scan --case): "browser", "server",
	// "proxy", sorted; nil for a single trace. A callback the server side
	// saw and the browser's trace lacks was never sent by the browser.
	Vantages []string
	// SignOut holds what only sign-out steps carry; nil on other events.
	SignOut *SignOutParams
}

// SignOutParams is what only the steps of a sign-out carry
// (EventRare.SignOut). The hint itself is the event's IDToken.
type SignOutParams struct {
	// HintExpiry is the exp claim of the request's id_token_hint, read
	// when the event was made (a compacted token keeps no claims); zero
	// when there is no hint or it is no JWT with exp. HintAudience is its
	// aud (the first), HintUnreadable that a hint was sent that is no JWT.
	HintExpiry     time.Time
	HintAudience   string
	HintUnreadable bool
	// LogoutHint is logout_hint (a user identifier the app passes on:
	// personal data, a secret here); UILocales ui_locales.
	LogoutHint secret.Secret
	UILocales  string
	// ReturnParam names the parameter that carried the post-logout
	// redirect URI: post_logout_redirect_uri, returnTo (Auth0 /v2/logout),
	// logout_uri (Cognito), redirect_uri (Keycloak before 18, legacy).
	ReturnParam string
	// Token is the token a revocation request revoked, TokenTypeHint its
	// token_type_hint.
	Token         secret.Secret
	TokenTypeHint string
	// ContentType and AllowOrigin are the Content-Type and
	// Access-Control-Allow-Origin of a revocation's answer, as sent ("" for
	// none, or no answer): RFC 7009 lets a provider answer 200 with any
	// body, and some browser libraries refuse all but JSON (oidc-client-ts),
	// while a page reads no answer to a cross-origin request without its
	// origin (or "*") in AllowOrigin.
	ContentType string
	AllowOrigin string
	// Issuer and SID are a front-channel logout request's iss and sid.
	Issuer, SID string
	// Dest is where a front-channel logout or logout request loaded
	// (Sec-Fetch-Dest).
	Dest FetchDest
	// To is where an app's sign-out sent the browser (its answer's
	// Location, resolved), "" when it did not redirect.
	To string
	// Page: the provider answered the logout request with a page of its
	// own (200): a confirmation prompt, or its signed-out page.
	Page bool
	// PageTitle is the title of that page, or of the page a LogoutReturn
	// led to on the provider's host, when it names a sign-out.
	PageTitle string
}

// SignOut is what the sign-out step carries (never nil: the zero value
// for other events).
func (e *Event) SignOut() *SignOutParams {
	if r := e.rare().SignOut; r != nil {
		return r
	}
	return &noSignOut
}

var noSignOut SignOutParams

// SetSignOut sets SignOut (v is kept, not copied: do not change it after).
func (e *Event) SetSignOut(v *SignOutParams) { e.setRare(func(r *EventRare) { r.SignOut = v }) }

// Target is where an event's request went and for whom (Event.Target).
type Target struct {
	// Endpoint is the URL of the endpoint without query or fragment.
	Endpoint    string
	Method      string
	ClientID    string
	RedirectURI string
}

var noTarget Target

func (e *Event) target() *Target {
	if e.Target == nil {
		return &noTarget
	}
	return e.Target
}

// Endpoint is the URL of the endpoint without query or fragment.
func (e *Event) Endpoint() string { return e.target().Endpoint }

// Method is the request's method, upper case ("" for events a response
// or a redirect gave).
func (e *Event) Method() string { return e.target().Method }

// ClientID is the client_id the step carried.
func (e *Event) ClientID() string { return e.target().ClientID }

// RedirectURI is the redirect URI the step carried or went to.
func (e *Event) RedirectURI() string { return e.target().RedirectURI }

// setTarget changes the target on a copy: events that share the old one
// keep it. An event left with no target holds nil.
func (e *Event) setTarget(set func(t *Target)) {
	t := *e.target()
	set(&t)
	if t == noTarget {
		e.Target = nil
		return
	}
	e.Target = &t
}

// SetEndpoint sets Endpoint (see setTarget).
func (e *Event) SetEndpoint(v string) {
	if e.Endpoint() != v {
		e.setTarget(func(t *Target) { t.Endpoint = v })
	}
}

// SetMethod sets Method (see setTarget).
func (e *Event) SetMethod(v string) {
	if e.Method() != v {
		e.setTarget(func(t *Target) { t.Method = v })
	}
}

// SetClientID sets ClientID (see setTarget).
func (e *Event) SetClientID(v string) {
	if e.ClientID() != v {
		e.setTarget(func(t *Target) { t.ClientID = v })
	}
}

// SetRedirectURI sets RedirectURI (see setTarget).
func (e *Event) SetRedirectURI(v string) {
	if e.RedirectURI() != v {
		e.setTarget(func(t *Target) { t.RedirectURI = v })
	}
}

var noRare EventRare

func (e *Event) rare() *EventRare {
	if e.Rare == nil {
		return &noRare
	}
	return e.Rare
}

// setRare changes what the event carries aside, on a copy: events that
// share the old one keep it. An event left with nothing aside holds nil.
func (e *Event) setRare(set func(r *EventRare)) {
	old := e.rare()
	r := *old
	set(&r)
	switch {
	case r.Resource == "" && r.ResponseMode == "" && r.Delivery == "" && r.AccessToken.IsZero() && r.IDToken.IsZero() &&
		r.Failure == "" && r.Vantages == nil && !r.Solicited && r.Refusal == nil && r.SignOut == nil:
		e.Rare = nil
	case r.Resource == old.Resource && r.ResponseMode == old.ResponseMode && r.Delivery == old.Delivery &&
		r.AccessToken == old.AccessToken && r.IDToken == old.IDToken && r.Failure == old.Failure &&
		r.Solicited == old.Solicited && sameSlice(r.Vantages, old.Vantages) && r.Refusal == old.Refusal &&
		r.SignOut == old.SignOut:
		// Nothing changed: keep the one it has.
	default:
		e.Rare = &r
	}
}

func sameSlice(a, b []string) bool {
	return (a == nil) == (b == nil) && len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// SetResource sets Resource.
func (e *Event) SetResource(v string) { e.setRare(func(r *EventRare) { r.Resource = v }) }

// SetResponseMode sets ResponseMode.
func (e *Event) SetResponseMode(v string) { e.setRare(func(r *EventRare) { r.ResponseMode = v }) }

// SetDelivery sets Delivery.
func (e *Event) SetDelivery(v string) { e.setRare(func(r *EventRare) { r.Delivery = v }) }

// SetSolicited sets Solicited.
func (e *Event) SetSolicited(v bool) { e.setRare(func(r *EventRare) { r.Solicited = v }) }

// Solicited reports a callback the trace ties to OAuth by itself (see
// EventRare.Solicited).
func (e *Event) Solicited() bool { return e.rare().Solicited }

// SetAccessToken sets AccessToken.
func (e *Event) SetAccessToken(v secret.Secret) { e.setRare(func(r *EventRare) { r.AccessToken = v }) }

// SetIDToken sets IDToken.
func (e *Event) SetIDToken(v secret.Secret) { e.setRare(func(r *EventRare) { r.IDToken = v }) }

// SetFailure sets Failure.
func (e *Event) SetFailure(v string) { e.setRare(func(r *EventRare) { r.Failure = v }) }

// SetRefusal sets Refusal.
func (e *Event) SetRefusal(v *AppRefusal) { e.setRare(func(r *EventRare) { r.Refusal = v }) }

// Refusal is how the app's sign-in library refused the callback, nil when
// its answer did not say.
func (e *Event) Refusal() *AppRefusal {
	if r := e.rare().Refusal; r != nil && !r.Pending {
		return r
	}
	return nil
}

// SetVantages sets Vantages.
func (e *Event) SetVantages(v []string) { e.setRare(func(r *EventRare) { r.Vantages = v }) }

// Resource is an Entra v1 request's "resource" parameter.
func (e *Event) Resource() string { return e.rare().Resource }

// ResponseMode is the response mode as requested: query, fragment,
// form_post.
func (e *Event) ResponseMode() string { return e.rare().ResponseMode }

// Delivery says how a code or error came back: query, fragment, form_post.
func (e *Event) Delivery() string { return e.rare().Delivery }

// AccessToken is the access token the step carried, if any.
func (e *Event) AccessToken() secret.Secret { return e.rare().AccessToken }

// IDToken is the ID token the step carried, if any.
func (e *Event) IDToken() secret.Secret { return e.rare().IDToken }

// Failure is why the request got no answer, when the client recorded it.
func (e *Event) Failure() string { return e.rare().Failure }

// Vantages lists where the step was seen (scan --case); callers must not
// change the slice.
func (e *Event) Vantages() []string { return e.rare().Vantages }

// RequestContext is the request context the rules use, as one value; an
// event holds it as a Context.
type RequestContext struct {
	Origin    string // Origin header of the request
	FetchMode string // Sec-Fetch-Mode: "cors" when the browser applies CORS to the answer
	Forwarded string // the header showing the request came through a proxy: "X-Forwarded-For", "Forwarded", "Via"
	Referer   string // Referer with query and fragment removed
	UserAgent string
	Prefetch  string // the header that marked a prefetch, e.g. "Sec-Purpose: prefetch"
	Conn      string
	Page      string
	Process   string
	RequestID string // client-request-id header (MSAL) = Entra correlation_id
	// CookieNames are the names of the cookies the request sent.
	CookieNames []string
	// Library names the client library when the request reveals it
	// (MSAL's x-client-SKU/x-client-ver, Microsoft.Identity.Web's
	// x-client-brkrver, well-known transient cookie names), e.g.
	// "Microsoft.Identity.Web 2.13.0"; it helps attribute a root cause.
	Library string
}

// Context is how events hold a RequestContext (Event.Context), shared
// between them: set a new one rather than changing it. What names the
// connection, page, process and request is kept here; the rest, which
// the requests of one browser share, in Common (nil when all of it is
// empty; its own Conn, Page, Process and RequestID are empty). A capture
// of 13,000 connections held 13,000 contexts of 208 bytes that differed
// in Conn alone; now 80 bytes each and one Common.
type Context struct {
	Conn, Page, Process, RequestID string
	Common                         *RequestContext
}

// NewContext is c as a Context (nil when c is empty), with a Common of its
// own: the extractor shares Commons between contexts.
func NewContext(c RequestContext) *Context {
	x := &Context{Conn: c.Conn, Page: c.Page, Process: c.Process, RequestID: c.RequestID}
	c.Conn, c.Page, c.Process, c.RequestID = "", "", "", ""
	if !c.IsZero() {
		x.Common = &c
	}
	if *x == (Context{}) {
		return nil
	}
	return x
}

// IsZero reports whether c says nothing (no field set, no cookie list).
func (c *RequestContext) IsZero() bool {
	return c.Origin == "" && c.FetchMode == "" && c.Forwarded == "" && c.Referer == "" && c.UserAgent == "" &&
		c.Prefetch == "" && c.Conn == "" && c.Page == "" && c.Process == "" && c.RequestID == "" &&
		c.CookieNames == nil && c.Library == ""
}

// Value is the context as one RequestContext (the zero one for nil).
func (c *Context) Value() RequestContext {
	if c == nil {
		return RequestContext{}
	}
	var v RequestContext
	if c.Common != nil {
		v = *c.Common
	}
	v.Conn, v.Page, v.Process, v.RequestID = c.Conn, c.Page, c.Process, c.RequestID
	return v
}

var noContext Context
var noCommon RequestContext

func (e *Event) ctx() *Context {
	if e.Context == nil {
		return &noContext
	}
	return e.Context
}

func (e *Event) common() *RequestContext {
	if e.Context == nil || e.Context.Common == nil {
		return &noCommon
	}
	return e.Context.Common
}

// Origin is the request's Origin header.
func (e *Event) Origin() string { return e.common().Origin }

// FetchMode is the request's Sec-Fetch-Mode, lower case.
func (e *Event) FetchMode() string { return e.common().FetchMode }

// Forwarded names the header that shows the request came through a proxy.
func (e *Event) Forwarded() string { return e.common().Forwarded }

// Referer is the request's Referer without query and fragment.
func (e *Event) Referer() string { return e.common().Referer }

// UserAgent is the request's User-Agent.
func (e *Event) UserAgent() string { return e.common().UserAgent }

// Prefetch is the header that marked the request a prefetch, e.g.
// "Sec-Purpose: prefetch".
func (e *Event) Prefetch() string { return e.common().Prefetch }

// Conn is the exchange's transport connection (Exchange.Conn).
func (e *Event) Conn() string { return e.ctx().Conn }

// Page is the exchange's page or tab (Exchange.Page).
func (e *Event) Page() string { return e.ctx().Page }

// Process is the exchange's originating process (Exchange.Process).
func (e *Event) Process() string { return e.ctx().Process }

// RequestID is the request's client-request-id header.
func (e *Event) RequestID() string { return e.ctx().RequestID }

// CookieNames are the names of the cookies the request sent; callers must
// not change the slice.
func (e *Event) CookieNames() []string { return e.common().CookieNames }

// SentCookies reports whether the request carried a Cookie header with at
// least one cookie.
func (e *Event) SentCookies() bool { return len(e.common().CookieNames) > 0 }

// Library is the client library the request reveals, or "".
func (e *Event) Library() string { return e.common().Library }

// Provider is the endpoint's provider, the zero Provider when none.
func (e *Event) Provider() Provider {
	if e.Prov == nil {
		return Provider{}
	}
	return *e.Prov
}

// AuthorizeParams are the parameters only an authorize request carries
// (Event.Authz).
type AuthorizeParams struct {
	// Scope is the scope asked for (Event.Scope).
	Scope               string
	Nonce               secret.Secret
	ResponseType        string
	Prompt              string
	CodeChallenge       secret.Secret
	CodeChallengeMethod string
	// ByReference: the request's parameters were sent by reference
	// (request_uri: pushed authorization, RFC 9126) or in a request object
	// the trace cannot read (an encrypted one, RFC 9101), so a state,
	// nonce or challenge absent from the URL is unknown, not missing.
	ByReference bool
	// Pushed is the ref of the pushed authorization request (RFC 9126)
	// that sent this request's parameters: the request itself carried
	// only client_id and the request_uri its push was answered with, and
	// the parameters here are the pushed ones. "" for a request that
	// carried its parameters itself.
	Pushed string
	// RequestURI is the request_uri of a pushed authorization request
	// (RFC 9126): the one its answer named, on the push read as the
	// authorize request, and the one the authorize request sent. It ties
	// the two when they come from different traces (scan --case: the app
	// server's capture holds the push, the browser's HAR the request). A
	// one-time handle, secret.
	RequestURI secret.Secret
	// Dest is where the browser said the answer would load (its
	// Sec-Fetch-Dest header): a top-level document, or a frame, as a
	// library's silent renewal in a hidden iframe is.
	Dest FetchDest
	// SetCookie: the provider's answer to the request set cookies
	// (Set-Cookie headers), its session's among them when it signed the
	// user in.
	SetCookie bool
}

// FetchDest is a request's Sec-Fetch-Dest as far as the rules need it;
// one byte, as the authorize parameters are kept per request.
type FetchDest uint8

// The destinations kept: DestUnknown when the request did not say
// (an older browser, a client that is no browser, a capture without the
// header).
const (
	DestUnknown  FetchDest = iota
	DestDocument           // Sec-Fetch-Dest: document (a top-level navigation)
	DestFrame              // Sec-Fetch-Dest: iframe or frame
)

// FetchDestOf reads a Sec-Fetch-Dest header's value.
func FetchDestOf(v string) FetchDest {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "document":
		return DestDocument
	case "iframe", "frame":
		return DestFrame
	}
	return DestUnknown
}

// Dest is where the authorize request's answer was to load
// (Sec-Fetch-Dest), DestUnknown when the request did not say.
func (e *Event) Dest() FetchDest { return e.authz().Dest }

// AnswerSetCookie reports whether the answer to the authorize request set
// cookies.
func (e *Event) AnswerSetCookie() bool { return e.authz().SetCookie }

var noAuthz AuthorizeParams

// Scope is the scope an authorize or token request asked for, or a token
// response granted: it is kept with the parameters only they carry
// (Authz, Token), not in every event.
func (e *Event) Scope() string {
	if e.Authz != nil && e.Authz.Scope != "" {
		return e.Authz.Scope
	}
	if e.Token != nil {
		return e.Token.Scope
	}
	return ""
}

func (e *Event) authz() *AuthorizeParams {
	if e.Authz == nil {
		return &noAuthz
	}
	return e.Authz
}

// Nonce is the authorize request's nonce.
func (e *Event) Nonce() secret.Secret { return e.authz().Nonce }

// ResponseType is the authorize request's response_type.
func (e *Event) ResponseType() string { return e.authz().ResponseType }

// Prompt is the authorize request's prompt.
func (e *Event) Prompt() string { return e.authz().Prompt }

// CodeChallenge is the authorize request's PKCE code_challenge.
func (e *Event) CodeChallenge() secret.Secret { return e.authz().CodeChallenge }

// CodeChallengeMethod is the authorize request's code_challenge_method.
func (e *Event) CodeChallengeMethod() string { return e.authz().CodeChallengeMethod }

// ParamsByReference reports an authorize request whose parameters the
// trace does not show (AuthorizeParams.ByReference).
func (e *Event) ParamsByReference() bool { return e.authz().ByReference }

// RequestURI is the request_uri that ties an authorize request to its
// push (AuthorizeParams.RequestURI).
func (e *Event) RequestURI() secret.Secret { return e.authz().RequestURI }

// PushedRef is the ref of the pushed authorization request whose
// parameters the authorize request named (AuthorizeParams.Pushed).
func (e *Event) PushedRef() string { return e.authz().Pushed }

// TokenParams is what only token requests and responses carry (Event.Token).
type TokenParams struct {
	// Scope is the scope a token request asked for or its response
	// granted (Event.Scope).
	Scope        string
	GrantType    string
	CodeVerifier secret.Secret
	RefreshToken secret.Secret
	// ClientAuth is how the client authenticated at the token endpoint:
	// "secret" (body), "basic", "assertion", "none".
	ClientAuth   string
	ClientSecret secret.Secret
	Assertion    secret.Secret
	ExpiresIn    int
	// RefreshExpiresIn is a token response's refresh_token_expires_in
	// (seconds; 0 when absent): Entra's for a single-page app's refresh
	// token, whose lifetime (24 hours from the sign-in) no renewal
	// extends. MSAL.js does not send a refresh token past it.
	RefreshExpiresIn int
	// AllowOrigin is a token response's Access-Control-Allow-Origin: a
	// browser lets the page read the answer to a cross-origin request only
	// when it names the request's Origin (or is "*").
	AllowOrigin string
}

var noToken TokenParams

func (e *Event) token() *TokenParams {
	if e.Token == nil {
		return &noToken
	}
	return e.Token
}

// GrantType is the token request's grant_type.
func (e *Event) GrantType() string { return e.token().GrantType }

// CodeVerifier is the token request's PKCE code_verifier.
func (e *Event) CodeVerifier() secret.Secret { return e.token().CodeVerifier }

// RefreshToken is the refresh token a token request redeemed or a
// token response issued.
func (e *Event) RefreshToken() secret.Secret { return e.token().RefreshToken }

// ClientAuth is how the client authenticated at the token endpoint.
func (e *Event) ClientAuth() string { return e.token().ClientAuth }

// ClientSecret is the token request's client secret.
func (e *Event) ClientSecret() secret.Secret { return e.token().ClientSecret }

// Assertion is the token request's client assertion.
func (e *Event) Assertion() secret.Secret { return e.token().Assertion }

// ExpiresIn is the token response's expires_in.
func (e *Event) ExpiresIn() int { return e.token().ExpiresIn }

// RefreshExpiresIn is the token response's refresh_token_expires_in.
func (e *Event) RefreshExpiresIn() int { return e.token().RefreshExpiresIn }

// AllowOrigin is the token response's Access-Control-Allow-Origin.
func (e *Event) AllowOrigin() string { return e.token().AllowOrigin }

// EachSecret calls add with every secret the event carries: what output
// must never show raw (secret.Scrubber). An S256 PKCE challenge is not one
// (reports show it); a plain one is the verifier itself.
func (e *Event) EachSecret(add func(secret.Secret)) {
	add(e.State)
	add(e.Code)
	if a := e.Authz; a != nil {
		add(a.Nonce)
		add(a.RequestURI)
		if !strings.EqualFold(a.CodeChallengeMethod, "S256") {
			add(a.CodeChallenge)
		}
	}
	if t := e.Token; t != nil {
		add(t.CodeVerifier)
		add(t.RefreshToken)
		add(t.ClientSecret)
		add(t.Assertion)
	}
	if r := e.Rare; r != nil {
		add(r.AccessToken)
		add(r.IDToken)
		if so := r.SignOut; so != nil {
			add(so.LogoutHint)
			add(so.Token)
		}
	}
}

// Scrubber returns a secret.Scrubber that knows every secret of the events
// of one or more traces.
func Scrubber(traces ...[]Event) *secret.Scrubber {
	return ScrubberOf(func(yield func(*Event) bool) {
		for _, events := range traces {
			for i := range events {
				if !yield(&events[i]) {
					return
				}
			}
		}
	})
}

// ScrubberOf is Scrubber for events yielded one by one (events held in
// chunks), which it reads twice: to count, then to record.
func ScrubberOf(events iter.Seq[*Event]) *secret.Scrubber {
	s := secret.NewScrubber()
	n := 0
	count := func(v secret.Secret) {
		if v.Len() >= secret.ScrubMin {
			n++
		}
	}
	for e := range events {
		e.EachSecret(count)
	}
	s.Reserve(n)
	add := s.Add
	for e := range events {
		e.EachSecret(add)
	}
	return s
}

// RefusalCause is what an app's refusal of a callback says went wrong.
type RefusalCause string

// The causes of AppRefusal.
const (
	// RefusalState: the app found no sign-in state of its own for the
	// callback: the transient state, correlation or PKCE cookie (or the
	// session that held it) did not come back ("Correlation failed.",
	// authorization_request_not_found, "Unable to find a valid CSRF
	// token").
	RefusalState RefusalCause = "state"
	// RefusalNonce: the nonce the app kept for the sign-in is missing
	// (IDX21323).
	RefusalNonce RefusalCause = "nonce"
	// RefusalKeys: the state came back but the app could not decrypt it:
	// another instance, or a restart, with other data protection keys
	// ("Unable to unprotect the message.State.").
	RefusalKeys RefusalCause = "keys"
	// RefusalRedemption: the app's own redemption of the code (or the
	// token validation after it) failed ("Failed to obtain access token",
	// "Message contains error: 'invalid_grant'").
	RefusalRedemption RefusalCause = "redemption"
	// RefusalRegistration: the app found the sign-in's state but has no
	// client configuration for it: Spring Security's
	// client_registration_not_found (the saved authorization request
	// names a registration id its ClientRegistrationRepository lacks).
	RefusalRegistration RefusalCause = "registration"
	// RefusalPolicy: the app redeemed the code and made a session, then
	// its own authorization refused the user (oauth2-proxy's 403 "You do
	// not have permission to access this resource." at its callback: an
	// email domain, group or audience its settings do not allow).
	RefusalPolicy RefusalCause = "policy"
	// RefusalGateway: a reverse proxy in front of the app answered the
	// callback with its own error page (nginx's 502 Bad Gateway): the
	// app's answer, and the session cookie it set, never reached the
	// browser.
	RefusalGateway RefusalCause = "gateway"
	// RefusalUnknown: the library names no cause to the browser (Auth.js's
	// error=Configuration, Spring Security's /login?error).
	RefusalUnknown RefusalCause = "unknown"
)

// AppRefusal is how the app's sign-in library refused a callback, as its
// answer showed it. None of its fields is secret: Words is a known
// phrase of the library, never the page's other text.
type AppRefusal struct {
	Library string       // "ASP.NET Core OpenID Connect handler", "Auth.js / NextAuth.js"
	Words   string       // the library's words as the answer showed them: "Correlation failed."
	Cause   RefusalCause // what they say went wrong
	// Pending: the callback's redirect may be a refusal that only the page
	// it leads to tells (Devise's flash after an OmniAuth failure); until
	// the extractor reads that page and fills this in, Refusal reports nil.
	Pending bool
}
