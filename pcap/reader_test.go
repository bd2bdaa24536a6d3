package pcap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
)

// readFile reads a testdata capture completely.
func readFile(t *testing.T, name string, opts Options) ([]*model.Exchange, []model.Note) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return exs, r.Notes()
}

// target is the request target as it was on the request line.
func target(url string) string {
	_, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return ""
}

// tsharkDifferences are request lines that tshark 4.0.17 and traceaudit
// read differently, on purpose: "OPTIONS HTTP/1.1" has no target and a
// version (as Zeek reads it); tshark takes the version for the target.
var tsharkDifferences = map[string]string{
	"methods.pcap 14 OPTIONS HTTP/1.1": "methods.pcap 14 OPTIONS ",
}

// ourExtras are requests traceaudit finds that tshark 4.0.17 does not list,
// on purpose: malformed request lines a server answered, HTTP is recognized by content on any port (tshark decodes
// port 22 as SSH; Zeek's http.log has the request), methods tshark does
// not know (QUERY; in Zeek's http.log too) and HTTP/0.9 requests (a bare
// "GET /bad.html" line).
var ourExtras = map[string][]string{
	// Request lines HTTP/1 cannot read ("GET/HTTP/1.1", "OPTIONSHTTP/1.1",
	// a mangled method) that the server answered 400 or 405: exchanges
	// with their raw line, as Zeek's http.log has them (method "-");
	// tshark shows only the responses.
	"methods.pcap": {
		"methods.pcap 24 OPTIONSHTTP/1.1 ",
		"methods.pcap 182 GET/ ",
		"methods.pcap 192 GET/HTTP/1.1 ",
		"methods.pcap 269 ÃÂÃ /",
		"methods.pcap 279 ÃÂÃ /HTTP/1.1",
		"methods.pcap 289 ÃÂÃ/ ",
		"methods.pcap 299 ÃÂÃ/HTTP/1.1 ",
		"methods.pcap 309 ÃÂÃ/ ",
		"methods.pcap 339 CCM_POST/ ",
		"methods.pcap 349 CCM_POST/HTTP/1.1 ",
		"methods.pcap 389 CONNECT/ ",
		"methods.pcap 399 CONNECT/HTTP/1.1 ",
		"methods.pcap 439 TRACE/ ",
		"methods.pcap 449 TRACE/HTTP/1.1 ",
		"methods.pcap 489 DELETE/ ",
		"methods.pcap 499 DELETE/HTTP/1.1 ",
		"methods.pcap 539 PUT/ ",
		"methods.pcap 549 PUT/HTTP/1.1 ",
		"methods.pcap 589 POST/ ",
		"methods.pcap 599 POST/HTTP/1.1 ",
		"methods.pcap 639 HEAD/ ",
		"methods.pcap 649 HEAD/HTTP/1.1 ",
	},
	"zeek/http-single-conn-22.pcap":            {"zeek/http-single-conn-22.pcap 4 GET /"},
	"zeek/query-method-non-standard-port.pcap": {"zeek/query-method-non-standard-port.pcap 4 QUERY /users"},
	"zeek/ipv6-http-atomic-frag.pcap": {
		"zeek/ipv6-http-atomic-frag.pcap 8 GET /bad.html",
		"zeek/ipv6-http-atomic-frag.pcap 16 GET /bad.html",
		"zeek/ipv6-http-atomic-frag.pcap 26 GET /bad.html",
		"zeek/ipv6-http-atomic-frag.pcap 36 GET /bad.html",
	},
}

// TestMatchesTshark checks that every capture yields the requests tshark
// lists (testdata/*.tshark.tsv and testdata/zeek/*.tshark.tsv, made by
// gen-tshark.sh), in order of their first frame, with the same frames.
func TestMatchesTshark(t *testing.T) {
	files, err := filepath.Glob("testdata/*.tshark.tsv")
	more, _ := filepath.Glob("testdata/zeek/*.tshark.tsv")
	files = append(files, more...)
	if err != nil || len(files) < 30 {
		t.Fatalf("expectations missing: %d files, %v", len(files), err)
	}
	for _, exp := range files {
		name := strings.TrimPrefix(strings.TrimSuffix(exp, ".tshark.tsv"), "testdata/")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(exp)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				f := strings.Split(sc.Text(), "\t")
				if len(f) != 3 {
					t.Fatalf("bad expectation line %q", sc.Text())
				}
				line := fmt.Sprintf("%s %s %s %s", name, f[0], f[1], f[2])
				if alt, ok := tsharkDifferences[line]; ok {
					line = alt
				}
				want = append(want, line)
			}
			want = append(want, ourExtras[name]...)
			slices.SortStableFunc(want, func(a, b string) int { return lineFrame(a) - lineFrame(b) })
			exs, _ := readFile(t, name, Options{})
			var got []string
			for _, ex := range exs {
				if ex.Request.Proto == "HTTP/2" && ex.Request.Method == "" {
					continue
				}
				got = append(got, fmt.Sprintf("%s %s %s %s", name, strings.TrimPrefix(ex.Ref, "frame "), ex.Request.Method, target(ex.Request.URL)))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("requests differ from tshark's (-tshark +traceaudit):\n%s", diff)
			}
		})
	}
}

// lineFrame is the frame of a "file frame method target" line.
func lineFrame(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// zeekLog reads the columns of a Zeek http.log baseline.
func zeekLog(t *testing.T, name string) []map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	var rows []map[string]string
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(rest, "\t")
			continue
		}
		if fields == nil && strings.HasPrefix(line, "ts\t") { // a cut baseline
			fields = strings.Split(line, "\t")
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		row := map[string]string{}
		for i, v := range strings.Split(line, "\t") {
			if i < len(fields) {
				row[fields[i]] = v
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// TestMatchesZeek compares method, host, URI, status and body sizes with
// Zeek's http.log baselines.
func TestMatchesZeek(t *testing.T) {
	// methods.pcap is left to TestMatchesTshark: Zeek logs "OPTIONS" alone
	// as no request and reads HTTP/0.9-style responses as raw bodies.
	for _, name := range []string{"100-continue.pcap", "multipart-form-data.pcap", "pipelined-requests.pcap",
		"zeek/nflog-http.pcap", "zeek/basic-auth-with-colon.pcap", "zeek/connect-with-header.pcap",
		"zeek/query-method-non-standard-port.pcap", "zeek/http-single-conn-22.pcap", "zeek/http-desync-request-response-5.pcap"} {
		t.Run(name, func(t *testing.T) {
			rows := zeekLog(t, name+".expected-http.log")
			exs, _ := readFile(t, name, Options{})
			var want, got []string
			for _, row := range rows {
				if row["method"] == "-" {
					continue // Zeek logs responses to lines it could not read as requests
				}
				uri, host, respLen := row["uri"], row["host"], row["response_body_len"]
				if uri == "(empty)" {
					uri = ""
				}
				if host == "-" {
					host = ""
				}
				if name == "zeek/http-single-conn-22.pcap" {
					// The server sent 12649 bytes, 19 of them the header
					// section: the body has 12630. Zeek logs 12632.
					respLen = "12630"
				}
				want = append(want, fmt.Sprintf("%s %s %s %s req=%s resp=%s", row["method"], host, uri, row["status_code"], row["request_body_len"], respLen))
			}
			for _, ex := range exs {
				status, respLen := "-", "0"
				if ex.Response != nil {
					status = fmt.Sprint(ex.Response.Status)
					// Zeek counts decoded (gunzipped) body bytes.
					respLen = fmt.Sprint(len(ex.Response.Body.Data))
				}
				got = append(got, fmt.Sprintf("%s %s %s %s req=%d resp=%s", ex.Request.Method, ex.Request.Headers.Get("Host"), target(ex.Request.URL), status, ex.Request.Body.Size, respLen))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("exchanges differ from Zeek's http.log (-zeek +traceaudit):\n%s", diff)
			}
		})
	}
}

func TestNotCapture(t *testing.T) {
	for _, in := range []string{"", "{\"log\":{}}", "PK\x03\x04", "\xd4\xc3\xb2"} {
		_, err := NewReader(strings.NewReader(in), Options{})
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%q: err = %v, want ErrFormat", in, err)
		}
		if Sniff([]byte(in)) {
			t.Errorf("Sniff(%q) = true", in)
		}
	}
}

var _ = io.EOF

func TestExchangeDetails(t *testing.T) {
	exs, notes := readFile(t, "get.pcap", Options{})
	if len(exs) != 1 {
		t.Fatalf("%d exchanges", len(exs))
	}
	ex := exs[0]
	// Values from tshark: request in frame 4, response ends in frame 9.
	if ex.Ref != "frame 4" || ex.Conn != "141.142.228.5:59856-192.150.187.43:80" {
		t.Errorf("ref %q conn %q", ex.Ref, ex.Conn)
	}
	if ex.Start.UnixMicro() != 1362692526939527 || ex.End.UnixMicro() != 1362692527009775 {
		t.Errorf("start %v end %v", ex.Start, ex.End)
	}
	if ex.Request.URL != "http://bro.org/download/CHANGES.bro-aux.txt" || ex.Request.Proto != "HTTP/1.1" {
		t.Errorf("request %s %s", ex.Request.URL, ex.Request.Proto)
	}
	if ex.Response == nil || ex.Response.Status != 200 || ex.Response.Body.Size != 4705 || len(ex.Response.Body.Data) != 4705 {
		t.Fatalf("response %+v", ex.Response)
	}
	if len(notes) != 0 {
		t.Errorf("notes: %v", notes)
	}
}

func TestTLSWithoutKeys(t *testing.T) {
	for name, sni := range map[string]string{
		"tls12-decryption.pcap":           "heise.de",
		"fluxzy-example.com-conn1.pcapng": "example.com",
		"http-chunked-ssl.pcapng":         "lekensteyn.nl",
	} {
		t.Run(name, func(t *testing.T) {
			exs, notes := readFile(t, name, Options{})
			if len(exs) != 0 {
				t.Errorf("%d exchanges from encrypted traffic", len(exs))
			}
			var found bool
			for _, n := range notes {
				if n.Kind == "tls-no-keys" && strings.Contains(n.Message, "TLS to "+sni+" ") && n.Ref == "frame 4" {
					found = true
				}
			}
			if !found {
				t.Errorf("no tls-no-keys note for %s at frame 4: %v", sni, notes)
			}
		})
	}
}

// TestTruncatedPcapng: the Fluxzy capture ends inside its 21st packet, as
// tshark reports too; the 20 packets before it are read.
func TestTruncatedPcapng(t *testing.T) {
	_, notes := readFile(t, "fluxzy-example.com-conn1.pcapng", Options{})
	if !hasNote(notes, "truncated") {
		t.Errorf("no truncated note: %v", notes)
	}
}

// TestH2C reads cleartext HTTP/2 made by gen-h2c.go: prior knowledge, and
// an HTTP/1.1 request upgraded with "Upgrade: h2c" whose response comes on
// stream 1.
func TestH2C(t *testing.T) {
	exs, notes := readFile(t, "h2c.pcapng", Options{})
	type row struct {
		Ref, Method, URL, Proto string
		Status                  int
		ReqBody, RespBody       string
		RespType                string
	}
	var got []row
	for _, ex := range exs {
		r := row{Ref: ex.Ref, Method: ex.Request.Method, URL: ex.Request.URL, Proto: ex.Request.Proto, ReqBody: string(ex.Request.Body.Data)}
		if ex.Response != nil {
			r.Status, r.RespBody, r.RespType = ex.Response.Status, string(ex.Response.Body.Data), ex.Response.Body.MIMEType
		}
		got = append(got, r)
	}
	want := []row{
		{"frame 10", "GET", "http://127.0.0.1:18080/authorize?client_id=app&state=s1", "HTTP/2", 200, "", "hello HTTP/2.0 /authorize\n", "text/plain"},
		{"frame 14", "POST", "http://127.0.0.1:18080/token", "HTTP/2", 200, "grant_type=authorization_code&code=c0de&client_id=app",
			`{"error":"invalid_grant","error_description":"AADSTS54005: OAuth2 Authorization code was already redeemed","form_bytes":53}`, "application/json"},
		{"frame 26", "GET", "http://127.0.0.1:18080/upgrade?step=1", "HTTP/1.1", 200, "", "hello HTTP/1.1 /upgrade\n", "text/plain"},
		{"frame 34", "GET", "http://127.0.0.1:18080/after-upgrade", "HTTP/2", 200, "", "hello HTTP/2.0 /after-upgrade\n", "text/plain"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exchanges differ (-want +got):\n%s", diff)
	}
	for _, ex := range exs {
		if ex.Conn == "" || ex.End.Before(ex.Start) {
			t.Errorf("%s: conn %q, %v..%v", ex.Ref, ex.Conn, ex.Start, ex.End)
		}
	}
	if len(notes) != 0 {
		t.Errorf("notes: %v", notes)
	}
}

// TestMalformedRequestsAnswered reads methods.pcap, whose clients send
// request lines HTTP/1 cannot read: each one the server answered is an
// exchange with its raw line and the server's 400 or 405, and no
// connection is reported as carrying neither HTTP nor TLS.
func TestMalformedRequestsAnswered(t *testing.T) {
	exs, notes := readFile(t, "methods.pcap", Options{})
	raw := 0
	for _, ex := range exs {
		if httpMethods[ex.Request.Method] {
			continue
		}
		raw++
		if ex.Response == nil || ex.Response.Status != 400 && ex.Response.Status != 405 {
			t.Errorf("%s %q: response %+v, want the server's 400 or 405", ex.Ref, ex.Request.Method, ex.Response)
		}
	}
	if raw != 22 {
		t.Errorf("%d exchanges with a raw request line, want 22", raw)
	}
	for _, n := range notes {
		if n.Kind == "not-http" {
			t.Errorf("note %s: %s", n.Kind, n.Message)
		}
	}
}
