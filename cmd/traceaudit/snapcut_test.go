package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// A capture taken with a snap length shorter than its packets (editcap -s
// 450 of the lab's clean-zitadel-http1-plaintext capture: every request's
// header section cut, its request line whole) still shows the sign-in's
// authorization request and callback, with what their request lines carry
// as the whole capture shows it.
func TestSnapLengthCutCallback(t *testing.T) {
	dir := filepath.Join("..", "..", "pcap", "testdata")
	events := func(file string) map[string]map[string]any {
		t.Helper()
		code, out, errOut := runCLI(t, nil, "events", "-f", "jsonl", "--progress", "never", filepath.Join(dir, file))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", file, code, errOut)
		}
		got := map[string]map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("%s: %v: %s", file, err, line)
			}
			if k, _ := ev["kind"].(string); k == "authorize" || k == "callback" {
				got[k+" "+ev["ref"].(string)] = ev
			}
		}
		return got
	}
	whole := events("zitadel-http1-plaintext.pcap")
	cut := events("zitadel-http1-snap450.pcap")
	for _, key := range []string{"authorize frame 14", "callback frame 32"} {
		w, c := whole[key], cut[key]
		if w == nil {
			t.Fatalf("the whole capture has no %s event: %v", key, whole)
		}
		if c == nil {
			t.Errorf("the cut capture has no %s event", key)
			continue
		}
		for _, f := range []string{"method", "endpoint", "client_id", "redirect_uri", "state", "code", "code_challenge", "response_type", "scope"} {
			if w[f] != c[f] {
				t.Errorf("%s: %s %v, want %v as in the whole capture", key, f, c[f], w[f])
			}
		}
	}
}
