package model

import (
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/traceaudit/traceaudit/secret"
)

// TestEventSize: a trace's events are all held while the rules run (65,000
// of them for a capture of 13,000 connections), so an event stays small:
// fields only some kinds carry go in the side structs (Token, Authz, Rare),
// what many events share in shared ones (Context, Prov). It was 824 bytes
// before issue 18, 360 after its second round, 280 after its fourth; a
// field added inline must be worth its bytes in every event.
func TestEventSize(t *testing.T) {
	if got := unsafe.Sizeof(Event{}); got > 160 {
		t.Errorf("model.Event is %d bytes, over 160: put a field only some events carry in a side struct, and values most events share in a shared one (Target)", got)
	}
}

// TestEventScope: the scope is read from the authorize or token parameters
// it is kept with, "" without either.
func TestEventScope(t *testing.T) {
	for _, c := range []struct {
		ev   Event
		want string
	}{
		{Event{}, ""},
		{Event{Authz: &AuthorizeParams{Scope: "openid profile"}}, "openid profile"},
		{Event{Authz: &AuthorizeParams{Prompt: "none"}}, ""},
		{Event{Token: &TokenParams{Scope: "offline_access"}}, "offline_access"},
		{Event{Token: &TokenParams{GrantType: "refresh_token"}}, ""},
	} {
		if got := c.ev.Scope(); got != c.want {
			t.Errorf("Scope() of %+v %+v = %q, want %q", c.ev.Authz, c.ev.Token, got, c.want)
		}
	}
}

// TestServerDate: the server date kept in 12 bytes is the time set, in UTC,
// the zero time when none.
func TestServerDate(t *testing.T) {
	var e Event
	if !e.ServerDate().IsZero() {
		t.Errorf("no date: %v", e.ServerDate())
	}
	for _, at := range []time.Time{
		time.Date(2026, 11, 26, 20, 58, 43, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(0, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 3, 29, 2, 30, 0, 5, time.FixedZone("CEST", 2*3600)),
	} {
		e.SetServerDate(at)
		if got := e.ServerDate(); got != at.UTC() || got.IsZero() {
			t.Errorf("set %v, got %v", at, got)
		}
	}
	e.SetServerDate(time.Time{})
	if !e.ServerDate().IsZero() {
		t.Errorf("date set to the zero time: %v", e.ServerDate())
	}
}

// TestEventRare: what an event carries aside is set on a copy, so events
// that share it (copies of one base event) keep their own values; an event
// with nothing aside holds nothing.
func TestEventRare(t *testing.T) {
	var base Event
	base.SetFailure("net::ERR_FAILED")
	a, b := base, base
	a.SetDelivery("form_post")
	b.SetAccessToken(secret.New("at"))
	if a.Failure() != "net::ERR_FAILED" || b.Failure() != "net::ERR_FAILED" || a.Delivery() != "form_post" || b.Delivery() != "" ||
		!a.AccessToken().IsZero() || b.AccessToken().Reveal() != "at" || base.Delivery() != "" || !base.AccessToken().IsZero() {
		t.Errorf("copies changed each other: base %+v, a %+v, b %+v", base.Rare, a.Rare, b.Rare)
	}
	v1 := base
	v1.SetResource("https://graph.windows.net")
	v1.SetResponseMode("form_post")
	if v1.Resource() != "https://graph.windows.net" || v1.ResponseMode() != "form_post" || v1.Failure() != "net::ERR_FAILED" ||
		base.Resource() != "" || base.ResponseMode() != "" {
		t.Errorf("resource and response mode aside: base %+v, v1 %+v", base.Rare, v1.Rare)
	}
	var c Event
	c.SetIDToken(secret.Secret{})
	c.SetVantages(nil)
	c.SetResource("")
	c.SetResponseMode("")
	if c.Rare != nil {
		t.Errorf("an event with nothing aside holds %+v", c.Rare)
	}
	c.SetVantages([]string{})
	if c.Vantages() == nil {
		t.Error("an empty list of vantages read back as nil")
	}
	r := a.Rare
	a.SetDelivery("form_post")
	if a.Rare != r {
		t.Error("setting the same value made a new copy")
	}
}

// TestContextParts: an event's context in two parts reads back as the one
// value it was made from, the common part left out when empty; the part of
// each connection stays small (a capture holds one per connection).
func TestContextParts(t *testing.T) {
	full := RequestContext{Origin: "https://app.example", FetchMode: "cors", Forwarded: "Via", Referer: "https://app.example/",
		UserAgent: "Mozilla/5.0", Prefetch: "Sec-Purpose: prefetch", Conn: "10.0.0.1:1-10.0.0.2:443", Page: "page_1",
		Process: "chrome:42", RequestID: "r1", CookieNames: []string{"a", "b"}, Library: "MSAL.js 3.0"}
	for _, c := range []RequestContext{full, {Conn: "c"}, {UserAgent: "ua"}, {CookieNames: []string{}}, {RequestID: "r", Library: "l"}} {
		x := NewContext(c)
		if got := x.Value(); !reflect.DeepEqual(got, c) {
			t.Errorf("NewContext(%+v).Value() = %+v", c, got)
		}
		ev := Event{Context: x}
		if ev.Conn() != c.Conn || ev.UserAgent() != c.UserAgent || ev.RequestID() != c.RequestID || ev.Library() != c.Library ||
			ev.Origin() != c.Origin || !reflect.DeepEqual(ev.CookieNames(), c.CookieNames) {
			t.Errorf("event with %+v reads another context", c)
		}
	}
	if x := NewContext(RequestContext{}); x != nil {
		t.Errorf("empty context made %+v", x)
	}
	if x := NewContext(RequestContext{Conn: "c"}); x.Common != nil {
		t.Errorf("a context naming its connection alone has a common part %+v", x.Common)
	}
	var ev Event
	if ev.UserAgent() != "" || ev.Conn() != "" || ev.Context.Value().Conn != "" {
		t.Error("an event without context reads one")
	}
	if got := unsafe.Sizeof(Context{}); got > 72 {
		t.Errorf("model.Context is %d bytes, over 72: what requests of one browser share goes in Common", got)
	}
}
