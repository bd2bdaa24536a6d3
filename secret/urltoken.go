package secret

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
// missed, and also inside parameter values that are themselves URLs or
// query strings (Office's qs=WOPIsrc%3D…%26access_token%3D…, a WOPISrc
// URL carrying its own access_token). Sanitizer placeholders are not tokens.
func URLTokens(raw string) []URLToken {
	rest, frag, _ := strings.Cut(raw, "#")
	_, query, _ := strings.Cut(rest, "?")
	var out []URLToken
	out = queryTokens(out, query, "query", 0)
	return queryTokens(out, frag, "fragment", 0)
}

// MayHaveURLTokens reports whether URLTokens(raw) can find a token, at a
// fraction of its cost: it is false only for a URL without query or
// fragment, or whose query and fragment hold neither an escape nor "token"
// in any case (every parameter URLTokens looks for ends in "token", and
// keys are compared after strings.ToLower as here). A capture can hold
// 65,000 URLs to ask about (FuzzMayHaveURLTokens).
func MayHaveURLTokens(raw string) bool {
	i := strings.IndexAny(raw, "?#")
	if i < 0 {
		return false
	}
	rest := raw[i:]
	return strings.Contains(rest, "%") || strings.Contains(strings.ToLower(rest), "token")
}

// maxNesting bounds how deep URLTokens follows URLs inside parameters.
const maxNesting = 3

func queryTokens(out []URLToken, query, in string, depth int) []URLToken {
	for _, pair := range strings.FieldsFunc(query, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || v == "" {
			continue
		}
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		if !urlTokenParams[k] {
			if depth < maxNesting && strings.Contains(v, "=") {
				nested := v
				if _, q, ok := strings.Cut(v, "?"); ok {
					nested = q
				}
				nested, _, _ = strings.Cut(nested, "#")
				out = queryTokens(out, nested, in, depth+1)
			}
			continue
		}
		sec := New(v)
		if IsPlaceholder(sec) {
			continue
		}
		out = append(out, URLToken{Param: k, In: in, Value: sec})
	}
	return out
}
