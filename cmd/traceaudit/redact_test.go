package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// findingKeys is what must survive redaction: each finding's rule, code
// fingerprint and evidence refs.
func findingKeys(t *testing.T, path string) []string {
	t.Helper()
	_, out, stderr := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", path)
	var doc scanDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
		t.Fatalf("scan %s: %v %s", path, err, stderr)
	}
	var keys []string
	for _, f := range doc.Files[0].Findings {
		var refs []string
		for _, e := range f.Evidence {
			refs = append(refs, e.Ref)
		}
		keys = append(keys, f.Rule+" "+f.Code+" "+strings.Join(refs, ","))
	}
	return keys
}

// TestRedactKeepsFindingsAndDropsSecrets: `traceaudit redact` copies of the
// samples scan to the same findings and contain none of the secrets.
func TestRedactKeepsFindingsAndDropsSecrets(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(samples, "*.har"))
	lab, _ := filepath.Glob("../../testdata/lab/scenarios/*/trace.har")
	files = append(files, lab...)
	for _, f := range files {
		out := filepath.Join(t.TempDir(), "copy.har")
		code, _, stderr := runCLI(t, nil, "redact", f, "-o", out)
		if code != exitOK {
			t.Fatalf("redact %s: exit %d: %s", f, code, stderr)
		}
		if p := labPending(t, filepath.Dir(f)); p != "" {
			// the findings themselves are still wrong there: a false
			// crossing read from cookie values disappears with them
			t.Logf("%s: findings comparison skipped, pending: %s", f, p)
		} else if want, got := findingKeys(t, f), findingKeys(t, out); !reflect.DeepEqual(want, got) {
			t.Errorf("%s: findings changed by redaction:\n want %q\n got  %q", f, want, got)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range harSecrets(t, f) {
			if strings.Contains(string(data), s) {
				t.Errorf("%s: secret %s… survives in the copy", f, s[:4])
			}
		}
	}
	if code, _, _ := runCLI(t, nil, "redact", filepath.Join(samples, "reuse-double-handler.har")); code != exitTrouble {
		t.Errorf("redact without -o: exit %d, want 2", code)
	}
}
