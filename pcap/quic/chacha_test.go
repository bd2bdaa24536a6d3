package quic

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"testing"
	"time"
)

// TestChaChaShortHeader opens RFC 9001's and RFC 9369's appendix A.5
// packet: a 1-RTT packet protected with ChaCha20-Poly1305 (ChaCha20
// header protection), packet number 654360564 carried in 3 bytes, holding
// a PING; and derives the secret of the next key phase ("quic ku",
// "quicv2 ku") as the appendix gives it. As in capture_test.go, the bytes
// are the RFCs' as quic-go v0.66.0's updatable_aead_test.go quotes them.
func TestChaChaShortHeader(t *testing.T) {
	secret, _ := hex.DecodeString("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b")
	for _, c := range []struct {
		p             *versionParams
		ver           uint32
		packet, nextS string
	}{
		{params1, version1, "4cfe4189655e5cd55c41f69080575d7999c25a5bfb", "1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9"},
		{params2, version2, "5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba", "c69374c49e3d2a9466fa689e49d476db5d0dfbc87d32ceeaa6343fd0ae4c7d88"},
	} {
		pkt, _ := hex.DecodeString(c.packet)
		rec := newRecorder()
		tr := NewTracker(nil, rec)
		conn := tr.newConn(tuple{netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("192.0.2.2:443")}, c.ver, c.p, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 1)
		k, err := newPacketKeys(suiteChaCha, c.p, secret)
		if err != nil {
			t.Fatal(err)
		}
		conn.app[ClientToServer].cur = k
		conn.largest[ClientToServer][2] = 654360563
		conn.packet(ClientToServer, epoch1RTT, pkt, 1, 2, time.Time{})
		if conn.packets[epoch1RTT] != 1 || conn.authFailed != 0 || conn.largest[ClientToServer][2] != 654360564 || conn.malformed != 0 {
			t.Errorf("%s: %d opened, %d failed, packet number %d", c.p.keyLabel, conn.packets[epoch1RTT], conn.authFailed, conn.largest[ClientToServer][2])
		}
		next, err := k.next(c.p)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := hex.DecodeString(c.nextS); !bytes.Equal(next.secret, want) {
			t.Errorf("%s: next secret %x", c.p.kuLabel, next.secret)
		}
	}
}

// seal1RTT protects a short header packet (no connection ID, 1-byte
// packet number) as a sender in key phase phase would: the inverse of
// Conn.packet, for TestKeyUpdate.
func seal1RTT(k *packetKeys, phase byte, pn uint64, payload []byte) []byte {
	hdr := []byte{0x40 | phase<<2, byte(pn)}
	nonce := k.iv
	for i := range 8 {
		nonce[4+i] ^= byte(pn >> (56 - 8*i))
	}
	pkt := k.aead.Seal(append([]byte(nil), hdr...), nonce[:], payload, hdr)
	for len(pkt) < 1+4+16 {
		pkt = k.aead.Seal(append([]byte(nil), hdr...), nonce[:], append(payload, 0), hdr) // PADDING
		payload = append(payload, 0)
	}
	mask := k.hp.mask(pkt[1+4 : 1+4+16])
	pkt[0] ^= mask[0] & 0x1f
	pkt[1] ^= mask[1]
	return pkt
}

// TestKeyUpdate: packets of the next key phase open with keys derived
// by "quic ku" (the phase bit flips), and a packet of the previous phase
// reordered after the update still opens with the old keys.
func TestKeyUpdate(t *testing.T) {
	secret, _ := hex.DecodeString("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b")
	for _, su := range []*suite{suiteAES128, suiteChaCha} {
		rec := newRecorder()
		tr := NewTracker(nil, rec)
		conn := tr.newConn(tuple{netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("192.0.2.2:443")}, version1, params1, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 1)
		k0, err := newPacketKeys(su, params1, secret)
		if err != nil {
			t.Fatal(err)
		}
		k1, _ := k0.next(params1)
		conn.app[ServerToClient].cur = k0
		pkts := [][]byte{
			seal1RTT(k0, 0, 1, []byte{0x01}),
			seal1RTT(k1, 1, 3, []byte{0x01}),
			seal1RTT(k0, 0, 2, []byte{0x01}), // reordered: sent before the update
			seal1RTT(k1, 1, 4, []byte{0x01}),
		}
		for i, p := range pkts {
			conn.packet(ServerToClient, epoch1RTT, p, 1, 3+i, time.Time{})
		}
		a := conn.app[ServerToClient]
		if conn.authFailed != 0 || a.updates != 1 || a.phase != 1 || conn.packets[epoch1RTT] != 4 {
			t.Errorf("suite %#x: %d failed, %d updates, phase %d, %d opened", su.id, conn.authFailed, a.updates, a.phase, conn.packets[epoch1RTT])
		}
	}
}
