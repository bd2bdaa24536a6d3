package har

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"regexp"
	"testing"
	"testing/fstest"

	"github.com/traceaudit/traceaudit/parse"
)

var refPattern = regexp.MustCompile(`^entries\[[0-9]+\]$`)

// FuzzReader checks, on any input: no panic, errors wrap ErrFormat unless
// the source failed, every exchange has its entry's Ref and index, bodies
// and notes stay within the limits.
func FuzzReader(f *testing.F) {
	err := fs.WalkDir(os.DirFS("testdata"), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile("testdata/" + path)
		if err != nil {
			return err
		}
		f.Add(data)
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	limits := parse.Limits{BodyBytes: 512, InflateBytes: 1 << 20, HeaderBytes: 1024, HeaderCount: 16, JSONDepth: 32}
	side := fstest.MapFS{"a.html": {Data: []byte("<p>side</p>")}}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), Options{Limits: limits, SideFiles: side, Name: "fuzz.har"})
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("NewReader error does not wrap ErrFormat: %v", err)
			}
			return
		}
		last := -1
		for {
			ex, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next error on in-memory input: %v", err)
			}
			if ex.Index <= last || !refPattern.MatchString(ex.Ref) {
				t.Fatalf("exchange Index %d (after %d) Ref %q", ex.Index, last, ex.Ref)
			}
			last = ex.Index
			for _, b := range []parse.Body{ex.Request.Body, bodyOf(ex.Response)} {
				if int64(len(b.Data)) > limits.BodyBytes {
					t.Fatalf("%s: body of %d bytes over the limit", ex.Ref, len(b.Data))
				}
			}
			if len(ex.Request.Headers) > limits.HeaderCount {
				t.Fatalf("%s: %d headers", ex.Ref, len(ex.Request.Headers))
			}
		}
		if n := len(r.Notes()); n > maxNotes+1 {
			t.Fatalf("%d notes", n)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next after the end: %v", err)
		}
	})
}

func bodyOf(r *parse.Response) parse.Body {
	if r == nil {
		return parse.Body{}
	}
	return r.Body
}
