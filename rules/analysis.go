package rules

import (
	"fmt"
	"hash/maphash"
	"iter"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unsafe"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Transaction is one sign-in attempt: an authorize request and everything
// linked to it. Authorize is nil when the trace starts after the authorize
// request (the transaction was inferred from a code or a callback).
type Transaction struct {
	ID        int // 1-based, in order of first appearance
	Authorize *model.Event
	// rare holds what a sign-in has after its authorize request (read it
	// with Issued, Callbacks, Redemptions, Errors and Continued); nil
	// until it has some: a capture of 65,000 authorize requests answered
	// with pages makes as many transactions, and this keeps each at 24
	// bytes (96 with the first three lists in place, 136 with all five).
	rare *txRare
}

// txRare is what a sign-in has after its authorize request; odd what few
// have (nil otherwise), so that a sign-in that goes on holds 24 + 80
// bytes, about what it held with its lists in place.
type txRare struct {
	issued, callbacks []*model.Event
	redemptions       []*Redemption
	odd               *txOdd
}

type txOdd struct {
	errors, continued []*model.Event
}

// Issued are the sign-in's CodeIssued events.
func (t *Transaction) Issued() []*model.Event {
	if t.rare == nil {
		return nil
	}
	return t.rare.issued
}

// Callbacks are the sign-in's Callback events.
func (t *Transaction) Callbacks() []*model.Event {
	if t.rare == nil {
		return nil
	}
	return t.rare.callbacks
}

// Redemptions are the token requests that redeemed the sign-in's code (or
// proved its verifier).
func (t *Transaction) Redemptions() []*Redemption {
	if t.rare == nil {
		return nil
	}
	return t.rare.redemptions
}

// Errors are the sign-in's AuthorizeError events.
func (t *Transaction) Errors() []*model.Event {
	if t.rare == nil || t.rare.odd == nil {
		return nil
	}
	return t.rare.odd.errors
}

// Continued are later requests to the authorize endpoint with the same
// state and client before any answer: the same sign-in going on.
func (t *Transaction) Continued() []*model.Event {
	if t.rare == nil || t.rare.odd == nil {
		return nil
	}
	return t.rare.odd.continued
}

func (t *Transaction) more() *txRare {
	if t.rare == nil {
		t.rare = &txRare{}
	}
	return t.rare
}

func (r *txRare) oddOnes() *txOdd {
	if r.odd == nil {
		r.odd = &txOdd{}
	}
	return r.odd
}

// Interactive reports whether the transaction is a user-visible sign-in
// (not a silent prompt=none renewal).
func (t *Transaction) Interactive() bool {
	return t.Authorize != nil && t.Authorize.Prompt() != "none"
}

// Redemption is one token request with its response (nil when none was
// captured).
type Redemption struct {
	Request  *model.Event
	Response *model.Event
	// Tx is the transaction of the code redeemed (or of the verifier when
	// the code is unknown).
	Tx *Transaction
	// VerifierTx is the transaction whose code_challenge the request's
	// code_verifier proves (S256 or plain), nil when none matches.
	VerifierTx *Transaction
	// classErr is the error class and known were found for: rules ask a
	// failed redemption's class again and again, and catalog.Classify
	// lowers and searches the error's description each time (a tenth of
	// a scan's CPU with 2,000 failed redemptions). In the redemption, not
	// beside it: 32 bytes more per redemption, where a separate record
	// with the catalog entry cost 128 per failed one.
	classErr *model.ProviderError
	class    catalog.ErrorClass
	known    bool
}

// Failed reports whether the provider refused the redemption.
func (r *Redemption) Failed() bool {
	return r.Response != nil && (r.Response.Err != nil || r.Response.Status >= 400)
}

// Succeeded reports whether the provider answered with tokens.
func (r *Redemption) Succeeded() bool {
	return r.Response != nil && !r.Failed() && r.Response.Status > 0
}

// Class is the catalog class of the provider's error, "" on success.
func (r *Redemption) Class() catalog.ErrorClass {
	c, _ := r.classify()
	return c
}

// classify is the class catalog.Classify gives the provider's error with
// the request's provider family, and whether the catalog knows it, found
// once per error; "" and false on success.
func (r *Redemption) classify() (catalog.ErrorClass, bool) {
	if r.Response == nil || r.Response.Err == nil {
		return catalog.ClassNone, false
	}
	if r.classErr != r.Response.Err {
		info, ok := catalog.Classify(r.Response.Err, r.Request.Provider().Family)
		r.classErr, r.class, r.known = r.Response.Err, info.Class, ok
	}
	return r.class, r.known
}

// CodeTrail follows one authorization code from issuance to redemption.
type CodeTrail struct {
	Code        secret.Secret
	Tx          *Transaction
	Issued      *model.Event
	Deliveries  []*model.Event // callbacks that carried it
	Redemptions []*Redemption
}

// Analysis is the shared, once-computed view of a trace.
type Analysis struct {
	Input
	Options
	Transactions []*Transaction
	Codes        []*CodeTrail  // in order of first appearance
	Refreshes    []*Redemption // grant_type=refresh_token
	OtherGrants  []*Redemption // client_credentials, password, ...
	// APICalls are requests presenting an access token (bearer), in
	// source order.
	APICalls []*model.Event
	// Orphans are token responses whose request was not recognised.
	Orphans []*model.Event
	// Placeholders are events whose code or state a sanitizer replaced
	// (secret.IsPlaceholder); they are not linked by that value.
	Placeholders []*model.Event
	// byIndex and pos find an exchange by its Index, and its position in
	// Kept; nil when every exchange sits at the position of its
	// Index (the CLI's list, nil where it dropped one): then the list is
	// the index, and a trace of 65,000 kept exchanges needs no two maps.
	byIndex map[int]*Exchange
	byState stateIndex // the latest transaction of each authorize state
	byCode  map[secret.Secret]*CodeTrail
	byChall map[string]*Transaction
	// sharedState lists, by state, the sign-ins begun with one state while
	// an earlier one with it was open (nil when none did); ambiguous are
	// the codes given to one of them by guess (sharedOpen).
	sharedState map[string][]*Transaction
	ambiguous   []*CodeTrail
	// byReqURI holds the transaction of each request_uri an authorize
	// request carried (a push read as one, the browser's request naming
	// it), to tie the two when they come from different traces.
	byReqURI map[secret.Secret]*Transaction
	pending  map[int]*Redemption
	pos      map[int]int // exchange Index → position in Kept
	// Crossings are the overlapping sign-ins that interfered, with proof.
	Crossings  []*Crossing
	crossingOf map[*CodeTrail]*Crossing
	// HasCookies reports whether the trace kept any cookie at all
	// (sanitized exports strip them everywhere).
	HasCookies bool
	// txSlab is where newTx makes transactions, many to an allocation.
	txSlab []Transaction
	// scrubber is made on first use (Scrubber).
	scrubber *secret.Scrubber
}

// Scrubber knows every secret of the trace's events: what findings,
// remediations and verdicts must never show raw, wherever a rule quoted it
// from (secret.Scrubber). It is made once, on first use.
func (a *Analysis) Scrubber() *secret.Scrubber {
	if a.scrubber == nil {
		a.scrubber = model.ScrubberOf(a.events())
	}
	return a.scrubber
}

// scrubFindings replaces raw secrets in every text of fs, unless the
// caller does it (DeferScrub).
func (a *Analysis) scrubFindings(fs []Finding) {
	if len(fs) == 0 || a.DeferScrub {
		return
	}
	ScrubFindings(a.Scrubber(), fs)
}

// ScrubFindings replaces the raw secrets sc knows in every text of fs.
func ScrubFindings(sc *secret.Scrubber, fs []Finding) {
	for i := range fs {
		sc.Strings(&fs[i])
	}
}

// Analyze links the events of one trace into transactions and code trails.
func Analyze(in Input, opts Options) *Analysis {
	a := &Analysis{
		Input:   in,
		Options: opts,
		byCode:  map[secret.Secret]*CodeTrail{},
		byChall: map[string]*Transaction{},
		pending: map[int]*Redemption{},
	}
	if a.Kept == nil {
		a.Kept = compact(in.Exchanges)
	}
	// The rules read Kept only: the caller's model exchanges are not held
	// here.
	a.Exchanges = nil
	direct := true
	for i, ex := range a.Kept {
		if ex != nil && ex.Index != i {
			direct = false
			break
		}
	}
	if !direct {
		a.byIndex, a.pos = map[int]*Exchange{}, map[int]int{}
		for i, ex := range a.Kept {
			if ex != nil {
				a.byIndex[ex.Index] = ex
				a.pos[ex.Index] = i
			}
		}
	}
	// Link in source order whatever order the caller sorted events in
	// (the CLI lists them by time): within one exchange the request comes
	// before the answer, and exchanges follow the trace. Events that come
	// so already (a capture's, read in the CLI's chunks) are linked where
	// they are: a sorted list of the 65,000 events of issue 18's capture
	// held 0.5 MiB more while the analysis grew.
	if inSourceOrder(in.events()) {
		for ev := range in.events() {
			a.add(ev)
		}
	} else {
		order := make([]*model.Event, 0, in.eventCount())
		for ev := range in.events() {
			order = append(order, ev)
		}
		sort.SliceStable(order, func(i, j int) bool { return sourceBefore(order[i], order[j]) })
		for _, ev := range order {
			a.add(ev)
		}
	}
	a.finish()
	return a
}

// finish computes what rules share once the events are linked; the
// analysis is read-only afterwards.
func (a *Analysis) finish() {
	for _, ex := range a.Kept {
		if ex != nil && ex.CarriesCookies() {
			a.HasCookies = true
			break
		}
	}
	a.findCrossings()
}

// sourceBefore reports whether x comes before y in source order: by
// exchange, then by kind within one exchange (kindRank).
func sourceBefore(x, y *model.Event) bool {
	if x.Exchange != y.Exchange {
		return x.Exchange < y.Exchange
	}
	return kindRank[x.Kind] < kindRank[y.Kind]
}

// inSourceOrder reports whether evs yields no event that sourceBefore puts
// before the one yielded before it.
func inSourceOrder(evs iter.Seq[*model.Event]) bool {
	var prev *model.Event
	for ev := range evs {
		if prev != nil && sourceBefore(ev, prev) {
			return false
		}
		prev = ev
	}
	return true
}

// kindRank orders the events of one exchange: what the client sent, then
// what the server answered.
var kindRank = map[model.EventKind]int{
	model.Discovery: 0, model.AuthorizeRequest: 1, model.Callback: 2, model.TokenRequest: 3,
	model.CodeIssued: 4, model.AuthorizeError: 5, model.TokenResponse: 6, model.APICall: 7,
	model.LogoutRequest: 8, model.AppLogout: 8, model.FrontChannelLogout: 8, model.Revocation: 8, model.LogoutReturn: 9,
}

func (a *Analysis) newTx(auth *model.Event) *Transaction {
	if len(a.txSlab) == cap(a.txSlab) {
		n := txChunk
		if a.txSlab == nil {
			n = 8
		}
		a.txSlab = make([]Transaction, 0, n)
	}
	a.txSlab = append(a.txSlab, Transaction{ID: len(a.Transactions) + 1, Authorize: auth})
	t := &a.txSlab[len(a.txSlab)-1]
	a.Transactions = append(a.Transactions, t)
	return t
}

// txChunk transactions share an allocation of about 64 KiB: a capture of
// 65,000 authorize requests makes as many.
var txChunk = (64 << 10) / int(unsafe.Sizeof(Transaction{}))

func (a *Analysis) trail(code secret.Secret) *CodeTrail {
	if c, ok := a.byCode[code]; ok {
		return c
	}
	c := &CodeTrail{Code: code}
	a.byCode[code] = c
	a.Codes = append(a.Codes, c)
	return c
}

func (a *Analysis) add(ev *model.Event) {
	if secret.IsPlaceholder(ev.Code) || secret.IsPlaceholder(ev.State) {
		a.Placeholders = append(a.Placeholders, ev)
		c := *ev
		if secret.IsPlaceholder(c.Code) {
			c.Code = secret.Secret{}
		}
		if secret.IsPlaceholder(c.State) {
			c.State = secret.Secret{}
		}
		ev = &c
	}
	switch ev.Kind {
	case model.AuthorizeRequest:
		if a.tiePush(ev) {
			return
		}
		prev := a.byStateOr(ev.State, nil)
		open := prev != nil && prev.Authorize != nil && prev.Authorize.ClientID() == ev.ClientID() && prev.open()
		if open && ev.CodeChallenge().Equal(prev.Authorize.CodeChallenge()) && ev.Nonce().Equal(prev.Authorize.Nonce()) {
			// The same sign-in going on: a login form posting the authorize
			// parameters back (fosite, AD FS) or a reload of the authorize URL.
			o := prev.more().oddOnes()
			o.continued = append(o.continued, ev)
			return
		}
		t := a.newTx(ev)
		if ru := ev.RequestURI(); !ru.IsZero() {
			if a.byReqURI == nil {
				a.byReqURI = map[secret.Secret]*Transaction{}
			}
			a.byReqURI[ru] = t
		}
		if !ev.State.IsZero() {
			if open {
				// Another sign-in with the same state and a challenge or
				// nonce of its own (express-openid-connect's state is the
				// return URL, the same in every tab): which of them a code
				// issued with that state belongs to is open (sharedOpen).
				a.shareState(ev.State, prev, t)
			}
			a.byState.put(a.Transactions, ev.State, t.ID-1, true)
		}
		if !ev.CodeChallenge().IsZero() {
			a.byChall[ev.CodeChallenge().Reveal()] = t
		}
	case model.CodeIssued, model.AuthorizeError:
		t, shared := a.sharedOpen(ev.State)
		if t == nil {
			t = a.txForIssue(ev)
		}
		if ev.Kind == model.AuthorizeError {
			o := t.more().oddOnes()
			o.errors = append(o.errors, ev)
			return
		}
		t.more().issued = append(t.more().issued, ev)
		if !ev.Code.IsZero() {
			c := a.trail(ev.Code)
			if c.Issued == nil {
				c.Issued = ev
			}
			if c.Tx == nil {
				c.Tx = t
				if shared {
					a.ambiguous = append(a.ambiguous, c)
				}
			}
		}
	case model.Callback:
		var t *Transaction
		if !ev.Code.IsZero() {
			c := a.trail(ev.Code)
			c.Deliveries = append(c.Deliveries, ev)
			t = c.Tx
			if t == nil {
				t = a.byStateOr(ev.State, nil)
				if t == nil {
					t = a.newTx(nil)
				}
				c.Tx = t
			}
		} else {
			t = a.byStateOr(ev.State, nil)
			if t == nil {
				t = a.newTx(nil)
			}
		}
		t.more().callbacks = append(t.more().callbacks, ev)
	case model.TokenRequest:
		r := &Redemption{Request: ev}
		a.pending[ev.Exchange] = r
		if !ev.CodeVerifier().IsZero() {
			if t, ok := a.byChall[ev.CodeVerifier().S256()]; ok && t.Authorize.CodeChallengeMethod() != "plain" {
				r.VerifierTx = t
			} else if t, ok := a.byChall[ev.CodeVerifier().Reveal()]; ok && t.Authorize.CodeChallengeMethod() == "plain" {
				r.VerifierTx = t
			}
		}
		switch {
		case ev.GrantType() == "authorization_code" || ev.GrantType() == "interaction_code" || (!ev.Code.IsZero() && ev.GrantType() == ""):
			// Okta's interaction_code grant redeems a code as
			// authorization_code does (oauth reads the interaction code as
			// the event's code).
			if ev.Code.IsZero() {
				t := r.VerifierTx
				if t == nil {
					t = a.newTx(nil)
				}
				r.Tx = t
				t.more().redemptions = append(t.more().redemptions, r)
				return
			}
			c := a.trail(ev.Code)
			if c.Tx == nil {
				c.Tx = r.VerifierTx
				if c.Tx == nil {
					c.Tx = a.newTx(nil)
				}
			}
			r.Tx = c.Tx
			c.Redemptions = append(c.Redemptions, r)
			c.Tx.more().redemptions = append(c.Tx.more().redemptions, r)
		case ev.GrantType() == "refresh_token":
			a.Refreshes = append(a.Refreshes, r)
		default:
			a.OtherGrants = append(a.OtherGrants, r)
		}
	case model.APICall:
		a.APICalls = append(a.APICalls, ev)
	case model.TokenResponse:
		if r, ok := a.pending[ev.Exchange]; ok && r.Response == nil {
			r.Response = ev
			a.settleShared(r)
			return
		}
		a.Orphans = append(a.Orphans, ev)
	}
}

// tiePush links an authorize request to the sign-in of the pushed
// authorization request (RFC 9126) it names by request_uri, when the two
// came from different traces (scan --case: the app server's capture holds
// the push, read as the authorize request; the browser's trace the request,
// by reference): one sign-in, not two. The browser's request becomes the
// sign-in's authorize request with the pushed parameters (a copy: the
// event is not changed), the push a continuation. It reports whether ev
// was tied.
func (a *Analysis) tiePush(ev *model.Event) bool {
	ru := ev.RequestURI()
	if ru.IsZero() || a.byReqURI == nil {
		return false
	}
	t, ok := a.byReqURI[ru]
	if !ok || t.Authorize == nil || t.Authorize == ev {
		return false
	}
	// One of the two is the push read as the authorize request (its
	// parameters known), the other the browser's request by reference;
	// the clocks of two traces may put either first. Two requests by
	// reference (a login form posting the request_uri back) are left as
	// they were.
	var push, req *model.Event
	switch {
	case !t.Authorize.ParamsByReference() && ev.ParamsByReference():
		push, req = t.Authorize, ev
	case t.Authorize.ParamsByReference() && !ev.ParamsByReference():
		push, req = ev, t.Authorize
	default:
		return false
	}
	if push.PushedRef() != "" || req.PushedRef() != "" || push.Authz == nil {
		return false // within one trace the extractor merged them already
	}
	c := *req
	az := *push.Authz
	az.Dest, az.SetCookie, az.Pushed = req.Dest(), req.AnswerSetCookie(), push.Ref
	c.Authz = &az
	c.State = push.State
	c.SetClientID(push.ClientID())
	c.SetRedirectURI(push.RedirectURI())
	c.SetResponseMode(push.ResponseMode())
	t.Authorize = &c
	o := t.more().oddOnes()
	o.continued = append(o.continued, push)
	if !c.State.IsZero() {
		a.byState.put(a.Transactions, c.State, t.ID-1, true)
	}
	if !c.CodeChallenge().IsZero() {
		a.byChall[c.CodeChallenge().Reveal()] = t
	}
	return true
}

func (a *Analysis) byStateOr(s secret.Secret, def *Transaction) *Transaction {
	if s.IsZero() {
		return def
	}
	if i := a.byState.get(a.Transactions, s); i >= 0 {
		return a.Transactions[i]
	}
	return def
}

// open reports whether a sign-in has had no answer yet: no code, error or
// callback.
func (t *Transaction) open() bool {
	return len(t.Issued()) == 0 && len(t.Errors()) == 0 && len(t.Callbacks()) == 0
}

// shareState notes that sign-in t began with the state of prev, a sign-in
// still open.
func (a *Analysis) shareState(s secret.Secret, prev, t *Transaction) {
	if a.sharedState == nil {
		a.sharedState = map[string][]*Transaction{}
	}
	k := s.Reveal()
	if ts := a.sharedState[k]; len(ts) > 0 && ts[len(ts)-1] == prev {
		a.sharedState[k] = append(ts, t)
		return
	}
	a.sharedState[k] = []*Transaction{prev, t}
}

// sharedOpen is, for a state that several open sign-ins began with, the
// earliest of them still open, and true; nil and false otherwise. The
// provider's answer names only the state, so the first is a guess that
// settleShared corrects when a redemption proves otherwise.
func (a *Analysis) sharedOpen(s secret.Secret) (*Transaction, bool) {
	if a.sharedState == nil || s.IsZero() {
		return nil, false
	}
	for _, t := range a.sharedState[s.Reveal()] {
		if t.open() {
			return t, true
		}
	}
	return nil, false
}

// settleShared moves a code whose sign-in was guessed among several with
// one state (sharedOpen) to the sign-in whose challenge its redemption's
// verifier proves, when the provider accepted that redemption: the code
// was that sign-in's. A refused one leaves the guess, and with it the
// crossing the refusal shows.
func (a *Analysis) settleShared(r *Redemption) {
	if len(a.ambiguous) == 0 || r.VerifierTx == nil || !r.Succeeded() {
		return
	}
	i := slices.IndexFunc(a.ambiguous, func(c *CodeTrail) bool { return c.Code.Equal(r.Request.Code) })
	if i < 0 {
		return
	}
	c := a.ambiguous[i]
	from, to := c.Tx, r.VerifierTx
	if from == to || from.Authorize == nil || !from.Authorize.State.Equal(to.Authorize.State) {
		return
	}
	a.ambiguous = slices.Delete(a.ambiguous, i, i+1)
	if fr := from.rare; fr != nil {
		fr.issued = slices.DeleteFunc(fr.issued, func(ev *model.Event) bool { return ev == c.Issued })
		fr.callbacks = slices.DeleteFunc(fr.callbacks, func(ev *model.Event) bool { return slices.Contains(c.Deliveries, ev) })
		fr.redemptions = slices.DeleteFunc(fr.redemptions, func(x *Redemption) bool { return slices.Contains(c.Redemptions, x) })
	}
	tr := to.more()
	if c.Issued != nil {
		tr.issued = append(tr.issued, c.Issued)
	}
	tr.callbacks = append(tr.callbacks, c.Deliveries...)
	tr.redemptions = append(tr.redemptions, c.Redemptions...)
	for _, x := range c.Redemptions {
		x.Tx = to
	}
	c.Tx = to
}

// txForIssue links a provider answer to its authorize request: by state,
// else the authorize request of the same exchange, else the latest
// authorize request to the same provider host.
func (a *Analysis) txForIssue(ev *model.Event) *Transaction {
	if t := a.byStateOr(ev.State, nil); t != nil {
		return t
	}
	if ev.State.IsZero() {
		if t := a.navigationTx(ev); t != nil {
			return t
		}
	}
	for i := len(a.Transactions) - 1; i >= 0; i-- {
		t := a.Transactions[i]
		if t.Authorize == nil {
			continue
		}
		if t.Authorize.Exchange == ev.Exchange {
			return t
		}
		// An answer without state (an error page, Google's /signin/oauth/error)
		// belongs to the latest unanswered sign-in at the same provider.
		if ev.State.IsZero() && len(t.Issued()) == 0 && len(t.Errors()) == 0 && len(t.Callbacks()) == 0 &&
			(strings.EqualFold(t.Authorize.Provider().Host, ev.Provider().Host) ||
				t.Authorize.Provider().Family == ev.Provider().Family && ev.Provider().Family != "generic") {
			return t
		}
	}
	t := a.newTx(nil)
	return t
}

// Exchange returns the exchange an event came from, or nil.
func (a *Analysis) Exchange(ev *model.Event) *Exchange {
	if ev == nil {
		return nil
	}
	ex, _, _ := a.exchangeAt(ev.Exchange)
	return ex
}

// exchangeAt finds the exchange of an Index and its position in Kept.
func (a *Analysis) exchangeAt(index int) (ex *Exchange, pos int, ok bool) {
	if a.byIndex != nil {
		ex, ok = a.byIndex[index]
		return ex, a.pos[index], ok
	}
	if index < 0 || index >= len(a.Kept) || a.Kept[index] == nil {
		return nil, 0, false
	}
	return a.Kept[index], index, true
}

// Evidence describes an event for a finding, with the provider error's
// escalation fields when there is one.
func (a *Analysis) Evidence(ev *model.Event, note string) Evidence {
	e := Evidence{Ref: ev.Ref, Time: ev.Time, Method: ev.Method(), Status: ev.Status, Note: note}
	if ex := a.Exchange(ev); ex != nil {
		e.URL = secret.RedactURL(ex.URL())
		if e.Method == "" {
			e.Method = ex.Method()
		}
		if e.Time.IsZero() {
			e.Time = ex.Start
		}
	} else if ev.Endpoint() != "" {
		e.URL = secret.RedactURL(ev.Endpoint())
	}
	if !e.Time.IsZero() {
		e.Time = e.Time.UTC()
	}
	if pe := ev.Err; pe != nil {
		e.ErrorCode = catalog.PrimaryCode(pe)
		if e.ErrorCode == "" {
			e.ErrorCode = pe.Error
		}
		e.TraceID, e.CorrelationID, e.Timestamp = pe.TraceID, pe.Correlation, pe.Timestamp
	}
	return e
}

// RedemptionEvidence is the request's evidence carrying its response's
// status and error fields.
func (a *Analysis) RedemptionEvidence(r *Redemption, note string) Evidence {
	e := a.Evidence(r.Request, note)
	if r.Response != nil {
		resp := a.Evidence(r.Response, "")
		e.Status = r.Response.Status
		e.ErrorCode, e.TraceID, e.CorrelationID, e.Timestamp = resp.ErrorCode, resp.TraceID, resp.CorrelationID, resp.Timestamp
	}
	return e
}

// Lifetime is the code lifetime that applies to a provider, after the
// --code-lifetime override.
func (a *Analysis) Lifetime(p model.Provider) model.CodeLifetime {
	l := model.CodeLifetimeOf(p)
	if a.CodeLifetime > 0 {
		return model.CodeLifetime{Expired: a.CodeLifetime, Suspicious: a.CodeLifetime / 2,
			Source: fmt.Sprintf("--code-lifetime %s", a.CodeLifetime)}
	}
	return l
}

// RedemptionLifetime is the code lifetime a redemption is judged against:
// the --code-lifetime override; else, when the host names no provider
// family but the refusal is in the words of a server whose default lifetime
// is known (oidc-provider's "grant request is invalid"), that server's; else
// the provider family's.
func (a *Analysis) RedemptionLifetime(r *Redemption) model.CodeLifetime {
	p := r.Request.Provider()
	if a.CodeLifetime == 0 && r.Response != nil && r.Response.Err != nil && (p.Family == model.FamilyGeneric || p.Family == "") {
		if info, ok := catalog.Classify(r.Response.Err, p.Family); ok && info.Lifetime.Expired > 0 {
			return info.Lifetime
		}
	}
	return a.Lifetime(p)
}

// Elapsed measures from one event to another. It prefers the Date headers
// when both come from the same party (the provider's own clock, immune to
// capture skew, at one-second resolution), else the capture times. ok is
// false when neither pair is known.
func Elapsed(from, to *model.Event) (d time.Duration, basis string, ok bool) {
	if from == nil || to == nil {
		return 0, "", false
	}
	if !from.ServerDate().IsZero() && !to.ServerDate().IsZero() && sameClock(from, to) {
		d := to.ServerDate().Sub(from.ServerDate())
		if ct, cok := captureElapsed(from, to); cok && d < 2*time.Second && ct >= 0 {
			// Date headers tick once a second; short gaps read better
			// from the capture clock.
			return ct, "capture clock", true
		}
		return d, "provider Date headers", true
	}
	if d, ok := captureElapsed(from, to); ok {
		return d, "capture clock", true
	}
	return 0, "", false
}

// sameClock reports whether two events' Date headers come from one party:
// the same host, or the same known provider (Google's authorize and token
// hosts differ). The app's clock and the provider's are never compared.
func sameClock(a, b *model.Event) bool {
	if strings.EqualFold(a.Provider().Host, b.Provider().Host) {
		return true
	}
	f := a.Provider().Family
	return f == b.Provider().Family && f != "generic" && f != "app" && f != ""
}

func captureElapsed(from, to *model.Event) (time.Duration, bool) {
	if from.Time.IsZero() || to.Time.IsZero() {
		return 0, false
	}
	return to.Time.Sub(from.Time), true
}

// fmtDuration prints a human duration: 850ms, 12.4s, 11m3s.
func fmtDuration(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++ // -d overflows (two times a year apart in a hostile trace); one ns less says the same
		}
		return "-" + fmtDuration(-d)
	}
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// CodeStory is the evidence of a code's issuance and of its deliveries to
// the app, leaving out exchanges already in have.
func (a *Analysis) CodeStory(code secret.Secret, have []Evidence) []Evidence {
	c, ok := a.byCode[code]
	if !ok || code.IsZero() {
		return nil
	}
	seen := map[string]bool{}
	for _, e := range have {
		seen[e.Ref] = true
	}
	var out []Evidence
	add := func(ev *model.Event, note string) {
		if ev != nil && !seen[ev.Ref] {
			seen[ev.Ref] = true
			out = append(out, a.Evidence(ev, note))
		}
	}
	if c.Issued != nil {
		add(c.Issued, "code issued ("+c.Issued.Delivery()+")")
	}
	for i, d := range c.Deliveries {
		add(d, ordinal(i)+" delivery to the app")
	}
	return out
}

// ExchangeEvidence describes an exchange that has no OAuth event (the app's
// response that started a sign-in, a request with a token in its URL).
func (a *Analysis) ExchangeEvidence(ex *Exchange, note string) Evidence {
	e := Evidence{Ref: ex.Ref, Method: ex.Method(), URL: secret.RedactURL(ex.URL()), Status: ex.Status(), Note: note}
	if !ex.Start.IsZero() {
		e.Time = ex.Start.UTC()
	}
	return e
}

// Library is the client library the transaction's requests reveal, or "".
func (t *Transaction) Library() string {
	if t.Authorize != nil && t.Authorize.Library() != "" {
		return t.Authorize.Library()
	}
	for _, cb := range t.Callbacks() {
		if cb.Library() != "" {
			return cb.Library()
		}
	}
	for _, r := range t.Redemptions() {
		if r.Request.Library() != "" {
			return r.Request.Library()
		}
	}
	return ""
}

// versionBelow reports whether a dotted version is lower than want
// ("2.13.0" < "2.15.1"); unparsable versions are not.
func versionBelow(v, want string) bool {
	a, b := strings.Split(v, "."), strings.Split(want, ".")
	for i := 0; i < len(b); i++ {
		var x, y int
		if i < len(a) {
			if _, err := fmt.Sscanf(a[i], "%d", &x); err != nil {
				return false
			}
		}
		fmt.Sscanf(b[i], "%d", &y)
		if x != y {
			return x < y
		}
	}
	return false
}

// RefusedUse is the first API call, after the refused redemption lost was
// sent, that presents the access token redemption won obtained and is
// refused (401 or 403): what the user saw when the provider revoked the
// grant. Nil when the trace shows none.
func (a *Analysis) RefusedUse(won, lost *Redemption) *model.Event {
	if won.Response == nil || won.Response.AccessToken().IsZero() {
		return nil
	}
	for _, call := range a.APICalls {
		if call.Exchange <= lost.Request.Exchange || !call.AccessToken().Equal(won.Response.AccessToken()) {
			continue
		}
		if call.Status == 401 || call.Status == 403 {
			return call
		}
	}
	return nil
}

// stateIndex finds a transaction by its authorize request's state: an open
// addressed table of positions in a list of transactions, whose
// Authorize.State is the key. A map from the state to the transaction held
// 24 bytes a slot and split its tables when full, so that a capture of
// 65,000 sign-ins, each with its own state, held 3.3 MiB for it while the
// rules ran; these slots are 4 bytes, 0.5 MiB there. Which transaction a
// state finds does not depend on the hash.
type stateIndex struct {
	seed  maphash.Seed
	slots []int32 // position + 1; 0 is empty
	n     int
}

// slot is where s is, or the empty slot where it would go.
func (x *stateIndex) slot(txs []*Transaction, s secret.Secret) (int, bool) {
	mask := len(x.slots) - 1
	i := int(maphash.String(x.seed, s.Reveal())) & mask
	for {
		p := x.slots[i]
		if p == 0 {
			return i, false
		}
		if txs[p-1].Authorize.State == s {
			return i, true
		}
		i = (i + 1) & mask
	}
}

// get is the position of the transaction s is indexed to, or -1.
func (x *stateIndex) get(txs []*Transaction, s secret.Secret) int {
	if x.n == 0 {
		return -1
	}
	i, ok := x.slot(txs, s)
	if !ok {
		return -1
	}
	return int(x.slots[i]) - 1
}

// put indexes s to position pos, whose transaction's authorize request
// has state s; replace says whether it replaces one indexed before (the
// latest sign-in of a state) or leaves it (the first). It returns the
// position indexed before, or -1.
func (x *stateIndex) put(txs []*Transaction, s secret.Secret, pos int, replace bool) int {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow(txs)
	}
	i, ok := x.slot(txs, s)
	if ok {
		prev := int(x.slots[i]) - 1
		if replace {
			x.slots[i] = int32(pos + 1)
		}
		return prev
	}
	x.slots[i] = int32(pos + 1)
	x.n++
	return -1
}

func (x *stateIndex) grow(txs []*Transaction) {
	old := x.slots
	if old == nil {
		x.seed = maphash.MakeSeed()
	}
	x.slots = make([]int32, max(16, 2*len(old)))
	for _, p := range old {
		if p != 0 {
			i, _ := x.slot(txs, txs[p-1].Authorize.State)
			x.slots[i] = p
		}
	}
}
