package rules_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/internal/labexpect"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/tlsdec"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/rules/rulestest"
	"github.com/traceaudit/traceaudit/secret"
)

// labDir holds the fixture lab's recordings: real providers (zitadel,
// fosite), a relying party with switchable defects and a real Chromium,
// captured as a HAR and as a pcapng with its TLS keys embedded. Each
// scenario's expect.json was derived from what the provider and the RP
// actually did.
const labDir = "../testdata/lab/scenarios"

// labTrace is one of a scenario's two captures.
type labTrace struct {
	name  string
	refOf func(har, pcap string) string
	load  func(t *testing.T, dir string) ([]*model.Exchange, []model.Note)
}

// frameResolver maps the lab's frame numbers to the reader's. The contract
// numbers an exchange by the packet that starts its request; the lab takes
// tshark's frame, where HTTP reassembly of a request split over several TLS
// records completes, which can be a later packet of the same request. The
// exchange meant is the last one that started at or before that frame.
func frameResolver(exs []*model.Exchange) func(string) string {
	var starts []int
	for _, ex := range exs {
		var n int
		if _, err := fmt.Sscanf(ex.Ref, "frame %d", &n); err == nil {
			starts = append(starts, n)
		}
	}
	sort.Ints(starts)
	return func(ref string) string {
		var f int
		if _, err := fmt.Sscanf(ref, "frame %d", &f); err != nil {
			return ref
		}
		best := -1
		for _, s := range starts {
			if s <= f {
				best = s
			}
		}
		if best < 0 {
			return ref
		}
		return fmt.Sprintf("frame %d", best)
	}
}

func loadLabHAR(t *testing.T, dir string) ([]*model.Exchange, []model.Note) {
	data, err := os.ReadFile(filepath.Join(dir, "trace.har"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := har.NewReader(bytes.NewReader(data), har.Options{Name: "trace.har"})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return exs, r.Notes()
}

func loadLabPCAP(t *testing.T, dir string) ([]*model.Exchange, []model.Note) {
	return loadLabCapture(t, filepath.Join(dir, "capture-dsb.pcapng"))
}

// loadLabCapture reads a pcapng with its keys embedded (DSB).
func loadLabCapture(t *testing.T, path string) ([]*model.Exchange, []model.Note) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	keys, notes, err := tlsdec.KeysForCapture(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	opts := pcap.Options{Name: filepath.Base(path)}
	if keys != nil && keys.Len() > 0 {
		opts.Decrypter = tlsdec.NewDecrypter(keys).StreamDecrypter()
	}
	r, err := pcap.NewReader(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return exs, append(notes, r.Notes()...)
}

// TestLab runs extraction and every rule over each lab recording and
// compares with its expect.json: the OAuth steps found (kind, position,
// code and state), the findings that must appear with their code and
// evidence, the rules that must not fire, and no finding of a rule the
// scenario neither expects nor allows.
func TestLab(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(labDir, "*", "expect.json"))
	if len(dirs) == 0 {
		t.Fatalf("no lab scenarios under %s", labDir)
	}
	for _, expPath := range dirs {
		dir := filepath.Dir(expPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			exp, err := labexpect.Read(expPath)
			if err != nil {
				t.Fatal(err)
			}
			if exp.Pending != "" {
				t.Skipf("pending: %s", exp.Pending)
			}
			traces := []labTrace{
				{name: "har", refOf: func(h, _ string) string { return h }, load: loadLabHAR},
				{name: "pcap", refOf: func(_, p string) string { return p }, load: loadLabPCAP},
			}
			for _, tr := range traces {
				t.Run(tr.name, func(t *testing.T) {
					exs, notes := tr.load(t, dir)
					if tr.name == "pcap" {
						resolve := frameResolver(exs)
						tr.refOf = func(_, p string) string { return resolve(p) }
					}
					events := oauth.ExtractAll(exs)
					checkLabEvents(t, tr, exp, events)
					findings := rules.Check(rules.Input{Exchanges: exs, Events: events, Notes: notes}, rules.Options{})
					checkLabFindings(t, tr, exp, findings)
					rulestest.CheckNoLeak(t, events, findings)
				})
			}
		})
	}
}

// labMechanisms is the mechanism each recorded defect must be given, for
// scenarios whose expect.json predates the field: what the relying party
// was made to do (SCENARIOS.md).
var labMechanisms = map[string]rules.Mechanism{
	"code-reuse-reload-fosite code-reuse":                  rules.MechReload,
	"code-reuse-reload-zitadel-http1-plaintext code-reuse": rules.MechReload,
	"code-reuse-double-handler-zitadel code-reuse":         rules.MechDoubleHandler,
	"code-reuse-entra-shaped-fosite code-reuse":            rules.MechDoubleHandler,
	"code-reuse-form-post-entra-shaped-fosite code-reuse":  rules.MechDoubleHandler,
	"code-reuse-spa-double-fosite code-reuse":              rules.MechBrowserTwice,
	"multi-tab-pkce-cookie-fosite multi-tab-race":          rules.MechMultiTab,
	"multi-tab-pkce-spa-fosite multi-tab-race":             rules.MechMultiTab,
	"multi-tab-state-zitadel multi-tab-race":               rules.MechMultiTab,
	"code-expired-fosite code-expired":                     rules.MechSlowRedemption,
}

var labKinds = map[string]model.EventKind{
	"authorize": model.AuthorizeRequest, "code-issued": model.CodeIssued, "callback": model.Callback,
	"token-request": model.TokenRequest, "authorize-error": model.AuthorizeError,
}

func checkLabEvents(t *testing.T, tr labTrace, exp *labexpect.Expect, events []model.Event) {
	t.Helper()
	for _, want := range exp.Events {
		ref := tr.refOf(want.HAR, want.PCAP)
		kind, known := labKinds[want.Kind]
		if ref == "" || !known {
			continue
		}
		found := false
		for _, ev := range events {
			if ev.Kind != kind || ev.Ref != ref {
				continue
			}
			found = true
			if want.Code != "" && ev.Code.Fingerprint() != want.Code {
				t.Errorf("%s %s: code %s, want %s", want.Kind, ref, ev.Code, want.Code)
			}
			if want.Pushed == "back-channel" && (tr.name == "har" || exp.Case != nil) {
				// The push is not in the HAR (nor in the browser machine's
				// capture when the app server's is apart): the request
				// names it by its request_uri alone, its state unknown,
				// not missing.
				if !ev.ParamsByReference() || !ev.State.IsZero() {
					t.Errorf("%s %s: by reference %v, state %s; want its parameters unknown", want.Kind, ref, ev.ParamsByReference(), ev.State)
				}
			} else if want.State != "" && !ev.State.Equal(secret.New(want.State)) {
				t.Errorf("%s %s: state %s, want %s", want.Kind, ref, ev.State, secret.Fingerprint(want.State))
			}
		}
		if !found {
			t.Errorf("missing %s event at %s", want.Kind, ref)
		}
	}
}

func checkLabFindings(t *testing.T, tr labTrace, exp *labexpect.Expect, findings []rules.Finding) {
	t.Helper()
	allowed := map[string]bool{}
	for _, r := range exp.May {
		allowed[r] = true
	}
	for _, want := range exp.Findings {
		allowed[want.Rule] = true
		for _, e := range want.Evidence {
			if tr.refOf(e.HAR, e.PCAP) == "" {
				// Part of the story happened outside this capture (the
				// back channel is not in a HAR): trace-quality may say so.
				allowed[rules.TraceQuality.ID] = true
			}
		}
		// Required in this trace only when every piece of its evidence is
		// in it (back-channel token requests are in the capture only).
		var refs []string
		complete := true
		for _, e := range want.Evidence {
			ref := tr.refOf(e.HAR, e.PCAP)
			if ref == "" {
				complete = false
				continue
			}
			refs = append(refs, ref)
		}
		if !complete {
			continue
		}
		matched := false
		for _, f := range findings {
			if f.RuleID != want.Rule || (want.Code != "" && f.Code.Fingerprint() != want.Code) {
				continue
			}
			have := map[string]bool{}
			for _, e := range f.Evidence {
				have[e.Ref] = true
			}
			missing := []string{}
			for _, r := range refs {
				if !have[r] {
					missing = append(missing, r)
				}
			}
			if len(missing) == 0 {
				matched = true
				want := want.Mechanism
				if want == "" {
					want = string(labMechanisms[exp.Scenario+" "+f.RuleID])
				}
				// "multi-tab: shared storage slot": the value, then words.
				want, _, _ = strings.Cut(want, ":")
				if want != "" && string(f.Mechanism) != want {
					t.Errorf("%s mechanism %q, want %q: %s", f.RuleID, f.Mechanism, want, f.Message)
				}
				break
			}
			t.Errorf("%s finding lacks evidence %v: %s", want.Rule, missing, f.Message)
			matched = true
		}
		if !matched {
			t.Errorf("missing %s finding for code %s (evidence %s)", want.Rule, want.Code, strings.Join(refs, ", "))
		}
	}
	mustNot := map[string]bool{}
	for _, r := range exp.MustNot {
		mustNot[r] = true
	}
	var unexpected []string
	for _, f := range findings {
		switch {
		case mustNot[f.RuleID]:
			t.Errorf("%s must not fire: %s", f.RuleID, f.Message)
		case !allowed[f.RuleID]:
			unexpected = append(unexpected, f.RuleID+": "+f.Message)
		}
	}
	sort.Strings(unexpected)
	for _, u := range unexpected {
		t.Errorf("unexpected finding %s", u)
	}
}
