// Command webapp is a server-side web app signing in with
// golang.org/x/oauth2 and github.com/coreos/go-oidc/v3 the way their
// examples do, against the provider of ../op (http://127.0.0.1:4981/) as
// client "web", on http://localhost:4983. One cookie per sign-in holds its
// state (state_<state>, kept after the callback, as go-oidc's example keeps
// its state cookie), one cookie the PKCE verifier of the last sign-in
// started (pkce), one the session (sid; tokens stay on the server). Pages:
// / (who is signed in), /login, /auth/callback, /refresh (renews with the
// session's refresh token through oauth2's TokenSource), /logout (RP-initiated
// logout with id_token_hint and post_logout_redirect_uri). The environment
// sets the faults a story needs: SECRET (the client secret sent),
// REDIRECT_URI (the redirect URI sent), NO_VERIFIER=1 (the redemption leaves
// the verifier out), REFRESH_DELAY (a pause before a refreshed token is
// saved, so two renewals at once both use the old refresh token). Built by
// gen.sh in a temporary module; not part of traceaudit. Every secret is
// test-only.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"log"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

type session struct {
	token   *oauth2.Token
	idToken string
	name    string
}

var (
	mu       sync.Mutex
	sessions = map[string]*session{}
)

func random() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func main() {
	ctx := context.Background()
	issuer := "http://127.0.0.1:4981/"
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		log.Fatal(err)
	}
	secret := "secret"
	if s, ok := os.LookupEnv("SECRET"); ok {
		secret = s
	}
	redirect := "http://localhost:4983/auth/callback"
	if s := os.Getenv("REDIRECT_URI"); s != "" {
		redirect = s
	}
	refreshDelay, _ := time.ParseDuration(os.Getenv("REFRESH_DELAY"))
	conf := &oauth2.Config{
		ClientID: "web", ClientSecret: secret, RedirectURL: redirect,
		Endpoint: provider.Endpoint(),
		Scopes:   []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess},
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: "web"})
	page := func(w http.ResponseWriter, status int, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<!doctype html><title>web app</title><p id=status>%s</p><a href=/login>Sign in</a>", html.EscapeString(body))
	}
	current := func(r *http.Request) *session {
		c, err := r.Cookie("sid")
		if err != nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		return sessions[c.Value]
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s := current(r); s != nil {
			page(w, 200, "Signed in as "+s.name)
			return
		}
		page(w, 200, "Signed out")
	})
	http.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		state, v := random(), oauth2.GenerateVerifier()
		http.SetCookie(w, &http.Cookie{Name: "state_" + state, Value: "1", Path: "/", MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.SetCookie(w, &http.Cookie{Name: "pkce", Value: v, Path: "/", MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(v)), http.StatusFound)
	})
	http.HandleFunc("/auth/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if e := q.Get("error"); e != "" {
			page(w, 400, "Sign-in failed: "+e+": "+q.Get("error_description"))
			return
		}
		if _, err := r.Cookie("state_" + q.Get("state")); err != nil {
			page(w, 400, "state did not match")
			return
		}
		var opts []oauth2.AuthCodeOption
		if c, err := r.Cookie("pkce"); err == nil && os.Getenv("NO_VERIFIER") == "" {
			opts = append(opts, oauth2.VerifierOption(c.Value))
		}
		tok, err := conf.Exchange(r.Context(), q.Get("code"), opts...)
		if err != nil {
			page(w, 500, "Failed to exchange token: "+err.Error())
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifier.Verify(r.Context(), raw)
		if err != nil {
			page(w, 500, "Failed to verify ID Token: "+err.Error())
			return
		}
		sid := random()
		mu.Lock()
		sessions[sid] = &session{token: tok, idToken: raw, name: idt.Subject}
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, "/", http.StatusFound)
	})
	http.HandleFunc("/refresh", func(w http.ResponseWriter, r *http.Request) {
		s := current(r)
		if s == nil {
			page(w, 401, "Signed out")
			return
		}
		mu.Lock()
		old := *s.token
		mu.Unlock()
		old.Expiry = time.Now().Add(-time.Minute) // renew now
		tok, err := conf.TokenSource(r.Context(), &old).Token()
		if err != nil {
			page(w, 500, "Failed to refresh: "+err.Error())
			return
		}
		time.Sleep(refreshDelay)
		mu.Lock()
		s.token = tok
		mu.Unlock()
		page(w, 200, "renewed, expires "+tok.Expiry.UTC().Format(time.RFC3339))
	})
	http.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		var claims struct {
			EndSession string `json:"end_session_endpoint"`
		}
		provider.Claims(&claims)
		s := current(r)
		if s == nil {
			page(w, 401, "Signed out")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Path: "/", MaxAge: -1})
		u := claims.EndSession + "?" + url.Values{"id_token_hint": {s.idToken}, "post_logout_redirect_uri": {"http://localhost:4983/"}}.Encode()
		http.Redirect(w, r, u, http.StatusFound)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:4983", nil))
}
