package redact

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/internal/secretscan"
	"github.com/traceaudit/traceaudit/model"
)

// ErrFormat is wrapped by errors about input that cannot be redacted
// because it cannot be read as the format it claims.
var ErrFormat = errors.New("redact: unreadable input")

// HAR writes a redacted copy of the HAR document read from in to w. The
// input is read twice (collect, then rewrite), hence the io.ReadSeeker; a
// gzip- or zlib-compressed HAR is written uncompressed. Memory is bounded by
// the largest entry, not by the file. Damage inside log.entries ends the
// copy with a valid document holding the entries read and a note in Stats;
// input that is not a HAR at all is an error wrapping ErrFormat (and
// har.ErrFormat).
func HAR(in io.ReadSeeker, w io.Writer, opts Options) (Stats, error) {
	var st Stats
	r := newRedactor(opts)
	start, err := in.Seek(0, io.SeekCurrent)
	if err != nil {
		return st, fmt.Errorf("redact: %w", err)
	}
	hr, err := har.NewReader(in, har.Options{Limits: opts.Limits})
	if err != nil {
		return st, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	r.collecting = true
	for {
		ex, err := hr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("redact: %w", err)
		}
		r.collect(ex)
	}
	r.endCollect()
	if _, err := in.Seek(start, io.SeekStart); err != nil {
		return st, fmt.Errorf("redact: %w", err)
	}
	r.stats = &st
	// Every byte of the copy passes the shape guard: a secret the rewrite
	// missed refuses the copy instead of shipping in one that looks clean.
	g := secretscan.NewGuard(w)
	bw := bufio.NewWriterSize(g, 256<<10)
	r.outOffset = func() int64 { return g.Written() + int64(bw.Buffered()) }
	g.Where = r.entryAt
	if err := r.har(in, bw); err != nil {
		return st, err
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("redact: write: %w", err)
	}
	st.Verifiers = len(r.verifiers)
	return st, nil
}

// entryAt names the part of the copy at output offset off.
func (r *redactor) entryAt(off int64) string {
	i := sort.Search(len(r.entryStarts), func(i int) bool { return r.entryStarts[i] > off }) - 1
	if i < 0 {
		return "log"
	}
	return "entries[" + strconv.Itoa(i) + "]"
}

// writeErr marks failures of the output, which end the copy.
type writeErr struct{ err error }

func (e writeErr) Error() string { return "redact: write: " + e.err.Error() }
func (e writeErr) Unwrap() error { return e.err }

// har is the second pass: a json.Decoder walk of the document skeleton
// that rewrites each member of log (entries one at a time). The bytes
// between values (whitespace, punctuation) are copied from the input, so
// the copy differs from the original only where a value was redacted.
func (r *redactor) har(in io.Reader, bw *bufio.Writer) (err error) {
	src, err := r.decompress(in)
	if err != nil {
		return err
	}
	rec := &recorder{r: src}
	dec := json.NewDecoder(rec)
	out := &harWriter{bw: bw, rec: rec, dec: dec}
	defer func() {
		if p := recover(); p != nil {
			e, ok := p.(writeErr)
			if !ok {
				panic(p)
			}
			err = e
		}
	}()
	// Damage (which the first pass accepted) closes whatever is open so
	// that the copy stays a valid document.
	var stack []byte
	closeAll := func(ref string, cause error) error {
		r.stats.Notes = append(r.stats.Notes, model.Note{Kind: model.NoteTruncated, Ref: ref,
			Message: fmt.Sprintf("input unreadable from byte %d (%v); the copy ends there", dec.InputOffset(), cause)})
		for i := len(stack) - 1; i >= 0; i-- {
			out.raw([]byte{stack[i]})
		}
		return nil
	}
	// value copies one value, redacted by fn. When it cannot be read, a
	// member (whose name is written) gets null and an array element is
	// left out.
	value := func(ref string, member bool, fn func([]byte) []byte) bool {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if member {
				out.raw([]byte(":null"))
			}
			closeAll(ref, err)
			return false
		}
		out.value(raw, fn(raw))
		return true
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%w: document is not a JSON object", ErrFormat)
	}
	out.copy()
	stack = append(stack, '}')
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return closeAll("", err)
		}
		out.copy()
		if k, _ := key.(string); k != "log" {
			if !value(k, true, r.generic) {
				return nil
			}
			continue
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			out.raw([]byte(":null"))
			return closeAll("log", fmt.Errorf("log is not an object"))
		}
		out.copy()
		stack = append(stack, '}')
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return closeAll("log", err)
			}
			out.copy()
			if lk, _ := key.(string); lk != "entries" {
				if !value("log."+lk, true, r.generic) {
					return nil
				}
				continue
			}
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				out.raw([]byte(":null"))
				return closeAll("log.entries", fmt.Errorf("log.entries is not an array"))
			}
			out.copy()
			stack = append(stack, ']')
			// From here on a byte framer takes over, as in the HAR
			// reader: one malformed entry must not end the copy.
			fr := &framer{br: bufio.NewReaderSize(io.MultiReader(bytes.NewReader(rec.rest()), src), 256<<10), off: dec.InputOffset(),
				max: int(min(r.limits.InflateBytes, 1<<30))}
			return r.harTail(fr, out, stack)
		}
		if _, err := dec.Token(); err != nil {
			return closeAll("log", err)
		}
		out.copy()
		stack = stack[:len(stack)-1]
	}
	if _, err := dec.Token(); err != nil {
		return closeAll("", err)
	}
	out.copy()
	out.raw([]byte("\n"))
	return nil
}

// recorder keeps the bytes the decoder read from offset base on, so that
// the text between tokens can be copied.
type recorder struct {
	r    io.Reader
	buf  []byte
	base int64
}

func (c *recorder) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.buf = append(c.buf, p[:n]...)
	return n, err
}

// rest returns the bytes read but not yet taken.
func (c *recorder) rest() []byte { return c.buf }

// take returns the bytes from base to off and forgets them.
func (c *recorder) take(off int64) []byte {
	n := int(off - c.base)
	if n <= 0 || n > len(c.buf) {
		return nil
	}
	b := c.buf[:n]
	c.base = off
	rest := c.buf[n:]
	// Reuse the buffer once the kept tail is small.
	c.buf = append(make([]byte, 0, max(len(rest), 64<<10)), rest...)
	return b
}

// harTail writes log.entries and everything after it. stack holds the
// closing delimiters still open (top object, log, entries).
func (r *redactor) harTail(fr *framer, out *harWriter, stack []byte) error {
	closeAll := func(ref string, cause error) error {
		r.stats.Notes = append(r.stats.Notes, model.Note{Kind: model.NoteTruncated, Ref: ref,
			Message: fmt.Sprintf("input unreadable from byte %d (%v); the copy ends there", fr.off, cause)})
		for i := len(stack) - 1; i >= 0; i-- {
			out.raw([]byte{stack[i]})
		}
		return nil
	}
	// The entries. A separator is written only once the value after it
	// was read, so that a cut leaves no dangling comma.
	var pending []byte
	for i := 0; ; i++ {
		ref := "entries[" + strconv.Itoa(i) + "]"
		c, ws, err := fr.next()
		pending = append(pending, ws...)
		if err != nil {
			return closeAll(ref, err)
		}
		if c == ']' && i == 0 {
			fr.skip(1)
			out.raw(pending)
			out.raw([]byte("]"))
			break
		}
		raw, err := fr.value()
		if errors.Is(err, errTooLarge) {
			// Bounded memory over a complete copy: the entry is left out
			// (as null, so later entries keep their index).
			raw = []byte("null")
			r.stats.Notes = append(r.stats.Notes, model.Note{Kind: model.NoteLimit, Ref: ref,
				Message: fmt.Sprintf("entry larger than %d bytes; written as null", fr.max)})
		} else if err != nil {
			return closeAll(ref, err)
		}
		out.raw(pending)
		pending = pending[:0]
		if r.outOffset != nil {
			r.entryStarts = append(r.entryStarts, r.outOffset())
		}
		if !gjson.ValidBytes(raw) {
			raw = repairStrings(raw)
		}
		if gjson.ValidBytes(raw) {
			r.entryRef = ref
			out.raw(r.harEntry(raw))
		} else {
			// The reader skips it with a note; null keeps the index of
			// every later entry, which findings refer to.
			out.raw([]byte("null"))
			r.stats.Notes = append(r.stats.Notes, model.Note{Kind: model.NoteBadEntry, Ref: ref, Message: "entry is not valid JSON; written as null"})
		}
		r.stats.Exchanges++
		c, ws, err = fr.next()
		pending = append(pending, ws...)
		if err != nil || (c != ',' && c != ']') {
			return closeAll(ref, fmt.Errorf("want , or ] after the entry: %w", errOr(err)))
		}
		fr.skip(1)
		pending = append(pending, c)
		if c == ']' {
			out.raw(pending)
			break
		}
	}
	stack = stack[:len(stack)-1]
	// The rest of log, then of the top-level object.
	for len(stack) > 0 {
		c, ws, err := fr.next()
		out.raw(ws)
		if err != nil || (c != ',' && c != '}') {
			return closeAll("log", fmt.Errorf("want , or }: %w", errOr(err)))
		}
		fr.skip(1)
		if c == '}' {
			out.raw([]byte("}"))
			stack = stack[:len(stack)-1]
			continue
		}
		out.raw([]byte(","))
		_, ws, err = fr.next()
		out.raw(ws)
		key, err2 := fr.value()
		if err != nil || err2 != nil || len(key) == 0 || key[0] != '"' || !gjson.ValidBytes(key) {
			out.raw([]byte(`"":null`))
			return closeAll("log", fmt.Errorf("bad member name: %w", errOr(err, err2)))
		}
		out.raw(key)
		c, ws, err = fr.next()
		out.raw(ws)
		if err != nil || c != ':' {
			out.raw([]byte(":null"))
			return closeAll("log", fmt.Errorf("want : after a member name: %w", errOr(err)))
		}
		fr.skip(1)
		out.raw([]byte(":"))
		_, ws, err = fr.next()
		out.raw(ws)
		val, err2 := fr.value()
		if err != nil || err2 != nil || !gjson.ValidBytes(val) {
			out.raw([]byte("null"))
			return closeAll("log", fmt.Errorf("bad member value: %w", errOr(err, err2)))
		}
		out.raw(r.generic(val))
	}
	_, ws, _ := fr.next()
	out.raw(ws)
	return nil
}

// repairStrings makes the long string literals of raw valid JSON the way
// the HAR reader tolerates them (it sets strings of more than 256 bytes
// aside unchecked): raw control characters are escaped, a backslash before a
// character that starts no escape is doubled. Short literals are left as
// they are: the reader refuses an entry with a broken one, and so does the
// copy.
func repairStrings(raw []byte) []byte {
	// The HAR reader sets string contents of more than 256 bytes (har's
	// sideMax) aside and decodes them leniently; repair the same ones.
	const sideMax = 256
	out := make([]byte, 0, len(raw)+16)
	inString, repair := false, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case !inString:
			if c == '"' {
				inString = true
				end := stringEnd(raw, i+1)
				repair = end-i-1 > sideMax || bytes.HasPrefix(raw[i+1:], []byte(`\u0000\u0001`))
			}
			out = append(out, c)
		case c == '"':
			inString = false
			out = append(out, c)
		case !repair:
			out = append(out, c)
			if c == '\\' && i+1 < len(raw) {
				out = append(out, raw[i+1])
				i++
			}
		case c == '\\':
			switch {
			case i+1 < len(raw) && raw[i+1] == 'u' && !hex4At(raw, i+2):
				// The reader drops the backslash of a malformed \u and
				// reads on from the u; so does the copy.
			case i+1 < len(raw) && strings.IndexByte(`"\\/bfnrtu`, raw[i+1]) >= 0:
				out = append(out, c, raw[i+1])
				i++
			default:
				out = append(out, '\\', '\\')
			}
		case c < 0x20:
			out = append(out, fmt.Sprintf("\\u%04x", c)...)
		default:
			out = append(out, c)
		}
	}
	return out
}

// hex4At reports whether raw holds four hex digits at i.
func hex4At(raw []byte, i int) bool {
	if len(raw)-i < 4 {
		return false
	}
	for _, c := range raw[i : i+4] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// stringEnd returns the index of the quote that ends the string literal
// whose content starts at from, or len(raw).
func stringEnd(raw []byte, from int) int {
	for i := from; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(raw)
}

// errOr returns the first non-nil error, or one saying the syntax is wrong.
func errOr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return errors.New("invalid JSON")
}

// framer finds where JSON values end without parsing them (string and
// escape aware, counting nesting), as the HAR reader's scanner does, so
// that a malformed entry costs that entry only.
type framer struct {
	br  *bufio.Reader
	off int64
	// max bounds the bytes kept of one value: a longer value is still
	// framed (read to its end) but value returns errTooLarge.
	max int
}

var errTooLarge = errors.New("value too large")

// next skips whitespace and returns the next byte, unread, and the
// whitespace skipped.
func (f *framer) next() (byte, []byte, error) {
	var ws []byte
	for {
		c, err := f.br.ReadByte()
		if err != nil {
			return 0, ws, err
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			ws = append(ws, c)
			f.off++
			continue
		}
		f.br.UnreadByte()
		return c, ws, nil
	}
}

func (f *framer) skip(n int) {
	d, _ := f.br.Discard(n)
	f.off += int64(d)
}

// value returns the raw bytes of the next value, which starts at the next
// byte. A scalar ends before whitespace or any structural byte. A value
// longer than max is framed to its end but not kept: value then returns
// errTooLarge.
func (f *framer) value() ([]byte, error) {
	var out []byte
	var first byte
	n := 0
	depth := 0
	inString, escaped := false, false
	for {
		c, err := f.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return out, err
		}
		if n == 0 {
			first = c
		} else if !inString && depth == 0 && first != '"' && first != '{' && first != '[' {
			switch c {
			case ',', ']', '}', '[', '{', '"', ':', ' ', '\t', '\n', '\r':
				f.br.UnreadByte()
				return f.done(out, n)
			}
		}
		f.off++
		n++
		if n <= f.max {
			out = append(out, c)
		}
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				if depth == 0 {
					return f.done(out, n)
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth <= 0 {
				return f.done(out, n)
			}
		}
	}
}

func (f *framer) done(out []byte, n int) ([]byte, error) {
	if n > f.max {
		return nil, errTooLarge
	}
	return out, nil
}

// harWriter writes the skeleton; a failed write panics with writeErr, which
// har recovers, so that the walk reads as the document's shape.
type harWriter struct {
	bw  *bufio.Writer
	rec *recorder
	dec *json.Decoder
}

// copy writes the input consumed since the last copy.
func (w *harWriter) copy() { w.raw(w.rec.take(w.dec.InputOffset())) }

// value writes the input consumed since the last copy with its final raw
// value replaced by red.
func (w *harWriter) value(raw, red []byte) {
	b := w.rec.take(w.dec.InputOffset())
	if len(b) >= len(raw) {
		w.raw(b[:len(b)-len(raw)])
	}
	w.raw(red)
}

func (w *harWriter) raw(b []byte) {
	if _, err := w.bw.Write(b); err != nil {
		panic(writeErr{err})
	}
}

// generic redacts every string of a JSON value as a free value.
func (r *redactor) generic(raw []byte) []byte {
	if !gjson.ValidBytes(raw) {
		return raw
	}
	var eds []edit
	r.walkGeneric(gjson.ParseBytes(raw), 0, &eds)
	return applyEdits(raw, eds)
}

func (r *redactor) walkGeneric(v gjson.Result, depth int, eds *[]edit) {
	r.walkNamed(v, "", depth, eds)
}

// walkNamed is walkGeneric under a member's name: what a secret's name
// holds (an exporter's storage dump, {"refresh_token": …}) is redacted as
// that secret, whatever its shape; a comment's "Authorization: Bearer …"
// line is read as that field.
func (r *redactor) walkNamed(v gjson.Result, name string, depth int, eds *[]edit) {
	switch {
	case v.Type == gjson.String:
		red := r.free(v.Str, 0)
		if name != "" {
			red = r.value(name, v.Str, "", 0)
		} else if red == v.Str && strings.Contains(v.Str, ":") {
			red = r.fieldLines(v.Str)
		}
		if red != v.Str {
			*eds = append(*eds, edit{v.Index, v.Index + len(v.Raw), jsonString(red)})
		}
	case v.IsObject() || v.IsArray():
		if depth >= maxJSONDepth {
			return
		}
		obj := v.IsObject()
		v.ForEach(func(k, x gjson.Result) bool {
			under := name
			if obj {
				// An exporter's extra member may hold a token cache
				// (a storage dump) keyed by the tokens.
				if red := r.jsonKey(k.Str, false); red != k.Str {
					*eds = append(*eds, edit{k.Index, k.Index + len(k.Raw), jsonString(red)})
				}
				if under == "" && r.class(k.Str) != classKeep {
					under = k.Str
				}
			}
			r.walkNamed(x, under, depth+1, eds)
			return true
		})
	}
}

// harEntry rewrites one entry, knowing the HAR fields.
func (r *redactor) harEntry(raw []byte) []byte {
	if !gjson.ValidBytes(raw) {
		return raw
	}
	e := gjson.ParseBytes(raw)
	if !e.IsObject() {
		return r.generic(raw)
	}
	var eds []edit
	e.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "request", "response":
			if v.IsObject() {
				r.harMessage(v, &eds)
				return true
			}
		case "_webSocketMessages":
			if v.IsArray() {
				v.ForEach(func(_, m gjson.Result) bool {
					if d := m.Get("data"); m.Get("opcode").Int() == 2 && d.Type == gjson.String && binaryMessage(d.Str) {
						// A binary message (MQTT's CONNECT, a protobuf)
						// holds fields without names: not copied.
						r.count()
						r.setString(d, base64.StdEncoding.EncodeToString([]byte(binaryNote)), &eds)
						return true
					}
					r.walkGeneric(m, 2, &eds)
					return true
				})
				return true
			}
		}
		r.walkGeneric(v, 1, &eds)
		return true
	})
	return applyEdits(raw, eds)
}

// binaryNote replaces a binary WebSocket message that is no text.
const binaryNote = "[binary message removed by traceaudit redact: not text, its fields cannot be redacted]"

// binaryMessage reports a HAR WebSocket message's data (base64) that
// decodes to bytes that are no text (textBytes). One that does not decode
// is text.
func binaryMessage(data string) bool {
	b, err := base64.StdEncoding.DecodeString(data)
	return err == nil && !textBytes(b)
}

// textBytes reports bytes that are text: valid UTF-8 without control
// bytes but tabs, line ends, form feeds, escapes and the record separator
// SignalR and Engine.IO end messages with.
func textBytes(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b && c != 0x1e {
			return false
		}
	}
	return true
}

// challengeMethod finds code_challenge_method in a request's URL or form.
func challengeMethod(msg gjson.Result) string {
	if u := msg.Get("url").String(); u != "" {
		if _, q, ok := strings.Cut(u, "?"); ok {
			for _, p := range strings.Split(q, "&") {
				if k, v, _ := strings.Cut(p, "="); unescape(k) == "code_challenge_method" {
					return unescape(v)
				}
			}
		}
	}
	var m string
	msg.Get("postData.params").ForEach(func(_, p gjson.Result) bool {
		if p.Get("name").String() == "code_challenge_method" {
			m = p.Get("value").String()
			return false
		}
		return true
	})
	return m
}

func (r *redactor) setString(v gjson.Result, red string, eds *[]edit) {
	if v.Type == gjson.String && red != v.Str {
		*eds = append(*eds, edit{v.Index, v.Index + len(v.Raw), jsonString(red)})
	}
}

// harMessage rewrites a request or response object.
func (r *redactor) harMessage(msg gjson.Result, eds *[]edit) {
	method := challengeMethod(msg)
	if msg.Get("method").Exists() {
		vault := false
		msg.Get("headers").ForEach(func(_, h gjson.Result) bool {
			vault = vault || strings.EqualFold(h.Get("name").String(), "X-Vault-Token")
			return !vault
		})
		r.storeRequest = storeRequestKind(msg.Get("url").String(), vault)
		defer func() { r.storeRequest = storeNone }()
	}
	msg.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "url", "redirectURL":
			if v.Type == gjson.String {
				r.setString(v, r.url(v.Str, 0), eds)
				return true
			}
		case "headers":
			if v.IsArray() {
				v.ForEach(func(_, h gjson.Result) bool {
					r.harPair(h, eds, func(name, val string) string { return r.header(name, val) })
					return true
				})
				return true
			}
		case "cookies":
			if v.IsArray() {
				v.ForEach(func(_, c gjson.Result) bool {
					r.harPair(c, eds, func(_, val string) string { return r.mask(maskCookie, val) })
					return true
				})
				return true
			}
		case "queryString":
			if v.IsArray() {
				v.ForEach(func(_, p gjson.Result) bool {
					r.harPair(p, eds, func(name, val string) string { return r.value(name, val, method, 0) })
					return true
				})
				return true
			}
		case "postData":
			if v.IsObject() {
				r.harPostData(v, method, contentEncoding(msg.Get("headers")), eds)
				return true
			}
		case "content":
			if v.IsObject() {
				r.harContent(v, contentEncoding(msg.Get("headers")), eds)
				return true
			}
		}
		r.walkGeneric(v, 2, eds)
		return true
	})
}

// harPair rewrites the value of a {name, value, ...} object with fn; its
// other members are free values.
func (r *redactor) harPair(obj gjson.Result, eds *[]edit, fn func(name, value string) string) {
	if !obj.IsObject() {
		r.walkGeneric(obj, 3, eds)
		return
	}
	name := obj.Get("name").String()
	obj.ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "name" && v.Type == gjson.String:
			// Names stay, but a cookie name may embed the state.
			r.setString(v, r.sweep.apply(v.Str), eds)
		case k.Str == "value" && v.Type == gjson.String:
			r.setString(v, fn(name, v.Str), eds)
		default:
			r.walkGeneric(v, 4, eds)
		}
		return true
	})
}

// harPostData rewrites request.postData; ce is the request's
// Content-Encoding.
func (r *redactor) harPostData(pd gjson.Result, method, ce string, eds *[]edit) {
	mt := pd.Get("mimeType").String()
	b64 := strings.EqualFold(pd.Get("encoding").String(), "base64")
	pd.ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "mimeType" || k.Str == "encoding":
		case k.Str == "text" && v.Type == gjson.String && b64:
			// A base64 body (postData.encoding, as content.encoding):
			// decoded (a request body sent compressed too: an SDK's
			// gzip, a proxy's export of the wire), redacted, encoded
			// again.
			if data, err := base64.StdEncoding.DecodeString(v.Str); err == nil {
				r.setString(v, r.storedBody(mediaType(mt), ce, v.Str, data), eds)
			} else {
				r.setString(v, r.sweep.apply(v.Str), eds)
			}
		case k.Str == "text" && v.Type == gjson.String:
			if red, ok := r.flaglessCoded(mediaType(mt), ce, v.Str); ok {
				r.setString(v, red, eds)
				return true
			}
			r.setString(v, string(r.body(mediaType(mt), []byte(v.Str))), eds)
		case k.Str == "params" && v.IsArray():
			v.ForEach(func(_, p gjson.Result) bool {
				r.harPair(p, eds, func(name, val string) string { return r.value(name, val, method, 0) })
				return true
			})
		default:
			r.walkGeneric(v, 3, eds)
		}
		return true
	})
}

// harContent rewrites response.content: text bodies are redacted (decoded
// from base64 and encoded again when content.encoding says so), and under
// StripBodies non-OAuth bodies are replaced.
func (r *redactor) harContent(c gjson.Result, ce string, eds *[]edit) {
	mt := mediaType(c.Get("mimeType").String())
	b64 := strings.EqualFold(c.Get("encoding").String(), "base64")
	c.ForEach(func(k, v gjson.Result) bool {
		switch {
		case k.Str == "mimeType" || k.Str == "encoding":
		case k.Str == "text" && v.Type == gjson.String:
			r.setString(v, r.harText(mt, ce, v.Str, b64), eds)
		default:
			r.walkGeneric(v, 3, eds)
		}
		return true
	})
}

// flaglessCoded redacts a request body sent compressed (ce) and stored
// as base64 without postData.encoding saying so, as a recorder that
// drops the DevTools protocol's base64Encoded flag writes it (Puppeteer's
// fetchPostData gives the text alone): decoded, redacted as a stored body
// is, and written as base64 again. ok is false when the text is no base64
// of bytes so coded.
func (r *redactor) flaglessCoded(mt, ce, text string) (string, bool) {
	if c := strings.ToLower(strings.TrimSpace(ce)); c == "" || c == "identity" {
		return "", false
	}
	t := strings.TrimSpace(text)
	enc := base64Of(t)
	if len(t) < 16 || enc == nil {
		return "", false
	}
	data, err := enc.DecodeString(t)
	if err != nil {
		return "", false
	}
	if _, _, st := r.stored(mt, ce, data); st == storedPlain {
		return "", false
	}
	return r.storedBody(mt, ce, text, data), true
}

// contentEncoding is the Content-Encoding of a HAR headers array ("" when
// none).
func contentEncoding(headers gjson.Result) string {
	ce := ""
	if headers.IsArray() {
		headers.ForEach(func(_, h gjson.Result) bool {
			if strings.EqualFold(h.Get("name").String(), "Content-Encoding") {
				ce = h.Get("value").String()
				return false
			}
			return true
		})
	}
	return ce
}

func (r *redactor) harText(mt, ce, text string, b64 bool) string {
	if text == "" {
		return text
	}
	if r.opts.StripBodies && !oauthBody(mt) {
		if r.stats != nil {
			r.stats.Stripped++
		}
		if b64 {
			return base64.StdEncoding.EncodeToString([]byte(strippedBody))
		}
		return strippedBody
	}
	if !b64 {
		// Text in UTF-16 without a mark is valid UTF-8 (NULs and
		// ASCII), which a capture's HAR writes as it is.
		return string(r.bodyIn(mt, []byte(text)))
	}
	if unnamedFields(mt) {
		return base64.StdEncoding.EncodeToString(r.body(mt, []byte(text)))
	}
	if mt != "" && mt != "application/octet-stream" && kindOf(mt, nil) == bodyBinary && !dictionaryCoded(ce) {
		return text // an image or font: nothing to redact, not worth decoding
	}
	data, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		data, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(text, "="))
	}
	if err != nil {
		return r.sweep.apply(text)
	}
	return r.storedBody(mt, ce, text, data)
}

// storedBody redacts a HAR body stored base64 (text, data its bytes) and
// returns its new text: a body stored still compressed is read decoded
// (stored), one of which nothing decodes replaced by a note.
func (r *redactor) storedBody(mt, ce, text string, data []byte) string {
	switch dec, coding, st := r.stored(mt, ce, data); st {
	case storedPartial:
		// Never the coded bytes: a lenient decoder reads in them what
		// was cut.
		if r.stats != nil {
			r.stats.Notes = append(r.stats.Notes, model.Note{Kind: model.NoteDamaged, Ref: r.entryRef,
				Message: fmt.Sprintf("a body stored %s-compressed decodes only in part; that part was written", coding)})
		}
		return base64.StdEncoding.EncodeToString(r.body(mt, dec))
	case storedDecoded:
		// Stored still compressed (some proxies' exports, though HAR
		// text is decoded content): redacted decompressed, written
		// decompressed when that changed it, as a copy's SAZ bodies are,
		// or when the sweep's shapes find something in it (which the
		// copy's guard then sees instead of compressed bytes).
		if red := r.body(mt, dec); !bytes.Equal(red, dec) {
			return base64.StdEncoding.EncodeToString(red)
		}
		if _, found := secretscan.First(dec); found {
			return base64.StdEncoding.EncodeToString(dec)
		}
		return text
	case storedOpaque:
		// Compressed and not decodable here: what it holds cannot be
		// redacted, so it is not copied.
		r.count()
		if r.stats != nil {
			r.stats.Notes = append(r.stats.Notes, model.Note{Kind: model.NoteDamaged, Ref: r.entryRef,
				Message: fmt.Sprintf("a body stored %s-compressed could not be decoded; it was replaced by a note", coding)})
		}
		return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf(opaqueBody, coding)))
	}
	// Bytes that are no UTF-8: UTF-16 text is known by its byte order
	// mark (the charset parameter is not kept here).
	red := r.bodyIn(mt, data)
	if bytes.Equal(red, data) {
		return text
	}
	return base64.StdEncoding.EncodeToString(red)
}

// mediaType is the type/subtype of a Content-Type value; of a header given
// twice (joined with ", "), the first.
func mediaType(v string) string {
	mt, _, _ := strings.Cut(v, ";")
	mt, _, _ = strings.Cut(mt, ",")
	return strings.ToLower(strings.TrimSpace(mt))
}

// decompress strips a byte order mark and undoes gzip or zlib, bounded by
// Limits.InflateBytes, as the HAR reader does.
func (r *redactor) decompress(in io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(in, 256<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	head, _ := br.Peek(2)
	var zr io.Reader
	var err error
	switch {
	case len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b:
		zr, err = gzip.NewReader(br)
	case len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0:
		zr, err = zlib.NewReader(br)
	default:
		return br, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: bad compressed stream: %v", ErrFormat, err)
	}
	out := bufio.NewReaderSize(io.LimitReader(zr, r.limits.InflateBytes), 256<<10)
	if b, _ := out.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		out.Discard(3)
	}
	return out, nil
}

// opaqueBody replaces a body stored compressed that could not be decoded.
const opaqueBody = "[body removed by traceaudit redact: stored %s-compressed and not decodable]"

// What stored found of a body.
const (
	storedPlain   = iota // not stored compressed, as far as can be told
	storedDecoded        // stored compressed, and decoded whole
	storedPartial        // stored compressed, cut or damaged: what decodes, cut (cutTail)
	storedOpaque         // stored compressed, and not decodable whole
)

// stored tells whether a HAR body's bytes are stored still compressed and
// decodes them, bounded by Limits.InflateBytes. A gzip, zstd or zlib body
// says so by its signature; brotli and raw deflate have none, so a body of
// theirs is known by the response's Content-Encoding (ce) when its bytes
// are no text (browsers store decoded text under that header too), or,
// without the header, by bytes that are no text under a textual media type
// and that decode whole as one of them. Compressed bytes (signature or
// header) of which no text decodes are opaque, under a type an OAuth
// message or page can travel in (oauthBody): the caller must not copy them.
// Under a binary type (gRPC-web, a download) they stay as they were.
func (r *redactor) stored(mt, ce string, data []byte) (dec []byte, coding string, st int) {
	dec, coding, st = r.storedLayer(mt, ce, data)
	// Bytes decoded whole may be compressed again: an app's gzip under a
	// proxy's, a label naming one coding of two (a browser undoes the
	// one its header names and stores the rest). Each layer is read as
	// a body stored without a header, up to maxLayers; a layer that
	// does not decode, or one past the last, leaves nothing readable to
	// redact, so the body is opaque (fail closed).
	for layer := 1; st == storedDecoded; layer++ {
		d, c, s := r.storedLayer(mt, "", dec)
		if s == storedPlain {
			break
		}
		if layer == maxLayers {
			s = storedOpaque
		}
		dec, coding, st = d, c+", "+coding, s
	}
	return dec, coding, st
}

// maxLayers bounds the compression layers stored undoes: browsers and
// proxies undo one, a misconfigured server stacks two.
const maxLayers = 4

// storedLayer is stored for one layer of compression.
func (r *redactor) storedLayer(mt, ce string, data []byte) (dec []byte, coding string, st int) {
	if dictionaryCoded(ce) && !textBytes(data) {
		// Compressed against a dictionary (an earlier response), which
		// this copy cannot use: whatever the type, the bytes hide what
		// they hold, and a decoder given the dictionary, or none when
		// the stream does not use it, reads it (fail closed).
		return nil, strings.ToLower(strings.TrimSpace(ce)), storedOpaque
	}
	if coding = storedCoding(data); coding != "" {
		if coding == "dcb" || coding == "dcz" {
			return nil, coding, storedOpaque
		}
		if dec, st := r.decodeStored(coding, data); st != storedOpaque {
			return dec, coding, st
		}
		if coding == "deflate" || !oauthBody(mt) {
			// A zlib header is two bytes any binary body may start
			// with; a body of a binary type (a download, protobuf) is
			// not read as text anyway, and stays as it was.
			return nil, "", storedPlain
		}
		return nil, coding, storedOpaque
	}
	if len(data) < 4 || !binaryBytes(data) {
		return nil, "", storedPlain
	}
	if c := strings.ToLower(strings.TrimSpace(ce)); c != "" && c != "identity" {
		if dec, st := r.decodeStored(c, data); st != storedOpaque {
			return dec, c, st
		}
		if !oauthBody(mt) && httpwire.KnownCoding(c) {
			return nil, "", storedPlain // as a signature's, above
		}
		// A coding this copy does not know: the bytes cannot be
		// read, so they are not copied, whatever the type.
		return nil, c, storedOpaque
	}
	if mt == "" || mt == "application/octet-stream" || kindOf(mt, nil) == bodyBinary {
		return nil, "", storedPlain
	}
	if dec, c := r.headerless(data, 1); c != "" {
		return dec, c, storedDecoded
	}
	return nil, "", storedPlain
}

// headerless decodes bytes that no signature names as brotli or raw
// deflate, whole, when what comes out is text or compressed again
// (signed, or headerless itself: a body deflated twice), down to
// maxLayers; c is "" when neither coding does.
func (r *redactor) headerless(data []byte, depth int) (dec []byte, c string) {
	for _, c := range []string{"br", "deflate"} {
		dec, truncated, err := httpwire.DecodeContent(c, data, r.limits.InflateBytes)
		if err != nil || truncated {
			continue
		}
		if !binaryBytes(dec) || storedCoding(dec) != "" {
			return dec, c
		}
		if depth < maxLayers {
			if _, inner := r.headerless(dec, depth+1); inner != "" {
				return dec, c
			}
		}
	}
	return nil, ""
}

// decodeStored decodes a body stored compressed with coding: whole, or,
// cut short or damaged after its start, the part that decodes when it is
// text (what any lenient decoder reads of the coded bytes, and what support
// reads of them).
func (r *redactor) decodeStored(coding string, data []byte) ([]byte, int) {
	if !httpwire.KnownCoding(coding) {
		return nil, storedOpaque // DecodeContent would give the bytes back
	}
	dec, truncated, err := httpwire.DecodeContent(coding, data, r.limits.InflateBytes)
	if err == nil && !truncated {
		return dec, storedDecoded
	}
	if dec = cutTail(dec); len(dec) > 0 && !binaryBytes(dec) {
		return dec, storedPartial
	}
	return nil, storedOpaque
}

// cutTail drops what follows the last delimiter of a body cut short: the
// value being written when the stream was cut ("…refresh_token":"0.AXk),
// which no name or shape may tell a part of a secret, and which is one.
func cutTail(b []byte) []byte {
	i := bytes.LastIndexAny(b, "\"'&,;= \t\r\n<>(){}[]|")
	return b[:i+1]
}

// binaryBytes reports bytes that are no text in any 8-bit or UTF-8
// charset: a NUL or other control bytes (tab, newlines, form feed and
// escape aside) among the first 512.
func binaryBytes(b []byte) bool {
	ctl := 0
	for _, c := range b[:min(len(b), 512)] {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b {
			if c == 0 {
				return true
			}
			ctl++
		}
	}
	return ctl > 0 && ctl*32 >= min(len(b), 512)
}

// storedCoding names the compression a body's bytes start with, when they
// carry a signature: gzip's, zstd's frame magic, or a zlib header (a
// deflate method byte and a check that 31 divides). Brotli and raw
// deflate have none; a body of theirs is read as it is.
func storedCoding(data []byte) string {
	switch {
	case len(data) < 4:
		return ""
	case data[0] == 0x1f && data[1] == 0x8b:
		return "gzip"
	case data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd:
		return "zstd"
	case data[0]&0x0f == 8 && data[0]>>4 <= 7 && (uint16(data[0])<<8|uint16(data[1]))%31 == 0 && data[1]&0x20 == 0:
		return "deflate"
	case len(data) >= 36 && string(data[:4]) == dcbMagic:
		return "dcb"
	case len(data) >= 40 && string(data[:8]) == dczMagic:
		return "dcz"
	}
	return ""
}

// The headers of dictionary-compressed bodies (RFC 9842): dcb's magic and
// then the dictionary's SHA-256, dcz's zstd skippable frame holding it.
const (
	dcbMagic = "\xff\x44\x43\x42"
	dczMagic = "\x5e\x2a\x4d\x18\x20\x00\x00\x00"
)

// dictionaryCoded reports a Content-Encoding chain that names a
// dictionary-compressed coding (dcb, dcz).
func dictionaryCoded(ce string) bool {
	if ce == "" {
		return false
	}
	for c := range strings.SplitSeq(ce, ",") {
		if c = strings.ToLower(strings.TrimSpace(c)); c == "dcb" || c == "dcz" {
			return true
		}
	}
	return false
}
