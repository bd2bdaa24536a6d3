package main

import (
	"fmt"
	"hash/fnv"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/traceaudit/traceaudit/report"
)

// runTraceCommand runs scan, events or exchanges over the inputs, reading
// files in parallel and writing results in input order so the output is the
// same for any -j.
func runTraceCommand(cmd string, args []string, env environment) (int, error) {
	o := options{cmd: cmd}
	fs := traceFlags(cmd, env, &o)
	if err := parseFlags(fs, args, env); err != nil {
		return exitTrouble, err
	}
	if err := o.validate(cmd); err != nil {
		return exitTrouble, err
	}
	if o.password == "" {
		o.password = env.getenv("TRACEAUDIT_SAZ_PASSWORD")
	}
	env, flushStderr := sweptStderr(&o, env)
	defer flushStderr()
	if fs.NArg() == 0 {
		fs.Usage()
		return exitTrouble, usagef("%s: no PATH given (a file, a directory, or - for stdin)", cmd)
	}
	keys, err := loadKeyMaterial(o.keylogs)
	if err != nil {
		return exitTrouble, err
	}
	inputs, err := expandInputs(fs.Args())
	if err != nil {
		return exitTrouble, err
	}
	if o.shardN > 0 {
		inputs = shardInputs(inputs, o.shardK, o.shardN)
	}
	start := time.Now()
	w, finish, err := openOutput(&o, env)
	if err != nil {
		return exitTrouble, err
	}
	out, err := newResultWriter(cmd, &o, w, env)
	if err != nil {
		finish()
		return exitTrouble, err
	}
	prog := newProgress(&o, env, inputs)
	emit := out.file
	var held []fileResult
	if o.caseMode {
		// The incident is written once every trace is read.
		emit = func(r fileResult) error { held = append(held, r); return nil }
	}
	results := analyzeAll(inputs, &o, env, keys, cmd, prog.doneFile, emit)
	if o.caseMode {
		if err := writeCase(held, &o, out); err != nil {
			finish()
			return exitTrouble, fmt.Errorf("write output: %w", err)
		}
	}
	prog.finish()
	if err := out.close(); err != nil {
		finish()
		return exitTrouble, fmt.Errorf("write output: %w", err)
	}
	if err := finish(); err != nil {
		return exitTrouble, fmt.Errorf("write output: %w", err)
	}
	// The scan table closes with its own summary on stderr; say it once.
	if prog.on && (cmd != "scan" || o.format != "table") {
		printSummary(env.stderr, results, out, time.Since(start))
	}
	code := exitOK
	for _, r := range results {
		if r.err != nil {
			code = exitTrouble
			msg := r.err.Error()
			if !strings.HasPrefix(msg, r.path+":") {
				msg = r.path + ": " + msg
			}
			fmt.Fprintf(env.stderr, "traceaudit: %s\n", report.Line(msg))
		}
	}
	if code == exitOK && cmd == "scan" && out.failed {
		code = exitFindings
	}
	return code, nil
}

// outcome is the part of a file result the command needs after writing.
type outcome struct {
	path     string
	format   string
	explicit bool
	skipped  bool // found in a directory, not a trace: counted, not an error
	err      error
}

// analyzeAll reads inputs with o.jobs workers and hands each result to emit
// in input order (emit runs on one goroutine at a time); done is told of
// every input, skipped ones included. Only small outcomes
// are retained, so memory is bounded by the files in flight.
func analyzeAll(inputs []input, o *options, env environment, keys *keyMaterial, cmd string,
	done func(path string, findings int), emit func(fileResult) error) []outcome {
	type slot struct {
		res  fileResult
		done chan struct{}
	}
	slots := make([]*slot, len(inputs))
	for i := range slots {
		slots[i] = &slot{done: make(chan struct{})}
	}
	jobs := make(chan int)
	var wg sync.WaitGroup
	workers := o.jobs
	if workers > len(inputs) {
		workers = len(inputs)
	}
	// A window keeps fast workers from racing far ahead of the writer and
	// holding many finished results in memory.
	window := make(chan struct{}, 2*workers+1)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				slots[i].res = analyzeInput(inputs[i], o, env, keys, cmd)
				close(slots[i].done)
			}
		}()
	}
	go func() {
		for i := range inputs {
			window <- struct{}{}
			jobs <- i
		}
		close(jobs)
	}()
	outcomes := make([]outcome, 0, len(inputs))
	var writeErr error
	for i, s := range slots {
		<-s.done
		res := s.res
		s.res = fileResult{}
		<-window
		skip := res.err != nil && !inputs[i].explicit && res.format == "" && isUnknownFormat(res.err)
		done(res.path, res.findingCount())
		if !skip && writeErr == nil {
			writeErr = emit(res)
		}
		oc := outcome{path: res.path, format: string(res.format), explicit: inputs[i].explicit, err: res.err, skipped: skip}
		if skip {
			oc.err = nil
		}
		outcomes = append(outcomes, oc)
	}
	wg.Wait()
	return outcomes
}

// shardInputs keeps the inputs of shard k of n: a file belongs to the shard
// its path hashes to (FNV-1a), so independent hosts given the same corpus
// and the same N split it with no coordination and no overlap.
func shardInputs(inputs []input, k, n int) []input {
	var out []input
	for _, in := range inputs {
		h := fnv.New64a()
		h.Write([]byte(in.path))
		if int(h.Sum64()%uint64(n)) == k-1 {
			out = append(out, in)
		}
	}
	return out
}

// printSummary closes a batch on stderr: files, exchanges, findings by rule
// and severity, unreadable files and time. It goes to stderr so that stdout
// stays the deterministic report.
func printSummary(w io.Writer, results []outcome, rw *resultWriter, elapsed time.Duration) {
	var files, skipped, unreadable int
	for _, r := range results {
		switch {
		case r.skipped:
			skipped++
		case r.err != nil:
			unreadable++
			files++
		default:
			files++
		}
	}
	fmt.Fprintf(w, "traceaudit: %d files (%d unreadable, %d skipped as not traces), %d exchanges",
		files, unreadable, skipped, rw.stats.exchanges)
	if rw.cmd != "exchanges" {
		fmt.Fprintf(w, ", %d OAuth events", rw.stats.events)
	}
	if rw.cmd == "scan" {
		fmt.Fprintf(w, ", %d findings", rw.stats.findings)
		if len(rw.stats.byRule) > 0 {
			fmt.Fprintf(w, " (%s)", rw.stats.byRuleText())
		}
		if v := rw.stats.verdictText(); v != "" {
			fmt.Fprintf(w, "; files by verdict: %s", v)
		}
	}
	fmt.Fprintf(w, " in %s\n", elapsed.Round(time.Millisecond))
}
