// Package bodypool keeps body buffers that a trace reader's caller hands
// back once it has read them, for the reader to decode later bodies into.
package bodypool

import (
	"math/bits"
	"sync"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
)

// Pool keeps the body buffers a caller handed back (har.Reader.Release,
// pcap.Reader.Release), for the bodies of later entries or messages. A
// scan decodes every HTML and JSON body of a HAR into a buffer of its own
// and drops it as soon as its events are extracted: on 20,000 entries of ~9.5 KB that was
// 170 MB allocated per scan, and the collections it caused were a sixth of
// the CPU. Nothing is reused that was not handed back, so a caller that
// never calls Release gets fresh buffers as before.
//
// Buffers are kept by power-of-two capacity classes from 512 bytes to
// 1 MiB, within a budget; from the first Release on, new buffers are made
// with a class's capacity so that they can come back to it.
type Pool struct {
	mu    sync.Mutex
	free  [poolClasses][][]byte
	bytes int // capacity of the buffers in free
	// kept holds the buffers in free by their first byte: one handed
	// back twice is kept once.
	kept   map[*byte]struct{}
	active bool // a buffer was handed back: round new ones to a class
	closed bool // Close was called: keep nothing more
	// Poison overwrites every buffer handed back with PoisonByte (tests
	// of callers: a caller still reading a released body reads garbage,
	// and its output changes). Set it before the first Put.
	Poison bool
}

const (
	poolMinShift = 9  // 512 bytes: smaller bodies cost little to allocate
	poolMaxShift = 20 // 1 MiB, the default body limit
	poolClasses  = poolMaxShift - poolMinShift + 1
	// poolBudget bounds the capacity kept; a scan has a few hundred
	// bodies in flight (decoded batches, the read-ahead's).
	poolBudget   = 8 << 20
	poolPerClass = 512
)

// PoisonByte fills buffers handed back to a Pool with Poison set.
const PoisonByte = 0xA5

// Get returns an empty buffer with room for n bytes: a kept one when
// there is one, else a new one.
func (p *Pool) Get(n int) []byte {
	if p == nil || n < 1<<poolMinShift || n > 1<<poolMaxShift {
		return make([]byte, 0, n)
	}
	c := bits.Len(uint(n-1)) - poolMinShift // the class whose size is ≥ n
	p.mu.Lock()
	if b, ok := pop(&p.free[c]); ok {
		p.bytes -= cap(b)
		delete(p.kept, unsafe.SliceData(b[:1]))
		p.mu.Unlock()
		return b[:0]
	}
	active := p.active
	p.mu.Unlock()
	if !active {
		return make([]byte, 0, n)
	}
	return make([]byte, 0, 1<<(c+poolMinShift))
}

// PutExchange keeps the body buffers of ex (its request's and its
// response's) for later Gets and sets their Data to nil: what a reader's
// Release does. The caller guarantees that nothing else refers to them.
func (p *Pool) PutExchange(ex *model.Exchange) {
	if ex == nil {
		return
	}
	p.Put(ex.Request.Body.Data)
	ex.Request.Body.Data = nil
	if ex.Response != nil {
		p.Put(ex.Response.Body.Data)
		ex.Response.Body.Data = nil
	}
}

// Put keeps b for a later Get, when it fits a class and the budget. The
// caller guarantees that nothing refers to b any more.
func (p *Pool) Put(b []byte) {
	size := cap(b)
	if p == nil || size < 1<<poolMinShift {
		return
	}
	if p.Poison {
		b = b[:size]
		for i := range b {
			b[i] = PoisonByte
		}
	}
	if size > 1<<poolMaxShift {
		return
	}
	c := bits.Len(uint(size)) - 1 - poolMinShift // the class whose size is ≤ size
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active = true
	if p.closed || p.bytes+size > poolBudget || len(p.free[c]) >= poolPerClass {
		return
	}
	key := unsafe.SliceData(b[:1])
	if _, twice := p.kept[key]; twice {
		return // handed back twice: kept twice, it would go to two bodies
	}
	if p.kept == nil {
		p.kept = make(map[*byte]struct{})
	}
	p.kept[key] = struct{}{}
	p.free[c] = append(p.free[c], b[:0])
	p.bytes += size
}

// Close drops the kept buffers and makes Put keep no more (it still
// poisons): a reader calls it at its end, so that buffers no later body
// will use do not stay live while its caller goes on (on the worst
// capture, up to 4 MiB through a scan's rules and report, and twice that
// in heap growth).
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = [poolClasses][][]byte{}
	p.bytes, p.kept, p.closed = 0, nil, true
}

// HeaderPool keeps the header lists a caller handed back
// (har.Reader.ReleaseHeaders, pcap.Reader.ReleaseHeaders), by power-of-two
// capacity up to 256 fields: on the 100,000-entry HAR the lists were 40 MB
// of the 220 MB a scan allocated, each dropped once the exchange's events
// were extracted and the rules had copied what they keep. Unlike Pool it
// does not look for a list handed back twice (a map operation for each of 200,000
// lists cost more than the allocations saved): ReleaseHeaders's caller
// hands back each exchange's lists once.
type HeaderPool struct {
	mu     sync.Mutex
	free   [headerClasses][]model.Headers
	fields int // capacity of the lists in free
	active bool
	// Poison fills the fields of lists handed back with PoisonText
	// instead of clearing them (tests of callers).
	Poison bool
}

const (
	headerClasses   = 9        // 1 to 256 fields
	headerMaxFields = 256      // the largest class
	headerPoolMax   = 64 << 10 // fields kept, 2 MiB
	headerPerList   = 1024     // lists kept per class
)

// PoisonText fills the fields of header lists handed back to a HeaderPool
// with Poison set.
const PoisonText = "\xa5poisoned header\xa5"

// Get returns an empty list with room for n fields (1 to 256 from the pool,
// others made).
func (p *HeaderPool) Get(n int) model.Headers {
	if p == nil || n < 1 || n > headerMaxFields {
		return make(model.Headers, 0, n)
	}
	c := bits.Len(uint(n - 1))
	p.mu.Lock()
	if h, ok := pop(&p.free[c]); ok {
		p.fields -= cap(h)
		p.mu.Unlock()
		return h[:0]
	}
	active := p.active
	p.mu.Unlock()
	if !active {
		return make(model.Headers, 0, n)
	}
	return make(model.Headers, 0, 1<<c)
}

// Put keeps the lists for later Gets; nothing may refer to them any more.
// Their fields are cleared (or poisoned) first, so that the texts they
// name can go.
func (p *HeaderPool) Put(lists ...model.Headers) {
	if p == nil {
		return
	}
	fill := model.Header{}
	if p.Poison {
		fill = model.Header{Name: PoisonText, Value: PoisonText}
	}
	for _, h := range lists {
		h = h[:cap(h)]
		for i := range h {
			h[i] = fill
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range lists {
		size := cap(h)
		if size < 1 {
			continue
		}
		p.active = true
		if size > headerMaxFields || p.fields+size > headerPoolMax {
			continue
		}
		c := bits.Len(uint(size)) - 1 // the class whose size is <= size
		if len(p.free[c]) >= headerPerList {
			continue
		}
		p.free[c] = append(p.free[c], h[:0])
		p.fields += size
	}
}

// pop takes the last list of a class's free lists, if any, leaving no
// reference to it behind.
func pop[L ~[]E, E any](free *[]L) (L, bool) {
	l := *free
	if len(l) == 0 {
		return nil, false
	}
	last := l[len(l)-1]
	l[len(l)-1] = nil
	*free = l[:len(l)-1]
	return last, true
}
