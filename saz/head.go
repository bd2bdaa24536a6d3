package saz

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/traceaudit/traceaudit/model"
)

// head is a message's header section, rewritten where needed so that the
// HTTP/1.x parser can read it, followed by the rest of the member.
type head struct {
	reader *bufio.Reader
	// proto is the message's real protocol when the start line was
	// rewritten ("HTTP/2"), else "".
	proto string
	// scheme comes from an HTTP/2 :scheme pseudo-header, else "".
	scheme string
	// cut is set when a body without framing was longer than the body
	// limit and only its start is passed on.
	cut bool
}

// headPeek is how much of a member is looked at for its header section
// before falling back to reading it line by line.
const headPeek = 16 << 10

// readHead prepares a raw message for the HTTP/1.x parser. Fiddler
// Everywhere writes HTTP/2 sessions with an "HTTP/2" version token, and some
// writers keep the pseudo-header fields (":authority" and friends); both are
// turned into their HTTP/1.1 form, and the real protocol is remembered.
// Anything else passes unchanged, without copying.
func (r *Reader) readHead(mr io.Reader) (*head, error) {
	if r.br == nil {
		r.br = bufio.NewReaderSize(mr, headPeek)
	} else {
		r.br.Reset(mr)
	}
	br := r.br
	peek, _ := br.Peek(headPeek)
	// A file that ends inside its header section (no empty line after the
	// last field; hand-written and some tools' SAZs) is a whole message
	// all the same: the rewrite path completes it.
	unterminated := len(peek) < headPeek && len(bytes.TrimSpace(peek)) > 0 && headerEnd(peek) < 0
	if !unterminated && !needsRewrite(peek) {
		return &head{reader: br}, nil
	}
	// The lines are copied into one buffer, reused from member to member,
	// and cut into lines once all are read (appending may move it).
	r.headBuf = r.headBuf[:0]
	ends := r.headEnds[:0]
	defer func() { r.headEnds = ends[:0] }()
	cut := func() [][]byte {
		lines := make([][]byte, len(ends), len(ends)+3)
		start := 0
		for i, end := range ends {
			lines[i] = r.headBuf[start:end:end] // appending to a line copies it
			start = end
		}
		return lines
	}
	var total int64
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A very long line: hand the message over unchanged and let the
			// parser apply its own bounds.
			return &head{reader: bufio.NewReader(io.MultiReader(bytes.NewReader(bytes.Join(append(cut(), line), nil)), br))}, nil
		}
		total += int64(len(line))
		if total > r.limits.HeaderBytes {
			return nil, model.AtLimit(model.LimitHeaderBytes, fmt.Errorf("header section exceeds %d bytes", r.limits.HeaderBytes))
		}
		r.headBuf = append(r.headBuf, line...)
		ends = append(ends, len(r.headBuf))
		if err != nil {
			if err == io.EOF {
				break
			}
			return nil, err
		}
		if t := bytes.TrimRight(line, "\r\n"); len(t) == 0 && len(ends) > 1 {
			break
		}
	}
	lines := cut()
	h := &head{}
	if len(lines) > 0 {
		h.rewrite(lines)
		if last := lines[len(lines)-1]; len(bytes.TrimRight(last, "\r\n")) > 0 {
			if !bytes.HasSuffix(last, []byte("\n")) {
				lines = append(lines, []byte("\r\n"))
			}
			lines = append(lines, []byte("\r\n"))
		}
	}
	var rest io.Reader = br
	if h.proto != "" && len(lines) > 1 && !bytes.HasPrefix(lines[0], []byte("HTTP/")) && !hasFraming(lines) {
		// An HTTP/2 or HTTP/3 request body needs no Content-Length (its
		// frames end it), so Fiddler Everywhere may write none; in a SAZ
		// the body is the rest of the file.
		var body []byte
		if _, err := br.Peek(1); err == nil { // most have none
			if body, err = io.ReadAll(io.LimitReader(br, r.limits.BodyBytes+1)); err != nil {
				return nil, err
			}
		}
		if int64(len(body)) > r.limits.BodyBytes {
			body, h.cut = body[:r.limits.BodyBytes], true
		}
		if len(body) > 0 {
			blank := lines[len(lines)-1]
			lines[len(lines)-1] = []byte("Content-Length: " + strconv.Itoa(len(body)) + "\r\n")
			lines = append(lines, blank)
		}
		rest = bytes.NewReader(body)
	}
	// The rewritten head, then the rest.
	r.joinBuf = r.joinBuf[:0]
	for _, l := range lines {
		r.joinBuf = append(r.joinBuf, l...)
	}
	r.joined.head.Reset(r.joinBuf)
	r.joined.rest = rest
	if r.hr == nil {
		r.hr = bufio.NewReader(&r.joined)
	} else {
		r.hr.Reset(&r.joined)
	}
	h.reader = r.hr
	return h, nil
}

// hasFraming reports a Content-Length or Transfer-Encoding field.
func hasFraming(lines [][]byte) bool {
	for _, l := range lines[1:] {
		name, _, ok := bytes.Cut(l, []byte(":"))
		if ok && (bytes.EqualFold(bytes.TrimSpace(name), []byte("content-length")) || bytes.EqualFold(bytes.TrimSpace(name), []byte("transfer-encoding"))) {
			return true
		}
	}
	return false
}

// needsRewrite looks at the start of a message for an HTTP/2 or HTTP/3
// start line or a pseudo-header field.
func needsRewrite(peek []byte) bool {
	end := headerEnd(peek)
	if end < 0 {
		end = len(peek)
	}
	hdr := peek[:end]
	line, _, _ := bytes.Cut(hdr, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if bytes.Contains(line, []byte("HTTP/2")) || bytes.Contains(line, []byte("HTTP/3")) {
		return true
	}
	return bytes.Contains(hdr, []byte("\n:"))
}

// rewrite normalizes an HTTP/2 or HTTP/3 head in place.
func (h *head) rewrite(lines [][]byte) {
	start := string(bytes.TrimRight(lines[0], "\r\n"))
	proto := ""
	fields := strings.Fields(start)
	switch {
	case len(fields) >= 2 && strings.HasPrefix(fields[0], "HTTP/"): // status line
		proto = fields[0]
	case len(fields) == 3:
		proto = fields[2]
	}
	v, isHTTP := strings.CutPrefix(strings.ToUpper(proto), "HTTP/")
	if !isHTTP || (v != "2" && v != "2.0" && v != "3" && v != "3.0") {
		return
	}
	h.proto = "HTTP/" + v[:1]
	if v == "2" || v == "3" {
		// The version is the first field of a status line and the last of
		// a request line (whose target may contain the same text).
		if i := strings.LastIndex(start, proto); strings.HasPrefix(start, "HTTP/") {
			start = proto + ".0" + start[len(proto):]
		} else {
			start = start[:i] + proto + ".0" + start[i+len(proto):]
		}
		lines[0] = []byte(start + "\r\n")
	}
	var authority string
	hasHost := false
	for i := 1; i < len(lines); i++ {
		l := lines[i]
		if bytes.HasPrefix(l, []byte(":")) {
			name, value, _ := strings.Cut(strings.TrimRight(string(l[1:]), "\r\n"), ":")
			value = strings.TrimSpace(value)
			switch strings.ToLower(name) {
			case "authority":
				authority = value
			case "scheme":
				h.scheme = strings.ToLower(value)
			}
			lines[i] = nil // pseudo-headers are not fields
			continue
		}
		if len(l) >= 5 && strings.EqualFold(string(l[:5]), "host:") {
			hasHost = true
		}
	}
	if authority != "" && !hasHost && len(lines) > 1 {
		lines[1] = append([]byte("Host: "+authority+"\r\n"), lines[1]...)
	}
}

// headerEnd is the index of the empty line that ends the header section in
// b, or -1.
func headerEnd(b []byte) int {
	crlf := bytes.Index(b, []byte("\n\r\n"))
	if crlf >= 0 {
		// Only an earlier "\n\n" matters: do not scan the body for one.
		b = b[:crlf+1]
	}
	lf := bytes.Index(b, []byte("\n\n"))
	switch {
	case crlf < 0:
		return lf
	case lf < 0 || crlf < lf:
		return crlf
	}
	return lf
}

// headThenRest reads a rewritten head, then the rest of its member, as
// io.MultiReader would, without a new reader per member.
type headThenRest struct {
	head bytes.Reader
	rest io.Reader
}

func (h *headThenRest) Read(p []byte) (int, error) {
	if h.head.Len() > 0 {
		return h.head.Read(p)
	}
	return h.rest.Read(p)
}
