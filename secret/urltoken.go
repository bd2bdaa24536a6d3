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
// fragment, or whose query and fragment hold neither "token" in any case
// (every parameter URLTokens looks for ends in "token", and keys are
// compared after strings.ToLower as here) nor an escape that decodes to a
// letter of it in any case, to "%" (an escape escaped, for the nested
// levels) or to the first byte of the Kelvin sign (which lowers to "k").
// Authorize URLs carry escapes (redirect_uri) but rarely those; a capture
// can hold 65,000 of them (FuzzMayHaveURLTokens).
func MayHaveURLTokens(raw string) bool {
	i := queryStart(raw)
	if i < 0 {
		return false
	}
	rest := raw[i:]
	if containsToken(rest) {
		return true
	}
	for j := strings.IndexByte(rest, '%'); j >= 0; {
		if j+2 < len(rest) {
			hi, ok1 := unhex(rest[j+1])
			lo, ok2 := unhex(rest[j+2])
			if ok1 && ok2 {
				switch hi<<4 | lo {
				case '%', 't', 'T', 'o', 'O', 'k', 'K', 'e', 'E', 'n', 'N', 0xE2:
					return true
				}
			}
		}
		k := strings.IndexByte(rest[j+1:], '%')
		if k < 0 {
			break
		}
		j += 1 + k
	}
	return false
}

// queryStart is strings.IndexAny(raw, "?#"), with two searches for one
// byte, which run a word at a time: IndexAny tests each byte against the
// set, ~600 instructions for a URL of 65 bytes, on every exchange of a
// trace (the retainer asks MayHaveURLTokens of each).
func queryStart(raw string) int {
	i := strings.IndexByte(raw, '?')
	end := i
	if end < 0 {
		end = len(raw)
	}
	if j := strings.IndexByte(raw[:end], '#'); j >= 0 {
		return j
	}
	return i
}

// containsToken is strings.Contains(strings.ToLower(s), "token") without
// the copy for ASCII text.
func containsToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return strings.Contains(strings.ToLower(s), "token")
		}
	}
	for i := 0; i+5 <= len(s); i++ {
		// |0x20 lowers an ASCII letter and maps no other byte to one.
		if s[i]|0x20 == 't' && s[i+1]|0x20 == 'o' && s[i+2]|0x20 == 'k' && s[i+3]|0x20 == 'e' && s[i+4]|0x20 == 'n' {
			return true
		}
	}
	return false
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
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
