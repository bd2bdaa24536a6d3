package rules_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/rules/rulestest"
)

// FuzzCheck feeds mutated HAR fixtures through extraction, analysis and
// every rule: no panic, findings in a stable order, no raw secret in them.
func FuzzCheck(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.har"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := har.NewReader(bytes.NewReader(data), har.Options{Limits: model.Limits{BodyBytes: 64 << 10, InflateBytes: 1 << 20}})
		if err != nil {
			return
		}
		exs, _ := model.ReadAll(r)
		events := oauth.ExtractAll(exs)
		in := rules.Input{Exchanges: exs, Events: events, Notes: r.Notes()}
		first := rules.Check(in, rules.Options{})
		again := rules.Check(in, rules.Options{})
		if len(first) != len(again) {
			t.Fatalf("nondeterministic: %d then %d findings", len(first), len(again))
		}
		for i := range first {
			if first[i].Message != again[i].Message {
				t.Fatalf("nondeterministic order: %q vs %q", first[i].Message, again[i].Message)
			}
		}
		rulestest.CheckNoLeak(t, events, first)
	})
}
