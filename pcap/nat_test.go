package pcap

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
)

// TestTranslatedCopies reads nat-any.pcap, tcpdump -i any on a Linux
// router that DNATs the client's 192.168.77.1:8080 to the server's
// 203.0.113.80:80 and masquerades its source (a random port): each packet
// is in it twice, before and after the translation, with other addresses,
// ports and checksums. Each copy made a connection and exchanges of its
// own: one callback read as two and four token requests as eight (a
// code-reuse finding of eight redemptions). Each exchange is read once,
// as from the router's inside interface alone; the token request curl
// sent again on the same connection and then on a new one, byte for byte
// the same, stays a request of its own; a note names what was dropped.
func TestTranslatedCopies(t *testing.T) {
	exs, notes := readFile(t, "nat-any.pcap", Options{})
	var inside []rawPacket
	for _, p := range loadPackets(t, "nat-any.pcap") {
		// SLL2: the interface index at bytes 4-8; the router's inside
		// interface, 192.168.77.1, is 16 in this capture (tshark -e sll.ifindex).
		if p.linkType == linkTypeSLL2 && len(p.data) >= 8 && binary.BigEndian.Uint32(p.data[4:]) == 16 {
			inside = append(inside, p)
		}
	}
	if len(inside) == 0 {
		t.Fatal("no packet of the inside interface")
	}
	want, _ := readBytes(t, writePcapBigEndian(inside))
	if diff := cmp.Diff(h2Rows(want), h2Rows(exs)); diff != "" {
		t.Errorf("exchanges differ from the inside interface's (-want +got):\n%s", diff)
	}
	var methods []string
	for _, ex := range exs {
		methods = append(methods, ex.Request.Method+" "+target(ex.Request.URL))
	}
	wantMethods := []string{"GET /authorize", "GET /callback", "POST /token", "POST /token", "POST /token", "POST /token"}
	for i := range wantMethods {
		if i >= len(methods) || !strings.HasPrefix(methods[i], wantMethods[i]) {
			t.Fatalf("requests %q, want %q", methods, wantMethods)
		}
	}
	if len(methods) != len(wantMethods) {
		t.Fatalf("requests %q, want %q", methods, wantMethods)
	}
	text := notesText(notes)
	if len(notes) != 1 || !strings.Contains(text, "5 TCP connections captured a second time with other addresses and ports") ||
		!strings.Contains(text, "192.168.77.2:59532 -> 192.168.77.1:8080 read, 203.0.113.1:43520 -> 203.0.113.80:80 dropped") {
		t.Errorf("notes:\n%s", text)
	}
}

// TestTranslatedCopiesTwoInterfaces reads nat-two-if.pcapng, the same
// router captured by dumpcap on its two interfaces (Ethernet, one
// interface's packets written in batches after the other's): the
// authorization request, the callback and the token request once each.
func TestTranslatedCopiesTwoInterfaces(t *testing.T) {
	exs, notes := readFile(t, "nat-two-if.pcapng", Options{})
	one, _ := readFile(t, "nat-any.pcap", Options{})
	if diff := cmp.Diff(h2Rows(one[:3]), h2Rows(exs)); diff != "" {
		t.Errorf("exchanges (-want +got):\n%s", diff)
	}
	if text := notesText(notes); len(notes) != 1 || !strings.Contains(text, "3 TCP connections captured a second time") {
		t.Errorf("notes:\n%s", text)
	}
}

// TestGenuineRepeatsNotCopies reads proxy-retry-nginx-server.pcap, the lab's
// nginx retrying a form_post callback to a second app instance: the same
// POST, byte for byte, on two connections 2 s apart, each redeeming the
// code at the provider. Rewritten as a Linux cooked capture, where copies
// are looked for, it reads exactly as the Ethernet capture does: no
// request is taken for a copy of another.
func TestGenuineRepeatsNotCopies(t *testing.T) {
	want, wantNotes := readFile(t, "proxy-retry-nginx-server.pcap", Options{})
	var posts int
	for _, ex := range want {
		if ex.Request.Method == "POST" && strings.Contains(ex.Request.URL, "/callback") {
			posts++
		}
	}
	if posts != 2 {
		t.Fatalf("%d callback POSTs in the Ethernet capture, want 2", posts)
	}
	exs, notes := readBytes(t, writePcap(t, toCooked(t, loadPackets(t, "proxy-retry-nginx-server.pcap")), false))
	if diff := cmp.Diff(h2Rows(want), h2Rows(exs)); diff != "" {
		t.Errorf("exchanges differ once cooked (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(noteKinds(wantNotes), noteKinds(notes)); diff != "" {
		t.Errorf("notes differ once cooked (-want +got):\n%s", diff)
	}
}

func noteKinds(notes []model.Note) []model.NoteKind {
	var out []model.NoteKind
	for _, n := range notes {
		out = append(out, n.Kind)
	}
	return out
}

// toCooked rewrites Ethernet frames as Linux cooked (SLL, link type 113)
// packets, what tcpdump -i any writes.
func toCooked(t *testing.T, pkts []rawPacket) []rawPacket {
	t.Helper()
	out := make([]rawPacket, 0, len(pkts))
	for _, p := range pkts {
		if p.linkType != 1 || len(p.data) < 14 {
			t.Fatalf("not an Ethernet frame: link type %d, %d bytes", p.linkType, len(p.data))
		}
		hdr := make([]byte, 16, 16+len(p.data)-14)
		binary.BigEndian.PutUint16(hdr[2:], 772) // ARPHRD_LOOPBACK
		binary.BigEndian.PutUint16(hdr[4:], 6)
		copy(hdr[6:12], p.data[6:12])
		copy(hdr[14:16], p.data[12:14]) // EtherType
		p.data = append(hdr, p.data[14:]...)
		p.origLen -= 14 - 16
		p.linkType = 113
		out = append(out, p)
	}
	return out
}

// TestContainerBridgeCopies reads docker-bridge-any.pcap, tcpdump -i any
// on a host that gives a container the network Docker does (a veth on the
// bridge docker0, masqueraded on the uplink): each packet is in it three
// times, on the veth, on docker0 with the same addresses, and translated
// on the uplink. The translated copies made the callback and the token
// request count twice (code-reuse: "redeemed 2 times"). Each exchange is
// read once, as from the veth alone, and two notes count the copies.
func TestContainerBridgeCopies(t *testing.T) {
	exs, notes := readFile(t, "docker-bridge-any.pcap", Options{})
	var veth []rawPacket
	for _, p := range loadPackets(t, "docker-bridge-any.pcap") {
		// SLL2: the interface index at bytes 4-8; the container's veth,
		// the bridge port, is 30 in this capture (tshark -e sll.ifindex).
		if p.linkType == linkTypeSLL2 && len(p.data) >= 8 && binary.BigEndian.Uint32(p.data[4:]) == 30 {
			veth = append(veth, p)
		}
	}
	want, _ := readBytes(t, writePcapBigEndian(veth))
	if len(want) != 3 {
		t.Fatalf("%d exchanges on the veth alone, want 3", len(want))
	}
	if diff := cmp.Diff(h2Rows(want), h2Rows(exs)); diff != "" {
		t.Errorf("exchanges differ from the veth's (-want +got):\n%s", diff)
	}
	text := notesText(notes)
	if len(notes) != 2 || !strings.Contains(text, "3 TCP connections captured a second time with other addresses and ports") ||
		!strings.Contains(text, "172.17.0.2:56098 -> 192.0.2.80:80 read, 192.0.2.10:56098 -> 192.0.2.80:80 dropped") ||
		!strings.Contains(text, "34 TCP packets captured twice (on more than one interface) read once") {
		t.Errorf("notes:\n%s", text)
	}
}

// TestTranslatedCopiesMirrorPort reads nat-span.pcap, the same router's
// two interfaces mirrored to one Ethernet interface, as a switch's SPAN
// port does: a capture of one interface, so packets are not compared, but
// each connection's SYN is seen on both sides with the same sequence
// number, TCP timestamp and window. Main read each connection twice
// (code-reuse: "redeemed 2 times"); it is read once, as from the inside
// packets alone, and the note says how the copies were recognized.
func TestTranslatedCopiesMirrorPort(t *testing.T) {
	exs, notes := readFile(t, "nat-span.pcap", Options{})
	var inside []rawPacket
	for _, p := range loadPackets(t, "nat-span.pcap") {
		// IPv4 in Ethernet with both addresses in 192.168.77.0/24.
		if len(p.data) >= 34 && p.data[12] == 8 && p.data[13] == 0 && string(p.data[26:29]) == "\xc0\xa8\x4d" && string(p.data[30:33]) == "\xc0\xa8\x4d" {
			inside = append(inside, p)
		}
	}
	want, _ := readBytes(t, writePcap(t, inside, false))
	if len(want) != 3 {
		t.Fatalf("%d exchanges inside, want 3", len(want))
	}
	if diff := cmp.Diff(h2Rows(want), h2Rows(exs)); diff != "" {
		t.Errorf("exchanges differ from the inside packets' (-want +got):\n%s", diff)
	}
	text := notesText(notes)
	if len(notes) != 1 || !strings.Contains(text, "3 TCP connections captured a second time with other addresses and ports") ||
		!strings.Contains(text, "recognized by the same opening SYN (sequence number, TCP timestamp, window) within 250ms") {
		t.Errorf("notes:\n%s", text)
	}
}

// TestTranslatedCopiesMirrorPortNoTimestamps reads nat-span-snat.pcap: the
// mirror port of nat-span.pcap on a router that only masquerades (the
// client reaches the server's own address, as behind a home or office
// router) and a client without TCP timestamps (Windows' default;
// net.ipv4.tcp_timestamps=0 in its namespace). Each connection was read
// twice (twelve exchanges, "redeemed 8 times"): 7ce3ac3 compared only SYNs
// with a timestamp, and the copies go to the same server, so a0fd5b3's
// exchange fingerprints do not take them either. Recognized by the SYN's
// sequence number, window and options, each is read once, as from the
// inside packets; the token request curl sent again on the same
// connection and on new ones stays four requests.
func TestTranslatedCopiesMirrorPortNoTimestamps(t *testing.T) {
	exs, notes := readFile(t, "nat-span-snat.pcap", Options{})
	var inside []rawPacket
	for _, p := range loadPackets(t, "nat-span-snat.pcap") {
		// IPv4 in Ethernet from or to the client, 192.168.77.2.
		if len(p.data) >= 34 && p.data[12] == 8 && p.data[13] == 0 && (string(p.data[26:30]) == "\xc0\xa8\x4d\x02" || string(p.data[30:34]) == "\xc0\xa8\x4d\x02") {
			inside = append(inside, p)
		}
	}
	want, _ := readBytes(t, writePcap(t, inside, false))
	if len(want) != 6 {
		t.Fatalf("%d exchanges inside, want 6", len(want))
	}
	if diff := cmp.Diff(h2Rows(want), h2Rows(exs)); diff != "" {
		t.Errorf("exchanges differ from the inside packets' (-want +got):\n%s", diff)
	}
	posts := 0
	for _, ex := range exs {
		if ex.Request.Method == "POST" {
			posts++
		}
	}
	text := notesText(notes)
	if posts != 4 || len(notes) != 1 || !strings.Contains(text, "5 TCP connections captured a second time with other addresses and ports") ||
		!strings.Contains(text, "recognized by the same opening SYN (sequence number, window, and its TCP timestamp or, without one, its options) within 250ms") {
		t.Errorf("%d token requests, want 4; notes:\n%s", posts, text)
	}
}
