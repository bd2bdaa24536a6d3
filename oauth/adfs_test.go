package oauth

import (
	"strings"
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

// TestADFSErrorRedirectActivityID: AD FS's error redirect carries no
// trace_id; the client-request-id it appends is the Activity ID its logs
// file the request under, and so the error's trace id. The redirect is the
// one a native client logged (an AD FS answer quoted in
// nuxeo/nuxeo-drive's tests and in a public MSAL log:
// "error=access_denied&error_description=MSIS9605%3a+The+client+is+not+
// allowed+to+access+the+requested+resource.&state=…&client-request-id=…").
func TestADFSErrorRedirectActivityID(t *testing.T) {
	const authorize = "https://sts.contoso.com/adfs/oauth2/authorize/?client_id=6e3d1c5a-2b4f-4a8e-9c71-0d5f3b2a1e90&response_type=code&resource=https%3A%2F%2Fapi.contoso.com&redirect_uri=https%3A%2F%2Fapp.contoso.com%2Fcb&state=S1"
	const loc = "https://app.contoso.com/cb?error=access_denied&error_description=MSIS9605%3a+The+client+is+not+allowed+to+access+the+requested+resource.&state=S1&client-request-id=80f15800-e242-4022-fe39-0080000000ed"
	x := NewExtractor()
	evs := x.Exchange(mkExchange(0, "GET", authorize, nil, "", 302, model.Headers{{Name: "Location", Value: loc}}, ""))
	evs = append(evs, x.Exchange(mkExchange(1, "GET", loc, nil, "", 302, model.Headers{{Name: "Location", Value: "/Home/Error"}}, ""))...)
	var n int
	for _, ev := range evs {
		if ev.Kind != model.AuthorizeError && ev.Kind != model.Callback {
			continue
		}
		n++
		if ev.Err == nil || ev.Err.TraceID != "80f15800-e242-4022-fe39-0080000000ed" || len(ev.Err.Codes) != 1 || ev.Err.Codes[0] != "MSIS9605" {
			t.Errorf("%s: error %+v, want MSIS9605 with the Activity ID as trace id", ev.Kind, ev.Err)
		}
	}
	if n != 2 {
		t.Errorf("events %v, want the authorize error and the callback", kinds(evs))
	}
	// Entra's error redirect names its own ids; a client-request-id
	// beside them does not replace them.
	pe := providerErrorFromParams(map[string][]string{"error": {"invalid_request"}, "trace_id": {"t1"}, "correlation_id": {"c1"}, "client-request-id": {"c1"}})
	if pe.TraceID != "t1" || pe.Correlation != "c1" {
		t.Errorf("Entra's ids: %+v", pe)
	}
}

// TestADFSCodesClassified: the MSIS codes of AD FS's token endpoint and
// error pages in the words its answers carry, each to the class whose rule
// reports it. The texts: MSIS9607, MSIS9622, MSIS9659 and MSIS9602 as a
// .NET AD FS client's comments quote the 400 bodies of /adfs/oauth2/token;
// MSIS9615 from AD FS's developer scenarios documentation (HTTP 401);
// MSIS9321 from AD FS's error page in snok/django-auth-adfs#31; MSIS7065
// from AD FS's error page for a path it serves nothing at.
func TestADFSCodesClassified(t *testing.T) {
	for _, c := range []struct {
		err, desc string
		class     catalog.ErrorClass
	}{
		{"invalid_client", "MSIS9607: The 'client_id' parameter in the request is invalid. No registered client is found with this identifier.", catalog.ClassTenant},
		{"invalid_client", "MSIS9622: Client authentication failed. Please verify the credential provided for client authentication is valid.", catalog.ClassClientAuth},
		{"invalid_grant", "MSIS9659: Invalid 'username' or 'password'.", catalog.ClassAccess},
		{"invalid_resource", "MSIS9602: The received 'resource' parameter is invalid. The authorization server can not find a registered resource with the specified identifier.", catalog.ClassScope},
		{"invalid_grant", "MSIS9615: The refresh token received in refresh_token parameter has expired.", catalog.ClassRefreshExpired},
		{"invalid_grant", "MSIS9612: The authorization code received in 'code' parameter is invalid. ", catalog.ClassCodeInvalid},
		{"access_denied", "MSIS9605: The client is not allowed to access the requested resource.", catalog.ClassScope},
		{"authorize_error", "MSIS9321: Received invalid OAuth request. The client 'django_website.adfs.client_id' is forbidden to access the resource 'django_website.adfs.identifier'.", catalog.ClassScope},
		{"authorize_error", "MSIS7065: There are no registered protocol handlers on path /adfs/oauth2/token to process the incoming request.", catalog.ClassTenant},
	} {
		body := `{"error":"` + c.err + `","error_description":"` + strings.ReplaceAll(c.desc, "'", `\u0027`) + `"}`
		evs := NewExtractor().Exchange(mkExchange(0, "POST", "https://sts.contoso.com/adfs/oauth2/token", nil,
			"grant_type=authorization_code&code=c0de&client_id=app", 400, model.Headers{{Name: "Content-Type", Value: "application/json;charset=UTF-8"}}, body))
		if len(evs) != 2 || evs[1].Err == nil {
			t.Errorf("%.8s: events %v", c.desc, kinds(evs))
			continue
		}
		if evs[1].Provider().Family != model.FamilyADFS {
			t.Errorf("%.8s: provider %+v", c.desc, evs[1].Provider())
		}
		code := c.desc[:8]
		if info, _ := catalog.Classify(evs[1].Err, model.FamilyADFS); info.Class != c.class || info.Code != code {
			t.Errorf("%s: classified %q (%s), want %q", code, info.Class, info.Code, c.class)
		}
	}
}
