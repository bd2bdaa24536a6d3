package redact

import (
	"bytes"
	"strings"
	"testing"
)

// TestVerifiersFromAnotherTrace: a HAR holding only the authorize request
// (the challenge) is redacted knowing the verifier from the incident's
// other trace; its challenge becomes the S256 of that verifier's stand-in,
// the same one the other trace's copy gets, so the copies still prove each
// other. Without the verifier the challenge stays as it is.
func TestVerifiersFromAnotherTrace(t *testing.T) {
	const v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	ch := s256(v)
	har := `{"log":{"version":"1.2","creator":{"name":"t","version":"1"},"entries":[{"startedDateTime":"2026-11-26T10:00:00.000Z","time":1,
"request":{"method":"GET","url":"https://id.test/authorize?client_id=c&response_type=code&code_challenge=` + ch + `&code_challenge_method=S256&state=abcdefgh12345678","httpVersion":"HTTP/1.1","headers":[],"queryString":[],"cookies":[],"headersSize":-1,"bodySize":0},
"response":{"status":302,"statusText":"Found","httpVersion":"HTTP/1.1","headers":[],"cookies":[],"content":{"size":0,"mimeType":""},"redirectURL":"","headersSize":-1,"bodySize":0},
"cache":{},"timings":{"send":0,"wait":0,"receive":0}}]}}`
	var with, without bytes.Buffer
	if _, err := HAR(strings.NewReader(har), &with, Options{Verifiers: []string{v}}); err != nil {
		t.Fatal(err)
	}
	if _, err := HAR(strings.NewReader(har), &without, Options{}); err != nil {
		t.Fatal(err)
	}
	want := s256(deriveVerifier(v))
	if !strings.Contains(with.String(), want) || strings.Contains(with.String(), ch) {
		t.Errorf("with the verifier known, the challenge is not mapped to its stand-in's")
	}
	if !strings.Contains(without.String(), ch) {
		t.Errorf("without the verifier, the challenge changed")
	}
}

// TestUUIDVerifierStandIn: oidc-client-ts's verifier (three UUIDv4s without
// dashes), by which the reader names the library, gets a stand-in of the
// same shape: derived, not the verifier, the same every time, left alone
// when redacted again; a verifier of another shape keeps the base64url
// stand-in.
func TestUUIDVerifierStandIn(t *testing.T) {
	const v = "8b3f2c1e9d7a4b6c8e0f1a2b3c4d5e6f" + "0a1b2c3d4e5f4a6b9c7d8e9f0a1b2c3d" + "f0e1d2c3b4a54968a7b6c5d4e3f2a1b0"
	if !uuidVerifier(v) {
		t.Fatal("the test verifier is not oidc-client-ts's shape")
	}
	got := deriveVerifier(v)
	if !uuidVerifier(got) || got == v || strings.Contains(got, v[:16]) || got != deriveVerifier(v) {
		t.Errorf("stand-in %q for %q", got, v)
	}
	if !isDerived(got) || deriveVerifier(got) != got {
		t.Errorf("the stand-in %q is not known as one", got)
	}
	if other := deriveVerifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); uuidVerifier(other) || !isDerived(other) {
		t.Errorf("a base64url verifier's stand-in %q", other)
	}
	// One digit off the shape (version 5 in the second UUID) is no
	// oidc-client-ts verifier.
	if uuidVerifier(v[:44] + "5" + v[45:]) {
		t.Error("a version 5 UUID read as oidc-client-ts's")
	}
}
