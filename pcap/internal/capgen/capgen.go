// Package capgen writes synthetic HTTP/1.1 captures for benchmarks: many
// keep-alive connections to one server, interleaved packet by packet,
// with OAuth-looking requests and bodies of a chosen size.
package capgen

import (
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Config shapes the capture.
type Config struct {
	Conns       int // connections in total
	Concurrent  int // connections open at once, interleaved
	PerConn     int // exchanges per connection (keep-alive)
	BodyBytes   int // response body size
	SegmentSize int // TCP payload per packet
	// Customer makes a customer-like capture (see customer.go) instead of
	// authorize requests answered with plain HTML; BodyBytes is unused.
	Customer bool
}

// DefaultConfig makes about 50 MB.
var DefaultConfig = Config{Conns: 2000, Concurrent: 64, PerConn: 5, BodyBytes: 4000, SegmentSize: 1448}

// Stats says what was written.
type Stats struct {
	Packets   int
	Exchanges int
	Bytes     int64
}

type conn struct {
	id       int
	client   net.IP
	port     uint16
	seqC     uint32
	seqS     uint32
	step     int // exchanges done
	pending  [][]byte
	fromSide []bool // true: client sent it
	fin      bool
}

// Write writes a pcap to w.
func Write(w io.Writer, cfg Config) (Stats, error) {
	cw := &countWriter{w: w}
	pw := pcapgo.NewWriter(cw)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return Stats{}, err
	}
	g := &gen{pw: pw, t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), server: net.IPv4(10, 0, 0, 1).To4(), cfg: cfg}
	var live []*conn
	next := 0
	for next < cfg.Conns || len(live) > 0 {
		for len(live) < cfg.Concurrent && next < cfg.Conns {
			c := &conn{id: next, client: net.IPv4(10, 1, byte(next>>8), byte(next)).To4(), port: uint16(20000 + next%40000), seqC: 1000, seqS: 5000}
			g.open(c)
			live = append(live, c)
			next++
		}
		// One packet from each live connection in turn.
		kept := live[:0]
		for _, c := range live {
			if err := g.stepConn(c); err != nil {
				return Stats{}, err
			}
			if !c.fin {
				kept = append(kept, c)
			}
		}
		live = kept
	}
	g.stats.Bytes = cw.n
	return g.stats, g.err
}

type gen struct {
	pw     *pcapgo.Writer
	t      time.Time
	server net.IP
	cfg    Config
	stats  Stats
	err    error
	buf    gopacket.SerializeBuffer
}

func (g *gen) open(c *conn) {
	g.packet(c, true, layers.TCP{SYN: true}, nil)
	c.seqC++
	g.packet(c, false, layers.TCP{SYN: true, ACK: true}, nil)
	c.seqS++
	g.packet(c, true, layers.TCP{ACK: true}, nil)
}

func (g *gen) stepConn(c *conn) error {
	if len(c.pending) == 0 {
		if c.step == g.cfg.PerConn {
			g.packet(c, true, layers.TCP{FIN: true, ACK: true}, nil)
			c.seqC++
			g.packet(c, false, layers.TCP{FIN: true, ACK: true}, nil)
			c.seqS++
			c.fin = true
			return g.err
		}
		g.queueExchange(c)
	}
	p := c.pending[0]
	fromClient := c.fromSide[0]
	c.pending, c.fromSide = c.pending[1:], c.fromSide[1:]
	g.packet(c, fromClient, layers.TCP{PSH: true, ACK: true}, p)
	if fromClient {
		c.seqC += uint32(len(p))
	} else {
		c.seqS += uint32(len(p))
	}
	return g.err
}

func (g *gen) queueExchange(c *conn) {
	n := c.step
	c.step++
	g.stats.Exchanges++
	if g.cfg.Customer {
		req, resp := g.customerExchange(c, n)
		g.queue(c, req, resp)
		return
	}
	req := fmt.Sprintf("GET /oauth2/v2.0/authorize?client_id=app-%d&response_type=code&redirect_uri=https%%3A%%2F%%2Fapp.example%%2Fcb&state=s%d-%d HTTP/1.1\r\n"+
		"Host: login.example.com\r\nUser-Agent: capgen\r\nAccept: text/html\r\nCookie: sid=%08d\r\n\r\n", n, c.port, n, n)
	body := strings.Repeat("x", g.cfg.BodyBytes)
	resp := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	g.queue(c, []byte(req), resp)
}

// queue sends req in segments from the client, then resp from the server.
func (g *gen) queue(c *conn, req, resp []byte) {
	for len(req) > 0 {
		k := min(len(req), g.cfg.SegmentSize)
		c.pending = append(c.pending, req[:k])
		c.fromSide = append(c.fromSide, true)
		req = req[k:]
	}
	for len(resp) > 0 {
		k := min(len(resp), g.cfg.SegmentSize)
		c.pending = append(c.pending, resp[:k])
		c.fromSide = append(c.fromSide, false)
		resp = resp[k:]
	}
}

func (g *gen) packet(c *conn, fromClient bool, tcp layers.TCP, payload []byte) {
	if g.err != nil {
		return
	}
	g.t = g.t.Add(50 * time.Microsecond)
	ip := layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: c.client, DstIP: g.server}
	tcp.SrcPort, tcp.DstPort = layers.TCPPort(c.port), 80
	tcp.Seq, tcp.Ack = c.seqC, c.seqS
	if !fromClient {
		ip.SrcIP, ip.DstIP = ip.DstIP, ip.SrcIP
		tcp.SrcPort, tcp.DstPort = tcp.DstPort, tcp.SrcPort
		tcp.Seq, tcp.Ack = c.seqS, c.seqC
	}
	if !tcp.SYN || tcp.ACK {
		tcp.ACK = true
	}
	tcp.Window = 65535
	tcp.SetNetworkLayerForChecksum(&ip)
	eth := layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	if g.buf == nil {
		g.buf = gopacket.NewSerializeBuffer()
	}
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(g.buf, opts, &eth, &ip, &tcp, gopacket.Payload(payload)); err != nil {
		g.err = err
		return
	}
	data := g.buf.Bytes()
	g.stats.Packets++
	g.err = g.pw.WritePacket(gopacket.CaptureInfo{Timestamp: g.t, CaptureLength: len(data), Length: len(data)}, data)
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
