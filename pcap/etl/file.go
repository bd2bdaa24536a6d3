// Package etl reads Windows Event Trace Log files (.etl) as packet
// captures: the ones `netsh trace start capture=yes` writes (provider
// Microsoft-Windows-NDIS-PacketCapture) and the ones `pktmon start
// --capture` writes (Microsoft-Windows-PktMon). It yields frames in the
// order and with the numbering etl2pcapng gives them, for package pcap to
// reassemble.
//
// The container is undocumented; the layout follows Geoff Chappell's
// notes on WMI_BUFFER_HEADER, TRACE_LOGFILE_HEADER and the trace header
// types, checked against real files (see testdata/PROVENANCE.md).
package etl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// ErrFormat is wrapped by errors about files that are not ETL files or
// whose header cannot be read.
var ErrFormat = errors.New("etl: not an event trace log")

const (
	bufferHeaderSize = 0x48
	// maxBufferBytes bounds one buffer (ETW buffers are at most a few MB;
	// the header's size fields are untrusted).
	maxBufferBytes = 64 << 20
	// maxBuffers bounds the buffers indexed in one file.
	maxBuffers = 1 << 22

	bufferTypeHeader = 4

	flagEventsLost = 0x2
	flagBufferLost = 0x4
	flagProcIndex  = 0x20
	flagCompressed = 0x40

	logModeCircular = 0x2
)

// Trace header types (the byte after the size in a record's marker).
const (
	htSystem32     = 0x01
	htSystem64     = 0x02
	htCompact32    = 0x03
	htCompact64    = 0x04
	htFullHeader32 = 0x0a
	htInstance32   = 0x0b
	htPerfInfo32   = 0x10
	htPerfInfo64   = 0x11
	htEventHeader  = 0x12 // 32-bit pointers in the user data
	htEventHeader6 = 0x13 // 64-bit pointers
	htFullHeader64 = 0x14
	htInstance64   = 0x15
)

// Header is what the file's first record, the TRACE_LOGFILE_HEADER, says.
type Header struct {
	BufferSize     uint32
	Version        uint32
	Processors     uint32
	PointerSize    int
	LogFileMode    uint32
	BuffersWritten uint32
	EventsLost     uint32
	BuffersLost    uint32
	// Clock is the timestamp source: 1 QueryPerformanceCounter, 2 system
	// time, 3 CPU cycle counter.
	Clock    uint32
	PerfFreq uint64
	CPUMHz   uint32
	Start    time.Time
	End      time.Time

	startFT int64 // StartTime, FILETIME
	raw0    int64 // the header record's own raw timestamp
}

// Circular reports whether the log was written in circular mode, in which
// the oldest buffers were overwritten and the trace starts mid-stream.
func (h *Header) Circular() bool { return h.LogFileMode&logModeCircular != 0 }

// filetime turns a raw event timestamp into 100 ns units since 1601 (UTC),
// the way ETW consumers do: the header record pairs the file's start time
// with a raw clock value, and the clock's rate scales the distance.
func (h *Header) filetime(raw int64) int64 {
	d := raw - h.raw0
	switch {
	case h.Clock == 1 && h.PerfFreq > 0:
		return h.startFT + scale(d, 10_000_000, int64(h.PerfFreq))
	case h.Clock == 3 && h.CPUMHz > 0:
		return h.startFT + scale(d, 10, int64(h.CPUMHz))
	default:
		return h.startFT + d
	}
}

// scale returns d*mul/div rounded toward minus infinity without
// overflowing for any d a 64-bit clock can hold.
func scale(d, mul, div int64) int64 {
	q, r := d/div, d%div
	if r < 0 {
		q--
		r += div
	}
	return q*mul + r*mul/div
}

// Time converts a raw event timestamp to UTC.
func (h *Header) Time(raw int64) time.Time { return filetimeToTime(h.filetime(raw)) }

func filetimeToTime(ft int64) time.Time {
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns
	u := ft - epochDiff
	sec, rem := u/10_000_000, u%10_000_000
	if rem < 0 {
		sec--
		rem += 10_000_000
	}
	return time.Unix(sec, rem*100).UTC()
}

// buffer is one WMI buffer of the file.
type buffer struct {
	off    int64  // file offset of the buffer header
	size   uint32 // bytes the buffer takes in the file
	filled uint32 // bytes of header and records, once decompressed
	seq    int64
	proc   uint16
	flags  uint16
	typ    uint16
}

// File is an opened ETL file: its header and the index of its buffers.
type File struct {
	r      io.ReaderAt
	size   int64
	Header Header
	bufs   []buffer
	// damage describes where walking the buffers stopped early, if it did.
	damage string
	// inflated counts bytes decompressed so far, against budget: a few
	// bytes of LZXpress can claim megabytes, in every one of thousands of
	// buffers.
	inflated, budget int64
}

// errBudget stops decompression past the file's budget.
var errBudget = errors.New("etl: compressed buffers inflate past the limit (more than 32 times the file, plus 16 MiB; real captures inflate under 10 times)")

// Sniff reports whether prefix (at least 0x58 bytes of a file) starts an
// ETL file: a WMI header buffer whose first record is the system trace
// record carrying the logfile header.
func Sniff(prefix []byte) bool {
	if len(prefix) < bufferHeaderSize+16 {
		return false
	}
	size := binary.LittleEndian.Uint32(prefix)
	if size < bufferHeaderSize+0x118 || size > maxBufferBytes {
		return false
	}
	if binary.LittleEndian.Uint16(prefix[0x36:]) != bufferTypeHeader {
		return false
	}
	rec := prefix[bufferHeaderSize:]
	ht, flags := rec[2], rec[3]
	if flags != 0xc0 || (ht != htSystem32 && ht != htSystem64) {
		return false
	}
	// Hook id 0x0000: group 0 (header), opcode 0 (the logfile header).
	return binary.LittleEndian.Uint16(rec[6:]) == 0
}

// Open reads the header and indexes the buffers of an ETL file of the
// given size.
func Open(r io.ReaderAt, size int64) (*File, error) {
	f := &File{r: r, size: size, budget: 16<<20 + 32*size}
	var hb [bufferHeaderSize]byte
	if _, err := r.ReadAt(hb[:], 0); err != nil {
		return nil, fmt.Errorf("%w: file too short", ErrFormat)
	}
	first, err := parseBufferHeader(hb[:], 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if first.typ != bufferTypeHeader {
		return nil, fmt.Errorf("%w: first buffer is not a header buffer", ErrFormat)
	}
	if int64(first.size) > size {
		// Never allocate from a size the file cannot hold.
		first.size = uint32(size)
		first.filled = min(first.filled, first.size)
	}
	data, err := f.payload(&first)
	if err != nil {
		return nil, fmt.Errorf("%w: header buffer: %w", ErrFormat, err)
	}
	if err := f.parseLogfileHeader(data); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	for off := int64(0); off < size; {
		if len(f.bufs) >= maxBuffers {
			f.damage = fmt.Sprintf("more than %d buffers; the rest were not read", maxBuffers)
			break
		}
		n, err := r.ReadAt(hb[:], off)
		if n < bufferHeaderSize {
			if err != nil && n == 0 && off == size {
				break
			}
			f.damage = fmt.Sprintf("file ends inside the buffer header at byte %d", off)
			break
		}
		b, err := parseBufferHeader(hb[:], off)
		if err != nil {
			f.damage = fmt.Sprintf("buffer at byte %d: %v", off, err)
			break
		}
		if off+int64(b.size) > size {
			f.damage = fmt.Sprintf("file ends inside the buffer at byte %d", off)
			b.size = uint32(size - off)
			if b.flags&flagCompressed == 0 && b.filled > b.size {
				b.filled = b.size
			}
			if b.size > bufferHeaderSize && b.flags&flagCompressed == 0 {
				f.bufs = append(f.bufs, b)
			}
			break
		}
		f.bufs = append(f.bufs, b)
		off += int64(b.size)
	}
	return f, nil
}

func parseBufferHeader(h []byte, off int64) (buffer, error) {
	le := binary.LittleEndian
	b := buffer{
		off:    off,
		size:   le.Uint32(h[0:]),
		filled: le.Uint32(h[0x30:]),
		seq:    int64(le.Uint64(h[0x18:])),
		flags:  le.Uint16(h[0x34:]),
		typ:    le.Uint16(h[0x36:]),
	}
	if b.flags&flagProcIndex != 0 {
		b.proc = le.Uint16(h[0x28:])
	} else {
		b.proc = uint16(h[0x28])
	}
	if b.size < bufferHeaderSize || b.size > maxBufferBytes {
		return b, fmt.Errorf("bogus buffer size %d", b.size)
	}
	if b.filled > maxBufferBytes {
		return b, fmt.Errorf("bogus filled size %d", b.filled)
	}
	if b.flags&flagCompressed == 0 && b.filled > b.size {
		b.filled = b.size
	}
	return b, nil
}

// payload returns the records area of a buffer, decompressed.
func (f *File) payload(b *buffer) ([]byte, error) {
	if b.filled <= bufferHeaderSize {
		return nil, nil
	}
	n := int(b.filled) - bufferHeaderSize
	if b.flags&flagCompressed != 0 {
		n = int(min(b.size, b.filled)) - bufferHeaderSize
	}
	// The size was checked against the file when the buffer was indexed
	// (or against maxBufferBytes for the header buffer).
	raw := make([]byte, n)
	got, err := f.r.ReadAt(raw, b.off+bufferHeaderSize)
	if err != nil && err != io.EOF {
		return nil, err
	}
	raw = raw[:got]
	if b.flags&flagCompressed == 0 {
		return raw, nil
	}
	// Decompressed, a buffer holds at most the session's buffer size.
	if bs := f.Header.BufferSize; bs > 0 && b.filled > bs {
		return nil, fmt.Errorf("compressed buffer claims %d bytes, more than the session's %d-byte buffers", b.filled, bs)
	}
	// The claim counts against the budget before anything is allocated.
	want := int64(b.filled) - bufferHeaderSize
	if f.inflated+want > f.budget {
		return nil, errBudget
	}
	f.inflated += want
	return decompressXpress(raw, int(want))
}

// parseLogfileHeader reads the TRACE_LOGFILE_HEADER from the first record
// of the header buffer.
func (f *File) parseLogfileHeader(data []byte) error {
	var got bool
	walkRecords(data, func(rec []byte, ht byte) bool {
		if ht != htSystem32 && ht != htSystem64 {
			return false
		}
		le := binary.LittleEndian
		if le.Uint16(rec[6:]) != 0 {
			return false
		}
		hdr := 0x20 + systemExtra(le.Uint16(rec))
		if hdr > len(rec) {
			return false
		}
		p := rec[hdr:]
		ptr := 8
		if ht == htSystem32 {
			ptr = 4
		}
		need := 0x110
		if ptr == 8 {
			need = 0x118
		}
		if len(p) < need {
			return false
		}
		h := &f.Header
		h.BufferSize = le.Uint32(p[0x00:])
		h.Version = le.Uint32(p[0x04:])
		h.Processors = le.Uint32(p[0x0c:])
		endFT := int64(le.Uint64(p[0x10:]))
		h.LogFileMode = le.Uint32(p[0x20:])
		h.BuffersWritten = le.Uint32(p[0x24:])
		h.PointerSize = int(le.Uint32(p[0x2c:]))
		h.EventsLost = le.Uint32(p[0x30:])
		h.CPUMHz = le.Uint32(p[0x34:])
		tail := 0x38 + 2*ptr + 0xac
		tail = (tail + 7) &^ 7
		h.PerfFreq = le.Uint64(p[tail+8:])
		h.startFT = int64(le.Uint64(p[tail+16:]))
		h.Clock = le.Uint32(p[tail+24:])
		h.BuffersLost = le.Uint32(p[tail+28:])
		h.raw0 = int64(le.Uint64(rec[0x10:]))
		if h.PointerSize != 4 && h.PointerSize != 8 {
			h.PointerSize = ptr
		}
		h.Start = filetimeToTime(h.startFT)
		h.End = filetimeToTime(endFT)
		got = true
		return true
	})
	if !got {
		return errors.New("no logfile header record")
	}
	return nil
}

// systemExtra is how many bytes follow a system header before its payload,
// by the flags of its version field.
func systemExtra(version uint16) int {
	extra := 0
	if version&0x8000 != 0 {
		extra = 8
	}
	return extra + 8*int((version&0x0700)>>8)
}

// walkRecords calls fn with each record of a buffer's records area and
// its header type, until fn returns true or the records end. It returns
// the offset where walking stopped and whether the stop was clean (the
// end of the data or an unused marker) rather than a damaged record.
func walkRecords(data []byte, fn func(rec []byte, ht byte) bool) (int, bool) {
	le := binary.LittleEndian
	off := 0
	for off+8 <= len(data) {
		marker := le.Uint32(data[off:])
		var ht byte
		switch marker >> 24 {
		case 0xc0:
			ht = byte(marker >> 16)
		case 0x90:
			ht = 0xff // message (WPP) record: size in the low half
		default:
			// 0xffffffff or zeros: the rest of the buffer is unused.
			return off, true
		}
		var size int
		switch ht {
		case htSystem32, htSystem64, htCompact32, htCompact64, htPerfInfo32, htPerfInfo64:
			size = int(le.Uint16(data[off+4:]))
		default:
			size = int(marker & 0xffff)
		}
		if size < minRecord(ht) || off+size > len(data) {
			return off, false
		}
		if fn(data[off:off+size], ht) {
			return off, true
		}
		off += (size + 7) &^ 7
	}
	return off, true
}

func minRecord(ht byte) int {
	switch ht {
	case htSystem32, htSystem64:
		return 0x20
	case htCompact32, htCompact64:
		return 0x18
	case htPerfInfo32, htPerfInfo64:
		return 0x10
	case htEventHeader, htEventHeader6:
		return 0x50
	case htFullHeader32, htFullHeader64, htInstance32, htInstance64:
		return 0x30
	default:
		return 8
	}
}

// event is a manifest-based (EVENT_HEADER) record.
type event struct {
	provider [16]byte
	id       uint16
	version  uint8
	keyword  uint64
	pid, tid uint32
	raw      int64
	ptr64    bool
	user     []byte // the user data, after any extended data items
	userOff  int    // offset of user within the buffer's records area
}

const (
	evFlagExtendedInfo = 0x0001
	evFlag32Bit        = 0x0020
	evFlag64Bit        = 0x0040
	maxExtItems        = 32
)

// parseEvent reads an EVENT_HEADER record at offset off of a records area.
func parseEvent(rec []byte, ht byte, off int) (event, bool) {
	le := binary.LittleEndian
	flags := le.Uint16(rec[4:])
	ev := event{
		tid:     le.Uint32(rec[8:]),
		pid:     le.Uint32(rec[12:]),
		raw:     int64(le.Uint64(rec[16:])),
		id:      le.Uint16(rec[40:]),
		version: rec[42],
		keyword: le.Uint64(rec[48:]),
		ptr64:   ht == htEventHeader6,
	}
	switch {
	case flags&evFlag64Bit != 0:
		ev.ptr64 = true
	case flags&evFlag32Bit != 0:
		ev.ptr64 = false
	}
	copy(ev.provider[:], rec[24:40])
	p := 0x50
	if flags&evFlagExtendedInfo != 0 {
		// Extended data items (SID, stack, schema...) precede the user
		// data; each says its size and whether another follows.
		for i := 0; ; i++ {
			if i == maxExtItems || p+8 > len(rec) {
				return ev, false
			}
			n := int(le.Uint16(rec[p:]))
			more := le.Uint16(rec[p+4:])&1 != 0
			if n < 8 || p+n > len(rec) {
				return ev, false
			}
			p += n
			if !more {
				break
			}
		}
	}
	ev.user = rec[p:]
	ev.userOff = off + p
	return ev, true
}

// sortedBuffers returns the buffer indexes in the order the logger filled
// them: by sequence number, which in a circular file differs from file
// order.
func (f *File) sortedBuffers() []int {
	idx := make([]int, len(f.bufs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		sa, sb := f.bufs[a].seq, f.bufs[b].seq
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	return idx
}
