package har

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// FuzzBase64Prefix checks decodeBase64Prefix, whose first pass is
// vectorized, against the same function on encoding/base64 alone (the
// reader before it), on valid, damaged and odd bodies, and decoding into
// a reused buffer full of another body's bytes (Reader.Release) against a
// new one.
func FuzzBase64Prefix(f *testing.F) {
	long := []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("<html>\x00\xff body é "), 40)))
	for _, s := range [][]byte{
		[]byte("aGVsbG8="), []byte("aGVsbG8"), []byte("aGVs\nbG8="), []byte("aGVs bG8-_w=="), long,
		append(append(bytes.Clone(long[:200]), '*'), long[200:]...), append(bytes.Clone(long[:97]), "=AAAA"...),
	} {
		f.Add(s, int64(1<<20))
		f.Add(s, int64(7))
	}
	f.Fuzz(func(t *testing.T, enc []byte, limit int64) {
		if limit <= 0 {
			return
		}
		got, gotCut := decodeBase64Prefix(enc, limit)
		want, wantCut := decodeBase64PrefixWith(false, nil, enc, limit)
		if !bytes.Equal(got, want) || gotCut != wantCut {
			t.Fatalf("decodeBase64Prefix(%q, %d) = %q, %v; encoding/base64 alone %q, %v", enc, limit, got, gotCut, want, wantCut)
		}
		dirty := bytes.Repeat([]byte{poisonByte}, len(enc)+7)
		reused, reusedCut := decodeBase64PrefixInto(dirty[:3], enc, limit)
		if !bytes.Equal(reused, want) || reusedCut != wantCut {
			t.Fatalf("decodeBase64PrefixInto(used buffer, %q, %d) = %q, %v; new buffer %q, %v", enc, limit, reused, reusedCut, want, wantCut)
		}
	})
}
