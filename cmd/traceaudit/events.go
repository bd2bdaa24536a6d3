package main

import (
	"github.com/traceaudit/traceaudit/parse"
)

// eventJSON is the wire form of a parse.Event: secrets rendered as
// fingerprints (or raw with --no-redact), URLs redacted.
type eventJSON struct {
	File                string               `json:"file"`
	Format              string               `json:"format"`
	Ref                 string               `json:"ref"`
	Exchange            int                  `json:"exchange"`
	Time                string               `json:"time,omitempty"`
	ServerDate          string               `json:"server_date,omitempty"`
	Kind                string               `json:"kind"`
	Provider            parse.Provider       `json:"provider"`
	Endpoint            string               `json:"endpoint,omitempty"`
	Method              string               `json:"method,omitempty"`
	Status              int                  `json:"status,omitempty"`
	ClientID            string               `json:"client_id,omitempty"`
	RedirectURI         string               `json:"redirect_uri,omitempty"`
	State               string               `json:"state,omitempty"`
	Nonce               string               `json:"nonce,omitempty"`
	Scope               string               `json:"scope,omitempty"`
	Resource            string               `json:"resource,omitempty"`
	ResponseType        string               `json:"response_type,omitempty"`
	ResponseMode        string               `json:"response_mode,omitempty"`
	Prompt              string               `json:"prompt,omitempty"`
	CodeChallenge       string               `json:"code_challenge,omitempty"`
	CodeChallengeMethod string               `json:"code_challenge_method,omitempty"`
	Code                string               `json:"code,omitempty"`
	Delivery            string               `json:"delivery,omitempty"`
	GrantType           string               `json:"grant_type,omitempty"`
	CodeVerifier        string               `json:"code_verifier,omitempty"`
	RefreshToken        string               `json:"refresh_token,omitempty"`
	ClientAuth          string               `json:"client_auth,omitempty"`
	ClientSecret        string               `json:"client_secret,omitempty"`
	Assertion           string               `json:"client_assertion,omitempty"`
	AccessToken         string               `json:"access_token,omitempty"`
	IDToken             string               `json:"id_token,omitempty"`
	IDTokenClaims       *claimsJSON          `json:"id_token_claims,omitempty"`
	AccessTokenClaims   *claimsJSON          `json:"access_token_claims,omitempty"`
	ExpiresIn           int                  `json:"expires_in,omitempty"`
	Error               *parse.ProviderError `json:"error,omitempty"`
	Origin              string               `json:"origin,omitempty"`
	Prefetch            string               `json:"prefetch,omitempty"`
	Conn                string               `json:"conn,omitempty"`
	Page                string               `json:"page,omitempty"`
	Process             string               `json:"process,omitempty"`
	RequestID           string               `json:"client_request_id,omitempty"`
}

// redactError masks personal data in a provider error's free text.
func redactError(pe *parse.ProviderError, noRedact bool) *parse.ProviderError {
	if pe == nil || noRedact {
		return pe
	}
	c := *pe
	c.Description = parse.RedactText(c.Description)
	return &c
}

func eventRecord(file string, format parse.Format, e *parse.Event, noRedact bool) eventJSON {
	url := func(u string) string {
		if noRedact {
			return u
		}
		return parse.RedactURL(u)
	}
	return eventJSON{
		File: file, Format: string(format), Ref: e.Ref, Exchange: e.Exchange,
		Time: formatTime(e.Time), ServerDate: formatTime(e.ServerDate), Kind: e.Kind.String(),
		Provider: e.Provider, Endpoint: url(e.Endpoint), Method: e.Method, Status: e.Status,
		ClientID: e.ClientID, RedirectURI: url(e.RedirectURI), State: e.State.Render(noRedact),
		Nonce: e.Nonce.Render(noRedact), Scope: e.Scope, Resource: e.Resource,
		ResponseType: e.ResponseType, ResponseMode: e.ResponseMode, Prompt: e.Prompt,
		CodeChallenge: e.CodeChallenge.Render(noRedact), CodeChallengeMethod: e.CodeChallengeMethod,
		Code: e.Code.Render(noRedact), Delivery: e.Delivery, GrantType: e.GrantType,
		CodeVerifier: e.CodeVerifier.Render(noRedact), RefreshToken: e.RefreshToken.Render(noRedact),
		ClientAuth: e.ClientAuth, ClientSecret: e.ClientSecret.Render(noRedact),
		Assertion: e.Assertion.Render(noRedact), AccessToken: e.AccessToken.Render(noRedact),
		IDToken: e.IDToken.Render(noRedact), ExpiresIn: e.ExpiresIn, Error: redactError(e.Err, noRedact),
		Origin: e.Origin, Prefetch: e.Prefetch, Conn: e.Conn, Page: e.Page, Process: e.Process,
		RequestID: e.RequestID, IDTokenClaims: claims(e.IDToken), AccessTokenClaims: claims(e.AccessToken),
	}
}

// claimsJSON is a JWT's non-identifying claims, times as the contract
// writes them.
type claimsJSON struct {
	Alg    string   `json:"alg,omitempty"`
	Kid    string   `json:"kid,omitempty"`
	Typ    string   `json:"typ,omitempty"`
	Issuer string   `json:"iss,omitempty"`
	Aud    []string `json:"aud,omitempty"`
	Tenant string   `json:"tid,omitempty"`
	AZP    string   `json:"azp,omitempty"`
	AppID  string   `json:"appid,omitempty"`
	Ver    string   `json:"ver,omitempty"`
	Scope  string   `json:"scp,omitempty"`
	Issued string   `json:"iat,omitempty"`
	Before string   `json:"nbf,omitempty"`
	Expiry string   `json:"exp,omitempty"`
}

// claims returns a token's non-identifying JWT claims, nil for an opaque
// or absent token.
func claims(s parse.Secret) *claimsJSON {
	c, ok := s.Claims()
	if !ok {
		return nil
	}
	return &claimsJSON{Alg: c.Alg, Kid: c.Kid, Typ: c.Typ, Issuer: c.Issuer, Aud: c.Aud, Tenant: c.Tenant,
		AZP: c.AZP, AppID: c.AppID, Ver: c.Ver, Scope: c.Scope,
		Issued: formatTime(c.Issued), Before: formatTime(c.Before), Expiry: formatTime(c.Expiry)}
}

func eventRecords(r fileResult, noRedact bool) []eventJSON {
	out := make([]eventJSON, 0, len(r.events))
	for i := range r.events {
		out = append(out, eventRecord(r.path, r.format, &r.events[i], noRedact))
	}
	return out
}
