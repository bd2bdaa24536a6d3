package pcap

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/traceaudit/traceaudit/model"
)

// h2Writer builds one side of an HTTP/2 connection with x/net's Framer and
// HPACK encoder, as a real peer would.
type h2Writer struct {
	buf bytes.Buffer
	fr  *http2.Framer
	hb  bytes.Buffer
	enc *hpack.Encoder
}

func newH2Writer() *h2Writer {
	w := &h2Writer{}
	w.fr = http2.NewFramer(&w.buf, nil)
	w.enc = hpack.NewEncoder(&w.hb)
	return w
}

func (w *h2Writer) block(kv ...string) []byte {
	w.hb.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		w.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return bytes.Clone(w.hb.Bytes())
}

func (w *h2Writer) headers(id uint32, end bool, kv ...string) {
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: w.block(kv...), EndStream: end, EndHeaders: true})
}

// splitHeaders sends a header block as HEADERS plus CONTINUATION frames.
func (w *h2Writer) splitHeaders(id uint32, end bool, kv ...string) {
	b := w.block(kv...)
	cut := len(b) / 2
	w.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: b[:cut], EndStream: end, PadLength: 3})
	w.fr.WriteContinuation(id, true, b[cut:])
}

func TestH2Conn(t *testing.T) {
	cl, sv := newH2Writer(), newH2Writer()
	cl.buf.WriteString(h2Preface)
	cl.fr.WriteSettings()
	sv.fr.WriteSettings(http2.Setting{ID: http2.SettingHeaderTableSize, Val: 8192})
	// Stream 1: GET split over CONTINUATION; response with an interim 103,
	// gzip body in padded DATA frames and trailers.
	cl.splitHeaders(1, true, ":method", "GET", ":scheme", "https", ":authority", "login.example.com", ":path", "/authorize?client_id=app", "cookie", "a=1")
	// Stream 3: POST with a body; reset by the server.
	cl.headers(3, false, ":method", "POST", ":scheme", "https", ":authority", "login.example.com", ":path", "/token", "content-type", "application/x-www-form-urlencoded")
	cl.fr.WriteData(3, true, []byte("grant_type=authorization_code&code=c0de"))
	// Stream 5: never answered.
	cl.headers(5, true, ":method", "GET", ":scheme", "https", ":authority", "login.example.com", ":path", "/pending")

	sv.headers(1, false, ":status", "103", "link", "</a.css>")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"ok":true}`))
	zw.Close()
	sv.headers(1, false, ":status", "200", "content-type", "application/json", "content-encoding", "gzip")
	half := gz.Len() / 2
	sv.fr.WriteDataPadded(1, false, gz.Bytes()[:half], []byte{0, 0})
	sv.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: sv.block(":method", "GET", ":path", "/pushed", ":scheme", "https", ":authority", "login.example.com"), EndHeaders: true})
	sv.fr.WriteData(1, false, gz.Bytes()[half:])
	sv.headers(1, true, "grpc-status", "0")
	sv.fr.WriteRSTStream(3, http2.ErrCodeRefusedStream)

	type row struct {
		Method, URL   string
		Status        int
		ReqBody, Resp string
		Trailer       string
	}
	for _, step := range []int{1, 5, 17, 100000} {
		out := feedStreams(cl.buf.Bytes(), sv.buf.Bytes(), step)
		var got []row
		for _, f := range out.exs {
			if f.ex.Ref == "" {
				t.Errorf("step %d: exchange without ref", step)
			}
			r := row{Method: f.ex.Request.Method, URL: f.ex.Request.URL, ReqBody: string(f.ex.Request.Body.Data)}
			if f.ex.Response != nil {
				r.Status, r.Resp, r.Trailer = f.ex.Response.Status, string(f.ex.Response.Body.Data), f.ex.Response.Headers.Get("grpc-status")
			}
			got = append(got, r)
		}
		// Exchanges come out as streams finish: 1, then 3 (reset), then 5
		// at the close.
		want := []row{
			{Method: "GET", URL: "https://login.example.com/authorize?client_id=app", Status: 200, Resp: `{"ok":true}`, Trailer: "0"},
			{Method: "POST", URL: "https://login.example.com/token", ReqBody: "grant_type=authorization_code&code=c0de"},
			{Method: "GET", URL: "https://login.example.com/pending"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("step %d: exchanges differ (-want +got):\n%s\nnotes %v", step, diff, out.notes)
		}
		if !hasNote(out.notes, "reset") {
			t.Errorf("step %d: no note for the reset stream: %v", step, out.notes)
		}
	}
}

// TestH2FrameRefs: each exchange is located at the frame that carried the
// first byte of its HEADERS frame.
func TestH2FrameRefs(t *testing.T) {
	cl, sv := newH2Writer(), newH2Writer()
	cl.buf.WriteString(h2Preface)
	cl.fr.WriteSettings()
	pre := cl.buf.Len()
	cl.headers(1, true, ":method", "GET", ":scheme", "http", ":authority", "a", ":path", "/one")
	sv.headers(1, true, ":status", "204")
	h := newH2Conn(t)
	t0 := time.Unix(1700000000, 0)
	h.Feed(ClientToServer, cl.buf.Bytes()[:pre], 3, t0)
	h.Feed(ClientToServer, cl.buf.Bytes()[pre:], 7, t0.Add(time.Second))
	h.Feed(ServerToClient, sv.buf.Bytes(), 9, t0.Add(2*time.Second))
	exs := h.Exchanges()
	if len(exs) != 1 || exs[0].Ref != "frame 7" || exs[0].Status() != 204 || !exs[0].Start.Equal(t0.Add(time.Second)) || !exs[0].End.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("got %+v", exs)
	}
	if exs[0].Request.Proto != "HTTP/2" || exs[0].Conn != "c-s" {
		t.Errorf("proto %q conn %q", exs[0].Request.Proto, exs[0].Conn)
	}
}

func newH2Conn(t *testing.T) *H2Conn {
	t.Helper()
	return NewH2Conn("c-s", "http", fuzzLimits)
}

// TestH2GapOneDirection loses server bytes after stream 1's response:
// the requests that follow are still read (the client's HPACK context is
// intact); of their responses, the one whose header block was lost has
// none, the one whose block refers to an HPACK entry made in the lost
// bytes is noted as undecodable (not guessed), and the one whose block
// needs no such entry is read; the notes say so with frames.
func TestH2GapOneDirection(t *testing.T) {
	cl, sv := newH2Writer(), newH2Writer()
	cl.buf.WriteString(h2Preface)
	cl.fr.WriteSettings()
	sv.fr.WriteSettings()
	cl.headers(1, true, ":method", "GET", ":scheme", "https", ":authority", "login.example.com", ":path", "/authorize")
	cl.headers(3, true, ":method", "GET", ":scheme", "https", ":authority", "login.example.com", ":path", "/userinfo")
	sv.headers(1, true, ":status", "200")
	c := NewH2Conn("c", "https", fuzzLimits)
	t0 := time.Unix(1700000000, 0)
	c.Feed(ClientToServer, bytes.Clone(cl.buf.Bytes()), 1, t0)
	c.Feed(ServerToClient, bytes.Clone(sv.buf.Bytes()), 2, t0)
	cl.buf.Reset()
	sv.buf.Reset()
	sv.headers(3, true, ":status", "200", "x-trace", "t1") // lost: adds x-trace to the table
	c.gapAt(ServerToClient, sv.buf.Len(), 4)
	sv.buf.Reset()
	cl.headers(5, true, ":method", "POST", ":scheme", "https", ":authority", "login.example.com", ":path", "/token")
	cl.headers(7, true, ":method", "GET", ":scheme", "https", ":authority", "login.example.com", ":path", "/logout")
	sv.headers(5, true, ":status", "400", "x-trace", "t1") // refers to the lost entry
	sv.headers(7, true, ":status", "302")                  // static table only
	c.Feed(ClientToServer, bytes.Clone(cl.buf.Bytes()), 3, t0)
	c.Feed(ServerToClient, bytes.Clone(sv.buf.Bytes()), 4, t0)
	c.Close()
	got := map[string]int{}
	for _, f := range c.takeDone() {
		st := 0
		if f.ex.Response != nil {
			st = f.ex.Response.Status
		}
		got[f.ex.Request.URL] = st
	}
	want := map[string]int{"https://login.example.com/authorize": 200, "https://login.example.com/userinfo": 0,
		"https://login.example.com/token": 0, "https://login.example.com/logout": 302}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exchanges (-want +got):\n%s", diff)
	}
	var msgs []string
	for _, n := range c.Notes() {
		msgs = append(msgs, n.Ref+" "+n.Message)
		if n.Ref == "" {
			t.Errorf("note without a frame: %s", n.Message)
		}
	}
	joined := strings.Join(msgs, "\n")
	for _, s := range []string{"frame 4 tcp c: http2: 20 bytes lost in the server→client stream after frame 2",
		"frame 4 tcp c: http2: response headers of stream 5 could not be decoded",
		"1 stream left without a response"} {
		if !strings.Contains(joined, s) {
			t.Errorf("notes lack %q:\n%s", s, joined)
		}
	}
}

// TestH2SkipBody: with SkipBody, a script's DATA frames are counted, not
// kept or decoded; the JSON answer beside it is kept.
func TestH2SkipBody(t *testing.T) {
	cl, sv := newH2Writer(), newH2Writer()
	cl.buf.WriteString(h2Preface)
	cl.fr.WriteSettings()
	sv.fr.WriteSettings()
	cl.headers(1, true, ":method", "GET", ":scheme", "https", ":authority", "cdn.example", ":path", "/app.js")
	cl.headers(3, true, ":method", "GET", ":scheme", "https", ":authority", "api.example", ":path", "/me")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(strings.Repeat("function f(){}\n", 400)))
	zw.Close()
	sv.headers(1, false, ":status", "200", "content-type", "text/javascript; charset=utf-8", "content-encoding", "gzip")
	sv.fr.WriteData(1, false, gz.Bytes()[:10])
	sv.headers(3, false, ":status", "200", "content-type", "application/json")
	sv.fr.WriteData(3, true, []byte(`{"sub":"1"}`))
	sv.fr.WriteData(1, true, gz.Bytes()[10:])
	for _, skip := range []bool{false, true} {
		c := NewH2Conn("c-s", "https", fuzzLimits)
		if skip {
			c.SkipBody = model.CarriesNoOAuth
		}
		c.Feed(ClientToServer, cl.buf.Bytes(), 1, time.Time{})
		c.Feed(ServerToClient, sv.buf.Bytes(), 2, time.Time{})
		c.Close()
		bodies := map[string]model.Body{}
		for _, f := range c.takeDone() {
			bodies[f.ex.Request.URL] = f.ex.Response.Body
		}
		js, me := bodies["https://cdn.example/app.js"], bodies["https://api.example/me"]
		if js.Size != int64(gz.Len()) || js.MIMEType != "text/javascript" || (len(js.Data) == 0) != skip {
			t.Errorf("skip %v: script body: size %d of %d, %d bytes kept", skip, js.Size, gz.Len(), len(js.Data))
		}
		if string(me.Data) != `{"sub":"1"}` {
			t.Errorf("skip %v: JSON body %q", skip, me.Data)
		}
	}
}

// TestH2LossInsideOneStream loses 20 bytes inside a DATA frame of stream
// 1 while stream 3 is open too: only stream 1's body is cut (kept up to
// the hole, nothing after it), stream 3's is whole, and the header block
// after the loss decodes with the HPACK state kept.
func TestH2LossInsideOneStream(t *testing.T) {
	cl, sv := newH2Writer(), newH2Writer()
	cl.buf.WriteString(h2Preface)
	cl.fr.WriteSettings()
	cl.headers(1, true, ":method", "GET", ":scheme", "https", ":authority", "app.example", ":path", "/a")
	cl.headers(3, true, ":method", "GET", ":scheme", "https", ":authority", "app.example", ":path", "/b")
	cl.headers(5, true, ":method", "GET", ":scheme", "https", ":authority", "app.example", ":path", "/c")
	sv.fr.WriteSettings()
	sv.headers(1, false, ":status", "200", "x-served", "edge-1")
	sv.headers(3, false, ":status", "200", "x-served", "edge-1")
	sv.fr.WriteData(1, false, []byte(strings.Repeat("0123456789", 10)))
	c := NewH2Conn("c", "https", fuzzLimits)
	t0 := time.Unix(1700000000, 0)
	c.Feed(ClientToServer, bytes.Clone(cl.buf.Bytes()), 1, t0)
	b := sv.buf.Bytes()
	c.Feed(ServerToClient, bytes.Clone(b[:len(b)-60]), 2, t0) // the frame's header and 40 bytes
	c.gapAt(ServerToClient, 20, 3)
	c.Feed(ServerToClient, bytes.Clone(b[len(b)-40:]), 3, t0)
	sv.buf.Reset()
	sv.fr.WriteData(3, true, []byte("bbb"))
	sv.fr.WriteData(1, true, []byte("tail"))
	sv.headers(5, true, ":status", "204", "x-served", "edge-1") // refers to the table
	c.Feed(ServerToClient, bytes.Clone(sv.buf.Bytes()), 4, t0)
	c.Close()
	got := map[string]string{}
	for _, f := range c.takeDone() {
		r := f.ex.Response
		if r == nil {
			got[f.ex.Request.URL] = "no response"
			continue
		}
		got[f.ex.Request.URL] = fmt.Sprintf("%d %q %v %s", r.Status, r.Body.Data, r.Body.Truncated, r.Headers.Get("x-served"))
	}
	want := map[string]string{
		"https://app.example/a": `200 "0123456789012345678901234567890123456789" true edge-1`,
		"https://app.example/b": `200 "bbb" false edge-1`,
		"https://app.example/c": `204 "" false edge-1`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exchanges (-want +got):\n%s\nnotes %v", diff, c.Notes())
	}
}
