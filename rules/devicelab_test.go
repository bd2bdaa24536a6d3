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

// TestLabOtherGrants reads a sign-in recorded with zitadel/oidc's example
// OP followed by the app's back-channel client_credentials and token
// exchange (RFC 8693) requests, both answered with tokens: they are token
// requests of their grants, neither a redemption of a code nor a refresh,
// and no rule reads them as one (the trace is clean).
func TestLabOtherGrants(t *testing.T) {
	exs, notes := loadLabPCAP(t, labDir+"/clean-grants-zitadel")
	events := oauth.ExtractAll(exs)
	a := rules.Analyze(rules.Input{Exchanges: exs, Events: events, Notes: notes}, rules.Options{})
	var grants []string
	for _, r := range a.OtherGrants {
		grants = append(grants, r.Request.GrantType())
		if !r.Request.Code.IsZero() || !r.Succeeded() {
			t.Errorf("%s at %s: code %v, succeeded %v", r.Request.GrantType(), r.Request.Ref, !r.Request.Code.IsZero(), r.Succeeded())
		}
	}
	if want := []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}; strings.Join(grants, " ") != strings.Join(want, " ") {
		t.Errorf("other grants %q, want %q", grants, want)
	}
	fs := rules.Run(a, rules.All())
	for _, f := range fs {
		if f.Severity >= rules.Warning {
			t.Errorf("finding %s %s", f.RuleID, f.Message)
		}
	}
	if got := rules.Assess(a, fs); got.Verdict != rules.VerdictClean {
		t.Errorf("verdict %s (%s), want clean", got.Verdict, got.Reason)
	}
}
