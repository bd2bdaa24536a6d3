package tlsdec

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"strings"
	"testing"
)

// echConfig builds an ECHConfig (draft-ietf-tls-esni-22 section 4) for
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-128-GCM.
func echConfig(t *testing.T, publicName string) (config []byte, key *ecdh.PrivateKey) {
	t.Helper()
	key, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var c []byte
	c = append(c, 7)                             // config_id
	c = binary.BigEndian.AppendUint16(c, 0x0020) // kem_id
	pub := key.PublicKey().Bytes()
	c = binary.BigEndian.AppendUint16(c, uint16(len(pub)))
	c = append(c, pub...)
	c = binary.BigEndian.AppendUint16(c, 4)      // cipher_suites length
	c = binary.BigEndian.AppendUint16(c, 0x0001) // HKDF-SHA256
	c = binary.BigEndian.AppendUint16(c, 0x0001) // AES-128-GCM
	c = append(c, 32)                            // maximum_name_length
	c = append(c, byte(len(publicName)))
	c = append(c, publicName...)
	c = binary.BigEndian.AppendUint16(c, 0) // extensions
	config = binary.BigEndian.AppendUint16(nil, extECH)
	config = binary.BigEndian.AppendUint16(config, uint16(len(c)))
	return append(config, c...), key
}

// TestEncryptedClientHello records a crypto/tls connection that uses
// Encrypted Client Hello: the key log names the inner ClientHello's random,
// which the capture does not show, so the entry is found by trial.
func TestEncryptedClientHello(t *testing.T) {
	cert := testCertificate(t)
	config, key := echConfig(t, "public.example")
	list := binary.BigEndian.AppendUint16(nil, uint16(len(config)))
	list = append(list, config...)
	var keylog bytes.Buffer
	server := &tls.Config{Certificates: []tls.Certificate{cert},
		EncryptedClientHelloKeys: []tls.EncryptedClientHelloKey{{Config: config, PrivateKey: key.Bytes()}}}
	client := &tls.Config{InsecureSkipVerify: true, ServerName: "test.example", KeyLogWriter: &keylog,
		MinVersion: tls.VersionTLS13, EncryptedClientHelloConfigList: list}
	// Unrelated entries first, as in a browser's key log.
	goTLSSession(t, &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{InsecureSkipVerify: true, KeyLogWriter: &keylog}, "x", "y")
	otherKeys := keylog.String()
	tr := goTLSSession(t, server, client, "GET /hidden HTTP/1.1\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n")
	keys, err := ParseKeyLog(&keylog)
	if err != nil {
		t.Fatal(err)
	}
	c, chunks := decryptTranscript(NewDecrypter(keys), tr)
	if !c.ch.ech || keys.lookup(c.ch.random) != nil {
		t.Fatal("test connection does not hide its random behind ECH")
	}
	if c.Info().SNI != "public.example" {
		t.Errorf("outer SNI %q, want the ECH public name", c.Info().SNI)
	}
	for _, n := range c.Notes() {
		t.Errorf("unexpected note %+v", n)
	}
	if got := string(plaintext(chunks, ClientToServer)); got != "GET /hidden HTTP/1.1\r\n\r\n" {
		t.Errorf("client plaintext %q", got)
	}
	if got := string(plaintext(chunks, ServerToClient)); got != "HTTP/1.1 204 No Content\r\n\r\n" {
		t.Errorf("server plaintext %q", got)
	}

	// Without the connection's entry the note says why.
	unrelated, err := ParseKeyLog(strings.NewReader(otherKeys))
	if err != nil {
		t.Fatal(err)
	}
	c2, chunks2 := decryptTranscript(NewDecrypter(unrelated), tr)
	notes := c2.Notes()
	if len(chunks2) != 0 || len(notes) != 1 || notes[0].Kind != "tls-no-keys" || !strings.Contains(notes[0].Message, "Encrypted Client Hello") {
		t.Errorf("notes %+v, want one tls-no-keys naming Encrypted Client Hello", notes)
	}
}
