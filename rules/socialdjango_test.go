package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestSocialDjangoRecorded reads sign-ins recorded from a real Django site
// with social-auth-app-django 5.0 and social-core 4.3's OpenID Connect
// backend against oidc-provider (testdata/social-django/gen.sh): the
// browser's HARs and, for four stories, tcpdump's capture with the app's
// back channel. Its middleware answers a refused callback with a redirect
// to LOGIN_ERROR_URL and leaves social-core's message in Django's messages
// cookie ("Session value state missing.", "Authentication process
// canceled", "Your credentials aren't allowed"). social-core keeps one
// state per session and reuses it, so two tabs send one state and both
// complete. Before, every refusal was a redirect the trace could not
// explain, two tabs a warning about a constant state, and the reload "the
// app redeemed the code again" without its answer.
func TestSocialDjangoRecorded(t *testing.T) {
	checkRecorded(t, "social-clean.pcap", nil)
	checkRecorded(t, "social-two-tabs.pcap", []rpWant{{rule: rules.StateMismatch.ID, severity: rules.Info,
		message: []string{"both started by social-auth-app-django", "social-core keeps one state per backend in the Django session and reuses it"}}})
	checkRecorded(t, "social-reload.pcap", []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Error,
		message: []string{"frame 114 was refused with invalid_grant", `social-auth-app-django says "Authentication process canceled"`},
		remedy:  []string{"social-core reports that as AuthCanceled"}}})
	checkRecorded(t, "social-bad-secret.pcap", []rpWant{{rule: rules.ClientAuthFailed.ID, severity: rules.Error,
		message: []string{"refused the credentials of client social-app at frame 55 (invalid_client)", `"Your credentials aren't allowed"`},
		remedy:  []string{"SOCIAL_AUTH_OIDC_SECRET"}}})

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
	if got, fs := load("social-clean.har"); got.Verdict != rules.VerdictClean || len(fs) != 0 {
		t.Errorf("clean: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	// One state per session: a note, not a warning, and the verdict clean.
	if got, fs := load("social-two-tabs.har"); got.Verdict != rules.VerdictClean || len(fs) != 1 || fs[0].Severity != rules.Info {
		t.Errorf("two tabs: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	// social-core's AuthCanceled after a refused redemption is not the
	// user cancelling.
	if _, fs := load("social-reload.har"); len(fs) != 1 || !strings.Contains(fs[0].Message, "not a user's cancel") {
		t.Errorf("reload: %+v", fs)
	}
	// AuthForbidden cannot tell the provider's 401 from the app's allow-list:
	// inconclusive, saying both.
	if got, _ := load("social-bad-secret.har"); got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "allow-list") {
		t.Errorf("bad secret: verdict %s (%s)", got.Verdict, got.Reason)
	}
	if _, fs := load("social-lost-session.har"); len(fs) != 1 || !strings.Contains(fs[0].Message, "Django keeps the session") ||
		!strings.Contains(fs[0].Remediation, "social-auth-app-django keeps the sign-in's state in the Django session") {
		t.Errorf("lost session: %+v", fs)
	}
	// The user's refusal, re-raised as AuthCanceled: the callback's own error.
	if got, fs := load("social-denied.har"); got.Verdict != rules.VerdictInconclusive || len(fs) != 0 || !strings.Contains(got.Reason, "with access_denied") {
		t.Errorf("denied: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
}
