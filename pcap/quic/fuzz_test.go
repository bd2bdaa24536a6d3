package quic

import (
	"encoding/binary"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// fuzzDatagrams encodes datagrams as the fuzz targets read them: a byte
// (0 client→server, else server→client), a 2-byte length, the payload.
func fuzzDatagrams(t testing.TB, path string, max int) []byte {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for n := 0; n < max; {
		data, _, err := rd.ReadPacketData()
		if err != nil {
			break
		}
		pkt := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if udp == nil {
			continue
		}
		dir := byte(0)
		if udp.SrcPort == 443 {
			dir = 1
		}
		out = append(out, dir)
		out = binary.BigEndian.AppendUint16(out, uint16(len(udp.Payload)))
		out = append(out, udp.Payload...)
		n++
	}
	return out
}

// FuzzTracker feeds arbitrary datagrams to a tracker that has the real
// recording's secrets, seeded with that recording's datagrams: no panic,
// stream data handed over at most once per offset.
func FuzzTracker(f *testing.F) {
	keys := testKeys(f, "../testdata/quic/reload.keys.log")
	f.Add(fuzzDatagrams(f, "../testdata/quic/reload.pcap", 12))
	f.Add(fuzzDatagrams(f, "../testdata/quic/reload.pcap", 40))
	// Retry packets (and the Initials after them), 0-RTT packets; their
	// key logs are not this target's, so only their Initials open.
	f.Add(fuzzDatagrams(f, "../testdata/quic/retry.pcap", 30))
	f.Add(fuzzDatagrams(f, "../testdata/quic/zerortt.pcap", 60))
	f.Add(fuzzDatagrams(f, "../testdata/quic/zerortt-rejected.pcap", 60))
	client := netip.MustParseAddrPort("127.0.0.1:56710")
	other := netip.MustParseAddrPort("127.0.0.1:36893")
	server := netip.MustParseAddrPort("127.0.0.1:443")
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := newRecorder()
		tr := NewTracker(keys, rec)
		for frame := 1; len(data) >= 3; frame++ {
			dir := Dir(data[0] & 1)
			c := client
			if data[0]&2 != 0 {
				c = other
			}
			n := min(int(binary.BigEndian.Uint16(data[1:])), len(data)-3)
			tr.Datagram(c, server, dir, data[3:3+n], frame, time.Unix(int64(frame), 0))
			data = data[3+n:]
		}
		tr.Close()
		if tr.held != 0 {
			t.Fatalf("%d bytes still counted as held after Close", tr.held)
		}
		for k, b := range rec.streams {
			if b.Len() > maxBuffered+maxPacket*1000 {
				t.Fatalf("%s: %d bytes", k, b.Len())
			}
		}
	})
}

// FuzzFrames reads arbitrary decrypted packet payloads as frames of one
// connection: STREAM and CRYPTO reassembly, connection IDs, the frames'
// encodings.
func FuzzFrames(f *testing.F) {
	f.Add([]byte{0x0f, 0x00, 0x00, 0x03, 'a', 'b', 'c', 0x0e, 0x04, 0x05, 0x02, 'd', 'e'})
	f.Add([]byte{0x02, 0x05, 0x00, 0x01, 0x00, 0x02, 0x01, 0x18, 0x01, 0x00, 0x04, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x06, 0x00, 0x04, 0x01, 0x00, 0x00, 0x40, 0x1c, 0x00, 0x00, 0x00, 0x04, 0x08, 0x00, 0x01, 'x'})
	// EncryptedExtensions with early_data (42), then without.
	f.Add([]byte{0x06, 0x00, 0x0a, 0x08, 0x00, 0x00, 0x06, 0x00, 0x04, 0x00, 0x2a, 0x00, 0x00, 0x06, 0x00, 0x0a, 0x08, 0x00, 0x00, 0x06, 0x00, 0x04, 0x00, 0x10, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := newRecorder()
		tr := NewTracker(nil, rec)
		c := tr.newConn(tuple{netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("192.0.2.2:443")}, version1, params1, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 1)
		// Two halves, each in both epochs that carry streams.
		half := len(data) / 2
		c.frames(ClientToServer, epoch1RTT, data[half:], 2, time.Time{})
		c.frames(ServerToClient, epochInitial, data[:half], 3, time.Time{})
		c.frames(ClientToServer, epoch1RTT, data[:half], 4, time.Time{})
		// The server's Handshake CRYPTO (EncryptedExtensions: the answer
		// to 0-RTT data).
		c.frames(ServerToClient, epochHandshake, data[half:], 5, time.Time{})
		tr.Close()
		if c.buffered != 0 || tr.held != 0 {
			t.Fatalf("buffered %d, held %d after Close", c.buffered, tr.held)
		}
	})
}
