package saz

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func readAll(t testing.TB, data []byte, opts Options) ([]*model.Exchange, []model.Note) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	return exs, r.Notes()
}

// oracleSession is what archive/zip and a plain reading of the request line
// say about one session, independently of the reader under test.
type oracleSession struct {
	number int
	method string
	target string
	host   string
}

var oracleName = regexp.MustCompile(`^raw/(\d+)_c\.txt$`)

func oracle(t *testing.T, data []byte) []oracleSession {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []oracleSession
	for _, f := range zr.File {
		m := oracleName.FindStringSubmatch(f.Name)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		s := oracleSession{number: n}
		for i := 0; sc.Scan(); i++ {
			line := strings.TrimRight(sc.Text(), "\r")
			if i == 0 {
				parts := strings.Split(line, " ")
				s.method, s.target = parts[0], parts[1]
				continue
			}
			if line == "" {
				break
			}
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "host") {
				s.host = strings.TrimSpace(v)
			}
		}
		rc.Close()
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].number < out[j].number })
	return out
}

func TestCorpusMatchesOracle(t *testing.T) {
	for _, tc := range []struct {
		file     string
		sessions int
	}{
		{"OfficeInspectors-NewCaseName.saz", 56},
		{"fluxzy-minimal.saz", 5},
		{"saz-viewer-sample.saz", 4},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := readFile(t, tc.file)
			want := oracle(t, data)
			if len(want) != tc.sessions {
				t.Fatalf("oracle found %d sessions, manifest says %d", len(want), tc.sessions)
			}
			got, _ := readAll(t, data, Options{})
			if len(got) != len(want) {
				t.Fatalf("read %d exchanges, want %d", len(got), len(want))
			}
			for i, w := range want {
				g := got[i]
				if g.Index != i {
					t.Errorf("exchange %d: Index %d", i, g.Index)
				}
				if wantRef := "session " + strconv.Itoa(w.number); g.Ref != wantRef {
					t.Errorf("exchange %d: Ref %q, want %q", i, g.Ref, wantRef)
				}
				if g.Request.Method != w.method {
					t.Errorf("%s: method %q, want %q", g.Ref, g.Request.Method, w.method)
				}
				switch {
				case strings.HasPrefix(w.target, "/"):
					if !strings.HasPrefix(g.Request.URL, "http") || !strings.HasSuffix(g.Request.URL, "://"+w.host+w.target) {
						t.Errorf("%s: URL %q, want scheme://%s%s", g.Ref, g.Request.URL, w.host, w.target)
					}
				default: // absolute-form, or CONNECT's authority-form
					if g.Request.URL != w.target {
						t.Errorf("%s: URL %q, want %q", g.Ref, g.Request.URL, w.target)
					}
				}
				if (w.method == "CONNECT") != g.Tunnel {
					t.Errorf("%s: Tunnel %v for a %s", g.Ref, g.Tunnel, w.method)
				}
			}
		})
	}
}

func find(t *testing.T, exs []*model.Exchange, ref string) *model.Exchange {
	t.Helper()
	for _, e := range exs {
		if e.Ref == ref {
			return e
		}
	}
	t.Fatalf("no exchange %q", ref)
	return nil
}

func hasNote(notes []model.Note, kind, ref, substr string) bool {
	for _, n := range notes {
		if string(n.Kind) == kind && (ref == "" || n.Ref == ref) && strings.Contains(n.Message, substr) {
			return true
		}
	}
	return false
}

func TestFluxzyMetadata(t *testing.T) {
	exs, notes := readAll(t, readFile(t, "fluxzy-minimal.saz"), Options{})
	s1 := find(t, exs, "session 1")
	wantStart := time.Date(2023, 4, 6, 12, 35, 14, 889578400, time.UTC)
	wantEnd := time.Date(2023, 4, 6, 12, 35, 14, 940719200, time.UTC)
	if !s1.Start.Equal(wantStart) || !s1.End.Equal(wantEnd) {
		t.Errorf("session 1 times %v .. %v, want %v .. %v", s1.Start, s1.End, wantStart, wantEnd)
	}
	if s1.Conn != "127.0.0.1:55711" || s1.Process != "postman" || s1.Page != "postman:26320" {
		t.Errorf("session 1 Conn %q Process %q Page %q", s1.Conn, s1.Process, s1.Page)
	}
	if s1.Status() != 200 || s1.Response.Body.MIMEType != "application/json" {
		t.Errorf("session 1 status %d mime %q", s1.Status(), s1.Response.Body.MIMEType)
	}
	if got := s1.Request.Headers.Get("User-Agent"); got != "PostmanRuntime/7.31.3" {
		t.Errorf("session 1 User-Agent %q", got)
	}
	s2 := find(t, exs, "session 2")
	if !s2.Tunnel || s2.Request.URL != "sandbox.smartizy.com:443" {
		t.Errorf("session 2 Tunnel %v URL %q", s2.Tunnel, s2.Request.URL)
	}
	s3 := find(t, exs, "session 3")
	if string(s3.Request.Body.Data) != "dsds=dsd&dq=sss&zeezez=sdfsdf" || s3.Request.Body.MIMEType != "application/x-www-form-urlencoded" {
		t.Errorf("session 3 body %q (%s)", s3.Request.Body.Data, s3.Request.Body.MIMEType)
	}
	if s3.Conn != s2.Conn {
		t.Errorf("session 3 conn %q, its tunnel's %q", s3.Conn, s2.Conn)
	}
	for _, n := range notes {
		t.Errorf("unexpected note %+v", n)
	}
}

func TestOfficeAbortedSessions(t *testing.T) {
	exs, notes := readAll(t, readFile(t, "OfficeInspectors-NewCaseName.saz"), Options{})
	s39 := find(t, exs, "session 39")
	if s39.Response != nil {
		t.Errorf("session 39: Fiddler's own 408 kept as the server's response")
	}
	if !hasNote(notes, "no-response", "session 39", "generated by Fiddler") || !hasNote(notes, "no-response", "session 39", "ReadingRequest") {
		t.Errorf("session 39: no note saying the response is Fiddler's; notes %+v", notes)
	}
	s1 := find(t, exs, "session 1")
	if s1.Conn != "" || s1.Status() != 200 {
		t.Errorf("session 1 (Fiddler's own update check): Conn %q status %d", s1.Conn, s1.Status())
	}
	// Session 3's response is 144 KiB of JSON.
	s3 := find(t, exs, "session 3")
	if s3.Response.Body.Size != 144183 || len(s3.Response.Body.Data) != 144183 || s3.Response.Body.Truncated {
		t.Errorf("session 3 body size %d kept %d truncated %v", s3.Response.Body.Size, len(s3.Response.Body.Data), s3.Response.Body.Truncated)
	}
	// With a small body limit the same body is cut and says so.
	exs, _ = readAll(t, readFile(t, "OfficeInspectors-NewCaseName.saz"), Options{Limits: model.Limits{BodyBytes: 1000}})
	s3 = find(t, exs, "session 3")
	if s3.Response.Body.Size != 144183 || len(s3.Response.Body.Data) != 1000 || !s3.Response.Body.Truncated {
		t.Errorf("limited session 3 body size %d kept %d truncated %v", s3.Response.Body.Size, len(s3.Response.Body.Data), s3.Response.Body.Truncated)
	}
}

func TestViewerSampleWithoutMetadata(t *testing.T) {
	exs, notes := readAll(t, readFile(t, "saz-viewer-sample.saz"), Options{})
	s1 := find(t, exs, "session 1")
	if !s1.Start.IsZero() || s1.Conn != "" {
		t.Errorf("session 1 without _m.xml has Start %v Conn %q", s1.Start, s1.Conn)
	}
	// Its Content-Length (45) promises more than the file holds (38).
	if !s1.Response.Body.Truncated || !hasNote(notes, "damaged", "session 1", "cut short") {
		t.Errorf("short body not reported: truncated %v notes %+v", s1.Response.Body.Truncated, notes)
	}
	if s3 := find(t, exs, "session 3"); s3.Status() != 204 || s3.Request.Method != "DELETE" {
		t.Errorf("session 3: %s status %d", s3.Request.Method, s3.Status())
	}
}

func TestPasswordProtected(t *testing.T) {
	plain, _ := readAll(t, readFile(t, "fluxzy-minimal.saz"), Options{})
	for _, tc := range []struct {
		file, password string
	}{
		{"fluxzy-minimal.aes256.saz", "traceaudit-PW"},
		{"fluxzy-minimal.aes128.saz", "traceaudit-128"},
		{"fluxzy-minimal.zipcrypto.saz", "traceaudit-PW"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data := readFile(t, tc.file)
			if !Sniff(data[:min(len(data), 512)]) && !Is(bytes.NewReader(data), int64(len(data))) {
				t.Errorf("not recognized as a SAZ")
			}
			got, notes := readAll(t, data, Options{Password: tc.password})
			if len(got) != len(plain) {
				t.Fatalf("%d exchanges, the unprotected copy has %d", len(got), len(plain))
			}
			for i := range got {
				g, w := got[i], plain[i]
				if g.Ref != w.Ref || g.Request.URL != w.Request.URL || g.Status() != w.Status() || !g.Start.Equal(w.Start) ||
					!bytes.Equal(g.Request.Body.Data, w.Request.Body.Data) ||
					(w.Response != nil && !bytes.Equal(g.Response.Body.Data, w.Response.Body.Data)) {
					t.Errorf("%s differs from the unprotected copy", w.Ref)
				}
			}
			if len(notes) != 0 {
				t.Errorf("notes %+v", notes)
			}

			_, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{})
			if !errors.Is(err, ErrPassword) || !strings.Contains(err.Error(), "no password") {
				t.Errorf("without password: %v", err)
			}
			for _, wrong := range []string{"Sesame-1", tc.password + "x", strings.ToUpper(tc.password)} {
				_, err = NewReader(bytes.NewReader(data), int64(len(data)), Options{Password: wrong, Name: "x.saz"})
				if !errors.Is(err, ErrPassword) || !strings.Contains(err.Error(), "wrong") || !strings.HasPrefix(err.Error(), "x.saz: ") {
					t.Errorf("wrong password: %v", err)
				}
				if err != nil && strings.Contains(err.Error(), wrong) {
					t.Errorf("error repeats the password: %v", err)
				}
			}
		})
	}
}

func TestSniffAndIs(t *testing.T) {
	for _, name := range []string{"OfficeInspectors-NewCaseName.saz", "fluxzy-minimal.saz", "saz-viewer-sample.saz"} {
		data := readFile(t, name)
		if !Sniff(data[:512]) {
			t.Errorf("Sniff(%s) = false", name)
		}
		if !Is(bytes.NewReader(data), int64(len(data))) {
			t.Errorf("Is(%s) = false", name)
		}
	}
	other := buildZip(t, []zipFile{{name: "[Content_Types].xml", body: "<Types/>"}, {name: "word/document.xml", body: "<w/>"}})
	if Sniff(other) || Is(bytes.NewReader(other), int64(len(other))) {
		t.Errorf("an Office document is taken for a SAZ")
	}
	// 7-Zip puts [Content_Types].xml first; the raw/ member behind it
	// decides.
	if data := readFile(t, "fluxzy-minimal.aes256.saz"); !Sniff(data[:4096]) {
		t.Errorf("Sniff misses a SAZ whose first member is [Content_Types].xml")
	}
	har := []byte(`{"log":{"version":"1.2","entries":[]}}`)
	if Sniff(har) || Is(bytes.NewReader(har), int64(len(har))) {
		t.Errorf("HAR JSON is taken for a SAZ")
	}
	if _, err := NewReader(bytes.NewReader(other), int64(len(other)), Options{}); !errors.Is(err, ErrFormat) {
		t.Errorf("unrelated zip: %v", err)
	}
	if _, err := NewReader(bytes.NewReader(har), int64(len(har)), Options{}); !errors.Is(err, ErrFormat) {
		t.Errorf("HAR: %v", err)
	}
}

func TestParseFiddlerTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2023-04-06T14:35:14.8590762+02:00", time.Date(2023, 4, 6, 12, 35, 14, 859076200, time.UTC)},
		{"2020-04-02T04:32:04.736866+00:00", time.Date(2020, 4, 2, 4, 32, 4, 736866000, time.UTC)},
		{"2020-04-02T04:32:04.7368660Z", time.Date(2020, 4, 2, 4, 32, 4, 736866000, time.UTC)},
		{"2020-04-02T04:32:04.7368660-07:00", time.Date(2020, 4, 2, 11, 32, 4, 736866000, time.UTC)},
		{"2020-04-02T04:32:04", time.Date(2020, 4, 2, 4, 32, 4, 0, time.UTC)},
		{"0001-01-01T00:00:00", time.Time{}},
		{"0001-01-01T00:00:00+01:00", time.Time{}},
		{"4/2/2020 4:32:04 PM", time.Date(2020, 4, 2, 16, 32, 4, 0, time.UTC)},
		{"25/12/2020 16:32:04", time.Date(2020, 12, 25, 16, 32, 4, 0, time.UTC)},
		{"25.12.2020 16:32:04,123", time.Date(2020, 12, 25, 16, 32, 4, 123000000, time.UTC)},
	} {
		got, ok := parseFiddlerTime(tc.in)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("parseFiddlerTime(%q) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"yesterday", "2020-13-45T99:00:00", "\x00"} {
		if _, ok := parseFiddlerTime(bad); ok {
			t.Errorf("parseFiddlerTime(%q) accepted", bad)
		}
	}
}

type zipFile struct {
	name   string
	body   string
	method uint16
}

func buildZip(t testing.TB, files []zipFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: f.method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const metaTemplate = `<?xml version="1.0" encoding="utf-8"?>
<Session SID="1" BitFlags="%BITS%">
  <SessionTimers ClientConnected="2026-11-26T10:00:00.0000000+01:00" ClientBeginRequest="2026-11-26T10:00:01.0000000+01:00" ClientDoneResponse="2026-11-26T10:00:02.5000000+01:00" DNSTime="0" />
  <SessionFlags>
    <SessionFlag N="x-clientport" V="%PORT%" />
    <SessionFlag N="x-clientip" V="::ffff:127.0.0.1" />
    <SessionFlag N="x-processinfo" V="msedge:4242" />
    <SessionFlag N="ui-comments" V="want &quot;code-reuse&quot;" />
  </SessionFlags>
</Session>`

func metaXML(bits, port string) string {
	return strings.NewReplacer("%BITS%", bits, "%PORT%", port).Replace(metaTemplate)
}

func TestEdgeSessions(t *testing.T) {
	data := buildZip(t, []zipFile{
		{name: "raw/"},
		// 1: CONNECT, then 2: decrypted origin-form request on the same
		// client connection without a Host header.
		{name: "raw/0001_c.txt", body: "CONNECT login.example.com:443 HTTP/1.1\r\nHost: login.example.com:443\r\n\r\n"},
		{name: "raw/0001_s.txt", body: "HTTP/1.1 200 Connection Established\r\n\r\n"},
		{name: "raw/0001_m.xml", body: metaXML("2100", "50000")},
		{name: "raw/0002_c.txt", body: "GET /authorize?client_id=x HTTP/1.1\r\nAccept: */*\r\n\r\n"},
		{name: "raw/0002_s.txt", body: "HTTP/1.1 302 Found\r\nLocation: https://app/cb\r\nContent-Length: 0\r\n\r\n"},
		{name: "raw/0002_m.xml", body: metaXML("0", "50000")},
		// 3: request, no response; garbage metadata.
		{name: "raw/0003_c.txt", body: "POST https://login.example.com/token HTTP/1.1\r\nHost: login.example.com\r\nContent-Length: 3\r\n\r\na=b"},
		{name: "raw/0003_m.xml", body: "<Session SID='3' BitFlags='zz'><SessionTimers"},
		// 4: HTTP/2 as Fiddler Everywhere writes it, gzip-free, with
		// pseudo-headers and no Host.
		{name: "raw/0004_c.txt", body: "GET https://api.example.com/me?v=HTTP/2 HTTP/2\r\n:authority: api.example.com\r\n:scheme: https\r\naccept: */*\r\n\r\n"},
		{name: "raw/0004_s.txt", body: "HTTP/2 200\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"},
		// 5: WebSocket.
		{name: "raw/0005_c.txt", body: "GET https://rt.example.com/ws HTTP/1.1\r\nHost: rt.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
		{name: "raw/0005_s.txt", body: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
		{name: "raw/0005_w.txt", body: "Client->Server (5 bytes)\r\nhello\r\n"},
		// 6: gRPC.
		{name: "raw/0006_c.txt", body: "POST https://grpc.example.com/svc/Call HTTP/2.0\r\ncontent-type: application/grpc\r\n\r\n"},
		{name: "raw/0006_s.txt", body: "HTTP/2.0 200\r\ncontent-type: application/grpc\r\n\r\n"},
		// 7: metadata only; 8: unparseable request.
		{name: "raw/0007_m.xml", body: metaXML("0", "1")},
		{name: "raw/0008_c.txt", body: "\x00\x01garbage\r\n\r\n"},
		// 9: chunked, gzip-encoded response.
		{name: "raw/0009_c.txt", body: "GET http://h.example/x HTTP/1.1\r\nHost: h.example\r\n\r\n"},
		{name: "raw/0009_s.txt", body: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\nContent-Type: text/plain\r\n\r\n" + chunked(gzipped("hello, chunked gzip")) + "0\r\n\r\n"},
		// 10: Fiddler marked the session HTTPS but the line is origin-form.
		{name: "raw/10_c.txt", body: "GET /x HTTP/1.1\r\nHost: secure.example\r\n\r\n"},
		{name: "raw/10_m.xml", body: metaXML("1", "0")},
		// A duplicate of session 10 in another width, and an escaping name.
		{name: "raw/010_c.txt", body: "GET /dup HTTP/1.1\r\nHost: dup\r\n\r\n"},
		{name: "raw/../../evil/11_c.txt", body: "GET /evil HTTP/1.1\r\nHost: evil\r\n\r\n"},
		// 11: an HTTP/2 token request whose body has no Content-Length.
		{name: "raw/11_c.txt", body: "POST https://login.example.com/token HTTP/2\r\ncontent-type: application/x-www-form-urlencoded\r\n\r\ngrant_type=authorization_code&code=abc"},
		{name: "raw/11_s.txt", body: "HTTP/2 400\r\ncontent-type: application/json\r\n\r\n{\"error\":\"invalid_grant\"}"},
		// 13: a tunnel Fiddler did not decrypt (IsBlindTunnel).
		{name: "raw/13_c.txt", body: "CONNECT login.microsoftonline.com:443 HTTP/1.1\r\nHost: login.microsoftonline.com:443\r\n\r\n"},
		{name: "raw/13_s.txt", body: "HTTP/1.1 200 Connection Established\r\n\r\n"},
		{name: "raw/13_m.xml", body: metaXML("1000", "50013")},
		// 12: a request file that ends right after its last field.
		{name: "raw/12_c.txt", body: "GET http://short.example/ HTTP/1.1\r\nHost: short.example"},
		{name: "_index.htm", body: "<html></html>"},
	})
	exs, notes := readAll(t, data, Options{})
	refs := make([]string, len(exs))
	for i, e := range exs {
		refs[i] = e.Ref
	}
	if want := "session 1,session 2,session 3,session 4,session 5,session 6,session 9,session 10,session 11,session 12,session 13"; strings.Join(refs, ",") != want {
		t.Fatalf("sessions %s, want %s", strings.Join(refs, ","), want)
	}
	s2 := find(t, exs, "session 2")
	if s2.Request.URL != "https://login.example.com/authorize?client_id=x" {
		t.Errorf("origin-form inside a tunnel: URL %q", s2.Request.URL)
	}
	if s2.Conn != "127.0.0.1:50000" || s2.Process != "msedge" || s2.Comment != `want "code-reuse"` {
		t.Errorf("session 2 Conn %q Process %q Comment %q", s2.Conn, s2.Process, s2.Comment)
	}
	if want := time.Date(2026, 11, 26, 9, 0, 1, 0, time.UTC); !s2.Start.Equal(want) || s2.End.Sub(s2.Start) != 1500*time.Millisecond {
		t.Errorf("session 2 times %v .. %v", s2.Start, s2.End)
	}
	s3 := find(t, exs, "session 3")
	if s3.Response != nil || !hasNote(notes, "no-response", "session 3", "") || !hasNote(notes, "bad-metadata", "session 3", "") {
		t.Errorf("session 3: response %v; notes %+v", s3.Response, notes)
	}
	if string(s3.Request.Body.Data) != "a=b" {
		t.Errorf("session 3 body %q", s3.Request.Body.Data)
	}
	s4 := find(t, exs, "session 4")
	if s4.Request.URL != "https://api.example.com/me?v=HTTP/2" {
		t.Errorf("HTTP/2 request URL %q", s4.Request.URL)
	}
	if s4.Request.Proto != "HTTP/2" || s4.Response == nil || s4.Response.Proto != "HTTP/2" || s4.Status() != 200 ||
		s4.Request.Headers.Get("Host") != "api.example.com" || s4.Request.Headers.Has(":authority") || string(s4.Response.Body.Data) != "{}" {
		t.Errorf("HTTP/2 session: %+v", s4)
	}
	if s5 := find(t, exs, "session 5"); !s5.Tunnel || s5.Status() != 101 || !hasNote(notes, "websocket", "session 5", "") {
		t.Errorf("WebSocket session: tunnel %v status %d", s5.Tunnel, s5.Status())
	}
	if s6 := find(t, exs, "session 6"); !s6.Tunnel || !hasNote(notes, "grpc", "session 6", "") {
		t.Errorf("gRPC session not marked")
	}
	if !hasNote(notes, "no-request", "session 7", "") || !hasNote(notes, "bad-request", "session 8", "") {
		t.Errorf("sessions 7 and 8 not noted: %+v", notes)
	}
	if s9 := find(t, exs, "session 9"); string(s9.Response.Body.Data) != "hello, chunked gzip" {
		t.Errorf("chunked gzip body %q", s9.Response.Body.Data)
	}
	if s10 := find(t, exs, "session 10"); s10.Request.URL != "https://secure.example/x" || s10.Conn != "" {
		t.Errorf("session 10 URL %q Conn %q", s10.Request.URL, s10.Conn)
	}
	if s11 := find(t, exs, "session 11"); string(s11.Request.Body.Data) != "grant_type=authorization_code&code=abc" ||
		s11.Status() != 400 || string(s11.Response.Body.Data) != `{"error":"invalid_grant"}` {
		t.Errorf("HTTP/2 body without Content-Length: %q, status %d", s11.Request.Body.Data, s11.Status())
	}
	if s12 := find(t, exs, "session 12"); s12.Request.Headers.Get("Host") != "short.example" {
		t.Errorf("unterminated head: %+v", s12.Request)
	}
	if s13 := find(t, exs, "session 13"); !s13.Tunnel || !hasNote(notes, "tls-not-decrypted", "session 13", "login.microsoftonline.com:443") {
		t.Errorf("blind tunnel not noted: %+v", notes)
	}
	if hasNote(notes, "tls-not-decrypted", "session 1", "") {
		t.Errorf("a decrypting tunnel was noted as not decrypted")
	}
	if !hasNote(notes, "duplicate", "raw/010_c.txt", "") || !hasNote(notes, "unsafe-name", "raw/../../evil/11_c.txt", "") {
		t.Errorf("duplicate or unsafe member not noted: %+v", notes)
	}
}

func gzipped(s string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.String()
}

// chunked frames s as two chunks.
func chunked(s string) string {
	half := len(s) / 2
	return strconv.FormatInt(int64(half), 16) + "\r\n" + s[:half] + "\r\n" +
		strconv.FormatInt(int64(len(s)-half), 16) + "\r\n" + s[half:] + "\r\n"
}

// _m.xml as other SAZ writers shape it: mixed-case flag names, escaped
// values, extra elements with text, timers without a zone.
func TestParseMetaVariants(t *testing.T) {
	md, err := parseMeta([]byte(`<Session SID="7" BitFlags="1"><SessionTimers ClientConnected="2026-06-01T12:00:00.000" ClientBeginRequest="2026-10-08T23:23:35.338-07:00" DNSTime="12" ServerConnected="0001-01-01T00:00:00"/>` +
		`<SessionFlags><SessionFlag N="x-clientIP" V="192.0.2.25"/><SessionFlag N="X-ClientPort" V="4242"/><SessionFlag N="ui-comments" V="&lt;b&gt; &amp; &#48;"/></SessionFlags>` +
		`<SessionMetrics RequestDuration="17"><TTFB>2&#48;</TTFB></SessionMetrics></Session>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := md.timer("ClientConnected"); !got.Equal(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("ClientConnected %v", got)
	}
	if got := md.timer("ClientBeginRequest"); !got.Equal(time.Date(2026, 10, 9, 6, 23, 35, 338000000, time.UTC)) {
		t.Errorf("ClientBeginRequest %v", got)
	}
	if !md.timer("ServerConnected").IsZero() || len(md.badTimers) != 0 || !md.has(bitIsHTTPS) {
		t.Errorf("ServerConnected %v, bad timers %v, bits %x", md.timer("ServerConnected"), md.badTimers, md.bitFlags)
	}
	if md.conn() != "192.0.2.25:4242" || md.flag("ui-comments") != "<b> & 0" {
		t.Errorf("conn %q comment %q", md.conn(), md.flag("ui-comments"))
	}
	for _, bad := range []string{"", "<NotSession/>", "<Session BitFlags='xyz'/>", "<Session><SessionTimers", "<Session/><Session/>"} {
		if _, err := parseMeta([]byte(bad)); err == nil {
			t.Errorf("parseMeta(%q) accepted", bad)
		}
	}
}
