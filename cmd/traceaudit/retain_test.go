package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

// repoTraces lists every trace in the repository's testdata folders (the
// samples, the lab scenarios in each form, the corpus copies of every
// package), fuzz corpora left out, each with the key log beside it.
func repoTraces(t *testing.T) [][]string {
	t.Helper()
	var out [][]string
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "fuzz" || name == "out" || strings.HasPrefix(name, ".") && path != "../.." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.Contains(filepath.ToSlash(path), "/testdata/") {
			return nil
		}
		switch ext := filepath.Ext(path); {
		case ext == ".har" || ext == ".saz" || ext == ".zhar" || strings.HasSuffix(path, ".har.gz"):
			out = append(out, []string{path})
		case ext == ".pcap" || ext == ".pcapng" || ext == ".cap":
			args := []string{path}
			if keys := filepath.Join(filepath.Dir(path), "keys.log"); isFile(keys) {
				args = []string{"--keylog", keys, path}
			}
			out = append(out, args)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 100 {
		t.Fatalf("found only %d traces under testdata", len(out))
	}
	return out
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// runCLIKeepAll is runCLI, with keepAll on the reference path: the rules get
// every exchange and the CLI keeps a row for each. With keepAll false, the
// HAR and capture readers also poison the body buffers handed back to them
// for reuse (the reference path hands none back).
func runCLIKeepAll(keepAll bool, args ...string) (int, string, string) {
	return runCLIWith(nil, func(env *environment) {
		env.keepAllExchanges, env.poisonBodies = keepAll, !keepAll
	}, args...)
}

// TestRetainedScanIdentical checks that keeping only the exchanges the
// rules read (retainer) and rows only for exchanges with events changes no
// byte of scan and events output, against the path that keeps everything,
// on every trace in the repository. Both paths run the same rules, so the
// test keeps holding while rules change; a rule that starts reading
// exchanges the retainer drops fails it. The retained path also hands bodies
// back to the HAR and capture readers for reuse, poisoned: anything that
// still reads a body it handed back (an event sharing its bytes) changes the
// output.
func TestRetainedScanIdentical(t *testing.T) {
	traces := repoTraces(t)
	// The corpus's redirects, cookies and tokens in URLs mostly sit on
	// exchanges with events; the customer-like HAR has them on others too:
	// the app's redirect that sets the transient cookies, an API call with
	// access_token in its URL, asset redirects and cookie-carrying calls.
	cust := filepath.Join(t.TempDir(), "customer.har")
	f, err := os.Create(cust)
	if err != nil {
		t.Fatal(err)
	}
	cfg := hargen.CustomerLike
	cfg.Entries, cfg.BodyBytes = 300, 200
	if _, err := hargen.Write(f, cfg); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	traces = append(traces, []string{cust})
	comparePaths(t, traces, [][]string{
		{"scan", "-f", "json", "--fail-on", "never"},
		{"scan", "-f", "json", "--fail-on", "never", "--no-redact"},
		{"events", "-f", "json"},
	}, runCLIKeepAll, "retained", "full")
}

// comparePaths runs every command on every trace through run(false, ...)
// and run(true, ...), two paths that must give the same exit code and the
// same bytes, named a and b in failures.
func comparePaths(t *testing.T, traces, cmds [][]string, run func(bool, ...string) (int, string, string), a, b string) {
	t.Helper()
	traces = sampleShortEvery(traces, shortCompareEvery)
	// The traces run two at a time (go test's -parallel, GOMAXPROCS by
	// default): each run is a process of its own in all but name (run
	// takes its whole environment), and this is the longest test of the
	// package, which go test's other packages have finished waiting for.
	t.Run("traces", func(t *testing.T) {
		for _, tr := range traces {
			t.Run(filepath.Base(tr[0]), func(t *testing.T) {
				t.Parallel()
				for _, cmd := range cmds {
					args := append(append(append([]string{}, cmd...), "--progress", "never"), tr...)
					codeA, outA, errA := run(false, args...)
					codeB, outB, errB := run(true, args...)
					if codeA != codeB || outA != outB || errA != errB {
						t.Errorf("%s: %s and %s paths differ (exit %d vs %d)\n%s:\n%.2000s\n%s:\n%.2000s",
							strings.Join(args, " "), a, b, codeA, codeB, a, outA+errA, b, outB+errB)
					}
				}
			})
		}
	})
	t.Logf("%d traces, %d commands each", len(traces), len(cmds))
}

// TestRetainerKeeps pins which exchanges the rules get whole: those with
// events, redirects, URLs with a token in the query, and the first with a
// cookie; not the rest.
func TestRetainerKeeps(t *testing.T) {
	get := func(url string, reqH, respH model.Headers) *model.Exchange {
		ex := &model.Exchange{Request: model.Request{Method: "GET", URL: url, Headers: reqH}}
		ex.Response = &model.Response{Status: 200, Headers: respH}
		return ex
	}
	cookie := model.Headers{{Name: "Cookie", Value: "a=1"}}
	for _, c := range []struct {
		name   string
		ex     *model.Exchange
		events int
		want   bool
	}{
		{"plain asset", get("https://cdn.example/app.js?v=1", nil, nil), 0, false},
		{"event", get("https://cdn.example/app.js", nil, nil), 1, true},
		{"redirect", get("https://app.example/", nil, model.Headers{{Name: "location", Value: "/x"}}), 0, true},
		{"token in query", get("https://api.example/me?x=1&access_token=abc", nil, nil), 0, true},
		{"escaped token name", get("https://api.example/me?id%5Ftoken=abc", nil, nil), 0, true},
		{"empty token", get("https://api.example/me?access_token=", nil, nil), 0, false},
		{"token in fragment", get("https://app.example/cb#access_token=abc", nil, nil), 0, true},
		{"token name in capitals", get("https://api.example/me?Access_Token=abc", nil, nil), 0, true},
		{"placeholder token", get("https://api.example/me?access_token=REDACTED", nil, nil), 0, true},
		{"first cookie", get("https://app.example/api", cookie, nil), 0, true},
		{"second cookie", get("https://app.example/api", cookie, nil), 0, false},
		{"no response", &model.Exchange{Request: model.Request{URL: "https://app.example/"}}, 0, false},
	} {
		var r retainer
		if c.name == "second cookie" {
			r.keep(get("https://app.example/", nil, model.Headers{{Name: "Set-Cookie", Value: "a=1"}}), 0)
		}
		if got := r.keep(c.ex, c.events); got != c.want {
			t.Errorf("%s: keep = %v, want %v", c.name, got, c.want)
		}
	}
}
