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
// print_r and var_dump page prints them as dumps. No command's output and
// no member of a bundle (whose copy of the capture is a HAR) shows one of
// them, and the copy still reads what support needs of the page.
func TestPHPInfoCapture(t *testing.T) {
	in := filepath.Join("testdata", "phpinfo", "phpinfo.pcap")
	check := func(what, text string) {
		t.Helper()
		for _, s := range phpinfoSecrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q", what, s)
			}
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
	// The capture holds every one of them: the check can fail.
	raw, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range phpinfoSecrets {
		if !strings.Contains(string(raw), s) {
			t.Fatalf("the capture does not hold %q: the test proves nothing for it", s)
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
	members := sazContents(t, data)
	copyHAR := ""
	for name, m := range members {
		check("bundle member "+name, string(m))
		if strings.HasSuffix(name, ".har") {
			copyHAR = string(m)
		}
	}
	if copyHAR == "" {
		t.Fatal("the bundle holds no copy of the capture")
	}
	// What the page says that is no secret stays: the variables' names,
	// the host name, the request URI, a cookie's name, PHP's version.
	for _, keep := range []string{"DB_PASSWORD", "STRIPE_API_KEY", `$_SERVER['PHP_AUTH_PW']`, `$_SERVER['HTTP_AUTHORIZATION']`,
		`$_COOKIE['PHPSESSID']`, "PHP_AUTH_USER", "phpinfo-lab", "/info.php", "PHP Version 8.2", "[HTTP_HOST] =\u003e 127.0.0.1:8089",
		"Bearer sha256:", "Basic sha256:"} {
		if !strings.Contains(copyHAR, keep) && !strings.Contains(copyHAR, strings.ReplaceAll(keep, "'", `\u0027`)) {
			t.Errorf("the copy lost %q", keep)
		}
	}
}
