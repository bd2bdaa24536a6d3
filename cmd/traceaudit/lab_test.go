package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// labExpect is the part of a lab scenario's expect.json this test checks.
type labExpect struct {
	Scenario string `json:"scenario"`
	Findings []struct {
		Rule     string `json:"rule"`
		Code     string `json:"code"`
		Evidence []struct {
			Kind string `json:"kind"`
			HAR  string `json:"har"`
			PCAP string `json:"pcap"`
		} `json:"evidence"`
	} `json:"findings"`
	MustNot []string `json:"must_not"`
	May     []string `json:"may"`
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
		raw, err := os.ReadFile(filepath.Join(dir, "expect.json"))
		if err != nil {
			continue // not a scenario directory
		}
		var exp labExpect
		if err := json.Unmarshal(raw, &exp); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		forms := []struct {
			name string
			args []string
		}{
			{"har", []string{filepath.Join(dir, "trace.har")}},
			{"pcap", []string{"--keylog", filepath.Join(dir, "keys.log"), filepath.Join(dir, "capture.pcap")}},
			{"pcap", []string{filepath.Join(dir, "capture-dsb.pcapng")}},
		}
		for _, form := range forms {
			name := filepath.Base(dir) + "/" + filepath.Base(form.args[len(form.args)-1])
			t.Run(name, func(t *testing.T) {
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
					for _, ev := range want.Evidence {
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
