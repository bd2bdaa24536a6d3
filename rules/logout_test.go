package rules_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
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
