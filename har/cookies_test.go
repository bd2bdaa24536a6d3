package har

import (
	"net/http"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// TestCookiesArrayOnly: a cookie given only in a cookies array (Firefox
// and sanitizers write no Cookie or Set-Cookie header, or replace its
// value) reaches the model as a header, with the attributes the array
// gives; one a header already carries (a browser's HAR gives both) adds
// nothing.
func TestCookiesArrayOnly(t *testing.T) {
	const doc = `{"log":{"version":"1.2","entries":[
{"startedDateTime":"2026-03-04T05:06:07Z","time":1,
 "request":{"method":"GET","url":"https://app.example/a","httpVersion":"HTTP/1.1","headers":[{"name":"Host","value":"app.example"}],
  "cookies":[{"name":"sid","value":"s3ss10nV4lue"},{"name":"lang","value":"en"},{"name":"empty","value":""}]},
 "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[],
  "cookies":[{"name":"__Host-auth","value":"4uthC00kie","path":"/","httpOnly":true,"secure":true,"sameSite":"Lax","expires":"2026-04-04T05:06:07.000Z"}],
  "content":{"size":0,"mimeType":"text/plain"}}},
{"startedDateTime":"2026-03-04T05:06:08Z","time":1,
 "request":{"method":"GET","url":"https://app.example/b","httpVersion":"HTTP/1.1","headers":[{"name":"Cookie","value":"sid=s3ss10nV4lue"}],
  "cookies":[{"name":"sid","value":"s3ss10nV4lue"}]},
 "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[{"name":"Set-Cookie","value":"x=[REDACTED]; Path=/"}],
  "cookies":[{"name":"x","value":"r4wV4lue99"}],
  "content":{"size":0,"mimeType":"text/plain"}}}]}}`
	r, err := NewReader(strings.NewReader(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil || len(exs) != 2 {
		t.Fatalf("%d exchanges, %v", len(exs), err)
	}
	if got := exs[0].Request.Headers.Values("Cookie"); len(got) != 1 || got[0] != "sid=s3ss10nV4lue; lang=en" {
		t.Errorf("first request's Cookie = %q", got)
	}
	want := "__Host-auth=4uthC00kie; Path=/; SameSite=Lax; Expires=Sat, 04 Apr 2026 05:06:07 GMT; Secure; HttpOnly"
	if got := exs[0].Response.Headers.Values("Set-Cookie"); len(got) != 1 || got[0] != want {
		t.Errorf("first response's Set-Cookie = %q, want %q", got, want)
	}
	if c := exs[0].Response.SetCookies(); len(c) != 1 || c[0].Value != "4uthC00kie" || !c[0].HttpOnly || c[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("parsed Set-Cookie = %+v", c)
	}
	if got := exs[1].Request.Headers.Values("Cookie"); len(got) != 1 {
		t.Errorf("second request: a cookie its header carries was added again: %q", got)
	}
	if got := exs[1].Response.Headers.Values("Set-Cookie"); len(got) != 2 || got[1] != "x=r4wV4lue99" {
		t.Errorf("second response: the array's value behind a sanitized header = %q", got)
	}
}
