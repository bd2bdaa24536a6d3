package redact

import (
	"strings"
	"testing"
)

// TestSecretStoreAnswers: a Vault answer's data (KV version 1 and 2,
// dynamic credentials) and a Kubernetes Secret's data lose every value,
// whatever its member's name; what describes them stays: a KV version 2
// answer's metadata, request and lease ids, lease durations, a Secret's
// metadata and type.
func TestSecretStoreAnswers(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	for _, tc := range []struct {
		in   string
		keep []string
	}{
		{`{"request_id":"8d7c6b5a-1f2e-4d3c-9b8a-7f6e5d4c3b2a","lease_id":"","renewable":false,"lease_duration":0,` +
			`"data":{"data":{"webhook":"https://hooks.example/T0/B0/` + v + `","port":5432},"metadata":{"created_time":"2026-03-04T05:06:07Z","version":3}},"wrap_info":null}`,
			[]string{`"request_id":"8d7c6b5a-1f2e-4d3c-9b8a-7f6e5d4c3b2a"`, `"created_time":"2026-03-04T05:06:07Z"`, `"version":3`, `"lease_duration":0`}},
		{`{"request_id":"r1","lease_id":"database/creds/ro/IQKUMCTg3M5QTRZ0abmLKjTX","renewable":true,"lease_duration":3600,"data":{"username":"v-ro-x1","password":"` + v + `"}}`,
			[]string{`"lease_id":"database/creds/ro/IQKUMCTg3M5QTRZ0abmLKjTX"`, `"lease_duration":3600`}},
		{`{"kind":"Secret","apiVersion":"v1","metadata":{"name":"app","namespace":"prod"},"data":{"tls.key":"` + v + `"},"type":"kubernetes.io/tls"}`,
			[]string{`"metadata":{"name":"app","namespace":"prod"}`, `"type":"kubernetes.io/tls"`}},
		{`{"items":[{"metadata":{"name":"db"},"data":{"url":"` + v + `"},"type":"Opaque"}]}`, []string{`"metadata":{"name":"db"}`}},
	} {
		got := string(r.body("application/json", []byte(tc.in)))
		if strings.Contains(got, v) {
			t.Errorf("a secret survived: %s", got)
		}
		for _, k := range tc.keep {
			if !strings.Contains(got, k) {
				t.Errorf("lost %s: %s", k, got)
			}
		}
	}
	// An object that only looks like one keeps its data: no lease, no
	// Secret type.
	for _, in := range []string{`{"renewable":true,"data":{"name":"bob"}}`, `{"type":"user","data":{"name":"bob"}}`} {
		if got := string(r.body("application/json", []byte(in))); got != in {
			t.Errorf("%s changed: %s", in, got)
		}
	}
}

// TestSecretStoreRequests: a request to a secret store gives it a value:
// {"value"} to Key Vault's /secrets/<name>, any body under a Vault token.
// Other requests' "value" members stay.
func TestSecretStoreRequests(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	for _, tc := range []struct {
		url   string
		vault bool
		in    string
		leaks bool
	}{
		{"https://kv1.vault.azure.net/secrets/dbpw?api-version=7.4", false, `{"value":"` + v + `","contentType":"text/plain"}`, false},
		{"https://secretmanager.googleapis.com/v1/projects/p/secrets/db:addVersion", false, `{"payload":{"data":"` + v + `"}}`, false},
		{"http://vault.example:8200/v1/secret/data/app", true, `{"data":{"anything":"` + v + `"},"options":{"cas":1}}`, false},
		{"https://api.example/v1/settings", false, `{"value":"` + v + `"}`, true},
		{"https://kv1.vault.azure.net/secrets?api-version=7.4", false, `{"value":"` + v + `"}`, true},
	} {
		r := newRedactor(Options{})
		r.storeRequest = storeRequestKind(tc.url, tc.vault)
		got := string(r.body("application/json", []byte(tc.in)))
		if strings.Contains(got, v) != tc.leaks {
			t.Errorf("%s: %s", tc.url, got)
		}
		if strings.Contains(tc.in, "contentType") && !strings.Contains(got, `"contentType":"text/plain"`) {
			t.Errorf("%s: lost the content type: %s", tc.url, got)
		}
	}
}

// TestLabelledValues: table cells and definitions after a label naming a
// secret, dumps' lines and environment lines lose their value; a label
// that names none, the labels themselves, a header row and the rest of
// the page stay.
func TestLabelledValues(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	page := `<table><tr class="h"><th>Variable</th><th>Value</th></tr>` +
		`<tr><td class="e">mysqli.default_pw</td><td class="v">` + v + `1</td><td class="v">` + v + `2</td></tr>` +
		`<tr><td class="e">session.name</td><td class="v">PHPSESSID</td><td class="v">PHPSESSID</td></tr>` +
		`<tr><td class="e">$_SERVER['REQUEST_URI']</td><td class="v">/info.php?x=1</td></tr>` +
		`<tr><td class="e">$_COOKIE['theme']</td><td class="v">dark</td></tr>` +
		`<tr><td>HTTP_AUTHORIZATION</td><td><pre>&#x27;Bearer ` + v + `3&#x27;</pre></td></tr>` +
		`<tr><td>Token</td><td>Expires</td></tr></table>` +
		`<dl><dt>Client ID</dt><dd>app-1</dd><dt>Client secret:</dt><dd><code>` + v + `4</code></dd><dd>` + v + `5</dd><dt>Scopes</dt><dd>openid</dd></dl>` +
		"<pre>\n    [PHP_AUTH_PW] => " + v + "6\n    [HTTP_HOST] => app.example\n</pre>\n" +
		"<pre>\n  [\"DB_PASSWORD\"]=&gt;\n  string(17) \"" + v + "7\"\n  [\"HOME\"]=&gt;\n  string(4) \"/srv\"\n</pre>\n" +
		"DB_PASSWORD=" + v + "8\nDB_HOST=db.example\nLOG_LEVEL=debug\n"
	got := r.text(page)
	if strings.Contains(got, v) {
		t.Errorf("a value survived: %s", got)
	}
	for _, keep := range []string{`<th>Variable</th><th>Value</th>`, `<td class="v">PHPSESSID</td><td class="v">PHPSESSID</td>`,
		`<td class="v">/info.php?x=1</td>`, `<dd>app-1</dd>`, `<dd>openid</dd>`, `$_SERVER['REQUEST_URI']`, "[HTTP_HOST] => app.example",
		`string(4) "/srv"`, "DB_HOST=db.example", "LOG_LEVEL=debug", "Bearer sha256:"} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %s", keep, got)
		}
	}
	if strings.Contains(got, `<td class="v">dark</td>`) {
		t.Errorf("a cookie's value in $_COOKIE stayed: %s", got)
	}
}

// TestEventNamesAndMetaHeaders: a server-sent event's data under an event
// named like a secret, a <meta http-equiv="Set-Cookie">, a session's id
// in JSON, a GraphQL variables' code; other events, metas, ids and an
// answer's nested error code stay.
func TestEventNamesAndMetaHeaders(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	got := string(r.body("text/event-stream", []byte("event: token\ndata: "+v+"1\n\nevent: progress\ndata: 42 percent\n\ndata: "+v+"z\n")))
	if strings.Contains(got, v+"1") || !strings.Contains(got, "data: 42 percent") || !strings.Contains(got, "data: "+v+"z") {
		t.Errorf("event stream: %s", got)
	}
	got = r.text(`<meta http-equiv="Set-Cookie" content="sid=` + v + `2; path=/"><meta http-equiv="refresh" content="5">`)
	if strings.Contains(got, v) || !strings.Contains(got, `<meta http-equiv="refresh" content="5">`) {
		t.Errorf("meta: %s", got)
	}
	got = string(r.body("application/json", []byte(`{"session":{"id":"`+v+`3","expires":3600},"user":{"id":"u-12345678"},`+
		`"variables":{"code":"`+v+`4"},"error":{"code":"InvalidAuthenticationToken"}}`)))
	for _, keep := range []string{`"user":{"id":"u-12345678"}`, `"code":"InvalidAuthenticationToken"`, `"expires":3600`} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %s: %s", keep, got)
		}
	}
	if strings.Contains(got, v) {
		t.Errorf("JSON: %s", got)
	}
}

// FuzzLabelCells: labelCells and columnCells never panic, change no text
// without a cell (a header cell), and a phpinfo() row or a column under an
// "API key" header planted after any text never keeps its value.
func FuzzLabelCells(f *testing.F) {
	for _, s := range []string{"", "<td>", "<tr><td>password</td><td>", "<dt>Client secret</dt><dd><pre>'x'</pre>", "<table><tr><td>a</td></tr>",
		"<th>API key</th><td><td><td>", "</td></th></dt></dd>"} {
		f.Add(s)
	}
	const marker = "Mk7Qz2Wv9Rx4Tb8Yn5"
	f.Fuzz(func(t *testing.T, s string) {
		r := newRedactor(Options{})
		if got := r.labelCells(s); !strings.Contains(strings.ToLower(s), "<t") && !strings.Contains(strings.ToLower(s), "<d") && got != s {
			t.Fatalf("labelCells(%q) = %q: changed a text without a cell", s, got)
		}
		planted := s + "\n</table><table><tr><td class=\"e\">DB_PASSWORD </td><td class=\"v\">" + marker + " </td></tr></table>"
		if out := r.labelCells(planted); strings.Contains(out, marker) {
			t.Fatalf("labelCells(%q) = %q: the value survived", planted, out)
		}
		if got := r.columnCells(s); !strings.Contains(strings.ToLower(s), "<t") && got != s {
			t.Fatalf("columnCells(%q) = %q: changed a text without a cell", s, got)
		}
		planted = s + "\n</table><table><tr><th>Name</th><th>API key</th></tr><tr><td>a</td><td>" + marker + "</td></tr></table>"
		if out := r.columnCells(planted); strings.Contains(out, marker) {
			t.Fatalf("columnCells(%q) = %q: the value survived", planted, out)
		}
	})
}

// TestConfigurationShapes: configuration served or echoed as text loses
// its secrets and keeps the rest: web.config's appSettings and connection
// strings, Spring's properties, INI and .npmrc lines, a kubeconfig's key
// data, a command line's flag and Node's rawHeaders in JSON, Ruby's and
// Python's reprs.
func TestConfigurationShapes(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	xml := `<appSettings><add key="ida:ClientId" value="app-1"/><add key="ida:ClientSecret" value="` + v + `1"/></appSettings>` +
		`<connectionStrings><add name="Db" connectionString="Server=db.example;Database=app;Password=` + v + `2;" /></connectionStrings>` +
		`<property name="password" value="` + v + `3"/><property name="url" value="jdbc:h2:mem"/>`
	text := "[db]\nhost = db.example\npassword = " + v + "4\n//registry.example/:_authToken=" + v + "5\n_auth=" + v + "6\n" +
		"    client-key-data: " + v + "7\n    client-certificate-data: LS0tCERT\n" +
		`<pre>{"locale"=&gt;"en", "password"=&gt;"` + v + `8"}</pre><pre>{'HTTP_AUTHORIZATION': 'Token ` + v + `9'}</pre>`
	got := r.text(xml + text)
	if strings.Contains(got, v) {
		t.Errorf("a secret survived: %s", got)
	}
	for _, keep := range []string{`<add key="ida:ClientId" value="app-1"/>`, "Server=db.example;Database=app;", `<property name="url" value="jdbc:h2:mem"/>`,
		"host = db.example", "client-certificate-data: LS0tCERT", `"locale"=&gt;"en"`, "'Token sha256:"} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %s", keep, got)
		}
	}
	js := `{"cmdline":["/usr/bin/app","--api-key","` + v + `a","-v","--log-level","debug"],"raw":["Host","app.example","Cookie","sid=` + v + `b","X-Api-Key","` + v + `c"],` +
		`"grant_types_supported":["authorization_code","refresh_token","password"],"required":["password","username"]}`
	got = string(r.body("application/json", []byte(js)))
	if strings.Contains(got, v) {
		t.Errorf("a secret survived: %s", got)
	}
	for _, keep := range []string{`"--log-level","debug"`, `"Host","app.example"`, `["authorization_code","refresh_token","password"]`, `["password","username"]`} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %s", keep, got)
		}
	}
}

// TestKeysAndCodeLists: a JSON Web Key's private members, one-time code
// lists and a Kubernetes Secret as YAML lose their values; a JWK's public
// members, the Secret's metadata and the YAML after its data stay.
func TestKeysAndCodeLists(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	got := string(r.body("application/json", []byte(`{"keys":[{"kty":"RSA","kid":"k1","n":"0vx7ago","e":"AQAB","d":"`+v+`1","qi":"`+v+`2"},{"kty":"oct","k":"`+v+`3"}],`+
		`"recovery_codes":["`+v+`4"],"scopes":["openid"]}`)))
	for _, keep := range []string{`"kid":"k1"`, `"n":"0vx7ago"`, `"e":"AQAB"`, `"scopes":["openid"]`} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %s: %s", keep, got)
		}
	}
	yaml := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  dsn: " + v + "5\n  cert: |\n    " + v + "6\n    " + v + "7\ntype: Opaque\n"
	got += r.text(yaml)
	if strings.Contains(got, v) {
		t.Errorf("a secret survived: %s", got)
	}
	for _, keep := range []string{"metadata:\n  name: app\n", "  cert: |\n", "type: Opaque\n"} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %s", keep, got)
		}
	}
}

// TestColumnCells: the cells under a header naming a secret lose their
// value in every row of the table; the other columns, a table whose
// header names none and the next table stay.
func TestColumnCells(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	page := `<table><thead><tr><th>Name</th><th>Token</th><th>Created</th></tr></thead><tbody>` +
		`<tr><td>ci</td><td><code>` + v + `1</code></td><td>2026-03-04</td></tr><tr><td>cd</td><td>` + v + `2</td><td>2026-03-05</td></tr></tbody></table>` +
		`<table><tr><td>x1</td><td>keep-me-2026</td></tr></table>` +
		`<table><tr><th>Host</th><th>Status</th></tr><tr><td>a.example</td><td>up</td></tr></table>`
	got := r.text(page)
	if strings.Contains(got, v) {
		t.Errorf("a token survived: %s", got)
	}
	for _, keep := range []string{"<td>ci</td>", "<td>2026-03-04</td>", "<td>cd</td>", "<td>keep-me-2026</td>", "<td>a.example</td><td>up</td>", "<th>Token</th>"} {
		if !strings.Contains(got, keep) {
			t.Errorf("lost %q: %s", keep, got)
		}
	}
}
