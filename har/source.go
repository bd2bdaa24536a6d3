package har

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/traceaudit/traceaudit/model"
)

// source is what the scanner reads: a bufio.Reader over the input, or a
// file mapped into memory (mappedFile), which behaves as a bufio.Reader
// of size readBuf whose buffer is always as full as the file allows.
type source interface {
	Peek(n int) ([]byte, error)
	Buffered() int
	Discard(n int) (int, error)
	Size() int
}

// mapMin is the smallest file read through a mapping: below it, the
// copies a mapping saves are not worth its system calls.
const mapMin = 1 << 20

// mapDropEvery is how many bytes read go by before the pages behind the
// scanner are given back: mapped pages count in the resident set, and a
// scan must stay within its memory budget whatever the file's size.
const mapDropEvery = 1 << 20

// mapAhead is how far ahead of the scanner the file's pages are mapped in
// one system call each time less than a read buffer of them is left
// (populatePages). Behind and ahead together stay within the 2 MiB that
// dropping every 2 MiB (and faulting in 64 KiB at a time) kept resident.
const mapAhead = 1 << 20

// mappedFile reads a regular file through a read-only mapping: the framing
// goroutine reads the file's bytes in place instead of having read(2) copy
// each into a buffer first (a sixth of its time on the 20,000-entry HAR,
// and most of the process's system time).
type mappedFile struct {
	data      []byte // the whole file
	pos       int    // the next byte to read
	dropped   int    // pages before this offset were given back
	populated int    // pages from dropped to this offset were mapped in
}

func (m *mappedFile) Size() int     { return readBuf }
func (m *mappedFile) Buffered() int { return min(len(m.data)-m.pos, readBuf) }

// Peek returns the next n bytes, fewer and io.EOF at the end of the file.
func (m *mappedFile) Peek(n int) ([]byte, error) {
	if rest := len(m.data) - m.pos; n > rest {
		return m.data[m.pos:], io.EOF
	}
	return m.data[m.pos : m.pos+n], nil
}

// Discard skips n bytes (at most Buffered: the scanner never skips more).
// Once mapDropEvery bytes went by, the pages before the scanner (the
// caller holds no slice of them any more) are given back.
func (m *mappedFile) Discard(n int) (int, error) {
	m.pos += n
	if m.pos-m.dropped >= mapDropEvery {
		to := m.pos &^ (pageSize - 1)
		dropPages(m.data[m.dropped:to])
		m.dropped = to
	}
	if m.populated-m.pos < readBuf {
		m.populateAhead()
	}
	return n, nil
}

// populateAhead maps in the file's pages from where the last call stopped
// (at least the scanner's) to mapAhead past the scanner.
func (m *mappedFile) populateAhead() {
	from := max(m.populated, m.pos) &^ (pageSize - 1)
	to := min(len(m.data), m.pos+mapAhead)
	if from < to {
		populatePages(m.data[from:to])
		m.populated = to
	}
}

var pageSize = os.Getpagesize()

// mapInput maps in from the document offset off (the scanner's start) when
// in is a regular file of at least mapMin bytes (any size with always)
// positioned at base when the reader was made; nil when it cannot or
// should not be mapped.
func mapInput(in io.Reader, base, off int64, always bool) *mappedFile {
	f, ok := in.(*os.File)
	if !ok || base < 0 {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 ||
		st.Size() < mapMin && !always || strconv.IntSize < 64 {
		return nil
	}
	start := base + off
	if start < 0 || start > st.Size() {
		return nil
	}
	data, err := mapFile(f, int(st.Size()))
	if err != nil {
		return nil
	}
	m := &mappedFile{data: data, pos: int(start)}
	m.dropped = m.pos &^ (pageSize - 1)
	m.populateAhead()
	return m
}

// useMapped makes m the scanner's source. The file is unmapped when
// reading ends (releaseMapped) or, for a Reader dropped before, when the
// Reader is collected.
func (r *Reader) useMapped(m *mappedFile) {
	r.sc.br = m
	r.mapped = m
	r.unmap = runtime.AddCleanup(r, unmapFile, m.data)
}

// releaseMapped unmaps the file once the scanner is done with it: frames
// hold copies of what they keep, so nothing refers to the mapping.
func (r *Reader) releaseMapped() {
	if r.mapped == nil {
		return
	}
	r.unmap.Stop()
	unmapFile(r.mapped.data)
	r.mapped = nil
	r.sc.br = emptySource{}
}

// guardFault turns a fault reading the mapping (the file shrank while it
// was read) into the reader's error instead of a crash of the process; it
// runs deferred in Next when Next frames (sequential; frameLoop guards the
// framing goroutine).
func (r *Reader) guardFault(ex **model.Exchange, err *error, prev bool) {
	debug.SetPanicOnFault(prev)
	p := recover()
	if p == nil {
		return
	}
	if _, fault := p.(interface{ Addr() uintptr }); !fault {
		panic(p)
	}
	r.done = r.posError(r.sc.off, "", fmt.Errorf("the file changed while it was read (%v)", p))
	r.releaseMapped()
	// Nothing more is handed out: the batches being decoded finish on
	// their own.
	r.ready, r.readyPos = nil, 0
	*ex, *err = nil, r.done
}

// emptySource is the scanner's source once a mapping is gone.
type emptySource struct{}

func (emptySource) Peek(int) ([]byte, error)   { return nil, io.EOF }
func (emptySource) Buffered() int              { return 0 }
func (emptySource) Discard(n int) (int, error) { return 0, io.EOF }
func (emptySource) Size() int                  { return readBuf }
