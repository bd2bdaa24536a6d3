package rules_test

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestLabDeviceFlow reads the device authorization grant (RFC 8628)
// recorded from oidc-provider, Chromium and the lab's device client, whose
// polls are in the capture (the back channel): polls answered
// authorization_pending are the protocol, not a refusal, so the approved
// sign-in is clean; a device code that expired while the client polled
// (ttl.DeviceCode 12 s, the user never confirmed) is inconclusive with
// that reason, not a refusal "the trace cannot explain".
func TestLabDeviceFlow(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		verdict  rules.Verdict
		reason   string
	}{
		{"clean-device-oidcprovider", rules.VerdictClean, ""},
		{"device-code-expired-oidcprovider", rules.VerdictInconclusive, "the device code expired before the user approved the sign-in"},
	} {
		exs, notes := loadLabPCAP(t, labDir+"/"+tc.scenario)
		events := oauth.ExtractAll(exs)
		pending := 0
		for _, ev := range events {
			if ev.Kind == model.TokenResponse && ev.Err != nil && ev.Err.Error == "authorization_pending" {
				pending++
			}
		}
		if pending == 0 {
			t.Fatalf("%s: no poll answered authorization_pending in the capture", tc.scenario)
		}
		a := rules.Analyze(rules.Input{Exchanges: exs, Events: events, Notes: notes}, rules.Options{})
		fs := rules.Run(a, rules.All())
		for _, f := range fs {
			if f.Severity >= rules.Warning {
				t.Errorf("%s: finding %s %s", tc.scenario, f.RuleID, f.Message)
			}
		}
		got := rules.Assess(a, fs)
		if got.Verdict != tc.verdict || !strings.Contains(got.Reason, tc.reason) {
			t.Errorf("%s: verdict %s (%s), want %s with %q", tc.scenario, got.Verdict, got.Reason, tc.verdict, tc.reason)
		}
	}
}
