package main

import (
	"fmt"
	"strings"
)

// readme is the scenario's provenance: what ran, which versions, what is
// real and what is shaped.
func (s *session) readme(exp *expectation) string {
	sc := s.scenario
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n%s.\n\n", sc.Name, strings.TrimSuffix(sc.Summary, "."))
	fmt.Fprintf(&b, "Recorded %s by `testdata/lab/record.sh -only %s` (traceaudit fixture lab). Regenerating replaces every file here.\n\n", exp.RecordedAt, sc.Name)
	b.WriteString("## What ran (all real software, all on 127.0.0.1)\n\n")
	fmt.Fprintf(&b, "- OpenID provider: `%s` %s, unmodified, at `%s`", s.op.Module, exp.Provider["version"], s.op.Issuer)
	switch sc.Provider {
	case "zitadel":
		b.WriteString(" (its `example/server/exampleop` OP and in-memory `storage`, used as a library; login form from the example).\n")
	case "gooauth2":
		b.WriteString(" (its `manage` manager with the buntdb in-memory token store, its in-memory client store and its `server` authorize and token handlers; an OAuth 2.0 server, so no ID token; the login form, the token endpoint's CORS headers and the store's log lines are the lab's).\n")
	case "oidcprovider":
		fmt.Fprintf(&b, " (panva's certified OpenID provider from npm, installed by `npm ci` from `testdata/lab/package-lock.json`, run on Node.js %s by `testdata/lab/oidcprovider/server.mjs`: the lab's two clients, `ttl.AuthorizationCode` %s, its in-memory adapter; the interaction handler that shows the login form and grants consent is the lab's, oidc-provider ships no production login page; every endpoint, error answer and CORS header is oidc-provider's own).\n", exp.Versions["node"], s.op.CodeLifetime)
	default:
		b.WriteString(" (composed with `compose.ComposeAllEnabled` and its in-memory `storage.MemoryStore`; the login form is the lab's, fosite has none).\n")
	}
	fmt.Fprintf(&b, "- Relying party: the lab's Go RP at `%s`, %s. Defects switched on: %s.\n", s.rpEP.Origin(), exp.RP["client_type"], orNone(describeDefects(sc)))
	fmt.Fprintf(&b, "- Browser: Debian Chromium %s, headless, fresh profile, driven by chromedp %s; `--host-resolver-rules=\"MAP * 127.0.0.1\"`.\n", s.chrome.version, exp.Versions["github.com/chromedp/chromedp"])
	fmt.Fprintf(&b, "- Transport: provider %s, RP %s.\n", transport(s.opEP), transport(s.rpEP))
	fmt.Fprintf(&b, "- Capture: %s; %s; Go %s.\n\n", toolVersion("tcpdump", "--version"), strings.TrimSuffix(toolVersion("editcap", "--version"), "."), strings.TrimPrefix(exp.Versions["go"], "go"))
	b.WriteString("## Files\n\n")
	b.WriteString("- `trace.har`: the browser's traffic as HAR 1.2, **assembled by the lab's recorder from Chrome DevTools Protocol Network events** (requestWillBeSent incl. redirectResponse, the ExtraInfo events for raw headers and cookies, responseReceived, loadingFinished, Network.getResponseBody), as Chrome DevTools' own HAR export does. CDP reports headers as a JSON object, so header order is alphabetical except HTTP/1.1 response headers, which come from the verbatim `headersText`. Query strings and form params are kept undecoded, as Chrome writes them.\n")
	if sc.serverSide() {
		fmt.Fprintf(&b, "- `capture.pcap`: the browser's machine: `tcpdump -i lo --immediate-mode -w capture.pcap 'tcp and not host %s and (port %d or port %d)'`, the browser's traffic to the provider and to the app only; `keys.log` is Chromium's key log. No back-channel call is in it.\n", appServerAddr, s.opEP.Port, s.rpEP.Port)
		if sc.Proxy {
			proxy := "nginx " + toolVersion("nginx", "-v")
			if sc.ProxyKind == "haproxy" {
				proxy = toolVersion("haproxy", "-v")
			}
			fmt.Fprintf(&b, "- `capture-server.pcap`: the proxy host's backend side: the proxy (%s; TLS on port %d, h2) passed each request to app instance 1 or 2 (plain HTTP/1.1 on ports %d and %d); the capture holds those requests and the instances' back-channel calls to the provider (sent from %s). `proxy_log` in `expect.json` is the proxy's access log.\n", proxy, s.rpEP.Port, s.instances[0].Port, s.instances[1].Port, appServerAddr)
		} else {
			fmt.Fprintf(&b, "- `capture-server.pcap`: the app server: the callbacks it received on port %d and its back-channel calls to the provider (sent from %s).\n", s.rpEP.Port, appServerAddr)
		}
		b.WriteString("- `keys-server.log`: the app's own key log (its TLS server and its HTTP client); `capture-server-dsb.pcapng`: the server capture with those keys embedded.\n")
		b.WriteString("- `expect.json` `case`: what `scan --case trace.har capture-server-dsb.pcapng` must give, and what each file proves alone.")
	} else {
		fmt.Fprintf(&b, "- `capture.pcap`: `tcpdump -i lo --immediate-mode -w capture.pcap 'tcp and (port %d or port %d)'`: the provider's and the RP's ports only (browser and back-channel traffic).", s.opEP.Port, s.rpEP.Port)
	}
	if s.rp != nil && !strings.Contains(sc.Name, "spa") && !sc.serverSide() {
		b.WriteString(" The RP's token requests to the provider travel on the back channel: they are in the capture, not in the HAR.")
	}
	if sc.serverSide() {
		b.WriteString("\n- `capture-dsb.pcapng`: the browser's capture with Chromium's keys embedded (`editcap --inject-secrets tls,keys.log`).\n")
	} else if s.opEP.TLS || s.rpEP.TLS {
		b.WriteString("\n- `keys.log`: NSS key log (SSLKEYLOGFILE format) merged from Chromium, the Go servers (`tls.Config.KeyLogWriter`) and the RP's client.\n")
		b.WriteString("- `capture-dsb.pcapng`: the capture with the keys embedded (`editcap --inject-secrets tls,keys.log`); tshark decrypts it with no other input.\n")
	} else {
		b.WriteString("\n- `keys.log`: empty: nothing in this scenario uses TLS.\n")
		b.WriteString("- `capture-dsb.pcapng`: the same packets as pcapng (`editcap -F pcapng`), with no secrets block since there are no keys.\n")
	}
	b.WriteString("- `expect.json`: the findings these traces must produce (`findings`: rule, code fingerprint, evidence refs `entries[N]` in the HAR and `frame N` in the capture), the rules that must not fire (`must_not`), the rules that may (`may`), and every OAuth step seen (`events`). Derived from the provider's own answers and the RP's log, not typed by hand.\n\n")
	b.WriteString("## Real and shaped\n\n")
	b.WriteString("Real: every byte on the wire was produced by the software above; provider error strings are the provider's own. ")
	if sc.Shaped != "" {
		b.WriteString("Shaped: " + sc.Shaped + "\n\n")
	} else {
		b.WriteString("Shaped: the host names (`" + s.opEP.Host + "`, `" + s.rpEP.Host + "`) are lab names mapped to 127.0.0.1; ports are picked at run time.\n\n")
	}
	b.WriteString("## Secrets\n\nEverything secret here is throwaway, generated for this run only: the self-signed certificate and its key, the client secret, the user's password (zitadel's example user keeps its published example password), codes, tokens, verifiers and TLS keys. None of it is valid anywhere.\n")
	return b.String()
}

func transport(e *endpoint) string {
	switch {
	case e.TLS && e.HTTP2:
		return "HTTPS offering h2 and http/1.1 (ALPN)"
	case e.TLS:
		return "HTTPS, http/1.1 only"
	default:
		return "plain HTTP/1.1"
	}
}

func orNone(d []string) string {
	if len(d) == 0 {
		return "none (correct client)"
	}
	return strings.Join(d, "; ")
}
