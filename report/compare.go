package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Comparison is the document `compare --format json` writes (contract,
// second wave). Values arrive already redacted: the CLI fills it from the
// comparison, which hands out no secret.
type Comparison struct {
	SchemaVersion int              `json:"schema_version"`
	Tool          Tool             `json:"tool"`
	Good          ComparedTrace    `json:"good"`
	Bad           ComparedTrace    `json:"bad"`
	Steps         []ComparedStep   `json:"steps"`
	First         *FirstDifference `json:"first_difference"`
	// Match is true when no difference beyond a cosmetic one was found
	// (extension; exit code 0).
	Match bool `json:"match"`
}

// ComparedTrace is one side of a comparison.
type ComparedTrace struct {
	File    string `json:"file"`
	Format  string `json:"format"`
	SignIns int    `json:"signins"`
	// SignOuts counts the sign-ins (or, in a trace of sign-outs only, the
	// group) with sign-out steps; left out when there are none
	// (extension).
	SignOuts int `json:"signouts,omitempty"`
}

// counts is a side's sign-ins, and its sign-outs when it has any.
func (t ComparedTrace) counts() string {
	s := plural(t.SignIns, "sign-in")
	if t.SignOuts > 0 {
		s += ", " + plural(t.SignOuts, "sign-out")
	}
	return s
}

// ComparedStep is one aligned step.
type ComparedStep struct {
	Step string `json:"step"`
	// SignIn (1-based) and N, the step's occurrence in that sign-in, are
	// extensions: a second sign-in or a second redemption has its own step.
	SignIn      int        `json:"signin"`
	N           int        `json:"n"`
	Good        *StepPoint `json:"good"`
	Bad         *StepPoint `json:"bad"`
	Differences []StepDiff `json:"differences"`
}

// StepPoint is one side's exchange at a step.
type StepPoint struct {
	Ref       string `json:"ref"`
	Time      Time   `json:"time,omitzero"`
	Method    string `json:"method"`
	URL       string `json:"url"`
	Status    int    `json:"status"`
	ErrorCode string `json:"error_code,omitempty"`
}

// StepDiff is one field that differs.
type StepDiff struct {
	Field string `json:"field"`
	Good  string `json:"good"`
	Bad   string `json:"bad"`
	Note  string `json:"note,omitempty"`
	// Class is the difference's rank (extension): explains, overlap,
	// crossing, extra-redemption, extra-callback, timing, refusal,
	// extra-step, missing-step, parameter, cosmetic.
	Class string `json:"class,omitempty"`
}

// FirstDifference is the difference that explains the failure best.
type FirstDifference struct {
	Step   string `json:"step"`
	SignIn int    `json:"signin"`
	N      int    `json:"n"`
	Field  string `json:"field"`
	Note   string `json:"note"`
	Class  string `json:"class,omitempty"`
}

// CompareFormats lists the formats compare writes.
func CompareFormats() []string { return []string{"table", "json", "markdown"} }

// WriteComparison writes c in format (one of CompareFormats).
func WriteComparison(w io.Writer, format string, c *Comparison) error {
	bw := bufio.NewWriter(w)
	var err error
	switch format {
	case "json":
		if c.Steps == nil {
			c.Steps = []ComparedStep{}
		}
		for i := range c.Steps {
			if c.Steps[i].Differences == nil {
				c.Steps[i].Differences = []StepDiff{}
			}
		}
		enc := json.NewEncoder(terminalSafeJSON{bw})
		enc.SetIndent("", "  ")
		err = enc.Encode(c)
	case "markdown":
		writeCompareMarkdown(bw, c)
	case "table":
		writeCompareText(bw, c)
	default:
		return fmt.Errorf("%w %q for compare (want one of %s)", ErrFormat, format, strings.Join(CompareFormats(), ", "))
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func stepName(s string, signin, n int) string {
	out := s
	if n > 1 {
		out += fmt.Sprintf(" #%d", n)
	}
	if signin > 1 {
		out = fmt.Sprintf("sign-in %d: %s", signin, out)
	}
	return out
}

func pointText(p *StepPoint) string {
	if p == nil {
		return "-"
	}
	s := p.Ref
	if p.Status > 0 {
		s += fmt.Sprintf(" %d", p.Status)
	}
	if p.ErrorCode != "" {
		s += " " + p.ErrorCode
	}
	return s
}

func writeCompareText(w *bufio.Writer, c *Comparison) {
	fmt.Fprintf(w, "good: %s (%s, %s)\n", oneLine(c.Good.File), c.Good.Format, c.Good.counts())
	fmt.Fprintf(w, "bad:  %s (%s, %s)\n", oneLine(c.Bad.File), c.Bad.Format, c.Bad.counts())
	if c.First == nil || c.Match {
		fmt.Fprintln(w, "\nThe sign-ins match.")
	} else {
		fmt.Fprintf(w, "\nFirst difference: %s, %s: %s\n", stepName(c.First.Step, c.First.SignIn, c.First.N),
			oneLine(c.First.Field), oneLine(c.First.Note))
	}
	fmt.Fprintln(w)
	for _, st := range c.Steps {
		mark := " "
		if len(st.Differences) > 0 {
			mark = "≠"
		}
		fmt.Fprintf(w, "%s %-28s good %-24s bad %s\n", mark, stepName(st.Step, st.SignIn, st.N),
			oneLine(pointText(st.Good)), oneLine(pointText(st.Bad)))
		for _, d := range st.Differences {
			fmt.Fprintf(w, "    %s: %s → %s", oneLine(d.Field), quoteEmpty(d.Good), quoteEmpty(d.Bad))
			if d.Note != "" {
				fmt.Fprintf(w, " — %s", oneLine(d.Note))
			}
			fmt.Fprintln(w)
		}
	}
}

func quoteEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return oneLine(s)
}

func writeCompareMarkdown(w *bufio.Writer, c *Comparison) {
	fmt.Fprintf(w, "# Comparison of a working and a failing sign-in\n\n")
	fmt.Fprintf(w, "- Working: %s (%s, %s)\n", mdCode(c.Good.File, false), md(c.Good.Format), c.Good.counts())
	fmt.Fprintf(w, "- Failing: %s (%s, %s)\n\n", mdCode(c.Bad.File, false), md(c.Bad.Format), c.Bad.counts())
	if c.First == nil || c.Match {
		fmt.Fprintf(w, "**The sign-ins match.**\n\n")
	} else {
		fmt.Fprintf(w, "**First difference** — %s, `%s`: %s\n\n", md(stepName(c.First.Step, c.First.SignIn, c.First.N)),
			strings.ReplaceAll(oneLine(c.First.Field), "`", ""), md(c.First.Note))
	}
	fmt.Fprintf(w, "| step | working | failing | differences |\n|---|---|---|---|\n")
	for _, st := range c.Steps {
		var ds []string
		for _, d := range st.Differences {
			s := md(d.Field) + ": " + mdCode(nonEmpty(d.Good, "(none)"), true) + " → " + mdCode(nonEmpty(d.Bad, "(none)"), true)
			if d.Note != "" {
				s += " (" + md(d.Note) + ")"
			}
			ds = append(ds, s)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", md(stepName(st.Step, st.SignIn, st.N)),
			mdCode(pointText(st.Good), true), mdCode(pointText(st.Bad), true), strings.Join(ds, "<br>"))
	}
}
