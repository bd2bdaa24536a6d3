package secret

import "testing"

// TestTokenLike: what a cookie's value, or a short value a secret's name
// held, must look like to be swept from every output and copy. Tokens of
// real traces are (Google's SEARCH_SAMESITE and HSID, an Okta session, a
// zitadel RP session); short flags, locales, numbers, dates, hosts,
// paths, URLs, GUIDs, placeholders and consent strings are not.
func TestTokenLike(t *testing.T) {
	for v, want := range map[string]bool{
		"CgQI5pgB":                             true,
		"AOiDlkphfGSlvWKsu":                    true,
		"newsessiontoken456":                   true,
		"JEwHPqBQrRSuwo_3fnk8uw":               true,
		"existing123":                          true,
		"dGhpc2lzYXNlc3Npb25pZA==":             true, // base64 with padding
		"QWxsTGV0dGVyc05vRGlnaXRz":             true, // 16+ bytes, both cases, no digit
		"s%3AAbC123dEf.gHi456":                 true, // express-session, URL-encoded
		"1":                                    false,
		"true":                                 false,
		"en-US":                                false,
		"darkmode":                             false, // a word
		"1705315800":                           false, // a timestamp
		"2023-7-25-11":                         false, // Google's 1P_JAR: a date
		"19022552-1:19031986-1:":               false,
		"GA1.1.123456789.1705315800":           false, // Google Analytics
		"2026-07-25T11:00:00.000Z":             false,
		"app2.example.com":                     false,
		"/app/v2/home":                         false,
		"https://app2.example.com/x":           false,
		"4e0c1265-10f8-4cb1-a5de-1c3cf70b531c": false,
		"sha256:3af4e718f406":                  false,
		"[redacted]":                           false,
		"isGpcEnabled=0&datestamp=Tue":         false,
		"abc 123 def":                          false,
	} {
		if got := TokenLike(v); got != want {
			t.Errorf("TokenLike(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestTokenKey: the JSON member names the copy and the listings both take
// for tokens (a token cache's keys).
func TestTokenKey(t *testing.T) {
	for _, tc := range []struct {
		k      string
		holder bool
		want   bool
	}{
		{"Zk8Pq2Lm5Rt9Wx3Yb7Nc4Vd6Hs1J", false, true},
		{"Rt7kQ2xW9pL4mN8v", true, true},   // short, under refresh_tokens
		{"Rt7kQ2xW9pL4mN8v", false, false}, // short, under a neutral name
		{"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", false, true},
		{"00u1abc123.00o1idp123-dev-12345.okta.com-refreshtoken-0oa3abc123def--", true, false},
		{"6a1c9b1e-0d2f-4e55-8a4c-2b9f7d3e1a00", true, false},
		{"9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0", false, false},
		{"userPreferencesVersion2", false, false},
	} {
		if got := TokenKey(tc.k, tc.holder); got != tc.want {
			t.Errorf("TokenKey(%q, %v) = %v, want %v", tc.k, tc.holder, got, tc.want)
		}
	}
}
