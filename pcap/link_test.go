package pcap

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// TestLinkLayers re-encapsulates get.pcap's Ethernet frames in every link
// layer and tunnel the reader supports; the exchange must stay the same.
func TestLinkLayers(t *testing.T) {
	pkts := loadPackets(t, "get.pcap")
	base, _ := readBytes(t, writePcap(t, pkts, false))
	if len(base) != 1 {
		t.Fatalf("baseline: %v", summary(base))
	}
	ipOf := func(frame []byte) []byte { return frame[14:] } // get.pcap is untagged Ethernet

	rewrap := func(linkType uint32, f func(ip []byte) []byte) []rawPacket {
		out := make([]rawPacket, len(pkts))
		for i, p := range pkts {
			data := f(ipOf(p.data))
			out[i] = rawPacket{data: data, ts: p.ts, origLen: len(data), linkType: linkType}
		}
		return out
	}
	le := binary.LittleEndian
	be := binary.BigEndian
	cases := map[string][]rawPacket{
		"raw IPv4 (101)": rewrap(101, func(ip []byte) []byte { return bytes.Clone(ip) }),
		"IPv4 (228)":     rewrap(228, func(ip []byte) []byte { return bytes.Clone(ip) }),
		"BSD raw (12)":   rewrap(12, func(ip []byte) []byte { return bytes.Clone(ip) }),
		"null (0)": rewrap(0, func(ip []byte) []byte {
			return append(le.AppendUint32(nil, 2), ip...) // AF_INET, host order
		}),
		"loop (108)": rewrap(108, func(ip []byte) []byte {
			return append(be.AppendUint32(nil, 2), ip...)
		}),
		"Linux SLL (113)": rewrap(113, func(ip []byte) []byte {
			h := make([]byte, 16)
			be.PutUint16(h[2:], 1) // ARPHRD_ETHER
			be.PutUint16(h[4:], 6)
			be.PutUint16(h[14:], 0x0800)
			return append(h, ip...)
		}),
		"Linux SLL2 (276)": rewrap(276, func(ip []byte) []byte {
			h := make([]byte, 20)
			be.PutUint16(h, 0x0800)
			be.PutUint16(h[8:], 1)
			h[11] = 6
			return append(h, ip...)
		}),
		"NFLOG (239)": rewrap(239, func(ip []byte) []byte {
			h := []byte{2, 0, 0, 0}                                   // AF_INET, version 0, resource 0
			h = append(h, 8, 0, 1, 0, 0x08, 0x00, 3, 0)               // NFULA_PACKET_HDR
			h = append(h, le.AppendUint16(nil, uint16(4+len(ip)))...) // NFULA_PAYLOAD
			h = append(h, 9, 0)
			h = append(h, ip...)
			for len(h)%4 != 0 {
				h = append(h, 0)
			}
			return h
		}),
		"802.1Q QinQ (1)": rewrap(1, func(ip []byte) []byte {
			h := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00}
			return append(h, ip...)
		}),
		"VXLAN (1)": rewrap(1, func(ip []byte) []byte {
			inner := append([]byte{2, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0, 3, 0x08, 0x00}, ip...)
			return vxlan(t, inner)
		}),
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			exs, notes := readBytes(t, writePcapBigEndian(c)) // pcapgo cannot write link types above 255
			if len(exs) != 1 || exs[0].Ref != base[0].Ref || exs[0].Request.URL != base[0].Request.URL || exs[0].Conn != base[0].Conn ||
				exs[0].Response == nil || len(exs[0].Response.Body.Data) != len(base[0].Response.Body.Data) {
				t.Errorf("got %v, want %v; notes %v", summary(exs), summary(base), notes)
			}
		})
	}
}

// vxlan wraps an inner Ethernet frame in Ethernet/IPv4/UDP 4789/VXLAN.
func vxlan(t *testing.T, inner []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 9}, DstMAC: []byte{2, 0, 0, 0, 0, 8}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: []byte{192, 168, 0, 1}, DstIP: []byte{192, 168, 0, 2}}
	udp := &layers.UDP{SrcPort: 40000, DstPort: 4789}
	udp.SetNetworkLayerForChecksum(ip)
	vx := []byte{0x08, 0, 0, 0, 0, 0, 42, 0} // flags: VNI present; VNI 42
	buf := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload(append(vx, inner...)))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// TestIPv4Fragments splits the request packet into two IP fragments.
func TestIPv4Fragments(t *testing.T) {
	pkts := loadPackets(t, "get.pcap")
	var out []rawPacket
	for i, p := range pkts {
		if i != 3 { // frame 4 carries the request
			out = append(out, p)
			continue
		}
		out = append(out, splitIPv4(p, 64)...)
	}
	exs, notes := readBytes(t, writePcap(t, out, false))
	// The request is reassembled in the second fragment: frame 5.
	if len(exs) != 1 || exs[0].Ref != "frame 5" || exs[0].Request.URL != "http://bro.org/download/CHANGES.bro-aux.txt" || exs[0].Response == nil {
		t.Errorf("got %v; notes %v", summary(exs), notes)
	}
}

// splitIPv4 splits an Ethernet frame's IPv4 packet into two fragments, the
// first carrying cut bytes of its payload (a multiple of 8).
func splitIPv4(p rawPacket, cut int) []rawPacket {
	ip := p.data[14:]
	ihl := int(ip[0]&0x0f) * 4
	total := int(be16(ip[2:]))
	payload := ip[ihl:total]
	var out []rawPacket
	for k, part := range [][]byte{payload[:cut], payload[cut:]} {
		h := bytes.Clone(ip[:ihl])
		binary.BigEndian.PutUint16(h[2:], uint16(ihl+len(part)))
		off := uint16(0)
		if k == 1 {
			off = uint16(cut / 8)
		} else {
			off |= 0x2000 // more fragments
		}
		binary.BigEndian.PutUint16(h[6:], off)
		h[10], h[11] = 0, 0
		data := append(bytes.Clone(p.data[:14]), append(h, part...)...)
		out = append(out, rawPacket{data: data, ts: p.ts, origLen: len(data), linkType: p.linkType})
	}
	return out
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }

// TestQUICNote: UDP on port 443 is QUIC, which hides HTTP/3; the reader
// says so instead of staying silent.
func TestQUICNote(t *testing.T) {
	pkts := loadPackets(t, "get.pcap")
	eth := &layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 9}, DstMAC: []byte{2, 0, 0, 0, 0, 8}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: []byte{192, 168, 0, 1}, DstIP: []byte{20, 190, 151, 7}}
	udp := &layers.UDP{SrcPort: 50000, DstPort: 443}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload([]byte{0xc3, 0, 0, 0, 1})); err != nil {
		t.Fatal(err)
	}
	quic := rawPacket{data: bytes.Clone(buf.Bytes()), ts: pkts[0].ts, origLen: len(buf.Bytes()), linkType: 1}
	exs, notes := readBytes(t, writePcap(t, append([]rawPacket{quic, quic}, pkts...), false))
	if len(exs) != 1 || exs[0].Ref != "frame 6" {
		t.Errorf("got %v", summary(exs))
	}
	var found bool
	for _, n := range notes {
		found = found || n.Kind == "quic" && strings.HasPrefix(n.Message, "2 UDP packets on port 443")
	}
	if !found {
		t.Errorf("no quic note: %v", notes)
	}
}

// TestIPv6Fragments splits test_loopback.pcap's first request (IPv6 over
// BSD loopback) into two IPv6 fragments, sent in reverse order.
func TestIPv6Fragments(t *testing.T) {
	pkts := loadPackets(t, "test_loopback.pcap")
	base, _ := readBytes(t, writePcap(t, pkts, false))
	var out []rawPacket
	for i, p := range pkts {
		if i != 0 { // frame 1 carries the first request
			out = append(out, p)
			continue
		}
		lo, ip := p.data[:4], p.data[4:]
		if ip[0]>>4 != 6 || ip[6] != 6 {
			t.Fatalf("frame 1 is not IPv6/TCP")
		}
		payload := ip[40:]
		cut := 96 // a multiple of 8
		var frags [][]byte
		for k, part := range [][]byte{payload[:cut], payload[cut:]} {
			h := bytes.Clone(ip[:40])
			h[6] = 44 // Fragment header follows
			binary.BigEndian.PutUint16(h[4:], uint16(8+len(part)))
			fh := make([]byte, 8)
			fh[0] = 6 // then TCP
			off := uint16(0)
			if k == 1 {
				off = uint16(cut/8) << 3
			} else {
				off = 1 // more fragments
			}
			binary.BigEndian.PutUint16(fh[2:], off)
			binary.BigEndian.PutUint32(fh[4:], 0xbeef)
			data := append(append(append(bytes.Clone(lo), h...), fh...), part...)
			frags = append(frags, data)
		}
		for _, f := range [][]byte{frags[1], frags[0]} {
			out = append(out, rawPacket{data: f, ts: p.ts, origLen: len(f), linkType: p.linkType})
		}
	}
	exs, notes := readBytes(t, writePcap(t, out, false))
	// The request is whole with its second fragment (first in the file):
	// frame 2; the others shift by one.
	if len(exs) != len(base) || exs[0].Ref != "frame 2" || exs[0].Request.URL != base[0].Request.URL || exs[0].Response == nil ||
		len(exs[0].Response.Body.Data) != len(base[0].Response.Body.Data) {
		t.Errorf("got %v, want %v; notes %v", summary(exs), summary(base), notes)
	}
	if hasNote(notes, "unsupported") {
		t.Errorf("notes: %v", notes)
	}
}

// TestWiFi wraps get.pcap's IP packets in radiotap + 802.11 data frames
// with LLC/SNAP, as a monitor-mode capture of an open network has them.
func TestWiFi(t *testing.T) {
	pkts := loadPackets(t, "get.pcap")
	base, _ := readBytes(t, writePcap(t, pkts, false))
	var out []rawPacket
	for _, p := range pkts {
		radiotap := []byte{0, 0, 8, 0, 0, 0, 0, 0} // version, pad, length 8, no fields
		dot11 := []byte{0x08, 0x01, 0, 0,          // data frame, to DS; duration
			2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 3, // three addresses
			0, 0} // sequence control
		llc := []byte{0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00}
		data := append(append(append(radiotap, dot11...), llc...), p.data[14:]...)
		out = append(out, rawPacket{data: data, ts: p.ts, origLen: len(data), linkType: 127})
	}
	exs, notes := readBytes(t, writePcapBigEndian(out))
	if len(exs) != 1 || exs[0].Request.URL != base[0].Request.URL || exs[0].Response == nil ||
		len(exs[0].Response.Body.Data) != len(base[0].Response.Body.Data) {
		t.Errorf("got %v, want %v; notes %v", summary(exs), summary(base), notes)
	}
}

// TestMirrorTunnels carries get.pcap's Ethernet frames in the outer headers of
// the first frame of Zeek's erspanI.pcap, erspanII.pcap and
// erspanIII.pcap (Ethernet, IPv4, GRE and the ERSPAN header of each
// type, copied as captured; the outer IPv4 length set to the new size):
// mirrored traffic as a Cisco switch or a cloud's packet mirroring sends
// it; and of geneve.pcap (UDP 6081 with an 8-byte option, as AWS's
// Gateway Load Balancer sends traffic to appliances). The captures
// themselves carry only ICMP. gopacket reads ERSPAN types I and III wrong
// or not at all, and the fast path dropped Geneve's UDP: the exchange was
// lost.
func TestMirrorTunnels(t *testing.T) {
	pkts := loadPackets(t, "get.pcap")
	base, _ := readBytes(t, writePcap(t, pkts, false))
	for _, c := range []struct {
		file  string
		inner int // where the mirrored frame starts
	}{{"zeek/erspanI.pcap", 38}, {"zeek/erspanII.pcap", 50}, {"zeek/erspanIII.pcap", 54}, {"zeek/geneve.pcap", 58}} {
		t.Run(c.file, func(t *testing.T) {
			outer := loadPackets(t, c.file)[0].data[:c.inner]
			var out []rawPacket
			for _, p := range pkts {
				d := append(bytes.Clone(outer), p.data...)
				binary.BigEndian.PutUint16(d[16:], uint16(len(d)-14))
				if d[14+9] == 17 { // UDP: its length too (the checksum is 0)
					binary.BigEndian.PutUint16(d[38:], uint16(len(d)-34))
				}
				out = append(out, rawPacket{data: d, ts: p.ts, origLen: len(d), linkType: 1})
			}
			exs, notes := readBytes(t, writePcap(t, out, false))
			if len(exs) != 1 || exs[0].Request.URL != base[0].Request.URL || exs[0].Response == nil ||
				len(exs[0].Response.Body.Data) != len(base[0].Response.Body.Data) {
				t.Errorf("got %v, want %v; notes %v", summary(exs), summary(base), notes)
			}
		})
	}
}

// TestIPv4FragmentsBounded gives the decoder 5,000 first fragments of
// get.pcap's request packet, each of a datagram of its own (Identification
// 1 to 5,000) whose other fragments never come: it holds at most
// ip4MaxPending of them, and counts every one given up. Before, each
// stayed in the defragmenter until the end of the capture.
func TestIPv4FragmentsBounded(t *testing.T) {
	p := loadPackets(t, "get.pcap")[3]
	d := newDecoder()
	for id := 1; id <= 5000; id++ {
		data := bytes.Clone(p.data)
		ip := data[14:]
		ihl := int(ip[0]&0x0f) * 4
		binary.BigEndian.PutUint16(ip[2:], uint16(ihl+64))
		binary.BigEndian.PutUint16(ip[4:], uint16(id))
		binary.BigEndian.PutUint16(ip[6:], 0x2000) // more fragments, offset 0
		data = data[:14+ihl+64]
		if _, ok := d.decode(&packet{data: data, linkType: 1, ts: p.ts, frame: id}); ok {
			t.Fatalf("fragment %d gave a segment", id)
		}
		if len(d.ip4) > ip4MaxPending {
			t.Fatalf("%d datagrams pending after %d fragments", len(d.ip4), id)
		}
	}
	notes := d.notes()
	if len(notes) != 1 || notes[0].Message != "5000 IPv4 datagrams could not be reassembled from their fragments" {
		t.Errorf("notes %v", notes)
	}
}

// TestPPPoEOverQinQ reads Zeek's pppoe-over-qinq.pcap: a PPPoE session
// inside two VLAN tags carrying TLS. The connection is reassembled and
// named by its ClientHello's SNI.
func TestPPPoEOverQinQ(t *testing.T) {
	_, notes := readFile(t, "zeek/pppoe-over-qinq.pcap", Options{})
	found := false
	for _, n := range notes {
		found = found || n.Kind == "tls-no-keys" && n.Host == "xp.apple.com" && strings.Contains(n.Message, "11352 bytes client→server")
	}
	if !found {
		t.Errorf("no note of the TLS connection to xp.apple.com: %v", notes)
	}
}

// TestIPv6HopByHop reads Zeek's ipv6-http-atomic-frag.pcap, whose packets
// carry destination options and fragment headers, with each destination
// options header made a hop-by-hop options header (the same format: only
// the IPv6 next-header field changes): the same requests are read.
func TestIPv6HopByHop(t *testing.T) {
	pkts := loadPackets(t, "zeek/ipv6-http-atomic-frag.pcap")
	base, _ := readBytes(t, writePcap(t, pkts, false))
	changed := 0
	var out []rawPacket
	for _, p := range pkts {
		d := bytes.Clone(p.data)
		if be16(d[12:]) == 0x86dd && d[14+6] == 60 {
			d[14+6] = 0
			changed++
		}
		out = append(out, rawPacket{data: d, ts: p.ts, origLen: p.origLen, linkType: p.linkType})
	}
	exs, notes := readBytes(t, writePcap(t, out, false))
	if changed == 0 || len(base) == 0 || strings.Join(summary(exs), "\n") != strings.Join(summary(base), "\n") {
		t.Errorf("%d headers changed; got %v, want %v; notes %v", changed, summary(exs), summary(base), notes)
	}
}
