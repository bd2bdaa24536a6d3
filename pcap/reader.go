package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/reassembly"

	"github.com/traceaudit/traceaudit/internal/bodypool"
	"github.com/traceaudit/traceaudit/model"
)

// ErrFormat is wrapped by errors about files that are not captures or
// whose container is broken.
var ErrFormat = errors.New("pcap: not a pcap or pcapng capture")

// Options tune a Reader.
type Options struct {
	// Limits bound bodies and header sections; zero fields take defaults.
	Limits model.Limits
	// Name is the file name used in notes; optional.
	Name string
	// Decrypter, when set, decrypts TLS connections (pcap/tlsdec provides
	// one). Without it, each TLS connection yields a "tls-no-keys" note.
	Decrypter StreamDecrypter
	// SkipBody, when set, is asked for each response body's media type;
	// true reads the body past without keeping or decoding it (Size kept,
	// Data empty), which saves decompressing scripts, images and fonts no
	// analysis reads. See httpwire.Options.SkipBody.
	SkipBody func(mimeType string) bool
	// SkipResponse, when set, is asked for each response as its body
	// starts, with the request it answers (nil when the capture has none)
	// and the response's status and headers (Body.MIMEType set, no data);
	// true skips the body as SkipBody does. HTTP/2 asks it only for
	// requests that ended without a body.
	SkipResponse func(req *model.Request, resp *model.Response) bool
	// PoisonReleased overwrites the body buffers handed back with
	// Release before they are reused (tests: a caller still reading a
	// released body reads garbage).
	PoisonReleased bool
}

const (
	// idleTimeout closes connections silent this long (capture time), so
	// that memory follows live connections, not the file size.
	idleTimeout = 2 * time.Minute
	// flushEvery is how many packets pass between idle checks.
	flushEvery = 4096
	// maxHeld and maxHeldBytes bound the finished exchanges held back to
	// restore request order behind a request still in progress (a long
	// poll, say); past them, order gives way to memory.
	maxHeld      = 4096
	maxHeldBytes = 64 << 20
	// watermarkEvery is how many packets pass between order checks while
	// exchanges are held.
	watermarkEvery = 16
	// parkAbove is Reader.parkAbove's value.
	parkAbove = 256
)

// Reader reads HTTP exchanges from a packet capture. It implements
// model.Reader: exchanges come in the order their requests began, each
// with Ref "frame N" (Wireshark's 1-based number of the packet carrying
// the request's first byte), Start and End from packet times and Conn the
// TCP 4-tuple "client:port-server:port".
type Reader struct {
	opts Options
	lim  model.Limits
	src  packetSource
	// pf is src when the records are read ahead (pcap and pcapng files;
	// an ETL capture is read in place).
	pf  *prefetchSource
	dec *decoder
	tcp layers.TCP // the TCP header of a packet decoded ahead (tcpAt)
	asm *reassembly.Assembler

	live map[*tcpStream]struct{}
	// parkAbove is how many live connections make idle HTTP/1 parsers
	// park (see h1Side.parked): restarting one costs a little CPU, holding
	// thousands costs memory.
	parkAbove int
	ctxs      []asmContext // see context
	spare     *asmContext
	sessions  int
	ignored   int

	held      exHeap
	heldBytes int64 // body bytes kept by held exchanges
	seq       int
	emitted   int
	watermark int
	lastWM    int
	// touched are the streams fed or closed since the last
	// computeWatermark; lows holds every other stream's lowest frame.
	touched []*tcpStream
	lows    lowHeap

	frame   int
	packets int
	snapped int
	// snapCut is how many bytes the snap length cut from the packet
	// being assembled (tcpStream.Accept), 0 when none.
	snapCut  int
	lastTime time.Time
	nextIdle int
	// live1 is the packet the assembler is given, while it is.
	live1 livePacket

	notes   []model.Note
	dropped map[model.NoteKind]int // notes past maxNotes, by kind
	// quic reads the QUIC datagrams, nil until the first.
	quic *quicReader
	// relay finds the exchanges a byte-copying relay on the capture host
	// made a second time (relay.go).
	relay relayCopies
	// tcpDNS holds what DNS answers read over TCP name (dec.dns those
	// over UDP); hosts the host names exchanges gave each server
	// address, hostConns the connections that gave theirs (the first
	// maxDNSAddrs), lastConn the connection of the last exchange.
	tcpDNS    dnsNames
	hosts     map[netip.Addr][]string
	hostConns map[string]struct{}
	lastConn  string
	// sawDNS: a DNS answer came (in packet order): only then do
	// exchanges' host names matter (dnsNames.nameNotes).
	sawDNS bool
	done   bool
	fills  []fill // holes to fill after the current packet
	again  bool   // the current packet was refused until they are filled

	// bodies keeps the body buffers handed back with Release for the
	// HTTP/1 bodies read later, headers the header lists handed back with
	// ReleaseHeaders for later HTTP/1 header sections.
	bodies  bodypool.Pool
	headers bodypool.HeaderPool
	// coros are the HTTP/1 parsers' coroutines waiting for a parser;
	// freshCoroutines gives each parser a new one instead (tests).
	coros           coPool
	freshCoroutines bool
}

// NewReader starts reading a capture (pcap, pcapng or a Windows ETL
// capture, optionally gzip compressed). An ETL file needs random access:
// given an *os.File or *bytes.Reader it is read in place, otherwise it is
// held in memory. It fails with an error wrapping ErrFormat when r does not
// start like a capture.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	src, err := openCapture(r)
	if err != nil {
		return nil, err
	}
	dec := newDecoder()
	var pf *prefetchSource
	if as, ok := src.(arenaSource); ok && runtime.GOMAXPROCS(0) > 1 {
		// With one P the goroutines would only take turns: moving the
		// packets between them then costs without paying.
		pf = newPrefetch(as, dec, batchArena, batchSlack)
		src = pf
	}
	rd := &Reader{
		opts:     opts,
		pf:       pf,
		lim:      opts.Limits.WithDefaults(),
		src:      src,
		dec:      dec,
		live:     map[*tcpStream]struct{}{},
		nextIdle: flushEvery,

		parkAbove: parkAbove,
	}
	rd.bodies.Poison = opts.PoisonReleased
	rd.headers.Poison = opts.PoisonReleased
	pool := reassembly.NewStreamPool(&streamFactory{r: rd})
	rd.asm = reassembly.NewAssembler(pool)
	// Out-of-order data kept per connection and in total (pages of ~1.9 KB).
	rd.asm.AssemblerOptions.MaxBufferedPagesPerConnection = 1024
	rd.asm.AssemblerOptions.MaxBufferedPagesTotal = 16384
	return rd, nil
}

// sink methods for sessions.

func (r *Reader) exchange(f finished) {
	if c := f.ex.Conn; r.sawDNS && c != r.lastConn && c != "" {
		// Once per connection: its first exchange names its server.
		r.lastConn = c
		if _, seen := r.hostConns[c]; !seen && len(r.hostConns) < maxDNSAddrs {
			if r.hostConns == nil {
				r.hostConns = map[string]struct{}{}
			}
			r.hostConns[c] = struct{}{}
			r.nameServer(c, hostOf(f.ex.Request.URL))
		}
	}
	heapPush(&r.held, heldExchange{finished: f, seq: r.seq})
	r.seq++
	r.heldBytes += keptBytes(f.ex)
}

func keptBytes(ex *model.Exchange) int64 {
	n := int64(len(ex.Request.Body.Data))
	if ex.Response != nil {
		n += int64(len(ex.Response.Body.Data))
	}
	return n
}

// relayedHello is relayCopies.hello (helloSink).
func (r *Reader) relayedHello(conn string, rec []byte, frame int, ts time.Time) string {
	return r.relay.hello(conn, rec, frame, ts)
}

func (r *Reader) dnsAnswer(msg []byte, frame int) {
	r.tcpDNS.record(msg, frame)
	r.sawDNS = true
}

// nameServer records that a connection's traffic named its server host
// (a Host header, an SNI), for an address several DNS names share
// (dnsNames.nameNotes).
func (r *Reader) nameServer(conn, host string) {
	if host == "" || !validHostName(host) {
		return
	}
	a, ok := serverAddrOf(conn)
	if !ok || slices.Contains(r.hosts[a], host) {
		return
	}
	if r.hosts == nil {
		r.hosts = map[netip.Addr][]string{}
	}
	if len(r.hosts) < maxDNSAddrs && len(r.hosts[a]) < maxDNSNames {
		r.hosts[a] = append(r.hosts[a], host)
	}
}

// serverNames is hosts with the servers notes name (a TLS connection's
// SNI).
func (r *Reader) serverNames(notes []model.Note) map[netip.Addr][]string {
	for _, n := range notes {
		if n.Host != "" && n.Conn != "" {
			r.nameServer(n.Conn, strings.ToLower(n.Host))
		}
	}
	return r.hosts
}

// hostOf is the lower-case host name of an absolute URL, "" when it has
// none or an IP address.
func hostOf(u string) string {
	_, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if h, _, err := net.SplitHostPort(rest); err == nil {
		rest = h
	}
	if _, err := netip.ParseAddr(rest); err == nil || strings.HasPrefix(rest, "[") {
		return ""
	}
	return strings.ToLower(rest)
}

// maxNotes bounds the notes kept; later ones are only counted by kind.
const maxNotes = 1000

func (r *Reader) note(n model.Note) {
	if len(r.notes) >= maxNotes {
		if r.dropped == nil {
			r.dropped = map[model.NoteKind]int{}
		}
		r.dropped[n.Kind]++
		return
	}
	r.notes = append(r.notes, n)
}

func (r *Reader) limits() model.Limits { return r.lim }

func (r *Reader) decrypter() StreamDecrypter { return r.opts.Decrypter }

func (r *Reader) skipBody() func(string) bool { return r.opts.SkipBody }

func (r *Reader) bodyPool() *bodypool.Pool { return &r.bodies }

func (r *Reader) headerPool() *bodypool.HeaderPool { return &r.headers }

// ReleaseHeaders hands back header lists of exchanges this reader
// returned (a request's and a response's), for later HTTP/1 header
// sections, once each: on the worst capture the lists were ~23 MB of
// pointers allocated per scan. The caller must hold no other reference to
// them: not the exchange, nor anything it kept (copies must be of their
// fields, not of the lists). The fields' texts stay valid. Safe from any
// goroutine.
func (r *Reader) ReleaseHeaders(lists ...model.Headers) {
	r.headers.Put(lists...)
}

// Stop ends reading ahead: the records of a pcap or pcapng file are read
// on a goroutine of their own, a few batches ahead of Next. After Stop
// that goroutine has ended, so the caller may seek or close the file, and
// Next must not be called again. Reading to the end (Next returning
// io.EOF) stops it as well; a caller that stops reading before must call
// Stop, or the goroutine and its batches (about 1 MiB) stay.
func (r *Reader) Stop() {
	if r.pf != nil {
		r.pf.stop()
	}
	r.coros.close()
}

// Release hands back the body buffers of an exchange this reader
// returned, for later bodies to reuse, and sets its bodies' Data to nil.
// On the worst capture (65,000 exchanges, each answered with a ~4 KB HTML
// page) reading the pages into new buffers was ~190 MB allocated per
// scan. The caller must hold no other reference to the buffers: nothing
// it keeps (events, strings, copies of the exchange) may share their
// bytes. Safe from any goroutine, also while Next runs; a reader nobody
// hands back to allocates as before.
func (r *Reader) Release(ex *model.Exchange) { r.bodies.PutExchange(ex) }

func (r *Reader) skipResponse() func(*model.Request, *model.Response) bool {
	return r.opts.SkipResponse
}

// context hands out a packet's assembler context from a slab of
// ctxSlab: the assembler keeps the ones of out-of-order packets with their
// pages, so each needs its own, and one allocation per packet was a
// tenth of the reader's. A kept one pins at most its slab. The context of
// a packet the assembler delivered at once, which it does not keep, is
// used again (spare).
func (r *Reader) context(ci gopacket.CaptureInfo) *asmContext {
	if c := r.spare; c != nil {
		r.spare = nil
		c.ts, c.frame = ci.Timestamp, ci.InterfaceIndex
		return c
	}
	if len(r.ctxs) == 0 {
		r.ctxs = make([]asmContext, ctxSlab)
	}
	c := &r.ctxs[0]
	r.ctxs = r.ctxs[1:]
	c.ts, c.frame = ci.Timestamp, ci.InterfaceIndex
	return c
}

const ctxSlab = 16

func (r *Reader) crowded() bool { return len(r.live) > r.parkAbove }

// coroutines is the pool of parser coroutines while few connections are
// open. With many open (crowded), parsers park between messages and a new
// one starts for each: the pool took a fifth of cap-wide's CPU off, but
// its scan then peaked 1.3-1.7 MiB higher (four sets of 8 to 12
// interleaved runs, load 4-11; heap sizes alike under GODEBUG=gctrace=1),
// so crowded parsers keep a coroutine of their own each.
func (r *Reader) coroutines() *coPool {
	if r.freshCoroutines || r.crowded() {
		return nil
	}
	return &r.coros
}

// Notes returns the notes gathered so far, ordered by frame.
func (r *Reader) Notes() []model.Note {
	out := slices.Concat(r.notes, r.relay.notes())
	if r.done {
		// The decoder is this goroutine's once reading has ended.
		names := &r.dec.dns
		if len(r.tcpDNS.byAddr) > 0 {
			names = &dnsNames{}
			names.merge(&r.dec.dns)
			names.merge(&r.tcpDNS)
		}
		names.nameNotes(out, r.serverNames(out))
	}
	slices.SortStableFunc(out, func(a, b model.Note) int {
		if d := refFrame(a.Ref) - refFrame(b.Ref); d != 0 {
			return d
		}
		return strings.Compare(string(a.Kind)+a.Message, string(b.Kind)+b.Message)
	})
	return out
}

func refFrame(ref string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(ref, "frame "))
	return n
}

// Next returns the next exchange, io.EOF after the last one.
func (r *Reader) Next() (*model.Exchange, error) {
	for {
		if len(r.held) > 0 {
			top := r.held[0].frame
			if r.done || top < r.watermark || len(r.held) > maxHeld || r.heldBytes > maxHeldBytes {
				h := heapPop(&r.held)
				r.heldBytes -= keptBytes(h.ex)
				if r.relay.copied(h.ex, h.frame) {
					r.bodies.PutExchange(h.ex)
					if h.ex.Response != nil {
						r.headers.Put(h.ex.Request.Headers, h.ex.Response.Headers)
					} else {
						r.headers.Put(h.ex.Request.Headers)
					}
					continue
				}
				h.ex.Index = r.emitted
				r.emitted++
				if es, ok := r.src.(*etlSource); ok && h.ex.Process == "" {
					h.ex.Process = es.process(h.frame)
				}
				return h.ex, nil
			}
			if r.packets-r.lastWM >= watermarkEvery {
				r.watermark = r.computeWatermark()
				r.lastWM = r.packets
				if top < r.watermark {
					continue
				}
			}
		}
		if r.done {
			r.bodies.Close() // no body is read after this
			return nil, io.EOF
		}
		r.step()
	}
}

// computeWatermark is the smallest frame where a request still in progress
// began: held exchanges from before it can go out in order.
//
// A stream's lowest frame changes only while the assembler hands it bytes
// or closes it, so only the streams touched since the last call are asked
// again; the others keep their entry in r.lows. A capture with thousands of
// idle connections (kept until the idle timeout) used to have every one
// asked every 16 packets.
func (r *Reader) computeWatermark() int {
	for _, s := range r.touched {
		s.touched = false
		low := 0
		if !s.closed && s.sess != nil {
			low = s.sess.lowest()
		}
		if low != s.low {
			s.low = low
			s.lowVer++
			if low > 0 {
				heapPush(&r.lows, lowEntry{frame: low, s: s, ver: s.lowVer})
			}
		}
	}
	clear(r.touched)
	r.touched = r.touched[:0]
	// Entries of streams whose frame changed since are dropped when they
	// come to the top; past a bound, all of them at once.
	if len(r.lows) > 2*len(r.live)+64 {
		live := r.lows[:0]
		for _, e := range r.lows {
			if e.ver == e.s.lowVer {
				live = append(live, e)
			}
		}
		clear(r.lows[len(live):])
		r.lows = live
		heapInit(r.lows)
	}
	for len(r.lows) > 0 && r.lows[0].ver != r.lows[0].s.lowVer {
		heapPop(&r.lows)
	}
	low := r.frame + 1
	if len(r.lows) > 0 && r.lows[0].frame < low {
		low = r.lows[0].frame
	}
	if r.quic != nil {
		if q := r.quic.lowest(); q > 0 && q < low {
			low = q
		}
	}
	return low
}

// touch marks s for computeWatermark to ask again.
func (r *Reader) touch(s *tcpStream) {
	if !s.touched {
		s.touched = true
		r.touched = append(r.touched, s)
	}
}

// lowEntry is a stream's lowest frame as last asked; ver tells whether it
// is still current.
type lowEntry struct {
	frame int
	s     *tcpStream
	ver   int
}

type lowHeap []lowEntry

func (h lowHeap) Less(i, j int) bool { return h[i].frame < h[j].frame }

// assemble hands p's segment to the assembler, its payload known to the
// streams as the live packet while it goes.
func (r *Reader) assemble(seg *tcpSegment, ci gopacket.CaptureInfo, p *packet) {
	r.live1 = livePacket{payload: seg.tcp.Payload, ts: p.ts, frame: p.frame}
	ctx := r.context(ci)
	r.asm.AssembleWithContext(seg.netFlow, seg.tcp, ctx)
	if r.live1.delivered {
		// Handed to the stream whole, not queued in pages: the
		// assembler keeps no reference to ctx.
		r.spare = ctx
	}
	r.live1 = livePacket{}
}

// step reads and processes one packet, or finishes at the end of input.
func (r *Reader) step() {
	p, err := r.src.next()
	if err != nil {
		r.finish(err)
		return
	}
	r.frame = p.frame
	r.packets++
	if len(p.data) < p.origLen {
		r.snapped++
	}
	if !p.ts.IsZero() {
		r.lastTime = p.ts
	}
	seg, ok := p.seg, p.segOK
	switch {
	case !p.decoded:
		seg, ok = r.dec.decode(p)
	case ok && seg.tcp == nil:
		seg.tcp = &r.tcp
		ok = tcpAt(p, &r.tcp)
	}
	r.sawDNS = r.sawDNS || p.dns
	if p.quic {
		r.quicDatagram(p)
	}
	if ok {
		ci := gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: p.origLen, InterfaceIndex: p.frame}
		r.snapCut = max(p.origLen-len(p.data), 0)
		r.assemble(&seg, ci, p)
		// A packet refused until holes it acknowledges are filled is
		// given again; it may then acknowledge the next hole (each
		// filled once: holeEnds.dropTo), at most maxHoleEnds+1 times.
		for range maxHoleEnds + 1 {
			if len(r.fills) > 0 {
				r.fillHoles(seg, ci)
			}
			if !r.again {
				break
			}
			r.again = false
			r.assemble(&seg, ci, p)
		}
	}
	if r.packets >= r.nextIdle {
		r.nextIdle = r.packets + flushEvery
		if !r.lastTime.IsZero() {
			r.asm.FlushCloseOlderThan(r.lastTime.Add(-idleTimeout))
			if r.quic != nil {
				r.quic.tr.CloseIdle(r.lastTime.Add(-idleTimeout))
			}
		}
	}
}

// fillHoles hands the assembler stand-in bytes for holes whose data the
// receiver acknowledged, so that what follows them is delivered now
// rather than when the assembler's buffers overflow; the streams report
// the stand-ins as lost bytes.
func (r *Reader) fillHoles(seg tcpSegment, ci gopacket.CaptureInfo) {
	fills := r.fills
	r.fills = nil
	for _, f := range fills {
		// The hole is in the direction opposite to the packet that
		// acknowledged it.
		var hdr [20]byte
		binary.BigEndian.PutUint16(hdr[0:], uint16(seg.tcp.DstPort))
		binary.BigEndian.PutUint16(hdr[2:], uint16(seg.tcp.SrcPort))
		binary.BigEndian.PutUint32(hdr[4:], f.seq)
		hdr[12] = 5 << 4
		t := &layers.TCP{}
		if t.DecodeFromBytes(hdr[:], gopacket.NilDecodeFeedback) != nil {
			continue
		}
		t.Payload = fillBytes[:f.n]
		fci := ci
		fci.InterfaceIndex = fillFrame
		fci.CaptureLength, fci.Length = f.n, f.n
		r.asm.AssembleWithContext(seg.netFlow.Reverse(), t, r.context(fci))
	}
	r.fills = fills[:0]
}

func (r *Reader) finish(err error) {
	// File-level notes go in even past maxNotes: they are few and matter.
	var tail []model.Note
	switch {
	case err == io.EOF:
	case errors.Is(err, errTruncated):
		tail = append(tail, model.Note{Kind: model.NoteTruncated, Ref: r.byteRef(), Message: r.named("capture file ends inside a packet record; the packets before it were read")})
	default:
		tail = append(tail, model.Note{Kind: model.NoteDamaged, Ref: r.byteRef(), Message: r.named(fmt.Sprintf("reading stopped: %v", err))})
	}
	r.Stop() // the file is read; its batches go
	r.asm.FlushAll()
	// Connections the assembler no longer tracked but never completed.
	for s := range r.live {
		s.ReassemblyComplete(nil)
	}
	if r.quic != nil {
		r.quic.tr.Close()
	}
	r.coros.close() // no parser starts after this
	if es, ok := r.src.(*etlSource); ok {
		for _, n := range es.fileNotes() {
			tail = append(tail, model.Note{Kind: n.Kind, Message: r.named(n.Message)})
		}
	}
	for _, n := range r.dec.notes() {
		tail = append(tail, model.Note{Kind: n.Kind, Message: r.named(n.Message)})
	}
	if msg := quicNote(r.dec.fast.quic, r.dec.fast.ends, r.quic); msg != "" {
		tail = append(tail, model.Note{Kind: model.NoteQUIC, Message: r.named(msg)})
	}
	if r.snapped > 0 {
		tail = append(tail, model.Note{Kind: model.NoteTruncated, Message: r.named(fmt.Sprintf("%d packets cut by the capture's snap length; their missing bytes count as lost", r.snapped))})
	}
	if r.ignored > 0 {
		tail = append(tail, model.Note{Kind: model.NoteNotHTTP, Message: r.named(fmt.Sprintf("%d TCP connections carried neither HTTP nor TLS", r.ignored))})
	}
	for _, kind := range sortedKeys(r.dropped) {
		tail = append(tail, model.Note{Kind: model.NoteLimit, Message: r.named(fmt.Sprintf("%d more %q notes not kept", r.dropped[kind], kind))})
	}
	r.notes = append(r.notes, tail...)
	r.done = true
}

func (r *Reader) byteRef() string {
	if r.frame > 0 {
		return fmt.Sprintf("frame %d", r.frame+1)
	}
	return fmt.Sprintf("byte %d", r.src.offset())
}

func (r *Reader) named(msg string) string {
	if r.opts.Name == "" {
		return msg
	}
	return r.opts.Name + ": " + msg
}

// heldExchange orders finished exchanges by request frame, then by the
// order they finished (pipelined requests in one frame).
type heldExchange struct {
	finished
	seq int
}

type exHeap []heldExchange

func (h exHeap) Less(i, j int) bool {
	if h[i].frame != h[j].frame {
		return h[i].frame < h[j].frame
	}
	return h[i].seq < h[j].seq
}

var _ model.Reader = (*Reader)(nil)
