package tlsdec_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/tlsdec"
)

// These tests read real TLS captures with packets moved, dropped or cut
// the way captures of customers' machines hold them.

type packet struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// packets reads a pcap or pcapng fixture's packets and link type.
func packets(t *testing.T, name string) ([]packet, layers.LinkType) {
	t.Helper()
	raw, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	type source interface {
		ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	}
	var src source
	var lt layers.LinkType
	if r, err := pcapgo.NewReader(bytes.NewReader(raw)); err == nil {
		src, lt = r, r.LinkType()
	} else {
		ng, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		src, lt = ng, ng.LinkType()
	}
	var out []packet
	for {
		data, ci, err := src.ReadPacketData()
		if err == io.EOF {
			return out, lt
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, packet{ci, bytes.Clone(data)})
	}
}

// moved is ps with frame from (1-based) taken out and put back after
// frame after.
func moved(ps []packet, from, after int) []packet {
	p := ps[from-1]
	rest := append(append([]packet(nil), ps[:from-1]...), ps[from:]...)
	i := after
	if after > from {
		i--
	}
	return append(append(append([]packet(nil), rest[:i]...), p), rest[i:]...)
}

// readPackets reads ps as a pcap file, decrypting with keys.
func readPackets(t *testing.T, ps []packet, lt layers.LinkType, keys *tlsdec.KeyLog) ([]*model.Exchange, []model.Note) {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriterNanos(&buf)
	if err := w.WriteFileHeader(262144, lt); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		ci := p.ci
		ci.CaptureLength = len(p.data)
		if err := w.WritePacket(ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	r, err := pcap.NewReader(&buf, pcap.Options{Decrypter: tlsdec.NewDecrypter(keys).StreamDecrypter()})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return exs, r.Notes()
}

// embeddedKeys are the secrets a pcapng fixture carries.
func embeddedKeys(t *testing.T, name string) *tlsdec.KeyLog {
	t.Helper()
	f, err := os.Open(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	keys, _, err := tlsdec.KeysForCapture(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func noteLines(notes []model.Note) string {
	var b strings.Builder
	for _, n := range notes {
		b.WriteString(string(n.Kind) + " " + n.Ref + " " + n.Message + "\n")
	}
	return b.String()
}

// TestHandshakeCapturedOutOfOrder reads http-chunked-ssl.pcapng (TLS 1.2,
// GET /test.php answered 200 with a 32,611-byte chunked body) with the
// two directions' handshake packets captured out of order, as captures
// on a busy host or of two interfaces show them:
//
//   - the client's ClientKeyExchange, ChangeCipherSpec and Finished (frame
//     11) before the ServerHello (frame 6): the ChangeCipherSpec was
//     dropped for want of a ServerHello, so the client's records were
//     never taken for encrypted, and the request was skipped with no note;
//   - the ServerHello (frames 5-6) before the ClientHello (frame 4): the
//     server's bytes came before any client byte and were dropped, and the
//     connection was reported as having no ServerHello.
//
// Either way the exchange must read as in the capture in order.
func TestHandshakeCapturedOutOfOrder(t *testing.T) {
	const name = "http-chunked-ssl.pcapng"
	ps, lt := packets(t, name)
	keys := embeddedKeys(t, name)
	for _, tc := range []struct {
		what string
		ps   []packet
	}{
		{"client Finished before ServerHello", moved(ps, 11, 5)},
		{"ServerHello before ClientHello", moved(ps, 4, 6)},
	} {
		exs, notes := readPackets(t, tc.ps, lt, keys)
		if len(exs) != 1 || exs[0].Request.Method != "GET" || !strings.HasSuffix(exs[0].Request.URL, "/test.php") ||
			exs[0].Response == nil || exs[0].Response.Status != 200 || len(exs[0].Response.Body.Data) != 32611 {
			t.Errorf("%s: %d exchanges, want GET /test.php answered 200 with 32611 bytes:\n%s", tc.what, len(exs), noteLines(notes))
			for _, ex := range exs {
				t.Logf("%s %s %s %v", ex.Ref, ex.Request.Method, ex.Request.URL, ex.Response != nil)
			}
		}
		for _, n := range notes {
			if strings.HasPrefix(string(n.Kind), "tls") {
				t.Errorf("%s: note %s %s", tc.what, n.Kind, n.Message)
			}
		}
	}
}

// TestH2ResponseBodyLost reads the lab's zitadel sign-in (HTTP/2 over TLS
// 1.3) without frame 29, the record whose DATA frame carried the body of
// /login's 302. The response came out with an empty body not marked as
// cut: as if the 302 had no body. It must say its body is incomplete.
func TestH2ResponseBodyLost(t *testing.T) {
	ps, lt := packets(t, "lab-clean-zitadel-h2.pcap")
	f, err := os.Open(fixture("lab-clean-zitadel-h2.keys"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := tlsdec.ParseKeyLog(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	exs, _ := readPackets(t, ps, lt, keys)
	var whole *model.Exchange
	for _, ex := range exs {
		if strings.HasSuffix(ex.Request.URL, "/login") {
			whole = ex
		}
	}
	if whole == nil || whole.Response == nil || len(whole.Response.Body.Data) == 0 {
		t.Fatal("the unmodified capture has no /login answered with a body")
	}
	exs, notes := readPackets(t, append(ps[:28:28], ps[29:]...), lt, keys)
	found := false
	for _, ex := range exs {
		if !strings.HasSuffix(ex.Request.URL, "/login") || ex.Response == nil {
			continue
		}
		found = true
		if ex.Response.Status != whole.Response.Status || !ex.Response.Body.Truncated {
			t.Errorf("/login: %d with %d body bytes, truncated %v; want %d, truncated", ex.Response.Status, len(ex.Response.Body.Data), ex.Response.Body.Truncated, whole.Response.Status)
		}
	}
	if !found {
		t.Errorf("/login unanswered:\n%s", noteLines(notes))
	}
}

// TestTLSCaughtMidRecord reads http-chunked-ssl.pcapng from inside the
// client's request record (frame 13, 20 bytes in): what is left of the
// client stream is the end of that record and a TLS alert record (frame
// 51). The connection was counted among those that "carried neither HTTP
// nor TLS"; it is TLS whose handshake the capture missed.
func TestTLSCaughtMidRecord(t *testing.T) {
	const name = "http-chunked-ssl.pcapng"
	ps, lt := packets(t, name)
	p := ps[12]
	pk := gopacket.NewPacket(p.data, lt, gopacket.DecodeOptions{NoCopy: true})
	tcp, _ := pk.Layer(layers.LayerTypeTCP).(*layers.TCP)
	ip, _ := pk.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if tcp == nil || ip == nil || len(tcp.Payload) != 114 {
		t.Fatal("frame 13 is not the client's 114-byte request record")
	}
	// Cut the first 20 bytes of its payload (the IP length shrinks, the
	// sequence number moves on).
	tcpOff := cap(p.data) - cap(tcp.Contents)
	ipOff := cap(p.data) - cap(ip.Contents)
	payOff := tcpOff + len(tcp.Contents)
	data := append(bytes.Clone(p.data[:payOff]), p.data[payOff+20:]...)
	data[tcpOff+4], data[tcpOff+5], data[tcpOff+6], data[tcpOff+7] = byte((tcp.Seq+20)>>24), byte((tcp.Seq+20)>>16), byte((tcp.Seq+20)>>8), byte(tcp.Seq+20)
	data[ipOff+2], data[ipOff+3] = byte((ip.Length-20)>>8), byte(ip.Length-20)
	cut := append([]packet{{p.ci, data}}, ps[13:]...)
	_, notes := readPackets(t, cut, lt, embeddedKeys(t, name))
	text := noteLines(notes)
	if strings.Contains(text, "neither HTTP nor TLS") || !strings.Contains(text, "tls-no-handshake") {
		t.Errorf("want the connection noted as TLS whose handshake was not captured:\n%s", text)
	}
}
