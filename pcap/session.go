package pcap

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/internal/bodypool"
	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/model"
)

// sink receives what sessions find: finished exchanges with the frame
// where their request began, and notes.
type sink interface {
	exchange(f finished)
	note(n model.Note)
	limits() model.Limits
	decrypter() StreamDecrypter
	skipBody() func(mimeType string) bool
	// bodyPool gives HTTP/1 bodies their buffers, headerPool their
	// header sections their lists (nil: new ones).
	bodyPool() *bodypool.Pool
	headerPool() *bodypool.HeaderPool
	skipResponse() func(req *model.Request, resp *model.Response) bool
	// crowded tells that idle parsers should park.
	crowded() bool
	// coroutines keeps the HTTP/1 parsers' coroutines for later
	// parsers (nil: a new one for each).
	coroutines() *coPool
	// dnsAnswer takes a DNS message read from a DNS-over-TCP stream.
	dnsAnswer(msg []byte, frame int)
}

type sessionMode int

const (
	modeDetect sessionMode = iota
	modeHTTP1
	modeH2
	modeTLS
	modeIgnore
	modeTunnel
	modeDNS // DNS over TCP: the server's answers name addresses
)

// detectTries is how many client chunks may pass before a connection that
// shows no HTTP start is given up (a capture that began mid-body gets a
// few chances to reach the next request).
const detectTries = 8

// session is the application layer of one connection: it recognizes
// HTTP/1.x, HTTP/2 or TLS from the client's first bytes and hands the two
// byte streams to the matching parser.
type session struct {
	out    sink
	conn   string
	scheme string
	inTLS  bool // plaintext of a TLS connection: no TLS inside TLS

	mode     sessionMode
	tries    int
	early    []earlyChunk // client bytes held until the protocol shows
	earlyLen int
	h1       *h1Conn
	h2       *H2Conn
	dns      *dnsStream
	tls      *tlsState
	tunnel   *session     // what a CONNECT tunnel carries
	tunneled bool         // this session is the inside of a tunnel
	held     []earlyChunk // a first client line naming HTTP that is no request line
	// ahead holds server bytes captured before any client byte that
	// acknowledge client bytes: the request they answer may come later in
	// the capture (segments captured out of order), and only then does it
	// show whether it did. Contiguous, at most maxEarly bytes.
	ahead    []earlyChunk
	aheadLen int
	noAhead  bool // server bytes were dropped: hold no more
	// seg describes the bytes being fed when they come straight from TCP
	// (not from TLS or a tunnel): their stream offset and what the packet
	// acknowledged of the other direction.
	seg segInfo
	// wire is, for the plaintext of a TLS connection (seg not ok), the
	// TCP packet whose record gave it: its offset and ACK place the
	// plaintext among the other side's bytes (see holdAhead).
	wire segInfo
	// cut tells, by direction, that bytes before the first ones fed were
	// not captured (a capture begun mid-connection, bytes lost at the
	// start): the client's first bytes may be the end of a request.
	cut [2]bool
	// srvDropped: server bytes were dropped while the protocol was not
	// known, so the next ones may begin inside a response.
	srvDropped bool
	// frag is the end of a request whose start the capture missed,
	// skipped while looking for the next request (skipClient).
	frag *fragment
	gaps int // lost-byte notes while the protocol was not known
	// orphan is the frame of the first status line the server sent while
	// the protocol was not known (orphanStatus its code): a connection
	// that never shows a request still carried HTTP.
	orphan       int
	orphanStatus string
}

// firstLineOf is b's first line without its CRLF, "" when b holds none.
func firstLineOf(b []byte) []byte {
	i := bytes.IndexByte(b[:min(len(b), 8192)], '\n')
	if i < 0 {
		return nil
	}
	return bytes.TrimSuffix(b[:i], []byte("\r"))
}

// carriedHTTP tells that a connection whose protocol was never settled
// showed HTTP all the same: the end of a request, or a response, whose
// counterpart the capture missed (noted at close).
func (s *session) carriedHTTP() bool {
	return s.frag != nil && s.frag.http || s.orphan > 0
}

// fragment is what a session skipped of a client stream that began
// inside a request: never read as a request, since its method and target
// were not captured.
type fragment struct {
	frame int   // the first packet of the skipped bytes
	n     int64 // bytes skipped
	// answered: server bytes came (and were dropped) after the skipped
	// bytes' end: the missed request's response, most likely.
	answered bool
	// http: the skipped bytes named HTTP (a version, a header field).
	http bool
}

// wireInfo is where the bytes being fed came from on the wire: seg, or
// for TLS plaintext the packet that completed their record.
func (s *session) wireInfo() segInfo {
	if s.seg.ok {
		return s.seg
	}
	return s.wire
}

// segInfo places fed bytes in their TCP stream: off is the stream offset
// of the first byte (lost bytes counted), ack the offset of the other
// direction the packet acknowledged (-1 when unknown). ok is false for
// bytes that do not come straight from TCP.
type segInfo struct {
	off, ack int64
	ok       bool
}

func newSession(out sink, conn, scheme string, inTLS bool) *session {
	return &session{out: out, conn: conn, scheme: scheme, inTLS: inTLS}
}

// looksLikeRequest reports whether b starts an HTTP/1.x request line: an
// upper-case method token, a space and, when the line is complete, an
// HTTP version at its end. Without a version (HTTP/0.9, or a line not
// complete yet) the method must be one HTTP knows, so that "HELO host" in
// an SMTP stream is not taken for a request.
func looksLikeRequest(b []byte) bool {
	n := 0
	for n < len(b) && n < 24 && (b[n] >= 'A' && b[n] <= 'Z' || b[n] == '_' || b[n] == '-') {
		n++
	}
	if n < 3 || n == len(b) {
		return false
	}
	known := httpMethods[string(b[:n])]
	if b[n] == '\r' || b[n] == '\n' {
		return known // "OPTIONS" alone
	}
	if b[n] != ' ' || n+1 == len(b) || b[n+1] == ' ' || b[n+1] == '\r' || b[n+1] == '\n' {
		return false
	}
	end := bytes.IndexByte(b[:min(len(b), 8192)], '\n')
	if end < 0 {
		return known
	}
	line := bytes.TrimRight(b[:end], "\r")
	if sp := bytes.LastIndexByte(line, ' '); sp > n && bytes.HasPrefix(line[sp+1:], []byte("HTTP/")) {
		return true
	}
	return known
}

// badRequestLine reports whether b starts with a line that names an HTTP
// version but is no request line ("GET/HTTP/1.1", "OPTIONSHTTP/1.1"):
// printable, complete, at most 8 KiB.
func badRequestLine(b []byte) bool {
	end := bytes.IndexByte(b[:min(len(b), 8192)], '\n')
	if end <= 0 {
		return false
	}
	line := bytes.TrimSuffix(b[:end], []byte("\r"))
	for _, c := range line {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return bytes.Contains(line, []byte("HTTP/"))
}

// httpMethods are the methods Wireshark's HTTP dissector knows (RFC 9110,
// WebDAV, CalDAV, UPnP, RPC over HTTP) plus QUERY.
var httpMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "OPTIONS": true, "TRACE": true,
	"CONNECT": true, "PATCH": true, "QUERY": true, "PROPFIND": true, "PROPPATCH": true, "MKCOL": true,
	"COPY": true, "MOVE": true, "LOCK": true, "UNLOCK": true, "SEARCH": true, "REPORT": true,
	"CHECKOUT": true, "CHECKIN": true, "UNCHECKOUT": true, "MERGE": true, "MKACTIVITY": true,
	"VERSION-CONTROL": true, "BASELINE-CONTROL": true, "MKWORKSPACE": true, "LABEL": true, "UPDATE": true,
	"ORDERPATCH": true, "ACL": true, "BIND": true, "UNBIND": true, "REBIND": true, "LINK": true,
	"UNLINK": true, "MKCALENDAR": true, "NOTIFY": true, "SUBSCRIBE": true, "UNSUBSCRIBE": true,
	"M-SEARCH": true, "CCM_POST": true, "RPC_IN_DATA": true, "RPC_OUT_DATA": true, "POLL": true,
}

func looksLikeResponse(b []byte) bool {
	return bytes.HasPrefix(b, []byte("HTTP/1.")) || len(b) < 7 && bytes.HasPrefix([]byte("HTTP/1."), b) && len(b) > 0
}

func (s *session) note(kind model.NoteKind, frame int, format string, args ...any) {
	s.noteLimit("", kind, frame, format, args...)
}

// noteLimit is note for damage caused by a configurable bound (l), if any.
func (s *session) noteLimit(l model.Limit, kind model.NoteKind, frame int, format string, args ...any) {
	s.out.note(model.Note{Kind: kind, Ref: frameRef(frame), Message: "tcp " + s.conn + ": " + fmt.Sprintf(format, args...), Limit: l, Conn: s.conn})
}

func (s *session) feed(dir Dir, data []byte, frame int, t time.Time) {
	if len(data) == 0 {
		return
	}
	if s.mode == modeDetect {
		if dir == ServerToClient {
			if s.orphan == 0 && startLineOK(firstLineOf(data), ServerToClient) {
				s.orphan, s.orphanStatus = frame, string(data[9:12])
			}
			// Hold server bytes while client bytes wait for the protocol
			// to show, or at the start of a tunnel, where the two sides'
			// first bytes reach us in either order.
			if len(s.early) > 0 || s.tunneled && s.earlyLen < maxEarly {
				s.early = append(s.early, earlyChunk{dir: dir, data: bytes.Clone(data), frame: frame, t: t, seg: s.seg})
				s.earlyLen += len(data)
			} else if !s.tunneled && len(s.held) == 0 {
				s.holdAhead(data, frame, t)
			}
			if len(s.held) > 0 && len(s.early) == 0 && looksLikeResponse(data) {
				// The server answered a request line HTTP/1 could not
				// read: a malformed request, kept as an exchange.
				held := s.held
				s.held = nil
				s.mode = modeHTTP1
				s.h1 = newH1Conn(s)
				seg := s.seg
				for _, c := range held {
					s.seg = c.seg
					s.feed(c.dir, c.data, c.frame, c.t)
				}
				s.seg = seg
				s.feed(dir, data, frame, t)
			}
			return // otherwise a response to a request the capture missed
		}
		s.detect(data, frame, t)
		return
	}
	switch s.mode {
	case modeHTTP1:
		s.h1.feed(dir, data, frame, t)
		if s.mode == modeH2 { // upgraded to h2c meanwhile
			s.collectH2()
		}
	case modeH2:
		s.h2.Feed(dir, data, frame, t)
		s.collectH2()
	case modeTLS:
		s.tls.feed(dir, data, frame, t)
	case modeTunnel:
		s.tunnel.feed(dir, data, frame, t)
	case modeDNS:
		if dir == ServerToClient {
			s.dns.feed(data, frame, s.out)
		}
	}
}

// undecided tells whether b, the start of a client stream, may still
// become a request line, a TLS record or the HTTP/2 preface: it is a
// prefix of one, or a request line whose end has not arrived.
func undecided(b []byte) bool {
	if bytes.HasPrefix([]byte(h2Preface), b) || len(b) < 3 && (len(b) == 0 || b[0] == 0x16 || b[0] == 0x17) {
		return true
	}
	n := 0
	for n < len(b) && (b[n] >= 'A' && b[n] <= 'Z' || b[n] == '_' || b[n] == '-') {
		n++
	}
	if n == len(b) {
		return n < 24 // a method still arriving
	}
	if n < 3 || b[n] != ' ' {
		return false
	}
	return bytes.IndexByte(b, '\n') < 0 && len(b) < 8192
}

// detect recognizes the protocol from the client's first bytes, holding
// back a few tiny segments until they can tell.
func (s *session) detect(data []byte, frame int, t time.Time) {
	s.early = append(s.early, earlyChunk{dir: ClientToServer, data: bytes.Clone(data), frame: frame, t: t, seg: s.seg, wire: s.wireInfo()})
	s.earlyLen += len(data)
	head := make([]byte, 0, 64)
	for _, c := range s.early {
		if c.dir == ClientToServer {
			head = append(head, c.data...)
		}
	}
	if undecided(head) && s.earlyLen < maxEarly {
		return
	}
	early := s.early
	s.early, s.earlyLen = nil, 0
	ahead := s.ahead
	s.ahead, s.aheadLen, s.noAhead = nil, 0, true
	switch {
	case bytes.HasPrefix(head, []byte(h2Preface)):
		s.mode = modeH2
		s.h2 = NewH2Conn(s.conn, s.scheme, s.out.limits())
		s.h2.SkipBody, s.h2.SkipResponse = s.out.skipBody(), s.out.skipResponse()
		early = s.afterClient(early, ahead)
	case !s.inTLS && looksLikeTLS(head):
		s.mode = modeTLS
		s.tls = newTLSState(s)
		early = s.afterClient(early, ahead)
	case looksLikeRequest(head) && !(s.cut[ClientToServer] && methodTail(head[:max(0, bytes.IndexByte(head, ' '))])):
		kept := answering(ahead, early[0].wire)
		if len(kept) < len(ahead) {
			s.dropServer()
		}
		early = append(kept, early...)
		s.startHTTP1(early)
	default:
		if len(ahead) > 0 {
			s.dropServer()
		}
		if s.cut[ClientToServer] {
			// The client stream's start was not captured: these bytes
			// end a request whose method and target are lost. Skip to
			// the next request rather than read them as one.
			i, v := requestStart(head)
			if j, w := tlsStart(head); w != startNo && (v == startNo || j < i) {
				// A TLS connection caught mid-record: from the next
				// record on it is TLS, whose layer says what it could
				// not read.
				early = s.skipClient(early, j, head)
				s.frag = nil
				if w == startYes {
					s.mode = modeTLS
					s.tls = newTLSState(s)
					break
				}
				for _, c := range early {
					s.earlyLen += len(c.data)
				}
				s.early = early
				return
			}
			if k, h := h2FrameStart(head, ClientToServer, 0); v == startNo && h == startYes {
				// HTTP/2 frames of a connection whose preface the capture
				// missed (it began late, or lost the bytes).
				early = s.skipClient(early, k, head)
				s.frag = nil
				s.mode = modeH2
				s.h2 = NewH2Conn(s.conn, s.scheme, s.out.limits())
				s.h2.SkipBody, s.h2.SkipResponse = s.out.skipBody(), s.out.skipResponse()
				s.h2.midStream(early[0].frame)
				break
			}
			early = s.skipClient(early, i, head)
			switch v {
			case startYes:
				s.startHTTP1(early)
			case startMore:
				for _, c := range early {
					s.earlyLen += len(c.data)
				}
				s.early = early
			}
			if v == startYes {
				break
			}
		} else if s.tries == 0 && badRequestLine(head) {
			// Held until the server shows whether it took this for
			// HTTP (a status line in answer).
			s.held = early
		} else {
			for _, c := range early {
				if c.dir == ServerToClient {
					s.dropServer()
				}
			}
		}
		s.tries++
		// A client stream that began inside a request may need more
		// segments to reach the next one (a long body): its bound is in
		// bytes.
		if s.tries >= detectTries && (s.frag == nil || s.frag.n >= maxEarly) {
			s.mode = modeIgnore
			s.held, s.early, s.earlyLen = nil, nil, 0
		}
		return
	}
	s.held = nil
	seg := s.seg
	for _, c := range early {
		s.seg = c.seg
		s.feed(c.dir, c.data, c.frame, c.t)
	}
	s.seg = seg
}

// afterClient places the server bytes held ahead that answer the
// client's first bytes (answering) after those, where the capture would
// have shown them: TLS needs the ServerHello after the ClientHello, HTTP/2
// reads each side on its own.
func (s *session) afterClient(early, ahead []earlyChunk) []earlyChunk {
	kept := answering(ahead, early[0].wire)
	if len(kept) < len(ahead) {
		s.dropServer()
	}
	if len(kept) == 0 {
		return early
	}
	i := 0
	for i < len(early) && early[i].dir == ClientToServer {
		i++
	}
	return slices.Concat(early[:i], kept, early[i:])
}

// startHTTP1 makes the connection HTTP/1, early being the chunks it will
// be fed first (the client's from a request start). After a skipped
// fragment (skipClient) its request is a placeholder for the responses,
// unless they were seen (and dropped) already.
func (s *session) startHTTP1(early []earlyChunk) {
	s.mode = modeHTTP1
	s.h1 = newH1Conn(s)
	if s.srvDropped || s.cut[ServerToClient] {
		// The server's next bytes may be inside a response.
		sd := s.h1.sides[ServerToClient]
		sd.resync, sd.cutStart = true, true
	}
	f := s.frag
	if f == nil {
		return
	}
	first := 0
	var off int64
	for _, c := range early {
		if c.dir == ClientToServer {
			first, off = c.frame, c.seg.off
			break
		}
	}
	s.note(model.NoteGap, f.frame, "the capture begins inside a request whose start it missed: %d bytes skipped, not read as a request; reading resumes at the request at frame %d", f.n, first)
	if !f.answered {
		c := s.h1
		c.cliUnsure, c.cliFrom, c.cliExact, c.cliCertain = true, off-f.n, false, true
	}
	s.frag = nil
}

// requestStart finds where in b, the client's first bytes, the first
// request after the first line starts: at a line start, a request line
// and a well-formed header section (startYes), or the beginning of one
// (startMore); startNo when none does, i then len(b).
func requestStart(b []byte) (int, startVerdict) {
	for i := bytes.IndexByte(b, '\n') + 1; i > 0 && i < len(b); {
		if v := plausibleStart(b[i:], ClientToServer, false); v != startNo {
			return i, v
		}
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return len(b), startNo
}

// tlsStart finds where in b, the client's first bytes, the first TLS
// record header is: a record type, version 3.1 to 3.3 and a legal
// length, whose record ends where b does or is followed by another such
// header (startYes), or ends past b (startMore); startNo when none is.
func tlsStart(b []byte) (int, startVerdict) {
	plausible := func(h []byte) (int, bool) {
		n := int(h[3])<<8 | int(h[4])
		return n, h[0] >= 0x14 && h[0] <= 0x17 && h[1] == 3 && h[2] >= 1 && h[2] <= 3 && n > 0 && n <= 1<<14+2048
	}
	for i := 0; i+5 <= len(b); i++ {
		n, ok := plausible(b[i:])
		if !ok {
			continue
		}
		switch next := i + 5 + n; {
		case next > len(b):
			return i, startMore
		case next == len(b):
			return i, startYes
		case next+5 <= len(b):
			if _, ok := plausible(b[next:]); ok {
				return i, startYes
			}
		}
	}
	return len(b), startNo
}

// skipClient drops the first n client bytes of early, the end of a
// request whose start the capture missed (head is every client byte of
// early), and the server bytes among them; it records them in s.frag and
// returns what is left.
func (s *session) skipClient(early []earlyChunk, n int, head []byte) []earlyChunk {
	if n == 0 {
		return early
	}
	f := s.frag
	if f == nil {
		f = &fragment{}
		s.frag = f
	}
	f.http = f.http || namesHTTP(head[:n])
	for len(early) > 0 {
		c := &early[0]
		if c.dir == ServerToClient {
			s.dropServer()
			early = early[1:]
			continue
		}
		if n == 0 {
			break
		}
		if f.frame == 0 {
			f.frame = c.frame
		}
		f.answered = false
		k := min(n, len(c.data))
		f.n += int64(k)
		n -= k
		if k == len(c.data) {
			early = early[1:]
			continue
		}
		c.data = c.data[k:]
		if c.seg.ok {
			c.seg.off += int64(k)
		}
	}
	return early
}

// dropServer records that server bytes were dropped before the protocol
// was known; after a skipped fragment they answer it.
func (s *session) dropServer() {
	s.srvDropped = true
	if s.frag != nil {
		s.frag.answered = true
	}
}

// namesHTTP reports whether b, bytes a session skipped, shows HTTP: a
// version, or a header field line ending in CRLF.
func namesHTTP(b []byte) bool {
	if bytes.Contains(b, []byte("HTTP/1.")) {
		return true
	}
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\r\n"))
		if !ok {
			return false
		}
		if colon := bytes.IndexByte(line, ':'); colon > 0 && colon+1 < len(line) && line[colon+1] == ' ' && !bytes.ContainsFunc(line[:colon], func(r rune) bool { return r > 0x7f || !isTokenByte(byte(r)) }) {
			return true
		}
		b = rest
	}
	return false
}

// holdAhead keeps server bytes that came before any client byte when they
// acknowledge client bytes (see session.ahead); other server bytes there
// answer requests the capture lost, and are dropped as before.
func (s *session) holdAhead(data []byte, frame int, t time.Time) {
	if s.noAhead {
		s.dropServer()
		return
	}
	seg, wire := s.seg, s.wireInfo()
	contiguous := len(s.ahead) == 0 || !seg.ok || func() bool {
		last := s.ahead[len(s.ahead)-1]
		return last.seg.off+int64(len(last.data)) == seg.off
	}()
	if !wire.ok || wire.ack <= 0 || !contiguous || s.aheadLen+len(data) > maxEarly {
		// Bytes the parser will never see: anything held would be
		// followed by a hole it could not tell.
		s.ahead, s.aheadLen, s.noAhead = nil, 0, true
		s.dropServer()
		return
	}
	s.ahead = append(s.ahead, earlyChunk{dir: ServerToClient, data: bytes.Clone(data), frame: frame, t: t, seg: seg, wire: wire})
	s.aheadLen += len(data)
}

// answering is the server bytes held ahead that answer client bytes from
// first on, the client's first bytes in the capture (their packet on the
// wire): from the first chunk whose packet acknowledged client bytes past
// first's offset. Those before answer requests the capture lost.
func answering(ahead []earlyChunk, first segInfo) []earlyChunk {
	if !first.ok {
		return nil
	}
	for i, c := range ahead {
		if c.wire.ack > first.off {
			return ahead[i:]
		}
	}
	return nil
}

type earlyChunk struct {
	dir   Dir
	data  []byte
	frame int
	t     time.Time
	seg   segInfo
	wire  segInfo
}

func (s *session) collectH2() {
	for _, f := range s.h2.takeDone() {
		s.out.exchange(f)
	}
	for _, n := range s.h2.Notes() {
		n.Conn = s.conn
		s.out.note(n)
	}
}

// gap tells that n bytes of one side were lost before frame (0 when
// unknown), the first packet after them.
func (s *session) gap(dir Dir, n int, frame int) {
	if s.mode == modeDetect && dir == ServerToClient {
		// What is held ahead would be followed by a hole the parser
		// could not tell (plaintext of TLS has no offsets to show it).
		if len(s.ahead) > 0 {
			s.dropServer()
		}
		s.ahead, s.aheadLen, s.noAhead = nil, 0, true
	}
	switch s.mode {
	case modeDNS:
		if dir == ServerToClient {
			s.dns.dead = true // its framing is lost
		}
	case modeDetect:
		s.cut[dir] = true
		// (Inside TLS, the TLS layer said so.)
		if s.gaps++; !s.inTLS && s.gaps <= maxConnNotes {
			s.note(model.NoteGap, frame, "%d bytes lost in the %v stream before this frame", n, dir)
		}
	case modeHTTP1:
		s.h1.gap(dir, n, frame)
	case modeH2:
		s.h2.gapAt(dir, n, frame)
		s.collectH2()
	case modeTLS:
		s.tls.gap(dir, n, frame)
	case modeTunnel:
		s.tunnel.gap(dir, n, frame)
	}
}

// startCut tells that the capture missed the start of one side's stream
// (it began mid-connection): its first bytes may be inside a message.
func (s *session) startCut(dir Dir) {
	switch s.mode {
	case modeDetect:
		s.cut[dir] = true
	case modeHTTP1:
		if sd := s.h1.sides[dir]; len(sd.marks) == 0 && len(sd.gaps) == 0 {
			sd.resync, sd.cutStart = true, true
		}
	case modeTunnel:
		s.tunnel.startCut(dir)
	}
}

// eof tells that one side closed its stream (FIN or RST).
func (s *session) eof(dir Dir) {
	switch s.mode {
	case modeHTTP1:
		s.h1.eof(dir)
	case modeTunnel:
		s.tunnel.eof(dir)
	}
}

func (s *session) close() {
	if s.h1 != nil {
		s.h1.close()
	}
	if f := s.frag; f != nil && f.http {
		s.note(model.NoteGap, f.frame, "the capture begins inside a request whose start it missed: %d bytes skipped, not read as a request; no request starts after them", f.n)
	}
	if (s.mode == modeDetect || s.mode == modeIgnore) && s.orphan > 0 {
		s.note(model.NoteOrphan, s.orphan, "response %s without a request in the capture", s.orphanStatus)
	}
	switch s.mode {
	case modeH2:
		s.h2.Close()
		s.collectH2()
	case modeTLS:
		s.tls.close()
	case modeTunnel:
		s.tunnel.close()
	}
}

// lowest is the smallest frame where a request still in progress began, 0
// when none.
func (s *session) lowest() int {
	switch s.mode {
	case modeHTTP1:
		return s.h1.lowest()
	case modeH2:
		return s.h2.lowest()
	case modeTLS:
		return s.tls.lowest()
	case modeTunnel:
		return s.tunnel.lowest()
	}
	return 0
}

// switchToTunnel continues a connection after CONNECT was answered 2xx:
// the tunnel's content is recognized like a new connection's.
func (s *session) switchToTunnel() {
	s.mode = modeTunnel
	s.tunnel = newSession(s.out, s.conn, "http", s.inTLS)
	s.tunnel.tunneled = true
}

// maxEarly bounds the bytes held back before the protocol is known.
const maxEarly = 64 << 10

// switchToH2 continues an HTTP/1.1 connection upgraded to h2c (req, the
// upgraded request, nil when the capture did not show it).
func (s *session) switchToH2(req *model.Request, frame int, start time.Time) *H2Conn {
	s.mode = modeH2
	s.h2 = NewH2Conn(s.conn, s.scheme, s.out.limits())
	s.h2.SkipBody, s.h2.SkipResponse = s.out.skipBody(), s.out.skipResponse()
	if req != nil {
		s.h2.upgraded(req, frame, start)
	}
	return s.h2
}

// tlsState follows a TLS connection: decrypted through the decrypter when
// there is one, otherwise only counted and named by its SNI.
type tlsState struct {
	s       *session
	conn    TLSConn
	inner   *session
	hello   []byte
	sni     string
	sniDone bool
	bytes   [2]int64
	first   int
	// pendingClient is the first frame of client bytes fed since the last
	// client plaintext came out, 0 when none: a request may start there.
	pendingClient int
	// relayOf is the connection whose ClientHello this one's repeats byte
	// for byte (a byte-copying relay's connection: relayCopies.hello), ""
	// when none: the same TLS session, whose missing keys are said once.
	relayOf string
}

// helloSink is the sink that recognizes a TLS connection a relay copied
// by its ClientHello (Reader).
type helloSink interface {
	relayedHello(conn string, rec []byte, frame int, ts time.Time) string
}

func newTLSState(s *session) *tlsState {
	t := &tlsState{s: s}
	if d := s.out.decrypter(); d != nil {
		t.conn = d.NewConn("tcp " + s.conn)
		t.inner = newSession(s.out, s.conn, "https", true)
	}
	return t
}

// maxHello bounds the bytes kept to find the SNI in a ClientHello.
const maxHello = 16 << 10

func (t *tlsState) feed(dir Dir, data []byte, frame int, ts time.Time) {
	if t.first == 0 {
		t.first = frame
	}
	t.bytes[dir] += int64(len(data))
	if dir == ClientToServer && !t.sniDone {
		t.hello = append(t.hello, data[:min(len(data), maxHello-len(t.hello))]...)
		t.sni, t.sniDone = clientHelloSNI(t.hello)
		if hs, ok := t.s.out.(helloSink); ok && t.sniDone && len(t.hello) >= 6 && t.hello[0] == 0x16 && t.hello[5] == 1 {
			if n := 5 + int(t.hello[3])<<8 | int(t.hello[4]); n <= len(t.hello) {
				t.relayOf = hs.relayedHello(t.s.conn, t.hello[:n], t.first, ts)
			}
		}
		if t.sniDone || len(t.hello) >= maxHello {
			t.sniDone, t.hello = true, nil
		}
	}
	if t.conn == nil {
		return
	}
	if dir == ClientToServer && t.pendingClient == 0 {
		t.pendingClient = frame
	}
	t.conn.Feed(dir, data, frame, ts)
	t.drain()
}

func (t *tlsState) drain() {
	for _, p := range t.conn.Drain() {
		if p.Dir == ClientToServer {
			t.pendingClient = 0
		}
		t.inner.wire = t.s.seg
		t.inner.feed(p.Dir, p.Data, p.Frame, p.Time)
		t.inner.wire = segInfo{}
	}
}

func (t *tlsState) gap(dir Dir, n int, frame int) {
	t.s.note(model.NoteGap, frame, "%d bytes lost in the %v TLS stream before this frame", n, dir)
	// A decrypter that can resynchronize after lost bytes (pcap/tlsdec's
	// does) is told; others lose the rest of the direction.
	if g, ok := t.conn.(interface{ Gap(Dir, int) }); ok {
		g.Gap(dir, n)
	}
	if t.inner != nil {
		t.inner.gap(dir, n, frame)
	}
}

func (t *tlsState) close() {
	if t.conn == nil {
		name := t.sni
		if name == "" {
			name = "an unnamed server"
		}
		if t.relayOf != "" {
			t.s.out.note(t.relayNote(name))
			return
		}
		t.s.out.note(model.Note{Kind: model.NoteTLSNoKeys, Ref: frameRef(t.first), Host: t.sni, Conn: t.s.conn, Message: fmt.Sprintf(
			"tcp %s: TLS to %s not decrypted (no key log): %d bytes client→server, %d bytes server→client",
			t.s.conn, name, t.bytes[ClientToServer], t.bytes[ServerToClient])})
		return
	}
	t.conn.Close()
	t.drain()
	t.inner.close()
	for _, n := range t.conn.Notes() {
		n.Conn = t.s.conn
		if n.Kind == model.NoteTLSNoKeys && t.relayOf != "" {
			n = t.relayNote(cmp.Or(t.sni, "an unnamed server"))
		}
		t.s.out.note(n)
	}
}

// relayNote says that a connection a relay copied, whose TLS session is
// another connection's, is not decrypted: that connection's note counts.
func (t *tlsState) relayNote(name string) model.Note {
	return model.Note{Kind: model.NoteDuplicate, Ref: frameRef(t.first), Conn: t.s.conn, Message: fmt.Sprintf(
		"tcp %s: TLS to %s relayed from tcp %s (the same ClientHello within %v: a byte-copying relay between them), the same session, not decrypted either: %d bytes client→server, %d bytes server→client",
		t.s.conn, name, t.relayOf, relayWindow, t.bytes[ClientToServer], t.bytes[ServerToClient])}
}

func (t *tlsState) lowest() int {
	if t.conn == nil {
		return 0
	}
	low := t.inner.lowest()
	if t.pendingClient > 0 && (low == 0 || t.pendingClient < low) {
		low = t.pendingClient
	}
	return low
}

func (d Dir) String() string {
	if d == ClientToServer {
		return "client→server"
	}
	return "server→client"
}

func isUpgrade(h model.Headers, proto string) bool {
	for _, v := range h.Values("Upgrade") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), proto) {
				return true
			}
		}
	}
	return false
}

var _ = httpwire.ErrMalformed
