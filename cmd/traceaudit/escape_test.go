package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/report"
)

// terminalPayload is what a hostile trace puts in its URLs and headers to
// act on the terminal of whoever reads the output: an OSC title change
// ended by BEL, CSI colour codes, a C1 CSI (U+009B) that clears the screen,
// DEL and a bidi override.
const terminalPayload = "\x1b]0;PWNED\x07\x1b[31mred\x1b[0m\u009b2J\x7f\u202eevil"

// hostileHAR writes a copy of a real sample whose URLs (path and query,
// raw and percent-encoded) and headers carry terminalPayload.
// (The sample's provenance is in testdata/samples/PROVENANCE.md.)
func hostileHAR(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(samples, "reuse-double-handler.har"))
	if err != nil {
		t.Fatal(err)
	}
	var har map[string]any
	if err := json.Unmarshal(raw, &har); err != nil {
		t.Fatal(err)
	}
	entries := har["log"].(map[string]any)["entries"].([]any)
	evilHeader := func(m map[string]any, name string) {
		hs, _ := m["headers"].([]any)
		m["headers"] = append(hs, map[string]any{"name": name, "value": terminalPayload})
	}
	for _, e := range entries {
		req := e.(map[string]any)["request"].(map[string]any)
		resp := e.(map[string]any)["response"].(map[string]any)
		u := req["url"].(string)
		u = strings.Replace(u, "client_id=", "client_id="+url.QueryEscape(terminalPayload), 1)
		req["url"] = u
		evilHeader(req, "Origin")
		evilHeader(req, "X-Evil")
		evilHeader(resp, "X-Evil")
	}
	// One more exchange whose path and query carry the raw payload (such a
	// URL does not parse, so no OAuth event comes from it).
	extra := map[string]any{}
	b, _ := json.Marshal(entries[0])
	json.Unmarshal(b, &extra)
	extra["request"].(map[string]any)["url"] = "https://app.contoso.com/" + terminalPayload + "?evil=" + terminalPayload
	har["log"].(map[string]any)["entries"] = append(entries, extra)
	out, err := json.Marshal(har)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hostile.har")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawControl returns the first character in out that a terminal would act
// on: a C0 control other than newline, DEL, a C1 control or a bidi
// control.
func rawControl(out string) (rune, bool) {
	for _, r := range out {
		switch {
		case r == '\n':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return r, true
		case r == 0x202e || r == 0x202d || (r >= 0x2066 && r <= 0x2069):
			return r, true
		}
	}
	return 0, false
}

// TestNoRawControlCharacters: whatever a trace carries, no command writes a
// character that a terminal acts on, in any format.
func TestNoRawControlCharacters(t *testing.T) {
	path := hostileHAR(t)
	for _, cmd := range []string{"exchanges", "events", "scan"} {
		for _, format := range report.Formats(report.Kind(cmd)) {
			for _, redact := range []bool{true, false} {
				args := []string{cmd, "--format", format, path}
				if !redact {
					args = append(args[:1], append([]string{"--no-redact"}, args[1:]...)...)
				}
				code, stdout, stderr := runCLI(t, nil, args...)
				if code == exitTrouble {
					t.Fatalf("%q: exit %d: %s", args, code, stderr)
				}
				if !utf8.ValidString(stdout) {
					t.Errorf("%q: output is not valid UTF-8", args)
				}
				shown := stdout
				if format == "csv" {
					// RFC 4180 ends records in CRLF; a CR before the LF
					// moves no cursor a terminal has not moved anyway.
					shown = strings.ReplaceAll(shown, "\r\n", "\n")
				}
				if r, bad := rawControl(shown + stderr); bad {
					t.Errorf("%q: raw control character %U in the output", args, r)
				}
				// The payload is shown, escaped, not dropped.
				if cmd != "scan" && !strings.Contains(stdout, `\x1b]0;PWNED`) && !strings.Contains(stdout, `\u001b]0;PWNED`) {
					t.Errorf("%q: the escaped payload is missing:\n%s", args, stdout)
				}
				if cmd == "events" && !strings.Contains(stdout, "PWNED") {
					t.Errorf("%q: no event carries the payload", args)
				}
			}
		}
	}
}
