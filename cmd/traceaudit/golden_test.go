package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden (review the diff before committing)")

// TestGoldenOutputs pins what each command writes for the bundled samples,
// so a change in rendering (or anywhere below it) shows up as a reviewed
// diff. Run `go test ./cmd/traceaudit -run TestGoldenOutputs -update` to
// rewrite the files after an intended change.
func TestGoldenOutputs(t *testing.T) {
	names, err := filepath.Glob(filepath.Join(samples, "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	runs := []struct{ cmd, format string }{
		{"exchanges", "table"}, {"exchanges", "jsonl"},
		{"events", "table"}, {"events", "jsonl"},
		{"scan", "table"}, {"scan", "jsonl"},
	}
	goldenDir, err := filepath.Abs(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, path := range names {
		base := filepath.Base(path)
		if strings.HasSuffix(base, ".md") {
			continue
		}
		for _, r := range runs {
			n++
			// Inputs are named relative to the samples so the files do
			// not depend on the test's directory.
			code, stdout, stderr := runCLIIn(t, samples, r.cmd, "--format", r.format, base)
			if code == exitTrouble {
				t.Fatalf("%s %s %s: exit 2: %s", r.cmd, r.format, base, stderr)
			}
			golden := filepath.Join(goldenDir, base+"."+r.cmd+"."+r.format)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if d := cmp.Diff(string(want), stdout); d != "" {
				t.Errorf("%s differs (-want +got):\n%s", filepath.Base(golden), d)
			}
		}
	}
	if n == 0 {
		t.Fatal("no samples found")
	}
}

// runCLIIn is runCLI with dir as the working directory.
func runCLIIn(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	t.Chdir(dir)
	return runCLI(t, nil, args...)
}
