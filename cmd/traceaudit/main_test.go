package main

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

const samples = "../../testdata/samples"

// runCLI runs the CLI in-process and returns its exit code and outputs.
func runCLI(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	return runCLIWith(stdin, func(env *environment) {
		// Every CLI test runs with the HAR and capture readers poisoning
		// the bodies (and the HAR reader the header lists) handed back to
		// them: golden files and the case tests fail if any path reads one
		// after handing it back.
		env.poisonBodies = true
	}, args...)
}

// runCLIWith runs the CLI on args with stdin, no terminal and an empty
// environment, as edit leaves env, and returns its exit code, standard
// output and standard error.
func runCLIWith(stdin []byte, edit func(env *environment), args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	env := environment{
		stdin:      bytes.NewReader(stdin),
		stdout:     &out,
		stderr:     &errb,
		getenv:     func(string) string { return "" },
		isTerminal: func(any) bool { return false },
	}
	edit(&env)
	code := run(args, env)
	return code, out.String(), errb.String()
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"scan"},
		{"scan", "--format", "pdf", samples},
		{"events", "--format", "sarif", samples},
		{"scan", "--fail-on", "sometimes", samples},
		{"scan", "--progress", "maybe", samples},
		{"explain"},
		{"explain", "no-such-rule"},
		{"scan", "--no-such-flag", samples},
	} {
		code, _, stderr := runCLI(t, nil, args...)
		if code != exitTrouble {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if stderr == "" {
			t.Errorf("%q: no message on stderr", args)
		}
	}
}

func TestScanExitCodes(t *testing.T) {
	clean := filepath.Join(samples, "okta-har-analyzer-sample.har")
	reuse := filepath.Join(samples, "reuse-double-handler.har")
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"scan", clean}, exitOK},
		{[]string{"scan", reuse}, exitFindings},
		{[]string{"scan", "--fail-on", "never", reuse}, exitOK},
		{[]string{"scan", "--fail-on", "error", reuse}, exitFindings},
		{[]string{"scan", "-f", "json", reuse}, exitFindings},
		{[]string{"scan", "-f", "sarif", reuse}, exitFindings},
		{[]string{"events", reuse}, exitOK},
		{[]string{"exchanges", reuse}, exitOK},
		{[]string{"scan", reuse, "does-not-exist.har"}, exitTrouble},
	} {
		code, _, stderr := runCLI(t, nil, tc.args...)
		if code != tc.want {
			t.Errorf("%q: exit %d, want %d (stderr %q)", tc.args, code, tc.want, stderr)
		}
	}
}

// An unreadable input is reported with exit 2, and the others are still scanned.
func TestUnreadableInputDoesNotStopTheRest(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.har")
	if err := os.WriteFile(bad, []byte(`{"log": 42}`), 0o644); err != nil {
		t.Fatal(err)
	}
	reuse := filepath.Join(samples, "reuse-double-handler.har")
	code, out, stderr := runCLI(t, nil, "scan", "-f", "json", bad, reuse)
	if code != exitTrouble {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(stderr, "broken.har") {
		t.Errorf("stderr does not name the broken file: %q", stderr)
	}
	var doc struct {
		Files []struct {
			Path     string `json:"path"`
			Error    string `json:"error"`
			Findings []struct {
				Rule string `json:"rule"`
			} `json:"findings"`
		} `json:"files"`
		Summary struct{ Files, Findings, Errors int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if len(doc.Files) != 2 || doc.Files[0].Error == "" || len(doc.Files[1].Findings) == 0 {
		t.Fatalf("want the broken file with an error and the good one with findings, got %+v", doc.Files)
	}
	if doc.Summary.Errors != 1 || doc.Summary.Files != 2 {
		t.Errorf("summary %+v", doc.Summary)
	}
}

// Files in a directory that are not traces are skipped, not errors; a file
// named on the command line that is not a trace is an error.
func TestDirectoryScanSkipsNonTraces(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join(samples, "reuse-double-handler.har"), filepath.Join(dir, "a", "login.har"))
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("customer said it fails at 10:02\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, nil, "scan", "-f", "jsonl", dir)
	if code != exitFindings {
		t.Errorf("exit %d, want 1", code)
	}
	if n := strings.Count(out, "\n"); n != 1 {
		t.Errorf("jsonl has %d lines, want 1 (notes.txt skipped):\n%s", n, out)
	}
	code, _, stderr := runCLI(t, nil, "scan", filepath.Join(dir, "notes.txt"))
	if code != exitTrouble || !strings.Contains(stderr, "not a HAR, SAZ, pcap or pcapng") {
		t.Errorf("explicit non-trace: exit %d, stderr %q", code, stderr)
	}
}

func TestOutputIdenticalForAnyJobs(t *testing.T) {
	for _, format := range []string{"json", "jsonl", "table", "markdown", "sarif"} {
		_, one, _ := runCLI(t, nil, "scan", "-j", "1", "-f", format, samples)
		_, four, _ := runCLI(t, nil, "scan", "-j", "4", "-f", format, samples)
		if one != four {
			t.Errorf("%s: -j 1 and -j 4 differ", format)
		}
		if one == "" {
			t.Errorf("%s: empty output", format)
		}
	}
}

func TestStdinAndCompressedHAR(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(samples, "reuse-double-handler.har"))
	if err != nil {
		t.Fatal(err)
	}
	var gz, zl bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(raw)
	gw.Close()
	zw := zlib.NewWriter(&zl)
	zw.Write(raw)
	zw.Close()
	_, want, _ := runCLI(t, raw, "exchanges", "-f", "jsonl", "-")
	if strings.Count(want, "\n") != 5 {
		t.Fatalf("stdin HAR: want 5 exchanges, got:\n%s", want)
	}
	for name, data := range map[string][]byte{"gzip": gz.Bytes(), "zlib": zl.Bytes()} {
		code, got, stderr := runCLI(t, data, "exchanges", "-f", "jsonl", "-")
		if code != exitOK || got != want {
			t.Errorf("%s HAR on stdin: exit %d, stderr %q, output differs from plain", name, code, stderr)
		}
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte("\xef\xbb\xbf{\"log\":{}}"), "har"},
		{[]byte("  \n{"), "har"},
		{[]byte("PK\x03\x04rest"), "saz"},
		{[]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0}, "pcap"},
		{[]byte{0x4d, 0x3c, 0xb2, 0xa1}, "pcap"},
		{[]byte{0x0a, 0x0d, 0x0d, 0x0a}, "pcap"},
		// Kuznetzov's modified pcap, which the pcap reader reads: the
		// capture magic numbers are pcap.Sniff's alone now.
		{[]byte{0x34, 0xcd, 0xb2, 0xa1}, "pcap"},
		{[]byte("GET / HTTP/1.1\r\n"), ""},
		{[]byte{}, ""},
		{[]byte{0x1f, 0x8b}, ""},
	} {
		if got := string(sniff(tc.in)); got != tc.want {
			t.Errorf("sniff(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRulesAndExplain(t *testing.T) {
	code, out, _ := runCLI(t, nil, "rules")
	if code != exitOK {
		t.Fatalf("rules: exit %d", code)
	}
	for _, id := range []string{"code-reuse", "redirect-uri-mismatch", "code-expired", "multi-tab-race"} {
		if !strings.Contains(out, id) {
			t.Errorf("rules does not list contract rule %s", id)
		}
		code, doc, _ := runCLI(t, nil, "explain", id)
		if code != exitOK || !strings.HasPrefix(doc, id) || len(doc) < 200 {
			t.Errorf("explain %s: exit %d, %d bytes", id, code, len(doc))
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Shards partition the inputs: every file lands in exactly one shard.
func TestShardPartition(t *testing.T) {
	const n = 3
	_, all, _ := runCLI(t, nil, "exchanges", "-f", "jsonl", samples)
	var joined []string
	for k := 1; k <= n; k++ {
		code, out, stderr := runCLI(t, nil, "exchanges", "-f", "jsonl", "--shard", fmt.Sprintf("%d/%d", k, n), samples)
		if code != exitOK {
			t.Fatalf("shard %d/%d: exit %d %s", k, n, code, stderr)
		}
		joined = append(joined, strings.Split(strings.TrimSpace(out), "\n")...)
	}
	want := strings.Split(strings.TrimSpace(all), "\n")
	sort.Strings(joined)
	sort.Strings(want)
	if strings.Join(joined, "\n") != strings.Join(want, "\n") {
		t.Errorf("the shards' union differs from the whole run")
	}
	for _, bad := range []string{"0/3", "4/3", "1/0", "a/b", "1/3x"} {
		if code, _, _ := runCLI(t, nil, "scan", "--shard", bad, samples); code != exitTrouble {
			t.Errorf("--shard %s: exit %d, want 2", bad, code)
		}
	}
}

// Progress goes to stderr only on a terminal (or when forced), never into a pipe.
func TestProgressOnlyOnTerminal(t *testing.T) {
	run := func(terminal bool, args ...string) string {
		var out, errb bytes.Buffer
		env := environment{stdin: bytes.NewReader(nil), stdout: &out, stderr: &errb,
			getenv: func(string) string { return "" }, isTerminal: func(any) bool { return terminal }}
		run(args, env)
		return errb.String()
	}
	if got := run(false, "scan", "-f", "json", samples); got != "" {
		t.Errorf("progress in a pipe: %q", got)
	}
	if got := run(true, "scan", "-f", "json", samples); !strings.Contains(got, "files") || !strings.Contains(got, "findings") {
		t.Errorf("no progress on a terminal: %q", got)
	}
	if got := run(true, "scan", "--progress", "never", "-f", "json", samples); got != "" {
		t.Errorf("--progress never printed %q", got)
	}
	if got := run(false, "scan", "--progress", "always", "-f", "json", samples); !strings.Contains(got, "7/7 files") {
		t.Errorf("--progress always printed %q", got)
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"scan", "--help"}, {"events", "-h"}, {"redact", "--help"}, {"compare", "--help"}, {"bundle", "-h"}} {
		if code, _, _ := runCLI(t, nil, args...); code != exitOK {
			t.Errorf("%q: exit %d, want 0", args, code)
		}
	}
}

// A limit that stops reading names the flag that raises it, and raising it
// reads further.
func TestLimitsNameTheirFlag(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "deep.har")
	body := `{"log":{"pages":` + strings.Repeat("[", 3000) + strings.Repeat("]", 3000) + `,"entries":[` +
		`{"startedDateTime":"2026-11-26T10:00:00Z","request":{"method":"GET","url":"https://a.example/","headers":[]},"response":{"status":200,"headers":[]}}]}}`
	if err := os.WriteFile(deep, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, nil, "exchanges", deep)
	if code != exitTrouble || !strings.Contains(stderr, "--limit-json-depth") {
		t.Errorf("deep JSON: exit %d, stderr %q: want exit 2 naming --limit-json-depth", code, stderr)
	}
	code, out, stderr := runCLI(t, nil, "exchanges", "-f", "jsonl", "--limit-json-depth", "5000", deep)
	if code != exitOK || strings.Count(out, "\n") != 1 {
		t.Errorf("raised limit: exit %d, %q, %q", code, out, stderr)
	}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	small := filepath.Join(dir, "small.har.gz")
	if err := os.WriteFile(small, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ = runCLI(t, nil, "exchanges", "-f", "json", "--limit-json-depth", "5000", "--limit-inflate", "1000", small)
	if !strings.Contains(out, "--limit-inflate") {
		t.Errorf("inflate limit note does not name --limit-inflate: %s", out)
	}

	// The README promises the hint for the SAZ member bound too.
	saz := filepath.Join("..", "..", "saz", "testdata", "lab", "code-reuse-reload-fosite.saz")
	code, _, stderr = runCLI(t, nil, "scan", "--limit-members", "1", saz)
	if code != exitTrouble || !strings.Contains(stderr, "(raise it with --limit-members)") {
		t.Errorf("member limit: exit %d, stderr %q: want exit 2 naming --limit-members", code, stderr)
	}
	if code, _, stderr = runCLI(t, nil, "scan", "--fail-on", "never", saz); code != exitOK {
		t.Errorf("default member limit: exit %d, %s", code, stderr)
	}
}

// Every reader bound has the flag limitHint names.
func TestEveryLimitHasItsFlag(t *testing.T) {
	var o options
	fs := traceFlags("scan", environment{}, &o)
	for _, l := range []model.Limit{model.LimitBody, model.LimitInflate, model.LimitArchiveInflate, model.LimitMembers,
		model.LimitHeaders, model.LimitHeaderBytes, model.LimitJSONDepth} {
		if fs.Lookup(strings.TrimPrefix(limitFlag(l), "--")) == nil {
			t.Errorf("no flag %s for limit %q", limitFlag(l), l)
		}
	}
}
