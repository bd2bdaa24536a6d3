package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/internal/hostile"
)

// TestMain lets the test binary act as the CLI, so tests can run it as a
// child process and measure what a user would see: exit code, stderr, peak
// memory.
func TestMain(m *testing.M) {
	if os.Getenv("TRACEAUDIT_TEST_AS_CLI") == "1" {
		env := environment{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
			isTerminal: func(any) bool { return false }}
		code := run(os.Args[1:], env)
		// The peak resident size of this process alone: rusage of a child
		// counts the parent's size before exec, /proc's VmHWM does not.
		if out := os.Getenv("TRACEAUDIT_TEST_HWM_FILE"); out != "" {
			if status, err := os.ReadFile("/proc/self/status"); err == nil {
				for _, line := range strings.Split(string(status), "\n") {
					if strings.HasPrefix(line, "VmHWM:") {
						os.WriteFile(out, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "VmHWM:"), "kB"))), 0o644)
					}
				}
			}
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// Stated bounds for one hostile input on the default limits. They catch
// bombs and hangs, not slowness: real inputs are far below them.
const (
	hostileMaxRSSKiB = 512 << 10 // 512 MiB
	hostileTimeout   = 90 * time.Second
)

type childResult struct {
	code     int
	stderr   string
	maxRSS   int64 // KiB
	duration time.Duration
}

func runChild(t *testing.T, args ...string) childResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hostileTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	hwm := filepath.Join(t.TempDir(), "hwm")
	cmd.Env = append(os.Environ(), "TRACEAUDIT_TEST_AS_CLI=1", "TRACEAUDIT_TEST_HWM_FILE="+hwm)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	res := childResult{stderr: stderr.String(), duration: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("%v: still running after %s", args, hostileTimeout)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("%v: %v", args, err)
	}
	if b, err := os.ReadFile(hwm); err == nil {
		res.maxRSS, _ = strconv.ParseInt(string(b), 10, 64)
	} else if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.maxRSS = ru.Maxrss // an upper bound where /proc is missing
	}
	return res
}

// TestHostileCorpus scans every hostile input and every truncation of the
// real traces: each must end with exit 0, 1 or 2, never a panic, with a
// message naming the file when it could not be read, within the bounds.
func TestHostileCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("generates about 90 MB of hostile files; run without -short")
	}
	dir := t.TempDir()
	cases, err := hostile.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.Glob(filepath.Join(samples, "*.har"))
	lab, _ := filepath.Glob("../../testdata/lab/scenarios/*/*.pcap*")
	real = append(real, lab...)
	etls, _ := filepath.Glob("../../pcap/etl/testdata/*.etl")
	real = append(real, etls...)
	real = append(real, "../../pcap/testdata/pktmon-wifi-http.etl")
	cuts, err := hostile.Truncations(dir, real)
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, cuts...)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			// Each case is a process of its own: two at a time (go test's
			// -parallel) on a machine of two cores.
			t.Parallel()
			args := []string{"scan", "-f", "json", "-o", os.DevNull}
			for _, a := range c.Args {
				args = append(args, strings.ReplaceAll(a, "DIR", dir))
			}
			path := filepath.Join(dir, c.Name)
			res := runChild(t, append(args, path)...)
			t.Logf("%s: exit %d, %s, peak %d MiB", c.Why, res.code, res.duration.Round(time.Millisecond), res.maxRSS>>10)
			if res.code < 0 || res.code > 2 {
				t.Errorf("exit %d, want 0, 1 or 2", res.code)
			}
			if strings.Contains(res.stderr, "panic") || strings.Contains(res.stderr, "goroutine ") || strings.Contains(res.stderr, "internal error") {
				t.Errorf("crashed: %s", firstLine(res.stderr))
			}
			if res.code == exitTrouble && !strings.Contains(res.stderr, c.Name) && !strings.Contains(res.stderr, "keylog") {
				t.Errorf("exit 2 without naming the input: %q", firstLine(res.stderr))
			}
			if res.maxRSS > hostileMaxRSSKiB {
				t.Errorf("peak memory %d MiB, bound %d MiB", res.maxRSS>>10, hostileMaxRSSKiB>>10)
			}
		})
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
