package rules_test

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// idxExchanges is Okta's interaction code flow, hand-written in the shape
// of Okta's API reference and its IDX SDKs' test answers (no lab provider
// speaks IDX; oauth's TestInteractionCodeFlow reads the same flow):
// /v1/interact, the IDX answer that hands over the interaction code, then
// one redemption per status with verifier.
func idxExchanges(verifier string, statuses ...int) []*model.Exchange {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	mk := func(i int, u, ctype, body string, status int, answer string) *model.Exchange {
		start := at.Add(time.Duration(i) * time.Second)
		return &model.Exchange{Index: i, Ref: "entries[" + strconv.Itoa(i) + "]", Start: start, End: start.Add(100 * time.Millisecond),
			Request: model.Request{Method: "POST", URL: u, Headers: model.Headers{{Name: "Content-Type", Value: ctype}},
				Body: model.Body{Data: []byte(body), Size: int64(len(body)), MIMEType: ctype}},
			Response: &model.Response{Status: status, Headers: model.Headers{{Name: "Content-Type", Value: "application/json"}},
				Body: model.Body{Data: []byte(answer), Size: int64(len(answer)), MIMEType: "application/json"}}}
	}
	const org = "https://acme.okta.com"
	const form = "application/x-www-form-urlencoded"
	exs := []*model.Exchange{
		mk(0, org+"/oauth2/default/v1/interact", form, url.Values{"client_id": {"0oa1b2c3"}, "scope": {"openid"},
			"redirect_uri": {"com.acme.app:/callback"}, "state": {"st-idx-1"}, "code_challenge_method": {"S256"},
			"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}}.Encode(), 200, `{"interaction_handle":"003Q14X7li3hJjkfI6Zu5zRTXV5FAyd3DNHOqrxTNKQ"}`),
		mk(1, org+"/idp/idx/identify", "application/ion+json; okta-version=1.0.0", `{"identifier":"alice@acme.example","stateHandle":"02tYS1NHhCPLcOpT3GByBB"}`, 200,
			`{"version":"1.0.0","successWithInteractionCode":{"rel":["create-form"],"name":"issue","href":"`+org+`/oauth2/default/v1/token","method":"POST","value":[{"name":"grant_type","value":"interaction_code"},{"name":"interaction_code","value":"Txd_5odx08kzZ_oxeEbBk8PNjI5UDnTM2P1rMCmHDyA"}]}}`),
	}
	for i, status := range statuses {
		answer := `{"token_type":"Bearer","expires_in":3600,"access_token":"eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJhbGljZSJ9.c2ln"}`
		if status != 200 {
			answer = `{"error":"invalid_grant","error_description":"The interaction code is invalid or has expired."}`
		}
		exs = append(exs, mk(2+i, org+"/oauth2/default/v1/token", form, url.Values{"grant_type": {"interaction_code"}, "client_id": {"0oa1b2c3"},
			"interaction_code": {"Txd_5odx08kzZ_oxeEbBk8PNjI5UDnTM2P1rMCmHDyA"}, "code_verifier": {verifier}}.Encode(), status, answer))
	}
	return exs
}

// TestInteractionCodeRules: the rules read Okta's interaction code as the
// sign-in's code: redeemed twice is code-reuse, redeemed with a verifier
// that does not prove /v1/interact's challenge is pkce-mismatch, and the
// clean flow has no finding at all.
func TestInteractionCodeRules(t *testing.T) {
	const good = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636's example pair
	for _, tc := range []struct {
		name string
		exs  []*model.Exchange
		want string
	}{
		{"clean", idxExchanges(good, 200), ""},
		{"reused", idxExchanges(good, 200, 400), "code-reuse"},
		{"wrong verifier", idxExchanges("Xk9wrongverifierwrongverifierwrongverifier12", 400), "pkce-mismatch"},
	} {
		events := oauth.ExtractAll(tc.exs)
		var got []string
		for _, f := range rules.Check(rules.Input{Exchanges: tc.exs, Events: events}, rules.Options{}) {
			if f.Severity >= rules.Warning {
				got = append(got, f.RuleID)
			}
		}
		if tc.want == "" && len(got) != 0 || tc.want != "" && (len(got) != 1 || got[0] != tc.want) {
			t.Errorf("%s: findings %v, want %q", tc.name, got, tc.want)
		}
	}
}
