package compare

import (
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// eventsFrom builds a sign-in's worth of events from fuzz bytes: every
// kind, shuffled times, shared and missing codes, states and verifiers,
// errors and failures, so the grouping and the comparison meet orders no
// real trace has.
func eventsFrom(data []byte) []model.Event {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	vals := []string{"", "a", "bbbbbbbbbbbbbbbbbbbb", "sha256:0123456789ab", "https://app.test:1/cb", "https://app.test:2/cb/"}
	pick := func(b byte) string { return vals[int(b)%len(vals)] }
	var evs []model.Event
	for i := 0; i+8 <= len(data) && len(evs) < 64; i += 8 {
		b := data[i : i+8]
		e := model.Event{
			Kind:     model.EventKind(int(b[0])%9 + 1),
			Exchange: int(b[1] % 16),
			Ref:      "entries[x]",
			Time:     t0.Add(time.Duration(int8(b[2])) * time.Second),
			Status:   []int{0, 200, 302, 400, 401, 502}[int(b[3])%6],
			Code:     secret.New(pick(b[4])),
			State:    secret.New(pick(b[5])),
			Target:   &model.Target{Endpoint: pick(b[6])},
		}
		e.SetRedirectURI(pick(b[7]))
		switch b[7] % 5 {
		case 0:
			e.Token = &model.TokenParams{CodeVerifier: secret.New(pick(b[4]))}
		case 1:
			e.Authz = &model.AuthorizeParams{CodeChallenge: secret.New(pick(b[5])), CodeChallengeMethod: "S256"}
		case 2:
			e.Err = &model.ProviderError{Error: "invalid_client"}
		case 3:
			e.SetFailure("net::ERR_FAILED")
			e.Context = model.NewContext(model.RequestContext{Origin: "https://app.test"})
		case 4:
			e.Token = &model.TokenParams{GrantType: "refresh_token"}
		}
		evs = append(evs, e)
	}
	return evs
}

// FuzzCompare: no input panics, and a trace compared with itself has no
// difference.
func FuzzCompare(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210"))
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 1, 1, 3, 1, 4, 5, 6, 7, 3, 2, 5, 1, 4, 5, 6, 8}, []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ga, gb := Trace{Events: eventsFrom(a)}, Trace{Events: eventsFrom(b)}
		Compare(ga, gb)
		if r := Compare(ga, Trace{Events: eventsFrom(a)}); r.First != nil {
			t.Fatalf("a trace against itself differs: %+v", r.First)
		}
	})
}
