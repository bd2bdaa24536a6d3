// Package hostile writes the hostile-input corpus: traces built to break a
// reader (bombs, absurd lengths, deep nesting, garbage after valid magic
// numbers, truncations, escaping archive names). The corpus is generated,
// not committed, because several cases are large on disk or inflate to
// gigabytes. The CLI's tests scan every case and assert a clean end within
// bounds; `go run ./internal/hostile/cmd/hostile DIR` writes it for manual runs.
package hostile

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/traceaudit/traceaudit/internal/etlgen"
)

// Case is one hostile input.
type Case struct {
	Name string // file name inside the corpus directory
	Why  string // what it attacks
	// Args are extra CLI arguments (e.g. a garbage --keylog), with the
	// placeholder DIR standing for the corpus directory.
	Args []string
}

// Write generates every case into dir. Seeds are fixed: the corpus is the
// same on every run.
func Write(dir string) ([]Case, error) {
	var cases []Case
	add := func(name, why string, data []byte, args ...string) error {
		cases = append(cases, Case{Name: name, Why: why, Args: args})
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	gens := []func() error{
		func() error {
			return add("deep.har", "100k-deep JSON nesting inside an entry",
				[]byte(`{"log":{"version":"1.2","entries":[{"request":`+strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)+`}]}}`))
		},
		func() error {
			return add("deep-top.har", "100k-deep JSON nesting before log.entries",
				[]byte(`{"log":{"pages":`+strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)+`,"entries":[]}}`))
		},
		func() error {
			big := strings.Repeat("A", 64<<20)
			return add("huge-header.har", "a 64 MB header value",
				[]byte(`{"log":{"version":"1.2","entries":[{"startedDateTime":"2026-11-26T10:00:00Z","request":{"method":"GET","url":"https://a.example/","headers":[{"name":"X-Big","value":"`+big+`"}]},"response":{"status":200,"headers":[]}}]}}`))
		},
		func() error {
			return add("many-entries-bad.har", "entries of the wrong type",
				[]byte(`{"log":{"entries":[1,"x",null,{"request":42},{"request":{"method":7,"url":[]}}]}}`))
		},
		func() error {
			return add("gzip-bomb.har.gz", "gzip HAR inflating to 512 MiB, past the default limit", gzipBomb(512<<20))
		},
		func() error {
			return add("zip-bomb.saz", "SAZ member inflating to 512 MiB, past the default limit", zipBomb(512<<20))
		},
		func() error {
			return add("zip-4gib.saz", "SAZ member declaring 4 GiB in a tiny archive", zipDeclared4GiB())
		},
		func() error { return add("zip-escape.saz", "SAZ member names escaping the archive", zipEscape()) },
		func() error { return add("zip-many.saz", "SAZ with 50k empty members", zipMany(50_000)) },
		func() error { return add("pcap-2gib-record.pcap", "pcap record claiming 2 GiB", pcap2GiBRecord()) },
		func() error { return add("pcapng-2gib-block.pcapng", "pcapng block claiming 2 GiB", pcapng2GiBBlock()) },
		func() error {
			return add("pcap-random.pcap", "random bytes after a pcap header", afterMagic(pcapHeader(1), 1<<20, 1))
		},
		func() error {
			return add("pcapng-random.pcapng", "random bytes after a pcapng magic", afterMagic([]byte{0x0a, 0x0d, 0x0d, 0x0a}, 1<<20, 2))
		},
		func() error {
			return add("zip-random.saz", "random bytes after a zip magic", afterMagic([]byte("PK\x03\x04"), 1<<20, 3))
		},
		func() error {
			return add("gzip-random.har.gz", "random bytes after a gzip magic", afterMagic([]byte{0x1f, 0x8b, 8, 0}, 1<<20, 4))
		},
		func() error {
			return add("json-random.har", "random bytes after a {", afterMagic([]byte("{"), 1<<20, 5))
		},
		func() error {
			return add("etl-inflate-bomb.etl", "ETL with 4096 compressed buffers of 80 bytes, each inflating to 1 MiB (4 GiB in all)", etlInflateBomb(4096, 1<<20))
		},
		func() error {
			return add("etl-2gib-buffer.etl", "ETL buffer claiming 2 GiB", etlHugeBuffer())
		},
		func() error {
			return add("etl-random.etl", "random bytes after a valid ETL header buffer", afterMagic(etlHeader(), 1<<20, 6))
		},
		func() error {
			return add("garbage-keylog.pcap", "a key log of garbage (exit 2 naming the line)", pcapHeader(1),
				"--keylog", "DIR/garbage.keys")
		},
		func() error {
			return os.WriteFile(filepath.Join(dir, "garbage.keys"), []byte("# ok\nCLIENT_RANDOM zz notHEX\n\x00\x01binary\n"), 0o644)
		},
	}
	for _, g := range gens {
		if err := g(); err != nil {
			return nil, fmt.Errorf("hostile: %w", err)
		}
	}
	return cases, nil
}

// Truncations writes copies of each real trace cut at several points.
func Truncations(dir string, traces []string) ([]Case, error) {
	var cases []Case
	for _, t := range traces {
		data, err := os.ReadFile(t)
		if err != nil {
			return nil, fmt.Errorf("hostile: %w", err)
		}
		for _, frac := range []int{10, 50, 90} {
			cut := len(data) * frac / 100
			name := fmt.Sprintf("cut%d-%s", frac, filepath.Base(t))
			if err := os.WriteFile(filepath.Join(dir, name), data[:cut], 0o644); err != nil {
				return nil, fmt.Errorf("hostile: %w", err)
			}
			cases = append(cases, Case{Name: name, Why: fmt.Sprintf("%s cut at %d%%", filepath.Base(t), frac)})
		}
	}
	return cases, nil
}

func gzipBomb(n int64) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	io.WriteString(zw, `{"log":{"version":"1.2","entries":[{"request":{"method":"GET","url":"https://a.example/","headers":[{"name":"X","value":"`)
	io.CopyN(zw, zeroReader{}, n)
	io.WriteString(zw, `"}]}}]}}`)
	zw.Close()
	return buf.Bytes()
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '0'
	}
	return len(p), nil
}

func zipBomb(n int64) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("raw/1_c.txt")
	io.WriteString(w, "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\nX-Pad: ")
	io.CopyN(w, zeroReader{}, n)
	io.WriteString(w, "\r\n\r\n")
	w, _ = zw.Create("raw/1_s.txt")
	io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	zw.Close()
	return buf.Bytes()
}

// zipDeclared4GiB writes a small stored member whose central directory
// claims 4 GiB (ZIP64), to catch readers that allocate from declared sizes.
func zipDeclared4GiB() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: "raw/1_c.txt", Method: zip.Store}
	hdr.UncompressedSize64 = 4 << 30
	w, _ := zw.CreateRaw(hdr)
	io.WriteString(w, "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n")
	zw.Close()
	return buf.Bytes()
}

func zipEscape() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"../../etc/raw/1_c.txt", "/abs/raw/2_c.txt", `raw\..\..\3_c.txt`, "raw/4_c.txt"} {
		w, _ := zw.Create(name)
		io.WriteString(w, "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n")
	}
	zw.Close()
	return buf.Bytes()
}

func zipMany(n int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 1; i <= n; i++ {
		zw.Create(fmt.Sprintf("raw/%d_m.xml", i))
	}
	zw.Close()
	return buf.Bytes()
}

func pcapHeader(linktype uint32) []byte {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 262144)
	binary.LittleEndian.PutUint32(h[20:], linktype)
	return h
}

func pcap2GiBRecord() []byte {
	b := pcapHeader(1)
	rec := make([]byte, 16)
	binary.LittleEndian.PutUint32(rec[8:], 1<<31)
	binary.LittleEndian.PutUint32(rec[12:], 1<<31)
	return append(append(b, rec...), bytes.Repeat([]byte{0xab}, 4096)...)
}

func pcapng2GiBBlock() []byte {
	var b []byte
	shb := make([]byte, 28)
	binary.LittleEndian.PutUint32(shb[0:], 0x0a0d0d0a)
	binary.LittleEndian.PutUint32(shb[4:], 28)
	binary.LittleEndian.PutUint32(shb[8:], 0x1a2b3c4d)
	binary.LittleEndian.PutUint16(shb[12:], 1)
	binary.LittleEndian.PutUint64(shb[16:], ^uint64(0))
	binary.LittleEndian.PutUint32(shb[24:], 28)
	b = append(b, shb...)
	blk := make([]byte, 12)
	binary.LittleEndian.PutUint32(blk[0:], 6)     // EPB
	binary.LittleEndian.PutUint32(blk[4:], 1<<31) // 2 GiB
	return append(append(b, blk...), bytes.Repeat([]byte{0xcd}, 4096)...)
}

func afterMagic(magic []byte, n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	out := append([]byte(nil), magic...)
	for len(out) < n {
		out = binary.LittleEndian.AppendUint64(out, r.Uint64())
	}
	return out
}

// etlHeader is a valid ETL header buffer (4 KiB buffers, no events).
func etlHeader() []byte {
	data, err := etlgen.Build(etlgen.Options{BufferSize: 4096}, nil)
	if err != nil {
		panic(err)
	}
	return data
}

// etlInflateBomb is a header whose session has buffers of size bytes,
// then n compressed buffers of 80 bytes each: one literal and one
// LZXpress match filling the rest of the buffer.
func etlInflateBomb(n int, size uint32) []byte {
	out := etlHeader()
	le := binary.LittleEndian
	le.PutUint32(out[0x48+0x20:], size) // the logfile header's BufferSize
	for i := range n {
		b := make([]byte, 0x48, 0x48+32)
		le.PutUint32(b[0x00:], 0x48+32)
		le.PutUint32(b[0x04:], size)
		le.PutUint64(b[0x18:], uint64(i+1))
		le.PutUint32(b[0x30:], size)
		le.PutUint16(b[0x34:], 0x40|0x20) // compressed, processor index
		// flags: literal then match; the match: offset 1, length 7 (see
		// the nibble), nibble 15, byte 255, u16 0, u32 length.
		b = le.AppendUint32(b, 0x40000000)
		b = append(b, 'A')
		b = le.AppendUint16(b, 7)
		b = append(b, 0x0f, 0xff, 0, 0)
		b = le.AppendUint32(b, size-0x48-1-3) // a 32-bit length is the match's minus 3
		for len(b) < 0x48+32 {
			b = append(b, 0)
		}
		out = append(out, b...)
	}
	return out
}

// etlHugeBuffer is a header buffer, then a buffer header claiming 2 GiB.
func etlHugeBuffer() []byte {
	out := etlHeader()
	b := make([]byte, 0x48+64)
	binary.LittleEndian.PutUint32(b[0:], 1<<31)
	binary.LittleEndian.PutUint32(b[0x30:], 1<<31)
	return append(out, b...)
}
