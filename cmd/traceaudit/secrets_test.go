package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/traceaudit/traceaudit/secret"
)

// harSecrets lists the secret values a HAR carries, found independently of
// traceaudit's extraction: secret parameters in every URL, form body and
// JSON body, hidden form_post inputs, cookie values and Authorization
// credentials. Short values are left out: they would match by chance.
func harSecrets(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	add := func(v string) {
		if len(v) >= 8 && !secret.IsFingerprint(v) && v != secret.Mask(v) {
			seen[v] = true
		}
	}
	addPairs := func(s string) {
		vals, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		for k, vs := range vals {
			if secret.IsSecretParam(k) || secret.IsMaskedParam(k) {
				for _, v := range vs {
					add(v)
				}
			}
		}
	}
	addURL := func(u string) {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			q := u[i+1:]
			if j := strings.IndexByte(q, '#'); j >= 0 {
				q = q[:j]
			}
			addPairs(q)
		}
		if i := strings.IndexByte(u, '#'); i >= 0 {
			addPairs(u[i+1:])
		}
	}
	hidden := regexp.MustCompile(`(?i)<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"`)
	gjson.GetBytes(data, "log.entries").ForEach(func(_, e gjson.Result) bool {
		addURL(e.Get("request.url").String())
		for _, side := range []string{"request", "response"} {
			e.Get(side + ".headers").ForEach(func(_, h gjson.Result) bool {
				name, value := strings.ToLower(h.Get("name").String()), h.Get("value").String()
				switch name {
				case "location", "referer":
					addURL(value)
				case "authorization":
					if _, cred, ok := strings.Cut(value, " "); ok {
						add(cred)
					}
				case "cookie":
					for _, c := range strings.Split(value, ";") {
						if _, v, ok := strings.Cut(c, "="); ok {
							add(strings.TrimSpace(v))
						}
					}
				case "set-cookie":
					first, _, _ := strings.Cut(value, ";")
					if _, v, ok := strings.Cut(first, "="); ok {
						add(v)
					}
				}
				return true
			})
		}
		addPairs(e.Get("request.postData.text").String())
		e.Get("request.postData.params").ForEach(func(_, p gjson.Result) bool {
			if secret.IsSecretParam(p.Get("name").String()) {
				add(p.Get("value").String())
			}
			return true
		})
		body := e.Get("response.content.text").String()
		var obj map[string]any
		if json.Unmarshal([]byte(body), &obj) == nil {
			for k, v := range obj {
				if s, ok := v.(string); ok && secret.IsSecretParam(k) {
					add(s)
				}
			}
		}
		for _, m := range hidden.FindAllStringSubmatch(body, -1) {
			if secret.IsSecretParam(m[1]) {
				add(m[2])
			}
		}
		return true
	})
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	return out
}

// TestNoRawSecretInAnyOutput runs every command and format over the samples
// and the lab recordings (each HAR, and the capture of the same sign-in,
// whose secrets the HAR reveals) and fails on any raw secret in stdout,
// stderr or an -o file; with --no-redact the secrets must appear (so the
// test can fail). It then does the same over the leak corpus
// (internal/leakcorpus: marker secrets in every place a trace hides one,
// as HAR, gzip HAR, SAZ plain, ZipCrypto, AES and gzip-encoded, and a
// capture), where no marker and no JWT shape at any URL-encoding depth may
// appear.
func TestNoRawSecretInAnyOutput(t *testing.T) {
	t.Run("leak-corpus", func(t *testing.T) { checkLeakOutputs(t, leakFiles(t)) })
	hars, err := filepath.Glob(filepath.Join(samples, "*.har"))
	if err != nil || len(hars) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	lab, _ := filepath.Glob("../../testdata/lab/scenarios/*/trace.har")
	hars = append(hars, sampleShort(lab)...)
	runs := reportRuns([][]string{
		{"scan", "-f", "table"}, {"scan", "-f", "json"}, {"scan", "-f", "jsonl"}, {"scan", "-f", "sarif"},
		{"scan", "-f", "markdown"}, {"scan", "-f", "html"},
		{"events", "-f", "table"}, {"events", "-f", "json"}, {"events", "-f", "jsonl"},
		{"exchanges", "-f", "table"}, {"exchanges", "-f", "json"}, {"exchanges", "-f", "jsonl"},
	})
	// Each file's runs are a parallel subtest: two at a time (go test's
	// -parallel) on a machine of two cores, in the tests step's tail, where
	// this package runs alone.
	total := 0
	t.Run("files", func(t *testing.T) {
		for _, f := range hars {
			secrets := harSecrets(t, f)
			total += len(secrets)
			t.Run(filepath.Base(filepath.Dir(f))+"-"+filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				checkNoRawSecret(t, f, secrets, runs)
			})
		}
	})
	if total == 0 {
		t.Fatal("the inputs carry no secrets: the test proves nothing")
	}
	// The opt-out really prints them: the check above can fail.
	f := filepath.Join(samples, "reuse-double-handler.har")
	_, stdout, _ := runCLI(t, nil, "events", "-f", "jsonl", "--no-redact", f)
	found := false
	for _, s := range harSecrets(t, f) {
		if strings.Contains(stdout, s) {
			found = true
		}
	}
	if !found {
		t.Error("--no-redact printed no secret at all")
	}
}

// checkNoRawSecret runs every command of runs, and scan -o into an HTML
// file, on the HAR f and the lab's capture beside it, and fails on any of
// secrets in their output.
func checkNoRawSecret(t *testing.T, f string, secrets []string, runs [][]string) {
	t.Helper()
	inputs := [][]string{{f}}
	if capture := filepath.Join(filepath.Dir(f), "capture-dsb.pcapng"); fileExists(capture) {
		inputs = append(inputs, []string{capture})
	}
	for _, in := range inputs {
		for _, args := range runs {
			_, stdout, stderr := runCLI(t, nil, append(append([]string(nil), args...), in...)...)
			for _, s := range secrets {
				if strings.Contains(stdout, s) || strings.Contains(stderr, s) {
					t.Errorf("%s %s: raw secret %s… in output", strings.Join(args, " "), in[0], s[:4])
				}
			}
		}
		out := filepath.Join(t.TempDir(), "report.html")
		runCLI(t, nil, append([]string{"scan", "-f", "html", "-o", out}, in...)...)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("scan -o %s: raw secret %s… in the file", in[0], s[:4])
			}
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
