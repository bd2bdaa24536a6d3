package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/leakcorpus"
	"github.com/traceaudit/traceaudit/secret"
)

// TestCompactedLookalikeScrubbed: a token response's access token T (long:
// scan compacts it) and, under another credential name of the same answer,
// a different value T2 of T's length with T's first 8 and last 24 bytes.
// The set of the exchange's secrets skipped T2 as one the event holds
// already (secret.Secret.MayHold compares a compacted token's length and
// ends only), and the scrubber, verifying T's SHA-256 where T's ends
// matched, let T2 through: quoted by a refused callback's
// error_description, where no name gives it away and no sweep by shape
// takes it for a secret, scan showed it raw in json, markdown and html.
// Now it shows T2's own fingerprint there, not T's.
func TestCompactedLookalikeScrubbed(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	at := "0.AXoB" + enc([]byte(strings.Repeat("opaque-access-token-", 8)))
	if len(at) < secret.CompactMin {
		t.Fatalf("a token of %d bytes: scan would keep it whole", len(at))
	}
	mid := len(at) / 2
	twin := at[:mid] + strings.Repeat("Q", 8) + at[mid+8:] // T's length and ends
	if twin == at || len(twin) != len(at) || twin[:8] != at[:8] || twin[len(twin)-24:] != at[len(at)-24:] {
		t.Fatal("the lookalike does not share the token's length and ends")
	}
	const authz = "https://login.example.com/oauth2/"
	const state, code = "st-123456789", "code-abcdefgh123"
	// A refused callback quotes T2 in its error_description, among words:
	// no parameter name gives it away and the sweeps by shape take the
	// whole description for prose.
	cb := "https://app.example/cb?code=" + code + "&state=" + state + "&error=access_denied&error_description=grant+" + twin + "+refused"
	form := [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}
	exs := []leakcorpus.Exchange{
		{Method: "GET", URL: authz + "authorize?client_id=c1&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid&state=" + state +
			"&code_challenge=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ&code_challenge_method=S256",
			Status: 302, RespHeaders: [][2]string{{"Location", cb}}},
		{Method: "GET", URL: cb, Status: 200, RespMIME: "text/html", RespBody: "<html><body>signed in</body></html>"},
		{Method: "POST", URL: authz + "token", ReqHeaders: form, ReqMIME: form[0][1],
			ReqBody: "grant_type=authorization_code&client_id=c1&code=" + code + "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier=verifier-0123456789012345678901234567890123456789",
			Status:  200, RespMIME: "application/json",
			RespBody: `{"token_type":"Bearer","access_token":"` + at + `","session_token":"` + twin + `","expires_in":3599}`},
	}
	data, err := leakcorpus.HAR(exs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lookalike.har")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"json", "markdown", "html"} {
		code, stdout, stderr := runCLI(t, nil, "scan", "-f", f, "--fail-on", "never", "--progress", "never", path)
		if code != exitOK {
			t.Fatalf("scan -f %s: exit %d: %s", f, code, stderr)
		}
		if strings.Contains(stdout+stderr, twin[8:len(twin)-24]) {
			t.Errorf("scan -f %s: the lookalike of the access token is shown raw", f)
		}
		if f == "json" {
			if !strings.Contains(stdout, "grant+"+secret.Fingerprint(twin)+"+refused") {
				t.Error("scan -f json: the lookalike's own fingerprint is not where the URL echoed it")
			}
			if strings.Contains(stdout, "grant+"+secret.Fingerprint(at)) {
				t.Error("scan -f json: the lookalike is shown as the access token's fingerprint")
			}
		}
	}
	_, raw, _ := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", "--progress", "never", "--no-redact", path)
	if !strings.Contains(raw, "grant+"+twin+"+refused") {
		t.Error("scan --no-redact: the lookalike is not where the URL echoed it: the check proves nothing")
	}
}
