package pcap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
)

// relayRows is each exchange's method, path, status and server port.
func relayRows(exs []*model.Exchange) []string {
	var out []string
	for _, ex := range exs {
		path, _, _ := strings.Cut(target(ex.Request.URL), "?")
		status := 0
		if ex.Response != nil {
			status = ex.Response.Status
		}
		_, port, _ := strings.Cut(serverOf(ex.Conn), ":")
		out = append(out, fmt.Sprintf("%s %s %d :%s", ex.Request.Method, path, status, port))
	}
	return out
}

// relayNotes are the notes that name relayed copies.
func relayNotes(notes []model.Note) []string {
	var out []string
	for _, n := range notes {
		if n.Kind == model.NoteDuplicate && strings.Contains(n.Message, "copied from tcp") {
			out = append(out, n.Ref+" "+n.Message)
		}
	}
	return out
}

// TestRelayCopies reads real sign-ins (the lab's fosite and its RP, curl
// as the browser; gen-relay.sh) captured on a host whose relay listens on
// 18080 and 18443 and copies bytes to the RP on 19080 and the provider on
// 19443: socat, and HAProxy in TCP mode. Every request was in the capture
// twice, on the client's connection and on the relay's, and main read ten
// exchanges (a code redeemed twice, from one token request) where there
// were five. Each is read once, as the client sent it (to the relay's
// ports), with a note per copied connection naming both frames.
func TestRelayCopies(t *testing.T) {
	exs, notes := readFile(t, "relay-socat.pcap", Options{})
	want := []string{
		"GET /login 302 :18080",
		"GET /oauth2/auth 200 :18443",
		"POST /oauth2/auth 303 :18443",
		"GET /callback 302 :18080",
		"POST /oauth2/token 200 :18443",
	}
	if diff := cmp.Diff(want, relayRows(exs)); diff != "" {
		t.Errorf("exchanges (-want +got):\n%s", diff)
	}
	got := relayNotes(notes)
	if len(got) != 5 || !strings.HasPrefix(got[0], "frame 9 tcp 127.0.0.1:49952-127.0.0.1:19080: 1 request copied from tcp 127.0.0.1:59086-127.0.0.1:18080, the same request and response bytes each within 1s") ||
		!strings.HasSuffix(got[4], "frame 74 read, frame 79 dropped") {
		t.Errorf("relay notes:\n%s", strings.Join(got, "\n"))
	}
}

// TestRelayDoubleClickKept reads the same sign-in through HAProxy in TCP
// mode with the callback requested twice 40 ms apart (a double click): the
// RP redeemed the code twice on one keep-alive connection and fosite
// refused the second. The relay's copies go, the two callbacks and the
// two redemptions stay: the exchanges are those of the same sign-in
// recorded without a relay (relay-none-double.pcap), on the relay's
// ports. On main the capture read fourteen exchanges, four redemptions.
func TestRelayDoubleClickKept(t *testing.T) {
	exs, notes := readFile(t, "relay-haproxy-double.pcap", Options{})
	direct, _ := readFile(t, "relay-none-double.pcap", Options{})
	want := relayRows(direct)
	for i, r := range want {
		r = strings.Replace(r, ":19080", ":18080", 1)
		want[i] = strings.Replace(r, ":19443", ":18443", 1)
	}
	if diff := cmp.Diff(want, relayRows(exs)); diff != "" {
		t.Errorf("exchanges (-want: the direct recording's +got):\n%s", diff)
	}
	var tokens []string
	for _, r := range relayRows(exs) {
		if strings.HasPrefix(r, "POST /oauth2/token") || strings.HasPrefix(r, "GET /callback") {
			tokens = append(tokens, r)
		}
	}
	if diff := cmp.Diff([]string{"GET /callback 302 :18080", "POST /oauth2/token 200 :18443", "GET /callback 502 :18080", "POST /oauth2/token 400 :18443"}, tokens); diff != "" {
		t.Errorf("callbacks and redemptions (-want +got):\n%s", diff)
	}
	if got := relayNotes(notes); len(got) != 6 {
		t.Errorf("%d relay notes, want 6 (one per relayed connection):\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestRelayCopyWithoutAnswerKept drops frame 81 of relay-socat.pcap, the
// provider's 200 to the relay's copy of the token request: what is left
// looks like a reverse proxy's first attempt that got no answer before it
// retried (a second delivery, a known cause of a code redeemed twice),
// and is kept as a request of its own.
func TestRelayCopyWithoutAnswerKept(t *testing.T) {
	var pkts []rawPacket
	for i, p := range loadPackets(t, "relay-socat.pcap") {
		if i+1 != 81 {
			pkts = append(pkts, p)
		}
	}
	exs, notes := readBytes(t, writePcapBigEndian(pkts))
	want := []string{
		"GET /login 302 :18080",
		"GET /oauth2/auth 200 :18443",
		"POST /oauth2/auth 303 :18443",
		"GET /callback 302 :18080",
		"POST /oauth2/token 200 :18443",
		"POST /oauth2/token 0 :19443",
	}
	if diff := cmp.Diff(want, relayRows(exs)); diff != "" {
		t.Errorf("exchanges (-want +got):\n%s", diff)
	}
	if got := relayNotes(notes); len(got) != 4 {
		t.Errorf("%d relay notes, want 4:\n%s", len(got), strings.Join(got, "\n"))
	}
}

// TestRelayTLSNotDecryptedOnce reads relay-nginx-tls.pcapng without its
// keys: nginx's stream module passed each TLS connection through, so each
// session was in the capture twice and main noted six connections not
// decrypted (and scan counted six) where the client made three. The
// relay's connection repeats its client's ClientHello byte for byte (32
// random bytes no other connection has): it is noted once as relayed,
// naming the connection whose note counts.
func TestRelayTLSNotDecryptedOnce(t *testing.T) {
	_, notes := readFile(t, "relay-nginx-tls.pcapng", Options{})
	var noKeys, relayed []string
	for _, n := range notes {
		switch {
		case n.Kind == model.NoteTLSNoKeys:
			noKeys = append(noKeys, n.Conn)
		case n.Kind == model.NoteDuplicate && strings.Contains(n.Message, "(the same ClientHello"):
			relayed = append(relayed, n.Message)
		}
	}
	if len(noKeys) != 3 || len(relayed) != 3 {
		t.Fatalf("tls-no-keys on %q, relayed TLS notes %q; want 3 and 3", noKeys, relayed)
	}
	for i, c := range noKeys {
		if !strings.HasSuffix(c, ":18443") || !strings.Contains(relayed[i], ":19443: TLS to auth.fosite.test relayed from tcp "+c+" ") {
			t.Errorf("connection %s not decrypted; relayed note %q", c, relayed[i])
		}
	}
}

// modulated rewrites the IPv4 TCP packets in Ethernet from addr with
// their sequence numbers moved by delta, and those to addr with their
// acknowledgment numbers moved back, as a NAT that rewrites sequence
// numbers (pf's "modulate state", a firewall's sequence randomization)
// does on its outside; checksums are not fixed (not read).
func modulated(t *testing.T, pkts []rawPacket, addr string, delta uint32) []rawPacket {
	t.Helper()
	out := make([]rawPacket, 0, len(pkts))
	for _, p := range pkts {
		d := bytes.Clone(p.data)
		if len(d) >= 34 && d[12] == 8 && d[13] == 0 && d[23] == 6 {
			tcp := 14 + int(d[14]&0x0f)*4
			if len(d) >= tcp+20 {
				if string(d[26:30]) == addr {
					binary.BigEndian.PutUint32(d[tcp+4:], binary.BigEndian.Uint32(d[tcp+4:])+delta)
				}
				if string(d[30:34]) == addr && d[tcp+13]&0x10 != 0 {
					binary.BigEndian.PutUint32(d[tcp+8:], binary.BigEndian.Uint32(d[tcp+8:])-delta)
				}
			}
		}
		p.data = d
		out = append(out, p)
	}
	return out
}

// TestMirrorPortSequenceRewritten reads nat-span.pcap (a mirror port that
// copies both sides of a NAT router into one Ethernet capture) with the
// outside's sequence numbers rewritten, as a NAT that modulates them
// would: 7ce3ac3 recognized the copies by their SYN's sequence number and
// timestamp, and each connection was read twice. The translation sends
// the client's 192.168.77.1:8080 to 203.0.113.80:80, so each exchange's
// copy is on a connection to another server, with the same request and
// response bytes: read once (a0fd5b3's fingerprints), as from the inside.
func TestMirrorPortSequenceRewritten(t *testing.T) {
	pkts := modulated(t, loadPackets(t, "nat-span.pcap"), "\xcb\x00\x71\x01", 0x9e3779b9)
	exs, notes := readBytes(t, writePcap(t, pkts, false))
	var inside []rawPacket
	for _, p := range pkts {
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
	if got := relayNotes(notes); len(got) != 3 || len(notes) != 3 {
		t.Errorf("notes:\n%s", notesText(notes))
	}
}

// TestRelayCopiesBounded hands relayCopies 50,000 exchanges with the same
// request and response, each on a connection of its own to one of seven
// servers, 10 µs apart (hostile input: every one is a candidate for every
// later one): what it keeps stays within its bounds and the notes are
// capped.
func TestRelayCopiesBounded(t *testing.T) {
	var c relayCopies
	start := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	dropped := 0
	for i := range 50000 {
		ex := &model.Exchange{
			Start:    start.Add(time.Duration(i) * 10 * time.Microsecond),
			Conn:     fmt.Sprintf("10.0.%d.%d:%d-10.1.0.%d:80", i>>16&0xff, i>>8&0xff, 1024+i&0xff, i%7),
			Request:  model.Request{Method: "GET", URL: "http://a.test/", Proto: "HTTP/1.1"},
			Response: &model.Response{Status: 200, Proto: "HTTP/1.1"},
		}
		if c.copied(ex, i+1) {
			dropped++
		}
	}
	if len(c.ring) > relaySlots || len(c.byFP) > relaySlots || len(c.copyOf) > maxRelayConns || len(c.hasCopy) > maxRelayConns ||
		len(c.edges) > maxRelayConns || len(c.conns) > maxRelayNotes {
		t.Errorf("kept %d candidates, %d fingerprints, %d/%d connection marks, %d directions, %d noted connections",
			len(c.ring), len(c.byFP), len(c.copyOf), len(c.hasCopy), len(c.edges), len(c.conns))
	}
	if n := len(c.notes()); dropped == 0 || n > maxRelayNotes+1 {
		t.Errorf("%d dropped, %d notes", dropped, n)
	}
}

// TestRelayTwoInterfaces reads relay-socat-twoif-double.pcapng: the double
// click with curl in a network namespace reaching socat over a veth pair,
// socat's connections to the RP and the provider on lo, and dumpcap
// capturing both interfaces into one pcapng file, which it writes in
// batches: the first requests' relayed side (lo) comes before the
// client's (the veth) in the file, though later in time. Each request is
// read once, as first in the file, whichever side that is: the exchanges
// are those of the direct recording (relay-none-double.pcap) by method,
// path and status (the two callbacks raced in another order here), where
// main read fourteen.
func TestRelayTwoInterfaces(t *testing.T) {
	exs, notes := readFile(t, "relay-socat-twoif-double.pcapng", Options{})
	direct, _ := readFile(t, "relay-none-double.pcap", Options{})
	rows := func(exs []*model.Exchange) []string {
		var out []string
		for _, r := range relayRows(exs) {
			out = append(out, r[:strings.LastIndexByte(r, ' ')])
		}
		slices.Sort(out)
		return out
	}
	if diff := cmp.Diff(rows(direct), rows(exs)); diff != "" {
		t.Errorf("exchanges (-want: the direct recording's +got):\n%s", diff)
	}
	got := relayNotes(notes)
	if len(got) != 7 || !strings.HasPrefix(got[0], "frame 35 tcp 127.0.0.1:49614-127.0.0.1:19080: 1 request copied from tcp 10.77.0.2:43784-10.77.0.1:18080") ||
		!strings.HasSuffix(got[0], "frame 13 read, frame 35 dropped") {
		t.Errorf("relay notes:\n%s", strings.Join(got, "\n"))
	}
}
