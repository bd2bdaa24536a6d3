package oauth

import (
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// TestAppRefusal: how the common sign-in libraries refuse a callback, from
// what reaches the wire: the page of an error status, or the error their
// redirect names. The words are each library's own:
//   - ASP.NET Core: "Correlation failed." (RemoteAuthenticationHandler),
//     "Unable to unprotect the message.State." (OpenIdConnectHandler's
//     Resources.MessageStateIsInvalid, quoted in Duende's data protection
//     guide), "IDX21323: RequireNonce is '…'" (Microsoft.IdentityModel),
//     "Message contains error: 'invalid_grant'" (OpenIdConnectProtocolException);
//   - Spring Security: the OAuth2Error codes authorization_request_not_found
//     (OAuth2LoginAuthenticationFilter) and invalid_state_parameter, and its
//     default failure redirect to /login?error from /login/oauth2/code/{id};
//   - oauth2-proxy: "Login Failed: Unable to find a valid CSRF token. Please
//     try again." on its 403 page (asserted by keboola's oauth2-proxy tests);
//   - Auth.js / NextAuth.js: /api/auth/callback/{provider} redirecting with
//     error=OAuthCallback (v4) or error=Configuration (v5, which hides an
//     InvalidCheck such as "PKCE code_verifier cookie was missing.");
//   - Passport.js: "Unable to verify authorization request state." and
//     InternalOAuthError "Failed to obtain access token" (passport-oauth2);
//   - openid-client: "checks.state argument is missing"; "state mismatch"
//     (openid-client's RPError, MSAL Python's auth code flow).
func TestAppRefusal(t *testing.T) {
	const cb = "https://app.example.com/signin-oidc"
	html := model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}
	loc := func(l string) model.Headers { return model.Headers{{Name: "Location", Value: l}} }
	for _, c := range []struct {
		name      string
		url       string
		status    int
		headers   model.Headers
		body      string
		lib, word string
		cause     model.RefusalCause
	}{
		{"aspnet correlation", cb, 500, html, "<h1>An unhandled exception occurred while processing the request.</h1><div class=\"titleerror\">AuthenticationFailureException: Correlation failed.</div>",
			"ASP.NET Core authentication handler", "Correlation failed.", model.RefusalState},
		{"aspnet unprotect", cb, 500, html, "<div>Exception: Unable to unprotect the message.State.</div>",
			"ASP.NET Core OpenID Connect handler", "Unable to unprotect the message.State.", model.RefusalKeys},
		{"aspnet nonce", cb, 500, html, "SecurityTokenInvalidNonceException: IDX21323: RequireNonce is '[PII of type 'System.Boolean' is hidden]'. OpenIdConnectProtocolValidationContext.Nonce was null",
			"ASP.NET Core OpenID Connect handler (Microsoft.IdentityModel)", "", model.RefusalNonce},
		{"aspnet redemption", cb, 500, html, "OpenIdConnectProtocolException: Message contains error: &#x27;invalid_grant&#x27;, error_description: &#x27;AADSTS54005&#x27;",
			"ASP.NET Core OpenID Connect handler", "Message contains error: 'invalid_grant'", model.RefusalRedemption}, // the developer exception page escapes the quotes
		{"aspnet redemption plain", cb, 500, html, "OpenIdConnectProtocolException: Message contains error: 'invalid_grant', error_description: 'AADSTS54005: OAuth2 Authorization code was already redeemed'",
			"ASP.NET Core OpenID Connect handler", "Message contains error: 'invalid_grant'", model.RefusalRedemption},
		{"spring code", "https://portal.example.com/login/oauth2/code/okta", 401, model.Headers{{Name: "Content-Type", Value: "application/json"}}, `{"error":"authorization_request_not_found"}`,
			"Spring Security OAuth2 Login", "authorization_request_not_found", model.RefusalState},
		{"spring redirect", "https://portal.example.com/login/oauth2/code/okta", 302, loc("/login?error"), "",
			"Spring Security OAuth2 Login", "redirected to /login?error", model.RefusalUnknown},
		{"oauth2-proxy", "https://grafana.example.com/oauth2/callback", 403, html, "<p>Login Failed: Unable to find a valid CSRF token. Please try again.</p>",
			"oauth2-proxy", "Unable to find a valid CSRF token.", model.RefusalState},
		{"authjs v4", "https://next.example.com/api/auth/callback/google", 302, loc("/api/auth/error?error=OAuthCallback"), "",
			"Auth.js / NextAuth.js", "error=OAuthCallback", model.RefusalUnknown},
		{"authjs v5", "https://next.example.com/api/auth/callback/github", 302, loc("https://next.example.com/api/auth/error?error=Configuration"), "",
			"Auth.js / NextAuth.js", "error=Configuration", model.RefusalUnknown},
		{"passport state", "https://express.example.com/auth/callback", 403, html, "Unable to verify authorization request state.",
			"Passport.js (passport-oauth2)", "Unable to verify authorization request state.", model.RefusalState},
		{"passport token", "https://express.example.com/auth/callback", 500, html, "InternalOAuthError: Failed to obtain access token",
			"Passport.js (passport-oauth2)", "Failed to obtain access token", model.RefusalRedemption},
		{"openid-client", "https://express.example.com/callback", 400, html, "BadRequestError: checks.state argument is missing",
			"openid-client", "checks.state argument is missing", model.RefusalState},
		// express-openid-connect 3.4.0 on Express 4's default error page
		// (finalhandler, NODE_ENV unset), as recorded in
		// rules/testdata/eoc-lost-cookie.pcap and eoc-two-tabs.pcap; the
		// state check's words as oauth4webapi writes them.
		{"eoc cookie lost", "http://localhost:4702/callback", 400, html, "<pre>BadRequestError: &quot;auth_verification&quot; cookie not found. Ensure the login flow is initiated through the SDK&#39;s login route before the callback is processed.</pre>",
			"express-openid-connect", "cookie not found. Ensure the login flow is initiated through the SDK's login route before the callback is processed.", model.RefusalState},
		{"eoc state", "http://localhost:4702/callback", 400, html, "<pre>BadRequestError: unexpected &quot;state&quot; response parameter value</pre>",
			"openid-client", `unexpected "state" response parameter value`, model.RefusalState},
		{"eoc token", "http://localhost:4702/callback", 400, html, "<pre>BadRequestError: server responded with an error in the response body</pre>",
			"openid-client", "server responded with an error in the response body", model.RefusalRedemption},
		{"msal python", "https://flask.example.com/getAToken", 500, html, "ValueError: state mismatch: XyZ vs AbC",
			"", "state mismatch", model.RefusalState},
		// OmniAuth's FailureEndpoint redirect, with the types
		// omniauth-oauth2's callback_phase fails with; under Devise's
		// routes too; another strategy's type is not quoted.
		{"omniauth csrf", "https://rails.example.com/auth/github/callback", 302, loc("/auth/failure?message=csrf_detected&strategy=github"), "",
			"OmniAuth", "message=csrf_detected", model.RefusalState},
		{"omniauth token", "https://rails.example.com/users/auth/github/callback", 302, loc("https://rails.example.com/users/auth/failure?message=invalid_credentials&strategy=github"), "",
			"OmniAuth", "message=invalid_credentials", model.RefusalRedemption},
		{"omniauth timeout", "https://rails.example.com/auth/okta/callback", 302, loc("/auth/failure?message=timeout&origin=https%3A%2F%2Frails.example.com%2F&strategy=okta"), "",
			"OmniAuth", "message=timeout", model.RefusalRedemption},
		{"omniauth other", "https://rails.example.com/auth/okta/callback", 302, loc("/auth/failure?message=user_blocked_by_rule_42&strategy=okta"), "",
			"OmniAuth", "redirected to /auth/failure", model.RefusalUnknown},
		// django-allauth's failure page, rendered at the callback with 200
		// (socialaccount/authentication_error.html, in its wording since
		// 0.55 and before).
		{"allauth", "https://django.example.com/accounts/github/login/callback/", 200, html,
			"<title>\n    Third-Party Login Failure\n</title><h1>\n        Third-Party Login Failure\n    </h1><p>\n        An error occurred while attempting to login via your third-party account.\n    </p>",
			"django-allauth", "Third-Party Login Failure", model.RefusalUnknown},
		{"allauth before 0.55", "https://django.example.com/accounts/google/login/callback/", 200, html,
			"<h1>Social Network Login Failure</h1><p>An error occurred while attempting to login via your social network account.</p>",
			"django-allauth", "Social Network Login Failure", model.RefusalUnknown},
		// Authlib 1.2's exceptions on Werkzeug's debugger page (its
		// title and errormsg), as recorded in rules/testdata/authlib-*.har:
		// only the OAuth error's name is quoted. Flask's plain 500 page
		// names no cause.
		{"authlib state", "http://localhost:4922/auth", 500, html,
			"<title>authlib.integrations.base_client.errors.MismatchingStateError: mismatching_state: CSRF Warning! State not equal in request and response.\n // Werkzeug Debugger</title>",
			"Authlib", "mismatching_state: CSRF Warning! State not equal in request and response.", model.RefusalState},
		{"authlib token", "http://localhost:4922/auth", 500, html,
			"<p class=\"errormsg\">authlib.integrations.base_client.errors.OAuthError: invalid_client: client authentication failed\n</p>",
			"Authlib", "OAuthError: invalid_client", model.RefusalRedemption},
		{"authlib other words", "http://localhost:4922/auth", 500, html,
			"authlib.integrations.base_client.errors.OAuthError: not_an_oauth_error: whatever", "", "", ""},
		// openid-client 5 on Express's error page, as recorded in
		// rules/testdata/oidclient-*.har (the states made up here).
		{"openid-client state", "http://localhost:4932/cb", 500, html,
			"<pre>RPError: state mismatch, expected qS3GOJ3tfXEHtQK-pXxj2IZBDNfe, got: I5Af_JURhoPv_2mHCNXlXYkEF</pre>",
			"openid-client", "RPError: state mismatch", model.RefusalState},
		{"openid-client token", "http://localhost:4932/cb", 500, html, "<pre>OPError: invalid_grant (grant request is invalid)</pre>",
			"openid-client", "OPError: invalid_grant", model.RefusalRedemption},
		{"openid-client other", "http://localhost:4932/cb", 500, html, "<pre>OPError: something_else (whatever)</pre>", "", "", ""},
		// A Go web app's page quoting golang.org/x/oauth2's RetrieveError
		// (testdata zitadel-web-bad-secret.har), escaped by html.EscapeString.
		{"x/oauth2 escaped", "http://localhost:4983/auth/callback", 500, html,
			"<p id=status>Failed to exchange token: oauth2: &#34;invalid_client&#34; &#34;invalid client_id / client_secret&#34;</p>",
			"golang.org/x/oauth2", "oauth2: invalid_client", model.RefusalRedemption},
		{"x/oauth2 raw", "http://localhost:4983/auth/callback", 500, model.Headers{{Name: "Content-Type", Value: "text/plain; charset=utf-8"}},
			`oauth2: "invalid_grant" "invalid code_verifier"`, "golang.org/x/oauth2", "oauth2: invalid_grant", model.RefusalRedemption},
		{"x/oauth2 other", "http://localhost:4983/auth/callback", 500, html, `oauth2: "not an error name" "x"`, "", "", ""},
		{"flask 500", "http://localhost:4922/auth", 500, html,
			"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n",
			"Flask", "Internal Server Error", model.RefusalUnknown},
		// social-auth-app-django's middleware: a redirect to
		// LOGIN_ERROR_URL with social-core's message in Django's messages
		// cookie (the values recorded in rules/testdata/social-*.har).
		{"social-auth state", "http://localhost:4942/complete/oidc/", 302, model.Headers{{Name: "Location", Value: "/login-error/"},
			{Name: "Set-Cookie", Value: "messages=W1siX19qc29uX21lc3NhZ2UiLDAsNDAsIlNlc3Npb24gdmFsdWUgc3RhdGUgbWlzc2luZy4iLCJzb2NpYWwtYXV0aCBvaWRjIl1d:1xa7Ga:-QOl729fFdfBiUwyDTbVivYaxGzwZOpv3qKvcwJr9fg; HttpOnly; Path=/; SameSite=Lax"}}, "",
			"social-auth-app-django", "Session value state missing.", model.RefusalState},
		{"social-auth forbidden", "http://localhost:4942/complete/oidc/", 302, model.Headers{{Name: "Location", Value: "/login-error/"},
			{Name: "Set-Cookie", Value: "messages=W1siX19qc29uX21lc3NhZ2UiLDAsNDAsIllvdXIgY3JlZGVudGlhbHMgYXJlbid0IGFsbG93ZWQiLCJzb2NpYWwtYXV0aCBvaWRjIl1d:1xa7FJ:35ltbnyAdV9QXT2mxqOxGrTIzjz89QBZmNn8O8NMDsc; HttpOnly; Path=/; SameSite=Lax"}}, "",
			"social-auth-app-django", "Your credentials aren't allowed", model.RefusalUnknown},
		// A message of the app's own (no social-auth tag) is no refusal.
		{"django message", "http://localhost:4942/complete/oidc/", 302, model.Headers{{Name: "Location", Value: "/"},
			{Name: "Set-Cookie", Value: "messages=W1siX19qc29uX21lc3NhZ2UiLDAsMjUsIldlbGNvbWUgYmFjayIsIiJdXQ:1xa7Ga:x; Path=/"}}, "", "", "", ""},
		// Not refusals: a SPA's callback page carries its library's
		// messages in its script; a redirect to the app's home; a 200
		// page with a library's error words that is not its failure page.
		{"spa page", cb, 200, html, "<script>throw new Error('state mismatch')</script>", "", "", ""},
		{"200 correlation", cb, 200, html, "<div>Correlation failed.</div>", "", "", ""},
		{"home", "https://next.example.com/api/auth/callback/google", 302, loc("/"), "", "", "", ""},
		{"failure path elsewhere", "https://rails.example.com/sessions/callback", 302, loc("/auth/failure?message=csrf_detected"), "", "", "", ""},
		{"plain 500", cb, 500, html, "<h1>Error.</h1><p>An error occurred while processing your request.</p>", "", "", ""},
		// oauth2-proxy 7.15's 403 page after its authorization refused the
		// signed-in user (rules/testdata/oauth2-proxy/oauth2-proxy-email-domain.har,
		// trimmed): known by its sign-in form or footer, at its callback only.
		{"oauth2-proxy denied", "https://app.example.com/oauth2/callback", 403, html, `<div class="status-code">403</div><div class="content">
          You do not have permission to access this resource.
        </div><form method="GET" action="/oauth2/sign_in"><input type="hidden" name="rd" value="/"></form>
    <p>Secured with <a href="https://github.com/oauth2-proxy/oauth2-proxy#oauth2_proxy" class="has-text-grey">OAuth2 Proxy</a> version 7.15.6</p>`,
			"oauth2-proxy", "You do not have permission to access this resource.", model.RefusalPolicy},
		{"oauth2-proxy denied elsewhere", "https://app.example.com/oauth2/sign_in", 403, html, `You do not have permission to access this resource.<form method="GET" action="/oauth2/sign_in">`, "", "", ""},
		{"apache forbidden", "https://app.example.com/oauth2/callback", 403, html, "<h1>Forbidden</h1><p>You don't have permission to access this resource.</p>", "", "", ""},
		// nginx's own 502 page (1.22, as recorded in
		// rules/testdata/oauth2-proxy/oauth2-proxy-large-cookie-nginx.har).
		{"nginx 502", "https://app.example.com/oauth2/callback", 502, html, "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n",
			"nginx", "502 Bad Gateway", model.RefusalGateway},
		{"nginx 503", "https://app.example.com/oauth2/callback", 503, html, "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>", "", "", ""},
	} {
		u := c.url + "?code=c0de-" + c.name + "&state=st-1"
		evs := NewExtractor().Exchange(mkExchange(0, "GET", u, nil, "", c.status, c.headers, c.body))
		if len(evs) != 1 || evs[0].Kind != model.Callback {
			t.Errorf("%s: events %v", c.name, kinds(evs))
			continue
		}
		r := evs[0].Refusal()
		if c.cause == "" {
			if r != nil {
				t.Errorf("%s: refusal %+v, want none", c.name, r)
			}
			continue
		}
		if r == nil || r.Library != c.lib || r.Cause != c.cause || c.word != "" && r.Words != c.word {
			t.Errorf("%s: refusal %+v, want %s %q (%s)", c.name, r, c.lib, c.word, c.cause)
		}
	}
}

// springLoginPage is the page Spring Security's DefaultLoginPageGeneratingFilter
// writes at /login?error for an app with OAuth 2.0 Login only, its error
// alert holding the message of the exception that refused the callback
// (OAuth2Error.toString(): "[code] description"); the style block left out.
func springLoginPage(alert string) string {
	return "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\">\n    <title>Please sign in</title>\n  </head>\n  <body>\n     <div class=\"content\">\n" +
		"<h2>Login with OAuth 2.0</h2><div class=\"alert alert-danger\" role=\"alert\">" + alert + "</div><table class=\"table table-striped\">\n" +
		" <tr><td><a href=\"/oauth2/authorization/okta\">okta</a></td></tr>\n</table>\n</div>\n</body></html>"
}

// TestSpringFailurePage: Spring Security's failure redirect of a callback
// names no cause; the /login?error page the browser loads next does, and
// the callback's refusal is completed with its code (only the code: the
// description after it may quote the provider's answer).
func TestSpringFailurePage(t *testing.T) {
	const cbURL = "https://portal.example.com/login/oauth2/code/okta?code=okta-code-1&state=st-1"
	html := model.Headers{{Name: "Content-Type", Value: "text/html;charset=UTF-8"}}
	for _, c := range []struct {
		name     string
		cbURL    string
		status   int // of the page
		method   string
		alert    string
		words    string
		cause    model.RefusalCause
		loadedAt int // the page's index; -1 not loaded
	}{
		{"state", cbURL, 200, "GET", "[authorization_request_not_found] ", "[authorization_request_not_found]", model.RefusalState, 1},
		{"state parameter", cbURL, 200, "GET", "[invalid_state_parameter] ", "[invalid_state_parameter]", model.RefusalState, 1},
		{"nonce", cbURL, 200, "GET", "[invalid_nonce] ", "[invalid_nonce]", model.RefusalNonce, 1},
		{"token response", cbURL, 200, "GET", "[invalid_token_response] An error occurred while attempting to retrieve the OAuth 2.0 Access Token Response: 401 Unauthorized: [no body]",
			"[invalid_token_response]", model.RefusalRedemption, 1},
		{"id token", cbURL, 200, "GET", "[invalid_id_token] The ID Token contains invalid claims: {iat=2026-11-26T10:10:00Z}", "[invalid_id_token]", model.RefusalRedemption, 1},
		{"provider error on redemption", cbURL, 200, "GET", "[invalid_grant] Code not valid", "[invalid_grant]", model.RefusalRedemption, 1},
		// The provider's error on the callback itself: its event carries it.
		{"provider error on callback", "https://portal.example.com/login/oauth2/code/okta?error=access_denied&state=st-1", 200, "GET", "[access_denied] User denied access",
			"redirected to /login?error", model.RefusalUnknown, 1},
		// Not the page's words: another message, another status, a
		// POST, the page loaded after another exchange (still read), or
		// never loaded.
		{"invalid credentials", cbURL, 200, "GET", "Invalid credentials", "redirected to /login?error", model.RefusalUnknown, 1},
		{"unknown code", cbURL, 200, "GET", "[some_custom_code] ", "redirected to /login?error", model.RefusalUnknown, 1},
		{"page 500", cbURL, 500, "GET", "[authorization_request_not_found] ", "redirected to /login?error", model.RefusalUnknown, 1},
		{"post", cbURL, 200, "POST", "[authorization_request_not_found] ", "redirected to /login?error", model.RefusalUnknown, 1},
		{"later", cbURL, 200, "GET", "[authorization_request_not_found] ", "[authorization_request_not_found]", model.RefusalState, 2},
		{"not loaded", cbURL, 200, "GET", "[authorization_request_not_found] ", "redirected to /login?error", model.RefusalUnknown, -1},
	} {
		x := NewExtractor()
		evs := x.Exchange(mkExchange(0, "GET", c.cbURL, nil, "", 302, model.Headers{{Name: "Location", Value: "/login?error"}}, ""))
		if len(evs) != 1 || evs[0].Refusal() == nil {
			t.Fatalf("%s: callback events %+v", c.name, evs)
		}
		page := mkExchange(c.loadedAt, c.method, "https://portal.example.com/login?error", nil, "", c.status, html, springLoginPage(c.alert))
		switch c.loadedAt {
		case 1:
			x.Exchange(page)
		case 2:
			x.Exchange(mkExchange(1, "GET", "https://portal.example.com/favicon.ico", nil, "", 404, nil, ""))
			x.Exchange(page)
		}
		got := *evs[0].Refusal()
		if want := (model.AppRefusal{Library: "Spring Security OAuth2 Login", Words: c.words, Cause: c.cause}); got != want {
			t.Errorf("%s: refusal %+v, want %+v", c.name, got, want)
		}
	}
	// A page loaded again, or for a callback it does not follow, changes
	// nothing more.
	x := NewExtractor()
	evs := x.Exchange(mkExchange(0, "GET", cbURL, nil, "", 302, model.Headers{{Name: "Location", Value: "https://portal.example.com/login?error"}}, ""))
	x.Exchange(mkExchange(1, "GET", "https://portal.example.com/login?error", nil, "", 200, html, springLoginPage("[authorization_request_not_found] ")))
	x.Exchange(mkExchange(2, "GET", "https://portal.example.com/login?error", nil, "", 200, html, springLoginPage("[invalid_nonce] ")))
	if r := evs[0].Refusal(); r.Words != "[authorization_request_not_found]" {
		t.Errorf("page loaded twice: refusal %+v", r)
	}
	// The body gate keeps the page's body for the Extractor.
	g := NewBodyGate()
	cb := mkExchange(0, "GET", cbURL, nil, "", 302, model.Headers{{Name: "Location", Value: "/login?error"}}, "")
	g.MayMatter(&cb.Request, cb.Response)
	pg := mkExchange(1, "GET", "https://portal.example.com/login?error", nil, "", 200, html, "")
	if !g.MayMatter(&pg.Request, pg.Response) {
		t.Error("the body gate skips the failure page's body")
	}
	if other := mkExchange(2, "GET", "https://portal.example.com/about", nil, "", 200, html, ""); g.MayMatter(&other.Request, other.Response) {
		t.Error("the body gate keeps another page of the app")
	}
}

// TestAuthlibReraisedCallbackError: Authlib raises the callback's own
// error (error=access_denied) as an OAuthError; that is the provider's
// answer the callback carries, not the app's redemption failing.
func TestAuthlibReraisedCallbackError(t *testing.T) {
	html := model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}
	u := "http://localhost:4922/auth?error=access_denied&error_description=End-User+aborted+interaction&state=st-1"
	evs := NewExtractor().Exchange(mkExchange(0, "GET", u, nil, "", 500, html,
		"<p class=\"errormsg\">authlib.integrations.base_client.errors.OAuthError: access_denied: End-User aborted interaction\n</p>"))
	if len(evs) != 1 || evs[0].Kind != model.Callback || evs[0].Err == nil || evs[0].Refusal() != nil {
		t.Fatalf("events %v, refusal %+v", kinds(evs), evs[0].Refusal())
	}
}

// TestLibraryOfCookie: Flask's session cookie is known by its name and its
// itsdangerous-signed value (the value below is the shape of the one
// recorded in rules/testdata/authlib-*.har, its payload made up); the same
// name with another value, or another name, is no one's.
func TestLibraryOfCookie(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"session", ".eJyrVkrOz0nNzVeyUkrOL0lVslLKS8xNVbJSKi1OLVKqBQBoIgkE.axUJ-w.woje9nggPB_uRAAAAAAAAAAAAAA", "Flask"},
		{"session", "eyJ1c2VyIjoiYWxpY2UifQ.axUJ-w.woje9nggPB_uRAAAAAAAAAAAAAA", "Flask"},
		{"session", "eyJ1c2VyIjoiYWxpY2UifQ.axUJ-w.woje9nggPB_uRAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Flask"},
		{"session", "s%3AQWxhZGRpbg.abcdef.woje9nggPB_uRAAAAAAAAAAAAAA", ""}, // express-session's s: prefix
		{"session", "eyJ1c2VyIjoiYWxpY2UifQ.axUJ-w", ""},
		{"session", "0123456789abcdef", ""},
		{"connect.sid", "s%3A9hU2kLq0cZ.b1bmGg1QhG9mE2xQy2j8", "express-session"},
		{"connect.sid", "9hU2kLq0cZ", ""},
		{"sessionid", "mwts2pyn0gfutpvuyntw0bf09rivz0uo", "Django"},
		{"sessionid", "mwts2pyn0gfutpvuyntw0bf09rivz0u", ""},
		{"sessionid", "MWTS2PYN0GFUTPVUYNTW0BF09RIVZ0UO", ""},
		{"sessionid", "eyJ1c2VyIjoiYWxpY2UifQ.axUJ-w.woje9nggPB_uRAAAAAAAAAAAAAA", ""},
	} {
		if got := LibraryOfCookie(c.name, c.value); got != c.want {
			t.Errorf("%s=%s: %q, want %q", c.name, c.value, got, c.want)
		}
	}
}

// TestSocialAuthStart: social-auth-app-django's URL layout, its start at
// login/{backend}/ and its callback at complete/{backend}/ under one prefix.
func TestSocialAuthStart(t *testing.T) {
	for _, c := range []struct {
		start, redirect string
		want            bool
	}{
		{"http://localhost:4942/login/oidc/", "http://localhost:4942/complete/oidc/", true},
		{"https://app.example.com/auth/login/google-oauth2/?next=/", "https://app.example.com/auth/complete/google-oauth2/", true},
		{"http://localhost:4942/login/oidc/", "http://localhost:4942/complete/github/", false},
		{"http://localhost:4942/login/oidc/", "http://other.example.com/complete/oidc/", false},
		{"http://localhost:4942/a/login/oidc/", "http://localhost:4942/b/complete/oidc/", false},
		{"http://localhost:4942/login/", "http://localhost:4942/complete/", false},
	} {
		if got := SocialAuthStart(c.start, c.redirect); got != c.want {
			t.Errorf("%s, %s: %v", c.start, c.redirect, got)
		}
	}
}

// TestOIDCClientTS: oidc-client-ts's wire shape, taken from its recorded
// requests (rules/testdata/oidcts-*.har): a verifier of three UUIDv4s
// without dashes, an authorize query in its SigninRequest's order with a
// UUIDv4 state. Other libraries' verifiers (43 base64url characters) and
// orders, a verifier of 96 hex digits that is no UUID, and an authorize
// query with the same order but a state of another shape are not it.
func TestOIDCClientTS(t *testing.T) {
	const v = "cf6b27e4a79741989d321f4389a3600e3ed3d7f5a8284eb08caee7b9f2b90d3a39b3bfc4332c4646b2606caff10766c7"
	if !oidcClientTSVerifier(v) {
		t.Error("oidc-client-ts's recorded verifier not recognised")
	}
	for _, no := range []string{
		"dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk", // RFC 7636's example
		"cf6b27e4a79741989d321f4389a3600e3ed3d7f5a8284eb08caee7b9f2b90d3a39b3bfc4332c4646b2606caff10766c",
		"cf6b27e4a79711989d321f4389a3600e3ed3d7f5a8284eb08caee7b9f2b90d3a39b3bfc4332c4646b2606caff10766c7", // version 1
		"CF6B27E4A79741989D321F4389A3600E3ED3D7F5A8284EB08CAEE7B9F2B90D3A39B3BFC4332C4646B2606CAFF10766C7",
	} {
		if oidcClientTSVerifier(no) {
			t.Errorf("%s read as oidc-client-ts's verifier", no)
		}
	}
	const q = "client_id=oidc-spa&redirect_uri=http%3A%2F%2Flocalhost%3A4943%2Fcallback.html&response_type=code&scope=openid+profile+offline_access&state=e0ce7998ea524957af3b7f348a92a598&code_challenge=USXJYNxNhg0tOW4ufKQcTkQ7ywezySgkd6Y5PDosZdM&code_challenge_method=S256"
	for _, yes := range []string{q, q + "&prompt=none",
		"client_id=a&redirect_uri=b&response_type=code&scope=openid&state=e0ce7998ea524957af3b7f348a92a598&nonce=n&code_challenge=c&code_challenge_method=S256"} {
		if !oidcClientTSAuthorize(yes) {
			t.Errorf("%s not read as oidc-client-ts's", yes)
		}
	}
	for _, no := range []string{
		"client_id=a&redirect_uri=b&response_type=code&scope=openid&state=0ce7998ea524957af3b7f348a92a598e&code_challenge=c",    // no UUIDv4
		"response_type=code&client_id=a&redirect_uri=b&scope=openid&state=e0ce7998ea524957af3b7f348a92a598&code_challenge=c",    // another order
		"client_id=a&redirect_uri=b&response_type=code&scope=openid&state=e0ce7998ea524957af3b7f348a92a598&response_mode=query", // no PKCE next
		"client_id=a&redirect_uri=b&response_type=code&scope=openid&state=e0ce7998ea524957af3b7f348a92a598",
	} {
		if oidcClientTSAuthorize(no) {
			t.Errorf("%s read as oidc-client-ts's", no)
		}
	}
}
