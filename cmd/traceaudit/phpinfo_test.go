package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// phpinfoSecrets are the credentials testdata/phpinfo/phpinfo.pcap carries
// (see its PROVENANCE.md): sent by curl, and printed back by phpinfo(),
// print_r and var_dump, with the server's environment.
var phpinfoSecrets = []string{"PhpBearerTok9c2Lm4Q", "phpSess5s8d7f6g1h2", "PhpXApiKey31415Zz", "PhpBasicPw2718Kq",
	base64.StdEncoding.EncodeToString([]byte("bob:PhpBasicPw2718Kq")), "PhpEnvDbPw7731xQ", "sk_test_51PhpInfoKey0a9b8c7d"}

// TestPHPInfoCapture: a real phpinfo() page (PHP's built-in server, Debian's
// php-cli) prints the request's Authorization, cookies and the decoded
// Basic password, and the server's environment, as table cells, and a
// print_r and var_dump page prints them as dumps. In the capture and in
// its HAR and SAZ forms, no command's output, no redact copy and no member
// of a bundle shows one of them, and the copies still read what support
// needs of the page.
func TestPHPInfoCapture(t *testing.T) {
	for _, name := range []string{"phpinfo.pcap", "phpinfo.DERIVED.har", "phpinfo.DERIVED.saz"} {
		t.Run(name, func(t *testing.T) { phpinfoCheck(t, filepath.Join("testdata", "phpinfo", name)) })
	}
}

func phpinfoCheck(t *testing.T, in string) {
	check := func(what, text string) {
		t.Helper()
		for _, s := range phpinfoSecrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q", what, s)
			}
		}
	}
	// The input holds every one of them: the check can fail.
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{string(raw)}
	if strings.HasSuffix(in, ".saz") {
		texts = nil
		for _, m := range sazContents(t, raw) {
			texts = append(texts, string(m))
		}
	}
	for _, s := range phpinfoSecrets {
		found := false
		for _, text := range texts {
			found = found || strings.Contains(text, s)
		}
		if !found {
			t.Fatalf("%s does not hold %q: the test proves nothing for it", in, s)
		}
	}
	for _, args := range huntRuns {
		if args[0] == "compare" {
			continue
		}
		a := append(append([]string(nil), args...), "--fail-on", "never", in)
		code, stdout, stderr := runCLI(t, nil, a...)
		if code == exitTrouble {
			t.Errorf("%s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		check(strings.Join(args, " "), stdout+stderr)
	}
	// The sanitized copies: redact's (HAR and SAZ) and bundle's (a
	// capture's copy is a HAR); every member of a SAZ.
	var copies []string
	if !strings.HasSuffix(in, ".pcap") {
		out := filepath.Join(t.TempDir(), "copy"+filepath.Ext(in))
		if code, _, stderr := runCLI(t, nil, "redact", in, "-o", out); code != exitOK {
			t.Fatalf("redact: exit %d: %s", code, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		copies = append(copies, string(data))
		if strings.HasSuffix(in, ".saz") {
			copies = copies[:0]
			for _, m := range sazContents(t, data) {
				copies = append(copies, string(m))
			}
		}
	}
	out := filepath.Join(t.TempDir(), "case.zip")
	if code, _, stderr := runCLI(t, nil, "bundle", "--fail-on", "never", in, "-o", out); code != exitOK {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range sazContents(t, data) {
		if strings.HasSuffix(name, ".saz") {
			for _, im := range sazContents(t, m) {
				copies = append(copies, string(im))
			}
			continue
		}
		copies = append(copies, string(m))
	}
	all := strings.Join(copies, "\n")
	check("a copy", all)
	// What the page says that is no secret stays: the variables' names,
	// the host name, the request URI, a cookie's name, PHP's version.
	for _, keep := range []string{"DB_PASSWORD", "STRIPE_API_KEY", `$_SERVER['PHP_AUTH_PW']`, `$_SERVER['HTTP_AUTHORIZATION']`,
		`$_COOKIE['PHPSESSID']`, "PHP_AUTH_USER", "phpinfo-lab", "/info.php", "PHP Version 8.2", "[HTTP_HOST] => 127.0.0.1:8089",
		"Bearer sha256:", "Basic sha256:"} {
		if !strings.Contains(all, keep) && !strings.Contains(all, strings.ReplaceAll(keep, "'", `\u0027`)) &&
			!strings.Contains(all, strings.ReplaceAll(keep, ">", `\u003e`)) {
			t.Errorf("the copies lost %q", keep)
		}
	}
}
