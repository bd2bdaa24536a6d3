package saz

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// generatedSAZ builds an archive of n sessions shaped like a sign-in
// capture: authorize redirects, form posts, token responses (some gzip,
// some chunked), each with Fiddler-style metadata.
func generatedSAZ(tb testing.TB, n int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write([]byte(body))
	}
	width := len(fmt.Sprint(n))
	page := strings.Repeat("<div class=\"row\">sign-in page content</div>\n", 40)
	for i := 1; i <= n; i++ {
		num := fmt.Sprintf("%0*d", width, i)
		put("raw/"+num+"_c.txt", fmt.Sprintf("POST https://login.example.com/common/oauth2/v2.0/token HTTP/1.1\r\n"+
			"Host: login.example.com\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\nAccept: application/json\r\n"+
			"Content-Type: application/x-www-form-urlencoded\r\nCookie: x-ms-gateway-slice=estsfd; stsservicecookie=estsfd\r\n"+
			"Content-Length: %d\r\n\r\n%s", len("grant_type=authorization_code&code=0.AAAA"+num+"&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&client_id=00000000-0000-0000-0000-000000000000"),
			"grant_type=authorization_code&code=0.AAAA"+num+"&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&client_id=00000000-0000-0000-0000-000000000000"))
		var resp string
		switch i % 3 {
		case 0:
			body := gzipped(page)
			resp = fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		case 1:
			resp = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
				chunked(`{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAiOiJKV1Qi`+strings.Repeat("A", 1200)+`"}`) + "0\r\n\r\n"
		default:
			resp = "HTTP/1.1 302 Found\r\nLocation: https://app.example/cb?code=0.AAAA" + num + "&state=abc\r\nContent-Length: 0\r\n\r\n"
		}
		put("raw/"+num+"_s.txt", resp)
		put("raw/"+num+"_m.xml", metaXML("1", fmt.Sprint(50000+i%1000)))
	}
	put("_index.htm", "<html></html>")
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkReader(b *testing.B) {
	const sessions = 5000
	data := generatedSAZ(b, sessions)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{})
		if err != nil {
			b.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil || len(exs) != sessions {
			b.Fatalf("read %d sessions: %v", len(exs), err)
		}
	}
	b.ReportMetric(float64(sessions*b.N)/b.Elapsed().Seconds(), "sessions/s")
}

func TestGeneratedSAZ(t *testing.T) {
	// Under -short (CI's race step, where writing and reading the archive
	// are several times slower) a fifth of the sessions: more than the
	// sessions inflated ahead, so the read still waits on its goroutines.
	n := 300
	if testing.Short() {
		n = 60
	}
	data := generatedSAZ(t, n)
	exs, notes := readAll(t, data, Options{})
	if len(exs) != n || len(notes) != 0 {
		t.Fatalf("%d exchanges, notes %+v", len(exs), notes)
	}
	if !strings.Contains(string(exs[0].Response.Body.Data), "access_token") || !strings.Contains(string(exs[2].Response.Body.Data), "sign-in page") {
		t.Errorf("decoded bodies wrong")
	}
}

// BenchmarkReaderOffice reads the real Fiddler capture in testdata (56
// sessions, a 144 KiB JSON body, CONNECT tunnels).
func BenchmarkReaderOffice(b *testing.B) {
	data := readFile(b, "OfficeInspectors-NewCaseName.saz")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if exs, err := model.ReadAll(r); err != nil || len(exs) != 56 {
			b.Fatalf("read %d sessions: %v", len(exs), err)
		}
	}
}
