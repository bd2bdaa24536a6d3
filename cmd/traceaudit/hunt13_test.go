package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/internal/leakcorpus"
)

// The thirteenth round's canaries, placed as the twelfth's are (headers
// added to real recordings' entries, or an entry's URL and bodies
// replaced by the shape's), in further recordings: the fixture lab's
// sign-ins (device flow, form_post, JAR, PAR, zitadel's grants; see
// testdata/lab) and more of Chromium's (rules/testdata). The shapes are
// those earlier rounds did not look at: secrets nested in encodings
// (a form in a JSON string holding JSON, base64 inside base64, a JWT
// whose claims carry a token inside a base64 parameter, percent-encoding
// three deep, HTML character references, JavaScript escapes), unusual
// carriers (a multipart part named in RFC 2231's form or encoded base64,
// server-sent events' data split over lines, WebSocket messages of JSON
// in JSON, HAR members an exporter adds, a SAZ's chunked trailer behind
// a body of no secret, a Set-Cookie of odd attributes, Digest's uri),
// and app-specific tokens known by their vendor's prefix wherever they
// are written.

// hunt13Bases are the real recordings the thirteenth round edits.
var hunt13Bases = []string{
	"../../testdata/lab/scenarios/clean-device-oidcprovider/trace.har",
	"../../testdata/lab/scenarios/clean-fosite-form-post/trace.har",
	"../../testdata/lab/scenarios/clean-oidcprovider-form-post/trace.har",
	"../../testdata/lab/scenarios/clean-jar-oidcprovider/trace.har",
	"../../testdata/lab/scenarios/clean-par-oidcprovider/trace.har",
	"../../testdata/lab/scenarios/clean-grants-zitadel/trace.har",
	"../../rules/testdata/hydra-clean.har",
	"../../rules/testdata/dex-kubelogin-clean.har",
	"../../rules/testdata/authlib-clean.har",
	"../../rules/testdata/allauth-two-tabs-es.har",
	"../../rules/testdata/authlib-two-tabs.har",
	"../../rules/testdata/hydra-two-tabs.har",
}

// hunt13JWT is a JWT whose claims are claims.
func hunt13JWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT","kid":"k1"}`)) + "." + enc([]byte(claims)) + "." + huntRandom(claims, 86)
}

// hunt13Edits are the thirteenth round's placements.
func (h *hunt) hunt13Edits() []huntEdit {
	b64 := base64.StdEncoding.EncodeToString
	b64u := base64.RawURLEncoding.EncodeToString
	q := url.QueryEscape
	jsonStr := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	// numeric character references of every byte, as some templates
	// write attribute values.
	charRefs := func(s string) string {
		var b strings.Builder
		for _, c := range s {
			fmt.Fprintf(&b, "&#%d;", c)
		}
		return b.String()
	}
	vendor := func(prefix, place string, n int) string {
		c := h.canary(place)
		return prefix + c + huntRandom(place, n-len(c))
	}
	return []huntEdit{
		// Nested encodings.
		{
			method: "POST", url: "https://events.example/v1/collect", reqMIME: "application/json",
			reqBody: `{"event":"signin","payload":` + jsonStr("v=2&data="+q(`{"access_token":"`+h.canary("JSON in a form field in a JSON string")+`","expires_in":3600}`)) + `}`,
			status:  204,
		},
		{
			url:    "https://app.example/auth/continue?ctx=" + b64u([]byte(`{"returnTo":"/","t":"`+hunt13JWT(`{"iss":"https://idp.example","refresh_token":"`+h.canary("base64url JSON parameter holding a JWT whose claims hold a token")+`"}`)+`"}`)),
			status: 302, resp: [][2]string{{"Location", "https://app.example/"}},
		},
		{
			url:    "https://app.example/auth/resume?data=" + b64u([]byte(`{"v":1,"inner":"`+b64([]byte(`{"sessionToken":"`+h.canary("base64 JSON inside base64url JSON")+`"}`))+`"}`)),
			status: 302, resp: [][2]string{{"Location", "https://app.example/"}},
		},
		{
			status: 302,
			resp:   [][2]string{{"Location", "https://app.example/login?next=" + q(q(q("/cb?code="+h.canary("code percent-encoded three times")+"&state=abc")))}},
		},
		{
			method: "POST", url: "https://app.example/session/return", reqMIME: "application/x-www-form-urlencoded",
			reqBody: "next=" + q(q("https://app.example/home#access_token="+h.canary("fragment access_token twice encoded in a form field")+"&token_type=Bearer")),
			status:  302, resp: [][2]string{{"Location", "https://app.example/home"}},
		},
		{
			url: "https://login.example/oauth2/form_post", status: 200, respMIME: "text/html; charset=utf-8",
			respBody: `<html><body onload="document.forms[0].submit()"><form method="post" action="https://app.example/signin-oidc">` +
				`<input type="hidden" name="access&#95;token" value="` + h.canary("form_post hidden input whose name is a character reference") + `"/>` +
				`<input type="hidden" name="code" value="` + charRefs(h.canary("form_post code written as character references")) + `"/>` +
				`<input type="hidden" name="id&#x5F;token" value="` + h.canary("form_post id_token, name with a hex reference") + `&#x2B;&#x2F;x&#x3D;"/>` +
				`<input type="hidden" name="state" value="s1"/></form></body></html>`,
		},
		{
			url: "https://app.example/callback-page", status: 200, respMIME: "text/html",
			respBody: `<html><head><script>window.location.replace("https:\u002F\u002Fapp.example\u002Fcb\u0023access_token\u003D` +
				h.canary("script string with \\u escapes, access_token") + `\u0026token_type\u003DBearer");` + "\n" +
				`var u = 'https:\x2f\x2fapp.example\x2fcb?code\x3d` + h.canary("script string with \\x escapes, code") + `\x26state\x3dabc';` + "\n" +
				`var cfg = JSON.parse('{\x22refresh_token\x22:\x22` + h.canary("JSON.parse string with \\x22 quotes, refresh_token") + `\x22}');` + "\n" +
				`var s = {"access\u005ftoken":"` + h.canary("script object, name with a \\u005f") + `"};</script></head><body></body></html>`,
		},
		// Multipart parts.
		{
			method: "POST", url: "https://api.example/upload", reqMIME: "multipart/form-data; boundary=----WebKitFormBoundaryh13Q",
			reqBody: "------WebKitFormBoundaryh13Q\r\nContent-Disposition: form-data; name*=UTF-8''client_secret\r\n\r\n" + h.canary("multipart part named in RFC 2231's form") + "\r\n" +
				"------WebKitFormBoundaryh13Q\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				b64([]byte(`{"refresh_token":"`+h.canary("multipart part encoded base64, JSON")+`"}`)) + "\r\n" +
				"------WebKitFormBoundaryh13Q\r\nContent-Disposition: form-data; name=\"batch\"\r\nContent-Type: multipart/mixed; boundary=inner13\r\n\r\n" +
				"--inner13\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\npassword=" + h.canary("multipart/mixed inside a form-data part, password") + "\r\n--inner13--\r\n" +
				"------WebKitFormBoundaryh13Q--\r\n",
			status: 204,
		},
		// Server-sent events and WebSocket messages.
		{
			url: "https://api.example/stream", status: 200, respMIME: "text/event-stream",
			respBody: "event: message\ndata: {\"type\":\"session\",\ndata: \"access_token\":\"" + h.canary("server-sent event JSON split over data lines") + "\"}\n\n" +
				"event: message\r\ndata:{\"refreshToken\":\"" + h.canary("server-sent event, CRLF and no space after data:") + "\"}\r\n\r\n",
		},
		{
			url: "https://rt.example/socket", status: 101,
			ws: []any{
				map[string]any{"type": "receive", "time": 3.1, "opcode": 1, "data": `{"type":"msg","body":` + jsonStr(`{"token":"`+h.canary("WebSocket message, JSON in a JSON string")+`"}`) + `}`},
				map[string]any{"type": "send", "time": 3.2, "opcode": 1, "data": "token=" + h.canary("WebSocket message written as a form") + "&op=auth"},
				map[string]any{"type": "receive", "time": 3.3, "opcode": 1, "data": `{"identifier":` + jsonStr(`{"channel":"Room","signed_stream_name":"`+h.canary("Action Cable signed_stream_name")+`--0123abcd"}`) + `,"type":"confirm_subscription"}`},
			},
		},
		// URLs: a request's own userinfo, Refresh and meta refresh.
		{
			url: "https://deploy:" + h.canary("URL password in the request URL") + "@git.example/team/app.git/info/refs?service=git-upload-pack", status: 200,
			respMIME: "application/x-git-upload-pack-advertisement", respBody: "001e# service=git-upload-pack\n0000",
		},
		{
			status: 200, respMIME: "text/html",
			url:      "https://login.example/done",
			resp:     [][2]string{{"Refresh", `3;URL="https://app.example/cb#id_token=` + h.canary("Refresh header, quoted URL, id_token") + `&state=s2"`}},
			respBody: `<html><head><meta http-equiv="refresh" content="0; URL='https://app.example/cb?code=` + h.canary("meta refresh, single-quoted absolute URL, code") + `&amp;state=s3'"></head></html>`,
		},
		// Cookies of odd attributes and joined fields.
		{
			resp: [][2]string{
				{"Set-Cookie", "a=1; Path=/\nsid=" + h.canary("Set-Cookie joined by a newline in one HAR value") + "; Path=/; HttpOnly"},
				{"Set-Cookie", "pref=1; Path=/; Partitioned; Priority=High; session_token=" + h.canary("Set-Cookie unknown attribute session_token") + "; Secure"},
				{"Set-Cookie", "__Host-x=\"" + h.canary("Set-Cookie quoted value with Partitioned") + "\"; Path=/; Secure; Partitioned"},
			},
		},
		// Digest's request URI.
		{
			req: [][2]string{{"Authorization", `Digest username="bob", realm="api", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c0", uri="/v1/items?access_token=` +
				h.canary("Authorization Digest uri access_token") + `", qop=auth, nc=00000001, cnonce="` + h.canary("Authorization Digest cnonce") +
				`", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"`}},
		},
		// Device flow and logout.
		{
			method: "POST", url: "https://idp.example/oauth2/devicecode", reqMIME: "application/x-www-form-urlencoded", reqBody: "client_id=" + huntClientID + "&scope=openid",
			status: 200, respMIME: "application/json",
			respBody: `{"device_code":"` + h.canary("device_code answer") + `","user_code":"WDJB-MJHT","verification_uri":"https://idp.example/device",` +
				`"verification_uri_complete":"https://idp.example/device?user_code=` + h.canary("verification_uri_complete user_code") + `","expires_in":900,"interval":5}`,
		},
		{
			url: "https://idp.example/oidc/frontchannel?iss=" + q("https://idp.example") + "&sid=" + h.canary("front-channel logout sid"), status: 200, respMIME: "text/html",
			respBody: "<html></html>",
		},
		// A token answer whose ID token carries tokens among its claims.
		{
			method: "POST", url: "https://login.example/oauth2/v2.0/token", reqMIME: "application/x-www-form-urlencoded",
			reqBody: "grant_type=refresh_token&client_id=" + huntClientID + "&refresh_token=" + h.canary("refresh_token form field (h13)"),
			status:  200, respMIME: "application/json",
			respBody: `{"token_type":"Bearer","expires_in":3599,"id_token":"` + hunt13JWT(`{"iss":"https://login.example","aud":"`+huntClientID+
				`","exp":1800000000,"idp_access_token":"`+h.canary("ID token claim idp_access_token")+`","ext":{"refresh_token":"`+
				h.canary("ID token claim ext.refresh_token")+`"},"ctx":"`+b64([]byte(`{"session_token":"`+h.canary("ID token claim, base64 JSON session_token")+`"}`))+`"}`) + `"}`,
		},
		// HAR members an exporter adds (see hunt13HARExtras) ride on
		// this entry.
		{url: "https://app.example/extras", status: 200, respMIME: "text/plain", respBody: "ok"},
		// App-specific tokens, known by their vendor's prefix.
		{
			url: "https://api.telegram.org/bot123456789:AA" + vendor("", "Telegram bot token in the URL path", 33) + "/sendMessage?chat_id=42", status: 200,
			respMIME: "application/json", respBody: `{"ok":true}`,
		},
		{
			url: "https://ci.example/api/settings", status: 200, respMIME: "application/json",
			respBody: `{"items":[{"name":"deploy","value":"` + vendor("ghp_", "GitHub token under a plain name", 36) + `"},` +
				`{"name":"slack","value":"` + vendor("xoxb-1234567890-", "Slack bot token under a plain name", 24) + `"},` +
				`{"name":"pypi","value":"` + vendor("glpat-", "GitLab token in a list", 20) + `"},` +
				`{"name":"npm","value":"` + vendor("npm_", "npm token under a plain name", 36) + `"}],` +
				`"message":"Incorrect API key provided: ` + vendor("sk-proj-", "OpenAI-style key in an error message", 48) + `"}`,
		},
		{
			url: "https://shop.example/checkout", status: 200, respMIME: "text/html",
			respBody: `<html><body><div data-config="` + vendor("sk_live_", "Stripe secret key in a data attribute", 40) + `"></div>` +
				`<script>var hook = "` + vendor("whsec_", "Stripe webhook secret in a script", 32) + `"; var g = "` + vendor("github_pat_11A", "GitHub fine-grained token in a script", 68) + `";</script>` +
				`<p>Mail key SG.` + vendor("", "SendGrid key in text, first part", 22) + "." + huntRandom("sg", 43) + `</p></body></html>`,
		},
		{
			req:  [][2]string{{"X-Deploy", "token " + vendor("glpat-", "GitLab token after an unknown header's scheme", 20)}},
			resp: [][2]string{{"X-Debug", "key=" + vendor("AIza", "Google API key in an unknown header", 35)}},
		},
		// Batch two: passwords under other languages' names, a device
		// flow answered in camelCase, second factors' seeds, CAS's
		// ticket-granting ticket, attributes written as character
		// references, frameworks' page state, socket.io's polling,
		// configuration formats.
		{
			method: "POST", url: "https://portal.example/anmelden", reqMIME: "application/x-www-form-urlencoded",
			reqBody: "benutzername=bob&kennwort=" + h.canary("form field kennwort (German)") + "&" + q("contraseña") + "=" + h.canary("form field contraseña (Spanish)") +
				"&mot_de_passe=" + h.canary("form field mot_de_passe (French)") + "&senha=" + h.canary("form field senha (Portuguese)") +
				"&" + q("пароль") + "=" + h.canary("form field пароль (Russian)") + "&" + q("パスワード") + "=" + h.canary("form field パスワード (Japanese)") +
				"&" + q("密码") + "=" + h.canary("form field 密码 (Chinese)") + "&wachtwoord=" + h.canary("form field wachtwoord (Dutch)"),
			status: 302, resp: [][2]string{{"Location", "https://portal.example/start"}},
		},
		{
			method: "POST", url: "https://oidc.us-east-1.amazonaws.com/device_authorization", reqMIME: "application/json",
			reqBody: `{"clientId":"` + huntClientID + `","clientSecret":"` + h.canary("AWS SSO OIDC clientSecret") + `","startUrl":"https://d-1.awsapps.com/start"}`,
			status:  200, respMIME: "application/json",
			respBody: `{"deviceCode":"` + h.canary("AWS SSO OIDC deviceCode") + `","expiresIn":600,"interval":1,"userCode":"` + h.canary("AWS SSO OIDC userCode") +
				`","verificationUri":"https://device.sso.us-east-1.amazonaws.com/","verificationUriComplete":"https://device.sso.us-east-1.amazonaws.com/?user_code=` +
				h.canary("AWS SSO OIDC verificationUriComplete user_code") + `"}`,
		},
		{
			url: "https://idp.example/api/v1/users/me/factors", status: 200, respMIME: "application/json",
			respBody: `{"factorType":"token:software:totp","status":"PENDING_ACTIVATION","_embedded":{"activation":{"timeStep":30,"sharedSecret":"` +
				h.canary("TOTP enrollment sharedSecret") + `","encoding":"base32","keyLength":6}},"uri":"otpauth://totp/Example:bob?secret=` +
				h.canary("otpauth URI secret") + `&issuer=Example&algorithm=SHA1&digits=6&period=30","manualEntryKey":"` + h.canary("TOTP manualEntryKey") + `"}`,
		},
		{
			url: "https://kc.example/realms/demo/login-actions/required-action?execution=CONFIGURE_TOTP", status: 200, respMIME: "text/html",
			respBody: `<html><body><ol><li><p>Open the application and enter the key:</p><p><span id="kc-totp-secret-key">` + h.canary("Keycloak TOTP secret key span") +
				`</span></p></li></ol><form action="/realms/demo/login-actions/required-action" method="post">` +
				`<input type="hidden" id="totpSecret" name="totpSecret" value="` + h.canary("Keycloak totpSecret hidden input") + `"/></form></body></html>`,
		},
		{
			method: "POST", url: "https://cas.example/cas/v1/tickets", reqMIME: "application/x-www-form-urlencoded",
			reqBody: "username=bob&password=" + h.canary("CAS REST password"),
			status:  201, resp: [][2]string{{"Location", "https://cas.example/cas/v1/tickets/TGT-1-" + h.canary("CAS ticket-granting ticket in a Location path") + "-cas01"}},
		},
		{
			url: "https://app.example/esapi", status: 200, respMIME: "text/html",
			respBody: `<html><body><a href="https&#x3a;&#x2f;&#x2f;app.example&#x2f;cb&#x3f;code&#x3d;` + h.canary("href written in character references, code") +
				`&#x26;state&#x3d;s4">continue</a>` +
				`<div id="app" data-page="{&quot;component&quot;:&quot;Dashboard&quot;,&quot;props&quot;:{&quot;auth&quot;:{&quot;user&quot;:{&quot;id&quot;:1},&quot;token&quot;:&quot;` +
				h.canary("Inertia data-page props.auth.token") + `&quot;}},&quot;url&quot;:&quot;/dashboard&quot;}"></div>` +
				`<script>self.__next_f.push([1,"5:[\"$\",\"div\",null,{\"session\":{\"accessToken\":\"` + h.canary("Next.js flight payload session.accessToken") + `\"}}]\n"])</script>` +
				`</body></html>`,
		},
		{
			method: "POST", url: "https://app.example/socket.io/?EIO=4&transport=polling&t=P1", reqMIME: "text/plain;charset=UTF-8",
			reqBody: `40{"token":"` + h.canary("socket.io polling CONNECT token") + `"}` + "\x1e" + `42["auth",{"refreshToken":"` + h.canary("socket.io polling event refreshToken") + `"}]`,
			status:  200, respMIME: "text/plain; charset=UTF-8",
			respBody: `97:0{"sid":"` + h.canary("socket.io v3 polling open sid") + `","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}2:40`,
		},
		{
			url: "https://config.example/app.toml", status: 200, respMIME: "text/plain",
			respBody: "[oauth]\nclient_id = \"" + huntClientID + "\"\nclient_secret = \"" + h.canary("TOML client_secret") + "\"\n[db]\npassword = '" + h.canary("TOML single-quoted password") + "'\n",
		},
		{
			url: "https://config.example/users.xml", status: 200, respMIME: "application/xml",
			respBody: `<?xml version="1.0"?><tomcat-users><user username="admin" password="` + h.canary("XML attribute password") + `" roles="manager-gui"/></tomcat-users>`,
		},
		{
			resp: [][2]string{{"Server-Timing", `auth;desc="token=` + h.canary("Server-Timing desc token=") + `";dur=12`}},
		},
		{
			url: "https://mq.example/mqtt", status: 101,
			ws: []any{
				map[string]any{"type": "send", "time": 4.1, "opcode": 2, "data": b64(hunt13MQTTConnect("client1", "bob", h.canary("MQTT CONNECT password in a binary WebSocket message")))},
			},
		},
		{
			method: "POST", url: "https://api.example/auth.v1.Auth/Refresh", reqMIME: "application/grpc-web-text",
			reqBody: b64(hunt13GRPCFrame(hunt13Proto(1, "rt-"+h.canary("gRPC-web text request, protobuf string field")))),
			status:  200, respMIME: "application/grpc-web-text+proto",
			respBody: b64(hunt13GRPCFrame(hunt13Proto(1, "at-"+h.canary("gRPC-web text answer, protobuf string field")))),
		},
		// Batch three: pairs under other member names, an environment
		// variable's key, XML named by attributes, a property list.
		{
			method: "POST", url: "https://cloudformation.us-east-1.amazonaws.com/", reqMIME: "application/x-amz-json-1.0",
			req:     [][2]string{{"X-Amz-Target", "CloudFormation_20100515.CreateStack"}},
			reqBody: `{"StackName":"app","Parameters":[{"ParameterKey":"Env","ParameterValue":"prod"},{"ParameterKey":"DbPassword","ParameterValue":"` + h.canary("CloudFormation ParameterValue under DbPassword") + `"}]}`,
			status:  200, respMIME: "application/json",
			respBody: `{"FunctionName":"app","Environment":{"Variables":{"STRIPE_KEY":"` + h.canary("Lambda environment STRIPE_KEY") + `","LOG_LEVEL":"debug"}},` +
				`"form":[{"field":"password","value":"` + h.canary("form builder field/value password") + `"}]}`,
		},
		{
			url: "https://config.example/app.xml", status: 200, respMIME: "application/xml",
			respBody: `<?xml version="1.0"?><!DOCTYPE properties SYSTEM "http://java.sun.com/dtd/properties.dtd"><properties><entry key="db.url">jdbc:postgresql://db/app</entry>` +
				`<entry key="db.password">` + h.canary("Java XML properties entry db.password") + `</entry></properties>`,
		},
		{
			url: "https://mdm.example/profiles/wifi.mobileconfig", status: 200, respMIME: "application/x-apple-aspen-config",
			respBody: `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>PayloadContent</key><array><dict><key>SSID_STR</key><string>corp</string>` +
				`<key>Password</key><string>` + h.canary("configuration profile plist Password") + `</string></dict></array></dict></plist>`,
		},
		// Batch four: tokens in paths after login and an API's tokens.
		{
			url: "https://app.example/login/" + h.canary("magic login link token in the path") + "x9", status: 302,
			resp: [][2]string{{"Location", "https://app.example/home"}},
		},
		{
			method: "DELETE", url: "https://api.example/v1/tokens/" + h.canary("API token revoked by its path") + "x9/revoke", status: 204,
		},
		{
			method: "POST", url: "https://api.example/login", reqMIME: "application/json",
			reqBody: "\ufeff" + `{"user":"bob","password":"` + h.canary("JSON with a byte order mark, password") + `"}`, status: 204,
		},
	}
}

// hunt13MQTTConnect is an MQTT 3.1.1 CONNECT packet with a user name and
// password.
func hunt13MQTTConnect(client, user, pass string) []byte {
	str := func(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }
	var v []byte
	v = append(v, str("MQTT")...)
	v = append(v, 4, 0xc2, 0, 60)
	v = append(v, str(client)...)
	v = append(v, str(user)...)
	v = append(v, str(pass)...)
	return append([]byte{0x10, byte(len(v))}, v...)
}

// hunt13Proto is a protobuf message of one string field.
func hunt13Proto(field int, s string) []byte {
	return append([]byte{byte(field<<3 | 2), byte(len(s))}, s...)
}

// hunt13GRPCFrame is a gRPC message frame (uncompressed).
func hunt13GRPCFrame(msg []byte) []byte {
	n := len(msg)
	return append([]byte{0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, msg...)
}

// hunt13HARExtras adds to the entry whose URL ends in /extras the members
// exporters add, and to each recording's log and first page theirs.
func (h *hunt) hunt13HARExtras(doc map[string]any) {
	log := doc["log"].(map[string]any)
	log["comment"] = "exported after refresh_token=" + h.canary("log.comment refresh_token=")
	if c, ok := log["creator"].(map[string]any); ok {
		c["comment"] = "session_token=" + h.canary("log.creator.comment session_token=")
	}
	if pages, ok := log["pages"].([]any); ok && len(pages) > 0 {
		p := pages[0].(map[string]any)
		p["comment"] = "https://app.example/cb?code=" + h.canary("pages[].comment code")
		if pt, ok := p["pageTimings"].(map[string]any); ok {
			pt["comment"] = "client_secret=" + h.canary("pageTimings.comment client_secret=")
		}
	}
	for _, e := range log["entries"].([]any) {
		e := e.(map[string]any)
		if !strings.HasSuffix(e["request"].(map[string]any)["url"].(string), "/extras") {
			continue
		}
		e["cache"] = map[string]any{"beforeRequest": map[string]any{"lastAccess": "2026-03-04T05:06:07Z", "eTag": "e1", "hitCount": 1,
			"comment": "access_token=" + h.canary("cache.beforeRequest.comment access_token=")}}
		e["timings"].(map[string]any)["comment"] = "Authorization: Bearer " + h.canary("timings.comment Authorization")
		e["_localStorage"] = map[string]any{"refresh_token": h.canary("exporter member, refresh_token under its name"),
			"auth": map[string]any{"password": h.canary("exporter member, nested password")}}
		e["_error"] = "net::ERR_ABORTED https://app.example/cb?code=" + h.canary("_error quoting a URL with a code")
		req := e["request"].(map[string]any)
		req["cookies"] = []any{map[string]any{"name": "sid", "value": "x", "comment": "sid=" + h.canary("cookies[].comment sid="),
			"path": "/", "domain": "app.example"}}
		resp := e["response"].(map[string]any)
		resp["content"].(map[string]any)["comment"] = "id_token=" + h.canary("content.comment id_token=")
	}
}

// hunt13SAZ adds sessions only a SAZ holds: a chunked answer of no secret
// whose trailer carries one, a header line without ':' under a name no
// rule knows, and session flags.
func (h *hunt) hunt13SAZ(t *testing.T, data []byte) []byte {
	t.Helper()
	members := sazContents(t, data)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	add := func(name string, b []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	for _, f := range zr.File {
		add(f.Name, members[f.Name])
	}
	body := `{"items":[]}`
	add("raw/901_c.txt", []byte("GET http://api.example/v1/items HTTP/1.1\r\nHost: api.example\r\nX-Upstream-Ctx "+
		h.canary("SAZ header line without a colon, unknown name")+"\r\n\r\n"))
	add("raw/901_s.txt", []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+
		strconv.FormatInt(int64(len(body)), 16)+"\r\n"+body+"\r\n0\r\nX-Refresh-Token: "+h.canary("SAZ chunked trailer after a body of no secret")+
		"\r\nX-Trace: ok\r\n\r\n"))
	add("raw/901_m.xml", []byte(`<?xml version="1.0" encoding="utf-8"?>
<Session SID="901" BitFlags="0">
  <SessionTimers ClientConnected="2026-01-02T03:04:05.0000000Z" ClientBeginRequest="2026-01-02T03:04:05.0010000Z" ClientDoneResponse="2026-01-02T03:04:05.0200000Z" />
  <SessionFlags>
    <SessionFlag N="x-clientip" V="127.0.0.1" />
    <SessionFlag N="ui-customcolumn" V="{&quot;password&quot;:&quot;`+h.canary("_m.xml flag holding JSON password")+`&quot;}" />
    <SessionFlag N="x-requestbody" V="grant_type=password&amp;username=bob&amp;password=`+h.canary("_m.xml flag holding a form password")+`" />
  </SessionFlags>
</Session>`))
	// Fiddler's log of the session's WebSocket messages: a binary MQTT
	// CONNECT and a text message.
	mqtt := hunt13MQTTConnect("c1", "bob", h.canary("SAZ WebSocket log, binary MQTT CONNECT password"))
	text := `{"op":"auth","access_token":"` + h.canary("SAZ WebSocket log, text message access_token") + `"}`
	add("raw/901_w.txt", []byte("Request-Length: "+strconv.Itoa(len(mqtt))+"\r\nID: 1\r\nBitFlags: 0\r\n\r\n"+string(mqtt)+"\r\n"+
		"Response-Length: "+strconv.Itoa(len(text))+"\r\nID: 2\r\nBitFlags: 0\r\n\r\n"+text+"\r\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// hunt13Files writes the thirteenth round's recordings: the edited HARs,
// their SAZ (plain, with sessions only a SAZ holds, and encoded) and
// captures (plain and with encoded bodies).
func (h *hunt) hunt13Files(t *testing.T) map[string]string {
	t.Helper()
	edits := h.hunt13Edits()
	files := h.huntEditFiles(t, hunt13Bases, edits, "hunt13", func(s []byte) []byte { return h.hunt13SAZ(t, s) })
	// The extras go into the HARs after the fact (they are no exchange
	// a SAZ or capture holds).
	var exs []leakcorpus.Exchange
	for _, name := range sortedNames(files) {
		if !strings.HasSuffix(name, ".har") {
			continue
		}
		raw, err := os.ReadFile(files[name])
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		for _, e := range doc["log"].(map[string]any)["entries"].([]any) {
			exs = append(exs, huntExchange(e.(map[string]any)))
		}
		if bytes.Contains(raw, []byte("/extras\"")) {
			h.hunt13HARExtras(doc)
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(files[name], b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	p, err := leakcorpus.PCAPEncoded(exs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(filepath.Dir(files["hunt13.pcap"]), "hunt13-encoded.pcap")
	if err := os.WriteFile(path, p, 0o644); err != nil {
		t.Fatal(err)
	}
	files["hunt13-encoded.pcap"] = path
	return files
}

var (
	hunt13JSEscape = regexp.MustCompile(`\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|/)`)
)

// deepLeaks is leaks, also after JavaScript's escapes are undone and
// inside text that base64 (any alphabet, up to two layers, with URL
// decodings between) hides.
func (h *hunt) deepLeaks(data []byte) []huntLeak {
	out := h.leaks(data)
	have := map[string]bool{}
	for _, l := range out {
		have[l.place] = true
	}
	more := func(ls []huntLeak, how string) {
		for _, l := range ls {
			if l.place != "" && !have[l.place] {
				have[l.place] = true
				out = append(out, huntLeak{l.place, l.msg + " (" + how + ")"})
			}
		}
	}
	s := string(data)
	if hunt13JSEscape.MatchString(s) {
		more(h.leaks([]byte(hunt13JSEscape.ReplaceAllStringFunc(s, func(m string) string {
			if m == `\/` {
				return "/"
			}
			v, _ := strconv.ParseUint(m[2:], 16, 32)
			return string(rune(v))
		}))), "JavaScript-unescaped")
	}
	var walk func(text string, depth int)
	walk = func(text string, depth int) {
		for _, variant := range []string{text, leakcorpus.LenientUnescape(text)} {
			for _, loc := range huntB64Runs(variant, 24) {
				run := strings.TrimRight(variant[loc[0]:loc[1]], "=")
				for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
					for skip := 0; skip < 4; skip++ {
						r := run[skip:]
						raw, err := enc.DecodeString(r[:len(r)/4*4])
						if err != nil || !utf8.Valid(raw) {
							continue
						}
						more(h.leaks(raw), fmt.Sprintf("%d base64 layers deep", depth))
						if depth < 2 {
							walk(string(raw), depth+1)
						}
					}
				}
			}
		}
	}
	walk(s, 1)
	return out
}

// hunt13HARRuns are the runs of each edited HAR.
var hunt13HARRuns = [][]string{{"scan", "-f", "json"}, {"scan", "--case", "-f", "markdown"}, {"events", "-f", "jsonl"},
	{"events", "--case", "-f", "json"}, {"exchanges", "-f", "json"}, {"exchanges", "-f", "table"}, {"compare", "-f", "json"}}

var (
	hunt13PendingReport = map[string]bool{}
	hunt13PendingCopy   = map[string]bool{}
)

// TestLeakHunt13: no canary of the thirteenth round shows in any output
// of any command and format.
func TestLeakHunt13(t *testing.T) {
	skipShortRepeat(t, "TestLeakHunt")
	t.Parallel() // see huntPass
	hunt13Pass(t).checkOutputs(t)
}

// TestLeakHunt13Redact: redact's and bundle's copies carry no canary of
// the thirteenth round, and every placement is in the input.
func TestLeakHunt13Redact(t *testing.T) {
	skipShortRepeat(t, "TestLeakHuntRedact")
	t.Parallel() // see huntPass
	hunt13Pass(t).checkCopies(t)
}

// hunt13Pass is the thirteenth round's hunt over its edited recordings.
func hunt13Pass(t *testing.T) huntPass {
	h := &hunt{}
	files := h.hunt13Files(t)
	return huntPass{h: h, files: files, encoded: "hunt13-encoded.saz", saz: "hunt13.saz", leaks: h.deepLeaks,
		harRuns: hunt13HARRuns, pendingReport: hunt13PendingReport, pendingCopy: hunt13PendingCopy}
}
