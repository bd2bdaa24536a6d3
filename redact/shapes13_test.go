package redact

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestShapes13: the thirteenth round's shapes, one by one: a script's
// literals written with escapes, a return URL encoded three times, a
// multipart part named in RFC 2231's form, a Set-Cookie's unknown
// attribute, a SAZ's chunked trailer behind a body of no secret, HAR
// members under secrets' names and a comment's header line.
func TestShapes13(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	page := `<script>location.replace("https:\u002F\u002Fapp.example\u002Fcb\u0023access_token\u003D` + v + `\u0026token_type\u003DBearer");` +
		`var u = 'https:\x2f\x2fapp.example\x2fcb?code\x3d` + v + `\x26state\x3dabc';` +
		`var c = JSON.parse('{\x22refresh_token\x22:\x22` + v + `\x22}');` +
		`var keep = "a\u003Db\u0026c\u003Dd", re = /\x3d/;</script>`
	got := r.text(page)
	if strings.Contains(got, v) {
		t.Errorf("an escaped literal kept its secret: %s", got)
	}
	for _, keep := range []string{`https:\u002F\u002Fapp.example\u002Fcb\u0023access_token\u003Dsha256%3A`, `\u0026token_type\u003DBearer"`,
		`'https:\x2f\x2fapp.example\x2fcb?code\x3dsha256%3A`, `\x26state\x3dsha256%3A`, `JSON.parse('{\x22refresh_token\x22:\x22sha256:`,
		`"a\u003Db\u0026c\u003Dd"`, `re = /\x3d/;`} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %s", keep, got)
		}
	}

	loc := "https://app.example/login?next=" + url.QueryEscape(url.QueryEscape(url.QueryEscape("/cb?code="+v+"&state=abc")))
	if got := r.header("Location", loc); strings.Contains(got, v) || !strings.Contains(got, "next=%25252Fcb%25253Fcode%25253Dsha256%2525253A") {
		t.Errorf("a return URL encoded three times: %s", got)
	}

	mp := "--b\r\nContent-Disposition: form-data; name*=UTF-8''client%5Fsecret\r\n\r\n" + v + "\r\n--b--\r\n"
	if got := r.multipart(mp); strings.Contains(got, v) {
		t.Errorf("a part named by name*= kept its secret: %s", got)
	}

	sc := r.header("Set-Cookie", "pref=1; Path=/; Partitioned; Priority=High; session_token="+v+"; SameSite=Lax; Max-Age=60")
	if strings.Contains(sc, v) || !strings.Contains(sc, "; Path=/; Partitioned; Priority=High; session_token=REDACTED-cookie-2; SameSite=Lax; Max-Age=60") {
		t.Errorf("a Set-Cookie's unknown attribute: %s", sc)
	}

	body := `{"items":[]}`
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nc\r\n" + body + "\r\n0\r\nX-Refresh-Token: " + v +
		"\r\nX-Trace: ok\r\n\r\n"
	if got := string(r.message([]byte(resp), false)); strings.Contains(got, v) || !strings.Contains(got, "c\r\n"+body+"\r\n0\r\nX-Refresh-Token: sha256:") ||
		!strings.HasSuffix(got, "\r\nX-Trace: ok\r\n\r\n") {
		t.Errorf("a chunked trailer behind a body of no secret: %q", got)
	}

	ent := `{"request":{"method":"GET","url":"https://a.example/","headers":[]},"response":{"status":200,"headers":[],"content":{"size":0}},` +
		`"_localStorage":{"refresh_token":"` + v + `","auth":{"password":"` + v + `"},"theme":"dark"},` +
		`"timings":{"send":1,"comment":"Authorization: Bearer ` + v + `"}}`
	if got := string(r.harEntry([]byte(ent))); strings.Contains(got, v) || !strings.Contains(got, `"theme":"dark"`) || !strings.Contains(got, `"comment":"Authorization: Bearer sha256:`) {
		t.Errorf("HAR members an exporter adds: %s", got)
	}
}

// TestShapes13Batch2: passwords under other languages' names, a device
// flow's camelCase userCode, a TOTP seed's names and the element showing
// it, CAS's ticket-granting ticket in a path, an href written in
// character references, a Server-Timing description, fields without
// names (gRPC, binary WebSocket messages).
func TestShapes13Batch2(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	form := "benutzer=bob&kennwort=" + v + "&" + url.QueryEscape("contraseña") + "=" + v + "&neues_passwort=" + v + "&" + url.QueryEscape("пароль") + "=" + v
	if got := r.pairs(form, 0); strings.Contains(got, v) || !strings.Contains(got, "benutzer=bob") {
		t.Errorf("passwords under other languages' names: %s", got)
	}
	if got, _ := r.json([]byte(`{"userCode":"` + v + `","manualEntryKey":"` + v + `","cacheEntryKey":"k1"}`)); strings.Contains(string(got), v) ||
		!strings.Contains(string(got), `"cacheEntryKey":"k1"`) {
		t.Errorf("a device flow's userCode, a TOTP manualEntryKey: %s", got)
	}
	page := `<p><span id="kc-totp-secret-key">MFXW 4ZLU MVZX EZLT</span></p><code class="client-secret">` + v + `</code>` +
		`<div class="password-hint">Use 8 characters or more</div><span class="token string">"abc123def"</span>`
	got := r.text(page)
	if strings.Contains(got, "MFXW 4ZLU") || strings.Contains(got, v) {
		t.Errorf("an element whose id or class names a secret kept its text: %s", got)
	}
	for _, keep := range []string{"Use 8 characters or more", `"abc123def"`} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %s", keep, got)
		}
	}
	if got := r.header("Location", "https://cas.example/cas/v1/tickets/TGT-1-"+v+"-cas01"); strings.Contains(got, v) || !strings.HasPrefix(got, "https://cas.example/cas/v1/tickets/sha256") {
		t.Errorf("a CAS ticket-granting ticket in a path: %s", got)
	}
	if got := r.header("Location", "https://cas.example/cas/v1/tickets/ST-Louis"); got != "https://cas.example/cas/v1/tickets/ST-Louis" {
		t.Errorf("a segment that is no ticket changed: %s", got)
	}
	href := `<a href="https&#x3a;&#x2f;&#x2f;app.example&#x2f;cb&#x3f;code&#x3d;` + v + `&#x26;lang&#x3d;de">x</a><a href="&#x2f;help&#x3f;q&#x3d;1">h</a>`
	if got := r.text(href); strings.Contains(got, v) || !strings.Contains(got, `href="https&#x3a;&#x2f;&#x2f;app.example&#x2f;cb&#x3f;code&#x3d;sha256`) ||
		!strings.Contains(got, `&#x26;lang&#x3d;de"`) || !strings.Contains(got, `<a href="&#x2f;help&#x3f;q&#x3d;1">`) {
		t.Errorf("an href written in character references: %s", got)
	}
	if got := r.header("Server-Timing", `auth;desc="token=`+v+`";dur=12, db;dur=3`); strings.Contains(got, v) || !strings.Contains(got, `auth;desc="token=sha256`) {
		t.Errorf("a Server-Timing description: %s", got)
	}
	grpc := "\x00\x00\x00\x00\x14\x0a\x12rt-" + v
	if got := string(r.body("application/grpc-web-text", []byte(grpc))); strings.Contains(got, v) || !strings.Contains(got, "application/grpc-web-text holds fields without names") {
		t.Errorf("a gRPC body: %q", got)
	}
	mqtt := base64.StdEncoding.EncodeToString([]byte("\x10\x20\x00\x04MQTT\x04\xc2\x00\x3c\x00\x03bob\x00\x10" + v))
	text := base64.StdEncoding.EncodeToString([]byte(`{"op":"ping"}`))
	ent := `{"request":{"method":"GET","url":"https://mq.example/mqtt","headers":[]},"response":{"status":101,"headers":[],"content":{"size":0}},` +
		`"_webSocketMessages":[{"type":"send","time":1,"opcode":2,"data":"` + mqtt + `"},{"type":"send","time":2,"opcode":2,"data":"` + text + `"}]}`
	if got := string(r.harEntry([]byte(ent))); strings.Contains(got, mqtt) || !strings.Contains(got, text) {
		t.Errorf("binary WebSocket messages: %s", got)
	}
	mq := "\x10\x20\x00\x04MQTT\x04\xc2\x00\x3c\x00\x03bob\x00\x10" + v
	js := `{"access_token":"` + v + `"}`
	wlog := "Request-Length: " + strconv.Itoa(len(mq)) + "\r\nID: 1\r\n\r\n" + mq + "\r\nResponse-Length: " + strconv.Itoa(len(js)) + "\r\nID: 2\r\n\r\n" + js + "\r\n"
	if got := string(r.sazMember("raw/7_w.txt", []byte(wlog))); strings.Contains(got, v) || !strings.Contains(got, "Request-Length: "+strconv.Itoa(len(binaryNote))+"\r\nID: 1") ||
		!strings.Contains(got, `{"access_token":"sha256:`) {
		t.Errorf("a SAZ's WebSocket log: %q", got)
	}
	if got := string(r.body("application/json+protobuf", []byte(`[["`+v+`"]]`))); !strings.Contains(got, v) {
		t.Errorf("a JSON mapping of protobuf was replaced: %q", got)
	}
}

// TestShapes13Batch3: a name/value pair under other member names
// (CloudFormation's ParameterKey/ParameterValue, field/value,
// label/text), an environment variable's *_KEY, an XML element named by
// its key or name attribute, a property list's key and string.
func TestShapes13Batch3(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	for _, in := range []string{
		`{"Parameters":[{"ParameterKey":"DbPassword","ParameterValue":"` + v + `"},{"ParameterKey":"Env","ParameterValue":"prod"}]}`,
		`{"field":"password","value":"` + v + `"}`,
		`{"label":"API key","text":"` + v + `"}`,
		`{"Environment":{"Variables":{"STRIPE_KEY":"` + v + `","SITE_KEY":"6Lc-public","LOG_LEVEL":"debug"}}}`,
	} {
		got, _ := r.json([]byte(in))
		if strings.Contains(string(got), v) {
			t.Errorf("kept its secret: %s", got)
		}
		for _, keep := range []string{`"ParameterValue":"prod"`, `"SITE_KEY":"6Lc-public"`, `"LOG_LEVEL":"debug"`} {
			if strings.Contains(in, keep) && !strings.Contains(string(got), keep) {
				t.Errorf("lost %s: %s", keep, got)
			}
		}
	}
	for _, in := range []string{
		`<properties><entry key="db.url">jdbc:x</entry><entry key="db.password">` + v + `</entry></properties>`,
		`<plist><dict><key>PayloadType</key><string>com.apple.wifi.managed</string><key>Password</key><string>` + v + `</string></dict></plist>`,
	} {
		got := r.text(in)
		if strings.Contains(got, v) || !strings.Contains(got, "jdbc:x") && !strings.Contains(got, "com.apple.wifi.managed") {
			t.Errorf("an XML value named by a key: %s", got)
		}
	}
	if got := r.text(`<button name="password-reset">Reset</button>`); !strings.Contains(got, ">Reset<") {
		t.Errorf("an HTML control's label changed: %s", got)
	}
}
