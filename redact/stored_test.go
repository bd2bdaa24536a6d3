package redact

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestHARStoredCompressed: a HAR body stored still compressed (base64 of
// gzip, zstd or zlib bytes, as some proxies export content.text) is
// redacted decompressed: the token it holds leaves the copy, what support
// reads of it stays, and the copy's body is the decompressed JSON.
func TestHARStoredCompressed(t *testing.T) {
	// writer compresses b through an io.WriteCloser of one coding.
	writer := func(b []byte, w func(io.Writer) io.WriteCloser) []byte {
		var buf bytes.Buffer
		zw := w(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	compress := map[string]func([]byte) []byte{
		"gzip": func(b []byte) []byte { return writer(b, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }) },
		"zlib": func(b []byte) []byte { return writer(b, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }) },
		"zstd": func(b []byte) []byte {
			return writer(b, func(w io.Writer) io.WriteCloser {
				zw, err := zstd.NewWriter(w)
				if err != nil {
					t.Fatal(err)
				}
				return zw
			})
		},
	}
	for _, name := range []string{"gzip", "zlib", "zstd"} {
		t.Run(name, func(t *testing.T) {
			token := "stored-" + name + "-access-token-7f3a9c2e5b1d"
			// A scope long enough that every coding compresses the
			// literals too (zstd keeps a short body's bytes as they are,
			// where a plain sweep of the bytes would find the token).
			scope := strings.Repeat("https://graph.microsoft.com/User.Read offline_access openid profile email ", 40)
			body := `{"access_token":"` + token + `","token_type":"Bearer","expires_in":3599,"scope":"` + scope + `"}`
			stored := compress[name]([]byte(body))
			if bytes.Contains(stored, []byte(token)) {
				t.Fatalf("the %s bytes hold the token as it is: the test would prove nothing", name)
			}
			if coding := storedCoding(stored); coding == "" {
				t.Fatalf("%s bytes %x… carry no signature storedCoding knows", name, stored[:4])
			}
			har := `{"log":{"version":"1.2","creator":{"name":"t","version":"1"},"entries":[{"startedDateTime":"2026-12-05T10:00:00.000Z","time":1,` +
				`"request":{"method":"POST","url":"https://login.example/oauth2/token","httpVersion":"HTTP/1.1","headers":[],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},` +
				`"response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[],"cookies":[],"redirectURL":"","headersSize":-1,"bodySize":-1,` +
				`"content":{"size":0,"mimeType":"application/json","encoding":"base64","text":"` + base64.StdEncoding.EncodeToString(stored) + `"}},` +
				`"cache":{},"timings":{"send":0,"wait":1,"receive":0}}]}}`
			out, _ := redactHAR(t, []byte(har), Options{})
			var doc struct {
				Log struct {
					Entries []struct {
						Response struct {
							Content struct{ Text string }
						}
					}
				}
			}
			if err := json.Unmarshal(out, &doc); err != nil || len(doc.Log.Entries) != 1 {
				t.Fatalf("copy does not read back: %v", err)
			}
			text, err := base64.StdEncoding.DecodeString(doc.Log.Entries[0].Response.Content.Text)
			if err != nil {
				t.Fatalf("copy's body is not base64: %v", err)
			}
			if bytes.Contains(out, []byte(token)) || bytes.Contains(text, []byte(token)) {
				t.Errorf("the stored %s body kept its token: %s", name, text)
			}
			if !strings.Contains(string(text), `"token_type":"Bearer"`) || !strings.Contains(string(text), `"expires_in":3599`) {
				t.Errorf("the copy's body is not the decompressed JSON with what support reads: %q", text)
			}
		})
	}
}

// TestStoredCodingSignatures: only bytes with a compression signature are
// decompressed; a JSON or text body, or a short one, is not.
func TestStoredCodingSignatures(t *testing.T) {
	for in, want := range map[string]string{
		"\x1f\x8b\x08\x00": "gzip", "\x28\xb5\x2f\xfd\x00": "zstd", "\x78\x9c\x00\x00": "deflate", "\x78\x01\x00\x00": "deflate",
		"\x78\xda\x00\x00": "deflate", `{"a":1}`: "", "xyzw": "", "\x78\x9d\x00\x00": "", "\x1f\x8b": "", "\x78\xbb\x00\x00": "",
	} {
		if got := storedCoding([]byte(in)); got != want {
			t.Errorf("storedCoding(%q) = %q, want %q", in, got, want)
		}
	}
}
