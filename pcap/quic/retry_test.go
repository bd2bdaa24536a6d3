package quic

import (
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

type datagram struct {
	client, server netip.AddrPort
	dir            Dir
	payload        []byte
	frame          int
	ts             time.Time
}

// datagrams reads a capture's UDP datagrams to or from port.
func datagrams(t *testing.T, path string, port uint16) []datagram {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []datagram
	for frame := 1; ; frame++ {
		data, ci, err := rd.ReadPacketData()
		if err != nil {
			break
		}
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if ip == nil || udp == nil {
			continue
		}
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip.SrcIP.To4())), uint16(udp.SrcPort))
		dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip.DstIP.To4())), uint16(udp.DstPort))
		d := datagram{client: src, server: dst, dir: ClientToServer, payload: udp.Payload, frame: frame, ts: ci.Timestamp}
		if uint16(udp.SrcPort) == port {
			d.client, d.server, d.dir = dst, src, ServerToClient
		}
		out = append(out, d)
	}
	return out
}

// TestRetry reads a sign-in whose server validated Chromium's address
// with Retry packets (gen-quic.sh retry): its ClientHello fills two
// datagrams (frames 11 and 12), quic-go answers each with a Retry of its
// own connection ID (frames 13 and 14), and Chromium follows the first
// (frames 15 and 16 go to it), discarding the second (RFC 9000 section
// 17.2.5.2). The Initial keys change with the Retry's ID, so the server's
// Initial and everything after open. The capture's order of the two
// Retries need not be the order the client received them: swapped, the
// connection reads the same.
func TestRetry(t *testing.T) {
	ds := datagrams(t, "../testdata/quic/retry.pcap", 443)
	i := slices.IndexFunc(ds, func(d datagram) bool { return d.frame == 13 })
	if i < 0 || ds[i+1].frame != 14 || ds[i].dir != ServerToClient || ds[i].payload[0]>>4&3 != 3 || ds[i+1].payload[0]>>4&3 != 3 {
		t.Fatalf("frames 13 and 14 are not the server's two Retry packets")
	}
	keys := testKeys(t, "../testdata/quic/retry.keys.log")
	for _, swap := range []bool{false, true} {
		order := slices.Clone(ds)
		if swap {
			order[i], order[i+1] = order[i+1], order[i]
		}
		rec := newRecorder()
		var problems []string
		tr := NewTracker(keys, summaryRecorder{rec, &problems})
		for _, d := range order {
			tr.Datagram(d.client, d.server, d.dir, d.payload, d.frame, d.ts)
		}
		tr.Close()
		var reqs []string
		for k, f := range rec.first {
			if strings.HasSuffix(k, "/0/0") || strings.HasSuffix(k, "/4/0") || strings.HasSuffix(k, "/8/0") {
				reqs = append(reqs, k[:strings.Index(k, "-")]+"@"+strconv.Itoa(f))
			}
		}
		slices.Sort(reqs)
		if got := strings.Join(reqs, " "); got != "127.0.0.1:34802@132 127.0.0.1:34802@153 127.0.0.1:34802@31 127.0.0.1:55392@127 127.0.0.1:55392@88" ||
			len(problems) > 0 || !slices.Contains(rec.closed, "127.0.0.1:34802-127.0.0.1:443") {
			t.Errorf("swapped %v: request streams %s; problems %q", swap, got, problems)
		}
	}
}

// summaryRecorder keeps the problems each connection's summary names.
type summaryRecorder struct {
	*recorder
	problems *[]string
}

func (s summaryRecorder) Closed(c *Conn) {
	s.recorder.Closed(c)
	*s.problems = append(*s.problems, c.Summary().Problems...)
}

// TestClientInitial: a client's first Initial is recognised on any port
// (RFC 9001's and RFC 9369's example, version 1 and 2); what is not one
// (a server's Initial, a short datagram, another version, a short
// connection ID, a short header) is not.
func TestClientInitial(t *testing.T) {
	for _, name := range []string{"rfc9001-a2-client-initial.hex", "rfc9369-a2-client-initial.hex"} {
		b := readHex(t, name)
		if !ClientInitial(b) {
			t.Errorf("%s: not recognised", name)
		}
		if ClientInitial(b[:1199]) {
			t.Errorf("%s: 1199 bytes recognised", name)
		}
		other := slices.Clone(b)
		other[4] ^= 0x02 // another version
		if ClientInitial(other) {
			t.Errorf("%s: version %x recognised", name, other[1:5])
		}
		short := slices.Clone(b)
		short[5] = 7
		if ClientInitial(short) {
			t.Errorf("%s: a 7-byte Destination Connection ID recognised", name)
		}
		hs := slices.Clone(b)
		hs[0] ^= 0x20 // Handshake (v1) or Retry (v2)
		if ClientInitial(hs) {
			t.Errorf("%s: type %d recognised", name, hs[0]>>4&3)
		}
		sh := slices.Clone(b)
		sh[0] &^= 0x80
		if ClientInitial(sh) {
			t.Errorf("%s: a short header recognised", name)
		}
	}
	if server := readHex(t, "rfc9001-a3-server-initial.hex"); ClientInitial(server) {
		t.Errorf("the server's Initial (%d bytes, no 8-byte ID) recognised", len(server))
	}
	if ClientInitial(nil) || ClientInitial(make([]byte, 1500)) {
		t.Errorf("zeros recognised")
	}
}

// TestEarlyDataAnswerLost: the server's EncryptedExtensions, which says
// whether it took the client's 0-RTT data, is in its first Handshake
// packets (zerortt.pcap: frame 143 for app.localhost, 159 for
// auth.fosite.test). With those lost the 0-RTT packets are held until the
// first 1-RTT packet opens, then taken as accepted: the requests they
// carry (frames 141 and 157) are read all the same; with them the answer
// is read (accepted) and the same comes out.
func TestEarlyDataAnswerLost(t *testing.T) {
	keys := testKeys(t, "../testdata/quic/zerortt.keys.log")
	for _, lost := range []map[int]bool{nil, {143: true, 159: true}} {
		rec := newRecorder()
		tr := NewTracker(keys, rec)
		for _, d := range datagrams(t, "../testdata/quic/zerortt.pcap", 443) {
			if !lost[d.frame] {
				tr.Datagram(d.client, d.server, d.dir, d.payload, d.frame, d.ts)
			}
		}
		tr.Close()
		var firsts []string
		for k, f := range rec.first {
			if strings.HasSuffix(k, "/0/0") {
				firsts = append(firsts, strconv.Itoa(f))
			}
		}
		slices.Sort(firsts)
		if got := strings.Join(firsts, " "); got != "141 157 56 68" {
			t.Errorf("lost %v: first request streams begin in frames %s", lost, got)
		}
	}
}
