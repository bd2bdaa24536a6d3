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
