package oauth

import (
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
)

func loadHAR(t testing.TB, path string) []*model.Exchange {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := har.NewReader(f, har.Options{Name: path})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

// realPages are the HTML bodies of the repository's real traces (the lab's
// providers, the rules' fixtures, the samples): login, consent, error,
// form_post and proxy pages.
func realPages(t testing.TB) [][]byte {
	t.Helper()
	var files []string
	for _, g := range []string{"../testdata/samples/*.har", "../rules/testdata/*.har", "../testdata/lab/scenarios/*/*.har"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var pages [][]byte
	for _, f := range files {
		for _, ex := range loadHAR(t, f) {
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

// codesInBytes answers as codesInText over a copy does.
func TestCodesInBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	parts := []string{"AADSTS", "AADB2C", "MSIS", "aadsts", "AAD", "MSI", "5", "0054005", "12", " ", "x", ":", "_", "é", "\n"}
	for n := 0; n < 50000; n++ {
		var b strings.Builder
		for range rng.Intn(12) {
			b.WriteString(parts[rng.Intn(len(parts))])
		}
		s := b.String()
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
