package redact

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// generatedHAR is a sign-in trace padded with script and JSON traffic:
// n entries, one in ten an OAuth step, the others 32 KiB script bodies.
func generatedHAR(tb testing.TB, n int) []byte {
	tb.Helper()
	script := strings.Repeat(`function f(a){return a+"https://cdn.example.com/x.js?v=1";} var cfg={"name":"value","n":1};`+"\n", 360)
	var es []entry
	for i := range n {
		switch i % 10 {
		case 0:
			es = append(es, entry{Method: "GET", URL: fmt.Sprintf("https://login.example.com/authorize?client_id=app&response_type=code&state=state-%08d-abcdef&code_challenge=%s&code_challenge_method=S256", i, s256(verifierA)),
				Status: 302, RespHeaders: [][2]string{{"Location", fmt.Sprintf("https://app.example.com/cb?code=code-%08d-abcdefgh&state=state-%08d-abcdef", i, i)}, {"Set-Cookie", "tx=abcdefghijkl0123; Path=/; Secure; SameSite=None"}}})
		case 1:
			es = append(es, entry{Method: "POST", URL: "https://login.example.com/token", ReqMIME: "application/x-www-form-urlencoded",
				ReqBody: fmt.Sprintf("grant_type=authorization_code&code=code-%08d-abcdefgh&code_verifier=%s&client_id=app", i-1, verifierA),
				Status:  200, RespMIME: "application/json", RespBody: fmt.Sprintf(`{"access_token":"at-%08d-0123456789","id_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2ln","expires_in":3600}`, i)})
		default:
			es = append(es, entry{Method: "GET", URL: fmt.Sprintf("https://cdn.example.com/%d.js", i), Status: 200,
				ReqHeaders: [][2]string{{"Cookie", "fpc=abcdefghijkl0123; x-ms-gateway-slice=estsfd"}}, RespMIME: "application/javascript", RespBody: script})
		}
	}
	return buildHAR(tb, es...)
}

// BenchmarkHAR measures both passes over a generated trace:
// go test -run XXX -bench BenchmarkHAR -benchmem ./redact
func BenchmarkHAR(b *testing.B) {
	data := generatedHAR(b, 1000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := HAR(bytes.NewReader(data), io.Discard, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSAZ measures a SAZ made of the same trace.
func BenchmarkSAZ(b *testing.B) {
	exs, ok := tryReadHAR(generatedHAR(b, 500))
	if !ok {
		b.Fatal("generated HAR does not read")
	}
	data := sazFromExchanges(b, exs)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := SAZ(bytes.NewReader(data), int64(len(data)), io.Discard, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
