package saz

import (
	"bufio"
	"compress/flate"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/traceaudit/traceaudit/model"
)

var errChecksum = errors.New("saz: member checksum mismatch")

func newFlate(r io.Reader) io.Reader { return flate.NewReader(r) }

// inflater returns the Reader's one decompressor reset onto raw. Members are
// read one after another, and a fresh decompressor costs a 32 KiB window.
func (r *Reader) inflater(raw io.Reader) io.Reader {
	if r.flate == nil {
		r.flate = flate.NewReader(raw)
		return r.flate
	}
	if err := r.flate.(flate.Resetter).Reset(raw, nil); err != nil {
		return flate.NewReader(raw)
	}
	return r.flate
}

// rawReader returns the Reader's one read buffer reset onto a member's
// stored bytes: the decompressor reads through it byte by byte, and without
// it would put a new 4 KiB bufio.Reader (and 4 KiB preads) on every member.
func (r *Reader) rawReader(raw io.Reader) *bufio.Reader {
	if r.raw == nil {
		r.raw = bufio.NewReaderSize(raw, rawBuf)
	} else {
		r.raw.Reset(raw)
	}
	return r.raw
}

// rawBuf is the read size of members' stored bytes.
const rawBuf = 64 << 10

// open returns the decompressed bytes of m. Reading stops with io.EOF at the
// member or archive inflation bound, and the returned memberReader tells
// which bound cut it; a member read to its real end is checked against its
// CRC-32 (and, for AES, its authentication code).
func (r *Reader) open(m *member) (*memberReader, error) {
	raw, err := m.raw(r.ra)
	if err != nil {
		return nil, fmt.Errorf("saz: %s: %w", m.name, err)
	}
	method := m.method
	checkCRC := true
	switch {
	case m.flags&0x40 != 0:
		return nil, fmt.Errorf("saz: %s uses PKWARE strong encryption, which is not supported", m.name)
	case m.encrypted() || method == methodAES:
		if r.password == "" {
			return nil, errMissingPassword
		}
		if method == methodAES {
			info, err := parseAESExtra(m.extra)
			if err != nil {
				return nil, fmt.Errorf("saz: %s: %w", m.name, err)
			}
			raw, err = decryptAES(raw, m.compressed, info, r.password)
			if err != nil {
				return nil, err
			}
			method = info.method
			// AE-2 zeroes the CRC; its HMAC authenticates instead.
			checkCRC = info.version == 1
		} else {
			raw, err = decryptZipCrypto(raw, m, r.password)
			if err != nil {
				return nil, err
			}
		}
	}
	var plain io.Reader
	switch method {
	case zipStore:
		plain = raw
	case zipDeflate:
		plain = r.inflater(r.rawReader(raw))
	default:
		return nil, fmt.Errorf("saz: %s: unsupported compression method %d", m.name, method)
	}
	memberLimit := r.limits.InflateBytes
	return &memberReader{
		r:         plain,
		crc:       crc32.NewIEEE(),
		want:      m.crc32,
		checkCRC:  checkCRC,
		left:      memberLimit,
		budget:    &r.inflateLeft,
		encrypted: m.encrypted(),
	}, nil
}

const (
	zipStore   = 0
	zipDeflate = 8
)

// memberReader bounds and verifies one member's decompressed stream.
type memberReader struct {
	r         io.Reader
	crc       hash.Hash32
	want      uint32
	checkCRC  bool
	left      int64  // member bound remaining
	budget    *int64 // archive bound remaining, shared by all members
	encrypted bool

	damage     error
	hitMember  bool // stopped at the member bound
	hitArchive bool // stopped at the archive bound
	complete   bool // read to the real end and verified
}

// Read never fails: damage (a CRC mismatch, a cut or corrupt stream, a
// failed authentication) ends the stream with io.EOF and is kept in damage,
// so that the message parser keeps what came before it and the caller notes
// it once.
func (m *memberReader) Read(p []byte) (int, error) {
	if m.left <= 0 || *m.budget <= 0 {
		var one [1]byte
		n, err := io.ReadFull(m.r, one[:])
		switch {
		case n == 0 && err == io.EOF:
			m.finish()
		case n == 0:
			m.damage = m.wrap(err)
		case m.left <= 0:
			m.hitMember = true
		default:
			m.hitArchive = true
		}
		return 0, io.EOF
	}
	room := min(m.left, *m.budget)
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := m.r.Read(p)
	m.left -= int64(n)
	*m.budget -= int64(n)
	m.crc.Write(p[:n])
	switch {
	case err == io.EOF:
		m.finish()
	case err != nil:
		m.damage = m.wrap(err)
		err = io.EOF
	}
	return n, err
}

func (m *memberReader) finish() {
	if m.checkCRC && m.crc.Sum32() != m.want {
		m.damage = m.wrap(errChecksum)
		return
	}
	m.complete = true
}

// wrap marks damage in an encrypted member as a possible wrong password: a
// ZipCrypto header check passes for one wrong password in 256.
func (m *memberReader) wrap(err error) error {
	if err == io.ErrUnexpectedEOF {
		return fmt.Errorf("saz: member cut short: %w", err)
	}
	if m.encrypted && !errors.Is(err, ErrPassword) {
		return fmt.Errorf("%w (or the member is corrupt): %w", errWrongPassword, err)
	}
	return err
}

// readAllMember reads a small member (metadata) whole, within its bounds.
func (r *Reader) readAllMember(m *member, max int64) ([]byte, error) {
	mr, err := r.open(m)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(mr, max+1))
	if err == nil {
		err = mr.damage
	}
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max || mr.hitMember || mr.hitArchive {
		return nil, model.AtLimit(model.LimitInflate, fmt.Errorf("%w: %s is larger than %d bytes", ErrLimit, m.name, max))
	}
	return data, nil
}
