package secret

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	code := "0.AXoAq1bCdEfGhIjKlMnOpQrStUvWxYz"
	raw := "https://app.example/signin-oidc?code=" + code + "&state=abc123&session_state=s1&foo=bar#id_token=eyJ.x.y&x=1"
	got := RedactURL(raw)
	for _, secret := range []string{code, "abc123", "eyJ.x.y", "=s1"} {
		if strings.Contains(got, secret) {
			t.Errorf("RedactURL leaked %q: %s", secret, got)
		}
	}
	for _, keep := range []string{"https://app.example/signin-oidc", "foo=bar", "x=1", Fingerprint(code)[len("sha256:"):]} {
		if !strings.Contains(got, keep) {
			t.Errorf("RedactURL lost %q: %s", keep, got)
		}
	}
}

func TestRedactURLMasksPersonalValues(t *testing.T) {
	got := RedactURL("https://idp.example/authorize?login_hint=alice%40contoso.com&client_id=c1")
	if strings.Contains(got, "alice") {
		t.Errorf("login_hint leaked: %s", got)
	}
	if !strings.Contains(got, "client_id=c1") {
		t.Errorf("client_id lost: %s", got)
	}
}

func TestRedactURLUnparseable(t *testing.T) {
	got := RedactURL("https://x/%zz?code=SECRETCODE")
	if strings.Contains(got, "SECRETCODE") {
		t.Errorf("leaked on bad URL: %s", got)
	}
}

func TestSecretFormatsOnlyFingerprint(t *testing.T) {
	s := New("SplxlOBeZQQYbYS6WxSbIA")
	for _, out := range []string{s.String(), s.GoString(), func() string { b, _ := s.MarshalJSON(); return string(b) }()} {
		if strings.Contains(out, "SplxlOBeZQQYbYS6WxSbIA") {
			t.Errorf("secret leaked: %s", out)
		}
	}
	if got, want := s.Fingerprint(), "sha256:"; !strings.HasPrefix(got, want) || len(got) != len(want)+12 {
		t.Errorf("fingerprint %q: want sha256: and 12 hex digits", got)
	}
	// RFC 7636 appendix B example.
	v := New("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
	if got := v.S256(); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("S256 = %s", got)
	}
}

func TestFingerprintIsIdempotent(t *testing.T) {
	fp := Fingerprint("some-authorization-code")
	if got := Fingerprint(fp); got != fp {
		t.Errorf("Fingerprint(%s) = %s, want it unchanged", fp, got)
	}
	if !New(fp).IsRedacted() || New("some-authorization-code").IsRedacted() {
		t.Error("IsRedacted misclassifies")
	}
	if IsFingerprint("sha256:0123456789AB") || IsFingerprint("sha256:0123456789a") {
		t.Error("IsFingerprint accepts a malformed fingerprint")
	}
}

func TestRedactURLPlainPKCEChallenge(t *testing.T) {
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	for _, q := range []string{"code_challenge=" + verifier + "&code_challenge_method=plain", "code_challenge=" + verifier} {
		if got := RedactURL("https://idp.example/authorize?" + q); strings.Contains(got, verifier) {
			t.Errorf("plain challenge (the verifier) shown: %s", got)
		}
	}
	const s256 = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
	if got := RedactURL("https://idp.example/authorize?code_challenge=" + s256 + "&code_challenge_method=S256"); !strings.Contains(got, s256) {
		t.Errorf("S256 challenge should stay readable: %s", got)
	}
}

func TestRedactTextMasksEmails(t *testing.T) {
	got := RedactText("AADSTS50034: The user account alice.o'hara@contoso.onmicrosoft.com does not exist in tenant x.")
	if strings.Contains(got, "alice") || !strings.Contains(got, "AADSTS50034") || !strings.Contains(got, "does not exist") {
		t.Errorf("RedactText = %q", got)
	}
	if RedactText("no address here") != "no address here" {
		t.Error("changed text without an address")
	}
}

// TestRedactURLNested: a token inside a URL-encoded query string inside a
// parameter (Office WOPI qs=…%26access_token%3D…), or inside a URL in a
// parameter, is fingerprinted like a top-level one; the other parameters
// stay readable.
func TestRedactURLNested(t *testing.T) {
	inner := "WOPIsrc=https://wopi.example/files/1&access_token=opaque-nested-token&ttl=1800"
	got := RedactURL("https://office.example/findsession?qs=" + url.QueryEscape(inner) + "&ui=en-US")
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	q, err := url.ParseQuery(u.Query().Get("qs"))
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("access_token") != Fingerprint("opaque-nested-token") || q.Get("WOPIsrc") != "https://wopi.example/files/1" || q.Get("ttl") != "1800" || u.Query().Get("ui") != "en-US" {
		t.Errorf("nested qs redacted as %s", got)
	}
	got = RedactURL("https://app.example/login?next=" + url.QueryEscape("https://app.example/cb?code=nested-code-value&x=1"))
	next, _ := url.Parse(got)
	if strings.Contains(got, "nested-code-value") || next == nil || !strings.Contains(next.Query().Get("next"), "code="+Fingerprint("nested-code-value")) {
		t.Errorf("nested URL redacted as %s", got)
	}
}

// TestRedactURLOtherProtocolsOneTimeCredentials: URLs of the sign-in
// protocols that sit beside OAuth in real traces, shaped after the ones
// public code quotes (a CAS service ticket, a Keycloak login action, a SAML
// artifact, an OAuth 1.0a callback): their one-time credentials are short or
// low-entropy enough to pass the shape sweep, so the names must catch them.
func TestRedactURLOtherProtocolsOneTimeCredentials(t *testing.T) {
	for raw, secret := range map[string]string{
		"https://www.example.org/app/?ticket=ST-526-6ERlmAsiril3Kta0AGtX-cas": "6ERlmAsiril3Kta0AGtX",
		"https://sso.example.org/realms/acme/login-actions/authenticate?session_code=R58UUiktmq7qXMsCMzVhkB3JkzgliOU5N4otnh-_eHM&execution=569eb383&client_id=gui&tab_id=0BtUgJqm1TI": "R58UUiktmq7qXMsCMzVhkB3Jkzgl",
		"https://sp.example.org/saml/acs?SAMLart=AAQAAMFbLinlXaCM%2BFIxiDwGOLAy2T71gbpO7ZhNzAgEANlB90ECfpNEVLg%3D":                                                                    "AAQAAMFbLinlXaCM",
		"https://app.example.org/cb?oauth_token=NPcudxy0yU5T3tBz&oauth_verifier=uw7NjWHT6OJ1MpJOXs":                                                                                   "uw7NjWHT6OJ1MpJOXs",
	} {
		got := RedactURL(raw)
		if strings.Contains(got, secret) {
			t.Errorf("RedactURL leaked %q: %s", secret, got)
		}
		if !strings.Contains(got, "sha256") {
			t.Errorf("RedactURL has no fingerprint: %s", got)
		}
	}
}

// TestRedactURLFingerprintReadsTheSame: a fingerprint in a redacted URL is
// written "sha256:…" as in every other field (the contract's form), not
// "sha256%3A…", so one search finds a code across events, URLs and tickets.
func TestRedactURLFingerprintReadsTheSame(t *testing.T) {
	got := RedactURL("https://app.example/cb?code=0.AXoAcode-value&state=s1#id_token=opaque-id-token-value")
	for _, v := range []string{"code=" + Fingerprint("0.AXoAcode-value"), "state=" + Fingerprint("s1"), "id_token=" + Fingerprint("opaque-id-token-value")} {
		if !strings.Contains(got, v) {
			t.Errorf("RedactURL = %s, want it to contain %s", got, v)
		}
	}
}

// TestRedactParamNames: credential names in any style and session ids are
// redacted in report URLs; names that describe a credential, and session
// ids that are GUIDs (correlation ids), stay readable.
func TestRedactParamNames(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	for _, c := range []struct {
		name string
		want bool // redacted
	}{
		{"Access-Token", true}, {"accessToken", true}, {"X-Amz-Security-Token", true}, {"clientSecret", true},
		{"sessionid", true}, {"session_id", true}, {"SessionId", true}, {"jsessionid", true}, {"PHPSESSID", true}, {"sid", true},
		{"usernameToken", true}, {"accountSecret", true},
		{"token_type", false}, {"tokenEndpoint", false}, {"tokenendpoint", false}, {"expires_in", false}, {"accessTokenLifetime", false},
		{"passwordResetPolicy", false}, {"client_id", false}, {"scope", false}, {"redirect_uri", false}, {"error_description", false},
	} {
		if got := RedactParam(c.name, v) != v; got != c.want {
			t.Errorf("RedactParam(%q) redacted %v, want %v", c.name, got, c.want)
		}
	}
	if got := RedactParam("password", v); got != Mask(v) {
		t.Errorf("password: %q, want the mask", got)
	}
	if got := RedactParam("userPassword", v); got != Mask(v) {
		t.Errorf("userPassword: %q, want the mask", got)
	}
	guid := "0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f"
	if got := RedactParam("x-ms-client-session-id", guid); got != guid {
		t.Errorf("a GUID session id (a correlation id) became %q", got)
	}
	if got := RedactURL("https://app.example/p?sessionid=" + v + "&Access-Token=" + v + "&client_id=c1"); strings.Contains(got, v) || !strings.Contains(got, "client_id=c1") {
		t.Errorf("RedactURL: %q", got)
	}
}

// TestRedactURLPathAndRoute: a session id in the path (;jsessionid=) and
// parameters after a single-page app's route in the fragment are
// redacted; other path parameters and the route stay.
func TestRedactURLPathAndRoute(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	for _, c := range []struct{ in, want string }{
		{"https://app.example/a;jsessionid=" + v + "?x=1", "https://app.example/a;jsessionid=" + Fingerprint(v) + "?x=1"},
		{"https://app.example/a;v=2/b;jsessionid=" + v, "https://app.example/a;v=2/b;jsessionid=" + Fingerprint(v)},
		{"https://app.example/#/cb?code=" + v + "&x=1", "https://app.example/#/cb?code=" + Fingerprint(v) + "&x=1"},
		{"myapp:/r#!/cb?code=" + v, "myapp:/r#!/cb?code=" + Fingerprint(v)},
		{"https://app.example/p;v=2?a=b#x=1", "https://app.example/p;v=2?a=b#x=1"},
	} {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestRedactURLEncodedDocuments: a parameter holding JSON text, or base64
// of JSON or of a form, that names a secret is fingerprinted whole in a
// report; one that names none stays.
func TestRedactURLEncodedDocuments(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	b64u := base64.RawURLEncoding.EncodeToString
	for _, c := range []struct {
		val    string
		redact bool
	}{
		{`{"access_token":"` + v + `"}`, true},
		{`[{"client_secret": "` + v + `"}]`, true},
		{b64u([]byte(`{"refresh_token":"` + v + `"}`)), true},
		{base64.StdEncoding.EncodeToString([]byte("client_id=x&client_secret=" + v)), true},
		{`{"theme":"dark","lang":"en"}`, false},
		{b64u([]byte(`{"returnUrl":"/home"}`)), false},
	} {
		u := "https://app.example/p?x=" + url.QueryEscape(c.val) + "&client_id=c1"
		got := RedactURL(u)
		if redacted := !strings.Contains(got, url.QueryEscape(c.val)); redacted != c.redact || !strings.Contains(got, "client_id=c1") {
			t.Errorf("RedactURL(%q) = %q, want redacted %v", u, got, c.redact)
		}
		if strings.Contains(got, v) {
			t.Errorf("%q leaked", got)
		}
	}
}

// TestRedactURLOpaqueTokens: a value shaped like a token is fingerprinted
// whatever its name; a PKCE S256 challenge, a client id, a GUID and
// readable values stay.
func TestRedactURLOpaqueTokens(t *testing.T) {
	const tok = "Qx7Lp2Vw9Kz3Tn5R-a8bYc1dZe4fGh6iJk0mNoP"
	for _, c := range []struct {
		query  string
		redact bool
	}{
		{"t=" + tok, true},
		{"t=" + url.QueryEscape(tok+"/+x=="), true},
		{"code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256", false},
		{"client_id=" + tok, false},
		{"cid=0f9e8d7c-6b5a-4c3d-9e2f-1a0b9c8d7e6f", false},
		{"q=" + url.QueryEscape("a sentence that is long enough to count 1 2 3"), false},
		{"v=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1", false},
	} {
		u := "https://app.example/p?" + c.query
		if got := RedactURL(u); (got != u) != c.redact {
			t.Errorf("RedactURL(%q) = %q, want redacted %v", u, got, c.redact)
		}
	}
}

// FuzzRedactURL: RedactURL never panics, and a code planted in the query,
// in a hash-routed fragment or as a path's session id never survives,
// whatever URL it is planted in.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"https://app.example/cb", "https://app.example/a;b=c/d?x=1#/r?y=2", "/rel;v=1?q={\"a\":1}",
		"myapp:/r#!/cb", "https://u:p@h/p?t=" + url.QueryEscape("eyJ9.e30.x"), "%zz?&=&#?=", "http://[::1/x;sid=1"} {
		f.Add(s)
	}
	const marker = "Mk7Qz2Wv9Rx4Tb8Yn5"
	f.Fuzz(func(t *testing.T, u string) {
		RedactURL(u)
		if strings.ContainsAny(u, "?#;") {
			return // planting below needs a URL without those
		}
		for _, planted := range []string{u + "?code=" + marker, u + "#/cb?code=" + marker, u + ";jsessionid=" + marker + "?x=1"} {
			if got := RedactURL(planted); strings.Contains(got, marker) {
				t.Errorf("RedactURL(%q) = %q: the code survived", planted, got)
			}
		}
	})
}

// TestRedactTextPairs: a page quoted as a provider error's description can
// echo the request's credentials as name=value pairs; their values are
// redacted as in a query, other pairs and prose are left as they are, and
// redacting again changes nothing.
func TestRedactTextPairs(t *testing.T) {
	in := `Request blocked. Cookie sid=Xk29fjQ8LmZpT4wq; password="Hunter2Secret!" client_secret=Qw3rTy7uIo9pAs1d error=invalid_request AADSTS50011: the redirect URI https://app/cb?x=1 does not match`
	got := RedactText(in)
	for _, raw := range []string{"Xk29fjQ8LmZpT4wq", "Hunter2Secret", "Qw3rTy7uIo9pAs1d"} {
		if strings.Contains(got, raw) {
			t.Errorf("%q left in %q", raw, got)
		}
	}
	for _, kept := range []string{"error=invalid_request", "AADSTS50011: the redirect URI https://app/cb?x=1 does not match", "Request blocked. Cookie sid="} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q lost from %q", kept, got)
		}
	}
	if again := RedactText(got); again != got {
		t.Errorf("redacting again: %q, was %q", again, got)
	}
}

// TestRedactParamSignInHandles: handles of sign-ins in progress are
// fingerprinted, an MFA code and a user name masked; a request_uri that
// is a URL stays.
func TestRedactParamSignInHandles(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"request_uri", "urn:ietf:params:oauth:request_uri:bwc4JK-ESC0w8acc", Fingerprint("urn:ietf:params:oauth:request_uri:bwc4JK-ESC0w8acc")},
		{"request_uri", "https://app.example/req/1.jwt", "https://app.example/req/1.jwt"},
		{"interactionHandle", "idx-handle-0123", Fingerprint("idx-handle-0123")},
		{"interaction_code", "idx-code-0123", Fingerprint("idx-code-0123")},
		{"auth_req_id", "ciba-0123", Fingerprint("ciba-0123")},
		{"login_hint_token", "lht-0123", Fingerprint("lht-0123")},
		{"tab_id", "Xy1zAbC2dEf", Fingerprint("Xy1zAbC2dEf")},
		{"AdditionalAuthData", "912345", Mask("912345")},
		{"identifier", "bob.smith", Mask("bob.smith")},
		{"logout_hint", "bob@contoso.example", Mask("bob@contoso.example")},
		{"client_id", "web-app", "web-app"},
	} {
		if got := RedactParam(c.name, c.value); got != c.want {
			t.Errorf("RedactParam(%q, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}

// TestRedactURLReturnURLs: a code in a relative return URL and an ID token
// in a return URL encoded twice are fingerprinted in a report's URL; the
// return URL's path stays.
func TestRedactURLReturnURLs(t *testing.T) {
	q := url.QueryEscape
	raw := "https://app.example/login?returnUrl=" + q("/signin-oidc?code=c0de-in-return-url&x=1") +
		"&ru2=" + q(q("https://app.example/cb#id_token=id-t0ken-twice-encoded"))
	got := RedactURL(raw)
	for _, leak := range []string{"c0de-in-return-url", "id-t0ken-twice-encoded"} {
		if strings.Contains(got, leak) {
			t.Errorf("RedactURL kept %q: %s", leak, got)
		}
	}
	if !strings.Contains(got, "returnUrl=%2Fsignin-oidc%3Fcode%3Dsha256") || !strings.Contains(got, "app.example%252Fcb") {
		t.Errorf("RedactURL lost the return URLs' shape: %s", got)
	}
}

// TestRedactParamCodesByUse: a code named by its use is masked when a user
// types it and fingerprinted when an app passes it on; codes of no such
// use stay. A name ending in a credential's word holds one whatever the
// words before it say.
func TestRedactParamCodesByUse(t *testing.T) {
	const v = "Vv9xK2pQ7rT4"
	for name, want := range map[string]string{
		"otpCode": Mask(v), "sms_code": Mask(v), "verification_code": Mask(v), "code_2fa": Mask(v), "emailcode": Mask(v),
		"recovery_code": Mask(v), "securityCode": Mask(v),
		"oobCode": Fingerprint(v), "authCode": Fingerprint(v), "auth_code": Fingerprint(v), "invitation_code": Fingerprint(v),
		"reset_token": Fingerprint(v), "passwordResetToken": Mask(v), "codeVerifier": Fingerprint(v), "RelayState": Fingerprint(v),
		"okta_key": Fingerprint(v), "id_token_hint": Fingerprint(v),
		"error_code": v, "country_code": v, "code_challenge_method": v, "token_type": v, "tokenEndpoint": v, "expires_in": v,
		"passwordResetPolicy": v, "token_type_hint": v,
	} {
		if got := RedactParam(name, v); got != want {
			t.Errorf("RedactParam(%q) = %q, want %q", name, got, want)
		}
	}
}
