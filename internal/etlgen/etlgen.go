// Package etlgen writes Windows ETL files for tests: the container
// (header buffer with the logfile header, per-processor data buffers of
// EVENT_HEADER records) around NDIS-PacketCapture or pktmon events. It is
// written from the layouts documented in pcap/etl, independently of that
// reader, so that what the real samples lack (multi-fragment packets,
// VMSwitch and metadata events, raw IP, circular files, lost events,
// 32-bit headers) can be tested; the real samples remain the reference.
package etlgen

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"
)

// Provider GUIDs as stored (first three fields little-endian).
var (
	NDIS   = guid(0x2ed6006e, 0x4729, 0x4609, [8]byte{0xb4, 0x23, 0x3e, 0xe7, 0xbc, 0xd6, 0x78, 0xef})
	PktMon = guid(0x4d4f80d9, 0xc8bd, 0x4d73, [8]byte{0xbb, 0x5b, 0x19, 0xc9, 0x04, 0x02, 0xc5, 0xac})
	Other  = guid(0x9b79ee91, 0xb5fd, 0x41c0, [8]byte{0xa2, 0x43, 0x42, 0x48, 0xe2, 0x66, 0xe9, 0xd0})
)

func guid(a uint32, b, c uint16, d [8]byte) [16]byte {
	var g [16]byte
	binary.LittleEndian.PutUint32(g[0:], a)
	binary.LittleEndian.PutUint16(g[4:], b)
	binary.LittleEndian.PutUint16(g[6:], c)
	copy(g[8:], d[:])
	return g
}

// NDIS-PacketCapture keywords.
const (
	KwEthernet      = 0x1
	KwWirelessWAN   = 0x200
	KwNative80211   = 0x10000
	KwVMSwitch      = 0x1000000
	KwTruncated     = 0x2000000
	KwPacketStart   = 0x40000000
	KwPacketEnd     = 0x80000000
	KwSend          = 0x100000000
	KwReceive       = 0x200000000
	KwWholePacket   = KwPacketStart | KwPacketEnd
	buffersHeaderSz = 0x48
)

// Event is one manifest-based event.
type Event struct {
	Provider [16]byte
	ID       uint16
	Keyword  uint64
	PID, TID uint32
	Time     time.Time // converted to a raw QPC value
	Proc     uint16    // processor whose buffers hold it
	User     []byte
	// Extended adds two extended data items before the user data.
	Extended bool
}

// Options shape the file.
type Options struct {
	Start       time.Time // the session's start; default: 1 s before the first event
	BufferSize  int       // default 64 KiB
	Ptr32       bool      // 32-bit logfile header and EVENT_HEADER32 records
	Circular    bool
	EventsLost  uint32
	BuffersLost uint32
	// ReverseBuffers writes the data buffers last-filled first, as a
	// circular file that wrapped may hold them.
	ReverseBuffers bool
	// LostFlag marks the first data buffer as having lost events.
	LostFlag bool
	// Clock is the logfile's clock type: 1 QueryPerformanceCounter at
	// 10 MHz (default), 2 system time (raw values are FILETIMEs), 3 CPU
	// cycles at 2400 MHz.
	Clock uint32
}

const perfFreq = 10_000_000

// Build writes an ETL file holding events.
func Build(opts Options, events []Event) ([]byte, error) {
	if opts.BufferSize == 0 {
		opts.BufferSize = 64 << 10
	}
	if opts.Start.IsZero() {
		opts.Start = time.Unix(1_700_000_000, 0)
		if len(events) > 0 {
			opts.Start = events[0].Time.Add(-time.Second)
		}
	}
	const raw0 = 5_000_000_000 // the clock's value at Start
	rawOf := func(t time.Time) int64 {
		d := t.Sub(opts.Start).Nanoseconds()
		switch opts.Clock {
		case 2:
			return filetime(t)
		case 3:
			return raw0 + d*2400/1000 // 2400 cycles per microsecond
		}
		return raw0 + d/100
	}

	// Records per processor, in event order.
	type buf struct {
		proc uint16
		data []byte
	}
	var bufs []buf
	cur := map[uint16]int{} // processor -> index into bufs of its open buffer
	room := opts.BufferSize - buffersHeaderSz
	for _, ev := range events {
		rec := eventRecord(ev, rawOf(ev.Time), opts.Ptr32)
		if len(rec) > room {
			return nil, errors.New("etlgen: event larger than a buffer")
		}
		i, ok := cur[ev.Proc]
		if !ok || len(bufs[i].data)+len(rec) > room {
			bufs = append(bufs, buf{proc: ev.Proc})
			i = len(bufs) - 1
			cur[ev.Proc] = i
		}
		bufs[i].data = append(bufs[i].data, rec...)
	}

	var out []byte
	// Header buffer: the system record carrying TRACE_LOGFILE_HEADER.
	hdr := logfileRecord(opts, rawOf(opts.Start), len(bufs)+1)
	out = append(out, bufferBytes(opts.BufferSize, 0, 0, 4, 0x1, hdr)...)
	order := make([]int, len(bufs))
	for i := range order {
		order[i] = i
	}
	if opts.ReverseBuffers {
		slices.Reverse(order)
	}
	for _, i := range order {
		flags := uint16(0x20) // processor index
		if opts.LostFlag && i == 0 {
			flags |= 0x2
		}
		out = append(out, bufferBytes(opts.BufferSize, int64(i+1), bufs[i].proc, 0, flags, bufs[i].data)...)
	}
	return out, nil
}

func bufferBytes(size int, seq int64, proc uint16, typ, flags uint16, records []byte) []byte {
	b := make([]byte, size)
	le := binary.LittleEndian
	filled := uint32(buffersHeaderSz + len(records))
	le.PutUint32(b[0x00:], uint32(size))
	le.PutUint32(b[0x04:], filled)
	le.PutUint64(b[0x18:], uint64(seq))
	le.PutUint16(b[0x28:], proc)
	le.PutUint32(b[0x30:], filled)
	le.PutUint16(b[0x34:], flags)
	le.PutUint16(b[0x36:], typ)
	copy(b[buffersHeaderSz:], records)
	// The unused rest of a flushed buffer reads as 0xff.
	for i := int(filled); i < size; i++ {
		b[i] = 0xff
	}
	return b
}

func align8(b []byte) []byte {
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b
}

func eventRecord(ev Event, raw int64, ptr32 bool) []byte {
	le := binary.LittleEndian
	var ext []byte
	if ev.Extended {
		// A provider-traits item (linked to the next) and a 4-byte
		// session id item.
		it := make([]byte, 24)
		le.PutUint16(it[0:], 24)
		le.PutUint16(it[2:], 0x0c)
		le.PutUint16(it[4:], 1)
		le.PutUint16(it[6:], 14)
		copy(it[8:], "\x0e\x00Provider\x00")
		ext = append(ext, it...)
		it = make([]byte, 16)
		le.PutUint16(it[0:], 16)
		le.PutUint16(it[2:], 0x03)
		le.PutUint16(it[6:], 4)
		le.PutUint32(it[8:], 1)
		ext = append(ext, it...)
	}
	size := 0x50 + len(ext) + len(ev.User)
	r := make([]byte, 0x50, size+8)
	le.PutUint16(r[0:], uint16(size))
	r[2] = 0x13
	flags := uint16(0x40)
	if ptr32 {
		r[2] = 0x12
		flags = 0x20
	}
	r[3] = 0xc0
	if ev.Extended {
		flags |= 0x1
	}
	le.PutUint16(r[4:], flags)
	le.PutUint32(r[8:], ev.TID)
	le.PutUint32(r[12:], ev.PID)
	le.PutUint64(r[16:], uint64(raw))
	copy(r[24:40], ev.Provider[:])
	le.PutUint16(r[40:], ev.ID)
	r[44] = 4 // level
	le.PutUint64(r[48:], ev.Keyword)
	r = append(r, ext...)
	r = append(r, ev.User...)
	return align8(r)
}

func logfileRecord(opts Options, raw int64, buffers int) []byte {
	le := binary.LittleEndian
	ptr := 8
	need := 0x118
	if opts.Ptr32 {
		ptr, need = 4, 0x110
	}
	names := []byte("N\x00T\x00\x00\x00x\x00.\x00e\x00t\x00l\x00\x00\x00")
	p := make([]byte, need)
	le.PutUint32(p[0x00:], uint32(opts.BufferSize))
	le.PutUint32(p[0x04:], 0x0a000000|0x4a61)
	le.PutUint32(p[0x0c:], 4)
	le.PutUint64(p[0x10:], uint64(filetime(opts.Start.Add(time.Hour))))
	mode := uint32(0x1) // sequential
	if opts.Circular {
		mode = 0x2
	}
	le.PutUint32(p[0x20:], mode)
	le.PutUint32(p[0x24:], uint32(buffers))
	le.PutUint32(p[0x2c:], uint32(ptr))
	le.PutUint32(p[0x30:], opts.EventsLost)
	le.PutUint32(p[0x34:], 2400)
	tail := (0x38 + 2*ptr + 0xac + 7) &^ 7
	le.PutUint64(p[tail+8:], perfFreq)
	le.PutUint64(p[tail+16:], uint64(filetime(opts.Start)))
	clock := opts.Clock
	if clock == 0 {
		clock = 1
	}
	le.PutUint32(p[tail+24:], clock)
	le.PutUint32(p[tail+28:], opts.BuffersLost)
	p = append(p, names...)

	r := make([]byte, 0x20)
	le.PutUint16(r[0:], 2) // version
	r[2] = 0x02
	if opts.Ptr32 {
		r[2] = 0x01
	}
	r[3] = 0xc0
	le.PutUint16(r[4:], uint16(0x20+len(p)))
	le.PutUint64(r[0x10:], uint64(raw))
	r = append(r, p...)
	return align8(r)
}

func filetime(t time.Time) int64 {
	return t.UnixNano()/100 + 116444736000000000
}

// NDISFragment is the user data of an NDIS 1001 event.
func NDISFragment(miniport, lower uint32, frag []byte) []byte {
	u := make([]byte, 12, 12+len(frag)+16)
	binary.LittleEndian.PutUint32(u[0:], miniport)
	binary.LittleEndian.PutUint32(u[4:], lower)
	binary.LittleEndian.PutUint32(u[8:], uint32(len(frag)))
	u = append(u, frag...)
	return append(u, make([]byte, 16)...) // GftFlowEntryId, GftOffloadInformation
}

// NDISMetadata is the user data of an NDIS 1002 event: a
// DOT11_EXTSTA_RECV_CONTEXT (64-bit layout) for the next packet.
func NDISMetadata(miniport, lower uint32, phy, mhz uint32, rssi int32, rate uint8) []byte {
	m := make([]byte, 48)
	le := binary.LittleEndian
	m[0], m[1] = 0x80, 1 // NDIS_OBJECT_TYPE_DEFAULT, revision
	le.PutUint16(m[2:], 48)
	le.PutUint32(m[4:], 0)
	le.PutUint32(m[8:], phy)
	le.PutUint32(m[12:], mhz)
	le.PutUint16(m[16:], 1)
	le.PutUint32(m[20:], uint32(rssi))
	m[24] = rate
	u := make([]byte, 12, 12+len(m))
	le.PutUint32(u[0:], miniport)
	le.PutUint32(u[4:], lower)
	le.PutUint32(u[8:], uint32(len(m)))
	return append(u, m...)
}

// VMSwitchFragment is the user data of an NDIS 1003 event.
func VMSwitchFragment(miniport, lower, port uint32, names [3]string, dests int, frag []byte) []byte {
	le := binary.LittleEndian
	u := make([]byte, 12)
	le.PutUint32(u[0:], miniport)
	le.PutUint32(u[4:], lower)
	le.PutUint32(u[8:], port)
	for _, n := range names {
		for _, c := range n {
			u = le.AppendUint16(u, uint16(c))
		}
		u = append(u, 0, 0)
	}
	u = le.AppendUint32(u, uint32(dests))
	u = append(u, make([]byte, 8*dests)...)
	u = le.AppendUint32(u, uint32(len(frag)))
	u = append(u, frag...)
	return le.AppendUint32(u, 0) // OOBDataSize
}

// PktMonPacket is the user data of a pktmon 160 event.
func PktMonPacket(group uint64, typ, component uint16, orig int, payload []byte) []byte {
	le := binary.LittleEndian
	u := make([]byte, 34, 34+len(payload))
	le.PutUint64(u[0:], group)
	le.PutUint16(u[8:], 1)
	le.PutUint16(u[10:], 1)
	le.PutUint16(u[12:], 1)
	le.PutUint16(u[14:], typ)
	le.PutUint16(u[16:], component)
	le.PutUint16(u[30:], uint16(orig))
	le.PutUint16(u[32:], uint16(len(payload)))
	return append(u, payload...)
}

// FromPcap turns a classic little-endian Ethernet pcap into NDIS 1001
// events, one per packet, spread over two processors by packet index (so
// that a reader has to merge buffers by time). Packets longer than split
// bytes (when split > 0) are logged as two fragments, as Windows 7 did.
// Frames from the first packet's source MAC are on the send path, logged
// with process sendPID; the others on the receive path with process 4.
func FromPcap(data []byte, split int, sendPID uint32) ([]Event, error) {
	le := binary.LittleEndian
	if len(data) < 24 {
		return nil, errors.New("etlgen: pcap too short")
	}
	nano := false
	switch le.Uint32(data) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		nano = true
	default:
		return nil, errors.New("etlgen: not a little-endian pcap")
	}
	if le.Uint32(data[20:]) != 1 {
		return nil, errors.New("etlgen: not an Ethernet pcap")
	}
	var evs []Event
	var sender []byte
	for p, i := 24, 0; p+16 <= len(data); i++ {
		sec, frac := int64(le.Uint32(data[p:])), int64(le.Uint32(data[p+4:]))
		n := int(le.Uint32(data[p+8:]))
		if p+16+n > len(data) {
			return nil, errors.New("etlgen: pcap cut short")
		}
		pkt := data[p+16 : p+16+n]
		p += 16 + n
		if !nano {
			frac *= 1000
		}
		t := time.Unix(sec, frac)
		if sender == nil && len(pkt) >= 12 {
			sender = slices.Clone(pkt[6:12])
		}
		kw := uint64(KwEthernet | KwReceive)
		pid := uint32(4)
		if len(pkt) >= 12 && string(pkt[6:12]) == string(sender) {
			kw, pid = KwEthernet|KwSend, sendPID
		}
		proc := uint16(i % 2)
		if split > 0 && len(pkt) > split {
			evs = append(evs,
				Event{Provider: NDIS, ID: 1001, Keyword: kw | KwPacketStart, PID: pid, TID: 100, Time: t, Proc: proc, User: NDISFragment(7, 7, pkt[:split])},
				Event{Provider: NDIS, ID: 1001, Keyword: kw | KwPacketEnd, PID: pid, TID: 100, Time: t, Proc: proc, User: NDISFragment(7, 7, pkt[split:])})
			continue
		}
		evs = append(evs, Event{Provider: NDIS, ID: 1001, Keyword: kw | KwWholePacket, PID: pid, TID: 100, Time: t, Proc: proc, User: NDISFragment(7, 7, pkt)})
	}
	return evs, nil
}
