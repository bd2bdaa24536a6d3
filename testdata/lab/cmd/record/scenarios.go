package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// scenario is one recorded sign-in story.
type scenario struct {
	Name     string
	Summary  string
	Provider string // zitadel, fosite or gooauth2
	OPTLS    bool
	RPTLS    bool
	HTTP2    bool // offered by both servers over TLS
	// OPHost overrides the provider's host name (Entra-shaped traces).
	OPHost   string
	Fosite   fositeOptions
	GoOAuth2 gooauth2Options
	// OIDCProvider tunes panva's oidc-provider (Provider "oidcprovider").
	OIDCProvider oidcProviderOptions
	Defects      rpDefects
	SPA          spaDefects
	Refresh      bool
	Drive        func(context.Context, *session) error
	// Rules the traces must produce; every other rule must not fire,
	// except those in Allow.
	Rules  []string
	Allow  []string
	Shaped string // what is shaped rather than real, for the README
	// Mechanism names, per expected rule, how the story happened (reload,
	// double-handler, multi-tab, short-lifetime, proxy-retry, ...): the
	// words a correct finding should use.
	Mechanism map[string]string
	// Pending, when set, says which issue's rule work this scenario's
	// expectations wait for; the main module's lab tests skip it by name.
	Pending string
	// PendingSAZ is the same for the SAZ converted from the HAR only
	// (saz/labparity_test.go).
	PendingSAZ string
	// CasePending is the same for the scan --case expectation only
	// (case.pending in expect.json).
	CasePending string
	// ServerCapture records the app server's side apart from the
	// browser's: capture-server.pcap (the callbacks the app receives and
	// its back-channel calls) with keys-server.log, while capture.pcap
	// and keys.log hold only what the browser's machine saw.
	ServerCapture bool
	// Proxy puts nginx in front of two app instances (plain HTTP behind
	// it); the server capture is then the proxy host's backend side.
	Proxy bool
	// ProxyKind is the proxy's program: nginx (default) or haproxy.
	ProxyKind string
	// Overlap: the recording is kept only if the first sign-in's code was
	// issued before the second's and redeemed after it.
	Overlap bool
	// ThirdPartyCookies sets Chromium's third-party cookie setting in its
	// fresh profile: allow or block (writeCookiePrefs); empty leaves
	// Chromium's default.
	ThirdPartyCookies string
}

func (s *scenario) serverSide() bool { return s.ServerCapture || s.Proxy }

// appServerAddr is the app server's own loopback address: its back-channel
// calls leave from it, so a capture filter can tell them from the
// browser's traffic.
const appServerAddr = "127.0.0.2"

// serverFiles are the extra files of a scenario with a server capture.
var serverFiles = []string{"capture-server.pcap", "keys-server.log", "capture-server-dsb.pcapng"}

func (s *scenario) opHost() string {
	if s.OPHost != "" {
		return s.OPHost
	}
	switch s.Provider {
	case "zitadel":
		return "id.zitadel.test"
	case "gooauth2":
		return "auth.go-oauth2.test"
	case "oidcprovider":
		return "auth.oidc-provider.test"
	}
	return "auth.fosite.test"
}

func (s *scenario) rpHost() string { return "app.rp.test" }

// session is one run of a scenario.
type session struct {
	scenario *scenario
	work     string
	opEP     *endpoint
	rpEP     *endpoint
	op       *provider
	rp       *rp
	chrome   *chromium
	opLog    *strings.Builder
	started  time.Time
	har      harLog
	wire     []wireRequest
	// wireServer: the requests in capture-server.pcap; instances: the app
	// instances behind the proxy.
	wireServer []wireRequest
	instances  []*endpoint
	proxyLog   []string
	results    []string
	// registered are the redirect URIs the provider knows for the clients.
	registered []string
}

// serverSignIn: the confidential web app flow in one tab.
func serverSignIn(ctx context.Context, s *session) error {
	tab, err := s.chrome.tab()
	if err != nil {
		return err
	}
	if err := navigate(tab, s.rpEP.Origin()+"/login"); err != nil {
		return err
	}
	if err := signIn(tab, s.op); err != nil {
		return err
	}
	res, err := waitResult(tab, s.rpEP.Origin())
	s.results = append(s.results, res)
	return err
}

func expectResults(s *session, want ...string) error {
	if len(s.results) != len(want) {
		return fmt.Errorf("got %d results %q, want %d", len(s.results), s.results, len(want))
	}
	for i, w := range want {
		if !strings.Contains(s.results[i], w) {
			return fmt.Errorf("result %d is %q, want it to contain %q", i+1, s.results[i], w)
		}
	}
	return nil
}

func driveServerClean(ctx context.Context, s *session) error {
	if err := serverSignIn(ctx, s); err != nil {
		return err
	}
	return expectResults(s, "signed in")
}

func driveServerFailing(want string) func(context.Context, *session) error {
	return func(ctx context.Context, s *session) error {
		if err := serverSignIn(ctx, s); err != nil {
			return err
		}
		return expectResults(s, want)
	}
}

// driveReload signs in, then reloads the callback page the RP rendered.
func driveReload(ctx context.Context, s *session) error {
	if err := serverSignIn(ctx, s); err != nil {
		return err
	}
	tab := s.chrome.first
	if err := chromedp.Do(tab, chromedp.Reload()); err != nil {
		return err
	}
	res, err := waitResult(tab, s.rpEP.Origin())
	s.results = append(s.results, res)
	if err != nil {
		return err
	}
	return expectResults(s, "signed in", "token endpoint answered 4")
}

// driveRefresh signs in, waits, then asks the RP to refresh its tokens.
func driveRefresh(wait time.Duration, want ...string) func(context.Context, *session) error {
	return func(ctx context.Context, s *session) error {
		if err := serverSignIn(ctx, s); err != nil {
			return err
		}
		time.Sleep(wait)
		tab := s.chrome.first
		for range want {
			if err := navigate(tab, s.rpEP.Origin()+"/refresh"); err != nil {
				return err
			}
			res, err := waitResult(tab, s.rpEP.Origin())
			s.results = append(s.results, res)
			if err != nil {
				return err
			}
		}
		return expectResults(s, append([]string{"signed in"}, want...)...)
	}
}

func driveSPA(want ...string) func(context.Context, *session) error {
	return func(ctx context.Context, s *session) error {
		tab, err := s.chrome.tab()
		if err != nil {
			return err
		}
		if err := navigate(tab, s.rpEP.Origin()+"/spa/"); err != nil {
			return err
		}
		if err := signIn(tab, s.op); err != nil {
			return err
		}
		res, err := waitResult(tab, s.rpEP.Origin())
		s.results = append(s.results, res)
		if err != nil {
			return err
		}
		// the lines may come in any order: a double exchange races itself
		for _, w := range want {
			if err := expectResults(s, w); err != nil {
				return err
			}
		}
		return nil
	}
}

// driveTwoTabs starts a sign-in in tab A, then one in tab B (same browser),
// then finishes A, then B: the usual "opened the app twice" story.
func driveTwoTabs(path string, wantA, wantB string) func(context.Context, *session) error {
	return func(ctx context.Context, s *session) error {
		a, err := s.chrome.tab()
		if err != nil {
			return err
		}
		if err := navigate(a, s.rpEP.Origin()+path); err != nil {
			return err
		}
		if err := chromedp.Do(a, chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
			return err
		}
		b, err := s.chrome.tab()
		if err != nil {
			return err
		}
		if err := navigate(b, s.rpEP.Origin()+path); err != nil {
			return err
		}
		if err := chromedp.Do(b, chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
			return err
		}
		for _, tab := range []context.Context{a, b} {
			if err := signIn(tab, s.op); err != nil {
				return err
			}
			res, err := waitResult(tab, s.rpEP.Origin())
			s.results = append(s.results, res)
			if err != nil {
				return err
			}
		}
		return expectResults(s, wantA, wantB)
	}
}

// driveSPAReload signs in with the browser app, then reloads the page the
// app left at the callback URL.
func driveSPAReload(wantFirst, wantReload string) func(context.Context, *session) error {
	return func(ctx context.Context, s *session) error {
		if err := driveSPA(wantFirst)(ctx, s); err != nil {
			return err
		}
		tab := s.chrome.first
		if err := chromedp.Do(tab, chromedp.Reload()); err != nil {
			return err
		}
		res, err := waitResult(tab, s.rpEP.Origin())
		s.results = append(s.results, res)
		if err != nil {
			return err
		}
		return expectResults(s, wantFirst, wantReload)
	}
}

// driveTwoTabsSlot opens the browser app in tab A and tab B (both reach the
// login form), signs in A, and signs in B while A's app is still booting
// after its callback, so that both callbacks pass through the app's one
// storage slot before either reads it.
func driveTwoTabsSlot(wantA, wantB string) func(context.Context, *session) error {
	return func(ctx context.Context, s *session) error {
		var tabs []context.Context
		for range 2 {
			t, err := s.chrome.tab()
			if err != nil {
				return err
			}
			if err := navigate(t, s.rpEP.Origin()+"/spa/"); err != nil {
				return err
			}
			if err := chromedp.Do(t, chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
				return err
			}
			tabs = append(tabs, t)
		}
		a, b := tabs[0], tabs[1]
		if err := signIn(a, s.op); err != nil {
			return err
		}
		if err := waitPath(a, s.rpEP.Origin(), "/spa/callback"); err != nil {
			return err
		}
		if err := signIn(b, s.op); err != nil {
			return err
		}
		for _, t := range tabs {
			res, err := waitResult(t, s.rpEP.Origin())
			s.results = append(s.results, res)
			if err != nil {
				return err
			}
		}
		return expectResults(s, wantA, wantB)
	}
}

// driveTwoTabsOverlap opens the app's sign-in in tab A and tab B, signs in
// A and, while A's callback is still waiting to redeem its code (the RP's
// RedeemDelay), signs in B: A's code is issued before B's and redeemed
// after it, the setting in which a provider that binds codes to the
// browser's grant would revoke A's.
func driveTwoTabsOverlap(wantA, wantB string) func(context.Context, *session) error {
	return func(ctx context.Context, s *session) error {
		var tabs []context.Context
		for range 2 {
			t, err := s.chrome.tab()
			if err != nil {
				return err
			}
			if err := navigate(t, s.rpEP.Origin()+"/login"); err != nil {
				return err
			}
			if err := chromedp.Do(t, chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
				return err
			}
			tabs = append(tabs, t)
		}
		if err := signIn(tabs[0], s.op); err != nil {
			return err
		}
		time.Sleep(time.Second)
		if err := signIn(tabs[1], s.op); err != nil {
			return err
		}
		for _, t := range tabs {
			res, err := waitResult(t, s.rpEP.Origin())
			s.results = append(s.results, res)
			if err != nil {
				return err
			}
		}
		return expectResults(s, wantA, wantB)
	}
}

// waitPath waits until the tab shows path at origin.
func waitPath(ctx context.Context, origin, path string) error {
	expr := fmt.Sprintf(`location.origin === %q && location.pathname === %q`, origin, path)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(ectx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("tab never reached %s%s", origin, path)
}

// driveAuthorizeError starts a sign-in that the provider refuses at the
// authorize endpoint with an error page.
func driveAuthorizeError(want string) func(context.Context, *session) error {
	return func(ctx context.Context, s *session) error {
		tab, err := s.chrome.tab()
		if err != nil {
			return err
		}
		if err := navigate(tab, s.rpEP.Origin()+"/login"); err != nil {
			return err
		}
		text, err := chromedp.Run(tab, chromedp.Evaluate[string](`location.origin + " " + document.body.innerText`))
		if err != nil {
			return err
		}
		s.results = append(s.results, text)
		if !strings.HasPrefix(text, s.opEP.Origin()) {
			return fmt.Errorf("browser is not on the provider's error page: %q", text)
		}
		return expectResults(s, want)
	}
}

func scenarios() []*scenario {
	return []*scenario{
		{
			Name: "clean-zitadel-h2", Summary: "clean confidential code flow with PKCE, zitadel OP, HTTPS, HTTP/2, back-channel token exchange",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Drive: driveServerClean,
		},
		{
			Name: "code-reuse-double-handler-zitadel", Summary: "the RP's code-received handler runs twice: two back-channel redemptions of one code, zitadel refuses the second",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RedeemTwice: true},
			Drive: driveServerClean, Rules: []string{"code-reuse"},
		},
		{
			Name: "clean-zitadel-http1-plaintext", Summary: "clean confidential code flow with PKCE, zitadel OP, plain HTTP/1.1 (no TLS) on every hop",
			Provider: "zitadel", Drive: driveServerClean,
		},
		{
			Name: "clean-fosite-http1-tls", Summary: "clean confidential code flow with PKCE, ory/fosite, HTTPS restricted to HTTP/1.1",
			Provider: "fosite", OPTLS: true, RPTLS: true, Drive: driveServerClean,
		},
		{
			Name: "clean-fosite-spa-h2", Summary: "clean browser-app flow: public client, PKCE, token request by fetch with CORS, ory/fosite, HTTP/2",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Drive: driveSPA("token 200 ok", "done"),
		},
		{
			Name: "code-reuse-reload-fosite", Summary: "the RP renders the signed-in page at the callback URL; the user reloads it and the RP redeems the code again; fosite refuses",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RenderAtCallback: true},
			Drive: driveReload, Rules: []string{"code-reuse"},
		},
		{
			Name: "code-reuse-reload-zitadel-http1-plaintext", Summary: "the reload story over plain HTTP/1.1 with zitadel: the RP renders the signed-in page at the callback URL, the user reloads, the RP redeems the code again and zitadel refuses (readable without any key)",
			Provider: "zitadel", Defects: rpDefects{RenderAtCallback: true},
			Drive: driveReload, Rules: []string{"code-reuse"},
		},
		{
			Name: "code-reuse-parallel-fosite", Summary: "the RP sends two token requests for one code at the same moment (retry/race); ory/fosite, HTTP/1.1 over TLS",
			Provider: "fosite", OPTLS: true, RPTLS: true, Defects: rpDefects{RedeemParallel: true},
			Drive: driveServerClean, Rules: []string{"code-reuse"},
		},
		{
			Name: "code-reuse-spa-double-fosite", Summary: "the browser app exchanges the code twice (effects run twice, as React StrictMode does); two fetch token requests",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{Double: true},
			Drive: driveSPA("token 200 ok", "token 400 invalid_grant"), Rules: []string{"code-reuse"},
		},
		{
			Name: "redirect-uri-mismatch-token-zitadel", Summary: "the RP sends http:// instead of https:// as redirect_uri at the token endpoint (TLS-terminating proxy mistake); zitadel refuses",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{TokenRedirectURI: "http://app.rp.test:{rp-port}/callback"},
			Drive: driveServerFailing("token endpoint answered 400 invalid_grant"), Rules: []string{"redirect-uri-mismatch"},
		},
		{
			Name: "redirect-uri-mismatch-token-fosite", Summary: "the RP adds a trailing slash to redirect_uri at the token endpoint; fosite refuses",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{TokenRedirectURI: "{rp}/callback/"},
			Drive: driveServerFailing("token endpoint answered 400 invalid_grant"), Rules: []string{"redirect-uri-mismatch"},
		},
		{
			Name: "code-expired-fosite", Summary: "the RP holds the code 65 s before redeeming it (a queued job); fosite is configured with a 60 s code lifetime (Okta's and Keycloak's default) and refuses",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Fosite: fositeOptions{CodeLifetime: 60 * time.Second},
			Defects: rpDefects{RedeemDelay: 65 * time.Second},
			Drive:   driveServerFailing("token endpoint answered 400 invalid_request"), Rules: []string{"code-expired"},
			Shaped: "Nothing on the wire is shaped, but note fosite's real behaviour: it reports the expired code as a generic 400 invalid_request (raised in PopulateTokenEndpointResponse), with no word of expiry in the answer, so the trace shows the expiry only through timing: code issued by the provider's 303 (its Date header) and the back-channel token request 65 s later, past the 60 s lifetime configured here (Okta's and Keycloak's default). The provider's own log line for the refusal is quoted in expect.json.",
		},
		{
			Name: "multi-tab-state-zitadel", Summary: "two tabs start a sign-in; the RP keeps one state cookie, so tab A's callback fails the state check and its code is never redeemed; tab B succeeds",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{SharedStateCookie: true},
			Drive: driveTwoTabs("/login", "state mismatch", "signed in"), Rules: []string{"multi-tab-race"}, Allow: []string{"state-mismatch"},
		},
		{
			Name: "multi-tab-pkce-cookie-fosite", Summary: "two tabs start a sign-in; the RP keeps one PKCE verifier cookie, so tab A redeems its code with tab B's verifier; fosite refuses; tab B succeeds",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{SharedVerifierCookie: true},
			Drive: driveTwoTabs("/login", "token endpoint answered 400 invalid_grant", "signed in"), Rules: []string{"multi-tab-race"}, Allow: []string{"pkce-mismatch"},
		},
		{
			Name: "multi-tab-pkce-spa-fosite", Summary: "two tabs of the browser app start a sign-in; the verifier sits under one localStorage key, so tab A's fetch sends tab B's verifier; fosite refuses; tab B succeeds",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{SharedStorage: true},
			Drive: driveTwoTabs("/spa/", "token 400 invalid_grant", "token 200 ok"), Rules: []string{"multi-tab-race"}, Allow: []string{"pkce-mismatch"},
		},
		{
			Name: "pkce-mismatch-spa-fosite", Summary: "the browser app generates a new verifier at token time instead of reusing the stored one; fosite refuses",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{WrongVerifier: true},
			Drive: driveSPA("token 400 invalid_grant"), Rules: []string{"pkce-mismatch"},
		},
		{
			Name: "refresh-fosite", Summary: "clean sign-in, then the RP redeems its refresh token on the back channel (fosite rotates it)",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Refresh: true,
			Drive: driveRefresh(0, "tokens refreshed"),
		},
		{
			Name: "refresh-expired-fosite", Summary: "clean sign-in, then a refresh after the refresh token's lifetime (fosite configured to 2 s); fosite refuses",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Refresh: true, Fosite: fositeOptions{RefreshLifetime: 2 * time.Second},
			Drive: driveRefresh(3*time.Second, "invalid_grant"), Rules: []string{"refresh-token-expired"},
		},
		{
			Name: "refresh-expired-oidcprovider", Summary: "clean sign-in with oidc-provider, then a refresh after the refresh token's lifetime (ttl.RefreshToken configured to 2 s; the RP asks prompt=consent, without which oidc-provider grants no offline_access); oidc-provider refuses with its generic 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Refresh: true, OIDCProvider: oidcProviderOptions{RefreshLifetime: 2 * time.Second, OfflineConsent: true},
			Drive: driveRefresh(3*time.Second, "invalid_grant"), Rules: []string{"refresh-token-expired"},
		},
		{
			Name: "refresh-zitadel", Summary: "clean sign-in with zitadel, then the RP redeems its refresh token on the back channel",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Refresh: true,
			Drive: driveRefresh(0, "tokens refreshed"),
		},
		{
			Name: "refresh-reuse-rotated-fosite", Summary: "the RP refreshes twice but keeps the first refresh token; fosite rotated it at the first refresh and refuses the reuse",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Refresh: true, Defects: rpDefects{KeepOldRefreshToken: true},
			Drive: driveRefresh(0, "tokens refreshed", "invalid_grant"), Rules: []string{"refresh-token-expired"},
		},
		{
			Name: "refresh-spa-fosite", Summary: "browser app signs in, then refreshes by fetch with CORS (public client, rotated refresh token)",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{Refresh: true},
			Drive: driveSPA("token 200 ok", "refresh 200 ok", "done"),
		},
		{
			Name: "redirect-uri-mismatch-authorize-zitadel", Summary: "the RP sends an http:// redirect_uri that is not registered (only https:// is); zitadel refuses at the authorize endpoint with an error page",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{AuthorizeRedirectURI: "http://app.rp.test:{rp-port}/callback"},
			Drive: driveAuthorizeError("redirect_uri"), Rules: []string{"redirect-uri-mismatch"},
		},
		{
			Name: "redirect-uri-mismatch-authorize-fosite", Summary: "the RP sends redirect_uri /signin-oidc, which is not registered; fosite refuses at the authorize endpoint",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{AuthorizeRedirectURI: "{rp}/signin-oidc"},
			Drive: driveAuthorizeError("redirect_uri"), Rules: []string{"redirect-uri-mismatch"},
		},
		{
			Name: "client-auth-failed-zitadel", Summary: "the RP authenticates (HTTP Basic) with a wrong client secret, as when the secret's ID is pasted instead of its value; zitadel refuses",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{WrongSecret: true},
			Drive: driveServerFailing("invalid_client"), Rules: []string{"client-auth-failed"},
		},
		{
			Name: "pkce-missing-fosite", Summary: "the authorize request carries a code_challenge but the RP's token request omits code_verifier; fosite refuses",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{OmitVerifier: true},
			Drive: driveServerFailing("token endpoint answered 400"), Rules: []string{"pkce-missing"},
		},
		{
			Name: "state-mismatch-samesite-strict-zitadel", Summary: "the RP keeps its state cookie with SameSite=Strict; the provider's cross-site redirect to the callback arrives without it and the RP refuses the state",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{CookieSameSite: "Strict"},
			Drive: driveServerFailing("unknown state"), Rules: []string{"state-mismatch"},
		},
		{
			Name: "clean-fosite-form-post", Summary: "clean confidential flow with response_mode=form_post: fosite answers with an auto-submitting form, the browser POSTs the code to the callback (cookies SameSite=None; Secure)",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{FormPost: true, CookieSameSite: "None"},
			Drive: driveServerClean,
		},
		{
			Name: "state-mismatch-form-post-lax-fosite", Summary: "response_mode=form_post with the RP's state cookie SameSite=Lax: the cross-site POST to the callback carries no cookie (ASP.NET's \"Correlation failed\" story); the RP refuses",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{FormPost: true},
			Drive: driveServerFailing("unknown state"), Rules: []string{"state-mismatch"},
		},
		{
			Name: "code-reuse-form-post-entra-shaped-fosite", Summary: "Entra-shaped web app: fosite served as login.microsoftonline.com on /common/oauth2/v2.0/ paths, response_mode=form_post to /signin-oidc, and the app's code-received handler redeems the code twice within that one POST (the Microsoft.Identity.Web double-handler pattern)",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, OPHost: "login.microsoftonline.com",
			Fosite:  fositeOptions{AuthorizePath: "/common/oauth2/v2.0/authorize", TokenPath: "/common/oauth2/v2.0/token"},
			Defects: rpDefects{RedeemTwice: true, FormPost: true, CookieSameSite: "None", CallbackPath: "/signin-oidc"},
			Drive:   driveServerClean, Rules: []string{"code-reuse"},
			Shaped: "The host name login.microsoftonline.com (mapped to 127.0.0.1 by Chromium's --host-resolver-rules and by the RP's dialer), the /common/oauth2/v2.0/ paths and the /signin-oidc callback are shaped like Microsoft Entra ID and ASP.NET; the server behind them is ory/fosite, so error bodies are fosite's, not AADSTS codes. No packet went to Microsoft.",
		},
		{
			Name: "code-reuse-entra-shaped-fosite", Summary: "Entra-shaped: fosite served as login.microsoftonline.com on /common/oauth2/v2.0/ paths; the RP's handler redeems the code twice",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, OPHost: "login.microsoftonline.com",
			Fosite:  fositeOptions{AuthorizePath: "/common/oauth2/v2.0/authorize", TokenPath: "/common/oauth2/v2.0/token"},
			Defects: rpDefects{RedeemTwice: true}, Drive: driveServerClean, Rules: []string{"code-reuse"},
			Shaped: "The host name login.microsoftonline.com (mapped to 127.0.0.1 by Chromium's --host-resolver-rules and by the RP's dialer) and the /common/oauth2/v2.0/ paths are shaped like Microsoft Entra ID; the server behind them is ory/fosite, so error bodies are fosite's, not AADSTS codes. No packet went to Microsoft.",
		},
		{
			Name: "clean-gooauth2-h2", Summary: "clean confidential code flow with PKCE, go-oauth2/oauth2 (an OAuth 2.0 server: no ID token), HTTPS, HTTP/2, back-channel token exchange",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, Drive: driveServerClean,
		},
		{
			Name: "clean-gooauth2-spa-h2", Summary: "clean browser-app flow with go-oauth2/oauth2: public client, PKCE, token request by fetch with CORS, HTTP/2",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, Drive: driveSPA("token 200 ok", "done"),
		},
		{
			Name: "code-reuse-reload-gooauth2", Summary: "server-side app: the RP renders the signed-in page at the callback URL; the user reloads it, the RP redeems the code again on the back channel and go-oauth2 answers a bare 401 invalid_grant",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RenderAtCallback: true},
			Drive: driveReload, Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "code-reuse-reload-spa-gooauth2", Summary: "browser app: the exchange succeeds but the app leaves the callback URL in the address bar; the user reloads, the app redeems the code again by fetch and go-oauth2 answers a bare 401 invalid_grant",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{KeepCallbackURL: true},
			Drive: driveSPAReload("token 200 ok", "token 401 invalid_grant"), Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "code-reuse-reload-spa-fosite", Summary: "browser app: the exchange succeeds but the app leaves the callback URL in the address bar; the user reloads, the app redeems the code again by fetch and fosite refuses (and revokes the first tokens)",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{KeepCallbackURL: true},
			Drive: driveSPAReload("token 200 ok", "token 400 invalid_grant"), Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "multi-tab-shared-slot-spa-gooauth2", Summary: "two tabs of the browser app sign in at once; the callback route hands the code to the app through one localStorage slot (and one verifier key), so both tabs redeem tab B's code: one succeeds, go-oauth2 refuses the other with a bare invalid_grant, and tab A's code is never redeemed",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{SharedStorage: true, SharedCodeSlot: true, SlotDelayMS: 3000},
			Drive: driveTwoTabsSlot("token 200 ok", "token 401 invalid_grant"), Rules: []string{"multi-tab-race", "code-reuse"},
			Mechanism: map[string]string{"multi-tab-race": "multi-tab: shared storage slot", "code-reuse": "multi-tab"},
		},
		{
			Name: "multi-tab-shared-slot-spa-fosite", Summary: "two tabs of the browser app sign in at once; the callback route hands the code to the app through one localStorage slot (and one verifier key), so both tabs redeem tab B's code: one succeeds, fosite refuses the other, and tab A's code is never redeemed",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{SharedStorage: true, SharedCodeSlot: true, SlotDelayMS: 3000},
			Drive: driveTwoTabsSlot("token 200 ok", "token 400 invalid_grant"), Rules: []string{"multi-tab-race", "code-reuse"},
			Mechanism: map[string]string{"multi-tab-race": "multi-tab: shared storage slot", "code-reuse": "multi-tab"},
		},
		{
			Name: "code-expired-interstitial-spa-gooauth2", Summary: "go-oauth2 configured with a 5 s code lifetime; the browser app shows an interstitial for 8 s between the callback and the redemption; go-oauth2 answers a bare 401 invalid_grant (the code's TTL ran out in its store)",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, GoOAuth2: gooauth2Options{CodeLifetime: 5 * time.Second},
			SPA: spaDefects{RedeemDelayMS: 8000}, Drive: driveSPA("token 401 invalid_grant"), Rules: []string{"code-expired"},
			Mechanism: map[string]string{"code-expired": "short-lifetime"},
		},
		{
			Name: "code-expired-interstitial-spa-fosite", Summary: "fosite configured with a 5 s code lifetime; the browser app shows an interstitial for 8 s between the callback and the redemption; fosite refuses",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Fosite: fositeOptions{CodeLifetime: 5 * time.Second},
			SPA: spaDefects{RedeemDelayMS: 8000}, Drive: driveSPA("token 400"), Rules: []string{"code-expired"},
			Mechanism: map[string]string{"code-expired": "short-lifetime"},
		},
		{
			Name: "cors-blocked-token-spa-gooauth2", Summary: "browser app whose token endpoint sends no CORS headers (go-oauth2 as shipped): the fetch reaches the server, which redeems the code, but Chrome withholds the answer from the page (failed request, no status)",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, GoOAuth2: gooauth2Options{NoCORS: true},
			Drive: driveSPA("exception"), Rules: []string{"spa-cross-origin"}, Mechanism: map[string]string{"spa-cross-origin": "cors-blocked"},
		},
		{
			Name: "cors-blocked-token-spa-fosite", Summary: "browser app whose token endpoint sends no CORS headers (fosite leaves CORS to its host): the fetch reaches fosite, which redeems the code, but Chrome withholds the answer from the page (failed request, no status)",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Fosite: fositeOptions{NoCORS: true},
			Drive: driveSPA("exception"), Rules: []string{"spa-cross-origin"}, Mechanism: map[string]string{"spa-cross-origin": "cors-blocked"},
		},
		{
			Name: "cors-blocked-token-spa-oidcprovider", Summary: "browser app whose origin oidc-provider's clientBasedCORS does not allow: oidc-provider refuses the token request (400 invalid_request \"origin … not allowed for client: rp-spa\") without CORS headers, and Chrome withholds even that answer from the page (failed request, no status)",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, OIDCProvider: oidcProviderOptions{NoCORS: true},
			Drive: driveSPA("exception"), Rules: []string{"spa-cross-origin"}, Mechanism: map[string]string{"spa-cross-origin": "cors-blocked"},
		},
		{
			Name: "code-reuse-reload-server-capture-fosite", Summary: "server-side app, two traces of one incident: the RP renders the signed-in page at the callback URL, the user reloads it and the RP redeems the code again; the browser's HAR and capture show the two callbacks, only the app server's capture shows the two back-channel redemptions and fosite's refusal",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RenderAtCallback: true}, ServerCapture: true,
			Drive: driveReload, Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "code-reuse-double-handler-server-capture-gooauth2", Summary: "server-side app, two traces of one incident: the app's code-received handler runs twice inside one callback; the browser's HAR shows one callback and a successful sign-in (the first redemption won), only the app server's capture shows the two back-channel redemptions and go-oauth2's bare 401 invalid_grant for the second",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RedeemTwice: true}, ServerCapture: true,
			Drive: driveServerClean, Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "double-handler"},
		},
		{
			Name: "code-reuse-proxy-retry-nginx-fosite", Summary: "nginx in front of two app instances retries the form_post callback: the first instance redeems the code but answers slowly (4 s, past nginx's 2 s proxy_read_timeout; proxy_next_upstream timeout non_idempotent), nginx sends the same POST to the second instance, which redeems the code again; fosite refuses it and the browser gets the second instance's error page",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Proxy: true,
			Defects: rpDefects{FormPost: true, CookieSameSite: "None", SlowFirstCallback: 4 * time.Second},
			Drive:   driveServerFailing("token endpoint answered 400"), Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "proxy-retry"},
		},
		{
			Name: "multi-tab-overlap-zitadel", Summary: "two overlapping sign-ins for one client in one browser, correct RP: tab A's code is issued before tab B's and redeemed after it (the RP waits 5 s before redeeming); zitadel keeps A's code valid and both sign-ins succeed (no grant replacement): a clean flow that must not be reported as a crossing",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RedeemDelay: 5 * time.Second},
			Drive: driveTwoTabsOverlap("signed in", "signed in"), Overlap: true,
		},
		{
			Name: "multi-tab-overlap-fosite", Summary: "two overlapping sign-ins for one client in one browser, correct RP: tab A's code is issued before tab B's and redeemed after it (the RP waits 5 s before redeeming); fosite keeps A's code valid and both sign-ins succeed (no grant replacement): a clean flow that must not be reported as a crossing",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RedeemDelay: 5 * time.Second},
			Drive: driveTwoTabsOverlap("signed in", "signed in"), Overlap: true,
		},
		{
			Name: "multi-tab-overlap-gooauth2", Summary: "two overlapping sign-ins for one client in one browser, correct RP: tab A's code is issued before tab B's and redeemed after it (the RP waits 5 s before redeeming); go-oauth2 keeps A's code valid and both sign-ins succeed (no grant replacement): a clean flow that must not be reported as a crossing",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RedeemDelay: 5 * time.Second},
			Drive: driveTwoTabsOverlap("signed in", "signed in"), Overlap: true,
		},
		{
			Name: "code-expired-interstitial-gooauth2", Summary: "server-side app: go-oauth2 configured with a 5 s code lifetime; the app answers the callback with an interstitial page and redeems the code on the back channel when the page moves on 8 s later; go-oauth2 answers a bare 401 invalid_grant",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, GoOAuth2: gooauth2Options{CodeLifetime: 5 * time.Second},
			Defects: rpDefects{Interstitial: 8 * time.Second}, Drive: driveServerFailing("token endpoint answered 401 invalid_grant"),
			Rules: []string{"code-expired"}, Mechanism: map[string]string{"code-expired": "short-lifetime"},
		},
		{
			Name: "code-expired-interstitial-fosite", Summary: "server-side app: fosite configured with a 5 s code lifetime; the app answers the callback with an interstitial page and redeems the code on the back channel when the page moves on 8 s later; fosite refuses",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Fosite: fositeOptions{CodeLifetime: 5 * time.Second},
			Defects: rpDefects{Interstitial: 8 * time.Second}, Drive: driveServerFailing("token endpoint answered 400"),
			Rules: []string{"code-expired"}, Mechanism: map[string]string{"code-expired": "short-lifetime"},
		},
		{
			Name: "clean-zitadel-spa-h2", Summary: "clean browser-app flow with zitadel: public (native) client, PKCE, token request by fetch with zitadel's own CORS headers, HTTP/2",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Drive: driveSPA("token 200 ok", "done"),
		},
		{
			Name: "code-reuse-reload-spa-zitadel", Summary: "browser app: the exchange succeeds but the app leaves the callback URL in the address bar; the user reloads, the app redeems the code again by fetch and zitadel refuses",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{KeepCallbackURL: true},
			Drive: driveSPAReload("token 200 ok", "token 400 invalid_grant"), Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "multi-tab-shared-slot-spa-zitadel", Summary: "two tabs of the browser app sign in at once; the callback route hands the code to the app through one localStorage slot (and one verifier key), so both tabs redeem tab B's code: one succeeds, zitadel refuses the other, and tab A's code is never redeemed",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{SharedStorage: true, SharedCodeSlot: true, SlotDelayMS: 3000},
			Drive: driveTwoTabsSlot("token 200 ok", "token 400 invalid_grant"), Rules: []string{"multi-tab-race", "code-reuse"},
			Mechanism: map[string]string{"multi-tab-race": "multi-tab: shared storage slot", "code-reuse": "multi-tab"},
		},
		{
			Name: "code-reuse-reload-server-capture-zitadel", Summary: "server-side app, two traces of one incident: the RP renders the signed-in page at the callback URL, the user reloads it and the RP redeems the code again; the browser's HAR and capture show the two callbacks, only the app server's capture shows the two back-channel redemptions and zitadel's refusal",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RenderAtCallback: true}, ServerCapture: true,
			Drive: driveReload, Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "state-mismatch-proxy-instances-nginx-fosite", Summary: "nginx in front of two app instances that do not share their cookie protection keys (ASP.NET data protection keys per instance): /login is served by one instance, the callback by the other, which cannot read the correlation cookie and refuses the sign-in",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, Proxy: true, Defects: rpDefects{InstanceKeys: true},
			Drive: driveServerFailing("correlation failed"), Rules: []string{"state-mismatch"}, Mechanism: map[string]string{"state-mismatch": "instance-without-shared-state"},
		},
		{
			Name: "code-reuse-reload-spa-api-401-fosite", Summary: "browser app: the exchange succeeds, the app calls an API with its access token (200); the user reloads the callback URL, the app redeems the code again, fosite refuses and revokes the first exchange's tokens, and the app's next API call with the same access token gets 401: what the user saw",
			Provider: "fosite", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{KeepCallbackURL: true, CallAPI: true},
			Drive: driveSPAReload("api 200", "api 401"), Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "code-reuse-reload-spa-api-gooauth2", Summary: "browser app: the exchange succeeds, the app calls an API with its access token (200); the user reloads the callback URL, the app redeems the code again and go-oauth2 refuses with a bare 401 invalid_grant but revokes nothing: the next API call with the same access token still gets 200",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{KeepCallbackURL: true, CallAPI: true},
			Drive: driveSPAReload("api 200", "api 200"), Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "code-reuse-proxy-retry-haproxy-gooauth2", Summary: "HAProxy in front of two app instances retries the callback: the first instance redeems the code but answers slowly (4 s, past HAProxy's 2 s timeout server; retry-on response-timeout, option redispatch), HAProxy sends the same GET callback (go-oauth2 has no form_post) to the other instance, which redeems the code again; go-oauth2 answers a bare 401 invalid_grant and the browser gets the second instance's error page",
			Provider: "gooauth2", OPTLS: true, RPTLS: true, HTTP2: true, Proxy: true, ProxyKind: "haproxy",
			Defects: rpDefects{SlowFirstCallback: 4 * time.Second},
			Drive:   driveServerFailing("token endpoint answered 401"), Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "proxy-retry"},
		},
		{
			Name: "clean-oidcprovider-h2", Summary: "clean confidential code flow with PKCE, panva's oidc-provider (Node.js), HTTPS, HTTP/2, back-channel token exchange",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Drive: driveServerClean,
		},
		{
			Name: "clean-oidcprovider-spa-h2", Summary: "clean browser-app flow with oidc-provider: public client (PKCE required by its default), token request by fetch with oidc-provider's own CORS headers, HTTP/2",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Drive: driveSPA("token 200 ok", "done"),
		},
		{
			Name: "code-reuse-reload-oidcprovider", Summary: "server-side app: the RP renders the signed-in page at the callback URL; the user reloads it, the RP redeems the code again on the back channel and oidc-provider answers its generic 400 invalid_grant \"grant request is invalid\" (and revokes the grant)",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RenderAtCallback: true},
			Drive: driveReload, Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "code-reuse-reload-spa-oidcprovider", Summary: "browser app: the exchange succeeds but the app leaves the callback URL in the address bar; the user reloads, the app redeems the code again by fetch and oidc-provider answers 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{KeepCallbackURL: true},
			Drive: driveSPAReload("token 200 ok", "token 400 invalid_grant"), Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "code-reuse-double-handler-oidcprovider", Summary: "the RP's code-received handler runs twice: two back-channel redemptions of one code; oidc-provider refuses the second with 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RedeemTwice: true},
			Drive: driveServerClean, Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "double-handler"},
		},
		{
			Name: "code-reuse-spa-double-oidcprovider", Summary: "the browser app exchanges the code twice (effects run twice, as React StrictMode does); oidc-provider serves one fetch and refuses the other with 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{Double: true},
			Drive: driveSPA("token 200 ok", "token 400 invalid_grant"), Rules: []string{"code-reuse"},
		},
		{
			Name: "redirect-uri-mismatch-token-oidcprovider", Summary: "the RP adds a trailing slash to redirect_uri at the token endpoint; oidc-provider answers 400 invalid_grant \"grant request is invalid\" (its detail, logged only: redirect_uri mismatch)",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{TokenRedirectURI: "{rp}/callback/"},
			Drive: driveServerFailing("token endpoint answered 400 invalid_grant"), Rules: []string{"redirect-uri-mismatch"},
		},
		{
			Name: "pkce-mismatch-spa-oidcprovider", Summary: "the browser app generates a new verifier at token time instead of reusing the stored one; oidc-provider answers 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{WrongVerifier: true},
			Drive: driveSPA("token 400 invalid_grant"), Rules: []string{"pkce-mismatch"},
		},
		{
			Name: "pkce-missing-oidcprovider", Summary: "the authorize request carries a code_challenge but the RP's token request omits code_verifier; oidc-provider refuses",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{OmitVerifier: true},
			Drive: driveServerFailing("token endpoint answered 400"), Rules: []string{"pkce-missing"},
		},
		{
			Name: "code-expired-oidcprovider", Summary: "the RP holds the code 65 s before redeeming it (a queued job); oidc-provider keeps its default 60 s ttl.AuthorizationCode and answers 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{RedeemDelay: 65 * time.Second},
			Drive: driveServerFailing("token endpoint answered 400 invalid_grant"), Rules: []string{"code-expired"},
		},
		{
			Name: "code-expired-interstitial-spa-oidcprovider", Summary: "oidc-provider configured with a 5 s ttl.AuthorizationCode; the browser app shows an interstitial for 8 s between the callback and the redemption; oidc-provider answers 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, OIDCProvider: oidcProviderOptions{CodeLifetime: 5 * time.Second},
			SPA: spaDefects{RedeemDelayMS: 8000}, Drive: driveSPA("token 400 invalid_grant"), Rules: []string{"code-expired"},
			Mechanism: map[string]string{"code-expired": "short-lifetime"},
		},
		{
			Name: "client-auth-failed-oidcprovider", Summary: "the RP sends a wrong client secret (the secret's ID pasted instead of its value); oidc-provider refuses with invalid_client",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{WrongSecret: true},
			Drive: driveServerFailing("invalid_client"), Rules: []string{"client-auth-failed"},
		},
		{
			Name: "redirect-uri-mismatch-authorize-oidcprovider", Summary: "the RP sends redirect_uri /signin-oidc, which is not registered; oidc-provider refuses at the authorize endpoint with its own error page",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{AuthorizeRedirectURI: "{rp}/signin-oidc"},
			Drive: driveAuthorizeError("redirect_uri"), Rules: []string{"redirect-uri-mismatch"},
		},
		{
			Name: "multi-tab-pkce-spa-oidcprovider", Summary: "two tabs of the browser app start a sign-in; the verifier sits under one localStorage key, so tab A's fetch sends tab B's verifier; oidc-provider answers 400 invalid_grant \"grant request is invalid\"; tab B succeeds",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{SharedStorage: true},
			Drive: driveTwoTabs("/spa/", "token 400 invalid_grant", "token 200 ok"), Rules: []string{"multi-tab-race"}, Allow: []string{"pkce-mismatch"},
		},
		{
			Name: "code-reuse-reload-spa-api-401-oidcprovider", Summary: "browser app: the exchange succeeds, the app calls oidc-provider's userinfo endpoint with its access token (200); the user reloads the callback URL, the app redeems the code again, oidc-provider answers 400 invalid_grant \"grant request is invalid\" and revokes the grant, and the app's next userinfo call with the same access token gets 401: what the user saw",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{KeepCallbackURL: true, CallAPI: true},
			Drive: driveSPAReload("api 200", "api 401"), Rules: []string{"code-reuse"}, Mechanism: map[string]string{"code-reuse": "reload"},
		},
		{
			Name: "silent-renew-iframe-spa-oidcprovider", Summary: "browser app signed in at oidc-provider (another site) renews silently: an authorize request with prompt=none in a hidden iframe; Chromium sends oidc-provider's session cookie (SameSite=None; Secure) in the third-party frame and oidc-provider answers with a code, redeemed by fetch: a clean silent renewal",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, OIDCProvider: oidcProviderOptions{SessionSameSiteNone: true}, SPA: spaDefects{SilentRenew: true},
			ThirdPartyCookies: "allow", Drive: driveSPA("token 200 ok", "silent token 200 ok", "done"),
		},
		{
			Name: "silent-renew-iframe-3p-cookies-blocked-spa-oidcprovider", Summary: "the same browser app and provider with Chromium blocking third-party cookies: the hidden iframe's prompt=none request goes without oidc-provider's session cookie, which the top-level sign-in had set, and oidc-provider answers login_required",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, OIDCProvider: oidcProviderOptions{SessionSameSiteNone: true}, SPA: spaDefects{SilentRenew: true},
			ThirdPartyCookies: "block",
			Drive:             driveSPA("token 200 ok", "silent error login_required", "done"), Rules: []string{"interaction-required"},
		},
		{
			Name: "clean-par-spa-oidcprovider", Summary: "clean browser-app flow with a pushed authorization request (RFC 9126, oidc-provider's default /request endpoint): the app POSTs its parameters (redirect_uri, state, code_challenge) by fetch, oidc-provider answers 201 with a request_uri, the browser goes to /auth with only client_id and request_uri; token request by fetch",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{PAR: true}, Drive: driveSPA("token 200 ok", "done"),
		},
		{
			Name: "pkce-mismatch-par-spa-oidcprovider", Summary: "browser app with a pushed authorization request (the code_challenge only in the pushed body, the authorize URL carries client_id and request_uri alone) that generates a new verifier at token time; oidc-provider answers 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{PAR: true, WrongVerifier: true},
			Drive: driveSPA("token 400 invalid_grant"), Rules: []string{"pkce-mismatch"},
		},
		{
			Name: "multi-tab-pkce-par-spa-oidcprovider", Summary: "two tabs of the browser app sign in with pushed authorization requests (state and challenge only in the pushed bodies); the verifier sits under one localStorage key, so tab A's fetch sends tab B's verifier; oidc-provider answers 400 invalid_grant \"grant request is invalid\"; tab B succeeds",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{PAR: true, SharedStorage: true},
			Drive: driveTwoTabs("/spa/", "token 400 invalid_grant", "token 200 ok"), Rules: []string{"multi-tab-race"}, Allow: []string{"pkce-mismatch"},
		},
		{
			Name: "clean-par-oidcprovider", Summary: "clean confidential flow whose server app pushes its authorize parameters on the back channel (PAR, RFC 9126, oidc-provider's /request, client secret in the body): the browser's HAR shows only client_id and request_uri at /auth; the capture shows the push and its answer",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{PAR: true}, Drive: driveServerClean,
		},
		{
			Name: "redirect-uri-mismatch-token-par-oidcprovider", Summary: "the server app pushes its authorize parameters on the back channel (redirect_uri only in the pushed body) and adds a trailing slash to redirect_uri at the token endpoint; oidc-provider answers 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{PAR: true, TokenRedirectURI: "{rp}/callback/"},
			Drive: driveServerFailing("token endpoint answered 400 invalid_grant"), Rules: []string{"redirect-uri-mismatch"},
		},
		{
			Name: "redirect-uri-mismatch-token-par-server-capture-oidcprovider", Summary: "the server app pushes its authorize parameters on the back channel (PAR) and adds a trailing slash to redirect_uri at the token endpoint, recorded as two machines see it: the browser's HAR and capture show /auth with client_id and request_uri alone, the app server's capture holds the push, the callback it received and its refused redemption",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, ServerCapture: true, Defects: rpDefects{PAR: true, TokenRedirectURI: "{rp}/callback/"},
			Drive: driveServerFailing("token endpoint answered 400 invalid_grant"), Rules: []string{"redirect-uri-mismatch"},
		},
		{
			Name: "clean-jar-oidcprovider", Summary: "clean confidential flow whose authorize parameters travel in a request object (JAR, RFC 9101: an HS256 JWT signed with the client secret, oidc-provider's features.requestObjects): the URL carries only client_id and request",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, OIDCProvider: oidcProviderOptions{RequestObjects: true},
			Defects: rpDefects{RequestObject: true}, Drive: driveServerClean,
		},
		{
			Name: "redirect-uri-mismatch-token-jar-oidcprovider", Summary: "the RP sends its authorize parameters in a request object (JAR; redirect_uri only in the JWT's claims) and adds a trailing slash to redirect_uri at the token endpoint; oidc-provider answers 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, OIDCProvider: oidcProviderOptions{RequestObjects: true},
			Defects: rpDefects{RequestObject: true, TokenRedirectURI: "{rp}/callback/"},
			Drive:   driveServerFailing("token endpoint answered 400 invalid_grant"), Rules: []string{"redirect-uri-mismatch"},
		},
		{
			Name: "clean-device-oidcprovider", Summary: "device authorization grant (RFC 8628) with oidc-provider: the RP, as a device without a browser, gets a user code from /device/auth and polls /token every 5 s (400 authorization_pending) while the user opens the verification URI in Chromium, confirms the code on oidc-provider's own page and signs in; the next poll gets the tokens",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, OIDCProvider: oidcProviderOptions{DeviceFlow: true},
			Drive: driveDevice(true, "device token 200 ok"),
		},
		{
			Name: "device-code-expired-oidcprovider", Summary: "device authorization grant with oidc-provider's ttl.DeviceCode set to 12 s: the user opens the verification URI but never confirms; the RP's polls get 400 authorization_pending until oidc-provider answers 400 expired_token \"device code is expired\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, OIDCProvider: oidcProviderOptions{DeviceFlow: true, DeviceCodeLifetime: 12 * time.Second},
			Drive: driveDevice(false, "device token 400 expired_token"),
		},
		{
			Name: "clean-grants-zitadel", Summary: "clean confidential sign-in with zitadel/oidc's example OP, then the app's back-channel token requests of other grants: client_credentials as the example storage's service user, and a token exchange (RFC 8693) of the user's access token for a new one (subject and actor token the same); zitadel answers each with tokens",
			Provider: "zitadel", OPTLS: true, RPTLS: true, HTTP2: true, Drive: driveServiceGrants,
		},
		{
			Name: "clean-oidcprovider-form-post", Summary: "clean confidential flow with response_mode=form_post: oidc-provider answers with its own auto-submitting form, the browser POSTs the code to the callback (cookies SameSite=None; Secure)",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, Defects: rpDefects{FormPost: true, CookieSameSite: "None"},
			Drive: driveServerClean,
		},
		{
			Name: "multi-tab-shared-slot-spa-oidcprovider", Summary: "two tabs of the browser app sign in at once; the callback route hands the code to the app through one localStorage slot (and one verifier key), so both tabs redeem tab B's code: one succeeds, oidc-provider refuses the other with 400 invalid_grant \"grant request is invalid\", and tab A's code is never redeemed",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, HTTP2: true, SPA: spaDefects{SharedStorage: true, SharedCodeSlot: true, SlotDelayMS: 3000},
			Drive: driveTwoTabsSlot("token 200 ok", "token 400 invalid_grant"), Rules: []string{"multi-tab-race", "code-reuse"},
			Mechanism: map[string]string{"multi-tab-race": "multi-tab: shared storage slot", "code-reuse": "multi-tab"},
		},
		{
			Name: "code-reuse-parallel-oidcprovider", Summary: "the RP sends two token requests for one code at the same moment (retry/race); oidc-provider serves one and refuses the other with 400 invalid_grant \"grant request is invalid\"",
			Provider: "oidcprovider", OPTLS: true, RPTLS: true, Defects: rpDefects{RedeemParallel: true},
			Drive: driveServerClean, Rules: []string{"code-reuse"},
		},
	}
}

// driveDevice runs the device authorization grant (RFC 8628): the RP, as a
// device with no browser, gets a user code and polls the token endpoint;
// the user opens the verification URI in the browser, confirms the code on
// oidc-provider's own page and signs in. approve false: the user never
// does, and the device code expires while the RP polls.
func driveDevice(approve bool, want string) func(context.Context, *session) error {
	return func(ctx context.Context, s *session) error {
		d, err := s.rp.deviceStart()
		if err != nil {
			return err
		}
		done := make(chan rpLogEntry, 1)
		go func() { done <- s.rp.devicePoll(d, 90*time.Second) }()
		tab, err := s.chrome.tab()
		if err != nil {
			return err
		}
		if err := navigate(tab, d.VerificationURIComplete); err != nil {
			return err
		}
		if approve {
			// oidc-provider's confirmation page: "Continue" submits its
			// form (user_code, xsrf, confirm=yes). Submitted by script:
			// the page's stylesheet imports a web font from a host the lab
			// maps to loopback, which keeps the page from rendering, so its
			// button is never "visible" to chromedp.
			submitted := false
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !submitted; time.Sleep(300 * time.Millisecond) {
				res, err := chromedp.Run(tab, chromedp.Evaluate[string](`(() => { const f = document.getElementById("op.deviceConfirmForm"); if (!f) return ""; f.submit(); return "ok"; })()`))
				submitted = err == nil && res == "ok"
			}
			if !submitted {
				return fmt.Errorf("oidc-provider's device confirmation page did not show")
			}
			if err := signIn(tab, s.op); err != nil {
				return err
			}
		}
		select {
		case e := <-done:
			s.results = append(s.results, fmt.Sprintf("device token %d %s", e.Status, cmp.Or(e.Error, "ok")))
		case <-time.After(100 * time.Second):
			return fmt.Errorf("device polling did not end")
		}
		return expectResults(s, want)
	}
}

// driveServiceGrants signs in, then has the app make the back-channel token
// requests of other grants (client credentials, token exchange) that a
// support trace shows beside the sign-in.
func driveServiceGrants(ctx context.Context, s *session) error {
	if err := serverSignIn(ctx, s); err != nil {
		return err
	}
	for _, e := range s.rp.serviceGrants("sid1", "verysecret") {
		s.results = append(s.results, fmt.Sprintf("%s %d %s", e.Handler, e.Status, cmp.Or(e.Error, "ok")))
	}
	return expectResults(s, "signed in", "client-credentials 200 ok", "token-exchange 200 ok")
}
