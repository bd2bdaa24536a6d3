package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/traceaudit/traceaudit/compare"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/report"
)

// runCompare aligns the sign-ins of a working trace with those of a
// failing one and reports what differs (contract, second wave): exit 0
// when they match, 1 when a difference is found, 2 when a trace cannot be
// read.
func runCompare(args []string, env environment) (int, error) {
	o := options{cmd: "compare"}
	fs := newFlagSet("compare", env)
	fs.StringVarP(&o.format, "format", "f", "table", "output format: "+strings.Join(report.CompareFormats(), ", "))
	fs.StringVarP(&o.output, "output", "o", "", "write there instead of stdout")
	fs.StringArrayVar(&o.keylogs, "keylog", nil, "NSS key log (SSLKEYLOGFILE) for TLS in captures; may repeat")
	fs.StringVar(&o.password, "password", "", "password of a protected SAZ (also TRACEAUDIT_SAZ_PASSWORD)")
	addLimitFlags(fs, &o)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: traceaudit compare [flags] GOOD BAD\n\nGOOD is a trace of a sign-in that works, BAD one that fails (any formats).\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := parseFlags(fs, args, env); err != nil {
		return exitTrouble, err
	}
	o.format = strings.ToLower(o.format)
	if !contains(report.CompareFormats(), o.format) {
		return exitTrouble, usagef("compare: unknown format %q (want one of %s)", o.format, strings.Join(report.CompareFormats(), ", "))
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return exitTrouble, usagef("compare: want two traces, GOOD and BAD")
	}
	if o.password == "" {
		o.password = env.getenv("TRACEAUDIT_SAZ_PASSWORD")
	}
	env, flushStderr := sweptStderr(&o, env)
	defer flushStderr()
	keys, err := loadKeyMaterial(o.keylogs)
	if err != nil {
		return exitTrouble, err
	}
	var traces [2]compare.Trace
	var issued secretSet
	for i, p := range fs.Args() {
		t, notes, err := readTrace(input{path: p, explicit: true}, &o, env, keys, &issued)
		if err != nil {
			return exitTrouble, fmt.Errorf("%s: %w", p, err)
		}
		for _, n := range finishNotes(notes) {
			fmt.Fprintf(env.stderr, "traceaudit: %s: note [%s] %s%s\n", report.Line(p), n.Kind, refPrefix(n.Ref), report.Line(n.Message))
		}
		traces[i] = t
	}
	res := compare.Compare(traces[0], traces[1])
	for i, n := range []int{res.GoodSignIns, res.BadSignIns} {
		switch {
		case n == 0 && []int{res.GoodSignOuts, res.BadSignOuts}[i] > 0:
			fmt.Fprintf(env.stderr, "traceaudit: %s: note: no sign-in found (no authorize, callback or token request); only its sign-out steps are compared\n", report.Line(fs.Arg(i)))
		case n == 0:
			fmt.Fprintf(env.stderr, "traceaudit: %s: note: no sign-in found (no authorize, callback or token request); nothing of it to compare\n", report.Line(fs.Arg(i)))
		}
	}
	doc := comparisonDoc(traces[0], traces[1], res)
	// compare always redacts: a value its lists missed goes too.
	sc := model.Scrubber(traces[0].Events, traces[1].Events)
	for _, v := range issued.secrets() {
		sc.Add(v)
	}
	sc.Strings(doc)
	w, finish, err := openOutput(&o, env)
	if err != nil {
		return exitTrouble, err
	}
	if err := report.WriteComparison(w, o.format, doc); err != nil {
		finish()
		return exitTrouble, fmt.Errorf("write output: %w", err)
	}
	if err := finish(); err != nil {
		return exitTrouble, fmt.Errorf("write output: %w", err)
	}
	if res.Differs() {
		return exitFindings, nil
	}
	return exitOK, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// readTrace reads one trace whole for compare and bundle: its events and
// its exchanges without bodies (cookies and URLs are read from headers).
// A panic below is this file's error.
// issued, when not nil, gets the secrets its exchanges carry or issue by
// name, for the scrubber (appendExchangeSecrets).
func readTrace(in input, o *options, env environment, keys *keyMaterial, issued *secretSet) (t compare.Trace, notes []model.Note, err error) {
	t.File = in.path
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error while reading this file (please report it): %v\n%s", p, firstFrames(debug.Stack()))
		}
	}()
	oi, err := openInput(in, env.stdin)
	if err != nil {
		return t, nil, err
	}
	defer oi.close()
	t.Format = oi.format
	r, err := newReader(oi, o, env, keys)
	if err != nil {
		return t, nil, withLimitHint(err)
	}
	x := oauth.NewExtractor()
	for {
		ex, rerr := r.Next()
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if len(t.Exchanges) == 0 && !isPartial(rerr) {
				return t, nil, withLimitHint(rerr)
			}
			notes = append(notes, model.Note{Kind: model.NoteDamaged, Message: rerr.Error()})
			break
		}
		t.Events = append(t.Events, x.Exchange(ex)...)
		if issued != nil {
			issued.addExchange(ex, nil)
		}
		ex.Request.Body.Data = nil
		if ex.Response != nil {
			ex.Response.Body.Data = nil
		}
		t.Exchanges = append(t.Exchanges, ex)
	}
	// Pushed authorization requests no authorize request named, put
	// where they were sent.
	n := len(t.Events)
	t.Events = x.Flush(t.Events)
	if len(t.Events) > n {
		slices.SortStableFunc(t.Events, func(a, b model.Event) int { return a.Exchange - b.Exchange })
	}
	notes = append(notes, r.Notes()...)
	if len(t.Exchanges) == 0 && len(notes) == 0 {
		return t, nil, errors.New("no HTTP exchange in this trace")
	}
	return t, notes, nil
}

var classNames = map[compare.Class]string{
	compare.Explains: "explains", compare.Overlap: "overlap", compare.Crossing: "crossing", compare.CookieMissing: "cookie-missing",
	compare.ExtraRedemption: "extra-redemption", compare.ExtraCallback: "extra-callback", compare.Timing: "timing",
	compare.Refusal: "refusal", compare.ExtraStep: "extra-step", compare.MissingStep: "missing-step",
	compare.Parameter: "parameter", compare.Cosmetic: "cosmetic",
}

// comparisonDoc turns a comparison into report's wire model. The
// comparison hands out no secret; the output sweep still runs.
func comparisonDoc(good, bad compare.Trace, res *compare.Result) *report.Comparison {
	doc := &report.Comparison{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "traceaudit", Version: version},
		Good:          report.ComparedTrace{File: good.File, Format: string(good.Format), SignIns: res.GoodSignIns, SignOuts: res.GoodSignOuts},
		Bad:           report.ComparedTrace{File: bad.File, Format: string(bad.Format), SignIns: res.BadSignIns, SignOuts: res.BadSignOuts},
		Steps:         []report.ComparedStep{},
		Match:         !res.Differs(),
	}
	pt := func(p *compare.Point) *report.StepPoint {
		if p == nil {
			return nil
		}
		return &report.StepPoint{Ref: p.Ref, Time: report.At(p.Time), Method: p.Method, URL: p.URL, Status: p.Status, ErrorCode: p.ErrorCode}
	}
	for _, st := range res.Steps {
		cs := report.ComparedStep{Step: st.Step, SignIn: st.SignIn, N: st.N, Good: pt(st.Good), Bad: pt(st.Bad), Differences: []report.StepDiff{}}
		for _, d := range st.Differences {
			cs.Differences = append(cs.Differences, report.StepDiff{Field: d.Field, Good: d.Good, Bad: d.Bad, Note: d.Note, Class: classNames[d.Class]})
		}
		doc.Steps = append(doc.Steps, cs)
	}
	if f := res.First; f != nil {
		doc.First = &report.FirstDifference{Step: f.Step, SignIn: f.SignIn, N: f.N, Field: f.Field, Note: f.Note, Class: classNames[f.Class]}
	}
	return doc
}
