package har

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
)

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// Sniff reports whether prefix, the first bytes of a file, looks like a HAR
// document, possibly behind a UTF-8 byte order mark or a gzip or zlib
// wrapper (mitmproxy's .zhar). A few hundred bytes are enough; a longer
// prefix makes the answer more certain.
func Sniff(prefix []byte) bool {
	prefix = bytes.TrimPrefix(prefix, utf8BOM)
	switch compression(prefix) {
	case compressGzip:
		zr, err := gzip.NewReader(bytes.NewReader(prefix))
		if err != nil {
			return false
		}
		return sniffJSON(readPrefix(zr))
	case compressZlib:
		zr, err := zlib.NewReader(bytes.NewReader(prefix))
		if err != nil {
			return false
		}
		return sniffJSON(readPrefix(zr))
	}
	return sniffJSON(prefix)
}

// readPrefix inflates what a truncated compressed prefix holds; the
// error at its end is expected and ignored.
func readPrefix(r io.Reader) []byte {
	out, _ := io.ReadAll(io.LimitReader(r, 64<<10))
	return out
}

// sniffJSON accepts an object whose first member is "log", or one that
// names "log" and a HAR-only member early on (some tools put other members
// first).
func sniffJSON(p []byte) bool {
	p = bytes.TrimPrefix(p, utf8BOM)
	p = bytes.TrimLeft(p, " \t\r\n")
	if len(p) == 0 || p[0] != '{' {
		return false
	}
	rest := bytes.TrimLeft(p[1:], " \t\r\n")
	if bytes.HasPrefix(rest, []byte(`"log"`)) {
		return true
	}
	return bytes.Contains(p, []byte(`"log"`)) &&
		(bytes.Contains(p, []byte(`"entries"`)) || bytes.Contains(p, []byte(`"creator"`)))
}

type compressKind int

const (
	compressNone compressKind = iota
	compressGzip
	compressZlib
)

func compression(p []byte) compressKind {
	if len(p) >= 2 && p[0] == 0x1f && p[1] == 0x8b {
		return compressGzip
	}
	// RFC 1950: deflate method 8, window ≤ 32K, header checksum.
	if len(p) >= 2 && p[0]&0x0f == 8 && p[0]>>4 <= 7 && (uint16(p[0])<<8|uint16(p[1]))%31 == 0 {
		return compressZlib
	}
	return compressNone
}
