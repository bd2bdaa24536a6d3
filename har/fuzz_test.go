package har

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"testing/iotest"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/model"
)

var refPattern = regexp.MustCompile(`^entries\[[0-9]+\]$`)

// FuzzReader checks, on any input: no panic; errors wrap ErrFormat; every
// exchange has its entry's Ref and a growing index; bodies, headers and
// notes stay within the limits; reading one byte at a time (every escape
// split by a read boundary, every entry decoded on the second goroutine)
// gives the same result, and so does decoding long strings while framing;
// and on input that encoding/json decodes as a
// well-typed HAR, method, URL, status and text bodies equal the oracle's.
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
	limits := model.Limits{BodyBytes: 512, InflateBytes: 1 << 20, HeaderBytes: 1024, HeaderCount: 16, JSONDepth: 32}
	side := fstest.MapFS{"a.html": {Data: []byte("<p>side</p>")}}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{Limits: limits, SideFiles: side, Name: "fuzz.har"}
		exs, notes, err := readAllFrom(bytes.NewReader(data), opts, -1)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			return
		}
		last := -1
		for _, ex := range exs {
			if ex.Index <= last || !refPattern.MatchString(ex.Ref) {
				t.Fatalf("exchange Index %d (after %d) Ref %q", ex.Index, last, ex.Ref)
			}
			last = ex.Index
			for _, b := range []model.Body{ex.Request.Body, bodyOf(ex.Response)} {
				if int64(len(b.Data)) > limits.BodyBytes {
					t.Fatalf("%s: body of %d bytes over the limit", ex.Ref, len(b.Data))
				}
			}
			if len(ex.Request.Headers) > limits.HeaderCount {
				t.Fatalf("%s: %d headers", ex.Ref, len(ex.Request.Headers))
			}
		}
		if len(notes) > maxNotes+1 {
			t.Fatalf("%d notes", len(notes))
		}

		if len(data) < 64<<10 {
			exs1, notes1, err1 := readAllFrom(iotest.OneByteReader(bytes.NewReader(data)), opts, 0)
			if err1 != nil || !reflect.DeepEqual(exs, exs1) || !reflect.DeepEqual(notes, notes1) {
				t.Fatalf("one byte at a time: %d exchanges (%v), notes %v; at once: %d exchanges, notes %v",
					len(exs1), err1, notes1, len(exs), notes)
			}
		}
		if len(data) < 64<<10 {
			sameRaw(t, "fuzz", data, opts)
		}
		compareWithOracle(t, data)
	})
}

// readAllFrom reads everything from in; parallelMin 0 decodes every entry
// on the second goroutine on its own (batches of one), -1 keeps the
// reader's default batches.
func readAllFrom(in io.Reader, opts Options, parallelMin int) ([]*model.Exchange, []model.Note, error) {
	r, err := NewReader(in, opts)
	if err != nil {
		return nil, nil, err
	}
	if parallelMin == 0 {
		r.batchMax = 1
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	if _, err := r.Next(); err != io.EOF {
		return nil, nil, errors.New("Next after the end did not return io.EOF")
	}
	return exs, r.Notes(), nil
}

// strictHAR is what the oracle requires of a well-typed HAR.
type strictHAR struct {
	Log *struct {
		Entries []struct {
			Request *struct {
				Method  string `json:"method"`
				URL     string `json:"url"`
				Headers []struct {
					Name  *string `json:"name"`
					Value string  `json:"value"`
				} `json:"headers"`
			} `json:"request"`
			Response *struct {
				Status  int `json:"status"`
				Headers []struct {
					Name *string `json:"name"`
				} `json:"headers"`
				Content *struct {
					Text     *string `json:"text"`
					Encoding string  `json:"encoding"`
				} `json:"content"`
			} `json:"response"`
		} `json:"entries"`
	} `json:"log"`
}

// oracleNames are the member names strictHAR reads.
var oracleNames = []string{"log", "entries", "request", "method", "url", "headers", "name", "value", "response",
	"status", "content", "text", "encoding"}

// foldedName reports a string in data that encoding/json would take for one
// of oracleNames though it is spelled otherwise ("Response", "ſtatus"):
// encoding/json matches member names without regard to case, the reader,
// as HAR and JSON say, with it.
func foldedName(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok {
			for _, n := range oracleNames {
				if s != n && strings.EqualFold(s, n) {
					return true
				}
			}
		}
	}
}

func compareWithOracle(t *testing.T, data []byte) {
	var h strictHAR
	// encoding/json replaces each byte of invalid UTF-8 in a string with
	// U+FFFD; the reader keeps the bytes the trace has (a body is evidence),
	// so the two differ there by design.
	if !utf8.Valid(data) || json.Unmarshal(data, &h) != nil || h.Log == nil || h.Log.Entries == nil || bytes.HasPrefix(data, utf8BOM) ||
		foldedName(data) {
		return
	}
	for _, e := range h.Log.Entries {
		if e.Request == nil || e.Request.Method == "" || e.Request.URL == "" || strings.HasPrefix(e.Request.URL, "/") ||
			e.Response != nil && (e.Response.Status < 0 || e.Response.Status >= 1000) || len(e.Request.Headers) > 1000 {
			return
		}
		// HAR requires a header's name; the reader skips an entry without
		// one, in the request's headers or the response's.
		for _, h := range e.Request.Headers {
			if h.Name == nil {
				return
			}
		}
		if e.Response != nil {
			for _, h := range e.Response.Headers {
				if h.Name == nil {
					return
				}
			}
		}
	}
	// Duplicate members and deep nesting are read differently by design.
	if bytes.Count(data, []byte(`"request"`)) != len(h.Log.Entries) || bytes.Count(data, []byte("[")) > 500 {
		return
	}
	exs, notes, err := readAllFrom(bytes.NewReader(data), Options{}, -1)
	notes = slices.DeleteFunc(notes, func(n model.Note) bool { return n.Kind == "side-file" })
	if err != nil || len(notes) != 0 || len(exs) != len(h.Log.Entries) {
		t.Fatalf("well-typed HAR: %d exchanges (%v), notes %v; oracle %d entries", len(exs), err, notes, len(h.Log.Entries))
	}
	for i, e := range h.Log.Entries {
		ex := exs[i]
		if ex.Request.Method != e.Request.Method || ex.Request.URL != e.Request.URL {
			t.Fatalf("%s: %q %q, oracle %q %q", ex.Ref, ex.Request.Method, ex.Request.URL, e.Request.Method, e.Request.URL)
		}
		if e.Response == nil {
			continue
		}
		if ex.Response == nil || ex.Response.Status != e.Response.Status {
			t.Fatalf("%s: response %+v, oracle status %d", ex.Ref, ex.Response, e.Response.Status)
		}
		if c := e.Response.Content; c != nil && c.Text != nil && c.Encoding == "" && !bytes.Equal(ex.Response.Body.Data, []byte(*c.Text)) {
			t.Fatalf("%s: body %q, oracle %q", ex.Ref, ex.Response.Body.Data, *c.Text)
		}
	}
}

func bodyOf(r *model.Response) model.Body {
	if r == nil {
		return model.Body{}
	}
	return r.Body
}
