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
	if az.Provider().Family != "okta" || az.Provider().Variant != "default" || az.ClientID() != "0oa3abc123def" ||
		az.RedirectURI() != "https://myapp.example.com/callback" || az.CodeChallengeMethod() != "S256" || az.Scope() != "openid profile email" {
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
	if tr.GrantType() != "authorization_code" || tr.ClientAuth() != "basic" || tr.ClientID() != "0aa3abc123def" || tr.RedirectURI() != az.RedirectURI() {
		t.Errorf("token request = %+v", tr)
	}
	if resp.Err != nil || resp.AccessToken().IsZero() || resp.IDToken().IsZero() || resp.ExpiresIn() != 3600 {
		t.Errorf("token response = %+v", resp)
	}
}

// TestProviderRequestIDHeader: Okta, Auth0 and Cognito answer with their
// own request id header (X-Okta-Request-Id, which Okta's System Log files
// the request under as debugData.requestId; X-Auth0-RequestId;
// x-amz-cognito-request-id), and a refused token request's error carries
// it, with the answer's Date as its timestamp, as Entra's x-ms-request-id
// is carried. The sign-in is the third-party Okta sample with its token
// endpoint's answer turned into a refusal; the ids are in the formats
// these providers send.
func TestProviderRequestIDHeader(t *testing.T) {
	for _, c := range []struct{ header, id string }{
		{"X-Okta-Request-Id", "reqd-hLExFwQJ2ZEpocgBDeaA"},
		{"X-Auth0-RequestId", "c629c3e05e0881e81315"},
		{"x-amz-cognito-request-id", "d9f2fad1-8c33-4217-94f1-394549a8df97"},
	} {
		exs := loadSample(t, "../testdata/samples/okta-har-analyzer-sample.har")
		resp := exs[5].Response
		resp.Status = 400
		resp.Headers = model.Headers{{Name: "Date", Value: "Mon, 15 Jan 2024 10:30:05 GMT"},
			{Name: "Content-Type", Value: "application/json"}, {Name: c.header, Value: c.id}}
		resp.Body.MIMEType = "application/json"
		resp.Body.Data = []byte(`{"error":"invalid_grant","error_description":"PKCE verification failed."}`)
		evs := oauth.ExtractAll(exs)
		last := evs[len(evs)-1]
		if last.Kind != model.TokenResponse || last.Err == nil {
			t.Fatalf("%s: last event %+v", c.header, last)
		}
		if last.Err.TraceID != c.id || last.Err.Timestamp != "2024-01-15 10:30:05Z" {
			t.Errorf("%s: trace id %q at %q, want %q at the answer's date", c.header, last.Err.TraceID, last.Err.Timestamp, c.id)
		}
	}
}
