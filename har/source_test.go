package har

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

// readFileMode reads the file at path from offset at with the given
// mapping mode, and reports whether the file was mapped (true when it
// is not a HAR at all).
func readFileMode(t *testing.T, path string, at int64, mode mapMode, opts Options) ([]*model.Exchange, []model.Note, error, bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(at, 0); err != nil {
		t.Fatal(err)
	}
	opts.mapping = mode
	r, err := NewReader(f, opts)
	if err != nil {
		return nil, nil, err, true // nothing to map
	}
	mapped := r.mapped != nil
	exs, err := model.ReadAll(r)
	if r.mapped != nil {
		t.Fatalf("%s: still mapped after the end", path)
	}
	return exs, r.Notes(), err, mapped
}

// TestMappedSame reads files through a mapping and with read(2) and
// compares: every HAR under testdata, generated ones shaped like the
// benchmarks and with escape-heavy strings beyond the read buffer, a file
// with a byte order mark, and a HAR that starts after other bytes of the
// file (read from where the file stood).
func TestMappedSame(t *testing.T) {
	dir := t.TempDir()
	files, err := filepath.Glob("testdata/*.har")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for i, cfg := range []hargen.Config{hargen.ManyEntries(shortEntries(3000)), {Entries: shortEntries(300), BodyBytes: 9500, Seed: 3},
		{Entries: shortEntries(100), BodyBytes: 30 << 10, Seed: 2, Customer: true}} {
		var buf bytes.Buffer
		if _, err := hargen.Write(&buf, cfg); err != nil {
			t.Fatal(err)
		}
		files = append(files, write(fmt.Sprintf("gen%d.har", i), buf.Bytes()))
	}
	raw := rawDoc(7, shortEntries(60))
	files = append(files, write("raw.har", raw), write("bom.har", append(append([]byte{}, utf8BOM...), raw...)))
	offset := write("offset.har", append([]byte("not part of the document"), raw...))

	type file struct {
		path string
		at   int64
	}
	var all []file
	for _, p := range files {
		all = append(all, file{p, 0})
	}
	all = append(all, file{offset, int64(len("not part of the document"))})
	small := Options{Limits: model.Limits{BodyBytes: 300, HeaderCount: 5, JSONDepth: 8}}
	for _, f := range all {
		for _, opts := range []Options{{}, small} {
			want, wantNotes, wantErr, _ := readFileMode(t, f.path, f.at, mapNever, opts)
			got, notes, err, mapped := readFileMode(t, f.path, f.at, mapAlways, opts)
			if !mapped && runtime.GOOS == "linux" {
				t.Errorf("%s: not mapped", f.path)
			}
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(notes, wantNotes) {
				t.Errorf("%s: mapped: %d exchanges, notes %v, error %v; read: %d, %v, %v",
					f.path, len(got), notes, err, len(want), wantNotes, wantErr)
			}
		}
	}
}

// TestMappedTruncated shrinks a mapped file while it is read: reading it
// again faults, which must end reading with an error, not end the process.
func TestMappedTruncated(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("files are mapped on Linux only")
	}
	entries := 20000
	if testing.Short() {
		entries = 4000 // CI's race step: still a file of several MiB, mapped
	}
	var buf bytes.Buffer
	if _, err := hargen.Write(&buf, hargen.ManyEntries(entries)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shrinks.har")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f, Options{mapping: mapLarge})
	if err != nil {
		t.Fatal(err)
	}
	if r.mapped == nil {
		t.Fatalf("a %d-byte file not mapped", buf.Len())
	}
	for range 10 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(path, 1<<20); err != nil {
		t.Fatal(err)
	}
	n := 10
	for {
		_, err = r.Next()
		if err != nil {
			break
		}
		n++
	}
	if !strings.Contains(fmt.Sprint(err), "the file changed while it was read") || !isPartialError(err) {
		t.Fatalf("after %d exchanges: error %v, want the file's change with a position", n, err)
	}
	if n >= 20000 {
		t.Fatalf("read all %d exchanges of a shrunk file", n)
	}
	if r.mapped != nil {
		t.Fatal("still mapped after the fault")
	}
	if _, err := r.Next(); err == nil {
		t.Fatal("reading on after the fault gave an exchange")
	}
}

func isPartialError(err error) bool {
	var pe *model.Error
	return errors.As(err, &pe)
}

// TestMappedWindow reads a mapped file by small steps and checks the window
// of its pages kept resident: mapped in ahead of the scanner (at least a
// read buffer of them, or up to the end) and given back behind it, never
// more than mapDropEvery behind plus mapAhead ahead.
func TestMappedWindow(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("files are mapped on Linux only")
	}
	path := filepath.Join(t.TempDir(), "window.har")
	size := 5<<20 + 123
	if err := os.WriteFile(path, bytes.Repeat([]byte{' '}, size), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := mapInput(f, 0, 0, true)
	if m == nil {
		t.Fatal("not mapped")
	}
	defer unmapFile(m.data)
	for m.pos < size {
		if want := min(size, m.pos+readBuf); m.populated < want {
			t.Fatalf("at %d: mapped in up to %d, want at least %d", m.pos, m.populated, want)
		}
		if m.populated-m.dropped > mapDropEvery+mapAhead+pageSize {
			t.Fatalf("at %d: %d bytes kept from %d to %d", m.pos, m.populated-m.dropped, m.dropped, m.populated)
		}
		n := min(m.Buffered(), 10007)
		if _, err := m.Discard(n); err != nil {
			t.Fatal(err)
		}
	}
	if m.dropped < size-mapDropEvery-pageSize {
		t.Errorf("at the end, pages before %d given back, want up to %d", m.dropped, size-mapDropEvery)
	}
}

// TestLargeFileRead: by default a file of any size is read with read(2),
// not through a mapping (see mapMode: on the VMs measured, a mapping cost
// four times what read(2) does).
func TestLargeFileRead(t *testing.T) {
	var buf bytes.Buffer
	if _, err := hargen.Write(&buf, hargen.ManyEntries(2000)); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < mapMin {
		t.Fatalf("a %d-byte file is not large", buf.Len())
	}
	path := filepath.Join(t.TempDir(), "large.har")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.mapped != nil {
		t.Fatal("a large file is read through a mapping")
	}
	exs, err := model.ReadAll(r)
	if err != nil || len(exs) != 2000 {
		t.Fatalf("%d exchanges, %v", len(exs), err)
	}
}
