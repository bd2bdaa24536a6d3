package report

import (
	"bufio"
	"fmt"
	"strings"
)

// FormatCase is the format of the file object that holds several traces
// read as one incident (scan --case).
const FormatCase = "case"

// writeMarkdownCaseTimeline writes an incident's steps as one timeline with
// a column per lane (each trace: browser, server, proxy), so a reader sees
// which side saw what and when, on the aligned clock.
func writeMarkdownCaseTimeline(w *bufio.Writer, f *File) {
	if f.Format != FormatCase || len(f.Timeline) == 0 {
		return
	}
	var lanes []string
	col := map[string]int{}
	for _, e := range f.Timeline {
		if _, ok := col[e.Lane]; !ok {
			col[e.Lane] = len(lanes)
			lanes = append(lanes, e.Lane)
		}
	}
	fmt.Fprintf(w, "## One timeline: %s\n\n", mdCode(f.Path, false))
	w.WriteString("Times are on the reference trace's clock (see the notes for each trace's offset).\n\n| time |")
	for _, l := range lanes {
		fmt.Fprintf(w, " %s |", md(l))
	}
	w.WriteString("\n|---|" + strings.Repeat("---|", len(lanes)) + "\n")
	for _, e := range f.Timeline {
		cells := make([]string, len(lanes))
		step := mdCode(e.Kind, true) + " " + md(e.Label)
		if e.Status != 0 {
			step += fmt.Sprintf(" → %d", e.Status)
		}
		if e.ErrorCode != "" {
			step += " " + mdCode(e.ErrorCode, true)
		}
		if e.Code != "" {
			step += " " + mdCode(e.Code, true)
		}
		step += " (" + mdCode(e.Ref, true) + ")"
		if len(e.Highlight) > 0 {
			step = "**" + step + "**"
		}
		cells[col[e.Lane]] = step
		fmt.Fprintf(w, "| %s | %s |\n", md(e.Time.String()), strings.Join(cells, " | "))
	}
	w.WriteString("\n")
}
