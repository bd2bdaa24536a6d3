package har

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

// readBoth reads data with the one-pass skeleton decoder and with gjson's
// ValidBytes, ParseBytes and ForEach (the reader before it), and fails when
// exchanges or notes differ. The skeleton decoder's reading also hands every
// exchange's bodies and header lists back (Release, ReleaseHeaders,
// poisoned) as soon as it has copied them,
// as the CLI does once it has extracted events: a body decoded into a
// buffer still in use, or a buffer the reader still reads after handing it
// out, changes what is read.
func readBoth(t *testing.T, name string, data []byte, opts Options) int {
	t.Helper()
	read := func(reference bool) ([]*model.Exchange, []model.Note, error) {
		o := opts
		o.PoisonReleased = !reference
		r, err := NewReader(bytes.NewReader(data), o)
		if err != nil {
			return nil, nil, err
		}
		r.reference = reference
		var exs []*model.Exchange
		for {
			ex, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return exs, r.Notes(), err
			}
			if !reference {
				req := bytes.Clone(ex.Request.Body.Data)
				reqH := slices.Clone(ex.Request.Headers)
				var resp []byte
				var respH model.Headers
				if ex.Response != nil {
					resp = bytes.Clone(ex.Response.Body.Data)
					respH = slices.Clone(ex.Response.Headers)
					r.ReleaseHeaders(ex.Response.Headers)
				}
				r.ReleaseHeaders(ex.Request.Headers)
				r.Release(ex)
				ex.Request.Body.Data, ex.Request.Headers = req, reqH
				if ex.Response != nil {
					ex.Response.Body.Data, ex.Response.Headers = resp, respH
				}
			}
			exs = append(exs, ex)
		}
		return exs, r.Notes(), nil
	}
	exs, notes, err := read(false)
	wantExs, wantNotes, wantErr := read(true)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%s: error %v, reference %v", name, err, wantErr)
	}
	if len(exs) != len(wantExs) {
		t.Fatalf("%s: %d exchanges, reference %d", name, len(exs), len(wantExs))
	}
	for i := range exs {
		if !reflect.DeepEqual(exs[i], wantExs[i]) {
			t.Fatalf("%s: exchange %d\n got %+v\nwant %+v", name, i, exs[i], wantExs[i])
		}
	}
	if !reflect.DeepEqual(notes, wantNotes) {
		t.Fatalf("%s: notes\n got %v\nwant %v", name, notes, wantNotes)
	}
	return len(exs)
}

// TestSkeletonMatchesGJSON reads every HAR under the repository's testdata
// folders (Chrome, Firefox, Safari, Fiddler, Charles, Playwright,
// mitmproxy, Insomnia exports, the lab and corpus copies, damaged ones)
// both ways.
func TestSkeletonMatchesGJSON(t *testing.T) {
	side := fstest.MapFS{"a.html": {Data: []byte("<p>side</p>")}}
	small := model.Limits{BodyBytes: 64, HeaderBytes: 256, HeaderCount: 4, JSONDepth: 8}
	files, entries, seen := 0, 0, 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.Contains(path, "testdata") ||
			!(strings.HasSuffix(path, ".har") || strings.HasSuffix(path, ".har.gz") || strings.HasSuffix(path, ".zhar")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seen++
		// Under -short (CI's race step, which slows these reads several
		// times over, and finds a data race in one pass over a path) every
		// other file is read, every sixth again with small limits.
		if testing.Short() && seen%2 == 0 {
			return nil
		}
		files++
		entries += readBoth(t, path, data, Options{SideFiles: side})
		if !testing.Short() || files%3 == 0 {
			readBoth(t, path+" (small limits)", data, Options{Limits: small})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 && !testing.Short() || files < 50 || entries < 300 {
		t.Fatalf("only %d files, %d entries read", files, entries)
	}
	t.Logf("%d files, %d entries", files, entries)

	// Generated HARs shaped like the benchmarks': many small entries, and
	// sign-in traffic among base64 images.
	for _, cfg := range []hargen.Config{hargen.ManyEntries(500), {Entries: 200, BodyBytes: 30 << 10, Seed: 2, Customer: true}} {
		var buf bytes.Buffer
		if _, err := hargen.Write(&buf, cfg); err != nil {
			t.Fatal(err)
		}
		if n := readBoth(t, "generated", buf.Bytes(), Options{}); n != cfg.Entries {
			t.Fatalf("generated: %d exchanges, want %d", n, cfg.Entries)
		}
	}
}

// TestSkeletonValid compares the validating pass with gjson.ValidBytes on
// skeletons (no whitespace outside strings) and the values it hands out
// with gjson's.
func TestSkeletonValid(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, `{"a":1}`, `{"a":[1,2,{"b":null}],"c":"d"}`, `{"a":-0.5e+10,"b":true,"c":false}`,
		`{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`, `{"a"}`, `{"a":1,}`, `[1,]`,
		`{"a":1}}`, `{"a":1]`, `[1}`, `{"a":"\x01"}`, `{"a":"\q"}`, `{"a":"\u12G4"}`, `{"a":"\u12"}`,
		`{"\u0041":"\ud83d\ude00\ud83d\u0041\ude00x\"\\\/\b\f\n\r\t"}`, `{"a":"é\u00e9"}`, `{"a":1}x`, `{`, `"`,
		`{"a":"b"`, `{"a":[`, `{"a":{"b":{"c":[[[]]]}}}`, `{"a":[{},{},[]],"b":[true,false,null,0,-1]}`,
	} {
		var k skeleton
		got, want := k.reset([]byte(s), nil), gjson.Valid(s)
		if got != want {
			t.Errorf("reset(%s) = %v, gjson.Valid %v", s, got, want)
			continue
		}
		if got {
			compareValues(t, &k, k.root(), gjson.Parse(s))
		}
	}
}

// compareValues walks a value the skeleton's way and gjson's way.
func compareValues(t *testing.T, k *skeleton, got, want gjson.Result) {
	t.Helper()
	if got.Type != want.Type || got.Raw != want.Raw || got.Str != want.Str || numOf(got) != want.Num {
		t.Fatalf("value %#v, gjson %#v", got, want)
	}
	if got.Type != gjson.JSON {
		return
	}
	type kv struct{ k, v gjson.Result }
	var gs, ws []kv
	k.each(got, func(key, v gjson.Result) bool { gs = append(gs, kv{key, v}); return true })
	want.ForEach(func(key, v gjson.Result) bool { ws = append(ws, kv{key, v}); return true })
	if len(gs) != len(ws) {
		t.Fatalf("%s: %d members, gjson %d", got.Raw, len(gs), len(ws))
	}
	for i := range gs {
		if gs[i].k.Type != ws[i].k.Type || gs[i].k.Str != ws[i].k.Str || gs[i].k.Raw != ws[i].k.Raw || gs[i].k.Num != ws[i].k.Num {
			t.Fatalf("%s: key %#v, gjson %#v", got.Raw, gs[i].k, ws[i].k)
		}
		compareValues(t, k, gs[i].v, ws[i].v)
	}
}

// FuzzSkeleton reads one entry (the input, between a HAR's header and
// trailer) with the one-pass decoder and with gjson, which must agree, and
// checks the validating pass and the values handed out against gjson on
// the input's skeleton.
func FuzzSkeleton(f *testing.F) {
	for _, s := range []string{
		`{"request":{"method":"GET","url":"https://a.example/","headers":[{"name":"Host","value":"a.example"}]},"response":{"status":200,"content":{"text":"hi","mimeType":"text/html"}}}`,
		`{"request":{"method":"POST","url":"/token","headers":[{"name":":authority","value":"idp"},{"value":"v","name":"n"},{"name":"a\"b","value":"\u00e9"}],"postData":{"mimeType":"application/x-www-form-urlencoded","params":[{"name":"code","value":"x y"}]}},"response":null}`,
		`{"request":{"method":"GET","url":"u","headers":[]},"response":{"status":302,"headers":[{"name":"Location","value":"https://app/cb?code=1"}],"content":{"size":-1,"text":"aGVsbG8=","encoding":"base64"}},"startedDateTime":"2024-01-01T00:00:00.5+01:00","time":12.5}`,
		`{"request":{"method":"GET","url":"u","url":"v","headers":[{"name":"x","value":1},{"name":"y","value":null}]},"response":{"status":-1,"_failureText":"net::ERR_ABORTED"},"connection":123,"pageref":"p","comment":"c"}`,
		`{"request":{"method":1,"url":"u"}}`, `{"request":[]}`, `{"request":{"method":"GET","url":"u","headers":{}}}`,
		`{"request":{"method":"GET","url":"u","headers":[1]}}`, `{"request":{"method":"GET","url":"u"},"response":{"status":"200"}}`,
		`{"request":{"method":"GET","url":"u"},"response":{"content":{"text":"` + strings.Repeat(`x\"`, 200) + `"}}}`,
		`{"\u0072equest":{"method":"GET","url":"u"}}`, `{"request":{"method":"GET","url":"u"}`, `{"request":{"method":"GET","url":"u"},}`,
	} {
		f.Add([]byte(s))
	}
	limits := model.Limits{BodyBytes: 512, InflateBytes: 1 << 20, HeaderBytes: 1024, HeaderCount: 16, JSONDepth: 32}
	side := fstest.MapFS{"a.html": {Data: []byte("<p>side</p>")}}
	f.Fuzz(func(t *testing.T, entry []byte) {
		var doc bytes.Buffer
		doc.WriteString(`{"log":{"entries":[`)
		doc.Write(entry)
		doc.WriteString(`,`)
		doc.Write(entry)
		doc.WriteString(`]}}`)
		readBoth(t, "fuzz", doc.Bytes(), Options{Limits: limits, SideFiles: side})

		// The skeleton the scanner keeps of the input, compared value by value.
		sc := &scanner{br: bufio.NewReader(bytes.NewReader(entry)), maxDepth: 64, strCap: 1 << 20, valueCap: 1 << 20}
		if sc.scanValue(true) != nil || sc.tooDeep || sc.tooLarge {
			return
		}
		checkStrs(t, sc.buf, sc.strs)
		var k skeleton
		got, want := k.reset(sc.buf, nil), gjson.ValidBytes(sc.buf)
		if got != want {
			t.Fatalf("reset(%s) = %v, gjson.ValidBytes %v", sc.buf, got, want)
		}
		if withStrs := k.reset(sc.buf, sc.strs); withStrs != want {
			t.Fatalf("reset(%s) with the scanner's strings = %v, gjson.ValidBytes %v", sc.buf, withStrs, want)
		}
		if got {
			compareValues(t, &k, k.root(), gjson.ParseBytes(sc.buf))
		}
	})
}

// checkStrs checks the scanner's list of a skeleton's plain strings
// against the skeleton: in order, each from its opening to its closing
// quote, with no backslash or control byte in between.
func checkStrs(t *testing.T, buf []byte, strs []strSpan) {
	t.Helper()
	prev := -1
	for _, sp := range strs {
		start, end := int(sp.start), int(sp.end)
		if start <= prev || end <= start || end >= len(buf) || buf[start] != '"' || buf[end] != '"' {
			t.Fatalf("%s: string %+v out of place", buf, sp)
		}
		if bytes.IndexByte(buf[start+1:end], '\\') >= 0 || bytes.IndexByte(buf[start+1:end], '"') >= 0 ||
			bytes.ContainsFunc(buf[start+1:end], func(r rune) bool { return r < 0x20 }) {
			t.Fatalf("%s: string %+v is not plain", buf, sp)
		}
		prev = end
	}
}

// TestScannerStrs pins which strings the scanner lists as plain: keys and
// values without escapes, not those with a backslash or a control byte,
// nor side references; and reset passes over them to the same answers.
func TestScannerStrs(t *testing.T) {
	long := strings.Repeat("x", sideMax+10)
	in := `{"a" : "b", "c":["d","e\"f","g` + "\x01" + `h",` + "\n" + `"` + long + `",1]}`
	sc := &scanner{br: bufio.NewReader(strings.NewReader(in)), maxDepth: 8, strCap: 1 << 20, valueCap: 1 << 20}
	if err := sc.scanValue(true); err != nil {
		t.Fatal(err)
	}
	checkStrs(t, sc.buf, sc.strs)
	var got []string
	for _, sp := range sc.strs {
		got = append(got, string(sc.buf[sp.start:sp.end+1]))
	}
	if want := []string{`"a"`, `"b"`, `"c"`, `"d"`}; !reflect.DeepEqual(got, want) {
		t.Fatalf("plain strings %q, want %q (skeleton %s)", got, want, sc.buf)
	}
	var k skeleton
	if k.reset(sc.buf, sc.strs) {
		t.Fatal("a control byte in a string passed") // "g\x01h"
	}
	valid := `{"a":"b","c":["d","e\"f"]}`
	sc = &scanner{br: bufio.NewReader(strings.NewReader(valid)), maxDepth: 8, strCap: 1 << 20, valueCap: 1 << 20}
	if err := sc.scanValue(true); err != nil || len(sc.strs) != 4 || !k.reset(sc.buf, sc.strs) {
		t.Fatalf("%s: error %v, %d plain strings, or not valid", valid, err, len(sc.strs))
	}
	compareValues(t, &k, k.root(), gjson.Parse(valid))
}

// TestHeaderMemo reads entries whose header lists repeat with changes, as
// consecutive entries of a HAR do: the same lists, a value changed at the
// same length, headers swapped, added or dropped, escaped texts, a side
// reference, a non-plain element and a list cut by the header limits. The
// remembered elements must give what reading each entry anew gives (the
// reference decoder has no memo), and the memo must have been used.
func TestHeaderMemo(t *testing.T) {
	long := strings.Repeat("v", 600)
	lists := []string{
		`[{"name":"accept","value":"*/*"},{"name":"user-agent","value":"UA 1"},{"name":"x","value":"aaaa"}]`,
		`[{"name":"accept","value":"*/*"},{"name":"user-agent","value":"UA 1"},{"name":"x","value":"aaaa"}]`,
		`[{"name":"accept","value":"*/*"},{"name":"user-agent","value":"UA 1"},{"name":"x","value":"bbbb"}]`,
		`[{"name":"user-agent","value":"UA 1"},{"name":"accept","value":"*/*"},{"name":"x","value":"bbbb"}]`,
		`[{"name":"accept","value":"*/*"}]`,
		`[{"name":"accept","value":"*/*"},{"name":"sec-ch-ua","value":"\"Chromium\";v=\"122\""},{"name":"a\u0041","value":"\u00e9"}]`,
		`[{"name":"accept","value":"*/*"},{"name":"sec-ch-ua","value":"\"Chromium\";v=\"123\""},{"name":"a\u0041","value":"\u00e9"}]`,
		`[{"name":"accept","value":"*/*"},{"value":"UA 1","name":"user-agent"},{"name":"x","value":"` + long + `"}]`,
		`[{"name":"accept","value":"*/*"},{"value":"UA 1","name":"user-agent"},{"name":"x","value":"` + long + `"}]`,
		`[{"name":"accept","value":"*/*"},{"name":"user-agent","value":"UA 1"},{"name":"x","value":"` + long[:100] + `"}]`,
		`[{"name":"a","value":"1"},{"name":"b","value":"2"},{"name":"c","value":"3"},{"name":"d","value":"4"},{"name":"e","value":"5"}]`,
		`[{"name":"a","value":"1"},{"name":"b","value":"2"},{"name":"c","value":"3"},{"name":"d","value":"4"},{"name":"e","value":"6"}]`,
		`[{"name":"accept","value":"*/*"},{"name":"user-agent","value":"UA 1"},{"name":"x","value":"aaaa"}]`,
	}
	var doc strings.Builder
	doc.WriteString(`{"log":{"entries":[`)
	for i, h := range lists {
		if i > 0 {
			doc.WriteString(",")
		}
		doc.WriteString(`{"request":{"method":"GET","url":"https://a.example/","headers":` + h + `},"response":{"status":200,"headers":` + h + `}}`)
	}
	doc.WriteString(`]}}`)
	for _, limits := range []model.Limits{{}, {HeaderCount: 4}, {HeaderBytes: 40}} {
		if n := readBoth(t, "memo", []byte(doc.String()), Options{Limits: limits}); n != len(lists) {
			t.Fatalf("%d exchanges, want %d", n, len(lists))
		}
	}
	// The memo is used: reading the second entry finds its elements there.
	r, err := NewReader(strings.NewReader(doc.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.sequential = true
	st := r.state(0)
	for range 2 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	if m := st.sk.memo[0]; len(m.raw) != 3 || string(m.raw[2]) != `{"name":"x","value":"aaaa"}` || m.hs[2] != (model.Header{Name: "x", Value: "aaaa"}) {
		t.Fatalf("request memo after two entries: %q %q", m.raw, m.hs)
	}
	// The second entry's arrays were the first's: found whole (request
	// and response), and read as the first's.
	if len(st.sk.hits) != 2 || len(st.sk.hits[0].hs) != 3 || st.sk.hits[0].hs[1] != (model.Header{Name: "user-agent", Value: "UA 1"}) {
		t.Fatalf("array hits of the second entry: %+v", st.sk.hits)
	}
}

// TestHeaderArrayMemoElsewhere: an array remembered as a request's headers
// that comes again under another "headers" member (one the decoder does not
// read, or one it reads through the general path) or as another member's
// value is read as without the memo, and so is the entry around it.
func TestHeaderArrayMemoElsewhere(t *testing.T) {
	h := `[{"name":"accept","value":"*/*"},{"name":"x","value":"\"q\""}]`
	entries := []string{
		`{"request":{"method":"GET","url":"u","headers":` + h + `},"response":{"status":200,"headers":` + h + `}}`,
		`{"_initiator":{"headers":` + h + `,"stack":{"headers":` + h + `}},"request":{"method":"GET","url":"u","headers":` + h + `,"queryString":` + h + `},"response":{"status":200,"headers":[]}}`,
		`{"request":{"method":"POST","url":"u","headers":` + h + `,"postData":{"mimeType":"x","params":` + h + `,"headers":` + h + `}},"response":{"status":200,"headers":` + h + `,"content":{"headers":` + h + `,"text":"t"}}}`,
		`{"request":{"method":"GET","url":"u","headers":` + h + `,"headers":` + h + `},"response":{"status":200,"headers":` + h + `x}}`,
		`{"request":{"method":"GET","url":"u","headers":` + h + `},"response":null}`,
	}
	doc := `{"log":{"entries":[` + strings.Join(entries, ",") + `]}}`
	for _, limits := range []model.Limits{{}, {HeaderCount: 1}} {
		readBoth(t, "elsewhere", []byte(doc), Options{Limits: limits})
	}
	// A response whose array is a request list remembered second (a1),
	// in an entry whose new request list takes that memory's place: the
	// response must still read as a1, whose headers are not reused.
	list := func(v string) string {
		return `[{"name":"a","value":"` + v + `"},{"name":"b","value":"` + v + `"},{"name":"c","value":"` + v + `"}]`
	}
	entry := func(req, resp string) string {
		return `{"request":{"method":"GET","url":"u","headers":` + req + `},"response":{"status":200,"headers":` + resp + `}}`
	}
	a1, a2, x, r := list("1"), list("2"), list("x"), list("r")
	doc = `{"log":{"entries":[` + strings.Join([]string{entry(a1, r), entry(a2, r), entry(x, a1), entry(a1, a2)}, ",") + `]}}`
	readBoth(t, "evicted while a hit refers to it", []byte(doc), Options{})
}

// FuzzHeaderMemo reads entries with the header lists a, b and a again
// (requests and responses, and under members not read as headers) with
// the memos and without, which must agree.
func FuzzHeaderMemo(f *testing.F) {
	f.Add(`[{"name":"a","value":"1"},{"name":"b","value":"2"}]`, `[{"name":"a","value":"1"},{"name":"b","value":"3"}]`)
	f.Add(`[{"name":"a","value":"\"1\""}]`, `[{"value":"1","name":"a"},{"name":"a","value":"1"}]`)
	f.Add(`[{"name":"a","value":"1"},2,{"name":"b"}]`, `[{"name":"a","value":"1"},{"name":"b","value":null}]`)
	limits := model.Limits{BodyBytes: 512, InflateBytes: 1 << 20, HeaderBytes: 256, HeaderCount: 8, JSONDepth: 32}
	f.Fuzz(func(t *testing.T, a, b string) {
		var doc strings.Builder
		doc.WriteString(`{"log":{"entries":[`)
		for i, h := range []string{a, b, a, a, b} {
			if i > 0 {
				doc.WriteString(",")
			}
			if i == 3 {
				// The array again, under members the decoder does not
				// read as headers.
				doc.WriteString(`{"_x":{"headers":` + a + `},"request":{"method":"GET","url":"u","queryString":` + b + `,"headers":` + b + `,"headers":` + h + `},"response":{"status":200,"headers":` + h + `}}`)
				continue
			}
			doc.WriteString(`{"request":{"method":"GET","url":"u","headers":` + h + `},"response":{"status":200,"headers":` + h + `}}`)
		}
		doc.WriteString(`]}}`)
		readBoth(t, "fuzz", []byte(doc.String()), Options{Limits: limits})
	})
}
