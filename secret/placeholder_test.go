package secret

import "testing"

// TestIsPlaceholderPublicSanitizers: the values public HAR sanitizers write
// in place of codes and tokens (read in their sources) are placeholders, so
// that two sign-ins of a sanitized trace are not linked by a shared "code".
// Real codes and tokens are not.
func TestIsPlaceholderPublicSanitizers(t *testing.T) {
	for _, v := range []string{
		"obfuscated",              // jfromaniello/har-sanitizer (Auth0), obfuscate mode
		"[HAR_SANITIZER:REMOVED]", // wso2-cs/har-sanitizer-tool, remove mode
		"[code redacted]",         // cloudflare/har-sanitizer
		"[REDACTED]", "xxxxx", "<removed>", "[masked]",
	} {
		if !IsPlaceholder(New(v)) {
			t.Errorf("IsPlaceholder(%q) = false", v)
		}
	}
	for _, v := range []string{
		"0.AXoAq1bCdEfGhIjKlMnOpQrStUvWxYz",
		"4/0AfJohXnLW7sOmOvedBy2hBsb3JAFKyQ0_w",
		"Hashed: 9c1f5e2a0b7d4e3f", // wso2's hash mode keeps values apart: not a placeholder
		"SplxlOBeZQQYbYS6WxSbIA",
	} {
		if IsPlaceholder(New(v)) {
			t.Errorf("IsPlaceholder(%q) = true", v)
		}
	}
}

func TestWithoutMaskOrdinals(t *testing.T) {
	for in, want := range map[string]string{
		"/interaction/REDACTED-cookie-4":                 "/interaction/REDACTED-cookie",
		"/a/REDACTED-cookie-12/b?x=REDACTED-value-3&y=1": "/a/REDACTED-cookie/b?x=REDACTED-value&y=1",
		"/a/REDACTED-cookie-4x":                          "/a/REDACTED-cookiex",
		"/a/REDACTED-cookie-0/REDACTED-/REDACTED--3":     "/a/REDACTED-cookie-0/REDACTED-/REDACTED--3",
		"no mask, [redacted], sha256:0123456789ab":       "no mask, [redacted], sha256:0123456789ab",
		"REDACTED-password-1REDACTED-password-22":        "REDACTED-passwordREDACTED-password",
	} {
		if got := WithoutMaskOrdinals(in); got != want {
			t.Errorf("WithoutMaskOrdinals(%q) = %q, want %q", in, got, want)
		}
	}
}
