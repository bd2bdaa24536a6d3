package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// A complete sign-in whose capture could not read all of its traffic with
// the provider is inconclusive. A note that names no server (a TLS
// connection the capture met after its handshake, bytes lost from a plain
// HTTP stream) counts as the provider's when it is about a connection the
// sign-in's requests used (sound: one connection, one server) or one to
// the provider's address (said as such); one that shares nothing leaves
// the sign-in clean, with a note that the trace cannot tell, unless the
// capture's DNS answers name its address.
func TestUnreadConnectionsWithoutServerName(t *testing.T) {
	dir := filepath.Join("testdata", "unread")
	for _, c := range []struct {
		file, verdict string
		says          []string
	}{
		{"gap-provider-conn.pcap", "inconclusive", []string{"could not read all of its traffic to id.zitadel.test (bytes lost from the capture)"}},
		{"tls-no-hello-same-server.pcap", "inconclusive", []string{"traffic to auth.fosite.test (a TLS handshake not captured, on a connection without a server name to the same address as auth.fosite.test)"}},
		{"tls-no-hello-other-server.pcap", "clean", []string{"1 sign-in completed", "1 TLS connection the trace could not read names no server", "cannot tell whether it was the provider's"}},
		// The capture's DNS answer names the address of that connection:
		// the provider's, so its traffic is missing; an address two
		// answers give two names stays unnamed.
		{"tls-no-hello-dns-named.pcap", "inconclusive", []string{"could not read all of its traffic to auth.fosite.test (a TLS handshake not captured)"}},
		{"tls-no-hello-dns-shared.pcap", "clean", []string{"1 TLS connection the trace could not read names no server", "cannot tell whether it was the provider's"}},
	} {
		_, out, errOut := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", "--keylog", filepath.Join(dir, "keys.log"), filepath.Join(dir, c.file))
		var doc struct {
			Files []struct {
				Verdict string `json:"verdict"`
				Reason  string `json:"verdict_reason"`
			} `json:"files"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
			t.Fatalf("%s: %v\n%s%s", c.file, err, out, errOut)
		}
		f := doc.Files[0]
		if f.Verdict != c.verdict {
			t.Errorf("%s: verdict %s (%s), want %s", c.file, f.Verdict, f.Reason, c.verdict)
		}
		for _, s := range c.says {
			if !strings.Contains(f.Reason, s) {
				t.Errorf("%s: reason %q does not say %q", c.file, f.Reason, s)
			}
		}
	}
}
