package pcap

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/model"
)

// The HTTP/1 parser of each side runs as a coroutine (iter.Pull) over a
// reader that suspends it whenever it needs bytes the capture has not yet
// delivered. This lets the blocking httpwire readers parse segments as
// they arrive, in capture order and deterministically, holding only the
// message being parsed instead of whole streams.

var (
	errGap     = errors.New("pcap: bytes lost in the capture")
	errStopped = errors.New("pcap: parser stopped")
)

const (
	// maxWaitBytes bounds what one side buffers while it waits for the
	// other (a response waiting for its request's method, a client waiting
	// for the answer to CONNECT or Upgrade).
	maxWaitBytes = 1 << 20
	// maxConnNotes bounds the malformed-message notes of one connection.
	maxConnNotes = 5
	brSize       = 4096
	// maxPipelined bounds the requests waiting for responses.
	maxPipelined = 32
)

type h1Conn struct {
	s     *session
	sides [2]*h1Side
	// reqs are requests waiting for their response, oldest first, and
	// placeholders for requests lost in the capture.
	reqs     []*h1Pending
	notes    int
	switched bool // h2c or a tunnel: the remaining bytes go to s's new parser

	// After bytes of the server stream were lost (or could not be read),
	// which request the next response answers is decided from the
	// capture: see owner. lostFrom is the stream offset where the bytes no
	// response accounts for begin; lostExact tells that a response ended
	// there, so that any bytes after it belong to further responses.
	unsure    bool
	lostFrom  int64
	lostExact bool
	lostMin   int // responses known to lie in the lost bytes
	// epUnpaired counts the responses left unpaired since lostFrom.
	epUnpaired int
	// The same for the client stream: a request starting past cliFrom
	// (or anywhere, when not exact) follows requests lost in the capture.
	cliUnsure  bool
	cliFrom    int64
	cliExact   bool
	cliCertain bool  // a request began in the lost bytes
	minReq     int64 // the smallest request read, in bytes

	// What the client's ACKs say about its habits, read while nothing is
	// lost: pipelined is set when it sent a request while an earlier one
	// was unanswered; witnessed counts responses whose end the next
	// request acknowledged exactly, unwitnessed requests sent past a
	// response end without one there.
	pipelined   bool
	lastEnd     int64 // stream offset where the last response ended, -1 before one
	endSeen     bool  // a request acknowledged exactly lastEnd
	skippedEnd  bool  // a response ended with no request acknowledging its end
	witnessed   int
	unwitnessed int

	// Counts for the connection's note about lost bytes.
	lostBytes  [2]int64
	gapFrame   int // first packet after the first lost bytes
	respLost   int // requests whose response fell into lost bytes
	notTold    int // requests whose response is among the unpaired ones
	undecided  int // responses not paired: the capture cannot tell with what
	lostAnswer int // responses to requests lost in the capture
}

type h1Pending struct {
	ex    *model.Exchange
	frame int
	// answered is set once the response (or the end of the server stream)
	// was seen; status holds the response status.
	answered bool
	status   int
	// ack is the server stream offset the client had received when it
	// sent the request and start the request's offset in the client
	// stream; -1 when unknown.
	ack, start int64
	// lost marks a placeholder for requests the capture lost, in
	// lostBytes bytes: at least lostMin more of them (0 or 1), used of
	// them answered so far. raw marks a request whose line was read but
	// not the rest, kept as an exchange if the server answered it.
	lost, raw bool
	lostMin   int
	lostBytes int64
	used      int64
	// gone marks a request given up on (emitted unanswered) that keeps
	// its place, so that a late response is not given to the next one.
	gone bool
}

// maxGone bounds the requests given up on that keep their place.
const maxGone = 4096

// giveUp emits the oldest waiting request unanswered when more than
// maxPipelined wait (the server stopped answering, or the client sent
// them all at once). It keeps its place in the queue: its response, if it
// comes, must not go to the next request.
func (c *h1Conn) giveUp() {
	live, first := 0, -1
	for i, p := range c.reqs {
		if !p.gone && !p.lost {
			live++
			if first < 0 && !p.raw {
				first = i
			}
		}
	}
	if live > maxPipelined && first >= 0 {
		p := c.reqs[first]
		// What stays for its late response has a copy of the header
		// list, made first: the emitted exchange's list may be handed
		// back (Reader.ReleaseHeaders) and reused.
		stay := &model.Exchange{Request: model.Request{Method: p.ex.Request.Method, URL: p.ex.Request.URL, Proto: p.ex.Request.Proto,
			Headers: slices.Clone(p.ex.Request.Headers)}}
		c.s.out.exchange(finished{ex: p.ex, frame: p.frame})
		p.gone = true
		p.ex = stay
	}
	if len(c.reqs) > maxGone && c.reqs[0].gone {
		c.reqs = c.reqs[1:]
	}
}

type h1Side struct {
	c   *h1Conn
	dir Dir

	buf      []byte // bytes not yet read by the parser
	bufOwned bool
	total    int64 // stream offset after the bytes delivered or lost so far
	read     int64 // stream offset of buf[0]
	gaps     []gapRec
	eofSeen  bool
	resync   bool // after a gap or garbage: wait for a message start
	// cutStart: the side's first bytes may be inside a message (its
	// start was not captured); resync is set to find the first start.
	cutStart bool
	noFirst  bool // resync: buf[0] is where a message failed, not a start
	bodyCut  bool // the last message was cut by the gap ahead, already accounted
	// tcp tells that offsets are the TCP stream's, lost bytes counted
	// exactly; inside TLS a gap's size is in TCP bytes, not plaintext.
	tcp     bool
	waiting bool // suspended on the other side, not on bytes
	done    bool
	// pass is how many arriving bytes feed drops itself for a parser
	// passing over a skipped body (feedReader.discard), passed how many it
	// dropped: the parser is woken once, not for every packet.
	pass, passed int64
	marks        []mark
	msgFrame     int // frame where the message being parsed began, 0 when idle

	// The parser runs as a coroutine over loop while a message is read.
	// Between two messages with nothing to read it returns, parked set,
	// and a new one starts when bytes, lost bytes or the end arrive: an
	// idle keep-alive connection holds no goroutine stack and no buffered
	// reader (3,000 open connections held 6,000 of each). Parsers park
	// only when many connections are open (sink.crowded): starting one
	// again costs a few allocations.
	loop   func(*h1Side, func(struct{}) bool)
	parked bool
	co     *parserCo // running the parser, nil when none runs
	// fr is what the parsers read from (reader); body is a response
	// parked inside its body (parkBody).
	fr   *feedReader
	body *srvMsg
}

// idle tells that the parser is between two messages and nothing waits
// to be read: it parks when many connections are open.
func (sd *h1Side) idle(br *bufio.Reader) bool {
	return br.Buffered() == 0 && len(sd.buf) == 0 && !sd.eofSeen && !sd.atGap() && sd.c.s.out.crowded()
}

// reader is the side's feedReader, for a parser starting with yield:
// one per side, so that what a parked message holds of it (the Discard of
// its body's options) serves the parser that finishes it.
func (sd *h1Side) reader(yield func(struct{}) bool) *feedReader {
	if sd.fr == nil {
		sd.fr = &feedReader{sd: sd}
	}
	sd.fr.yield = yield
	return sd.fr
}

// parkBody lets the parser return while the bytes of a Content-Length
// body, or of a chunk of a chunked one, are still to come, when many
// connections are open (sink.crowded): the response waits in sd.body,
// feed hands its bytes to the body's reader, and a parser starts again
// once they are all there or anything else arrives (lost bytes, the end). A parser waiting inside
// a body held a goroutine stack and a buffered reader, ~8 KiB: on 3,000
// connections open at once, each in the middle of a response, 24 MiB.
// It reports whether the parser must return.
func (sd *h1Side) parkBody(br *bufio.Reader, m *srvMsg) bool {
	if !sd.mayPark(br, m.body.Need()) {
		return false
	}
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		m.body.Write(b)
		_, _ = br.Discard(n)
	}
	sd.drop(m.body.Write(sd.buf))
	sd.body = new(srvMsg)
	*sd.body = *m
	sd.parked = true
	return true
}

// mayPark tells whether a parser that waits for need more body bytes
// should park (parkBody): many connections are open, nothing but bytes
// is awaited (no end, no lost bytes, no resynchronization), and what is
// buffered falls short.
func (sd *h1Side) mayPark(br *bufio.Reader, need int64) bool {
	return need > 0 && sd.c.s.out.crowded() && !sd.eofSeen && !sd.resync && len(sd.gaps) == 0 &&
		int64(br.Buffered()+len(sd.buf)) < need
}

// readBody reads m's body into m.resp (nil, err set, when it fails), or
// parks the parser inside it (parkBody): true then. A chunked body is
// parked before a chunk's data, and read on from there.
func (sd *h1Side) readBody(br *bufio.Reader, m *srvMsg, err *error) bool {
	pause := func(size int64) bool { return sd.mayPark(br, size) }
	for {
		if sd.parkBody(br, m) {
			return true
		}
		body, paused, e := m.body.Read(br, pause)
		if paused {
			continue
		}
		if e != nil {
			m.resp, *err = nil, e
		} else {
			m.resp.Body = body
		}
		return false
	}
}

// gapRec is bytes lost at stream offset at, n of them, before frame.
type gapRec struct {
	at, n int64
	frame int
}

// maxGaps bounds the lost-byte records a side keeps ahead of its parser;
// past it, the bytes between the last two are dropped as lost too.
const maxGaps = 16

func newH1Conn(s *session) *h1Conn {
	c := &h1Conn{s: s, lastEnd: -1}
	for d := range c.sides {
		sd := &h1Side{c: c, dir: Dir(d)}
		c.sides[d] = sd
		sd.loop = c.clientLoop
		if Dir(d) == ServerToClient {
			sd.loop = c.serverLoop
		}
	}
	return c
}

// feedReader is what the coroutine's bufio.Reader reads from.
type feedReader struct {
	sd    *h1Side
	yield func(struct{}) bool
}

func (f *feedReader) Read(p []byte) (int, error) {
	if err := f.wait(); err != nil {
		return 0, err
	}
	sd := f.sd
	n := int(min(int64(len(sd.buf)), sd.untilGap()))
	n = copy(p, sd.buf[:n])
	sd.buf = sd.buf[n:]
	sd.read += int64(n)
	return n, nil
}

// wait waits for bytes to read, or returns what stops reading.
func (f *feedReader) wait() error {
	sd := f.sd
	for {
		if sd.atGap() {
			return errGap
		}
		if sd.resync && len(sd.buf) > 0 {
			from := sd.read
			found := sd.findStart()
			if sd.cutStart && sd.read > from {
				sd.c.startSkipped(sd, from)
			}
			if found {
				sd.resync, sd.cutStart = false, false
			}
		}
		if len(sd.buf) > 0 && !sd.resync {
			return nil
		}
		if sd.atGap() {
			continue
		}
		if sd.eofSeen {
			return io.EOF
		}
		if !f.yield(struct{}{}) {
			return errStopped
		}
	}
}

// discard reads past up to n bytes as Read would, without copying them
// (httpwire.Options.Discard): a skipped body's bytes are not copied out
// of the packets to be thrown away.
func (f *feedReader) discard(n int64) (int64, error) {
	sd := f.sd
	if n > 0 && len(sd.buf) == 0 && !sd.resync && !sd.eofSeen && !sd.atGap() {
		// Nothing to pass yet: feed drops up to n arriving bytes itself
		// and wakes this parser once they are passed, or when anything
		// else arrives (bytes after lost ones, the end).
		sd.pass, sd.passed = n, 0
		ok := f.yield(struct{}{})
		passed := sd.passed
		sd.pass, sd.passed = 0, 0
		if passed > 0 {
			return passed, nil
		}
		if !ok {
			return 0, errStopped
		}
	}
	if err := f.wait(); err != nil {
		return 0, err
	}
	k := min(int64(len(sd.buf)), sd.untilGap(), n)
	sd.buf = sd.buf[k:]
	sd.read += k
	return k, nil
}

// atGap reports whether the parser reached bytes lost in the capture.
func (sd *h1Side) atGap() bool { return len(sd.gaps) > 0 && sd.read == sd.gaps[0].at }

// untilGap is how many buffered bytes come before the next lost ones.
func (sd *h1Side) untilGap() int64 {
	if len(sd.gaps) == 0 {
		return int64(len(sd.buf))
	}
	return min(int64(len(sd.buf)), sd.gaps[0].at-sd.read)
}

// drop discards n buffered bytes.
func (sd *h1Side) drop(n int) {
	sd.buf = sd.buf[n:]
	sd.read += int64(n)
}

// findStart resynchronizes: it drops buffered bytes up to the next
// plausible message start (a status or request line at the start of a
// line, followed by a well-formed header section) and reports whether
// buf now begins with one. It keeps what may still become one when more
// bytes arrive.
func (sd *h1Side) findStart() bool {
	limit := int(sd.untilGap())
	final := sd.eofSeen || limit < len(sd.buf)
	// Bytes lost right after b: a message they cut is a start too.
	cut := len(sd.gaps) > 0 && sd.gaps[0].at == sd.read+int64(limit)
	b := sd.buf[:limit]
	for i := 0; i < len(b); {
		if (i > 0 || !sd.noFirst) && (i == 0 || b[i-1] == '\n') {
			v := plausibleStart(b[i:], sd.dir, final)
			if v != startYes && cut && cutStart(b[i:], sd.dir) {
				v = startYes
			}
			switch v {
			case startYes:
				sd.drop(i)
				sd.noFirst = false
				return true
			case startMore:
				sd.drop(i)
				sd.noFirst = false
				return false
			}
		}
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
	}
	sd.drop(limit)
	sd.noFirst = false
	return false
}

type startVerdict int

const (
	startNo startVerdict = iota
	startYes
	startMore // more bytes are needed to tell
)

// maxResyncHeader bounds the header section a resynchronization checks.
const maxResyncHeader = 16 << 10

// plausibleStart tells whether b starts an HTTP/1.x message of the side:
// a status line "HTTP/1.x NNN" or a request line "METHOD target HTTP/1.x",
// then header fields up to an empty line. final says no more bytes follow.
func plausibleStart(b []byte, dir Dir, final bool) startVerdict {
	more := startMore
	if final {
		more = startNo
	}
	nl := bytes.IndexByte(b[:min(len(b), 8192)], '\n')
	if nl < 0 {
		if len(b) >= 8192 || !startPrefixOK(b, dir) {
			return startNo
		}
		return more
	}
	line := bytes.TrimSuffix(b[:nl], []byte("\r"))
	if !startLineOK(line, dir) {
		return startNo
	}
	for i := nl + 1; ; {
		if i-nl > maxResyncHeader {
			return startNo
		}
		j := bytes.IndexByte(b[i:min(len(b), nl+1+maxResyncHeader)], '\n')
		if j < 0 {
			if i-nl+len(b[i:]) > maxResyncHeader {
				return startNo
			}
			return more
		}
		f := bytes.TrimSuffix(b[i:i+j], []byte("\r"))
		if len(f) == 0 {
			return startYes
		}
		if f[0] != ' ' && f[0] != '\t' { // else an obsolete line folding
			colon := bytes.IndexByte(f, ':')
			if colon <= 0 {
				return startNo
			}
			for _, c := range f[:colon] {
				if !isTokenByte(c) {
					return startNo
				}
			}
		}
		i += j + 1
	}
}

// cutStart tells whether b, bytes of dir that lost bytes follow, is the
// start of a message they cut: a whole request or status line, then
// header field lines well-formed as far as they were captured, with no end
// of the header section (plausibleStart judges a whole one). The
// clientLoop keeps such a request (cutRequest), the serverLoop such a
// response (cutResponse).
func cutStart(b []byte, dir Dir) bool {
	nl := bytes.IndexByte(b[:min(len(b), 8192)], '\n')
	if nl < 0 || !startLineOK(bytes.TrimSuffix(b[:nl], []byte("\r")), dir) || len(b)-nl > maxResyncHeader {
		return false
	}
	for rest := b[nl+1:]; ; {
		j := bytes.IndexByte(rest, '\n')
		if j < 0 {
			return true // the line the lost bytes cut, or none
		}
		f := bytes.TrimSuffix(rest[:j], []byte("\r"))
		if len(f) == 0 {
			return false
		}
		if f[0] != ' ' && f[0] != '\t' {
			colon := bytes.IndexByte(f, ':')
			if colon <= 0 {
				return false
			}
			for _, c := range f[:colon] {
				if !isTokenByte(c) {
					return false
				}
			}
		}
		rest = rest[j+1:]
	}
}

func isTokenByte(c byte) bool {
	return c > ' ' && c < 0x7f && !bytes.ContainsRune([]byte("\"(),/:;<=>?@[\\]{}"), rune(c))
}

// startPrefixOK tells whether an incomplete first line may still become a
// start line.
func startPrefixOK(b []byte, dir Dir) bool {
	if dir == ServerToClient {
		n := min(len(b), 7)
		return string(b[:n]) == "HTTP/1."[:n]
	}
	for i, c := range b {
		if c == ' ' {
			return i >= 3
		}
		if c < 'A' || c > 'Z' && c != '_' && c != '-' || i >= 24 {
			return false
		}
	}
	return true
}

// startLineOK checks a complete first line.
func startLineOK(line []byte, dir Dir) bool {
	if dir == ServerToClient {
		// HTTP/1.x NNN, then a reason or nothing
		if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[7] < '0' || line[7] > '9' || line[8] != ' ' {
			return false
		}
		for _, c := range line[9:12] {
			if c < '0' || c > '9' {
				return false
			}
		}
		return len(line) == 12 || line[12] == ' '
	}
	sp := bytes.IndexByte(line, ' ')
	last := bytes.LastIndexByte(line, ' ')
	if sp < 3 || last <= sp+1 || !bytes.HasPrefix(line[last+1:], []byte("HTTP/1.")) || len(line)-last-1 != 8 {
		return false
	}
	for _, c := range line[:sp] {
		if (c < 'A' || c > 'Z') && c != '_' && c != '-' {
			return false
		}
	}
	return bytes.IndexByte(line[sp+1:last], ' ') < 0 && !methodTail(line[:sp])
}

// methodTail reports whether m, a request line's first token, is no
// method HTTP knows but the end of one ("OST", "ET", "ATCH"): where a
// message start is looked for after lost bytes, such a line is the rest of
// a request whose first bytes were lost, not a request.
func methodTail(m []byte) bool {
	if len(m) == 0 || httpMethods[string(m)] {
		return false
	}
	tail := string(m)
	for known := range httpMethods {
		if len(known) > len(tail) && strings.HasSuffix(known, tail) {
			return true
		}
	}
	return false
}

// wait suspends the coroutine until cond holds, the other side is done or
// too many bytes pile up. It reports false when the parser must stop.
func (sd *h1Side) wait(yield func(struct{}) bool, cond func() bool) bool {
	other := sd.c.sides[1-sd.dir]
	for !cond() && !other.done && len(sd.buf) < maxWaitBytes {
		sd.waiting = true
		ok := yield(struct{}{})
		sd.waiting = false
		if !ok {
			return false
		}
	}
	return true
}

// offset is the stream offset of the next byte the parser will see.
func offset(sd *h1Side, br *bufio.Reader) int64 { return sd.read - int64(br.Buffered()) }

// startMessage waits for the first byte of the next message and returns
// its frame and time; ok false at the end of the stream.
func (sd *h1Side) startMessage(br **bufio.Reader, fr *feedReader) (frame int, t time.Time, ok bool) {
	for {
		_, err := (*br).Peek(1)
		if err == nil {
			break
		}
		if errors.Is(err, errGap) {
			if !sd.bodyCut {
				// Lost between two messages: they held one at least.
				sd.c.lostBetween(sd, sd.read)
			}
			sd.afterGap(br, fr, true)
			continue
		}
		return 0, time.Time{}, false
	}
	sd.bodyCut = false
	frame, t = lookupMark(sd.marks, offset(sd, *br))
	sd.msgFrame = frame
	return frame, t, true
}

// afterGap makes the parser look for the next message start: past the
// lost bytes when atGap, else past the message that failed, whose
// unread bytes go back to buf.
func (sd *h1Side) afterGap(br **bufio.Reader, fr *feedReader, atGap bool) {
	if atGap && sd.atGap() {
		sd.read += sd.gaps[0].n
		sd.gaps = sd.gaps[1:]
		if len(sd.gaps) == 0 {
			sd.gaps = nil
		}
	} else if n := (*br).Buffered(); n > 0 {
		b, _ := (*br).Peek(n)
		sd.buf = append(bytes.Clone(b), sd.buf...)
		sd.bufOwned = true
		sd.read -= int64(n)
		sd.noFirst = true
	} else {
		sd.noFirst = false
	}
	sd.resync = true
	(*br).Reset(fr)
}

// readers recycles the parsers' buffered readers: a capture of many short
// connections otherwise allocates two 4 KiB buffers per connection.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, brSize) }}

// newBufReader is a reader of brSize bytes over fr; release returns it.
func newBufReader(fr *feedReader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(fr)
	return br
}

// release gives br back once its parser returned: nothing read through it
// is kept (httpwire copies what it returns, the loops clone what they keep).
func release(br *bufio.Reader) {
	br.Reset(nil)
	readers.Put(br)
}

func (c *h1Conn) malformed(frame int, dir Dir, err error, sd *h1Side) {
	c.notes++
	if c.notes > maxConnNotes {
		return
	}
	what := "request"
	if dir == ServerToClient {
		what = "response"
	}
	switch {
	case errors.Is(err, errGap) || sd.atGap():
		c.s.note(model.NoteGap, frame, "%s cut by bytes lost in the capture", what)
	case sd.eofSeen && len(sd.buf) == 0 && errors.Is(err, io.ErrUnexpectedEOF):
		// The capture (or the connection) simply ends inside it.
		last, _ := lookupMark(sd.marks, sd.total-1)
		c.s.note(model.NoteTruncated, frame, "%s cut where the %v stream ends (frame %d)", what, dir, last)
	default:
		c.s.noteLimit(model.LimitOf(err), model.NoteMalformed, frame, "%s not parsed: %v", what, err)
	}
}

func (c *h1Conn) warnAt(frame int, msg string) {
	c.notes++
	if c.notes > maxConnNotes {
		return
	}
	kind := model.NoteMalformed
	if strings.Contains(msg, "cut") {
		kind = model.NoteTruncated
	}
	c.s.note(kind, frame, "%s", msg)
}

func (c *h1Conn) clientLoop(sd *h1Side, yield func(struct{}) bool) {
	fr := &feedReader{sd: sd, yield: yield}
	br := newBufReader(fr)
	defer release(br)
	lim := c.s.out.limits()
	var lineBuf [256]byte // the request line being read, kept in case it fails
	// The options' Warn is made once per parser run, not per message (a
	// tenth of the allocations of a capture scan were such functions): it
	// reads the frame of the message being read from warnFrame.
	var warnFrame int
	warn := func(msg string) { c.warnAt(warnFrame, msg) }
	for {
		if sd.idle(br) {
			sd.parked = true
			return
		}
		frame, t, ok := sd.startMessage(&br, fr)
		if !ok {
			return
		}
		start := offset(sd, br)
		m := markAt(sd.marks, start)
		line := firstLine(br, &lineBuf)
		if string(line) == h2Preface[:14] && prefaceAt(br) {
			// "PRI * HTTP/2.0": HTTP/2 from here on, whose switch the
			// capture did not show.
			c.prefaceSwitch(sd, br, nil)
			return
		}
		warnFrame = frame
		o := httpwire.Options{Limits: lim, Scheme: c.s.scheme, Warn: warn, Bodies: c.s.out.bodyPool(), Headers: c.s.out.headerPool()}
		req, err := o.ReadRequest(br)
		sd.msgFrame = 0
		if err != nil {
			if errors.Is(err, errStopped) {
				return
			}
			gapCut := errors.Is(err, errGap) || sd.atGap()
			var cut *httpwire.CutError
			if gapCut && errors.As(err, &cut) && sd.atGap() {
				// Its request line was captured whole: kept as an
				// exchange with what was read, said cut.
				c.lostRequests(sd, start)
				c.cutRequest(sd, cut.Request, frame, t, start, m.ack)
				sd.afterGap(&br, fr, true)
				continue
			}
			c.malformed(frame, sd.dir, err, sd)
			c.lostRequests(sd, start)
			if gapCut {
				// The request is lost with the bytes: its response,
				// if any, must not go to the next one.
				if !c.cliUnsure {
					c.cliUnsure, c.cliFrom, c.cliExact = true, start, false
				}
				c.cliCertain = true
			} else if raw := rawRequest(line); raw != nil && !sd.eofSeen {
				// A server may answer a request it could not read
				// either (400): it keeps its place in the queue.
				c.reqs = append(c.reqs, &h1Pending{frame: frame, raw: true, start: start, ack: m.ack,
					ex: &model.Exchange{Ref: frameRef(frame), Start: t, Conn: c.s.conn, Request: *raw}})
			}
			sd.afterGap(&br, fr, gapCut)
			continue
		}
		c.lostRequests(sd, start)
		if strings.HasPrefix(req.URL, "/") {
			// No Host header (HTTP/1.0, HTTP/0.9): the server's address
			// stands in for it.
			_, server, _ := strings.Cut(c.s.conn, "-")
			req.URL = c.s.scheme + "://" + server + req.URL
		}
		p := &h1Pending{frame: frame, ack: m.ack, start: start, ex: &model.Exchange{Ref: frameRef(frame), Start: t, Conn: c.s.conn, Request: *req}}
		if size := offset(sd, br) - start; !req.Body.Truncated && (c.minReq == 0 || size < c.minReq) {
			c.minReq = size
		}
		c.habits(p)
		c.reqs = append(c.reqs, p)
		if sd.atGap() && br.Buffered() == 0 && req.Body.Truncated {
			// Lost bytes cut the body: what follows them is known to
			// start a request only where Content-Length ends it.
			c.cliUnsure, c.cliFrom, c.cliExact = true, sd.read, false
			if end, ok := fixedEnd(req.Headers, req.Body.Size, sd.read); ok && sd.tcp {
				c.cliFrom, c.cliExact = end, true
			}
			sd.bodyCut = true
		}
		// Read before giveUp: once the exchange is emitted, its header
		// list may be handed back and reused.
		upgrade := req.Headers.Has("Upgrade")
		h2c := upgrade && isUpgrade(req.Headers, "h2c")
		c.giveUp()
		if req.Method != "CONNECT" && !upgrade {
			continue
		}
		// What follows may not be HTTP: wait for the answer. A client
		// that sends the HTTP/2 preface got a 101 the capture lost.
		preface := func() bool { return h2c && !p.answered && c.clientPreface(sd, br) }
		if !sd.wait(yield, func() bool { return p.answered || preface() }) {
			return
		}
		if preface() {
			c.prefaceSwitch(sd, br, p)
			return
		}
		switch {
		case req.Method == "CONNECT" && p.status >= 200 && p.status < 300:
			c.handOver(sd, br) // into the tunnel
			return
		case p.status == 101 && h2c:
			c.handOver(sd, br)
			return
		case p.status == 101:
			return // another protocol (WebSocket, ...)
		}
	}
}

// cutRequest keeps a request whose header section bytes lost in the
// capture cut (a snap length shorter than the packets, or lost segments)
// after its whole request line: an exchange with its method, URL and the
// field lines read whole, noted at its frame as cut. It waits for its
// response like any request. Where it ended is not known: a request
// beginning after the lost bytes may follow others lost with them, as
// after lost bytes between two messages, but none surely began there.
func (c *h1Conn) cutRequest(sd *h1Side, req *model.Request, frame int, t time.Time, start, ack int64) {
	if strings.HasPrefix(req.URL, "/") {
		_, server, _ := strings.Cut(c.s.conn, "-")
		req.URL = c.s.scheme + "://" + server + req.URL
	}
	// Told for each such request, not within maxConnNotes: a snap length
	// cuts every request of a connection, and this note is the only
	// mark on the exchange that its headers are not all there.
	c.notes++
	c.s.note(model.NoteGap, frame, "request cut by bytes lost in the capture after its request line and %s: kept as an exchange without the rest of its header section and any body", count(len(req.Headers), "whole header field"))
	p := &h1Pending{frame: frame, ack: ack, start: start, ex: &model.Exchange{Ref: frameRef(frame), Start: t, Conn: c.s.conn, Request: *req}}
	c.habits(p)
	c.reqs = append(c.reqs, p)
	if !c.cliUnsure {
		c.cliUnsure, c.cliFrom, c.cliExact = true, sd.read, false
	}
	c.giveUp()
}

// prefaceAt tells whether the client's next bytes are the HTTP/2
// connection preface.
func prefaceAt(br *bufio.Reader) bool {
	b, _ := br.Peek(min(br.Buffered(), len(h2Preface)))
	if len(b) < 4 || string(b[:4]) != h2Preface[:4] {
		return false
	}
	if len(b) < len(h2Preface) {
		b, _ = br.Peek(len(h2Preface))
	}
	return string(b) == h2Preface
}

// clientPreface tells whether the client bytes not read yet (buffered in
// br, then in sd.buf) are the whole HTTP/2 connection preface.
func (c *h1Conn) clientPreface(sd *h1Side, br *bufio.Reader) bool {
	b, _ := br.Peek(min(br.Buffered(), len(h2Preface)))
	if !strings.HasPrefix(h2Preface, string(b)) {
		return false
	}
	rest := len(h2Preface) - len(b)
	if int64(rest) > sd.untilGap() {
		return false
	}
	return string(sd.buf[:rest]) == h2Preface[len(b):]
}

// prefaceSwitch continues the connection as HTTP/2 when the client sent
// the connection preface without the capture showing why: the 101 that
// accepted up's "Upgrade: h2c" was lost (up then becomes stream 1), or
// the upgrade as a whole (up nil). The server's bytes HTTP/1 passed over
// are gone: its side is read from the next frame header that can be
// trusted.
func (c *h1Conn) prefaceSwitch(sd *h1Side, br *bufio.Reader, up *h1Pending) {
	at, _ := lookupMark(sd.marks, offset(sd, br))
	var h2 *H2Conn
	if up != nil {
		c.reqs = slices.DeleteFunc(c.reqs, func(p *h1Pending) bool { return p == up })
		h2 = c.s.switchToH2(&up.ex.Request, up.frame, up.ex.Start)
		c.s.note(model.NoteGap, at, "the capture holds no answer to the h2c upgrade request at frame %d, but the client sent the HTTP/2 connection preface at frame %d: the connection is read as HTTP/2 from there, the upgraded request being stream 1", up.frame, at)
	} else {
		h2 = c.s.switchToH2(nil, 0, time.Time{})
		c.s.note(model.NoteGap, at, "the client sent the HTTP/2 connection preface at frame %d without an upgrade the capture shows: the connection is read as HTTP/2 from there", at)
	}
	srv := &h2.side[ServerToClient]
	srv.resync, srv.fresh = true, true
	c.switched = true
	if o := c.sides[ServerToClient]; len(o.buf) > 0 && len(o.gaps) == 0 {
		c.forward(o, o.buf, o.read)
		o.buf = nil
	}
	c.handOver(sd, br)
}

// firstLine copies the start of the message's first line as buffered
// (at most 256 bytes) into buf, for a request that may not parse.
func firstLine(br *bufio.Reader, buf *[256]byte) []byte {
	b, _ := br.Peek(min(br.Buffered(), len(buf)))
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return buf[:copy(buf[:], bytes.TrimSuffix(b, []byte("\r")))]
}

// rawRequest makes a request of a request line httpwire rejected, nil
// when the line does not look like one.
func rawRequest(line []byte) *model.Request {
	f := strings.Fields(string(line))
	if len(f) == 0 || !httpMethods[f[0]] && !startPrefixOK([]byte(f[0]+" "), ClientToServer) && !badRequestLine(append(line, '\n')) {
		return nil
	}
	req := &model.Request{Method: f[0]}
	if n := len(f); n > 1 && strings.HasPrefix(f[n-1], "HTTP/") {
		req.Proto, f = f[n-1], f[:n-1]
	}
	req.URL = strings.Join(f[1:], " ")
	return req
}

// fixedEnd is the stream offset where a body cut at off by lost bytes
// would have ended, when Content-Length frames it.
func fixedEnd(h model.Headers, got, off int64) (int64, bool) {
	if h.Has("Transfer-Encoding") {
		return 0, false
	}
	cl, err := strconv.ParseInt(strings.TrimSpace(h.Get("Content-Length")), 10, 64)
	if err != nil || cl < got {
		return 0, false
	}
	return off + (cl - got), true
}

// lostRequests puts a placeholder for requests lost in the capture
// before the request starting at start.
func (c *h1Conn) lostRequests(sd *h1Side, start int64) {
	if !c.cliUnsure {
		return
	}
	c.cliUnsure = false
	certain := c.cliCertain || c.cliExact && start > c.cliFrom
	c.cliCertain = false
	if c.cliExact && start <= c.cliFrom {
		return
	}
	p := &h1Pending{frame: sd.msgFrame, lost: true, start: c.cliFrom, ack: -1, lostBytes: start - c.cliFrom}
	if certain {
		p.lostMin = 1
	}
	c.reqs = append(c.reqs, p)
}

// habits records what a new request says about the client while the
// server stream is whole.
func (c *h1Conn) habits(p *h1Pending) {
	if c.unsure {
		return
	}
	if p.ack > c.sides[ServerToClient].total {
		return // the client had server bytes the capture has not (yet)
	}
	for _, q := range c.reqs {
		if !q.lost {
			c.pipelined = true // sent while another waits
			break
		}
	}
	if p.ack < 0 || c.lastEnd < 0 {
		return
	}
	switch {
	case p.ack == c.lastEnd:
		if !c.endSeen {
			c.witnessed++
			c.endSeen = true
		}
		if c.skippedEnd {
			c.unwitnessed++
			c.skippedEnd = false
		}
	case p.ack > c.lastEnd:
		c.unwitnessed++
	}
}

// startSkipped tells that the server's first bytes from off on were
// skipped as the end of a response whose start was not captured: which
// waiting request it answered is decided as after lost bytes (owner).
func (c *h1Conn) startSkipped(sd *h1Side, off int64) {
	if sd.dir != ServerToClient {
		return
	}
	sd.cutStart = false
	frame, _ := lookupMark(sd.marks, off)
	if c.gapFrame == 0 {
		c.gapFrame = frame
	}
	c.notes++
	if c.notes <= maxConnNotes {
		c.s.note(model.NoteGap, frame, "the server→client stream begins inside a response whose start was not captured: its bytes up to the next response are skipped")
	}
	c.serverLost(off, false)
}

// lostBetween tells that bytes the side lost at off began between two
// messages.
func (c *h1Conn) lostBetween(sd *h1Side, off int64) {
	if sd.dir == ClientToServer {
		if !c.cliUnsure {
			c.cliUnsure, c.cliFrom, c.cliExact = true, off, true
		}
		return
	}
	c.serverLost(off, true)
}

// serverLost tells that the server stream from off on is not accounted
// for by the responses read; exact when a response ended at off.
func (c *h1Conn) serverLost(off int64, exact bool) {
	if c.unsure {
		return // the earlier start stands
	}
	c.unsure, c.lostFrom, c.lostExact, c.lostMin, c.epUnpaired = true, off, exact, 0, 0
}

// decision is what owner found for a response.
type decision int

const (
	paired   decision = iota
	orphan            // no request in the capture was sent before it
	lostReq           // it answers a request the capture lost
	unpaired          // the capture cannot tell which request
)

// owner decides which waiting request the response starting at stream
// offset at (in a packet acknowledging ack of the client stream, of
// frame) answers. Nothing lost: the oldest. After lost bytes, the
// capture decides:
//
//   - a request the client sent after it had received byte at (its ACK)
//     cannot be answered there, nor one the server had not begun to
//     receive (the response's ACK), nor one captured after the response
//     began;
//   - lost bytes that began where a response ended hold one response at
//     least;
//   - a client that waits for each response before the next request
//     (never seen pipelining) is answered by the last request it sent
//     before the response came;
//   - a pipelining client whose requests acknowledged the end of each
//     response shows by its ACKs how many responses ended in the lost
//     bytes.
//
// Otherwise the response is left unpaired (unpaired). Requests whose
// response fell into the lost bytes are taken off the queue, marked so.
func (c *h1Conn) owner(at, ack int64, frame int) (*h1Pending, decision) {
	if len(c.reqs) == 0 {
		return nil, orphan
	}
	for !c.unsure && len(c.reqs) > 0 && c.reqs[0].lost {
		// Requests lost at the head of the queue: the next response
		// answers one when one surely began there; none is left when
		// the lost bytes cannot hold another request as large as the
		// smallest this client sent.
		p := c.reqs[0]
		if p.lostMin > 0 {
			p.lostMin--
			p.used++
			return nil, lostReq
		}
		// Unless the response's ACK shows the server had received none
		// of the next request: then it answers one more in the lost
		// bytes, whatever their size says (two short requests lost
		// after a long one).
		if c.minReq > 0 && p.lostBytes < (p.used+1)*c.minReq && !c.notYetReceived(1, ack) {
			c.reqs = c.reqs[1:]
			continue
		}
		break
	}
	if len(c.reqs) == 0 {
		return nil, orphan
	}
	if !c.unsure && !c.reqs[0].lost {
		if c.notYetReceived(0, ack) {
			// Sent before the server had any of the oldest waiting
			// request: it answers none of them.
			return nil, orphan
		}
		return c.reqs[0], paired
	}
	least := c.lostMin
	if c.unsure && c.lostExact && at > c.lostFrom {
		least = max(least, 1)
	}
	if c.unsure && c.lostExact && at == c.lostFrom && !c.reqs[0].lost {
		c.unsure = false
		return c.reqs[0], paired
	}
	last := -1
	for i, p := range c.reqs {
		if !p.lost && (p.frame >= frame && frame > 0 || p.ack >= 0 && at >= 0 && p.ack > at) {
			break
		}
		if p.start >= 0 && ack >= 0 && p.start >= ack {
			break
		}
		last = i
	}
	j := -1
	switch {
	case last < 0:
		return nil, orphan
	case last < least:
		j = -1
	case last == least:
		j = least
	case !c.pipelined:
		j = last
	case c.witnessed > 0 && c.unwitnessed == 0 && c.unsure:
		// Each distinct ACK inside the lost bytes is a response's end.
		n, prev := 0, int64(-1)
		for _, p := range c.reqs[:last+1] {
			if p.ack > c.lostFrom && p.ack < at && p.ack != prev {
				n++
				prev = p.ack
			}
		}
		j = min(least+n, last)
	}
	if j < 0 {
		c.lostMin = least + 1
		c.epUnpaired++
		c.unsure = true
		return nil, unpaired
	}
	for i, p := range c.reqs[:j] {
		// As many of them as responses were left unpaired had their
		// answer among those; which ones cannot be told.
		c.responseLost(p, i >= j-c.epUnpaired)
	}
	c.reqs = c.reqs[j:]
	if c.reqs[0].lost {
		c.reqs[0].used++
		c.reqs[0].lostMin = 0
		c.unsure = false
		return nil, lostReq
	}
	c.unsure = false
	return c.reqs[0], paired
}

// notYetReceived tells that the waiting request reqs[i] began at or after
// ack, the client stream offset the server had received when it sent a
// response: that response cannot answer it. False when either is unknown.
func (c *h1Conn) notYetReceived(i int, ack int64) bool {
	return i < len(c.reqs) && ack >= 0 && c.reqs[i].start >= 0 && c.reqs[i].start >= ack
}

// responseLost ends a request whose response the capture lost.
func (c *h1Conn) responseLost(p *h1Pending, unpaired bool) {
	if p.lost || p.raw || p.gone {
		return
	}
	c.notes++
	switch {
	case unpaired:
		c.notTold++
		if c.notes <= maxConnNotes {
			c.s.note(model.NoteGap, p.frame, "no response paired: after bytes lost before frame %d, its response is among those that could not be told apart", c.gapFrame)
		}
	default:
		c.respLost++
		if c.notes <= maxConnNotes {
			c.s.note(model.NoteGap, p.frame, "response lost in the capture (bytes lost before frame %d)", c.gapFrame)
		}
	}
	c.s.out.exchange(finished{ex: p.ex, frame: p.frame})
}

// cutResponse keeps a response whose header section bytes lost in the
// capture cut (a snap length shorter than the packets, or lost segments)
// after its whole status line, as p's answer: its status, reason and the
// field lines read whole, noted at its frame as cut, so that a redirect
// whose Location was cut still counts as the request's answer. Its body
// and where it ended are not known: the server stream from its start is
// left unsure, as after any loss.
func (c *h1Conn) cutResponse(sd *h1Side, p *h1Pending, resp *model.Response, frame int, end int64) {
	p.answered, p.status = true, resp.Status
	// Told for each such response, not within maxConnNotes: a snap
	// length cuts every response of a connection, and this note is the
	// only mark on the exchange that its headers are not all there.
	c.notes++
	c.s.note(model.NoteGap, frame, "response %d cut by bytes lost in the capture after its status line and %s: kept as the answer to the request at frame %d without the rest of its header section and any body", resp.Status, count(len(resp.Headers), "whole header field"), p.frame)
	p.ex.End = p.ex.Start
	if _, t := lookupMark(sd.marks, end-1); !t.IsZero() {
		p.ex.End = t
	}
	p.ex.Response = resp
	c.s.out.exchange(finished{ex: p.ex, frame: p.frame})
}

// srvMsg is a response being read, with what serverLoop decided as it
// began: kept in h1Side.body while its body's bytes arrive without a
// parser (parkBody).
type srvMsg struct {
	frame   int
	start   int64
	p       *h1Pending
	verdict decision
	method  string
	resp    *model.Response
	body    httpwire.BodyReader
}

func (c *h1Conn) serverLoop(sd *h1Side, yield func(struct{}) bool) {
	fr := sd.reader(yield)
	br := newBufReader(fr)
	defer release(br)
	lim := c.s.out.limits()
	// The options' functions are made once per parser run, not per
	// message (see clientLoop): they read the message being read from
	// cur. A response parked in its body keeps the functions of the run
	// that read its head, whose cur no later message changes.
	var cur struct {
		frame int
		p     *h1Pending
	}
	warn := func(msg string) { c.warnAt(cur.frame, msg) }
	discard := fr.discard
	var skipResponse func(*model.Response) bool
	if sr := c.s.out.skipResponse(); sr != nil {
		skipResponse = func(resp *model.Response) bool {
			// p.ex as it is now: while the response's header section
			// arrived, the request may have been given up and its
			// exchange emitted (giveUp leaves a copy).
			var req *model.Request
			if cur.p != nil {
				req = &cur.p.ex.Request
			}
			return sr(req, resp)
		}
	}
	for {
		var m srvMsg
		var err error
		if sd.body != nil {
			// Back for a body whose bytes arrived while parked.
			m, sd.body = *sd.body, nil
			if sd.readBody(br, &m, &err) {
				return
			}
		} else {
			if sd.idle(br) {
				sd.parked = true
				return
			}
			frame, _, ok := sd.startMessage(&br, fr)
			if !ok {
				return
			}
			// The request's method decides whether a body follows (HEAD).
			if !sd.wait(yield, func() bool { return len(c.reqs) > 0 }) {
				return
			}
			start := offset(sd, br)
			p, verdict := c.owner(start, markAt(sd.marks, start).ack, frame)
			m = srvMsg{frame: frame, start: start, p: p, verdict: verdict}
			if p != nil {
				m.method = p.ex.Request.Method
			}
			cur.frame, cur.p = frame, p
			o := httpwire.Options{Limits: lim, Scheme: c.s.scheme, Warn: warn, SkipBody: c.s.out.skipBody(), Discard: discard,
				SkipResponse: skipResponse, Bodies: c.s.out.bodyPool(), Headers: c.s.out.headerPool()}
			if head, _ := br.Peek(5); p != nil && p.ex.Request.Proto == "HTTP/0.9" && string(head) != "HTTP/" {
				// An HTTP/0.9 answer is the bare body up to the close.
				b := httpwire.NewBodyBuilder(o)
				_, err = io.Copy(b, br)
				m.resp = &model.Response{Proto: "HTTP/0.9", Body: b.Body(nil, errors.Is(err, errGap))}
				if errors.Is(err, errGap) {
					err = nil
				}
			} else {
				m.resp, m.body, err = o.ReadResponseHead(br, m.method)
				if err == nil && m.body.On() && sd.readBody(br, &m, &err) {
					return
				}
			}
		}
		frame, start, p, verdict, method, resp := m.frame, m.start, m.p, m.verdict, m.method, m.resp
		sd.msgFrame = 0
		if p != nil && c.switched && (len(c.reqs) == 0 || c.reqs[0] != p) {
			// While this answer was read, the client's HTTP/2 preface
			// switched the connection (prefaceSwitch: an h2c upgrade
			// whose 101 the capture lost): p is stream 1 there, and
			// HTTP/1 reads no more of this side.
			return
		}
		if err != nil {
			if errors.Is(err, errStopped) {
				return
			}
			gapCut := errors.Is(err, errGap) || sd.atGap()
			var cut *httpwire.CutError
			if gapCut && p != nil && !sd.eofSeen && !p.gone && errors.As(err, &cut) && cut.Response != nil && sd.atGap() {
				// Its status line was captured whole: it answers its
				// request, kept with what was read, said cut.
				c.reqs = c.reqs[1:]
				c.cutResponse(sd, p, cut.Response, frame, offset(sd, br))
				c.serverLost(start, false)
				sd.afterGap(&br, fr, true)
				continue
			}
			c.malformed(frame, sd.dir, err, sd)
			if p != nil && !sd.eofSeen {
				// The response was there: its request is answered by
				// nothing readable, and keeps no other's response.
				c.reqs = c.reqs[1:]
				if gapCut {
					c.responseLost(p, false)
				} else if !p.gone {
					c.s.out.exchange(finished{ex: p.ex, frame: p.frame})
				}
				p.answered = true
			}
			if gapCut {
				c.serverLost(start, false)
			}
			sd.afterGap(&br, fr, gapCut)
			continue
		}
		end := offset(sd, br)
		if sd.atGap() && br.Buffered() == 0 && resp.Body.Truncated {
			// Lost bytes cut the body; Content-Length tells where the
			// next response begins.
			if e, ok := fixedEnd(resp.Headers, resp.Body.Size, sd.read); ok && sd.tcp {
				c.serverLost(e, true)
			} else {
				c.serverLost(sd.read, false)
			}
			sd.bodyCut = true
		} else if !c.unsure {
			if c.lastEnd >= 0 && !c.endSeen {
				c.skippedEnd = true
			}
			c.lastEnd, c.endSeen = end, false
		}
		if p == nil {
			c.notes++
			switch verdict {
			case orphan:
				if c.notes <= maxConnNotes {
					c.s.note(model.NoteOrphan, frame, "response %d without a request in the capture", resp.Status)
				}
			case lostReq:
				c.lostAnswer++
				if c.notes <= maxConnNotes {
					c.s.note(model.NoteGap, frame, "response %d answers a request lost in the capture", resp.Status)
				}
			case unpaired:
				c.undecided++
				if c.notes <= maxConnNotes {
					c.s.note(model.NoteGap, frame, "response %d not paired: after bytes lost before frame %d, the capture cannot tell which of the waiting requests it answers", resp.Status, c.gapFrame)
				}
			}
			continue
		}
		p.answered, p.status = true, resp.Status
		c.reqs = c.reqs[1:]
		if p.gone {
			c.notes++
			if c.notes <= maxConnNotes {
				c.s.note(model.NoteLate, frame, "response %d to the request at frame %d came after %d more requests; that request was reported unanswered", resp.Status, p.frame, maxPipelined)
			}
			continue
		}
		_, p.ex.End = lookupMark(sd.marks, end-1)
		p.ex.Response = resp
		if resp.Status == 101 && isUpgrade(p.ex.Request.Headers, "h2c") {
			// The upgraded request is stream 1 of the HTTP/2 connection,
			// which carries its real response.
			c.s.switchToH2(&p.ex.Request, p.frame, p.ex.Start)
			c.switched = true
			c.handOver(sd, br)
			return
		}
		if method == "CONNECT" && resp.Status >= 200 && resp.Status < 300 {
			p.ex.Tunnel = true
		}
		c.s.out.exchange(finished{ex: p.ex, frame: p.frame})
		if p.ex.Tunnel {
			// What goes through the tunnel (TLS, or plain HTTP) is a
			// connection of its own.
			c.s.switchToTunnel()
			c.switched = true
			c.handOver(sd, br)
			return
		}
		if resp.Status == 101 {
			return // another protocol (WebSocket, ...): opaque
		}
	}
}

// handOver passes the bytes a side holds after the connection switched
// protocols (h2c, or a CONNECT tunnel) to the session's new parser, which
// receives later bytes directly.
func (c *h1Conn) handOver(sd *h1Side, br *bufio.Reader) {
	if !c.switched {
		return
	}
	start := offset(sd, br)
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		c.forward(sd, bytes.Clone(b), start)
	}
	if len(sd.buf) > 0 {
		c.forward(sd, sd.buf, sd.read)
		sd.buf = nil
	}
}

// forward feeds data, which starts at stream offset off, to the session
// packet by packet, so that each byte keeps its frame.
func (c *h1Conn) forward(sd *h1Side, data []byte, off int64) {
	for len(data) > 0 {
		i, _ := slices.BinarySearchFunc(sd.marks, off, func(m mark, off int64) int { return cmp.Compare(m.off, off) })
		if i == len(sd.marks) || sd.marks[i].off > off {
			i-- // the mark at or before off
		}
		n := len(data)
		if i+1 < len(sd.marks) {
			n = int(min(int64(n), sd.marks[i+1].off-off))
		}
		frame, t := 0, time.Time{}
		if i >= 0 {
			frame, t = sd.marks[i].frame, sd.marks[i].t
		}
		c.s.feed(sd.dir, data[:n], frame, t)
		data, off = data[n:], off+int64(n)
	}
}

func (c *h1Conn) feed(dir Dir, data []byte, frame int, t time.Time) {
	sd := c.sides[dir]
	if sd.done {
		return
	}
	ack := int64(-1)
	if seg := c.s.seg; seg.ok {
		if len(sd.marks) == 0 {
			// The first bytes: offsets are the TCP stream's from now on.
			sd.shift(seg.off - sd.total)
			sd.tcp = true
		}
		ack = seg.ack
	}
	sd.marks = append(sd.marks, mark{off: sd.total, frame: frame, t: t, ack: ack})
	sd.total += int64(len(data))
	if sd.pass > 0 && len(sd.buf) == 0 {
		// The parser passes over a skipped body (feedReader.discard):
		// drop what it would read past, never beyond lost bytes, and wake
		// it only when it has more to do.
		k := min(int64(len(data)), sd.pass)
		if len(sd.gaps) > 0 {
			k = min(k, sd.gaps[0].at-sd.read)
		}
		if k > 0 {
			data = data[k:]
			sd.read += k
			sd.pass -= k
			sd.passed += k
		}
		if len(data) == 0 && sd.pass > 0 {
			c.pump()
			c.keep(sd)
			return
		}
	}
	if sd.body != nil && len(sd.buf) == 0 {
		// A parked response's body (parkBody): its bytes go to it, up to
		// lost ones; the parser starts again once it has them all.
		k := int64(len(data))
		if len(sd.gaps) > 0 {
			k = min(k, sd.gaps[0].at-sd.read)
		}
		n := sd.body.body.Write(data[:k])
		data = data[n:]
		sd.read += int64(n)
		if len(data) == 0 && sd.body.body.Need() > 0 {
			c.pump()
			c.keep(sd)
			return
		}
	}
	if len(sd.buf) > 0 {
		if !sd.bufOwned {
			sd.buf = append([]byte(nil), sd.buf...)
			sd.bufOwned = true
		}
		sd.buf = append(sd.buf, data...)
	} else {
		sd.buf, sd.bufOwned = data, false
	}
	c.resume(sd)
	c.pump()
	c.keep(sd)
}

// keep copies bytes the parser left unread (it waits for the other side),
// since the capture reuses its buffers, and prunes marks no longer needed.
func (c *h1Conn) keep(sd *h1Side) {
	if len(sd.buf) > 0 && !sd.bufOwned {
		sd.buf = append([]byte(nil), sd.buf...)
		sd.bufOwned = true
	}
	if len(sd.buf) == 0 {
		sd.buf, sd.bufOwned = nil, false
	}
	// Bytes before read-brSize are past the bufio buffer: no message can
	// start or end there any more.
	low := sd.read - brSize
	i := 0
	for i+1 < len(sd.marks) && sd.marks[i+1].off <= low {
		i++
	}
	if i > 0 {
		sd.marks = append(sd.marks[:0], sd.marks[i:]...)
	}
}

func (c *h1Conn) resume(sd *h1Side) {
	if sd.done {
		return
	}
	if sd.co == nil {
		if len(sd.buf) == 0 && !sd.eofSeen && !sd.atGap() && (sd.body == nil || sd.body.body.Need() > 0) {
			return // parked, and still nothing to read
		}
		loop := sd.loop
		sd.co = c.s.out.coroutines().start(func(yield func(struct{}) bool) { loop(sd, yield) })
	}
	if !sd.co.resume() {
		c.s.out.coroutines().put(sd.co)
		sd.co = nil
		if sd.parked {
			sd.parked = false
			return
		}
		sd.done = true
		sd.buf = nil
	}
}

// pump lets a side waiting on the other one look again.
func (c *h1Conn) pump() {
	for range 2 {
		for _, sd := range c.sides {
			if sd.waiting && !sd.done {
				c.resume(sd)
			}
		}
	}
}

// shift moves the side's offsets by d, before any byte arrived.
func (sd *h1Side) shift(d int64) {
	sd.total += d
	sd.read += d
	for i := range sd.gaps {
		sd.gaps[i].at += d
	}
}

// gap records n bytes lost after those delivered so far; frame is the
// first packet after them (0 when unknown).
func (c *h1Conn) gap(dir Dir, n int, frame int) {
	sd := c.sides[dir]
	if sd.done {
		return
	}
	sd.cutStart = false // what follows is after lost bytes, not at the start
	before := 0
	if len(sd.marks) > 0 {
		before, _ = lookupMark(sd.marks, sd.total-1)
	}
	if len(sd.gaps) == maxGaps {
		// Too many pieces: what lies between the last gap and this one
		// counts as lost too.
		g := &sd.gaps[len(sd.gaps)-1]
		if keep := g.at - sd.read; keep >= 0 && keep <= int64(len(sd.buf)) {
			sd.buf = sd.buf[:keep]
		}
		g.n = sd.total + int64(n) - g.at
	} else {
		sd.gaps = append(sd.gaps, gapRec{at: sd.total, n: int64(n), frame: frame})
	}
	sd.total += int64(n)
	c.lostBytes[dir] += int64(n)
	if c.gapFrame == 0 {
		c.gapFrame = cmp.Or(frame, before)
	}
	c.notes++
	if c.notes <= maxConnNotes {
		after := ""
		if before > 0 {
			after = fmt.Sprintf(" (after frame %d)", before)
		}
		if before > 0 && (frame == 0 || frame == before) {
			// No later packet of the stream: the bytes after this
			// frame's (its own end, cut by the snap length, or the
			// segments after it) were not captured.
			c.s.note(model.NoteGap, before, "%d bytes lost in the %v stream after this frame", n, dir)
		} else {
			c.s.note(model.NoteGap, cmp.Or(frame, before), "%d bytes lost in the %v stream before this frame%s", n, dir, after)
		}
	}
	// The parser learns of the loss now, not at its next bytes: a
	// request the lost bytes cut (cutRequest), or lost with them,
	// takes its place in the queue before the server bytes that
	// follow the loss (which the capture shows after it) are
	// paired; a response they cut (cutResponse) answers its request
	// before the client's next request is queued (which would
	// otherwise look pipelined).
	c.resume(sd)
	c.pump()
	c.keep(sd)
}

func (c *h1Conn) eof(dir Dir) {
	sd := c.sides[dir]
	if sd.done || sd.eofSeen {
		return
	}
	sd.eofSeen = true
	c.resume(sd)
	c.pump()
	c.keep(sd)
}

func (c *h1Conn) close() {
	for _, sd := range c.sides {
		sd.eofSeen = true
	}
	for range 3 {
		for _, sd := range c.sides {
			c.resume(sd)
		}
	}
	for _, sd := range c.sides {
		if !sd.done {
			if sd.co != nil {
				sd.co.halt()
				c.s.out.coroutines().put(sd.co)
				sd.co = nil
			}
			sd.done = true
		}
	}
	// Requests never answered.
	unanswered := 0
	for _, p := range c.reqs {
		if p.lost || p.raw || p.gone {
			continue
		}
		if c.gapFrame > 0 && p.frame >= c.gapFrame || c.unsure {
			unanswered++
		}
		c.s.out.exchange(finished{ex: p.ex, frame: p.frame})
	}
	c.reqs = nil
	if lost := c.lostBytes[0] + c.lostBytes[1]; lost > 0 {
		msg := fmt.Sprintf("%s unanswered after %d bytes lost at frame %d", count(c.respLost+c.notTold+unanswered, "request"), lost, c.gapFrame)
		if c.respLost+c.notTold+unanswered == 0 {
			msg = fmt.Sprintf("every request answered despite %d bytes lost at frame %d", lost, c.gapFrame)
		}
		if c.respLost > 0 {
			msg += fmt.Sprintf("; %s lost in the capture", count(c.respLost, "response"))
		}
		if c.undecided > 0 {
			msg += fmt.Sprintf("; %s not paired (which request each answers cannot be told)", count(c.undecided, "response"))
		}
		if c.lostAnswer > 0 {
			msg += fmt.Sprintf("; %s answering requests lost in the capture", count(c.lostAnswer, "response"))
		}
		c.s.note(model.NoteGap, c.gapFrame, "%s", msg)
	}
}

func (c *h1Conn) lowest() int {
	low := c.sides[ClientToServer].msgFrame
	for _, p := range c.reqs {
		if p.lost || p.gone {
			continue // nothing to hold back for: lost, or already out
		}
		if low == 0 || p.frame < low {
			low = p.frame
		}
		break
	}
	return low
}

// count is "1 request", "3 requests".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
