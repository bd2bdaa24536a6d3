package oauth

import (
	"html"
	"math/rand"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/model"
)

// realPages are the HTML bodies of the repository's real traces (the lab's
// providers, the rules' fixtures, the samples): login, consent, error,
// form_post and proxy pages.
func realPages(t testing.TB) [][]byte {
	t.Helper()
	var files []string
	for _, g := range []string{"../testdata/samples/*.har", "../rules/testdata/*.har", "../rules/testdata/oauth2-proxy/*.har", "../testdata/lab/scenarios/*/*.har"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var pages [][]byte
	for _, f := range files {
		exs := readHAR(t, f)
		if len(exs) == 0 {
			t.Fatalf("%s: no exchanges read", f)
		}
		for _, ex := range exs {
			if r := ex.Response; r != nil && len(r.Body.Data) > 0 &&
				(strings.Contains(strings.ToLower(r.Body.MIMEType), "html") || r.Body.Data[0] == '<') {
				pages = append(pages, r.Body.Data)
			}
		}
	}
	if len(pages) < 50 {
		t.Fatalf("%d HTML pages in %d traces, want at least 50", len(pages), len(files))
	}
	return pages
}

// foldIndexBefore is how htmlErrorPage found a phrase before foldIndex:
// in a lowered copy of the page, the offset mapped back to the page.
func foldIndexBefore(text, lower string) int {
	i := strings.Index(strings.ToLower(text), lower)
	if i < 0 {
		return -1
	}
	return textIndex(text, i)
}

// foldIndex finds a phrase where lowering the whole text did: among runes
// that lower to ASCII (U+0130, the Kelvin sign) or change length when
// lowered (U+023A, invalid bytes), in any case, and on the real pages.
func TestFoldIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	runes := []string{"a", "A", "i", "I", "k", "K", "l", "L", "\u212a", "\u0130", "\u023a", "é", "\xff", "\xc4", "\xe2\x84",
		"\ufffd", " ", "ß", "kil", "KIL", "\u212aI", "ki\u0130", "\u0130K"}
	phrases := []string{"kil", "ik", "l k", "a", "k", "i"}
	for n := 0; n < 100000; n++ {
		var b strings.Builder
		for range rng.Intn(14) {
			b.WriteString(runes[rng.Intn(len(runes))])
		}
		text := b.String()
		for _, ph := range phrases {
			if got, want := foldIndex(text, ph), foldIndexBefore(text, ph); got != want {
				t.Fatalf("foldIndex(%q, %q) = %d, want %d", text, ph, got, want)
			}
		}
	}
	pages := realPages(t)
	for _, page := range pages {
		text := string(page)
		for _, ph := range htmlErrPhrases {
			for _, v := range []string{text, text + strings.ToUpper(ph.match), strings.ToUpper(text) + ph.match} {
				if got, want := foldIndex(v, ph.match), foldIndexBefore(v, ph.match); got != want {
					t.Fatalf("%q in a page of %d bytes: %d, want %d", ph.match, len(v), got, want)
				}
			}
		}
	}
}

func FuzzFoldIndex(f *testing.F) {
	f.Add("CALLBAC\u212a URL MISMATCH", "callback url mismatch")
	f.Add("\u023a\u023a\u0130nvalid parameter: redirect_uri", "invalid parameter: redirect_uri")
	f.Add("\xff\xc4\xb0\xe2\x84\xaa", "ik")
	f.Fuzz(func(t *testing.T, text, phrase string) {
		lower := strings.ToLower(phrase)
		for i := 0; i < len(lower); i++ {
			if lower[i] >= utf8.RuneSelf || 'A' <= lower[i] && lower[i] <= 'Z' {
				return // foldIndex is for lower-case ASCII phrases
			}
		}
		if got, want := foldIndex(text, lower), foldIndexBefore(text, lower); got != want {
			t.Fatalf("foldIndex(%q, %q) = %d, want %d", text, lower, got, want)
		}
	})
}

// htmlErrorPageBefore is htmlErrorPage's search of the unrecognised
// servers' phrases before foldIndex.
func htmlErrorPageBefore(data []byte) (string, string) {
	text := html.UnescapeString(string(data[:min(len(data), 1<<20)]))
	text = strings.ReplaceAll(text, `\u0027`, "'")
	lt := strings.ToLower(text)
	for _, ph := range htmlErrPhrases {
		if i := strings.Index(lt, ph.match); i >= 0 {
			i = textIndex(text, i)
			end := min(len(text), i+300)
			if j := strings.IndexAny(text[i:end], "<\"\n"); j > 0 {
				end = i + j
			}
			return ph.oauthErr, strings.TrimSpace(text[i:end])
		}
	}
	return "", ""
}

// htmlErrorPage reads the phrases of the real pages, and of the real pages
// with a phrase put in (as it is, upper case, written with a character
// reference, after runes whose lower case is longer), as it did before.
func TestHTMLErrorPageFoldedAsBefore(t *testing.T) {
	pages := realPages(t)
	minFound := 1000
	if testing.Short() {
		// Every page × phrase × variant × place grows with the recordings:
		// 111 s under CI's race run. -short (the race run) takes every
		// twelfth page; the plain run keeps them all.
		short := pages[:0:0]
		for i := 0; i < len(pages); i += 12 {
			short = append(short, pages[i])
		}
		pages, minFound = short, 2000
	}
	variants := func(ph string) []string {
		up := strings.ToUpper(ph)
		return []string{ph, up, "&#" + strconv.Itoa(int(up[0])) + ";" + up[1:], strings.ReplaceAll(ph, "'", `\u0027`), strings.ReplaceAll(ph, "'", "&#39;"),
			strings.ReplaceAll(up, "K", "\u212a"), strings.ReplaceAll(up, "I", "\u0130"), "\u023a\u023a" + ph + "</p>"}
	}
	found := 0
	for _, page := range pages {
		for _, ph := range htmlErrPhrases {
			for _, v := range variants(ph.match) {
				for _, at := range []int{0, len(page) / 2, len(page)} {
					p := slices.Concat(page[:at], []byte(v), page[at:])
					wantErr, wantDesc := htmlErrorPageBefore(p)
					pe := htmlErrorPage(p, model.Provider{})
					if pe == nil || pe.Codes != nil {
						// An AADSTS page: read by its code, not a phrase.
						continue
					}
					if pe.Error != wantErr || pe.Description != wantDesc {
						t.Fatalf("%q put at %d of a page: %q %q, want %q %q", v, at, pe.Error, pe.Description, wantErr, wantDesc)
					}
					found++
				}
			}
		}
		if pe := htmlErrorPage(page, model.Provider{}); pe != nil && pe.Codes == nil {
			e, d := htmlErrorPageBefore(page)
			if u := html.UnescapeString(string(page)); e == "" && (keycloakRedirectURIError(u) != "" || oktaRedirectURIError(u) != "") {
				// Keycloak's or Okta's page in another language: read
				// since by its element or link and the parameter's name
				// (TestKeycloakErrorPageAnyLanguage, TestOktaErrorPageAnyLanguage).
				continue
			}
			if pe.Error != e || pe.Description != d {
				t.Fatalf("a real page: %q %q, want %q %q", pe.Error, pe.Description, e, d)
			}
		}
	}
	if found < minFound {
		t.Fatalf("%d phrases found in the pages, want at least %d", found, minFound)
	}
}

// codesInBytes answers as codesInText over a copy does.
func TestCodesInBytes(t *testing.T) {
	for s := range codeTexts(6, 50000) {
		if got, want := codesInBytes([]byte(s)), codesInText(s); !slices.Equal(got, want) {
			t.Fatalf("codesInBytes(%q) = %q, want %q", s, got, want)
		}
	}
	for _, page := range realPages(t) {
		if got, want := codesInBytes(page), codesInText(string(page)); !slices.Equal(got, want) {
			t.Fatalf("a real page: %q, want %q", got, want)
		}
	}
}

// pageTextPrefix gives the start of what reading the page's text up to
// maxPageText gave, on the real pages and generated ones.
func TestPageTextPrefix(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	parts := []string{"word", "Unregistered", " ", "  ", "\n", "\u00a0", "\u2003", "&amp;", "&nbsp;", "é", "<p>", "</p>",
		"<script>x = 1</script>", "<head>", "</head>", "<b>", strings.Repeat("a", 150), strings.Repeat("é ", 100), "\xff", "\xc2\x85"}
	pages := realPages(t)
	for n := 0; n < 3000; n++ {
		var b strings.Builder
		for range rng.Intn(40) {
			b.WriteString(parts[rng.Intn(len(parts))])
		}
		pages = append(pages, []byte(b.String()))
	}
	for _, page := range pages {
		all := pageTextAll(page)
		for _, n := range []int{1, 2, 199, 200, 201, 1000, maxPageText - 1} {
			if got, want := pageTextPrefix(page, n), all[:min(len(all), n)]; got != want {
				t.Fatalf("pageTextPrefix(%q, %d) = %q, want %q", page, n, got, want)
			}
		}
	}
}

// An authorize request refused with a page no reader knows (another
// provider's layout or language, a gateway's block page, a server error)
// is an authorize error in the page's words, with the status as its
// error: the verdict used to say the trace showed no code, as if it had
// been cut short. A 401 or 407 challenge (Windows authentication at AD
// FS, a proxy) is no refusal: the browser answers it.
func TestAuthorizeRefusedWithUnknownPage(t *testing.T) {
	const authorize = "https://dev-1.okta.com/oauth2/default/v1/authorize?client_id=0oa1&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb&state=S"
	html := model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}
	for _, c := range []struct {
		status     int
		page, says string
	}{
		{400, `<html><head><title>dev-1 - Error</title></head><body><h2>400</h2><p class="error-message">Ihre Anfrage hat zu einem Fehler geführt. Der Parameter &#39;response_type&#39; ist ungültig.</p></body></html>`,
			"Der Parameter 'response_type' ist ungültig."},
		{403, `<html><head><title>403 Forbidden</title></head><body><h1>Access Denied</h1><p>Request blocked. Reference #18.4f2c1ab8</p></body></html>`,
			"Access Denied Request blocked. Reference #18.4f2c1ab8"},
		{500, `<html><body><h1>Sorry, there was an error</h1></body></html>`, "Sorry, there was an error"},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", c.status, html, c.page))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err == nil {
			t.Errorf("%d: events = %+v", c.status, evs)
			continue
		}
		pe := evs[1].Err
		if pe.Error != "http_"+strconv.Itoa(c.status) || !strings.Contains(pe.Description, c.says) {
			t.Errorf("%d: error %q %q, want http_%d and %q", c.status, pe.Error, pe.Description, c.status, c.says)
		}
	}
	for _, status := range []int{401, 407, 200} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", status, html, `<html><body>Sign in</body></html>`))
		for _, ev := range evs {
			if ev.Kind == model.AuthorizeError {
				t.Errorf("%d: read as a refusal: %+v", status, ev.Err)
			}
		}
	}
}
