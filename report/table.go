package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// TableWriter renders a terminal table: one row per finding (severity, rule,
// file, refs, message), then unreadable files, notes and a summary line.
type TableWriter struct {
	// Color adds ANSI colours to severities. The CLI sets it when stdout is
	// a terminal and NO_COLOR is unset; the writer never guesses.
	Color bool
	// MessageWidth wraps the message column (default 64 columns).
	MessageWidth int
}

var _ Writer = TableWriter{}

// notesPerKind is how many notes of one kind per file the table prints.
const notesPerKind = 3

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

func (t TableWriter) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	if err := t.write(bw, r); err != nil {
		return fmt.Errorf("report: writing table: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: writing table: %w", err)
	}
	return nil
}

func (t TableWriter) write(w *bufio.Writer, r *Report) error {
	msgWidth := t.MessageWidth
	if msgWidth <= 0 {
		msgWidth = 64
	}
	var rows [][]string
	for fi := range r.Files {
		f := &r.Files[fi]
		for i := range f.Findings {
			fd := &f.Findings[i]
			msg := oneLine(fd.Message)
			if fd.Code != "" && !strings.Contains(fd.Message, fd.Code) {
				msg += " [code " + oneLine(fd.Code) + "]"
			}
			rows = append(rows, []string{
				t.severity(fd.Severity),
				wrap(oneLine(fd.Rule), 24),
				wrap(oneLine(f.Path), 32),
				wrap(oneLine(strings.Join(refs(fd), ", ")), 28),
				wrap(msg, msgWidth),
			})
		}
	}
	if len(rows) > 0 {
		table := tablewriter.NewTable(w,
			// Box-drawing characters are ambiguous-width in CJK locales;
			// measuring them narrow (as modern terminals draw them) keeps
			// the output identical on every machine.
			tablewriter.WithEastAsian(tw.Off),
			tablewriter.WithConfig(tablewriter.Config{
				Header: tw.CellConfig{
					Alignment: tw.CellAlignment{Global: tw.AlignLeft},
				},
				// Cells arrive wrapped (see wrap), so the table keeps them.
				Row: tw.CellConfig{
					Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
					Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
				},
			}),
		)
		table.Header("Severity", "Rule", "File", "Ref", "Message")
		if err := table.Bulk(rows); err != nil {
			return err
		}
		if err := table.Render(); err != nil {
			return err
		}
	}
	for _, f := range r.Files {
		if f.Error != "" {
			fmt.Fprintf(w, "%s %s: %s\n", t.paint(ansiRed, "unreadable:"), oneLine(f.Path), oneLine(f.Error))
		}
	}
	for _, f := range r.Files {
		// A damaged capture can yield dozens of notes of one kind; on a
		// terminal the first few say enough (json and html keep them all).
		shown := map[string]int{}
		for _, n := range f.Notes {
			shown[n.Kind]++
			if shown[n.Kind] > notesPerKind {
				continue
			}
			where := oneLine(f.Path)
			if n.Ref != "" {
				where += " " + oneLine(n.Ref)
			}
			fmt.Fprintf(w, "%s %s: %s: %s\n", t.paint(ansiDim, "note:"), where, oneLine(n.Kind), oneLine(n.Message))
		}
		var kinds []string
		for _, n := range f.Notes {
			if shown[n.Kind] > notesPerKind {
				kinds = append(kinds, n.Kind)
				shown[n.Kind] = -shown[n.Kind] // report each kind once
			}
		}
		for _, k := range kinds {
			fmt.Fprintf(w, "%s %s: %d more %s notes\n", t.paint(ansiDim, "note:"), oneLine(f.Path), -shown[k]-notesPerKind, oneLine(k))
		}
	}
	sum := Summarize(r.Files)
	if _, err := fmt.Fprintln(w, sum.Verdict()); err != nil {
		return err
	}
	// A batch scan's findings spread over rules; say which dominate.
	if counts := sum.RuleCounts(); len(counts) > 1 {
		parts := make([]string, len(counts))
		for i, c := range counts {
			parts[i] = fmt.Sprintf("%s %d", oneLine(c.Rule), c.Count)
		}
		if _, err := fmt.Fprintf(w, "by rule: %s\n", strings.Join(parts, ", ")); err != nil {
			return err
		}
	}
	return nil
}

func (t TableWriter) severity(s Severity) string {
	text := wrap(oneLine(string(s)), 10)
	switch s {
	case SeverityError:
		return t.paint(ansiRed, text)
	case SeverityWarning:
		return t.paint(ansiYellow, text)
	case SeverityInfo:
		return t.paint(ansiCyan, text)
	}
	return text
}

func (t TableWriter) paint(code, s string) string {
	if !t.Color {
		return s
	}
	return code + s + ansiReset
}

// wrap breaks s into lines of at most width runes at spaces, and splits
// words longer than a line (URLs, paths, hostile strings) so no column
// grows past its width.
func wrap(s string, width int) string {
	var lines []string
	var line []rune
	for _, word := range strings.Fields(s) {
		w := []rune(word)
		if len(line) > 0 && len(line)+1+len(w) > width {
			lines = append(lines, string(line))
			line = line[:0]
		}
		if len(line) > 0 {
			line = append(line, ' ')
		}
		for len(line)+len(w) > width {
			cut := width - len(line)
			// Prefer to split a long path or URL after a slash.
			for i := cut; i > cut/2; i-- {
				if w[i-1] == '/' {
					cut = i
					break
				}
			}
			line = append(line, w[:cut]...)
			lines = append(lines, string(line))
			line = line[:0]
			w = w[cut:]
		}
		line = append(line, w...)
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	return strings.Join(lines, "\n")
}
