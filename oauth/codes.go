package oauth

import "regexp"

var descCodeRE = regexp.MustCompile(`\b(AADSTS\d{4,9}|AADB2C\d{4,9}|MSIS\d{3,9})\b`)

// codesInText returns the provider codes named in a text, in order, once each.
func codesInText(s string) []string {
	var out []string
	for _, m := range descCodeRE.FindAllString(s, 32) {
		out = appendUnique(out, m)
	}
	return out
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
