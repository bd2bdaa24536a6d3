package pcap

import (
	"time"

	"bytes"
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/reassembly"
)

// asmContext carries a packet's time and frame number through the
// assembler, which keeps it with every buffered page. The frame rides in
// CaptureInfo.InterfaceIndex, unused otherwise, to spare an allocation.
// Only those two are kept (32 bytes, not CaptureInfo's 72: one context is
// made per packet): the assembler reads the time, the streams the time and
// the frame (frameOf).
type asmContext struct {
	ts    time.Time
	frame int
}

func (c *asmContext) GetCaptureInfo() gopacket.CaptureInfo {
	return gopacket.CaptureInfo{Timestamp: c.ts, InterfaceIndex: c.frame}
}

func frameOf(ci gopacket.CaptureInfo) int { return ci.InterfaceIndex }

type streamFactory struct{ r *Reader }

func (f *streamFactory) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	s := &tcpStream{r: f.r, clientDir: -1}
	s.ends[0] = endpoint(netFlow.Src(), tcpFlow.Src())
	s.ends[1] = endpoint(netFlow.Dst(), tcpFlow.Dst())
	s.ports = [2]int{int(tcp.SrcPort), int(tcp.DstPort)}
	f.r.live[s] = struct{}{}
	return s
}

func endpoint(host, port gopacket.Endpoint) string {
	return net.JoinHostPort(host.String(), port.String())
}

// tcpStream is one TCP connection as the assembler sees it. Direction 0 is
// the sender of the first packet seen, which is not always the client: the
// client is told by SYN, then by content, then by port numbers.
type tcpStream struct {
	r         *Reader
	ends      [2]string // by assembler direction
	ports     [2]int
	clientDir int // assembler direction of the client, -1 until known
	sess      *session
	// Per assembler direction: the sequence number of stream offset 0,
	// the stream offset reached (bytes delivered plus bytes lost) and the
	// acknowledgment numbers of recent packets, by frame. Pairing after
	// lost bytes reads what each side had received from these.
	base   [2]uint32
	baseOK [2]bool
	pos    [2]int64
	acks   [2][ackRing]ackRec
	nAcks  [2]int
	// ahead holds, per direction, where data resumes past holes: the
	// offsets of segments seen past a hole (the assembler holds them back)
	// and the ends of segments the snap length cut. Several at once: two
	// requests cut by the snap length before the answer that
	// acknowledges both, each hole filled in turn (see holeEnds).
	ahead [2]holeEnds
	// noStart tells which directions began without a SYN (their start
	// was not captured) before the session was made, probe which began so
	// with a packet without payload: a keep-alive probe's sequence number
	// is one below the next byte, so a 1-byte hole after it is no loss.
	noStart, probe [2]bool
	// fin tells which directions sent a FIN.
	fin [2]bool
	// For Reader.computeWatermark: the session's lowest frame when last
	// asked (0: none), its version, whether the stream was fed or closed
	// since, and whether it is closed.
	low     int
	lowVer  int
	touched bool
	closed  bool
}

// maxFill bounds the hole the reader fills when the other side's ACK
// shows its bytes were sent but not captured (larger holes wait for the
// assembler's own limits).
const maxFill = 256 << 10

// maxTailLoss bounds the lost bytes at a stream's end that ACKs alone
// show (larger: a bogus acknowledgment number, most likely).
const maxTailLoss = 64 << 20

// fillBytes is the stand-in payload of a filled hole; never written.
var fillBytes = make([]byte, maxFill)

// holeEnds is a direction's offsets where data resumes past a hole, the
// lowest maxHoleEnds of them, unordered.
type holeEnds struct {
	off [maxHoleEnds]int64
	n   int
}

// maxHoleEnds bounds the holes known ahead of a direction's offset; past
// it the highest are forgotten, and their holes wait for the assembler's
// own limits as before.
const maxHoleEnds = 8

// add records off, keeping the lowest maxHoleEnds.
func (h *holeEnds) add(off int64) {
	hi := -1
	for i, v := range h.off[:h.n] {
		if v == off {
			return
		}
		if hi < 0 || v > h.off[hi] {
			hi = i
		}
	}
	if h.n < maxHoleEnds {
		h.off[h.n] = off
		h.n++
	} else if off < h.off[hi] {
		h.off[hi] = off
	}
}

// lowest forgets the offsets the stream reached (pos) and returns the
// lowest left, -1 when none.
func (h *holeEnds) lowest(pos int64) int64 {
	h.dropTo(pos)
	low := int64(-1)
	for _, v := range h.off[:h.n] {
		if low < 0 || v < low {
			low = v
		}
	}
	return low
}

// dropTo forgets the offsets up to at: a hole filled up to there is not
// filled again whatever the assembler made of the stand-in.
func (h *holeEnds) dropTo(at int64) {
	k := 0
	for _, v := range h.off[:h.n] {
		if v > at {
			h.off[k] = v
			k++
		}
	}
	h.n = k
}

// maxSnapped bounds the bytes a snap length is taken to have cut from one
// packet (an IP packet's largest payload).
const maxSnapped = 1 << 16

// fillFrame marks the stand-in bytes in the assembler's capture info.
const fillFrame = -1

// fill is a hole to fill after the current packet: n bytes at sequence
// seq of assembler direction dir of s.
type fill struct {
	s   *tcpStream
	dir int
	seq uint32
	n   int
}

// ackRing is how many recent packets per direction keep their
// acknowledgment number; older ones read as unknown.
const ackRing = 4

type ackRec struct {
	frame int32
	ack   uint32
}

func asmIndex(d reassembly.TCPFlowDirection) int {
	if d == reassembly.TCPDirClientToServer {
		return 0
	}
	return 1
}

func (s *tcpStream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	if nextSeq < 0 && !tcp.SYN {
		// The capture began mid-connection: start at this segment. Its
		// first bytes may be inside a message.
		*start = true
		if s.sess != nil {
			s.sess.startCut(s.role(asmIndex(dir)))
		} else {
			s.noStart[asmIndex(dir)] = true
		}
	}
	if tcp.SYN && !tcp.ACK && s.clientDir < 0 {
		s.clientDir = asmIndex(dir)
	}
	if frameOf(ci) == fillFrame {
		return true
	}
	d := asmIndex(dir)
	if nextSeq < 0 && !s.baseOK[d] {
		// Where the assembler starts this direction: after the SYN, or
		// at this segment.
		s.base[d], s.baseOK[d] = tcp.Seq, true
		if tcp.SYN {
			s.base[d]++
		}
		s.probe[d] = !tcp.SYN && len(tcp.Payload) == 0
	}
	// A FIN past a hole shows its bytes were sent too (the last
	// response, say, when the capture missed it), unless the hole is the
	// byte a keep-alive probe at the start of the capture stood below.
	if s.baseOK[d] && nextSeq >= 0 && (len(tcp.Payload) > 0 || tcp.FIN) {
		s.fin[d] = s.fin[d] || tcp.FIN
		if off := s.unwrap(d, tcp.Seq); off > s.pos[d] &&
			!(off == 1 && s.pos[d] == 0 && s.probe[d] && len(tcp.Payload) == 0) {
			s.ahead[d].add(off)
		}
	}
	if cut := s.r.snapCut; cut > 0 && cut <= maxSnapped && len(tcp.Payload) > 0 && s.baseOK[d] && nextSeq >= 0 {
		// The snap length cut this segment: the bytes it carried past
		// the capture were sent, and once the other side acknowledges
		// them they are lost bytes (a hole to fill, as below), reported
		// before its answer is read rather than at this side's next
		// segment.
		if end := s.unwrap(d, tcp.Seq) + int64(len(tcp.Payload)+cut); end > s.pos[d] {
			s.ahead[d].add(end)
		}
	}
	if tcp.ACK {
		// The other side holds data past a hole that this packet
		// acknowledges: the hole's bytes reached the receiver but not
		// the capture, so waiting for them is pointless. The packet
		// itself is refused and given again once the hole is filled:
		// what it carries answers the bytes after the hole (a response
		// to the request that follows a lost segment), and must not
		// reach the parsers before them.
		o := 1 - d
		if a := s.ahead[o].lowest(s.pos[o]); s.baseOK[o] && a > s.pos[o] && a-s.pos[o] <= maxFill && s.unwrap(o, tcp.Ack) >= a {
			s.r.fills = append(s.r.fills, fill{s: s, dir: o, seq: s.base[o] + uint32(s.pos[o]), n: int(a - s.pos[o])})
			s.ahead[o].dropTo(a)
			s.r.again = true
			return false
		}
		s.acks[d][s.nAcks[d]%ackRing] = ackRec{frame: int32(frameOf(ci)), ack: tcp.Ack}
		s.nAcks[d]++
	}
	return true
}

// unwrap turns a sequence number of direction d into a stream offset,
// the one nearest the offset reached.
func (s *tcpStream) unwrap(d int, seq uint32) int64 {
	off := s.pos[d]&^0xffffffff | int64(seq-s.base[d])
	switch {
	case off-s.pos[d] > 1<<31:
		off -= 1 << 32
	case s.pos[d]-off > 1<<31:
		off += 1 << 32
	}
	return off
}

// ackedOffset is the stream offset of direction 1-d that the packet of
// frame, sent in direction d, acknowledged: how much the sender had
// received. -1 when unknown.
func (s *tcpStream) ackedOffset(d, frame int) int64 {
	o := 1 - d
	if !s.baseOK[o] {
		return -1
	}
	for i := 1; i <= min(s.nAcks[d], ackRing); i++ {
		r := s.acks[d][(s.nAcks[d]-i)%ackRing]
		if int(r.frame) != frame {
			continue
		}
		return s.unwrap(o, r.ack)
	}
	return -1
}

func (s *tcpStream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	s.r.touch(s)
	dir, _, end, skip := sg.Info()
	length, _ := sg.Lengths()
	d := asmIndex(dir)
	if skip == 1 && s.pos[d] == 0 && s.probe[d] {
		skip, s.pos[d] = 0, 1 // after a keep-alive probe: nothing was lost
	}
	if skip > 0 {
		if s.sess != nil {
			var ci gopacket.CaptureInfo
			if length > 0 {
				ci = captureInfo(sg, 0, ci)
			}
			s.sess.gap(s.role(d), skip, frameOf(ci))
		}
		s.pos[d] += int64(skip)
	}
	if length > 0 {
		data := sg.Fetch(length)
		if s.sess == nil {
			s.decide(d, data)
			for e, no := range s.noStart {
				if no || e == d && skip > 0 {
					s.sess.startCut(s.role(e))
				}
			}
		}
		// Feed packet by packet so that each byte keeps its frame. Most
		// calls carry one packet (one chunk: every offset has its
		// CaptureInfo), whose run is the whole: runLength would ask
		// again for the last byte.
		single := sg.Stats().Chunks == 1
		var ci gopacket.CaptureInfo
		for off := 0; off < length; {
			if single && s.r.live1.is(data) {
				// The packet being assembled: its time and frame are
				// known without asking the assembler (a tenth of the
				// reassembling goroutine's time went to asking).
				ci = gopacket.CaptureInfo{Timestamp: s.r.live1.ts, InterfaceIndex: s.r.live1.frame}
				s.r.live1.delivered = true
			} else {
				ci = captureInfo(sg, off, ci)
			}
			frame := frameOf(ci)
			n := length - off
			if !single {
				n = s.runLength(sg, off, length, frame)
			}
			if frame == fillFrame && n == 1 && s.pos[d] == 0 && s.probe[d] {
				s.pos[d]++ // after a keep-alive probe: nothing was lost
				off++
				continue
			}
			if frame == fillFrame {
				// Bytes sent but not captured.
				var next gopacket.CaptureInfo
				if off+n < length {
					next = captureInfo(sg, off+n, ci)
				}
				s.sess.gap(s.role(d), n, max(frameOf(next), 0))
				s.pos[d] += int64(n)
				off += n
				continue
			}
			s.sess.seg = segInfo{off: s.pos[d], ack: s.ackedOffset(d, frame), ok: true}
			s.sess.feed(s.role(d), data[off:off+n], frame, ci.Timestamp)
			s.sess.seg = segInfo{}
			s.pos[d] += int64(n)
			off += n
		}
	}
	if end && s.sess != nil {
		s.sess.eof(s.role(d))
	}
}

// captureInfo is sg.CaptureInfo(off), or prev where gopacket v1.1.19
// cannot tell: its pages after the first of a large packet carry no
// AssemblerContext and CaptureInfo dereferences the nil one (found by
// FuzzReader). Those bytes belong to the packet of the page before.
func captureInfo(sg reassembly.ScatterGather, off int, prev gopacket.CaptureInfo) (ci gopacket.CaptureInfo) {
	defer func() {
		if recover() != nil {
			ci = prev
		}
	}()
	return sg.CaptureInfo(off)
}

// runLength is how many bytes from off came in the same frame.
func (s *tcpStream) runLength(sg reassembly.ScatterGather, off, length, frame int) int {
	var last gopacket.CaptureInfo
	frameAt := func(i int) int {
		last = captureInfo(sg, i, last)
		return frameOf(last)
	}
	if frameAt(length-1) == frame {
		return length - off
	}
	// Several packets: step through coarsely, then byte by byte.
	const step = 64
	n := off + 1
	for n+step < length && frameAt(n+step-1) == frame {
		n += step
	}
	for n < length && frameAt(n) == frame {
		n++
	}
	return n - off
}

// decide picks the client when the first bytes arrive.
func (s *tcpStream) decide(d int, data []byte) {
	if s.clientDir < 0 {
		switch {
		case looksLikeRequest(data) || looksLikeTLS(data) || bytes.HasPrefix(data, []byte("PRI * HTTP/2")):
			s.clientDir = d
		case looksLikeResponse(data):
			s.clientDir = 1 - d
		case s.ports[d] < 1024 && s.ports[1-d] >= 1024:
			s.clientDir = 1 - d // a well-known port answers first
		default:
			s.clientDir = d
		}
	}
	conn := s.ends[s.clientDir] + "-" + s.ends[1-s.clientDir]
	s.sess = newSession(s.r, conn, "http", false)
	s.r.sessions++
	if s.ports[1-s.clientDir] == 53 {
		// DNS over TCP: its answers name addresses (dnsNames).
		s.sess.mode, s.sess.dns = modeDNS, &dnsStream{}
	}
}

func (s *tcpStream) role(d int) Dir {
	if d == s.clientDir {
		return ClientToServer
	}
	return ServerToClient
}

func (s *tcpStream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	s.r.touch(s)
	s.closed = true
	if s.sess != nil {
		for d := range 2 {
			// The other side's last acknowledgment is past the last
			// bytes captured (and their FIN): the end of the stream was
			// sent but not captured, the last response, say.
			o := 1 - d
			if s.nAcks[o] == 0 || !s.baseOK[d] {
				continue
			}
			last := s.acks[o][(s.nAcks[o]-1)%ackRing]
			for i := 2; i <= min(s.nAcks[o], ackRing); i++ {
				// The first of the recent packets to acknowledge as much.
				if r := s.acks[o][(s.nAcks[o]-i)%ackRing]; r.ack == last.ack {
					last.frame = r.frame
				} else {
					break
				}
			}
			n := s.unwrap(d, last.ack) - s.pos[d]
			if s.fin[d] {
				n--
			}
			if n > 0 && n <= maxTailLoss {
				s.sess.gap(s.role(d), int(n), int(last.frame))
				s.pos[d] += n
			}
		}
		s.sess.close()
		if (s.sess.mode == modeIgnore || s.sess.mode == modeDetect || s.sess.mode == modeDNS) && !s.sess.carriedHTTP() {
			s.r.ignored++
		}
	}
	delete(s.r.live, s)
	return true
}

// livePacket is the packet being assembled: the assembler hands its
// payload to the streams without copying (its other bytes come from
// pages of its own).
type livePacket struct {
	payload []byte
	ts      time.Time
	frame   int
	// delivered: a stream was handed the payload alone (one chunk).
	delivered bool
}

// is reports whether data is a part of the packet's payload.
func (lp *livePacket) is(data []byte) bool { return sameEnd(data, lp.payload) }

// sameEnd reports whether a and b end their capacity at the same byte:
// one is a part of the other's array (every slice of a packet's payload
// ends where the payload does).
func sameEnd(a, b []byte) bool {
	return cap(a) > 0 && cap(b) > 0 && &a[:cap(a)][cap(a)-1] == &b[:cap(b)][cap(b)-1]
}
