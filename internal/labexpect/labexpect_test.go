package labexpect

import (
	"path/filepath"
	"testing"
)

// Every recorded scenario's expect.json decodes, names its scenario and
// its steps, and each finding names a rule.
func TestReadEveryScenario(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "lab", "scenarios", "*", "expect.json"))
	if len(paths) == 0 {
		t.Fatal("no lab scenarios")
	}
	for _, p := range paths {
		e, err := Read(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if e.Scenario != filepath.Base(filepath.Dir(p)) || len(e.Events) == 0 {
			t.Errorf("%s: scenario %q, %d events", p, e.Scenario, len(e.Events))
		}
		for _, f := range e.Findings {
			if f.Rule == "" {
				t.Errorf("%s: a finding without a rule", p)
			}
		}
	}
}
