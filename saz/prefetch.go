package saz

import (
	"hash/crc32"
	"io"
	"slices"
)

// Inflating members is most of reading a SAZ. The Reader inflates the
// members of the next sessions on goroutines of their own while it parses
// the current one, so that on two cores reading costs about the larger of
// the two rather than their sum. What is inflated ahead is only handed
// over: the Reader's goroutine still serves it through a memberReader,
// which charges the inflation bounds, checks the CRC and notes damage at
// the same byte as reading in line would, so exchanges and notes are the
// same either way (TestFetchAheadSame).

// fetchAhead is how many sessions past the one being parsed are inflated
// ahead: one to overlap with parsing, one more to absorb a slow session.
const fetchAhead = 2

// fetchCap bounds what is inflated ahead of one member. A larger member's
// rest is inflated in line as it is parsed, so that what is held ahead
// stays under (fetchAhead+1) sessions of three such members.
const fetchCap = 1 << 20

// spanMax bounds the stored bytes of a session read at once.
const spanMax = 1 << 20

// Free buffers and decompressors pass from parsed sessions to the next
// fetches; a buffer larger than poolBufMax is left to the collector.
const (
	poolBufs   = 3 * (fetchAhead + 2)
	poolBufMax = 256 << 10
	firstBuf   = 32 << 10 // the most allocated for a member before its bytes arrive
)

// fetcher keeps the sessions being inflated ahead, in order.
type fetcher struct {
	queue []*sessionFetch // sessions next, next+1, ... already started
	cur   *sessionFetch   // the session being parsed
	infs  chan *inflaters
	bufs  chan []byte
}

// sessionFetch is one session's members inflated ahead; done is closed
// when they are.
type sessionFetch struct {
	done    chan struct{}
	members [3]fetchedMember // meta, request, response
	panic   any              // a panic while inflating, raised again by the Reader
}

// fetchedMember is the start of a member's plain stream, and how it went on.
type fetchedMember struct {
	m        *member
	err      error // from opening it (password, method): as open returns it
	checkCRC bool
	data     []byte    // the stream's first bytes, at most fetchCap
	crc      uint32    // CRC-32 of data
	end      error     // how the stream ended after data (io.EOF, or damage); nil if rest goes on
	rest     io.Reader // the stream after data, when data stopped at fetchCap
	inf      *inflaters
	used     bool
}

// take returns session i inflated, once done, and starts the sessions up to
// i+fetchAhead. It is called for i, i+1, ... in turn.
func (r *Reader) take(i int) *sessionFetch {
	f := &r.fetch
	if f.infs == nil {
		f.infs = make(chan *inflaters, fetchAhead+2)
		f.bufs = make(chan []byte, poolBufs)
	}
	for j := i + len(f.queue); j <= i+r.ahead && j < len(r.sessions); j++ {
		f.queue = append(f.queue, r.startFetch(r.sessions[j]))
	}
	sf := f.queue[0]
	f.queue = append(f.queue[:0], f.queue[1:]...)
	<-sf.done
	if sf.panic != nil {
		panic(sf.panic)
	}
	return sf
}

// startFetch inflates a session's members on a goroutine of its own. The
// goroutine reads only what does not change and ends by itself, whether or
// not its result is taken.
func (r *Reader) startFetch(s *session) *sessionFetch {
	sf := &sessionFetch{done: make(chan struct{})}
	members := [3]*member{s.meta, s.request, s.response}
	go func() {
		defer close(sf.done)
		defer func() {
			if p := recover(); p != nil {
				sf.panic = p
			}
		}()
		in := r.fetch.getInflaters()
		lo, span := r.readSpan(members)
		keepSpan := false
		for k, m := range members {
			if m == nil {
				continue
			}
			var stored []byte
			if span != nil {
				stored = span[m.dataOffset-lo : m.dataOffset-lo+m.compressed]
			}
			sf.members[k] = r.fetchMember(in, m, stored)
			if sf.members[k].inf != nil {
				in = r.fetch.getInflaters() // in went with the member's rest
				keepSpan = true             // which may still read span
			}
		}
		r.fetch.putInflaters(in)
		if span != nil && !keepSpan {
			r.fetch.putBuf(span[:0])
		}
	}()
	return sf
}

// readSpan reads a session's stored members with one read when they lie
// together in the archive, as zip writers put them (one read instead of
// one or more per member, and flate then reads memory without a buffer in
// between). It returns nil, and the members are read one by one, when they
// lie apart or the read fails.
func (r *Reader) readSpan(members [3]*member) (lo int64, span []byte) {
	lo, hi, sum := int64(-1), int64(0), int64(0)
	for _, m := range members {
		if m == nil {
			continue
		}
		if lo < 0 || m.dataOffset < lo {
			lo = m.dataOffset
		}
		hi = max(hi, m.dataOffset+m.compressed)
		sum += m.compressed
	}
	if lo < 0 || hi <= lo || hi-lo > spanMax || 2*sum < hi-lo {
		return 0, nil
	}
	n := int(hi - lo)
	buf := r.fetch.getBuf()
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	if got, _ := r.ra.ReadAt(buf[:n], lo); got != n {
		r.fetch.putBuf(buf[:0])
		return 0, nil
	}
	return lo, buf[:n]
}

// fetchMember inflates the start of m, at most fetchCap bytes; stored, if
// not nil, holds m's stored bytes.
func (r *Reader) fetchMember(in *inflaters, m *member, stored []byte) fetchedMember {
	fm := fetchedMember{m: m}
	plain, checkCRC, err := r.plain(in, m, stored)
	if err != nil {
		fm.err = err
		return fm
	}
	fm.checkCRC = checkCRC
	// One byte past the member bound tells that the bound cut it.
	limit := min(fetchCap, r.limits.InflateBytes+1)
	data := r.fetch.getBuf()
	// The declared size is untrusted: it sizes the first buffer only up
	// to firstBuf; past that the buffer grows with what arrives.
	if want := min(max(m.size+1, 512), firstBuf, limit); int64(cap(data)) < want {
		data = make([]byte, 0, want)
	}
	for {
		if int64(len(data)) >= limit {
			fm.rest, fm.inf = plain, in
			break
		}
		if len(data) == cap(data) {
			data = slices.Grow(data, int(min(int64(max(len(data), 512)), limit-int64(len(data)))))
		}
		p := data[len(data):min(int64(cap(data)), limit)]
		n, err := plain.Read(p)
		data = data[:len(data)+n]
		if err != nil {
			fm.end = err
			break
		}
	}
	fm.data = data
	fm.crc = crc32.ChecksumIEEE(data)
	return fm
}

// openFetched returns the memberReader of m from the session being parsed,
// or opens m in line when it was not inflated ahead.
func (r *Reader) openFetched(m *member) (*memberReader, error) {
	if sf := r.fetch.cur; sf != nil {
		for k := range sf.members {
			fm := &sf.members[k]
			if fm.m != m || fm.used {
				continue
			}
			fm.used = true
			if fm.err != nil {
				return nil, fm.err
			}
			mr := r.memberReader(m, fm.checkCRC, fm.rest)
			mr.pre, mr.preCRC, mr.preEnd = fm.data, fm.crc, fm.end
			return mr, nil
		}
	}
	return r.open(m)
}

// release passes the parsed session's buffers and decompressors on: the
// exchange holds copies of what it keeps.
func (r *Reader) release() {
	sf := r.fetch.cur
	if sf == nil {
		return
	}
	r.fetch.cur = nil
	for k := range sf.members {
		fm := &sf.members[k]
		if fm.data != nil {
			r.fetch.putBuf(fm.data[:0])
		}
		if fm.inf != nil {
			r.fetch.putInflaters(fm.inf)
		}
		*fm = fetchedMember{}
	}
}

// abandon drops the sessions started ahead; their goroutines end by
// themselves.
func (r *Reader) abandon() {
	r.release()
	r.fetch.queue = nil
}

func (f *fetcher) getInflaters() *inflaters {
	select {
	case in := <-f.infs:
		return in
	default:
		return &inflaters{}
	}
}

func (f *fetcher) putInflaters(in *inflaters) {
	select {
	case f.infs <- in:
	default:
	}
}

func (f *fetcher) getBuf() []byte {
	select {
	case b := <-f.bufs:
		return b
	default:
		return nil
	}
}

func (f *fetcher) putBuf(b []byte) {
	if cap(b) > poolBufMax {
		return
	}
	select {
	case f.bufs <- b:
	default:
	}
}
