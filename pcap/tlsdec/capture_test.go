package tlsdec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// This file holds a small TCP stream extractor for tests, so the package
// can be tested on real captures without the pcap package's pipeline.

type tcpSegment struct {
	dir   Direction
	data  []byte
	frame int
	time  time.Time
}

type tcpConn struct {
	name string
	segs []tcpSegment // in-order payload, in capture order
}

type tcpHalf struct {
	started bool
	next    uint32
	ahead   map[uint32]tcpSegment // out-of-order segments by sequence number
}

// readConns returns the TCP connections of a capture with their in-order
// payload. Retransmitted bytes are dropped and out-of-order segments are
// delivered when the gap fills, as any reassembler would.
func readConns(t testing.TB, name string) []*tcpConn {
	t.Helper()
	raw, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	var (
		next func() ([]byte, gopacket.CaptureInfo, error)
		lt   layers.LinkType
	)
	if len(raw) >= 4 && binary.LittleEndian.Uint32(raw) == blockSHB {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		next, lt = r.ReadPacketData, r.LinkType()
	} else {
		r, err := pcapgo.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		next, lt = r.ReadPacketData, r.LinkType()
	}
	type state struct {
		conn   *tcpConn
		client string
		halves [2]tcpHalf
	}
	byKey := map[string]*state{}
	var conns []*tcpConn
	for frame := 1; ; frame++ {
		data, ci, err := next()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			// The Fluxzy captures are cut short mid-packet; keep what came before.
			break
		}
		p := gopacket.NewPacket(data, lt, gopacket.NoCopy)
		tl, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		nl := p.NetworkLayer()
		if tl == nil || nl == nil {
			continue
		}
		src := fmt.Sprintf("%s:%d", nl.NetworkFlow().Src(), tl.SrcPort)
		dst := fmt.Sprintf("%s:%d", nl.NetworkFlow().Dst(), tl.DstPort)
		key := src + "|" + dst
		if src > dst {
			key = dst + "|" + src
		}
		st := byKey[key]
		if st == nil {
			// The first packet's sender is the client unless it is a SYN-ACK.
			client := src
			if tl.SYN && tl.ACK {
				client = dst
			}
			server := dst
			if client == dst {
				server = src
			}
			st = &state{conn: &tcpConn{name: client + " -> " + server}, client: client}
			byKey[key] = st
			conns = append(conns, st.conn)
		}
		dir := ServerToClient
		if src == st.client {
			dir = ClientToServer
		}
		h := &st.halves[dir]
		seq := tl.Seq
		if tl.SYN {
			h.started, h.next = true, seq+1
			continue
		}
		if !h.started {
			h.started, h.next = true, seq
		}
		if len(tl.Payload) == 0 {
			continue
		}
		seg := tcpSegment{dir: dir, data: bytes.Clone(tl.Payload), frame: frame, time: ci.Timestamp}
		if h.ahead == nil {
			h.ahead = map[uint32]tcpSegment{}
		}
		h.ahead[seq] = seg
		// Deliver whatever is now contiguous, lowest sequence number first.
		for len(h.ahead) > 0 {
			s := slices.MinFunc(slices.Collect(maps.Keys(h.ahead)), func(a, b uint32) int { return int(int32(a - b)) })
			sg := h.ahead[s]
			if int32(s-h.next) > 0 {
				break // a gap: wait for the missing bytes
			}
			delete(h.ahead, s)
			if end := s + uint32(len(sg.data)); int32(end-h.next) > 0 {
				sg.data = sg.data[h.next-s:]
				st.conn.segs = append(st.conn.segs, sg)
				h.next = end
			}
		}
	}
	return conns
}

// decryptConn runs one connection through a Conn, feeding it segment by
// segment, and returns the conn (closed) and its chunks.
func decryptConn(d *Decrypter, tc *tcpConn) (*Conn, []Chunk) {
	c := d.NewConn("tcp " + tc.name)
	var chunks []Chunk
	for _, s := range tc.segs {
		c.Feed(s.dir, s.data, s.frame, s.time)
		chunks = append(chunks, c.Drain()...)
	}
	c.Close()
	return c, append(chunks, c.Drain()...)
}

// plaintext concatenates the chunks of one direction.
func plaintext(chunks []Chunk, dir Direction) []byte {
	var b []byte
	for _, c := range chunks {
		if c.Dir == dir {
			b = append(b, c.Data...)
		}
	}
	return b
}

func readKeyLogFile(t testing.TB, name string) *KeyLog {
	t.Helper()
	f, err := os.Open(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, err := ParseKeyLog(f)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func readEmbeddedKeys(t testing.TB, name string) *KeyLog {
	t.Helper()
	raw, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	k, notes, err := SecretsFromPCAPNG(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notes {
		t.Logf("note: %+v", n)
	}
	return k
}

// fixture is a test file's path: tlsdec's own testdata, or the pcap
// reader's for the captures both packages test, which are kept once, in
// pcap/testdata.
func fixture(name string) string {
	if _, err := os.Stat(filepath.Join("testdata", name)); err == nil {
		return filepath.Join("testdata", name)
	}
	return filepath.Join("..", "testdata", name)
}
