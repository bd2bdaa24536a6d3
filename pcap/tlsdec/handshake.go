package tlsdec

import (
	"bytes"
	"errors"
	"slices"

	"golang.org/x/crypto/cryptobyte"
)

// Handshake message types (RFC 8446 B.3, RFC 5246 7.4).
const (
	hsClientHello      = 1
	hsServerHello      = 2
	hsNewSessionTicket = 4
	hsEndOfEarlyData   = 5
	hsEncryptedExts    = 8
	hsFinished         = 20
	hsKeyUpdate        = 24
)

// Extension types.
const (
	extServerName          = 0
	extALPN                = 16
	extEncryptThenMAC      = 22
	extSessionTicket       = 35
	extEarlyData           = 42
	extSupportedVersions   = 43
	extECH                 = 0xfe0d // encrypted_client_hello (also sent as GREASE)
	versionTLS10           = 0x0301
	versionTLS11           = 0x0302
	versionTLS12           = 0x0303
	versionTLS13           = 0x0304
	maxHandshakeMsg        = 1 << 20 // larger messages are skipped unparsed
	helloRetryRandomString = "\xcf\x21\xad\x74\xe5\x9a\x61\x11\xbe\x1d\x8c\x02\x1e\x65\xb8\x91\xc2\xa2\x11\x16\x7a\xbb\x8c\x5e\x07\x9e\x09\xe2\xc8\xa8\x33\x9c"
)

var errShort = errors.New("handshake message too short")

// The parsers below read with cryptobyte, which bounds every length by the
// bytes present. What an overrun loses is what the former hand-written
// cursor lost: a truncated extension still counts by its type, and a
// hello whose extensions are cut is returned with errShort.

// clientHello is what decryption and reporting need from a ClientHello.
type clientHello struct {
	random       []byte
	sessionID    []byte
	sni          string
	alpn         []string
	versions     []uint16 // supported_versions
	ticket       []byte   // session_ticket extension (TLS 1.2 resumption)
	earlyData    bool     // offers 0-RTT
	ech          bool     // carries an encrypted_client_hello extension
	legacyVerion uint16
}

// readExtension reads one extension's type and data; ok is false when
// either is cut short (the type is then still reported when it was read).
func readExtension(exts *cryptobyte.String) (typ uint16, data cryptobyte.String, ok bool) {
	if !exts.ReadUint16(&typ) {
		return 0, nil, false
	}
	ok = exts.ReadUint16LengthPrefixed(&data)
	return typ, data, ok
}

func parseClientHello(body []byte) (*clientHello, error) {
	r := cryptobyte.String(body)
	ch := &clientHello{}
	var sessionID, suites, compression cryptobyte.String
	if !r.ReadUint16(&ch.legacyVerion) || !r.ReadBytes(&ch.random, 32) || !r.ReadUint8LengthPrefixed(&sessionID) ||
		!r.ReadUint16LengthPrefixed(&suites) || !r.ReadUint8LengthPrefixed(&compression) {
		return nil, errShort
	}
	ch.random, ch.sessionID = slices.Clip(ch.random), slices.Clip([]byte(sessionID))
	if r.Empty() {
		return ch, nil // no extensions (old clients)
	}
	var exts cryptobyte.String
	if !r.ReadUint16LengthPrefixed(&exts) {
		return ch, errShort
	}
	for !exts.Empty() {
		typ, data, ok := readExtension(&exts)
		switch typ {
		case extServerName:
			var list cryptobyte.String
			data.ReadUint16LengthPrefixed(&list)
			for !list.Empty() {
				var kind uint8
				var name cryptobyte.String
				if !list.ReadUint8(&kind) || !list.ReadUint16LengthPrefixed(&name) {
					break
				}
				if kind == 0 && ch.sni == "" {
					ch.sni = string(name)
				}
			}
		case extALPN:
			ch.alpn = parseALPNList(data)
		case extSupportedVersions:
			var list cryptobyte.String
			data.ReadUint8LengthPrefixed(&list)
			for len(list) > 1 {
				var v uint16
				list.ReadUint16(&v)
				ch.versions = append(ch.versions, v)
			}
		case extSessionTicket:
			ch.ticket = slices.Clip([]byte(data))
		case extEarlyData:
			ch.earlyData = true
		case extECH:
			ch.ech = true
		}
		if !ok {
			return ch, errShort
		}
	}
	return ch, nil
}

func parseALPNList(data cryptobyte.String) []string {
	var out []string
	var list cryptobyte.String
	data.ReadUint16LengthPrefixed(&list)
	for !list.Empty() {
		var p cryptobyte.String
		if !list.ReadUint8LengthPrefixed(&p) {
			break
		}
		out = append(out, string(p))
	}
	return out
}

// serverHello is what decryption needs from a ServerHello.
type serverHello struct {
	random     []byte
	sessionID  []byte
	suite      uint16
	version    uint16 // negotiated: supported_versions, else legacy_version
	alpn       string // TLS 1.2 only; TLS 1.3 sends it encrypted
	etm        bool
	ticketExt  bool // server will send a NewSessionTicket (TLS 1.2)
	helloRetry bool
}

func parseServerHello(body []byte) (*serverHello, error) {
	r := cryptobyte.String(body)
	sh := &serverHello{}
	var sessionID cryptobyte.String
	var compression uint8
	if !r.ReadUint16(&sh.version) || !r.ReadBytes(&sh.random, 32) || !r.ReadUint8LengthPrefixed(&sessionID) ||
		!r.ReadUint16(&sh.suite) || !r.ReadUint8(&compression) {
		return nil, errShort
	}
	sh.random, sh.sessionID = slices.Clip(sh.random), slices.Clip([]byte(sessionID))
	sh.helloRetry = bytes.Equal(sh.random, []byte(helloRetryRandomString))
	var exts cryptobyte.String
	if !r.ReadUint16LengthPrefixed(&exts) {
		return sh, nil // no extensions, or cut before them: the hello itself is whole
	}
	for !exts.Empty() {
		typ, data, ok := readExtension(&exts)
		switch typ {
		case extSupportedVersions:
			var v uint16
			if data.ReadUint16(&v) {
				sh.version = v
			}
		case extALPN:
			if p := parseALPNList(data); len(p) > 0 {
				sh.alpn = p[0]
			}
		case extEncryptThenMAC:
			sh.etm = true
		case extSessionTicket:
			sh.ticketExt = true
		}
		if !ok {
			return sh, errShort
		}
	}
	return sh, nil
}

// encryptedExtensions returns the ALPN protocol and whether the server
// accepted early data (TLS 1.3 EncryptedExtensions).
func parseEncryptedExtensions(body []byte) (alpn string, earlyData bool) {
	r := cryptobyte.String(body)
	var exts cryptobyte.String
	r.ReadUint16LengthPrefixed(&exts)
	for !exts.Empty() {
		typ, data, ok := readExtension(&exts)
		switch typ {
		case extALPN:
			if p := parseALPNList(data); len(p) > 0 {
				alpn = p[0]
			}
		case extEarlyData:
			earlyData = true
		}
		if !ok {
			break
		}
	}
	return alpn, earlyData
}

// parseTicket12 returns the ticket of a TLS 1.2 NewSessionTicket.
func parseTicket12(body []byte) []byte {
	r := cryptobyte.String(body)
	var t cryptobyte.String
	if !r.Skip(4) || !r.ReadUint16LengthPrefixed(&t) { // lifetime hint, ticket
		return nil
	}
	return t
}

// IsHTTP2 reports whether an ALPN protocol is HTTP/2: "h2", or a draft
// token "h2-NN" (h2-14, h2-16, ...). "h2c" is cleartext and never
// negotiated over TLS.
func IsHTTP2(alpn string) bool {
	if alpn == "h2" {
		return true
	}
	if len(alpn) <= 3 || alpn[:3] != "h2-" {
		return false
	}
	for _, c := range alpn[3:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
