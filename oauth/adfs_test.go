package oauth

import (
	"testing"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// AD FS's error page shows "Error details: MSIS9224: …" in the browser's
// language. The English message is the one quoted in public reports
// ("MSIS9224: Received invalid OAuth authorization request. The received
// 'redirect_uri' parameter is not a valid registered redirect URI for the
// client identifier: '…'"); AD FS's translations are not public, so the
// French and German sentences are ours. The code classifies the error in
// every language.
func TestADFSErrorPageAnyLanguage(t *testing.T) {
	const authorize = "https://sts.contoso.com/adfs/oauth2/authorize?client_id=195ba9f1-c0fc-4ed3-a943-4e2d0faf5bfe&response_type=code&redirect_uri=https%3A%2F%2Fapp.contoso.com%2Fcb&state=S"
	for _, c := range []struct{ lang, label, details string }{
		{"en", "Activity ID:", "MSIS9224: Received invalid OAuth authorization request. The received &#39;redirect_uri&#39; parameter is not a valid registered redirect URI for the client identifier: &#39;195ba9f1-c0fc-4ed3-a943-4e2d0faf5bfe&#39;."},
		{"fr", "ID d&#39;activit&eacute; :", "MSIS9224: La demande d&#39;autorisation OAuth reçue n&#39;est pas valide. Le paramètre &#39;redirect_uri&#39; reçu n&#39;est pas un URI de redirection inscrit pour l&#39;identificateur client."},
		{"de", "Aktivitäts-ID:", "MSIS9224: Ungültige OAuth-Autorisierungsanforderung empfangen. Der empfangene Parameter &#39;redirect_uri&#39; ist kein gültiger registrierter Umleitungs-URI für den Clientbezeichner."},
	} {
		page := `<!DOCTYPE html><html lang="` + c.lang + `"><head><title>AD FS</title></head><body><div id="errorArea">` +
			`<div id="openingMessage" class="groupMargin">…</div>` +
			`<div id="errorDetails"><span class="bold">` + c.label + `</span> f675174b-65a5-4fba-2300-00800b0000ff<br/>` +
			`<span class="bold">Error details:</span> ` + c.details + `</div></div></body></html>`
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 200,
			model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}, page))
		if len(evs) != 2 || evs[1].Err == nil {
			t.Errorf("%s: events = %+v", c.lang, evs)
			continue
		}
		pe := evs[1].Err
		if len(pe.Codes) != 1 || pe.Codes[0] != "MSIS9224" {
			t.Errorf("%s: codes %v", c.lang, pe.Codes)
		}
		if info, _ := catalog.Classify(pe, model.FamilyADFS); info.Class != catalog.ClassRedirectURI || info.Code != "MSIS9224" {
			t.Errorf("%s: classified as %+v, want MSIS9224's redirect-uri", c.lang, info)
		}
		// The Activity ID, whatever its label's language: what AD FS's
		// admin event logs are searched by.
		if pe.TraceID != "f675174b-65a5-4fba-2300-00800b0000ff" {
			t.Errorf("%s: trace id %q, want the page's Activity ID", c.lang, pe.TraceID)
		}
	}
}
