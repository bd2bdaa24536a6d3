package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestOIDCProviderLifetime: panva's oidc-provider refuses an expired code
// with the same "grant request is invalid" as a reused or mismatched one,
// on a host that names no provider family. Its words name the server, so
// the delay is judged against its default 60 s code lifetime: the lab's
// code (expired-oidcprovider-66s.pcapng) redeemed 66 s after issue (65 s held by the RP, oidc-provider's
// default lifetime) is over it, with high confidence, not merely "longer
// than codes commonly live" against RFC 6749's ten minutes.
func TestOIDCProviderLifetime(t *testing.T) {
	exs, notes := loadLabCapture(t, filepath.Join("testdata", "expired-oidcprovider-66s.pcapng"))
	fs := rules.Check(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
	found := false
	for _, f := range fs {
		if f.RuleID != rules.CodeExpired.ID {
			continue
		}
		found = true
		if f.Confidence != "high" || !strings.Contains(f.Message, "beyond the 1m0s lifetime (oidc-provider") {
			t.Errorf("confidence %s: %s", f.Confidence, f.Message)
		}
	}
	if !found {
		t.Fatalf("no code-expired finding: %+v", fs)
	}
}
