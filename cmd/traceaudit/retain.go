package main

import (
	"net/url"
	"strings"

	"github.com/traceaudit/traceaudit/parse"
)

// retainer decides which exchanges are kept whole for the rules once their
// events are extracted. The rules read only a few: the exchange an event
// came from (evidence, callbacks' cookies and redirects), the app's
// redirects with a Location header before an authorize request (the
// transient cookies they set), requests whose URL query carries a token,
// and whether the trace has any cookie at all. Everything else is dropped
// as it is read, so memory grows with the OAuth traffic of a trace, not
// with its number of entries. A dropped exchange leaves a nil in the rules'
// list, so positions (the rules look a bounded number of exchanges back)
// stay what they were.
//
// When a rule starts reading other exchanges, this must learn about it:
// TestRetainedScanIdentical compares scans with and without retention on
// every trace in the repository.
type retainer struct {
	all    bool // keep everything (the test's reference path)
	cookie bool // an exchange with a cookie was kept
}

func (r *retainer) keep(ex *parse.Exchange, events int) bool {
	switch {
	case r.all, events > 0:
		return true
	case ex.Response != nil && ex.Response.Headers.Has("Location"):
		return true
	case queryCarriesToken(ex.Request.URL):
		return true
	}
	// One exchange with a cookie is enough for "the trace has cookies".
	if !r.cookie && (ex.Request.Headers.Has("Cookie") || ex.Response != nil && ex.Response.Headers.Has("Set-Cookie")) {
		r.cookie = true
		return true
	}
	return false
}

// queryCarriesToken reports whether the URL's query has a non-empty
// access_token, id_token or refresh_token (the token-in-url rule's
// parameters). Queries without "token" or an escape cannot, and are
// answered without parsing.
func queryCarriesToken(raw string) bool {
	_, query, ok := strings.Cut(raw, "?")
	if !ok || !strings.Contains(query, "%") && !strings.Contains(strings.ToLower(query), "token") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	q := u.Query()
	return q.Get("access_token") != "" || q.Get("id_token") != "" || q.Get("refresh_token") != ""
}
