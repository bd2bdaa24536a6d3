package secret

import (
	"bytes"
	"encoding/base64"
	"math"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/traceaudit/traceaudit/internal/secretscan"
)

// secretParams are query, fragment and form parameters whose values are
// replayable secrets (fingerprinted) — compared case-insensitively.
var secretParams = map[string]bool{
	"code": true, "access_token": true, "refresh_token": true, "id_token": true,
	"code_verifier": true, "client_secret": true, "client_assertion": true,
	"assertion": true, "state": true, "nonce": true, "session_state": true,
	"samlrequest": true, "samlresponse": true, "wresult": true, "token": true,
	"device_code": true, "subject_token": true, "actor_token": true,
	"sig": true, "signature": true, "x-amz-signature": true, "key": true, "api_key": true,
	"apikey": true, "sessiontoken": true, "session_token": true, "statetoken": true, "statehandle": true, "ppft": true, "flowtoken": true, "canary": true, "ctx": true,
	// One-time credentials of other sign-in protocols that share traces with
	// OAuth: CAS service tickets (?ticket=ST-…), SAML artifacts, OAuth 1.0a
	// verifiers and request tokens, Keycloak's login-action session_code.
	"ticket": true, "samlart": true, "oauth_verifier": true, "oauth_token": true, "session_code": true,
	// Handles of grants and sign-in APIs that stand for a sign-in in
	// progress: Okta Identity Engine's interaction handle and code, CIBA's
	// auth_req_id and login_hint_token, Keycloak's tab_id (with
	// session_code, it resumes the login), Cognito's SRP public values.
	"interaction_handle": true, "interactionhandle": true, "interaction_code": true, "auth_req_id": true,
	"login_hint_token": true, "tab_id": true, "srp_a": true, "srp_b": true,
	// A PKCE verifier in camel case (a JSON body), an ID token hint (a JWT,
	// found by shape too), SAML's RelayState (like state, it may embed a
	// return URL or app data), Okta's okta_key (it resumes an authorize
	// request from a fromURI).
	"codeverifier": true, "id_token_hint": true, "relaystate": true, "okta_key": true,
	// Found in real sign-in traces (these were redact's own list, so a
	// report showed raw what a redact copy fingerprinted): logout tokens,
	// session nonces, Entra's client_info (the user's and tenant's object
	// ids), the login page's $Config members (sFT, sCtx, apiCanary),
	// WS-Federation's wctx, anti-forgery tokens, a JAR request object
	// (RFC 9101 "request", a JWT or JWE), a jwt parameter, Entra's
	// refresh token credential and Citrix's dssotoken.
	"logout_token": true, "sso_nonce": true, "client_info": true, "sft": true, "sctx": true, "apicanary": true, "wctx": true,
	"csrf_token": true, "csrftoken": true, "_csrf": true, "authenticity_token": true,
	"__requestverificationtoken": true, "requestverificationtoken": true,
	"x-ms-refreshtokencredential": true, "refreshtokencredential": true,
	"request": true, "jwt": true, "dssotoken": true,
	// Clerk's development-browser JWT, sent as a query parameter on
	// redirects and as a cookie.
	"__clerk_db_jwt": true,
	// A WebAuthn assertion's per-use proofs: the signature (above) over
	// authenticatorData and clientDataJSON (which carries the server's
	// challenge, a nonce).
	"authenticatordata": true, "clientdatajson": true,
	// Firebase's REST APIs take an ID token or a database secret as
	// ?auth=, and Pusher's private channels a signature as "auth".
	"auth": true,
	// A request's HMAC signature (Shopify's app install and proxy
	// requests: ?hmac=…&shop=…), like sig and signature.
	"hmac": true,
}

// maskedParams hold low-entropy personal or guessable values: masked, never
// hashed (a plain hash of a user name can be reversed by guessing).
var maskedParams = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "login": true, "loginfmt": true,
	"login_hint": true, "username": true, "user": true, "email": true, "upn": true,
	// One-time codes and PINs are few digits, and Okta Identity Engine
	// sends the password itself as credentials.passcode: a fingerprint of
	// either is reversed by trying every value.
	"passcode": true, "otp": true, "otc": true, "totp": true, "pin": true,
	// A device flow's user_code is a few letters the user types (RFC 8628
	// suggests 8 from 20): its fingerprint is reversed as fast.
	"user_code": true,
	// Entra's MFA call sends the one-time code as AdditionalAuthData;
	// Okta Identity Engine's identifier and a logout_hint are user names.
	"additionalauthdata": true, "identifier": true, "logout_hint": true,
	// Personal values found in real sign-in traces (redact's own list
	// before): phone numbers, display and principal names, e-mail
	// addresses, SAML's NameID, a new password.
	"newpassword": true, "new_password": true, "phone": true,
	"phonenumber": true, "mobile": true, "displayname": true, "mail": true,
	"userprincipalname": true, "preferred_username": true, "unique_name": true, "nameid": true,
	"emailaddress": true, "email_address": true, "signinname": true, "login_name": true,
	// A WebAuthn assertion's userHandle names the user (the relying
	// party's user id).
	"userhandle": true,
	// Passwords under short names (Drupal's and many login forms' pass,
	// pw) and passphrases.
	"pass": true, "pw": true, "passphrase": true,
	// The answer to a sign-in's challenge: Cognito's custom challenge
	// (ChallengeResponses.ANSWER: a code mailed or texted, a magic
	// link's secret), Okta's security question factor ({"answer": …}).
	// A name whose last word is "answer" (securityAnswer,
	// challenge_answer) is one too (answerName).
	"answer": true,
	// MSAL's routing hint to Entra's cache service, a parameter of
	// MSAL.js's authorize and token requests (X-AnchorMailbox=UPN:<the
	// login hint> or Oid:<the user's object id>@<tenant>) and a header of
	// MSAL.NET's and msal-node's: the user's name, as login_hint is.
	"x-anchormailbox": true,
}

// IsSecretParam reports whether a parameter's value is a replayable secret:
// by the list, or a code named by its use (authCode, oobCode, device_code).
func IsSecretParam(name string) bool {
	l := strings.ToLower(name)
	return secretParams[l] || strings.Contains(l, "code") && codeName(name) == codeSecret || verifierName(l, name)
}

// verifierName reports a name whose last word is "verifier": the secret
// half of a proof whose other half went ahead (a PKCE code_verifier in any
// style, OAuth 1.0a's oauth_verifier, auth0-js's co_verifier, which
// completes its cross-origin login_ticket at /co/verify, an SRP
// PasswordVerifier). l is name lower-cased.
func verifierName(l, name string) bool {
	if !strings.HasSuffix(l, "verifier") {
		return false
	}
	words := nameWords(name)
	return len(words) > 0 && words[len(words)-1] == "verifier"
}

// Codes named by their use: the one-time codes a user types (a few
// digits; masked, as a fingerprint of one is reversed by trying every
// value) and the codes an app passes on (authorization codes, Firebase's
// oobCode, invitation codes; fingerprinted).
const (
	codeOther = iota
	codeMasked
	codeSecret
)

var (
	typedCodeWords = map[string]bool{"verification": true, "verify": true, "mfa": true, "sms": true, "email": true, "recovery": true,
		"backup": true, "otp": true, "totp": true, "hotp": true, "onetime": true, "one": true, "confirmation": true, "confirm": true,
		"twofactor": true, "2fa": true, "tfa": true, "security": true, "pin": true, "activation": true, "reset": true, "login": true,
		"signin": true, "phone": true, "text": true, "voice": true, "passcode": true, "mobile": true,
		// A device flow's code the user types, in camelCase (AWS IAM
		// Identity Center's userCode) as user_code is.
		"user": true}
	passedCodeWords = map[string]bool{"auth": true, "authorization": true, "authz": true, "oob": true, "access": true, "device": true,
		"invite": true, "invitation": true, "session": true, "exchange": true, "magic": true, "interaction": true, "grant": true}
)

// codeName classifies a name one of whose words is "code" by the words
// beside it (otpCode, sms_code, code_2fa, authCode, oobCode); a name of
// no such use (error_code, country_code, code_challenge) is codeOther.
func codeName(name string) int {
	words := nameWords(name)
	hasCode, kind := false, codeOther
	for _, w := range words {
		p, ok := strings.CutSuffix(w, "code")
		if !ok {
			p, ok = strings.CutSuffix(w, "codes")
		}
		if ok && p != "" && (typedCodeWords[p] || passedCodeWords[p]) {
			// One word, as a lower-cased name has it ("otpcode",
			// "backupcodes").
			hasCode, w = true, p
		}
		switch {
		case w == "code" || w == "codes":
			hasCode = true
		case typedCodeWords[w]:
			kind = codeMasked
		case passedCodeWords[w] && kind == codeOther:
			kind = codeSecret
		}
	}
	if !hasCode {
		return codeOther
	}
	return kind
}

// sessionNames are session ids by name, compared with case, '-', '_' and
// '.' ignored: a session id replays the session it names (Java's
// ;jsessionid=, PHP's PHPSESSID, ASP.NET_SessionId, X-Session-Id).
var sessionNames = map[string]bool{
	"sid": true, "sessid": true, "sessionid": true, "jsessionid": true, "phpsessid": true, "aspnetsessionid": true,
	// A session handle under the bare name: Cognito's InitiateAuth and
	// RespondToAuthChallenge answer a challenge with a Session that the
	// next call (the MFA code, a custom challenge's answer) must send back,
	// and which stands for the half-done sign-in until it expires; Flask's
	// and many frameworks' session cookie.
	"session": true,
}

// IsSessionParam reports a name of a session id in any naming style
// (sessionid, session_id, sessionId, X-Session-Id, jsessionid).
func IsSessionParam(name string) bool {
	var buf [64]byte
	norm, ok := compactName(name, &buf)
	if !ok {
		return false // no session id's name is that long
	}
	return sessionNames[string(norm)] || bytes.HasSuffix(norm, []byte("sessionid"))
}

// compactName writes name into buf lower-cased, without '-', '_', '.' and
// spaces, so that one comparison covers every naming style (session_id,
// sessionId, X-Session-Id). ok is false for a name longer than buf.
func compactName(name string, buf *[64]byte) (norm []byte, ok bool) {
	n := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		if n == len(buf) {
			return nil, false
		}
		buf[n] = c
		n++
	}
	return buf[:n], true
}

// KeepSessionValue reports a session id value that stays as it is: a
// GUID, which services that name a header or member so send as a
// correlation id support reads (Azure's x-ms-client-session-id), not as a
// credential.
func KeepSessionValue(v string) bool { return IsGUID(v) }

// IsGUID reports a GUID in its 36-byte text form.
func IsGUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// IsCredentialName reports a name of the token, secret, password,
// assertion and api-key families in any naming style (accessToken,
// Access-Token, X-Amz-Security-Token, clientSecret), except the names that
// describe a credential rather than hold one (token_type, tokenEndpoint,
// passwordResetPolicy, expires_in).
//
// A name whose last word is a credential's (reset_token, login_hint_token,
// passwordResetToken) holds one whatever the words before it say.
func IsCredentialName(name string) bool {
	if !secretscan.CredentialName(name) {
		return KeyName(name) || PasswordName(name) || accessorName(name)
	}
	if !DescribesCredential(name) {
		return true
	}
	words := nameWords(name)
	if len(words) < 2 {
		return false
	}
	switch last := words[len(words)-1]; last {
	case "token", "secret", "password", "passwd", "assertion", "apikey", "credential", "credentials":
		return !strings.HasSuffix(strings.ToLower(strings.TrimSpace(name)), "in")
	}
	return false
}

// describeWords start the words of a name about a credential.
var describeWords = []string{"type", "endpoint", "uri", "url", "expir", "lifetime", "ttl", "length", "method",
	"format", "policy", "mode", "supported", "enabled", "name", "hint", "count", "version", "alg", "status", "reset", "kind"}

// DescribesCredential reports a name one of whose words starts with a
// describing word. Words are split at '-', '_', '.', spaces and case
// changes, and a word that holds a credential word is split around it too
// ("tokenendpoint"), so that the describing word is never matched inside
// another ("security" holds "uri", "account" holds "count").
func DescribesCredential(name string) bool {
	lower := strings.ToLower(strings.TrimSpace(name))
	if strings.HasSuffix(lower, "_in") || strings.HasSuffix(lower, "in") {
		return true // expires_in, expiresIn
	}
	for _, w := range nameWords(name) {
		for _, part := range splitCredWord(w) {
			for _, d := range describeWords {
				if strings.HasPrefix(part, d) {
					return true
				}
			}
		}
	}
	return false
}

// nameWords splits a name into lower-case words.
func nameWords(name string) []string {
	var out []string
	start := 0
	flush := func(end int) {
		if end > start {
			out = append(out, strings.ToLower(name[start:end]))
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == ' ' || c == '$':
			flush(i)
			start = i + 1
		case c >= 'A' && c <= 'Z' && i > start && name[i-1] >= 'a' && name[i-1] <= 'z':
			flush(i)
			start = i
		}
	}
	flush(len(name))
	return out
}

// credWordsInNames are the credential words a lower-case word is split
// around.
var credWordsInNames = []string{"token", "secret", "password", "passwd", "assertion", "apikey", "credential", "signature", "key"}

func splitCredWord(w string) []string {
	for _, c := range credWordsInNames {
		if i := strings.Index(w, c); i >= 0 {
			parts := []string{c}
			if i > 0 {
				parts = append(parts, w[:i])
			}
			if rest := w[i+len(c):]; rest != "" {
				parts = append(parts, rest)
			}
			return parts
		}
	}
	return []string{w}
}

// secretHeaderWords are words of header names whose whole value is a
// credential (X-Api-Key, Ocp-Apim-Subscription-Key, X-CSRF, X-XSRF-Token,
// X-Session-Key), matched in the lower-cased name.
var secretHeaderWords = []string{"token", "secret", "password", "api-key", "apikey", "credential", "signature", "assertion", "x-csrf", "x-xsrf",
	"subscription-key", "access-key", "session-key", "private-key"}

// PasswordName reports a name whose last word is "pass", "pwd" or "pw"
// (db_pass, smtpPwd, a publish profile's userPWD, PHP's PHP_AUTH_PW): a
// password, masked. The word must stand alone: bypass and compass are none.
func PasswordName(name string) bool {
	n := len(name)
	if n < 4 {
		return false
	}
	l4 := strings.ToLower(name[n-4:])
	if l4 != "pass" && l4[1:] != "pwd" && l4[2:] != "pw" {
		return false
	}
	words := nameWords(name)
	if len(words) < 2 {
		return false
	}
	last := words[len(words)-1]
	return last == "pass" || last == "pwd" || last == "pw"
}

// accessorName reports a name whose last word is "accessor" (HashiCorp
// Vault's accessor, wrapped_accessor, secret_id_accessor): a handle that
// looks up, renews and revokes the token it names, which Vault's own audit
// log hashes.
func accessorName(name string) bool {
	if len(name) < 8 || !strings.EqualFold(name[len(name)-8:], "accessor") {
		return false
	}
	words := nameWords(name)
	return len(words) > 0 && words[len(words)-1] == "accessor"
}

// keyQualifiers are the words that make a key a secret one when they come
// right before "key" or "keys" ending a name: Azure's account, primary,
// secondary and master keys (storage, Service Bus, Cosmos DB, Cognitive
// Services and Search answer listKeys with them), a function app's
// function, system and master keys (x-functions-key), shared, signing,
// encryption, client, session, admin, license and application keys
// (X-Auth-Key, X-Master-Key, DD-Application-Key), and a customer's key
// (S3's x-amz-server-side-encryption-customer-key, the AES key itself of
// SSE-C), and a second factor's seed and recovery key (a TOTP
// enrollment's manualEntryKey, otpKey, mfaKey, a recovery key). A public,
// partition, sort, cache or idempotency key is none.
var keyQualifiers = []string{"account", "primary", "secondary", "master", "readonly", "function", "functions", "system",
	"shared", "signing", "encryption", "client", "session", "admin", "license", "application", "app", "auth", "storage", "secret",
	"customer", "manualentry", "otp", "mfa", "2fa", "authenticator", "recovery"}

// KeyName reports a name of a secret key in any naming style: a name whose
// last word is "key" or "keys" (or "key" then "data": client-key-data)
// after a qualifier of keyQualifiers (primaryKey, AccountKey,
// x-functions-key, primaryReadonlyMasterKey), or
// Azure's key1 and key2. It allocates nothing: names are compared
// lower-cased with '-', '_', '.' and spaces removed.
func KeyName(name string) bool {
	if envKeyName(name) {
		return true
	}
	var buf [64]byte
	norm, ok := compactName(name, &buf)
	if !ok {
		return false
	}
	if len(norm) >= 4 && string(norm[:3]) == "key" {
		digits := true
		for _, c := range norm[3:] {
			digits = digits && c >= '0' && c <= '9'
		}
		if digits {
			return true // key1, key2
		}
	}
	// A key's bytes under its name (a kubeconfig's client-key-data).
	norm = bytes.TrimSuffix(norm, []byte("data"))
	norm = bytes.TrimSuffix(norm, []byte("s"))
	if !bytes.HasSuffix(norm, []byte("key")) {
		return false
	}
	before := norm[:len(norm)-3]
	for _, q := range keyQualifiers {
		if bytes.HasSuffix(before, []byte(q)) {
			return true
		}
	}
	return false
}

// publicKeyWords are the words before _KEY in an environment variable's
// name that make it no secret: a public, publishable or site key (Stripe's
// and reCAPTCHA's browser keys), a partition, sort, cache, idempotency,
// hash or primary key of a table.
var publicKeyWords = map[string]bool{"PUBLIC": true, "PUBLISHABLE": true, "SITE": true, "PARTITION": true, "SORT": true,
	"CACHE": true, "IDEMPOTENCY": true, "HASH": true, "PRIMARY": true, "FOREIGN": true, "ROUTING": true, "OBJECT": true, "S3": true}

// envKeyName reports an environment variable's name (upper case, words
// joined by '_') ending in _KEY or _KEYS: by convention a service's key
// (STRIPE_KEY, OPENAI_KEY, SENDGRID_API_KEY), unless the word before
// says it is public or a table's.
func envKeyName(name string) bool {
	if len(name) < 5 || len(name) > 64 || strings.IndexByte(name, '_') < 0 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	rest, ok := strings.CutSuffix(name, "_KEY")
	if !ok {
		rest, ok = strings.CutSuffix(name, "_KEYS")
	}
	if !ok || rest == "" {
		return false
	}
	words := strings.Split(rest, "_")
	return !publicKeyWords[words[len(words)-1]]
}

// IsSecretHeader reports a header name whose whole value is a credential:
// a redact copy masks it, and the CLI learns its value for the report
// scrubber.
func IsSecretHeader(name string) bool {
	l := strings.ToLower(name)
	for _, s := range secretHeaderWords {
		if strings.Contains(l, s) {
			return true
		}
	}
	return KeyName(name)
}

// IsMaskedParam reports whether a parameter's value is personal, a
// password or a one-time code a user types (otpCode, sms_code).
func IsMaskedParam(name string) bool {
	l := strings.ToLower(name)
	return maskedParams[l] || strings.Contains(l, "code") && codeName(name) == codeMasked || PasswordName(name) || foreignPasswordName(name) ||
		answerName(l, name)
}

// answerName reports a name whose last word is "answer" after a word that
// makes it a challenge's (security_answer, challengeAnswer,
// recoveryQuestionAnswer): what a user types to prove who they are. l is
// name lower-cased.
func answerName(l, name string) bool {
	if !strings.HasSuffix(l, "answer") {
		return false
	}
	words := nameWords(name)
	if len(words) < 2 || words[len(words)-1] != "answer" {
		return false
	}
	switch words[len(words)-2] {
	case "security", "secret", "challenge", "question", "recovery", "auth", "mfa":
		return true
	}
	return false
}

// foreignPasswords are "password" in the languages login forms are
// written in, compacted as compactName does (lower case, no '_', '-',
// '.' or space): a localized app names its field so (kennwort,
// contraseña, mot_de_passe, пароль, パスワード).
var foreignPasswords = []string{
	"kennwort", "passwort", "contrasena", "contraseña", "senha", "motdepasse", "wachtwoord", "haslo", "hasło", "heslo",
	"parola", "salasana", "losenord", "lösenord", "passord", "adgangskode", "jelszo", "jelszó", "sifre", "şifre",
	"katasandi", "matkhau", "mậtkhẩu", "пароль", "密码", "密碼", "パスワード", "비밀번호", "סיסמה", "كلمةالمرور",
}

// foreignPasswordName reports a name that is or ends with "password" in
// another language (neues_kennwort, user_senha).
func foreignPasswordName(name string) bool {
	if len(name) < 5 || len(name) > 64 {
		return false
	}
	var buf [64]byte
	norm, ok := compactName(name, &buf)
	if !ok {
		return false
	}
	l := strings.ToLower(string(norm)) // the letters compactName leaves (Cyrillic, accented)
	for _, w := range foreignPasswords {
		if strings.HasSuffix(l, w) {
			return true
		}
	}
	return false
}

// RedactParam renders one parameter value for output: a fingerprint for a
// secret (by its name in the lists, as a session id, or as a name of the
// credential families in any style), a mask for a password or user name,
// the value otherwise.
func RedactParam(name, value string) string {
	switch {
	case value == "":
		return value
	case IsSecretParam(name) || requestHandle(name, value):
		return Fingerprint(value)
	case IsMaskedParam(name):
		return Mask(value)
	case IsSessionParam(name):
		if KeepSessionValue(value) {
			return value
		}
		return Fingerprint(value)
	case IsCredentialName(name):
		if strings.Contains(strings.ToLower(name), "passw") {
			return Mask(value)
		}
		return Fingerprint(value)
	}
	return value
}

// requestHandle reports a request_uri that is no URL: the one-time handle
// a pushed authorization request (PAR, RFC 9126) issues, which replays the
// pushed request until it expires ("urn:ietf:params:oauth:request_uri:…").
// A request_uri that is a URL names where a request object is published,
// and stays as evidence.
func requestHandle(name, value string) bool {
	return strings.EqualFold(name, "request_uri") && !strings.Contains(value, "://")
}

// RedactURL replaces secret values in a URL's query and fragment with their
// fingerprints and masks personal ones, keeping everything else (scheme, host,
// path, parameter names and order) so the URL still reads as evidence.
// Userinfo passwords are masked. Unparseable input is returned with its whole
// query and fragment masked rather than risk a leak.
//
// Values the names do not give away but whose shape does (a JWT in any
// parameter or path segment, a credential after a credential-like name) are
// fingerprinted too: output writers sweep by shape as a last line, but a
// table that wraps a long URL cuts a token into pieces the sweep no longer
// recognises (Cloudflare Access's signed "meta" parameter did), so the URL
// must already be clean when it is laid out.
func RedactURL(raw string) string { return secretscan.RedactString(redactURL(raw, 0, nil)) }

// RedactURLCollect is RedactURL that also calls add with each value it
// fingerprinted by its parameter's name: what a Scrubber needs to catch the
// same value elsewhere, where no name gives it away.
func RedactURLCollect(raw string, add func(Secret)) string {
	return secretscan.RedactString(redactURL(raw, 0, add))
}

// maxNest bounds URLs and query strings inside parameters inside URLs.
const maxNest = 4

func redactURL(raw string, depth int, add func(Secret)) string {
	raw = OneTimePath(raw, func(seg string) string {
		if add != nil {
			add(New(seg))
		}
		return Fingerprint(seg)
	})
	raw = PathParams(raw, func(name, value string) string {
		red := RedactParam(name, value)
		if red != value && add != nil && !IsMaskedParam(name) {
			add(New(value))
		}
		return red
	})
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?#"); i >= 0 {
			return raw[:i] + "?[redacted]"
		}
		return raw
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "[redacted]")
		} else if u.User.Username() != "" {
			// A user name alone may be a token (git over HTTPS takes
			// one there); a user name is masked anyway.
			u.User = url.User("[redacted]")
		}
	}
	if u.RawQuery != "" {
		u.RawQuery = redactPairs(u.RawQuery, "&", depth, add, false)
	}
	frag := u.EscapedFragment()
	if frag != "" && strings.Contains(frag, "=") {
		// A hash-routed fragment ("#/callback?code=…", "#!/cb?…") has
		// its parameters after the route.
		route, pairs := HashRoute(frag)
		red := route + redactPairs(pairs, "&", depth, add, false)
		u.Fragment, _ = url.PathUnescape(red)
		u.RawFragment = red
	}
	return u.String()
}

// HashRoute splits a fragment read as parameters into a single-page app's
// route ("/callback?", "!/cb?") and the parameters after it; a fragment
// without a route is all parameters.
func HashRoute(frag string) (route, params string) {
	q := strings.IndexByte(frag, '?')
	if q < 0 {
		return "", frag
	}
	if eq := strings.IndexByte(frag, '='); eq >= 0 && eq < q {
		return "", frag
	}
	return frag[:q+1], frag[q+1:]
}

// PathParams rewrites the ";name=value" parameters of a URL's path (Java's
// ;jsessionid=…, a matrix parameter) with fn, leaving every other byte as
// it was. The query and fragment are not looked at.
func PathParams(raw string, fn func(name, value string) string) string {
	end := strings.IndexAny(raw, "?#")
	if end < 0 {
		end = len(raw)
	}
	head := raw[:end]
	if strings.IndexByte(head, ';') < 0 {
		return raw
	}
	path := 0
	if i := strings.Index(head, "://"); i >= 0 {
		path = i + 3
		if j := strings.IndexByte(head[path:], '/'); j >= 0 {
			path += j
		}
		// Without a path, the authority is looked at too: a ';' there
		// is damage, and a secret after it is still one.
	}
	var b strings.Builder
	last := path
	b.WriteString(head[:path])
	for i := path; i < len(head); i++ {
		if head[i] != ';' {
			continue
		}
		seg := head[i+1:]
		if k := strings.IndexAny(seg, ";/"); k >= 0 {
			seg = seg[:k]
		}
		name, value, ok := strings.Cut(seg, "=")
		if !ok || value == "" {
			continue
		}
		dv := value
		if u, err := url.PathUnescape(value); err == nil {
			dv = u
		}
		red := fn(name, dv)
		if red == dv {
			continue
		}
		if !IsFingerprint(red) {
			red = url.PathEscape(red)
		}
		start := i + 1 + len(name) + 1
		b.WriteString(head[last:start])
		b.WriteString(red)
		last = start + len(value)
	}
	if last == path {
		return raw
	}
	b.WriteString(head[last:])
	return b.String() + raw[end:]
}

// oneTimeWords are path segments after which a one-time link carries its
// token as a segment of its own ("/reset-password/<token>",
// "/auth/magic-link/<token>", Django's "/reset/<uid>/<token>/", a login
// link's "/login/<token>", an unsubscribe or approval link's), or an API
// names a token by itself ("/v1/tokens/<token>/revoke", Vault's
// "/auth/token/lookup/<token>"), compared with case, '-' and '_' ignored.
var oneTimeWords = []string{"reset", "resetpassword", "passwordreset", "magic", "magiclink", "magiclogin", "invite", "invitation",
	"invitations", "confirm", "confirmemail", "emailconfirm", "confirmation", "verify", "verifyemail", "emailverification",
	"activate", "activation", "login", "signin", "unsubscribe", "onetime", "approve", "token", "tokens"}

// sessionPathWords are path segments after which a REST API or a
// WebDriver server names a session by its id ("/v2/sessions/<id>",
// "/session/<id>/url"): the id replays the session as a cookie's would.
var sessionPathWords = []string{"session", "sessions"}

// webhookPathWords are path segments after which a webhook URL carries its
// secret ("/api/webhooks/<id>/<token>"); on a host named hooks.… (Slack's,
// Zapier's) every segment shaped like a token is one.
var webhookPathWords = []string{"webhook", "webhooks"}

// OneTimePath rewrites with fn the path segments of raw that hold a
// one-time link's token, a session's id or a webhook's secret: of the two
// segments after one of oneTimeWords or webhookPathWords, of the one
// segment after one of sessionPathWords (a GUID there stays, as a session
// id's GUID does everywhere: KeepSessionValue), and of every segment on a
// hooks.… host, each shaped like a token (8 bytes or more of letters,
// digits and "-_.~=%", a digit and a letter among them), and a bot API's
// token carried as "bot<id>:<secret>" (Telegram's), from its id on.
// Everything else, the query and fragment included, is left byte for
// byte.
func OneTimePath(raw string, fn func(seg string) string) string {
	end := strings.IndexAny(raw, "?#")
	if end < 0 {
		end = len(raw)
	}
	path := 0
	hooks := false
	if i := strings.Index(raw[:end], "://"); i >= 0 && scheme(raw[:i]) {
		path = i + 3
		j := strings.IndexByte(raw[path:end], '/')
		if j < 0 {
			return raw
		}
		hooks = j > 6 && strings.EqualFold(raw[path:path+6], "hooks.")
		path += j
	}
	var b strings.Builder
	last, after, session := 0, 0, false
	if hooks {
		after = 1 << 30
	}
	for i := path; i < end; {
		if raw[i] != '/' {
			i++
			continue
		}
		s := i + 1
		e := s
		for e < end && raw[e] != '/' {
			e++
		}
		seg := raw[s:e]
		i = e
		switch {
		case botToken(seg):
			if red := fn(seg[3:]); red != seg[3:] {
				b.WriteString(raw[last : s+3])
				b.WriteString(red)
				last = e
			}
		case casTicket(seg):
			if red := fn(seg); red != seg {
				b.WriteString(raw[last:s])
				b.WriteString(red)
				last = e
			}
		case pathWord(seg, oneTimeWords):
			after, session = 2, false
		case pathWord(seg, sessionPathWords):
			after, session = 1, true
		case pathWord(seg, webhookPathWords):
			after, session = 2, false
		case after > 0:
			after--
			if pathToken(seg) && !(session && KeepSessionValue(seg)) {
				if red := fn(seg); red != seg {
					b.WriteString(raw[last:s])
					b.WriteString(red)
					last = e
				}
			}
		}
	}
	if last == 0 {
		return raw
	}
	b.WriteString(raw[last:])
	return b.String()
}

// casTicket reports a CAS ticket as a path segment: a ticket-granting
// ticket names the single sign-on session in the CAS REST API's Location
// (/cas/v1/tickets/TGT-1-…-host), and service and proxy tickets are
// redeemed as codes are. A ticket is its type, a '-', a serial number, a
// '-' and a random part.
func casTicket(seg string) bool {
	for _, p := range []string{"TGT-", "PGT-", "PGTIOU-", "ST-", "PT-"} {
		rest, ok := strings.CutPrefix(seg, p)
		if !ok {
			continue
		}
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		return n > 0 && n < len(rest) && rest[n] == '-' && pathToken(rest[n+1:])
	}
	return false
}

// scheme reports a URL scheme (RFC 3986: a letter, then letters, digits,
// '+', '-', '.').
func scheme(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// pathWord reports a segment that is one of words, compared with case,
// '-' and '_' ignored.
func pathWord(seg string, words []string) bool {
	if len(seg) < 5 || len(seg) > 24 {
		return false
	}
	var buf [24]byte
	n := 0
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c == '-' || c == '_':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	for _, w := range words {
		if string(buf[:n]) == w {
			return true
		}
	}
	return false
}

// botToken reports a segment "bot<id>:<secret>", a bot API's token in its
// URL path (Telegram's "bot123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"): an
// id of digits, then a token-shaped secret of 20 bytes or more.
func botToken(seg string) bool {
	if len(seg) < 3+1+1+20 || !strings.EqualFold(seg[:3], "bot") {
		return false
	}
	id, sec, ok := strings.Cut(seg[3:], ":")
	if !ok || id == "" || len(sec) < 20 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return pathToken(sec)
}

// pathToken reports a path segment shaped like a token.
func pathToken(seg string) bool {
	if len(seg) < 8 || IsFingerprint(seg) {
		return false
	}
	letter, digit := false, false
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case strings.IndexByte("-_.~=%", c) < 0:
			return false
		}
	}
	return letter && digit
}

// keepOpaque are parameters whose long random-looking values are no
// secret and are read as evidence: a PKCE S256 challenge is a hash, a
// client id names the app, an error or request id is looked up.
var keepOpaque = map[string]bool{"code_challenge": true, "client_id": true, "redirect_uri": true, "request_uri": true,
	"scope": true, "resource": true, "audience": true, "client-request-id": true, "correlation_id": true, "trace_id": true,
	// IdentityServer's error page names its error by a protected id
	// support looks up.
	"errorid": true, "error_id": true, "request_id": true, "requestid": true}

// opaqueTokenMin is the shortest value OpaqueToken takes for a token.
const opaqueTokenMin = 32

// OpaqueToken reports a parameter value shaped like a token or key: at
// least opaqueTokenMin bytes of the base64 and token alphabets only,
// letters and digits mixed, 4 bits of entropy per byte or more, neither a
// GUID nor a fingerprint, and not under a name whose value is evidence.
func OpaqueToken(name, v string) bool {
	if len(v) < opaqueTokenMin || len(v) > 1<<16 || keepOpaque[strings.ToLower(name)] || IsFingerprint(v) || IsGUID(v) {
		return false
	}
	var counts [256]int
	letter, digit := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=':
		default:
			return false
		}
		counts[c]++
	}
	if !letter || !digit {
		return false
	}
	h, n := 0.0, float64(len(v))
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			h -= p * math.Log2(p)
		}
	}
	return h >= 4.0
}

// holdsNamedSecret reports a parameter value that is JSON text, or base64
// or base64url of JSON text or of a form body, in which a member or
// parameter named as a secret has a value.
func holdsNamedSecret(v string) bool {
	t := strings.TrimSpace(v)
	if len(t) < 8 {
		return false
	}
	if t[0] != '{' && t[0] != '[' {
		dec, ok := decodeBase64Text(t)
		if !ok {
			return false
		}
		t = strings.TrimSpace(dec)
		if t == "" {
			return false
		}
		if t[0] != '{' && t[0] != '[' {
			for _, p := range strings.Split(t, "&") {
				if k, val, ok := strings.Cut(p, "="); ok && val != "" && namesSecret(k) {
					return true
				}
			}
			return false
		}
	}
	// Member names: each string followed by ':' (JSON is not parsed: a
	// report only needs to know whether to hide the whole value).
	for i := 0; i < len(t); i++ {
		if t[i] != '"' {
			continue
		}
		end := strings.IndexByte(t[i+1:], '"')
		if end < 0 {
			return false
		}
		name := t[i+1 : i+1+end]
		i += 1 + end
		j := i + 1
		for j < len(t) && (t[j] == ' ' || t[j] == '\t') {
			j++
		}
		if j < len(t) && t[j] == ':' && namesSecret(name) {
			return true
		}
	}
	return false
}

func namesSecret(name string) bool {
	return IsSecretParam(name) || IsMaskedParam(name) || IsSessionParam(name) || IsCredentialName(name)
}

// decodeBase64Text decodes v as base64 or base64url, padded or not, to
// UTF-8 text.
func decodeBase64Text(v string) (string, bool) {
	if len(v) > 1<<16 {
		return "", false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_' || c == '=') {
			return "", false
		}
	}
	for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.StdEncoding} {
		if b, err := enc.DecodeString(v); err == nil && utf8.Valid(b) {
			return string(b), true
		}
	}
	return "", false
}

// CollectForm calls add with each value of an application/x-www-form-
// urlencoded body that RedactURLCollect would give for it as a URL's
// query: what a scrubber learns from a request or answer body. It writes
// no redacted copy (no URL to parse and print, no sweep by shape of the
// result), which cost a scan of 10,000 token requests 5 % of its CPU. A
// body with a '#' is read as a URL reads it, its fragment apart.
func CollectForm(body string, add func(Secret)) {
	if strings.IndexByte(body, '#') >= 0 {
		RedactURLCollect("http://body.invalid/?"+body, add)
		return
	}
	redactPairs(body, "&", 0, add, true)
}

// RedactForm redacts an application/x-www-form-urlencoded body the same way.
func RedactForm(body string) string { return redactPairs(body, "&", 0, nil, false) }

// redactPairs rewrites k=v pairs in order without re-sorting or re-encoding
// the ones it leaves alone. A PKCE code_challenge is kept only with the S256
// method: with "plain" (or no method) the challenge is the verifier itself.
//
// A value that is itself a URL with a query or fragment, or a URL-encoded
// query string (Office's qs=WOPIsrc%3D…%26access_token%3D…), has its own
// parameters redacted the same way, up to maxNest levels.
func redactPairs(s, sep string, depth int, add func(Secret), collectOnly bool) string {
	parts := strings.Split(s, sep)
	plainPKCE := true
	for _, p := range parts {
		if k, v, ok := strings.Cut(p, "="); ok && strings.EqualFold(k, "code_challenge_method") {
			plainPKCE = !strings.EqualFold(v, "S256")
		}
	}
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			if dec, yes := encodedPairs(p); yes && depth < maxNest {
				// Pairs encoded whole ("?code%3D…%26state%3D…"): read
				// as a server that decodes once more would.
				if sub := redactPairs(dec, "&", depth+1, add, collectOnly); !collectOnly && sub != dec {
					parts[i] = EscapePairs(sub)
				}
			}
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			val = v
		}
		// Collecting only, whether RedactParam changes the value is known
		// from the name and the value, without hashing it.
		red, changed := val, false
		if collectOnly {
			changed = paramChanges(name, val)
		} else {
			red = RedactParam(name, val)
			changed = red != val
		}
		if add != nil && IsSecretParam(name) && val != "" {
			add(New(val))
		}
		if plainPKCE && strings.EqualFold(name, "code_challenge") && val != "" {
			if collectOnly {
				changed = !IsFingerprint(val)
			} else {
				red = Fingerprint(val)
				changed = red != val
			}
			if add != nil {
				add(New(val))
			}
		}
		if !changed && depth < maxNest {
			if head, tail, ok := SemicolonPairs(v); ok {
				// Pairs after a ';' in a value whose name says nothing
				// ("x=1;code=…"): servers that split a query at ';' too
				// (Python's parse_qs did until 3.9.2) read them as
				// parameters; the value's own part stays as it was.
				sub := redactPairs(tail, ";", depth+1, add, collectOnly)
				if collectOnly {
					// Whether the pairs change decides, as below, whether
					// the value is read any further.
					if redactPairs(tail, ";", depth+1, nil, false) != tail {
						continue
					}
				} else if sub != tail {
					parts[i] = k + "=" + head + ";" + sub
					continue
				}
			}
			switch {
			case relativeURL(val) || strings.Contains(val, "://") && strings.ContainsAny(val, "?#"):
				red = redactURL(val, depth+1, add)
			case strings.Contains(val, "=") && strings.Contains(val, "&") && !strings.ContainsAny(val, " <>{}\""):
				red = redactPairs(val, "&", depth+1, add, collectOnly)
			case OpaqueToken(name, val):
				// A value no name gives away but shaped like a token
				// (an access token echoed as ?t=…): a report cannot
				// know every token the trace issued (exchanges reads no
				// response body), so it fails closed on the shape.
				red = Fingerprint(val)
				if add != nil {
					add(New(val))
				}
			case holdsNamedSecret(val):
				// JSON text or base64 of JSON or a form that names a
				// secret inside: a report shows the parameter's
				// fingerprint (a copy redacts inside it).
				red = Fingerprint(val)
				if add != nil {
					add(New(val))
				}
			case strings.Contains(val, "%") && !strings.Contains(val, "&"):
				// Encoded once more (a return URL carried
				// twice-encoded): its decoded form is read the same way
				// under the same name, and written back encoded.
				pre := url.QueryEscape(name) + "="
				if sub := redactPairs(pre+val, "&", depth+1, add, collectOnly); !collectOnly && strings.HasPrefix(sub, pre) {
					red = sub[len(pre):]
				}
			}
		}
		if red != val && !collectOnly {
			// A fingerprint goes in as it is: a colon needs no escape in a
			// query or fragment, and "sha256:…" must read the same in a URL
			// as in every other field, so that one search finds it.
			if !IsFingerprint(red) {
				red = url.QueryEscape(red)
			}
			parts[i] = k + "=" + red
		}
	}
	if collectOnly {
		return ""
	}
	return strings.Join(parts, sep)
}

// encodedPairs decodes a query part without '=' whose escapes hold one
// ("code%3D…%26state%3D…"); ok is false for any other part.
func encodedPairs(p string) (string, bool) {
	if !strings.Contains(p, "%3D") && !strings.Contains(p, "%3d") {
		return "", false
	}
	dec, err := url.QueryUnescape(p)
	if err != nil || strings.IndexByte(dec, '=') <= 0 {
		return "", false
	}
	return dec, true
}

// EscapePairs query-escapes pairs written back whole, ':' left as it is so
// that a fingerprint reads "sha256:…" there too.
func EscapePairs(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(url.QueryEscape(s), "%3A", ":"), "%3a", ":")
}

// SemicolonPairs splits a parameter's raw value at its first ';' when
// what follows reads as name=value pairs: a name of letters, digits, spaces
// and "_.-$[]%" right after the ';', then '=' ("x=1; code=…" as a cookie
// writes it). ok is false otherwise (a scope list "a;b", a value with no
// ';'). Reports and redact's copies split values by it alike.
func SemicolonPairs(v string) (head, tail string, ok bool) {
	i := strings.IndexByte(v, ';')
	if i < 0 {
		return "", "", false
	}
	tail = v[i+1:]
	eq := strings.IndexByte(tail, '=')
	if eq <= 0 {
		return "", "", false
	}
	for j := 0; j < eq; j++ {
		c := tail[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-$[]% ", c) >= 0) {
			return "", "", false
		}
	}
	return v[:i], tail, true
}

// relativeURL reports a relative URL with a query or fragment whose
// parameters follow the path ("/signin-oidc?code=…", "cb#id_token=…"):
// a return URL kept as a parameter.
func relativeURL(v string) bool {
	q := strings.IndexAny(v, "?#")
	eq := strings.IndexByte(v, '=')
	return q > 0 && eq > q && !strings.Contains(v, "://") && !strings.ContainsAny(v[:q], " =&<>\"{}")
}

// paramChanges reports whether RedactParam(name, value) differs from
// value: what it fingerprints or masks, unless it is a fingerprint or a
// mask already.
func paramChanges(name, value string) bool {
	switch {
	case value == "":
		return false
	case IsSecretParam(name):
		return !IsFingerprint(value)
	case IsMaskedParam(name):
		return Mask(value) != value
	case IsSessionParam(name):
		return !KeepSessionValue(value) && !IsFingerprint(value)
	case IsCredentialName(name):
		if strings.Contains(strings.ToLower(name), "passw") {
			return Mask(value) != value
		}
		return !IsFingerprint(value)
	}
	return false
}

// emailPattern finds e-mail addresses and UPNs in free text (provider
// error descriptions quote them: "AADSTS50034: The user account
// alice@contoso.com does not exist").
var emailPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
})

// MaskEmails masks e-mail addresses and UPNs in free text: personal data,
// masked rather than hashed.
func MaskEmails(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return emailPattern().ReplaceAllString(s, "[redacted-email]")
}

// textPairPattern finds name=value pairs in free text: a page a gateway or
// server answers with can echo the request ("Cookie sid=…", "password=…"),
// and its words are quoted as a provider error's description.
var textPairPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b([A-Za-z][A-Za-z0-9_.-]{0,63})=("?)([^\s"'&;,<>]+)`)
})

// RedactText masks e-mail addresses and UPNs in free text (personal data,
// masked rather than hashed), and the value of each name=value pair whose
// name says it holds a secret, as RedactParam does in a query.
func RedactText(s string) string {
	s = MaskEmails(s)
	if strings.Contains(s, "=") {
		s = textPairPattern().ReplaceAllStringFunc(s, func(pair string) string {
			m := textPairPattern().FindStringSubmatch(pair)
			if r := RedactParam(m[1], m[3]); r != m[3] {
				return m[1] + "=" + m[2] + r
			}
			return pair
		})
	}
	return s
}

// CredentialTime reports a time about a credential under a name that says
// so: its last word a time's (Okta's passwordChanged, Firebase's
// passwordUpdatedAt, password_changed_at, pwdLastSet) and its value a
// timestamp (RFC 3339, or seconds or milliseconds since 1970). Support
// reads it (a password changed after a token was issued revokes it); a
// credential's name alone would mask it.
func CredentialTime(name, v string) bool {
	words := nameWords(name)
	if len(words) < 2 {
		return false
	}
	switch words[len(words)-1] {
	case "at", "on", "changed", "updated", "created", "set", "time", "date", "timestamp":
	default:
		return false
	}
	if len(v) == 10 || len(v) == 13 {
		digits := true
		for i := 0; i < len(v); i++ {
			digits = digits && v[i] >= '0' && v[i] <= '9'
		}
		if digits {
			return true
		}
	}
	_, err := time.Parse(time.RFC3339Nano, v)
	return err == nil
}
