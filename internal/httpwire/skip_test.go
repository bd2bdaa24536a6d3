package httpwire

import (
	"bufio"
	"bytes"
	"errors"

	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
)

// readBoth reads every response in raw twice, keeping bodies and skipping
// them, and returns both readings with their warnings and errors.
type reading struct {
	resps []*model.Response
	warns []string
	err   error
	rest  []byte
}

func readAllResponses(raw []byte, method string, l model.Limits, skip bool) reading {
	return readAllFrom(&piecesReader{data: raw, piece: len(raw) + 1, failAt: -1}, method, l, skip, false)
}

// readAllFrom is readAllResponses over src, with Options.Discard reading
// past src's bytes when pass is set.
func readAllFrom(src *piecesReader, method string, l model.Limits, skip, pass bool) reading {
	var r reading
	o := Options{Limits: l, Warn: func(m string) { r.warns = append(r.warns, m) }}
	if skip {
		o.SkipBody = func(string) bool { return true }
	}
	if pass {
		o.Discard = src.discard
	}
	br := bufio.NewReader(src)
	for range 100 {
		resp, err := o.ReadResponse(br, method)
		if err != nil {
			r.err = err
			break
		}
		r.resps = append(r.resps, resp)
	}
	r.rest, _ = io.ReadAll(br)
	return r
}

// piecesReader hands out data at most piece bytes at a time and fails
// with errCut from failAt on (never when negative), as a capture's stream
// stops at lost bytes; discard passes bytes as Read would.
type piecesReader struct {
	data       []byte
	pos, piece int
	failAt     int
	discarded  int
}

var errCut = errors.New("bytes lost")

func (p *piecesReader) next(n int) (int, error) {
	if p.failAt >= 0 && p.pos >= p.failAt {
		return 0, errCut
	}
	if p.pos == len(p.data) {
		return 0, io.EOF
	}
	end := len(p.data)
	if p.failAt >= 0 {
		end = min(end, p.failAt)
	}
	return min(n, p.piece, end-p.pos), nil
}

func (p *piecesReader) Read(b []byte) (int, error) {
	n, err := p.next(len(b))
	if err != nil {
		return 0, err
	}
	copy(b, p.data[p.pos:p.pos+n])
	p.pos += n
	return n, nil
}

func (p *piecesReader) discard(n int64) (int64, error) {
	k, err := p.next(int(min(n, 1<<30)))
	if err != nil {
		return 0, err
	}
	p.pos += k
	p.discarded += k
	return int64(k), nil
}

// checkPassMatches: skipping bodies through Options.Discard reads a stream
// exactly as skipping them by copying, whatever the pieces and wherever
// the stream fails.
func checkPassMatches(t *testing.T, raw []byte, method string, l model.Limits) {
	t.Helper()
	for _, piece := range []int{1, 7, 1000, len(raw) + 1} {
		for _, failAt := range []int{-1, len(raw) / 3, len(raw) / 2, len(raw) - 1} {
			copied := readAllFrom(&piecesReader{data: raw, piece: piece, failAt: failAt}, method, l, true, false)
			src := &piecesReader{data: raw, piece: piece, failAt: failAt}
			passed := readAllFrom(src, method, l, true, true)
			if (copied.err == nil) != (passed.err == nil) || copied.err != nil && copied.err.Error() != passed.err.Error() {
				t.Fatalf("piece %d, fail at %d: errors differ: copied %v, passed %v", piece, failAt, copied.err, passed.err)
			}
			if diff := cmp.Diff(copied.resps, passed.resps); diff != "" || !bytes.Equal(copied.rest, passed.rest) || !slices.Equal(copied.warns, passed.warns) {
				t.Fatalf("piece %d, fail at %d: readings differ (-copied +passed):\n%s\nrest %q / %q\nwarnings %q / %q", piece, failAt, diff, copied.rest, passed.rest, copied.warns, passed.warns)
			}
		}
	}
}

// checkSkipMatches: a skipped body is read past exactly as a kept one
// (same messages, sizes, headers, bytes left, errors), keeps no data, and
// warns alike except about streams it did not decode.
func checkSkipMatches(t *testing.T, raw []byte, method string, l model.Limits) {
	t.Helper()
	kept := readAllResponses(raw, method, l, false)
	skipped := readAllResponses(raw, method, l, true)
	if (kept.err == nil) != (skipped.err == nil) || kept.err != nil && kept.err.Error() != skipped.err.Error() {
		t.Fatalf("errors differ: kept %v, skipped %v", kept.err, skipped.err)
	}
	if !bytes.Equal(kept.rest, skipped.rest) || len(kept.resps) != len(skipped.resps) {
		t.Fatalf("skipping read %d responses leaving %d bytes, keeping %d leaving %d", len(skipped.resps), len(skipped.rest), len(kept.resps), len(kept.rest))
	}
	for i, k := range kept.resps {
		s := skipped.resps[i]
		if len(s.Body.Data) != 0 {
			t.Errorf("response %d: skipped body kept %d bytes", i, len(s.Body.Data))
		}
		if s.Body.Truncated && !k.Body.Truncated {
			t.Errorf("response %d: skipped body cut, kept one whole", i)
		}
		// Without decoding, both say the same.
		if isIdentity(strings.Join(k.Headers.Values("Content-Encoding"), ",")) && s.Body.Truncated != k.Body.Truncated {
			t.Errorf("response %d: skipped body truncated %v, kept %v", i, s.Body.Truncated, k.Body.Truncated)
		}
		if k.Body.Skipped || s.Body.Size > 0 && !s.Body.Skipped {
			t.Errorf("response %d: Skipped %v when skipped, %v when kept", i, s.Body.Skipped, k.Body.Skipped)
		}
		k.Body.Data, k.Body.Truncated, s.Body.Truncated, s.Body.Skipped = nil, false, false, false
		if diff := cmp.Diff(k, s); diff != "" {
			t.Errorf("response %d differs (-kept +skipped):\n%s", i, diff)
		}
	}
	decodeOnly := func(w string) bool {
		return strings.HasPrefix(w, "body kept content-encoded") && !strings.Contains(w, "unsupported coding")
	}
	want := slices.DeleteFunc(slices.Clone(kept.warns), decodeOnly)
	if !slices.Equal(want, skipped.warns) {
		t.Errorf("warnings: kept %q, skipped %q", kept.warns, skipped.warns)
	}
}

func TestSkipBody(t *testing.T) {
	js := strings.Repeat("function f(){return 1}\n", 500)
	z := gz(js)
	cases := map[string]string{
		"chunked gzip script, then a response": "HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
			chunk(z[:40]) + chunk(z[40:]) + "0\r\nX-Trailer: t\r\n\r\n" +
			"HTTP/1.1 204 No Content\r\n\r\n",
		"content-length image": "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 6\r\n\r\n\x89PNG\r\nHTTP/1.1 304 Not Modified\r\n\r\n",
		"cut body":             "HTTP/1.1 200 OK\r\nContent-Type: font/woff2\r\nContent-Length: 600\r\n\r\nwOF2",
		"cut chunk":            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\nabc",
		"unknown coding":       "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, snappy\r\nContent-Length: 3\r\n\r\nabc",
		"corrupt gzip":         "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
		"to the end":           "HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n" + js,
		"empty unknown coding": "HTTP/1.1 200 OK\r\nContent-Encoding: snappy\r\nContent-Length: 0\r\n\r\n",
		"over the limit":       "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 1500\r\n\r\n" + strings.Repeat("p", 1500) + "HTTP/1.1 204 No Content\r\n\r\n",
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			checkSkipMatches(t, []byte(raw), "GET", model.Limits{BodyBytes: 1000})
			checkPassMatches(t, []byte(raw), "GET", model.Limits{BodyBytes: 1000})
		})
	}
	// The bytes of a skipped body are passed, not copied.
	big := strings.Repeat("0123456789", 2000)
	for _, raw := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + big + "HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4e20\r\n" + big + "\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n" + big,
	} {
		src := &piecesReader{data: []byte(raw), piece: 1448, failAt: -1}
		if r := readAllFrom(src, "GET", model.Limits{}, true, true); len(r.resps) == 0 || r.resps[0].Body.Size != 20000 || src.discarded < 20000-4096 {
			t.Errorf("passed %d of a 20000-byte body (%d responses)", src.discarded, len(r.resps))
		}
		checkPassMatches(t, []byte(raw), "GET", model.Limits{})
	}
	for _, tt := range respTests {
		t.Run(tt.Name, func(t *testing.T) {
			checkSkipMatches(t, []byte(tt.Raw), tt.Method, model.Limits{})
			checkPassMatches(t, []byte(tt.Raw), tt.Method, model.Limits{})
		})
	}

	// What is told and what is not.
	r := readAllResponses([]byte(cases["unknown coding"]), "GET", model.Limits{}, true)
	if len(r.warns) != 1 || !strings.Contains(r.warns[0], `unsupported coding "snappy"`) {
		t.Errorf("unknown coding: warnings %q", r.warns)
	}
	r = readAllResponses([]byte(cases["cut body"]), "GET", model.Limits{}, true)
	if len(r.resps) != 1 || !r.resps[0].Body.Truncated || r.resps[0].Body.Size != 4 || len(r.warns) != 1 {
		t.Errorf("cut body: %+v, warnings %q", r.resps, r.warns)
	}
	r = readAllResponses([]byte(cases["chunked gzip script, then a response"]), "GET", model.Limits{}, true)
	if len(r.resps) != 2 || r.resps[0].Body.Size != int64(len(z)) || r.resps[0].Body.Truncated || r.resps[0].Headers.Get("X-Trailer") != "t" {
		t.Errorf("chunked: %+v", r.resps[0])
	}
	// Requests are never skipped.
	o := Options{SkipBody: func(string) bool { return true }}
	req, err := o.ReadRequest(bufio.NewReader(strings.NewReader("POST /token HTTP/1.1\r\nHost: a\r\nContent-Type: image/png\r\nContent-Length: 2\r\n\r\nab")))
	if err != nil || string(req.Body.Data) != "ab" {
		t.Errorf("request body: %v, %v", req, err)
	}
}

// TestBodyBuilderSkip counts without keeping.
func TestBodyBuilderSkip(t *testing.T) {
	var warns []string
	b := NewBodyBuilder(Options{Warn: func(m string) { warns = append(warns, m) }})
	b.Skip()
	b.Write([]byte("abc"))
	b.Write([]byte("defg"))
	body := b.Body(hdr("Content-Encoding", "gzip", "Content-Type", "text/css"), false)
	if body.Size != 7 || len(body.Data) != 0 || body.Truncated || body.MIMEType != "text/css" || len(warns) != 0 {
		t.Errorf("body %+v, warnings %q", body, warns)
	}
}

// FuzzSkipBody: skipping a body reads a stream exactly as keeping it.
func FuzzSkipBody(f *testing.F) {
	for _, tt := range respTests {
		f.Add([]byte(tt.Raw), tt.Method)
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"), "GET")
	f.Fuzz(func(t *testing.T, data []byte, method string) {
		checkSkipMatches(t, data, method, fuzzLimits)
		checkPassMatches(t, data, method, fuzzLimits)
	})
}
