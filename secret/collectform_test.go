package secret

import (
	"net/url"
	"slices"
	"testing"
)

func collected(f func(add func(Secret))) []string {
	var out []string
	f(func(s Secret) { out = append(out, s.Reveal()) })
	return out
}

var formSeeds = []string{
	"grant_type=authorization_code&code=c0de-0123456789&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&redirect_uri=https%3A%2F%2Fapp%2Fcb%3Fstate%3Dabc%26x%3D1",
	"username=alice&password=hunter2&client_secret=s3cr3t&code_challenge=abc&code_challenge_method=plain",
	"t=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl&q=a%3D1%26access_token%3Dat-0123456789&x",
	"a=1#/cb?code=frag-code-0123",
}

// FuzzCollectForm: CollectForm gives the values RedactURLCollect gives
// for the body as a URL's query, in order, wherever the URL parses.
func FuzzCollectForm(f *testing.F) {
	for _, s := range formSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got := collected(func(add func(Secret)) { CollectForm(body, add) })
		if _, err := url.Parse("http://body.invalid/?" + body); err != nil {
			return
		}
		want := collected(func(add func(Secret)) { RedactURLCollect("http://body.invalid/?"+body, add) })
		if !slices.Equal(got, want) {
			t.Fatalf("%q: got %q, want %q", body, got, want)
		}
	})
}

// TestCollectForm: the seeds (a token request, a password grant with a
// plain challenge, a token and a nested query under neutral names, a
// fragment) collect as RedactURLCollect collects.
func TestCollectForm(t *testing.T) {
	for _, s := range formSeeds {
		got := collected(func(add func(Secret)) { CollectForm(s, add) })
		want := collected(func(add func(Secret)) { RedactURLCollect("http://body.invalid/?"+s, add) })
		if !slices.Equal(got, want) || len(got) == 0 {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
	}
}
