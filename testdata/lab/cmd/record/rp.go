package main

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// rpDefects switch the relying party's deliberate mistakes. The zero value
// is a correct confidential client: per-transaction state and verifier,
// one redemption, redirect away from the callback after success.
type rpDefects struct {
	// RedeemTwice runs the code-received handler twice (two middlewares
	// both redeeming), one after the other.
	RedeemTwice bool
	// RedeemParallel sends two token requests at the same moment.
	RedeemParallel bool
	// RenderAtCallback answers the callback with the signed-in page itself
	// and never clears the transaction, so a reload redeems again.
	RenderAtCallback bool
	// TokenRedirectURI, when set, is sent at the token endpoint instead of
	// the redirect_uri used at authorize.
	TokenRedirectURI string
	// RedeemDelay holds the code before redeeming it.
	RedeemDelay time.Duration
	// SharedStateCookie keeps one rp_state cookie for all sign-ins, so a
	// second tab overwrites the first one's state.
	SharedStateCookie bool
	// SharedVerifierCookie keeps one rp_pkce cookie for all sign-ins.
	SharedVerifierCookie bool
	// AuthorizeRedirectURI, when set, is sent at authorize instead of the
	// registered callback.
	AuthorizeRedirectURI string
	// WrongSecret authenticates with a secret that is not the client's
	// (the secret's ID pasted instead of its value).
	WrongSecret bool
	// OmitVerifier drops code_verifier from the token request although the
	// authorize request carried a code_challenge.
	OmitVerifier bool
	// FormPost asks for response_mode=form_post; the callback is a POST.
	FormPost bool
	// CallbackPath replaces /callback as the registered redirect path
	// (e.g. ASP.NET's /signin-oidc); not a defect.
	CallbackPath string
	// KeepOldRefreshToken ignores the rotated refresh token a refresh
	// returns and reuses the first one.
	KeepOldRefreshToken bool
	// CookieSameSite is the SameSite attribute of the transaction cookies:
	// Lax (default), Strict or None (with Secure).
	CookieSameSite string
	// SlowFirstCallback holds the answer to the first callback the app
	// gets (after its redemption) this long: a cold instance loading the
	// user's profile.
	SlowFirstCallback time.Duration
	// Interstitial answers the callback with a "just a moment" page that
	// moves on to /callback/continue after this long; the code is redeemed
	// there (kept server-side meanwhile, never in a URL again).
	Interstitial time.Duration
	// InstanceKeys protects the correlation cookie with a key of each
	// instance's own (ASP.NET data protection keys not shared between
	// instances): an instance cannot read another one's cookie.
	InstanceKeys bool
	// RequestObject sends the authorize parameters in a request object
	// (JAR, RFC 9101: an HS256 JWT signed with the client secret), the URL
	// carrying only client_id and request.
	RequestObject bool
	// PAR pushes the authorize parameters to the provider's pushed
	// authorization request endpoint on the back channel (RFC 9126) and
	// sends the browser to the authorize endpoint with client_id and the
	// request_uri it got (not a defect).
	PAR bool
}

// spaDefects switch the browser app's mistakes.
type spaDefects struct {
	Double         bool `json:"double"`         // exchange the code twice (effects run twice)
	WrongVerifier  bool `json:"wrongVerifier"`  // make a new verifier at token time
	SharedStorage  bool `json:"sharedStorage"`  // one localStorage key for every tab's verifier
	Refresh        bool `json:"refresh"`        // redeem the refresh token once after sign-in
	RefreshDelayMS int  `json:"refreshDelayMs"` // wait before the refresh
	// SharedCodeSlot hands the code from the callback route to the app
	// through one localStorage slot, read after SlotDelayMS (the app's
	// bootstrap): a second tab's callback overwrites the first one's code.
	SharedCodeSlot bool `json:"sharedCodeSlot"`
	SlotDelayMS    int  `json:"slotDelayMs"`
	// KeepCallbackURL leaves the callback URL in the address bar after the
	// exchange (no history.replaceState): a reload runs the exchange again.
	KeepCallbackURL bool `json:"keepCallbackUrl"`
	// RedeemDelayMS shows an interstitial between the callback and the
	// redemption.
	RedeemDelayMS int `json:"redeemDelayMs"`
	// CallAPI keeps the access token of a successful exchange in
	// localStorage and, after every exchange, calls the provider's API with
	// the token it holds (what the user's next page does).
	CallAPI bool `json:"callApi"`
	// SilentRenew, after a successful sign-in, renews silently the way
	// MSAL.js, oidc-client-ts and the Auth0 SPA SDK do: an authorize
	// request with prompt=none in a hidden iframe, its callback handed to
	// the app by postMessage, a code redeemed by fetch.
	SilentRenew bool `json:"silentRenew"`
	// PAR pushes the authorize parameters by fetch to the provider's pushed
	// authorization request endpoint (RFC 9126) and sends the browser to
	// the authorize endpoint with client_id and the request_uri it got.
	PAR bool `json:"par"`
}

// rpLogEntry is one back-channel token exchange or one RP decision. It is
// the RP's log, from which expectations are derived.
type rpLogEntry struct {
	Time        time.Time `json:"time"`
	Event       string    `json:"event"` // token-request, state-mismatch, state-missing
	Handler     string    `json:"handler,omitempty"`
	Grant       string    `json:"grant,omitempty"`
	Code        string    `json:"-"`
	Refresh     string    `json:"-"` // refresh token sent (refresh grant)
	IssuedRT    string    `json:"-"` // refresh token the provider returned
	IssuedAT    string    `json:"-"` // access token the provider returned
	RedirectURI string    `json:"redirect_uri,omitempty"`
	Verifier    string    `json:"-"`
	State       string    `json:"-"`
	Status      int       `json:"status,omitempty"`
	Error       string    `json:"error,omitempty"`
	Description string    `json:"error_description,omitempty"`
	Started     time.Time `json:"-"`
	URI         string    `json:"-"` // request URI of a received callback
	Method      string    `json:"-"`
}

type rp struct {
	origin      string
	redirectURI string
	op          *provider
	defects     rpDefects
	spa         spaDefects
	client      *http.Client

	mu        sync.Mutex
	callbacks int                   // callbacks received, over every instance
	stash     map[string]url.Values // callbacks held behind the interstitial
	keys      map[string][]byte     // instance -> its own cookie protection key
	log       []rpLogEntry
	sessions  map[string]string // session id -> refresh token
}

func newRP(origin string, op *provider, d rpDefects, spa spaDefects, client *http.Client) *rp {
	return &rp{origin: origin, redirectURI: origin + cmp.Or(d.CallbackPath, "/callback"), op: op, defects: d, spa: spa, client: client, sessions: map[string]string{}, stash: map[string]url.Values{}, keys: map[string][]byte{}}
}

func (p *rp) record(e rpLogEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, e)
}

func (p *rp) entries() []rpLogEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]rpLogEntry(nil), p.log...)
}

func (p *rp) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", p.login)
	mux.HandleFunc("GET /callback", p.callback)
	mux.HandleFunc("POST /callback", p.callback)
	if path := p.defects.CallbackPath; path != "" {
		mux.HandleFunc("GET "+path, p.callback)
		mux.HandleFunc("POST "+path, p.callback)
	}
	mux.HandleFunc("GET /callback/continue", p.callbackContinue)
	mux.HandleFunc("GET /home", p.home)
	mux.HandleFunc("GET /refresh", p.refreshHandler)
	mux.HandleFunc("GET /spa/", p.spaPage)
	return mux
}

// protect is the correlation cookie's value for state: "1", or with
// InstanceKeys an HMAC under the key of the instance serving r.
func (p *rp) protect(r *http.Request, state string) string {
	if !p.defects.InstanceKeys {
		return "1"
	}
	inst := instanceOf(r)
	p.mu.Lock()
	key := p.keys[inst]
	if key == nil {
		key = []byte(b64(32))
		p.keys[inst] = key
	}
	p.mu.Unlock()
	m := hmac.New(sha256.New, key)
	m.Write([]byte(state))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

type instanceKey struct{}

// instanceHandler is the app as one of several instances behind a proxy:
// the same app, sharing nothing but what the browser's cookies carry.
func (p *rp) instanceHandler(name string) http.Handler {
	h := p.handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), instanceKey{}, name)))
	})
}

func instanceOf(r *http.Request) string {
	if v, ok := r.Context().Value(instanceKey{}).(string); ok {
		return " (" + v + ")"
	}
	return ""
}

func b64(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// codeFingerprint is the contract's fingerprint of a secret.
func codeFingerprint(v string) string {
	sum := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(sum[:])[:12]
}

var rpPage = template.Must(template.New("p").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title><link rel="icon" href="data:,"></head>
<body><h1>{{.Title}}</h1><p id="result">{{.Message}}</p></body></html>`))

func writePage(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = rpPage.Execute(w, map[string]string{"Title": title, "Message": msg})
}

func (p *rp) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: maxAge}
	switch p.defects.CookieSameSite {
	case "Strict":
		c.SameSite = http.SameSiteStrictMode
	case "None":
		c.SameSite, c.Secure = http.SameSiteNoneMode, true
	}
	http.SetCookie(w, c)
}

func (p *rp) login(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := b64(16), b64(16), b64(32)
	if p.defects.SharedStateCookie {
		p.setCookie(w, "rp_state", state, 900)
	} else {
		p.setCookie(w, "rp_tx_"+state, p.protect(r, state), 900)
	}
	if p.defects.SharedVerifierCookie {
		p.setCookie(w, "rp_pkce", verifier, 900)
	} else {
		p.setCookie(w, "rp_pkce_"+state, verifier, 900)
	}
	q := url.Values{
		"client_id":             {p.op.ClientID},
		"response_type":         {"code"},
		"scope":                 {"openid profile offline_access"},
		"redirect_uri":          {cmp.Or(p.defects.AuthorizeRedirectURI, p.redirectURI)},
		"state":                 {state},
		"nonce":                 {nonce},
		"code_challenge":        {s256(verifier)},
		"code_challenge_method": {"S256"},
	}
	if p.defects.FormPost {
		q.Set("response_mode", "form_post")
	}
	if p.op.OfflinePrompt != "" {
		q.Set("prompt", p.op.OfflinePrompt)
	}
	if p.defects.RequestObject {
		q = url.Values{"client_id": {p.op.ClientID}, "request": {p.requestObject(q)}}
	}
	if p.defects.PAR {
		uri, err := p.push(q)
		if err != nil {
			writePage(w, http.StatusBadGateway, "Sign-in failed", "pushed authorization request: "+err.Error())
			return
		}
		q = url.Values{"client_id": {p.op.ClientID}, "request_uri": {uri}}
	}
	http.Redirect(w, r, p.op.AuthorizeURL+"?"+q.Encode(), http.StatusFound)
}

// push sends the authorize parameters to the provider's pushed
// authorization request endpoint on the back channel (RFC 9126 §2.1, with
// the client's credentials as at the token endpoint) and returns the
// request_uri it answers; the RP's log keeps what it pushed.
func (p *rp) push(q url.Values) (string, error) {
	form := url.Values{}
	for k, v := range q {
		form[k] = v
	}
	form.Set("client_secret", p.op.ClientSecret)
	req, err := http.NewRequest(http.MethodPost, p.op.PARURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "traceaudit-lab-rp/1 (Go net/http)")
	e := rpLogEntry{Event: "par", Handler: "login", Started: time.Now().UTC(), State: q.Get("state"), RedirectURI: q.Get("redirect_uri"), Verifier: q.Get("code_challenge")}
	resp, err := p.client.Do(req)
	e.Time = time.Now().UTC()
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var ans struct {
		RequestURI string `json:"request_uri"`
		Error      string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans)
	e.Status, e.Error, e.URI = resp.StatusCode, ans.Error, ans.RequestURI
	p.record(e)
	if ans.RequestURI == "" {
		return "", fmt.Errorf("%d %s", resp.StatusCode, ans.Error)
	}
	return ans.RequestURI, nil
}

// requestObject signs the authorize parameters as a request object (RFC
// 9101 §4: iss the client, aud the issuer), HS256 with the client secret.
func (p *rp) requestObject(q url.Values) string {
	claims := map[string]any{"iss": p.op.ClientID, "aud": p.op.Issuer, "iat": time.Now().Unix(),
		"exp": time.Now().Add(5 * time.Minute).Unix(), "jti": b64(12)}
	for k := range q {
		claims[k] = q.Get(k)
	}
	header, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "oauth-authz-req+jwt"})
	payload, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(p.op.ClientSecret))
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

func (p *rp) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			writePage(w, http.StatusBadRequest, "Sign-in failed", "bad form")
			return
		}
		q = r.PostForm
	}
	p.handleCallback(w, r, q, false)
}

// callbackContinue is where the interstitial leads: the held callback is
// handled now.
func (p *rp) callbackContinue(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	q := p.stash[r.URL.Query().Get("tx")]
	delete(p.stash, r.URL.Query().Get("tx"))
	p.mu.Unlock()
	if q == nil {
		writePage(w, http.StatusBadRequest, "Sign-in failed", "no sign-in to continue")
		return
	}
	p.handleCallback(w, r, q, true)
}

var interstitialPage = template.Must(template.New("i").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Just a moment</title><link rel="icon" href="data:,">
<meta http-equiv="refresh" content="{{.Seconds}};url=/callback/continue?tx={{.Tx}}"></head>
<body><h1>Just a moment</h1><p id="wait">Setting up your workspace…</p></body></html>`))

func (p *rp) handleCallback(w http.ResponseWriter, r *http.Request, q url.Values, resumed bool) {
	state, code := q.Get("state"), q.Get("code")
	if !resumed {
		p.record(rpLogEntry{Time: time.Now().UTC(), Event: "callback-received", Handler: strings.TrimSpace(strings.Trim(instanceOf(r), " ()")), Code: code, State: state, URI: r.URL.RequestURI(), Method: r.Method})
	}
	if e := q.Get("error"); e != "" {
		writePage(w, http.StatusBadRequest, "Sign-in failed", e+": "+q.Get("error_description"))
		return
	}
	var verifier string
	if p.defects.SharedStateCookie {
		if got := cookie(r, "rp_state"); got != state {
			p.record(rpLogEntry{Time: time.Now().UTC(), Event: "state-mismatch", Code: code, State: state})
			writePage(w, http.StatusBadRequest, "Sign-in failed", "state mismatch: the state in the callback is not the one this browser stored")
			return
		}
	} else if c := cookie(r, "rp_tx_"+state); c != "" && c != p.protect(r, state) {
		p.record(rpLogEntry{Time: time.Now().UTC(), Event: "correlation-failed", Handler: strings.Trim(instanceOf(r), " ()"), Code: code, State: state})
		writePage(w, http.StatusBadRequest, "Sign-in failed", "correlation failed: the transaction cookie cannot be read")
		return
	} else if c == "" {
		p.record(rpLogEntry{Time: time.Now().UTC(), Event: "state-missing", Code: code, State: state})
		writePage(w, http.StatusBadRequest, "Sign-in failed", "unknown state")
		return
	}
	if p.defects.SharedVerifierCookie {
		verifier = cookie(r, "rp_pkce")
	} else {
		verifier = cookie(r, "rp_pkce_"+state)
	}
	if p.defects.RedeemDelay > 0 {
		time.Sleep(p.defects.RedeemDelay)
	}
	if p.defects.Interstitial > 0 && !resumed {
		tx := b64(12)
		p.mu.Lock()
		p.stash[tx] = q
		p.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = interstitialPage.Execute(w, map[string]any{"Seconds": int(p.defects.Interstitial.Seconds()), "Tx": tx})
		return
	}
	redirect := p.redirectURI
	if p.defects.TokenRedirectURI != "" {
		redirect = p.defects.TokenRedirectURI
	}
	var results []rpLogEntry
	switch {
	case p.defects.RedeemParallel:
		var wg sync.WaitGroup
		out := make([]rpLogEntry, 2)
		start := make(chan struct{})
		for i := range out {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				out[i] = p.redeem(code, redirect, verifier, state, fmt.Sprintf("parallel %d of 2", i+1))
			}()
		}
		close(start)
		wg.Wait()
		results = out
	case p.defects.RedeemTwice:
		results = append(results, p.redeem(code, redirect, verifier, state, "handler 1 of 2 (middleware)"))
		results = append(results, p.redeem(code, redirect, verifier, state, "handler 2 of 2 (app code)"))
	default:
		results = append(results, p.redeem(code, redirect, verifier, state, "callback"+instanceOf(r)))
	}
	p.mu.Lock()
	p.callbacks++
	first := p.callbacks == 1
	p.mu.Unlock()
	if first && p.defects.SlowFirstCallback > 0 {
		time.Sleep(p.defects.SlowFirstCallback)
	}
	var ok *rpLogEntry
	for i := range results {
		if results[i].Status == http.StatusOK {
			ok = &results[i]
		}
	}
	if ok == nil {
		last := results[len(results)-1]
		writePage(w, http.StatusBadGateway, "Sign-in failed", fmt.Sprintf("token endpoint answered %d %s: %s", last.Status, last.Error, last.Description))
		return
	}
	if p.defects.RenderAtCallback {
		writePage(w, http.StatusOK, "Signed in", "signed in (rendered at the callback URL)")
		return
	}
	sid := b64(16)
	p.mu.Lock()
	p.sessions[sid] = ok.IssuedRT
	p.mu.Unlock()
	p.setCookie(w, "rp_session", sid, 3600)
	p.setCookie(w, "rp_tx_"+state, "", -1)
	p.setCookie(w, "rp_pkce_"+state, "", -1)
	http.Redirect(w, r, "/home", http.StatusFound)
}

func (p *rp) home(w http.ResponseWriter, r *http.Request) {
	writePage(w, http.StatusOK, "Signed in", "signed in")
}

func (p *rp) refreshHandler(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	rt := p.sessions[cookie(r, "rp_session")]
	p.mu.Unlock()
	if rt == "" {
		writePage(w, http.StatusUnauthorized, "Refresh failed", "no refresh token in this session")
		return
	}
	e := p.tokenRequest(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "refresh")
	e.Refresh = rt
	p.record(e)
	if e.Status != http.StatusOK {
		writePage(w, http.StatusUnauthorized, "Refresh failed", fmt.Sprintf("%d %s: %s", e.Status, e.Error, e.Description))
		return
	}
	if e.IssuedRT != "" && !p.defects.KeepOldRefreshToken {
		// rotation: keep the newest refresh token
		p.mu.Lock()
		p.sessions[cookie(r, "rp_session")] = e.IssuedRT
		p.mu.Unlock()
	}
	writePage(w, http.StatusOK, "Refreshed", "tokens refreshed")
}

func (p *rp) redeem(code, redirect, verifier, state, handler string) rpLogEntry {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}}
	if verifier != "" && !p.defects.OmitVerifier {
		form.Set("code_verifier", verifier)
	}
	e := p.tokenRequest(form, handler)
	e.Code, e.RedirectURI, e.Verifier, e.State = code, redirect, form.Get("code_verifier"), state
	p.record(e)
	return e
}

// tokenRequest posts form to the token endpoint on the back channel with the
// client's credential.
func (p *rp) tokenRequest(form url.Values, handler string) rpLogEntry {
	e := rpLogEntry{Event: "token-request", Handler: handler, Grant: form.Get("grant_type"), Started: time.Now().UTC()}
	secret := p.op.ClientSecret
	if p.defects.WrongSecret {
		secret = "7f0d1b2c-secret-id-not-value"
	}
	if p.op.ClientAuth == "client_secret_post" {
		form.Set("client_id", p.op.ClientID)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequest(http.MethodPost, p.op.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		e.Error = err.Error()
		return e
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "traceaudit-lab-rp/1 (Go net/http)")
	if p.op.ClientAuth == "client_secret_basic" {
		req.SetBasicAuth(url.QueryEscape(p.op.ClientID), url.QueryEscape(secret))
	}
	resp, err := p.client.Do(req)
	e.Time = time.Now().UTC()
	if err != nil {
		e.Error = "transport: " + err.Error()
		return e
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e.Status = resp.StatusCode
	var tr struct {
		Error        string `json:"error"`
		Description  string `json:"error_description"`
		RefreshToken string `json:"refresh_token"`
		AccessToken  string `json:"access_token"`
	}
	_ = json.Unmarshal(body, &tr)
	e.Error, e.Description, e.IssuedRT, e.IssuedAT = tr.Error, tr.Description, tr.RefreshToken, tr.AccessToken
	return e
}

// serviceGrants runs, after a sign-in, the token requests of other grants a
// server-side app makes on the back channel: client_credentials as the
// provider's service user (zitadel's example storage: sid1, its published
// example secret), and a token exchange (RFC 8693) of the signed-in user's
// access token for a new one, the app acting for the user (subject and
// actor token the same). It returns the log entries.
func (p *rp) serviceGrants(serviceID, serviceSecret string) []rpLogEntry {
	var at string
	for _, e := range p.entries() {
		if e.Event == "token-request" && e.Grant == "authorization_code" && e.IssuedAT != "" {
			at = e.IssuedAT
		}
	}
	var out []rpLogEntry
	cc := p.basicTokenRequest(url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}, serviceID, serviceSecret, "client-credentials")
	p.record(cc)
	out = append(out, cc)
	const atType = "urn:ietf:params:oauth:token-type:access_token"
	tx := p.basicTokenRequest(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"},
		"subject_token": {at}, "subject_token_type": {atType}, "actor_token": {at}, "actor_token_type": {atType},
		"requested_token_type": {atType}, "scope": {"openid"}}, p.op.ClientID, p.op.ClientSecret, "token-exchange")
	p.record(tx)
	return append(out, tx)
}

// basicTokenRequest posts form to the token endpoint with HTTP Basic
// client credentials id and secret.
func (p *rp) basicTokenRequest(form url.Values, id, secret, handler string) rpLogEntry {
	e := rpLogEntry{Event: "token-request", Handler: handler, Grant: form.Get("grant_type"), Started: time.Now().UTC()}
	req, err := http.NewRequest(http.MethodPost, p.op.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		e.Error = err.Error()
		return e
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "traceaudit-lab-rp/1 (Go net/http)")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := p.client.Do(req)
	e.Time = time.Now().UTC()
	if err != nil {
		e.Error = "transport: " + err.Error()
		return e
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e.Status = resp.StatusCode
	var tr struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &tr)
	e.Error, e.Description = tr.Error, tr.Description
	return e
}

// spaPage serves the browser app: a public client that keeps its PKCE
// verifier in Web Storage and redeems the code with fetch (CORS).
func (p *rp) spaPage(w http.ResponseWriter, r *http.Request) {
	cfg := map[string]any{
		"authorize":   p.op.AuthorizeURL,
		"token":       p.op.TokenURL,
		"par":         p.op.PARURL,
		"clientId":    p.op.PublicClientID,
		"redirectUri": p.origin + "/spa/callback",
		"scope":       "openid profile offline_access",
		"api":         p.op.APIURL,
		"defects":     p.spa,
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = spaTemplate.Execute(w, template.JS(js))
}

var spaTemplate = template.Must(template.New("spa").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Lab SPA</title><link rel="icon" href="data:,"></head>
<body><h1>Lab SPA</h1><pre id="result"></pre>
<script>
const cfg = {{.}};
const out = (s) => { document.getElementById("result").textContent += s + "\n"; };
const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const challenge = async (v) => b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(v)));
const verifierKey = (state) => cfg.defects.sharedStorage ? "pkce_verifier" : "pkce_verifier_" + state;
async function start() {
  const state = random(16), verifier = random(32);
  sessionStorage.setItem("oauth_state", state);
  localStorage.setItem(verifierKey(state), verifier);
  const q = new URLSearchParams({client_id: cfg.clientId, response_type: "code", scope: cfg.scope,
    redirect_uri: cfg.redirectUri, state: state, nonce: random(16), code_challenge: await challenge(verifier),
    code_challenge_method: "S256"});
  if (cfg.defects.par) {
    const r = await fetch(cfg.par, {method: "POST", body: q});
    const j = await r.json();
    if (!j.request_uri) { out("par " + r.status + " " + (j.error || "no request_uri")); out("done"); return; }
    location.assign(cfg.authorize + "?" + new URLSearchParams({client_id: cfg.clientId, request_uri: j.request_uri}).toString());
    return;
  }
  location.assign(cfg.authorize + "?" + q.toString());
}
async function token(params) {
  const r = await fetch(cfg.token, {method: "POST", body: new URLSearchParams(params)});
  const j = await r.json();
  return {status: r.status, body: j};
}
async function callback() {
  const q = new URLSearchParams(location.search);
  const state = q.get("state");
  if (q.get("error")) { out("error " + q.get("error")); out("done"); return; }
  if (state !== sessionStorage.getItem("oauth_state")) { out("state mismatch"); out("done"); return; }
  const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
  if (cfg.defects.redeemDelayMs) { out("just a moment"); await sleep(cfg.defects.redeemDelayMs); }
  let code = q.get("code");
  if (cfg.defects.sharedCodeSlot) {
    localStorage.setItem("auth_code", code);
    await sleep(cfg.defects.slotDelayMs);
    code = localStorage.getItem("auth_code");
  }
  let verifier = localStorage.getItem(verifierKey(state));
  if (cfg.defects.wrongVerifier) verifier = random(32);
  const params = {grant_type: "authorization_code", code: code, redirect_uri: cfg.redirectUri, client_id: cfg.clientId, code_verifier: verifier};
  const runs = cfg.defects.double ? [token(params), token(params)] : [token(params)];
  const results = await Promise.all(runs);
  let rt = "";
  for (const r of results) {
    out("token " + r.status + " " + (r.body.error || "ok") + (r.body.error_description ? ": " + r.body.error_description : ""));
    if (r.body.refresh_token) rt = r.body.refresh_token;
    if (r.body.access_token) localStorage.setItem("access_token", r.body.access_token);
  }
  if (cfg.defects.callApi) {
    const r = await fetch(cfg.api, {headers: {Authorization: "Bearer " + localStorage.getItem("access_token")}});
    out("api " + r.status);
  }
  if (!cfg.defects.keepCallbackUrl) history.replaceState(null, "", "/spa/");
  if (cfg.defects.silentRenew) await silentRenew();
  if (cfg.defects.refresh && rt) {
    await new Promise((res) => setTimeout(res, cfg.defects.refreshDelayMs));
    const r = await token({grant_type: "refresh_token", refresh_token: rt, client_id: cfg.clientId});
    out("refresh " + r.status + " " + (r.body.error || "ok") + (r.body.error_description ? ": " + r.body.error_description : ""));
  }
  out("done");
}
// silentRenew asks the provider for a new code without interaction:
// prompt=none in a hidden iframe, which ends on the callback route; that
// page, seeing it is framed, hands its query to the app (below).
async function silentRenew() {
  const state = random(16), verifier = random(32);
  const q = new URLSearchParams({client_id: cfg.clientId, response_type: "code", scope: "openid profile",
    redirect_uri: cfg.redirectUri, state: state, nonce: random(16), code_challenge: await challenge(verifier),
    code_challenge_method: "S256", prompt: "none"});
  const got = new Promise((res) => {
    const t = setTimeout(() => res(null), 15000);
    window.addEventListener("message", (m) => {
      if (m.origin !== location.origin || typeof m.data !== "string") return;
      clearTimeout(t);
      res(new URLSearchParams(m.data));
    });
  });
  const f = document.createElement("iframe");
  f.style.display = "none";
  f.src = cfg.authorize + "?" + q.toString();
  document.body.appendChild(f);
  const r = await got;
  f.remove();
  if (!r) { out("silent timeout"); return; }
  if (r.get("state") !== state) { out("silent state mismatch"); return; }
  if (r.get("error")) { out("silent error " + r.get("error")); return; }
  const t = await token({grant_type: "authorization_code", code: r.get("code"), redirect_uri: cfg.redirectUri, client_id: cfg.clientId, code_verifier: verifier});
  out("silent token " + t.status + " " + (t.body.error || "ok"));
}
if (window.top !== window) {
  // the silent renewal's callback in the hidden iframe
  window.parent.postMessage(location.search, location.origin);
} else {
  (location.pathname.endsWith("/callback") ? callback() : start()).catch((e) => { out("exception " + e); out("done"); });
}
</script></body></html>`))

// deviceAuthorization is the device authorization endpoint's answer (RFC
// 8628 §3.2).
type deviceAuthorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// devicePost posts form as the lab's device client (public: client_id in
// the body, no secret) and reads the JSON answer into v.
func (p *rp) devicePost(endpoint string, form url.Values, v any) (int, error) {
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "traceaudit-lab-rp/1 (Go net/http; device client)")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, json.Unmarshal(body, v)
}

// deviceStart asks the provider for a device code and a user code, as a TV
// or CLI app does (RFC 8628 §3.1).
func (p *rp) deviceStart() (deviceAuthorization, error) {
	var d deviceAuthorization
	started := time.Now().UTC()
	status, err := p.devicePost(p.op.DeviceURL, url.Values{"client_id": {"rp-device"}, "scope": {"openid profile"}}, &d)
	p.record(rpLogEntry{Event: "device-authorization", Handler: "device", Started: started, Time: time.Now().UTC(), Status: status})
	if err != nil || status != http.StatusOK || d.DeviceCode == "" {
		return d, fmt.Errorf("device authorization: status %d: %v", status, err)
	}
	return d, nil
}

// devicePoll polls the token endpoint with the device code every interval
// (RFC 8628 §3.4) until the provider answers anything but
// authorization_pending or slow_down, or until stop; it logs every poll.
func (p *rp) devicePoll(d deviceAuthorization, stop time.Duration) rpLogEntry {
	interval := time.Duration(max(d.Interval, 1)) * time.Second
	deadline := time.Now().Add(stop)
	for {
		time.Sleep(interval)
		e := rpLogEntry{Event: "token-request", Handler: "device-poll", Grant: "urn:ietf:params:oauth:grant-type:device_code", Started: time.Now().UTC()}
		var tr struct {
			Error        string `json:"error"`
			Description  string `json:"error_description"`
			RefreshToken string `json:"refresh_token"`
		}
		status, err := p.devicePost(p.op.TokenURL, url.Values{"grant_type": {e.Grant}, "device_code": {d.DeviceCode}, "client_id": {"rp-device"}}, &tr)
		e.Time, e.Status, e.Error, e.Description, e.IssuedRT = time.Now().UTC(), status, tr.Error, tr.Description, tr.RefreshToken
		if err != nil && status == 0 {
			e.Error = "transport: " + err.Error()
		}
		p.record(e)
		switch {
		case tr.Error == "slow_down":
			interval += 5 * time.Second
		case tr.Error == "authorization_pending" && time.Now().Before(deadline):
		default:
			return e
		}
	}
}
