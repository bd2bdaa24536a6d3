package httpwire

import (
	"bufio"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// TestTokenMask: isTokenChar by its mask is the definition it replaced, for
// every byte.
func TestTokenMask(t *testing.T) {
	for c := range 256 {
		b := byte(c)
		want := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
		if isTokenChar(b) != want {
			t.Errorf("isTokenChar(%q) = %v, want %v", b, !want, want)
		}
	}
}

// lookedUp are the names httpwire looks for with fieldIs.
var lookedUp = []string{"Host", "Content-Type", "Transfer-Encoding", "Content-Length", "Content-Encoding"}

// checkFieldIs fails when fieldIs and strings.EqualFold disagree on a name
// of h for a name looked up.
func checkFieldIs(t *testing.T, h model.Headers) {
	t.Helper()
	for _, f := range h {
		for _, w := range lookedUp {
			if fieldIs(f.Name, w) != strings.EqualFold(f.Name, w) {
				t.Fatalf("fieldIs(%q, %q) = %v, EqualFold says otherwise", f.Name, w, fieldIs(f.Name, w))
			}
		}
	}
}

// TestFieldIsOnReadNames: the names readHeaders keeps are ASCII tokens, on
// which fieldIs is strings.EqualFold, whatever the header section holds:
// names with non-ASCII letters that fold onto ASCII ones (the Kelvin sign,
// the long s, the dotted I) are skipped as not being tokens.
func TestFieldIsOnReadNames(t *testing.T) {
	raw := "GET / HTTP/1.1\r\n" +
		"Host: a\r\n" +
		"Content-\u212aength: 1\r\n" + // not a token: skipped
		"Tran\u017ffer-Encoding: chunked\r\n" +
		"Content-Type\u0130: x\r\n" +
		"content-length: 0\r\n" +
		"CONTENT-TYPE: text/plain\r\n" +
		"\r\n"
	req, err := Options{}.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Headers) != 3 {
		t.Fatalf("headers %q, want the three token names", req.Headers)
	}
	checkFieldIs(t, req.Headers)
	if req.Body.MIMEType != "text/plain" || req.Body.Size != 0 {
		t.Fatalf("body %+v, want text/plain of 0 bytes", req.Body)
	}
	// The case fieldIs leaves out is real: a long s folds onto "s".
	if name := "Tran\u017ffer-Encoding"; !strings.EqualFold(name, "Transfer-Encoding") || len(name) == len("Transfer-Encoding") {
		t.Fatalf("%q should fold onto Transfer-Encoding at another length", name)
	}
}

// TestContentEncoding: contentEncoding is the Values of Content-Encoding
// joined with commas, as finish read it before.
func TestContentEncoding(t *testing.T) {
	for _, h := range []model.Headers{
		nil,
		{{Name: "Host", Value: "a"}},
		{{Name: "content-encoding", Value: "gzip"}},
		{{Name: "Content-Encoding", Value: "gzip"}, {Name: "X", Value: "y"}, {Name: "CONTENT-ENCODING", Value: " br"}},
		{{Name: "Content-Encoding", Value: ""}, {Name: "Content-Encoding", Value: ""}},
	} {
		if got, want := contentEncoding(h), strings.Join(h.Values("Content-Encoding"), ","); got != want {
			t.Errorf("contentEncoding(%q) = %q, want %q", h, got, want)
		}
	}
}
