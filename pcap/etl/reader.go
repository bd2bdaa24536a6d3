package etl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Link types of the frames, as pcap numbers them.
const (
	LinkEthernet = 1
	LinkRaw      = 101 // raw IPv4/IPv6 (WWAN, VPN interfaces)
	Link80211    = 105
)

// Source says which provider wrote a frame.
type Source uint8

const (
	SourceNDIS       Source = iota + 1 // Microsoft-Windows-NDIS-PacketCapture 1001
	SourceVMSwitch                     // Microsoft-Windows-NDIS-PacketCapture 1003
	SourcePktMon                       // Microsoft-Windows-PktMon 160
	SourcePktMonDrop                   // Microsoft-Windows-PktMon 170 (a dropped packet)
)

// Frame is one assembled packet.
type Frame struct {
	// Number is the 1-based position of the frame, as etl2pcapng numbers
	// the packets it writes: by event time, then file order.
	Number   int
	Time     time.Time
	LinkType uint32
	Data     []byte // valid until the next call to Next
	// OrigLen is the packet's length on the wire when the capture cut it
	// short (packettruncatebytes, pktmon --pkt-size), else len(Data).
	OrigLen int
	// PID and TID are the process and thread the event was logged in:
	// for sent packets often the process that sent them.
	PID, TID uint32
	// Iface is the NDIS LowerIfIndex, or the pktmon component id.
	Iface uint32
	// Miniport is the NDIS MiniportIfIndex (0 for pktmon).
	Miniport uint32
	Send     bool
	Source   Source
	// GroupID is pktmon's packet group (one packet seen by several
	// components shares it); 0 for NDIS.
	GroupID uint64
	// WLAN is the 802.11 receive metadata logged just before the packet,
	// when there was one.
	WLAN *WLANMeta
}

// WLANMeta is what a Packet Metadata event (1002) says about the next
// 802.11 frame (DOT11_EXTSTA_RECV_CONTEXT).
type WLANMeta struct {
	ReceiveFlags uint32
	PhyID        uint32
	ChannelMHz   uint32
	MPDUs        uint16
	RSSI         int32
	DataRate     uint8
}

// Note is something the reader could not do or chose to skip.
type Note struct {
	Kind    string // "truncated", "damaged", "limit", "unsupported"
	Message string
}

// Limits bound what one file may make the reader hold.
type Limits struct {
	// MaxFrames bounds the frames indexed (default 10 million, about 700
	// MB of index; a 1 GB netsh capture holds a few million packets).
	MaxFrames int
	// MaxFrameBytes bounds one assembled packet (default 256 KiB).
	MaxFrameBytes int
	// MaxCacheBytes bounds decompressed buffers kept (default 128 MiB).
	MaxCacheBytes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxFrames <= 0 {
		l.MaxFrames = 10_000_000
	}
	if l.MaxFrameBytes <= 0 {
		l.MaxFrameBytes = 256 << 10
	}
	if l.MaxCacheBytes <= 0 {
		l.MaxCacheBytes = 128 << 20
	}
	return l
}

var (
	guidNDIS   = guid(0x2ed6006e, 0x4729, 0x4609, 0xb423, 0x3ee7bcd678ef)
	guidPktMon = guid(0x4d4f80d9, 0xc8bd, 0x4d73, 0xbb5b, 0x19c90402c5ac)
	guidRAS    = guid(0xd84521f7, 0x2235, 0x4237, 0xa7c0, 0x14e3a9676286)
)

// guid lays a GUID out as it is stored (the first three fields little-endian).
func guid(a uint32, b, c, d uint16, e uint64) [16]byte {
	var g [16]byte
	binary.LittleEndian.PutUint32(g[0:], a)
	binary.LittleEndian.PutUint16(g[4:], b)
	binary.LittleEndian.PutUint16(g[6:], c)
	binary.BigEndian.PutUint16(g[8:], d)
	for i := range 6 {
		g[10+i] = byte(e >> (8 * (5 - i)))
	}
	return g
}

// NDIS keywords (from the provider's manifest).
const (
	kwWirelessWAN     = 0x200
	kwNative80211     = 0x10000
	kwPacketTruncated = 0x2000000
	kwPacketStart     = 0x40000000
	kwPacketEnd       = 0x80000000
	kwSend            = 0x100000000
)

// piece locates bytes of a packet inside a buffer's records area.
type piece struct {
	buf int32
	off uint32
	n   uint32
}

// entry is one indexed frame; its bytes are read when it is reached.
type entry struct {
	raw        int64
	pieceStart int32
	pieceCount int32
	meta       int32 // index into wlan, or -1
	link       uint16
	source     Source
	send       bool
	pid, tid   uint32
	iface      uint32
	miniport   uint32
	origLen    uint32 // 0: as captured
	group      uint64
}

// Reader yields the frames of an ETL file.
type Reader struct {
	f       *File
	lim     Limits
	entries []entry
	pieces  []piece
	wlan    []WLANMeta
	next    int
	notes   []Note

	frame []byte
	cache map[int32][]byte
	order []int32 // cache keys, oldest first
	held  int
}

// NewReader opens an ETL file and indexes its packet events.
func NewReader(r io.ReaderAt, size int64, lim Limits) (*Reader, error) {
	f, err := Open(r, size)
	if err != nil {
		return nil, err
	}
	rd := &Reader{f: f, lim: lim.withDefaults(), cache: map[int32][]byte{}}
	rd.index()
	return rd, nil
}

// Header returns what the file's header says.
func (r *Reader) Header() Header { return r.f.Header }

// Notes returns the notes about the file, in a fixed order.
func (r *Reader) Notes() []Note { return slices.Clone(r.notes) }

// Frames returns how many frames the file holds.
func (r *Reader) Frames() int { return len(r.entries) }

type pending struct {
	pieces []piece
	bytes  int
	meta   int32
}

// counts gathers what indexing skipped, for notes.
type counts struct {
	damagedBuffers, damagedEvents, orphanFragments, oversized int
	lostFlagged, bufferLostFlagged, truncated, vmswitchBad    int
	pktmonTypes                                               map[uint16]int
	ras, overLimit, pktmonDrops, overBudget                   int
}

func (r *Reader) index() {
	f := r.f
	var c counts
	c.pktmonTypes = map[uint16]int{}
	pend := map[uint16]*pending{}
	metaFor := map[uint16]int32{}
	for _, bi := range f.sortedBuffers() {
		b := &f.bufs[bi]
		if b.flags&flagEventsLost != 0 {
			c.lostFlagged++
		}
		if b.flags&flagBufferLost != 0 {
			c.bufferLostFlagged++
		}
		data, err := f.payload(b)
		if errors.Is(err, errBudget) {
			c.overBudget++
			continue
		}
		if err != nil {
			c.damagedBuffers++
			if data == nil {
				continue
			}
		}
		_, clean := walkRecords(data, func(rec []byte, ht byte) bool {
			if ht != htEventHeader && ht != htEventHeader6 {
				return false
			}
			off := subOffset(data, rec)
			ev, ok := parseEvent(rec, ht, off)
			if !ok {
				c.damagedEvents++
				return false
			}
			switch ev.provider {
			case guidNDIS:
				r.ndisEvent(&c, ev, int32(bi), b.proc, pend, metaFor)
			case guidPktMon:
				r.pktmonEvent(&c, ev, int32(bi))
			case guidRAS:
				c.ras++
			}
			return len(r.entries) >= r.lim.MaxFrames
		})
		if !clean {
			c.damagedBuffers++
		}
		if len(r.entries) >= r.lim.MaxFrames {
			c.overLimit++
			break
		}
	}
	for _, p := range pend {
		if len(p.pieces) > 0 {
			c.orphanFragments++
		}
	}
	slices.SortStableFunc(r.entries, func(a, b entry) int {
		switch {
		case a.raw < b.raw:
			return -1
		case a.raw > b.raw:
			return 1
		}
		return 0
	})
	r.makeNotes(&c)
}

// subOffset is the offset of sub inside data (sub must be a subslice).
func subOffset(data, sub []byte) int {
	if len(sub) == 0 {
		return len(data)
	}
	return cap(data) - cap(sub)
}

func (r *Reader) ndisEvent(c *counts, ev event, bi int32, proc uint16, pend map[uint16]*pending, metaFor map[uint16]int32) {
	le := binary.LittleEndian
	u := ev.user
	switch ev.id {
	case 1001, 1003:
	case 1002:
		// Packet metadata: 802.11 receive context for the next packet
		// logged on this processor.
		if len(u) < 12 {
			c.damagedEvents++
			return
		}
		n := int(le.Uint32(u[8:]))
		if n > len(u)-12 || n < 28 {
			c.damagedEvents++
			return
		}
		m := u[12 : 12+n]
		// NDIS_OBJECT_HEADER (4), flags, phy id, center frequency, MPDU
		// count (+2 padding), RSSI, data rate.
		w := WLANMeta{
			ReceiveFlags: le.Uint32(m[4:]),
			PhyID:        le.Uint32(m[8:]),
			ChannelMHz:   le.Uint32(m[12:]),
			MPDUs:        le.Uint16(m[16:]),
			RSSI:         int32(le.Uint32(m[20:])),
			DataRate:     m[24],
		}
		r.wlan = append(r.wlan, w)
		metaFor[proc] = int32(len(r.wlan) - 1)
		return
	default:
		return
	}
	if len(u) < 12 {
		c.damagedEvents++
		return
	}
	miniport, lower := le.Uint32(u), le.Uint32(u[4:])
	p := 8
	source := SourceNDIS
	if ev.id == 1003 {
		// VMSwitch fragment: port id, three UTF-16 strings and an array of
		// destinations come before the fragment.
		source = SourceVMSwitch
		var ok bool
		if p, ok = skipVMSwitch(u, p); !ok {
			c.vmswitchBad++
			return
		}
	}
	if p+4 > len(u) {
		c.damagedEvents++
		return
	}
	n := int(le.Uint32(u[p:]))
	p += 4
	if n > len(u)-p {
		c.damagedEvents++
		return
	}
	pc := piece{buf: bi, off: uint32(ev.userOff + p), n: uint32(n)}
	if ev.keyword&kwPacketTruncated != 0 {
		c.truncated++
	}
	pd := pend[proc]
	if pd == nil {
		pd = &pending{meta: -1}
		pend[proc] = pd
	}
	if ev.keyword&kwPacketStart != 0 && len(pd.pieces) > 0 {
		// A new packet began before the last one ended: its end was lost.
		c.orphanFragments++
		pd.pieces, pd.bytes = pd.pieces[:0], 0
	}
	if pd.bytes+n > r.lim.MaxFrameBytes {
		c.oversized++
		pd.pieces, pd.bytes = pd.pieces[:0], 0
		return
	}
	pd.pieces = append(pd.pieces, pc)
	pd.bytes += n
	if ev.keyword&kwPacketEnd == 0 {
		return
	}
	link := uint16(LinkEthernet)
	switch {
	case ev.keyword&kwNative80211 != 0:
		link = Link80211
	case ev.keyword&kwWirelessWAN != 0:
		link = LinkRaw
	}
	meta := int32(-1)
	if m, ok := metaFor[proc]; ok {
		meta = m
		delete(metaFor, proc)
	}
	r.entries = append(r.entries, entry{
		raw: ev.raw, pieceStart: int32(len(r.pieces)), pieceCount: int32(len(pd.pieces)),
		meta: meta, link: link, source: source, send: ev.keyword&kwSend != 0,
		pid: ev.pid, tid: ev.tid, iface: lower, miniport: miniport,
	})
	r.pieces = append(r.pieces, pd.pieces...)
	pd.pieces, pd.bytes = pd.pieces[:0], 0
}

// skipVMSwitch steps over the fields of a VMSwitch fragment event that
// precede FragmentSize: SourcePortId, SourcePortName, SourceNicName,
// SourceNicType, DestinationCount and the destinations (8 bytes each).
func skipVMSwitch(u []byte, p int) (int, bool) {
	p += 4
	for range 3 {
		for {
			if p+2 > len(u) {
				return 0, false
			}
			z := u[p] == 0 && u[p+1] == 0
			p += 2
			if z {
				break
			}
		}
	}
	if p+4 > len(u) {
		return 0, false
	}
	count := int(binary.LittleEndian.Uint32(u[p:]))
	p += 4
	if count > (len(u)-p)/8 {
		return 0, false
	}
	return p + 8*count, true
}

// pktmon packet event layout: PktGroupId u64, PktNumber, AppearanceCount,
// DirTag, PacketType, ComponentId, EdgeId, FilterId (u16 each),
// DropReason, DropLocation (u32), OriginalPayloadSize, LoggedPayloadSize
// (u16), Payload.
const pktmonHeader = 34

func (r *Reader) pktmonEvent(c *counts, ev event, bi int32) {
	if ev.id != 160 && ev.id != 170 {
		return
	}
	le := binary.LittleEndian
	u := ev.user
	if len(u) < pktmonHeader {
		c.damagedEvents++
		return
	}
	typ := le.Uint16(u[14:])
	logged := int(le.Uint16(u[32:]))
	if logged > len(u)-pktmonHeader {
		c.damagedEvents++
		return
	}
	var link uint16
	switch typ {
	case 1:
		link = LinkEthernet
	case 2:
		link = Link80211
	case 3:
		link = LinkRaw
	default:
		c.pktmonTypes[typ]++
		return
	}
	source := SourcePktMon
	if ev.id == 170 {
		source = SourcePktMonDrop
		c.pktmonDrops++
	}
	orig := uint32(le.Uint16(u[30:]))
	if int(orig) > logged {
		c.truncated++
	} else {
		orig = 0
	}
	r.entries = append(r.entries, entry{
		raw: ev.raw, pieceStart: int32(len(r.pieces)), pieceCount: 1,
		meta: -1, link: link, source: source,
		pid: ev.pid, tid: ev.tid, iface: uint32(le.Uint16(u[16:])),
		origLen: orig, group: le.Uint64(u),
	})
	r.pieces = append(r.pieces, piece{buf: bi, off: uint32(ev.userOff + pktmonHeader), n: uint32(logged)})
}

func (r *Reader) makeNotes(c *counts) {
	h := &r.f.Header
	add := func(kind, format string, args ...any) {
		r.notes = append(r.notes, Note{Kind: kind, Message: fmt.Sprintf(format, args...)})
	}
	if h.Circular() {
		add("truncated", "circular trace: the oldest buffers were overwritten, so connections may start mid-stream")
	}
	if h.EventsLost > 0 {
		add("truncated", "the tracing session lost %d events (file header)", h.EventsLost)
	}
	if h.BuffersLost > 0 {
		add("truncated", "the tracing session lost %d buffers (file header)", h.BuffersLost)
	}
	if c.lostFlagged > 0 {
		add("truncated", "%d buffers are marked as having lost events", c.lostFlagged)
	}
	if c.bufferLostFlagged > 0 {
		add("truncated", "%d buffers are marked as following lost buffers", c.bufferLostFlagged)
	}
	if r.f.damage != "" {
		add("damaged", "reading stopped: %s", r.f.damage)
	}
	if c.damagedBuffers > 0 {
		add("damaged", "%d buffers could not be read to their end", c.damagedBuffers)
	}
	if c.damagedEvents > 0 {
		add("damaged", "%d packet events were malformed and skipped", c.damagedEvents)
	}
	if c.vmswitchBad > 0 {
		add("damaged", "%d VMSwitch packet events could not be decoded", c.vmswitchBad)
	}
	if c.orphanFragments > 0 {
		add("truncated", "%d packets lost fragments and were dropped", c.orphanFragments)
	}
	if c.oversized > 0 {
		add("limit", "%d packets exceeded %d bytes and were dropped", c.oversized, r.lim.MaxFrameBytes)
	}
	if c.truncated > 0 {
		add("truncated", "%d packets were cut short by the capture (packettruncatebytes or --pkt-size)", c.truncated)
	}
	if c.pktmonDrops > 0 {
		add("dropped", "%d frames are packets pktmon logged as dropped (event 170); they are kept, as etl2pcapng keeps them", c.pktmonDrops)
	}
	for _, t := range sortedTypeKeys(c.pktmonTypes) {
		add("unsupported", "%d pktmon packets of payload type %d (not a frame) were skipped", c.pktmonTypes[t], t)
	}
	if c.ras > 0 {
		add("unsupported", "%d RAS NdisWan events were not read", c.ras)
	}
	if c.overBudget > 0 {
		add("limit", "%d compressed buffers not read: they would inflate past 32 times the file's size plus 16 MiB (real captures stay under 10 times)", c.overBudget)
	}
	if c.overLimit > 0 {
		add("limit", "more than %d frames; the rest of the file was not read", r.lim.MaxFrames)
	}
}

func sortedTypeKeys(m map[uint16]int) []uint16 {
	keys := make([]uint16, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Sender returns the process id logged with frame n (1-based) when the
// frame is an NDIS packet on the send path: then the id is usually the
// process that sent it. Receive-path ids are whatever ran when the packet
// arrived and are not returned.
func (r *Reader) Sender(n int) (uint32, bool) {
	if n < 1 || n > len(r.entries) {
		return 0, false
	}
	e := &r.entries[n-1]
	if !e.send || e.pid == 0 || (e.source != SourceNDIS && e.source != SourceVMSwitch) {
		return 0, false
	}
	return e.pid, true
}

// Next returns the next frame, io.EOF after the last one.
func (r *Reader) Next() (*Frame, error) {
	if r.next < len(r.entries) {
		e := &r.entries[r.next]
		r.next++
		data, err := r.assemble(e)
		if err != nil {
			return nil, fmt.Errorf("etl: frame %d: %w", r.next, err)
		}
		fr := &Frame{
			Number: r.next, Time: r.f.Header.Time(e.raw), LinkType: uint32(e.link),
			Data: data, OrigLen: len(data), PID: e.pid, TID: e.tid,
			Iface: e.iface, Miniport: e.miniport, Send: e.send, Source: e.source, GroupID: e.group,
		}
		if e.meta >= 0 {
			w := r.wlan[e.meta]
			fr.WLAN = &w
		}
		if e.origLen > uint32(len(data)) {
			fr.OrigLen = int(e.origLen)
		} else if e.source == SourceNDIS || e.source == SourceVMSwitch {
			fr.OrigLen = inferLength(data, e.link)
		}
		if e.link == Link80211 && (e.source == SourceNDIS || e.source == SourceVMSwitch) && len(data) > 1 && data[1]&0x40 != 0 {
			// ndiscap logs 802.11 frames already decrypted but keeps the
			// Protected bit; clear it, as etl2pcapng does, so that the
			// payload is read as plaintext.
			data[1] &^= 0x40
		}
		return fr, nil
	}
	return nil, io.EOF
}

// inferLength recovers the wire length of a truncated packet from its IP
// header, as etl2pcapng does (LSO packets, whose IP length is unset, keep
// their captured length).
func inferLength(data []byte, link uint16) int {
	n := len(data)
	ip := data
	l2 := 0
	if link == LinkEthernet {
		if len(data) < 14 {
			return n
		}
		l2 = 14
		ip = data[14:]
		switch binary.BigEndian.Uint16(data[12:]) {
		case 0x0800, 0x86dd:
		default:
			return n
		}
	} else if link != LinkRaw {
		return n
	}
	if len(ip) < 20 {
		return n
	}
	var total int
	switch ip[0] >> 4 {
	case 4:
		total = int(binary.BigEndian.Uint16(ip[2:]))
	case 6:
		if len(ip) < 40 {
			return n
		}
		total = 40 + int(binary.BigEndian.Uint16(ip[4:]))
	default:
		return n
	}
	if l2+total > n {
		return l2 + total
	}
	return n
}

func (r *Reader) assemble(e *entry) ([]byte, error) {
	r.frame = r.frame[:0]
	for _, p := range r.pieces[e.pieceStart : e.pieceStart+e.pieceCount] {
		b := &r.f.bufs[p.buf]
		if b.flags&flagCompressed == 0 {
			start := len(r.frame)
			r.frame = slices.Grow(r.frame, int(p.n))[:start+int(p.n)]
			if _, err := r.f.r.ReadAt(r.frame[start:], b.off+bufferHeaderSize+int64(p.off)); err != nil && err != io.EOF {
				return nil, err
			}
			continue
		}
		data, err := r.decompressed(p.buf)
		if err != nil && data == nil {
			return nil, err
		}
		if int(p.off)+int(p.n) > len(data) {
			return nil, fmt.Errorf("compressed buffer shorter than at indexing")
		}
		r.frame = append(r.frame, data[p.off:p.off+p.n]...)
	}
	return r.frame, nil
}

// decompressed returns a compressed buffer's records, keeping recently
// used ones up to the cache limit.
func (r *Reader) decompressed(bi int32) ([]byte, error) {
	if d, ok := r.cache[bi]; ok {
		return d, nil
	}
	d, err := r.f.payload(&r.f.bufs[bi])
	if d == nil {
		return nil, err
	}
	for r.held+len(d) > r.lim.MaxCacheBytes && len(r.order) > 0 {
		old := r.order[0]
		r.order = r.order[1:]
		r.held -= len(r.cache[old])
		delete(r.cache, old)
	}
	r.cache[bi] = d
	r.order = append(r.order, bi)
	r.held += len(d)
	return d, nil
}
