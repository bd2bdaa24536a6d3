package redact

import (
	"strings"
	"testing"
)

// TestCredentialTimesKept: the times about a password that Okta's authn
// and Firebase's accounts:lookup answers carry (as recorded in
// cmd/traceaudit/testdata/sdk-wire) stay in a copy; the password beside
// them does not.
func TestCredentialTimesKept(t *testing.T) {
	r := newRedactor(Options{})
	out, ok := r.json([]byte(`{"user":{"passwordChanged":"2026-03-01T05:06:07.000Z","passwordUpdatedAt":1772600767000,` +
		`"password_changed_at":"1772600767","password":"Hunter2-2026-03-01"}}`))
	if !ok {
		t.Fatal("not JSON")
	}
	for _, keep := range []string{`"passwordChanged":"2026-03-01T05:06:07.000Z"`, `"passwordUpdatedAt":1772600767000`, `"password_changed_at":"1772600767"`} {
		if !strings.Contains(string(out), keep) {
			t.Errorf("lost %s: %s", keep, out)
		}
	}
	if strings.Contains(string(out), "Hunter2") {
		t.Errorf("kept the password: %s", out)
	}
}
