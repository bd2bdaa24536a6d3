package rules_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestDexRecorded reads sign-ins against a real Dex v2.45.1 by kubelogin
// v1.34.0 and by a small web app, recorded on lo with their back channel
// (testdata/dex/gen.sh). Before, Dex was "the authorization server
// 127.0.0.1", its refusal of kubelogin's second port was remedied with
// "register it at the authorization server", the user's Cancel on Dex's
// approval page read as a trace that "shows no code", and a failed
// kubelogin redemption was clean wherever the trace (the browser's HAR)
// could not show it.
func TestDexRecorded(t *testing.T) {
	checkRecorded(t, "dex-kubelogin-clean.pcap", nil)
	checkRecorded(t, "dex-kubelogin-opened-twice.pcap", nil) // one state, two tabs: no race, no reuse
	// kubelogin bound its second default port: Dex's page quoted, Dex's
	// staticClients and kubelogin's flags named.
	checkRecorded(t, "dex-kubelogin-unregistered-port.pcap", []rpWant{{rule: "redirect-uri-mismatch", severity: rules.Error,
		message: []string{`Dex rejected the redirect URI "http://localhost:18000" at authorize time (its error page says "Unregistered redirect_uri.")`,
			"as kubelogin does", "(port 18000 here)"},
		remedy: []string{"staticClients → the one with id: kubernetes → redirectURIs → add exactly \"http://localhost:18000\"",
			"--listen-address=127.0.0.1:8000"}}})
	// A second kubelogin while the first waited on port 8000.
	checkRecorded(t, "dex-kubelogin-second-instance.pcap", []rpWant{{rule: "redirect-uri-mismatch", severity: rules.Error,
		message: []string{`another sign-in of client kubernetes was waiting on http://localhost:8000 (started at frame 21)`, "found port 8000 taken and took port 18000"},
		remedy:  []string{"run one kubectl sign-in at a time"}}})
	// The wrong secret: Dex and kubelogin say where it lives.
	checkRecorded(t, "dex-kubelogin-wrong-secret.pcap", []rpWant{{rule: "client-auth-failed", severity: rules.Error,
		message: []string{"Dex refused the credentials of client kubernetes", "golang.org/x/oauth2's auto-detected auth style"},
		remedy:  []string{"--oidc-client-secret of the kubeconfig user's exec args", "staticClients → the client's entry → secret"}}})
	checkRecorded(t, "dex-webapp-reload.pcap", []rpWant{{rule: "code-reuse", severity: rules.Error,
		message: []string{"was redeemed 2 times", "the callback URL was loaded again"}}})

	verdict := func(name string) rules.Assessment {
		t.Helper()
		exs, notes := loadRecording(t, name)
		a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
		fs := rules.Run(a, rules.All())
		rules.Remediate(a, fs)
		return rules.Assess(a, fs)
	}
	// Cancel on the approval page: Dex's 500 page, no redirect back.
	for _, name := range []string{"dex-kubelogin-denied.pcap", "dex-kubelogin-denied.har"} {
		if got := verdict(name); got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, `Dex answered the sign-in`) ||
			!strings.Contains(got.Reason, `"Approval rejected."`) || !strings.Contains(got.Reason, "pressed Cancel on Dex's approval page") {
			t.Errorf("%s: verdict %s (%s)", name, got.Verdict, got.Reason)
		}
	}
	// kubelogin answers the browser before it redeems: its page proves
	// nothing, so a HAR of a refused redemption is no clean sign-in, and
	// neither is a HAR of a good one.
	for _, name := range []string{"dex-kubelogin-wrong-secret.har", "dex-kubelogin-clean.har", "dex-kubelogin-opened-twice.har"} {
		if got := verdict(name); got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "a native app's loopback listener at http://localhost:8000/") ||
			!strings.Contains(got.Reason, "tcpdump -i lo") {
			t.Errorf("%s: verdict %s (%s)", name, got.Verdict, got.Reason)
		}
	}
	if got := verdict("dex-kubelogin-clean.pcap"); got.Verdict != rules.VerdictClean {
		t.Errorf("clean capture: verdict %s (%s)", got.Verdict, got.Reason)
	}
}

// TestDexProvider: Dex is named under its usual issuer paths and, on any
// host, by its error page; a loopback redirect URI is a native app's.
func TestDexProvider(t *testing.T) {
	exs, _ := loadRecording(t, "dex-kubelogin-unregistered-port.har")
	for _, ev := range oauth.ExtractAll(exs) {
		if ev.Kind == model.AuthorizeError && (ev.Provider().Family != model.FamilyDex || ev.Err.Description != "Unregistered redirect_uri.") {
			t.Errorf("%s: provider %+v, error %+v", ev.Ref, ev.Provider(), ev.Err)
		}
	}
}

// loadRecording reads a HAR or a capture of testdata.
func loadRecording(t *testing.T, name string) ([]*model.Exchange, []model.Note) {
	t.Helper()
	if !strings.HasSuffix(name, ".har") {
		return loadLabCapture(t, filepath.Join("testdata", name))
	}
	fx, err := fixture(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return fx.Exchanges, nil
}
