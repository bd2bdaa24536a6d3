package main

import (
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/internal/leakcorpus"
)

// The ninth round's canaries: what real sign-ins put on the wire that the
// first placements did not cover. Identity-provider APIs that name their
// secrets their own way (Okta IDX and authn, Entra's login and MFA calls,
// Cognito, Keycloak, CAS, OAuth 1.0a), the grants beside the code flow
// (token exchange, JWT bearer, CIBA, device, PAR and JAR, logout), SAML
// and WS-Federation posts, provider headers (App Service, oauth2-proxy,
// AWS), Authorization schemes other than Bearer and Basic, an MSAL cache
// in a JSON answer, and long tokens echoed URL-encoded inside another
// URL's parameter, with lower-case hex too.

// lowerHex writes the %XX escapes of s in lower case, as some encoders do.
func lowerHex(s string) string {
	return huntEscape.ReplaceAllStringFunc(s, strings.ToLower)
}

var huntEscape = regexp.MustCompile(`%[0-9A-F]{2}`)

// huntWireExchanges are the exchanges of the ninth round's placements.
func (h *hunt) huntWireExchanges() []leakcorpus.Exchange {
	b64 := base64.StdEncoding.EncodeToString
	b64u := base64.RawURLEncoding.EncodeToString
	js := [][2]string{{"Content-Type", "application/json"}}
	form := [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}
	host := func(n string) [2]string { return [2]string{"Host", n} }
	q := url.QueryEscape

	// Long tokens a token answer issues (past the length whose encoded
	// forms were learnt), and a short one, each with bytes URL encoding
	// changes; echoed later encoded once, twice, and in lower-case hex.
	longAccess := h.canary("long access token, echoed twice URL-encoded in a returnUrl") + "/L+k" + huntRandom("la", 220)
	longRefresh := h.canary("long refresh token, echoed in lower-case hex") + "/R+t" + huntRandom("lr", 150) + "=="
	shortID := h.canary("short id_token-named token, echoed in lower-case hex") + "/s+x="

	// Okta Identity Engine.
	interaction := h.canary("Okta interaction_handle, echoed")
	stateHandle := h.canary("Okta IDX stateHandle, echoed in a URL") + "~" + huntRandom("sh", 20)
	interactionCode := h.canary("Okta interaction_code")
	// Okta authn (classic).
	stateToken := h.canary("Okta authn stateToken")
	sessionToken := h.canary("Okta authn sessionToken, echoed in a URL")
	// CIBA, device flow, PAR.
	authReq := h.canary("CIBA auth_req_id")
	deviceCode := h.canary("device flow device_code")
	requestURI := "urn:ietf:params:oauth:request_uri:" + h.canary("PAR request_uri")
	// Entra.
	flowToken := h.canary("Entra flowToken") + "*" + huntRandom("ft", 30)
	ctx := h.canary("Entra ctx / originalRequest") + huntRandom("cx", 24)
	sasSession := h.canary("Entra SAS SessionId")
	// Cognito.
	cognitoSession := h.canary("Cognito Session") + huntRandom("cs", 40)
	jarJWT := h.jwt("JAR request JWT in an authorize URL")
	parJWT := h.jwt("JAR request JWT sent to PAR")
	return []leakcorpus.Exchange{
		{
			Method: "POST", URL: "https://login.example.com/common/oauth2/v2.0/token", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("login.example.com"), form[0]},
			ReqBody:    "grant_type=client_credentials&client_id=" + huntClientID + "&client_secret=" + h.canary("client_secret of the long-token request"),
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"token_type":"Bearer","access_token":"` + longAccess + `","refresh_token":"` + longRefresh + `","id_token":"` + shortID + `","expires_in":3599}`,
		},
		{
			Method: "GET", URL: "https://app.example/account/login?returnUrl=" + q("https://app.example/cb?access_token="+q(longAccess)+"&x=1") +
				"&next=" + lowerHex(q(longRefresh)) + "&n2=" + lowerHex(q(q(longRefresh))) + "&s=" + lowerHex(q(shortID)) + "&s2=" + lowerHex(q(q(shortID))),
			ReqHeaders: [][2]string{host("app.example"), {"Referer", "https://app.example/start?ru=" + lowerHex(q(q(longAccess)))}},
			Status:     302, RespHeaders: [][2]string{{"Location", "https://app.example/next?r=" + q(q(longAccess)) + "&v=" + lowerHex(q(shortID))}},
		},
		// Okta Identity Engine: interact, introspect, identify with a
		// passcode, answer challenges (otp, answer, pin), then the token
		// request with the interaction code.
		{
			Method: "POST", URL: "https://okta.example/oauth2/default/v1/interact", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("okta.example"), form[0]},
			ReqBody:    "client_id=" + huntClientID + "&scope=openid&code_challenge_method=S256&redirect_uri=" + q(huntRedirect),
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"interaction_handle":"` + interaction + `"}`,
		},
		{
			Method: "POST", URL: "https://okta.example/idp/idx/introspect", ReqMIME: "application/ion+json",
			ReqHeaders: [][2]string{host("okta.example"), {"Content-Type", "application/ion+json; okta-version=1.0.0"}},
			ReqBody:    `{"interactionHandle":"` + interaction + `"}`,
			Status:     200, RespMIME: "application/ion+json", RespHeaders: [][2]string{{"Content-Type", "application/ion+json; okta-version=1.0.0"}},
			RespBody: `{"version":"1.0.0","stateHandle":"` + stateHandle + `","expiresAt":"2026-03-04T05:16:07.000Z","intent":"LOGIN",` +
				`"remediation":{"type":"array","value":[{"rel":["create-form"],"name":"identify","href":"https://okta.example/idp/idx/identify",` +
				`"value":[{"name":"identifier","label":"Username"},{"name":"stateHandle","required":true,"value":"` + stateHandle + `","visible":false,"mutable":false}]}]}}`,
		},
		{
			Method: "POST", URL: "https://okta.example/idp/idx/identify", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("okta.example"), js[0]},
			ReqBody: `{"identifier":"` + h.canary("Okta IDX identifier (personal: masked)") + `","credentials":{"passcode":"` + h.canary("Okta IDX credentials.passcode") +
				`"},"stateHandle":"` + stateHandle + `"}`,
			Status: 200, RespMIME: "application/json", RespHeaders: js, RespBody: `{"version":"1.0.0","stateHandle":"` + stateHandle + `"}`,
		},
		{
			Method: "POST", URL: "https://okta.example/idp/idx/challenge/answer", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("okta.example"), js[0]},
			ReqBody:    `{"credentials":{"otp":"` + h.canary("Okta IDX credentials.otp") + `"},"stateHandle":"` + stateHandle + `"}`,
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"version":"1.0.0","stateHandle":"` + stateHandle + `","successWithInteractionCode":{"value":[{"name":"interaction_code","value":"` + interactionCode + `"}]}}`,
		},
		{
			Method: "POST", URL: "https://okta.example/idp/idx/challenge/answer", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("okta.example"), js[0]},
			ReqBody: `{"credentials":{"answer":"` + h.canary("Okta IDX credentials.answer (security question)") + `","pin":"` + h.canary("Okta IDX credentials.pin") +
				`","totp":"` + h.canary("Okta IDX credentials.totp") + `"},"stateHandle":"` + stateHandle + `"}`,
			Status: 403, RespMIME: "application/json", RespHeaders: js, RespBody: `{"version":"1.0.0","messages":{"value":[{"message":"Invalid code. Try again.","class":"ERROR"}]}}`,
		},
		{
			Method: "GET", URL: "https://okta.example/login/token/redirect?stateToken=" + q(stateHandle) + "&h=" + q(stateHandle),
			ReqHeaders: [][2]string{host("okta.example")},
			Status:     302, RespHeaders: [][2]string{{"Location", huntRedirect + "?interaction_code=" + interactionCode + "&state=" + h.canary("IDX callback state")}},
		},
		{
			Method: "POST", URL: "https://okta.example/oauth2/default/v1/token", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("okta.example"), form[0]},
			ReqBody:    "grant_type=interaction_code&client_id=" + huntClientID + "&interaction_code=" + interactionCode + "&code_verifier=" + h.canary("IDX code_verifier"),
			Status:     400, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"error":"invalid_grant","error_description":"The interaction code is invalid or has expired."}`,
		},
		// Okta authn (classic): a password, a factor's passCode, a state
		// token and the session token a redirect carries.
		{
			Method: "POST", URL: "https://okta.example/api/v1/authn", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("okta.example"), js[0]},
			ReqBody:    `{"username":"bob","password":"` + h.canary("Okta authn password") + `","options":{"warnBeforePasswordExpired":true}}`,
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"stateToken":"` + stateToken + `","status":"MFA_REQUIRED","expiresAt":"2026-03-04T05:16:07.000Z"}`,
		},
		{
			Method: "POST", URL: "https://okta.example/api/v1/authn/factors/opf1a2b3c4D5e6F7g8/verify", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("okta.example"), js[0]},
			ReqBody:    `{"stateToken":"` + stateToken + `","passCode":"` + h.canary("Okta authn passCode") + `"}`,
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"status":"SUCCESS","sessionToken":"` + sessionToken + `"}`,
		},
		{
			Method: "GET", URL: "https://okta.example/oauth2/default/v1/authorize?client_id=" + huntClientID + "&response_type=code&redirect_uri=" + q(huntRedirect) +
				"&st=" + sessionToken + "&request_uri=" + q(requestURI) + "&request=" + jarJWT,
			ReqHeaders: [][2]string{host("okta.example")},
			Status:     302, RespHeaders: [][2]string{{"Location", huntRedirect + "?error=access_denied&error_description=" + q("User is not assigned to the client application.")}},
		},
		// Grants beside the code flow.
		{
			Method: "POST", URL: "https://login.example.com/t/oauth2/token", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("login.example.com"), form[0]},
			ReqBody: "grant_type=" + q("urn:ietf:params:oauth:grant-type:token-exchange") + "&subject_token=" + h.canary("token exchange subject_token") +
				"&subject_token_type=" + q("urn:ietf:params:oauth:token-type:access_token") + "&actor_token=" + h.canary("token exchange actor_token") +
				"&actor_token_type=" + q("urn:ietf:params:oauth:token-type:jwt"),
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"access_token":"` + h.canary("token exchange issued access_token") + `","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"N_A"}`,
		},
		{
			Method: "POST", URL: "https://login.example.com/t/oauth2/token", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("login.example.com"), form[0]},
			ReqBody: "grant_type=" + q("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + h.canary("JWT bearer grant assertion") +
				"&requested_token_use=on_behalf_of&client_id=" + huntClientID,
			Status: 400, RespMIME: "application/json", RespHeaders: js, RespBody: `{"error":"invalid_grant"}`,
		},
		{
			Method: "POST", URL: "https://login.example.com/t/bc-authorize", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("login.example.com"), form[0]},
			ReqBody:    "scope=openid&client_id=" + huntClientID + "&login_hint_token=" + h.canary("CIBA login_hint_token") + "&binding_message=W4SCT",
			Status:     200, RespMIME: "application/json", RespHeaders: js, RespBody: `{"auth_req_id":"` + authReq + `","expires_in":120,"interval":2}`,
		},
		{
			Method: "POST", URL: "https://login.example.com/t/oauth2/token", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("login.example.com"), form[0]},
			ReqBody:    "grant_type=" + q("urn:openid:params:grant-type:ciba") + "&auth_req_id=" + authReq + "&client_id=" + huntClientID,
			Status:     400, RespMIME: "application/json", RespHeaders: js, RespBody: `{"error":"authorization_pending"}`,
		},
		{
			Method: "POST", URL: "https://login.example.com/t/oauth2/v2.0/devicecode", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("login.example.com"), form[0]},
			ReqBody:    "client_id=" + huntClientID + "&scope=openid",
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"device_code":"` + deviceCode + `","user_code":"` + h.canary("device flow user_code") + `","verification_uri":"https://microsoft.com/devicelogin","expires_in":900}`,
		},
		{
			Method: "POST", URL: "https://login.example.com/t/oauth2/v2.0/token", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("login.example.com"), form[0]},
			ReqBody:    "grant_type=" + q("urn:ietf:params:oauth:grant-type:device_code") + "&device_code=" + deviceCode + "&client_id=" + huntClientID,
			Status:     400, RespMIME: "application/json", RespHeaders: js, RespBody: `{"error":"expired_token"}`,
		},
		{
			Method: "POST", URL: "https://okta.example/oauth2/default/v1/par", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("okta.example"), form[0]},
			ReqBody:    "client_id=" + huntClientID + "&request=" + parJWT,
			Status:     201, RespMIME: "application/json", RespHeaders: js, RespBody: `{"request_uri":"` + requestURI + `","expires_in":60}`,
		},
		{
			Method: "GET", URL: "https://login.example.com/t/oauth2/v2.0/logout?id_token_hint=" + h.jwt("id_token_hint in a logout URL") +
				"&post_logout_redirect_uri=" + q("https://app.example/") + "&logout_hint=" + h.canary("logout_hint (personal: masked)"),
			ReqHeaders: [][2]string{host("login.example.com")},
			Status:     302, RespHeaders: [][2]string{{"Location", "https://app.example/"}},
		},
		{
			Method: "POST", URL: "https://app.example/backchannel-logout", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("app.example"), form[0]},
			ReqBody:    "logout_token=" + h.jwt("back-channel logout_token"),
			Status:     200,
		},
		// SAML and WS-Federation posts.
		{
			Method: "POST", URL: "https://sp.example/saml/acs", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("sp.example"), form[0]},
			ReqBody: "SAMLResponse=" + q(b64([]byte(`<samlp:Response><saml:Assertion><saml:NameID>`+h.canary("SAMLResponse NameID")+`</saml:NameID></saml:Assertion></samlp:Response>`))) +
				"&RelayState=" + h.canary("SAML RelayState"),
			Status: 302, RespHeaders: [][2]string{{"Location", "https://sp.example/app"}},
		},
		{
			Method: "POST", URL: "https://sp.example/wsfed", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("sp.example"), form[0]},
			ReqBody: "wa=wsignin1.0&wresult=" + q(`<t:RequestSecurityTokenResponse><t:RequestedSecurityToken>`+h.canary("WS-Fed wresult token")+`</t:RequestedSecurityToken></t:RequestSecurityTokenResponse>`) +
				"&wctx=" + q("rm=0&id=passive&ru="+h.canary("WS-Fed wctx")),
			Status: 302, RespHeaders: [][2]string{{"Location", "https://sp.example/app"}},
		},
		{
			Method: "GET", URL: "https://sp.example/saml/artifact?SAMLart=" + h.canary("SAMLart artifact") + "&RelayState=x",
			ReqHeaders: [][2]string{host("sp.example")}, Status: 302, RespHeaders: [][2]string{{"Location", "https://sp.example/app"}},
		},
		// Entra's sign-in pages and MFA calls.
		{
			Method: "POST", URL: "https://login.microsoftonline.com/common/GetCredentialType?mkt=en-US", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("login.microsoftonline.com"), js[0], {"hpgrequestid", huntTraceID}, {"canary", h.canary("Entra canary header")}},
			ReqBody:    `{"username":"bob@contoso.example","isOtherIdpSupported":true,"originalRequest":"` + ctx + `","flowToken":"` + flowToken + `"}`,
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"Username":"bob@contoso.example","IfExistsResult":0,"FlowToken":"` + flowToken + `","apiCanary":"` + h.canary("Entra apiCanary") + `"}`,
		},
		{
			Method: "POST", URL: "https://login.microsoftonline.com/common/SAS/EndAuth", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("login.microsoftonline.com"), js[0]},
			ReqBody: `{"Method":"EndAuth","SessionId":"` + sasSession + `","FlowToken":"` + flowToken + `","Ctx":"` + ctx +
				`","AuthMethodId":"PhoneAppOTP","AdditionalAuthData":"` + h.canary("Entra SAS AdditionalAuthData (the OTP)") + `","PollCount":1}`,
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"Success":false,"ResultValue":"InvalidOTPCode","Message":null,"SessionId":"` + sasSession + `","FlowToken":"` + flowToken + `","Ctx":"` + ctx + `"}`,
		},
		{
			Method: "POST", URL: "https://login.microsoftonline.com/common/SAS/ProcessAuth", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("login.microsoftonline.com"), form[0]},
			ReqBody: "type=22&request=" + q(ctx) + "&mfaAuthMethod=PhoneAppOTP&otc=" + h.canary("Entra ProcessAuth otc") + "&login=" + q("bob@contoso.example") +
				"&flowToken=" + q(flowToken) + "&hpgrequestid=" + huntTraceID + "&canary=" + q(h.canary("Entra canary form field")),
			Status: 200, RespMIME: "text/html", RespHeaders: [][2]string{{"Content-Type", "text/html"}},
			RespBody: `<html><script>$Config={"sFT":"` + flowToken + `","sCtx":"` + ctx + `","canary":"` + h.canary("Entra $Config canary") + `","correlationId":"` + huntCorrelation + `"};</script></html>`,
		},
		// Cognito's SRP sign-in: upper-case names, a Session string.
		{
			Method: "POST", URL: "https://cognito-idp.us-east-1.amazonaws.com/", ReqMIME: "application/x-amz-json-1.1",
			ReqHeaders: [][2]string{host("cognito-idp.us-east-1.amazonaws.com"), {"Content-Type", "application/x-amz-json-1.1"},
				{"X-Amz-Target", "AWSCognitoIdentityProviderService.RespondToAuthChallenge"}},
			ReqBody: `{"ChallengeName":"PASSWORD_VERIFIER","ClientId":"` + huntClientID + `","ChallengeResponses":{"USERNAME":"bob",` +
				`"PASSWORD_CLAIM_SIGNATURE":"` + h.canary("Cognito PASSWORD_CLAIM_SIGNATURE") + `","PASSWORD_CLAIM_SECRET_BLOCK":"` + h.canary("Cognito PASSWORD_CLAIM_SECRET_BLOCK") +
				`","SECRET_HASH":"` + h.canary("Cognito SECRET_HASH") + `","TIMESTAMP":"Wed Mar 4 05:06:07 UTC 2026"},"Session":"` + cognitoSession + `"}`,
			Status: 200, RespMIME: "application/x-amz-json-1.1", RespHeaders: [][2]string{{"Content-Type", "application/x-amz-json-1.1"}},
			RespBody: `{"AuthenticationResult":{"AccessToken":"` + h.canary("Cognito AccessToken") + `","ExpiresIn":3600,"IdToken":"` + h.canary("Cognito IdToken") +
				`","RefreshToken":"` + h.canary("Cognito RefreshToken") + `","TokenType":"Bearer"},"ChallengeParameters":{"SRP_B":"` + h.canary("Cognito SRP_B") + `"},"Session":"` + cognitoSession + `"}`,
		},
		{
			Method: "GET", URL: "https://app.example/resume?cs=" + q(cognitoSession), ReqHeaders: [][2]string{host("app.example")}, Status: 200,
		},
		// Keycloak's login action, CAS's service ticket, OAuth 1.0a.
		{
			Method: "POST", URL: "https://kc.example/realms/r/login-actions/authenticate?session_code=" + h.canary("Keycloak session_code") +
				"&execution=3f1e2d4c-5b6a-4978-8a9b-0c1d2e3f4a5b&client_id=" + huntClientID + "&tab_id=" + h.canary("Keycloak tab_id"),
			ReqMIME:    "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("kc.example"), form[0]},
			ReqBody:    "username=bob&password=" + h.canary("Keycloak password") + "&credentialId=",
			Status:     302, RespHeaders: [][2]string{{"Location", huntRedirect + "?state=x&session_state=" + h.canary("Keycloak session_state") + "&code=" + h.canary("Keycloak code")}},
		},
		{
			Method: "GET", URL: "https://app.example/cas/login?ticket=ST-1-" + h.canary("CAS service ticket") + "-cas",
			ReqHeaders: [][2]string{host("app.example")}, Status: 302, RespHeaders: [][2]string{{"Location", "https://app.example/"}},
		},
		{
			Method: "GET", URL: "https://app.example/oauth1/callback?oauth_token=" + h.canary("OAuth 1.0a oauth_token") + "&oauth_verifier=" + h.canary("OAuth 1.0a oauth_verifier"),
			ReqHeaders: [][2]string{host("app.example")}, Status: 302, RespHeaders: [][2]string{{"Location", "https://app.example/"}},
		},
		// Provider headers and Authorization schemes other than Bearer
		// and Basic; an S3 error that echoes the signature it got.
		{
			Method: "GET", URL: "https://app.example/.auth/me",
			ReqHeaders: [][2]string{host("app.example"),
				{"X-MS-TOKEN-AAD-ACCESS-TOKEN", h.canary("X-MS-TOKEN-AAD-ACCESS-TOKEN")}, {"X-MS-TOKEN-AAD-ID-TOKEN", h.jwt("X-MS-TOKEN-AAD-ID-TOKEN")},
				{"X-MS-TOKEN-AAD-REFRESH-TOKEN", h.canary("X-MS-TOKEN-AAD-REFRESH-TOKEN")}, {"X-MS-CLIENT-PRINCIPAL-ID", huntCorrelation},
				{"X-Forwarded-Access-Token", h.canary("X-Forwarded-Access-Token (oauth2-proxy)")}, {"X-Auth-Request-Access-Token", h.canary("X-Auth-Request-Access-Token")},
				{"X-Id-Token", h.canary("X-Id-Token")}, {"x-amz-security-token", h.canary("x-amz-security-token header")},
				{"Ocp-Apim-Subscription-Key", h.canary("Ocp-Apim-Subscription-Key")}, {"X-Vault-Token", h.canary("X-Vault-Token")},
				{"PRIVATE-TOKEN", h.canary("PRIVATE-TOKEN (GitLab)")}, {"X-XSRF-TOKEN", h.canary("X-XSRF-TOKEN")},
				{"X-Goog-IAP-JWT-Assertion", h.jwt("X-Goog-IAP-JWT-Assertion")}},
			Status: 200, RespMIME: "application/json", RespHeaders: js, RespBody: `{"ok":true}`,
		},
		{
			Method: "GET", URL: "https://bucket.s3.amazonaws.com/key.txt",
			ReqHeaders: [][2]string{host("bucket.s3.amazonaws.com"), {"x-amz-date", "20260304T050607Z"},
				{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260304/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" +
					h.canary("AWS4 Signature, echoed in the error")}},
			Status: 403, RespMIME: "application/xml", RespHeaders: [][2]string{{"Content-Type", "application/xml"}},
			RespBody: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>` +
				`<AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId><SignatureProvided>` + h.canary("S3 SignatureProvided") + `</SignatureProvided><RequestId>` + huntTraceID + `</RequestId></Error>`,
		},
		{
			Method: "GET", URL: "https://bucket.s3.amazonaws.com/k2?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + q("AKIDEXAMPLE/20260304/us-east-1/s3/aws4_request") +
				"&X-Amz-Date=20260304T050607Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=" + h.canary("X-Amz-Signature query parameter"),
			ReqHeaders: [][2]string{host("bucket.s3.amazonaws.com")}, Status: 200,
		},
		{
			Method: "GET", URL: "https://api.example/v1/mac",
			ReqHeaders: [][2]string{host("api.example"), {"Authorization", `MAC id="` + h.canary("Authorization MAC id") + `", ts="1336363200", nonce="dj83hs9s", mac="` + h.canary("Authorization MAC mac") + `"`}},
			Status:     200,
		},
		{
			Method: "GET", URL: "https://api.example/v1/oauth1",
			ReqHeaders: [][2]string{host("api.example"), {"Authorization", `OAuth oauth_consumer_key="ck", oauth_token="` + h.canary("Authorization OAuth oauth_token") +
				`", oauth_signature_method="HMAC-SHA1", oauth_signature="` + h.canary("Authorization OAuth oauth_signature") + `"`}},
			Status: 200,
		},
		{
			Method: "GET", URL: "https://intranet.example/",
			ReqHeaders: [][2]string{host("intranet.example"), {"Authorization", "Negotiate " + b64([]byte("\x60\x82kerberos-"+h.canary("Authorization Negotiate")))}},
			Status:     200, RespHeaders: [][2]string{{"WWW-Authenticate", "Negotiate " + b64([]byte("\xa1\x81mutual-"+h.canary("WWW-Authenticate Negotiate mutual token")))}},
		},
		{
			Method: "GET", URL: "https://intranet.example/ntlm",
			ReqHeaders: [][2]string{host("intranet.example"), {"Authorization", "NTLM " + b64([]byte("NTLMSSP\x00\x03\x00\x00\x00"+h.canary("Authorization NTLM type 3")))}},
			Status:     200,
		},
		{
			Method: "GET", URL: "https://intranet.example/digest",
			ReqHeaders: [][2]string{host("intranet.example"), {"Authorization", `Digest username="bob", realm="r", nonce="dcd98b7102dd2f0e", uri="/digest", response="` +
				h.canary("Authorization Digest response") + `"`}},
			Status: 200, RespHeaders: [][2]string{{"Authentication-Info", `rspauth="` + h.canary("Authentication-Info rspauth") + `", nextnonce="` + h.canary("Authentication-Info nextnonce") + `"`}},
		},
		{
			Method: "GET", URL: "https://okta.example/api/v1/users/me",
			ReqHeaders: [][2]string{host("okta.example"), {"Authorization", "SSWS " + h.canary("Authorization SSWS (Okta API token)")}},
			Status:     200,
		},
		// __Host- and __Secure- cookies, one of base64 JSON.
		{
			Method: "GET", URL: "https://app.example/api/auth/session",
			ReqHeaders: [][2]string{host("app.example"), {"Cookie", "__Host-next-auth.csrf-token=" + h.canary("__Host- cookie") + "%7C" + huntRandom("cs", 20) +
				"; __Secure-next-auth.session-token=" + h.canary("__Secure- cookie")}},
			Status: 200, RespMIME: "application/json",
			RespHeaders: [][2]string{js[0], {"Set-Cookie", "appSession=" + b64u([]byte(`{"access_token":"`+h.canary("base64 JSON cookie access_token")+`","exp":1800000000}`)) + "; Path=/; HttpOnly"}},
			RespBody:    `{"user":{"name":"Bob"},"expires":"2026-04-04T05:06:07.000Z"}`,
		},
		// A code and a state carried in a return URL, encoded once and
		// twice; a page with a CSRF meta tag, an anti-forgery input and
		// an MSAL cache in a script; an event stream of token answers.
		{
			Method: "GET", URL: "https://app.example/account/login?returnUrl=" + q("/signin-oidc?code="+h.canary("code in a relative returnUrl")+"&state=x") +
				"&ReturnUrl2=" + q(q("https://app.example/signin-oidc#id_token="+h.canary("id_token in a twice-encoded return URL fragment"))),
			ReqHeaders: [][2]string{host("app.example")},
			Status:     200, RespMIME: "text/html", RespHeaders: [][2]string{{"Content-Type", "text/html; charset=utf-8"}},
			RespBody: `<html><head><meta name="csrf-token" content="` + h.canary("meta csrf-token content") + `"></head><body>` +
				`<form><input type="hidden" name="__RequestVerificationToken" value="` + h.canary("hidden __RequestVerificationToken") + `"></form>` +
				`<script>window.__MSAL_CACHE__ = {"uid.utid-login.microsoftonline.com-idtoken-` + huntClientID + `-contoso---":{"credentialType":"IdToken","secret":"` +
				h.canary("MSAL cache in a page script") + `","realm":"contoso"}};</script></body></html>`,
		},
		{
			Method: "GET", URL: "https://app.example/events", ReqHeaders: [][2]string{host("app.example")},
			Status: 200, RespMIME: "text/event-stream", RespHeaders: [][2]string{{"Content-Type", "text/event-stream"}},
			RespBody: "event: token\ndata: {\"access_token\":\"" + h.canary("server-sent event JSON access_token") + "\",\"expires_in\":3600}\n\n" +
				"event: session\ndata: sessionId=" + h.canary("server-sent event sessionId pair") + "\n\n",
		},
		// Codes named by their use, a Rails form's bracketed names, a
		// reset token, a camel-case verifier, RelayState and Okta's
		// okta_key in a fromURI.
		{
			Method: "GET", URL: "https://app.example/__/auth/action?mode=resetPassword&oobCode=" + h.canary("Firebase oobCode") +
				"&verification_code=" + h.canary("verification_code query parameter") + "&reset_token=" + h.canary("reset_token query parameter") +
				"&RelayState=" + h.canary("RelayState query parameter") + "&fromURI=" + q("/oauth2/v1/authorize/redirect?okta_key="+h.canary("okta_key in a fromURI")),
			ReqHeaders: [][2]string{host("app.example")}, Status: 302, RespHeaders: [][2]string{{"Location", "https://app.example/"}},
		},
		{
			Method: "POST", URL: "https://app.example/users/sign_in?authCode=" + h.canary("authCode query parameter"), ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("app.example"), form[0]},
			ReqBody: "user%5Bemail%5D=" + q("bob@contoso.example") + "&user%5Bpassword%5D=" + h.canary("Rails user[password]") +
				"&mfa_code=" + h.canary("mfa_code form field") + "&authenticity_token=" + h.canary("Rails authenticity_token"),
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"otpCode":"` + h.canary("otpCode JSON member") + `","smsCode":"` + h.canary("smsCode JSON member") + `","codeVerifier":"` +
				h.canary("codeVerifier JSON member") + `","error_code":"E_MFA_REQUIRED"}`,
		},
		// Names only redact's own lists held: a JAR request object, a
		// jwt and WS-Federation's wctx in a query, Entra's login page
		// values (sFT, sCtx, apiCanary, client_info) and a CSRF field in
		// a form; Clerk's development-browser JWT as a query parameter
		// and a cookie; a WebAuthn assertion post (per-use proofs and the
		// user's handle).
		{
			Method: "GET", URL: "https://login.example/authorize?client_id=app1&request=" + h.canary("JAR request parameter") +
				"&jwt=" + h.canary("jwt query parameter") + "&wctx=" + h.canary("WS-Federation wctx") + "&sso_nonce=" + h.canary("sso_nonce query parameter") +
				"&__clerk_db_jwt=" + h.canary("Clerk __clerk_db_jwt query parameter"),
			ReqHeaders: [][2]string{host("login.example"), {"Cookie", "__clerk_db_jwt=" + h.canary("Clerk __clerk_db_jwt cookie")},
				{"X-Session-Key", h.canary("X-Session-Key header")}, {"X-CSRF", h.canary("X-CSRF header")}},
			Status: 302, RespHeaders: [][2]string{{"Location", "https://app.example/"}},
		},
		{
			Method: "POST", URL: "https://login.example/common/login", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("login.example"), form[0]},
			ReqBody: "login=" + q("bob@contoso.example") + "&sFT=" + h.canary("Entra sFT form field") + "&sCtx=" + h.canary("Entra sCtx form field") +
				"&apiCanary=" + h.canary("Entra apiCanary form field") + "&client_info=" + h.canary("Entra client_info form field") +
				"&_csrf=" + h.canary("_csrf form field") + "&phone=" + h.canary("phone form field"),
			Status: 200, RespMIME: "application/json", RespHeaders: js, RespBody: `{"ok":true}`,
		},
		{
			Method: "POST", URL: "https://app.example/v1/webauthn/assertion", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("app.example"), {"Content-Type", "application/json"}},
			ReqBody: `{"id":"AbCdEf012","type":"public-key","response":{"authenticatorData":"` + h.canary("WebAuthn authenticatorData") +
				`","clientDataJSON":"` + h.canary("WebAuthn clientDataJSON") + `","signature":"` + h.canary("WebAuthn signature") +
				`","userHandle":"` + h.canary("WebAuthn userHandle") + `"}}`,
			Status: 200, RespMIME: "application/json", RespHeaders: js, RespBody: `{"verified":true}`,
		},
		// An MSAL.js token cache served as JSON (a debug endpoint, a
		// cache sync): keys name the kind, the token is under "secret".
		{
			Method: "GET", URL: "https://app.example/debug/cache", ReqHeaders: [][2]string{host("app.example")},
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"uid.utid-login.microsoftonline.com-accesstoken-` + huntClientID + `-contoso-openid profile--":{"homeAccountId":"uid.utid","credentialType":"AccessToken",` +
				`"secret":"` + h.canary("MSAL cache AccessToken secret") + `","cachedAt":"1772600767","expiresOn":"1772604367","target":"openid profile"},` +
				`"uid.utid-login.microsoftonline.com-refreshtoken-` + huntClientID + `----":{"credentialType":"RefreshToken","secret":"` + h.canary("MSAL cache RefreshToken secret") + `"}}`,
		},
	}
}

// huntWireHAREntries are HAR entries of what only a HAR holds: cookies
// given only in the cookies arrays (Firefox and sanitizers write no Cookie
// or Set-Cookie header), their values echoed later where no name gives
// them away, and WebSocket frames of sub-protocols that carry credentials
// (GraphQL over WebSocket, STOMP).
func (h *hunt) huntWireHAREntries(start time.Time) []any {
	reqCookie := h.canary("request cookies array only, echoed in a URL")
	respCookie := h.canary("response cookies array only, echoed in a Location") + "/c+K" + huntRandom("rc", 12)
	entry := func(at time.Duration, req, resp map[string]any, extra map[string]any) map[string]any {
		e := map[string]any{"pageref": "page_1", "startedDateTime": start.Add(at).Format(time.RFC3339Nano), "time": 5,
			"request": req, "response": resp, "cache": map[string]any{}, "timings": map[string]any{"send": 1, "wait": 2, "receive": 2}}
		for k, v := range extra {
			e[k] = v
		}
		return e
	}
	get := func(u, host string, cookies []any) map[string]any {
		return map[string]any{"method": "GET", "url": u, "httpVersion": "HTTP/1.1",
			"headers": []any{map[string]any{"name": "Host", "value": host}}, "queryString": []any{}, "cookies": cookies,
			"headersSize": -1, "bodySize": 0}
	}
	resp := func(status int, headers, cookies []any, mime, text string) map[string]any {
		return map[string]any{"status": status, "statusText": "", "httpVersion": "HTTP/1.1", "headers": headers, "cookies": cookies,
			"content": map[string]any{"size": len(text), "mimeType": mime, "text": text}, "redirectURL": "", "headersSize": -1, "bodySize": len(text)}
	}
	jsonCT := []any{map[string]any{"name": "Content-Type", "value": "application/json"}}
	return []any{
		entry(0, get("https://app.example/home", "app.example", []any{map[string]any{"name": "sid", "value": reqCookie}}),
			resp(200, jsonCT, []any{map[string]any{"name": "session", "value": respCookie, "path": "/", "httpOnly": true, "secure": true}}, "application/json", `{"ok":true}`), nil),
		entry(time.Second, get("https://app.example/api/items?ref="+reqCookie, "app.example", []any{}),
			resp(302, []any{map[string]any{"name": "Location", "value": "https://app.example/next?r=" + url.QueryEscape(respCookie)}}, []any{}, "application/json",
				`{"debug":"session `+respCookie+` for `+reqCookie+`"}`), nil),
		entry(2*time.Second, get("https://rt.example/graphql", "rt.example", []any{}),
			resp(101, []any{map[string]any{"name": "Upgrade", "value": "websocket"}}, []any{}, "", ""),
			map[string]any{"_resourceType": "websocket", "_webSocketMessages": []any{
				map[string]any{"type": "send", "time": 2.1, "opcode": 1, "data": `{"type":"connection_init","payload":{"Authorization":"Bearer ` + h.canary("graphql-ws connection_init Authorization") + `"}}`},
				map[string]any{"type": "send", "time": 2.2, "opcode": 1, "data": "CONNECT\naccept-version:1.2\nhost:rt.example\nlogin:bob\npasscode:" + h.canary("STOMP CONNECT passcode") + "\n\n\x00"},
				map[string]any{"type": "send", "time": 2.3, "opcode": 1, "data": "CONNECT\nAuthorization:Bearer " + h.canary("STOMP CONNECT Authorization header") + "\n\n\x00"},
			}}),
	}
}
