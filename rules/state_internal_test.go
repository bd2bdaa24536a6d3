package rules

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

func TestCookieName(t *testing.T) {
	az := &model.Event{State: secret.New("BtoQrLfgv7XxU4ft2_s42w")}
	tests := []struct{ in, want string }{
		{"rp_pkce_BtoQrLfgv7XxU4ft2_s42w", "rp_pkce_<" + az.State.Fingerprint() + ">"},
		{".AspNetCore.Correlation.Sdf7Kx2PqL9mN4bV1cXz", ".AspNetCore.Correlation.…"},
		{"next-auth.state", "next-auth.state"},
		{"ESTSAUTHPERSISTENT", "ESTSAUTHPERSISTENT"},
	}
	for _, tt := range tests {
		got := cookieName(tt.in, az)
		if got != tt.want {
			t.Errorf("cookieName(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, az.State.Reveal()) {
			t.Errorf("cookieName(%q) shows the state", tt.in)
		}
	}
}

// TestFmtDurationExtremes: the most negative duration (two times of a
// hostile trace ~292 years apart) printed by recursing on its negation,
// which overflows to itself: FuzzCheck found the stack overflow.
func TestFmtDurationExtremes(t *testing.T) {
	if got := fmtDuration(math.MinInt64); !strings.HasPrefix(got, "-") {
		t.Errorf("fmtDuration(MinInt64) = %q", got)
	}
	if got := fmtDuration(-1500 * time.Millisecond); got != "-1.5s" {
		t.Errorf("fmtDuration(-1.5s) = %q", got)
	}
}

// TestCookieRefused: what a Set-Cookie shows a browser refusing, and what
// it does not (the refusals themselves are recorded in
// testdata/oauth2-proxy: oauth2-proxy-cookie-secure.har, -cookie-domain,
// -csrf-expired).
func TestCookieRefused(t *testing.T) {
	set := time.Date(2026, 12, 6, 13, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		c    setCookie
		at   time.Time
		want string
	}{
		{"secure over http", setCookie{secure: true, setURL: "http://app.example.test/"}, set, cookieInsecure},
		{"secure over https", setCookie{secure: true, setURL: "https://app.example.test/"}, set, ""},
		{"secure on http localhost", setCookie{secure: true, setURL: "http://localhost:4180/"}, set, ""},
		{"secure on http loopback", setCookie{secure: true, setURL: "http://127.0.0.1:4180/"}, set, ""},
		{"domain elsewhere", setCookie{domain: ".example.com", setURL: "https://app.example.test/"}, set, cookieDomain},
		{"domain parent", setCookie{domain: "example.test", setURL: "https://app.example.test/"}, set, ""},
		{"domain itself", setCookie{domain: "app.example.test", setURL: "https://app.example.test/"}, set, ""},
		{"domain suffix not a label", setCookie{domain: "ple.test", setURL: "https://app.example.test/"}, set, cookieDomain},
		{"expired", setCookie{setURL: "https://a.test/", maxAge: 5, expires: set.Add(5 * time.Second)}, set.Add(9 * time.Second), cookieExpired},
		{"alive", setCookie{setURL: "https://a.test/", maxAge: 900, expires: set.Add(15 * time.Minute)}, set.Add(9 * time.Second), ""},
		{"time unknown", setCookie{setURL: "https://a.test/", maxAge: 5, expires: set.Add(5 * time.Second)}, time.Time{}, ""},
		{"no URL", setCookie{secure: true}, set, ""},
	} {
		if got, _ := cookieRefused(c.c, c.at); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
