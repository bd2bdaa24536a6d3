package httpwire

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// ErrEncoding is wrapped by DecodeContent errors: an unknown coding or a
// corrupt compressed stream.
var ErrEncoding = errors.New("httpwire: cannot decode content")

// zstdMaxWindow is the window RFC 9659 lets HTTP zstd senders use (8 MiB);
// a larger declared window is refused rather than allocated.
const zstdMaxWindow = 8 << 20

func isIdentity(contentEncoding string) bool {
	for c := range strings.SplitSeq(contentEncoding, ",") {
		if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
			return false
		}
	}
	return true
}

// DecodeContent undoes a Content-Encoding ("gzip", "x-gzip", "deflate"
// (zlib or raw), "br", "zstd", "identity", or a comma-separated chain of
// them, applied in the order listed so undone last to first). At most limit
// bytes come out: a larger result (a decompression bomb) is cut and
// truncated is set. A stream that ends early (a body cut by the capture)
// yields what was decoded, truncated and no error. An unknown coding or a
// corrupt stream yields an error wrapping ErrEncoding.
func DecodeContent(contentEncoding string, body []byte, limit int64) (decoded []byte, truncated bool, err error) {
	if limit <= 0 {
		limit = 1
	}
	// A chain with a coding we cannot undo cannot be decoded whole: say
	// so before decoding any of it, which is also what a reader skipping
	// the body (unknownCoding) says, whatever the other codings hold.
	if err := unknownCoding(contentEncoding); err != nil {
		return body, false, err
	}
	codings := strings.Split(contentEncoding, ",")
	decoded = body
	for i := len(codings) - 1; i >= 0; i-- {
		c := strings.ToLower(strings.TrimSpace(codings[i]))
		if c == "" || c == "identity" {
			continue
		}
		var t bool
		decoded, t, err = decodeOne(c, decoded, limit)
		truncated = truncated || t
		if err != nil {
			return decoded, truncated, err
		}
	}
	if int64(len(decoded)) > limit {
		decoded, truncated = decoded[:limit], true
	}
	return decoded, truncated, nil
}

// unknownCoding is the error DecodeContent gives for the first coding it
// does not know in contentEncoding, taken last to first, without decoding
// anything; nil when it knows them all.
func unknownCoding(contentEncoding string) error {
	codings := strings.Split(contentEncoding, ",")
	for i := len(codings) - 1; i >= 0; i-- {
		switch c := strings.ToLower(strings.TrimSpace(codings[i])); c {
		case "", "identity", "gzip", "x-gzip", "deflate", "br", "zstd":
		default:
			return unsupported(c)
		}
	}
	return nil
}

// KnownCoding reports a Content-Encoding DecodeContent can undo: each
// coding of the chain one it knows. Dictionary-compressed codings (dcb,
// dcz: RFC 9842) are not, their dictionary being another response.
func KnownCoding(contentEncoding string) bool { return unknownCoding(contentEncoding) == nil }

func unsupported(coding string) error {
	return fmt.Errorf("%w: unsupported coding %q", ErrEncoding, coding)
}

// Decompressors are reused: each new one allocates its window and tables
// (a gzip reader about 40 KiB, a brotli one more), once per body.
var (
	gzipReaders   sync.Pool // *gzip.Reader
	brotliReaders sync.Pool // *brotli.Reader
)

// gzipSizeHint is the decoded size a gzip stream's trailer states (ISIZE),
// believed only up to 64 times the compressed size: it sizes the output
// buffer, whose growth by doubling otherwise costs more than the result.
func gzipSizeHint(in []byte) int64 {
	if len(in) < 18 {
		return 0
	}
	return min(int64(binary.LittleEndian.Uint32(in[len(in)-4:])), 64*int64(len(in)))
}

func decodeOne(coding string, in []byte, limit int64) ([]byte, bool, error) {
	var r io.Reader
	var hint int64
	switch coding {
	case "gzip", "x-gzip":
		// compress/gzip, not klauspost's faster reader: fuzzing found
		// streams klauspost inflates whole that compress/gzip calls
		// corrupt (and the kept bytes and notes have always been
		// compress/gzip's), and with the extractor's body gate few
		// bodies are inflated at all.
		zr, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(bytes.NewReader(in))
		} else {
			err = zr.Reset(bytes.NewReader(in))
		}
		if zr != nil {
			defer gzipReaders.Put(zr)
		}
		if err != nil {
			return cutOrFail(coding, nil, err)
		}
		r, hint = zr, gzipSizeHint(in)
	case "deflate":
		// "deflate" means zlib (RFC 9110) but many servers send raw
		// deflate; a zlib header check tells them apart.
		if zr, err := zlib.NewReader(bytes.NewReader(in)); err == nil {
			r = zr
		} else {
			r = flate.NewReader(bytes.NewReader(in))
		}
	case "br":
		zr, _ := brotliReaders.Get().(*brotli.Reader)
		if zr == nil {
			zr = brotli.NewReader(bytes.NewReader(in))
		} else if err := zr.Reset(bytes.NewReader(in)); err != nil {
			return nil, false, fmt.Errorf("%w: br: %w", ErrEncoding, err)
		}
		defer brotliReaders.Put(zr)
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(in),
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxWindow(zstdMaxWindow),
			zstd.WithDecoderMaxMemory(uint64(limit)+zstdMaxWindow))
		if err != nil {
			return nil, false, fmt.Errorf("%w: zstd: %w", ErrEncoding, err)
		}
		defer zr.Close()
		r = zr
	default:
		return in, false, unsupported(coding)
	}
	out, err := readAtMost(r, limit+1, hint)
	if int64(len(out)) > limit {
		return out[:limit], true, nil
	}
	if err != nil {
		return cutOrFail(coding, out, err)
	}
	return out, false, nil
}

// readAtMost reads r to its end or to n bytes, as io.ReadAll of an
// io.LimitReader does, into a buffer of hint bytes (plus one, to see the
// end) when the size is known.
func readAtMost(r io.Reader, n, hint int64) ([]byte, error) {
	size := int64(512)
	if hint > 0 {
		size = hint + 1
	}
	buf := make([]byte, 0, min(size, n))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// cutOrFail turns an early end of the compressed stream into a truncated
// result and anything else into an error.
func cutOrFail(coding string, out []byte, err error) ([]byte, bool, error) {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return out, true, nil
	}
	return out, true, fmt.Errorf("%w: %s: %w", ErrEncoding, coding, err)
}
