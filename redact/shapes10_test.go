package redact

import (
	"net/url"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/secret"
)

// TestKeysAndConnectionStrings: what the Azure portal's calls answer —
// listKeys' {"keyName", "value"} objects, key1/key2, primary and master
// keys, app settings holding storage, SQL, Service Bus and Redis
// connection strings — loses its keys and passwords and keeps every
// endpoint, name and option.
func TestKeysAndConnectionStrings(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	in := `{"keys":[{"keyName":"key1","value":"` + v + `1","permissions":"FULL"}],"key2":"` + v + `2","primaryMasterKey":"` + v + `3",` +
		`"functionKeys":{"default":"` + v + `4"},"s":"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=` + v + `5;EndpointSuffix=core.windows.net",` +
		`"q":"Server=tcp:db.example,1433;Initial Catalog=d;User ID=bob;Password=` + v + `6;Encrypt=True;",` +
		`"b":"Endpoint=sb://ns.example/;SharedAccessKeyName=Root;SharedAccessKey=` + v + `7","r":"cache.example:6380,password=` + v + `8,ssl=True"}`
	got := string(r.body("application/json", []byte(in)))
	if strings.Contains(got, v) {
		t.Errorf("a key survived: %s", got)
	}
	for _, keep := range []string{`"keyName":"key1"`, `"permissions":"FULL"`, "AccountName=acct;", ";EndpointSuffix=core.windows.net", "Server=tcp:db.example,1433;Initial Catalog=d;User ID=bob;",
		";Encrypt=True;", "Endpoint=sb://ns.example/;SharedAccessKeyName=Root;", "cache.example:6380,", ",ssl=True"} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %s", keep, got)
		}
	}
}

// TestHeadersURLsAndPasswordFields: a secret key header under a name of
// no credential word, a URL inside a Link header or an error's text, pairs
// after a ';' in a query, and a password field's value under any name.
func TestHeadersURLsAndPasswordFields(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	fp := secret.Fingerprint(v)
	qfp := url.QueryEscape(fp) // a copy escapes a fingerprint in a query
	if got := r.header("x-functions-key", v); got != fp {
		t.Errorf("x-functions-key: %q", got)
	}
	if got := r.header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="); got != "dGhlIHNhbXBsZSBub25jZQ==" {
		t.Errorf("Sec-WebSocket-Key changed: %q", got)
	}
	if got := r.header("Link", `<https://a.example/n?access_token=`+v+`&p=2>; rel="next"`); got != `<https://a.example/n?access_token=`+qfp+`&p=2>; rel="next"` {
		t.Errorf("Link: %q", got)
	}
	body := string(r.body("application/json", []byte(`{"message":"GET https://a.example/i?access_token=`+v+`&x=1 was refused"}`)))
	if strings.Contains(body, v) || !strings.Contains(body, "&x=1 was refused") {
		t.Errorf("URL in an error's text: %s", body)
	}
	if got := r.url("https://a.example/cb?x=1;code="+v+"&y=2", 0); got != "https://a.example/cb?x=1;code="+qfp+"&y=2" {
		t.Errorf("';' pairs: %q", got)
	}
	if got := r.url("https://a.example/cb?code%3D"+v+"%26y%3D2", 0); strings.Contains(got, v) || !strings.Contains(got, "%26y%3D2") {
		t.Errorf("pairs encoded whole: %q", got)
	}
	page := string(r.body("text/html", []byte(`<input type="password" name="pw1" value="`+v+`"><input type="text" name="nick" value="bob">`)))
	if strings.Contains(page, v) || !strings.Contains(page, `value="bob"`) {
		t.Errorf("password field: %s", page)
	}
}

// TestSecretStoresAndPrivateKeys: a secret store's answer loses its value
// (Key Vault's "value" beside a /secrets/ id, Google Secret Manager's
// payload) and keeps its id and attributes; a PEM private key loses what
// its armor holds, in JSON and in text; a publish profile's userPWD and
// names ending in pass or Pwd are masked (the user name is, as ever).
func TestSecretStoresAndPrivateKeys(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	kv := string(r.body("application/json", []byte(`{"value":"`+v+`1","id":"https://kv.vault.azure.net/secrets/db/1","attributes":{"enabled":true}}`)))
	gsm := string(r.body("application/json", []byte(`{"name":"projects/1/secrets/db/versions/3","payload":{"data":"`+v+`2"}}`)))
	plain := string(r.body("application/json", []byte(`{"value":"`+v+`3","id":"https://kv.vault.azure.net/keys/k/1"}`)))
	pem := string(r.body("application/json", []byte(`{"pem":"-----BEGIN PRIVATE KEY-----\nMIIEv`+v+`4\n-----END PRIVATE KEY-----\n","db_pass":"`+v+`5"}`)))
	text := string(r.body("text/plain", []byte("key:\n-----BEGIN EC PRIVATE KEY-----\nMHcC"+v+"6\n-----END EC PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB"+v+"7\n-----END CERTIFICATE-----\n")))
	xml := string(r.body("application/xml", []byte(`<publishProfile userName="$app" userPWD="`+v+`8" publishUrl="app.example:443"/>`)))
	for _, out := range []string{kv, gsm, pem, text, xml} {
		for _, i := range []string{"1", "2", "4", "5", "6", "8"} {
			if strings.Contains(out, v+i) {
				t.Errorf("secret %s survived: %s", i, out)
			}
		}
	}
	for _, c := range []struct{ out, keep string }{{kv, `"id":"https://kv.vault.azure.net/secrets/db/1"`}, {kv, `"enabled":true`},
		{gsm, `"name":"projects/1/secrets/db/versions/3"`}, {plain, v + "3"}, {pem, "-----BEGIN PRIVATE KEY-----\\n"}, {pem, "\\n-----END PRIVATE KEY-----"},
		{text, "-----BEGIN EC PRIVATE KEY-----\n"}, {text, "MIIB" + v + "7"}, {xml, `publishUrl="app.example:443"`}} {
		if !strings.Contains(c.out, c.keep) {
			t.Errorf("lost %q: %s", c.keep, c.out)
		}
	}
}

// FuzzPrivateKeys: privateKeys never panics, changes no text that holds no
// private key block, and a key planted after any text never survives.
func FuzzPrivateKeys(f *testing.F) {
	for _, s := range []string{"", "-----BEGIN PRIVATE KEY-----", "-----BEGIN -----END ", "a-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----b",
		"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQ\n-----END"} {
		f.Add(s)
	}
	const marker = "Mk7Qz2Wv9Rx4Tb8Yn5"
	f.Fuzz(func(t *testing.T, s string) {
		r := newRedactor(Options{})
		got := r.privateKeys(s)
		if !strings.Contains(s, "PRIVATE KEY") && got != s {
			t.Fatalf("privateKeys(%q) = %q: changed a text without a key", s, got)
		}
		planted := s + "\n-----BEGIN PRIVATE KEY-----\n" + marker + "\n-----END PRIVATE KEY-----\n"
		if out := r.privateKeys(planted); strings.Contains(out, marker) {
			t.Fatalf("privateKeys(%q) = %q: the key survived", planted, out)
		}
	})
}

// TestOneTimePathAndUserNameInCopies: the copy hides a one-time link's
// path token and a URL's user name alone as reports do.
func TestOneTimePathAndUserNameInCopies(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	if got := r.header("Location", "https://a.example/auth/magic-link/"+v+"/confirm?x=1"); got != "https://a.example/auth/magic-link/"+secret.Fingerprint(v)+"/confirm?x=1" {
		t.Errorf("magic link: %q", got)
	}
	if got := r.header("Location", "https://"+v+"@git.example/o/r.git"); got != "https://REDACTED-value-1@git.example/o/r.git" {
		t.Errorf("user name: %q", got)
	}
	// A password is masked whatever it reads as, one mask per value.
	for _, c := range [][2]string{{"https://bob:" + v + "@git.example/", "https://bob:REDACTED-password-1@git.example/"},
		{"https://eve:secret@git.example/", "https://eve:REDACTED-password-2@git.example/"},
		{"https://bob:" + url.QueryEscape(v) + "@h.example/", "https://bob:REDACTED-password-1@h.example/"},
		{"https://bob:%5Bredacted%5D@git.example/", "https://bob:%5Bredacted%5D@git.example/"}, // an older copy's
		{"https://bob:REDACTED-password-9@git.example/", "https://bob:REDACTED-password-9@git.example/"}} {
		if got := r.header("Location", c[0]); got != c[1] {
			t.Errorf("%s: %q, want %q", c[0], got, c[1])
		}
	}
	if got := r.header("Location", "https://a.example/invite/accept"); got != "https://a.example/invite/accept" {
		t.Errorf("a word after invite changed: %q", got)
	}
}

// TestFieldLines: an error page that prints the request's headers and a
// configuration as "Name: value" lines loses their credentials; other
// lines, a script's object members, quoted values and Fiddler's
// "SessionID: empty" stay.
func TestFieldLines(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	in := "<pre>Host: app.example\nAuthorization: Bearer " + v + "1\r\nCookie: sid=" + v + "2; a=1\nX-Api-Key: " + v + "3</pre>\n" +
		"  client_secret: " + v + "4\n  password: " + v + "5\nSessionID: empty\n  password: pwd.value(),\nmode: fast\n"
	got := r.fieldLines(in)
	for _, i := range []string{"1", "2", "3", "4", "5"} {
		if strings.Contains(got, v+i) {
			t.Errorf("secret %s survived: %q", i, got)
		}
	}
	for _, keep := range []string{"Host: app.example\n", "Authorization: Bearer ", "</pre>\n", "SessionID: empty\n", "  password: pwd.value(),\n", "mode: fast\n", "\r\nCookie: sid="} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %q", keep, got)
		}
	}
}

// FuzzFieldLines: fieldLines never panics, changes no text without a
// ':' or '=', and an Authorization line planted after any text never
// keeps its credential.
func FuzzFieldLines(f *testing.F) {
	for _, s := range []string{"", "a: b", "\n\n:", "Authorization:", "Cookie: a=1;b\r\n", "password:  <x", "DB_PASSWORD=x1y2z3",
		"[PHP_AUTH_PW] => a1", "[\"DB_PASSWORD\"]=>\n  string(2) \"a1\"", "[\"x\"]=&gt;\n", "export A_TOKEN=b"} {
		f.Add(s)
	}
	const marker = "Mk7Qz2Wv9Rx4Tb8Yn5"
	f.Fuzz(func(t *testing.T, s string) {
		r := newRedactor(Options{})
		if got := r.fieldLines(s); !strings.ContainsAny(s, ":=") && got != s {
			t.Fatalf("fieldLines(%q) = %q: changed a text without a field", s, got)
		}
		planted := s + "\nAuthorization: Bearer " + marker + "\n"
		if out := r.fieldLines(planted); strings.Contains(out, marker) {
			t.Fatalf("fieldLines(%q) = %q: the credential survived", planted, out)
		}
	})
}
