package pcap

import (
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
	d.nameNotes(notes)
	if notes[0].Host != "proxy.golang.org" || !strings.Contains(notes[0].Message, "the DNS answer at frame 2") {
		t.Errorf("named note = %+v", notes[0])
	}
	if notes[1].Host != "sni.example" || notes[1].Message != "m" || notes[2].Host != "" || notes[3].Host != "" {
		t.Errorf("notes changed: %+v", notes[1:])
	}
	d.record(dnsAnswerDeb, 5)
	notes[0].Host, notes[0].Message = "", "m"
	d.nameNotes(notes)
	if notes[0].Host != "" || notes[0].Message != "m" {
		t.Errorf("an address of two names named the note: %+v", notes[0])
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
