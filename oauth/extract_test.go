package oauth

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// mkExchange builds an exchange for one edge case; body types are inferred.
func mkExchange(i int, method, rawURL string, reqHeaders model.Headers, reqBody string, status int, respHeaders model.Headers, respBody string) *model.Exchange {
	ex := &model.Exchange{
		Index: i,
		Ref:   "entries[" + strconv.Itoa(i) + "]",
		Start: time.Date(2026, 11, 26, 10, 0, i, 0, time.UTC),
		Request: model.Request{
			Method:  method,
			URL:     rawURL,
			Headers: reqHeaders,
			Body:    model.Body{Size: int64(len(reqBody)), Data: []byte(reqBody)},
		},
	}
	if reqBody != "" && reqHeaders.Get("Content-Type") == "" {
		ex.Request.Body.MIMEType = "application/x-www-form-urlencoded"
	}
	if status != 0 {
		mt := strings.ToLower(strings.TrimSpace(strings.Split(respHeaders.Get("Content-Type"), ";")[0]))
		ex.Response = &model.Response{Status: status, Headers: respHeaders,
			Body: model.Body{Size: int64(len(respBody)), Data: []byte(respBody), MIMEType: mt}}
		ex.End = ex.Start.Add(200 * time.Millisecond)
	}
	return ex
}

func kinds(evs []model.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind.String())
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEntraTokenErrors parses the real Entra error bodies of the corpus.
func TestEntraTokenErrors(t *testing.T) {
	tests := []struct {
		file        string
		err         string
		codes       []string
		primary     string
		class       catalog.ErrorClass
		trace, corr string
		timestamp   string
		uri         string
	}{
		{"AADSTS50148_pennersr_django-allauth_2916.json", "invalid_grant", []string{"AADSTS50148"}, "AADSTS50148", catalog.ClassPKCE, "", "", "", ""},
		{"AADSTS54005_davidjrh_dnn.azureadprovider_17.json", "invalid_grant", []string{"AADSTS70002", "AADSTS54005"}, "AADSTS54005", catalog.ClassCodeReused,
			"9df0210d-bf9f-45d9-b19b-b326453e6400", "48ac1682-e414-42c2-9eac-f1d6114e8648", "2018-11-19 17:52:50Z", ""},
		{"AADSTS70000_QuePort_passport-azure-oauth_6.json", "invalid_grant", []string{"AADSTS70002", "AADSTS70000"}, "AADSTS70000", catalog.ClassGenericGrant,
			"8ccfdad7-7856-498c-82fa-88e6d5b40fee", "c7f33b6a-5683-4fff-be74-ffba44a27abc", "2014-08-27 12:08:46Z", ""},
		{"AADSTS50126_Azure_azure-cli_18647.json", "invalid_grant", []string{"AADSTS50126"}, "AADSTS50126", catalog.ClassAccess,
			"a287413d-c526-4d4a-a6eb-ac9108b03000", "7f85270a-1b07-401e-b684-a19533c1b5ea", "2021-06-25 13:16:19Z", "https://login.microsoftonline.com/error?code=50126"},
		{"AADSTS700082_Azure_azure-cli_14244.json", "invalid_grant", []string{"AADSTS700082"}, "AADSTS700082", catalog.ClassRefreshExpired,
			"6e94ade5-10de-4d67-909a-14d845813500", "0e87b495-1e24-4882-be85-d012c216f4f6", "2020-07-06 22:31:52Z", "https://login.microsoftonline.com/error?code=700082"},
		{"AADSTS70008_Azure_azure-sdk-for-net_19201.json", "invalid_grant", []string{"AADSTS70008"}, "AADSTS70008", catalog.ClassCodeExpired,
			"fddb1c98-20a3-400b-9448-a22141cf0300", "9c48170d-d932-4cf9-9dd5-13574a735234", "2021-03-04 01:10:05Z", "https://login.microsoftonline.com/error?code=70008"},
		{"AADSTS9002313_Azure-Samples_ms-identity-dotnet-webapi-azurefunctions_3.json", "invalid_grant", []string{"AADSTS9002313"}, "AADSTS9002313", catalog.ClassMalformed,
			"f86ee3a2-1c21-48b0-97fb-ab08841b2100", "b5de6866-5136-40f0-a128-b54f8cc9be2b", "2020-07-08 13:34:18Z", "https://login.microsoftonline.com/error?code=9002313"},
		{"AADSTS9002313_AzureAD_azure-activedirectory-library-for-nodejs_219.json", "invalid_grant", []string{"AADSTS9002313"}, "AADSTS9002313", catalog.ClassMalformed,
			"<REMOVED>", "5b7c06c8-f9d2-46be-9fd0-c1aa18c278a9", "2019-05-23 13:15:22Z", ""},
		{"AADSTS9002313_AzureAD_microsoft-authentication-library-for-js_1611.json", "invalid_grant", []string{"AADSTS9002313"}, "AADSTS9002313", catalog.ClassMalformed,
			"3099dbcf-726a-4cda-aaae-6e4012332c00", "b46949b3-a406-48d4-8cb5-179eba1d7487", "2020-05-06 09:52:09Z", "https://login.microsoftonline.com/error?code=9002313"},
		{"AADSTS9002313_AzureAD_microsoft-authentication-library-for-js_3088.json", "invalid_grant", []string{"AADSTS9002313"}, "AADSTS9002313", catalog.ClassMalformed,
			"f351e59c-dc4f-4b10-8293-4e6fe8c8c600", "196c96ec-1310-4afb-8d4b-ab70d77bb816", "2021-02-22 00:34:40Z", "https://login.microsoftonline.com/error?code=9002313"},
		{"AADSTS9002326_umijs_umi-request_299.json", "invalid_request", []string{"AADSTS9002326"}, "AADSTS9002326", catalog.ClassSPACrossOrigin,
			"0c7f2993-b612-434d-9cee-244e88f51600", "45d80262-c77f-487b-a95b-4566c736e1bc", "2022-06-07 19:14:30Z", "https://login.windows.net/error?code=9002326"},
		{"AADSTS9002326_vippsas_vipps-ecom-api_246.json", "invalid_request", []string{"AADSTS9002326"}, "AADSTS9002326", catalog.ClassSPACrossOrigin,
			"578a738f-3b77-4a4b-a425-160f38da2d00", "cabc0d01-da8d-4b44-90b8-b182c1f21e1b", "2022-07-03 18:51:58Z", "https://login.windows.net/error?code=9002326"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "aad-responses", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			ex := mkExchange(0, "POST", "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token", nil,
				"grant_type=authorization_code&code=abc%2Bdef&client_id=cid&redirect_uri=https%3A%2F%2Fapp%2Fcb",
				400, model.Headers{{Name: "Content-Type", Value: "application/json; charset=utf-8"}}, string(body))
			evs := NewExtractor().Exchange(ex)
			if got, want := kinds(evs), []string{"token-request", "token-response"}; !equalStrings(got, want) {
				t.Fatalf("kinds = %v, want %v", got, want)
			}
			req, resp := evs[0], evs[1]
			if !req.Code.Equal(secret.New("abc+def")) {
				t.Errorf("code not form-decoded: %s", req.Code)
			}
			if req.Provider().Family != "entra" || req.Provider().Variant != "v2" || req.Provider().Tenant != "contoso.onmicrosoft.com" {
				t.Errorf("provider = %+v", req.Provider())
			}
			pe := resp.Err
			if pe == nil {
				t.Fatal("no error parsed")
			}
			if pe.Error != tt.err || !equalStrings(pe.Codes, tt.codes) || pe.TraceID != tt.trace || pe.Correlation != tt.corr ||
				pe.Timestamp != tt.timestamp || pe.URI != tt.uri {
				t.Errorf("error = %+v", *pe)
			}
			if got := catalog.PrimaryCode(pe); got != tt.primary {
				t.Errorf("PrimaryCode = %q, want %q", got, tt.primary)
			}
			if info, ok := catalog.Classify(pe, "entra"); !ok || info.Class != tt.class {
				t.Errorf("Classify = %+v, %v; want class %q", info, ok, tt.class)
			}
		})
	}
}

func TestProviderOf(t *testing.T) {
	tests := []struct {
		url  string
		want model.Provider
		role EndpointRole
	}{
		{"https://login.microsoftonline.com/common/oauth2/v2.0/authorize", model.Provider{Family: "entra", Variant: "v2", Cloud: "global", Tenant: "common", Host: "login.microsoftonline.com"}, RoleAuthorize},
		{"https://login.microsoftonline.com/contoso.com/oauth2/token", model.Provider{Family: "entra", Variant: "v1", Cloud: "global", Tenant: "contoso.com", Host: "login.microsoftonline.com"}, RoleToken},
		{"https://login.windows.net/common/oauth2/authorize", model.Provider{Family: "entra", Variant: "v1", Cloud: "global", Tenant: "common", Host: "login.windows.net"}, RoleAuthorize},
		{"https://login.microsoftonline.us/t/oauth2/v2.0/token", model.Provider{Family: "entra", Variant: "v2", Cloud: "usgov", Tenant: "t", Host: "login.microsoftonline.us"}, RoleToken},
		{"https://login.partner.microsoftonline.cn/t/oauth2/v2.0/authorize", model.Provider{Family: "entra", Variant: "v2", Cloud: "china", Tenant: "t", Host: "login.partner.microsoftonline.cn"}, RoleAuthorize},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/B2C_1_signin/oauth2/v2.0/authorize", model.Provider{Family: "entra", Variant: "b2c", Cloud: "global", Tenant: "contoso.onmicrosoft.com", Host: "contoso.b2clogin.com", Policy: "B2C_1_signin"}, RoleAuthorize},
		{"https://contoso.b2clogin.com/contoso.onmicrosoft.com/oauth2/v2.0/token?p=B2C_1_signin", model.Provider{Family: "entra", Variant: "b2c", Cloud: "global", Tenant: "contoso.onmicrosoft.com", Host: "contoso.b2clogin.com", Policy: "B2C_1_signin"}, RoleToken},
		// MSAL's B2C authorities put "tfp" before the tenant
		// (WithB2CAuthority("https://{host}/tfp/{tenant}/{policy}")); B2C's
		// older endpoints on the Entra host put "te" there.
		{"https://contoso.b2clogin.com/tfp/contoso.onmicrosoft.com/B2C_1_susi/oauth2/v2.0/token", model.Provider{Family: "entra", Variant: "b2c", Cloud: "global", Tenant: "contoso.onmicrosoft.com", Host: "contoso.b2clogin.com", Policy: "B2C_1_susi"}, RoleToken},
		{"https://login.microsoftonline.com/te/contoso.onmicrosoft.com/b2c_1_signin/oauth2/v2.0/authorize", model.Provider{Family: "entra", Variant: "b2c", Cloud: "global", Tenant: "contoso.onmicrosoft.com", Host: "login.microsoftonline.com", Policy: "b2c_1_signin"}, RoleAuthorize},
		// B2C behind a custom domain: known by its policy's prefix, in the
		// path or in ?p=.
		{"https://login.contoso.com/contoso.onmicrosoft.com/B2C_1A_signup_signin/oauth2/v2.0/authorize", model.Provider{Family: "entra", Variant: "b2c", Tenant: "contoso.onmicrosoft.com", Host: "login.contoso.com", Policy: "B2C_1A_signup_signin"}, RoleAuthorize},
		{"https://login.contoso.com/8d1f0cbd-4b5e-4a3f-9c1e-2f6a7b8c9d0e/oauth2/v2.0/token?p=b2c_1_susi", model.Provider{Family: "entra", Variant: "b2c", Tenant: "8d1f0cbd-4b5e-4a3f-9c1e-2f6a7b8c9d0e", Host: "login.contoso.com", Policy: "b2c_1_susi"}, RoleToken},
		// Not B2C: a policy-like segment without B2C's prefix, or B2C's
		// prefix outside an /oauth2/v2.0/ path.
		{"https://login.contoso.com/contoso/signin/oauth2/v2.0/authorize", model.Provider{Family: "generic", Host: "login.contoso.com"}, RoleNone},
		{"https://idp.example.net/b2c_1_x/oauth2/authorize", model.Provider{Family: "generic", Host: "idp.example.net"}, RoleNone},
		// External ID behind a custom URL domain: a tenant id or
		// onmicrosoft.com domain before /oauth2/v2.0/.
		{"https://login.contoso.com/8d1f0cbd-4b5e-4a3f-9c1e-2f6a7b8c9d0e/oauth2/v2.0/authorize", model.Provider{Family: "entra", Variant: "ciam", Tenant: "8d1f0cbd-4b5e-4a3f-9c1e-2f6a7b8c9d0e", Host: "login.contoso.com"}, RoleAuthorize},
		{"https://login.contoso.com/contoso.onmicrosoft.com/oauth2/v2.0/token", model.Provider{Family: "entra", Variant: "ciam", Tenant: "contoso.onmicrosoft.com", Host: "login.contoso.com"}, RoleToken},
		{"https://login.contoso.com/8d1f0cbd-4b5e-4a3f-9c1e-2f6a7b8c9d0e-x/oauth2/v2.0/authorize", model.Provider{Family: "generic", Host: "login.contoso.com"}, RoleNone},
		{"https://contoso.ciamlogin.com/0000-1111/oauth2/v2.0/authorize", model.Provider{Family: "entra", Variant: "ciam", Cloud: "global", Tenant: "0000-1111", Host: "contoso.ciamlogin.com"}, RoleAuthorize},
		{"https://sts.contoso.com/adfs/oauth2/token", model.Provider{Family: "adfs", Tenant: "sts.contoso.com", Host: "sts.contoso.com"}, RoleToken},
		{"https://accounts.google.com/o/oauth2/v2/auth", model.Provider{Family: "google", Host: "accounts.google.com"}, RoleAuthorize},
		// django-oauth-toolkit where its documentation includes its URLs
		// (under o/, at the root or a prefix), with Django's trailing
		// slash; authentik's own /application/o/ views are not it.
		{"http://127.0.0.1:4966/o/authorize/?client_id=c", model.Provider{Family: "django-oauth-toolkit", Tenant: "127.0.0.1", Host: "127.0.0.1"}, RoleNone},
		{"https://sso.example.org/api/o/token/", model.Provider{Family: "django-oauth-toolkit", Tenant: "sso.example.org", Host: "sso.example.org"}, RoleNone},
		{"https://authentik.example.org/application/o/authorize/", model.Provider{Family: "generic", Host: "authentik.example.org"}, RoleNone},
		{"https://idp.example.org/o/authorize", model.Provider{Family: "generic", Host: "idp.example.org"}, RoleNone},
		{"https://oauth2.googleapis.com/token", model.Provider{Family: "google", Host: "oauth2.googleapis.com"}, RoleToken},
		{"https://dev-1.okta.com/oauth2/v1/authorize", model.Provider{Family: "okta", Variant: "org", Tenant: "dev-1.okta.com", Host: "dev-1.okta.com"}, RoleAuthorize},
		{"https://dev-1.okta.com/oauth2/default/v1/token", model.Provider{Family: "okta", Variant: "default", Tenant: "dev-1.okta.com", Host: "dev-1.okta.com"}, RoleToken},
		{"https://x.eu.auth0.com/oauth/token", model.Provider{Family: "auth0", Tenant: "x.eu.auth0.com", Host: "x.eu.auth0.com"}, RoleToken},
		{"https://kc.example.org/realms/demo/protocol/openid-connect/auth", model.Provider{Family: "keycloak", Tenant: "demo", Host: "kc.example.org"}, RoleAuthorize},
		{"https://kc.example.org/auth/realms/demo/protocol/openid-connect/token", model.Provider{Family: "keycloak", Variant: "legacy", Tenant: "demo", Host: "kc.example.org"}, RoleToken},
		{"https://idp.example.net/oauth2/authorize", model.Provider{Family: "generic", Host: "idp.example.net"}, RoleNone},
		// PingFederate's endpoint names behind any host and port, PingOne's
		// regional hosts with the environment id, OneLogin's /oidc/2/.
		{"https://sso.example.com:9031/as/authorization.oauth2", model.Provider{Family: "ping", Tenant: "sso.example.com", Host: "sso.example.com"}, RoleAuthorize},
		{"https://auth.connect.example.nl:8443/as/token.oauth2", model.Provider{Family: "ping", Tenant: "auth.connect.example.nl", Host: "auth.connect.example.nl"}, RoleToken},
		{"https://auth.pingone.eu/3f0a1b2c-0000-4000-8000-0123456789ab/as/authorize", model.Provider{Family: "ping", Variant: "pingone", Tenant: "3f0a1b2c-0000-4000-8000-0123456789ab", Host: "auth.pingone.eu"}, RoleAuthorize},
		{"https://auth.pingone.com/3f0a1b2c-0000-4000-8000-0123456789ab/as/token", model.Provider{Family: "ping", Variant: "pingone", Tenant: "3f0a1b2c-0000-4000-8000-0123456789ab", Host: "auth.pingone.com"}, RoleToken},
		{"https://acme.onelogin.com/oidc/2/auth", model.Provider{Family: "onelogin", Tenant: "acme.onelogin.com", Host: "acme.onelogin.com"}, RoleAuthorize},
		{"https://login.acme.com/oidc/2/token", model.Provider{Family: "onelogin", Tenant: "login.acme.com", Host: "login.acme.com"}, RoleToken},
		{"https://idp.example.net/as/authorize", model.Provider{Family: "generic", Host: "idp.example.net"}, RoleNone},
		// Microsoft Cloud Deutschland's host (MSAL's AzureCloudInstance.AzureGermany).
		{"https://login.microsoftonline.de/contoso.onmicrosoft.de/oauth2/token", model.Provider{Family: "entra", Variant: "v1", Cloud: "germany", Tenant: "contoso.onmicrosoft.de", Host: "login.microsoftonline.de"}, RoleToken},
		// ForgeRock AM's realm paths (its OAuth 2.0 guide's endpoint list):
		// the last realm names the tenant. Its discovery ends like
		// Keycloak's /realms/{realm}/.well-known/ and was read as Keycloak's.
		{"https://am.example.com/openam/oauth2/realms/root/realms/alpha/authorize", model.Provider{Family: "forgerock", Tenant: "alpha", Host: "am.example.com"}, RoleAuthorize},
		{"https://am.example.com/openam/oauth2/realms/root/realms/alpha/access_token", model.Provider{Family: "forgerock", Tenant: "alpha", Host: "am.example.com"}, RoleToken},
		{"https://am.example.com/openam/oauth2/realms/root/realms/alpha/.well-known/openid-configuration", model.Provider{Family: "forgerock", Tenant: "alpha", Host: "am.example.com"}, RoleDiscovery},
		{"https://am.example.com/am/oauth2/realms/root/authorize", model.Provider{Family: "forgerock", Tenant: "root", Host: "am.example.com"}, RoleAuthorize},
		// ForgeRock Identity Cloud: a realm alias after /am/oauth2/.
		{"https://openam-acme.forgeblocks.com/am/oauth2/alpha/access_token", model.Provider{Family: "forgerock", Tenant: "alpha", Host: "openam-acme.forgeblocks.com"}, RoleToken},
		// Salesforce: login hosts, My Domain, and its layout on any host.
		{"https://login.salesforce.com/services/oauth2/authorize", model.Provider{Family: "salesforce", Tenant: "login.salesforce.com", Host: "login.salesforce.com"}, RoleAuthorize},
		{"https://acme.my.salesforce.com/services/oauth2/token", model.Provider{Family: "salesforce", Tenant: "acme.my.salesforce.com", Host: "acme.my.salesforce.com"}, RoleToken},
		{"https://acme.my.site.com/partners/services/oauth2/authorize", model.Provider{Family: "salesforce", Tenant: "acme.my.site.com", Host: "acme.my.site.com"}, RoleAuthorize},
		// Okta behind a custom domain stays Okta: an AS id after /oauth2/
		// is no ForgeRock realm alias off ForgeRock's hosts.
		{"https://login.acme.com/oauth2/default/v1/authorize", model.Provider{Family: "okta", Variant: "default", Tenant: "login.acme.com", Host: "login.acme.com"}, RoleAuthorize},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		got := ProviderOf(u)
		if got != tt.want {
			t.Errorf("ProviderOf(%s) = %+v, want %+v", tt.url, got, tt.want)
		}
		if r := RoleOf(u, got); r != tt.role {
			t.Errorf("RoleOf(%s) = %v, want %v", tt.url, r, tt.role)
		}
	}
}

// TestDeliveries covers the three ways a code comes back and the callback.
func TestDeliveries(t *testing.T) {
	authz := "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c1&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fsignin-oidc&state=S1&response_mode="
	t.Run("query", func(t *testing.T) {
		x := NewExtractor()
		evs := x.Exchange(mkExchange(0, "GET", authz+"query", nil, "", 302,
			model.Headers{{Name: "Location", Value: "https://app.example/signin-oidc?code=C%2F1&state=S1"}, {Name: "Date", Value: "Thu, 26 Nov 2026 10:00:00 GMT"}}, ""))
		if got := kinds(evs); !equalStrings(got, []string{"authorize", "code-issued"}) {
			t.Fatalf("kinds = %v", got)
		}
		ci := evs[1]
		if ci.Delivery() != "query" || !ci.Code.Equal(secret.New("C/1")) || !ci.State.Equal(secret.New("S1")) || ci.ServerDate().IsZero() {
			t.Errorf("code-issued = %+v", ci)
		}
		cb := x.Exchange(mkExchange(1, "GET", "https://app.example/signin-oidc?code=C%2F1&state=S1",
			model.Headers{{Name: "Sec-Purpose", Value: "prefetch"}, {Name: "Cookie", Value: "a=1; .AspNetCore.Correlation.x=2"}}, "", 200, nil, ""))
		if len(cb) != 1 || cb[0].Kind != model.Callback || !cb[0].Code.Equal(secret.New("C/1")) || cb[0].Prefetch() != "Sec-Purpose: prefetch" ||
			!equalStrings(cb[0].CookieNames(), []string{"a", ".AspNetCore.Correlation.x"}) {
			t.Errorf("callback = %+v", cb)
		}
	})
	t.Run("fragment", func(t *testing.T) {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authz+"fragment", nil, "", 302,
			model.Headers{{Name: "Location", Value: "https://app.example/signin-oidc#code=C2&state=S1&session_state=x"}}, ""))
		if len(evs) != 2 || evs[1].Delivery() != "fragment" || !evs[1].Code.Equal(secret.New("C2")) {
			t.Errorf("events = %+v", evs)
		}
	})
	t.Run("form_post", func(t *testing.T) {
		page := `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="https://app.example/signin-oidc">` +
			`<input type="hidden" name="code" value="C3&amp;x" /><input type="hidden" name="state" value="S1" />` +
			`<input type="hidden" name="session_state" value="ss" /><noscript><p>Script is disabled.</p><input type="submit" value="Continue" /></noscript></form>` +
			`<script language="javascript">window.setTimeout('document.forms[0].submit()', 0);</script></body></html>`
		x := NewExtractor()
		x.Exchange(mkExchange(0, "GET", authz+"form_post", nil, "", 302, model.Headers{{Name: "Location", Value: "https://login.microsoftonline.com/common/login"}}, ""))
		evs := x.Exchange(mkExchange(1, "POST", "https://login.microsoftonline.com/common/login", nil, "login=a&passwd=b", 200,
			model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}, page))
		if len(evs) != 1 || evs[0].Kind != model.CodeIssued || evs[0].Delivery() != "form_post" || !evs[0].Code.Equal(secret.New("C3&x")) ||
			evs[0].RedirectURI() != "https://app.example/signin-oidc" {
			t.Fatalf("events = %+v", evs)
		}
		cb := x.Exchange(mkExchange(2, "POST", "https://app.example/signin-oidc", model.Headers{{Name: "Origin", Value: "https://login.microsoftonline.com"}},
			"code=C3%26x&state=S1&session_state=ss", 302, model.Headers{{Name: "Location", Value: "/"}}, ""))
		if len(cb) != 1 || cb[0].Kind != model.Callback || cb[0].Delivery() != "form_post" || !cb[0].Code.Equal(secret.New("C3&x")) ||
			cb[0].Origin() != "https://login.microsoftonline.com" {
			t.Errorf("callback = %+v", cb)
		}
	})
}

func TestAuthorizeErrorPages(t *testing.T) {
	t.Run("entra", func(t *testing.T) {
		page := `<html><body><div id="debugDetails">Request Id: 2b3a6d8f-1c2d-4e5f-8a9b-0c1d2e3f4a5b<br/>` +
			`Correlation Id: 7c8d9e0f-1a2b-4c3d-9e8f-7a6b5c4d3e2f<br/>Timestamp: 2026-11-26T10:00:00Z<br/>` +
			`Message: AADSTS50011: The redirect URI &#39;http://app.example/signin-oidc&#39; specified in the request does not match the redirect URIs configured for the application &#39;c1&#39;.</div></body></html>`
		evs := NewExtractor().Exchange(mkExchange(0, "GET",
			"https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c1&response_type=code&redirect_uri=http%3A%2F%2Fapp.example%2Fsignin-oidc&state=S",
			nil, "", 200, model.Headers{{Name: "Content-Type", Value: "text/html"}}, page))
		if got := kinds(evs); !equalStrings(got, []string{"authorize", "authorize-error"}) {
			t.Fatalf("kinds = %v", got)
		}
		pe := evs[1].Err
		if !equalStrings(pe.Codes, []string{"AADSTS50011"}) || pe.TraceID != "2b3a6d8f-1c2d-4e5f-8a9b-0c1d2e3f4a5b" ||
			pe.Correlation != "7c8d9e0f-1a2b-4c3d-9e8f-7a6b5c4d3e2f" || pe.Timestamp != "2026-11-26T10:00:00Z" {
			t.Errorf("error = %+v", *pe)
		}
		if got := EchoedRedirectURI(pe); got != "http://app.example/signin-oidc" {
			t.Errorf("EchoedRedirectURI = %q", got)
		}
	})
	t.Run("google", func(t *testing.T) {
		page := `<html><body><h1>Access blocked: This app’s request is invalid</h1><p>Error 400: redirect_uri_mismatch</p></body></html>`
		evs := NewExtractor().Exchange(mkExchange(0, "GET",
			"https://accounts.google.com/o/oauth2/v2/auth?client_id=c1&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb&state=S",
			nil, "", 400, model.Headers{{Name: "Content-Type", Value: "text/html"}}, page))
		if len(evs) != 2 || evs[1].Err == nil || evs[1].Err.Error != "redirect_uri_mismatch" {
			t.Fatalf("events = %+v", evs)
		}
		if info, _ := catalog.Classify(evs[1].Err, "google"); info.Class != catalog.ClassRedirectURI {
			t.Errorf("class = %q", info.Class)
		}
	})
	t.Run("error-redirect", func(t *testing.T) {
		evs := NewExtractor().Exchange(mkExchange(0, "GET",
			"https://kc.example.org/realms/demo/protocol/openid-connect/auth?client_id=c1&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb&state=S&prompt=none",
			nil, "", 302, model.Headers{{Name: "Location", Value: "https://app/cb?error=login_required&state=S"}}, ""))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err.Error != "login_required" {
			t.Fatalf("events = %+v", evs)
		}
	})
	t.Run("login-page-is-not-an-error", func(t *testing.T) {
		evs := NewExtractor().Exchange(mkExchange(0, "GET",
			"https://dev-1.okta.com/oauth2/default/v1/authorize?client_id=c1&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb&state=S",
			nil, "", 200, model.Headers{{Name: "Content-Type", Value: "text/html"}}, "<html><form action='/login'><input name='username'></form></html>"))
		if got := kinds(evs); !equalStrings(got, []string{"authorize"}) {
			t.Errorf("kinds = %v", got)
		}
	})
}

// TestDiscoveryTeachesEndpoints: an unknown server's token endpoint is
// recognised after its discovery document.
func TestDiscoveryTeachesEndpoints(t *testing.T) {
	x := NewExtractor()
	doc := `{"issuer":"https://id.example.net","authorization_endpoint":"https://id.example.net/oidc/start","token_endpoint":"https://id.example.net/oidc/exchange"}`
	evs := x.Exchange(mkExchange(0, "GET", "https://id.example.net/.well-known/openid-configuration", nil, "", 200,
		model.Headers{{Name: "Content-Type", Value: "application/json"}}, doc))
	if len(evs) != 1 || evs[0].Kind != model.Discovery {
		t.Fatalf("discovery events = %+v", evs)
	}
	evs = x.Exchange(mkExchange(1, "GET", "https://id.example.net/oidc/start?client_id=c&redirect_uri=https%3A%2F%2Fapp%2Fcb&state=s", nil, "", 302,
		model.Headers{{Name: "Location", Value: "https://app/cb?code=K&state=s"}}, ""))
	if got := kinds(evs); !equalStrings(got, []string{"authorize", "code-issued"}) {
		t.Fatalf("authorize kinds = %v", got)
	}
	evs = x.Exchange(mkExchange(2, "POST", "https://id.example.net/oidc/exchange", model.Headers{{Name: "Authorization", Value: "Basic YyUzQTE6cyUyNmVjcmV0"}},
		"code=K&redirect_uri=https%3A%2F%2Fapp%2Fcb", 200, model.Headers{{Name: "Content-Type", Value: "application/json"}},
		`{"access_token":"at","token_type":"Bearer","expires_in":"3600","refresh_token":"rt"}`))
	if got := kinds(evs); !equalStrings(got, []string{"token-request", "token-response"}) {
		t.Fatalf("token kinds = %v", got)
	}
	if evs[0].ClientAuth() != "basic" || evs[0].ClientID() != "c:1" || !evs[0].ClientSecret().Equal(secret.New("s&ecret")) {
		t.Errorf("client auth = %q %q %s", evs[0].ClientAuth(), evs[0].ClientID(), evs[0].ClientSecret())
	}
	if evs[1].AccessToken().IsZero() || evs[1].RefreshToken().IsZero() || evs[1].ExpiresIn() != 3600 || evs[1].Err != nil {
		t.Errorf("token response = %+v", evs[1])
	}
}

// TestSecretsNeverInStrings: no raw secret of a parsed exchange shows up in
// the formatted events.
func TestSecretsNeverInStrings(t *testing.T) {
	x := NewExtractor()
	var evs []model.Event
	evs = append(evs, x.Exchange(mkExchange(0, "GET", "https://dev-1.okta.com/oauth2/default/v1/authorize?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb&state=RAWSTATE1&nonce=RAWNONCE1&code_challenge=RAWCHALLENGE1&code_challenge_method=plain", nil, "", 302,
		model.Headers{{Name: "Location", Value: "https://app/cb?code=RAWCODE1&state=RAWSTATE1"}}, ""))...)
	evs = append(evs, x.Exchange(mkExchange(1, "POST", "https://dev-1.okta.com/oauth2/default/v1/token", nil,
		"grant_type=authorization_code&code=RAWCODE1&code_verifier=RAWVERIFIER1&client_secret=RAWSECRET1", 200,
		model.Headers{{Name: "Content-Type", Value: "application/json"}}, `{"access_token":"RAWACCESS1","id_token":"RAWID1","refresh_token":"RAWREFRESH1"}`))...)
	s := ""
	for _, e := range evs {
		s += sprintEvent(e)
	}
	for _, raw := range []string{"RAWSTATE1", "RAWNONCE1", "RAWCODE1", "RAWVERIFIER1", "RAWSECRET1", "RAWACCESS1", "RAWID1", "RAWREFRESH1", "RAWCHALLENGE1"} {
		if strings.Contains(s, raw) {
			t.Errorf("%s leaked into formatted events", raw)
		}
	}
	if !strings.Contains(s, secret.Fingerprint("RAWCODE1")) {
		t.Errorf("code fingerprint missing from %s", s)
	}
}

func sprintEvent(e model.Event) string {
	b, _ := json.Marshal(e)
	return fmt.Sprintf("%v %+v %#v %s", e, e, e, b)
}

func TestIsPlaceholder(t *testing.T) {
	for _, v := range []string{"[REDACTED]", "redacted", "xxxxxxxx", "****", "<REMOVED>", "REDACTED_CODE"} {
		if !secret.IsPlaceholder(secret.New(v)) {
			t.Errorf("IsPlaceholder(%q) = false", v)
		}
	}
	for _, v := range []string{"", "0.AAAA-entra-code", "aB3cD4eF5gH6iJ7kL8mN9oP0", "4/0AX4XfWh"} {
		if secret.IsPlaceholder(secret.New(v)) {
			t.Errorf("IsPlaceholder(%q) = true", v)
		}
	}
}

// TestEntraConfigErrorPage: Entra renders its error page from a $Config
// object; the ids then come from JSON-ish members and response headers.
func TestEntraConfigErrorPage(t *testing.T) {
	page := `<html><head><script>//<![CDATA[
$Config={"iErrorCode":50011,"strServiceExceptionMessage":"AADSTS50011: The redirect URI \u0027https://app.example/cb/\u0027 specified in the request does not match the redirect URIs configured for the application \u0027c1\u0027.","correlationId":"5b7c06c8-f9d2-46be-9fd0-c1aa18c278a9"};
//]]></script></head><body></body></html>`
	evs := NewExtractor().Exchange(mkExchange(0, "GET",
		"https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c1&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&state=S",
		nil, "", 200, model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}, {Name: "x-ms-request-id", Value: "4f0d9d1c-2a6b-4c39-8f4e-1a2b3c4d5e00"},
			{Name: "Date", Value: "Thu, 26 Nov 2026 10:00:00 GMT"}}, page))
	if len(evs) != 2 || evs[1].Err == nil {
		t.Fatalf("events = %+v", evs)
	}
	pe := evs[1].Err
	if catalog.PrimaryCode(pe) != "AADSTS50011" || pe.Correlation != "5b7c06c8-f9d2-46be-9fd0-c1aa18c278a9" ||
		pe.TraceID != "4f0d9d1c-2a6b-4c39-8f4e-1a2b3c4d5e00" || pe.Timestamp != "2026-11-26 10:00:00Z" {
		t.Errorf("error = %+v", *pe)
	}
	if got := EchoedRedirectURI(pe); got != "https://app.example/cb/" {
		t.Errorf("EchoedRedirectURI = %q", got)
	}
}

// TestProviderStrings classifies other providers' token errors.
func TestProviderStrings(t *testing.T) {
	tests := []struct {
		family, body string
		class        catalog.ErrorClass
		codes        []string
	}{
		{"adfs", `{"error":"invalid_grant","error_description":"MSIS9612: The authorization code received in the 'code' parameter is invalid. "}`, catalog.ClassCodeInvalid, []string{"MSIS9612"}},
		{"entra", `{"error":"invalid_grant","error_description":"AADB2C90080: The provided grant has expired. Please re-authenticate and try again.\r\nCorrelation ID: 2a3b\r\nTimestamp: 2026-11-26 10:00:00Z\r\n"}`, catalog.ClassRefreshExpired, []string{"AADB2C90080"}},
		{"google", `{"error":"invalid_grant","error_description":"Code was already redeemed."}`, catalog.ClassCodeReused, nil},
		{"google", `{"error":"invalid_grant","error_description":"Malformed auth code."}`, catalog.ClassCodeMalformed, nil},
		{"google", `{"error":"redirect_uri_mismatch","error_description":"Bad Request"}`, catalog.ClassRedirectURI, nil},
		{"keycloak", `{"error":"invalid_grant","error_description":"Code not valid"}`, catalog.ClassCodeInvalid, nil},
		{"keycloak", `{"error":"invalid_grant","error_description":"Incorrect redirect_uri"}`, catalog.ClassRedirectURI, nil},
		{"keycloak", `{"error":"invalid_grant","error_description":"PKCE verification failed: Invalid code verifier"}`, catalog.ClassPKCE, nil},
		{"okta", `{"error":"invalid_grant","error_description":"The authorization code is invalid or has expired."}`, catalog.ClassCodeInvalid, nil},
		{"auth0", `{"error":"invalid_grant","error_description":"Invalid authorization code"}`, catalog.ClassCodeInvalid, nil},
		{"generic", `{"error":"invalid_grant"}`, catalog.ClassGenericGrant, nil},
		// ory/fosite v0.49.0: one generic description plus a specific hint.
		{"generic", `{"error":"invalid_grant","error_description":"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client. The authorization code has already been used."}`, catalog.ClassCodeReused, nil},
		{"generic", `{"error":"invalid_grant","error_description":"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client. The 'redirect_uri' from this request does not match the one from the authorize request."}`, catalog.ClassRedirectURI, nil},
		{"generic", `{"error":"invalid_grant","error_description":"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client. The PKCE code challenge did not match the code verifier."}`, catalog.ClassPKCE, nil},
		{"generic", `{"error":"invalid_token","error_description":"Token expired. Authorize code expired at '2026-11-26 10:01:00 +0000 UTC'."}`, catalog.ClassCodeExpired, nil},
		{"generic", `{"error":"invalid_token","error_description":"Token expired. The refresh token expired."}`, catalog.ClassRefreshExpired, nil},
		{"generic", `{"error":"invalid_grant","error_description":"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client. The refresh token was already used."}`, catalog.ClassRefreshExpired, nil},
		// zitadel/oidc v3.52.0.
		{"generic", `{"error":"invalid_grant","error_description":"invalid code"}`, catalog.ClassCodeInvalid, nil},
		{"generic", `{"error":"invalid_grant","error_description":"redirect_uri does not correspond"}`, catalog.ClassRedirectURI, nil},
		{"generic", `{"error":"invalid_grant","error_description":"invalid code challenge"}`, catalog.ClassPKCE, nil},
		{"generic", `{"error":"invalid_grant","error_description":"invalid code_verifier"}`, catalog.ClassPKCE, nil},
		{"generic", `{"error":"invalid_client","error_description":"Client authentication failed"}`, catalog.ClassClientAuth, nil},
	}
	for _, tt := range tests {
		ex := mkExchange(0, "POST", "https://idp.example/token", nil, "grant_type=authorization_code&code=x", 400,
			model.Headers{{Name: "Content-Type", Value: "application/json"}}, tt.body)
		evs := NewExtractor().Exchange(ex)
		if len(evs) != 2 || evs[1].Err == nil {
			t.Fatalf("%s: events = %+v", tt.body, evs)
		}
		info, _ := catalog.Classify(evs[1].Err, model.Family(tt.family))
		if info.Class != tt.class || !equalStrings(evs[1].Err.Codes, tt.codes) {
			t.Errorf("%s: class %q codes %v, want %q %v", tt.body, info.Class, evs[1].Err.Codes, tt.class, tt.codes)
		}
	}
}

// TestAuthorizeBodyErrors: fosite answers a bad authorize request with a JSON
// error, zitadel with plain text; neither redirects.
func TestAuthorizeBodyErrors(t *testing.T) {
	authz := "https://id.example/oauth2/auth?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb%2F&state=s"
	tests := []struct{ name, ct, body string }{
		{"fosite-json", "application/json;charset=UTF-8", `{"error":"invalid_request","error_description":"The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed. The 'redirect_uri' parameter does not match any of the OAuth 2.0 Client's pre-registered redirect urls."}`},
		{"zitadel-text", "text/plain; charset=utf-8", "The requested redirect_uri is missing in the client configuration. If you have any questions, you may contact the administrator of the application.\n"},
	}
	for _, tt := range tests {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authz, nil, "", 400, model.Headers{{Name: "Content-Type", Value: tt.ct}}, tt.body))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError {
			t.Fatalf("%s: events = %+v", tt.name, evs)
		}
		if info, _ := catalog.Classify(evs[1].Err, ""); info.Class != catalog.ClassRedirectURI {
			t.Errorf("%s: class %q", tt.name, info.Class)
		}
	}
	// An unrelated text error page is not an OAuth error.
	evs := NewExtractor().Exchange(mkExchange(0, "GET", authz, nil, "", 404, model.Headers{{Name: "Content-Type", Value: "text/plain"}}, "404 page not found\n"))
	if len(evs) != 1 {
		t.Errorf("404 text: events = %+v", evs)
	}
}

// TestPreflightIgnored: a CORS preflight to a known token endpoint is not a
// token request.
func TestPreflightIgnored(t *testing.T) {
	x := NewExtractor()
	x.Exchange(mkExchange(0, "GET", "https://id.example/.well-known/openid-configuration", nil, "", 200, model.Headers{{Name: "Content-Type", Value: "application/json"}},
		`{"issuer":"https://id.example","authorization_endpoint":"https://id.example/auth","token_endpoint":"https://id.example/oauth/token"}`))
	if evs := x.Exchange(mkExchange(1, "OPTIONS", "https://id.example/oauth/token", model.Headers{{Name: "Origin", Value: "https://app"}}, "", 204, nil, "")); len(evs) != 0 {
		t.Errorf("preflight events = %+v", evs)
	}
	if evs := x.Exchange(mkExchange(2, "POST", "https://id.example/oauth/token", model.Headers{{Name: "Origin", Value: "https://app"}}, "grant_type=refresh_token&refresh_token=r", 200,
		model.Headers{{Name: "Content-Type", Value: "application/json"}}, `{"access_token":"a"}`)); len(evs) != 2 {
		t.Errorf("token events = %+v", evs)
	}
}

// TestGitHubStyleExchange: no grant_type, form-encoded answer.
func TestGitHubStyleExchange(t *testing.T) {
	x := NewExtractor()
	evs := x.Exchange(mkExchange(0, "POST", "https://github.com/login/oauth/access_token", nil,
		"client_id=Iv1.abc&client_secret=s3cr3t&code=gh-code-1&redirect_uri=https%3A%2F%2Fapp%2Fcb", 200,
		model.Headers{{Name: "Content-Type", Value: "application/x-www-form-urlencoded; charset=utf-8"}}, "access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo&token_type=bearer"))
	if got := kinds(evs); !equalStrings(got, []string{"token-request", "token-response"}) {
		t.Fatalf("kinds = %v", got)
	}
	if !evs[0].Code.Equal(secret.New("gh-code-1")) || evs[0].ClientAuth() != "secret" || evs[1].AccessToken().IsZero() || evs[1].Err != nil {
		t.Errorf("events = %+v", evs)
	}
	evs = x.Exchange(mkExchange(1, "POST", "https://github.com/login/oauth/access_token", nil,
		"client_id=Iv1.abc&client_secret=s3cr3t&code=gh-code-1", 200,
		model.Headers{{Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}, "error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired."))
	if len(evs) != 2 || evs[1].Err == nil || evs[1].Err.Error != "bad_verification_code" || evs[0].Provider().Family != "github" {
		t.Fatalf("error events = %+v", evs)
	}
	if info, _ := catalog.Classify(evs[1].Err, "github"); info.Class != catalog.ClassCodeInvalid {
		t.Errorf("class = %q", info.Class)
	}
}

func TestLibraryOf(t *testing.T) {
	x := NewExtractor()
	evs := x.Exchange(mkExchange(0, "GET", "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fsignin-oidc&state=CfDJ8x&x-client-SKU=ID_NET8_0&x-client-ver=7.1.2.0&x-client-brkrver=IDWeb.2.13.0",
		nil, "", 302, model.Headers{{Name: "Location", Value: "https://login.microsoftonline.com/common/login"}}, ""))
	if evs[0].Library() != "Microsoft.Identity.Web 2.13.0" {
		t.Errorf("authorize library = %q", evs[0].Library())
	}
	evs = x.Exchange(mkExchange(1, "POST", "https://login.microsoftonline.com/common/oauth2/v2.0/token",
		model.Headers{{Name: "x-client-SKU", Value: "msal.js.browser"}, {Name: "x-client-VER", Value: "3.7.1"}, {Name: "Origin", Value: "https://spa"}},
		"grant_type=authorization_code&code=c1&client_id=c", 200, model.Headers{{Name: "Content-Type", Value: "application/json"}}, `{"access_token":"a"}`))
	if evs[0].Library() != "MSAL.js (msal-browser) 3.7.1" {
		t.Errorf("token library = %q", evs[0].Library())
	}
	evs = x.Exchange(mkExchange(2, "GET", "https://app/signin-oidc?code=c2&state=CfDJ8x",
		model.Headers{{Name: "Cookie", Value: ".AspNetCore.Correlation.abc=N; other=1"}}, "", 302, nil, ""))
	if len(evs) != 1 || evs[0].Library() != "ASP.NET Core OpenID Connect handler" {
		t.Errorf("callback = %+v", evs)
	}
}

func TestURLTokens(t *testing.T) {
	got := secret.URLTokens("https://host.example/wopi/files/1?access_token=abc%2Bdef;access_token_ttl=0&ID_TOKEN=x.y.z#refresh_token=rt1&access_token=[REDACTED]")
	if len(got) != 3 {
		t.Fatalf("tokens %+v, want 3", got)
	}
	if got[0].Param != "access_token" || got[0].In != "query" || got[0].Value.Reveal() != "abc+def" {
		t.Errorf("first %+v", got[0])
	}
	if got[1].Param != "id_token" || got[2].Param != "refresh_token" || got[2].In != "fragment" {
		t.Errorf("others %+v %+v", got[1], got[2])
	}
	nested := secret.URLTokens("https://word-edit.officeapps.live.com/we/wordeditorframe.aspx?ui=en-US&qs=WOPIsrc%3Dhttps%253A%252F%252Fhost.example%252Fwopi%252Ffiles%252F1%26access_token%3Dtok999%26access_token_ttl%3D0")
	if len(nested) != 1 || nested[0].Param != "access_token" || nested[0].Value.Reveal() != "tok999" {
		t.Errorf("nested tokens %+v", nested)
	}
	if got := secret.URLTokens("https://host.example/cb?access_token_ttl=5&code=abc"); len(got) != 0 {
		t.Errorf("tokens in a URL without any: %+v", got)
	}
}

func TestGoogleSignInUIStepIsNotAuthorize(t *testing.T) {
	// Google's consent page posts the authorize parameters to its own
	// backend; the sign-in's authorize request is the /o/oauth2 one.
	ex := &model.Exchange{Index: 3, Ref: "entries[3]", Request: model.Request{Method: "POST",
		URL: "https://accounts.google.com/_/signin/oauth?authuser=0&hl=en&_reqid=123&rt=j&client_id=1.apps.googleusercontent.com&response_type=code&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&scope=openid&state=s1"},
		Response: &model.Response{Status: 200}}
	for _, ev := range ExtractAll([]*model.Exchange{ex}) {
		if ev.Kind == model.AuthorizeRequest {
			t.Errorf("%s read as an authorize request", ex.Request.URL)
		}
	}
}

func TestAPICall(t *testing.T) {
	ex := &model.Exchange{Index: 0, Ref: "entries[0]", Request: model.Request{Method: "GET", URL: "https://app.example/api/me",
		Headers: model.Headers{{Name: "Authorization", Value: "Bearer tok123456"}}}, Response: &model.Response{Status: 401}}
	evs := ExtractAll([]*model.Exchange{ex})
	if len(evs) != 1 || evs[0].Kind != model.APICall || evs[0].Status != 401 || !evs[0].AccessToken().Equal(secret.New("tok123456")) {
		t.Errorf("events %+v", evs)
	}
}

func TestCookiesModel(t *testing.T) {
	resp := &model.Response{Headers: model.Headers{
		{Name: "Set-Cookie", Value: "tx=abc; Path=/; SameSite=Lax; Secure; HttpOnly"},
		{Name: "Set-Cookie", Value: "rp_tx_sha256:0123=[redacted]; SameSite=None"},
		{Name: "Set-Cookie", Value: "old=; Max-Age=0"},
	}}
	cs := resp.SetCookies()
	if len(cs) != 3 || cs[0].Name != "tx" || cs[0].SameSite != http.SameSiteLaxMode || !cs[0].Secure ||
		cs[1].Name != "rp_tx_sha256:0123" || cs[1].SameSite != http.SameSiteNoneMode || !model.Expired(cs[2], time.Time{}) || model.Expired(cs[0], time.Time{}) {
		t.Errorf("set cookies %+v", cs)
	}
	req := model.Request{Headers: model.Headers{{Name: "Cookie", Value: "a=1; rp_tx_sha256:0123=[redacted]"}}}
	if got := req.Cookies(); len(got) != 2 || got[1].Name != "rp_tx_sha256:0123" {
		t.Errorf("cookies %+v", got)
	}
	ex := &model.Exchange{Request: model.Request{URL: "https://app.example/login/start"}, Response: &model.Response{Status: 302, Headers: model.Headers{{Name: "Location", Value: "../cb?x=1"}}}}
	if loc := ex.Location(); loc == nil || loc.String() != "https://app.example/cb?x=1" {
		t.Errorf("location %v", loc)
	}
}

// TestDeviceCodePollIsNotAnAuthorizationCode: ADAL's v1 device flow polls
// with grant_type=device_code and the device code in "code" (as in
// AzureAD/azure-activedirectory-library-for-nodejs#137, whose pending
// answer this is); the event carries no authorization code.
func TestDeviceCodePollIsNotAnAuthorizationCode(t *testing.T) {
	body := `{"error":"authorization_pending","error_description":"AADSTS70016: Pending end-user authorization.\r\nTrace ID: cd417f24-8d41-4d02-89bf-f8fc974e887f\r\nCorrelation ID: 02c9684c-b36c-423a-a78d-68ff007b0dbd\r\nTimestamp: 2016-10-19 16:29:47Z","error_codes":[70016],"timestamp":"2016-10-19 16:29:47Z","trace_id":"cd417f24-8d41-4d02-89bf-f8fc974e887f","correlation_id":"02c9684c-b36c-423a-a78d-68ff007b0dbd"}`
	ex := mkExchange(0, "POST", "https://login.microsoftonline.com/common/oauth2/token?api-version=1.0", nil,
		"grant_type=device_code&client_id=04b07795-8ddb-461a-bbee-02f9e1bf7b46&resource=https%3A%2F%2Fmanagement.core.windows.net%2F&code=CAQABAAEAAABnfiG-mA6NTae7CdWW7QfdAALzDWjw6qSn4ABEPfbE8RUMTJguCHaoeK1t8URWbuGJSstw",
		400, model.Headers{{Name: "Content-Type", Value: "application/json; charset=utf-8"}}, body)
	evs := NewExtractor().Exchange(ex)
	if got, want := kinds(evs), []string{"token-request", "token-response"}; !equalStrings(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	if evs[0].GrantType() != "device_code" || !evs[0].Code.IsZero() {
		t.Errorf("grant %q code %s: the device code read as an authorization code", evs[0].GrantType(), evs[0].Code)
	}
	if evs[1].Err == nil || evs[1].Err.Error != "authorization_pending" {
		t.Errorf("answer = %+v", evs[1].Err)
	}
}

// TestWebMessageAnswer: Auth0's response_mode=web_message answers the
// authorize request with a page whose script posts {"code","state"} to the
// app; that page is the only place the code appears. The body is Auth0's
// real answer to a silent (prompt=none) request, as quoted in a public
// write-up of Auth0 silent renewal (2019).
func TestWebMessageAnswer(t *testing.T) {
	body := `<!DOCTYPE html><html><head><title>Authorization Response</title></head><body><script type="text/javascript">(function(window, document) {var targetOrigin = "http://localhost:3000";var webMessageRequest = {};var authorizationResponse = {type: "authorization_response",response: {"code":"a_Yja9QKgxtwCnA2","state":"QIA33u4JKTwCmXjPcZXoHyJD5h5szwFs"}};var mainWin = (window.opener) ? window.opener : window.parent;if (webMessageRequest["web_message_uri"] && webMessageRequest["web_message_target"]) {window.addEventListener("message", function(evt) {if (evt.origin != targetOrigin)return;switch (evt.data.type) {case "relay_response":var messageTargetWindow = evt.source.frames[webMessageRequest["web_message_target"]];if (messageTargetWindow) {messageTargetWindow.postMessage(authorizationResponse, webMessageRequest["web_message_uri"]);window.close();}break;}});mainWin.postMessage({type: "relay_request"}, targetOrigin);} else {mainWin.postMessage(authorizationResponse, targetOrigin);}})(this, this.document);</script></body></html>`
	u := "https://example.auth0.com/authorize?client_id=cid&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A3000&scope=openid&response_mode=web_message&prompt=none&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=QIA33u4JKTwCmXjPcZXoHyJD5h5szwFs"
	ex := mkExchange(0, "GET", u, nil, "", 200, model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}, body)
	evs := NewExtractor().Exchange(ex)
	if got, want := kinds(evs), []string{"authorize", "code-issued"}; !equalStrings(got, want) {
		t.Fatalf("kinds = %v, want %v", got, want)
	}
	ci := evs[1]
	if !ci.Code.Equal(secret.New("a_Yja9QKgxtwCnA2")) || !ci.State.Equal(secret.New("QIA33u4JKTwCmXjPcZXoHyJD5h5szwFs")) || ci.Delivery() != "post_message" {
		t.Errorf("code %s state %s delivery %q", ci.Code, ci.State, ci.Delivery())
	}
	if got := jsUnescape(`https\x3A\x2F\x2Fapp\u002Eexample\/cb`); got != "https://app.example/cb" {
		t.Errorf("jsUnescape = %q", got)
	}
}

// TestAuthorizeErrorPageText: an authorize endpoint's 4xx page from a
// server whose layout htmlErrorPage does not know is read by its visible
// text, so a message the catalog explains makes an error of its class
// (Dex's page); a 4xx page saying nothing the catalog knows (a proxy's
// 403, a script that merely names redirect_uri) is a refusal of no class,
// in the page's visible words (http_403), never a redirect URI error.
func TestAuthorizeErrorPageText(t *testing.T) {
	authz := "https://dex.example/dex/auth?client_id=c&response_type=code&redirect_uri=https%3A%2F%2Fapp%2Fcb&state=s"
	html := model.Headers{{Name: "Content-Type", Value: "text/html; charset=utf-8"}}
	evs := NewExtractor().Exchange(mkExchange(0, "GET", authz, nil, "", 400, html,
		`<html><head><title>dex</title></head><body><div class="theme-panel"><h2 class="theme-heading">Bad Request</h2><p>Unregistered redirect_uri (&#34;https://app/cb&#34;).</p></div></body></html>`))
	if len(evs) != 2 || evs[1].Kind != model.AuthorizeError {
		t.Fatalf("dex page: events = %+v", evs)
	}
	if info, _ := catalog.Classify(evs[1].Err, ""); info.Class != catalog.ClassRedirectURI || evs[1].Err.Description != `Bad Request Unregistered redirect_uri ("https://app/cb").` {
		t.Errorf("dex page: class %q, error %+v", info.Class, *evs[1].Err)
	}
	for page, words := range map[string]string{
		`<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>`: "403 Forbidden nginx",
		`<html><body><p>Something went wrong.</p><script>var e = "the redirect uri was rejected";</script></body></html>`:                      "Something went wrong.",
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", authz, nil, "", 403, html, page))
		if len(evs) != 2 || evs[1].Kind != model.AuthorizeError || evs[1].Err.Error != "http_403" || evs[1].Err.Description != words {
			t.Errorf("%q: events = %+v", page, evs)
			continue
		}
		if info, ok := catalog.Classify(evs[1].Err, ""); ok {
			t.Errorf("%q: classified %q", page, info.Class)
		}
	}
}

// TestAuthorizeParamsByReference: a signed request object (RFC 9101)
// carries the authorize parameters the URL lacks, and they are read from
// it; with a pushed request (request_uri, RFC 9126) or an encrypted object
// the parameters are unknown, which the event says.
func TestAuthorizeParamsByReference(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	jws := b64(`{"alg":"RS256"}`) + "." + b64(`{"client_id":"c","redirect_uri":"https://app/cb","state":"st-123456","nonce":"n-123456","code_challenge":"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM","code_challenge_method":"S256","max_age":0}`) + ".c2ln"
	base := "https://idp.example/authorize?client_id=c&response_type=code&scope=openid&"
	for _, tt := range []struct {
		name, query string
		byRef       bool
		state       string
	}{
		{"signed request object", "request=" + jws, false, "st-123456"},
		{"pushed request", "request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc", true, ""},
		{"encrypted request object", "request=eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d", true, ""},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", base+tt.query, nil, "", 200, model.Headers{{Name: "Content-Type", Value: "text/html"}}, "<html>login</html>"))
		if len(evs) != 1 || evs[0].Kind != model.AuthorizeRequest {
			t.Fatalf("%s: events = %+v", tt.name, evs)
		}
		ev := evs[0]
		if ev.ParamsByReference() != tt.byRef || ev.State.Reveal() != tt.state {
			t.Errorf("%s: by reference %v, state %q", tt.name, ev.ParamsByReference(), ev.State.Reveal())
		}
		if !tt.byRef && (ev.RedirectURI() != "https://app/cb" || ev.Nonce().Reveal() != "n-123456" || ev.CodeChallengeMethod() != "S256" || ev.CodeChallenge().IsZero()) {
			t.Errorf("%s: request object not read: %+v %+v", tt.name, ev, *ev.Authz)
		}
	}
}

// TestProviderByResponseHeader: Auth0 and Amazon Cognito on a customer's
// domain (login.example.com/authorize, auth.example.com/oauth2/authorize)
// have the paths of any RFC 6749 server; their own request id header says
// who answered, for the authorize request and for the token request on the
// same host after it. A proxy's X-Request-Id says nothing.
func TestProviderByResponseHeader(t *testing.T) {
	for _, c := range []struct {
		header, host, authz, token string
		want                       model.Family
	}{
		{"X-Auth0-RequestId", "login.example.com", "/authorize", "/oauth/token", model.FamilyAuth0},
		{"x-amz-cognito-request-id", "auth.example.com", "/oauth2/authorize", "/oauth2/token", model.FamilyCognito},
		{"X-Request-Id", "idp.example.com", "/authorize", "/oauth/token", model.FamilyGeneric},
	} {
		x := NewExtractor()
		hs := model.Headers{{Name: "Content-Type", Value: "text/html"}, {Name: c.header, Value: "c629c3e05e0881e81315"}}
		az := x.Exchange(mkExchange(0, "GET", "https://"+c.host+c.authz+"?client_id=C&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&state=S", nil, "", 200, hs, "<html>sign in</html>"))
		tok := x.Exchange(mkExchange(1, "POST", "https://"+c.host+c.token, nil, "grant_type=authorization_code&code=abc&client_id=C&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb", 400,
			model.Headers{{Name: "Content-Type", Value: "application/json"}}, `{"error":"invalid_grant"}`))
		if len(az) == 0 || len(tok) == 0 {
			t.Fatalf("%s: events %+v %+v", c.header, az, tok)
		}
		if got := az[0].Provider(); got.Family != c.want || c.want != model.FamilyGeneric && got.Tenant != c.host {
			t.Errorf("%s: authorize provider %+v, want %s", c.header, got, c.want)
		}
		if got := tok[0].Provider(); got.Family != c.want {
			t.Errorf("%s: token provider %+v, want %s", c.header, got, c.want)
		}
	}
}

// TestChallengeError: an API (or userinfo) refusal says why in its
// WWW-Authenticate challenge (RFC 6750 §3's example: Bearer
// realm="example", error="invalid_token", error_description="The access
// token expired"); a token endpoint's body-less refusal may too.
func TestChallengeError(t *testing.T) {
	for h, want := range map[string][2]string{
		`Bearer realm="example", error="invalid_token", error_description="The access token expired"`: {"invalid_token", "The access token expired"},
		`Bearer error=insufficient_scope, scope="read"`:                                               {"insufficient_scope", ""},
		`Bearer realm="example"`:                             {"", ""},
		`Basic realm="x", error_description="no error name"`: {"", ""},
		`Bearer myerror="x", error="invalid_token"`:          {"invalid_token", ""},
	} {
		x := NewExtractor()
		evs := x.Exchange(mkExchange(0, "GET", "https://api.example.com/me", model.Headers{{Name: "Authorization", Value: "Bearer abc.def.ghi"}}, "", 401,
			model.Headers{{Name: "WWW-Authenticate", Value: h}}, ""))
		if len(evs) != 1 || evs[0].Kind != model.APICall {
			t.Fatalf("%s: events %+v", h, evs)
		}
		var got [2]string
		if evs[0].Err != nil {
			got = [2]string{evs[0].Err.Error, evs[0].Err.Description}
		}
		if got != want {
			t.Errorf("%s: read %q, want %q", h, got, want)
		}
	}
	// A token endpoint's 400 with an empty body and the error in its
	// challenge.
	evs := NewExtractor().Exchange(mkExchange(0, "POST", "https://idp.example.net/connect/token", nil,
		"grant_type=authorization_code&code=abc&client_id=C", 400,
		model.Headers{{Name: "WWW-Authenticate", Value: `Bearer error="invalid_request", error_description="The code_verifier is missing"`}}, ""))
	if len(evs) != 2 || evs[1].Err == nil || evs[1].Err.Error != "invalid_request" || evs[1].Err.Description != "The code_verifier is missing" {
		t.Errorf("token endpoint challenge: %+v", evs)
	}
}

// TestAuthorizeFrameAndCookies: an authorize request keeps where its answer
// loads (Sec-Fetch-Dest: a silent renewal's hidden iframe, a top-level
// document), whether it sent cookies (their names, never values) and
// whether its answer set some: what shows a browser kept the provider's
// session cookies out of a third-party frame.
func TestAuthorizeFrameAndCookies(t *testing.T) {
	u := "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=c&response_type=code&scope=openid&prompt=none&redirect_uri=https%3A%2F%2Fapp%2F"
	loc := model.Headers{{Name: "Location", Value: "https://app/#error=login_required&state=s"}}
	for _, tt := range []struct {
		name      string
		req       model.Headers
		resp      model.Headers
		dest      model.FetchDest
		sent, set bool
	}{
		{"iframe without cookies", model.Headers{{Name: "Sec-Fetch-Dest", Value: "iframe"}}, loc, model.DestFrame, false, false},
		{"top-level with cookies", model.Headers{{Name: "Sec-Fetch-Dest", Value: "document"}, {Name: "Cookie", Value: "ESTSAUTH=v1; buid=v2"}},
			append(model.Headers{{Name: "Set-Cookie", Value: "fpc=v3; path=/"}}, loc...), model.DestDocument, true, true},
		{"no header", nil, loc, model.DestUnknown, false, false},
		{"empty cookie header", model.Headers{{Name: "Sec-Fetch-Dest", Value: "Frame"}, {Name: "Cookie", Value: ""}}, loc, model.DestFrame, false, false},
	} {
		evs := NewExtractor().Exchange(mkExchange(0, "GET", u, tt.req, "", 302, tt.resp, ""))
		if len(evs) == 0 || evs[0].Kind != model.AuthorizeRequest {
			t.Fatalf("%s: events = %+v", tt.name, evs)
		}
		ev := evs[0]
		if ev.Dest() != tt.dest || ev.SentCookies() != tt.sent || ev.AnswerSetCookie() != tt.set {
			t.Errorf("%s: dest %d, sent cookies %v, answer set cookies %v; want %d, %v, %v", tt.name, ev.Dest(), ev.SentCookies(), ev.AnswerSetCookie(), tt.dest, tt.sent, tt.set)
		}
	}
}
