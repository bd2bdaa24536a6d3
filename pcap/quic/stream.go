package quic

import (
	"bytes"
	"container/heap"
	"time"
)

type streamKey struct {
	id  uint64
	dir Dir
}

// stream reassembles one direction of a stream.
type stream struct {
	key     streamKey
	next    uint64 // offset of the next byte to hand over
	pending chunkHeap
	fin     bool
	finAt   uint64
	ended   bool
}

// chunk is stream data that came ahead of a gap, with its packet.
type chunk struct {
	off   uint64
	data  []byte
	frame int
	ts    time.Time
	seq   uint64 // the order chunks were held in: of two at one offset, the later one comes first
}

// chunkOverhead is what holding a chunk costs besides its data (the chunk
// and its data's allocation): counted with the data against maxBuffered and
// maxHeld, so that frames of one byte, or none, cannot hold millions of
// chunks within the byte bounds.
const chunkOverhead = 96

func (ch *chunk) cost() int { return len(ch.data) + chunkOverhead }

// chunkHeap holds a stream's chunks with the lowest offset first (a
// container/heap): a sorted slice cost an insertion in the middle a move
// of every chunk after it, and 40,000 one-byte frames sent backwards took
// 11.5 s.
type chunkHeap []chunk

func (h chunkHeap) Len() int { return len(h) }
func (h chunkHeap) Less(i, j int) bool {
	if h[i].off != h[j].off {
		return h[i].off < h[j].off
	}
	return h[i].seq > h[j].seq
}
func (h chunkHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *chunkHeap) Push(x any)   { *h = append(*h, x.(chunk)) }
func (h *chunkHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = chunk{}
	*h = old[:len(old)-1]
	return x
}

// streamFrame reads a STREAM frame's fields (RFC 9000 section 19.8) and
// hands its data on.
func (c *Conn) streamFrame(dir Dir, typ uint64, p []byte, frame int, ts time.Time) ([]byte, bool) {
	id, p, err := take(p)
	if err {
		return p, true
	}
	var off uint64
	if typ&0x04 != 0 {
		if off, p, err = take(p); err {
			return p, true
		}
	}
	l := uint64(len(p))
	if typ&0x02 != 0 {
		if l, p, err = take(p); err || l > uint64(len(p)) {
			return p, true
		}
	}
	if off+l < off || off+l > 1<<62 {
		return p, true
	}
	c.streamData(dir, id, off, p[:l], typ&0x01 != 0, frame, ts)
	return p[l:], false
}

// sender is the side that sends on a stream in direction dir.
func (c *Conn) stream(id uint64, dir Dir) *stream {
	k := streamKey{id, dir}
	if s := c.streams[k]; s != nil {
		return s
	}
	if c.streams == nil || c.ended[k] {
		return nil // a retransmission of a stream already ended
	}
	if len(c.streams) >= maxStreams {
		c.tooMany = true
		return nil
	}
	s := &stream{key: k}
	c.streams[k] = s
	return s
}

func (c *Conn) streamData(dir Dir, id, off uint64, data []byte, fin bool, frame int, ts time.Time) {
	s := c.stream(id, dir)
	if s == nil || s.ended {
		return
	}
	end := off + uint64(len(data))
	if fin && !s.fin {
		s.fin, s.finAt = true, end
	}
	if end <= s.next && !(fin && end == s.next) {
		c.endIfDone(s, frame, ts)
		return // all of it was handed over before
	}
	if off < s.next {
		data = data[s.next-off:]
		off = s.next
	}
	if off > s.next {
		if cost := len(data) + chunkOverhead; c.buffered+cost > maxBuffered || c.t.held+cost > maxHeld {
			c.overflow += len(data)
			return
		}
		c.chunks++
		ch := chunk{off: off, data: bytes.Clone(data), frame: frame, ts: ts, seq: c.chunks}
		c.buffered += ch.cost()
		c.t.held += ch.cost()
		heap.Push(&s.pending, ch)
		return
	}
	c.deliver(s, data, frame, ts)
	c.drain(s)
	c.endIfDone(s, frame, ts)
}

// deliver hands data at s.next on.
func (c *Conn) deliver(s *stream, data []byte, frame int, ts time.Time) {
	s.next += uint64(len(data))
	fin := s.fin && s.next == s.finAt
	if fin {
		s.ended = true
	}
	if len(data) > 0 || fin {
		c.t.h.Stream(c, s.key.id, s.key.dir, data, fin, frame, ts)
	}
}

// drain hands over the held chunks that now follow on.
func (c *Conn) drain(s *stream) {
	for len(s.pending) > 0 && s.pending[0].off <= s.next && !s.ended {
		ch := heap.Pop(&s.pending).(chunk)
		c.buffered -= ch.cost()
		c.t.held -= ch.cost()
		if end := ch.off + uint64(len(ch.data)); end > s.next {
			c.deliver(s, ch.data[s.next-ch.off:], ch.frame, ch.ts)
		}
	}
}

func (c *Conn) endIfDone(s *stream, frame int, ts time.Time) {
	if !s.ended && s.fin && s.next == s.finAt {
		s.ended = true
		c.t.h.Stream(c, s.key.id, s.key.dir, nil, true, frame, ts)
	}
	if s.ended && len(s.pending) == 0 {
		c.forget(s.key)
	}
}

// forget drops an ended stream, remembering that it ended so that
// retransmitted frames of it are not read as a new stream.
func (c *Conn) forget(k streamKey) {
	delete(c.streams, k)
	if c.ended == nil || len(c.ended) >= maxEnded {
		c.ended = map[streamKey]bool{}
	}
	c.ended[k] = true
}

// reset ends a direction of a stream its sender abandoned.
func (c *Conn) reset(id uint64, dir Dir, frame int, ts time.Time) {
	s := c.stream(id, dir)
	if s == nil || s.ended {
		return
	}
	s.ended = true
	for _, ch := range s.pending {
		c.buffered -= ch.cost()
		c.t.held -= ch.cost()
	}
	c.forget(s.key)
	c.t.h.Reset(c, id, dir, frame, ts)
}

// flush hands over what a stream holds past its gaps, at the
// connection's end.
func (c *Conn) flush(s *stream) {
	for len(s.pending) > 0 && !s.ended {
		ch := s.pending[0]
		if ch.off > s.next {
			c.t.h.Gap(c, s.key.id, s.key.dir, ch.off-s.next, ch.frame)
			s.next = ch.off
		}
		c.drain(s)
	}
	if !s.ended && s.fin && s.finAt > s.next {
		// The bytes before the end were lost.
		c.t.h.Gap(c, s.key.id, s.key.dir, s.finAt-s.next, 0)
		s.next = s.finAt
		s.ended = true
		c.t.h.Stream(c, s.key.id, s.key.dir, nil, true, 0, time.Time{})
	}
}
