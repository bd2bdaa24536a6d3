package redact

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/internal/secretscan"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/saz"
)

// FuzzRedactHAR: redacting arbitrary input never panics, and when the
// input reads as a HAR the copy reads as a HAR with as many exchanges.
func FuzzRedactHAR(f *testing.F) {
	for i, file := range harFixtures(f) {
		if testing.Short() && i%4 != 0 {
			// CI's race step runs the seeds several times slower; the
			// tests step and the fuzz step, without -short, take them all.
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Add(buildHAR(f, entry{Method: "POST", URL: "https://l.example.com/token?code=c0de-0123456789", ReqMIME: "application/json",
		ReqBody: `{"code_verifier":"` + verifierA + `","nested":{"refresh_token":"rt-0123456789ab"}}`, Status: 200,
		RespMIME: "text/html", RespBody: `<input name="code" value="x&amp;y">`}))
	// The fourteenth round's shapes: a quoted-printable part, a script
	// literal of \n and \u003D, a binary body with a token.
	f.Add(buildHAR(f, entry{Method: "POST", URL: "https://l.example.com/token", Status: 200,
		ReqMIME: "multipart/form-data; boundary=b", ReqBody: "--b\r\nContent-Disposition: form-data; name=\"refresh_token\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nrt-0123=\r\n456789ab=3D\r\n--b--\r\n",
		RespMIME: "application/octet-stream", RespBase64: true, RespBody: "\x00\xffaccess_token=at-0123456789abcdef\x01"},
		entry{Method: "GET", URL: "https://app.example/", Status: 200, RespMIME: "text/html",
			RespBody: `<script>var s = "a\nrefresh_token\u003Drt-0123456789ab\u0026x\u003D1";</script>`}))
	f.Fuzz(func(t *testing.T, data []byte) {
		limits := model.Limits{BodyBytes: 1 << 16, InflateBytes: 1 << 22}
		var out bytes.Buffer
		_, err := HAR(bytes.NewReader(data), &out, Options{Limits: limits})
		in, inErr := har.NewReader(bytes.NewReader(data), har.Options{Limits: limits})
		if inErr != nil {
			return
		}
		var leak *secretscan.LeakError
		if errors.As(err, &leak) {
			return // refused: fail closed is a valid outcome
		}
		if err != nil {
			t.Fatalf("input reads as a HAR but redaction failed: %v", err)
		}
		want, err := model.ReadAll(in)
		if err != nil {
			return // an I/O failure cannot happen on a bytes.Reader
		}
		cp, err := har.NewReader(bytes.NewReader(out.Bytes()), har.Options{Limits: limits})
		if err != nil {
			t.Fatalf("copy does not read as a HAR: %v", err)
		}
		got, err := model.ReadAll(cp)
		if err != nil {
			t.Fatalf("copy: %v", err)
		}
		if damaged(in.Notes()) {
			// On a damaged input the copy keeps each unreadable entry's
			// place as null and stops where its own framing stops, which
			// need not be where the reader stopped: only validity (above)
			// holds there, not the count.
			return
		}
		if len(got) != len(want) {
			t.Fatalf("copy has %d exchanges, input %d", len(got), len(want))
		}
	})
}

// damaged reports whether the HAR reader found part of its input unreadable.
func damaged(notes []model.Note) bool {
	for _, n := range notes {
		switch n.Kind {
		case model.NoteTruncated, model.NoteDamaged, model.NoteBadEntry:
			return true
		}
	}
	return false
}

// FuzzRedactSAZ: redacting arbitrary input never panics, and when the
// input reads as a SAZ the copy reads as a SAZ with as many exchanges.
func FuzzRedactSAZ(f *testing.F) {
	files, err := filepath.Glob(sazFixtures)
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 64<<10 {
			f.Add(data)
		}
	}
	data, err := os.ReadFile(filepath.Join("..", "rules", "testdata", "multitab-verifier.har"))
	if err != nil {
		f.Fatal(err)
	}
	exs, ok := tryReadHAR(data)
	if !ok {
		f.Fatal("multitab-verifier.har does not read")
	}
	f.Add(sazFromExchanges(f, exs))
	f.Add(chunkExtSAZ(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		limits := model.Limits{BodyBytes: 1 << 16, InflateBytes: 1 << 22}
		var out bytes.Buffer
		_, err := SAZ(bytes.NewReader(data), int64(len(data)), &out, Options{Limits: limits})
		in, inErr := saz.NewReader(bytes.NewReader(data), int64(len(data)), saz.Options{Limits: limits})
		if inErr != nil {
			return
		}
		var leak *secretscan.LeakError
		if errors.As(err, &leak) {
			return // refused: fail closed is a valid outcome
		}
		if err != nil {
			t.Fatalf("input reads as a SAZ but redaction failed: %v", err)
		}
		want, _ := model.ReadAll(in)
		cp, err := saz.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()), saz.Options{Limits: limits})
		if err != nil {
			t.Fatalf("copy does not read as a SAZ: %v", err)
		}
		got, _ := model.ReadAll(cp)
		if len(got) != len(want) {
			t.Fatalf("copy has %d exchanges, input %d", len(got), len(want))
		}
	})
}
