package httpwire

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"
)

// stdGunzip is what DecodeContent did with compress/gzip.
func stdGunzip(in []byte, limit int64) ([]byte, bool, error) {
	zr, err := gzip.NewReader(bytes.NewReader(in))
	if err != nil {
		return cutOrFail("gzip", nil, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if int64(len(out)) > limit {
		return out[:limit], true, nil
	}
	if err != nil {
		return cutOrFail("gzip", out, err)
	}
	return out, false, nil
}

func checkGzipAsStdlib(t *testing.T, in []byte, limit int64) {
	want, wantTrunc, wantErr := stdGunzip(in, limit)
	got, gotTrunc, gotErr := decodeOne("gzip", in, limit)
	if !bytes.Equal(want, got) || wantTrunc != gotTrunc || (wantErr == nil) != (gotErr == nil) ||
		wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Fatalf("%d bytes: compress/gzip gives %d bytes, %v, %v; we give %d bytes, %v, %v",
			len(in), len(want), wantTrunc, wantErr, len(got), gotTrunc, gotErr)
	}
	if wantErr != nil && !errors.Is(gotErr, ErrEncoding) {
		t.Fatalf("error %v does not wrap ErrEncoding", gotErr)
	}
}

func gzipSeeds() [][]byte {
	z := gz(`{"error":"invalid_grant","error_description":"AADSTS70008: The provided authorization code has expired."}`)
	two := append(gz("first "), gz("second")...)
	bad := bytes.Clone(z)
	bad[len(bad)/2] ^= 0x55
	crc := bytes.Clone(z)
	crc[len(crc)-6] ^= 1
	size := bytes.Clone(z)
	size[len(size)-2] ^= 1
	return [][]byte{z, z[:len(z)/2], z[:5], z[:12], two, bad, crc, size, []byte("not gzip at all"), {}, {0x1f, 0x8b, 8, 0xff}}
}

// TestGzipAsStdlib: the gzip reader DecodeContent uses answers as
// compress/gzip did: same bytes, cut flags and error texts, which notes
// print, on whole, cut, concatenated and damaged streams.
func TestGzipAsStdlib(t *testing.T) {
	for _, in := range gzipSeeds() {
		for _, limit := range []int64{1, 7, 1 << 20} {
			checkGzipAsStdlib(t, in, limit)
		}
	}
}

func FuzzGzipAsStdlib(f *testing.F) {
	for _, in := range gzipSeeds() {
		f.Add(in, int64(1<<20))
	}
	f.Fuzz(func(t *testing.T, in []byte, limit int64) {
		limit = max(1, min(limit, 1<<20))
		checkGzipAsStdlib(t, in, limit)
	})
}
