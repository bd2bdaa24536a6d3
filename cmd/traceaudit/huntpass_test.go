package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// huntPass is one round's leak hunt over real recordings edited with its
// canaries (huntEditFiles): the files and how its canaries are found.
// checkOutputs and checkCopies are the two halves every such round runs;
// under -short (CI's race run) none runs: the rounds' hunts run the scan,
// redact and bundle paths of the first round's hunt (TestLeakHunt and
// TestLeakHuntRedact, which run under -short) with other canaries.
//
// The leak hunt tests run in parallel with each other: go test runs them,
// two at a time on two cores, once every sequential test of the package
// has ended, so no memory measurement shares the machine with them. Each
// hunt writes its files into temporary folders of its own, guards its memo
// with its own lock and runs the command with an environment of its own.
type huntPass struct {
	h     *hunt
	files map[string]string
	// encoded is the SAZ of another SAZ's exchanges with their bodies
	// encoded: the copies' concern, no report's.
	encoded string
	// saz is the SAZ that holds, with the HARs, every placement.
	saz   string
	leaks func([]byte) []huntLeak
	// harRuns are the runs of each HAR.
	harRuns                    [][]string
	pendingReport, pendingCopy map[string]bool
}

// huntShortKeeps reports whether the first round's hunt keeps file name under -short
// (CI's race step): the SAZ that holds the placements (saz) and the
// captures. The race detector looks for data races in the path, which is
// the same whatever canaries a file holds; the tests step, without
// -short, hunts every file of every round in every output.
func huntShortKeeps(name, saz string) bool {
	return name == saz || strings.HasSuffix(name, ".pcap") || strings.HasSuffix(name, ".pcapng")
}

// checkOutputs: no canary shows in any output of any command and format,
// and --no-redact shows some (the check can fail).
func (p huntPass) checkOutputs(t *testing.T) {
	t.Helper()
	seen := map[string]bool{}
	names := sortedNames(p.files)
	for _, name := range names {
		path := p.files[name]
		runs := huntRuns
		switch {
		case name == p.encoded:
			continue
		case strings.HasSuffix(name, ".har"):
			// Every entry is in the SAZ and the capture, which take
			// every run; a HAR adds its WebSocket messages and members.
			runs = p.harRuns
		}
		for _, args := range runs {
			a := append(append([]string(nil), args...), "--fail-on", "never", path)
			if args[0] == "compare" {
				a = append(append([]string(nil), args...), path, path)
			}
			code, stdout, stderr := runCLI(t, nil, a...)
			what := strings.Join(args, " ") + " " + name
			if code == exitTrouble {
				t.Errorf("%s: exit %d", what, code)
			}
			huntCheck(t, what, p.leaks([]byte(stdout+stderr)), p.pendingReport, seen)
		}
	}
	huntPendingLeft(t, p.pendingReport, seen)
	// With --no-redact the exchanges list shows the canaries it prints
	// (those of URLs and Locations; the reports show no body).
	shown := 0
	for _, name := range names {
		_, stdout, _ := runCLI(t, nil, "exchanges", "-f", "json", "--no-redact", p.files[name])
		shown += len(p.leaks([]byte(stdout)))
	}
	if shown < 5 {
		t.Errorf("--no-redact showed %d canaries of %d: the hunt proves nothing", shown, len(p.h.places))
	}
}

// checkCopies: every placement is in the input, and redact's and bundle's
// copies (SAZ members read back and decoded, members of a bundled SAZ too)
// carry no canary.
func (p huntPass) checkCopies(t *testing.T) {
	t.Helper()
	// Each file and SAZ member on its own: leaks stops at 80 findings.
	found := map[string]bool{}
	for _, name := range sortedNames(p.files) {
		b, err := os.ReadFile(p.files[name])
		if err != nil {
			t.Fatal(err)
		}
		var parts [][]byte
		switch {
		case strings.HasSuffix(name, ".har"):
			parts = append(parts, b)
		case name == p.saz:
			for _, m := range sazContents(t, b) {
				parts = append(parts, m)
			}
		}
		for _, part := range parts {
			for _, l := range p.leaks(part) {
				found[l.place] = true
			}
		}
	}
	var missing []string
	for _, place := range p.h.places {
		if !found[place] {
			missing = append(missing, place)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Fatalf("the edited recordings do not hold %q: the check proves nothing for them", missing)
	}
	seen := map[string]bool{}
	for _, name := range sortedNames(p.files) {
		in := p.files[name]
		if !strings.HasSuffix(name, ".pcap") && !strings.HasSuffix(name, ".pcapng") {
			out := filepath.Join(t.TempDir(), "copy-"+name)
			code, _, stderr := runCLI(t, nil, "redact", in, "-o", out)
			if code != exitOK {
				t.Errorf("redact %s: exit %d: %s", name, code, stderr)
				continue
			}
			huntCheck(t, "redact "+name+" stderr", p.leaks([]byte(stderr)), p.pendingCopy, seen)
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(name, ".saz") {
				members := sazContents(t, data)
				for _, m := range sortedNames(stringKeys(members)) {
					huntCheck(t, "redact "+name+": member "+m, p.leaks(members[m]), p.pendingCopy, seen)
				}
			} else {
				huntCheck(t, "redact "+name, p.leaks(data), p.pendingCopy, seen)
			}
		}
		out := filepath.Join(t.TempDir(), "case.zip")
		code, stdout, stderr := runCLI(t, nil, "bundle", "--fail-on", "never", in, "-o", out)
		if code != exitOK {
			t.Errorf("bundle %s: exit %d", name, code)
			continue
		}
		huntCheck(t, "bundle "+name+" output", p.leaks([]byte(stdout+stderr)), p.pendingCopy, seen)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		members := sazContents(t, data)
		for _, m := range sortedNames(stringKeys(members)) {
			huntCheck(t, "bundle "+name+": "+m, p.leaks(members[m]), p.pendingCopy, seen)
			if strings.HasSuffix(m, ".saz") {
				inner := sazContents(t, members[m])
				for _, im := range sortedNames(stringKeys(inner)) {
					huntCheck(t, "bundle "+name+": "+m+": "+im, p.leaks(inner[im]), p.pendingCopy, seen)
				}
			}
		}
	}
	huntPendingLeft(t, p.pendingCopy, seen)
}
