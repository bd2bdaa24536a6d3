package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the .golden files (review the diff before committing)")

// writers lists every format with the suffix of its golden files.
func writers() []struct {
	ext string
	w   Writer
} {
	return []struct {
		ext string
		w   Writer
	}{
		{"json", JSONWriter{}},
		{"jsonl", JSONLWriter{}},
		{"table", TableWriter{}},
		{"color.table", TableWriter{Color: true}},
		{"md", MarkdownWriter{}},
		{"html", HTMLWriter{}},
		{"sarif", SARIFWriter{}},
		{"csv", CSVWriter{}},
	}
}

func readFixture(t testing.TB, name string) *Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "reports", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ReadJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

// checkGolden compares got with testdata/golden/name, or rewrites it under
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

// TestGolden replays recorded reports through every writer.
func TestGolden(t *testing.T) {
	fixtures := []string{"signin", "signout"}
	for _, fx := range fixtures {
		r := readFixture(t, fx+".json")
		for _, wr := range writers() {
			t.Run(fx+"."+wr.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := wr.w.Write(&buf, r); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, fx+"."+wr.ext+".golden", buf.Bytes())
			})
		}
	}
}

func TestHostileGolden(t *testing.T) {
	r := hostileReport(hostilePayload)
	for _, wr := range writers() {
		t.Run(wr.ext, func(t *testing.T) {
			var buf bytes.Buffer
			if err := wr.w.Write(&buf, r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "hostile."+wr.ext+".golden", buf.Bytes())
		})
	}
}

// TestJSONRoundTrip checks that JSON is the canonical form: a report read
// back from its JSON writes the same bytes. Invalid UTF-8 is the one thing
// the first write normalizes (to U+FFFD), so the hostile report is compared
// from its second write on.
func TestJSONRoundTrip(t *testing.T) {
	write := func(r *Report) []byte {
		var buf bytes.Buffer
		if err := (JSONWriter{}).Write(&buf, r); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	read := func(b []byte) *Report {
		r, err := ReadJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	signin := write(readFixture(t, "signin.json"))
	if diff := cmp.Diff(string(signin), string(write(read(signin)))); diff != "" {
		t.Errorf("json changed on replay (-first +second):\n%s", diff)
	}
	hostile := write(read(write(hostileReport(hostilePayload))))
	if diff := cmp.Diff(string(hostile), string(write(read(hostile)))); diff != "" {
		t.Errorf("hostile json changed on replay (-first +second):\n%s", diff)
	}
}

// TestJSONContractShape checks the contract's field names and the
// "present only when" fields against a generic decode.
func TestJSONContractShape(t *testing.T) {
	var buf bytes.Buffer
	if err := (JSONWriter{}).Write(&buf, readFixture(t, "signin.json")); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema_version", "tool", "files", "summary"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("top level lacks %q", k)
		}
	}
	files := doc["files"].([]any)
	f0 := files[0].(map[string]any)
	for _, k := range []string{"path", "format", "exchanges", "events", "notes", "findings"} {
		if _, ok := f0[k]; !ok {
			t.Errorf("file lacks %q", k)
		}
	}
	if _, ok := f0["error"]; ok {
		t.Errorf("readable file has an error field")
	}
	if e := files[2].(map[string]any)["error"]; e == "" || e == nil {
		t.Errorf("unreadable file has no error")
	}
	fd := f0["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"rule", "severity", "message", "code", "evidence", "remediation"} {
		if _, ok := fd[k]; !ok {
			t.Errorf("finding lacks %q", k)
		}
	}
	ev := fd["evidence"].([]any)[2].(map[string]any)
	want := map[string]any{
		"ref": "entries[17]", "time": "2026-11-26T10:00:01.240Z", "method": "POST", "status": 400.0,
		"error_code": "AADSTS54005", "trace_id": "9df0210d-bf9f-45d9-b19b-b326453e6400",
		"correlation_id": "48ac1682-e414-42c2-9eac-f1d6114e8648",
	}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("evidence %s = %v, want %v", k, ev[k], v)
		}
	}
	if fd2 := files[1].(map[string]any)["findings"].([]any)[0].(map[string]any); fd2["code"] != nil {
		t.Errorf("finding without a code has code %v", fd2["code"])
	}
	// An empty file writes [] not null.
	var empty bytes.Buffer
	if err := (JSONLWriter{}).WriteFile(&empty, &File{Path: "a.har", Format: "har"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(empty.String(), `"notes":[],"findings":[]`) {
		t.Errorf("empty file = %s, want empty notes and findings arrays", empty.String())
	}
}

func TestJSONLOneObjectPerLine(t *testing.T) {
	r := hostileReport(hostilePayload)
	var buf bytes.Buffer
	if err := (JSONLWriter{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(r.Files) {
		t.Fatalf("%d lines for %d files", len(lines), len(r.Files))
	}
	for i, l := range lines {
		var f File
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
	}
	back, err := ReadJSONL(bytes.NewReader(buf.Bytes()), r.Tool)
	if err != nil {
		t.Fatal(err)
	}
	if back.Summary.Findings != Summarize(r.Files).Findings {
		t.Errorf("jsonl replay has %d findings, want %d", back.Summary.Findings, Summarize(r.Files).Findings)
	}
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "<html>", "report: reading json"},
		{"future schema", `{"schema_version": 2}`, "unsupported schema_version 2"},
		{"no version", `{"files": []}`, "unsupported schema_version 0"},
		{"bad time", `{"schema_version":1,"files":[{"findings":[{"evidence":[{"time":"yesterday"}]}]}]}`, "report: time"},
		{"trailing", `{"schema_version":1} {}`, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTimeFormat(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 26, 10, 0, 1, 234_000_000, time.UTC), "2026-11-26T10:00:01.234Z"},
		{time.Date(2026, 11, 26, 10, 0, 1, 0, time.UTC), "2026-11-26T10:00:01.000Z"},
		{time.Date(2026, 11, 26, 11, 0, 1, 234_567_000, time.FixedZone("CET", 3600)), "2026-11-26T10:00:01.234567Z"},
	}
	for _, tt := range tests {
		if got := At(tt.in).String(); got != tt.want {
			t.Errorf("At(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestSummary(t *testing.T) {
	r := readFixture(t, "signin.json")
	s := Summarize(r.Files)
	want := Summary{
		Files: 3, Findings: 3, Errors: 1, Notes: 2,
		BySeverity: map[Severity]int{SeverityError: 2, SeverityWarning: 1},
		ByRule:     map[string]int{"code-reuse": 1, "code-expired": 1, "redirect-uri-mismatch": 1},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Summarize (-want +got):\n%s", diff)
	}
	if got := s.Verdict(); got != "3 findings (2 errors, 1 warning) in 3 files; 1 file could not be read" {
		t.Errorf("Verdict = %q", got)
	}
	if got := s.Worst(); got != SeverityError {
		t.Errorf("Worst = %q", got)
	}
	if got := s.CountAtLeast(SeverityWarning); got != 3 {
		t.Errorf("CountAtLeast(warning) = %d, want 3", got)
	}
	if got := s.CountAtLeast(SeverityError); got != 2 {
		t.Errorf("CountAtLeast(error) = %d, want 2", got)
	}
	wantCounts := []RuleCount{{"code-expired", 1}, {"code-reuse", 1}, {"redirect-uri-mismatch", 1}}
	if diff := cmp.Diff(wantCounts, s.RuleCounts()); diff != "" {
		t.Errorf("RuleCounts (-want +got):\n%s", diff)
	}
	infos := Summary{Files: 2, Findings: 3, BySeverity: map[Severity]int{SeverityInfo: 2, SeverityWarning: 1}}
	if got := infos.Verdict(); got != "3 findings (1 warning, 2 info) in 2 files" {
		t.Errorf("Verdict = %q", got)
	}
	if got := (Summary{Files: 1}).Verdict(); got != "no findings in 1 file" {
		t.Errorf("empty Verdict = %q", got)
	}
}

func TestFinalizeSortsAndRemapsHighlights(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	r := &Report{Files: []File{{
		Path: "a.har",
		Findings: []Finding{
			{Rule: "b-info", Severity: SeverityInfo},
			{Rule: "late-error", Severity: SeverityError, Evidence: []Evidence{{Ref: "entries[9]", Time: At(t0.Add(time.Minute))}}},
			{Rule: "early-error", Severity: SeverityError, Evidence: []Evidence{{Ref: "entries[1]", Time: At(t0)}}},
		},
		Timeline: []TimelineEvent{{Ref: "entries[1]", Highlight: []int{2}}, {Ref: "entries[9]", Highlight: []int{0, 1}}},
	}}}
	Finalize(r)
	var got []string
	for _, f := range r.Files[0].Findings {
		got = append(got, f.Rule)
	}
	if diff := cmp.Diff([]string{"early-error", "late-error", "b-info"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{0}, r.Files[0].Timeline[0].Highlight); diff != "" {
		t.Errorf("highlight of entries[1] (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2}, r.Files[0].Timeline[1].Highlight); diff != "" {
		t.Errorf("highlight of entries[9] (-want +got):\n%s", diff)
	}
	if r.SchemaVersion != 1 || r.Summary.Findings != 3 {
		t.Errorf("Finalize left schema %d, findings %d", r.SchemaVersion, r.Summary.Findings)
	}
}

func TestTableCapsNotesPerKind(t *testing.T) {
	f := File{Path: "cap.pcapng", Format: "pcap"}
	for i := 0; i < 7; i++ {
		f.Notes = append(f.Notes, Note{Kind: "tls-no-keys", Ref: "frame " + string(rune('1'+i)), Message: "no key"})
	}
	f.Notes = append(f.Notes, Note{Kind: "truncated", Message: "cut"})
	r := &Report{SchemaVersion: SchemaVersion, Files: []File{f}}
	var buf bytes.Buffer
	if err := (TableWriter{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	want := "note: cap.pcapng frame 1: tls-no-keys: no key\n" +
		"note: cap.pcapng frame 2: tls-no-keys: no key\n" +
		"note: cap.pcapng frame 3: tls-no-keys: no key\n" +
		"note: cap.pcapng: truncated: cut\n" +
		"note: cap.pcapng: 4 more tls-no-keys notes\n" +
		"no findings in 1 file\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("table notes (-want +got):\n%s", diff)
	}
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in    string
		width int
		want  string
	}{
		{"a b c", 10, "a b c"},
		{"alpha beta gamma", 10, "alpha beta\ngamma"},
		{"testdata/lab/scenarios/code-reuse-reload/trace.har", 24, "testdata/lab/scenarios/\ncode-reuse-reload/\ntrace.har"},
		{"abcdefghijklmnopqrstuvwxyz", 10, "abcdefghij\nklmnopqrst\nuvwxyz"},
		{"", 5, ""},
	}
	for _, tt := range tests {
		if got := wrap(tt.in, tt.width); got != tt.want {
			t.Errorf("wrap(%q, %d) = %q, want %q", tt.in, tt.width, got, tt.want)
		}
	}
}

// TestTableWidths renders the scan table at 80, 120 and 200 columns: every
// line of the output fits (colour codes aside), narrow terminals get one
// block per finding, wide ones a table; golden files pin each layout.
func TestTableWidths(t *testing.T) {
	ansi := regexp.MustCompile(`\x1b\[[0-9;]*m`)
	for _, fixture := range []string{"signin.json", "hostile"} {
		var r *Report
		if fixture == "hostile" {
			r = hostileReport(hostilePayload)
		} else {
			r = readFixture(t, fixture)
		}
		Finalize(r)
		for _, width := range []int{80, 120, 200} {
			var out, diag bytes.Buffer
			tw := TableWriter{Width: width, Diag: &diag, Color: true}
			if err := tw.Write(&out, r); err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(out.String()+diag.String(), "\n") {
				if n := utf8.RuneCountInString(ansi.ReplaceAllString(line, "")); n > width {
					t.Errorf("%s at %d columns: a line of %d columns: %q", fixture, width, n, line)
				}
			}
			if table := strings.Contains(out.String(), "┌"); table != (width >= BlockBelow) && len(r.Files[0].Findings) > 0 {
				t.Errorf("%s at %d columns: table layout = %v", fixture, width, table)
			}
			if strings.Contains(out.String(), "note:") || !strings.Contains(diag.String(), "in ") {
				t.Errorf("%s at %d columns: notes or summary not on the diagnostic stream", fixture, width)
			}
			plain := TableWriter{Width: width}
			var both bytes.Buffer
			if err := plain.Write(&both, r); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, fmt.Sprintf("%s.w%d.table", strings.TrimSuffix(fixture, ".json"), width), both.Bytes())
		}
	}
}
