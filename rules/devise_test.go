package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestDeviseRecorded: sign-ins recorded from a real Rails app with Devise
// 4.8 and OmniAuth 2.1 (testdata/devise/gen.sh). Devise answers a failed
// OmniAuth callback with its own failure action, a redirect to its sign-in
// page whose flash says 'Could not authenticate you from Labop because
// "Csrf detected".', never OmniAuth's /auth/failure; before, the redirect
// read as an accepted callback and every story was clean. Now: two tabs
// crossing OmniAuth's one session state are multi-tab-race with OmniAuth's
// remedy, a refused redemption (the app's client secret no longer the
// provider's) says the app's own redemption failed, and a completed
// sign-in, whose redirect and flash notice look alike, stays clean.
func TestDeviseRecorded(t *testing.T) {
	load := func(file string) (rules.Assessment, []rules.Finding) {
		t.Helper()
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		a := rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{})
		fs := rules.Run(a, rules.All())
		rules.Remediate(a, fs)
		return rules.Assess(a, fs), fs
	}
	got, fs := load("devise-two-tabs.har")
	if got.Verdict != rules.VerdictFindings || len(fs) != 1 || fs[0].RuleID != rules.MultiTabRace.ID ||
		!strings.Contains(fs[0].Message, `OmniAuth (Devise) says "Csrf detected"`) || !strings.Contains(fs[0].Remediation, `session["omniauth.state"]`) {
		t.Errorf("two tabs: verdict %s, findings %+v", got.Verdict, fs)
	}
	got, _ = load("devise-bad-secret.har")
	if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, `OmniAuth (Devise) says its own redemption of the code failed ("Invalid credentials")`) {
		t.Errorf("bad secret: verdict %s (%s)", got.Verdict, got.Reason)
	}
	got, fs = load("devise-clean.har")
	if got.Verdict != rules.VerdictClean || len(fs) != 0 {
		t.Errorf("clean: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	got, _ = load("devise-denied.har")
	if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "with access_denied") {
		t.Errorf("denied: verdict %s (%s)", got.Verdict, got.Reason)
	}
}
