package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/traceaudit/traceaudit/internal/labexpect"
)

// caseDoc is the part of a scan --case JSON report the tests read.
type caseDoc struct {
	Case *struct {
		Merged bool   `json:"merged"`
		Reason string `json:"reason"`
		Inputs []struct {
			Path          string  `json:"path"`
			Lane          string  `json:"lane"`
			Merged        bool    `json:"merged"`
			OffsetSeconds float64 `json:"offset_seconds"`
			Basis         string  `json:"basis"`
			Matches       int     `json:"matches"`
			Duplicates    int     `json:"duplicates"`
		} `json:"inputs"`
	} `json:"case"`
	Files []struct {
		Path      string `json:"path"`
		Format    string `json:"format"`
		Exchanges int    `json:"exchanges"`
		Verdict   string `json:"verdict"`
		Notes     []struct{ Kind, Message string }
		Findings  []struct {
			Rule      string `json:"rule"`
			Code      string `json:"code"`
			Mechanism string `json:"mechanism"`
			Message   string `json:"message"`
			Evidence  []struct {
				File   string `json:"file"`
				Ref    string `json:"ref"`
				Time   string `json:"time"`
				Status int    `json:"status"`
			} `json:"evidence"`
		} `json:"findings"`
		Timeline []struct {
			File string `json:"file"`
			Ref  string `json:"ref"`
			Lane string `json:"lane"`
		} `json:"timeline"`
	} `json:"files"`
}

func scanCase(t *testing.T, args ...string) caseDoc {
	t.Helper()
	code, out, stderr := runCLI(t, nil, append([]string{"scan", "--case", "-f", "json", "--fail-on", "never"}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc caseDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("bad output: %v", err)
	}
	if doc.Case == nil {
		t.Fatal("no case object in the report")
	}
	return doc
}

// TestLabCase: scan --case over each lab scenario's browser HAR and server
// capture gives the case's findings — one per rule and code, with the
// recorded mechanism, citing every recorded step in the file it was
// recorded in — and each trace's lane; the rules the scenario must not
// produce stay away.
func TestLabCase(t *testing.T) {
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
		if exp.Case == nil {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if exp.Case.Pending != "" {
				t.Skipf("pending: %s", exp.Case.Pending)
			}
			var args []string
			for _, in := range exp.Case.Inputs {
				args = append(args, filepath.Join(dir, in.File))
			}
			doc := scanCase(t, args...)
			if !doc.Case.Merged || len(doc.Files) != 1 || doc.Files[0].Format != "case" {
				t.Fatalf("not merged into one incident: %+v, %d file objects", doc.Case, len(doc.Files))
			}
			for i, in := range exp.Case.Inputs {
				if got := doc.Case.Inputs[i]; got.Lane != in.Lane || !got.Merged {
					t.Errorf("%s: lane %q merged %v, want lane %q", in.File, got.Lane, got.Merged, in.Lane)
				}
			}
			f := doc.Files[0]
			for _, want := range exp.Case.Findings {
				n := 0
				for _, got := range f.Findings {
					if got.Rule != want.Rule || got.Code != want.Code {
						continue
					}
					n++
					if want.Mechanism != "" && got.Mechanism != want.Mechanism {
						t.Errorf("%s %s: mechanism %q, want %q (%s)", want.Rule, want.Code, got.Mechanism, want.Mechanism, got.Message)
					}
					for _, we := range want.Evidence {
						found := false
						for _, ge := range got.Evidence {
							if filepath.Base(ge.File) == we.File && ge.Ref == we.Ref && (we.Status == 0 || ge.Status == we.Status) {
								found = true
							}
						}
						if !found {
							t.Errorf("%s %s: no evidence %s %s (%s, status %d)", want.Rule, want.Code, we.File, we.Ref, we.Kind, we.Status)
						}
					}
				}
				if n != 1 {
					t.Errorf("%d findings %s %s, want exactly one", n, want.Rule, want.Code)
				}
				checked++
			}
			for _, got := range f.Findings {
				if slices.Contains(exp.MustNot, got.Rule) {
					t.Errorf("finding %s %s is one the scenario must not produce", got.Rule, got.Code)
				}
			}
			// Each file alone gives at least what it can prove by itself.
			for file, want := range exp.Case.Alone {
				if len(want) == 0 {
					continue
				}
				code, out, stderr := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", filepath.Join(dir, file))
				var alone scanDoc
				if err := json.Unmarshal([]byte(out), &alone); err != nil || code != exitOK || len(alone.Files) != 1 {
					t.Fatalf("%s alone: exit %d, %v: %s", file, code, err, stderr)
				}
				for _, rule := range want {
					found := false
					for _, fd := range alone.Files[0].Findings {
						found = found || fd.Rule == rule
					}
					if !found {
						t.Errorf("%s alone: no %s", file, rule)
					}
				}
			}
			// One timeline, a lane per trace.
			lanes := map[string]bool{}
			for _, te := range f.Timeline {
				lanes[te.Lane] = true
				if te.File == "" {
					t.Errorf("timeline step %s names no file", te.Ref)
				}
			}
			if len(lanes) < 2 {
				t.Errorf("timeline lanes %v, want one per trace", lanes)
			}
		})
	}
	if checked == 0 {
		t.Log("no case expectation checked (all pending)")
	}
}
