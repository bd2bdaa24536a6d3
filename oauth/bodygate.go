package oauth

import (
	"net/url"
	"strings"

	"github.com/traceaudit/traceaudit/model"
)

// ResponseBodyMayMatter reports whether Exchange may read the body of resp,
// the answer to req, judged from what a reader knows as the body starts:
// the request (method, URL, headers, body) and the response's status and
// headers (resp.Body.MIMEType set, no data). A reader may skip decoding a
// body it says false for. It errs towards true: a false is certain for
// every Extractor state but one, the URL having been learnt as a token
// endpoint (from a discovery document or an earlier token request), which
// makes Exchange read the answer as a token response. That case cannot be
// told before the exchanges ahead of it are extracted; the Extractor
// reports it (SkippedBodyRead) so the caller can read the trace again
// without skipping. req nil (a response without its request) is true.
//
// What Exchange reads, and why false is safe elsewhere: a token response
// needs a grant_type or a code among the request's parameters, or a token
// endpoint; discovery, a known endpoint; an authorize request's answer is
// read when it is HTML, has no media type, or is an error (4xx, 5xx); an
// answer from a provider's host only when HTML or untyped. Every one of
// those says true here.
func ResponseBodyMayMatter(req *model.Request, resp *model.Response) bool {
	if resp == nil {
		return false
	}
	if req == nil {
		return true
	}
	if m := req.Method; strings.EqualFold(m, "OPTIONS") || strings.EqualFold(m, "CONNECT") {
		return false // Exchange yields nothing for them
	}
	mt := resp.Body.MIMEType
	if mt == "" {
		mt = strings.ToLower(resp.Headers.Get("Content-Type"))
	}
	// Pages (form_post, post_message, error pages) and untyped bodies
	// (isHTML sniffs them), and any error answer.
	if mt == "" || strings.Contains(mt, "html") || resp.Status >= 400 {
		return true
	}
	u, err := url.Parse(req.URL)
	if err != nil || u.Host == "" {
		return false // Exchange yields nothing for it
	}
	if RoleOf(u, ProviderOf(u)) != RoleNone {
		return true
	}
	// Without a gate key (grant_type, code, client_id, error) the request
	// is neither a token request nor an authorize request found by its
	// parameters (see Exchange).
	return mayHoldGateKey(req, u)
}

// SkippedBodyRead reports whether some exchange given to Exchange had its
// response body read although the reader skipped it (model.Body.Skipped):
// the events may then differ from those of the trace read whole.
func (x *Extractor) SkippedBodyRead() bool { return x.skippedRead }

// respBody is the response body's data, noting a read of a skipped body.
// Every read of a response body in this package goes through it.
func (x *Extractor) respBody(r *model.Response) []byte {
	if r.Body.Skipped {
		x.skippedRead = true
	}
	return r.Body.Data
}
