package pcap

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/traceaudit/traceaudit/model"
)

// These tests read the real HTTP/2 captures of testdata (h2c.pcapng,
// h2streams.pcap) with packets dropped or split the way a customer's
// capture loses them (see PROVENANCE.md, "Derived in tests").

// h2Row is what the tests compare of an exchange.
type h2Row struct {
	Method, URL, Proto string
	Status             int
	RespBody           string
	Truncated          bool
}

func h2Rows(exs []*model.Exchange) []h2Row {
	var out []h2Row
	for _, ex := range exs {
		r := h2Row{Method: ex.Request.Method, URL: ex.Request.URL, Proto: ex.Request.Proto}
		if ex.Response != nil {
			r.Status, r.RespBody, r.Truncated = ex.Response.Status, string(ex.Response.Body.Data), ex.Response.Body.Truncated
			if len(r.RespBody) > 40 {
				r.RespBody = r.RespBody[:40]
			}
		}
		out = append(out, r)
	}
	return out
}

// splitPacket splits p's TCP payload into packets of at most size bytes
// (sequence numbers and IP lengths moved with them): the segments a link
// with a smaller MSS would have carried.
func splitPacket(t *testing.T, p rawPacket, size int) []rawPacket {
	t.Helper()
	pk := gopacket.NewPacket(p.data, layers.LinkType(p.linkType), gopacket.DecodeOptions{NoCopy: true})
	tl, _ := pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
	ip, _ := pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if tl == nil || ip == nil {
		t.Fatal("not a TCP/IPv4 packet")
	}
	tcpOff := cap(p.data) - cap(tl.Contents)
	payOff := tcpOff + len(tl.Contents)
	ipOff := cap(p.data) - cap(ip.Contents)
	var out []rawPacket
	for off := 0; off < len(tl.Payload); off += size {
		piece := tl.Payload[off:min(off+size, len(tl.Payload))]
		d := append(bytes.Clone(p.data[:payOff]), piece...)
		binary.BigEndian.PutUint32(d[tcpOff+4:], tl.Seq+uint32(off))
		binary.BigEndian.PutUint16(d[ipOff+2:], uint16(payOff-ipOff+len(piece)))
		out = append(out, rawPacket{data: d, ts: p.ts, origLen: len(d), linkType: p.linkType})
	}
	return out
}

// TestH2CUpgradeAnswerLost reads h2c.pcapng without frame 28, the
// server's "101 Switching Protocols" to the "Upgrade: h2c" request of
// frame 26. The client's HTTP/2 preface (frame 31 once 28 is gone) was
// read as an HTTP/1 request "PRI *" and the rest of the connection lost;
// it is read as HTTP/2, the upgraded request being stream 1, as when the
// 101 is there.
func TestH2CUpgradeAnswerLost(t *testing.T) {
	pkts := loadPackets(t, "h2c.pcapng")
	want, _ := readBytes(t, writePcap(t, pkts, false))
	exs, notes := readBytes(t, writePcap(t, without(pkts, 28), false))
	if diff := cmp.Diff(h2Rows(want), h2Rows(exs)); diff != "" {
		t.Errorf("exchanges differ from the whole capture's (-want +got):\n%s", diff)
	}
	text := notesText(notes)
	for _, ex := range exs {
		if ex.Request.Method == "PRI" {
			t.Errorf("%s: the HTTP/2 preface read as an HTTP/1 request", ex.Ref)
		}
	}
	if !strings.Contains(text, "no answer to the h2c upgrade request at frame 26, but the client sent the HTTP/2 connection preface at frame 31") {
		t.Errorf("no note on the switch the capture did not show:\n%s", text)
	}
}

// TestH2CBeginsMidConnection reads h2c.pcapng as if the capture had begun
// after a connection's preface and SETTINGS (frames 1-9 dropped: the
// first client bytes are a HEADERS frame), and after the second
// connection's upgrade (frames 23-33 dropped). The first was read as
// carrying "neither HTTP nor TLS", its sign-in requests lost; the second
// lost its last request. Each is read as HTTP/2 from its first frame,
// with a note; stream 1's response, whose request the capture missed, is
// counted, not made an exchange.
func TestH2CBeginsMidConnection(t *testing.T) {
	pkts := loadPackets(t, "h2c.pcapng")
	all, _ := readBytes(t, writePcap(t, pkts, false))
	rows := h2Rows(all) // authorize, token, upgrade, after-upgrade
	for name, c := range map[string]struct {
		drop []int
		want []h2Row
		note string
	}{
		"after the preface": {[]int{1, 2, 3, 4, 5, 6, 7, 8, 9}, rows, "frame 1 tcp 127.0.0.1:43206-127.0.0.1:18080: http2: the capture begins inside an HTTP/2 connection"},
		"after the upgrade": {[]int{23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33}, []h2Row{rows[0], rows[1], rows[3]},
			"1 stream answered without a request the capture shows"},
	} {
		t.Run(name, func(t *testing.T) {
			exs, notes := readBytes(t, writePcap(t, without(pkts, c.drop...), false))
			if diff := cmp.Diff(c.want, h2Rows(exs)); diff != "" {
				t.Errorf("exchanges (-want +got):\n%s", diff)
			}
			text := notesText(notes)
			if !strings.Contains(text, c.note) || strings.Contains(text, "neither HTTP nor TLS") {
				t.Errorf("notes lack %q or say not HTTP:\n%s", c.note, text)
			}
		})
	}
}

// TestH2LossInsideData reads h2streams.pcap (eight requests on one
// prior-knowledge connection) with frame 28, the first 16,393-byte DATA
// frame of the fourth response, carried as 1,400-byte segments one of
// which is lost. The lost bytes lie inside that frame: reading goes on at
// its end with the HPACK state intact, so every later request and
// response is read; only the fourth response's body is cut. Before, the
// server→client stream was not read after the loss: four responses lost.
func TestH2LossInsideData(t *testing.T) {
	pkts := loadPackets(t, "h2streams.pcap")
	all, _ := readBytes(t, writePcap(t, pkts, false))
	pieces := splitPacket(t, pkts[27], 1400)
	var lossy []rawPacket
	lossy = append(lossy, pkts[:27]...)
	lossy = append(lossy, pieces[:3]...)
	lossy = append(lossy, pieces[4:]...)
	lossy = append(lossy, pkts[28:]...)
	exs, notes := readBytes(t, writePcap(t, lossy, false))
	want := h2Rows(all)
	want[3].Truncated = true
	got := h2Rows(exs)
	if len(got) == len(want) {
		got[3].RespBody = want[3].RespBody // the cut body keeps its start only
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exchanges (-want +got):\n%s\nnotes:\n%s", diff, notesText(notes))
	}
	text := notesText(notes)
	if !strings.Contains(text, "1400 bytes lost in the server→client stream") || strings.Contains(text, "could not be decoded") {
		t.Errorf("notes:\n%s", text)
	}
}

// TestH2ResyncAfterLoss drops whole packets of h2streams.pcap. What lost
// bytes held is not known, so the stream is read again from the next frame
// header that can be trusted, and header blocks that refer to HPACK
// entries made before the loss are noted as undecodable, not guessed,
// unless the frames read after the loss show that it held no header block
// (keepHPACK). Frame 30 is a DATA frame of the fourth response, the only
// stream open: that stream went on to end with a DATA frame, no other
// response was awaited and the client disabled server push, so the HPACK
// state still holds and the four responses after it are read (before,
// Go's server indexing content-type in its first response made them
// undecodable). Frame 35 holds only the client's WINDOW_UPDATE frames: the
// next request opens stream 9, the one after 7, with no request open, and
// the requests after it, which refer to entries of the first one
// (user-agent), are read (before, they were undecodable). Frame 22 is the
// third request's HEADERS: the next request opens stream 7, not 5, so the
// requests after it are noted undecodable, and their responses, read,
// counted as answering requests the capture does not show. Frame 41 is the
// fifth response's HEADERS, awaited when it was lost: the responses after
// it stay undecodable. Before 550e8ba, either direction was not read at
// all after the loss.
func TestH2ResyncAfterLoss(t *testing.T) {
	pkts := loadPackets(t, "h2streams.pcap")
	all := h2Rows(readOnly(t, pkts))
	noResp := func(rows ...h2Row) []h2Row {
		var out []h2Row
		for _, r := range rows {
			out = append(out, h2Row{Method: r.Method, URL: r.URL, Proto: r.Proto})
		}
		return out
	}
	for name, c := range map[string]struct {
		drop  int
		want  []h2Row
		notes []string
	}{
		"server DATA frame lost": {30, append(append(append([]h2Row{}, all[:3]...),
			h2Row{Method: "GET", URL: all[3].URL, Proto: "HTTP/2", Status: 200, RespBody: all[3].RespBody, Truncated: true}),
			all[4:]...),
			[]string{"frame 30 tcp 127.0.0.1:45828-127.0.0.1:18081: http2: the server→client stream is read again from frame 30",
				"frame 40 tcp 127.0.0.1:45828-127.0.0.1:18081: http2: the server→client stream's HPACK state from before the bytes lost at frame 30 still holds: they held no header block"}},
		"client WINDOW_UPDATE lost": {35, all,
			[]string{"frame 39 tcp 127.0.0.1:45828-127.0.0.1:18081: http2: the client→server stream's HPACK state from before the bytes lost at frame 35 still holds: they held no header block (stream 9 follows the last stream opened, 7, and no request was open)"}},
		"server HEADERS lost": {41, append(append(append([]h2Row{}, all[:4]...), noResp(all[4:8]...)...), all[8:]...),
			[]string{"response headers of stream 11 could not be decoded: they refer to HPACK state set in bytes the capture lost (frame 41 on); not guessed"}},
		"client HEADERS lost": {22, append(append([]h2Row{}, all[:2]...), all[8:]...),
			[]string{"request headers of stream 7 could not be decoded", "6 streams answered without a request the capture shows"}},
	} {
		t.Run(name, func(t *testing.T) {
			exs, notes := readBytes(t, writePcap(t, without(pkts, c.drop), false))
			got := h2Rows(exs)
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("exchanges (-want +got):\n%s\nnotes:\n%s", diff, notesText(notes))
			}
			text := notesText(notes)
			for _, n := range c.notes {
				if !strings.Contains(text, n) {
					t.Errorf("notes lack %q:\n%s", n, text)
				}
			}
			if kept := strings.Contains(text, "still holds"); kept != strings.Contains(strings.Join(c.notes, "\n"), "still holds") {
				t.Errorf("HPACK state kept: %v, want %v", kept, !kept)
			}
		})
	}
}

func readOnly(t *testing.T, pkts []rawPacket) []*model.Exchange {
	t.Helper()
	exs, _ := readBytes(t, writePcap(t, pkts, false))
	return exs
}
