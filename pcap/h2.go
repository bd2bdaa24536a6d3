package pcap

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
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
	// h2FreshTable is the table size assumed after lost bytes when no
	// SETTINGS frame was seen (Chrome allows 64 KiB).
	h2FreshTable = 64 << 10
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
	// undecodable counts header blocks that could not be decoded after
	// lost bytes, orphans responses whose request's headers were never
	// read; headerNotes bounds the notes for the former.
	undecodable int
	orphans     int
	orphanFrame int
	headerNotes int
	// lastClient is the highest stream the client opened with a HEADERS
	// frame; noPush that the client's SETTINGS disabled server push.
	lastClient uint32
	noPush     bool
	// unanswered counts requests whose stream ended without a response
	// header block.
	unanswered int
	// fieldsCut: header fields past the limits were dropped (noted once).
	fieldsCut bool
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
	// lost is set once bytes of this direction were lost (lostFrame the
	// first packet after them). Reading goes on at the next frame header
	// that can be trusted (resync); header blocks are then decoded with a
	// fresh HPACK table (fresh), and one that refers to entries made before
	// the loss is noted as undecodable, never guessed.
	lost      bool
	lostFrame int
	resync    bool
	fresh     bool
	// oldDec is the decoder as it was before the last loss, kept while
	// the lost bytes may have held no header block (gapAt); the first
	// header block read after the loss decides (keepHPACK) whether it
	// goes on with it (oldFresh its fresh), or with the fresh one.
	oldDec   *hpack.Decoder
	oldFresh bool
	// oldUnanswered is the connection's unanswered at the loss, oldFrame
	// the loss's frame.
	oldUnanswered int
	oldFrame      int
	// blockOpen: a header block has begun and awaits CONTINUATION.
	blockOpen bool
	// maxFrame is the SETTINGS_MAX_FRAME_SIZE the peer allows this side's
	// frames, 0 for the default; tableMax the HPACK table size allowed
	// this side's decoder, 0 for the default.
	maxFrame uint32
	tableMax uint32
	// skipped counts bytes passed over while resynchronizing.
	skipped int64
	// skip is what is left of a frame whose middle was lost
	// (lostInFrame), to pass over before the next frame; skipID and
	// skipEnd its stream and whether it ended that stream (a DATA frame).
	skip    int64
	skipID  uint32
	skipEnd bool
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
	// cut[dir]: bytes that direction sent may have been lost while the
	// stream was open, so its body is marked truncated.
	cut [2]bool
	// noHeaders: the request's header block could not be decoded (HPACK
	// state lost with bytes the capture missed): not an exchange.
	noHeaders bool
	first     int // the frame where the stream was first seen
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
	st := &h2Stream{id: id, first: frame}
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
		c.resetSide(&c.side[i])
	}
	c.side[ClientToServer].preface = true
	return c
}

// resetSide gives a side a new HPACK decoder and framer: at the start, or
// after lost bytes, when nothing of the old state can be trusted.
func (c *H2Conn) resetSide(s *h2Side) {
	s.dec = hpack.NewDecoder(4096, nil)
	if size := s.tableMax; size > 0 || s.fresh {
		// A table at least as large as the encoder's keeps at least the
		// entries the encoder may refer to, at the same indexes (newest
		// first): after lost bytes, when the size the peer allowed may
		// not have been seen, as large as browsers allow.
		if s.fresh {
			size = max(size, h2FreshTable)
		}
		s.dec.SetAllowedMaxDynamicTableSize(size)
		s.dec.SetMaxDynamicTableSize(size)
	}
	s.dec.SetMaxStringLength(int(c.limits.HeaderBytes))
	s.fr = http2.NewFramer(nil, &s.frameBuf)
	s.fr.SetMaxReadFrameSize(h2MaxFrame)
	s.block, s.blockID, s.blockOpen = s.block[:0], 0, false
	s.oldDec = nil
}

// midStream starts the parser on a connection whose beginning the capture
// missed: no preface, and each side read from its first frame header that
// can be trusted, with the HPACK state unknown.
func (c *H2Conn) midStream(frame int) {
	c.note(model.NoteGap, frame, "the capture begins inside an HTTP/2 connection (no connection preface): frames are read from the first frame header that can be trusted; header blocks that refer to HPACK state set before the capture cannot be decoded")
	for i := range c.side {
		s := &c.side[i]
		s.preface, s.resync, s.fresh = false, true, true
		c.resetSide(s)
	}
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
	if c.dead || len(data) == 0 {
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
// one goes on. This one goes on at the next frame header that can be
// trusted (resync), with a fresh HPACK table: a header block that refers
// to entries made before the loss is noted, not guessed. Streams open at
// the gap may have lost bytes of that direction: their bodies are marked
// truncated.
func (c *H2Conn) gapAt(dir Dir, n int, frame int) {
	s := &c.side[dir]
	if c.dead {
		return
	}
	before, _ := lookupMark(s.marks, s.base+int64(len(s.buf))-1)
	where := ""
	if before > 0 {
		where = fmt.Sprintf(" after frame %d", before)
	}
	what := "responses"
	if dir == ClientToServer {
		what = "requests"
	}
	if !s.lost {
		s.lost, s.lostFrame = true, cmp.Or(frame, before)
	}
	if c.lostInFrame(dir, n, cmp.Or(frame, before), where) {
		return
	}
	// What the lost bytes held is unknown: any stream open in this
	// direction may have lost DATA.
	open := 0
	for _, st := range c.streams {
		if dir == ClientToServer && st.reqEnded {
			continue
		}
		st.cut[dir] = true
		if st.haveReq {
			open++
		}
	}
	cut := "no open stream's " + what[:len(what)-1] + " is cut"
	if open > 0 {
		cut = fmt.Sprintf("the %s of %s may be cut", what, count(open, "open stream"))
	}
	c.note(model.NoteGap, cmp.Or(frame, before), "%d bytes lost in the %v stream%s: %s; reading goes on at the next frame header that can be trusted, and header blocks that refer to HPACK state set in the lost bytes cannot be decoded", n, dir, where, cut)
	old, oldFresh, inBlock := s.dec, s.fresh, s.blockOpen
	s.buf, s.marks = nil, nil
	s.preface = false
	s.resync, s.fresh = true, true
	c.resetSide(s)
	if !inBlock && old != nil {
		// The lost bytes began between two header blocks: they may
		// have held none, and the first block after them tells
		// (keepHPACK).
		s.oldDec, s.oldFresh, s.oldUnanswered, s.oldFrame = old, oldFresh, c.unanswered, cmp.Or(frame, before)
		if dir == ServerToClient {
			for _, st := range c.streams {
				if st.haveReq && st.resp == nil {
					// Its response's header block may have been lost.
					s.oldDec = nil
				}
			}
		}
	}
}

// keepHPACK decides, at the first header block of dir read after lost
// bytes that began between two header blocks, whether the lost bytes
// held no header block, so that the HPACK state from before them still
// holds and the block is decoded with it; otherwise the fresh table
// stays, and blocks that refer to older entries are noted undecodable.
// Known to hold none:
//
//   - requests: the block opens the stream after the last one the client
//     opened (stream ids grow: a request lost in between would have taken
//     that id) and no request was open at the loss (its trailers could
//     have been lost);
//   - responses: no response was awaited at the loss (its header block,
//     or a 1xx one, could have been lost), every stream then open has
//     ended since without a header block (with a DATA frame, or reset: no
//     trailers lost), no stream ended unanswered since, no stream but
//     this block's is open, and the client disabled server push (no
//     PUSH_PROMISE lost).
func (c *H2Conn) keepHPACK(dir Dir, s *h2Side) {
	old, oldFresh := s.oldDec, s.oldFresh
	s.oldDec = nil
	if s.blockPush {
		return
	}
	why := ""
	if dir == ClientToServer {
		if s.blockID != c.lastClient+2 || c.lastClient == 0 {
			return
		}
		for _, st := range c.streams {
			if st.haveReq && !st.reqEnded {
				return
			}
		}
		why = fmt.Sprintf("stream %d follows the last stream opened, %d, and no request was open", s.blockID, c.lastClient)
	} else {
		if !c.noPush || c.unanswered != s.oldUnanswered {
			return
		}
		for id := range c.streams {
			if id != s.blockID {
				return
			}
		}
		why = "no response was awaited then, the streams open then ended without another, no other stream is open, and the client disabled server push"
	}
	s.dec, s.fresh = old, oldFresh
	c.note(model.NoteGap, s.blockFrame, "the %v stream's HPACK state from before the bytes lost at frame %d still holds: they held no header block (%s)", dir, s.oldFrame, why)
}

// lostInFrame handles n bytes lost inside the frame being read, whose
// header was read: where the next frame starts is known. Lost inside a
// DATA frame, only that stream's body is cut and the HPACK state is
// intact; inside a frame of a header block, that block is lost and the
// state with it. It reports false when the loss reaches past the frame
// (or its header was not read).
func (c *H2Conn) lostInFrame(dir Dir, n, frame int, where string) bool {
	s := &c.side[dir]
	if s.resync || s.preface || s.skip > 0 || len(s.buf) < 9 {
		return false
	}
	length := int(s.buf[0])<<16 | int(s.buf[1])<<8 | int(s.buf[2])
	rest := 9 + length - len(s.buf)
	if rest <= 0 || n > rest || length > h2MaxFrame {
		return false
	}
	typ, flags := http2.FrameType(s.buf[3]), http2.Flags(s.buf[4])
	id := binary.BigEndian.Uint32(s.buf[5:]) & (1<<31 - 1)
	payload := s.buf[9:]
	s.base += int64(len(s.buf))
	s.buf, s.marks = nil, nil
	s.skip = int64(rest - n)
	switch typ {
	case http2.FrameData:
		if st := c.streams[id]; st != nil {
			if flags&http2.FlagDataPadded == 0 && !st.cut[dir] {
				// What came of the frame before the loss is kept.
				c.bodyData(dir, st, payload)
			}
			st.cut[dir] = true
		}
		s.skipID, s.skipEnd = id, flags.Has(http2.FlagDataEndStream)
		c.note(model.NoteGap, frame, "%d bytes lost in the %v stream%s inside a DATA frame of stream %d: its body is cut; reading goes on where the frame ends", n, dir, where, id)
	case http2.FrameHeaders, http2.FrameContinuation, http2.FramePushPromise:
		c.note(model.NoteGap, frame, "%d bytes lost in the %v stream%s inside a header block of stream %d: reading goes on where the frame ends, and header blocks that refer to HPACK state set in the lost block cannot be decoded", n, dir, where, id)
		s.resync, s.fresh = true, true
		c.resetSide(s)
	default:
		c.note(model.NoteGap, frame, "%d bytes lost in the %v stream%s inside a %v frame: reading goes on where it ends", n, dir, where, typ)
		s.resync = true
	}
	return true
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
	if s.skip > 0 && !c.passFrame(dir) {
		return
	}
	if s.resync && !c.resync(dir) {
		return
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

// passFrame passes over the rest of a frame whose middle was lost and
// reports whether it is behind; a DATA frame that ended its stream ends
// it here.
func (c *H2Conn) passFrame(dir Dir) bool {
	s := &c.side[dir]
	k := min(s.skip, int64(len(s.buf)))
	_, t := lookupMark(s.marks, s.base+k-1)
	c.consume(s, int(k))
	if s.skip -= k; s.skip > 0 {
		return false
	}
	if id, end := s.skipID, s.skipEnd; end {
		s.skipID, s.skipEnd = 0, false
		if st := c.streams[id]; st != nil {
			if dir == ClientToServer {
				st.reqEnded = true
			} else {
				st.end = t
				c.finish(st, false)
			}
		}
	}
	return true
}

// resync drops a side's bytes up to the first frame header that can be
// trusted (see h2FrameStart) and reports whether one was found; otherwise
// it keeps what may still become one.
func (c *H2Conn) resync(dir Dir) bool {
	s := &c.side[dir]
	i, v := h2FrameStart(s.buf, dir, s.maxFrame)
	if i > 0 {
		s.skipped += int64(i)
		c.consume(s, i)
	}
	if v != startYes {
		return false
	}
	s.resync = false
	frame, _ := lookupMark(s.marks, s.base)
	if s.lost {
		c.note(model.NoteGap, frame, "the %v stream is read again from frame %d (%d bytes passed over to reach a frame header)", dir, frame, s.skipped)
	}
	s.skipped = 0
	if s.buf[3] == byte(http2.FrameContinuation) {
		// The rest of a header block whose start was lost.
		c.consume(s, 9+(int(s.buf[0])<<16|int(s.buf[1])<<8|int(s.buf[2])))
		s.oldDec = nil
	}
	return true
}

// h2DefaultMaxFrame is SETTINGS_MAX_FRAME_SIZE's initial value.
const h2DefaultMaxFrame = 16384

// h2HeaderOK tells whether h, 9 bytes, is a frame header dir may send:
// a length within maxFrame (the default when 0), a type RFC 9113 defines
// with flags it allows, a stream id of the right parity (streams clients
// open are odd) and a length the type allows.
func h2HeaderOK(h []byte, dir Dir, maxFrame uint32) (int, bool) {
	n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
	if maxFrame == 0 {
		maxFrame = h2DefaultMaxFrame
	}
	if n > int(min(maxFrame, h2MaxFrame)) || h[5]&0x80 != 0 {
		return n, false
	}
	typ, flags := http2.FrameType(h[3]), h[4]
	id := uint32(h[5])<<24 | uint32(h[6])<<16 | uint32(h[7])<<8 | uint32(h[8])
	odd := id&1 == 1
	client := dir == ClientToServer
	switch typ {
	case http2.FrameData:
		return n, id != 0 && flags&^0x09 == 0 && (odd || !client)
	case http2.FrameHeaders:
		return n, id != 0 && flags&^0x2d == 0 && (odd || !client)
	case http2.FramePriority:
		return n, id != 0 && flags == 0 && n == 5
	case http2.FrameRSTStream:
		return n, id != 0 && flags == 0 && n == 4
	case http2.FrameSettings:
		return n, id == 0 && flags&^0x01 == 0 && n%6 == 0 && (flags == 0 || n == 0)
	case http2.FramePushPromise:
		return n, !client && odd && flags&^0x0c == 0 && n >= 4
	case http2.FramePing:
		return n, id == 0 && flags&^0x01 == 0 && n == 8
	case http2.FrameGoAway:
		return n, id == 0 && flags == 0 && n >= 8
	case http2.FrameWindowUpdate:
		return n, flags == 0 && n == 4
	case http2.FrameContinuation:
		return n, id != 0 && flags&^0x04 == 0 && (odd || !client)
	}
	return n, false
}

// h2FrameStart finds in b, bytes of one side read from an unknown point,
// the first frame header that can be trusted: a header h2HeaderOK accepts
// whose frame ends where b does or is followed by another such header
// (startYes). startMore: the first candidate needs more bytes to tell;
// startNo: none, i then the bytes that can be dropped.
func h2FrameStart(b []byte, dir Dir, maxFrame uint32) (int, startVerdict) {
	for i := 0; i+9 <= len(b); i++ {
		n, ok := h2HeaderOK(b[i:], dir, maxFrame)
		if !ok {
			continue
		}
		switch next := i + 9 + n; {
		case next == len(b):
			return i, startYes
		case next+9 <= len(b):
			if _, ok := h2HeaderOK(b[next:], dir, maxFrame); ok {
				return i, startYes
			}
		default:
			return i, startMore
		}
	}
	return max(0, len(b)-8), startNo
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
		s.blockOpen = !f.HeadersEnded()
		if f.HeadersEnded() {
			c.headers(dir)
		}
	case *http2.PushPromiseFrame:
		// Decoded only to keep the HPACK state; pushes are not exchanges
		// a client asked for.
		s.block = append(s.block[:0], f.HeaderBlockFragment()...)
		s.blockID, s.blockPush = f.StreamID, true
		s.blockOpen = !f.HeadersEnded()
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
		s.blockOpen = !f.HeadersEnded()
		if f.HeadersEnded() {
			c.headers(dir)
		}
	case *http2.DataFrame:
		st := c.stream(f.StreamID, frame)
		if st == nil {
			return
		}
		if !st.cut[dir] {
			// After bytes lost from a body, the rest is not kept: a body
			// with a hole inside would read as another.
			c.bodyData(dir, st, f.Data())
		}
		if dir == ClientToServer {
			if f.StreamEnded() {
				st.reqEnded = true
			}
		} else {
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
			c.side[1-dir].tableMax = min(v, h2MaxTable)
			c.side[1-dir].dec.SetAllowedMaxDynamicTableSize(min(v, h2MaxTable))
			if old := c.side[1-dir].oldDec; old != nil {
				old.SetAllowedMaxDynamicTableSize(min(v, h2MaxTable))
			}
		}
		if v, ok := f.Value(http2.SettingEnablePush); ok && v == 0 && dir == ClientToServer && !f.IsAck() {
			c.noPush = true
		}
		if v, ok := f.Value(http2.SettingMaxFrameSize); ok && !f.IsAck() {
			// The largest frame the peer may send from now on.
			c.side[1-dir].maxFrame = v
		}
	}
}

// headers decodes a complete header block.
func (c *H2Conn) headers(dir Dir) {
	s := &c.side[dir]
	s.blockOpen = false
	if s.oldDec != nil {
		c.keepHPACK(dir, s)
	}
	if dir == ClientToServer && !s.blockPush && s.blockID > c.lastClient && s.blockID&1 == 1 {
		c.lastClient = s.blockID
	}
	fields, err := s.dec.DecodeFull(s.block)
	s.block = s.block[:0]
	var de hpack.DecodingError
	if err != nil && s.fresh && errors.As(err, &de) {
		// After lost bytes: the block refers to HPACK state the capture
		// missed (or the loss left the table behind). Its fields are not
		// guessed; the table starts again empty, as the entries this
		// block added are unknown.
		c.undecodableBlock(dir, s)
		return
	}
	if err != nil {
		c.note(model.NoteMalformed, s.blockFrame, "undecodable header block on stream %d: %v; parsing stops", s.blockID, err)
		c.stop()
		return
	}
	if s.blockPush {
		return
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
			st.req = c.request(c.fit(fields, nil, id, s.blockFrame))
		} else {
			st.req.Headers = append(st.req.Headers, headerList(c.fit(fields, st.req.Headers, id, s.blockFrame))...) // trailers
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
		fields = c.fit(fields, nil, id, s.blockFrame)
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
		st.resp.Headers = append(st.resp.Headers, headerList(c.fit(fields, st.resp.Headers, id, s.blockFrame))...) // trailers
	}
	if s.blockEnd {
		c.finish(st, false)
	}
}

// fit is the part of a header block's fields that a message with the
// headers have can still take (fitFields); the first cut of the
// connection is noted.
func (c *H2Conn) fit(fields []hpack.HeaderField, have model.Headers, id uint32, frame int) []hpack.HeaderField {
	kept, limit := fitFields(fields, have, c.limits)
	if limit != "" && !c.fieldsCut {
		c.fieldsCut = true
		c.note(model.NoteLimit, frame, "%s", fieldsCutMessage(len(fields)-len(kept), uint64(id), limit, c.limits))
		c.notes[len(c.notes)-1].Limit = limit
	}
	return kept
}

// fitFields is the part of an HTTP/2 or HTTP/3 header section's fields
// that fits one message's limits (Limits.HeaderCount fields, and
// Limits.HeaderBytes bytes of names and values) after the headers it
// already has: trailer sections count with the first, as chunked trailers
// do in HTTP/1, so that a stream repeating trailer sections cannot grow a
// message past them. limit names the bound that cut, "" when all fit.
func fitFields(fields []hpack.HeaderField, have model.Headers, l model.Limits) ([]hpack.HeaderField, model.Limit) {
	if len(fields) == 0 {
		return fields, ""
	}
	if len(have) >= l.HeaderCount {
		return nil, model.LimitHeaders
	}
	var size int64
	for _, h := range have {
		size += int64(len(h.Name) + len(h.Value))
	}
	for i, f := range fields {
		if len(have)+i >= l.HeaderCount {
			return fields[:i], model.LimitHeaders
		}
		if size += int64(len(f.Name) + len(f.Value)); size > l.HeaderBytes {
			return fields[:i], model.LimitHeaderBytes
		}
	}
	return fields, ""
}

// fieldsCutMessage says that n header fields of a stream were dropped.
func fieldsCutMessage(n int, id uint64, limit model.Limit, l model.Limits) string {
	bound := fmt.Sprintf("%d header fields", l.HeaderCount)
	if limit == model.LimitHeaderBytes {
		bound = fmt.Sprintf("%d bytes of header fields", l.HeaderBytes)
	}
	return fmt.Sprintf("stream %d: %d header fields past the message's %s (trailer sections included) dropped; later cuts on this connection are not noted", id, n, bound)
}

// bodyData adds DATA to the body of a stream's message in direction dir.
func (c *H2Conn) bodyData(dir Dir, st *h2Stream, data []byte) {
	if dir == ClientToServer {
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

// maxHeaderNotes bounds the notes about undecodable header blocks of one
// connection; Close counts the rest.
const maxHeaderNotes = 5

// undecodableBlock records a header block that could not be decoded after
// lost bytes: a request's stream is not an exchange (its method and URL
// are unknown), a response's exchange has no response.
func (c *H2Conn) undecodableBlock(dir Dir, s *h2Side) {
	id, frame, end := s.blockID, s.blockFrame, s.blockEnd
	c.resetSide(s)
	c.undecodable++
	if c.headerNotes < maxHeaderNotes {
		c.headerNotes++
		what := "response"
		if dir == ClientToServer {
			what = "request"
		}
		c.note(model.NoteGap, frame, "%s headers of stream %d could not be decoded: they refer to HPACK state set in bytes the capture lost (frame %d on); not guessed", what, id, s.lostFrame)
	}
	if s.blockPush {
		return
	}
	st := c.stream(id, frame)
	if st == nil {
		return
	}
	if dir == ClientToServer {
		if !st.haveReq {
			st.noHeaders = true
		}
		if end {
			st.reqEnded = true
		}
		return
	}
	st.end = s.blockTime
	if end {
		c.finish(st, true)
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
	return requestOf(fields, c.scheme, "HTTP/2")
}

// requestOf makes a request from an HTTP/2 or HTTP/3 header section: the
// pseudo-headers give the URL (Host when :authority is missing, scheme
// when :scheme is), the other fields the headers.
func requestOf(fields []hpack.HeaderField, defaultScheme, proto string) model.Request {
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
		scheme = defaultScheme
	}
	url := scheme + "://" + authority + path
	if method == "CONNECT" && path == "" {
		url = authority
	}
	return model.Request{Method: method, URL: url, Proto: proto, Headers: h}
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
	if st.haveReq && st.resp == nil {
		c.unanswered++
	}
	if !st.haveReq {
		// A response whose request the capture missed (lost bytes, or
		// its header block could not be decoded).
		if st.resp != nil || st.noHeaders {
			if c.orphans++; c.orphanFrame == 0 || st.first < c.orphanFrame {
				c.orphanFrame = st.first
			}
		}
		return
	}
	ex := &model.Exchange{
		Ref:     frameRef(st.frame),
		Start:   st.start,
		End:     st.end,
		Request: st.req,
		Conn:    c.conn,
	}
	reqCut := cut && !st.reqEnded || st.cut[ClientToServer]
	if st.reqBody != nil {
		ex.Request.Body = st.reqBody.Body(st.req.Headers, reqCut)
	} else if reqCut && !st.reqEnded {
		// A body was announced (no END_STREAM on the headers) and none
		// of it was read: lost with bytes the capture missed, or cut by
		// the stream's end.
		ex.Request.Body.Truncated = true
	}
	ex.Request.Body.MIMEType = mimeOf(st.req.Headers)
	if st.resp != nil {
		ex.Response = st.resp
		respCut := cut || st.cut[ServerToClient]
		if st.respBody != nil {
			ex.Response.Body = st.respBody.Body(st.resp.Headers, respCut)
		} else if respCut {
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
	if n := c.undecodable - c.headerNotes; n > 0 {
		c.note(model.NoteGap, cmp.Or(c.side[ClientToServer].lostFrame, c.side[ServerToClient].lostFrame), "%s more could not be decoded after lost bytes", count(n, "header block"))
	}
	if c.orphans > 0 {
		c.note(model.NoteGap, c.orphanFrame, "%s answered without a request the capture shows (its header block was lost or could not be decoded)", count(c.orphans, "stream"))
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
