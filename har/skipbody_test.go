package har

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// SkipBody leaves out the bodies a caller does not want decoded and keeps
// the others.
func TestSkipBody(t *testing.T) {
	const doc = `{"log":{"version":"1.2","entries":[
 {"startedDateTime":"2026-11-26T10:00:00Z","request":{"method":"GET","url":"https://a.example/app.js","headers":[]},
  "response":{"status":200,"headers":[],"content":{"size":11,"mimeType":"application/javascript; charset=utf-8","text":"alert(1);//"}}},
 {"startedDateTime":"2026-11-26T10:00:01Z","request":{"method":"POST","url":"https://a.example/token","headers":[]},
  "response":{"status":400,"headers":[],"content":{"size":26,"mimeType":"application/json","text":"{\"error\":\"invalid_grant\"}"}}}]}}`
	r, err := NewReader(strings.NewReader(doc), Options{SkipBody: model.CarriesNoOAuth})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
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

// TestPlainHeaderMatchesGeneralPath: the fast path for
// {"name":"…","value":"…"} gives what the general path gives, and declines
// every other form.
func TestPlainHeaderMatchesGeneralPath(t *testing.T) {
	for _, c := range []struct {
		raw         string
		name, value string
		ok          bool
	}{
		{`{"name":"accept","value":"*/*"}`, "accept", "*/*", true},
		{`{"name":"","value":""}`, "", "", true},
		{`{"name":"x","value":"a\"b"}`, "", "", false},
		{`{"name":"x\\u0041","value":"v"}`, "", "", false},
		{`{"name":"x","value":"\u0000\u00010"}`, "", "", false},
		{`{"value":"v","name":"x"}`, "", "", false},
		{`{"name":"x","value":"v","comment":""}`, "", "", false},
		{`{"name":"x","value":1}`, "", "", false},
		{`{"name":"x"}`, "", "", false},
	} {
		name, value, ok := plainHeader(c.raw, nil)
		if ok != c.ok || name != c.name || value != c.value {
			t.Errorf("plainHeader(%s) = %q, %q, %v; want %q, %q, %v", c.raw, name, value, ok, c.name, c.value, c.ok)
		}
	}
}

// TestHeaderAt: the path for headers of the plain form with escapes in
// their strings unescapes them as the general path does, and declines side
// references and every other form.
func TestHeaderAt(t *testing.T) {
	for _, c := range []struct {
		raw         string
		name, value string
		ok          bool
	}{
		{`{"name":"accept","value":"*/*"}`, "accept", "*/*", true},
		{`{"name":"sec-ch-ua","value":"\"Chromium\";v=\"122\""}`, "sec-ch-ua", `"Chromium";v="122"`, true},
		{`{"name":"x\u0041","value":"\u00e9\ud83d\ude00\ud83d"}`, "xA", "\u00e9\U0001F600\uFFFD", true},
		{`{"name":"x","value":"\u0000\u00010"}`, "", "", false},
		{`{"name":"\u0000\u00010","value":"v"}`, "", "", false},
		{`{"value":"v","name":"x"}`, "", "", false},
		{`{"name":"x","value":"v","comment":""}`, "", "", false},
		{`{"name":"x","value":1}`, "", "", false},
		{`{"name":1,"value":"v"}`, "", "", false},
		{`{"name":"x"}`, "", "", false},
	} {
		var k skeleton
		if !k.reset([]byte(c.raw), nil) {
			t.Fatalf("%s: not valid", c.raw)
		}
		name, value, next, ok := k.headerAt(0)
		if ok != c.ok || name != c.name || value != c.value || ok && next != len(c.raw) {
			t.Errorf("headerAt(%s) = %q, %q, %d, %v; want %q, %q, %v", c.raw, name, value, next, ok, c.name, c.value, c.ok)
		}
	}
}
