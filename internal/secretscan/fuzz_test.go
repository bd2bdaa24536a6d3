package secretscan

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// credNames are credential names in the naming styles traces use.
var credNames = []string{"access_token", "accessToken", "AccessToken", "access-token", "ACCESS_TOKEN",
	"refreshToken", "id_token", "x-api-key", "apiKey", "ApiKey", "client_secret", "clientSecret",
	"password", "userPassword", "SAMLResponse", "assertion", "client_assertion", "Ocp-Apim-Subscription-Key",
	"X-Custom-Token", "sessionToken", "wresult", "api_key", "sig"}

// seps are what a placed secret is surrounded by in a field.
var seps = []string{" ", "=", "&", "?", "/", "#", ",", ";", `"`, "'", "(", ")", "<", ">", "\n", "\t", "|"}

const b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func randB64(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = b64chars[r.IntN(64)]
	}
	// Real keys have letters and digits; make sure this one does.
	b[0], b[n-1] = 'K', byte('0'+r.IntN(10))
	return string(b)
}

func randJWT(r *rand.Rand) string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(fmt.Sprintf(`{"alg":"RS256","kid":"%s","typ":"JWT"}`, randB64(r, 8))))
	body := enc([]byte(fmt.Sprintf(`{"sub":"%s","sid":"%s","exp":%d}`, randB64(r, 12), randB64(r, 16), r.IntN(2e9))))
	sig := randB64(r, 20+r.IntN(300))
	if r.IntN(4) == 0 { // JWE: five parts, maybe an empty key
		key := ""
		if r.IntN(2) == 0 {
			key = randB64(r, 40)
		}
		return head + "." + key + "." + randB64(r, 16) + "." + sig + "." + randB64(r, 22)
	}
	return head + "." + body + "." + sig
}

// encodeDepth URL-encodes s d times, the way nested query strings do, with
// the dots escaped too at random (%2E, %252E, …).
func encodeDepth(r *rand.Rand, s string, d int) string {
	for k := 0; k < d; k++ {
		s = url.QueryEscape(s)
		if r.IntN(2) == 0 {
			s = strings.ReplaceAll(s, ".", "%2E")
		}
	}
	return s
}

// placed is one secret put in a HAR: the raw value and the text written.
type placed struct{ raw, text string }

func randSecret(r *rand.Rand) placed {
	switch r.IntN(5) {
	case 0, 1:
		tok := randJWT(r)
		return placed{tok, encodeDepth(r, tok, r.IntN(4))}
	case 2:
		v := randB64(r, 20+r.IntN(60))
		sp := []string{" ", "+", "%20", "%2520"}[r.IntN(4)]
		return placed{v, []string{"Bearer", "bearer", "BEARER"}[r.IntN(3)] + sp + v}
	case 3:
		v := strings.Repeat(fmt.Sprintf("%02x", r.IntN(256)), 1) + fmt.Sprintf("%x", r.Uint64()) + fmt.Sprintf("%x", r.Uint64()) + fmt.Sprintf("%016x", r.Uint64())
		return placed{v, fmt.Sprintf("CLIENT_TRAFFIC_SECRET_0 %016x%016x %s", r.Uint64(), r.Uint64(), v)}
	}
	v := randB64(r, 24+r.IntN(40))
	name := credNames[r.IntN(len(credNames))]
	d := r.IntN(3)
	switch r.IntN(4) {
	case 0:
		return placed{v, encodeDepth(r, name+"="+v, d)}
	case 1:
		return placed{v, `"` + name + `":"` + v + `"`}
	case 2:
		return placed{v, name + ": " + v}
	}
	return placed{v, name + " = '" + v + "'"}
}

// FuzzSweepFindsEveryToken builds a random HAR from the input, puts random
// JWTs and tokens (at random URL-encoding depths, behind random credential
// names) into random fields, and asserts that the sweep replaces every one:
// neither the raw value nor the text placed survives Redact, and Guard
// refuses the document.
func FuzzSweepFindsEveryToken(f *testing.F) {
	// Runs of one token68 byte: filler after a token (…sig=+++++).
	for _, s := range []string{"", "seed", "0123456789abcdef", "eyJ", "%252E", "Bearer x", strings.Repeat("+", 40), "=" + strings.Repeat("~", 30)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h := fnv.New64a()
		h.Write(data)
		r := rand.New(rand.NewPCG(h.Sum64(), uint64(len(data))))
		// Filler drawn from the input, so the fuzzer steers what sits
		// around the secrets; a separator always stands between.
		filler := func() string {
			if len(data) == 0 {
				return "x"
			}
			a := r.IntN(len(data))
			return string(data[a:min(len(data), a+r.IntN(24))])
		}
		var secrets []placed
		field := func() string {
			var b strings.Builder
			for k := r.IntN(3); k >= 0; k-- {
				b.WriteString(filler())
				if r.IntN(2) == 0 {
					s := randSecret(r)
					secrets = append(secrets, s)
					b.WriteString(seps[r.IntN(len(seps))])
					b.WriteString(s.text)
					b.WriteString(seps[r.IntN(len(seps))])
				}
			}
			return b.String()
		}
		var entries []any
		for e := r.IntN(4); e >= 0; e-- {
			entries = append(entries, map[string]any{
				"startedDateTime": "2026-01-02T03:04:05.000Z",
				"comment":         field(),
				"_initiator":      map[string]any{"type": "script", "url": "https://app.example/a.js?" + field()},
				"request": map[string]any{
					"method": "GET", "url": "https://idp.example/authorize?" + field() + "#" + field(),
					"headers": []any{map[string]any{"name": "X-Custom-Auth", "value": field()},
						map[string]any{"name": field(), "value": field()}},
					"queryString": []any{map[string]any{"name": "qs", "value": field()}},
					"postData":    map[string]any{"mimeType": "application/x-www-form-urlencoded", "text": field()},
				},
				"response": map[string]any{
					"status": 200,
					"content": map[string]any{"mimeType": "text/html",
						"text": "<html><script>" + field() + "</script><input type=hidden name=x value=\"" + field() + "\"></html>"},
					"headers": []any{map[string]any{"name": "Set-Cookie", "value": field()}},
				},
			})
		}
		har := map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]any{"name": "fuzz"},
			"pages": []any{map[string]any{"title": field()}}, "entries": entries}}
		doc, err := json.Marshal(har)
		if err != nil {
			t.Skip()
		}
		red := Redact(doc)
		for _, s := range secrets {
			// JSON escapes <, >, & and control bytes: look for the text
			// as the document holds it.
			enc, _ := json.Marshal(s.text)
			text := string(enc[1 : len(enc)-1])
			if strings.Contains(string(red), s.raw) || strings.Contains(string(red), text) {
				t.Fatalf("secret survived the sweep: placed as %q", s.text)
			}
		}
		if len(secrets) > 0 {
			g := NewGuard(discard{})
			var err error
			for i := 0; i < len(doc) && err == nil; i += 1 + int(binary.LittleEndian.Uint16(append(data, 0, 0)[:2]))%8192 {
				_, err = g.Write(doc[i:min(len(doc), i+1+int(binary.LittleEndian.Uint16(append(data, 0, 0)[:2]))%8192)])
			}
			if err == nil {
				t.Fatal("Guard let a document with secrets through")
			}
		}
		if _, ok := First(red); ok && len(Find(red)) > 0 {
			// Replacements must not themselves look like secrets.
			m, _ := First(red)
			t.Fatalf("redacted document still has a %s at %d", m.Kind, m.Start)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
