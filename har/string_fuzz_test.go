package har

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzStringDecode checks the JSON string decoders (decodeInto for
// bodies, unescapeRaw for bodies kept raw, unescapeBounded for short
// strings) against encoding/json on
// valid UTF-8 string contents, and that decodeInto never writes more than
// its input on anything.
func FuzzStringDecode(f *testing.F) {
	for _, s := range []string{
		`plain`, `a\"b\\c\/d\b\f\n\r\t`, `\u00e9\u4e2d\ud83d\ude00`, `\ud83d`, `\ude00x`, `\ud83d\u0041`,
		`\uZZZZ`, `\x`, "\\\xc3\xa9", `<div class=\"row\">\t<a href=\"/p?x=1&y=2\">item</a></div>\n`,
		`12345678901234567890123456789012345678901234567890\"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		if got, want := closingQuote(content), closingQuoteRef(content); got != want {
			t.Fatalf("closingQuote(%q) = %d, want %d", content, got, want)
		}
		p := append(bytes.Clone(content), '"')
		dst := make([]byte, 0, len(p)+8)
		got, n, closed := decodeInto(dst, p)
		if len(got) > n {
			t.Fatalf("decodeInto wrote %d bytes for %d consumed", len(got), n)
		}
		if closingQuote(p) == len(content) {
			// content is a whole string's content, as the scanner keeps
			// it raw: unescapeRaw reads it as decodeInto does with the
			// closing quote and more input after it.
			padded := append(bytes.Clone(p), "            "...)
			want, _, _ := decodeInto(make([]byte, 0, len(padded)+8), padded)
			if got := unescapeRaw([]byte("x"), content); string(got) != "x"+string(want) {
				t.Fatalf("unescapeRaw(%q) = %q, decodeInto %q", content, got[1:], want)
			}
		}
		if end, _, ok := validStr(p, 0); ok && end == len(p) {
			// A string the skeleton accepts: its walk unescapes it as
			// unescapeBounded does, invalid UTF-8 and all.
			var k skeleton
			short, cut := unescapeBounded(content, int64(len(content))+1)
			if got := k.unescape(string(content)); cut || got != string(short) {
				t.Fatalf("skeleton.unescape(%q) = %q, unescapeBounded %q (cut %v)", content, got, short, cut)
			}
		}
		var want string
		if !utf8.Valid(content) || json.Unmarshal(append(append([]byte{'"'}, content...), '"'), &want) != nil {
			return
		}
		if !closed || n != len(p) || string(got) != want {
			t.Fatalf("decodeInto(%q) = %q (consumed %d, closed %v), encoding/json %q", content, got, n, closed, want)
		}
		if short, cut := unescapeBounded(content, int64(len(content))+1); cut || string(short) != want {
			t.Fatalf("unescapeBounded(%q) = %q (cut %v), encoding/json %q", content, short, cut, want)
		}
	})
}

// closingQuoteRef is closingQuote written plainly: the first quote preceded
// by an even number of backslashes.
func closingQuoteRef(p []byte) int {
	for q := range p {
		if p[q] != '"' {
			continue
		}
		n := 0
		for j := q - 1; j >= 0 && p[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
	}
	return -1
}
