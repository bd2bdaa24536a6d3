package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/traceaudit/traceaudit/internal/secretscan"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/report"
	"github.com/traceaudit/traceaudit/saz"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

const usageText = `traceaudit finds why an OAuth 2.0 / OpenID Connect sign-in failed, from a trace.

Usage:
  traceaudit scan      [flags] PATH...   run the rules; PATH is a file, a directory (recursive) or - (stdin)
  traceaudit events    [flags] PATH...   the normalized OAuth events, in time order
  traceaudit exchanges [flags] PATH...   the normalized HTTP exchanges, one per request
  traceaudit rules                       list the rules: ID, severity, title
  traceaudit explain RULE|CODE           a rule's documentation, or a provider error code (AADSTS54005, 54005, invalid_grant)
  traceaudit redact    [flags] IN -o OUT write a sanitized copy of a HAR or SAZ for sharing
  traceaudit compare   [flags] GOOD BAD  what differs between a working sign-in and a failing one
  traceaudit bundle    [flags] PATH... -o CASE.zip  one zip to attach to an escalation: reports, redacted traces, manifest
  traceaudit version

Inputs: HAR (also gzip/zlib-compressed), Fiddler SAZ (also password-protected),
pcap and pcapng (TLS decrypted with --keylog or keys embedded in the pcapng),
Windows ETL captures (netsh trace capture=yes, pktmon). The format is sniffed
from content.

Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage error or unreadable input.
Run 'traceaudit COMMAND --help' for a command's flags.
`

// options are the flags shared by the trace-reading commands.
type options struct {
	cmd          string // the command being run: scan, events, exchanges, redact
	format       string
	output       string
	keylogs      []string
	password     string
	noRedact     bool
	failOn       string
	jobs         int
	progress     string
	codeLifetime time.Duration
	bodyLimit    int64
	inflateLimit int64
	headerLimit  int
	headerBytes  int64
	jsonDepth    int
	members      int
	archiveBytes int64
	shard        string
	shardK       int // 1-based shard index; 0 when not sharding
	shardN       int
	caseMode     bool // scan --case: all inputs are one incident
	// wholeBodies turns off skipping the response bodies the OAuth
	// extractor cannot need (see skipResponse): set for reading a trace
	// again once the extractor read one it had been told was skipped.
	wholeBodies bool
}

func run(args []string, env environment) int {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, usageText)
		return exitTrouble
	}
	cmd, rest := args[0], args[1:]
	var err error
	var code int
	switch cmd {
	case "scan", "events", "exchanges":
		mem := startMemLimit(env)
		env.mem = mem
		code, err = runTraceCommand(cmd, rest, env)
		mem.stop()
	case "rules":
		code, err = runRules(rest, env)
	case "explain":
		code, err = runExplain(rest, env)
	case "redact":
		code, err = runRedact(rest, env)
	case "compare":
		code, err = runCompare(rest, env)
	case "bundle":
		code, err = runBundle(rest, env)
	case "version", "--version":
		fmt.Fprintf(env.stdout, "traceaudit %s %s/%s %s\n", version, runtime.GOOS, runtime.GOARCH, runtime.Version())
		return exitOK
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, usageText)
		return exitOK
	default:
		err = usagef("unknown command %q (try 'traceaudit help')", cmd)
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK // the usage was printed
		}
		// Errors pass the sweep whatever the flags: none should carry a
		// secret, and one that does must not print it.
		fmt.Fprintf(env.stderr, "traceaudit: %s\n", report.Line(secretscan.RedactString(err.Error())))
		if isUsage(err) {
			return exitTrouble
		}
		if code == exitOK {
			code = exitTrouble
		}
	}
	return code
}

// parseFlags parses a command's flags; -h/--help is not an error. Help
// goes to stdout (it is what was asked for); on a mistake only the error
// and a hint go to stderr, which run prints.
func parseFlags(fs *flag.FlagSet, args []string, env environment) error {
	usage := fs.Usage
	fs.Usage = func() {} // pflag calls it on help and on errors; we decide
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	fs.SetOutput(env.stderr)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(env.stdout)
		fs.Usage()
		fs.SetOutput(env.stderr)
		return err
	}
	return usagef("%s: %v (see 'traceaudit %s --help')", fs.Name(), err, fs.Name())
}

func newFlagSet(name string, env environment) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: traceaudit %s [flags]\n", name)
		if u := fs.FlagUsages(); u != "" {
			fmt.Fprintf(fs.Output(), "\nFlags:\n%s", u)
		}
	}
	return fs
}

func traceFlags(cmd string, env environment, o *options) *flag.FlagSet {
	fs := newFlagSet(cmd, env)
	formats := strings.Join(report.Formats(report.Kind(cmd)), ", ")
	fs.StringVarP(&o.format, "format", "f", "table", "output format: "+formats)
	fs.StringVarP(&o.output, "output", "o", "", "write there instead of stdout")
	fs.StringArrayVar(&o.keylogs, "keylog", nil, "NSS key log (SSLKEYLOGFILE) for TLS in captures; may repeat")
	fs.StringVar(&o.password, "password", "", "password of a protected SAZ (also TRACEAUDIT_SAZ_PASSWORD)")
	fs.BoolVar(&o.noRedact, "no-redact", false, "print secrets in the clear (default: fingerprints and masks)")
	fs.StringVar(&o.failOn, "fail-on", "warning", "lowest severity that makes exit code 1: error, warning, info, never; inconclusive: findings at warning or above and files the trace cannot decide")
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.NumCPU(), "files read in parallel")
	fs.StringVar(&o.progress, "progress", "auto", "progress on stderr: auto (only on a terminal), always, never")
	fs.DurationVar(&o.codeLifetime, "code-lifetime", 0, "authorization code lifetime to assume (default: the provider's)")
	fs.StringVar(&o.shard, "shard", "", "scan only shard K of N (`K/N`, 1-based), a stable split by path for running one corpus on many hosts")
	if cmd == "scan" || cmd == "events" {
		fs.BoolVar(&o.caseMode, "case", false, "read all inputs as one incident (a browser HAR and the server's capture): one timeline, clocks aligned, findings citing several files")
	}
	addLimitFlags(fs, o)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: traceaudit %s [flags] PATH...\n\nFlags:\n%s", cmd, fs.FlagUsages())
	}
	return fs
}

func (o *options) validate(cmd string) error {
	o.format = strings.ToLower(o.format)
	if !slices.Contains(report.Formats(report.Kind(cmd)), o.format) {
		return usagef("%s: unknown format %q", cmd, o.format)
	}
	switch o.failOn {
	case "error", "warning", "info", "never":
	case "inconclusive":
		if cmd != "scan" {
			return usagef("--fail-on inconclusive: only scan gives verdicts")
		}
	default:
		return usagef("--fail-on: want error, warning, info, inconclusive or never, not %q", o.failOn)
	}
	switch o.progress {
	case "auto", "always", "never":
	default:
		return usagef("--progress: want auto, always or never, not %q", o.progress)
	}
	if o.jobs < 1 {
		o.jobs = 1
	}
	if o.shard != "" {
		if _, err := fmt.Sscanf(o.shard, "%d/%d", &o.shardK, &o.shardN); err != nil || o.shardN < 1 || o.shardK < 1 || o.shardK > o.shardN ||
			o.shard != fmt.Sprintf("%d/%d", o.shardK, o.shardN) {
			return usagef("--shard: want K/N with 1 <= K <= N, not %q", o.shard)
		}
	}
	if o.codeLifetime < 0 {
		return usagef("--code-lifetime must not be negative")
	}
	return nil
}

// addLimitFlags declares the reader limits every trace-reading command
// shares. Hitting one is a note naming the flag; the rest of the file is
// still read.
func addLimitFlags(fs *flag.FlagSet, o *options) {
	d := model.DefaultLimits
	fs.Int64Var(&o.bodyLimit, "limit-body", 0, fmt.Sprintf("bytes of each message body kept for analysis (default %d)", d.BodyBytes))
	fs.Int64Var(&o.inflateLimit, "limit-inflate", 0, fmt.Sprintf("bytes one decompression (body, HAR, archive member) may produce (default %d)", d.InflateBytes))
	fs.Int64Var(&o.archiveBytes, "limit-archive-inflate", 0, "bytes inflated from all members of one SAZ (default 16 × --limit-inflate)")
	fs.IntVar(&o.members, "limit-members", 0, fmt.Sprintf("members of one SAZ archive (default %d)", saz.DefaultMaxMembers))
	fs.IntVar(&o.headerLimit, "limit-headers", 0, fmt.Sprintf("header fields of one message (default %d)", d.HeaderCount))
	fs.Int64Var(&o.headerBytes, "limit-header-bytes", 0, fmt.Sprintf("bytes of one message's header section (default %d)", d.HeaderBytes))
	fs.IntVar(&o.jsonDepth, "limit-json-depth", 0, fmt.Sprintf("JSON nesting depth (default %d)", d.JSONDepth))
}

// openOutput returns where results go and a function that finishes it.
// Unless --no-redact, every byte passes the secret sweep (JWTs at any
// URL-encoding depth, Bearer credentials, key log lines, high-entropy
// values after credential names become fingerprints) whatever wrote it:
// this is the one place output is opened, so every format and command
// gets it.
func openOutput(o *options, env environment) (io.Writer, func() error, error) {
	var w io.Writer = env.stdout
	closeFn := func() error { return nil }
	if o.output != "" && o.output != "-" {
		f, err := os.Create(o.output)
		if err != nil {
			return nil, nil, fmt.Errorf("output: %w", err)
		}
		w, closeFn = f, f.Close
	}
	if o.noRedact {
		return w, closeFn, nil
	}
	sw := secretscan.NewWriter(w)
	return sw, func() error {
		err := sw.Flush()
		if cerr := closeFn(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

// sweptStderr passes diagnostics (notes, errors, progress) through the
// same sweep as the output; the caller flushes it.
func sweptStderr(o *options, env environment) (environment, func()) {
	if o.noRedact {
		return env, func() {}
	}
	orig, isTerm := env.stderr, env.isTerminal
	sw := secretscan.NewWriter(orig)
	env.stderr = sw
	env.isTerminal = func(f any) bool {
		if f == any(sw) {
			f = orig
		}
		return isTerm(f)
	}
	return env, func() { sw.Flush() }
}
