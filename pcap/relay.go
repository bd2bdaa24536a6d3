package pcap

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
)

// A capture taken on a host that runs a byte-copying relay (socat,
// HAProxy or nginx in TCP mode, docker-proxy, kubectl port-forward,
// ssh -L) holds each request twice: on the client's connection to the
// relay and on the relay's own connection to the server, with other
// ports, sequence numbers and timing, and the same bytes (for TLS passed
// through, the same TLS session and so the same plaintext). Packet copies
// (dedup) cannot see it: the relay's connection is a TCP connection of
// its own. Read twice, one token request looked redeemed twice and one
// authorize request like a loop.
//
// relayCopies reads such a request once, as first seen, when the reader
// hands out exchanges (in the order their requests began). An exchange is
// a relayed copy of an earlier one when:
//
//   - its request is the same: method, URL but for its scheme (a relay
//     that ends TLS passes the same bytes on in the clear), version,
//     every header line in order, the body and its size (a fingerprint);
//     and so is its response (status line, header lines, body), which
//     the relay copied the other way. A reverse proxy that retries a
//     request on another server after an error or a timeout (a known
//     cause of a code redeemed twice) sends the same request twice, but
//     the first attempt's answer is missing or another one; an exchange
//     without a response is never taken for a copy;
//   - it began at most relayWindow after the earlier one, on another
//     connection to another server address or port (a relay listens on
//     one and connects to another; a double click, a reload or a retry
//     goes to the same server again). The earlier one in time is the
//     original; the one first in the file is kept: a capture of several
//     interfaces written in batches (dumpcap) may hold the relay's side
//     first;
//   - neither is paired yet (a relay forwards each request once: two
//     identical requests on two connections to the relay, as a double
//     click sends, each find their own copy);
//   - connections keep their roles: once a connection's requests were
//     found copies of another's, its later requests can be copies of that
//     connection's only, and requests on a connection that has a copy are
//     never taken for copies of it; once a relay was seen forwarding
//     from one server address to another, a request to the first is never
//     taken for a copy of one to the second (the client's second request
//     is not a copy of the relay's copy of its first).
//
// The same holds for a connection captured before and after an address
// translation that sent it to another server and rewrote its sequence
// numbers, which packet copies (dedup) cannot see either.
//
// Copies are candidates themselves, so a chain of relays reads once too.
// Memory is bounded: the fingerprints of the last relaySlots requests,
// and at most maxRelayConns connections and relay directions remembered.
// Per exchange, one hash of its request and response and a lookup of at
// most relayWalk candidates; nothing per packet.
type relayCopies struct {
	seed    maphash.Seed
	scratch []byte // fingerprints' buffer, kept between exchanges
	ring    []relayCand
	byFP    map[uint64]int64 // fingerprint -> seq of its latest candidate
	seq     int64            // candidates added so far
	// copyOf maps a copy's connection to its original's, hasCopy an
	// original's connection to its copy's; edges holds the relays seen
	// as "original's server -> copy's server".
	copyOf, hasCopy map[string]string
	edges           map[[2]string]struct{}
	// conns describes the copied connections for the notes, in order.
	conns   []*relayConn
	byConn  map[string]*relayConn
	dropped int // exchanges dropped as copies
	uncited int // copied connections past maxRelayNotes
	// hellos are the recent ClientHello records by fingerprint (hello).
	hellos map[uint64]helloSeen
}

type helloSeen struct {
	conn, server string
	ts           time.Time
}

// relayCand is one exchange a later one may copy.
type relayCand struct {
	fp     uint64 // the request's fingerprint
	resp   uint64 // the response's, 0 when none
	seq    int64  // 1-based; 0: empty slot
	prev   int64  // seq of the previous candidate with fp, 0 when none
	conn   string
	server string
	start  time.Time
	frame  int
	// hasCopy and isCopy: paired with another exchange as its original,
	// as its copy (a relay in a chain is both)
	hasCopy, isCopy bool
}

// relayConn is a connection found to copy another.
type relayConn struct {
	copy, orig string
	first      int      // frame of its first copied request
	pairs      []string // "frame N read, frame M dropped", the first few
	n          int
}

const (
	// relayWindow is how long after its original a copy's request may
	// begin: a relay on the capture host forwards in microseconds, but
	// one that connects to its server only when the client's first bytes
	// came waits for that connection's handshake.
	relayWindow = time.Second
	// relaySlots bounds the exchanges remembered (about 400 KiB at most).
	relaySlots = 4096
	// relayWalk bounds the candidates of one fingerprint looked at.
	relayWalk = 16
	// maxRelayConns bounds the connections and directions remembered;
	// past it they are forgotten and learned again.
	maxRelayConns = 1 << 14
	// maxRelayNotes bounds the copied connections the notes name,
	// relayPairs the frame pairs each names.
	maxRelayNotes = 16
	// maxHellos bounds the ClientHello fingerprints kept.
	maxHellos  = 4096
	relayPairs = 8
)

// fingerprints hash what a relay copies of ex: its request (fp), and its
// response (resp, 0 when it has none).
func (c *relayCopies) fingerprints(ex *model.Exchange) (fp, resp uint64) {
	// One buffer hashed at once: a Write per field (two per header) cost
	// the customer-like capture scan 2.5 % of its instructions. A body is
	// hashed where it is and only its hash copied.
	b := c.scratch[:0]
	msg := func(hs model.Headers, body *model.Body) uint64 {
		for _, hd := range hs {
			b = appendField(b, hd.Name)
			b = appendField(b, hd.Value)
		}
		b = binary.BigEndian.AppendUint64(b, uint64(body.Size))
		b = binary.BigEndian.AppendUint64(b, maphash.Bytes(c.seed, body.Data))
		return maphash.Bytes(c.seed, b) | 1
	}
	rq := &ex.Request
	u := rq.URL
	if _, rest, ok := strings.Cut(u, "://"); ok {
		u = rest
	}
	b = appendField(b, rq.Method)
	b = appendField(b, u)
	b = appendField(b, rq.Proto)
	fp = msg(rq.Headers, &rq.Body)
	if rs := ex.Response; rs != nil {
		b = binary.BigEndian.AppendUint32(b[:0], uint32(rs.Status))
		b = appendField(b, rs.StatusText)
		b = appendField(b, rs.Proto)
		resp = msg(rs.Headers, &rs.Body)
	}
	if cap(b) <= maxRelayScratch {
		c.scratch = b[:0]
	}
	return fp, resp
}

// maxRelayScratch bounds the buffer fingerprints keeps between exchanges.
const maxRelayScratch = 64 << 10

// appendField appends s with its length first, so that fields cannot run
// into each other.
func appendField(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// serverOf is the server end of a connection "client:port-server:port".
func serverOf(conn string) string {
	_, srv, _ := strings.Cut(conn, "-")
	return srv
}

// copied reports whether ex, of a request that began at frame, repeats
// an exchange handed out before, as its relayed copy or (in a file that
// holds the relay's side first) its original: then it is not handed out.
// It remembers ex either way.
func (c *relayCopies) copied(ex *model.Exchange, frame int) bool {
	if ex.Conn == "" || ex.Start.IsZero() {
		return false
	}
	if c.byFP == nil {
		c.init()
	}
	fp, resp := c.fingerprints(ex)
	e := relayCand{fp: fp, resp: resp, conn: ex.Conn, server: serverOf(ex.Conn), start: ex.Start, frame: frame}
	other, isCopy := c.find(&e)
	switch {
	case other == nil:
	case isCopy:
		other.hasCopy, e.isCopy = true, true
		c.learn(other, &e, frame, other.frame)
	default:
		other.isCopy, e.hasCopy = true, true
		c.learn(&e, other, frame, other.frame)
	}
	c.add(e)
	return other != nil
}

func (c *relayCopies) init() {
	c.seed = maphash.MakeSeed()
	c.ring = make([]relayCand, 0, 64)
	c.byFP = make(map[uint64]int64, 256)
	c.copyOf, c.hasCopy = map[string]string{}, map[string]string{}
	c.edges = map[[2]string]struct{}{}
	c.byConn = map[string]*relayConn{}
	c.hellos = map[uint64]helloSeen{}
}

// hello takes the ClientHello record rec that opened the TLS connection
// conn at frame, at ts, and returns the connection whose ClientHello was
// the same bytes, begun at most relayWindow before on another connection
// to another server ("" when none): a relay's copy of the same TLS
// session. A ClientHello holds 32 random bytes of its own, so a genuine
// second connection never repeats one (a resumed session's too). At most
// maxHellos are kept, those older than relayWindow dropped first.
func (c *relayCopies) hello(conn string, rec []byte, frame int, ts time.Time) string {
	if c.byFP == nil {
		c.init()
	}
	key := maphash.Bytes(c.seed, rec)
	server := serverOf(conn)
	orig := ""
	if s, ok := c.hellos[key]; ok && s.conn != conn && s.server != server {
		// (either order: a capture of several interfaces may hold the
		// relay's side first)
		if dt := ts.Sub(s.ts); dt >= -relayWindow && dt <= relayWindow {
			orig = s.conn
		}
	}
	pruneStale(c.hellos, maxHellos, ts, relayWindow, func(s helloSeen) time.Time { return s.ts })
	c.hellos[key] = helloSeen{conn: conn, server: server, ts: ts}
	return orig
}

// find is the exchange handed out before that e repeats, nil when none,
// and whether e is its copy (began after it) or its original: in a
// capture of several interfaces written in batches (dumpcap), the
// relay's side of a request may come first in the file.
func (c *relayCopies) find(e *relayCand) (*relayCand, bool) {
	seq, ok := c.byFP[e.fp]
	if !ok || e.resp == 0 {
		return nil, false
	}
	for range relayWalk {
		if seq == 0 {
			return nil, false
		}
		i := (seq - 1) % relaySlots
		if i >= int64(len(c.ring)) {
			return nil, false
		}
		cand := &c.ring[i]
		if cand.seq != seq || cand.fp != e.fp {
			return nil, false // overwritten: older ones are too
		}
		seq = cand.prev
		dt := e.start.Sub(cand.start)
		if dt > relayWindow {
			return nil, false // older ones are older still
		}
		if dt < -relayWindow || cand.conn == e.conn || cand.server == e.server || cand.resp != e.resp {
			continue
		}
		orig, cp := cand, e
		if dt < 0 {
			orig, cp = e, cand
		}
		if c.pairs(orig, cp) {
			return cand, dt >= 0
		}
	}
	return nil, false
}

// pairs tells whether cp may be a copy of orig by what is known of their
// exchanges and connections.
func (c *relayCopies) pairs(orig, cp *relayCand) bool {
	if orig.hasCopy || cp.isCopy {
		return false // a relay forwards each request once
	}
	if o, ok := c.copyOf[cp.conn]; ok && o != orig.conn {
		return false // cp's connection copies another one
	}
	if k, ok := c.hasCopy[orig.conn]; ok && k != cp.conn {
		return false // orig's connection's copy is another one
	}
	if c.copyOf[orig.conn] == cp.conn {
		return false // the other way round
	}
	_, reverse := c.edges[[2]string{cp.server, orig.server}]
	return !reverse // the relay forwards the other way
}

// learn records that cp copies orig; the exchange at frame dropped is
// read once as the one at frame read.
func (c *relayCopies) learn(orig, cp *relayCand, dropped, read int) {
	c.dropped++
	if len(c.copyOf) >= maxRelayConns {
		clear(c.copyOf)
		clear(c.hasCopy)
	}
	c.copyOf[cp.conn] = orig.conn
	c.hasCopy[orig.conn] = cp.conn
	if len(c.edges) >= maxRelayConns {
		clear(c.edges)
	}
	c.edges[[2]string{orig.server, cp.server}] = struct{}{}
	rc := c.byConn[cp.conn]
	if rc == nil || rc.orig != orig.conn {
		if len(c.conns) >= maxRelayNotes {
			c.uncited++
			return
		}
		rc = &relayConn{copy: cp.conn, orig: orig.conn, first: dropped}
		c.conns = append(c.conns, rc)
		c.byConn[cp.conn] = rc
	}
	rc.n++
	if len(rc.pairs) < relayPairs {
		rc.pairs = append(rc.pairs, fmt.Sprintf("frame %d read, frame %d dropped", read, dropped))
	}
}

// add remembers a candidate in place of the oldest.
func (c *relayCopies) add(cand relayCand) {
	c.seq++
	cand.seq = c.seq
	cand.prev = c.byFP[cand.fp]
	i := (c.seq - 1) % relaySlots
	if i == int64(len(c.ring)) {
		// grown as exchanges come, up to relaySlots
		c.ring = append(c.ring, relayCand{})
	}
	slot := &c.ring[i]
	if slot.seq != 0 && c.byFP[slot.fp] == slot.seq {
		delete(c.byFP, slot.fp)
	}
	*slot = cand
	c.byFP[cand.fp] = cand.seq
}

// notes says which connections were read once as relayed copies.
func (c *relayCopies) notes() []model.Note {
	var out []model.Note
	for _, rc := range c.conns {
		more, what := "", "request"
		if rc.n > len(rc.pairs) {
			more = ", …"
		}
		if rc.n > 1 {
			what = "requests"
		}
		out = append(out, model.Note{Kind: model.NoteDuplicate, Ref: frameRef(rc.first), Conn: rc.copy, Message: fmt.Sprintf(
			"tcp %s: %d %s copied from tcp %s, the same request and response bytes each within %v on a connection to another server (a byte-copying relay between them: socat, HAProxy or nginx in TCP mode, docker-proxy, kubectl port-forward, ssh -L; or an address translation that rewrote sequence numbers, captured on both sides), read once, as first seen: %s%s",
			rc.copy, rc.n, what, rc.orig, relayWindow, strings.Join(rc.pairs, ", "), more)})
	}
	if c.uncited > 0 {
		out = append(out, model.Note{Kind: model.NoteDuplicate, Message: fmt.Sprintf("%d more requests copied from another connection read once", c.uncited)})
	}
	return out
}
