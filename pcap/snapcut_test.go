package pcap

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// TestSnapLengthCutRequests reads zitadel-http1-snap450.pcap, the lab's
// zitadel-http1-plaintext.pcap cut by editcap to a snap length of 450
// bytes: every request line is whole, every request's header section is
// cut. Each request is an exchange with the whole capture's method and
// URL, header fields that are the whole capture's first ones (none
// invented), and a note at its frame saying it was cut; responses whose
// head the snap length left whole go to their own requests.
func TestSnapLengthCutRequests(t *testing.T) {
	whole, _ := readFile(t, "zitadel-http1-plaintext.pcap", Options{})
	cut, notes := readFile(t, "zitadel-http1-snap450.pcap", Options{})
	byRef := map[string]*model.Exchange{}
	for _, ex := range cut {
		byRef[ex.Ref] = ex
	}
	text := notesText(notes)
	answered, cutReqs := 0, 0
	for _, w := range whole {
		c := byRef[w.Ref]
		if c == nil {
			t.Errorf("%s %s %.60s: no exchange in the cut capture", w.Ref, w.Request.Method, w.Request.URL)
			continue
		}
		if c.Request.Method != w.Request.Method || c.Request.URL != w.Request.URL || c.Request.Proto != w.Request.Proto {
			t.Errorf("%s: %s %.80s %s, want %s %.80s %s", w.Ref, c.Request.Method, c.Request.URL, c.Request.Proto, w.Request.Method, w.Request.URL, w.Request.Proto)
		}
		n := len(c.Request.Headers)
		switch {
		case n > len(w.Request.Headers) || !slices.Equal(c.Request.Headers, w.Request.Headers[:n]):
			t.Errorf("%s: header fields %v are not the first of %v", w.Ref, c.Request.Headers, w.Request.Headers)
		case n == len(w.Request.Headers):
			// A header section short enough to be whole: its body was
			// cut, as before.
			if w.Request.Body.Size == 0 || !c.Request.Body.Truncated {
				t.Errorf("%s: whole header section, body %d bytes cut %v", w.Ref, w.Request.Body.Size, c.Request.Body.Truncated)
			}
		case !strings.Contains(text, "gap "+w.Ref+" tcp "+w.Conn+": request cut by bytes lost in the capture after its request line"):
			t.Errorf("%s: no note says the request was cut:\n%s", w.Ref, text)
		}
		if n < len(w.Request.Headers) {
			cutReqs++
		}
		if c.Response != nil {
			answered++
			if w.Response == nil || c.Response.Status != w.Response.Status {
				t.Errorf("%s: response %d, want the whole capture's %v", w.Ref, c.Response.Status, w.Response)
			}
		}
	}
	if len(cut) != len(whole) {
		t.Errorf("%d exchanges, want the whole capture's %d", len(cut), len(whole))
	}
	if cutReqs < 2 {
		t.Errorf("%d requests with a cut header section, want the authorization request and the callback at least", cutReqs)
	}
	if answered == 0 {
		t.Errorf("no response paired:\n%s", text)
	}
}

// TestSnapLengthCutResponses reads the same two captures: in the cut one,
// three responses (the redirects of the app's /login, of the provider's
// /auth/callback and of the app's /callback) have their header section
// cut, the second inside its Location, the one carrying the code. Every
// request is answered with the whole capture's status, each cut response
// with the header fields that are the whole one's first ones, no body, and
// a note at its frame saying it was cut; before, each was skipped, its
// request reported with its response lost, and the connection's later
// responses left unpaired (a request read before the lost bytes were
// known made the client look pipelining).
func TestSnapLengthCutResponses(t *testing.T) {
	whole, _ := readFile(t, "zitadel-http1-plaintext.pcap", Options{})
	cut, notes := readFile(t, "zitadel-http1-snap450.pcap", Options{})
	byRef := map[string]*model.Exchange{}
	for _, ex := range cut {
		byRef[ex.Ref] = ex
	}
	text := notesText(notes)
	cutResps := 0
	for _, w := range whole {
		c := byRef[w.Ref]
		if c == nil || w.Response == nil {
			t.Fatalf("%s: exchange %v, whole capture's response %v", w.Ref, c, w.Response)
		}
		if c.Response == nil || c.Response.Status != w.Response.Status || c.Response.Proto != w.Response.Proto {
			t.Errorf("%s %s %.60s: response %+v, want the whole capture's %d", w.Ref, w.Request.Method, w.Request.URL, c.Response, w.Response.Status)
			continue
		}
		n := len(c.Response.Headers)
		if n > len(w.Response.Headers) || !slices.Equal(c.Response.Headers, w.Response.Headers[:n]) {
			t.Errorf("%s: response header fields %v are not the first of %v", w.Ref, c.Response.Headers, w.Response.Headers)
		}
		if n == len(w.Response.Headers) {
			continue
		}
		cutResps++
		if c.Response.Body.Size != 0 || len(c.Response.Body.Data) != 0 {
			t.Errorf("%s: a cut response with a body of %d bytes", w.Ref, c.Response.Body.Size)
		}
		if !strings.Contains(text, fmt.Sprintf("response %d cut by bytes lost in the capture after its status line and ", w.Response.Status)) ||
			!strings.Contains(text, fmt.Sprintf(": kept as the answer to the request at %s without the rest of its header section and any body", w.Ref)) {
			t.Errorf("%s: no note says its response was cut:\n%s", w.Ref, text)
		}
	}
	if cutResps != 3 {
		t.Errorf("%d responses with a cut header section, want 3", cutResps)
	}
	if c := byRef["frame 30"]; c == nil || c.Response == nil || c.Response.Status != 302 || c.Response.Headers.Get("Location") != "" {
		t.Errorf("/auth/callback: %+v, want a 302 whose Location was cut", c)
	}
	if strings.Contains(text, "unanswered") || strings.Contains(text, "not paired") {
		t.Errorf("requests left unanswered or unpaired:\n%s", text)
	}
}
