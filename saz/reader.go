package saz

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/model"
)

// Sentinel errors. Every error this package returns wraps one of them or
// io.EOF.
var (
	// ErrFormat: the input is not a zip archive holding SAZ sessions.
	ErrFormat = errors.New("saz: not a SAZ archive")
	// ErrPassword: the archive is encrypted and the password is missing or
	// wrong; the message says which.
	ErrPassword = errors.New("saz: bad password")
	// ErrLimit: the archive exceeds a bound (member count, inflated size).
	ErrLimit = errors.New("saz: limit exceeded")
)

// DefaultMaxMembers bounds the member count: four members per session and
// tens of thousands of sessions fit, a directory of millions does not.
const DefaultMaxMembers = 400_000

// maxMetaBytes bounds one _m.xml; real ones are 1-4 KiB.
const maxMetaBytes = 1 << 20

// Options configure a Reader. The zero value reads an unprotected archive
// with model.DefaultLimits.
type Options struct {
	// Password decrypts ZipCrypto or WinZip AES members.
	Password string
	// Limits bound header sections, kept bodies and, through InflateBytes,
	// the inflated size of each member.
	Limits model.Limits
	// Name names the input in error messages (a file name); optional.
	Name string
	// MaxMembers bounds the number of archive members; 0 means
	// DefaultMaxMembers.
	MaxMembers int
	// ArchiveInflateBytes bounds the bytes inflated from all members
	// together; 0 means 16 times Limits.InflateBytes.
	ArchiveInflateBytes int64
	// SkipBody, when set, is asked for each response body's media type;
	// true reads the body past without keeping or decoding it (see
	// httpwire.Options.SkipBody), which saves copying and decompressing
	// scripts, images and fonts that no analysis reads. The member is still
	// inflated to its end and its CRC checked.
	SkipBody func(mimeType string) bool
	// SkipResponse, when set, is asked for each response once its status
	// line and headers are read (Body.MIMEType set, no data), with the
	// request it answers; true skips its body as SkipBody does. It is also
	// asked for responses without a body, and with a nil response for a
	// session without one, its answer unused: a caller may learn from
	// every request.
	SkipResponse func(req *model.Request, resp *model.Response) bool
}

// Reader yields one model.Exchange per session, in session-number order.
type Reader struct {
	ra          io.ReaderAt
	password    string
	limits      model.Limits
	skipBody    func(mimeType string) bool
	skipResp    func(req *model.Request, resp *model.Response) bool
	maxMembers  int
	inflateLeft int64

	sessions []*session
	next     int
	index    int
	notes    []model.Note
	// tunnels maps a client connection to the authority of the CONNECT
	// tunnel seen on it, so that origin-form requests Fiddler decrypted
	// inside that tunnel get an https URL with the right host.
	tunnels map[string]string
	done    bool

	noteCount  map[model.NoteKind]int
	summarized bool

	// Reused across members, which are parsed one at a time.
	inf inflaters     // for members read on this goroutine
	br  *bufio.Reader // over a member's start
	hr  *bufio.Reader // over a rewritten head and the rest of its member
	// A head's lines as read, where they end, and the head rewritten.
	headBuf  []byte
	headEnds []int
	joinBuf  []byte
	joined   headThenRest
	metaBuf  []byte // a session's _m.xml

	// Sessions inflated ahead, on goroutines of their own (prefetch.go).
	ahead int
	fetch fetcher
}

var _ model.Reader = (*Reader)(nil)

// NewReader opens a SAZ archive of the given size. It fails on input that
// is not a SAZ (ErrFormat), on a missing or wrong password (ErrPassword) and
// on an archive past its member bound (ErrLimit); damage inside sessions is
// reported later, as notes. Next inflates the sessions after the one it
// returns on other goroutines, so ra is read from several goroutines at
// once, as io.ReaderAt allows.
func NewReader(ra io.ReaderAt, size int64, opts Options) (*Reader, error) {
	r, err := newReader(ra, size, opts)
	if err != nil && opts.Name != "" {
		return nil, fmt.Errorf("%s: %w", opts.Name, err)
	}
	return r, err
}

func newReader(ra io.ReaderAt, size int64, opts Options) (*Reader, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: negative size", ErrFormat)
	}
	r := &Reader{
		ra:         ra,
		password:   opts.Password,
		limits:     opts.Limits.WithDefaults(),
		skipBody:   opts.SkipBody,
		skipResp:   opts.SkipResponse,
		maxMembers: opts.MaxMembers,
		tunnels:    make(map[string]string),
		ahead:      fetchAhead,
	}
	if r.maxMembers <= 0 {
		r.maxMembers = DefaultMaxMembers
	}
	r.inflateLeft = opts.ArchiveInflateBytes
	if r.inflateLeft <= 0 {
		r.inflateLeft = 16 * r.limits.InflateBytes
	}
	members, err := r.listMembers(ra, size)
	if err != nil {
		return nil, err
	}
	r.sessions = r.groupSessions(members)
	if len(r.sessions) == 0 {
		if !hasSAZMarker(members) {
			return nil, fmt.Errorf("%w: no raw/N_c.txt session members", ErrFormat)
		}
		r.note(model.NoteEmpty, "", "archive holds no sessions")
	}
	if err := r.checkPassword(members); err != nil {
		return nil, err
	}
	return r, nil
}

// hasSAZMarker reports members only Fiddler puts in an archive, so that an
// empty but genuine SAZ is told apart from some other zip.
func hasSAZMarker(members []*member) bool {
	for _, m := range members {
		if _, _, ok := sessionMember(m.name); ok || m.name == "_index.htm" {
			return true
		}
	}
	return false
}

// checkPassword decrypts the smallest encrypted member whole, so that a
// missing or wrong password is one clear error up front rather than a note
// on every session.
func (r *Reader) checkPassword(members []*member) error {
	var probe *member
	for _, m := range members {
		if !m.encrypted() || strings.HasSuffix(m.name, "/") {
			continue
		}
		if probe == nil || m.compressed < probe.compressed {
			probe = m
		}
	}
	if probe == nil {
		return nil
	}
	if r.password == "" {
		return errMissingPassword
	}
	mr, err := r.open(probe)
	if err == nil {
		_, err = io.Copy(io.Discard, mr)
		if err == nil {
			err = mr.damage
		}
	}
	if errors.Is(err, ErrPassword) {
		return err
	}
	if err != nil {
		r.note(model.NoteCorrupt, probe.name, err.Error())
	}
	return nil
}

// Notes returns the notes gathered so far, in the order they arose.
func (r *Reader) Notes() []model.Note { return r.notes }

// maxNotesPerKind keeps a systematic problem (every session of a large
// capture lacking a response, say) from burying the other notes; the rest
// are counted in one summary note per kind at the end.
const maxNotesPerKind = 50

func (r *Reader) note(kind model.NoteKind, ref, msg string) {
	r.addNote(model.Note{Kind: kind, Ref: ref, Message: msg})
}

// noteErr notes a damaged part; the note names the limit err was caused
// by, if any.
func (r *Reader) noteErr(kind model.NoteKind, ref, msg string, err error) {
	r.addNote(model.Note{Kind: kind, Ref: ref, Message: msg, Limit: model.LimitOf(err)})
}

// limitNote notes content left out at a configurable bound.
func (r *Reader) limitNote(l model.Limit, ref, msg string) {
	r.addNote(model.Note{Kind: model.NoteLimit, Ref: ref, Message: msg, Limit: l})
}

func (r *Reader) addNote(n model.Note) {
	if r.noteCount == nil {
		r.noteCount = make(map[model.NoteKind]int)
	}
	r.noteCount[n.Kind]++
	if r.noteCount[n.Kind] > maxNotesPerKind {
		return
	}
	r.notes = append(r.notes, n)
}

// summarizeNotes adds the count of notes left out, once, at the end.
func (r *Reader) summarizeNotes() {
	if r.summarized {
		return
	}
	r.summarized = true
	kinds := make([]model.NoteKind, 0, len(r.noteCount))
	for k, n := range r.noteCount {
		if n > maxNotesPerKind {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		r.notes = append(r.notes, model.Note{Kind: k, Message: fmt.Sprintf("%d more %q notes not listed", r.noteCount[k]-maxNotesPerKind, k)})
	}
}

// Next returns the next session's exchange, or io.EOF after the last one.
// Sessions that cannot be read are skipped with a note.
func (r *Reader) Next() (*model.Exchange, error) {
	for !r.done && r.next < len(r.sessions) {
		s := r.sessions[r.next]
		if r.ahead > 0 {
			r.fetch.cur = r.take(r.next)
		}
		// A session is read once: its members need not stay in memory.
		r.sessions[r.next] = nil
		r.next++
		ex := r.readSession(s)
		r.release()
		if r.inflateLeft <= 0 && !r.done {
			r.done = true
			r.limitNote(model.LimitArchiveInflate, ref(s), fmt.Sprintf("archive inflation limit reached; %d later sessions not read", len(r.sessions)-r.next))
		}
		if ex != nil {
			ex.Index = r.index
			r.index++
			return ex, nil
		}
	}
	r.abandon()
	r.summarizeNotes()
	return nil, io.EOF
}

// ref names a session in notes, once per session.
func ref(s *session) string {
	if s.ref == "" {
		s.ref = "session " + strconv.Itoa(s.number)
	}
	return s.ref
}

// readSession builds the exchange of one session, or returns nil (with a
// note) when the session holds no readable request.
func (r *Reader) readSession(s *session) *model.Exchange {
	sref := ref(s)
	var md *meta
	if s.meta != nil {
		data, err := r.readAllMember(s.meta, maxMetaBytes)
		if err == nil {
			md, err = parseMeta(data)
		}
		if err != nil {
			r.note(model.NoteBadMetadata, sref, fmt.Sprintf("%s: %v; timers and flags unknown", s.meta.name, err))
			md = nil
		} else if len(md.badTimers) > 0 {
			sort.Strings(md.badTimers)
			r.note(model.NoteBadMetadata, sref, fmt.Sprintf("%s: unreadable timers %s", s.meta.name, strings.Join(md.badTimers, ", ")))
		}
	}
	if s.request == nil {
		r.note(model.NoteNoRequest, sref, "session has no request (raw/N_c.txt); skipped")
		return nil
	}
	ex := &model.Exchange{Ref: sref}
	if md != nil {
		ex.Start = md.timer("ClientBeginRequest")
		if ex.Start.IsZero() {
			ex.Start = md.timer("ClientConnected")
		}
		ex.End = md.timer("ClientDoneResponse")
		if ex.End.IsZero() {
			ex.End = md.timer("ServerDoneResponse")
		}
		ex.Conn = md.conn()
		ex.Process, ex.Page = md.process()
		ex.Comment = md.flag("ui-comments")
	}

	req, err := r.readRequest(s, md, ex.Conn)
	if err != nil {
		r.noteErr(model.NoteBadRequest, sref, err.Error(), err)
		return nil
	}
	ex.Request = *req
	if req.Method == "CONNECT" || md.has(bitIsBlindTunnel) {
		ex.Tunnel = true
		if ex.Conn != "" && req.Method == "CONNECT" {
			r.tunnels[ex.Conn] = req.URL
		}
		if md.has(bitIsBlindTunnel) {
			// Fiddler passed the TLS bytes through unread: whatever
			// sign-in traffic went this way is not in the archive.
			r.addNote(model.Note{Kind: model.NoteTLSNotDecrypted, Ref: sref, Host: tunnelHost(req.URL),
				Message: fmt.Sprintf("Fiddler did not decrypt the tunnel to %s (HTTPS decryption off, or the host excluded); the requests inside it are not in the archive", req.URL)})
		}
	}
	ex.Response = r.readResponse(s, md, &ex.Request)
	r.classify(s, md, ex)
	return ex
}

// scheme decides how to make an origin-form request target absolute.
func (r *Reader) scheme(md *meta, conn string) (scheme, tunnelHost string) {
	tunnelHost, inTunnel := r.tunnels[conn]
	if conn == "" {
		inTunnel = false
	}
	if md.has(bitIsHTTPS) || inTunnel {
		return "https", tunnelHost
	}
	return "http", ""
}

func (r *Reader) readRequest(s *session, md *meta, conn string) (*model.Request, error) {
	mr, err := r.openFetched(s.request)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.request.name, err)
	}
	scheme, tunnelHost := r.scheme(md, conn)
	head, err := r.readHead(mr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.request.name, err)
	}
	if head.scheme != "" {
		scheme = head.scheme
	}
	opts := httpwire.Options{Limits: r.limits, Scheme: scheme, Warn: r.warner(ref(s), s.request.name)}
	req, err := opts.ReadRequest(head.reader)
	if err != nil && mr.damage != nil {
		return nil, fmt.Errorf("%s: %w", s.request.name, mr.damage)
	}
	if err == io.EOF {
		return nil, fmt.Errorf("%s: empty request", s.request.name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.request.name, err)
	}
	if head.proto != "" {
		req.Proto = head.proto
	}
	if head.cut {
		req.Body.Truncated = true
	}
	if strings.HasPrefix(req.URL, "/") && tunnelHost != "" {
		// Decrypted inside a tunnel but without a Host header: the CONNECT
		// target names the host.
		host := strings.TrimSuffix(tunnelHost, ":443")
		req.URL = "https://" + host + req.URL
	}
	if r.noteLimit(mr, ref(s), s.request.name) {
		req.Body.Truncated = true
	}
	r.verify(mr, ref(s), s.request.name)
	return req, nil
}

func (r *Reader) readResponse(s *session, md *meta, req *model.Request) *model.Response {
	method := req.Method
	sref := ref(s)
	if s.response == nil {
		r.note(model.NoteNoResponse, sref, "no response was captured"+r.metaSays(md))
		if r.skipResp != nil {
			r.skipResp(req, nil) // a caller may learn from the request
		}
		return nil
	}
	mr, err := r.openFetched(s.response)
	if err != nil {
		r.noteErr(model.NoteBadResponse, sref, fmt.Sprintf("%s: %v", s.response.name, err), err)
		return nil
	}
	head, err := r.readHead(mr)
	if err != nil {
		r.noteErr(model.NoteBadResponse, sref, fmt.Sprintf("%s: %v", s.response.name, err), err)
		return nil
	}
	opts := httpwire.Options{Limits: r.limits, Warn: r.warner(sref, s.response.name), SkipBody: r.skipBody}
	if r.skipResp != nil {
		opts.SkipResponse = func(resp *model.Response) bool { return r.skipResp(req, resp) }
	}
	resp, err := opts.ReadResponse(head.reader, method)
	if err != nil && mr.damage != nil {
		r.note(model.NoteBadResponse, sref, fmt.Sprintf("%s: %v", s.response.name, mr.damage))
		return nil
	}
	if err == io.EOF {
		r.note(model.NoteNoResponse, sref, "response file is empty"+r.metaSays(md))
		return nil
	}
	if err != nil {
		r.noteErr(model.NoteBadResponse, sref, fmt.Sprintf("%s: %v", s.response.name, err), err)
		return nil
	}
	if head.proto != "" {
		resp.Proto = head.proto
	}
	if r.noteLimit(mr, sref, s.response.name) {
		resp.Body.Truncated = true
	}
	r.verify(mr, sref, s.response.name)
	if md.has(bitResponseGeneratedByFiddler) && method != "CONNECT" {
		// Fiddler answered itself (a 502 for a failed connection, a
		// breakpoint, an AutoResponder rule): the server never did.
		r.note(model.NoteNoResponse, sref, fmt.Sprintf("response %d was generated by Fiddler, not received from the server%s", resp.Status, r.metaSays(md)))
		return nil
	}
	if md.has(bitResponseBodyDropped) {
		resp.Body.Truncated = true
		r.note(model.NoteBodyDropped, sref, "Fiddler dropped the response body while capturing")
	}
	return resp
}

// metaSays summarizes what the metadata tells about a missing response.
func (r *Reader) metaSays(md *meta) string {
	if md == nil {
		return ""
	}
	var parts []string
	if md.timer("ServerBeginResponse").IsZero() {
		parts = append(parts, "the server never began a response")
	}
	if v := md.flag("x-failsession-when"); v != "" {
		parts = append(parts, "the session failed while "+v)
	}
	if md.aborted || md.flag("x-aborted-when") != "" {
		parts = append(parts, "aborted")
	}
	if v := md.flag("x-hostip"); v == "" {
		parts = append(parts, "no server address was resolved")
	}
	if len(parts) == 0 {
		return ""
	}
	return " (metadata: " + strings.Join(parts, "; ") + ")"
}

// classify marks sessions whose content is not HTTP request/response data
// the rules can use: WebSocket and gRPC streams.
func (r *Reader) classify(s *session, md *meta, ex *model.Exchange) {
	sref := ref(s)
	ws := s.ws != nil || md.has(bitIsWebSocketTunnel) ||
		ex.Response != nil && ex.Response.Status == 101 && strings.EqualFold(ex.Response.Headers.Get("Upgrade"), "websocket")
	if ws {
		ex.Tunnel = true
		r.note(model.NoteWebSocket, sref, "WebSocket session: the upgrade is kept, its messages are skipped")
		return
	}
	ct := strings.ToLower(ex.Request.Headers.Get("Content-Type"))
	switch {
	case strings.HasPrefix(ct, "application/grpc") || md.has(bitIsGRPCTunnel):
		ex.Tunnel = true
		r.note(model.NoteGRPC, sref, "gRPC session: kept as a tunnel, its messages are skipped")
	case md.has(bitIsRPCTunnel):
		ex.Tunnel = true
		r.note(model.NoteRPC, sref, "RPC-over-HTTP tunnel: kept as a tunnel, its content is skipped")
	}
}

func (r *Reader) warner(sref, name string) func(string) {
	return func(msg string) { r.note(model.NoteDamaged, sref, name+": "+msg) }
}

// verifyTail bounds how much of a member beyond its parsed message is read
// to reach the end, where the CRC and AES authentication are checked.
const verifyTail = 1 << 20

// verify reads the rest of a member (Fiddler's text after a CONNECT, bytes
// past Content-Length) so that its checksum is checked, and notes damage.
// The parsed message is kept: the damage may lie anywhere in it.
func (r *Reader) verify(mr *memberReader, sref, name string) {
	if !mr.complete && !mr.hitMember && !mr.hitArchive && mr.damage == nil {
		io.CopyN(io.Discard, mr, verifyTail) // never fails; damage is kept in mr
	}
	if mr.damage != nil {
		r.note(model.NoteCorrupt, sref, fmt.Sprintf("%s: %v", name, mr.damage))
	}
}

// noteLimit notes a member cut by an inflation bound and reports whether it
// was.
func (r *Reader) noteLimit(mr *memberReader, sref, name string) bool {
	switch {
	case mr.hitMember:
		r.limitNote(model.LimitInflate, sref, fmt.Sprintf("%s inflates past the %d-byte member limit; the rest is not read", name, r.limits.InflateBytes))
	case mr.hitArchive:
		r.limitNote(model.LimitArchiveInflate, sref, fmt.Sprintf("%s: archive inflation limit reached", name))
	default:
		return false
	}
	return true
}

// tunnelHost is the host a CONNECT names ("login.example.com:443", with or
// without a scheme), without its port.
func tunnelHost(target string) string {
	if i := strings.Index(target, "://"); i >= 0 {
		target = target[i+3:]
	}
	if i := strings.IndexAny(target, "/?#"); i >= 0 {
		target = target[:i]
	}
	if h, _, err := net.SplitHostPort(target); err == nil {
		return h
	}
	return target
}
