package rules_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/rules"
)

// TestMicrosoftListCodesReachRules: a code the catalog took from
// Microsoft's reference list reaches the rule of its class with its own
// meaning. loop-silent.har's six prompt=none answers (AADSTS50058
// login_required, in the Location of Entra's 302) are given, in memory,
// a code no trace in the repository carries: an MFA challenge not passed
// (AADSTS50074, interaction_required), then a national cloud's tenant
// (AADSTS90038, invalid_request), which before the catalog knew it was no
// finding at all.
func TestMicrosoftListCodesReachRules(t *testing.T) {
	path := filepath.Join("testdata", "loop-silent.har")
	for _, c := range []struct {
		code, errName, rule, says string
	}{
		{"AADSTS50074", "interaction_required", rules.InteractionRequired.ID, "the user did not pass the MFA challenge"},
		{"AADSTS90038", "invalid_request", rules.WrongEndpoint.ID, "belongs to a national cloud"},
	} {
		exs := loadRewritten(t, path, strings.NewReplacer("AADSTS50058", c.code, "error=login_required", "error="+c.errName))
		_, fs := assess(exs)
		found := false
		for _, f := range fs {
			if f.RuleID == c.rule && strings.Contains(f.Message, c.code) && strings.Contains(f.Message, c.says) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no %s finding saying %q in %+v", c.code, c.rule, c.says, fs)
		}
	}
}

// loadRewritten reads a HAR fixture after rewriting its text.
func loadRewritten(t *testing.T, path string, r *strings.Replacer) []*model.Exchange {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	hr, err := har.NewReader(bytes.NewReader([]byte(r.Replace(string(data)))), har.Options{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(hr)
	if err != nil {
		t.Fatal(err)
	}
	return exs
}
