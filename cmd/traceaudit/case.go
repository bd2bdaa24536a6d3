package main

import (
	"path/filepath"
	"strings"

	"github.com/traceaudit/traceaudit/incident"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/report"
	"github.com/traceaudit/traceaudit/rules"
)

// Note kinds scan --case adds.
const (
	noteCaseClock     model.NoteKind = "case-clock"      // how a trace's clock was aligned
	noteCaseNotMerged model.NoteKind = "case-not-merged" // a trace analysed alone, and why
)

// writeCase writes scan --case: the traces that share exchanges or values
// as one incident (a file object of format "case"), the others alone with
// a note saying why, and the report's case object.
func writeCase(results []fileResult, o *options, out *resultWriter) error {
	var traces []incident.Trace
	for _, r := range results {
		if r.err == nil {
			traces = append(traces, incident.Trace{Path: r.path, Format: r.format, Exchanges: r.kept, Events: r.srcEvents})
		}
	}
	c := incident.Merge(traces)
	rc := &report.Case{Merged: c.Merged, Reason: c.Why, Inputs: []report.CaseInput{}}
	merged := map[string]bool{}
	for _, a := range c.Traces {
		merged[a.Path] = c.Merged && a.Merged
		rc.Inputs = append(rc.Inputs, report.CaseInput{
			Path: a.Path, Format: string(a.Format), Lane: a.Lane, Merged: merged[a.Path],
			OffsetSeconds: a.Offset.Seconds(), Basis: a.Basis, Matches: a.Matches, With: a.With, Duplicates: a.Duplicates,
		})
	}
	out.out.SetCase(rc)
	for _, r := range results {
		if merged[r.path] {
			continue
		}
		if r.err == nil {
			why := c.Why
			if c.Merged {
				why = "shares no exchange and no value (code, state, token or correlation ID) with the other traces: analysed alone"
			}
			r.notes = append(r.notes, model.Note{Kind: noteCaseNotMerged, Message: why})
		}
		if err := out.file(r); err != nil {
			return err
		}
	}
	if !c.Merged {
		return nil
	}
	if out.cmd == "events" {
		l := caseListing(c, results, merged, o.noRedact)
		all := fileResult{events: c.Events}
		for _, r := range results {
			all.bodySecrets.addAll(r.bodySecrets.secrets())
		}
		out.scrubber(all).Strings(&l)
		return out.out.Listing(l)
	}
	cr := caseResult(c, results, merged, o)
	out.account(cr)
	f := caseFile(c, cr, o.noRedact)
	out.scrubber(cr).Strings(&f)
	return out.out.File(f)
}

// caseResult runs the rules on the merged incident.
func caseResult(c *incident.Case, results []fileResult, merged map[string]bool, o *options) fileResult {
	var paths []string
	var notes []model.Note
	for _, a := range c.Traces {
		if a.Merged {
			notes = append(notes, model.Note{Kind: noteCaseClock, Message: a.Summary()})
		}
	}
	count := 0
	var res fileResult
	for _, r := range results {
		if !merged[r.path] {
			continue
		}
		paths = append(paths, r.path)
		count += r.exchangeCount
		res.bodySecrets.addAll(r.bodySecrets.secrets())
		for _, n := range r.notes {
			// The rules count a trace's notes (undecrypted connections);
			// the reader named the file they are about.
			n.Message = filepath.Base(r.path) + ": " + n.Message
			notes = append(notes, n)
		}
	}
	for _, a := range c.Traces {
		count -= a.Duplicates
	}
	res.path, res.format, res.exchangeCount, res.events, res.notes = strings.Join(paths, " + "), report.FormatCase, count, c.Events, notes
	for _, ex := range c.Exchanges {
		res.exchanges = append(res.exchanges, exchangeRow{
			Index: ex.Index, Ref: ex.Ref, Time: ex.Start, Method: ex.Request.Method,
			URL: ex.Request.URL, Status: ex.Status(), Proto: ex.Request.Proto, Tunnel: ex.Tunnel,
		})
	}
	res.scan = runScanRules(rules.Input{Exchanges: c.Exchanges, Events: c.Events, Notes: notes}, o, res.bodySecrets.secrets())
	return res
}

// caseFile is the incident's file object: evidence and timeline steps name
// their trace (evidence[].file), an exchange captured in several traces
// cites every copy, and each trace is a lane of the timeline.
func caseFile(c *incident.Case, r fileResult, noRedact bool) report.File {
	f := reportFile(r, noRedact)
	lanes := c.Lanes()
	for i := range f.Findings {
		var ev []report.Evidence
		for _, e := range f.Findings[i].Evidence {
			copies, ok := c.Origin(e.Ref)
			if !ok {
				ev = append(ev, e)
				continue
			}
			first := e
			first.File, first.Ref = copies[0].Path, copies[0].Ref
			ev = append(ev, first)
			for _, cp := range copies[1:] {
				d := first
				d.File, d.Ref, d.Time, d.Status = cp.Path, cp.Ref, report.At(cp.Time), cp.Status
				d.Note = "the same exchange as " + first.Where() + ", captured in " + filepath.Base(cp.Path)
				ev = append(ev, d)
			}
		}
		f.Findings[i].Evidence = ev
	}
	// A step captured in several traces shows in each trace's lane: the
	// browser sent one callback, the proxy's lane shows it arrive.
	var tl []report.TimelineEvent
	for _, te := range f.Timeline {
		copies, ok := c.Origin(te.Ref)
		if !ok {
			tl = append(tl, te)
			continue
		}
		for i, cp := range copies {
			d := te
			d.File, d.Ref = cp.Path, cp.Ref
			d.Lane = lanes[cp.Path] + ": " + filepath.Base(cp.Path)
			if i > 0 && !cp.Time.IsZero() && requestStep(te.Kind) {
				d.Time = report.At(cp.Time)
			}
			if i > 0 {
				d.Status = cp.Status // 0: this trace saw no answer
			}
			tl = append(tl, d)
		}
	}
	f.Timeline = tl
	return f
}

// requestStep reports whether a timeline step is a request, timed by its
// exchange's start (a copy's own start then places it in its lane).
func requestStep(kind string) bool {
	switch kind {
	case "authorize", "callback", "token-request", "api-call":
		return true
	}
	return false
}

// caseListing is events --case: the incident's events in one time order on
// the reference clock, each naming its trace and ref (an event captured in
// several traces once, from the kept copy).
func caseListing(c *incident.Case, results []fileResult, merged map[string]bool, noRedact bool) report.Listing {
	var paths []string
	for _, r := range results {
		if merged[r.path] {
			paths = append(paths, r.path)
		}
	}
	l := report.Listing{Path: strings.Join(paths, " + "), Format: report.FormatCase}
	for _, a := range c.Traces {
		if a.Merged {
			l.Notes = append(l.Notes, report.Note{Kind: string(noteCaseClock), Message: a.Summary()})
		}
	}
	for i := range c.Events {
		e := &c.Events[i]
		rec := eventRecord(l.Path, model.Format(report.FormatCase), e, noRedact)
		if copies, ok := c.Origin(e.Ref); ok {
			rec.File, rec.Ref = copies[0].Path, copies[0].Ref
			rec.Format = ""
			for _, t := range c.Traces {
				if t.Path == rec.File {
					rec.Format = string(t.Format)
				}
			}
		}
		l.Events = append(l.Events, rec)
	}
	return l
}
