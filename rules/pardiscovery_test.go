package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestPARDiscoveryRecorded: a browser app that reads oidc-provider's
// discovery document and pushes its request to the endpoint it names
// (/request), recorded (testdata/par-discovery/gen.sh). The push is read
// by its pattern and tied to the authorize request that names it; the
// sign-in is clean. Loading the authorize URL again sends the spent
// request_uri, which oidc-provider refuses with invalid_request_uri
// ("request_uri is invalid, expired, or was already used"): the verdict
// explains the request_uri, not an authorization code (before: "the
// authorization code was already used; redeem each code exactly once").
func TestPARDiscoveryRecorded(t *testing.T) {
	fx, err := fixture(filepath.Join("testdata", "par-discovery-clean.har"))
	if err != nil {
		t.Fatal(err)
	}
	got, fs := assess(fx.Exchanges)
	if got.Verdict != rules.VerdictClean || len(fs) != 0 {
		t.Errorf("clean: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
	pushed := 0
	for _, ev := range oauth.ExtractAll(fx.Exchanges) {
		if ev.Kind == model.AuthorizeRequest && ev.PushedRef() == "entries[2]" {
			pushed++
		}
	}
	if pushed != 1 {
		t.Errorf("clean: %d authorize requests tied to the push at entries[2], want 1", pushed)
	}

	fx, err = fixture(filepath.Join("testdata", "par-discovery-reused.har"))
	if err != nil {
		t.Fatal(err)
	}
	got, fs = assess(fx.Exchanges)
	if got.Verdict != rules.VerdictInconclusive || len(fs) != 0 ||
		!strings.Contains(got.Reason, "invalid_request_uri") || !strings.Contains(got.Reason, "a pushed request serves one authorize request") ||
		strings.Contains(got.Reason, "authorization code was already used") {
		t.Errorf("reused: verdict %s (%s), findings %+v", got.Verdict, got.Reason, fs)
	}
}
