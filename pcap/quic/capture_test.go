package quic

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// testKeys reads an NSS key log's TLS 1.3 secrets by client random.
func testKeys(t testing.TB, path string) func([]byte) *Secrets {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]*Secrets{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 {
			continue
		}
		s := m[fs[1]]
		if s == nil {
			s = &Secrets{}
			m[fs[1]] = s
		}
		v, err := hex.DecodeString(fs[2])
		if err != nil {
			t.Fatal(err)
		}
		switch fs[0] {
		case "CLIENT_HANDSHAKE_TRAFFIC_SECRET":
			s.ClientHandshake = v
		case "SERVER_HANDSHAKE_TRAFFIC_SECRET":
			s.ServerHandshake = v
		case "CLIENT_TRAFFIC_SECRET_0":
			s.ClientApp = v
		case "SERVER_TRAFFIC_SECRET_0":
			s.ServerApp = v
		case "CLIENT_EARLY_TRAFFIC_SECRET":
			s.ClientEarly = v
		}
	}
	return func(r []byte) *Secrets { return m[hex.EncodeToString(r)] }
}

// recorder keeps what a Tracker hands over.
type recorder struct {
	streams map[string]*bytes.Buffer
	first   map[string]int
	fins    map[string]bool
	gaps    []string
	resets  []string
	closed  []string
}

func newRecorder() *recorder {
	return &recorder{streams: map[string]*bytes.Buffer{}, first: map[string]int{}, fins: map[string]bool{}}
}

func key(c *Conn, id uint64, dir Dir) string { return fmt.Sprintf("%s/%d/%d", c.Label(), id, dir) }

func (r *recorder) Stream(c *Conn, id uint64, dir Dir, data []byte, fin bool, frame int, t time.Time) {
	k := key(c, id, dir)
	if r.streams[k] == nil {
		r.streams[k] = &bytes.Buffer{}
		r.first[k] = frame
	}
	r.streams[k].Write(data)
	if fin {
		r.fins[k] = true
	}
}
func (r *recorder) Gap(c *Conn, id uint64, dir Dir, n uint64, frame int) {
	r.gaps = append(r.gaps, fmt.Sprintf("%s:%d@%d", key(c, id, dir), n, frame))
}
func (r *recorder) Reset(c *Conn, id uint64, dir Dir, frame int, t time.Time) {
	r.resets = append(r.resets, key(c, id, dir))
}
func (r *recorder) Closed(c *Conn) { r.closed = append(r.closed, c.Label()) }

// feed reads a capture's UDP/443 datagrams into tr.
func feed(t testing.TB, path string, tr *Tracker, skip map[int]bool) {
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
	for frame := 1; ; frame++ {
		data, ci, err := rd.ReadPacketData()
		if err != nil {
			break
		}
		if skip[frame] {
			continue
		}
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if ip == nil || udp == nil {
			continue
		}
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip.SrcIP.To4())), uint16(udp.SrcPort))
		dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip.DstIP.To4())), uint16(udp.DstPort))
		if udp.DstPort == 443 {
			tr.Datagram(src, dst, ClientToServer, udp.Payload, frame, ci.Timestamp)
		} else {
			tr.Datagram(dst, src, ServerToClient, udp.Payload, frame, ci.Timestamp)
		}
	}
	tr.Close()
}

func readHex(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRFCInitials opens the RFCs' example Initial packets (RFC 9001 and
// RFC 9369 appendix A): keys from the client's Destination Connection ID,
// header protection, packet number, the ClientHello's server name and the
// ServerHello's cipher suite, for QUIC versions 1 and 2.
func TestRFCInitials(t *testing.T) {
	client := netip.MustParseAddrPort("192.0.2.1:50000")
	server := netip.MustParseAddrPort("192.0.2.2:443")
	for _, v := range []string{"rfc9001", "rfc9369"} {
		t.Run(v, func(t *testing.T) {
			rec := newRecorder()
			tr := NewTracker(nil, rec)
			tr.Datagram(client, server, ClientToServer, readHex(t, v+"-a2-client-initial.hex"), 1, time.Time{})
			tr.Datagram(client, server, ServerToClient, readHex(t, v+"-a3-server-initial.hex"), 2, time.Time{})
			if len(tr.live) != 1 {
				t.Fatalf("%d connections", len(tr.live))
			}
			c := tr.live[0]
			if c.SNI() != "example.com" || c.suite != suiteAES128 || c.packets[epochInitial] != 2 || c.authFailed != 0 {
				t.Errorf("sni %q suite %v, %d Initial packets opened, %d failed", c.SNI(), c.suite, c.packets[epochInitial], c.authFailed)
			}
			// The client's packet number is 2, the server's 1.
			if c.largest[ClientToServer][0] != 2 || c.largest[ServerToClient][0] != 1 {
				t.Errorf("packet numbers %d and %d, want 2 and 1", c.largest[ClientToServer][0], c.largest[ServerToClient][0])
			}
			if n := tr.Counts().Orphans; n != 0 {
				t.Errorf("%d orphan datagrams", n)
			}
			// A flipped bit anywhere in the payload fails authentication.
			bad := readHex(t, v+"-a2-client-initial.hex")
			bad[100] ^= 1
			tr.Datagram(client, server, ClientToServer, bad, 3, time.Time{})
			if c.authFailed != 1 {
				t.Errorf("%d packets failed authentication, want 1", c.authFailed)
			}
		})
	}
}

// TestDecodePN is RFC 9000 appendix A.3's example.
func TestDecodePN(t *testing.T) {
	if pn := decodePN(0xa82f30ea, 0x9b32, 16); pn != 0xa82f9b32 {
		t.Errorf("got %#x, want 0xa82f9b32", pn)
	}
	if pn := decodePN(-1, 0, 8); pn != 0 {
		t.Errorf("first packet: got %d", pn)
	}
}

// TestRecordedSignIn reads a real sign-in Chromium made over QUIC
// (../testdata/quic/reload.pcap, gen-quic.sh reload): both connections are
// decrypted with the key log, and their request streams carry the HTTP/3
// HEADERS tshark finds in the same frames (tshark -Y "http3.frame_type ==
// 1 && udp.dstport == 443": frames 30, 67, 112, 114 and 167).
func TestRecordedSignIn(t *testing.T) {
	rec := newRecorder()
	tr := NewTracker(testKeys(t, "../testdata/quic/reload.keys.log"), rec)
	feed(t, "../testdata/quic/reload.pcap", tr, nil)
	if got := strings.Join(rec.closed, " "); got != "127.0.0.1:56710-127.0.0.1:443 127.0.0.1:36893-127.0.0.1:443" {
		t.Errorf("connections %s", got)
	}
	var reqs []string
	for k, f := range rec.first {
		var id uint64
		var dir Dir
		if _, err := fmt.Sscanf(k[strings.LastIndex(k, "443/")+4:], "%d/%d", &id, &dir); err != nil {
			t.Fatal(err)
		}
		if id%4 == 0 && dir == ClientToServer {
			reqs = append(reqs, fmt.Sprint(f))
			if !rec.fins[k] {
				t.Errorf("%s: no FIN", k)
			}
		}
	}
	sortNumeric(reqs)
	if got := strings.Join(reqs, " "); got != "30 67 112 114 167" {
		t.Errorf("request streams begin in frames %s; tshark: 30 67 112 114 167", got)
	}
	if len(rec.gaps) > 0 || len(rec.resets) > 0 {
		t.Errorf("gaps %v resets %v", rec.gaps, rec.resets)
	}
	// The response to the second callback (stream 8 of app.localhost).
	body := rec.streams["127.0.0.1:56710-127.0.0.1:443/8/1"]
	if body == nil || !bytes.Contains(body.Bytes(), []byte("invalid_grant")) {
		t.Errorf("stream 8's response lacks the refusal")
	}
	// Without the key log only the Initial packets open: the server
	// names are read all the same, and no stream data comes.
	rec = newRecorder()
	tr = NewTracker(nil, rec)
	var snis []string
	tr.h = sniRecorder{rec, &snis}
	feed(t, "../testdata/quic/reload.pcap", tr, nil)
	if got := strings.Join(snis, " "); got != "app.localhost auth.fosite.test" || len(rec.streams) != 0 {
		t.Errorf("server names %q, %d streams", got, len(rec.streams))
	}
}

type sniRecorder struct {
	*recorder
	snis *[]string
}

func (s sniRecorder) Closed(c *Conn) { *s.snis = append(*s.snis, c.SNI()) }

func sortNumeric(s []string) {
	slices.SortFunc(s, func(a, b string) int {
		var x, y int
		fmt.Sscan(a, &x)
		fmt.Sscan(b, &y)
		return x - y
	})
}

// TestLostPackets drops two packets of the recording (editcap, as
// ../testdata/quic/reload-lossy.pcap holds it): a client packet holding
// a whole request (frame 112) and the server packet holding a whole
// response (frame 171). The other streams are read whole; no stream data
// is invented.
func TestLostPackets(t *testing.T) {
	full := newRecorder()
	feed(t, "../testdata/quic/reload.pcap", NewTracker(testKeys(t, "../testdata/quic/reload.keys.log"), full), nil)
	lossy := newRecorder()
	feed(t, "../testdata/quic/reload.pcap", NewTracker(testKeys(t, "../testdata/quic/reload.keys.log"), lossy), map[int]bool{112: true, 171: true})
	for k, b := range full.streams {
		switch k {
		case "127.0.0.1:36893-127.0.0.1:443/4/0", "127.0.0.1:56710-127.0.0.1:443/8/1":
			if lossy.streams[k] != nil {
				t.Errorf("%s: read although its only packet was dropped", k)
			}
			continue
		case "127.0.0.1:36893-127.0.0.1:443/2/0":
			continue // the client's control stream: frame 112 held a part of it
		}
		if got := lossy.streams[k]; got == nil || !bytes.Equal(got.Bytes(), b.Bytes()) {
			t.Errorf("%s differs after the loss", k)
		}
	}
}
