package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// SchemaVersion is the version of the JSON wire model this package writes.
// It changes only when a field is removed or changes meaning, which the
// contract forbids; new optional fields keep it at 1.
const SchemaVersion = 1

// ErrSchemaVersion reports a JSON report written for another schema version.
var ErrSchemaVersion = errors.New("report: unsupported schema_version")

// Writer renders a whole report in one format. Implementations never close w
// and never decide colour or paths themselves: the caller configures them.
type Writer interface {
	Write(w io.Writer, r *Report) error
}

// Report is the document `scan --format json` writes.
type Report struct {
	SchemaVersion int     `json:"schema_version"`
	Tool          Tool    `json:"tool"`
	Files         []File  `json:"files"`
	Summary       Summary `json:"summary"`
	// Rules describes the rules that ran (extension), so SARIF and HTML can
	// show titles and help text without importing the rules engine.
	Rules []RuleInfo `json:"rules,omitempty"`
	// Case says how scan --case read the inputs as one incident
	// (extension): which traces were merged, each one's clock offset and
	// how it was found.
	Case *Case `json:"case,omitempty"`
}

// Case is how scan --case read several traces as one incident. When
// Merged, the incident's findings are in the file object whose format is
// "case"; otherwise every input was analysed alone and Reason says why.
type Case struct {
	Merged bool        `json:"merged"`
	Reason string      `json:"reason,omitempty"`
	Inputs []CaseInput `json:"inputs"`
}

// CaseInput is one trace of a case.
type CaseInput struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	// Lane is where the trace was taken: browser, server or proxy.
	Lane   string `json:"lane"`
	Merged bool   `json:"merged"`
	// OffsetSeconds is added to the trace's times to put them on the
	// reference trace's clock; Basis says how it was found: reference,
	// matched exchanges, provider Date headers, none.
	OffsetSeconds float64 `json:"offset_seconds"`
	Basis         string  `json:"basis,omitempty"`
	Matches       int     `json:"matches,omitempty"`
	With          string  `json:"with,omitempty"`
	// Duplicates counts the trace's exchanges another trace of the case
	// also holds; each counts once, citing both.
	Duplicates int `json:"duplicates,omitempty"`
}

// Tool names the program that wrote the report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// File is the result for one input file.
type File struct {
	Path      string `json:"path"`
	Format    string `json:"format"` // har | saz | pcap
	Exchanges int    `json:"exchanges"`
	Events    int    `json:"events"`
	// Error is set only when the file could not be read at all (exit 2).
	Error    string    `json:"error,omitempty"`
	Notes    []Note    `json:"notes"`
	Findings []Finding `json:"findings"`
	// Timeline lists the file's OAuth steps in time order (extension) for
	// the HTML swimlane view.
	Timeline []TimelineEvent `json:"timeline,omitempty"`
	// Verdict is the file's triage bucket and VerdictReason the sentence
	// that says why (contract, second wave). Every scan sets them; a report
	// replayed from an older JSON may lack them.
	Verdict       Verdict `json:"verdict,omitempty"`
	VerdictReason string  `json:"verdict_reason,omitempty"`
	// Facts are what a ticket states about the sign-in (extension).
	Facts *Facts `json:"facts,omitempty"`
}

// Facts are the identifiers a support ticket quotes and a provider's
// support asks for: who, which app, when, and the ids to find the request
// in the provider's logs. None of them is secret.
type Facts struct {
	Provider       string   `json:"provider,omitempty"` // "Microsoft Entra ID (v2)"
	Family         string   `json:"family,omitempty"`
	Cloud          string   `json:"cloud,omitempty"`
	Tenant         string   `json:"tenant,omitempty"`
	ProviderHost   string   `json:"provider_host,omitempty"`
	ClientIDs      []string `json:"client_ids,omitempty"`
	AppName        string   `json:"app_name,omitempty"`
	UserAgent      string   `json:"user_agent,omitempty"`
	Library        string   `json:"library,omitempty"`
	Start          Time     `json:"start,omitzero"`
	End            Time     `json:"end,omitzero"`
	RequestIDs     []string `json:"request_ids,omitempty"` // client-request-id
	TraceIDs       []string `json:"trace_ids,omitempty"`
	CorrelationIDs []string `json:"correlation_ids,omitempty"`
}

// Verdict is a file's triage bucket: findings, clean, inconclusive or
// unreadable.
type Verdict string

const (
	VerdictFindings     Verdict = "findings"
	VerdictClean        Verdict = "clean"
	VerdictInconclusive Verdict = "inconclusive"
	VerdictUnreadable   Verdict = "unreadable"
)

// Verdicts lists the verdicts in the order summaries show them.
func Verdicts() []Verdict {
	return []Verdict{VerdictFindings, VerdictInconclusive, VerdictClean, VerdictUnreadable}
}

// MarshalJSON writes empty notes and findings as [] rather than null, so
// scripts can iterate without a null check.
func (f File) MarshalJSON() ([]byte, error) {
	type plain File
	p := plain(f)
	if p.Notes == nil {
		p.Notes = []Note{}
	}
	if p.Findings == nil {
		p.Findings = []Finding{}
	}
	return json.Marshal(p)
}

// Note is recoverable damage or a skipped part of an input.
type Note struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Ref locates the note in its source when known (extension).
	Ref string `json:"ref,omitempty"`
}

// Severity is a finding's level: error, warning or info.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Rank orders severities: error 3, warning 2, info 1, anything else 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// Confidence says how sure a finding that reasons by elimination or
// timing is: high (the trace shows every step), medium (one step is
// inferred) or low (a plausible reading among others).
type Confidence string

const (
	ConfidenceHigh   Confidence = "high"
	ConfidenceMedium Confidence = "medium"
	ConfidenceLow    Confidence = "low"
)

// Finding is one problem a rule found in one file.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	// Title is the rule's one-line title (extension).
	Title   string `json:"title,omitempty"`
	Message string `json:"message"`
	// Code is the fingerprint of the authorization code concerned, when
	// there is one.
	Code string `json:"code,omitempty"`
	// Confidence is set when the rule reasons by elimination or timing
	// (extension).
	Confidence Confidence `json:"confidence,omitempty"`
	// Mechanism names how the incident most likely came about, as a stable
	// value (rules.Mechanism: "reload", "double-handler", "multi-tab",
	// "grant-replaced", …) (extension).
	Mechanism   string     `json:"mechanism,omitempty"`
	Evidence    []Evidence `json:"evidence"`
	Remediation string     `json:"remediation"`
	// NextCapture says what to capture next when the trace could not decide
	// (extension), one instruction per item.
	NextCapture []string `json:"next_capture,omitempty"`
	// Fingerprint identifies the finding across runs for baselines and
	// SARIF partialFingerprints (extension). When empty, writers derive one
	// from the rule, file, code and evidence refs.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Evidence is one exchange that supports a finding.
type Evidence struct {
	// File is the trace the exchange is in, set when a finding rests on
	// several traces (scan --case).
	File          string `json:"file,omitempty"`
	Ref           string `json:"ref"`
	Time          Time   `json:"time,omitzero"`
	Method        string `json:"method"`
	URL           string `json:"url"`
	Status        int    `json:"status"`
	ErrorCode     string `json:"error_code,omitempty"`
	TraceID       string `json:"trace_id,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	// Role says what the exchange is in the flow, e.g. "first redemption",
	// "callback" (extension).
	Role string `json:"role,omitempty"`
	// Note is a short remark on this exchange (extension).
	Note string `json:"note,omitempty"`
	// Timestamp is the provider's own timestamp from the error body, as the
	// provider wrote it (extension); quote it to the provider's support.
	Timestamp string `json:"timestamp,omitempty"`
	// Param is the parameter of this exchange that proves the finding,
	// e.g. "redirect_uri=http://app.example/cb" (extension).
	Param string `json:"param,omitempty"`
}

// Where is the evidence's ref, after its file's base name when it has one.
func (e Evidence) Where() string {
	if e.File == "" {
		return e.Ref
	}
	return filepath.Base(e.File) + " " + e.Ref
}

// TimelineEvent is one OAuth step on the sign-in timeline (extension).
type TimelineEvent struct {
	Time Time   `json:"time,omitzero"`
	Ref  string `json:"ref"`
	// File is the trace the step is in (scan --case).
	File string `json:"file,omitempty"`
	// Kind is one of authorize, code-issued, callback, token-request,
	// token-response, authorize-error, and a sign-out's app-logout,
	// logout, logout-return, frontchannel-logout, revocation.
	Kind string `json:"kind"`
	// Party is who acted: browser, app or provider.
	Party string `json:"party,omitempty"`
	// Lane groups the steps of one page or connection: "Page 1", "Page 2"
	// for browser pages (a HAR page is one navigation), the connection for
	// a capture.
	Lane string `json:"lane,omitempty"`
	// LaneTitle says what the lane is, e.g. "page id page_2" (extension).
	LaneTitle string `json:"lane_title,omitempty"`
	Label     string `json:"label,omitempty"` // e.g. "POST /oauth2/v2.0/token"
	Code      string `json:"code,omitempty"`  // code fingerprint
	Status    int    `json:"status,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
	// Highlight lists the indices (into File.Findings) of the findings this
	// step is evidence for.
	Highlight []int `json:"highlight,omitempty"`
}

// RuleInfo describes one rule (extension).
type RuleInfo struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	// Help is the rule's documentation as plain text: what it detects, the
	// evidence, the remediation.
	Help string `json:"help,omitempty"`
	URL  string `json:"url,omitempty"`
}

// Summary counts what the report holds.
type Summary struct {
	Files    int `json:"files"`
	Findings int `json:"findings"`
	// Errors counts files that could not be read at all.
	Errors int `json:"errors"`
	// BySeverity and ByRule count findings (extension); JSON writes map keys
	// sorted, so they stay deterministic.
	BySeverity map[Severity]int `json:"by_severity,omitempty"`
	ByRule     map[string]int   `json:"by_rule,omitempty"`
	Notes      int              `json:"notes,omitempty"`
	// ByVerdict counts files per verdict (extension).
	ByVerdict map[Verdict]int `json:"by_verdict,omitempty"`
}

// Time is an instant that marshals as the contract asks: RFC 3339 in UTC
// with fractional seconds in groups of three digits — milliseconds, or
// micro- or nanoseconds when the trace has them. Every output writes times
// this one way; fixed groups keep a trace's times the same width, so they
// line up in a table and sort as strings.
type Time struct {
	time.Time
}

// At wraps t.
func At(t time.Time) Time { return Time{t} }

// String formats t as it appears in JSON, or "" when zero.
func (t Time) String() string {
	if t.IsZero() {
		return ""
	}
	return string(t.appendText(make([]byte, 0, len("2006-01-02T15:04:05.000000000Z"))))
}

// appendText appends what String returns for a time that is not zero.
func (t Time) appendText(b []byte) []byte {
	u := t.UTC()
	switch ns := u.Nanosecond(); {
	case ns%int(time.Millisecond) == 0:
		return u.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	case ns%int(time.Microsecond) == 0:
		return u.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	}
	return u.AppendFormat(b, "2006-01-02T15:04:05.000000000Z")
}

// MarshalJSON writes the contract form.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.String())
}

// UnmarshalJSON accepts any RFC 3339 time, or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("report: time: %w", err)
	}
	if s == "" {
		*t = Time{}
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("report: time: %w", err)
	}
	*t = Time{v.UTC()}
	return nil
}

// ReadJSON reads a report written by JSONWriter (or by `scan --format
// json`), so it can be replayed into any other writer.
func ReadJSON(r io.Reader) (*Report, error) {
	dec := json.NewDecoder(r)
	var rep Report
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("report: reading json: %w", err)
	}
	if rep.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%w %d (want %d)", ErrSchemaVersion, rep.SchemaVersion, SchemaVersion)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("report: reading json: trailing data after the report")
	}
	return &rep, nil
}

// ReadJSONL reads the file objects JSONLWriter wrote, one per line, into a
// report whose summary is recomputed.
func ReadJSONL(r io.Reader, tool Tool) (*Report, error) {
	dec := json.NewDecoder(r)
	rep := &Report{SchemaVersion: SchemaVersion, Tool: tool}
	for n := 1; ; n++ {
		var f File
		err := dec.Decode(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("report: reading jsonl: object %d: %w", n, err)
		}
		rep.Files = append(rep.Files, f)
	}
	rep.Summary = Summarize(rep.Files)
	return rep, nil
}

// Summarize counts files, findings (per severity and rule), notes and
// unreadable files.
func Summarize(files []File) Summary {
	s := Summary{Files: len(files)}
	for _, f := range files {
		if f.Error != "" {
			s.Errors++
		}
		if f.Verdict != "" {
			if s.ByVerdict == nil {
				s.ByVerdict = map[Verdict]int{}
			}
			s.ByVerdict[f.Verdict]++
		}
		s.Notes += len(f.Notes)
		for _, fd := range f.Findings {
			s.Findings++
			if s.BySeverity == nil {
				s.BySeverity = map[Severity]int{}
				s.ByRule = map[string]int{}
			}
			s.BySeverity[fd.Severity]++
			s.ByRule[fd.Rule]++
		}
	}
	return s
}

// RuleCount is one line of a per-rule tally.
type RuleCount struct {
	Rule  string
	Count int
}

// RuleCounts returns ByRule sorted by count (descending), then rule ID.
func (s Summary) RuleCounts() []RuleCount {
	out := make([]RuleCount, 0, len(s.ByRule))
	for r, n := range s.ByRule {
		out = append(out, RuleCount{r, n})
	}
	slices.SortStableFunc(out, func(a, b RuleCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return out
}

// Worst returns the highest severity among the findings, or "" when there
// are none. The CLI compares it with --fail-on.
func (s Summary) Worst() Severity {
	var worst Severity
	for sev, n := range s.BySeverity {
		if n > 0 && sev.Rank() > worst.Rank() {
			worst = sev
		}
	}
	return worst
}

// CountAtLeast returns how many findings have severity min or higher.
func (s Summary) CountAtLeast(min Severity) int {
	n := 0
	for sev, c := range s.BySeverity {
		if sev.Rank() >= min.Rank() && sev.Rank() > 0 {
			n += c
		}
	}
	return n
}

// Verdict is a one-line human summary: "2 findings (1 error, 1 warning) in
// 3 files; 1 file could not be read".
func (s Summary) Verdict() string {
	var b strings.Builder
	if s.Findings == 0 {
		b.WriteString("no findings")
	} else {
		b.WriteString(plural(s.Findings, "finding"))
		var parts []string
		for _, sev := range []Severity{SeverityError, SeverityWarning, SeverityInfo} {
			if n := s.BySeverity[sev]; n > 0 && sev == SeverityInfo {
				parts = append(parts, fmt.Sprintf("%d info", n)) // "info" has no plural
			} else if n > 0 {
				parts = append(parts, plural(n, string(sev)))
			}
		}
		if other := s.Findings - s.BySeverity[SeverityError] - s.BySeverity[SeverityWarning] - s.BySeverity[SeverityInfo]; other > 0 {
			parts = append(parts, fmt.Sprintf("%d of unknown severity", other))
		}
		if len(parts) > 0 {
			b.WriteString(" (" + strings.Join(parts, ", ") + ")")
		}
	}
	b.WriteString(" in " + plural(s.Files, "file"))
	if s.Errors > 0 {
		if s.Errors == 1 {
			b.WriteString("; 1 file could not be read")
		} else {
			fmt.Fprintf(&b, "; %d files could not be read", s.Errors)
		}
	}
	if v := s.VerdictCounts(); v != "" {
		b.WriteString("; files by verdict: " + v)
	}
	return b.String()
}

// VerdictCounts is "findings 1, inconclusive 2, clean 3": files per
// verdict in a fixed order, or "" when no file has one.
func (s Summary) VerdictCounts() string {
	var parts []string
	for _, v := range Verdicts() {
		if n := s.ByVerdict[v]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", v, n))
		}
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Finalize recomputes r.Summary from r.Files and sorts each file's
// findings by severity (worst first), then first evidence time, then rule,
// so every writer sees the same deterministic order. Timeline highlight
// indices are remapped to the new order.
func Finalize(r *Report) {
	if r.SchemaVersion == 0 {
		r.SchemaVersion = SchemaVersion
	}
	for i := range r.Files {
		sortFindings(&r.Files[i])
	}
	r.Summary = Summarize(r.Files)
	slices.SortStableFunc(r.Rules, func(a, b RuleInfo) int { return strings.Compare(a.ID, b.ID) })
}

func sortFindings(f *File) {
	idx := make([]int, len(f.Findings))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := &f.Findings[a], &f.Findings[b]
		if d := y.Severity.Rank() - x.Severity.Rank(); d != 0 {
			return d
		}
		if c := firstTime(x).Compare(firstTime(y)); c != 0 {
			return c
		}
		if c := strings.Compare(x.Rule, y.Rule); c != 0 {
			return c
		}
		return a - b
	})
	newPos := make([]int, len(idx))
	sorted := make([]Finding, len(idx))
	for to, from := range idx {
		sorted[to] = f.Findings[from]
		newPos[from] = to
	}
	copy(f.Findings, sorted)
	for i := range f.Timeline {
		h := f.Timeline[i].Highlight
		for j, old := range h {
			if old >= 0 && old < len(newPos) {
				h[j] = newPos[old]
			}
		}
		slices.SortStableFunc(h, func(a, b int) int { return a - b })
	}
}

func firstTime(f *Finding) time.Time {
	var first time.Time
	for _, e := range f.Evidence {
		if !e.Time.IsZero() && (first.IsZero() || e.Time.Before(first)) {
			first = e.Time.Time
		}
	}
	return first
}
