package quic

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// pieces records what a stream hands over, piece by piece with its frame.
type pieces struct {
	recorder
	got    strings.Builder
	frames []int
}

func (p *pieces) Stream(c *Conn, id uint64, dir Dir, data []byte, fin bool, frame int, t time.Time) {
	if len(data) > 0 {
		p.got.Write(data)
		p.frames = append(p.frames, frame)
	}
}

// streamFrame1 is a STREAM frame of stream 0 with an offset and a length.
func streamFrame1(off int, data string) []byte {
	b := []byte{0x0e, 0x00}
	b = binary.BigEndian.AppendUint32(b, 0x80000000|uint32(off))
	b = binary.BigEndian.AppendUint16(b, 0x4000|uint16(len(data)))
	return append(b, data...)
}

func newTestConn(h Handler) (*Tracker, *Conn) {
	tr := NewTracker(nil, h)
	c := tr.newConn(tuple{netip.MustParseAddrPort("192.0.2.1:1"), netip.MustParseAddrPort("192.0.2.2:443")}, version1, params1, []byte{1, 2, 3, 4, 5, 6, 7, 8}, 1)
	return tr, c
}

// TestStreamChunksBackwards: stream data that comes ahead of a gap is
// handed over in offset order with the frame of each piece, whatever the
// order it came in. Held in a sorted slice, 40,000 one-byte frames sent
// backwards took 11.5 s (each insertion moved every chunk after it);
// they are now a heap.
func TestStreamChunksBackwards(t *testing.T) {
	const n = 20000
	text := make([]byte, n)
	for i := range text {
		text[i] = 'a' + byte(i%26)
	}
	p := &pieces{recorder: *newRecorder()}
	tr, c := newTestConn(p)
	for i := n - 1; i >= 1; i-- {
		c.frames(ClientToServer, epoch1RTT, streamFrame1(i, string(text[i])), 1000+i, time.Time{})
	}
	// A retransmission of bytes 5 and 6 at offset 5 and the first byte.
	c.frames(ClientToServer, epoch1RTT, streamFrame1(5, string(text[5:7])), 7, time.Time{})
	c.frames(ClientToServer, epoch1RTT, streamFrame1(0, string(text[0])), 2, time.Time{})
	if p.got.String() != string(text) || c.buffered != 0 {
		t.Fatalf("handed over %d bytes (want %d in order: %v), %d still buffered", p.got.Len(), n, p.got.String() == string(text), c.buffered)
	}
	// Each piece keeps its packet's frame; at offset 5 the later chunk
	// (the retransmission) comes first, as it did in the sorted slice.
	if p.frames[0] != 2 || p.frames[1] != 1001 || p.frames[5] != 7 || p.frames[6] != 1007 || p.frames[len(p.frames)-1] != 1000+n-1 {
		t.Errorf("frames %v ... %v", p.frames[:8], p.frames[len(p.frames)-1])
	}
	tr.Close()
	if tr.held != 0 {
		t.Fatalf("%d bytes held after Close", tr.held)
	}
}

// TestStreamChunksBounded: what a held chunk costs besides its data counts
// against maxBuffered, so that one-byte or empty frames ahead of a gap
// cannot hold more chunks than the bound allows: 200,000 one-byte frames
// once held 200,000 chunks (about 18 MB) counted as 200,000 bytes.
func TestStreamChunksBounded(t *testing.T) {
	tr, c := newTestConn(newRecorder())
	for i := 1; i <= 1000; i++ {
		c.frames(ClientToServer, epoch1RTT, append(streamFrame1(2*i, "x"), streamFrame1(2*i+1, "")...), i, time.Time{})
	}
	s := c.streams[streamKey{0, ClientToServer}]
	if want := 1000*(1+chunkOverhead) + 1000*chunkOverhead; len(s.pending) != 2000 || c.buffered != want || tr.held != want {
		t.Fatalf("%d chunks held, buffered %d, held %d; want 2000 chunks costing %d", len(s.pending), c.buffered, tr.held, want)
	}
	tr.Close()
	if tr.held != 0 {
		t.Fatalf("%d bytes held after Close", tr.held)
	}
}
