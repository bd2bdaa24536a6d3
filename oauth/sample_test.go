package oauth_test

import (
	"os"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
)

func loadSample(t *testing.T, path string) []*model.Exchange {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := har.NewReader(f, har.Options{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

// TestOktaSample: the third-party Okta PKCE sample yields one clean sign-in.
func TestOktaSample(t *testing.T) {
	exs := loadSample(t, "../testdata/samples/okta-har-analyzer-sample.har")
	evs := oauth.ExtractAll(exs)
	type row struct {
		kind model.EventKind
		ref  string
	}
	want := []row{
		{model.AuthorizeRequest, "entries[0]"},
		{model.Callback, "entries[4]"},
		{model.TokenRequest, "entries[5]"},
		{model.TokenResponse, "entries[5]"},
	}
	if len(evs) != len(want) {
		t.Fatalf("got %d events, want %d: %+v", len(evs), len(want), evs)
	}
	for i, w := range want {
		if evs[i].Kind != w.kind || evs[i].Ref != w.ref {
			t.Errorf("event %d = %v at %s, want %v at %s", i, evs[i].Kind, evs[i].Ref, w.kind, w.ref)
		}
	}
	az, cb, tr, resp := evs[0], evs[1], evs[2], evs[3]
	if az.Provider().Family != "okta" || az.Provider().Variant != "default" || az.ClientID != "0oa3abc123def" ||
		az.RedirectURI != "https://myapp.example.com/callback" || az.CodeChallengeMethod() != "S256" || az.Scope() != "openid profile email" {
		t.Errorf("authorize = %+v", az)
	}
	if !cb.Code.Equal(tr.Code) || cb.Code.IsZero() || !cb.State.Equal(az.State) {
		t.Errorf("callback code/state do not link: %s %s", cb.Code, tr.Code)
	}
	// RFC 7636 appendix B's verifier and challenge: the link rules rely on.
	if tr.CodeVerifier().S256() != az.CodeChallenge().Reveal() {
		t.Errorf("S256(verifier) = %s, challenge %s", tr.CodeVerifier().S256(), az.CodeChallenge())
	}
	// The sample's Basic credentials name "0aa3abc123def" (sic, not the
	// authorize client_id "0oa3…"): the token request has no client_id in
	// its body, so the Basic user is its client id.
	if tr.GrantType() != "authorization_code" || tr.ClientAuth() != "basic" || tr.ClientID != "0aa3abc123def" || tr.RedirectURI != az.RedirectURI {
		t.Errorf("token request = %+v", tr)
	}
	if resp.Err != nil || resp.AccessToken().IsZero() || resp.IDToken().IsZero() || resp.ExpiresIn() != 3600 {
		t.Errorf("token response = %+v", resp)
	}
}
