package saz

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// FuzzReader feeds archives to the reader: every testdata SAZ (plain and
// protected) plus small hand-made ones. Properties: no panic, errors wrap a
// package sentinel, Next ends in io.EOF, every exchange names its session,
// and reading with sessions inflated ahead gives what reading in line does.
func FuzzReader(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.saz"))
	lab, _ := filepath.Glob(filepath.Join("testdata", "lab", "*.saz"))
	paths = append(paths, lab...)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) > fuzzSeedMax {
			data = shrunkSAZ(f, data)
		}
		f.Add(data)
	}
	// A member that outgrows the first buffer and a buffer too large for
	// the pool, in a seed of a few KB: the large seeds that brought them
	// are shrunk above.
	f.Add(buildZip(f, []zipFile{
		{name: "raw/1_c.txt", body: "GET http://big.example/1 HTTP/1.1\r\nHost: big.example\r\n\r\n", method: zip.Deflate},
		{name: "raw/1_s.txt", body: "HTTP/1.1 200 OK\r\nContent-Length: 307200\r\n\r\n" + strings.Repeat("0123456789abcdef", 300<<10/16), method: zip.Deflate},
		{name: "raw/1_m.xml", body: metaXML("1", "1001"), method: zip.Deflate},
	}))
	f.Add(buildZip(f, []zipFile{
		{name: "raw/1_c.txt", body: "GET /a HTTP/2\r\n:authority: h\r\n\r\n"},
		{name: "raw/1_s.txt", body: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
		{name: "raw/1_m.xml", body: metaXML("41", "1")},
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := Options{
			Password:            "traceaudit-PW",
			Limits:              model.Limits{BodyBytes: 64 << 10, InflateBytes: 1 << 20, HeaderBytes: 64 << 10},
			ArchiveInflateBytes: 8 << 20,
			MaxMembers:          2000,
		}
		Sniff(data)
		Is(bytes.NewReader(data), int64(len(data)))
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrPassword) && !errors.Is(err, ErrLimit) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		for i := 0; ; i++ {
			ex, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			n, ok := strings.CutPrefix(ex.Ref, "session ")
			if _, aerr := strconv.Atoi(n); !ok || aerr != nil || ex.Index != i {
				t.Fatalf("exchange %d has Ref %q Index %d", i, ex.Ref, ex.Index)
			}
			if int64(len(ex.Request.Body.Data)) > opts.Limits.BodyBytes {
				t.Fatalf("%s: kept %d body bytes", ex.Ref, len(ex.Request.Body.Data))
			}
		}
		// Inflating sessions ahead changes nothing that is read.
		sameAhead(t, "input", data, opts)
	})
}

// fuzzSeedMax bounds a seed archive. An instrumented execution costs
// about 0.2 ms per KB of archive (53 ms for the 300 KB Fiddler one), and
// the engine minimizes each input with new coverage for its whole
// -fuzzminimizetime (60 s by default), reporting no executions meanwhile:
// tries that remove bytes from a zip rarely keep its coverage, so those
// minimizations run to the limit, and on mutants of a 300 KB seed they do
// a few hundred tries in it. Short runs want -fuzzminimizetime 100x
// anyway (docs/fuzzing.md).
const fuzzSeedMax = 64 << 10

// shrunkSAZ copies a SAZ keeping, of its sessions, the first with each
// BitFlags value and the first one aborted, and none of its members of
// more than 32 KB; members are copied compressed as they were, so that the
// seed keeps the writer's layout and what sets its sessions apart.
func shrunkSAZ(f *testing.F, data []byte) []byte {
	f.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		f.Fatal(err)
	}
	keep := map[string]bool{} // "raw/NN_"
	seen := map[string]bool{}
	aborted := false
	for _, m := range zr.File {
		prefix, ok := strings.CutSuffix(m.Name, "m.xml")
		if !ok || !strings.HasPrefix(prefix, "raw/") {
			continue
		}
		rc, err := m.Open()
		if err != nil {
			f.Fatal(err)
		}
		xml, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			f.Fatal(err)
		}
		flags := bitFlagsRE.FindString(string(xml))
		isAborted := strings.Contains(string(xml), `Aborted="True"`)
		if !seen[flags] || (isAborted && !aborted) {
			keep[prefix] = true
		}
		seen[flags] = true
		aborted = aborted || isAborted
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if err := zw.SetComment(zr.Comment); err != nil {
		f.Fatal(err)
	}
	for _, m := range zr.File {
		if m.UncompressedSize64 > 32<<10 {
			continue
		}
		if i := strings.IndexByte(m.Name, '_'); strings.HasPrefix(m.Name, "raw/") && i > 0 && !keep[m.Name[:i+1]] {
			continue
		}
		if err := zw.Copy(m); err != nil {
			f.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	if buf.Len() > fuzzSeedMax {
		f.Fatalf("seed still %d bytes once shrunk", buf.Len())
	}
	return buf.Bytes()
}

var bitFlagsRE = regexp.MustCompile(`BitFlags="[0-9A-Fa-f]*"`)
