package har

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestParamsAsChromeWritesThem: Chrome writes postData.params still
// URL-encoded ("https%3A%2F%2F…"). Read from params alone, the body must
// carry the same values as the text Chrome wrote beside them, not the
// values encoded twice (a redirect_uri that differs from the authorize
// request's). The fixture's comment keeps the removed text.
func TestParamsAsChromeWritesThem(t *testing.T) {
	const path = "testdata/chrome118-params-encoded.DERIVED.har"
	exs, _ := readFile(t, path, Options{})
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Log struct {
			Entries []struct {
				Comment string `json:"comment"`
			} `json:"entries"`
		} `json:"log"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Log.Entries) != 1 || len(exs) != 1 {
		t.Fatalf("fixture: %v, %d entries, %d exchanges", err, len(doc.Log.Entries), len(exs))
	}
	_, text, ok := strings.Cut(doc.Log.Entries[0].Comment, "the removed text was: ")
	if !ok {
		t.Fatal("fixture comment lost the removed text")
	}
	want, err := url.ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	got, err := url.ParseQuery(string(exs[0].Request.Body.Data))
	if err != nil {
		t.Fatalf("body %q: %v", exs[0].Request.Body.Data, err)
	}
	if got.Get("redirect_uri") != "https://james.cloudflareaccess.com/cdn-cgi/access/callback" {
		t.Errorf("redirect_uri = %q", got.Get("redirect_uri"))
	}
	for k := range want {
		if got.Get(k) != want.Get(k) {
			t.Errorf("%s = %q, want %q", k, got.Get(k), want.Get(k))
		}
	}
}

func TestFormEncoded(t *testing.T) {
	for s, want := range map[string]bool{
		"https%3A%2F%2Fapp.example%2Fcb": true, "email%20profile+openid": true,
		"https://app.example.com/cb?x=1 2": false, "plain": false, "50%off": false, "a%2": false, "": false,
		"x%2Fy z": false,
	} {
		if got := formEncoded(s); got != want {
			t.Errorf("formEncoded(%q) = %v, want %v", s, got, want)
		}
	}
}
