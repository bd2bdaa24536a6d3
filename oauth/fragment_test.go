package oauth

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// A code the provider redirected in the URL's fragment (response_mode=
// fragment) reaches the app when the browser loads the redirect's target:
// a HAR may keep the fragment in that request's URL, a capture never has
// it. Both are the code's delivery; a later load of the same URL without
// the fragment is not (the app may have cleared it).
func TestFragmentDelivery(t *testing.T) {
	const authorize = "https://kc.example.org/realms/demo/protocol/openid-connect/auth?client_id=spa&response_type=code&response_mode=fragment&redirect_uri=https%3A%2F%2Fapp.example.org%2Fspa%2F&state=S1"
	const target = "https://app.example.org/spa/#state=S1&session_state=ss&code=C0de-0f-the-fragment-123"
	html := model.Headers{{Name: "Content-Type", Value: "text/html"}}
	for _, c := range []struct {
		name, load string // the URL the trace shows for the target's load
	}{
		{"har keeps the fragment", target},
		{"on the wire", "https://app.example.org/spa/"},
		{"host in another case", "https://APP.example.org/spa/"},
	} {
		x := NewExtractor()
		evs := x.Exchange(mkExchange(0, "GET", authorize, nil, "", 302, model.Headers{{Name: "Location", Value: target}}, ""))
		if got := kinds(evs); !equalStrings(got, []string{"authorize", "code-issued"}) || evs[1].Delivery() != "fragment" {
			t.Fatalf("%s: authorize kinds = %v", c.name, got)
		}
		evs = x.Exchange(mkExchange(1, "GET", c.load, nil, "", 200, html, "<html></html>"))
		if len(evs) != 1 || evs[0].Kind != model.Callback || evs[0].Delivery() != "fragment" ||
			!evs[0].Code.Equal(secret.New("C0de-0f-the-fragment-123")) || !evs[0].State.Equal(secret.New("S1")) ||
			!strings.EqualFold(evs[0].RedirectURI(), "https://app.example.org/spa/") {
			t.Errorf("%s: load of the target: %+v", c.name, evs)
		}
		// A reload without the fragment: no second delivery.
		if evs := x.Exchange(mkExchange(2, "GET", "https://app.example.org/spa/", nil, "", 200, html, "<html></html>")); len(evs) != 0 {
			t.Errorf("%s: a later load without the fragment: %+v", c.name, evs)
		}
	}
	// A reload the HAR shows with the fragment still there is a second
	// delivery.
	x := NewExtractor()
	x.Exchange(mkExchange(0, "GET", authorize, nil, "", 302, model.Headers{{Name: "Location", Value: target}}, ""))
	n := 0
	for i := 1; i <= 2; i++ {
		for _, ev := range x.Exchange(mkExchange(i, "GET", target, nil, "", 200, html, "<html></html>")) {
			if ev.Kind == model.Callback && ev.Delivery() == "fragment" {
				n++
			}
		}
	}
	if n != 2 {
		t.Errorf("%d deliveries for two loads with the fragment, want 2", n)
	}
	// Another URL of the app, or the target with another query, is no
	// delivery.
	x = NewExtractor()
	x.Exchange(mkExchange(0, "GET", authorize, nil, "", 302, model.Headers{{Name: "Location", Value: target}}, ""))
	for _, u := range []string{"https://app.example.org/spa/app.js", "https://app.example.org/spa/?x=1", "http://app.example.org/spa/"} {
		if evs := x.Exchange(mkExchange(1, "GET", u, nil, "", 200, html, "")); len(evs) != 0 {
			t.Errorf("%s: %+v", u, evs)
		}
	}
}
