// Package compare aligns the sign-ins of a working trace with those of a
// failing one, step by step, and names what differs, the difference that
// explains the failure first. It reads only the model: the CLI
// reads the traces and report renders the result.
//
// Values it hands out are never secrets: parameters that are not secret
// (redirect_uri, scope, …), fingerprints, cookie names and attributes. A
// secret's raw value is only used to test a relation (a verifier against
// its challenge), never shown.
package compare

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Trace is one side of a comparison.
type Trace struct {
	File   string
	Format model.Format
	Events []model.Event
	// Exchanges, when given, add cookies set by the page that started a
	// sign-in and the exchanges' full (redacted) URLs. Looked up by Index.
	Exchanges []*model.Exchange
}

// Step kinds, in the order a sign-in goes through them.
const (
	StepAuthorize       = "authorize"
	StepAuthorizeError  = "authorize-error"
	StepCodeIssued      = "code-issued"
	StepCallback        = "callback"
	StepTokenRequest    = "token-request"
	StepTokenResponse   = "token-response"
	StepRefreshRequest  = "refresh-request"
	StepRefreshResponse = "refresh-response"
	StepAPICall         = "api-call"
	// The steps of a sign-out, named as their event kinds, in the order a
	// sign-out goes through them: the app's own sign-out, a revocation it
	// sends, the browser at the provider's end-session endpoint, the
	// front-channel logouts the provider's page loads, the way back.
	StepAppLogout          = "app-logout"
	StepRevocation         = "revocation"
	StepLogout             = "logout"
	StepFrontChannelLogout = "frontchannel-logout"
	StepLogoutReturn       = "logout-return"
)

var stepOrder = []string{StepAuthorize, StepAuthorizeError, StepCodeIssued, StepCallback, StepTokenRequest,
	StepTokenResponse, StepAPICall, StepRefreshRequest, StepRefreshResponse,
	StepAppLogout, StepRevocation, StepLogout, StepFrontChannelLogout, StepLogoutReturn}

// signOutSteps are the steps of a sign-out, by event kind.
var signOutSteps = map[model.EventKind]string{
	model.AppLogout: StepAppLogout, model.Revocation: StepRevocation, model.LogoutRequest: StepLogout,
	model.FrontChannelLogout: StepFrontChannelLogout, model.LogoutReturn: StepLogoutReturn,
}

func isSignOutStep(kind string) bool {
	switch kind {
	case StepAppLogout, StepRevocation, StepLogout, StepFrontChannelLogout, StepLogoutReturn:
		return true
	}
	return false
}

// Class ranks a difference: the lower, the more it explains a failure.
type Class int

const (
	// Explains: a parameter that explains a refusal (redirect_uri at the
	// token step not the authorize's, a verifier that does not prove the
	// challenge, a cookie missing where the app refused).
	Explains Class = iota + 1
	// Overlap: a second sign-in started before the first finished.
	Overlap
	// Crossing: a value of one sign-in used by another (a verifier).
	Crossing
	// CookieMissing: the app refused a callback that lacked a cookie the
	// working trace's callback carried.
	CookieMissing
	// ExtraRedemption: a code redeemed once more than in the good trace.
	ExtraRedemption
	// ExtraCallback: a code delivered once more.
	ExtraCallback
	// Timing: a delay far longer than the good trace's.
	Timing
	// Refusal: a status or provider error code the good trace lacks.
	Refusal
	// ExtraStep, MissingStep: other steps one side has and the other lacks.
	ExtraStep
	MissingStep
	// Parameter: other parameters, hosts, endpoints, cookies.
	Parameter
	// Cosmetic: a difference that alone does not make the sign-ins differ
	// (a port: test deployments differ by port).
	Cosmetic
)

// Point is one side's exchange at a step.
type Point struct {
	Ref       string
	Time      time.Time
	Method    string
	URL       string // redacted
	Status    int
	ErrorCode string
}

// Difference is one field that differs at a step.
type Difference struct {
	Field string
	Good  string
	Bad   string
	Note  string
	Class Class
}

// Step is one aligned step of one sign-in.
type Step struct {
	Step   string
	SignIn int // 1-based
	N      int // 1-based occurrence of this step in the sign-in
	Good   *Point
	Bad    *Point
	// Differences are sorted, the most explaining first.
	Differences []Difference
}

// First is the difference that explains the failure best.
type First struct {
	Step   string
	SignIn int
	N      int
	Field  string
	Note   string
	Class  Class
}

// Result is a comparison.
type Result struct {
	// GoodSignIns and BadSignIns count the sign-ins (groups with a sign-in
	// step); GoodSignOuts and BadSignOuts the groups with sign-out steps.
	// A trace of sign-outs only has them in a group of their own, which is
	// no sign-in.
	GoodSignIns  int
	BadSignIns   int
	GoodSignOuts int
	BadSignOuts  int
	Steps        []Step
	First        *First
}

// Differs reports whether any difference above cosmetic was found.
func (r *Result) Differs() bool {
	return r.First != nil && r.First.Class != Cosmetic
}

// signin is one sign-in's events by step.
type signin struct {
	steps map[string][]*model.Event
	start time.Time
}

func (s *signin) first(kind string) *model.Event {
	if l := s.steps[kind]; len(l) > 0 {
		return l[0]
	}
	return nil
}

// callback is the sign-in's first callback, nil when it has none or there
// is no sign-in (a failing trace with fewer sign-ins than the working one).
func (s *signin) callback() *model.Event {
	if s == nil {
		return nil
	}
	return s.first(StepCallback)
}

func (s *signin) add(kind string, e *model.Event) {
	s.steps[kind] = append(s.steps[kind], e)
	if s.start.IsZero() || (!e.Time.IsZero() && e.Time.Before(s.start)) {
		s.start = e.Time
	}
}

// code is the authorization code the sign-in was issued or delivered.
func (s *signin) code() secret.Secret {
	for _, k := range []string{StepCodeIssued, StepCallback, StepTokenRequest} {
		for _, e := range s.steps[k] {
			if !e.Code.IsZero() {
				return e.Code
			}
		}
	}
	return secret.Secret{}
}

func (s *signin) state() secret.Secret {
	if a := s.first(StepAuthorize); a != nil {
		return a.State
	}
	return secret.Secret{}
}

// done is when the sign-in finished its first pass: the first token
// response, else its last sign-in event (a sign-out that ends it later is
// no part of it: a second sign-in before that is no overlap).
func (s *signin) done() time.Time {
	if r := s.first(StepTokenResponse); r != nil {
		return r.Time
	}
	var last time.Time
	for kind, l := range s.steps {
		if isSignOutStep(kind) {
			continue
		}
		for _, e := range l {
			if e.Time.After(last) {
				last = e.Time
			}
		}
	}
	return last
}

// signIns groups events into sign-ins: an authorize request starts one;
// the code, state and exchange link the later steps to it.
func signIns(events []model.Event) []*signin {
	evs := make([]*model.Event, len(events))
	for i := range events {
		evs[i] = &events[i]
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	var out []*signin
	newSignin := func() *signin {
		s := &signin{steps: map[string][]*model.Event{}}
		out = append(out, s)
		return s
	}
	last := func() *signin {
		if len(out) == 0 {
			return newSignin()
		}
		return out[len(out)-1]
	}
	byCode := func(c secret.Secret) *signin {
		if c.IsZero() {
			return nil
		}
		for _, s := range out {
			if s.code().Equal(c) {
				return s
			}
		}
		return nil
	}
	byState := func(st secret.Secret) *signin {
		if st.IsZero() {
			return nil
		}
		for i := len(out) - 1; i >= 0; i-- {
			if out[i].state().Equal(st) {
				return out[i]
			}
		}
		return nil
	}
	byExchange := func(kind string, ex int) *signin {
		for _, s := range out {
			for _, e := range s.steps[kind] {
				if e.Exchange == ex {
					return s
				}
			}
		}
		return nil
	}
	for _, e := range evs {
		switch e.Kind {
		case model.AuthorizeRequest:
			// A login form that posts back to the authorize endpoint
			// (fosite, many providers) repeats the request: same state,
			// same sign-in.
			if s := byState(e.State); s != nil && s.first(StepCodeIssued) == nil {
				s.add(StepAuthorize, e)
				continue
			}
			// Sent by reference, the repeated request shows no state: the
			// same client's sign-in by reference that has no code yet
			// goes on.
			if len(out) > 0 && e.ParamsByReference() && e.State.IsZero() {
				s := out[len(out)-1]
				if a := s.first(StepAuthorize); a != nil && a.ParamsByReference() && a.ClientID() == e.ClientID() && s.first(StepCodeIssued) == nil {
					s.add(StepAuthorize, e)
					continue
				}
			}
			newSignin().add(StepAuthorize, e)
		case model.CodeIssued, model.AuthorizeError:
			kind := StepCodeIssued
			if e.Kind == model.AuthorizeError {
				kind = StepAuthorizeError
			}
			s := byExchange(StepAuthorize, e.Exchange)
			if s == nil {
				s = byState(e.State)
			}
			if s == nil {
				s = last()
			}
			s.add(kind, e)
		case model.Callback:
			s := byCode(e.Code)
			if s == nil {
				s = byState(e.State)
			}
			if s == nil {
				s = last()
			}
			s.add(StepCallback, e)
		case model.TokenRequest:
			if isRefresh(e) {
				last().add(StepRefreshRequest, e)
				continue
			}
			s := byCode(e.Code)
			if s == nil {
				s = last()
			}
			s.add(StepTokenRequest, e)
		case model.TokenResponse:
			s := byExchange(StepTokenRequest, e.Exchange)
			kind := StepTokenResponse
			if s == nil {
				if s = byExchange(StepRefreshRequest, e.Exchange); s != nil {
					kind = StepRefreshResponse
				}
			}
			if s == nil {
				s = last()
			}
			s.add(kind, e)
		case model.APICall:
			var s *signin
			for _, c := range out {
				if r := c.first(StepTokenResponse); r != nil && !r.Time.After(e.Time) {
					s = c
				}
			}
			if s == nil {
				s = last()
			}
			s.add(StepAPICall, e)
		case model.AppLogout, model.Revocation, model.LogoutRequest, model.FrontChannelLogout, model.LogoutReturn:
			s := byTokens(out, e)
			if s == nil {
				s = last()
			}
			s.add(signOutSteps[e.Kind], e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// byTokens is the sign-in a sign-out step ends by its tokens: the one whose
// token response issued the logout request's id_token_hint, or the token a
// revocation revokes. nil when none did (the sign-out then goes with the
// latest sign-in before it).
func byTokens(out []*signin, e *model.Event) *signin {
	hint, tok := e.IDToken(), e.SignOut().Token
	if hint.IsZero() && tok.IsZero() {
		return nil
	}
	for i := len(out) - 1; i >= 0; i-- {
		for _, k := range []string{StepTokenResponse, StepRefreshResponse} {
			for _, r := range out[i].steps[k] {
				for _, v := range []secret.Secret{r.IDToken(), r.AccessToken(), r.RefreshToken()} {
					if !v.IsZero() && (v.Equal(hint) || v.Equal(tok)) {
						return out[i]
					}
				}
			}
		}
	}
	return nil
}

// count is how many groups hold a sign-in step and how many a sign-out
// step.
func count(ss []*signin) (signIns, signOuts int) {
	for _, s := range ss {
		in, so := false, false
		for kind, l := range s.steps {
			if len(l) == 0 {
				continue
			}
			if isSignOutStep(kind) {
				so = true
			} else {
				in = true
			}
		}
		if in {
			signIns++
		}
		if so {
			signOuts++
		}
	}
	return signIns, signOuts
}

func isRefresh(e *model.Event) bool {
	return e.GrantType() == "refresh_token" || (e.GrantType() != "" && e.GrantType() != "authorization_code" && e.Code.IsZero())
}

// Compare aligns good's sign-ins with bad's, i-th with i-th in time order,
// and within each the n-th occurrence of each step.
func Compare(good, bad Trace) *Result {
	gs, bs := signIns(good.Events), signIns(bad.Events)
	c := &comparer{good: good, bad: bad, gs: gs, bs: bs,
		gx: indexExchanges(good.Exchanges), bx: indexExchanges(bad.Exchanges),
		gk: secretNames(good.Events), bk: secretNames(bad.Events)}
	c.badRefused = anyRefusal(bs)
	res := &Result{}
	res.GoodSignIns, res.GoodSignOuts = count(gs)
	res.BadSignIns, res.BadSignOuts = count(bs)
	for i := 0; i < max(len(gs), len(bs)); i++ {
		var g, b *signin
		if i < len(gs) {
			g = gs[i]
		}
		if i < len(bs) {
			b = bs[i]
		}
		for _, kind := range stepOrder {
			var gl, bl []*model.Event
			if g != nil {
				gl = g.steps[kind]
			}
			if b != nil {
				bl = b.steps[kind]
			}
			for n := 0; n < max(len(gl), len(bl)); n++ {
				st := Step{Step: kind, SignIn: i + 1, N: n + 1}
				var ge, be *model.Event
				if n < len(gl) {
					ge = gl[n]
					st.Good = c.point(ge, c.gx)
				}
				if n < len(bl) {
					be = bl[n]
					st.Bad = c.point(be, c.bx)
				}
				st.Differences = c.diffStep(kind, i, n, g, b, ge, be)
				sortDiffs(st.Differences)
				res.Steps = append(res.Steps, st)
			}
		}
	}
	for _, st := range res.Steps {
		for _, d := range st.Differences {
			if res.First == nil || d.Class < res.First.Class || (d.Class == res.First.Class && fieldRank(d.Field) < fieldRank(res.First.Field)) {
				res.First = &First{Step: st.Step, SignIn: st.SignIn, N: st.N, Field: d.Field, Note: d.Note, Class: d.Class}
			}
		}
	}
	return res
}

// fieldRank breaks ties between differences of one class: the parameters
// that most often explain a refusal first.
func fieldRank(f string) int {
	switch f {
	case "redirect_uri":
		return 0
	case "code_verifier":
		return 1
	case "client_secret", "client_auth":
		return 2
	case "cookies_sent", "cookies_set":
		return 3
	case "error_code":
		return 4
	case "status":
		return 5
	}
	return 9
}

func sortDiffs(ds []Difference) {
	sort.SliceStable(ds, func(i, j int) bool {
		if ds[i].Class != ds[j].Class {
			return ds[i].Class < ds[j].Class
		}
		return fieldRank(ds[i].Field) < fieldRank(ds[j].Field)
	})
}

type comparer struct {
	good, bad  Trace
	gs, bs     []*signin
	gx, bx     map[int]*model.Exchange
	gk, bk     *strings.Replacer // state and nonce values in cookie names
	badRefused bool
}

func indexExchanges(xs []*model.Exchange) map[int]*model.Exchange {
	m := make(map[int]*model.Exchange, len(xs))
	for _, x := range xs {
		if x != nil {
			m[x.Index] = x
		}
	}
	return m
}

func (c *comparer) point(e *model.Event, xs map[int]*model.Exchange) *Point {
	p := &Point{Ref: e.Ref, Time: e.Time, Method: e.Method(), URL: e.Endpoint(), Status: e.Status, ErrorCode: errorCode(e)}
	if x := xs[e.Exchange]; x != nil {
		p.URL = secret.RedactURL(x.Request.URL)
		if p.Method == "" {
			p.Method = x.Request.Method
		}
	}
	return p
}

// errorCode is the provider's most specific code: AADSTS…, else error=.
func errorCode(e *model.Event) string {
	if e == nil || e.Err.IsZero() {
		return ""
	}
	if len(e.Err.Codes) > 0 {
		return e.Err.Codes[0]
	}
	return e.Err.Error
}

// refused reports whether a step failed: an error status, a provider
// error, or a request the client recorded as failed.
func refused(e *model.Event) bool {
	if e == nil {
		return false
	}
	if e.Kind == model.AuthorizeError || !e.Err.IsZero() || e.Failure() != "" {
		return true
	}
	return e.Status >= 400
}

func anyRefusal(ss []*signin) bool {
	for _, s := range ss {
		for _, l := range s.steps {
			for _, e := range l {
				if refused(e) {
					return true
				}
			}
		}
	}
	return false
}

func (c *comparer) diffStep(kind string, i, n int, g, b *signin, ge, be *model.Event) []Difference {
	switch {
	case ge == nil && be == nil:
		return nil
	case ge == nil:
		return []Difference{c.extra(kind, i, n, b, be)}
	case be == nil:
		note := fmt.Sprintf("the failing trace has no %s here (%s in the working trace)", describe(kind, n), ge.Ref)
		if backChannel(kind, g, ge) {
			if cb := b.callback(); cb != nil && refused(cb) {
				// Nothing to redeem: the capture is not missing it.
				note += fmt.Sprintf("; the app refused the failing trace's callback (%s) before redeeming a code", cb.Ref)
			} else if !anyStep(c.bs, StepTokenRequest) {
				note += "; it is a back-channel call (no Origin), which a browser trace cannot show: add the app server's capture"
			}
		}
		cl := MissingStep
		if note2, explains := missingSignOut(kind, b); note2 != "" {
			note += "; " + note2
			if explains {
				cl = Explains
			}
		}
		return []Difference{{Field: "step", Good: "present", Bad: "missing", Class: cl, Note: note}}
	}
	var ds []Difference
	add := func(d Difference) { ds = append(ds, d) }
	// Status and provider error.
	if ge.Status != be.Status || ge.Failure() != be.Failure() {
		cl := Parameter
		if refused(be) && !refused(ge) {
			cl = Refusal
		}
		gv, bv := statusText(ge), statusText(be)
		if gv != bv {
			add(Difference{Field: "status", Good: gv, Bad: bv, Class: cl, Note: refusalNote(kind, be)})
		}
	}
	if gc, bc := errorCode(ge), errorCode(be); gc != bc {
		cl := Parameter
		if bc != "" {
			cl = Refusal
		}
		add(Difference{Field: "error_code", Good: gc, Bad: bc, Class: cl, Note: errorNote(be)})
	}
	ds = append(ds, c.diffEndpoint(ge, be)...)
	if ge.Method() != be.Method() && ge.Method() != "" && be.Method() != "" {
		add(Difference{Field: "method", Good: ge.Method(), Bad: be.Method(), Class: Parameter})
	}
	// An authorize request that sent its parameters by reference (pushed,
	// or in an encrypted request object) does not show them: what its URL
	// lacks is unknown, not absent, and is not compared.
	gRef, bRef := ge.ParamsByReference(), be.ParamsByReference()
	if gRef != bRef {
		add(Difference{Field: "parameters", Good: byReference(gRef), Bad: byReference(bRef), Class: Parameter,
			Note: "one authorize request sent its parameters by reference (request_uri of a pushed request, or an encrypted request object): those its URL lacks are not compared"})
	}
	unknown := func(g, b bool) bool { return (gRef && !g) || (bRef && !b) }
	for _, f := range []struct{ name, g, b string }{
		{"client_id", ge.ClientID(), be.ClientID()},
		{"scope", ge.Scope(), be.Scope()},
		{"resource", ge.Resource(), be.Resource()},
		{"response_type", ge.ResponseType(), be.ResponseType()},
		{"response_mode", ge.ResponseMode(), be.ResponseMode()},
		{"prompt", ge.Prompt(), be.Prompt()},
		{"code_challenge_method", ge.CodeChallengeMethod(), be.CodeChallengeMethod()},
		{"delivery", ge.Delivery(), be.Delivery()},
		{"grant_type", ge.GrantType(), be.GrantType()},
		{"client_auth", ge.ClientAuth(), be.ClientAuth()},
	} {
		if f.g != f.b && !unknown(f.g != "", f.b != "") {
			cl := Parameter
			if f.name == "client_auth" && invalidClient(b) {
				cl = Explains
			}
			add(Difference{Field: f.name, Good: f.g, Bad: f.b, Class: cl})
		}
	}
	for _, f := range []struct {
		name string
		g, b secret.Secret
	}{{"state", ge.State, be.State}, {"nonce", ge.Nonce(), be.Nonce()}, {"code_challenge", ge.CodeChallenge(), be.CodeChallenge()},
		{"access_token", ge.AccessToken(), be.AccessToken()}, {"id_token", ge.IDToken(), be.IDToken()}} {
		if f.g.IsZero() != f.b.IsZero() && !unknown(!f.g.IsZero(), !f.b.IsZero()) {
			if f.name == "id_token" && kind == StepLogout {
				// A logout request's ID token is its id_token_hint.
				add(hintPresence(g, b, ge, be))
				continue
			}
			add(Difference{Field: f.name, Good: presence(f.g), Bad: presence(f.b), Class: Parameter})
		}
	}
	if kind == StepAuthorize || kind == StepCallback || kind == StepCodeIssued {
		if d, ok := redirectDiff(ge.RedirectURI(), be.RedirectURI()); ok && !unknown(ge.RedirectURI() != "", be.RedirectURI() != "") {
			if kind == StepAuthorize && refusedAuthorize(b) && d.Class == Parameter {
				d.Class = Explains
				d.Note = "the provider refused this sign-in at the authorize step; " + d.Note
			}
			add(d)
		}
	}
	if isSignOutStep(kind) {
		ds = append(ds, diffSignOut(kind, b, ge, be)...)
	}
	if kind == StepTokenRequest {
		ds = append(ds, c.diffRedemption(i, n, g, b, ge, be)...)
		if be.Failure() != "" && be.Origin() != "" && ge.Failure() == "" {
			// A HAR shows a CORS block as a failed fetch with no answer.
			add(Difference{Field: "allow_origin", Good: "readable", Bad: "no answer (" + be.Failure() + ")", Class: Explains,
				Note: "the browser withheld the token response from the page of origin " + be.Origin() +
					": the token endpoint's answer lacks an Access-Control-Allow-Origin naming it"})
		}
	}
	if kind == StepTokenResponse || kind == StepRefreshResponse {
		if d, ok := corsDiff(ge, be, requestOrigin(g, ge), requestOrigin(b, be)); ok {
			add(d)
		}
	}
	ds = append(ds, c.diffCookies(kind, b, ge, be)...)
	return ds
}

func invalidClient(s *signin) bool {
	if s == nil {
		return false
	}
	for _, l := range s.steps {
		for _, e := range l {
			if !e.Err.IsZero() && (e.Err.Error == "invalid_client" || e.Err.Error == "unauthorized_client") {
				return true
			}
		}
	}
	return false
}

func refusedAuthorize(s *signin) bool {
	if s == nil {
		return false
	}
	if len(s.steps[StepAuthorizeError]) > 0 {
		return true
	}
	a := s.first(StepAuthorize)
	return a != nil && refused(a)
}

func byReference(ref bool) string {
	if ref {
		return "by reference"
	}
	return "in the request"
}

func presence(s secret.Secret) string {
	if s.IsZero() {
		return "absent"
	}
	return "present"
}

func statusText(e *model.Event) string {
	if e.Failure() != "" {
		if e.Status > 0 {
			return fmt.Sprintf("%d (%s)", e.Status, e.Failure())
		}
		return "no answer (" + e.Failure() + ")"
	}
	if e.Status == 0 {
		return "no answer"
	}
	return fmt.Sprint(e.Status)
}

func refusalNote(kind string, e *model.Event) string {
	if !refused(e) {
		return ""
	}
	if e.Failure() != "" {
		return "the failing trace's request got no answer the page could read"
	}
	return fmt.Sprintf("the failing trace's %s was refused", kind)
}

func errorNote(e *model.Event) string {
	if e.Err.IsZero() {
		return ""
	}
	if e.Err.Description != "" {
		d := e.Err.Description
		if len(d) > 160 {
			d = d[:160] + "…"
		}
		return secret.RedactText(d)
	}
	return ""
}

// diffEndpoint compares where a step went: provider family, flavour,
// cloud, tenant, host and path. A port alone is cosmetic.
func (c *comparer) diffEndpoint(ge, be *model.Event) []Difference {
	var ds []Difference
	gp, bp := ge.Provider(), be.Provider()
	for _, f := range []struct{ name, g, b string }{
		{"provider", string(gp.Family), string(bp.Family)},
		{"variant", gp.Variant, bp.Variant},
		{"cloud", gp.Cloud, bp.Cloud},
		{"tenant", gp.Tenant, bp.Tenant},
		{"policy", gp.Policy, bp.Policy},
	} {
		if f.g != f.b {
			ds = append(ds, Difference{Field: f.name, Good: f.g, Bad: f.b, Class: Parameter})
		}
	}
	gu, gerr := url.Parse(ge.Endpoint())
	bu, berr := url.Parse(be.Endpoint())
	if gerr != nil || berr != nil {
		if ge.Endpoint() != be.Endpoint() {
			ds = append(ds, Difference{Field: "endpoint", Good: ge.Endpoint(), Bad: be.Endpoint(), Class: Parameter})
		}
		return ds
	}
	switch {
	case gu.Scheme != bu.Scheme || gu.Hostname() != bu.Hostname():
		ds = append(ds, Difference{Field: "host", Good: gu.Scheme + "://" + gu.Host, Bad: bu.Scheme + "://" + bu.Host, Class: Parameter})
	case gu.Port() != bu.Port():
		ds = append(ds, Difference{Field: "port", Good: gu.Port(), Bad: bu.Port(), Class: Cosmetic,
			Note: "only the port differs (test deployments differ by port)"})
	}
	if gu.Path != bu.Path {
		ds = append(ds, Difference{Field: "path", Good: gu.Path, Bad: bu.Path, Class: Parameter})
	}
	return ds
}

// redirectDiff compares two redirect URIs byte for byte; a difference in
// the port alone is cosmetic.
func redirectDiff(g, b string) (Difference, bool) {
	if g == b {
		return Difference{}, false
	}
	d := Difference{Field: "redirect_uri", Good: g, Bad: b, Class: Parameter, Note: ByteDiff(g, b)}
	if stripPort(g) == stripPort(b) {
		d.Class = Cosmetic
		d.Note = "only the port differs (test deployments differ by port)"
	}
	return d, true
}

func stripPort(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Port() == "" {
		return raw
	}
	u.Host = u.Hostname()
	return u.String()
}

// ByteDiff says where two strings first differ: the byte offset and the
// few bytes around it on each side, plus what one has more.
func ByteDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) && i == len(b) {
		return ""
	}
	at := func(s string) string {
		if i >= len(s) {
			return "(end)"
		}
		end := min(len(s), i+8)
		return fmt.Sprintf("%q", s[i:end])
	}
	note := fmt.Sprintf("first differs at byte %d: %s vs %s", i, at(a), at(b))
	switch {
	case strings.HasPrefix(b, a):
		note += fmt.Sprintf("; the second has %q more", b[len(a):])
	case strings.HasPrefix(a, b):
		note += fmt.Sprintf("; the second lacks %q", a[len(b):])
	}
	return note
}

// diffRedemption compares a token request: its redirect_uri against its
// own sign-in's authorize (the provider requires them equal), its verifier
// against the sign-in's challenge, the client secret, and the delays
// since the code was issued and delivered.
func (c *comparer) diffRedemption(i, n int, g, b *signin, ge, be *model.Event) []Difference {
	var ds []Difference
	gok, gknown := redirectMatches(g, ge)
	bok, bknown := redirectMatches(b, be)
	switch {
	case bknown && !bok && (!gknown || gok):
		auth := b.first(StepAuthorize)
		ds = append(ds, Difference{Field: "redirect_uri", Good: ge.RedirectURI(), Bad: be.RedirectURI(), Class: Explains,
			Note: "the failing trace's token request sends a redirect_uri that is not its authorize request's (" +
				auth.RedirectURI() + "); " + ByteDiff(auth.RedirectURI(), be.RedirectURI())})
	default:
		if d, ok := redirectDiff(ge.RedirectURI(), be.RedirectURI()); ok {
			ds = append(ds, d)
		}
	}
	gv := verifierState(g, ge, c.gs)
	bv := verifierState(b, be, c.bs)
	if bv.code != gv.code && bv.code != "" && bv.code != "ok" {
		d := Difference{Field: "code_verifier", Good: gv.text(), Bad: bv.text(), Note: bv.note, Class: Explains}
		if bv.code == "other-signin" {
			d.Class = Crossing
		}
		ds = append(ds, d)
	} else if ge.CodeVerifier().IsZero() != be.CodeVerifier().IsZero() {
		ds = append(ds, Difference{Field: "code_verifier", Good: presence(ge.CodeVerifier()), Bad: presence(be.CodeVerifier()), Class: Parameter})
	}
	if ge.ClientAuth() == be.ClientAuth() && !ge.ClientSecret().IsZero() && !be.ClientSecret().IsZero() && !ge.ClientSecret().Equal(be.ClientSecret()) {
		cl := Parameter
		if invalidClient(b) {
			cl = Explains
		}
		ds = append(ds, Difference{Field: "client_secret", Good: ge.ClientSecret().Fingerprint(), Bad: be.ClientSecret().Fingerprint(),
			Class: cl, Note: "another client secret (fingerprints shown)"})
	}
	if n == 0 {
		ds = append(ds, timing("code_age", "code issued → redemption", g.first(StepCodeIssued), ge, b.first(StepCodeIssued), be)...)
		ds = append(ds, timing("callback_to_redemption", "callback → redemption", g.first(StepCallback), ge, b.first(StepCallback), be)...)
	}
	return ds
}

// redirectMatches says whether a token request's redirect_uri equals its
// sign-in's authorize request's, and whether that can be told.
func redirectMatches(s *signin, tr *model.Event) (ok, known bool) {
	if s == nil || tr == nil {
		return false, false
	}
	a := s.first(StepAuthorize)
	if a == nil || a.RedirectURI() == "" || tr.RedirectURI() == "" {
		return false, false
	}
	return a.RedirectURI() == tr.RedirectURI(), true
}

type verifier struct {
	code string // "", ok, missing, mismatch, other-signin
	note string
}

func (v verifier) text() string {
	switch v.code {
	case "ok":
		return "proves the challenge"
	case "missing":
		return "missing"
	case "mismatch":
		return "does not prove the challenge"
	case "other-signin":
		return "proves another sign-in's challenge"
	}
	return "not checked"
}

// verifierState checks a token request's code_verifier against its
// sign-in's code_challenge (RFC 7636 §4.6); with all given, a verifier that
// proves another sign-in's challenge is a crossing.
func verifierState(s *signin, tr *model.Event, all []*signin) verifier {
	if s == nil || tr == nil {
		return verifier{}
	}
	a := s.first(StepAuthorize)
	if a == nil || a.CodeChallenge().IsZero() || a.CodeChallenge().IsRedacted() {
		return verifier{}
	}
	if tr.CodeVerifier().IsZero() {
		return verifier{code: "missing", note: "the authorize request sent a code_challenge but the token request has no code_verifier"}
	}
	if tr.CodeVerifier().IsRedacted() {
		return verifier{}
	}
	if proves(tr.CodeVerifier(), a) {
		return verifier{code: "ok"}
	}
	for k, o := range all {
		if o == s {
			continue
		}
		if oa := o.first(StepAuthorize); oa != nil && !oa.CodeChallenge().IsZero() && proves(tr.CodeVerifier(), oa) {
			return verifier{code: "other-signin", note: fmt.Sprintf("the verifier proves sign-in %d's challenge, not this sign-in's: the sign-ins crossed", k+1)}
		}
	}
	return verifier{code: "mismatch", note: "the code_verifier does not prove the authorize request's code_challenge (" +
		nonEmpty(a.CodeChallengeMethod(), "plain") + ")"}
}

func proves(v secret.Secret, a *model.Event) bool {
	if strings.EqualFold(a.CodeChallengeMethod(), "S256") {
		return v.S256() == a.CodeChallenge().Reveal()
	}
	return v.Equal(a.CodeChallenge())
}

func nonEmpty(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// timing compares one delay; only a failing-side delay far longer than
// the working one (three times and two seconds more) is a difference:
// smaller ones are the noise of two runs.
func timing(field, what string, gFrom, gTo, bFrom, bTo *model.Event) []Difference {
	if gFrom == nil || bFrom == nil || gTo == nil || bTo == nil || gFrom.Time.IsZero() || bFrom.Time.IsZero() {
		return nil
	}
	gd, bd := gTo.Time.Sub(gFrom.Time), bTo.Time.Sub(bFrom.Time)
	if bd > 3*gd && bd-gd > 2*time.Second {
		return []Difference{{Field: field, Good: roundDur(gd), Bad: roundDur(bd), Class: Timing,
			Note: fmt.Sprintf("%s took %s in the failing trace, %s in the working one: a code held that long can expire", what, roundDur(bd), roundDur(gd))}}
	}
	return nil
}

func roundDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return d.String()
}

// extra describes a step only the failing trace has.
func (c *comparer) extra(kind string, i, n int, b *signin, be *model.Event) Difference {
	d := Difference{Field: "step", Good: "missing", Bad: "present", Class: ExtraStep,
		Note: fmt.Sprintf("the failing trace has an extra %s (%s)", describe(kind, n), be.Ref)}
	switch {
	case kind == StepAuthorize && i > 0:
		d.Field = "signin"
		prev := c.bs[i-1]
		if done := prev.done(); !be.Time.IsZero() && be.Time.Before(done) {
			d.Class = Overlap
			d.Note = fmt.Sprintf("a second sign-in (%s) started before sign-in %d finished: overlapping sign-ins (several tabs) can cross state, nonce, verifier or code", be.Ref, i)
		} else {
			d.Note = fmt.Sprintf("the failing trace has one more sign-in (%s)", be.Ref)
		}
	case kind == StepTokenRequest && n > 0:
		d.Field = "redemption"
		d.Class = ExtraRedemption
		d.Note = fmt.Sprintf("the code was redeemed %d times (%s is redemption %d): a code can be redeemed only once", n+1, be.Ref, n+1)
	case kind == StepCallback && n > 0:
		d.Field = "callback"
		d.Class = ExtraCallback
		d.Note = fmt.Sprintf("the code was delivered to the app %d times (%s): a reload, a retry or a second handler", n+1, be.Ref)
	}
	return d
}

func describe(kind string, n int) string {
	if n == 0 {
		return kind
	}
	return fmt.Sprintf("%s (occurrence %d)", kind, n+1)
}

// diffCookies compares the cookie names a step sends, and the names and
// attributes of those its response (or, for an authorize request, the
// page that sent the browser there) sets. Values are never read.
func (c *comparer) diffCookies(kind string, b *signin, ge, be *model.Event) []Difference {
	var ds []Difference
	gn, bn := cookieNames(ge, c.gx, c.gk), cookieNames(be, c.bx, c.bk)
	if !slices.Equal(gn, bn) {
		cl := Parameter
		note := ""
		if missing := minus(gn, bn); len(missing) > 0 && refused(be) && !refused(ge) && kind == StepCallback {
			cl = CookieMissing
			note = "the app refused a callback that came without " + strings.Join(missing, ", ") + " (SameSite, another instance, or a lost cookie)"
		} else if kind == StepFrontChannelLogout && len(gn) > 0 && len(bn) == 0 {
			cl = CookieMissing
			note = "the provider's page loaded the app's front-channel logout URI without any cookie in the failing trace (the browser kept the app's cookies out of the third-party frame: SameSite, third-party cookies blocked): the app could not find the session to end"
		}
		ds = append(ds, Difference{Field: "cookies_sent", Good: strings.Join(gn, " "), Bad: strings.Join(bn, " "), Class: cl, Note: note})
	}
	gset, bset := c.cookiesSet(kind, ge, c.gx, c.gk), c.cookiesSet(kind, be, c.bx, c.bk)
	if !slices.Equal(gset, bset) {
		ds = append(ds, Difference{Field: "cookies_set", Good: strings.Join(gset, "; "), Bad: strings.Join(bset, "; "), Class: Parameter})
	}
	return ds
}

func cookieNames(e *model.Event, xs map[int]*model.Exchange, known *strings.Replacer) []string {
	var names []string
	if x := xs[e.Exchange]; x != nil {
		for _, ck := range x.Request.Cookies() {
			names = append(names, cookieName(ck.Name, known))
		}
	} else {
		for _, n := range e.CookieNames() {
			names = append(names, cookieName(n, known))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// cookiesSet lists "name (attributes)" for each cookie the step's response
// sets; for an authorize request, also those of the exchange that
// redirected the browser to it (the app's login route sets its state and
// verifier cookies there).
func (c *comparer) cookiesSet(kind string, e *model.Event, xs map[int]*model.Exchange, known *strings.Replacer) []string {
	var out []string
	add := func(x *model.Exchange) {
		if x == nil || x.Response == nil {
			return
		}
		for _, ck := range x.Response.SetCookies() {
			attrs := []string{}
			switch ck.SameSite {
			case http.SameSiteDefaultMode:
				attrs = append(attrs, "SameSite=Default")
			case http.SameSiteLaxMode:
				attrs = append(attrs, "SameSite=Lax")
			case http.SameSiteStrictMode:
				attrs = append(attrs, "SameSite=Strict")
			case http.SameSiteNoneMode:
				attrs = append(attrs, "SameSite=None")
			}
			if ck.Secure {
				attrs = append(attrs, "Secure")
			}
			if ck.HttpOnly {
				attrs = append(attrs, "HttpOnly")
			}
			if ck.Path != "" {
				attrs = append(attrs, "Path="+ck.Path)
			}
			if model.Expired(ck, x.End) {
				attrs = append(attrs, "deleted")
			}
			out = append(out, cookieName(ck.Name, known)+" ("+strings.Join(attrs, " ")+")")
		}
	}
	x := xs[e.Exchange]
	add(x)
	if kind == StepAuthorize && x != nil {
		add(referrerOf(x, xs))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// referrerOf is the latest exchange before x whose Location is x's URL.
func referrerOf(x *model.Exchange, xs map[int]*model.Exchange) *model.Exchange {
	var best *model.Exchange
	for _, o := range xs {
		if o.Index == x.Index || o.Start.After(x.Start) {
			continue
		}
		if loc := o.Location(); loc != nil && loc.String() == x.Request.URL {
			if best == nil || o.Start.After(best.Start) || (o.Start.Equal(best.Start) && o.Index > best.Index) {
				best = o
			}
		}
	}
	return best
}

func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// cookieName hides what varies per sign-in in a cookie's name: apps name
// transaction cookies after the state or a nonce ("rp_tx_<state>",
// ".AspNetCore.Correlation.<id>"), which is a secret and would make every
// pair of runs differ. The trace's own state and nonce values become "*";
// so does the rest of a name from the first segment (split at "_", "-",
// ".") of 8 bytes or more that holds a digit, when that rest is 16 bytes or
// more (a word such as oauth2-proxy's "_oauth2_proxy_csrf" stays).
func cookieName(name string, known *strings.Replacer) string {
	if known != nil {
		name = known.Replace(name)
	}
	for i := 0; i < len(name); i++ {
		if i > 0 && !strings.ContainsRune("_-.", rune(name[i-1])) {
			continue
		}
		rest := name[i:]
		seg := rest
		if j := strings.IndexAny(rest, "_-."); j >= 0 {
			seg = rest[:j]
		}
		if len(rest) >= 16 && len(seg) >= 8 && strings.ContainsAny(seg, "0123456789") {
			return name[:i] + "*"
		}
	}
	return name
}

// secretNames builds the replacer that hides a trace's state and nonce
// values inside cookie names.
func secretNames(events []model.Event) *strings.Replacer {
	var pairs []string
	seen := map[string]bool{}
	for i := range events {
		for _, s := range []secret.Secret{events[i].State, events[i].Nonce()} {
			if v := s.Reveal(); len(v) >= 8 && !seen[v] {
				seen[v] = true
				pairs = append(pairs, v, "*")
			}
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	return strings.NewReplacer(pairs...)
}

// corsDiff compares whether a browser could read a token response: a
// cross-origin fetch's answer reaches the page only when
// Access-Control-Allow-Origin names the page's origin (or is "*").
func corsDiff(ge, be *model.Event, gOrigin, bOrigin string) (Difference, bool) {
	gok, bok := corsReadable(ge, gOrigin), corsReadable(be, bOrigin)
	if gok == bok || bOrigin == "" {
		if stripPort(ge.AllowOrigin()) != stripPort(be.AllowOrigin()) {
			return Difference{Field: "allow_origin", Good: ge.AllowOrigin(), Bad: be.AllowOrigin(), Class: Parameter}, true
		}
		return Difference{}, false
	}
	if bok {
		return Difference{Field: "allow_origin", Good: ge.AllowOrigin(), Bad: be.AllowOrigin(), Class: Parameter}, true
	}
	return Difference{Field: "allow_origin", Good: ge.AllowOrigin(), Bad: be.AllowOrigin(), Class: Explains,
		Note: "the failing trace's token response lets no page of origin " + bOrigin +
			" read it (Access-Control-Allow-Origin): the browser withholds the tokens from the app"}, true
}

func corsReadable(e *model.Event, origin string) bool {
	if origin == "" {
		return true // not a cross-origin browser request
	}
	return e.AllowOrigin() == "*" || e.AllowOrigin() == origin
}

// requestOrigin is the Origin header of the token request a response
// answers (the response event does not carry it).
func requestOrigin(s *signin, resp *model.Event) string {
	if s == nil || resp == nil {
		return ""
	}
	for _, k := range []string{StepTokenRequest, StepRefreshRequest} {
		for _, e := range s.steps[k] {
			if e.Exchange == resp.Exchange {
				return e.Origin()
			}
		}
	}
	return ""
}

// backChannel reports whether a token step of the working trace went from
// the app's server (a token request without Origin), not the browser.
func backChannel(kind string, s *signin, e *model.Event) bool {
	switch kind {
	case StepTokenRequest, StepRefreshRequest:
		return e.Origin() == "" && e.FetchMode() == ""
	case StepTokenResponse, StepRefreshResponse:
		for _, k := range []string{StepTokenRequest, StepRefreshRequest} {
			for _, r := range s.steps[k] {
				if r.Exchange == e.Exchange {
					return r.Origin() == "" && r.FetchMode() == ""
				}
			}
		}
	}
	return false
}

func anyStep(ss []*signin, kind string) bool {
	for _, s := range ss {
		if len(s.steps[kind]) > 0 {
			return true
		}
	}
	return false
}

// missingSignOut says what a sign-out step the failing trace lacks means,
// and whether that explains the failure: an app's sign-out that never sent
// the browser to the provider, where the working trace's did, ended only
// the app's session (the user is signed straight back in).
func missingSignOut(kind string, b *signin) (note string, explains bool) {
	if b == nil {
		return "", false
	}
	switch kind {
	case StepLogout:
		if a := b.first(StepAppLogout); a != nil && len(b.steps[StepRevocation]) == 0 {
			return fmt.Sprintf("the failing trace's sign-out (%s) ended only the app's session: no logout request reached the provider's end-session endpoint, so the provider's session survives and the next sign-in needs no login", a.Ref), true
		}
	case StepLogoutReturn:
		if l := b.first(StepLogout); l != nil && refused(l) {
			return fmt.Sprintf("the provider refused the failing trace's sign-out (%s) and did not send the browser back", l.Ref), false
		}
	}
	return "", false
}

// hintPresence compares whether two logout requests sent an id_token_hint.
// The one the failing trace lacks explains a sign-out the provider refused
// or completed without sending the browser back to the app.
func hintPresence(g, b *signin, ge, be *model.Event) Difference {
	d := Difference{Field: "id_token_hint", Good: presence(ge.IDToken()), Bad: presence(be.IDToken()), Class: Parameter}
	if be.IDToken().IsZero() && be.ClientID() == "" {
		switch {
		case refused(be) && !refused(ge):
			d.Class = Explains
			d.Note = "the provider refused the failing trace's sign-out, which sent neither id_token_hint nor client_id"
		case be.RedirectURI() != "" && returnedElsewhere(b, be) && !returnedElsewhere(g, ge):
			d.Class = Explains
			d.Note = "the failing trace's sign-out sent neither id_token_hint nor client_id: the provider could not tie its post-logout redirect URI to a client and did not send the browser back to it"
		}
	}
	return d
}

// returnedElsewhere reports a logout request whose way back went elsewhere
// than its post-logout redirect URI.
func returnedElsewhere(s *signin, l *model.Event) bool {
	if s == nil {
		return false
	}
	for _, r := range s.steps[StepLogoutReturn] {
		if r.Time.Before(l.Time) {
			continue
		}
		return model.WithoutQuery(r.RedirectURI()) != model.WithoutQuery(l.RedirectURI())
	}
	return false
}

// diffSignOut compares what only sign-out steps carry: the post-logout
// redirect URI (byte for byte, as the provider matches it), the hint's
// expiry, where the app's sign-out sent the browser, a revocation's token
// type.
func diffSignOut(kind string, b *signin, ge, be *model.Event) []Difference {
	var ds []Difference
	gs, bs := ge.SignOut(), be.SignOut()
	switch kind {
	case StepLogout:
		if d, ok := redirectDiff(ge.RedirectURI(), be.RedirectURI()); ok {
			d.Field = nonEmpty(bs.ReturnParam, nonEmpty(gs.ReturnParam, "post_logout_redirect_uri"))
			if d.Class == Parameter && refused(be) && !refused(ge) {
				d.Class = Explains
				d.Note = "the provider refused the failing trace's sign-out; " + d.Note
			}
			ds = append(ds, d)
		} else if gs.ReturnParam != bs.ReturnParam {
			ds = append(ds, Difference{Field: "return_param", Good: gs.ReturnParam, Bad: bs.ReturnParam, Class: Parameter})
		}
		gx, bx := hintExpired(ge), hintExpired(be)
		if bx != "" && gx == "" {
			d := Difference{Field: "id_token_hint_exp", Good: "valid", Bad: bx, Class: Parameter}
			if refused(be) && !refused(ge) {
				d.Class = Explains
				d.Note = "the provider refused the failing trace's sign-out, whose id_token_hint had expired"
			}
			ds = append(ds, d)
		}
	case StepLogoutReturn:
		if d, ok := redirectDiff(model.WithoutQuery(ge.RedirectURI()), model.WithoutQuery(be.RedirectURI())); ok {
			d.Field = "return_to"
			ds = append(ds, d)
		}
	case StepAppLogout:
		if g, bt := model.WithoutQuery(gs.To), model.WithoutQuery(bs.To); g != bt {
			ds = append(ds, Difference{Field: "signout_to", Good: nonEmpty(secret.RedactURL(g), "(no redirect)"), Bad: nonEmpty(secret.RedactURL(bt), "(no redirect)"), Class: Parameter,
				Note: "where the app's sign-out sent the browser"})
		}
	case StepRevocation:
		if gs.TokenTypeHint != bs.TokenTypeHint {
			ds = append(ds, Difference{Field: "token_type_hint", Good: gs.TokenTypeHint, Bad: bs.TokenTypeHint, Class: Parameter})
		}
	case StepFrontChannelLogout:
		if gs.Dest != bs.Dest {
			ds = append(ds, Difference{Field: "dest", Good: string(gs.Dest), Bad: string(bs.Dest), Class: Parameter})
		}
	}
	return ds
}

// hintExpired is how long before a logout request its id_token_hint
// expired (by the provider's Date header, else the capture's clock), ""
// when it had not or cannot be told.
func hintExpired(e *model.Event) string {
	exp := e.SignOut().HintExpiry
	if exp.IsZero() {
		return ""
	}
	at := e.ServerDate()
	if at.IsZero() {
		at = e.Time
	}
	if at.IsZero() || !at.After(exp) {
		return ""
	}
	return "expired " + roundDur(at.Sub(exp).Truncate(time.Second)) + " before the request"
}
