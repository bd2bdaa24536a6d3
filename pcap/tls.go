package pcap

import (
	"encoding/binary"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/traceaudit/traceaudit/model"
)

// Dir is the side of a connection that sent some bytes.
type Dir int

const (
	ClientToServer Dir = iota
	ServerToClient
)

// StreamDecrypter decrypts TLS connections; pcap/tlsdec implements it.
// The reader asks it for a TLSConn for every TCP connection whose client
// starts with a TLS handshake record, feeds it both directions' bytes and
// parses the plaintext it returns as HTTP/1.x or HTTP/2.
type StreamDecrypter interface {
	// NewConn starts one connection. label names it in notes, for example
	// "tcp 10.0.0.1:51234-10.0.0.2:443"; it holds no secret.
	NewConn(label string) TLSConn
}

// TLSConn decrypts one TLS connection.
type TLSConn interface {
	// Feed hands over the next bytes one side sent, carried by the packet
	// with the given 1-based frame number and time. Bytes of one side come
	// in stream order; the two sides interleave in capture order.
	Feed(dir Dir, data []byte, frame int, t time.Time)
	// Drain returns the plaintext decrypted since the last call, in order.
	Drain() []Plaintext
	// ALPN is the negotiated application protocol ("h2", "http/1.1"), ""
	// when unknown. The reader also recognizes HTTP/2 by its preface.
	ALPN() string
	// Close ends the connection; Notes then says what could not be
	// decrypted (never key material).
	Close()
	Notes() []model.Note
}

// Plaintext is decrypted application data from one TLS record.
type Plaintext struct {
	Dir  Dir
	Data []byte
	// Frame and Time are those of the packet that carried the first byte of
	// the record, so that a request found in it gets that frame number.
	Frame int
	Time  time.Time
}

// looksLikeTLS reports whether a side's first bytes start a TLS record:
// a handshake (0x16 0x03 0x0X) or, for a capture that began
// mid-connection, application data (0x17).
func looksLikeTLS(b []byte) bool {
	return len(b) >= 3 && (b[0] == 0x16 || b[0] == 0x17) && b[1] == 3 && b[2] <= 4
}

// clientHelloSNI returns the server name of the ClientHello at the start of
// b, and whether b held enough bytes to decide. It reads only the first
// record; cryptobyte bounds every length by the bytes present.
func clientHelloSNI(b []byte) (sni string, complete bool) {
	if len(b) < 5 {
		return "", false
	}
	recLen := int(binary.BigEndian.Uint16(b[3:]))
	if len(b) < 5+recLen {
		return "", len(b) >= 16<<10
	}
	r := cryptobyte.String(b[5 : 5+recLen])
	var typ uint8
	if !r.ReadUint8(&typ) || typ != 1 { // handshake type client_hello
		return "", true
	}
	var sessionID, suites, compression, ext cryptobyte.String
	if !r.Skip(3+2+32) || // length, version, random
		!r.ReadUint8LengthPrefixed(&sessionID) || !r.ReadUint16LengthPrefixed(&suites) ||
		!r.ReadUint8LengthPrefixed(&compression) || !r.ReadUint16LengthPrefixed(&ext) {
		return "", true
	}
	for len(ext) >= 4 {
		var extType uint16
		var data, list cryptobyte.String
		if !ext.ReadUint16(&extType) || !ext.ReadUint16LengthPrefixed(&data) {
			break
		}
		if extType != 0 || !data.ReadUint16LengthPrefixed(&list) { // server_name
			continue
		}
		for len(list) >= 3 {
			var kind uint8
			var name cryptobyte.String
			if !list.ReadUint8(&kind) || !list.ReadUint16LengthPrefixed(&name) {
				break
			}
			if kind == 0 {
				return string(name), true
			}
		}
	}
	return "", true
}
