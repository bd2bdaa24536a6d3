package pcap

import (
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
