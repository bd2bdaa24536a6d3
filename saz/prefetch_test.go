package saz

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/traceaudit/traceaudit/model"
)

// readWith reads data with the given number of sessions inflated ahead (0:
// every member in line, as before fetching ahead existed).
func readWith(data []byte, opts Options, ahead int) (exs []*model.Exchange, notes []model.Note, err error) {
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		return nil, nil, err
	}
	r.ahead = ahead
	exs, err = model.ReadAll(r)
	return exs, r.Notes(), err
}

// sameAhead fails when reading data with sessions inflated ahead gives
// other exchanges, notes or errors than reading every member in line.
func sameAhead(t testing.TB, name string, data []byte, opts Options) {
	t.Helper()
	exs0, notes0, err0 := readWith(data, opts, 0)
	for _, ahead := range []int{1, fetchAhead} {
		exs, notes, err := readWith(data, opts, ahead)
		if fmt.Sprint(err) != fmt.Sprint(err0) {
			t.Fatalf("%s, %d ahead: error %v, in line %v", name, ahead, err, err0)
		}
		// reflect first: cmp walks byte slices one element at a time.
		if reflect.DeepEqual(exs0, exs) && reflect.DeepEqual(notes0, notes) {
			continue
		}
		if d := cmp.Diff(exs0, exs); d != "" {
			t.Fatalf("%s, %d ahead: exchanges differ from in line (-in line +ahead):\n%s", name, ahead, d)
		}
		if d := cmp.Diff(notes0, notes); d != "" {
			t.Fatalf("%s, %d ahead: notes differ from in line (-in line +ahead):\n%s", name, ahead, d)
		}
		t.Fatalf("%s, %d ahead: differs from in line, cmp finds no difference", name, ahead)
	}
}

// bigMembersSAZ holds members larger than fetchCap (their rest is inflated
// in line), one cut by a corrupt byte past fetchCap, and small ones around
// them.
func bigMembersSAZ(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, head string, zeroBytes int64) { addZeroPadded(t, zw, name, head, zeroBytes) }
	add("raw/1_c.txt", "GET http://big.example/1 HTTP/1.1\r\nHost: big.example\r\n\r\n", 0)
	add("raw/1_s.txt", "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n", 3<<20)
	add("raw/1_m.xml", metaXML("1", "1001"), 0)
	add("raw/2_c.txt", fmt.Sprintf("POST http://big.example/2 HTTP/1.1\r\nHost: big.example\r\nContent-Length: %d\r\n\r\n", fetchCap+10), fetchCap+10)
	add("raw/2_s.txt", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0)
	// Text after the message, as Fiddler writes after a CONNECT: read only
	// up to verifyTail past the message, so the CRC is not checked.
	add("raw/3_c.txt", "GET http://big.example/3 HTTP/1.1\r\nHost: big.example\r\n\r\n", 2*verifyTail)
	add("raw/4_c.txt", "GET http://big.example/4 HTTP/1.1\r\nHost: big.example\r\n\r\n", fetchCap)
	add("raw/4_s.txt", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// corrupted returns copies of data with bytes changed at pseudo-random
// places (a fixed seed), so that damage falls inside members, headers and
// the directory.
func corrupted(data []byte, n int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 18))
	var out [][]byte
	for range n {
		c := bytes.Clone(data)
		for range 1 + rng.IntN(3) {
			c[rng.IntN(len(c))] ^= byte(1 + rng.IntN(255))
		}
		out = append(out, c)
	}
	return out
}

func TestFetchAheadSame(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.saz"))
	lab, _ := filepath.Glob(filepath.Join("testdata", "lab", "*.saz"))
	paths = append(paths, lab...)
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{filepath.Base(p), data})
	}
	office := readFile(t, "OfficeInspectors-NewCaseName.saz")
	for _, keep := range []int{30, 60, 95} {
		inputs = append(inputs, input{fmt.Sprintf("office cut at %d%%", keep), office[:len(office)*keep/100]})
	}
	gen := generatedSAZ(t, 60)
	inputs = append(inputs, input{"generated", gen}, input{"generated cut", gen[:len(gen)*7/10]})
	for i, c := range corrupted(gen, 40, 1) {
		inputs = append(inputs, input{fmt.Sprintf("generated corrupted %d", i), c})
	}
	for i, c := range corrupted(office, 20, 2) {
		inputs = append(inputs, input{fmt.Sprintf("office corrupted %d", i), c})
	}
	for _, name := range []string{"fluxzy-minimal.zipcrypto.saz", "fluxzy-minimal.aes256.saz", "fluxzy-minimal.aes128.saz"} {
		for i, c := range corrupted(readFile(t, name), 10, 3) {
			inputs = append(inputs, input{fmt.Sprintf("%s corrupted %d", name, i), c})
		}
	}
	big := bigMembersSAZ(t)
	inputs = append(inputs, input{"big members", big})
	// Damage past fetchCap, in the part inflated in line.
	if i := bytes.Index(big, []byte("raw/2_c.txt")); i > 0 {
		c := bytes.Clone(big)
		c[len(c)/2] ^= 0x55
		inputs = append(inputs, input{"big members corrupted", c})
	}

	optsets := []struct {
		name string
		opts Options
	}{
		{"defaults", Options{Password: "traceaudit-PW"}},
		{"no password", Options{}},
		{"wrong password", Options{Password: "wrong"}},
		// Small bounds, so that the member and archive bounds cut members
		// inside what was inflated ahead and past it.
		{"small bounds", Options{Password: "traceaudit-PW", ArchiveInflateBytes: 3 << 20,
			Limits: model.Limits{InflateBytes: 1500 << 10, BodyBytes: 2 << 10, HeaderBytes: 4 << 10}}},
		{"tiny bounds", Options{Password: "traceaudit-PW", ArchiveInflateBytes: 40 << 10,
			Limits: model.Limits{InflateBytes: 700, BodyBytes: 100, HeaderBytes: 300}}},
	}
	// Under -short (CI's race step, which slows these reads several times
	// over) every fourth input: recordings, cut and damaged copies and the
	// big members each still meet the inflating goroutines under every
	// option set; go test ./... reads them all.
	if testing.Short() {
		var sample []input
		for i, in := range inputs {
			if i%4 == 0 || strings.HasPrefix(in.name, "big members") {
				sample = append(sample, in)
			}
		}
		inputs = sample
	}
	for _, o := range optsets {
		t.Run(o.name, func(t *testing.T) {
			for _, in := range inputs {
				sameAhead(t, in.name, in.data, o.opts)
			}
		})
	}
}

// TestFetchAheadAbandoned reads only part of an archive, as a caller that
// stops early does: the goroutines inflating ahead end by themselves.
func TestFetchAheadAbandoned(t *testing.T) {
	data := generatedSAZ(t, 30)
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	queued := r.fetch.queue
	if len(queued) != fetchAhead {
		t.Fatalf("%d sessions inflating ahead, want %d", len(queued), fetchAhead)
	}
	for _, sf := range queued {
		<-sf.done // would hang if a goroutine waited for its result to be taken
	}
}

// TestWindowReaderAt: reads through the window give the bytes, counts and
// errors of the source, whether the window holds them, the source ends
// inside them or they are too large for it.
func TestWindowReaderAt(t *testing.T) {
	src := make([]byte, 3*headerWindow+123)
	for i := range src {
		src[i] = byte(i * 7)
	}
	ra := bytes.NewReader(src)
	w := &windowReaderAt{ra: ra}
	rng := rand.New(rand.NewPCG(7, 18))
	for i := range 5000 {
		n := rng.IntN(64)
		if i%50 == 0 {
			n = windowReadsMax + rng.IntN(100)
		}
		off := int64(rng.IntN(len(src) + 100))
		if i%7 == 0 {
			off = int64(len(src) - rng.IntN(80)) // reads across the end
		}
		got, want := make([]byte, n), make([]byte, n)
		gn, gerr := w.ReadAt(got, off)
		wn, werr := ra.ReadAt(want, off)
		if gn != wn || (gerr == nil) != (werr == nil) || !bytes.Equal(got[:gn], want[:wn]) {
			t.Fatalf("ReadAt(%d bytes, %d): window %d %v, source %d %v", n, off, gn, gerr, wn, werr)
		}
	}
}

// TestSkipBody: response bodies SkipBody names are read past, not kept;
// others are kept; the members are still read to their end, so a damaged
// one is noted as without SkipBody.
func TestSkipBody(t *testing.T) {
	png := gzipped(strings.Repeat("\x89PNG not really", 200))
	page := "<html><form method=post action=https://app.example/cb><input name=code value=abc></form></html>"
	data := buildZip(t, []zipFile{
		{name: "raw/1_c.txt", body: "GET https://cdn.example/logo.png HTTP/1.1\r\nHost: cdn.example\r\n\r\n"},
		{name: "raw/1_s.txt", body: fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", len(png), png)},
		{name: "raw/2_c.txt", body: "GET https://login.example/authorize HTTP/1.1\r\nHost: login.example\r\n\r\n"},
		{name: "raw/2_s.txt", body: fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s", len(page), page)},
		{name: "raw/3_c.txt", body: "GET https://cdn.example/font.woff2 HTTP/1.1\r\nHost: cdn.example\r\n\r\n"},
		{name: "raw/3_s.txt", body: "HTTP/1.1 200 OK\r\nContent-Type: font/woff2\r\nContent-Length: 12\r\n\r\nwOF2 fontXYZ", method: zip.Store},
	})
	i := bytes.Index(data, []byte("fontXYZ"))
	data[i] = 'F' // stored bytes no longer match the CRC
	skip := func(mimeType string) bool { return model.CarriesNoOAuth(mimeType) }
	kept, keptNotes := readAll(t, data, Options{})
	exs, notes := readAll(t, data, Options{SkipBody: skip})
	if len(exs) != 3 || len(kept) != 3 {
		t.Fatalf("%d and %d exchanges", len(exs), len(kept))
	}
	if len(kept[0].Response.Body.Data) == 0 || len(exs[0].Response.Body.Data) != 0 || len(exs[2].Response.Body.Data) != 0 {
		t.Errorf("image and font bodies: kept %d bytes without SkipBody, %d and %d with it",
			len(kept[0].Response.Body.Data), len(exs[0].Response.Body.Data), len(exs[2].Response.Body.Data))
	}
	if string(exs[1].Response.Body.Data) != page {
		t.Errorf("HTML body not kept: %q", exs[1].Response.Body.Data)
	}
	if !hasNote(notes, "corrupt", "session 3", "checksum") {
		t.Errorf("damage in a skipped body not noted: %+v", notes)
	}
	if d := cmp.Diff(keptNotes, notes); d != "" {
		t.Errorf("notes differ with SkipBody (-without +with):\n%s", d)
	}
	sameAhead(t, "skip bodies", data, Options{SkipBody: skip})
}
