package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/internal/etlgen"
)

// TestETLSameFindingsAsPcap: every lab sign-in recorded as a pcap with a
// key log, wrapped packet by packet into a netsh-style ETL file (NDIS
// 1001 events on two processors' buffers, long packets in two fragments;
// internal/etlgen), gives the same scan report as the pcap: the same
// findings, messages, evidence frames and times. No real netsh capture of
// a sign-in exists to test with; the real ETL samples are checked against
// an independent reader in pcap/etl.
func TestETLSameFindingsAsPcap(t *testing.T) {
	dirs, _ := filepath.Glob("../../testdata/lab/scenarios/*")
	checked, withFindings := 0, 0
	for _, dir := range dirs {
		pcapFile := filepath.Join(dir, "capture.pcap")
		raw, err := os.ReadFile(pcapFile)
		if err != nil {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			evs, err := etlgen.FromPcap(raw, 600, 4242)
			if err != nil {
				t.Skip(err) // not an Ethernet pcap
			}
			data, err := etlgen.Build(etlgen.Options{}, evs)
			if err != nil {
				t.Fatal(err)
			}
			etlFile := filepath.Join(t.TempDir(), "capture.etl")
			if err := os.WriteFile(etlFile, data, 0o600); err != nil {
				t.Fatal(err)
			}
			report := func(file string) (json.RawMessage, json.RawMessage) {
				code, out, stderr := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", "--keylog", filepath.Join(dir, "keys.log"), file)
				if code != exitOK {
					t.Fatalf("%s: exit %d: %s", file, code, stderr)
				}
				var doc struct {
					Files []struct {
						Exchanges int             `json:"exchanges"`
						Findings  json.RawMessage `json:"findings"`
						Notes     json.RawMessage `json:"notes"`
					} `json:"files"`
				}
				if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
					t.Fatalf("%s: bad output: %v", file, err)
				}
				f := doc.Files[0]
				return f.Findings, f.Notes
			}
			wantF, wantN := report(pcapFile)
			gotF, gotN := report(etlFile)
			if diff := cmp.Diff(string(wantF), string(gotF)); diff != "" {
				t.Errorf("findings differ (-pcap +etl):\n%s", diff)
			}
			// Notes name the file; compare them with the names taken out.
			norm := func(n json.RawMessage) string {
				return strings.NewReplacer(pcapFile, "F", etlFile, "F").Replace(string(n))
			}
			if diff := cmp.Diff(norm(wantN), norm(gotN)); diff != "" {
				t.Errorf("notes differ (-pcap +etl):\n%s", diff)
			}
			if strings.Contains(string(wantF), `"rule"`) {
				withFindings++
			}
		})
		checked++
	}
	if checked < 10 || withFindings < 10 {
		t.Fatalf("only %d lab captures found, %d with findings: the comparison proves little", checked, withFindings)
	}
}
