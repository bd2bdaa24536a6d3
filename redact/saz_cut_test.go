package redact

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestSAZCutCompressedBody: a SAZ body whose gzip stream is cut short (a
// capture or an export that ended mid-body) still holds, in what decodes
// of it, a token a lenient decoder recovers from the coded bytes; the copy
// writes that part decoded and redacted instead of the coded bytes. The
// input is a real Fiddler archive (saz/testdata/fluxzy-minimal.saz,
// provenance in saz/testdata/PROVENANCE.md) whose first response, gzip and
// chunked, becomes a token answer cut after its tokens.
func TestSAZCutCompressedBody(t *testing.T) {
	orig, err := os.ReadFile("../saz/testdata/fluxzy-minimal.saz")
	if err != nil {
		t.Fatal(err)
	}
	const access = "Qm4Vt8Xa2Lp7Rn3K" // shorter than the guard's shapes
	// A state echo of random text after the tokens, so that the cut
	// falls after them in what decodes.
	var echo strings.Builder
	for i := 0; echo.Len() < 3000; i++ {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		echo.WriteString(base64.RawURLEncoding.EncodeToString(sum[:]))
	}
	body := `{"access_token":"` + access + `","token_type":"Bearer","expires_in":3599,"scope":"openid profile","echo":"` + echo.String() + `"}`
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(body))
	zw.Close()
	for _, cut := range [][]byte{gz.Bytes()[:gz.Len()*2/3], cutInside(t, gz.Bytes(), access)} {
		sazCutCheck(t, orig, cut, access)
	}
}

func sazCutCheck(t *testing.T, orig, cut []byte, access string) {
	t.Helper()
	zr, _ := zip.NewReader(bytes.NewReader(orig), int64(len(orig)))
	var in bytes.Buffer
	w := zip.NewWriter(&in)
	replaced := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "raw/1_s.txt" {
			head, _, ok := bytes.Cut(data, []byte("\r\n\r\n"))
			if !ok || !bytes.Contains(head, []byte("Content-Encoding: gzip")) || !bytes.Contains(head, []byte("Transfer-Encoding: chunked")) {
				t.Fatal("raw/1_s.txt is no longer a gzip, chunked answer")
			}
			data = append(append(append(head, "\r\n\r\n"+strconv.FormatInt(int64(len(cut)), 16)+"\r\n"...), cut...), "\r\n0\r\n\r\n"...)
			replaced = true
		}
		fw, _ := w.Create(f.Name)
		fw.Write(data)
	}
	w.Close()
	if !replaced {
		t.Fatal("no raw/1_s.txt")
	}
	out, _ := redactSAZ(t, in.Bytes(), Options{})
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != "raw/1_s.txt" {
			continue
		}
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		// What a lenient reader gets of the copy's body, coded or not.
		_, b, _ := bytes.Cut(data, []byte("\r\n\r\n"))
		var lenient bytes.Buffer
		if i := bytes.Index(b, []byte{0x1f, 0x8b}); i >= 0 {
			if zr, err := gzip.NewReader(bytes.NewReader(b[i:])); err == nil {
				lenient.ReadFrom(zr)
			}
		}
		if bytes.Contains(data, []byte(access[:8])) || bytes.Contains(lenient.Bytes(), []byte(access[:8])) {
			t.Errorf("the copy's cut body still yields the access token or a part of it")
		}
		if !bytes.Contains(data, []byte(`{"access_token":"`)) {
			t.Errorf("the copy's body is not the decoded part, redacted")
		}
		return
	}
	t.Fatal("the copy has no raw/1_s.txt")
}
