package secret

import "strings"

// placeholders are values HAR sanitizers and people put in place of codes and
// tokens: Chrome and Firefox sanitized exports, Cloudflare's and Google's
// har-sanitizer, manual redaction.
var placeholders = []string{
	"redacted", "[redacted]", "<redacted>", "removed", "<removed>", "[removed]", "[filtered]", "filtered",
	"sanitized", "[sanitized]", "hidden", "xxx", "xxxx", "xxxxx", "***", "****", "*****", "...", "…",
	"<code>", "{code}", "code", "your_code", "authorization_code", "null", "undefined", "[secret]", "secret",
	"obfuscated", "[obfuscated]", "masked", "[masked]", "scrubbed", "[scrubbed]",
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
	if strings.Contains(v, "redacted") || strings.HasPrefix(v, "sanitized") || strings.HasPrefix(v, "removed") {
		return true
	}
	// Other sanitizers' words, alone or in brackets with a tag: Auth0's
	// har-sanitizer writes "obfuscated", WSO2's "[HAR_SANITIZER:REMOVED]".
	// Short values only: a real code or token is long and random.
	if len(v) <= 40 {
		for _, w := range placeholderWords {
			if strings.Contains(v, w) {
				return true
			}
		}
	}
	return false
}

// placeholderWords mark a short value as a placeholder wherever they sit in it.
var placeholderWords = []string{"obfuscated", "removed", "sanitized", "sanitizer", "masked", "scrubbed", "censored", "omitted", "stripped"}
