package pcap

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2/hpack"

	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap/quic"
)

// HTTP/3 (RFC 9114) frame and stream types read.
const (
	h3FrameData     = 0x00
	h3FrameHeaders  = 0x01
	h3FrameSettings = 0x04

	h3StreamControl = 0x00
	h3StreamEncoder = 0x02

	h3SettingTableCapacity = 0x01
)

const (
	// h3MaxKept bounds the body bytes kept for one connection's open
	// requests, as h2MaxKept does for HTTP/2.
	h3MaxKept = 16 << 20
	// h3MaxStreams bounds the requests tracked at once per connection.
	h3MaxStreams = 256
	// h3MaxControl bounds a control stream frame held whole.
	h3MaxControl = 64 << 10
	// h3MaxBlocked bounds the field sections held until the encoder
	// stream's inserts they need come.
	h3MaxBlocked = 64
	// h3MaxHeld bounds what the HTTP/3 of all connections holds at once:
	// frames not yet whole (header sections), QPACK tables and encoder
	// instructions.
	h3MaxHeld = 64 << 20
	// h3MaxOver bounds the finished request streams remembered.
	h3MaxOver = 4096
)

// h3Conn reads the HTTP/3 of one decrypted QUIC connection into
// exchanges, as H2Conn does for HTTP/2.
type h3Conn struct {
	conn   string
	out    sink
	limits model.Limits
	// held counts the bytes all connections hold (h3MaxHeld); shared.
	held *int
	full bool             // h3MaxHeld was reached: noted
	dec  [2]*qpackDecoder // dec[d] decodes the field sections side d sends
	uni  map[uint64]*h3Uni
	reqs map[uint64]*h3Stream
	// over holds the request streams already emitted (up to h3MaxOver):
	// bytes still coming on one (a body after an early answer) are not a
	// new request.
	over map[uint64]bool
	kept int64
	// blocked counts the field sections waiting for inserts.
	blocked int
	tooMany bool
	// lostHeaders counts requests whose headers the capture lost,
	// lostFrame the first packet after such a loss; badSections the
	// field sections that could not be decoded.
	lostHeaders, lostFrame int
	badSections, badFrame  int
	badErr                 error
	// orphans counts responses whose request the capture does not show,
	// orphanFrame the first.
	orphans, orphanFrame int
	// orphanWhy says why their requests are missing, when known better
	// than "not captured".
	orphanWhy string
	closing   bool
	// fieldsCut: header fields past the limits were dropped (noted once).
	fieldsCut bool
}

// h3Uni is a unidirectional stream: its type, then what it carries.
type h3Uni struct {
	dir  quic.Dir
	typ  int64 // -1 until read
	buf  []byte
	dead bool
}

type h3Stream struct {
	id       uint64
	side     [2]h3Side
	frame    int
	start    time.Time
	end      time.Time
	req      model.Request
	haveReq  bool
	resp     *model.Response
	reqBody  *httpwire.BodyBuilder
	respBody *httpwire.BodyBuilder
	reqEnded bool
	reserved int64
	skip     bool
	cut      [2]bool
	// noHeaders: the request's header section was lost or could not be
	// decoded: not an exchange.
	noHeaders bool
	done      bool
	respFrame int // the frame of the response's header section
}

// h3Side is one direction of a request stream.
type h3Side struct {
	buf      []byte
	pos      int64 // stream offset of buf[0] (or of the next byte when buf is empty)
	marks    []mark
	dataLeft uint64 // DATA payload still to come
	skipLeft uint64 // another frame's payload still to pass
	dead     bool   // framing lost: the rest is not read
	ended    bool
	// waiting: a HEADERS frame at buf's start needs entries the encoder
	// stream has not inserted yet.
	waiting bool
}

// newH3Conn starts reading a connection's HTTP/3; held is the count of
// bytes the HTTP/3 of all connections holds (nil: this one's own).
func newH3Conn(conn string, out sink, held *int) *h3Conn {
	if held == nil {
		held = new(int)
	}
	return &h3Conn{conn: conn, out: out, limits: out.limits(), held: held,
		dec: [2]*qpackDecoder{newQPACKDecoder(held), newQPACKDecoder(held)},
		uni: map[uint64]*h3Uni{}, reqs: map[uint64]*h3Stream{}}
}

func (c *h3Conn) note(kind model.NoteKind, frame int, format string, args ...any) {
	c.out.note(model.Note{Kind: kind, Ref: frameRef(frame), Conn: c.conn, Message: "quic " + c.conn + ": " + fmt.Sprintf(format, args...)})
}

// stream hands over bytes of a stream (quic.Handler.Stream).
func (c *h3Conn) stream(id uint64, dir quic.Dir, data []byte, fin bool, frame int, t time.Time) {
	switch id & 3 {
	case 0:
		c.request(id, dir, data, fin, frame, t)
	case 2, 3:
		c.uniData(id, dir, data)
	}
}

func (c *h3Conn) uniData(id uint64, dir quic.Dir, data []byte) {
	u := c.uni[id]
	if u == nil {
		if len(c.uni) >= 64 {
			return
		}
		u = &h3Uni{dir: dir, typ: -1}
		c.uni[id] = u
	}
	if u.dead || len(data) == 0 {
		return
	}
	if u.typ < 0 {
		u.buf = append(u.buf, data...)
		v, n, ok := quic.Varint(u.buf)
		if !ok {
			return
		}
		u.typ = int64(v)
		data = u.buf[n:]
		u.buf = nil
	}
	switch u.typ {
	case h3StreamControl:
		u.buf = append(u.buf, data...)
		c.control(u)
	case h3StreamEncoder:
		if err := c.dec[dir].feedEncoder(data); err != nil {
			u.dead = true
			c.note(model.NoteMalformed, 0, "QPACK encoder stream of the %s unreadable: %v", sideName(dir), err)
			return
		}
		c.unblock()
	default:
		u.dead = true // decoder, push and unknown streams are not read
	}
}

// control reads the control stream's frames; SETTINGS says the dynamic
// table capacity the sender's decoder allows, the capacity the other
// side's encoder may use.
func (c *h3Conn) control(u *h3Uni) {
	for {
		typ, n1, ok := quic.Varint(u.buf)
		if !ok {
			return
		}
		l, n2, ok := quic.Varint(u.buf[n1:])
		if !ok {
			return
		}
		if l > h3MaxControl {
			u.dead, u.buf = true, nil
			return
		}
		if uint64(len(u.buf)-n1-n2) < l {
			return
		}
		payload := u.buf[n1+n2 : n1+n2+int(l)]
		if typ == h3FrameSettings {
			for len(payload) > 0 {
				id, a, ok := quic.Varint(payload)
				if !ok {
					break
				}
				v, b, ok := quic.Varint(payload[a:])
				if !ok {
					break
				}
				payload = payload[a+b:]
				if id == h3SettingTableCapacity {
					c.dec[1-u.dir].maxCap = int64(min(v, qpackMaxCapacity))
				}
			}
		}
		u.buf = u.buf[n1+n2+int(l):]
	}
}

func sideName(dir quic.Dir) string {
	if dir == quic.ClientToServer {
		return "client"
	}
	return "server"
}

// request reads bytes of a request stream.
func (c *h3Conn) request(id uint64, dir quic.Dir, data []byte, fin bool, frame int, t time.Time) {
	st := c.reqs[id]
	if st == nil {
		if dir == quic.ServerToClient && len(data) == 0 || c.over[id] {
			return
		}
		if len(c.reqs) >= h3MaxStreams {
			if !c.tooMany {
				c.tooMany = true
				c.note(model.NoteLimit, frame, "more than %d requests open at once; later ones skipped", h3MaxStreams)
			}
			return
		}
		st = &h3Stream{id: id}
		c.reqs[id] = st
	}
	if st.done {
		return
	}
	s := &st.side[dir]
	if len(data) > 0 {
		s.marks = append(s.marks, mark{off: s.pos + int64(len(s.buf)), frame: frame, t: t})
		c.parse(st, dir, data)
	}
	if fin {
		s.ended = true
		c.sideEnded(st, dir, t)
	}
}

// parse reads frames from a side's bytes.
func (c *h3Conn) parse(st *h3Stream, dir quic.Dir, data []byte) {
	s := &st.side[dir]
	if s.dead {
		return
	}
	for len(data) > 0 && len(s.buf) == 0 && !s.waiting {
		// Payload bytes pass without being buffered.
		switch {
		case s.dataLeft > 0:
			n := min(s.dataLeft, uint64(len(data)))
			c.body(st, dir, data[:n])
			s.dataLeft -= n
			s.pos += int64(n)
			data = data[n:]
			continue
		case s.skipLeft > 0:
			n := min(s.skipLeft, uint64(len(data)))
			s.skipLeft -= n
			s.pos += int64(n)
			data = data[n:]
			continue
		}
		break
	}
	if len(data) == 0 {
		c.pruneMarks(s)
		return
	}
	if *c.held+len(data) > h3MaxHeld {
		if !c.full {
			c.full = true
			frame, _ := lookupMark(s.marks, s.pos+int64(len(s.buf)))
			c.note(model.NoteLimit, frame, "HTTP/3 of all connections holds more than %d MiB; stream %d and others like it are not read", h3MaxHeld>>20, st.id)
		}
		c.lose(st, dir)
		return
	}
	*c.held += len(data)
	s.buf = append(s.buf, data...)
	c.frames(st, dir)
}

// frames reads the frames in a side's buffer.
func (c *h3Conn) frames(st *h3Stream, dir quic.Dir) {
	s := &st.side[dir]
	for len(s.buf) > 0 && !s.dead && !s.waiting {
		if s.dataLeft > 0 || s.skipLeft > 0 {
			n := min(s.dataLeft+s.skipLeft, uint64(len(s.buf)))
			if s.dataLeft > 0 {
				c.body(st, dir, s.buf[:n])
				s.dataLeft -= n
			} else {
				s.skipLeft -= n
			}
			c.consume(s, int(n))
			continue
		}
		typ, n1, ok := quic.Varint(s.buf)
		if !ok {
			break
		}
		l, n2, ok := quic.Varint(s.buf[n1:])
		if !ok {
			break
		}
		switch typ {
		case h3FrameData:
			c.consume(s, n1+n2)
			s.dataLeft = l
		case h3FrameHeaders:
			if l > uint64(c.limits.HeaderBytes) {
				c.note(model.NoteLimit, c.frameOf(s), "a header section of %d bytes on stream %d is above the %d-byte limit; the stream is not read", l, st.id, c.limits.HeaderBytes)
				c.lose(st, dir)
				return
			}
			if uint64(len(s.buf)-n1-n2) < l {
				return // wait for the whole section
			}
			frame, t := lookupMark(s.marks, s.pos)
			block := s.buf[n1+n2 : n1+n2+int(l)]
			fields, err := c.dec[dir].decode(block, c.limits.HeaderCount)
			if errors.Is(err, errQPACKBlocked) {
				if c.blocked >= h3MaxBlocked {
					err = fmt.Errorf("more than %d field sections wait for the encoder stream", h3MaxBlocked)
				} else {
					s.waiting = true
					c.blocked++
					return
				}
			}
			c.consume(s, n1+n2+int(l))
			if err != nil {
				c.badSection(st, dir, frame, err)
				continue
			}
			c.headers(st, dir, fields, frame, t)
		default:
			// Other frames (reserved, PUSH_PROMISE, unknown) are passed
			// over by their length.
			c.consume(s, n1+n2)
			s.skipLeft = l
		}
	}
	c.pruneMarks(s)
}

// frameOf is the frame of a side's next unread byte.
func (c *h3Conn) frameOf(s *h3Side) int {
	f, _ := lookupMark(s.marks, s.pos)
	return f
}

func (c *h3Conn) consume(s *h3Side, n int) {
	*c.held -= n
	s.buf = s.buf[n:]
	s.pos += int64(n)
	if len(s.buf) == 0 {
		s.buf = nil
	}
}

// pruneMarks drops the marks before the one of the next unread byte.
func (c *h3Conn) pruneMarks(s *h3Side) {
	i := 0
	for i+1 < len(s.marks) && s.marks[i+1].off <= s.pos {
		i++
	}
	if i > 0 {
		s.marks = slices.Delete(s.marks, 0, i)
	}
}

// unblock reads the field sections that waited for the encoder stream.
func (c *h3Conn) unblock() {
	if c.blocked == 0 {
		return
	}
	for _, id := range c.sortedReqs() {
		st := c.reqs[id]
		for d := range st.side {
			if s := &st.side[d]; s.waiting {
				s.waiting = false
				c.blocked--
				c.frames(st, quic.Dir(d))
				if s.ended && !s.waiting {
					c.sideEnded(st, quic.Dir(d), time.Time{})
				}
			}
		}
	}
}

func (c *h3Conn) sortedReqs() []uint64 {
	ids := make([]uint64, 0, len(c.reqs))
	for id := range c.reqs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// badSection records a field section that could not be decoded.
func (c *h3Conn) badSection(st *h3Stream, dir quic.Dir, frame int, err error) {
	if c.badSections == 0 {
		c.badFrame, c.badErr = frame, err
	}
	c.badSections++
	if dir == quic.ClientToServer && !st.haveReq {
		st.noHeaders = true
	}
}

// lose gives up reading a side: its framing is lost.
func (c *h3Conn) lose(st *h3Stream, dir quic.Dir) {
	s := &st.side[dir]
	*c.held -= len(s.buf)
	s.dead, s.buf, s.dataLeft, s.skipLeft = true, nil, 0, 0
	if s.waiting {
		s.waiting = false
		c.blocked--
	}
	st.cut[dir] = true
	if dir == quic.ClientToServer && !st.haveReq {
		st.noHeaders = true
	}
}

// gap is n bytes of a stream the capture lost (quic.Handler.Gap).
func (c *h3Conn) gap(id uint64, dir quic.Dir, n uint64, frame int) {
	if id&3 != 0 {
		if u := c.uni[id]; u != nil && u.typ == h3StreamEncoder && !u.dead {
			u.dead = true
			c.dec[dir].broken = errors.New("bytes of the encoder stream were not captured")
		}
		return
	}
	st := c.reqs[id]
	if st == nil {
		if dir == quic.ServerToClient || c.over[id] {
			return
		}
		st = &h3Stream{id: id}
		c.reqs[id] = st
	}
	if st.done {
		return
	}
	s := &st.side[dir]
	if s.dead {
		return
	}
	if dir == quic.ClientToServer && !st.haveReq && c.lostHeaders == 0 {
		c.lostFrame = frame
	}
	// Lost bytes inside a DATA frame leave the framing intact.
	if len(s.buf) == 0 && !s.waiting && (s.dataLeft >= n || s.skipLeft >= n) {
		if s.dataLeft >= n {
			s.dataLeft -= n
			st.cut[dir] = true
		} else {
			s.skipLeft -= n
		}
		s.pos += int64(n)
		return
	}
	if dir == quic.ClientToServer && !st.haveReq {
		c.lostHeaders++
	}
	c.lose(st, dir)
}

// reset is a side abandoning its direction of a stream.
func (c *h3Conn) reset(id uint64, dir quic.Dir, t time.Time) {
	st := c.reqs[id]
	if st == nil || st.done {
		return
	}
	st.cut[dir] = true
	st.side[dir].ended = true
	if dir == quic.ServerToClient {
		st.end = t
		c.finish(st, true)
		return
	}
	if st.side[quic.ServerToClient].ended {
		c.finish(st, true)
	}
}

// sideEnded handles a side's FIN.
func (c *h3Conn) sideEnded(st *h3Stream, dir quic.Dir, t time.Time) {
	s := &st.side[dir]
	if s.waiting {
		return // the section waiting for inserts comes first
	}
	if (len(s.buf) > 0 || s.dataLeft > 0 || s.skipLeft > 0) && !s.dead {
		st.cut[dir] = true // the stream ended inside a frame
	}
	if dir == quic.ClientToServer {
		st.reqEnded = true
		if st.side[quic.ServerToClient].ended && !st.side[quic.ServerToClient].waiting {
			c.finish(st, false)
		}
		return
	}
	if !t.IsZero() {
		st.end = t
	}
	if !st.haveReq && !st.noHeaders && !c.closing {
		// The request may come later in the capture (its packets
		// captured after the response's).
		return
	}
	c.finish(st, false)
}

func (c *h3Conn) headers(st *h3Stream, dir quic.Dir, fields []hpack.HeaderField, frame int, t time.Time) {
	if dir == quic.ClientToServer {
		if !st.haveReq {
			st.haveReq = true
			st.frame, st.start = frame, t
			st.req = requestOf(c.fit(fields, nil, st.id, frame), "https", "HTTP/3") // HTTP/3 is https
		} else {
			st.req.Headers = append(st.req.Headers, headerList(c.fit(fields, st.req.Headers, st.id, frame))...) // trailers
		}
		return
	}
	st.end = t
	if st.resp != nil {
		st.resp.Headers = append(st.resp.Headers, headerList(c.fit(fields, st.resp.Headers, st.id, frame))...) // trailers
		return
	}
	fields = c.fit(fields, nil, st.id, frame)
	status := 0
	for _, f := range fields {
		if f.Name == ":status" {
			status, _ = strconv.Atoi(f.Value)
		}
	}
	if status >= 100 && status < 200 {
		return // interim response
	}
	st.resp = &model.Response{Status: status, Proto: "HTTP/3", Headers: headerList(fields)}
	st.respFrame = frame
	st.skip = c.skipResponse(st)
}

// fit is the part of a field section's fields that a message with the
// headers have can still take (fitFields); the first cut of the
// connection is noted.
func (c *h3Conn) fit(fields []hpack.HeaderField, have model.Headers, id uint64, frame int) []hpack.HeaderField {
	kept, limit := fitFields(fields, have, c.limits)
	if limit != "" && !c.fieldsCut {
		c.fieldsCut = true
		c.out.note(model.Note{Kind: model.NoteLimit, Limit: limit, Ref: frameRef(frame), Conn: c.conn,
			Message: "quic " + c.conn + ": " + fieldsCutMessage(len(fields)-len(kept), id, limit, c.limits)})
	}
	return kept
}

func (c *h3Conn) skipResponse(st *h3Stream) bool {
	sb, sr := c.out.skipBody(), c.out.skipResponse()
	skip := sb != nil && sb(mimeOf(st.resp.Headers))
	if sr == nil || !st.haveReq {
		return skip
	}
	resp := *st.resp
	resp.Body.MIMEType = mimeOf(resp.Headers)
	gate := sr(&st.req, &resp)
	return skip || gate && st.reqEnded && st.reqBody == nil
}

func (c *h3Conn) newBody(st *h3Stream) *httpwire.BodyBuilder {
	allow := max(1, min(c.limits.BodyBytes, h3MaxKept-c.kept))
	c.kept += allow
	st.reserved += allow
	l := c.limits
	l.BodyBytes = allow
	return httpwire.NewBodyBuilder(httpwire.Options{Limits: l})
}

func (c *h3Conn) body(st *h3Stream, dir quic.Dir, data []byte) {
	if dir == quic.ClientToServer {
		if st.reqBody == nil {
			st.reqBody = c.newBody(st)
		}
		st.reqBody.Write(data)
		return
	}
	if st.respBody == nil {
		st.respBody = c.newBody(st)
		if st.skip {
			st.respBody.Skip()
		}
	}
	st.respBody.Write(data)
}

// finish emits a stream's exchange; cut tells that it ended abnormally.
func (c *h3Conn) finish(st *h3Stream, cut bool) {
	if st.done {
		return
	}
	st.done = true
	c.kept -= st.reserved
	for d := range st.side {
		if st.side[d].waiting {
			st.side[d].waiting = false
			c.blocked--
		}
		*c.held -= len(st.side[d].buf)
		st.side[d].buf = nil
	}
	delete(c.reqs, st.id)
	if c.over == nil || len(c.over) >= h3MaxOver {
		c.over = map[uint64]bool{}
	}
	c.over[st.id] = true
	if !st.haveReq {
		if st.resp != nil && !st.noHeaders {
			if c.orphans++; c.orphanFrame == 0 {
				c.orphanFrame = st.respFrame
			}
		}
		return
	}
	ex := &model.Exchange{Ref: frameRef(st.frame), Start: st.start, End: st.end, Request: st.req, Conn: c.conn}
	if ex.End.IsZero() {
		ex.End = st.start
	}
	reqCut := cut && !st.reqEnded || st.cut[quic.ClientToServer]
	if st.reqBody != nil {
		ex.Request.Body = st.reqBody.Body(st.req.Headers, reqCut)
	} else if reqCut {
		ex.Request.Body.Truncated = true
	}
	ex.Request.Body.MIMEType = mimeOf(st.req.Headers)
	if st.resp != nil {
		ex.Response = st.resp
		respCut := cut || st.cut[quic.ServerToClient]
		if st.respBody != nil {
			ex.Response.Body = st.respBody.Body(st.resp.Headers, respCut)
		} else if respCut {
			ex.Response.Body.Truncated = true
		}
		ex.Response.Body.MIMEType = mimeOf(st.resp.Headers)
	}
	if strings.EqualFold(st.req.Method, "CONNECT") {
		ex.Tunnel = true
	}
	c.out.exchange(finished{ex: ex, frame: st.frame})
}

// close ends the connection: open requests are emitted as they are.
func (c *h3Conn) close() {
	c.closing = true
	for _, id := range c.sortedReqs() {
		c.finish(c.reqs[id], true)
	}
	for _, d := range c.dec {
		d.release()
	}
	if c.lostHeaders > 0 {
		c.note(model.NoteGap, c.lostFrame, "%s not read: the start of their request stream (its headers) was not captured", count(c.lostHeaders, "HTTP/3 request"))
	}
	if c.orphans > 0 {
		c.note(model.NoteOrphan, c.orphanFrame, "%s without a request in the capture (%s)", count(c.orphans, "HTTP/3 response"), cmp.Or(c.orphanWhy, "its packets were not captured"))
	}
	if c.badSections > 0 {
		c.note(model.NoteMalformed, c.badFrame, "%s could not be decoded (%v); their requests or responses are left out", count(c.badSections, "header section"), c.badErr)
	}
}

// lowest is the smallest frame where a request still in progress began,
// 0 when none.
func (c *h3Conn) lowest() int {
	low := 0
	for _, st := range c.reqs {
		if st.haveReq && (low == 0 || st.frame < low) {
			low = st.frame
		}
	}
	return low
}
