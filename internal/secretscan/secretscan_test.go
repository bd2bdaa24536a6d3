package secretscan

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"
)

// jwt builds a signed-looking JWT; the signature is arbitrary bytes.
func jwt(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","kid":"k1","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "." +
		enc([]byte("signature-bytes-0123456789abcdef0123456789"))
}

func TestFindShapes(t *testing.T) {
	tok := jwt(`{"sub":"alice","sid":"0f1e2d3c","exp":1700000000}`)
	once := url.QueryEscape(tok)                                         // dots stay
	nested := url.QueryEscape("WOPIsrc=https://x/y&access_token=" + tok) // still one level
	dots1 := strings.ReplaceAll(tok, ".", "%2E")
	dots2 := strings.ReplaceAll(tok, ".", "%252E")
	jwe := "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXZpdml2aXZpdml2.Y2lwaGVydGV4dGNpcGhlcnRleHQ.dGFndGFndGFndGFn"
	cases := []struct {
		name, in string
		kind     Kind
		value    string
	}{
		{"plain JWT in JSON", `{"url":"https://a/b?x=` + tok + `"}`, JWT, tok},
		{"query-escaped", "qs=" + once, JWT, tok},
		{"nested qs", "https://office/findsession?qs=" + nested, JWT, tok},
		{"dots %2E", "a=" + dots1, JWT, tok},
		{"dots %252E", "qs=WOPIsrc%3Dx%26access_token%3D" + dots2 + "%26z%3D1", JWT, tok},
		{"JWE with empty key", "x " + jwe + " y", JWT, jwe},
		{"bearer", `"value":"Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5"`, AuthScheme, "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5"},
		{"bearer encoded", "auth=Bearer%20Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5&x=1", AuthScheme, "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5"},
		{"basic", "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("client-id:s3cr3t-value")), AuthScheme,
			base64.StdEncoding.EncodeToString([]byte("client-id:s3cr3t-value"))},
		{"keylog", "CLIENT_RANDOM " + strings.Repeat("ab", 32) + " " + strings.Repeat("c7", 48) + "\n", KeyLog, strings.Repeat("c7", 48)},
		{"camel json", `{"refreshToken":"0.AXkAq9Zk3mP1zR7uLw2bTyQ4nV8"}`, Credential, "0.AXkAq9Zk3mP1zR7uLw2bTyQ4nV8"},
		{"kebab header", "x-api-key: 9f8e7d6c5b4a39281706f5e4d3c2b1a0", Credential, "9f8e7d6c5b4a39281706f5e4d3c2b1a0"},
		{"script", `var AccessToken = "Xy7Kq2Lm9Np4Rs6Tu8Vw1Za3Bc5";`, Credential, "Xy7Kq2Lm9Np4Rs6Tu8Vw1Za3Bc5"},
		{"escaped json in json", `"text":"{\"client_secret\":\"Q8x~Zk2pL9mN4rT6vW1yB3dF5hJ7\"}"`, Credential, "Q8x~Zk2pL9mN4rT6vW1yB3dF5hJ7"},
		{"nested form", "qs=a%3D1%26client_secret%3DQ8x~Zk2pL9mN4rT6vW1yB3dF5hJ7%26b%3D2", Credential, "Q8x~Zk2pL9mN4rT6vW1yB3dF5hJ7"},
		{"percent in value", "password=Pa%24%24w0rdPa55w0rdXyZ12345&next=1", Credential, "Pa$$w0rdPa55w0rdXyZ12345"},
		{"ntlm after JSON newline", `"a":"x\nNTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAO5CAAAADw=="`, AuthScheme, "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAO5CAAAADw=="},
		{"bearer after escaped space", `"a":"auth:\u0020Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5"`, AuthScheme, "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5"},
		{"bearer after form space", "h=Authorization%3A+Bearer+Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5&x=1", AuthScheme, "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5"},
		{"bearer in a path", "https://a.example/Bearer%20Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5", AuthScheme, "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5"},
	}
	for _, c := range cases {
		ms := Find([]byte(c.in))
		if len(ms) != 1 {
			t.Errorf("%s: %d matches, want 1: %+v", c.name, len(ms), ms)
			continue
		}
		if ms[0].Kind != c.kind || ms[0].Value != c.value {
			t.Errorf("%s: got %s %q, want %s %q", c.name, ms[0].Kind, ms[0].Value, c.kind, c.value)
		}
		red := RedactString(c.in)
		if strings.Contains(red, c.value) || strings.Contains(red, c.in[ms[0].Start:ms[0].End]) {
			t.Errorf("%s: value survives Redact: %s", c.name, red)
		}
		if !strings.Contains(red, fingerprint(c.value)) {
			t.Errorf("%s: no fingerprint in %s", c.name, red)
		}
	}
}

// TestNoFalsePositives keeps the sweep from eating evidence: fingerprints,
// masks, URLs, ids, prose, hashes next to ordinary names, PKCE challenges.
func TestNoFalsePositives(t *testing.T) {
	for _, in := range []string{
		`{"access_token":"sha256:0123456789ab","refresh_token":"[redacted]"}`,
		"token=sha256%3A0123456789ab&state=sha256:abcdefabcdef",
		`"token_endpoint":"https://login.example.com/common/oauth2/v2.0/token"`,
		`"token_type":"Bearer","expires_in":3599`,
		"Bearer sha256:0123456789ab",
		"the client used Basic authentication and Bearer tokens, see RFC 6750.",
		`"code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"`,
		`"x-ms-request-id":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"`,
		`"correlation_id":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0","trace_id":"abcd1234abcd1234abcd1234abcd1234"`,
		"tokens: access+id, verifier=sha256:0123456789ab",
		`"client_info":"eyJ1aWQiOiIxMjM0In0"`, // base64 JSON without a dot is no token
		"heyJude.Beatles.song",
		"password=[redacted]&loginfmt=[redacted]",
		`"passwordResetPolicy":"B2C_1_passwordreset"`,
		"Content-Type: application/x-www-form-urlencoded",
		// A scheme's name inside a base64 run is no scheme: this body of a
		// bench HAR's script response made redact refuse its copy.
		"pJGaPnKZFmQWFnc0nTLM+GZR748t9t3dBdIkEX2hrZVHsDW9jArmY3j08SNNx",
		"uvw0BaSiC+Y2xpZW50LWlkOnMzY3IzdC12YWx1ZSE=",
		"QWxhZGRpbkxYzBeArEr+Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5",
	} {
		if ms := Find([]byte(in)); len(ms) > 0 {
			t.Errorf("%s: unexpected %+v", in, ms)
		}
	}
}

func TestWriterAcrossWrites(t *testing.T) {
	tok := jwt(`{"sub":"bob"}`)
	in := "line one " + tok + " end\n" + `{"apiKey":"` + "Zk2pL9mN4rT6vW1yB3dF5hJ7Q8x" + `"}` + "\nlast " + tok
	var out bytes.Buffer
	w := NewWriter(&out)
	for i := 0; i < len(in); i += 7 {
		w.Write([]byte(in[i:min(i+7, len(in))]))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), tok) || strings.Contains(out.String(), "Zk2pL9mN4rT6vW1yB3dF5hJ7Q8x") {
		t.Fatalf("secret survived: %s", out.String())
	}
	if strings.Count(out.String(), fingerprint(tok)) != 2 {
		t.Fatalf("want the token's fingerprint twice: %s", out.String())
	}
}

func TestGuardAcrossWrites(t *testing.T) {
	tok := jwt(`{"sub":"bob"}`)
	in := strings.Repeat("x", 70000) + " " + tok + " end"
	var out bytes.Buffer
	g := NewGuard(&out)
	g.Where = func(off int64) string { return "entries[0]" }
	var err error
	for i := 0; i < len(in) && err == nil; i += 4096 {
		_, err = g.Write([]byte(in[i:min(i+4096, len(in))]))
	}
	le, ok := err.(*LeakError)
	if !ok {
		t.Fatalf("want a LeakError, got %v", err)
	}
	if le.Offset != 70001 || le.Kind != JWT || le.Member != "entries[0]" {
		t.Fatalf("got %+v", le)
	}
	if strings.Contains(le.Error(), tok[:20]) {
		t.Fatal("the error names the value")
	}
	if strings.Contains(out.String(), tok) {
		t.Fatal("the token was passed on")
	}
}

// TestWriterHalves: a write of splitMin bytes or more, redacted in two
// halves at once, gives what Redact gives of the whole, wherever the
// secrets and the line breaks ("\n", "\r\n", a lone "\r") fall around the
// cut.
func TestWriterHalves(t *testing.T) {
	tok := jwt(`{"sub":"carol"}`)
	shapes := []string{
		`"url": "https://a/cb?code=x&access_token=` + tok + `"`,
		`"authorization": "Bearer Zk2pL9mN4rT6vW1yB3dF5hJ7Q8xAbCdEf"`,
		`{"client_secret":"Qw3rTy7uIo9pAs1dFg5hJk2lZx8cVb4n"}`,
		`CLIENT_RANDOM 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff`,
		`plain text with nothing secret in it, only words`,
	}
	breaks := []string{"\n", "\r\n", "\r"}
	for lines := 0; lines < 60; lines += 7 {
		var in strings.Builder
		for in.Len() < splitMin+3000 {
			n := in.Len()
			in.WriteString(strings.Repeat("x", n%97))
			in.WriteString(shapes[(n/7+lines)%len(shapes)])
			in.WriteString(breaks[(n/3)%len(breaks)])
		}
		whole := []byte(in.String())
		want := Redact(whole)
		if bytes.Equal(want, whole) {
			t.Fatal("nothing redacted: the test shows nothing")
		}
		var out bytes.Buffer
		w := NewWriter(&out)
		w.Write(whole)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("lines %d: the writer's output differs from Redact of the whole", lines)
		}
		if strings.Contains(out.String(), tok) {
			t.Fatal("the token survived")
		}
	}
}

// TestSeparatorRunsLinear: a run of separators that follow no credential
// name is read in linear time. credentialAt read the value after each
// '=' before judging the name, so each '=' of a run read the rest of it:
// 32 KB of '=' took 4 s, and 256 KB would take minutes. The bound is
// loose on purpose (the scan now takes about a millisecond).
func TestSeparatorRunsLinear(t *testing.T) {
	for _, sep := range []string{"=", "%3D", ":"} {
		b := []byte(strings.Repeat(sep, 256<<10/len(sep)))
		start := time.Now()
		if got := Redact(b); !bytes.Equal(got, b) {
			t.Errorf("%q run: redacted", sep)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q run of 256 KB: %v", sep, d)
		}
	}
}

// TestJWTRunsLinear: a long base64url run with an "ey" every few bytes
// is read in linear time, and a token after or at the end of such a run
// is still found. jwtAt read the whole run after every "ey": 128 KB of
// "eyJ" took 10 s (quadratic: 256 KB, the size here, about 40 s); 1 MB
// of it now takes about 60 ms (loose bound of 5 s).
func TestJWTRunsLinear(t *testing.T) {
	tok := jwt(`{"sub":"alice","exp":1700000000}`)
	for _, filler := range []string{"eyJ", "eyJa", "eyJhbGci"} {
		run := strings.Repeat(filler, 256<<10/len(filler))
		start := time.Now()
		if got := Redact([]byte(run)); !bytes.Equal(got, []byte(run)) {
			t.Errorf("%q run: redacted", filler)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q run of 256 KB: %v", filler, d)
		}
		// A token after the run, and one whose first segment the run
		// begins: both leave no trace of the token's signature.
		for _, in := range []string{run + " " + tok + " end", run + tok + " end"} {
			out := string(Redact([]byte(in)))
			if strings.Contains(out, tok[strings.LastIndexByte(tok, '.')+1:]) {
				t.Errorf("%q run then token: the token's signature survives", filler)
			}
		}
	}
}
