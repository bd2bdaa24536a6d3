package redact

import (
	"archive/zip"
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
	"testing"
	ttemplate "text/template"

	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/secret"
)

// The fourteenth round's shapes. Each input is written by the encoder that
// makes it in the wild (Go's mime/multipart and mime/quotedprintable, its
// html/template, its encoding/gob), but for the SAZ's chunk extensions,
// which no client at hand writes: a hand-made message for that one edge.

// tok14 is longer than a quoted-printable line (76 bytes), so the encoder
// breaks it with a soft line break.
const tok14 = "rt14-Qx7Lp2Vw9Kz3Tn5RabcdEFGH12345678wxyzQx7Lp2Vw9Kz3Tn5RabcdEFGH12345678wxyz0123456789"

// halves are the two pieces of tok14 around each possible soft break, long
// enough to mean something (no 16 bytes of the token survive anywhere).
func halves(tok string) []string {
	var out []string
	for i := 0; i+16 <= len(tok); i += 8 {
		out = append(out, tok[i:i+16])
	}
	return out
}

// TestQuotedPrintableParts: a multipart form whose part is sent
// quoted-printable, and a MIME message of lines, keep no piece of a token
// a soft line break split; the part's value gets the token's own
// fingerprint, as the token response's, and is written decoded (8bit).
func TestQuotedPrintableParts(t *testing.T) {
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("client_id", "web")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="refresh_token"`)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	qw := quotedprintable.NewWriter(pw)
	io.WriteString(qw, tok14)
	qw.Close()
	mw.Close()
	if !strings.Contains(mp.String(), "=\r\n") {
		t.Fatal("the encoder wrote no soft line break")
	}
	var msg bytes.Buffer
	msg.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qw = quotedprintable.NewWriter(&msg)
	io.WriteString(qw, "Your session was renewed.\r\naccess_token="+tok14+"&token_type=Bearer\r\n")
	qw.Close()
	if !strings.Contains(msg.String(), "access_token=3D") {
		t.Fatal("the encoder did not escape '='")
	}
	data := buildHAR(t,
		entry{Method: "POST", URL: "https://login.example.com/oauth2/token", Status: 200,
			ReqMIME: mw.FormDataContentType(), ReqBody: mp.String() + "",
			RespMIME: "application/json", RespBody: `{"access_token":"at-0123456789abcdef","refresh_token":"` + tok14 + `","token_type":"Bearer"}`},
		entry{Method: "POST", URL: "https://mail.example.com/api/send", Status: 202,
			ReqMIME: "message/rfc822", ReqBody: msg.String()},
	)
	red, _ := redactHAR(t, data, Options{})
	mustNotContain(t, red, halves(tok14)...)
	fp := secret.Fingerprint(tok14)
	mustContain(t, red, `name=\"refresh_token\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`+fp+`\r\n`,
		`\"refresh_token\":\"`+fp+`\"`, "Your session was renewed.", "Content-Transfer-Encoding: 8bit", `client_id\"\r\n\r\nweb\r\n`)
	again, _ := redactHAR(t, red, Options{})
	if !bytes.Equal(again, red) {
		t.Error("redacting the copy again changed it")
	}
}

// TestChunkExtensions: a SAZ's chunked body whose chunk-size lines carry
// extensions ("1a;ext=x", one a signature) is read through them; a body
// redaction leaves as it was is written without them, one it changes is
// written decoded, and a token split between two chunks is found.
func TestChunkExtensions(t *testing.T) {
	data := chunkExtSAZ(t)
	orig, _ := readSAZ(t, data, "")
	if len(orig) != 2 || string(orig[0].Response.Body.Data) != extPage || string(orig[1].Response.Body.Data) != extBody {
		t.Fatalf("the reader did not read the chunks through their extensions: %d exchanges", len(orig))
	}
	red, _ := redactSAZ(t, data, Options{})
	all := unzipAll(t, red)
	mustNotContain(t, all, extSig, "chunk-access-token-0123456789", "ext=x", `name="v"`)
	mustContain(t, all, fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(extPage), extPage))
	got, _ := readSAZ(t, red, "")
	if len(got) != 2 || string(got[0].Response.Body.Data) != extPage {
		t.Fatalf("the copy's page: %d exchanges", len(got))
	}
	ev0, ev1 := oauth.ExtractAll(orig), oauth.ExtractAll(got)
	if len(ev0) != len(ev1) || len(ev1) == 0 {
		t.Fatalf("events: %d in the original, %d in the copy", len(ev0), len(ev1))
	}
	if a, b := ev0[len(ev0)-1].AccessToken().Fingerprint(), ev1[len(ev1)-1].AccessToken().Fingerprint(); a != b || a == "" {
		t.Errorf("access token fingerprint %q became %q", a, b)
	}
}

const (
	extSig  = "sig-ext-Value-0123456789abcdef"
	extPage = `<html><body>Signed in.</body></html>`
	extBody = `{"access_token":"chunk-access-token-0123456789","token_type":"Bearer"}`
)

// chunkExtSAZ is a SAZ of two sessions whose answers are chunked with
// extensions: a page (its last chunk-size line carries a signature) and a
// token answer split inside the token.
func chunkExtSAZ(t testing.TB) []byte {
	page, body, sig := extPage, extBody, extSig
	half := 30 // inside the token
	chunkedPage := fmt.Sprintf("%x;ext=x\r\n%s\r\n0;sig=%s\r\n\r\n", len(page), page, sig)
	chunkedToken := fmt.Sprintf("%x;ext=x\r\n%s\r\n%x ; name=\"v\"\r\n%s\r\n0\r\n\r\n", half, body[:half], len(body)-half, body[half:])
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	add := func(name, data string) {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(data))
	}
	add("raw/1_c.txt", "GET https://app.example/done HTTP/1.1\r\nHost: app.example\r\n\r\n")
	add("raw/1_s.txt", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"+chunkedPage)
	add("raw/2_c.txt", "POST https://login.example.com/token HTTP/1.1\r\nHost: login.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials")
	add("raw/2_s.txt", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+chunkedToken)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestScriptLiteralLines: a script's string literal mixing line breaks
// written as \n with a value Go's text/template wrote into it by its js
// function (which escapes '=' and '&' as \u003D and \u0026, and a line
// break inside the value as \u000A) holds a token between lines; the copy
// replaces it and keeps the literal's escapes (a character the literal
// wrote two ways, its first way: the script reads the same string).
func TestScriptLiteralLines(t *testing.T) {
	const tok, tok2 = "js14-Kz3Tn5RabcdEFGH12345678wxyzQx7Lp2Vw9", "js14-second-Tn5RabcdEFGH12345678wxyzQx7"
	tmpl := ttemplate.Must(ttemplate.New("p").Parse("<html><script>var notice = \"Signed in.\\n{{js .A}}\\nWelcome back\";\n" +
		"var next = 'Renewed.\\n{{js .B}}';</script></html>"))
	var page bytes.Buffer
	if err := tmpl.Execute(&page, map[string]string{"A": "refresh_token=" + tok + "&expires_in=3600", "B": "ok\ncode=" + tok2}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`\u003D`, `\u0026`, `\u000A`, `\n`} {
		if !strings.Contains(page.String(), want) {
			t.Fatalf("text/template wrote no %s: %s", want, page.String())
		}
	}
	data := buildHAR(t, entry{Method: "GET", URL: "https://app.example/welcome", Status: 200, RespMIME: "text/html", RespBody: page.String()})
	red, _ := redactHAR(t, data, Options{})
	mustNotContain(t, red, tok, tok[:16], tok[16:], tok2, tok2[:16], tok2[16:])
	mustContain(t, red, `Signed in.\\nrefresh_token\\u003D`+url14(secret.Fingerprint(tok))+`\\u0026expires_in\\u003D3600\\nWelcome back`,
		`Renewed.\\nok\\ncode\\u003D`+url14(secret.Fingerprint(tok2))+`'`)
}

// TestOctetStreamTokens: a body that is no text (application/octet-stream:
// Go's gob of a session, a blob with a binary header) keeps no token: one
// after its name is fingerprinted as a pair, one alone (gob writes a value
// apart from its field's name) by its shape; the other bytes stay.
func TestOctetStreamTokens(t *testing.T) {
	const at, rt = "oct14-AccessTokenQx7Lp2Vw9Kz3Tn5RabcdEF", "oct14-RefreshTokenKz3Tn5RabcdEFGH1234wx"
	var g bytes.Buffer
	type session struct {
		User         string
		AccessToken  string
		RefreshToken string
		Expires      int64
	}
	if err := gob.NewEncoder(&g).Encode(session{User: "u-17", AccessToken: at, RefreshToken: rt, Expires: 3600}); err != nil {
		t.Fatal(err)
	}
	blob := append([]byte{0x89, 'T', 'K', 0x00, 0xff, 0x01}, []byte("access_token="+at+"&refresh_token="+rt)...)
	blob = append(blob, 0x00, 0xfe, 0x02)
	data := buildHAR(t,
		entry{Method: "GET", URL: "https://app.example/session.bin", Status: 200, RespMIME: "application/octet-stream", RespBody: g.String(), RespBase64: true},
		entry{Method: "GET", URL: "https://app.example/blob", Status: 200, RespMIME: "application/octet-stream", RespBody: string(blob), RespBase64: true},
	)
	red, _ := redactHAR(t, data, Options{})
	exs, _ := readHAR(t, red)
	for i, ex := range exs {
		b := ex.Response.Body.Data
		for _, s := range []string{at, rt} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("body %d keeps %s…", i, s[:8])
			}
		}
	}
	if b := exs[1].Response.Body.Data; !bytes.HasPrefix(b, []byte{0x89, 'T', 'K', 0x00, 0xff, 0x01}) ||
		!bytes.Contains(b, []byte("access_token="+url14(secret.Fingerprint(at)))) || !bytes.HasSuffix(b, []byte{0x00, 0xfe, 0x02}) {
		t.Errorf("the blob: %q", b)
	}
	if b := exs[0].Response.Body.Data; !bytes.Contains(b, []byte("AccessToken")) || !bytes.Contains(b, []byte(secret.Fingerprint(at))) {
		t.Errorf("the gob: %q", b)
	}
}

// url14 is a fingerprint as a form writes it.
func url14(fp string) string { return strings.Replace(fp, ":", "%3A", 1) }

// TestChunkedCutShort: a chunked body cut short (a chunk larger than what
// was stored, no last chunk) or with a size line no reader reads is
// copied as the reader reads it, redacted and written decoded, where it
// used to be refused by the guard (the raw framing held the token).
func TestChunkedCutShort(t *testing.T) {
	const tok = "broken-access-token-0123456789"
	for _, c := range []struct{ framed, read string }{
		{"4a\r\n{\"access_token\":\"" + tok + "\",\"token_type\":\"Bearer\"}", `{"access_token":"` + secret.Fingerprint(tok) + `","token_type":"Bearer"}`},
		{"ff\r\n{\"access_token\":\"" + tok + "\"", `{"access_token":"` + secret.Fingerprint(tok) + `"`},
		{"zz\r\n{\"access_token\":\"" + tok + "\"}\r\n0\r\n\r\n", ""},
	} {
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		for _, m := range [][2]string{
			{"raw/1_c.txt", "POST https://login.example.com/token HTTP/1.1\r\nHost: login.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials"},
			{"raw/1_s.txt", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + c.framed},
		} {
			name, data := m[0], m[1]
			f, err := w.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte(data))
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		red, _ := redactSAZ(t, buf.Bytes(), Options{})
		got, _ := readSAZ(t, red, "")
		if len(got) != 1 || got[0].Response == nil || string(got[0].Response.Body.Data) != c.read {
			t.Errorf("%q: the copy reads %q, want %q", c.framed, got[0].Response.Body.Data, c.read)
		}
		mustNotContain(t, unzipAll(t, red), tok, "chunked")
	}
}
