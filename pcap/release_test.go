package pcap

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
)

// TestReleasedBodiesReused reads every capture in testdata twice: once
// handing nothing back, once handing each exchange's bodies and header
// lists back (poisoned) right after copying them. The bodies and headers
// must be the same, and later ones must be read into buffers and lists
// handed back: a reused buffer or list not emptied, or one still shared
// with the reader once handed back, changes a body or a header.
func TestReleasedBodiesReused(t *testing.T) {
	var names []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "*.cap", "*.etl"} {
		m, err := filepath.Glob(filepath.Join("testdata", pat))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m...)
	}
	if len(names) < 10 {
		t.Fatalf("only %d captures in testdata", len(names))
	}
	type body struct {
		data      []byte
		size      int64
		truncated bool
		headers   model.Headers
	}
	bodies := func(ex *model.Exchange) []body {
		b := []body{{bytes.Clone(ex.Request.Body.Data), ex.Request.Body.Size, ex.Request.Body.Truncated, slices.Clone(ex.Request.Headers)}}
		if ex.Response != nil {
			b = append(b, body{bytes.Clone(ex.Response.Body.Data), ex.Response.Body.Size, ex.Response.Body.Truncated, slices.Clone(ex.Response.Headers)})
		}
		return b
	}
	reused, reusedLists, compared := 0, 0, 0
	for _, name := range names {
		read := func(release bool) [][]body {
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := NewReader(f, Options{PoisonReleased: release})
			if err != nil {
				t.Fatal(err)
			}
			released := map[*byte]bool{}
			releasedLists := map[*model.Header]bool{}
			var out [][]body
			for {
				ex, err := r.Next()
				if err != nil {
					break // the same error both times; TestMatchesTshark checks them
				}
				out = append(out, bodies(ex))
				if !release {
					continue
				}
				for _, b := range []*model.Body{&ex.Request.Body, respBody(ex)} {
					if b != nil && cap(b.Data) > 0 {
						p := unsafe.SliceData(b.Data[:1])
						if released[p] {
							reused++
						}
						released[p] = true
					}
				}
				lists := []model.Headers{ex.Request.Headers}
				if ex.Response != nil {
					lists = append(lists, ex.Response.Headers)
				}
				for _, h := range lists {
					if cap(h) > 0 {
						p := unsafe.SliceData(h[:1])
						if releasedLists[p] {
							reusedLists++
						}
						releasedLists[p] = true
					}
				}
				r.Release(ex)
				r.ReleaseHeaders(lists...)
				if ex.Request.Body.Data != nil || (ex.Response != nil && ex.Response.Body.Data != nil) {
					t.Fatalf("%s: Release left a body's Data", name)
				}
			}
			return out
		}
		want, got := read(false), read(true)
		if len(got) != len(want) {
			t.Fatalf("%s: %d exchanges handing bodies back, %d not", name, len(got), len(want))
		}
		for i := range want {
			for j := range want[i] {
				w, g := want[i][j], got[i][j]
				if !bytes.Equal(w.data, g.data) || w.size != g.size || w.truncated != g.truncated {
					t.Errorf("%s: exchange %d body %d differs when bodies are handed back: %.80q (%d, %v), want %.80q (%d, %v)",
						name, i, j, g.data, g.size, g.truncated, w.data, w.size, w.truncated)
				}
				if !slices.Equal(w.headers, g.headers) {
					t.Errorf("%s: exchange %d message %d: headers differ when lists are handed back: %q, want %q", name, i, j, g.headers, w.headers)
				}
				compared++
			}
		}
	}
	if reused == 0 || reusedLists == 0 {
		t.Fatalf("%d bodies and %d header sections reused what was handed back (%d messages compared)", reused, reusedLists, compared)
	}
	t.Logf("%d captures, %d messages compared, %d bodies read into buffers handed back, %d header sections into lists handed back", len(names), compared, reused, reusedLists)
}

func respBody(ex *model.Exchange) *model.Body {
	if ex.Response == nil {
		return nil
	}
	return &ex.Response.Body
}
