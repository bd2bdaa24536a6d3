package har

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

// readDeferred reads data with DeferPages, resolving every exchange as it
// is returned: keep decides from the exchange and the lead. It also
// returns the leads handed to keep, by exchange index.
func readDeferred(t *testing.T, data []byte, opts Options, keep func(ex *model.Exchange, lead []byte) bool) ([]*model.Exchange, []model.Note, map[int]string, error) {
	t.Helper()
	opts.DeferPages = true
	r, err := NewReader(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, nil, err
	}
	leads := map[int]string{}
	var exs []*model.Exchange
	for {
		ex, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return exs, r.Notes(), leads, err
		}
		r.ResolveBody(ex, func(lead []byte) bool {
			leads[ex.Index] = string(lead)
			return keep(ex, lead)
		})
		exs = append(exs, ex)
	}
	return exs, r.Notes(), leads, nil
}

// sameDeferred checks that reading data with DeferPages and every page
// kept reads it exactly as without (exchanges, notes, damage), that the
// lead handed to keep is how the decoded body starts, and that a page not
// kept is an HTML page of the same exchange with its body skipped.
func sameDeferred(t *testing.T, name string, data []byte, opts Options) {
	t.Helper()
	want, wantNotes, wantErr := readRaw(t, data, opts, rawDefault)
	got, notes, leads, err := readDeferred(t, data, opts, func(*model.Exchange, []byte) bool { return true })
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(notes, wantNotes) {
		for i := range min(len(got), len(want)) {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%s: exchange %d deferred and kept\n%+v\nread whole\n%+v", name, i, got[i].Response, want[i].Response)
			}
		}
		t.Fatalf("%s: deferred and kept: %d exchanges, notes %v, error %v; read whole %d, %v, %v",
			name, len(got), notes, err, len(want), wantNotes, wantErr)
	}
	for i, lead := range leads {
		var ex *model.Exchange
		for _, e := range want {
			if e.Index == i {
				ex = e
			}
		}
		if ex == nil || !bytes.HasPrefix(ex.Response.Body.Data, []byte(lead)) {
			t.Fatalf("%s: exchange %d: lead %q, body starts %.80q", name, i, lead, ex.Response.Body.Data)
		}
	}
	skipped, _, _, _ := readDeferred(t, data, opts, func(*model.Exchange, []byte) bool { return false })
	if len(skipped) != len(want) {
		t.Fatalf("%s: %d exchanges with pages skipped, %d read whole", name, len(skipped), len(want))
	}
	for i, ex := range skipped {
		w := want[i]
		if _, pending := leads[ex.Index]; !pending {
			if !reflect.DeepEqual(ex, w) {
				t.Fatalf("%s: exchange %d, no page left undecoded, differs", name, i)
			}
			continue
		}
		b := ex.Response.Body
		if !b.Skipped || !b.Truncated || b.Data != nil || !deferredType(b.MIMEType) || b.MIMEType != w.Response.Body.MIMEType {
			t.Fatalf("%s: exchange %d's page not kept: %+v", name, i, b)
		}
		ex.Response.Body = w.Response.Body
		if !reflect.DeepEqual(ex, w) {
			t.Fatalf("%s: exchange %d, page not kept, differs but for its body", name, i)
		}
	}
}

// TestDeferPages reads every HAR of testdata, generated escape-heavy and
// base64 documents, whole and cut, with DeferPages.
func TestDeferPages(t *testing.T) {
	eachTestdataHAR(t, func(path string, data []byte) { sameDeferred(t, path, data, Options{}) })
	doc := rawDoc(1, shortEntries(120))
	sameDeferred(t, "generated", doc, Options{})
	small := Options{Limits: model.Limits{BodyBytes: 700, HeaderBytes: 300}}
	sameDeferred(t, "generated, small limits", doc, small)
	skip := Options{SkipBody: model.CarriesNoOAuth}
	sameDeferred(t, "generated, skipping", doc, skip)
	rng := rand.New(rand.NewPCG(4, 4))
	for range shortEntries(12) {
		n := rng.IntN(len(doc))
		sameDeferred(t, fmt.Sprintf("generated cut at %d", n), doc[:n], Options{})
	}
	for _, cfg := range []hargen.Config{{Entries: shortEntries(300), BodyBytes: 3000, Seed: 7}, {Entries: shortEntries(60), BodyBytes: 3000, Seed: 8, Customer: true}} {
		var gen bytes.Buffer
		if _, err := hargen.Write(&gen, cfg); err != nil {
			t.Fatal(err)
		}
		sameDeferred(t, fmt.Sprintf("hargen %+v", cfg), gen.Bytes(), skip)
		sameDeferred(t, fmt.Sprintf("hargen %+v, small limits", cfg), gen.Bytes(),
			Options{Limits: model.Limits{BodyBytes: 900}, SkipBody: model.CarriesNoOAuth})
	}
}

// TestDeferPagesWhich checks which bodies are left undecoded: HTML pages
// framing kept raw and whose text fits the body limit, base64 or not;
// other media types, and pages framing decoded, are decoded as before.
func TestDeferPagesWhich(t *testing.T) {
	page := strings.Repeat(`<p class=\"x\">a</p>\n`, 40)
	b64 := strings.Repeat("PGh0bWw+", 60)
	for _, c := range []struct {
		content string
		pending bool
		lead    string
	}{
		{`{"mimeType":"text/html","text":"` + page + `"}`, true, strings.Repeat(`<p class="x">a</p>`+"\n", 4)[:60]},
		{`{"size":9,"mimeType":"text/html; charset=utf-8","text":"` + b64 + `","encoding":"base64"}`, true, strings.Repeat("<html>", 11)[:48]},
		{`{"mimeType":"text/html","text":"-` + b64 + `","encoding":"base64"}`, true, ""},
		{`{"mimeType":"application/xhtml+xml","text":"  {\"a\":` + page + `"}`, true, `  {"a":<p class="x">a</p>`},
		{`{"mimeType":"application/json","text":"` + page + `"}`, false, ""},
		{`{"text":"` + page + `","mimeType":"text/html"}`, false, ""},
		{`{"mimeType":"text/html","text":"short"}`, false, ""},
	} {
		doc := `{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/"},"response":{"status":200,"content":` +
			c.content + `}}]}}` + strings.Repeat(" ", 16) // a raw string needs 12 bytes buffered after it
		_, _, leads, err := readDeferred(t, []byte(doc), Options{}, func(*model.Exchange, []byte) bool { return true })
		if err != nil {
			t.Fatal(err)
		}
		lead, pending := leads[0]
		if pending != c.pending || pending && (!strings.HasPrefix(lead, c.lead) || c.lead == "" && lead != "") {
			t.Errorf("%.60s: pending %v, lead %q; want %v, %q", c.content, pending, lead, c.pending, c.lead)
		}
	}
}
