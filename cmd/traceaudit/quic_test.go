package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Sign-ins Chromium made over QUIC (HTTP/3), recorded with the browser's
// key log (pcap/testdata/quic/gen-quic.sh): read end to end, the rules
// find what they find over TCP, with HTTP/3 frames as evidence. Without
// the key log the capture says that its sign-in went over QUIC. 0-RTT,
// Retry, a port other than 443 and a NAT rebinding change none of that.
func TestQUICSignIns(t *testing.T) {
	type finding struct {
		Rule, Message, Mechanism string
		Evidence                 []struct{ Ref string }
	}
	scan := func(args ...string) (verdict, reason string, findings []finding, notes []string) {
		t.Helper()
		code, out, errOut := runCLI(t, nil, append([]string{"scan", "-f", "json", "--fail-on", "never", "--progress", "never"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var doc struct {
			Files []struct {
				Verdict  string    `json:"verdict"`
				Reason   string    `json:"verdict_reason"`
				Findings []finding `json:"findings"`
				Notes    []struct {
					Kind, Message string
				} `json:"notes"`
			} `json:"files"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
			t.Fatalf("%v: %v, %d files", args, err, len(doc.Files))
		}
		f := doc.Files[0]
		for _, n := range f.Notes {
			notes = append(notes, n.Kind+": "+n.Message)
		}
		return f.Verdict, f.Reason, f.Findings, notes
	}
	dir := filepath.Join("..", "..", "pcap", "testdata", "quic")
	if v, _, fs, _ := scan(filepath.Join(dir, "clean-dsb.pcapng")); v != "clean" || len(fs) != 0 {
		t.Errorf("clean-dsb.pcapng: verdict %s, findings %+v", v, fs)
	}
	// The same sign-in with its first requests in 0-RTT packets (taken by
	// the server, or refused and sent again), behind a server that sends
	// Retry packets, on UDP port 8443, with its connections rebound by a
	// NAT (server on UDP port 4443), and over QUIC version 2: the same
	// verdict and the same OAuth steps, from the same kind of exchanges.
	signIn := func(args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, nil, append([]string{"events", "-f", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("events %v: exit %d: %s", args, code, errOut)
		}
		var doc struct {
			Files []struct {
				Events []struct {
					Kind, Method, Endpoint, Proto string
					Status                        int
				} `json:"events"`
			} `json:"files"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
			t.Fatalf("events %v: %v", args, err)
		}
		var steps []string
		for _, e := range doc.Files[0].Events {
			path := e.Endpoint[strings.Index(e.Endpoint[len("https://"):], "/")+len("https://"):]
			steps = append(steps, fmt.Sprintf("%s %s %s %d", e.Kind, e.Method, path, e.Status))
		}
		return strings.Join(steps, ", ")
	}
	want := signIn(filepath.Join(dir, "clean-dsb.pcapng"))
	if want != "authorize GET /oauth2/auth 200, authorize POST /oauth2/auth 303, code-issued  /oauth2/auth 303, callback GET /callback 302, token-request POST /oauth2/token 200, token-response  /oauth2/token 200" {
		t.Errorf("clean-dsb.pcapng: steps %s", want)
	}
	for _, c := range [][]string{
		{filepath.Join(dir, "zerortt.pcap"), "--keylog", filepath.Join(dir, "zerortt.keys.log")},
		{filepath.Join(dir, "zerortt-rejected.pcap"), "--keylog", filepath.Join(dir, "zerortt-rejected.keys.log")},
		{filepath.Join(dir, "retry.pcap"), "--keylog", filepath.Join(dir, "retry.keys.log")},
		{filepath.Join(dir, "port8443-dsb.pcapng")},
		{filepath.Join(dir, "rebind-dsb.pcapng")},
		{filepath.Join(dir, "v2-dsb.pcapng")},
	} {
		if v, _, fs, _ := scan(c...); v != "clean" || len(fs) != 0 {
			t.Errorf("%s: verdict %s, findings %+v", c[0], v, fs)
		}
		if got := signIn(c...); got != want {
			t.Errorf("%s: steps\n%s\nwant\n%s", c[0], got, want)
		}
	}
	// The callback loaded a second time (frame 167): the RP redeemed the
	// code again (its token calls over TCP, frames 124 and 169).
	v, _, fs, _ := scan(filepath.Join(dir, "reload.pcap"), "--keylog", filepath.Join(dir, "reload.keys.log"))
	if v != "findings" || len(fs) != 1 || fs[0].Rule != "code-reuse" || fs[0].Mechanism != "reload" ||
		!strings.Contains(fs[0].Message, "the callback URL was loaded again at frame 167 after the first redemption (frame 124)") ||
		!strings.Contains(fs[0].Message, "frame 169 was refused with invalid_grant") {
		t.Errorf("reload.pcap: verdict %s, findings %+v", v, fs)
	} else {
		var refs []string
		for _, e := range fs[0].Evidence {
			refs = append(refs, e.Ref)
		}
		if got := strings.Join(refs, ", "); got != "frame 112, frame 114, frame 167, frame 124, frame 169" {
			t.Errorf("code-reuse evidence %s", got)
		}
	}
	// The redirect_uri refused at authorize, over HTTP/3 (frame 73).
	v, _, fs, _ = scan(filepath.Join(dir, "mismatch-dsb.pcapng"))
	if v != "findings" || len(fs) != 1 || fs[0].Rule != "redirect-uri-mismatch" || len(fs[0].Evidence) == 0 || fs[0].Evidence[0].Ref != "frame 73" ||
		!strings.Contains(fs[0].Message, `rejected the redirect URI "https://app.localhost/callback2"`) {
		t.Errorf("mismatch-dsb.pcapng: verdict %s, findings %+v", v, fs)
	}
	// Without the key log: the QUIC connections are named, counted with
	// the TLS connections left encrypted, and the key log next to the
	// capture is named.
	v, reason, _, notes := scan(filepath.Join(dir, "reload.pcap"))
	if !strings.HasPrefix(reason, "7 TLS connections to accounts.google.com, app.localhost, auth.fosite.test and 3 more not decrypted; pass --keylog "+filepath.Join(dir, "reload.keys.log")) {
		t.Errorf("reload.pcap without keys: verdict reason %q", reason)
	}
	var quic []string
	for _, n := range notes {
		if strings.HasPrefix(n, "quic: ") {
			quic = append(quic, n)
		}
	}
	if v != "inconclusive" || len(quic) != 1 || !strings.Contains(quic[0], "2 QUIC connections (to app.localhost, auth.fosite.test) not decrypted: no key log given") {
		t.Errorf("reload.pcap without keys: verdict %s, quic notes %q", v, quic)
	}
}
