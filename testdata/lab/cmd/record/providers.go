package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	"github.com/ory/fosite/handler/openid"
	fositestorage "github.com/ory/fosite/storage"
	"github.com/ory/fosite/token/jwt"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	zstorage "github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/crypto/bcrypt"
)

// provider is one running OpenID provider as the RP and the browser see it.
type provider struct {
	Name         string // zitadel-oidc, ory-fosite
	Module       string
	Issuer       string
	AuthorizeURL string
	TokenURL     string
	// PARURL is the pushed authorization request endpoint (RFC 9126), ""
	// when the scenario's provider offers none to the lab.
	PARURL string
	// DeviceURL is the device authorization endpoint (RFC 8628), "" when
	// the scenario's provider offers none to the lab.
	DeviceURL string
	// APIURL is a resource on the provider's host that accepts the access
	// token (the provider's own validation decides).
	APIURL string
	// ClientID/ClientSecret: the confidential web client; PublicClientID:
	// the browser app (none auth, PKCE). Secrets are generated per run.
	ClientID       string
	ClientSecret   string
	ClientAuth     string // client_secret_basic or client_secret_post
	PublicClientID string
	Username       string
	Password       string
	// CodeLifetime is the code lifetime the provider enforces, 0 when it
	// has none (zitadel's example storage never expires codes).
	CodeLifetime    time.Duration
	RefreshLifetime time.Duration
	// OfflinePrompt is the prompt the RP's authorize request sends so that
	// the provider grants offline_access (a refresh token): oidc-provider
	// drops offline_access without prompt=consent, as OpenID Connect Core
	// §11 lets it. "" for the providers that need none.
	OfflinePrompt string
	handler       http.Handler
	// external, when set, runs the provider as a process of its own
	// (oidc-provider on Node.js) on the endpoint's socket instead of
	// handler; it returns the function that stops it.
	external func(ctx context.Context, ep *endpoint, cert tls.Certificate, work string) (func(), error)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// newZitadel builds zitadel/oidc's example OP (exampleop + its in-memory
// storage, unmodified) at issuer, with one confidential web client.
func newZitadel(issuer string, redirectURIs []string, log io.Writer) (*provider, error) {
	users := zstorage.NewUserStore(issuer)
	secret := randomHex(16)
	clients := map[string]*zstorage.Client{
		"rp-web": zstorage.WebClient("rp-web", secret, redirectURIs...),
		// the browser app: a public client (no secret, PKCE); zitadel's
		// example has no user-agent client, its native client is one
		"rp-spa": zstorage.NativeClient("rp-spa", redirectURIs...),
	}
	st := zstorage.NewStorageWithClients(users, clients)
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	router := exampleop.SetupServer(issuer, st, logger, false)
	u, err := url.Parse(issuer)
	if err != nil {
		return nil, fmt.Errorf("zitadel: issuer: %w", err)
	}
	return &provider{
		Name:           "zitadel-oidc",
		Module:         "github.com/zitadel/oidc/v3",
		Issuer:         issuer,
		AuthorizeURL:   issuer + "/auth",
		TokenURL:       issuer + "/oauth/token",
		ClientID:       "rp-web",
		ClientSecret:   secret,
		ClientAuth:     "client_secret_basic",
		PublicClientID: "rp-spa",
		// the example user store names its user after the issuer's host
		Username: "test-user@" + u.Hostname(),
		Password: "verysecure",
		handler:  router,
	}, nil
}

// fositeOptions tune ory/fosite for a scenario.
type fositeOptions struct {
	CodeLifetime    time.Duration
	RefreshLifetime time.Duration
	// AuthorizePath/TokenPath let a scenario mount fosite on Entra-shaped
	// paths; defaults /oauth2/auth and /oauth2/token.
	AuthorizePath string
	TokenPath     string
	// NoCORS leaves the token endpoint without CORS headers (fosite has
	// none of its own; the lab normally adds them for the browser app).
	NoCORS bool
}

// newFosite composes ory/fosite with its in-memory store, a confidential and
// a public client, and a minimal login page (fosite has no UI of its own).
func newFosite(issuer string, redirectURIs []string, opts fositeOptions, log io.Writer) (*provider, error) {
	if opts.AuthorizePath == "" {
		opts.AuthorizePath = "/oauth2/auth"
	}
	if opts.TokenPath == "" {
		opts.TokenPath = "/oauth2/token"
	}
	if opts.CodeLifetime == 0 {
		opts.CodeLifetime = 10 * time.Minute
	}
	if opts.RefreshLifetime == 0 {
		opts.RefreshLifetime = time.Hour
	}
	secret := randomHex(16)
	hashed, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	if err != nil {
		return nil, fmt.Errorf("fosite: hash secret: %w", err)
	}
	password := randomHex(8)
	store := fositestorage.NewMemoryStore()
	scopes := []string{"openid", "profile", "offline", "offline_access"}
	store.Clients["rp-web"] = &responseModeClient{DefaultOpenIDConnectClient: &fosite.DefaultOpenIDConnectClient{
		DefaultClient: &fosite.DefaultClient{
			ID: "rp-web", Secret: hashed, RedirectURIs: redirectURIs,
			ResponseTypes: []string{"code"}, GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: scopes,
		},
		TokenEndpointAuthMethod: "client_secret_post",
	}}
	store.Clients["rp-spa"] = &fosite.DefaultOpenIDConnectClient{
		DefaultClient: &fosite.DefaultClient{
			ID: "rp-spa", Public: true, RedirectURIs: redirectURIs,
			ResponseTypes: []string{"code"}, GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: scopes,
		},
		TokenEndpointAuthMethod: "none",
	}
	store.Users["alice"] = fositestorage.MemoryUserRelation{Username: "alice", Password: password}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("fosite: key: %w", err)
	}
	config := &fosite.Config{
		AccessTokenLifespan:            time.Hour,
		AuthorizeCodeLifespan:          opts.CodeLifetime,
		RefreshTokenLifespan:           opts.RefreshLifetime,
		IDTokenIssuer:                  issuer,
		GlobalSecret:                   []byte(randomHex(16)),
		HashCost:                       bcrypt.MinCost,
		EnforcePKCEForPublicClients:    true,
		EnablePKCEPlainChallengeMethod: false,
		SendDebugMessagesToClients:     false,
	}
	oauth2 := compose.ComposeAllEnabled(config, store, key)
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	f := &fositeServer{oauth2: oauth2, store: store, issuer: issuer, log: logger, authorizePath: opts.AuthorizePath, noCORS: opts.NoCORS}
	mux := http.NewServeMux()
	mux.HandleFunc(opts.AuthorizePath, f.authorize)
	mux.HandleFunc(opts.TokenPath, f.token)
	mux.HandleFunc("/api/me", f.api)
	return &provider{
		Name:            "ory-fosite",
		Module:          "github.com/ory/fosite",
		Issuer:          issuer,
		AuthorizeURL:    issuer + opts.AuthorizePath,
		TokenURL:        issuer + opts.TokenPath,
		APIURL:          issuer + "/api/me",
		ClientID:        "rp-web",
		ClientSecret:    secret,
		ClientAuth:      "client_secret_post",
		PublicClientID:  "rp-spa",
		Username:        "alice",
		Password:        password,
		CodeLifetime:    opts.CodeLifetime,
		RefreshLifetime: opts.RefreshLifetime,
		handler:         mux,
	}, nil
}

// responseModeClient lets the web client ask for response_mode=form_post
// (fosite only honours response modes a client declares).
type responseModeClient struct {
	*fosite.DefaultOpenIDConnectClient
}

func (c *responseModeClient) GetResponseModes() []fosite.ResponseModeType {
	return []fosite.ResponseModeType{fosite.ResponseModeDefault, fosite.ResponseModeQuery, fosite.ResponseModeFormPost}
}

type fositeServer struct {
	oauth2        fosite.OAuth2Provider
	store         *fositestorage.MemoryStore
	issuer        string
	log           *slog.Logger
	authorizePath string
	noCORS        bool
}

var fositeLoginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title><link rel="icon" href="data:,"></head>
<body><form method="POST" action="{{.Action}}">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<label>Username <input id="username" name="username" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password"></label>
<p>{{.Error}}</p><button type="submit">Sign in</button></form></body></html>`))

func (f *fositeServer) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ar, err := f.oauth2.NewAuthorizeRequest(ctx, r)
	if err != nil {
		f.log.Info("authorize rejected", "error", err, "debug", fosite.ErrorToRFC6749Error(err).GetDescription())
		f.oauth2.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	if r.Method != http.MethodPost || r.PostForm.Get("username") == "" {
		f.renderLogin(w, r, "")
		return
	}
	if _, err := f.store.Authenticate(ctx, r.PostForm.Get("username"), r.PostForm.Get("password")); err != nil {
		f.renderLogin(w, r, "wrong username or password")
		return
	}
	for _, s := range ar.GetRequestedScopes() {
		ar.GrantScope(s)
	}
	now := time.Now().UTC()
	session := &openid.DefaultSession{
		Claims: &jwt.IDTokenClaims{
			Issuer: f.issuer, Subject: r.PostForm.Get("username"), Audience: []string{ar.GetClient().GetID()},
			AuthTime: now, RequestedAt: now, IssuedAt: now,
		},
		Headers: &jwt.Headers{Extra: map[string]any{}},
		Subject: r.PostForm.Get("username"),
	}
	resp, err := f.oauth2.NewAuthorizeResponse(ctx, ar, session)
	if err != nil {
		f.log.Info("authorize response failed", "error", err)
		f.oauth2.WriteAuthorizeError(ctx, w, ar, err)
		return
	}
	f.log.Info("code issued", "client_id", ar.GetClient().GetID(), "code", codeFingerprint(resp.GetCode()))
	f.oauth2.WriteAuthorizeResponse(ctx, w, ar, resp)
}

func (f *fositeServer) renderLogin(w http.ResponseWriter, r *http.Request, msg string) {
	params := map[string]string{}
	for k, v := range r.Form {
		if k != "username" && k != "password" && len(v) > 0 {
			params[k] = v[0]
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = fositeLoginPage.Execute(w, map[string]any{"Action": f.authorizePath, "Params": params, "Error": msg})
}

func (f *fositeServer) token(w http.ResponseWriter, r *http.Request) {
	// fosite leaves CORS to the host; the browser app's fetch needs it.
	if origin := r.Header.Get("Origin"); origin != "" && !f.noCORS {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Vary", "Origin")
	}
	if r.Method == http.MethodOptions && !f.noCORS {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	ctx := r.Context()
	session := &openid.DefaultSession{Claims: &jwt.IDTokenClaims{}, Headers: &jwt.Headers{}}
	ar, err := f.oauth2.NewAccessRequest(ctx, r, session)
	if err != nil {
		rfc := fosite.ErrorToRFC6749Error(err)
		f.log.Info("token rejected", "error", rfc.ErrorField, "description", rfc.GetDescription(), "debug", rfc.Debug())
		f.oauth2.WriteAccessError(ctx, w, ar, err)
		return
	}
	resp, err := f.oauth2.NewAccessResponse(ctx, ar)
	if err != nil {
		rfc := fosite.ErrorToRFC6749Error(err)
		f.log.Info("token response failed", "error", rfc.ErrorField, "description", rfc.GetDescription(), "debug", rfc.Debug())
		f.oauth2.WriteAccessError(ctx, w, ar, err)
		return
	}
	f.log.Info("token issued", "grant", ar.GetGrantTypes(), "code", fp(r.PostForm.Get("code")), "origin", r.Header.Get("Origin"))
	f.oauth2.WriteAccessResponse(ctx, w, ar, resp)
}

// api is a protected resource: fosite's own token introspection decides
// whether the bearer token is still valid (fosite revokes the tokens of a
// code that was redeemed twice).
func (f *fositeServer) api(w http.ResponseWriter, r *http.Request) {
	if !apiCORS(w, r) {
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	_, ar, err := f.oauth2.IntrospectToken(r.Context(), token, fosite.AccessToken, &openid.DefaultSession{})
	if err != nil {
		rfc := fosite.ErrorToRFC6749Error(err)
		f.log.Info("api refused", "access_token", fp(token), "error", rfc.ErrorField, "description", rfc.GetDescription())
		apiAnswer(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": rfc.GetDescription()})
		return
	}
	f.log.Info("api answered", "access_token", fp(token))
	apiAnswer(w, http.StatusOK, map[string]string{"sub": ar.GetSession().GetSubject()})
}

// apiCORS lets the browser app call the API with an Authorization header
// (a preflighted request); it reports whether to go on.
func apiCORS(w http.ResponseWriter, r *http.Request) bool {
	if origin := r.Header.Get("Origin"); origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization")
		w.WriteHeader(http.StatusNoContent)
		return false
	}
	return true
}

func apiAnswer(w http.ResponseWriter, status int, body map[string]string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// dropTime keeps provider log lines free of the recorder's clock; the
// traces carry the times.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
