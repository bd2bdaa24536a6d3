package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestLabSilentRenewThirdPartyCookies reads the lab's silent renewal pair,
// recorded with Chromium and oidc-provider: a browser app on app.rp.test
// renews in a hidden iframe (prompt=none) after a top-level sign-in at
// auth.oidc-provider.test. With third-party cookies allowed the frame sent
// oidc-provider's session cookie and got a code: no interaction-required
// finding. With them blocked it sent none and got login_required:
// interaction-required names blocked third-party cookies as the cause and
// cites the top-level request. Both the HAR and the decrypted capture.
func TestLabSilentRenewThirdPartyCookies(t *testing.T) {
	loads := map[string]func(*testing.T, string) ([]*model.Exchange, []model.Note){"har": loadLabHAR, "pcap": loadLabPCAP}
	for _, tc := range []struct {
		scenario string
		blocked  bool
	}{
		{"silent-renew-iframe-spa-oidcprovider", false},
		{"silent-renew-iframe-3p-cookies-blocked-spa-oidcprovider", true},
	} {
		for name, load := range loads {
			t.Run(tc.scenario+"/"+name, func(t *testing.T) {
				exs, notes := load(t, filepath.Join(labDir, tc.scenario))
				fs := rules.Check(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
				var got []rules.Finding
				for _, f := range fs {
					if f.RuleID == rules.InteractionRequired.ID {
						got = append(got, f)
					}
				}
				if !tc.blocked {
					for _, f := range got {
						t.Errorf("third-party cookies allowed, the frame got a code, yet: %s", f.Message)
					}
					return
				}
				if len(got) != 1 {
					t.Fatalf("%d interaction-required findings, want 1: %+v", len(got), got)
				}
				f := got[0]
				if !strings.Contains(f.Message, "not sent in the third-party context") || !strings.Contains(f.Message, "login_required") {
					t.Errorf("the finding does not name blocked third-party cookies: %s", f.Message)
				}
				if !strings.Contains(f.Remediation, "refresh tokens") {
					t.Errorf("remediation: %s", f.Remediation)
				}
			})
		}
	}
}
