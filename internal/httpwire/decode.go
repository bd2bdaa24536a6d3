package httpwire

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

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
	for _, c := range strings.Split(contentEncoding, ",") {
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

func unsupported(coding string) error {
	return fmt.Errorf("%w: unsupported coding %q", ErrEncoding, coding)
}

func decodeOne(coding string, in []byte, limit int64) ([]byte, bool, error) {
	var r io.Reader
	switch coding {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(in))
		if err != nil {
			return cutOrFail(coding, nil, err)
		}
		r = zr
	case "deflate":
		// "deflate" means zlib (RFC 9110) but many servers send raw
		// deflate; a zlib header check tells them apart.
		if zr, err := zlib.NewReader(bytes.NewReader(in)); err == nil {
			r = zr
		} else {
			r = flate.NewReader(bytes.NewReader(in))
		}
	case "br":
		r = brotli.NewReader(bytes.NewReader(in))
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
	out, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(out)) > limit {
		return out[:limit], true, nil
	}
	if err != nil {
		return cutOrFail(coding, out, err)
	}
	return out, false, nil
}

// cutOrFail turns an early end of the compressed stream into a truncated
// result and anything else into an error.
func cutOrFail(coding string, out []byte, err error) ([]byte, bool, error) {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return out, true, nil
	}
	return out, true, fmt.Errorf("%w: %s: %w", ErrEncoding, coding, err)
}
