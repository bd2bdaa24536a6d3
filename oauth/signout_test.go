package oauth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// testHint is an unsigned test-only JWT: aud logout-app, exp 2026-12-06T14:00:00Z.
var testHint = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256"}`)) + "." +
	base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"logout-app","exp":1796565600}`)) + ".c2ln"

// TestSignOutEndpoints: the end-session and revocation endpoints of each
// provider layout, and the parameters that carry the way back.
func TestSignOutEndpoints(t *testing.T) {
	loc := func(v string) model.Headers { return model.Headers{{Name: "Location", Value: v}} }
	for _, c := range []struct {
		name, method, url, body string
		status                  int
		resp                    model.Headers
		kinds                   []string
		family                  model.Family
		back, param, client     string
	}{
		{"entra v2", "GET", "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye&id_token_hint=" + testHint + "&logout_hint=abc",
			"", 200, nil, []string{"logout"}, model.FamilyEntra, "https://app.example/bye", "post_logout_redirect_uri", ""},
		{"entra v1", "GET", "https://login.microsoftonline.com/common/oauth2/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F", "", 200, nil,
			[]string{"logout"}, model.FamilyEntra, "https://app.example/", "post_logout_redirect_uri", ""},
		{"adfs", "GET", "https://sts.contoso.com/adfs/oauth2/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F&id_token_hint=" + testHint, "", 302,
			loc("https://app.example/"), []string{"logout", "logout-return"}, model.FamilyADFS, "https://app.example/", "post_logout_redirect_uri", ""},
		{"okta", "GET", "https://dev-1.okta.com/oauth2/default/v1/logout?id_token_hint=" + testHint + "&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F&state=st1", "", 302,
			loc("https://app.example/?state=st1"), []string{"logout", "logout-return"}, model.FamilyOkta, "https://app.example/", "post_logout_redirect_uri", ""},
		{"auth0 v2", "GET", "https://tenant.eu.auth0.com/v2/logout?client_id=abc&returnTo=https%3A%2F%2Fapp.example%2F", "", 302,
			loc("https://app.example/"), []string{"logout", "logout-return"}, model.FamilyAuth0, "https://app.example/", "returnTo", "abc"},
		{"auth0 oidc", "GET", "https://tenant.eu.auth0.com/oidc/logout?id_token_hint=" + testHint + "&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F", "", 302,
			loc("https://app.example/"), []string{"logout", "logout-return"}, model.FamilyAuth0, "https://app.example/", "post_logout_redirect_uri", ""},
		{"keycloak", "GET", "https://sso.example/realms/demo/protocol/openid-connect/logout?client_id=web&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F", "", 200, nil,
			[]string{"logout"}, model.FamilyKeycloak, "https://app.example/", "post_logout_redirect_uri", "web"},
		{"cognito", "GET", "https://auth.example.auth.us-east-1.amazoncognito.com/logout?client_id=c1&logout_uri=https%3A%2F%2Fapp.example%2Fbye", "", 302,
			loc("https://app.example/bye"), []string{"logout", "logout-return"}, model.FamilyCognito, "https://app.example/bye", "logout_uri", "c1"},
		{"google revoke", "POST", "https://oauth2.googleapis.com/revoke", "token=ya29.test-only-access-token", 200, nil,
			[]string{"revocation"}, model.FamilyGoogle, "", "", ""},
		{"keycloak revoke", "POST", "https://sso.example/realms/demo/protocol/openid-connect/revoke", "token=rt-test-only&token_type_hint=refresh_token&client_id=web", 200, nil,
			[]string{"revocation"}, model.FamilyKeycloak, "", "", "web"},
		{"generic by parameters", "GET", "https://op.example/session/end?id_token_hint=" + testHint + "&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F", "", 200, nil,
			[]string{"logout"}, model.FamilyGeneric, "https://app.example/", "post_logout_redirect_uri", ""},
		{"generic revocation path", "POST", "https://op.example/token/revocation", "token=opaque-test-only-token", 200, nil,
			[]string{"revocation"}, model.FamilyGeneric, "", "", ""},
		// Not sign-outs: a silent sign-in carries id_token_hint too.
		{"authorize with id_token_hint", "GET", "https://op.example/authorize?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&prompt=none&id_token_hint=" + testHint, "", 200, nil,
			[]string{"authorize"}, model.FamilyGeneric, "", "", ""},
		{"revoke path without token", "POST", "https://op.example/oauth2/revoke", "x=1", 200, nil, nil, "", "", "", ""},
	} {
		x := NewExtractor()
		evs := x.Exchange(mkExchange(0, c.method, c.url, nil, c.body, c.status, c.resp, ""))
		if got := kinds(evs); !equalStrings(got, c.kinds) {
			t.Errorf("%s: kinds %v, want %v", c.name, got, c.kinds)
			continue
		}
		if len(evs) == 0 || !evs[0].Kind.IsSignOut() {
			continue
		}
		ev := evs[0]
		if ev.Provider().Family != c.family || ev.RedirectURI() != c.back || ev.SignOut().ReturnParam != c.param || ev.ClientID() != c.client {
			t.Errorf("%s: family %s back %q param %q client %q", c.name, ev.Provider().Family, ev.RedirectURI(), ev.SignOut().ReturnParam, ev.ClientID())
		}
		if strings.Contains(c.url, "id_token_hint=") {
			if !ev.IDToken().Equal(secret.New(testHint)) || ev.SignOut().HintAudience != "logout-app" || ev.SignOut().HintExpiry.Unix() != 1796565600 {
				t.Errorf("%s: hint %s aud %q exp %s", c.name, ev.IDToken(), ev.SignOut().HintAudience, ev.SignOut().HintExpiry)
			}
		}
		if ev.Kind == model.Revocation && ev.SignOut().Token.IsZero() {
			t.Errorf("%s: no revoked token", c.name)
		}
		if len(evs) == 2 && evs[1].RedirectURI() != c.back {
			t.Errorf("%s: returned to %q", c.name, evs[1].RedirectURI())
		}
		if strings.Contains(c.url, "state=st1") && !evs[1].State.Equal(secret.New("st1")) {
			t.Errorf("%s: return state %s", c.name, evs[1].State)
		}
	}
}

// TestSignOutAcrossExchanges: a logout confirmed on the provider's page
// ends with a later answer; the app's own sign-out route is read on the
// host of a redirect URI; a front-channel logout by iss and sid; a
// discovery document's end_session_endpoint is learnt.
func TestSignOutAcrossExchanges(t *testing.T) {
	x := NewExtractor()
	html := model.Headers{{Name: "Content-Type", Value: "text/html"}}
	doc := `{"issuer":"https://op.example","authorization_endpoint":"https://op.example/auth","token_endpoint":"https://op.example/token","end_session_endpoint":"https://op.example/bye-bye"}`
	var all []model.Event
	for i, ex := range []*model.Exchange{
		mkExchange(0, "GET", "https://op.example/.well-known/openid-configuration", nil, "", 200, model.Headers{{Name: "Content-Type", Value: "application/json"}}, doc),
		mkExchange(1, "GET", "https://op.example/auth?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=s1", nil, "", 302,
			model.Headers{{Name: "Location", Value: "https://app.example/cb?code=K1&state=s1"}}, ""),
		mkExchange(2, "GET", "https://app.example/auth/logout", nil, "", 302, model.Headers{{Name: "Location", Value: "https://op.example/bye-bye?client_id=c"}}, ""),
		mkExchange(3, "GET", "https://op.example/bye-bye?client_id=c", nil, "", 200, html, "<html><head><title>Log out?</title></head><body><form method=post></form></body></html>"),
		mkExchange(4, "POST", "https://op.example/bye-bye/confirm", nil, "xsrf=x&logout=yes", 303, model.Headers{{Name: "Location", Value: "/bye-bye/success"}}, ""),
		mkExchange(5, "GET", "https://app.example/fc?iss=https%3A%2F%2Fop.example&sid=abc", model.Headers{{Name: "Sec-Fetch-Dest", Value: "iframe"}}, "", 200, nil, ""),
		mkExchange(6, "GET", "https://cdn.example/logout", nil, "", 200, nil, ""), // no app host: nothing
	} {
		evs := x.Exchange(ex)
		if i == 6 && len(evs) != 0 {
			t.Errorf("a logout path on another host: %v", kinds(evs))
		}
		all = append(all, evs...)
	}
	want := []string{"discovery", "authorize", "code-issued", "app-logout", "logout", "logout-return", "frontchannel-logout"}
	if got := kinds(all); !equalStrings(got, want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	if got := all[3].SignOut().To; got != "https://op.example/bye-bye?client_id=c" {
		t.Errorf("app-logout to %q", got)
	}
	if so := all[4].SignOut(); !so.Page || so.PageTitle != "Log out?" || all[4].ClientID() != "c" {
		t.Errorf("logout page %+v", so)
	}
	if got := all[5].RedirectURI(); got != "https://op.example/bye-bye/success" {
		t.Errorf("logout-return to %q", got)
	}
	if so := all[6].SignOut(); so.SID != "abc" || so.Issuer != "https://op.example" || so.Dest != model.DestFrame {
		t.Errorf("front-channel %+v", so)
	}
}

// TestSignOutErrors: the providers' refusals of a logout request.
func TestSignOutErrors(t *testing.T) {
	html := model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}
	for _, c := range []struct {
		name, url, body, err, desc string
	}{
		{"oidc-provider", "https://op.example/session/end?post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fbye&id_token_hint=" + testHint,
			`<!DOCTYPE html><html><head><title>oops! something went wrong</title></head><body><div class="container"><h1>oops! something went wrong</h1><pre><strong>error</strong>: invalid_request</pre><pre><strong>error_description</strong>: post_logout_redirect_uri not registered</pre></div></body></html>`,
			"invalid_request", "post_logout_redirect_uri not registered"},
		{"keycloak", "https://sso.example/realms/demo/protocol/openid-connect/logout?post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F",
			`<html><head><title>Sign in to demo</title></head><body><div id="kc-content"><p id="instruction1" class="instruction">We are sorry...</p><div class="kc-error-message"><p class="instruction">Missing parameters: id_token_hint</p></div></div></body></html>`,
			"invalid_request", "Missing parameters: id_token_hint"},
		{"okta", "https://dev-1.okta.com/oauth2/default/v1/logout?id_token_hint=" + testHint + "&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F",
			`<html><body><div><h2>400 Bad Request</h2><p>Your request resulted in an error.</p><p>Identity Provider: Okta</p><p>Error Code: invalid_request</p><p>Description: The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings: https://dev-1-admin.okta.com/admin/app/oidc_client/instance/0oa1#tab-general</p></div></body></html>`,
			"invalid_request", "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings"},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", c.url, nil, "", 400, html, c.body))
		if len(evs) != 1 || evs[0].Kind != model.LogoutRequest || evs[0].Err == nil {
			t.Errorf("%s: events %v", c.name, kinds(evs))
			continue
		}
		if pe := evs[0].Err; pe.Error != c.err || !strings.HasPrefix(pe.Description, c.desc) {
			t.Errorf("%s: error %q %q", c.name, pe.Error, pe.Description)
		}
	}
}

// TestRevocationAnswer: a revocation keeps its answer's Content-Type and
// Access-Control-Allow-Origin (what a browser library refuses, and whether
// the page could read the answer), bounded; none without an answer.
func TestRevocationAnswer(t *testing.T) {
	for _, c := range []struct {
		name        string
		status      int
		resp        model.Headers
		ctype, acao string
	}{
		{"oidc-provider's empty answer", 200, model.Headers{{Name: "Content-Type", Value: "text/plain; charset=utf-8"}, {Name: "Access-Control-Allow-Origin", Value: "http://localhost:4943"}},
			"text/plain; charset=utf-8", "http://localhost:4943"},
		{"json without CORS", 200, model.Headers{{Name: "Content-Type", Value: " application/json "}}, "application/json", ""},
		{"no answer", 0, nil, "", ""},
		{"a hostile header", 200, model.Headers{{Name: "Content-Type", Value: strings.Repeat("x", 500)}}, strings.Repeat("x", 100), ""},
	} {
		x := NewExtractor()
		ex := mkExchange(0, "POST", "https://op.example/token/revocation", model.Headers{{Name: "Origin", Value: "http://localhost:4943"}},
			"token=opaque-test-only-token&token_type_hint=access_token&client_id=spa", c.status, c.resp, "")
		if c.status == 0 {
			ex.Response = nil
		}
		evs := x.Exchange(ex)
		if len(evs) != 1 || evs[0].Kind != model.Revocation {
			t.Fatalf("%s: kinds %v", c.name, kinds(evs))
		}
		if so := evs[0].SignOut(); so.ContentType != c.ctype || so.AllowOrigin != c.acao {
			t.Errorf("%s: content type %q, allow origin %q; want %q, %q", c.name, so.ContentType, so.AllowOrigin, c.ctype, c.acao)
		}
	}
}
