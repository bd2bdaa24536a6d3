package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/redact"
	"github.com/traceaudit/traceaudit/report"
)

// runRedact writes a sanitized copy of a HAR or SAZ: secrets become their
// fingerprints (so the copy scans to the same findings), cookies and
// passwords are masked.
func runRedact(args []string, env environment) (int, error) {
	var o options
	var strip bool
	fs := newFlagSet("redact", env)
	fs.StringVarP(&o.output, "output", "o", "", "where to write the sanitized copy (required; - for stdout)")
	fs.StringVar(&o.password, "password", "", "password of a protected SAZ (also TRACEAUDIT_SAZ_PASSWORD); the copy is unprotected")
	fs.BoolVar(&strip, "strip-bodies", false, "replace response bodies that carry no OAuth message (scripts, images, fonts) by a placeholder")
	addLimitFlags(fs, &o)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: traceaudit redact [flags] IN -o OUT\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := parseFlags(fs, args, env); err != nil {
		return exitTrouble, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitTrouble, usagef("redact: want exactly one input")
	}
	if o.output == "" {
		return exitTrouble, usagef("redact: -o OUT is required (use -o - for stdout)")
	}
	if o.password == "" {
		o.password = env.getenv("TRACEAUDIT_SAZ_PASSWORD")
	}
	env, flushStderr := sweptStderr(&o, env)
	defer flushStderr()
	in := input{path: fs.Arg(0), explicit: true}
	if in.path != "-" && o.output != "-" {
		if same, _ := sameFile(in.path, o.output); same {
			return exitTrouble, usagef("redact: the output would overwrite the input")
		}
	}
	oi, err := openInput(in, env.stdin)
	if err != nil {
		return exitTrouble, fmt.Errorf("%s: %w", in.path, err)
	}
	defer oi.close()
	opts := redact.Options{Password: o.password, Limits: o.limits(), StripBodies: strip}

	// Write to a temporary file beside the output and rename it at the end,
	// so a failure never leaves a half-sanitized file that looks complete.
	// For stdout the copy is spooled first: a refused copy (a secret that
	// survived) must not have been half written.
	dir := os.TempDir()
	if o.output != "-" {
		dir = filepath.Dir(o.output)
	}
	tmp, err := os.CreateTemp(dir, ".traceaudit-redact-*")
	if err != nil {
		return exitTrouble, fmt.Errorf("redact: %w", err)
	}
	defer os.Remove(tmp.Name())
	var w io.Writer = tmp
	var stats redact.Stats
	switch oi.format {
	case model.FormatHAR:
		stats, err = redact.HAR(oi.file, w, opts)
	case model.FormatSAZ:
		stats, err = redact.SAZ(oi.file, oi.size, w, opts)
	default:
		err = errors.New("redact reads HAR and SAZ; captures carry TLS keys and payloads that cannot be rewritten safely — share the findings instead")
	}
	if err == nil {
		if o.output == "-" {
			if _, err = tmp.Seek(0, io.SeekStart); err == nil {
				_, err = io.Copy(env.stdout, tmp)
			}
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
		} else if err = tmp.Close(); err == nil {
			err = os.Rename(tmp.Name(), o.output)
		}
	}
	if err != nil {
		tmp.Close()
		return exitTrouble, fmt.Errorf("%s: %w", in.path, err)
	}
	for _, n := range stats.Notes {
		fmt.Fprintf(env.stderr, "traceaudit: %s\n", report.Line(fmt.Sprintf("%s: note [%s] %s%s", in.path, n.Kind, refPrefix(n.Ref), n.Message)))
	}
	fmt.Fprintf(env.stderr, "traceaudit: wrote %s: %d exchanges, %d values replaced, %d PKCE verifiers given stand-ins, %d bodies stripped\n",
		displayOut(o.output), stats.Exchanges, stats.Replaced, stats.Verifiers, stats.Stripped)
	return exitOK, nil
}

func displayOut(p string) string {
	if p == "-" {
		return "stdout"
	}
	return p
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
