package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/secret"
)

// walkJSONSecrets is what appendJSONSecrets must find, written as the walk
// of a parsed document it replaced (gjson, any depth below
// maxIssuedDepth): the reference of FuzzJSONSecrets.
func walkJSONSecrets(t []byte) []string {
	var out []string
	var walk func(v gjson.Result, name string, depth int)
	walk = func(v gjson.Result, name string, depth int) {
		switch {
		case v.Type == gjson.String:
			if name != "" && v.Str != "" && secret.IsCredentialName(name) {
				out = append(out, v.Str)
			}
		case (v.IsObject() || v.IsArray()) && depth < maxIssuedDepth:
			obj := v.IsObject()
			holder := name != "" && (secret.IsCredentialName(name) || secret.IsSessionParam(name))
			v.ForEach(func(k, x gjson.Result) bool {
				n := name
				if obj {
					n = k.Str
					if secret.TokenKey(k.Str, holder) {
						out = append(out, k.Str)
					}
				}
				walk(x, n, depth+1)
				return true
			})
		}
	}
	walk(gjson.ParseBytes(t), "", 0)
	return out
}

func reveal(vs []secret.Secret) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Reveal())
	}
	return out
}

var jsonSecretSeeds = []string{
	`{"access_token":"at-0123456789","token_type":"Bearer","refresh_tokens":["rt-1","rt-2"],"nested":{"sessionToken":"st\"x\u0041y"}}`,
	`{"cache":{"Zk8Pq2Lm5Rt9Wx3Yb7Nc4Vd6Hs1J":{"expires_on":1705315800}},"refresh_tokens":{"Rt7kQ2xW9pL4mN8v":{"x":"y"}}}`,
	`[{"client_secret":"s3cr3t"},[["a"]],{"password":"p\\","k":{"token":{"value":"v-123456"}}}]`,
	`{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":{"l":{"m":{"n":{"o":{"p":{"q":{"token":"deep-token-1"}}}}}}}}}}}}}}},"token":"shallow-1"}}}`,
	`{"id_token" : "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln", "x": [ "token" , {"secret": "\ud83d\ude00"} ] }`,
}

// TestJSONSecrets: the one-pass reader finds what the walk of the parsed
// document found, in the same order, on the seeds (a token answer, token
// caches by key, arrays under a credential's name, escapes, nesting past
// maxIssuedDepth), and reads a document cut short as far as it goes.
func TestJSONSecrets(t *testing.T) {
	for _, s := range jsonSecretSeeds {
		got, want := reveal(appendJSONSecrets(nil, []byte(s), nameCache{}, false)), walkJSONSecrets([]byte(s))
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", s, got, want)
		}
	}
	cut := `{"token_type":"Bearer","access_token":"at-cut-0123456789","refresh_token":"rt-cut-01`
	if got := reveal(appendJSONSecrets(nil, []byte(cut), nameCache{}, false)); !slices.Equal(got, []string{"at-cut-0123456789"}) {
		t.Errorf("a body cut short: got %q", got)
	}
}

// FuzzJSONSecrets: on any valid JSON document the one-pass reader finds
// exactly what the walk of the parsed document finds, in order; on any
// input it does not panic.
func FuzzJSONSecrets(f *testing.F) {
	for _, s := range jsonSecretSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := reveal(appendJSONSecrets(nil, []byte(s), nameCache{}, false))
		if !gjson.Valid(s) || strings.TrimSpace(s) == "" {
			return
		}
		if c := strings.TrimLeft(s, " \t\r\n"); c[0] != '{' && c[0] != '[' {
			return // appendIssuedSecrets reads objects and arrays only
		}
		if want := walkJSONSecrets([]byte(s)); !slices.Equal(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", s, got, want)
		}
	})
}

// TestJSONSecretsTopParams: a request's JSON body learns its top-level
// OAuth parameters (an app's token request sent as JSON), not the same
// names nested deeper nor in an answer.
func TestJSONSecretsTopParams(t *testing.T) {
	body := `{"grant_type":"authorization_code","code":"c0de-0123456789","code_verifier":"v3r-0123456789","app":{"state":"st-0123456789"},"refresh_token":"rt-0123456789"}`
	if got, want := reveal(appendJSONSecrets(nil, []byte(body), nameCache{}, true)), []string{"c0de-0123456789", "v3r-0123456789", "rt-0123456789"}; !slices.Equal(got, want) {
		t.Errorf("request body: %q, want %q", got, want)
	}
	if got, want := reveal(appendJSONSecrets(nil, []byte(body), nameCache{}, false)), []string{"rt-0123456789"}; !slices.Equal(got, want) {
		t.Errorf("answer: %q, want %q", got, want)
	}
}
