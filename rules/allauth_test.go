package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestAllauthRecorded: sign-ins recorded from a real Django app with
// django-allauth 0.51 (testdata/allauth/gen.sh) in several languages. Two
// tabs: allauth keeps one state per session before 0.62, the first tab's
// callback is refused with its failure page in the page's language
// (before: a clean verdict, the page unread), and the remedy names
// allauth's fix. Denied: the provider's access_denied reaches the app
// on the provider's answer and on the callback; with the provider's answer
// missing from the trace the verdict now names the callback's error
// (before: "the code reached the app", which brought no code).
func TestAllauthRecorded(t *testing.T) {
	for _, lang := range []string{"de", "fr", "es", "pt-br", "ru", "language-code-ja"} {
		file := "allauth-two-tabs-" + lang + ".har"
		fx, err := fixture(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		a := rules.Analyze(rules.Input{Exchanges: fx.Exchanges, Events: oauth.ExtractAll(fx.Exchanges)}, rules.Options{})
		fs := rules.Run(a, rules.All())
		rules.Remediate(a, fs)
		got := rules.Assess(a, fs)
		if got.Verdict != rules.VerdictFindings || len(fs) != 1 || fs[0].RuleID != rules.MultiTabRace.ID ||
			!strings.Contains(fs[0].Remediation, "django-allauth before 0.62 keeps one pending sign-in per session") {
			t.Errorf("%s: verdict %s, findings %+v", file, got.Verdict, fs)
		}
	}
	// The session cookie lost before the callback: state-mismatch shows
	// the cookie missing, and the remedy is allauth's session's (before:
	// the generic one about SameSite=None cookies for a form_post).
	fx, err := fixture(filepath.Join("testdata", "allauth-lost-session-fr.har"))
	if err != nil {
		t.Fatal(err)
	}
	if _, fs := assess(fx.Exchanges); len(fs) != 1 || fs[0].RuleID != rules.StateMismatch.ID ||
		!strings.Contains(fs[0].Remediation, `SESSION_COOKIE_SAMESITE "Lax"`) {
		t.Errorf("lost session: findings %+v", fs)
	}
	fx, err = fixture(filepath.Join("testdata", "allauth-denied-de.har"))
	if err != nil {
		t.Fatal(err)
	}
	got, fs := assess(fx.Exchanges)
	if got.Verdict != rules.VerdictInconclusive || len(fs) != 0 ||
		!strings.Contains(got.Reason, "answered the sign-in at entries[4] with access_denied") {
		t.Errorf("denied: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	// The same sign-in as the provider's answer is missing from it (a HAR
	// saved after the provider's pages, a capture of the app's side only):
	// the provider's error is on the callback alone.
	var app []*model.Exchange
	for _, ex := range fx.Exchanges {
		if ex.Ref != "entries[4]" {
			app = append(app, ex)
		}
	}
	got, _ = assess(app)
	if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "sent the sign-in started at entries[1] back to the app at entries[5] with access_denied, no code") {
		t.Errorf("denied, callback only: verdict %s (%s)", got.Verdict, got.Reason)
	}
}
