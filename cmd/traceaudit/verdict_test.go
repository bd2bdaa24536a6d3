package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const labDir = "../../testdata/lab/scenarios"

// verdictCase is one lab scenario in one form and the exit codes it must
// give with the default --fail-on and with --fail-on inconclusive.
type verdictCase struct {
	name           string
	args           []string
	exit, exitIncl int
}

func verdictCases(t *testing.T) []verdictCase {
	t.Helper()
	// A browser HAR cut off after the callback, before the SPA's token
	// request: what a support engineer gets when the export was stopped
	// early.
	full, err := os.ReadFile(filepath.Join(labDir, "clean-fosite-spa-h2", "trace.har"))
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(full, []byte(`/oauth2/token"`))
	if at < 0 {
		t.Fatal("the clean SPA trace has no token request")
	}
	truncated := filepath.Join(t.TempDir(), "truncated.har")
	if err := os.WriteFile(truncated, full[:at-200], 0o644); err != nil {
		t.Fatal(err)
	}
	return []verdictCase{
		{"clean SPA, tokens in the browser", []string{filepath.Join(labDir, "clean-fosite-spa-h2", "trace.har")}, 0, 0},
		{"clean web app, redemption server-side", []string{filepath.Join(labDir, "clean-fosite-http1-tls", "trace.har")}, 0, 0},
		{"clean capture with keys", []string{"--keylog", filepath.Join(labDir, "clean-fosite-http1-tls", "keys.log"), filepath.Join(labDir, "clean-fosite-http1-tls", "capture.pcap")}, 0, 0},
		{"findings", []string{filepath.Join(labDir, "code-reuse-reload-fosite", "trace.har")}, 1, 1},
		{"TLS without keys", []string{filepath.Join(labDir, "clean-fosite-http1-tls", "capture.pcap")}, 0, 1},
		{"findings hidden by TLS without keys", []string{filepath.Join(labDir, "code-reuse-reload-fosite", "capture.pcap")}, 0, 1},
		{"truncated before the redemption", []string{truncated}, 0, 1},
		{"browser HAR of a callback the app refused, redemption server-side", []string{filepath.Join(labDir, "code-expired-fosite", "trace.har")}, 0, 1},
	}
}

// TestVerdictsGolden pins the verdict and its reason on lab scenarios: a
// clean sign-in says what it saw, findings name the rules, a capture
// without keys and a trace cut before the redemption are inconclusive and
// say what to do, and --fail-on inconclusive turns those into exit 1.
func TestVerdictsGolden(t *testing.T) {
	var got strings.Builder
	for _, c := range verdictCases(t) {
		code, out, stderr := runCLI(t, nil, append([]string{"scan", "-f", "json"}, c.args...)...)
		if code != c.exit {
			t.Errorf("%s: exit %d, want %d: %s", c.name, code, c.exit, stderr)
		}
		var doc struct {
			Files []struct {
				Verdict       string `json:"verdict"`
				VerdictReason string `json:"verdict_reason"`
			} `json:"files"`
			Summary struct {
				ByVerdict map[string]int `json:"by_verdict"`
			} `json:"summary"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
			t.Fatalf("%s: bad output (%v): %s", c.name, err, out)
		}
		f := doc.Files[0]
		if doc.Summary.ByVerdict[f.Verdict] != 1 {
			t.Errorf("%s: summary by_verdict %v does not count the file's verdict %q", c.name, doc.Summary.ByVerdict, f.Verdict)
		}
		fmt.Fprintf(&got, "%s\n  %s: %s\n", c.name, f.Verdict, f.VerdictReason)
		code, _, stderr = runCLI(t, nil, append([]string{"scan", "-f", "json", "--fail-on", "inconclusive"}, c.args...)...)
		if code != c.exitIncl {
			t.Errorf("%s: --fail-on inconclusive: exit %d, want %d: %s", c.name, code, c.exitIncl, stderr)
		}
	}
	checkGolden(t, "verdicts.golden", got.String())
}

// checkGolden compares got with testdata/golden/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join("testdata", "golden", name)
	}
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, d)
	}
}

// TestCSVGolden pins `scan -f csv` over the bundled samples: one row per
// file, the unreadable one included, paths as given.
func TestCSVGolden(t *testing.T) {
	golden := filepath.Join(mustAbs(t, "testdata/golden"), "samples.scan.csv")
	code, out, stderr := runCLIIn(t, samples, "scan", "-f", "csv", ".")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	checkGolden(t, golden, out)
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// runCLIWidth is runCLI with COLUMNS set, as a terminal of that width has.
func runCLIWidth(t *testing.T, columns int, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := environment{
		stdin:  bytes.NewReader(nil),
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string {
			if k == "COLUMNS" {
				return fmt.Sprint(columns)
			}
			return ""
		},
		isTerminal: func(any) bool { return false },
	}
	code := run(args, env)
	return code, out.String(), errb.String()
}

// TestTerminalWidths runs scan, events and exchanges at 80, 120 and 200
// columns: every line on stdout and stderr fits, stdout holds only results
// (no note, no summary), and golden files pin the layouts.
func TestTerminalWidths(t *testing.T) {
	golden := mustAbs(t, "testdata/golden")
	t.Chdir(samples)
	for _, width := range []int{80, 120, 200} {
		for _, cmd := range []string{"scan", "events", "exchanges"} {
			code, out, errOut := runCLIWidth(t, width, cmd, "reuse-double-handler.har", "code-expired.pcapng")
			if code == exitTrouble {
				t.Fatalf("%s: exit 2: %s", cmd, errOut)
			}
			for _, line := range strings.Split(out+errOut, "\n") {
				if n := len([]rune(line)); n > width {
					t.Errorf("%s at %d columns: a line of %d columns: %q", cmd, width, n, line)
				}
			}
			if strings.Contains(out, "note:") || strings.Contains(out, " in 2 files") {
				t.Errorf("%s at %d columns: notes or summary on stdout", cmd, width)
			}
			checkGolden(t, filepath.Join(golden, fmt.Sprintf("samples.%s.w%d", cmd, width)), out)
		}
	}
}

// TestHelpOnStdout: help is what was asked for, so it goes to stdout with
// exit 0; a mistake gets one line and a hint on stderr, nothing on stdout.
func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"scan", "--help"}, {"events", "-h"}, {"redact", "--help"}, {"rules", "--help"}, {"help"}} {
		code, out, errOut := runCLI(t, nil, args...)
		if code != exitOK || !strings.Contains(out, "Usage") || errOut != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	code, out, errOut := runCLI(t, nil, "scan", "--bogus", samples)
	if code != exitTrouble || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "--help") {
		t.Errorf("bad flag: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestMessagesSayWhatToDo: an encrypted SAZ without a password names the
// flag and the variable; a Fluxzy archive is named with the export to use;
// a key log next to a capture is named, not loaded; a key log of another
// session is called that, not blamed on Encrypted Client Hello.
func TestMessagesSayWhatToDo(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "scan", "../../saz/testdata/fluxzy-minimal.aes128.saz")
	if code != exitTrouble || !strings.Contains(stderr, "--password") || !strings.Contains(stderr, "TRACEAUDIT_SAZ_PASSWORD") {
		t.Errorf("encrypted SAZ: exit %d: %s", code, stderr)
	}

	fx := filepath.Join(t.TempDir(), "session.fxzy")
	writeZip(t, fx, "meta.json", "exchanges/1.mpack", "connections/1.mpack", "captures/1.pcapng")
	code, _, stderr = runCLI(t, nil, "scan", fx)
	if code != exitTrouble || !strings.Contains(stderr, "Fluxzy") || !strings.Contains(stderr, "HTTP Archive") || strings.Contains(stderr, "not a SAZ") {
		t.Errorf("fxzy: exit %d: %s", code, stderr)
	}

	dir := t.TempDir()
	capture, err := os.ReadFile(filepath.Join(labDir, "clean-fosite-http1-tls", "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile(filepath.Join(labDir, "clean-fosite-http1-tls", "keys.log"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "capture.pcap"), capture, 0o644)
	os.WriteFile(filepath.Join(dir, "sslkeylog.txt"), keys, 0o644)
	t.Chdir(dir)
	code, out, stderr := runCLI(t, nil, "scan", "-f", "csv", "capture.pcap")
	if code != exitOK || !strings.Contains(out, "inconclusive") || !strings.Contains(out, "pass --keylog sslkeylog.txt") {
		t.Errorf("key log next to the capture: exit %d: %s %s", code, out, stderr)
	}

	// A folder of captures, each with its key log (as Fluxzy exports
	// them): each capture is pointed at its own, not at the first by name.
	os.Rename("capture.pcap", "zz-session.pcap")
	os.Rename("sslkeylog.txt", "zz-session.nsskeylog")
	os.WriteFile("aa-other.nsskeylog", keys, 0o644)
	code, out, stderr = runCLI(t, nil, "scan", "-f", "csv", "zz-session.pcap")
	if code != exitOK || !strings.Contains(out, "pass --keylog zz-session.nsskeylog") {
		t.Errorf("key log named like the capture: exit %d: %s %s", code, out, stderr)
	}
}

// TestKeyLogOfAnotherSession: keys that match no connection of the capture
// are called that.
func TestKeyLogOfAnotherSession(t *testing.T) {
	code, out, stderr := runCLI(t, nil, "scan", "-f", "csv", "--keylog", filepath.Join(labDir, "code-expired-fosite", "keys.log"),
		filepath.Join(labDir, "clean-fosite-http1-tls", "capture.pcap"))
	if code != exitOK || !strings.Contains(out, "none of the client randoms in the key log") || !strings.Contains(out, "so 5 connections stay encrypted") || strings.Contains(out, "Encrypted Client Hello") {
		t.Errorf("exit %d: %s %s", code, out, stderr)
	}
}

func writeZip(t *testing.T, path string, names ...string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("{}"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestTicketMarkdownGolden pins the ticket-ready Markdown of one trace per
// rule and mechanism the lab records: title line, facts, where to look in
// the provider's logs, evidence in time order with the proving parameter,
// and remediation for the case.
func TestTicketMarkdownGolden(t *testing.T) {
	golden := mustAbs(t, "testdata/golden/ticket")
	cases := map[string][]string{
		"code-reuse-reload":                        {"code-reuse-reload-fosite/trace.har"},
		"code-reuse-double-handler":                {"--keylog", "code-reuse-double-handler-zitadel/keys.log", "code-reuse-double-handler-zitadel/capture.pcap"},
		"code-reuse-entra-shaped":                  {"code-reuse-entra-shaped-fosite/capture-dsb.pcapng"},
		"code-reuse-spa-double":                    {"code-reuse-spa-double-fosite/trace.har"},
		"code-expired":                             {"code-expired-fosite/capture-dsb.pcapng"},
		"multi-tab-pkce-spa":                       {"multi-tab-pkce-spa-fosite/trace.har"},
		"multi-tab-pkce-cookie":                    {"multi-tab-pkce-cookie-fosite/trace.har"},
		"multi-tab-state":                          {"multi-tab-state-zitadel/trace.har"},
		"redirect-uri-mismatch-authorize":          {"redirect-uri-mismatch-authorize-zitadel/trace.har"},
		"redirect-uri-mismatch-token-call-differs": {"redirect-uri-mismatch-token-fosite/capture-dsb.pcapng"},
		"pkce-mismatch":                            {"pkce-mismatch-spa-fosite/trace.har"},
		"state-mismatch":                           {"state-mismatch-samesite-strict-zitadel/trace.har"},
		"clean":                                    {"clean-fosite-spa-h2/trace.har"},
		// Provider-shaped fixtures of the rules (relative to the lab).
		"redirect-uri-mismatch-entra-aadsts50011-proxy": {"../../../rules/testdata/redirect-aadsts50011.har"},
		"redirect-uri-mismatch-google-not-registered":   {"../../../rules/testdata/google-redirect-error-page.har"},
		"redirect-uri-mismatch-not-registered":          {"redirect-uri-mismatch-authorize-fosite/capture-dsb.pcapng"},
		"code-expired-short-lifetime":                   {"code-expired-interstitial-fosite/capture-dsb.pcapng"},
		"code-expired-issued-earlier":                   {"../../../rules/testdata/expired-aadsts70008-early.har"},
		"code-reuse-duplicate-navigation":               {"../../../rules/testdata/reuse-duplicate-navigation.har"},
		"code-reuse-proxy-retry":                        {"code-reuse-proxy-retry-nginx-fosite/capture-server-dsb.pcapng"},
		"code-reuse-prefetch":                           {"../../../rules/testdata/reuse-prefetch.har"},
		"code-reuse-browser-and-server":                 {"../../../rules/testdata/reuse-browser-and-server.har"},
		"multi-tab-shared-slot":                         {"multi-tab-shared-slot-spa-fosite/capture-dsb.pcapng"},
		"multi-tab-grant-replaced":                      {"../../../rules/testdata/multitab-grant-replaced.har"},
		"spa-cross-origin-cors-blocked":                 {"cors-blocked-token-spa-fosite/capture-dsb.pcapng"},
	}
	if *update {
		os.MkdirAll(golden, 0o755)
	}
	t.Chdir(labDir)
	for name, args := range cases {
		code, out, stderr := runCLI(t, nil, append([]string{"scan", "-f", "markdown", "--fail-on", "never"}, args...)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		if strings.Contains(out, "/work/") || strings.Contains(out, "//"+args[len(args)-1]) {
			t.Errorf("%s: the report names a path the user did not type", name)
		}
		if first := strings.SplitN(out, "\n", 2)[0]; name != "clean" && !strings.Contains(first, " UTC") {
			t.Errorf("%s: title line %q has no UTC time", name, first)
		}
		checkGolden(t, filepath.Join(golden, name+".md"), out)
	}
}

// TestTimelineChipNamesTheFindingsCode: Entra wraps AADSTS54005 in
// AADSTS70002; the timeline chip shows the code the finding names, and
// browser pages are "Page N" lanes with the page id as their title.
func TestTimelineChipNamesTheFindingsCode(t *testing.T) {
	code, out, stderr := runCLI(t, nil, "scan", "-f", "json", filepath.Join(samples, "reuse-double-handler.har"))
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Files []struct {
			Findings []struct {
				Evidence []struct {
					Ref       string `json:"ref"`
					ErrorCode string `json:"error_code"`
				} `json:"evidence"`
			} `json:"findings"`
			Timeline []struct {
				Ref       string `json:"ref"`
				Lane      string `json:"lane"`
				LaneTitle string `json:"lane_title"`
				ErrorCode string `json:"error_code"`
			} `json:"timeline"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	named := map[string]string{}
	for _, fd := range doc.Files[0].Findings {
		for _, e := range fd.Evidence {
			if e.ErrorCode != "" {
				named[e.Ref] = e.ErrorCode
			}
		}
	}
	chips, pages := 0, 0
	for _, st := range doc.Files[0].Timeline {
		if st.ErrorCode != "" {
			chips++
			if want := named[st.Ref]; want != "" && st.ErrorCode != want {
				t.Errorf("%s: chip %s, the finding names %s", st.Ref, st.ErrorCode, want)
			}
		}
		if strings.HasPrefix(st.Lane, "Page ") {
			pages++
			if !strings.HasPrefix(st.LaneTitle, "page id ") {
				t.Errorf("lane %s has title %q", st.Lane, st.LaneTitle)
			}
		}
	}
	if chips == 0 || pages == 0 || named["entries[4]"] != "AADSTS54005" {
		t.Errorf("%d error chips and %d page lanes in the timeline; the finding names %v", chips, pages, named)
	}
}

// TestVerdictProviderTrafficUnread: a capture that shows one complete
// sign-in is not clean when part of its traffic with the provider could
// not be read: that part may hold the failure. The lab's capture of a code
// redeemed twice (real Chromium, fosite, tcpdump) with the ServerHello of
// the connection carrying the second redemption dropped (frame 60), as a
// capture that lost the packet does: the second redemption cannot be
// decrypted, the first still shows a complete sign-in.
func TestVerdictProviderTrafficUnread(t *testing.T) {
	dir := filepath.Join(labDir, "code-reuse-parallel-fosite")
	data, err := os.ReadFile(filepath.Join(dir, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	dropped := filepath.Join(t.TempDir(), "lost-packet.pcap")
	if err := os.WriteFile(dropped, dropPcapFrame(t, data, 60), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, stderr := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", "--keylog", filepath.Join(dir, "keys.log"), dropped)
	var doc struct {
		Files []struct {
			Verdict       string `json:"verdict"`
			VerdictReason string `json:"verdict_reason"`
			Notes         []struct {
				Kind string `json:"kind"`
			} `json:"notes"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
		t.Fatalf("bad output (%v): %s %s", err, out, stderr)
	}
	f := doc.Files[0]
	if len(f.Notes) == 0 || f.Notes[0].Kind != "tls-no-handshake" {
		t.Fatalf("notes %v: frame 60 is no longer the ServerHello of the second connection", f.Notes)
	}
	if f.Verdict != "inconclusive" || !strings.Contains(f.VerdictReason, "1 sign-in completed") ||
		!strings.Contains(f.VerdictReason, "traffic to auth.fosite.test (a TLS handshake not captured") {
		t.Errorf("verdict %s: %s", f.Verdict, f.VerdictReason)
	}
}

// dropPcapFrame returns a classic little-endian pcap without its n-th
// (1-based) packet record.
func dropPcapFrame(t *testing.T, data []byte, n int) []byte {
	t.Helper()
	if len(data) < 24 || !bytes.Equal(data[:4], []byte{0xd4, 0xc3, 0xb2, 0xa1}) {
		t.Fatal("not a little-endian pcap")
	}
	out := append([]byte(nil), data[:24]...)
	for off, i := 24, 1; off+16 <= len(data); i++ {
		incl := int(binary.LittleEndian.Uint32(data[off+8:]))
		end := off + 16 + incl
		if end > len(data) {
			t.Fatalf("record %d runs past the end", i)
		}
		if i != n {
			out = append(out, data[off:end]...)
		}
		off = end
	}
	return out
}

// TestVerdictNamesTheProvidersError: when the provider answered a sign-in
// with an error, the verdict says so, with the provider's words when
// `traceaudit explain` does not know the error, instead of blaming the
// app's error page that followed or pointing to an explanation that does
// not exist. The lab's fosite web-app sign-in turned into a denied one
// (rules/testdata/denied-access.har), and four silent Entra requests
// answered login_required (rules/testdata/loop-near-miss.har).
func TestVerdictNamesTheProvidersError(t *testing.T) {
	for file, want := range map[string]string{
		"denied-access.har":  `answered the sign-in at entries[2] with access_denied and no rule explains it (the provider says "The resource owner or authorization server denied the request.`,
		"loop-near-miss.har": "answered the sign-in at entries[3] with AADSTS50058 login_required and no sign-in after it completed; see the error's explanation (traceaudit explain AADSTS50058)",
	} {
		_, out, stderr := runCLI(t, nil, "scan", "-f", "json", "--fail-on", "never", filepath.Join("..", "..", "rules", "testdata", file))
		var doc struct {
			Files []struct {
				Verdict       string `json:"verdict"`
				VerdictReason string `json:"verdict_reason"`
			} `json:"files"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Files) != 1 {
			t.Fatalf("%s: bad output (%v): %s %s", file, err, out, stderr)
		}
		if f := doc.Files[0]; f.Verdict != "inconclusive" || !strings.Contains(f.VerdictReason, want) {
			t.Errorf("%s: verdict %s: %s\nwant it to contain: %s", file, f.Verdict, f.VerdictReason, want)
		}
	}
	// Every error a verdict sends to `traceaudit explain` is one it knows.
	if code, _, stderr := runCLI(t, nil, "explain", "AADSTS50058"); code != 0 {
		t.Errorf("explain AADSTS50058: exit %d: %s", code, stderr)
	}
}

// TestLogSearchB2C: where to look in the provider's logs differs for Azure
// AD B2C: its user sign-ins are not tied to their application in Entra's
// sign-in logs; token issuance is in the B2C audit logs. The bundled
// double-handler sample (the real AADSTS54005 body) with its endpoints
// moved to a B2C user flow's.
func TestLogSearchB2C(t *testing.T) {
	data, err := os.ReadFile("../../testdata/samples/reuse-double-handler.har")
	if err != nil {
		t.Fatal(err)
	}
	b2c := bytes.ReplaceAll(data, []byte("login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0"),
		[]byte("contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signupsignin/oauth2/v2.0"))
	if bytes.Equal(b2c, data) {
		t.Fatal("the sample's endpoints changed")
	}
	path := filepath.Join(t.TempDir(), "b2c.har")
	if err := os.WriteFile(path, b2c, 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, stderr := runCLI(t, nil, "scan", "-f", "markdown", "--fail-on", "never", path)
	if !strings.Contains(out, "Azure portal → Azure AD B2C → Activities → Audit logs") || strings.Contains(out, "Sign-in logs (User sign-ins") {
		t.Errorf("B2C ticket does not send to the B2C audit logs:\n%s%s", out, stderr)
	}
	_, out, _ = runCLI(t, nil, "scan", "-f", "markdown", "--fail-on", "never", "../../testdata/samples/reuse-double-handler.har")
	if !strings.Contains(out, "Sign-in logs (User sign-ins") {
		t.Errorf("Entra ticket lost its sign-in logs search:\n%s", out)
	}
}
