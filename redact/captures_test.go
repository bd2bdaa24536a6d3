package redact

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/tlsdec"
)

// traceRoots hold the repository's traces that the findings of copies are
// checked on: every HAR, SAZ and capture under them has its copy scanned
// to the original's findings, by TestHARFixtures and TestSAZFromHAR (the
// HARs, also stored as SAZ) or TestCaptureCopies (the captures, copied as
// bundle copies them), but for copyLosesFindings.
var traceRoots = []string{filepath.Join("..", "testdata"), filepath.Join("..", "rules", "testdata")}

// traceFiles lists the traces under traceRoots by extension: HAR (also
// compressed), SAZ and capture. Fuzz corpora are no traces.
func traceFiles(t testing.TB) (hars, sazs, captures []string) {
	t.Helper()
	for _, root := range traceRoots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "fuzz" {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".har", ".gz", ".zhar":
				hars = append(hars, p)
			case ".saz":
				sazs = append(sazs, p)
			case ".pcap", ".pcapng", ".etl":
				captures = append(captures, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return hars, sazs, captures
}

// TestEveryTraceIsCopied: the tests that compare a copy's findings with its
// original's cover every trace under traceRoots, so that a fixture added
// in a new place or format is not left out.
func TestEveryTraceIsCopied(t *testing.T) {
	hars, sazs, captures := traceFiles(t)
	covered := map[string]bool{}
	for _, f := range harFixtures(t) {
		covered[filepath.Clean(f)] = true
	}
	for _, f := range hars {
		if !covered[filepath.Clean(f)] {
			t.Errorf("%s: a HAR that TestHARFixtures does not copy (harFixtures)", f)
		}
	}
	for _, f := range sazs {
		t.Errorf("%s: a SAZ under %v that no test copies", f, traceRoots)
	}
	if len(captures) < 200 {
		t.Errorf("only %d captures", len(captures))
	}
}

// keyLogOf is the key log the lab writes beside a capture of its own
// (capture.pcap, keys.log), "" for one that embeds its keys.
func keyLogOf(capture string) string {
	dir, base := filepath.Split(capture)
	switch base {
	case "capture.pcap":
		return filepath.Join(dir, "keys.log")
	case "capture-server.pcap":
		return filepath.Join(dir, "keys-server.log")
	}
	return ""
}

// readCapture reads a capture with its embedded keys and its key log, as
// scan and bundle do.
func readCapture(t testing.TB, path string) []*model.Exchange {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs []*tlsdec.KeyLog
	if kp := keyLogOf(path); kp != "" {
		f, err := os.Open(kp)
		if err != nil {
			t.Fatal(err)
		}
		kl, err := tlsdec.ParseKeyLog(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, kl)
	}
	keys, _, _ := tlsdec.KeysForCapture(bytes.NewReader(data), int64(len(data)), logs...)
	opts := pcap.Options{Name: filepath.Base(path)}
	if keys != nil && keys.Len() > 0 {
		opts.Decrypter = tlsdec.NewDecrypter(keys).StreamDecrypter()
	}
	r, err := pcap.NewReader(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	exs, _ := model.ReadAll(r) // a capture cut short: what was read, as bundle copies it
	return exs
}

// TestCaptureCopies: the copy bundle makes of a capture (Exchanges: a HAR
// of its exchanges) scans to the capture's findings, read back to the
// capture's refs through each entry's comment ("from frame 12"), and holds
// none of its secrets.
func TestCaptureCopies(t *testing.T) {
	_, _, captures := traceFiles(t)
	sort.Strings(captures)
	rules := map[string]bool{}
	for i, file := range captures {
		if testing.Short() && i%4 != 0 {
			continue // CI's race step: a quarter
		}
		t.Run(file, func(t *testing.T) {
			orig := readCapture(t, file)
			var out bytes.Buffer
			if _, err := Exchanges(orig, &out, Options{}); err != nil {
				t.Fatalf("copy: %v", err)
			}
			cp, _ := readHAR(t, out.Bytes())
			refOf := map[string]string{}
			for _, ex := range cp {
				if ref, ok := strings.CutPrefix(ex.Comment, "from "); ok {
					refOf[ex.Ref] = ref
				}
			}
			got := findings(cp)
			for i := range got {
				for k, r := range got[i].Refs {
					if o, ok := refOf[r]; ok {
						got[i].Refs[k] = o
					}
				}
			}
			want := findings(orig)
			for _, f := range want {
				rules[f.Rule] = true
			}
			checkSameFindings(t, file, want, got)
			if l := leaks(out.Bytes(), secretsOf(orig)); len(l) > 0 {
				t.Errorf("%d secret values survive: %v", len(l), l)
			}
		})
	}
	if !testing.Short() && len(rules) < 8 {
		t.Errorf("findings of only %d rules compared", len(rules))
	}
}
