package rules

import (
	"fmt"
	"strings"

	"github.com/traceaudit/traceaudit/model"
)

// SessionNotEstablished: the provider signed the user in, the app kept no
// session.
var SessionNotEstablished = &Rule{
	ID:       "session-not-established",
	Title:    "sign-in completed at the provider but the app set no session",
	Severity: Error,
	Doc: `Detects callbacks that failed after the provider's part of the sign-in had
succeeded, for a reason of the app's side that its answer shows:

- the app's own authorization refused the user it had just signed in:
  oauth2-proxy answers its callback 403 "You do not have permission to access
  this resource." only after it redeemed the code and made a session, when
  --email-domain, --authenticated-emails-file, --allowed-group or
  --allowed-role does not admit the user, the email is not verified, or the ID
  token is for another audience (a warning: the policy may be meant);
- a reverse proxy in front of the app answered the callback with its own error
  page (nginx's 502 Bad Gateway) while it passed the app's other answers: the
  callback's answer is the one that sets the session cookie, and an
  oauth2-proxy session with its ID, access and refresh tokens runs to several
  kilobytes (split in _oauth2_proxy_0, _1, …), more header than nginx buffers
  by default ("upstream sent too big header", proxy_buffer_size).

When the trace holds the app's back channel, the finding cites the provider's
token response (its tokens' sizes, not their values).

Remediation: admit the user in the app's settings (or confirm the refusal is
meant); raise the proxy's header buffers for the callback, or keep the
session server-side (oauth2-proxy: --session-store-type=redis).`,
	Run: runSessionNotEstablished,
}

func runSessionNotEstablished(p *Pass) {
	for _, t := range p.Transactions {
		for _, cb := range t.Callbacks() {
			r := cb.Refusal()
			if r == nil || cb.Err != nil || r.Cause != model.RefusalPolicy && r.Cause != model.RefusalGateway {
				continue
			}
			failed, how := callbackFailed(p.Analysis, cb)
			if !failed {
				continue
			}
			var evs []Evidence
			if t.Authorize != nil {
				evs = append(evs, p.Evidence(t.Authorize, "authorize request"))
			}
			cbEv := p.Evidence(cb, "callback answered with the error")
			redeemed := ""
			if red := wonRedemption(p.Analysis, cb); red != nil {
				redeemed = fmt.Sprintf("; the provider issued tokens for its code at %s (%s)", red.Response.Ref, tokenSizes(red.Response))
				evs = append(evs, p.RedemptionEvidence(red, "tokens issued"))
			}
			evs = append(evs, cbEv)
			lib := t.Library()
			if r.Cause == model.RefusalPolicy {
				p.Report(Finding{Code: cb.Code, Severity: Warning, Evidence: evs,
					Message: fmt.Sprintf("%s refused the signed-in user at its callback at %s (%s): it answers so only after it redeemed the code and made a session, so the provider signed the user in and oauth2-proxy's own authorization did not admit them%s",
						r.Library, cb.Ref, how, redeemed),
					Remediation: oauth2ProxyPolicyRemedy})
				continue
			}
			front := "the app"
			if strings.HasPrefix(lib, "oauth2-proxy") {
				front = "oauth2-proxy"
			}
			passed := ""
			if start, _ := loginStart(p.Analysis, t.Authorize); start != nil && t.Authorize != nil && start.Status() > 0 && start.Status() < 500 {
				passed = fmt.Sprintf(" while it passed %s's answer that started the sign-in (HTTP %d at %s)", front, start.Status(), start.Ref)
			}
			msg := fmt.Sprintf("%s in front of %s answered the callback at %s with its own error page (%s)%s%s: %s's answer to the callback, the one that sets the session cookie, did not reach the browser",
				r.Library, front, cb.Ref, how, passed, redeemed, front)
			remedy := "Find the proxy's reason in its error log and fix it for the callback path: most often the app's answer carries more header (Set-Cookie) than the proxy buffers (nginx: \"upstream sent too big header\"; raise proxy_buffer_size and proxy_buffers), or the app took longer than the proxy waits."
			if front == "oauth2-proxy" {
				msg += "; oauth2-proxy keeps the ID, access and refresh tokens in its session cookie, several kilobytes split in _oauth2_proxy_0, _1, … for a user with many groups or large tokens, and nginx refuses an upstream answer whose headers exceed proxy_buffer_size (4 KB or 8 KB by default: \"upstream sent too big header while reading response header from upstream\" in its error log)"
				remedy = "Keep oauth2-proxy's session out of the cookie: --session-store-type=redis (with --redis-connection-url; the cookie then holds a ticket of some 100 bytes), which also keeps the browser's requests under header limits. Or let nginx take the larger answer: proxy_buffer_size 16k (and proxy_buffers 8 16k; on ingress-nginx the annotation nginx.ingress.kubernetes.io/proxy-buffer-size: \"16k\"), and large_client_header_buffers for the split cookies the browser then sends back. Smaller tokens help too: fewer --scope values, no groups claim in the ID token when --allowed-group is not used."
			}
			p.Report(Finding{Code: cb.Code, Evidence: evs, Message: msg, Remediation: remedy})
		}
	}
}

// oauth2ProxyPolicyRemedy is what to check when oauth2-proxy refused the
// user it signed in.
const oauth2ProxyPolicyRemedy = "Admit the user in oauth2-proxy's settings, or confirm the refusal is meant: --email-domain (the domain of the user's email claim, or * for any; OAUTH2_PROXY_EMAIL_DOMAINS), --authenticated-emails-file, --allowed-group and --allowed-role (the groups claim must reach oauth2-proxy: --oidc-groups-claim and a --scope that asks for it), an email claim at all (--oidc-email-claim; --scope with email), --insecure-oidc-allow-unverified-email when the provider marks the email unverified, and --oidc-extra-audience when the ID token's audience is not --client-id. oauth2-proxy's log has the line for this request (its Request ID is on the 403 page): \"Invalid authentication via OAuth2: unauthorized\" for the email and group checks."

// wonRedemption is the accepted redemption of callback cb's code, when the
// trace holds one.
func wonRedemption(a *Analysis, cb *model.Event) *Redemption {
	if cb.Code.IsZero() {
		return nil
	}
	for _, c := range a.Codes {
		if !c.Code.Equal(cb.Code) {
			continue
		}
		for _, r := range c.Redemptions {
			if r.Succeeded() {
				return r
			}
		}
	}
	return nil
}

// tokenSizes says how large the tokens of a token response are (never
// what they hold): what an app that keeps them in a cookie must carry.
func tokenSizes(resp *model.Event) string {
	var parts []string
	total := 0
	for _, tk := range []struct {
		name string
		n    int
	}{{"ID token", resp.IDToken().Len()}, {"access token", resp.AccessToken().Len()}, {"refresh token", resp.RefreshToken().Len()}} {
		if tk.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", tk.name, tk.n))
			total += tk.n
		}
	}
	if total == 0 {
		return "no token sizes known"
	}
	return fmt.Sprintf("%d bytes of tokens: %s", total, strings.Join(parts, ", "))
}
