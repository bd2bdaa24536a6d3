package main

import (
	"net/url"
	"strings"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// retainer decides which exchanges are kept whole for the rules once their
// events are extracted. The rules read only a few: the exchange an event
// came from (evidence, callbacks' cookies and redirects), the app's
// redirects with a Location header before an authorize request (the
// transient cookies they set), requests whose URL carries a token, and
// whether the trace has any cookie at all. Everything else is dropped
// as it is read, so memory grows with the OAuth traffic of a trace, not
// with its number of entries. A dropped exchange leaves a nil in the rules'
// list, so positions (the rules look a bounded number of exchanges back)
// stay what they were.
//
// A kept exchange is held as what the rules read of it (rules.Exchange:
// no bodies, and of the header fields only Cookie, Set-Cookie and
// Location); for scan --case, whose incident merge reads more, as a copy
// without the header fields no rule reads (see ruleHeaders). When a rule
// starts reading other exchanges, this must learn about it:
// TestRetainedScanIdentical compares scans with and without retention on
// every trace in the repository.
type retainer struct {
	all    bool // keep everything (the test's reference path)
	cookie bool // an exchange with a cookie was kept
	// whole keeps model exchanges (trimmed copies) instead of what the
	// rules read of them: scan --case, whose incident merge reads more.
	whole bool
	// slab holds the whole exchanges' copies with their responses, many
	// to an allocation (see hold); compact the rules' copies.
	slab    []keptExchange
	compact rules.ExchangeSlab
}

// keptList is the rules' list of exchanges, nil where one was dropped:
// model exchanges (full) for the test's reference path and scan --case,
// what the rules read of them (compact, 128 bytes where an exchange and
// its response are 432) otherwise.
type keptList struct {
	full    []*model.Exchange
	compact []*rules.Exchange
}

func (l *keptList) len() int { return max(len(l.full), len(l.compact)) }

// starts lists when each kept exchange began.
func (l *keptList) starts(n int) []exchangeStart {
	out := make([]exchangeStart, 0, n)
	for _, ex := range l.full {
		if ex != nil {
			out = append(out, exchangeStart{index: ex.Index, start: ex.Start})
		}
	}
	for _, ex := range l.compact {
		if ex != nil {
			out = append(out, exchangeStart{index: ex.Index, start: ex.Start})
		}
	}
	return out
}

// add puts ex (nil when dropped), whose events are evs, at the end of the
// list, as a copy when the retainer keeps copies.
func (r *retainer) add(l *keptList, ex *model.Exchange, evs []model.Event) {
	switch {
	case r.all:
		l.full = append(l.full, ex)
	case r.whole:
		if ex != nil {
			r.trim(ex)
			ex = r.hold(ex)
		}
		l.full = append(l.full, ex)
	case ex == nil:
		l.compact = append(l.compact, nil)
	default:
		l.compact = append(l.compact, r.compact.Keep(ex, evs))
	}
}

// keptExchange is a kept exchange and its response in one object: the
// reader's two allocations round up to 448 bytes.
type keptExchange struct {
	ex   model.Exchange
	resp model.Response
}

// keptChunk exchanges share an allocation of about 64 KiB (a size the
// allocator rounds by pages, not by size class); the first chunk is small
// so that traces with few OAuth exchanges hold little.
var keptChunk = (64 << 10) / int(unsafe.Sizeof(keptExchange{}))

const keptFirstChunk = 16

// hold returns a copy of a kept (and trimmed) exchange stored in the slab,
// the reader's own exchange left to the collector. The copy is whole, so
// the rules read the same fields.
func (r *retainer) hold(ex *model.Exchange) *model.Exchange {
	if len(r.slab) == cap(r.slab) {
		n := keptChunk
		if r.slab == nil {
			n = keptFirstChunk
		}
		r.slab = make([]keptExchange, 0, n)
	}
	r.slab = append(r.slab, keptExchange{ex: *ex})
	k := &r.slab[len(r.slab)-1]
	if ex.Response != nil {
		k.resp = *ex.Response
		k.ex.Response = &k.resp
	}
	return &k.ex
}

func (r *retainer) keep(ex *model.Exchange, events int) bool {
	switch {
	case r.all, events > 0:
		return true
	case ex.Response != nil && ex.Response.Headers.Has("Location"):
		return true
	case carriesToken(ex.Request.URL):
		return true
	case rules.IsPreflight(ex):
		// A refused preflight explains a token request the browser
		// never sent (rules.CORSBlocked); preflights are few.
		return true
	}
	// One exchange with a cookie is enough for "the trace has cookies".
	if !r.cookie && ex.CarriesCookies() {
		r.cookie = true
		return true
	}
	return false
}

// carriesToken reports whether the URL carries an access_token, id_token
// or refresh_token, read both as net/url does (the token-in-url rule's
// query check) and as secret.URLTokens does (tolerant, query and fragment):
// whichever a rule uses, the exchange is kept. URLs whose query and
// fragment hold neither "token" nor an escape cannot carry one, and are
// answered without parsing.
func carriesToken(raw string) bool {
	if !secret.MayHaveURLTokens(raw) {
		return false
	}
	if len(secret.URLTokens(raw)) > 0 {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	q := u.Query()
	return q.Get("access_token") != "" || q.Get("id_token") != "" || q.Get("refresh_token") != ""
}

// ruleHeaders are the header fields the rules read of a kept exchange
// (through the model's Cookies, SetCookies and Location, and directly); events
// are extracted before, from the whole exchange.
var ruleHeaders = append([]string{"Cookie", "Set-Cookie", "Location"}, rules.PreflightHeaders()...)

// trim drops the header fields no rule reads from a kept exchange, in an
// exactly sized list: user agents, client hints and the like are most of a
// kept exchange's memory otherwise.
func (r *retainer) trim(ex *model.Exchange) {
	if r.all {
		return
	}
	ex.Request.Headers = onlyRuleHeaders(ex.Request.Headers)
	if ex.Response != nil {
		ex.Response.Headers = onlyRuleHeaders(ex.Response.Headers)
	}
}

func onlyRuleHeaders(h model.Headers) model.Headers {
	read := func(f model.Header) bool {
		for _, name := range ruleHeaders {
			if strings.EqualFold(f.Name, name) {
				return true
			}
		}
		return false
	}
	n := 0
	for _, f := range h {
		if read(f) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make(model.Headers, 0, n)
	for _, f := range h {
		if read(f) {
			out = append(out, f)
		}
	}
	return out
}
