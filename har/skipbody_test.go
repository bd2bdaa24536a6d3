package har

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/parse"
)

// SkipBody leaves out the bodies a caller does not want decoded and keeps
// the others.
func TestSkipBody(t *testing.T) {
	const doc = `{"log":{"version":"1.2","entries":[
 {"startedDateTime":"2026-11-26T10:00:00Z","request":{"method":"GET","url":"https://a.example/app.js","headers":[]},
  "response":{"status":200,"headers":[],"content":{"size":11,"mimeType":"application/javascript; charset=utf-8","text":"alert(1);//"}}},
 {"startedDateTime":"2026-11-26T10:00:01Z","request":{"method":"POST","url":"https://a.example/token","headers":[]},
  "response":{"status":400,"headers":[],"content":{"size":26,"mimeType":"application/json","text":"{\"error\":\"invalid_grant\"}"}}}]}}`
	r, err := NewReader(strings.NewReader(doc), Options{SkipBody: parse.CarriesNoOAuth})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := parse.ReadAll(r)
	if err != nil || len(exs) != 2 {
		t.Fatalf("read %d exchanges: %v", len(exs), err)
	}
	if js := exs[0].Response.Body; len(js.Data) != 0 || !js.Truncated || js.Size != 11 || js.MIMEType != "application/javascript" {
		t.Errorf("script body kept: %+v", js)
	}
	if j := exs[1].Response.Body; string(j.Data) != `{"error":"invalid_grant"}` || j.Truncated {
		t.Errorf("JSON body lost: %+v", j)
	}
}
