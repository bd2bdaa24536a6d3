package rules_test

import (
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	// The sign-out recordings keep their own directory (logout/gen.sh).
	logout, err := filepath.Glob(filepath.Join("testdata", "logout", "*.har"))
	if err != nil || len(logout) == 0 {
		t.Fatalf("no sign-out fixtures: %v", err)
	}
	files = append(files, logout...)
	for i, f := range files {
		files[i], _ = filepath.Rel("testdata", f)
	}
	return files
}

func TestRules(t *testing.T) {
	rulestest.RunEach(t, loadHAR, "testdata", rules.All(), fixtures(t)...)
}

// TestEventOrderIndependent: the CLI sorts events by time before the rules
// run; the analysis must give the same findings in any event order.
func TestEventOrderIndependent(t *testing.T) {
	for _, file := range fixtures(t) {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		events := oauth.ExtractAll(fx.Exchanges)
		want := rules.Check(rules.Input{Exchanges: fx.Exchanges, Events: events}, rules.Options{})
		reversed := make([]model.Event, len(events))
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

// TestTraceQualityTLSNotes: readers report undecryptable TLS as notes;
// trace-quality turns them into one info finding, and ignores other notes.
func TestTraceQualityTLSNotes(t *testing.T) {
	run := func(notes []model.Note) []rules.Finding {
		a := rules.Analyze(rules.Input{Notes: notes}, rules.Options{})
		return rules.Run(a, []*rules.Rule{rules.TraceQuality})
	}
	got := run([]model.Note{
		{Kind: "tls-no-keys", Ref: "frame 12", Message: "no key for client random 0a1b…"},
		{Kind: "tls-no-keys", Ref: "frame 40", Message: "no key for client random 77aa…"},
		{Kind: "truncated", Ref: "frame 90", Message: "capture ends mid-stream"},
	})
	if len(got) != 1 || got[0].Severity != rules.Info || !strings.Contains(got[0].Message, "2 TLS connection(s)") ||
		len(got[0].Evidence) != 1 || got[0].Evidence[0].Ref != "frame 12" || !strings.Contains(got[0].Remediation, "--keylog") {
		t.Errorf("findings = %+v", got)
	}
	if got := run([]model.Note{{Kind: "truncated", Ref: "frame 90"}}); len(got) != 0 {
		t.Errorf("findings for a non-TLS note: %+v", got)
	}
}

// TestCodeLifetimeOption: --code-lifetime replaces the provider's figure.
func TestCodeLifetimeOption(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "slow-but-accepted.har"))
	if err != nil {
		t.Fatal(err)
	}
	in := rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}
	// Accepted after 40 s: no finding with Entra's 10 minutes, nor with 30 s
	// (the provider accepted it, so the code did not expire).
	for _, d := range []time.Duration{0, 30 * time.Second} {
		if got := rules.Run(rules.Analyze(in, rules.Options{CodeLifetime: d}), []*rules.Rule{rules.CodeExpired}); len(got) != 0 {
			t.Errorf("lifetime %v: findings %+v", d, got)
		}
	}
	fx, err = fixture(filepath.Join("testdata", "invalid-grant-fast.har"))
	if err != nil {
		t.Fatal(err)
	}
	in = rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}
	// Refused 2 s after issue: not expiry with Okta's 60 s, expiry with 1 s.
	if got := rules.Run(rules.Analyze(in, rules.Options{}), []*rules.Rule{rules.CodeExpired}); len(got) != 0 {
		t.Errorf("default lifetime: findings %+v", got)
	}
	got := rules.Run(rules.Analyze(in, rules.Options{CodeLifetime: time.Second}), []*rules.Rule{rules.CodeExpired})
	if len(got) != 1 || got[0].Confidence != "high" || !strings.Contains(got[0].Remediation, "--code-lifetime 1s") {
		t.Errorf("1s lifetime: findings %+v", got)
	}
}

// TestElapsedClocks: Date headers are compared only within one party; the
// app's clock and the provider's are not.
func TestElapsedClocks(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	issued := &model.Event{Time: t0, Prov: &model.Provider{Family: "okta", Host: "dev-1.okta.com"}}
	issued.SetServerDate(t0)
	token := &model.Event{Time: t0.Add(5 * time.Second), Prov: &model.Provider{Family: "okta", Host: "dev-1.okta.com"}}
	token.SetServerDate(t0.Add(90 * time.Second))
	if d, basis, ok := rules.Elapsed(issued, token); !ok || d != 90*time.Second || basis != "provider Date headers" {
		t.Errorf("provider to provider = %v %q %v", d, basis, ok)
	}
	callback := &model.Event{Time: t0.Add(time.Second), Prov: &model.Provider{Family: "app", Host: "app.example"}}
	callback.SetServerDate(t0.Add(-time.Hour))
	if d, basis, ok := rules.Elapsed(callback, token); !ok || d != 4*time.Second || basis != "capture clock" {
		t.Errorf("app to provider = %v %q %v", d, basis, ok)
	}
	if _, _, ok := rules.Elapsed(&model.Event{}, token); ok {
		t.Error("elapsed from an event without times")
	}
}

func TestIdWebNote(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "reuse-double-handler.har"))
	if err != nil {
		t.Fatal(err)
	}
	got := rules.Run(rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{}), []*rules.Rule{rules.CodeReuse})
	if len(got) != 1 || !strings.Contains(got[0].Message, "Microsoft.Identity.Web 2.13.0") || !strings.Contains(got[0].Message, "2.15.1 or later") {
		t.Errorf("findings = %+v", got)
	}
}

func TestExplainURIDiff(t *testing.T) {
	tests := []struct{ a, b, want string }{
		{"https://app.example/cb", "http://app.example/cb", "scheme https vs http"},
		{"https://app.example/cb", "https://app.example/cb/", "trailing slash"},
		{"https://app.example/SignIn", "https://app.example/signin", "letter case"},
		{"https://app.example/cb", "https://app.example:443/cb", "default port explicitly"},
		{"https://app.example:8443/cb", "https://app.example:9443/cb", "port 8443 vs 9443"},
		{"https://app.example/cb", "https://other.example/cb", "host app.example vs other.example"},
		{"https://app.example/cb", "https%3A%2F%2Fapp.example%2Fcb", "second is percent-encoded"},
		{"https://app.example/a%20b", "https://app.example/a b", "first is percent-encoded"},
		{"https://app.example/a%2Fb", "https://app.example/a%2fb", "letter case"},
		{"https://app.example/cb", "https://app.example/cb?x=1", "query string"},
		{"https://app.example/cb", "https://app.example/cb", "identical"},
	}
	for _, tt := range tests {
		if got := rules.ExplainURIDiff(tt.a, tt.b); !strings.Contains(got, tt.want) {
			t.Errorf("ExplainURIDiff(%q, %q) = %q, want it to mention %q", tt.a, tt.b, got, tt.want)
		}
	}
}
