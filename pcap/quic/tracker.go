package quic

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"time"
)

// Dir is the side that sent a packet.
type Dir int

const (
	ClientToServer Dir = iota
	ServerToClient
)

// Secrets are the TLS 1.3 traffic secrets a key log holds for one
// connection (by its ClientHello's random); nil fields are missing.
type Secrets struct {
	ClientHandshake, ServerHandshake []byte
	ClientApp, ServerApp             []byte // CLIENT_TRAFFIC_SECRET_0, SERVER_TRAFFIC_SECRET_0
	ClientEarly                      []byte // 0-RTT
}

// Handler receives what the connections' streams carry. Data is valid only
// during the call.
type Handler interface {
	// Stream hands over the next bytes of a stream in one direction, in
	// order, with the frame and time of the packet that carried them; fin
	// tells that they end that direction of the stream.
	Stream(c *Conn, id uint64, dir Dir, data []byte, fin bool, frame int, t time.Time)
	// Gap tells that n bytes of a stream's direction were not captured
	// before the next bytes handed over (frame is the packet of those).
	Gap(c *Conn, id uint64, dir Dir, n uint64, frame int)
	// Reset tells that the sender abandoned its direction of a stream
	// (RESET_STREAM).
	Reset(c *Conn, id uint64, dir Dir, frame int, t time.Time)
	// Closed tells that the connection ended (closed, idle, or the capture
	// ended); no call for it follows.
	Closed(c *Conn)
}

// Bounds.
const (
	maxConns      = 4096      // live connections
	maxCIDs       = 16        // connection IDs registered per connection
	maxPending    = 64        // packets held until their keys are known, per connection
	maxPendingLen = 256 << 10 // their bytes
	maxCrypto     = 64 << 10  // CRYPTO bytes buffered per direction of the Initial epoch
	maxStreams    = 1024      // streams tracked at once per connection
	maxEnded      = 4096      // ended streams remembered per connection
	maxBuffered   = 8 << 20   // out-of-order stream bytes held per connection
	maxHeld       = 64 << 20  // held packets, CRYPTO and out-of-order stream bytes of all connections
	maxPacket     = 1 << 16   // a UDP datagram holds at most 64 KiB
	maxRetries    = 4         // Retry packets' connection IDs remembered per connection
	maxPaths      = 8         // the client's other addresses (migration, NAT rebinding) per connection
)

type tuple struct{ client, server netip.AddrPort }

// Tracker follows the QUIC connections of one capture.
type Tracker struct {
	keys    func(clientRandom []byte) *Secrets
	h       Handler
	live    []*Conn // in the order they began
	byTuple map[tuple][]*Conn
	byCID   map[string]*Conn
	cidLens [21]int // registered server connection IDs per length
	buf     []byte  // a packet being opened (header protection removed in place)
	plain   []byte

	// what the capture held, for Summary
	datagrams int
	conns     int
	orphans   int  // datagrams of no known connection (begun before the capture)
	orphan1   int  // the first of them
	unknownV  int  // long header packets of a version not read
	refused   int  // connections not followed past maxConns
	placed    bool // a packet of the datagram being read found its connection
	held      int  // bytes held by all connections (maxHeld)
	seq       int
}

// NewTracker starts following connections. keys looks up a connection's
// secrets by its ClientHello's random (nil: none known); it may be nil.
func NewTracker(keys func(clientRandom []byte) *Secrets, h Handler) *Tracker {
	return &Tracker{keys: keys, h: h, byTuple: map[tuple][]*Conn{}, byCID: map[string]*Conn{}}
}

// Datagram reads one UDP datagram's payload, sent by dir between client
// and server, carried by the given frame at time ts.
func (t *Tracker) Datagram(client, server netip.AddrPort, dir Dir, b []byte, frame int, ts time.Time) {
	t.datagrams++
	if len(b) > maxPacket {
		b = b[:maxPacket]
	}
	tp := tuple{client, server}
	t.placed = false
	for len(b) > 0 {
		if b[0]&0x80 == 0 {
			t.short(tp, dir, b, frame, ts)
			break
		}
		n := t.long(tp, dir, b, frame, ts)
		if n <= 0 {
			break
		}
		b = b[n:]
	}
	if !t.placed {
		if t.orphans == 0 {
			t.orphan1 = frame
		}
		t.orphans++
	}
}

// long reads the long header packet at the start of b and returns its
// length, 0 when the rest of the datagram cannot be read.
func (t *Tracker) long(tp tuple, dir Dir, b []byte, frame int, ts time.Time) int {
	if len(b) < 7 {
		return 0
	}
	ver := binary.BigEndian.Uint32(b[1:5])
	if ver == 0 { // version negotiation
		t.placed = true
		return 0
	}
	p := paramsOf(ver)
	if p == nil {
		t.unknownV++
		t.placed = true
		return 0
	}
	off := 5
	dcid, ok := cid(b, &off)
	if !ok {
		return 0
	}
	scid, ok := cid(b, &off)
	if !ok {
		return 0
	}
	typ := b[0] >> 4 & 3
	if typ == p.retryType {
		if c := t.find(tp, dir, dcid, false); c != nil && dir == ServerToClient {
			t.placed = true
			if !c.serverInitial && len(c.retrySCIDs) < maxRetries && len(scid) > 0 &&
				!slices.ContainsFunc(c.retrySCIDs, func(x []byte) bool { return bytes.Equal(x, scid) }) {
				c.retrySCIDs = append(c.retrySCIDs, bytes.Clone(scid))
				t.register(c, scid, ServerToClient)
			}
		}
		return 0 // a Retry fills its datagram
	}
	if typ == p.initial {
		n, w, ok := varint(b[off:])
		if !ok || n > uint64(len(b)-off-w) {
			return 0
		}
		off += w + int(n)
	}
	length, w, ok := varint(b[off:])
	if !ok || length > uint64(len(b)-off-w) {
		return 0
	}
	pnOff := off + w
	end := pnOff + int(length)
	c := t.find(tp, dir, dcid, typ == p.initial && len(dcid) >= 8)
	if c == nil || c.ver != ver {
		if dir != ClientToServer || typ != p.initial || len(dcid) < 8 {
			return end
		}
		if c = t.newConn(tp, ver, p, dcid, frame); c == nil {
			return end
		}
	}
	t.placed = true
	if len(scid) > 0 {
		t.register(c, scid, dir)
	}
	ep := epochInitial
	switch typ {
	case p.handshake:
		ep = epochHandshake
	case p.zeroRTT:
		ep = epoch0RTT
	case p.initial:
		switch {
		case dir == ServerToClient:
			c.serverInitial = true
		case !bytes.Equal(dcid, c.initialDCID) && slices.ContainsFunc(c.retrySCIDs, func(x []byte) bool { return bytes.Equal(x, dcid) }):
			// After a Retry, Initial keys come from the DCID it chose.
			c.setInitialKeys(dcid)
		}
	}
	c.last = ts
	c.packet(dir, ep, b[:end], pnOff, frame, ts)
	return end
}

// cid reads a length-prefixed connection ID at b[*off:].
func cid(b []byte, off *int) ([]byte, bool) {
	if *off >= len(b) {
		return nil, false
	}
	n := int(b[*off])
	*off++
	if n > 20 || *off+n > len(b) {
		return nil, false
	}
	c := b[*off : *off+n]
	*off += n
	return c, true
}

// short reads a 1-RTT packet, which fills the rest of its datagram.
func (t *Tracker) short(tp tuple, dir Dir, b []byte, frame int, ts time.Time) {
	if len(b) < 2 {
		return
	}
	c, n := t.findShort(tp, dir, b[1:])
	if c == nil {
		return
	}
	t.placed = true
	c.last = ts
	if !c.done {
		c.packet(dir, epoch1RTT, b, 1+n, frame, ts)
	}
}

// findShort finds the connection of a short header packet whose
// Destination Connection ID starts rest, and that ID's length: first among
// the connections of the 4-tuple, then by every length registered
// (a connection that migrated).
func (t *Tracker) findShort(tp tuple, dir Dir, rest []byte) (*Conn, int) {
	var best *Conn
	bestLen := -1
	for _, c := range t.byTuple[tp] {
		for _, id := range c.cids[1-dir] {
			if len(id) > bestLen && bytes.HasPrefix(rest, id) {
				best, bestLen = c, len(id)
			}
		}
		if len(c.cids[1-dir]) == 0 && bestLen < 0 {
			best, bestLen = c, 0 // the peer uses zero-length IDs
		}
	}
	if best != nil {
		return best, bestLen
	}
	for l := 20; l >= 1; l-- {
		if t.cidLens[l] == 0 || l > len(rest) {
			continue
		}
		if c := t.byCID[string(rest[:l])]; c != nil {
			if dir == ClientToServer {
				t.migrated(c, tp)
			}
			return c, l
		}
	}
	return nil, 0
}

// migrated records that a connection's client now sends from another
// address or port (a NAT rebinding it, or the client migrating: RFC 9000
// section 9), so that the server's packets to it, which carry no
// connection ID when the client chose zero-length ones (as Chromium
// does), find the connection by the new 4-tuple.
func (t *Tracker) migrated(c *Conn, tp tuple) {
	if tp.server != c.Server || len(c.paths) >= maxPaths || slices.Contains(t.byTuple[tp], c) {
		return
	}
	c.paths = append(c.paths, tp)
	t.byTuple[tp] = append(t.byTuple[tp], c)
}

// find is the connection a long header packet with this Destination
// Connection ID belongs to. A client's packet with an ID not known on a
// known 4-tuple is that 4-tuple's connection unless it may start one
// (fresh: an Initial with an ID of 8 bytes or more): quic-go's client
// moves to a connection ID the server's first 1-RTT packet offered
// (NEW_CONNECTION_ID) while its Initial and Handshake packets are still
// being sent, and without keys that frame is not read.
func (t *Tracker) find(tp tuple, dir Dir, dcid []byte, fresh bool) *Conn {
	if len(dcid) > 0 {
		if c := t.byCID[string(dcid)]; c != nil {
			return c
		}
	}
	if cs := t.byTuple[tp]; len(cs) > 0 && (dir == ServerToClient || len(dcid) == 0 || !fresh) {
		c := cs[len(cs)-1]
		if dir == ClientToServer && len(dcid) > 0 {
			t.register(c, dcid, ServerToClient)
		}
		return c
	}
	return nil
}

func (t *Tracker) newConn(tp tuple, ver uint32, p *versionParams, dcid []byte, frame int) *Conn {
	if len(t.live) >= maxConns {
		t.refused++
		return nil
	}
	t.seq++
	t.conns++
	c := &Conn{t: t, seq: t.seq, Client: tp.client, Server: tp.server, ver: ver, p: p, first: frame,
		streams: map[streamKey]*stream{}}
	c.origDCID = bytes.Clone(dcid)
	c.setInitialKeys(dcid)
	t.live = append(t.live, c)
	t.byTuple[tp] = append(t.byTuple[tp], c)
	t.byCID[string(c.origDCID)] = c
	return c
}

// register records a connection ID of the side dir (one its peer sends
// to).
func (t *Tracker) register(c *Conn, id []byte, dir Dir) {
	if len(id) == 0 || slices.ContainsFunc(c.cids[dir], func(x []byte) bool { return bytes.Equal(x, id) }) {
		return
	}
	if len(c.cids[0])+len(c.cids[1]) >= maxCIDs {
		return
	}
	if old := t.byCID[string(id)]; old != nil && old != c {
		return
	}
	id = bytes.Clone(id)
	c.cids[dir] = append(c.cids[dir], id)
	t.byCID[string(id)] = c
	t.cidLens[len(id)]++
}

// CloseIdle ends the connections that sent nothing since before.
func (t *Tracker) CloseIdle(before time.Time) {
	keep := t.live[:0]
	for _, c := range t.live {
		if c.last.Before(before) {
			t.remove(c)
			continue
		}
		keep = append(keep, c)
	}
	clear(t.live[len(keep):])
	t.live = keep
}

// Close ends every connection (the capture ended).
func (t *Tracker) Close() {
	for _, c := range t.live {
		t.remove(c)
	}
	t.live = nil
}

func (t *Tracker) remove(c *Conn) {
	c.finish()
	for _, tp := range append(c.paths, tuple{c.Client, c.Server}) {
		cs := slices.DeleteFunc(t.byTuple[tp], func(x *Conn) bool { return x == c })
		if len(cs) == 0 {
			delete(t.byTuple, tp)
		} else {
			t.byTuple[tp] = cs
		}
	}
	if t.byCID[string(c.origDCID)] == c {
		delete(t.byCID, string(c.origDCID))
	}
	for _, ids := range c.cids {
		for _, id := range ids {
			if t.byCID[string(id)] == c {
				delete(t.byCID, string(id))
				t.cidLens[len(id)]--
			}
		}
	}
}

// Live calls f for each connection still open, in the order they began.
func (t *Tracker) Live(f func(c *Conn)) {
	for _, c := range t.live {
		f(c)
	}
}

// varint reads a QUIC variable-length integer (RFC 9000 section 16).
func varint(b []byte) (uint64, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	n := 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0, false
	}
	v := uint64(b[0] & 0x3f)
	for i := 1; i < n; i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, n, true
}

// Varint is varint for HTTP/3, which encodes its integers the same way:
// the value, its length, and whether b held it whole.
func Varint(b []byte) (uint64, int, bool) { return varint(b) }

// minInitialDatagram is what a client pads each datagram carrying an
// Initial packet to (RFC 9000 section 14.1).
const minInitialDatagram = 1200

// ClientInitial tells whether a UDP payload begins as a client's first
// Initial packet does, so that QUIC on a port other than 443 can be found
// by its content: a long header of version 1 or 2 whose type is Initial,
// a Destination Connection ID of 8 to 20 bytes (RFC 9000 section 7.2: the
// client's first is at least 8), a Source Connection ID of at most 20,
// in a datagram of at least 1200 bytes. The fixed bit is not required
// (RFC 9287 lets a client clear it). It reads no more than 7+20 bytes.
func ClientInitial(b []byte) bool {
	if len(b) < minInitialDatagram || b[0]&0x80 == 0 {
		return false
	}
	p := paramsOf(binary.BigEndian.Uint32(b[1:5]))
	if p == nil || b[0]>>4&3 != p.initial {
		return false
	}
	dl := int(b[5])
	return dl >= 8 && dl <= 20 && b[6+dl] <= 20
}
