package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/traceaudit/traceaudit/parse"
)

// formatTime renders a time as the contract asks: RFC 3339, UTC, with
// fractional seconds (milliseconds, or finer when the trace has them).
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	switch {
	case t.Nanosecond()%int(time.Millisecond) == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case t.Nanosecond()%int(time.Microsecond) == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}

// resultWriter writes each file's results in the command's format. Streaming
// formats (jsonl, table) write as files finish; json collects one document.
type resultWriter struct {
	cmd string
	o   *options
	w   *bufio.Writer
	env environment

	doc   jsonDocument
	scan  *scanWriter
	stats runStats
}

// runStats counts what a run has written, for the closing summary.
type runStats struct {
	exchanges, events, findings int
	byRule                      map[string]int
	bySeverity                  map[string]int
}

func (s *runStats) add(r fileResult) {
	s.exchanges += len(r.exchanges)
	s.events += len(r.events)
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

func newResultWriter(cmd string, o *options, w io.Writer, env environment) *resultWriter {
	rw := &resultWriter{cmd: cmd, o: o, w: bufio.NewWriterSize(w, 64<<10), env: env}
	rw.doc = jsonDocument{SchemaVersion: 1, Tool: toolInfo{Name: "traceaudit", Version: version}, Files: []any{}}
	if cmd == "scan" {
		rw.scan = newScanWriter(o, rw.w, env)
	}
	return rw
}

func (rw *resultWriter) failed() bool {
	if rw.scan != nil {
		return rw.scan.failed
	}
	return false
}

type toolInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonDocument struct {
	SchemaVersion int      `json:"schema_version"`
	Tool          toolInfo `json:"tool"`
	Files         []any    `json:"files"`
}

type noteJSON struct {
	Kind    string `json:"kind"`
	Ref     string `json:"ref,omitempty"`
	Message string `json:"message"`
}

func notesJSON(notes []parse.Note) []noteJSON {
	out := make([]noteJSON, 0, len(notes))
	for _, n := range notes {
		out = append(out, noteJSON{Kind: n.Kind, Ref: n.Ref, Message: n.Message})
	}
	return out
}

// exchangeJSON is the contract's exchanges record.
type exchangeJSON struct {
	File        string `json:"file"`
	Format      string `json:"format"`
	Ref         string `json:"ref"`
	Index       int    `json:"index"`
	Time        string `json:"time,omitempty"`
	Method      string `json:"method"`
	URL         string `json:"url"`
	Status      int    `json:"status"`
	HTTPVersion string `json:"http_version,omitempty"`
	Tunnel      bool   `json:"tunnel,omitempty"`
}

type fileExchangesJSON struct {
	Path      string         `json:"path"`
	Format    string         `json:"format,omitempty"`
	Error     string         `json:"error,omitempty"`
	Notes     []noteJSON     `json:"notes"`
	Exchanges []exchangeJSON `json:"exchanges"`
}

type fileEventsJSON struct {
	Path   string      `json:"path"`
	Format string      `json:"format,omitempty"`
	Error  string      `json:"error,omitempty"`
	Notes  []noteJSON  `json:"notes"`
	Events []eventJSON `json:"events"`
}

func (rw *resultWriter) url(u string) string {
	if rw.o.noRedact {
		return u
	}
	return parse.RedactURL(u)
}

func (rw *resultWriter) exchangeRecords(r fileResult) []exchangeJSON {
	out := make([]exchangeJSON, 0, len(r.exchanges))
	for _, x := range r.exchanges {
		out = append(out, exchangeJSON{
			File: r.path, Format: string(r.format), Ref: x.Ref, Index: x.Index, Time: formatTime(x.Time),
			Method: x.Method, URL: rw.url(x.URL), Status: x.Status, HTTPVersion: x.Proto, Tunnel: x.Tunnel,
		})
	}
	return out
}

// errText is the file's error for the report, without the file name the
// report already shows beside it (readers put it in their errors).
func (r fileResult) errText() string {
	if r.err == nil {
		return ""
	}
	return strings.TrimPrefix(r.err.Error(), r.path+": ")
}

// file writes one file's results.
func (rw *resultWriter) file(r fileResult) error {
	rw.stats.add(r)
	switch rw.cmd {
	case "scan":
		return rw.scan.file(r)
	case "exchanges":
		recs := rw.exchangeRecords(r)
		switch rw.o.format {
		case "jsonl":
			return writeLines(rw.w, recs)
		case "json":
			rw.doc.Files = append(rw.doc.Files, fileExchangesJSON{Path: r.path, Format: string(r.format),
				Error: r.errText(), Notes: notesJSON(r.notes), Exchanges: recs})
		default:
			return rw.exchangesTable(r, recs)
		}
	case "events":
		recs := eventRecords(r, rw.o.noRedact)
		switch rw.o.format {
		case "jsonl":
			return writeLines(rw.w, recs)
		case "json":
			rw.doc.Files = append(rw.doc.Files, fileEventsJSON{Path: r.path, Format: string(r.format),
				Error: r.errText(), Notes: notesJSON(r.notes), Events: recs})
		default:
			return rw.eventsTable(r, recs)
		}
	}
	return nil
}

// writeLines writes one JSON object per line (JSON Lines).
func writeLines[T any](w io.Writer, recs []T) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, rec := range recs {
		if err := enc.Encode(rec); err != nil {
			return err
		}
	}
	return nil
}

func (rw *resultWriter) close() error {
	if rw.cmd == "scan" {
		if err := rw.scan.close(); err != nil {
			return err
		}
	} else if rw.o.format == "json" {
		enc := json.NewEncoder(rw.w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rw.doc); err != nil {
			return err
		}
	}
	return rw.w.Flush()
}

func newTable(w io.Writer) *tablewriter.Table {
	return tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	)
}

// shorten keeps table cells readable; the JSON formats carry full values.
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max-1] + "…"
}

func (rw *resultWriter) fileHeading(r fileResult, count int, what string) {
	fmt.Fprintf(rw.w, "%s (%s): %d %s\n", r.path, formatName(r.format), count, what)
	for _, n := range r.notes {
		fmt.Fprintf(rw.w, "  note [%s] %s%s\n", n.Kind, refPrefix(n.Ref), n.Message)
	}
	if r.err != nil {
		fmt.Fprintf(rw.w, "  error: %s\n", r.errText())
	}
}

func refPrefix(ref string) string {
	if ref == "" {
		return ""
	}
	return ref + ": "
}

func formatName(f parse.Format) string {
	if f == "" {
		return "unknown format"
	}
	return string(f)
}

func (rw *resultWriter) exchangesTable(r fileResult, recs []exchangeJSON) error {
	rows := make([][]string, 0, len(recs))
	for _, e := range recs {
		status := strconv.Itoa(e.Status)
		if e.Status == 0 {
			status = "-"
		}
		if e.Tunnel {
			status += " (tunnel)"
		}
		rows = append(rows, []string{e.Ref, e.Time, e.Method, status, shorten(e.URL, 120)})
	}
	return rw.fileTable(r, "exchanges", []string{"REF", "TIME", "METHOD", "STATUS", "URL"}, rows)
}

func (rw *resultWriter) eventsTable(r fileResult, recs []eventJSON) error {
	rows := make([][]string, 0, len(recs))
	for _, e := range recs {
		prov := e.Provider.Family
		if e.Provider.Variant != "" {
			prov += " " + e.Provider.Variant
		}
		rows = append(rows, []string{e.Time, e.Ref, e.Kind, prov, shorten(e.ClientID, 40), shorten(eventDetails(e), 140)})
	}
	return rw.fileTable(r, "OAuth events", []string{"TIME", "REF", "EVENT", "PROVIDER", "CLIENT", "DETAILS"}, rows)
}

// fileTable writes one file's heading, notes and rows as a table.
func (rw *resultWriter) fileTable(r fileResult, what string, header []string, rows [][]string) error {
	rw.fileHeading(r, len(rows), what)
	if len(rows) > 0 {
		t := newTable(rw.w)
		t.Header(header)
		for _, row := range rows {
			if err := t.Append(row); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	fmt.Fprintln(rw.w)
	return nil
}

// eventDetails is the one-line summary of an event for the table.
func eventDetails(e eventJSON) string {
	var parts []string
	add := func(k, v string) {
		if v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	if e.Status != 0 {
		add("status", strconv.Itoa(e.Status))
	}
	add("grant", e.GrantType)
	add("code", e.Code)
	add("via", e.Delivery)
	add("redirect_uri", e.RedirectURI)
	add("state", e.State)
	add("mode", e.ResponseMode)
	if e.CodeChallenge != "" {
		add("pkce", e.CodeChallengeMethod)
		if e.CodeChallengeMethod == "" {
			add("pkce", "plain")
		}
	}
	add("verifier", e.CodeVerifier)
	add("auth", e.ClientAuth)
	add("prompt", e.Prompt)
	add("prefetch", e.Prefetch)
	if e.Error != nil {
		add("error", e.Error.Error)
		add("codes", strings.Join(e.Error.Codes, ","))
		add("trace_id", e.Error.TraceID)
		add("correlation_id", e.Error.Correlation)
	}
	var toks []string
	if e.AccessToken != "" {
		toks = append(toks, "access")
	}
	if e.IDToken != "" {
		toks = append(toks, "id")
	}
	if e.RefreshToken != "" && e.Kind == parse.TokenResponse.String() {
		toks = append(toks, "refresh")
	}
	if len(toks) > 0 {
		add("tokens", strings.Join(toks, "+"))
	}
	return strings.Join(parts, " ")
}
