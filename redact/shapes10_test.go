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
