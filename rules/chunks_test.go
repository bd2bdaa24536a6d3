package rules_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestEventChunksSameAsEvents: the rules given a trace's events in chunks
// (Input.EventChunks, as the CLI holds them) find, remediate and assess
// exactly what they do given one slice, on every fixture, the chunks cut
// at every size from one event up.
func TestEventChunksSameAsEvents(t *testing.T) {
	for _, f := range fixtures(t) {
		exs, _, err := loadHAR(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		events := oauth.ExtractAll(exs)
		want := runAll(rules.Input{Exchanges: exs, Events: events})
		for size := 1; size <= max(1, len(events)); size = size*2 + 1 {
			var chunks [][]model.Event
			for i := 0; i < len(events); i += size {
				chunks = append(chunks, events[i:min(i+size, len(events))])
			}
			if chunks == nil {
				chunks = [][]model.Event{}
			}
			got := runAll(rules.Input{Exchanges: exs, EventChunks: chunks})
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s, chunks of %d of %d events: the rules answer otherwise (-events +chunks):\n%s", f, size, len(events), d)
			}
		}
	}
}

func runAll(in rules.Input) string {
	a := rules.Analyze(in, rules.Options{})
	findings := rules.Run(a, rules.All())
	rules.Remediate(a, findings)
	as := rules.Assess(a, findings)
	return fmt.Sprintf("%d transactions, %d codes\n%+v\n%+v", len(a.Transactions), len(a.Codes), findings, as)
}
