package pcap

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// prefetchSource reads the packet records of a pcap or pcapng file and
// decodes their layers down to TCP on a goroutine of its own, a few
// batches ahead of the reassembly: reading the file (read(2) copies from
// the page cache, gzip, record framing) was a quarter to a third of a
// capture scan's CPU and decoding another twentieth, done before anything
// else could run. The packets, their order, their numbers and times,
// their TCP segments, the error that ends them and the offsets given for
// messages are those of the source read and decoded in line.
//
// Records are read straight into a batch's arena (no copy); a packet
// larger than the arena's rest gets a buffer of its own from the source.
// At most maxBatches batches exist, so memory stays bounded
// (maxBatches × batchArena plus any large packets they hold).
type prefetchSource struct {
	full    chan *packetBatch // read, in file order
	free    chan *packetBatch // handed back by next
	quit    chan struct{}     // closed by stop
	done    chan struct{}     // closed when the goroutine returns
	once    sync.Once
	stopped bool

	cur *packetBatch
	pos int
	off int64 // the source's offset after the last record handed out

	arena, slack int // batchArena and batchSlack; smaller in tests
}

// packetBatch is a run of packets read together. The last batch carries
// the error that ended reading (io.EOF at a clean end) or the source's
// panic.
type packetBatch struct {
	pkts   []packet
	offs   []int64 // the source's offset after each packet
	arena  []byte
	err    error
	errOff int64
	panic  *sourcePanic
}

// decodeAhead decodes p with dec and records the outcome in p. A TCP
// header the fast path decoded into the decoder's reused layer is kept as
// where its bytes are in p.data: the reassembling goroutine decodes them
// again into its own layer (tcpAt). Copying the layer into the batch
// instead (a ~300-byte struct with pointers per packet, written with
// barriers while the collector runs) cost more than decoding it again.
func decodeAhead(dec *decoder, p *packet) {
	seg, ok := dec.decode(p)
	p.decoded, p.segOK = true, ok
	if !ok {
		return
	}
	p.seg = seg
	if seg.tcp != &dec.fast.tcp {
		return // a layer of its own (defragmented, tunnelled, other links)
	}
	t := seg.tcp
	p.seg.tcp = nil
	p.tcpOff = cap(p.data) - cap(t.Contents)
	p.tcpLen = len(t.Contents) + len(t.Payload)
}

// tcpAt decodes the TCP header decodeAhead located into t: the same bytes
// through the same decoder, so the same layer.
func tcpAt(p *packet, t *layers.TCP) bool {
	return t.DecodeFromBytes(p.data[p.tcpOff:p.tcpOff+p.tcpLen], gopacket.NilDecodeFeedback) == nil
}

// sourcePanic carries a panic of the source to the reading goroutine.
type sourcePanic struct {
	value any
	stack []byte
}

// String is the panic's value: the reading goroutine's stack (kept for a
// debugger) would fill a user's error message.
func (p *sourcePanic) String() string {
	return fmt.Sprintf("%v (reading packet records)", p.value)
}

const (
	// batchArena is each batch's record space; a batch ends when less
	// than batchSlack is left or at batchPackets packets.
	batchArena   = 256 << 10
	batchSlack   = 16 << 10
	batchPackets = 512
	// maxBatches bounds the batches in flight: being read, waiting and
	// being consumed.
	maxBatches = 4
)

// arenaSource is a source that reads records into a buffer it is given:
// useBuf hands it an empty slice whose capacity it may fill before its
// next next; a record that does not fit goes to a buffer of its own.
type arenaSource interface {
	packetSource
	useBuf(b []byte)
}

func (s *pcapSource) useBuf(b []byte) { s.buf = b }

func (s *ngSource) useBuf(b []byte) { s.buf = b }

// errPrefetchStopped is returned by next after stop.
var errPrefetchStopped = errors.New("pcap: reading stopped")

// newPrefetch starts reading src; dec, when not nil, decodes each packet
// (the packets come with decoded set) and is the goroutine's until the
// last batch is taken.
func newPrefetch(src arenaSource, dec *decoder, arena, slack int) *prefetchSource {
	s := &prefetchSource{
		arena: arena,
		slack: slack,
		full:  make(chan *packetBatch, maxBatches),
		free:  make(chan *packetBatch, maxBatches),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go s.run(src, dec)
	return s
}

func (s *prefetchSource) run(src arenaSource, dec *decoder) {
	defer close(s.done)
	var b *packetBatch
	defer func() {
		if p := recover(); p != nil {
			if b == nil {
				b = &packetBatch{}
			}
			b.panic = &sourcePanic{value: p, stack: debug.Stack()}
			s.send(b)
		}
	}()
	made := 0
	for {
		b = nil
		if made < maxBatches {
			select {
			case b = <-s.free:
			default:
				b = &packetBatch{arena: make([]byte, s.arena), pkts: make([]packet, 0, 64), offs: make([]int64, 0, 64)}
				made++
			}
		} else {
			select {
			case b = <-s.free:
			case <-s.quit:
				return
			}
		}
		b.pkts, b.offs = b.pkts[:0], b.offs[:0]
		used := 0
		for len(b.pkts) < batchPackets && len(b.arena)-used >= s.slack {
			rest := b.arena[used:used:len(b.arena)]
			src.useBuf(rest)
			sp, err := src.next()
			if err != nil {
				b.err, b.errOff = err, src.offset()
				s.send(b)
				return
			}
			b.pkts = append(b.pkts, *sp)
			p := &b.pkts[len(b.pkts)-1]
			if dec != nil {
				decodeAhead(dec, p)
			}
			b.offs = append(b.offs, src.offset())
			if c := cap(p.data); c > 0 && c <= cap(rest) && &p.data[:c][c-1] == &rest[:cap(rest)][cap(rest)-1] {
				// In the arena: the next record goes after this one.
				used = len(b.arena) - (c - len(p.data))
			}
		}
		if !s.send(b) {
			return
		}
	}
}

// send hands a batch to the reading goroutine, or gives up after stop.
func (s *prefetchSource) send(b *packetBatch) bool {
	select {
	case s.full <- b:
		return true
	case <-s.quit:
		return false
	}
}

func (s *prefetchSource) next() (*packet, error) {
	for s.cur == nil || s.pos >= len(s.cur.pkts) {
		if s.stopped {
			return nil, errPrefetchStopped
		}
		if b := s.cur; b != nil {
			if b.panic != nil {
				panic(b.panic)
			}
			if b.err != nil {
				s.off = b.errOff
				return nil, b.err
			}
			s.cur = nil
			clear(b.pkts) // the packets' buffers of their own go
			s.free <- b   // room for every batch: never blocks
		}
		s.cur, s.pos = <-s.full, 0
	}
	p := &s.cur.pkts[s.pos]
	s.off = s.cur.offs[s.pos]
	s.pos++
	return p, nil
}

func (s *prefetchSource) offset() int64 { return s.off }

// stop ends the reading goroutine and waits for it: the file is the
// caller's again. The batches are let go; next returns errPrefetchStopped.
func (s *prefetchSource) stop() {
	s.once.Do(func() { close(s.quit) })
	<-s.done
	s.stopped = true
	s.cur = nil
	for {
		select {
		case <-s.full:
		case <-s.free:
		default:
			return
		}
	}
}
