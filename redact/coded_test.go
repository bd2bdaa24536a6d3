package redact

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/secret"
)

// TestBareTokenBody: a body that is one token, bare, as a JSON string or
// in hex, is fingerprinted; a body of one word that is no token (a GUID,
// a status word, a number, a sentence) stays as it is.
func TestBareTokenBody(t *testing.T) {
	r := newRedactor(Options{})
	const b64tok = "AQAEAFd0Wm9Ic2hqN2lQdTZ3c0VvR1hKbWZ0bXc9PQ=="
	const hex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
	for _, tc := range []struct{ mt, body, want string }{
		{"text/plain", b64tok + "\n", secret.Fingerprint(b64tok) + "\n"},
		{"application/json", `"` + b64tok + `"`, `"` + secret.Fingerprint(b64tok) + `"`},
		{"text/plain", hex, secret.Fingerprint(hex)},
		{"", hex, secret.Fingerprint(hex)},
	} {
		if got := string(r.body(tc.mt, []byte(tc.body))); got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.mt, tc.body, got, tc.want)
		}
	}
	for _, keep := range []string{"6a1c9b1e-0d2f-4e55-8a4c-2b9f7d3e1a00", "healthy", "1800000000", `"ok"`, "see the docs at the portal for your key",
		"abcdefabcdefabcdefabcdefabcdefabcdef"} {
		if got := string(r.body("text/plain", []byte(keep))); got != keep {
			t.Errorf("%q became %q", keep, got)
		}
	}
}

// TestCompressedValue: a value that is base64 of gzip of JSON is read
// decompressed and written compressed again, its secrets fingerprinted and
// its other members kept; one whose gzip does not decode is fingerprinted
// whole; a value that only starts like zlib is left alone.
func TestCompressedValue(t *testing.T) {
	r := newRedactor(Options{})
	const tok = "Qx7Lp2Vw9Kz3Tn5R"
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write([]byte(`{"refresh_token":"` + tok + `","exp":1800000000}`))
	w.Close()
	v := base64.StdEncoding.EncodeToString(z.Bytes())
	got := string(r.body("application/json", []byte(`{"payload":"`+v+`"}`)))
	inner := strings.TrimSuffix(strings.TrimPrefix(got, `{"payload":"`), `"}`)
	raw, err := base64.StdEncoding.DecodeString(inner)
	if err != nil {
		t.Fatalf("not base64: %s", got)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	var dec bytes.Buffer
	dec.ReadFrom(zr)
	if want := `{"refresh_token":"` + secret.Fingerprint(tok) + `","exp":1800000000}`; dec.String() != want {
		t.Errorf("decompressed: %s, want %s", dec.String(), want)
	}
	cut := base64.StdEncoding.EncodeToString(z.Bytes()[:20])
	if got := string(r.body("application/json", []byte(`{"payload":"`+cut+`"}`))); got != `{"payload":"`+secret.Fingerprint(cut)+`"}` {
		t.Errorf("undecodable gzip: %s", got)
	}
	// 0x78 0x9c is a zlib header; the rest decodes to nothing.
	zl := base64.StdEncoding.EncodeToString([]byte("\x78\x9cnot-a-stream-at-all"))
	if got := string(r.body("application/json", []byte(`{"id":"`+zl+`"}`))); got != `{"id":"`+zl+`"}` {
		t.Errorf("zlib lookalike: %s", got)
	}
}

// TestUTF16Body: a body in UTF-16, known by its byte order mark or its
// charset, is redacted as text and written back in UTF-16 the same way;
// bytes that are no UTF-16 text under that charset are left to body.
func TestUTF16Body(t *testing.T) {
	r := newRedactor(Options{})
	const tok = "Qx7Lp2Vw9Kz3Tn5R"
	in := `{"token_type":"Bearer","access_token":"` + tok + `"}`
	want := `{"token_type":"Bearer","access_token":"` + secret.Fingerprint(tok) + `"}`
	for _, tc := range []struct {
		ct    string
		order byteOrder
		bom   bool
	}{
		{"application/json", binary.LittleEndian, true},
		{"application/json", binary.BigEndian, true},
		{"application/json; charset=utf-16le", binary.LittleEndian, false},
		{"application/json; charset=\"UTF-16\"", binary.BigEndian, false},
		{"application/json; charset=utf-16", binary.LittleEndian, false},
	} {
		got := r.bodyIn(tc.ct, encodeUTF16([]byte(in), tc.order, tc.bom))
		if !bytes.Equal(got, encodeUTF16([]byte(want), tc.order, tc.bom)) {
			t.Errorf("%s (bom %v): %q", tc.ct, tc.bom, got)
		}
	}
	odd := []byte{0xff, 0xfe, 'a'}
	if got := r.bodyIn("application/octet-stream", odd); !bytes.Equal(got, odd) {
		t.Errorf("odd bytes changed: %q", got)
	}
}
