package secret

import (
	"strings"
	"testing"
)

// TestKeyName: a key named as a secret one in any style (Azure's listKeys
// answers, a function app's keys, x-functions-key) is a credential; a
// public, partition or idempotency key, a name about a key and a bare
// "key" are not (a bare key= is a parameter of the lists, not of this rule).
func TestKeyName(t *testing.T) {
	for _, n := range []string{"primaryKey", "secondaryKey", "AccountKey", "masterKey", "primaryReadonlyMasterKey", "x-functions-key",
		"X-Master-Key", "X-Client-Key", "functionKeys", "systemKeys", "key1", "KEY2", "shared_key", "signing-key", "DD-Application-Key"} {
		if !KeyName(n) || !IsCredentialName(n) {
			t.Errorf("%s: KeyName %v, IsCredentialName %v, want both", n, KeyName(n), IsCredentialName(n))
		}
	}
	for _, n := range []string{"key", "keys", "publicKey", "partitionKey", "Sec-WebSocket-Key", "Idempotency-Key", "keyName", "keyId",
		"sortKey", "monkey", "key1x", "primaryKeyName", "cacheKey", strings.Repeat("a", 80) + "masterkey"} {
		if KeyName(n) {
			t.Errorf("%s: KeyName true", n)
		}
	}
	if !IsSecretHeader("x-functions-key") || IsSecretHeader("Sec-WebSocket-Key") {
		t.Error("IsSecretHeader: x-functions-key must be secret, Sec-WebSocket-Key not")
	}
}

// TestShortPasswordNamesAndAuth: pass, pw and passphrase are masked;
// Firebase's ?auth= is fingerprinted.
func TestShortPasswordNamesAndAuth(t *testing.T) {
	for _, n := range []string{"pass", "PW", "passphrase"} {
		if got := RedactParam(n, "hunter2"); got != "[redacted]" {
			t.Errorf("RedactParam(%s) = %q", n, got)
		}
	}
	if got := RedactParam("auth", "eyJtok"); got != Fingerprint("eyJtok") {
		t.Errorf("RedactParam(auth) = %q", got)
	}
}

// TestRedactURLSemicolonAndEncodedPairs: pairs after a ';' in a value
// whose name says nothing, and pairs encoded whole, are read as
// parameters; the value before the ';', other parameters and a list
// joined by ';' stay as they were, and a secret's whole value is still
// fingerprinted whole.
func TestRedactURLSemicolonAndEncodedPairs(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	for _, tc := range []struct{ in, want string }{
		{"https://a.example/cb?x=1;code=" + v + "&y=2", "https://a.example/cb?x=1;code=" + Fingerprint(v) + "&y=2"},
		{"https://a.example/cb?x=1;a=2;Password=" + v, "https://a.example/cb?x=1;a=2;Password=%5Bredacted%5D"},
		{"https://a.example/cb?scope=a;b&x=1", "https://a.example/cb?scope=a;b&x=1"},
		{"https://a.example/cb?x=a;b=1", "https://a.example/cb?x=a;b=1"},
		{"https://a.example/cb?state=abc;def=1", "https://a.example/cb?state=" + Fingerprint("abc;def=1")},
		{"https://a.example/cb?code%3D" + v + "%26state%3Dx", "https://a.example/cb?code%3D" + Fingerprint(v) + "%26state%3D" + Fingerprint("x")},
		{"https://a.example/cb?note%3Dhello", "https://a.example/cb?note%3Dhello"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q)\n got  %q\n want %q", tc.in, got, tc.want)
		}
	}
	var got []string
	CollectForm("x=1;code="+v+"&y=2", func(s Secret) { got = append(got, s.Reveal()) })
	if len(got) != 1 || got[0] != v {
		t.Errorf("CollectForm after ';': %q", got)
	}
}

// TestPasswordName: a name whose last word is pass or pwd is a password,
// masked; bypass, compass and a bare pwd's neighbours are not.
func TestPasswordName(t *testing.T) {
	for _, n := range []string{"db_pass", "smtpPwd", "userPWD", "SSL-Pass", "mysql.pwd"} {
		if !PasswordName(n) || !IsMaskedParam(n) || RedactParam(n, "hunter2") != "[redacted]" {
			t.Errorf("%s: PasswordName %v, IsMaskedParam %v, RedactParam %q", n, PasswordName(n), IsMaskedParam(n), RedactParam(n, "hunter2"))
		}
	}
	for _, n := range []string{"bypass", "compass", "passport", "pwdless", "pass_through_mode", "pwd"} {
		if PasswordName(n) {
			t.Errorf("%s: PasswordName true", n)
		}
	}
}

// TestOneTimePathAndUserName: a one-time link's token in a path segment
// (after reset-password, magic-link, invite; Django's reset/<uid>/<token>)
// and a URL's user name alone are hidden; words, ids too short or without
// a digit, the segment two after, and the query stay.
func TestOneTimePathAndUserName(t *testing.T) {
	const v = "Qx7Lp2Vw9Kz3Tn5R"
	fp := Fingerprint(v)
	for _, tc := range []struct{ in, want string }{
		{"https://a.example/reset-password/" + v + "?x=1", "https://a.example/reset-password/" + fp + "?x=1"},
		{"https://a.example/auth/Magic_Link/" + v + "/confirm", "https://a.example/auth/Magic_Link/" + fp + "/confirm"},
		{"https://a.example/reset/MQ/" + v + "/", "https://a.example/reset/MQ/" + fp + "/"},
		{"/invite/" + v, "/invite/" + fp},
		{"https://a.example/confirm/email/settings/" + v, "https://a.example/confirm/email/settings/" + v},
		{"https://a.example/api/verify/abcdefghij", "https://a.example/api/verify/abcdefghij"},
		{"https://a.example/factors/f1/verify", "https://a.example/factors/f1/verify"},
		{"https://" + v + "@git.example/o/r.git", "https://%5Bredacted%5D@git.example/o/r.git"},
		// The thirteenth round: login, unsubscribe and approval links,
		// a token an API names in its path.
		{"https://a.example/login/" + v, "https://a.example/login/" + fp},
		{"https://a.example/signin/email/" + v, "https://a.example/signin/email/" + fp},
		{"https://a.example/unsubscribe/" + v, "https://a.example/unsubscribe/" + fp},
		{"https://api.example/v1/tokens/" + v + "/revoke", "https://api.example/v1/tokens/" + fp + "/revoke"},
		{"https://vault.example/v1/auth/token/lookup/" + v, "https://vault.example/v1/auth/token/lookup/" + fp},
		{"https://github.com/login/oauth/authorize?client_id=x", "https://github.com/login/oauth/authorize?client_id=x"},
		{"https://a.example/oauth2/token", "https://a.example/oauth2/token"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q)\n got  %q\n want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzOneTimePath: OneTimePath never panics, leaves the query and
// fragment as they were, and a token planted after reset-password at the
// end of any path never survives.
func FuzzOneTimePath(f *testing.F) {
	for _, s := range []string{"", "https://a.example", "https://a.example/reset/x", "/invite//", "//reset/12345678a", "http://x/verify/a1?b#c/reset/a1b2c3d4e5"} {
		f.Add(s)
	}
	const marker = "Mk7Qz2Wv9Rx4Tb8Yn5"
	f.Fuzz(func(t *testing.T, raw string) {
		fn := func(seg string) string { return Fingerprint(seg) }
		got := OneTimePath(raw, fn)
		if i := strings.IndexAny(raw, "?#"); i >= 0 && !strings.HasSuffix(got, raw[i:]) {
			t.Fatalf("OneTimePath(%q) = %q: the query or fragment changed", raw, got)
		}
		if strings.ContainsAny(raw, "?#") {
			return
		}
		// After a scheme's authority the planted segments start the path
		// only when the authority ends before them.
		planted := strings.TrimSuffix(raw, "/") + "/reset-password/" + marker
		if i := strings.Index(raw, "://"); i < 0 || !scheme(raw[:i]) || strings.Contains(raw[i+3:], "/") {
			if out := OneTimePath(planted, fn); strings.Contains(out, marker) {
				t.Fatalf("OneTimePath(%q) = %q: the token survived", planted, out)
			}
		}
	})
}
