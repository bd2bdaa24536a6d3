package secretscan

import (
	"strings"
	"testing"
)

// TestFindVendorTokens: a token marked by its service's prefix is found
// under any name or none (a JSON list, an error message, a script, a
// header of no credential name); the same prefixes inside a word, before
// too few bytes or before words of no digit are not.
func TestFindVendorTokens(t *testing.T) {
	gh := "ghp_" + "Xk9Lm2Qp7Rs4Tv6Wy8Za1Bc3De5Fg0Hi2Jk4"
	cases := []struct{ in, value string }{
		{`["` + gh + `"]`, gh},
		{`{"name":"deploy","value":"` + gh + `"}`, gh},
		{"Bad credentials for " + gh + ".", gh},
		{"X-Deploy: token glpat-Ab3Cd5Ef7Gh9Ij1Kl3Mn", "glpat-Ab3Cd5Ef7Gh9Ij1Kl3Mn"},
		{`"xoxb-1234567890-9876543210-Ab3Cd5Ef7Gh9Ij1Kl3Mn"`, "xoxb-1234567890-9876543210-Ab3Cd5Ef7Gh9Ij1Kl3Mn"},
		{`<div data-k="sk_live_51Ab3Cd5Ef7Gh9Ij1Kl3MnOp5">`, "sk_live_51Ab3Cd5Ef7Gh9Ij1Kl3MnOp5"},
		{"Incorrect API key provided: sk-proj-Ab3Cd5Ef7Gh9Ij1Kl3MnOp5Qr7St9Uv1Wx3Yz5Ab7Cd9.", "sk-proj-Ab3Cd5Ef7Gh9Ij1Kl3MnOp5Qr7St9Uv1Wx3Yz5Ab7Cd9"},
		{"key=AIzaSyAb3Cd5Ef7Gh9Ij1Kl3MnOp5Qr7St9Uv", "AIzaSyAb3Cd5Ef7Gh9Ij1Kl3MnOp5Qr7St9Uv"},
		{"u=npm_Ab3Cd5Ef7Gh9Ij1Kl3MnOp5Qr7St9Uv1Wx3", "npm_Ab3Cd5Ef7Gh9Ij1Kl3MnOp5Qr7St9Uv1Wx3"},
		{"mail SG.Ab3Cd5Ef7Gh9Ij1Kl3MnOp.Qr7St9Uv1Wx3Yz5Ab7Cd9Ef1Gh3Ij5Kl7Mn9Op1Qr3St5Uv here", "SG.Ab3Cd5Ef7Gh9Ij1Kl3MnOp.Qr7St9Uv1Wx3Yz5Ab7Cd9Ef1Gh3Ij5Kl7Mn9Op1Qr3St5Uv"},
		{"t%3Dghp_Xk9Lm2Qp7Rs4Tv6Wy8Za1Bc3De5Fg0Hi2Jk4", gh},
	}
	for _, c := range cases {
		ms := Find([]byte(c.in))
		if len(ms) != 1 || ms[0].Value != c.value {
			t.Errorf("%q: got %+v, want %q", c.in, ms, c.value)
			continue
		}
		if red := RedactString(c.in); strings.Contains(red, c.value[4:]) {
			t.Errorf("%q: redacted to %q", c.in, red)
		}
	}
	for _, in := range []string{
		"ask-Ab3Cd5Ef7Gh9Ij1Kl3MnOp5Qr7St9Uv1Wx3Yz5Ab7Cd9", // inside a word
		"ghp_Ab3Cd5", // too short
		`<div class="sk-navigation-menu-item-wrapper-large-screen-only">`, // no digit
		"xoxb-redacted-redacted-redacted-0123",
		"AIza sha256:0123456789ab",
	} {
		if ms := Find([]byte(in)); len(ms) != 0 {
			t.Errorf("%q: found %+v", in, ms)
		}
	}
}
