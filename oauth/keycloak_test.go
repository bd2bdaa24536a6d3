package oauth

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// keycloakErrorPage is Keycloak's error page as its base login theme
// renders it (template.ftl around error.ftl): the message sits in the
// element with id kc-error-message, in the page's language.
func keycloakErrorPage(lang, title, message string) string {
	return `<!DOCTYPE html>
<html class="login-pf" lang="` + lang + `">
<head>
    <meta charset="utf-8">
    <title>` + title + `</title>
    <link rel="icon" href="/resources/1x2y3/login/keycloak/img/favicon.ico" />
</head>
<body class="">
<div class="login-pf-page">
    <div id="kc-header" class="login-pf-page-header"><div id="kc-header-wrapper" class="">demo</div></div>
    <div class="card-pf">
        <header class="login-pf-header"><h1 id="kc-page-title">` + title + `</h1></header>
        <div id="kc-content"><div id="kc-content-wrapper">
        <div id="kc-error-message">
            <p class="instruction">` + message + `</p>
            <p><a id="backToApplication" href="https://app.example.test/">&laquo; back</a></p>
        </div>
        </div></div>
    </div>
</div>
</body>
</html>`
}

// Keycloak rejects a redirect URI with invalidParameterMessage and the
// parameter's name. The messages are those of the theme's message bundles
// (keycloak/keycloak themes/src/main/resources/theme/base/login/messages/
// messages_en.properties, and resources-community/…/messages_de, _fr and
// _zh_CN.properties: "Ungültiger Parameter: {0}", "Paramètre invalide :
// {0}", "无效的参数 : {0}"); the page writes them with character
// references as kcSanitize leaves them. Every language gives the
// redirect-URI error the English page gives.
func TestKeycloakErrorPageAnyLanguage(t *testing.T) {
	const authorize = "https://sso.example.test/realms/demo/protocol/openid-connect/auth?client_id=web-app&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&state=S"
	for _, c := range []struct{ lang, title, msg, shown string }{
		{"en", "We are sorry...", "Invalid parameter: redirect_uri", "Invalid parameter: redirect_uri"},
		{"de", "Es tut uns leid...", "Ung&uuml;ltiger Parameter: redirect_uri", "Ungültiger Parameter: redirect_uri"},
		{"fr", "Nous sommes d&eacute;sol&eacute;s...", "Param&egrave;tre invalide : redirect_uri", "Paramètre invalide : redirect_uri"},
		{"zh-CN", "很抱歉...", "无效的参数 : redirect_uri", "无效的参数 : redirect_uri"},
		{"de", "Es tut uns leid...", "Ungültiger Parameter:redirect_uri", "Ungültiger Parameter:redirect_uri"},
	} {
		page := keycloakErrorPage(c.lang, c.title, c.msg)
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 400,
			model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, page))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err == nil {
			t.Errorf("%s: events = %+v", c.lang, evs)
			continue
		}
		pe := evs[1].Err
		if pe.Error != "invalid_request" || !strings.HasPrefix(pe.Description, c.shown) {
			t.Errorf("%s: error %q %q, want invalid_request and the page's words %q", c.lang, pe.Error, pe.Description, c.shown)
		}
		if info, _ := catalog.Classify(pe, model.FamilyKeycloak); info.Class != catalog.ClassRedirectURI {
			t.Errorf("%s: class %v, want the redirect URI's", c.lang, info.Class)
		}
	}
}

// Only the message of Keycloak's error element is read, and only when it
// names redirect_uri as a word.
func TestKeycloakErrorPageNotRedirect(t *testing.T) {
	for name, page := range map[string]string{
		"another parameter": keycloakErrorPage("fr", "x", "Param&egrave;tre invalide : response_type"),
		"client not found":  keycloakErrorPage("de", "x", "Client nicht gefunden."),
		"longer name":       keycloakErrorPage("de", "x", "Ungültiger Parameter: redirect_uri_extra"),
		"outside the element": `<div id="kc-error-message"><p class="instruction">Client nicht gefunden.</p></div>` +
			`<div>redirect_uri</div>`,
		"not the id":   `<div class="kc-error-message-box"><p>Ungültiger Parameter: redirect_uri</p></div>`,
		"no tag end":   `<div id="kc-error-message`,
		"id at start":  `kc-error-message"><p>Ungültiger Parameter: redirect_uri</p>`,
		"login page":   `<html><form id="kc-form-login" action="/realms/demo/login-actions/authenticate?redirect_uri=x"></form></html>`,
		"text element": `<p>Ungültiger Parameter: redirect_uri</p>`,
	} {
		if pe := htmlErrorPage([]byte(page), model.Provider{Family: model.FamilyKeycloak}); pe != nil {
			t.Errorf("%s: read as an error page: %+v", name, pe)
		}
	}
	// The message is bounded, and cut on a rune boundary.
	long := keycloakErrorPage("de", "x", strings.Repeat("ü", maxKeycloakMessage/2)+" redirect_uri")
	if pe := htmlErrorPage([]byte(long), model.Provider{}); pe != nil {
		t.Errorf("a message past the bound read: %+v", pe)
	}
	long = keycloakErrorPage("de", "x", "redirect_uri "+strings.Repeat("ü", 400))
	pe := htmlErrorPage([]byte(long), model.Provider{})
	if pe == nil || len(pe.Description) > 300+len(" ("+keycloakInvalidRedirect+")") || !strings.HasSuffix(pe.Description, "ü ("+keycloakInvalidRedirect+")") {
		t.Errorf("a long message: %+v", pe)
	}
}

// Themes other than Keycloak's own put the message where they like: a
// FreeMarker theme in an alert or an element with a class of that name
// (no id), a Keycloakify theme nowhere in the HTML at all, since the page
// is drawn in the browser from the kcContext object its script declares.
// Each shape is the server's answer to an authorize request with an
// unregistered redirect URI (HTTP 400, German words as Keycloak's
// messages_de.properties has them); the answer is the redirect-URI error
// whatever the layout.
func TestKeycloakErrorPageAnyTheme(t *testing.T) {
	const authorize = "https://sso.example.test/realms/demo/protocol/openid-connect/auth?client_id=web-app&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&state=S"
	for name, page := range map[string]string{
		"alert": `<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Es tut uns leid...</title>
<link rel="stylesheet" href="/resources/1x2y3/login/acme/css/login.css"></head>
<body><nav class="site-header"><span class="site-header-brand">Acme</span></nav>
<div class="kc-main"><div class="kc-card"><h1 class="kc-card-title">Es tut uns leid...</h1>
<div class="alert alert-error">
    Ung&uuml;ltiger Parameter: redirect_uri
</div></div></div></body></html>`,
		"class, not id": `<!DOCTYPE html><html lang="de"><head><title>Fehler</title></head><body class="login-page">
<div class="login-container"><div class="kc-error-message" aria-live="polite">
<h1>Es tut uns leid...</h1><p>Ungültiger Parameter: redirect_uri</p></div></div></body></html>`,
		"keycloakify": `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Acme</title>
<script>
    window.kcContext = {
        "url": {"loginAction": "", "resourcesPath": "/resources/1x2y3/login/acme", "loginUrl": "/realms/demo/protocol/openid-connect/auth?client_id=web-app"},
        "realm": {"name": "demo", "displayName": "Demo", "internationalizationEnabled": true},
        "locale": {"currentLanguageTag": "de"},
        "message": {
            "summary": "Ung\u00fcltiger Parameter: redirect_uri",
            "type": "error"
        },
        "pageId": "error.ftl",
        "keycloakifyVersion": "10.0.0"
    };
</script>
<script type="module" src="/resources/1x2y3/login/acme/dist/assets/index-4f2a.js"></script>
</head><body><div id="root"></div></body></html>`,
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 400,
			model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, page))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err == nil {
			t.Errorf("%s: events = %+v", name, evs)
			continue
		}
		pe := evs[1].Err
		if pe.Error != "invalid_request" || !strings.HasPrefix(pe.Description, "Ungültiger Parameter: redirect_uri") {
			t.Errorf("%s: error %q %q, want invalid_request and the page's words", name, pe.Error, pe.Description)
		}
		if info, _ := catalog.Classify(pe, model.FamilyKeycloak); info.Class != catalog.ClassRedirectURI {
			t.Errorf("%s: class %v, want the redirect URI's", name, info.Class)
		}
	}
}

// A theme's page is read as the redirect URI's error only on Keycloak's
// authorize endpoint, when it refused the request (4xx), and only for a
// message that names redirect_uri as a word outside scripts (other
// refusals keep their words, of no class).
func TestKeycloakErrorPageAnyThemeNotRedirect(t *testing.T) {
	const kc = "https://sso.example.test/realms/demo/protocol/openid-connect/auth?client_id=web-app&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&state=S"
	const other = "https://idp.example.test/authorize?client_id=web-app&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&state=S"
	alert := `<html><body><div class="alert alert-error">Ungültiger Parameter: redirect_uri</div></body></html>`
	for name, c := range map[string]struct {
		url    string
		status int
		page   string
	}{
		"another parameter": {kc, 400, `<html><body><div class="alert alert-error">Ungültiger Parameter: response_type</div></body></html>`},
		"longer name":       {kc, 400, `<html><body><div class="alert">Ungültiger Parameter: redirect_uri_extra</div></body></html>`},
		"only in a script":  {kc, 400, `<html><head><script>var redirect_uri = "x";</script></head><body><p>Client nicht gefunden.</p></body></html>`},
		"another summary":   {kc, 400, `<html><head><script>window.kcContext = {"message": {"summary": "Client nicht gefunden.", "type": "error"}, "pageId": "error.ftl", "url": {"loginUrl": "/auth?redirect_uri=x"}};</script></head><body></body></html>`},
		"a login page":      {kc, 200, alert},
		"another provider":  {other, 400, alert},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", c.url, nil, "", c.status,
			model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, c.page))
		for _, ev := range evs {
			if ev.Kind != model.AuthorizeError || ev.Err == nil {
				continue
			}
			if info, _ := catalog.Classify(ev.Err, ev.Provider().Family); info.Class == catalog.ClassRedirectURI {
				t.Errorf("%s: read as a redirect URI error: %+v", name, ev.Err)
			}
		}
	}
}

// Any refusal Keycloak's error page shows is the authorize request's
// error, in the page's words: "Client not found." (clientNotFoundMessage,
// "Client nicht gefunden." in messages_de.properties) tells a wrong realm
// or client id, and the verdict used to say only that the trace shows no
// code. The message is read from the element of Keycloak's own themes
// (id or class kc-error-message) or a Keycloakify page's kcContext.
func TestKeycloakErrorPageAnyMessage(t *testing.T) {
	const authorize = "https://sso.example.test/realms/demo/protocol/openid-connect/auth?client_id=web-app&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&state=S"
	for name, c := range map[string]struct {
		page, shown string
	}{
		"base theme": {keycloakErrorPage("de", "Es tut uns leid...", "Client nicht gefunden."), "Client nicht gefunden."},
		"class":      {`<html><body><div class="login-container"><div class="kc-error-message" aria-live="polite"><h1>Fehler</h1><p>Client nicht gefunden.</p></div></div></body></html>`, "Fehler Client nicht gefunden."},
		"keycloakify": {`<html><head><script>window.kcContext = {"message": {"summary": "Client nicht gefunden.", "type": "error"}, "pageId": "error.ftl"};</script></head><body><div id="root"></div></body></html>`,
			"Client nicht gefunden."},
		"english": {keycloakErrorPage("en", "We are sorry...", "Client not found."), "Client not found."},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 400,
			model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, c.page))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err == nil {
			t.Errorf("%s: events = %+v", name, evs)
			continue
		}
		if pe := evs[1].Err; !strings.Contains(pe.Description, c.shown) {
			t.Errorf("%s: error %q %q, want the page's words %q", name, pe.Error, pe.Description, c.shown)
		}
	}
	// In English the catalog knows the words: the client is not in the realm.
	evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 400,
		model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, keycloakErrorPage("en", "We are sorry...", "Client not found.")))
	if info, _ := catalog.Classify(evs[len(evs)-1].Err, model.FamilyKeycloak); info.Class != catalog.ClassTenant {
		t.Errorf("Client not found.: class %v, want the tenant's (wrong realm or client)", info.Class)
	}
	// The error template's page served with 200 refuses the request all
	// the same: only error.ftl has the kc-error-message element (the
	// login page shows its own errors beside its form).
	evs = NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 200,
		model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, keycloakErrorPage("de", "Es tut uns leid...", "Client nicht gefunden.")))
	if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err == nil || !strings.Contains(evs[1].Err.Description, "Client nicht gefunden.") {
		t.Errorf("error page served with 200: events = %+v", evs)
	}
	// A 200 login page showing a sign-in error beside its form (the
	// keycloak.v2 theme's input-error, the base theme's kc-feedback-text)
	// is no refusal of the authorize request.
	login := `<html lang="de"><head><title>Anmeldung bei demo</title></head><body><div id="kc-content"><form id="kc-form-login" action="https://sso.example.test/realms/demo/login-actions/authenticate?session_code=x" method="post">` +
		`<input id="username" name="username" aria-invalid="true"><span id="input-error" class="pf-v5-c-helper-text__item-text" aria-live="polite">Ungültiger Benutzername oder Passwort.</span>` +
		`<span class="kc-feedback-text">Ungültiger Benutzername oder Passwort.</span></form></div></body></html>`
	evs = NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 200,
		model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, login))
	for _, ev := range evs {
		if ev.Kind == model.AuthorizeError {
			t.Errorf("a login page read as a refusal: %+v", ev.Err)
		}
	}
}

// Keycloak refuses an authorize request lacking a parameter with
// missingParameterMessage and the parameter's name ("Missing parameters:
// {0}" in keycloak/keycloak themes/src/main/resources/theme/base/login/
// messages/messages_en.properties, "Missing parameter: {0}" in older
// releases, "Paramètres manquants : {0}" in resources-community/…/
// messages_fr.properties), and a missing redirect_uri of an OIDC request
// with invalidParameterMessage as well. The page is the one of the rules
// fixture keycloak-redirect-error-page-fr.har (the base theme's error.ftl)
// with those messages: the fix is to send the parameter, so the error is
// a malformed request naming it, never the redirect URI's class.
func TestKeycloakMissingParameter(t *testing.T) {
	const noRedirect = "https://sso.example.test/realms/demo/protocol/openid-connect/auth?client_id=web-app&response_type=code&scope=openid%20email&state=kc-state-2"
	const withRedirect = noRedirect + "&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb"
	for _, c := range []struct{ name, url, lang, msg, param string }{
		{"fr, the fixture's words", noRedirect, "fr", "Param&egrave;tres manquants : redirect_uri", "redirect_uri"},
		{"en", noRedirect, "en", "Missing parameters: redirect_uri", "redirect_uri"},
		{"en, older release", noRedirect, "en", "Missing parameter: redirect_uri", "redirect_uri"},
		{"invalidParameterMessage, none sent", noRedirect, "de", "Ung&uuml;ltiger Parameter: redirect_uri", "redirect_uri"},
		{"empty value", noRedirect + "&redirect_uri=", "fr", "Param&egrave;tre invalide : redirect_uri", "redirect_uri"},
		{"another parameter, by the words", withRedirect, "en", "Missing parameters: response_type", "response_type"},
		{"another parameter, none sent", "https://sso.example.test/realms/demo/protocol/openid-connect/auth?client_id=web-app&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb", "zh-CN", "缺少参数：response_type", "response_type"},
	} {
		page := keycloakErrorPage(c.lang, "x", c.msg)
		evs := NewExtractor().Exchange(mkExchange(0, "GET", c.url, nil, "", 400,
			model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, page))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err == nil {
			t.Errorf("%s: events = %+v", c.name, evs)
			continue
		}
		pe := evs[1].Err
		if pe.Error != "invalid_request" || !strings.HasSuffix(pe.Description, "(Missing parameter: "+c.param+")") {
			t.Errorf("%s: error %q %q, want invalid_request naming the missing %s", c.name, pe.Error, pe.Description, c.param)
		}
		info, _ := catalog.Classify(pe, model.FamilyKeycloak)
		if info.Class != catalog.ClassMalformed || !strings.Contains(info.Remediation, "Send the parameter") {
			t.Errorf("%s: class %v (%q), want a malformed request whose remedy sends the parameter", c.name, info.Class, info.Remediation)
		}
	}
}

// A redirect URI the request sent and Keycloak refused stays the redirect
// URI's error, as does one a request object (request=) may carry; a
// message whose last word after a colon is no authorize parameter names
// nothing missing.
func TestKeycloakMissingParameterNot(t *testing.T) {
	const base = "https://sso.example.test/realms/demo/protocol/openid-connect/auth?client_id=web-app&response_type=code&scope=openid&state=S"
	for _, c := range []struct {
		name, url, msg string
		class          catalog.ErrorClass
	}{
		{"sent and refused", base + "&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb", "Param&egrave;tre invalide : redirect_uri", catalog.ClassRedirectURI},
		{"in a request object", base + "&request=eyJhbGciOiJub25lIn0.eyJyZWRpcmVjdF91cmkiOiJ4In0.", "Ung&uuml;ltiger Parameter: redirect_uri", catalog.ClassRedirectURI},
		{"not a parameter", base + "&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb", "Client not found.", catalog.ClassTenant},
	} {
		page := keycloakErrorPage("fr", "x", c.msg)
		evs := NewExtractor().Exchange(mkExchange(0, "GET", c.url, nil, "", 400,
			model.Headers{{Name: "Content-Type", Value: "text/html;charset=utf-8"}}, page))
		if len(evs) != 2 || evs[1].Err == nil {
			t.Errorf("%s: events = %+v", c.name, evs)
			continue
		}
		if strings.Contains(evs[1].Err.Description, keycloakMissingParam) {
			t.Errorf("%s: %q read as a missing parameter", c.name, evs[1].Err.Description)
		}
		if info, _ := catalog.Classify(evs[1].Err, model.FamilyKeycloak); info.Class != c.class {
			t.Errorf("%s: class %v, want %v", c.name, info.Class, c.class)
		}
	}
	for _, msg := range []string{"Erreur : inconnu", "Missing parameters: redirect_uri_extra", "no colon redirect_uri"} {
		if got := keycloakNamedParam(msg); got != "" {
			t.Errorf("keycloakNamedParam(%q) = %q, want none", msg, got)
		}
	}
}
