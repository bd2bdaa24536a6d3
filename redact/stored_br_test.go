package redact

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// TestHARStoredBrotliDeflate: a HAR body stored still compressed with
// brotli or raw deflate, which carry no signature, is found by the
// response's Content-Encoding (or, without one, by bytes that are no text
// under a JSON type that decode whole), redacted decompressed, and a token
// issued in it is swept where it turns up again. One that does not decode
// is replaced by a note, never copied. The input is the repository's copy
// of a real third-party HAR of an Okta code + PKCE flow
// (testdata/samples/okta-har-analyzer-sample.har, provenance in
// testdata/samples/PROVENANCE.md): its token response is stored compressed
// and carries an opaque refresh token, which a later request echoes.
func TestHARStoredBrotliDeflate(t *testing.T) {
	orig, err := os.ReadFile("../testdata/samples/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	const rt = "rT5hN2cG8kY4pJ7vB1xM6zQ3wE9s"
	body := `{"token_type":"Bearer","expires_in":3600,"refresh_token":"` + rt + `","scope":"openid profile email"}`
	brotliOf := func(b []byte) []byte {
		var buf bytes.Buffer
		w := brotli.NewWriterLevel(&buf, 5)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	deflateOf := func(b []byte) []byte {
		var buf bytes.Buffer
		w, _ := flate.NewWriter(&buf, 6)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	garbage := append(brotliOf([]byte(body))[:20], 0, 1, 2, 3, 0xff, 0xfe)
	gzipOf := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	cases := []struct {
		name, ce string
		stored   []byte
		opaque   bool
	}{
		// Cut inside the refresh token: what decodes ends with a part of
		// it, which must not be copied either.
		{"gzip cut inside the token", "gzip", cutInside(t, gzipOf([]byte(body)), rt), false},
		{"raw deflate cut inside the token", "deflate", cutInside(t, deflateOf([]byte(body)), rt), false},
		{"br", "br", brotliOf([]byte(body)), false},
		{"raw deflate", "deflate", deflateOf([]byte(body)), false},
		{"br without Content-Encoding", "", brotliOf([]byte(body)), false},
		{"raw deflate without Content-Encoding", "", deflateOf([]byte(body)), false},
		{"br that does not decode", "br", garbage, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(orig, &doc); err != nil {
				t.Fatal(err)
			}
			entries := doc["log"].(map[string]any)["entries"].([]any)
			resp := entries[5].(map[string]any)["response"].(map[string]any)
			content := resp["content"].(map[string]any)
			if !strings.Contains(content["text"].(string), `"token_type":"Bearer"`) {
				t.Fatal("entries[5] is no longer the token response")
			}
			content["text"] = base64.StdEncoding.EncodeToString(c.stored)
			content["encoding"] = "base64"
			content["mimeType"] = "application/json"
			if c.ce != "" {
				resp["headers"] = append(resp["headers"].([]any), map[string]any{"name": "Content-Encoding", "value": c.ce})
			}
			// The refresh token comes back in a later request's query,
			// under a name that says nothing (not where the body cannot
			// be read: nothing can tell it is a token there).
			later := map[string]any{}
			b, _ := json.Marshal(entries[1])
			json.Unmarshal(b, &later)
			later["request"].(map[string]any)["url"] = "https://myapp.example.com/api/renew?v=" + rt
			if c.opaque || strings.Contains(c.name, "cut") {
				later["request"].(map[string]any)["url"] = "https://myapp.example.com/api/renew"
			}
			doc["log"].(map[string]any)["entries"] = append(entries, later)
			in, _ := json.Marshal(doc)
			if bytes.Contains(in, []byte(`"refresh_token":"`+rt)) {
				t.Fatal("the planted body holds the token as it is: the test would prove nothing")
			}
			out, st := redactHAR(t, in, Options{})
			if bytes.Contains(out, []byte(rt[:8])) {
				t.Errorf("the copy holds the refresh token or a part of it")
			}
			var got struct {
				Log struct {
					Entries []struct {
						Response struct {
							Content struct{ Text string }
						}
					}
				}
			}
			if err := json.Unmarshal(out, &got); err != nil || len(got.Log.Entries) != 7 {
				t.Fatalf("copy does not read back: %v", err)
			}
			text, err := base64.StdEncoding.DecodeString(got.Log.Entries[5].Response.Content.Text)
			if err != nil {
				t.Fatalf("copy's body is not base64: %v", err)
			}
			if bytes.Contains(text, c.stored[:min(len(c.stored), 12)]) {
				t.Errorf("the copy kept the compressed bytes")
			}
			if c.opaque {
				if !strings.Contains(string(text), "not decodable") {
					t.Errorf("an undecodable body is not replaced by the note: %q", text)
				}
				if len(st.Notes) == 0 || !strings.Contains(st.Notes[len(st.Notes)-1].Message, "br-compressed") {
					t.Errorf("no note says a body was removed: %+v", st.Notes)
				}
				return
			}
			if strings.Contains(c.name, "cut") {
				if !strings.HasPrefix(string(text), `{"token_type":"Bearer","expires_in":3600,"refresh_token":"`) {
					t.Errorf("the copy's body is not the part that decodes: %q", text)
				}
				return
			}
			if !strings.Contains(string(text), `"token_type":"Bearer"`) || !strings.Contains(string(text), `"scope":"openid profile email"`) {
				t.Errorf("the copy's body is not the decompressed JSON with what support reads: %q", text)
			}
			if !bytes.Contains(out, []byte("api/renew?v=sha256%3A")) {
				t.Errorf("the echoed refresh token is not fingerprinted where it comes back")
			}
		})
	}
	// A body browsers stored decoded under the same header stays as it is,
	// a binary one (decoded by the browser) too. (gRPC-web was this case
	// until the thirteenth round: its fields have no names, and it is now
	// replaced by a note whatever its coding; see TestShapes13.)
	out, _ := redactHAR(t, orig, Options{})
	if !bytes.Contains(out, []byte(`Okta Login Page`)) {
		t.Errorf("a plain body was changed")
	}
	var doc map[string]any
	json.Unmarshal(orig, &doc)
	resp := doc["log"].(map[string]any)["entries"].([]any)[5].(map[string]any)["response"].(map[string]any)
	grpc := base64.StdEncoding.EncodeToString([]byte("\x00\x00\x00\x00\x1e\x0a\x1cprojects/p1/locations/global\x12\x02ok"))
	resp["content"] = map[string]any{"mimeType": "application/octet-stream", "encoding": "base64", "text": grpc}
	resp["headers"] = append(resp["headers"].([]any), map[string]any{"name": "Content-Encoding", "value": "gzip"})
	in, _ := json.Marshal(doc)
	if out, _ := redactHAR(t, in, Options{}); !bytes.Contains(out, []byte(grpc)) {
		t.Errorf("a binary body stored decoded under Content-Encoding was changed")
	}
}

// cutInside returns the longest head of a compressed stream whose part that
// decodes (as a lenient decoder reads it) ends inside secret.
func cutInside(t *testing.T, stored []byte, secret string) []byte {
	t.Helper()
	for k := len(stored) - 1; k > 0; k-- {
		var dec bytes.Buffer
		if stored[0] == 0x1f {
			if zr, err := gzip.NewReader(bytes.NewReader(stored[:k])); err == nil {
				dec.ReadFrom(zr)
			}
		} else {
			dec.ReadFrom(flate.NewReader(bytes.NewReader(stored[:k])))
		}
		if bytes.Contains(dec.Bytes(), []byte(secret[:8])) && !bytes.Contains(dec.Bytes(), []byte(secret)) {
			return stored[:k]
		}
	}
	t.Fatal("no head of the stream decodes to a part of the secret")
	return nil
}
