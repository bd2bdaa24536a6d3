package pcap

import (
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"github.com/traceaudit/traceaudit/model"
)

// TestQUICOtherProtocol: QUIC on UDP port 8853 between quic-go's client
// and server agreeing on DNS over QUIC's ALPN "doq"
// (testdata/quic/gen-quic-other.sh) is found by its client's first
// Initial, every datagram placed in its connection (the client moves to
// another connection ID before its handshake ends), and left unread as
// what it is: no exchange, no tls-no-keys note (no key log would make it
// a sign-in's), one note naming its protocol.
func TestQUICOtherProtocol(t *testing.T) {
	exs, notes := readFile(t, "quic/doq-8853.pcap", Options{})
	if len(exs) != 0 {
		t.Errorf("%d exchanges", len(exs))
	}
	var got []string
	for _, n := range notes {
		got = append(got, string(n.Kind)+": "+n.Message)
	}
	if want := []string{
		"quic: 18 UDP packets on ports other than 443 (QUIC, HTTP/3): 1 QUIC connection on ports other than 443 carries another protocol than HTTP/3 (ALPN doq): not read",
	}; !slices.Equal(got, want) {
		t.Errorf("notes:\n%q\nwant:\n%q", got, want)
	}
}

// TestQUICFoundByContent: the sign-in Chromium made over QUIC to a front
// on UDP port 8443 (gen-quic.sh port8443) is found without being told the
// port: read without a decrypter, its two QUIC connections are named as
// those on port 443 are, and all 55 of its UDP datagrams (tshark: 29 and
// 26 between the two client ports and 8443) are placed in them (none
// left over as an orphan); the counts are packets, coalesced ones apart.
func TestQUICFoundByContent(t *testing.T) {
	_, notes := readFile(t, "quic/port8443-dsb.pcapng", Options{})
	var got []string
	for _, n := range notes {
		if n.Kind == model.NoteQUIC || n.Kind == model.NoteTLSNoKeys && strings.HasPrefix(n.Message, "quic ") {
			got = append(got, n.Ref+" "+n.Message)
		}
	}
	if want := []string{
		" 55 UDP packets on ports other than 443 (QUIC, HTTP/3): 2 QUIC connections (to app.localhost, auth.fosite.test) not decrypted: no key log given; a key log with their secrets (SSLKEYLOGFILE, passed with --keylog or embedded in the pcapng) lets traceaudit read their HTTP/3; or start Chrome or Edge with --disable-quic to capture over TCP",
		"frame 1 quic 127.0.0.1:60162-127.0.0.1:8443: QUIC to app.localhost not decrypted (no key log): 17 packets client→server, 14 packets server→client",
		"frame 13 quic 127.0.0.1:43188-127.0.0.1:8443: QUIC to auth.fosite.test not decrypted (no key log): 14 packets client→server, 14 packets server→client",
	}; !slices.Equal(got, want) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestQUICEnds: a client's first Initial to a port other than 443 makes
// its server's datagrams QUIC both ways, from any client port (a NAT
// rebinding); other datagrams, and an Initial of an unknown version, do
// not; port 443 is QUIC as before.
func TestQUICEnds(t *testing.T) {
	initial, err := os.ReadFile(filepath.Join("quic", "testdata", "rfc9001-a2-client-initial.hex"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := hex.DecodeString(strings.Join(strings.Fields(string(initial)), ""))
	if err != nil {
		t.Fatal(err)
	}
	client, server := net.IP{192, 0, 2, 1}, net.IP{198, 51, 100, 7}
	udp := func(src, dst net.IP, sport, dport int, b []byte) (gopacket.Flow, *layers.UDP) {
		ip := layers.IPv4{SrcIP: src, DstIP: dst}
		return ip.NetworkFlow(), &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport), BaseLayer: layers.BaseLayer{Payload: b}}
	}
	var f fastPath
	steps := []struct {
		what           string
		src, dst       net.IP
		sport, dport   int
		b              []byte
		quic, toServer bool
	}{
		{"a DNS answer", server, client, 53, 40000, make([]byte, 80), false, false},
		{"an Initial of another version", client, server, 40000, 8443, append([]byte{0xc0, 0xff, 0, 0, 0x1d}, payload[5:]...), false, false},
		{"the client's Initial", client, server, 40000, 8443, payload, true, true},
		{"the server's answer", server, client, 8443, 40000, make([]byte, 40), true, false},
		{"the client from a new port", client, server, 40001, 8443, []byte{0x40, 1, 2, 3}, true, true},
		{"another port of the server", client, server, 40000, 8444, []byte{0x40, 1, 2, 3}, false, false},
		{"port 443", client, server, 40002, 443, []byte{0x40}, true, true},
		{"from port 443", server, client, 443, 40002, []byte{0x40}, true, false},
	}
	for _, s := range steps {
		flow, l := udp(s.src, s.dst, s.sport, s.dport, s.b)
		if quic, toServer := f.isQUIC(flow, l); quic != s.quic || toServer != s.toServer {
			t.Errorf("%s: QUIC %v, to the server %v", s.what, quic, toServer)
		}
	}
	if f.quic != 2 || f.ends.packets != 3 || len(f.ends.servers) != 1 {
		t.Errorf("counted %d on port 443, %d elsewhere, %d servers", f.quic, f.ends.packets, len(f.ends.servers))
	}
}
