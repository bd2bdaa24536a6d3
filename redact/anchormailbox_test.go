package redact

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/secret"
)

// TestAnchorMailbox: MSAL's routing hint to Entra names the user. MSAL.js
// sends it as a parameter of its authorize and token requests
// (X-AnchorMailbox=UPN:<the login hint>, Oid:<object id>@<tenant>),
// MSAL.NET and msal-node as a header: a copy masks it in both, and a
// report's URL does too, as it does login_hint.
func TestAnchorMailbox(t *testing.T) {
	const upn, oid = "UPN:alice@contoso.test", "Oid:bbbbcccc-1111-dddd-2222-eeee3333ffff@aaaabbbb-0000-cccc-1111-dddd2222eeee"
	r := newRedactor(Options{})
	for _, v := range []string{upn, oid} {
		if got := r.header("X-AnchorMailbox", v); got == v || strings.Contains(got, "alice") || strings.Contains(got, "bbbbcccc") {
			t.Errorf("header %q: %q", v, got)
		}
	}
	u := "https://login.microsoftonline.com/t/oauth2/v2.0/authorize?client_id=c1&login_hint=alice%40contoso.test&X-AnchorMailbox=UPN%3Aalice%40contoso.test&prompt=none"
	for _, got := range []string{r.url(u, 0), secret.RedactURL(u)} {
		if strings.Contains(got, "alice") || !strings.Contains(got, "client_id=c1") || !strings.Contains(got, "prompt=none") {
			t.Errorf("URL: %q", got)
		}
	}
	body := string(r.body("application/x-www-form-urlencoded", []byte("grant_type=authorization_code&X-AnchorMailbox=Oid%3Abbbbcccc-1111-dddd-2222-eeee3333ffff%40aaaabbbb-0000-cccc-1111-dddd2222eeee&client_info=1")))
	if strings.Contains(body, "bbbbcccc") || !strings.Contains(body, "grant_type=authorization_code") {
		t.Errorf("token request body: %q", body)
	}
}
