// Package report is traceaudit's output: the versioned wire model that
// docs/cli-contract.md ("JSON output") promises to scripts, and one Writer per
// output format (json, jsonl, table, markdown, html, sarif).
//
// JSON is the canonical form. Every other format is rendered from a *Report
// alone, so a saved JSON report can be replayed into any writer with ReadJSON
// (govulncheck's convert idea), and writer tests never run parsers or rules.
//
// The CLI fills the model with values that are already redacted. Writers
// still treat every string as hostile: a trace controls URLs, error
// descriptions and file names, so each writer escapes for its own medium
// (terminal control sequences, Markdown/HTML metacharacters, bidi overrides).
package report
