package tlsdec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// errAuth is a record that does not authenticate under the keys tried.
var errAuth = errors.New("record failed authentication")

// recordCipher opens the records of one direction and epoch. open returns
// the plaintext and its content type; dst is reused storage.
type recordCipher interface {
	open(dst []byte, seq uint64, hdr [5]byte, payload []byte) ([]byte, byte, error)
}

// prf12 is the TLS 1.2 PRF (RFC 5246 section 5): P_hash over label+seed.
func prf12(h func() hash.Hash, secret []byte, label string, seed []byte, n int) []byte {
	ls := make([]byte, 0, len(label)+len(seed))
	ls = append(append(ls, label...), seed...)
	return pHash(h, secret, ls, n)
}

// prf10 is the TLS 1.0 and 1.1 PRF (RFC 2246 section 5): P_MD5 over the
// first half of the secret XOR P_SHA1 over the second half.
func prf10(secret []byte, label string, seed []byte, n int) []byte {
	ls := make([]byte, 0, len(label)+len(seed))
	ls = append(append(ls, label...), seed...)
	half := (len(secret) + 1) / 2
	out := pHash(md5.New, secret[:half], ls, n)
	for i, b := range pHash(sha1.New, secret[len(secret)-half:], ls, n) {
		out[i] ^= b
	}
	return out
}

// pHash is P_hash of RFC 5246 section 5.
func pHash(h func() hash.Hash, secret, ls []byte, n int) []byte {
	mac := hmac.New(h, secret)
	mac.Write(ls)
	a := mac.Sum(nil)
	out := make([]byte, 0, n+mac.Size())
	for len(out) < n {
		mac.Reset()
		mac.Write(a)
		mac.Write(ls)
		out = mac.Sum(out)
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0])
	}
	return out[:n]
}

// expandLabel is TLS 1.3's HKDF-Expand-Label with an empty context
// (RFC 8446 section 7.1).
func expandLabel(h func() hash.Hash, secret []byte, label string, n int) ([]byte, error) {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = binary.BigEndian.AppendUint16(info, uint16(n))
	info = append(info, byte(len(full)))
	info = append(info, full...)
	info = append(info, 0) // empty context
	return hkdf.Expand(h, secret, string(info), n)
}

// keys12 derives the TLS 1.0-1.2 client and server record ciphers from a
// master secret (RFC 5246 section 6.3, RFC 2246 section 6.3).
func keys12(s *suite, version uint16, master, clientRandom, serverRandom []byte, etm bool) (client, server recordCipher, err error) {
	ivLen := 0
	switch {
	case s.bulk == bulkGCM:
		ivLen = 4
	case s.bulk == bulkChaCha:
		ivLen = 12
	case version == versionTLS10:
		ivLen = 16 // the first record's CBC IV; later ones chain
	}
	seed := make([]byte, 0, 64)
	seed = append(append(seed, serverRandom...), clientRandom...)
	n := 2 * (s.macLen + s.keyLen + ivLen)
	var block []byte
	if version < versionTLS12 {
		block = prf10(master, "key expansion", seed, n)
	} else {
		block = prf12(s.prfHash, master, "key expansion", seed, n)
	}
	take := func(n int) []byte {
		b := block[:n:n]
		block = block[n:]
		return b
	}
	cMAC, sMAC := take(s.macLen), take(s.macLen)
	cKey, sKey := take(s.keyLen), take(s.keyLen)
	cIV, sIV := take(ivLen), take(ivLen)
	if client, err = newCipher12(s, cKey, cIV, cMAC, etm); err != nil {
		return nil, nil, err
	}
	if server, err = newCipher12(s, sKey, sIV, sMAC, etm); err != nil {
		return nil, nil, err
	}
	return client, server, nil
}

func newCipher12(s *suite, key, iv, macKey []byte, etm bool) (recordCipher, error) {
	switch s.bulk {
	case bulkGCM:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		g, err := cipher.NewGCM(b)
		if err != nil {
			return nil, err
		}
		return &explicitNonceAEAD{aead: g, fixed: iv}, nil
	case bulkChaCha:
		a, err := chacha20poly1305.New(key)
		if err != nil {
			return nil, err
		}
		return &xorNonceAEAD{aead: a, iv: iv}, nil
	case bulkCBC:
		b, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		c := &cbcHMAC{block: b, mac: hmac.New(s.mac, macKey), macLen: s.macLen, etm: etm}
		if len(iv) > 0 {
			c.chained = bytes.Clone(iv)
		}
		return c, nil
	}
	return nil, errors.New("unsupported bulk cipher")
}

// newCipher13 derives a TLS 1.3 record cipher from a traffic secret.
func newCipher13(s *suite, secret []byte) (recordCipher, error) {
	key, err := expandLabel(s.prfHash, secret, "key", s.keyLen)
	if err != nil {
		return nil, err
	}
	iv, err := expandLabel(s.prfHash, secret, "iv", 12)
	if err != nil {
		return nil, err
	}
	var a cipher.AEAD
	if s.bulk == bulkChaCha {
		a, err = chacha20poly1305.New(key)
	} else {
		var b cipher.Block
		if b, err = aes.NewCipher(key); err == nil {
			a, err = cipher.NewGCM(b)
		}
	}
	if err != nil {
		return nil, err
	}
	return &xorNonceAEAD{aead: a, iv: iv, tls13: true}, nil
}

// nextSecret13 is the traffic secret after a KeyUpdate (RFC 8446 7.2).
func nextSecret13(s *suite, secret []byte) ([]byte, error) {
	return expandLabel(s.prfHash, secret, "traffic upd", s.prfHash().Size())
}

// additionalData12 is TLS 1.2's AEAD additional data and MAC header:
// seq_num, type, version, length.
func additionalData12(buf []byte, seq uint64, hdr [5]byte, n int) []byte {
	buf = binary.BigEndian.AppendUint64(buf[:0], seq)
	buf = append(buf, hdr[0], hdr[1], hdr[2])
	return binary.BigEndian.AppendUint16(buf, uint16(n))
}

// explicitNonceAEAD is TLS 1.2 AES-GCM: a 4-byte implicit salt and an
// 8-byte nonce sent in each record (RFC 5288).
type explicitNonceAEAD struct {
	aead  cipher.AEAD
	fixed []byte
	nonce [12]byte
	ad    [13]byte
}

func (c *explicitNonceAEAD) open(dst []byte, seq uint64, hdr [5]byte, payload []byte) ([]byte, byte, error) {
	if len(payload) < 8+c.aead.Overhead() {
		return nil, 0, errAuth
	}
	copy(c.nonce[:4], c.fixed)
	copy(c.nonce[4:], payload[:8])
	ct := payload[8:]
	ad := additionalData12(c.ad[:0], seq, hdr, len(ct)-c.aead.Overhead())
	out, err := c.aead.Open(dst[:0], c.nonce[:], ct, ad)
	if err != nil {
		return nil, 0, errAuth
	}
	return out, hdr[0], nil
}

// xorNonceAEAD is the nonce scheme of TLS 1.2 ChaCha20-Poly1305 (RFC 7905)
// and of every TLS 1.3 AEAD: the IV XOR the sequence number.
type xorNonceAEAD struct {
	aead  cipher.AEAD
	iv    []byte
	tls13 bool
	nonce [12]byte
	ad    [13]byte
}

func (c *xorNonceAEAD) open(dst []byte, seq uint64, hdr [5]byte, payload []byte) ([]byte, byte, error) {
	if len(payload) < c.aead.Overhead() {
		return nil, 0, errAuth
	}
	copy(c.nonce[:], c.iv)
	for i := 0; i < 8; i++ {
		c.nonce[4+i] ^= byte(seq >> (56 - 8*i))
	}
	var ad []byte
	if c.tls13 {
		ad = hdr[:]
	} else {
		ad = additionalData12(c.ad[:0], seq, hdr, len(payload)-c.aead.Overhead())
	}
	out, err := c.aead.Open(dst[:0], c.nonce[:], payload, ad)
	if err != nil {
		return nil, 0, errAuth
	}
	if !c.tls13 {
		return out, hdr[0], nil
	}
	// TLSInnerPlaintext: content, type, zero padding.
	i := len(out) - 1
	for i >= 0 && out[i] == 0 {
		i--
	}
	if i < 0 {
		return nil, 0, errors.New("record has no content type")
	}
	return out[:i], out[i], nil
}

// cbcHMAC is AES-CBC with HMAC, either MAC-then-encrypt (RFC 5246
// 6.2.3.2) or encrypt-then-MAC (RFC 7366). TLS 1.1 and 1.2 send each
// record's IV; TLS 1.0 chains it from the previous record's last
// ciphertext block (chained).
type cbcHMAC struct {
	block   cipher.Block
	mac     hash.Hash
	macLen  int
	etm     bool
	chained []byte // TLS 1.0: the IV of the next record
	ad      [13]byte
	sum     []byte
}

// advance moves a TLS 1.0 IV chain past a record, whether or not it
// authenticated: the chain follows the ciphertext.
func (c *cbcHMAC) advance(payload []byte) {
	if c.chained == nil {
		return
	}
	if c.etm && len(payload) >= c.macLen {
		payload = payload[:len(payload)-c.macLen]
	}
	if bs := c.block.BlockSize(); len(payload) >= bs && len(payload)%bs == 0 {
		copy(c.chained, payload[len(payload)-bs:])
	}
}

func (c *cbcHMAC) open(dst []byte, seq uint64, hdr [5]byte, payload []byte) ([]byte, byte, error) {
	bs := c.block.BlockSize()
	ivLen := bs
	if c.chained != nil {
		ivLen = 0
	}
	if c.etm {
		if len(payload) < ivLen+bs+c.macLen {
			return nil, 0, errAuth
		}
		body, tag := payload[:len(payload)-c.macLen], payload[len(payload)-c.macLen:]
		if !c.verify(seq, hdr, body, tag) {
			return nil, 0, errAuth
		}
		payload = body
	}
	if len(payload) < ivLen+bs || len(payload)%bs != 0 {
		return nil, 0, errAuth
	}
	iv, ct := payload[:ivLen], payload[ivLen:]
	if c.chained != nil {
		iv = c.chained
	}
	out := append(dst[:0], ct...)
	cipher.NewCBCDecrypter(c.block, iv).CryptBlocks(out, out)
	pad := int(out[len(out)-1])
	if pad+1 > len(out) {
		return nil, 0, errAuth
	}
	for _, b := range out[len(out)-1-pad:] {
		if int(b) != pad {
			return nil, 0, errAuth
		}
	}
	out = out[:len(out)-1-pad]
	if c.etm {
		return out, hdr[0], nil
	}
	if len(out) < c.macLen {
		return nil, 0, errAuth
	}
	plain, tag := out[:len(out)-c.macLen], out[len(out)-c.macLen:]
	if !c.verify(seq, hdr, plain, tag) {
		return nil, 0, errAuth
	}
	return plain, hdr[0], nil
}

func (c *cbcHMAC) verify(seq uint64, hdr [5]byte, data, tag []byte) bool {
	c.mac.Reset()
	c.mac.Write(additionalData12(c.ad[:0], seq, hdr, len(data)))
	c.mac.Write(data)
	c.sum = c.mac.Sum(c.sum[:0])
	return hmac.Equal(c.sum, tag)
}
