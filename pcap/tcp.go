package pcap

import (
	"bytes"
	"net"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/reassembly"
)

// asmContext carries a packet's time and frame number through the
// assembler, which keeps it with every buffered page. The frame rides in
// CaptureInfo.InterfaceIndex, unused otherwise, to spare an allocation.
type asmContext struct{ ci gopacket.CaptureInfo }

func (c *asmContext) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

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
}

func asmIndex(d reassembly.TCPFlowDirection) int {
	if d == reassembly.TCPDirClientToServer {
		return 0
	}
	return 1
}

func (s *tcpStream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	if nextSeq < 0 && !tcp.SYN {
		// The capture began mid-connection: start at this segment.
		*start = true
	}
	if tcp.SYN && !tcp.ACK && s.clientDir < 0 {
		s.clientDir = asmIndex(dir)
	}
	return true
}

func (s *tcpStream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	dir, _, end, skip := sg.Info()
	length, _ := sg.Lengths()
	d := asmIndex(dir)
	if skip > 0 && s.sess != nil {
		s.sess.gap(s.role(d), skip)
	}
	if length > 0 {
		data := sg.Fetch(length)
		if s.sess == nil {
			s.decide(d, data)
		}
		// Feed packet by packet so that each byte keeps its frame.
		var ci gopacket.CaptureInfo
		for off := 0; off < length; {
			ci = captureInfo(sg, off, ci)
			n := s.runLength(sg, off, length, frameOf(ci))
			s.sess.feed(s.role(d), data[off:off+n], frameOf(ci), ci.Timestamp)
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
}

func (s *tcpStream) role(d int) Dir {
	if d == s.clientDir {
		return ClientToServer
	}
	return ServerToClient
}

func (s *tcpStream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	if s.sess != nil {
		s.sess.close()
		if s.sess.mode == modeIgnore || s.sess.mode == modeDetect {
			s.r.ignored++
		}
	}
	delete(s.r.live, s)
	return true
}
