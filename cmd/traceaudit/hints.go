package main

import (
	"archive/zip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/saz"
)

// Messages that say what to do next: an error or a verdict names the flag,
// the file or the export that would let traceaudit read the trace.

// withReadHint adds to a reader's error what the user can do about it: the
// password flag and variable for an encrypted SAZ, the export to use for a
// known archive traceaudit does not read.
func withReadHint(err error, o *options, f *os.File) error {
	switch {
	case errors.Is(err, saz.ErrPassword) && o.password == "":
		return fmt.Errorf("%w: pass --password PW or set TRACEAUDIT_SAZ_PASSWORD (Fiddler's File > Save > Password-Protected Archive)", err)
	case errors.Is(err, saz.ErrPassword):
		return fmt.Errorf("%w: check the password given with --password or TRACEAUDIT_SAZ_PASSWORD", err)
	case errors.Is(err, saz.ErrFormat) && f != nil && isFluxzyArchive(f):
		return fmt.Errorf("a Fluxzy archive (.fxzy), which traceaudit does not read: export a HAR from Fluxzy Desktop " +
			"(select the exchanges, then Export > HTTP Archive), or unzip it and scan each connection's capture with its key log: " +
			"traceaudit scan --keylog captures/N.nss captures/N.pcapng")
	}
	return err
}

// isFluxzyArchive reports a zip laid out as Fluxzy writes its archives
// (exchanges/, connections/, captures/ next to each other) rather than as
// a SAZ (raw/).
func isFluxzyArchive(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return false
	}
	var exchanges, connections bool
	for i, m := range zr.File {
		if i > 10000 {
			break
		}
		switch {
		case strings.HasPrefix(m.Name, "raw/"):
			return false
		case strings.HasPrefix(m.Name, "exchanges/"):
			exchanges = true
		case strings.HasPrefix(m.Name, "connections/"), strings.HasPrefix(m.Name, "captures/"):
			connections = true
		}
	}
	return exchanges && connections
}

// keyLogNextTo lists files in a capture's folder that look like TLS key
// logs (sslkeylog*, *keylog*, *.keys, *.nss, keys*.log), at most three,
// the one whose name shares the longest start with the capture's first
// (a folder of captures often holds one key log per capture:
// fluxzy-conn9.pcapng beside fluxzy-conn9.nsskeylog), then by name. They
// are named, never loaded silently: a key log the user did not pass may
// belong to another capture.
func keyLogNextTo(path string) []string {
	if path == "-" {
		return nil
	}
	dir := filepath.Dir(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		n := strings.ToLower(e.Name())
		if strings.HasPrefix(n, "sslkeylog") || strings.Contains(n, "keylog") || strings.HasSuffix(n, ".keys") || strings.HasSuffix(n, ".nss") ||
			(strings.Contains(n, "keys") && (strings.HasSuffix(n, ".log") || strings.HasSuffix(n, ".txt"))) {
			out = append(out, joinAsGiven(path, e.Name()))
		}
	}
	capture := strings.ToLower(filepath.Base(path))
	shared := func(name string) int {
		name = strings.ToLower(filepath.Base(name))
		n := 0
		for n < len(name) && n < len(capture) && name[n] == capture[n] {
			n++
		}
		return n
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := shared(out[i]), shared(out[j]); a != b {
			return a > b
		}
		return out[i] < out[j]
	})
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// joinAsGiven names a file in the same folder as path, spelled the way the
// user spelled path (relative stays relative).
func joinAsGiven(path, name string) string {
	dir := filepath.Dir(path)
	if dir == "." && !strings.HasPrefix(path, "."+string(filepath.Separator)) {
		return name
	}
	return filepath.Join(dir, name)
}

// tlsHint improves an inconclusive verdict on a capture whose TLS stayed
// encrypted: it names a key log found next to the capture, or says that
// the key logs given match none of the capture's connections.
func tlsHint(res *fileResult, o *options) {
	if res.scan == nil || res.scan.assessment.Verdict != rules.VerdictInconclusive {
		return
	}
	undecrypted := 0
	for _, n := range res.notes {
		if n.Kind == model.NoteTLSNoKeys {
			undecrypted++
		}
	}
	if undecrypted == 0 {
		return
	}
	a := &res.scan.assessment
	if len(o.keylogs) > 0 {
		if res.exchangeCount == 0 {
			a.Reason = fmt.Sprintf("none of the client randoms in the key log(s) given (%s) belongs to a TLS connection of this capture, so %s encrypted: the key log is from another browser session or machine (set SSLKEYLOGFILE before starting the browser and capture that session)",
				strings.Join(o.keylogs, ", "), connections(undecrypted))
		}
		return
	}
	if found := keyLogNextTo(res.path); len(found) > 0 {
		hint := fmt.Sprintf("pass --keylog %s (a key log next to the capture)", found[0])
		if generic := "pass --keylog FILE (the SSLKEYLOGFILE the client wrote)"; strings.Contains(a.Reason, generic) {
			a.Reason = strings.Replace(a.Reason, generic, hint, 1)
		} else {
			a.Reason += "; " + hint
		}
	}
}

// connections says how many connections stay, verb agreeing.
func connections(n int) string {
	if n == 1 {
		return "1 connection stays"
	}
	return fmt.Sprintf("%d connections stay", n)
}
