package rules

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Exchange is what the rules read of an exchange: where and when it was,
// its method, URL and status, and the header fields of the cookie and
// redirect checks. A trace whose every exchange makes an OAuth event keeps
// all of them while the rules run (65,000 in issue 18's worst capture):
// this is 144 bytes where a model.Exchange and its response are 432, and
// the URL is mostly shared with the exchange kept before (see url).
// NewExchange makes one; a rule that starts reading another field of an
// exchange adds it here (TestExchangeReadsModel and the CLI's
// TestRetainedScanIdentical compare with the model's answers).
type Exchange struct {
	Index int
	Ref   string
	Start time.Time
	// end is End as nanoseconds after Start (endSince), or held in rare.
	end int64

	// The URL (read it with URL) is url followed by urlTail. In a slab
	// (ExchangeSlab.Keep) url is the start this URL shares with one kept
	// before it, a part of that one's string, and urlTail a copy of the
	// rest: the 65,000 authorize URLs of a capture differ in their state
	// alone, and each held 160 bytes of its own, 9 MiB in all.
	url, urlTail string

	// rare holds the app instance and the header fields the rules read,
	// which most exchanges of a trace with many lack (a capture of 65,000
	// authorize requests has none), and what the fields below cannot
	// hold: nil then, 32 bytes less each.
	rare *exchangeRare
	// status is Status when it fits (statusRare otherwise).
	status int32
	// method is Method as one of methods, or methodRare.
	method uint8
	// Responded: the trace holds a response (model.Exchange.Response).
	Responded bool
	Tunnel    bool
	flags     exchangeFlags
}

// exchangeFlags are an Exchange's own flags, in one byte: the exchange is
// 104 bytes where Method, Status and End as the model has them made it 144
// (a capture keeps 65,000).
type exchangeFlags uint8

const (
	cookiesFlag   exchangeFlags = 1 << iota // model.Exchange.CarriesCookies
	mayTokensFlag                           // secret.MayHaveURLTokens of the URL
	endSince                                // End is Start plus end nanoseconds
	statusRare                              // Status is rare.status
)

// methods are the methods an exchange keeps as their position.
var methods = [...]string{"", "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT"}

// methodRare is the method position of one kept in rare.
const methodRare = uint8(len(methods))

// Method is the request's method (model.Request.Method).
func (x *Exchange) Method() string {
	if x.method == methodRare {
		return x.rare.method
	}
	return methods[x.method]
}

// Status is the response's status, 0 without a response.
func (x *Exchange) Status() int {
	if x.flags&statusRare != 0 {
		return x.rare.status
	}
	return int(x.status)
}

// End is when the exchange ended (model.Exchange.End).
func (x *Exchange) End() time.Time {
	switch {
	case x.flags&endSince != 0:
		return x.Start.Add(time.Duration(x.end))
	case x.rare != nil:
		return x.rare.end
	}
	return time.Time{}
}

// URL is the request's URL (model.Request.URL).
func (x *Exchange) URL() string {
	if x.urlTail == "" {
		return x.url
	}
	return x.url + x.urlTail
}

// MayHaveURLTokens is secret.MayHaveURLTokens(x.URL()).
func (x *Exchange) MayHaveURLTokens() bool { return x.flags&mayTokensFlag != 0 }

type exchangeRare struct {
	// instance is model.Exchange.Instance: the app instance that served it.
	instance string
	// trace is model.Exchange.Trace: the input of a case it was read
	// from.
	trace int
	// fields are the request's Cookie fields (see ExchangeSlab.Keep) and
	// the response's Set-Cookie and Location fields, as the trace has
	// them: no name is read on both sides.
	fields model.Headers
	// method, status and end are Method, Status and End when the
	// Exchange's own fields cannot hold them.
	method string
	status int
	end    time.Time
}

// Instance is model.Exchange.Instance: the app instance that served it.
func (x *Exchange) Instance() string {
	if x.rare == nil {
		return ""
	}
	return x.rare.instance
}

// Trace is model.Exchange.Trace, the input of a case the exchange was read
// from (0 outside a case), for an exchange that carries cookies; 0 for
// others, whose cookie values no rule compares.
func (x *Exchange) Trace() int {
	if x.rare == nil {
		return 0
	}
	return x.rare.trace
}

func (x *Exchange) fields() model.Headers {
	if x.rare == nil {
		return nil
	}
	return x.rare.fields
}

// NewExchange copies what the rules read of ex.
func NewExchange(ex *model.Exchange) Exchange { return newExchange(ex, true) }

func newExchange(ex *model.Exchange, requestCookies bool) Exchange {
	x := Exchange{
		Index: ex.Index, Ref: ex.Ref, Start: ex.Start, url: ex.Request.URL,
		Responded: ex.Response != nil, Tunnel: ex.Tunnel,
	}
	rare := func() *exchangeRare {
		if x.rare == nil {
			x.rare = &exchangeRare{}
		}
		return x.rare
	}
	if ex.CarriesCookies() {
		x.flags |= cookiesFlag
	}
	if secret.MayHaveURLTokens(ex.Request.URL) {
		x.flags |= mayTokensFlag
	}
	x.method = methodRare
	for i, m := range methods {
		if m == ex.Request.Method {
			x.method = uint8(i)
			break
		}
	}
	if x.method == methodRare {
		rare().method = ex.Request.Method
	}
	if st := ex.Status(); int(int32(st)) == st {
		x.status = int32(st)
	} else {
		x.flags |= statusRare
		rare().status = st
	}
	// End is kept as its distance from Start when that gives it back as
	// it was, location included: the end of a trace's exchange is on the
	// start's clock.
	if !ex.End.IsZero() {
		if d := ex.End.Sub(ex.Start); !ex.Start.IsZero() && ex.Start.Add(d) == ex.End {
			x.end = int64(d)
			x.flags |= endSince
		} else {
			rare().end = ex.End
		}
	}
	if ex.Instance != "" {
		rare().instance = ex.Instance
	}
	if ex.Trace != 0 && ex.CarriesCookies() {
		// Read only to compare cookie values (sameCookieValue): kept
		// for exchanges with cookies, which keep their fields in rare
		// anyway.
		rare().trace = ex.Trace
	}
	n := 0
	if requestCookies {
		n = count(ex.Request.Headers, "Cookie")
	}
	// A redirect's Referer: the page whose navigation it continues
	// (navigationTx), kept only beside a Location, which already gives
	// the exchange its rare part.
	referer := ex.Response != nil && count(ex.Response.Headers, "Location") > 0
	if ex.Response != nil {
		n += count(ex.Response.Headers, "Set-Cookie", "Location")
	}
	if referer {
		n += count(ex.Request.Headers, "Referer")
	}
	// A CORS preflight keeps what it asked and what it was allowed
	// (Preflight): a browser that sends no request after a refused
	// preflight records that request with no Origin and no answer.
	preflight := IsPreflight(ex)
	if preflight {
		n += count(ex.Request.Headers, preflightAsks...)
		if ex.Response != nil {
			n += count(ex.Response.Headers, preflightAllows...)
		}
	}
	if n == 0 {
		return x
	}
	f := make(model.Headers, 0, n)
	if requestCookies {
		f = appendFields(f, ex.Request.Headers, "Cookie")
	}
	if referer {
		f = appendFields(f, ex.Request.Headers, "Referer")
	}
	if ex.Response != nil {
		f = appendFields(f, ex.Response.Headers, "Set-Cookie", "Location")
	}
	if preflight {
		f = appendFields(f, ex.Request.Headers, preflightAsks...)
		if ex.Response != nil {
			f = appendFields(f, ex.Response.Headers, preflightAllows...)
		}
	}
	rare().fields = f
	return x
}

// preflightAsks are the request fields of a CORS preflight the rules read,
// preflightAllows its answer's.
var (
	preflightAsks   = []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"}
	preflightAllows = []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"}
)

// PreflightHeaders are the header fields of a CORS preflight the rules
// read, for a caller that keeps exchanges trimmed to what the rules read.
func PreflightHeaders() []string {
	return append(append([]string(nil), preflightAsks...), preflightAllows...)
}

// IsPreflight reports whether ex is a CORS preflight: an OPTIONS request
// with Access-Control-Request-Method.
func IsPreflight(ex *model.Exchange) bool {
	return strings.EqualFold(ex.Request.Method, "OPTIONS") && ex.Request.Headers.Get("Access-Control-Request-Method") != ""
}

// Preflight is what a CORS preflight asked and what its answer allowed.
type Preflight struct {
	Ref                       string
	Status                    int
	Origin, Method, Headers   string // Origin, Access-Control-Request-Method and -Headers
	AllowOrigin, AllowMethods string // the answer's Access-Control-Allow-Origin and -Methods
	AllowHeaders              string // the answer's Access-Control-Allow-Headers
}

// preflight is x as a CORS preflight, false when it is none.
func (x *Exchange) preflight() (Preflight, bool) {
	if x.Method() != "OPTIONS" {
		return Preflight{}, false
	}
	h := x.fields()
	p := Preflight{Ref: x.Ref, Origin: h.Get("Origin"), Method: h.Get("Access-Control-Request-Method"),
		Headers: h.Get("Access-Control-Request-Headers")}
	if p.Method == "" {
		return Preflight{}, false
	}
	if x.Answered() {
		p.Status = x.Status()
		p.AllowOrigin, p.AllowMethods, p.AllowHeaders = h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers")
	}
	return p, true
}

// Refusal says why the preflight's answer keeps the browser from sending
// the request it asked about, "" when it allows it (or has no answer).
// The Fetch standard's CORS check: an ok status, the origin allowed, every
// requested header allowed (by name or "*"); the method need not be listed
// when it is a simple one (GET, HEAD, POST).
func (p Preflight) Refusal() string {
	if p.Status == 0 {
		return ""
	}
	if p.Status < 200 || p.Status > 299 {
		return fmt.Sprintf("the provider answered the preflight HTTP %d, not a success", p.Status)
	}
	allowed := map[string]bool{}
	for _, h := range strings.Split(p.AllowHeaders, ",") {
		allowed[strings.ToLower(strings.TrimSpace(h))] = true
	}
	var refused []string
	for _, h := range strings.Split(p.Headers, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" && !allowed[h] && !allowed["*"] {
			refused = append(refused, h)
		}
	}
	ao := strings.TrimSpace(p.AllowOrigin)
	switch {
	case ao == "" && strings.TrimSpace(p.AllowHeaders) == "" && len(refused) > 0:
		// A server that refuses a preflight answers it without any CORS
		// field, whichever part it refused (Go's rs/cors, which
		// zitadel/oidc's OP uses, does).
		return fmt.Sprintf("the page asked to send the request header %s, and the provider's answer (HTTP %d) carries no CORS field at all (no Access-Control-Allow-Origin, no Access-Control-Allow-Headers): it refused that header or the origin", strings.Join(refused, ", "), p.Status)
	case ao == "":
		return fmt.Sprintf("the provider's answer (HTTP %d) has no Access-Control-Allow-Origin", p.Status)
	case ao != "*" && !strings.EqualFold(ao, p.Origin):
		return fmt.Sprintf("the provider's answer (HTTP %d) allows the origin %q, not %s", p.Status, ao, p.Origin)
	case len(refused) > 0:
		allows := "no Access-Control-Allow-Headers"
		if strings.TrimSpace(p.AllowHeaders) != "" {
			allows = fmt.Sprintf("Access-Control-Allow-Headers %q", p.AllowHeaders)
		}
		return fmt.Sprintf("the page asked to send the request header %s and the provider's answer (HTTP %d, %s) does not allow it", strings.Join(refused, ", "), p.Status, allows)
	}
	m := strings.ToUpper(p.Method)
	if m != "GET" && m != "HEAD" && m != "POST" && !strings.Contains(strings.ToUpper(p.AllowMethods), m) {
		return fmt.Sprintf("the provider's answer (HTTP %d) does not allow the method %s", p.Status, m)
	}
	return ""
}

func count(h model.Headers, names ...string) int {
	n := 0
	for _, f := range h {
		if oneOf(f.Name, names) {
			n++
		}
	}
	return n
}

func appendFields(dst, h model.Headers, names ...string) model.Headers {
	for _, f := range h {
		if oneOf(f.Name, names) {
			dst = append(dst, f)
		}
	}
	return dst
}

func oneOf(name string, names []string) bool {
	for _, n := range names {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}

// Answered is model.Exchange.Answered.
func (x *Exchange) Answered() bool { return x.Responded && x.Status() > 0 }

// CarriesCookies is model.Exchange.CarriesCookies.
func (x *Exchange) CarriesCookies() bool { return x.flags&cookiesFlag != 0 }

// Location is model.Exchange.Location.
func (x *Exchange) Location() *url.URL {
	if !x.Responded {
		return nil
	}
	return model.ResolveLocation(x.URL(), x.fields().Get("Location"))
}

// Referer is the request's Referer field when the response redirects (has
// a Location), "" otherwise.
func (x *Exchange) Referer() string {
	if !x.Responded {
		return ""
	}
	return x.fields().Get("Referer")
}

// SetCookies is model.Response.SetCookies of the exchange's response.
func (x *Exchange) SetCookies() []*http.Cookie {
	if !x.Responded {
		return nil
	}
	return model.ParseSetCookies(x.fields())
}

// Cookies is model.Request.Cookies of the exchange's request; an
// exchange kept without a callback (ExchangeSlab.Keep) has none.
func (x *Exchange) Cookies() []*http.Cookie { return model.ParseCookies(x.fields()) }

// exchangeChunk exchanges share an allocation of about 64 KiB.
var exchangeChunk = (64 << 10) / int(unsafe.Sizeof(Exchange{}))

// ExchangeSlab holds compact copies of exchanges, many to an allocation.
type ExchangeSlab struct {
	slab []Exchange
	// bases are the last URLs kept whole, replaced in turn: the URLs after
	// them keep the start they share with the one they share most with as
	// a part of it (Exchange.url). Several, because requests alternate
	// between a few clients, endpoints or hosts.
	bases [urlBases]string
	next  int
}

const (
	urlBases = 8
	// urlShareMin is the shortest start of a URL kept as a part of a
	// base: below it the copy of the rest saves too little.
	urlShareMin = 24
)

// shares reports whether a URL of n bytes keeps the first k as a part of
// a base: when they are most of it. Otherwise it becomes a base itself,
// so that the URLs of another client, whose start is shared in part,
// share with it.
func shares(k, n int) bool { return k >= urlShareMin && n-k <= n/4 }

// Keep copies what the rules read of ex, whose events are evs, and returns
// the copy. The request's cookies are read only where a callback arrived
// (cookieHolding): other exchanges keep only whether they carried any. A
// capture whose 65,000 authorize requests each send a cookie otherwise
// keeps them all.
func (s *ExchangeSlab) Keep(ex *model.Exchange, evs []model.Event) *Exchange {
	callback := false
	for i := range evs {
		callback = callback || evs[i].Kind == model.Callback
	}
	return s.keep(ex, callback)
}

func (s *ExchangeSlab) keep(ex *model.Exchange, requestCookies bool) *Exchange {
	if len(s.slab) == cap(s.slab) {
		n := exchangeChunk
		if s.slab == nil {
			n = 16 // traces with few OAuth exchanges hold little
		}
		s.slab = make([]Exchange, 0, n)
	}
	s.slab = append(s.slab, newExchange(ex, requestCookies))
	x := &s.slab[len(s.slab)-1]
	u := x.url
	n, base := 0, ""
	for _, b := range s.bases {
		if k := commonPrefix(u, b); k > n {
			n, base = k, b
		}
	}
	switch {
	case n == len(u):
		x.url = base[:n]
	case shares(n, len(u)):
		x.url, x.urlTail = base[:n], strings.Clone(u[n:])
	default:
		s.bases[s.next] = u
		s.next = (s.next + 1) % urlBases
	}
	return x
}

// commonPrefix is the length of the longest start a and b share.
func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// compact is the rules' view of a list of model exchanges, nil where the
// list has a nil.
func compact(exs []*model.Exchange) []*Exchange {
	if exs == nil {
		return nil
	}
	var s ExchangeSlab
	out := make([]*Exchange, len(exs))
	for i, ex := range exs {
		if ex != nil {
			out[i] = s.keep(ex, true)
		}
	}
	return out
}
