package saz

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// Methods and extra-field IDs of the two zip encryption schemes Fiddler
// writes (APPNOTE 6.1 for ZipCrypto, WinZip's AE-x specification for AES).
const (
	methodAES      = 99
	extraAES       = 0x9901
	aesMACLen      = 10
	aesVerifierLen = 2
	aesIterations  = 1000
	zipCryptoHdr   = 12
)

var (
	errMissingPassword = fmt.Errorf("%w: the archive is encrypted and no password was given", ErrPassword)
	errWrongPassword   = fmt.Errorf("%w: the password is wrong", ErrPassword)
	errAuth            = errors.New("saz: member authentication code mismatch (corrupt or tampered)")
)

// aesInfo is the content of a WinZip AES extra field.
type aesInfo struct {
	version uint16 // 1 = AE-1 (CRC kept), 2 = AE-2 (CRC zero)
	keyLen  int    // 16, 24 or 32
	saltLen int    // 8, 12 or 16
	method  uint16 // the real compression method
}

func parseAESExtra(extra []byte) (aesInfo, error) {
	for id, field := range extraFields(extra) {
		if id != extraAES {
			continue
		}
		if len(field) < 7 || field[2] != 'A' || field[3] != 'E' {
			return aesInfo{}, errors.New("saz: malformed WinZip AES extra field")
		}
		info := aesInfo{version: binary.LittleEndian.Uint16(field), method: binary.LittleEndian.Uint16(field[5:])}
		switch field[4] {
		case 1:
			info.keyLen, info.saltLen = 16, 8
		case 2:
			info.keyLen, info.saltLen = 24, 12
		case 3:
			info.keyLen, info.saltLen = 32, 16
		default:
			return aesInfo{}, fmt.Errorf("saz: unknown WinZip AES strength %d", field[4])
		}
		return info, nil
	}
	return aesInfo{}, errors.New("saz: AES-encrypted member without its WinZip AES extra field")
}

// decryptAES returns a reader of the plaintext (still compressed) data of a
// WinZip AES member. The two-byte verifier catches most wrong passwords at
// once; the HMAC-SHA1 code at the end catches the rest and any corruption.
func decryptAES(raw io.Reader, compressed int64, info aesInfo, password string) (io.Reader, error) {
	overhead := int64(info.saltLen + aesVerifierLen + aesMACLen)
	if compressed < overhead {
		return nil, fmt.Errorf("saz: AES member shorter than its salt and authentication code (%d bytes)", compressed)
	}
	head := make([]byte, info.saltLen+aesVerifierLen)
	if _, err := io.ReadFull(raw, head); err != nil {
		return nil, fmt.Errorf("saz: reading AES salt: %w", err)
	}
	salt, verifier := head[:info.saltLen], head[info.saltLen:]
	keys, err := pbkdf2.Key(sha1.New, password, salt, aesIterations, 2*info.keyLen+aesVerifierLen)
	if err != nil {
		return nil, fmt.Errorf("saz: deriving AES key: %w", err)
	}
	if subtle.ConstantTimeCompare(keys[2*info.keyLen:], verifier) != 1 {
		return nil, errWrongPassword
	}
	block, err := aes.NewCipher(keys[:info.keyLen])
	if err != nil {
		return nil, err
	}
	return &aesReader{
		data:  io.LimitReader(raw, compressed-overhead),
		tail:  raw,
		block: block,
		mac:   hmac.New(sha1.New, keys[info.keyLen:2*info.keyLen]),
		pos:   aes.BlockSize,
	}, nil
}

// aesReader decrypts WinZip AES: AES in counter mode with a little-endian
// counter starting at 1 (not crypto/cipher's big-endian CTR), authenticated
// by HMAC-SHA1 over the ciphertext.
type aesReader struct {
	data    io.Reader
	tail    io.Reader
	block   cipher.Block
	mac     hash.Hash
	counter [aes.BlockSize]byte
	stream  [aes.BlockSize]byte
	pos     int
	done    bool
}

func (a *aesReader) Read(p []byte) (int, error) {
	if a.done {
		return 0, io.EOF
	}
	n, err := a.data.Read(p)
	a.mac.Write(p[:n])
	for i := range p[:n] {
		if a.pos == aes.BlockSize {
			for j := range a.counter {
				a.counter[j]++
				if a.counter[j] != 0 {
					break
				}
			}
			a.block.Encrypt(a.stream[:], a.counter[:])
			a.pos = 0
		}
		p[i] ^= a.stream[a.pos]
		a.pos++
	}
	if err == io.EOF {
		a.done = true
		var code [aesMACLen]byte
		if _, terr := io.ReadFull(a.tail, code[:]); terr != nil {
			return n, fmt.Errorf("saz: reading AES authentication code: %w", terr)
		}
		if !hmac.Equal(a.mac.Sum(nil)[:aesMACLen], code[:]) {
			return n, errAuth
		}
	}
	return n, err
}

// zipCrypto is the traditional PKWARE stream cipher. It is weak, but it is
// what "zip -P" and Fiddler's default protection write.
type zipCrypto struct{ k0, k1, k2 uint32 }

func newZipCrypto(password string) *zipCrypto {
	z := &zipCrypto{0x12345678, 0x23456789, 0x34567890}
	for i := 0; i < len(password); i++ {
		z.update(password[i])
	}
	return z
}

func crcByte(c uint32, b byte) uint32 { return crc32.IEEETable[byte(c)^b] ^ c>>8 }

func (z *zipCrypto) update(b byte) {
	z.k0 = crcByte(z.k0, b)
	z.k1 = (z.k1+z.k0&0xff)*134775813 + 1
	z.k2 = crcByte(z.k2, byte(z.k1>>24))
}

func (z *zipCrypto) decrypt(p []byte) {
	for i, c := range p {
		t := uint32(z.k2|2) & 0xffff
		d := c ^ byte((t*(t^1))>>8)
		z.update(d)
		p[i] = d
	}
}

type zipCryptoReader struct {
	r io.Reader
	z *zipCrypto
}

func (zr *zipCryptoReader) Read(p []byte) (int, error) {
	n, err := zr.r.Read(p)
	zr.z.decrypt(p[:n])
	return n, err
}

// decryptZipCrypto checks the 12-byte encryption header against the CRC's
// (or, with a data descriptor, the DOS time's) high byte. One wrong password
// in 256 passes this check; the CRC over the plaintext catches those.
func decryptZipCrypto(raw io.Reader, m *member, password string) (io.Reader, error) {
	if m.compressed < zipCryptoHdr {
		return nil, fmt.Errorf("saz: ZipCrypto member shorter than its header (%d bytes)", m.compressed)
	}
	var enc [zipCryptoHdr]byte
	if _, err := io.ReadFull(raw, enc[:]); err != nil {
		return nil, fmt.Errorf("saz: reading ZipCrypto header: %w", err)
	}
	for _, pw := range zipCryptoPasswords(password) {
		z := newZipCrypto(pw)
		hdr := enc
		z.decrypt(hdr[:])
		// Writers differ on which byte they put there when a data
		// descriptor follows; accept either and let the CRC settle it.
		got := hdr[zipCryptoHdr-1]
		if got == byte(m.crc32>>24) || (m.flags&0x8 != 0 && got == byte(m.modTime>>8)) {
			return &zipCryptoReader{r: io.LimitReader(raw, m.compressed-zipCryptoHdr), z: z}, nil
		}
	}
	return nil, errWrongPassword
}
