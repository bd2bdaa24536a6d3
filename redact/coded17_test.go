package redact

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"github.com/traceaudit/traceaudit/secret"
)

// TestDictionaryCodedBodies: a body compressed against a dictionary (dcb,
// dcz), which a copy cannot use, is replaced by a note whatever its type,
// known by its Content-Encoding or by its header; text under that label
// (a tool that decoded it and kept the header) is read as text.
func TestDictionaryCodedBodies(t *testing.T) {
	const tok = "Qx7Lp2Vw9Kz3Tn5R"
	dict := sha256.Sum256([]byte("dictionary"))
	var br, zs bytes.Buffer
	bw := brotli.NewWriter(&br)
	bw.Write([]byte(`{"access_token":"` + tok + `"}`))
	bw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write([]byte(`var t = "` + tok + `";`))
	zw.Close()
	dcb := append(append([]byte(dcbMagic), dict[:]...), br.Bytes()...)
	dcz := append(append([]byte(dczMagic), dict[:]...), zs.Bytes()...)
	r := newRedactor(Options{})
	for _, tc := range []struct {
		mt, ce string
		data   []byte
	}{
		{"application/json", "dcb", dcb}, {"application/javascript", "dcz", dcz}, {"image/png", "dcb", dcb},
		{"application/json", "", dcb}, {"text/css", "", dcz},
	} {
		text := base64.StdEncoding.EncodeToString(tc.data)
		got := r.harText(tc.mt, tc.ce, text, true)
		dec, _ := base64.StdEncoding.DecodeString(got)
		if !strings.Contains(string(dec), "not decodable") {
			t.Errorf("%s under %q: %q", tc.mt, tc.ce, dec)
		}
	}
	plain := `{"access_token":"` + tok + `"}`
	if got := r.harText("application/json", "dcb", plain, false); strings.Contains(got, tok) || !strings.Contains(got, "access_token") {
		t.Errorf("decoded text under dcb: %s", got)
	}
}

// TestUTF16WithoutMark: a body in UTF-16 with neither a byte order mark
// nor a charset is known by its ASCII characters' zero bytes, redacted and
// written back the same way; text that only holds some zero bytes is not.
func TestUTF16WithoutMark(t *testing.T) {
	const tok = "Qx7Lp2Vw9Kz3Tn5R"
	r := newRedactor(Options{})
	for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		in := encodeUTF16([]byte(`{"refresh_token":"`+tok+`","expires_in":3600}`), order, false)
		got := r.bodyIn("application/json", in)
		text, o, bom, ok := utf16Text("", got)
		if !ok || bom || o != order || strings.Contains(string(text), tok) || !strings.Contains(string(text), `"expires_in":3600`) {
			t.Errorf("%v: %q", order, got)
		}
	}
	if _, ok := sniffUTF16([]byte("a\x00b\x00c\x00d\x00\x01\x02")); ok {
		t.Error("bytes with a control character read as UTF-16")
	}
}

// TestPackedValues: a value that is base64 of raw deflate or brotli of
// JSON is read decompressed and written compressed again the same way,
// its secrets fingerprinted and its other members kept.
func TestPackedValues(t *testing.T) {
	const tok = "Qx7Lp2Vw9Kz3Tn5R"
	doc := []byte(`{"refresh_token":"` + tok + `","exp":1800000000}`)
	var fl, br bytes.Buffer
	fw, _ := flate.NewWriter(&fl, flate.BestCompression)
	fw.Write(doc)
	fw.Close()
	bw := brotli.NewWriter(&br)
	bw.Write(doc)
	bw.Close()
	r := newRedactor(Options{})
	want := `{"refresh_token":"` + secret.Fingerprint(tok) + `","exp":1800000000}`
	for name, v := range map[string]string{"deflate": base64.StdEncoding.EncodeToString(fl.Bytes()), "br": base64.RawURLEncoding.EncodeToString(br.Bytes())} {
		got := string(r.body("application/json", []byte(`{"blob":"`+v+`"}`)))
		inner := strings.TrimSuffix(strings.TrimPrefix(got, `{"blob":"`), `"}`)
		raw, err := base64Of(inner).DecodeString(inner)
		if err != nil {
			t.Fatalf("%s: not base64: %s", name, got)
		}
		var dec []byte
		if name == "br" {
			dec, _ = readAllLimited(brotli.NewReader(bytes.NewReader(raw)))
		} else {
			dec, _ = readAllLimited(flate.NewReader(bytes.NewReader(raw)))
		}
		if string(dec) != want {
			t.Errorf("%s: %s, want %s", name, dec, want)
		}
	}
}

func readAllLimited(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}
