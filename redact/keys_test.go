package redact

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestJSONKeysThatAreSecrets: a token used as a JSON object's key (token
// caches, MSAL-like localStorage dumps) is redacted: a value issued as a
// secret elsewhere in the trace (the sweep), any key under a credential's
// name that is shaped like a token, and a long token-shaped key anywhere.
// Keys that name things stay: MSAL's composite cache keys, GUIDs, hex
// hashes, words. The input is the repository's copy of a real third-party
// HAR of an Okta code + PKCE flow (testdata/samples/okta-har-analyzer-
// sample.har, provenance in testdata/samples/PROVENANCE.md), whose
// /api/v1/authn answer issues the sessionToken 20111abc123def456ghi789;
// a later answer (planted) caches tokens by key.
func TestJSONKeysThatAreSecrets(t *testing.T) {
	orig, err := os.ReadFile("../testdata/samples/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	const issued = "20111abc123def456ghi789" // the trace's own sessionToken
	if !bytes.Contains(orig, []byte(`\"sessionToken\":\"`+issued)) {
		t.Fatal("the sample no longer issues its sessionToken")
	}
	const short = "Rt7kQ2xW9pL4mN8v"                                            // a short refresh token
	const long = "0.AXkAq9Zk3mP1zR7uLw2bTyQ4nV8sH6jD3fG5-kL9pQ2xW7mZ4vR1tB8cN6" // an opaque one
	const composite = "00u1abc123.00o1idp123-dev-12345.okta.com-refreshtoken-0oa3abc123def--"
	const guid = "6a1c9b1e-0d2f-4e55-8a4c-2b9f7d3e1a00"
	const hexHash = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"
	cache := `{"cache":{"` + issued + `":{"expires_on":1705315800}},` +
		`"refresh_tokens":{"` + short + `":{"expires_on":1705315800}},` +
		`"store":{"` + long + `":{"scopes":["openid"]}},` +
		`"RefreshToken":{"` + composite + `":{"credentialType":"RefreshToken","expiresOn":"1705315800"}},` +
		`"requests":{"` + guid + `":{"status":200},"` + hexHash + `":{"etag":"x"},"userPreferencesVersion2":{"theme":"dark"}}}`
	var doc map[string]any
	if err := json.Unmarshal(orig, &doc); err != nil {
		t.Fatal(err)
	}
	entries := doc["log"].(map[string]any)["entries"].([]any)
	later := map[string]any{}
	b, _ := json.Marshal(entries[2]) // the /api/v1/authn exchange: a JSON answer
	json.Unmarshal(b, &later)
	later["response"].(map[string]any)["content"] = map[string]any{"mimeType": "application/json", "text": cache}
	doc["log"].(map[string]any)["entries"] = append(entries, later)
	in, _ := json.Marshal(doc)
	out, _ := redactHAR(t, in, Options{})
	for _, secret := range []string{issued, short, long} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("the copy holds the key %s…", secret[:6])
		}
	}
	for _, keep := range []string{composite, guid, hexHash, "userPreferencesVersion2", `\"expires_on\":1705315800`, `\"credentialType\":\"RefreshToken\"`} {
		if !bytes.Contains(out, []byte(keep)) {
			t.Errorf("the copy lost %q", keep)
		}
	}
	// The copy is still JSON, its cache still an object of three keys.
	var got struct {
		Log struct {
			Entries []struct {
				Response struct{ Content struct{ Text string } }
			}
		}
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.Log.Entries) != 7 {
		t.Fatalf("copy does not read back: %v", err)
	}
	var c map[string]map[string]any
	if err := json.Unmarshal([]byte(got.Log.Entries[6].Response.Content.Text), &c); err != nil {
		t.Fatalf("the cache body is no longer JSON: %v", err)
	}
	for k := range c["cache"] {
		if !strings.HasPrefix(k, "sha256:") {
			t.Errorf("cache key %q is not a fingerprint", k)
		}
	}
}
