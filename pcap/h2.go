package pcap

import (
	"bytes"
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/model"
)

// h2Preface is what an HTTP/2 client sends first (RFC 9113 section 3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

const (
	// h2MaxFrame bounds one buffered frame. Peers may allow 16 MiB frames,
	// but real ones stay far below; a larger frame ends the parse.
	h2MaxFrame = 1 << 20
	// h2MaxStreams bounds the streams tracked at once per connection.
	h2MaxStreams = 256
	// h2MaxKept bounds the body bytes kept for one connection's open
	// streams; bodies beyond it are counted but not kept (Truncated).
	h2MaxKept = 16 << 20
	// h2MaxTable bounds the HPACK dynamic table a SETTINGS frame may allow.
	h2MaxTable = 1 << 20
	// h2MaxErrors is how many bad frames a connection may have before the
	// parse gives up on it.
	h2MaxErrors = 10
)

// H2Conn parses one HTTP/2 connection (cleartext h2c or decrypted h2) from
// its two byte streams into exchanges, one per stream. Feed it each side's
// bytes in order with the frame number and time of the packet (or TLS
// record) that carried them; take finished exchanges with Exchanges.
type H2Conn struct {
	conn   string
	scheme string
	limits model.Limits

	side    [2]h2Side
	streams map[uint32]*h2Stream
	done    []finished
	notes   []model.Note
	errors  int
	kept    int64 // body bytes reserved by open streams
	// SkipBody, when set, says which response bodies to count without
	// keeping or decoding them (see Options.SkipBody).
	SkipBody func(mimeType string) bool
	// SkipResponse, when set, is asked once a response's header block
	// ends, body or not; its answer counts for a request that ended
	// without a body (see Options.SkipResponse).
	SkipResponse func(req *model.Request, resp *model.Response) bool
	closing      bool
	dead         bool
	tooMany      bool
}

// finished is a complete exchange and the frame where its request began.
type finished struct {
	ex    *model.Exchange
	frame int
}

type h2Side struct {
	buf      []byte
	base     int64 // stream offset of buf[0]
	marks    []mark
	preface  bool // the client preface is still expected
	dec      *hpack.Decoder
	fr       *http2.Framer
	frameBuf bytes.Reader
	// block collects a header block split over CONTINUATION frames.
	block      []byte
	blockID    uint32
	blockEnd   bool // END_STREAM was on the HEADERS frame
	blockPush  bool
	blockFrame int
	blockTime  time.Time
	// lost is set once bytes of this direction were lost: its HPACK
	// state is gone, so nothing more of it is read.
	lost      bool
	lostFrame int
}

type h2Stream struct {
	id       uint32
	frame    int
	start    time.Time
	end      time.Time
	req      model.Request
	reqBody  *httpwire.BodyBuilder
	reqEnded bool
	resp     *model.Response
	respBody *httpwire.BodyBuilder
	haveReq  bool
	respDone bool // the response ended before its request was seen
	reserved int64
	skip     bool // count the response body without keeping it (skipResponse)
}

// stream returns the state of a stream, starting it when new. A response
// may be seen before its request when the capture delivers the two
// directions out of step; it then waits for the request. nil means the
// stream limit was reached.
func (c *H2Conn) stream(id uint32, frame int) *h2Stream {
	if st := c.streams[id]; st != nil {
		return st
	}
	if id == 0 {
		return nil
	}
	if len(c.streams) >= h2MaxStreams {
		if !c.tooMany {
			c.note(model.NoteLimit, frame, "more than %d concurrent streams; later ones skipped", h2MaxStreams)
			c.tooMany = true
		}
		return nil
	}
	st := &h2Stream{id: id}
	c.streams[id] = st
	return st
}

// newBody starts a body within the connection's budget.
func (c *H2Conn) newBody(st *h2Stream) *httpwire.BodyBuilder {
	allow := max(1, min(c.limits.BodyBytes, h2MaxKept-c.kept))
	c.kept += allow
	st.reserved += allow
	l := c.limits
	l.BodyBytes = allow
	return httpwire.NewBodyBuilder(httpwire.Options{Limits: l})
}

// NewH2Conn starts an HTTP/2 connection parser. conn is the TCP 4-tuple
// the exchanges carry ("10.0.0.1:51234-10.0.0.2:443"), scheme is used when
// a request lacks :scheme.
func NewH2Conn(conn, scheme string, l model.Limits) *H2Conn {
	c := &H2Conn{conn: conn, scheme: scheme, limits: l.WithDefaults(), streams: map[uint32]*h2Stream{}}
	for i := range c.side {
		s := &c.side[i]
		s.dec = hpack.NewDecoder(4096, nil)
		s.dec.SetMaxStringLength(int(c.limits.HeaderBytes))
		s.fr = http2.NewFramer(nil, &s.frameBuf)
		s.fr.SetMaxReadFrameSize(h2MaxFrame)
	}
	c.side[ClientToServer].preface = true
	return c
}

// upgraded starts the connection after an HTTP/1.1 "Upgrade: h2c" request,
// which becomes stream 1 (RFC 7540 section 3.2).
func (c *H2Conn) upgraded(req *model.Request, frame int, start time.Time) {
	st := &h2Stream{id: 1, frame: frame, start: start, req: *req, haveReq: true, reqEnded: true}
	c.streams[1] = st
}

func (c *H2Conn) note(kind model.NoteKind, frame int, format string, args ...any) {
	c.notes = append(c.notes, model.Note{Kind: kind, Ref: frameRef(frame), Message: "tcp " + c.conn + ": http2: " + fmt.Sprintf(format, args...)})
}

// Feed adds the next bytes one side sent.
func (c *H2Conn) Feed(dir Dir, data []byte, frame int, t time.Time) {
	s := &c.side[dir]
	if c.dead || s.lost || len(data) == 0 {
		return
	}
	s.marks = append(s.marks, mark{off: s.base + int64(len(s.buf)), frame: frame, t: t})
	s.buf = append(s.buf, data...)
	c.parse(dir)
}

// Gap tells that n bytes of one side were lost: that direction's HPACK
// state is unknown from there on, so its parsing stops.
func (c *H2Conn) Gap(dir Dir, n int) { c.gapAt(dir, n, 0) }

// gapAt is Gap with the frame of the first packet after the lost bytes
// (0 when unknown). Each direction has its own HPACK context: the other
// one goes on (a server→client gap keeps the requests that follow, not
// their responses). Streams open or opened later lose the rest of what
// that direction sends; Close counts them.
func (c *H2Conn) gapAt(dir Dir, n int, frame int) {
	s := &c.side[dir]
	if c.dead || s.lost {
		return
	}
	before, _ := lookupMark(s.marks, s.base+int64(len(s.buf))-1)
	open := 0
	for _, st := range c.streams {
		if st.haveReq {
			open++
		}
	}
	where := ""
	if before > 0 {
		where = fmt.Sprintf(" after frame %d", before)
	}
	what := "responses"
	if dir == ClientToServer {
		what = "requests"
	}
	c.note(model.NoteGap, cmp.Or(frame, before), "%d bytes lost in the %v stream%s; its HPACK state is lost, so its frames are not read from here on: the %s of %s and of later ones are missing", n, dir, where, what, count(open, "open stream"))
	s.lost, s.lostFrame = true, cmp.Or(frame, before)
	s.buf, s.marks = nil, nil
}

func (c *H2Conn) stop() {
	c.dead = true
	for i := range c.side {
		c.side[i].buf, c.side[i].marks = nil, nil
	}
}

func (c *H2Conn) parse(dir Dir) {
	s := &c.side[dir]
	if s.preface {
		n := min(len(s.buf), len(h2Preface))
		if string(s.buf[:n]) != h2Preface[:n] {
			frame, _ := lookupMark(s.marks, s.base)
			c.note(model.NoteMalformed, frame, "client did not send the connection preface")
			c.stop()
			return
		}
		if n < len(h2Preface) {
			return
		}
		c.consume(s, len(h2Preface))
		s.preface = false
	}
	for !c.dead && len(s.buf) >= 9 {
		length := int(s.buf[0])<<16 | int(s.buf[1])<<8 | int(s.buf[2])
		frame, t := lookupMark(s.marks, s.base)
		if length > h2MaxFrame {
			c.note(model.NoteLimit, frame, "frame of %d bytes exceeds the %d-byte limit; parsing stops", length, h2MaxFrame)
			c.stop()
			return
		}
		if len(s.buf) < 9+length {
			return
		}
		s.frameBuf.Reset(s.buf[:9+length])
		f, err := s.fr.ReadFrame()
		if err != nil {
			c.errors++
			c.note(model.NoteMalformed, frame, "bad frame: %v", err)
			if c.errors >= h2MaxErrors {
				c.stop()
				return
			}
		} else {
			c.frame(dir, f, frame, t)
		}
		if !c.dead {
			c.consume(s, 9+length)
		}
	}
}

// consume drops n parsed bytes and the marks no longer needed.
func (c *H2Conn) consume(s *h2Side, n int) {
	s.buf = s.buf[n:]
	s.base += int64(n)
	i := 0
	for i+1 < len(s.marks) && s.marks[i+1].off <= s.base {
		i++
	}
	s.marks = s.marks[i:]
	if len(s.buf) == 0 {
		s.buf = s.buf[:0:0] // release the backing array between frames
	}
}

func (c *H2Conn) frame(dir Dir, f http2.Frame, frame int, t time.Time) {
	s := &c.side[dir]
	switch f := f.(type) {
	case *http2.HeadersFrame:
		s.block = append(s.block[:0], f.HeaderBlockFragment()...)
		s.blockID, s.blockEnd, s.blockPush, s.blockFrame, s.blockTime = f.StreamID, f.StreamEnded(), false, frame, t
		if f.HeadersEnded() {
			c.headers(dir)
		}
	case *http2.PushPromiseFrame:
		// Decoded only to keep the HPACK state; pushes are not exchanges
		// a client asked for.
		s.block = append(s.block[:0], f.HeaderBlockFragment()...)
		s.blockID, s.blockPush = f.StreamID, true
		if f.HeadersEnded() {
			c.headers(dir)
		}
	case *http2.ContinuationFrame:
		if int64(len(s.block)+len(f.HeaderBlockFragment())) > c.limits.HeaderBytes {
			c.note(model.NoteLimit, frame, "header block exceeds the header size limit; parsing stops")
			c.notes[len(c.notes)-1].Limit = model.LimitHeaderBytes
			c.stop()
			return
		}
		s.block = append(s.block, f.HeaderBlockFragment()...)
		if f.HeadersEnded() {
			c.headers(dir)
		}
	case *http2.DataFrame:
		st := c.stream(f.StreamID, frame)
		if st == nil {
			return
		}
		if dir == ClientToServer {
			if st.reqBody == nil {
				st.reqBody = c.newBody(st)
			}
			st.reqBody.Write(f.Data())
			if f.StreamEnded() {
				st.reqEnded = true
			}
		} else {
			if st.respBody == nil {
				st.respBody = c.newBody(st)
				if st.skip {
					st.respBody.Skip()
				}
			}
			st.respBody.Write(f.Data())
			st.end = t
			if f.StreamEnded() {
				c.finish(st, false)
			}
		}
	case *http2.RSTStreamFrame:
		if st := c.streams[f.StreamID]; st != nil {
			st.end = t
			c.note(model.NoteReset, frame, "stream %d reset by %v: %v", f.StreamID, dir, f.ErrCode)
			c.finish(st, true)
		}
	case *http2.SettingsFrame:
		if v, ok := f.Value(http2.SettingHeaderTableSize); ok && !f.IsAck() {
			// Our peer's encoder may now use a table this large.
			c.side[1-dir].dec.SetAllowedMaxDynamicTableSize(min(v, h2MaxTable))
		}
	}
}

// headers decodes a complete header block.
func (c *H2Conn) headers(dir Dir) {
	s := &c.side[dir]
	fields, err := s.dec.DecodeFull(s.block)
	s.block = s.block[:0]
	if err != nil {
		c.note(model.NoteMalformed, s.blockFrame, "undecodable header block on stream %d: %v; parsing stops", s.blockID, err)
		c.stop()
		return
	}
	if s.blockPush {
		return
	}
	if len(fields) > c.limits.HeaderCount {
		fields = fields[:c.limits.HeaderCount]
	}
	id := s.blockID
	st := c.stream(id, s.blockFrame)
	if st == nil {
		return
	}
	if dir == ClientToServer {
		if !st.haveReq {
			st.haveReq = true
			st.frame, st.start = s.blockFrame, s.blockTime
			st.req = c.request(fields)
		} else {
			st.req.Headers = append(st.req.Headers, headerList(fields)...) // trailers
		}
		if s.blockEnd {
			st.reqEnded = true
		}
		if st.respDone {
			c.finish(st, false)
		}
		return
	}
	st.end = s.blockTime
	if st.resp == nil {
		status := 0
		for _, f := range fields {
			if f.Name == ":status" {
				status, _ = strconv.Atoi(f.Value)
			}
		}
		if status >= 100 && status < 200 {
			if s.blockEnd {
				c.finish(st, true)
			}
			return // interim response
		}
		st.resp = &model.Response{Status: status, StatusText: "", Proto: "HTTP/2", Headers: headerList(fields)}
		st.skip = c.skipResponse(st)
	} else {
		st.resp.Headers = append(st.resp.Headers, headerList(fields)...) // trailers
	}
	if s.blockEnd {
		c.finish(st, false)
	}
}

func headerList(fields []hpack.HeaderField) model.Headers {
	h := make(model.Headers, 0, len(fields))
	for _, f := range fields {
		h = append(h, model.Header{Name: f.Name, Value: f.Value})
	}
	return h
}

func (c *H2Conn) request(fields []hpack.HeaderField) model.Request {
	var method, scheme, authority, path string
	for _, f := range fields {
		switch f.Name {
		case ":method":
			method = f.Value
		case ":scheme":
			scheme = f.Value
		case ":authority":
			authority = f.Value
		case ":path":
			path = f.Value
		}
	}
	h := headerList(fields)
	if authority == "" {
		authority = h.Get("host")
	}
	if scheme == "" {
		scheme = c.scheme
	}
	url := scheme + "://" + authority + path
	if method == "CONNECT" && path == "" {
		url = authority
	}
	return model.Request{Method: method, URL: url, Proto: "HTTP/2", Headers: h}
}

// finish emits a stream's exchange. cut tells that the stream ended
// abnormally (reset, connection closed).
func (c *H2Conn) finish(st *h2Stream, cut bool) {
	if !st.haveReq && !c.closing {
		st.respDone = true
		return
	}
	delete(c.streams, st.id)
	c.kept -= st.reserved
	if !st.haveReq {
		return // a response whose request the capture missed
	}
	ex := &model.Exchange{
		Ref:     frameRef(st.frame),
		Start:   st.start,
		End:     st.end,
		Request: st.req,
		Conn:    c.conn,
	}
	if st.reqBody != nil {
		ex.Request.Body = st.reqBody.Body(st.req.Headers, cut && !st.reqEnded)
	} else if cut && !st.reqEnded {
		// A body was announced (no END_STREAM on the headers) and none
		// of it was read: lost with bytes the capture missed, or cut by
		// the stream's end.
		ex.Request.Body.Truncated = true
	}
	ex.Request.Body.MIMEType = mimeOf(st.req.Headers)
	if st.resp != nil {
		ex.Response = st.resp
		if st.respBody != nil {
			ex.Response.Body = st.respBody.Body(st.resp.Headers, cut)
		} else if cut {
			// The headers did not end the stream and no DATA was read.
			ex.Response.Body.Truncated = true
		}
		ex.Response.Body.MIMEType = mimeOf(st.resp.Headers)
		ex.Response.StatusText = ""
	}
	if strings.EqualFold(st.req.Method, "CONNECT") {
		ex.Tunnel = true
	}
	c.done = append(c.done, finished{ex: ex, frame: st.frame})
}

func mimeOf(h model.Headers) string {
	mt, _, _ := strings.Cut(h.Get("content-type"), ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// Close ends the connection: streams still open are emitted as they are.
func (c *H2Conn) Close() {
	c.closing = true
	ids := make([]uint32, 0, len(c.streams))
	for id := range c.streams {
		ids = append(ids, id)
	}
	sortUint32(ids)
	if sc := &c.side[ServerToClient]; sc.lost && !c.dead {
		n := 0
		for _, id := range ids {
			if st := c.streams[id]; st.haveReq && st.resp == nil {
				n++
			}
		}
		if n > 0 {
			c.note(model.NoteGap, sc.lostFrame, "%s left without a response: it came after bytes lost in the server→client stream", count(n, "stream"))
		}
	}
	for _, id := range ids {
		c.finish(c.streams[id], true)
	}
	c.stop()
}

// Exchanges returns the exchanges finished since the last call.
func (c *H2Conn) Exchanges() []*model.Exchange {
	out := make([]*model.Exchange, len(c.done))
	for i, f := range c.done {
		out[i] = f.ex
	}
	c.done = nil
	return out
}

func (c *H2Conn) takeDone() []finished {
	d := c.done
	c.done = nil
	return d
}

// Notes returns what the parser could not do, and forgets it.
func (c *H2Conn) Notes() []model.Note {
	n := c.notes
	c.notes = nil
	return n
}

// lowest is the smallest frame where a request still in progress began,
// 0 when none.
func (c *H2Conn) lowest() int {
	low := 0
	for _, st := range c.streams {
		if st.haveReq && (low == 0 || st.frame < low) {
			low = st.frame
		}
	}
	if s := &c.side[ClientToServer]; len(s.buf) > 0 && !c.dead {
		if f, _ := lookupMark(s.marks, s.base); f > 0 && (low == 0 || f < low) {
			low = f
		}
	}
	return low
}

// skipResponse says, as a response's headers end, whether to count its
// body without keeping it: its media type says so, or SkipResponse does
// for a request that ended without a body (one still arriving could change
// what it decides). SkipResponse is asked for every response with its
// request, body or not: a caller may learn from each.
func (c *H2Conn) skipResponse(st *h2Stream) bool {
	skip := c.SkipBody != nil && c.SkipBody(mimeOf(st.resp.Headers))
	if c.SkipResponse == nil || !st.haveReq {
		return skip
	}
	resp := *st.resp
	resp.Body.MIMEType = mimeOf(resp.Headers)
	gate := c.SkipResponse(&st.req, &resp)
	return skip || gate && st.reqEnded && st.reqBody == nil
}
