package saz

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
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
		f.Add(data)
	}
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
