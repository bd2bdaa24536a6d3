package parse

import (
	"net/url"
	"strings"
)

// URLToken is a token found in a URL's query or fragment.
type URLToken struct {
	// Param is the parameter's name, lower case: access_token, id_token
	// or refresh_token.
	Param string
	// In is "query" or "fragment".
	In    string
	Value Secret
}

var urlTokenParams = map[string]bool{"access_token": true, "id_token": true, "refresh_token": true}

// URLTokens returns the tokens a URL carries in its query or fragment,
// read tolerantly (any parameter-name case, ";" as well as "&" between
// pairs, undecodable escapes kept as they are) so that no such URL is
// missed. Sanitizer placeholders are not tokens.
func URLTokens(raw string) []URLToken {
	rest, frag, _ := strings.Cut(raw, "#")
	_, query, _ := strings.Cut(rest, "?")
	var out []URLToken
	for _, part := range []struct{ in, s string }{{"query", query}, {"fragment", frag}} {
		for _, pair := range strings.FieldsFunc(part.s, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, ok := strings.Cut(pair, "=")
			if !ok || v == "" {
				continue
			}
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			k = strings.ToLower(strings.TrimSpace(k))
			if !urlTokenParams[k] {
				continue
			}
			if dv, err := url.QueryUnescape(v); err == nil {
				v = dv
			}
			sec := NewSecret(v)
			if IsPlaceholder(sec) {
				continue
			}
			out = append(out, URLToken{Param: k, In: part.in, Value: sec})
		}
	}
	return out
}
