package tlsdec

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
)

// notesOf returns the kinds of notes, in order.
func kinds(notes []model.Note) []string {
	var out []string
	for _, n := range notes {
		out = append(out, string(n.Kind))
	}
	return out
}

// assertNoSecrets fails if a note quotes any secret of the key log.
func assertNoSecrets(t *testing.T, k *KeyLog, notes []model.Note) {
	t.Helper()
	for _, s := range k.byRandom {
		for _, b := range [][]byte{s.master, s.clientHS, s.serverHS, s.clientApp, s.serverApp, s.clientEarly} {
			if len(b) == 0 {
				continue
			}
			for _, n := range notes {
				text := strings.ToLower(n.Message + n.Ref)
				if strings.Contains(text, hex.EncodeToString(b[:8])) {
					t.Errorf("note %s quotes a secret", n.Kind)
				}
			}
		}
	}
}

func oneConn(t *testing.T, capture string) *tcpConn {
	t.Helper()
	var found *tcpConn
	for _, c := range readConns(t, capture) {
		if len(c.segs) > 0 && LooksLikeTLS(c.segs[0].data) {
			if found != nil {
				t.Fatalf("%s: more than one TLS connection", capture)
			}
			found = c
		}
	}
	if found == nil {
		t.Fatalf("%s: no TLS connection", capture)
	}
	return found
}

func TestNoKeys(t *testing.T) {
	for _, keys := range []*KeyLog{nil, readKeyLogFile(t, "illustrated-tls13-keylog.txt")} {
		tc := oneConn(t, "tls12-decryption.pcap")
		c, chunks := decryptConn(NewDecrypter(keys), tc)
		if len(chunks) != 0 {
			t.Errorf("%d chunks without keys", len(chunks))
		}
		notes := c.Notes()
		if len(notes) != 1 || notes[0].Kind != "tls-no-keys" {
			t.Fatalf("notes %+v, want one tls-no-keys", notes)
		}
		var client, server int
		for _, s := range tc.segs {
			if s.dir == ClientToServer {
				client += len(s.data)
			} else {
				server += len(s.data)
			}
		}
		msg := notes[0].Message
		for _, want := range []string{`"heise.de"`, "TLS 1.2", strconv.Itoa(client) + " bytes client→server", strconv.Itoa(server) + " bytes server→client"} {
			if !strings.Contains(msg, want) {
				t.Errorf("note %q lacks %q", msg, want)
			}
		}
		if notes[0].Ref != "frame 4" {
			t.Errorf("note ref %q, want the ClientHello's frame 4", notes[0].Ref)
		}
		if in := c.Info(); in.Decrypted || in.SNI != "heise.de" || in.Version != "TLS 1.2" {
			t.Errorf("info %+v", in)
		}
	}
}

// TestWrongKeys gives secrets that belong to the connection's client random
// but are wrong: every encrypted record fails authentication and says so.
func TestWrongKeys(t *testing.T) {
	for _, tc := range []struct{ capture, keylog string }{
		{"tls12-decryption.pcap", "tls12-decryption.DERIVED.keys"},
		{"fluxzy-grpc-samples-conn9.pcapng", "fluxzy-grpc-samples-conn9.nsskeylog"},
	} {
		keys := readKeyLogFile(t, tc.keylog)
		for _, s := range keys.byRandom {
			for _, b := range [][]byte{s.master, s.clientHS, s.serverHS, s.clientApp, s.serverApp} {
				for i := range b {
					b[i] ^= 0x55
				}
			}
		}
		c, chunks := decryptConn(NewDecrypter(keys), oneConn(t, tc.capture))
		if len(chunks) != 0 {
			t.Errorf("%s: %d chunks from wrong keys", tc.capture, len(chunks))
		}
		got := kinds(c.Notes())
		if len(got) != 2 || got[0] != "tls-auth-failed" || got[1] != "tls-auth-failed" {
			t.Errorf("%s: notes %v, want tls-auth-failed for each direction", tc.capture, got)
		}
		assertNoSecrets(t, keys, c.Notes())
	}
}

// TestHandshakeNotCaptured starts the capture after the handshake.
func TestHandshakeNotCaptured(t *testing.T) {
	tc := oneConn(t, "tls12-decryption.pcap")
	var late []tcpSegment
	for _, s := range tc.segs {
		if s.data[0] == recordAppData || len(late) > 0 {
			late = append(late, s)
		}
	}
	if len(late) == 0 || len(late) == len(tc.segs) {
		t.Fatal("test capture has no handshake to drop")
	}
	c, chunks := decryptConn(NewDecrypter(readKeyLogFile(t, "tls12-decryption.DERIVED.keys")), &tcpConn{name: tc.name, segs: late})
	if len(chunks) != 0 {
		t.Errorf("%d chunks without a handshake", len(chunks))
	}
	if got := kinds(c.Notes()); len(got) != 1 || got[0] != "tls-no-handshake" {
		t.Errorf("notes %v, want tls-no-handshake", got)
	}
	// Starting mid-record as well: still one note for the connection.
	late[0].data = late[0].data[7:]
	c, _ = decryptConn(NewDecrypter(nil), &tcpConn{name: tc.name, segs: late})
	if got := kinds(c.Notes()); len(got) != 1 || got[0] != "tls-no-handshake" {
		t.Errorf("mid-record start: notes %v, want tls-no-handshake", got)
	}
}

// TestCorruptedRecord damages one server record: that record is reported,
// everything else still decrypts.
func TestCorruptedRecord(t *testing.T) {
	keys := readKeyLogFile(t, "fluxzy-grpc-samples-conn9.nsskeylog")
	tc := oneConn(t, "fluxzy-grpc-samples-conn9.pcapng")
	_, clean := decryptConn(NewDecrypter(keys), tc)
	// Flip the last byte of a mid-connection server segment: the tag of the
	// record that ends there.
	var damaged int
	for i := len(tc.segs) / 2; i < len(tc.segs); i++ {
		if tc.segs[i].dir == ServerToClient {
			damaged = i
			break
		}
	}
	segs := append([]tcpSegment(nil), tc.segs...)
	segs[damaged].data = bytes.Clone(segs[damaged].data)
	segs[damaged].data[len(segs[damaged].data)-1] ^= 1
	c, chunks := decryptConn(NewDecrypter(keys), &tcpConn{name: tc.name, segs: segs})
	notes := c.Notes()
	if len(notes) != 1 || notes[0].Kind != "tls-auth-failed" || !strings.Contains(notes[0].Message, "1 of ") {
		t.Fatalf("notes %+v, want one tls-auth-failed for 1 record", notes)
	}
	if !bytes.Equal(plaintext(chunks, ClientToServer), plaintext(clean, ClientToServer)) {
		t.Errorf("client plaintext changed by a damaged server record")
	}
	if got, want := len(plaintext(chunks, ServerToClient)), len(plaintext(clean, ServerToClient)); got >= want || got == 0 {
		t.Errorf("server plaintext %d bytes, want less than %d and more than 0", got, want)
	}
	if got := c.Info().Records; got[ServerToClient] != 46 {
		t.Errorf("decrypted server records %d, want 46 of 47", got[ServerToClient])
	}
}

// TestHugeRecord: a record claiming more than TLS allows ends the
// direction with a note, keeping what came before.
func TestHugeRecord(t *testing.T) {
	keys := readKeyLogFile(t, "illustrated-tls13-keylog.txt")
	tc := oneConn(t, "illustrated-tls13-capture.pcap")
	c := NewDecrypter(keys).NewConn("test")
	var chunks []Chunk
	for _, s := range tc.segs {
		c.Feed(s.dir, s.data, s.frame, s.time)
	}
	c.Feed(ClientToServer, []byte{recordAppData, 3, 3, 0xff, 0xff, 1, 2, 3}, 99, time.Unix(0, 0))
	c.Feed(ClientToServer, bytes.Repeat([]byte{0x17}, 1<<17), 100, time.Unix(0, 0))
	c.Close()
	chunks = c.Drain()
	if string(plaintext(chunks, ClientToServer)) != "ping" || string(plaintext(chunks, ServerToClient)) != "pong" {
		t.Errorf("data before the bad record lost")
	}
	notes := c.Notes()
	if len(notes) != 1 || notes[0].Kind != "tls-bad-record" || notes[0].Ref != "frame 99" || !strings.Contains(notes[0].Message, "65535") {
		t.Errorf("notes %+v, want one tls-bad-record at frame 99", notes)
	}
	if len(c.h[ClientToServer].buf) != 0 {
		t.Errorf("abandoned direction still buffers %d bytes", len(c.h[ClientToServer].buf))
	}
}

// TestByteAtATime feeds a connection one byte per segment: records and
// handshake messages reassemble, and each chunk keeps the frame where its
// record started.
func TestByteAtATime(t *testing.T) {
	keys := readKeyLogFile(t, "tls12-decryption.DERIVED.keys")
	tc := oneConn(t, "tls12-decryption.pcap")
	_, want := decryptConn(NewDecrypter(keys), tc)
	var segs []tcpSegment
	frame := 0
	// Original frame -> the range of new frames its bytes went to.
	firstFrame, lastFrame := map[int]int{}, map[int]int{}
	for _, s := range tc.segs {
		for _, b := range s.data {
			frame++
			if _, ok := firstFrame[s.frame]; !ok {
				firstFrame[s.frame] = frame
			}
			lastFrame[s.frame] = frame
			segs = append(segs, tcpSegment{dir: s.dir, data: []byte{b}, frame: frame, time: s.time})
		}
	}
	c, got := decryptConn(NewDecrypter(keys), &tcpConn{name: tc.name, segs: segs})
	if len(c.Notes()) != 0 {
		t.Errorf("notes %+v", c.Notes())
	}
	for _, dir := range []Direction{ClientToServer, ServerToClient} {
		if !bytes.Equal(plaintext(got, dir), plaintext(want, dir)) {
			t.Errorf("%v plaintext differs when fed byte by byte", dir)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d chunks, want %d", len(got), len(want))
	}
	for i := range want {
		if lo, hi := firstFrame[want[i].Frame], lastFrame[want[i].Frame]; got[i].Frame < lo || got[i].Frame > hi {
			t.Errorf("chunk %d in frame %d, want one of the bytes of original frame %d (%d-%d)", i, got[i].Frame, want[i].Frame, lo, hi)
		}
	}
}

func TestIsHTTP2(t *testing.T) {
	for alpn, want := range map[string]bool{"h2": true, "h2-14": true, "h2-16": true, "http/1.1": false, "": false, "h2c": false, "h2-": false, "h2-1x": false, "h3": false} {
		if got := IsHTTP2(alpn); got != want {
			t.Errorf("IsHTTP2(%q) = %v", alpn, got)
		}
	}
}

// TestApplicationSecretsOnly decrypts with only the *_TRAFFIC_SECRET_0
// lines: every request is found, the handshake records are reported as
// lacking a secret, not as failing authentication.
func TestApplicationSecretsOnly(t *testing.T) {
	keys := readKeyLogFile(t, "fluxzy-grpc-samples-conn9.nsskeylog")
	for _, s := range keys.byRandom {
		s.clientHS, s.serverHS = nil, nil
	}
	tc := oneConn(t, "fluxzy-grpc-samples-conn9.pcapng")
	c, chunks := decryptConn(NewDecrypter(keys), tc)
	if got := len(http2Requests(t, chunks)); got != 9 {
		t.Errorf("%d requests, want 9", got)
	}
	got := kinds(c.Notes())
	if len(got) != 2 || got[0] != "tls-partial-keys" || got[1] != "tls-partial-keys" {
		t.Errorf("notes %v, want tls-partial-keys for each direction", got)
	}
	if in := c.Info(); in.ALPN != "" {
		t.Errorf("ALPN %q without the server's handshake secret", in.ALPN)
	}
}

// TestGap loses server segments in the middle of an HTTP/2 connection:
// decryption resumes at the next record, finding its sequence number.
func TestGap(t *testing.T) {
	keys := readKeyLogFile(t, "fluxzy-pink-floyd-conn14.nsskeylog")
	tc := oneConn(t, "fluxzy-pink-floyd-conn14.pcapng")
	c := NewDecrypter(keys).NewConn("test")
	var chunks []Chunk
	var server, lost, firstAfterGap int
	for _, s := range tc.segs {
		if s.dir == ServerToClient {
			server++
			if server >= 40 && server < 44 {
				c.Gap(s.dir, len(s.data))
				lost += len(s.data)
				continue
			}
			if server >= 44 && firstAfterGap == 0 {
				firstAfterGap = s.frame
			}
		}
		c.Feed(s.dir, s.data, s.frame, s.time)
		chunks = append(chunks, c.Drain()...)
	}
	c.Close()
	if got := len(http2Requests(t, chunks)); got != 18 {
		t.Errorf("%d requests, want 18", got)
	}
	notes := c.Notes()
	if len(notes) != 1 || notes[0].Kind != "tls-gap" || !strings.Contains(notes[0].Message, "(4 gaps)") {
		t.Fatalf("notes %+v, want one tls-gap for 4 gaps", notes)
	}
	if notes[0].Ref != "frame "+strconv.Itoa(firstAfterGap) {
		t.Errorf("gap note at %q, want the first server frame after the gap, %d", notes[0].Ref, firstAfterGap)
	}
	// Records that the gap touched are lost; the rest decrypt.
	if got := c.Info().Records[ServerToClient]; got < 25 || got >= 33 {
		t.Errorf("%d server records decrypted, want most of 33 but not all", got)
	}
	if lost == 0 {
		t.Fatal("nothing dropped")
	}
}

// TestSessionIDKeyLog decrypts with the older "RSA Session-ID:... Master-Key:..."
// form: the full handshake and its session ID resumption both use it.
func TestSessionIDKeyLog(t *testing.T) {
	byRandom := readKeyLogFile(t, "openssl-tls12.keys")
	var conns []*tcpConn
	for _, c := range readConns(t, "openssl-tls12.pcapng") {
		if len(c.segs) > 0 && LooksLikeTLS(c.segs[0].data) {
			conns = append(conns, c)
		}
	}
	if len(conns) != 3 {
		t.Fatalf("%d TLS connections, want 3", len(conns))
	}
	// Learn the first connection's session ID and master secret, and log
	// them the old way only.
	c0, _ := decryptConn(NewDecrypter(byRandom), conns[0])
	if len(c0.sh.sessionID) == 0 {
		t.Fatal("first connection has no session ID")
	}
	line := "RSA Session-ID:" + hex.EncodeToString(c0.sh.sessionID) + " Master-Key:" + hex.EncodeToString(c0.master()) + "\n"
	keys, err := ParseKeyLog(strings.NewReader(line))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecrypter(keys)
	for i, want := range []string{"GET /etm ", "GET /resumed "} {
		c, chunks := decryptConn(d, conns[i])
		if got := string(plaintext(chunks, ClientToServer)); !strings.HasPrefix(got, want) {
			t.Errorf("connection %d: plaintext %.20q, want %q", i, got, want)
		}
		if len(c.Notes()) != 0 {
			t.Errorf("connection %d: notes %+v", i, c.Notes())
		}
	}
	// The third connection has another session: no keys.
	c2, _ := decryptConn(d, conns[2])
	if got := kinds(c2.Notes()); len(got) != 1 || got[0] != "tls-no-keys" {
		t.Errorf("third connection: notes %v, want tls-no-keys", got)
	}
}

// TestTruncatedWhereItEnds cuts the capture inside a server record: the
// note says so at the last frame that carried server bytes, not at the
// ClientHello, and the records before it decrypt.
func TestTruncatedWhereItEnds(t *testing.T) {
	keys := readKeyLogFile(t, "fluxzy-pink-floyd-conn14.nsskeylog")
	tc := oneConn(t, "fluxzy-pink-floyd-conn14.pcapng")
	c := NewDecrypter(keys).NewConn("test")
	var server, last int
	for _, s := range tc.segs {
		if s.dir == ServerToClient {
			server++
			if server == 30 {
				// Half of this segment, then the capture ends.
				c.Feed(s.dir, s.data[:len(s.data)/2], s.frame, s.time)
				last = s.frame
				break
			}
		}
		c.Feed(s.dir, s.data, s.frame, s.time)
		c.Drain()
	}
	c.Close()
	var found bool
	for _, n := range c.Notes() {
		if n.Kind != "tls-truncated" {
			continue
		}
		found = true
		if n.Ref != "frame "+strconv.Itoa(last) {
			t.Errorf("truncation noted at %q, want frame %d where the stream ends", n.Ref, last)
		}
	}
	if !found {
		t.Fatalf("no tls-truncated note: %+v", c.Notes())
	}
}

// TestHandshakeMessagesInOneRecord: handshake messages packed many to a
// record and split across records are each read once, in order. A record
// of 4,096 empty messages once cost 33 MB of copying (the rest of the
// buffer moved after each message); the messages are now passed over and
// the rest moved once per record.
func TestHandshakeMessagesInOneRecord(t *testing.T) {
	random := bytes.Repeat([]byte{0xab}, 32)
	hello := append([]byte{0x03, 0x03}, random...)
	hello = append(hello, 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00) // no session ID, one suite, null compression
	msg := append([]byte{hsClientHello, 0, 0, byte(len(hello))}, hello...)
	// Empty messages of a type the reader passes over (HelloRequest),
	// then the ClientHello, then more empty ones, cut in two at every
	// byte of the ClientHello.
	empties := bytes.Repeat([]byte{0, 0, 0, 0}, 1000)
	stream := append(append(append([]byte{}, empties...), msg...), empties...)
	record := func(b []byte) []byte {
		return append([]byte{0x16, 0x03, 0x01, byte(len(b) >> 8), byte(len(b))}, b...)
	}
	for cut := len(empties); cut <= len(empties)+len(msg); cut++ {
		c := NewDecrypter(&KeyLog{}).NewConn("c")
		c.Feed(ClientToServer, append(record(stream[:cut]), record(stream[cut:])...), 1, time.Unix(1, 0))
		h := &c.h[ClientToServer]
		if c.ch == nil || !bytes.Equal(c.ch.random, random) || len(h.hs) != 0 || h.hsOff != 0 {
			t.Fatalf("cut at %d: hello %+v, %d bytes left (offset %d), notes %v", cut, c.ch, len(h.hs), h.hsOff, c.Notes())
		}
	}
}
