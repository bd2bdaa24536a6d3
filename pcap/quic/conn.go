package quic

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// The server's answer to a client's 0-RTT data.
const (
	earlyUnknown byte = iota
	earlyAccepted
	earlyRejected
)

// Epochs of packet protection.
type epoch int

const (
	epochInitial epoch = iota
	epochHandshake
	epoch0RTT
	epoch1RTT
)

func (e epoch) String() string {
	return [...]string{"Initial", "Handshake", "0-RTT", "1-RTT"}[e]
}

// space is a packet number space: Initial, Handshake, application data.
func (e epoch) space() int {
	switch e {
	case epochInitial:
		return 0
	case epochHandshake:
		return 1
	}
	return 2
}

// appKeys are one direction's 1-RTT keys: the current key phase's, the
// previous phase's (for packets reordered across an update) and the next
// phase's once derived.
type appKeys struct {
	cur, prev, next *packetKeys
	phase           byte
	updates         int
	// firstPN is the first packet number of the current phase: a packet
	// of the other phase below it is the previous phase's.
	firstPN uint64
}

// Conn is one QUIC connection.
type Conn struct {
	t              *Tracker
	seq            int
	Client, Server netip.AddrPort
	ver            uint32
	p              *versionParams
	first          int // the frame of the client's first Initial
	last           time.Time
	// User is the Handler's, for its state of the connection.
	User any

	origDCID, initialDCID []byte
	// retrySCIDs are the connection IDs the server's Retry packets chose
	// (up to maxRetries): a server may answer each datagram of a
	// ClientHello split over two with its own Retry, and the client
	// follows the first it receives, which a capture on a path between
	// them need not show first.
	retrySCIDs [][]byte
	// serverInitial: an Initial packet of the server was read; Retry
	// packets after it are not the connection's (RFC 9000 section
	// 17.2.5.2: the client discards them).
	serverInitial bool
	cids          [2][][]byte // connection IDs of each side
	// paths are the other 4-tuples the client sent from (Tracker.migrated).
	paths []tuple

	initial [2]*packetKeys
	hs      [2]*packetKeys
	early   *packetKeys
	app     [2]appKeys
	largest [2][3]int64 // largest packet number per direction and space, -1 none

	crypto   [2]cryptoBuf // the Initial epoch's CRYPTO data per direction
	hsCrypto cryptoBuf    // the server's Handshake epoch CRYPTO data, for 0-RTT's answer
	// earlyState is the server's answer to the client's 0-RTT data:
	// held until its EncryptedExtensions is read (or the first 1-RTT
	// packet is opened without it), then opened or left out.
	earlyState            byte
	earlyRejected, early1 int  // 0-RTT packets left out as refused, the first's frame
	replayDue             bool // held packets wait to be opened after the current one
	sni, alpn             string
	notH3                 bool // the ClientHello offers protocols, HTTP/3 not among them
	random                []byte
	suite                 *suite
	secrets               *Secrets
	looked                bool // the key log was asked

	pending    []pendingPacket
	pendingLen int

	streams  map[streamKey]*stream
	ended    map[streamKey]bool // streams that ended (up to maxEnded)
	buffered int                // what the streams' held chunks cost (chunk.cost)
	chunks   uint64             // chunks ever held, for their order (chunk.seq)

	// counts for notes
	packets    [4]int // opened, per epoch
	noKeys     [4]int // not opened for want of keys, per epoch
	noKeys1    [4]int // the frame of the first of them
	authFailed int
	firstFail  int
	malformed  int
	unknown    uint64 // the first unknown frame type met, +1
	unknownAt  int
	tooMany    bool
	overflow   int // stream bytes dropped past maxBuffered
	closed     bool
	done       bool
	seen       [2]int // packets per direction
	replaying  bool   // held packets are being opened (counted already)
}

type pendingPacket struct {
	dir   Dir
	ep    epoch
	pkt   []byte
	pnOff int
	frame int
	ts    time.Time
}

// Label is the connection's UDP 4-tuple as pcap names TCP connections:
// "client:port-server:port".
func (c *Conn) Label() string { return c.Client.String() + "-" + c.Server.String() }

// SNI is the server name the ClientHello named, "" when none (or the
// ClientHello was not read).
func (c *Conn) SNI() string { return c.sni }

// NotHTTP3 tells that the ClientHello offers application protocols
// (ALPN) and HTTP/3 is not among them (DNS over QUIC's "doq", SMB's
// "smb", …); ALPN names the first offered.
func (c *Conn) NotHTTP3() (bool, string) { return c.notH3, c.alpn }

// Frame is the frame of the connection's first packet.
func (c *Conn) Frame() int { return c.first }

// Decrypting tells whether the connection's 1-RTT packets can be opened.
func (c *Conn) Decrypting() bool { return c.app[0].cur != nil || c.app[1].cur != nil }

func (c *Conn) setInitialKeys(dcid []byte) {
	c.initialDCID = bytes.Clone(dcid)
	cs, ss := initialSecrets(c.p, dcid)
	c.initial[0], _ = newPacketKeys(suiteAES128, c.p, cs)
	c.initial[1], _ = newPacketKeys(suiteAES128, c.p, ss)
	for d := range c.largest {
		c.largest[d] = [3]int64{-1, -1, -1}
	}
}

// keysFor returns the keys to open a packet of dir and ep with, nil when
// not known (yet).
func (c *Conn) keysFor(dir Dir, ep epoch) *packetKeys {
	switch ep {
	case epochInitial:
		return c.initial[dir]
	case epochHandshake:
		return c.hs[dir]
	case epoch0RTT:
		if dir == ClientToServer {
			return c.early
		}
		return nil
	}
	return c.app[dir].cur
}

// packet opens one packet: pkt is the packet (header and payload), pnOff
// where its packet number starts.
func (c *Conn) packet(dir Dir, ep epoch, pkt []byte, pnOff int, frame int, ts time.Time) {
	if c.done {
		return
	}
	if !c.replaying {
		c.seen[dir]++
	}
	if ep == epoch0RTT && c.early != nil {
		switch c.earlyState {
		case earlyUnknown:
			// Opened once the server says it took them: refused, the
			// client sends their data again in 1-RTT packets, and the
			// server never read these copies.
			c.holdEarly(pkt, pnOff, frame, ts)
			return
		case earlyRejected:
			if c.earlyRejected == 0 {
				c.early1 = frame
			}
			c.earlyRejected++
			return
		}
	}
	k := c.keysFor(dir, ep)
	if k == nil {
		c.hold(dir, ep, pkt, pnOff, frame, ts)
		return
	}
	if pnOff+4+16 > len(pkt) {
		c.malformed++
		return
	}
	t := c.t
	t.buf = append(t.buf[:0], pkt...)
	b := t.buf
	mask := k.hp.mask(b[pnOff+4 : pnOff+20])
	if ep == epoch1RTT {
		b[0] ^= mask[0] & 0x1f
	} else {
		b[0] ^= mask[0] & 0x0f
	}
	pnLen := int(b[0]&3) + 1
	var trunc uint64
	for i := range pnLen {
		b[pnOff+i] ^= mask[1+i]
		trunc = trunc<<8 | uint64(b[pnOff+i])
	}
	sp := ep.space()
	pn := decodePN(c.largest[dir][sp], trunc, pnLen*8)
	hdr, payload := b[:pnOff+pnLen], b[pnOff+pnLen:]
	var plain []byte
	var err error
	if ep == epoch1RTT {
		plain, err = c.open1RTT(dir, b[0]>>2&1, pn, hdr, payload)
	} else {
		plain, err = k.open(t.plain, pn, hdr, payload)
	}
	if err != nil {
		if c.authFailed == 0 {
			c.firstFail = frame
		}
		c.authFailed++
		return
	}
	t.plain = plain[:0]
	if ep == epoch1RTT && c.earlyState == earlyUnknown && len(c.pending) > 0 {
		// The server's EncryptedExtensions was not read (its packet
		// lost): its 0-RTT data is taken as accepted, which it is
		// unless the client sends the same again.
		c.decideEarly(earlyAccepted)
	}
	if int64(pn) > c.largest[dir][sp] {
		c.largest[dir][sp] = int64(pn)
	}
	c.packets[ep]++
	c.frames(dir, ep, plain, frame, ts)
	if c.replayDue {
		// Held packets are opened after this one's frames are read:
		// opening them reuses the buffers those frames are in.
		c.replayDue = false
		c.replay()
	}
	if c.closed {
		// CONNECTION_CLOSE: nothing more is sent on it; what the peer
		// still sends is ignored until the connection is dropped.
		c.finish()
	}
}

// open1RTT opens a 1-RTT packet with the keys of its key phase.
func (c *Conn) open1RTT(dir Dir, phase byte, pn uint64, hdr, payload []byte) ([]byte, error) {
	a := &c.app[dir]
	t := c.t
	if phase == a.phase {
		return a.cur.open(t.plain, pn, hdr, payload)
	}
	if a.prev != nil && pn < a.firstPN {
		return a.prev.open(t.plain, pn, hdr, payload)
	}
	if a.next == nil {
		n, err := a.cur.next(c.p)
		if err != nil {
			return nil, err
		}
		a.next = n
	}
	out, err := a.next.open(t.plain, pn, hdr, payload)
	if err != nil {
		return nil, err
	}
	a.prev, a.cur, a.next = a.cur, a.next, nil
	a.phase ^= 1
	a.firstPN = pn
	a.updates++
	return out, nil
}

// hold keeps a packet whose keys are not known yet (a 0-RTT or Handshake
// packet captured before the hello that says how to open it).
func (c *Conn) hold(dir Dir, ep epoch, pkt []byte, pnOff int, frame int, ts time.Time) {
	if c.looked && (c.secrets == nil || c.suite != nil) || len(c.pending) >= maxPending || c.pendingLen+len(pkt) > maxPendingLen ||
		c.t.held+len(pkt) > maxHeld {
		c.lacked(ep, frame)
		return
	}
	c.pending = append(c.pending, pendingPacket{dir: dir, ep: ep, pkt: bytes.Clone(pkt), pnOff: pnOff, frame: frame, ts: ts})
	c.pendingLen += len(pkt)
	c.t.held += len(pkt)
}

// holdEarly keeps a 0-RTT packet until the server's answer to early
// data is known, within the bounds of held packets (past them it is
// opened as if accepted).
func (c *Conn) holdEarly(pkt []byte, pnOff, frame int, ts time.Time) {
	if len(c.pending) >= maxPending || c.pendingLen+len(pkt) > maxPendingLen || c.t.held+len(pkt) > maxHeld {
		c.earlyState, c.replayDue = earlyAccepted, len(c.pending) > 0
		c.packet(ClientToServer, epoch0RTT, pkt, pnOff, frame, ts)
		return
	}
	c.pending = append(c.pending, pendingPacket{dir: ClientToServer, ep: epoch0RTT, pkt: bytes.Clone(pkt), pnOff: pnOff, frame: frame, ts: ts})
	c.pendingLen += len(pkt)
	c.t.held += len(pkt)
}

// decideEarly records the server's answer to 0-RTT data and opens or
// leaves out the 0-RTT packets held for it.
func (c *Conn) decideEarly(state byte) {
	if c.earlyState != earlyUnknown {
		return
	}
	c.earlyState = state
	c.replayDue = true
}

// encryptedExtensions reads the server's EncryptedExtensions: early_data
// (extension 42) tells that it took the client's 0-RTT data.
func (c *Conn) encryptedExtensions(b []byte) {
	state := earlyRejected
	if len(b) >= 2 {
		ext := b[2:]
		if n := int(binary.BigEndian.Uint16(b)); n <= len(ext) {
			ext = ext[:n]
		}
		for len(ext) >= 4 {
			typ, n := binary.BigEndian.Uint16(ext), int(binary.BigEndian.Uint16(ext[2:]))
			if 4+n > len(ext) {
				break
			}
			if typ == 42 {
				state = earlyAccepted
			}
			ext = ext[4+n:]
		}
	}
	c.decideEarly(state)
}

// lacked counts a packet of ep (in frame) not opened for want of keys.
func (c *Conn) lacked(ep epoch, frame int) {
	if c.noKeys[ep] == 0 || frame < c.noKeys1[ep] {
		c.noKeys1[ep] = frame
	}
	c.noKeys[ep]++
}

// replay opens the held packets whose keys are now known.
func (c *Conn) replay() {
	held := c.pending
	c.t.held -= c.pendingLen
	c.pending, c.pendingLen = nil, 0
	c.replaying = true
	for _, p := range held {
		c.packet(p.dir, p.ep, p.pkt, p.pnOff, p.frame, p.ts)
	}
	c.replaying = false
}

// decodePN recovers a full packet number (RFC 9000 appendix A.3).
func decodePN(largest int64, truncated uint64, bits int) uint64 {
	expected := uint64(largest + 1)
	win := uint64(1) << bits
	hwin := win / 2
	mask := win - 1
	candidate := expected&^mask | truncated
	switch {
	case candidate+hwin <= expected && candidate < (1<<62)-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}

// frames reads a packet's frames.
func (c *Conn) frames(dir Dir, ep epoch, p []byte, frame int, ts time.Time) {
	for len(p) > 0 {
		typ, n, ok := varint(p)
		if !ok {
			c.malformed++
			return
		}
		p = p[n:]
		var err bool
		switch {
		case typ == 0x00 || typ == 0x01 || typ == 0x1e || typ == 0x1f: // PADDING, PING, HANDSHAKE_DONE, IMMEDIATE_ACK
		case typ == 0x02 || typ == 0x03:
			p, err = skipAck(p, typ == 0x03)
		case typ == 0x04: // RESET_STREAM
			var id uint64
			if id, p, err = take(p); !err {
				if p, err = skip(p, 2); !err {
					c.reset(id, dir, frame, ts)
				}
			}
		case typ == 0x05: // STOP_SENDING
			p, err = skip(p, 2)
		case typ == 0x06: // CRYPTO
			var off, l uint64
			if off, p, err = take(p); err {
				break
			}
			if l, p, err = take(p); err || l > uint64(len(p)) {
				err = true
				break
			}
			switch {
			case ep == epochInitial:
				c.cryptoData(&c.crypto[dir], dir, off, p[:l])
			case ep == epochHandshake && dir == ServerToClient && c.earlyState == earlyUnknown:
				// Its first message, EncryptedExtensions, says whether
				// the server took the client's 0-RTT data.
				c.cryptoData(&c.hsCrypto, dir, off, p[:l])
			}
			p = p[l:]
		case typ == 0x07: // NEW_TOKEN
			p, err = skipBytes(p)
		case typ >= 0x08 && typ <= 0x0f: // STREAM
			p, err = c.streamFrame(dir, typ, p, frame, ts)
		case typ == 0x10 || typ == 0x12 || typ == 0x13 || typ == 0x14 || typ == 0x16 || typ == 0x17 || typ == 0x19:
			p, err = skip(p, 1)
		case typ == 0x11 || typ == 0x15:
			p, err = skip(p, 2)
		case typ == 0x18: // NEW_CONNECTION_ID
			if p, err = skip(p, 2); err || len(p) < 1 {
				err = true
				break
			}
			l := int(p[0])
			if l < 1 || l > 20 || len(p) < 1+l+16 {
				err = true
				break
			}
			c.t.register(c, p[1:1+l], dir)
			p = p[1+l+16:]
		case typ == 0x1a || typ == 0x1b: // PATH_CHALLENGE, PATH_RESPONSE
			if len(p) < 8 {
				err = true
				break
			}
			p = p[8:]
		case typ == 0x1c || typ == 0x1d: // CONNECTION_CLOSE
			n := 1
			if typ == 0x1c {
				n = 2
			}
			if p, err = skip(p, n); !err {
				p, err = skipBytes(p)
			}
			c.closed = true
		case typ == 0x30: // DATAGRAM to the packet's end
			p = nil
		case typ == 0x31:
			p, err = skipBytes(p)
		case typ == 0xaf: // ACK_FREQUENCY (draft-ietf-quic-ack-frequency)
			p, err = skip(p, 4)
		default:
			// Its encoding is unknown, so is where the next frame starts.
			if c.unknown == 0 {
				c.unknown, c.unknownAt = typ+1, frame
			}
			return
		}
		if err {
			c.malformed++
			return
		}
	}
}

// take reads one varint.
func take(p []byte) (uint64, []byte, bool) {
	v, n, ok := varint(p)
	if !ok {
		return 0, p, true
	}
	return v, p[n:], false
}

// skip passes over n varints.
func skip(p []byte, n int) ([]byte, bool) {
	for range n {
		_, w, ok := varint(p)
		if !ok {
			return p, true
		}
		p = p[w:]
	}
	return p, false
}

// skipBytes passes over a varint length and that many bytes.
func skipBytes(p []byte) ([]byte, bool) {
	l, w, ok := varint(p)
	if !ok || l > uint64(len(p)-w) {
		return p, true
	}
	return p[w+int(l):], false
}

// skipAck passes over an ACK frame (RFC 9000 section 19.3).
func skipAck(p []byte, ecn bool) ([]byte, bool) {
	var ranges uint64
	var err bool
	if p, err = skip(p, 2); err {
		return p, true
	}
	if ranges, p, err = take(p); err || ranges > uint64(len(p)) {
		return p, true
	}
	if p, err = skip(p, 1+2*int(ranges)); err {
		return p, true
	}
	if ecn {
		return skip(p, 3)
	}
	return p, false
}

// cryptoBuf gathers the Initial epoch's CRYPTO data of one direction until
// its hello is whole.
type cryptoBuf struct {
	data []byte
	have []bool // which bytes of data arrived
	// whole counts the bytes from the start that all arrived (have[:whole]
	// all true): it only grows, so telling whether the message is whole
	// costs no scan of have per frame.
	whole int
	done  bool
	extra bool // data past maxCrypto was left out
}

func (c *Conn) cryptoData(cb *cryptoBuf, dir Dir, off uint64, d []byte) {
	if cb.done || len(d) == 0 {
		return
	}
	if off >= maxCrypto {
		cb.extra = true
		return
	}
	end := min(off+uint64(len(d)), maxCrypto)
	if grow := int(end) - len(cb.data); grow > 0 {
		if c.t.held+2*grow > maxHeld {
			cb.extra = true
			return
		}
		c.t.held += 2 * grow
		cb.data = slices.Grow(cb.data, grow)[:end]
		cb.have = slices.Grow(cb.have, grow)[:end]
	}
	copy(cb.data[off:end], d)
	for i := off; i < end; i++ {
		cb.have[i] = true
	}
	for cb.whole < len(cb.have) && cb.have[cb.whole] {
		cb.whole++
	}
	// A handshake message: type, 3-byte length, body.
	if cb.whole < 4 {
		return
	}
	n := 4 + (int(cb.data[1])<<16 | int(cb.data[2])<<8 | int(cb.data[3]))
	if n > maxCrypto {
		cb.done = true
		cb.release(c.t)
		return
	}
	if cb.whole < n {
		// Scanning have[:n] here instead made a message with one byte
		// missing cost its whole length per CRYPTO frame: 35 s for 1.2
		// MB of 1-byte frames.
		return
	}
	cb.done = true
	msg := cb.data[:n]
	switch {
	case cb == &c.hsCrypto:
		if msg[0] == 8 {
			c.encryptedExtensions(msg[4:])
		}
	case dir == ClientToServer && msg[0] == 1:
		c.clientHello(msg[4:])
	case dir == ServerToClient && msg[0] == 2:
		c.serverHello(msg[4:])
	}
	cb.release(c.t)
}

// release hands back the buffer's bytes.
func (cb *cryptoBuf) release(t *Tracker) {
	t.held -= len(cb.data) + len(cb.have)
	cb.data, cb.have, cb.whole = nil, nil, 0
}

func (c *Conn) clientHello(b []byte) {
	h, ok := parseClientHello(b)
	if !ok {
		c.malformed++
		return
	}
	c.random, c.sni, c.alpn = h.random, h.sni, h.alpn
	c.notH3 = h.alpnSeen && !h.h3
	c.looked = true
	if c.t.keys != nil {
		c.secrets = c.t.keys(c.random)
	}
	c.deriveKeys()
}

func (c *Conn) serverHello(b []byte) {
	s, ok := parseServerHello(b)
	if !ok {
		c.malformed++
		return
	}
	c.suite = suiteOf(s)
	c.deriveKeys()
}

// deriveKeys makes the Handshake, 0-RTT and 1-RTT keys once both the
// secrets and the cipher suite are known, and opens the packets held for
// them.
func (c *Conn) deriveKeys() {
	if c.secrets == nil {
		if c.looked {
			c.dropPending()
		}
		return
	}
	s := c.secrets
	if c.early == nil && s.ClientEarly != nil {
		// 0-RTT uses the resumed session's suite; the hash of
		// TLS_AES_128_GCM_SHA256, which Chromium and most servers pick,
		// is assumed until the ServerHello says otherwise.
		su := c.suite
		if su == nil {
			su = suiteForSecret(s.ClientEarly)
		}
		c.early, _ = newPacketKeys(su, c.p, s.ClientEarly)
	}
	if c.suite == nil {
		return
	}
	mk := func(secret []byte) *packetKeys {
		if secret == nil {
			return nil
		}
		k, err := newPacketKeys(c.suite, c.p, secret)
		if err != nil {
			return nil
		}
		return k
	}
	c.hs[0], c.hs[1] = mk(s.ClientHandshake), mk(s.ServerHandshake)
	c.app[0].cur, c.app[1].cur = mk(s.ClientApp), mk(s.ServerApp)
	c.replayDue = true
}

// suiteForSecret guesses a suite from a secret's length (0-RTT packets
// before the ServerHello).
func suiteForSecret(s []byte) *suite {
	if len(s) == 48 {
		return suiteAES256
	}
	return suiteAES128
}

func (c *Conn) dropPending() {
	for _, p := range c.pending {
		c.lacked(p.ep, p.frame)
	}
	c.t.held -= c.pendingLen
	c.pending, c.pendingLen = nil, 0
}

// finish ends the connection: streams with data past a gap are handed
// over, then the handler hears that it closed.
func (c *Conn) finish() {
	if c.done {
		return
	}
	if c.early != nil && c.earlyState == earlyUnknown && len(c.pending) > 0 {
		// No answer from the server read: its 0-RTT data is taken as
		// accepted, as when its EncryptedExtensions was lost.
		c.earlyState = earlyAccepted
		c.replay()
	}
	c.done = true
	c.dropPending()
	keys := make([]streamKey, 0, len(c.streams))
	for k := range c.streams {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b streamKey) int {
		if a.id != b.id {
			return cmpU64(a.id, b.id)
		}
		return int(a.dir) - int(b.dir)
	})
	for _, k := range keys {
		c.flush(c.streams[k])
	}
	c.streams = nil
	c.t.held -= c.buffered // chunks past a stream's end, never handed over
	c.buffered = 0
	c.crypto[0].release(c.t)
	c.crypto[1].release(c.t)
	c.hsCrypto.release(c.t)
	c.t.h.Closed(c)
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ConnSummary is what a finished connection was, for notes.
type ConnSummary struct {
	Label, SNI string
	Frame      int
	// Keys: the key log held secrets for the connection; Decrypted: its
	// 1-RTT packets were opened.
	Keys, Decrypted bool
	// NoKeys counts packets not opened for want of secrets; Packets
	// those of each direction the connection had.
	NoKeys  int
	Packets [2]int
	// EarlyNoKeys counts the client's 0-RTT packets not opened because
	// the key log has the connection's other secrets but not its
	// CLIENT_EARLY_TRAFFIC_SECRET (EarlyFrame the first of them): the
	// requests the client sent in them are missing, unless the server
	// refused its early data and the client sent them again.
	EarlyNoKeys, EarlyFrame int
	// EarlyRefused: the server refused the client's early data (its
	// EncryptedExtensions has no early_data), so the client sent it again
	// after the handshake. EarlyRejected counts the 0-RTT packets left
	// out for it (EarlyRejectedFrame the first), whose data the server
	// never read.
	EarlyRefused                      bool
	EarlyRejected, EarlyRejectedFrame int
	// Problems says what else went wrong, for a note; empty when nothing.
	Problems []string
	// ProblemFrame is the frame of the first problem.
	ProblemFrame int
}

// Summary says what the connection was, for notes.
func (c *Conn) Summary() ConnSummary {
	s := ConnSummary{Label: c.Label(), SNI: c.sni, Frame: c.first, Keys: c.secrets != nil, Decrypted: c.packets[epoch1RTT] > 0,
		EarlyRefused: c.earlyState == earlyRejected, EarlyRejected: c.earlyRejected, EarlyRejectedFrame: c.early1,
		NoKeys: c.noKeys[epochHandshake] + c.noKeys[epoch0RTT] + c.noKeys[epoch1RTT], Packets: c.seen}
	add := func(frame int, format string, args ...any) {
		if s.ProblemFrame == 0 || frame > 0 && frame < s.ProblemFrame {
			s.ProblemFrame = frame
		}
		s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
	}
	if c.secrets != nil {
		var missing []string
		if c.secrets.ClientApp == nil || c.secrets.ServerApp == nil {
			missing = append(missing, "traffic")
		}
		if c.secrets.ClientHandshake == nil || c.secrets.ServerHandshake == nil {
			missing = append(missing, "handshake")
		}
		if len(missing) > 0 {
			add(c.first, "the key log lacks its %s secrets", joinAnd(missing))
		}
		if c.suite == nil {
			add(c.first, "its ServerHello was not captured, so its cipher suite is unknown")
		}
		n := s.NoKeys
		if c.secrets.ClientEarly == nil && c.noKeys[epoch0RTT] > 0 {
			// Said apart (pcap's tls-early-data note): the key log
			// lacks one secret that a 1-RTT connection never needs.
			s.EarlyNoKeys, s.EarlyFrame = c.noKeys[epoch0RTT], c.noKeys1[epoch0RTT]
			n -= s.EarlyNoKeys
		}
		if n > 0 && len(missing) == 0 && c.suite != nil {
			add(c.first, "%d packets could not be opened (keys not known when they came)", n)
		}
	}
	if c.authFailed > 0 {
		add(c.firstFail, "%d packets failed authentication (wrong keys or damage)", c.authFailed)
	}
	if c.malformed > 0 {
		add(c.first, "%d malformed packets or frames", c.malformed)
	}
	if c.unknown > 0 {
		add(c.unknownAt, "frame type 0x%x is unknown: the rest of its packet was skipped", c.unknown-1)
	}
	if c.overflow > 0 {
		add(c.first, "%d bytes of stream data beyond the %d MiB held out of order were dropped", c.overflow, maxBuffered>>20)
	}
	if c.tooMany {
		add(c.first, "more than %d streams open at once; later ones skipped", maxStreams)
	}
	if c.crypto[0].extra || c.crypto[1].extra {
		add(c.first, "a hello longer than %d KiB was not read", maxCrypto>>10)
	}
	return s
}

func joinAnd(s []string) string {
	if len(s) == 2 {
		return s[0] + " and " + s[1]
	}
	return s[0]
}

// Counts are the capture's datagrams that fell outside any connection.
type Counts struct {
	Datagrams int
	// Orphans were datagrams of connections whose first Initial the
	// capture missed (OrphanFrame the first of them); UnknownVersion long
	// header packets of a QUIC version not read; Refused connections not
	// followed past the bound.
	Orphans, OrphanFrame, UnknownVersion, Refused int
}

// Counts says what the tracker could not place.
func (t *Tracker) Counts() Counts {
	return Counts{Datagrams: t.datagrams, Orphans: t.orphans, OrphanFrame: t.orphan1, UnknownVersion: t.unknownV, Refused: t.refused}
}

// parsedHello is what a ClientHello says that matters here.
type parsedHello struct {
	random    []byte
	sni, alpn string
	// alpnSeen: the ClientHello offers protocols (ALPN); h3: HTTP/3
	// among them ("h3", or a draft's "h3-NN").
	alpnSeen, h3 bool
}

// parseClientHello reads a ClientHello's body (after the handshake
// header).
func parseClientHello(b []byte) (parsedHello, bool) {
	var h parsedHello
	if len(b) < 2+32+1 {
		return h, false
	}
	h.random = bytes.Clone(b[2:34])
	r := b[34:]
	var ok bool
	if r, ok = lenPrefixed(r, 1); !ok { // session id
		return h, false
	}
	if r, ok = lenPrefixed(r, 2); !ok { // cipher suites
		return h, false
	}
	if r, ok = lenPrefixed(r, 1); !ok { // compression
		return h, false
	}
	if len(r) < 2 {
		return h, true
	}
	ext := r[2:]
	if n := int(binary.BigEndian.Uint16(r)); n <= len(ext) {
		ext = ext[:n]
	}
	for len(ext) >= 4 {
		typ := binary.BigEndian.Uint16(ext)
		n := int(binary.BigEndian.Uint16(ext[2:]))
		if 4+n > len(ext) {
			break
		}
		data := ext[4 : 4+n]
		ext = ext[4+n:]
		switch typ {
		case 0: // server_name: list length, type, name length, name
			if len(data) >= 5 && data[2] == 0 {
				if l := int(binary.BigEndian.Uint16(data[3:])); 5+l <= len(data) {
					h.sni = string(data[5 : 5+l])
				}
			}
		case 16: // ALPN: list length, then length-prefixed names; the first
			if len(data) >= 3 {
				if l := int(data[2]); 3+l <= len(data) {
					h.alpn = string(data[3 : 3+l])
				}
				h.alpnSeen = true
				for names := data[2:]; len(names) > 0 && 1+int(names[0]) <= len(names); names = names[1+int(names[0]):] {
					if name := string(names[1 : 1+int(names[0])]); name == "h3" || strings.HasPrefix(name, "h3-") {
						h.h3 = true
					}
				}
			}
		}
	}
	return h, true
}

// lenPrefixed skips a field with an n-byte length prefix.
func lenPrefixed(b []byte, n int) ([]byte, bool) {
	if len(b) < n {
		return nil, false
	}
	l := 0
	for i := range n {
		l = l<<8 | int(b[i])
	}
	if n+l > len(b) {
		return nil, false
	}
	return b[n+l:], true
}

// parseServerHello returns the cipher suite a ServerHello chose.
func parseServerHello(b []byte) (uint16, bool) {
	if len(b) < 2+32+1 {
		return 0, false
	}
	r, ok := lenPrefixed(b[34:], 1)
	if !ok || len(r) < 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(r), true
}
