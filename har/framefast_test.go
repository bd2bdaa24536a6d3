package har

import (
	"bufio"
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/hargen"
)

// framed is what the scanner gives for one value.
type framed struct {
	buf, side         string
	spans             []span
	strs              []strSpan
	tooDeep, tooLarge bool
	err               string
	off               int64
}

// frameValues frames the values of data, a list of JSON values separated
// by commas, as frameNext does the entries of log.entries, with frameFast
// on or off, reading through a buffer of bufSize bytes.
func frameValues(data []byte, slow bool, bufSize, maxDepth, strCap, valueCap int) []framed {
	sc := &scanner{br: bufio.NewReaderSize(bytes.NewReader(data), bufSize), maxDepth: maxDepth,
		strCap: strCap, valueCap: valueCap, slowFrame: slow}
	var out []framed
	for range 10000 {
		err := sc.scanValue(true)
		f := framed{buf: string(sc.buf), side: string(sc.side), spans: append([]span(nil), sc.spans...),
			strs: append([]strSpan(nil), sc.strs...), tooDeep: sc.tooDeep, tooLarge: sc.tooLarge, off: sc.off}
		if err != nil {
			f.err = err.Error()
		}
		out = append(out, f)
		if err != nil {
			break
		}
		if c, err := sc.expect(",]"); err != nil || c == ']' {
			out = append(out, framed{err: fmt.Sprint(err), off: sc.off})
			break
		}
	}
	return out
}

// sameFrames fails when framing data with and without frameFast differs in
// any way: skeleton, side buffer, spans, plain strings, limits, errors or
// offsets.
func sameFrames(t *testing.T, name string, data []byte) {
	t.Helper()
	for _, c := range []struct{ buf, depth, strCap, valueCap int }{
		{readBuf, 64, 1 << 20, 4 << 20},
		{16, 64, 1 << 20, 4 << 20},
		{300, 3, 1 << 20, 4 << 20},
		{4096, 5, 40, 600},
		{61, 2, 10, 300},
	} {
		want := frameValues(data, true, c.buf, c.depth, c.strCap, c.valueCap)
		got := frameValues(data, false, c.buf, c.depth, c.strCap, c.valueCap)
		if !reflect.DeepEqual(got, want) {
			for i := range min(len(got), len(want)) {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("%s (%+v): value %d framed fast\n%+v\nslow\n%+v", name, c, i, got[i], want[i])
				}
			}
			t.Fatalf("%s (%+v): %d values framed fast, %d slow", name, c, len(got), len(want))
		}
	}
}

// TestFrameFastSame frames every HAR under testdata, generated HARs and
// hand-made values with frameFast and with the general switch alone: the
// frames must be the same to the byte.
func TestFrameFastSame(t *testing.T) {
	eachTestdataHAR(t, func(path string, data []byte) {
		sameFrames(t, path, data)
		// The entries alone, as frameNext frames them.
		if i := bytes.Index(data, []byte(`"entries"`)); i >= 0 {
			if j := bytes.IndexByte(data[i:], '['); j >= 0 {
				sameFrames(t, path+" entries", data[i+j+1:])
			}
		}
	})
	var b bytes.Buffer
	if _, err := hargen.Write(&b, hargen.ManyEntries(shortEntries(60))); err != nil {
		t.Fatal(err)
	}
	sameFrames(t, "hargen", b.Bytes())
	// Each of the 43 cuts near its end frames the whole document again.
	doc := rawDoc(7, shortEntries(30))
	sameFrames(t, "escape-heavy", doc)
	for n := len(doc) - 300; n < len(doc); n += 7 {
		sameFrames(t, fmt.Sprintf("escape-heavy cut at %d", n), doc[:n])
	}
	long := strings.Repeat("y", sideMax)
	for _, s := range []string{
		`{"a":"` + long + `","b":"` + long + `x","c":"` + long[1:] + `"}`,
		`{"a":[1,2,{"b":[[[[[[["deep"]]]]]]]}],"c":"\u0000\u00011"}`,
		`{"a":"x\"y","b":"x` + "\x01" + `y","c":"\\"}`,
		`{"a":-1, "b":2 00,"c":tr ue,"d":[ 1 , 2 ]}`,
		"{\"a\":\n\t[\"b\" ,\r\"c\"]\n}",
		`{"a":}}`, `{"a":"b"]`, `["a","b",`, `{"a":"b`, `{"a":"` + long + `b`,
		`{"a":1},{"b":2},"c",3,true,null,[]`,
	} {
		sameFrames(t, s, []byte(s))
	}
}

// FuzzFrameFast frames any input with and without frameFast.
func FuzzFrameFast(f *testing.F) {
	for _, s := range []string{
		`{"request":{"method":"GET","url":"https://a.example/","headers":[{"name":"Host","value":"a.example"}]}}`,
		`{"a":"x\"y","b":[1,{"c":"` + strings.Repeat("z", sideMax+3) + `"}]},{"d":"\u0000\u00012"}`,
		"{\"a\" : [ 1 ,2 ], \"b\":\"c\"}", `{"a":[[[[[[["deep"]]]]]]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameFrames(t, "fuzz", data)
	})
}
