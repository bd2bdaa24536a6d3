package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogoutHintNeverRaw: the id_token_hint of the sign-out recordings
// (rules/testdata/logout: a JWT the app sends in the logout request's URL,
// which the browser then repeats in Referer headers and the app's redirect)
// and the ID tokens and codes around it appear in no report format, no
// events or exchanges listing, no member of a bundle and no redact copy;
// with --no-redact the events listing shows them (the test can fail).
func TestLogoutHintNeverRaw(t *testing.T) {
	files, err := filepath.Glob("../../rules/testdata/logout/logout-*")
	if err != nil || len(files) < 6 {
		t.Fatalf("recordings: %v %v", files, err)
	}
	hints := 0
	for _, f := range files {
		base := filepath.Base(f)
		// The secrets, as the tool itself reads them unredacted.
		_, raw, _ := runCLI(t, nil, "events", "-f", "jsonl", "--no-redact", f)
		var values []string
		for _, line := range strings.Split(raw, "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			for _, k := range []string{"id_token_hint", "id_token", "code", "state", "code_verifier", "access_token"} {
				if v, _ := rec[k].(string); len(v) >= 12 && !strings.HasPrefix(v, "sha256:") {
					values = append(values, v)
					if k == "id_token_hint" {
						hints++
					}
				}
			}
		}
		if len(values) == 0 {
			t.Errorf("%s: no secret read with --no-redact", base)
			continue
		}
		outputs := map[string]string{}
		for _, args := range [][]string{
			{"scan", "-f", "json"}, {"scan", "-f", "markdown"}, {"scan", "-f", "html"}, {"scan", "-f", "sarif"},
			{"scan", "-f", "csv"}, {"scan", "-f", "table"}, {"events", "-f", "json"}, {"events", "-f", "table"}, {"exchanges", "-f", "json"},
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
		if strings.HasSuffix(base, ".har") {
			copyPath := filepath.Join(t.TempDir(), "copy.har")
			if code, _, stderr := runCLI(t, nil, "redact", f, "-o", copyPath); code != 0 {
				t.Fatalf("%s: redact exit %d: %s", base, code, stderr)
			}
			copied, err := os.ReadFile(copyPath)
			if err != nil {
				t.Fatal(err)
			}
			outputs["redact"] = string(copied)
		}
		for what, out := range outputs {
			for _, v := range values {
				// A JWT's parts: its header is the same in every token of
				// the provider, its payload and signature are its own.
				forms := []string{v, url.QueryEscape(v)}
				if parts := strings.Split(v, "."); len(parts) == 3 {
					forms = append(forms, parts[1][:min(len(parts[1]), 24)], parts[2][:min(len(parts[2]), 24)])
				}
				for _, form := range forms {
					if strings.Contains(out, form) {
						t.Errorf("%s: %s prints a raw secret (%d bytes, starting %.4s…)", base, what, len(v), v)
					}
				}
			}
		}
	}
	if hints < 3 {
		t.Errorf("%d id_token_hint values in the recordings, want those of the clean (HAR and capture) and unregistered stories", hints)
	}
}
