package pcap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/ip4defrag"
	"github.com/google/gopacket/layers"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap/quic"
)

// Link types gopacket v1.1.19 does not decode itself.
const (
	linkTypeRawBSD1 = 12  // DLT_RAW on some BSDs
	linkTypeRawBSD2 = 14  // DLT_RAW on OpenBSD
	linkTypeNFLOG   = 239 // Linux netfilter log
	linkTypeSLL2    = 276 // Linux cooked capture v2
)

// tcpSegment is a TCP packet found inside a captured frame, after link
// layers, VLAN tags, tunnels and IP fragments are undone.
type tcpSegment struct {
	netFlow gopacket.Flow
	tcp     *layers.TCP
}

// decoder turns frames into TCP segments. It keeps the IPv4 defragmenter,
// which holds fragments until their datagram is complete.
type decoder struct {
	fast   fastPath
	defrag *ip4defrag.IPv4Defragmenter
	// unsupported counts frames per link type that could not be decoded.
	unsupported map[uint32]int
	ip6         map[string]*ip6Pending
	ip6Frags    int // IPv6 fragments given up on
	// ip4 tracks the IPv4 datagrams the defragmenter holds, to bound
	// them (ip4defrag keeps every incomplete one until told to drop the
	// old): ip4Bytes their fragments' bytes, ip4Lost the datagrams given
	// up on, ip4Seen the fragments met.
	ip4      map[ip4Key]time.Time
	ip4Bytes int
	ip4Lost  int
	ip4Seen  int
	// dns holds what the capture's DNS answers name.
	dns dnsNames
	// dups drops the second copy of packets a capture on several
	// interfaces holds twice; fragDups that of IP fragments.
	dups     dedup
	fragDups fragCopies
}

func newDecoder() *decoder {
	d := &decoder{defrag: ip4defrag.NewIPv4Defragmenter(), unsupported: map[uint32]int{}}
	f := &d.fast
	f.parser = gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &f.eth, &f.dot1q, &f.ip4, &f.ip6, &f.tcp, &f.udp)
	f.parser.IgnoreUnsupported = true
	return d
}

// fastPath decodes the common Ethernet (VLAN) / IP / TCP frame without
// allocating; anything else (tunnels, fragments, other link types) takes
// gopacket.NewPacket.
type fastPath struct {
	parser  *gopacket.DecodingLayerParser
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	udp     layers.UDP
	decoded []gopacket.LayerType
	// quic counts UDP packets to or from port 443: QUIC, which carries
	// HTTP/3; quicUDP is the UDP header and payload of the last frame
	// decoded when it is QUIC (else nil), quicFlow its addresses and
	// quicToServer its direction.
	quic         int
	quicUDP      []byte
	quicFlow     gopacket.Flow
	quicToServer bool
	// ends finds QUIC on the other UDP ports.
	ends quicEnds
	// dnsReply is the payload of the last frame decoded when it is a UDP
	// datagram from port 53, else nil.
	dnsReply []byte
}

// decode reports done when it decided the frame: seg is valid when ok.
func (f *fastPath) decode(data []byte) (seg tcpSegment, ok, done bool) {
	f.dnsReply, f.quicUDP = nil, nil
	f.parser.DecodeLayers(data, &f.decoded) // errors leave a prefix decoded
	var netFlow gopacket.Flow
	haveNet := false
	for _, lt := range f.decoded {
		switch lt {
		case layers.LayerTypeIPv4:
			if f.ip4.Flags&layers.IPv4MoreFragments != 0 || f.ip4.FragOffset != 0 {
				return seg, false, false
			}
			netFlow, haveNet = f.ip4.NetworkFlow(), true
		case layers.LayerTypeIPv6:
			netFlow, haveNet = f.ip6.NetworkFlow(), true
		case layers.LayerTypeTCP:
			if !haveNet {
				return seg, false, false
			}
			return tcpSegment{netFlow: netFlow, tcp: &f.tcp}, true, true
		case layers.LayerTypeUDP:
			if f.udp.DstPort == 4789 || f.udp.SrcPort == 4789 || f.udp.DstPort == 6081 || f.udp.SrcPort == 6081 {
				return seg, false, false // VXLAN, Geneve: the slow path follows them
			}
			if haveNet {
				if ok, toServer := f.isQUIC(netFlow, &f.udp); ok {
					f.quicUDP, f.quicFlow, f.quicToServer = udpBytes(&f.udp), netFlow, toServer
				}
			}
			if f.udp.SrcPort == 53 && haveNet {
				f.dnsReply = f.udp.Payload
			}
			return seg, false, true
		}
	}
	return seg, false, false
}

// firstLayer picks the decoder for a link type and strips link headers
// gopacket does not know. ok is false for an unsupported link type.
func firstLayer(linkType uint32, data []byte) (gopacket.Decoder, []byte, bool) {
	switch linkType {
	case uint32(layers.LinkTypeEthernet), uint32(layers.LinkTypeNull), uint32(layers.LinkTypeLoop),
		uint32(layers.LinkTypeRaw), uint32(layers.LinkTypeLinuxSLL), uint32(layers.LinkTypePPP),
		uint32(layers.LinkTypeIEEE802_11), uint32(layers.LinkTypeIEEE80211Radio), uint32(layers.LinkTypePFLog):
		// gopacket decodes these, down to the 802.11 data frames of an
		// open or already decrypted Wi-Fi capture.
		return layers.LinkType(linkType), data, true
	case uint32(layers.LinkTypeIPv4):
		return layers.LayerTypeIPv4, data, true
	case uint32(layers.LinkTypeIPv6):
		return layers.LayerTypeIPv6, data, true
	case linkTypeRawBSD1, linkTypeRawBSD2:
		return ipByVersion(data)
	case linkTypeSLL2:
		// 20-byte header; the protocol type comes first.
		if len(data) < 20 {
			return nil, nil, false
		}
		return layers.EthernetType(binary.BigEndian.Uint16(data)), data[20:], true
	case linkTypeNFLOG:
		return nflogPayload(data)
	}
	return nil, nil, false
}

func ipByVersion(data []byte) (gopacket.Decoder, []byte, bool) {
	if len(data) == 0 {
		return nil, nil, false
	}
	switch data[0] >> 4 {
	case 4:
		return layers.LayerTypeIPv4, data, true
	case 6:
		return layers.LayerTypeIPv6, data, true
	}
	return nil, nil, false
}

// nflogPayload finds the packet inside an NFLOG record: a 4-byte header
// (family, version, resource id) and TLVs, one of which (type 9) holds the
// packet. TLV lengths are in host byte order, which captures almost always
// write little-endian.
func nflogPayload(data []byte) (gopacket.Decoder, []byte, bool) {
	if len(data) < 4 {
		return nil, nil, false
	}
	family := data[0]
	tlvs := data[4:]
	for len(tlvs) >= 4 {
		n := int(binary.LittleEndian.Uint16(tlvs))
		typ := binary.LittleEndian.Uint16(tlvs[2:]) & 0x7fff
		if n < 4 || n > len(tlvs) {
			return nil, nil, false
		}
		if typ == 9 {
			payload := tlvs[4:n]
			switch family {
			case 2: // AF_INET
				return layers.LayerTypeIPv4, payload, true
			case 10: // AF_INET6
				return layers.LayerTypeIPv6, payload, true
			}
			return ipByVersion(payload)
		}
		pad := (n + 3) &^ 3
		if pad > len(tlvs) {
			break
		}
		tlvs = tlvs[pad:]
	}
	return nil, nil, false
}

// decode returns the TCP segment a frame carries, or ok false when it
// carries none (or only an IP fragment still waiting for the rest).
func (d *decoder) decode(p *packet) (seg tcpSegment, ok bool) {
	if p.linkType == uint32(layers.LinkTypeEthernet) {
		if seg, ok, done := d.fast.decode(p.data); done {
			if d.fast.dnsReply != nil {
				d.dns.record(d.fast.dnsReply, p.frame)
				p.dns = true
			}
			if d.fast.quicUDP != nil {
				d.quicAt(p, d.fast.quicUDP, d.fast.quicFlow, d.fast.quicToServer)
			}
			// A mirror port may see a connection on both sides of a
			// NAT (dedup.single).
			return seg, ok && !((seg.tcp.SYN || len(d.dups.copies) > 0) && d.dups.single(&seg, p.ts))
		}
	}
	// A packet of a capture on several interfaces, or of Linux's "any"
	// (cooked), may be a copy of one already read.
	lt := p.linkType &^ multiLinkFlag
	multi := lt != p.linkType || cooked(lt)
	if lt == uint32(layers.LinkTypeEthernet) {
		if seg, ok, done := d.fast.decode(p.data); done {
			d.fastDNS(p)
			return seg, ok && !(multi && d.dups.duplicate(&seg, p.ts))
		}
	}
	dec, data, known := firstLayer(lt, p.data)
	if !known {
		d.unsupported[lt]++
		return seg, false
	}
	seg, ok = d.decodeFrom(p, dec, data, 0)
	if !ok {
		return seg, false
	}
	if multi {
		return seg, !d.dups.duplicate(&seg, p.ts)
	}
	return seg, !((seg.tcp.SYN || len(d.dups.copies) > 0) && d.dups.single(&seg, p.ts))
}

// fastDNS records the DNS answer and the QUIC datagram the fast path
// found, if any.
func (d *decoder) fastDNS(p *packet) {
	if d.fast.dnsReply != nil {
		d.dns.record(d.fast.dnsReply, p.frame)
		p.dns = true
	}
	if d.fast.quicUDP != nil {
		d.quicAt(p, d.fast.quicUDP, d.fast.quicFlow, d.fast.quicToServer)
	}
}

// udpBytes is a decoded UDP layer's header and payload, which follow each
// other in the frame.
func udpBytes(l *layers.UDP) []byte {
	if len(l.Contents) != 8 || cap(l.Contents) < 8+len(l.Payload) {
		return nil
	}
	return l.Contents[:8+len(l.Payload)]
}

// maxQUICEnds bounds the server endpoints quicEnds remembers.
const maxQUICEnds = 4096

// quicEnds finds QUIC on UDP ports other than 443 by its content, not its
// port: a client's first Initial packet (quic.ClientInitial: version 1 or
// 2, a Destination Connection ID of 8 to 20 bytes, a datagram padded to
// 1200 bytes) names its server's address and port, whose datagrams both
// ways are read as QUIC from then on, whatever the client's address
// (a client that migrated or was rebound by a NAT). The test costs a
// length comparison for most datagrams and a map lookup once a server is
// known; another protocol is taken for QUIC only if its datagram is as
// long and begins as a QUIC Initial does, byte for byte.
type quicEnds struct {
	servers map[netip.AddrPort]struct{}
	// packets counts the datagrams read as QUIC this way; full the
	// client Initials of servers past maxQUICEnds, not followed.
	packets, full int
}

// isQUIC tells whether a UDP datagram is QUIC and whether it goes to the
// server; datagrams to or from port 443 always are (counted in f.quic).
func (f *fastPath) isQUIC(netFlow gopacket.Flow, udp *layers.UDP) (ok, toServer bool) {
	if udp.DstPort == quicPort || udp.SrcPort == quicPort {
		f.quic++
		return true, udp.DstPort == quicPort
	}
	e := &f.ends
	initial := quic.ClientInitial(udp.Payload)
	if !initial && len(e.servers) == 0 {
		return false, false
	}
	src, ok1 := netip.AddrFromSlice(netFlow.Src().Raw())
	dst, ok2 := netip.AddrFromSlice(netFlow.Dst().Raw())
	if !ok1 || !ok2 {
		return false, false
	}
	to := netip.AddrPortFrom(dst.Unmap(), uint16(udp.DstPort))
	if _, known := e.servers[to]; known {
		e.packets++
		return true, true
	}
	if _, known := e.servers[netip.AddrPortFrom(src.Unmap(), uint16(udp.SrcPort))]; known {
		e.packets++
		return true, false
	}
	if !initial {
		return false, false
	}
	if len(e.servers) >= maxQUICEnds {
		e.full++
		return false, false
	}
	if e.servers == nil {
		e.servers = map[netip.AddrPort]struct{}{}
	}
	e.servers[to] = struct{}{}
	e.packets++
	return true, true
}

// quicAt records in p where the UDP datagram b (a slice of p.data) is, for
// the reader to read as QUIC (Reader.quicDatagram): its offset and length
// in tcpOff and tcpLen, its addresses in seg.netFlow, toServer its
// direction.
func (d *decoder) quicAt(p *packet, b []byte, flow gopacket.Flow, toServer bool) {
	off := cap(p.data) - cap(b)
	if len(b) < 8 || off < 0 || off+len(b) > len(p.data) || &p.data[off] != &b[0] {
		return // not in the frame's buffer (a reassembled datagram)
	}
	p.quic, p.quicToServer = true, toServer
	p.tcpOff, p.tcpLen = off, len(b)
	p.seg.netFlow = flow
}

// maxTunnels bounds the encapsulations decodeFrom undoes itself (ERSPAN
// types I and III) inside one frame.
const maxTunnels = 4

// decodeFrom decodes data, a frame's content from the layer dec on, with
// gopacket, undoing the encapsulations gopacket does not know (depth of
// them already undone).
func (d *decoder) decodeFrom(p *packet, dec gopacket.Decoder, data []byte, depth int) (seg tcpSegment, ok bool) {
	pkt := gopacket.NewPacket(data, dec, gopacket.DecodeOptions{NoCopy: true})
	// Take the innermost IP layer (VXLAN and other tunnels nest them).
	var netFlow gopacket.Flow
	var tcp *layers.TCP
	var haveNet bool
	for _, l := range pkt.Layers() {
		switch l := l.(type) {
		case *layers.GRE:
			if inner, idec, ok := erspanInner(l); ok {
				if depth >= maxTunnels {
					return seg, false
				}
				return d.decodeFrom(p, idec, inner, depth+1)
			}
		case *layers.IPv4:
			netFlow, haveNet, tcp = l.NetworkFlow(), true, nil
			if l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0 {
				return d.defragment(l, p.ts)
			}
		case *layers.IPv6:
			netFlow, haveNet, tcp = l.NetworkFlow(), true, nil
		case *layers.IPv6Fragment:
			if l.FragmentOffset != 0 || l.MoreFragments {
				return d.defragment6(netFlow, l, p.frame, p.ts)
			}
			// An atomic fragment (RFC 6946) holds the whole datagram.
			if l.NextHeader == layers.IPProtocolTCP {
				t := &layers.TCP{}
				if err := t.DecodeFromBytes(l.Payload, gopacket.NilDecodeFeedback); err != nil {
					return seg, false
				}
				tcp = t
			}
		case *layers.TCP:
			// A header cut short by the snap length decodes to a layer
			// with no ports; reassembling it would key a stream on nothing.
			if len(l.Contents) < 20 {
				return seg, false
			}
			tcp = l
		case *layers.UDP:
			if haveNet {
				if ok, toServer := d.fast.isQUIC(netFlow, l); ok {
					d.quicAt(p, udpBytes(l), netFlow, toServer)
				}
			}
			if l.SrcPort == 53 && haveNet {
				d.dns.record(l.Payload, p.frame)
				p.dns = true
			}
		}
	}
	if !haveNet || tcp == nil {
		return seg, false
	}
	return tcpSegment{netFlow: netFlow, tcp: tcp}, true
}

// GRE protocol types of ERSPAN (Cisco's encapsulated port mirroring).
const (
	greERSPAN   = 0x88be // type I (no sequence number) and type II
	greERSPAN3  = 0x22eb // type III
	erspan3Len  = 12
	erspan3Plat = 8 // the optional platform-specific subheader
)

// erspanInner finds the mirrored frame in a GRE packet of ERSPAN type I
// or III, which gopacket does not decode (it reads every 0x88be packet as
// type II, whose 8-byte header type I does not have): type I carries the
// frame right after a GRE header without a sequence number; type III has
// a 12-byte header, an optional 8-byte subheader and a frame type
// (Ethernet, or an IP packet).
func erspanInner(g *layers.GRE) ([]byte, gopacket.Decoder, bool) {
	switch {
	case g.Protocol == greERSPAN && !g.SeqPresent:
		return g.Payload, layers.LayerTypeEthernet, true
	case g.Protocol == greERSPAN3:
		b := g.Payload
		if len(b) < erspan3Len || b[0]>>4 != 2 {
			return nil, nil, false
		}
		w := binary.BigEndian.Uint32(b[8:])
		n := erspan3Len
		if w&1 != 0 {
			n += erspan3Plat
		}
		if len(b) < n {
			return nil, nil, false
		}
		switch (w >> 10) & 0x1f {
		case 0:
			return b[n:], layers.LayerTypeEthernet, true
		case 2:
			dec, data, ok := ipByVersion(b[n:])
			return data, dec, ok
		}
	}
	return nil, nil, false
}

// IPv6 fragments wait here until their datagram is whole (gopacket has no
// IPv6 defragmenter). Bounds: datagrams of at most 64 KiB, a few hundred
// pending, dropped when not completed within a number of frames.
const (
	ip6MaxPending   = 256
	ip6MaxDatagram  = 1 << 16
	ip6PendingFrame = 10000
)

type ip6Pending struct {
	first   int // frame of the first fragment seen
	next    layers.IPProtocol
	parts   map[int][]byte // by byte offset
	end     int            // datagram length, -1 until the last fragment
	size    int
	netFlow gopacket.Flow
}

func (d *decoder) defragment6(netFlow gopacket.Flow, f *layers.IPv6Fragment, frame int, ts time.Time) (tcpSegment, bool) {
	if d.ip6 == nil {
		d.ip6 = map[string]*ip6Pending{}
	}
	var hdr [40]byte // addresses, then the fragment header
	copy(hdr[:16], netFlow.Src().Raw())
	copy(hdr[16:32], netFlow.Dst().Raw())
	if len(f.Contents) >= 8 {
		copy(hdr[32:], f.Contents[:8])
	}
	if d.fragDups.duplicate(hdr[:], f.Payload, ts) {
		return tcpSegment{}, false
	}
	key := netFlow.String() + "/" + strconv.FormatUint(uint64(f.Identification), 10)
	pd := d.ip6[key]
	if pd == nil {
		for k, old := range d.ip6 { // expire the stale
			if frame-old.first > ip6PendingFrame {
				delete(d.ip6, k)
				d.ip6Frags++
			}
		}
		if len(d.ip6) >= ip6MaxPending { // and the oldest past the bound
			oldest := ""
			for k, old := range d.ip6 {
				if oldest == "" || old.first < d.ip6[oldest].first || old.first == d.ip6[oldest].first && k < oldest {
					oldest = k
				}
			}
			delete(d.ip6, oldest)
			d.ip6Frags++
		}
		pd = &ip6Pending{first: frame, parts: map[int][]byte{}, end: -1, netFlow: netFlow}
		d.ip6[key] = pd
	}
	off := int(f.FragmentOffset) * 8
	if off == 0 {
		pd.next = f.NextHeader
	}
	if !f.MoreFragments {
		pd.end = off + len(f.Payload)
	}
	if _, dup := pd.parts[off]; !dup {
		pd.size += len(f.Payload)
		pd.parts[off] = bytes.Clone(f.Payload)
	}
	if pd.size > ip6MaxDatagram || off+len(f.Payload) > ip6MaxDatagram {
		delete(d.ip6, key)
		d.ip6Frags++
		return tcpSegment{}, false
	}
	if pd.end < 0 {
		return tcpSegment{}, false
	}
	// Whole when the parts tile [0, end).
	whole := make([]byte, 0, pd.end)
	for len(whole) < pd.end {
		part, ok := pd.parts[len(whole)]
		if !ok || len(part) == 0 {
			return tcpSegment{}, false
		}
		whole = append(whole, part...)
	}
	delete(d.ip6, key)
	if pd.next != layers.IPProtocolTCP || len(whole) != pd.end {
		return tcpSegment{}, false
	}
	t := &layers.TCP{}
	if err := t.DecodeFromBytes(whole, gopacket.NilDecodeFeedback); err != nil {
		return tcpSegment{}, false
	}
	return tcpSegment{netFlow: pd.netFlow, tcp: t}, true
}

// IPv4 datagrams waiting for fragments are bounded like IPv6 ones: at
// most ip4MaxPending of them and ip4MaxBytes of fragments (past either,
// all are dropped), each dropped when ip4MaxAge of capture time passed
// without a fragment of it.
const (
	ip4MaxPending = 1024
	ip4MaxBytes   = 16 << 20
	ip4MaxAge     = 30 * time.Second
	ip4AgeEvery   = 256 // fragments between two checks of the ages
)

type ip4Key struct {
	src, dst [4]byte
	id       uint16
	proto    layers.IPProtocol
}

func (d *decoder) defragment(ip *layers.IPv4, ts time.Time) (tcpSegment, bool) {
	if d.ip4 == nil {
		d.ip4 = map[ip4Key]time.Time{}
	}
	var k ip4Key
	copy(k.src[:], ip.SrcIP.To4())
	copy(k.dst[:], ip.DstIP.To4())
	k.id, k.proto = ip.Id, ip.Protocol
	var hdr [13]byte // addresses, identification, flags and offset, protocol
	copy(hdr[:4], k.src[:])
	copy(hdr[4:8], k.dst[:])
	binary.BigEndian.PutUint16(hdr[8:], ip.Id)
	binary.BigEndian.PutUint16(hdr[10:], uint16(ip.Flags)<<13|ip.FragOffset)
	hdr[12] = byte(ip.Protocol)
	if d.fragDups.duplicate(hdr[:], ip.Payload, ts) {
		return tcpSegment{}, false
	}
	if d.ip4Seen++; d.ip4Seen%ip4AgeEvery == 0 {
		cutoff := ts.Add(-ip4MaxAge)
		d.defrag.DiscardOlderThan(cutoff)
		for key, last := range d.ip4 {
			if last.Before(cutoff) {
				delete(d.ip4, key)
				d.ip4Lost++
			}
		}
	}
	if _, ok := d.ip4[k]; !ok && len(d.ip4) >= ip4MaxPending || d.ip4Bytes > ip4MaxBytes {
		d.ip4Lost += len(d.ip4)
		clear(d.ip4)
		d.ip4Bytes = 0
		d.defrag = ip4defrag.NewIPv4Defragmenter()
	}
	// The defragmenter keeps fragment payloads; the frame buffer is reused.
	cp := *ip
	cp.Payload = append([]byte(nil), ip.Payload...)
	d.ip4[k] = ts
	d.ip4Bytes += len(cp.Payload)
	whole, err := d.defrag.DefragIPv4WithTimestamp(&cp, ts)
	if err != nil {
		// A fragment the defragmenter refuses (too many, past 64 KiB):
		// its datagram is dropped.
		delete(d.ip4, k)
		d.ip4Lost++
		return tcpSegment{}, false
	}
	if whole == nil {
		return tcpSegment{}, false
	}
	delete(d.ip4, k)
	d.ip4Bytes = max(0, d.ip4Bytes-len(whole.Payload))
	if whole.Protocol != layers.IPProtocolTCP {
		return tcpSegment{}, false
	}
	t := &layers.TCP{}
	if err := t.DecodeFromBytes(whole.Payload, gopacket.NilDecodeFeedback); err != nil {
		return tcpSegment{}, false
	}
	return tcpSegment{netFlow: whole.NetworkFlow(), tcp: t}, true
}

// notes says what the decoder skipped (kind and message only).
func (d *decoder) notes() []model.Note {
	var out []model.Note
	for _, lt := range sortedKeys(d.unsupported) {
		out = append(out, model.Note{Kind: model.NoteUnsupported, Message: fmt.Sprintf("%d frames with unsupported link type %d skipped", d.unsupported[lt], lt)})
	}
	if d.dups.dropped > 0 {
		out = append(out, model.Note{Kind: model.NoteDuplicate, Message: fmt.Sprintf("%d TCP packets captured twice (on more than one interface) read once", d.dups.dropped)})
	}
	if msg := d.dups.natNote(); msg != "" {
		out = append(out, model.Note{Kind: model.NoteDuplicate, Message: msg})
	}
	if d.fragDups.dropped > 0 {
		out = append(out, model.Note{Kind: model.NoteDuplicate, Message: fmt.Sprintf("%d IP fragments captured twice read once", d.fragDups.dropped)})
	}
	if n := d.ip4Lost + len(d.ip4); n > 0 {
		out = append(out, model.Note{Kind: model.NoteUnsupported, Message: fmt.Sprintf("%d IPv4 datagrams could not be reassembled from their fragments", n)})
	}
	if n := d.ip6Frags + len(d.ip6); n > 0 {
		out = append(out, model.Note{Kind: model.NoteUnsupported, Message: fmt.Sprintf("%d IPv6 datagrams could not be reassembled from their fragments", n)})
	}
	return out
}
