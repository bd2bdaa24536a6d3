package pcap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/traceaudit/traceaudit/model"
)

// These tests read real captures with packets cut, dropped or moved the
// way a customer's capture loses them, and compare each request's answer
// with the unmodified capture's.

// cutPayload drops the first k bytes of p's TCP payload, moving its
// sequence number on and shortening its IP length: the packet a capture
// that began (or lost bytes) inside it would hold.
func cutPayload(t *testing.T, p rawPacket, k int) rawPacket {
	t.Helper()
	pk := gopacket.NewPacket(p.data, layers.LinkType(p.linkType), gopacket.DecodeOptions{NoCopy: true})
	tl, _ := pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if tl == nil || k >= len(tl.Payload) {
		t.Fatalf("no TCP payload of more than %d bytes to cut", k)
	}
	tcpOff := cap(p.data) - cap(tl.Contents)
	payOff := tcpOff + len(tl.Contents)
	out := append(bytes.Clone(p.data[:payOff]), p.data[payOff+k:]...)
	binary.BigEndian.PutUint32(out[tcpOff+4:], tl.Seq+uint32(k))
	if ip := pk.Layer(layers.LayerTypeIPv4); ip != nil {
		o := cap(p.data) - cap(ip.LayerContents())
		binary.BigEndian.PutUint16(out[o+2:], binary.BigEndian.Uint16(out[o+2:])-uint16(k))
	} else if ip := pk.Layer(layers.LayerTypeIPv6); ip != nil {
		o := cap(p.data) - cap(ip.LayerContents())
		binary.BigEndian.PutUint16(out[o+4:], binary.BigEndian.Uint16(out[o+4:])-uint16(k))
	}
	return rawPacket{data: out, ts: p.ts, origLen: len(out), linkType: p.linkType}
}

// without is pkts without the frames listed (1-based).
func without(pkts []rawPacket, frames ...int) []rawPacket {
	var out []rawPacket
	for i, p := range pkts {
		drop := false
		for _, f := range frames {
			drop = drop || f == i+1
		}
		if !drop {
			out = append(out, p)
		}
	}
	return out
}

// notesText is the notes one a line: kind, ref, message.
func notesText(notes []model.Note) string {
	var b strings.Builder
	for _, n := range notes {
		fmt.Fprintf(&b, "%s %s %s\n", n.Kind, n.Ref, n.Message)
	}
	return b.String()
}

// TestCaptureBeginsInsideRequest reads pipelined-requests.pcap as if the
// capture had begun inside its first request (frame 4, GET
// /style/enhanced.css): without the handshake and with the first 1, 4 or
// 17 bytes of frame 4 cut, and with the handshake but frame 4 cut (the
// assembler then holds a hole at the client stream's start). The rest of
// the request was read as one: "ET /style/enhanced.css", a request whose
// method was "/style/enhanced.css" (and URL empty), or "ed.css", each
// answered with the first response. The rest of a request is skipped and
// said so at its frame, with the frame where reading resumed; the other
// requests keep their own responses.
func TestCaptureBeginsInsideRequest(t *testing.T) {
	pkts := loadPackets(t, "pipelined-requests.pcap")
	base, _ := readBytes(t, writePcap(t, pkts, false))
	want := answersByRequest(base)
	for _, tc := range []struct {
		name      string
		pkts      []rawPacket
		ref, from string // the fragment's frame and where reading resumes
	}{
		{"begins 1 byte into frame 4", append([]rawPacket{cutPayload(t, pkts[3], 1)}, pkts[4:]...), "frame 1", "frame 3"},
		{"begins 4 bytes into frame 4", append([]rawPacket{cutPayload(t, pkts[3], 4)}, pkts[4:]...), "frame 1", "frame 3"},
		{"begins 17 bytes into frame 4", append([]rawPacket{cutPayload(t, pkts[3], 17)}, pkts[4:]...), "frame 1", "frame 3"},
		{"frame 4 cut by 4 bytes after the handshake", append(append(pkts[:3:3], cutPayload(t, pkts[3], 4)), pkts[4:]...), "frame 4", "frame 6"},
	} {
		exs, notes := readBytes(t, writePcap(t, tc.pkts, false))
		got := answersByRequest(exs)
		if len(exs) != 4 || len(got) != 4 {
			t.Errorf("%s: %d exchanges, %d answered, want the 4 requests after the first, answered", tc.name, len(exs), len(got))
		}
		for _, ex := range exs {
			if ex.Request.Method != "GET" {
				t.Errorf("%s: %s read a request %q %q from the rest of one", tc.name, ex.Ref, ex.Request.Method, ex.Request.URL)
			}
		}
		for req, resp := range got {
			if want[req] != resp {
				t.Errorf("%s: %.80s got another request's response %.60s", tc.name, req, resp)
			}
		}
		text := notesText(notes)
		if !strings.Contains(text, "gap "+tc.ref+" ") || !strings.Contains(text, "the capture begins inside a request") ||
			!strings.Contains(text, "reading resumes at the request at "+tc.from) {
			t.Errorf("%s: no note at %s says the capture begins inside a request, resuming at %s:\n%s", tc.name, tc.ref, tc.from, text)
		}
	}
}

// TestServerBeginsInsideResponse reads test_loopback.pcap (a capture
// begun mid-connection) with its first request, frame 1, captured after
// the first 4,096 bytes of its response: those bytes arrive before any
// client byte and are dropped, so the server stream is read from inside
// the 200's body. The next response found (304, /doc/style.css's) must
// not go to /pkg/..., whose own response was cut; style.css and
// godocs.js keep theirs.
func TestServerBeginsInsideResponse(t *testing.T) {
	pkts := loadPackets(t, "test_loopback.pcap")
	base, _ := readBytes(t, writePcap(t, pkts, false))
	want := answersByRequest(base)
	moved := append(append(append([]rawPacket(nil), pkts[1:3]...), pkts[0]), pkts[3:]...)
	exs, notes := readBytes(t, writePcap(t, moved, false))
	got := answersByRequest(exs)
	for req, resp := range got {
		if want[req] != resp {
			t.Errorf("%.80s got another request's response %.60s", req, resp)
		}
	}
	if len(got) != 2 {
		t.Errorf("%d requests answered, want 2 (style.css and godocs.js):\n%s", len(got), notesText(notes))
	}
}

// TestLostBytesNoted reads captures that lost segments where nothing
// said so: x-gzip.pcap without its request (frame 4, lost before the
// connection's protocol was known: no note, and the connection counted
// among those carrying neither HTTP nor TLS although its server answered
// in HTTP) or without its response (frame 6: the client's ACK in frame 7
// shows the 124 bytes were sent, but nothing follows them in the
// capture, so the request was reported unanswered as if the server had
// not answered); pipelined-requests.pcap without the last segment of the
// last response (frame 45, before both FINs: the server's FIN past the
// hole was never delivered, and the response kept its first 27,217 bytes
// as if whole).
func TestLostBytesNoted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		drop    int
		want    []string
		notHTTP bool
	}{
		{"zeek/x-gzip.pcap", 4, []string{"gap frame 4 tcp 127.0.0.1:54890-127.0.0.1:80: 296 bytes lost in the client→server stream before this frame",
			"orphan frame 5 tcp 127.0.0.1:54890-127.0.0.1:80: response 200 without a request in the capture"}, false},
		{"zeek/x-gzip.pcap", 6, []string{"gap frame 6 tcp 127.0.0.1:54890-127.0.0.1:80: 124 bytes lost in the server→client stream before this frame",
			"1 request unanswered after 124 bytes lost at frame 6"}, false},
		{"pipelined-requests.pcap", 45, []string{"gap frame 44 tcp 192.168.1.104:1673-63.245.209.11:80: 362 bytes lost in the server→client stream after this frame",
			"truncated frame 21 tcp 192.168.1.104:1673-63.245.209.11:80: body cut short: 27217 of 27579 bytes"}, false},
	} {
		_, notes := readBytes(t, writePcap(t, without(loadPackets(t, tc.name), tc.drop), false))
		text := notesText(notes)
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s without frame %d: notes lack %q:\n%s", tc.name, tc.drop, w, text)
			}
		}
		if strings.Contains(text, "neither HTTP nor TLS") != tc.notHTTP {
			t.Errorf("%s without frame %d: connection counted as not HTTP: %v\n%s", tc.name, tc.drop, !tc.notHTTP, text)
		}
	}
}

// TestMethodTailNotARequest: after bytes lost inside a request line, what
// follows ("ET /b HTTP/1.1", "OST /token HTTP/1.1") is the rest of a
// request, not a request with method "ET" or "OST".
func TestMethodTailNotARequest(t *testing.T) {
	for _, line := range []string{"ET /b HTTP/1.1", "OST /token HTTP/1.1", "ATCH /x HTTP/1.1", "EAD / HTTP/1.0"} {
		if startLineOK([]byte(line), ClientToServer) {
			t.Errorf("%q taken for a request line after lost bytes", line)
		}
	}
	for _, line := range []string{"GET /b HTTP/1.1", "POST /token HTTP/1.1", "BREW /pot HTTP/1.1", "QUERY /q HTTP/1.1"} {
		if !startLineOK([]byte(line), ClientToServer) {
			t.Errorf("%q not taken for a request line", line)
		}
	}
}
