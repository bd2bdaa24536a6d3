package oauth

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// auth0ErrorPage is Auth0's error page when it refuses a redirect URI, in
// the words its English page has as public issues quote it ("Callback URL
// mismatch. The provided redirect_uri is not in the list of allowed
// callback URLs. Please go to the Application Settings page and make sure
// you are sending a valid callback url from your application.", the link
// being https://manage.auth0.com/#/applications/{clientId}/settings, as in
// MudXtra/MudXThemeCreator#25). Auth0's translations of the page are not
// public: the non-English words below are ours; what the test rests on is
// what stays the same whatever the words (the link to the application's
// settings and the parameter's name).
func auth0ErrorPage(lang, title, sentence, goTo string) string {
	return `<!DOCTYPE html><html lang="` + lang + `"><head><meta charset="utf-8"><title>Error</title></head><body>
<div class="container"><div class="error-box"><h1>` + title + `</h1>
<p class="error-message">` + sentence + `</p>
<p>` + goTo + ` <a href="https://manage.auth0.com/#/applications/0KsfBr9dQsm2YyTzn8bWEpDCNhJYWcj3/settings">Application Settings</a></p>
</div></div></body></html>`
}

func TestAuth0ErrorPageAnyLanguage(t *testing.T) {
	const authorize = "https://acme.eu.auth0.com/authorize?client_id=0KsfBr9dQsm2YyTzn8bWEpDCNhJYWcj3&response_type=code&redirect_uri=http%3A%2F%2F0.0.0.0%3A3210%2Fcallback&state=S&ui_locales=de"
	for _, c := range []struct{ lang, title, sentence, goTo, shown string }{
		{"de", "Callback-URL stimmt nicht überein.", "Die angegebene redirect_uri ist nicht in der Liste der zulässigen Callback-URLs.", "Bitte öffnen Sie die Seite",
			"Die angegebene redirect_uri ist nicht in der Liste der zulässigen Callback-URLs."},
		{"ja", "コールバックURLが一致しません。", "指定された redirect_uri は許可されたコールバックURLのリストにありません。", "次のページを確認してください：",
			"指定された redirect_uri は許可されたコールバックURLのリストにありません。"},
		{"fr", "Erreur", "L&#39;URL redirect_uri fournie n&#39;est pas dans la liste des URL de rappel autoris&eacute;es", "Allez &agrave; la page",
			"L'URL redirect_uri fournie n'est pas dans la liste des URL de rappel autorisées Allez à la page"},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 400,
			model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}, auth0ErrorPage(c.lang, c.title, c.sentence, c.goTo)))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err == nil {
			t.Errorf("%s: events = %+v", c.lang, evs)
			continue
		}
		pe := evs[1].Err
		if pe.Error != "unauthorized_client" || !strings.Contains(pe.Description, c.shown) {
			t.Errorf("%s: error %q %q, want unauthorized_client and the page's words %q", c.lang, pe.Error, pe.Description, c.shown)
		}
		if info, _ := catalog.Classify(pe, model.FamilyAuth0); info.Class != catalog.ClassRedirectURI {
			t.Errorf("%s: class %v, want the redirect URI's", c.lang, info.Class)
		}
	}
}

// The link alone, or a link to another dashboard page, is no redirect URI
// error.
func TestAuth0ErrorPageNotRedirect(t *testing.T) {
	for name, page := range map[string]string{
		"another error": auth0ErrorPage("de", "Fehler", "Der Grant-Typ authorization_code ist für diesen Client nicht erlaubt.", "Bitte öffnen Sie die Seite"),
		"no settings":   `<p>Die angegebene redirect_uri ist ungültig. <a href="https://manage.auth0.com/#/applications/0Ksf">x</a></p>`,
		"name after":    `<p><a href="https://manage.auth0.com/#/applications/0Ksf/settings">x</a> redirect_uri</p>`,
		"name too far":  `<p>redirect_uri ` + strings.Repeat("ü", 400) + ` <a href="https://manage.auth0.com/#/applications/0Ksf/settings">x</a></p>`,
		"longer name":   `<p>Die redirect_uris sind leer. <a href="https://manage.auth0.com/#/applications/0Ksf/settings">x</a></p>`,
	} {
		if pe := htmlErrorPage([]byte(page), model.Provider{Family: model.FamilyAuth0}); pe != nil {
			t.Errorf("%s: read as an error page: %+v", name, pe)
		}
	}
}
