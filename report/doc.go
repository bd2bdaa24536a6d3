// Package report is traceaudit's output: the versioned wire model that
// docs/cli-contract.md ("JSON output") promises to scripts, and one Writer per
// output format (json, jsonl, table, markdown, html, sarif). Every command's
// output is rendered here — the scan report, the events and exchanges
// listings, the rule list — and Formats is the one list of format names.
//
// JSON is the canonical form. Every other format is rendered from a *Report
// alone, so a saved JSON report can be replayed into any writer with ReadJSON
// (govulncheck's convert idea), and writer tests never run parsers or rules.
//
// The CLI opens an Output with NewOutput (kind and --format; NewWriter picks
// the Writer) and hands it each input file's results, values already
// redacted: a File for scan, a Listing for events and exchanges. The Output
// streams what can be streamed (jsonl, the listing tables) as each file
// finishes and writes documents at Close, after Finalize has sorted the
// findings and computed the Summary.
//
// Writers still treat every string as hostile: a trace controls URLs, error
// descriptions and file names, so each writer escapes for its own medium.
// The table and Markdown show control characters, bidi overrides and
// invalid UTF-8 as visible escapes (\x1b, \u202e); the JSON forms escape
// every control and bidi character (\u001b, \u009b, \u202e), which decodes
// to the same value but cannot act on the terminal that shows it; Markdown escapes its
// metacharacters and HTML; the HTML page is built with html/template, has
// no script at all, links only within itself, and carries a
// Content-Security-Policy that allows nothing but its own stylesheet; JSON
// and SARIF stay valid whatever the input.
package report
