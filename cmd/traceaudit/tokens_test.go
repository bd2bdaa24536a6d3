package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/leakcorpus"
	"github.com/traceaudit/traceaudit/secret"
)

// echoTokens is a sign-in whose token response carries an access, an ID
// and a refresh token (long: scan compacts them), followed by requests that
// echo them where no parameter name gives them away: the app's callback
// URL and the authorize request, which findings cite in their evidence,
// under names no redaction list knows. Then two refreshes with the refresh
// token, one refused with its value in the error description.
func echoTokens(t *testing.T) (path, at, it, rt string) {
	t.Helper()
	enc := base64.RawURLEncoding.EncodeToString
	jwt := func(n string) string {
		return enc([]byte(`{"typ":"JWT","alg":"RS256","kid":"k1"}`)) + "." +
			enc([]byte(`{"aud":"api://app","iss":"https://login.microsoftonline.com/t1/v2.0","tid":"t1","exp":1800000000,"n":"`+n+`","pad":"`+strings.Repeat("p", 100)+`"}`)) +
			"." + enc([]byte("signature-"+n+"-"+strings.Repeat("s", 60)))
	}
	at, it = jwt("access"), jwt("id")
	rt = "0.ARoA" + enc([]byte(strings.Repeat("refresh-token-value-", 8)))
	if len(at) < secret.CompactMin || len(it) < secret.CompactMin || len(rt) < secret.CompactMin {
		t.Fatalf("tokens of %d, %d and %d bytes: scan would keep them whole", len(at), len(it), len(rt))
	}
	const authz = "https://login.microsoftonline.com/t1/oauth2/v2.0/"
	const state, code = "st-123456789", "code-abcdefgh123"
	form := [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}
	json := "application/json"
	cb := "https://app.example/cb?code=" + code + "&state=" + state + "&echo=" + at + "&x=" + it
	exs := []leakcorpus.Exchange{
		{Method: "GET", URL: authz + "authorize?client_id=c1&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid&state=" + state +
			"&code_challenge=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ&code_challenge_method=S256&hint=" + rt,
			Status: 302, RespHeaders: [][2]string{{"Location", cb}}},
		{Method: "GET", URL: cb, Status: 200, RespMIME: "text/html", RespBody: "<html><body>signed in</body></html>"},
		{Method: "POST", URL: authz + "token", ReqHeaders: form, ReqMIME: form[0][1],
			ReqBody: "grant_type=authorization_code&client_id=c1&code=" + code + "&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&code_verifier=verifier-0123456789012345678901234567890123456789",
			Status:  200, RespMIME: json,
			RespBody: `{"token_type":"Bearer","access_token":"` + at + `","id_token":"` + it + `","refresh_token":"` + rt + `","expires_in":3599}`},
		{Method: "GET", URL: "https://api.example/me", ReqHeaders: [][2]string{{"Authorization", "Bearer " + at}}, Status: 200,
			RespMIME: json, RespBody: `{"echo":"` + at + `"}`},
		{Method: "POST", URL: authz + "token", ReqHeaders: form, ReqMIME: form[0][1], ReqBody: "grant_type=refresh_token&client_id=c1&refresh_token=" + rt,
			Status: 400, RespMIME: json, RespBody: `{"error":"invalid_grant","error_description":"AADSTS70000: The provided grant ` + rt + ` is invalid.","error_codes":[70000]}`},
		{Method: "POST", URL: authz + "token", ReqHeaders: form, ReqMIME: form[0][1], ReqBody: "grant_type=refresh_token&client_id=c1&refresh_token=" + rt,
			Status: 400, RespMIME: json, RespBody: `{"error":"invalid_grant","error_description":"AADSTS70008: token ` + at + ` expired","error_codes":[70008]}`},
	}
	data, err := leakcorpus.HAR(exs)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "echo.har")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, at, it, rt
}

// TestCompactedTokensScrubbed: scan keeps the tokens compacted, and the
// output scrubber still finds their raw values where the trace echoes them
// (URLs cited as evidence, under names no list knows) and shows their
// fingerprints there, in every format; with --no-redact the same places
// show the raw values (so the check can fail), and events --no-redact
// lists the tokens raw with their claims.
func TestCompactedTokensScrubbed(t *testing.T) {
	path, at, it, rt := echoTokens(t)
	toks := map[string]string{"access": at, "ID": it, "refresh": rt}
	for _, f := range []string{"json", "jsonl", "sarif", "markdown", "table", "html"} {
		code, stdout, stderr := runCLI(t, nil, "scan", "-f", f, "--fail-on", "never", "--progress", "never", path)
		if code != exitOK {
			t.Fatalf("scan -f %s: exit %d: %s", f, code, stderr)
		}
		for name, v := range toks {
			if strings.Contains(stdout+stderr, v) {
				t.Errorf("scan -f %s: the raw %s token is in the output", f, name)
			}
			// A third of it is not: the value layer replaced it whole.
			if strings.Contains(stdout+stderr, v[len(v)/3:2*len(v)/3]) {
				t.Errorf("scan -f %s: a part of the %s token is in the output", f, name)
			}
		}
		if f == "json" {
			for name, v := range toks {
				if !strings.Contains(stdout, "="+secret.Fingerprint(v)) {
					t.Errorf("scan -f json: the %s token's fingerprint is not where the URL echoed it", name)
				}
			}
		}
	}
	_, raw, _ := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", "--progress", "never", "--no-redact", path)
	for name, v := range toks {
		if !strings.Contains(raw, "="+v) {
			t.Errorf("scan --no-redact: the raw %s token is not where the URL echoed it", name)
		}
	}
	_, events, _ := runCLI(t, nil, "events", "-f", "json", "--no-redact", path)
	var doc struct {
		Files []struct {
			Events []struct {
				Kind         string
				AccessToken  string `json:"access_token"`
				IDToken      string `json:"id_token"`
				RefreshToken string `json:"refresh_token"`
				AccessClaims *struct {
					Issuer string `json:"iss"`
				} `json:"access_token_claims"`
			}
		}
	}
	if err := json.Unmarshal([]byte(events), &doc); err != nil || len(doc.Files) != 1 {
		t.Fatalf("events: %v", err)
	}
	found := false
	for _, e := range doc.Files[0].Events {
		if e.Kind == "token-response" && e.AccessToken != "" {
			found = true
			if e.AccessToken != at || e.IDToken != it || e.RefreshToken != rt {
				t.Errorf("events --no-redact: token response's tokens %.20q, %.20q, %.20q, want them raw", e.AccessToken, e.IDToken, e.RefreshToken)
			}
			if e.AccessClaims == nil || e.AccessClaims.Issuer != "https://login.microsoftonline.com/t1/v2.0" {
				t.Errorf("events --no-redact: access token claims %+v", e.AccessClaims)
			}
		}
	}
	if !found {
		t.Error("events --no-redact: no token response with an access token")
	}
}

// TestCompactedAssertionReplay: a client assertion (a JWT scan keeps
// compacted) sent in two token requests is still found replayed: compacted
// alike, the two are one map key. The finding names its fingerprint, and
// its raw value is nowhere in the output.
func TestCompactedAssertionReplay(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	assertion := enc([]byte(`{"alg":"RS256","typ":"JWT","x5t":"abc"}`)) + "." +
		enc([]byte(`{"aud":"https://login.microsoftonline.com/t1/oauth2/v2.0/token","iss":"c1","sub":"c1","jti":"`+strings.Repeat("j", 40)+`","exp":1800000000}`)) +
		"." + enc([]byte(strings.Repeat("signature", 12)))
	if len(assertion) < secret.CompactMin {
		t.Fatalf("assertion of %d bytes: scan would keep it whole", len(assertion))
	}
	form := [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}}
	body := "grant_type=client_credentials&client_id=c1&scope=api%3A%2F%2Fapp%2F.default" +
		"&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" + assertion
	var exs []leakcorpus.Exchange
	for i := 0; i < 2; i++ {
		exs = append(exs, leakcorpus.Exchange{Method: "POST", URL: "https://login.microsoftonline.com/t1/oauth2/v2.0/token",
			ReqHeaders: form, ReqMIME: form[0][1], ReqBody: body, Status: 400, RespMIME: "application/json",
			RespBody: `{"error":"invalid_client","error_description":"AADSTS700027: Client assertion contains an invalid signature.","error_codes":[700027]}`})
	}
	data, err := leakcorpus.HAR(exs)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "assertion.har")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, stdout, stderr := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", "--progress", "never", path)
	if !strings.Contains(stdout, "the same client_assertion "+secret.Fingerprint(assertion)+" was sent at") {
		t.Errorf("scan: no replayed assertion finding naming its fingerprint:\n%s%s", stdout, stderr)
	}
	if strings.Contains(stdout+stderr, assertion) {
		t.Error("scan: the raw assertion is in the output")
	}
}
