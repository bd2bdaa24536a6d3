package pcap

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/parse"
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
	// reqs are requests waiting for their response, oldest first.
	reqs     []*h1Pending
	notes    int
	switched bool // h2c or a tunnel: the remaining bytes go to s's new parser
}

type h1Pending struct {
	ex    *parse.Exchange
	frame int
	// answered is set once the response (or the end of the server stream)
	// was seen; status holds the response status.
	answered bool
	status   int
}

type h1Side struct {
	c   *h1Conn
	dir Dir

	buf      []byte // bytes not yet read by the parser
	bufOwned bool
	total    int64 // bytes delivered so far
	read     int64 // bytes handed to the parser so far
	gapAt    int64 // stream offset where bytes were lost, -1 when none
	eofSeen  bool
	resync   bool // after a gap or garbage: wait for a message start
	waiting  bool // suspended on the other side, not on bytes
	done     bool
	marks    []mark
	msgFrame int // frame where the message being parsed began, 0 when idle

	next func() (struct{}, bool)
	stop func()
}

func newH1Conn(s *session) *h1Conn {
	c := &h1Conn{s: s}
	for d := range c.sides {
		sd := &h1Side{c: c, dir: Dir(d), gapAt: -1}
		c.sides[d] = sd
		loop := c.clientLoop
		if Dir(d) == ServerToClient {
			loop = c.serverLoop
		}
		sd.next, sd.stop = iter.Pull(func(yield func(struct{}) bool) { loop(sd, yield) })
	}
	return c
}

// feedReader is what the coroutine's bufio.Reader reads from.
type feedReader struct {
	sd    *h1Side
	yield func(struct{}) bool
}

func (f *feedReader) Read(p []byte) (int, error) {
	sd := f.sd
	for {
		if sd.gapAt >= 0 && sd.read == sd.gapAt {
			return 0, errGap
		}
		if sd.resync && len(sd.buf) > 0 {
			switch {
			case sd.gapAt >= 0:
				// More bytes were lost further on: what comes before
				// that gap cannot be resynchronized on.
				n := min(int64(len(sd.buf)), sd.gapAt-sd.read)
				sd.read += n
				sd.buf = sd.buf[n:]
				continue
			case sd.startsMessage(sd.buf):
				sd.resync = false
			default:
				sd.read += int64(len(sd.buf))
				sd.buf = sd.buf[:0]
			}
		}
		if len(sd.buf) > 0 && !sd.resync {
			break
		}
		if sd.eofSeen {
			return 0, io.EOF
		}
		if !f.yield(struct{}{}) {
			return 0, errStopped
		}
	}
	n := len(sd.buf)
	if sd.gapAt >= 0 {
		n = int(min(int64(n), sd.gapAt-sd.read))
	}
	n = copy(p, sd.buf[:n])
	sd.buf = sd.buf[n:]
	sd.read += int64(n)
	return n, nil
}

func (sd *h1Side) startsMessage(b []byte) bool {
	if sd.dir == ClientToServer {
		return looksLikeRequest(b)
	}
	return looksLikeResponse(b)
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
			sd.afterGap(br, fr)
			continue
		}
		return 0, time.Time{}, false
	}
	frame, t = lookupMark(sd.marks, offset(sd, *br))
	sd.msgFrame = frame
	return frame, t, true
}

// afterGap drops what was buffered before lost bytes and waits for the
// next message start.
func (sd *h1Side) afterGap(br **bufio.Reader, fr *feedReader) {
	if sd.gapAt >= 0 && sd.read >= sd.gapAt {
		sd.gapAt = -1 // at the gap; a later one stays pending
	}
	sd.resync = true
	*br = bufio.NewReaderSize(fr, brSize)
}

func (c *h1Conn) malformed(frame int, dir Dir, err error) {
	c.notes++
	if c.notes > maxConnNotes {
		return
	}
	what := "request"
	if dir == ServerToClient {
		what = "response"
	}
	if errors.Is(err, errGap) {
		c.s.note("gap", frame, "%s cut by bytes lost in the capture", what)
		return
	}
	c.s.note("malformed", frame, "%s not parsed: %v", what, err)
}

func (c *h1Conn) warn(frame int) func(string) {
	return func(msg string) {
		c.notes++
		if c.notes > maxConnNotes {
			return
		}
		kind := "malformed"
		if strings.Contains(msg, "cut") {
			kind = "truncated"
		}
		c.s.note(kind, frame, "%s", msg)
	}
}

func (c *h1Conn) clientLoop(sd *h1Side, yield func(struct{}) bool) {
	fr := &feedReader{sd: sd, yield: yield}
	br := bufio.NewReaderSize(fr, brSize)
	lim := c.s.out.limits()
	for {
		frame, t, ok := sd.startMessage(&br, fr)
		if !ok {
			return
		}
		o := httpwire.Options{Limits: lim, Scheme: c.s.scheme, Warn: c.warn(frame)}
		req, err := o.ReadRequest(br)
		sd.msgFrame = 0
		if err != nil {
			if errors.Is(err, errStopped) {
				return
			}
			c.malformed(frame, sd.dir, err)
			sd.afterGap(&br, fr)
			continue
		}
		if strings.HasPrefix(req.URL, "/") {
			// No Host header (HTTP/1.0, HTTP/0.9): the server's address
			// stands in for it.
			_, server, _ := strings.Cut(c.s.conn, "-")
			req.URL = c.s.scheme + "://" + server + req.URL
		}
		p := &h1Pending{frame: frame, ex: &parse.Exchange{Ref: frameRef(frame), Start: t, Conn: c.s.conn, Request: *req}}
		c.reqs = append(c.reqs, p)
		if len(c.reqs) > maxPipelined {
			// The server stopped answering: give up on the oldest.
			c.s.out.exchange(finished{ex: c.reqs[0].ex, frame: c.reqs[0].frame})
			c.reqs = c.reqs[1:]
		}
		if req.Method != "CONNECT" && !req.Headers.Has("Upgrade") {
			continue
		}
		// What follows may not be HTTP: wait for the answer.
		if !sd.wait(yield, func() bool { return p.answered }) {
			return
		}
		switch {
		case req.Method == "CONNECT" && p.status >= 200 && p.status < 300:
			c.handOver(sd, br) // into the tunnel
			return
		case p.status == 101 && isUpgrade(req.Headers, "h2c"):
			c.handOver(sd, br)
			return
		case p.status == 101:
			return // another protocol (WebSocket, ...)
		}
	}
}

func (c *h1Conn) serverLoop(sd *h1Side, yield func(struct{}) bool) {
	fr := &feedReader{sd: sd, yield: yield}
	br := bufio.NewReaderSize(fr, brSize)
	lim := c.s.out.limits()
	for {
		frame, _, ok := sd.startMessage(&br, fr)
		if !ok {
			return
		}
		// The request's method decides whether a body follows (HEAD).
		if !sd.wait(yield, func() bool { return len(c.reqs) > 0 }) {
			return
		}
		var p *h1Pending
		method := ""
		if len(c.reqs) > 0 {
			p = c.reqs[0]
			method = p.ex.Request.Method
		}
		o := httpwire.Options{Limits: lim, Scheme: c.s.scheme, Warn: c.warn(frame)}
		var resp *parse.Response
		var err error
		if head, _ := br.Peek(5); p != nil && p.ex.Request.Proto == "HTTP/0.9" && string(head) != "HTTP/" {
			// An HTTP/0.9 answer is the bare body up to the close.
			b := httpwire.NewBodyBuilder(o)
			_, err = io.Copy(b, br)
			resp = &parse.Response{Proto: "HTTP/0.9", Body: b.Body(nil, errors.Is(err, errGap))}
			if errors.Is(err, errGap) {
				err = nil
			}
		} else {
			resp, err = o.ReadResponse(br, method)
		}
		sd.msgFrame = 0
		if err != nil {
			if errors.Is(err, errStopped) {
				return
			}
			c.malformed(frame, sd.dir, err)
			sd.afterGap(&br, fr)
			continue
		}
		if p == nil {
			c.notes++
			if c.notes <= maxConnNotes {
				c.s.note("orphan", frame, "response %d without a request in the capture", resp.Status)
			}
			continue
		}
		end := offset(sd, br) - 1
		_, p.ex.End = lookupMark(sd.marks, end)
		p.ex.Response = resp
		p.answered, p.status = true, resp.Status
		c.reqs = c.reqs[1:]
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
	sd.marks = append(sd.marks, mark{off: sd.total, frame: frame, t: t})
	sd.total += int64(len(data))
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
	if _, ok := sd.next(); !ok {
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

func (c *h1Conn) gap(dir Dir, n int) {
	sd := c.sides[dir]
	if sd.done {
		return
	}
	if sd.gapAt < 0 {
		sd.gapAt = sd.total
	}
	frame, _ := lookupMark(sd.marks, sd.total-1)
	c.notes++
	if c.notes <= maxConnNotes {
		c.s.note("gap", frame, "%d bytes lost in the %v stream after this frame", n, dir)
	}
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
			sd.stop()
			sd.done = true
		}
	}
	// Requests never answered.
	for _, p := range c.reqs {
		c.s.out.exchange(finished{ex: p.ex, frame: p.frame})
	}
	c.reqs = nil
}

func (c *h1Conn) lowest() int {
	low := c.sides[ClientToServer].msgFrame
	if len(c.reqs) > 0 && (low == 0 || c.reqs[0].frame < low) {
		low = c.reqs[0].frame
	}
	return low
}
