package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// TableWriter renders the terminal view: findings (a table on wide
// terminals, one block per finding on narrow ones), then unreadable files,
// notes and a summary line, which go to Diag when it is set (the CLI sets
// stderr, so stdout carries only results).
type TableWriter struct {
	// Color adds ANSI colours to severities. The CLI sets it when stdout is
	// a terminal and NO_COLOR is unset; the writer never guesses.
	Color bool
	// Width is the terminal's width in columns; every line fits in it.
	// 0 means DefaultWidth.
	Width int
	// Diag receives notes, unreadable files and the summary; nil writes
	// them after the findings.
	Diag io.Writer
}

var _ Writer = TableWriter{}

// DefaultWidth is the width assumed when the output is not a terminal.
const DefaultWidth = 100

// BlockBelow is the width under which findings are blocks, not table rows:
// a five-column table with a readable message needs about 120 columns.
const BlockBelow = 120

// minWidth keeps the layouts meaningful on absurdly narrow terminals.
const minWidth = 40

// notesPerKind is how many notes of one kind per file the table prints.
const notesPerKind = 3

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[1;31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

func (t TableWriter) width() int {
	switch {
	case t.Width <= 0:
		return DefaultWidth
	case t.Width < minWidth:
		return minWidth
	}
	return t.Width
}

func (t TableWriter) Write(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	diag := bw
	var dw *bufio.Writer
	if t.Diag != nil {
		dw = bufio.NewWriter(t.Diag)
		diag = dw
	}
	err := t.write(bw, diag, r)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if dw != nil {
		if ferr := dw.Flush(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		return fmt.Errorf("report: writing table: %w", err)
	}
	return nil
}

func (t TableWriter) write(w, diag *bufio.Writer, r *Report) error {
	width := t.width()
	var err error
	if width < BlockBelow {
		err = t.writeBlocks(w, r, width)
	} else {
		err = t.writeTable(w, r, width)
	}
	if err != nil {
		return err
	}
	for _, f := range r.Files {
		// With Diag set the caller reports unreadable files itself (the
		// CLI's closing error lines); say it once.
		if f.Error != "" && t.Diag == nil {
			t.diagLine(diag, width, ansiRed, "unreadable:", oneLine(f.Path)+": "+oneLine(f.Error))
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
			t.diagLine(diag, width, ansiDim, "note:", where+": "+oneLine(n.Kind)+": "+oneLine(n.Message))
		}
		var kinds []string
		for _, n := range f.Notes {
			if shown[n.Kind] > notesPerKind {
				kinds = append(kinds, n.Kind)
				shown[n.Kind] = -shown[n.Kind] // report each kind once
			}
		}
		for _, k := range kinds {
			t.diagLine(diag, width, ansiDim, "note:", fmt.Sprintf("%s: %d more %s notes", oneLine(f.Path), -shown[k]-notesPerKind, oneLine(k)))
		}
	}
	// An inconclusive file says what to do next even when the findings
	// are all info: that is the line a reader acts on.
	for _, f := range r.Files {
		if f.Verdict == VerdictInconclusive {
			t.diagLine(diag, width, ansiYellow, "inconclusive:", oneLine(f.Path)+": "+oneLine(f.VerdictReason))
		}
	}
	sum := Summarize(r.Files)
	if _, err := fmt.Fprintln(diag, wrapIndent(sum.Verdict(), width, "    ")); err != nil {
		return err
	}
	// A batch scan's findings spread over rules; say which dominate.
	if counts := sum.RuleCounts(); len(counts) > 1 {
		parts := make([]string, len(counts))
		for i, c := range counts {
			parts[i] = fmt.Sprintf("%s %d", oneLine(c.Rule), c.Count)
		}
		if _, err := fmt.Fprintln(diag, wrapIndent("by rule: "+strings.Join(parts, ", "), width, "    ")); err != nil {
			return err
		}
	}
	return nil
}

// diagLine writes "label text" wrapped to width, the label coloured.
func (t TableWriter) diagLine(w *bufio.Writer, width int, color, label, text string) {
	line := wrapIndent(label+" "+text, width, "    ")
	w.WriteString(t.paint(color, label) + line[len(label):] + "\n")
}

// findingMessage is the message as the terminal shows it: one line, the
// code's fingerprint appended when the message does not name it.
func findingMessage(fd *Finding) string {
	msg := oneLine(fd.Message)
	if fd.Code != "" && !strings.Contains(fd.Message, fd.Code) {
		msg += " [code " + oneLine(fd.Code) + "]"
	}
	return msg
}

// writeBlocks writes each finding as a block for a narrow terminal: a
// "severity rule file ref" line, then the message wrapped and indented.
func (t TableWriter) writeBlocks(w *bufio.Writer, r *Report, width int) error {
	first := true
	for fi := range r.Files {
		f := &r.Files[fi]
		for i := range f.Findings {
			fd := &f.Findings[i]
			if !first {
				w.WriteString("\n")
			}
			first = false
			sev := oneLine(string(fd.Severity))
			head := strings.Join([]string{sev, oneLine(fd.Rule), oneLine(f.Path), oneLine(strings.Join(refs(fd), ", "))}, " ")
			lines := strings.Split(wrapIndent(head, width, "    "), "\n")
			// Colour only the severity, after wrapping measured the plain text.
			if strings.HasPrefix(lines[0], sev) {
				lines[0] = t.severity(fd.Severity) + lines[0][len(sev):]
			}
			w.WriteString(strings.Join(lines, "\n") + "\n")
			w.WriteString(wrapIndent("  "+findingMessage(fd), width, "  ") + "\n")
		}
	}
	return nil
}

// writeTable writes the findings as one table that fits width.
func (t TableWriter) writeTable(w *bufio.Writer, r *Report, width int) error {
	type row struct {
		sev                  Severity
		rule, file, ref, msg string
	}
	var rows []row
	for fi := range r.Files {
		f := &r.Files[fi]
		for i := range f.Findings {
			fd := &f.Findings[i]
			rows = append(rows, row{fd.Severity, oneLine(fd.Rule), oneLine(f.Path), oneLine(strings.Join(refs(fd), ", ")), findingMessage(fd)})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	natural := []int{len("Severity"), len("Rule"), len("File"), len("Ref"), len("Message")}
	for _, r := range rows {
		natural[0] = max(natural[0], runeLen(string(r.sev)))
		natural[1] = max(natural[1], runeLen(r.rule))
		natural[2] = max(natural[2], runeLen(r.file))
		natural[3] = max(natural[3], runeLen(r.ref))
		natural[4] = max(natural[4], runeLen(r.msg))
	}
	// The message is what a reader reads: it gets at least 45 % of the
	// width; rule IDs stay whole (the longest is 21 columns).
	msgMin := max(30, (width-16)*45/100)
	widths := fitColumns(natural, []int{10, 24, 40, 18, 0}, []int{8, 21, 14, 12, msgMin}, width)
	cells := make([][]string, 0, len(rows))
	for _, r := range rows {
		cells = append(cells, []string{
			t.severityCell(r.sev, widths[0]), wrap(r.rule, widths[1]), wrap(r.file, widths[2]), wrap(r.ref, widths[3]), wrap(r.msg, widths[4]),
		})
	}
	return renderTable(w, []string{"Severity", "Rule", "File", "Ref", "Message"}, cells)
}

// fitColumns gives each column a width so that the table, borders
// included, fits total: a column gets its natural width up to its cap (0:
// none), the last column takes what is left (at least its minimum), and
// when even that does not fit the capped columns shrink toward their
// minimums, widest first.
func fitColumns(natural, caps, mins []int, total int) []int {
	n := len(natural)
	avail := total - (3*n + 1) // "│ " before each cell, " " after, closing "│"
	widths := make([]int, n)
	for i := range natural {
		widths[i] = natural[i]
		if caps[i] > 0 && widths[i] > caps[i] {
			widths[i] = caps[i]
		}
		widths[i] = max(widths[i], min(mins[i], natural[i]))
	}
	last := n - 1
	used := func() int {
		s := 0
		for i := 0; i < last; i++ {
			s += widths[i]
		}
		return s
	}
	// Shrink the other columns until the last one gets its minimum.
	for used()+min(mins[last], natural[last]) > avail {
		wi := -1
		for i := 0; i < last; i++ {
			if widths[i] > mins[i] && (wi < 0 || widths[i] > widths[wi]) {
				wi = i
			}
		}
		if wi < 0 {
			break
		}
		widths[wi]--
	}
	widths[last] = max(min(natural[last], avail-used()), 1)
	// Space left over goes back to capped columns that want it.
	for spare := avail - used() - widths[last]; spare > 0; {
		grew := false
		for i := 0; i < last && spare > 0; i++ {
			if widths[i] < natural[i] {
				widths[i]++
				spare--
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	return widths
}

// renderTable draws a box table of cells that are already wrapped to their
// column's width.
func renderTable(w io.Writer, header []string, rows [][]string) error {
	table := tablewriter.NewTable(w,
		// Box-drawing characters are ambiguous-width in CJK locales;
		// measuring them narrow (as modern terminals draw them) keeps
		// the output identical on every machine.
		tablewriter.WithEastAsian(tw.Off),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
				Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
			},
			// Cells arrive wrapped (see wrap), so the table keeps them.
			Row: tw.CellConfig{
				Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone},
				Alignment:  tw.CellAlignment{Global: tw.AlignLeft},
			},
		}),
	)
	table.Header(header)
	if err := table.Bulk(rows); err != nil {
		return err
	}
	return table.Render()
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// wrapIndent wraps s to width, indenting continuation lines with indent.
func wrapIndent(s string, width int, indent string) string {
	lead := len(s) - len(strings.TrimLeft(s, " "))
	first := s[:lead]
	lines := strings.Split(wrap(s[lead:], width-max(lead, len(indent))), "\n")
	for i := range lines {
		if i == 0 {
			lines[i] = first + lines[i]
		} else {
			lines[i] = indent + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

func (t TableWriter) severity(s Severity) string {
	return t.severityCell(s, 0)
}

// severityCell is the severity wrapped to width (0: as is), coloured.
func (t TableWriter) severityCell(s Severity, width int) string {
	text := oneLine(string(s))
	if width > 0 {
		text = wrap(text, width)
	}
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
			// Prefer to split a long path or URL after a slash, a dash,
			// a dot or between query parameters, not mid-word.
			cut = breakAt(w, cut)
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

// breakAt picks where to split a word too long for its line, at most cut
// runes in: after the last slash in the second half of the line, else
// after a query separator, dash, dot or underscore, else at cut.
func breakAt(w []rune, cut int) int {
	for _, set := range []string{"/", "&?,", "-._"} {
		for i := cut; i > cut/2; i-- {
			if strings.ContainsRune(set, w[i-1]) {
				return i
			}
		}
	}
	return cut
}
