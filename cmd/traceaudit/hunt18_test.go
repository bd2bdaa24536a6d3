package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/internal/leakcorpus"
)

// The eighteenth round's canaries are the secrets of authentication SDKs
// that do not speak OAuth's forms, as each SDK puts them on the wire:
// amazon-cognito-identity-js (Cognito's JSON 1.1 calls named by
// X-Amz-Target: a password in AuthParameters, a TOTP code, the challenge
// Session, the SRP secret block, tokens in AuthenticationResult, a device
// verifier), Firebase Auth (identitytoolkit's accounts:* JSON and
// securetoken's refresh form), supabase-js (GoTrue's JSON grants, the
// apikey header, an email OTP), auth0-js (the password-realm grant,
// cross-origin authentication's login_ticket and co_verifier, the code)
// and okta-auth-js (authn's stateToken, passCode and sessionToken, the
// session cookie redirect). testdata/sdk-wire holds the recording: each
// SDK's own browser build driven in headless Chromium against stand-in
// services answering in the documented shapes (see its PROVENANCE.md).
// No placement is edited in: the requests are the SDKs' bytes.

// hunt18Dir holds the recording.
const hunt18Dir = "testdata/sdk-wire"

// hunt18Files names the recording's canaries in the order canaries.json
// lists them (the server and the recorder number them so), and returns
// its files: the HAR Chromium gave, the SAZ of the bytes the server
// received and sent, and a capture of the same bytes.
func (h *hunt) hunt18Files(t *testing.T) map[string]string {
	t.Helper()
	list, err := os.ReadFile(filepath.Join(hunt18Dir, "canaries.json"))
	if err != nil {
		t.Fatal(err)
	}
	var places []string
	if err := json.Unmarshal(list, &places); err != nil {
		t.Fatal(err)
	}
	for _, p := range places {
		h.canary(p)
	}
	data, err := os.ReadFile(filepath.Join(hunt18Dir, "sdk-wire.saz"))
	if err != nil {
		t.Fatal(err)
	}
	members := sazRawMembers(t, data)
	var client, server [][]byte
	for n := 1; members["raw/"+strconv.Itoa(n)+"_c.txt"] != nil; n++ {
		client = append(client, members["raw/"+strconv.Itoa(n)+"_c.txt"])
		server = append(server, members["raw/"+strconv.Itoa(n)+"_s.txt"])
	}
	if len(client) < 50 {
		t.Fatalf("the recording holds %d exchanges", len(client))
	}
	p, err := leakcorpus.TCPCapture(client, server)
	if err != nil {
		t.Fatal(err)
	}
	capture := filepath.Join(t.TempDir(), "sdk-wire.pcap")
	if err := os.WriteFile(capture, p, 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"sdk-wire.har":  filepath.Join(hunt18Dir, "sdk-wire.har"),
		"sdk-wire.saz":  filepath.Join(hunt18Dir, "sdk-wire.saz"),
		"sdk-wire.pcap": capture,
	}
}

// hunt18Derived are the secrets an SDK computes, which no canary can
// stand for: Cognito's SRP proof (PASSWORD_CLAIM_SIGNATURE, an HMAC of
// the server's secret block under the password's key) and the verifier
// of the device it remembers (DeviceSecretVerifierConfig.PasswordVerifier),
// read from the recorded requests, each named by its place.
func hunt18Derived(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(hunt18Dir, "sdk-wire.saz"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range sazRawMembers(t, data) {
		_, body, ok := strings.Cut(string(m), "\r\n\r\n")
		if !ok {
			continue
		}
		if !strings.HasPrefix(body, "{") {
			if q, err := url.ParseQuery(body); err == nil && q.Get("code_verifier") != "" {
				out["Okta IDX code_verifier, the SDK's PKCE verifier"] = q.Get("code_verifier")
			}
			continue
		}
		var v struct {
			ChallengeResponses         map[string]string
			DeviceSecretVerifierConfig map[string]string
			CodeVerifier               string `json:"code_verifier"`
		}
		// A member of another type fails the call but leaves these set.
		_ = json.Unmarshal([]byte(body), &v)
		if s := v.ChallengeResponses["PASSWORD_CLAIM_SIGNATURE"]; s != "" {
			out["Cognito PASSWORD_CLAIM_SIGNATURE, the SDK's SRP proof"] = s
		}
		if s := v.DeviceSecretVerifierConfig["PasswordVerifier"]; s != "" {
			out["Cognito ConfirmDevice PasswordVerifier, the SDK's device verifier"] = s
		}
		if v.CodeVerifier != "" {
			out["Supabase pkce code_verifier, the SDK's PKCE verifier"] = v.CodeVerifier
		}
	}
	if len(out) != 4 {
		t.Fatalf("the recording's derived secrets: %v", out)
	}
	return out
}

// hunt18Leaks is the hunt's leaks (canaries in the clear, encoded, in
// base64 and JWTs, compressed) and the derived secrets in the clear, URL-
// or JSON-escaped.
func (h *hunt) hunt18Leaks(derived map[string]string) func([]byte) []huntLeak {
	return func(data []byte) []huntLeak {
		out := h.codedLeaks(data)
		s := string(data)
		for _, place := range sortedNames(derived) {
			v := derived[place]
			for _, form := range []string{v, url.QueryEscape(v), lowerHex(url.QueryEscape(v)), strings.ReplaceAll(v, "/", `\/`), strings.ReplaceAll(v, "+", `\u002b`)} {
				if k := strings.Index(s, form); k >= 0 {
					out = append(out, huntLeak{place, fmt.Sprintf("%s near byte %d", place, k)})
					break
				}
			}
		}
		return out
	}
}

// hunt18Pending* are the places whose canaries still leak, known and not
// yet fixed; a place listed that no longer leaks fails the test.
var (
	hunt18PendingReport = map[string]bool{}
	hunt18PendingCopy   = map[string]bool{}
)

// TestLeakHunt18: no secret of the SDKs' recording shows in any output of
// any command and format.
func TestLeakHunt18(t *testing.T) {
	skipShortRepeat(t, "TestLeakHunt")
	t.Parallel() // see huntPass
	hunt18Pass(t).checkOutputs(t)
}

// TestLeakHunt18Redact: redact's and bundle's copies carry no secret of
// the SDKs' recording, and every canary is in the recording.
func TestLeakHunt18Redact(t *testing.T) {
	skipShortRepeat(t, "TestLeakHuntRedact")
	t.Parallel() // see huntPass
	hunt18Pass(t).checkCopies(t)
}

func hunt18Pass(t *testing.T) huntPass {
	h := &hunt{}
	files := h.hunt18Files(t)
	return huntPass{h: h, files: files, saz: "sdk-wire.saz", leaks: h.hunt18Leaks(hunt18Derived(t)),
		harRuns: huntRuns, pendingReport: hunt18PendingReport, pendingCopy: hunt18PendingCopy}
}

// TestLeakHunt18KeepsEvidence: the copies keep what support reads of the
// SDKs' calls: Cognito's call names, flows, challenge names, app client id
// and the user's sub; the SDKs' client headers (auth0-js's base64 one
// too); Auth0's realm, credential
// type and co_id; Okta's transaction status and IDX remediation names;
// when the password last changed;
// Firebase's answer kinds and provider; Supabase's grant types.
func TestLeakHunt18KeepsEvidence(t *testing.T) {
	skipShortRepeat(t, "TestLeakHunt18Redact")
	t.Parallel() // see huntPass
	h := &hunt{}
	text := redactedText(t, h.hunt18Files(t), "sdk-wire.har", "sdk-wire.saz")
	for _, keep := range []string{
		"AWSCognitoIdentityProviderService.RespondToAuthChallenge", `"AuthFlow":"USER_SRP_AUTH"`, `"ChallengeName":"CUSTOM_CHALLENGE"`,
		`"ClientId":"5n1l2k8m3j4h6g7f9d0s1a2p3o"`, `"USER_ID_FOR_SRP":"4f3e2d1c-2222-4b5a-9c8d-7e6f5a4b3c2d"`, `"TIMESTAMP":"`,
		"supabase-js/2.119.0", "/auth/v1/token?grant_type=pkce", `"realm":"Username-Password-Authentication"`,
		`"credential_type":"http://auth0.com/oauth/grant-type/passwordless/otp"`, `"co_id":"Xc9Vb8Nm7Lk6Jh5G"`, `"status":"MFA_REQUIRED"`,
		`"name":"challenge-authenticator"`, "grant_type=interaction_code", `"kind":"identitytoolkit#VerifyAssertionResponse"`, "&providerId=google.com",
		// auth0-js's telemetry, base64 of {"name":"auth0.js","version":"10.2.1"}.
		"Auth0-Client: eyJuYW1lIjoiYXV0aDAuanMiLCJ2ZXJzaW9uIjoiMTAuMi4xIn0=",
		// When the password last changed (Okta's authn, Firebase's lookup).
		`"passwordChanged":"2026-03-01T05:06:07.000Z"`, `"passwordUpdatedAt":1772600767000`,
	} {
		if !strings.Contains(text, keep) {
			t.Errorf("the copies lost %q", keep)
		}
	}
}
