package secretscan

import (
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestFillerAfterToken: a token followed (or preceded) by a run of one
// token68 byte ("…sig=+++++", "…+++++++", percent-encoded too) is still
// found: the sweep judges its core, not the whole run, whose entropy the
// filler brings under the bar. The input is a real third-party HAR of an
// Okta code + PKCE flow (testdata/samples/okta-har-analyzer-sample.har,
// provenance in testdata/samples/PROVENANCE.md) whose token response and
// callback get the planted values; the file as it is has nothing the
// planting adds.
func TestFillerAfterToken(t *testing.T) {
	orig, err := os.ReadFile("../../testdata/samples/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	const tok = "Qm4Vt8Xa2Lp7Rn3Kd9WfHs6Yc1Bz" // an opaque access token
	const sig = "K3k8pQ2xW9mZ7vR4tL6nB1cD5fG8hJ0s"
	// value is what the match holds: the core, or the whole run when
	// the filler is too short to bring it under the bar.
	cases := []struct{ name, old, new, value string }{
		// The body is a JSON string of the HAR: its quotes are escaped.
		{"JSON access_token, '+' filler", `\"token_type\":\"Bearer\"`,
			`\"token_type\":\"Bearer\",\"access_token\":\"` + tok + strings.Repeat("+", 48) + `\"`, tok},
		{"opaque access_token after a colon, '+' and '=' filler", `\"token_type\":\"Bearer\"`,
			`\"token_type\":\"Bearer\",\"note\":\"access_token: ` + tok + "=" + strings.Repeat("+", 80) + `\"`, tok + "="},
		{"query sig=, percent-encoded '+' filler", "state=xyzstate",
			"state=xyzstate&sig=" + sig + strings.Repeat("%2B", 90), sig},
		{"nested query, filler both sides", "state=xyzstate",
			"state=xyzstate&next=" + url.QueryEscape("/cb?access_token="+strings.Repeat("~", 12)+tok+strings.Repeat("~", 30)), tok},
	}
	for _, c := range cases {
		if !strings.Contains(string(orig), c.old) {
			t.Fatalf("%s: the sample no longer holds %q", c.name, c.old)
		}
		in := []byte(strings.Replace(string(orig), c.old, c.new, 1))
		found := false
		for _, m := range Find(in) {
			if m.Value == c.value {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: the token is not found: %+v", c.name, Find(in))
		}
		red := string(Redact(in))
		if strings.Contains(red, tok) || strings.Contains(red, sig) {
			t.Errorf("%s: the token survives Redact", c.name)
		}
		if !strings.Contains(red, fingerprint(c.value)) {
			t.Errorf("%s: no fingerprint of the core", c.name)
		}
	}
	// The filler alone, or a word with filler, is no credential.
	for _, in := range []string{
		`"access_token":"` + strings.Repeat("+", 64) + `"`,
		`"password":"` + strings.Repeat("a", 30) + "1" + `"`,
		`"client_secret":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1234"`,
		`"api_key":"` + strings.Repeat("=", 20) + "abc123" + strings.Repeat("=", 20) + `"`,
	} {
		if ms := Find([]byte(in)); len(ms) > 0 {
			t.Errorf("%s: unexpected %+v", in, ms)
		}
	}
}
