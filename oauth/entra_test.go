package oauth

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// Entra words AADSTS50011 in the page's language; the redirect URI it
// quotes is found by its quotation marks and scheme, not by the English
// "redirect URI '…'". The Spanish messages are Microsoft's own, as its
// Spanish documentation quotes them ("La dirección de respuesta
// "https://contoso.com" no coincide…", and the newer message that quotes
// only the application's id); the other languages' sentences are ours,
// with the quotation marks each language uses.
func TestEchoedRedirectURIAnyLanguage(t *testing.T) {
	for _, c := range []struct{ lang, msg, want string }{
		{"en", "AADSTS50011: The redirect URI 'http://app.example/signin-oidc' specified in the request does not match the redirect URIs configured for the application 'c1'.", "http://app.example/signin-oidc"},
		{"es", `AADSTS50011: La dirección de respuesta "https://contoso.com" no coincide con las direcciones de respuesta configuradas para la aplicación: "c1".`, "https://contoso.com"},
		{"es", "AADSTS50011: la URL de respuesta especificada en la solicitud no coincide con las URL de respuesta configuradas para la aplicación: “ac6348d6-0d2f-4786-af33-07ad46e69bfc”.", ""},
		{"de", "AADSTS50011: Der in der Anforderung angegebene Umleitungs-URI „http://app.example/signin-oidc“ stimmt nicht mit den für die Anwendung „c1“ konfigurierten Umleitungs-URIs überein.", "http://app.example/signin-oidc"},
		{"fr", "AADSTS50011 : l’URI de redirection « http://app.example/signin-oidc » spécifié dans la demande ne correspond pas aux URI de redirection configurés pour l’application « c1 ».", "http://app.example/signin-oidc"},
		{"ja", "AADSTS50011: 要求で指定されたリダイレクト URI「msal0001://auth」は、アプリケーション「c1」に構成されているリダイレクト URI と一致しません。", "msal0001://auth"},
		{"ja", "AADSTS50011: アプリケーション「c1」、リダイレクト URI「http://app.example/cb」", "http://app.example/cb"},
		{"xx", "AADSTS50011: 'not a uri' then 'ftp ://x' then '://x' then '1a://x'", ""},
		{"xx", "AADSTS50011: '" + strings.Repeat("a", 1200) + "://x'", ""},
	} {
		pe := &model.ProviderError{Error: "authorize_error", Codes: []string{"AADSTS50011"}, Description: c.msg}
		if got := EchoedRedirectURI(pe); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.lang, c.msg, got, c.want)
		}
	}
	// Another code's quoted URI is not the rejected redirect URI.
	pe := &model.ProviderError{Codes: []string{"AADSTS700016"}, Description: `AADSTS700016: « http://x/y »`}
	if got := EchoedRedirectURI(pe); got != "" {
		t.Errorf("AADSTS700016: %q", got)
	}
}

// A Spanish Entra page: the finding compares the URI the page quotes with
// the one the app sent.
func TestEntraErrorPageSpanishQuotesURI(t *testing.T) {
	page := `<html lang="es"><body><div id="debugDetails">` +
		`Mensaje: AADSTS50011: La dirección de respuesta &quot;https://app.example/signin-oidc&quot; no coincide con las direcciones de respuesta configuradas para la aplicación: &quot;c1&quot;.</div></body></html>`
	evs := NewExtractor().Exchange(mkExchange(0, "GET",
		"https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c1&response_type=code&redirect_uri=http%3A%2F%2Fapp.example%2Fsignin-oidc&state=S",
		nil, "", 200, model.Headers{{Name: "Content-Type", Value: "text/html"}}, page))
	if len(evs) != 2 || evs[1].Err == nil {
		t.Fatalf("events = %+v", evs)
	}
	if got := EchoedRedirectURI(evs[1].Err); got != "https://app.example/signin-oidc" {
		t.Errorf("EchoedRedirectURI = %q", got)
	}
}

// The same message in the sign-in page's $Config JSON, its quotes escaped.
func TestEntraConfigSpanishQuotesURI(t *testing.T) {
	page := `<html lang="es"><head><script>//<![CDATA[
$Config={"strServiceExceptionMessage":"AADSTS50011: La dirección de respuesta \u0022https://app.example/signin-oidc\u0022 no coincide con las direcciones de respuesta configuradas para la aplicación: \u0022c1\u0022.","iErrorCode":50011,"correlationId":"7c8d9e0f-1a2b-4c3d-9e8f-7a6b5c4d3e2f"};
//]]></script></head><body></body></html>`
	evs := NewExtractor().Exchange(mkExchange(0, "GET",
		"https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c1&response_type=code&redirect_uri=http%3A%2F%2Fapp.example%2Fsignin-oidc&state=S",
		nil, "", 200, model.Headers{{Name: "Content-Type", Value: "text/html"}}, page))
	if len(evs) != 2 || evs[1].Err == nil {
		t.Fatalf("events = %+v", evs)
	}
	pe := evs[1].Err
	if got := EchoedRedirectURI(pe); got != "https://app.example/signin-oidc" || !strings.HasSuffix(pe.Description, `"c1".`) ||
		pe.Correlation != "7c8d9e0f-1a2b-4c3d-9e8f-7a6b5c4d3e2f" {
		t.Errorf("EchoedRedirectURI = %q, error %+v", got, pe)
	}
}
