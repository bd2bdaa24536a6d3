package oauth

import (
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// A callback is solicited when the trace ties it to OAuth by itself: its
// redirect URI or state went out in an authorize request (sent, or in the
// app's redirect to one, all a capture on the app's side shows), or its URL
// has parameters only an OAuth response has. A link with code= and state=
// alone is not (an e-mail verification link, an app's own page).
func TestSolicitedCallback(t *testing.T) {
	html := model.Headers{{Name: "Content-Type", Value: "text/html"}}
	callback := func(x *Extractor, u string) *model.Event {
		t.Helper()
		evs := x.Exchange(mkExchange(1, "GET", u, nil, "", 200, html, "<html></html>"))
		if len(evs) != 1 || evs[0].Kind != model.Callback {
			t.Fatalf("%s: events = %+v", u, evs)
		}
		return &evs[0]
	}
	for _, c := range []struct {
		url  string
		want bool
	}{
		{"https://shop.example.com/account/email/confirm?code=Zr7Kq2LmXw9P&state=pending", false},
		{"https://app.example.org/cb?code=K1&state=S1&iss=https%3A%2F%2Fid.example.org", true},
		{"https://app.example.org/cb?code=K1&state=S1&session_state=abc", true},
		{"https://app.example.org/cb?code=K1&state=S1&scope=openid+profile", true},
		{"https://app.example.org/cb?code=K1&state=S1&scope=profile", false},
	} {
		if got := callback(NewExtractor(), c.url).Solicited(); got != c.want {
			t.Errorf("%s: solicited %v, want %v", c.url, got, c.want)
		}
	}
	// The app's own redirect to an authorize request: its redirect URI
	// (and its state) are the sign-in's, though the request to the
	// provider is not in the trace. The redirect itself yields no event.
	x := NewExtractor()
	evs := x.Exchange(mkExchange(0, "GET", "https://app.example.org/login", nil, "", 302, model.Headers{{Name: "Location",
		Value: "https://id.example.net/oauth2/auth?client_id=web&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.org%2Fcb&state=S9"}}, ""))
	if len(evs) != 0 {
		t.Fatalf("the app's redirect yields %+v", evs)
	}
	if !callback(x, "https://app.example.org/cb?code=K2&state=other").Solicited() {
		t.Error("a callback on the redirect URI of the app's authorize redirect is not solicited")
	}
	if !callback(x, "https://app.example.org/elsewhere?code=K3&state=S9").Solicited() {
		t.Error("a callback with the state of the app's authorize redirect is not solicited")
	}
	if callback(x, "https://app.example.org/elsewhere?code=K4&state=S8").Solicited() {
		t.Error("another URL and state is solicited")
	}
}
