package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/secret"
)

// TestListingsScrubIssuedSecrets: short opaque tokens (shorter than the
// shape sweep recognises) that an answer issues by name — a token
// endpoint's or any API's JSON — and that come back where no name tells
// they are secrets (a path segment, another query parameter) are
// fingerprinted in the exchanges, events and compare outputs, which
// extract no event that holds them. The input is the repository's copy of
// a real third-party HAR of an Okta code + PKCE flow
// (testdata/samples/okta-har-analyzer-sample.har, provenance in
// testdata/samples/PROVENANCE.md): its token response gets an opaque access
// and refresh token, and two requests sending them back are appended.
func TestListingsScrubIssuedSecrets(t *testing.T) {
	orig, err := os.ReadFile("../../testdata/samples/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	const access = "Qm4Vt8Xa2Lp7Rn3Kd9Wf"      // 20 bytes, opaque
	const refresh = "rT5hN2cG8kY4pJ7vB1xM6zQ3" // 24 bytes
	const session = "sT9wQ4eR7tY2uI5o"         // an API's, 16 bytes
	var doc map[string]any
	if err := json.Unmarshal(orig, &doc); err != nil {
		t.Fatal(err)
	}
	entries := doc["log"].(map[string]any)["entries"].([]any)
	content := entries[5].(map[string]any)["response"].(map[string]any)["content"].(map[string]any)
	var body map[string]any
	if err := json.Unmarshal([]byte(content["text"].(string)), &body); err != nil || body["token_type"] != "Bearer" {
		t.Fatalf("entries[5] is no longer the token response (%v)", err)
	}
	body["access_token"], body["refresh_token"] = access, refresh
	b, _ := json.Marshal(body)
	content["text"] = string(b)
	// The /api/v1/authn answer (an API's, no token endpoint) issues one too.
	authn := entries[2].(map[string]any)["response"].(map[string]any)["content"].(map[string]any)
	authn["text"] = strings.Replace(authn["text"].(string), `"status":"SUCCESS"`, `"status":"SUCCESS","session":{"access_token":"`+session+`"}`, 1)
	later := func(url, auth string) map[string]any {
		e := map[string]any{}
		b, _ := json.Marshal(entries[1])
		json.Unmarshal(b, &e)
		req := e["request"].(map[string]any)
		req["url"], req["queryString"] = url, []any{}
		req["headers"] = []any{map[string]any{"name": "Authorization", "value": "Bearer " + auth}}
		return e
	}
	doc["log"].(map[string]any)["entries"] = append(entries,
		later("https://api.myapp.example.com/v1/files/"+access+"/content?view=1&x="+refresh, session),
		later("https://api.myapp.example.com/v1/users/"+session+"/profile", refresh))
	data, _ := json.Marshal(doc)
	path := filepath.Join(t.TempDir(), "issued.har")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	runs := [][]string{{"exchanges", "-f", "jsonl", path}, {"exchanges", "-f", "table", path}, {"events", "-f", "jsonl", path},
		{"events", "-f", "table", path}, {"compare", "-f", "json", path, path}, {"scan", "-f", "json", "--fail-on", "never", path}}
	for _, args := range runs {
		code, out, errOut := runCLI(t, nil, args...)
		if code == exitTrouble {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		for _, v := range []string{access, refresh, session} {
			if strings.Contains(out+errOut, v) {
				t.Errorf("%v: the issued token %s… is shown raw", args[:2], v[:6])
			}
		}
		if args[0] == "exchanges" && !strings.Contains(out, secret.Fingerprint(access)) {
			t.Errorf("%v: the path's token is not shown as its fingerprint", args[:2])
		}
	}
	// --no-redact shows them: the check can fail.
	_, out, _ := runCLI(t, nil, "exchanges", "-f", "jsonl", "--no-redact", path)
	if !strings.Contains(out, access) || !strings.Contains(out, session) {
		t.Error("--no-redact does not show the tokens: the test proves nothing")
	}
}
