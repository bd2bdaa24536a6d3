package rules_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
	exs, events := readHAREvents(t, data)
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

// TestDeferScrubSame: findings and verdicts scrubbed by the caller once the
// analysis is let go (Options.DeferScrub, ScrubFindings, Input.Scrubber, as
// scan does) are those Remediate and Assess scrub themselves, on every
// fixture and on the one whose finding quotes a state.
func TestDeferScrubSame(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "expired-okta-slow.har"))
	if err != nil {
		t.Fatal(err)
	}
	quoted := bytes.Replace(data, []byte("%2Fcallback&state=st-exp"), []byte("%2Fcallbackestate=st-exp"), 1)
	inputs := map[string][]byte{"quoted state": quoted}
	for _, f := range fixtures(t) {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = b
	}
	scrubbed := 0
	for name, b := range inputs {
		exs, events := readHAREvents(t, b)
		in := rules.Input{Exchanges: exs, Events: events}

		a := rules.Analyze(in, rules.Options{})
		want := rules.Run(a, rules.All())
		rules.Remediate(a, want)
		wantAs := rules.Assess(a, want)

		d := rules.Analyze(in, rules.Options{DeferScrub: true})
		got := rules.Run(d, rules.All())
		rules.Remediate(d, got)
		gotAs := rules.Assess(d, got)
		raw := fmt.Sprint(got, gotAs)
		sc := in.Scrubber()
		rules.ScrubFindings(sc, got)
		if gotAs.Reason != "" {
			gotAs.Reason = sc.String(gotAs.Reason)
		}
		if raw != fmt.Sprint(got, gotAs) {
			scrubbed++
		}
		if !reflect.DeepEqual(got, want) || gotAs != wantAs {
			t.Errorf("%s: scrubbed by the caller:\n%+v\n%+v\nby the rules:\n%+v\n%+v", name, got, gotAs, want, wantAs)
		}
	}
	if scrubbed == 0 {
		t.Error("no trace had a secret to scrub in its findings or verdict: the test proves nothing")
	}
}

// readHAREvents reads a HAR document and extracts its OAuth events.
func readHAREvents(t *testing.T, data []byte) ([]*model.Exchange, []model.Event) {
	t.Helper()
	r, err := har.NewReader(bytes.NewReader(data), har.Options{})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return exs, oauth.ExtractAll(exs)
}
