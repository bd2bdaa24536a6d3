package secret

import (
	"strings"
	"testing"
)

// FuzzMayHaveURLTokens: the shortcut never says no where URLTokens finds
// a token.
func FuzzMayHaveURLTokens(f *testing.F) {
	for _, s := range []string{
		"https://app.example/cb#access_token=eyJ0eXAi&id_token=x",
		"https://api.example/me?ACCESS_TOKEN=abcdefgh",
		"https://api.example/me?access%5Ftoken=abcdefgh",
		"https://wopi.example/x?qs=WOPIsrc%3Dhttps%253A%252F%252Fh%26access_token%3Dabc",
		"https://api.example/me?access_to\u212Aen=abcdefgh",
		"https://api.example/me?access_to%E2%84%AAen=abcdefgh",
		"https://api.example/me?access_%74o%4Ben=abcdefgh",
		"https://w.example/?qs=WOPIsrc%3Dx%26access_%2574oken%3Dabcdefgh",
		"https://api.example/me?a=1;+refresh_token+=zz",
		"https://idp.example/authorize?client_id=c&state=s",
		"https://idp.example/authorize",
		"?token",
		"#",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if got, want := queryStart(raw), strings.IndexAny(raw, "?#"); got != want {
			t.Errorf("queryStart(%q) = %d, IndexAny says %d", raw, got, want)
		}
		if got, want := containsToken(raw), strings.Contains(strings.ToLower(raw), "token"); got != want {
			t.Errorf("containsToken(%q) = %v, lowering says %v", raw, got, want)
		}
		if toks := URLTokens(raw); len(toks) > 0 && !MayHaveURLTokens(raw) {
			t.Errorf("MayHaveURLTokens(%q) = false, URLTokens finds %d", raw, len(toks))
		}
	})
}

// TestMayHaveURLTokens pins the answers of the shortcut both ways.
func TestMayHaveURLTokens(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://api.example/me?ACCESS_TOKEN=abcdefgh":                                            true,
		"https://api.example/me?access%5Ftoken=abcdefgh":                                          true,
		"https://app.example/cb#id_token=x":                                                       true,
		"https://api.example/me?access_to\u212Aen=abcdefgh":                                       true,
		"https://api.example/me?access_to%E2%84%AAen=abcdefgh":                                    true,
		"https://api.example/me?access_%74o%4Ben=abcdefgh":                                        true,
		"https://w.example/?qs=WOPIsrc%3Dx%26access_%2574oken%3Dabcdefgh":                         true,
		"https://app.example/cb?redirect_uri=https%3A%2F%2Fapp.example%2Fsignin-oidc&state=a%2Bb": false,
		"https://idp.example/authorize?client_id=c&state=s":                                       false,
		"https://idp.example/token":                                                               false, // "token" in the path only
		"https://idp.example/authorize?response_type=code&scope=o":                                false,
	} {
		if got := MayHaveURLTokens(raw); got != want {
			t.Errorf("MayHaveURLTokens(%q) = %v, want %v", raw, got, want)
		}
		if !want && len(URLTokens(raw)) > 0 {
			t.Errorf("URLTokens(%q) finds a token the case says is not there", raw)
		}
	}
}

// TestURLTokensThroughEscapes: the escapes MayHaveURLTokens looks for do
// hide tokens URLTokens finds, so the shortcut must say yes to them.
func TestURLTokensThroughEscapes(t *testing.T) {
	for _, raw := range []string{
		"https://api.example/me?access_%74o%4Ben=abcdefgh",
		"https://api.example/me?access_to%E2%84%AAen=abcdefgh",
		"https://w.example/?qs=WOPIsrc%3Dx%26access_%2574oken%3Dabcdefgh",
	} {
		if len(URLTokens(raw)) == 0 {
			t.Errorf("URLTokens(%q) finds no token", raw)
		}
		if !MayHaveURLTokens(raw) {
			t.Errorf("MayHaveURLTokens(%q) = false", raw)
		}
	}
}

// TestQueryStart: where the query or fragment starts, as strings.IndexAny
// finds it.
func TestQueryStart(t *testing.T) {
	for _, s := range []string{"", "?", "#", "a?b#c", "a#b?c", "https://h/p", "https://h/p?q=1", "https://h/p#f",
		"https://h/p#f?x", "https://h/p?q#f", "??", "##", "\u00e9?\u00e9", "x#"} {
		if got, want := queryStart(s), strings.IndexAny(s, "?#"); got != want {
			t.Errorf("queryStart(%q) = %d, want %d", s, got, want)
		}
	}
}

// TestContainsToken: the ASCII search answers as lowering and searching.
func TestContainsToken(t *testing.T) {
	for _, s := range []string{"", "toke", "token", "TOKEN", "xToKeNx", "to ken", "tokeN", "\u212Aen", "to\u212Aen",
		"TO\u212AEN", "t\x00ken", "access_TOKEN=1", "tOkEn\xff", "Tok", "4OKEN", "TOKEn"} {
		if got, want := containsToken(s), strings.Contains(strings.ToLower(s), "token"); got != want {
			t.Errorf("containsToken(%q) = %v, want %v", s, got, want)
		}
	}
}
