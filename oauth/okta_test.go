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
		if pe := oktaErrorCodePage([]byte(page)); pe != nil {
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

// oktaErrorCodePageHTML is the page Okta renders when it cannot send an
// authorize request's error back to the app: its text, as quoted in public
// reports ("Identity Provider: Unknown / Error Code: server_error /
// Description: The requested feature is not enabled in this environment.",
// zeekhoo-okta/okta-django-samples#25; "Error Code: invalid_client /
// Description: Invalid value for 'client_id' parameter.",
// okta/samples-nodejs-express-4#60), in minimal markup of ours.
func oktaErrorCodePageHTML(code, desc string) string {
	return `<!DOCTYPE html><html><head><title>dev-1 - Error</title></head><body><div class="content">
<h1>dev-1</h1><h2>400</h2><h3>Bad Request</h3>
<p>Identity Provider: Unknown</p><p>Error Code: ` + code + `</p><p>Description: ` + desc + `</p></div></body></html>`
}

// TestOktaErrorCodePage: the page's error and description are read by
// their labels, so the catalog sees Okta's description by itself (before,
// the page was an http_400 quoting all its text, or the first error name
// the text showed with no description).
func TestOktaErrorCodePage(t *testing.T) {
	const authorize = "https://dev-1.okta.com/oauth2/default/v1/authorize?client_id=0oa1b2c3d4E5F6g7H8i9&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcb&state=S"
	for _, c := range []struct {
		code, desc, want string
		class            catalog.ErrorClass
	}{
		{"server_error", "The requested feature is not enabled in this environment.", "The requested feature is not enabled in this environment.", catalog.ClassTenant},
		{"invalid_client", "Invalid value for &#39;client_id&#39; parameter.", "Invalid value for 'client_id' parameter.", catalog.ClassTenant},
		{"invalid_request", "The authorization server id is invalid.", "The authorization server id is invalid.", catalog.ClassTenant},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 400,
			model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}, {Name: "X-Okta-Request-Id", Value: "aBcD3fGh1JkLmN0p"}},
			oktaErrorCodePageHTML(c.code, c.desc)))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err == nil {
			t.Errorf("%s: events = %+v", c.code, evs)
			continue
		}
		pe := evs[1].Err
		if pe.Error != c.code || pe.Description != c.want || pe.TraceID != "aBcD3fGh1JkLmN0p" {
			t.Errorf("%s: error %q %q trace %q", c.code, pe.Error, pe.Description, pe.TraceID)
		}
		if info, _ := catalog.Classify(pe, model.FamilyOkta); info.Class != c.class || info.Match == "" {
			t.Errorf("%s: classified %+v, want Okta's entry of class %s", c.code, info, c.class)
		}
	}
	// The labels on one line, the value in the next element, no OAuth
	// error name after the label.
	for page, want := range map[string]string{
		`<p>Error Code: invalid_client Description: Invalid value for 'client_id' parameter.</p>`: "invalid_client",
		`<dt>Error Code:</dt><dd>server_error</dd><dt>Description:</dt><dd>x</dd>`:                "server_error",
		`<p>Error Code: E0000011</p><p>Description: Invalid token provided</p>`:                   "",
		`<p>Description: no code label</p>`:                                                       "",
	} {
		pe := oktaErrorCodePage([]byte(page))
		if got := ""; pe != nil {
			got = pe.Error
			if got != want {
				t.Errorf("%s: read %q, want %q", page, got, want)
			}
		} else if want != "" {
			t.Errorf("%s: not read, want %q", page, want)
		}
	}
}
