package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// harCookieLines are a HAR's Cookie and Set-Cookie header values as the
// header lines a capture carries.
func harCookieLines(t *testing.T, data []byte) []byte {
	t.Helper()
	var doc struct {
		Log struct {
			Entries []struct {
				Request struct {
					Headers []struct{ Name, Value string }
				}
				Response struct {
					Headers []struct{ Name, Value string }
				}
			}
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, e := range doc.Log.Entries {
		for _, h := range append(e.Request.Headers, e.Response.Headers...) {
			if strings.EqualFold(h.Name, "cookie") || strings.EqualFold(h.Name, "set-cookie") {
				out = append(out, "Cookie: "+h.Value+"\r\n"...)
			}
		}
	}
	return out
}

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
// (rules/testdata/modoidc-*, o2p-*: captures and the browser's HARs),
// appear in no report format, no events or exchanges listing, no member of
// a bundle (whose trace copy is redact's HAR of a capture) and no redact
// copy of a HAR, which scans as the original does.
func TestRPModuleCookiesNeverRaw(t *testing.T) {
	files, err := filepath.Glob("../../rules/testdata/*.pcap")
	if err != nil {
		t.Fatal(err)
	}
	hars, err := filepath.Glob("../../rules/testdata/*.har")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, hars...)
	// oauth2-proxy over HTTPS (rules/testdata/oauth2-proxy): the HARs, and
	// the captures of the same runs, whose cookies are those of the HAR
	// beside each (the capture's own bytes are encrypted).
	o2p, err := filepath.Glob("../../rules/testdata/oauth2-proxy/oauth2-proxy-*.*")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, o2p...)
	var modules []string
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "modoidc-") || strings.HasPrefix(base, "o2p-") || strings.HasPrefix(base, "oauth2-proxy-") {
			modules = append(modules, f)
		}
	}
	// Each recording runs every output format, redact and bundle: under
	// -short (CI's race step) a sixth of them, HARs and captures alike.
	n := 0
	for _, f := range sampleShort(modules) {
		base := filepath.Base(f)
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		isHAR := strings.HasSuffix(base, ".har")
		if isHAR {
			raw = harCookieLines(t, raw)
		} else if strings.HasSuffix(base, ".pcapng") && strings.HasPrefix(base, "oauth2-proxy-") {
			har, err := os.ReadFile(strings.TrimSuffix(f, ".pcapng") + ".har")
			if err != nil {
				t.Fatal(err)
			}
			raw = harCookieLines(t, har)
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
		if isHAR {
			// redact's own copy of the browser's HAR.
			copyPath := filepath.Join(t.TempDir(), "copy.har")
			if code, _, stderr := runCLI(t, nil, "redact", f, "-o", copyPath); code != 0 {
				t.Fatalf("%s: redact exit %d: %s", base, code, stderr)
			}
			copied, err := os.ReadFile(copyPath)
			if err != nil {
				t.Fatal(err)
			}
			outputs["redact"] = string(copied)
			// The copy still tells what the original does.
			_, orig, _ := runCLI(t, nil, "scan", "-f", "csv", f)
			_, red, _ := runCLI(t, nil, "scan", "-f", "csv", copyPath)
			if strings.ReplaceAll(red, copyPath, f) != orig {
				t.Errorf("%s: the redacted copy scans otherwise:\n%s\nwant\n%s", base, red, orig)
			}
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
	least := 25
	if testing.Short() {
		least = 10 // a sixth of the recordings (18 values)
	}
	if n < least {
		t.Errorf("%d cookie values in the recordings read, want their state and session cookies", n)
	}
	t.Logf("%d cookie values", n)
}
