package oauth

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// TestCompactTokensSameEvents extracts every HAR and capture of the
// repository's testdata (samples, the lab's sign-ins, third-party traces)
// with and without CompactTokens: the events are the same but for their
// access, ID and refresh tokens and client assertions, which are compacted
// when long and read the same (equal to the raw value, same fingerprint and
// length), and no other secret is compacted.
func TestCompactTokensSameEvents(t *testing.T) {
	files := repoTraces(t, filepath.Join("rules", "testdata"))
	traces, compacted := 0, 0
	for _, p := range files {
		exs := readTrace(t, p)
		if len(exs) == 0 {
			continue
		}
		traces++
		plain, comp := NewExtractor(), NewExtractor()
		comp.CompactTokens()
		for _, ex := range exs {
			want, got := plain.Exchange(ex), comp.Exchange(ex)
			if len(got) != len(want) {
				t.Fatalf("%s %s: %d events compacting, %d not", p, ex.Ref, len(got), len(want))
			}
			for i := range got {
				g, w := got[i], want[i]
				gt, wt := tokensOf(&g), tokensOf(&w)
				for j := range gt {
					if gt[j].IsCompact() {
						compacted++
					}
					if !gt[j].Equal(wt[j]) || gt[j].Fingerprint() != wt[j].Fingerprint() || gt[j].Len() != wt[j].Len() ||
						gt[j].IsCompact() != (wt[j].Len() >= secret.CompactMin && !secret.IsPlaceholder(wt[j])) {
						t.Errorf("%s %s: token %d of a %s reads differently compacted", p, ex.Ref, j, g.Kind)
					}
				}
				// The rest of the event is the same.
				clearTokens(&g)
				clearTokens(&w)
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s %s: event %d differs compacting tokens:\n%+v\n%+v", p, ex.Ref, i, g, w)
				}
				g.EachSecret(func(s secret.Secret) {
					if s.IsCompact() {
						t.Errorf("%s %s: a secret other than a token was compacted", p, ex.Ref)
					}
				})
			}
		}
	}
	if traces < 100 || compacted < 50 {
		t.Fatalf("%d traces, %d tokens compacted: the test lost its inputs", traces, compacted)
	}
	t.Logf("%d traces, %d tokens compacted", traces, compacted)
}

func tokensOf(e *model.Event) []secret.Secret {
	return []secret.Secret{e.AccessToken(), e.IDToken(), e.RefreshToken(), e.Assertion()}
}

// clearTokens empties an event's tokens on copies of what holds them.
func clearTokens(e *model.Event) {
	e.SetAccessToken(secret.Secret{})
	e.SetIDToken(secret.Secret{})
	if e.Token != nil {
		tp := *e.Token
		tp.RefreshToken, tp.Assertion = secret.Secret{}, secret.Secret{}
		e.Token = &tp
	}
}

// TestCompactTokensEveryPlace: every place the extractor reads a token or
// a client assertion compacts it (a token request's refresh token and
// assertion, a token response's three tokens, a bearer token of an API
// call), and two requests carrying one value hold it == (what the rules'
// maps need); the code and verifier stay whole.
func TestCompactTokensEveryPlace(t *testing.T) {
	long := func(name string) string { return name + "." + strings.Repeat("x0Y1", 40) }
	at, it, rt, as := long("at"), long("it"), long("rt"), long("as")
	tokenURL := "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
	jsonHeaders := model.Headers{{Name: "Content-Type", Value: "application/json"}}
	req := "grant_type=refresh_token&client_id=c1&refresh_token=" + rt + "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" + as
	x := NewExtractor()
	x.CompactTokens()
	var evs []model.Event
	for i := 0; i < 2; i++ {
		evs = append(evs, x.Exchange(mkExchange(2*i, "POST", tokenURL, nil, req, 200, jsonHeaders,
			`{"access_token":"`+at+`","id_token":"`+it+`","refresh_token":"`+rt+`","expires_in":3599}`))...)
		evs = append(evs, x.Exchange(mkExchange(2*i+1, "GET", "https://graph.microsoft.com/v1.0/me",
			model.Headers{{Name: "Authorization", Value: "Bearer " + at}}, "", 200, jsonHeaders, `{}`))...)
	}
	var reqs, resps, calls []model.Event
	for _, e := range evs {
		switch e.Kind {
		case model.TokenRequest:
			reqs = append(reqs, e)
		case model.TokenResponse:
			resps = append(resps, e)
		case model.APICall:
			calls = append(calls, e)
		}
	}
	if len(reqs) != 2 || len(resps) != 2 || len(calls) != 2 {
		t.Fatalf("events %v", kinds(evs))
	}
	for i := 0; i < 2; i++ {
		for _, c := range []struct {
			name string
			got  secret.Secret
			raw  string
		}{{"request's refresh token", reqs[i].RefreshToken(), rt}, {"assertion", reqs[i].Assertion(), as},
			{"access token", resps[i].AccessToken(), at}, {"ID token", resps[i].IDToken(), it},
			{"response's refresh token", resps[i].RefreshToken(), rt}, {"bearer token", calls[i].AccessToken(), at}} {
			if !c.got.IsCompact() || !c.got.Equal(secret.New(c.raw)) {
				t.Errorf("%s %d: compacted %v, equal to its value %v", c.name, i, c.got.IsCompact(), c.got.Equal(secret.New(c.raw)))
			}
		}
	}
	if reqs[0].Assertion() != reqs[1].Assertion() || reqs[0].RefreshToken() != resps[1].RefreshToken() || calls[0].AccessToken() != resps[1].AccessToken() {
		t.Error("one value compacted twice is not ==")
	}
}
