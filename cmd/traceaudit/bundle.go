package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/internal/secretscan"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/redact"
	"github.com/traceaudit/traceaudit/report"
)

// zipTime is every member's modification time: fixed, so the same inputs
// give the same bytes (the bundle's own time is in MANIFEST.json).
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// bundleMember is one file of the bundle.
type bundleMember struct {
	name string
	data []byte
}

// manifest is MANIFEST.json.
type manifest struct {
	SchemaVersion int              `json:"schema_version"`
	Tool          report.Tool      `json:"tool"`
	Command       []string         `json:"command"`
	Created       report.Time      `json:"created"`
	Inputs        []manifestInput  `json:"inputs"`
	Members       []manifestMember `json:"members"`
}

type manifestInput struct {
	Name   string `json:"name"`
	Format string `json:"format,omitempty"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Copy is the member holding its redacted copy, "" when none could be
	// made (an unreadable input).
	Copy string `json:"copy,omitempty"`
}

type manifestMember struct {
	Name   string `json:"name"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// runBundle writes one zip to attach to an escalation (contract, second
// wave): the reports in every format, a redacted copy of each trace and a
// manifest of hashes. Every member passes the secret sweep before anything
// is written; a hit refuses the bundle.
func runBundle(args []string, env environment) (int, error) {
	o := options{cmd: "bundle"}
	fs := newFlagSet("bundle", env)
	fs.StringVarP(&o.output, "output", "o", "", "the zip to write (required)")
	fs.StringArrayVar(&o.keylogs, "keylog", nil, "NSS key log (SSLKEYLOGFILE) for TLS in captures; may repeat")
	fs.StringVar(&o.password, "password", "", "password of a protected SAZ (also TRACEAUDIT_SAZ_PASSWORD); the copy is unprotected")
	fs.StringVar(&o.failOn, "fail-on", "warning", "lowest severity that makes exit code 1: error, warning, info, never")
	fs.DurationVar(&o.codeLifetime, "code-lifetime", 0, "authorization code lifetime to assume (default: the provider's)")
	addLimitFlags(fs, &o)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: traceaudit bundle [flags] PATH... -o CASE.zip\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := parseFlags(fs, args, env); err != nil {
		return exitTrouble, err
	}
	if o.output == "" || o.output == "-" {
		return exitTrouble, usagef("bundle: -o CASE.zip is required (a file, not stdout)")
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitTrouble, usagef("bundle: no PATH given")
	}
	switch o.failOn {
	case "error", "warning", "info", "never":
	default:
		return exitTrouble, usagef("--fail-on: want error, warning, info or never, not %q", o.failOn)
	}
	if o.password == "" {
		o.password = env.getenv("TRACEAUDIT_SAZ_PASSWORD")
	}
	env, flushStderr := sweptStderr(&o, env)
	defer flushStderr()
	inputs, err := expandInputs(fs.Args())
	if err != nil {
		return exitTrouble, err
	}
	for _, in := range inputs {
		if in.path == "-" {
			return exitTrouble, usagef("bundle: inputs are files (stdin has no name to record)")
		}
		if same, _ := sameFile(in.path, o.output); same {
			return exitTrouble, usagef("bundle: the output would overwrite the input %s", in.path)
		}
	}
	keys, err := loadKeyMaterial(o.keylogs)
	if err != nil {
		return exitTrouble, err
	}

	members, rep, scanCode, err := bundleReports(fs.Args(), &o, env)
	if err != nil {
		return exitTrouble, err
	}
	man := manifest{SchemaVersion: 1, Tool: report.Tool{Name: "traceaudit", Version: version},
		Command: bundleCommand(args), Created: report.At(bundleNow(env))}
	verifiers := incidentVerifiers(inputs, &o, env, keys)
	used := map[string]bool{}
	for _, in := range inputs {
		// Numbered among the inputs the bundle records, so that files of
		// a directory that are not traces leave no gaps.
		mi, copyMember, err := bundleInput(len(man.Inputs), in, &o, env, keys, used, verifiers)
		if err != nil && !in.explicit && isUnknownFormat(err) {
			continue // found in a directory and not a trace: the scan skipped it too
		}
		if err != nil {
			fmt.Fprintf(env.stderr, "traceaudit: %s: no redacted copy in the bundle: %s\n", report.Line(in.path), report.Line(err.Error()))
			scanCode = exitTrouble
		}
		if copyMember != nil {
			members = append(members, *copyMember)
		}
		if mi.Name != "" {
			man.Inputs = append(man.Inputs, mi)
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].name < members[j].name })
	for _, m := range members {
		sum := sha256.Sum256(m.data)
		man.Members = append(man.Members, manifestMember{Name: m.name, Size: len(m.data), SHA256: hex.EncodeToString(sum[:])})
	}
	mdata, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return exitTrouble, fmt.Errorf("bundle: %w", err)
	}
	members = append(members, bundleMember{name: "MANIFEST.json", data: append(mdata, '\n')})
	sort.Slice(members, func(i, j int) bool { return members[i].name < members[j].name })

	// The sweep runs over every member before anything is written: a
	// bundle with one leak is refused whole.
	for _, m := range members {
		if err := secretscan.Check(m.name, m.data); err != nil {
			return exitTrouble, fmt.Errorf("bundle refused, nothing written: %w", err)
		}
	}
	if err := writeBundleZip(o.output, members); err != nil {
		return exitTrouble, err
	}
	fmt.Fprintf(env.stderr, "traceaudit: wrote %s: %d members, %d inputs, %s\n", report.Line(o.output), len(members), len(man.Inputs),
		report.Line(rep.Summary.Verdict()))
	if scanCode == exitTrouble {
		return exitTrouble, nil
	}
	if failOn(rep, o.failOn) {
		return exitFindings, nil
	}
	return exitOK, nil
}

// bundleNow is the bundle's time: SOURCE_DATE_EPOCH when set (reproducible
// builds' convention), else the environment's clock.
func bundleNow(env environment) time.Time {
	if s := env.getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC()
		}
	}
	if env.now != nil {
		return env.now().UTC()
	}
	return time.Now().UTC()
}

// bundleCommand is the command line for the manifest with secrets
// removed: the password's value, and anything the sweep would redact.
func bundleCommand(args []string) []string {
	out := []string{"traceaudit", "bundle"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--password":
			out = append(out, a, "[redacted]")
			i++
			continue
		case strings.HasPrefix(a, "--password="):
			a = "--password=[redacted]"
		}
		out = append(out, secretscan.RedactString(a))
	}
	return out
}

// bundleReports runs the scan once (as one incident when there are several
// inputs and scan --case exists) and renders its JSON into every format.
func bundleReports(paths []string, o *options, env environment) ([]bundleMember, *report.Report, int, error) {
	scanArgs := []string{"scan", "-f", "json", "--fail-on", "never", "--progress", "never"}
	for _, k := range o.keylogs {
		scanArgs = append(scanArgs, "--keylog", k)
	}
	if o.codeLifetime > 0 {
		scanArgs = append(scanArgs, "--code-lifetime", o.codeLifetime.String())
	}
	scanArgs = append(scanArgs, limitArgs(o)...)
	if len(paths) > 1 && scanHasCase() {
		scanArgs = append(scanArgs, "--case")
	}
	scanArgs = append(scanArgs, "--")
	scanArgs = append(scanArgs, paths...)
	var out bytes.Buffer
	senv := env
	senv.stdout = &out
	senv.getenv = func(k string) string {
		if k == "TRACEAUDIT_SAZ_PASSWORD" {
			return o.password
		}
		return env.getenv(k)
	}
	code := run(scanArgs, senv)
	if code == exitTrouble && out.Len() == 0 {
		return nil, nil, code, fmt.Errorf("bundle: the scan failed")
	}
	rep, err := report.ReadJSON(bytes.NewReader(out.Bytes()))
	if err != nil {
		return nil, nil, code, fmt.Errorf("bundle: reading the scan: %w", err)
	}
	rep.Rules = ruleInfos()
	var members []bundleMember
	for _, m := range []struct{ name, format string }{
		{"README.md", "markdown"}, {"report.html", "html"}, {"findings.json", "json"},
		{"findings.sarif", "sarif"}, {"findings.csv", "csv"},
	} {
		wr, err := report.NewWriter(m.format, false)
		if err != nil {
			return nil, nil, code, err
		}
		var b bytes.Buffer
		if err := wr.Write(&b, rep); err != nil {
			return nil, nil, code, fmt.Errorf("bundle: %s: %w", m.name, err)
		}
		members = append(members, bundleMember{name: m.name, data: b.Bytes()})
	}
	return members, rep, code, nil
}

// scanHasCase reports whether scan knows --case (the multi-trace scan is
// built separately; the bundle uses it once it is there).
func scanHasCase() bool {
	var o options
	fs := traceFlags("scan", environment{stderr: io.Discard}, &o)
	return fs.Lookup("case") != nil
}

// limitArgs repeats the reader limits given to bundle for its scan.
func limitArgs(o *options) []string {
	var a []string
	add := func(name string, v int64) {
		if v != 0 {
			a = append(a, "--limit-"+name, strconv.FormatInt(v, 10))
		}
	}
	add("body", o.bodyLimit)
	add("inflate", o.inflateLimit)
	add("archive-inflate", o.archiveBytes)
	add("members", int64(o.members))
	add("headers", int64(o.headerLimit))
	add("header-bytes", o.headerBytes)
	add("json-depth", int64(o.jsonDepth))
	return a
}

// bundleInput hashes one input and makes its redacted copy: HAR and SAZ
// as redact writes them, a capture as a redacted HAR of its exchanges.
func bundleInput(i int, in input, o *options, env environment, keys *keyMaterial, used map[string]bool, verifiers []string) (manifestInput, *bundleMember, error) {
	mi := manifestInput{Name: in.path}
	f, err := os.Open(in.path)
	if err != nil {
		return mi, nil, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	f.Close()
	if err != nil {
		return mi, nil, err
	}
	mi.Size, mi.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	oi, err := openInput(in, env.stdin)
	if err != nil {
		return mi, nil, err
	}
	defer oi.close()
	mi.Format = string(oi.format)
	base := filepath.Base(in.path)
	opts := redact.Options{Password: o.password, Limits: o.limits(), Verifiers: verifiers}
	var b bytes.Buffer
	switch oi.format {
	case model.FormatHAR:
		_, err = redact.HAR(oi.file, &b, opts)
	case model.FormatSAZ:
		_, err = redact.SAZ(oi.file, oi.size, &b, opts)
	case model.FormatPCAP:
		base += ".har"
		var r model.Reader
		r, err = newReader(oi, o, env, keys)
		if err == nil {
			var exs []*model.Exchange
			exs, err = model.ReadAll(r)
			if err != nil && len(exs) > 0 && isPartial(err) {
				err = nil
			}
			if err == nil {
				_, err = redact.Exchanges(exs, &b, opts)
			}
		}
	default:
		err = errUnknownFormat
	}
	if err != nil {
		return mi, nil, err
	}
	// Members are named after the input, numbered so that two inputs of
	// one name (trace.har from two folders) stay apart.
	name := fmt.Sprintf("traces/%02d-%s", i+1, base)
	for used[name] {
		name += "_"
	}
	used[name] = true
	mi.Copy = name
	return mi, &bundleMember{name: name, data: b.Bytes()}, nil
}

// incidentVerifiers gathers the PKCE verifiers of every input, so each
// copy maps a challenge whose verifier is in another trace the same way
// (see redact.Options.Verifiers). Only with several inputs; raw values stay
// in memory.
func incidentVerifiers(inputs []input, o *options, env environment, keys *keyMaterial) []string {
	if len(inputs) < 2 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, in := range inputs {
		t, _, err := readTrace(in, o, env, keys, nil)
		if err != nil {
			continue // reported when its copy is made
		}
		for _, e := range t.Events {
			if v := e.CodeVerifier().Reveal(); v != "" && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Strings(out)
	return out
}

// writeBundleZip writes members in order with fixed timestamps, to a temporary
// file renamed at the end so a failure leaves no half bundle.
func writeBundleZip(path string, members []bundleMember) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".traceaudit-bundle-*")
	if err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	defer os.Remove(tmp.Name())
	zw := zip.NewWriter(tmp)
	for _, m := range members {
		fh := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: zipTime}
		fh.SetMode(0o644)
		w, err := zw.CreateHeader(fh)
		if err == nil {
			_, err = w.Write(m.data)
		}
		if err != nil {
			tmp.Close()
			return fmt.Errorf("bundle: %s: %w", m.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return fmt.Errorf("bundle: %w", err)
	}
	// CreateTemp makes the file private; a bundle is made to be shared.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("bundle: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("bundle: %w", err)
	}
	return nil
}

// failOn reports whether a finding is at or above the --fail-on severity.
func failOn(rep *report.Report, level string) bool {
	if level == "never" {
		return false
	}
	min := report.Severity(level)
	for _, f := range rep.Files {
		for _, fd := range f.Findings {
			if fd.Severity.Rank() >= min.Rank() {
				return true
			}
		}
	}
	return false
}
