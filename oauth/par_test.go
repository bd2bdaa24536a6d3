package oauth

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// pushes are the pushed authorization requests (RFC 9126) of a lab trace:
// POSTs to oidc-provider's /request, by ref, with the parameters they sent.
func pushes(t *testing.T, exs []*model.Exchange) map[string]url.Values {
	t.Helper()
	out := map[string]url.Values{}
	for _, ex := range exs {
		if ex.Request.Method == "POST" && strings.HasSuffix(strings.SplitN(ex.Request.URL, "?", 2)[0], "/request") {
			p, err := url.ParseQuery(string(ex.Request.Body.Data))
			if err != nil {
				t.Fatal(err)
			}
			out[ex.Ref] = p
		}
	}
	return out
}

// TestPushedAuthorizationLab reads sign-ins recorded from real Chromium and
// oidc-provider whose browser app pushed its parameters (RFC 9126) and sent
// the browser to /auth with client_id and request_uri alone: the authorize
// event is the request to /auth, with the pushed parameters, and the push
// itself is no authorize request of its own. The clean sign-in's HAR and
// both captures hold the push's answer (its request_uri); the two-tab
// HAR lost both answers (the page navigated on before Chrome kept the
// fetch's body, as DevTools' own export loses it): both ways must tie
// each push to its authorize request.
func TestPushedAuthorizationLab(t *testing.T) {
	for _, name := range []string{"clean-par-spa-oidcprovider", "multi-tab-pkce-par-spa-oidcprovider"} {
		dir := "../testdata/lab/scenarios/" + name + "/"
		for _, file := range []string{"trace.har", "capture-dsb.pcapng"} {
			t.Run(name+"/"+file, func(t *testing.T) {
				var exs []*model.Exchange
				if strings.HasSuffix(file, ".har") {
					exs = readHAR(t, dir+file)
				} else {
					exs = readCapture(t, dir+file)
				}
				pushed := pushes(t, exs)
				if len(pushed) == 0 {
					t.Fatal("no pushed authorization request in the trace")
				}
				var authz []model.Event
				for _, ev := range ExtractAll(exs) {
					if ev.Kind == model.AuthorizeRequest {
						authz = append(authz, ev)
					}
				}
				if len(authz) != len(pushed) {
					t.Fatalf("%d authorize events for %d pushes", len(authz), len(pushed))
				}
				for _, az := range authz {
					if _, ok := pushed[az.Ref]; ok {
						t.Errorf("the push at %s read as an authorize request", az.Ref)
					}
					p, ok := pushed[az.PushedRef()]
					if !ok {
						t.Errorf("authorize at %s: pushed ref %q names no push", az.Ref, az.PushedRef())
						continue
					}
					if az.Method() != "GET" || az.ParamsByReference() {
						t.Errorf("authorize at %s: method %q, by reference %v; want GET with known parameters", az.Ref, az.Method(), az.ParamsByReference())
					}
					if !az.State.Equal(secret.New(p.Get("state"))) || !az.CodeChallenge().Equal(secret.New(p.Get("code_challenge"))) ||
						az.RedirectURI() != p.Get("redirect_uri") || !az.Nonce().Equal(secret.New(p.Get("nonce"))) || az.Scope() != p.Get("scope") {
						t.Errorf("authorize at %s: parameters differ from the push at %s", az.Ref, az.PushedRef())
					}
				}
			})
		}
	}
}

// TestAuthorizeByReferenceUnknownPush: the same real authorize request
// without the push before it (a trace started after the push, or one
// whose push went on the app's back channel) is still an authorize
// request, recognised by client_id and request_uri on a host the trace
// knows nothing of, and its state and challenge are unknown, not missing.
func TestAuthorizeByReferenceUnknownPush(t *testing.T) {
	exs := readHAR(t, "../testdata/lab/scenarios/clean-par-spa-oidcprovider/trace.har")
	pushed := pushes(t, exs)
	exs = slices.DeleteFunc(exs, func(ex *model.Exchange) bool { _, ok := pushed[ex.Ref]; return ok })
	var authz []model.Event
	for _, ev := range ExtractAll(exs) {
		if ev.Kind == model.AuthorizeRequest {
			authz = append(authz, ev)
		}
	}
	if len(authz) != 1 {
		t.Fatalf("%d authorize events, want 1", len(authz))
	}
	if az := authz[0]; !az.ParamsByReference() || az.PushedRef() != "" || !az.State.IsZero() || az.ClientID() != "rp-spa" {
		t.Errorf("authorize: by reference %v, pushed %q, state set %v, client %q", az.ParamsByReference(), az.PushedRef(), !az.State.IsZero(), az.ClientID())
	}
}

// TestPushRefused: a push the server refused (oidc-provider's answer to an
// unregistered redirect_uri, RFC 9126 §2.3) is the sign-in's authorize
// request, refused: no authorize request follows it. Hand-written: the lab
// records no refused push.
func TestPushRefused(t *testing.T) {
	body := "client_id=rp-spa&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Fapp.rp.test%2Fsignin-oidc&state=s1&code_challenge=abc&code_challenge_method=S256"
	ex := mkExchange(0, "POST", "https://auth.oidc-provider.test/request", model.Headers{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}, body,
		400, model.Headers{{Name: "Content-Type", Value: "application/json; charset=utf-8"}},
		`{"error":"invalid_redirect_uri","error_description":"redirect_uri did not match any of the client's registered redirect_uris"}`)
	evs := ExtractAll([]*model.Exchange{ex})
	if got := kinds(evs); !equalStrings(got, []string{"authorize", "authorize-error"}) {
		t.Fatalf("kinds %v", got)
	}
	if evs[0].RedirectURI() != "https://app.rp.test/signin-oidc" || evs[1].Err == nil || evs[1].Err.Error != "invalid_redirect_uri" {
		t.Errorf("redirect %q, error %+v", evs[0].RedirectURI(), evs[1].Err)
	}
	// The same push accepted: no event of its own while an authorize
	// request may still name it (held back), and at the trace's end,
	// none having named it, the sign-in's authorize request.
	ex = mkExchange(0, "POST", "https://auth.oidc-provider.test/request", model.Headers{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}, body,
		201, model.Headers{{Name: "Content-Type", Value: "application/json; charset=utf-8"}},
		`{"expires_in":60,"request_uri":"urn:ietf:params:oauth:request_uri:x1"}`)
	x := NewExtractor()
	if evs := x.Exchange(ex); len(evs) != 0 || !x.HeldBack() {
		t.Errorf("accepted push gave events %v, held back %v", kinds(evs), x.HeldBack())
	}
	evs = x.Flush(nil)
	if got := kinds(evs); !equalStrings(got, []string{"authorize"}) || evs[0].Ref != ex.Ref || evs[0].Method() != "POST" ||
		evs[0].RedirectURI() != "https://app.rp.test/signin-oidc" {
		t.Errorf("flushed %v", got)
	}
	if evs := x.Flush(nil); len(evs) != 0 {
		t.Errorf("second flush gave %v", kinds(evs))
	}
}

// TestPushWithoutAuthorizeLab: the server app's back-channel push recorded
// with oidc-provider, in a capture without the browser's authorize request
// (as the app server's own capture is): the push is the sign-in's
// authorize request, so the token request's redirect_uri is compared with
// the pushed one. With the browser's request in the capture, that request
// is the sign-in's and the push none.
func TestPushWithoutAuthorizeLab(t *testing.T) {
	exs := readCapture(t, "../testdata/lab/scenarios/redirect-uri-mismatch-token-par-oidcprovider/capture-dsb.pcapng")
	pushed := pushes(t, exs)
	if len(pushed) != 1 {
		t.Fatalf("%d pushes", len(pushed))
	}
	authorizeAt := func(exs []*model.Exchange) []string {
		var refs []string
		for _, ev := range ExtractAll(exs) {
			if ev.Kind == model.AuthorizeRequest {
				refs = append(refs, ev.Ref)
			}
		}
		return refs
	}
	var pushRef string
	for ref := range pushed {
		pushRef = ref
	}
	if got := authorizeAt(exs); len(got) != 1 || got[0] == pushRef {
		t.Errorf("with the browser's request: authorize at %v, want one, not the push at %s", got, pushRef)
	}
	server := slices.DeleteFunc(slices.Clone(exs), func(ex *model.Exchange) bool { return strings.Contains(ex.Request.URL, "request_uri=") })
	if got := authorizeAt(server); len(got) != 1 || got[0] != pushRef {
		t.Errorf("without it: authorize at %v, want the push at %s", got, pushRef)
	}
}
