package model

import (
	"testing"
	"unsafe"
)

// TestEventSize: a trace's events are all held while the rules run (65,000
// of them for a capture of 13,000 connections), so an event stays small:
// fields only some kinds carry go in the side structs (Token, Authz), what
// many events share in shared ones (Context, Prov). It was 824 bytes before
// issue 18; a field added inline must be worth its bytes in every event.
func TestEventSize(t *testing.T) {
	if got := unsafe.Sizeof(Event{}); got > 360 {
		t.Errorf("model.Event is %d bytes, over 360: put a field only some events carry in a side struct", got)
	}
}
