package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// harFixtures are every HAR the repository holds for other packages' tests
// (their provenance is beside them): the rule fixtures, the HAR reader's
// corpus and the fixture lab's recordings. They are read in place, not
// copied, so a fixture fixed there is fixed here.
func harFixtures(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"rules/testdata/*.har", "rules/testdata/oauth2-proxy/*.har", "rules/testdata/logout/*.har", "har/testdata/*.har", "har/testdata/*.gz", "har/testdata/*.zhar",
		"testdata/lab/scenarios/*/trace.har", "testdata/samples/*.har"} {
		m, err := filepath.Glob(filepath.Join("..", pat))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	if len(out) < 30 {
		t.Fatalf("only %d HAR fixtures", len(out))
	}
	return out
}

// shape is what must survive redaction of one exchange.
type shape struct {
	Ref, Method, Path string
	Status            int
}

// copyShapes is shapes of a copy, read against the original's exchanges:
// a path segment the copy masks (secret.MaskOrdinal: "REDACTED-cookie-3")
// where the original carries a cookie value of the trace stands for that
// value, since the copy masks a cookie's value wherever it recurs
// (oidc-provider keeps its interaction uid in a cookie and in its
// /interaction/<uid> paths), when the copy masks that value alone so: one
// mask stands for one value and one value has one mask. Any other change
// of a path still shows as a difference.
func copyShapes(orig, cp []*model.Exchange) []shape {
	cookies := map[string]bool{}
	for _, ex := range orig {
		for _, h := range ex.Request.Headers.Values("Cookie") {
			for _, kv := range strings.Split(h, ";") {
				if _, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
					cookies[v] = true
				}
			}
		}
		if ex.Response == nil {
			continue
		}
		for _, h := range ex.Response.Headers.Values("Set-Cookie") {
			kv, _, _ := strings.Cut(h, ";")
			if _, v, ok := strings.Cut(kv, "="); ok {
				cookies[strings.TrimSpace(v)] = true
			}
		}
	}
	want, got := shapes(orig), shapes(cp)
	valueOf, maskOf := map[string]string{}, map[string]string{}
	for i := range got {
		if i >= len(want) || got[i].Path == want[i].Path {
			continue
		}
		ws, gs := strings.Split(want[i].Path, "/"), strings.Split(got[i].Path, "/")
		if len(ws) != len(gs) {
			continue
		}
		for k := range gs {
			if _, _, ok := secret.MaskOrdinal(gs[k]); ok && cookies[ws[k]] {
				if v, seen := valueOf[gs[k]]; seen && v != ws[k] {
					valueOf[gs[k]] = "\x00two values" // never a value: the segment shows as a difference
				} else if !seen {
					valueOf[gs[k]] = ws[k]
				}
				if m, seen := maskOf[ws[k]]; seen && m != gs[k] {
					maskOf[ws[k]] = "\x00two masks"
				} else if !seen {
					maskOf[ws[k]] = gs[k]
				}
			}
		}
	}
	for i := range got {
		if i >= len(want) || got[i].Path == want[i].Path {
			continue
		}
		ws, gs := strings.Split(want[i].Path, "/"), strings.Split(got[i].Path, "/")
		if len(ws) != len(gs) {
			continue
		}
		for k := range gs {
			if valueOf[gs[k]] == ws[k] && maskOf[ws[k]] == gs[k] {
				gs[k] = ws[k]
			}
		}
		got[i].Path = strings.Join(gs, "/")
	}
	return got
}

func shapes(exs []*model.Exchange) []shape {
	var out []shape
	for _, ex := range exs {
		p := ex.Request.URL
		if u, err := url.Parse(p); err == nil {
			p = u.Host + u.Path
		}
		out = append(out, shape{ex.Ref, ex.Request.Method, p, ex.Status()})
	}
	return out
}

// finding is the part of a finding that must survive redaction: rule, code
// fingerprint and evidence refs. Messages may quote a verifier's
// fingerprint, which redaction changes on purpose.
type finding struct {
	Rule, Code string
	Refs       []string
}

func findings(exs []*model.Exchange) []finding {
	fs := rules.Check(rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs)}, rules.Options{})
	var out []finding
	for _, f := range fs {
		g := finding{Rule: f.RuleID, Code: f.Code.Fingerprint()}
		for _, e := range f.Evidence {
			g.Refs = append(g.Refs, e.Ref)
		}
		out = append(out, g)
	}
	return out
}

// tryReadHAR reads data as a HAR, reporting whether it is one.
func tryReadHAR(data []byte) ([]*model.Exchange, bool) {
	r, err := har.NewReader(bytes.NewReader(data), har.Options{})
	if err != nil {
		return nil, false
	}
	exs, err := model.ReadAll(r)
	return exs, err == nil
}

func readHAR(t testing.TB, data []byte) ([]*model.Exchange, []model.Note) {
	t.Helper()
	r, err := har.NewReader(bytes.NewReader(data), har.Options{})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return exs, r.Notes()
}

// secretsOf lists the values of the original that must not survive: secret
// and personal parameters of URLs, Location/Referer targets and bodies,
// cookie values, Authorization credentials, token response members. Short
// values (a state of "1") would match unrelated bytes and are left out.
func secretsOf(exs []*model.Exchange) []string {
	set := map[string]bool{}
	addParams := func(v url.Values) {
		for k, vs := range v {
			lk := strings.ToLower(k)
			if !secret.IsSecretParam(lk) && !secret.IsMaskedParam(lk) && lk != "code_verifier" {
				continue
			}
			for _, x := range vs {
				set[x] = true
			}
		}
	}
	addURL := func(raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		q, _ := url.ParseQuery(u.RawQuery)
		addParams(q)
		f, _ := url.ParseQuery(u.Fragment)
		addParams(f)
	}
	addBody := func(b model.Body, h model.Headers) {
		ct := strings.ToLower(h.Get("Content-Type") + b.MIMEType)
		switch {
		case strings.Contains(ct, "form-urlencoded"):
			q, _ := url.ParseQuery(string(b.Data))
			addParams(q)
		case strings.Contains(ct, "json"):
			var m map[string]any
			if json.Unmarshal(b.Data, &m) == nil {
				for k, v := range m {
					if s, ok := v.(string); ok && (secret.IsSecretParam(k) || secret.IsMaskedParam(k)) {
						set[s] = true
					}
				}
			}
		}
	}
	// A cookie holding a URL (Auth.js's authjs.callback-url) holds the
	// app's own address, which the trace shows as itself elsewhere (a
	// redirect_uri, a form's callbackUrl): its secrets are its URL's.
	addCookie := func(v string) {
		if u, err := url.QueryUnescape(v); err == nil && (strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
			addURL(u)
			return
		}
		set[v] = true
	}
	addHeaders := func(h model.Headers) {
		for _, f := range h {
			switch strings.ToLower(f.Name) {
			case "authorization":
				if _, cred, ok := strings.Cut(f.Value, " "); ok {
					set[cred] = true
					if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
						if _, s, ok := strings.Cut(string(raw), ":"); ok {
							set[s] = true
						}
					}
				}
			case "cookie":
				for _, p := range strings.Split(f.Value, ";") {
					if _, v, ok := strings.Cut(p, "="); ok {
						addCookie(strings.TrimSpace(v))
					}
				}
			case "set-cookie":
				first, _, _ := strings.Cut(f.Value, ";")
				if _, v, ok := strings.Cut(first, "="); ok {
					addCookie(strings.TrimSpace(v))
				}
			case "location", "referer":
				addURL(f.Value)
			}
		}
	}
	for _, ex := range exs {
		addURL(ex.Request.URL)
		addHeaders(ex.Request.Headers)
		addBody(ex.Request.Body, ex.Request.Headers)
		if ex.Response != nil {
			addHeaders(ex.Response.Headers)
			addBody(ex.Response.Body, ex.Response.Headers)
		}
	}
	var out []string
	for s := range set {
		if len(s) >= 10 && !isPlaceholder(s) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// leaks returns the secrets found in the copy, raw or URL-encoded.
func leaks(copy []byte, secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if bytes.Contains(copy, []byte(s)) || bytes.Contains(copy, []byte(url.QueryEscape(s))) {
			out = append(out, s[:4]+"…")
		}
	}
	return out
}

func redactHAR(t testing.TB, data []byte, opts Options) ([]byte, Stats) {
	t.Helper()
	var out bytes.Buffer
	st, err := HAR(bytes.NewReader(data), &out, opts)
	if err != nil {
		t.Fatalf("redact: %v", err)
	}
	return out.Bytes(), st
}

func TestHARFixtures(t *testing.T) {
	compared := map[string]bool{}
	defer func() {
		// The comparison means something only if the fixtures produce
		// findings of many rules.
		if len(compared) < 10 {
			t.Errorf("findings of only %d rules compared", len(compared))
		}
	}()
	for i, file := range harFixtures(t) {
		if testing.Short() && i%4 != 0 {
			continue // CI's race step, which slows this several times over: a quarter
		}
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := har.NewReader(bytes.NewReader(data), har.Options{}); err != nil {
				// A negative fixture: redact must refuse it as well.
				if _, err := HAR(bytes.NewReader(data), io.Discard, Options{}); err == nil {
					t.Fatal("redact accepted input the HAR reader refuses")
				}
				return
			}
			orig, _ := readHAR(t, data)
			red, _ := redactHAR(t, data, Options{})
			got, _ := readHAR(t, red)
			if diff := cmp.Diff(shapes(orig), copyShapes(orig, got)); diff != "" {
				t.Errorf("exchanges differ (-orig +copy):\n%s", diff)
			}
			want := findings(orig)
			checkSameFindings(t, file, want, findings(got))
			for _, f := range want {
				compared[f.Rule] = true
			}
			if l := leaks(red, secretsOf(orig)); len(l) > 0 {
				t.Errorf("%d secret values survive: %v", len(l), l)
			}
			// Redacting the copy again changes nothing.
			again, _ := redactHAR(t, red, Options{})
			if !bytes.Equal(again, red) {
				t.Errorf("redacting the copy again changed it")
			}
		})
	}
}

// copyLosesFindings are the fixtures whose copy is known to lose a finding,
// and why. A fixture listed whose copy keeps its findings fails the test,
// so that the list only shrinks.
var copyLosesFindings = map[string]string{
	// social-auth-app-django puts its refusal in Django's messages
	// cookie (signed, base64 of JSON: the words it shows the user); a
	// copy masks every cookie's value, so the callback's refusal cannot
	// be read there and client-auth-failed loses the callback from its
	// evidence. The HAR (social-bad-secret.har) keeps it: its error page
	// shows the words.
	"rules/testdata/social-bad-secret.pcap": "the refusal is read from Django's messages cookie, whose value a copy masks",
	// A JAR request object (request=<JWT>) is fingerprinted whole, the
	// redirect_uri it carries with it; redirect-uri-mismatch compares
	// that with the token request's and becomes trace-quality. The
	// browser's HAR of the scenario holds no token request and loses
	// nothing.
	"redirect-uri-mismatch-token-jar-oidcprovider/capture-dsb.pcapng": "the authorize request's redirect_uri is inside the JAR request object, which a copy fingerprints whole",
	"redirect-uri-mismatch-token-jar-oidcprovider/capture.pcap":       "the authorize request's redirect_uri is inside the JAR request object, which a copy fingerprints whole",
}

// checkSameFindings: a copy gives the findings of its original, but for
// the fixtures of copyLosesFindings, whose copies must still lose one.
func checkSameFindings(t *testing.T, name string, want, got []finding) {
	t.Helper()
	diff := cmp.Diff(want, got)
	for fixture, why := range copyLosesFindings {
		if strings.HasSuffix(name, fixture) {
			if diff == "" {
				t.Errorf("the copy keeps the findings of %s (known to lose one: %s): take it off copyLosesFindings", fixture, why)
			}
			return
		}
	}
	if diff != "" {
		t.Errorf("findings differ (-orig +copy):\n%s", diff)
	}
}
