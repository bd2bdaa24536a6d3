package pcap

import (
	"encoding/binary"
	"hash/maphash"
	"time"
)

// A capture taken on several interfaces at once (a pcapng file with more
// than one interface, Linux "any" in cooked mode) can hold each packet
// more than once: seen entering a bridge and leaving it, on a veth and on
// the bridge, on the loopback and on "any". The copies need not be near
// each other in the file (dumpcap writes each interface's packets in
// batches), and a copy met after its connection closed would start a new
// connection without a beginning. dedup recognizes a copy by its IP
// addresses, its whole TCP header (sequence and acknowledgment numbers,
// flags, window, checksum and options such as timestamps, which a
// retransmission changes) and its payload's length and first bytes,
// within dupWindow of the first copy's time.
type dedup struct {
	seed    maphash.Seed
	seen    map[uint64]int32 // fingerprint -> slot in ring
	ring    []dupSlot
	next    int
	dropped int
}

type dupSlot struct {
	key  uint64
	ts   time.Time
	used bool
}

const (
	// dupSlots bounds the fingerprints kept (about 1 MiB).
	dupSlots = 1 << 15
	// dupWindow is how far apart in time two copies may be.
	dupWindow = 2 * time.Second
	// dupPayload is how many payload bytes the fingerprint covers.
	dupPayload = 64
)

// cooked tells whether a link type is Linux cooked capture (v1 or v2),
// what tcpdump -i any writes: it may hold a packet twice.
func cooked(linkType uint32) bool {
	return linkType == 113 || linkType == linkTypeSLL2
}

// duplicate reports whether seg, from a packet at ts, copies one seen
// shortly before; it remembers seg otherwise.
func (d *dedup) duplicate(seg *tcpSegment, ts time.Time) bool {
	if d.seen == nil {
		d.seed = maphash.MakeSeed()
		d.seen = make(map[uint64]int32, 1024)
		d.ring = make([]dupSlot, dupSlots)
	}
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.Write(seg.netFlow.Src().Raw())
	h.Write(seg.netFlow.Dst().Raw())
	h.Write(seg.tcp.Contents)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(seg.tcp.Payload)))
	h.Write(n[:])
	h.Write(seg.tcp.Payload[:min(len(seg.tcp.Payload), dupPayload)])
	key := h.Sum64()
	if i, ok := d.seen[key]; ok {
		if s := d.ring[i]; s.key == key && s.used {
			if dt := ts.Sub(s.ts); dt <= dupWindow && dt >= -dupWindow {
				d.dropped++
				return true
			}
		}
	}
	old := &d.ring[d.next]
	if old.used && d.seen[old.key] == int32(d.next) {
		delete(d.seen, old.key)
	}
	*old = dupSlot{key: key, ts: ts, used: true}
	d.seen[key] = int32(d.next)
	d.next = (d.next + 1) % dupSlots
	return false
}
