// Package httpwire parses HTTP/1.x messages from their wire form into
// model.Request and model.Response, keeping header order and name case
// (net/http canonicalizes names and loses order, which traces must keep).
//
// It serves the SAZ reader (one whole message per file) and the pcap reader
// (messages one after another on a reassembled TCP stream).
//
// Bodies: chunked framing is removed, then the Content-Encoding is undone.
// Body.Size is the message body length after removing chunked framing and
// before content decoding (what Content-Length would say); Body.Data holds the
// content-decoded bytes, at most Limits.BodyBytes of them, and Body.Truncated
// tells when Data holds less than the whole decoded body.
//
// Errors wrap ErrMalformed and say what was wrong and on which line, never
// the raw value of a header (a Cookie or Authorization value is a secret) nor
// the request target (a URL may carry an authorization code).
package httpwire

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/traceaudit/traceaudit/internal/bodypool"
	"github.com/traceaudit/traceaudit/model"
)

// ErrMalformed is wrapped by every error about a message that is not valid
// HTTP/1.x.
var ErrMalformed = errors.New("httpwire: malformed message")

// Options tune reading. The zero value reads with model.DefaultLimits and the
// "http" scheme.
type Options struct {
	Limits model.Limits
	// Scheme makes origin-form request targets absolute: "http" when empty.
	// The pcap reader passes "https" for decrypted TLS, the SAZ reader what
	// the session says.
	Scheme string
	// Warn, when set, receives recoverable problems: a body cut short, an
	// undecodable Content-Encoding. Messages never carry header values.
	Warn func(msg string)
	// SkipBody, when set, is asked for each response body's media type;
	// true reads the body past (framing undone, bytes counted in Size)
	// without keeping or decoding it: Data stays empty and Truncated is
	// what it would be for the body kept undecoded (cut, or longer than
	// Limits.BodyBytes; a decoded one may also be cut by its limit or its
	// compressed stream, which is not looked at). It saves
	// decoding images, scripts and fonts nothing reads. Warnings about the
	// framing stay, and so does the one about an unknown coding; a corrupt
	// compressed stream is not noticed.
	SkipBody func(mimeType string) bool
	// SkipResponse, when set, is asked once a final response's status line
	// and header section are read (Body.MIMEType is set, Body.Data is
	// not); true skips its body as SkipBody does. The caller knows the
	// request it answers (the OAuth extractor's decision needs it). It is
	// asked for responses without a body too (HEAD, 204, 304), its answer
	// unused, so that a caller learning from the trace sees every one.
	SkipResponse func(resp *model.Response) bool
	// Discard, when set, reads past up to n bytes of what the
	// bufio.Reader given to ReadResponse reads from, without copying
	// them, as a Read of the same length would (the bytes it passed, or
	// 0 and the error Read would return). Skipped bodies go through it
	// once that reader's buffer is empty, instead of being copied out to
	// be thrown away.
	Discard func(n int64) (int64, error)
	// Bodies, when set, gives the buffers kept bodies are read into: the
	// caller hands a message's buffers back to it once nothing refers to
	// them (pcap.Reader.Release), and later bodies reuse them.
	Bodies *bodypool.Pool
	// Headers, when set, gives the lists header sections are read into,
	// on the same terms (pcap.Reader.ReleaseHeaders).
	Headers *bodypool.HeaderPool
}

func (o Options) warnf(format string, args ...any) {
	if o.Warn != nil {
		o.Warn(fmt.Sprintf(format, args...))
	}
}

// CutError is what Options.ReadRequest and Options.ReadResponseHead return
// when the reader under their bufio.Reader fails (an error other than
// io.EOF) after a whole request or status line, inside the header section.
// For a request, Request holds the method, the URL (made absolute as
// ReadRequest does, when the Host field was read whole) and the version;
// for a response, Response holds the version, the status and the reason
// (a final response: an interim 1xx one cut gives no CutError). Their
// Headers are the fields whose lines were read whole before the failure,
// nothing of the line it cut. The body is not known: Body is zero. Err is
// the reader's error, which Unwrap returns.
type CutError struct {
	Request  *model.Request
	Response *model.Response
	Err      error
}

func (e *CutError) Error() string {
	if e.Response != nil {
		return fmt.Sprintf("response header section cut after %d whole field lines: %v", len(e.Response.Headers), e.Err)
	}
	return fmt.Sprintf("request header section cut after %d whole field lines: %v", len(e.Request.Headers), e.Err)
}

func (e *CutError) Unwrap() error { return e.Err }

// ReadRequest reads one request with the "http" scheme. See Options.ReadRequest.
func ReadRequest(br *bufio.Reader, l model.Limits) (*model.Request, error) {
	return Options{Limits: l}.ReadRequest(br)
}

// ReadResponse reads one response to a request with the given method. See
// Options.ReadResponse.
func ReadResponse(br *bufio.Reader, requestMethod string, l model.Limits) (*model.Response, error) {
	return Options{Limits: l}.ReadResponse(br, requestMethod)
}

// ReadRequest reads one request: request line (origin-, absolute-,
// authority- or asterisk-form), header section and body (chunked with
// trailers, Content-Length, or none). It returns io.EOF when br holds no more
// bytes before the request line, and io.ErrUnexpectedEOF (wrapped) when the
// header section is cut short. A body cut short is returned with
// Body.Truncated set and a warning.
//
// The URL is made absolute from the Host header for origin-form targets;
// CONNECT's authority-form target is kept as "host:port", as browsers' HAR
// exports show it, and the asterisk-form target of "OPTIONS *" as "*".
func (o Options) ReadRequest(br *bufio.Reader) (*model.Request, error) {
	l := o.Limits.WithDefaults()
	budget := l.HeaderBytes
	line, err := readStartLine(br, &budget)
	if err != nil {
		return nil, err
	}
	method, target, proto, err := parseRequestLine(line)
	if err != nil {
		return nil, err
	}
	// The method and version would otherwise be substrings of the request
	// line and keep all of it alive with the exchange (a capture's kept
	// exchanges spent a tenth of their memory on request lines).
	req := &model.Request{Method: own(method), Proto: own(proto)}
	req.Headers, err = readHeaders(br, &budget, l.HeaderCount, o)
	if err != nil {
		// An HTTP/0.9 request has no header section; some clients still
		// send one after a version-less line.
		if proto != "HTTP/0.9" || !errors.Is(err, io.ErrUnexpectedEOF) {
			if errors.Is(err, ErrMalformed) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, err
			}
			// br's reader failed inside the header section (bytes lost
			// in a capture): the request line and the fields read whole
			// before it are what is known of the request.
			if len(req.Headers) == 0 {
				req.Headers = nil
			}
			scheme := cmp.Or(o.Scheme, "http")
			req.URL = requestURL(method, target, scheme, field(req.Headers, "Host"))
			return nil, &CutError{Request: req, Err: err}
		}
		req.Headers = nil
	}
	scheme := o.Scheme
	if scheme == "" {
		scheme = "http"
	}
	req.URL = requestURL(method, target, scheme, field(req.Headers, "Host"))

	te, cl, err := framing(req.Headers)
	if err != nil {
		o.warnf("request body ignored: %v", err)
		err = nil
	}
	switch {
	case te:
		req.Body, err = readChunked(br, &req.Headers, o, l, false)
	case cl >= 0:
		req.Body, err = readFixed(br, cl, req.Headers, o, l, false)
	default:
		req.Body = model.Body{Size: 0}
	}
	if err != nil {
		return nil, err
	}
	req.Body.MIMEType = mimeType(field(req.Headers, "Content-Type"))
	return req, nil
}

// ReadResponse reads one final response to a request with the given method
// ("" when unknown). Interim 1xx responses (100 Continue, 103 Early Hints)
// before it are skipped; 101 Switching Protocols is final and has no body,
// and so has a 2xx answer to CONNECT: the caller stops reading HTTP after
// either. HEAD, 204 and 304 responses have no body; a response without
// Content-Length or chunked framing runs to the end of br.
func (o Options) ReadResponse(br *bufio.Reader, requestMethod string) (*model.Response, error) {
	resp, body, err := o.ReadResponseHead(br, requestMethod)
	if err != nil || !body.On() {
		return resp, err
	}
	if resp.Body, err = body.Finish(br); err != nil {
		return nil, err
	}
	return resp, nil
}

// ReadResponseHead is ReadResponse up to the body: it reads the final
// response's start line and header section and returns what reads its
// body (Body.On false when it has none: the response is then whole).
// The pcap reader lets a Content-Length body's bytes arrive without a
// parser waiting for them (see BodyReader.Write).
func (o Options) ReadResponseHead(br *bufio.Reader, requestMethod string) (*model.Response, BodyReader, error) {
	l := o.Limits.WithDefaults()
	for {
		budget := l.HeaderBytes
		line, err := readStartLine(br, &budget)
		if err != nil {
			return nil, BodyReader{}, err
		}
		resp, err := parseStatusLine(line)
		if err != nil {
			return nil, BodyReader{}, err
		}
		resp.Headers, err = readHeaders(br, &budget, l.HeaderCount, o)
		if err != nil {
			if errors.Is(err, ErrMalformed) || errors.Is(err, io.ErrUnexpectedEOF) || resp.Status >= 100 && resp.Status < 200 && resp.Status != 101 {
				return nil, BodyReader{}, err
			}
			// br's reader failed inside the header section (bytes lost
			// in a capture): the status line and the fields read whole
			// before it are what is known of the response.
			if len(resp.Headers) == 0 {
				resp.Headers = nil
			}
			return nil, BodyReader{}, &CutError{Response: resp, Err: err}
		}
		if resp.Status >= 100 && resp.Status < 200 && resp.Status != 101 {
			continue
		}
		resp.Body.MIMEType = mimeType(field(resp.Headers, "Content-Type"))
		if !responseHasBody(requestMethod, resp.Status) {
			if o.SkipResponse != nil {
				o.SkipResponse(resp)
			}
			resp.Body.Size = 0
			return resp, BodyReader{}, nil
		}
		te, cl, err := framing(resp.Headers)
		if err != nil {
			o.warnf("response body read to the end of the stream: %v", err)
		}
		skip := o.SkipBody != nil && o.SkipBody(resp.Body.MIMEType) || o.SkipResponse != nil && o.SkipResponse(resp)
		b := BodyReader{h: &resp.Headers, o: o, l: l, skip: skip, kind: bodyToEOF}
		switch {
		case te:
			b.kind = bodyChunked
		case cl >= 0:
			b.kind, b.n, b.left = bodyFixed, cl, cl
		}
		return resp, b, nil
	}
}

const (
	bodyNone = iota
	bodyChunked
	bodyFixed
	bodyToEOF
)

// BodyReader reads the body of a message whose header section was read
// (ReadResponseHead).
type BodyReader struct {
	kind int
	h    *model.Headers
	o    Options
	l    model.Limits
	skip bool
	// A Content-Length body: its length, the bytes still to come, and
	// what was kept of those taken so far (rbOK once made). Held here
	// rather than behind a pointer, which would cost an allocation per
	// body.
	n, left int64
	rb      rawBody
	rbOK    bool
	// A chunked body: inChunk when Read paused before a chunk's data
	// (left is then what is still to come of it); budget is what is
	// left of the header size limit for its chunk-size lines and
	// trailers (set once started).
	inChunk bool
	started bool
	budget  int64
}

// On tells that the message has a body to read.
func (b *BodyReader) On() bool { return b.kind != bodyNone }

// Need is how many more bytes a Content-Length body takes, or the chunk
// a chunked body's Read paused before; 0 otherwise: those bytes are only
// read by Finish and Read.
func (b *BodyReader) Need() int64 {
	if b.kind != bodyFixed && !b.inChunk {
		return 0
	}
	return b.left
}

func (b *BodyReader) raw() *rawBody {
	if !b.rbOK {
		b.rb, b.rbOK = makeRawBody(b.l, b.skip, b.o), true
	}
	return &b.rb
}

// Write takes the next bytes of a Content-Length body, or of the chunk a
// chunked body paused before, that arrived without a reader: at most
// Need of them, as Finish would have read them (the same bytes kept, the
// same buffers). It returns how many it took.
func (b *BodyReader) Write(p []byte) int {
	k := int(min(int64(len(p)), b.Need()))
	if k == 0 {
		return 0
	}
	rb := b.raw()
	rb.take(p[:k], b.left)
	b.left -= int64(k)
	return k
}

// Finish reads the rest of the body from br and returns it, as
// ReadResponse would have.
func (b *BodyReader) Finish(br *bufio.Reader) (model.Body, error) {
	body, _, err := b.Read(br, nil)
	return body, err
}

// Read is Finish, but a chunked body stops before a chunk's data when
// pause, asked with the chunk's size, says so: paused is then true, Need
// tells what is still to come of the chunk, and Write and a later Read or
// Finish go on from there.
func (b *BodyReader) Read(br *bufio.Reader, pause func(size int64) bool) (body model.Body, paused bool, err error) {
	switch b.kind {
	case bodyChunked:
		if body, paused, err = b.chunked(br, pause); paused {
			return model.Body{}, true, nil
		}
	case bodyFixed:
		rb := b.raw()
		got := b.n - b.left + rb.readN(br, b.left)
		b.left = 0
		if got < b.n {
			b.o.warnf("body cut short: %d of %d bytes", got, b.n)
		}
		body = rb.finish(contentEncoding(*b.h), got < b.n, b.o, b.l)
	default:
		body, err = readToEOF(br, *b.h, b.o, b.l, b.skip)
	}
	if err != nil {
		return model.Body{}, false, err
	}
	body.MIMEType = mimeType(field(*b.h, "Content-Type"))
	return body, false, nil
}

func responseHasBody(method string, status int) bool {
	switch {
	case method == "HEAD":
		return false
	case status >= 100 && status < 200, status == 204, status == 304:
		return false
	case method == "CONNECT" && status >= 200 && status < 300:
		return false
	}
	return true
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// readLine reads one line without its CRLF (or bare LF), charging its length
// to budget. The line is br's own buffer when it fits in it, so it is valid
// only until the next read from br: callers copy what they keep (one copy
// per header line, where there were two).
func readLine(br *bufio.Reader, budget *int64) ([]byte, error) {
	var buf []byte
	for {
		frag, err := br.ReadSlice('\n')
		*budget -= int64(len(frag))
		if *budget < 0 {
			return nil, model.AtLimit(model.LimitHeaderBytes, malformed("header section exceeds the header size limit"))
		}
		if err == bufio.ErrBufferFull {
			buf = append(buf, frag...)
			continue
		}
		if err != nil {
			if err == io.EOF {
				if len(buf)+len(frag) == 0 {
					return nil, io.EOF
				}
				return nil, fmt.Errorf("%w: message cut short in its header section: %w", ErrMalformed, io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		if buf != nil {
			frag = append(buf, frag...)
		}
		frag = frag[:len(frag)-1]
		if n := len(frag); n > 0 && frag[n-1] == '\r' {
			frag = frag[:n-1]
		}
		return frag, nil
	}
}

// readStartLine skips the empty lines RFC 9112 section 2.2 lets a receiver
// ignore before a start line and returns the start line.
func readStartLine(br *bufio.Reader, budget *int64) (string, error) {
	for range 16 {
		line, err := readLine(br, budget)
		if err != nil {
			if err == io.EOF {
				return "", io.EOF
			}
			return "", err
		}
		if len(line) > 0 {
			return string(line), nil
		}
	}
	return "", malformed("too many empty lines before the start line")
}

func isTokenChar(c byte) bool {
	return c < 128 && tokenMask[c>>6]&(1<<(c&63)) != 0
}

// tokenMask has bit c set for each byte c of a token (RFC 9110 section
// 5.6.2): letters, digits and !#$%&'*+-.^_`|~. Every header line's name is
// checked byte by byte; looking the punctuation up in a string took a
// third of that.
var tokenMask = [2]uint64{0x03ff6cfa00000000, 0x57ffffffc7fffffe}

// validToken is ValidMethod of bytes.
func validToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isTokenChar(c) {
			return false
		}
	}
	return true
}

// ValidMethod reports whether m is an HTTP token, as a method must be.
func ValidMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if !isTokenChar(m[i]) {
			return false
		}
	}
	return true
}

func validProto(p string) bool {
	return len(p) == 8 && strings.HasPrefix(p, "HTTP/") && p[5] >= '0' && p[5] <= '9' && p[6] == '.' && p[7] >= '0' && p[7] <= '9'
}

// knownMethods are the methods accepted on a request line without a
// target, as Wireshark does ("OPTIONS" alone).
var knownMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "OPTIONS": true,
	"TRACE": true, "CONNECT": true, "PATCH": true,
}

// parseRequestLine splits "METHOD SP target SP HTTP/x.y". It is as lenient
// as Wireshark and Zeek with real-world oddities: a missing version
// ("GET /path", HTTP/0.9 style), a broken one ("HTTP/1."), a missing target
// ("OPTIONS HTTP/1.1") or a known method alone.
func parseRequestLine(line string) (method, target, proto string, err error) {
	method, rest, ok := strings.Cut(line, " ")
	if !ValidMethod(method) || !ok && !knownMethods[method] {
		return "", "", "", malformed("request line does not start with a method")
	}
	rest = strings.Trim(rest, " ")
	if strings.ContainsAny(rest, "\x00\r\n") {
		return "", "", "", malformed("request line has an invalid target")
	}
	i := strings.LastIndexByte(rest, ' ')
	if i < 0 {
		if strings.HasPrefix(rest, "HTTP/") {
			return method, "", rest, nil
		}
		return method, rest, "HTTP/0.9", nil
	}
	proto = rest[i+1:]
	if !strings.HasPrefix(proto, "HTTP/") {
		return "", "", "", malformed("request line has no valid protocol version")
	}
	// A target with spaces ("CONNECT host:25 / HTTP/1.0") ends at the
	// first one, as Wireshark reads it.
	target, _, _ = strings.Cut(rest[:i], " ")
	return method, target, proto, nil
}

func requestURL(method, target, scheme, host string) string {
	switch {
	case method == "CONNECT" && !strings.HasPrefix(target, "/"):
		return target
	case strings.HasPrefix(target, "/"):
		if host == "" {
			return target
		}
		return scheme + "://" + host + target
	}
	// absolute-form, as a proxy receives it; the scheme is case-insensitive.
	if scheme, rest, ok := strings.Cut(target, "://"); ok {
		return strings.ToLower(scheme) + "://" + rest
	}
	return target
}

func parseStatusLine(line string) (*model.Response, error) {
	proto, rest, _ := strings.Cut(line, " ")
	if !validProto(proto) {
		return nil, malformed("status line has no valid protocol version")
	}
	rest = strings.TrimLeft(rest, " ")
	code, text, _ := strings.Cut(rest, " ")
	if len(code) != 3 {
		return nil, malformed("status line has no three-digit status code")
	}
	status, err := strconv.Atoi(code)
	if err != nil || status < 100 {
		return nil, malformed("status line has no three-digit status code")
	}
	return &model.Response{Status: status, StatusText: own(text), Proto: own(proto)}, nil
}

// own returns s detached from the line it was cut from: a shared constant
// for the methods, versions and reason phrases most messages carry, a
// fresh copy otherwise.
func own(s string) string {
	switch s {
	case "GET":
		return "GET"
	case "POST":
		return "POST"
	case "HTTP/1.1":
		return "HTTP/1.1"
	case "HTTP/1.0":
		return "HTTP/1.0"
	case "OK":
		return "OK"
	case "Found":
		return "Found"
	case "HEAD":
		return "HEAD"
	case "OPTIONS":
		return "OPTIONS"
	case "Not Modified":
		return "Not Modified"
	case "No Content":
		return "No Content"
	}
	return strings.Clone(s)
}

// readHeaders reads header fields up to the empty line. Obsolete line
// folding is joined with a space as RFC 9112 section 5.2 allows.
func readHeaders(br *bufio.Reader, budget *int64, maxCount int, o Options) (model.Headers, error) {
	// Room for a typical header section at once rather than growing from one.
	h := o.Headers.Get(8)
	for n := 1; ; n++ {
		line, err := readLine(br, budget)
		if err == io.EOF {
			return nil, fmt.Errorf("%w: message cut short in its header section: %w", ErrMalformed, io.ErrUnexpectedEOF)
		}
		if err != nil {
			if errors.Is(err, ErrMalformed) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, err
			}
			// The reader failed: the fields read whole so far go with
			// the error (ReadRequest's CutError).
			return h, err
		}
		if len(line) == 0 {
			if len(h) == 0 {
				return nil, nil
			}
			return h, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(h) == 0 {
				o.warnf("header line %d continues no field; skipped", n)
				continue
			}
			last := &h[len(h)-1]
			last.Value = strings.TrimRight(last.Value+" "+strings.TrimSpace(string(line)), " \t")
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 || !validToken(line[:colon]) { // a field name is a token
			// Old clients send such lines ("Mozilla 4.0 (compatible...)");
			// Wireshark and Zeek read past them, and so do we.
			o.warnf("header line %d is not a field; skipped", n)
			continue
		}
		if len(h) >= maxCount {
			return nil, model.AtLimit(model.LimitHeaders, malformed("more than %d header fields", maxCount))
		}
		// Name and value share one copy of the line.
		field := string(line)
		h = append(h, model.Header{Name: field[:colon], Value: trimOWS(field[colon+1:])})
	}
}

// trimOWS is strings.Trim(s, " \t"): the optional whitespace around a
// field value (RFC 9110 section 5.6.3). strings.Trim builds its byte set
// at each call: ~0.6 ms of the ~30 ms the goroutine that reassembles and
// parses a customer-like capture takes, the one that bounds the scan.
func trimOWS(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

// fieldIs is strings.EqualFold(name, want) for a field name readHeaders
// kept, a token, and an ASCII want: tokens are ASCII, so a name of
// another length is another name (EqualFold folds a few non-ASCII letters,
// such as the Kelvin sign, onto ASCII ones, which a token never holds).
// The header section of each message was looked through four to six
// times with EqualFold, a call per field: ~0.5 ms of the ~30 the goroutine
// that bounds a capture scan takes.
func fieldIs(name, want string) bool {
	return len(name) == len(want) && strings.EqualFold(name, want)
}

// field is h.Get(name) for a header section read by readHeaders (see
// fieldIs).
func field(h model.Headers, name string) string {
	for _, f := range h {
		if fieldIs(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// contentEncoding is the Content-Encoding of a header section read by
// readHeaders, its fields joined with commas (see fieldIs): looked up for
// every body, with strings.EqualFold on every field's name.
func contentEncoding(h model.Headers) string {
	enc, n := "", 0
	for _, f := range h {
		if fieldIs(f.Name, "Content-Encoding") {
			if n == 0 {
				enc = f.Value
			} else {
				enc += "," + f.Value
			}
			n++
		}
	}
	return enc
}

// badLength marks a Content-Length that cannot be trusted: a request then
// has no body and a response runs to the end of the stream.
const badLength = -2

// framing tells how a body is delimited: chunked, or cl >= 0 bytes, or
// neither (cl == -1), or an unusable Content-Length (cl == badLength).
func framing(h model.Headers) (chunked bool, cl int64, err error) {
	for _, f := range h {
		if !fieldIs(f.Name, "Transfer-Encoding") {
			continue
		}
		for c := range strings.SplitSeq(f.Value, ",") {
			// Chunked wins over Content-Length (RFC 9112 section 6.3).
			// RFC 9112 wants it last; like Wireshark, we take it
			// anywhere ("chunked, identity"), or the rest of the
			// stream would be misread.
			if strings.EqualFold(strings.TrimSpace(c), "chunked") {
				return true, -1, nil
			}
		}
	}
	cl = -1
	for _, f := range h {
		if !fieldIs(f.Name, "Content-Length") {
			continue
		}
		for part := range strings.SplitSeq(f.Value, ",") {
			part = strings.TrimSpace(part)
			n, perr := strconv.ParseInt(part, 10, 64)
			if perr != nil || n < 0 || part[0] == '+' {
				return false, badLength, malformed("invalid Content-Length")
			}
			if cl >= 0 && n != cl {
				return false, badLength, malformed("conflicting Content-Length fields")
			}
			cl = n
		}
	}
	return false, cl, nil
}

func mimeType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// rawBody collects the first cap bytes of a body and counts all of them.
// A skipped body keeps none (cap 0) and is not decoded.
type rawBody struct {
	data []byte
	size int64
	cap  int64
	skip bool
	// discard reads past bytes under a bufio.Reader (Options.Discard),
	// for a skipped body.
	discard func(int64) (int64, error)
	pool    *bodypool.Pool // Options.Bodies
}

func newRawBody(l model.Limits, skip bool, o Options) *rawBody {
	rb := makeRawBody(l, skip, o)
	return &rb
}

func makeRawBody(l model.Limits, skip bool, o Options) rawBody {
	if skip {
		return rawBody{skip: true, discard: o.Discard}
	}
	return rawBody{cap: l.BodyBytes, pool: o.Bodies}
}

// grow makes room for n more bytes: the first buffer comes from the pool
// when there is one.
func (b *rawBody) grow(n int) {
	if b.data == nil && b.pool != nil {
		b.data = b.pool.Get(n)
		return
	}
	b.data = slices.Grow(b.data, n)
}

// pass reads past up to n bytes of br without copying them (n < 0: to the
// end): its buffered bytes, then through discard, as io.CopyN or io.Copy
// into io.Discard would; it returns the bytes passed and the error that
// stopped it (io.EOF at the end of the stream).
func pass(br *bufio.Reader, n int64, discard func(int64) (int64, error)) (int64, error) {
	var done int64
	for n < 0 || done < n {
		want := n - done
		if n < 0 {
			want = 1 << 62
		}
		if k := br.Buffered(); k > 0 {
			d, _ := br.Discard(int(min(int64(k), want)))
			done += int64(d)
			continue
		}
		d, err := discard(want)
		done += d
		if err != nil {
			return done, err
		}
		if d == 0 {
			return done, io.ErrNoProgress
		}
	}
	return done, nil
}

func (b *rawBody) Write(p []byte) (int, error) {
	b.size += int64(len(p))
	if room := b.cap - int64(len(b.data)); room > 0 {
		keep := p
		if int64(len(keep)) > room {
			keep = keep[:room]
		}
		b.data = append(b.data, keep...)
	}
	return len(p), nil
}

// ReadFrom reads r to its end into the body, keeping the first cap bytes;
// it spares io.Copy its 32 KiB buffer per body.
func (b *rawBody) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	var scratch []byte
	for {
		var n int
		var err error
		if room := b.cap - int64(len(b.data)); room > 0 {
			if len(b.data) == cap(b.data) {
				b.grow(int(min(room, int64(max(512, len(b.data))))))
			}
			p := b.data[len(b.data):cap(b.data)]
			if int64(len(p)) > room {
				p = p[:room]
			}
			n, err = r.Read(p)
			b.data = b.data[:len(b.data)+n]
		} else {
			if scratch == nil {
				scratch = make([]byte, 4096)
			}
			n, err = r.Read(scratch)
		}
		total += int64(n)
		b.size += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// take adds p, the next bytes of a body of which left (at least len(p))
// are still to come, as readN would have read them: the first cap bytes
// kept, the buffer grown as readN grows it.
func (b *rawBody) take(p []byte, left int64) {
	b.size += int64(len(p))
	keep := min(left, b.cap-int64(len(b.data)))
	for len(p) > 0 && keep > 0 {
		if len(b.data) == cap(b.data) {
			b.grow(int(min(keep, int64(max(64<<10, len(b.data))))))
		}
		n := int(min(int64(len(p)), keep, int64(cap(b.data)-len(b.data))))
		b.data = append(b.data, p[:n]...)
		p, keep = p[n:], keep-int64(n)
	}
}

// readN reads n bytes (fewer if r ends or fails), keeping the first cap.
// The buffer grows with what arrives, never from the declared length
// alone, which a hostile message may inflate.
func (b *rawBody) readN(r io.Reader, n int64) int64 {
	keep := min(n, b.cap-int64(len(b.data)))
	var got int64
	for got < keep {
		if len(b.data) == cap(b.data) {
			// The first growth takes up to 64 KiB at once, so most bodies
			// get one buffer of their size rather than four to five
			// doublings from 4 KiB (a fifth of a SAZ scan's CPU went to
			// those copies); a hostile declared length still gets no
			// more than that before its bytes arrive.
			b.grow(int(min(keep-got, int64(max(64<<10, len(b.data))))))
		}
		p := b.data[len(b.data):cap(b.data)]
		if int64(len(p)) > keep-got {
			p = p[:keep-got]
		}
		m, err := r.Read(p)
		b.data = b.data[:len(b.data)+m]
		got += int64(m)
		if err != nil {
			b.size += got
			return got
		}
	}
	b.size += got
	if got == n {
		return n // spare CopyN's LimitReader
	}
	var rest int64
	if br, ok := r.(*bufio.Reader); ok && b.discard != nil {
		rest, _ = pass(br, n-got, b.discard)
	} else {
		rest, _ = io.CopyN(io.Discard, r, n-got)
	}
	b.size += rest
	return got + rest
}

// finish decodes the kept bytes. cut tells that the body on the wire ended
// before its declared end.
// finish is the body undone from enc, its Content-Encoding (the fields
// joined with commas).
func (b *rawBody) finish(enc string, cut bool, o Options, l model.Limits) model.Body {
	if b.skip {
		// The one decoding problem told without decoding.
		if b.size > 0 && !isIdentity(enc) {
			if err := unknownCoding(enc); err != nil {
				o.warnf("body kept content-encoded: %v", err)
			}
		}
		// Truncated as a body kept undecoded would say: readers use it to
		// tell where a body cut by lost bytes ends.
		return model.Body{Size: b.size, Truncated: cut || b.size > l.BodyBytes, Skipped: true}
	}
	body := model.Body{Size: b.size, Truncated: cut || b.size > int64(len(b.data))}
	if len(b.data) == 0 || isIdentity(enc) {
		body.Data = b.data
		return body
	}
	dec, trunc, err := DecodeContent(enc, b.data, l.BodyBytes)
	if err != nil {
		o.warnf("body kept content-encoded: %v", err)
		body.Data = b.data
		return body
	}
	body.Data = dec
	body.Truncated = body.Truncated || trunc
	return body
}

func readFixed(br *bufio.Reader, n int64, h model.Headers, o Options, l model.Limits, skip bool) (model.Body, error) {
	rb := newRawBody(l, skip, o)
	// A read error (lost bytes in a capture) cuts the body like an early end.
	got := rb.readN(br, n)
	if got < n {
		o.warnf("body cut short: %d of %d bytes", got, n)
	}
	return rb.finish(contentEncoding(h), got < n, o, l), nil
}

func readToEOF(br *bufio.Reader, h model.Headers, o Options, l model.Limits, skip bool) (model.Body, error) {
	rb := newRawBody(l, skip, o)
	var err error
	if rb.discard != nil {
		var n int64
		n, err = pass(br, -1, rb.discard)
		rb.size += n
		if err == io.EOF {
			err = nil
		}
	} else {
		_, err = io.Copy(rb, br)
	}
	if err != nil {
		o.warnf("body cut short after %d bytes", rb.size)
	}
	return rb.finish(contentEncoding(h), err != nil, o, l), nil
}

// parseChunkSize reads hex digits as strconv.ParseUint(s, 16, 63) does,
// without making a string of them.
func parseChunkSize(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		if n >= 1<<59 { // n*16 would pass 1<<63
			return 0, false
		}
		n = n*16 + uint64(d)
	}
	return n, n < 1<<63
}

// readChunked reads a chunked body and its trailer fields, which are
// appended to h after the header fields.
func readChunked(br *bufio.Reader, h *model.Headers, o Options, l model.Limits, skip bool) (model.Body, error) {
	b := BodyReader{kind: bodyChunked, h: h, o: o, l: l, skip: skip}
	body, _, err := b.chunked(br, nil)
	return body, err
}

// chunked reads a chunked body from where b stands (see Read).
func (b *BodyReader) chunked(br *bufio.Reader, pause func(int64) bool) (model.Body, bool, error) {
	rb, h, o, l := b.raw(), b.h, b.o, b.l
	if !b.started {
		b.budget, b.started = l.HeaderBytes, true
	}
	for {
		var size uint64
		if b.inChunk {
			// Back inside the chunk Read paused before.
			b.inChunk = false
			size = uint64(b.left)
		} else {
			line, err := readLine(br, &b.budget)
			if err != nil && (!errors.Is(err, ErrMalformed) || errors.Is(err, io.ErrUnexpectedEOF)) {
				o.warnf("chunked body cut short after %d bytes", rb.size)
				return rb.finish(contentEncoding(*h), true, o, l), false, nil
			}
			if err != nil {
				return model.Body{}, false, err
			}
			sizeText, _, _ := bytes.Cut(line, []byte(";"))
			sizeText = bytes.TrimSpace(sizeText)
			if len(sizeText) == 0 && len(line) == 0 {
				continue // tolerate a stray empty line between chunks
			}
			var ok bool
			size, ok = parseChunkSize(sizeText)
			if !ok {
				// The framing is lost: keep the body so far, cut.
				o.warnf("invalid chunk size after %d body bytes; body cut", rb.size)
				return rb.finish(contentEncoding(*h), true, o, l), false, nil
			}
			if size == 0 {
				trailers, err := readHeaders(br, &b.budget, l.HeaderCount-len(*h), o)
				if err != nil {
					if errors.Is(err, io.ErrUnexpectedEOF) {
						// A missing final CRLF still ends the body.
						return rb.finish(contentEncoding(*h), false, o, l), false, nil
					}
					return model.Body{}, false, err
				}
				*h = append(*h, trailers...)
				return rb.finish(contentEncoding(*h), false, o, l), false, nil
			}
			if pause != nil && pause(int64(size)) {
				b.inChunk, b.left = true, int64(size)
				return model.Body{}, true, nil
			}
		}
		got := rb.readN(br, int64(size))
		b.left = 0
		if got < int64(size) {
			o.warnf("chunked body cut short after %d bytes", rb.size)
			return rb.finish(contentEncoding(*h), true, o, l), false, nil
		}
		// The CRLF that ends the chunk data.
		// An error here shows again on the next chunk-size line.
		_, _ = readLine(br, &b.budget)
	}
}
