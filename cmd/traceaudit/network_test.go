package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoNetwork runs full scans, in every report format, over the samples
// and the lab captures inside a new network namespace (no interface but a
// down loopback) and under strace, and fails if traceaudit creates any
// network socket or if the result differs from a scan with the network. traceaudit must never open a connection: traces are a
// customer's secret.
func TestNoNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CLI under unshare and strace; run without -short")
	}
	for _, tool := range []string{"unshare", "strace"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (.ci/run installs it)", tool)
		}
	}
	if err := exec.Command("unshare", "-n", "true").Run(); err != nil {
		t.Skipf("cannot create a network namespace here: %v", err)
	}
	inputs := []string{samples}
	lab, _ := filepath.Glob("../../testdata/lab/scenarios/*/capture-dsb.pcapng")
	inputs = append(inputs, lab...)
	for _, format := range []string{"table", "json", "sarif", "markdown", "html"} {
		trace := filepath.Join(t.TempDir(), "strace.log")
		report := filepath.Join(t.TempDir(), "report")
		args := append([]string{"-n", "strace", "-f", "-qq", "-e", "trace=socket,connect,sendto,sendmsg", "-o", trace,
			os.Args[0], "scan", "-f", format, "-o", report, "--fail-on", "never"}, inputs...)
		cmd := exec.Command("unshare", args...)
		cmd.Env = append(os.Environ(), "TRACEAUDIT_TEST_AS_CLI=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: scan without network failed: %v\n%s", format, err, out)
		}
		// The same result as with the network present.
		got, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		_, want, _ := runCLI(t, nil, append([]string{"scan", "-f", format, "--fail-on", "never"}, inputs...)...)
		if string(got) != want {
			t.Errorf("%s: the scan without network differs from the scan with it", format)
		}
		log, err := os.ReadFile(trace)
		if err != nil {
			t.Fatal(err)
		}
		inet := regexp.MustCompile(`(socket\(AF_INET|socket\(AF_INET6|connect\()`)
		for _, line := range strings.Split(string(log), "\n") {
			if inet.MatchString(line) {
				t.Errorf("%s: network system call: %s", format, line)
			}
		}
	}
}
