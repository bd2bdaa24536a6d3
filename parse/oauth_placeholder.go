package parse

import "strings"

// placeholders are values HAR sanitizers and people put in place of codes and
// tokens: Chrome and Firefox sanitized exports, Cloudflare's and Google's
// har-sanitizer, manual redaction.
var placeholders = []string{
	"redacted", "[redacted]", "<redacted>", "removed", "<removed>", "[removed]", "[filtered]", "filtered",
	"sanitized", "[sanitized]", "hidden", "xxx", "xxxx", "xxxxx", "***", "****", "*****", "...", "…",
	"<code>", "{code}", "code", "your_code", "authorization_code", "null", "undefined", "[secret]", "secret",
}

// IsPlaceholder reports whether a secret's value is a sanitizer's placeholder
// rather than a real value, so that rules do not link unrelated requests that
// share "[REDACTED]".
func IsPlaceholder(s Secret) bool {
	v := strings.ToLower(strings.TrimSpace(s.raw))
	if v == "" {
		return false
	}
	for _, p := range placeholders {
		if v == p {
			return true
		}
	}
	if strings.Trim(v, "x*•.#-_") == "" {
		return true
	}
	return strings.Contains(v, "redacted") || strings.HasPrefix(v, "sanitized") || strings.HasPrefix(v, "removed")
}
