package rules_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// TestLogoutRecorded reads sign-outs of an Express app on openid-client 6
// against oidc-provider 9 over HTTPS, recorded with Chromium
// (testdata/logout/gen.sh): the browser's HARs and, for two stories, the
// loopback's capture with both sides' TLS keys embedded. Before, every one
// of them read clean: the sign-out steps were not read at all.
func TestLogoutRecorded(t *testing.T) {
	for _, f := range []string{"logout/logout-clean.har", "logout/logout-clean.pcapng"} {
		var got rules.Assessment
		var fs []rules.Finding
		if strings.HasSuffix(f, ".har") {
			got, fs = loadRecorded(t, f)
		} else {
			checkRecorded(t, f, nil)
			continue
		}
		if got.Verdict != rules.VerdictClean || len(fs) != 0 {
			t.Errorf("%s: verdict %s (%s), findings %+v", f, got.Verdict, got.Reason, fs)
		}
	}
	wantOne(t, "logout/logout-unregistered.har", rules.LogoutRedirectMismatch.ID,
		[]string{"refused the sign-out at entries[10]: post_logout_redirect_uri http://localhost:4962/bye is not registered for client logout-app",
			`(invalid_request: "post_logout_redirect_uri not registered")`},
		[]string{"Register http://localhost:4962/bye as a sign-out redirect URI", "post_logout_redirect_uris"})
	wantOne(t, "logout/logout-missing-hint.har", rules.LogoutIDTokenHint.ID,
		[]string{"signed the user out at entries[12] but sent the browser to https://127.0.0.1:4961/session/end/success",
			"neither id_token_hint nor client_id"},
		[]string{"send it as id_token_hint with the post_logout_redirect_uri", "buildEndSessionUrl"})
	wantOne(t, "logout/logout-local-only.har", rules.LogoutNotPropagated.ID,
		[]string{"the app's sign-out at entries[9] ended only its own session (it sent the browser to http://localhost:4962/",
			"the next sign-in at entries[12] got a code back at once, without a login page"},
		[]string{"end_session_endpoint", "prompt=login"})
	checkRecorded(t, "logout/logout-local-only.pcapng", []rpWant{{rule: rules.LogoutNotPropagated.ID, severity: rules.Warning,
		message: []string{"the app's sign-out at frame 87 ended only its own session", "the next sign-in at frame 98"},
		remedy:  []string{"client.buildEndSessionUrl"}}})
	_, fs := loadRecorded(t, "logout/logout-missing-hint.har")
	if len(fs) == 1 && (fs[0].Mechanism != rules.MechReturnDrop || fs[0].Severity != rules.Warning) {
		t.Errorf("missing-hint: mechanism %s severity %s, want uri-dropped warning", fs[0].Mechanism, fs[0].Severity)
	}
}

// signOutTrace builds a trace of model events for what the recordings
// cannot show: other providers' words, and the state and front-channel
// cases oidc-provider 9 does not produce (it has no front-channel logout).
type signOutTrace struct {
	evs []model.Event
	t0  time.Time
}

func (s *signOutTrace) add(kind model.EventKind, set func(ev *model.Event)) {
	n := len(s.evs)
	ev := model.Event{Kind: kind, Exchange: n, Ref: "entries[" + string(rune('0'+n)) + "]", Time: s.t0.Add(time.Duration(n) * time.Second)}
	set(&ev)
	s.evs = append(s.evs, ev)
}

func runSignOut(evs []model.Event, r *rules.Rule) []rules.Finding {
	a := rules.Analyze(rules.Input{Events: evs}, rules.Options{})
	return rules.Run(a, []*rules.Rule{r})
}

// hintJWT is an unsigned JWT with aud and exp: a test-only hint.
func hintJWT(aud string, exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + enc([]byte(`{"aud":"`+aud+`","exp":`+strconv.FormatInt(exp.Unix(), 10)+`}`)) + ".c2lnbmF0dXJl"
}

func TestLogoutProviderWords(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	kc := &model.Provider{Family: model.FamilyKeycloak, Host: "sso.example", Tenant: "demo"}
	okta := &model.Provider{Family: model.FamilyOkta, Host: "dev-1.okta.com", Variant: "default"}
	auth0 := &model.Provider{Family: model.FamilyAuth0, Host: "tenant.eu.auth0.com"}
	logout := func(p *model.Provider, client, uri, hint string, pe *model.ProviderError) []model.Event {
		s := &signOutTrace{t0: t0}
		s.add(model.LogoutRequest, func(ev *model.Event) {
			ev.Prov = p
			ev.Status = 400
			ev.SetClientID(client)
			ev.SetRedirectURI(uri)
			ev.Err = pe
			so := &model.SignOutParams{ReturnParam: "post_logout_redirect_uri"}
			if hint != "" {
				ev.SetIDToken(secret.New(hint))
				if c, ok := secret.New(hint).Claims(); ok {
					so.HintExpiry, so.HintAudience = c.Expiry, c.Aud[0]
				}
			}
			ev.SetSignOut(so)
		})
		return s.evs
	}
	for _, c := range []struct {
		name, rule, mech string
		evs              []model.Event
		message, remedy  string
	}{
		{"keycloak invalid redirect uri", rules.LogoutRedirectMismatch.ID, "not-registered",
			logout(kc, "web", "https://app.example/bye", hintJWT("web", t0.Add(time.Hour)), &model.ProviderError{Error: "invalid_request", Description: "Invalid redirect uri"}),
			"is not registered for client web", "Valid post logout redirect URIs"},
		{"okta", rules.LogoutRedirectMismatch.ID, "not-registered",
			logout(okta, "0oa1", "https://app.example/", hintJWT("0oa1", t0.Add(time.Hour)), &model.ProviderError{Error: "invalid_request",
				Description: "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings: https://dev-1-admin.okta.com/admin/app/oidc_client/instance/0oa1#tab-general"}),
			"post_logout_redirect_uri https://app.example/ is not registered", "Sign-out redirect URIs"},
		{"auth0", rules.LogoutRedirectMismatch.ID, "not-registered",
			logout(auth0, "abc", "https://app.example/", "", &model.ProviderError{Error: "invalid_request",
				Description: `The "returnTo" querystring parameter "https://app.example/" is not defined as a valid URL in "Allowed Logout URLs".`}),
			"refused the sign-out", "Allowed Logout URLs"},
		{"keycloak missing hint", rules.LogoutIDTokenHint.ID, "missing",
			logout(kc, "", "https://app.example/bye", "", &model.ProviderError{Error: "invalid_request", Description: "Missing parameters: id_token_hint"}),
			"for lack of an id_token_hint", "Keycloak 18 and later require id_token_hint"},
		{"expired hint", rules.LogoutIDTokenHint.ID, "expired",
			logout(kc, "web", "https://app.example/bye", hintJWT("web", t0.Add(-2*time.Hour)), &model.ProviderError{Error: "invalid_request", Description: "could not validate id_token_hint"}),
			"the hint expired at 2026-12-06T08:00:00Z, 2h0m0s before the request", "renew it"},
		{"hint of another client", rules.LogoutIDTokenHint.ID, "invalid",
			logout(kc, "web", "https://app.example/bye", hintJWT("other", t0.Add(time.Hour)), &model.ProviderError{Error: "invalid_request", Description: "Invalid parameter: id_token_hint"}),
			"the hint was issued to client other, the request names client web", "not the access token"},
	} {
		r := rules.ByID(c.rule)
		fs := runSignOut(c.evs, r)
		if len(fs) != 1 {
			t.Errorf("%s: %d findings, want 1: %+v", c.name, len(fs), fs)
			continue
		}
		f := fs[0]
		if string(f.Mechanism) != c.mech || !strings.Contains(f.Message, c.message) || !strings.Contains(f.Remediation, c.remedy) {
			t.Errorf("%s: mechanism %s, message %s, remediation %s", c.name, f.Mechanism, f.Message, f.Remediation)
		}
		// The other sign-out rules stay quiet on it.
		for _, o := range []*rules.Rule{rules.LogoutRedirectMismatch, rules.LogoutIDTokenHint} {
			if o != r && len(runSignOut(c.evs, o)) != 0 {
				t.Errorf("%s: %s fired too", c.name, o.ID)
			}
		}
	}
	// A refusal of something else is none of theirs.
	other := logout(kc, "web", "https://app.example/bye", hintJWT("web", t0.Add(time.Hour)), &model.ProviderError{Error: "server_error", Description: "Unexpected error"})
	for _, r := range []*rules.Rule{rules.LogoutRedirectMismatch, rules.LogoutIDTokenHint} {
		if fs := runSignOut(other, r); len(fs) != 0 {
			t.Errorf("server_error: %s reported %+v", r.ID, fs)
		}
	}
}

func TestLogoutStateAndFrontChannel(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	prov := &model.Provider{Family: model.FamilyGeneric, Host: "op.example"}
	trace := func(backState string) []model.Event {
		s := &signOutTrace{t0: t0}
		s.add(model.LogoutRequest, func(ev *model.Event) {
			ev.Prov, ev.Status, ev.State = prov, 200, secret.New("state-of-the-first-sign-out-0001")
			ev.SetRedirectURI("https://app.example/signed-out")
		})
		s.add(model.LogoutReturn, func(ev *model.Event) {
			ev.Prov, ev.Status = prov, 303
			if backState != "" {
				ev.State = secret.New(backState)
			}
			ev.SetRedirectURI("https://app.example/signed-out")
		})
		return s.evs
	}
	if fs := runSignOut(trace("state-of-the-first-sign-out-0001"), rules.LogoutStateMismatch); len(fs) != 0 {
		t.Errorf("same state: %+v", fs)
	}
	fs := runSignOut(trace("state-of-another-sign-out-00002"), rules.LogoutStateMismatch)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, "with state "+secret.New("state-of-another-sign-out-00002").String()) ||
		strings.Contains(fs[0].Message, "state-of-another") {
		t.Errorf("other state: %+v", fs)
	}
	if fs := runSignOut(trace(""), rules.LogoutStateMismatch); len(fs) != 1 || !strings.Contains(fs[0].Message, "with no state") {
		t.Errorf("no state: %+v", fs)
	}

	fc := func(status int, failure string, cookies []string) []model.Event {
		s := &signOutTrace{t0: t0}
		s.add(model.FrontChannelLogout, func(ev *model.Event) {
			ev.Prov = &model.Provider{Family: model.FamilyApp, Host: "app.example"}
			ev.Status = status
			ev.SetEndpoint("https://app.example/signout-oidc")
			ev.SetFailure(failure)
			ev.Context = model.NewContext(model.RequestContext{CookieNames: cookies})
			ev.SetSignOut(&model.SignOutParams{Issuer: "https://op.example", SID: "s1", Dest: model.DestFrame})
		})
		return s.evs
	}
	for _, c := range []struct {
		name    string
		evs     []model.Event
		want    int
		message string
	}{
		{"cookies sent, 200", fc(200, "", []string{".AspNetCore.Cookies"}), 0, ""},
		{"no cookies", fc(200, "", nil), 1, "without any cookie"},
		{"blocked", fc(0, "net::ERR_BLOCKED_BY_RESPONSE", []string{"s"}), 1, "failed (net::ERR_BLOCKED_BY_RESPONSE)"},
	} {
		fs := runSignOut(c.evs, rules.FrontChannelLogoutBlocked)
		if len(fs) != c.want || (c.want == 1 && !strings.Contains(fs[0].Message, c.message)) {
			t.Errorf("%s: %+v", c.name, fs)
		}
	}
}

// TestLogoutNotPropagatedNearMisses: the sign-in after an app's sign-out
// that asks again (a login page, prompt=login), a silent renewal, and an
// app that did send the browser to the provider (whose request the trace
// lacks) are no local-only sign-out.
func TestLogoutNotPropagatedNearMisses(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	op := &model.Provider{Family: model.FamilyGeneric, Host: "op.example"}
	trace := func(to, prompt string, silent bool) []model.Event {
		s := &signOutTrace{t0: t0}
		s.add(model.AppLogout, func(ev *model.Event) {
			ev.Prov, ev.Status = &model.Provider{Family: model.FamilyApp, Host: "app.example"}, 302
			ev.SetEndpoint("https://app.example/logout")
			ev.SetSignOut(&model.SignOutParams{To: to})
		})
		s.add(model.AuthorizeRequest, func(ev *model.Event) {
			ev.Prov, ev.Status = op, 302
			ev.SetEndpoint("https://op.example/authorize")
			ev.SetClientID("c")
			ev.Authz = &model.AuthorizeParams{Prompt: prompt}
		})
		ex := len(s.evs) - 1
		s.add(model.CodeIssued, func(ev *model.Event) {
			ev.Prov, ev.Code = op, secret.New("code-of-the-second-sign-in-0001")
			if silent {
				ev.Exchange, ev.Ref = ex, s.evs[ex].Ref
			}
		})
		return s.evs
	}
	if fs := runSignOut(trace("https://app.example/", "", true), rules.LogoutNotPropagated); len(fs) != 1 {
		t.Errorf("local-only: %+v", fs)
	}
	for name, evs := range map[string][]model.Event{
		"login page":       trace("https://app.example/", "", false),
		"prompt=login":     trace("https://app.example/", "login", true),
		"silent renewal":   trace("https://app.example/", "none", true),
		"sent to provider": trace("https://op.example/logout?client_id=c", "", true),
	} {
		if fs := runSignOut(evs, rules.LogoutNotPropagated); len(fs) != 0 {
			t.Errorf("%s: %+v", name, fs)
		}
	}
}

// signOutSteps reads a recording's sign-out steps and the ID token its
// sign-in was issued.
func signOutSteps(t *testing.T, name string) (steps []model.Event, issued secret.Secret) {
	t.Helper()
	exs, _ := loadRecording(t, name)
	for _, ev := range oauth.ExtractAll(exs) {
		switch {
		case ev.Kind.IsSignOut():
			steps = append(steps, ev)
		case ev.Kind == model.TokenResponse && !ev.IDToken().IsZero():
			issued = ev.IDToken()
		}
	}
	return steps, issued
}

// TestSignOutSPARecorded reads oidc-client-ts 3.5.0's signoutRedirect in a
// real Chromium against oidc-provider 9 (spa-libs/gen.sh, stories signout
// and signout-revoke), where the sign-out steps were tested only on
// hand-built inputs: the logout request from the browser with the ID token
// of the sign-in as id_token_hint and the registered
// post_logout_redirect_uri, oidc-provider's confirmation page, the way back
// to the app, no finding; with revokeTokensOnSignout the page's token
// revocation (RFC 7009: POST from the page, Origin, token_type_hint
// access_token) answered 200, after which oidc-client-ts rejected the
// answer's Content-Type and no logout request followed.
func TestSignOutSPARecorded(t *testing.T) {
	for _, name := range []string{"oidcts-signout.har", "oidcts-signout.pcapng"} {
		checkOneFinding(t, name, "", "", "")
		steps, issued := signOutSteps(t, name)
		var kinds []string
		for _, ev := range steps {
			kinds = append(kinds, ev.Kind.String())
		}
		if strings.Join(kinds, " ") != "logout logout-return" {
			t.Fatalf("%s: sign-out steps %v, want the logout request and the way back", name, kinds)
		}
		lo, back := steps[0], steps[1]
		// The capture holds the token response's body; the HAR does not
		// (Chromium kept no body of that cross-origin fetch).
		if lo.IDToken().IsZero() || lo.SignOut().HintAudience != "oidc-spa" || (strings.HasSuffix(name, ".pcapng") && !lo.IDToken().Equal(issued)) {
			t.Errorf("%s: the logout request's id_token_hint (audience %q) is not the sign-in's ID token", name, lo.SignOut().HintAudience)
		}
		if lo.RedirectURI() != "http://localhost:4943/signed-out.html" || lo.SignOut().ReturnParam != "post_logout_redirect_uri" ||
			!lo.SignOut().Page || lo.SignOut().PageTitle != "Logout Request" || lo.Status != 200 || !lo.State.IsZero() {
			t.Errorf("%s: logout request %s: redirect %q (%s), page %v %q, status %d, state %v (oidc-client-ts 3.5.0 sends none)",
				name, lo.Ref, lo.RedirectURI(), lo.SignOut().ReturnParam, lo.SignOut().Page, lo.SignOut().PageTitle, lo.Status, lo.State)
		}
		if back.RedirectURI() != "http://localhost:4943/signed-out.html" || back.Status != 303 {
			t.Errorf("%s: way back %s to %q, status %d", name, back.Ref, back.RedirectURI(), back.Status)
		}
	}
	for _, name := range []string{"oidcts-signout-revoke.har", "oidcts-signout-revoke.pcapng"} {
		ref := "entries[16]"
		if strings.HasSuffix(name, ".pcapng") {
			ref = "frame "
		}
		as := checkOneFinding(t, name, rules.LogoutStoppedAtRevocation.ID,
			"answered the revocation HTTP 200 with Content-Type \"text/plain; charset=utf-8\", not application/json, and oidc-client-ts refuses",
			`revokeTokenAdditionalContentTypes: ["text/plain"]`)
		if as.Verdict != rules.VerdictFindings {
			t.Errorf("%s: verdict %s (%s)", name, as.Verdict, as.Reason)
		}
		fs := recordedFindings(t, name)
		if len(fs) == 1 {
			f := fs[0]
			if f.Severity != rules.Error || f.Mechanism != rules.MechRevokeContentType || f.Confidence != rules.ConfidenceHigh ||
				!strings.Contains(f.Message, "the page at http://localhost:4943 revoked the access token sha256:") ||
				!strings.Contains(f.Message, "no logout request to the authorization server 127.0.0.1's end-session endpoint follows") ||
				!strings.Contains(f.Message, "signoutRedirect awaits the revocation and rejects when it fails") {
				t.Errorf("%s: %s %s %s: %s", name, f.Severity, f.Mechanism, f.Confidence, f.Message)
			}
			if len(f.Evidence) != 2 || !strings.HasPrefix(f.Evidence[0].Ref, ref) || f.Evidence[0].Param != "Content-Type: text/plain; charset=utf-8" ||
				f.Evidence[0].Status != 200 || f.Evidence[1].Note != "the page's sign-in, sent by oidc-client-ts" || f.Evidence[1].Method != "POST" {
				t.Errorf("%s: evidence %+v", name, f.Evidence)
			}
		}
		steps, _ := signOutSteps(t, name)
		if len(steps) != 1 || steps[0].Kind != model.Revocation {
			t.Fatalf("%s: sign-out steps %+v, want the revocation alone", name, steps)
		}
		rv := steps[0]
		if so := rv.SignOut(); so.ContentType != "text/plain; charset=utf-8" || so.AllowOrigin != "http://localhost:4943" {
			t.Errorf("%s: revocation answered Content-Type %q, Access-Control-Allow-Origin %q", name, so.ContentType, so.AllowOrigin)
		}
		if rv.Method() != "POST" || rv.Origin() != "http://localhost:4943" || rv.SignOut().TokenTypeHint != "access_token" ||
			rv.SignOut().Token.IsZero() || rv.Status != 200 || rv.Endpoint() != "https://127.0.0.1:4941/token/revocation" {
			t.Errorf("%s: revocation %s %s %s from %q, hint %q, token zero %v, status %d", name, rv.Ref, rv.Method(), rv.Endpoint(),
				rv.Origin(), rv.SignOut().TokenTypeHint, rv.SignOut().Token.IsZero(), rv.Status)
		}
	}
}

// recordedFindings runs every rule over a recording.
func recordedFindings(t *testing.T, name string) []rules.Finding {
	t.Helper()
	exs, notes := loadRecording(t, name)
	a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
	fs := rules.Run(a, rules.All())
	rules.Remediate(a, fs)
	return fs
}

// TestLogoutStoppedAtRevocationEdges changes the recorded sign-out with
// revokeTokensOnSignout (oidcts-signout-revoke.har) by hand for what the
// recordings do not hold: the end-session request after the revocation, a
// revocation from a server, answers oidc-client-ts takes or cannot read, a
// trace that ends or goes on after the answer, a refresh token revoked at
// the app's start.
func TestLogoutStoppedAtRevocationEdges(t *testing.T) {
	const rev = 16 // the revocation's entry
	base := func(t *testing.T) []*model.Exchange {
		exs, _ := loadRecording(t, "oidcts-signout-revoke.har")
		if len(exs) != rev+1 || !strings.HasSuffix(exs[rev].Request.URL, "/token/revocation") {
			t.Fatalf("the recording changed: %d exchanges", len(exs))
		}
		return exs
	}
	setHeader := func(h model.Headers, name, value string) model.Headers {
		var out model.Headers
		for _, f := range h {
			if !strings.EqualFold(f.Name, name) {
				out = append(out, f)
			}
		}
		if value != "" {
			out = append(out, model.Header{Name: name, Value: value})
		}
		return out
	}
	// later appends a GET of the app or provider some time after the last
	// exchange's end, answered with status.
	later := func(exs []*model.Exchange, after time.Duration, url string, status int, h model.Headers) []*model.Exchange {
		last := exs[len(exs)-1]
		start := last.End.Add(after)
		ex := &model.Exchange{Index: len(exs), Ref: "entries[" + strconv.Itoa(len(exs)) + "]", Start: start, End: start.Add(50 * time.Millisecond),
			Request:  model.Request{Method: "GET", URL: url, Headers: model.Headers{{Name: "Sec-Fetch-Dest", Value: "document"}}},
			Response: &model.Response{Status: status, Headers: h}}
		return append(exs, ex)
	}
	run := func(exs []*model.Exchange) []rules.Finding {
		a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs)}, rules.Options{})
		return rules.Run(a, []*rules.Rule{rules.LogoutStoppedAtRevocation})
	}
	jsonAnswer := func(exs []*model.Exchange) {
		exs[rev].Response.Headers = setHeader(exs[rev].Response.Headers, "Content-Type", "application/json; charset=utf-8")
	}
	endSession := "https://127.0.0.1:4941/session/end?id_token_hint=" + hintJWT("oidc-spa", time.Date(2026, 12, 6, 18, 0, 0, 0, time.UTC)) +
		"&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A4943%2Fsigned-out.html"
	for _, c := range []struct {
		name   string
		change func(t *testing.T) []*model.Exchange
		mech   rules.Mechanism // "" for no finding
		sev    rules.Severity
		says   string
	}{
		{"as recorded", base, rules.MechRevokeContentType, rules.Error, "Content-Type \"text/plain; charset=utf-8\""},
		{"end-session after the refused revocation", func(t *testing.T) []*model.Exchange {
			return later(base(t), 20*time.Millisecond, endSession, 200, model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}})
		}, "", 0, ""},
		{"from a server: no Origin", func(t *testing.T) []*model.Exchange {
			exs := base(t)
			h := exs[rev].Request.Headers
			for _, n := range []string{"Origin", "Referer", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-Dest"} {
				h = setHeader(h, n, "")
			}
			exs[rev].Request.Headers = h
			return later(exs, 5*time.Second, "http://localhost:4943/", 200, nil)
		}, "", 0, ""},
		{"JSON answer, the trace ends at it", func(t *testing.T) []*model.Exchange {
			exs := base(t)
			jsonAnswer(exs)
			return exs
		}, "", 0, ""},
		{"JSON answer, the trace goes on only 300 ms", func(t *testing.T) []*model.Exchange {
			exs := base(t)
			jsonAnswer(exs)
			return later(exs, 300*time.Millisecond, "http://localhost:4943/favicon.ico", 404, nil)
		}, "", 0, ""},
		{"JSON answer, the app revokes and stops", func(t *testing.T) []*model.Exchange {
			exs := base(t)
			jsonAnswer(exs)
			return later(exs, 5*time.Second, "http://localhost:4943/", 200, nil)
		}, rules.MechRevokeOnly, rules.Warning, "though the trace goes on to entries[17], 5s after the answer; the authorization server 127.0.0.1 accepted the revocation (HTTP 200); the app revoked the token and went no further"},
		{"no Access-Control-Allow-Origin", func(t *testing.T) []*model.Exchange {
			exs := base(t)
			jsonAnswer(exs)
			exs[rev].Response.Headers = setHeader(exs[rev].Response.Headers, "Access-Control-Allow-Origin", "")
			return exs
		}, rules.MechRevokeCORS, rules.Error, "answered the revocation HTTP 200 without an Access-Control-Allow-Origin header"},
		{"refused", func(t *testing.T) []*model.Exchange {
			exs := base(t)
			exs[rev].Response.Status = 400
			exs[rev].Response.Headers = setHeader(exs[rev].Response.Headers, "Content-Type", "application/json")
			exs[rev].Response.Body = model.Body{Size: 62, Data: []byte(`{"error":"invalid_client","error_description":"client is invalid"}`)}
			return exs
		}, rules.MechRevokeError, rules.Error, `refused the revocation with HTTP 400 (invalid_client: "client is invalid")`},
		{"refresh token revoked at the app's start, then a sign-in", func(t *testing.T) []*model.Exchange {
			exs := base(t)
			rv := exs[rev]
			rv.Request.Body.Data = []byte(strings.Replace(string(rv.Request.Body.Data), "token_type_hint=access_token", "token_type_hint=refresh_token", 1))
			jsonAnswer(exs)
			// The page's start, the revocation, then the sign-in.
			out := append([]*model.Exchange{exs[0], exs[1], rv}, exs[2:rev]...)
			shift := rv.End.Sub(exs[2].Start) + time.Second
			for i, ex := range out {
				ex.Index, ex.Ref = i, "entries["+strconv.Itoa(i)+"]"
				if i > 2 {
					ex.Start, ex.End = ex.Start.Add(shift), ex.End.Add(shift)
				}
			}
			return out
		}, "", 0, ""},
		{"refresh token revoked at the app's start, nothing after", func(t *testing.T) []*model.Exchange {
			exs := base(t)
			rv := exs[rev]
			rv.Request.Body.Data = []byte(strings.Replace(string(rv.Request.Body.Data), "token_type_hint=access_token", "token_type_hint=refresh_token", 1))
			jsonAnswer(exs)
			out := []*model.Exchange{exs[0], exs[1], rv}
			for i, ex := range out {
				ex.Index, ex.Ref = i, "entries["+strconv.Itoa(i)+"]"
			}
			return later(out, 5*time.Second, "http://localhost:4943/", 200, nil)
		}, "", 0, ""},
	} {
		fs := run(c.change(t))
		switch {
		case c.mech == "" && len(fs) != 0:
			t.Errorf("%s: unexpected %s", c.name, fs[0].Message)
		case c.mech != "" && (len(fs) != 1 || fs[0].Mechanism != c.mech || fs[0].Severity != c.sev || !strings.Contains(fs[0].Message, c.says)):
			for _, f := range fs {
				t.Logf("%s: %s %s: %s", c.name, f.Mechanism, f.Severity, f.Message)
			}
			t.Errorf("%s: want one %s %s saying %q", c.name, c.mech, c.sev, c.says)
		}
	}
}

// TestSignOutVerdict: a clean verdict on a trace with a sign-out says how
// far it went, not only that the sign-in completed; a trace of the
// sign-out alone is clean when the provider sent the browser on, and
// inconclusive, naming the step it reached, when it ends before that
// (oidcts-signout.har, cut by hand for the last two).
func TestSignOutVerdict(t *testing.T) {
	assess := func(exs []*model.Exchange) rules.Assessment {
		a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs)}, rules.Options{})
		fs := rules.Run(a, rules.All())
		if len(fs) != 0 {
			t.Errorf("unexpected %s: %s", fs[0].RuleID, fs[0].Message)
		}
		return rules.Assess(a, fs)
	}
	cut := func(from, to int) []*model.Exchange {
		exs, _ := loadRecording(t, "oidcts-signout.har")
		if len(exs) != 21 || !strings.Contains(exs[16].Request.URL, "/session/end?") {
			t.Fatalf("the recording changed: %d exchanges", len(exs))
		}
		out := exs[from:to]
		for i, ex := range out {
			ex.Index, ex.Ref = i, "entries["+strconv.Itoa(i)+"]"
		}
		return out
	}
	for _, c := range []struct {
		name    string
		exs     []*model.Exchange
		verdict rules.Verdict
		reason  string
	}{
		{"as recorded", cut(0, 21), rules.VerdictClean,
			"1 sign-in completed, tokens issued 5.0 s after authorize; 1 sign-out completed: the authorization server 127.0.0.1 signed the user out and sent the browser back to http://localhost:4943/signed-out.html at entries[18]"},
		{"the sign-out alone", cut(13, 21), rules.VerdictClean,
			"no sign-in in the trace; 1 sign-out completed: the authorization server 127.0.0.1 signed the user out and sent the browser back to http://localhost:4943/signed-out.html at entries[5]"},
		{"the sign-out alone, cut at the provider's page", cut(13, 18), rules.VerdictInconclusive,
			`; the sign-out reached the authorization server 127.0.0.1's end-session endpoint at entries[3], which answered with its page "Logout Request"; the trace ends before the way back to the app`},
		{"the sign-in alone", cut(0, 13), rules.VerdictClean, "1 sign-in completed, tokens issued 5.0 s after authorize"},
	} {
		got := assess(c.exs)
		if got.Verdict != c.verdict || !strings.Contains(got.Reason, c.reason) || c.name == "the sign-in alone" && strings.Contains(got.Reason, "sign-out") {
			t.Errorf("%s: %s (%s), want %s with %q", c.name, got.Verdict, got.Reason, c.verdict, c.reason)
		}
	}
}
