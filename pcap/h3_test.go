package pcap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/pcap/quic"
)

// h3Op encodes one call of a fuzzed HTTP/3 connection: a byte choosing the
// stream, the direction, FIN and gaps, a 2-byte length and the bytes.
func h3Op(stream int, dir quic.Dir, fin bool, data []byte) []byte {
	b := byte(stream&7)<<3 | byte(dir)
	if fin {
		b |= 0x04
	}
	out := binary.BigEndian.AppendUint16([]byte{b}, uint16(len(data)))
	return append(out, data...)
}

// fuzzStreams are the stream IDs a fuzzed op names: requests, the two
// sides' control and encoder streams.
var fuzzStreams = [8]uint64{0, 4, 8, 2, 3, 6, 7, 12}

// playH3 runs ops against a new HTTP/3 connection.
func playH3(out *testSink, data []byte) {
	held := 0
	c := newH3Conn("192.0.2.1:50000-192.0.2.2:443", out, &held)
	for frame := 1; len(data) >= 3; frame++ {
		op := data[0]
		n := min(int(binary.BigEndian.Uint16(data[1:])), len(data)-3)
		id, dir := fuzzStreams[op>>3&7], quic.Dir(op&1)
		switch {
		case op&0xc0 == 0xc0:
			c.gap(id, dir, uint64(n)+1, frame)
			n = 0
		case op&0xc0 == 0x80:
			c.reset(id, dir, time.Unix(int64(frame), 0))
		default:
			c.stream(id, dir, data[3:3+n], op&0x04 != 0, frame, time.Unix(int64(frame), 0))
		}
		data = data[3+n:]
	}
	c.close()
	if held != 0 {
		panic(fmt.Sprintf("%d bytes still counted as held after close", held))
	}
}

// FuzzHTTP3 reads arbitrary HTTP/3 streams: control streams' SETTINGS,
// QPACK encoder streams feeding the dynamic table, request streams'
// HEADERS and DATA frames, gaps and resets. Seeded with a request and its
// response whose header sections use the dynamic table.
func FuzzHTTP3(f *testing.F) {
	// The client's control stream allows nothing; the server's allows a
	// 4096-byte table for the client's encoder.
	serverControl := []byte{0x00, 0x04, 0x03, 0x01, 0x50, 0x00}
	// Client encoder stream: set capacity 220 (0x3f 0xbd 0x01), insert
	// :authority (static 0) = "example.com", insert literal "x-a"="b".
	enc := []byte{0x02, 0x3f, 0xbd, 0x01, 0xc0, 0x0b}
	enc = append(enc, "example.com"...)
	enc = append(enc, 0x43, 'x', '-', 'a', 0x01, 'b')
	// Request: Required Insert Count 2 (encoded 3), base 2; GET, https,
	// path "/", dynamic :authority (relative 1), dynamic x-a (relative 0).
	reqSection := []byte{0x03, 0x00, 0xd1, 0xd7, 0xc1, 0x81, 0x80}
	req := append([]byte{0x01, byte(len(reqSection))}, reqSection...)
	resp := []byte{0x01, 0x03, 0x00, 0x00, 0xd9, 0x00, 0x02, 'o', 'k'} // 200, DATA "ok"
	var seed bytes.Buffer
	seed.Write(h3Op(4, quic.ServerToClient, false, serverControl)) // stream 3
	seed.Write(h3Op(3, quic.ClientToServer, false, enc))           // stream 2
	seed.Write(h3Op(0, quic.ClientToServer, true, req))
	seed.Write(h3Op(0, quic.ServerToClient, true, resp))
	f.Add(seed.Bytes())
	// The same with the request before the inserts it needs (blocked).
	var blocked bytes.Buffer
	blocked.Write(h3Op(4, quic.ServerToClient, false, serverControl))
	blocked.Write(h3Op(0, quic.ClientToServer, true, req))
	blocked.Write(h3Op(3, quic.ClientToServer, false, enc))
	blocked.Write(h3Op(0, quic.ServerToClient, true, resp))
	f.Add(blocked.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		out := &testSink{}
		playH3(out, data)
		for _, x := range out.exs {
			checkBounded(t, x.ex)
		}
	})
}

// TestHTTP3Seeds: the fuzz seeds' request reads through the dynamic
// table, whether its inserts come before or after it.
func TestHTTP3Seeds(t *testing.T) {
	serverControl := []byte{0x00, 0x04, 0x03, 0x01, 0x50, 0x00}
	enc := append(append([]byte{0x02, 0x3f, 0xbd, 0x01, 0xc0, 0x0b}, "example.com"...), 0x43, 'x', '-', 'a', 0x01, 'b')
	reqSection := []byte{0x03, 0x00, 0xd1, 0xd7, 0xc1, 0x81, 0x80}
	req := append([]byte{0x01, byte(len(reqSection))}, reqSection...)
	resp := []byte{0x01, 0x03, 0x00, 0x00, 0xd9, 0x00, 0x02, 'o', 'k'}
	for _, order := range [][]int{{0, 1, 2, 3}, {0, 2, 1, 3}, {0, 3, 2, 1}} {
		ops := [][]byte{
			h3Op(4, quic.ServerToClient, false, serverControl),
			h3Op(3, quic.ClientToServer, false, enc),
			h3Op(0, quic.ClientToServer, true, req),
			h3Op(0, quic.ServerToClient, true, resp),
		}
		var data []byte
		for _, i := range order {
			data = append(data, ops[i]...)
		}
		out := &testSink{}
		playH3(out, data)
		if len(out.exs) != 1 {
			t.Fatalf("order %v: %d exchanges, notes %v", order, len(out.exs), out.notes)
		}
		ex := out.exs[0].ex
		if ex.Request.URL != "https://example.com/" || ex.Request.Headers.Get("x-a") != "b" || ex.Response == nil ||
			ex.Response.Status != 200 || string(ex.Response.Body.Data) != "ok" || ex.Request.Proto != "HTTP/3" {
			t.Errorf("order %v: %s %s %v %+v", order, ex.Request.Method, ex.Request.URL, ex.Request.Headers, ex.Response)
		}
	}
}
