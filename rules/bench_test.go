package rules_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// benchTrace builds n Okta sign-ins (authorize with PKCE → callback → token
// request) in one trace, 30 seconds apart, every tenth one reusing
// its code, as a browser plus server capture would hold them.
func benchTrace(n int) []*model.Exchange {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var exs []*model.Exchange
	add := func(at time.Duration, method, url, body string, status int, resp model.Headers, respBody string) {
		ex := &model.Exchange{Index: len(exs), Ref: fmt.Sprintf("entries[%d]", len(exs)), Start: t0.Add(at), End: t0.Add(at + 100*time.Millisecond),
			Request: model.Request{Method: method, URL: url}}
		if body != "" {
			ex.Request.Body = model.Body{Data: []byte(body), MIMEType: "application/x-www-form-urlencoded"}
		}
		ex.Response = &model.Response{Status: status, Headers: resp, Body: model.Body{Data: []byte(respBody), MIMEType: "application/json"}}
		exs = append(exs, ex)
	}
	for i := 0; i < n; i++ {
		at := time.Duration(i) * 30 * time.Second
		verifier := fmt.Sprintf("verifier-%040d", i)
		challenge := secret.New(verifier).S256()
		state, code := fmt.Sprintf("state-%d", i), fmt.Sprintf("code-%d", i)
		cb := "https://app.example.com/callback"
		add(at, "GET", "https://dev-1.okta.com/oauth2/default/v1/authorize?client_id=c&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&state="+state+"&code_challenge="+challenge+"&code_challenge_method=S256",
			"", 302, model.Headers{{Name: "Location", Value: cb + "?code=" + code + "&state=" + state}}, "")
		add(at+300*time.Millisecond, "GET", cb+"?code="+code+"&state="+state, "", 200, nil, "")
		token := "grant_type=authorization_code&client_id=c&code=" + code + "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&code_verifier=" + verifier
		add(at+500*time.Millisecond, "POST", "https://dev-1.okta.com/oauth2/default/v1/token", token, 200, nil, `{"access_token":"at","id_token":"it","expires_in":3600}`)
		if i%10 == 0 {
			add(at+700*time.Millisecond, "POST", "https://dev-1.okta.com/oauth2/default/v1/token", token, 400, nil,
				`{"error":"invalid_grant","error_description":"The authorization code is invalid or has expired."}`)
		}
	}
	return exs
}

func BenchmarkExtract(b *testing.B) {
	exs := benchTrace(1000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		oauth.ExtractAll(exs)
	}
	b.ReportMetric(float64(len(exs)), "exchanges/op")
}

func BenchmarkCheck(b *testing.B) {
	exs := benchTrace(1000)
	events := oauth.ExtractAll(exs)
	in := rules.Input{Exchanges: exs, Events: events}
	if got := len(rules.Check(in, rules.Options{})); got != 100 {
		b.Fatalf("%d findings, want 100 code-reuse findings", got)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rules.Check(in, rules.Options{})
	}
	b.ReportMetric(float64(len(events)), "events/op")
}
