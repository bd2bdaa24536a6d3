package redact

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/saz"
	"github.com/traceaudit/traceaudit/secret"
)

func readSAZ(t testing.TB, data []byte, password string) ([]*model.Exchange, []model.Note) {
	t.Helper()
	r, err := saz.NewReader(bytes.NewReader(data), int64(len(data)), saz.Options{Password: password})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return exs, r.Notes()
}

func redactSAZ(t testing.TB, data []byte, opts Options) ([]byte, Stats) {
	t.Helper()
	var out bytes.Buffer
	st, err := SAZ(bytes.NewReader(data), int64(len(data)), &out, opts)
	if err != nil {
		t.Fatalf("redact: %v", err)
	}
	return out.Bytes(), st
}

// sazFromExchanges writes exchanges as Fiddler would store them: an
// absolute-form request line, the header fields, the decoded body with its
// length, and _m.xml with the timers and the comment.
func sazFromExchanges(t testing.TB, exs []*model.Exchange) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	message := func(start string, h model.Headers, body []byte) []byte {
		var b bytes.Buffer
		b.WriteString(start + "\r\n")
		for _, f := range h {
			switch strings.ToLower(f.Name) {
			case "content-length", "transfer-encoding", "content-encoding":
				continue
			}
			if strings.HasPrefix(f.Name, ":") {
				continue
			}
			fmt.Fprintf(&b, "%s: %s\r\n", f.Name, f.Value)
		}
		if len(body) > 0 {
			fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
		}
		b.WriteString("\r\n")
		b.Write(body)
		return b.Bytes()
	}
	for i, ex := range exs {
		n := strconv.Itoa(i + 1)
		add("raw/"+n+"_c.txt", message(ex.Request.Method+" "+ex.Request.URL+" HTTP/1.1", ex.Request.Headers, ex.Request.Body.Data))
		if resp := ex.Response; resp != nil && resp.Status > 0 {
			add("raw/"+n+"_s.txt", message(fmt.Sprintf("HTTP/1.1 %d %s", resp.Status, resp.StatusText), resp.Headers, resp.Body.Data))
		}
		ts := func(tm time.Time) string {
			if tm.IsZero() {
				return "0001-01-01T00:00:00"
			}
			return tm.UTC().Format(time.RFC3339Nano)
		}
		add("raw/"+n+"_m.xml", fmt.Appendf(nil, `<?xml version="1.0" encoding="utf-8"?>
<Session SID="%s" BitFlags="0">
  <SessionTimers ClientConnected="%s" ClientBeginRequest="%s" ClientDoneResponse="%s" />
  <SessionFlags>
    <SessionFlag N="x-clientip" V="127.0.0.1" />
    <SessionFlag N="x-clientport" V="%d" />
    <SessionFlag N="ui-comments" V="%s" />
  </SessionFlags>
</Session>`, n, ts(ex.Start), ts(ex.Start), ts(ex.End), 50000+i, xmlEscape(ex.Comment)))
	}
	var index bytes.Buffer
	index.WriteString("<html><body><table>")
	for i, ex := range exs {
		fmt.Fprintf(&index, "<tr><td>%d</td><td>%s</td></tr>", i+1, xmlEscape(ex.Request.URL))
	}
	index.WriteString("</table></body></html>")
	add("_index.htm", index.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// checkSAZ is the acceptance check for one archive.
func checkSAZ(t *testing.T, data []byte, password string) {
	orig, _ := readSAZ(t, data, password)
	red, _ := redactSAZ(t, data, Options{Password: password})
	got, _ := readSAZ(t, red, "")
	if diff := cmp.Diff(shapes(orig), copyShapes(orig, got)); diff != "" {
		t.Errorf("exchanges differ (-orig +copy):\n%s", diff)
	}
	checkSameFindings(t, t.Name(), findings(orig), findings(got))
	if l := leaks(unzipAll(t, red), secretsOf(orig)); len(l) > 0 {
		t.Errorf("%d secret values survive: %v", len(l), l)
	}
}

// unzipAll concatenates the inflated members, so that leaks are looked for
// in what a reader of the copy would see.
func unzipAll(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		all.ReadFrom(rc)
		rc.Close()
		all.WriteByte('\n')
	}
	return all.Bytes()
}

// sazFixtures are the SAZ reader's archives, read in place.
var sazFixtures = filepath.Join("..", "saz", "testdata", "*.saz")

func TestSAZFixtures(t *testing.T) {
	files, err := filepath.Glob(sazFixtures)
	if err != nil || len(files) < 6 {
		t.Fatalf("SAZ fixtures: %v (%d)", err, len(files))
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			// The protected copies' test passwords (saz/reader_test.go).
			password := map[string]string{
				"fluxzy-minimal.aes256.saz":    "traceaudit-PW",
				"fluxzy-minimal.aes128.saz":    "traceaudit-128",
				"fluxzy-minimal.zipcrypto.saz": "traceaudit-PW",
			}[filepath.Base(file)]
			checkSAZ(t, data, password)
		})
	}
}

// TestSAZFromHAR stores every HAR fixture as a SAZ, so that the OAuth
// traffic of the rule fixtures and lab recordings goes through the SAZ
// rewrite too.
func TestSAZFromHAR(t *testing.T) {
	for i, file := range harFixtures(t) {
		if testing.Short() && i%8 != 0 {
			continue // CI's race step, which slows this several times over: an eighth
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		exs, ok := tryReadHAR(data)
		if !ok || len(exs) == 0 {
			continue
		}
		t.Run(file, func(t *testing.T) {
			checkSAZ(t, sazFromExchanges(t, exs), "")
		})
	}
}

// TestSAZChunkedGzip: a token response stored chunked and gzip-encoded is
// decoded, redacted and written plain with its new length; the copy reads
// the same token fingerprints.
func TestSAZChunkedGzip(t *testing.T) {
	body := `{"access_token":"gz-access-token-0123456789","refresh_token":"gz-refresh-token-0123456789","token_type":"Bearer"}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	half := gz.Len() / 2
	chunked := fmt.Sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", half, gz.Bytes()[:half], gz.Len()-half, gz.Bytes()[half:])
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	add := func(name, data string) {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(data))
	}
	add("raw/1_c.txt", "POST https://login.example.com/token HTTP/1.1\r\nHost: login.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 62\r\n\r\ngrant_type=refresh_token&refresh_token=old-refresh-token-01234")
	add("raw/1_s.txt", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"+chunked)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	orig, _ := readSAZ(t, data, "")
	red, _ := redactSAZ(t, data, Options{})
	got, notes := readSAZ(t, red, "")
	if len(got) != 1 || got[0].Response == nil {
		t.Fatalf("copy: %d exchanges, notes %v", len(got), notes)
	}
	ev0, ev1 := oauth.ExtractAll(orig), oauth.ExtractAll(got)
	if len(ev0) != 2 || len(ev1) != 2 {
		t.Fatalf("events: %d in the original, %d in the copy", len(ev0), len(ev1))
	}
	if a, b := ev0[1].AccessToken().Fingerprint(), ev1[1].AccessToken().Fingerprint(); a != b || a == "" {
		t.Errorf("access token fingerprint %q became %q", a, b)
	}
	if a, b := ev0[0].RefreshToken().Fingerprint(), ev1[0].RefreshToken().Fingerprint(); a != b || a == "" {
		t.Errorf("refresh token fingerprint %q became %q", a, b)
	}
	all := unzipAll(t, red)
	mustNotContain(t, all, "gz-access-token-0123456789", "gz-refresh-token-0123456789", "old-refresh-token-01234", "chunked", "gzip")
}

// TestSAZStripBodies: under StripBodies a script body becomes the
// placeholder with its new length, the token response stays (redacted).
func TestSAZStripBodies(t *testing.T) {
	exs, ok := tryReadHAR(buildHAR(t,
		entry{Method: "GET", URL: "https://cdn.example.com/app.js", Status: 200, RespHeaders: [][2]string{{"Content-Type", "application/javascript"}}, RespMIME: "application/javascript", RespBody: "var bundle = 'large script';"},
		entry{Method: "POST", URL: "https://login.example.com/token", Status: 200, RespHeaders: [][2]string{{"Content-Type", "application/json"}}, RespMIME: "application/json", RespBody: `{"access_token":"access-token-0123456"}`},
	))
	if !ok {
		t.Fatal("fixture does not read")
	}
	red, st := redactSAZ(t, sazFromExchanges(t, exs), Options{StripBodies: true})
	if st.Stripped != 1 {
		t.Errorf("Stripped = %d, want 1", st.Stripped)
	}
	got, _ := readSAZ(t, red, "")
	if len(got) != 2 || string(got[0].Response.Body.Data) != strippedBody {
		t.Fatalf("copy: %d exchanges, first body %q", len(got), got[0].Response.Body.Data)
	}
	if !strings.Contains(string(got[1].Response.Body.Data), secret.Fingerprint("access-token-0123456")) {
		t.Errorf("token response body = %q", got[1].Response.Body.Data)
	}
}

// TestSAZBodyOfUnknownType: a request body is redacted by what it holds when
// its Content-Type is not one the rewrite knows: a header given twice (a
// proxy adds its own, Fiddler keeps both), a vendor type. The copy kept the
// token request's code and verifier in the clear before: the body counted
// as binary, and the sweep does not know them by shape. The trace is the
// lab's double redemption by a browser app (real Chromium and fosite),
// stored as a SAZ.
func TestSAZBodyOfUnknownType(t *testing.T) {
	orig, err := os.ReadFile("../saz/testdata/lab/code-reuse-spa-double-fosite.saz")
	if err != nil {
		t.Fatal(err)
	}
	const ct = "content-type: application/x-www-form-urlencoded;charset=UTF-8\r\n"
	for name, repl := range map[string]string{
		"repeated": strings.Repeat("content-type: application/x-www-form-urlencoded\r\n", 2),
		"vendor":   "content-type: application/vnd.example.token-request\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			zr, err := zip.NewReader(bytes.NewReader(orig), int64(len(orig)))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			var secrets []string
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(f.Name, "_c.txt") && bytes.Contains(data, []byte("grant_type=authorization_code")) {
					if !bytes.Contains(data, []byte(ct)) {
						t.Fatalf("%s: no %q", f.Name, ct)
					}
					data = bytes.Replace(data, []byte(ct), []byte(repl), 1)
					_, body, _ := bytes.Cut(data, []byte("\r\n\r\n"))
					form, err := url.ParseQuery(string(body))
					if err != nil || form.Get("code") == "" || form.Get("code_verifier") == "" {
						t.Fatalf("%s: body %q", f.Name, body)
					}
					secrets = append(secrets, form.Get("code"), form.Get("code_verifier"))
				}
				w, err := zw.Create(f.Name)
				if err != nil {
					t.Fatal(err)
				}
				w.Write(data)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			if len(secrets) != 4 {
				t.Fatalf("%d token requests, want the recording's 2", len(secrets)/2)
			}
			red, _ := redactSAZ(t, buf.Bytes(), Options{})
			mustNotContain(t, unzipAll(t, red), secrets...)
		})
	}
}
