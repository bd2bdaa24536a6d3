package capgen

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/andybalholm/brotli"
)

// A customer-like capture (Config.Customer): a sign-in (authorize redirect,
// callback page, token request and its answer) on the first connection and
// again, failing, half way through; every other exchange fetches what a
// real site serves around it: gzip and br compressed scripts, styles and
// JSON, chunked or with Content-Length, images and fonts. Real captures are
// mostly such bodies, which a dissector reassembles and decompresses.

// asset is one kind of response body.
type asset struct {
	path, ctype string
	encoding    string // "", "gzip" or "br"
	chunked     bool
	text        bool // compressible text, else random bytes
	json        bool // an array of records, which compresses more than scripts
	min, max    int  // decoded size range
	weight      int
}

var assets = []asset{
	{"/static/js/main.%d.js", "application/javascript", "gzip", false, true, false, 40 << 10, 160 << 10, 30},
	{"/static/js/vendor.%d.js", "application/javascript; charset=utf-8", "br", true, true, false, 60 << 10, 200 << 10, 10},
	{"/static/css/site.%d.css", "text/css", "gzip", true, true, false, 20 << 10, 80 << 10, 10},
	{"/api/v1/items?page=%d", "application/json; charset=utf-8", "gzip", true, true, true, 8 << 10, 60 << 10, 15},
	{"/img/hero-%d.jpg", "image/jpeg", "", false, false, false, 10 << 10, 70 << 10, 20},
	{"/img/icon-%d.png", "image/png", "", false, false, false, 1 << 10, 12 << 10, 8},
	{"/fonts/inter-%d.woff2", "font/woff2", "", false, false, false, 20 << 10, 50 << 10, 5},
	{"/app/page-%d", "text/html; charset=utf-8", "gzip", true, true, false, 10 << 10, 40 << 10, 2},
}

// words make script-, style- and JSON-like text that compresses about as
// real text does (3 to 5 times).
var words = strings.Fields(`function return var let const if else for while this null true false undefined
	document window addEventListener querySelector createElement appendChild length push map filter reduce
	prototype Object Array String Promise async await then catch new typeof instanceof .container .header
	display:flex; margin:0 auto; padding:12px; color:#333; "id": "name": "value": "items": "total": "href":
	{ } ( ) [ ] ; , = => + - * / && || ! === !== < > i j k x y data result options config state props el e
	0 1 2 10 100 255 "2026-01-02T03:04:05Z" "https://cdn.example/assets/" "application/json" module exports`)

func (g *gen) rng(c *conn, n int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(c.id), uint64(n)))
}

// textBody writes n bytes of word soup.
func textBody(r *rand.Rand, n int) []byte {
	var b bytes.Buffer
	b.Grow(n + 32)
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		if r.IntN(12) == 0 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.Bytes()[:n]
}

func encode(encoding string, body []byte) []byte {
	var b bytes.Buffer
	switch encoding {
	case "gzip":
		zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
		zw.Write(body)
		zw.Close()
	case "br":
		bw := brotli.NewWriterLevel(&b, 4)
		bw.Write(body)
		bw.Close()
	default:
		return body
	}
	return b.Bytes()
}

// jsonBody writes an array of records of about n bytes.
func jsonBody(r *rand.Rand, n int) []byte {
	b := []byte(`{"items":[`)
	for i := 0; len(b) < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"id":%d,"name":"%s %s","price":%d.%02d,"tags":["%s","%s"],"updated":"2026-01-%02dT%02d:%02d:00Z","available":%v}`,
			r.IntN(1e6), words[r.IntN(len(words))], words[r.IntN(len(words))], r.IntN(500), r.IntN(100),
			words[r.IntN(len(words))], words[r.IntN(len(words))], 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(2) == 0)
	}
	return append(b, "]}"...)
}

// chunk frames body in chunks of a few KiB, as servers flush them.
func chunk(r *rand.Rand, body []byte) []byte {
	var b bytes.Buffer
	for len(body) > 0 {
		k := min(len(body), 2048+r.IntN(14<<10))
		fmt.Fprintf(&b, "%x\r\n", k)
		b.Write(body[:k])
		b.WriteString("\r\n")
		body = body[k:]
	}
	b.WriteString("0\r\n\r\n")
	return b.Bytes()
}

const browserHeaders = "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\r\n" +
	"Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\nConnection: keep-alive\r\n"

// customerExchange returns the request and response of exchange n of c.
func (g *gen) customerExchange(c *conn, n int) (req, resp []byte) {
	signIn := c.id == 0 || c.id == g.cfg.Conns/2
	if signIn && n < 3 {
		return g.signIn(c, n)
	}
	r := g.rng(c, n)
	total := 0
	for _, a := range assets {
		total += a.weight
	}
	pick := r.IntN(total)
	a := assets[0]
	for _, x := range assets {
		if pick < x.weight {
			a = x
			break
		}
		pick -= x.weight
	}
	size := a.min + r.IntN(a.max-a.min+1)
	var body []byte
	switch {
	case a.json:
		body = jsonBody(r, size)
	case a.text:
		body = textBody(r, size)
	default:
		body = make([]byte, size)
		for i := range body {
			body[i] = byte(r.Uint32())
		}
		switch a.ctype {
		case "image/jpeg":
			copy(body, "\xff\xd8\xff\xe0\x00\x10JFIF\x00")
		case "image/png":
			copy(body, "\x89PNG\r\n\x1a\n")
		case "font/woff2":
			copy(body, "wOF2")
		}
	}
	host := "www.example.com"
	if !a.text || a.encoding == "br" {
		host = "cdn.example.com"
	}
	path := fmt.Sprintf(a.path, c.id*10+n)
	req = fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\n%sAccept: */*\r\nReferer: https://www.example.com/app/\r\n\r\n", path, host, browserHeaders)
	return req, g.response("200 OK", a.ctype, a.encoding, a.chunked, r, body, "Cache-Control: public, max-age=31536000\r\n")
}

// response frames body as a response.
func (g *gen) response(status, ctype, encoding string, chunked bool, r *rand.Rand, body []byte, extra string) []byte {
	wire := encode(encoding, body)
	var h bytes.Buffer
	fmt.Fprintf(&h, "HTTP/1.1 %s\r\nDate: Fri, 02 Jan 2026 03:04:05 GMT\r\nServer: nginx\r\nContent-Type: %s\r\n%s", status, ctype, extra)
	if encoding != "" {
		fmt.Fprintf(&h, "Content-Encoding: %s\r\nVary: Accept-Encoding\r\n", encoding)
	}
	if chunked {
		h.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		h.Write(chunk(r, wire))
	} else {
		fmt.Fprintf(&h, "Content-Length: %d\r\n\r\n", len(wire))
		h.Write(wire)
	}
	return h.Bytes()
}

// signIn is the authorization code flow: the authorize request answered
// with a redirect to the app's callback, the callback page, the token
// request. The second sign-in's token request fails (the code was used).
func (g *gen) signIn(c *conn, n int) (req, resp []byte) {
	r := g.rng(c, n)
	const code = "0.AXoA3kq8Yb-authorization-code-value"
	switch n {
	case 0:
		req = fmt.Appendf(nil, "GET /oauth2/v2.0/authorize?client_id=6731de76-14a6-49ae-97bc-6eba6914391e&response_type=code"+
			"&redirect_uri=http%%3A%%2F%%2Fwww.example.com%%2Fapp%%2Fcallback&scope=openid%%20profile%%20offline_access"+
			"&state=st%d&nonce=n%d&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256 HTTP/1.1\r\n"+
			"Host: login.example.com\r\n%sAccept: text/html\r\n\r\n", c.id, c.id, browserHeaders)
		resp = fmt.Appendf(nil, "HTTP/1.1 302 Found\r\nLocation: http://www.example.com/app/callback?code=%s&state=st%d\r\n"+
			"Set-Cookie: esctx=abc; path=/; HttpOnly\r\nContent-Length: 0\r\n\r\n", code, c.id)
	case 1:
		req = fmt.Appendf(nil, "GET /app/callback?code=%s&state=st%d HTTP/1.1\r\nHost: www.example.com\r\n%sAccept: text/html\r\n\r\n",
			code, c.id, browserHeaders)
		resp = g.response("200 OK", "text/html; charset=utf-8", "gzip", true, r,
			append([]byte("<!doctype html><html><head><title>Signing in</title></head><body>"), textBody(r, 6000)...), "")
	default:
		form := fmt.Sprintf("grant_type=authorization_code&code=%s&redirect_uri=http%%3A%%2F%%2Fwww.example.com%%2Fapp%%2Fcallback"+
			"&client_id=6731de76-14a6-49ae-97bc-6eba6914391e&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", code)
		req = fmt.Appendf(nil, "POST /oauth2/v2.0/token HTTP/1.1\r\nHost: login.example.com\r\n%sAccept: application/json\r\n"+
			"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", browserHeaders, len(form), form)
		body := `{"token_type":"Bearer","scope":"openid profile offline_access","expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGkifQ.c2lnbmF0dXJl","refresh_token":"0.AXoA-refresh-token-value","id_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcHAifQ.c2lnbmF0dXJl"}`
		status := "200 OK"
		if c.id != 0 {
			status = "400 Bad Request"
			body = `{"error":"invalid_grant","error_description":"AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.","error_codes":[54005]}`
		}
		resp = g.response(status, "application/json; charset=utf-8", "gzip", false, r, []byte(body), "Cache-Control: no-store\r\n")
	}
	return req, resp
}
