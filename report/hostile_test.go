package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hostilePayload mixes everything a trace could use against a reader:
// markup that runs script if unescaped, a javascript: URL, quotes that end
// attributes, CRLF, Markdown table and code delimiters, template actions,
// a bidi override, NUL, an ANSI escape and invalid UTF-8.
const hostilePayload = "<script>document.title='PWNED';var e=document.createElement('div');e.id='pwned-marker';document.body.appendChild(e)</script>" +
	"<img src=x onerror=\"document.title='PWNED'\">\"' onmouseover='x' javascript:alert(1)\r\n| col | `tick` {{.Secret}} \u202eevil\u202c \x00 \x1b[31mred\x1b[0m \xff</style></td>"

// hostileReport puts s into every string field of the model.
func hostileReport(s string) *Report {
	t0 := At(time.Date(2026, 11, 26, 10, 0, 1, 234_000_000, time.UTC))
	ev := Evidence{
		Ref: s, Time: t0, Method: s, URL: "javascript:alert(document.domain)//" + s, Status: 400,
		ErrorCode: s, TraceID: s, CorrelationID: s, Role: s, Note: s, Timestamp: s, Param: s,
	}
	fd := Finding{
		Rule: s, Severity: Severity(s), Title: s, Message: s, Code: s, Confidence: Confidence(s), Mechanism: s,
		Evidence: []Evidence{ev, ev}, Remediation: s, NextCapture: []string{s, s}, Fingerprint: s,
	}
	known := fd
	known.Rule = "code-reuse"
	known.Severity = SeverityError
	tl := TimelineEvent{Time: t0, Ref: s, Kind: s, Party: s, Lane: s, LaneTitle: s, Label: s, Code: s, Status: 400, ErrorCode: s, Highlight: []int{0, 1, 7, -1}}
	facts := &Facts{Provider: s, Family: "entra", Cloud: s, Tenant: s, ProviderHost: s, ClientIDs: []string{s, s}, AppName: s,
		UserAgent: s, Library: s, Start: t0, End: t0, RequestIDs: []string{s}, TraceIDs: []string{s}, CorrelationIDs: []string{s}}
	return &Report{
		SchemaVersion: SchemaVersion,
		Tool:          Tool{Name: s, Version: s},
		Files: []File{
			{Path: s, Format: s, Exchanges: 2, Events: 2, Notes: []Note{{Kind: s, Message: s, Ref: s}},
				Findings: []Finding{fd, known}, Timeline: []TimelineEvent{tl, tl},
				Verdict: Verdict(s), VerdictReason: s, Facts: facts},
			{Path: "javascript:alert(1)" + s, Format: s, Error: s},
		},
		Summary: Summary{Files: 2, Findings: 2, Errors: 1},
		Rules:   []RuleInfo{{ID: s, Title: s, Severity: Severity(s), Help: s, URL: "javascript:alert(1)"}},
	}
}

// assertInertHTML fails when the HTML could run anything from the data:
// it tokenizes like a browser and allows only the writer's own tags,
// attributes and in-page links.
func assertInertHTML(t testing.TB, out []byte) {
	t.Helper()
	if problems := htmlProblems(out); len(problems) > 0 {
		t.Errorf("HTML is not inert:\n%s", strings.Join(problems, "\n"))
	}
}

// assertMarkdownTables fails when a table row has a different number of
// cells than its header, which is what an unescaped | or newline does.
func assertMarkdownTables(t testing.TB, out []byte) {
	t.Helper()
	cells := -1
	for i, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = -1
			continue
		}
		n := countCells(line)
		if cells < 0 {
			cells = n
			continue
		}
		if n != cells {
			t.Errorf("markdown line %d has %d cells, its table %d: %q", i+1, n, cells, line)
		}
	}
	if bytes.ContainsAny(out, "\x00\x1b\r") || bytes.Contains(out, []byte("\u202e")) {
		t.Errorf("markdown carries raw control or bidi characters")
	}
	if regexp.MustCompile(`(^|[^\\])<[a-zA-Z/!?]`).Match(out) {
		t.Errorf("markdown has an unescaped HTML tag")
	}
}

// countCells counts GFM table cells: | not preceded by a backslash.
func countCells(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n - 1
}

func assertValidJSON(t testing.TB, out []byte, what string) {
	t.Helper()
	if !json.Valid(out) {
		t.Errorf("%s is not valid JSON", what)
	}
}

func TestHostileOutputsAreInert(t *testing.T) {
	r := hostileReport(hostilePayload)
	out := func(w Writer) []byte {
		var buf bytes.Buffer
		if err := w.Write(&buf, r); err != nil {
			t.Fatalf("%T: %v", w, err)
		}
		return buf.Bytes()
	}
	assertInertHTML(t, out(HTMLWriter{}))
	assertMarkdownTables(t, out(MarkdownWriter{}))
	assertValidJSON(t, out(JSONWriter{}), "json")
	for i, line := range bytes.Split(bytes.TrimSuffix(out(JSONLWriter{}), []byte("\n")), []byte("\n")) {
		assertValidJSON(t, line, "jsonl line "+string(rune('1'+i)))
	}
	sarif := out(SARIFWriter{})
	assertValidJSON(t, sarif, "sarif")
	assertValidSARIF(t, sarif)
	for _, tw := range []TableWriter{{}, {Color: true}} {
		table := out(tw)
		// The writer's own colour codes are the only escapes allowed.
		stripped := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAll(table, nil)
		if tw.Color && len(stripped) == len(table) {
			t.Errorf("colour table has no colour")
		}
		if bytes.ContainsAny(stripped, "\x00\x1b\r") || bytes.Contains(stripped, []byte("\u202e")) {
			t.Errorf("table (color=%v) carries raw control or bidi characters", tw.Color)
		}
		if bytes.Contains(table, []byte("\x1b[31mred")) {
			t.Errorf("table passes the trace's own ANSI escape through")
		}
	}
}

// TestInertCheckersCatchProblems makes sure the checkers above can fail.
func TestInertCheckersCatchProblems(t *testing.T) {
	bad := []string{
		`<p>ok</p><script>alert(1)</script>`,
		`<p onclick="x">ok</p>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href="https://evil.example/">x</a>`,
		`<iframe src="x"></iframe>`,
	}
	for _, b := range bad {
		if len(htmlProblems([]byte(b))) == 0 {
			t.Errorf("htmlProblems(%q) found nothing", b)
		}
	}
	if p := htmlProblems([]byte(`<p class="x"><a href="#f1">ok</a> &lt;script&gt;</p>`)); len(p) != 0 {
		t.Errorf("clean HTML flagged: %v", p)
	}
	if countCells(`| a | b \| c |`) != 2 || countCells(`| a | b | c |`) != 3 {
		t.Errorf("countCells miscounts")
	}
}

// TestMarkdownPipeInCodeSpan: a value that goes into a code span keeps its
// table row intact; one that cannot is escaped instead.
func TestMarkdownPipeInCodeSpan(t *testing.T) {
	r := readFixture(t, "signin.json")
	ev := &r.Files[0].Findings[0].Evidence[0]
	ev.URL = "https://app.example/cb?x=a|b|c&y=1"
	ev.TraceID = `a\|b`
	ev.CorrelationID = "x`|`y"
	var buf bytes.Buffer
	if err := (MarkdownWriter{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	assertMarkdownTables(t, buf.Bytes())
	for _, want := range []string{"`https://app.example/cb?x=a\\|b\\|c&y=1`", `a\\\|b`, "x\\`\\|\\`y"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("markdown lacks %s", want)
		}
	}
}

// TestHTMLStyleMatchesCSP: the CSP names the stylesheet by hash, so if the
// template ever changed a byte of it the page would render unstyled.
func TestHTMLStyleMatchesCSP(t *testing.T) {
	var buf bytes.Buffer
	if err := (HTMLWriter{}).Write(&buf, readFixture(t, "signin.json")); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	start := strings.Index(out, "<style>") + len("<style>")
	end := strings.Index(out, "</style>")
	if start < len("<style>") || end < start {
		t.Fatal("no <style> element")
	}
	sum := sha256.Sum256([]byte(out[start:end]))
	want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	// html/template writes the attribute's quotes as &#39; and a + of the
	// base64 hash as &#43; (the browser decodes both).
	csp := strings.NewReplacer("'", "&#39;", "+", "&#43;").Replace(htmlCSP)
	if !strings.Contains(out, csp) || !strings.Contains(htmlCSP, want) {
		t.Errorf("CSP %q does not allow the page's stylesheet (hash %s)", htmlCSP, want)
	}
	if strings.Count(out, "<style") != 1 || strings.Contains(out, "style=") {
		t.Errorf("the page has more styles than the hashed stylesheet")
	}
}

// TestHTMLSignOutKindClasses: each sign-out step kind gets its own style
// class in the timeline, as the sign-in kinds do; a kind that only begins
// like one (a trace's text) gets k-other and is shown escaped.
func TestHTMLSignOutKindClasses(t *testing.T) {
	t0 := At(time.Date(2026, 12, 6, 13, 42, 0, 0, time.UTC))
	kinds := []string{"app-logout", "revocation", "logout", "frontchannel-logout", "logout-return", `logout" onmouseover="alert(1)`}
	var tl []TimelineEvent
	for _, k := range kinds {
		tl = append(tl, TimelineEvent{Time: t0, Ref: "entries[1]", Kind: k, Party: "browser", Label: "GET /logout"})
	}
	r := &Report{SchemaVersion: SchemaVersion, Tool: Tool{Name: "traceaudit"},
		Files: []File{{Path: "signout.har", Format: "har", Timeline: tl, Verdict: VerdictClean}}}
	var buf bytes.Buffer
	if err := (HTMLWriter{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, k := range kinds[:5] {
		if !strings.Contains(out, `<div class="step k-`+k+`"><span class="kind">`+k+`</span>`) {
			t.Errorf("kind %s not styled as itself", k)
		}
		if !strings.Contains(out, ".k-"+k+" {") {
			t.Errorf("the stylesheet has no rule for .k-%s", k)
		}
	}
	if strings.Count(out, `class="step k-other"`) != 1 || strings.Contains(out, `onmouseover="alert`) {
		t.Errorf("a look-alike kind is not k-other and escaped")
	}
	assertInertHTML(t, buf.Bytes())
}
