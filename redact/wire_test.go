package redact

import (
	"net/url"
	"testing"

	"github.com/traceaudit/traceaudit/secret"
)

// TestSignInHandlesAndHeaderBlocks: the handles of sign-ins in progress
// that other grants and sign-in APIs send (Okta Identity Engine, CIBA, PAR,
// Keycloak, Cognito SRP), Entra's MFA code, a header named as a secret
// parameter (Entra's canary), Digest's Authentication-Info, and the fields
// of a STOMP frame and of an HTTP request logged as text are redacted; a
// request_uri that is a URL, the STOMP command and destination, and field
// names stay.
func TestSignInHandlesAndHeaderBlocks(t *testing.T) {
	data := buildHAR(t,
		entry{Method: "POST", URL: "https://okta.example/idp/idx/introspect", Status: 200,
			ReqMIME: "application/json", ReqBody: `{"interactionHandle":"idx-handle-0123abc"}`,
			RespMIME: "application/json", RespBody: `{"interaction_handle":"idx-handle-0123abc","interaction_code":"idx-code-4567def","auth_req_id":"ciba-req-89abXYZ",` +
				`"request_uri":"urn:ietf:params:oauth:request_uri:par-handle-0123","SRP_B":"srp-public-b-0123","identifier":"bob.smith",` +
				`"AdditionalAuthData":"912345","jwks":{"request_uri":"https://app.example/req/1.jwt"}}`},
		entry{Method: "GET", URL: "https://kc.example/login-actions/authenticate?session_code=kc-code-0123&tab_id=kc-tab-4567&client_id=web", Status: 200,
			ReqHeaders:  [][2]string{{"canary", "entra-canary-header-0123"}, {"hpgrequestid", "5b7a3c1e-aaaa-bbbb-cccc-ddddeeeeffff"}},
			RespHeaders: [][2]string{{"Authentication-Info", `rspauth="digest-rspauth-0123", nextnonce="digest-nonce-4567"`}}},
		entry{Method: "POST", URL: "https://rt.example/ws", Status: 200,
			ReqMIME: "text/plain", ReqBody: "CONNECT\naccept-version:1.2\nhost:rt.example\nlogin:bob.smith\npasscode:stomp-pass-0123\nAuthorization:Bearer stomp-bearer-4567\n\n\x00",
			RespMIME: "text/plain", RespBody: "POST /api/login HTTP/1.1\r\nHost: api.example\r\nX-Api-Key: logged-api-key-0123\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nusername=bob&password=logged-pass-4567"},
	)
	red, _ := redactHAR(t, data, Options{})
	mustNotContain(t, red, "idx-handle-0123abc", "idx-code-4567def", "ciba-req-89abXYZ", "par-handle-0123", "srp-public-b-0123", "bob.smith", "912345",
		"kc-code-0123", "kc-tab-4567", "entra-canary-header-0123", "digest-rspauth-0123", "digest-nonce-4567",
		"stomp-pass-0123", "stomp-bearer-4567", "logged-api-key-0123", "logged-pass-4567")
	mustContain(t, red, "https://app.example/req/1.jwt", "client_id=web", "5b7a3c1e-aaaa-bbbb-cccc-ddddeeeeffff",
		`CONNECT\naccept-version:1.2\nhost:rt.example\nlogin:REDACTED-value-1\npasscode:REDACTED-value-3\nAuthorization:Bearer `+secret.Fingerprint("stomp-bearer-4567"),
		`\"identifier\":\"REDACTED-value-1\"`, // bob.smith, as the STOMP frame's login
		`POST /api/login HTTP/1.1\r\nHost: api.example\r\nX-Api-Key:`, `Content-Type: application/x-www-form-urlencoded\r\n\r\nusername=`)
}

// TestMetaEventStreamAndReturnURL: a page's CSRF meta tag, the data of a
// server-sent event and an ID token in a return URL encoded twice in a
// query are redacted in a copy; other meta tags stay.
func TestMetaEventStreamAndReturnURL(t *testing.T) {
	q := url.QueryEscape
	data := buildHAR(t,
		entry{Method: "GET", URL: "https://app.example/login?ru=" + q(q("https://app.example/cb#id_token=id-t0ken-twice-encoded")), Status: 200,
			RespMIME: "text/html", RespBody: `<html><head><meta name="viewport" content="width=device-width"><meta name="csrf-token" content="meta-csrf-0123abc"></head></html>`},
		entry{Method: "GET", URL: "https://app.example/events", Status: 200,
			RespMIME: "text/event-stream", RespBody: "event: s\ndata: sessionId=sse-session-0123\n\nevent: t\ndata: {\"access_token\":\"sse-token-4567\"}\n\n"},
	)
	red, _ := redactHAR(t, data, Options{})
	mustNotContain(t, red, "id-t0ken-twice-encoded", "meta-csrf-0123abc", "sse-session-0123", "sse-token-4567")
	mustContain(t, red, `content=\"width=device-width\"`, "event: s\\ndata: sessionId=", "app.example%252Fcb")
}
