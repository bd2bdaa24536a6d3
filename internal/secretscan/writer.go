package secretscan

import (
	"bytes"
	"io"
	"sync"
)

// Writer redacts everything written through it before passing it on. It
// holds back the last incomplete line (no shape spans a line break), so the
// output must end with Flush. A line longer than maxPending is cut at a
// byte that no shape holds and that separates members (',', '<', '>',
// braces and brackets). It is safe for concurrent use, as the standard
// error it may wrap is.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
	err     error
}

// maxPending bounds the bytes held back waiting for a line break.
const maxPending = 1 << 20

// NewWriter returns a Writer that writes redacted bytes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write takes p; complete lines are redacted and written at once.
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	s.pending = append(s.pending, p...)
	cut := bytes.LastIndexAny(s.pending, "\n\r") + 1
	if cut == 0 && len(s.pending) > maxPending {
		cut = bytes.LastIndexAny(s.pending[:len(s.pending)-4096], ",<>{}[]") + 1
		if cut == 0 {
			cut = len(s.pending)
		}
	}
	if cut > 0 {
		s.emit(s.pending[:cut])
		n := copy(s.pending, s.pending[cut:])
		s.pending = s.pending[:n]
	}
	if s.err != nil {
		return 0, s.err
	}
	return len(p), nil
}

// Flush redacts and writes what is held back.
func (s *Writer) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) > 0 {
		s.emit(s.pending)
		s.pending = s.pending[:0]
	}
	return s.err
}

func (s *Writer) emit(b []byte) {
	if s.err != nil {
		return
	}
	if len(b) >= splitMin {
		// Two halves, cut at a line break, redacted at once: the sweep of
		// a report comes after the trace is read, when the other core has
		// little to do (26 ms of the 100,000-entry bench HAR's 6.5 MB
		// report, a twentieth of its scan). No shape spans a line break,
		// so the halves redact as the whole does.
		if i := bytes.IndexAny(b[len(b)/2:], "\n\r"); i >= 0 {
			cut := len(b)/2 + i + 1
			var first []byte
			var failed any
			done := make(chan struct{})
			go func() {
				defer close(done)
				defer func() { failed = recover() }()
				first = Redact(b[:cut])
			}()
			second := Redact(b[cut:])
			<-done
			if failed != nil {
				panic(failed)
			}
			if _, s.err = s.w.Write(first); s.err == nil {
				_, s.err = s.w.Write(second)
			}
			return
		}
	}
	_, s.err = s.w.Write(Redact(b))
}

// splitMin is the size of the output emit redacts in two halves at once.
const splitMin = 32 << 10

// Guard checks what is written through it and refuses at the first
// secret-shaped string: Write returns a *LeakError and nothing more is
// passed on. Bytes pass through at once; the last overlap bytes are
// checked again with the next write so that a shape cut across two writes
// is still seen.
type Guard struct {
	w    io.Writer
	tail []byte
	off  int64 // input offset of tail[0]
	n    int64 // bytes passed on
	err  error
	// Where names the offset of a leak for the error ("entries[3]"); nil
	// leaves it out.
	Where func(off int64) string
}

// overlap is kept between writes; longer shapes are still found when they
// start inside it, longer ones with only their first overlap bytes seen
// before the cut still match (every shape matches on a prefix this long).
const overlap = 64 << 10

// NewGuard returns a Guard writing to w.
func NewGuard(w io.Writer) *Guard { return &Guard{w: w} }

// LeakError reports a secret-shaped string in a sanitized copy: where, what
// kind, never the value.
type LeakError struct {
	Member string // SAZ member or HAR part; "" for the whole output
	Offset int64  // byte offset in the member or output
	Kind   Kind
}

func (e *LeakError) Error() string {
	where := "byte " + itoa(e.Offset)
	if e.Member != "" {
		where = e.Member + " " + where
	}
	return string(e.Kind) + " survived redaction at " + where + "; refusing to write a copy that looks clean (please report this)"
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Write checks p (with the kept overlap) and passes it on.
func (g *Guard) Write(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	buf := append(g.tail, p...)
	if m, ok := First(buf); ok {
		off := g.off + int64(m.Start)
		member := ""
		if g.Where != nil {
			member = g.Where(off)
		}
		g.err = &LeakError{Member: member, Offset: off, Kind: m.Kind}
		return 0, g.err
	}
	if _, err := g.w.Write(p); err != nil {
		g.err = err
		return 0, err
	}
	g.n += int64(len(p))
	if len(buf) > overlap {
		g.off += int64(len(buf) - overlap)
		buf = buf[len(buf)-overlap:]
	}
	g.tail = append(g.tail[:0], buf...)
	return len(p), nil
}

// Written returns the bytes passed on so far.
func (g *Guard) Written() int64 { return g.n }

// Check reports the first secret-shaped string of b as a *LeakError naming
// member, or nil.
func Check(member string, b []byte) error {
	if m, ok := First(b); ok {
		return &LeakError{Member: member, Offset: int64(m.Start), Kind: m.Kind}
	}
	return nil
}
