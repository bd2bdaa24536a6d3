package httpwire

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/traceaudit/traceaudit/model"
)

type reqTest struct {
	Name   string
	Raw    string
	Scheme string
	Want   *model.Request
	Err    error
	// Warn is a text the warnings must contain.
	Warn string
	// Rest is what must remain unread after the request.
	Rest string
}

var reqTests = []reqTest{
	{
		Name: "origin-form keeps header order and case",
		Raw:  "GET /authorize?client_id=app&state=xyz HTTP/1.1\r\nhost: login.example.com\r\nX-B: 2\r\nX-a: 1\r\nCookie: s=secret\r\n\r\n",
		Want: &model.Request{
			Method: "GET", URL: "http://login.example.com/authorize?client_id=app&state=xyz", Proto: "HTTP/1.1",
			Headers: hdr("host", "login.example.com", "X-B", "2", "X-a", "1", "Cookie", "s=secret"),
		},
	},
	{
		Name:   "scheme from caller",
		Raw:    "GET / HTTP/1.1\nHost: a.example\n\n",
		Scheme: "https",
		Want:   &model.Request{Method: "GET", URL: "https://a.example/", Proto: "HTTP/1.1", Headers: hdr("Host", "a.example")},
	},
	{
		Name: "absolute-form through a proxy",
		Raw:  "GET HTTP://b.example/x?y=1 HTTP/1.1\r\nHost: b.example\r\n\r\n",
		Want: &model.Request{Method: "GET", URL: "http://b.example/x?y=1", Proto: "HTTP/1.1", Headers: hdr("Host", "b.example")},
	},
	{
		Name: "authority-form CONNECT",
		Raw:  "CONNECT login.example.com:443 HTTP/1.1\r\nHost: login.example.com:443\r\n\r\n\x16\x03\x01",
		Want: &model.Request{Method: "CONNECT", URL: "login.example.com:443", Proto: "HTTP/1.1", Headers: hdr("Host", "login.example.com:443")},
		Rest: "\x16\x03\x01",
	},
	{
		Name: "content-length body and pipelined next request",
		Raw:  "POST /token HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\nContent-Length: 9\r\n\r\ncode=abcdGET / HTTP/1.1\r\n\r\n",
		Want: &model.Request{
			Method: "POST", URL: "http://a/token", Proto: "HTTP/1.1",
			Headers: hdr("Host", "a", "Content-Type", "application/x-www-form-urlencoded; charset=utf-8", "Content-Length", "9"),
			Body:    model.Body{Size: 9, Data: []byte("code=abcd"), MIMEType: "application/x-www-form-urlencoded"},
		},
		Rest: "GET / HTTP/1.1\r\n\r\n",
	},
	{
		Name: "chunked with extension and trailer",
		Raw:  "POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n",
		Want: &model.Request{
			Method: "POST", URL: "http://a/p", Proto: "HTTP/1.1",
			Headers: hdr("Host", "a", "Transfer-Encoding", "chunked", "X-Trailer", "t"),
			Body:    model.Body{Size: 5, Data: []byte("abcde")},
		},
	},
	{
		Name: "obsolete line folding",
		Raw:  "GET / HTTP/1.0\r\nX-Long: a\r\n  b\r\n\r\n",
		Want: &model.Request{Method: "GET", URL: "/", Proto: "HTTP/1.0", Headers: hdr("X-Long", "a b")},
	},
	{
		Name: "HTTP/0.9 simple request",
		Raw:  "GET /old\r\n",
		Want: &model.Request{Method: "GET", URL: "/old", Proto: "HTTP/0.9"},
	},
	{
		Name: "body cut short is kept truncated",
		Raw:  "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc",
		Want: &model.Request{Method: "POST", URL: "/", Proto: "HTTP/1.1", Headers: hdr("Content-Length", "10"), Body: model.Body{Size: 3, Data: []byte("abc"), Truncated: true}},
		Warn: "body cut short: 3 of 10 bytes",
	},
	{
		Name: "chunked not last still frames the body",
		Raw:  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\nGET",
		Want: &model.Request{Method: "POST", URL: "/", Proto: "HTTP/1.1", Headers: hdr("Transfer-Encoding", "chunked, identity")},
		Rest: "GET",
	},
	{Name: "empty input", Raw: "", Err: io.EOF},
	{Name: "not http", Raw: "\x16\x03\x01\x02\x00 hello\r\n\r\n", Err: ErrMalformed},
	{
		Name: "line without colon skipped",
		Raw:  "CONNECT mail.example:25 / HTTP/1.0\r\nMozilla 4.0 (compatible; MSIE 5.01)\r\n\r\n",
		Want: &model.Request{Method: "CONNECT", URL: "mail.example:25", Proto: "HTTP/1.0"},
		Warn: "header line 1 is not a field",
	},
	{
		Name: "bad content-length: no body",
		Raw:  "POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\nGET",
		Want: &model.Request{Method: "POST", URL: "/", Proto: "HTTP/1.1", Headers: hdr("Content-Length", "1x")},
		Warn: "invalid Content-Length",
		Rest: "GET",
	},
	{
		Name: "conflicting content-length: no body",
		Raw:  "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		Want: &model.Request{Method: "POST", URL: "/", Proto: "HTTP/1.1", Headers: hdr("Content-Length", "1", "Content-Length", "2")},
		Warn: "conflicting Content-Length",
		Rest: "ab",
	},
	{Name: "header cut short", Raw: "GET / HTTP/1.1\r\nHost: a\r\n", Err: io.ErrUnexpectedEOF},
	{Name: "bad version", Raw: "GET / FTP/1.0\r\n\r\n", Err: ErrMalformed},
	{Name: "method glued to target", Raw: "GET/ HTTP/1.1\r\n\r\n", Err: ErrMalformed},
	{Name: "unknown method alone", Raw: "HELLO\r\n\r\n", Err: ErrMalformed},
	{
		Name: "broken version kept as sent",
		Raw:  "GET / HTTP/1.\nHost: h\n\n",
		Want: &model.Request{Method: "GET", URL: "http://h/", Proto: "HTTP/1.", Headers: hdr("Host", "h")},
	},
	{
		Name: "version-less line followed by headers",
		Raw:  "GET /HTTP/1.1\nHost: h\n\n",
		Want: &model.Request{Method: "GET", URL: "http://h/HTTP/1.1", Proto: "HTTP/0.9", Headers: hdr("Host", "h")},
	},
	{
		Name: "missing target",
		Raw:  "OPTIONS HTTP/1.1\nHost: h\n\n",
		Want: &model.Request{Method: "OPTIONS", URL: "", Proto: "HTTP/1.1", Headers: hdr("Host", "h")},
	},
	{
		Name: "known method alone",
		Raw:  "OPTIONS\nHost: h\n\n",
		Want: &model.Request{Method: "OPTIONS", URL: "", Proto: "HTTP/0.9", Headers: hdr("Host", "h")},
	},
	{
		Name: "chunk size overflow cuts the body",
		Raw:  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n10000000000000000\r\nx",
		Want: &model.Request{Method: "POST", URL: "/", Proto: "HTTP/1.1", Headers: hdr("Transfer-Encoding", "chunked"), Body: model.Body{Size: 2, Data: []byte("ab"), Truncated: true}},
		Warn: "invalid chunk size",
		Rest: "x",
	},
}

func TestReadRequest(t *testing.T) {
	for _, tt := range reqTests {
		t.Run(tt.Name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.Raw))
			var warns []string
			got, err := Options{Scheme: tt.Scheme, Warn: func(m string) { warns = append(warns, m) }}.ReadRequest(br)
			if tt.Err != nil {
				if !errors.Is(err, tt.Err) {
					t.Fatalf("err = %v, want %v", err, tt.Err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.Want, got); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(strings.Join(warns, "\n"), tt.Warn) || tt.Warn == "" && len(warns) > 0 {
				t.Errorf("warnings %q, want one containing %q", warns, tt.Warn)
			}
			rest, _ := io.ReadAll(br)
			if string(rest) != tt.Rest {
				t.Errorf("rest = %q, want %q", rest, tt.Rest)
			}
		})
	}
}

func TestErrorsHideSecrets(t *testing.T) {
	raws := []string{
		"GET /cb?code=SECRETCODE FTP/9\r\n\r\n",
		"GET / HTTP/1.1\r\nCookie SECRETCODE\r\n\r\n",
		"GET / HTTP/1.1\r\nAuthorization: Bearer SECRETCODE\r\nbad line SECRETCODE\r\n\r\n",
	}
	for _, raw := range raws {
		var said []string
		_, err := Options{Warn: func(m string) { said = append(said, m) }}.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			said = append(said, err.Error())
		}
		if len(said) == 0 {
			t.Fatalf("%q: neither error nor warning", raw)
		}
		if strings.Contains(strings.Join(said, "\n"), "SECRETCODE") {
			t.Errorf("error or warning leaks a secret: %q", said)
		}
	}
}

func TestLimits(t *testing.T) {
	many := "GET / HTTP/1.1\r\n" + strings.Repeat("X: y\r\n", 20) + "\r\n"
	_, err := ReadRequest(bufio.NewReader(strings.NewReader(many)), model.Limits{HeaderCount: 10})
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("header count: err = %v", err)
	}
	big := "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", 5000) + "\r\n\r\n"
	_, err = ReadRequest(bufio.NewReader(strings.NewReader(big)), model.Limits{HeaderBytes: 1000})
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("header bytes: err = %v", err)
	}
	body := "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("z", 100)
	req, err := ReadRequest(bufio.NewReader(strings.NewReader(body)), model.Limits{BodyBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if req.Body.Size != 100 || len(req.Body.Data) != 10 || !req.Body.Truncated {
		t.Errorf("body = size %d, kept %d, truncated %v", req.Body.Size, len(req.Body.Data), req.Body.Truncated)
	}
}

type respTest struct {
	Name   string
	Raw    string
	Method string
	Want   *model.Response
	Err    error
	Rest   string
}

var respTests = []respTest{
	{
		Name: "interim 100 skipped",
		Raw:  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
		Want: &model.Response{Status: 200, StatusText: "OK", Proto: "HTTP/1.1", Headers: hdr("Content-Length", "2"), Body: model.Body{Size: 2, Data: []byte("ok")}},
	},
	{
		Name:   "HEAD has no body",
		Method: "HEAD",
		Raw:    "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		Want:   &model.Response{Status: 200, StatusText: "OK", Proto: "HTTP/1.1", Headers: hdr("Content-Length", "50")},
		Rest:   "HTTP/1.1 204 No Content\r\n\r\n",
	},
	{
		Name: "304 has no body",
		Raw:  "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\nnext",
		Want: &model.Response{Status: 304, StatusText: "Not Modified", Proto: "HTTP/1.1", Headers: hdr("Content-Length", "50")},
		Rest: "next",
	},
	{
		Name: "101 switching protocols stops",
		Raw:  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
		Want: &model.Response{Status: 101, StatusText: "Switching Protocols", Proto: "HTTP/1.1", Headers: hdr("Upgrade", "websocket")},
		Rest: "\x81\x05hello",
	},
	{
		Name:   "CONNECT 200 starts a tunnel",
		Method: "CONNECT",
		Raw:    "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03",
		Want:   &model.Response{Status: 200, StatusText: "Connection established", Proto: "HTTP/1.1"},
		Rest:   "\x16\x03\x03",
	},
	{
		Name: "close-delimited",
		Raw:  "HTTP/1.0 302 Found\r\nLocation: https://app/cb?code=x\r\nContent-Type: text/html\r\n\r\n<html>moved</html>",
		Want: &model.Response{Status: 302, StatusText: "Found", Proto: "HTTP/1.0", Headers: hdr("Location", "https://app/cb?code=x", "Content-Type", "text/html"), Body: model.Body{Size: 18, Data: []byte("<html>moved</html>"), MIMEType: "text/html"}},
	},
	{
		Name: "chunked gzip json",
		Raw:  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk(gz(`{"access_token":"t"}`)) + "0\r\n\r\n",
		Want: &model.Response{Status: 200, StatusText: "OK", Proto: "HTTP/1.1",
			Headers: hdr("Content-Type", "application/json", "Content-Encoding", "gzip", "Transfer-Encoding", "chunked"),
			Body:    model.Body{Size: int64(len(gz(`{"access_token":"t"}`))), Data: []byte(`{"access_token":"t"}`), MIMEType: "application/json"}},
	},
	{Name: "no status code", Raw: "HTTP/1.1 OK\r\n\r\n", Err: ErrMalformed},
	{Name: "request instead of response", Raw: "GET / HTTP/1.1\r\n\r\n", Err: ErrMalformed},
}

func chunk(b []byte) string {
	const hex = "0123456789abcdef"
	n := len(b)
	s := ""
	for n > 0 {
		s = string(hex[n%16]) + s
		n /= 16
	}
	return s + "\r\n" + string(b) + "\r\n"
}

func gz(s string) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write([]byte(s))
	w.Close()
	return buf.Bytes()
}

func TestReadResponse(t *testing.T) {
	for _, tt := range respTests {
		t.Run(tt.Name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tt.Raw))
			got, err := ReadResponse(br, tt.Method, model.Limits{})
			if tt.Err != nil {
				if !errors.Is(err, tt.Err) {
					t.Fatalf("err = %v, want %v", err, tt.Err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.Want, got); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
			rest, _ := io.ReadAll(br)
			if string(rest) != tt.Rest {
				t.Errorf("rest = %q, want %q", rest, tt.Rest)
			}
		})
	}
}

func compress(t *testing.T, coding string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "zlib":
		w = zlib.NewWriter(&buf)
	case "rawdeflate":
		w, _ = flate.NewWriter(&buf, flate.BestSpeed)
	case "br":
		w = brotli.NewWriter(&buf)
	case "zstd":
		var err error
		w, err = zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeContent(t *testing.T) {
	plain := []byte(strings.Repeat(`{"error":"invalid_grant"}`, 10))
	for _, c := range []struct{ coding, header string }{
		{"gzip", "gzip"}, {"gzip", "x-gzip"}, {"zlib", "deflate"}, {"rawdeflate", "deflate"}, {"br", "br"}, {"zstd", "zstd"},
	} {
		got, trunc, err := DecodeContent(c.header, compress(t, c.coding, plain), 1<<20)
		if err != nil || trunc || !bytes.Equal(got, plain) {
			t.Errorf("%s as %s: got %d bytes, truncated %v, err %v", c.coding, c.header, len(got), trunc, err)
		}
	}
	chained := compress(t, "br", compress(t, "gzip", plain))
	if got, _, err := DecodeContent("gzip, br", chained, 1<<20); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("chain gzip, br: %q, %v", got, err)
	}
	if got, _, err := DecodeContent("identity", plain, 1<<20); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("identity: %v", err)
	}
	// A bomb is cut at the limit, not inflated.
	bomb := compress(t, "gzip", make([]byte, 50<<20))
	got, trunc, err := DecodeContent("gzip", bomb, 4096)
	if err != nil || !trunc || len(got) != 4096 {
		t.Errorf("bomb: %d bytes, truncated %v, err %v", len(got), trunc, err)
	}
	// A stream cut by the capture yields its start.
	cut := compress(t, "gzip", plain)
	got, trunc, err = DecodeContent("gzip", cut[:len(cut)/2], 1<<20)
	if err != nil || !trunc || len(got) == 0 {
		t.Errorf("cut: %d bytes, truncated %v, err %v", len(got), trunc, err)
	}
	if _, _, err := DecodeContent("compress", plain, 1<<20); !errors.Is(err, ErrEncoding) {
		t.Errorf("unknown coding: err = %v", err)
	}
	if _, _, err := DecodeContent("gzip", []byte("not gzip at all"), 1<<20); !errors.Is(err, ErrEncoding) {
		t.Errorf("corrupt gzip: err = %v", err)
	}
}

// hdr builds Headers from name, value pairs.
func hdr(kv ...string) model.Headers {
	var h model.Headers
	for i := 0; i+1 < len(kv); i += 2 {
		h = append(h, model.Header{Name: kv[i], Value: kv[i+1]})
	}
	return h
}
