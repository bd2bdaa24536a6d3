package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/secret"
)

// The exchanges listing shows no bodies and extracts no events, so its
// scrubber learnt only what it fingerprinted in URLs: a PKCE verifier
// (or a client secret) a token request sent in its form body and that came
// back where no name gives it away (an app logging it in a URL) was
// listed raw. The secrets the request bodies carry by name are scrubbed
// wherever they reappear.
func TestExchangesScrubBodySecrets(t *testing.T) {
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-listing-A6"
	const clientSecret = "Zq8~hT3pL0vN5xR2wK7yB4cJ9mF6dG1s"
	const jsonVerifier = "Jm3kT9pQ2wE7rY5uI1oP8aS4dF6gH0jKlZxCvBnM-json-body-A6"
	entry := func(method, url, body string) map[string]any {
		e := map[string]any{
			"startedDateTime": "2026-11-26T10:00:00.000Z", "time": 10,
			"request": map[string]any{"method": method, "url": url, "httpVersion": "HTTP/1.1", "headers": []any{},
				"queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": len(body)},
			"response": map[string]any{"status": 200, "statusText": "", "httpVersion": "HTTP/1.1", "headers": []any{}, "cookies": []any{},
				"content": map[string]any{"size": 0, "mimeType": "text/plain"}, "redirectURL": "", "headersSize": -1, "bodySize": -1},
			"cache": map[string]any{}, "timings": map[string]any{"send": 1, "wait": 8, "receive": 1},
		}
		if body != "" {
			mt := "application/x-www-form-urlencoded"
			if strings.HasPrefix(body, "{") {
				mt = "application/json"
			}
			e["request"].(map[string]any)["postData"] = map[string]any{"mimeType": mt, "text": body}
		}
		return e
	}
	har := map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]any{"name": "test", "version": "1"}, "entries": []any{
		entry("POST", "https://id.example.org/oauth2/token",
			"grant_type=authorization_code&code=C0de-for-the-listing-test&redirect_uri=https%3A%2F%2Fapp.example.org%2Fcb&client_id=web&client_secret="+clientSecret+"&code_verifier="+verifier),
		entry("GET", "https://app.example.org/log?msg="+verifier+"&other="+clientSecret, ""),
		entry("GET", "https://app.example.org/debug/"+verifier, ""),
		// An app's token request sent as JSON.
		entry("POST", "https://id.example.org/oauth2/token",
			`{"grant_type":"authorization_code","code":"C0de-for-the-json-request","client_id":"spa","code_verifier":"`+jsonVerifier+`"}`),
		entry("GET", "https://app.example.org/log?v="+jsonVerifier, ""),
	}}}
	data, err := json.Marshal(har)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "listing.har")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"table", "json", "jsonl"} {
		code, out, errOut := runCLI(t, nil, "exchanges", "-f", format, path)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errOut)
		}
		for _, raw := range []string{verifier, clientSecret, jsonVerifier} {
			if strings.Contains(out+errOut, raw) {
				t.Errorf("%s: a raw secret of the token request's body is listed:\n%s", format, out)
			}
		}
		if fp := secret.New(verifier).String(); strings.Count(out, fp) < 2 {
			t.Errorf("%s: the verifier's fingerprint %s is not where the verifier was:\n%s", format, fp, out)
		}
	}
	// --no-redact lists them as they are.
	if _, out, _ := runCLI(t, nil, "exchanges", "--no-redact", path); !strings.Contains(out, verifier) {
		t.Errorf("--no-redact hides the verifier:\n%s", out)
	}
}
