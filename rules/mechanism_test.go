package rules_test

import (
	"path/filepath"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestMechanisms: each branch of the mechanism decision, on a trace that
// shows it. The mechanism is decided from the order of events, and the
// findings that tell one incident (code-reuse and multi-tab-race on the
// same code) name the same one.
func TestMechanisms(t *testing.T) {
	tests := []struct {
		file string
		rule string
		want rules.Mechanism
	}{
		// second delivery after the first redemption was answered
		{"reuse-reload.har", "code-reuse", rules.MechReload},
		// second delivery before the first delivery was answered
		{"reuse-duplicate-navigation.har", "code-reuse", rules.MechDuplicateNavigation},
		// two redemptions inside one callback request
		{"reuse-double-handler.har", "code-reuse", rules.MechDoubleHandler},
		{"reuse-prefetch.har", "code-reuse", rules.MechPrefetch},
		{"reuse-browser-and-server.har", "code-reuse", rules.MechBrowserAndServer},
		// redemptions from two sign-ins: one story in both findings
		{"multitab-shared-slot.har", "multi-tab-race", rules.MechMultiTab},
		{"multitab-shared-slot.har", "code-reuse", rules.MechMultiTab},
		{"multitab-verifier.har", "multi-tab-race", rules.MechMultiTab},
		{"multitab-state-cookie.har", "multi-tab-race", rules.MechMultiTab},
		{"multitab-grant-replaced.har", "multi-tab-race", rules.MechGrantReplaced},
		{"expired-short-lifetime.har", "code-expired", rules.MechShortLifetime},
		// the provider slow to refuse: its answer time is not the app's step
		{"expired-short-lifetime-slow-refusal.har", "code-expired", rules.MechShortLifetime},
		{"expired-aadsts70008-early.har", "code-expired", rules.MechIssuedEarlier},
		{"expired-aadsts70008.har", "code-expired", rules.MechSlowRedemption},
	}
	for _, tt := range tests {
		fx, err := fixture(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		fs := rules.Check(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{})
		found := false
		for _, f := range fs {
			if f.RuleID != tt.rule {
				continue
			}
			found = true
			if f.Mechanism != tt.want {
				t.Errorf("%s: %s mechanism %q, want %q: %s", tt.file, tt.rule, f.Mechanism, tt.want, f.Message)
			}
		}
		if !found {
			t.Errorf("%s: no %s finding", tt.file, tt.rule)
		}
	}
}

// TestOneStoryPerIncident: when multi-tab-race and code-reuse describe the
// same code they agree on mechanism and remediation.
func TestOneStoryPerIncident(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "multitab-shared-slot.har"))
	if err != nil {
		t.Fatal(err)
	}
	fs := rules.Check(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{})
	var race, reuse *rules.Finding
	for i := range fs {
		switch fs[i].RuleID {
		case "multi-tab-race":
			race = &fs[i]
		case "code-reuse":
			reuse = &fs[i]
		}
	}
	if race == nil || reuse == nil {
		t.Fatalf("findings %+v", fs)
	}
	if !race.Code.Equal(reuse.Code) || race.Mechanism != reuse.Mechanism || race.Remediation != reuse.Remediation {
		t.Errorf("two stories for one code:\n%s %s %q\n%s %s %q", race.Code, race.Mechanism, race.Remediation, reuse.Code, reuse.Mechanism, reuse.Remediation)
	}
}

// TestTokenInURLOnePerToken: one finding per token, counting every URL
// (any endpoint, any parameter case or separator); WOPI's by-design token
// is advice, not a warning.
func TestTokenInURLOnePerToken(t *testing.T) {
	for file, want := range map[string]rules.Severity{"token-in-url-wopi.har": rules.Info, "token-in-url-query.har": rules.Warning} {
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		fs := rules.Run(rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{}), []*rules.Rule{rules.TokenInURL})
		if len(fs) != 1 || fs[0].Severity != want {
			t.Errorf("%s: %d findings %+v, want one %s", file, len(fs), fs, want)
		}
	}
}

// TestServerCaptureMechanisms: the lab's captures taken on the app's side,
// where the callbacks and the redemptions of each instance are visible.
func TestServerCaptureMechanisms(t *testing.T) {
	tests := []struct {
		scenario string
		want     rules.Mechanism
	}{
		// nginx retried the form_post callback on a second instance while
		// the first was still redeeming (X-Forwarded-For on both)
		{"code-reuse-proxy-retry-nginx-fosite", rules.MechProxyRetry},
		// the user reloaded after the first callback was answered
		{"code-reuse-reload-server-capture-fosite", rules.MechReload},
		// two redemptions inside the one callback request
		{"code-reuse-double-handler-server-capture-gooauth2", rules.MechDoubleHandler},
	}
	for _, tt := range tests {
		exs, notes := loadLabCapture(t, filepath.Join(labDir, tt.scenario, "capture-server-dsb.pcapng"))
		fs := rules.Check(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
		found := false
		for _, f := range fs {
			if f.RuleID == "code-reuse" {
				found = true
				if f.Mechanism != tt.want {
					t.Errorf("%s: mechanism %q, want %q: %s", tt.scenario, f.Mechanism, tt.want, f.Message)
				}
			}
		}
		if !found {
			t.Errorf("%s: no code-reuse finding in %+v", tt.scenario, fs)
		}
	}
}
