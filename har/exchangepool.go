package har

import (
	"sync"

	"github.com/traceaudit/traceaudit/model"
)

// exchangeMem is what an exchange handed out points to: the exchange and
// its response, in one allocation, reused once the caller hands the
// exchange back (ReleaseExchange). On a HAR of small entries these were a
// third of the bytes a scan allocated, and so of its collections.
type exchangeMem struct {
	ex   model.Exchange
	resp model.Response
}

// exchangePool lends exchange memory to the decoders and takes it back.
// Only exchanges handed back in the order Next returned them are reused:
// the pool lists those it lent (under Options.ReuseExchanges: a caller
// that never hands any back is lent nothing the pool keeps track of), and
// takes back the oldest of the list when it is the one handed back; any
// other is left to the collector. So the memory of an exchange the reader
// did not make, or made for another caller, is never reused.
type exchangePool struct {
	mu      sync.Mutex
	lent    []*exchangeMem // lent, not handed back yet, oldest first from head
	head    int
	free    []*exchangeMem
	enabled bool // Options.ReuseExchanges
	poison  bool
}

// Bounds: lentMax exchanges are listed at most (the oldest are then
// forgotten, not reused); freeMax are kept for reuse.
const (
	lentMax = 4096
	freeMax = 4 * batchEntries
)

// fill gives each decoder of a batch a block: reused ones first, then
// new ones.
func (p *exchangePool) fill(ds []decoder) {
	p.mu.Lock()
	k := min(len(ds), len(p.free))
	for i := range k {
		ds[i].mem = p.free[len(p.free)-1-i]
	}
	clear(p.free[len(p.free)-k:])
	p.free = p.free[:len(p.free)-k]
	p.mu.Unlock()
	for i := k; i < len(ds); i++ {
		ds[i].mem = new(exchangeMem)
	}
}

// lend records that m's exchange is handed out now.
func (p *exchangePool) lend(m *exchangeMem) {
	p.mu.Lock()
	if p.enabled {
		if len(p.lent)-p.head >= lentMax {
			p.lent[p.head] = nil
			p.head++
		}
		if p.head > 0 && p.head >= len(p.lent)/2 {
			n := copy(p.lent, p.lent[p.head:])
			clear(p.lent[n:])
			p.lent, p.head = p.lent[:n], 0
		}
		p.lent = append(p.lent, m)
	}
	p.mu.Unlock()
}

// unused takes back memory a skipped entry did not need.
func (p *exchangePool) unused(m *exchangeMem) {
	p.mu.Lock()
	if len(p.free) < freeMax {
		p.free = append(p.free, m)
	}
	p.mu.Unlock()
}

// put takes back ex's memory when it is the oldest lent.
func (p *exchangePool) put(ex *model.Exchange) {
	if ex == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.head >= len(p.lent) || &p.lent[p.head].ex != ex {
		return
	}
	m := p.lent[p.head]
	p.lent[p.head] = nil
	p.head++
	if p.poison {
		m.ex = model.Exchange{Index: -1, Ref: "poisoned", Request: model.Request{Method: "POISONED", URL: "poisoned:"}}
		m.resp = model.Response{Status: 999, StatusText: "poisoned"}
		m.ex.Response = &m.resp
	} else {
		m.ex, m.resp = model.Exchange{}, model.Response{}
	}
	if len(p.free) < freeMax {
		p.free = append(p.free, m)
	}
}

// ReleaseExchange hands back an exchange this reader returned, once the
// caller is done with it: nothing may refer to the exchange or its
// response any more (copies of their fields are fine; bodies and header
// lists go back with Release and ReleaseHeaders first). The reader then
// decodes a later entry into the same memory. Exchanges are reused only
// under Options.ReuseExchanges and when handed back in the order Next
// returned them; any other call does nothing. Safe from any goroutine,
// also while Next runs.
func (r *Reader) ReleaseExchange(ex *model.Exchange) {
	r.xpool.put(ex)
}
