package oauth

import (
	"bytes"
	"html"
	"iter"
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/model"
	xhtml "golang.org/x/net/html"
)

// containsFoldASCII must answer as bytes.Contains over bytes.ToLower does
// on ASCII input, which formPostPage and htmlErrorPage used before.
func TestContainsFoldASCII(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alpha := []byte("fFoOrRmM<x aA")
	for n := 0; n < 100000; n++ {
		b := make([]byte, rng.Intn(20))
		for i := range b {
			b[i] = alpha[rng.Intn(len(alpha))]
		}
		for _, w := range []string{"<form", "form", "a", "xa"} {
			want := bytes.Contains(bytes.ToLower(b), []byte(w))
			if got := containsFoldASCII(b, w); got != want {
				t.Fatalf("%q in %q: %v, want %v", w, b, got, want)
			}
		}
	}
}

// The shortcut for plain pages must not hide an error page: each phrase in
// any case, a character reference, an escaped quote and a non-ASCII page
// (the Kelvin sign lowers to "k") are still read.
func TestHTMLErrorPageShortcut(t *testing.T) {
	for _, ph := range htmlErrPhrases {
		for _, page := range []string{
			"<p>" + strings.ToUpper(ph.match) + "</p>",
			"<p>" + ph.match + "</p>",
		} {
			pe := htmlErrorPage([]byte(page), model.Provider{})
			if pe == nil || pe.Error != ph.oauthErr {
				t.Errorf("%q: %+v, want %s", page, pe, ph.oauthErr)
			}
		}
	}
	for _, page := range []string{
		"<p>Callbac&#107; URL mismatch</p>",
		"<p>CALLBAC\u212a URL MISMATCH</p>",
		`<p>pre-registered \u0027redirect_uris\u0027</p>`,
		"<p>AADSTS50011: The redirect URI does not match</p>",
	} {
		if pe := htmlErrorPage([]byte(page), model.Provider{}); pe == nil {
			t.Errorf("%q: not read as an error page", page)
		}
	}
	if pe := htmlErrorPage([]byte(strings.Repeat("<p>Sign in</p>", 300)), model.Provider{}); pe != nil {
		t.Errorf("a login page read as an error page: %+v", pe)
	}
	if _, ok := formPostPage([]byte(`<FORM method="post" action="https://app/cb"><input type="hidden" name="code" value="c"></FORM>`)); !ok {
		t.Error("an upper-case form_post page not read")
	}
}

func TestIsASCII(t *testing.T) {
	for n := 0; n < 40; n++ {
		b := bytes.Repeat([]byte("a"), n)
		if !isASCII(b) {
			t.Fatalf("%d ASCII bytes: not ASCII", n)
		}
		for i := range b {
			c := bytes.Clone(b)
			c[i] = 0x80
			if isASCII(c) {
				t.Fatalf("0x80 at %d of %d: ASCII", i, n)
			}
		}
	}
}

// The regexps compile on first use, so a typo in one would panic while a
// trace is read instead of at start: compile each here, and check each
// still finds what it is for.
func TestLazyRegexps(t *testing.T) {
	for _, c := range []struct {
		re   func() *regexp.Regexp
		text string
		want string // the first group
	}{
		{descCodeRE, "x AADSTS54005: code redeemed", "AADSTS54005"},
		{reAADMessage, "AADSTS50011: The redirect URI 'https://a/cb' specified", "AADSTS50011"},
		{reMSIS, "MSIS7012: An error occurred", "MSIS7012"},
		{reRequestID, `Request Id: 0d6ad1d3-3a7e-4c1f-9f4c-2b3c4d5e6f70`, "0d6ad1d3-3a7e-4c1f-9f4c-2b3c4d5e6f70"},
		{reCorrelation, `Correlation ID: 0d6ad1d3-3a7e-4c1f-9f4c-2b3c4d5e6f71`, "0d6ad1d3-3a7e-4c1f-9f4c-2b3c4d5e6f71"},
		{reSessionID, `"sessionId":"0d6ad1d3-3a7e-4c1f-9f4c-2b3c4d5e6f72"`, "0d6ad1d3-3a7e-4c1f-9f4c-2b3c4d5e6f72"},
		{reTimestamp, `Timestamp: 2024-05-01 10:11:12Z`, "2024-05-01 10:11:12Z"},
		{reEchoedURI, "The redirect URI 'https://a/cb' specified", "https://a/cb"},
		{rePostMessageField, `{"code":"abc"}`, "code"},
	} {
		m := c.re().FindStringSubmatch(c.text)
		if len(m) < 2 || m[1] != c.want {
			t.Errorf("%s on %q: %q, want group %q", c.re(), c.text, m, c.want)
		}
		// sync.OnceValue: the second call returns the first's program.
		if first, again := c.re(), c.re(); first != again {
			t.Errorf("%s compiled twice", first)
		}
	}
}

// codesInText looks for the codes' literals before running its regexp:
// it must answer as the regexp alone does.
func TestCodesInTextLiteralFirst(t *testing.T) {
	for s := range codeTexts(2, 50000) {
		var want []string
		for _, m := range descCodeRE().FindAllString(s, 32) {
			want = appendUnique(want, m)
		}
		if got := codesInText(s); !slices.Equal(got, want) {
			t.Fatalf("codesInText(%q) = %q, want %q", s, got, want)
		}
	}
}

// codeTexts yields n strings of up to 12 pieces of codes, their prefixes
// and separators, drawn from a source seeded with seed.
func codeTexts(seed int64, n int) iter.Seq[string] {
	parts := []string{"AADSTS", "AADB2C", "MSIS", "aadsts", "AAD", "MSI", "5", "0054005", "12", " ", "x", ":", "_", "é", "\n"}
	return func(yield func(string) bool) {
		rng := rand.New(rand.NewSource(seed))
		for range n {
			var b strings.Builder
			for range rng.Intn(12) {
				b.WriteString(parts[rng.Intn(len(parts))])
			}
			if !yield(b.String()) {
				return
			}
		}
	}
}

// pageTextAll is pageText as it was: every word of each text token joined,
// the result cut to maxPageText.
func pageTextAll(data []byte) string {
	z := xhtml.NewTokenizer(bytes.NewReader(data[:min(len(data), 1<<20)]))
	var b strings.Builder
	skip := 0
	space := false
	for n := 0; n < maxHTMLTokens && b.Len() < maxPageText; n++ {
		switch z.Next() {
		case xhtml.ErrorToken:
			return strings.TrimSpace(b.String())
		case xhtml.StartTagToken:
			if name, _ := z.TagName(); hiddenElement(string(name)) {
				skip++
			}
		case xhtml.EndTagToken:
			if name, _ := z.TagName(); hiddenElement(string(name)) && skip > 0 {
				skip--
			}
		case xhtml.TextToken:
			if skip > 0 {
				continue
			}
			for _, f := range strings.Fields(html.UnescapeString(string(z.Text()))) {
				if space {
					b.WriteByte(' ')
				}
				b.WriteString(f)
				space = true
			}
		}
	}
	s := b.String()
	if len(s) > maxPageText {
		s = s[:maxPageText]
	}
	return strings.TrimSpace(s)
}

// pageText stops at maxPageText inside a text token: it must give what
// reading every word did, on pages whose text ends before, at and after
// the bound, in one token or many, with hidden elements, references and
// Unicode spaces.
func TestPageTextStopsEarly(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	parts := []string{"word", "Unregistered", "redirect_uri", " ", "  ", "\n", "\t", "\u00a0", "\u2003", "&amp;", "&lt;b&gt;",
		"&nbsp;", "é", "<p>", "</p>", "<script>x = 1</script>", "<style>p{}</style>", "<head>", "</head>", "<b>", "</b>",
		"<!-- c -->", "<svg><text>hidden</text></svg>", strings.Repeat("a", 700), strings.Repeat("é ", 300)}
	for n := 0; n < 3000; n++ {
		var b strings.Builder
		for range rng.Intn(60) {
			b.WriteString(parts[rng.Intn(len(parts))])
		}
		page := []byte(b.String())
		if got, want := pageText(page), pageTextAll(page); got != want {
			t.Fatalf("pageText(%q):\n%q\nwant\n%q", page, got, want)
		}
	}
	// One text token far over the bound, as a generated page's body.
	long := []byte("<html><body><p>" + strings.Repeat("lorem ipsum é\u2003dolor ", 5000) + "</p></body></html>")
	if got, want := pageText(long), pageTextAll(long); got != want || len(got) != maxPageText {
		t.Fatalf("pageText of one long token: %d bytes, want %d bytes equal to reading every word", len(got), len(want))
	}
}

// An error phrase after runes that lowering lengthens or shortens is read
// where it is in the page: its offset in the lowered copy used to slice
// the page itself, past its end after enough U+023A (a panic), elsewhere
// after Kelvin signs or invalid bytes.
func TestHTMLErrorPageLoweredOffsets(t *testing.T) {
	for _, before := range []string{
		strings.Repeat("\u023a", 40), // 2 bytes, lowered 3
		strings.Repeat("\u212a", 40), // 3 bytes, lowered 1
		strings.Repeat("\xff", 40),   // invalid, lowered to U+FFFD
		strings.Repeat("\u023a\u212a\xff é", 15),
		"plain ASCII ",
	} {
		page := "<p>" + before + " Callback URL mismatch</p>"
		pe := htmlErrorPage([]byte(page), model.Provider{})
		if pe == nil || pe.Description != "Callback URL mismatch" {
			t.Errorf("%q: %+v, want the description %q", page, pe, "Callback URL mismatch")
		}
	}
}

// textIndex maps i, a byte offset in strings.ToLower(text), back to text:
// how htmlErrorPage found a phrase's offset before foldIndex.
func textIndex(text string, i int) int {
	n := 0 // bytes of the lowered copy before text[j]
	for j, r := range text {
		if n >= i {
			return j
		}
		n += utf8.RuneLen(unicode.ToLower(r))
	}
	return len(text)
}

// textIndex maps the lowered copy's offset of every rune back to the
// rune's offset in the text.
func TestTextIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	runes := []string{"a", "A", "\u212a", "\u023a", "\u0130", "é", "É", "\xff", "\xc3", "\ufffd", " ", "ß", "\u1e9e"}
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for range rng.Intn(12) {
			b.WriteString(runes[rng.Intn(len(runes))])
		}
		text := b.String()
		for j := range text {
			if got := textIndex(text, len(strings.ToLower(text[:j]))); got != j {
				t.Fatalf("%q: offset %d of the lowered copy mapped to %d, want %d", text, len(strings.ToLower(text[:j])), got, j)
			}
		}
	}
}
