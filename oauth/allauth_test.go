package oauth

import (
	"bufio"
	"html"
	"os"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// allauthTemplates render socialaccount/authentication_error.html as
// django-allauth does: 0.51's (Debian bookworm; account/base.html around
// it) and 65.16's (allauth/layouts/base.html, its element templates and
// the blocks' white space), with a title and paragraph put in.
var allauthTemplates = map[string]string{
	"0.51":    "<!DOCTYPE html>\n<html>\n  <head>\n    <title>%T</title>\n    \n    \n  </head>\n  <body>\n    \n\n    \n\n    <div>\n      <strong>Menu:</strong>\n      <ul>\n        \n        <li><a href=\"/accounts/login/\">Sign In</a></li>\n        <li><a href=\"/accounts/signup/\">Sign Up</a></li>\n        \n      </ul>\n    </div>\n    \n<h1>%T</h1>\n\n<p>%P</p>\n\n    \n    \n    \n  </body>\n</html>\n",
	"65.16.1": "<!DOCTYPE html>\n<html>\n    <head>\n        <meta http-equiv=\"X-UA-Compatible\" content=\"IE=edge\">\n        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">\n        <title>\n            \n    %T\n\n        </title>\n    </head>\n    <body>\n            <div>\n                <strong>Menu:</strong>\n                <ul><li><a href=\"/accounts/login/\">Sign In</a></li></ul>\n            </div>\n    <h1>\n        %T\n    </h1>\n    <p>\n        %P\n    </p>\n    </body>\n</html>\n",
}

// TestAllauthFailurePageEveryLanguage: django-allauth's failure page is
// recognised in every language allauth ships, by its template, not its
// words: testdata/allauth-failure-titles.tsv holds the title and paragraph
// of socialaccount/authentication_error.html from each locale's django.po
// of 0.51 (Debian's python3-django-allauth) and 65.16.1 (its repository),
// the English msgid where a locale has no translation. Each is read at the
// callback with 200 (before 65.14) and 401 (since), and the refusal quotes
// the title as the page shows it.
func TestAllauthFailurePageEveryLanguage(t *testing.T) {
	f, err := os.Open("testdata/allauth-failure-titles.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr := model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != 4 {
			t.Fatalf("bad row %q", sc.Text())
		}
		version, lang, title, para := cols[0], cols[1], cols[2], cols[3]
		page := strings.NewReplacer("%T", html.EscapeString(title), "%P", html.EscapeString(para)).Replace(allauthTemplates[version])
		for _, status := range []int{200, 401} {
			u := "http://localhost:8000/accounts/oidc/keycloak/login/callback/?code=c0de-" + lang + "&state=st-" + lang
			evs := NewExtractor().Exchange(mkExchange(0, "GET", u, nil, "", status, hdr, page))
			if len(evs) != 1 {
				t.Fatalf("%s %s: %d events", version, lang, len(evs))
			}
			r := evs[0].Refusal()
			if r == nil || r.Library != "django-allauth" || r.Words != title || r.Cause != model.RefusalUnknown {
				t.Errorf("%s %s (%d): refusal %+v, want django-allauth %q", version, lang, status, r, title)
			}
			n++
		}
	}
	if n < 160 {
		t.Errorf("%d pages read, want the 90 rows twice", n)
	}
}

// TestAllauthFailurePageNotOthers: pages that share the callback path or
// the look of allauth's failure page but are not it.
func TestAllauthFailurePageNotOthers(t *testing.T) {
	const cb = "https://django.example.com/accounts/github/login/callback/"
	const page = "<html><head><title>Fehler bei der Anmeldung am sozialen Netzwerk</title></head><body><h1>Fehler bei der Anmeldung am sozialen Netzwerk</h1><p>Ein Fehler ist aufgetreten.</p></body></html>"
	hdr := model.Headers{{Name: "Content-Type", Value: "text/html"}}
	for _, c := range []struct{ name, url, body string }{
		// Not allauth's callback path.
		{"other path", "https://app.example.com/oauth/callback", page},
		{"no trailing slash", "https://app.example.com/login/callback", page},
		// An interstitial moving on by itself.
		{"meta refresh", cb, strings.Replace(page, "</head>", `<meta http-equiv="refresh" content="0;url=/">`+"</head>", 1)},
		{"auto submit", cb, strings.Replace(page, "</body>", "<form id=f method=post action=/done></form><script>document.forms[0].submit()</script></body>", 1)},
		// Not its structure: a heading the title does not repeat, no
		// paragraph after it, two headings, a heading that is data.
		{"title differs", cb, strings.Replace(page, "<title>Fehler bei der Anmeldung am sozialen Netzwerk", "<title>Willkommen", 1)},
		{"no paragraph", cb, strings.Replace(page, "<p>Ein Fehler ist aufgetreten.</p>", "", 1)},
		{"two headings", cb, strings.Replace(page, "<p>", "<h1>Noch eine</h1><p>", 1)},
		{"address", cb, strings.ReplaceAll(page, "Fehler bei der Anmeldung am sozialen Netzwerk", "Welcome alice@example.com")},
		{"number", cb, strings.ReplaceAll(page, "Fehler bei der Anmeldung am sozialen Netzwerk", "Order 12345")},
		// A SPA's shell at the path.
		{"spa shell", cb, "<html><head><title>App</title></head><body><div id=root></div><script src=/main.js></script></body></html>"},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", c.url+"?code=c0de&state=st", nil, "", 200, hdr, c.body))
		if len(evs) != 1 {
			t.Fatalf("%s: %d events", c.name, len(evs))
		}
		if r := evs[0].Refusal(); r != nil {
			t.Errorf("%s: refusal %+v, want none", c.name, r)
		}
	}
	// A site's base template wrapping the title keeps it recognised.
	wrapped := strings.Replace(page, "<title>Fehler bei der Anmeldung am sozialen Netzwerk", "<title>Fehler bei der Anmeldung am sozialen Netzwerk | Beispiel GmbH", 1)
	evs := NewExtractor().Exchange(mkExchange(0, "GET", cb+"?code=c0de&state=st", nil, "", 200, hdr, wrapped))
	if r := evs[0].Refusal(); r == nil || r.Words != "Fehler bei der Anmeldung am sozialen Netzwerk" {
		t.Errorf("wrapped title: refusal %+v", r)
	}
}

// TestDeviseFlash: Devise's OmniAuth failure flash on the page its failure
// redirect leads to, as the recorded app's layout escapes it, completes
// the callback's refusal; a page with no such flash (a completed sign-in's
// "Successfully authenticated from Labop account.") or a page never loaded
// leaves the callback unrefused.
func TestDeviseFlash(t *testing.T) {
	html := model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}
	loc := func(l string) model.Headers { return model.Headers{{Name: "Location", Value: l}} }
	const cb = "http://localhost:4882/users/auth/labop/callback?code=c0de&state=st"
	page := func(alert string) string {
		return `<!DOCTYPE html><html><head><title>Devise lab</title></head><body><p class="notice"></p><p class="alert">` + alert + `</p><h2>Log in</h2></body></html>`
	}
	for _, c := range []struct {
		name, target, body string
		load               bool
		lib, words         string
		cause              model.RefusalCause
	}{
		{"csrf", "http://localhost:4882/users/sign_in", page("Could not authenticate you from Labop because &quot;Csrf detected&quot;."), true, "OmniAuth (Devise)", "Csrf detected", model.RefusalState},
		{"redemption", "http://localhost:4882/users/sign_in", page("Could not authenticate you from Labop because &quot;Invalid credentials&quot;."), true, "OmniAuth (Devise)", "Invalid credentials", model.RefusalRedemption},
		{"provider text", "http://localhost:4882/users/sign_in", page("Could not authenticate you from Labop because &quot;User alice@example.com is blocked&quot;."), true, "OmniAuth (Devise)", "Could not authenticate you", model.RefusalUnknown},
		{"success", "http://localhost:4882/", page("Successfully authenticated from Labop account."), true, "", "", ""},
		{"never loaded", "http://localhost:4882/users/sign_in", "", false, "", "", ""},
	} {
		x := NewExtractor()
		evs := x.Exchange(mkExchange(0, "GET", cb, nil, "", 302, loc(c.target), ""))
		if c.load {
			x.Exchange(mkExchange(1, "GET", c.target, nil, "", 200, html, c.body))
		}
		if len(evs) != 1 {
			t.Fatalf("%s: %d events", c.name, len(evs))
		}
		r := evs[0].Refusal()
		if c.lib == "" {
			if r != nil {
				t.Errorf("%s: refusal %+v, want none", c.name, r)
			}
			continue
		}
		if r == nil || r.Library != c.lib || r.Words != c.words || r.Cause != c.cause {
			t.Errorf("%s: refusal %+v, want %s %q (%s)", c.name, r, c.lib, c.words, c.cause)
		}
	}
}
