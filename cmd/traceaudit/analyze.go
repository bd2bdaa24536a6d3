package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// exchangeRow is what the CLI keeps of an exchange once its events are
// extracted: enough for the exchanges listing and for evidence, without
// bodies, so memory does not grow with body sizes.
type exchangeRow struct {
	Index  int
	Ref    string
	Time   time.Time
	Method string
	URL    string
	Status int
	Proto  string
	Tunnel bool
}

// fileResult is everything learned from one input.
type fileResult struct {
	path   string
	format model.Format
	// exchanges are the rows the output needs: every exchange for the
	// exchanges listing (and for events --no-redact and scan --case
	// --no-redact); none for scan, whose rules keep the exchanges that
	// ordering events needs, so memory does not grow with the number of
	// exchanges. exchangeCount counts them all.
	exchanges     []exchangeRow
	exchangeCount int
	// starts are, when exchanges holds only some rows (scan and events
	// without --no-redact), when each exchange with an event began: all
	// that ordering events needs, in a quarter of a row.
	starts []exchangeStart
	// rawURLs are, for scan --no-redact, the raw URLs its findings'
	// evidence shows, by Ref (see evidenceURLs). Every exchange's row was
	// kept for them before: 100,000 rows (22 MiB) for a HAR of 100,000
	// entries holding 10,000 sign-ins, 65,000 for a capture of as many.
	rawURLs map[string]string
	events  []model.Event
	// pending holds the events, in chunks, while scan's rules run (see
	// readExchanges), and for scan's output after them, in the order of
	// order: positions in pending (eventChunks.at), nil for as held.
	// joinEvents makes them events; eachEvent reads either.
	pending *eventChunks
	order   []int
	notes   []model.Note
	scan    *scanResult // set by scan
	err     error       // the input could not be read at all
	// reread: the extractor read a response body the reader skipped
	// (see options.skipResponse), and the trace was read again whole.
	reread bool
	// With scan --case, what the incident merge needs: the exchanges kept
	// for the rules and the events in source order.
	kept      []*model.Exchange
	srcEvents []model.Event
	// bodySecrets are the secrets the exchanges carry or issue by name (a
	// token request's code_verifier, client_secret, code; a Bearer
	// credential; a session cookie; a token an answer issues, or keys a
	// cache by; see appendExchangeSecrets), learnt unless --no-redact: no
	// output shows a body, but the values come back where no name gives
	// them away (a URL's other parameter, a path, an error text), and the
	// events do not know them all.
	bodySecrets secretSet
}

// analyzeInput reads one trace, extracts its OAuth events and, when scanning,
// runs the rules. A panic anywhere below is that file's error, not the
// batch's: one hostile file must not stop a scan of hundreds.
func analyzeInput(in input, o *options, env environment, keys *keyMaterial, cmd string) (res fileResult) {
	runRules := cmd == "scan"
	res.path = in.path
	defer func() {
		if p := recover(); p != nil {
			res.err = fmt.Errorf("internal error while analysing this file (please report it): %v\n%s", p, firstFrames(debug.Stack()))
		}
	}()
	oi, err := openInput(in, env.stdin)
	if err != nil {
		res.err = err
		return res
	}
	defer oi.close()
	res.format = oi.format
	if env.wholeBodies && !o.wholeBodies {
		whole := *o
		whole.wholeBodies = true
		o = &whole
	}
	kept, untimed, o, ok := readInput(oi, in, o, env, keys, cmd, &res)
	if !ok {
		return res
	}
	if runRules {
		// The rules want events in source order, as extracted, and every
		// note (they count undecryptable connections).
		in := rules.Input{Exchanges: kept.full, Kept: kept.compact, Events: res.events, Notes: res.notes}
		if res.pending != nil {
			in.Events, in.EventChunks = nil, res.pending.chunks()
		}
		res.scan = runScanRules(in, o, res.bodySecrets.secrets())
		tlsHint(&res, o)
		if evidenceRowsOnly(cmd, o, env) {
			res.rawURLs = evidenceURLs(res.scan.findings, kept.compact, untimed)
		}
	}
	if o.caseMode {
		res.kept, res.srcEvents = kept.full, slices.Clone(res.events)
	}
	res.notes = finishNotes(res.notes)
	sortExchanges(res.exchanges)
	var starts []exchangeStart
	if !untimed {
		// Events are ordered by their exchanges' times only when every
		// exchange has one; otherwise they keep source order.
		starts = res.starts
		switch {
		case starts != nil:
		case len(res.exchanges) == 0 && kept.len() > 0:
			// The exchanges kept for the rules hold every exchange with
			// an event (see retainer.keep): no list of starts was kept
			// beside them while the rules ran.
			starts = kept.starts(res.eventCount())
		default:
			starts = make([]exchangeStart, 0, len(res.exchanges))
			for _, r := range res.exchanges {
				starts = append(starts, exchangeStart{index: r.Index, start: r.Time})
			}
		}
	}
	kept = keptList{}
	switch {
	case res.pending != nil && len(res.events) == 0:
		// scan: the events stay in the chunks the rules read, and the
		// report reads them in order through a list of their positions:
		// a sorted copy (18 MB for 65,000 events) was the peak of the
		// scan once the rules were done. With many events, a collection
		// first lets go of what the rules held, as before the join, so
		// that the limit the report's memory grows under follows what is
		// left (the 100,000-entry HAR peaked 3.5 MiB higher without it).
		if res.pending.n >= joinCollectAt {
			runtime.GC()
		}
		if !untimed {
			res.order = eventOrder(res.pending, starts)
		}
	default:
		res.joinEvents()
		if !untimed {
			sortEvents(res.events, starts)
		}
	}
	res.starts = nil // only ordering needed them
	return res
}

// readInput reads the trace oi into res (see readExchanges) and lets its
// reader go; ok is false when res holds an error and nothing more is to be
// done; read are the options it was read with (whole bodies after a second
// reading). Reading is a function of its own so that nothing of its frame
// holds the reader while the rules run: on a capture of 65,000 sign-ins the
// reassembly pages and read-ahead buffers (3 MiB) stayed live until
// analyzeInput returned.
func readInput(oi *openedInput, in input, o *options, env environment, keys *keyMaterial, cmd string, res *fileResult) (kept keptList, untimed bool, read *options, ok bool) {
	env.mem.startReading()
	defer env.mem.doneReading()
	r, err := newReader(oi, o, env, keys)
	if err != nil {
		res.err = withReadHint(withLimitHint(err), o, oi.file)
		return keptList{}, false, o, false
	}
	ra := newReadAhead(r)
	defer func() { ra.close() }() // before the file closes, also after a panic
	kept, untimed = readExchanges(ra, res, cmd, o, env)
	ra.close()
	if res.reread {
		// Rare: a URL the trace taught to be a token endpoint answered
		// without a grant in its request. Everything read so far is
		// dropped and the trace read again keeping every body the
		// reader would keep without skipResponse.
		whole := *o
		whole.wholeBodies = true
		o = &whole
		*res = fileResult{path: in.path, format: oi.format, reread: true}
		if _, err := oi.file.Seek(0, io.SeekStart); err != nil {
			res.err = err
			return keptList{}, false, o, false
		}
		if r, err = newReader(oi, o, env, keys); err != nil {
			res.err = withReadHint(withLimitHint(err), o, oi.file)
			return keptList{}, false, o, false
		}
		ra = newReadAhead(r)
		kept, untimed = readExchanges(ra, res, cmd, o, env)
		ra.close()
	}
	if res.err != nil {
		res.joinEvents()
		return keptList{}, false, o, false
	}
	res.notes = append(res.notes, r.Notes()...)
	ra.release()
	return kept, untimed, o, true
}

// eventCount is the number of events read, joined or not.
func (r *fileResult) eventCount() int {
	if r.pending != nil {
		return len(r.events) + r.pending.n
	}
	return len(r.events)
}

// eachEvent yields the events in the order the output lists them, joined
// (events) or still in their chunks (scan: pending, in the order of order).
func (r *fileResult) eachEvent() iter.Seq[*model.Event] {
	return func(yield func(*model.Event) bool) {
		for i := range r.events {
			if !yield(&r.events[i]) {
				return
			}
		}
		c := r.pending
		if c == nil {
			return
		}
		if r.order == nil {
			for i := range c.n {
				if !yield(c.at(i)) {
					return
				}
			}
			return
		}
		for _, i := range r.order {
			if !yield(c.at(i)) {
				return
			}
		}
	}
}

// drainEvents yields the events as eachEvent does, and lets each chunk of
// pending go once every event in it has been yielded: for the last reading
// of a scan's events (the report's timeline), after which no event may be
// read. Joined events are yielded as they are.
func (r *fileResult) drainEvents() iter.Seq[*model.Event] {
	return func(yield func(*model.Event) bool) {
		c := r.pending
		if c == nil || len(r.events) > 0 {
			for e := range r.eachEvent() {
				if !yield(e) {
					return
				}
			}
			return
		}
		// left counts the events of each chunk not yet yielded.
		left := make([]int32, len(c.full)+1)
		for k := range c.full {
			left[k] = eventChunk
		}
		left[len(c.full)] = int32(len(c.cur))
		each := func(i int) bool {
			if !yield(c.at(i)) {
				return false
			}
			k := i / eventChunk
			if left[k]--; left[k] == 0 {
				if k < len(c.full) {
					c.full[k] = nil
				} else {
					c.cur = nil
				}
			}
			return true
		}
		if r.order == nil {
			for i := range c.n {
				if !each(i) {
					return
				}
			}
			return
		}
		for _, i := range r.order {
			if !each(i) {
				return
			}
		}
	}
}

// joinEvents appends the events held in chunks to events.
func (r *fileResult) joinEvents() {
	if r.pending == nil {
		return
	}
	c := r.pending
	r.pending = nil
	// Collect before joining many events: a collection that falls during
	// the join finds every event twice, and with the default pacing the
	// heap then grows to twice that (issue 18: 224 MiB of peak RSS for
	// 65,000 events, 200 with this). What the rules held is let go by
	// then.
	if c.n >= joinCollectAt {
		runtime.GC()
	}
	// The joined slice becomes events as it is: appending it to an empty
	// list would copy every event once more.
	if len(r.events) == 0 {
		r.events = c.all()
	} else {
		r.events = append(r.events, c.all()...)
	}
}

// eventChunks collects events in fixed chunks: an event was 824 bytes, and
// one slice grown by append copied a capture's 65,000 events five times
// over (270 MB per scan).
type eventChunks struct {
	full [][]model.Event
	cur  []model.Event
	n    int
}

// eventChunk is the number of events of a chunk: 1,024 events of 216 bytes
// fill 27 pages of the heap, where 512 left half a page empty in each
// chunk (0.5 MiB of the 13,000-connection capture's 65,000 events).
// TestEventChunkWholePages keeps it so when an event's size changes.
const eventChunk = 1024

func (c *eventChunks) add(evs []model.Event) {
	for _, ev := range evs {
		if len(c.cur) == cap(c.cur) {
			if c.cur != nil {
				c.full = append(c.full, c.cur)
			}
			c.cur = make([]model.Event, 0, eventChunk)
		}
		c.cur = append(c.cur, ev)
		c.n++
	}
}

// joinCollectAt is the number of events (360 bytes each) from which a
// collection runs before they are joined: below it the join costs less than
// the collection.
const joinCollectAt = 8192

// at is the event at position i (0 for the first added): every chunk but
// the last holds eventChunk events.
func (c *eventChunks) at(i int) *model.Event {
	if k := i / eventChunk; k < len(c.full) {
		return &c.full[k][i%eventChunk]
	}
	return &c.cur[i-len(c.full)*eventChunk]
}

// chunks is every event in order, in consecutive slices.
func (c *eventChunks) chunks() [][]model.Event {
	out := make([][]model.Event, 0, len(c.full)+1)
	out = append(out, c.full...)
	if len(c.cur) > 0 {
		out = append(out, c.cur)
	}
	return out
}

// all is every event in order, in one slice of their number.
func (c *eventChunks) all() []model.Event {
	if c.n == 0 {
		return nil
	}
	out := make([]model.Event, 0, c.n)
	// Each chunk is let go once copied: a collection during the copy then
	// does not find every event twice.
	for i, ch := range c.full {
		out = append(out, ch...)
		c.full[i] = nil
	}
	out = append(out, c.cur...)
	c.full, c.cur = nil, nil
	return out
}

// isPartial reports whether a reader error came after readable content that
// is worth keeping (the reader marks it so).
func isPartial(err error) bool {
	var pe *model.Error
	return errors.As(err, &pe)
}

// sortEvents orders events by the start of the exchange each came from,
// keeping extraction order inside an exchange (authorize before the code its
// response issued): a response's own time can trail the next request's start
// by rounding in the trace. A trace without times keeps its source order.
func sortEvents(evs []model.Event, starts []exchangeStart) {
	at, ok := startOf(starts)
	if !ok {
		return
	}
	sort.SliceStable(evs, func(i, j int) bool {
		return at(evs[i].Exchange).Before(at(evs[j].Exchange))
	})
}

// eventOrder is the order sortEvents puts the events held in c in, as
// their positions in c (eventChunks.at); nil when they keep the order they
// are held in. Sorting positions moves 8 bytes where sorting events moved
// 280.
func eventOrder(c *eventChunks, starts []exchangeStart) []int {
	at, ok := startOf(starts)
	if !ok || c.n == 0 {
		return nil
	}
	key := make([]time.Time, c.n)
	order := make([]int, c.n)
	for i := range order {
		order[i] = i
		key[i] = at(c.at(i).Exchange)
	}
	sort.SliceStable(order, func(i, j int) bool {
		return key[order[i]].Before(key[order[j]])
	})
	return order
}

// startOf returns when the exchange of each index began, by starts (the
// zero time for an index starts lacks); ok is false when some exchange has
// no start: events then keep source order.
func startOf(starts []exchangeStart) (at func(index int) time.Time, ok bool) {
	lo, hi := 0, -1
	for _, r := range starts {
		if r.start.IsZero() {
			return nil, false
		}
		lo, hi = min(lo, r.index), max(hi, r.index)
	}
	if lo == 0 && hi < 2*len(starts)+64 {
		// Indexes of exchanges with events are dense enough (a capture
		// whose every exchange makes an event): a list by index, not a
		// map of 65,000 entries looked up a million times.
		start := make([]time.Time, hi+1)
		for _, r := range starts {
			start[r.index] = r.start
		}
		return func(i int) time.Time {
			if i < 0 || i >= len(start) {
				return time.Time{}
			}
			return start[i]
		}, true
	}
	start := make(map[int]time.Time, len(starts))
	for _, r := range starts {
		start[r.index] = r.start
	}
	return func(i int) time.Time { return start[i] }, true
}

// exchangeStart is when the exchange of an event began.
type exchangeStart struct {
	index int
	start time.Time
}

// sortExchanges orders exchanges as the contract asks: by the time requests
// began, source order breaking ties and placing exchanges without a time.
func sortExchanges(rows []exchangeRow) {
	for _, r := range rows {
		if r.Time.IsZero() {
			return // no total order by time: keep source order
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.Index < b.Index
	})
}

// maxBodySecrets bounds what appendBodySecrets keeps of one trace.
const maxBodySecrets = 4096

// appendBodySecrets appends the secrets a request body carries by name: in
// a form-encoded body what secret.RedactURLCollect fingerprints in a
// query, in a JSON object its top-level string members of secret names
// (an app's token request sent as JSON) and the strings under credential
// names at any depth (appendJSONSecrets: Okta's {"credentials":
// {"passcode": …}}, a login's {"user": {"password": …}}), for the
// scrubber of a listing that shows no events.
func appendBodySecrets(dst []secret.Secret, req *model.Request, nc nameCache) []secret.Secret {
	b := req.Body.Data
	if len(b) == 0 || len(dst) >= maxBodySecrets {
		return dst
	}
	b = b[:min(len(b), 1<<20)]
	if t := trimLeftSpace(b); len(t) > 0 && t[0] == '{' {
		return appendJSONSecrets(dst, t, nc, true)
	}
	if bytes.IndexByte(b, '=') < 0 || bytes.ContainsAny(b[:min(len(b), 512)], "{<\n ") {
		return dst
	}
	if mt := strings.ToLower(req.Body.MIMEType + " " + req.Headers.Get("Content-Type")); strings.TrimSpace(mt) != "" && !strings.Contains(mt, "x-www-form-urlencoded") {
		return dst
	}
	// Read in place: what add keeps is cloned by its set (secretSet.addAll)
	// before the body goes back to its pool.
	secret.CollectForm(unsafe.String(&b[0], len(b)), func(v secret.Secret) {
		if len(dst) < maxBodySecrets {
			dst = append(dst, v)
		}
	})
	return dst
}

// trimLeftSpace is bytes.TrimLeft(b, " \t\r\n") (JSON's white space),
// without building the set of those bytes on every call.
func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// issuedMayRead reports whether appendIssuedSecrets may learn from the
// body of resp, whose decoded text starts with lead (see
// har.Reader.ResolveBody): a body that reads as JSON, or a form answer.
// An empty or blank lead may be either.
func issuedMayRead(resp *model.Response, lead []byte) bool {
	t := trimLeftSpace(lead)
	return len(t) == 0 || t[0] == '{' || t[0] == '[' || formAnswer(resp)
}

// appendExchangeSecrets appends the secrets an exchange carries or issues
// by name (appendBodySecrets, appendHeaderSecrets, appendIssuedSecrets), for
// the scrubber of a listing whose events do not know them all: a token an
// API issues in its JSON answer is no event's, yet it comes back in a path
// an api-call event shows.
func appendExchangeSecrets(dst []secret.Secret, ex *model.Exchange, nc nameCache) []secret.Secret {
	dst = appendBodySecrets(dst, &ex.Request, nc)
	dst = appendHeaderSecrets(dst, ex.Request.Headers, nc)
	if ex.Response != nil {
		dst = appendCookieSecrets(dst, ex.Response.Headers, nc)
		dst = appendIssuedSecrets(dst, ex.Response, nc)
	}
	return dst
}

// appendCookieSecrets appends the values of the cookies a response sets
// (Set-Cookie) or a request sends (Cookie) that read as tokens
// (secret.TokenLike): a session cookie's value comes back where no name
// says it is one (a page, a redirect URL's parameter, an error text), and
// the listings show those. Short values, words, numbers, dates, hosts and
// GUIDs ("1", "en-US", "1705315800") are not learnt, or they would be
// fingerprinted wherever they occur. Attributes (Domain, Path, Expires)
// are not cookies.
func appendCookieSecrets(dst []secret.Secret, h model.Headers, nc nameCache) []secret.Secret {
	for _, f := range h {
		k := nc.kind(f.Name)
		set := k&nameSetCookie != 0
		if !set && k&nameCookie == 0 {
			continue
		}
		var ok bool
		if dst, ok = appendCookieValues(dst, f.Value, set); !ok {
			return dst
		}
	}
	return dst
}

// appendCookieValues appends the values of the cookies a Set-Cookie (set)
// or Cookie field's value holds that read as tokens (see
// appendCookieSecrets); false when dst is full.
func appendCookieValues(dst []secret.Secret, value string, set bool) ([]secret.Secret, bool) {
	// Browsers' HAR exports join several Set-Cookie lines with
	// newlines, and some servers several cookies with commas; a
	// comma inside an Expires date leaves no pair to read.
	for _, part := range strings.FieldsFunc(value, func(c rune) bool { return c == ';' || c == '\n' || set && c == ',' }) {
		if len(dst) >= maxBodySecrets {
			return dst, false
		}
		name, v, ok := strings.Cut(part, "=")
		if !ok || set && cookieAttr[strings.ToLower(strings.TrimSpace(name))] {
			continue
		}
		v = strings.TrimSpace(v)
		if n := len(v); n > 2 && v[0] == '"' && v[n-1] == '"' {
			v = v[1 : n-1]
		}
		if secret.TokenLike(v) {
			dst = append(dst, secret.New(v))
		}
	}
	return dst, true
}

// cookieAttr are the Set-Cookie attribute names.
var cookieAttr = map[string]bool{"expires": true, "max-age": true, "domain": true, "path": true, "secure": true,
	"httponly": true, "samesite": true, "priority": true, "partitioned": true, "version": true, "comment": true}

// appendHeaderSecrets appends the credentials a request's headers carry:
// an Authorization (or Proxy-Authorization) credential after its scheme,
// the value of a header named like a credential (X-Api-Key), and the
// cookies that read as tokens (appendCookieSecrets).
func appendHeaderSecrets(dst []secret.Secret, h model.Headers, nc nameCache) []secret.Secret {
	for _, f := range h {
		if len(dst) >= maxBodySecrets {
			break
		}
		k := nc.kind(f.Name)
		switch {
		case k&nameCookie != 0:
			dst, _ = appendCookieValues(dst, f.Value, false)
			continue
		case k&(nameAuthorization|nameCredential|nameSecretHeader) == 0:
			continue
		}
		v := strings.TrimSpace(f.Value)
		if k&nameAuthorization != 0 {
			if _, cred, ok := strings.Cut(v, " "); ok {
				v = strings.TrimSpace(cred)
			}
		}
		if v != "" {
			dst = append(dst, secret.New(v))
		}
	}
	return dst
}

// appendIssuedSecrets appends the secrets an answer issues by name: in a
// JSON body the strings under credential names (access_token,
// refresh_token, sessionToken, client_secret…) at any depth, in a
// form-encoded one (a token answer written as a form) what
// secret.RedactURLCollect fingerprints. A token is sent back later where
// no name tells it is one (a path, another parameter), and the listing,
// which extracts no events, knows it only from here.
func appendIssuedSecrets(dst []secret.Secret, resp *model.Response, nc nameCache) []secret.Secret {
	b := resp.Body.Data
	if len(b) == 0 || len(dst) >= maxBodySecrets {
		return dst
	}
	b = b[:min(len(b), 1<<20)]
	if t := trimLeftSpace(b); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return appendJSONSecrets(dst, t, nc, false)
	}
	if !formAnswer(resp) || bytes.ContainsAny(b[:min(len(b), 512)], "{<\n ") || bytes.IndexByte(b, '=') < 0 {
		return dst
	}
	// Read in place: what add keeps is cloned by its set (secretSet.addAll)
	// before the body goes back to its pool.
	secret.CollectForm(unsafe.String(&b[0], len(b)), func(v secret.Secret) {
		if len(dst) < maxBodySecrets {
			dst = append(dst, v)
		}
	})
	return dst
}

// formAnswer reports an answer whose type lets it be a form (GitHub's
// token endpoint answers application/x-www-form-urlencoded, others
// text/plain or no type): not an image, script or font, whose base64 and
// padding read as pairs too and cost scan more than its rules.
func formAnswer(resp *model.Response) bool {
	mt := strings.ToLower(resp.Body.MIMEType)
	if mt == "" {
		mt = strings.ToLower(resp.Headers.Get("Content-Type"))
	}
	mt, _, _ = strings.Cut(mt, ";")
	mt = strings.TrimSpace(mt)
	return mt == "" || strings.Contains(mt, "form-urlencoded") || mt == "text/plain" || mt == "application/octet-stream"
}

func firstFrames(stack []byte) string {
	const max = 2048
	if len(stack) > max {
		return string(stack[:max]) + "…"
	}
	return string(stack)
}

// evidenceRowsOnly reports whether scan --no-redact keeps no row of its
// own: the raw URLs its findings' evidence shows are taken from the
// exchanges the rules keep (evidenceURLs), the only ones evidence names.
// Not with --case, nor on the tests' reference path, which keep every
// exchange.
func evidenceRowsOnly(cmd string, o *options, env environment) bool {
	return cmd == "scan" && o.noRedact && !o.caseMode && !env.keepAllExchanges
}

// evidenceURLs is, by Ref, the raw URL of each kept exchange the findings'
// evidence names, as the rows of every exchange gave it: for a Ref two
// exchanges share, the later in time (then in Index), or in source order
// when some exchange has no time (see sortExchanges).
func evidenceURLs(findings []rules.Finding, kept []*rules.Exchange, untimed bool) map[string]string {
	refs := map[string]bool{}
	for _, fd := range findings {
		for _, e := range fd.Evidence {
			refs[e.Ref] = true
		}
	}
	if len(refs) == 0 {
		return nil
	}
	last := map[string]*rules.Exchange{}
	for _, x := range kept {
		if x == nil || !refs[x.Ref] {
			continue
		}
		if p, ok := last[x.Ref]; ok && !untimed && (x.Start.Before(p.Start) || (x.Start.Equal(p.Start) && x.Index < p.Index)) {
			continue
		}
		last[x.Ref] = x
	}
	out := make(map[string]string, len(last))
	for ref, x := range last {
		out[ref] = x.URL()
	}
	return out
}

// readExchanges reads every exchange of r into res (event rows, events,
// count) and returns the exchanges kept for the rules (only for scan;
// nil where one was dropped, see retainer) and whether some exchange had no
// start time. A read error before any exchange is res.err.
func readExchanges(r model.Reader, res *fileResult, cmd string, o *options, env environment) (kept keptList, untimed bool) {
	runRules := cmd == "scan"
	// The exchanges listing needs no OAuth events: skip extraction.
	extract := cmd != "exchanges"
	x := oauth.NewExtractor()
	if runRules && !o.caseMode {
		// scan's report reads of a token its fingerprint, its length,
		// whether it equals another, and the scrubber's clues to find
		// it in text: the 10,000 sign-ins of the 100,000-entry bench
		// HAR held 26 MiB of tokens otherwise. With --no-redact too:
		// scan's report shows no token (its findings are scrubbed
		// either way, its timeline shows codes only); --case lists
		// events with their JWT claims.
		x.CompactTokens()
	}
	ret := retainer{all: env.keepAllExchanges, whole: o.caseMode}
	allRows := cmd == "exchanges" || (o.noRedact && !evidenceRowsOnly(cmd, o, env)) || env.keepAllExchanges
	// Bodies are handed back to the reader for reuse once events are
	// extracted: nothing below keeps them (events hold copies, rows and
	// kept exchanges no body). Not on the reference path of the tests,
	// which compare the two.
	var rel bodyReleaser
	var hrel headerReleaser
	var xrel exchangeReleaser
	resolver, _ := r.(bodyResolver)
	// A page the reader left undecoded is decoded when the extractor may
	// read it or the scrubber learn from it (made once: a closure made
	// for each exchange was an allocation each).
	var resolving *model.Exchange
	keepPage := func(lead []byte) bool {
		return extract && x.MayReadResponse(resolving) || issuedMayRead(resolving.Response, lead)
	}
	if !env.keepAllExchanges {
		rel, _ = r.(bodyReleaser)
		hrel, _ = r.(headerReleaser)
		xrel, _ = r.(exchangeReleaser)
	}
	events := &eventChunks{}
	var scratch []model.Event
	lists := make([]model.Headers, 2) // hrel's argument
	defer func() {
		res.pending = events
		// scan's rules read the events in their chunks (rules.Input.
		// EventChunks), which analyzeInput joins after them: joined before,
		// they were held twice while the kept exchanges were held too, the
		// peak of a scan (issue 18). The test's reference path keeps
		// joining first, so that both are compared.
		if !runRules || o.caseMode || env.keepAllExchanges {
			res.joinEvents()
		}
	}()
	for {
		ex, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if res.exchangeCount == 0 && !isPartial(err) {
				res.err = withLimitHint(err)
				return keptList{}, false
			}
			res.notes = append(res.notes, model.Note{Kind: model.NoteDamaged, Message: err.Error()})
			break
		}
		var evs []model.Event
		held := 0 // a pushed authorization request whose event Flush may give
		if resolver != nil {
			resolving = ex
			resolver.ResolveBody(ex, keepPage)
			resolving = nil
		}
		if extract {
			// One list for every exchange's events: they are copied into
			// their chunks, and what reads evs below keeps nothing of it.
			evs = x.AppendExchange(scratch[:0], ex)
			scratch = evs
			if x.SkippedBodyRead() && !o.wholeBodies {
				res.reread = true
				return keptList{}, false
			}
			events.add(evs)
			if x.HeldBack() {
				held = 1
			}
		}
		res.exchangeCount++
		untimed = untimed || ex.Start.IsZero()
		if !o.noRedact {
			res.bodySecrets.addExchange(ex, evs)
		}
		switch {
		case allRows:
			res.exchanges = append(res.exchanges, exchangeRow{
				Index: ex.Index, Ref: ex.Ref, Time: ex.Start, Method: ex.Request.Method,
				URL: ex.Request.URL, Status: ex.Status(), Proto: ex.Request.Proto, Tunnel: ex.Tunnel,
			})
		case len(evs)+held > 0 && !runRules && !o.caseMode:
			// With the rules, the exchange is kept and gives its start.
			res.starts = append(res.starts, exchangeStart{index: ex.Index, start: ex.Start})
		}
		// The header lists go back once the retainer is done with the
		// exchange: what it keeps are copies of fields (trim and the
		// rules' compact exchange make new lists).
		var reqHeaders, respHeaders model.Headers
		if hrel != nil {
			reqHeaders = ex.Request.Headers
			if ex.Response != nil {
				respHeaders = ex.Response.Headers
			}
		}
		if rel != nil {
			rel.Release(ex) // sets the bodies' Data to nil
		}
		read := ex
		if runRules || o.caseMode {
			// Rules read events and exchange metadata, never bodies: drop
			// them so memory stays bounded by the number of exchanges.
			ex.Request.Body.Data = nil
			if ex.Response != nil {
				ex.Response.Body.Data = nil
			}
			if !ret.keep(ex, len(evs)+held) {
				ex = nil // a hole keeps the positions the rules count in
			}
			ret.add(&kept, ex, evs)
		}
		if hrel != nil {
			// Through a list made once: the two lists passed as
			// arguments to the interface's variadic method were a new
			// list on the heap for every exchange.
			lists[0], lists[1] = reqHeaders, respHeaders
			hrel.ReleaseHeaders(lists...)
			lists[0], lists[1] = nil, nil
		}
		// And the exchange itself: the retainer kept a copy (hold, the
		// rules' compact exchange), rows and events copies of fields.
		if xrel != nil {
			xrel.ReleaseExchange(read)
		}
	}
	if extract {
		// What only the trace's end decides: the pushed authorization
		// requests no authorize request named (their exchanges were kept:
		// HeldBack above).
		if evs := x.Flush(scratch[:0]); len(evs) > 0 {
			events.add(evs)
		}
	}
	return kept, untimed
}
