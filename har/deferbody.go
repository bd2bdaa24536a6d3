package har

import (
	"encoding/base64"
	"slices"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/model"
)

// deferredType reports the media types whose bodies Options.DeferPages
// leaves undecoded: HTML pages, most of which nothing reads (a site's own
// pages), but an authorize request's, an error page or a form_post page
// are read whole.
func deferredType(mt string) bool { return strings.Contains(mt, "html") }

// pendingBody is a response body left undecoded under Options.DeferPages:
// its text as the HAR holds it (escapes and all, a copy of its own), until
// the caller resolves it (Reader.ResolveBody).
type pendingBody struct {
	raw         []byte
	base64      bool // content.encoding is base64
	sizeUnknown bool // content.size gave no size: the decoded length is the size
}

// deferBody leaves the response body b undecoded when Options.DeferPages
// allows it: an HTML page whose text is a raw span (framing left it raw)
// short enough that its decoded bytes fit in Limits.BodyBytes whole, so
// that decoding it later gives what responseBody would give now. It marks
// the body skipped (Data empty) until it is resolved.
func (d *decoder) deferBody(b *model.Body, text gjson.Result, b64 bool) bool {
	if !d.deferPages || !deferredType(b.MIMEType) {
		return false
	}
	sp, ok := d.f.spanOf(text)
	if !ok || !sp.raw || int64(sp.end-sp.start) > d.limits.BodyBytes {
		return false
	}
	raw := d.f.side[sp.start:sp.end]
	d.pend = pendingBody{raw: append(d.pool.Get(len(raw)), raw...), base64: b64, sizeUnknown: b.Size < 0}
	b.Skipped, b.Truncated = true, true
	return true
}

// decode returns the body's decoded bytes in a buffer of pool, as
// responseBody decodes a text member (decoder.text, decoder.base64Text):
// the raw text is short enough that neither cuts it.
func (p *pendingBody) decode(pool *bodyPool, limits model.Limits) ([]byte, bool) {
	if !p.base64 {
		return unescapeRaw(pool.Get(len(p.raw)+8), p.raw), false
	}
	enc := unescapeRaw(pool.Get(len(p.raw)+8), p.raw)
	data, truncated := decodeBase64PrefixInto(pool.Get(base64.RawStdEncoding.DecodedLen(len(enc))), enc, limits.BodyBytes)
	pool.Put(enc)
	return data, truncated
}

// leadRoom is the room pendingBody.lead needs in dst.
const leadRoom = 2 * 96

// lead returns the first bytes of the decoded body, about 48 or more
// (fewer for a short body), or none where it cannot tell them cheaply (a
// base64 text that does not start with plain base64 digits), in dst's
// memory (leadRoom bytes of it).
func (p *pendingBody) lead(dst []byte, limits model.Limits) []byte {
	const n = 64 // raw bytes decoded for a lead of at least 48 (but \u escapes)
	var text []byte
	if len(p.raw) <= n+16 {
		text = unescapeRaw(dst[:0], p.raw)
	} else {
		// decodeInto stops short of an escape the window cuts: what it
		// gives is exactly how the decoded text starts.
		text, _, _ = decodeInto(slices.Grow(dst[:0], n+16+8), p.raw[:n+16])
	}
	if !p.base64 {
		return text[:min(len(text), n)]
	}
	text = text[:min(len(text), n)/4*4]
	for _, c := range text {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return nil // padding, spaces, the URL alphabet: decoded otherwise
		}
	}
	// Plain digits decode alike at the start of the whole text, whatever
	// comes after them (decodeBase64PrefixInto keeps what decoded before
	// damage, and maps nothing of these).
	out := dst[len(text):cap(dst)][:0]
	data, _ := decodeBase64PrefixInto(out, text, limits.BodyBytes)
	return data
}

// pendingQueue holds the pending bodies of the exchanges handed out, in
// order, until the caller resolves them: Next adds, ResolveBody takes,
// from any goroutine.
type pendingQueue struct {
	mu   sync.Mutex
	list []pendingEntry
	head int
}

type pendingEntry struct {
	ex   *model.Exchange
	body pendingBody
}

func (q *pendingQueue) push(ex *model.Exchange, b pendingBody) {
	q.mu.Lock()
	if q.head > 0 && q.head >= len(q.list)/2 {
		n := copy(q.list, q.list[q.head:])
		clear(q.list[n:])
		q.list, q.head = q.list[:n], 0
	}
	q.list = append(q.list, pendingEntry{ex, b})
	q.mu.Unlock()
}

// take removes ex's pending body from the queue. Callers resolve in the
// order Next returned the exchanges, so ex is at the head; one resolved
// out of order is found further on.
func (q *pendingQueue) take(ex *model.Exchange) (pendingBody, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := q.head; i < len(q.list); i++ {
		if q.list[i].ex != ex {
			continue
		}
		b := q.list[i].body
		if i == q.head {
			q.list[i] = pendingEntry{}
			q.head++
		} else {
			q.list = append(q.list[:i], q.list[i+1:]...)
			q.list = q.list[:len(q.list):len(q.list)]
		}
		return b, true
	}
	return pendingBody{}, false
}

// ResolveBody decodes the response body Options.DeferPages left undecoded
// in an exchange this reader returned, or leaves it skipped: keep is
// asked with the first bytes of the decoded body (see pendingBody.lead)
// and says whether anybody will read it. Kept, the body is what reading
// without DeferPages gives; not kept, its Data stays empty, Skipped and
// Truncated set (as for a body SkipBody leaves out, Size as the HAR gives
// it), so that a read of it can be told (oauth.Extractor.SkippedBodyRead).
// An exchange without a pending body is left as it is, keep not asked;
// lead is valid during the call only. Call it before the body is read;
// safe while Next runs, not from two goroutines at once.
func (r *Reader) ResolveBody(ex *model.Exchange, keep func(lead []byte) bool) {
	if ex == nil || ex.Response == nil {
		return
	}
	p, ok := r.deferred.take(ex)
	if !ok {
		return
	}
	b := &ex.Response.Body
	if cap(r.leadBuf) < leadRoom {
		r.leadBuf = make([]byte, 0, leadRoom)
	}
	if keep(p.lead(r.leadBuf[:0], r.limits)) {
		b.Data, b.Truncated = p.decode(&r.pool, r.limits)
		b.Skipped = false
		if p.sizeUnknown && !b.Truncated {
			b.Size = int64(len(b.Data))
		}
	}
	r.pool.Put(p.raw)
}
