package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func sarifOf(t *testing.T, r *Report) *sarifLog {
	t.Helper()
	var buf bytes.Buffer
	if err := (SARIFWriter{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	assertValidSARIF(t, buf.Bytes())
	var log sarifLog
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	return &log
}

func TestSARIFContent(t *testing.T) {
	log := sarifOf(t, readFixture(t, "signin.json"))
	run := log.Runs[0]
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		ids = append(ids, r.ID)
		if r.Help == nil || r.Help.Text == "" || r.ShortDescription == nil {
			t.Errorf("rule %s lacks help or a short description", r.ID)
		}
	}
	if diff := cmp.Diff([]string{"code-expired", "code-reuse", "redirect-uri-mismatch"}, ids); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if len(run.Results) != 3 {
		t.Fatalf("%d results, want 3", len(run.Results))
	}
	first := run.Results[0]
	if first.RuleID != "code-reuse" || first.Level != "error" || run.Tool.Driver.Rules[first.RuleIndex].ID != "code-reuse" {
		t.Errorf("first result = %s/%s index %d", first.RuleID, first.Level, first.RuleIndex)
	}
	if run.Results[1].Level != "warning" {
		t.Errorf("warning finding has level %s", run.Results[1].Level)
	}
	loc := first.Locations[0]
	if loc.PhysicalLocation.ArtifactLocation.URI != "traces/login.har" {
		t.Errorf("artifact uri = %q", loc.PhysicalLocation.ArtifactLocation.URI)
	}
	var names []string
	for _, l := range loc.LogicalLocations {
		names = append(names, l.Name)
	}
	if diff := cmp.Diff([]string{"entries[14]", "entries[15]", "entries[17]"}, names); diff != "" {
		t.Errorf("logical locations (-want +got):\n%s", diff)
	}
	if first.Properties.Code != "sha256:5f1c0a9e3b7d" || first.Properties.Evidence[2].ErrorCode != "AADSTS54005" {
		t.Errorf("properties lost the code or the evidence: %+v", first.Properties)
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful {
		t.Errorf("executionSuccessful with an unreadable file")
	}
	var levels []string
	for _, n := range inv.ToolExecutionNotifications {
		levels = append(levels, n.Level)
	}
	if diff := cmp.Diff([]string{"note", "note", "error"}, levels); diff != "" {
		t.Errorf("notification levels (-want +got):\n%s", diff)
	}
}

// TestSARIFFingerprintsStable checks that a finding keeps its
// partialFingerprint when only volatile parts change (message wording,
// times), and that distinct findings get distinct ones.
func TestSARIFFingerprintsStable(t *testing.T) {
	fps := func(r *Report) []string {
		var out []string
		for _, res := range sarifOf(t, r).Runs[0].Results {
			out = append(out, res.PartialFingerprints[sarifFingerprintKey])
		}
		return out
	}
	a := fps(readFixture(t, "signin.json"))
	changed := readFixture(t, "signin.json")
	fd := &changed.Files[0].Findings[0]
	fd.Message = "reworded"
	fd.Evidence[0].Time = At(fd.Evidence[0].Time.Add(time.Hour))
	b := fps(changed)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("fingerprints moved with the message or time (-before +after):\n%s", diff)
	}
	seen := map[string]bool{}
	for _, fp := range a {
		if fp == "" || seen[fp] {
			t.Errorf("empty or duplicate fingerprint %q in %v", fp, a)
		}
		seen[fp] = true
	}
	changed.Files[0].Findings[0].Fingerprint = "engine-fingerprint"
	if got := fps(changed)[0]; got != "engine-fingerprint" {
		t.Errorf("the engine's own fingerprint was not used: %q", got)
	}
}

func TestNewWriter(t *testing.T) {
	for _, f := range Formats(KindScan) {
		w, err := NewWriter(f, true)
		if err != nil || w == nil {
			t.Errorf("NewWriter(%q) = %v, %v", f, w, err)
		}
	}
	if w, _ := NewWriter("table", true); w != (TableWriter{Color: true}) {
		t.Errorf("table writer ignores color: %#v", w)
	}
	if _, err := NewWriter("xlsx", false); !errors.Is(err, ErrFormat) {
		t.Errorf("NewWriter(xlsx) error = %v, want ErrFormat", err)
	}
}

// TestEmptyReport: every writer copes with a report of no files.
func TestEmptyReport(t *testing.T) {
	r := &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "traceaudit", Version: "v0.1.0"}}
	for _, wr := range writers() {
		var buf bytes.Buffer
		if err := wr.w.Write(&buf, r); err != nil {
			t.Errorf("%s: %v", wr.ext, err)
		}
		switch wr.ext {
		case "json", "sarif":
			assertValidJSON(t, buf.Bytes(), wr.ext)
		case "table", "md", "html":
			if !bytes.Contains(buf.Bytes(), []byte("no findings in 0 files")) {
				t.Errorf("%s lacks the verdict:\n%s", wr.ext, buf.String())
			}
		}
	}
}
