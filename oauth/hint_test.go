package oauth

import (
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
)

// ORY Hydra (and fosite with its legacy error format) puts the cause of an
// error in error_hint and error_debug, beside an error_description that
// only repeats RFC 6749's sentence for the error: on an error redirect (to
// the app or to Hydra's own error page) and in a JSON body. The cause is
// read with the description, so the error's class comes from it.
func TestHydraErrorHint(t *testing.T) {
	const generic = "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed"
	const authorize = "https://hydra.example.org/oauth2/auth?client_id=c1&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fsignin-oidc&state=S"
	// Hydra cannot redirect to an unregistered URI: it sends the browser
	// to its error page (urls.error, by default /oauth2/fallbacks/error).
	loc := "https://hydra.example.org/oauth2/fallbacks/error?error=invalid_request&error_description=" + strings.ReplaceAll(generic, " ", "+") +
		"&error_hint=The+%22redirect_uri%22+parameter+does+not+match+any+of+the+OAuth+2.0+Client%27s+pre-registered+redirect+urls.&error_debug="
	evs := NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 302, model.Headers{{Name: "Location", Value: loc}}, ""))
	if len(evs) != 2 || evs[1].Kind != model.AuthorizeError {
		t.Fatalf("events = %+v", evs)
	}
	pe := evs[1].Err
	if !strings.Contains(pe.Description, `The "redirect_uri" parameter does not match`) || !strings.HasPrefix(pe.Description, generic) {
		t.Errorf("description = %q", pe.Description)
	}
	if info, _ := catalog.Classify(pe, model.FamilyGeneric); info.Class != catalog.ClassRedirectURI {
		t.Errorf("class = %q, want %q", info.Class, catalog.ClassRedirectURI)
	}

	// An error redirect to the app, with a hint and a debug text.
	evs = NewExtractor().Exchange(mkExchange(0, "GET", authorize, nil, "", 302, model.Headers{{Name: "Location",
		Value: "https://app.example/signin-oidc?error=invalid_scope&error_description=The+requested+scope+is+invalid%2C+unknown%2C+or+malformed.&error_hint=The+OAuth+2.0+Client+is+not+allowed+to+request+scope+%22offline%22.&error_debug=scope+offline+not+in+client+scopes&state=S"}}, ""))
	if len(evs) != 2 || evs[1].Err == nil || !strings.Contains(evs[1].Err.Description, `not allowed to request scope "offline"`) ||
		!strings.Contains(evs[1].Err.Description, "scope offline not in client scopes") {
		t.Errorf("events = %+v, error %+v", evs, evs[len(evs)-1].Err)
	}

	// fosite's legacy JSON: the hint beside the description. Modern fosite
	// merges it into the description: it is not repeated.
	const grant = "The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."
	for _, body := range []string{
		`{"error":"invalid_grant","error_description":"` + grant + `","error_hint":"The authorization code has already been used.","error_debug":"","status_code":400}`,
		`{"error":"invalid_grant","error_description":"` + grant + ` The authorization code has already been used.","error_hint":"The authorization code has already been used.","status_code":400}`,
	} {
		evs = NewExtractor().Exchange(mkExchange(0, "POST", "https://hydra.example.org/oauth2/token", nil,
			"grant_type=authorization_code&code=ory_ac_abcdefghijklmnop&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&client_id=c1", 400,
			model.Headers{{Name: "Content-Type", Value: "application/json"}}, body))
		if len(evs) != 2 || evs[1].Err == nil {
			t.Fatalf("events = %+v", evs)
		}
		pe := evs[1].Err
		if info, _ := catalog.Classify(pe, model.FamilyGeneric); info.Class != catalog.ClassCodeReused {
			t.Errorf("%s: class = %q (description %q)", body, info.Class, pe.Description)
		}
		if strings.Count(pe.Description, "already been used") != 1 {
			t.Errorf("description = %q", pe.Description)
		}
	}
}

// IdentityServer (Duende, IdentityServer4) cannot redirect an error to an
// unregistered URI either: it sends the browser to the app's error page,
// /home/error?errorId=…, whose errorId is an opaque key to a message kept
// on the server. The page (the quickstart UI) shows the error, the
// description when the server runs in development, and the request id.
func TestIdentityServerErrorPage(t *testing.T) {
	x := NewExtractor()
	evs := x.Exchange(mkExchange(0, "GET", "https://ids.example.org/connect/authorize?client_id=web&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fsignin-oidc&scope=openid&state=S",
		nil, "", 302, model.Headers{{Name: "Location", Value: "https://ids.example.org/home/error?errorId=CfDJ8N7rL2k1Qx9aZ"}}, ""))
	if got := kinds(evs); !equalStrings(got, []string{"authorize"}) {
		t.Fatalf("authorize kinds = %v", got)
	}
	page := `<!DOCTYPE html><html><head><title>Duende IdentityServer</title></head><body><div class="error-page"><div class="lead"><h1>Error</h1></div>
<div class="row"><div class="col-sm-6"><div class="alert alert-danger">Sorry, there was an error
<strong><em>: unauthorized_client</em></strong><div>Invalid redirect_uri</div></div>
<div class="request-id">Request Id: 0HN7Q3LKM4P2R:00000003</div></div></div></div></body></html>`
	evs = x.Exchange(mkExchange(1, "GET", "https://ids.example.org/home/error?errorId=CfDJ8N7rL2k1Qx9aZ", nil, "", 200,
		model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}, page))
	if len(evs) != 1 || evs[0].Kind != model.AuthorizeError {
		t.Fatalf("page events = %+v", evs)
	}
	pe := evs[0].Err
	if pe.Error != "unauthorized_client" || pe.Description != "Invalid redirect_uri" || pe.TraceID != "0HN7Q3LKM4P2R:00000003" {
		t.Errorf("error = %+v", *pe)
	}
	if info, _ := catalog.Classify(pe, model.FamilyGeneric); info.Class != catalog.ClassRedirectURI {
		t.Errorf("class = %q, want %q", info.Class, catalog.ClassRedirectURI)
	}
	// In production the quickstart hides the description: the error and
	// the request id are still read.
	page = strings.Replace(page, "<div>Invalid redirect_uri</div>", "", 1)
	evs = x.Exchange(mkExchange(2, "GET", "https://ids.example.org/home/error?errorId=CfDJ8N7rL2k1Qx9aZ", nil, "", 200,
		model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}, page))
	if len(evs) != 1 || evs[0].Err.Error != "unauthorized_client" || evs[0].Err.Description != "" || evs[0].Err.TraceID != "0HN7Q3LKM4P2R:00000003" {
		t.Errorf("production page events = %+v", evs)
	}
	// An app's own page with an errorId but no OAuth error is no error.
	evs = x.Exchange(mkExchange(3, "GET", "https://ids.example.org/home/error?errorId=1", nil, "", 200,
		model.Headers{{Name: "Content-Type", Value: "text/html"}}, "<p>Something went wrong.</p>"))
	if len(evs) != 0 {
		t.Errorf("events for a page without an error: %+v", evs)
	}
}
