package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// MarkdownWriter renders an escalation ticket: the verdict first, then per
// finding the message, its evidence as a table (time, ref, request, status,
// provider error code, trace and correlation IDs), the provider timestamps,
// the remediation and what to capture next. Everything from the trace is
// escaped, so a hostile value cannot break a table, open a link or inject
// HTML into the ticket system.
type MarkdownWriter struct{}

var _ Writer = MarkdownWriter{}

func (MarkdownWriter) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	writeMarkdown(bw, r)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing markdown: %w", err)
	}
	return nil
}

func writeMarkdown(w *bufio.Writer, r *Report) {
	sum := Summarize(r.Files)
	fmt.Fprintf(w, "# %s\n\n", md(TicketTitle(r)))
	fmt.Fprintf(w, "**Verdict:** %s.\n\n", md(sum.Verdict()))
	for _, f := range r.Files {
		if f.Facts != nil && (len(f.Findings) > 0 || len(r.Files) == 1) {
			writeMarkdownFacts(w, &f)
		}
	}
	n := 0
	for _, f := range r.Files {
		for _, fd := range f.Findings {
			n++
			fmt.Fprintf(w, "%d. **%s** %s in %s: %s\n", n, md(string(fd.Severity)), mdCode(fd.Rule, false), mdCode(f.Path, false), md(fd.Message))
		}
	}
	for _, f := range r.Files {
		if f.Error != "" {
			n++
			fmt.Fprintf(w, "%d. **unreadable** %s: %s\n", n, mdCode(f.Path, false), md(f.Error))
		}
	}
	if n > 0 {
		w.WriteString("\n")
	}

	w.WriteString("## Files\n\n")
	w.WriteString("| file | format | exchanges | events | findings | notes | verdict |\n")
	w.WriteString("|---|---|---:|---:|---:|---:|---|\n")
	for _, f := range r.Files {
		status := "read"
		switch {
		case f.Verdict != "":
			status = "**" + md(string(f.Verdict)) + "**: " + md(f.VerdictReason)
		case f.Error != "":
			status = "unreadable: " + md(f.Error)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %s |\n", mdCode(f.Path, true), md(f.Format),
			f.Exchanges, f.Events, len(f.Findings), len(f.Notes), status)
	}
	w.WriteString("\n")

	n = 0
	for _, f := range r.Files {
		for i := range f.Findings {
			n++
			writeMarkdownFinding(w, n, &f, &f.Findings[i])
		}
	}
	for i := range r.Files {
		writeMarkdownCaseTimeline(w, &r.Files[i])
	}

	var hinted bool
	for _, f := range r.Files {
		hints := captureHints(&f)
		if len(hints) == 0 {
			continue
		}
		if !hinted {
			w.WriteString("## What to capture next\n\n")
			hinted = true
		}
		fmt.Fprintf(w, "%s:\n\n", mdCode(f.Path, false))
		for _, h := range hints {
			fmt.Fprintf(w, "- %s\n", md(h))
		}
		w.WriteString("\n")
	}

	var notes int
	for _, f := range r.Files {
		notes += len(f.Notes)
	}
	if notes > 0 {
		w.WriteString("## Appendix: notes on the traces\n\n")
		for _, f := range r.Files {
			for _, nt := range f.Notes {
				where := mdCode(f.Path, false)
				if nt.Ref != "" {
					where += " " + mdCode(nt.Ref, false)
				}
				fmt.Fprintf(w, "- %s, %s: %s\n", where, mdCode(nt.Kind, false), md(nt.Message))
			}
		}
		w.WriteString("\n")
	}
	fmt.Fprintf(w, "---\nWritten by %s %s. Secrets are shown only as `sha256:` fingerprints; the same value has the same fingerprint in every report.\n",
		md(r.Tool.Name), md(r.Tool.Version))
}

func writeMarkdownFinding(w *bufio.Writer, n int, f *File, fd *Finding) {
	title := fd.Title
	if title == "" {
		title = fd.Rule
	}
	fmt.Fprintf(w, "## %d. %s: %s\n\n", n, md(string(fd.Severity)), md(title))
	fmt.Fprintf(w, "- rule: %s\n- file: %s\n", mdCode(fd.Rule, false), mdCode(f.Path, false))
	if fd.Code != "" {
		fmt.Fprintf(w, "- authorization code: %s\n", mdCode(fd.Code, false))
	}
	if fd.Mechanism != "" {
		fmt.Fprintf(w, "- mechanism: %s\n", mdCode(fd.Mechanism, false))
	}
	if fd.Confidence != "" {
		fmt.Fprintf(w, "- confidence: %s\n", md(string(fd.Confidence)))
	}
	fmt.Fprintf(w, "\n%s\n\n", md(fd.Message))

	if len(fd.Evidence) > 0 {
		w.WriteString("| time (UTC) | ref | step | request | proves | status | error code | trace ID | correlation ID |\n")
		w.WriteString("|---|---|---|---|---|---:|---|---|---|\n")
		for _, e := range evidenceByTime(fd.Evidence) {
			status := "none captured"
			if e.Status != 0 {
				status = strconv.Itoa(e.Status)
			}
			req := strings.TrimSpace(md(e.Method) + " " + mdCode(e.URL, true))
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				md(e.Time.String()), mdCode(e.Where(), true), md(e.Role), req, mdCode(e.Param, true), status,
				mdCode(e.ErrorCode, true), mdCode(e.TraceID, true), mdCode(e.CorrelationID, true))
		}
		w.WriteString("\n")
		for _, e := range fd.Evidence {
			if e.Timestamp != "" {
				fmt.Fprintf(w, "- %s: provider timestamp %s\n", mdCode(e.Where(), false), md(e.Timestamp))
			}
			if e.Note != "" {
				fmt.Fprintf(w, "- %s: %s\n", mdCode(e.Where(), false), md(e.Note))
			}
		}
		for _, e := range fd.Evidence {
			if e.Timestamp != "" || e.Note != "" {
				w.WriteString("\n")
				break
			}
		}
	}
	if fd.Remediation != "" {
		fmt.Fprintf(w, "**Remediation.** %s\n\n", md(fd.Remediation))
	}
	if len(fd.NextCapture) > 0 {
		w.WriteString("**What to capture next.** The trace could not decide:\n\n")
		for _, c := range fd.NextCapture {
			fmt.Fprintf(w, "- %s\n", md(c))
		}
		w.WriteString("\n")
	}
}

// mdEscaper backslash-escapes the characters that start Markdown or HTML
// syntax inline (CommonMark allows a backslash before any ASCII
// punctuation); | also ends a GFM table cell, even inside code spans.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`<`, `\<`, `>`, `\>`, `|`, `\|`, `~`, `\~`, `#`, `\#`, `!`, `\!`,
	`&`, `\&`, `$`, `\$`,
)

// md makes a hostile string one line of inert Markdown text.
func md(s string) string {
	return mdEscaper.Replace(oneLine(s))
}

// mdCode shows s as a code span, which keeps URLs and IDs readable in the
// raw ticket text too. Values a code span cannot hold safely (backticks,
// backslashes, which GFM's table splitter reads as escapes even in code,
// and angle brackets, for renderers that mishandle HTML in code) are shown
// as escaped text instead. In a table cell, | is escaped: GFM splits cells
// before it parses code spans.
func mdCode(s string, inTable bool) string {
	s = strings.TrimSpace(oneLine(s))
	if s == "" {
		return ""
	}
	if strings.ContainsAny(s, "`\\<>") {
		return md(s)
	}
	if inTable {
		s = strings.ReplaceAll(s, "|", `\|`)
	}
	return "`" + s + "`"
}

// evidenceByTime is the evidence in time order, rows without a time kept
// after the timed ones in their own order: a ticket reads as a story.
func evidenceByTime(ev []Evidence) []Evidence {
	out := append([]Evidence(nil), ev...)
	slices.SortStableFunc(out, func(a, b Evidence) int {
		switch {
		case a.Time.IsZero() && b.Time.IsZero():
			return 0
		case a.Time.IsZero():
			return 1
		case b.Time.IsZero():
			return -1
		}
		return a.Time.Compare(b.Time.Time)
	})
	return out
}

func writeMarkdownFacts(w *bufio.Writer, f *File) {
	fc := f.Facts
	fmt.Fprintf(w, "## Facts: %s\n\n", mdCode(f.Path, false))
	w.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "| %s | %s |\n", k, v)
		}
	}
	prov := md(fc.Provider)
	if fc.Cloud != "" {
		prov += ", cloud " + md(fc.Cloud)
	}
	if fc.ProviderHost != "" {
		prov += " (" + mdCode(fc.ProviderHost, true) + ")"
	}
	row("provider", prov)
	row("tenant", mdCode(fc.Tenant, true))
	row("client ID", mdCodes(fc.ClientIDs))
	row("app name", md(fc.AppName))
	row("user agent", mdCode(fc.UserAgent, true))
	row("client library", md(fc.Library))
	if !fc.Start.IsZero() {
		row("time range (UTC)", md(fc.Start.String()+" – "+fc.End.String()))
	}
	row("request IDs (client-request-id)", mdCodes(fc.RequestIDs))
	row("trace IDs", mdCodes(fc.TraceIDs))
	row("correlation IDs", mdCodes(fc.CorrelationIDs))
	w.WriteString("\n")
	if steps := LogSearch(fc); len(steps) > 0 {
		w.WriteString("**Find it in the provider's logs.** ")
		w.WriteString(md(steps) + "\n\n")
	}
}

func mdCodes(vs []string) string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, mdCode(v, true))
	}
	return strings.Join(out, ", ")
}
