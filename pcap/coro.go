package pcap

import "iter"

// parserCo is a coroutine (iter.Pull) that runs HTTP/1 parsers one after
// another: when one returns, the coroutine waits for the next instead of
// ending. A new coroutine per parser started on a small stack and grew it
// by copying as the parser went deep (bufio, httpwire's header and body
// readers): on the customer-like capture 888 coroutines, whose stack
// growth was ~4 % of a scan's CPU, all of it on the reassembling
// goroutine that bounds the scan. With many connections open, where
// parsers park between messages, each still gets a coroutine of its own
// (see Reader.coroutines).
type parserCo struct {
	next func() (struct{}, bool)
	stop func()
	// run is the parser to run next, set by coPool.start.
	run func(yield func(struct{}) bool)
	// ended: run returned, and the coroutine waits for the next parser.
	ended bool
	// stopping: the parser's yield returns false from now on (stop).
	stopping bool
}

// serve is the coroutine's body. The parser gets a yield of its own that
// returns false once stop is asked, as iter.Pull's does after its stop:
// the parser then returns without suspending again.
func (co *parserCo) serve(yield func(struct{}) bool) {
	y := func(struct{}) bool {
		if co.stopping {
			return false
		}
		return yield(struct{}{}) && !co.stopping
	}
	growStack(0)
	for {
		co.run(y)
		co.run = nil
		co.ended = true
		if !yield(struct{}{}) {
			return
		}
		co.ended, co.stopping = false, false
	}
}

// coStack is about the stack a parser reaches (httpwire's readers under
// bufio): half the customer-like capture's parsers grew theirs to 8 KiB,
// the others to 4.
const coStack = 6 << 10

// growStack takes a frame of coStack bytes, so that a new coroutine's
// stack grows once, to 8 KiB, while it is shallow: growing as the parser
// goes deep copies the stack twice, adjusting every frame of the parser
// (most of the ~1.5 ms of stack growth that remained per scan of the
// customer-like capture, on the goroutine that bounds it).
//
//go:noinline
func growStack(i int) byte {
	var pad [coStack]byte
	return pad[i%coStack]
}

// resume runs the parser until it suspends (true) or returns (false). A
// panic of the parser reaches the caller, as iter.Pull's next passes it
// on; the coroutine is then finished and must not be used again.
func (co *parserCo) resume() bool {
	if _, ok := co.next(); !ok {
		return false
	}
	return !co.ended
}

// halt has the parser return: its suspended yield returns false, and so
// does any later one, as after iter.Pull's stop.
func (co *parserCo) halt() {
	if co.ended {
		return
	}
	co.stopping = true
	co.resume()
}

// coPool keeps the coroutines whose parser returned, at most maxIdleCo:
// each holds a goroutine and its grown stack (8 to 16 KiB).
type coPool struct {
	idle []*parserCo
}

const maxIdleCo = 32

// start gives a coroutine that runs loop at the next resume: one that
// waits, or a new one. A nil pool always makes a new one.
func (p *coPool) start(loop func(yield func(struct{}) bool)) *parserCo {
	var co *parserCo
	if p != nil && len(p.idle) > 0 {
		co = p.idle[len(p.idle)-1]
		p.idle[len(p.idle)-1] = nil
		p.idle = p.idle[:len(p.idle)-1]
	} else {
		co = &parserCo{}
		co.next, co.stop = iter.Pull(co.serve)
	}
	co.run = loop
	return co
}

// put takes back a coroutine whose parser returned (resume said false,
// or after halt); past maxIdleCo, or with a nil pool, it ends.
func (p *coPool) put(co *parserCo) {
	if !co.ended {
		// A parser that panicked: its coroutine is finished.
		return
	}
	if p == nil || len(p.idle) >= maxIdleCo {
		co.stop()
		return
	}
	p.idle = append(p.idle, co)
}

// close ends the waiting coroutines.
func (p *coPool) close() {
	if p == nil {
		return
	}
	for i, co := range p.idle {
		co.stop()
		p.idle[i] = nil
	}
	p.idle = p.idle[:0]
}
