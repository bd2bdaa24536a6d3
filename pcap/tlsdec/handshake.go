package tlsdec

import (
	"bytes"
	"errors"
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

// reader is a bounds-checked cursor over a handshake message.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if r.bad || n < 0 || n > len(r.b) {
		r.bad = true
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() int {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return int(b[0])
}

func (r *reader) u16() int {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return int(b[0])<<8 | int(b[1])
}

func (r *reader) vec8() []byte  { return r.bytes(r.u8()) }
func (r *reader) vec16() []byte { return r.bytes(r.u16()) }

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

func parseClientHello(body []byte) (*clientHello, error) {
	r := &reader{b: body}
	ch := &clientHello{}
	ch.legacyVerion = uint16(r.u16())
	ch.random = r.bytes(32)
	ch.sessionID = r.vec8()
	r.vec16() // cipher suites
	r.vec8()  // compression methods
	if r.bad {
		return nil, errShort
	}
	if len(r.b) == 0 {
		return ch, nil // no extensions (old clients)
	}
	exts := &reader{b: r.vec16()}
	for len(exts.b) > 0 && !exts.bad {
		typ := exts.u16()
		data := &reader{b: exts.vec16()}
		switch typ {
		case extServerName:
			list := &reader{b: data.vec16()}
			for len(list.b) > 0 && !list.bad {
				kind := list.u8()
				name := list.vec16()
				if kind == 0 && ch.sni == "" {
					ch.sni = string(name)
				}
			}
		case extALPN:
			ch.alpn = parseALPNList(data)
		case extSupportedVersions:
			list := &reader{b: data.vec8()}
			for len(list.b) > 1 {
				ch.versions = append(ch.versions, uint16(list.u16()))
			}
		case extSessionTicket:
			ch.ticket = data.b
		case extEarlyData:
			ch.earlyData = true
		case extECH:
			ch.ech = true
		}
	}
	if r.bad || exts.bad {
		return ch, errShort
	}
	return ch, nil
}

func parseALPNList(data *reader) []string {
	var out []string
	list := &reader{b: data.vec16()}
	for len(list.b) > 0 && !list.bad {
		p := list.vec8()
		if !list.bad {
			out = append(out, string(p))
		}
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
	r := &reader{b: body}
	sh := &serverHello{}
	sh.version = uint16(r.u16())
	sh.random = r.bytes(32)
	sh.sessionID = r.vec8()
	sh.suite = uint16(r.u16())
	r.u8() // compression
	if r.bad {
		return nil, errShort
	}
	sh.helloRetry = bytes.Equal(sh.random, []byte(helloRetryRandomString))
	if len(r.b) == 0 {
		return sh, nil
	}
	exts := &reader{b: r.vec16()}
	for len(exts.b) > 0 && !exts.bad {
		typ := exts.u16()
		data := &reader{b: exts.vec16()}
		switch typ {
		case extSupportedVersions:
			if v := data.u16(); !data.bad {
				sh.version = uint16(v)
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
	}
	if exts.bad {
		return sh, errShort
	}
	return sh, nil
}

// encryptedExtensions returns the ALPN protocol and whether the server
// accepted early data (TLS 1.3 EncryptedExtensions).
func parseEncryptedExtensions(body []byte) (alpn string, earlyData bool) {
	r := &reader{b: body}
	exts := &reader{b: r.vec16()}
	for len(exts.b) > 0 && !exts.bad {
		typ := exts.u16()
		data := &reader{b: exts.vec16()}
		switch typ {
		case extALPN:
			if p := parseALPNList(data); len(p) > 0 {
				alpn = p[0]
			}
		case extEarlyData:
			earlyData = true
		}
	}
	return alpn, earlyData
}

// parseTicket12 returns the ticket of a TLS 1.2 NewSessionTicket.
func parseTicket12(body []byte) []byte {
	r := &reader{b: body}
	r.bytes(4) // lifetime hint
	t := r.vec16()
	if r.bad {
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
