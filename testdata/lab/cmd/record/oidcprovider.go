package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// oidcProviderOptions tune panva's oidc-provider for a scenario.
type oidcProviderOptions struct {
	// CodeLifetime is ttl.AuthorizationCode (oidc-provider's default: 60 s).
	CodeLifetime time.Duration
	// RefreshLifetime is ttl.RefreshToken (the lab's default: 24 h).
	RefreshLifetime time.Duration
	// OfflineConsent has the RP send prompt=consent, without which
	// oidc-provider grants no offline_access and so no refresh token.
	OfflineConsent bool
	// NoCORS configures clientBasedCORS to allow no origin: oidc-provider
	// then refuses the browser app's token request (400 invalid_request
	// "origin … not allowed for client") without CORS headers.
	NoCORS bool
	// SessionSameSiteNone sets its session cookie (cookies.long) SameSite=None
	// (Secure over TLS) instead of its default Lax, so the browser may send
	// it in a third-party frame: a silent renewal in a hidden iframe on the
	// app's site.
	SessionSameSiteNone bool
	// RequestObjects enables features.requestObjects (JAR, RFC 9101) and
	// registers the confidential client's request objects as HS256 signed
	// with its secret.
	RequestObjects bool
	// DeviceFlow enables features.deviceFlow (RFC 8628) and registers the
	// lab's device client rp-device (public, device_code grant);
	// DeviceCodeLifetime is its ttl.DeviceCode (oidc-provider's default:
	// 10 minutes).
	DeviceFlow         bool
	DeviceCodeLifetime time.Duration
}

// oidcProviderDir is the lab's Node.js part, relative to the lab module
// (record.sh runs the recorder there): package.json, package-lock.json and
// oidcprovider/server.mjs.
const oidcProviderDir = "oidcprovider"

// newOIDCProvider describes panva's oidc-provider (npm, the version pinned by
// package-lock.json, installed by npm ci), run unmodified by
// oidcprovider/server.mjs in a Node.js process of its own: the lab's
// clients, an interaction handler that signs in the lab user and grants
// consent, TLS with a key log. Its endpoints are its defaults: /auth,
// /token, /me (userinfo). It answers CORS itself. PKCE is required for the
// public client (its default); a reused, expired or mismatched code is
// answered 400 invalid_grant "grant request is invalid", the precise reason
// only in its own error_detail (logged, never sent).
func newOIDCProvider(issuer string, redirectURIs []string, opts oidcProviderOptions, log io.Writer) *provider {
	if opts.CodeLifetime == 0 {
		opts.CodeLifetime = 60 * time.Second
	}
	if opts.RefreshLifetime == 0 {
		opts.RefreshLifetime = 24 * time.Hour
	}
	secret := randomHex(16)
	password := randomHex(8)
	p := &provider{
		Name:         "oidc-provider",
		Module:       "oidc-provider",
		Issuer:       issuer,
		AuthorizeURL: issuer + "/auth",
		TokenURL:     issuer + "/token",
		// oidc-provider's pushed authorization request endpoint
		// (features.pushedAuthorizationRequests, enabled by default)
		PARURL: issuer + "/request",
		// its device authorization endpoint (features.deviceFlow)
		DeviceURL:      issuer + "/device/auth",
		APIURL:         issuer + "/me",
		ClientID:       "rp-web",
		ClientSecret:   secret,
		ClientAuth:     "client_secret_post",
		PublicClientID: "rp-spa",
		Username:       "alice",
		Password:       password,
		CodeLifetime:   opts.CodeLifetime,
		// oidc-provider's ttl.RefreshToken as server.mjs sets it
		RefreshLifetime: opts.RefreshLifetime,
	}
	if opts.OfflineConsent {
		p.OfflinePrompt = "consent"
	}
	grants := []string{"authorization_code", "refresh_token"}
	webClient := map[string]any{"client_id": "rp-web", "client_secret": secret, "redirect_uris": redirectURIs,
		"token_endpoint_auth_method": "client_secret_post", "grant_types": grants, "response_types": []string{"code"}}
	if opts.RequestObjects {
		webClient["request_object_signing_alg"] = "HS256"
	}
	config := map[string]any{
		"issuer":              issuer,
		"codeTTL":             int(opts.CodeLifetime.Seconds()),
		"refreshTTL":          int(opts.RefreshLifetime.Seconds()),
		"noCORS":              opts.NoCORS,
		"sessionSameSiteNone": opts.SessionSameSiteNone,
		"requestObjects":      opts.RequestObjects,
		"deviceFlow":          opts.DeviceFlow,
		"deviceCodeTTL":       int(opts.DeviceCodeLifetime.Seconds()),
		"user":                p.Username,
		"password":            password,
		"clients": []map[string]any{
			webClient,
			{"client_id": "rp-spa", "token_endpoint_auth_method": "none", "redirect_uris": redirectURIs,
				"grant_types": grants, "response_types": []string{"code"}},
		},
	}
	if opts.DeviceFlow {
		config["clients"] = append(config["clients"].([]map[string]any), map[string]any{"client_id": "rp-device",
			"token_endpoint_auth_method": "none", "grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"},
			"response_types": []string{}, "redirect_uris": []string{}})
	}
	p.external = func(ctx context.Context, ep *endpoint, cert tls.Certificate, work string) (func(), error) {
		return startOIDCProvider(ctx, ep, cert, work, config, log)
	}
	return p
}

// startOIDCProvider writes the configuration and the certificate for
// server.mjs, hands it the endpoint's listening socket as fd 3 and waits
// until it serves. The returned stop ends the process.
func startOIDCProvider(ctx context.Context, ep *endpoint, cert tls.Certificate, work string, config map[string]any, log io.Writer) (func(), error) {
	config["tls"] = ep.TLS
	config["http2"] = ep.HTTP2
	if ep.TLS {
		key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("oidc-provider: key: %w", err)
		}
		certFile, keyFile := filepath.Join(work, "op-cert.pem"), filepath.Join(work, "op-key.pem")
		if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600); err != nil {
			return nil, err
		}
		config["cert"], config["key"], config["keyLog"] = certFile, keyFile, filepath.Join(work, "keys-node.log")
	}
	cfgFile := filepath.Join(work, "oidc-provider.json")
	b, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		return nil, err
	}
	lnFile, err := ep.ln.(*net.TCPListener).File()
	if err != nil {
		return nil, fmt.Errorf("oidc-provider: listener: %w", err)
	}
	defer lnFile.Close()
	cmd := exec.Command("node", filepath.Join(oidcProviderDir, "server.mjs"), cfgFile)
	cmd.ExtraFiles = []*os.File{lnFile}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr strings.Builder
	cmd.Stderr = &syncWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("oidc-provider: start node: %w", err)
	}
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		first := true
		for sc.Scan() {
			if first && sc.Text() == "ready" {
				first = false
				close(ready)
				continue
			}
			fmt.Fprintln(log, sc.Text())
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			t := time.AfterFunc(5*time.Second, func() { _ = cmd.Process.Kill() })
			<-done
			_ = cmd.Wait()
			t.Stop()
		})
	}
	// the machine is shared and loaded: node can take a while to start
	select {
	case <-ready:
		return stop, nil
	case <-done:
		stop()
		return nil, fmt.Errorf("oidc-provider exited before serving: %s", lastLines(stderr.String(), 5))
	case <-time.After(90 * time.Second):
		stop()
		return nil, errors.New("oidc-provider: not serving after 90 s")
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
}

// ensureNodeModules installs the pinned oidc-provider with npm ci (package-lock.json).
func ensureNodeModules(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts").CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm ci: %w: %s", err, lastLines(string(out), 5))
	}
	return nil
}

// nodeVersions are oidc-provider's installed version and node's.
func nodeVersions(v map[string]string) {
	if b, err := os.ReadFile(filepath.Join("node_modules", "oidc-provider", "package.json")); err == nil {
		var pkg struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(b, &pkg) == nil {
			v["oidc-provider"] = pkg.Version
		}
	}
	if out, err := exec.Command("node", "--version").Output(); err == nil {
		v["node"] = strings.TrimSpace(string(out))
	}
}
