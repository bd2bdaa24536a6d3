package pcap

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// Real DNS messages (the UDP payloads), recorded with tcpdump while a
// resolver answered getent's lookups of proxy.golang.org and
// deb.debian.org: queries, two answers for one address, and an AAAA
// answer with no record.
var (
	dnsQuery       = mustHex("cee7010000010000000000000570726f787906676f6c616e67036f72670000010001")
	dnsAnswerGo    = mustHex("cee7818000010001000000000570726f787906676f6c616e67036f72670000010001c00c000100010000003c0004cb007150")
	dnsAnswerDeb   = mustHex("fbef81800001000100000000036465620664656269616e036f72670000010001c00c000100010000003c0004cb007150")
	dnsAnswerEmpty = mustHex("70eb81800001000000000000036465620664656269616e036f726700001c0001")
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

type dnsRecord struct {
	addr netip.Addr
	name string
}

func answersOf(b []byte) ([]dnsRecord, bool) {
	var got []dnsRecord
	_, ok := dnsAnswers(b, func(a netip.Addr, name string) { got = append(got, dnsRecord{a, name}) })
	return got, ok
}

func TestDNSAnswers(t *testing.T) {
	got, ok := answersOf(dnsAnswerGo)
	if !ok || len(got) != 1 || got[0].name != "proxy.golang.org" || got[0].addr != netip.MustParseAddr("203.0.113.80") {
		t.Errorf("answer = %v, %v", got, ok)
	}
	if got, ok := answersOf(dnsAnswerEmpty); !ok || len(got) != 0 {
		t.Errorf("empty answer = %v, %v", got, ok)
	}
	// An AAAA record, and a name in capitals, as the question wrote it.
	aaaa := append([]byte{}, dnsAnswerEmpty...)
	aaaa[7] = 1 // one answer
	aaaa[13] = 'D'
	aaaa = append(aaaa, 0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16)
	aaaa = append(aaaa, netip.MustParseAddr("2001:db8::80").AsSlice()...)
	if got, ok := answersOf(aaaa); !ok || len(got) != 1 || got[0].name != "deb.debian.org" || got[0].addr != netip.MustParseAddr("2001:db8::80") {
		t.Errorf("AAAA answer = %v, %v", got, ok)
	}
	// Not answers: a query, a refusal (NXDOMAIN), cut or looping messages.
	nx := append([]byte{}, dnsAnswerGo...)
	nx[3] |= 3
	loop := append([]byte{}, dnsAnswerGo...)
	loop[12] = 0xc0 // the question's name points at itself
	loop[13] = 12
	forward := append([]byte{}, dnsAnswerGo...)
	forward[len(forward)-16], forward[len(forward)-15] = 0xc0, byte(len(forward)-1)
	for name, b := range map[string][]byte{
		"query": dnsQuery, "nxdomain": nx, "loop": loop, "forward pointer": forward,
		"cut rdata": dnsAnswerGo[:len(dnsAnswerGo)-1], "cut header": dnsAnswerGo[:11], "empty": nil,
	} {
		if got, _ := answersOf(b); len(got) != 0 {
			t.Errorf("%s: answers %v", name, got)
		}
	}
}

// A note about a connection whose server no note names takes the name a
// DNS answer gives its address, and says so; an address two names share,
// a note that names its server and a connection to another address keep
// what they had.
func TestDNSNamesNotes(t *testing.T) {
	var d dnsNames
	d.record(dnsAnswerGo, 2)
	notes := []model.Note{
		{Kind: model.NoteTLSNoHandshake, Conn: "192.0.2.2:33582-203.0.113.80:443", Message: "m"},
		{Kind: model.NoteTLSNoKeys, Conn: "192.0.2.2:33583-203.0.113.80:443", Host: "sni.example", Message: "m"},
		{Kind: model.NoteTLSNoKeys, Conn: "192.0.2.2:33584-198.51.100.7:443", Message: "m"},
		{Kind: model.NoteGap, Conn: "[2001:db8::2]:33585-[2001:db8::80]:443", Message: "m"},
	}
	d.nameNotes(notes, nil)
	if notes[0].Host != "proxy.golang.org" || !strings.Contains(notes[0].Message, "the DNS answer at frame 2") {
		t.Errorf("named note = %+v", notes[0])
	}
	if notes[1].Host != "sni.example" || notes[1].Message != "m" || notes[2].Host != "" || notes[3].Host != "" {
		t.Errorf("notes changed: %+v", notes[1:])
	}
	// An address two names share names nothing, and the note says which
	// names and why; unless the capture's other connections to it named
	// one of them (an SNI, a Host header).
	d.record(dnsAnswerDeb, 5)
	notes[0].Host, notes[0].Message = "", "m"
	d.nameNotes(notes, nil)
	if notes[0].Host != "" || notes[0].Message != "m (the server is not named: the DNS answers give this address 2 names (proxy.golang.org at frame 2, deb.debian.org at frame 5), and which one this connection used cannot be told)" {
		t.Errorf("an address of two names: %+v", notes[0])
	}
	notes[0].Host, notes[0].Message = "", "m"
	d.nameNotes(notes, map[netip.Addr][]string{netip.MustParseAddr("203.0.113.80"): {"sni.example", "deb.debian.org"}})
	if notes[0].Host != "deb.debian.org" || !strings.Contains(notes[0].Message, "deb.debian.org is the one the capture's other connections to it named") {
		t.Errorf("an address of two names, one named by another connection: %+v", notes[0])
	}
}

// FuzzDNSAnswers parses arbitrary DNS messages: no panic, and every record
// given has an address and a bounded name.
func FuzzDNSAnswers(f *testing.F) {
	for _, b := range [][]byte{dnsQuery, dnsAnswerGo, dnsAnswerDeb, dnsAnswerEmpty} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dnsAnswers(b, func(a netip.Addr, name string) {
			if !a.IsValid() || name == "" || len(name) > 253 {
				t.Fatalf("record %v %q", a, name)
			}
		})
		var d dnsNames
		d.record(b, 1)
		if len(d.byAddr) > maxDNSAddrs {
			t.Fatalf("%d addresses kept", len(d.byAddr))
		}
	})
}

// TestDNSOverTCP reads dns-tcp-tls.pcap (recorded here: dig +tcp asking
// dnsmasq for login.example.test and static.example.test on one TCP
// connection, both 127.0.0.1, and over UDP for app.example.test; then
// curl to https://127.0.0.1:18443, no SNI, and to login.example.test
// there, SNI login.example.test, without keys). Answers over TCP were not
// read, so the first connection's server stayed unnamed. Both names give
// the address; the second connection named login.example.test, so that is
// the first's too. Without frame 9 (static's answer) the one name names
// it; without the second connection nothing tells, and the note says so.
func TestDNSOverTCP(t *testing.T) {
	pkts := loadPackets(t, "dns-tcp-tls.pcap")
	const conn = "127.0.0.1:50968-127.0.0.1:18443"
	noteOf := func(notes []model.Note) *model.Note {
		for i, n := range notes {
			if n.Conn == conn && n.Kind == model.NoteTLSNoKeys {
				return &notes[i]
			}
		}
		t.Fatalf("no tls-no-keys note for %s:\n%s", conn, notesText(notes))
		return nil
	}
	var secondConn []int
	for i := 33; i < 53; i++ { // frames 34-53: port 50974
		secondConn = append(secondConn, i+1)
	}
	for _, tc := range []struct {
		name       string
		pkts       []rawPacket
		host, text string
	}{
		{"as captured", pkts, "login.example.test", "(the server is login.example.test: the DNS answers give this address 2 names (login.example.test at frame 6, static.example.test at frame 9), and login.example.test is the one the capture's other connections to it named)"},
		{"without frame 9", without(pkts, 9), "login.example.test", "(the server is login.example.test: the DNS answer at frame 6 gives it this address)"},
		{"without the SNI connection", without(pkts, secondConn...), "", "(the server is not named: the DNS answers give this address 2 names (login.example.test at frame 6, static.example.test at frame 9), and which one this connection used cannot be told)"},
	} {
		_, notes := readBytes(t, writePcap(t, tc.pkts, false))
		n := noteOf(notes)
		if n.Host != tc.host || !strings.HasSuffix(n.Message, tc.text) {
			t.Errorf("%s: host %q, message %q; want %q and a message ending %q", tc.name, n.Host, n.Message, tc.host, tc.text)
		}
	}
}

// FuzzDNSStream frames arbitrary DNS-over-TCP streams: fed in pieces of
// any size it hands out the same messages as fed whole, each one the
// bytes after its two-byte length, back to back from the stream's start.
func FuzzDNSStream(f *testing.F) {
	f.Add(append([]byte{0, byte(len(dnsAnswerGo))}, dnsAnswerGo...), 1)
	f.Add(append(append([]byte{0, byte(len(dnsAnswerGo))}, dnsAnswerGo...), append([]byte{0, byte(len(dnsAnswerDeb))}, dnsAnswerDeb...)...), 7)
	f.Add([]byte{0xff, 0xff, 1, 2, 3}, 2)
	f.Fuzz(func(t *testing.T, stream []byte, step int) {
		if step < 1 {
			step = 1 + (-step)&63
		}
		var whole, split msgs
		(&dnsStream{}).feed(stream, 1, &whole)
		s := &dnsStream{}
		for i := 0; i < len(stream); i += step {
			s.feed(stream[i:min(len(stream), i+step)], 1+i/step, &split)
		}
		if len(whole.got) != len(split.got) {
			t.Fatalf("%d messages whole, %d in pieces of %d", len(whole.got), len(split.got), step)
		}
		off := 0
		for i, m := range whole.got {
			if !bytes.Equal(m, split.got[i]) {
				t.Fatalf("message %d differs in pieces", i)
			}
			if off+2+len(m) > len(stream) || int(stream[off])<<8|int(stream[off+1]) != len(m) || !bytes.Equal(stream[off+2:off+2+len(m)], m) {
				t.Fatalf("message %d is not the stream's at byte %d", i, off)
			}
			off += 2 + len(m)
		}
		if len(stream)-off >= 2 && len(stream)-off-2 >= int(stream[off])<<8|int(stream[off+1]) {
			t.Fatalf("a whole message at byte %d not handed out", off)
		}
	})
}

type msgs struct{ got [][]byte }

func (m *msgs) dnsAnswer(b []byte, _ int) { m.got = append(m.got, bytes.Clone(b)) }
