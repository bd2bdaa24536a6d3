package rules_test

import (
	"github.com/traceaudit/traceaudit/parse"
	"path/filepath"
	"testing"

	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/rules/rulestest"
)

func TestValidateAll(t *testing.T) {
	if err := rules.Validate(rules.All()); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRejects(t *testing.T) {
	run := func(*rules.Pass) {}
	doc := "a long enough documentation text that explains what the rule detects, its evidence and the remediation"
	bad := [][]*rules.Rule{
		{{ID: "Code_Reuse", Title: "x", Doc: doc, Severity: rules.Error, Run: run}},
		{{ID: "a", Title: "x", Doc: doc, Severity: rules.Error, Run: run}, {ID: "a", Title: "y", Doc: doc, Severity: rules.Error, Run: run}},
		{{ID: "a", Title: "Capital title", Doc: doc, Severity: rules.Error, Run: run}},
		{{ID: "a", Title: "period.", Doc: doc, Severity: rules.Error, Run: run}},
		{{ID: "a", Title: "x", Doc: "", Severity: rules.Error, Run: run}},
		{{ID: "a", Title: "x", Doc: doc, Severity: 0, Run: run}},
		{{ID: "a", Title: "x", Doc: doc, Severity: rules.Error}},
	}
	for i, rs := range bad {
		if rules.Validate(rs) == nil {
			t.Errorf("case %d: Validate accepted an invalid rule", i)
		}
	}
}

// fixtures are every trace under testdata: each rule runs on all of them, so
// a finding on another rule's fixture fails as an unexpected finding.
func fixtures(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.har"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}

func TestRules(t *testing.T) {
	for _, r := range rules.All() {
		t.Run(r.ID, func(t *testing.T) {
			rulestest.Run(t, "testdata", r, fixtures(t)...)
		})
	}
}

// TestEventOrderIndependent: the CLI sorts events by time before the rules
// run; the analysis must give the same findings in any event order.
func TestEventOrderIndependent(t *testing.T) {
	for _, file := range fixtures(t) {
		fx, err := rulestest.LoadHAR(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		events := parse.ExtractAll(fx.Exchanges)
		want := rules.Check(rules.Input{Exchanges: fx.Exchanges, Events: events}, rules.Options{})
		reversed := make([]parse.Event, len(events))
		for i, ev := range events {
			reversed[len(events)-1-i] = ev
		}
		got := rules.Check(rules.Input{Exchanges: fx.Exchanges, Events: reversed}, rules.Options{})
		if len(got) != len(want) {
			t.Errorf("%s: %d findings in reverse order, %d in source order", file, len(got), len(want))
			continue
		}
		for i := range got {
			if got[i].RuleID != want[i].RuleID || got[i].Message != want[i].Message {
				t.Errorf("%s: finding %d differs:\n%s\n%s", file, i, got[i].Message, want[i].Message)
			}
		}
	}
}
