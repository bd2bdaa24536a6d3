package compare

import (
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

func TestByteDiff(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"https://app/cb", "https://app/cb/", `first differs at byte 14: (end) vs "/"; the second has "/" more`},
		{"https://app/cb", "http://app/cb", `first differs at byte 4: "s://app/" vs "://app/c"`},
		{"same", "same", ""},
	} {
		if got := ByteDiff(c.a, c.b); got != c.want {
			t.Errorf("ByteDiff(%q, %q) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}

func TestCookieNameHidesPerSignInValues(t *testing.T) {
	known := strings.NewReplacer("em1E66fy_Hs1OeW9C-dNAg", "*")
	for _, c := range []struct{ in, want string }{
		{"rp_tx_em1E66fy_Hs1OeW9C-dNAg", "rp_tx_*"},
		{".AspNetCore.Correlation.Fq3kJ9x0aLQ2mZ7rTt1u", ".AspNetCore.Correlation.*"},
		{"rp_session", "rp_session"},
		{"JSESSIONID", "JSESSIONID"},
		// oauth2-proxy's cookies (o2p-*.pcap in rules/testdata): "oauth2"
		// holds a digit and is no per-sign-in value.
		{"_oauth2_proxy_csrf", "_oauth2_proxy_csrf"},
		{"_oauth2_proxy_0", "_oauth2_proxy_0"},
		{"_oauth2_proxy_7f3kQ9x0aLQ2mZ7r_csrf", "_oauth2_proxy_*"},
	} {
		if got := cookieName(c.in, known); got != c.want {
			t.Errorf("cookieName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// signInEvents is one sign-in of a confidential client; reuse redeems
// its code a second time.
func signInEvents(port string, reuse bool, verifier string) []model.Event {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	redirect := "https://app.test:" + port + "/callback"
	code := secret.New("code-" + port)
	ch := secret.New(secret.New("verifier-one-1234567890").S256())
	ev := []model.Event{
		{Kind: model.AuthorizeRequest, Exchange: 0, Ref: "entries[0]", Time: t0, Target: &model.Target{Endpoint: "https://id.test/auth", Method: "GET", RedirectURI: redirect}, Status: 302, State: secret.New("state-" + port), Authz: &model.AuthorizeParams{Scope: "openid", CodeChallenge: ch, CodeChallengeMethod: "S256"}},
		{Kind: model.CodeIssued, Exchange: 1, Ref: "entries[1]", Time: t0.Add(time.Second), Target: &model.Target{Endpoint: "https://id.test/auth"}, Status: 302,
			Code: code, State: secret.New("state-" + port)},
		{Kind: model.Callback, Exchange: 2, Ref: "entries[2]", Time: t0.Add(1100 * time.Millisecond), Target: &model.Target{Endpoint: redirect, Method: "GET"}, Status: 302,
			Code: code, State: secret.New("state-" + port)},
		{Kind: model.TokenRequest, Exchange: 3, Ref: "entries[3]", Time: t0.Add(1200 * time.Millisecond), Target: &model.Target{Endpoint: "https://id.test/token", Method: "POST", RedirectURI: redirect},
			Status: 200, Code: code, Token: &model.TokenParams{GrantType: "authorization_code", CodeVerifier: secret.New(verifier)}},
		{Kind: model.TokenResponse, Exchange: 3, Ref: "entries[3]", Time: t0.Add(1300 * time.Millisecond), Target: &model.Target{Endpoint: "https://id.test/token"}, Status: 200,
			Rare: &model.EventRare{AccessToken: secret.New("at")}},
	}
	if reuse {
		ev = append(ev,
			model.Event{Kind: model.TokenRequest, Exchange: 4, Ref: "entries[4]", Time: t0.Add(3 * time.Second), Target: &model.Target{Endpoint: "https://id.test/token", Method: "POST", RedirectURI: redirect}, Status: 400, Code: code, Token: &model.TokenParams{GrantType: "authorization_code", CodeVerifier: secret.New(verifier)}},
			model.Event{Kind: model.TokenResponse, Exchange: 4, Ref: "entries[4]", Time: t0.Add(3100 * time.Millisecond), Target: &model.Target{Endpoint: "https://id.test/token"},
				Status: 400, Err: &model.ProviderError{Error: "invalid_grant"}})
	}
	return ev
}

func TestCompareNamesTheExplainingDifference(t *testing.T) {
	good := Trace{File: "good.har", Events: signInEvents("1", false, "verifier-one-1234567890")}
	// A trace against itself, and against another run that differs by port
	// only, matches.
	if r := Compare(good, good); r.Differs() || r.First != nil {
		t.Errorf("a trace against itself differs: %+v", r.First)
	}
	if r := Compare(good, Trace{Events: signInEvents("2", false, "verifier-one-1234567890")}); r.Differs() {
		t.Errorf("a port-only difference counts: %+v", r.First)
	}
	reuse := Compare(good, Trace{Events: signInEvents("1", true, "verifier-one-1234567890")})
	if f := reuse.First; f == nil || f.Step != StepTokenRequest || f.N != 2 || f.Class != ExtraRedemption {
		t.Errorf("reuse: first difference %+v, want the second token-request", f)
	}
	pkce := Compare(good, Trace{Events: signInEvents("1", false, "another-verifier-0987654321")})
	if f := pkce.First; f == nil || f.Field != "code_verifier" || f.Class != Explains {
		t.Errorf("pkce: first difference %+v, want the code_verifier", f)
	}
	// No value of a secret reaches the result.
	for _, st := range pkce.Steps {
		for _, d := range st.Differences {
			for _, s := range []string{d.Good, d.Bad, d.Note} {
				if strings.Contains(s, "verifier-one") || strings.Contains(s, "another-verifier") || strings.Contains(s, "code-1") {
					t.Errorf("a raw secret in %+v", d)
				}
			}
		}
	}
}

// TestCompareEndpoints: another tenant, cloud or endpoint version is named
// by field; a port alone is cosmetic.
func TestCompareEndpoints(t *testing.T) {
	good := signInEvents("1", false, "verifier-one-1234567890")
	bad := signInEvents("1", false, "verifier-one-1234567890")
	for i := range good {
		good[i].Prov = &model.Provider{Family: model.FamilyEntra, Variant: "v2", Cloud: "global", Tenant: "contoso.onmicrosoft.com"}
		bad[i].Prov = &model.Provider{Family: model.FamilyEntra, Variant: "v1", Cloud: "usgov", Tenant: "common"}
	}
	bad[0].SetEndpoint("https://id.test:8443/auth")
	bad[0].SetResponseMode("form_post")
	az := *bad[0].Authz
	az.Prompt = "login"
	bad[0].Authz = &az
	r := Compare(Trace{Events: good}, Trace{Events: bad})
	got := map[string]Class{}
	for _, d := range r.Steps[0].Differences {
		got[d.Field] = d.Class
	}
	for _, f := range []string{"variant", "cloud", "tenant", "response_mode", "prompt"} {
		if got[f] != Parameter {
			t.Errorf("authorize: %s not reported as a parameter difference (%v)", f, got)
		}
	}
	if got["port"] != Cosmetic {
		t.Errorf("a port alone is %v, want cosmetic", got["port"])
	}
}

// signOutEvents is a sign-in (its token response issuing idToken) and a
// sign-out after it: the app's /logout, the logout request with that hint
// (expiring at exp) and the front-channel logout its page loads, with the
// app's cookie or without.
func signOutEvents(idToken string, exp time.Time, refused, frameCookie bool) []model.Event {
	ev := signInEvents("1", false, "verifier-one-1234567890")
	t0 := ev[len(ev)-1].Time
	for i := range ev {
		if ev[i].Kind == model.TokenResponse {
			ev[i].SetIDToken(secret.New(idToken))
		}
	}
	lo := model.Event{Kind: model.LogoutRequest, Exchange: 11, Ref: "entries[11]", Time: t0.Add(2 * time.Second),
		Target: &model.Target{Endpoint: "https://id.test/logout", Method: "GET", RedirectURI: "https://app.test/signed-out"}, Status: 302}
	lo.SetIDToken(secret.New(idToken))
	lo.SetSignOut(&model.SignOutParams{HintExpiry: exp, ReturnParam: "post_logout_redirect_uri"})
	if refused {
		lo.Status = 400
		lo.Err = &model.ProviderError{Error: "invalid_request", Description: "Invalid parameter: id_token_hint"}
	}
	fc := model.Event{Kind: model.FrontChannelLogout, Exchange: 12, Ref: "entries[12]", Time: t0.Add(3 * time.Second),
		Target: &model.Target{Endpoint: "https://app.test/fc-logout", Method: "GET"}, Status: 200}
	fc.SetSignOut(&model.SignOutParams{Dest: model.DestFrame, Issuer: "https://id.test", SID: "s1"})
	if frameCookie {
		fc.Context = model.NewContext(model.RequestContext{CookieNames: []string{"app_session"}})
	}
	return append(ev,
		model.Event{Kind: model.AppLogout, Exchange: 10, Ref: "entries[10]", Time: t0.Add(time.Second),
			Target: &model.Target{Endpoint: "https://app.test/logout", Method: "GET"}, Status: 302},
		lo, fc)
}

// TestCompareSignOut: sign-out steps are aligned within the sign-in whose
// ID token their hint is; a hint that had expired where the provider
// refused the sign-out explains it; a front-channel logout frame without
// the app's cookie is a missing cookie; identical sign-outs match.
func TestCompareSignOut(t *testing.T) {
	t0 := signInEvents("1", false, "verifier-one-1234567890")[0].Time
	good := Trace{Events: signOutEvents("id-token-good-123456", t0.Add(time.Hour), false, true)}
	if r := Compare(good, good); r.Differs() || r.GoodSignIns != 1 || r.GoodSignOuts != 1 {
		t.Errorf("a sign-out against itself: %+v, %d sign-ins, %d sign-outs", r.First, r.GoodSignIns, r.GoodSignOuts)
	}
	expired := Compare(good, Trace{Events: signOutEvents("id-token-bad-654321", t0.Add(-time.Hour), true, true)})
	if f := expired.First; f == nil || f.Step != StepLogout || f.Field != "id_token_hint_exp" || f.Class != Explains {
		t.Errorf("expired hint: first difference %+v", f)
	}
	for _, st := range expired.Steps {
		if st.Step == StepLogout && st.SignIn != 1 {
			t.Errorf("the logout request went to sign-in %d, want the one that issued its hint", st.SignIn)
		}
		for _, d := range st.Differences {
			if strings.Contains(d.Good+d.Bad+d.Note, "id-token-") {
				t.Errorf("a raw ID token in %+v", d)
			}
		}
	}
	blocked := Compare(good, Trace{Events: signOutEvents("id-token-good-123456", t0.Add(time.Hour), false, false)})
	if f := blocked.First; f == nil || f.Step != StepFrontChannelLogout || f.Class != CookieMissing {
		t.Errorf("front-channel without cookies: first difference %+v", f)
	}
	// A trace of a sign-out only: its steps form a group that is no
	// sign-in.
	var only []model.Event
	for _, e := range good.Events {
		if e.Kind.IsSignOut() {
			only = append(only, e)
		}
	}
	r := Compare(good, Trace{Events: only})
	if r.BadSignIns != 0 || r.BadSignOuts != 1 {
		t.Errorf("sign-out only: %d sign-ins, %d sign-outs, want 0 and 1", r.BadSignIns, r.BadSignOuts)
	}
}
