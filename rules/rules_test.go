package rules_test

import (
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
