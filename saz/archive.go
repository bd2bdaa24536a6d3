package saz

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
)

// member is one archive entry as this package needs it, whether it came from
// the central directory or, for a truncated archive, from a local header.
type member struct {
	name       string
	method     uint16
	flags      uint16
	crc32      uint32
	compressed int64 // size of the stored (possibly encrypted) data
	size       int64 // declared uncompressed size; untrusted
	modTime    uint16
	extra      []byte
	dataOffset int64
	modified   time.Time // zero when only a local header was recovered
}

func (m *member) encrypted() bool { return m.flags&0x1 != 0 }

// raw returns the member's stored bytes: compressed and maybe encrypted.
func (m *member) raw(ra io.ReaderAt) (io.Reader, error) {
	return io.NewSectionReader(ra, m.dataOffset, m.compressed), nil
}

// session groups the members of one Fiddler session.
type session struct {
	number   int
	request  *member // raw/N_c.txt
	response *member // raw/N_s.txt
	meta     *member // raw/N_m.xml
	ws       *member // raw/N_w.txt
	ref      string  // "session N", made once (ref)
}

func (s *session) slot(kind string) **member {
	switch kind {
	case "c":
		return &s.request
	case "s":
		return &s.response
	case "m":
		return &s.meta
	default:
		return &s.ws
	}
}

// sessionMember classifies a member name. It accepts the session number in any
// width and either slash, and reports ok=false for everything else.
func sessionMember(name string) (number int, kind string, ok bool) {
	n := strings.ReplaceAll(name, `\`, "/")
	if len(n) < 4 || !strings.EqualFold(n[:4], "raw/") {
		return 0, "", false
	}
	rest := n[4:]
	digits, suffix, found := strings.Cut(rest, "_")
	if !found || digits == "" || len(digits) > 9 {
		return 0, "", false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, "", false
		}
	}
	switch strings.ToLower(suffix) {
	case "c.txt":
		kind = "c"
	case "s.txt":
		kind = "s"
	case "m.xml":
		kind = "m"
	case "w.txt":
		kind = "w"
	default:
		return 0, "", false
	}
	number, err := strconv.Atoi(digits)
	if err != nil {
		return 0, "", false
	}
	return number, kind, true
}

// unsafeName reports member names that would escape the archive if it were
// extracted: absolute paths, drive letters, ".." components.
func unsafeName(name string) bool {
	n := strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(n, "/") || (len(n) >= 2 && n[1] == ':') {
		return true
	}
	for part := range strings.SplitSeq(n, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// groupSessions sorts the members into sessions, in session-number order,
// and reports what it skipped as notes.
func (r *Reader) groupSessions(members []*member) []*session {
	byNumber := make(map[int]*session)
	for _, m := range members {
		if strings.HasSuffix(m.name, "/") {
			continue // directory entry
		}
		if unsafeName(m.name) {
			r.note(model.NoteUnsafeName, m.name, "member name escapes the archive; skipped")
			continue
		}
		number, kind, ok := sessionMember(m.name)
		if !ok {
			continue // _index.htm, [Content_Types].xml, other tools' extras
		}
		s := byNumber[number]
		if s == nil {
			s = &session{number: number}
			byNumber[number] = s
		}
		slot := s.slot(kind)
		if *slot != nil {
			r.note(model.NoteDuplicate, m.name, fmt.Sprintf("session %d already has %s; duplicate ignored", number, (*slot).name))
			continue
		}
		*slot = m
	}
	out := make([]*session, 0, len(byNumber))
	for _, s := range byNumber {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].number < out[j].number })
	return out
}

// listMembers reads the central directory, or, when the archive is truncated
// and has none, recovers what it can from the local file headers.
func (r *Reader) listMembers(ra io.ReaderAt, size int64) ([]*member, error) {
	// archive/zip keeps every directory entry it finds, however many; count
	// them first so that a directory of millions is refused before it is
	// held in memory.
	if n := countCentralHeaders(ra, size, r.maxMembers+1); n > r.maxMembers {
		return nil, model.AtLimit(model.LimitMembers, fmt.Errorf("%w: more than %d members", ErrLimit, r.maxMembers))
	}
	// archive/zip reads each member's local header (30 bytes) on its own
	// to find where its data starts; headers of small members lie close
	// together, and a window serves most of them from one read.
	zr, err := zip.NewReader(&windowReaderAt{ra: ra}, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		members, scanErr := r.scanLocalHeaders(ra, size)
		if scanErr != nil || len(members) == 0 {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		r.note(model.NoteTruncated, "", fmt.Sprintf("no readable zip central directory (%v); recovered %d members from local headers", err, len(members)))
		return members, nil
	}
	if len(zr.File) > r.maxMembers {
		return nil, model.AtLimit(model.LimitMembers, fmt.Errorf("%w: %d members, more than the limit of %d", ErrLimit, len(zr.File), r.maxMembers))
	}
	members := make([]*member, 0, len(zr.File))
	for i, f := range zr.File {
		// Each zip.File is garbage once copied: the list of both for a
		// large archive would be most of the heap at its start.
		zr.File[i] = nil
		off, err := f.DataOffset()
		if err != nil {
			r.note(model.NoteCorrupt, f.Name, fmt.Sprintf("local header unreadable (%v); member skipped", err))
			continue
		}
		if off < 0 || int64(f.CompressedSize64) > size-off {
			r.note(model.NoteCorrupt, f.Name, "member data runs past the end of the archive; member skipped")
			continue
		}
		members = append(members, &member{
			name:       f.Name,
			method:     f.Method,
			flags:      f.Flags,
			crc32:      f.CRC32,
			compressed: int64(f.CompressedSize64),
			size:       int64(f.UncompressedSize64),
			modTime:    f.ModifiedTime, //nolint:staticcheck // ZipCrypto checks the DOS time byte
			extra:      aesExtra(f.Method, f.Extra),
			dataOffset: off,
			modified:   f.Modified,
		})
	}
	return r.dropOverlaps(members), nil
}

// aesExtra keeps a member's extra field only where it is read (the WinZip
// AES field), as a copy: archive/zip's holds the member's name and comment
// too, for every member of the archive.
func aesExtra(method uint16, extra []byte) []byte {
	if method != methodAES || len(extra) == 0 {
		return nil
	}
	return bytes.Clone(extra)
}

// dropOverlaps skips members whose data overlaps another's: no zip writer
// produces them, and overlapping members are how the densest zip bombs
// inflate one compressed stream many times.
func (r *Reader) dropOverlaps(members []*member) []*member {
	byOffset := make([]*member, len(members))
	copy(byOffset, members)
	sort.SliceStable(byOffset, func(i, j int) bool { return byOffset[i].dataOffset < byOffset[j].dataOffset })
	overlap := make(map[*member]bool)
	var end int64 = -1
	for _, m := range byOffset {
		if m.compressed > 0 && m.dataOffset < end {
			overlap[m] = true
			continue
		}
		end = max(end, m.dataOffset+m.compressed)
	}
	if len(overlap) == 0 {
		return members
	}
	kept := members[:0]
	for _, m := range members {
		if overlap[m] {
			r.note(model.NoteOverlap, m.name, "member data overlaps another member's (a zip bomb pattern); member skipped")
			continue
		}
		kept = append(kept, m)
	}
	return kept
}

const (
	localHeaderSig    = 0x04034b50
	centralHeaderSig  = 0x02014b50
	dataDescriptorSig = 0x08074b50
	localHeaderLen    = 30
)

// scanLocalHeaders walks the local file headers from the start of the
// archive. It is the fallback for archives cut off before their central
// directory; it stops at the first header it cannot follow.
func (r *Reader) scanLocalHeaders(ra io.ReaderAt, size int64) ([]*member, error) {
	var members []*member
	var off int64
	var hdr [localHeaderLen]byte
	for off+localHeaderLen <= size {
		if len(members) >= r.maxMembers {
			return members, model.AtLimit(model.LimitMembers, fmt.Errorf("%w: more than %d members", ErrLimit, r.maxMembers))
		}
		if _, err := ra.ReadAt(hdr[:], off); err != nil {
			break
		}
		if binary.LittleEndian.Uint32(hdr[0:]) != localHeaderSig {
			break
		}
		m := &member{
			flags:      binary.LittleEndian.Uint16(hdr[6:]),
			method:     binary.LittleEndian.Uint16(hdr[8:]),
			modTime:    binary.LittleEndian.Uint16(hdr[10:]),
			crc32:      binary.LittleEndian.Uint32(hdr[14:]),
			compressed: int64(binary.LittleEndian.Uint32(hdr[18:])),
			size:       int64(binary.LittleEndian.Uint32(hdr[22:])),
		}
		nameLen := int64(binary.LittleEndian.Uint16(hdr[26:]))
		extraLen := int64(binary.LittleEndian.Uint16(hdr[28:]))
		if off+localHeaderLen+nameLen+extraLen > size {
			break
		}
		buf := make([]byte, nameLen+extraLen) // at most 128 KiB: both lengths are 16-bit
		if _, err := ra.ReadAt(buf, off+localHeaderLen); err != nil {
			break
		}
		m.name = string(buf[:nameLen])
		m.extra = buf[nameLen:]
		if m.compressed == 0xffffffff || m.size == 0xffffffff {
			m.size, m.compressed = zip64Sizes(m.extra, m.size, m.compressed)
		}
		m.dataOffset = off + localHeaderLen + nameLen + extraLen
		next, ok := r.localDataEnd(ra, size, m)
		if !ok {
			// Cut inside this member: keep what is there so the session
			// can still be read in part.
			m.compressed = size - m.dataOffset
			members = append(members, m)
			break
		}
		members = append(members, m)
		off = next
	}
	if len(members) == 0 {
		return nil, ErrFormat
	}
	return members, nil
}

// extraFields yields the (id, data) fields of a zip extra block in order,
// stopping at a field whose length runs past the block.
func extraFields(extra []byte) iter.Seq2[uint16, []byte] {
	return func(yield func(uint16, []byte) bool) {
		for len(extra) >= 4 {
			id := binary.LittleEndian.Uint16(extra)
			n := int(binary.LittleEndian.Uint16(extra[2:]))
			extra = extra[4:]
			if n > len(extra) {
				return
			}
			field := extra[:n]
			extra = extra[n:]
			if !yield(id, field) {
				return
			}
		}
	}
}

// zip64Sizes reads the sizes a zip64 extra field (0x0001) holds in place of
// the local header's 0xffffffff markers: uncompressed first, then compressed.
func zip64Sizes(extra []byte, size, compressed int64) (int64, int64) {
	for id, field := range extraFields(extra) {
		if id != 0x0001 {
			continue
		}
		if size == 0xffffffff && len(field) >= 8 {
			size = int64(binary.LittleEndian.Uint64(field) & (1<<62 - 1))
			field = field[8:]
		}
		if compressed == 0xffffffff && len(field) >= 8 {
			compressed = int64(binary.LittleEndian.Uint64(field) & (1<<62 - 1))
		}
	}
	return size, compressed
}

// localDataEnd finds where a locally described member's data ends, and the
// next header begins, including any data descriptor.
func (r *Reader) localDataEnd(ra io.ReaderAt, size int64, m *member) (int64, bool) {
	if m.flags&0x8 == 0 {
		end := m.dataOffset + m.compressed
		return end, end <= size
	}
	// Sizes follow the data in a descriptor. Deflate marks its own end;
	// anything else (stored, encrypted) is found by its descriptor.
	if m.method != 8 || m.encrypted() {
		return r.findDescriptor(ra, size, m)
	}
	cr := &countingByteReader{r: bufio.NewReader(io.NewSectionReader(ra, m.dataOffset, size-m.dataOffset))}
	// Finding the end means inflating the member: charge it to the
	// archive's bound like any other read.
	bound := min(r.limits.InflateBytes, r.inflateLeft)
	n, err := io.Copy(io.Discard, io.LimitReader(newFlate(cr), bound+1))
	r.inflateLeft -= n
	if err != nil || n > bound {
		return 0, false
	}
	m.compressed = cr.n
	end := m.dataOffset + cr.n
	var desc [16]byte
	got, _ := ra.ReadAt(desc[:], end)
	if got < 12 {
		return 0, false
	}
	if binary.LittleEndian.Uint32(desc[0:]) == dataDescriptorSig {
		if got < 16 {
			return 0, false
		}
		m.crc32 = binary.LittleEndian.Uint32(desc[4:])
		m.size = int64(binary.LittleEndian.Uint32(desc[12:]))
		return end + 16, true
	}
	m.crc32 = binary.LittleEndian.Uint32(desc[0:])
	return end + 12, end+12 <= size
}

// findDescriptor finds the data descriptor that ends a member of unknown
// size: a descriptor signature whose compressed-size field equals its own
// distance from the start of the data. It looks through at most
// InflateBytes of data.
func (r *Reader) findDescriptor(ra io.ReaderAt, size int64, m *member) (int64, bool) {
	sig := []byte{'P', 'K', 7, 8}
	limit := min(size-m.dataOffset, r.limits.InflateBytes)
	buf := make([]byte, 64<<10)
	for base := int64(0); base < limit; base += int64(len(buf) - 3) {
		n, _ := ra.ReadAt(buf, m.dataOffset+base)
		if n < 4 {
			return 0, false
		}
		chunk := buf[:n]
		for i := 0; ; {
			j := bytes.Index(chunk[i:], sig)
			if j < 0 {
				break
			}
			p := base + int64(i+j) // descriptor offset from the data start
			var d [24]byte
			got, _ := ra.ReadAt(d[:], m.dataOffset+p)
			switch {
			case got >= 16 && int64(binary.LittleEndian.Uint32(d[8:])) == p:
				m.compressed, m.crc32 = p, binary.LittleEndian.Uint32(d[4:])
				m.size = int64(binary.LittleEndian.Uint32(d[12:]))
				return m.dataOffset + p + 16, true
			case got >= 24 && int64(binary.LittleEndian.Uint64(d[8:])) == p:
				m.compressed, m.crc32 = p, binary.LittleEndian.Uint32(d[4:])
				m.size = int64(binary.LittleEndian.Uint64(d[16:]) & (1<<62 - 1))
				return m.dataOffset + p + 24, true
			}
			i += j + 1
		}
		if n < len(buf) {
			break
		}
	}
	return 0, false
}

// countingByteReader lets flate read exactly the compressed bytes (it uses
// ReadByte when offered) and counts them.
type countingByteReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingByteReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingByteReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

const (
	endOfCentralSig      = 0x06054b50
	zip64EndLocatorSig   = 0x07064b50
	zip64EndOfCentralSig = 0x06064b50
	endOfCentralLen      = 22
	centralHeaderLen     = 46
)

// countCentralHeaders counts central directory headers, up to limit, the
// way archive/zip walks them: from the directory offset the end record
// gives, until a header fails to start with its signature. It returns 0
// when it cannot find the directory; archive/zip then reports why.
func countCentralHeaders(ra io.ReaderAt, size int64, limit int) int {
	tail := min(size, endOfCentralLen+65535)
	buf := make([]byte, tail)
	if _, err := ra.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0
	}
	at := -1
	for i := len(buf) - endOfCentralLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(buf[i:]) == endOfCentralSig {
			at = i
			break
		}
	}
	if at < 0 {
		return 0
	}
	dirOffset := int64(binary.LittleEndian.Uint32(buf[at+16:]))
	if dirOffset == 0xffffffff {
		// Zip64: the locator just before the end record points at the
		// zip64 end record, which holds the real offset.
		loc := size - tail + int64(at) - 20
		var l [20]byte
		if loc < 0 {
			return 0
		}
		if _, err := ra.ReadAt(l[:], loc); err != nil || binary.LittleEndian.Uint32(l[:]) != zip64EndLocatorSig {
			return 0
		}
		recOff := int64(binary.LittleEndian.Uint64(l[8:]))
		var rec [56]byte
		if recOff < 0 || recOff > size-56 {
			return 0
		}
		if _, err := ra.ReadAt(rec[:], recOff); err != nil || binary.LittleEndian.Uint32(rec[:]) != zip64EndOfCentralSig {
			return 0
		}
		dirOffset = int64(binary.LittleEndian.Uint64(rec[48:]))
	}
	if dirOffset < 0 || dirOffset >= size {
		return 0
	}
	br := bufio.NewReader(io.NewSectionReader(ra, dirOffset, size-dirOffset))
	var hdr [centralHeaderLen]byte
	n := 0
	for n < limit {
		if _, err := io.ReadFull(br, hdr[:]); err != nil || binary.LittleEndian.Uint32(hdr[:]) != centralHeaderSig {
			break
		}
		skip := int(binary.LittleEndian.Uint16(hdr[28:])) + int(binary.LittleEndian.Uint16(hdr[30:])) + int(binary.LittleEndian.Uint16(hdr[32:]))
		if _, err := br.Discard(skip); err != nil {
			break
		}
		n++
	}
	return n
}

// windowReaderAt serves small reads from a window read ahead of them, as
// many at once as fit; larger reads, and small ones the window cannot hold
// (near a short read or failure), go to the source unchanged.
type windowReaderAt struct {
	ra  io.ReaderAt
	buf []byte
	off int64 // of buf[0] in the source
	n   int   // valid bytes in buf
}

const (
	headerWindow   = 4 << 10
	windowReadsMax = 512
)

func (w *windowReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if len(p) == 0 || len(p) > windowReadsMax || off < 0 {
		return w.ra.ReadAt(p, off)
	}
	if off < w.off || off+int64(len(p)) > w.off+int64(w.n) {
		if w.buf == nil {
			w.buf = make([]byte, headerWindow)
		}
		w.n, _ = w.ra.ReadAt(w.buf, off)
		w.off = off
		if len(p) > w.n {
			w.n = 0
			return w.ra.ReadAt(p, off)
		}
	}
	return copy(p, w.buf[off-w.off:]), nil
}
