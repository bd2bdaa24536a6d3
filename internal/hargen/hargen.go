// Package hargen writes large, deterministic, Chrome-like HAR documents for
// benchmarks: the reader's speed and memory are measured on the kind of file
// that hurts (a few hundred entries with near-megabyte bodies), without
// committing hundreds of megabytes of fixtures.
package hargen

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Config sizes the generated document.
type Config struct {
	Entries   int // number of log.entries
	BodyBytes int // approximate decoded size of each response body
	Seed      uint64
	// Customer shapes the document like the HARs customers send with a
	// sign-in ticket: one sign-in (app redirects with Location and
	// Set-Cookie, authorize, callback, token request) followed by the
	// page's assets, most of them images stored as base64, some scripts and
	// small JSON calls carrying cookies. BodyBytes is then the size of an
	// image's base64 text.
	Customer bool
}

// ManyEntries is the shape of long-running captures: many small entries
// (about 1.7 KB each), where per-entry costs dominate, not body bytes.
func ManyEntries(n int) Config { return Config{Entries: n, BodyBytes: 400, Seed: 1} }

// CustomerLike is 2,000 entries of mostly base64 images, about 50 MB.
var CustomerLike = Config{Entries: 2000, BodyBytes: 30 << 10, Seed: 1, Customer: true}

// Default is the benchmark's shape: 240 entries of ~850 KB, about 200 MB.
// BodyBytes is the approximate size of the body as it appears in the file.
var Default = Config{Entries: 240, BodyBytes: 850 << 10, Seed: 1}

// Write writes one HAR document to w and returns the bytes written.
// Bodies alternate between HTML text (with the quotes and newlines that
// make JSON escaping work hard) and base64-encoded binary, as browsers
// export them.
func Write(w io.Writer, cfg Config) (int64, error) {
	cw := &countWriter{w: bufio.NewWriterSize(w, 1<<20)}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	fmt.Fprint(cw, `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},`)
	fmt.Fprintf(cw, `"pages":[{"startedDateTime":%q,"id":"page_1","title":"https://login.example.com/","pageTimings":{"onContentLoad":812.5,"onLoad":1290.1}}],`,
		start.Format(time.RFC3339Nano))
	fmt.Fprint(cw, `"entries":[`)
	for i := range cfg.Entries {
		if i > 0 {
			fmt.Fprint(cw, ",")
		}
		write := writeEntry
		if cfg.Customer {
			write = writeCustomerEntry
		}
		if err := write(cw, rng, i, start.Add(time.Duration(i)*37*time.Millisecond), cfg.BodyBytes); err != nil {
			return cw.n, err
		}
	}
	fmt.Fprint(cw, "]}}\n")
	if cw.err != nil {
		return cw.n, cw.err
	}
	return cw.n, cw.w.(*bufio.Writer).Flush()
}

func writeEntry(w *countWriter, rng *rand.Rand, i int, at time.Time, bodyBytes int) error {
	url := fmt.Sprintf("https://cdn.example.com/assets/%d/app.%x.js?v=%d", i, rng.Uint64(), i)
	method := "GET"
	var post string
	if i%10 == 3 {
		method = "POST"
		url = "https://login.example.com/oauth2/v2.0/token"
		post = fmt.Sprintf(`,"postData":{"mimeType":"application/x-www-form-urlencoded","text":"grant_type=authorization_code&code=gen%d&redirect_uri=https%%3A%%2F%%2Fapp.example.com%%2Fcb"}`, i)
	}
	fmt.Fprintf(w, `{"_initiator":{"type":"parser","url":"https://app.example.com/","lineNumber":%d},"_priority":"High","_resourceType":"script","cache":{},"connection":"%d","pageref":"page_1",`,
		rng.IntN(500), 1000+i%6)
	fmt.Fprintf(w, `"request":{"method":%q,"url":%q,"httpVersion":"http/2.0","headers":[`, method, url)
	writeHeaders(w, []string{
		":authority", "cdn.example.com", ":method", method, ":path", "/assets/app.js", ":scheme", "https",
		"accept", "*/*", "accept-encoding", "gzip, deflate, br", "accept-language", "en-US,en;q=0.9",
		"sec-ch-ua", `"Chromium";v="122", "Not(A:Brand";v="24"`,
		"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
	})
	fmt.Fprintf(w, `],"queryString":[{"name":"v","value":"%d"}],"cookies":[],"headersSize":-1,"bodySize":0%s},`, i, post)

	body, encoding := makeBody(rng, i, bodyBytes)
	mimeType, cacheControl, size := "text/html", "max-age=31536000", bodyBytes
	if method == "POST" {
		// A token endpoint answers with JSON: an HTML page there is a
		// failed redemption (a proxy's or gateway's page), which the
		// rules report.
		body, encoding = tokenResponse(rng, at), ""
		mimeType, cacheControl, size = "application/json", "no-store, no-cache", len(body)
	}
	text, err := jsonString(body)
	if err != nil {
		return err
	}
	fmt.Fprint(w, `"response":{"status":200,"statusText":"","httpVersion":"http/2.0","headers":[`)
	writeHeaders(w, []string{
		"content-type", mimeType + "; charset=utf-8", "cache-control", cacheControl,
		"date", at.Format(time.RFC1123), "server", "gen",
	})
	fmt.Fprintf(w, `],"cookies":[],"content":{"size":%d,"mimeType":%q,"compression":0,"text":%s%s},"redirectURL":"","headersSize":-1,"bodySize":%d,"_transferSize":%d,"_error":null},`,
		size, mimeType, text, encoding, size, size+300)
	fmt.Fprintf(w, `"serverIPAddress":"192.0.2.%d","startedDateTime":%q,"time":%.3f,"timings":{"blocked":0.8,"dns":-1,"ssl":-1,"connect":-1,"send":0.1,"wait":20.2,"receive":3.4,"_blocked_queueing":0.5}}`,
		1+i%200, at.Format(time.RFC3339Nano), 24.5+float64(rng.IntN(1000))/10)
	return w.err
}

func writeHeaders(w *countWriter, kv []string) {
	for j := 0; j+1 < len(kv); j += 2 {
		if j > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprintf(w, `{"name":%q,"value":%q}`, kv[j], kv[j+1])
	}
}

// makeBody returns the body's JSON string value and the content.encoding
// member that goes with it.
func makeBody(rng *rand.Rand, i, n int) (string, string) {
	if i%2 == 1 {
		raw := make([]byte, n*3/4) // base64 makes it n again
		for k := range raw {
			raw[k] = byte(rng.Uint32())
		}
		return base64.StdEncoding.EncodeToString(raw), `,"encoding":"base64"`
	}
	const line = "<div class=\"row\" data-id=\"%d\">\t<a href=\"/p/%d?x=1&y=2\">item \u00e9 %d</a></div>\n"
	b := make([]byte, 0, n+128)
	for k := 0; len(b) < n*9/10; k++ { // JSON escapes add about a tenth
		b = fmt.Appendf(b, line, k, rng.IntN(1e6), k)
	}
	return string(b), ""
}

// tokenResponse is a token endpoint's answer to an authorization code
// grant as Entra sends it, about 3.5 KB: a JWT access token and ID token
// (signed with a 2048-bit key) and an opaque refresh token, all random.
func tokenResponse(rng *rand.Rand, at time.Time) string {
	b64 := base64.RawURLEncoding
	random := func(n int) string {
		raw := make([]byte, n)
		for k := range raw {
			raw[k] = byte(rng.Uint32())
		}
		return b64.EncodeToString(raw)
	}
	jwt := func(claims string) string {
		return b64.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256","kid":"gen`+random(6)+`"}`)) + "." +
			b64.EncodeToString([]byte(claims)) + "." + random(256)
	}
	iat := at.Unix()
	common := fmt.Sprintf(`"iss":"https://login.example.com/6a1c5e2f-0c1b-4d8e-9f3a-2b7c4d5e6f70/v2.0","iat":%d,"nbf":%d,"exp":%d,"sub":%q,"oid":%q,"tid":"6a1c5e2f-0c1b-4d8e-9f3a-2b7c4d5e6f70","uti":%q,"ver":"2.0"`,
		iat, iat, iat+3599, random(32), random(16), random(16))
	access := jwt(`{"aud":"00000003-0000-0000-c000-000000000000","scp":"openid profile User.Read","appid":"6731de76-14a6-49ae-97bc-6eba6914391e","name":"Gen User",` + common + `}`)
	id := jwt(`{"aud":"6731de76-14a6-49ae-97bc-6eba6914391e","nonce":"` + random(12) + `","name":"Gen User",` + common + `}`)
	return fmt.Sprintf(`{"token_type":"Bearer","scope":"openid profile User.Read","expires_in":3599,"ext_expires_in":3599,"access_token":%q,"refresh_token":%q,"id_token":%q}`,
		access, "0.A"+random(600), id)
}

// jsonString quotes s as browsers do: without escaping <, > and &.
func jsonString(s string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// signIn is the customer-like document's sign-in, entries 0 to 5: method,
// URL, status, response headers (name, value pairs), request Cookie
// header, response MIME type and body.
var signIn = []struct {
	method, url string
	status      int
	headers     []string
	cookie      string
	mime, body  string
	post        string
}{
	{"GET", "https://app.example.com/", 302, []string{"location", "https://app.example.com/signin"}, "", "text/html", "", ""},
	{"GET", "https://app.example.com/signin", 302, []string{
		"location", "https://login.example.com/oauth2/v2.0/authorize?client_id=6731de76-14a6-49ae-97bc-6eba6914391e&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc&scope=openid%20profile&state=CfDJ8Gen1state&nonce=gen1nonce&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&response_mode=query",
		"set-cookie", ".AspNetCore.Correlation.CfDJ8Gen1state=N; expires=Sun, 01 Mar 2026 09:15:00 GMT; path=/signin-oidc; secure; samesite=none; httponly",
		"set-cookie", ".AspNetCore.OpenIdConnect.Nonce.gen1nonce=N; expires=Sun, 01 Mar 2026 09:15:00 GMT; path=/signin-oidc; secure; samesite=none; httponly",
	}, "", "text/html", "", ""},
	{"GET", "https://login.example.com/oauth2/v2.0/authorize?client_id=6731de76-14a6-49ae-97bc-6eba6914391e&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc&scope=openid%20profile&state=CfDJ8Gen1state&nonce=gen1nonce&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&response_mode=query",
		302, []string{"location", "https://app.example.com/signin-oidc?code=gen1code.AQABAAIAAAD&state=CfDJ8Gen1state"}, "", "text/html", "", ""},
	{"GET", "https://app.example.com/signin-oidc?code=gen1code.AQABAAIAAAD&state=CfDJ8Gen1state", 302, []string{"location", "https://app.example.com/"},
		".AspNetCore.Correlation.CfDJ8Gen1state=N; .AspNetCore.OpenIdConnect.Nonce.gen1nonce=N", "text/html", "", ""},
	{"POST", "https://login.example.com/oauth2/v2.0/token", 400, nil, "", "application/json",
		`{"error":"invalid_grant","error_description":"AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.","error_codes":[54005]}`,
		"client_id=6731de76-14a6-49ae-97bc-6eba6914391e&grant_type=authorization_code&code=gen1code.AQABAAIAAAD&redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"},
	{"GET", "https://api.example.com/v1/me?access_token=gen1access.eyJ0eXAiOiJKV1Qi", 200, nil, "", "application/json", `{"name":"Gen User"}`, ""},
}

// writeCustomerEntry writes entry i of the customer-like document: the
// sign-in and a call with a token in its URL first, then assets (seven in
// ten images as base64, two in ten scripts, one in ten a small JSON call
// with the session cookie, one in fifty a redirect).
func writeCustomerEntry(w *countWriter, rng *rand.Rand, i int, at time.Time, imageBytes int) error {
	method, url, status, mimeType := "GET", "", 200, ""
	var respHeaders []string
	var cookie, body, encoding, post string
	switch {
	case i < len(signIn):
		s := signIn[i]
		method, url, status, respHeaders, cookie, mimeType, body, post = s.method, s.url, s.status, s.headers, s.cookie, s.mime, s.body, s.post
	case i%50 == 17:
		// A moved asset: a redirect that is not OAuth.
		url, status, mimeType = fmt.Sprintf("https://app.example.com/static/%d.css", i), 301, "text/html"
		respHeaders = []string{"location", fmt.Sprintf("https://cdn.example.com/static/%d.css", i)}
	case i%10 < 7:
		url = fmt.Sprintf("https://app.example.com/img/%d/%x.png", i, rng.Uint64())
		mimeType = "image/png"
		raw := make([]byte, imageBytes*3/4)
		for k := range raw {
			raw[k] = byte(rng.Uint32())
		}
		body, encoding = base64.StdEncoding.EncodeToString(raw), `,"encoding":"base64"`
	case i%10 < 9:
		url = fmt.Sprintf("https://cdn.example.com/js/chunk.%x.js", rng.Uint64())
		mimeType = "application/javascript"
		b := make([]byte, 0, imageBytes)
		for k := 0; len(b) < imageBytes*3/4; k++ {
			b = fmt.Appendf(b, "function f%d(a){return a.map(function(x){return \"%d\"+x})}\n", k, rng.IntN(1e6))
		}
		body = string(b)
	default:
		url = fmt.Sprintf("https://app.example.com/api/items?page=%d", i)
		mimeType = "application/json"
		cookie = ".AspNetCore.Cookies=CfDJ8session" + fmt.Sprint(i%7)
		body = fmt.Sprintf(`{"page":%d,"items":[{"id":%d,"name":"item %d"}]}`, i, rng.IntN(1e6), i)
	}
	reqHeaders := []string{"accept", "*/*", "accept-language", "en-US,en;q=0.9",
		"user-agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0"}
	if cookie != "" {
		reqHeaders = append(reqHeaders, "cookie", cookie)
	}
	fmt.Fprintf(w, `{"_initiator":{"type":"parser","url":"https://app.example.com/"},"_priority":"High","cache":{},"connection":"%d","pageref":"page_1",`, 2000+i%6)
	fmt.Fprintf(w, `"request":{"method":%q,"url":%q,"httpVersion":"http/2.0","headers":[`, method, url)
	writeHeaders(w, reqHeaders)
	fmt.Fprint(w, `],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0`)
	if post != "" {
		fmt.Fprintf(w, `,"postData":{"mimeType":"application/x-www-form-urlencoded","text":%q}`, post)
	}
	fmt.Fprint(w, `},`)
	text, err := jsonString(body)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, `"response":{"status":%d,"statusText":"","httpVersion":"http/2.0","headers":[`, status)
	writeHeaders(w, append([]string{"content-type", mimeType, "date", at.Format(time.RFC1123)}, respHeaders...))
	fmt.Fprintf(w, `],"cookies":[],"content":{"size":%d,"mimeType":%q,"text":%s%s},"redirectURL":"","headersSize":-1,"bodySize":%d},`,
		len(body), mimeType, text, encoding, len(body))
	fmt.Fprintf(w, `"serverIPAddress":"192.0.2.%d","startedDateTime":%q,"time":%.3f,"timings":{"blocked":0.8,"dns":-1,"ssl":-1,"connect":-1,"send":0.1,"wait":20.2,"receive":3.4}}`,
		1+i%200, at.Format(time.RFC3339Nano), 24.5+float64(rng.IntN(1000))/10)
	return w.err
}
