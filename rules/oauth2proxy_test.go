package rules_test

import (
	"path/filepath"
	"testing"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// o2p is a recording of testdata/oauth2-proxy (gen.sh there): sign-ins
// through oauth2-proxy v7.15.6 over HTTPS against oidc-provider, the
// browser's HAR of each story and, where the cause is on oauth2-proxy's
// back channel, the capture of the same run with its TLS keys embedded.
func o2p(story string) string { return filepath.Join("oauth2-proxy", "oauth2-proxy-"+story) }

// TestOAuth2ProxyStoriesRecorded reads what oauth2-proxy's users report,
// each recorded: its cookies refused by the browser (Secure over plain
// http, a --cookie-domain the host is not in, a CSRF cookie past
// --cookie-csrf-expire), its one CSRF cookie against
// --cookie-csrf-per-request, a user its authorization refuses after the
// sign-in, a session cookie split in three and the same behind nginx, which
// answers the callback 502, and a refresh the provider refuses.
func TestOAuth2ProxyStoriesRecorded(t *testing.T) {
	// Clean sign-ins: none of them is a finding, and each is a sign-in
	// that completed. oauth2-proxy's own sign-in page answers 403; a
	// session of 11 KB split in _oauth2_proxy_0, _1 and _2 works; two tabs
	// with a CSRF cookie per sign-in both complete; a refused refresh
	// that oauth2-proxy followed with a new sign-in is, in the browser's
	// HAR, two sign-ins.
	for _, f := range []string{"clean.har", "clean.pcapng", "sign-in-page.har", "large-cookie.har", "two-tabs-per-request.har", "refresh-failed.har"} {
		checkRecorded(t, o2p(f), nil)
		if v := verdictOf(t, o2p(f)); v != rules.VerdictClean {
			t.Errorf("%s: verdict %s, want clean", f, v)
		}
	}
	// The CSRF cookie the browser refused or let expire: the Set-Cookie
	// shows why, and the remedy names the flag.
	checkRecorded(t, o2p("cookie-secure.har"), []rpWant{{rule: rules.StateMismatch.ID, severity: rules.Error,
		message: []string{`the app refused the callback at entries[7] (HTTP 403, oauth2-proxy says "Unable to find a valid CSRF token."): the request lacks the cookie(s) _oauth2_proxy_csrf`,
			"the cookie is Secure and was set by a plain-http answer (http://app.lab.test:4962)"},
		remedy: []string{"--cookie-secure=true, its default", "--https-address", "--reverse-proxy=true", "set --cookie-secure=false"}}})
	checkRecorded(t, o2p("cookie-domain.har"), []rpWant{{rule: rules.StateMismatch.ID, severity: rules.Error,
		message: []string{"the cookie was set with Domain=example.com by app.lab.test, a host not in that domain"},
		remedy:  []string{"Domain=example.com (its --cookie-domain)", "(app.lab.test)", "--whitelist-domain"}}})
	checkRecorded(t, o2p("csrf-expired.har"), []rpWant{{rule: rules.StateMismatch.ID, severity: rules.Error,
		message: []string{"the cookie lived 5s (Max-Age=5) and the callback came 9.3s after it was set: it had expired"},
		remedy:  []string{"--cookie-csrf-expire (15m by default; here Max-Age=5)"}}})
	// One CSRF cookie per browser (the default): tab B's start replaced
	// A's; A's callback cleared it, and B's then found none.
	race := rpWant{rule: rules.MultiTabRace.ID, severity: rules.Error,
		message: []string{`sign-in #1's callback at entries[10] failed (HTTP 403, oauth2-proxy says "Unable to find a valid CSRF token.") after sign-in #2 had replaced the transient state`},
		remedy:  []string{"--cookie-csrf-per-request=true", "--skip-auth-route"}}
	second := race
	second.message = []string{"sign-in #2's callback at entries[16] failed", "sign-in #3 was not a user's: the app answered the browser's request for /favicon.ico at entries[11]"}
	checkRecorded(t, o2p("two-tabs.har"), []rpWant{race, second})
	checkRecorded(t, o2p("reload.har"), []rpWant{{rule: rules.CodeReuse.ID, severity: rules.Warning,
		message: []string{`the callback URL was loaded again at entries[10] after the first delivery (entries[7]) had been answered`, `oauth2-proxy says "Unable to find a valid CSRF token."`},
		remedy:  []string{"oauth2-proxy clears its _oauth2_proxy_csrf cookie"}}})
	checkRecorded(t, o2p("redirect-mismatch.har"), []rpWant{{rule: rules.RedirectURIMismatch.ID, severity: rules.Error,
		message: []string{`rejected the redirect URI "https://app.lab.test:4962/oauth2/callback2" at authorize time (invalid_redirect_uri)`, "which sends its --redirect-url"},
		remedy:  []string{"set oauth2-proxy's --redirect-url"}}})
	// A wrong --client-secret: the browser sees oauth2-proxy's 500 page
	// only; the capture holds the provider's invalid_client.
	checkRecorded(t, o2p("wrong-secret.har"), []rpWant{{rule: rules.TraceQuality.ID, severity: rules.Info,
		message: []string{`oauth2-proxy says "Oops! Something went wrong.`, "oauth2-proxy redeems it server-side and its 500 page hides the cause"},
		remedy:  []string{`"Error redeeming code during OAuth2 callback"`, "--client-secret", "--show-debug-on-error=true"}}})
	checkRecorded(t, o2p("wrong-secret.pcapng"), []rpWant{{rule: rules.ClientAuthFailed.ID, severity: rules.Error,
		message: []string{"refused the credentials of client o2p-app at frame 96 (invalid_client)", "retried the same code at frame 99 with a client_secret in the body"},
		remedy:  []string{"set --client-secret"}}})
	// --email-domain refuses alice@example.test after the sign-in: a
	// warning, with the redemption the capture holds.
	policy := rpWant{rule: rules.SessionNotEstablished.ID, severity: rules.Warning,
		message: []string{`(HTTP 403, oauth2-proxy says "You do not have permission to access this resource."): it answers so only after it redeemed the code`},
		remedy:  []string{"--email-domain", "--allowed-group", "--oidc-extra-audience"}}
	checkRecorded(t, o2p("email-domain.har"), []rpWant{policy})
	policy.message = append(policy.message, "the provider issued tokens for its code at frame 97")
	checkRecorded(t, o2p("email-domain.pcapng"), []rpWant{policy})
	// Behind nginx, the callback's answer with 11 KB of Set-Cookie is
	// more than proxy_buffer_size: nginx's 502.
	gateway := rpWant{rule: rules.SessionNotEstablished.ID, severity: rules.Error,
		message: []string{`nginx in front of oauth2-proxy answered the callback at entries[7] with its own error page (HTTP 502, nginx says "502 Bad Gateway") while it passed oauth2-proxy's answer that started the sign-in (HTTP 302 at entries[0])`},
		remedy:  []string{"--session-store-type=redis", "proxy_buffer_size 16k", "nginx.ingress.kubernetes.io/proxy-buffer-size"}}
	checkRecorded(t, o2p("large-cookie-nginx.har"), []rpWant{gateway})
	gateway.message = []string{"answered the callback at frame 78", "the provider issued tokens for its code at frame 88 (4949 bytes of tokens: ID token 4863"}
	checkRecorded(t, o2p("large-cookie-nginx.pcapng"), []rpWant{gateway})
	// --cookie-refresh=10s against refresh tokens that live 5 s: one
	// refused refresh, sent twice by golang.org/x/oauth2 (HTTP Basic, then
	// the body), not a race; oauth2-proxy then signs the user in again.
	checkRecorded(t, o2p("refresh-failed.pcapng"), []rpWant{{rule: rules.RefreshTokenExpired.ID, severity: rules.Warning,
		message: []string{"refused the refresh token at frame 137 (invalid_grant)", "sent it again at frame 139 with a client_secret in the body instead of HTTP Basic", "so this is one refresh, not two",
			"oauth2-proxy refreshes a session older than --cookie-refresh", "(the new sign-in at frame 143)"},
		remedy: []string{"--cookie-refresh (cookie_refresh) well under the refresh token's idle timeout", "--cookie-expire"}}})
}

// verdictOf is the verdict scan gives a recording of testdata.
func verdictOf(t *testing.T, name string) rules.Verdict {
	t.Helper()
	exs, notes := loadRecording(t, name)
	a := rules.Analyze(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: notes}, rules.Options{})
	fs := rules.Run(a, rules.All())
	rules.Remediate(a, fs)
	return rules.Assess(a, fs).Verdict
}
