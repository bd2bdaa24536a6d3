package tlsdec

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests record real TLS connections made by crypto/tls (an
// implementation independent of this package) with its key log, and
// decrypt the recording. They cover the suites and features no corpus
// capture has: AES-CBC with HMAC-SHA1/SHA256, TLS 1.2 ChaCha20-Poly1305,
// ticket resumption.

// transcript records what each side wrote, in order.
type transcript struct {
	mu   sync.Mutex
	segs []tcpSegment
}

func (tr *transcript) add(dir Direction, b []byte) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.segs = append(tr.segs, tcpSegment{dir: dir, data: bytes.Clone(b), frame: len(tr.segs) + 1, time: time.Unix(int64(len(tr.segs)), 0)})
}

type recordingConn struct {
	net.Conn
	dir Direction
	tr  *transcript
}

func (c *recordingConn) Write(b []byte) (int, error) {
	c.tr.add(c.dir, b)
	return c.Conn.Write(b)
}

func testCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test.example"},
		DNSNames:     []string{"test.example"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// goTLSSession runs one connection: the client sends request, the server
// answers response. It returns the recording; the key log gets the
// connection's secrets.
func goTLSSession(t testing.TB, server, client *tls.Config, request, response string) *transcript {
	t.Helper()
	cs, ss := net.Pipe()
	tr := &transcript{}
	errc := make(chan error, 1)
	go func() {
		sc := tls.Server(&recordingConn{Conn: ss, dir: ServerToClient, tr: tr}, server)
		buf := make([]byte, len(request))
		if _, err := io.ReadFull(sc, buf); err != nil {
			errc <- err
			return
		}
		_, err := sc.Write([]byte(response))
		errc <- err
	}()
	cc := tls.Client(&recordingConn{Conn: cs, dir: ClientToServer, tr: tr}, client)
	if _, err := cc.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(response))
	if _, err := io.ReadFull(cc, buf); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	// Closing the pipe, not the TLS connections: a close_notify would block
	// on the unbuffered pipe.
	cs.Close()
	ss.Close()
	return tr
}

func decryptTranscript(d *Decrypter, tr *transcript) (*Conn, []Chunk) {
	return decryptConn(d, &tcpConn{name: "pipe", segs: tr.segs})
}

func TestGoTLSSuites(t *testing.T) {
	cert := testCertificate(t)
	cases := []struct {
		name    string
		version uint16
		suite   uint16
	}{
		{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
		{"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA},
		{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256},
		{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
		{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
		{"TLS_AES_128_GCM_SHA256", tls.VersionTLS13, 0},
	}
	// Records larger than one segment and split across several writes.
	request := "POST /token HTTP/1.1\r\nHost: test.example\r\n\r\n" + strings.Repeat("a", 40000)
	response := "HTTP/1.1 200 OK\r\n\r\n" + strings.Repeat("b", 30000)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var keylog bytes.Buffer
			server := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tc.version, MaxVersion: tc.version, NextProtos: []string{"h2", "http/1.1"}}
			client := &tls.Config{InsecureSkipVerify: true, ServerName: "test.example", KeyLogWriter: &keylog, MinVersion: tc.version, MaxVersion: tc.version, NextProtos: []string{"http/1.1"}}
			if tc.suite != 0 {
				server.CipherSuites = []uint16{tc.suite}
				client.CipherSuites = []uint16{tc.suite}
			}
			tr := goTLSSession(t, server, client, request, response)
			keys, err := ParseKeyLog(&keylog)
			if err != nil {
				t.Fatal(err)
			}
			c, chunks := decryptTranscript(NewDecrypter(keys), tr)
			for _, n := range c.Notes() {
				t.Errorf("unexpected note %+v", n)
			}
			if got := string(plaintext(chunks, ClientToServer)); got != request {
				t.Errorf("client plaintext: %d bytes, want %d", len(got), len(request))
			}
			if got := string(plaintext(chunks, ServerToClient)); got != response {
				t.Errorf("server plaintext: %d bytes, want %d", len(got), len(response))
			}
			in := c.Info()
			if in.Suite != tc.name || in.ALPN != "http/1.1" || in.HTTP2 || in.SNI != "test.example" {
				t.Errorf("info %+v", in)
			}
		})
	}
}

// TestGoTLSResumption decrypts a TLS 1.2 connection resumed with a session
// ticket whose own CLIENT_RANDOM line is missing from the key log: the
// master secret comes from the connection that issued the ticket.
func TestGoTLSResumption(t *testing.T) {
	cert := testCertificate(t)
	var keylog bytes.Buffer
	server := &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12}
	client := &tls.Config{InsecureSkipVerify: true, ServerName: "test.example", KeyLogWriter: &keylog,
		MaxVersion: tls.VersionTLS12, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	first := goTLSSession(t, server, client, "GET /first HTTP/1.1\r\n\r\n", "first")
	firstKeys := keylog.String()
	second := goTLSSession(t, server, client, "GET /second HTTP/1.1\r\n\r\n", "second")
	if keylog.String() != firstKeys {
		t.Logf("crypto/tls logged the resumed connection too; dropping its line")
	}
	keys, err := ParseKeyLog(strings.NewReader(firstKeys))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecrypter(keys)
	if _, chunks := decryptTranscript(d, first); string(plaintext(chunks, ServerToClient)) != "first" {
		t.Fatalf("first connection not decrypted")
	}
	c, chunks := decryptTranscript(d, second)
	for _, n := range c.Notes() {
		t.Errorf("unexpected note %+v", n)
	}
	if got := string(plaintext(chunks, ClientToServer)); got != "GET /second HTTP/1.1\r\n\r\n" {
		t.Errorf("resumed connection's request %q", got)
	}
	// Without the first connection's ticket the resumed one has no keys.
	c2, _ := decryptTranscript(NewDecrypter(keys), second)
	if notes := c2.Notes(); len(notes) != 1 || notes[0].Kind != "tls-no-keys" {
		t.Errorf("notes %+v, want one tls-no-keys", notes)
	}
}

// TestAlert: a client that does not trust the server's certificate aborts
// the handshake with a fatal alert (bad_certificate, 42), plaintext in
// TLS 1.2 and encrypted under the handshake keys in TLS 1.3. Either way a
// tls-alert note names it.
func TestAlert(t *testing.T) {
	cert := testCertificate(t)
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		var keylog bytes.Buffer
		server := &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: version}
		client := &tls.Config{ServerName: "test.example", KeyLogWriter: &keylog, MaxVersion: version} // verifies, and fails
		cs, ss := net.Pipe()
		tr := &transcript{}
		done := make(chan error, 1)
		go func() {
			done <- tls.Server(&recordingConn{Conn: ss, dir: ServerToClient, tr: tr}, server).Handshake()
		}()
		if err := tls.Client(&recordingConn{Conn: cs, dir: ClientToServer, tr: tr}, client).Handshake(); err == nil {
			t.Fatal("handshake with an untrusted certificate succeeded")
		}
		cs.Close()
		<-done
		ss.Close()
		keys, err := ParseKeyLog(&keylog)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := decryptTranscript(NewDecrypter(keys), tr)
		var alerts []string
		for _, n := range c.Notes() {
			if n.Kind == "tls-alert" {
				alerts = append(alerts, n.Message)
			}
		}
		if len(alerts) != 1 || !strings.Contains(alerts[0], "client") || !strings.Contains(alerts[0], "42 bad_certificate") {
			t.Errorf("TLS %x: alert notes %q, want the client's bad_certificate", version, alerts)
		}
	}
}
