package oauth

import (
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// Authorize requests without nonce or code_challenge share one copy of
// their parameters per distinct set; requests with either keep their own,
// and every event still reads its own values.
func TestAuthorizeParamsShared(t *testing.T) {
	base := "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c1&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code"
	urls := []string{
		base + "&state=s1",
		base + "&state=s2",
		base + "&state=s3&prompt=none",
		base + "&state=s4&nonce=n4&code_challenge=cc4&code_challenge_method=S256",
		base + "&state=s5&nonce=n4&code_challenge=cc4&code_challenge_method=S256",
	}
	var exs []*model.Exchange
	for i, u := range urls {
		exs = append(exs, mkExchange(i, "GET", u, nil, "", 0, nil, ""))
	}
	evs := ExtractAll(exs)
	if len(evs) != len(urls) {
		t.Fatalf("%d events, want %d: %v", len(evs), len(urls), kinds(evs))
	}
	for i, ev := range evs {
		if ev.Kind != model.AuthorizeRequest || ev.Authz == nil || ev.ResponseType() != "code" {
			t.Fatalf("event %d: kind %v, authz %v", i, ev.Kind, ev.Authz)
		}
	}
	if evs[0].Authz != evs[1].Authz {
		t.Error("equal parameters without nonce or challenge not shared")
	}
	if evs[2].Authz == evs[0].Authz || evs[2].Prompt() != "none" || evs[0].Prompt() != "" {
		t.Errorf("prompt=none shared with the others, or read wrong: %q %q", evs[2].Prompt(), evs[0].Prompt())
	}
	if evs[3].Authz == evs[4].Authz {
		t.Error("parameters with a nonce and a challenge shared")
	}
	if evs[3].CodeChallengeMethod() != "S256" || evs[3].CodeChallenge().IsZero() || evs[3].Nonce().IsZero() {
		t.Error("nonce or challenge lost")
	}
}
