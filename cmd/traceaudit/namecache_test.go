package main

import (
	"slices"
	"testing"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
)

// TestNameCacheByText: the cache answers what kindOf answers, also for a
// name read again from bytes since rewritten in place (a view into a body
// buffer the reader reuses): its front is found by where the bytes lie, but
// an entry is taken only for the same text.
func TestNameCacheByText(t *testing.T) {
	nc := newNameCache()
	buf := []byte("authorization")
	name := unsafe.String(&buf[0], len(buf))
	if k := nc.kind(name); k != kindOf("authorization") || k&nameAuthorization == 0 {
		t.Fatalf("authorization: kind %b, want %b", k, kindOf("authorization"))
	}
	if k := nc.kind(name); k&nameAuthorization == 0 {
		t.Fatalf("authorization again: kind %b", k)
	}
	copy(buf, "x-request-ids") // the same length, where the bytes were
	if k := nc.kind(name); k != kindOf("x-request-ids") || k&nameAuthorization != 0 {
		t.Fatalf("x-request-ids read where authorization was: kind %b, want %b", k, kindOf("x-request-ids"))
	}
	for _, n := range []string{"Cookie", "COOKIE", "Coo\u212Aie", "Set-Cookie", "\u017Fet-Coo\u212Aie2", "Proxy-Authorization",
		"X-Api-Key", "client_secret", "token_type", "accept", "", "Cookies"} {
		for range 2 {
			if got, want := nc.kind(n), kindOf(n); got != want {
				t.Errorf("%q: kind %b, want %b", n, got, want)
			}
		}
		if got, want := (nameCache{}).kind(n), kindOf(n); got != want {
			t.Errorf("%q without a cache: kind %b, want %b", n, got, want)
		}
	}
	if kindOf("Coo\u212Aie")&nameCookie == 0 || kindOf("\u017Fet-Cookie")&nameSetCookie == 0 || kindOf("Cookies") != 0 {
		t.Errorf("kindOf does not fold as strings.EqualFold: %b %b %b", kindOf("Coo\u212Aie"), kindOf("\u017Fet-Cookie"), kindOf("Cookies"))
	}
}

// TestHeaderSecretsFoldedNames: the credentials of header fields whose names
// are Cookie, Set-Cookie or Authorization only under Unicode folding (a
// Kelvin sign, a long s) are learnt as those of the plain names.
func TestHeaderSecretsFoldedNames(t *testing.T) {
	const session, bearer = "s3ss10n-0123456789abcdefXYZ", "b34r3r-0123456789abcdefXYZ"
	ex := &model.Exchange{
		Request: model.Request{Headers: model.Headers{
			{Name: "Coo\u212Aie", Value: "sid=" + session},
			{Name: "AUTHORIZATION", Value: "Bearer " + bearer},
		}},
		Response: &model.Response{Headers: model.Headers{{Name: "\u017Fet-Cookie", Value: "sid=" + session + "2; Path=/"}}},
	}
	want := []string{session, bearer, session + "2"}
	for _, nc := range []nameCache{newNameCache(), {}} {
		var got []string
		for range 2 { // the second time from the cache
			got = got[:0]
			for _, v := range appendExchangeSecrets(nil, ex, nc) {
				got = append(got, v.Reveal())
			}
			if !slices.Equal(got, want) {
				t.Fatalf("learnt %q, want %q", got, want)
			}
		}
	}
}
