package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

// The twelfth round's shapes (cmd/traceaudit's hunt_real_test.go places
// them in real recordings); each test plants v and asserts it is gone and
// what support reads stays.

// TestStoreShapes12: an SSM SecureString parameter's Value, a Spring Cloud
// Config property source read from Vault, and a Vault answer written as
// YAML lose their values; a String parameter, a classpath source, a KV
// version 2 answer's metadata and the keys of key/value pairs stay.
func TestStoreShapes12(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	for _, tc := range []struct {
		mt, in string
		keep   []string
	}{
		{"application/x-amz-json-1.1", `{"Parameters":[{"Name":"/prod/app/endpoint","Type":"String","Value":"https://api.example","Version":1},` +
			`{"Name":"/prod/app/stripe","Type":"SecureString","Value":"` + v + `","Version":2}]}`,
			[]string{`"Value":"https://api.example"`, `"Name":"/prod/app/stripe"`, `"Type":"SecureString"`, `"Version":2`}},
		{"application/json", `{"name":"app","propertySources":[{"name":"vault:app/prod","source":{"stripe.webhook":"` + v + `"}},` +
			`{"name":"classpath:/application.yml","source":{"server.port":"8080"}}]}`,
			[]string{`"name":"vault:app/prod"`, `"stripe.webhook":`, `"server.port":"8080"`}},
		{"application/x-yaml", "request_id: r-1\nlease_duration: 0\nrenewable: false\ndata:\n  data:\n    db_url: " + v + "\n  metadata:\n    created_time: \"2026-03-04T05:06:07Z\"\n    version: 3\n",
			[]string{"request_id: r-1", "db_url: ", "created_time: \"2026-03-04T05:06:07Z\"", "version: 3"}},
		// A key/value pair's key is its name, not an API key.
		{"application/json", `{"items":[{"key":"Db:Host","value":"db.example"},{"key":"Db:Password","value":"` + v + `"},{"key":"refresh_token","value":"` + v + `"}]}`,
			[]string{`"key":"Db:Host","value":"db.example"`, `"key":"Db:Password"`, `"key":"refresh_token"`}},
	} {
		got := string(r.body(tc.mt, []byte(tc.in)))
		if strings.Contains(got, v) {
			t.Errorf("a secret survived: %s", got)
		}
		for _, k := range tc.keep {
			if !strings.Contains(got, k) {
				t.Errorf("lost %s: %s", k, got)
			}
		}
	}
	// A YAML text of no Vault answer keeps a plain name's value.
	in := "data:\n  db_url: db.example\n"
	if got := string(r.body("application/x-yaml", []byte(in))); got != in {
		t.Errorf("%q changed: %q", in, got)
	}
}

// TestMarkupShapes12: a table whose header row is written with <td>, a
// row placed by colspan, an input named only by its id, JSON a page
// prints HTML-escaped, a cloud service's <Setting> elements.
func TestMarkupShapes12(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	for _, tc := range []struct {
		in   string
		keep []string
	}{
		{`<table><tr><td>Name</td><td>Client secret</td><td>Created</td></tr><tr><td>app1</td><td>` + v + `</td><td>2026-03-04</td></tr></table>`,
			[]string{"<td>Name</td><td>Client secret</td><td>Created</td>", "<td>app1</td>", "<td>2026-03-04</td>"}},
		{`<table><thead><tr><td>Client secret</td><td>Created</td></tr></thead><tr><td>` + v + `</td><td>2026-03-04</td></tr></table>`,
			[]string{"<td>2026-03-04</td>"}},
		{`<table><tr><th>Name</th><th>Description</th><th>Client secret</th><th>Expires</th></tr>` +
			`<tr><td colspan="2">legacy</td><td>` + v + `</td><td>never</td></tr></table>`,
			[]string{`<td colspan="2">legacy</td>`, "<td>never</td>"}},
		{`<table><tr><th colspan=2>Client secret</th><th>Expires</th></tr><tr><td>a</td><td>` + v + `</td><td>never</td></tr></table>`,
			[]string{"<td>never</td>"}},
		{`<label for="kc-client-secret">Client secret</label><input type="text" id="kc-client-secret" readonly value="` + v + `">` +
			`<input id="display-name" value="My app">`,
			[]string{`value="My app"`}},
		{`<pre>{&quot;client_id&quot;: &quot;app-1&quot;, &quot;client_secret&quot;: &quot;` + v + `&quot;}</pre>` +
			`<p>{&#34;refresh_token&#34;:&#34;` + v + `&#34;,&#34;scope&#34;:&#34;openid&#34;}</p>`,
			[]string{"&quot;client_id&quot;: &quot;app-1&quot;", "&quot;client_secret&quot;: &quot;", "&#34;scope&#34;:&#34;openid&#34;"}},
		{`<Setting name="ClientSecret" value="` + v + `" /><Setting name="Storage" value="DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=` + v + `" />` +
			`<Setting name="Region" value="westeurope" />`,
			[]string{`<Setting name="ClientSecret" value="`, "AccountName=acct", `value="westeurope"`}},
	} {
		got := r.text(tc.in)
		if strings.Contains(got, v) {
			t.Errorf("a secret survived: %s", got)
		}
		for _, k := range tc.keep {
			if !strings.Contains(got, k) {
				t.Errorf("lost %s: %s", k, got)
			}
		}
	}
	// A table whose first row is a label and its value (phpinfo's
	// environment) is no header row: the labels below stay.
	in := `<table><tr><td class="e">DB_PASSWORD</td><td class="v">` + v + `</td></tr><tr><td class="e">STRIPE_API_KEY</td><td class="v">x</td></tr></table>`
	if got := r.columnCells(in); !strings.Contains(got, "STRIPE_API_KEY") {
		t.Errorf("a label row was read as a header row: %s", got)
	}
}

// TestWireShapes12: a Kerberos or SPNEGO token in a challenge, S3's
// customer key, a cookie without a name, a header line without a ':'.
func TestWireShapes12(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	b64 := base64.StdEncoding.EncodeToString([]byte("\x6f\x81" + v))
	r := newRedactor(Options{})
	for _, tc := range []struct{ name, in, keep string }{
		{"WWW-Authenticate", "Kerberos " + b64, "Kerberos "},
		{"Proxy-Authenticate", "Negotiate " + b64 + ", NTLM", "Negotiate "},
		{"WWW-Authenticate", `Bearer realm="api", error="invalid_token", error_description="expired"`, `error="invalid_token", error_description="expired"`},
		{"x-amz-server-side-encryption-customer-key", b64, ""},
		{"Set-Cookie", v + "; Path=/; Secure", "; Path=/; Secure"},
		{"Cookie", v + "; theme=dark", "theme="},
	} {
		got := r.header(tc.name, tc.in)
		if strings.Contains(got, v) || strings.Contains(got, b64) {
			t.Errorf("%s: a secret survived: %s", tc.name, got)
		}
		if !strings.Contains(got, tc.keep) {
			t.Errorf("%s: lost %q: %s", tc.name, tc.keep, got)
		}
	}
	if got := r.header("WWW-Authenticate", `Basic realm="proxy"`); got != `Basic realm="proxy"` {
		t.Errorf("a challenge without a token changed: %s", got)
	}
	// A line after a name no rule knows is masked (the thirteenth
	// round: "X-Upstream-Ctx <secret>"), its name kept.
	msg := "GET /x HTTP/1.1\r\nHost: a\r\nAuthorization Bearer " + v + "\r\nX-Api-Key " + v + "\r\nmangled line\r\nX-Upstream-Ctx " + v + "\r\n\r\n"
	if got := string(r.message([]byte(msg), true)); strings.Contains(got, v) || !strings.Contains(got, "Authorization Bearer sha256:") ||
		!strings.Contains(got, "mangled REDACTED-value-1") || !strings.Contains(got, "X-Upstream-Ctx REDACTED-value-2") {
		t.Errorf("a header line without a ':' kept its secret: %q", got)
	}
}

// TestDataURLs: a data: URL's payload is redacted as a body of its type,
// base64 or percent-encoded; an image's stays as it is.
func TestDataURLs(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	js := base64.StdEncoding.EncodeToString([]byte(`{"client_id":"app-1","client_secret":"` + v + `"}`))
	got := r.text(`<a href="data:application/json;base64,` + js + `">x</a><a href="data:,api_key%3D` + v + `">y</a>` +
		`<img src="data:image/png;base64,iVBORw0KGgo=">metadata:x,y`)
	if strings.Contains(got, v) || strings.Contains(got, js) {
		t.Errorf("a secret survived: %s", got)
	}
	for _, k := range []string{"data:application/json;base64,", "data:,api_key%3D", "data:image/png;base64,iVBORw0KGgo=", "metadata:x,y"} {
		if !strings.Contains(got, k) {
			t.Errorf("lost %s: %s", k, got)
		}
	}
	i := strings.Index(got, "base64,") + len("base64,")
	dec, err := base64.StdEncoding.DecodeString(got[i : strings.IndexByte(got[i:], '"')+i])
	if err != nil || !strings.Contains(string(dec), `"client_id":"app-1"`) {
		t.Errorf("the payload is no longer its JSON: %q (%v)", dec, err)
	}
}

// FuzzShapes12: the twelfth round's scanners never panic, leave a text
// without their marks as it was, and never let a planted value through.
func FuzzShapes12(f *testing.F) {
	for _, s := range []string{"", "data:", "data:,", "data:;base64,", "&quot;a&quot;:&quot;", "&#34;x&#34;: &#34;", "<td colspan=", "<th colspan='99999'>",
		"Negotiate ", "kerberos a,", "<table><tr><td>a</td><td>API key</td></tr>"} {
		f.Add(s)
	}
	const marker = "Mk7Qz2Wv9Rx4Tb8Yn5"
	f.Fuzz(func(t *testing.T, s string) {
		r := newRedactor(Options{})
		if got := r.dataURLs(s); !strings.Contains(s, "data:") && got != s {
			t.Fatalf("dataURLs(%q) = %q", s, got)
		}
		if got := r.escapedPairs(s); !strings.Contains(s, "&") && got != s {
			t.Fatalf("escapedPairs(%q) = %q", s, got)
		}
		r.authChallenges(s)
		if n := colspan(s); n < 1 || n > 64 {
			t.Fatalf("colspan(%q) = %d, out of 1 to 64", s, n)
		}
		for _, planted := range []string{
			s + `<a href="data:application/json;base64,` + base64.StdEncoding.EncodeToString([]byte(`{"access_token":"`+marker+`"}`)) + `">`,
			s + "\n<pre>{&quot;client_secret&quot;:&quot;" + marker + "&quot;}</pre>",
			s + "\n</table><table><tr><td>Name</td><td>API key</td></tr><tr><td>a</td><td>" + marker + "</td></tr></table>",
		} {
			if out := r.text(planted); strings.Contains(out, marker) {
				t.Fatalf("text(%q) = %q: the value survived", planted, out)
			}
		}
	})
}
