package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/traceaudit/traceaudit/internal/leakcorpus"
)

// The tenth round's canaries: shapes real customer traces have that the
// first two rounds' placements did not: Entra's sign-in page $Config with
// its URLs escaped as JSON writes them (\u0026), WS-Federation and SAML
// form_post pages whose hidden inputs hold escaped XML, headers that carry
// a credential under a name of no credential word (X-Authorization, a
// gateway's remapped Authorization, Azure Functions' and Cloudflare's
// keys, App Service's X-ZUMO-AUTH, a forward-auth proxy's original URI,
// Refresh and Link), HTTP/2 pseudo-headers in a HAR, a HAR's redirectURL
// and nested initiator stacks, token answers as XML and JSONP, names
// escaped in JSON, a query split by ';' or by '&amp;', and what the wire
// adds: chunked trailers, folded header lines, HTTP/2 trailers and
// CONTINUATION frames, Fiddler's X-AutoAuth flag.

// huntShapeExchanges are the exchanges of the tenth round's placements
// that every format carries.
func (h *hunt) huntShapeExchanges() []leakcorpus.Exchange {
	b64 := base64.StdEncoding.EncodeToString
	q := url.QueryEscape
	js := [][2]string{{"Content-Type", "application/json"}}
	html := [][2]string{{"Content-Type", "text/html; charset=utf-8"}}
	host := func(n string) [2]string { return [2]string{"Host", n} }
	xmlEsc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace

	ctx := h.canary("Entra $Config urlResetPassword ctx, JSON-escaped URL") + huntRandom("cx10", 20)
	echoed := h.canary("refreshToken in a JSON request, echoed in the error")
	return []leakcorpus.Exchange{
		// Entra's sign-in page: $Config with URLs whose '&' JSON writes
		// as \u0026, and hidden inputs of the flow.
		{
			Method: "GET", URL: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=" + huntClientID + "&response_type=code&redirect_uri=" + q(huntRedirect),
			ReqHeaders: [][2]string{host("login.microsoftonline.com")},
			Status:     200, RespMIME: "text/html", RespHeaders: html,
			RespBody: `<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body><script type="text/javascript">//<![CDATA[` + "\n" +
				`$Config={"fShowPersistentCookiesWarning":false,"urlMsaSignUp":"https://login.live.com/oauth20_authorize.srf?lw=1\u0026fl=dob\u0026uaid=1","sFTName":"flowToken",` +
				`"sFT":"` + h.canary("Entra $Config sFT, JSON-escaped page") + `","sCtx":"` + ctx + `",` +
				`"urlResetPassword":"https://passwordreset.microsoftonline.com/?ru=https%3a%2f%2flogin.microsoftonline.com%2fcommon%2freprocess%3fctx%3d` + ctx +
				`%26sessionid%3d` + huntCorrelation + `\u0026mkt=en-US\u0026hosted=0","urlResume":"https://login.microsoftonline.com/common/resume?ctx=` +
				h.canary("Entra $Config urlResume ctx after a \\u0026") + `\u0026sessionid=1\u0026flowtoken=` + h.canary("Entra $Config flowtoken after a \\u0026") + `",` +
				`"canary":"` + h.canary("Entra $Config canary, page") + `","sCanaryTokenName":"canary","apiCanary":"` + h.canary("Entra $Config apiCanary, page") + `",` +
				`"sUnauthSessionID":"` + h.canary("Entra $Config sUnauthSessionID") + `","correlationId":"` + huntCorrelation + `","sessionId":"` + huntTraceID + `",` +
				`"oPostParams":{"flowToken":"` + h.canary("Entra $Config oPostParams flowToken") + `","ctx":"` + h.canary("Entra $Config oPostParams ctx") + `"},` +
				`"sErrorCode":"50058"};` + "\n//]]></script>" +
				`<form name="f1" method="post" action="/common/login"><input type="hidden" name="flowToken" value="` + h.canary("Entra hidden input flowToken") + `"/>` +
				`<input type="hidden" name="ctx" value="` + h.canary("Entra hidden input ctx") + `"/><input type="hidden" name="hpgrequestid" value="` + huntTraceID + `"/>` +
				`<input type="hidden" name="canary" value="` + h.canary("Entra hidden input canary") + `"/></form></body></html>`,
		},
		// AD FS's WS-Federation form_post page: wresult is escaped XML
		// in a hidden input, wctx an escaped query.
		{
			Method: "GET", URL: "https://adfs.example/adfs/ls/?wa=wsignin1.0&wtrealm=" + q("urn:federation:MicrosoftOnline"),
			ReqHeaders: [][2]string{host("adfs.example")},
			Status:     200, RespMIME: "text/html", RespHeaders: html,
			RespBody: `<html><head><title>Working...</title></head><body><form method="POST" name="hiddenform" action="https://login.microsoftonline.com:443/login.srf">` +
				`<input type="hidden" name="wa" value="wsignin1.0" /><input type="hidden" name="wresult" value="` +
				xmlEsc(`<t:RequestSecurityTokenResponse xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"><t:Lifetime><wsu:Created>2026-03-04T05:06:07Z</wsu:Created></t:Lifetime>`+
					`<t:RequestedSecurityToken><saml:Assertion MajorVersion="1" AssertionID="_`+h.canary("form_post wresult AssertionID")+`"><saml:AttributeStatement>`+
					`<saml:Attribute AttributeName="ImmutableID"><saml:AttributeValue>`+h.canary("form_post wresult attribute")+`</saml:AttributeValue></saml:Attribute>`+
					`</saml:AttributeStatement><ds:Signature><ds:SignatureValue>`+h.canary("form_post wresult SignatureValue")+`</ds:SignatureValue></ds:Signature>`+
					`</saml:Assertion></t:RequestedSecurityToken></t:RequestSecurityTokenResponse>`) + `" />` +
				`<input type="hidden" name="wctx" value="` + xmlEsc("LoginOptions=3&estsredirect=2&estsrequest="+h.canary("form_post wctx estsrequest")) + `" />` +
				`<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit" value="Submit" /></noscript></form></body></html>`,
		},
		// A SAML POST binding page: SAMLResponse and RelayState hidden
		// inputs, the response base64 of XML.
		{
			Method: "GET", URL: "https://idp.example/saml/sso?SAMLRequest=x",
			ReqHeaders: [][2]string{host("idp.example")},
			Status:     200, RespMIME: "text/html", RespHeaders: html,
			RespBody: `<html><body onload="document.forms[0].submit()"><form method="post" action="https://sp.example/saml/acs">` +
				`<input type="hidden" name="SAMLResponse" value="` + b64([]byte(`<samlp:Response><saml:Assertion><saml:Subject><saml:NameID>`+
				h.canary("form_post SAMLResponse NameID")+`</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>`)) + `"/>` +
				`<input type="hidden" name="RelayState" value="` + h.canary("form_post RelayState hidden input") + `"/></form></body></html>`,
		},
		// Credentials under header names of no credential word.
		{
			Method: "GET", URL: "https://api.example/v1/gateway",
			ReqHeaders: [][2]string{host("api.example"),
				{"X-Authorization", "Bearer " + h.canary("X-Authorization header")},
				{"X-Forwarded-Authorization", "Bearer " + h.canary("X-Forwarded-Authorization header")},
				{"X-Amzn-Remapped-Authorization", "Bearer " + h.canary("X-Amzn-Remapped-Authorization header")},
				{"X-Auth-Key", h.canary("X-Auth-Key header (Cloudflare)")},
				{"x-functions-key", h.canary("x-functions-key header (Azure Functions)")},
				{"X-ZUMO-AUTH", h.canary("X-ZUMO-AUTH header (App Service)")},
				{"x-ms-DeviceCredential", h.jwt("x-ms-DeviceCredential header")},
				{"X-Forwarded-Uri", "/oauth2/callback?code=" + h.canary("X-Forwarded-Uri code") + "&state=" + h.canary("X-Forwarded-Uri state")},
				{"X-Original-URL", "https://app.example/signin-oidc?code=" + h.canary("X-Original-URL code")},
				{"X-Original-URI", "/signin-oidc?id_token=" + h.canary("X-Original-URI id_token")},
				{"Cookie", "x-ms-RefreshTokenCredential=" + h.jwt("x-ms-RefreshTokenCredential cookie") + "; AppServiceAuthSession=" + h.canary("AppServiceAuthSession cookie")},
				{"Authorization", h.canary("Authorization without a scheme")}},
			Status: 200, RespMIME: "text/html",
			RespHeaders: [][2]string{html[0],
				{"Refresh", "0; url=https://app.example/signin-oidc?code=" + h.canary("Refresh header code")},
				{"Link", `<https://app.example/next?access_token=` + h.canary("Link header access_token") + `>; rel="next"`},
				{"Set-Cookie", "KEYCLOAK_IDENTITY=" + h.jwt("KEYCLOAK_IDENTITY Set-Cookie") + "; Version=1; Path=/realms/r/; HttpOnly"},
				{"Set-Cookie", "KC_RESTART=" + h.jwt("KC_RESTART Set-Cookie") + "; Version=1; Expires=Thu, 01-Jan-1970 00:00:10 GMT; Max-Age=0; Path=/realms/r/"}},
			RespBody: `<html><body>ok</body></html>`,
		},
		// A Location whose '&' a server HTML-escaped, a query split by
		// ';', Firebase's auth= and signed storage URLs.
		{
			Method: "GET", URL: "https://app.example/signin?x=1;code=" + h.canary("code after a ';' separator") + "&auth=" + h.canary("Firebase auth query parameter"),
			ReqHeaders: [][2]string{host("app.example")},
			Status:     302, RespHeaders: [][2]string{{"Location", huntRedirect + "?state=s1&amp;code=" + h.canary("code after an HTML-escaped '&amp;' in a Location")}},
		},
		{
			Method: "GET", URL: "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=" + q("svc@p.iam.gserviceaccount.com/20260304/auto/storage/goog4_request") +
				"&X-Goog-Date=20260304T050607Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=" + h.canary("X-Goog-Signature query parameter"),
			ReqHeaders: [][2]string{host("storage.googleapis.com")}, Status: 200,
		},
		{
			Method: "GET", URL: "https://d111.cloudfront.net/v.mp4?Policy=eyJTdGF0ZW1lbnQiOltdfQ__&Key-Pair-Id=K2JCJMDEHXQW5F&Signature=" + h.canary("CloudFront Signature"),
			ReqHeaders: [][2]string{host("d111.cloudfront.net")}, Status: 200,
		},
		{
			Method: "PUT", URL: "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&srt=o&sp=rw&se=2026-03-04T06%3A06%3A07Z&spr=https&sig=" + q(h.canary("Azure SAS sig")+"+/x="),
			ReqHeaders: [][2]string{host("acct.blob.core.windows.net")}, Status: 201,
		},
		// Token answers as XML (Salesforce's format=xml), JSONP, a form
		// (GitHub), and JSON whose member names are escaped.
		{
			Method: "POST", URL: "https://sf.example/services/oauth2/token?format=xml", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("sf.example"), {"Content-Type", "application/x-www-form-urlencoded"}},
			ReqBody:    "grant_type=password&client_id=" + huntClientID + "&username=bob&pass=" + h.canary("form field pass"),
			Status:     200, RespMIME: "application/xml", RespHeaders: [][2]string{{"Content-Type", "application/xml;charset=UTF-8"}},
			RespBody: `<?xml version="1.0" encoding="UTF-8"?><OAuth><access_token>` + h.canary("XML token answer access_token") + `</access_token>` +
				`<refresh_token>` + h.canary("XML token answer refresh_token") + `</refresh_token><signature>` + h.canary("XML token answer signature") + `</signature>` +
				`<instance_url>https://sf.example</instance_url><token_type>Bearer</token_type></OAuth>`,
		},
		{
			Method: "GET", URL: "https://api.example/session.js?callback=cb",
			ReqHeaders: [][2]string{host("api.example")},
			Status:     200, RespMIME: "text/javascript", RespHeaders: [][2]string{{"Content-Type", "text/javascript"}},
			RespBody: `/**/ typeof cb === 'function' && cb({"access_token":"` + h.canary("JSONP access_token") + `","expires_in":3600});`,
		},
		{
			Method: "POST", URL: "https://github.example/login/oauth/access_token", ReqMIME: "application/x-www-form-urlencoded",
			ReqHeaders: [][2]string{host("github.example"), {"Content-Type", "application/x-www-form-urlencoded"}},
			ReqBody:    "client_id=" + huntClientID + "&client_secret=" + h.canary("GitHub client_secret") + "&code=" + h.canary("GitHub code"),
			Status:     200, RespMIME: "application/x-www-form-urlencoded", RespHeaders: [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
			RespBody: "access_token=" + h.canary("form token answer access_token") + "&scope=repo&token_type=bearer",
		},
		{
			Method: "GET", URL: "https://api.example/v1/escaped", ReqHeaders: [][2]string{host("api.example")},
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"access\u005ftoken":"` + h.canary("JSON name with an escaped '_'") + `","\u0072efresh_token":"` + h.canary("JSON name with an escaped letter") +
				`","headers":{"Cookie":"ESTSAUTH=` + h.canary("Cookie header echoed in JSON") + `; x=1"}}`,
		},
		{
			Method: "POST", URL: "https://api.example/graphql", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("api.example"), js[0]},
			ReqBody: `{"query":"mutation($input: LoginInput!){login(input:$input){token}}","variables":{"input":{"email":"bob@contoso.example","password":"` +
				h.canary("GraphQL variables input.password") + `"}}}`,
			Status: 200, RespMIME: "application/json", RespHeaders: js, RespBody: `{"data":{"login":null}}`,
		},
		{
			Method: "POST", URL: "https://api.example/upload", ReqMIME: "multipart/form-data; boundary=\"b 1\"",
			ReqHeaders: [][2]string{host("api.example"), {"Content-Type", "multipart/form-data; boundary=\"b 1\""}},
			ReqBody: "--b 1\r\nContent-Disposition: form-data; name=\"creds\"; filename=\"creds.json\"\r\nContent-Type: application/json\r\n\r\n" +
				`{"client_secret":"` + h.canary("multipart JSON file part client_secret") + `"}` +
				"\r\n--b 1\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n" + h.canary("multipart quoted boundary password") + "\r\n--b 1--\r\n",
			Status: 200,
		},
		// Azure portal calls (ARM) that answer with keys and connection
		// strings: a storage account's keys, a Cognitive Services
		// account's, a function app's host keys, app settings holding
		// connection strings, a Service Bus namespace's, a Cosmos DB
		// account's.
		{
			Method: "POST", URL: "https://management.azure.com/subscriptions/s1/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct/listKeys?api-version=2023-01-01",
			ReqHeaders: [][2]string{host("management.azure.com")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"keys":[{"creationTime":"2026-03-04T05:06:07Z","keyName":"key1","value":"` + h.canary("ARM storage listKeys value") + `","permissions":"FULL"}]}`,
		},
		{
			Method: "POST", URL: "https://management.azure.com/subscriptions/s1/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/a/listKeys?api-version=2023-05-01",
			ReqHeaders: [][2]string{host("management.azure.com")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"key1":"` + h.canary("ARM Cognitive Services key1") + `","key2":"` + h.canary("ARM Cognitive Services key2") + `"}`,
		},
		{
			Method: "POST", URL: "https://management.azure.com/subscriptions/s1/resourceGroups/g/providers/Microsoft.Web/sites/fa/host/default/listkeys?api-version=2022-03-01",
			ReqHeaders: [][2]string{host("management.azure.com")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"masterKey":"` + h.canary("ARM function app masterKey") + `","functionKeys":{"default":"` + h.canary("ARM function app functionKeys.default") + `"},"systemKeys":{}}`,
		},
		{
			Method: "POST", URL: "https://management.azure.com/subscriptions/s1/resourceGroups/g/providers/Microsoft.Web/sites/fa/config/appsettings/list?api-version=2022-03-01",
			ReqHeaders: [][2]string{host("management.azure.com")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"properties":{"AzureWebJobsStorage":"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=` + h.canary("app setting storage AccountKey") + `;EndpointSuffix=core.windows.net",` +
				`"SqlDb":"Server=tcp:db.database.windows.net,1433;Initial Catalog=d;User ID=bob;Password=` + h.canary("app setting SQL Password") + `;Encrypt=True;",` +
				`"Bus":"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=` + h.canary("app setting Service Bus SharedAccessKey") + `",` +
				`"Redis":"cache.redis.cache.windows.net:6380,password=` + h.canary("app setting Redis password") + `,ssl=True,abortConnect=False",` +
				`"Mongo":"mongodb://bob:` + h.canary("app setting mongodb userinfo password") + `@cosmos.mongo.cosmos.azure.com:10255/?ssl=true"}}`,
		},
		{
			Method: "POST", URL: "https://management.azure.com/subscriptions/s1/resourceGroups/g/providers/Microsoft.ServiceBus/namespaces/ns/authorizationRules/RootManageSharedAccessKey/listKeys?api-version=2021-11-01",
			ReqHeaders: [][2]string{host("management.azure.com")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"primaryConnectionString":"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=` + h.canary("ARM Service Bus primaryConnectionString") +
				`","primaryKey":"` + h.canary("ARM Service Bus primaryKey") + `","secondaryKey":"` + h.canary("ARM Service Bus secondaryKey") + `","keyName":"RootManageSharedAccessKey"}`,
		},
		{
			Method: "POST", URL: "https://management.azure.com/subscriptions/s1/resourceGroups/g/providers/Microsoft.DocumentDB/databaseAccounts/c/listKeys?api-version=2023-04-15",
			ReqHeaders: [][2]string{host("management.azure.com")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"primaryMasterKey":"` + h.canary("ARM Cosmos primaryMasterKey") + `","primaryReadonlyMasterKey":"` + h.canary("ARM Cosmos primaryReadonlyMasterKey") + `"}`,
		},
		// Secret stores answering with a secret under a name that says
		// nothing: Key Vault's {"value", "id": …/secrets/…} (the portal's
		// "Show Secret Value"), Google Secret Manager's payload.data, AWS
		// Secrets Manager's SecretString; a publish profile's userPWD
		// attribute; passwords under names ending in pass or Pwd; PEM
		// private keys in JSON and in text.
		{
			Method: "GET", URL: "https://kv1.vault.azure.net/secrets/dbpw/0a1b2c3d?api-version=7.4",
			ReqHeaders: [][2]string{host("kv1.vault.azure.net")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"value":"` + h.canary("Key Vault secret value") + `","contentType":"text/plain","id":"https://kv1.vault.azure.net/secrets/dbpw/0a1b2c3d",` +
				`"attributes":{"enabled":true,"created":1772600767,"updated":1772600767,"recoveryLevel":"Recoverable+Purgeable"},"tags":{}}`,
		},
		{
			Method: "GET", URL: "https://secretmanager.googleapis.com/v1/projects/p1/secrets/db/versions/latest:access",
			ReqHeaders: [][2]string{host("secretmanager.googleapis.com")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"name":"projects/123/secrets/db/versions/3","payload":{"data":"` + b64([]byte(h.canary("Google Secret Manager payload.data"))) + `","dataCrc32c":"2730491232"}}`,
		},
		{
			Method: "POST", URL: "https://secretsmanager.us-east-1.amazonaws.com/", ReqMIME: "application/x-amz-json-1.1",
			ReqHeaders: [][2]string{host("secretsmanager.us-east-1.amazonaws.com"), {"X-Amz-Target", "secretsmanager.GetSecretValue"}},
			ReqBody:    `{"SecretId":"prod/db"}`, Status: 200, RespMIME: "application/x-amz-json-1.1", RespHeaders: [][2]string{{"Content-Type", "application/x-amz-json-1.1"}},
			RespBody: `{"ARN":"arn:aws:secretsmanager:us-east-1:1:secret:prod/db-AbCdEf","Name":"prod/db","SecretString":"{\"username\":\"bob\",\"password\":\"` +
				h.canary("AWS SecretString password") + `\"}","VersionId":"` + huntTraceID + `"}`,
		},
		{
			Method: "POST", URL: "https://management.azure.com/subscriptions/s1/resourceGroups/g/providers/Microsoft.Web/sites/app/publishxml?api-version=2022-03-01",
			ReqHeaders: [][2]string{host("management.azure.com")}, Status: 200, RespMIME: "application/xml", RespHeaders: [][2]string{{"Content-Type", "application/xml"}},
			RespBody: `<publishData><publishProfile profileName="app - Web Deploy" publishMethod="MSDeploy" publishUrl="app.scm.azurewebsites.net:443" msdeploySite="app" ` +
				`userName="$app" userPWD="` + h.canary("publish profile userPWD") + `" destinationAppUrl="https://app.azurewebsites.net" webSystem="WebSites"></publishProfile></publishData>`,
		},
		{
			Method: "GET", URL: "https://api.example/v1/settings", ReqHeaders: [][2]string{host("api.example")},
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"db_pass":"` + h.canary("JSON db_pass") + `","smtpPwd":"` + h.canary("JSON smtpPwd") + `","bypass":false,` +
				`"signing":{"pem":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC` + h.canary("PEM private key in JSON") + `\nAbCdEfGh\n-----END PRIVATE KEY-----\n"}}`,
		},
		{
			Method: "GET", URL: "https://api.example/v1/key.pem", ReqHeaders: [][2]string{host("api.example")},
			Status: 200, RespMIME: "application/x-pem-file", RespHeaders: [][2]string{{"Content-Type", "application/x-pem-file"}},
			RespBody: "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA" + h.canary("PEM RSA private key in a body") + "\nZz9y\n-----END RSA PRIVATE KEY-----\n",
		},
		// Credentials a URL carries outside its query: a one-time link's
		// token as the path segment after what it is for (a password
		// reset, a magic link, an invitation, an e-mail confirmation),
		// and a token as a URL's user name (git over HTTPS).
		{
			Method: "GET", URL: "https://app.example/reset-password/" + h.canary("path segment after reset-password"),
			ReqHeaders: [][2]string{host("app.example")},
			Status:     302, RespHeaders: [][2]string{{"Location", "https://app.example/auth/magic-link/" + h.canary("path segment after magic-link") + "/confirm"}},
		},
		{
			Method: "GET", URL: "https://app.example/invite/" + h.canary("path segment after invite") + "?x=1",
			ReqHeaders: [][2]string{host("app.example"), {"Referer", "https://app.example/confirm-email/" + h.canary("path segment after confirm-email") + "/"}},
			Status:     302, RespHeaders: [][2]string{{"Location", "https://" + h.canary("token as a URL's user name") + "@git.example/org/repo.git"}},
		},
		{
			Method: "POST", URL: "https://api.example/oauth/token", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("api.example"), js[0]},
			ReqBody:    `{"grantType":"refresh_token","refreshToken":"` + echoed + `"}`,
			Status:     400, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"error":"invalid_grant","error_description":"Invalid refresh token: ` + echoed + `"}`,
		},
		// JSON behind an anti-XSSI prefix (Google's ")]}'", "while(1);"),
		// JSON lines, and an error page that prints the request's headers
		// and a config as "name: value" lines.
		{
			Method: "POST", URL: "https://accounts.example/_/signin/token", ReqHeaders: [][2]string{host("accounts.example")},
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: ")]}'\n" + `{"access_token":"` + h.canary("JSON after )]}' access_token") + `","id_token":"` + h.canary("JSON after )]}' id_token") + `"}`,
		},
		{
			Method: "GET", URL: "https://api.example/v1/feed", ReqHeaders: [][2]string{host("api.example")},
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: "while(1);" + `{"session":{"refresh_token":"` + h.canary("JSON after while(1); refresh_token") + `"}}`,
		},
		{
			Method: "GET", URL: "https://api.example/v1/stream", ReqHeaders: [][2]string{host("api.example")},
			Status: 200, RespMIME: "application/x-ndjson", RespHeaders: [][2]string{{"Content-Type", "application/x-ndjson"}},
			RespBody: `{"type":"token","access_token":"` + h.canary("NDJSON line 1 access_token") + `"}` + "\n" + `{"type":"key","client_secret":"` + h.canary("NDJSON line 2 client_secret") + `"}` + "\n",
		},
		{
			Method: "GET", URL: "https://app.example/debug", ReqHeaders: [][2]string{host("app.example")},
			Status: 500, RespMIME: "text/html", RespHeaders: html,
			RespBody: "<html><body><h1>500</h1><pre>Request headers:\nHost: app.example\nAuthorization: Bearer " + h.canary("error page echo, Authorization: Bearer") +
				"\nCookie: sid=" + h.canary("error page echo, Cookie sid") + "\nX-Api-Key: " + h.canary("error page echo, X-Api-Key") +
				"\n\nConfig:\n  client_secret: " + h.canary("YAML-like client_secret line") + "\n  password: " + h.canary("YAML-like password line") + "\n</pre></body></html>",
		},
		// Redirect answers whose body repeats the Location: Express's
		// text, ASP.NET's "Object moved" page; an API error quoting the
		// URL it refused.
		{
			Method: "GET", URL: "https://app.example/auth/cb1", ReqHeaders: [][2]string{host("app.example")},
			Status: 302, RespMIME: "text/plain", RespHeaders: [][2]string{{"Content-Type", "text/plain; charset=utf-8"}, {"Location", "/"}},
			RespBody: "Found. Redirecting to https://app.example/cb?code=" + h.canary("Express redirect text code") + "&state=" + h.canary("Express redirect text state"),
		},
		{
			Method: "GET", URL: "https://app.example/auth/cb2", ReqHeaders: [][2]string{host("app.example")},
			Status: 302, RespMIME: "text/html", RespHeaders: [][2]string{html[0], {"Location", "/"}},
			RespBody: `<html><head><title>Object moved</title></head><body><h2>Object moved to <a href="https://app.example/cb#id_token=` + h.canary("Object moved href id_token") +
				`&amp;state=x">here</a>.</h2></body></html>`,
		},
		{
			Method: "GET", URL: "https://api.example/v1/err", ReqHeaders: [][2]string{host("api.example")},
			Status: 401, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"message":"GET https://api.example/v1/items?access_token=` + h.canary("JSON message quoting a URL, access_token") + `&x=1 was refused"}`,
		},
		// Markup and script that carry credentials outside forms.
		{
			Method: "GET", URL: "https://app.example/page2", ReqHeaders: [][2]string{host("app.example")},
			Status: 200, RespMIME: "text/html", RespHeaders: html,
			RespBody: `<html><body><iframe src="https://login.example.com/authorize?client_id=x&amp;prompt=none&amp;id_token_hint=` + h.canary("iframe src id_token_hint") + `"></iframe>` +
				`<img src="https://track.example/p.gif?access_token=` + h.canary("img src access_token") + `">` +
				`<div id="app" data-refresh-token="` + h.canary("data-refresh-token attribute") + `" data-user="bob"></div>` +
				`<input type="password" name="pw1" value="` + h.canary("password input under an odd name") + `">` +
				`<script>window.location.replace('https://app.example/cb#access_token=` + h.canary("location.replace fragment access_token") + `&token_type=Bearer');` +
				`xhr.setRequestHeader("Authorization", "Bearer ` + h.canary("setRequestHeader Authorization") + `");` +
				`fetch("/api", {headers: {Authorization: 'Bearer ` + h.canary("fetch headers unquoted Authorization") + `'}});</script></body></html>`,
		},
		{
			Method: "GET", URL: "https://app.example/cb3?code%3D" + h.canary("code in a fully encoded query") + "%26state%3Dx",
			ReqHeaders: [][2]string{host("app.example"), {"X-Master-Key", h.canary("X-Master-Key header")}},
			Status:     200,
		},
		{
			Method: "GET", URL: "https://app.example/logout?id_token_hint=" + h.canary("id_token_hint, short, logout") + "&login_hint=" + h.canary("login_hint in a logout URL (personal)"),
			ReqHeaders: [][2]string{host("app.example"), {"Referer", huntRedirect + "?code=" + h.canary("Referer code") + "&state=x"}},
			Status:     302, RespHeaders: [][2]string{{"Location", "https://app.example/"}},
		},
	}
}

// huntShapeHAREntries are HAR entries of what only a HAR holds: HTTP/2
// pseudo-headers (Chrome lists :path), a redirectURL, a nested initiator
// stack, a header's comment, a binary WebSocket frame (base64), a form_post
// page stored as base64.
func (h *hunt) huntShapeHAREntries(start time.Time) []any {
	b64 := base64.StdEncoding.EncodeToString
	code := h.canary("HAR :path code")
	page := `<html><body><form method="post" action="https://app.example/signin-oidc"><input type="hidden" name="code" value="` +
		h.canary("base64 HTML form_post code") + `"/><input type="hidden" name="id_token" value="` + h.canary("base64 HTML form_post id_token") + `"/></form></body></html>`
	return []any{
		map[string]any{"pageref": "page_1", "startedDateTime": start.Format(time.RFC3339Nano), "time": 5,
			"request": map[string]any{"method": "GET", "url": "https://app.example/signin-oidc?code=" + code, "httpVersion": "h2",
				"headers": []any{
					map[string]any{"name": ":authority", "value": "app.example"}, map[string]any{"name": ":method", "value": "GET"},
					map[string]any{"name": ":path", "value": "/signin-oidc?code=" + code + "&state=" + h.canary("HAR :path state")},
					map[string]any{"name": ":scheme", "value": "https"},
					map[string]any{"name": "x-note", "value": "1", "comment": "refresh_token=" + h.canary("HAR header comment refresh_token=")},
				},
				"queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": 0},
			"response": map[string]any{"status": 302, "statusText": "", "httpVersion": "h2",
				"headers": []any{map[string]any{"name": "location", "value": "https://app.example/home"}}, "cookies": []any{},
				"content":     map[string]any{"size": 0, "mimeType": "", "text": ""},
				"redirectURL": "https://app.example/#/cb?access_token=" + h.canary("HAR redirectURL access_token") + "&code=" + h.canary("HAR redirectURL code"),
				"headersSize": -1, "bodySize": 0},
			"_initiator": map[string]any{"type": "script", "url": "https://app.example/boot?token=" + h.canary("HAR _initiator.url token"),
				"stack": map[string]any{"callFrames": []any{}, "parent": map[string]any{"description": "Promise.then", "callFrames": []any{
					map[string]any{"functionName": "g", "url": "https://app.example/cb.js?code=" + h.canary("HAR initiator parent stack URL code"), "lineNumber": 2}}}}},
			"cache": map[string]any{}, "timings": map[string]any{"send": 1, "wait": 2, "receive": 2}},
		map[string]any{"pageref": "page_1", "startedDateTime": start.Add(time.Second).Format(time.RFC3339Nano), "time": 5,
			"_resourceType": "websocket",
			"_webSocketMessages": []any{
				map[string]any{"type": "send", "time": 3.1, "opcode": 2, "data": b64([]byte(`{"op":"auth","refresh_token":"` + h.canary("binary WebSocket frame refresh_token") + `"}`))},
			},
			"request": map[string]any{"method": "GET", "url": "https://rt.example/ws", "httpVersion": "HTTP/1.1",
				"headers": []any{map[string]any{"name": "Host", "value": "rt.example"}}, "queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": 0},
			"response": map[string]any{"status": 101, "statusText": "", "httpVersion": "HTTP/1.1", "headers": []any{}, "cookies": []any{},
				"content": map[string]any{"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": 0},
			"cache": map[string]any{}, "timings": map[string]any{"send": 1, "wait": 2, "receive": 2}},
		map[string]any{"pageref": "page_1", "startedDateTime": start.Add(2 * time.Second).Format(time.RFC3339Nano), "time": 5,
			"request": map[string]any{"method": "GET", "url": "https://login.example.com/t/form", "httpVersion": "HTTP/1.1",
				"headers": []any{map[string]any{"name": "Host", "value": "login.example.com"}}, "queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": 0},
			"response": map[string]any{"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1",
				"headers": []any{map[string]any{"name": "Content-Type", "value": "text/html"}}, "cookies": []any{},
				"content":     map[string]any{"size": len(page), "mimeType": "text/html", "encoding": "base64", "text": b64([]byte(page))},
				"redirectURL": "", "headersSize": -1, "bodySize": len(page)},
			"cache": map[string]any{}, "timings": map[string]any{"send": 1, "wait": 2, "receive": 2}},
	}
}

// huntShapeWire are raw HTTP/1.1 messages of what only the wire holds:
// chunked bodies with trailers, folded header lines.
func (h *hunt) huntShapeWire() (reqs, resps [][]byte) {
	body := "grant_type=refresh_token&client_id=" + huntClientID + "&refresh_token=" + h.canary("chunked request body refresh_token")
	reqs = append(reqs, []byte("POST /common/oauth2/v2.0/token HTTP/1.1\r\nHost: login.example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Transfer-Encoding: chunked\r\nTrailer: X-Session-Token\r\n\r\n"+
		strconv.FormatInt(int64(len(body)), 16)+"\r\n"+body+"\r\n0\r\nX-Session-Token: "+h.canary("chunked request trailer X-Session-Token")+"\r\n\r\n"))
	resp := `{"token_type":"Bearer","access_token":"` + h.canary("chunked answer access_token") + `","expires_in":3599}`
	resps = append(resps, []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: Authorization-Info\r\n\r\n"+
		strconv.FormatInt(int64(len(resp)), 16)+"\r\n"+resp+"\r\n0\r\nX-Refresh-Token: "+h.canary("chunked answer trailer X-Refresh-Token")+
		"\r\nSet-Cookie: sid="+h.canary("chunked answer trailer Set-Cookie")+"\r\n\r\n"))
	reqs = append(reqs, []byte("GET /v1/me HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer\r\n "+h.canary("folded Authorization continuation")+
		"\r\nCookie: a=1;\r\n\tsid="+h.canary("folded Cookie continuation")+"\r\nX-Api-Key:\r\n  "+h.canary("folded X-Api-Key continuation")+"\r\n\r\n"))
	resps = append(resps, []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nSet-Cookie: sess=\r\n "+h.canary("folded Set-Cookie continuation")+
		"; Path=/\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"))
	return reqs, resps
}

// huntShapeH2 is a cleartext HTTP/2 connection whose answers end with
// trailers carrying credentials, and whose request header block is split
// across HEADERS and CONTINUATION frames.
func (h *hunt) huntShapeH2() ([]byte, []byte) {
	var cli, srv bytes.Buffer
	cli.WriteString(http2.ClientPreface)
	cf, sf := http2.NewFramer(&cli, nil), http2.NewFramer(&srv, nil)
	cf.WriteSettings()
	sf.WriteSettings()
	sf.WriteSettingsAck()
	cf.WriteSettingsAck()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	block := func(fields ...string) []byte {
		hb.Reset()
		for i := 0; i+1 < len(fields); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: fields[i], Value: fields[i+1]})
		}
		return append([]byte(nil), hb.Bytes()...)
	}
	b := block(":method", "GET", ":scheme", "http", ":authority", "api.example", ":path", "/v1/items?access_token="+h.canary("h2 CONTINUATION :path access_token"),
		"authorization", "Bearer "+h.canary("h2 CONTINUATION authorization"), "cookie", "sid="+h.canary("h2 CONTINUATION cookie"))
	cut := len(b) / 3
	cf.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, BlockFragment: b[:cut]})
	cf.WriteContinuation(1, false, b[cut:2*cut])
	cf.WriteContinuation(1, true, b[2*cut:])
	resp := `{"items":[]}`
	sf.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, BlockFragment: block(":status", "200", "content-type", "application/json")})
	sf.WriteData(1, false, []byte(resp))
	sf.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, EndStream: true, BlockFragment: block(
		"x-refresh-token", h.canary("h2 trailer x-refresh-token"), "grpc-message", "bad token access_token="+h.canary("h2 trailer grpc-message access_token="),
		"set-cookie", "sid="+h.canary("h2 trailer set-cookie"))})
	return cli.Bytes(), srv.Bytes()
}

// huntShapeSAZ is a SAZ of the wire's messages as Fiddler stores them
// (chunked, folded), whose metadata carries Fiddler's X-AutoAuth flag (the
// credentials Fiddler answers a challenge with).
func (h *hunt) huntShapeSAZ(t *testing.T) []byte {
	t.Helper()
	reqs, resps := h.huntShapeWire()
	auto := h.canary("_m.xml X-AutoAuth password")
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	add := func(name string, data []byte) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for i := range reqs {
		n := strconv.Itoa(i + 1)
		req := bytes.Replace(reqs[i], []byte(" /"), []byte(" http://"+[]string{"login.example.com", "api.example"}[i]+"/"), 1)
		add("raw/"+n+"_c.txt", req)
		add("raw/"+n+"_s.txt", resps[i])
		add("raw/"+n+"_m.xml", []byte(`<?xml version="1.0" encoding="utf-8"?>
<Session SID="`+n+`" BitFlags="0">
  <SessionTimers ClientConnected="2026-01-02T03:04:0`+n+`.0000000Z" ClientBeginRequest="2026-01-02T03:04:0`+n+`.0010000Z" ClientDoneResponse="2026-01-02T03:04:0`+n+`.0200000Z" />
  <SessionFlags>
    <SessionFlag N="x-clientip" V="127.0.0.1" />
    <SessionFlag N="X-AutoAuth" V="CONTOSO\bob:`+auto+`" />
    <SessionFlag N="x-Original-URL" V="http://app.example/signin-oidc?code=`+h.canary("_m.xml flag URL code")+`" />
  </SessionFlags>
</Session>`))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
