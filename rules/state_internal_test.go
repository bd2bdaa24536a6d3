package rules

import (
	"strings"
	"testing"

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
