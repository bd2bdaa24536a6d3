package report

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"html/template"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HTMLWriter renders one self-contained page (no scripts, no external
// styles, fonts or images) that opens offline: the verdict, the files,
// the findings with their evidence, and a swimlane timeline of each
// sign-in with the findings' steps highlighted. html/template escapes
// everything from the trace; a Content-Security-Policy that allows only
// the page's own stylesheet (by hash) stops anything that might slip
// through from running or loading.
//
// To look at the layout, render a report and take a screenshot, e.g.:
//
//	go test ./report -run TestHTMLInChromium -args -screenshot=/tmp/report.png
type HTMLWriter struct{}

var _ Writer = HTMLWriter{}

//go:embed html.tmpl
var htmlTemplateText string

//go:embed html.css
var htmlCSS string

// htmlTemplate is parsed on first use, not at the start of every command
// (0.3 ms, 1,600 allocations).
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Parse(htmlTemplateText))
})

// htmlCSP allows nothing but the embedded stylesheet, named by its hash.
var htmlCSP = func() string {
	sum := sha256.Sum256([]byte(htmlCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src 'none'; base-uri 'none'; form-action 'none'"
}()

func (HTMLWriter) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	if err := htmlTemplate().Execute(bw, newHTMLView(r)); err != nil {
		return fmt.Errorf("report: writing html: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing html: %w", err)
	}
	return nil
}

// The view types hold display-ready, cleaned strings; the template only
// ranges over them, so all decisions stay in Go where tests reach them.
type htmlView struct {
	Title        string
	CSP          string
	CSS          template.CSS
	Verdict      string
	VerdictClass string
	RuleCounts   []RuleCount
	Files        []htmlFile
	HasFindings  bool
	HasTimeline  bool
	HasNotes     bool
	HasHints     bool
	ToolName     string
	ToolVersion  string
}

type htmlFile struct {
	Path      string
	Format    string
	Exchanges int
	Events    int
	Error     string
	// Verdict and VerdictReason are the file's triage bucket and why.
	Verdict       string
	VerdictReason string
	Notes         []Note
	Findings      []*htmlFinding
	ToggleID      string
	Derived       bool
	// TimeHeader heads the time column: "UTC" plus the date when every
	// step falls on one day, so rows show only the time of day.
	TimeHeader string
	Lanes      []htmlLane
	Rows       []htmlRow
	// CaptureHints says what to capture next for this file.
	CaptureHints []string
	// Facts are the ticket's facts rows and how to find the sign-in in the
	// provider's logs.
	Facts     []htmlFact
	LogSearch string
}

type htmlFact struct{ Name, Value string }

func htmlFacts(f *File, show bool) ([]htmlFact, string) {
	fc := f.Facts
	if fc == nil || !show {
		return nil, ""
	}
	var out []htmlFact
	add := func(k, v string) {
		if v = oneLine(v); v != "" {
			out = append(out, htmlFact{k, v})
		}
	}
	prov := fc.Provider
	if fc.Cloud != "" {
		prov += ", cloud " + fc.Cloud
	}
	if fc.ProviderHost != "" {
		prov += " (" + fc.ProviderHost + ")"
	}
	add("provider", prov)
	add("tenant", fc.Tenant)
	add("client ID", strings.Join(fc.ClientIDs, ", "))
	add("app name", fc.AppName)
	add("user agent", fc.UserAgent)
	add("client library", fc.Library)
	if !fc.Start.IsZero() {
		add("time range (UTC)", fc.Start.String()+" – "+fc.End.String())
	}
	add("request IDs (client-request-id)", strings.Join(fc.RequestIDs, ", "))
	add("trace IDs", strings.Join(fc.TraceIDs, ", "))
	add("correlation IDs", strings.Join(fc.CorrelationIDs, ", "))
	return out, oneLine(LogSearch(fc))
}

type htmlFinding struct {
	Number        int
	Anchor        string
	Severity      string
	SevClass      string
	Rule          string
	Title         string
	Message       string
	Code          string
	CodeClass     string
	Confidence    string
	Mechanism     string
	Evidence      []htmlEvidence
	EvidenceNotes []htmlEvidenceNote
	Remediation   string
	NextCapture   []string
	// RuleHelp is the rule's documentation, shown folded.
	RuleHelp []string
}

type htmlEvidence struct {
	Time, Ref, Role, Method, URL, Param string
	Status                              int
	ErrorCode, TraceID, CorrelationID   string
}

type htmlEvidenceNote struct{ Ref, Text string }

type htmlLane struct {
	Name, Title, Party, PartyClass string
}

type htmlRow struct {
	Time, Delta string
	Findings    []*htmlFinding
	Cells       []*htmlStep // one per lane; nil where the lane has no step
}

type htmlStep struct {
	Kind, KindClass, Party, Label, Ref, Code, CodeClass, ErrorCode string
	Status                                                         int
	Failed                                                         bool
	Findings                                                       []*htmlFinding
}

func newHTMLView(r *Report) *htmlView {
	sum := Summarize(r.Files)
	v := &htmlView{
		CSP:          htmlCSP,
		CSS:          template.CSS(htmlCSS),
		Title:        TicketTitle(r),
		Verdict:      sum.Verdict(),
		VerdictClass: "none",
		RuleCounts:   sum.RuleCounts(),
		ToolName:     oneLine(r.Tool.Name),
		ToolVersion:  oneLine(r.Tool.Version),
	}
	for i := range v.RuleCounts {
		v.RuleCounts[i].Rule = oneLine(v.RuleCounts[i].Rule)
	}
	if w := sum.Worst(); w != "" {
		v.VerdictClass = string(w)
	} else if sum.Findings > 0 {
		v.VerdictClass = "info"
	}
	ruleHelp := map[string][]string{}
	for _, ri := range r.Rules {
		if ri.Help != "" {
			if _, dup := ruleHelp[ri.ID]; !dup {
				ruleHelp[ri.ID] = strings.Split(multiLine(strings.TrimSpace(ri.Help)), "\n")
			}
		}
	}
	n := 0
	for fi := range r.Files {
		f := &r.Files[fi]
		hf := htmlFile{
			Path: oneLine(f.Path), Format: oneLine(f.Format), Exchanges: f.Exchanges, Events: f.Events,
			Error: oneLine(f.Error), ToggleID: "only-findings-" + strconv.Itoa(fi),
			Verdict: oneLine(string(f.Verdict)), VerdictReason: oneLine(f.VerdictReason),
		}
		for _, nt := range f.Notes {
			hf.Notes = append(hf.Notes, Note{Kind: oneLine(nt.Kind), Message: oneLine(nt.Message), Ref: oneLine(nt.Ref)})
		}
		for i := range f.Findings {
			n++
			hfd := newHTMLFinding(n, &f.Findings[i])
			hfd.RuleHelp = ruleHelp[f.Findings[i].Rule]
			hf.Findings = append(hf.Findings, hfd)
		}
		hf.Facts, hf.LogSearch = htmlFacts(f, len(f.Findings) > 0 || len(r.Files) == 1)
		buildTimeline(&hf, f)
		hf.CaptureHints = captureHints(f)
		v.HasHints = v.HasHints || len(hf.CaptureHints) > 0
		v.HasFindings = v.HasFindings || len(hf.Findings) > 0
		v.HasTimeline = v.HasTimeline || len(hf.Rows) > 0
		v.HasNotes = v.HasNotes || len(hf.Notes) > 0
		v.Files = append(v.Files, hf)
	}
	return v
}

func newHTMLFinding(n int, fd *Finding) *htmlFinding {
	h := &htmlFinding{
		Number: n, Anchor: "f" + strconv.Itoa(n),
		Severity: oneLine(string(fd.Severity)), SevClass: severityClass(fd.Severity),
		Rule: oneLine(fd.Rule), Title: oneLine(fd.Title), Message: oneLine(fd.Message),
		Code: oneLine(fd.Code), CodeClass: codeClass(fd.Code), Confidence: oneLine(string(fd.Confidence)),
		Remediation: oneLine(fd.Remediation), Mechanism: oneLine(fd.Mechanism),
	}
	for _, e := range evidenceByTime(fd.Evidence) {
		h.Evidence = append(h.Evidence, htmlEvidence{
			Time: e.Time.String(), Ref: oneLine(e.Where()), Role: oneLine(e.Role), Method: oneLine(e.Method),
			URL: oneLine(e.URL), Param: oneLine(e.Param), Status: e.Status, ErrorCode: oneLine(e.ErrorCode),
			TraceID: oneLine(e.TraceID), CorrelationID: oneLine(e.CorrelationID),
		})
		if e.Timestamp != "" {
			h.EvidenceNotes = append(h.EvidenceNotes, htmlEvidenceNote{oneLine(e.Where()), "provider timestamp " + oneLine(e.Timestamp)})
		}
		if e.Note != "" {
			h.EvidenceNotes = append(h.EvidenceNotes, htmlEvidenceNote{oneLine(e.Where()), oneLine(e.Note)})
		}
	}
	for _, c := range fd.NextCapture {
		h.NextCapture = append(h.NextCapture, oneLine(c))
	}
	return h
}

// severityClass maps a severity to a CSS class; unknown values get their
// own class instead of reaching the class attribute.
func severityClass(s Severity) string {
	if s.Rank() > 0 {
		return string(s)
	}
	return "other"
}

// codeClass gives each code fingerprint one of eight colours, so the same
// code looks the same in every finding and timeline step.
func codeClass(code string) string {
	if code == "" {
		return ""
	}
	h := fnv.New32a()
	h.Write([]byte(code))
	return "c" + strconv.Itoa(int(h.Sum32()%8))
}

// timelineKinds are the step kinds the timeline styles (class k-KIND):
// a sign-in's, and a sign-out's, whose dashed borders tell them apart.
// Any other kind is k-other: a class is never made of a trace's text.
var timelineKinds = map[string]bool{
	"authorize": true, "code-issued": true, "callback": true,
	"token-request": true, "token-response": true, "authorize-error": true,
	"app-logout": true, "logout": true, "logout-return": true, "frontchannel-logout": true, "revocation": true,
}

var parties = map[string]bool{"browser": true, "app": true, "provider": true}

// buildTimeline lays the file's steps out as rows (time order) and lanes
// (one column per tab, connection or party, in order of first use). When
// the CLI recorded no timeline, the findings' evidence stands in, one lane
// per host.
func buildTimeline(hf *htmlFile, f *File) {
	events := f.Timeline
	if len(events) == 0 {
		events = evidenceTimeline(f)
		hf.Derived = len(events) > 0
	}
	if len(events) == 0 {
		return
	}
	order := make([]int, len(events))
	for i := range order {
		order[i] = i
	}
	if hf.Derived {
		// A timeline given by the CLI is already in flow order (by the start
		// of each exchange, so a code is issued before the callback that
		// receives it even when rounding makes their times disagree);
		// evidence gathered from findings is put in time order here.
		slices.SortStableFunc(order, func(a, b int) int { return events[a].Time.Compare(events[b].Time.Time) })
	}

	laneIndex := map[string]int{}
	var first time.Time
	for _, i := range order {
		e := &events[i]
		// A lane is a tab or connection; steps without one share their
		// party's lane.
		key := "lane\x00" + e.Lane
		if e.Lane == "" {
			key = "party\x00" + e.Party
		}
		col, ok := laneIndex[key]
		if !ok {
			col = len(hf.Lanes)
			laneIndex[key] = col
			name := e.Lane
			if name == "" {
				name = e.Party
			}
			if name == "" {
				name = "trace"
			}
			pc := "other"
			if parties[e.Party] {
				pc = e.Party
			}
			hf.Lanes = append(hf.Lanes, htmlLane{Name: oneLine(name), Title: oneLine(e.LaneTitle), Party: oneLine(e.Party), PartyClass: pc})
		}
		if first.IsZero() && !e.Time.IsZero() {
			first = e.Time.Time
		}
		step := &htmlStep{
			Kind: oneLine(e.Kind), KindClass: "other", Party: oneLine(e.Party), Label: oneLine(e.Label), Ref: oneLine(e.Ref),
			Code: oneLine(e.Code), CodeClass: codeClass(e.Code), ErrorCode: oneLine(e.ErrorCode),
			Status: e.Status, Failed: e.Status >= 400 || e.ErrorCode != "" || e.Kind == "authorize-error",
		}
		if timelineKinds[e.Kind] {
			step.KindClass = e.Kind
		}
		seen := map[int]bool{}
		for _, h := range e.Highlight {
			if h >= 0 && h < len(hf.Findings) && !seen[h] {
				seen[h] = true
				step.Findings = append(step.Findings, hf.Findings[h])
			}
		}
		row := htmlRow{Time: e.Time.String(), Findings: step.Findings}
		if !first.IsZero() && !e.Time.IsZero() {
			row.Delta = formatDelta(e.Time.Sub(first))
		}
		row.Cells = make([]*htmlStep, col+1)
		row.Cells[col] = step
		hf.Rows = append(hf.Rows, row)
	}
	hf.TimeHeader = "time (UTC)"
	if day := sameDay(events); day != "" {
		hf.TimeHeader = day + " (UTC)"
		for i, idx := range order {
			if t := events[idx].Time; !t.IsZero() {
				hf.Rows[i].Time = t.UTC().Format("15:04:05.000")
			}
		}
	}
	// Pad every row to the final number of lanes.
	for i := range hf.Rows {
		for len(hf.Rows[i].Cells) < len(hf.Lanes) {
			hf.Rows[i].Cells = append(hf.Rows[i].Cells, nil)
		}
	}
}

// sameDay returns the UTC date shared by every timed event, or "".
func sameDay(events []TimelineEvent) string {
	day := ""
	for _, e := range events {
		if e.Time.IsZero() {
			continue
		}
		d := e.Time.UTC().Format("2006-01-02")
		if day != "" && d != day {
			return ""
		}
		day = d
	}
	return day
}

func formatDelta(d time.Duration) string {
	if d < 0 {
		if d == math.MinInt64 {
			d++ // -d overflows to itself (times ~292 years apart); one ns less says the same
		}
		return "-" + strings.TrimPrefix(formatDelta(-d), "+")
	}
	if d < time.Minute {
		return fmt.Sprintf("+%.3f s", d.Seconds())
	}
	return "+" + d.Truncate(time.Millisecond).String()
}

// evidenceTimeline turns the findings' evidence into timeline steps when
// the CLI gave no timeline: one step per distinct ref, lane = URL host.
func evidenceTimeline(f *File) []TimelineEvent {
	var out []TimelineEvent
	index := map[string]int{}
	for fi := range f.Findings {
		for _, e := range f.Findings[fi].Evidence {
			if i, ok := index[e.Ref]; ok {
				if !slices.Contains(out[i].Highlight, fi) {
					out[i].Highlight = append(out[i].Highlight, fi)
				}
				continue
			}
			index[e.Ref] = len(out)
			kind := e.Role
			if kind == "" {
				kind = "request"
			}
			out = append(out, TimelineEvent{
				Time: e.Time, Ref: e.Ref, Kind: kind, Lane: hostOf(e.URL),
				Label: strings.TrimSpace(e.Method + " " + pathOf(e.URL)), Status: e.Status,
				ErrorCode: e.ErrorCode, Highlight: []int{fi},
			})
		}
	}
	return out
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "unknown host"
	}
	return u.Host
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.EscapedPath()
}
