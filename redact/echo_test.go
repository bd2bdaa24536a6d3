package redact

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// Values of the real cookies of har/testdata/mitmproxy-chrome.har (a
// Chrome DevTools export of www.google.com, provenance in
// har/testdata/PROVENANCE.md), and planted ones.
const (
	echoShortCookie  = "CgQI5pgB"                           // SEARCH_SAMESITE: 8 bytes
	echoLongCookie   = "AOiDlkphfGSlvWKsu"                  // HSID
	echoSlashCookie  = "GtMYjIVXfk0omvEX/A1mpBXxfb2x4uc-qq" // APISID, echoed URL-encoded
	echoQuoted       = "Qx7vN2pLk9Rt4WmZ8sYb"               // a quoted Set-Cookie value (planted)
	echoShortToken   = "Ab12Cd34"                           // an access_token of 8 bytes (planted)
	echoDigitsSecret = "482913"                             // a one-time code of digits (planted)
)

// plantCookieEchoes returns the HAR with one entry appended: its request
// sends the short token as access_token and the digits as otp, its
// response sets a quoted cookie, and its page echoes every value without
// a name (a script's variables, a link's innocuous parameter, text),
// beside ordinary words that must stay.
func plantCookieEchoes(t *testing.T) []byte {
	t.Helper()
	orig, err := os.ReadFile("../har/testdata/mitmproxy-chrome.har")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"SEARCH_SAMESITE=" + echoShortCookie + ";", "HSID=" + echoLongCookie + ";", "APISID=" + echoSlashCookie + ";"} {
		if !bytes.Contains(orig, []byte(c)) {
			t.Fatalf("the fixture no longer sends the cookie %s", c)
		}
	}
	var doc map[string]any
	if err := json.Unmarshal(orig, &doc); err != nil {
		t.Fatal(err)
	}
	entries := doc["log"].(map[string]any)["entries"].([]any)
	e := map[string]any{}
	b, _ := json.Marshal(entries[0])
	json.Unmarshal(b, &e)
	req := e["request"].(map[string]any)
	req["url"] = "https://mitmproxy.org/next?access_token=" + echoShortToken + "&otp=" + echoDigitsSecret + "&ref=" + echoShortCookie
	req["queryString"] = []any{}
	resp := e["response"].(map[string]any)
	resp["status"] = 200
	resp["headers"] = []any{
		map[string]any{"name": "Content-Type", "value": "text/html"},
		map[string]any{"name": "Set-Cookie", "value": `qsid="` + echoQuoted + `"; Path=/; HttpOnly`},
	}
	resp["content"] = map[string]any{"mimeType": "text/html", "text": `<html><head><title>` + echoShortCookie + `</title><script>var s="` + echoShortCookie +
		`", h='` + echoLongCookie + `', q="` + echoQuoted + `", t="` + echoShortToken + `";</script></head><body>` +
		`<a href="/r?u=GtMYjIVXfk0omvEX%2FA1mpBXxfb2x4uc-qq">next</a> ` + echoShortToken + ` <i data-u="GtMYjIVXfk0omvEX%2FA1mpBXxfb2x4uc-qq"></i> ` +
		`keep: ` + echoShortCookie + `z9 x` + echoShortToken + ` en-US true 2023-7-25 order 482913 of 2023</body></html>`}
	doc["log"].(map[string]any)["entries"] = append(entries, e)
	out, _ := json.Marshal(doc)
	return out
}

// TestSweepEchoedCookieValues: a cookie's value (Cookie, a quoted
// Set-Cookie value) and a short token first seen under a secret's name are
// swept wherever they come back in the copy without their names: a
// script, a page's text, a link's innocuous parameter, URL-encoded. A
// value shorter than 12 bytes is swept only as a whole word, and only
// when it reads as a token: a word with it inside, ordinary values and a
// code of digits alone stay (the floor against sweeping sizes, ports and
// times all over the copy). Both a HAR and a SAZ copy.
func TestSweepEchoedCookieValues(t *testing.T) {
	data := plantCookieEchoes(t)
	exs, _ := readHAR(t, data)
	copies := map[string][]byte{}
	copies["har"], _ = redactHAR(t, data, Options{})
	copies["saz"], _ = redactSAZ(t, sazFromExchanges(t, exs), Options{})
	for kind, out := range copies {
		text := out
		if kind == "saz" {
			text = unzipAll(t, out)
		}
		for _, v := range []string{echoLongCookie, "GtMYjIVXfk0omvEX", echoQuoted} {
			if bytes.Contains(text, []byte(v)) {
				t.Errorf("%s: the copy holds %s…", kind, v[:6])
			}
		}
		for _, v := range []string{echoShortCookie, echoShortToken} {
			// Inside a longer word it stays; as a word of its own it
			// must not.
			rest := strings.NewReplacer(v+"z9", "", "x"+v, "").Replace(string(text))
			if strings.Contains(rest, v) {
				t.Errorf("%s: the copy holds the short value %s as a word", kind, v)
			}
		}
		for _, keep := range []string{echoShortCookie + "z9", "x" + echoShortToken, "en-US true 2023-7-25 order 482913 of 2023"} {
			if !bytes.Contains(text, []byte(keep)) {
				t.Errorf("%s: the copy lost %q", kind, keep)
			}
		}
	}
}
