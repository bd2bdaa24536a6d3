// Package hargen writes large, deterministic, Chrome-like HAR documents for
// benchmarks: the reader's speed and memory are measured on the kind of file
// that hurts (a few hundred entries with near-megabyte bodies), without
// committing hundreds of megabytes of fixtures.
package hargen

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Config sizes the generated document.
type Config struct {
	Entries   int // number of log.entries
	BodyBytes int // approximate decoded size of each response body
	Seed      uint64
}

// Default is the benchmark's shape: 240 entries of ~850 KB, about 200 MB.
// BodyBytes is the approximate size of the body as it appears in the file.
var Default = Config{Entries: 240, BodyBytes: 850 << 10, Seed: 1}

// Write writes one HAR document to w and returns the bytes written.
// Bodies alternate between HTML text (with the quotes and newlines that
// make JSON escaping work hard) and base64-encoded binary, as browsers
// export them.
func Write(w io.Writer, cfg Config) (int64, error) {
	cw := &countWriter{w: bufio.NewWriterSize(w, 1<<20)}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	fmt.Fprint(cw, `{"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},`)
	fmt.Fprintf(cw, `"pages":[{"startedDateTime":%q,"id":"page_1","title":"https://login.example.com/","pageTimings":{"onContentLoad":812.5,"onLoad":1290.1}}],`,
		start.Format(time.RFC3339Nano))
	fmt.Fprint(cw, `"entries":[`)
	for i := range cfg.Entries {
		if i > 0 {
			fmt.Fprint(cw, ",")
		}
		if err := writeEntry(cw, rng, i, start.Add(time.Duration(i)*37*time.Millisecond), cfg.BodyBytes); err != nil {
			return cw.n, err
		}
	}
	fmt.Fprint(cw, "]}}\n")
	if cw.err != nil {
		return cw.n, cw.err
	}
	return cw.n, cw.w.(*bufio.Writer).Flush()
}

func writeEntry(w *countWriter, rng *rand.Rand, i int, at time.Time, bodyBytes int) error {
	url := fmt.Sprintf("https://cdn.example.com/assets/%d/app.%x.js?v=%d", i, rng.Uint64(), i)
	method := "GET"
	var post string
	if i%10 == 3 {
		method = "POST"
		url = "https://login.example.com/oauth2/v2.0/token"
		post = fmt.Sprintf(`,"postData":{"mimeType":"application/x-www-form-urlencoded","text":"grant_type=authorization_code&code=gen%d&redirect_uri=https%%3A%%2F%%2Fapp.example.com%%2Fcb"}`, i)
	}
	fmt.Fprintf(w, `{"_initiator":{"type":"parser","url":"https://app.example.com/","lineNumber":%d},"_priority":"High","_resourceType":"script","cache":{},"connection":"%d","pageref":"page_1",`,
		rng.IntN(500), 1000+i%6)
	fmt.Fprintf(w, `"request":{"method":%q,"url":%q,"httpVersion":"http/2.0","headers":[`, method, url)
	writeHeaders(w, []string{
		":authority", "cdn.example.com", ":method", method, ":path", "/assets/app.js", ":scheme", "https",
		"accept", "*/*", "accept-encoding", "gzip, deflate, br", "accept-language", "en-US,en;q=0.9",
		"sec-ch-ua", `"Chromium";v="122", "Not(A:Brand";v="24"`,
		"user-agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
	})
	fmt.Fprintf(w, `],"queryString":[{"name":"v","value":"%d"}],"cookies":[],"headersSize":-1,"bodySize":0%s},`, i, post)

	body, encoding := makeBody(rng, i, bodyBytes)
	text, err := jsonString(body)
	if err != nil {
		return err
	}
	fmt.Fprint(w, `"response":{"status":200,"statusText":"","httpVersion":"http/2.0","headers":[`)
	writeHeaders(w, []string{
		"content-type", "text/html; charset=utf-8", "cache-control", "max-age=31536000",
		"date", at.Format(time.RFC1123), "server", "gen",
	})
	fmt.Fprintf(w, `],"cookies":[],"content":{"size":%d,"mimeType":"text/html","compression":0,"text":%s%s},"redirectURL":"","headersSize":-1,"bodySize":%d,"_transferSize":%d,"_error":null},`,
		bodyBytes, text, encoding, bodyBytes, bodyBytes+300)
	fmt.Fprintf(w, `"serverIPAddress":"192.0.2.%d","startedDateTime":%q,"time":%.3f,"timings":{"blocked":0.8,"dns":-1,"ssl":-1,"connect":-1,"send":0.1,"wait":20.2,"receive":3.4,"_blocked_queueing":0.5}}`,
		1+i%200, at.Format(time.RFC3339Nano), 24.5+float64(rng.IntN(1000))/10)
	return w.err
}

func writeHeaders(w *countWriter, kv []string) {
	for j := 0; j+1 < len(kv); j += 2 {
		if j > 0 {
			fmt.Fprint(w, ",")
		}
		fmt.Fprintf(w, `{"name":%q,"value":%q}`, kv[j], kv[j+1])
	}
}

// makeBody returns the body's JSON string value and the content.encoding
// member that goes with it.
func makeBody(rng *rand.Rand, i, n int) (string, string) {
	if i%2 == 1 {
		raw := make([]byte, n*3/4) // base64 makes it n again
		for k := range raw {
			raw[k] = byte(rng.Uint32())
		}
		return base64.StdEncoding.EncodeToString(raw), `,"encoding":"base64"`
	}
	const line = "<div class=\"row\" data-id=\"%d\">\t<a href=\"/p/%d?x=1&y=2\">item \u00e9 %d</a></div>\n"
	b := make([]byte, 0, n+128)
	for k := 0; len(b) < n*9/10; k++ { // JSON escapes add about a tenth
		b = fmt.Appendf(b, line, k, rng.IntN(1e6), k)
	}
	return string(b), ""
}

// jsonString quotes s as browsers do: without escaping <, > and &.
func jsonString(s string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}
