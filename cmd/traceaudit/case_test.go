package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	labReload  = "../../testdata/lab/scenarios/code-reuse-reload-server-capture-fosite"
	labDouble  = "../../testdata/lab/scenarios/code-reuse-double-handler-server-capture-gooauth2"
	labRetry   = "../../testdata/lab/scenarios/code-reuse-proxy-retry-nginx-fosite"
	caseSAZ    = "testdata/case/reload-server-capture-fosite.saz" // the HAR of labReload as a SAZ (har2saz)
	serverDSB  = "capture-server-dsb.pcapng"
	browserHAR = "trace.har"
)

// shiftHAR writes a copy of a HAR whose capture times (entries' and pages'
// startedDateTime) are moved by d, as a browser with a wrong clock would
// record it; the provider's Date headers keep the provider's time. drop
// leaves out the entries whose URL contains it.
func shiftHAR(t *testing.T, src string, d time.Duration, drop string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	log := doc["log"].(map[string]any)
	move := func(obj map[string]any) {
		s, _ := obj["startedDateTime"].(string)
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("startedDateTime %q: %v", s, err)
		}
		obj["startedDateTime"] = at.Add(d).Format(time.RFC3339Nano)
	}
	var kept []any
	for _, e := range log["entries"].([]any) {
		entry := e.(map[string]any)
		if drop != "" && strings.Contains(entry["request"].(map[string]any)["url"].(string), drop) {
			continue
		}
		move(entry)
		kept = append(kept, entry)
	}
	log["entries"] = kept
	if pages, ok := log["pages"].([]any); ok {
		for _, p := range pages {
			move(p.(map[string]any))
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), browserHAR)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The browser's clock is off by seconds or hours: the server capture's
// offset is measured from the callbacks both saw (the median), so the
// incident still reads as a reload — the order of the callback and the
// first redemption, which only the aligned clocks give, decides that.
func TestCaseSkewedClocks(t *testing.T) {
	// The unshifted traces: the capture runs 8.3 ms behind the HAR.
	base := scanCase(t, filepath.Join(labReload, browserHAR), filepath.Join(labReload, serverDSB))
	natural := base.Case.Inputs[1].OffsetSeconds
	if math.Abs(natural) > 0.05 {
		t.Fatalf("natural offset %.4fs, want a few milliseconds", natural)
	}
	for _, skew := range []time.Duration{2500 * time.Millisecond, 37 * time.Second, -5*time.Hour - 13*time.Minute, 26 * time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			har := shiftHAR(t, filepath.Join(labReload, browserHAR), skew, "")
			for _, order := range []string{"har-first", "capture-first"} {
				args := []string{har, filepath.Join(labReload, serverDSB)}
				if order == "capture-first" {
					slices.Reverse(args)
				}
				doc := scanCase(t, args...)
				if !doc.Case.Merged {
					t.Fatalf("%s: not merged: %s", order, doc.Case.Reason)
				}
				// The first input is the reference; the other's offset
				// puts it on the reference's clock.
				other := doc.Case.Inputs[1]
				want := skew.Seconds() + natural
				if order == "capture-first" {
					want = -want
				}
				if other.Basis != "matched exchanges" || other.Matches != 2 || math.Abs(other.OffsetSeconds-want) > 0.002 {
					t.Errorf("%s: offset %.4fs by %q over %d, want %.4fs by matched exchanges over 2", order, other.OffsetSeconds, other.Basis, other.Matches, want)
				}
				f := doc.Files[0]
				if len(f.Findings) == 0 || f.Findings[0].Rule != "code-reuse" || f.Findings[0].Mechanism != "reload" {
					t.Fatalf("%s: findings %+v, want code-reuse by reload", order, f.Findings)
				}
			}
		})
	}
}

// Without an exchange in common (the HAR lost its callbacks) but with the
// code in both, the provider's Date headers give the clock, to about a
// second.
func TestCaseDateHeaderFallback(t *testing.T) {
	skew := 2*time.Hour + 30*time.Second
	har := shiftHAR(t, filepath.Join(labReload, browserHAR), skew, "/callback")
	doc := scanCase(t, har, filepath.Join(labReload, serverDSB))
	if !doc.Case.Merged {
		t.Fatalf("not merged: %s", doc.Case.Reason)
	}
	other := doc.Case.Inputs[1]
	if other.Basis != "provider Date headers" || math.Abs(other.OffsetSeconds-skew.Seconds()) > 1.5 {
		t.Errorf("offset %.3fs by %q, want %.0fs ± 1.5s by provider Date headers", other.OffsetSeconds, other.Basis, skew.Seconds())
	}
	var sawNote bool
	for _, n := range doc.Files[0].Notes {
		sawNote = sawNote || n.Kind == "case-clock" && strings.Contains(n.Message, "Date headers")
	}
	if !sawNote {
		t.Errorf("no case-clock note naming the Date headers: %+v", doc.Files[0].Notes)
	}
}

// Traces of two different incidents share nothing: scan --case refuses to
// merge them, says why, and analyses each alone.
func TestCaseUnrelatedTraces(t *testing.T) {
	doc := scanCase(t, filepath.Join(labReload, browserHAR), filepath.Join(labDouble, serverDSB))
	if doc.Case.Merged || doc.Case.Reason == "" {
		t.Fatalf("merged unrelated traces: %+v", doc.Case)
	}
	if len(doc.Files) != 2 {
		t.Fatalf("%d file objects, want each trace alone", len(doc.Files))
	}
	for _, f := range doc.Files {
		if f.Format == "case" {
			t.Errorf("a case object for unrelated traces")
		}
		var noted bool
		for _, n := range f.Notes {
			noted = noted || n.Kind == "case-not-merged"
		}
		if !noted {
			t.Errorf("%s: no case-not-merged note", f.Path)
		}
	}
	// The server capture alone still proves its code-reuse.
	var reuse bool
	for _, fd := range doc.Files[1].Findings {
		reuse = reuse || fd.Rule == "code-reuse"
	}
	if !reuse {
		t.Error("the server capture analysed alone lost its code-reuse")
	}
}

// A HAR and a SAZ of the same browser session hold the same exchanges:
// each counts once (no extra finding, no second delivery), and the
// evidence cites both files. With the server capture, the one code-reuse
// cites all three.
func TestCaseDuplicateCaptures(t *testing.T) {
	har := filepath.Join(labReload, browserHAR)
	alone := scanCase(t, har) // one trace: not merged, analysed alone
	pair := scanCase(t, har, caseSAZ)
	if !pair.Case.Merged || len(pair.Files) != 1 {
		t.Fatalf("HAR + SAZ not merged: %+v", pair.Case)
	}
	saz := pair.Case.Inputs[1]
	if saz.OffsetSeconds != 0 || saz.Duplicates != alone.Files[0].Exchanges {
		t.Errorf("SAZ offset %.3fs, %d duplicates, want 0s and all %d exchanges", saz.OffsetSeconds, saz.Duplicates, alone.Files[0].Exchanges)
	}
	rules := func(d caseDoc, i int) []string {
		var out []string
		for _, fd := range d.Files[i].Findings {
			out = append(out, fd.Rule+" "+fd.Code)
		}
		slices.Sort(out)
		return out
	}
	if a, p := rules(alone, 0), rules(pair, 0); !slices.Equal(a, p) {
		t.Errorf("HAR alone %v, HAR + SAZ %v: a duplicate changed the findings", a, p)
	}
	for _, fd := range pair.Files[0].Findings {
		var inHAR, inSAZ int
		for _, e := range fd.Evidence {
			switch filepath.Base(e.File) {
			case browserHAR:
				inHAR++
			case filepath.Base(caseSAZ):
				inSAZ++
			}
		}
		if inHAR == 0 || inHAR != inSAZ {
			t.Errorf("%s: %d HAR refs, %d SAZ refs: each exchange must cite both copies", fd.Rule, inHAR, inSAZ)
		}
	}

	three := scanCase(t, har, caseSAZ, filepath.Join(labReload, serverDSB))
	var reuse int
	for _, fd := range three.Files[0].Findings {
		if fd.Rule != "code-reuse" {
			continue
		}
		reuse++
		files := map[string]int{}
		for _, e := range fd.Evidence {
			files[filepath.Base(e.File)]++
		}
		// code issued + two callbacks in the browser's files; two
		// callbacks and two redemptions in the server's.
		if files[browserHAR] != 3 || files[filepath.Base(caseSAZ)] != 3 || files[serverDSB] != 4 {
			t.Errorf("code-reuse evidence per file %v", files)
		}
		if fd.Mechanism != "reload" {
			t.Errorf("mechanism %q", fd.Mechanism)
		}
	}
	if reuse != 1 {
		t.Errorf("%d code-reuse findings, want one", reuse)
	}
}

// A browser trace whose failed callback has its redemption out of sight
// says which trace to add and points at scan --case; read together with
// the proxy-side capture, the advice no longer asks for it.
func TestTraceQualityPointsAtCase(t *testing.T) {
	dir := "../../testdata/lab/scenarios/state-mismatch-proxy-instances-nginx-fosite"
	remediation := func(args ...string) string {
		code, out, stderr := runCLI(t, nil, append([]string{"scan", "-f", "json", "--fail-on", "never"}, args...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var doc struct {
			Files []struct {
				Findings []struct{ Rule, Remediation string }
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		for _, f := range doc.Files {
			for _, fd := range f.Findings {
				if fd.Rule == "trace-quality" {
					return fd.Remediation
				}
			}
		}
		return ""
	}
	alone := remediation(filepath.Join(dir, browserHAR))
	if !strings.Contains(alone, "app server's capture") || !strings.Contains(alone, "scan --case") {
		t.Errorf("single-file advice %q: want the server capture and scan --case", alone)
	}
	together := remediation("--case", filepath.Join(dir, browserHAR), filepath.Join(dir, serverDSB))
	if strings.Contains(together, "scan --case") {
		t.Errorf("advice in a case still asks for scan --case: %q", together)
	}
}

// Markdown shows the incident as one timeline with a column per trace, and
// the browser's one callback arriving twice on the proxy's side; HTML gives
// each trace a lane.
func TestCaseReportLanes(t *testing.T) {
	dir := "../../testdata/lab/scenarios/code-reuse-proxy-retry-haproxy-gooauth2"
	args := []string{filepath.Join(dir, browserHAR), filepath.Join(dir, serverDSB)}
	_, md, stderr := runCLI(t, nil, append([]string{"scan", "--case", "-f", "markdown", "--fail-on", "never"}, args...)...)
	head := "| time | browser: trace.har | proxy: capture-server-dsb.pcapng |"
	if !strings.Contains(md, "## One timeline") || !strings.Contains(md, head) {
		t.Fatalf("no timeline with a column per trace (%s):\n%s", stderr, md)
	}
	var browserCallbacks, proxyCallbacks int
	for _, line := range strings.Split(md, "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) != 3 || !strings.Contains(line, "`callback`") {
			continue
		}
		if strings.Contains(cells[1], "`callback`") {
			browserCallbacks++
		}
		if strings.Contains(cells[2], "`callback`") {
			proxyCallbacks++
		}
	}
	if browserCallbacks != 1 || proxyCallbacks != 2 {
		t.Errorf("callbacks in the timeline: browser %d, proxy %d; want 1 and 2", browserCallbacks, proxyCallbacks)
	}
	_, html, _ := runCLI(t, nil, append([]string{"scan", "--case", "-f", "html", "--fail-on", "never"}, args...)...)
	for _, lane := range []string{"browser: trace.har", "proxy: capture-server-dsb.pcapng"} {
		if !strings.Contains(html, lane) {
			t.Errorf("HTML has no lane %q", lane)
		}
	}
}

// In SARIF an incident's finding is located in each of its traces, with
// that trace's own refs.
func TestCaseSARIFLocations(t *testing.T) {
	_, out, _ := runCLI(t, nil, "scan", "--case", "-f", "sarif", "--fail-on", "never",
		filepath.Join(labReload, browserHAR), filepath.Join(labReload, serverDSB))
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
					} `json:"physicalLocation"`
					LogicalLocations []struct{ Name string } `json:"logicalLocations"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log.Runs) != 1 {
		t.Fatalf("bad SARIF: %v", err)
	}
	for _, r := range log.Runs[0].Results {
		if r.RuleID != "code-reuse" {
			continue
		}
		got := map[string][]string{}
		for _, l := range r.Locations {
			for _, ll := range l.LogicalLocations {
				got[filepath.Base(l.PhysicalLocation.ArtifactLocation.URI)] = append(got[filepath.Base(l.PhysicalLocation.ArtifactLocation.URI)], ll.Name)
			}
		}
		if len(got[browserHAR]) != 3 || len(got[serverDSB]) != 4 || !slices.Contains(got[serverDSB], "frame 54") {
			t.Errorf("code-reuse locations %v", got)
		}
		return
	}
	t.Fatal("no code-reuse result")
}

// The proxy's retry is told by timing across traces: the second delivery
// came while the browser's one request was still open. With the browser's
// clock hours off it still is, and only with the clocks aligned.
func TestCaseSkewedProxyRetry(t *testing.T) {
	dir := "../../testdata/lab/scenarios/code-reuse-proxy-retry-haproxy-gooauth2"
	for _, skew := range []time.Duration{-3*time.Hour - 7*time.Second, 90 * time.Second} {
		har := shiftHAR(t, filepath.Join(dir, browserHAR), skew, "")
		doc := scanCase(t, har, filepath.Join(dir, serverDSB))
		if !doc.Case.Merged || len(doc.Files) != 1 {
			t.Fatalf("%s: not merged: %s", skew, doc.Case.Reason)
		}
		var mech string
		for _, fd := range doc.Files[0].Findings {
			if fd.Rule == "code-reuse" {
				mech = fd.Mechanism
			}
		}
		if mech != "proxy-retry" {
			t.Errorf("%s: code-reuse mechanism %q, want proxy-retry", skew, mech)
		}
	}
}

// An unreadable input is reported as in any scan (exit 2, its error in its
// file object) and the others are still read; one readable trace is no
// case, and the reason says so.
func TestCaseUnreadableInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(bad, []byte("not a trace at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, nil, "scan", "--case", "-f", "json", "--fail-on", "never", filepath.Join(labReload, browserHAR), bad)
	var doc struct {
		Case struct {
			Merged bool
			Reason string
		}
		Files []struct{ Path, Error, Verdict string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("bad output: %v", err)
	}
	if code != exitTrouble || len(doc.Files) != 2 || doc.Files[1].Error == "" || doc.Files[0].Verdict != "findings" {
		t.Errorf("exit %d, files %+v: want exit 2, the HAR scanned alone and the other's error", code, doc.Files)
	}
	if doc.Case.Merged || !strings.Contains(doc.Case.Reason, "at least two traces") {
		t.Errorf("case %+v", doc.Case)
	}
}

// events --case lists the incident's steps in one time order on the
// reference clock, each naming its trace: the browser's one callback, then
// the back-channel redemption and the retried delivery from the proxy's.
func TestEventsCase(t *testing.T) {
	dir := "../../testdata/lab/scenarios/code-reuse-proxy-retry-haproxy-gooauth2"
	har := shiftHAR(t, filepath.Join(dir, browserHAR), 4*time.Hour, "")
	code, out, stderr := runCLI(t, nil, "events", "--case", "-f", "jsonl", har, filepath.Join(dir, serverDSB))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got []string
	var last time.Time
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct{ File, Ref, Kind, Time string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("bad jsonl %q: %v", line, err)
		}
		at, err := time.Parse(time.RFC3339Nano, e.Time)
		if err != nil || at.Before(last.Add(-50*time.Millisecond)) {
			t.Errorf("%s %s at %s: not in time order after %s", e.File, e.Ref, e.Time, last)
		}
		last = at
		if e.Kind == "callback" || e.Kind == "token-request" {
			got = append(got, filepath.Base(e.File)+" "+e.Kind)
		}
	}
	want := []string{"trace.har callback", serverDSB + " token-request", serverDSB + " callback", serverDSB + " token-request"}
	if !slices.Equal(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
}

// A server capture read without its TLS keys holds no OAuth step: the case
// is refused and the reason asks for the key log; with it, the traces merge.
func TestCaseNeedsServerKeys(t *testing.T) {
	har, pcap := filepath.Join(labReload, browserHAR), filepath.Join(labReload, "capture-server.pcap")
	doc := scanCase(t, har, pcap)
	if doc.Case.Merged || !strings.Contains(doc.Case.Reason, "--keylog") {
		t.Errorf("without keys: merged %v, reason %q", doc.Case.Merged, doc.Case.Reason)
	}
	doc = scanCase(t, "--keylog", filepath.Join(labReload, "keys-server.log"), har, pcap)
	if !doc.Case.Merged || len(doc.Files) != 1 {
		t.Errorf("with keys: not merged: %q", doc.Case.Reason)
	}
}
