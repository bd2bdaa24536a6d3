package main

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// rpCookieValues are the values of the relying party's own cookies
// (mod_auth_openidc's state and session cookies, oauth2-proxy's session
// and CSRF cookies, chunked ones too) that a plain-HTTP capture carries in
// its Cookie and Set-Cookie header lines.
func rpCookieValues(t *testing.T, capture []byte) []string {
	t.Helper()
	line := regexp.MustCompile(`(?m)^(?:Set-)?Cookie: ([^\r\n]*)`)
	seen := map[string]bool{}
	var out []string
	for _, m := range line.FindAllSubmatch(capture, -1) {
		for _, part := range strings.Split(string(m[1]), ";") {
			name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || len(value) < 8 || seen[value] ||
				!strings.HasPrefix(name, "mod_auth_openidc_") && !strings.HasPrefix(name, "_oauth2_proxy") {
				continue
			}
			seen[value] = true
			out = append(out, value)
		}
	}
	return out
}

// TestRPModuleCookiesNeverRaw: the session and state cookies of
// mod_auth_openidc and oauth2-proxy, in their real recordings
// (rules/testdata/modoidc-*.pcap, o2p-*.pcap), appear in no report format,
// no events or exchanges listing and no member of a bundle (whose trace
// copy is redact's HAR of the capture).
func TestRPModuleCookiesNeverRaw(t *testing.T) {
	files, err := filepath.Glob("../../rules/testdata/*.pcap")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		base := filepath.Base(f)
		if !strings.HasPrefix(base, "modoidc-") && !strings.HasPrefix(base, "o2p-") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		values := rpCookieValues(t, raw)
		if len(values) == 0 {
			t.Errorf("%s: no cookie value of the relying party, want at least its state cookie", base)
		}
		n += len(values)
		outputs := map[string]string{}
		for _, args := range [][]string{
			{"scan", "-f", "json"}, {"scan", "-f", "markdown"}, {"scan", "-f", "html"}, {"scan", "-f", "sarif"},
			{"scan", "-f", "csv"}, {"scan", "-f", "table"}, {"events", "-f", "json"}, {"exchanges", "-f", "json"},
		} {
			_, stdout, stderr := runCLI(t, nil, append(args, f)...)
			outputs[strings.Join(args, " ")] = stdout + stderr
		}
		zipPath := filepath.Join(t.TempDir(), "case.zip")
		if code, stderr := runBundleCLI(t, bundleClock, f, "-o", zipPath); code > 1 {
			t.Fatalf("%s: bundle exit %d: %s", base, code, stderr)
		}
		names, members := readZip(t, zipPath)
		for _, name := range names {
			outputs["bundle "+name] = string(members[name])
		}
		if !strings.Contains(strings.Join(names, " "), "traces/") {
			t.Errorf("%s: the bundle holds no trace copy: %v", base, names)
		}
		for what, out := range outputs {
			for _, v := range values {
				for _, form := range []string{v, url.QueryEscape(v), v[:12]} {
					if strings.Contains(out, form) {
						t.Errorf("%s: %s prints a raw cookie value (%d bytes, starting %.4s…)", base, what, len(v), v)
					}
				}
			}
		}
	}
	if n < 25 {
		t.Errorf("%d cookie values in all recordings, want their state and session cookies", n)
	}
}
