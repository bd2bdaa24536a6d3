package secret_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

func loadSample(t *testing.T, path string) []*model.Exchange {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := har.NewReader(f, har.Options{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

var jwtInURL = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// TestRedactURLCloudflareAccessMeta: Cloudflare Access passes a signed JWT in
// the "meta" parameter of its login URL, under a name no list knows. The
// redacted URL must carry its fingerprint, not the token or any piece of it:
// the table layout wraps long URLs, and a wrapped piece of a JWT no longer
// looks like one to the output's last-line sweep.
func TestRedactURLCloudflareAccessMeta(t *testing.T) {
	exs := loadSample(t, "testdata/har/cloudflare-access-google.DERIVED.har")
	checked := 0
	for _, ex := range exs {
		raw := ex.Request.URL
		jwts := jwtInURL.FindAllString(raw, -1)
		if len(jwts) == 0 {
			continue
		}
		got := secret.RedactURL(raw)
		for _, jwt := range jwts {
			checked++
			for _, seg := range strings.Split(jwt, ".") {
				if len(seg) >= 16 && strings.Contains(got, seg[:16]) {
					t.Errorf("%s: RedactURL kept a piece of a JWT (%.16s…): %s", ex.Ref, seg, got)
				}
			}
			if !strings.Contains(got, secret.Fingerprint(jwt)) {
				t.Errorf("%s: RedactURL lacks the JWT's fingerprint %s: %s", ex.Ref, secret.Fingerprint(jwt), got)
			}
		}
		if strings.Contains(raw, "kid=") && !strings.Contains(got, "kid=32eafc7626e9") {
			t.Errorf("%s: RedactURL lost the non-secret kid: %s", ex.Ref, got)
		}
	}
	// entries[0]'s Location is not a request URL; entries[1] is the login
	// URL with the meta JWT.
	if checked == 0 {
		t.Fatal("no JWT found in the trace's request URLs: the fixture changed")
	}
}
