package har

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
)

// ErrFormat is wrapped by every error about input that is not a readable HAR
// document.
var ErrFormat = errors.New("har: not a HAR document")

// Options configure a Reader.
type Options struct {
	// Limits bound what is kept and inflated; zero fields take the defaults.
	Limits model.Limits
	// SideFiles resolves Playwright's content._file bodies (files stored
	// beside the HAR or in its zip). Nil means they are not available; the
	// reader then records a note.
	SideFiles fs.FS
	// Name is the file name used in errors.
	Name string
	// SkipBody, when set, is asked for each response body's media type;
	// true leaves the body's Data empty (Size kept, Truncated set), which
	// saves decoding scripts, images and fonts that no analysis reads.
	SkipBody func(mimeType string) bool
	// PoisonReleased overwrites the body buffers handed back with
	// Release before they are reused: for tests of callers, whose output
	// changes if they still read a body they released.
	PoisonReleased bool
	// ReuseExchanges says the caller hands every exchange back with
	// ReleaseExchange, in order, once done with it: the reader then keeps
	// track of the exchanges it returns (a few thousand at most) so as to
	// reuse their memory.
	ReuseExchanges bool
	// DeferPages leaves the text of HTML pages undecoded (the body
	// skipped) until the caller says, with ResolveBody, whether anybody
	// reads it: the caller must resolve every exchange Next returns before
	// reading its response body, in order.
	DeferPages bool

	// mapping overrides when a file is read through a mapping (tests
	// compare the ways).
	mapping mapMode
}

// mapMode says when the reader maps a file.
//
// By default it never does. On the paravirtualised VMs the team measures
// on, where every change to the process's page tables is a trap to the
// hypervisor, reading the 20,000-entry bench HAR's 209 MB through a
// mapping (its pages mapped in ahead a MiB at a time, touched, given back
// behind) took 225-290 ms of CPU, and read(2) into one buffer, touching the
// same bytes, 61-76 ms (three runs each, under chrt -r 1); a scan, 387 ms
// median and 702 ms of CPU mapped, 313 and 522 read (12 interleaved runs).
// The mapping stays, tested, for a machine where it pays again (the third
// round measured it so on another VM): mapLarge was the default until the
// sixteenth round.
type mapMode int

const (
	mapNever  mapMode = iota // always read(2): the default
	mapLarge                 // regular files of mapMin bytes or more
	mapAlways                // every regular file
)

const (
	// headerBudget bounds the bytes read before log.entries starts: real
	// logs put only creator, browser, pages and a comment there.
	headerBudget = 32 << 20
	// maxNotes bounds the notes kept; the rest are counted.
	maxNotes = 100
	readBuf  = 256 << 10
)

// Reader reads the exchanges of one HAR document in entry order.
type Reader struct {
	opts   Options
	limits model.Limits

	sc       *scanner
	bom      int64 // bytes of a byte order mark skipped before the document
	inflated bool  // offsets count bytes of the decompressed document
	index    int   // index of the next entry
	inArray  bool  // inside log.entries
	done     error // how reading ended: io.EOF, or the error to return

	// states are the decoding goroutines' own: batch n is decoded with
	// states[n%decodeDepth], after batch n-decodeDepth was (see free).
	states   [decodeDepth]decodeState
	batchSeq int // batches framed, counted by the framing goroutine
	// reference decodes with gjson alone (tests compare the two).
	reference bool

	ready    []*decoder // decoded entries not handed out yet
	readyPos int
	// readyBatch holds ready's decoders; once all are handed out (each
	// zeroed), the batch is pipe.spare, which the next batch to decode
	// reuses rather than allocating its decoders again.
	readyBatch decodedBatch

	// pipe hands the framing goroutine's batches to Next (see frameLoop).
	pipe pipe
	// free[i] holds a token while states[i] is not decoding a batch.
	free [decodeDepth]chan struct{}

	// spareMu guards spare and spareBytes: Next recycles frames, the
	// framing goroutine takes them.
	spareMu sync.Mutex
	spare   []*frame // frames whose buffers can be reused
	// spareBytes is the buffer capacity of the spare frames.
	spareBytes int
	// Tests change these: batchMax bounds the entries of a batch (0: the
	// default); sequential decodes each entry as soon as it is framed, on
	// the caller's goroutine.
	batchMax   int
	sequential bool

	// pool keeps the body buffers handed back with Release, hpool the
	// header lists handed back with ReleaseHeaders.
	pool  bodyPool
	hpool headerPool
	// xpool lends the memory of exchanges, reused once handed back with
	// ReleaseExchange.
	xpool exchangePool
	// deferred holds the bodies DeferPages left undecoded in the
	// exchanges handed out, until ResolveBody.
	deferred pendingQueue
	leadBuf  []byte // ResolveBody's scratch
	// mapped is the scanner's source when the file is read through a
	// mapping; unmap unmaps it if the Reader is dropped before the end.
	mapped *mappedFile
	unmap  runtime.Cleanup

	notes    []model.Note
	pending  []model.Note // notes of framing, recorded after the entry before
	dropped  int          // notes not kept beyond maxNotes
	sideNote bool         // the missing side files were noted
}

var _ model.Reader = (*Reader)(nil)

// NewReader reads up to the start of log.entries. It fails, with an error
// wrapping ErrFormat, when r does not hold a HAR document.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	hr := &Reader{opts: opts, limits: opts.Limits.WithDefaults(), batchMax: batchEntries}
	hr.pool.Poison = opts.PoisonReleased
	hr.hpool.Poison = opts.PoisonReleased
	hr.xpool.poison = opts.PoisonReleased
	hr.xpool.enabled = opts.ReuseExchanges
	for i := range hr.states {
		hr.states[i] = decodeState{sk: &skeleton{}, intern: newInterner(), arena: new([]byte)}
		hr.free[i] = make(chan struct{}, 1)
		hr.free[i] <- struct{}{}
	}
	hr.pipe.cond.L = &hr.pipe.mu
	// Where the file stands now: the scanner's start in the file, for
	// reading it through a mapping.
	base := int64(-1)
	if f, ok := r.(*os.File); ok && opts.mapping != mapNever {
		if pos, err := f.Seek(0, io.SeekCurrent); err == nil {
			base = pos
		}
	}
	src, err := hr.decompress(r)
	if err != nil {
		return nil, err
	}

	// Walk to log.entries with json.Decoder tokens: the members of log come
	// in any order, and everything before entries is small.
	budget := &budgetReader{r: src, left: headerBudget}
	dec := json.NewDecoder(budget)
	if err := hr.walkToEntries(dec); err != nil {
		if errors.Is(err, errBudget) {
			err = fmt.Errorf("%w: more than %d bytes before log.entries", ErrFormat, headerBudget)
		}
		return nil, hr.posError(dec.InputOffset(), "", err)
	}

	// Hand the rest of the stream to the scanner.
	rest := io.MultiReader(dec.Buffered(), src)
	hr.sc = &scanner{
		br:         bufio.NewReaderSize(rest, readBuf),
		off:        dec.InputOffset(),
		maxDepth:   hr.limits.JSONDepth,
		skipBody:   opts.SkipBody,
		deferPages: opts.DeferPages,
		// Enough of a base64 or escaped body to decode BodyBytes of it.
		strCap:   int(min(hr.limits.BodyBytes*2+1024, 1<<30)),
		valueCap: int(min(hr.limits.BodyBytes*4+hr.limits.HeaderBytes*4+(1<<20), 1<<30)),
	}
	if !hr.inflated {
		if m := mapInput(r, base, hr.bom+dec.InputOffset(), opts.mapping == mapAlways); m != nil {
			hr.useMapped(m)
		}
	}
	hr.inArray = true
	return hr, nil
}

// decompress strips a UTF-8 byte order mark and undoes a gzip or zlib
// wrapper, bounding the inflated size by Limits.InflateBytes.
func (r *Reader) decompress(in io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(in, readBuf)
	r.bom = skipBOM(br)
	head, _ := br.Peek(2)
	var zr io.Reader
	var err error
	switch compression(head) {
	case compressGzip:
		zr, err = gzip.NewReader(br)
	case compressZlib:
		zr, err = zlib.NewReader(br)
	default:
		// The scanner reads the rest itself, straight from in: read
		// through br, every byte would be copied once more whenever the
		// scanner tops up a buffer that is not empty.
		head, _ := br.Peek(br.Buffered())
		return io.MultiReader(bytes.NewReader(head), in), nil
	}
	if err != nil {
		return nil, r.posError(-r.bom, "", fmt.Errorf("%w: bad compressed stream: %v", ErrFormat, err))
	}
	lim := &budgetReader{r: zr, left: r.limits.InflateBytes, limitErr: errInflate}
	out := bufio.NewReaderSize(lim, readBuf)
	r.inflated = true
	r.bom = skipBOM(out)
	return out, nil
}

// skipBOM discards a UTF-8 byte order mark and returns its length.
func skipBOM(br *bufio.Reader) int64 {
	if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
		br.Discard(3)
		return 3
	}
	return 0
}

// at names a position given as an offset from the start of the JSON text:
// the byte offset in the file, or in the decompressed document.
func (r *Reader) at(off int64) string {
	s := "byte " + strconv.FormatInt(off+r.bom, 10)
	if r.inflated {
		s += " of the decompressed document"
	}
	return s
}

var (
	errBudget        = errors.New("header budget exceeded")
	errInflate error = &model.LimitError{Limit: model.LimitInflate, Err: errors.New("inflate limit reached")}
)

// budgetReader fails with limitErr once more than left bytes were read.
type budgetReader struct {
	r        io.Reader
	left     int64
	limitErr error
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		if b.limitErr != nil {
			return 0, b.limitErr
		}
		return 0, errBudget
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func (r *Reader) walkToEntries(dec *json.Decoder) error {
	if err := expectDelim(dec, '{', "the document is not a JSON object"); err != nil {
		return err
	}
	for dec.More() {
		key, err := memberName(dec)
		if err != nil {
			return err
		}
		if key != "log" {
			if err := r.skipValue(dec); err != nil {
				return err
			}
			continue
		}
		if err := expectDelim(dec, '{', "log is not an object"); err != nil {
			return err
		}
		for dec.More() {
			key, err := memberName(dec)
			if err != nil {
				return err
			}
			if key == "entries" {
				return expectDelim(dec, '[', "log.entries is not an array")
			}
			if err := r.skipValue(dec); err != nil {
				return err
			}
		}
		return fmt.Errorf("%w: log has no entries", ErrFormat)
	}
	return fmt.Errorf("%w: no log object", ErrFormat)
}

func expectDelim(dec *json.Decoder, want json.Delim, msg string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%w: %s", ErrFormat, msg)
	}
	return nil
}

func memberName(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%w: member name is not a string", ErrFormat)
	}
	return key, nil
}

// skipValue skips one value token by token, so memory stays bounded and
// nesting is checked against the limit before the decoder's own stack
// grows with it.
func (r *Reader) skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > r.limits.JSONDepth {
				return fmt.Errorf("%w: %w (limit %d)", ErrFormat, errDepth, r.limits.JSONDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// posError turns err into the reader's one-line error: file name, position
// and the cause, wrapping ErrFormat for bad input.
func (r *Reader) posError(off int64, entry string, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		off = syn.Offset
	}
	switch {
	case errors.Is(err, ErrFormat):
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("%w: unexpected end of file", ErrFormat)
	case isDataError(err):
		err = fmt.Errorf("%w: %w", ErrFormat, err)
	}
	ref := r.at(off)
	if entry != "" {
		ref = entry + ", " + ref
	}
	var out error = &model.Error{Ref: ref, Err: err}
	if r.opts.Name != "" {
		out = fmt.Errorf("%s: %w", r.opts.Name, out)
	}
	return out
}

// isDataError reports whether err is about the bytes of the document (as
// opposed to an I/O failure of the source).
func isDataError(err error) bool {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError // a number out of float64's range, read as a token
	var corrupt flate.CorruptInputError
	return errors.As(err, &syn) || errors.As(err, &typ) || errors.As(err, &corrupt) ||
		errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.Is(err, zlib.ErrChecksum) || errors.Is(err, zlib.ErrHeader) ||
		errors.Is(err, errSyntax) || errors.Is(err, errDepth) || errors.Is(err, errInflate)
}

// Notes returns the notes gathered so far.
func (r *Reader) Notes() []model.Note {
	out := append([]model.Note(nil), r.notes...)
	if r.dropped > 0 {
		out = append(out, model.Note{Kind: model.NoteLimit, Message: fmt.Sprintf("%d more notes not shown", r.dropped)})
	}
	return out
}

// note records a note of framing; it waits in r.pending until the notes
// of the entry before are recorded.
func (r *Reader) note(kind model.NoteKind, ref, format string, args ...any) {
	r.pending = append(r.pending, model.Note{Kind: kind, Ref: ref, Message: fmt.Sprintf(format, args...)})
}

func (r *Reader) flushNotes() {
	for _, n := range r.pending {
		r.addNote(n)
	}
	r.pending = r.pending[:0]
}

func (r *Reader) addNote(n model.Note) {
	if len(r.notes) >= maxNotes {
		r.dropped++
		return
	}
	r.notes = append(r.notes, n)
}

// A batch of entries ends at batchEntries entries or batchBytes of
// framed bytes, whichever comes first: enough that handing a batch to a
// decoding goroutine costs little next to decoding it, few enough that the
// batches in flight (one handed out, queueDepth queued, one framed) stay
// small. 32 rather than 64 entries since framing runs ahead on a goroutine
// of its own: the same peak RSS as before on the 100,000-entry HAR.
const (
	batchEntries = 32
	batchBytes   = 1 << 20
	decodeDepth  = 2
)

// decodeState is what a decoding goroutine uses and no other touches.
type decodeState struct {
	sk     *skeleton
	intern *interner
	arena  *[]byte
}

// Next returns the next exchange, io.EOF after the last one. Damage after
// the start of log.entries ends reading with a note rather than an error;
// an I/O failure of the source is returned as an error.
//
// Next works in batches: a goroutine of the reader's own frames entries
// (frameLoop), up to queueDepth batches ahead of the caller, and hands
// each batch to a goroutine that decodes it while the next is framed, so
// that on two cores framing, decoding and whatever the caller does with
// the exchanges overlap, and the caller's pace never holds up framing.
// Notes are merged in entry order, so the result is the same as reading
// one entry at a time. A decoding goroutine touches only its batch's
// frames and its own state, and ends on its own; the framing goroutine
// ends when framing does, when queueDepth batches wait, or at Stop.
func (r *Reader) Next() (ex *model.Exchange, err error) {
	if r.sequential && r.mapped != nil {
		defer r.guardFault(&ex, &err, debug.SetPanicOnFault(true))
	}
	for {
		for r.readyPos < len(r.ready) {
			d := r.ready[r.readyPos]
			r.ready[r.readyPos] = nil
			r.readyPos++
			// The entry's own notes come before what framing noted.
			for _, n := range d.notes {
				if n.once {
					if r.sideNote {
						continue
					}
					r.sideNote = true
				}
				r.addNote(n.Note)
			}
			if r.sequential {
				r.recycle(d.f)
			}
			ex, mem := d.ex, d.mem
			if d.pend.raw != nil {
				if ex != nil {
					r.deferred.push(ex, d.pend)
				} else {
					r.pool.Put(d.pend.raw)
				}
			}
			*d = decoder{}
			if ex != nil {
				r.xpool.lend(mem)
				return ex, nil
			}
			r.xpool.unused(mem)
		}
		r.ready, r.readyPos = r.ready[:0], 0
		if r.readyBatch.ds != nil {
			// Every decoder of the batch was handed out and zeroed: the
			// next batch may decode into them (on its goroutine, which
			// starts after this).
			r.pipe.giveSpare(r.readyBatch)
			r.readyBatch = decodedBatch{}
			r.ready = nil
		}
		if r.sequential {
			f := r.frameNext()
			if f == nil {
				r.releaseMapped()
				r.flushNotes()
				return nil, r.done
			}
			r.ready = append(r.ready, r.decode(f, r.state(0)))
			continue
		}
		done := r.nextBatch()
		if done == nil {
			if p := r.pipe.panicked; p != nil {
				panic(fmt.Sprintf("%v\n(in the HAR framing goroutine)\n%s", p.value, p.stack))
			}
			if r.done == nil {
				// Stopped before the end.
				return nil, errStopped
			}
			// Framing notes come only when framing ends: after every
			// entry's own.
			r.flushNotes()
			return nil, r.done
		}
		switch v := (<-done).(type) {
		case decodePanic:
			panic(fmt.Sprintf("%v\n(in the HAR decoder goroutine)\n%s", v.value, v.stack))
		case decodedBatch:
			r.ready, r.readyBatch = v.out, v
		}
	}
}

// queueDepth and queueBytes bound the batches framed ahead of the caller
// (being decoded or decoded, not handed out yet): by number, and by framed
// bytes, so that entries with large bodies do not keep more of them in
// flight (and out of the caches) than reading one batch while another is
// decoded needs.
const (
	queueDepth = 3
	queueBytes = batchBytes
)

// pipe is what the framing goroutine and Next share, under mu: the
// batches framed and handed to decoding goroutines, in order, and how
// framing stands. Everything else the framing goroutine touches (the
// scanner, the framing notes, r.done, the mapping) is Next's again once
// ended is set, or while running is false.
type pipe struct {
	mu   sync.Mutex
	cond sync.Cond // signalled when queue, running or ended change
	// queue holds each batch's channel, which receives its decoders (or
	// the decoding goroutine's panic), and its framed bytes; queued is
	// their sum.
	queue   []queued
	queued  int
	running bool // a framing goroutine runs
	ended   bool // framing ended: r.done and r.pending are final
	stopped bool // Stop was called: no framing goroutine starts again
	// spare is a decoded batch all handed out, whose decoders the next
	// batch to decode reuses.
	spare    decodedBatch
	panicked *decodePanic // the framing goroutine's panic
}

// queued is a batch of the queue: the channel that receives its
// decoders, and its framed bytes.
type queued struct {
	done chan any
	size int
}

func (p *pipe) giveSpare(b decodedBatch) {
	p.mu.Lock()
	p.spare = b
	p.mu.Unlock()
}

// nextBatch returns the channel of the next batch framed, starting the
// framing goroutine when none runs; nil once framing ended and every
// batch was taken.
func (r *Reader) nextBatch() chan any {
	p := &r.pipe
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.queue) == 0 {
		if p.ended || p.stopped {
			return nil
		}
		r.startFraming()
		p.cond.Wait()
	}
	q := p.queue[0]
	p.queue[0] = queued{}
	p.queue = p.queue[1:]
	p.queued -= q.size
	if len(p.queue) == 0 {
		p.queue = p.queue[:0:0]
	}
	// Room in the queue again: frame on.
	r.startFraming()
	return q.done
}

// startFraming starts the framing goroutine unless it runs, framing
// ended, or Stop was called; r.pipe.mu is held.
func (r *Reader) startFraming() {
	p := &r.pipe
	if p.running || p.ended || p.stopped {
		return
	}
	p.running = true
	go r.frameLoop()
}

var errStopped = errors.New("har: Next called after Stop")

// Stop ends the framing goroutine and waits for it: after Stop the
// Reader's source (the file it reads, its position) is the caller's again.
// The batches being decoded finish on their own. Next must not be called
// after Stop.
func (r *Reader) Stop() {
	p := &r.pipe
	p.mu.Lock()
	p.stopped = true
	for p.running {
		p.cond.Wait()
	}
	p.mu.Unlock()
}

// frameLoop is the framing goroutine: it frames batch after batch and
// hands each to a decoding goroutine, until framing ends, queueDepth
// batches wait in the queue, or Stop was called. A fault reading a mapped
// file that changed (see guardFault) ends reading with an error; any
// other panic is carried to Next.
func (r *Reader) frameLoop() {
	p := &r.pipe
	defer func() {
		v := recover()
		if v != nil {
			if _, fault := v.(interface{ Addr() uintptr }); fault && r.mapped != nil {
				r.done = r.posError(r.sc.off, "", fmt.Errorf("the file changed while it was read (%v)", v))
				r.releaseMapped()
			} else {
				p.panicked = &decodePanic{v, debug.Stack()}
			}
		}
		p.mu.Lock()
		if v != nil {
			p.ended = true
		}
		p.running = false
		p.cond.Broadcast()
		p.mu.Unlock()
	}()
	if r.mapped != nil {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	}
	for {
		batch, size := r.frameBatch(nil)
		if len(batch) == 0 {
			r.releaseMapped()
			p.mu.Lock()
			p.ended = true
			p.mu.Unlock()
			return
		}
		// Batch n is decoded with states[n%decodeDepth] once batch
		// n-decodeDepth is.
		k := r.batchSeq % decodeDepth
		<-r.free[k]
		p.mu.Lock()
		reuse := p.spare
		p.spare = decodedBatch{}
		p.mu.Unlock()
		done := r.decodeAsync(batch, r.state(r.batchSeq), reuse, r.free[k])
		r.batchSeq++
		p.mu.Lock()
		p.queue = append(p.queue, queued{done, size})
		p.queued += size
		p.cond.Broadcast()
		full := len(p.queue) >= queueDepth || p.queued >= queueBytes || p.stopped
		p.mu.Unlock()
		if full {
			return
		}
	}
}

func (r *Reader) state(seq int) decodeState {
	if r.reference {
		return decodeState{}
	}
	return r.states[seq%decodeDepth]
}

// decodeAsync decodes a batch on a goroutine of its own; the channel
// receives the decoders or the goroutine's panic. free receives a token
// once the state is no longer in use.
func (r *Reader) decodeAsync(batch []*frame, st decodeState, reuse decodedBatch, free chan struct{}) chan any {
	done := make(chan any, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				free <- struct{}{}
				done <- decodePanic{p, debug.Stack()}
			}
		}()
		b := r.decodeAll(batch, st, reuse)
		free <- struct{}{}
		done <- b
	}()
	return done
}

// decodedBatch is a batch's decoders and the list of them handed to Next.
type decodedBatch struct {
	ds  []decoder
	out []*decoder
}

// decodePanic carries a panic of a decoding goroutine to the caller's,
// where the CLI's per-file recovery turns it into that file's error.
type decodePanic struct {
	value any
	stack []byte
}

// recycle keeps a frame's buffers for a later entry, within a budget:
// there are up to three batches of frames in flight, and entries with large
// bodies must not leave every kept frame holding their capacity.
func (r *Reader) recycle(f *frame) {
	r.spareMu.Lock()
	r.recycleLocked(f)
	r.spareMu.Unlock()
}

func (r *Reader) recycleLocked(f *frame) {
	size := frameCap(f)
	if len(r.spare) < 3*batchEntries && r.spareBytes+size <= spareBudget {
		r.spare = append(r.spare, f)
		r.spareBytes += size
	}
}

// recycleBatch recycles the frames of a decoded batch, under one lock.
func (r *Reader) recycleBatch(batch []*frame) {
	r.spareMu.Lock()
	for i, f := range batch {
		r.recycleLocked(f)
		batch[i] = nil
	}
	r.spareMu.Unlock()
}

// spareFrame returns a kept frame, or a new one.
func (r *Reader) spareFrame() *frame {
	r.spareMu.Lock()
	defer r.spareMu.Unlock()
	n := len(r.spare)
	if n == 0 {
		return &frame{}
	}
	f := r.spare[n-1]
	r.spare[n-1] = nil
	r.spare = r.spare[:n-1]
	r.spareBytes -= frameCap(f)
	return f
}

func frameCap(f *frame) int {
	return cap(f.buf) + cap(f.side) + cap(f.strs)*int(unsafe.Sizeof(strSpan{}))
}

// spareBudget bounds the buffer capacity of the frames kept for reuse.
const spareBudget = 8 << 20

// frameBatch frames the next batch of entries into dst; size is their
// framed bytes.
func (r *Reader) frameBatch(dst []*frame) (_ []*frame, size int) {
	for len(dst) < max(r.batchMax, 1) && size < batchBytes {
		f := r.frameNext()
		if f == nil {
			break
		}
		dst = append(dst, f)
		size += len(f.buf) + len(f.side)
	}
	return dst, size
}

// decodeAll decodes a batch in order; it runs on the decoding goroutine
// and touches only the frames, the decoder's state and the read-only
// settings.
func (r *Reader) decodeAll(batch []*frame, st decodeState, reuse decodedBatch) decodedBatch {
	// The batch's decoders in one allocation, an earlier batch's when
	// there is one (decodeInto sets every field); the exchanges and
	// responses they make in memory handed back by the caller, when there
	// is.
	n := len(batch)
	b := reuse
	if cap(b.ds) < n || cap(b.out) < n {
		b = decodedBatch{ds: make([]decoder, n), out: make([]*decoder, n)}
	}
	b.ds, b.out = b.ds[:n], b.out[:n]
	r.xpool.fill(b.ds)
	for i, f := range batch {
		b.out[i] = r.decodeInto(&b.ds[i], f, st)
		b.ds[i].f = nil
	}
	// What an exchange keeps is copied out of its frame (views of the
	// frame die with decoding): the frames can be framed into again,
	// while the batch waits to be handed out.
	r.recycleBatch(batch)
	return b
}

// decode runs on a frame only; see decoder.
func (r *Reader) decode(f *frame, st decodeState) *decoder {
	d := make([]decoder, 1)
	r.xpool.fill(d)
	return r.decodeInto(&d[0], f, st)
}

// decodeInto is decode into d, a zero decoder.
func (r *Reader) decodeInto(d *decoder, f *frame, st decodeState) *decoder {
	*d = decoder{limits: r.limits, sideFiles: r.opts.SideFiles, f: f, skipBody: r.opts.SkipBody,
		deferPages: r.opts.DeferPages, sk: st.sk, intern: st.intern, arena: st.arena, pool: &r.pool, hpool: &r.hpool, mem: d.mem}
	if d.arena == nil {
		d.arena = new([]byte)
	}
	// Views into the arena die with the entry they were made for; a
	// one-off huge body must not pin it.
	*d.arena = (*d.arena)[:0]
	if cap(*d.arena) > 1<<20 {
		*d.arena = nil
	}
	ex, reason := d.entry()
	if reason != "" {
		d.note(model.NoteBadEntry, entryRef(f.idx), "%s at %s; entry skipped", reason, r.at(f.start))
		if f.tooDeep {
			d.notes[len(d.notes)-1].Limit = model.LimitJSONDepth
		}
		ex = nil
	}
	d.ex = ex
	return d
}

// frameNext scans the next entry into a frame, or returns nil at the end
// of log.entries (r.done then says how it ended). Its notes wait in
// r.pending until the previous entry's notes are recorded.
func (r *Reader) frameNext() *frame {
	for r.done == nil {
		if !r.inArray {
			r.finish()
			return nil
		}
		start := r.sc.off
		c, err := r.sc.nextByte()
		if err != nil {
			r.stop(start, entryRef(r.index), err)
			return nil
		}
		if c == ']' && r.index == 0 {
			r.sc.discard(1)
			r.inArray = false
			continue
		}
		f := r.spareFrame()
		r.sc.buf, r.sc.side, r.sc.spans, r.sc.strs = f.buf, f.side, f.spans, f.strs
		err = r.sc.scanValue(true)
		*f = frame{
			idx: r.index, start: start,
			buf: r.sc.buf, side: r.sc.side, spans: r.sc.spans, strs: r.sc.strs,
			tooDeep: r.sc.tooDeep, tooLarge: r.sc.tooLarge, valueCap: r.sc.valueCap,
		}
		// The frame owns its buffers now: the scanner must not touch them
		// while the frame is decoded.
		r.sc.buf, r.sc.side, r.sc.spans, r.sc.strs = nil, nil, nil, nil
		if err != nil {
			r.recycle(f)
			r.stop(start, entryRef(r.index), err)
			return nil
		}
		r.index++
		if sep, err := r.sc.expect(",]"); err != nil {
			r.stop(r.sc.off, entryRef(f.idx), err)
		} else if sep == ']' {
			r.inArray = false
		}
		return f
	}
	return nil
}

// entryRef names entry i in notes and exchanges. The decoders make it:
// the framing goroutine, which bounds the reader's speed, only does for
// its own notes.
func entryRef(i int) string {
	var b [32]byte
	return string(append(strconv.AppendInt(append(b[:0], "entries["...), int64(i), 10), ']'))
}

// stop ends reading at damage. Data damage becomes a note and a clean
// io.EOF; anything else (an I/O failure) is returned as the error.
func (r *Reader) stop(off int64, ref string, err error) {
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		if end := r.sc.off; end > off {
			// Cut inside an entry: off is where the entry began, not where
			// the file ends.
			r.note(model.NoteTruncated, ref, "file ends at %s inside log.entries, in the entry that starts at %s; %d entries read", r.at(end), r.at(off), r.index)
		} else {
			r.note(model.NoteTruncated, ref, "file ends at %s inside log.entries; %d entries read", r.at(off), r.index)
		}
	case errors.Is(err, errInflate):
		r.note(model.NoteLimit, ref, "decompressed size limit of %d bytes reached at %s; %d entries read", r.limits.InflateBytes, r.at(off), r.index)
		r.pending[len(r.pending)-1].Limit = model.LimitInflate
	case isDataError(err):
		r.note(model.NoteTruncated, ref, "unreadable from %s (%v); %d entries read", r.at(off), err, r.index)
	default:
		r.done = r.posError(off, ref, err)
		return
	}
	r.done = io.EOF
}

// finish checks what follows log.entries: the other members of log and of
// the top-level object. Damage there costs nothing already read, so it is
// only noted.
func (r *Reader) finish() {
	r.done = io.EOF
	for range 2 { // log, then the top-level object
		for {
			c, err := r.sc.expect(",}")
			if err != nil {
				r.trailerNote(err)
				return
			}
			if c == '}' {
				break
			}
			if err := r.sc.skipKey(); err != nil {
				r.trailerNote(err)
				return
			}
			if err := r.sc.scanValue(false); err != nil {
				r.trailerNote(err)
				return
			}
		}
	}
	if _, err := r.sc.nextByte(); err != io.EOF {
		r.trailerNote(fmt.Errorf("%w: data after the end of the document", errSyntax))
	}
}

func (r *Reader) trailerNote(err error) {
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		r.note(model.NoteTruncated, "", "file ends at %s after log.entries; all %d entries read", r.at(r.sc.off), r.index)
	case isDataError(err):
		r.note(model.NoteDamaged, "", "invalid JSON at %s after log.entries (%v); all %d entries read", r.at(r.sc.off), err, r.index)
	default:
		r.done = r.posError(r.sc.off, "", err)
	}
}
