package har

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// Ways of keeping long strings while framing, for readRaw.
const (
	rawDefault = iota // raw only bodies SkipBody leaves out
	rawAll            // every one raw that can be
	rawOff            // every one decoded while framing
)

func readRaw(t *testing.T, data []byte, opts Options, mode int) ([]*model.Exchange, []model.Note, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, err
	}
	r.sc.rawAll, r.sc.rawOff = mode == rawAll, mode == rawOff
	exs, err := model.ReadAll(r)
	return exs, r.Notes(), err
}

// sameRaw checks that every way of keeping long strings reads data alike.
func sameRaw(t *testing.T, name string, data []byte, opts Options) {
	t.Helper()
	wantExs, wantNotes, wantErr := readRaw(t, data, opts, rawOff)
	for _, mode := range []int{rawDefault, rawAll} {
		exs, notes, err := readRaw(t, data, opts, mode)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(exs, wantExs) || !reflect.DeepEqual(notes, wantNotes) {
			t.Fatalf("%s: raw strings (mode %d) give %d exchanges, notes %v, error %v; decoded while framing %d, %v, %v",
				name, mode, len(exs), notes, err, len(wantExs), wantNotes, wantErr)
		}
	}
}

// escapeHeavy returns string content of about n bytes mixing plain text,
// every kind of escape and surrogates, complete or not, so that escapes
// fall on every position: at the string's end, at read-buffer boundaries.
func escapeHeavy(rng *rand.Rand, n int) string {
	parts := []string{`<div class=\"row\">`, `\n`, `\t`, `\\`, `\/`, `\u00e9`, `\u4e2d`, `\ud83d\ude00`, `\ud83d`,
		`\ude00`, `\ud83d\u0041`, `\uZZ`, `\ud83d\u12`, "\\\xc3\xa9", `plain text `, `\"`, `aGVsbG8gd29ybGQ=`}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(parts[rng.IntN(len(parts))])
	}
	return b.String()
}

// rawDoc is a HAR whose entries carry escape-heavy bodies, URLs and
// comments of many sizes, up to beyond the read buffer.
func rawDoc(seed uint64, entries int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	b.WriteString(`{"log":{"version":"1.2","entries":[`)
	for i := range entries {
		if i > 0 {
			b.WriteString(",")
		}
		size := rng.IntN(20 << 10)
		if rng.IntN(20) == 0 {
			size = readBuf + rng.IntN(readBuf)
		}
		fmt.Fprintf(&b, `{"startedDateTime":"2024-01-01T00:00:00Z","comment":"%s","request":{"method":"POST","url":"https://idp.example/token?x=%s","headers":[{"name":"Content-Type","value":"application/x-www-form-urlencoded"}],"postData":{"mimeType":"application/json","text":"%s"}},"response":{"status":200,"headers":[],"content":{"mimeType":"text/html","text":"%s"}}}`,
			escapeHeavy(rng, rng.IntN(600)), escapeHeavy(rng, rng.IntN(400)), escapeHeavy(rng, rng.IntN(2000)), escapeHeavy(rng, size))
	}
	b.WriteString(`]}}`)
	return b.Bytes()
}

// TestRawStrings checks that keeping long strings raw while framing and
// unescaping them while decoding reads every trace exactly as decoding
// them while framing did: the same exchanges, the same notes, the same
// damage positions.
func TestRawStrings(t *testing.T) {
	eachTestdataHAR(t, func(path string, data []byte) { sameRaw(t, path, data, Options{}) })

	doc := rawDoc(1, shortEntries(120))
	sameRaw(t, "generated", doc, Options{})
	small := Options{Limits: model.Limits{BodyBytes: 700, HeaderBytes: 300}}
	sameRaw(t, "generated, small limits", doc, small)
	skip := Options{SkipBody: func(m string) bool { return m == "text/html" }}
	sameRaw(t, "generated, html skipped", doc, skip)
	// Damaged: cut anywhere, including inside escapes near a string's end.
	// Under -short (CI's race step, which these reads slow several times
	// over) a fifth of the cuts.
	rng := rand.New(rand.NewPCG(2, 2))
	cuts := 40
	if testing.Short() {
		cuts = 8
	}
	for range cuts {
		n := rng.IntN(len(doc))
		sameRaw(t, fmt.Sprintf("generated cut at %d", n), doc[:n], Options{})
		sameRaw(t, fmt.Sprintf("generated cut at %d, small limits", n), doc[:n], small)
	}
	short := rawDoc(3, 3)
	for n := len(short) - 40; n < len(short); n++ {
		sameRaw(t, fmt.Sprintf("short cut at %d", n), short[:n], Options{})
	}
}

// TestRawStringsEntryLimit: the entry size limit counts decoded bytes,
// so raw strings longer than it in sum but not once decoded keep the
// entry, and an entry too large once decoded is still skipped.
func TestRawStringsEntryLimit(t *testing.T) {
	opts := Options{Limits: model.Limits{BodyBytes: 128 << 10, HeaderBytes: 1}}
	valueCap := 128<<10*4 + 4 + 1<<20
	entry := func(field string, n int) []byte {
		var b bytes.Buffer
		b.WriteString(`{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/"},"response":{"status":200,"content":{"mimeType":"text/html","text":"x"}}`)
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, `,"_x%d":"%s"`, i, strings.Repeat(field, 100<<10/len(field)))
		}
		b.WriteString(`}]}}`)
		return b.Bytes()
	}
	escaped := entry(`\u0041`, 2*valueCap) // each six bytes decode to one
	plain := entry(`abcdef`, 2*valueCap)
	for _, c := range []struct {
		name string
		data []byte
		kept bool
	}{{"escaped", escaped, true}, {"plain", plain, false}} {
		sameRaw(t, c.name, c.data, opts)
		exs, notes, err := readRaw(t, c.data, opts, rawAll)
		if err != nil || (len(exs) == 1) != c.kept {
			t.Errorf("%s: %d exchanges (%v), notes %v; want kept %v", c.name, len(exs), err, notes, c.kept)
		}
	}
}

// TestRawSpan checks that a body buffered whole is kept raw, and one the
// read buffer cannot hold is decoded while framing.
func TestRawSpan(t *testing.T) {
	for _, c := range []struct {
		n   int
		raw bool
	}{{1000, true}, {readBuf - 100, true}, {readBuf + 100, false}} {
		in := `"` + strings.Repeat(`a\"b`, c.n/4) + `"` + strings.Repeat(" ", 20) + `,`
		s := &scanner{br: bufio.NewReaderSize(strings.NewReader(in), readBuf), maxDepth: 10, strCap: 1 << 20, valueCap: 4 << 20, rawAll: true}
		if err := s.scanValue(true); err != nil {
			t.Fatal(err)
		}
		if len(s.spans) != 1 || s.spans[0].raw != c.raw {
			t.Fatalf("string of %d bytes: spans %+v, want raw %v", c.n, s.spans, c.raw)
		}
		f := &frame{side: s.side, spans: s.spans}
		var arena []byte
		if got := f.spanText(s.spans[0], &arena); string(got) != strings.Repeat(`a"b`, c.n/4) {
			t.Fatalf("string of %d bytes decoded to %d bytes", c.n, len(got))
		}
	}
}

// TestRawSkippedBody checks which bodies are kept raw by default: those
// whose content object names, before the text, a media type SkipBody
// leaves out.
func TestRawSkippedBody(t *testing.T) {
	body := `"` + strings.Repeat(`a\nb`, 200) + `"`
	for _, c := range []struct {
		in  string
		raw bool
	}{
		{`{"size":1,"mimeType":"image/png; x=1","text":` + body + `}`, true},
		{`{"mimeType":"text/html","text":` + body + `}`, false},
		{`{"text":` + body + `,"mimeType":"image/png"}`, false},
		{`{"mimeType":"image/png","comment":` + body + `}`, false},
		{`{"mimeType":"image/png","x":{"text":` + body + `}}`, false},
	} {
		in := c.in + strings.Repeat(" ", 20) + ","
		s := &scanner{br: bufio.NewReaderSize(strings.NewReader(in), readBuf), maxDepth: 10, strCap: 1 << 20, valueCap: 4 << 20,
			skipBody: model.CarriesNoOAuth}
		if err := s.scanValue(true); err != nil {
			t.Fatal(err)
		}
		if len(s.spans) != 1 || s.spans[0].raw != c.raw {
			t.Errorf("%.60s: spans %+v, want raw %v", c.in, s.spans, c.raw)
		}
	}
}

// eachTestdataHAR calls fn with every HAR under testdata (one folder deep)
// and its bytes. Under -short (CI's race step, which slows these reads
// several times over and finds a data race in one pass over a path) a third
// of the files; go test ./har reads them all, and the callers' generated
// documents take every shape of string.
func eachTestdataHAR(t *testing.T, fn func(path string, data []byte)) {
	t.Helper()
	paths, _ := filepath.Glob("testdata/*.har")
	paths2, _ := filepath.Glob("testdata/*/*.har")
	all := append(paths, paths2...)
	if len(all) == 0 {
		t.Fatal("no HAR under testdata")
	}
	for i, path := range all {
		if testing.Short() && i%3 != 0 {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fn(path, data)
	}
}
