package pcap

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/internal/bodypool"
	"github.com/traceaudit/traceaudit/model"
)

var fuzzLimits = model.Limits{BodyBytes: 1 << 14, InflateBytes: 1 << 16, HeaderBytes: 1 << 14, HeaderCount: 100}

// FuzzReader reads arbitrary capture files: no panic, errors only from
// NewReader and wrapping ErrFormat, bounded bodies.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.pcap*")
	zeek, _ := filepath.Glob("testdata/zeek/*.pcap*")
	quic, _ := filepath.Glob("testdata/quic/*.pcap*")
	files = append(append(files, zeek...), quic...)
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), Options{Limits: fuzzLimits})
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			return
		}
		exs, err := model.ReadAll(r)
		if err != nil {
			t.Fatalf("Next failed: %v", err)
		}
		for _, ex := range exs {
			checkBounded(t, ex)
		}
		// Skipping bodies and parking idle parsers read the same exchanges.
		r, _ = NewReader(bytes.NewReader(data), Options{Limits: fuzzLimits, SkipBody: model.CarriesNoOAuth})
		r.parkAbove = 0
		other, err := model.ReadAll(r)
		if err != nil || len(other) != len(exs) {
			t.Fatalf("skipping and parking: %d exchanges (%v), else %d", len(other), err, len(exs))
		}
		for i, ex := range exs {
			if a, b := rowOf(ex), rowOf(other[i]); a != b {
				t.Fatalf("exchange %d: %q, skipping and parking %q", i, a, b)
			}
		}
	})
}

// rowOf is what skipping a body must not change.
func rowOf(ex *model.Exchange) string {
	row := fmt.Sprintf("%s %s %s %s", ex.Ref, ex.Request.Method, ex.Request.URL, ex.Request.Body.Data)
	if ex.Response != nil {
		row += fmt.Sprintf(" %d %d %v", ex.Response.Status, ex.Response.Body.Size, len(ex.Response.Headers))
		if !model.CarriesNoOAuth(ex.Response.Body.MIMEType) {
			row += string(ex.Response.Body.Data)
		}
	}
	return row
}

func checkBounded(t *testing.T, ex *model.Exchange) {
	t.Helper()
	if int64(len(ex.Request.Body.Data)) > fuzzLimits.BodyBytes {
		t.Fatalf("request body kept %d bytes", len(ex.Request.Body.Data))
	}
	if ex.Response != nil && int64(len(ex.Response.Body.Data)) > fuzzLimits.BodyBytes {
		t.Fatalf("response body kept %d bytes", len(ex.Response.Body.Data))
	}
	if ex.Ref == "" {
		t.Fatalf("exchange without ref")
	}
	checkHeaders(t, "request", ex.Request.Headers)
	if ex.Response != nil {
		checkHeaders(t, "response", ex.Response.Headers)
	}
}

// checkHeaders: a message's header fields, trailers included, stay within
// the limits.
func checkHeaders(t *testing.T, what string, h model.Headers) {
	t.Helper()
	size := 0
	for _, f := range h {
		size += len(f.Name) + len(f.Value)
	}
	if len(h) > fuzzLimits.HeaderCount || int64(size) > fuzzLimits.HeaderBytes {
		t.Fatalf("%s kept %d header fields of %d bytes", what, len(h), size)
	}
}

// testSink collects what a session emits; with skip, every response
// body is skipped.
type testSink struct {
	exs   []finished
	notes []model.Note
	skip  bool
	// roomy makes crowded false: parsers then never park.
	roomy bool
	// asked, when set, is the skipResponse function.
	asked func(*model.Request, *model.Response) bool
}

func (s *testSink) exchange(f finished)              { s.exs = append(s.exs, f) }
func (s *testSink) note(n model.Note)                { s.notes = append(s.notes, n) }
func (s *testSink) limits() model.Limits             { return fuzzLimits.WithDefaults() }
func (s *testSink) bodyPool() *bodypool.Pool         { return nil }
func (s *testSink) headerPool() *bodypool.HeaderPool { return nil }
func (s *testSink) decrypter() StreamDecrypter       { return nil }
func (s *testSink) skipBody() func(string) bool {
	if s.skip {
		return func(string) bool { return true }
	}
	return nil
}
func (s *testSink) skipResponse() func(*model.Request, *model.Response) bool {
	return s.asked
}
func (s *testSink) crowded() bool         { return !s.roomy }
func (s *testSink) coroutines() *coPool   { return nil }
func (s *testSink) dnsAnswer([]byte, int) {}

// feedStreams plays client and server bytes into a session in slices of
// the given size, alternating sides, one frame per slice.
func feedStreams(client, server []byte, step int) *testSink {
	return feedStreamsTo(&testSink{}, client, server, step)
}

// feedStreamsTo is feedStreams into out.
func feedStreamsTo(out *testSink, client, server []byte, step int) *testSink {
	feedSink(out, client, server, step)
	return out
}

// feedSink plays the streams into any sink.
func feedSink(out sink, client, server []byte, step int) {
	s := newSession(out, "10.0.0.1:1-10.0.0.2:80", "http", false)
	if step <= 0 {
		step = 1
	}
	frame := 0
	t0 := time.Unix(1700000000, 0)
	// gapMark in a stream stands for 100 bytes lost in the capture.
	pieces := [2][][]byte{bytes.Split(client, []byte(gapMark)), bytes.Split(server, []byte(gapMark))}
	for len(pieces[0]) > 0 || len(pieces[1]) > 0 {
		for d := range pieces {
			if len(pieces[d]) == 0 {
				continue
			}
			b := &pieces[d][0]
			if len(*b) == 0 {
				pieces[d] = pieces[d][1:]
				if len(pieces[d]) > 0 {
					s.gap(Dir(d), 100, frame+1)
				}
				continue
			}
			n := min(step, len(*b))
			frame++
			s.feed(Dir(d), (*b)[:n], frame, t0.Add(time.Duration(frame)*time.Millisecond))
			*b = (*b)[n:]
		}
	}
	s.close()
}

// gapMark marks where feedStreams loses bytes.
const gapMark = "\xffGAP"

// FuzzHTTP1Stream feeds arbitrary client and server streams to the
// HTTP/1 session parser.
func FuzzHTTP1Stream(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST /t HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"),
		[]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"), 7)
	f.Add([]byte("CONNECT a:443 HTTP/1.1\r\n\r\n\x16\x03\x01\x00\x05hello"), []byte("HTTP/1.1 200 OK\r\n\r\n\x16\x03\x03"), 3)
	// Resynchronization (TestResyncSeed): the first response's header
	// section is cut, its body's tail and the next status line share a
	// segment; a request is lost too.
	f.Add([]byte("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"+gapMark+"GET /4 HTTP/1.1\r\nHost: a\r\n\r\n"),
		[]byte("HTTP/1.1 200 OK\r\nContent-Le"+gapMark+"ody of 1\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nbody 2HTTP/1.1 404 Gone\r\nContent-Length: 1\r\n\r\n3HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n4"), 11)
	f.Add([]byte("GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n"+h2Preface), []byte("HTTP/1.1 101 Switching\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"), 5)
	// Client streams whose start was lost (TestCaptureBeginsInsideRequest):
	// inside the request line, inside the header section.
	f.Add([]byte(gapMark+"ET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
		[]byte(gapMark+"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nB"), 1400)
	f.Add([]byte(gapMark+"/a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nokOST /c HTTP/1.1\r\n\r\n"),
		[]byte(gapMark+"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), 40)
	// A snap length cutting every request's and response's header section
	// after its first line (TestSnapLengthCutRequests).
	f.Add([]byte("GET /authorize?client_id=a HTTP/1.1\r\nHost: h\r\nUser-Ag"+gapMark+"GET /callback?code=c&state=s HTTP/1.1\r\nHo"+gapMark+"GET /home HTTP/1.1\r\n"+gapMark),
		[]byte("HTTP/1.1 302 Found\r\nLocation: /lo"+gapMark+"HTTP/1.1 302 Found\r\n"+gapMark+"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 1400)
	// h2c whose 101 was lost (TestH2CUpgradeAnswerLost), and HTTP/2
	// caught mid-connection (TestH2CBeginsMidConnection).
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"+h2Preface+
		"\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x0e\x01\x05\x00\x00\x00\x03\x82\x86\x84\x41\x8a\x08\x9d\x5c\x0b\x81\x70\xdc\x78\x0f\x03"),
		[]byte(gapMark+"\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01\x01\x04\x00\x00\x00\x01\x88\x00\x00\x02\x00\x01\x00\x00\x00\x01hi"), 13)
	f.Add([]byte(gapMark+"\x00\x00\x0e\x01\x05\x00\x00\x00\x07\x82\x86\x84\x41\x8a\x08\x9d\x5c\x0b\x81\x70\xdc\x78\x0f\x03"),
		[]byte(gapMark+"\x00\x00\x01\x01\x05\x00\x00\x00\x07\x88"), 1400)
	f.Fuzz(func(t *testing.T, client, server []byte, step int) {
		if step < 1 || step > 4096 {
			step = 1 + step&1023
		}
		out := feedStreams(client, server, step)
		for _, fe := range out.exs {
			checkBounded(t, fe.ex)
		}
		if bytes.HasPrefix(client, []byte(gapMark)) {
			checkFirstRequestReal(t, out)
		}
		checkSkipSame(t, out, client, server, step)
		checkReleasedSame(t, out, client, server, step)
		checkParkSame(t, out, client, server, step)
	})
}

// checkFirstRequestReal: of a client stream whose start was lost, the
// first HTTP/1 request read is a request, not the rest of one: its method
// is an upper-case token of three characters or more that is not the end
// of a method HTTP knows ("ET", "OST", "/a", "ed.css" came of the rest of
// a request line).
func checkFirstRequestReal(t *testing.T, out *testSink) {
	t.Helper()
	var first *finished
	for i, f := range out.exs {
		if f.ex.Request.Proto != "HTTP/2" && (first == nil || f.frame < first.frame) {
			first = &out.exs[i]
		}
	}
	if first == nil {
		return
	}
	m := first.ex.Request.Method
	ok := len(m) >= 3 && !methodTail([]byte(m))
	for _, c := range []byte(m) {
		ok = ok && (c >= 'A' && c <= 'Z' || c == '_' || c == '-')
	}
	if !ok {
		t.Fatalf("after lost bytes, %s read a request with method %q (URL %q) from the rest of one", first.ex.Ref, m, first.ex.Request.URL)
	}
}

// pooledSink reads bodies and header sections into pools and hands every
// exchange's bodies and header lists back, poisoned, as soon as it is
// emitted, after taking its row: stricter than the Reader, whose caller
// gets an exchange only between packets. A parser still reading what it
// emitted changes a later row.
type pooledSink struct {
	testSink
	bodies  bodypool.Pool
	headers bodypool.HeaderPool
	rows    []string
}

func (s *pooledSink) bodyPool() *bodypool.Pool         { return &s.bodies }
func (s *pooledSink) headerPool() *bodypool.HeaderPool { return &s.headers }

func (s *pooledSink) exchange(f finished) {
	s.rows = append(s.rows, messageRow(f))
	lists := []model.Headers{f.ex.Request.Headers}
	s.bodies.Put(f.ex.Request.Body.Data)
	f.ex.Request.Body.Data = nil
	if f.ex.Response != nil {
		lists = append(lists, f.ex.Response.Headers)
		s.bodies.Put(f.ex.Response.Body.Data)
		f.ex.Response.Body.Data = nil
	}
	s.headers.Put(lists...)
}

// messageRow is what an exchange's messages say, bodies and headers
// included.
func messageRow(f finished) string {
	ex := f.ex
	r := fmt.Sprintf("%d %s %s %s %v %q %d %v", f.frame, ex.Request.Method, ex.Request.URL, ex.Request.Headers,
		ex.Tunnel, ex.Request.Body.Data, ex.Request.Body.Size, ex.Request.Body.Truncated)
	if ex.Response != nil {
		r += fmt.Sprintf(" %d %v %q %d %v", ex.Response.Status, ex.Response.Headers, ex.Response.Body.Data,
			ex.Response.Body.Size, ex.Response.Body.Truncated)
	}
	return r
}

// checkReleasedSame: the same streams read into pools, every exchange
// handed back as soon as it is emitted, give the same exchanges.
func checkReleasedSame(t *testing.T, kept *testSink, client, server []byte, step int) {
	t.Helper()
	out := &pooledSink{}
	out.bodies.Poison, out.headers.Poison = true, true
	feedSink(out, client, server, step)
	if len(out.rows) != len(kept.exs) {
		t.Fatalf("step %d: %d exchanges handing them back, %d not", step, len(out.rows), len(kept.exs))
	}
	for i, f := range kept.exs {
		if want := messageRow(f); out.rows[i] != want {
			t.Fatalf("step %d, exchange %d:\nhanded back %s\nkept        %s", step, i, out.rows[i], want)
		}
	}
}

// checkSkipSame: the same streams read skipping every response body give
// the same exchanges and notes, the skipped bodies with their size and no
// data (the parser passes over them as the bytes arrive, see
// feedReader.discard), except for what only decoding a body tells.
func checkSkipSame(t *testing.T, kept *testSink, client, server []byte, step int) {
	t.Helper()
	skipped := feedStreamsTo(&testSink{skip: true}, client, server, step)
	if len(kept.exs) != len(skipped.exs) {
		t.Fatalf("step %d: %d exchanges skipping bodies, %d keeping them", step, len(skipped.exs), len(kept.exs))
	}
	row := func(f finished) string {
		ex := f.ex
		r := fmt.Sprintf("%d %s %s %s %s %q %v", f.frame, ex.Ref, ex.Request.Method, ex.Request.URL, ex.Start, ex.Request.Body.Data, ex.End)
		if ex.Response != nil {
			r += fmt.Sprintf(" %d %d %v", ex.Response.Status, ex.Response.Body.Size, ex.Response.Headers)
		}
		return r
	}
	for i := range kept.exs {
		if a, b := row(kept.exs[i]), row(skipped.exs[i]); a != b {
			t.Fatalf("step %d, exchange %d:\nkept    %s\nskipped %s", step, i, a, b)
		}
	}
	decodeOnly := func(n model.Note) bool { return strings.Contains(n.Message, "body kept content-encoded") }
	a := slices.DeleteFunc(slices.Clone(kept.notes), decodeOnly)
	b := slices.DeleteFunc(slices.Clone(skipped.notes), decodeOnly)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("step %d: notes differ\nkept    %v\nskipped %v", step, a, b)
	}
}

// checkParkSame: parsers that never park (a capture with few connections
// open) read the same exchanges and notes as parsers that park between
// messages and inside bodies (parkBody).
func checkParkSame(t *testing.T, parked *testSink, client, server []byte, step int) {
	t.Helper()
	stay := feedStreamsTo(&testSink{roomy: true}, client, server, step)
	if len(stay.exs) != len(parked.exs) {
		t.Fatalf("step %d: %d exchanges parking, %d not", step, len(parked.exs), len(stay.exs))
	}
	for i, f := range stay.exs {
		if a, b := messageRow(f)+fmt.Sprint(f.ex.Start, f.ex.End, f.ex.Ref), messageRow(parked.exs[i])+fmt.Sprint(parked.exs[i].ex.Start, parked.exs[i].ex.End, parked.exs[i].ex.Ref); a != b {
			at := 0
			for at < min(len(a), len(b)) && a[at] == b[at] {
				at++
			}
			from := max(0, at-100)
			t.Fatalf("step %d, exchange %d, from byte %d of its row:\nstaying %.300s\nparking %.300s", step, i, from, a[from:], b[from:])
		}
	}
	if a, b := fmt.Sprint(stay.notes), fmt.Sprint(parked.notes); a != b {
		t.Fatalf("step %d: notes differ\nstaying %v\nparking %v", step, a, b)
	}
}

// TestParkBodySame: responses whose bodies (Content-Length or chunked)
// arrive in many segments, cut by lost bytes, by the end of the stream,
// or followed by the next response in the same segment, read alike
// whether their parsers park inside the bodies or stay.
func TestParkBodySame(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 600) // 9,600 bytes
	client := []byte("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: a\r\n\r\nGET /4 HTTP/1.1\r\nHost: a\r\n\r\n")
	for name, server := range map[string]string{
		"whole":          "HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body + "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
		"inside fixed":   "HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body[:5000] + gapMark + body[5100:] + "HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body,
		"cut at the end": "HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body + "HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body[:3000],
		"gzip":           "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9600\r\n\r\n" + body,
		"chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" + body[:4096] + "\r\n3; x=y\r\nabc\r\n" + fmt.Sprintf("%x", 5504) + "\r\n" + body[:5504] +
			"\r\n0\r\nTrailer-Field: z\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2580\r\n" + body + "\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"inside chunk": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2580\r\n" + body[:7000] + gapMark + body[7100:] + "\r\n0\r\n\r\n" +
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2580\r\n" + body + "\r\n0\r\n\r\n",
		"chunk cut at the end": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2580\r\n" + body + "\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2580\r\n" + body[:3000],
	} {
		for _, step := range []int{1, 7, 100, 1448, 20000} {
			parked := feedStreams(client, []byte(server), step)
			if len(parked.exs) == 0 {
				t.Fatalf("%s, step %d: no exchange", name, step)
			}
			t.Run(fmt.Sprint(name, step), func(t *testing.T) { checkParkSame(t, parked, client, []byte(server), step) })
		}
	}
}

// TestSkipAcrossGap: bodies skipped while bytes are lost inside them, or
// right after them, read as bodies kept, whatever the packet size.
func TestSkipAcrossGap(t *testing.T) {
	body := strings.Repeat("0123456789abcdef", 600) // 9,600 bytes
	client := []byte("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n")
	for name, server := range map[string]string{
		"inside fixed": "HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body[:5000] + gapMark + body[5100:] +
			"HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body + "HTTP/1.1 204 No Content\r\n\r\n",
		"after fixed": "HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body + gapMark +
			"HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body + "HTTP/1.1 204 No Content\r\n\r\n",
		"inside chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2580\r\n" + body[:7000] + gapMark + body[7100:] + "\r\n0\r\n\r\n" +
			"HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body + "HTTP/1.1 204 No Content\r\n\r\n",
		"to the end": "HTTP/1.1 200 OK\r\nContent-Length: 9600\r\n\r\n" + body + "HTTP/1.1 200 OK\r\n\r\n" + body[:4000] + gapMark + body[4100:],
	} {
		for _, step := range []int{1, 100, 1448, 4096, 20000} {
			t.Run(fmt.Sprintf("%s/%d", name, step), func(t *testing.T) {
				kept := feedStreams(client, []byte(server), step)
				if len(kept.exs) == 0 {
					t.Fatal("no exchange")
				}
				checkSkipSame(t, kept, client, []byte(server), step)
			})
		}
	}
}

// FuzzH2 feeds arbitrary bytes after the HTTP/2 preface.
func FuzzH2(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x0e\x01\x05\x00\x00\x00\x01\x82\x86\x84\x41\x8a\x08\x9d\x5c\x0b\x81\x70\xdc\x78\x0f\x03"),
		[]byte("\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01\x01\x04\x00\x00\x00\x01\x88\x00\x00\x02\x00\x01\x00\x00\x00\x01hi"), 9)
	// Lost bytes (TestH2LossInsideData, TestH2ResyncAfterLoss): inside
	// a DATA frame, and between frames, in either direction.
	f.Add([]byte("\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x0e\x01\x05\x00\x00\x00\x01\x82\x86\x84\x41\x8a\x08\x9d\x5c\x0b\x81\x70\xdc\x78\x0f\x03"+gapMark+
		"\x00\x00\x03\x01\x05\x00\x00\x00\x03\x82\x86\x84\x00\x00\x03\x01\x05\x00\x00\x00\x05\x82\x86\xbe"),
		[]byte("\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x00\x01\x01\x04\x00\x00\x00\x01\x88\x00\x00\x0a\x00\x01\x00\x00\x00\x01hel"+gapMark+
			"lo\x00\x00\x01\x01\x05\x00\x00\x00\x03\x88\x00\x00\x01\x01\x05\x00\x00\x00\x05\xbe"), 7)
	f.Fuzz(func(t *testing.T, client, server []byte, step int) {
		if step < 1 || step > 4096 {
			step = 1 + step&1023
		}
		out := feedStreams(append([]byte(h2Preface), client...), server, step)
		for _, fe := range out.exs {
			checkBounded(t, fe.ex)
		}
	})
}

// TestSessionSplits checks that where segments split a stream does not
// change what is parsed.
func TestSessionSplits(t *testing.T) {
	client := []byte("GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\n\r\nPOST /c HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /d HTTP/1.1\r\nHost: h\r\n\r\n")
	server := []byte("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nAHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\nHTTP/1.0 200 OK\r\n\r\nuntil close")
	want := "GET http://h/a 200 1|HEAD http://h/b 200 0|POST http://h/c 201 0|GET http://h/d 200 11|"
	for _, step := range []int{1, 2, 3, 7, 64, 4096} {
		out := feedStreams(client, server, step)
		got := ""
		for _, f := range out.exs {
			got += f.ex.Request.Method + " " + f.ex.Request.URL
			if f.ex.Response != nil {
				got += " " + itoa(f.ex.Response.Status) + " " + itoa(len(f.ex.Response.Body.Data))
			}
			got += "|"
		}
		if got != want {
			t.Errorf("step %d:\n got %s\nwant %s\nnotes %v", step, got, want, out.notes)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSessionCases(t *testing.T) {
	cases := []struct {
		name           string
		client, server string
		want           string // method url status tunnel|...
		noteKind       string
		noteText       string
	}{
		{
			name:     "CONNECT tunnel carries TLS",
			client:   "CONNECT login.example.com:443 HTTP/1.1\r\nHost: login.example.com:443\r\n\r\n\x16\x03\x01\x00\x05hello",
			server:   "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x02hi",
			want:     "CONNECT login.example.com:443 200 true|",
			noteKind: "tls-no-keys",
			noteText: "10 bytes client→server, 7 bytes server→client",
		},
		{
			name:   "CONNECT tunnel carries plain HTTP",
			client: "CONNECT app.example:80 HTTP/1.1\r\n\r\nGET /inner HTTP/1.1\r\nHost: app.example\r\n\r\n",
			server: "HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
			want:   "CONNECT app.example:80 200 true|GET http://app.example/inner 204 false|",
		},
		{
			name:   "websocket upgrade stops HTTP",
			client: "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x85abcdefghi",
			server: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi",
			want:   "GET http://h/ws 101 false|",
		},
		{
			name:   "CONNECT tunnel carries SMTP",
			client: "CONNECT mail.example:25 HTTP/1.0\r\n\r\nHELO client.example\r\nMAIL FROM:<a@example>\r\n",
			server: "HTTP/1.0 200 Connection established\r\n\r\n220 mail.example ESMTP\r\n250 Ok.\r\n",
			want:   "CONNECT mail.example:25 200 true|",
		},
		{
			name:   "no Host header",
			client: "GET /old HTTP/1.0\r\n\r\n",
			server: "HTTP/1.0 200 OK\r\n\r\nbye",
			want:   "GET http://10.0.0.2:80/old 200 false|",
		},
		{
			name:   "WebDAV method",
			client: "PROPFIND /dav/ HTTP/1.1\r\nHost: h\r\nDepth: 1\r\n\r\n",
			server: "HTTP/1.1 207 Multi-Status\r\nContent-Length: 0\r\n\r\n",
			want:   "PROPFIND http://h/dav/ 207 false|",
		},
		{
			name:   "request without response",
			client: "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
			server: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			want:   "GET http://h/a 200 false|GET http://h/b 0 false|",
		},
		{
			name:     "response without request",
			client:   "GET /a HTTP/1.1\r\nHost: h\r\n\r\n",
			server:   "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			want:     "GET http://h/a 200 false|",
			noteKind: "orphan",
		},
		{
			name:   "not HTTP",
			client: "\x00\x01binary protocol on port 80\r\n",
			server: "\x00\x02reply",
			want:   "",
		},
		{
			name:     "garbage between requests",
			client:   "GET /a HTTP/1.1\r\nHost: h\r\n\r\nthis is not a request\r\n\r\n",
			server:   "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
			want:     "GET http://h/a 200 false|",
			noteKind: "malformed",
		},
		{
			name:     "absurd header section",
			client:   "GET /a HTTP/1.1\r\nX: " + string(bytes.Repeat([]byte("a"), 1<<15)) + "\r\n\r\n",
			server:   "",
			want:     "",
			noteKind: "malformed",
		},
	}
	for _, c := range cases {
		for _, step := range []int{1400, 3} {
			t.Run(c.name+"/step "+strconv.Itoa(step), func(t *testing.T) {
				out := feedStreams([]byte(c.client), []byte(c.server), step)
				got := ""
				for _, f := range out.exs {
					status := 0
					if f.ex.Response != nil {
						status = f.ex.Response.Status
					}
					got += f.ex.Request.Method + " " + f.ex.Request.URL + " " + strconv.Itoa(status) + " " + strconv.FormatBool(f.ex.Tunnel) + "|"
				}
				if got != c.want {
					t.Errorf("got %q, want %q; notes %v", got, c.want, out.notes)
				}
				if c.noteKind != "" && !hasNote(out.notes, c.noteKind) {
					t.Errorf("no %q note: %v", c.noteKind, out.notes)
				}
				for _, n := range out.notes {
					if string(n.Kind) == c.noteKind && !strings.Contains(n.Message, c.noteText) {
						t.Errorf("note %q lacks %q", n.Message, c.noteText)
					}
				}
				if c.noteKind == "" && len(out.notes) > 0 {
					t.Errorf("unexpected notes: %v", out.notes)
				}
			})
		}
	}
}
