package tlsdec

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// bulkKind is how a cipher suite protects records.
type bulkKind int

const (
	bulkGCM bulkKind = iota + 1
	bulkChaCha
	bulkCBC
)

// suite describes what decryption needs from a cipher suite: the bulk
// cipher, its key length, the record MAC (CBC suites only) and the hash of
// the PRF (TLS 1.2) or HKDF (TLS 1.3).
type suite struct {
	id      uint16
	name    string
	tls13   bool
	bulk    bulkKind
	keyLen  int
	mac     func() hash.Hash // CBC suites only
	macLen  int
	prfHash func() hash.Hash
}

func sha384() hash.Hash { return sha512.New384() }

func gcm12(id uint16, name string, keyLen int, prf func() hash.Hash) suite {
	return suite{id: id, name: name, bulk: bulkGCM, keyLen: keyLen, prfHash: prf}
}

func chacha12(id uint16, name string) suite {
	return suite{id: id, name: name, bulk: bulkChaCha, keyLen: 32, prfHash: sha256.New}
}

func cbc12(id uint16, name string, keyLen int, mac func() hash.Hash, macLen int) suite {
	prf := sha256.New
	if macLen == sha512.Size384 {
		prf = sha384
	}
	return suite{id: id, name: name, bulk: bulkCBC, keyLen: keyLen, mac: mac, macLen: macLen, prfHash: prf}
}

// suites lists the cipher suites this package decrypts. 3DES, RC4, CAMELLIA,
// ARIA and CCM suites are reported as unsupported.
var suites = []suite{
	// TLS 1.3 (RFC 8446 B.4).
	{id: 0x1301, name: "TLS_AES_128_GCM_SHA256", tls13: true, bulk: bulkGCM, keyLen: 16, prfHash: sha256.New},
	{id: 0x1302, name: "TLS_AES_256_GCM_SHA384", tls13: true, bulk: bulkGCM, keyLen: 32, prfHash: sha384},
	{id: 0x1303, name: "TLS_CHACHA20_POLY1305_SHA256", tls13: true, bulk: bulkChaCha, keyLen: 32, prfHash: sha256.New},

	// TLS 1.2 AES-GCM (RFC 5288, 5289, 5487).
	gcm12(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", 16, sha256.New),
	gcm12(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", 32, sha384),
	gcm12(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 16, sha256.New),
	gcm12(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 32, sha384),
	gcm12(0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", 16, sha256.New),
	gcm12(0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", 32, sha384),
	gcm12(0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", 16, sha256.New),
	gcm12(0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", 32, sha384),
	gcm12(0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", 16, sha256.New),
	gcm12(0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", 32, sha384),
	gcm12(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 16, sha256.New),
	gcm12(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 32, sha384),
	gcm12(0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", 16, sha256.New),
	gcm12(0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", 32, sha384),
	gcm12(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 16, sha256.New),
	gcm12(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 32, sha384),
	gcm12(0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", 16, sha256.New),
	gcm12(0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", 32, sha384),

	// TLS 1.2 ChaCha20-Poly1305 (RFC 7905).
	chacha12(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
	chacha12(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
	chacha12(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
	chacha12(0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"),
	chacha12(0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"),
	chacha12(0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"),
	chacha12(0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"),

	// AES-CBC with HMAC (RFC 5246, 5289, 4492); the SHA-1 ones also serve
	// TLS 1.0 and 1.1.
	cbc12(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", 16, sha1.New, sha1.Size),
	cbc12(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", 32, sha1.New, sha1.Size),
	cbc12(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 16, sha1.New, sha1.Size),
	cbc12(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", 32, sha1.New, sha1.Size),
	cbc12(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", 16, sha256.New, sha256.Size),
	cbc12(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", 32, sha256.New, sha256.Size),
	cbc12(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", 16, sha256.New, sha256.Size),
	cbc12(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", 32, sha256.New, sha256.Size),
	cbc12(0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", 16, sha1.New, sha1.Size),
	cbc12(0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", 32, sha1.New, sha1.Size),
	cbc12(0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", 16, sha256.New, sha256.Size),
	cbc12(0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", 32, sha384, sha512.Size384),
	cbc12(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 16, sha1.New, sha1.Size),
	cbc12(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", 32, sha1.New, sha1.Size),
	cbc12(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 16, sha1.New, sha1.Size),
	cbc12(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", 32, sha1.New, sha1.Size),
	cbc12(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 16, sha256.New, sha256.Size),
	cbc12(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", 32, sha384, sha512.Size384),
	cbc12(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", 16, sha256.New, sha256.Size),
	cbc12(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", 32, sha384, sha512.Size384),
	cbc12(0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", 16, sha1.New, sha1.Size),
	cbc12(0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", 32, sha1.New, sha1.Size),
	cbc12(0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", 16, sha256.New, sha256.Size),
	cbc12(0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", 32, sha384, sha512.Size384),
}

// suiteByID returns the suite with the given id, or nil when unsupported.
func suiteByID(id uint16) *suite {
	for i := range suites {
		if suites[i].id == id {
			return &suites[i]
		}
	}
	return nil
}
