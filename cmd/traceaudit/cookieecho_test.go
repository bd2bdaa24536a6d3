package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeHAR writes doc as a HAR in a test directory and returns its path.
func writeHAR(t *testing.T, doc map[string]any, name string) string {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cloneEntry is a deep copy of a HAR entry decoded into maps.
func cloneEntry(entry any) map[string]any {
	e := map[string]any{}
	b, _ := json.Marshal(entry)
	json.Unmarshal(b, &e)
	return e
}

// listingRuns are the commands whose outputs must not show a trace's
// secrets: scan in each of scanFormats, events and exchanges in table,
// json and jsonl, and compare.
func listingRuns(path string, scanFormats ...string) [][]string {
	var runs [][]string
	for _, f := range scanFormats {
		runs = append(runs, []string{"scan", "-f", f, "--fail-on", "never", path})
	}
	for _, f := range []string{"table", "json", "jsonl"} {
		runs = append(runs, []string{"events", "-f", f, path}, []string{"exchanges", "-f", f, path})
	}
	return append(runs, []string{"compare", "-f", "json", path, path})
}

// assertNotShown runs each command and fails when its output (or error
// stream) holds one of raws.
func assertNotShown(t *testing.T, runs [][]string, raws ...string) {
	t.Helper()
	for _, args := range runs {
		code, out, errOut := runCLI(t, nil, args...)
		if code == exitTrouble {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		for _, v := range raws {
			if strings.Contains(out+errOut, v) {
				t.Errorf("%v: %s… is shown raw", args[:3], v[:min(6, len(v))])
			}
		}
	}
}

// plantOktaEchoes returns the repository's copy of a real third-party HAR
// of an Okta code + PKCE flow (testdata/samples/okta-har-analyzer-
// sample.har, provenance in testdata/samples/PROVENANCE.md) with values
// of its own cookies echoed where no name says they are secrets: the
// token endpoint answering with a gateway's page and a refused callback's
// error_description quoting the Set-Cookie sid (newsessiontoken456) and
// the cache key below, and a later request
// whose innocuous parameters carry the Cookie idx (sessioncookie123) and
// app_session (existing123, 11 bytes) values. The /api/v1/authn answer
// gets a token cache keyed by an opaque token (no name holds it), and a
// request sends ordinary cookie values (en-US, true, a timestamp) that are
// echoed too and must stay readable.
func plantOktaEchoes(t *testing.T, key string) string {
	t.Helper()
	orig, err := os.ReadFile("../../testdata/samples/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"sid=newsessiontoken456;", "idx=sessioncookie123", "app_session=existing123"} {
		if !strings.Contains(string(orig), c) {
			t.Fatalf("the sample no longer carries the cookie %s", c)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(orig, &doc); err != nil {
		t.Fatal(err)
	}
	entries := doc["log"].(map[string]any)["entries"].([]any)
	authn := entries[2].(map[string]any)["response"].(map[string]any)["content"].(map[string]any)
	authn["text"] = strings.Replace(authn["text"].(string), `"status":"SUCCESS"`, `"status":"SUCCESS","cache":{"`+key+`":{"expires_on":1705315800}}`, 1)
	// The token endpoint answers with a gateway's page quoting them.
	resp := entries[5].(map[string]any)["response"].(map[string]any)
	resp["content"] = map[string]any{"mimeType": "text/html", "text": "<html><body><h1>Access blocked</h1><p>Session newsessiontoken456 of " + key +
		" was refused by the gateway.</p></body></html>"}
	clone := func(i int, url string, cookie string) map[string]any {
		e := cloneEntry(entries[i])
		req := e["request"].(map[string]any)
		req["url"], req["queryString"] = url, []any{}
		req["headers"] = []any{map[string]any{"name": "Cookie", "value": cookie}}
		return e
	}
	doc["log"].(map[string]any)["entries"] = append(entries,
		clone(4, "https://myapp.example.com/callback?error=access_denied&error_description=session+newsessiontoken456+and+"+key+"+refused&state=xyzstate",
			"app_session=existing123; locale=en-US; consent=true; ts=1705315800"),
		clone(1, "https://myapp.example.com/home?ref=sessioncookie123&a=existing123&k="+key+"&lang=en-US&c=true&t=1705315800",
			"idx=sessioncookie123; locale=en-US; consent=true; ts=1705315800"))
	return writeHAR(t, doc, "echo.har")
}

// TestOutputsScrubCookieEchoes: a cookie's value (request Cookie,
// response Set-Cookie) that comes back without its name, and a token a
// JSON answer uses as an object's key, are fingerprinted in every output
// of scan, events, exchanges and compare, as the sanitized copy sweeps
// them; ordinary cookie values (en-US, true, a timestamp) stay as they
// are, and --no-redact shows everything.
func TestOutputsScrubCookieEchoes(t *testing.T) {
	const key = "Zk8Pq2Lm5Rt9Wx3Yb7Nc4Vd6Hs1J" // a cache key: a token by its shape
	path := plantOktaEchoes(t, key)
	secrets := []string{"newsessiontoken456", "sessioncookie123", "existing123", key}
	assertNotShown(t, listingRuns(path, "table", "json", "jsonl", "sarif", "markdown", "html", "csv"), secrets...)
	// The echoes are shown (so the checks above can fail), the ordinary
	// values kept.
	for _, args := range [][]string{{"exchanges", "-f", "jsonl", path}, {"events", "-f", "jsonl", path}, {"scan", "-f", "json", "--fail-on", "never", path}} {
		_, out, _ := runCLI(t, nil, append([]string{args[0], "--no-redact"}, args[1:]...)...)
		for _, v := range secrets {
			if args[0] != "exchanges" && (v == "sessioncookie123" || v == "existing123") {
				continue // not in a URL or a text this output shows
			}
			if !strings.Contains(out, v) {
				t.Errorf("%v --no-redact does not show %s…: the check proves nothing", args[:1], v[:6])
			}
		}
	}
	_, out, _ := runCLI(t, nil, "exchanges", "-f", "jsonl", path)
	if !strings.Contains(out, "lang=en-US&c=true&t=1705315800") {
		t.Error("ordinary cookie values echoed in a URL are no longer readable")
	}
}

// TestOutputsScrubURLEncodedCookieEchoes: a cookie value holding '/' or
// '+' (Google's APISID, base64 session cookies) that comes back
// URL-encoded, here in the error_description of a token endpoint's JSON
// answer, which the events show as sent, is fingerprinted in every output
// as the sanitized copy sweeps it (redact learns the encoded form too).
func TestOutputsScrubURLEncodedCookieEchoes(t *testing.T) {
	const cookie = "Zq8Xk2/Lm9+Pw7Rt4Vb6Nc1Hy3Jd5Fg0"
	const encoded = "Zq8Xk2%2FLm9%2BPw7Rt4Vb6Nc1Hy3Jd5Fg0"
	orig, err := os.ReadFile("../../testdata/samples/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(orig, &doc); err != nil {
		t.Fatal(err)
	}
	entries := doc["log"].(map[string]any)["entries"].([]any)
	tok := entries[5].(map[string]any)
	req := tok["request"].(map[string]any)
	if !strings.Contains(req["url"].(string), "/token") {
		t.Fatalf("entries[5] is no longer the token request: %s", req["url"])
	}
	req["headers"] = append(req["headers"].([]any), map[string]any{"name": "Cookie", "value": "APISID=" + cookie})
	resp := tok["response"].(map[string]any)
	resp["status"] = 400
	resp["content"] = map[string]any{"mimeType": "application/json",
		"text": `{"error":"invalid_grant","error_description":"session ` + encoded + ` expired"}`}
	path := writeHAR(t, doc, "echo.har")
	assertNotShown(t, listingRuns(path, "json", "markdown"), encoded, cookie)
	_, out, _ := runCLI(t, nil, "events", "--no-redact", "-f", "json", path)
	if !strings.Contains(out, encoded) {
		t.Error("events --no-redact does not show the encoded echo: the check proves nothing")
	}
}

// TestOutputsScrubURLEncodedCodeEchoes: a Google authorization code
// ("4/0AX…", rules/testdata/pkce-verifier-missing.har) quoted URL-encoded
// in the token endpoint's error_description and twice encoded in a later
// request's return URL is fingerprinted in every output.
func TestOutputsScrubURLEncodedCodeEchoes(t *testing.T) {
	const code = "0AX4XfWh-google-code-1" // after "4/"
	orig, err := os.ReadFile("../../rules/testdata/pkce-verifier-missing.har")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(orig), "code=4%2F"+code) {
		t.Fatal("the trace no longer carries the Google code")
	}
	var doc map[string]any
	if err := json.Unmarshal(orig, &doc); err != nil {
		t.Fatal(err)
	}
	entries := doc["log"].(map[string]any)["entries"].([]any)
	resp := entries[2].(map[string]any)["response"].(map[string]any)
	resp["content"] = map[string]any{"mimeType": "application/json",
		"text": `{"error":"invalid_grant","error_description":"Bad code 4%2F` + code + ` given"}`}
	e := cloneEntry(entries[1])
	e["request"].(map[string]any)["url"] = "http://localhost:5173/error?msg=code+4%252F" + code + "+failed"
	e["request"].(map[string]any)["queryString"] = []any{}
	doc["log"].(map[string]any)["entries"] = append(entries, e)
	path := writeHAR(t, doc, "echo.har")
	assertNotShown(t, listingRuns(path, "json", "markdown"), code)
	for _, args := range [][]string{{"events", "--no-redact", "-f", "json", path}, {"exchanges", "--no-redact", "-f", "json", path}} {
		if _, out, _ := runCLI(t, nil, args...); !strings.Contains(out, code) {
			t.Errorf("%v does not show the echo: the check proves nothing", args[:2])
		}
	}
}

// TestOutputsScrubNestedBodyCredentials: a credential a request sends
// nested in its JSON body ({"user": {"password": …}}, here in the Okta
// sample's /api/v1/authn request) and that a later request's URL echoes
// is fingerprinted in the listings, which know it only from the body.
func TestOutputsScrubNestedBodyCredentials(t *testing.T) {
	const pass = "Hunter2Pass9Word"
	orig, err := os.ReadFile("../../testdata/samples/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(orig, &doc); err != nil {
		t.Fatal(err)
	}
	entries := doc["log"].(map[string]any)["entries"].([]any)
	req := entries[2].(map[string]any)["request"].(map[string]any)
	if !strings.HasSuffix(req["url"].(string), "/api/v1/authn") {
		t.Fatalf("entries[2] is no longer the authn request: %s", req["url"])
	}
	req["postData"] = map[string]any{"mimeType": "application/json",
		"text": `{"user":{"username":"jane.doe@example.com","password":"` + pass + `"}}`}
	e := cloneEntry(entries[1])
	e["request"].(map[string]any)["url"] = "https://myapp.example.com/home?hint=" + pass
	e["request"].(map[string]any)["queryString"] = []any{}
	doc["log"].(map[string]any)["entries"] = append(entries, e)
	path := writeHAR(t, doc, "nested.har")
	for _, f := range []string{"table", "json", "jsonl"} {
		for _, cmd := range []string{"events", "exchanges"} {
			code, out, errOut := runCLI(t, nil, cmd, "-f", f, path)
			if code == exitTrouble {
				t.Fatalf("%s -f %s: exit %d: %s", cmd, f, code, errOut)
			}
			if strings.Contains(out+errOut, pass) {
				t.Errorf("%s -f %s: the password is shown raw", cmd, f)
			}
		}
	}
	if code, out, _ := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", path); code == exitTrouble || strings.Contains(out, pass) {
		t.Errorf("scan: exit %d or the password is shown raw", code)
	}
	if _, out, _ := runCLI(t, nil, "exchanges", "--no-redact", "-f", "json", path); !strings.Contains(out, pass) {
		t.Error("exchanges --no-redact does not show the echo: the check proves nothing")
	}
}

// TestCaseScrubsLongIssuedTokens: events --case and scan --case merge the
// files' sets of secrets the exchanges issue; a token of
// secret.CompactMin bytes or more is kept compacted there, and the merge
// dropped those, so a long session token an answer issued (the Okta
// sample's authn sessionToken, lengthened) and a token endpoint's
// error_description quoted reached the merged events raw.
func TestCaseScrubsLongIssuedTokens(t *testing.T) {
	long := "20111abc" + strings.Repeat("Xk2Lm9Pw7Rt4Vb6Nc1Hy3Jd5Fg0QqWwEe", 5)
	orig, err := os.ReadFile("../../testdata/samples/okta-har-analyzer-sample.har")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(orig), `sessionToken\":\"20111abc123def456ghi789`) {
		t.Fatal("the sample no longer carries its session token")
	}
	planted := strings.Replace(string(orig), "20111abc123def456ghi789", long, -1)
	var doc map[string]any
	if err := json.Unmarshal([]byte(planted), &doc); err != nil {
		t.Fatal(err)
	}
	entries := doc["log"].(map[string]any)["entries"].([]any)
	resp := entries[5].(map[string]any)["response"].(map[string]any)
	resp["status"] = 400
	resp["content"] = map[string]any{"mimeType": "application/json",
		"text": `{"error":"invalid_grant","error_description":"session ` + long + ` expired"}`}
	data, _ := json.Marshal(doc)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.har"), filepath.Join(dir, "b.har")
	if err := os.WriteFile(a, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"events", "--case", "-f", "json", a, b}, {"events", "--case", "-f", "jsonl", a, b},
		{"scan", "--case", "-f", "json", "--fail-on", "never", a, b}} {
		code, out, errOut := runCLI(t, nil, args...)
		if code == exitTrouble {
			t.Fatalf("%v: exit %d: %s", args[:4], code, errOut)
		}
		if strings.Contains(out+errOut, long[8:40]) {
			t.Errorf("%v: the long token is shown raw", args[:4])
		}
	}
	if _, out, _ := runCLI(t, nil, "events", "--case", "--no-redact", "-f", "json", a, b); !strings.Contains(out, long) {
		t.Error("events --case --no-redact does not show the token: the check proves nothing")
	}
}
