package secret

import (
	"net/url"
	"regexp"
	"strings"
	"sync"

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
}

// IsSecretParam reports whether a parameter's value is a replayable secret.
func IsSecretParam(name string) bool { return secretParams[strings.ToLower(name)] }

// IsMaskedParam reports whether a parameter's value is personal or a password.
func IsMaskedParam(name string) bool { return maskedParams[strings.ToLower(name)] }

// RedactParam renders one parameter value for output: a fingerprint for a
// secret, a mask for a password or user name, the value otherwise.
func RedactParam(name, value string) string {
	switch {
	case value == "":
		return value
	case IsSecretParam(name):
		return Fingerprint(value)
	case IsMaskedParam(name):
		return Mask(value)
	}
	return value
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
		}
	}
	if u.RawQuery != "" {
		u.RawQuery = redactPairs(u.RawQuery, "&", depth, add)
	}
	frag := u.EscapedFragment()
	if frag != "" && strings.Contains(frag, "=") {
		red := redactPairs(frag, "&", depth, add)
		u.Fragment, _ = url.PathUnescape(red)
		u.RawFragment = red
	}
	return u.String()
}

// RedactForm redacts an application/x-www-form-urlencoded body the same way.
func RedactForm(body string) string { return redactPairs(body, "&", 0, nil) }

// redactPairs rewrites k=v pairs in order without re-sorting or re-encoding
// the ones it leaves alone. A PKCE code_challenge is kept only with the S256
// method: with "plain" (or no method) the challenge is the verifier itself.
//
// A value that is itself a URL with a query or fragment, or a URL-encoded
// query string (Office's qs=WOPIsrc%3D…%26access_token%3D…), has its own
// parameters redacted the same way, up to maxNest levels.
func redactPairs(s, sep string, depth int, add func(Secret)) string {
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
		red := RedactParam(name, val)
		if add != nil && IsSecretParam(name) && val != "" {
			add(New(val))
		}
		if plainPKCE && strings.EqualFold(name, "code_challenge") && val != "" {
			red = Fingerprint(val)
			if add != nil {
				add(New(val))
			}
		}
		if red == val && depth < maxNest {
			switch {
			case strings.Contains(val, "://") && strings.ContainsAny(val, "?#"):
				red = redactURL(val, depth+1, add)
			case strings.Contains(val, "=") && strings.Contains(val, "&") && !strings.ContainsAny(val, " <>{}\""):
				red = redactPairs(val, "&", depth+1, add)
			}
		}
		if red != val {
			// A fingerprint goes in as it is: a colon needs no escape in a
			// query or fragment, and "sha256:…" must read the same in a URL
			// as in every other field, so that one search finds it.
			if !IsFingerprint(red) {
				red = url.QueryEscape(red)
			}
			parts[i] = k + "=" + red
		}
	}
	return strings.Join(parts, sep)
}

// emailPattern finds e-mail addresses and UPNs in free text (provider
// error descriptions quote them: "AADSTS50034: The user account
// alice@contoso.com does not exist").
var emailPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
})

// RedactText masks e-mail addresses and UPNs in free text; personal data,
// masked rather than hashed.
func RedactText(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return emailPattern().ReplaceAllString(s, "[redacted-email]")
}
