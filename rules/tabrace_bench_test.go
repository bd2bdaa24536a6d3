package rules

import (
	"fmt"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// BenchmarkTabRaceUnfinished: thousands of authorize requests of one
// client that never complete (a crawler, a loop) must cost linear work, not
// a comparison of every pair.
func BenchmarkTabRaceUnfinished(b *testing.B) {
	const n = 20000
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var in Input
	for i := 0; i < n; i++ {
		ex := &model.Exchange{Index: i, Ref: fmt.Sprintf("frame %d", i+1), Start: start.Add(time.Duration(i) * time.Second),
			Request: model.Request{Method: "GET", URL: "https://idp.example/authorize"}}
		in.Exchanges = append(in.Exchanges, ex)
		in.Events = append(in.Events, model.Event{
			Kind: model.AuthorizeRequest, Exchange: i, Ref: ex.Ref, Time: ex.Start, Target: &model.Target{Method: "GET", Endpoint: "https://idp.example/authorize", ClientID: "app", RedirectURI: "https://app.example/cb"}, Authz: &model.AuthorizeParams{ResponseType: "code"}, State: secret.New(fmt.Sprintf("state-%d", i)),
		})
	}
	b.ResetTimer()
	for range b.N {
		// Crossings are found while analysing: measure both.
		if fs := Run(Analyze(in, Options{}), []*Rule{MultiTabRace}); len(fs) != 0 {
			b.Fatalf("unfinished sign-ins with their own state crossed nothing, got %d findings", len(fs))
		}
	}
}
