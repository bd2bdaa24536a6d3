package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// QUIC versions read: 1 (RFC 9000) and 2 (RFC 9369).
const (
	version1 = 0x00000001
	version2 = 0x6b3343cf
)

// versionParams are what differs between QUIC versions: the Initial salt
// (RFC 9001 section 5.2, RFC 9369 section 3.3.1), the key derivation
// labels and the long header packet types.
type versionParams struct {
	salt                                   []byte
	keyLabel, ivLabel, hpLabel, kuLabel    string
	initial, zeroRTT, handshake, retryType byte
}

var (
	params1 = &versionParams{
		salt:     []byte{0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a},
		keyLabel: "quic key", ivLabel: "quic iv", hpLabel: "quic hp", kuLabel: "quic ku",
		initial: 0, zeroRTT: 1, handshake: 2, retryType: 3,
	}
	params2 = &versionParams{
		salt:     []byte{0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9},
		keyLabel: "quicv2 key", ivLabel: "quicv2 iv", hpLabel: "quicv2 hp", kuLabel: "quicv2 ku",
		initial: 1, zeroRTT: 2, handshake: 3, retryType: 0,
	}
)

func paramsOf(v uint32) *versionParams {
	switch v {
	case version1:
		return params1
	case version2:
		return params2
	}
	return nil
}

// suite is a TLS 1.3 cipher suite as QUIC uses it.
type suite struct {
	id     uint16
	keyLen int
	hash   func() hash.Hash
	chacha bool
}

var (
	suiteAES128 = &suite{id: 0x1301, keyLen: 16, hash: sha256.New}
	suiteAES256 = &suite{id: 0x1302, keyLen: 32, hash: sha512.New384}
	suiteChaCha = &suite{id: 0x1303, keyLen: 32, hash: sha256.New, chacha: true}
)

func suiteOf(id uint16) *suite {
	switch id {
	case 0x1301:
		return suiteAES128
	case 0x1302:
		return suiteAES256
	case 0x1303:
		return suiteChaCha
	}
	return nil
}

// expandLabel is TLS 1.3's HKDF-Expand-Label with an empty context.
func expandLabel(h func() hash.Hash, secret []byte, label string, n int) []byte {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = binary.BigEndian.AppendUint16(info, uint16(n))
	info = append(info, byte(len(full)))
	info = append(info, full...)
	info = append(info, 0)
	out, err := hkdf.Expand(h, secret, string(info), n)
	if err != nil {
		// Only for n past 255 hash lengths, which no caller asks.
		panic("quic: " + err.Error())
	}
	return out
}

// initialSecrets derives the client's and the server's Initial secrets
// from the Destination Connection ID of the client's first Initial packet.
func initialSecrets(p *versionParams, dcid []byte) (client, server []byte) {
	initial, err := hkdf.Extract(sha256.New, dcid, p.salt)
	if err != nil {
		panic("quic: " + err.Error())
	}
	return expandLabel(sha256.New, initial, "client in", 32), expandLabel(sha256.New, initial, "server in", 32)
}

// packetKeys protect one direction's packets of one epoch (and key phase).
type packetKeys struct {
	suite  *suite
	secret []byte // for the next key phase
	aead   cipher.AEAD
	iv     [12]byte
	hp     headerProtection
	nonce  [12]byte
}

// headerProtection computes the 5-byte mask of RFC 9001 section 5.4 from
// a 16-byte sample.
type headerProtection interface {
	mask(sample []byte) [5]byte
}

type aesHP struct{ block cipher.Block }

func (h aesHP) mask(sample []byte) [5]byte {
	var out [16]byte
	h.block.Encrypt(out[:], sample[:16])
	return [5]byte(out[:5])
}

type chachaHP struct{ key []byte }

func (h chachaHP) mask(sample []byte) [5]byte {
	var out [5]byte
	c, err := chacha20.NewUnauthenticatedCipher(h.key, sample[4:16])
	if err != nil {
		return out
	}
	c.SetCounter(binary.LittleEndian.Uint32(sample[:4]))
	c.XORKeyStream(out[:], out[:])
	return out
}

func newPacketKeys(s *suite, p *versionParams, secret []byte) (*packetKeys, error) {
	k, err := newAEADKeys(s, p, secret)
	if err != nil {
		return nil, err
	}
	hpKey := expandLabel(s.hash, secret, p.hpLabel, s.keyLen)
	if s.chacha {
		k.hp = chachaHP{key: hpKey}
	} else {
		b, err := aes.NewCipher(hpKey)
		if err != nil {
			return nil, err
		}
		k.hp = aesHP{block: b}
	}
	return k, nil
}

// newAEADKeys derives the packet key and IV, without header protection.
func newAEADKeys(s *suite, p *versionParams, secret []byte) (*packetKeys, error) {
	if len(secret) != s.hash().Size() {
		return nil, errors.New("secret length does not match the cipher suite")
	}
	key := expandLabel(s.hash, secret, p.keyLabel, s.keyLen)
	iv := expandLabel(s.hash, secret, p.ivLabel, 12)
	k := &packetKeys{suite: s, secret: secret, iv: [12]byte(iv)}
	var err error
	if s.chacha {
		k.aead, err = chacha20poly1305.New(key)
	} else {
		var b cipher.Block
		if b, err = aes.NewCipher(key); err == nil {
			k.aead, err = cipher.NewGCM(b)
		}
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// next derives the keys of the next key phase (RFC 9001 section 6): a new
// secret, key and IV; header protection stays.
func (k *packetKeys) next(p *versionParams) (*packetKeys, error) {
	n, err := newAEADKeys(k.suite, p, expandLabel(k.suite.hash, k.secret, p.kuLabel, len(k.secret)))
	if err != nil {
		return nil, err
	}
	n.hp = k.hp
	return n, nil
}

// open decrypts a packet's payload; hdr is its unprotected header, the
// associated data.
func (k *packetKeys) open(dst []byte, pn uint64, hdr, payload []byte) ([]byte, error) {
	if len(payload) < k.aead.Overhead() {
		return nil, errAuth
	}
	k.nonce = k.iv
	for i := range 8 {
		k.nonce[4+i] ^= byte(pn >> (56 - 8*i))
	}
	out, err := k.aead.Open(dst[:0], k.nonce[:], payload, hdr)
	if err != nil {
		return nil, errAuth
	}
	return out, nil
}

var errAuth = errors.New("packet failed authentication")
