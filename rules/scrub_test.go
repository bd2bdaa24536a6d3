package rules_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/rules/rulestest"
)

// TestFindingsScrubbed: a state the app pasted into its redirect URI (the
// authorize URL of expired-okta-slow.har with "&state=" turned into
// "estate=", as CI's fuzzing found it) is quoted by the redirect-URI
// finding and its remediation; neither may show it raw, whether the rules
// get the events whole or in chunks (as the CLI hands them).
func TestFindingsScrubbed(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "expired-okta-slow.har"))
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte("%2Fcallback&state=st-exp"), []byte("%2Fcallbackestate=st-exp"), 1)
	r, err := har.NewReader(bytes.NewReader(data), har.Options{})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	events := oauth.ExtractAll(exs)
	half := len(events) / 2
	for name, in := range map[string]rules.Input{
		"whole":  {Exchanges: exs, Events: events},
		"chunks": {Exchanges: exs, EventChunks: [][]model.Event{events[:half], events[half:]}},
	} {
		a := rules.Analyze(in, rules.Options{})
		fs := rules.Run(a, rules.All())
		rules.Remediate(a, fs)
		quoted := false
		for _, f := range fs {
			if f.RuleID == "redirect-uri-mismatch" && strings.Contains(f.Message, "callbacke") {
				quoted = true
			}
		}
		if !quoted {
			t.Fatalf("%s: no redirect-uri-mismatch finding quotes the URI: the test proves nothing (%d findings)", name, len(fs))
		}
		rulestest.CheckNoLeak(t, events, fs)
		if as := rules.Assess(a, fs); strings.Contains(as.Reason, "st-exp") {
			t.Errorf("%s: the verdict's reason shows the state: %q", name, as.Reason)
		}
	}
}
