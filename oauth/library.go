package oauth

import (
	"net/url"
	"strings"
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
}

// libraryOf names the client library a request reveals, or "".
func libraryOf(p url.Values, cookies []string) string {
	if v := p.Get("x-client-brkrver"); strings.HasPrefix(strings.ToLower(v), "idweb.") {
		return "Microsoft.Identity.Web " + v[len("idweb."):]
	}
	if sku := strings.ToLower(p.Get("x-client-SKU")); sku != "" {
		for _, l := range librarySKUs {
			if strings.HasPrefix(sku, l.prefix) {
				if ver := p.Get("x-client-ver"); ver != "" && len(ver) < 40 {
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

// LibraryOfCookies names the framework that a set of cookie names reveals
// (".AspNetCore.Correlation.*" → the ASP.NET Core handler), or "".
func LibraryOfCookies(names []string) string { return libraryOf(nil, names) }
