package har2saz

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
)

func member(t *testing.T, saz []byte, name string) (string, bool) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(saz), int64(len(saz)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			return string(b), true
		}
	}
	return "", false
}

func TestConvert(t *testing.T) {
	har := `{"log":{"entries":[
	 {"startedDateTime":"2026-11-26T10:00:00.123Z","time":50,"connection":"7","comment":"first",
	  "request":{"method":"POST","url":"https://login.example/token","httpVersion":"HTTP/1.1",
	   "headers":[{"name":"Content-Type","value":"application/x-www-form-urlencoded"},{"name":"Content-Length","value":"999"}],
	   "postData":{"mimeType":"application/x-www-form-urlencoded","text":"a=b"}},
	  "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1",
	   "headers":[{"name":"Content-Encoding","value":"gzip"}],
	   "content":{"text":"eyJvayI6dHJ1ZX0=","encoding":"base64"}},
	  "timings":{"send":1,"wait":40,"receive":9}},
	 {"startedDateTime":"2026-11-26T10:00:01Z","time":0,
	  "request":{"method":"GET","url":"http://gone.example/","httpVersion":"","headers":[]},
	  "response":{"status":0,"statusText":"","httpVersion":"","headers":[],"content":{}}}]}}`
	saz, err := Convert([]byte(har))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := member(t, saz, "raw/01_c.txt")
	if want := "POST https://login.example/token HTTP/1.1\r\nHost: login.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b"; c != want {
		t.Errorf("request:\n%q\nwant\n%q", c, want)
	}
	s, _ := member(t, saz, "raw/01_s.txt")
	if want := "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"; s != want {
		t.Errorf("response:\n%q\nwant\n%q", s, want)
	}
	m, _ := member(t, saz, "raw/01_m.xml")
	for _, want := range []string{`BitFlags="1"`, `ClientBeginRequest="2026-11-26T10:00:00.1230000+00:00"`, `ClientDoneResponse="2026-11-26T10:00:00.1730000+00:00"`, `N="x-clientport" V="7"`, `N="ui-comments" V="first"`} {
		if !strings.Contains(m, want) {
			t.Errorf("metadata lacks %s:\n%s", want, m)
		}
	}
	if _, ok := member(t, saz, "raw/02_s.txt"); ok {
		t.Errorf("an entry without a response got a response file")
	}
	if m2, _ := member(t, saz, "raw/02_m.xml"); !strings.Contains(m2, `ServerBeginResponse="0001-01-01T00:00:00"`) {
		t.Errorf("unanswered entry's metadata:\n%s", m2)
	}
	// Tools' variations: a BOM, a numeric connection id, an offset
	// without a colon, no start time at all.
	saz, err = Convert([]byte("\xef\xbb\xbf" + `{"log":{"entries":[
	 {"startedDateTime":"2026-03-01T10:00:00.5+0100","connection":42,"request":{"method":"GET","url":"http://a.example/","headers":[]},"response":{"status":204,"headers":[],"content":{}}},
	 {"request":{"method":"GET","url":"http://b.example/","headers":[]},"response":{"status":204,"headers":[],"content":{}}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	m, _ = member(t, saz, "raw/01_m.xml")
	if !strings.Contains(m, `ClientBeginRequest="2026-03-01T10:00:00.5000000+01:00"`) || !strings.Contains(m, `N="x-clientport" V="42"`) {
		t.Errorf("variant metadata:\n%s", m)
	}
	if m2, _ := member(t, saz, "raw/02_m.xml"); !strings.Contains(m2, `ClientBeginRequest="0001-01-01T00:00:00"`) {
		t.Errorf("entry without a start:\n%s", m2)
	}
	if _, err := Convert([]byte(`{"log":{"entries":[]}}`)); err == nil {
		t.Errorf("empty HAR converted")
	}
}
