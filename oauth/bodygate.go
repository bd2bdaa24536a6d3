package oauth

import (
	"net/url"
	"strings"

	"github.com/traceaudit/traceaudit/model"
)

// BodyGate tells a reader which response bodies Extractor.Exchange may
// read, judged from what is known as each body starts: the request
// (method, URL, headers, body) and the response's status and headers
// (resp.Body.MIMEType set, no data). A reader may skip decoding a body it
// says false for. Like the Extractor, it learns from the trace: ask it
// about every response, in the order the reader meets them. One BodyGate
// serves one trace.
//
// What Exchange reads: a token response needs a token endpoint or a
// grant_type or code among the request's parameters; a discovery document
// a known discovery endpoint; an answer to an authorize request is read
// when it is a page (HTML, or untyped and sniffed), or an error (4xx,
// 5xx); another answer from a provider's host only when it is a page; the
// page an app's failure redirect of a callback leads to (Spring
// Security's /login?error).
// The endpoints and hosts that the Extractor learns from the trace (from
// authorize and token requests, and discovery documents) BodyGate learns
// from the requests alone, errring towards more: a host that was asked
// for an authorize request or a discovery document counts whole, a URL
// asked for a possible token request counts as a token endpoint.
//
// What it cannot know: endpoints a discovery document names on another
// host, and what the Extractor learnt from exchanges it meets in another
// order than the reader (a capture's connections interleave) or that the
// reader did not ask about. The Extractor reports a read of a skipped body
// (SkippedBodyRead), and the caller reads the trace again without
// skipping, so output never depends on BodyGate being right.
type BodyGate struct {
	hosts     map[string]bool // hosts of authorize requests and discovery documents
	endpoints map[string]bool // endpoint keys of possible token and authorize requests
	full      bool            // the tables reached maxGated: every body may matter
}

// maxGated bounds BodyGate's tables; past it every body may matter.
const maxGated = 4096

// NewBodyGate returns a BodyGate that has seen nothing of the trace.
func NewBodyGate() *BodyGate {
	return &BodyGate{hosts: map[string]bool{}, endpoints: map[string]bool{}}
}

// Keys that make a request a possible authorize or token request (see
// Exchange, looksLikeAuthorize and the token cases).
var (
	authorizeKeys = []string{"client_id"}
	tokenKeys     = []string{"grant_type", "code"}
)

// MayMatter reports whether Exchange may read the body of resp, the answer
// to req (req nil when the reader has none: true). Readers ask it also for
// responses without a body, and with resp nil for a request without a
// response: it learns from each request.
func (g *BodyGate) MayMatter(req *model.Request, resp *model.Response) bool {
	if req == nil {
		return true
	}
	if m := req.Method; strings.EqualFold(m, "OPTIONS") || strings.EqualFold(m, "CONNECT") {
		return false // Exchange yields nothing for them
	}
	u, err := url.Parse(req.URL)
	if err != nil || u.Host == "" {
		return false // Exchange yields nothing for it
	}
	prov := ProviderOf(u)
	role := RoleOf(u, prov)
	// As Extractor.idpHosts keys hosts, and as endpoint keys do (default
	// port dropped): the one learnt, the other looked up.
	host, bare := strings.ToLower(u.Host), endpointHost(u)
	key := ""
	// Learn first: what this request teaches the Extractor, it knows when
	// it reads this answer.
	switch {
	case role == RoleDiscovery, role == RoleAuthorize, mayHoldKey(req, u, authorizeKeys):
		g.learn(g.hosts, host)
		g.learn(g.hosts, bare)
	case role == RoleToken, mayHoldKey(req, u, tokenKeys):
		key = endpointKey(u)
		g.learn(g.endpoints, key)
	}
	if resp == nil {
		return false
	}
	if resp.Status >= 300 && resp.Status < 400 && (springCallbackPath(u) || omniAuthCallback(u)) {
		// A callback's failure redirect: the Extractor reads the page it
		// leads to (Extractor.failurePages).
		if lu, err := u.Parse(resp.Headers.Get("Location")); err == nil && (springFailureTarget(u, lu) || deviseFailureTarget(u, lu)) {
			g.learn(g.endpoints, endpointKey(lu))
		}
	}
	mt := resp.Body.MIMEType
	if mt == "" {
		mt = strings.ToLower(resp.Headers.Get("Content-Type"))
	}
	// An error answer costs little to decode, whoever sent it.
	switch {
	case g.full, resp.Status >= 400, role != RoleNone, g.hosts[host], g.hosts[bare]:
		return true
	case mt == "" || strings.Contains(mt, "html"):
		// A page (isHTML sniffs untyped bodies) from a provider's host.
		if prov.Family != model.FamilyGeneric {
			return true
		}
	}
	if len(g.endpoints) == 0 {
		return false
	}
	if key == "" {
		key = endpointKey(u)
	}
	return g.endpoints[key]
}

func (g *BodyGate) learn(m map[string]bool, k string) {
	if len(g.hosts)+len(g.endpoints) >= maxGated {
		g.full = true
		return
	}
	m[k] = true
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
