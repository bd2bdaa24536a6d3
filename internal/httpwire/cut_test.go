package httpwire

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
)

var errLost = errors.New("bytes lost")

// failAfter reads s, then fails with err.
type failAfter struct {
	s   string
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.s == "" {
		return 0, f.err
	}
	n := copy(p, f.s)
	f.s = f.s[n:]
	return n, nil
}

// A reader failing inside the header section after a whole request line
// gives a CutError holding the request line and the fields read whole,
// nothing of the line it cut; one failing inside the request line, at its
// end, or a message cut by io.EOF, gives no request.
func TestReadRequestCut(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      *model.Request
	}{
		{"after two fields", "GET /callback?code=c0de&state=s HTTP/1.1\r\nHost: app.test:8080\r\nConnection: keep-alive\r\nUser-Ag",
			&model.Request{Method: "GET", URL: "http://app.test:8080/callback?code=c0de&state=s", Proto: "HTTP/1.1",
				Headers: model.Headers{{Name: "Host", Value: "app.test:8080"}, {Name: "Connection", Value: "keep-alive"}}}},
		{"inside the first field", "GET /authorize?client_id=a HTTP/1.1\r\nHo",
			&model.Request{Method: "GET", URL: "/authorize?client_id=a", Proto: "HTTP/1.1"}},
		{"right after the request line", "POST /token HTTP/1.1\r\n",
			&model.Request{Method: "POST", URL: "/token", Proto: "HTTP/1.1"}},
		{"inside the request line", "GET /callback?code=c0", nil},
		{"at the end of the request line", "GET /callback?code=c0de HTTP/1.1", nil},
	} {
		req, err := Options{}.ReadRequest(bufio.NewReader(&failAfter{s: tc.raw, err: errLost}))
		if req != nil || !errors.Is(err, errLost) {
			t.Errorf("%s: %v, %v; want no request and the reader's error", tc.name, req, err)
		}
		var cut *CutError
		if !errors.As(err, &cut) {
			if tc.want != nil {
				t.Errorf("%s: %v is no CutError", tc.name, err)
			}
			continue
		}
		if tc.want == nil {
			t.Errorf("%s: CutError %+v, want none", tc.name, cut.Request)
			continue
		}
		if diff := cmp.Diff(tc.want, cut.Request); diff != "" {
			t.Errorf("%s: request differs (-want +got):\n%s", tc.name, diff)
		}
		if strings.Contains(err.Error(), "c0de") || strings.Contains(err.Error(), "app.test") {
			t.Errorf("%s: error %q carries the request's text", tc.name, err)
		}
	}
	// Cut by the end of the input: malformed, as before.
	_, err := Options{}.ReadRequest(bufio.NewReader(strings.NewReader("GET /cb HTTP/1.1\r\nHost: a\r\n")))
	var cut *CutError
	if !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &cut) {
		t.Errorf("request cut by io.EOF: %v", err)
	}
}

// A reader failing inside a final response's header section after a whole
// status line gives a CutError holding the status line and the fields read
// whole, nothing of the line it cut (a redirect whose Location was cut is
// still a 302); one failing inside the status line, inside an interim 1xx
// response's header section, or a response cut by io.EOF, gives none.
func TestReadResponseCut(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      *model.Response
	}{
		{"inside Location", "HTTP/1.1 302 Found\r\nContent-Type: text/html; charset=utf-8\r\nLocation: http://app.test:8080/callback?code=c0",
			&model.Response{Proto: "HTTP/1.1", Status: 302, StatusText: "Found",
				Headers: model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}}},
		{"right after the status line", "HTTP/1.1 200 OK\r\n",
			&model.Response{Proto: "HTTP/1.1", Status: 200, StatusText: "OK"}},
		{"after a whole interim response", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\nCache-Control: no-store\r\nCont",
			&model.Response{Proto: "HTTP/1.1", Status: 400, StatusText: "Bad Request",
				Headers: model.Headers{{Name: "Cache-Control", Value: "no-store"}}}},
		{"inside an interim response", "HTTP/1.1 100 Continue\r\nX-A: b\r\n", nil},
		{"inside the status line", "HTTP/1.1 30", nil},
	} {
		resp, _, err := Options{}.ReadResponseHead(bufio.NewReader(&failAfter{s: tc.raw, err: errLost}), "GET")
		if resp != nil || !errors.Is(err, errLost) {
			t.Errorf("%s: %v, %v; want no response and the reader's error", tc.name, resp, err)
		}
		var cut *CutError
		if !errors.As(err, &cut) {
			if tc.want != nil {
				t.Errorf("%s: %v is no CutError", tc.name, err)
			}
			continue
		}
		if tc.want == nil {
			t.Errorf("%s: CutError %+v, want none", tc.name, cut.Response)
			continue
		}
		if cut.Request != nil {
			t.Errorf("%s: CutError with a request %+v", tc.name, cut.Request)
		}
		if diff := cmp.Diff(tc.want, cut.Response); diff != "" {
			t.Errorf("%s: response differs (-want +got):\n%s", tc.name, diff)
		}
		if strings.Contains(err.Error(), "c0") || strings.Contains(err.Error(), "app.test") {
			t.Errorf("%s: error %q carries the response's text", tc.name, err)
		}
	}
	// Cut by the end of the input: malformed, as before.
	_, _, err := Options{}.ReadResponseHead(bufio.NewReader(strings.NewReader("HTTP/1.1 302 Found\r\nLocation: /a\r\n")), "GET")
	var cut *CutError
	if !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &cut) {
		t.Errorf("response cut by io.EOF: %v", err)
	}
}
