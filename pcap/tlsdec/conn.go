package tlsdec

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/traceaudit/traceaudit/model"
)

// Direction is the side that sent some bytes.
type Direction int

const (
	ClientToServer Direction = iota
	ServerToClient
)

func (d Direction) String() string {
	if d == ClientToServer {
		return "client→server"
	}
	return "server→client"
}

// TLS record content types.
const (
	recordCCS       = 20
	recordAlert     = 21
	recordHandshake = 22
	recordAppData   = 23
	recordHeartbeat = 24
)

const (
	// maxRecordPayload is the largest legal TLS 1.2 ciphertext
	// (2^14 + 2048); anything longer means the stream is not TLS or lost
	// sync, so the direction is abandoned rather than buffered.
	maxRecordPayload = 1<<14 + 2048
	// maxQueued bounds the client records held back until the ServerHello
	// says how to decrypt them.
	maxQueued = 16 << 20
	// maxSeqLookahead is how many lost or undecryptable records a
	// direction's sequence number may skip over.
	maxSeqLookahead = 3
	// maxGapLookahead is how many records a TCP gap may have swallowed.
	maxGapLookahead = 256
)

// Chunk is decrypted application data from one TLS record.
type Chunk struct {
	Dir  Direction
	Data []byte
	// Frame and Time are those of the packet that carried the first byte
	// of the record.
	Frame int
	Time  time.Time
}

// Decrypter holds the secrets of one capture and the TLS 1.2 sessions its
// connections established, so that abbreviated handshakes (session ID or
// ticket resumption) find the master secret of the session they resume.
// It is safe for concurrent use by several Conns.
type Decrypter struct {
	keys *KeyLog

	mu       sync.Mutex
	sessions map[string][]byte // "id:"/"ticket:" + raw bytes -> master secret
	// trials left for matching Encrypted Client Hello connections to key
	// log entries, over the whole capture: the cost stays bounded however
	// many such connections there are.
	trials atomic.Int64
}

// NewDecrypter returns a Decrypter using keys (which may be nil or empty:
// every connection then yields a tls-no-keys note).
func NewDecrypter(keys *KeyLog) *Decrypter {
	d := &Decrypter{keys: keys, sessions: make(map[string][]byte)}
	d.trials.Store(maxTrialsPerCapture)
	return d
}

func (d *Decrypter) remember(kind string, id, master []byte) {
	if len(id) == 0 || master == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.sessions) < 1<<16 {
		d.sessions[kind+string(id)] = master
	}
}

func (d *Decrypter) recall(kind string, id []byte) []byte {
	if len(id) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sessions[kind+string(id)]
}

// record is one TLS record with the frame that carried its first byte.
type record struct {
	hdr     [5]byte
	payload []byte
	frame   int
	time    time.Time
}

type segment struct {
	off   int64
	frame int
	time  time.Time
}

// epoch is a TLS 1.3 traffic secret and the cipher derived from it.
type epoch struct {
	name   string // "early", "handshake", "application"
	secret []byte
	cipher recordCipher
}

// half is the state of one direction of a connection.
type half struct {
	dir    Direction
	buf    []byte
	bufOff int64 // stream offset of buf[0]
	segs   []segment

	hs     []byte // handshake bytes not yet parsed into messages (from hsOff)
	hsOff  int    // bytes of hs already parsed, while handshake reads them
	hsSkip int    // bytes of an oversized handshake message still to skip

	encrypted bool         // TLS 1.2: a ChangeCipherSpec was seen
	cipher    recordCipher // TLS 1.2 current cipher
	pending   recordCipher // TLS 1.2 cipher that the next CCS activates
	seq       uint64
	fails     int // consecutive authentication failures

	epochs []epoch // TLS 1.3
	cur    int

	queued      []record
	queuedBytes int

	stopped  bool // the rest of this direction is not analysed
	resync   bool // bytes were lost: look for the next record header
	afterGap bool // the next record's sequence number is unknown
	gapFails int
	gaps     int
	gapFrame int // the first frame after the first gap
	// lastFrame is the last frame that carried bytes of this side.
	lastFrame int
	// alertDesc is the first fatal alert this side sent, in alertFrame.
	alertDesc  byte
	alertFrame int
	gapB       int64 // bytes not captured
	lostB      int64 // captured bytes of records a gap broke, skipped
	records    int
	bytes      int64 // all bytes seen
	opened     int   // records decrypted
	failed     int   // records that did not authenticate
	failedB    int64
	skippedB   int64 // encrypted bytes not decrypted for want of keys
	early      int   // 0-RTT records without a key
	rejected   int   // 0-RTT records decrypted but rejected by the server
	noSecret   int   // TLS 1.3 records of an epoch the key log has no secret for
	rejectB    int64
}

// Conn decrypts one TCP connection. Feed it both directions' bytes in
// capture order; Drain returns the application data decrypted so far;
// Close ends the connection and Notes says what could not be analysed.
type Conn struct {
	d     *Decrypter
	label string

	h [2]half

	ch      *clientHello
	sh      *serverHello
	chFrame int
	suite   *suite
	tls13   bool
	alpn    string
	keys    bool // secrets were found for this connection
	dead    string
	// awaitEE holds the client's records while it is unknown whether the
	// server accepts 0-RTT early data (TLS 1.3 EncryptedExtensions).
	awaitEE       bool
	earlyRejected bool
	// renegotiating is the ClientHello of a TLS 1.2 renegotiation, sent
	// encrypted, until the matching ServerHello.
	renegotiating *clientHello
	// awaitKeys is set when an Encrypted Client Hello hid the random the
	// key log names: the server's first encrypted record picks the key log
	// entry by trial, and the client's records wait for it.
	awaitKeys  bool
	echMatched bool // matchKeys ran
	echTrialed int  // key log entries tried

	firstFrame int
	out        []Chunk
	notes      []model.Note
	closed     bool
}

// NewConn starts a connection. label names it in notes (for example
// "tcp 10.0.0.2:51234 -> 93.184.216.34:443"); it must not hold secrets.
func (d *Decrypter) NewConn(label string) *Conn {
	c := &Conn{d: d, label: label}
	c.h[ClientToServer].dir = ClientToServer
	c.h[ServerToClient].dir = ServerToClient
	return c
}

// Info describes a connection's handshake as far as it was seen.
type Info struct {
	Version string // "TLS 1.2", "TLS 1.3" or "" before the ServerHello
	Suite   string // IANA cipher suite name, "0xNNNN" when unsupported
	SNI     string
	ALPN    string // negotiated protocol, "" when none
	// HTTP2 is set when ALPN chose HTTP/2; otherwise the application data
	// is HTTP/1.x (or not HTTP at all).
	HTTP2 bool
	// Decrypted is set when secrets for the connection were found.
	Decrypted bool
	// Records counts the encrypted records decrypted per direction
	// (indexed by Direction), handshake records included.
	Records [2]int
}

// Info returns what the handshake has shown so far.
func (c *Conn) Info() Info {
	var in Info
	if c.ch != nil {
		in.SNI = c.ch.sni
	}
	if c.sh != nil {
		in.Version = versionName(c.sh.version)
		if c.suite != nil {
			in.Suite = c.suite.name
		} else {
			in.Suite = fmt.Sprintf("0x%04X", c.sh.suite)
		}
	}
	in.ALPN = c.alpn
	in.HTTP2 = IsHTTP2(c.alpn)
	in.Decrypted = c.keys
	in.Records = [2]int{c.h[ClientToServer].opened, c.h[ServerToClient].opened}
	return in
}

func versionName(v uint16) string {
	switch v {
	case versionTLS13:
		return "TLS 1.3"
	case versionTLS12:
		return "TLS 1.2"
	case 0x0302:
		return "TLS 1.1"
	case 0x0301:
		return "TLS 1.0"
	case 0x0300:
		return "SSL 3.0"
	}
	return fmt.Sprintf("version 0x%04X", v)
}

// Drain returns the application data decrypted since the last call, in the
// order it was decrypted.
func (c *Conn) Drain() []Chunk {
	out := c.out
	c.out = nil
	return out
}

// Notes returns what could not be analysed. It is complete after Close.
func (c *Conn) Notes() []model.Note { return c.notes }

// LooksLikeTLS reports whether b, the first bytes a side sent, start a TLS
// record: a handshake (a ClientHello or ServerHello) or, for a capture that
// began mid-connection, application data.
func LooksLikeTLS(b []byte) bool {
	return len(b) >= 3 && (b[0] == recordHandshake || b[0] == recordAppData) && b[1] == 3 && b[2] <= 4
}

func (c *Conn) ref(frame int) string {
	if frame <= 0 {
		return ""
	}
	return fmt.Sprintf("frame %d", frame)
}

func (c *Conn) note(kind model.NoteKind, frame int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if c.label != "" {
		msg = c.label + ": " + msg
	}
	n := model.Note{Kind: kind, Ref: c.ref(frame), Message: msg}
	if c.ch != nil {
		// Every note of a connection names its server when the
		// ClientHello said it, so a verdict can tell which hosts' traffic
		// the trace could not read.
		n.Host = c.ch.sni
	}
	c.notes = append(c.notes, n)
}

// noteHost names the server of note i, when it exists, so a verdict can
// say which hosts stayed encrypted.
func (c *Conn) noteHost(i int, host string) {
	if i < len(c.notes) {
		c.notes[i].Host = host
	}
}

// Feed hands the connection the next bytes one side sent, carried by the
// packet with the given frame number (1-based) and time.
func (c *Conn) Feed(dir Direction, data []byte, frame int, t time.Time) {
	if c.closed || len(data) == 0 || (dir != ClientToServer && dir != ServerToClient) {
		return
	}
	if c.firstFrame == 0 {
		c.firstFrame = frame
	}
	h := &c.h[dir]
	h.bytes += int64(len(data))
	h.lastFrame = frame
	if h.gaps > 0 && h.gapFrame == 0 {
		h.gapFrame = frame
	}
	if h.stopped {
		return
	}
	h.segs = append(h.segs, segment{off: h.bufOff + int64(len(h.buf)), frame: frame, time: t})
	h.buf = append(h.buf, data...)
	consumed := 0
	for !h.stopped {
		if h.resync {
			skip, found := resync(h.buf[consumed:])
			consumed += skip
			h.lostB += int64(skip)
			if !found {
				break
			}
			h.resync = false
		}
		rest := h.buf[consumed:]
		if len(rest) < 5 {
			break
		}
		var rec record
		copy(rec.hdr[:], rest)
		typ, n := rec.hdr[0], int(rec.hdr[3])<<8|int(rec.hdr[4])
		if typ < recordCCS || typ > recordHeartbeat || rec.hdr[1] != 3 {
			c.stop(h, h.bufOff+int64(consumed), "bytes that are not a TLS record")
			break
		}
		if n > maxRecordPayload {
			c.stop(h, h.bufOff+int64(consumed), fmt.Sprintf("a record that claims %d bytes (more than TLS allows)", n))
			break
		}
		if len(rest) < 5+n {
			break
		}
		rec.frame, rec.time = h.at(h.bufOff + int64(consumed))
		rec.payload = rest[5 : 5+n]
		consumed += 5 + n
		h.records++
		c.record(h, rec)
	}
	if h.stopped {
		h.buf, h.segs = nil, nil
		return
	}
	// Keep only the incomplete record and the segments that carry it.
	n := copy(h.buf, h.buf[consumed:])
	h.buf = h.buf[:n]
	h.bufOff += int64(consumed)
	i := 0
	for i+1 < len(h.segs) && h.segs[i+1].off <= h.bufOff {
		i++
	}
	h.segs = append(h.segs[:0], h.segs[i:]...)
}

// Gap tells the connection that n bytes one side sent were not captured.
// The record they were part of is lost; decryption resumes at the next
// record header, with the sequence number found by trial.
func (c *Conn) Gap(dir Direction, n int) {
	if c.closed || (dir != ClientToServer && dir != ServerToClient) {
		return
	}
	h := &c.h[dir]
	h.gaps++
	h.gapB += int64(n)
	h.lostB += int64(len(h.buf))
	if h.stopped {
		return
	}
	h.bufOff += int64(len(h.buf)) + int64(n)
	h.buf, h.segs = h.buf[:0], h.segs[:0]
	h.hs, h.hsOff, h.hsSkip = h.hs[:0], 0, 0
	h.resync, h.afterGap = true, true
}

// resync returns how many bytes of b precede the first plausible record
// header: application data or alert, TLS 1.0-1.2 record version, a legal
// length, and, when b holds it, another plausible header right after.
func resync(b []byte) (skip int, found bool) {
	plausible := func(h []byte) bool {
		n := int(h[3])<<8 | int(h[4])
		return (h[0] == recordAppData || h[0] == recordAlert || h[0] == recordHandshake) &&
			h[1] == 3 && h[2] >= 1 && h[2] <= 3 && n > 0 && n <= maxRecordPayload
	}
	for i := 0; i+5 <= len(b); i++ {
		if !plausible(b[i:]) {
			continue
		}
		next := i + 5 + (int(b[i+3])<<8 | int(b[i+4]))
		if next+5 <= len(b) && !plausible(b[next:]) {
			continue
		}
		return i, true
	}
	// Keep a possible header start for the next segment.
	return max(0, len(b)-4), false
}

// at returns the frame and time of the packet that carried stream offset off.
func (h *half) at(off int64) (int, time.Time) {
	var s segment
	for _, seg := range h.segs {
		if seg.off > off {
			break
		}
		s = seg
	}
	return s.frame, s.time
}

// stop abandons the rest of a direction with a note saying why.
func (c *Conn) stop(h *half, off int64, why string) {
	frame, _ := h.at(off)
	h.stopped = true
	if c.ch == nil && c.sh == nil {
		// A capture that began mid-connection starts mid-record; Close
		// reports the whole connection as not analysed.
		return
	}
	c.note(model.NoteTLSBadRecord, frame, "%s stream has %s at byte %d; the rest of this direction (from frame %d) is not analysed", h.dir, why, off, frame)
}

// record handles one record of either direction.
func (c *Conn) record(h *half, rec record) {
	typ := rec.hdr[0]
	if c.dead != "" {
		h.skippedB += int64(len(rec.payload))
		return
	}
	switch {
	case h.dir == ClientToServer && c.ch != nil && (c.sh == nil || typ == recordAppData && (c.awaitEE || c.awaitKeys)):
		// Encrypted data before the ServerHello is 0-RTT early data: it is
		// held until the ServerHello says how to decrypt it and the
		// EncryptedExtensions whether the server accepted it. So are a
		// TLS 1.2 client's ChangeCipherSpec and Finished that the capture
		// shows before the ServerHello (the two directions' packets
		// captured out of order): without the ServerHello they are
		// neither read nor known to start encryption, and every later
		// client record would be skipped.
		if h.queuedBytes+len(rec.payload) > maxQueued {
			h.skippedB += int64(len(rec.payload))
			return
		}
		rec.payload = bytes.Clone(rec.payload)
		h.queued = append(h.queued, rec)
		h.queuedBytes += len(rec.payload)
		return
	case typ == recordCCS:
		if c.sh != nil && !c.tls13 {
			h.encrypted = true
			h.cipher, h.pending = h.pending, nil
			h.seq, h.fails = 0, 0
		}
		return
	case c.tls13 && typ == recordAppData, h.encrypted:
		if c.awaitKeys {
			c.matchKeys(rec)
		}
		c.decrypt(h, rec)
		return
	case typ == recordHandshake:
		c.handshake(h, rec.payload, rec.frame)
		return
	case typ == recordAppData:
		// Application data without a captured handshake.
		h.skippedB += int64(len(rec.payload))
	case typ == recordAlert:
		c.alert(h, rec.payload, rec.frame)
	}
	// Heartbeats carry nothing to analyse.
}

// alert remembers the first fatal alert a side sent: a handshake that a
// client or server aborted (an untrusted certificate, a required client
// certificate) explains a sign-in that never reached HTTP.
func (c *Conn) alert(h *half, body []byte, frame int) {
	if len(body) != 2 || h.alertFrame != 0 {
		return
	}
	level, desc := body[0], body[1]
	// close_notify and user_canceled end connections normally; TLS 1.3
	// treats every other alert as fatal whatever its level says.
	if desc == 0 || desc == 90 || (level != 2 && !c.tls13) {
		return
	}
	h.alertDesc, h.alertFrame = desc, frame
}

// decrypt opens an encrypted record, trying the sequence numbers that lost
// records would explain and, for TLS 1.3, the next epoch's keys (a Finished
// or EndOfEarlyData that was not captured or not decrypted).
func (c *Conn) decrypt(h *half, rec record) {
	if !c.keys {
		h.skippedB += int64(len(rec.payload))
		return
	}
	look := min(h.fails, maxSeqLookahead)
	if h.afterGap {
		look = maxGapLookahead
	}
	var cur recordCipher
	if c.tls13 {
		if h.cur < len(h.epochs) {
			cur = h.epochs[h.cur].cipher
		}
	} else {
		cur = h.cipher
		if cur == nil {
			// Keys of a renegotiation that were not found (already noted).
			h.skippedB += int64(len(rec.payload))
			return
		}
	}
	if cur != nil {
		// A TLS 1.0 CBC IV chain moves past this record whatever happens.
		if ch, ok := cur.(*cbcHMAC); ok {
			defer ch.advance(rec.payload)
		}
		for i := 0; i <= look; i++ {
			if plain, typ, err := cur.open(nil, h.seq+uint64(i), rec.hdr, rec.payload); err == nil {
				h.seq += uint64(i) + 1
				c.opened(h, rec, plain, typ)
				return
			}
		}
	}
	if c.tls13 {
		for next := h.cur + 1; next < len(h.epochs); next++ {
			e := h.epochs[next].cipher
			if e == nil {
				continue
			}
			if plain, typ, err := e.open(nil, 0, rec.hdr, rec.payload); err == nil {
				h.cur, h.seq = next, 1
				c.opened(h, rec, plain, typ)
				return
			}
		}
	}
	h.fails++
	if c.tls13 && h.dir == ClientToServer && c.ch.earlyData && h.cur < len(h.epochs) &&
		h.epochs[h.cur].name == "handshake" && h.opened == 0 {
		// 0-RTT data the key log has no early secret for.
		h.early++
		h.skippedB += int64(len(rec.payload))
		return
	}
	if h.afterGap {
		// Wide trials are for the first records after a gap, not for a
		// connection whose keys are wrong.
		if h.gapFails++; h.gapFails >= 4 {
			h.afterGap, h.gapFails = false, 0
		}
	}
	if cur == nil {
		// The key log lacks this epoch's secret (often the handshake
		// secrets): nothing was tried, nothing failed.
		h.noSecret++
		h.skippedB += int64(len(rec.payload))
		return
	}
	h.failed++
	h.failedB += int64(len(rec.payload))
}

// opened handles the plaintext of a decrypted record.
func (c *Conn) opened(h *half, rec record, plain []byte, typ byte) {
	h.fails = 0
	h.afterGap = false
	h.opened++
	switch typ {
	case recordAppData:
		if c.earlyRejected && h.dir == ClientToServer && h.cur < len(h.epochs) && h.epochs[h.cur].name == "early" {
			// The server never processed it; the client repeats such
			// requests after the handshake, so keeping it would show a
			// request twice.
			h.rejected++
			h.rejectB += int64(len(plain))
			return
		}
		if len(plain) > 0 {
			c.out = append(c.out, Chunk{Dir: h.dir, Data: plain, Frame: rec.frame, Time: rec.time})
		}
	case recordHandshake:
		c.handshake(h, plain, rec.frame)
	case recordAlert:
		c.alert(h, plain, rec.frame)
	}
}

// handshake reassembles handshake messages across records and handles them.
func (c *Conn) handshake(h *half, data []byte, frame int) {
	if h.hsSkip > 0 {
		n := min(h.hsSkip, len(data))
		h.hsSkip -= n
		data = data[n:]
	}
	h.hs = append(h.hs, data...)
	// The messages read are passed over (hsOff) and the rest moved to
	// the buffer's start once, at the end: moving it after each message
	// cost a record of 4,096 empty messages 33 MB of copying.
	for len(h.hs)-h.hsOff >= 4 {
		p := h.hs[h.hsOff:]
		typ := p[0]
		n := int(p[1])<<16 | int(p[2])<<8 | int(p[3])
		if n > maxHandshakeMsg {
			// Certificates chains and the like: not needed, not buffered.
			skip := min(n, len(p)-4)
			h.hsSkip = n - skip
			h.hsOff += 4 + skip
			continue
		}
		if len(p) < 4+n {
			break
		}
		h.hsOff += 4 + n
		c.message(h, typ, p[4:4+n], frame)
	}
	if h.hsOff > 0 {
		h.hs = h.hs[:copy(h.hs, h.hs[h.hsOff:])]
		h.hsOff = 0
	}
}

// message handles one handshake message.
func (c *Conn) message(h *half, typ byte, body []byte, frame int) {
	switch {
	case typ == hsClientHello && h.dir == ClientToServer:
		renegotiation := c.ch != nil && !c.tls13 && h.encrypted
		if c.ch != nil && !renegotiation {
			return // the second ClientHello after a HelloRetryRequest keeps the random
		}
		// The hello outlives the handshake buffer it was parsed from.
		ch, err := parseClientHello(bytes.Clone(body))
		if ch == nil {
			c.note(model.NoteTLSBadHandshake, frame, "ClientHello could not be parsed: %v", err)
			return
		}
		if renegotiation {
			c.renegotiating = ch
			return
		}
		c.ch, c.chFrame = ch, frame
	case typ == hsServerHello && h.dir == ServerToClient:
		renegotiation := c.sh != nil && c.renegotiating != nil && h.encrypted
		if c.sh != nil && !renegotiation {
			return
		}
		sh, err := parseServerHello(bytes.Clone(body))
		if sh == nil {
			c.note(model.NoteTLSBadHandshake, frame, "ServerHello could not be parsed: %v", err)
			return
		}
		if sh.helloRetry {
			return // the real ServerHello follows the client's second ClientHello
		}
		if renegotiation {
			c.renegotiate(sh, frame)
			return
		}
		c.sh = sh
		c.setup(frame)
	case typ == hsNewSessionTicket && h.dir == ServerToClient && !c.tls13:
		if c.keys {
			c.d.remember("ticket:", parseTicket12(body), c.master())
		}
	case typ == hsEncryptedExts && h.dir == ServerToClient && c.tls13:
		var accepted bool
		c.alpn, accepted = parseEncryptedExtensions(body)
		if c.ch.earlyData {
			c.earlyRejected = !accepted
		}
		if c.awaitEE {
			c.awaitEE = false
			c.flushQueued()
		}
	case typ == hsFinished && c.tls13:
		if h.cur < len(h.epochs) && h.epochs[h.cur].name == "handshake" {
			h.cur++
			h.seq, h.fails = 0, 0
		}
	case typ == hsEndOfEarlyData && c.tls13 && h.dir == ClientToServer:
		if h.cur < len(h.epochs) && h.epochs[h.cur].name == "early" {
			h.cur++
			h.seq, h.fails = 0, 0
		}
	case typ == hsKeyUpdate && c.tls13:
		if h.cur < len(h.epochs) && h.epochs[h.cur].cipher != nil {
			e := &h.epochs[h.cur]
			next, err := nextSecret13(c.suite, e.secret)
			if err == nil {
				e.secret = next
				e.cipher, err = newCipher13(c.suite, next)
			}
			if err != nil {
				e.cipher = nil
			}
			h.seq, h.fails = 0, 0
		}
	}
}

// master returns the TLS 1.2 master secret found for the connection.
func (c *Conn) master() []byte {
	if s := c.d.keys.lookup(c.ch.random); s != nil && s.master != nil {
		return s.master
	}
	if m := c.d.keys.sessionMaster(c.sh.sessionID); m != nil {
		return m
	}
	if m := c.d.recall("id:", c.sh.sessionID); m != nil && bytes.Equal(c.sh.sessionID, c.ch.sessionID) {
		return m
	}
	return c.d.recall("ticket:", c.ch.ticket)
}

// setup derives the record keys once both hellos are known.
func (c *Conn) setup(frame int) {
	if c.ch == nil {
		c.dead = "no-handshake"
		c.note(model.NoteTLSNoHandshake, frame, "the ClientHello was not captured, so the connection's secrets cannot be found; it is not analysed")
		return
	}
	c.tls13 = c.sh.version == versionTLS13
	if (c.sh.version < versionTLS10 || c.sh.version > versionTLS12) && !c.tls13 {
		c.dead = "unsupported"
		c.note(model.NoteTLSUnsupported, frame, "%s (SNI %q) is not decrypted: only TLS 1.0 to 1.3 are supported", versionName(c.sh.version), c.ch.sni)
		return
	}
	c.suite = suiteByID(c.sh.suite)
	if c.suite == nil || c.suite.tls13 != c.tls13 || !validBefore12(c.suite, c.sh.version) {
		c.suite = nil
		c.dead = "unsupported"
		c.note(model.NoteTLSUnsupported, frame, "cipher suite 0x%04X (SNI %q) is not supported; the connection is not decrypted", c.sh.suite, c.ch.sni)
		return
	}
	client, server := &c.h[ClientToServer], &c.h[ServerToClient]
	if c.tls13 {
		c.setup13(client, server)
	} else {
		c.alpn = c.sh.alpn
		c.setup12(client, server)
	}
	if !c.awaitEE {
		c.flushQueued()
	}
}

// flushQueued decrypts the client records held back for the handshake.
func (c *Conn) flushQueued() {
	client := &c.h[ClientToServer]
	queued := client.queued
	client.queued, client.queuedBytes = nil, 0
	for _, rec := range queued {
		c.record(client, rec)
	}
}

func (c *Conn) setup13(client, server *half) {
	s := c.d.keys.lookup(c.ch.random)
	if s == nil && c.ch.ech && c.d.keys.Len() > 0 {
		c.awaitKeys = true
		return
	}
	c.useSecrets13(s)
}

const (
	// maxECHTrials bounds the key log entries tried for one connection,
	// maxTrialsPerCapture those tried for all connections of a capture.
	maxECHTrials        = 1 << 14
	maxTrialsPerCapture = 1 << 20
)

// matchKeys finds the key log entry of a connection whose ClientHello
// random the capture does not show (Encrypted Client Hello: key logs name
// the inner ClientHello's random) by opening the server's first encrypted
// record with each logged server handshake secret.
func (c *Conn) matchKeys(rec record) {
	c.awaitKeys, c.echMatched = false, true
	var found *secrets
	for _, s := range c.d.keys.byRandom {
		if s.serverHS == nil {
			continue
		}
		if c.echTrialed >= maxECHTrials || c.d.trials.Add(-1) < 0 {
			break
		}
		c.echTrialed++
		ciph, err := newCipher13(c.suite, s.serverHS)
		if err != nil {
			continue
		}
		if _, _, err := ciph.open(nil, 0, rec.hdr, rec.payload); err == nil {
			found = s
			break
		}
	}
	c.useSecrets13(found)
	if c.keys && c.awaitEE {
		return // the EncryptedExtensions release the client's records
	}
	c.flushQueued()
}

// useSecrets13 sets up the TLS 1.3 epochs from a connection's secrets.
func (c *Conn) useSecrets13(s *secrets) {
	client, server := &c.h[ClientToServer], &c.h[ServerToClient]
	if s == nil || (s.serverHS == nil && s.serverApp == nil && s.clientHS == nil && s.clientApp == nil) {
		return
	}
	c.keys = true
	mk := func(name string, secret []byte) epoch {
		e := epoch{name: name, secret: secret}
		if secret != nil {
			// A secret of the wrong length for the suite's hash still
			// yields a cipher; its records then fail authentication.
			e.cipher, _ = newCipher13(c.suite, secret)
		}
		return e
	}
	if c.ch.earlyData && s.clientEarly != nil {
		client.epochs = append(client.epochs, mk("early", s.clientEarly))
	}
	client.epochs = append(client.epochs, mk("handshake", s.clientHS), mk("application", s.clientApp))
	server.epochs = []epoch{mk("handshake", s.serverHS), mk("application", s.serverApp)}
	// Whether the server took the early data shows in its encrypted
	// extensions; without its handshake key that stays unknown.
	c.awaitEE = c.ch.earlyData && server.epochs[0].cipher != nil
}

func (c *Conn) setup12(client, server *half) bool {
	master := c.master()
	if master == nil {
		return false
	}
	cc, sc, err := keys12(c.suite, c.sh.version, master, c.ch.random, c.sh.random, c.sh.etm && c.suite.bulk == bulkCBC)
	if err != nil {
		return false
	}
	c.keys = true
	client.pending, server.pending = cc, sc
	c.d.remember("id:", c.sh.sessionID, master)
	return true
}

// validBefore12 reports whether a suite can be used at the version: before
// TLS 1.2 only CBC suites with HMAC-SHA1 exist.
func validBefore12(s *suite, version uint16) bool {
	return version >= versionTLS12 || s.bulk == bulkCBC && s.macLen == sha1.Size
}

// renegotiate derives the keys of a TLS 1.2 renegotiation, which the next
// ChangeCipherSpec of each side switches to. Without them the rest of the
// connection is skipped, not reported record by record.
func (c *Conn) renegotiate(sh *serverHello, frame int) {
	client, server := &c.h[ClientToServer], &c.h[ServerToClient]
	c.ch, c.sh, c.renegotiating = c.renegotiating, sh, nil
	client.pending, server.pending = nil, nil
	c.suite = suiteByID(sh.suite)
	switch {
	case sh.version < versionTLS10 || sh.version > versionTLS12:
		c.note(model.NoteTLSUnsupported, frame, "renegotiation to %s is not followed; the rest of the connection is not decrypted", versionName(sh.version))
	case c.suite == nil || c.suite.tls13 || !validBefore12(c.suite, sh.version):
		c.suite = nil
		c.note(model.NoteTLSUnsupported, frame, "renegotiation to cipher suite 0x%04X is not supported; the rest of the connection is not decrypted", sh.suite)
	case !c.setup12(client, server):
		c.note(model.NoteTLSNoKeys, frame, "the renegotiated handshake has no key log entry for its client random; the rest of the connection to %q is not decrypted", c.ch.sni)
	}
}

// Close ends the connection and completes its notes.
func (c *Conn) Close() {
	if c.closed {
		return
	}
	c.closed = true
	client, server := &c.h[ClientToServer], &c.h[ServerToClient]
	if c.awaitEE {
		// The EncryptedExtensions never came: decrypt what was held.
		c.awaitEE = false
		c.flushQueued()
	}
	for _, h := range []*half{client, server} {
		for _, rec := range h.queued {
			h.skippedB += int64(len(rec.payload))
		}
		h.queued = nil
	}
	ref := c.chFrame
	if ref == 0 {
		ref = c.firstFrame
	}
	sni := ""
	if c.ch != nil {
		sni = c.ch.sni
	}
	switch {
	case c.dead != "":
		// Already explained when it happened.
	case c.ch == nil && c.sh == nil:
		if client.bytes+server.bytes > 0 {
			c.note(model.NoteTLSNoHandshake, ref, "the TLS handshake was not captured (capture began mid-connection?); %d bytes client→server and %d bytes server→client are not analysed", client.bytes, server.bytes)
		}
	case c.sh == nil:
		c.note(model.NoteTLSNoHandshake, ref, "no ServerHello was captured for the connection to %q; %d bytes client→server and %d bytes server→client are not analysed", sni, client.bytes, server.bytes)
	case !c.keys && c.echMatched:
		defer c.noteHost(len(c.notes), sni)
		c.note(model.NoteTLSNoKeys, ref, "%s connection to %q is not decrypted: it uses Encrypted Client Hello, which hides the client random key logs name, and none of the %d key log entries tried decrypts it (at most %d per connection and %d per capture are tried); %d bytes client→server and %d bytes server→client are not analysed", versionName(c.sh.version), sni, c.echTrialed, maxECHTrials, maxTrialsPerCapture, client.bytes, server.bytes)
	case !c.keys:
		defer c.noteHost(len(c.notes), sni)
		c.note(model.NoteTLSNoKeys, ref, "%s connection to %q is not decrypted: no key log entry for its client random; %d bytes client→server and %d bytes server→client are not analysed", versionName(c.sh.version), sni, client.bytes, server.bytes)
	}
	for _, h := range []*half{client, server} {
		if h.failed > 0 {
			c.note(model.NoteTLSAuthFailed, ref, "%d of %d encrypted %s records (%d bytes) of the connection to %q failed authentication: the secrets do not match this connection (keys from another capture?) or the records are damaged", h.failed, h.failed+h.opened, h.dir, h.failedB, sni)
		}
		if h.early > 0 {
			if c.earlyRejected {
				c.note(model.NoteTLSEarlyData, ref, "%d 0-RTT early data records of the connection to %q are not decrypted (no CLIENT_EARLY_TRAFFIC_SECRET); the server rejected them, so the client normally repeats them after the handshake", h.early, sni)
			} else {
				c.note(model.NoteTLSEarlyData, ref, "%d 0-RTT early data records of the connection to %q are not decrypted: the key log has no CLIENT_EARLY_TRAFFIC_SECRET for it", h.early, sni)
			}
		}
		if h.alertFrame != 0 {
			c.note(model.NoteTLSAlert, h.alertFrame, "the %s of the connection to %q ended it with TLS alert %s", sideName(h.dir), sni, alertName(h.alertDesc))
		}
		if h.gaps > 0 {
			c.note(model.NoteTLSGap, cmp.Or(h.gapFrame, ref), "%d bytes of the %s stream of the connection to %q were not captured (%d gaps); %d captured bytes of the records they broke were skipped and decryption resumed at the next record", h.gapB, h.dir, sni, h.gaps, h.lostB)
		}
		if h.noSecret > 0 {
			c.note(model.NoteTLSPartialKeys, ref, "%d encrypted %s records of the connection to %q are not decrypted: the key log lacks their traffic secret (handshake or application)", h.noSecret, h.dir, sni)
		}
		if h.rejected > 0 {
			c.note(model.NoteTLSEarlyDataRejected, ref, "%d 0-RTT early data records (%d bytes) of the connection to %q are left out: the server rejected them, so it never processed them; the client normally repeats them after the handshake", h.rejected, h.rejectB, sni)
		}
		if len(h.buf) > 0 {
			// Noted where the stream ends, not at the handshake.
			c.note(model.NoteTLSTruncated, cmp.Or(h.lastFrame, ref), "the %s stream of the connection to %q ends inside a record at this frame; its last %d bytes are not analysed", h.dir, sni, len(h.buf))
		}
	}
	if c.dead == "" && c.keys && client.opened+server.opened == 0 && client.failed+server.failed == 0 && client.bytes+server.bytes > 0 && c.sh != nil {
		// Keys were found but the capture ends before any encrypted record.
		c.note(model.NoteTLSNoData, ref, "no encrypted records of the connection to %q were captured", sni)
	}
	client.buf, server.buf = nil, nil
}

func sideName(d Direction) string {
	if d == ClientToServer {
		return "client"
	}
	return "server"
}

// alertNames are the TLS alerts (RFC 8446 6, RFC 5246 7.2) with what they
// usually mean for a sign-in.
var alertNames = map[byte]string{
	10:  "unexpected_message",
	20:  "bad_record_mac",
	22:  "record_overflow",
	40:  "handshake_failure (no common cipher suite, version or parameters)",
	42:  "bad_certificate",
	43:  "unsupported_certificate",
	44:  "certificate_revoked",
	45:  "certificate_expired",
	46:  "certificate_unknown (the certificate was not accepted)",
	47:  "illegal_parameter",
	48:  "unknown_ca (the certificate's issuer is not trusted, e.g. an intercepting proxy)",
	49:  "access_denied",
	50:  "decode_error",
	51:  "decrypt_error",
	70:  "protocol_version (no TLS version in common)",
	71:  "insufficient_security",
	80:  "internal_error",
	86:  "inappropriate_fallback",
	109: "missing_extension",
	110: "unsupported_extension",
	112: "unrecognized_name (the server does not serve this host name)",
	113: "bad_certificate_status_response",
	115: "unknown_psk_identity",
	116: "certificate_required (the server requires a client certificate)",
	120: "no_application_protocol",
}

func alertName(desc byte) string {
	if n, ok := alertNames[desc]; ok {
		return fmt.Sprintf("%d %s", desc, n)
	}
	return fmt.Sprintf("%d", desc)
}
