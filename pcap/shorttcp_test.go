package pcap

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// A frame whose TCP header the snap length cut short must be skipped, not
// crash the reader (found by FuzzPCAPWithKeys: 48 captured bytes).
func TestTruncatedTCPHeader(t *testing.T) {
	var b bytes.Buffer
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 48)
	binary.LittleEndian.PutUint32(hdr[20:], 1) // Ethernet
	b.Write(hdr)
	frame := make([]byte, 48)
	binary.BigEndian.PutUint16(frame[12:], 0x0800) // IPv4
	ip := frame[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], 60) // claims a 40-byte TCP header
	ip[8], ip[9] = 64, 6                   // TTL, TCP
	copy(ip[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
	tcp := frame[34:]
	binary.BigEndian.PutUint16(tcp[0:], 51234)
	binary.BigEndian.PutUint16(tcp[2:], 80)
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[8:], 48)
	binary.LittleEndian.PutUint32(rec[12:], 74)
	for i := 0; i < 3; i++ {
		b.Write(rec)
		b.Write(frame)
	}
	r, err := NewReader(&b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
	}
}
