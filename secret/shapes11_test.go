package secret

import (
	"strings"
	"testing"
)

// TestSessionPath: a session's id as the path segment after "session" or
// "sessions" (a REST session resource, a WebDriver session) is hidden in
// reports' URLs; a GUID there stays, as a session id's GUID does
// everywhere, and so do words, dates, the segment after the id and the
// query.
func TestSessionPath(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	fp := Fingerprint(v)
	for _, tc := range []struct{ in, want string }{
		{"https://a.example/v2/sessions/" + v, "https://a.example/v2/sessions/" + fp},
		{"http://127.0.0.1:4444/session/" + v + "/url?x=1", "http://127.0.0.1:4444/session/" + fp + "/url?x=1"},
		{"https://a.example/Sessions/" + v + "/" + v, "https://a.example/Sessions/" + fp + "/" + v},
		{"https://a.example/sessions/0bc6d4d8-5b6d-4e2a-9a2f-0d8b2b2c8e61", "https://a.example/sessions/0bc6d4d8-5b6d-4e2a-9a2f-0d8b2b2c8e61"},
		{"https://a.example/sessions/current", "https://a.example/sessions/current"},
		{"https://a.example/sessions/2026-03-04", "https://a.example/sessions/2026-03-04"},
		{"https://a.example/api/session", "https://a.example/api/session"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q)\n got  %q\n want %q", tc.in, got, tc.want)
		}
	}
}

// TestPwAndAccessorNames: names ending in the word "pw" are passwords
// (PHP's PHP_AUTH_PW) and names ending in "accessor" credentials (Vault's
// accessor, wrapped_accessor); words that only end in those letters are
// neither.
func TestPwAndAccessorNames(t *testing.T) {
	for _, n := range []string{"PHP_AUTH_PW", "db_pw", "adminPw"} {
		if !PasswordName(n) || !IsCredentialName(n) {
			t.Errorf("%s: not a password's name", n)
		}
	}
	for _, n := range []string{"accessor", "wrapped_accessor", "secret_id_accessor", "tokenAccessor"} {
		if !IsCredentialName(n) {
			t.Errorf("%s: not a credential's name", n)
		}
	}
	for _, n := range []string{"pw", "npw", "cpw", "accessors_list", "predecessor", "PHP_AUTH_USER"} {
		if PasswordName(n) || IsCredentialName(n) {
			t.Errorf("%s: read as a credential's name", n)
		}
	}
}

// TestHmacAndKeyData: a request's hmac parameter is a secret, and a
// secret key's bytes under "<qualifier>-key-data" (a kubeconfig's
// client-key-data) too; a certificate's or a public key's data is not.
func TestHmacAndKeyData(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	if got := RedactURL("https://app.example/install?hmac=" + v + "&shop=s.example"); strings.Contains(got, v) || !strings.HasSuffix(got, "&shop=s.example") {
		t.Errorf("hmac: %s", got)
	}
	for _, n := range []string{"client-key-data", "clientKeyData", "signing_key_data"} {
		if !KeyName(n) {
			t.Errorf("%s: not a key's name", n)
		}
	}
	for _, n := range []string{"client-certificate-data", "publicKeyData", "keydata"} {
		if KeyName(n) {
			t.Errorf("%s: read as a secret key's name", n)
		}
	}
}

// TestWebhookPaths: a webhook's token after "webhooks" and every token
// segment on a hooks.… host are hidden; ids of digits stay.
func TestWebhookPaths(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	fp := Fingerprint(v)
	for _, tc := range []struct{ in, want string }{
		{"https://d.example/api/webhooks/1234567890123/" + v, "https://d.example/api/webhooks/1234567890123/" + fp},
		{"https://hooks.slack.com/services/T024BE7LD/" + v, "https://hooks.slack.com/services/" + Fingerprint("T024BE7LD") + "/" + fp},
		{"https://a.example/docs/webhooks/setup", "https://a.example/docs/webhooks/setup"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q)\n got  %q\n want %q", tc.in, got, tc.want)
		}
	}
}

// TestBotTokenPaths: a bot API's token in the URL path ("bot<id>:<secret>",
// Telegram's Bot API) is hidden from its id on in reports and copies; the
// method after it and look-alikes stay.
func TestBotTokenPaths(t *testing.T) {
	const tok = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	fp := Fingerprint(tok)
	for _, tc := range []struct{ in, want string }{
		{"https://api.telegram.org/bot" + tok + "/sendMessage?chat_id=42", "https://api.telegram.org/bot" + fp + "/sendMessage?chat_id=42"},
		{"https://api.telegram.org/file/bot" + tok + "/photos/file_1.jpg", "https://api.telegram.org/file/bot" + fp + "/photos/file_1.jpg"},
		{"https://a.example/bots/123/settings", "https://a.example/bots/123/settings"},
		{"https://a.example/robots.txt", "https://a.example/robots.txt"},
		{"https://a.example/bot12:short/x", "https://a.example/bot12:short/x"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q)\n got  %q\n want %q", tc.in, got, tc.want)
		}
		var seen []string
		OneTimePath(tc.in, func(seg string) string { seen = append(seen, seg); return "X" })
		if (len(seen) > 0) != (tc.in != tc.want) {
			t.Errorf("OneTimePath(%q) rewrote %q", tc.in, seen)
		}
	}
}
