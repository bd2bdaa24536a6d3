package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// Captures taken on a host whose byte-copying relay (socat, nginx's stream
// module) passes TLS through to the provider, or ends it and opens its
// own, and forwards plain HTTP to the RP hold every request twice
// (pcap/testdata/gen-relay.sh; the key logs are in the pcapng files). One sign-in read as "code redeemed 2 times"
// from its one token request and the relay's copy; read once, it is clean.
// A callback really requested twice (a double click) still makes a
// code-reuse finding of two redemptions, not four.
func TestRelayCopiesCodeReuse(t *testing.T) {
	type finding struct {
		Rule, Message, Mechanism string
	}
	scan := func(name string) (verdict string, exchanges int, findings []finding) {
		t.Helper()
		code, out, errOut := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", "--progress", "never",
			filepath.Join("..", "..", "pcap", "testdata", name))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errOut)
		}
		var doc struct {
			Files []struct {
				Verdict   string    `json:"verdict"`
				Exchanges int       `json:"exchanges"`
				Findings  []finding `json:"findings"`
			} `json:"files"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc.Files) != 1 {
			t.Fatalf("%s: %d files", name, len(doc.Files))
		}
		f := doc.Files[0]
		return f.Verdict, f.Exchanges, f.Findings
	}
	if v, n, fs := scan("relay-nginx-tls.pcapng"); v != "clean" || n != 5 || len(fs) != 0 {
		t.Errorf("relay-nginx-tls.pcapng: verdict %s, %d exchanges, findings %+v; want clean, 5, none", v, n, fs)
	}
	// nginx ending the client's TLS and opening its own to the provider:
	// two TLS sessions, the same plaintext
	if v, n, fs := scan("relay-nginx-term.pcapng"); v != "clean" || n != 5 || len(fs) != 0 {
		t.Errorf("relay-nginx-term.pcapng: verdict %s, %d exchanges, findings %+v; want clean, 5, none", v, n, fs)
	}
	if v, n, fs := scan("relay-socat.pcap"); v != "clean" || n != 5 || len(fs) != 0 {
		t.Errorf("relay-socat.pcap: verdict %s, %d exchanges, findings %+v; want clean, 5, none", v, n, fs)
	}
	// A double click through the relay: main read 14 exchanges and 4
	// redemptions.
	for _, c := range []struct{ name, prefix, refused string }{
		// TLS passed through by socat
		{"relay-socat-tls-double.pcapng", "duplicate-navigation: authorization code sha256:e36aa72173df was redeemed 2 times; the redemption at frame 111 won, the second came 43ms after the first", "frame 141"},
		// HTTP/2 (the provider's endpoints; the RP's two redemptions on one connection)
		{"relay-socat-h2-double.pcapng", "duplicate-navigation: authorization code sha256:0ec31e2cc056 was redeemed 2 times; the redemption at frame 133 won", "frame 150"},
		// ssh -L (sshd's connections to the servers)
		{"relay-ssh-tls-double.pcapng", "duplicate-navigation: authorization code sha256:91024d636ab2 was redeemed 2 times; the redemption at frame 106 won", "frame 133"},
	} {
		v, n, fs := scan(c.name)
		var reuse []string
		for _, x := range fs {
			switch x.Rule {
			case "code-reuse":
				reuse = append(reuse, x.Mechanism+": "+x.Message)
			case "request-loop":
				t.Errorf("%s: request-loop from the copies: %s", c.name, x.Message)
			}
		}
		if v != "findings" || n != 7 || len(reuse) != 1 || !strings.HasPrefix(reuse[0], c.prefix) ||
			!strings.Contains(reuse[0], c.refused+" was refused with invalid_grant") {
			t.Errorf("%s: verdict %s, %d exchanges, code-reuse %q", c.name, v, n, reuse)
		}
	}
}
