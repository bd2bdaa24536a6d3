package oauth

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// oktaErrorPage is the text Okta's 400 page shows when it refuses a
// redirect URI, as quoted from a real page in a public repository ("{org}
// 400 Bad Request Your request resulted in an error. The 'redirect_uri'
// parameter must be a Login redirect URI in the client app settings:
// https://{org}-admin.oktapreview.com/admin/app/oidc_client/instance/{app}#tab-general"),
// in a minimal page. Okta's translations of the sentence are not public:
// the non-English sentences below are ours; what the test rests on is
// what stays the same whatever the words (the link to the app's General
// settings and the parameter's name).
func oktaErrorPage(lang, sentence string) string {
	return `<!DOCTYPE html><html lang="` + lang + `"><head><title>dev-1 - Error</title></head><body>
<div class="content"><h1>dev-1</h1><h2>400</h2><h3>Bad Request</h3>
<p class="error-message">` + sentence + `https://dev-1-admin.okta.com/admin/app/oidc_client/instance/0oa1b2c3d4E5F6g7H8i9#tab-general</p>
</div></body></html>`
}

func TestOktaErrorPageAnyLanguage(t *testing.T) {
	const authorize = "https://dev-1.okta.com/oauth2/default/v1/authorize?client_id=0oa1b2c3d4E5F6g7H8i9&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcb&state=S"
	for _, c := range []struct{ lang, sentence string }{
		{"en", "Your request resulted in an error. The &#39;redirect_uri&#39; parameter must be a Login redirect URI in the client app settings: "},
		{"de", "Ihre Anfrage hat zu einem Fehler geführt. Der Parameter &#39;redirect_uri&#39; muss ein Anmelde-Umleitungs-URI in den Einstellungen der Client-App sein: "},
		{"ja", "リクエストでエラーが発生しました。&#39;redirect_uri&#39; パラメーターは、クライアントアプリ設定のログインリダイレクトURIである必要があります："},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 400,
			model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, oktaErrorPage(c.lang, c.sentence)))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err == nil {
			t.Errorf("%s: events = %+v", c.lang, evs)
			continue
		}
		pe := evs[1].Err
		if pe.Error != "invalid_request" || !strings.Contains(pe.Description, "#tab-general") {
			t.Errorf("%s: error %q %q", c.lang, pe.Error, pe.Description)
		}
		if c.lang != "en" && !strings.Contains(pe.Description, "redirect_uri") {
			t.Errorf("%s: the page's words are not kept: %q", c.lang, pe.Description)
		}
		if info, _ := catalog.Classify(pe, model.FamilyOkta); info.Class != catalog.ClassRedirectURI {
			t.Errorf("%s: class %v, want the redirect URI's", c.lang, info.Class)
		}
	}
}

// The link alone, or the parameter's name alone, is no redirect URI error.
func TestOktaErrorPageNotRedirect(t *testing.T) {
	for name, page := range map[string]string{
		"another parameter":       oktaErrorPage("de", "Der Parameter &#39;response_type&#39; ist ungültig: "),
		"no tab":                  `<p>redirect_uri: https://dev-1-admin.okta.com/admin/app/oidc_client/instance/0oa1</p>`,
		"tab too far":             `<p>redirect_uri: https://dev-1-admin.okta.com/admin/app/oidc_client/instance/0oa1` + strings.Repeat("x", 80) + `#tab-general</p>`,
		"name in another element": `<p>redirect_uri</p><p>Fehler: https://dev-1-admin.okta.com/admin/app/oidc_client/instance/0oa1#tab-general</p>`,
		"name before the window":  `<p>redirect_uri ` + strings.Repeat("ü", 250) + ` https://x/admin/app/oidc_client/instance/0oa1#tab-general</p>`,
		"no link":                 `<p>Der Parameter &#39;redirect_uri&#39; muss …</p>`,
	} {
		if pe := htmlErrorPage([]byte(page), model.Provider{Family: model.FamilyOkta}); pe != nil {
			t.Errorf("%s: read as an error page: %+v", name, pe)
		}
	}
	// A long sentence keeps its last 300 bytes, cut on a rune.
	page := oktaErrorPage("de", "Der Parameter &#39;redirect_uri&#39; "+strings.Repeat("ü", 120)+": ")
	pe := htmlErrorPage([]byte(page), model.Provider{})
	if pe == nil || !strings.HasPrefix(pe.Description, "ü") || len(pe.Description) > 300+len(" ("+oktaLoginRedirect+")") {
		t.Errorf("a long sentence: %+v", pe)
	}
}
