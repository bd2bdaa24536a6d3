package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/report"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// resultWriter turns each file's results into report's wire model (values
// redacted unless --no-redact) and hands them to the report.Output that
// renders the chosen format. It never formats anything itself.
type resultWriter struct {
	cmd    string
	o      *options
	out    *report.Output
	stats  runStats
	failed bool
	failOn rules.Severity // 0: never
	// failInconclusive: --fail-on inconclusive also fails on files the
	// trace cannot decide.
	failInconclusive bool
}

// runStats counts what a run has written, for the closing summary.
type runStats struct {
	exchanges, events, findings int
	byRule                      map[string]int
	bySeverity                  map[string]int
	byVerdict                   map[rules.Verdict]int
}

func (s *runStats) add(r fileResult) {
	s.exchanges += r.exchangeCount
	s.events += r.eventCount()
	if s.byVerdict == nil {
		s.byVerdict = map[rules.Verdict]int{}
	}
	switch {
	case r.err != nil:
		s.byVerdict[rules.VerdictUnreadable]++
	case r.scan != nil:
		s.byVerdict[r.scan.assessment.Verdict]++
	}
	if r.scan == nil {
		return
	}
	if s.byRule == nil {
		s.byRule, s.bySeverity = map[string]int{}, map[string]int{}
	}
	for _, f := range r.scan.findings {
		s.findings++
		s.byRule[f.RuleID]++
		s.bySeverity[f.Severity.String()]++
	}
}

// verdictText is "findings 2, inconclusive 1, clean 3" (files per verdict).
func (s *runStats) verdictText() string {
	var parts []string
	for _, v := range []rules.Verdict{rules.VerdictFindings, rules.VerdictInconclusive, rules.VerdictClean, rules.VerdictUnreadable} {
		if n := s.byVerdict[v]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", v, n))
		}
	}
	return strings.Join(parts, ", ")
}

func (s *runStats) byRuleText() string {
	ids := make([]string, 0, len(s.byRule))
	for id := range s.byRule {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("%s %d", id, s.byRule[id]))
	}
	var sev []string
	for _, name := range []string{"error", "warning", "info"} {
		if n := s.bySeverity[name]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, name))
		}
	}
	return strings.Join(parts, ", ") + "; " + strings.Join(sev, ", ")
}

func newResultWriter(cmd string, o *options, w io.Writer, env environment) (*resultWriter, error) {
	opts := report.Options{Tool: report.Tool{Name: "traceaudit", Version: version},
		Width: tableWidth(env, o.output == "" || o.output == "-"), Diag: env.stderr}
	if cmd == "scan" {
		opts.Rules = ruleInfos()
		opts.Color = o.format == "table" && o.output == "" && env.isTerminal(env.stdout) && env.getenv("NO_COLOR") == ""
	}
	out, err := report.NewOutput(w, report.Kind(cmd), o.format, opts)
	if err != nil {
		return nil, err
	}
	rw := &resultWriter{cmd: cmd, o: o, out: out}
	switch {
	case cmd != "scan" || o.failOn == "never":
	case o.failOn == "inconclusive":
		rw.failOn, rw.failInconclusive = rules.Warning, true
	default:
		rw.failOn, _ = rules.ParseSeverity(o.failOn) // validated by options.validate
	}
	return rw, nil
}

// file hands one file's results to the output.
func (rw *resultWriter) file(r fileResult) error {
	rw.account(r)
	if rw.cmd == "scan" {
		f := reportFile(r, rw.o.noRedact)
		rw.scrubber(r).Strings(&f)
		return rw.out.File(f)
	}
	sc := rw.scrubber(r)
	l := report.Listing{Path: r.path, Format: string(r.format), Error: r.errText(), Notes: reportNotes(r.notes)}
	if rw.cmd == "events" {
		l.Events = eventRecords(r, rw.o.noRedact)
	} else {
		// Nothing extracted events here: the values redaction
		// fingerprints in the URLs are what to look for elsewhere.
		l.Exchanges = exchangeRecords(r, rw.o.noRedact, sc)
	}
	sc.Strings(&l)
	return rw.out.Listing(l)
}

// scrubber knows the secrets of r's events, to replace their raw values in
// every string of what goes to the output (secret.Scrubber.Strings): what
// redaction by name missed (a state inside a redirect URI, a code in a page
// title) still leaves as a fingerprint. It is nil, scrubbing nothing, with
// --no-redact.
func (rw *resultWriter) scrubber(r fileResult) *secret.Scrubber {
	switch {
	case rw.o.noRedact:
		return nil
	case r.scan != nil && r.scan.scrubber != nil:
		return r.scan.scrubber
	}
	sc := model.ScrubberOf(r.eachEvent())
	for _, v := range r.bodySecrets.secrets() {
		sc.Add(v)
	}
	return sc
}

// account counts a result for the summary and the exit code.
func (rw *resultWriter) account(r fileResult) {
	rw.stats.add(r)
	if rw.cmd != "scan" || rw.failOn == 0 || r.scan == nil {
		return
	}
	for _, fd := range r.scan.findings {
		if fd.Severity >= rw.failOn {
			rw.failed = true
		}
	}
	if rw.failInconclusive && r.err == nil && r.scan.assessment.Verdict == rules.VerdictInconclusive {
		rw.failed = true
	}
}

func (rw *resultWriter) close() error { return rw.out.Close() }

func reportNotes(notes []model.Note) []report.Note {
	out := make([]report.Note, 0, len(notes))
	for _, n := range notes {
		out = append(out, report.Note{Kind: string(n.Kind), Message: n.Message, Ref: n.Ref})
	}
	return out
}

// exchangeRecords lists r's exchanges, their URLs redacted unless noRedact;
// sc learns the values redaction replaced.
func exchangeRecords(r fileResult, noRedact bool, sc *secret.Scrubber) []report.Exchange {
	out := make([]report.Exchange, 0, len(r.exchanges))
	for _, x := range r.exchanges {
		u := x.URL
		if !noRedact {
			u = secret.RedactURLCollect(u, sc.Add)
		}
		out = append(out, report.Exchange{
			File: r.path, Format: string(r.format), Ref: x.Ref, Index: x.Index, Time: report.At(x.Time),
			Method: x.Method, URL: u, Status: x.Status, HTTPVersion: x.Proto, Tunnel: x.Tunnel,
		})
	}
	return out
}

func redactURL(u string, noRedact bool) string {
	if noRedact {
		return u
	}
	return secret.RedactURL(u)
}

// errText is the file's error for the report, without the file name the
// report already shows beside it (readers put it in their errors).
func (r fileResult) errText() string {
	if r.err == nil {
		return ""
	}
	return strings.TrimPrefix(r.err.Error(), r.path+": ")
}

func refPrefix(ref string) string {
	if ref == "" {
		return ""
	}
	return ref + ": "
}
