package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/labexpect"
)

type compareDoc struct {
	SchemaVersion int `json:"schema_version"`
	Good          struct {
		File    string `json:"file"`
		Format  string `json:"format"`
		SignIns int    `json:"signins"`
	} `json:"good"`
	Bad struct {
		File    string `json:"file"`
		Format  string `json:"format"`
		SignIns int    `json:"signins"`
	} `json:"bad"`
	Steps []struct {
		Step        string          `json:"step"`
		SignIn      int             `json:"signin"`
		N           int             `json:"n"`
		Good        json.RawMessage `json:"good"`
		Bad         json.RawMessage `json:"bad"`
		Differences []struct {
			Field string `json:"field"`
			Good  string `json:"good"`
			Bad   string `json:"bad"`
			Note  string `json:"note"`
			Class string `json:"class"`
		} `json:"differences"`
	} `json:"steps"`
	First *struct {
		Step   string `json:"step"`
		SignIn int    `json:"signin"`
		N      int    `json:"n"`
		Field  string `json:"field"`
		Note   string `json:"note"`
		Class  string `json:"class"`
	} `json:"first_difference"`
	Match bool `json:"match"`
}

func runCompareJSON(t *testing.T, good, bad string) (int, compareDoc) {
	t.Helper()
	code, out, stderr := runCLI(t, nil, "compare", "-f", "json", good, bad)
	var doc compareDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("compare %s %s: exit %d, bad JSON: %v\n%s", good, bad, code, err, stderr)
	}
	return code, doc
}

// providerOf is the lab provider a scenario ran against, from its name.
func providerOf(name string) string {
	for _, p := range []string{"zitadel", "fosite", "gooauth2"} {
		if strings.Contains(name, p) {
			return p
		}
	}
	return ""
}

// TestCompareLabFirstDifference compares each clean lab flow with each
// failing single-trace scenario of the same provider, through the
// captures (which hold the back-channel steps too), and checks the first
// difference names the failure: the redirect_uri at the token step, the
// extra redemption, the delay, the overlapping second sign-in, the
// verifier.
func TestCompareLabFirstDifference(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(labDir, "*"))
	var clean, failing []string
	for _, d := range dirs {
		exp, err := labexpect.Read(filepath.Join(d, "expect.json"))
		if err != nil {
			continue
		}
		name := filepath.Base(d)
		switch {
		case strings.HasPrefix(name, "clean-"):
			// A flow without an authorize request (the device
			// authorization grant) is no baseline for the code flows.
			if slices.ContainsFunc(exp.Events, func(e labexpect.Event) bool { return e.Kind == "authorize" }) {
				clean = append(clean, d)
			}
		case exp.Pending == "" && exp.Case == nil && len(exp.Findings) > 0:
			failing = append(failing, d)
		}
	}
	if len(clean) < 8 || len(failing) < 20 {
		t.Fatalf("lab: %d clean and %d failing scenarios, want at least 8 and 20", len(clean), len(failing))
	}
	pairs := 0
	// Under -short (CI's race step) every sixth failing scenario is
	// compared with each clean one; the tests step compares them all.
	for _, c := range clean {
		for _, b := range sampleShort(failing) {
			if providerOf(filepath.Base(c)) != providerOf(filepath.Base(b)) {
				continue
			}
			pairs++
			name := filepath.Base(c) + "/" + filepath.Base(b)
			t.Run(name, func(t *testing.T) {
				code, doc := runCompareJSON(t, filepath.Join(c, "capture-dsb.pcapng"), filepath.Join(b, "capture-dsb.pcapng"))
				if code != exitFindings || doc.Match || doc.First == nil {
					t.Fatalf("exit %d, match %v, first %+v: want a difference (exit 1)", code, doc.Match, doc.First)
				}
				f := doc.First
				bad := filepath.Base(b)
				check := func(step, field string) {
					t.Helper()
					if f.Step != step || f.Field != field {
						t.Errorf("first difference %s/%s (%s: %s), want %s/%s", f.Step, f.Field, f.Class, f.Note, step, field)
					}
				}
				switch {
				case strings.HasPrefix(bad, "redirect-uri-mismatch-token"):
					check("token-request", "redirect_uri")
				case strings.HasPrefix(bad, "redirect-uri-mismatch-authorize"):
					// When the working flow sent the same redirect_uri (the
					// plain-HTTP lab flow), only the refusal differs.
					want := "status"
					for _, st := range doc.Steps {
						for _, d := range st.Differences {
							if st.Step == "authorize" && d.Field == "redirect_uri" && d.Class != "cosmetic" {
								want = "redirect_uri"
							}
						}
					}
					check("authorize", want)
				case strings.HasPrefix(bad, "code-reuse"):
					check("token-request", "redemption")
					if f.N != 2 {
						t.Errorf("the extra redemption is occurrence %d, want 2", f.N)
					}
				case strings.HasPrefix(bad, "code-expired"):
					if f.Step != "token-request" || (f.Field != "code_age" && f.Field != "callback_to_redemption") {
						t.Errorf("first difference %s/%s, want the delay before the token request", f.Step, f.Field)
					}
				case strings.HasPrefix(bad, "multi-tab"):
					check("authorize", "signin")
					if f.SignIn != 2 || f.Class != "overlap" {
						t.Errorf("sign-in %d class %s, want the overlapping sign-in 2", f.SignIn, f.Class)
					}
				case strings.HasPrefix(bad, "pkce-"):
					check("token-request", "code_verifier")
				case strings.HasPrefix(bad, "silent-renew"):
					// the prompt=none renewal refused in the frame is a
					// second authorize the working flow does not have
					check("authorize", "signin")
					if f.SignIn != 2 || f.Class != "extra-step" {
						t.Errorf("sign-in %d class %s, want the extra sign-in 2", f.SignIn, f.Class)
					}
				case strings.HasPrefix(bad, "state-mismatch"), strings.HasPrefix(bad, "cors-blocked"),
					strings.HasPrefix(bad, "client-auth"), strings.HasPrefix(bad, "refresh-"):
					if f.Class == "cosmetic" {
						t.Errorf("first difference is cosmetic: %+v", f)
					}
				default:
					t.Errorf("no expectation for scenario %s", bad)
				}
			})
		}
	}
	least := 60
	if testing.Short() {
		least = 10
	}
	if pairs < least {
		t.Errorf("%d pairs compared, want at least %d", pairs, least)
	}
}

// TestCompareSameAnswerAcrossFormats compares one working flow with one
// failing flow given once as the browser's HAR and once as the capture
// (and the working flow too, mixed): the first difference is the same.
func TestCompareSameAnswerAcrossFormats(t *testing.T) {
	pairs := [][2]string{
		{"clean-fosite-spa-h2", "pkce-mismatch-spa-fosite"},
		{"clean-fosite-spa-h2", "code-reuse-reload-spa-fosite"},
		{"clean-gooauth2-spa-h2", "code-expired-interstitial-spa-gooauth2"},
		{"clean-fosite-spa-h2", "multi-tab-pkce-spa-fosite"},
		{"clean-zitadel-spa-h2", "multi-tab-shared-slot-spa-zitadel"},
		{"clean-gooauth2-spa-h2", "code-reuse-reload-spa-gooauth2"},
	}
	for _, p := range pairs {
		t.Run(p[1], func(t *testing.T) {
			var answers []string
			for _, gf := range []string{"trace.har", "capture-dsb.pcapng"} {
				for _, bf := range []string{"trace.har", "capture-dsb.pcapng"} {
					_, doc := runCompareJSON(t, filepath.Join(labDir, p[0], gf), filepath.Join(labDir, p[1], bf))
					if doc.First == nil {
						t.Fatalf("%s vs %s: no difference", gf, bf)
					}
					f := doc.First
					answers = append(answers, strings.Join([]string{f.Step, f.Field, f.Class, string(rune('0' + f.SignIn)), string(rune('0' + f.N))}, " "))
				}
			}
			for _, a := range answers[1:] {
				if a != answers[0] {
					t.Errorf("answers differ across formats: %q", answers)
					break
				}
			}
		})
	}
}

// TestCompareHARAgainstSAZ: the browser's HAR of a reload and the Fiddler
// archive made from it (testdata/case) name the same first difference
// against a working HAR: the second delivery of the code.
func TestCompareHARAgainstSAZ(t *testing.T) {
	good := filepath.Join(labDir, "clean-fosite-http1-tls", "trace.har")
	var answers []string
	for _, bad := range []string{filepath.Join(labDir, "code-reuse-reload-server-capture-fosite", "trace.har"),
		filepath.Join("testdata", "case", "reload-server-capture-fosite.saz")} {
		code, doc := runCompareJSON(t, good, bad)
		if code != exitFindings || doc.First == nil {
			t.Fatalf("%s: exit %d, first %+v", bad, code, doc.First)
		}
		f := doc.First
		if f.Step != "callback" || f.Field != "callback" || f.N != 2 {
			t.Errorf("%s: first difference %+v, want the second callback", bad, f)
		}
		answers = append(answers, f.Step+" "+f.Field+" "+f.Class)
	}
	if answers[0] != answers[1] {
		t.Errorf("HAR and SAZ differ: %q", answers)
	}
}

// TestCompareWithItself: a trace compared with itself matches, exit 0,
// with no difference at any step, in every format.
func TestCompareWithItself(t *testing.T) {
	for _, f := range []string{
		"clean-zitadel-h2/capture-dsb.pcapng", "clean-fosite-form-post/trace.har",
		"multi-tab-pkce-cookie-fosite/capture-dsb.pcapng", "code-reuse-reload-gooauth2/trace.har",
	} {
		p := filepath.Join(labDir, f)
		code, doc := runCompareJSON(t, p, p)
		if code != exitOK || !doc.Match || doc.First != nil {
			t.Errorf("%s with itself: exit %d, match %v, first %+v", f, code, doc.Match, doc.First)
		}
		if len(doc.Steps) < 4 {
			t.Errorf("%s: %d steps aligned, want at least 4", f, len(doc.Steps))
		}
		for _, st := range doc.Steps {
			if len(st.Differences) > 0 {
				t.Errorf("%s: step %s has differences %+v", f, st.Step, st.Differences)
			}
		}
		for _, format := range []string{"table", "markdown"} {
			code, out, _ := runCLI(t, nil, "compare", "-f", format, p, p)
			if code != exitOK || !strings.Contains(out, "match") {
				t.Errorf("%s -f %s: exit %d, output lacks the match:\n%s", f, format, code, out)
			}
		}
	}
}

// TestCompareFormatsAndExitCodes: table and Markdown name the first
// difference; an unreadable input is exit 2; the output carries no raw
// secret of either trace (the codes, verifiers and states are only
// fingerprinted).
func TestCompareFormatsAndExitCodes(t *testing.T) {
	good := filepath.Join(labDir, "clean-zitadel-h2", "capture-dsb.pcapng")
	bad := filepath.Join(labDir, "redirect-uri-mismatch-token-zitadel", "capture-dsb.pcapng")
	for _, format := range []string{"table", "markdown", "json"} {
		code, out, stderr := runCLI(t, nil, "compare", "-f", format, good, bad)
		if code != exitFindings {
			t.Fatalf("-f %s: exit %d: %s", format, code, stderr)
		}
		if !strings.Contains(out, "redirect_uri") || !strings.Contains(out, "token-request") {
			t.Errorf("-f %s does not name the redirect_uri at the token request:\n%s", format, out)
		}
		if format == "markdown" && !strings.Contains(out, "**First difference**") {
			t.Errorf("markdown lacks the first difference line:\n%s", out)
		}
		for _, dir := range []string{"clean-zitadel-h2", "redirect-uri-mismatch-token-zitadel"} {
			exp, err := labexpect.Read(filepath.Join(labDir, dir, "expect.json"))
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range exp.Events {
				if ev.State != "" && strings.Contains(out, ev.State) {
					t.Errorf("-f %s shows the raw state of %s", format, dir)
				}
			}
		}
	}
	notTrace := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(notTrace, []byte("hello"), 0o644)
	if code, _, _ := runCLI(t, nil, "compare", good, notTrace); code != exitTrouble {
		t.Errorf("unreadable input: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, nil, "compare", good); code != exitTrouble {
		t.Errorf("one input: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, nil, "compare", "-f", "sarif", good, bad); code != exitTrouble {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
}

// TestCompareNamesBackChannelGaps: a server-side flow's capture against
// the same run's browser HAR differs only by the back-channel redemption,
// which the note says a browser trace cannot show.
func TestCompareNamesBackChannelGaps(t *testing.T) {
	dir := filepath.Join(labDir, "clean-zitadel-h2")
	code, doc := runCompareJSON(t, filepath.Join(dir, "capture-dsb.pcapng"), filepath.Join(dir, "trace.har"))
	if code != exitFindings || doc.First == nil {
		t.Fatalf("exit %d, first %+v", code, doc.First)
	}
	if doc.First.Step != "token-request" || doc.First.Class != "missing-step" || !strings.Contains(doc.First.Note, "back-channel") {
		t.Errorf("first difference %+v, want the missing back-channel token request", doc.First)
	}
	// The SPA run seen by its HAR and its capture matches.
	spa := filepath.Join(labDir, "clean-fosite-spa-h2")
	if code, doc := runCompareJSON(t, filepath.Join(spa, "trace.har"), filepath.Join(spa, "capture-dsb.pcapng")); code != exitOK || !doc.Match {
		t.Errorf("one browser-app run as HAR and as capture: exit %d, first %+v", code, doc.First)
	}
}

// TestCompareParametersByReference: an authorize request that sends its
// parameters by reference (a pushed request's request_uri, RFC 9126) is
// compared as such, not as one whose redirect_uri, state, nonce and
// challenge are absent, and the login form that repeats it by reference
// stays in its sign-in; a signed request object's parameters are read and
// match. The lab's clean SPA sign-in (real Chromium and fosite) against
// rules/testdata/par-request-uri-spa.har and jar-request-object-spa.har,
// the same recording with its parameters pushed or in a request object.
func TestCompareParametersByReference(t *testing.T) {
	good := filepath.Join(labDir, "clean-fosite-spa-h2", "trace.har")
	_, r := runCompareJSON(t, good, "../../rules/testdata/par-request-uri-spa.har")
	var fields []string
	for _, st := range r.Steps {
		if st.Step != "authorize" {
			continue
		}
		for _, d := range st.Differences {
			fields = append(fields, d.Field)
		}
	}
	if strings.Join(fields, " ") != "parameters parameters" || r.Bad.SignIns != 1 || r.First == nil || r.First.Field != "parameters" {
		t.Errorf("authorize differences %v, %d sign-ins, first %+v: want the parameters by reference in one sign-in, nothing absent",
			fields, r.Bad.SignIns, r.First)
	}
	if code, r := runCompareJSON(t, good, "../../rules/testdata/jar-request-object-spa.har"); code != 0 || r.First != nil {
		t.Errorf("signed request object: exit %d, first difference %+v", code, r.First)
	}
}

// TestEventsSayParametersByReference: `events` marks an authorize request
// whose parameters were sent by reference, so that its missing state and
// challenge read as unknown; a signed request object's are shown. The
// lab's clean SPA sign-in with its parameters pushed, or in a request
// object (rules/testdata).
func TestEventsSayParametersByReference(t *testing.T) {
	for file, want := range map[string]bool{"par-request-uri-spa.har": true, "jar-request-object-spa.har": false} {
		_, out, stderr := runCLI(t, nil, "events", "-f", "json", "../../rules/testdata/"+file)
		var doc struct {
			Files []struct {
				Events []struct {
					Kind              string `json:"kind"`
					State             string `json:"state"`
					ParamsByReference bool   `json:"params_by_reference"`
				} `json:"events"`
			} `json:"files"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
			t.Fatalf("%s: bad output (%v): %s %s", file, err, out, stderr)
		}
		n := 0
		for _, e := range doc.Files[0].Events {
			if e.Kind != "authorize" {
				continue
			}
			n++
			if e.ParamsByReference != want || (!want && e.State == "") {
				t.Errorf("%s: authorize event by reference %v, state %q", file, e.ParamsByReference, e.State)
			}
		}
		if n == 0 {
			t.Errorf("%s: no authorize event", file)
		}
	}
}

// A callback the app refused is why the failing trace has no redemption: on
// captures of the real mod_auth_openidc (rules/testdata/modoidc-*.pcap, whose
// server-side calls are in the capture), compare must say so rather than ask
// for the app server's capture.
func TestCompareRefusedCallbackExplainsMissingRedemption(t *testing.T) {
	_, out, stderr := runCLI(t, nil, "compare", "../../rules/testdata/modoidc-clean.pcap", "../../rules/testdata/modoidc-lost-state.pcap")
	if !strings.Contains(out, "token-request") {
		t.Fatalf("no token-request difference:\n%s\n%s", out, stderr)
	}
	if strings.Contains(out, "add the app server's capture") {
		t.Errorf("asks for the app server's capture of a sign-in whose callback was refused:\n%s", out)
	}
	if !strings.Contains(out, "the app refused the failing trace's callback (frame 54) before redeeming a code") {
		t.Errorf("does not explain the missing redemption by the refused callback:\n%s", out)
	}
}
