package saz

import (
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/traceaudit/traceaudit/model"
)

var errChecksum = errors.New("saz: member checksum mismatch")

func newFlate(r io.Reader) io.Reader { return flate.NewReader(r) }

// inflaters are what reading members one after another needs: a
// decompressor (a fresh one costs a 32 KiB window) and a read buffer under
// it (without which flate reads the stored bytes through a new 4 KiB
// bufio.Reader, in 4 KiB preads, per member). Each goroutine that inflates
// members has its own.
type inflaters struct {
	flate  io.ReadCloser
	raw    *bufio.Reader
	stored bytes.Reader // over stored bytes already in memory
}

// inflater returns the decompressor reset onto raw.
func (in *inflaters) inflater(raw io.Reader) io.Reader {
	if in.flate == nil {
		in.flate = flate.NewReader(raw)
		return in.flate
	}
	if err := in.flate.(flate.Resetter).Reset(raw, nil); err != nil {
		return flate.NewReader(raw)
	}
	return in.flate
}

// rawReader returns the read buffer reset onto a member's stored bytes.
func (in *inflaters) rawReader(raw io.Reader) *bufio.Reader {
	if in.raw == nil {
		in.raw = bufio.NewReaderSize(raw, rawBuf)
	} else {
		in.raw.Reset(raw)
	}
	return in.raw
}

// rawBuf is the read size of members' stored bytes.
const rawBuf = 64 << 10

// open returns the decompressed bytes of m. Reading stops with io.EOF at the
// member or archive inflation bound, and the returned memberReader tells
// which bound cut it; a member read to its real end is checked against its
// CRC-32 (and, for AES, its authentication code).
func (r *Reader) open(m *member) (*memberReader, error) {
	plain, checkCRC, err := r.plain(&r.inf, m, nil)
	if err != nil {
		return nil, err
	}
	return r.memberReader(m, checkCRC, plain), nil
}

// memberReader bounds and verifies a member's plain stream for the
// Reader's goroutine, which alone keeps the archive's inflation budget.
func (r *Reader) memberReader(m *member, checkCRC bool, plain io.Reader) *memberReader {
	return &memberReader{
		r:         plain,
		want:      m.crc32,
		checkCRC:  checkCRC,
		left:      r.limits.InflateBytes,
		budget:    &r.inflateLeft,
		encrypted: m.encrypted(),
	}
}

// plain returns m's stored bytes decrypted and decompressed, unbounded,
// through in; checkCRC tells whether its CRC-32 is to be checked. stored,
// when not nil, holds m's stored bytes, already read from the archive. It
// reads only what does not change (the archive, the password, the limits),
// so that members can be inflated on other goroutines than the Reader's.
func (r *Reader) plain(in *inflaters, m *member, stored []byte) (plain io.Reader, checkCRC bool, err error) {
	var raw io.Reader
	if stored != nil {
		in.stored.Reset(stored)
		raw = &in.stored
	} else if raw, err = m.raw(r.ra); err != nil {
		return nil, false, fmt.Errorf("saz: %s: %w", m.name, err)
	}
	method := m.method
	checkCRC = true
	switch {
	case m.flags&0x40 != 0:
		return nil, false, fmt.Errorf("saz: %s uses PKWARE strong encryption, which is not supported", m.name)
	case m.encrypted() || method == methodAES:
		if r.password == "" {
			return nil, false, errMissingPassword
		}
		if method == methodAES {
			info, err := parseAESExtra(m.extra)
			if err != nil {
				return nil, false, fmt.Errorf("saz: %s: %w", m.name, err)
			}
			raw, err = decryptAES(raw, m.compressed, info, r.password)
			if err != nil {
				return nil, false, err
			}
			method = info.method
			// AE-2 zeroes the CRC; its HMAC authenticates instead.
			checkCRC = info.version == 1
		} else {
			raw, err = decryptZipCrypto(raw, m, r.password)
			if err != nil {
				return nil, false, err
			}
		}
	}
	switch method {
	case zipStore:
		return raw, checkCRC, nil
	case zipDeflate:
		if raw == &in.stored {
			// flate reads a bytes.Reader byte by byte as it is.
			return in.inflater(raw), checkCRC, nil
		}
		return in.inflater(in.rawReader(raw)), checkCRC, nil
	}
	return nil, false, fmt.Errorf("saz: %s: unsupported compression method %d", m.name, method)
}

const (
	zipStore   = 0
	zipDeflate = 8
)

// memberReader bounds and verifies one member's decompressed stream. The
// stream may start with bytes inflated ahead on another goroutine (pre);
// they are served, counted and checked exactly as if read from it.
type memberReader struct {
	r         io.Reader // the stream after pre; nil when pre holds all of it
	pre       []byte    // the stream's first bytes, not yet served
	preCRC    uint32    // CRC-32 of all of pre as fetched
	preEnd    error     // when r is nil: how the stream ended after pre
	crc       uint32
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
		more, err := m.more()
		switch {
		case !more && err == io.EOF:
			m.finish()
		case !more:
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
	var n int
	var err error
	switch {
	case len(m.pre) > 0:
		n = copy(p, m.pre)
		m.pre = m.pre[n:]
		if len(m.pre) == 0 {
			m.crc = m.preCRC
			if m.r == nil {
				err = m.preEnd
			}
		}
	case m.r == nil:
		err = m.preEnd
	default:
		n, err = m.r.Read(p)
		m.crc = crc32.Update(m.crc, crc32.IEEETable, p[:n])
	}
	m.left -= int64(n)
	*m.budget -= int64(n)
	switch {
	case err == io.EOF:
		m.finish()
	case err != nil:
		m.damage = m.wrap(err)
		err = io.EOF
	}
	return n, err
}

// more reports whether the stream holds another byte past a bound; when it
// does not, err tells how it ended.
func (m *memberReader) more() (bool, error) {
	if len(m.pre) > 0 {
		return true, nil
	}
	if m.r == nil {
		return false, m.preEnd
	}
	var one [1]byte
	n, err := io.ReadFull(m.r, one[:])
	return n > 0, err
}

func (m *memberReader) finish() {
	if m.checkCRC && m.crc != m.want {
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

// readAllMember reads a small member (metadata) whole, within its bounds,
// into a buffer reused from session to session: the data is valid until
// the next call.
func (r *Reader) readAllMember(m *member, max int64) ([]byte, error) {
	mr, err := r.openFetched(m)
	if err != nil {
		return nil, err
	}
	// As io.ReadAll, without a new buffer per member: mr ends every read
	// with io.EOF, damage included, and keeps the damage.
	lr := io.LimitedReader{R: mr, N: max + 1}
	data := r.metaBuf[:0]
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := lr.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err != nil {
			break
		}
	}
	if cap(data) <= 64<<10 {
		r.metaBuf = data
	}
	if mr.damage != nil {
		return nil, mr.damage
	}
	if int64(len(data)) > max || mr.hitMember || mr.hitArchive {
		return nil, model.AtLimit(model.LimitInflate, fmt.Errorf("%w: %s is larger than %d bytes", ErrLimit, m.name, max))
	}
	return data, nil
}
