package redact

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/secret"
)

// TestScriptCookies: a cookie a script sets by concatenation, in single
// quotes, through a call or in a template literal has its value masked;
// its name and attributes stay, and an assignment whose value the
// script computes changes nothing.
func TestScriptCookies(t *testing.T) {
	const tok = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	for _, in := range []string{
		`document.cookie = "sess=" + "` + tok + `" + "; path=/; secure";`,
		`document.cookie = 'rt=' + '` + tok + `' + '; path=/';`,
		"document.cookie = `sid=" + tok + "; path=/`;",
		"document.cookie = `sid=${\"" + tok + "\"}; path=/`;",
		`document.cookie="pref="+encodeURIComponent("` + tok + `");`,
		`document.cookie = "a" + "=" +` + "\n" + `  "` + tok + `";`,
	} {
		got := r.text(in)
		if strings.Contains(got, tok) || !strings.Contains(got, "REDACTED-cookie-") {
			t.Errorf("%s: %s", in, got)
		}
		if strings.Contains(in, "path=/") && !strings.Contains(got, "path=/") {
			t.Errorf("%s: the attributes were lost: %s", in, got)
		}
	}
	for _, keep := range []string{
		`document.cookie = "theme=" + theme + "; path=/";`,
		`if (document.cookie == "x") {}`,
		`var c = document.cookie; var n = c.length;`,
	} {
		if got := r.text(keep); got != keep {
			t.Errorf("%s became %s", keep, got)
		}
	}
}

// TestQuotedTokens: a page's or a script's quoted string that is one
// token-shaped word is fingerprinted whatever its name (none, a neutral
// one); one a name gives as evidence (a client id, a PKCE challenge)
// stays, in the copy and, swept, everywhere else; words, URLs, GUIDs,
// file names and integrity hashes stay.
func TestQuotedTokens(t *testing.T) {
	const tok = "Zq8Xw2Lk5Mn7Bv4Cx1Nz6Ty3Rp0Qs"
	const clientID = "0oa5qm8ss3zQxBN8l5d7Ab3x"
	r := newRedactor(Options{})
	r.collecting = true
	r.text(`<input type="hidden" name="client_id" value="` + clientID + `">`)
	r.text(`var k = "` + tok + `";`)
	r.endCollect()
	fp := secret.Fingerprint(tok)
	for in, want := range map[string]string{
		`var k = "` + tok + `";`:                               `var k = "` + fp + `";`,
		`window.__boot={v:3,h:'` + tok + `'};`:                 `window.__boot={v:3,h:'` + fp + `'};`,
		`<div data-x="` + tok + `"></div>`:                     `<div data-x="` + fp + `"></div>`,
		`<input type="hidden" name="ctx" value="` + tok + `">`: `<input type="hidden" name="ctx" value="` + fp + `">`,
		`log("seen ` + tok + ` twice")`:                        `log("seen ` + fp + ` twice")`, // swept: learnt above
	} {
		if got := r.text(in); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	for _, keep := range []string{
		`<input type="hidden" name="client_id" value="` + clientID + `">`,
		`var cfg = {"clientId": "` + clientID + `"};`,
		`fetch("/authorize?client_id=` + clientID + `")`,
		`var id = "6a1c9b1e-0d2f-4e55-8a4c-2b9f7d3e1a00";`,
		`<script src="/static/app-main.3f9a8b7c6d5e.js" integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6R9GqQ8KuxyrxHNQlGYl1kPzQho1wx4JwY8wC"></script>`,
		`var s = "HelloWorldFromTheScript2026";`,
		`<div id="ctl00_PlaceHolderMain_FoldLink_WSSEndUser_troubleshootingPanel"></div>`,
		`<link id="CssLink-f52a9699148344ffbd6d4743b7e18053" rel="stylesheet">`,
		`var p = "ctl00_PlaceHolderMain_FoldLink_WSSEndUser_troubleshootingPanel";`,
		`var u = "https://cdn.example/x.js?v=Zq8Xw2Lk5Mn7";`,
	} {
		if got := r.text(keep); got != keep {
			t.Errorf("%s became %s", keep, got)
		}
	}
}

// TestShortBareToken: a body that is one token under 32 bytes, bare or
// as a JSON string, is fingerprinted; short words, numbers and names stay.
func TestShortBareToken(t *testing.T) {
	r := newRedactor(Options{})
	for _, tc := range []struct{ mt, body, tok string }{
		{"text/plain", "Cnry014K7pQ2xW9", "Cnry014K7pQ2xW9"},
		{"application/json", `"Cnry015K7pQ2xW9aB3dE5fG7"`, "Cnry015K7pQ2xW9aB3dE5fG7"},
		{"", "AQAEAFd0Wm9Ic2hq\n", "AQAEAFd0Wm9Ic2hq"},
	} {
		got := string(r.body(tc.mt, []byte(tc.body)))
		if strings.Contains(got, tc.tok) || !strings.Contains(got, secret.Fingerprint(tc.tok)) {
			t.Errorf("%s %q: %q", tc.mt, tc.body, got)
		}
	}
	for _, keep := range []string{"OK", "healthy", "HealthyService", "1800000000", "v1.2.3-beta4", `"Version2"`, "MSAL.Desktop/4.61.3.0",
		"6a1c9b1e-0d2f-4e55-8a4c-2b9f7d3e1a00"} {
		if got := string(r.body("text/plain", []byte(keep))); got != keep {
			t.Errorf("%q became %q", keep, got)
		}
	}
}
