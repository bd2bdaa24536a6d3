package main

import (
	"fmt"
	"iter"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/report"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// scanResult is the rules' verdict on one file.
type scanResult struct {
	findings   []rules.Finding
	assessment rules.Assessment
	// scrubber knows the trace's secrets (rules.Analysis.Scrubber), for
	// the report's other texts.
	scrubber *secret.Scrubber
}

func (r fileResult) findingCount() int {
	if r.scan == nil {
		return 0
	}
	return len(r.scan.findings)
}

// runScanRules runs the rules on in. The scrubber of the findings and the
// report knows the events' secrets and, unless --no-redact, body: the
// secrets the exchanges carry or issue by name (fileResult.bodySecrets).
func runScanRules(in rules.Input, o *options, body []secret.Secret) *scanResult {
	a := rules.Analyze(in, rules.Options{CodeLifetime: o.codeLifetime, DeferScrub: true})
	findings := rules.Run(a, rules.All())
	rules.Remediate(a, findings)
	as := rules.Assess(a, findings)
	// The secrets are replaced once the analysis (a, not used below) is
	// let go: its transactions and maps and the scrubber's table (3.5 MiB
	// for the 65,000 states of issue 18's capture) were live at once, the
	// peak of a scan.
	sc := in.Scrubber()
	if !o.noRedact {
		sc.Reserve(len(body))
		for _, v := range body {
			sc.Add(v)
		}
	}
	rules.ScrubFindings(sc, findings)
	if as.Reason != "" {
		as.Reason = sc.String(as.Reason)
	}
	return &scanResult{findings: findings, assessment: as, scrubber: sc}
}

func ruleInfos() []report.RuleInfo {
	var out []report.RuleInfo
	for _, r := range rules.All() {
		out = append(out, ruleInfo(r))
	}
	return out
}

func ruleInfo(r *rules.Rule) report.RuleInfo {
	return report.RuleInfo{ID: r.ID, Title: r.Title, Severity: report.Severity(r.Severity.String()), Help: r.Doc}
}

// reportFile converts one file's results to the wire model, rendering every
// secret as its fingerprint unless --no-redact.
func reportFile(r fileResult, noRedact bool) report.File {
	f := report.File{
		Path:      r.path,
		Format:    string(r.format),
		Exchanges: r.exchangeCount,
		Events:    r.eventCount(),
		Error:     r.errText(),
	}
	if len(r.notes) > 0 {
		f.Notes = reportNotes(r.notes)
	}
	switch {
	case f.Error != "":
		f.Verdict, f.VerdictReason = report.VerdictUnreadable, "the file could not be read: "+f.Error
	case r.scan != nil:
		f.Verdict, f.VerdictReason = report.Verdict(r.scan.assessment.Verdict), r.scan.assessment.Reason
		if !noRedact {
			f.VerdictReason = secret.RedactText(f.VerdictReason)
		}
	}
	if r.scan == nil {
		return f
	}
	rawURL := map[string]string{}
	if noRedact {
		for _, x := range r.exchanges {
			rawURL[x.Ref] = x.URL
		}
		for ref, u := range r.rawURLs {
			rawURL[ref] = u
		}
	}
	refFindings := map[string][]int{}
	for i, fd := range r.scan.findings {
		text := func(s string) string {
			if noRedact {
				return s
			}
			return secret.RedactText(s)
		}
		rf := report.Finding{
			Rule:        fd.RuleID,
			Severity:    report.Severity(fd.Severity.String()),
			Message:     text(fd.Message),
			Code:        fd.Code.Render(noRedact),
			Confidence:  report.Confidence(fd.Confidence),
			Mechanism:   string(fd.Mechanism),
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
			if raw, ok := rawURL[e.Ref]; ok && noRedact {
				u = raw
			}
			rf.Evidence = append(rf.Evidence, report.Evidence{
				Ref: e.Ref, Time: report.At(e.Time), Method: e.Method, URL: u, Status: e.Status,
				ErrorCode: e.ErrorCode, TraceID: e.TraceID, CorrelationID: e.CorrelationID,
				Timestamp: e.Timestamp, Role: e.Note, Param: text(e.Param),
			})
			refFindings[e.Ref] = append(refFindings[e.Ref], i)
		}
		f.Findings = append(f.Findings, rf)
	}
	// The timeline comes last: it lets the events go as it reads them.
	f.Facts = facts(r.eachEvent(), noRedact)
	f.Timeline = timeline(r.eachEvent(), r.drainEvents(), refFindings, noRedact)
	return f
}

// appNamedRE finds the application's display name where Entra's error
// descriptions give it ("…the application with ID '…' named 'Contoso HR'").
// It is compiled on first use, as oauth's regexps: most traces name no app.
var appNamedRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\bnamed '([^'\x00-\x1f]{1,100})'`) })

// facts gathers what a ticket states about the sign-in from the events:
// the provider of the first authorize (or any provider event), the client
// ids, the browser, the time range and the ids the provider's logs are
// searched by.
func facts(events iter.Seq[*model.Event], noRedact bool) *report.Facts {
	some := false
	for range events {
		some = true
		break
	}
	if !some {
		return nil
	}
	var fc report.Facts
	add := func(list []string, v string) []string {
		if v == "" || slices.Contains(list, v) || len(list) >= 8 {
			return list
		}
		return append(list, v)
	}
	var prov model.Provider
	for e := range events {
		if prov.Family == "" && e.Provider().Family != "" && e.Provider().Family != model.FamilyApp {
			prov = e.Provider()
		}
		if e.Kind == model.AuthorizeRequest && e.Provider().Family != "" && (prov.Tenant == "" || e.Provider().Tenant != "") && fc.ClientIDs == nil {
			prov = e.Provider()
		}
		fc.ClientIDs = add(fc.ClientIDs, e.ClientID())
		if fc.UserAgent == "" && e.Origin() == "" && e.UserAgent() != "" && (e.Kind == model.AuthorizeRequest || e.Kind == model.Callback) {
			fc.UserAgent = e.UserAgent()
		}
		if fc.Library == "" {
			fc.Library = e.Library()
		}
		if !e.Time.IsZero() {
			if fc.Start.IsZero() || e.Time.Before(fc.Start.Time) {
				fc.Start = report.At(e.Time)
			}
			if e.Time.After(fc.End.Time) {
				fc.End = report.At(e.Time)
			}
		}
		fc.RequestIDs = add(fc.RequestIDs, e.RequestID())
		if e.Err != nil {
			fc.TraceIDs = add(fc.TraceIDs, e.Err.TraceID)
			fc.CorrelationIDs = add(fc.CorrelationIDs, e.Err.Correlation)
			// The literal first: the regexp is then compiled only for a
			// description that may name the app.
			if fc.AppName == "" && strings.Contains(e.Err.Description, "named '") {
				if m := appNamedRE().FindStringSubmatch(e.Err.Description); m != nil {
					fc.AppName = m[1]
				}
			}
		}
	}
	if fc.UserAgent == "" {
		for e := range events {
			if e.UserAgent() != "" {
				fc.UserAgent = e.UserAgent()
				break
			}
		}
	}
	if prov.Family != "" {
		fc.Provider, fc.Family, fc.Cloud, fc.Tenant, fc.ProviderHost = model.ProviderName(prov), string(prov.Family), prov.Cloud, prov.Tenant, prov.Host
	}
	if !noRedact {
		fc.UserAgent = secret.RedactText(fc.UserAgent)
	}
	return &fc
}

// timeline lays the OAuth steps out for the HTML swimlanes: one lane per tab
// or connection, each step attributed to the party that acted. It reads the
// events of events twice, then those of last, the same events, which may
// let them go as it reads them (fileResult.drainEvents): the steps are
// kept in a compact form (tlStep) until every event is read, so that the
// events and the report's steps are never whole in memory at once (issue
// 18: 14 and 12 MiB for a capture's 65,000 events, the peak of the report).
func timeline(events, last iter.Seq[*model.Event], refFindings map[string][]int, noRedact bool) []report.TimelineEvent {
	// Sized once, and lane titles and labels made once per lane and
	// endpoint: a capture's 65,000 steps otherwise allocated twice their
	// size in regrowth and three strings each.
	n := 0
	for e := range events {
		if timelineParty(e) != "" {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	steps := make([]tlStep, 0, n)
	var lanes [][2]string // lane and its title
	laneAt := map[[2]string]int32{}
	var labelList []string
	var highlights [][]int
	pageTitle, connTitle := map[string]string{}, map[string]string{}
	once := func(m map[string]string, prefix, v string) string {
		t, ok := m[v]
		if !ok {
			t = prefix + v
			m[v] = t
		}
		return t
	}
	type labelKey struct{ method, endpoint string }
	labels := map[labelKey]int32{}
	// Browser pages become "Page 1", "Page 2" in order of first use: a page
	// id means nothing to a reader, so it goes in the lane's tooltip. They
	// are not called tabs: a HAR page is one top-level navigation, and one
	// tab makes several.
	tabs := map[string]string{}
	// Only pages the browser navigated are tabs; a HAR's "page" of
	// server-side requests (an app's own capture) keeps its name.
	browserPage := map[string]bool{}
	for e := range events {
		if e.Page() != "" && (e.Kind == model.AuthorizeRequest || e.Kind == model.Callback || (e.Kind == model.TokenRequest && e.Origin() != "")) {
			browserPage[e.Page()] = true
		}
	}
	for e := range last {
		party := timelineParty(e)
		if party == "" {
			continue
		}
		lane, laneTitle := e.Page(), ""
		if lane != "" && !browserPage[lane] {
			laneTitle = once(pageTitle, "page id ", lane)
		} else if lane != "" {
			if _, ok := tabs[lane]; !ok {
				tabs[lane] = fmt.Sprintf("Page %d", len(tabs)+1)
			}
			lane, laneTitle = tabs[e.Page()], once(pageTitle, "page id ", e.Page())
		}
		if lane == "" && e.Conn() != "" {
			lane, laneTitle = e.Conn(), once(connTitle, "connection ", e.Conn())
		}
		if lane == "" {
			lane, laneTitle = "trace", ""
		}
		lk := labelKey{e.Method(), e.Endpoint()}
		label, ok := labels[lk]
		if !ok {
			label = int32(len(labelList))
			path := pathOf(e.Endpoint())
			if !noRedact {
				// A session id in the path (;jsessionid=…).
				path = secret.PathParams(path, secret.RedactParam)
			}
			labelList = append(labelList, strings.TrimSpace(e.Method()+" "+path))
			labels[lk] = label
		}
		lt := [2]string{lane, laneTitle}
		li, ok := laneAt[lt]
		if !ok {
			li = int32(len(lanes))
			lanes = append(lanes, lt)
			laneAt[lt] = li
		}
		st := tlStep{at: e.Time, ref: e.Ref, code: e.Code.Render(noRedact), status: e.Status, kind: e.Kind,
			lane: li, label: label, hl: -1, party: partyIndex(party)}
		// The chip shows the code the findings name: the most specific one
		// (AADSTS54005, not its wrapper AADSTS70002).
		if e.Err != nil {
			st.errCode = catalog.PrimaryCode(e.Err)
			if st.errCode == "" {
				st.errCode = e.Err.Error
			}
		}
		if idx := refFindings[e.Ref]; len(idx) > 0 {
			st.hl = int32(len(highlights))
			highlights = append(highlights, uniqueInts(idx))
		}
		steps = append(steps, st)
	}
	if len(steps) >= joinCollectAt {
		// The report's steps are made in one allocation (200 bytes a
		// step, 13 MiB for a capture's 65,000), which the heap took
		// on top of whatever the events drained above left for the
		// collector: the peak of the scan (a heap 10 MiB over its
		// limit). A collection first lets that go.
		runtime.GC()
	}
	out := make([]report.TimelineEvent, 0, len(steps))
	for _, st := range steps {
		te := report.TimelineEvent{
			Time: report.At(st.at), Ref: st.ref, Kind: st.kind.String(), Party: parties[st.party], Lane: lanes[st.lane][0],
			LaneTitle: lanes[st.lane][1], Label: labelList[st.label], Code: st.code, Status: st.status, ErrorCode: st.errCode,
		}
		if st.hl >= 0 {
			te.Highlight = highlights[st.hl]
		}
		out = append(out, te)
	}
	return out
}

// tlStep is a timeline step while the events are read (see timeline): 104
// bytes where a report.TimelineEvent is 200, its lane, label and party
// given by their place in lists of them.
type tlStep struct {
	at                 time.Time
	ref, code, errCode string
	status             int
	kind               model.EventKind
	lane, label, hl    int32 // hl: the highlight's place, -1 for none
	party              uint8
}

// parties are the values timelineParty gives, in the order of partyIndex.
var parties = [...]string{"browser", "provider", "app"}

func partyIndex(p string) uint8 {
	for i, q := range parties {
		if q == p {
			return uint8(i)
		}
	}
	panic("timeline: unknown party " + p)
}

// timelineParty is who acted in a step the timeline shows, "" for events
// it leaves out.
func timelineParty(e *model.Event) string {
	switch e.Kind {
	case model.AuthorizeRequest, model.Callback:
		return "browser"
	case model.CodeIssued, model.AuthorizeError, model.TokenResponse:
		return "provider"
	case model.TokenRequest:
		if e.Origin() != "" {
			return "browser"
		}
		return "app"
	case model.LogoutRequest, model.AppLogout, model.FrontChannelLogout:
		return "browser"
	case model.LogoutReturn:
		return "provider"
	case model.Revocation:
		if e.Origin() != "" {
			return "browser"
		}
		return "app"
	}
	return ""
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
	if err := parseFlags(fs, args, env); err != nil {
		return exitTrouble, err
	}
	return exitOK, report.WriteRuleList(env.stdout, ruleInfos(), tableWidth(env, true))
}

// runExplain prints a rule's documentation, or what a provider error code
// means, its usual causes, the rules that report it and what to do.
func runExplain(args []string, env environment) (int, error) {
	fs := newFlagSet("explain", env)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: traceaudit explain RULE|ERROR-CODE\n\nA rule ID (see 'traceaudit rules'), a provider error code (AADSTS54005,\nAADB2C90088, MSIS9622), its number alone (54005) or an OAuth error (invalid_grant).\n")
	}
	if err := parseFlags(fs, args, env); err != nil {
		return exitTrouble, err
	}
	if fs.NArg() != 1 {
		return exitTrouble, usagef("explain: want exactly one RULE or ERROR-CODE (see 'traceaudit rules')")
	}
	key := fs.Arg(0)
	if r := rules.ByID(key); r != nil {
		return exitOK, report.WriteRuleDoc(env.stdout, ruleInfo(r))
	}
	exps := rules.ExplainError(key)
	if provider, where, ok := catalog.CodeReference(key); ok && len(exps) == 0 {
		return exitTrouble, fmt.Errorf("explain: %s (%s) is not in traceaudit's catalog; %s. In a trace, the answer's error_description gives the provider's words, and 'traceaudit events' shows it with its trace and correlation ids",
			strings.ToUpper(strings.TrimSpace(key)), provider, where)
	}
	if len(exps) == 0 {
		var ids []string
		for _, r := range rules.All() {
			ids = append(ids, r.ID)
		}
		return exitTrouble, usagef("explain: %q is neither a rule nor an error code the catalog knows; rules are: %s", report.Line(key), strings.Join(ids, ", "))
	}
	for i, e := range exps {
		if i > 0 {
			fmt.Fprintln(env.stdout)
		}
		if err := report.WriteErrorDoc(env.stdout, errorDoc(e)); err != nil {
			return exitTrouble, err
		}
	}
	return exitOK, nil
}

func errorDoc(e rules.ErrorExplanation) report.ErrorDoc {
	d := report.ErrorDoc{Key: e.Key, Code: e.Info.Code, Match: e.Info.Match, Family: string(e.Info.Family),
		Class: string(e.Info.Class), Meaning: e.Info.Meaning, Causes: e.Causes, NoRuleNote: e.NoRuleNote,
		Remediation: e.Info.Remediation}
	for _, r := range e.Rules {
		d.Rules = append(d.Rules, ruleInfo(r))
	}
	return d
}
