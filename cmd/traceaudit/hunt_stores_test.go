package main

import (
	"encoding/base64"
	"net/url"
	"time"

	"github.com/traceaudit/traceaudit/internal/leakcorpus"
)

// The eleventh round's canaries: secret stores and debug pages that print
// a secret next to a label rather than under a credential's name (Azure
// Key Vault's set and get, HashiCorp Vault's tokens, accessors, AppRole
// secret ids and KV answers, a Kubernetes Secret, a Docker config,
// phpinfo()'s and a framework debug page's tables of the request and the
// environment, print_r and var_dump dumps, definition lists, a .env file),
// session ids in URL paths, and the generic shapes beside them: JSON under
// a secret-like parent, SOAP and SAML elements, GraphQL variables and
// arguments, WebSocket and server-sent messages, NTLM and Negotiate,
// signed URLs and a URL's password in a body.

// huntStoreExchanges are the exchanges of the eleventh round's placements
// that every format carries.
func (h *hunt) huntStoreExchanges() []leakcorpus.Exchange {
	b64 := base64.StdEncoding.EncodeToString
	q := url.QueryEscape
	js := [][2]string{{"Content-Type", "application/json"}}
	html := [][2]string{{"Content-Type", "text/html; charset=UTF-8"}}
	host := func(n string) [2]string { return [2]string{"Host", n} }
	kvSet := h.canary("Key Vault set secret PUT value (echoed in its answer)")
	vaultToken := h.canary("X-Vault-Token header")
	return []leakcorpus.Exchange{
		// Azure Key Vault: setting a secret (PUT, answered with the
		// secret) and a refused set, whose request alone holds it.
		{
			Method: "PUT", URL: "https://kv1.vault.azure.net/secrets/dbpw?api-version=7.4", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("kv1.vault.azure.net"), js[0]},
			ReqBody:    `{"value":"` + kvSet + `","contentType":"text/plain","attributes":{"enabled":true}}`,
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"value":"` + kvSet + `","contentType":"text/plain","id":"https://kv1.vault.azure.net/secrets/dbpw/4387e9f3d6e14c459867679a90fd0f79",` +
				`"attributes":{"enabled":true,"created":1772600767,"updated":1772600767,"recoveryLevel":"Recoverable+Purgeable"},"tags":{}}`,
		},
		{
			Method: "PUT", URL: "https://kv1.vault.azure.net/secrets/apikey?api-version=7.4", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("kv1.vault.azure.net"), js[0]},
			ReqBody:    `{"value":"` + h.canary("Key Vault set secret PUT value, refused") + `"}`,
			Status:     403, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"error":{"code":"Forbidden","message":"The user does not have secrets set permission on key vault 'kv1'.","innererror":{"code":"AccessDenied"}}}`,
		},
		{
			Method: "GET", URL: "https://kv1.vault.azure.net/secrets/cert1/?api-version=7.4",
			ReqHeaders: [][2]string{host("kv1.vault.azure.net")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"value":"MIIKPAIBAzCCCfwGCSqGSIb3DQEHAaCCCe0Egg` + h.canary("Key Vault certificate's secret (PFX)") + `","contentType":"application/x-pkcs12",` +
				`"id":"https://kv1.vault.azure.net/secrets/cert1/a1b2","managed":true,"kid":"https://kv1.vault.azure.net/keys/cert1/a1b2"}`,
		},
		// HashiCorp Vault: a token in X-Vault-Token, an AppRole login and
		// its answer (client token, accessor), a wrapped answer, a new
		// AppRole secret id, KV v2 and v1 reads, dynamic database
		// credentials.
		{
			Method: "POST", URL: "http://vault.example:8200/v1/auth/approle/login", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("vault.example:8200"), js[0]},
			ReqBody:    `{"role_id":"59d6d1ca-47bb-4e7e-a40b-8be3bc5a0ba8","secret_id":"` + h.canary("Vault AppRole login secret_id") + `"}`,
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"request_id":"` + huntTraceID + `","lease_id":"","renewable":false,"lease_duration":0,"data":null,"wrap_info":null,"warnings":null,` +
				`"auth":{"client_token":"` + vaultToken + `","accessor":"` + h.canary("Vault auth.accessor") + `","policies":["default","app"],` +
				`"token_policies":["default","app"],"metadata":{"role_name":"app"},"lease_duration":2764800,"renewable":true,"entity_id":"0bc6d4d8-5b6d-4e2a-9a2f-0d8b2b2c8e61",` +
				`"token_type":"service","orphan":true,"mfa_requirement":null,"num_uses":0}}`,
		},
		{
			Method: "GET", URL: "http://vault.example:8200/v1/secret/data/myapp?version=3",
			ReqHeaders: [][2]string{host("vault.example:8200"), {"X-Vault-Token", vaultToken}, {"X-Vault-Request", "true"}},
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"request_id":"` + huntCorrelation + `","lease_id":"","renewable":false,"lease_duration":0,` +
				`"data":{"data":{"db_url":"` + h.canary("Vault KV v2 data.data under a plain name") + `","smtp":"` + h.canary("Vault KV v2 data.data, second member") + `"},` +
				`"metadata":{"created_time":"2026-03-04T05:06:07.123456Z","custom_metadata":null,"deletion_time":"","destroyed":false,"version":3}},` +
				`"wrap_info":null,"warnings":null,"auth":null,"mount_type":"kv"}`,
		},
		{
			Method: "GET", URL: "http://vault.example:8200/v1/kv/payments",
			ReqHeaders: [][2]string{host("vault.example:8200"), {"X-Vault-Token", h.canary("X-Vault-Token header, short-lived")}},
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"request_id":"` + huntTraceID + `","lease_id":"","renewable":false,"lease_duration":2764800,` +
				`"data":{"merchant":"` + h.canary("Vault KV v1 data under a plain name") + `"},"wrap_info":null,"warnings":null,"auth":null}`,
		},
		{
			Method: "POST", URL: "http://vault.example:8200/v1/auth/approle/role/app/secret-id",
			ReqHeaders: [][2]string{host("vault.example:8200"), {"X-Vault-Token", vaultToken}, {"X-Vault-Wrap-TTL", "300s"}},
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"request_id":"` + huntTraceID + `","lease_id":"","renewable":false,"lease_duration":0,"data":null,` +
				`"wrap_info":{"token":"` + h.canary("Vault wrap_info.token") + `","accessor":"` + h.canary("Vault wrap_info.accessor") + `","ttl":300,` +
				`"creation_time":"2026-03-04T05:06:07.123456Z","creation_path":"auth/approle/role/app/secret-id","wrapped_accessor":"` + h.canary("Vault wrap_info.wrapped_accessor") + `"},` +
				`"warnings":null,"auth":null}`,
		},
		{
			Method: "POST", URL: "http://vault.example:8200/v1/sys/wrapping/unwrap",
			ReqHeaders: [][2]string{host("vault.example:8200"), {"X-Vault-Token", h.canary("X-Vault-Token header, a wrapping token")}},
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"request_id":"` + huntTraceID + `","lease_id":"","renewable":false,"lease_duration":0,` +
				`"data":{"secret_id":"` + h.canary("Vault unwrapped data.secret_id") + `","secret_id_accessor":"` + h.canary("Vault data.secret_id_accessor") +
				`","secret_id_num_uses":0,"secret_id_ttl":600},"wrap_info":null,"warnings":null,"auth":null}`,
		},
		{
			Method: "GET", URL: "http://vault.example:8200/v1/database/creds/readonly",
			ReqHeaders: [][2]string{host("vault.example:8200"), {"X-Vault-Token", vaultToken}},
			Status:     200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"request_id":"` + huntTraceID + `","lease_id":"database/creds/readonly/IQKUMCTg3M5QTRZ0abmLKjTX","renewable":true,` +
				`"lease_duration":3600,"data":{"password":"` + h.canary("Vault dynamic credentials password") + `","username":"v-approle-readonly-x1"},"wrap_info":null,"warnings":null,"auth":null}`,
		},
		// A Kubernetes Secret (data base64, stringData plain) and a
		// Docker config's auths.
		{
			Method: "GET", URL: "https://k8s.example:6443/api/v1/namespaces/prod/secrets/app",
			ReqHeaders: [][2]string{host("k8s.example:6443")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"kind":"Secret","apiVersion":"v1","metadata":{"name":"app","namespace":"prod","uid":"` + huntTraceID + `","creationTimestamp":"2026-03-04T05:06:07Z"},` +
				`"data":{"config.yaml":"` + b64([]byte("endpoint: x\nhmac: "+h.canary("Kubernetes Secret data, base64 YAML"))) + `","dsn":"` + b64([]byte(h.canary("Kubernetes Secret data, base64"))) + `"},` +
				`"stringData":{"webhook":"` + h.canary("Kubernetes Secret stringData") + `"},"type":"Opaque"}`,
		},
		{
			Method: "GET", URL: "https://ci.example/api/registry-config",
			ReqHeaders: [][2]string{host("ci.example")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"auths":{"ghcr.io":{"auth":"` + b64([]byte("bob:"+h.canary("Docker config auths auth, base64 user:password"))) + `"},` +
				`"registry.example":{"identitytoken":"` + h.canary("Docker config identitytoken") + `"}}}`,
		},
		// JSON under a credential-like parent whose members have plain
		// names.
		{
			Method: "GET", URL: "https://api.example/v1/integrations",
			ReqHeaders: [][2]string{host("api.example")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"integrations":[{"type":"smtp","credentials":{"username":"mailer","value":"` + h.canary("JSON credentials.value") + `"}},` +
				`{"type":"s3","auth":{"user":"svc","pass":"` + h.canary("JSON auth.pass") + `","region":"eu-west-1"}},` +
				`{"type":"hook","secrets":{"github":"` + h.canary("JSON secrets.github") + `"}},` +
				`{"type":"db","connection":{"host":"db.example","user":"app","password":"` + h.canary("JSON connection.password") + `"}}]}`,
		},
		// phpinfo(): the request's credentials and the environment as
		// table cells.
		{
			Method: "GET", URL: "https://app.example/info.php",
			ReqHeaders: [][2]string{host("app.example")}, Status: 200, RespMIME: "text/html", RespHeaders: html,
			RespBody: `<!DOCTYPE html><html><body><div class="center"><h2>Environment</h2><table><tr class="h"><th>Variable</th><th>Value</th></tr>` + "\n" +
				`<tr><td class="e">DB_PASSWORD </td><td class="v">` + h.canary("phpinfo environment DB_PASSWORD cell") + ` </td></tr>` + "\n" +
				`<tr><td class="e">STRIPE_API_KEY </td><td class="v">` + h.canary("phpinfo environment STRIPE_API_KEY cell") + ` </td></tr>` + "\n" +
				`<tr><td class="e">HOSTNAME </td><td class="v">web-7f9c </td></tr>` + "\n" +
				`</table><h2>PHP Variables</h2><table><tr class="h"><th>Variable</th><th>Value</th></tr>` + "\n" +
				`<tr><td class="e">$_COOKIE['PHPSESSID']</td><td class="v">` + h.canary("phpinfo $_COOKIE cell") + `</td></tr>` + "\n" +
				`<tr><td class="e">$_SERVER['HTTP_AUTHORIZATION']</td><td class="v">Bearer ` + h.canary("phpinfo $_SERVER HTTP_AUTHORIZATION cell") + `</td></tr>` + "\n" +
				`<tr><td class="e">$_SERVER['HTTP_COOKIE']</td><td class="v">theme=dark; PHPSESSID=` + h.canary("phpinfo $_SERVER HTTP_COOKIE cell") + `</td></tr>` + "\n" +
				`<tr><td class="e">$_SERVER['PHP_AUTH_USER']</td><td class="v">bob</td></tr>` + "\n" +
				`<tr><td class="e">$_SERVER['PHP_AUTH_PW']</td><td class="v">` + h.canary("phpinfo $_SERVER PHP_AUTH_PW cell") + `</td></tr>` + "\n" +
				`<tr><td class="e">$_SERVER['HTTP_X_API_KEY']</td><td class="v">` + h.canary("phpinfo $_SERVER HTTP_X_API_KEY cell") + `</td></tr>` + "\n" +
				`<tr><td class="e">$_ENV['AWS_SECRET_ACCESS_KEY']</td><td class="v">` + h.canary("phpinfo $_ENV AWS_SECRET_ACCESS_KEY cell") + `</td></tr>` + "\n" +
				`<tr><td class="e">$_SERVER['REQUEST_URI']</td><td class="v">/info.php</td></tr>` + "\n" +
				`</table></div></body></html>`,
		},
		// A framework's debug page (Django's): the request's META as
		// table cells whose value is a quoted repr in a <pre>; a
		// settings page as a definition list; PHP's print_r and var_dump.
		{
			Method: "GET", URL: "https://app.example/broken",
			ReqHeaders: [][2]string{host("app.example")}, Status: 500, RespMIME: "text/html", RespHeaders: html,
			RespBody: `<html><body><h3 id="meta-info">META</h3><table class="req"><thead><tr><th>Variable</th><th>Value</th></tr></thead><tbody>` +
				`<tr><td>HTTP_COOKIE</td><td class="code"><pre>&#x27;csrftoken=abc; sessionid=` + h.canary("debug page META HTTP_COOKIE repr") + `&#x27;</pre></td></tr>` +
				`<tr><td>HTTP_X_AUTH_TOKEN</td><td class="code"><pre>&#x27;` + h.canary("debug page META HTTP_X_AUTH_TOKEN repr") + `&#x27;</pre></td></tr>` +
				`<tr><td>HTTP_HOST</td><td class="code"><pre>&#x27;app.example&#x27;</pre></td></tr></tbody></table>` +
				`<dl><dt>Client secret</dt><dd>` + h.canary("definition list Client secret") + `</dd><dt>Client ID</dt><dd>` + huntClientID + `</dd>` +
				`<dt>Signing key</dt><dd><code>` + h.canary("definition list Signing key in <code>") + `</code></dd></dl>` +
				`<table><tr><th>API key</th><td>` + h.canary("table header cell API key") + `</td></tr><tr><td>Password:</td><td>` + h.canary("table label cell Password:") + `</td></tr></table>` +
				`<pre>Array
(
    [HTTP_AUTHORIZATION] => Basic ` + b64([]byte("bob:"+h.canary("print_r HTTP_AUTHORIZATION Basic"))) + `
    [PHP_AUTH_PW] => ` + h.canary("print_r PHP_AUTH_PW") + `
    [HTTP_HOST] => app.example
)
</pre><pre>array(2) {
  ["HTTP_COOKIE"]=&gt;
  string(35) "PHPSESSID=` + h.canary("var_dump HTTP_COOKIE") + `"
  ["DB_PASSWORD"]=&gt;
  string(16) "` + h.canary("var_dump DB_PASSWORD") + `"
}
</pre></body></html>`,
		},
		// A .env file served as text.
		{
			Method: "GET", URL: "https://app.example/.env",
			ReqHeaders: [][2]string{host("app.example")}, Status: 200, RespMIME: "text/plain", RespHeaders: [][2]string{{"Content-Type", "text/plain"}},
			RespBody: "APP_NAME=shop\nAPP_KEY=base64:" + h.canary(".env APP_KEY") + "\nDB_HOST=db.example\nDB_PASSWORD=" + h.canary(".env DB_PASSWORD") +
				"\nAWS_SECRET_ACCESS_KEY=" + h.canary(".env AWS_SECRET_ACCESS_KEY") + "\nexport MAIL_PASSWORD=\"" + h.canary(".env quoted MAIL_PASSWORD after export") + "\"\n",
		},
		// Session ids in URL paths (REST session resources, WebDriver).
		{
			Method: "DELETE", URL: "https://api.example/v2/sessions/" + h.canary("path segment after sessions"),
			ReqHeaders: [][2]string{host("api.example"), {"Referer", "https://app.example/session/" + h.canary("path segment after session, Referer") + "/settings"}},
			Status:     204,
		},
		{
			Method: "POST", URL: "http://127.0.0.1:4444/session/" + h.canary("WebDriver session id path segment") + "/url", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("127.0.0.1:4444"), js[0]}, ReqBody: `{"url":"https://app.example/"}`,
			Status: 200, RespMIME: "application/json", RespHeaders: js, RespBody: `{"value":null}`,
		},
		// SOAP and SAML: a WS-Security UsernameToken with a digest and a
		// nonce-less password, an artifact resolution answer holding an
		// assertion, a SAML artifact in a query.
		{
			Method: "POST", URL: "https://idp.example/idp/profile/SAML2/SOAP/ArtifactResolution", ReqMIME: "text/xml",
			ReqHeaders: [][2]string{host("idp.example"), {"Content-Type", "text/xml; charset=utf-8"}, {"SOAPAction", "http://www.oasis-open.org/committees/security"}},
			ReqBody: `<soap11:Envelope xmlns:soap11="http://schemas.xmlsoap.org/soap/envelope/"><soap11:Header><wsse:Security><wsse:UsernameToken>` +
				`<wsse:Username>sp-client</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">` +
				h.canary("wsse:Password with a Type attribute") + `</wsse:Password></wsse:UsernameToken></wsse:Security></soap11:Header><soap11:Body>` +
				`<samlp:ArtifactResolve ID="_a1" Version="2.0"><saml:Issuer>https://sp.example</saml:Issuer><samlp:Artifact>` + h.canary("samlp:Artifact element") +
				`</samlp:Artifact></samlp:ArtifactResolve></soap11:Body></soap11:Envelope>`,
			Status: 200, RespMIME: "text/xml", RespHeaders: [][2]string{{"Content-Type", "text/xml; charset=utf-8"}},
			RespBody: `<soap11:Envelope><soap11:Body><samlp:ArtifactResponse ID="_r1" InResponseTo="_a1"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
				`<samlp:Response><saml2:Assertion ID="_d71a3a8e9fcc45c9e9d248ef7049393fc8f04e5f75"><saml2:Subject><saml2:NameID>` + h.canary("saml2:NameID in an artifact answer") +
				`</saml2:NameID></saml2:Subject><saml2:AttributeStatement><saml2:Attribute Name="uid"><saml2:AttributeValue>` + h.canary("saml2:AttributeValue in an artifact answer") +
				`</saml2:AttributeValue></saml2:Attribute></saml2:AttributeStatement></saml2:Assertion></samlp:Response></samlp:ArtifactResponse></soap11:Body></soap11:Envelope>`,
		},
		{
			Method: "GET", URL: "https://sp.example/saml/acs?SAMLart=" + q(h.canary("SAMLart query parameter")+"AAQAAMh48") + "&RelayState=" + q("/home"),
			ReqHeaders: [][2]string{host("sp.example")}, Status: 302, RespHeaders: [][2]string{{"Location", "/home"}},
		},
		// GraphQL: a code and a token as variables under plain names, and
		// as inline arguments.
		{
			Method: "POST", URL: "https://api.example/graphql", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("api.example"), js[0]},
			ReqBody: `{"operationName":"SocialLogin","query":"mutation SocialLogin($code: String!) { socialLogin(provider: GITHUB, code: $code) { jwt } }",` +
				`"variables":{"code":"` + h.canary("GraphQL variables code") + `","input":{"clientSecret":"` + h.canary("GraphQL variables input.clientSecret") + `"}}}`,
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"data":{"socialLogin":{"jwt":"` + h.canary("GraphQL answer jwt member") + `"}}}`,
		},
		{
			Method: "POST", URL: "https://api.example/graphql", ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("api.example"), js[0]},
			ReqBody: `{"query":"mutation { verifyEmail(token: \"` + h.canary("GraphQL inline token argument") + `\") { ok } resetPassword(key: \"` + h.canary("GraphQL inline key argument") + `\", newPassword: \"` +
				h.canary("GraphQL inline newPassword argument") + `\") { ok } }"}`,
			Status: 200, RespMIME: "application/json", RespHeaders: js, RespBody: `{"data":{"verifyEmail":{"ok":true}}}`,
		},
		// NTLM and Negotiate: a client's and a server's tokens, also
		// through a proxy.
		{
			Method: "GET", URL: "https://intranet.example/", ReqHeaders: [][2]string{host("intranet.example"),
				{"Authorization", "NTLM " + b64([]byte("NTLMSSP\x00\x03\x00\x00\x00"+h.canary("NTLM type 3 message")))},
				{"Proxy-Authorization", "Negotiate " + b64([]byte("\x60\x82"+h.canary("Proxy-Authorization Negotiate")))}},
			Status: 200, RespMIME: "text/html", RespHeaders: [][2]string{html[0],
				{"WWW-Authenticate", "Negotiate " + b64([]byte("\xa1\x81"+h.canary("WWW-Authenticate Negotiate mutual token")))},
				{"Proxy-Authentication-Info", "nextnonce=\"" + h.canary("Proxy-Authentication-Info nextnonce") + "\""}},
			RespBody: `<html><body>ok</body></html>`,
		},
		// Signed URLs: S3's query authentication (version 2 and 4), a
		// URL's password in a JSON body and in a page.
		{
			Method: "GET", URL: "https://bucket.s3.amazonaws.com/report.pdf?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1772604367&Signature=" + q(h.canary("S3 v2 presigned Signature")+"+/="),
			ReqHeaders: [][2]string{host("bucket.s3.amazonaws.com")}, Status: 200,
		},
		{
			Method: "GET", URL: "https://bucket.s3.us-east-1.amazonaws.com/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + q("ASIAIOSFODNN7EXAMPLE/20260304/us-east-1/s3/aws4_request") +
				"&X-Amz-Date=20260304T050607Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=" + q(h.canary("X-Amz-Security-Token of a presigned URL")+"//////////wEaCXVz") +
				"&X-Amz-Signature=" + h.canary("X-Amz-Signature of a presigned URL") + "0123456789abcdef0123456789abcdef0123456789abcdef",
			ReqHeaders: [][2]string{host("bucket.s3.us-east-1.amazonaws.com")}, Status: 403, RespMIME: "application/xml", RespHeaders: [][2]string{{"Content-Type", "application/xml"}},
			RespBody: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>` +
				`<AWSAccessKeyId>ASIAIOSFODNN7EXAMPLE</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256` + "\n20260304T050607Z\n20260304/us-east-1/s3/aws4_request\n" + `e3b0c442</StringToSign>` +
				`<SignatureProvided>` + h.canary("S3 error SignatureProvided element") + `</SignatureProvided><RequestId>` + huntTraceID + `</RequestId></Error>`,
		},
		{
			Method: "GET", URL: "https://api.example/v1/mirrors",
			ReqHeaders: [][2]string{host("api.example")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"mirrors":[{"name":"internal","url":"https://deploy:` + h.canary("URL password in a JSON string") + `@proxy.example/go"}]}`,
		},
		{
			Method: "GET", URL: "https://app.example/help",
			ReqHeaders: [][2]string{host("app.example")}, Status: 200, RespMIME: "text/html", RespHeaders: html,
			RespBody: `<html><body><p>Clone with <code>git clone https://oauth2:` + h.canary("URL password in page text") + `@git.example/org/repo.git</code></p>` +
				`<meta http-equiv="Set-Cookie" content="sid=` + h.canary("meta http-equiv Set-Cookie") + `; path=/"></body></html>`,
		},
		// Configuration served or echoed as text: a web.config's
		// appSettings and connection strings, Spring's properties and
		// actuator, an INI file, an .npmrc, a kubeconfig, a command line
		// in JSON, Node's rawHeaders, Ruby and Python reprs, Werkzeug's
		// debugger.
		{
			Method: "GET", URL: "https://app.example/web.config",
			ReqHeaders: [][2]string{host("app.example")}, Status: 200, RespMIME: "application/xml", RespHeaders: [][2]string{{"Content-Type", "application/xml"}},
			RespBody: `<?xml version="1.0"?><configuration><appSettings><add key="ida:ClientId" value="` + huntClientID + `"/>` +
				`<add key="ida:ClientSecret" value="` + h.canary("web.config appSettings ClientSecret") + `"/><add key="StorageKey" value="` + h.canary("web.config appSettings StorageKey") + `"/></appSettings>` +
				`<connectionStrings><add name="Db" connectionString="Server=db.example;Database=app;User Id=app;Password=` + h.canary("web.config connectionString Password") + `;" providerName="System.Data.SqlClient"/></connectionStrings>` +
				`<beans><property name="password" value="` + h.canary("Spring XML property password") + `"/></beans></configuration>`,
		},
		{
			Method: "GET", URL: "https://app.example/config.ini",
			ReqHeaders: [][2]string{host("app.example")}, Status: 200, RespMIME: "text/plain", RespHeaders: [][2]string{{"Content-Type", "text/plain"}},
			RespBody: "[database]\nhost = db.example\npassword = " + h.canary("INI password with spaces") + "\n\n[api]\napi_key = " + h.canary("INI api_key with spaces") +
				"\nspring.datasource.password=" + h.canary("Java properties dotted password") + "\n" +
				"//registry.npmjs.org/:_authToken=" + h.canary(".npmrc _authToken") + "\n_auth=" + b64([]byte("bob:"+h.canary(".npmrc _auth base64"))) + "\n" +
				"users:\n- name: admin\n  user:\n    client-key-data: " + b64([]byte("-----BEGIN EC PRIVATE KEY-----\n"+h.canary("kubeconfig client-key-data")+"\n-----END EC PRIVATE KEY-----\n")) +
				"\n    token: " + h.canary("kubeconfig user token") + "\n",
		},
		{
			Method: "GET", URL: "https://app.example/debug/vars",
			ReqHeaders: [][2]string{host("app.example")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"cmdline":["/usr/bin/app","--client-secret=` + h.canary("command line --client-secret=") + `","--api-key","` + h.canary("command line --api-key, next argument") + `","-v"],` +
				`"rawHeaders":["Host","app.example","Cookie","sid=` + h.canary("Node rawHeaders Cookie") + `","X-Api-Key","` + h.canary("Node rawHeaders X-Api-Key") + `"],` +
				`"propertySources":[{"name":"systemEnvironment","properties":{"SPRING_DATASOURCE_PASSWORD":{"value":"` + h.canary("actuator env property value") + `","origin":"System Environment Property"},` +
				`"spring.datasource.url":{"value":"jdbc:postgresql://db.example/app?user=app&password=` + h.canary("actuator JDBC URL password") + `"}}}]}`,
		},
		{
			Method: "GET", URL: "https://app.example/rails-error",
			ReqHeaders: [][2]string{host("app.example")}, Status: 500, RespMIME: "text/html", RespHeaders: html,
			RespBody: `<html><body><h2>Request</h2><pre>{"authenticity_token"=&gt;"` + h.canary("Rails params authenticity_token") + `", "user"=&gt;{"email"=&gt;"bob@contoso.example", "password"=&gt;"` +
				h.canary("Rails params password") + `"}}</pre><pre>{'HTTP_AUTHORIZATION': 'Token ` + h.canary("Python dict repr HTTP_AUTHORIZATION") + `', 'api_key': '` + h.canary("Python dict repr api_key") + `'}</pre>` +
				`<script>var CONSOLE_MODE = false, EVALEX = true, EVALEX_TRUSTED = false, SECRET = "` + h.canary("Werkzeug debugger SECRET") + `";</script></body></html>`,
		},
		// Headers of no credential word that carry one, and query
		// parameters.
		{
			Method: "GET", URL: "https://maps.example/api/geocode/json?address=x&key=AIzaSyD" + h.canary("Google API key in key=") + "mX-a7eZSW0jk&hmac=" + h.canary("Shopify hmac query parameter") + "&shop=s.example",
			ReqHeaders: [][2]string{host("maps.example"), {"Authentication", h.canary("Authentication header")}, {"X-Auth", h.canary("X-Auth header")},
				{"X-Parse-Session-Token", h.canary("X-Parse-Session-Token header")}, {"apikey", h.canary("apikey header (Kong, Supabase)")}},
			Status: 200, RespMIME: "application/xml", RespHeaders: [][2]string{{"Content-Type", "text/xml"}},
			RespBody: `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId><SecretAccessKey>` + h.canary("STS XML SecretAccessKey") +
				`</SecretAccessKey><SessionToken>` + h.canary("STS XML SessionToken") + `</SessionToken><Expiration>2026-03-04T06:06:07Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`,
		},
		// Keys and one-time secrets under names of no credential word: a
		// private JWK (RSA's d, p, q…, a symmetric key's k), a private
		// key's bytes, TOTP secrets in an otpauth URL, recovery codes,
		// webhook URLs whose path is the secret, a Kubernetes Secret sent
		// as YAML (server-side apply).
		{
			Method: "GET", URL: "https://op.example/admin/keys",
			ReqHeaders: [][2]string{host("op.example")}, Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB",` +
				`"d":"` + h.canary("private JWK d") + `","p":"` + h.canary("private JWK p") + `","q":"` + h.canary("private JWK q") + `","dp":"` + h.canary("private JWK dp") + `","dq":"` + h.canary("private JWK dq") +
				`","qi":"` + h.canary("private JWK qi") + `"},{"kty":"oct","kid":"h1","alg":"HS256","k":"` + h.canary("symmetric JWK k") + `"},` +
				`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"` + h.canary("private OKP JWK d") + `"}],` +
				`"privateKey":"` + h.canary("privateKey member, base64 DER") + `","private_key_hex":"` + h.canary("private_key_hex member") + `"}`,
		},
		{
			Method: "POST", URL: "https://app.example/api/mfa/totp", ReqHeaders: [][2]string{host("app.example")},
			Status: 200, RespMIME: "application/json", RespHeaders: js,
			RespBody: `{"uri":"otpauth://totp/Example:bob?secret=` + h.canary("otpauth URL secret") + `&issuer=Example","recovery_codes":["` + h.canary("recovery code 1") + `","` + h.canary("recovery code 2") + `"],` +
				`"backupCodes":["` + h.canary("backupCodes element") + `"]}`,
		},
		{
			Method: "POST", URL: "https://hooks.slack.com/services/T024BE7LD/B08QWERTY1/" + h.canary("Slack webhook path token"), ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("hooks.slack.com"), js[0]}, ReqBody: `{"text":"deploy done"}`, Status: 200,
			RespMIME: "text/plain", RespHeaders: [][2]string{{"Content-Type", "text/plain"}}, RespBody: "ok",
		},
		{
			Method: "POST", URL: "https://discord.example/api/webhooks/1234567890123456789/" + h.canary("Discord webhook path token"), ReqMIME: "application/json",
			ReqHeaders: [][2]string{host("discord.example"), js[0]}, ReqBody: `{"content":"hi"}`, Status: 204,
		},
		{
			Method: "PATCH", URL: "https://k8s.example:6443/api/v1/namespaces/prod/secrets/app?fieldManager=kubectl", ReqMIME: "application/apply-patch+yaml",
			ReqHeaders: [][2]string{host("k8s.example:6443"), {"Content-Type", "application/apply-patch+yaml"}},
			ReqBody: "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: prod\ntype: Opaque\ndata:\n  dsn: " + b64([]byte(h.canary("YAML Secret data, base64"))) +
				"\nstringData:\n  webhook: " + h.canary("YAML Secret stringData") + "\n",
			Status: 200, RespMIME: "application/json", RespHeaders: js, RespBody: `{"kind":"Secret","metadata":{"name":"app"},"type":"Opaque"}`,
		},
		// An admin page listing credentials in a table whose header row
		// names the columns.
		{
			Method: "GET", URL: "https://app.example/admin/api-keys",
			ReqHeaders: [][2]string{host("app.example")}, Status: 200, RespMIME: "text/html", RespHeaders: html,
			RespBody: `<html><body><table class="keys"><thead><tr><th>Name</th><th>API key</th><th>Created</th></tr></thead><tbody>` +
				`<tr><td>ci</td><td><code>` + h.canary("table column under an API key header, row 1") + `</code></td><td>2026-03-04</td></tr>` +
				`<tr><td>deploy</td><td>` + h.canary("table column under an API key header, row 2") + `</td><td>2026-03-05</td></tr></tbody></table>` +
				`<table><tr><th>App</th><th>Client ID</th><th>Client secret</th></tr><tr><td>web</td><td>` + huntClientID + `</td><td>` + h.canary("table column under a Client secret header") + `</td></tr></table></body></html>`,
		},
		// Multipart bodies: a part named without quotes, an uploaded .env
		// file, GraphQL's multipart request (operations JSON).
		{
			Method: "POST", URL: "https://app.example/upload2", ReqMIME: "multipart/form-data; boundary=ZZ",
			ReqHeaders: [][2]string{host("app.example"), {"Content-Type", "multipart/form-data; boundary=ZZ"}},
			ReqBody: "--ZZ\r\nContent-Disposition: form-data; name=password\r\n\r\n" + h.canary("multipart unquoted name password") +
				"\r\n--ZZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\".env\"\r\nContent-Type: text/plain\r\n\r\nAPP_ENV=prod\nDB_PASSWORD=" + h.canary("multipart uploaded .env DB_PASSWORD") +
				"\n\r\n--ZZ\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + `{"query":"mutation($t: String!){verify(token: $t)}","variables":{"t":"x","token":"` + h.canary("GraphQL multipart operations variables.token") + `"}}` +
				"\r\n--ZZ--\r\n",
			Status: 200,
		},
		// Server-sent events whose data is not JSON under a credential's
		// name.
		{
			Method: "GET", URL: "https://api.example/v1/events",
			ReqHeaders: [][2]string{host("api.example")}, Status: 200, RespMIME: "text/event-stream", RespHeaders: [][2]string{{"Content-Type", "text/event-stream"}},
			RespBody: "event: session\ndata: {\"session\":{\"id\":\"" + h.canary("SSE JSON session.id") + "\",\"expires\":3600}}\n\n" +
				"event: token\ndata: " + h.canary("SSE bare data after event token") + "\n\n",
		},
	}
}

// huntStoreHAREntries are what only a HAR holds: WebSocket messages of
// the protocols that authenticate inside the socket (graphql-ws, STOMP,
// Phoenix, Action Cable).
func (h *hunt) huntStoreHAREntries(start time.Time) []any {
	msg := func(typ, data string) map[string]any {
		return map[string]any{"type": typ, "time": 4.2, "opcode": 1, "data": data}
	}
	return []any{
		map[string]any{"pageref": "page_1", "startedDateTime": start.Format(time.RFC3339Nano), "time": 5,
			"_resourceType": "websocket",
			"_webSocketMessages": []any{
				msg("send", `{"type":"connection_init","payload":{"Authorization":"Bearer `+h.canary("graphql-ws connection_init Authorization")+`"}}`),
				msg("send", `{"type":"connection_init","payload":{"authToken":"`+h.canary("graphql-ws connection_init authToken")+`"}}`),
				msg("send", "CONNECT\naccept-version:1.2\nhost:rt.example\nlogin:bob\npasscode:"+h.canary("STOMP CONNECT passcode")+"\n\n\x00"),
				msg("send", `["3","3","room:lobby","phx_join",{"token":"`+h.canary("Phoenix phx_join token")+`"}]`),
				msg("send", `{"command":"subscribe","identifier":"{\"channel\":\"Chat\",\"session_token\":\"`+h.canary("Action Cable identifier session_token")+`\"}"}`),
			},
			"request": map[string]any{"method": "GET", "url": "https://rt.example/socket", "httpVersion": "HTTP/1.1",
				"headers": []any{map[string]any{"name": "Host", "value": "rt.example"}}, "queryString": []any{}, "cookies": []any{}, "headersSize": -1, "bodySize": 0},
			"response": map[string]any{"status": 101, "statusText": "", "httpVersion": "HTTP/1.1", "headers": []any{}, "cookies": []any{},
				"content": map[string]any{"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": 0},
			"cache": map[string]any{}, "timings": map[string]any{"send": 1, "wait": 2, "receive": 2}},
	}
}
