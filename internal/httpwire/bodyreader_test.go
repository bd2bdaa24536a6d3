package httpwire

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
)

// readWriting reads every response in src as readAllFrom does, but hands
// up to take bytes of each Content-Length body, and of each chunk of a
// chunked one (Read pausing before every chunk), to BodyReader.Write
// first, as the pcap reader does with bytes that arrive while no parser
// waits, then reads on with Read. caps are the kept bodies' buffer sizes.
func readWriting(src *piecesReader, method string, l model.Limits, skip bool, take int) (reading, []int) {
	var r reading
	var caps []int
	o := Options{Limits: l, Warn: func(m string) { r.warns = append(r.warns, m) }}
	if skip {
		o.SkipBody = func(string) bool { return true }
	}
	br := bufio.NewReader(src)
	for range 100 {
		resp, body, err := o.ReadResponseHead(br, method)
		if err == nil && body.On() {
			// In pieces: the bytes a capture delivers packet by packet,
			// before the body and before each chunk of a chunked one.
			write := func() {
				for left := take; left > 0 && body.Need() > 0; {
					b, _ := br.Peek(max(1, min(br.Buffered(), left, 5)))
					if len(b) == 0 {
						break
					}
					n := body.Write(b)
					if n == 0 {
						break
					}
					_, _ = br.Discard(n)
					left -= n
				}
			}
			write()
			for {
				var paused bool
				resp.Body, paused, err = body.Read(br, func(int64) bool { return take > 0 })
				if !paused {
					break
				}
				write()
			}
		}
		if err != nil {
			r.err = err
			break
		}
		r.resps = append(r.resps, resp)
		caps = append(caps, cap(resp.Body.Data))
	}
	r.rest, _ = io.ReadAll(br)
	return r, caps
}

// checkWriteMatches: a body whose first bytes went through
// BodyReader.Write reads as ReadResponse reads it: the same responses,
// warnings, errors and bytes left, and the same buffer sizes.
func checkWriteMatches(t *testing.T, raw []byte, method string, l model.Limits) {
	t.Helper()
	for _, skip := range []bool{false, true} {
		for _, failAt := range []int{-1, len(raw) / 2, len(raw) - 1} {
			for _, take := range []int{0, 1, 3, 700, len(raw)} {
				want, wantCaps := readWriting(&piecesReader{data: raw, piece: len(raw) + 1, failAt: failAt}, method, l, skip, 0)
				got, gotCaps := readWriting(&piecesReader{data: raw, piece: len(raw) + 1, failAt: failAt}, method, l, skip, take)
				if (want.err == nil) != (got.err == nil) || want.err != nil && want.err.Error() != got.err.Error() {
					t.Fatalf("skip %v, fail at %d, take %d: errors differ: %v, written %v", skip, failAt, take, want.err, got.err)
				}
				if diff := cmp.Diff(want.resps, got.resps); diff != "" || !bytes.Equal(want.rest, got.rest) || !slices.Equal(want.warns, got.warns) || !slices.Equal(wantCaps, gotCaps) {
					t.Fatalf("skip %v, fail at %d, take %d: readings differ (-read +written):\n%s\nrest %q / %q\nwarnings %q / %q\nbuffers %v / %v",
						skip, failAt, take, diff, want.rest, got.rest, want.warns, got.warns, wantCaps, gotCaps)
				}
			}
		}
	}
	// Taking nothing is ReadResponse.
	plain := readAllResponses(raw, method, l, false)
	none, _ := readWriting(&piecesReader{data: raw, piece: len(raw) + 1, failAt: -1}, method, l, false, 0)
	if diff := cmp.Diff(plain.resps, none.resps); diff != "" || !slices.Equal(plain.warns, none.warns) || !bytes.Equal(plain.rest, none.rest) {
		t.Fatalf("ReadResponseHead and Finish differ from ReadResponse (-ReadResponse +Finish):\n%s", diff)
	}
}

// TestBodyReaderWrite: the recorded responses, bodies over the body limit,
// bodies cut short, compressed and chunked ones, and keep-alive sequences.
func TestBodyReaderWrite(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 300)
	var seq strings.Builder
	for i := range 5 {
		fmt.Fprintf(&seq, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s", 100*i+1, big[:100*i+1])
	}
	gzBody := gz(big)
	cases := map[string]string{
		"sequence": seq.String(),
		"big":      "HTTP/1.1 200 OK\r\nContent-Length: 4800\r\n\r\n" + big,
		"cut":      "HTTP/1.1 200 OK\r\nContent-Length: 9000\r\n\r\n" + big,
		"gzip":     fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(gzBody), gzBody),
		"chunked":  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"chunks": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + "12c\r\n" + big[:300] + "\r\n3; ext=1\r\nabc\r\n\r\n" +
			"7d0\r\n" + big[:2000] + "\r\n0\r\nTrailer-Field: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
		"chunk cut":  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" + big[:1000],
		"chunk bad":  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcdzz\r\nxyz\r\n",
		"to the end": "HTTP/1.0 200 OK\r\n\r\n" + big,
		"empty":      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
	}
	for _, tt := range respTests {
		cases[tt.Name] = tt.Raw
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			for _, l := range []model.Limits{{}, {BodyBytes: 1000}, {BodyBytes: 3}} {
				checkWriteMatches(t, []byte(raw), "GET", l)
			}
			checkWriteMatches(t, []byte(raw), "HEAD", model.Limits{})
		})
	}
}

// FuzzBodyReaderWrite is TestBodyReaderWrite on any input.
func FuzzBodyReaderWrite(f *testing.F) {
	for _, tt := range respTests {
		f.Add([]byte(tt.Raw), tt.Method, uint16(2))
	}
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nab"), "GET", uint16(20))
	f.Fuzz(func(t *testing.T, data []byte, method string, body uint16) {
		checkWriteMatches(t, data, method, model.Limits{BodyBytes: int64(body), InflateBytes: 1 << 16, HeaderBytes: 1 << 14, HeaderCount: 100})
	})
}
