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
