package pcap

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"

	"github.com/traceaudit/traceaudit/pcap/etl"
)

// maxPacketBytes bounds one captured packet. Real snap lengths are at most
// 262144; a larger record length means the file is damaged.
const maxPacketBytes = 1 << 20

// maxBlockBytes bounds one pcapng block (packets plus options and the odd
// name resolution or secrets block).
const maxBlockBytes = 16 << 20

const (
	magicMicro        = 0xa1b2c3d4
	magicNano         = 0xa1b23c4d
	magicModified     = 0xa1b2cd34 // Kuznetzov's patched libpcap: 8 more bytes per record
	blockSHB          = 0x0a0d0d0a
	blockIDB          = 0x00000001
	blockOPB          = 0x00000002
	blockSPB          = 0x00000003
	blockEPB          = 0x00000006
	byteOrderMagic    = 0x1a2b3c4d
	optEndOfOpt       = 0
	optIfTsresol      = 9
	optIfTsoffset     = 14
	defaultTsResolNgs = 6
)

// packet is one captured frame.
type packet struct {
	data     []byte // valid until the next call to next
	linkType uint32
	ts       time.Time
	origLen  int
	frame    int // 1-based, counting every packet record of the file
	// decoded tells that seg and segOK hold what decoder.decode made of
	// the packet (a prefetchSource decodes on its own goroutine); when
	// seg.tcp is nil, the TCP header is p.data[tcpOff:tcpOff+tcpLen] (see
	// decodeAhead).
	decoded bool
	segOK   bool
	dns     bool // decoding it recorded a DNS answer (decoder.dns)
	// quic: the packet is a QUIC datagram (to or from port 443, or
	// another port found by its content: quicEnds), whose header and
	// payload are p.data[tcpOff:tcpOff+tcpLen], whose addresses are
	// seg.netFlow and which quicToServer tells the direction of
	// (decoder.quicAt).
	quic, quicToServer bool
	seg                tcpSegment
	tcpOff, tcpLen     int
}

// packetSource yields the packets of a capture file in file order. next
// returns io.EOF at a clean end; a damaged file yields an error wrapping
// ErrFormat (fatal) or errTruncated (the file ends inside a record). The
// packet is the source's, valid until the next call (a pointer: copying
// the ~150-byte struct per packet showed in the read-ahead's profile).
type packetSource interface {
	next() (*packet, error)
	// offset is the file offset of the next record, for messages.
	offset() int64
}

var errTruncated = errors.New("pcap: capture file ends inside a packet record")

// Sniff reports whether prefix (the first bytes of a file, 4 at least;
// 88 for a Windows ETL capture) starts a pcap, pcapng or ETL capture,
// gzip-compressed or not. A gzip file is
// recognized only when prefix holds enough of it (512 bytes are plenty) to
// inflate the capture's magic number.
func Sniff(prefix []byte) bool {
	if len(prefix) >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(prefix))
		if err != nil {
			return false
		}
		var inner [etlSniffLen]byte
		n, _ := io.ReadFull(zr, inner[:])
		return sniffPlain(inner[:n])
	}
	return sniffPlain(prefix)
}

// etlSniffLen is how much of a file tells an ETL capture (see etl.Sniff).
const etlSniffLen = 0x58

func sniffPlain(p []byte) bool {
	if etl.Sniff(p) {
		return true
	}
	if len(p) < 4 {
		return false
	}
	le, be := binary.LittleEndian.Uint32(p), binary.BigEndian.Uint32(p)
	for _, m := range []uint32{magicMicro, magicNano, magicModified} {
		if le == m || be == m {
			return true
		}
	}
	return be == blockSHB
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// openCapture undoes gzip and picks the format from the magic number.
func openCapture(r io.Reader) (packetSource, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("%w: file too short", ErrFormat)
	}
	gz := false
	if head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrFormat, err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
		if head, err = br.Peek(4); err != nil {
			return nil, fmt.Errorf("%w: gzip member too short", ErrFormat)
		}
		gz = true
	}
	if long, _ := br.Peek(etlSniffLen); etl.Sniff(long) {
		return openETL(r, gz, br)
	}
	cr := &countingReader{r: br}
	if binary.BigEndian.Uint32(head) == blockSHB {
		return &ngSource{r: cr}, nil
	}
	return newPcapSource(cr)
}

// pcapSource reads the classic libpcap format.
type pcapSource struct {
	r        *countingReader
	order    binary.ByteOrder
	nano     bool
	modified bool
	linkType uint32
	buf      []byte
	frame    int
	hdr      [24]byte // a record header; a field, or it escapes per packet
	pkt      packet   // the one next returns
}

func newPcapSource(r *countingReader) (*pcapSource, error) {
	var hdr [24]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: file header cut short", ErrFormat)
	}
	s := &pcapSource{r: r}
	switch {
	case binary.LittleEndian.Uint32(hdr[:]) == magicMicro:
		s.order = binary.LittleEndian
	case binary.BigEndian.Uint32(hdr[:]) == magicMicro:
		s.order = binary.BigEndian
	case binary.LittleEndian.Uint32(hdr[:]) == magicNano:
		s.order, s.nano = binary.LittleEndian, true
	case binary.BigEndian.Uint32(hdr[:]) == magicNano:
		s.order, s.nano = binary.BigEndian, true
	case binary.LittleEndian.Uint32(hdr[:]) == magicModified:
		s.order, s.modified = binary.LittleEndian, true
	case binary.BigEndian.Uint32(hdr[:]) == magicModified:
		s.order, s.modified = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("%w: unknown magic number", ErrFormat)
	}
	// The top bits of the link type field carry FCS information.
	s.linkType = s.order.Uint32(hdr[20:]) & 0x0fffffff
	return s, nil
}

func (s *pcapSource) offset() int64 { return s.r.n }

func (s *pcapSource) next() (*packet, error) {
	hdrLen := 16
	if s.modified {
		hdrLen = 24
	}
	hdr := &s.hdr
	n, err := io.ReadFull(s.r, hdr[:hdrLen])
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		_ = n
		return nil, errTruncated
	}
	capLen := s.order.Uint32(hdr[8:])
	origLen := s.order.Uint32(hdr[12:])
	if capLen > maxPacketBytes {
		return nil, fmt.Errorf("%w: record at byte %d claims %d captured bytes", ErrFormat, s.r.n-int64(hdrLen), capLen)
	}
	if cap(s.buf) < int(capLen) {
		s.buf = make([]byte, capLen)
	}
	s.buf = s.buf[:capLen]
	if _, err := io.ReadFull(s.r, s.buf); err != nil {
		return nil, errTruncated
	}
	sec := int64(s.order.Uint32(hdr[0:]))
	frac := int64(s.order.Uint32(hdr[4:]))
	if !s.nano {
		frac *= 1000
	}
	s.frame++
	s.pkt = packet{data: s.buf, linkType: s.linkType, ts: time.Unix(sec, frac).UTC(), origLen: int(origLen), frame: s.frame}
	return &s.pkt, nil
}

// ngInterface is what a pcapng Interface Description Block says.
type ngInterface struct {
	linkType uint32
	// unitsPerSec is the timestamp resolution (if_tsresol).
	unitsPerSec uint64
	offsetSec   int64 // if_tsoffset
}

// ngSource walks pcapng blocks itself: several sections, each with its own
// byte order and interfaces, per-interface time resolution, EPB, SPB and
// the obsolete Packet Block; other blocks are skipped.
// multiLinkFlag marks, in a packet's link type, a packet of a pcapng file
// that declared more than one interface before it: it may be in the
// capture twice (see dedup). Link types use 28 bits at most.
const multiLinkFlag = 1 << 31

// multiLink is the flag for a section with n interfaces.
func multiLink(n int) uint32 {
	if n > 1 {
		return multiLinkFlag
	}
	return 0
}

type ngSource struct {
	r      *countingReader
	order  binary.ByteOrder
	ifaces []ngInterface
	buf    []byte
	frame  int
	pkt    packet // the one next returns
}

func (s *ngSource) offset() int64 { return s.r.n }

func (s *ngSource) next() (*packet, error) {
	for {
		start := s.r.n
		var hdr [8]byte
		if _, err := io.ReadFull(s.r, hdr[:]); err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, errTruncated
		}
		typ := binary.BigEndian.Uint32(hdr[:])
		if typ == blockSHB {
			// The byte-order magic follows; the length is in that order.
			var bom [4]byte
			if _, err := io.ReadFull(s.r, bom[:]); err != nil {
				return nil, errTruncated
			}
			switch {
			case binary.LittleEndian.Uint32(bom[:]) == byteOrderMagic:
				s.order = binary.LittleEndian
			case binary.BigEndian.Uint32(bom[:]) == byteOrderMagic:
				s.order = binary.BigEndian
			default:
				return nil, fmt.Errorf("%w: section header at byte %d has no byte-order magic", ErrFormat, start)
			}
			s.ifaces = s.ifaces[:0]
			length := s.order.Uint32(hdr[4:])
			if length < 28 || length > maxBlockBytes || length%4 != 0 {
				return nil, fmt.Errorf("%w: section header at byte %d has a bogus length", ErrFormat, start)
			}
			if _, err := io.CopyN(io.Discard, s.r, int64(length)-12); err != nil {
				return nil, errTruncated
			}
			continue
		}
		if s.order == nil {
			return nil, fmt.Errorf("%w: pcapng block before any section header", ErrFormat)
		}
		typ = s.order.Uint32(hdr[:])
		length := s.order.Uint32(hdr[4:])
		if length < 12 || length > maxBlockBytes || length%4 != 0 {
			return nil, fmt.Errorf("%w: block at byte %d has a bogus length", ErrFormat, start)
		}
		body := int(length) - 12
		if typ != blockIDB && typ != blockEPB && typ != blockSPB && typ != blockOPB {
			if _, err := io.CopyN(io.Discard, s.r, int64(body)+4); err != nil {
				return nil, errTruncated
			}
			continue
		}
		if cap(s.buf) < body+4 {
			s.buf = make([]byte, body+4)
		}
		b := s.buf[:body+4]
		if _, err := io.ReadFull(s.r, b); err != nil {
			return nil, errTruncated
		}
		if s.order.Uint32(b[body:]) != length {
			return nil, fmt.Errorf("%w: block at byte %d: trailing length differs", ErrFormat, start)
		}
		b = b[:body]
		switch typ {
		case blockIDB:
			if len(b) < 8 {
				return nil, fmt.Errorf("%w: interface block at byte %d too short", ErrFormat, start)
			}
			s.ifaces = append(s.ifaces, parseIDB(s.order, b))
			continue
		case blockEPB, blockOPB:
			if len(b) < 20 {
				return nil, fmt.Errorf("%w: packet block at byte %d too short", ErrFormat, start)
			}
			var iface uint32
			if typ == blockEPB {
				iface = s.order.Uint32(b)
			} else {
				iface = uint32(s.order.Uint16(b))
			}
			ts := uint64(s.order.Uint32(b[4:]))<<32 | uint64(s.order.Uint32(b[8:]))
			capLen := s.order.Uint32(b[12:])
			origLen := s.order.Uint32(b[16:])
			if int(iface) >= len(s.ifaces) {
				return nil, fmt.Errorf("%w: packet block at byte %d names unknown interface %d", ErrFormat, start, iface)
			}
			if capLen > uint32(len(b)-20) || capLen > maxPacketBytes {
				return nil, fmt.Errorf("%w: packet block at byte %d claims %d captured bytes", ErrFormat, start, capLen)
			}
			in := s.ifaces[iface]
			s.frame++
			s.pkt = packet{data: b[20 : 20+capLen], linkType: in.linkType | multiLink(len(s.ifaces)), ts: in.time(ts), origLen: int(origLen), frame: s.frame}
			return &s.pkt, nil
		case blockSPB:
			if len(b) < 4 || len(s.ifaces) == 0 {
				return nil, fmt.Errorf("%w: simple packet block at byte %d without interface", ErrFormat, start)
			}
			origLen := s.order.Uint32(b)
			data := b[4:]
			if uint32(len(data)) > origLen {
				data = data[:origLen] // the rest is padding
			}
			s.frame++
			s.pkt = packet{data: data, linkType: s.ifaces[0].linkType, origLen: int(origLen), frame: s.frame}
			return &s.pkt, nil
		}
	}
}

func parseIDB(order binary.ByteOrder, b []byte) ngInterface {
	in := ngInterface{linkType: uint32(order.Uint16(b)), unitsPerSec: 1_000_000}
	opts := b[8:]
	for len(opts) >= 4 {
		code, n := order.Uint16(opts), int(order.Uint16(opts[2:]))
		opts = opts[4:]
		if code == optEndOfOpt || n > len(opts) {
			break
		}
		v := opts[:n]
		switch {
		case code == optIfTsresol && n >= 1:
			exp := uint64(v[0] & 0x7f)
			base := uint64(10)
			if v[0]&0x80 != 0 {
				base = 2
			}
			ups := uint64(1)
			for range exp {
				hi, lo := bits.Mul64(ups, base)
				if hi != 0 {
					break
				}
				ups = lo
			}
			in.unitsPerSec = ups
		case code == optIfTsoffset && n >= 8:
			in.offsetSec = int64(order.Uint64(v))
		}
		pad := (n + 3) &^ 3
		if pad > len(opts) {
			break
		}
		opts = opts[pad:]
	}
	return in
}

func (in ngInterface) time(ts uint64) time.Time {
	sec := ts / in.unitsPerSec
	frac := ts % in.unitsPerSec
	hi, lo := bits.Mul64(frac, 1_000_000_000)
	nsec, _ := bits.Div64(hi, lo, in.unitsPerSec)
	return time.Unix(int64(sec)+in.offsetSec, int64(nsec)).UTC()
}
