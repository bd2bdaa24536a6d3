// Package rules turns the OAuth events of one trace into findings.
//
// Analyze links the events into sign-in transactions once (authorize →
// code issued → deliveries to the app → redemptions → token responses), by
// state, code and PKCE (S256 of a verifier names the authorize request it
// belongs to), and works out what several rules share: the crossings
// between overlapping sign-ins (story.go) and whether the trace kept
// cookies. Every Rule reads that analysis through a Pass and reports
// Findings; the analysis is read-only once rules run. Rules never parse HTTP
// (the model gives cookies, resolved redirects, URL tokens) and never
// print; the list of rules is the explicit All(). Check runs them all:
//
//	events := oauth.ExtractAll(exchanges)
//	findings := rules.Check(rules.Input{Exchanges: exchanges, Events: events, Notes: notes},
//		rules.Options{CodeLifetime: 0}) // 0: each provider's own lifetime
//
// Files: analysis.go (linking), shared.go (helpers more than one rule
// reads), story.go (mechanisms and crossings: one story per incident, so
// multi-tab-race and code-reuse agree), then one file per rule, which calls
// only the analysis files, never another rule file. A finding names its
// Mechanism as a value when the rule can tell how the incident came about.
//
// Adding a rule: a *Rule value in its own file, listed in All(), with a
// positive and a near-miss fixture under testdata/ whose HAR entry comments
// say `want RULE-ID "message regexp"` (rulestest runs every rule over every
// fixture, so an unexpected finding fails too; the tests hand it a loader,
// rulestest reads no format itself), and, where the fixture lab records the
// condition, the scenario's expect.json (TestLab). A rule about the capture
// rather than the sign-in sets AboutCapture.
package rules

import (
	"fmt"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// Severity ranks findings; --fail-on compares against it.
type Severity int

const (
	Info Severity = iota + 1
	Warning
	Error
)

var severityNames = [...]string{Info: "info", Warning: "warning", Error: "error"}

// String is the contract's name: error, warning or info.
func (s Severity) String() string {
	if s > 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "unknown"
}

// MarshalText writes the name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseSeverity reads error, warning or info.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && strings.EqualFold(n, s) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("rules: unknown severity %q", s)
}

// Rule is one check. ID is the stable kebab-case identifier of the CLI
// contract; Title a short lower-case summary without final period; Doc what
// the rule detects, its evidence and the remediation (printed by
// `traceaudit explain`). Run reads the Pass and reports findings.
type Rule struct {
	ID       string
	Title    string
	Doc      string
	Severity Severity
	// AboutCapture marks a rule that reports on the trace, not the sign-in:
	// its remediation is the capture to make next.
	AboutCapture bool
	Run          func(*Pass)
}

// Options tune the analysis.
type Options struct {
	// CodeLifetime, when positive, replaces every provider's authorization
	// code lifetime (the CLI's --code-lifetime).
	CodeLifetime time.Duration
	// DeferScrub: Remediate and Assess leave the trace's secret values in
	// the texts they write, for the caller to replace once it has let the
	// analysis go (ScrubFindings, Input.Scrubber): the analysis and the
	// scrubber's table were live at once, the peak of a scan of 65,000
	// sign-ins.
	DeferScrub bool
}

// Input is one trace: its exchanges (source order), the events extracted
// from them (oauth.ExtractAll) and the reader's notes.
type Input struct {
	Exchanges []*model.Exchange
	// Kept, when set, stands for Exchanges: what the rules read of each
	// exchange (ExchangeSlab.Keep), nil where the caller dropped one. The
	// CLI keeps only these; Analyze makes them from Exchanges otherwise.
	Kept   []*Exchange
	Events []model.Event
	// EventChunks, when set, stands for Events: the same events in source
	// order, held in consecutive slices. The CLI collects a trace's events
	// so and joins them once the rules are done: joining the 65,000 events
	// of issue 18's worst capture (18 MB) before the rules held both copies
	// at once, the peak of the scan.
	EventChunks [][]model.Event
	Notes       []model.Note
}

// events yields every event of the trace in source order, from Events or
// EventChunks.
func (in *Input) events() iter.Seq[*model.Event] {
	return func(yield func(*model.Event) bool) {
		if in.EventChunks == nil {
			for i := range in.Events {
				if !yield(&in.Events[i]) {
					return
				}
			}
			return
		}
		for _, ch := range in.EventChunks {
			for i := range ch {
				if !yield(&ch[i]) {
					return
				}
			}
		}
	}
}

// Scrubber knows the secrets of the input's events (see model.ScrubberOf).
func (in *Input) Scrubber() *secret.Scrubber { return model.ScrubberOf(in.events()) }

// eventCount is the number of events events yields.
func (in *Input) eventCount() int {
	if in.EventChunks == nil {
		return len(in.Events)
	}
	n := 0
	for _, ch := range in.EventChunks {
		n += len(ch)
	}
	return n
}

// Evidence is one exchange a finding rests on. URL is redacted
// (secret.RedactURL); nothing here is secret.
type Evidence struct {
	Ref           string    `json:"ref"`
	Time          time.Time `json:"time,omitzero"`
	Method        string    `json:"method,omitempty"`
	URL           string    `json:"url,omitempty"`
	Status        int       `json:"status,omitempty"`
	ErrorCode     string    `json:"error_code,omitempty"`
	TraceID       string    `json:"trace_id,omitempty"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	Timestamp     string    `json:"timestamp,omitempty"`
	// Note is the exchange's role in the finding: "code issued",
	// "first redemption (won)", "second redemption (lost)".
	Note string `json:"note,omitempty"`
	// Param is the parameter of this exchange that proves the finding,
	// e.g. "redirect_uri=http://app.example/cb" (set by Remediate).
	Param string `json:"param,omitempty"`
}

// Finding is one problem found in a trace.
type Finding struct {
	RuleID   string   `json:"rule"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Code is the authorization code concerned, when there is one; it
	// formats as its fingerprint.
	Code        secret.Secret `json:"code"`
	Evidence    []Evidence    `json:"evidence"`
	Remediation string        `json:"remediation,omitempty"`
	// Confidence is set when the rule reasons by elimination or timing.
	Confidence Confidence `json:"confidence,omitempty"`
	// Mechanism is how the incident most likely came about, when the rule
	// can tell (the message says it in words).
	Mechanism Mechanism `json:"mechanism,omitempty"`
	// refusedBy is the app library that refused the callback the finding
	// turns on (its AppRefusal's Library), for Remediate to remedy in that
	// library's terms; "" when none or unknown.
	refusedBy string
	// sentBy is the client software the evidence shows sending the
	// sign-in's request the finding turns on ("kubelogin"), for Remediate;
	// "" when none is known.
	sentBy string
	// providerSlot: the crossing the finding tells replaced a cookie of the
	// provider's own (Crossing.ProviderCookie), whose remedy is the
	// crossing's.
	providerSlot bool
}

// Pass is what a rule sees: the shared analysis and a way to report.
type Pass struct {
	*Analysis
	Rule     *Rule
	findings []Finding
}

// Report records a finding; RuleID and a missing Severity come from the rule.
func (p *Pass) Report(f Finding) {
	f.RuleID = p.Rule.ID
	if f.Severity == 0 {
		f.Severity = p.Rule.Severity
	}
	p.findings = append(p.findings, f)
}

// Run applies rules to an analysis and returns their findings in a
// deterministic order: by first evidence position, then rule ID, then message.
func Run(a *Analysis, rs []*Rule) []Finding {
	var out []Finding
	for _, r := range rs {
		p := &Pass{Analysis: a, Rule: r}
		r.Run(p)
		out = append(out, p.findings...)
	}
	// Rules redact what they quote by name (secret.RedactURL); a value
	// that sits where no name says so (a state pasted into a redirect URI)
	// is caught here, before anything reads the findings.
	a.scrubFindings(out)
	sortFindings(out)
	return out
}

// Check analyses one trace and runs every rule of All on it.
func Check(in Input, opts Options) []Finding {
	return Run(Analyze(in, opts), All())
}

func sortFindings(fs []Finding) {
	pos := func(f Finding) int {
		best := int(^uint(0) >> 1)
		for _, e := range f.Evidence {
			if n, ok := refIndex(e.Ref); ok && n < best {
				best = n
			}
		}
		return best
	}
	sort.SliceStable(fs, func(i, j int) bool {
		pi, pj := pos(fs[i]), pos(fs[j])
		if pi != pj {
			return pi < pj
		}
		if fs[i].RuleID != fs[j].RuleID {
			return fs[i].RuleID < fs[j].RuleID
		}
		return fs[i].Message < fs[j].Message
	})
}

// refIndex extracts the number of "entries[12]", "session 5", "frame 88".
func refIndex(ref string) (int, bool) {
	start := strings.IndexAny(ref, "0123456789")
	if start < 0 {
		return 0, false
	}
	n := 0
	for i := start; i < len(ref) && ref[i] >= '0' && ref[i] <= '9'; i++ {
		if n > 1<<30 {
			return 0, false
		}
		n = n*10 + int(ref[i]-'0')
	}
	return n, true
}

// Confidence says how sure a finding that reasons by elimination or timing
// is. The report writes it as is (report.Confidence has the same values).
type Confidence string

const (
	ConfidenceHigh   Confidence = "high"   // the trace shows every step of the story
	ConfidenceMedium Confidence = "medium" // one step is inferred
	ConfidenceLow    Confidence = "low"    // a plausible reading among others
)
