package rules_test

import (
	"crypto/sha256"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// TestExpressOpenIDConnectRecorded reads sign-ins recorded from a real app
// library (testdata/express-openid-connect/gen.sh: Express 4 with
// express-openid-connect 3.4.0 against oidc-provider 9.13.3, driven by a
// headless Chromium, captured on lo). express-openid-connect's state is
// only its return URL, the same in every tab: the two-tab sign-ins share
// it, and only their PKCE challenges tell them apart.
func TestExpressOpenIDConnectRecorded(t *testing.T) {
	check := func(name string) []rules.Finding {
		exs, notes := loadLabCapture(t, filepath.Join("testdata", name))
		return rules.Check(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
	}
	// A clean sign-in: nothing to report.
	for _, f := range check("eoc-clean.pcap") {
		t.Errorf("eoc-clean.pcap: %s %s: %s", f.Severity, f.RuleID, f.Message)
	}
	// Tab A's sign-in finished after tab B's began: A's code redeemed
	// with B's verifier, refused by the provider, the callback refused
	// with openid-client's words for it.
	var race, sameState bool
	for _, f := range check("eoc-two-tabs.pcap") {
		switch {
		case f.RuleID == rules.MultiTabRace.ID:
			race = true
			for _, want := range []string{"redeems the code of sign-in #1 with the PKCE verifier of sign-in #2",
				`the app refused the callback at frame 50 (HTTP 400, openid-client says "server responded with an error in the response body")`} {
				if !strings.Contains(f.Message, want) {
					t.Errorf("eoc-two-tabs.pcap: no %q in %s", want, f.Message)
				}
			}
		case f.RuleID == rules.StateMismatch.ID && strings.Contains(f.Message, "send the same state"):
			sameState = true
			if f.Severity != rules.Info || !strings.Contains(f.Message, "S256 PKCE challenges protect the callback") {
				t.Errorf("eoc-two-tabs.pcap: %s %s", f.Severity, f.Message)
			}
		default:
			t.Errorf("eoc-two-tabs.pcap: unexpected %s %s: %s", f.Severity, f.RuleID, f.Message)
		}
	}
	if !race || !sameState {
		t.Errorf("eoc-two-tabs.pcap: multi-tab-race %v, same state noted %v", race, sameState)
	}
	// The transaction cookie deleted before the callback: the app's own
	// words for it.
	fs := check("eoc-lost-cookie.pcap")
	if len(fs) != 1 || fs[0].RuleID != rules.StateMismatch.ID || fs[0].Severity != rules.Error ||
		!strings.Contains(fs[0].Message, `express-openid-connect says "cookie not found. Ensure the login flow is initiated`) ||
		!strings.Contains(fs[0].Message, "lacks the cookie(s) auth_verification") {
		t.Errorf("eoc-lost-cookie.pcap: %+v", fs)
	}
}

// TestSharedStateSettled: two sign-ins with one state and PKCE challenges
// of their own; the provider's code names only the state. A code redeemed
// with the second's verifier and refused is the first's, crossed; one
// redeemed with it and accepted was the second's: nothing to report.
func TestSharedStateSettled(t *testing.T) {
	s256 := func(v string) string {
		h := sha256.Sum256([]byte(v))
		return base64.RawURLEncoding.EncodeToString(h[:])
	}
	vA, vB := strings.Repeat("a", 43), strings.Repeat("b", 43)
	t0 := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	prov := &model.Provider{Family: model.FamilyGeneric, Host: "op.example"}
	for _, status := range []int{200, 400} {
		var evs []model.Event
		ev := func(e model.Event) {
			e.Exchange, e.Ref, e.Time, e.Prov = len(evs), "entries["+string(rune('0'+len(evs)))+"]", t0.Add(time.Duration(len(evs))*time.Second), prov
			evs = append(evs, e)
		}
		for _, v := range []string{vA, vB} {
			ev(model.Event{Kind: model.AuthorizeRequest, State: secret.New("return-to-home"),
				Target: &model.Target{Method: "GET", Endpoint: "https://op.example/auth", ClientID: "app", RedirectURI: "https://app.example/callback"},
				Authz:  &model.AuthorizeParams{ResponseType: "code", CodeChallenge: secret.New(s256(v)), CodeChallengeMethod: "S256"}})
		}
		ev(model.Event{Kind: model.CodeIssued, Status: 303, Code: secret.New("code-1"), State: secret.New("return-to-home")})
		ev(model.Event{Kind: model.Callback, Code: secret.New("code-1"), State: secret.New("return-to-home"),
			Target: &model.Target{Method: "GET", Endpoint: "https://app.example/callback"}})
		ev(model.Event{Kind: model.TokenRequest, Code: secret.New("code-1"),
			Target: &model.Target{Method: "POST", Endpoint: "https://op.example/token", ClientID: "app", RedirectURI: "https://app.example/callback"},
			Token:  &model.TokenParams{GrantType: "authorization_code", CodeVerifier: secret.New(vB)}})
		resp := model.Event{Kind: model.TokenResponse, Status: status, Target: &model.Target{Method: "POST", Endpoint: "https://op.example/token"}}
		if status != 200 {
			resp.Err = &model.ProviderError{Error: "invalid_grant", Description: "grant request is invalid"}
		}
		resp.Exchange = len(evs) - 1
		resp.Ref, resp.Time, resp.Prov = evs[len(evs)-1].Ref, evs[len(evs)-1].Time, prov
		evs = append(evs, resp)
		a := rules.Analyze(rules.Input{Events: evs}, rules.Options{})
		var got []string
		for _, f := range rules.Run(a, []*rules.Rule{rules.MultiTabRace, rules.PKCEMismatch}) {
			got = append(got, f.RuleID+": "+f.Message)
		}
		switch {
		case status == 200 && len(got) != 0:
			t.Errorf("accepted: %q, want nothing", got)
		case status == 400 && (len(got) != 1 || !strings.HasPrefix(got[0], "multi-tab-race: ") || !strings.Contains(got[0], "code of sign-in #1 with the PKCE verifier of sign-in #2")):
			t.Errorf("refused: %q, want the crossing", got)
		}
	}
}
