package oauth

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/url"
	"strings"
	"unicode"

	xhtml "golang.org/x/net/html"

	"github.com/traceaudit/traceaudit/model"
)

// librarySKUs maps MSAL/Microsoft.IdentityModel x-client-SKU values (prefix,
// case-insensitive) to a name for findings.
var librarySKUs = []struct{ prefix, name string }{
	{"msal.js.browser", "MSAL.js (msal-browser)"},
	{"msal.js.node", "MSAL Node"},
	{"msal.js", "MSAL.js"},
	{"msal.netcore", "MSAL.NET"},
	{"msal.desktop", "MSAL.NET"},
	{"msal.xamarin", "MSAL.NET"},
	{"msal.python", "MSAL Python"},
	{"msal.java", "MSAL Java"},
	{"msal.go", "MSAL Go"},
	{"id_net", "ASP.NET Core OpenID Connect handler (Microsoft.IdentityModel)"},
	{"id_netstandard", "ASP.NET Core OpenID Connect handler (Microsoft.IdentityModel)"},
}

// cookieLibraries recognises frameworks by their transient cookie names.
var cookieLibraries = []struct{ prefix, name string }{
	{".AspNetCore.Correlation.", "ASP.NET Core OpenID Connect handler"},
	{".AspNetCore.OpenIdConnect.Nonce.", "ASP.NET Core OpenID Connect handler"},
	{"next-auth.", "NextAuth.js"},
	{"__Secure-next-auth.", "NextAuth.js"},
	{"authjs.", "Auth.js"},
	{"__Secure-authjs.", "Auth.js"},
	{"auth_verification", "express-openid-connect"},
	{"appSession", "express-openid-connect"},
	{"wos-auth-verifier", "WorkOS AuthKit"},
	{"oauth2_proxy", "oauth2-proxy"},
	{"_oauth2_proxy", "oauth2-proxy"},
	{"mod_auth_openidc_", "mod_auth_openidc"},
}

// libraryOf names the client library a request reveals, or "".
func libraryOf(p url.Values, cookies []string) string {
	if v := p.Get("x-client-brkrver"); strings.HasPrefix(strings.ToLower(v), "idweb.") {
		return "Microsoft.Identity.Web " + v[len("idweb."):]
	}
	if sku := strings.ToLower(p.Get("x-client-SKU")); sku != "" {
		for _, l := range librarySKUs {
			if strings.HasPrefix(sku, l.prefix) {
				if ver := clientVer(p); ver != "" && len(ver) < 40 {
					return l.name + " " + ver
				}
				return l.name
			}
		}
	}
	for _, c := range cookies {
		for _, l := range cookieLibraries {
			if strings.HasPrefix(c, l.prefix) {
				return l.name
			}
		}
	}
	return ""
}

// clientVer is the library version next to x-client-SKU, as each MSAL
// writes its name: MSAL.js sends x-client-VER, MSAL.NET x-client-Ver.
func clientVer(p url.Values) string {
	for _, k := range []string{"x-client-ver", "x-client-VER", "x-client-Ver"} {
		if v := p.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// LibraryOfCookies names the framework that a set of cookie names reveals
// (".AspNetCore.Correlation.*" → the ASP.NET Core handler), or "".
func LibraryOfCookies(names []string) string { return libraryOf(nil, names) }

// LibraryOfCookie names the framework a cookie's name and value reveal
// together, where the name alone is too common to: Flask's default session
// cookie, "session" holding an itsdangerous-signed value (flaskSigned),
// Django's, "sessionid" holding a session key, and express-session's,
// "connect.sid" holding a signed session id.
// "" otherwise. The value is looked at, never kept or shown.
func LibraryOfCookie(name, value string) string {
	switch {
	case name == "session" && flaskSigned(value):
		return "Flask"
	case name == "sessionid" && djangoSessionKey(value):
		return "Django"
	case name == "connect.sid" && strings.HasPrefix(value, "s%3A"):
		// express-session's default cookie, its session id signed by
		// cookie-signature ("s:" URL-encoded).
		return "express-session"
	}
	return ""
}

// flaskSigned reports the shape of a value Flask's session interface signs
// with itsdangerous (URLSafeTimedSerializer): a base64url payload ("."
// first when zlib-compressed), a base64url timestamp of 4 bytes (6
// characters) and a base64url HMAC-SHA1 signature (27; 43 for SHA-256),
// separated by dots.
func flaskSigned(v string) bool {
	v = strings.TrimPrefix(v, ".")
	parts := strings.Split(v, ".")
	if len(parts) != 3 || len(parts[0]) < 4 || len(parts[1]) != 6 || len(parts[2]) != 27 && len(parts[2]) != 43 {
		return false
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// refusalPhrases are what app sign-in libraries say when they refuse a
// callback, found in the page of an answer with an error status; the first
// that matches wins, so longer or more telling phrases come first. match
// is lower case; words is the phrase as the library writes it, the only
// text of the page a refusal carries.
var refusalPhrases = []struct {
	match, words, library string
	cause                 model.RefusalCause
}{
	// ASP.NET Core (RemoteAuthenticationHandler, OpenIdConnectHandler,
	// OAuthHandler), on its developer exception page or an app's error
	// page quoting the exception.
	{"unable to unprotect the message.state", "Unable to unprotect the message.State.", "ASP.NET Core OpenID Connect handler", model.RefusalKeys},
	{"correlation failed.", "Correlation failed.", "ASP.NET Core authentication handler", model.RefusalState},
	{"the oauth state was missing or invalid", "The oauth state was missing or invalid.", "ASP.NET Core OAuth handler", model.RefusalState},
	{"idx21323", "IDX21323: RequireNonce is 'True'. OpenIdConnectProtocolValidationContext.Nonce was null", "ASP.NET Core OpenID Connect handler (Microsoft.IdentityModel)", model.RefusalNonce},
	// Spring Security's OAuth2LoginAuthenticationFilter and
	// OAuth2AuthorizationCodeAuthenticationProvider error codes, as a
	// failure page or an app's error handler shows them.
	{"authorization_request_not_found", "authorization_request_not_found", "Spring Security OAuth2 Login", model.RefusalState},
	{"invalid_state_parameter", "invalid_state_parameter", "Spring Security OAuth2 Login", model.RefusalState},
	// oauth2-proxy's 403 page at /oauth2/callback.
	{"unable to find a valid csrf token", "Unable to find a valid CSRF token.", "oauth2-proxy", model.RefusalState},
	{"csrf token mismatch", "CSRF token mismatch", "oauth2-proxy", model.RefusalState},
	// oauth2-proxy's 500 page: its error page hides the cause of an
	// internal error (a refused redemption, a failed user info call)
	// behind this sentence; its log holds the cause.
	{"oops! something went wrong. for more information contact your server administrator", "Oops! Something went wrong. For more information contact your server administrator.", "oauth2-proxy", model.RefusalRedemption},
	// mod_auth_openidc's error page (oidc_util_html_send_error) when its
	// own redemption of the code failed; 2.4.12 sends it with 200 (see
	// callbackFailurePages), others with an error status.
	{"openid connect provider error: error in handling response type", "OpenID Connect Provider error: Error in handling response type.", "mod_auth_openidc", model.RefusalRedemption},
	// Auth.js / NextAuth.js (its server log's words; a custom error page
	// may show them).
	{"pkce code_verifier cookie was missing", "PKCE code_verifier cookie was missing.", "Auth.js / NextAuth.js", model.RefusalState},
	{"state cookie was missing", "State cookie was missing.", "Auth.js / NextAuth.js", model.RefusalState},
	// passport-oauth2 (and strategies built on it), Express's error page.
	{"unable to verify authorization request state", "Unable to verify authorization request state.", "Passport.js (passport-oauth2)", model.RefusalState},
	{"failed to obtain access token", "Failed to obtain access token", "Passport.js (passport-oauth2)", model.RefusalRedemption},
	// openid-client (express-openid-connect, NextAuth.js 4).
	{"checks.state argument is missing", "checks.state argument is missing", "openid-client", model.RefusalState},
	// express-openid-connect 3 (openid-client 6, built on oauth4webapi),
	// as Express's default error page shows them, HTML-escaped: its
	// transaction cookie (auth_verification unless renamed) missing at
	// the callback, the state check, and oauth4webapi's ResponseBodyError
	// for the provider refusing the app's own redemption.
	{"cookie not found. ensure the login flow is initiated through the sdk", "cookie not found. Ensure the login flow is initiated through the SDK's login route before the callback is processed.", "express-openid-connect", model.RefusalState},
	{"unexpected &quot;state&quot; response parameter value", `unexpected "state" response parameter value`, "openid-client", model.RefusalState},
	{`unexpected "state" response parameter value`, `unexpected "state" response parameter value`, "openid-client", model.RefusalState},
	{"server responded with an error in the response body", "server responded with an error in the response body", "openid-client", model.RefusalRedemption},
	// Authlib's client integrations (Flask, Django, Starlette) raise
	// MismatchingStateError when the session holds no entry for the
	// callback's state (_state_{name}_{state}: the session cookie did not
	// come back, or the callback was handled before and the entry
	// removed), before any redemption; an unhandled exception on
	// Werkzeug's debugger page, or an app's page quoting it.
	{"csrf warning! state not equal in request and response", "mismatching_state: CSRF Warning! State not equal in request and response.", "Authlib", model.RefusalState},
	// Werkzeug's InternalServerError page, which Flask answers an
	// unhandled exception with outside debug mode: it names no cause (the
	// exception is in the app's log), and only says the app failed.
	{"the server encountered an internal error and was unable to complete your request. either the server is overloaded or there is an error in the application", "Internal Server Error", "Flask", model.RefusalUnknown},
	// openid-client 5's RPError when the callback's state is not the one
	// the app passed to client.callback (checks.state): "state mismatch,
	// expected <the app's>, got: <the callback's>"; the states are not
	// quoted.
	{"rperror: state mismatch, expected ", "RPError: state mismatch", "openid-client", model.RefusalState},
	// openid-client's RPError, MSAL Python's auth code flow ("state
	// mismatch: … vs …"), many others.
	{"state mismatch", "state mismatch", "", model.RefusalState},
}

// callbackFailurePages are the pages server-side sign-in libraries render at the
// callback URL itself, with 200, when they refuse it: the page names no
// cause (the library logs it). Unlike refusalPhrases these are read on a
// 200 page, so each is a sentence of the library's own failure template,
// which no sign-in page or app bundle carries. match is lower case.
var callbackFailurePages = []struct {
	match, words, library string
	cause                 model.RefusalCause
}{
	// django-allauth's socialaccount/authentication_error.html
	// (render_authentication_error, no status: 200); the first is its
	// wording since 0.55, the second before.
	{"an error occurred while attempting to login via your third-party account", "Third-Party Login Failure", "django-allauth", model.RefusalUnknown},
	{"an error occurred while attempting to login via your social network account", "Social Network Login Failure", "django-allauth", model.RefusalUnknown},
	// mod_auth_openidc 2.4.12's error page at its OIDCRedirectURI
	// ("<p>Error: <pre>…</pre></p>", answered 200) when its redemption of
	// the code failed: the provider's error is in Apache's error log.
	{"<p>error: <pre>openid connect provider error: error in handling response type", "OpenID Connect Provider error: Error in handling response type.", "mod_auth_openidc", model.RefusalRedemption},
}

// failurePageRefusal is the refusal a library's failure page (see
// callbackFailurePages, allauthFailurePage) rendered at the callback u
// says, nil when page is none.
func failurePageRefusal(u *url.URL, page []byte) *model.AppRefusal {
	if allauthCallback(u) {
		if words, ok := allauthFailurePage(page); ok {
			return &model.AppRefusal{Library: "django-allauth", Words: words, Cause: model.RefusalUnknown}
		}
	}
	for _, fp := range callbackFailurePages {
		if containsFoldASCII(page, fp.match) {
			return &model.AppRefusal{Library: fp.library, Words: fp.words, Cause: fp.cause}
		}
	}
	return nil
}

// authJSErrors are the error names Auth.js / NextAuth.js redirect the
// browser with when its callback fails (pages.error or /api/auth/error):
// its server log holds the cause ("State cookie was missing.", a failed
// token request), the browser gets only the name.
var authJSErrors = map[string]bool{
	"OAuthCallback": true, "OAuthCallbackError": true, "Callback": true, "CallbackRouteError": true,
	"Configuration": true, "InvalidCheck": true, "OAuthSignin": true,
}

// appRefusal reads how the app's sign-in library refused a callback from
// its answer: the error its redirect names (Auth.js's error=OAuthCallback,
// Spring Security's /login?error), a known phrase of a library on the
// page of an error status, or a library's failure page at the callback
// (callbackFailurePages). nil when the answer says nothing known. Other 200 pages
// are not read: a SPA's callback page carries its library's code and with
// it every error message.
func appRefusal(ex *model.Exchange, u *url.URL, data []byte) *model.AppRefusal {
	r := ex.Response
	if r == nil {
		return nil
	}
	if r.Status >= 300 && r.Status < 400 {
		loc := r.Headers.Get("Location")
		if loc == "" {
			return nil
		}
		lu, err := u.Parse(loc)
		if err != nil {
			return nil
		}
		path := strings.ToLower(u.Path)
		if strings.Contains(path, "/api/auth/callback/") || strings.Contains(path, "/auth/callback/") && strings.Contains(strings.ToLower(lu.Path), "/auth/") {
			if e := lu.Query().Get("error"); authJSErrors[e] {
				return &model.AppRefusal{Library: "Auth.js / NextAuth.js", Words: "error=" + e, Cause: model.RefusalUnknown}
			}
		}
		if rf := omniAuthFailure(u, lu); rf != nil {
			return rf
		}
		if rf := socialAuthRefusal(r, u.Query().Get("error") != ""); rf != nil {
			return rf
		}
		if springFailureTarget(u, lu) {
			return &model.AppRefusal{Library: springLogin, Words: "redirected to /login?error", Cause: model.RefusalUnknown}
		}
		return nil
	}
	if r.Status < 300 && len(data) > 0 {
		return failurePageRefusal(u, data[:min(len(data), 256<<10)])
	}
	if r.Status < 400 || len(data) == 0 {
		return nil
	}
	head := data[:min(len(data), 256<<10)]
	if r.Status == 401 && allauthCallback(u) {
		// django-allauth since 65.14 renders its failure page with 401.
		if rf := failurePageRefusal(u, head); rf != nil {
			return rf
		}
	}
	if rf := nodeAppRefusal(head, u.Query().Get("error")); rf != nil {
		return rf
	}
	if rf := proxyCallbackRefusal(r, u, head); rf != nil {
		return rf
	}
	for _, ph := range refusalPhrases {
		if containsFoldASCII(head, ph.match) {
			return &model.AppRefusal{Library: ph.library, Words: ph.words, Cause: ph.cause}
		}
	}
	if rf := raisedOAuthError(head, u.Query().Get("error")); rf != nil {
		return rf
	}
	if containsFoldASCII(head, "message contains error: ") {
		// The OpenID Connect handler quoting the provider's answer to its
		// own redemption (OpenIdConnectProtocolException), its quotes
		// escaped on the developer exception page: the error's name,
		// never its description.
		text := html.UnescapeString(string(head))
		i := foldIndex(text, "message contains error: '")
		if i < 0 {
			return nil
		}
		rest := text[i+len("message contains error: '"):]
		if j := strings.IndexByte(rest, '\''); j > 0 && j <= 40 && isOAuthErrorName(rest[:j]) {
			return &model.AppRefusal{Library: "ASP.NET Core OpenID Connect handler", Words: "Message contains error: '" + rest[:j] + "'", Cause: model.RefusalRedemption}
		}
	}
	return nil
}

const springLogin = "Spring Security OAuth2 Login"

// springFailureTarget reports Spring Security's failure redirect of a
// callback: its OAuth2LoginAuthenticationFilter's path
// /login/oauth2/code/{registrationId} (u) redirected to /login?error
// (target), DefaultLoginPageGeneratingFilter's failure URL.
func springFailureTarget(u, target *url.URL) bool {
	return springCallbackPath(u) && strings.HasSuffix(strings.ToLower(target.Path), "/login") && target.Query().Has("error")
}

// springCallbackPath reports the path of Spring Security's OAuth 2.0
// Login callback, /login/oauth2/code/{registrationId}.
func springCallbackPath(u *url.URL) bool {
	return strings.Contains(strings.ToLower(u.Path), "/login/oauth2/code/")
}

// springCodes are the error codes Spring Security's OAuth 2.0 Login gives
// a refused callback (OAuth2LoginAuthenticationFilter,
// OAuth2AuthorizationCodeAuthenticationProvider,
// OidcAuthorizationCodeAuthenticationProvider, its token response and
// user info clients), by what they say went wrong. Its failure handler
// keeps the exception, whose message is OAuth2Error.toString(): the code
// in brackets, then the description ("[authorization_request_not_found] ").
var springCodes = map[string]model.RefusalCause{
	"authorization_request_not_found": model.RefusalState,
	"invalid_state_parameter":         model.RefusalState,
	// The authorization request was found, but not the registration its
	// registration_id attribute names ("Client Registration not found
	// with Id: …", OAuth2LoginAuthenticationFilter.attemptAuthentication).
	"client_registration_not_found": model.RefusalRegistration,
	"invalid_nonce":                 model.RefusalNonce,
	"invalid_token_response":        model.RefusalRedemption,
	"invalid_id_token":              model.RefusalRedemption,
	"missing_signature_verifier":    model.RefusalRedemption,
	"invalid_user_info_response":    model.RefusalRedemption,
}

// springPageRefusal reads the refusal the page of Spring Security's
// failure redirect shows: its generated login page (and a custom one
// showing SPRING_SECURITY_LAST_EXCEPTION's message) writes the
// exception's message in an alert, "[invalid_state_parameter] ". Only the
// bracketed code is kept, never the description after it (a token
// response client quotes the provider's answer there). A provider's OAuth
// error name is the app's own redemption refused ("[invalid_grant] …")
// unless the callback brought the provider's error itself
// (callbackErr), which its event already carries. nil when the page shows
// no code Spring gives.
func springPageRefusal(data []byte, callbackErr bool) *model.AppRefusal {
	head := data[:min(len(data), 64<<10)]
	for from := 0; from < len(head); {
		i := bytes.IndexByte(head[from:], '[')
		if i < 0 {
			return nil
		}
		i += from + 1
		from = i
		j := bytes.IndexByte(head[i:min(len(head), i+48)], ']')
		if j <= 0 {
			continue
		}
		code := string(head[i : i+j])
		cause, ok := springCodes[code]
		if !ok && isOAuthErrorName(code) && !callbackErr {
			cause, ok = model.RefusalRedemption, true
		}
		if ok {
			return &model.AppRefusal{Library: springLogin, Words: "[" + code + "]", Cause: cause}
		}
	}
	return nil
}

// omniAuthCauses are the failure types OmniAuth's OAuth 2.0 strategy
// (omniauth-oauth2's callback_phase) names in its failure redirect, by
// what they say went wrong: csrf_detected when the callback's state is
// not the one its session kept, the others when its own token request
// failed (OAuth2::Error, a timeout, a connection that failed).
var omniAuthCauses = map[string]model.RefusalCause{
	"csrf_detected":       model.RefusalState,
	"invalid_credentials": model.RefusalRedemption,
	"timeout":             model.RefusalRedemption,
	"failed_to_connect":   model.RefusalRedemption,
}

// omniAuthFailure reads OmniAuth's failure redirect: its FailureEndpoint
// sends a refused callback ({path_prefix}/{strategy}/callback, /auth by
// default, /users/auth under Devise's routes) to
// {path_prefix}/failure?message={type}&strategy={name}. nil for another
// redirect. A type it does not name a cause by (the provider's error
// name, which the callback's own error carries) is an unknown cause.
func omniAuthFailure(u, target *url.URL) *model.AppRefusal {
	if !omniAuthCallback(u) || !omniAuthFailurePath(target) {
		return nil
	}
	msg := target.Query().Get("message")
	if msg == "" || len(msg) > 64 {
		return nil
	}
	cause, ok := omniAuthCauses[msg]
	if !ok {
		if !isOAuthErrorName(msg) {
			// Another strategy's own type: not quoted, it could be
			// anything.
			return &model.AppRefusal{Library: "OmniAuth", Words: "redirected to /auth/failure", Cause: model.RefusalUnknown}
		}
		cause = model.RefusalUnknown
	}
	return &model.AppRefusal{Library: "OmniAuth", Words: "message=" + msg, Cause: cause}
}

// allauthCallback reports the path of django-allauth's callback for an
// OAuth 2.0 or OpenID Connect provider: its default_urlpatterns mount
// "login/callback/" under the provider's id (openid_connect under
// "oidc/{id}/"), below the app's prefix (accounts/ in its docs).
func allauthCallback(u *url.URL) bool {
	return strings.HasSuffix(strings.ToLower(u.Path), "/login/callback/")
}

// allauthFailurePage reads django-allauth's failure page in whichever
// language it was rendered, by its template rather than its words:
// socialaccount/authentication_error.html puts one translated title in the
// head_title block (the page's <title>, which a site's base template may
// wrap with its name) and the same in its <h1>, followed by a <p>, and
// nothing else; allauth renders it at the callback itself (200 until
// 65.13, 401 since 65.14). A page that moves on by itself (a meta refresh
// or a form it submits: an interstitial) is not it. It returns the title as
// the page shows it, only when that is a short phrase of words (no digits,
// no addresses, so no page text that could be data reaches a report).
func allauthFailurePage(page []byte) (string, bool) {
	z := xhtml.NewTokenizer(bytes.NewReader(page[:min(len(page), 64<<10)]))
	var title, h1 strings.Builder
	in, pAfter := "", false
	for n := 0; n < maxHTMLTokens; n++ {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			break
		}
		name, hasAttr := z.TagName()
		tag := string(name)
		switch tt {
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			switch tag {
			case "title":
				if title.Len() == 0 {
					in = "title"
				}
			case "h1":
				if h1.Len() > 0 {
					return "", false // one heading only
				}
				in = "h1"
			case "p":
				pAfter = pAfter || h1.Len() > 0
			case "meta":
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = z.TagAttr()
					if string(k) == "http-equiv" && strings.EqualFold(string(v), "refresh") {
						return "", false
					}
				}
			case "script":
				if in == "" {
					z.Next()
					if bytes.Contains(z.Text(), []byte(".submit()")) {
						return "", false
					}
				}
			}
		case xhtml.EndTagToken:
			if tag == in {
				in = ""
			}
		case xhtml.TextToken:
			switch in {
			case "title":
				title.Write(z.Text())
			case "h1":
				h1.Write(z.Text())
			}
		}
	}
	head := strings.Join(strings.Fields(html.UnescapeString(h1.String())), " ")
	whole := strings.Join(strings.Fields(html.UnescapeString(title.String())), " ")
	if !pAfter || !phraseOfWords(head) || !strings.Contains(whole, head) {
		return "", false
	}
	return head, true
}

// phraseOfWords reports a heading of 2 to 80 characters made of letters
// (any script), marks, spaces and a sentence's punctuation.
func phraseOfWords(s string) bool {
	n := 0
	for _, r := range s {
		n++
		switch {
		case unicode.IsLetter(r), unicode.IsMark(r), r == ' ', r == '.', r == ',', r == '\'', r == '-', r == '!', r == '\u2019':
		default:
			return false
		}
	}
	return n >= 2 && n <= 80
}

// omniAuthCallback reports the path of an OmniAuth callback,
// {path_prefix}/{strategy}/callback (/auth by default, /users/auth under
// Devise's routes).
func omniAuthCallback(u *url.URL) bool {
	cb := strings.ToLower(u.Path)
	return strings.HasSuffix(strings.TrimSuffix(cb, "/"), "/callback") && strings.Contains(cb, "/auth/")
}

// omniAuthFailurePath reports OmniAuth's own failure endpoint,
// {path_prefix}/failure.
func omniAuthFailurePath(target *url.URL) bool {
	return strings.HasSuffix(strings.ToLower(target.Path), "/auth/failure")
}

// deviseFailureTarget reports a redirect of an OmniAuth callback that
// Devise's failure action may have sent: Devise answers a failed OmniAuth
// callback itself (Devise::OmniauthCallbacksController#failure: a flash
// alert, then a redirect to after_omniauth_failure_path_for, its sign-in
// page unless the app says otherwise), not with OmniAuth's /auth/failure.
// Its success redirect looks the same; only the page's flash tells them
// apart (deviseFlashRefusal).
func deviseFailureTarget(u, target *url.URL) bool {
	return omniAuthCallback(u) && !omniAuthFailurePath(target) && strings.EqualFold(u.Host, target.Host)
}

// deviseFlash is Devise's flash after a failed OmniAuth callback, its
// devise.omniauth_callbacks.failure message in config/locales/en.yml:
// 'Could not authenticate you from %{kind} because "%{reason}".', reason
// being the failure's type or the provider's error reason, humanized
// (failure_message: "csrf_detected" -> "Csrf detected").
const deviseFlash = "Could not authenticate you from "

// deviseFlashRefusal reads Devise's failure flash on the page a callback's
// redirect led to (an app's layout shows flash[:alert], as Devise's README
// asks), nil when the page has none. The reason is quoted only when it is
// one of OmniAuth's own failure types (omniAuthCauses): otherwise it is the
// provider's error text, which the callback's own error carries, and the
// refusal names no cause.
func deviseFlashRefusal(page []byte) *model.AppRefusal {
	text := pageText(page)
	i := strings.Index(text, deviseFlash)
	if i < 0 {
		return nil
	}
	rest := text[i+len(deviseFlash):]
	j := strings.Index(rest, ` because "`)
	if j <= 0 || j > 64 {
		return nil
	}
	reason := rest[j+len(` because "`):]
	k := strings.Index(reason, `".`)
	if k <= 0 || k > 200 {
		return nil
	}
	reason = reason[:k]
	typ := strings.ToLower(strings.ReplaceAll(reason, " ", "_"))
	if cause, ok := omniAuthCauses[typ]; ok {
		return &model.AppRefusal{Library: "OmniAuth (Devise)", Words: reason, Cause: cause}
	}
	return &model.AppRefusal{Library: "OmniAuth (Devise)", Words: "Could not authenticate you", Cause: model.RefusalUnknown}
}

// raisedErrors are the exceptions client libraries raise with the
// provider's error answering the app's own token request, as an error page
// shows them: mark (lower case) is followed by the OAuth error's name and
// sep, then the provider's description. Authlib's OAuthError, as
// Werkzeug's debugger writes it ("authlib.integrations.base_client.
// errors.OAuthError: invalid_client: client authentication failed");
// openid-client 5's OPError ("OPError: invalid_client (client
// authentication failed)"), as Express's error page writes it;
// golang.org/x/oauth2's RetrieveError since v0.13 (`oauth2:
// "invalid_client" "invalid client_id / client_secret"`), raw or as Go's
// html package and html/template escape its quotes (&#34;), as a Go web
// app's error page quoting err.Error() shows it (quoted without the
// quotes around the name: "oauth2: invalid_client").
var raisedErrors = []struct {
	mark, library, words string
	sep                  byte
}{
	{"authlib.integrations.base_client.errors.oautherror: ", "Authlib", "OAuthError: ", ':'},
	{"operror: ", "openid-client", "OPError: ", ' '},
	{`oauth2: "`, "golang.org/x/oauth2", "oauth2: ", '"'},
	{"oauth2: &#34;", "golang.org/x/oauth2", "oauth2: ", '&'},
	{"oauth2: &quot;", "golang.org/x/oauth2", "oauth2: ", '&'},
}

// raisedOAuthError reads a library's exception holding the provider's
// error (raisedErrors) on an error page. Only the error's name is quoted,
// never the provider's description after it. nil when the page has none,
// or when it is the callback's own error (callbackErr, error=access_denied)
// re-raised, which the callback's event already carries.
func raisedOAuthError(page []byte, callbackErr string) *model.AppRefusal {
	for _, re := range raisedErrors {
		if !containsFoldASCII(page, re.mark) {
			continue
		}
		text := string(page)
		i := foldIndex(text, re.mark)
		if i < 0 {
			continue
		}
		rest := text[i+len(re.mark):]
		j := strings.IndexByte(rest, re.sep)
		if j <= 0 || j > 40 || !isOAuthErrorName(rest[:j]) || rest[:j] == callbackErr {
			continue
		}
		return &model.AppRefusal{Library: re.library, Words: re.words + rest[:j], Cause: model.RefusalRedemption}
	}
	return nil
}

// djangoSessionKey reports the shape of a key Django's session backends
// give a session: 32 characters of lower-case letters and digits.
func djangoSessionKey(v string) bool {
	if len(v) != 32 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// socialAuthMessages are the messages of social-core's exceptions
// (social_core/exceptions.py, 4.x) that social-auth-app-django's
// SocialAuthExceptionMiddleware stores as a Django message before it
// redirects a refused callback to LOGIN_ERROR_URL, by what they say went
// wrong. A message is quoted only as far as these words go: what follows
// ("Authentication process canceled: <the provider's description>") is
// not the library's.
var socialAuthMessages = []struct {
	words string
	cause model.RefusalCause
}{
	// AuthStateForbidden: the callback's state is not the session's.
	{"Wrong state parameter given.", model.RefusalState},
	// AuthStateMissing: the session holds no state (it did not come back).
	{"Session value state missing.", model.RefusalState},
	// AuthCanceled: the callback's error (the user cancelled), or, on a
	// callback with a code, its token request answered HTTP 400
	// (social_core.utils.handle_http_errors): the app's redemption refused.
	{"Authentication process canceled", model.RefusalRedemption},
	// AuthTokenError: the ID token of its redemption failed validation.
	{"Token error", model.RefusalRedemption},
	// AuthForbidden: one of its requests answered HTTP 401 (the token
	// request of a client whose secret is refused), or the app's own
	// allow-list refused the user: the words do not tell which.
	{"Your credentials aren't allowed", model.RefusalUnknown},
	{"Missing needed parameter state", model.RefusalUnknown},
	{"Authentication failed", model.RefusalUnknown},
}

// socialAuthLibrary names social-auth-app-django in findings.
const socialAuthLibrary = "social-auth-app-django"

// socialAuthRefusal reads the refusal social-auth-app-django's exception
// middleware put in the messages cookie it sets on its redirect of a
// refused callback (Django's cookie message storage, the default): a
// message whose extra tags begin "social-auth " (the backend's name
// follows). nil when the answer sets none, or when it is the callback's
// own error (callbackErr) re-raised as AuthCanceled.
func socialAuthRefusal(r *model.Response, callbackErr bool) *model.AppRefusal {
	for _, c := range r.SetCookies() {
		if c.Name != "messages" {
			continue
		}
		for _, m := range djangoMessages(c.Value) {
			if !strings.HasPrefix(m.tags, "social-auth ") {
				continue
			}
			for _, k := range socialAuthMessages {
				if !strings.HasPrefix(m.text, k.words) {
					continue
				}
				if callbackErr && k.cause == model.RefusalRedemption {
					return nil // the provider's error the callback carries
				}
				return &model.AppRefusal{Library: socialAuthLibrary, Words: k.words, Cause: k.cause}
			}
			return &model.AppRefusal{Library: socialAuthLibrary, Words: "redirected to LOGIN_ERROR_URL", Cause: model.RefusalUnknown}
		}
	}
	return nil
}

// djangoMessage is one message of Django's cookie message storage.
type djangoMessage struct{ text, tags string }

// maxDjangoMessages bounds what one messages cookie is read for: its
// value, and its JSON once inflated.
const maxDjangoMessages = 8 << 10

// djangoMessages decodes the value of Django's messages cookie: a signed
// base64url payload ("payload:timestamp:signature"; "." first when
// zlib-compressed) holding a JSON list of ["__json_message", safe, level,
// message, extra_tags]. The signature is not checked (its key is the
// app's). nil for anything else; never more than maxDjangoMessages bytes
// are inflated.
func djangoMessages(v string) []djangoMessage {
	v = strings.Trim(v, `"`)
	if len(v) > maxDjangoMessages {
		return nil
	}
	payload, _, ok := strings.Cut(v, ":")
	if !ok {
		return nil
	}
	compressed := strings.HasPrefix(payload, ".")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.TrimPrefix(payload, "."), "="))
	if err != nil {
		return nil
	}
	if compressed {
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil
		}
		raw, err = io.ReadAll(io.LimitReader(zr, maxDjangoMessages+1))
		if err != nil || len(raw) > maxDjangoMessages {
			return nil
		}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []djangoMessage
	for _, item := range list {
		var fields []any
		if json.Unmarshal(item, &fields) != nil || len(fields) < 4 || fields[0] != "__json_message" {
			continue
		}
		m := djangoMessage{}
		m.text, _ = fields[3].(string)
		if len(fields) > 4 {
			m.tags, _ = fields[4].(string)
		}
		out = append(out, m)
	}
	return out
}

// SocialAuthStart reports the URL layout of social-auth-app-django's
// sign-in: the app's start at {prefix}login/{backend}/ and its callback,
// the redirect URI, at {prefix}complete/{backend}/ on the same host, one
// backend name (social_django.urls).
func SocialAuthStart(start, redirectURI string) bool {
	su, err1 := url.Parse(start)
	ru, err2 := url.Parse(redirectURI)
	if err1 != nil || err2 != nil || !strings.EqualFold(su.Host, ru.Host) {
		return false
	}
	sp, rp := strings.Split(strings.TrimSuffix(su.Path, "/"), "/"), strings.Split(strings.TrimSuffix(ru.Path, "/"), "/")
	if len(sp) < 3 || len(rp) < 3 || sp[len(sp)-2] != "login" || rp[len(rp)-2] != "complete" {
		return false
	}
	return sp[len(sp)-1] != "" && sp[len(sp)-1] == rp[len(rp)-1] && strings.Join(sp[:len(sp)-2], "/") == strings.Join(rp[:len(rp)-2], "/")
}

// OIDCClientTS names oidc-client-ts (the UserManager of react-oidc-context
// and of many Angular and Vue apps; oidc-client, its predecessor, sends the
// same) where its requests show it: it makes its state a UUIDv4 written
// without dashes and its PKCE verifier three of them, and writes its
// authorize parameters in one order.
const OIDCClientTS = "oidc-client-ts"

// uuid4Hex reports 32 lower-case hex digits of a version 4, variant 1 UUID
// (crypto.randomUUID with the dashes removed).
func uuid4Hex(s string) bool {
	if len(s) != 32 || s[12] != '4' || !strings.ContainsRune("89ab", rune(s[16])) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// oidcClientTSVerifier reports oidc-client-ts's code_verifier: three
// UUIDv4s without dashes (CryptoUtils.generateCodeVerifier), 96 characters
// that a verifier of random bytes in base64url (43 characters, most
// libraries) never has.
func oidcClientTSVerifier(v string) bool {
	return len(v) == 96 && uuid4Hex(v[:32]) && uuid4Hex(v[32:64]) && uuid4Hex(v[64:])
}

// oidcClientTSAuthorize reports an authorize query written by
// oidc-client-ts's SigninRequest: client_id, redirect_uri, response_type,
// scope and state first, in that order (then nonce when asked for,
// code_challenge and code_challenge_method), its state a UUIDv4 without
// dashes. The raw query is read for its order only.
func oidcClientTSAuthorize(rawQuery string) bool {
	want := []string{"client_id", "redirect_uri", "response_type", "scope", "state"}
	var state string
	for i, kv := range strings.SplitN(rawQuery, "&", len(want)+4) {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case i < len(want):
			if k != want[i] {
				return false
			}
			if k == "state" {
				state = v
			}
		case i == len(want) && k == "nonce":
			continue
		default:
			return k == "code_challenge" && uuid4Hex(state)
		}
	}
	return false
}

// oauth2ProxyDenied is the message oauth2-proxy's error page shows for a
// 403 without one of its own (pagewriter's default for the status): at
// its callback only after it redeemed the code and made a session, when
// its authorization (--email-domain, --allowed-group, an unverified
// email, an ID token for another audience) refused it.
const oauth2ProxyDenied = "You do not have permission to access this resource."

// proxyCallbackRefusal reads a callback answer of the proxies that sit in
// front of an app: oauth2-proxy refusing the signed-in user (its 403 page,
// known by its sign-in form or footer), and nginx answering with its own
// 502 page, the upstream's answer lost. nil for any other answer.
func proxyCallbackRefusal(r *model.Response, u *url.URL, head []byte) *model.AppRefusal {
	callback := strings.HasSuffix(strings.ToLower(u.Path), "/callback")
	switch {
	case !callback:
		return nil
	case r.Status == 403 && containsFoldASCII(head, strings.ToLower(oauth2ProxyDenied)) &&
		(containsFoldASCII(head, "github.com/oauth2-proxy/oauth2-proxy") || containsFoldASCII(head, `action="/oauth2/sign_in"`)):
		return &model.AppRefusal{Library: "oauth2-proxy", Words: oauth2ProxyDenied, Cause: model.RefusalPolicy}
	case r.Status == 502 && containsFoldASCII(head, "<title>502 bad gateway</title>") && containsFoldASCII(head, "<center>nginx"):
		return &model.AppRefusal{Library: "nginx", Words: "502 Bad Gateway", Cause: model.RefusalGateway}
	}
	return nil
}
