package pcap

import (
	"bytes"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

// TestSkipBody reads every committed capture and a generated customer-like
// one (gzip and br scripts, chunked JSON, images, fonts) with and without
// SkipBody: the same exchanges and notes come out, the skipped bodies
// with their size and without data, the others as they were.
func TestSkipBody(t *testing.T) {
	inputs := map[string][]byte{"customer": generated(t, shortGen(capgen.Config{Conns: 30, Concurrent: 7, PerConn: 5, SegmentSize: 1448, Customer: true}))}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pcap*"))
	caps, _ := filepath.Glob(filepath.Join("testdata", "*.cap"))
	for _, f := range shortSample(append(files, caps...)) {
		if !strings.HasSuffix(f, ".tsv") && !strings.Contains(f, ".expected") {
			inputs[filepath.Base(f)] = nil
		}
	}
	skipped := 0
	for name, data := range inputs {
		read := func(skip func(string) bool) ([]*model.Exchange, []model.Note) {
			if data != nil {
				return readOpts(t, data, Options{SkipBody: skip})
			}
			return readFile(t, name, Options{SkipBody: skip})
		}
		kept, keptNotes := read(nil)
		got, gotNotes := read(model.CarriesNoOAuth)
		skipped += compareSkipped(t, name, kept, got, keptNotes, gotNotes, func(k, g *model.Exchange) bool {
			return k.Response != nil && g.Response != nil && model.CarriesNoOAuth(k.Response.Body.MIMEType)
		})
	}
	least := 100
	if testing.Short() {
		least = 25 // a third of the customer-like connections (shortGen)
	}
	if skipped < least {
		t.Errorf("only %d bodies skipped", skipped)
	}
}

func readOpts(t *testing.T, data []byte, opts Options) ([]*model.Exchange, []model.Note) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return exs, r.Notes()
}

// TestSkipResponse: SkipResponse is asked with the request each response
// answers, and what it skips is read past as SkipBody's are: the same
// exchanges and notes, the skipped bodies with their size and no data
// (Skipped set), the others as they were. It skips with the OAuth
// extractor's decision, as the CLI does, on the customer-like capture and
// the repository's captures.
func TestSkipResponse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pcap*"))
	caps, _ := filepath.Glob(filepath.Join("testdata", "*.cap"))
	inputs := map[string][]byte{"customer": generated(t, shortGen(capgen.Config{Conns: 30, Concurrent: 7, PerConn: 5, SegmentSize: 1448, Customer: true}))}
	for _, f := range shortSample(append(files, caps...)) {
		if !strings.HasSuffix(f, ".tsv") && !strings.Contains(f, ".expected") {
			inputs[filepath.Base(f)] = nil
		}
	}
	skipped := 0
	for name, data := range inputs {
		asked, askedURL := map[*model.Request]int{}, map[string]int{}
		gate := oauth.NewBodyGate()
		read := func(skip func(*model.Request, *model.Response) bool) ([]*model.Exchange, []model.Note) {
			if data != nil {
				return readOpts(t, data, Options{SkipResponse: skip})
			}
			return readFile(t, name, Options{SkipResponse: skip})
		}
		kept, keptNotes := read(nil)
		got, gotNotes := read(func(req *model.Request, resp *model.Response) bool {
			if len(resp.Body.Data) != 0 || resp.Body.MIMEType != strings.ToLower(strings.TrimSpace(strings.Split(resp.Headers.Get("Content-Type"), ";")[0])) {
				t.Errorf("%s: asked with body %q, media type %q", name, resp.Body.Data, resp.Body.MIMEType)
			}
			if req == nil {
				// A response the capture cannot pair (after lost
				// bytes): asked without a request.
				return !gate.MayMatter(req, resp)
			}
			asked[req]++
			askedURL[req.URL]++
			return !gate.MayMatter(req, resp)
		})
		if len(kept) != len(got) {
			t.Fatalf("%s: %d exchanges skipping, %d keeping", name, len(got), len(kept))
		}
		for _, g := range got {
			// HTTP/1 asks once with the exchange's own request (HTTP/2 with
			// its stream's, copied into the exchange at its end).
			if n := asked[&g.Request]; n > 1 || n == 0 && g.Response != nil && g.Response.Body.Size > 0 && !g.Response.Body.Skipped && g.Response.Proto == "HTTP/1.1" {
				t.Errorf("%s %s: asked %d times with this exchange's request", name, g.Ref, n)
			}
			if g.Response != nil && g.Response.Body.Skipped && asked[&g.Request] == 0 && askedURL[g.Request.URL] == 0 {
				t.Errorf("%s %s: body skipped without asking", name, g.Ref)
			}
		}
		skipped += compareSkipped(t, name, kept, got, keptNotes, gotNotes, func(_, g *model.Exchange) bool {
			return g.Response != nil && g.Response.Body.Skipped
		})
	}
	if skipped < 20 {
		t.Errorf("only %d bodies skipped", skipped)
	}
	t.Logf("%d bodies skipped", skipped)
}

// compareSkipped compares a capture read keeping every body (kept) with
// the same capture read skipping some (got): where skipped says got's body
// was skipped, it must hold no data and kept's size; otherwise, and apart
// from those bodies, the exchanges must be equal, and the notes too but
// for the decoding notes skipped bodies no longer get. It returns how many
// non-empty bodies were skipped.
func compareSkipped(t *testing.T, name string, kept, got []*model.Exchange, keptNotes, gotNotes []model.Note, skipped func(k, g *model.Exchange) bool) int {
	t.Helper()
	if len(kept) != len(got) {
		t.Fatalf("%s: %d exchanges skipping, %d keeping", name, len(got), len(kept))
	}
	n := 0
	for i, k := range kept {
		g := got[i]
		if skipped(k, g) {
			if len(g.Response.Body.Data) != 0 || g.Response.Body.Size != k.Response.Body.Size {
				t.Errorf("%s %s: skipped body %d bytes of %d, kept %d", name, k.Ref, len(g.Response.Body.Data), g.Response.Body.Size, k.Response.Body.Size)
			}
			if k.Response.Body.Size > 0 {
				n++
			}
			k.Response.Body, g.Response.Body = model.Body{}, model.Body{}
		}
		if reflect.DeepEqual(k, g) {
			// cmp.Diff is slow on big bodies; it only tells what differs.
		} else if diff := cmp.Diff(k, g); diff != "" {
			t.Errorf("%s exchange %d differs (-kept +skipped):\n%s", name, i, diff)
		}
	}
	decodeOnly := func(n model.Note) bool { return strings.Contains(n.Message, "body kept content-encoded") }
	if !slices.EqualFunc(slices.DeleteFunc(keptNotes, decodeOnly), slices.DeleteFunc(gotNotes, decodeOnly), func(a, b model.Note) bool { return cmp.Equal(a, b) }) {
		t.Errorf("%s: notes differ:\n%v\n%v", name, keptNotes, gotNotes)
	}
	return n
}
