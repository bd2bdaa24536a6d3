package main

import (
	"fmt"
	"runtime/debug"

	"github.com/traceaudit/traceaudit/model"
)

// readAhead runs a trace reader on a goroutine of its own, a batch of
// exchanges ahead of the caller, so that parsing the file (JSON framing and
// decoding, inflating, reassembling) overlaps with extracting events and
// keeping what the rules need: on two cores, a scan's wall time approaches
// the reader's alone. The exchanges, their order, the error that ends them
// and the reader's notes are those of reading without it.
type readAhead struct {
	src     model.Reader
	rel     bodyReleaser     // src, when it reuses released bodies
	hrel    headerReleaser   // src, when it reuses released header lists
	xrel    exchangeReleaser // src, when it reuses released exchanges
	res     bodyResolver     // src, when it leaves bodies undecoded
	batches chan aheadBatch
	stop    chan struct{}
	done    chan struct{}
	cur     aheadBatch
	pos     int
	closed  bool
}

// aheadBatch is a run of exchanges; the last batch carries the error that
// ended reading (io.EOF at the end), or the reader's panic.
type aheadBatch struct {
	exs   []*model.Exchange
	err   error
	panic *readerPanic
}

// readerPanic carries a panic of the reader to the caller's goroutine, where
// the per-file recovery turns it into that file's error.
type readerPanic struct {
	value any
	stack []byte
}

func (p *readerPanic) String() string {
	return fmt.Sprintf("%v (in the reader: %s)", p.value, firstFrames(p.stack))
}

// A batch ends at aheadCount exchanges or aheadBytes of bodies, whichever
// comes first: few enough that the exchanges in flight (at most three
// batches) cost little memory, many enough that handing over is cheap next
// to reading.
const (
	aheadCount = 16
	aheadBytes = 256 << 10
)

func newReadAhead(r model.Reader) *readAhead {
	ra := &readAhead{src: r, batches: make(chan aheadBatch, 1), stop: make(chan struct{}), done: make(chan struct{})}
	ra.rel, _ = r.(bodyReleaser)
	ra.hrel, _ = r.(headerReleaser)
	ra.xrel, _ = r.(exchangeReleaser)
	ra.res, _ = r.(bodyResolver)
	go ra.run()
	return ra
}

func (ra *readAhead) run() {
	defer close(ra.done)
	var b aheadBatch
	defer func() {
		if p := recover(); p != nil {
			b.panic = &readerPanic{value: p, stack: debug.Stack()}
			ra.send(b)
		}
	}()
	size := 0
	for {
		ex, err := ra.src.Next()
		if err != nil {
			b.err = err
			ra.send(b)
			return
		}
		b.exs = append(b.exs, ex)
		size += len(ex.Request.Body.Data)
		if ex.Response != nil {
			size += len(ex.Response.Body.Data)
		}
		if len(b.exs) >= aheadCount || size >= aheadBytes {
			if !ra.send(b) {
				return
			}
			b, size = aheadBatch{exs: make([]*model.Exchange, 0, aheadCount)}, 0
		}
	}
}

// send hands a batch over, or gives up when the caller stopped reading.
func (ra *readAhead) send(b aheadBatch) bool {
	select {
	case ra.batches <- b:
		return true
	case <-ra.stop:
		return false
	}
}

// Next returns the reader's exchanges in order, then its error; a panic of
// the reader is raised again here.
func (ra *readAhead) Next() (*model.Exchange, error) {
	for ra.pos >= len(ra.cur.exs) {
		if ra.cur.panic != nil {
			panic(ra.cur.panic)
		}
		if ra.cur.err != nil {
			return nil, ra.cur.err
		}
		ra.cur, ra.pos = <-ra.batches, 0
	}
	ex := ra.cur.exs[ra.pos]
	ra.cur.exs[ra.pos] = nil // the caller decides what stays alive
	ra.pos++
	return ex, nil
}

// bodyReleaser is a reader that reuses the body buffers of exchanges
// handed back to it (har.Reader.Release, pcap.Reader.Release): the caller
// must keep no reference to them.
type bodyReleaser interface {
	Release(ex *model.Exchange)
}

// headerReleaser is a reader that reuses the header lists handed back to
// it (har.Reader.ReleaseHeaders, pcap.Reader.ReleaseHeaders), on the same
// terms.
type headerReleaser interface {
	ReleaseHeaders(lists ...model.Headers)
}

// Release hands the bodies of ex back to the reader when it reuses them;
// otherwise it does nothing. Safe while the reader runs ahead.
func (ra *readAhead) Release(ex *model.Exchange) {
	if ra.rel != nil {
		ra.rel.Release(ex)
	}
}

// ReleaseHeaders hands header lists back to the reader when it reuses
// them; otherwise it does nothing.
func (ra *readAhead) ReleaseHeaders(lists ...model.Headers) {
	if ra.hrel != nil {
		ra.hrel.ReleaseHeaders(lists...)
	}
}

// bodyResolver is a reader that leaves bodies undecoded until the caller
// says whether it reads them (har.Reader.ResolveBody, Options.DeferPages).
type bodyResolver interface {
	ResolveBody(ex *model.Exchange, keep func(lead []byte) bool)
}

// ResolveBody resolves a body the reader left undecoded (see
// bodyResolver); otherwise it does nothing. Safe while the reader runs
// ahead.
func (ra *readAhead) ResolveBody(ex *model.Exchange, keep func(lead []byte) bool) {
	if ra.res != nil {
		ra.res.ResolveBody(ex, keep)
	}
}

// exchangeReleaser is a reader that reuses the memory of exchanges handed
// back to it (har.Reader.ReleaseExchange): the caller must keep no
// reference to the exchange or its response, only copies of their fields.
type exchangeReleaser interface {
	ReleaseExchange(ex *model.Exchange)
}

// ReleaseExchange hands an exchange back to the reader when it reuses
// them; otherwise it does nothing.
func (ra *readAhead) ReleaseExchange(ex *model.Exchange) {
	if ra.xrel != nil {
		ra.xrel.ReleaseExchange(ex)
	}
}

// Notes are the reader's; call close first, so that the reader is done.
func (ra *readAhead) Notes() []model.Note { return ra.src.Notes() }

// stopper is a reader that reads its file ahead on a goroutine of its own
// (pcap.Reader.Stop).
type stopper interface {
	Stop()
}

// close stops the goroutine and waits for it, and the reader's own reading
// ahead: after close the reader and its file are the caller's again (scan
// seeks the file back to read it again).
func (ra *readAhead) close() {
	if ra.closed {
		return
	}
	ra.closed = true
	close(ra.stop)
	<-ra.done
	ra.cur = aheadBatch{}
	if s, ok := ra.src.(stopper); ok {
		s.Stop()
	}
}

// release lets the reader (its buffers, a capture's reassembly pages) go
// once closed and its notes taken, before the rules run: the deferred close
// would hold it to the end otherwise.
func (ra *readAhead) release() {
	ra.close()
	ra.src, ra.rel, ra.hrel, ra.res = nil, nil, nil, nil
}
