package oauth

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// readTokenJSONOld is the reading of a token response before jsonObject:
// json.Unmarshal into a map, then into each member. The reference the
// new reading must match.
func readTokenJSONOld(data []byte) (tj tokenJSON, ok bool) {
	var m map[string]json.RawMessage
	if unmarshalObject(data, &m) != nil {
		return tj, false
	}
	str := func(k string) string {
		var s string
		if raw, ok := m[k]; ok && json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	tj.access = str("access_token")
	tj.id = str("id_token")
	tj.refresh = str("refresh_token")
	tj.scope = str("scope")
	seconds := func(k string) int {
		raw, ok := m[k]
		if !ok {
			return 0
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			if v, err := n.Int64(); err == nil && v >= 0 && v < 1<<31 {
				return int(v)
			}
		} else if v, err := strconv.Atoi(str(k)); err == nil && v >= 0 {
			return v
		}
		return 0
	}
	tj.expiresIn = seconds("expires_in")
	tj.refreshExpiresIn = seconds("refresh_token_expires_in")
	tj.err = jsonProviderErrorOld(m)
	return tj, true
}

func jsonProviderErrorOld(m map[string]json.RawMessage) *model.ProviderError {
	str := func(k string) string {
		var s string
		if raw, ok := m[k]; ok && json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	e := str("error")
	if e == "" && str("error_description") == "" {
		return nil
	}
	pe := &model.ProviderError{
		Error:       e,
		Description: str("error_description"),
		TraceID:     str("trace_id"),
		Correlation: str("correlation_id"),
		Timestamp:   str("timestamp"),
		URI:         str("error_uri"),
		Suberror:    str("suberror"),
	}
	if raw, ok := m["error_codes"]; ok {
		var codes []json.RawMessage
		if json.Unmarshal(raw, &codes) == nil {
			for i, c := range codes {
				if i >= 32 {
					break
				}
				var n json.Number
				var s string
				if json.Unmarshal(c, &n) == nil {
					pe.Codes = appendUnique(pe.Codes, numericCode(n.String()))
				} else if json.Unmarshal(c, &s) == nil && s != "" {
					pe.Codes = appendUnique(pe.Codes, numericCode(s))
				}
			}
		}
	}
	for _, c := range codesInText(pe.Description) {
		pe.Codes = appendUnique(pe.Codes, c)
	}
	fillFromDescription(pe)
	return pe
}

// checkTokenJSON asserts that the new reading of data equals the old one,
// and that jsonObject holds what json.Unmarshal puts into a map.
func checkTokenJSON(t *testing.T, data []byte) {
	t.Helper()
	data = data[:len(data):len(data)] // a read past the end panics
	got, gotOK := readTokenJSON(data)
	want, wantOK := readTokenJSONOld(data)
	if gotOK != wantOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("readTokenJSON(%q)\n = %v %+v %+v\nwant %v %+v %+v", data, gotOK, got, got.err, wantOK, want, want.err)
	}
	var m map[string]json.RawMessage
	o, ok := parseJSONObject(data, nil)
	if ok != (unmarshalObject(data, &m) == nil) {
		t.Fatalf("parse(%q) = %v, json.Unmarshal disagrees", data, !gotOK)
	}
	if !gotOK {
		return
	}
	fromO := map[string]json.RawMessage{}
	for i := range o.members {
		fromO[o.members[i].name()] = o.members[i].val
	}
	if m == nil && len(fromO) == 0 {
		return
	}
	if !reflect.DeepEqual(fromO, m) {
		t.Fatalf("members of %q = %q, json.Unmarshal %q", data, fromO, m)
	}
	for k, v := range m {
		if raw, ok := o.get(k); !ok || !bytes.Equal(raw, v) {
			t.Fatalf("get(%q) of %q = %q %v, want %q", k, data, raw, ok, v)
		}
	}
}

// tokenBodies returns the response and request bodies of the repository's
// HAR fixtures (Entra, Okta, Google, Keycloak, GitHub, the lab's servers)
// and the Entra error answers of testdata/aad-responses.
func tokenBodies(t testing.TB) [][]byte {
	var files []string
	for _, root := range []string{filepath.Join("..", "testdata"), filepath.Join("..", "rules", "testdata")} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".har") {
				files = append(files, p)
			}
			return err
		})
	}
	var out [][]byte
	for _, f := range files {
		for _, ex := range readHAR(t, f) {
			if len(ex.Request.Body.Data) > 0 {
				out = append(out, ex.Request.Body.Data)
			}
			if ex.Response != nil && len(ex.Response.Body.Data) > 0 {
				out = append(out, ex.Response.Body.Data)
			}
		}
	}
	aad, _ := filepath.Glob(filepath.Join("testdata", "aad-responses", "*.json"))
	for _, f := range aad {
		if b, err := os.ReadFile(f); err == nil {
			out = append(out, b)
		}
	}
	return out
}

func TestTokenJSONFixtures(t *testing.T) {
	bodies := tokenBodies(t)
	tokens, errs := 0, 0
	for _, b := range bodies {
		checkTokenJSON(t, b)
		if tj, ok := readTokenJSON(b); ok {
			if tj.access != "" || tj.id != "" {
				tokens++
			}
			if tj.err != nil {
				errs++
			}
		}
		// Every cut of a body: the invalid texts must fail as they did.
		if len(b) < 8<<10 {
			for i := 0; i < len(b); i += 1 + len(b)/64 {
				checkTokenJSON(t, b[:i])
			}
		}
	}
	// The test means something only with many real answers of both kinds.
	if tokens < 30 || errs < 30 {
		t.Errorf("only %d token answers and %d error answers in %d bodies", tokens, errs, len(bodies))
	}
	t.Logf("%d bodies, %d with tokens, %d errors", len(bodies), tokens, errs)
}

func TestTokenJSONCases(t *testing.T) {
	for _, s := range []string{
		"", " ", "null", " null ", "nul", "nullx", "{}", "{} x", "{}}", "[]", `"x"`, "1", "{,}", `{"a":1,}`, `{"a" 1}`,
		`{"access_token":"a","access_token":"b"}`, `{"access_token":"a","access_token":null}`, `{"access_token":"a","access_token":1}`,
		`{"access_token":"a","acc\u0065ss_token":"b"}`, `{"access_token":"\u00e9\ud800x\"\\\/\b\f\n\r\t"}`, "{\"access_token\":\"\xff\xfe\"}",
		"{\"acc\xffess_token\":\"x\"}", `{"access_token":"\u12"}`, `{"access_token":"\u123`, `{"access_token":"\u12`, `{"access_token":"\`, `{"access_token":"ab`, `{"a":["\u123`, `{"access_token":"\x"}`, "{\"access_token\":\"a\x01\"}", "{\"access_token\":\"a\x1f\"}",
		`{"":"x","access_token":"y"}`, `{"id_token":true,"scope":{"a":[1,2,{"b":null}]},"refresh_token":[]}`,
		`{"expires_in":3600}`, `{"expires_in":"3600"}`, `{"expires_in":"+5"}`, `{"expires_in":"007"}`, `{"expires_in":007}`,
		`{"expires_in":-1}`, `{"expires_in":"-1"}`, `{"expires_in":1e3}`, `{"expires_in":"1e3"}`, `{"expires_in":2147483648}`,
		`{"expires_in":"+99999999999"}`, `{"expires_in":null}`, `{"expires_in":true}`, `{"expires_in":" 1"}`, `{"expires_in":"\u0031"}`,
		`{"expires_in":-0}`, `{"expires_in":1.}`, `{"expires_in":.5}`, `{"expires_in":-}`, `{"expires_in":1E+2}`,
		`{"error":"invalid_grant","error_description":"AADSTS70008: x\r\nTrace ID: 1\r\n","error_codes":[70008,"50126","x","",null,true,[1],{}]}`,
		`{"error":"e","error_codes":null}`, `{"error":"e","error_codes":"70008"}`, `{"error":"e","error_codes":[]}`, `{"error":"e","error_codes":[ 1 , 2 ]}`,
		`{"error_description":"only"}`, `{"error":null,"error_description":null}`, `{"error":1}`,
		`{"error":"e","error_codes":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34]}`,
		strings.Repeat("[", 10001), `{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
		`{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
		`{"a":` + strings.Repeat(`{"b":`, 9999) + "1" + strings.Repeat("}", 9999) + `}`,
		`{"a":` + strings.Repeat(`{"b":`, 10000) + "1" + strings.Repeat("}", 10000) + `}`,
		`{"a":[1 2]}`, `{"a":[1,]}`, `{"a":{"b"}}`, `{"a":{"b":1,}}`, `{"a":tru}`, `{"a":falsey}`, " \t\r\n{\"a\":\"b\"}\n",
		"\ufeff{}", "\f{}", `{"a":1}{}`,
	} {
		checkTokenJSON(t, []byte(s))
	}
}

// randomJSON writes a random JSON-ish text: mostly valid objects with the
// members a token response has, with duplicates, escapes, invalid UTF-8,
// numbers in strings and, now and then, a broken byte.
func randomJSON(r *rand.Rand, b *bytes.Buffer, depth int) {
	names := []string{"access_token", "id_token", "refresh_token", "scope", "expires_in", "error", "error_description",
		"error_codes", "trace_id", "correlation_id", "timestamp", "error_uri", "suberror", "acc\\u0065ss_token", "x", ""}
	strs := []string{"", "abc", "3600", "+5", "-7", "1e3", "\\u00e9", "\\ud800", "\\\"q\\\"", "\xff", "é", "AADSTS50126: bad\\r\\nTrace ID: t", "70008", " 1"}
	switch k := r.Intn(10); {
	case depth > 3 || k < 3:
		b.WriteString(`"` + strs[r.Intn(len(strs))] + `"`)
	case k == 3:
		b.WriteString([]string{"0", "-1", "3600", "1.5", "1e3", "2147483648", "-0", "99999999999999999999"}[r.Intn(8)])
	case k == 4:
		b.WriteString([]string{"null", "true", "false"}[r.Intn(3)])
	case k == 5:
		b.WriteByte('[')
		for i, n := 0, r.Intn(5); i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			randomJSON(r, b, depth+1)
		}
		b.WriteByte(']')
	default:
		b.WriteByte('{')
		for i, n := 0, r.Intn(8); i < n; i++ {
			if i > 0 {
				b.WriteString([]string{",", " , ", ",\n"}[r.Intn(3)])
			}
			b.WriteString(`"` + names[r.Intn(len(names))] + `":`)
			randomJSON(r, b, depth+1)
		}
		b.WriteByte('}')
	}
}

func TestTokenJSONRandom(t *testing.T) {
	r := rand.New(rand.NewSource(18))
	var b bytes.Buffer
	valid := 0
	for i := 0; i < 20000; i++ {
		b.Reset()
		b.WriteByte('{')
		b.WriteString(`"x":`)
		randomJSON(r, &b, 0)
		b.WriteByte('}')
		data := b.Bytes()
		if r.Intn(4) == 0 {
			data[r.Intn(len(data))] = "{}[],:\"\\ 0an\x00"[r.Intn(13)]
		}
		if json.Valid(data) {
			valid++
		}
		checkTokenJSON(t, data)
	}
	if valid < 10000 {
		t.Errorf("only %d valid texts", valid)
	}
}

// FuzzTokenJSON compares the reading of a token response with the one by
// encoding/json it replaced.
func FuzzTokenJSON(f *testing.F) {
	for _, b := range tokenBodies(f) {
		if len(b) < 16<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"expires_in":"+5","error_codes":[1,"2",null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkTokenJSON(t, data)
	})
}
