package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/labexpect"
)

// labForm is one way to give a scenario's traces to scan: the browser's
// HAR, the browser's capture, or the app server's capture.
type labForm struct {
	name string
	args []string
}

type scanDoc struct {
	Files []struct {
		Path     string `json:"path"`
		Error    string `json:"error"`
		Findings []struct {
			Rule     string `json:"rule"`
			Code     string `json:"code"`
			Evidence []struct {
				Ref string `json:"ref"`
			} `json:"evidence"`
		} `json:"findings"`
	} `json:"files"`
}

// TestLabScenarios scans every recorded lab scenario in each of its forms —
// the browser's HAR, the capture with a key log, the pcapng with embedded
// secrets — and checks the findings against the scenario's expectations,
// which the recorder derived from the provider's answers and the RP's log.
// A finding is expected in a form when that form holds all its evidence
// (back-channel redemptions are in the captures, not in the HAR); a missing
// expected finding and an unexpected one both fail.
func TestLabScenarios(t *testing.T) {
	dirs, _ := filepath.Glob("../../testdata/lab/scenarios/*")
	if len(dirs) == 0 {
		t.Fatal("no lab scenarios under testdata/lab/scenarios")
	}
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "expect.json")); err != nil {
			continue // not a scenario directory
		}
		exp, err := labexpect.Read(filepath.Join(dir, "expect.json"))
		if err != nil {
			t.Fatal(err)
		}
		forms := []labForm{
			{"har", []string{filepath.Join(dir, "trace.har")}},
			{"pcap", []string{"--keylog", filepath.Join(dir, "keys.log"), filepath.Join(dir, "capture.pcap")}},
			{"pcap", []string{filepath.Join(dir, "capture-dsb.pcapng")}},
		}
		if exp.Case != nil {
			// the app server's own capture, read alone
			forms = append(forms,
				labForm{"server", []string{"--keylog", filepath.Join(dir, "keys-server.log"), filepath.Join(dir, "capture-server.pcap")}},
				labForm{"server", []string{filepath.Join(dir, "capture-server-dsb.pcapng")}})
		}
		for _, form := range forms {
			name := filepath.Base(dir) + "/" + filepath.Base(form.args[len(form.args)-1])
			t.Run(name, func(t *testing.T) {
				if exp.Pending != "" {
					t.Skipf("pending: %s", exp.Pending)
				}
				code, out, stderr := runCLI(t, nil, append([]string{"scan", "-f", "json", "--fail-on", "never"}, form.args...)...)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				var doc scanDoc
				if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
					t.Fatalf("bad output: %v", err)
				}
				got := map[string]bool{} // "rule code"
				for _, f := range doc.Files[0].Findings {
					got[f.Rule+" "+f.Code] = true
				}
				allowed := map[string]bool{"trace-quality": true}
				for _, r := range exp.May {
					allowed[r] = true
				}
				for _, want := range exp.Findings {
					visible := true
					if form.name == "server" {
						// what the server's capture proves alone is listed
						// in case.alone; other findings may appear
						visible = slices.Contains(exp.Case.Alone["capture-server-dsb.pcapng"], want.Rule)
					}
					for _, ev := range want.Evidence {
						if form.name == "server" {
							break
						}
						ref := ev.HAR
						if form.name == "pcap" {
							ref = ev.PCAP
						}
						if ref == "" {
							visible = false
						}
					}
					key := want.Rule + " " + want.Code
					if visible && !got[key] {
						t.Errorf("missing finding %s", key)
					}
					allowed[want.Rule] = true // may appear where partly visible
					delete(got, key)
				}
				var unexpected []string
				for k := range got {
					rule, _, _ := strings.Cut(k, " ")
					for _, bad := range exp.MustNot {
						if rule == bad {
							t.Errorf("finding %s is one the scenario must not produce", k)
						}
					}
					if !allowed[rule] {
						unexpected = append(unexpected, k)
					}
				}
				sort.Strings(unexpected)
				for _, k := range unexpected {
					t.Errorf("unexpected finding %s", k)
				}
			})
		}
	}
}

// TestLabEventSequence: `traceaudit events` on each lab HAR and DSB capture
// shows the OAuth steps the recorder logged, in order, with the same code
// fingerprints: every recorded step visible in that form must appear, in
// the recorded order.
func TestLabEventSequence(t *testing.T) {
	dirs, _ := filepath.Glob("../../testdata/lab/scenarios/*")
	checked := 0
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "expect.json")); err != nil {
			continue
		}
		exp, err := labexpect.Read(filepath.Join(dir, "expect.json"))
		if err != nil {
			t.Fatal(err)
		}
		if exp.Pending != "" {
			t.Logf("%s skipped, pending: %s", filepath.Base(dir), exp.Pending)
			continue
		}
		for _, form := range []struct{ file, key string }{{"trace.har", "har"}, {"capture-dsb.pcapng", "pcap"}} {
			_, out, stderr := runCLI(t, nil, "events", "-f", "jsonl", filepath.Join(dir, form.file))
			type ev struct{ Kind, Code string }
			var got []ev
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var e struct {
					Kind string `json:"kind"`
					Code string `json:"code"`
				}
				if line == "" {
					continue
				}
				if err := json.Unmarshal([]byte(line), &e); err != nil {
					t.Fatalf("%s: bad jsonl %q: %v (%s)", dir, line, err, stderr)
				}
				got = append(got, ev{e.Kind, e.Code})
			}
			// Each expected step must be found after the previous one.
			at := 0
			for _, want := range exp.Events {
				ref := want.HAR
				if form.key == "pcap" {
					ref = want.PCAP
				}
				if ref == "" {
					continue // not visible in this form (back channel in a HAR)
				}
				found := false
				for at < len(got) {
					g := got[at]
					at++
					if g.Kind == want.Kind && (want.Code == "" || g.Code == want.Code) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("%s/%s: step %s %s (%s) missing or out of order", filepath.Base(dir), form.file, want.Kind, want.Code, ref)
					break
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no recorded step checked")
	}
}

// Token responses show the ID token's non-identifying claims (issuer,
// audience, expiry), never the token.
func TestEventsShowTokenClaims(t *testing.T) {
	f := "../../testdata/lab/scenarios/clean-zitadel-h2/capture-dsb.pcapng"
	_, out, _ := runCLI(t, nil, "events", "-f", "jsonl", f)
	var seen bool
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct {
			Kind   string `json:"kind"`
			Claims *struct {
				Iss string   `json:"iss"`
				Aud []string `json:"aud"`
				Exp string   `json:"exp"`
			} `json:"id_token_claims"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Kind == "token-response" && e.Claims != nil {
			seen = true
			if !strings.HasPrefix(e.Claims.Iss, "https://") || len(e.Claims.Aud) == 0 || e.Claims.Exp == "" {
				t.Errorf("claims %+v", e.Claims)
			}
		}
	}
	if !seen {
		t.Error("no token response with ID token claims")
	}
}

// A token answer's refresh_token_expires_in (Entra's for single-page apps)
// reaches events, beside expires_in: it tells when the SPA must sign in
// again, which the refresh rules read too.
func TestEventsShowRefreshLifetime(t *testing.T) {
	_, out, _ := runCLI(t, nil, "events", "-f", "jsonl", "../../rules/testdata/msal-aad-refresh.har")
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct {
			Kind             string `json:"kind"`
			ExpiresIn        int    `json:"expires_in"`
			RefreshExpiresIn int    `json:"refresh_token_expires_in"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Kind == "token-response" && e.RefreshExpiresIn > 0 {
			seen++
			if e.ExpiresIn <= 0 || e.RefreshExpiresIn <= e.ExpiresIn {
				t.Errorf("expires_in %d, refresh_token_expires_in %d", e.ExpiresIn, e.RefreshExpiresIn)
			}
		}
	}
	if seen == 0 {
		t.Errorf("no token answer with refresh_token_expires_in in\n%s", out)
	}
}

// labPending is the "pending" field of the lab scenario in dir (see
// testdata/lab/PENDING.md), "" for any other directory.
func labPending(t *testing.T, dir string) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "expect.json")); err != nil {
		return ""
	}
	exp, err := labexpect.Read(filepath.Join(dir, "expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	return exp.Pending
}
