package har

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	fastbase64 "github.com/segmentio/asm/base64"
	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/model"
)

// decoder turns one frame into an exchange. It touches nothing of the
// Reader but its read-only settings, so that it can run while the Reader
// frames the next entry; its notes are merged in order afterwards.
type decoder struct {
	limits    model.Limits
	skipBody  func(string) bool
	sideFiles fs.FS
	f         *frame
	notes     []pendingNote
	ex        *model.Exchange
	// mem holds what ex points to (see exchangePool).
	mem *exchangeMem
	// deferPages is Options.DeferPages; pend the body it left undecoded.
	deferPages bool
	pend       pendingBody

	// sk reads the skeleton in one pass; nil reads it with gjson's own
	// ValidBytes, ParseBytes and ForEach (the reference the tests compare
	// sk with).
	sk *skeleton
	// intern shares the text of repeated header names and values; nil
	// copies each.
	intern *interner
	// arena holds the raw strings unescaped for this entry (see
	// frame.spanText); reused from entry to entry.
	arena *[]byte
	// pool gives the buffers bodies are decoded into, hpool the header
	// lists (nil: new ones).
	pool  *bodyPool
	hpool *headerPool
}

// view returns the text of a value as frame.str does, without copying: a
// view into the frame's buffers, valid while the frame is decoded. Only
// what is not kept may hold it (a parsed time, a lookup key).
func (d *decoder) view(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		if sp, ok := d.f.spanOf(v); ok {
			b := d.f.spanText(sp, d.arena)
			return unsafe.String(unsafe.SliceData(b), len(b))
		}
		return v.Str
	case gjson.Number, gjson.True, gjson.False:
		return v.Raw
	}
	return ""
}

// istr is frame.str through the interner: for texts that repeat from
// entry to entry.
func (d *decoder) istr(v gjson.Result) string { return d.intern.str(d.view(v)) }

// each walks an object's members or an array's elements.
func (d *decoder) each(v gjson.Result, fn func(key, value gjson.Result) bool) {
	if d.sk != nil {
		d.sk.each(v, fn)
		return
	}
	v.ForEach(fn)
}

// members walks an object's members, each one's value read only when fn
// asks (see skeleton.members).
func (d *decoder) members(v gjson.Result, fn func(key string, f field) bool) {
	if d.sk != nil && d.sk.members(v, fn) {
		return
	}
	d.each(v, func(k, val gjson.Result) bool { return fn(k.Str, field{ref: &val}) })
}

// pendingNote is a note made while decoding; once marks the note about
// missing side files, which the Reader records only for the first entry.
type pendingNote struct {
	model.Note
	once bool
}

func (d *decoder) note(kind model.NoteKind, ref, format string, args ...any) {
	d.notes = append(d.notes, pendingNote{Note: model.Note{Kind: kind, Ref: ref, Message: fmt.Sprintf(format, args...)}})
}

// entry builds the exchange of the frame. A non-empty reason means the
// entry is skipped (with a note saying why).
func (d *decoder) entry() (*model.Exchange, string) {
	f := d.f
	switch {
	case f.tooDeep:
		return nil, fmt.Sprintf("nesting deeper than %d", d.limits.JSONDepth)
	case f.tooLarge:
		return nil, fmt.Sprintf("entry larger than %d bytes", f.valueCap)
	case len(f.buf) == 0 || f.buf[0] != '{':
		return nil, "entry is not an object"
	}
	var e gjson.Result
	if d.sk != nil {
		if !d.sk.reset(f.buf, f.strs) {
			return nil, "entry is not valid JSON"
		}
		e = d.sk.root()
	} else {
		if !gjson.ValidBytes(f.buf) {
			return nil, "entry is not valid JSON"
		}
		e = gjson.ParseBytes(f.buf)
	}
	d.mem.ex = model.Exchange{Index: f.idx, Ref: entryRef(f.idx)}
	ex := &d.mem.ex
	ref := ex.Ref

	var req, resp, content gjson.Result
	var hasResp bool
	var elapsed gjson.Result
	var bad string
	d.members(e, func(k string, f field) bool {
		switch k {
		case "request":
			req = f.value()
		case "response":
			resp, hasResp = f.value(), true
		case "startedDateTime":
			if v := f.value(); v.Type == gjson.String {
				ex.Start = parseTime(d.view(v))
			}
		case "time":
			elapsed = f.value()
		case "connection":
			ex.Conn = d.istr(f.value())
		case "pageref":
			ex.Page = d.istr(f.value())
		case "comment":
			ex.Comment = d.f.str(f.value())
		}
		return true
	})
	if !req.IsObject() {
		return nil, "request is missing or not an object"
	}
	if bad = d.request(ex, req); bad != "" {
		return nil, bad
	}
	if hasResp && resp.Type != gjson.Null {
		if !resp.IsObject() {
			return nil, "response is not an object"
		}
		if bad, content = d.response(ex, resp); bad != "" {
			return nil, bad
		}
		d.responseBody(ex, ref, content)
	}
	if ms := numOf(elapsed); !ex.Start.IsZero() && elapsed.Type == gjson.Number && ms >= 0 && ms < 1e12 {
		ex.End = ex.Start.Add(time.Duration(math.Round(ms * float64(time.Millisecond))))
	}
	return ex, ""
}

func (d *decoder) request(ex *model.Exchange, req gjson.Result) string {
	var post, bodySize, cookies gjson.Result
	var bad string
	d.members(req, func(k string, f field) bool {
		switch k {
		case "method":
			v := f.value()
			if v.Type != gjson.String {
				bad = "request.method is not a string"
			}
			ex.Request.Method = d.istr(v)
		case "url":
			v := f.value()
			if v.Type != gjson.String {
				bad = "request.url is not a string"
			}
			ex.Request.URL = d.f.str(v)
		case "httpVersion":
			ex.Request.Proto = d.intern.proto(d.view(f.value()))
		case "headers":
			ex.Request.Headers, bad = d.headers(f.value(), "request.headers", ex.Ref)
		case "postData":
			post = f.value()
		case "bodySize":
			bodySize = f.value()
		case "cookies":
			cookies = f.value()
		}
		return bad == ""
	})
	if bad != "" {
		return bad
	}
	ex.Request.Headers = d.arrayCookies(ex.Request.Headers, cookies, false)
	if ex.Request.Method == "" || ex.Request.URL == "" {
		return "request has no method or url"
	}
	ex.Request.URL = absoluteURL(ex.Request.URL, ex.Request.Headers)
	ex.Request.Body = model.Body{Size: -1}
	if n, ok := sizeOf(bodySize); ok {
		ex.Request.Body.Size = n
	}
	if post.Type == gjson.Null || !post.Exists() {
		return ""
	}
	if !post.IsObject() {
		return "request.postData is not an object"
	}
	b := &ex.Request.Body
	var mimeType, text, encoding, params, file gjson.Result
	d.members(post, func(k string, f field) bool {
		switch k {
		case "mimeType":
			firstField(&mimeType, f)
		case "text":
			firstField(&text, f)
		case "encoding":
			firstField(&encoding, f)
		case "params":
			firstField(&params, f)
		case "_file":
			firstField(&file, f)
		}
		return true
	})
	b.MIMEType = d.intern.mediaType(d.view(mimeType))
	switch {
	case text.Type == gjson.String && encoding.Type == gjson.String && strings.EqualFold(encoding.Str, "base64"):
		// Not in HAR 1.2, but exporters that meet a body which is no text
		// write it as content is written (browser extensions, HAR libraries).
		b.Data, b.Truncated = d.base64Text(text)
	case text.Type == gjson.String:
		b.Data, b.Truncated = d.text(text, d.limits.BodyBytes)
	case params.IsArray():
		b.Data, b.Truncated = d.formEncode(params)
	case file.Type == gjson.String:
		// Playwright stores attached request bodies beside the HAR too.
		d.sideFile(b, ex.Ref, d.f.str(file))
	}
	if b.Size < 0 && !b.Truncated && (b.Data != nil || text.Exists()) {
		b.Size = int64(len(b.Data))
	}
	return ""
}

func (d *decoder) response(ex *model.Exchange, resp gjson.Result) (string, gjson.Result) {
	d.mem.resp = model.Response{}
	out := &d.mem.resp
	var content, cookies gjson.Result
	var bad string
	d.members(resp, func(k string, f field) bool {
		switch k {
		case "status":
			v := f.value()
			n := numOf(v)
			switch {
			case v.Type == gjson.Number && n >= 0 && n < 1000:
				out.Status = int(n)
			case v.Type == gjson.Number && n == -1:
				// Playwright's failed request: no response, status left 0.
			case v.Type == gjson.Null:
			default:
				bad = "response.status is not a status code"
			}
		case "_failureText", "_error":
			// Playwright and Chrome say why a request got no answer.
			if v := f.value(); v.Type == gjson.String {
				ex.Failure = boundText(d.f.str(v), 200)
			}
		case "statusText":
			out.StatusText = d.istr(f.value())
		case "httpVersion":
			out.Proto = d.intern.proto(d.view(f.value()))
		case "headers":
			out.Headers, bad = d.headers(f.value(), "response.headers", ex.Ref)
		case "content":
			content = f.value()
		case "cookies":
			cookies = f.value()
		}
		return bad == ""
	})
	if bad != "" {
		return bad, content
	}
	out.Headers = d.arrayCookies(out.Headers, cookies, true)
	ex.Response = out
	return "", content
}

// responseBody decodes content.text (base64 when content.encoding says so)
// or reads Playwright's content._file, keeping at most Limits.BodyBytes.
func (d *decoder) responseBody(ex *model.Exchange, ref string, content gjson.Result) {
	b := &ex.Response.Body
	b.Size = -1
	if !content.IsObject() {
		return
	}
	var size, mimeType, text, encoding, file gjson.Result
	d.members(content, func(k string, f field) bool {
		switch k {
		case "size":
			firstField(&size, f)
		case "mimeType":
			firstField(&mimeType, f)
		case "text":
			firstField(&text, f)
		case "encoding":
			firstField(&encoding, f)
		case "_file":
			firstField(&file, f)
		}
		return true
	})
	if n, ok := sizeOf(size); ok {
		b.Size = n
	}
	b.MIMEType = d.intern.mediaType(d.view(mimeType))
	if d.skipBody != nil && d.skipBody(b.MIMEType) {
		b.Truncated = true
		return
	}
	if text.Type == gjson.String {
		b64 := encoding.Type == gjson.String && strings.EqualFold(encoding.Str, "base64")
		if d.deferBody(b, text, b64) {
			return
		}
		if b64 {
			b.Data, b.Truncated = d.base64Text(text)
		} else {
			b.Data, b.Truncated = d.text(text, d.limits.BodyBytes)
		}
		if b.Size < 0 && !b.Truncated {
			b.Size = int64(len(b.Data))
		}
		return
	}
	if file.Type == gjson.String {
		d.sideFile(b, ref, d.f.str(file))
	}
}

// base64Text decodes a base64 text member, keeping at most
// Limits.BodyBytes: a bounded prefix is decoded (4 base64 characters give
// 3 bytes).
func (d *decoder) base64Text(text gjson.Result) ([]byte, bool) {
	limit := d.limits.BodyBytes/3*4 + 4
	enc, _, cut := d.content(text, limit)
	if int64(len(enc)) > limit {
		enc, cut = enc[:limit], true
	}
	data, truncated := decodeBase64PrefixInto(d.pool.Get(base64.RawStdEncoding.DecodedLen(len(enc))), enc, d.limits.BodyBytes)
	return data, truncated || cut
}

func (d *decoder) sideFile(b *model.Body, ref, name string) {
	if d.sideFiles == nil {
		d.notes = append(d.notes, pendingNote{once: true, Note: model.Note{Kind: model.NoteSideFile, Ref: ref,
			Message: "response bodies are stored in side files (content._file) that were not provided; bodies left empty"}})
		return
	}
	if !fs.ValidPath(name) {
		d.note(model.NoteSideFile, ref, "content._file is not a plain relative path; body left empty")
		return
	}
	file, err := d.sideFiles.Open(name)
	if err != nil {
		d.note(model.NoteSideFile, ref, "side file %s: %v", name, err)
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, d.limits.BodyBytes+1))
	if err != nil {
		d.note(model.NoteSideFile, ref, "side file %s: %v", name, err)
		return
	}
	if int64(len(data)) > d.limits.BodyBytes {
		data, b.Truncated = data[:d.limits.BodyBytes], true
	}
	b.Data = data
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
		b.Size = st.Size()
	} else if !b.Truncated && b.Size < 0 {
		b.Size = int64(len(data))
	}
}

// arrayCookies adds to h the cookies of a HAR cookies array that no
// Cookie (set false) or Set-Cookie (set true) field of h carries: Firefox,
// sanitizers and some HAR libraries write the cookies array without the
// header, or with the header's values replaced, and a cookie given only
// there is still what the browser sent or was sent. The request's missing
// cookies become one Cookie field; each missing cookie of a response one
// Set-Cookie field, with the attributes the array gives. A cookie whose
// value some field of h holds already (a browser's HAR, which gives both)
// adds nothing.
func (d *decoder) arrayCookies(h model.Headers, arr gjson.Result, set bool) model.Headers {
	if !arr.IsArray() || len(h) >= d.limits.HeaderCount {
		return h
	}
	header := "Cookie"
	if set {
		header = "Set-Cookie"
	}
	var b strings.Builder
	d.each(arr, func(_, c gjson.Result) bool {
		if !c.IsObject() {
			return true
		}
		var name, value, path, domain, expires, sameSite gjson.Result
		httpOnly, secure := false, false
		d.each(c, func(k, v gjson.Result) bool {
			switch k.Str {
			case "name":
				first(&name, v)
			case "value":
				first(&value, v)
			case "path":
				first(&path, v)
			case "domain":
				first(&domain, v)
			case "expires":
				first(&expires, v)
			case "sameSite":
				first(&sameSite, v)
			case "httpOnly":
				httpOnly = v.Type == gjson.True
			case "secure":
				secure = v.Type == gjson.True
			}
			return true
		})
		n, v := d.view(name), d.view(value)
		if name.Type != gjson.String || v == "" || carries(h, header, v) {
			return true
		}
		if int64(b.Len()) > d.limits.HeaderBytes {
			return false
		}
		if !set {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(n + "=" + v)
			return true
		}
		b.Reset()
		b.WriteString(n + "=" + v)
		for _, a := range [...]struct{ name, v string }{{"Path", d.view(path)}, {"Domain", d.view(domain)}, {"SameSite", d.view(sameSite)}} {
			if a.v != "" && !strings.ContainsAny(a.v, ";\r\n") {
				b.WriteString("; " + a.name + "=" + a.v)
			}
		}
		if t := parseTime(d.view(expires)); !t.IsZero() {
			b.WriteString("; Expires=" + t.UTC().Format(http.TimeFormat))
		}
		if secure {
			b.WriteString("; Secure")
		}
		if httpOnly {
			b.WriteString("; HttpOnly")
		}
		if len(h) < d.limits.HeaderCount {
			h = append(h, model.Header{Name: header, Value: b.String()})
		}
		return true
	})
	if !set && b.Len() > 0 {
		h = append(h, model.Header{Name: header, Value: b.String()})
	}
	return h
}

// carries reports a field named name in h whose value holds v.
func carries(h model.Headers, name, v string) bool {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) && strings.Contains(f.Value, v) {
			return true
		}
	}
	return false
}

// headers reads a HAR name/value list in order within the header limits.
func (d *decoder) headers(v gjson.Result, field, ref string) (model.Headers, string) {
	if v.Type == gjson.Null {
		return nil, ""
	}
	if !v.IsArray() {
		return nil, field + " is not an array"
	}
	var out model.Headers
	var size int64
	var bad string
	var limited model.Limit
	// add keeps one header; false stops the list.
	add := func(name, value string) bool {
		size += int64(len(name) + len(value))
		if len(out) >= d.limits.HeaderCount || size > d.limits.HeaderBytes {
			limited = model.LimitHeaderBytes
			if len(out) >= d.limits.HeaderCount {
				limited = model.LimitHeaders
			}
			return false
		}
		out = append(out, model.Header{Name: name, Value: value})
		return true
	}
	// general reads any element.
	general := func(h gjson.Result) bool {
		if !h.IsObject() {
			bad = field + " holds a non-object"
			return false
		}
		name, value, plain := plainHeader(h.Raw, d.intern)
		if !plain {
			var nameV, valueV gjson.Result
			d.each(h, func(k, v gjson.Result) bool {
				switch k.Str {
				case "name":
					first(&nameV, v)
				case "value":
					first(&valueV, v)
				}
				return true
			})
			if nameV.Type != gjson.String {
				bad = field + " holds a header without a name"
				return false
			}
			name, value = d.istr(nameV), d.istr(valueV)
		}
		return add(name, value)
	}
	var memo *headerMemo
	if d.sk != nil {
		memo = &d.sk.memo[0]
		if field != "request.headers" {
			memo = &d.sk.memo[1]
		}
	}
	if d.sk == nil || !d.sk.headers(v, d.intern, d.limits.HeaderCount, d.hpool, &out, memo, add, general) {
		d.each(v, func(_, h gjson.Result) bool { return general(h) })
	}
	if limited != "" {
		d.note(model.NoteLimit, ref, "%s: more than %d fields or %d bytes; the rest dropped", field, d.limits.HeaderCount, d.limits.HeaderBytes)
		d.notes[len(d.notes)-1].Limit = limited
	}
	return out, bad
}

// plainHeader reads the form nearly every header has in the skeleton,
// {"name":"…","value":"…"} with no escape in either string (so no side
// reference either), without gjson: a fifth of the decoding time of a HAR
// of small entries went to walking these objects. Any other form is left
// to the general path, which gives the same result for this one.
func plainHeader(raw string, in *interner) (name, value string, ok bool) {
	const open, mid = `{"name":"`, `","value":"`
	rest, found := strings.CutPrefix(raw, open)
	if !found {
		return "", "", false
	}
	i := strings.IndexAny(rest, `"\`)
	if i < 0 || rest[i] != '"' {
		return "", "", false
	}
	name, rest = rest[:i], rest[i:]
	if rest, found = strings.CutPrefix(rest, mid); !found {
		return "", "", false
	}
	i = strings.IndexAny(rest, `"\`)
	if i < 0 || rest[i] != '"' || rest[i:] != `"}` {
		return "", "", false
	}
	return in.str(name), in.str(rest[:i]), true
}

// numOf is the value of a number: the skeleton leaves Num to be parsed
// when read (most numbers of an entry, headersSize and the like, never
// are); gjson's own results have it already. A zero Num is parsed again,
// which gives zero for a number that is zero.
func numOf(v gjson.Result) float64 {
	if v.Type != gjson.Number || v.Num != 0 {
		return v.Num
	}
	if n, ok := shortDecimal(v.Raw); ok {
		return n
	}
	n, _ := strconv.ParseFloat(v.Raw, 64)
	return n
}

// shortDecimal parses what HARs' numbers nearly always are (a status, a
// size, a time like 115.800): an optional minus, at most 15 digits and at
// most one point, no exponent. The digits are exact in a float64 and so is
// the power of ten, so one division gives the correctly rounded value
// strconv.ParseFloat gives (its own exact fast path); ok is false for
// anything else, which ParseFloat reads.
func shortDecimal(raw string) (float64, bool) {
	i, neg := 0, false
	if i < len(raw) && raw[i] == '-' {
		i, neg = 1, true
	}
	var mant uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(raw); i++ {
		switch c := raw[i]; {
		case '0' <= c && c <= '9':
			if digits == 15 {
				return 0, false
			}
			mant = mant*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f := float64(mant)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}

// pow10 holds the powers of ten shortDecimal divides by, all exact.
var pow10 = [16]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// first keeps the first value of a member, as gjson's Get would: one
// ForEach over an object reads every member Get would have searched for,
// where each Get scans the object again.
func first(dst *gjson.Result, v gjson.Result) {
	if !dst.Exists() {
		*dst = v
	}
}

// firstField is first for a member's value, read only when kept.
func firstField(dst *gjson.Result, f field) {
	if !dst.Exists() {
		*dst = f.value()
	}
}

// sizeOf reads a byte count; negative (Playwright's -1), fractional and
// absurd values mean unknown.
func sizeOf(v gjson.Result) (int64, bool) {
	n := numOf(v)
	if v.Type != gjson.Number || n < 0 || n > 1<<53 || n != math.Trunc(n) {
		return 0, false
	}
	return int64(n), true
}

// normalizeProto spells HTTP versions one way: "http/2.0" and "h2" become
// "HTTP/2", "h3" becomes "HTTP/3"; "unknown" and "" mean unknown.
func normalizeProto(p string) string {
	p = strings.TrimSpace(p)
	switch strings.ToLower(p) {
	case "", "unknown":
		return ""
	case "h2", "h2c":
		return "HTTP/2"
	case "h3":
		return "HTTP/3"
	}
	if len(p) > 5 && strings.EqualFold(p[:5], "http/") {
		v := strings.TrimSuffix(p[5:], ".0")
		if v == "1" {
			v = "1.0"
		}
		return "HTTP/" + v
	}
	return p
}

// parseTime accepts the zone forms seen in real HARs: Z, +01:00, +0100 and
// none (taken as UTC), with 0 to 9 fractional digits, and a space in place
// of the T. Anything else leaves the time unknown.
func parseTime(s string) time.Time {
	for _, layout := range []string{
		time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05",
		"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z0700", "2006-01-02 15:04:05",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// absoluteURL rebuilds an absolute URL from HTTP/2 pseudo-headers or Host
// when a producer recorded only the path.
func absoluteURL(raw string, h model.Headers) string {
	if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return raw
	}
	host := h.Get(":authority")
	if host == "" {
		host = h.Get("Host")
	}
	if host == "" {
		return raw
	}
	scheme := h.Get(":scheme")
	if scheme == "" {
		scheme = "https"
	}
	return scheme + "://" + host + raw
}

func mediaType(v string) string {
	if v == "" {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(v); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// formEncode re-encodes postData.params as an urlencoded form.
func (d *decoder) formEncode(params gjson.Result) ([]byte, bool) {
	limit := d.limits.BodyBytes
	var out []byte
	truncated := false
	d.each(params, func(_, p gjson.Result) bool {
		if len(out) > 0 {
			out = append(out, '&')
		}
		out = append(out, formField(d.f.str(p.Get("name")))...)
		out = append(out, '=')
		out = append(out, formField(d.f.str(p.Get("value")))...)
		if int64(len(out)) > limit {
			out, truncated = out[:limit], true
			return false
		}
		return true
	})
	return out, truncated
}

// formField writes one postData.params name or value into a form. Exporters
// disagree on whether params are decoded: Chrome keeps them as sent
// ("https%3A%2F%2Fapp…", "email%20profile"), Firebug-style HAR 1.1 decoded.
// A field with a %XX escape and nothing a form encoder would have escaped
// is taken as already encoded; escaping it again would turn a redirect_uri
// into a different one.
func formField(s string) string {
	if formEncoded(s) {
		return s
	}
	return url.QueryEscape(s)
}

func formEncoded(s string) bool {
	escaped := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			escaped = true
			i += 2
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '+', c == '*', c == '!', c == '\'', c == '(', c == ')':
			// encodeURIComponent leaves !'()* alone.
		default:
			return false
		}
	}
	return escaped
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// decodeBase64Prefix decodes the longest whole-quantum prefix of enc,
// tolerating the line breaks, URL alphabet and missing padding some
// producers write.
func decodeBase64Prefix(enc []byte, limit int64) ([]byte, bool) {
	return decodeBase64PrefixWith(true, nil, enc, limit)
}

// decodeBase64PrefixInto is decodeBase64Prefix decoding into buf's
// capacity when it is enough.
func decodeBase64PrefixInto(buf, enc []byte, limit int64) ([]byte, bool) {
	return decodeBase64PrefixWith(true, buf, enc, limit)
}

// decodeBase64PrefixWith is decodeBase64Prefix, with or without its
// vectorized first pass (without: the reader before it, FuzzBase64Prefix's
// reference).
func decodeBase64PrefixWith(vectorized bool, buf, enc []byte, limit int64) ([]byte, bool) {
	whole := len(enc) / 4 * 4
	// Room for an unpadded tail too: StdEncoding.DecodedLen counts whole
	// quanta only, and decoding "aGVsbG8" panicked.
	n0 := base64.RawStdEncoding.DecodedLen(len(enc))
	out := buf[:0]
	if cap(out) < n0 {
		out = make([]byte, n0)
	}
	out = out[:n0]
	// The vectorized decoder (a tenth of the time on bodies of images and
	// base64 pages) reads valid blocks and leaves the rest to
	// encoding/base64; when it fails, encoding/base64 decodes it all again,
	// so that damaged bodies keep exactly what they kept before.
	var n int
	err := errNotTried
	if vectorized {
		n, err = fastbase64.StdEncoding.Decode(out, enc[:whole])
	}
	if err != nil {
		n, err = base64.StdEncoding.Decode(out, enc[:whole])
	}
	if err != nil {
		enc = bytes.Map(func(r rune) rune {
			switch r {
			case '\n', '\r', ' ', '\t':
				return -1
			case '-':
				return '+'
			case '_':
				return '/'
			}
			return r
		}, enc)
		whole = len(enc) / 4 * 4
		if n, err = base64.StdEncoding.Decode(out, enc[:whole]); err != nil {
			return out[:min(int64(n), limit)], true // what decoded before the damage
		}
	}
	if tail := bytes.TrimRight(enc[whole:], "="); len(tail) > 1 {
		if m, err := base64.RawStdEncoding.Decode(out[n:], tail); err == nil {
			n += m
		}
	}
	out = out[:n]
	if int64(len(out)) > limit {
		return out[:limit], true
	}
	return out, false
}

// errNotTried stands for a decoding pass that did not run.
var errNotTried = errors.New("not tried")

// text returns at most limit decoded bytes of a string value, owned by the
// caller, and whether the value held more.
func (d *decoder) text(v gjson.Result, limit int64) ([]byte, bool) {
	if sp, ok := d.f.spanOf(v); ok && sp.raw && int64(len(d.f.side[sp.start:sp.end])) <= limit {
		// Unescaped straight into the caller's buffer, not copied out
		// of the arena: the decoded text is never longer than raw.
		raw := d.f.side[sp.start:sp.end]
		return unescapeRaw(d.pool.Get(len(raw)+8), raw), false
	}
	data, view, cut := d.content(v, limit)
	if int64(len(data)) > limit {
		data, cut = data[:limit], true
	}
	if view {
		data = append(d.pool.Get(len(data)), data...)
	}
	return data, cut
}

// content is frame.content, except that a short string of the skeleton
// is not unescaped again: the skeleton's walk did (v.Str), in the same
// way (FuzzStringDecode), and its text is handed out as a view, cut at
// limit. The reference decoder (no skeleton) keeps frame.content.
func (d *decoder) content(v gjson.Result, limit int64) (data []byte, view, cut bool) {
	if d.sk == nil || v.Type != gjson.String {
		return d.f.content(v, limit, d.arena)
	}
	if _, ok := d.f.spanOf(v); ok {
		return d.f.content(v, limit, d.arena)
	}
	s := v.Str
	if int64(len(s)) > limit {
		s, cut = s[:limit], true
	}
	return unsafe.Slice(unsafe.StringData(s), len(s)), true, cut
}

// unescapeBounded decodes the content of a JSON string literal (without
// its quotes), producing at most limit bytes.
func unescapeBounded(s []byte, limit int64) ([]byte, bool) {
	out := make([]byte, 0, min(int64(len(s)), limit))
	for len(s) > 0 && int64(len(out)) < limit {
		i := indexByte(s, '\\')
		if i < 0 {
			i = len(s)
		}
		if i > 0 {
			out = append(out, s[:i]...)
			s = s[i:]
			continue
		}
		n, r, ok := decodeEscape(s)
		if !ok {
			if _, hex := hex4(s); !hex {
				break // a cut escape at the end
			}
			n, r = 6, utf8.RuneError // a high surrogate ends the string
		}
		if r >= 0 {
			out = utf8.AppendRune(out, r)
		}
		s = s[n:]
	}
	if int64(len(out)) > limit {
		return out[:limit], true
	}
	return out, len(s) > 0
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// boundText keeps at most n bytes of a free-text field, cut at a rune.
func boundText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
