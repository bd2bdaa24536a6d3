package pcap

import (
	"encoding/binary"
	"time"

	"github.com/traceaudit/traceaudit/parse"
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
	Notes() []parse.Note
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
// record and never allocates from an unchecked length.
func clientHelloSNI(b []byte) (sni string, complete bool) {
	if len(b) < 5 {
		return "", false
	}
	recLen := int(binary.BigEndian.Uint16(b[3:]))
	if len(b) < 5+recLen {
		return "", len(b) >= 16<<10
	}
	r := reader{b: b[5 : 5+recLen]}
	if r.u8() != 1 { // handshake type client_hello
		return "", true
	}
	r.skip(3 + 2 + 32) // length, version, random
	r.skip(int(r.u8()))
	r.skip(int(r.u16()))
	r.skip(int(r.u8()))
	ext := reader{b: r.bytes(int(r.u16()))}
	for !ext.bad && len(ext.b) >= 4 {
		typ := ext.u16()
		data := reader{b: ext.bytes(int(ext.u16()))}
		if typ != 0 { // server_name
			continue
		}
		list := reader{b: data.bytes(int(data.u16()))}
		for !list.bad && len(list.b) >= 3 {
			kind := list.u8()
			name := list.bytes(int(list.u16()))
			if kind == 0 && !list.bad {
				return string(name), true
			}
		}
	}
	return "", true
}

// reader reads big-endian fields, turning every overrun into bad.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) skip(n int) { r.bytes(n) }

func (r *reader) u8() int {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return int(b[0])
}

func (r *reader) u16() int {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(b))
}
