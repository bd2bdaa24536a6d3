package oauth

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode"

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
