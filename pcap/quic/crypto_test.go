package quic

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"
)

// cryptoFrame is a CRYPTO frame (RFC 9000 section 19.6) with 4-byte
// varints.
func cryptoFrame(off int, data []byte) []byte {
	b := []byte{0x06}
	b = binary.BigEndian.AppendUint32(b, 0x80000000|uint32(off))
	b = binary.BigEndian.AppendUint32(b, 0x80000000|uint32(len(data)))
	return append(b, data...)
}

// TestCryptoOutOfOrder: the Initial epoch's ClientHello is read once its
// last missing byte arrives, whatever the order of its CRYPTO frames. A
// message whole but for one byte used to be scanned whole at every CRYPTO
// frame: a capture of 1-byte frames repeating its first byte took 35 s
// per 1.2 MB (4-byte frames, each scanning 65,000 bytes); the bytes
// whole from the start are now counted as they come.
func TestCryptoOutOfOrder(t *testing.T) {
	random := bytes.Repeat([]byte{0x5a}, 32)
	sni := []byte("login.example")
	body := append([]byte{0x03, 0x03}, random...)
	body = append(body, 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00)
	ext := []byte{0x00, 0x00}
	ext = binary.BigEndian.AppendUint16(ext, uint16(5+len(sni)))
	ext = binary.BigEndian.AppendUint16(ext, uint16(3+len(sni)))
	ext = append(ext, 0x00)
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(sni)))
	ext = append(ext, sni...)
	// Padding (extension 21) makes the message long, as Chromium's is.
	pad := make([]byte, 20000)
	ext = append(ext, 0x00, 21)
	ext = binary.BigEndian.AppendUint16(ext, uint16(len(pad)))
	ext = append(ext, pad...)
	body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
	body = append(body, ext...)
	msg := append([]byte{0x01, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)

	for _, tc := range []struct {
		name  string
		order func() [][]byte // packet payloads, in capture order
	}{
		{"in order", func() [][]byte { return [][]byte{cryptoFrame(0, msg)} }},
		{"backwards, a byte a frame", func() [][]byte {
			var p [][]byte
			for i := len(msg) - 1; i >= 0; i-- {
				p = append(p, cryptoFrame(i, msg[i:i+1]))
			}
			return p
		}},
		{"all but one byte, then its neighbours again and again", func() [][]byte {
			hole := len(msg) - 2
			p := [][]byte{cryptoFrame(0, msg[:hole]), cryptoFrame(hole+1, msg[hole+1:])}
			var again []byte
			for range 200 {
				again = append(again, cryptoFrame(0, msg[:1])...)
			}
			for range 50 {
				p = append(p, again)
			}
			return append(p, cryptoFrame(hole, msg[hole:hole+1]))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker(nil, newRecorder())
			c := tr.newConn(tuple{netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("192.0.2.2:443")}, version1, params1, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 1)
			payloads := tc.order()
			for i, p := range payloads {
				if c.looked && i < len(payloads)-1 {
					t.Fatalf("hello read at payload %d of %d, before its last byte", i, len(payloads))
				}
				c.frames(ClientToServer, epochInitial, p, i+1, time.Time{})
			}
			if !c.looked || !bytes.Equal(c.random, random) || c.sni != string(sni) || c.malformed != 0 {
				t.Fatalf("hello not read: looked %v random %x sni %q malformed %d", c.looked, c.random, c.sni, c.malformed)
			}
			tr.Close()
			if tr.held != 0 {
				t.Fatalf("%d bytes held after Close", tr.held)
			}
		})
	}
}
