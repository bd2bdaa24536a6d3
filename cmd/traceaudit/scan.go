package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/traceaudit/traceaudit/parse"
	"github.com/traceaudit/traceaudit/report"
	"github.com/traceaudit/traceaudit/rules"
)

// scanResult is the rules' verdict on one file.
type scanResult struct {
	findings []rules.Finding
}

func (r fileResult) findingCount() int {
	if r.scan == nil {
		return 0
	}
	return len(r.scan.findings)
}

func runScanRules(exchanges []*parse.Exchange, events []parse.Event, notes []parse.Note, o *options) *scanResult {
	in := rules.Input{Exchanges: exchanges, Events: events, Notes: notes}
	return &scanResult{findings: rules.Check(in, rules.Options{CodeLifetime: o.codeLifetime})}
}

// scanWriter turns file results into the report wire model and writes it:
// jsonl streams each file as it finishes; the other formats need the whole
// report (SARIF and HTML are documents; the table ends with a summary).
type scanWriter struct {
	o      *options
	w      io.Writer
	env    environment
	rep    report.Report
	failed bool
	failOn rules.Severity // 0: never
}

func newScanWriter(o *options, w io.Writer, env environment) *scanWriter {
	sw := &scanWriter{o: o, w: w, env: env}
	sw.rep = report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "traceaudit", Version: version},
		Files:         []report.File{},
		Rules:         ruleInfos(),
	}
	if o.failOn != "never" {
		sw.failOn, _ = rules.ParseSeverity(o.failOn) // validated by options.validate
	}
	return sw
}

func ruleInfos() []report.RuleInfo {
	var out []report.RuleInfo
	for _, r := range rules.All() {
		out = append(out, report.RuleInfo{ID: r.ID, Title: r.Title, Severity: report.Severity(r.Severity.String()), Help: r.Doc})
	}
	return out
}

func (sw *scanWriter) file(r fileResult) error {
	f := sw.reportFile(r)
	if sw.failOn > 0 && r.scan != nil {
		for _, fd := range r.scan.findings {
			if fd.Severity >= sw.failOn {
				sw.failed = true
			}
		}
	}
	if sw.o.format == "jsonl" {
		one := report.Report{Files: []report.File{f}}
		report.Finalize(&one)
		return report.JSONLWriter{}.WriteFile(sw.w, &one.Files[0])
	}
	sw.rep.Files = append(sw.rep.Files, f)
	return nil
}

func (sw *scanWriter) close() error {
	if sw.o.format == "jsonl" {
		return nil
	}
	report.Finalize(&sw.rep)
	var w report.Writer
	switch sw.o.format {
	case "json":
		w = report.JSONWriter{}
	case "sarif":
		w = report.SARIFWriter{}
	case "markdown":
		w = report.MarkdownWriter{}
	case "html":
		w = report.HTMLWriter{}
	default:
		color := sw.o.output == "" && sw.env.isTerminal(sw.env.stdout) && sw.env.getenv("NO_COLOR") == ""
		w = report.TableWriter{Color: color}
	}
	return w.Write(sw.w, &sw.rep)
}

// reportFile converts one file's results to the wire model, rendering every
// secret as its fingerprint unless --no-redact.
func (sw *scanWriter) reportFile(r fileResult) report.File {
	f := report.File{
		Path:      r.path,
		Format:    string(r.format),
		Exchanges: len(r.exchanges),
		Events:    len(r.events),
		Error:     r.errText(),
	}
	for _, n := range r.notes {
		f.Notes = append(f.Notes, report.Note{Kind: n.Kind, Message: n.Message, Ref: n.Ref})
	}
	if r.scan == nil {
		return f
	}
	rawURL := map[string]string{}
	if sw.o.noRedact {
		for _, x := range r.exchanges {
			rawURL[x.Ref] = x.URL
		}
	}
	refFindings := map[string][]int{}
	for i, fd := range r.scan.findings {
		text := func(s string) string {
			if sw.o.noRedact {
				return s
			}
			return parse.RedactText(s)
		}
		rf := report.Finding{
			Rule:        fd.RuleID,
			Severity:    report.Severity(fd.Severity.String()),
			Message:     text(fd.Message),
			Code:        fd.Code.Render(sw.o.noRedact),
			Confidence:  fd.Confidence,
			Remediation: text(fd.Remediation),
		}
		rule := rules.ByID(fd.RuleID)
		if rule != nil {
			rf.Title = rule.Title
		}
		if rule != nil && rule.AboutCapture && fd.Remediation != "" {
			// What a trace-quality finding asks for is the next capture.
			rf.NextCapture = []string{fd.Remediation}
		}
		for _, e := range fd.Evidence {
			u := e.URL
			if raw, ok := rawURL[e.Ref]; ok && sw.o.noRedact {
				u = raw
			}
			rf.Evidence = append(rf.Evidence, report.Evidence{
				Ref: e.Ref, Time: report.At(e.Time), Method: e.Method, URL: u, Status: e.Status,
				ErrorCode: e.ErrorCode, TraceID: e.TraceID, CorrelationID: e.CorrelationID,
				Timestamp: e.Timestamp, Role: e.Note,
			})
			refFindings[e.Ref] = append(refFindings[e.Ref], i)
		}
		f.Findings = append(f.Findings, rf)
	}
	f.Timeline = timeline(r.events, refFindings, sw.o.noRedact)
	return f
}

// timeline lays the OAuth steps out for the HTML swimlanes: one lane per tab
// or connection, each step attributed to the party that acted.
func timeline(events []parse.Event, refFindings map[string][]int, noRedact bool) []report.TimelineEvent {
	var out []report.TimelineEvent
	for i := range events {
		e := &events[i]
		var party string
		switch e.Kind {
		case parse.AuthorizeRequest, parse.Callback:
			party = "browser"
		case parse.CodeIssued, parse.AuthorizeError, parse.TokenResponse:
			party = "provider"
		case parse.TokenRequest:
			party = "app"
			if e.Origin != "" {
				party = "browser"
			}
		default:
			continue
		}
		lane := e.Page
		if lane == "" {
			lane = e.Conn
		}
		if lane == "" {
			lane = "trace"
		}
		label := e.Method + " " + pathOf(e.Endpoint)
		te := report.TimelineEvent{
			Time: report.At(e.Time), Ref: e.Ref, Kind: e.Kind.String(), Party: party, Lane: lane,
			Label: strings.TrimSpace(label), Code: e.Code.Render(noRedact), Status: e.Status,
		}
		if e.Err != nil && len(e.Err.Codes) > 0 {
			te.ErrorCode = e.Err.Codes[0]
		} else if e.Err != nil {
			te.ErrorCode = e.Err.Error
		}
		if idx := refFindings[e.Ref]; len(idx) > 0 {
			te.Highlight = uniqueInts(idx)
		}
		out = append(out, te)
	}
	return out
}

func pathOf(endpoint string) string {
	if i := strings.Index(endpoint, "://"); i >= 0 {
		rest := endpoint[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return endpoint
}

func uniqueInts(in []int) []int {
	s := append([]int(nil), in...)
	sort.Ints(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// runRules prints the rule list.
func runRules(args []string, env environment) (int, error) {
	fs := newFlagSet("rules", env)
	if err := parseFlags(fs, args); err != nil {
		return exitTrouble, err
	}
	t := newTable(env.stdout)
	t.Header("ID", "SEVERITY", "TITLE")
	for _, r := range rules.All() {
		if err := t.Append(r.ID, r.Severity.String(), r.Title); err != nil {
			return exitTrouble, err
		}
	}
	return exitOK, t.Render()
}

// runExplain prints one rule's documentation.
func runExplain(args []string, env environment) (int, error) {
	fs := newFlagSet("explain", env)
	if err := parseFlags(fs, args); err != nil {
		return exitTrouble, err
	}
	if fs.NArg() != 1 {
		return exitTrouble, usagef("explain: want exactly one RULE (see 'traceaudit rules')")
	}
	r := rules.ByID(fs.Arg(0))
	if r == nil {
		var ids []string
		for _, r := range rules.All() {
			ids = append(ids, r.ID)
		}
		return exitTrouble, usagef("explain: no rule %q; rules are: %s", fs.Arg(0), strings.Join(ids, ", "))
	}
	fmt.Fprintf(env.stdout, "%s (%s): %s\n\n%s\n", r.ID, r.Severity, r.Title, strings.TrimSpace(r.Doc))
	return exitOK, nil
}
