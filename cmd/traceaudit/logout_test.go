package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLogoutHintNeverRaw: the id_token_hint of the sign-out recordings
// (rules/testdata/logout: a JWT the app sends in the logout request's URL,
// which the browser then repeats in Referer headers and the app's redirect)
// and the ID tokens and codes around it appear in no report format, no
// events or exchanges listing, no member of a bundle and no redact copy;
// with --no-redact the events listing shows them (the test can fail).
func TestLogoutHintNeverRaw(t *testing.T) {
	files, err := filepath.Glob("../../rules/testdata/logout/logout-*")
	// oidc-client-ts's signoutRedirect: the hint in the logout URL, and a
	// token the page revokes in a POST body.
	spa, err2 := filepath.Glob("../../rules/testdata/oidcts-signout*")
	files = append(files, spa...)
	if err != nil || err2 != nil || len(files) < 10 {
		t.Fatalf("recordings: %v %v %v", files, err, err2)
	}
	hints := 0
	for _, f := range files {
		base := filepath.Base(f)
		// The secrets, as the tool itself reads them unredacted.
		_, raw, _ := runCLI(t, nil, "events", "-f", "jsonl", "--no-redact", f)
		var values []string
		for _, line := range strings.Split(raw, "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			for _, k := range []string{"id_token_hint", "id_token", "code", "state", "code_verifier", "access_token", "token"} {
				if v, _ := rec[k].(string); len(v) >= 12 && !strings.HasPrefix(v, "sha256:") {
					values = append(values, v)
					if k == "id_token_hint" {
						hints++
					}
				}
			}
		}
		if len(values) == 0 {
			t.Errorf("%s: no secret read with --no-redact", base)
			continue
		}
		outputs := map[string]string{}
		for _, args := range [][]string{
			{"scan", "-f", "json"}, {"scan", "-f", "markdown"}, {"scan", "-f", "html"}, {"scan", "-f", "sarif"},
			{"scan", "-f", "csv"}, {"scan", "-f", "table"}, {"events", "-f", "json"}, {"events", "-f", "table"}, {"exchanges", "-f", "json"},
		} {
			_, stdout, stderr := runCLI(t, nil, append(args, f)...)
			outputs[strings.Join(args, " ")] = stdout + stderr
		}
		zipPath := filepath.Join(t.TempDir(), "case.zip")
		if code, stderr := runBundleCLI(t, bundleClock, f, "-o", zipPath); code > 1 {
			t.Fatalf("%s: bundle exit %d: %s", base, code, stderr)
		}
		names, members := readZip(t, zipPath)
		for _, name := range names {
			outputs["bundle "+name] = string(members[name])
		}
		if strings.HasSuffix(base, ".har") {
			copyPath := filepath.Join(t.TempDir(), "copy.har")
			if code, _, stderr := runCLI(t, nil, "redact", f, "-o", copyPath); code != 0 {
				t.Fatalf("%s: redact exit %d: %s", base, code, stderr)
			}
			copied, err := os.ReadFile(copyPath)
			if err != nil {
				t.Fatal(err)
			}
			outputs["redact"] = string(copied)
		}
		for what, out := range outputs {
			for _, v := range values {
				// A JWT's parts: its header is the same in every token of
				// the provider, its payload and signature are its own.
				forms := []string{v, url.QueryEscape(v)}
				if parts := strings.Split(v, "."); len(parts) == 3 {
					forms = append(forms, parts[1][:min(len(parts[1]), 24)], parts[2][:min(len(parts[2]), 24)])
				}
				for _, form := range forms {
					if strings.Contains(out, form) {
						t.Errorf("%s: %s prints a raw secret (%d bytes, starting %.4s…)", base, what, len(v), v)
					}
				}
			}
		}
	}
	if hints < 3 {
		t.Errorf("%d id_token_hint values in the recordings, want those of the clean (HAR and capture) and unregistered stories", hints)
	}
}

// TestCompareSignOutRecorded compares the clean sign-out recording with the
// failing ones (rules/testdata/logout): each first difference is the
// sign-out's, and says why, where before sign-out steps were not compared
// at all (the unregistered and missing-hint stories compared equal up to
// the second sign-in the clean story has).
func TestCompareSignOutRecorded(t *testing.T) {
	dir := "../../rules/testdata/logout/"
	for _, c := range []struct {
		bad, step, field, class, note string
	}{
		{"logout-unregistered.har", "logout", "post_logout_redirect_uri", "explains", "the provider refused the failing trace's sign-out"},
		{"logout-missing-hint.har", "logout", "id_token_hint", "explains", "neither id_token_hint nor client_id"},
		{"logout-local-only.har", "logout", "step", "explains", "ended only the app's session"},
		{"logout-local-only.pcapng", "logout", "step", "explains", "ended only the app's session"},
	} {
		code, doc := runCompareJSON(t, dir+"logout-clean.har", dir+c.bad)
		f := doc.First
		if code != exitFindings || f == nil || f.Step != c.step || f.SignIn != 1 || f.Field != c.field || f.Class != c.class || !strings.Contains(f.Note, c.note) {
			t.Errorf("clean vs %s: exit %d, first difference %+v, want %s %s (%s) saying %q", c.bad, code, f, c.step, c.field, c.class, c.note)
		}
		var counts struct {
			Good, Bad struct{ SignOuts int }
		}
		_, out, _ := runCLI(t, nil, "compare", "-f", "json", dir+"logout-clean.har", dir+c.bad)
		if err := json.Unmarshal([]byte(out), &counts); err != nil || counts.Good.SignOuts != 1 || counts.Bad.SignOuts != 1 {
			t.Errorf("clean vs %s: signouts %d and %d, want 1 each (%v)", c.bad, counts.Good.SignOuts, counts.Bad.SignOuts, err)
		}
	}
	// The unregistered sign-out names the URI the provider refused.
	_, doc := runCompareJSON(t, dir+"logout-clean.har", dir+"logout-unregistered.har")
	found := false
	for _, st := range doc.Steps {
		for _, d := range st.Differences {
			if st.Step == "logout" && d.Field == "post_logout_redirect_uri" && d.Good == "http://localhost:4962/signed-out" && d.Bad == "http://localhost:4962/bye" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("clean vs unregistered: no post_logout_redirect_uri difference naming both URIs: %+v", doc.Steps)
	}
	// A sign-out against itself matches.
	if code, doc := runCompareJSON(t, dir+"logout-clean.pcapng", dir+"logout-clean.pcapng"); code != exitOK || !doc.Match {
		t.Errorf("clean capture against itself: exit %d, first difference %+v", code, doc.First)
	}
}

// TestCaseSignOutRecorded: scan --case over a sign-out's HAR and its
// loopback capture (rules/testdata/logout) aligns the clocks on the
// sign-out's exchanges too (the app's sign-out, the logout request and the
// way back are matched by their state and hint as the sign-in's steps are
// by theirs: 6 and 5 matched exchanges, where the sign-in steps alone gave
// 3 and 4), and the local-only finding cites each exchange in both copies.
func TestCaseSignOutRecorded(t *testing.T) {
	dir := "../../rules/testdata/logout/"
	for story, want := range map[string]int{"clean": 6, "local-only": 5} {
		doc := scanCase(t, dir+"logout-"+story+".har", dir+"logout-"+story+".pcapng")
		if !doc.Case.Merged || len(doc.Files) != 1 || len(doc.Case.Inputs) != 2 {
			t.Fatalf("%s: not merged: %+v", story, doc.Case)
		}
		in := doc.Case.Inputs[1]
		if in.Basis != "matched exchanges" || in.Matches != want {
			t.Errorf("%s: capture aligned by %q on %d exchanges, want %d matched", story, in.Basis, in.Matches, want)
		}
		fs := doc.Files[0].Findings
		switch story {
		case "clean":
			if len(fs) != 0 || doc.Files[0].Verdict != "clean" {
				t.Errorf("clean: verdict %s, findings %+v", doc.Files[0].Verdict, fs)
			}
		case "local-only":
			if len(fs) != 1 || fs[0].Rule != "logout-not-propagated" {
				t.Fatalf("local-only: findings %+v", fs)
			}
			var refs []string
			for _, e := range fs[0].Evidence {
				refs = append(refs, filepath.Base(e.File)+" "+e.Ref)
			}
			for _, r := range []string{"logout-local-only.har entries[9]", "logout-local-only.pcapng frame 87"} {
				if !slices.Contains(refs, r) {
					t.Errorf("local-only: the app's sign-out not cited as %s: %v", r, refs)
				}
			}
		}
	}
	// events --case lists the sign-out once, not once per copy.
	_, out, _ := runCLI(t, nil, "events", "--case", "-f", "jsonl", dir+"logout-clean.har", dir+"logout-clean.pcapng")
	if n := strings.Count(out, `"kind":"logout"`); n != 1 {
		t.Errorf("events --case: %d logout requests, want 1", n)
	}
}

// TestSignOutStoppedCLI runs what a support engineer runs on the recorded
// oidc-client-ts sign-outs: scan of the one whose revocation oidc-client-ts
// refused (exit 1, the finding with its mechanism, evidence and remedy, in
// JSON and in the ticket), scan of the clean one (a verdict that names the
// sign-out), the redacted copy of the first (the finding kept), and the
// rule in rules and explain.
func TestSignOutStoppedCLI(t *testing.T) {
	const dir = "../../rules/testdata/"
	type doc struct {
		Files []struct {
			Verdict  string `json:"verdict"`
			Reason   string `json:"verdict_reason"`
			Findings []struct {
				Rule        string `json:"rule"`
				Message     string `json:"message"`
				Mechanism   string `json:"mechanism"`
				Remediation string `json:"remediation"`
				Evidence    []struct {
					Ref   string `json:"ref"`
					Param string `json:"param"`
				} `json:"evidence"`
			} `json:"findings"`
		} `json:"files"`
	}
	scan := func(path string) (int, doc) {
		code, out, errOut := runCLI(t, nil, "scan", "-f", "json", path)
		var d doc
		if err := json.Unmarshal([]byte(out), &d); err != nil || len(d.Files) != 1 {
			t.Fatalf("%s: %v\n%s", path, err, errOut)
		}
		return code, d
	}
	redacted := filepath.Join(t.TempDir(), "copy.har")
	if code, _, errOut := runCLI(t, nil, "redact", dir+"oidcts-signout-revoke.har", "-o", redacted); code != exitOK {
		t.Fatalf("redact: %d %s", code, errOut)
	}
	for _, f := range []string{dir + "oidcts-signout-revoke.har", redacted} {
		code, d := scan(f)
		file := d.Files[0]
		if code != exitFindings || file.Verdict != "findings" || len(file.Findings) != 1 {
			t.Fatalf("%s: exit %d, verdict %s, findings %+v", f, code, file.Verdict, file.Findings)
		}
		fd := file.Findings[0]
		if fd.Rule != "logout-stopped-at-revocation" || fd.Mechanism != "content-type" ||
			!strings.Contains(fd.Message, `answered the revocation HTTP 200 with Content-Type "text/plain; charset=utf-8", not application/json, and oidc-client-ts refuses`) ||
			!strings.Contains(fd.Remediation, `revokeTokenAdditionalContentTypes: ["text/plain"]`) {
			t.Errorf("%s: %+v", f, fd)
		}
		if len(fd.Evidence) != 2 || fd.Evidence[0].Ref != "entries[16]" || fd.Evidence[0].Param != "Content-Type: text/plain; charset=utf-8" || fd.Evidence[1].Ref != "entries[12]" {
			t.Errorf("%s: evidence %+v", f, fd.Evidence)
		}
	}
	_, md, _ := runCLI(t, nil, "scan", "-f", "markdown", dir+"oidcts-signout-revoke.har")
	if !strings.Contains(md, "logout-stopped-at-revocation") || !strings.Contains(md, "revokeTokenAdditionalContentTypes") {
		t.Errorf("the ticket does not carry the finding and its remedy:\n%s", md)
	}
	for _, f := range []string{"oidcts-signout.har", "oidcts-signout.pcapng"} {
		code, d := scan(dir + f)
		if code != exitOK || d.Files[0].Verdict != "clean" ||
			!strings.Contains(d.Files[0].Reason, "1 sign-out completed: the authorization server 127.0.0.1 signed the user out and sent the browser back to http://localhost:4943/signed-out.html at ") {
			t.Errorf("%s: exit %d, %s: %s", f, code, d.Files[0].Verdict, d.Files[0].Reason)
		}
	}
	if _, out, _ := runCLI(t, nil, "rules"); !strings.Contains(out, "logout-stopped-at-revocation") {
		t.Error("rules does not list logout-stopped-at-revocation")
	}
	if code, out, _ := runCLI(t, nil, "explain", "logout-stopped-at-revocation"); code != exitOK || !strings.Contains(out, "revokeTokensOnSignout") || !strings.Contains(out, "Access-Control-Allow-Origin") {
		t.Errorf("explain: exit %d\n%s", code, out)
	}
}
