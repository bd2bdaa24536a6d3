package secret

import "testing"

// TestRedactParamSDKHandles: the eighteenth round's names, as the SDKs
// send them (cmd/traceaudit/testdata/sdk-wire): Cognito's challenge
// Session and its custom challenge's ANSWER, auth0-js's co_verifier; a
// session flag, a verifier's description and answer counts stay.
func TestRedactParamSDKHandles(t *testing.T) {
	const v = "AYABeC0xU2VzcGl0ZTEyMw"
	for _, c := range []struct{ name, value, want string }{
		{"Session", v, Fingerprint(v)},
		{"session", v, Fingerprint(v)},
		{"session", "0b7c6a1e-2f3d-4c5b-8a9e-1f2d3c4b5a69", "0b7c6a1e-2f3d-4c5b-8a9e-1f2d3c4b5a69"}, // a correlation id
		{"co_verifier", v, Fingerprint(v)},
		{"coVerifier", v, Fingerprint(v)},
		{"PasswordVerifier", v, Fingerprint(v)},
		{"ANSWER", "483920", Mask("483920")},
		{"securityAnswer", "rex", Mask("rex")},
		{"challenge_answer", "rex", Mask("rex")},
		{"verifier_type", "srp", "srp"},
		{"sessionCount", "3", "3"},
		{"answer_count", "2", "2"},
		{"correctAnswer", "b", "b"},
	} {
		if got := RedactParam(c.name, c.value); got != c.want {
			t.Errorf("RedactParam(%q, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}

// TestCredentialTime: a time about a credential, under a name whose last
// word is a time's, is told from the credential.
func TestCredentialTime(t *testing.T) {
	for _, c := range []struct {
		name, value string
		want        bool
	}{
		{"passwordChanged", "2026-03-01T05:06:07.000Z", true},
		{"passwordUpdatedAt", "1772600767000", true},
		{"password_changed_at", "2026-03-01T05:06:07Z", true},
		{"pwdLastSet", "1772600767", true},
		{"passwordChanged", "hunter2hunter", false},
		{"passwordChanged", "177260076", false},
		{"password", "2026-03-01T05:06:07Z", false},
		{"newPassword", "1772600767000", false},
		{"session_token", "1772600767", false},
	} {
		if got := CredentialTime(c.name, c.value); got != c.want {
			t.Errorf("CredentialTime(%q, %q) = %v, want %v", c.name, c.value, got, c.want)
		}
	}
}
