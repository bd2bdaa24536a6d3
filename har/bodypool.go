package har

import (
	"math/bits"
	"sync"

	"github.com/traceaudit/traceaudit/internal/bodypool"
	"github.com/traceaudit/traceaudit/model"
)

// bodyPool keeps the body buffers handed back with Reader.Release.
type bodyPool = bodypool.Pool

// poisonByte fills released buffers under Options.PoisonReleased.
const poisonByte = bodypool.PoisonByte

// headerPool keeps the header lists a caller handed back with
// Reader.ReleaseHeaders, by power-of-two capacity up to maxPresize
// fields: on the 100,000-entry HAR the lists were 40 MB of the 220 MB a
// scan allocated, each dropped once the exchange's events were extracted
// and the rules had copied what they keep. Unlike bodyPool it does not
// look for a list handed back twice (a map operation for each of 200,000
// lists cost more than the allocations saved): ReleaseHeaders's caller
// hands back each exchange's lists once.
type headerPool struct {
	mu     sync.Mutex
	free   [headerClasses][]model.Headers
	fields int // capacity of the lists in free
	active bool
	poison bool
}

const (
	headerClasses = 9        // 1 to 256 fields (maxPresize)
	headerPoolMax = 64 << 10 // fields kept, 2 MiB
	headerPerList = 1024     // lists kept per class
	poisonText    = "\xa5poisoned header\xa5"
)

// get returns an empty list with room for n fields (1 <= n <= maxPresize).
func (p *headerPool) get(n int) model.Headers {
	if p == nil || n < 1 || n > maxPresize {
		return make(model.Headers, 0, n)
	}
	c := bits.Len(uint(n - 1))
	p.mu.Lock()
	if l := p.free[c]; len(l) > 0 {
		h := l[len(l)-1]
		l[len(l)-1] = nil
		p.free[c] = l[:len(l)-1]
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

// put keeps the lists for later gets; nothing may refer to them any more.
// Their fields are cleared (or poisoned) first, so that the texts they
// name can go.
func (p *headerPool) put(lists ...model.Headers) {
	if p == nil {
		return
	}
	fill := model.Header{}
	if p.poison {
		fill = model.Header{Name: poisonText, Value: poisonText}
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
		if size > maxPresize || p.fields+size > headerPoolMax {
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

// ReleaseHeaders hands back header lists of exchanges this reader
// returned (a request's and a response's), for later entries to reuse,
// once each. The caller must hold no other reference to them: not the
// exchange (whose lists they still are), nor anything it kept (copies must
// be of their fields, not of the lists). The fields' texts stay valid:
// they are shared, not in the lists. Safe from any goroutine.
func (r *Reader) ReleaseHeaders(lists ...model.Headers) {
	r.hpool.put(lists...)
}

// Release hands back the body buffers of an exchange this reader
// returned, for later entries to reuse, and sets the exchange's body Data
// to nil. The caller must hold no other reference to them: nothing it
// keeps (events, strings, copies of the exchange) may share their bytes.
// The CLI calls it once the exchange's events are extracted. It may be
// called from any goroutine, also while Next runs.
func (r *Reader) Release(ex *model.Exchange) {
	if ex == nil {
		return
	}
	r.pool.Put(ex.Request.Body.Data)
	ex.Request.Body.Data = nil
	if ex.Response != nil {
		r.pool.Put(ex.Response.Body.Data)
		ex.Response.Body.Data = nil
	}
}
