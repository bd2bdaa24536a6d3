package rules_test

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestLemonLDAPRecorded reads sign-ins against a real LemonLDAP::NG 2.16.1
// portal (Debian's package, its OpenID Connect issuer) by a web app,
// recorded with the app's back channel (testdata/lemonldap/gen.sh). Before,
// LemonLDAP::NG was "the authorization server 127.0.0.1" (its paths,
// /oauth2/authorize and /oauth2/token, are shared), its refusal of a
// redirect URI (its portal error page, served with 200, the message a
// number its script translates) read as a sign-in that "shows no code",
// and the user's Refuse on its consent page (consent_required, "consent
// not given") as a silent request needing interaction.
func TestLemonLDAPRecorded(t *testing.T) {
	checkRecorded(t, "lemonldap-clean.pcap", nil)
	checkRecorded(t, "lemonldap-bad-secret.pcap", []rpWant{{rule: "client-auth-failed", severity: rules.Error,
		message: []string{"LemonLDAP::NG refused the credentials of client web-app", "(invalid_client); the client authenticated with HTTP Basic"},
		remedy:  []string{"LemonLDAP::NG Manager → OpenID Connect Relying Parties → the relying party → Options → Basic → Client secret", "Wrong credentials for"}}})
	checkRecorded(t, "lemonldap-pkce-mismatch.pcap", []rpWant{{rule: "pkce-mismatch", severity: rules.Error,
		message: []string{"does not prove the S256 code_challenge", "LemonLDAP::NG refused it (invalid_grant)"}}})
	// The client's codes live 2 s (gen.sh); the app waited 5 s: the
	// default (60 s) is named, and where the shorter one is set.
	checkRecorded(t, "lemonldap-code-expired.pcap", []rpWant{{rule: "code-expired", severity: rules.Warning,
		message: []string{"LemonLDAP::NG refused authorization code", "LemonLDAP::NG keeps codes 60 seconds by default: oidcServiceAuthorizationCodeExpiration", "the app paused"},
		remedy:  []string{"OpenID Connect Relying Parties, the relying party, Options, Timeouts, Authorization Code expiration"}}})

	type want struct {
		rule, message, remedy string
	}
	for name, w := range map[string]want{
		"lemonldap-clean.har": {},
		"lemonldap-redirect-mismatch.har": {"redirect-uri-mismatch",
			`LemonLDAP::NG rejected the redirect URI "http://localhost:4951/signin-oidc" at authorize time, after the user signed in at its portal (its error page says "Unauthorized URL", PE_UNAUTHORIZEDURL)`,
			`Allowed redirection addresses for login (oidcRPMetaDataOptionsRedirectUris) → add exactly "http://localhost:4951/signin-oidc"`},
		"lemonldap-code-reuse.har": {"code-reuse", "the callback URL was loaded again", ""},
		"lemonldap-two-tabs.har":   {"multi-tab-race", "sign-in #1's callback at entries[56] carries cookie app_verifier holding sign-in #2's PKCE verifier", ""},
		"lemonldap-denied.har":     {},
	} {
		got := checkOneFinding(t, name, w.rule, w.message, w.remedy)
		switch name {
		case "lemonldap-clean.har":
			if got.Verdict != rules.VerdictClean {
				t.Errorf("%s: verdict %s (%s)", name, got.Verdict, got.Reason)
			}
		case "lemonldap-denied.har":
			// Refuse on the consent page: the user's choice, told as
			// such, not a silent request.
			if got.Verdict != rules.VerdictInconclusive || !strings.Contains(got.Reason, "the user pressed Refuse on LemonLDAP::NG's consent page") ||
				!strings.Contains(got.Reason, "Bypass consent") || strings.Contains(got.Reason, "silent") && !strings.Contains(got.Reason, "no silent request") {
				t.Errorf("%s: verdict %s (%s)", name, got.Verdict, got.Reason)
			}
		}
	}
}

// TestLemonLDAPProvider: LemonLDAP::NG's paths are shared, so it is named by
// its answers (its lemonldap and lemonldappdata cookies, the Lm-Remote-User
// header), and every event of its host with it, the token endpoint's too,
// though the app learnt that endpoint from the discovery document.
func TestLemonLDAPProvider(t *testing.T) {
	exs, _ := loadRecording(t, "lemonldap-clean.pcap")
	n := 0
	for _, ev := range oauth.ExtractAll(exs) {
		switch ev.Kind {
		case model.AuthorizeRequest, model.CodeIssued, model.TokenRequest, model.TokenResponse:
			n++
			if ev.Provider().Family != model.FamilyLemonLDAP {
				t.Errorf("%s %s: provider %+v", ev.Ref, ev.Kind, ev.Provider())
			}
		}
	}
	if n < 4 {
		t.Errorf("%d events of the sign-in", n)
	}
}
