package model

import (
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Format names the kind of trace an exchange came from, as the JSON contract
// spells it.
type Format string

const (
	FormatHAR  Format = "har"
	FormatSAZ  Format = "saz"
	FormatPCAP Format = "pcap"
)

// Header is one HTTP header field as it appeared on the wire (or in the
// trace), name case preserved.
type Header struct {
	Name  string
	Value string
}

// Headers keeps header fields in their original order; lookups are
// case-insensitive as HTTP requires.
type Headers []Header

// Get returns the first value of the named header, or "".
func (h Headers) Get(name string) string {
	lo, hi := foldLens(name)
	for _, f := range h {
		if n := len(f.Name); lo <= n && n <= hi && strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Values returns every value of the named header in order.
func (h Headers) Values(name string) []string {
	var out []string
	lo, hi := foldLens(name)
	for _, f := range h {
		if n := len(f.Name); lo <= n && n <= hi && strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// Has reports whether the named header is present.
func (h Headers) Has(name string) bool {
	lo, hi := foldLens(name)
	for _, f := range h {
		if n := len(f.Name); lo <= n && n <= hi && strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// foldLens bounds the length of a text strings.EqualFold can find equal to
// name, so that a lookup compares only the field names of such a length
// (most differ in it: a request's fields were a third of a scan's calls to
// EqualFold). For an ASCII name, its letters match themselves in either
// case, and beyond ASCII only the Kelvin sign (3 bytes) folds to k and the
// long s (2 bytes) to s (TestFoldLens checks every rune); any other name
// is not bounded.
func foldLens(name string) (lo, hi int) {
	extra := 0
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case 'k', 'K':
			extra += 2
		case 's', 'S':
			extra++
		default:
			if name[i] >= utf8.RuneSelf {
				return 0, math.MaxInt
			}
		}
	}
	return len(name), len(name) + extra
}

// Body is a message body: its declared or observed size and a bounded copy of
// its decoded bytes. Readers keep at most Limits.BodyBytes of it; OAuth
// messages (form posts, JSON token responses, form_post pages, error pages)
// are far smaller than that.
type Body struct {
	// Size is the body's size in bytes as the trace gives it, -1 if unknown.
	Size int64
	// Data holds the (content-decoded) bytes kept, possibly fewer than Size.
	Data []byte
	// Truncated is set when Data holds less than the whole body.
	Truncated bool
	// Skipped is set when the reader was asked not to keep or decode this
	// body (a reader's SkipBody option): Data is empty whatever the body
	// held. The OAuth extractor reports reading such a body, so that a
	// caller that skipped it can read the trace again with it.
	Skipped bool
	// MIMEType is the body's media type without parameters, lower case.
	MIMEType string
}

// Request is the request half of an exchange.
type Request struct {
	Method string
	// URL is absolute (scheme://host/path?query), as the client asked for it.
	URL     string
	Proto   string // "HTTP/1.1", "HTTP/2", "h3", ...; "" when unknown
	Headers Headers
	Body    Body
}

// Response is the response half of an exchange.
type Response struct {
	Status     int // 0 when the trace holds no status
	StatusText string
	Proto      string
	Headers    Headers
	Body       Body
}

// Exchange is one HTTP request and, when captured, its response.
type Exchange struct {
	// Index is the exchange's 0-based position in the order the reader
	// produced it (source order).
	Index int
	// Ref locates the exchange in its source as the contract spells it:
	// "entries[12]" (HAR), "session 5" (SAZ), "frame 1234" (pcap).
	Ref string
	// Start is when the request began; End when the response completed
	// (zero when unknown).
	Start time.Time
	End   time.Time

	Request  Request
	Response *Response // nil when no response was captured

	// Conn identifies the transport connection when the trace knows it
	// (HAR "connection", SAZ client port, pcap TCP 4-tuple).
	Conn string
	// Page groups exchanges of one page or tab (HAR pageref, SAZ process).
	Page string
	// Process is the originating process when known (SAZ x-processinfo).
	Process string
	// Instance is the app instance that served the request (its address
	// behind a proxy), known when a proxy's backend-side capture is read
	// with the browser's trace (scan --case); "" otherwise.
	Instance string
	// Trace numbers the input of a case (scan --case) the exchange was
	// read from, from 1; 0 outside a case, where every exchange is of one
	// file. A sanitized copy's masks (secret.MaskOrdinal) are equal for
	// one value only within one file.
	Trace int
	// Tunnel marks CONNECT tunnels and similar non-HTTP-content sessions
	// that readers keep for completeness but rules ignore.
	Tunnel bool
	// Comment is the trace's free-text comment for the exchange (HAR
	// "comment", SAZ ui-comments), used by tests to hold expectations.
	Comment string
	// Failure is the client's reason the request got no answer, when the
	// trace records one (Chrome "_error" such as "net::ERR_FAILED",
	// Playwright "_failureText"): blocked by CORS, a network error, aborted.
	// The response is then nil or has status 0.
	Failure string
}

// Answered reports whether the trace holds a response with a status.
func (e *Exchange) Answered() bool { return e.Response != nil && e.Response.Status > 0 }

// CarriesCookies reports whether the request sends or the response sets a
// cookie (sanitized exports strip them all).
func (e *Exchange) CarriesCookies() bool {
	return e.Request.Headers.Has("Cookie") || e.Response != nil && e.Response.Headers.Has("Set-Cookie")
}

// Location is the response's Location header resolved against the request
// URL (relative redirects are common), or nil when there is none or it does
// not parse.
func (e *Exchange) Location() *url.URL {
	if e.Response == nil {
		return nil
	}
	return ResolveLocation(e.Request.URL, e.Response.Headers.Get("Location"))
}

// ResolveLocation is a Location header's value resolved against the
// request URL, or nil when it is empty or does not parse.
func ResolveLocation(requestURL, loc string) *url.URL {
	if loc == "" {
		return nil
	}
	lu, err := url.Parse(loc)
	if err != nil {
		return nil
	}
	base, err := url.Parse(requestURL)
	if err != nil {
		return lu
	}
	return base.ResolveReference(lu)
}

// SetCookies is every cookie the response sets, with its attributes
// (SameSite, Secure, expiry), as net/http reads Set-Cookie; fields that do
// not parse are left out.
func (r *Response) SetCookies() []*http.Cookie {
	if r == nil {
		return nil
	}
	return ParseSetCookies(r.Headers)
}

// ParseSetCookies is Response.SetCookies of header fields h.
func ParseSetCookies(h Headers) []*http.Cookie {
	var out []*http.Cookie
	for _, v := range h.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(v); err == nil {
			out = append(out, c)
			continue
		}
		// Browsers accept names and values net/http calls invalid (a
		// sanitizer's "rp_tx_sha256:…"): read the attributes of the same
		// line with a stand-in pair, and keep the raw name and value.
		first, attrs, _ := strings.Cut(v, ";")
		name, val, ok := strings.Cut(first, "=")
		if !ok || strings.TrimSpace(name) == "" {
			continue
		}
		c, err := http.ParseSetCookie("x=x;" + attrs)
		if err != nil {
			continue
		}
		c.Name, c.Value, c.Raw = strings.TrimSpace(name), strings.TrimSpace(val), v
		out = append(out, c)
	}
	return out
}

// Cookies is every cookie the request sends, as net/http reads the Cookie
// headers; values are raw, never for output.
func (r *Request) Cookies() []*http.Cookie { return ParseCookies(r.Headers) }

// ParseCookies is Request.Cookies of header fields h.
func ParseCookies(h Headers) []*http.Cookie {
	var out []*http.Cookie
	for _, v := range h.Values("Cookie") {
		cs, err := http.ParseCookie(v)
		if err == nil {
			out = append(out, cs...)
			continue
		}
		// One pair net/http calls invalid rejects the whole header, while
		// browsers send such names and values: split it as they do.
		for _, part := range strings.Split(v, ";") {
			name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && name != "" {
				out = append(out, &http.Cookie{Name: name, Value: val})
			}
		}
	}
	return out
}

// Expired reports whether a Set-Cookie deletes its cookie: an empty value,
// Max-Age zero or negative, or an expiry in the past of the response.
func Expired(c *http.Cookie, at time.Time) bool {
	if c.Value == "" || c.MaxAge < 0 {
		return true
	}
	if !c.Expires.IsZero() && (c.Expires.Year() < 2000 || (!at.IsZero() && c.Expires.Before(at))) {
		return true
	}
	return false
}

// Status returns the response status, or 0 when there is no response.
func (e *Exchange) Status() int {
	if e.Response == nil {
		return 0
	}
	return e.Response.Status
}

// Note records something a reader could not do or chose to skip: damage,
// a limit reached, an undecryptable connection. Notes never carry secrets.
type Note struct {
	Kind    NoteKind
	Ref     string // where it happened, when known
	Message string
	// Limit names the configurable bound the note is about, if any, so
	// the CLI can name the flag that raises it.
	Limit Limit
	// Host is the server a connection's note concerns (TLS server name,
	// tunnel target), when known, so a verdict can name it.
	Host string
	// Conn is the transport connection a note concerns, as Exchange.Conn
	// names it, when the trace knows it: a note without Host (a TLS
	// connection whose ClientHello was not captured, bytes lost from a
	// plain HTTP stream) is tied to a server through the exchanges of the
	// same connection.
	Conn string
}

// Reader is what every trace reader offers: Next returns exchanges in source
// order and io.EOF at the clean end. A damaged input yields what could be
// read, then either a note (recoverable) or a non-EOF error (fatal). Notes
// returns the notes gathered so far.
type Reader interface {
	Next() (*Exchange, error)
	Notes() []Note
}

// ReadAll drains r. It returns the exchanges read before any error.
func ReadAll(r Reader) ([]*Exchange, error) {
	var out []*Exchange
	for {
		ex, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ex)
	}
}

// WithoutQuery is a URL (or a path) without its query and fragment: the
// endpoint the rules, the extractor and compare match on.
func WithoutQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}
