package rules

import (
	"fmt"
	"strings"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// TraceQuality: what the trace lacks for a rule to decide.
var TraceQuality = &Rule{
	ID:       "trace-quality",
	Title:    "the trace lacks what a rule needs to decide",
	Severity: Info,
	Doc: `Says when a rule cannot decide and which capture would let it:
  - TLS connections the reader could not decrypt (reader notes "tls-no-keys"):
    provide the browser's key log (SSLKEYLOGFILE) with --keylog;
  - HTTPS tunnels a Fiddler capture did not decrypt (SAZ notes
    "tls-not-decrypted"): turn on "Decrypt HTTPS traffic" in Fiddler and capture
    again;
  - codes or states replaced by a sanitizer's placeholder ("[REDACTED]"): codes
    cannot be followed, so code-reuse and code-expired cannot decide;
  - cookies stripped by a sanitized export while a callback failed:
    state-mismatch cannot check the transient cookies (export with cookies, or
    capture with a proxy);
  - a callback that failed although the token exchange is not in the trace
    (it happened server-side): capture on the server or put a proxy in front of
    it, and read both traces as one incident with scan --case;
  - a refused redemption whose code has no issuance time (no timestamps):
    code-expired cannot measure the delay;
  - a code refused with a bare invalid_grant soon after issue with nothing in
    the trace to explain it: another party may have redeemed it out of sight;
    the finding names the trace to add (the browser's HAR or the app server's
    capture) and scan --case reads them together.

These are notes about the capture, not about the sign-in.`,
	AboutCapture: true,
	Run:          runTraceQuality,
}

func runTraceQuality(p *Pass) {
	tls, tunnels := 0, 0
	var firstTLS, firstTunnel string
	for _, n := range p.Notes {
		switch n.Kind {
		case model.NoteTLSNoKeys:
			tls++
			if firstTLS == "" {
				firstTLS = n.Ref
			}
		case model.NoteTLSNotDecrypted:
			tunnels++
			if firstTunnel == "" {
				firstTunnel = n.Ref
			}
		}
	}
	if tunnels > 0 {
		f := Finding{Message: fmt.Sprintf("%d HTTPS tunnel(s) were captured without decryption: the sign-in traffic inside them is not in the archive", tunnels),
			Remediation: "In Fiddler, enable Tools > Options > HTTPS > Decrypt HTTPS traffic (trust its root certificate), then reproduce the sign-in and save the sessions again."}
		if firstTunnel != "" {
			f.Evidence = []Evidence{{Ref: firstTunnel, Note: "first undecrypted tunnel"}}
		}
		p.Report(f)
	}
	if tls > 0 {
		f := Finding{Message: fmt.Sprintf("%d TLS connection(s) could not be decrypted: OAuth traffic inside them is invisible to every rule; pass the key log with --keylog FILE", tls),
			Remediation: "Capture with SSLKEYLOGFILE set for the browser (or export keys from the proxy) and pass the key log with --keylog."}
		if firstTLS != "" {
			f.Evidence = []Evidence{{Ref: firstTLS, Note: "first undecryptable connection"}}
		}
		p.Report(f)
	}
	if len(p.Placeholders) > 0 {
		ev := p.Placeholders[0]
		p.Report(Finding{
			Message:     fmt.Sprintf("%d OAuth message(s) carry a sanitizer's placeholder instead of the code or state (first at %s): codes cannot be followed from issuance to redemption, so code-reuse, code-expired and multi-tab-race cannot decide", len(p.Placeholders), ev.Ref),
			Evidence:    []Evidence{p.Evidence(ev, "placeholder value")},
			Remediation: "Analyse the original capture with traceaudit (it fingerprints secrets itself) instead of a sanitized export."})
	}
	// Failed callbacks the trace cannot explain, grouped by what is missing.
	cookies := p.HasCookies
	var noCookies, serverSide []*model.Event
	for _, t := range p.Transactions {
		for _, cb := range t.Callbacks() {
			if failed, _ := callbackFailed(p.Analysis, cb); !failed || failureExplained(p.Analysis, t, cb) {
				continue
			}
			if !cookies {
				noCookies = append(noCookies, cb)
			}
			if !cb.Code.IsZero() && codeUnredeemed(p.Analysis, cb.Code) {
				serverSide = append(serverSide, cb)
			}
		}
	}
	report := func(cbs []*model.Event, gap, remediation string) {
		if len(cbs) == 0 {
			return
		}
		sortEvents(cbs)
		_, how := callbackFailed(p.Analysis, cbs[0])
		f := Finding{Message: fmt.Sprintf("%d callback(s) failed (first at %s: %s) and the trace cannot tell why: %s", len(cbs), cbs[0].Ref, how, gap),
			Remediation: remediation}
		for i, cb := range cbs {
			if i == 3 {
				break
			}
			f.Evidence = append(f.Evidence, p.Evidence(cb, "failed callback"))
		}
		if len(cbs) == 1 {
			f.Code = cbs[0].Code
		}
		p.Report(f)
	}
	report(noCookies, "the trace has no cookies at all (a sanitized export), so state-mismatch cannot check the app's transient state cookies",
		"Export the HAR with cookies (traceaudit redacts them itself) or capture with a proxy.")
	if readTogether(p.Analysis) {
		report(serverSide, "no trace of the case holds a redemption of the code (the app refused the callback before redeeming it, or the server's capture misses its outbound calls), so the provider's answer is unknown",
			"Check that the server capture holds the app's outbound calls to the token endpoint (with the app's TLS key log), or read the app's log for why it refused the callback.")
	} else if s := authJSLogRemedy(serverSide); s != "" {
		report(serverSide, "the code's redemption is not in the trace (the app redeems it server-side), so the provider's answer is unknown", s)
	} else if oauth2ProxyFailed(serverSide) {
		report(serverSide, "the code's redemption is not in the trace (oauth2-proxy redeems it server-side and its 500 page hides the cause), so the provider's answer is unknown",
			"Read oauth2-proxy's log, where the line \"Error redeeming code during OAuth2 callback\" quotes the provider's answer (\"invalid_client\": --client-secret is not the client's current secret; \"invalid_grant\": the code was used or the --redirect-url differs from the one registered; a TLS or connection error: --oidc-issuer-url unreachable from oauth2-proxy or its CA not trusted, --provider-ca-file); --show-debug-on-error=true puts it on the page. Or add oauth2-proxy's capture with its back channel (the provider's side of its TLS connections) and read both as one incident: traceaudit scan --case THIS-TRACE SERVER-CAPTURE.")
	} else {
		report(serverSide, "the code's redemption is not in the trace (the app redeems it server-side), so the provider's answer is unknown",
			"Add the app server's capture (the callbacks it received and its back-channel calls to the token endpoint: a pcap with the app's TLS key log, or a proxy in front of it) and read both as one incident: traceaudit scan --case THIS-TRACE SERVER-CAPTURE. Or read the app's log for the token endpoint's answer.")
	}
	for _, c := range p.Codes {
		for _, r := range c.Redemptions {
			cls := r.Class()
			if !r.Failed() || (cls != catalog.ClassGenericGrant && cls != catalog.ClassCodeInvalid) || len(c.Redemptions) > 1 {
				continue
			}
			from, _ := issuedEvent(c)
			if d, _, ok := Elapsed(from, r.Request); ok {
				if _, paused := p.PauseBeforeRedemption(c, r); paused || p.CrossingOf(c) != nil {
					continue // code-expired or multi-tab-race names the likely cause
				}
				if d <= p.RedemptionLifetime(r).Suspicious && len(c.Deliveries) <= 1 && !redirectDiffers(r) && !pkceFails(r) {
					p.Report(Finding{Code: c.Code,
						Message: fmt.Sprintf("%s refused the code at %s (%s) only %s after issue, and nothing in the trace explains it (one delivery, one redemption, same redirect_uri, PKCE consistent): another component may have redeemed it out of sight, or it was altered in transit",
							model.ProviderName(r.Request.Provider()), r.Request.Ref, p.RedemptionEvidence(r, "").ErrorCode, fmtDuration(d)),
						Evidence:    []Evidence{p.RedemptionEvidence(r, "refused redemption")},
						Remediation: outOfSightRemediation(p.Analysis, r)})
				}
				continue
			}
			p.Report(Finding{Code: c.Code,
				Message:  fmt.Sprintf("%s refused the code at %s (%s) without saying why, and the trace has no times for the code's issuance and redemption: code-expired cannot tell an expired code from other causes", model.ProviderName(r.Request.Provider()), r.Request.Ref, p.RedemptionEvidence(r, "").ErrorCode),
				Evidence: []Evidence{p.RedemptionEvidence(r, "refused redemption")}, Remediation: "Capture with timestamps (a browser or proxy HAR export keeps startedDateTime) including the provider's response that issued the code."})
		}
	}
}

// readTogether reports whether the analysis holds several traces of one
// incident (scan --case): their events say where each was seen.
func readTogether(a *Analysis) bool {
	for ev := range a.events() {
		if len(ev.Vantages()) > 0 {
			return true
		}
	}
	return false
}

// outOfSightRemediation names the trace that would show the other
// redemption: the browser's when the app server redeemed (a reload or a
// second callback), the app server's when browser JavaScript did.
func outOfSightRemediation(a *Analysis, r *Redemption) string {
	const logs = " and check the provider's sign-in logs with the trace and correlation ids."
	if readTogether(a) {
		return "Capture every party that can redeem the code (the browser, each app instance, a proxy in front of them) and add its trace to the case" + logs
	}
	if r.Request.Origin() != "" {
		return "Add the app server's capture (its back-channel calls to the token endpoint, with its TLS key log) and read it with this trace as one incident: traceaudit scan --case THIS-TRACE SERVER-CAPTURE;" + logs
	}
	return "Add the browser's HAR of the same sign-in (a reload or a second callback shows there) and the capture of any other app instance, and read them with this trace as one incident: traceaudit scan --case BROWSER.har THIS-TRACE;" + logs
}

// failureExplained reports whether the trace itself explains a failed
// callback: it carried an error, it lacked the app's transient cookies, its
// code was delivered more than once, a redemption of it was refused, or
// another sign-in for the client started in between (multi-tab-race).
func failureExplained(a *Analysis, t *Transaction, cb *model.Event) bool {
	if cb.Err != nil || refusalLost(cb) || refusalClientAuth(cb) && !cb.Code.IsZero() && codeUnredeemed(a, cb.Code) {
		return true // refusalClientAuth: client-auth-failed reads the app's words
	}
	if r := cb.Refusal(); r != nil && (r.Cause == model.RefusalPolicy || r.Cause == model.RefusalGateway) {
		return true // session-not-established reads them
	}
	if _, missing := missingCookies(a, t, cb); len(missing) > 0 || overlapped(a, t, cb) {
		return true
	}
	if _, ok := instanceSwitch(a, t, cb); ok {
		return true
	}
	if cb.Code.IsZero() {
		return false
	}
	for _, c := range a.Codes {
		if c.Code.Equal(cb.Code) {
			return len(c.Deliveries) > 1 || anyFailed(c.Redemptions)
		}
	}
	return false
}

// oauth2ProxyFailed reports a callback oauth2-proxy answered with its 500
// page, which hides why its own redemption (or user info call) failed.
func oauth2ProxyFailed(cbs []*model.Event) bool {
	for _, cb := range cbs {
		if r := cb.Refusal(); r != nil && strings.HasPrefix(r.Library, "oauth2-proxy") && r.Cause == model.RefusalRedemption {
			return true
		}
	}
	return false
}
