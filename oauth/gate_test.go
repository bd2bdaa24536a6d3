package oauth

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

// checkFastPaths asserts that the shortcuts Exchange and ProviderOf take
// give what the full computation would: mayHoldGateKey never says no when
// requestParams holds a gate key, and the path helpers agree with
// strings.ToLower and pathSegments.
func checkFastPaths(t *testing.T, ex *model.Exchange) {
	t.Helper()
	u, err := url.Parse(ex.Request.URL)
	if err != nil {
		return
	}
	checkSimpleURL(t, ex.Request.URL)
	checkUnmarshalObject(t, ex.Request.Body.Data)
	if ex.Response != nil {
		checkUnmarshalObject(t, ex.Response.Body.Data)
	}
	p := requestParams(ex, u)
	for _, k := range gateKeys {
		if p.Get(k) != "" && !mayHoldGateKey(&ex.Request, u) {
			t.Fatalf("mayHoldGateKey says no, but %q = %q (query %q, body %q)", k, p.Get(k), u.RawQuery, ex.Request.Body.Data)
		}
	}
	if got, want := pathContainsFold(u.Path, "/adfs/"), strings.Contains(strings.ToLower(u.Path), "/adfs/"); got != want {
		t.Fatalf("pathContainsFold(%q) = %v, want %v", u.Path, got, want)
	}
	var head [3]string
	segs := pathSegments(u.Path)
	if got, want := head[:leadingSegments(u.Path, &head)], segs[:min(len(segs), 3)]; !slices.Equal(got, want) {
		t.Fatalf("leadingSegments(%q) = %q, want %q", u.Path, got, want)
	}
	r1, l1, ok1 := keycloakRealmOf(u.Path)
	r2, l2, ok2 := keycloakRealm(segs)
	if r1 != r2 || l1 != l2 || ok1 != ok2 {
		t.Fatalf("keycloakRealmOf(%q) = %q %v %v, want %q %v %v", u.Path, r1, l1, ok1, r2, l2, ok2)
	}
}

func TestMayHoldGateKey(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		url, body, mime string
		want            bool
	}{
		{"https://cdn.example.com/assets/0/app.js?v=0", "", "", false},
		{"https://cdn.example.com/a?v=0&codes=1&xcode=2", "", "", false},
		{"https://app.example.com/cb?code=abc&state=s", "", "", true},
		{"https://app.example.com/cb?c%6Fde=abc&state=s", "", "", true},
		{"https://app.example.com/cb?state=s&error", "", "", true},
		{"https://app.example.com/cb", "grant_type=x", form, true},
		{"https://app.example.com/cb", "a=b&c=d", form, false},
		{"https://app.example.com/cb", "a=b&c=d", "", false},
		{"https://app.example.com/cb", `{"client_id":"c"}`, "application/json", true},
		{"https://app.example.com/cb", `{"\u0063ode":"c"}`, "application/json", true},
		{"https://app.example.com/cb", `{"name":"code"}`, "application/json", true}, // a yes that is wrong is allowed
		{"https://app.example.com/cb", `{"name":"x"}`, "application/json", false},
		{"https://app.example.com/cb", "code=abc", "text/plain", false}, // bodyParams does not read text bodies
	} {
		ex := &model.Exchange{Request: model.Request{Method: "POST", URL: c.url, Body: model.Body{Data: []byte(c.body), MIMEType: c.mime}}}
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := mayHoldGateKey(&ex.Request, u); got != c.want {
			t.Errorf("mayHoldGateKey(%q, %q) = %v, want %v", c.url, c.body, got, c.want)
		}
		checkFastPaths(t, ex)
	}
}

func TestPathHelpers(t *testing.T) {
	// pathContainsFold relies on ToLower mapping no rune but A-Z, U+0130
	// and U+212A into ASCII.
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if l := unicode.ToLower(r); l < 0x80 && r != 0x130 && r != 0x212A {
			t.Fatalf("ToLower(%U) = %q: pathContainsFold misses it", r, l)
		}
	}
	for _, p := range []string{"", "/", "/adfs/oauth2/authorize", "/ADFS/ls/", "/x/AdFs/", "/adfs", "/a/dfs/", "//a//b///c/d",
		"/auth/realms/demo/protocol/openid-connect/auth", "/realms/r/.well-known/openid-configuration", "realms/x/protocol/openid-connect",
		"/oauth2/default/v1/authorize", "/\u212Aadfs/", "/\u0130adfs/"} {
		checkFastPaths(t, &model.Exchange{Request: model.Request{Method: "GET", URL: "https://h.example" + p}})
	}
}

// TestLearntEndpointOtherSpelling: an endpoint learnt from discovery is
// recognised when a later request spells its host in another case, with
// the default port, or with a trailing slash (the learnt-host check must
// normalise as endpointKey does).
func TestLearntEndpointOtherSpelling(t *testing.T) {
	x := NewExtractor()
	doc := `{"issuer":"https://id.example","authorization_endpoint":"https://Auth.Example:443/x/authz","token_endpoint":"https://auth.example/x/tok"}`
	json := model.Headers{{Name: "Content-Type", Value: "application/json"}}
	if got := kinds(x.Exchange(mkExchange(0, "GET", "https://id.example/.well-known/openid-configuration", nil, "", 200, json, doc))); !equalStrings(got, []string{"discovery"}) {
		t.Fatalf("discovery: %v", got)
	}
	if got := kinds(x.Exchange(mkExchange(1, "GET", "https://AUTH.example/x/authz/?foo=1", nil, "", 200, nil, ""))); len(got) == 0 || got[0] != model.AuthorizeRequest.String() {
		t.Fatalf("learnt authorize endpoint not recognised: %v", got)
	}
	if got := kinds(x.Exchange(mkExchange(2, "POST", "https://auth.example:443/x/tok", nil, "a=b", 400, json, `{"error":"invalid_grant"}`))); len(got) == 0 || got[0] != model.TokenRequest.String() {
		t.Fatalf("learnt token endpoint not recognised: %v", got)
	}
	if got := kinds(x.Exchange(mkExchange(3, "GET", "https://other.example/x/authz", nil, "", 200, nil, ""))); len(got) != 0 {
		t.Fatalf("another host matched a learnt endpoint: %v", got)
	}
}

// checkSimpleURL asserts that simpleURL, when it accepts s, gives the
// fields url.Parse gives, and accepts nothing url.Parse refuses.
func checkSimpleURL(t *testing.T, s string) {
	t.Helper()
	var got url.URL
	if !simpleURL(s, &got) {
		return
	}
	want, err := url.Parse(s)
	if err != nil {
		t.Fatalf("simpleURL(%q) accepts what url.Parse refuses: %v", s, err)
	}
	if got.Scheme != want.Scheme || got.Host != want.Host || got.Path != want.Path || got.RawQuery != want.RawQuery ||
		want.Fragment != "" || want.User != nil || want.Opaque != "" {
		t.Fatalf("simpleURL(%q) = %q %q %q %q, url.Parse gives %q %q %q %q (fragment %q, opaque %q)", s,
			got.Scheme, got.Host, got.Path, got.RawQuery, want.Scheme, want.Host, want.Path, want.RawQuery, want.Fragment, want.Opaque)
	}
	if host, hostname := simpleHost(&got); host != strings.ToLower(want.Host) || hostname != strings.ToLower(want.Hostname()) {
		t.Fatalf("simpleHost(%q) = %q %q, want %q %q", s, host, hostname, strings.ToLower(want.Host), strings.ToLower(want.Hostname()))
	}
}

func TestSimpleURL(t *testing.T) {
	for _, c := range []struct {
		url  string
		want bool
	}{
		{"https://cdn.example.com/assets/0/app.js?v=0", true},
		{"http://cdn.example.com", true},
		{"https://cdn.example.com:8443/a?b?c=d", true},
		{"https://CDN.Example.com:/a", true},
		{"https://cdn.example.com/a?", true},
		{"HTTPS://cdn.example.com/a", false},
		{"https://cdn.example.com/a%2Fb", false},
		{"https://user@cdn.example.com/a", false},
		{"https://cdn.example.com/a#code=x", false},
		{"https://[::1]:443/a", false},
		{"https://cdn.example.com:x/a", false},
		{"https://a:1:2/a", false},
		{"https:///a", false},
		{"https://cdn.example.com/a b", false},
		{"https://cdn.example.com/é", false},
		{"https://cdn.example.com/a\\b", false},
		{"//cdn.example.com/a", false},
	} {
		var u url.URL
		if got := simpleURL(c.url, &u); got != c.want {
			t.Errorf("simpleURL(%q) = %v, want %v", c.url, got, c.want)
		}
		checkSimpleURL(t, c.url)
	}
}

// TestQuietYieldsNothing: AppendExchange, which returns early for the
// exchanges quiet says yield nothing, gives exactly the events of the full
// path (appendExchange on every exchange), exchange by exchange, on every
// HAR and capture of the repository's testdata; and the full path yields
// nothing for any exchange quiet says yes to.
func TestQuietYieldsNothing(t *testing.T) {
	files := repoTraces(t)
	// And the bench's generated trace: mostly a page's scripts, and token
	// requests.
	var gen bytes.Buffer
	if _, err := hargen.Write(&gen, hargen.ManyEntries(2000)); err != nil {
		t.Fatal(err)
	}
	r, err := har.NewReader(&gen, har.Options{Name: "generated.har"})
	if err != nil {
		t.Fatal(err)
	}
	generated, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	quiet, loud, events := 0, 0, 0
	for _, p := range append(files, "generated.har") {
		exs := gateExchanges(t, p, generated)
		fast, full := NewExtractor(), NewExtractor()
		for i, ex := range exs {
			checkSimpleURL(t, ex.Request.URL)
			q := !ex.Tunnel && full.quiet(ex)
			var want []model.Event
			if m := strings.ToUpper(ex.Request.Method); !ex.Tunnel && m != "OPTIONS" && m != "CONNECT" {
				want = full.appendExchange(nil, ex)
			}
			if q && len(want) > 0 {
				t.Fatalf("%s exchange %d (%s %s): quiet, but the full path yields %d events", p, i, ex.Request.Method, ex.Request.URL, len(want))
			}
			got := fast.AppendExchange(nil, ex)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s exchange %d (%s %s): AppendExchange gives\n%+v\nthe full path\n%+v", p, i, ex.Request.Method, ex.Request.URL, got, want)
			}
			if q {
				quiet++
			} else {
				loud++
			}
			events += len(want)
		}
	}
	// The test means something only if both kinds are many.
	if quiet < 2000 || loud < 500 || events < 500 {
		t.Errorf("only %d quiet and %d other exchanges, %d events", quiet, loud, events)
	}
	t.Logf("%d quiet exchanges, %d others, %d events", quiet, loud, events)
}

// TestAuthorizationFold: quiet compares a header name's length before
// strings.EqualFold with "Authorization", which holds that only when no
// rune outside ASCII folds to one of its letters (as U+212A does to 'k').
func TestAuthorizationFold(t *testing.T) {
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < 0x80 && strings.ContainsRune("authorizationAUTHORIZATION", f) {
				t.Fatalf("%U folds to %q: a name of another length may equal Authorization", r, f)
			}
		}
	}
}

// checkUnmarshalObject asserts that unmarshalObject fails exactly when
// json.Unmarshal does, and reads the same.
func checkUnmarshalObject(t *testing.T, data []byte) {
	t.Helper()
	var got, want map[string]json.RawMessage
	gotErr, wantErr := unmarshalObject(data, &got), json.Unmarshal(data, &want)
	if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
		t.Fatalf("unmarshalObject(%q) = %v %v, json.Unmarshal %v %v", data, got, gotErr, want, wantErr)
	}
}

func TestUnmarshalObject(t *testing.T) {
	for _, s := range []string{"", " ", "{}", " \t\r\n{\"a\":1} ", "null", " null", "nul", "[1]", `"x"`, "1", "true",
		"\ufeff{}", "\f{}", "<html>", "a=b&c=d", "{\"a\":", "n{}", "{} x"} {
		checkUnmarshalObject(t, []byte(s))
	}
}

// TestMayReadResponse checks, on every trace of the repository and a
// generated one, that an exchange MayReadResponse says AppendExchange does
// not read the response body of yields the same events with that body
// skipped (empty, Skipped set), and that no skipped body is read
// (SkippedBodyRead); and that such exchanges are most of a trace.
// Under -short (CI's race step), a third of the files.
func TestMayReadResponse(t *testing.T) {
	// The rules' recordings too: their apps' failure pages (Spring
	// Security's /login?error, Devise's flash) are read on quiet exchanges.
	files := repoTraces(t, "rules/testdata")
	var gen bytes.Buffer
	if _, err := hargen.Write(&gen, hargen.Config{Entries: 2000, BodyBytes: 2000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	r, err := har.NewReader(&gen, har.Options{Name: "generated.har"})
	if err != nil {
		t.Fatal(err)
	}
	generated, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	unread, read := 0, 0
	for k, p := range append(files, "generated.har") {
		if testing.Short() && k%3 != 0 && p != "generated.har" {
			continue
		}
		exs := gateExchanges(t, p, generated)
		whole, gated := NewExtractor(), NewExtractor()
		for i, ex := range exs {
			want := whole.AppendExchange(nil, ex)
			given := ex
			if !gated.MayReadResponse(ex) {
				unread++
				if ex.Response != nil {
					cp, resp := *ex, *ex.Response
					resp.Body = model.Body{Size: resp.Body.Size, Skipped: true, Truncated: true, MIMEType: resp.Body.MIMEType}
					cp.Response = &resp
					given = &cp
					// Asked again of the copy: AppendExchange takes the
					// answer for the exchange it is given.
					if gated.MayReadResponse(given) {
						t.Fatalf("%s exchange %d: MayReadResponse changed its mind", p, i)
					}
				}
			} else {
				read++
			}
			got := gated.AppendExchange(nil, given)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s exchange %d (%s %s): with the body skipped AppendExchange gives\n%+v\nwith it\n%+v", p, i, ex.Request.Method, ex.Request.URL, got, want)
			}
			if gated.SkippedBodyRead() {
				t.Fatalf("%s exchange %d (%s %s): a body MayReadResponse said unread was read", p, i, ex.Request.Method, ex.Request.URL)
			}
		}
	}
	if unread < 2000 || read < 500 {
		t.Errorf("only %d exchanges whose body is not read and %d others", unread, read)
	}
	t.Logf("%d exchanges whose response body is not read, %d others", unread, read)
}

// gateExchanges reads the exchanges of a testdata trace, or generated for
// "generated.har".
func gateExchanges(t *testing.T, p string, generated []*model.Exchange) []*model.Exchange {
	t.Helper()
	switch {
	case p == "generated.har":
		return generated
	case strings.HasSuffix(p, ".har"):
		return readHAR(t, p)
	default:
		return readCapture(t, p)
	}
}
