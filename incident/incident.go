// Package incident reads several traces of one incident as one (scan
// --case): a browser HAR shows the callbacks, the app server's capture the
// back-channel redemptions, a proxy's capture what it passed to which
// instance. It aligns the traces' clocks from exchanges seen in more than
// one of them, counts an exchange captured twice once, and hands the rules
// one merged, time-ordered list of exchanges and events. It reads only the
// model (packages model, secret, catalog and oauth).
package incident

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Trace is one input: its exchanges in source order (nil where the reader's
// caller dropped one) and the events extracted from them.
type Trace struct {
	Path      string
	Format    model.Format
	Exchanges []*model.Exchange
	Events    []model.Event
}

// Lanes: where a trace was taken.
const (
	LaneBrowser = "browser" // the browser's own export or capture (HAR, Fiddler, the client machine)
	LaneServer  = "server"  // the app server: callbacks received, back-channel calls sent
	LaneProxy   = "proxy"   // a proxy's backend side: requests passed to several app instances
)

// How a trace's clock offset was found.
const (
	BasisReference = "reference"             // the clock the others are aligned to
	BasisMatched   = "matched exchanges"     // median over exchanges seen in both traces
	BasisDate      = "provider Date headers" // median of the provider's Date minus the capture time
	BasisNone      = "none"                  // shares values but no clock evidence: times kept as they are
)

// Alignment is what the case learnt of one trace.
type Alignment struct {
	Path   string
	Format model.Format
	Lane   string
	// Merged is false for a trace that shares nothing with the others; it
	// is analysed alone.
	Merged bool
	// Offset is added to the trace's capture times to put them on the
	// reference trace's clock.
	Offset time.Duration
	Basis  string
	// Matches counts the exchanges the offset rests on (Basis matched) or
	// the Date headers (Basis date).
	Matches int
	// With is the trace the offset was measured against.
	With string
	// Duplicates counts this trace's exchanges that another trace of the
	// case already holds (counted once).
	Duplicates int
}

// Copy is one place an exchange was captured.
type Copy struct {
	Path   string
	Ref    string
	Time   time.Time // on the reference clock
	Status int
}

// Case is the incident: the merged input for the rules and how it was made.
type Case struct {
	// Merged is set when at least two traces share an exchange or a value
	// (a code, a state, a token, a correlation ID); Why says why not
	// otherwise.
	Merged bool
	Why    string
	Traces []Alignment
	// Exchanges and Events are the merged traces on the reference clock,
	// ordered by time and renumbered (Index), with Ref spelled
	// "<trace label> <ref>" so messages name the file; Origin resolves it.
	Exchanges []*model.Exchange
	Events    []model.Event
	origin    map[string][]Copy
}

// Origin returns where a merged ref came from: the kept copy first, then
// the same exchange in the other traces. ok is false for an unknown ref.
func (c *Case) Origin(ref string) ([]Copy, bool) {
	cs, ok := c.origin[ref]
	return cs, ok
}

// Lanes returns the lane of each merged trace by path.
func (c *Case) Lanes() map[string]string {
	out := map[string]string{}
	for _, t := range c.Traces {
		out[t.Path] = t.Lane
	}
	return out
}

// duplicateWindow is how far apart, once clocks are aligned, two captures of
// one exchange may be: the browser's start and the server's receipt differ
// by the network and a proxy's queue.
const duplicateWindow = 3 * time.Second

// weakWindow is the same for exchanges known only by method and URL.
const weakWindow = time.Second

// unit is one exchange of one trace with its events.
type unit struct {
	trace  int
	ex     *model.Exchange // nil when only events are known
	index  int             // the exchange's Index in its trace
	start  time.Time       // capture time, the trace's own clock
	events []model.Event
	keys   []string // what identifies the exchange across traces; nil: nothing
	// weak identifies an exchange without OAuth events (a page, the
	// app's /login) by method, path and query: enough to count it once
	// when two traces of one client hold it at the same moment, never
	// enough to align clocks or to call traces related.
	weak   []string
	corr   []string // correlation / trace IDs it carries
	dupOf  *unit    // the kept copy when this is a duplicate
	copies []*unit  // duplicates of this kept copy
}

// Merge reads traces as one incident.
func Merge(traces []Trace) *Case {
	units := make([][]*unit, len(traces))
	for i, t := range traces {
		units[i] = unitsOf(i, t)
	}
	c := &Case{origin: map[string][]Copy{}}
	for _, t := range traces {
		c.Traces = append(c.Traces, Alignment{Path: t.Path, Format: t.Format, Lane: laneOf(t)})
	}
	if len(traces) < 2 {
		c.Why = "a case needs at least two traces"
		return c
	}
	// The reference is the trace from which the most others can be
	// aligned; the earliest input on ties.
	best, bestN := -1, 0
	var bestAl []Alignment
	for ref := range traces {
		if ref == maxReferences {
			break // each candidate aligns every trace: bound the work
		}
		al := align(ref, units, c.Traces)
		n := 0
		for _, a := range al {
			if a.Merged {
				n++
			}
		}
		if n > bestN {
			best, bestN, bestAl = ref, n, al
		}
	}
	if bestN < 2 {
		c.Why = "the traces share no exchange and no value (code, state, token or correlation ID): they do not look like one incident, so each is analysed alone"
		var empty []string
		for _, t := range traces {
			if len(t.Events) == 0 {
				empty = append(empty, filepath.Base(t.Path))
			}
		}
		if len(empty) > 0 {
			// The usual cause: a capture whose TLS was not decrypted.
			verb := "holds"
			if len(empty) > 1 {
				verb = "hold"
			}
			c.Why += fmt.Sprintf("; %s %s no OAuth step at all (TLS not decrypted? pass the key log with --keylog)", strings.Join(empty, ", "), verb)
		}
		for i := range c.Traces {
			c.Traces[i].Merged = false
		}
		return c
	}
	c.Traces = bestAl
	c.Merged = true
	c.build(best, units)
	return c
}

// unitsOf groups a trace's events by exchange.
func unitsOf(ti int, t Trace) []*unit {
	byIndex := map[int]*unit{}
	var out []*unit
	for _, ex := range t.Exchanges {
		if ex == nil {
			continue
		}
		u := &unit{trace: ti, ex: ex, index: ex.Index, start: ex.Start}
		byIndex[ex.Index] = u
		out = append(out, u)
	}
	for _, ev := range t.Events {
		u := byIndex[ev.Exchange]
		if u == nil {
			u = &unit{trace: ti, index: ev.Exchange, start: ev.Time}
			byIndex[ev.Exchange] = u
			out = append(out, u)
		}
		u.events = append(u.events, ev)
	}
	for _, u := range out {
		u.keys, u.corr = identify(u)
		if u.keys == nil && u.ex != nil {
			u.weak = []string{u.ex.Request.Method + " " + pathQuery(u.ex.Request.URL)}
		}
	}
	return out
}

// identify names an exchange as another trace would see it: method, path
// and query (the host differs behind a proxy, the scheme behind TLS
// termination) and the fingerprints of the OAuth values it carries. Only
// exchanges with OAuth events are identified: a favicon proves nothing.
func identify(u *unit) (keys, corr []string) {
	var parts []string
	method, path := "", ""
	if u.ex != nil {
		method = u.ex.Request.Method
		path = pathQuery(u.ex.Request.URL)
	}
	for _, ev := range u.events {
		if method == "" {
			method = ev.Method()
		}
		if path == "" {
			path = pathQuery(ev.Endpoint())
		}
		switch ev.Kind {
		case model.AuthorizeRequest, model.Callback, model.TokenRequest, model.APICall:
			parts = append(parts, fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", ev.Kind, ev.Code, ev.State, ev.CodeVerifier(),
				ev.RefreshToken(), ev.GrantType(), ev.AccessToken()))
			if ev.RequestID() != "" {
				corr = append(corr, "request-id "+ev.RequestID())
			}
		case model.LogoutRequest, model.LogoutReturn, model.AppLogout, model.FrontChannelLogout, model.Revocation:
			// A sign-out's steps name it as a sign-in's do: by their
			// state, id_token_hint and revoked token, so the same sign-out
			// in a browser's trace and the app server's aligns the clocks
			// and counts once.
			parts = append(parts, fmt.Sprintf("%s|%s|%s|%s", ev.Kind, ev.State, ev.IDToken(), ev.SignOut().Token))
		}
		if ev.Err != nil {
			if ev.Err.Correlation != "" {
				corr = append(corr, "correlation "+ev.Err.Correlation)
			}
			if ev.Err.TraceID != "" {
				corr = append(corr, "trace "+ev.Err.TraceID)
			}
		}
	}
	if len(parts) == 0 {
		return nil, corr
	}
	return []string{method + " " + path + " " + strings.Join(parts, ";")}, corr
}

// pathQuery is a URL's path and query, or the input when it is no URL. A
// sanitized copy's masks count without their ordinals: two copies number
// one value apart (secret.WithoutMaskOrdinals).
func pathQuery(raw string) string {
	return secret.WithoutMaskOrdinals(pathQueryAsIs(raw))
}

func pathQueryAsIs(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// laneOf guesses where a trace was taken. A HAR or a SAZ is the browser's
// (Fiddler sits in front of it). A capture is the app server's when it
// sends token requests without an Origin header, or receives callbacks
// without showing any authorize request (those go from the browser to the
// provider, past the app); it is a proxy's backend side when the app's
// requests in it reach more than one address (the instances behind it).
func laneOf(t Trace) string {
	if t.Format == model.FormatHAR || t.Format == model.FormatSAZ {
		return LaneBrowser
	}
	backChannel, authorize, callbacks := false, false, false
	appHosts := map[string]bool{}
	for _, ev := range t.Events {
		switch ev.Kind {
		case model.TokenRequest:
			if ev.Origin() == "" {
				backChannel = true
			}
		case model.AuthorizeRequest:
			authorize = true
		case model.Callback:
			callbacks = true
			if u, err := url.Parse(ev.Endpoint()); err == nil {
				appHosts[strings.ToLower(u.Hostname())] = true
			}
		}
	}
	if !backChannel && (authorize || !callbacks) {
		return LaneBrowser
	}
	instances := map[string]bool{}
	for _, ex := range t.Exchanges {
		if ex == nil {
			continue
		}
		u, err := url.Parse(ex.Request.URL)
		if err != nil || !appHosts[strings.ToLower(u.Hostname())] {
			continue
		}
		if _, dst, ok := strings.Cut(ex.Conn, "-"); ok && dst != "" {
			instances[dst] = true
		}
	}
	if len(instances) > 1 {
		return LaneProxy
	}
	return LaneServer
}

// pair is one exchange seen in two traces.
type pair struct{ a, b *unit }

// align measures every trace's offset to the reference, trace by trace,
// each against all those already aligned.
func align(ref int, units [][]*unit, base []Alignment) []Alignment {
	al := slices.Clone(base)
	for i := range al {
		al[i].Merged, al[i].Offset, al[i].Basis, al[i].Matches, al[i].With = false, 0, "", 0, ""
	}
	al[ref].Merged, al[ref].Basis = true, BasisReference
	for changed := true; changed; {
		changed = false
		for i := range al {
			if al[i].Merged {
				continue
			}
			if alignOne(i, units, al) {
				changed = true
			}
		}
	}
	return al
}

// alignOne aligns trace i against the traces already aligned.
func alignOne(i int, units [][]*unit, al []Alignment) bool {
	for j := range al {
		if !al[j].Merged || j == i {
			continue
		}
		ps := matchKeys(units[j], units[i], al[j].Offset, 0, false)
		if len(ps) == 0 {
			ps = matchCorr(units[j], units[i])
		}
		if len(ps) > 0 {
			var ds []time.Duration
			for _, p := range ps {
				if !p.a.start.IsZero() && !p.b.start.IsZero() {
					ds = append(ds, p.a.start.Add(al[j].Offset).Sub(p.b.start))
				}
			}
			al[i].Merged, al[i].With = true, al[j].Path
			if len(ds) == 0 {
				al[i].Basis = BasisNone
				return true
			}
			al[i].Offset, al[i].Basis, al[i].Matches = median(ds), BasisMatched, len(ds)
			return true
		}
	}
	// No exchange in common: a shared value still makes it one incident;
	// the provider's Date headers then give the clock.
	for j := range al {
		if !al[j].Merged || j == i || !shareValue(units[j], units[i]) {
			continue
		}
		al[i].Merged, al[i].With, al[i].Basis = true, al[j].Path, BasisNone
		if off, n, ok := dateOffset(units[j], al[j].Offset, units[i]); ok {
			al[i].Offset, al[i].Basis, al[i].Matches = off, BasisDate, n
		}
		return true
	}
	return false
}

// matchKeys pairs the exchanges of b with those of a that carry the same
// key. Without an offset yet (aligned false), keys seen as often in both
// traces pair in order, the k-th with the k-th; when none is, every key
// does. With an offset, each exchange of b pairs with the nearest unpaired
// exchange of a within duplicateWindow.
func matchKeys(a, b []*unit, offA, offB time.Duration, aligned bool) []pair {
	return matchBy(a, b, offA, offB, aligned, func(u *unit) []string { return u.keys }, duplicateWindow)
}

func matchBy(a, b []*unit, offA, offB time.Duration, aligned bool, key func(*unit) []string, window time.Duration) []pair {
	ka, kb := byKey(a, key), byKey(b, key)
	keys := make([]string, 0, len(kb))
	for k := range kb {
		if _, ok := ka[k]; ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []pair
	if !aligned {
		even := false
		for _, k := range keys {
			if len(ka[k]) == len(kb[k]) {
				even = true
			}
		}
		for _, k := range keys {
			if even && len(ka[k]) != len(kb[k]) {
				continue
			}
			for n := 0; n < len(ka[k]) && n < len(kb[k]); n++ {
				out = append(out, pair{ka[k][n], kb[k][n]})
			}
		}
		return out
	}
	used := map[*unit]bool{}
	for _, k := range keys {
		// Both lists are in time order: a cursor skips what lies before
		// the window, and at most maxCandidates inside it are weighed, so
		// a trace of thousands of identical requests stays linear.
		as, i := ka[k], 0
		for _, ub := range kb[k] {
			tb := ub.start.Add(offB)
			for i < len(as) && (used[as[i]] || as[i].start.Add(offA).Before(tb.Add(-window))) {
				i++
			}
			var bestU *unit
			var bestD time.Duration
			for j, n := i, 0; j < len(as) && n < maxCandidates; j++ {
				ta := as[j].start.Add(offA)
				if ta.After(tb.Add(window)) {
					break
				}
				if used[as[j]] {
					continue
				}
				n++
				if d := absDur(ta.Sub(tb)); bestU == nil || d < bestD {
					bestU, bestD = as[j], d
				}
			}
			if bestU != nil {
				used[bestU] = true
				out = append(out, pair{bestU, ub})
			}
		}
	}
	return out
}

// maxReferences bounds the traces tried as the reference clock.
const maxReferences = 8

// maxCandidates bounds the copies weighed for one exchange.
const maxCandidates = 32

func byKey(us []*unit, key func(*unit) []string) map[string][]*unit {
	m := map[string][]*unit{}
	for _, u := range us {
		for _, k := range key(u) {
			m[k] = append(m[k], u)
		}
	}
	for _, l := range m {
		sort.SliceStable(l, func(i, j int) bool { return l[i].start.Before(l[j].start) })
	}
	return m
}

// matchCorr pairs exchanges by a correlation or trace ID both carry (the
// same token response in two traces whose request bodies were lost).
func matchCorr(a, b []*unit) []pair {
	seen := map[string]*unit{}
	for _, u := range a {
		for _, id := range u.corr {
			if _, ok := seen[id]; !ok {
				seen[id] = u
			}
		}
	}
	var out []pair
	used := map[*unit]bool{}
	for _, u := range b {
		for _, id := range u.corr {
			if ua, ok := seen[id]; ok && !used[ua] {
				used[ua] = true
				out = append(out, pair{ua, u})
				break
			}
		}
	}
	return out
}

// shareValue reports whether two traces carry one code, state, verifier,
// token or correlation ID.
func shareValue(a, b []*unit) bool {
	vals := map[string]bool{}
	each := func(us []*unit, f func(string) bool) bool {
		for _, u := range us {
			for _, id := range u.corr {
				if f(id) {
					return true
				}
			}
			for _, ev := range u.events {
				for _, s := range []secret.Secret{ev.Code, ev.State, ev.CodeVerifier(), ev.RefreshToken(), ev.AccessToken(), ev.IDToken(), ev.SignOut().Token} {
					if !s.IsZero() && !secret.IsPlaceholder(s) && f(s.Fingerprint()) {
						return true
					}
				}
			}
		}
		return false
	}
	each(a, func(v string) bool { vals[v] = true; return false })
	return each(b, func(v string) bool { return vals[v] })
}

// dateOffset compares the provider's Date headers in two traces: each
// trace's median of Date minus capture time is its clock's distance to the
// provider's; their difference is the offset of b to a. Date headers tick
// once a second, so the result is good to about a second.
func dateOffset(a []*unit, offA time.Duration, b []*unit) (time.Duration, int, bool) {
	skew := func(us []*unit, off time.Duration) map[string][]time.Duration {
		m := map[string][]time.Duration{}
		for _, u := range us {
			for _, ev := range u.events {
				if ev.ServerDate().IsZero() || ev.Time.IsZero() || ev.Provider().Family == model.FamilyApp || ev.Provider().Host == "" {
					continue
				}
				h := strings.ToLower(ev.Provider().Host)
				m[h] = append(m[h], ev.ServerDate().Sub(ev.Time.Add(off)))
			}
		}
		return m
	}
	sa, sb := skew(a, offA), skew(b, 0)
	var hosts []string
	for h := range sb {
		if len(sa[h]) > 0 {
			hosts = append(hosts, h)
		}
	}
	if len(hosts) == 0 {
		return 0, 0, false
	}
	sort.Strings(hosts)
	var da, db []time.Duration
	for _, h := range hosts {
		da, db = append(da, sa[h]...), append(db, sb[h]...)
	}
	return median(db) - median(da), len(db), true
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return s[n/2-1] + (s[n/2]-s[n/2-1])/2
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// build merges the aligned traces: duplicates found, clocks shifted,
// exchanges renumbered in time order.
func (c *Case) build(ref int, units [][]*unit) {
	labels := labelsOf(c.Traces)
	offset := func(u *unit) time.Duration { return c.Traces[u.trace].Offset }
	// Duplicates: each merged trace against those before it (the reference
	// first), with the aligned clocks.
	order := []int{ref}
	for i := range c.Traces {
		if i != ref && c.Traces[i].Merged {
			order = append(order, i)
		}
	}
	for n, i := range order {
		for _, j := range order[:n] {
			ps := matchKeys(units[j], units[i], c.Traces[j].Offset, c.Traces[i].Offset, true)
			ps = append(ps, matchBy(units[j], units[i], c.Traces[j].Offset, c.Traces[i].Offset, true,
				func(u *unit) []string { return u.weak }, weakWindow)...)
			for _, p := range ps {
				if p.a.dupOf != nil || p.b.dupOf != nil || len(p.a.copies) > 0 && hasTrace(p.a.copies, i) {
					continue
				}
				keep, drop := p.a, p.b
				if prefer(drop, keep, c.Traces) {
					keep, drop = drop, keep
				}
				// The kept copy takes over the copies the other held.
				for _, d := range drop.copies {
					d.dupOf = keep
				}
				keep.copies = append(append(keep.copies, drop), drop.copies...)
				drop.copies, drop.dupOf = nil, keep
				c.Traces[p.b.trace].Duplicates++
			}
		}
	}
	var all []*unit
	for _, i := range order {
		for _, u := range units[i] {
			if u.dupOf == nil {
				all = append(all, u)
			}
		}
	}
	// An exchange seen in several traces spans from its earliest sight to
	// its latest answer: the browser's request starts before the server
	// receives it and ends after the server answers, and the clocks agree
	// only to a few milliseconds.
	at := func(u *unit) time.Time {
		t := shift(u.start, offset(u))
		for _, d := range u.copies {
			if dt := shift(d.start, offset(d)); !dt.IsZero() && (t.IsZero() || dt.Before(t)) {
				t = dt
			}
		}
		return t
	}
	end := func(u *unit) time.Time {
		var t time.Time
		for _, x := range append([]*unit{u}, u.copies...) {
			if x.ex == nil || x.ex.End.IsZero() {
				continue
			}
			if e := x.ex.End.Add(offset(x)); t.IsZero() || e.After(t) {
				t = e
			}
		}
		return t
	}
	sort.SliceStable(all, func(x, y int) bool {
		tx, ty := at(all[x]), at(all[y])
		if !tx.Equal(ty) && !tx.IsZero() && !ty.IsZero() {
			return tx.Before(ty)
		}
		if all[x].trace != all[y].trace {
			return false // keep trace order among the untimed
		}
		return all[x].index < all[y].index
	})
	for idx, u := range all {
		off := offset(u)
		label := labels[u.trace] + " " + refOf(u)
		lanes := []string{c.Traces[u.trace].Lane}
		copies := []Copy{copyOf(u, c.Traces)}
		for _, d := range u.copies {
			copies = append(copies, copyOf(d, c.Traces))
			if !slices.Contains(lanes, c.Traces[d.trace].Lane) {
				lanes = append(lanes, c.Traces[d.trace].Lane)
			}
		}
		sort.Strings(lanes)
		c.origin[label] = copies
		if u.ex != nil {
			ex := *u.ex
			ex.Index, ex.Ref = idx, label
			ex.Start, ex.End = at(u), end(u)
			if ex.Page == "" && ex.Conn == "" {
				ex.Page = c.Traces[u.trace].Lane
			}
			ex.Instance = instanceOf(u, c.Traces)
			ex.Trace = u.trace + 1
			c.Exchanges = append(c.Exchanges, &ex)
		}
		for _, ev := range u.events {
			ev.Exchange, ev.Ref = idx, label
			ev.Time = shift(ev.Time, off)
			ev.SetVantages(lanes)
			c.Events = append(c.Events, ev)
		}
	}
	for _, t := range c.Traces {
		if !t.Merged {
			c.Why = "some traces share nothing with the others and are analysed alone"
		}
	}
}

func hasTrace(us []*unit, ti int) bool {
	for _, u := range us {
		if u.trace == ti {
			return true
		}
	}
	return false
}

// prefer reports whether copy x should be kept over y: one with an answer
// over one without, then the browser's (its requests are what the user
// did), then the earlier input.
func prefer(x, y *unit, al []Alignment) bool {
	ax, ay := x.ex != nil && x.ex.Answered(), y.ex != nil && y.ex.Answered()
	if ax != ay {
		return ax
	}
	bx, by := al[x.trace].Lane == LaneBrowser, al[y.trace].Lane == LaneBrowser
	if bx != by {
		return bx
	}
	return x.trace < y.trace
}

func copyOf(u *unit, al []Alignment) Copy {
	c := Copy{Path: al[u.trace].Path, Ref: refOf(u), Time: shift(u.start, al[u.trace].Offset)}
	if u.ex != nil {
		c.Status = u.ex.Status()
	} else if len(u.events) > 0 {
		c.Status = u.events[0].Status
	}
	return c
}

func refOf(u *unit) string {
	if u.ex != nil {
		return u.ex.Ref
	}
	if len(u.events) > 0 {
		return u.events[0].Ref
	}
	return ""
}

func shift(t time.Time, d time.Duration) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(d)
}

// labelsOf names each trace in messages: its base name, or its path when
// two traces share a base name.
func labelsOf(al []Alignment) []string {
	count := map[string]int{}
	for _, a := range al {
		count[filepath.Base(a.Path)]++
	}
	out := make([]string, len(al))
	for i, a := range al {
		out[i] = filepath.Base(a.Path)
		if count[out[i]] > 1 {
			out[i] = a.Path
		}
	}
	return out
}

// Summary is one sentence per merged trace saying how its clock was
// aligned, for the report's notes.
func (a Alignment) Summary() string {
	name, with := filepath.Base(a.Path), filepath.Base(a.With)
	switch a.Basis {
	case BasisReference:
		return fmt.Sprintf("%s (%s): the reference clock", name, a.Lane)
	case BasisMatched:
		if a.Matches == 1 {
			return fmt.Sprintf("%s (%s): clock offset %s to %s, from the one exchange seen in both", name, a.Lane, signed(a.Offset), with)
		}
		return fmt.Sprintf("%s (%s): clock offset %s to %s, the median over %d exchanges seen in both", name, a.Lane, signed(a.Offset), with, a.Matches)
	case BasisDate:
		return fmt.Sprintf("%s (%s): clock offset %s to %s from %d provider Date headers (good to about a second; no exchange seen in both)", name, a.Lane, signed(a.Offset), with, a.Matches)
	case BasisNone:
		return fmt.Sprintf("%s (%s): shares values with %s but no exchange and no provider Date header; its times are taken as they are", name, a.Lane, with)
	}
	return fmt.Sprintf("%s (%s): shares nothing with the other traces; analysed alone", name, a.Lane)
}

func signed(d time.Duration) string {
	s := d.Round(time.Millisecond).String()
	if d >= 0 {
		s = "+" + s
	}
	return s
}

// instanceOf is the app instance a proxy's backend-side trace shows serving
// the exchange (the destination of its connection), "" when no proxy-lane
// copy of it exists.
func instanceOf(u *unit, al []Alignment) string {
	for _, x := range append([]*unit{u}, u.copies...) {
		if al[x.trace].Lane != LaneProxy || x.ex == nil {
			continue
		}
		if _, dst, ok := strings.Cut(x.ex.Conn, "-"); ok && dst != "" {
			return dst
		}
	}
	return ""
}
