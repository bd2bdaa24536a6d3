package oauth

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
)

var descCodeRE = lazyRegexp(`\b(AADSTS\d{4,9}|AADB2C\d{4,9}|MSIS\d{3,9})\b`)

// lazyRegexp compiles expr the first time the returned function is called:
// a package-level regexp.MustCompile runs at the start of every command,
// whether or not the command reads anything it is for.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// codesInText returns the provider codes named in a text, in order, once each.
// The literals first: without a prefix common to its alternatives the
// regexp steps through every byte (the body of every HTML page a token
// endpoint answered, up to 1 MiB), and most texts name no code.
func codesInText(s string) []string {
	if !strings.Contains(s, "AADSTS") && !strings.Contains(s, "AADB2C") && !strings.Contains(s, "MSIS") {
		return nil
	}
	var out []string
	for _, m := range descCodeRE().FindAllString(s, 32) {
		out = appendUnique(out, m)
	}
	return out
}

// codesInBytes is codesInText(string(b)) without copying b when it names
// no code: the body of every HTML page a token endpoint answered was
// copied (up to a MiB) only to be found to hold none.
func codesInBytes(b []byte) []string {
	if !bytes.Contains(b, []byte("AADSTS")) && !bytes.Contains(b, []byte("AADB2C")) && !bytes.Contains(b, []byte("MSIS")) {
		return nil
	}
	return codesInText(string(b))
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
