package model

import (
	"testing"
	"unsafe"

	"github.com/traceaudit/traceaudit/secret"
)

// TestEventSize: a trace's events are all held while the rules run (65,000
// of them for a capture of 13,000 connections), so an event stays small:
// fields only some kinds carry go in the side structs (Token, Authz, Rare),
// what many events share in shared ones (Context, Prov). It was 824 bytes
// before issue 18, 360 after its second round; a field added inline must be
// worth its bytes in every event.
func TestEventSize(t *testing.T) {
	if got := unsafe.Sizeof(Event{}); got > 280 {
		t.Errorf("model.Event is %d bytes, over 280: put a field only some events carry in a side struct", got)
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
	var c Event
	c.SetIDToken(secret.Secret{})
	c.SetVantages(nil)
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
