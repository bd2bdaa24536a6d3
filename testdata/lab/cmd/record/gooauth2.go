package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	oerrors "github.com/go-oauth2/oauth2/v4/errors"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
)

// gooauth2Options tune go-oauth2/oauth2 for a scenario.
type gooauth2Options struct {
	// CodeLifetime is the manager's AuthorizeCodeExp (default 10 min, the
	// library's DefaultCodeExp).
	CodeLifetime time.Duration
	// NoCORS leaves the token endpoint without CORS headers, as the
	// library ships it: a browser app's fetch is then blocked.
	NoCORS bool
}

// newGoOAuth2 runs github.com/go-oauth2/oauth2/v4, unmodified: its manager
// with the buntdb in-memory token store and in-memory client store, its
// server's authorize and token handlers. It is an OAuth 2.0 server, not an
// OpenID provider (no ID token, no discovery). What differs from zitadel and
// fosite: a code is a key of the token store with the code lifetime as its
// TTL, so an expired code and a used code are the same missing key, both
// answered 401 invalid_grant with RFC 6749's generic text; a reused code
// revokes nothing. The lab adds a login form (the library has none), CORS
// on the token endpoint for the browser app, and log lines.
func newGoOAuth2(issuer, rpOrigin string, opts gooauth2Options, log io.Writer) (*provider, error) {
	if opts.CodeLifetime == 0 {
		opts.CodeLifetime = manage.DefaultCodeExp
	}
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	secret := randomHex(16)
	password := randomHex(8)

	manager := manage.NewDefaultManager()
	manager.SetAuthorizeCodeExp(opts.CodeLifetime)
	tokens, err := store.NewMemoryTokenStore()
	if err != nil {
		return nil, fmt.Errorf("go-oauth2: token store: %w", err)
	}
	manager.MapTokenStorage(&loggingTokenStore{TokenStore: tokens, log: logger})
	clients := store.NewClientStore()
	// the library binds redirect URIs by host (Domain), not by exact URI
	if err := clients.Set("rp-web", &models.Client{ID: "rp-web", Secret: secret, Domain: rpOrigin}); err != nil {
		return nil, fmt.Errorf("go-oauth2: client: %w", err)
	}
	if err := clients.Set("rp-spa", &models.Client{ID: "rp-spa", Domain: rpOrigin, Public: true}); err != nil {
		return nil, fmt.Errorf("go-oauth2: client: %w", err)
	}
	manager.MapClientStorage(clients)

	srv := server.NewServer(server.NewConfig(), manager)
	srv.SetAllowedResponseType(oauth2.Code)
	srv.SetAllowedGrantType(oauth2.AuthorizationCode, oauth2.Refreshing)
	srv.SetClientInfoHandler(server.ClientFormHandler)
	srv.SetResponseErrorHandler(func(re *oerrors.Response) {
		logger.Info("error answered", "error", re.Error, "status", re.StatusCode)
	})
	srv.SetInternalErrorHandler(func(err error) *oerrors.Response {
		logger.Info("internal error", "error", err)
		return nil
	})
	const authorizePath, tokenPath = "/oauth/authorize", "/oauth/token"
	srv.SetUserAuthorizationHandler(func(w http.ResponseWriter, r *http.Request) (string, error) {
		if r.Method == http.MethodPost && r.PostForm.Get("username") != "" {
			if r.PostForm.Get("username") == "alice" && r.PostForm.Get("password") == password {
				return "alice", nil
			}
		}
		renderLoginForm(w, r, authorizePath)
		return "", nil
	})

	mux := http.NewServeMux()
	mux.HandleFunc(authorizePath, func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		if err := srv.HandleAuthorizeRequest(w, r); err != nil {
			logger.Info("authorize rejected", "error", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc(tokenPath, func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !opts.NoCORS {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions && !opts.NoCORS {
			w.Header().Set("Access-Control-Allow-Methods", "POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		_ = srv.HandleTokenRequest(rec, r)
		logger.Info("token answered", "grant", r.PostForm.Get("grant_type"), "client_id", r.PostForm.Get("client_id"),
			"code", fp(r.PostForm.Get("code")), "origin", r.Header.Get("Origin"), "status", rec.status)
	})
	mux.HandleFunc("/api/me", func(w http.ResponseWriter, r *http.Request) {
		if !apiCORS(w, r) {
			return
		}
		ti, err := srv.ValidationBearerToken(r)
		if err != nil {
			logger.Info("api refused", "error", err)
			apiAnswer(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		logger.Info("api answered", "user", ti.GetUserID())
		apiAnswer(w, http.StatusOK, map[string]string{"sub": ti.GetUserID()})
	})
	return &provider{
		Name:           "go-oauth2",
		APIURL:         issuer + "/api/me",
		Module:         "github.com/go-oauth2/oauth2/v4",
		Issuer:         issuer,
		AuthorizeURL:   issuer + authorizePath,
		TokenURL:       issuer + tokenPath,
		ClientID:       "rp-web",
		ClientSecret:   secret,
		ClientAuth:     "client_secret_post",
		PublicClientID: "rp-spa",
		Username:       "alice",
		Password:       password,
		CodeLifetime:   opts.CodeLifetime,
		// manage.DefaultAuthorizeCodeTokenCfg
		RefreshLifetime: 72 * time.Hour,
		handler:         mux,
	}, nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// loggingTokenStore is the library's buntdb store with a log line per code
// stored, looked up and removed (fingerprints only): the provider's own
// account of what happened to each code.
type loggingTokenStore struct {
	oauth2.TokenStore
	log *slog.Logger
}

func (s *loggingTokenStore) Create(ctx context.Context, info oauth2.TokenInfo) error {
	err := s.TokenStore.Create(ctx, info)
	if c := info.GetCode(); c != "" {
		s.log.Info("code issued", "client_id", info.GetClientID(), "code", fp(c), "ttl", info.GetCodeExpiresIn().String(), "error", err)
	} else {
		s.log.Info("token issued", "client_id", info.GetClientID(), "refresh", info.GetRefresh() != "", "error", err)
	}
	return err
}

func (s *loggingTokenStore) GetByCode(ctx context.Context, code string) (oauth2.TokenInfo, error) {
	ti, err := s.TokenStore.GetByCode(ctx, code)
	found := ti != nil && ti.GetCode() == code
	s.log.Info("code lookup", "code", fp(code), "found", found, "error", err)
	return ti, err
}

func (s *loggingTokenStore) RemoveByCode(ctx context.Context, code string) error {
	err := s.TokenStore.RemoveByCode(ctx, code)
	s.log.Info("code removed", "code", fp(code), "error", err)
	return err
}

// renderLoginForm shows the lab's login form posting back to action with
// the authorize parameters (the providers without a UI of their own).
func renderLoginForm(w http.ResponseWriter, r *http.Request, action string) {
	params := map[string]string{}
	for k, v := range r.Form {
		if k != "username" && k != "password" && len(v) > 0 {
			params[k] = v[0]
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = fositeLoginPage.Execute(w, map[string]any{"Action": action, "Params": params, "Error": ""})
}
