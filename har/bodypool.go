package har

import (
	"github.com/traceaudit/traceaudit/internal/bodypool"
	"github.com/traceaudit/traceaudit/model"
)

// bodyPool keeps the body buffers handed back with Reader.Release.
type bodyPool = bodypool.Pool

// poisonByte fills released buffers under Options.PoisonReleased.
const poisonByte = bodypool.PoisonByte

// headerPool keeps the header lists handed back with
// Reader.ReleaseHeaders.
type headerPool = bodypool.HeaderPool

// ReleaseHeaders hands back header lists of exchanges this reader
// returned (a request's and a response's), for later entries to reuse,
// once each. The caller must hold no other reference to them: not the
// exchange (whose lists they still are), nor anything it kept (copies must
// be of their fields, not of the lists). The fields' texts stay valid:
// they are shared, not in the lists. Safe from any goroutine.
func (r *Reader) ReleaseHeaders(lists ...model.Headers) {
	r.hpool.Put(lists...)
}

// Release hands back the body buffers of an exchange this reader
// returned, for later entries to reuse, and sets the exchange's body Data
// to nil. The caller must hold no other reference to them: nothing it
// keeps (events, strings, copies of the exchange) may share their bytes.
// The CLI calls it once the exchange's events are extracted. It may be
// called from any goroutine, also while Next runs.
func (r *Reader) Release(ex *model.Exchange) { r.pool.PutExchange(ex) }
