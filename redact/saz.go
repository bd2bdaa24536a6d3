package redact

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/internal/secretscan"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/saz"
)

// SAZ writes a redacted copy of the SAZ archive in ra to w: a new,
// unprotected zip with the same members in the same order, each raw HTTP
// message rewritten, each _m.xml kept with its flag values reviewed. A
// protected archive needs Options.Password. Damaged members are written as
// far as they could be read, with a note in Stats naming the session.
func SAZ(ra io.ReaderAt, size int64, w io.Writer, opts Options) (Stats, error) {
	var st Stats
	r := newRedactor(opts)
	sopts := saz.Options{Password: opts.Password, Limits: opts.Limits}
	sr, err := saz.NewReader(ra, size, sopts)
	if err != nil {
		return st, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	r.collecting = true
	for {
		ex, err := sr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("redact: %w", err)
		}
		r.collect(ex)
	}
	r.endCollect()
	r.stats = &st

	zw := zip.NewWriter(w)
	err = saz.Members(ra, size, sopts, func(m saz.Member) error {
		ref := memberRef(m.Name)
		if m.Err != nil {
			st.Notes = append(st.Notes, model.Note{Kind: model.NoteDamaged, Ref: ref,
				Message: fmt.Sprintf("%s: %v; the part read is written", m.Name, m.Err)})
		}
		r.entryRef = ref
		data := r.sazMember(m.Name, m.Data)
		if err := r.checkMember(m.Name, data); err != nil {
			return err
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: m.Name, Method: zip.Deflate, Modified: m.Modified})
		if err != nil {
			return fmt.Errorf("redact: write %s: %w", ref, err)
		}
		if _, err := fw.Write(data); err != nil {
			return fmt.Errorf("redact: write %s: %w", ref, err)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	if err := zw.Close(); err != nil {
		return st, fmt.Errorf("redact: write: %w", err)
	}
	st.Verifiers = len(r.verifiers)
	return st, nil
}

// checkMember refuses a member in which a secret-shaped string survived
// the rewrite: its bytes as written, and a message's body decoded (chunked
// framing and Content-Encoding undone) as Fiddler and DevTools will show
// it.
func (r *redactor) checkMember(name string, data []byte) error {
	if err := secretscan.Check(name, data); err != nil {
		return err
	}
	lname := strings.ToLower(strings.ReplaceAll(name, `\`, "/"))
	if !strings.HasPrefix(lname, "raw/") || !(strings.HasSuffix(lname, "_c.txt") || strings.HasSuffix(lname, "_s.txt")) {
		return nil
	}
	fields, rest, bodyAt := splitMessage(data)
	if rest == nil {
		return nil
	}
	body, _ := r.frame(fields, rest)
	payload, _, st := r.payload(fields, body.payload)
	switch {
	case st == storedOpaque || st == storedKept:
		return nil // opaque: nothing readable can leak from it
	case st == storedPlain && len(body.raw) == len(payload):
		return nil // checked as written
	}
	if m, ok := secretscan.First(payload); ok {
		return &secretscan.LeakError{Member: name + " (decoded body)", Offset: int64(bodyAt + m.Start), Kind: m.Kind}
	}
	return nil
}

// splitMessage returns the header fields of a raw message, the bytes after
// its header section (nil when it has none) and where they start.
func splitMessage(data []byte) ([]headerLine, []byte, int) {
	headEnd, sepLen := bytes.Index(data, []byte("\r\n\r\n")), 4
	if i := bytes.Index(data, []byte("\n\n")); i >= 0 && (headEnd < 0 || i < headEnd) {
		headEnd, sepLen = i, 2
	}
	if headEnd < 0 {
		return nil, nil, 0
	}
	var fields []headerLine
	for i, line := range strings.Split(string(data[:headEnd]), "\n") {
		if i == 0 {
			continue
		}
		name, val, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ":")
		if ok {
			fields = append(fields, headerLine{index: i, name: strings.TrimSpace(name), value: strings.TrimSpace(val)})
		}
	}
	return fields, data[headEnd+sepLen:], headEnd + sepLen
}

// memberRef names a member's session the way the reader does ("session
// 5"), or the member itself.
func memberRef(name string) string {
	n := strings.ReplaceAll(name, `\`, "/")
	if rest, ok := strings.CutPrefix(n, "raw/"); ok {
		if digits, _, ok := strings.Cut(rest, "_"); ok {
			if v, err := strconv.Atoi(digits); err == nil && v >= 0 {
				return "session " + strconv.Itoa(v)
			}
		}
	}
	return name
}

// sazMember rewrites one member by its kind.
func (r *redactor) sazMember(name string, data []byte) []byte {
	lname := strings.ToLower(strings.ReplaceAll(name, `\`, "/"))
	switch {
	case strings.HasPrefix(lname, "raw/") && strings.HasSuffix(lname, "_c.txt"):
		r.stats.Exchanges++
		return r.message(data, true)
	case strings.HasPrefix(lname, "raw/") && strings.HasSuffix(lname, "_s.txt"):
		return r.message(data, false)
	case strings.HasPrefix(lname, "raw/") && strings.HasSuffix(lname, "_m.xml"):
		return r.sessionMeta(data)
	case lname == "[content_types].xml":
		return data
	case strings.HasPrefix(lname, "raw/") && strings.HasSuffix(lname, "_w.txt"):
		return r.wsLog(data)
	}
	if !utf8.Valid(data) {
		return data
	}
	// _index.htm lists every URL; WebSocket message logs; other tools'
	// extras.
	return []byte(r.text(string(data)))
}

// message rewrites a raw HTTP/1.x message as Fiddler stores it: start
// line, header fields and body. The body is decoded (chunked framing,
// Content-Encoding) to be redacted; when redaction changes it, it is
// written decoded with a new Content-Length. Bytes after the message
// (Fiddler's notes after a CONNECT) are swept.
func (r *redactor) message(data []byte, request bool) []byte {
	headEnd, sepLen := bytes.Index(data, []byte("\r\n\r\n")), 4
	if i := bytes.Index(data, []byte("\n\n")); i >= 0 && (headEnd < 0 || i < headEnd) {
		headEnd, sepLen = i, 2
	}
	head, rest := data, []byte(nil)
	if headEnd >= 0 {
		head, rest = data[:headEnd], data[headEnd+sepLen:]
	}
	lines := strings.Split(string(head), "\n")
	var fields []headerLine
	for i, line := range lines {
		cr := ""
		if strings.HasSuffix(line, "\r") {
			line, cr = line[:len(line)-1], "\r"
		}
		switch {
		case i == 0:
			if request {
				line = r.requestLine(line)
			}
		case strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t"):
			line = r.free(line, 0) // obsolete line folding
		default:
			from := 0
			if strings.HasPrefix(line, ":") {
				from = 1 // HTTP/2 pseudo-header written by Fiddler Everywhere
			}
			if j := strings.IndexByte(line[from:], ':'); j >= 0 {
				j += from
				name, val := line[:j], line[j+1:]
				lead := val[:len(val)-len(strings.TrimLeft(val, " \t"))]
				trimmed := strings.TrimSpace(val)
				trail := val[len(lead)+len(trimmed):]
				fields = append(fields, headerLine{index: i, name: strings.TrimSpace(name), value: trimmed})
				line = name + ":" + lead + r.header(name, trimmed) + trail
			} else {
				line = r.bareLine(line)
			}
		}
		lines[i] = line + cr
	}
	if headEnd < 0 {
		return []byte(strings.Join(lines, "\n"))
	}
	body, trailer := r.frame(fields, rest)
	if request {
		target, vault := "", false
		if f := strings.Fields(lines[0]); len(f) >= 2 {
			target = f[1]
		}
		for _, f := range fields {
			vault = vault || strings.EqualFold(f.name, "X-Vault-Token")
		}
		r.storeRequest = storeRequestKind(target, vault)
	}
	out, changed := r.messageBody(fields, body, request)
	r.storeRequest = storeNone
	sep := string(data[headEnd : headEnd+sepLen])
	var b bytes.Buffer
	if changed {
		// Written decoded, without chunked framing: drop the framing and
		// coding fields and state the new length.
		eol := "\n"
		if sepLen == 4 {
			eol = "\r\n"
		}
		kept := lines[:0:0]
		drop := map[int]bool{}
		for _, f := range fields {
			switch strings.ToLower(f.name) {
			case "content-length", "transfer-encoding", "content-encoding":
				drop[f.index] = true
			}
		}
		for i, l := range lines {
			if !drop[i] {
				kept = append(kept, strings.TrimSuffix(l, "\r"))
			}
		}
		kept = append(kept, "Content-Length: "+strconv.Itoa(len(out)))
		b.WriteString(strings.Join(kept, eol))
		b.WriteString(sep)
		b.Write(out)
	} else {
		b.WriteString(strings.Join(lines, "\n"))
		b.WriteString(sep)
		if body.extended {
			b.Write(withoutExtensions(body.raw[:body.trailer]))
		} else {
			b.Write(body.raw[:body.trailer])
		}
		b.WriteString(r.trailerFields(body.raw[body.trailer:]))
	}
	if len(trailer) > 0 {
		if utf8.Valid(trailer) {
			b.WriteString(r.sweep.apply(string(trailer)))
		} else {
			b.Write(trailer)
		}
	}
	return b.Bytes()
}

// bareLine redacts a header block's line that is no field (no ':'),
// which the reader skips but the copy keeps: a client's or tool's
// mangled "Authorization Bearer …" is read as the field its first word
// names, anything else as free text. What follows a name that no rule
// knows, and that reading it as that field leaves as it was, is masked:
// no rule reads the line, and an unknown header's value may be a
// credential of any shape (fail closed).
func (r *redactor) bareLine(line string) string {
	name, rest, ok := strings.Cut(line, " ")
	if !ok || !headerToken(name) {
		return r.free(line, 0)
	}
	val := strings.TrimLeft(rest, " \t")
	red := r.headerAs(name, val, false)
	if red == val && strings.TrimSpace(val) != "" {
		red = r.mask(maskValue, val)
	}
	return name + " " + rest[:len(rest)-len(val)] + red
}

type headerLine struct {
	index       int
	name, value string
}

func fieldValue(fields []headerLine, name string) string {
	var vals []string
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			vals = append(vals, f.value)
		}
	}
	return strings.Join(vals, ", ")
}

// requestLine rewrites the request target of "METHOD target PROTO".
func (r *redactor) requestLine(line string) string {
	method, rest, ok := strings.Cut(line, " ")
	if !ok {
		return line
	}
	target, proto, hasProto := strings.Cut(rest, " ")
	out := method + " " + r.url(target, 0)
	if hasProto {
		out += " " + proto
	}
	return out
}

// rawBody is a message body as stored and, when chunked, undone.
type rawBody struct {
	raw     []byte // the stored bytes, framing included
	payload []byte // without chunked framing
	trailer int    // where in raw a chunked body's trailer section starts (len(raw) when none)
	// extended: a chunk-size line carries extensions ("1a;sig=…"),
	// which a server may put anything in: they are not copied
	// (withoutExtensions).
	extended bool
	// cut: the chunked framing is broken or cut short; payload is what
	// was read of it, and the body is written decoded whatever redaction
	// did (the raw framing holds what payload missed).
	cut bool
}

// trailerFields redacts a chunked body's trailer section (the fields after
// the last chunk, up to the empty line) as header fields are: they are
// fields of the message, sent after the body (a token a server computes
// while it streams).
func (r *redactor) trailerFields(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if !utf8.Valid(b) {
		return string(b)
	}
	lines := strings.Split(string(b), "\n")
	for i, line := range lines {
		cr := ""
		if strings.HasSuffix(line, "\r") {
			line, cr = line[:len(line)-1], "\r"
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if name, val, ok := strings.Cut(line, ":"); ok {
			lead := val[:len(val)-len(strings.TrimLeft(val, " \t"))]
			trimmed := strings.TrimSpace(val)
			line = name + ":" + lead + r.header(name, trimmed) + val[len(lead)+len(trimmed):]
		} else {
			line = r.bareLine(line)
		}
		lines[i] = line + cr
	}
	return strings.Join(lines, "\n")
}

// frame splits the bytes after the header section into the body and what
// follows it, by the message's framing.
func (r *redactor) frame(fields []headerLine, rest []byte) (rawBody, []byte) {
	te := strings.ToLower(fieldValue(fields, "Transfer-Encoding"))
	if strings.HasSuffix(strings.TrimSpace(te), "chunked") {
		payload, n, t, ext, ok := dechunk(rest, r.limits.BodyBytes*16)
		if ok {
			return rawBody{raw: rest[:n], payload: payload, trailer: t, extended: ext}, rest[n:]
		}
		// Framing cut short or broken: what it holds is read as a
		// lenient reader reads it (the SAZ reader does), and written
		// decoded (cut).
		return rawBody{raw: rest, payload: payload, trailer: len(rest), cut: true}, nil
	}
	if cl := fieldValue(fields, "Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(strings.Split(cl, ",")[0]), 10, 64); err == nil && n >= 0 {
			n = min(n, int64(len(rest)))
			return rawBody{raw: rest[:n], payload: rest[:n], trailer: int(n)}, rest[n:]
		}
	}
	return rawBody{raw: rest, payload: rest, trailer: len(rest)}, nil
}

// dechunk undoes chunked framing, returning the payload, the bytes the
// framing used (trailer fields included), where the trailer section
// starts and whether a chunk-size line carried extensions. ok is false for
// broken or cut framing, the payload then what could be read of it.
func dechunk(b []byte, limit int64) (payload []byte, n, trailerAt int, extended, ok bool) {
	var out []byte
	pos := 0
	for {
		nl := bytes.IndexByte(b[pos:], '\n')
		if nl < 0 {
			return out, 0, 0, extended, false
		}
		line := strings.TrimSpace(string(b[pos : pos+nl]))
		line, ext, hasExt := strings.Cut(line, ";")
		extended = extended || hasExt && strings.TrimSpace(ext) != ""
		size, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil || size < 0 || size > int64(len(b)) {
			if size > int64(len(b)) {
				// A size past the end: the chunk as far as it goes.
				tail := b[pos+nl+1:]
				out = append(out, tail[:max(0, min(int64(len(tail)), limit-int64(len(out))))]...)
			}
			return out, 0, 0, extended, false
		}
		pos += nl + 1
		if size == 0 {
			// Trailer fields up to an empty line.
			trailer := pos
			for {
				nl := bytes.IndexByte(b[pos:], '\n')
				if nl < 0 {
					return out, len(b), trailer, extended, true
				}
				empty := len(strings.TrimSpace(string(b[pos:pos+nl]))) == 0
				pos += nl + 1
				if empty {
					return out, pos, trailer, extended, true
				}
			}
		}
		if int64(len(out))+size > limit {
			return nil, 0, 0, extended, false
		}
		if pos+int(size) > len(b) {
			// Cut short inside a chunk: the part stored.
			return append(out, b[pos:]...), 0, 0, extended, false
		}
		out = append(out, b[pos:pos+int(size)]...)
		pos += int(size)
		if bytes.HasPrefix(b[pos:], []byte("\r\n")) {
			pos += 2
		} else if bytes.HasPrefix(b[pos:], []byte("\n")) {
			pos++
		}
	}
}

// withoutExtensions is chunked framing (up to its trailer section) with
// every chunk-size line's extensions left out ("1a;sig=…" becomes "1a"):
// no reader needs them, and what a server puts there is not known. The
// chunks' data stay byte for byte; framing dechunk read whole.
func withoutExtensions(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for pos := 0; pos < len(b); {
		nl := bytes.IndexByte(b[pos:], '\n')
		if nl < 0 {
			return append(out, b[pos:]...)
		}
		line := b[pos : pos+nl]
		size, _, hasExt := bytes.Cut(line, []byte(";"))
		if hasExt {
			out = append(out, bytes.TrimRight(size, " \t")...)
			if bytes.HasSuffix(line, []byte("\r")) {
				out = append(out, '\r')
			}
		} else {
			out = append(out, line...)
		}
		out = append(out, '\n')
		pos += nl + 1
		n, err := strconv.ParseInt(strings.TrimSpace(string(size)), 16, 64)
		if err != nil || n <= 0 || pos+int(n) > len(b) {
			return append(out, b[pos:]...)
		}
		out = append(out, b[pos:pos+int(n)]...)
		pos += int(n)
		for _, eol := range []string{"\r\n", "\n"} {
			if bytes.HasPrefix(b[pos:], []byte(eol)) {
				out = append(out, eol...)
				pos += len(eol)
				break
			}
		}
	}
	return out
}

// messageBody redacts a body; changed reports that out (decoded) replaces
// it.
func (r *redactor) messageBody(fields []headerLine, body rawBody, request bool) ([]byte, bool) {
	if len(body.payload) == 0 {
		if body.cut && len(body.raw) > 0 {
			return []byte{}, true // nothing read of it: nothing copied
		}
		return nil, false
	}
	mt := mediaType(fieldValue(fields, "Content-Type"))
	data, coding, st := r.payload(fields, body.payload)
	switch st {
	case storedPartial:
		if r.opts.StripBodies && !request && !oauthBody(mt) {
			r.stats.Stripped++
			return []byte(strippedBody), true
		}
		// A stream cut short or damaged after its start: what
		// decodes of it may hold a secret, which a lenient decoder
		// recovers from the coded bytes, so the decoded part, its
		// cut value dropped (cutTail), is written redacted in their
		// place.
		return r.body(mt, cutTail(data)), true
	case storedOpaque:
		if r.opts.StripBodies && !request && !oauthBody(mt) {
			r.stats.Stripped++
			return []byte(strippedBody), true
		}
		// Compressed, and nothing of it decodes here: what it holds
		// cannot be redacted, so it is not copied.
		r.count()
		r.stats.Notes = append(r.stats.Notes, model.Note{Kind: model.NoteDamaged, Ref: r.entryRef,
			Message: fmt.Sprintf("a body sent %s-compressed could not be decoded; it was replaced by a note", coding)})
		return []byte(fmt.Sprintf(opaqueBody, coding)), true
	case storedKept:
		return nil, false // undecodable: binary as far as we can tell
	}
	if r.opts.StripBodies && !request && !oauthBody(mt) {
		r.stats.Stripped++
		return []byte(strippedBody), true
	}
	red := r.bodyIn(fieldValue(fields, "Content-Type"), data)
	if bytes.Equal(red, data) && !body.cut {
		return nil, false
	}
	return red, true
}

// storedKept: a message body whose coding does not decode and that is
// no text, left as it was.
const storedKept = storedOpaque + 1

// payload is a SAZ message's body as its reader must read it: the
// transfer codings other than chunked (Transfer-Encoding: gzip, chunked)
// and the content codings undone, and then any compression the result
// still carries (a coding stacked twice, a body compressed without a
// header saying so), as stored reads a HAR's body. coding names what was
// undone. st is storedPlain (data is the payload as sent), storedDecoded,
// storedPartial (a stream cut or damaged after its start: data is what
// decodes, its cut value not yet dropped), storedOpaque (compressed and
// not decodable: the body must not be copied) or storedKept. A body that
// does not decode under the coding its header names but is text (a
// server's plain answer labelled gzip, a tool's decoded copy that kept
// the header) is read as the text it is.
func (r *redactor) payload(fields []headerLine, payload []byte) (data []byte, coding string, st int) {
	mt := mediaType(fieldValue(fields, "Content-Type"))
	codings := fieldValue(fields, "Content-Encoding")
	for c := range strings.SplitSeq(fieldValue(fields, "Transfer-Encoding"), ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c != "" && c != "chunked" && c != "identity" {
			codings = strings.TrimPrefix(codings+", "+c, ", ")
		}
	}
	if codings == "" {
		if kindOf(mt, nil) == bodyBinary && mt != "" && mt != "application/octet-stream" {
			return payload, "", storedPlain // an image or font: nothing to redact
		}
		if d, c, s := r.stored(mt, "", payload); s != storedPlain {
			return d, c, s
		}
		return payload, "", storedPlain
	}
	if !httpwire.KnownCoding(codings) {
		// A coding this copy does not know (a dictionary's: dcb, dcz;
		// a vendor's): bytes that are no text cannot be read, so they
		// are not copied; text is a body sent plain under the label,
		// read as what decodes of it always was.
		if textBytes(payload) || !dictionaryCoded(codings) && !binaryBytes(payload) {
			return payload, codings, storedPartial
		}
		return nil, codings, storedOpaque
	}
	dec, truncated, err := httpwire.DecodeContent(codings, payload, r.limits.InflateBytes)
	switch {
	case err == nil && !truncated:
		// Compressed again below the codings named (stored reads one
		// more layer at least).
		if d, c, s := r.stored(mt, "", dec); s != storedPlain {
			return d, c + ", " + codings, s
		}
		return dec, codings, storedDecoded
	case len(dec) > 0:
		return dec, codings, storedPartial
	case !binaryBytes(payload):
		return payload, "", storedPlain
	}
	// Another compression than the header names.
	if d, c, s := r.stored(mt, "", payload); s != storedPlain {
		return d, c, s
	}
	return nil, codings, storedKept
}

var (
	reSessionFlag = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)<SessionFlag\b[^>]*>`) })
	reFlagAttr    = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b([NV])\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	})
)

// sessionMeta reviews the flag values of _m.xml: credentials Fiddler
// recorded are replaced, URLs and collected secrets redacted. Client and
// server addresses, process names and timers stay: rules and support need
// them. Flags are read in any attribute order and quoting, as other tools
// write them.
func (r *redactor) sessionMeta(data []byte) []byte {
	if !utf8.Valid(data) {
		return data
	}
	s := reSessionFlag().ReplaceAllStringFunc(string(data), func(tag string) string {
		name, vs, ve := "", -1, -1
		for _, a := range reFlagAttr().FindAllStringSubmatchIndex(tag, -1) {
			s, e := a[4], a[5]
			if s < 0 {
				s, e = a[6], a[7]
			}
			switch tag[a[2]:a[3]] {
			case "N":
				name = strings.ToLower(html.UnescapeString(tag[s:e]))
			case "V":
				vs, ve = s, e
			}
		}
		if vs < 0 {
			return tag
		}
		val := html.UnescapeString(tag[vs:ve])
		var red string
		switch {
		case strings.Contains(name, "password") || strings.Contains(name, "cookie"):
			red = r.mask(maskKindOf(name), val)
		case strings.Contains(name, "auth") || strings.Contains(name, "cred") || strings.Contains(name, "token"):
			red = r.secret(val)
		default:
			red = r.free(val, 0)
		}
		if red == val {
			return tag
		}
		return tag[:vs] + html.EscapeString(red) + tag[ve:]
	})
	return []byte(r.sweep.apply(s))
}

// wsLog rewrites a session's WebSocket messages as Fiddler stores them
// (raw/N_w.txt): per message, header lines (Request-Length or
// Response-Length: N, ID, timers), an empty line and N bytes of payload.
// A text payload is redacted as a free value; a binary one (an MQTT
// CONNECT's password, a protobuf) holds fields without names and is
// replaced by a note (fail closed), its length stated anew. What does not
// parse so is redacted as text, or replaced by a note when it is no text.
func (r *redactor) wsLog(data []byte) []byte {
	var out bytes.Buffer
	rest := data
	for len(rest) > 0 {
		headEnd, sepLen := bytes.Index(rest, []byte("\r\n\r\n")), 4
		if headEnd < 0 {
			break
		}
		n, lengthLine := -1, ""
		lines := strings.Split(string(rest[:headEnd]), "\r\n")
		for _, l := range lines {
			name, val, ok := strings.Cut(l, ":")
			if ok && (strings.EqualFold(name, "Request-Length") || strings.EqualFold(name, "Response-Length")) {
				if v, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && v >= 0 && v <= len(rest)-headEnd-sepLen {
					n, lengthLine = v, l
				}
			}
		}
		if n < 0 {
			break
		}
		payload := rest[headEnd+sepLen : headEnd+sepLen+n]
		red := payload
		if !textBytes(payload) {
			r.count()
			red = []byte(binaryNote)
		} else if t := r.free(string(payload), 0); t != string(payload) {
			red = []byte(t)
		}
		for i, l := range lines {
			if l == lengthLine {
				name, _, _ := strings.Cut(l, ":")
				lines[i] = name + ": " + strconv.Itoa(len(red))
			}
		}
		out.WriteString(strings.Join(lines, "\r\n"))
		out.WriteString("\r\n\r\n")
		out.Write(red)
		rest = rest[headEnd+sepLen+n:]
		for len(rest) > 0 && (rest[0] == '\r' || rest[0] == '\n') {
			out.WriteByte(rest[0])
			rest = rest[1:]
		}
	}
	if len(rest) > 0 {
		if utf8.Valid(rest) {
			out.WriteString(r.text(string(rest)))
		} else {
			r.count()
			out.WriteString(binaryNote)
		}
	}
	return out.Bytes()
}
