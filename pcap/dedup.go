package pcap

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// A capture taken on several interfaces at once (a pcapng file with more
// than one interface, Linux "any" in cooked mode) can hold each packet
// more than once: seen entering a bridge and leaving it, on a veth and on
// the bridge, on the loopback and on "any". The copies need not be near
// each other in the file (dumpcap writes each interface's packets in
// batches), and a copy met after its connection closed would start a new
// connection without a beginning.
//
// dedup recognizes a copy by its TCP header but for the ports and the
// checksum (sequence and acknowledgment numbers, flags, window, options
// such as timestamps, which a retransmission changes) and its payload's
// length and first bytes:
//
//   - on the same connection (same addresses and ports), with the same
//     checksum, within dupWindow of the first copy's time: the packet seen
//     on two interfaces unchanged;
//   - on another connection whose addresses differ, within natWindow: the
//     packet seen before and after a network address translation (a NAT
//     router, a load balancer, a container bridge's masquerade), which
//     rewrites addresses, ports and checksums but keeps the sequence
//     numbers and the payload. From then on that whole connection, both
//     ways, is a copy of the first one and is dropped: the two copies of
//     its packets come first in either order (a request is seen inside
//     first, its answer outside first), and keeping the first copy of
//     each packet would split the connection in two.
//
// Two genuine connections do not match: a browser reload, a proxy's retry
// or a double submit sends the same bytes on a new connection, with
// sequence numbers of its own (random initial sequence numbers), or later
// on the same connection, at other sequence numbers. Captures of one
// interface are not checked, so synthetic traffic whose connections all
// start at the same sequence number is not taken for copies there.
type dedup struct {
	seed    maphash.Seed
	recent  recentRing[dupSlot] // fingerprints of the last dupSlots packets
	dropped int                 // packets seen twice unchanged
	// copies marks connections (directional address and port hashes,
	// both directions) found to be a translated copy of another.
	copies map[uint64]struct{}
	// natPackets counts the packets dropped as translated copies,
	// natConns the connections; natPairs names the first few.
	natPackets int
	natConns   int
	natPairs   []string
	natBySYN   bool // some found by their SYN alone (single)
	natNoTS    bool // some of those by a SYN without a timestamp
	// syns: in a capture of one interface, the recent opening SYNs by
	// what a translation keeps of them (single).
	syns map[synKey]synSeen
}

// synKey is what an address translation keeps of a SYN: its sequence
// number, its timestamp value and its window; for a SYN without a
// timestamp, a hash of its options (opts, 0 otherwise).
type synKey struct {
	seq, tsval uint32
	win        uint16
	opts       uint64
}

type synSeen struct {
	ts    time.Time
	net   gopacket.Flow
	ports [2]uint16
}

// maxSyns bounds the SYNs single keeps; past it, those older than
// natWindow go (all of them if that is not enough).
const maxSyns = 4096

type dupSlot struct {
	flow  uint64 // directional hash of addresses and ports
	ts    time.Time
	net   gopacket.Flow // the packet's addresses
	ports [2]uint16
	sum   uint16 // TCP checksum
}

const (
	// dupSlots bounds the fingerprints kept (about 3.5 MiB).
	dupSlots = 1 << 15
	// dupWindow is how far apart in time two unchanged copies may be.
	dupWindow = 2 * time.Second
	// natWindow is how far apart in time a packet and its translated
	// copy may be: a router forwards in microseconds to milliseconds.
	natWindow = 250 * time.Millisecond
	// dupPayload is how many payload bytes the fingerprint covers.
	dupPayload = 64
	// maxCopies bounds the connections marked as copies; past it the
	// marks are forgotten, and a copy's next packet marks it again.
	maxCopies = 1 << 14
	// natNamed is how many pairs of connections the note names.
	natNamed = 3
)

// cooked tells whether a link type is Linux cooked capture (v1 or v2),
// what tcpdump -i any writes: it may hold a packet twice.
func cooked(linkType uint32) bool {
	return linkType == 113 || linkType == linkTypeSLL2
}

// flowHash hashes a packet's addresses and ports, from src to dst.
func (d *dedup) flowHash(src, dst []byte, sport, dport uint16) uint64 {
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.Write(src)
	h.Write(dst)
	var p [4]byte
	binary.BigEndian.PutUint16(p[0:], sport)
	binary.BigEndian.PutUint16(p[2:], dport)
	h.Write(p[:])
	return h.Sum64()
}

// duplicate reports whether seg, from a packet at ts, copies one seen
// shortly before, or belongs to a connection found to be a translated
// copy; it remembers seg otherwise.
func (d *dedup) duplicate(seg *tcpSegment, ts time.Time) bool {
	if d.recent.seen == nil {
		d.init()
		d.recent = newRecentRing[dupSlot](dupSlots, 1024)
	}
	t := seg.tcp
	src, dst := seg.netFlow.Src().Raw(), seg.netFlow.Dst().Raw()
	flow := d.flowHash(src, dst, uint16(t.SrcPort), uint16(t.DstPort))
	if d.copyOf(seg, flow) {
		return true
	}
	var h maphash.Hash
	h.SetSeed(d.seed)
	if len(t.Contents) >= 20 {
		h.Write(t.Contents[4:16])  // sequence, acknowledgment, offset, flags, window
		h.Write(t.Contents[18:20]) // urgent pointer
		h.Write(t.Contents[20:])   // options
	}
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(t.Payload)))
	h.Write(n[:])
	h.Write(t.Payload[:min(len(t.Payload), dupPayload)])
	key := h.Sum64()
	if s, ok := d.recent.find(key); ok {
		dt := ts.Sub(s.ts)
		switch {
		case s.flow == flow && s.sum == t.Checksum && dt <= dupWindow && dt >= -dupWindow:
			d.dropped++
			return true
		case s.flow != flow && s.net != seg.netFlow && dt <= natWindow && dt >= -natWindow:
			d.markCopy(seg, flow, *s)
			return true
		}
	}
	d.recent.add(key, dupSlot{flow: flow, ts: ts, net: seg.netFlow, ports: [2]uint16{uint16(t.SrcPort), uint16(t.DstPort)}, sum: t.Checksum})
	return false
}

// init makes the seed and the marks.
func (d *dedup) init() {
	if d.copies == nil {
		d.seed = maphash.MakeSeed()
		d.copies = map[uint64]struct{}{}
	}
}

// copyOf reports whether seg, of the connection whose hash is flow,
// belongs to one marked as a translated copy; a SYN opening a new
// connection on its addresses and ports ends the mark (it is a copy again
// only if its own packets say so).
func (d *dedup) copyOf(seg *tcpSegment, flow uint64) bool {
	if _, ok := d.copies[flow]; !ok {
		return false
	}
	t := seg.tcp
	if !t.SYN || t.ACK {
		d.natPackets++
		return true
	}
	delete(d.copies, flow)
	delete(d.copies, d.flowHash(seg.netFlow.Dst().Raw(), seg.netFlow.Src().Raw(), uint16(t.DstPort), uint16(t.SrcPort)))
	return false
}

// single looks, in a capture of one interface, for connections captured
// twice around an address translation: a mirror port that copies both
// sides of a NAT router or a load balancer. Only opening SYNs are
// compared, by sequence number, TCP timestamp value and window, between
// other addresses within natWindow. A SYN without a timestamp option (a
// Windows client's, by default) is compared by sequence number, window
// and its option bytes when it carries an MSS option, as every real
// stack's SYN does: 32 random bits of initial sequence number that two
// genuine connections within natWindow do not share. Synthetic traffic
// that opens every connection at the same sequence number sends SYNs
// without options, which are not compared. Its caller passes only SYNs,
// and every packet once a connection was marked: a capture without
// copies pays one test a packet.
func (d *dedup) single(seg *tcpSegment, ts time.Time) bool {
	t := seg.tcp
	if len(d.copies) > 0 && d.copyOf(seg, d.flowHash(seg.netFlow.Src().Raw(), seg.netFlow.Dst().Raw(), uint16(t.SrcPort), uint16(t.DstPort))) {
		return true
	}
	if !t.SYN || t.ACK {
		return false
	}
	var k synKey
	mss := false
	for _, o := range t.Options {
		switch {
		case o.OptionType == layers.TCPOptionKindTimestamps && len(o.OptionData) == 8:
			k.tsval = binary.BigEndian.Uint32(o.OptionData)
		case o.OptionType == layers.TCPOptionKindMSS:
			mss = true
		}
	}
	if k.tsval == 0 {
		if !mss || len(t.Contents) <= 20 {
			return false
		}
		// FNV-1a of the option bytes, never 0
		k.opts = 14695981039346656037
		for _, b := range t.Contents[20:] {
			k.opts = (k.opts ^ uint64(b)) * 1099511628211
		}
		k.opts |= 1
	}
	k.seq, k.win = t.Seq, t.Window
	if s, ok := d.syns[k]; ok && s.net != seg.netFlow {
		if dt := ts.Sub(s.ts); dt <= natWindow && dt >= -natWindow {
			d.init()
			d.natBySYN = true
			d.natNoTS = d.natNoTS || k.tsval == 0
			d.markCopy(seg, d.flowHash(seg.netFlow.Src().Raw(), seg.netFlow.Dst().Raw(), uint16(t.SrcPort), uint16(t.DstPort)), dupSlot{net: s.net, ports: s.ports})
			return true
		}
	}
	if d.syns == nil {
		d.syns = map[synKey]synSeen{}
	}
	pruneStale(d.syns, maxSyns, ts, natWindow, func(s synSeen) time.Time { return s.ts })
	d.syns[k] = synSeen{ts: ts, net: seg.netFlow, ports: [2]uint16{uint16(t.SrcPort), uint16(t.DstPort)}}
	return false
}

// markCopy records seg's connection, both ways, as a translated copy of
// the one s was seen on.
func (d *dedup) markCopy(seg *tcpSegment, flow uint64, s dupSlot) {
	t := seg.tcp
	src, dst := seg.netFlow.Src().Raw(), seg.netFlow.Dst().Raw()
	if len(d.copies) >= 2*maxCopies {
		clear(d.copies)
	}
	d.copies[flow] = struct{}{}
	d.copies[d.flowHash(dst, src, uint16(t.DstPort), uint16(t.SrcPort))] = struct{}{}
	d.natPackets++
	d.natConns++
	if len(d.natPairs) < natNamed {
		port := layers.NewTCPPortEndpoint
		d.natPairs = append(d.natPairs, fmt.Sprintf("%s -> %s read, %s -> %s dropped",
			endpoint(s.net.Src(), port(layers.TCPPort(s.ports[0]))), endpoint(s.net.Dst(), port(layers.TCPPort(s.ports[1]))),
			endpoint(seg.netFlow.Src(), port(t.SrcPort)), endpoint(seg.netFlow.Dst(), port(t.DstPort))))
	}
}

// natNote says which connections were read once as translated copies.
func (d *dedup) natNote() string {
	if d.natConns == 0 {
		return ""
	}
	var b strings.Builder
	how := "the same sequence numbers and payload"
	if d.natBySYN {
		how = "the same opening SYN (sequence number, TCP timestamp, window)"
		if d.natNoTS {
			how = "the same opening SYN (sequence number, window, and its TCP timestamp or, without one, its options)"
		}
	}
	fmt.Fprintf(&b, "%d TCP connections captured a second time with other addresses and ports (before and after address translation: a NAT router, a load balancer, a container bridge), recognized by %s within %v; each read once, as first seen, %d packets of the copies dropped", d.natConns, how, natWindow, d.natPackets)
	if len(d.natPairs) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(d.natPairs, "; "))
		if d.natConns > len(d.natPairs) {
			b.WriteString("; …")
		}
	}
	return b.String()
}

// fragCopies recognizes an IP fragment captured twice (on two interfaces,
// or on the two ports of a bridge by tcpdump -i any, the copies one after
// the other): the same addresses, identification, offset, flags and
// payload within dupWindow. The second copy carries nothing new; given to
// the reassembly after its datagram was complete, it began a datagram that
// never completed and was counted as lost. IP does not resend a fragment:
// a datagram sent again (a TCP retransmission) has an identification of
// its own, and one reusing an identification holds other bytes.
type fragCopies struct {
	seed    maphash.Seed
	recent  recentRing[time.Time] // when each of the last fragSlots fragments was captured
	dropped int
}

// fragSlots bounds the fragment fingerprints kept (about 128 KiB).
const fragSlots = 1 << 12

// duplicate reports whether the fragment whose identifying header bytes
// are hdr (addresses, identification, offset and flags, protocol) and
// whose payload is payload, captured at ts, copies one seen shortly
// before; it remembers it otherwise.
func (f *fragCopies) duplicate(hdr []byte, payload []byte, ts time.Time) bool {
	if f.recent.seen == nil {
		f.seed = maphash.MakeSeed()
		f.recent = newRecentRing[time.Time](fragSlots, 64)
	}
	var h maphash.Hash
	h.SetSeed(f.seed)
	h.Write(hdr)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(payload)))
	h.Write(n[:])
	h.Write(payload)
	key := h.Sum64()
	if seen, ok := f.recent.find(key); ok {
		if dt := ts.Sub(*seen); dt <= dupWindow && dt >= -dupWindow {
			f.dropped++
			return true
		}
	}
	f.recent.add(key, ts)
	return false
}

// recentRing remembers the last len(ring) fingerprints added, each with
// its value, the oldest replaced first: what the packet and fragment
// copies are compared against, in bounded memory.
type recentRing[T any] struct {
	seen map[uint64]int32 // fingerprint -> slot in ring
	ring []recentSlot[T]
	next int
}

type recentSlot[T any] struct {
	key  uint64
	val  T
	used bool
}

func newRecentRing[T any](slots, hint int) recentRing[T] {
	return recentRing[T]{seen: make(map[uint64]int32, hint), ring: make([]recentSlot[T], slots)}
}

// find returns the value kept with key, if key is among the last ones added.
func (r *recentRing[T]) find(key uint64) (*T, bool) {
	i, ok := r.seen[key]
	if !ok {
		return nil, false
	}
	s := &r.ring[i]
	if s.key != key || !s.used {
		return nil, false
	}
	return &s.val, true
}

// add keeps key with val in place of the oldest fingerprint.
func (r *recentRing[T]) add(key uint64, val T) {
	old := &r.ring[r.next]
	if old.used && r.seen[old.key] == int32(r.next) {
		delete(r.seen, old.key)
	}
	*old = recentSlot[T]{key: key, val: val, used: true}
	r.seen[key] = int32(r.next)
	r.next = (r.next + 1) % len(r.ring)
}

// pruneStale bounds a map of recent sightings: once it holds max entries,
// those seen more than window before ts go, and all of them if that is not
// enough.
func pruneStale[K comparable, V any](m map[K]V, max int, ts time.Time, window time.Duration, seenAt func(V) time.Time) {
	if len(m) < max {
		return
	}
	for k, v := range m {
		if ts.Sub(seenAt(v)) > window {
			delete(m, k)
		}
	}
	if len(m) >= max {
		clear(m)
	}
}
