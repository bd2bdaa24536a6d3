package saz_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/internal/labexpect"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/saz"
	"github.com/traceaudit/traceaudit/saz/internal/har2saz"
)

// The rules find the same problems in a sign-in whether it arrives as the
// browser's HAR or as a SAZ of the same traffic: same rules, same codes,
// same evidence, entries[N] becoming session N+1.
func TestLabRulesSameOnSAZ(t *testing.T) {
	hars, _ := filepath.Glob(filepath.Join("..", "testdata", "lab", "scenarios", "*", "trace.har"))
	if len(hars) == 0 {
		t.Fatal("no lab scenarios")
	}
	found := 0
	for i, harPath := range hars {
		// Under -short (CI's race step) every fourth scenario: the same
		// reading paths, read several times slower under the detector;
		// go test ./... compares every scenario.
		if testing.Short() && i%4 != 0 {
			continue
		}
		dir := filepath.Dir(harPath)
		if p := labPending(t, dir); p != "" {
			// the rules cannot yet find the same story without HAR tabs
			t.Run(filepath.Base(dir), func(t *testing.T) { t.Skipf("pending: %s", p) })
			continue
		}
		harData, err := os.ReadFile(filepath.Join(dir, "trace.har"))
		if err != nil {
			t.Fatal(err)
		}
		hr, err := har.NewReader(bytes.NewReader(harData), har.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fromHAR := check(t, hr)
		sazData, err := har2saz.Convert(harData)
		if err != nil {
			t.Fatal(err)
		}
		sr, err := saz.NewReader(bytes.NewReader(sazData), int64(len(sazData)), saz.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fromSAZ := check(t, sr)
		want := strings.Join(mapRefs(fromHAR), "\n")
		if got := strings.Join(fromSAZ, "\n"); got != want {
			t.Errorf("%s:\nSAZ findings\n%s\nHAR findings (refs mapped)\n%s", filepath.Base(dir), got, want)
		}
		found += len(fromSAZ)
	}
	if found == 0 {
		t.Errorf("no findings in any lab scenario; the comparison proved nothing")
	}
}

// check reads a trace and runs every rule, summarizing each finding as
// rule, code fingerprint and evidence refs.
func check(t *testing.T, r model.Reader) []string {
	t.Helper()
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	fs := rules.Check(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs), Notes: r.Notes()}, rules.Options{})
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		refs := make([]string, len(f.Evidence))
		for i, e := range f.Evidence {
			refs[i] = e.Ref
		}
		code := f.Code.Fingerprint()
		if code == "" {
			code = "-"
		}
		out = append(out, fmt.Sprintf("%s %s %s", f.RuleID, code, strings.Join(refs, ",")))
	}
	return out
}

func mapRefs(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		fields := strings.Fields(l)
		last := fields[len(fields)-1]
		refs := strings.Split(last, ",")
		for j, ref := range refs {
			var n int
			if _, err := fmt.Sscanf(ref, "entries[%d]", &n); err == nil {
				refs[j] = fmt.Sprintf("session %d", n+1)
			}
		}
		fields[len(fields)-1] = strings.Join(refs, ",")
		out[i] = strings.Join(fields, " ")
	}
	return out
}

// labPending is the scenario's "pending" field, or else its "pending_saz"
// (testdata/lab/PENDING.md): the rule work its expectations wait for.
func labPending(t *testing.T, dir string) string {
	t.Helper()
	exp, err := labexpect.Read(filepath.Join(dir, "expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	if exp.Pending != "" {
		return exp.Pending
	}
	return exp.PendingSAZ
}
