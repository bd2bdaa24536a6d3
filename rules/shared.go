package rules

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/secret"
)

// Helpers that more than one rule file reads. They belong to the analysis:
// each reads the Analysis (never writes it) and no rule file calls into
// another rule file.

// issuedEvent is the best issuance time reference of a code: the
// provider's answer, else the first delivery (an upper bound).
func issuedEvent(c *CodeTrail) (*model.Event, string) {
	if c.Issued != nil {
		return c.Issued, "issued"
	}
	if len(c.Deliveries) > 0 {
		return c.Deliveries[0], "delivered to the app"
	}
	return nil, ""
}

func redirectDiffers(r *Redemption) bool {
	t := r.Tx
	return t != nil && t.Authorize != nil && t.Authorize.RedirectURI() != "" && r.Request.RedirectURI() != "" &&
		t.Authorize.RedirectURI() != r.Request.RedirectURI()
}

// pkceFails reports a verifier that does not prove the code's challenge (or
// a missing one when a challenge was sent).
func pkceFails(r *Redemption) bool {
	t := r.Tx
	if t == nil || t.Authorize == nil || t.Authorize.CodeChallenge().IsZero() {
		return false
	}
	return r.VerifierTx != t
}

func ordinal(i int) string {
	names := []string{"first", "second", "third", "fourth", "fifth"}
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("#%d", i+1)
}

func anyFailed(rs []*Redemption) bool {
	for _, r := range rs {
		if r.Failed() {
			return true
		}
	}
	return false
}

func sortEvents(evs []*model.Event) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Exchange < evs[j].Exchange })
}

// overlapped reports whether another interactive sign-in for the same client
// started after t's authorize request and before callback cb.
func overlapped(a *Analysis, t *Transaction, cb *model.Event) bool {
	if !t.Interactive() {
		return false
	}
	for _, o := range a.Transactions {
		if o != t && o.Interactive() && o.Authorize.ClientID() == t.Authorize.ClientID() &&
			o.Authorize.Exchange > t.Authorize.Exchange && o.Authorize.Exchange < cb.Exchange {
			return true
		}
	}
	return false
}

func allRedemptions(a *Analysis) []*Redemption {
	var out []*Redemption
	for _, c := range a.Codes {
		out = append(out, c.Redemptions...)
	}
	for _, t := range a.Transactions {
		for _, r := range t.Redemptions() {
			if r.Request.Code.IsZero() {
				out = append(out, r)
			}
		}
	}
	return out
}

func classOf(e *model.Event) catalog.ErrorClass {
	if e == nil || e.Err == nil {
		return catalog.ClassNone
	}
	info, _ := catalog.Classify(e.Err, e.Provider().Family)
	return info.Class
}

// setCookie is a transient cookie an app set when starting a sign-in.
type setCookie struct {
	name     string
	sameSite string // lax, strict, none, or "" when unset
	secure   bool
	lib      string // the framework its value's shape names (oauth.LibraryOfCookie), or ""
	size     int    // bytes of its name and value
	// What a browser checks before it keeps the cookie: the Domain
	// attribute ("" when unset), the URL of the response that set it, and
	// when it expires (zero when it lives for the browser session).
	domain  string
	setURL  string
	expires time.Time
	maxAge  int // the Max-Age attribute in seconds, 0 when unset
}

var sameSiteNames = map[http.SameSite]string{http.SameSiteLaxMode: "lax", http.SameSiteStrictMode: "strict", http.SameSiteNoneMode: "none"}

// loginStart finds the app response that sent the browser to this authorize
// request, and the transient cookies it set.
func loginStart(a *Analysis, az *model.Event) (*Exchange, []setCookie) {
	ex := a.Exchange(az)
	if ex == nil {
		return nil, nil
	}
	_, at, ok := a.exchangeAt(ex.Index)
	if !ok {
		return nil, nil
	}
	// The app's redirect comes shortly before the authorize request.
	for i := at - 1; i >= 0 && i >= at-50; i-- {
		prev := a.Kept[i]
		if prev == nil {
			continue
		}
		loc := prev.Location()
		if loc == nil || !sameRequest(loc, ex.URL(), az) {
			continue
		}
		var cs []setCookie
		for _, c := range prev.SetCookies() {
			if !model.Expired(c, prev.End()) {
				sc := setCookie{name: c.Name, sameSite: sameSiteNames[c.SameSite], secure: c.Secure, lib: oauth.LibraryOfCookie(c.Name, c.Value), size: len(c.Name) + 1 + len(c.Value),
					domain: c.Domain, setURL: prev.URL(), maxAge: c.MaxAge}
				// Max-Age wins over Expires (RFC 6265 section 5.3) and
				// counts from when the browser got the response.
				if set := prev.End(); c.MaxAge > 0 && !set.IsZero() {
					sc.expires = set.Add(time.Duration(c.MaxAge) * time.Second)
				} else if c.MaxAge == 0 && !c.Expires.IsZero() {
					sc.expires = c.Expires
				}
				cs = append(cs, sc)
			}
		}
		return prev, cs
	}
	return nil, nil
}

// missingCookies returns the transient cookies the app set when starting
// t's sign-in that callback cb did not send, and the exchange that set them.
func missingCookies(a *Analysis, t *Transaction, cb *model.Event) (*Exchange, []setCookie) {
	if t.Authorize == nil || !a.HasCookies {
		return nil, nil
	}
	start, set := loginStart(a, t.Authorize)
	if start == nil || len(set) == 0 {
		return nil, nil
	}
	have := map[string]bool{}
	for _, n := range cb.CookieNames() {
		have[n] = true
	}
	var missing []setCookie
	for _, c := range set {
		if !have[c.name] {
			missing = append(missing, c)
		}
	}
	sort.SliceStable(missing, func(i, j int) bool { return missing[i].name < missing[j].name })
	return start, missing
}

// cookieName renders a cookie name for a finding. Apps put the state or
// another per-sign-in value in transient cookie names ("rp_pkce_<state>",
// ".AspNetCore.Correlation.<id>"): a known secret becomes its fingerprint and
// any other long random-looking part is elided.
func cookieName(name string, az *model.Event) string {
	if az != nil {
		for _, sec := range []secret.Secret{az.State, az.Nonce()} {
			if sec.Len() >= 6 && strings.Contains(name, sec.Reveal()) {
				name = strings.ReplaceAll(name, sec.Reveal(), "<"+sec.Fingerprint()+">")
			}
		}
	}
	parts := strings.FieldsFunc(name, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '<' || r == '>' })
	for _, part := range parts {
		if len(part) >= 16 && !strings.HasPrefix(part, "sha256:") && looksRandom(part) {
			name = strings.ReplaceAll(name, part, "…")
		}
	}
	return name
}

// looksRandom reports a token that mixes letters and digits or cases, as
// generated identifiers do (and words do not).
func looksRandom(s string) bool {
	var lower, upper, digit bool
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit} {
		if b {
			n++
		}
	}
	return n >= 2
}

// sameRequest reports whether a redirect target is the authorize request the
// browser then made: same host and path, and the same state (browsers may
// re-encode a Location's query, so the strings need not be equal).
func sameRequest(target *url.URL, requested string, az *model.Event) bool {
	if target.String() == requested {
		return true
	}
	ru, err := url.Parse(requested)
	if err != nil || !strings.EqualFold(target.Host, ru.Host) || target.Path != ru.Path {
		return false
	}
	st := target.Query().Get("state")
	return st != "" && secret.New(st).Equal(az.State)
}

// callbackFailed reports whether the app refused a callback: an error
// status, a redirect to an error page or straight back to sign-in.
func callbackFailed(a *Analysis, cb *model.Event) (bool, string) {
	failed, how := callbackAnswer(a, cb)
	if r := cb.Refusal(); failed && r != nil {
		how += ", " + refusalWords(r)
	}
	return failed, how
}

// refusalWords quotes an app library's refusal: `the ASP.NET Core
// authentication handler says "Correlation failed."`.
func refusalWords(r *model.AppRefusal) string {
	who := "the app"
	if r.Library != "" {
		who = r.Library
	}
	if r.Cause == model.RefusalUnknown {
		if !strings.HasPrefix(r.Words, "error=") && !strings.HasPrefix(r.Words, "message=") && !strings.HasPrefix(r.Words, "redirected") {
			// A failure page in the library's words, naming no cause.
			return fmt.Sprintf("%s's page says %q and names no cause", who, r.Words)
		}
		// Its words are the redirect the answer already names.
		return who + "'s error redirect, which names no cause"
	}
	return fmt.Sprintf("%s says %q", who, r.Words)
}

// refusalClientAuth reports a callback its app refused quoting the
// provider's invalid_client answer to the app's own redemption.
func refusalClientAuth(cb *model.Event) bool {
	return refusalNames(cb.Refusal(), "invalid_client")
}

// refusalNames reports an app's refusal quoting the provider's error name
// answering its own redemption ("OAuthError: invalid_client").
func refusalNames(r *model.AppRefusal, name string) bool {
	return r != nil && r.Cause == model.RefusalRedemption && strings.HasSuffix(r.Words, ": "+name)
}

// refusingLibrary names the library that refused one of the
// transaction's callbacks in its own words, "" when none did.
func (t *Transaction) refusingLibrary() string {
	for _, cb := range t.Callbacks() {
		if r := cb.Refusal(); r != nil && r.Library != "" {
			return r.Library
		}
	}
	return ""
}

// refusalLost reports a callback its app refused with words saying it
// lost or could not read the sign-in's state (cookie, session, keys).
func refusalLost(cb *model.Event) bool {
	r := cb.Refusal()
	return r != nil && (r.Cause == model.RefusalState || r.Cause == model.RefusalNonce || r.Cause == model.RefusalKeys)
}

func callbackAnswer(a *Analysis, cb *model.Event) (bool, string) {
	ex := a.Exchange(cb)
	if ex == nil || !ex.Responded {
		return false, ""
	}
	st := ex.Status()
	if st >= 400 {
		return true, fmt.Sprintf("HTTP %d", st)
	}
	if st < 300 && cb.Refusal() != nil {
		// A library's failure page at the callback itself (django-allauth
		// renders "Third-Party Login Failure" with 200).
		return true, fmt.Sprintf("an HTTP %d failure page", st)
	}
	if st >= 300 && st < 400 {
		lu := ex.Location()
		if lu == nil {
			return false, ""
		}
		low := strings.ToLower(lu.Path + "?" + lu.RawQuery)
		if strings.Contains(low, "error") || strings.Contains(low, "state_mismatch") || strings.Contains(low, "correlation") {
			return true, "redirected to " + secret.RedactURL(lu.String())
		}
		if q := lu.Query(); q.Get("client_id") != "" && q.Get("response_type") != "" {
			return true, "redirected straight back to the authorize endpoint"
		}
		if cb.Refusal() != nil {
			// A library's failure redirect the extractor knows by its
			// target (OmniAuth's /auth/failure?message=…).
			return true, "redirected to " + secret.RedactURL(lu.String())
		}
	}
	return false, ""
}

// cookieHolding finds a cookie of the callback's request whose value is the
// other sign-in's state, nonce, or PKCE verifier (its S256 equals the other
// authorize request's challenge): proof that the other sign-in overwrote
// the one slot the app keeps. Not proof when the app keys its cookies per
// sign-in: a cookie named after the other sign-in's state, or the callback
// also carrying this sign-in's own value of the same kind (the browser
// sends every cookie of the app). Values are compared, never shown.
func cookieHolding(a *Analysis, cb *model.Event, self, other *Transaction) (name, what string, ok bool) {
	ex := a.Exchange(cb)
	if ex == nil || other.Authorize == nil || self.Authorize == nil {
		return "", "", false
	}
	type held struct{ name, what string }
	var others []held
	own := map[string]bool{}
	for _, c := range ex.Cookies() {
		v := c.Value
		if len(v) < 8 {
			continue
		}
		if dec, err := url.QueryUnescape(v); err == nil {
			v = dec
		}
		sv := secret.New(v)
		if w := transientValue(self.Authorize, sv); w != "" {
			own[w] = true
		}
		if w := transientValue(other.Authorize, sv); w != "" && !keyedBy(c.Name, other.Authorize) {
			others = append(others, held{c.Name, w})
		}
	}
	for _, h := range others {
		if !own[h.what] {
			return h.name, h.what, true
		}
	}
	return "", "", false
}

// transientValue names which of an authorize request's per-sign-in values
// v is: "state", "nonce", "PKCE verifier", or "".
func transientValue(az *model.Event, v secret.Secret) string {
	switch {
	case !az.State.IsZero() && v.Equal(az.State):
		return "state"
	case !az.Nonce().IsZero() && v.Equal(az.Nonce()):
		return "nonce"
	case !az.CodeChallenge().IsZero() && az.CodeChallengeMethod() != "plain" && v.S256() == az.CodeChallenge().Reveal():
		return "PKCE verifier"
	}
	return ""
}

// keyedBy reports a cookie name that embeds a sign-in's state or nonce: the
// app's per-transaction cookie for that sign-in ("rp_pkce_<state>").
func keyedBy(name string, az *model.Event) bool {
	for _, sec := range []secret.Secret{az.State, az.Nonce()} {
		if sec.Len() >= 6 && strings.Contains(name, sec.Reveal()) {
			return true
		}
	}
	return false
}

// raceLibraryNote says how a known library behaves with concurrent sign-ins.
func raceLibraryNote(lib string) string {
	switch {
	case strings.HasPrefix(lib, "Auth.js"):
		// Auth.js 5 (@auth/core): its log's words, not NextAuth.js 4's.
		return "Auth.js keeps one cookie per check (PKCE verifier, state, nonce) and browser, so concurrent sign-ins with one provider collide (its server log says InvalidCheck, or CallbackRouteError when the provider refused a code redeemed with the other sign-in's verifier)"
	case strings.HasPrefix(lib, "NextAuth.js"):
		return lib + " keeps one state and PKCE cookie per provider, so concurrent sign-ins with one provider collide (it reports \"state mismatch\" or \"State cookie was missing\")"
	case strings.HasPrefix(lib, "ASP.NET Core"), strings.HasPrefix(lib, "Microsoft.Identity.Web"):
		return "the ASP.NET Core handler reports such a callback as \"Correlation failed.\""
	case strings.HasPrefix(lib, "MSAL.js"):
		return lib + " allows one interaction at a time per app (interaction_in_progress) and keeps its request state in browser storage shared by the tabs"
	case strings.HasPrefix(lib, "express-openid-connect"):
		return "express-openid-connect keeps one auth_verification cookie, which the second sign-in overwrites"
	}
	return ""
}

// allTokenRequests is every token request of the trace, in source order.
func allTokenRequests(a *Analysis) []*Redemption {
	out := allRedemptions(a)
	out = append(out, a.Refreshes...)
	out = append(out, a.OtherGrants...)
	sortRedemptions(out)
	return out
}

func sortRedemptions(rs []*Redemption) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Request.Exchange < rs[j].Request.Exchange })
}

func orUnknownClient(id string) string {
	if id == "" {
		return "(client_id not in the request)"
	}
	return id
}

// Pause is a delay between a code's delivery to the app and its redemption
// that stands out against the app's other steps.
type Pause struct {
	Callback *model.Event
	Pause    time.Duration // callback → redemption
	Others   time.Duration // the longest of the app's other steps
}

// PauseBeforeRedemption reports the app holding a code for seconds between
// the callback and the redemption while its other steps (the browser
// following the provider's redirect to it, its answer to the callback) take
// milliseconds: an interstitial page, a queued job, a deferred handler.
// The capture clock measures them all, so no Date-header rounding enters.
// The redemption's own round trip is not one of the app's steps: it is
// mostly the provider's time to refuse the code (oidc-provider on a loaded
// host took 830 ms to answer a 5 s code redeemed after 8 s), and the pause
// ends where the redemption starts.
func (a *Analysis) PauseBeforeRedemption(c *CodeTrail, r *Redemption) (Pause, bool) {
	if len(c.Deliveries) == 0 {
		return Pause{}, false
	}
	cb := c.Deliveries[0]
	pause, ok := captureElapsed(cb, r.Request)
	if !ok || pause < 2*time.Second {
		return Pause{}, false
	}
	others := time.Duration(0)
	if c.Issued != nil {
		if d, ok := captureElapsed(c.Issued, cb); ok && d > others {
			others = d
		}
	}
	if ex := a.Exchange(cb); ex != nil && !ex.End().IsZero() && ex.End().Sub(ex.Start) > others && r.Request.Time.After(ex.End()) {
		others = ex.End().Sub(ex.Start)
	}
	if others <= 0 || pause < 10*others {
		return Pause{}, false
	}
	return Pause{Callback: cb, Pause: pause, Others: others}, true
}

// CORSBlock is how a cross-origin token request's answer was kept from
// the page, and how sure the trace makes that.
type CORSBlock struct {
	How        string
	Confidence Confidence
	// Origin is the page's origin: the request's Origin header, or its
	// preflight's when the browser never sent the request.
	Origin string
	// Unsent: a refused preflight kept the browser from sending the
	// request, so the provider never saw it (the code is not spent);
	// Refusal is what the preflight's answer did not allow.
	Unsent  bool
	Refusal string
}

// CORSBlocked reports a token request from browser JavaScript whose answer
// the page could not read: the provider's answer, as a capture or proxy
// shows it, lacks an Access-Control-Allow-Origin for the request's Origin
// (high); the browser recorded the request as failed the way a CORS
// refusal shows (Chrome's net::ERR_FAILED, medium); or a cross-origin fetch
// (Sec-Fetch-Mode: cors) has no answer and no failure text at all, as
// Firefox writes it and as a SAZ imported from such a HAR holds it (low: a
// network failure looks the same). A failure text naming a network error
// is not a CORS block.
//
// A request whose CORS preflight (an OPTIONS beside it, Preflight) the
// provider refused was never sent: the browser records it with no answer
// and, as Chromium does, without the Origin and Sec-Fetch-* fields it
// would have added on the wire; the preflight names the origin (high).
func CORSBlocked(a *Analysis, r *Redemption) (CORSBlock, bool) {
	req := r.Request
	if r.Response == nil && req.Failure() != "" {
		if pf, why, ok := a.refusedPreflight(req); ok && !sameOrigin(pf.Origin, req.Endpoint()) {
			return CORSBlock{How: fmt.Sprintf("its CORS preflight at %s was refused: %s, so the browser never sent the request (it recorded %s)", pf.Ref, why, req.Failure()),
				Confidence: ConfidenceHigh, Origin: pf.Origin, Unsent: true, Refusal: why}, true
		}
	}
	if req.Origin() == "" || req.Origin() == "null" || sameOrigin(req.Origin(), req.Endpoint()) {
		return CORSBlock{}, false
	}
	if r.Response == nil {
		f := strings.ToLower(req.Failure())
		switch {
		case strings.Contains(f, "err_failed") || strings.Contains(f, "cors") || strings.Contains(f, "access control") || strings.Contains(f, "access-control"):
			return CORSBlock{How: fmt.Sprintf("the browser recorded the request as failed (%s), as it records a CORS refusal, and the page never saw an answer", req.Failure()), Confidence: ConfidenceMedium, Origin: req.Origin()}, true
		case f == "" && req.FetchMode() == "cors":
			return CORSBlock{How: "the trace holds no answer and no failure text for this cross-origin fetch, which is how a browser records a CORS refusal (a network failure looks the same; a capture of the wire would tell)", Confidence: ConfidenceLow, Origin: req.Origin()}, true
		}
		return CORSBlock{}, false
	}
	resp := r.Response
	if req.FetchMode() != "cors" {
		// Only the browser's own word (Sec-Fetch-Mode: cors) says CORS
		// applies; traces that dropped headers prove nothing.
		return CORSBlock{}, false
	}
	if resp.Status <= 0 || resp.AllowOrigin() == "*" || strings.EqualFold(strings.TrimSpace(resp.AllowOrigin()), req.Origin()) {
		return CORSBlock{}, false
	}
	if resp.AllowOrigin() == "" {
		return CORSBlock{How: fmt.Sprintf("the provider answered HTTP %d without an Access-Control-Allow-Origin header, so the browser withheld the answer from the page", resp.Status), Confidence: ConfidenceHigh, Origin: req.Origin()}, true
	}
	return CORSBlock{How: fmt.Sprintf("the provider answered HTTP %d with Access-Control-Allow-Origin %q, not the page's origin, so the browser withheld the answer from the page", resp.Status, resp.AllowOrigin()), Confidence: ConfidenceHigh, Origin: req.Origin()}, true
}

// preflightReach is how many exchanges before and after a request
// refusedPreflight looks for its preflight: a browser sends it right
// before, and a HAR built from the DevTools protocol lists it right after.
const preflightReach = 6

// refusedPreflight finds the CORS preflight nearest req (same URL and
// method) whose answer refuses it, and says why.
func (a *Analysis) refusedPreflight(req *model.Event) (Preflight, string, bool) {
	ex, pos, ok := a.exchangeAt(req.Exchange)
	if !ok || ex == nil {
		return Preflight{}, "", false
	}
	for d := 1; d <= preflightReach; d++ {
		for _, i := range [2]int{pos + d, pos - d} {
			if i < 0 || i >= len(a.Kept) || a.Kept[i] == nil || a.Kept[i].URL() != ex.URL() {
				continue
			}
			pf, ok := a.Kept[i].preflight()
			if !ok || !strings.EqualFold(pf.Method, ex.Method()) || pf.Origin == "" {
				continue
			}
			if why := pf.Refusal(); why != "" {
				return pf, why, true
			}
			return Preflight{}, "", false // the nearest preflight allowed it
		}
	}
	return Preflight{}, "", false
}

// sameOrigin reports whether an Origin header names the endpoint's origin.
func sameOrigin(origin, endpoint string) bool {
	o, err1 := url.Parse(origin)
	e, err2 := url.Parse(endpoint)
	return err1 == nil && err2 == nil && strings.EqualFold(o.Scheme, e.Scheme) && strings.EqualFold(o.Host, e.Host)
}

// pollPending reports a token request the provider answered "keep polling"
// (RFC 8628 §3.5 authorization_pending or slow_down; CIBA uses the same
// answers): device code and CIBA clients are told to repeat these requests
// until the user approves, so they are the protocol, not a loop.
func pollPending(r *Redemption) bool {
	if r.Response == nil || r.Response.Err == nil {
		return false
	}
	switch r.Response.Err.Error {
	case "authorization_pending", "slow_down":
		return true
	}
	return false
}

// pollGrant reports a grant whose client polls the token endpoint until the
// user approves elsewhere: the device authorization grant (RFC 8628; ADAL
// v1 names it device_code) and OpenID CIBA.
func pollGrant(g string) bool {
	switch g {
	case "urn:ietf:params:oauth:grant-type:device_code", "device_code", "urn:openid:params:grant-type:ciba":
		return true
	}
	return false
}

// messageRedirect reports a redirect_uri that is not a callback URL at all:
// Google's popup code flows hand the code to the opener page by
// postMessage (Google Identity Services' "storagerelay://…", gapi.auth2's
// "postmessage"), so no request to the app carries it and there is no
// callback to forge; these clients send no state by default.
func messageRedirect(uri string) bool {
	u := strings.ToLower(uri)
	return u == "postmessage" || strings.HasPrefix(u, "storagerelay://")
}

// InstanceSwitch is a failed callback served by another app instance than
// the one that started its sign-in, while the browser sent back every
// cookie that start set: the second instance could not read the first
// one's sign-in state. Known only when a proxy's backend-side capture is
// read with the browser's trace (model.Exchange.Instance).
type InstanceSwitch struct {
	Start      *Exchange // the app's response that started the sign-in
	From, To   string    // the instances that started it and got the callback
	HowRefused string
	// CookiesSent: the start set cookies and the callback sent them all.
	CookiesSent bool
}

func instanceSwitch(a *Analysis, t *Transaction, cb *model.Event) (InstanceSwitch, bool) {
	failed, how := callbackFailed(a, cb)
	cbEx := a.Exchange(cb)
	if !failed || cbEx == nil || cbEx.Instance() == "" || t.Authorize == nil {
		return InstanceSwitch{}, false
	}
	start, set := loginStart(a, t.Authorize)
	if start == nil || start.Instance() == "" || start.Instance() == cbEx.Instance() {
		return InstanceSwitch{}, false
	}
	_, missing := missingCookies(a, t, cb)
	if len(missing) > 0 {
		return InstanceSwitch{}, false // a lost cookie is the simpler story
	}
	if c, ok := a.byCode[cb.Code]; ok && !cb.Code.IsZero() && len(c.Redemptions) > 0 {
		return InstanceSwitch{}, false // the app got as far as redeeming
	}
	return InstanceSwitch{Start: start, From: start.Instance(), To: cbEx.Instance(), HowRefused: how,
		CookiesSent: len(set) > 0 && a.HasCookies}, true
}

// oauthDelivered reports whether the trace ties a code's deliveries to an
// OAuth sign-in: any link with code= and state= makes a callback, and one
// loaded twice (a reload of an app page, an e-mail verification link) is
// no reused authorization code unless the provider issued the code, an
// authorize request started the sign-in (its state, or its redirect URI
// before the delivery, or the app's redirect to that authorize request), a
// token request redeemed it, or a delivery came the way only OAuth sends a
// code (a form_post page, a fragment, a postMessage, with an ID token or
// parameters only an OAuth response has, or from a known provider's page).
func oauthDelivered(a *Analysis, c *CodeTrail) bool {
	if c.Issued != nil || len(c.Redemptions) > 0 || c.Tx != nil && c.Tx.Authorize != nil {
		return true
	}
	for _, d := range c.Deliveries {
		switch d.Delivery() {
		case "form_post", "fragment", "post_message":
			return true
		}
		if !d.IDToken().IsZero() || d.Solicited() {
			return true
		}
		// Sent on from a known provider's page (a HAR that starts after
		// the authorize request still shows where the redirect came from).
		if ref, err := url.Parse(d.Referer()); err == nil && ref.Host != "" && oauth.ProviderOf(ref).Family != model.FamilyGeneric {
			return true
		}
	}
	first := c.Deliveries[0]
	for _, t := range a.Transactions {
		if az := t.Authorize; az != nil && az.RedirectURI() != "" && strings.EqualFold(az.RedirectURI(), first.RedirectURI()) && !az.Time.After(first.Time) {
			return true
		}
	}
	return false
}

// replayOfCompleted reports a callback delivering again a code whose
// earlier delivery the app had answered without failing before this one
// came: that callback consumed the sign-in's state (its transient cookies
// cleared), so a state the app no longer finds is the replay's story
// (code-reuse), not a lost cookie.
func replayOfCompleted(a *Analysis, cb *model.Event) bool {
	if cb.Code.IsZero() {
		return false
	}
	c := a.trailOf(cb.Code)
	if c == nil {
		return false
	}
	for _, d := range c.Deliveries {
		if d == cb || d.Exchange == cb.Exchange {
			break
		}
		x := a.Exchange(d)
		if x == nil || !x.Answered() || x.End().IsZero() || cb.Time.IsZero() || cb.Time.Before(x.End()) {
			continue
		}
		if failed, _ := callbackFailed(a, d); !failed {
			return true
		}
	}
	return false
}

// authRetries counts the redemptions that repeat the one before them with
// another client authentication method after the provider refused its
// credentials: the client library's fallback (golang.org/x/oauth2's
// auto-detected auth style tries HTTP Basic, then the secret in the body),
// not a second use of the code, which a refused client never consumed.
func authRetries(rs []*Redemption) int {
	n := 0
	for i := 1; i < len(rs); i++ {
		if authRetry(rs[i-1], rs[i]) {
			n++
		}
	}
	return n
}

// authRetry reports whether r repeats prev, refused, with another client
// authentication method once prev's refusal had come back:
// golang.org/x/oauth2 does so after any refusal until it has learnt the
// provider's method (AuthStyleAutoDetect), so a code refused as already
// used is sent a third time too.
func authRetry(prev, r *Redemption) bool {
	if !prev.Failed() || prev.Request.ClientAuth() == r.Request.ClientAuth() || prev.Request.ClientID() != r.Request.ClientID() {
		return false
	}
	if prev.Class() == catalog.ClassClientAuth {
		return true
	}
	// Another refusal: only a retry sent right after it came back.
	at, sent := prev.Response.Time, r.Request.Time
	return !at.IsZero() && !sent.IsZero() && !sent.Before(at) && sent.Sub(at) < time.Second
}

// authName names a client authentication method for a message.
func authName(a string) string {
	switch a {
	case "none", "":
		return "no credential"
	case "secret":
		return "a client_secret in the body"
	case "basic":
		return "HTTP Basic"
	case "assertion":
		return "a client_assertion"
	}
	return a
}

// hostOfURL is a URL's host and port, "" when it does not parse.
func hostOfURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Host
}

// codeUnredeemed reports a code the trace shows no redemption of.
func codeUnredeemed(a *Analysis, code secret.Secret) bool {
	for _, c := range a.Codes {
		if c.Code.Equal(code) {
			return len(c.Redemptions) == 0
		}
	}
	return true
}

// socialAuthStarts reports two sign-ins both started by
// social-auth-app-django, known by its URL layout (oauth.SocialAuthStart).
func socialAuthStarts(a *Analysis, az, bz *model.Event) bool {
	for _, z := range []*model.Event{az, bz} {
		start, _ := loginStart(a, z)
		if start == nil || !oauth.SocialAuthStart(start.URL(), z.RedirectURI()) {
			return false
		}
	}
	return true
}

// isLoopback reports an http URI on the loopback interface (RFC 8252
// §7.3): a native app's redirect URI.
func isLoopback(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// kubeloginPorts are kubelogin's default --listen-address ports
// (127.0.0.1:8000, then 127.0.0.1:18000 when the first is taken), which it
// sends as http://localhost:PORT.
var kubeloginPorts = map[string]bool{"8000": true, "18000": true}

// loopbackSending says that a native app's loopback listener started the
// sign-in and sent its own address as the redirect URI (RFC 8252 §7.3):
// the browser asked it for its page and it redirected to the authorize
// endpoint, as kubelogin (int128/oauth2cli) does. kubelogin is named when
// the port is one of its defaults; and when another sign-in of the client
// was waiting on another loopback port, that one is named: a second
// instance found the first port taken. "" when the trace does not show it.
func loopbackSending(a *Analysis, t *Transaction) (note string, kubelogin bool) {
	if t.Authorize == nil || !isLoopback(t.Authorize.RedirectURI()) {
		return "", false
	}
	start, _ := loginStart(a, t.Authorize)
	if start == nil {
		return "", false
	}
	su, err1 := url.Parse(start.URL())
	ru, err2 := url.Parse(t.Authorize.RedirectURI())
	if err1 != nil || err2 != nil || !strings.EqualFold(su.Host, ru.Host) || ru.Path != "" && ru.Path != "/" {
		// A web app served on localhost (development) starts its sign-ins
		// too, with a callback path of its own: only a listener's root is
		// a native app's.
		return "", false
	}
	note = fmt.Sprintf("a native app's loopback listener at %s started the sign-in (its redirect to the authorize endpoint at %s) and sent its own address", secret.RedactURL("http://"+su.Host), start.Ref)
	if !kubeloginPorts[ru.Port()] {
		return note, false
	}
	note += fmt.Sprintf(", as kubelogin does: it listens on the first free --listen-address (127.0.0.1:8000, then 127.0.0.1:18000) and sends http://localhost:PORT (port %s here)", ru.Port())
	// Another sign-in of the client on another loopback port that had not
	// completed when this one started: the instance that held the port.
	for _, o := range a.Transactions {
		oz := o.Authorize
		if o == t || oz == nil || oz.Exchange >= t.Authorize.Exchange || oz.ClientID() != t.Authorize.ClientID() || !isLoopback(oz.RedirectURI()) {
			continue
		}
		ou, err := url.Parse(oz.RedirectURI())
		if err != nil || ou.Port() == ru.Port() {
			continue
		}
		if at := completedAt(o); at >= 0 && at < t.Authorize.Exchange {
			continue
		}
		note += fmt.Sprintf("; another sign-in of client %s was waiting on %s (started at %s) when this one started: a second kubelogin (a second kubectl command while the first waited for the browser) found port %s taken and took port %s",
			t.Authorize.ClientID(), secret.RedactURL(oz.RedirectURI()), oz.Ref, ou.Port(), ru.Port())
		break
	}
	return note, true
}

// fositeGeneric are RFC 6749's sentences for its errors as ory/fosite (and
// so Ory Hydra) words them at the head of every error_description; what
// follows is the cause (its hint, merged into the description since fosite
// 0.34).
var fositeGeneric = []string{
	"The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.",
	"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
	"Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).",
	"The resource owner or authorization server denied the request.",
	"The request is not allowed.",
}

// fositeCause is the cause an ory/fosite error_description gives after
// RFC 6749's sentence for the error, "" when it gives none.
func fositeCause(desc string) string {
	for _, g := range fositeGeneric {
		if rest, ok := strings.CutPrefix(desc, g); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// shortDescription is a provider's description on one line, cut at 160
// bytes.
func shortDescription(desc string) string {
	d := strings.Join(strings.Fields(desc), " ")
	if len(d) > 160 {
		d = d[:160] + "…"
	}
	return d
}

// signOutEvents are the trace's sign-out steps in time order.
func (a *Analysis) signOutEvents() []*model.Event {
	var out []*model.Event
	for ev := range a.events() {
		if ev.Kind.IsSignOut() {
			out = append(out, ev)
		}
	}
	sortSource(out)
	return out
}

// sortSource sorts events into source order (sourceBefore): the events of
// one exchange by kind, whatever order they came in.
func sortSource(evs []*model.Event) {
	sort.SliceStable(evs, func(i, j int) bool { return sourceBefore(evs[i], evs[j]) })
}

// quoteErr is the provider's error as a finding quotes it.
func quoteErr(pe *model.ProviderError) string {
	d := strings.TrimSpace(secret.RedactText(pe.Description))
	if len(d) > 200 {
		d = strings.ToValidUTF8(d[:200], "") + "…"
	}
	switch {
	case pe.Error != "" && d != "":
		return fmt.Sprintf("%s: %q", pe.Error, d)
	case d != "":
		return fmt.Sprintf("%q", d)
	}
	return pe.Error
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// endSessionOf names a provider's end-session endpoint.
func endSessionOf(p model.Provider) string {
	switch p.Family {
	case model.FamilyEntra:
		return "https://" + orDefault(p.Host, "login.microsoftonline.com") + "/" + orDefault(p.Tenant, "{tenant}") + "/oauth2/v2.0/logout"
	case model.FamilyADFS:
		return "https://" + p.Host + "/adfs/oauth2/logout"
	case model.FamilyOkta:
		return "the authorization server's /v1/logout"
	case model.FamilyAuth0:
		return "https://" + p.Host + "/oidc/logout (or /v2/logout with returnTo and client_id)"
	case model.FamilyKeycloak:
		return "the realm's /protocol/openid-connect/logout"
	case model.FamilyCognito:
		return "https://" + p.Host + "/logout?client_id=…&logout_uri=…"
	case model.FamilyGoogle:
		return "https://oauth2.googleapis.com/revoke (Google has no end-session endpoint: revoke the token)"
	}
	return "the end_session_endpoint of the provider's discovery document"
}

// sameHost reports two URLs of one host (and port).
func sameHost(a, b string) bool {
	host := func(s string) string {
		if i := strings.Index(s, "://"); i >= 0 {
			s = s[i+3:]
		}
		if i := strings.IndexAny(s, "/?#"); i >= 0 {
			s = s[:i]
		}
		return strings.ToLower(s)
	}
	return host(a) != "" && host(a) == host(b)
}
