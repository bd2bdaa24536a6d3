// Package report is traceaudit's output: the versioned wire model that
// docs/cli-contract.md ("JSON output") promises to scripts, and one Writer per
// output format (json, jsonl, table, markdown, html, sarif).
//
// JSON is the canonical form. Every other format is rendered from a *Report
// alone, so a saved JSON report can be replayed into any writer with ReadJSON
// (govulncheck's convert idea), and writer tests never run parsers or rules.
//
// The CLI builds a Report (values already redacted), calls Finalize to sort
// findings and compute the Summary, and hands it to the Writer that
// NewWriter picks for --format. For jsonl it streams each File with
// JSONLWriter.WriteFile as the file finishes.
//
// Writers still treat every string as hostile: a trace controls URLs, error
// descriptions and file names, so each writer escapes for its own medium.
// The table and Markdown show control characters, bidi overrides and
// invalid UTF-8 as visible escapes (\x1b, \u202e); Markdown escapes its
// metacharacters and HTML; the HTML page is built with html/template, has
// no script at all, links only within itself, and carries a
// Content-Security-Policy that allows nothing but its own stylesheet; JSON
// and SARIF stay valid whatever the input.
package report
