package rules

import (
	"fmt"

	"github.com/traceaudit/traceaudit/catalog"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// PKCEMismatch: the verifier does not prove the challenge of the code's
// authorize request.
var PKCEMismatch = &Rule{
	ID:       "pkce-mismatch",
	Title:    "PKCE verifier does not match the code challenge",
	Severity: Error,
	Doc: `Detects a token request whose code_verifier does not prove the code_challenge of
the authorize request that issued the code (S256: base64url(SHA-256(verifier)) ≠
challenge; plain: verifier ≠ challenge), a verifier that breaks RFC 7636 (fewer
than 43 or more than 128 characters, characters outside A-Z a-z 0-9 - . _ ~),
and provider answers that say so (Entra AADSTS50148/501481, B2C AADB2C90182,
Okta and Keycloak "PKCE verification failed", Google "Invalid code verifier",
Auth0 "Failed to verify code verifier").

When the verifier proves another sign-in's challenge the cause is a multi-tab
race and multi-tab-race reports it instead.

Causes: the verifier is stored per browser and was overwritten by another
login; the code was obtained in a SPA and redeemed by a server that never had
the verifier; the verifier was regenerated at token time; a wrong value was
stored (e.g. the state in the verifier cookie).

Remediation: send the exact verifier generated for this authorization request,
store it per transaction, and let the party that started the flow redeem the
code.`,
	Run: runPKCEMismatch,
}

// PKCEMissing: PKCE not used where it should be, or downgraded.
var PKCEMissing = &Rule{
	ID:       "pkce-missing",
	Title:    "PKCE verifier missing, downgraded or plain",
	Severity: Warning,
	Doc: `Detects an authorize request that sent a code_challenge whose token request
carries no code_verifier (the provider refuses it: Google "Missing code
verifier", Keycloak "PKCE code verifier not specified"), a token request that
sends a verifier although the authorize request had no challenge (a PKCE
downgrade the provider must reject; Keycloak does), code_challenge_method=plain
(the challenge is the verifier, exposed in the front channel), and a public
client (no client credential) using the code flow without PKCE, which RFC 9700
forbids.

Remediation: generate a fresh 43–128 character verifier per sign-in, send its
S256 challenge on the authorize request and the verifier on the token request.`,
	Run: runPKCEMissing,
}

const pkceRemediation = "Send the exact verifier generated for this authorization request; store it per transaction (keyed by state); the party that started the flow must redeem the code."

func validVerifier(s secret.Secret) (bool, string) {
	n := s.Len()
	if n < 43 || n > 128 {
		return false, fmt.Sprintf("it is %d characters long (RFC 7636 requires 43–128)", n)
	}
	for _, c := range s.Reveal() {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false, "it contains characters outside the RFC 7636 unreserved set"
		}
	}
	return true, ""
}

func runPKCEMismatch(p *Pass) {
	for _, r := range allRedemptions(p.Analysis) {
		req := r.Request
		t := r.Tx
		if req.CodeVerifier().IsZero() {
			continue
		}
		if r.VerifierTx != nil && r.VerifierTx != t && t != nil && t.Authorize != nil {
			continue // crosses another sign-in: multi-tab-race
		}
		f := Finding{Code: req.Code, Remediation: pkceRemediation}
		challengeKnown := t != nil && t.Authorize != nil && !t.Authorize.CodeChallenge().IsZero()
		valid, invalidWhy := validVerifier(req.CodeVerifier())
		if valid && !(challengeKnown && r.VerifierTx != t) && !(r.Class() == catalog.ClassPKCE && !challengeKnown) {
			continue // the common case: nothing to report, build no evidence
		}
		if t != nil && t.Authorize != nil {
			f.Evidence = append(f.Evidence, p.Evidence(t.Authorize, "authorize request with the challenge"))
		}
		redemption := p.RedemptionEvidence(r, "token request with the verifier")
		f.Evidence = append(f.Evidence, p.CodeStory(req.Code, append(f.Evidence, redemption))...)
		f.Evidence = append(f.Evidence, redemption)
		if !valid {
			f.Message = fmt.Sprintf("the code_verifier %s sent at %s is invalid: %s", req.CodeVerifier(), req.Ref, invalidWhy)
			p.Report(f)
			continue
		}
		switch {
		case challengeKnown && r.VerifierTx != t:
			method := t.Authorize.CodeChallengeMethod()
			if method == "" {
				method = "plain"
			}
			f.Message = fmt.Sprintf("the code_verifier %s sent at %s does not prove the %s code_challenge of the authorize request at %s, nor any other sign-in's in this trace",
				req.CodeVerifier(), req.Ref, method, t.Authorize.Ref)
			if r.Failed() {
				f.Message += fmt.Sprintf("; %s refused it (%s)", model.ProviderName(req.Provider()), p.RedemptionEvidence(r, "").ErrorCode)
			} else if r.Succeeded() {
				f.Message += "; the provider accepted it anyway, so it does not enforce PKCE for this client"
				f.Severity = Warning
			}
			f.Message += "; the verifier was regenerated or another sign-in overwrote the stored one, or a different party redeemed the code"
		case r.Class() == catalog.ClassPKCE && !challengeKnown:
			f.Message = fmt.Sprintf("%s refused the PKCE verifier at %s (%s); the authorize request is not in the trace, so the challenge cannot be compared",
				model.ProviderName(req.Provider()), req.Ref, p.RedemptionEvidence(r, "").ErrorCode)
			f.Confidence = "medium"
		default:
			continue
		}
		p.Report(f)
	}
}

func runPKCEMissing(p *Pass) {
	for _, t := range p.Transactions {
		az := t.Authorize
		if az == nil {
			continue
		}
		if az.CodeChallengeMethod() == "plain" || (!az.CodeChallenge().IsZero() && az.CodeChallengeMethod() == "") {
			p.Report(Finding{
				Message:     fmt.Sprintf("the authorize request at %s uses the plain PKCE method: the challenge is the verifier, visible in the browser history and logs", az.Ref),
				Evidence:    []Evidence{p.Evidence(az, "authorize request")},
				Remediation: "Use code_challenge_method=S256.",
			})
		}
		for _, r := range t.Redemptions() {
			req := r.Request
			switch {
			case !az.CodeChallenge().IsZero() && req.CodeVerifier().IsZero():
				evs := []Evidence{p.Evidence(az, "authorize request with the challenge")}
				red := p.RedemptionEvidence(r, "token request without verifier")
				evs = append(evs, p.CodeStory(req.Code, append(evs, red))...)
				p.Report(Finding{Code: req.Code, Severity: Error,
					Message: fmt.Sprintf("the authorize request at %s sent a code_challenge but the token request at %s sends no code_verifier%s",
						az.Ref, req.Ref, refusedSuffix(p, r)),
					Evidence:    append(evs, red),
					Remediation: pkceRemediation + " A code obtained by a SPA cannot be redeemed by a server that never had the verifier.",
				})
			case az.ParamsByReference() && az.CodeChallenge().IsZero():
				// The challenge, if any, was sent where the trace cannot see.
			case az.CodeChallenge().IsZero() && !req.CodeVerifier().IsZero():
				msg := fmt.Sprintf("the token request at %s sends a code_verifier although the authorize request at %s had no code_challenge (PKCE downgrade)", req.Ref, az.Ref)
				if r.Succeeded() {
					msg += "; the provider accepted it, which RFC 9700 says it must not"
				}
				p.Report(Finding{Code: req.Code, Message: msg + refusedSuffix(p, r),
					Evidence:    []Evidence{p.Evidence(az, "authorize request without challenge"), p.RedemptionEvidence(r, "token request with verifier")},
					Remediation: "Send the challenge on the authorize request whenever the token request sends a verifier.",
				})
			case az.CodeChallenge().IsZero() && req.ClientAuth() == "none" && r.Succeeded():
				p.Report(Finding{Code: req.Code,
					Message: fmt.Sprintf("public client %s (no client credential) used the authorization code flow without PKCE (%s, %s); RFC 9700 requires PKCE for public clients",
						az.ClientID(), az.Ref, req.Ref),
					Evidence:    []Evidence{p.Evidence(az, "authorize request without challenge"), p.RedemptionEvidence(r, "token request without credential")},
					Remediation: "Generate a fresh verifier per sign-in and send its S256 challenge on the authorize request.",
				})
			}
		}
	}
}

func refusedSuffix(p *Pass, r *Redemption) string {
	if r.Failed() {
		return fmt.Sprintf("; %s refused it (%s)", model.ProviderName(r.Request.Provider()), p.RedemptionEvidence(r, "").ErrorCode)
	}
	return ""
}
