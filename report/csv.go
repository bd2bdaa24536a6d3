package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CSVHeader is the header row of `scan --format csv` (CLI contract).
var CSVHeader = []string{"file", "format", "verdict", "errors", "warnings", "infos", "rules",
	"first_finding", "error_codes", "trace_ids", "verdict_reason"}

// CSVWriter writes one RFC 4180 row per file, header first, for triage of
// many traces in a spreadsheet. The CLI calls WriteFile as each file
// finishes; Write writes a whole report.
type CSVWriter struct{}

var _ Writer = CSVWriter{}

func (c CSVWriter) Write(w io.Writer, r *Report) error {
	if err := c.WriteHeader(w); err != nil {
		return err
	}
	for i := range r.Files {
		if err := c.WriteFile(w, &r.Files[i]); err != nil {
			return err
		}
	}
	return nil
}

// WriteHeader writes the header row.
func (CSVWriter) WriteHeader(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("report: writing csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: writing csv: %w", err)
	}
	return nil
}

// WriteFile writes one file's row.
func (CSVWriter) WriteFile(w io.Writer, f *File) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvRow(f)); err != nil {
		return fmt.Errorf("report: writing csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: writing csv: %w", err)
	}
	return nil
}

func csvRow(f *File) []string {
	var sev [4]int
	var rules, codes, traces []string
	for _, fd := range f.Findings {
		sev[fd.Severity.Rank()]++
		rules = appendUnique(rules, fd.Rule)
		for _, e := range fd.Evidence {
			codes = appendUnique(codes, e.ErrorCode)
			traces = appendUnique(traces, e.TraceID)
		}
	}
	first := ""
	if len(f.Findings) > 0 {
		fd := &f.Findings[0] // Finalize sorted them worst first
		first = fd.Rule + ": " + fd.Message
	}
	verdict, reason := string(f.Verdict), f.VerdictReason
	if verdict == "" && f.Error != "" {
		verdict, reason = string(VerdictUnreadable), f.Error
	}
	return []string{
		csvText(f.Path), csvText(f.Format), csvText(verdict),
		strconv.Itoa(sev[3]), strconv.Itoa(sev[2]), strconv.Itoa(sev[1]),
		csvText(strings.Join(rules, ";")), csvText(first),
		csvText(strings.Join(codes, ";")), csvText(strings.Join(traces, ";")), csvText(reason),
	}
}

func appendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// csvText makes a value from a trace safe in a spreadsheet: one line
// without control characters, and a leading =, +, -, @ (which Excel and
// LibreOffice evaluate as a formula: CSV injection) neutralised with a
// leading apostrophe, as OWASP recommends.
func csvText(s string) string {
	s = oneLine(s)
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
