package redact

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
	"github.com/traceaudit/traceaudit/secret"
)

// nameLike is a string literal that may name a parameter, member or header.
var nameLike = regexp.MustCompile(`^[A-Za-z0-9_.$-]{2,64}$`)

// sourceNames returns every name-like string literal of this package's
// source (its lists, its switch cases, its comparisons): a name redact
// learns to treat as secret is written here somewhere.
func sourceNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && nameLike.MatchString(s) {
					seen[s] = true
				}
			}
			return true
		})
	}
	return slices.Sorted(maps.Keys(seen))
}

// sampleNames returns the query, form and JSON member names of the
// repository's real sample HARs (testdata/samples, provenance in
// testdata/samples/PROVENANCE.md).
func sampleNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../testdata/samples/*.har")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample HARs: %v", err)
	}
	seen := map[string]bool{}
	var walk func(v gjson.Result)
	walk = func(v gjson.Result) {
		v.ForEach(func(k, x gjson.Result) bool {
			if k.Type == gjson.String && nameLike.MatchString(k.Str) {
				seen[k.Str] = true
			}
			if x.IsObject() || x.IsArray() {
				walk(x)
			}
			return true
		})
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc := gjson.ParseBytes(b)
		doc.Get("log.entries").ForEach(func(_, e gjson.Result) bool {
			for _, p := range []string{"request.queryString", "request.postData.params", "request.cookies", "request.headers", "response.headers"} {
				e.Get(p).ForEach(func(_, nv gjson.Result) bool {
					if n := nv.Get("name").Str; nameLike.MatchString(n) {
						seen[n] = true
					}
					return true
				})
			}
			for _, body := range []string{e.Get("request.postData.text").Str, e.Get("response.content.text").Str} {
				if gjson.Valid(body) {
					walk(gjson.Parse(body))
				}
			}
			return true
		})
	}
	return slices.Sorted(maps.Keys(seen))
}

// TestSecretNamesAgree: a name whose value a redact copy masks or
// fingerprints is one whose value secret.RedactParam (reports, the
// exchanges view, explain) rewrites too, and a header redact treats as a
// credential is one secret.IsSecretHeader names (what the CLI learns from
// headers for the report scrubber). The names looked at are every
// name-like literal of this package's source, so a list added here that
// secret does not know fails, and the names of the real sample HARs.
// Before the names moved to secret, request, jwt, wctx, sft, sctx,
// apicanary, client_info, sso_nonce, _csrf, phone, mail, mobile,
// displayname and more were secret to redact only.
func TestSecretNamesAgree(t *testing.T) {
	const v = "Zq8Vt3Lm9Xw2Rk7Pb4Nc6Hd1Jf5Gs0Ya" // no URL, no GUID
	names := append(sourceNames(t), sampleNames(t)...)
	if len(names) < 100 {
		t.Fatalf("only %d names to compare", len(names))
	}
	checked := 0
	for _, n := range names {
		switch classify(n) {
		case classSecret, classMasked, classVerifier, classSession:
			checked++
			if secret.RedactParam(n, v) == v {
				t.Errorf("%q: a redact copy hides its value, secret.RedactParam shows it raw", n)
			}
		}
		if l := strings.ToLower(n); secretHeader(l) && !secret.IsSecretHeader(n) {
			t.Errorf("header %q: a redact copy hides its value, secret.IsSecretHeader does not name it", n)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d secret names compared", checked)
	}
	// Kept readable in both, as support reads them.
	keep := [][2]string{{"client_id", "0oa1b2c3d4e5f6g7h8i9"}, {"request_uri", "https://app.example/requests/r1.jwt"},
		{"correlation_id", v}, {"trace_id", v}, {"error_code", "AADSTS50011"}, {"client-request-id", v},
		{"x-ms-client-session-id", "6a1c9b1e-0d2f-4e55-8a4c-2b9f7d3e1a00"}, {"code_challenge", v}}
	for _, kv := range keep {
		if got := secret.RedactParam(kv[0], kv[1]); got != kv[1] {
			t.Errorf("secret.RedactParam(%q) = %q, want it kept", kv[0], got)
		}
		if c := classify(kv[0]); c == classSecret && !strings.Contains(kv[1], "://") || c == classMasked {
			t.Errorf("classify(%q) = %d, want a kept value", kv[0], c)
		}
	}
}

// TestClassifyCodeNamesAsWritten: a code's use is read from the words of
// its name, which only the name's case separates; classify once read the
// lower-cased name alone, so a JSON member otpCode (a typed one-time code)
// was kept while secret.IsMaskedParam named it (LemonLDAP::NG's portal
// serves such names in its language file).
func TestClassifyCodeNamesAsWritten(t *testing.T) {
	for name, want := range map[string]class{
		"otpCode": classMasked, "enterTotpCode": classMasked, "totpRegisterCode": classMasked,
		"authCode": classSecret, "oobCode": classSecret, "errorCode": classKeep, "countryCode": classKeep,
	} {
		if got := classify(name); got != want {
			t.Errorf("classify(%q) = %d, want %d", name, got, want)
		}
	}
}
