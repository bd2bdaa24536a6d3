package har

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/traceaudit/traceaudit/model"
)

// oracleHAR is the minimal view of a HAR that the tests decode with
// encoding/json, independently of the reader.
type oracleHAR struct {
	Log struct {
		Entries []struct {
			Request struct {
				Method string `json:"method"`
				URL    string `json:"url"`
			} `json:"request"`
			Response *struct {
				Status int `json:"status"`
			} `json:"response"`
		} `json:"entries"`
	} `json:"log"`
}

func readOracle(t *testing.T, path string) oracleHAR {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var h oracleHAR
	if err := json.Unmarshal(bytes.TrimPrefix(data, utf8BOM), &h); err != nil {
		t.Fatalf("oracle: %v", err)
	}
	return h
}

func readFile(t *testing.T, path string, opts Options) ([]*model.Exchange, *Reader) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f, opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	return exs, r
}

func TestCorpus(t *testing.T) {
	tests := []struct {
		Name    string
		Entries int // from the corpus manifest
	}{
		{"harviewer-chrome51.har", 27},
		{"harviewer-ie11.fiddler.har", 11},
		{"mitmproxy-charles.har", 1},
		{"mitmproxy-chrome.har", 3},
		{"mitmproxy-firefox.har", 14},
		{"mitmproxy-safari.har", 19},
		{"okta-har-analyzer-sample.har", 6},
		{"playwright-har-redirect.har", 3},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			path := filepath.Join("testdata", tt.Name)
			exs, r := readFile(t, path, Options{Name: tt.Name})
			oracle := readOracle(t, path).Log.Entries
			if len(exs) != tt.Entries || len(oracle) != tt.Entries {
				t.Fatalf("got %d exchanges, oracle %d entries, want %d", len(exs), len(oracle), tt.Entries)
			}
			if notes := r.Notes(); len(notes) != 0 {
				t.Errorf("notes on a clean file: %v", notes)
			}
			for i, ex := range exs {
				want := oracle[i]
				if ex.Index != i || ex.Ref != fmt.Sprintf("entries[%d]", i) {
					t.Errorf("exchange %d: Index %d Ref %q", i, ex.Index, ex.Ref)
				}
				if ex.Request.Method != want.Request.Method || ex.Request.URL != want.Request.URL {
					t.Errorf("%s: request %s %s, want %s %s", ex.Ref, ex.Request.Method, ex.Request.URL, want.Request.Method, want.Request.URL)
				}
				if (ex.Response == nil) != (want.Response == nil) {
					t.Fatalf("%s: response present %v, want %v", ex.Ref, ex.Response != nil, want.Response != nil)
				}
				if want.Response != nil && ex.Response.Status != want.Response.Status {
					t.Errorf("%s: status %d, want %d", ex.Ref, ex.Response.Status, want.Response.Status)
				}
			}
			if exp := strings.TrimSuffix(path, ".har") + ".expected.json"; fileExists(exp) {
				compareMitmproxy(t, exp, exs)
			}
		})
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// compareMitmproxy checks method, URL and status against mitmproxy's own
// import of the same file.
func compareMitmproxy(t *testing.T, path string, exs []*model.Exchange) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var flows []struct {
		Request struct {
			Method string `json:"method"`
			Scheme string `json:"scheme"`
			Host   string `json:"host"`
			Port   int    `json:"port"`
			Path   string `json:"path"`
		} `json:"request"`
		Response *struct {
			StatusCode int `json:"status_code"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &flows); err != nil {
		t.Fatal(err)
	}
	if len(flows) != len(exs) {
		t.Fatalf("mitmproxy has %d flows, reader %d exchanges", len(flows), len(exs))
	}
	for i, f := range flows {
		ex := exs[i]
		host := f.Request.Host
		if !(f.Request.Scheme == "https" && f.Request.Port == 443 || f.Request.Scheme == "http" && f.Request.Port == 80) {
			host += ":" + strconv.Itoa(f.Request.Port)
		}
		wantURL := f.Request.Scheme + "://" + host + f.Request.Path
		if ex.Request.Method != f.Request.Method || ex.Request.URL != wantURL {
			t.Errorf("%s: %s %s, mitmproxy %s %s", ex.Ref, ex.Request.Method, ex.Request.URL, f.Request.Method, wantURL)
		}
		wantStatus := 0
		if f.Response != nil {
			wantStatus = f.Response.StatusCode
		}
		if ex.Status() != wantStatus {
			t.Errorf("%s: status %d, mitmproxy %d", ex.Ref, ex.Status(), wantStatus)
		}
	}
}

// TestDialects checks what each producer writes differently.
func TestDialects(t *testing.T) {
	t.Run("chrome", func(t *testing.T) {
		exs, _ := readFile(t, "testdata/mitmproxy-chrome.har", Options{})
		if got := exs[0].Request.Proto; got != "HTTP/2" {
			t.Errorf("http/2.0 normalized to %q, want HTTP/2", got)
		}
		if got := exs[1].Request.Proto; got != "" {
			t.Errorf("empty httpVersion gave %q", got)
		}
		if got := exs[2].Request.Proto; got != "HTTP/3" {
			t.Errorf("h3 normalized to %q, want HTTP/3", got)
		}
		// The failed flow keeps a response with status 0 and Chrome's reason.
		if exs[1].Response == nil || exs[1].Response.Status != 0 || exs[1].Answered() {
			t.Errorf("failed flow: response %+v, want status 0", exs[1].Response)
		}
		if exs[1].Failure != "net::ERR_INTERNET_DISCONNECTED" || exs[0].Failure != "" {
			t.Errorf("failure texts %q, %q; want Chrome's _error on the failed flow only", exs[1].Failure, exs[0].Failure)
		}
		// content.encoding base64 is decoded: the PNG signature.
		if b := exs[2].Response.Body; !bytes.HasPrefix(b.Data, []byte("\x89PNG\r\n\x1a\n")) || int64(len(b.Data)) != b.Size {
			t.Errorf("base64 body: %d bytes of %d, prefix %q", len(b.Data), b.Size, b.Data[:min(8, len(b.Data))])
		}
		if exs[0].Page != "page_1" {
			t.Errorf("pageref %q", exs[0].Page)
		}
	})
	t.Run("playwright-failed", func(t *testing.T) {
		// Playwright writes a request that got no answer with status -1
		// and _failureText: an exchange without a response, not a skip.
		exs, r := readFile(t, "testdata/edge-playwright-failed.har", Options{})
		if len(exs) != 4 {
			t.Fatalf("%d exchanges, want 4", len(exs))
		}
		for _, n := range r.Notes() {
			t.Errorf("note %s: %s", n.Kind, n.Message)
		}
		failed := exs[3]
		if failed.Answered() || failed.Status() != 0 || failed.Failure != "net::ERR_FAILED" || !failed.End.IsZero() {
			t.Errorf("failed request: status %d, failure %q, end %v", failed.Status(), failed.Failure, failed.End)
		}
		for _, ex := range exs[:3] {
			if !ex.Answered() || ex.Failure != "" {
				t.Errorf("%s: answered %v, failure %q", ex.Ref, ex.Answered(), ex.Failure)
			}
		}
	})
	t.Run("chrome51", func(t *testing.T) {
		exs, _ := readFile(t, "testdata/harviewer-chrome51.har", Options{})
		want := time.Date(2016, 6, 28, 18, 40, 33, 525e6, time.UTC)
		if !exs[0].Start.Equal(want) {
			t.Errorf("Start %v, want %v", exs[0].Start, want)
		}
		if d := exs[0].End.Sub(exs[0].Start); d != 15880*time.Microsecond {
			t.Errorf("End-Start %v, want 15.88ms (time 15.879999999015126)", d)
		}
		if exs[0].Conn != "26375" || exs[0].Page != "page_3" {
			t.Errorf("Conn %q Page %q", exs[0].Conn, exs[0].Page)
		}
		protos := map[string]bool{}
		for _, ex := range exs {
			protos[ex.Request.Proto] = true
		}
		if !protos["HTTP/1.1"] || !protos[""] || len(protos) != 2 {
			t.Errorf("protos %v, want HTTP/1.1 and unknown", protos)
		}
	})
	t.Run("fiddler", func(t *testing.T) {
		exs, _ := readFile(t, "testdata/harviewer-ie11.fiddler.har", Options{})
		ex := exs[0]
		want := time.Date(2016, 6, 28, 20, 42, 2, 722147400, time.UTC)
		if !ex.Start.Equal(want) {
			t.Errorf("Start %v, want %v", ex.Start, want)
		}
		if ex.Page != "0" || ex.Conn != "ClientPort:19719;EgressPort:19742" {
			t.Errorf("Page %q Conn %q", ex.Page, ex.Conn)
		}
		b := ex.Response.Body
		if !bytes.HasPrefix(b.Data, []byte("<!doctype html>")) || b.MIMEType != "text/html" || b.Size != 893 {
			t.Errorf("body %q mime %q size %d", b.Data[:min(15, len(b.Data))], b.MIMEType, b.Size)
		}
		if ex.Request.Body.Data == nil || len(ex.Request.Body.Data) != 0 {
			t.Errorf("empty postData text: %q", ex.Request.Body.Data)
		}
	})
	t.Run("playwright", func(t *testing.T) {
		exs, _ := readFile(t, "testdata/playwright-har-redirect.har", Options{})
		ex := exs[0]
		if ex.Request.Headers.Get(":authority") != "theverge.com" || ex.Request.Headers[0].Name != ":authority" {
			t.Errorf("pseudo-headers not kept in order: %v", ex.Request.Headers[:2])
		}
		if ex.Response.Body.Size != -1 || ex.Response.Status != 301 {
			t.Errorf("size -1 not kept as unknown: %d (status %d)", ex.Response.Body.Size, ex.Response.Status)
		}
	})
	t.Run("okta", func(t *testing.T) {
		exs, _ := readFile(t, "testdata/okta-har-analyzer-sample.har", Options{})
		ex := exs[5]
		form, err := url.ParseQuery(string(ex.Request.Body.Data))
		if err != nil || form.Get("grant_type") != "authorization_code" || ex.Request.Body.MIMEType != "application/x-www-form-urlencoded" {
			t.Errorf("token request body %q (%v), mime %q", ex.Request.Body.Data, err, ex.Request.Body.MIMEType)
		}
		if !ex.Start.IsZero() || !ex.End.IsZero() {
			t.Errorf("no startedDateTime: Start %v End %v", ex.Start, ex.End)
		}
	})
}

func TestEdgeCases(t *testing.T) {
	t.Run("base64", func(t *testing.T) {
		exs, _ := readFile(t, "testdata/edge-base64.har", Options{})
		checkBase64Fixture(t, exs)
	})
	for _, name := range []string{"edge-gzip.har.gz", "edge-zlib.zhar"} {
		t.Run(name, func(t *testing.T) {
			exs, _ := readFile(t, filepath.Join("testdata", name), Options{})
			checkBase64Fixture(t, exs)
		})
	}
	t.Run("har11-params", func(t *testing.T) {
		exs, _ := readFile(t, "testdata/edge-har11-params.har", Options{})
		b := exs[0].Request.Body
		const want = "grant_type=authorization_code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb%3Fx%3D1+2"
		if string(b.Data) != want || b.MIMEType != "application/x-www-form-urlencoded" {
			t.Errorf("params body %q mime %q, want %q", b.Data, b.MIMEType, want)
		}
		if !exs[0].Start.Equal(time.Date(2010, 1, 2, 14, 38, 49, 532e6, time.UTC)) {
			t.Errorf("Start %v", exs[0].Start)
		}
	})
	t.Run("timezones", func(t *testing.T) {
		exs, _ := readFile(t, "testdata/edge-timezones.har", Options{})
		want := []time.Time{
			time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
			time.Date(2026, 3, 1, 9, 0, 0, 100e6, time.UTC),
			time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC),
			time.Date(2026, 3, 1, 9, 0, 0, 123450e3, time.UTC),
			time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		}
		if len(exs) != len(want) {
			t.Fatalf("%d exchanges", len(exs))
		}
		for i, ex := range exs {
			if !ex.Start.Equal(want[i]) {
				t.Errorf("%s: Start %v, want %v", ex.Ref, ex.Start, want[i])
			}
			if d := ex.End.Sub(ex.Start); d != 250500*time.Microsecond {
				t.Errorf("%s: End-Start %v, want 250.5ms", ex.Ref, d)
			}
		}
	})
	t.Run("insomnia", func(t *testing.T) {
		exs, r := readFile(t, "testdata/edge-insomnia.har", Options{})
		if len(exs) != 2 || len(r.Notes()) != 0 {
			t.Fatalf("%d exchanges, notes %v", len(exs), r.Notes())
		}
		token, unsent := exs[0], exs[1]
		if string(token.Request.Body.Data) != "grant_type=client_credentials&scope=api%3A%2F%2Fx%2F.default" || token.Comment != "Get token" {
			t.Errorf("token request body %q comment %q", token.Request.Body.Data, token.Comment)
		}
		if b := token.Response.Body; string(b.Data) != "{\"token_type\":1}\n" || b.MIMEType != "application/json" || b.Size != 17 {
			t.Errorf("token response body %q mime %q size %d", b.Data, b.MIMEType, b.Size)
		}
		if unsent.Response == nil || unsent.Response.Status != 0 || unsent.Response.Body.Size != 0 || !unsent.Start.Equal(token.Start) {
			t.Errorf("never-sent request: response %+v, Start %v", unsent.Response, unsent.Start)
		}
		if got := string(unsent.Request.Body.Data); got != "note=a+b&file=" {
			t.Errorf("multipart params re-encoded as %q", got)
		}
	})
	t.Run("entries-first", func(t *testing.T) {
		exs, r := readFile(t, "testdata/edge-entries-first.har", Options{})
		if len(exs) != 1 || len(r.Notes()) != 0 {
			t.Fatalf("%d exchanges, notes %v", len(exs), r.Notes())
		}
		if ex := exs[0]; ex.Conn != "443" || ex.Page != "7" || ex.Comment != "entries come first" {
			t.Errorf("Conn %q Page %q Comment %q", ex.Conn, ex.Page, ex.Comment)
		}
	})
	t.Run("playwright-sidefile", func(t *testing.T) {
		exs, r := readFile(t, "testdata/playwright-sidefile/har.har", Options{SideFiles: os.DirFS("testdata/playwright-sidefile")})
		if b := exs[0].Response.Body; string(b.Data) != "<h1>side</h1>\n" || b.Size != 14 || b.MIMEType != "text/html" {
			t.Errorf("side file body %q size %d mime %q", b.Data, b.Size, b.MIMEType)
		}
		if b := exs[1].Request.Body; string(b.Data) != "grant_type=authorization_code&code=x1" || b.Size != 37 ||
			b.MIMEType != "application/x-www-form-urlencoded" {
			t.Errorf("postData side file %q size %d mime %q", b.Data, b.Size, b.MIMEType)
		}
		if len(r.Notes()) != 0 {
			t.Errorf("notes %v", r.Notes())
		}
		// Without the side files: empty bodies and one note, on the first.
		exs, r = readFile(t, "testdata/playwright-sidefile/har.har", Options{})
		notes := r.Notes()
		if len(exs[0].Response.Body.Data) != 0 || len(exs[1].Request.Body.Data) != 0 ||
			len(notes) != 1 || notes[0].Kind != "side-file" || notes[0].Ref != "entries[0]" {
			t.Errorf("without side files: bodies %q %q, notes %v", exs[0].Response.Body.Data, exs[1].Request.Body.Data, notes)
		}
		// A side file that is missing is noted where it is missing.
		_, r = readFile(t, "testdata/playwright-sidefile/har.har", Options{SideFiles: fstest.MapFS{"3f2ac54d.html": {Data: []byte("x")}}})
		if notes := r.Notes(); len(notes) != 1 || notes[0].Ref != "entries[1]" || !strings.Contains(notes[0].Message, "9c1e7d20.dat") {
			t.Errorf("missing side file: notes %v", notes)
		}
	})
	t.Run("bad-entry", func(t *testing.T) {
		exs, r := readFile(t, "testdata/edge-bad-entry.har", Options{})
		var got []string
		for _, ex := range exs {
			got = append(got, fmt.Sprintf("%d %s", ex.Index, ex.Ref))
		}
		if want := "0 entries[0],2 entries[2],6 entries[6]"; strings.Join(got, ",") != want {
			t.Errorf("exchanges %v, want %s", got, want)
		}
		var refs []string
		for _, n := range r.Notes() {
			if n.Kind != "bad-entry" {
				t.Errorf("note kind %q: %v", n.Kind, n)
			}
			refs = append(refs, n.Ref)
		}
		if want := "entries[1],entries[3],entries[4],entries[5]"; strings.Join(refs, ",") != want {
			t.Errorf("notes for %v, want %s", refs, want)
		}
	})
}

func checkBase64Fixture(t *testing.T, exs []*model.Exchange) {
	t.Helper()
	if len(exs) != 1 {
		t.Fatalf("%d exchanges", len(exs))
	}
	ex := exs[0]
	if b := ex.Response.Body; string(b.Data) != "\x00\x01binary \xff body\n" || b.Size != 16 || b.Truncated {
		t.Errorf("base64 body %q size %d truncated %v", b.Data, b.Size, b.Truncated)
	}
	if b := ex.Request.Body; string(b.Data) != `{"hello":"w\u00f6rld"}` || b.MIMEType != "application/json" {
		t.Errorf("postData text %q mime %q", b.Data, b.MIMEType)
	}
}

func TestNotHAR(t *testing.T) {
	tests := []struct {
		Name  string
		Input []byte
		Err   string // substring of the error
	}{
		{"harviewer-not-json.har", mustRead(t, "testdata/harviewer-not-json.har"), "harviewer-not-json.har: byte 110: har: not a HAR document: invalid character 'x'"},
		{"mitmproxy-corrupted-brokenfile.har", mustRead(t, "testdata/mitmproxy-corrupted-brokenfile.har"), "byte 9: har: not a HAR document: log is not an object"},
		{"mitmproxy expected.json (a JSON array)", mustRead(t, "testdata/mitmproxy-charles.expected.json"), "not a JSON object"},
		{"object without log", []byte(`{"flows":[{"request":{}}]}`), "no log object"},
		{"log without entries", []byte(`{"log":{"version":"1.2","creator":{"name":"x"}}}`), "log has no entries"},
		{"entries not an array", []byte(`{"log":{"entries":{}}}`), "log.entries is not an array"},
		{"empty file", nil, "unexpected end of file"},
		{"truncated before entries", []byte(`{"log":{"version":"1.2","pag`), "unexpected end of file"},
		{"depth bomb before entries", []byte(`{"log":{"pages":` + strings.Repeat("[", 5000)), "nesting too deep"},
		{"gzip header only", []byte{0x1f, 0x8b}, "bad compressed stream"},
		// Offsets count the file's bytes, byte order mark included.
		{"not JSON after a BOM", append(bytes.Clone(utf8BOM), mustRead(t, "testdata/harviewer-not-json.har")...), "byte 113: har: not a HAR document: invalid character 'x'"},
		{"gzip of not JSON", gzipBytes(t, mustRead(t, "testdata/harviewer-not-json.har")), "byte 110 of the decompressed document: har: not a HAR document"},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tt.Input), Options{Name: tt.Name})
			if err == nil {
				_, err = model.ReadAll(r)
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v, want one wrapping ErrFormat", err)
			}
			var perr *model.Error
			if !errors.As(err, &perr) || !strings.HasPrefix(perr.Ref, "byte ") {
				t.Errorf("error %v has no byte position", err)
			}
			if !strings.Contains(err.Error(), tt.Err) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, tt.Err)
			}
		})
	}
}

func readDoc(t *testing.T, doc string, opts Options) ([]*model.Exchange, *Reader) {
	t.Helper()
	r, err := NewReader(strings.NewReader(doc), opts)
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil || len(exs) == 0 {
		t.Fatalf("%d exchanges, %v", len(exs), err)
	}
	return exs, r
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// entryEnds returns the byte offset just past each entry of a HAR, found
// with encoding/json alone.
func entryEnds(t *testing.T, data []byte) []int64 {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		if tok == "entries" {
			break
		}
	}
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var ends []int64
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, dec.InputOffset())
	}
	return ends
}

func TestTruncated(t *testing.T) {
	full := mustRead(t, "testdata/mitmproxy-safari.har")
	ends := entryEnds(t, full)
	for _, cut := range []int64{ends[0] + 1, ends[9] - 100, ends[9], ends[18] - 1, ends[18] + 3} {
		t.Run(strconv.FormatInt(cut, 10), func(t *testing.T) {
			complete := 0
			for _, e := range ends {
				if e <= cut {
					complete++
				}
			}
			r, err := NewReader(bytes.NewReader(full[:cut]), Options{})
			if err != nil {
				t.Fatal(err)
			}
			exs, err := model.ReadAll(r)
			if err != nil {
				t.Fatalf("ReadAll: %v", err)
			}
			if len(exs) != complete {
				t.Errorf("%d exchanges, want the %d complete entries", len(exs), complete)
			}
			notes := r.Notes()
			if len(notes) != 1 || notes[0].Kind != "truncated" {
				t.Fatalf("notes %v, want one truncated note", notes)
			}
			// The note says where the file ends, not only where the entry
			// it cut began.
			if at := "ends at byte " + strconv.FormatInt(cut, 10) + " "; !strings.Contains(notes[0].Message, at) {
				t.Errorf("note %q does not say the file %s", notes[0].Message, at)
			}
		})
	}
}

func TestHostile(t *testing.T) {
	small := Options{Limits: model.Limits{BodyBytes: 1000, JSONDepth: 50, HeaderCount: 3}}
	entry := func(body string) string {
		return `{"request":{"method":"GET","url":"https://a.example/","headers":[]},"response":{"status":200,"content":{"mimeType":"text/plain","text":` + body + `}}}`
	}
	t.Run("long body is cut at BodyBytes", func(t *testing.T) {
		body := `"` + strings.Repeat(`ab\"cd\u00e9`, 100000) + `"`
		doc := `{"log":{"entries":[` + entry(body) + `,` + entry(`"short"`) + `]}}`
		r, err := NewReader(strings.NewReader(doc), small)
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 2 {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		b := exs[0].Response.Body
		if len(b.Data) != 1000 || !b.Truncated || b.Size != -1 || !bytes.HasPrefix(b.Data, []byte(`ab"cdéab"cd`)) {
			t.Errorf("body %d bytes truncated %v size %d prefix %q", len(b.Data), b.Truncated, b.Size, b.Data[:12])
		}
		if string(exs[1].Response.Body.Data) != "short" || exs[1].Response.Body.Truncated {
			t.Errorf("next body %q", exs[1].Response.Body.Data)
		}
	})
	t.Run("depth bomb in an entry", func(t *testing.T) {
		doc := `{"log":{"entries":[` + entry(`"x"`) + `,{"a":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `},` + entry(`"y"`) + `]}}`
		r, err := NewReader(strings.NewReader(doc), small)
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 2 || exs[1].Ref != "entries[2]" {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		if n := r.Notes(); len(n) != 1 || n[0].Kind != "bad-entry" || n[0].Ref != "entries[1]" || !strings.Contains(n[0].Message, "nesting") {
			t.Errorf("notes %v", n)
		}
	})
	t.Run("unclosed depth bomb", func(t *testing.T) {
		doc := `{"log":{"entries":[` + entry(`"x"`) + `,` + strings.Repeat("[", 1<<20)
		r, err := NewReader(strings.NewReader(doc), small)
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 1 {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		if n := r.Notes(); len(n) != 1 || n[0].Kind != "truncated" || n[0].Ref != "entries[1]" {
			t.Errorf("notes %v", n)
		}
	})
	t.Run("too many headers", func(t *testing.T) {
		doc := `{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/","headers":[` +
			strings.Repeat(`{"name":"x","value":"y"},`, 10) + `{"name":"z","value":"w"}]}}]}}`
		r, err := NewReader(strings.NewReader(doc), small)
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 1 || len(exs[0].Request.Headers) != 3 {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		if n := r.Notes(); len(n) != 1 || n[0].Kind != "limit" {
			t.Errorf("notes %v", n)
		}
	})
	t.Run("forged side reference", func(t *testing.T) {
		// A string that looks like the reader's internal reference to a
		// long string must come out as itself.
		big := `"` + strings.Repeat("z", 20000) + `"`
		doc := `{"log":{"entries":[{"comment":` + big + `,"request":{"method":"GET","url":"\u0000\u00010"}}]}}`
		r, err := NewReader(strings.NewReader(doc), Options{})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 1 {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		if exs[0].Request.URL != "\x00\x010" || len(exs[0].Comment) != 20000 {
			t.Errorf("url %q, comment %d bytes", exs[0].Request.URL, len(exs[0].Comment))
		}
	})
	t.Run("damaged base64", func(t *testing.T) {
		doc := `{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/"},` +
			`"response":{"status":200,"content":{"encoding":"base64","text":"QUJDREVG!!!!QUJD"}}}]}}`
		exs, r := readDoc(t, doc, Options{})
		if b := exs[0].Response.Body; string(b.Data) != "ABCDEF" || !b.Truncated || len(r.Notes()) != 0 {
			t.Errorf("body %q truncated %v, notes %v", b.Data, b.Truncated, r.Notes())
		}
	})
	t.Run("unpadded base64", func(t *testing.T) {
		// Its tail decoded past the buffer sized for whole quanta: a panic.
		for text, want := range map[string]string{"aGVsbG8": "hello", "aGVsbA": "hell", "aGVsbG8h": "hello!", "aA": "h"} {
			doc := `{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/"},` +
				`"response":{"status":200,"content":{"encoding":"base64","text":"` + text + `"}}}]}}`
			exs, _ := readDoc(t, doc, Options{})
			if b := exs[0].Response.Body; string(b.Data) != want || b.Truncated {
				t.Errorf("%s: body %q truncated %v, want %q", text, b.Data, b.Truncated, want)
			}
		}
	})
	t.Run("absurd sizes", func(t *testing.T) {
		doc := `{"log":{"entries":[{"time":1e300,"startedDateTime":"2026-03-01T09:00:00Z","request":{"method":"GET","url":"https://a.example/","bodySize":1e300},` +
			`"response":{"status":200,"content":{"size":-1e300,"text":"x"}}}]}}`
		r, err := NewReader(strings.NewReader(doc), Options{})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 1 {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		ex := exs[0]
		if ex.Request.Body.Size != -1 || ex.Response.Body.Size != 1 || !ex.End.IsZero() {
			t.Errorf("request size %d, response size %d, End %v", ex.Request.Body.Size, ex.Response.Body.Size, ex.End)
		}
	})
	t.Run("entry over the value limit", func(t *testing.T) {
		var many strings.Builder
		for i := range 400 {
			fmt.Fprintf(&many, `{"name":"h%d","value":"%s"},`, i, strings.Repeat("v", 4096))
		}
		doc := `{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/","headers":[` + many.String() +
			`{"name":"last","value":""}]}},` + entry(`"next"`) + `]}}`
		// The value limit is 4×BodyBytes + 4×HeaderBytes + 1 MiB.
		r, err := NewReader(strings.NewReader(doc), Options{Limits: model.Limits{BodyBytes: 1000, HeaderBytes: 1000}})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 1 || exs[0].Ref != "entries[1]" {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		if n := r.Notes(); len(n) != 1 || n[0].Ref != "entries[0]" || !strings.Contains(n[0].Message, "larger than") {
			t.Errorf("notes %v", n)
		}
	})
	t.Run("notes are capped", func(t *testing.T) {
		doc := `{"log":{"entries":[` + strings.Repeat(`1,`, 150) + entry(`"x"`) + `]}}`
		r, err := NewReader(strings.NewReader(doc), Options{})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 1 || exs[0].Index != 150 {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		n := r.Notes()
		if len(n) != maxNotes+1 || n[maxNotes].Kind != "limit" || !strings.Contains(n[maxNotes].Message, "50 more") {
			t.Errorf("%d notes, last %v", len(n), n[len(n)-1])
		}
	})
	t.Run("inflate limit", func(t *testing.T) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write([]byte(`{"log":{"entries":[` + entry(`"x"`) + `,` + entry(`"`+strings.Repeat("y", 1<<20)+`"`) + `]}}`))
		zw.Close()
		r, err := NewReader(&z, Options{Limits: model.Limits{InflateBytes: 64 << 10}})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 1 {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		if n := r.Notes(); len(n) != 1 || n[0].Kind != "limit" || n[0].Ref != "entries[1]" {
			t.Errorf("notes %v", n)
		}
	})
	t.Run("truncated gzip", func(t *testing.T) {
		data := mustRead(t, "testdata/edge-gzip.har.gz")
		r, err := NewReader(bytes.NewReader(data[:len(data)-40]), Options{})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 0 {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		if n := r.Notes(); len(n) != 1 || n[0].Kind != "truncated" {
			t.Errorf("notes %v", n)
		}
	})
	t.Run("garbage after the document", func(t *testing.T) {
		doc := `{"log":{"entries":[` + entry(`"x"`) + `]}} {`
		r, err := NewReader(strings.NewReader(doc), Options{})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != 1 {
			t.Fatalf("%d exchanges, %v", len(exs), err)
		}
		if n := r.Notes(); len(n) != 1 || n[0].Kind != "damaged" {
			t.Errorf("notes %v", n)
		}
	})
}

func TestReadError(t *testing.T) {
	// An I/O failure of the source is an error, not a note.
	doc := `{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/"}},`
	boom := errors.New("disk on fire")
	r, err := NewReader(io.MultiReader(strings.NewReader(doc), &failReader{boom}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if !errors.Is(err, boom) || len(exs) != 1 {
		t.Errorf("%d exchanges, err %v", len(exs), err)
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }

func TestSniff(t *testing.T) {
	for _, name := range []string{
		"harviewer-chrome51.har", "harviewer-ie11.fiddler.har", "mitmproxy-charles.har", "okta-har-analyzer-sample.har",
		"edge-gzip.har.gz", "edge-zlib.zhar", "edge-entries-first.har",
	} {
		data := mustRead(t, filepath.Join("testdata", name))
		if !Sniff(data[:min(len(data), 512)]) {
			t.Errorf("Sniff(%s) = false", name)
		}
	}
	for _, data := range [][]byte{
		mustRead(t, "testdata/mitmproxy-charles.expected.json"),
		[]byte("PK\x03\x04"), []byte("\xd4\xc3\xb2\xa1"), []byte(`{"foo":1}`), nil,
	} {
		if Sniff(data) {
			t.Errorf("Sniff(%q) = true", data[:min(len(data), 20)])
		}
	}
}

// TestReadBoundaries reads every corpus HAR through reads of 1 to 40 bytes,
// so that strings, escapes and \u sequences are split at every possible
// place, and expects exactly what one read of the file gives.
func TestReadBoundaries(t *testing.T) {
	names, err := filepath.Glob("testdata/*.har")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := filepath.Glob(labHARs)
	if err != nil || len(lab) == 0 {
		t.Fatalf("no lab recordings: %v", err)
	}
	for _, name := range append(names, lab...) {
		data := mustRead(t, name)
		want, wantNotes, wantErr := readAllFrom(bytes.NewReader(data), Options{}, -1)
		got, gotNotes, gotErr := readAllFrom(&choppyReader{data: data, rng: rand.New(rand.NewPCG(7, uint64(len(data))))}, Options{}, -1)
		if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) || !reflect.DeepEqual(want, got) || !reflect.DeepEqual(wantNotes, gotNotes) {
			t.Errorf("%s: small reads gave %d exchanges (%v), notes %v; one read %d (%v), notes %v",
				name, len(got), gotErr, gotNotes, len(want), wantErr, wantNotes)
		}
	}
}

type choppyReader struct {
	data []byte
	rng  *rand.Rand
}

func (c *choppyReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 1+c.rng.IntN(40))], c.data)
	c.data = c.data[n:]
	return n, nil
}

// TestParallelDecode checks that decoding batches of entries on a second
// goroutine (batches of one, and the default) gives exactly what decoding
// them one at a time on the caller's gives, notes and their order included.
func TestParallelDecode(t *testing.T) {
	names, err := filepath.Glob("testdata/*.har")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(names, "testdata/edge-gzip.har.gz", "testdata/playwright-sidefile/har.har") {
		read := func(batch int) ([]*model.Exchange, []model.Note, error) {
			r, err := NewReader(bytes.NewReader(mustRead(t, name)), Options{Limits: model.Limits{HeaderCount: 5}})
			if err != nil {
				return nil, nil, err
			}
			if batch > 0 {
				r.batchMax = batch
			} else {
				r.sequential = true
			}
			exs, err := model.ReadAll(r)
			return exs, r.Notes(), err
		}
		seq, seqNotes, seqErr := read(0)
		for _, batch := range []int{1, 3, batchEntries} {
			par, parNotes, parErr := read(batch)
			if fmt.Sprint(seqErr) != fmt.Sprint(parErr) || !reflect.DeepEqual(seq, par) || !reflect.DeepEqual(seqNotes, parNotes) {
				t.Errorf("%s: batches of %d: %d exchanges (%v), notes %v; sequential %d (%v), notes %v",
					name, batch, len(par), parErr, parNotes, len(seq), seqErr, seqNotes)
			}
		}
		if seqErr == nil && len(seqNotes) == 0 && strings.Contains(name, "chrome51") {
			t.Errorf("%s: expected header-limit notes to compare", name)
		}
	}
}

func TestNormalize(t *testing.T) {
	protos := map[string]string{
		"HTTP/1.1": "HTTP/1.1", "http/1.1": "HTTP/1.1", "HTTP/1.0": "HTTP/1.0", "http/2.0": "HTTP/2", "HTTP/2": "HTTP/2",
		"h2": "HTTP/2", "h3": "HTTP/3", "HTTP/3": "HTTP/3", "unknown": "", "": "", " HTTP/1.1 ": "HTTP/1.1", "h3-29": "h3-29",
	}
	for in, want := range protos {
		if got := normalizeProto(in); got != want {
			t.Errorf("normalizeProto(%q) = %q, want %q", in, got, want)
		}
	}
	times := map[string]time.Time{
		"2026-03-01T09:00:00Z":                time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		"2026-03-01T10:00:00+01:00":           time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		"2026-03-01T10:00:00.5+0100":          time.Date(2026, 3, 1, 9, 0, 0, 5e8, time.UTC),
		"2026-03-01T09:00:00.123456789":       time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC),
		"2026-03-01 09:00:00.25Z":             time.Date(2026, 3, 1, 9, 0, 0, 25e7, time.UTC),
		"2026-03-01T09:00:00.7221474-07:00":   time.Date(2026, 3, 1, 16, 0, 0, 722147400, time.UTC),
		"yesterday":                           {},
		"":                                    {},
		"2026-03-01T09:00:00Z trailing words": {},
	}
	for in, want := range times {
		if got := parseTime(in); !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, want %v", in, got, want)
		}
	}
}

// panicFS panics when a side file is opened.
type panicFS struct{}

func (panicFS) Open(string) (fs.File, error) { panic("side file boom") }

// TestDecodePanicReachesCaller checks that a panic while decoding a batch
// on its goroutine is raised again by Next on the caller's goroutine (where
// the CLI turns it into the file's error) instead of ending the process.
func TestDecodePanicReachesCaller(t *testing.T) {
	doc := `{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/"},` +
		`"response":{"status":200,"content":{"mimeType":"text/html","_file":"a.html"}}}]}}`
	r, err := NewReader(strings.NewReader(doc), Options{SideFiles: panicFS{}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		p := recover()
		if s, _ := p.(string); !strings.Contains(s, "side file boom") || !strings.Contains(s, "HAR decoder goroutine") {
			t.Fatalf("recovered %v", p)
		}
	}()
	r.Next()
	t.Fatal("Next returned")
}

// TestPostDataBase64: a request body written in base64 with
// postData.encoding (outside HAR 1.2, as browser extensions and HAR
// libraries write a body that is no text, the way content.encoding is
// written) is decoded: the token request of the third-party Okta sample
// so stored reads as the original.
func TestPostDataBase64(t *testing.T) {
	orig := mustRead(t, "testdata/okta-har-analyzer-sample.har")
	const form = `grant_type=authorization_code&code=aB3cD4eF5gH6iJ7kL8mN9oP0&redirect_uri=https%3A%2F%2Fmyapp.example.com%2Fcallback&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk`
	quoted := `"text": "` + form + `"`
	if !bytes.Contains(orig, []byte(quoted)) {
		t.Fatal("the sample's token request body changed")
	}
	enc := bytes.Replace(orig, []byte(quoted), []byte(`"encoding": "base64", "text": "`+base64.StdEncoding.EncodeToString([]byte(form))+`"`), 1)
	read := func(data []byte) *model.Exchange {
		r, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range exs {
			if strings.HasSuffix(ex.Request.URL, "/v1/token") {
				return ex
			}
		}
		t.Fatal("no token request")
		return nil
	}
	want := string(read(orig).Request.Body.Data)
	got := read(enc).Request.Body
	if want != form || string(got.Data) != form || got.Truncated {
		t.Errorf("body %q (truncated %v), want the form the plain sample reads (%q)", got.Data, got.Truncated, want)
	}
}
