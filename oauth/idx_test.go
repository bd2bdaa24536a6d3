package oauth

import (
	"net/url"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// idxFlow is Okta's interaction code flow (Identity Engine, an embedded
// sign-in): /v1/interact with the authorize parameters, the IDX
// remediation calls, the answer that hands over the interaction code, and
// its redemption. Hand-written in the shape of Okta's API reference and
// the IDX answers its SDKs' tests keep (okta/okta-idx-golang's
// successWithInteractionCode mocks): no lab provider speaks IDX. host is
// the Okta org or a custom domain; verifier is what the token request
// sends.
func idxFlow(host, verifier string, redeem ...int) []*model.Exchange {
	ion := model.Headers{{Name: "Content-Type", Value: "application/ion+json; okta-version=1.0.0"}}
	js := model.Headers{{Name: "Content-Type", Value: "application/json"}}
	form := model.Headers{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}
	interact := url.Values{"client_id": {"0oa1b2c3"}, "scope": {"openid profile"}, "redirect_uri": {"com.acme.app:/callback"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}, "state": {"st-idx-1"}}
	exs := []*model.Exchange{
		mkExchange(0, "POST", "https://"+host+"/oauth2/default/v1/interact", form, interact.Encode(), 200, js,
			`{"interaction_handle":"003Q14X7li3hJjkfI6Zu5zRTXV5FAyd3DNHOqrxTNKQ"}`),
		mkExchange(1, "POST", "https://"+host+"/idp/idx/introspect", ion, `{"interactionHandle":"003Q14X7li3hJjkfI6Zu5zRTXV5FAyd3DNHOqrxTNKQ"}`, 200, ion,
			`{"version":"1.0.0","stateHandle":"02tYS1NHhCPLcOpT3GByBBRHmGU63p7LGRXJx5cOvp","remediation":{"type":"array","value":[{"rel":["create-form"],"name":"identify","href":"https://`+host+`/idp/idx/identify","method":"POST"}]}}`),
		mkExchange(2, "POST", "https://"+host+"/idp/idx/identify", ion, `{"identifier":"alice@acme.example","credentials":{"passcode":"correct horse"},"stateHandle":"02tYS1NHhCPLcOpT3GByBBRHmGU63p7LGRXJx5cOvp"}`, 200, ion,
			`{"version":"1.0.0","stateHandle":"02tYS1NHhCPLcOpT3GByBBRHmGU63p7LGRXJx5cOvp","successWithInteractionCode":{"rel":["create-form"],"name":"issue","href":"https://`+host+`/oauth2/default/v1/token","method":"POST","value":[{"name":"grant_type","required":true,"value":"interaction_code"},{"name":"interaction_code","required":true,"value":"Txd_5odx08kzZ_oxeEbBk8PNjI5UDnTM2P1rMCmHDyA"},{"name":"client_id","required":true,"value":"0oa1b2c3"},{"name":"code_verifier","required":true}]}}`),
	}
	for i, status := range redeem {
		body := `{"token_type":"Bearer","expires_in":3600,"access_token":"eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiJhbGljZSJ9.c2ln","scope":"openid profile"}`
		if status != 200 {
			body = `{"error":"invalid_grant","error_description":"The interaction code is invalid or has expired."}`
		}
		exs = append(exs, mkExchange(3+i, "POST", "https://"+host+"/oauth2/default/v1/token", form,
			url.Values{"grant_type": {"interaction_code"}, "client_id": {"0oa1b2c3"}, "interaction_code": {"Txd_5odx08kzZ_oxeEbBk8PNjI5UDnTM2P1rMCmHDyA"}, "code_verifier": {verifier}}.Encode(),
			status, js, body))
	}
	return exs
}

// TestInteractionCodeFlow: Okta's interaction code flow reads as a sign-in
// (authorize request, code issued, redemption) whether the org's host
// names Okta or a custom domain names nobody: /v1/interact is the
// authorize request (its answer's interaction_handle says so), the IDX
// answer's successWithInteractionCode issues the code, and the
// interaction_code grant redeems it.
func TestInteractionCodeFlow(t *testing.T) {
	for _, host := range []string{"acme.okta.com", "login.acme.example"} {
		evs := ExtractAll(idxFlow(host, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", 200))
		if got := kinds(evs); !equalStrings(got, []string{"authorize", "code-issued", "token-request", "token-response"}) {
			t.Fatalf("%s: kinds %v", host, got)
		}
		az, issued, tr := evs[0], evs[1], evs[2]
		code := secret.New("Txd_5odx08kzZ_oxeEbBk8PNjI5UDnTM2P1rMCmHDyA")
		if az.Method() != "POST" || az.ClientID() != "0oa1b2c3" || az.RedirectURI() != "com.acme.app:/callback" ||
			!az.State.Equal(secret.New("st-idx-1")) || az.CodeChallengeMethod() != "S256" {
			t.Errorf("%s: authorize %s %q %q state %v %q", host, az.Method(), az.ClientID(), az.RedirectURI(), az.State, az.CodeChallengeMethod())
		}
		if issued.Ref != "entries[2]" || !issued.Code.Equal(code) || issued.Delivery() != "idx" {
			t.Errorf("%s: code issued at %s, code %v, delivery %q", host, issued.Ref, issued.Code, issued.Delivery())
		}
		if tr.GrantType() != "interaction_code" || !tr.Code.Equal(code) || tr.CodeVerifier().IsZero() {
			t.Errorf("%s: token request grant %q code %v", host, tr.GrantType(), tr.Code)
		}
	}
	// The introspect answer, with no interaction code, issues nothing;
	// an interact answered without a handle is no authorize request.
	exs := idxFlow("acme.okta.com", "v")
	exs[0].Response.Body.Data = []byte(`{"errorCode":"E0000021","errorSummary":"Bad request."}`)
	exs[0].Response.Status = 400
	if got := kinds(ExtractAll(exs[:2])); len(got) != 0 {
		t.Errorf("refused interact and introspect: events %v", got)
	}
}
