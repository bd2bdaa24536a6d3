package oauth

import (
	"os"
	"reflect"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/tlsdec"
)

// gated is ex as a reader skipping the bodies g says false for gives it:
// the response's data gone, Skipped set.
func gated(g *BodyGate, ex *model.Exchange) (*model.Exchange, bool) {
	if ex.Response == nil {
		_ = g.MayMatter(&ex.Request, nil)
		return ex, false
	}
	probe := *ex.Response
	probe.Body = model.Body{MIMEType: ex.Response.Body.MIMEType}
	if g.MayMatter(&ex.Request, &probe) {
		return ex, false
	}
	c, resp := *ex, *ex.Response
	resp.Body.Data, resp.Body.Skipped = nil, true
	c.Response = &resp
	return &c, true
}

// checkGate extracts exs whole and with the bodies a BodyGate lets a reader
// skip, both in the same order: the events are the same, exchange by
// exchange, until the extractor says it read a skipped body, which only
// what a discovery document taught it may cause (a caller then reads the
// trace again whole). It returns how many bodies were skipped.
func checkGate(t *testing.T, name string, exs []*model.Exchange) (skipped int) {
	t.Helper()
	g := NewBodyGate()
	whole, part := NewExtractor(), NewExtractor()
	discovered := false
	for i, ex := range exs {
		c, skip := gated(g, ex)
		if skip {
			skipped++
		}
		want := whole.Exchange(ex)
		got := part.Exchange(c)
		if part.SkippedBodyRead() {
			if !skip || !discovered {
				t.Fatalf("%s exchange %d (%s %s): a skipped body read, not after a discovery document", name, i, ex.Request.Method, ex.Request.URL)
			}
			return skipped
		}
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("%s exchange %d (%s %s, skipped %v): events differ\nwhole:   %+v\nskipped: %+v", name, i, ex.Request.Method, ex.Request.URL, skip, want, got)
		}
		for _, ev := range got {
			discovered = discovered || ev.Kind == model.Discovery
		}
	}
	return skipped
}

func readCapture(t *testing.T, path string) []*model.Exchange {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	opts := pcap.Options{Name: path}
	if kl, _, _ := tlsdec.KeysForCapture(f, fi.Size()); kl != nil && kl.Len() > 0 {
		opts.Decrypter = tlsdec.NewDecrypter(kl).StreamDecrypter()
	}
	r, err := pcap.NewReader(f, opts)
	if err != nil {
		return nil // not a capture this reader opens: nothing to check
	}
	exs, _ := model.ReadAll(r)
	return exs
}

func readHAR(t testing.TB, path string) []*model.Exchange {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := har.NewReader(f, har.Options{Name: path})
	if err != nil {
		return nil
	}
	exs, _ := model.ReadAll(r)
	return exs
}

// TestResponseBodyGate runs checkGate over every HAR and capture of the
// repository's testdata (samples, the lab's sign-ins on fosite, zitadel,
// Keycloak and others, third-party traces).
func TestResponseBodyGate(t *testing.T) {
	traces, skipped, withBody := 0, 0, 0
	for _, p := range repoTraces(t) {
		exs := readTrace(t, p)
		if len(exs) == 0 {
			continue
		}
		traces++
		for _, ex := range exs {
			if ex.Response != nil && len(ex.Response.Body.Data) > 0 {
				withBody++
			}
		}
		skipped += checkGate(t, p, exs)
	}
	t.Logf("%d traces, %d of %d response bodies skipped", traces, skipped, withBody)
	if traces < 100 || skipped < 150 {
		t.Errorf("only %d traces and %d skipped bodies checked", traces, skipped)
	}
}

// TestResponseBodyGateLearnt: what BodyGate cannot know, a URL on another
// host that a discovery document named as the token endpoint, is reported
// by SkippedBodyRead, and skipping that body does change the events; what
// it learns from requests, it knows.
func TestResponseBodyGateLearnt(t *testing.T) {
	json := func(method, rawURL, body string) *model.Exchange {
		return &model.Exchange{Request: model.Request{Method: method, URL: rawURL},
			Response: &model.Response{Status: 200, Body: model.Body{MIMEType: "application/json", Data: []byte(body)}}}
	}
	doc := json("GET", "https://id.example/.well-known/openid-configuration",
		`{"issuer":"https://id.example","authorization_endpoint":"https://id.example/a","token_endpoint":"https://app.example/session"}`)
	call := json("GET", "https://app.example/session", `{"access_token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.","error":"invalid_grant"}`)
	g := NewBodyGate()
	if c, _ := gated(g, doc); c != doc {
		t.Fatal("a discovery document's body skipped")
	}
	c, skip := gated(g, call)
	if !skip {
		t.Fatal("the call's body is not skipped: the test checks nothing")
	}
	whole, part := NewExtractor(), NewExtractor()
	whole.Exchange(doc)
	part.Exchange(doc)
	want, got := whole.Exchange(call), part.Exchange(c)
	if !part.SkippedBodyRead() {
		t.Error("reading a skipped token response not reported")
	}
	if reflect.DeepEqual(want, got) {
		t.Error("the skipped body changed nothing: the case is not one that needs reporting")
	}
	// A fresh extractor learnt nothing: the same call reads no body.
	fresh := NewExtractor()
	fresh.Exchange(c)
	if fresh.SkippedBodyRead() {
		t.Error("a call to an unknown URL read its skipped body")
	}

	// Learnt from requests: a token endpoint from a token request, a
	// provider's host from an authorize request (its pages), and the
	// default port written or not.
	page := func(rawURL string) *model.Exchange {
		return &model.Exchange{Request: model.Request{Method: "GET", URL: rawURL},
			Response: &model.Response{Status: 200, Body: model.Body{MIMEType: "text/html", Data: []byte("<html></html>")}}}
	}
	g = NewBodyGate()
	for _, c := range []struct {
		ex   *model.Exchange
		skip bool
	}{
		{page("https://app.example/home"), true},
		{json("GET", "https://app.example/api/me", `{}`), true},
		{json("POST", "https://app.example/session?grant_type=refresh_token", `{}`), false},
		{json("GET", "https://app.example/session", `{}`), false},
		{page("https://id.example:443/login"), true},
		{page("https://id.example/authorize?client_id=c&response_type=code"), false},
		{page("https://id.example:443/login"), false},
		{json("GET", "https://id.example/userinfo", `{}`), false},
		{page("https://login.microsoftonline.com/common/login"), false},
		{json("GET", "https://login.microsoftonline.com/common/GetCredentialType", `{}`), true},
		{page("https://app.example/home"), true},
		// An authorize endpoint with its default port written, then
		// without it: the same endpoint to the Extractor.
		{page("https://sso.example:443/oauth/start?client_id=c&response_type=code&scope=openid"), false},
		{page("https://sso.example/oauth/start"), false},
	} {
		if _, skip := gated(g, c.ex); skip != c.skip {
			t.Errorf("%s %s: skipped %v, want %v", c.ex.Request.Method, c.ex.Request.URL, skip, c.skip)
		}
	}
}

// FuzzResponseBodyGate: checkGate on exchanges built from fuzz input, each
// given twice so that the second pass sees what the first taught. A mode
// picks the method, the request's and the response's media types and the
// status.
func FuzzResponseBodyGate(f *testing.F) {
	const get, post, json, html, untyped, ok, found, bad = 0, 1, 0, 1, 3, 0, 1, 2
	mode := func(method, reqType, respType, status int) uint16 {
		return uint16(method + 4*reqType + 24*respType + 144*status)
	}
	f.Add("https://id.example/.well-known/openid-configuration", "", `{"issuer":"https://id.example","token_endpoint":"https://app.example/t"}`, mode(get, json, json, ok),
		"https://app.example/t", "", `{"access_token":"a"}`, mode(get, json, json, ok))
	f.Add("https://login.microsoftonline.com/common/oauth2/v2.0/token", "grant_type=authorization_code&code=abc", `{"error":"invalid_grant","error_codes":[54005]}`, mode(post, 2, json, bad),
		"https://app.example/api/me", "", `{"name":"x"}`, mode(get, json, json, ok))
	f.Add("https://dev-1.okta.com/oauth2/default/v1/authorize?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb&state=s", "", "https://app/cb?code=abc&state=s", mode(get, json, json, found),
		"https://app/cb?code=abc&state=s", "", "<html></html>", mode(get, json, html, ok))
	f.Add("https://app.example/token", `{"grant_type":"refresh_token","refresh_token":"r"}`, `{"access_token":"a"}`, mode(post, json, json, ok),
		"https://app.example/token", "", `{"access_token":"b"}`, mode(get, json, json, ok))
	// An authorize endpoint learnt from its parameters, then an error
	// answered in JSON there; a provider's host answering without a type.
	f.Add("https://id.example/x/start?client_id=c&response_type=code&scope=openid", "", "", mode(get, json, json, found),
		"https://id.example/x/start", "", `{"error":"invalid_request","error_description":"AADSTS50011: bad"}`, mode(get, json, json, bad))
	f.Add("https://login.microsoftonline.com/common/discover", "", "<html>AADSTS50011: The redirect URI</html>", mode(get, json, untyped, ok),
		"https://login.microsoftonline.com/common/x", "", "<html><form action=https://app/cb><input type=hidden name=code value=c></form></html>", mode(get, json, untyped, ok))
	// A provider's token endpoint asked without a grant (the back button).
	f.Add("https://login.microsoftonline.com/common/oauth2/v2.0/token", "", `{"error":"invalid_request"}`, mode(get, json, json, ok),
		"https://app.example/", "", "", mode(get, json, json, ok))
	f.Fuzz(func(t *testing.T, url1, body1, resp1 string, m1 uint16, url2, body2, resp2 string, m2 uint16) {
		methods := []string{"GET", "POST", "OPTIONS", "PUT"}
		cts := []string{"application/json", "text/html", "application/x-www-form-urlencoded", "", "text/plain", "application/problem+json"}
		statuses := []int{200, 302, 400, 201, 0, 500}
		build := func(rawURL, reqBody, respBody string, m uint16) *model.Exchange {
			reqType, respType := cts[int(m/4)%6], cts[int(m/24)%6]
			ex := &model.Exchange{Request: model.Request{Method: methods[m%4], URL: rawURL,
				Headers: model.Headers{{Name: "Content-Type", Value: reqType}},
				Body:    model.Body{Data: []byte(reqBody), MIMEType: reqType}}}
			ex.Response = &model.Response{Status: statuses[int(m/144)%6], Headers: model.Headers{{Name: "Content-Type", Value: respType}, {Name: "Location", Value: respBody}},
				Body: model.Body{Data: []byte(respBody), MIMEType: respType}}
			return ex
		}
		a, b := build(url1, body1, resp1, m1), build(url2, body2, resp2, m2)
		checkGate(t, "fuzz", []*model.Exchange{a, b, a, b})
	})
}
