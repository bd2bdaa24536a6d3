package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/httpwire"
	"github.com/traceaudit/traceaudit/internal/leakcorpus"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/saz"
)

// leakRuns are every command × format that reads traces.
var leakRuns = [][]string{
	{"scan", "-f", "table"}, {"scan", "-f", "json"}, {"scan", "-f", "jsonl"}, {"scan", "-f", "sarif"},
	{"scan", "-f", "markdown"}, {"scan", "-f", "html"},
	{"events", "-f", "table"}, {"events", "-f", "json"}, {"events", "-f", "jsonl"},
	{"exchanges", "-f", "table"}, {"exchanges", "-f", "json"}, {"exchanges", "-f", "jsonl"},
}

func leakFiles(t *testing.T) map[string]string {
	t.Helper()
	files, err := leakcorpus.Files(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sortedNames(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkLeakOutputs runs every command and format over the leak corpus
// (stdout, stderr and an -o file) and fails on any marker or JWT shape.
func checkLeakOutputs(t *testing.T, files map[string]string) {
	for _, name := range sortedNames(files) {
		path := files[name]
		for _, args := range reportRuns(leakRuns) {
			a := append(append([]string(nil), args...), "--password", leakcorpus.Password, "--fail-on", "never", path)
			code, stdout, stderr := runCLI(t, nil, a...)
			if code != exitOK {
				t.Errorf("%s %s: exit %d: %s", strings.Join(args, " "), name, code, stderr)
			}
			for _, l := range leakcorpus.Leaks([]byte(stdout + stderr)) {
				t.Errorf("%s %s: %s", strings.Join(args, " "), name, l)
			}
		}
		out := filepath.Join(t.TempDir(), "report.html")
		runCLI(t, nil, "scan", "-f", "html", "--password", leakcorpus.Password, "-o", out, path)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range leakcorpus.Leaks(data) {
			t.Errorf("scan -o %s: %s", name, l)
		}
	}
	// The checks can fail: with --no-redact the markers and tokens show.
	_, stdout, _ := runCLI(t, nil, "exchanges", "-f", "jsonl", "--no-redact", files["leak.har"])
	if len(leakcorpus.Leaks([]byte(stdout))) == 0 {
		t.Error("--no-redact showed no marker: the leak check proves nothing")
	}
}

// sazContents reads every member of a SAZ with archive/zip, message bodies
// decoded, as one text per member.
func sazContents(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("copy is not a zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		text := b
		if head, body, ok := bytes.Cut(b, []byte("\r\n\r\n")); ok {
			for _, line := range strings.Split(string(head), "\r\n") {
				if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Encoding") {
					if dec, _, err := httpwire.DecodeContent(strings.TrimSpace(v), body, 64<<20); err == nil {
						text = append(append(append([]byte(nil), head...), "\r\n\r\n"...), dec...)
					}
				}
			}
		}
		out[f.Name] = text
	}
	return out
}

// TestLeakCorpusRedact: redact copies of the leak corpus carry no marker
// and no JWT shape (SAZ members read back with archive/zip and decoded),
// are still valid (same entries, same members, same exchanges) and scan to
// the same findings.
func TestLeakCorpusRedact(t *testing.T) {
	files := leakFiles(t)
	if orig, err := os.ReadFile(files["leak.har"]); err != nil || len(leakcorpus.Leaks(orig)) < 10 {
		t.Fatalf("the corpus hides too few markers for the check to prove anything (%v)", err)
	}
	for _, name := range sortedNames(files) {
		in := files[name]
		if strings.HasSuffix(name, ".pcap") {
			continue // redact refuses captures
		}
		out := filepath.Join(t.TempDir(), "copy-"+strings.TrimSuffix(name, ".gz"))
		code, _, stderr := runCLI(t, nil, "redact", "--password", leakcorpus.Password, in, "-o", out)
		if code != exitOK {
			t.Errorf("redact %s: exit %d: %s", name, code, stderr)
			continue
		}
		for _, l := range leakcorpus.Leaks([]byte(stderr)) {
			t.Errorf("redact %s stderr: %s", name, l)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".saz") {
			orig, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			members := sazContents(t, data)
			for m, text := range members {
				for _, l := range leakcorpus.Leaks(text) {
					t.Errorf("redact %s: member %s: %s", name, m, l)
				}
			}
			want := memberNames(t, orig)
			if got := sortedNames(map[string]string(stringKeys(members))); !reflect.DeepEqual(want, got) {
				t.Errorf("redact %s: members %q, want %q", name, got, want)
			}
			if a, b := sazExchanges(t, orig, leakcorpus.Password), sazExchanges(t, data, ""); a != b {
				t.Errorf("redact %s: copy has %d exchanges, original %d", name, b, a)
			}
		} else {
			for _, l := range leakcorpus.Leaks(data) {
				t.Errorf("redact %s: %s", name, l)
			}
			var doc struct {
				Log struct {
					Version string            `json:"version"`
					Entries []json.RawMessage `json:"entries"`
				} `json:"log"`
			}
			if err := json.Unmarshal(data, &doc); err != nil || doc.Log.Version != "1.2" || len(doc.Log.Entries) != len(leakcorpus.Exchanges()) {
				t.Errorf("redact %s: copy is not the same HAR 1.2 (%v, version %q, %d entries)", name, err, doc.Log.Version, len(doc.Log.Entries))
			}
		}
		if want, got := leakFindingKeys(t, in), leakFindingKeys(t, out); !reflect.DeepEqual(want, got) {
			t.Errorf("%s: findings changed by redaction:\n want %q\n got  %q", name, want, got)
		}
	}
}

func stringKeys(m map[string][]byte) map[string]string {
	out := map[string]string{}
	for k := range m {
		out[k] = k
	}
	return out
}

func memberNames(t *testing.T, data []byte) []string {
	var names []string
	err := saz.Members(bytes.NewReader(data), int64(len(data)), saz.Options{Password: leakcorpus.Password}, func(m saz.Member) error {
		names = append(names, m.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	return names
}

func sazExchanges(t *testing.T, data []byte, password string) int {
	r, err := saz.NewReader(bytes.NewReader(data), int64(len(data)), saz.Options{Password: password})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return len(exs)
}

func leakFindingKeys(t *testing.T, path string) []string {
	t.Helper()
	_, out, stderr := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", "--password", leakcorpus.Password, path)
	var doc scanDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
		t.Fatalf("scan %s: %v %s", path, err, stderr)
	}
	var keys []string
	for _, f := range doc.Files[0].Findings {
		var refs []string
		for _, e := range f.Evidence {
			refs = append(refs, e.Ref)
		}
		keys = append(keys, f.Rule+" "+f.Code+" "+strings.Join(refs, ","))
	}
	return keys
}

// TestRedactRefusesSurvivingSecret: a token the rewrite cannot reach (in
// a body typed as an image) makes redact exit 2 naming the entry and the
// byte offset, without the value, and write no copy — to a file or to
// stdout.
func TestRedactRefusesSurvivingSecret(t *testing.T) {
	tok := leakcorpus.JWT(90)
	h, err := leakcorpus.HAR([]leakcorpus.Exchange{
		{Method: "GET", URL: "https://app.example/", Status: 200, RespMIME: "text/html", RespBody: "<p>ok</p>"},
		{Method: "GET", URL: "https://app.example/logo.png", Status: 200, RespMIME: "image/png", RespBody: "\x89PNG " + tok},
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.har")
	if err := os.WriteFile(in, h, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.har")
	code, stdout, stderr := runCLI(t, nil, "redact", in, "-o", out)
	if code != exitTrouble || !strings.Contains(stderr, "a JWT survived redaction at entries[1] byte ") {
		t.Errorf("exit %d, stderr %q; want 2 naming entries[1] and a byte offset", code, stderr)
	}
	if strings.Contains(stdout+stderr, tok[:30]) {
		t.Error("the refusal shows the token")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused copy was written")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left beside the output: %d entries", len(entries))
	}
	code, stdout, _ = runCLI(t, nil, "redact", in, "-o", "-")
	if code != exitTrouble || stdout != "" {
		t.Errorf("redact -o -: exit %d, %d bytes on stdout; want 2 and nothing", code, len(stdout))
	}
}
