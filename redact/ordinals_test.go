package redact

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
	"github.com/traceaudit/traceaudit/secret"
)

// maskRE finds a copy's masks.
var maskRE = regexp.MustCompile(`REDACTED-[a-z]+-[0-9]+`)

// TestMaskOrdinal: the placeholders MaskPlaceholder writes read back, and
// nothing else reads as one.
func TestMaskOrdinal(t *testing.T) {
	for _, c := range []struct {
		v    string
		kind string
		n    int
	}{
		{"REDACTED-cookie-3", "cookie", 3}, {"REDACTED-password-12", "password", 12}, {secret.MaskPlaceholder("value", 7), "value", 7},
		{"REDACTED-cookie-0", "", 0}, {"REDACTED-cookie-03", "", 0}, {"REDACTED-cookie-+3", "", 0}, {"REDACTED-Cookie-3", "", 0},
		{"REDACTED--3", "", 0}, {"REDACTED-cookie-", "", 0}, {"[redacted]", "", 0}, {"redacted-cookie-3", "", 0},
		{"REDACTED-cookie-99999999999", "", 0}, {"REDACTED-cookie-3x", "", 0},
	} {
		kind, n, ok := secret.MaskOrdinal(c.v)
		if kind != c.kind || n != c.n || ok != (c.n > 0) {
			t.Errorf("MaskOrdinal(%q) = %q, %d, %v; want %q, %d", c.v, kind, n, ok, c.kind, c.n)
		}
		if ok && !isPlaceholder(c.v) {
			t.Errorf("%q is not a placeholder", c.v)
		}
	}
}

// maskCounts maps each mask of a copy to the number of times it occurs.
func maskCounts(copy []byte) map[string]int {
	out := map[string]int{}
	for _, m := range maskRE.FindAll(copy, -1) {
		out[string(m)]++
	}
	return out
}

// TestMasksKeepEquality: within one copy, a cookie's value has one mask
// wherever it stands (Set-Cookie, Cookie, a path, a query, a fragment, a
// JSON echo), another value another mask; a password its own kind's; a code
// the same fingerprint in the Location that delivers it and the body that
// redeems it. So in the HAR copy, in the SAZ copy of the same exchanges and
// in the HAR bundle writes of a capture's.
func TestMasksKeepEquality(t *testing.T) {
	const (
		sid   = "sess-Alpha-0123456789"
		other = "sess-Bravo-9876543210"
		code  = "c0de-Charlie-AbCdEf0123456789"
		pw    = "hunter2-Delta-pw"
	)
	data := buildHAR(t,
		entry{Method: "GET", URL: "https://app.example/login", Status: 302,
			RespHeaders: [][2]string{{"Set-Cookie", "sid=" + sid + "; Path=/; HttpOnly"}, {"Set-Cookie", "pref=" + other + "; Path=/"},
				{"Location", "https://idp.example/authorize?client_id=web&state=st-0123456789abcdef&redirect_uri=https%3A%2F%2Fapp.example%2Fcb"}}},
		entry{Method: "POST", URL: "https://idp.example/login", Status: 302,
			ReqMIME: "application/x-www-form-urlencoded", ReqBody: "username=alice&password=" + pw,
			RespHeaders: [][2]string{{"Location", "https://app.example/cb?code=" + code + "&state=st-0123456789abcdef"}}},
		entry{Method: "GET", URL: "https://app.example/cb?code=" + code + "&state=st-0123456789abcdef", Status: 302,
			ReqHeaders:  [][2]string{{"Cookie", "sid=" + sid + "; pref=" + other}},
			RespHeaders: [][2]string{{"Location", "/interaction/" + sid + "?ref=" + sid + "#ref=" + other}}},
		entry{Method: "POST", URL: "https://idp.example/token", Status: 200,
			ReqMIME: "application/x-www-form-urlencoded", ReqBody: "grant_type=authorization_code&code=" + code + "&client_id=web",
			RespMIME: "application/json", RespBody: `{"echo":"` + sid + `","again":{"password":"` + pw + `"}}`},
	)
	orig, _ := readHAR(t, data)
	red, _ := redactHAR(t, data, Options{})
	var capture, captureHAR bytes.Buffer
	if _, err := Exchanges(orig, &capture, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := writeHAR(&captureHAR, orig); err != nil {
		t.Fatal(err)
	}
	sazRed, _ := redactSAZ(t, sazFromExchanges(t, orig), Options{})
	for _, c := range []struct {
		name       string
		orig, copy []byte
	}{
		{"har", data, red},
		{"capture", captureHAR.Bytes(), capture.Bytes()},
		{"saz", unzipAll(t, sazFromExchanges(t, orig)), unzipAll(t, sazRed)},
	} {
		t.Run(c.name, func(t *testing.T) {
			mustNotContain(t, c.copy, sid, other, code, pw)
			exs, ok := tryReadHAR(c.copy)
			if c.name == "saz" {
				exs, _ = readSAZ(t, sazRed, "")
				ok = true
			}
			if !ok || len(exs) != 4 {
				t.Fatalf("the copy reads as %d exchanges", len(exs))
			}
			set := exs[0].Response.SetCookies()
			sent := exs[2].Request.Cookies()
			if len(set) != 2 || len(sent) != 2 {
				t.Fatalf("cookies: %d set, %d sent", len(set), len(sent))
			}
			mSid, mOther := set[0].Value, set[1].Value
			for _, m := range []string{mSid, mOther} {
				if kind, _, ok := secret.MaskOrdinal(m); !ok || kind != "cookie" {
					t.Fatalf("a cookie's value became %q", m)
				}
			}
			if mSid == mOther {
				t.Fatalf("two values, one mask %s", mSid)
			}
			if sent[0].Value != mSid || sent[1].Value != mOther {
				t.Errorf("sent back as %s, %s; set as %s, %s", sent[0].Value, sent[1].Value, mSid, mOther)
			}
			// Every place the value stood holds its mask, and nothing
			// else does.
			counts := maskCounts(c.copy)
			for v, m := range map[string]string{sid: mSid, other: mOther} {
				if got, want := counts[m], bytes.Count(c.orig, []byte(v)); got != want {
					t.Errorf("%s: %d times in the copy, its value %d times in the original", m, got, want)
				}
			}
			loc := exs[2].Response.Headers.Get("Location")
			if want := "/interaction/" + mSid + "?ref=" + mSid + "#ref=" + mOther; loc != want {
				t.Errorf("Location %q, want %q", loc, want)
			}
			// The password: one mask of its kind in the form and the
			// JSON answer.
			pwMask := ""
			for m := range counts {
				if kind, _, _ := secret.MaskOrdinal(m); kind == "password" {
					if pwMask != "" {
						t.Errorf("two password masks: %s, %s", pwMask, m)
					}
					pwMask = m
				}
			}
			if pwMask == "" || counts[pwMask] != bytes.Count(c.orig, []byte(pw)) {
				t.Errorf("the password's mask %q stands %d times, the password %d", pwMask, counts[pwMask], bytes.Count(c.orig, []byte(pw)))
			}
			// The code: one fingerprint where it is delivered and where it
			// is redeemed.
			fp := secret.Fingerprint(code)
			codeEvents := func(exs []*model.Exchange) (n int) {
				for _, e := range oauth.ExtractAll(exs) {
					if e.Code.Fingerprint() == fp {
						n++
					}
				}
				return n
			}
			if got, want := codeEvents(exs), codeEvents(orig); got != want || want < 2 {
				t.Errorf("code %s in %d events of the copy, %d of the original", fp, got, want)
			}
		})
	}
}

// TestMasksOfOneFileOnly: a rule reads two equal masks as one value only
// within one file. Auth.js's check cookie came back as it was set in the
// copy of authjs-bad-secret.har, as in the original; with the answer that
// set it read from another input of a case (another file's copy, whose
// masks number other values), the verdict says nothing of it.
func TestMasksOfOneFileOnly(t *testing.T) {
	data, err := os.ReadFile("../rules/testdata/authjs-bad-secret.har")
	if err != nil {
		t.Fatal(err)
	}
	const cameBack = "came back with this callback"
	reason := func(exs []*model.Exchange) string {
		in := rules.Input{Exchanges: exs, Events: oauth.ExtractAll(exs)}
		a := rules.Analyze(in, rules.Options{})
		return rules.Assess(a, rules.Run(a, rules.All())).Reason
	}
	orig, _ := readHAR(t, data)
	if r := reason(orig); !strings.Contains(r, cameBack) {
		t.Fatalf("the original's verdict changed: %s", r)
	}
	red, _ := redactHAR(t, data, Options{})
	cp, _ := readHAR(t, red)
	if r := reason(cp); !strings.Contains(r, cameBack) {
		t.Errorf("the copy's verdict does not say the check cookie came back: %s", r)
	}
	// One case of two inputs: the exchanges before the callback from
	// the first, the rest from the second.
	for _, ex := range cp {
		ex.Trace = 1
		if ex.Index >= 9 {
			ex.Trace = 2
		}
	}
	if cp[9].Request.Headers.Get("Cookie") == "" || !strings.Contains(cp[9].Request.URL, "/callback/") {
		t.Fatal("the fixture's callback moved")
	}
	if r := reason(cp); strings.Contains(r, cameBack) {
		t.Errorf("equal masks of two files read as one value: %s", r)
	}
}
