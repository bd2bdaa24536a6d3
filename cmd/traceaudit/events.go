package main

import (
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/report"
	"github.com/traceaudit/traceaudit/secret"
)

// redactError masks personal data in a provider error's free text.
func redactError(pe *model.ProviderError, noRedact bool) *report.ProviderError {
	if pe == nil {
		return nil
	}
	c := report.ProviderError(*pe)
	if !noRedact {
		c.Description = secret.RedactText(c.Description)
	}
	return &c
}

// eventRecord is the wire form of a model.Event: secrets rendered as
// fingerprints (or raw with --no-redact), URLs redacted.
func eventRecord(file string, format model.Format, e *model.Event, noRedact bool) report.Event {
	if e.Kind.IsSignOut() {
		return signOutRecord(file, format, e, noRedact)
	}
	return report.Event{
		File: file, Format: string(format), Ref: e.Ref, Exchange: e.Exchange,
		Time: report.At(e.Time), ServerDate: report.At(e.ServerDate()), Kind: e.Kind.String(),
		Provider: reportProvider(e.Provider()), Endpoint: redactURL(e.Endpoint(), noRedact), Method: e.Method(), Status: e.Status,
		ClientID: e.ClientID(), RedirectURI: redactURL(e.RedirectURI(), noRedact), State: e.State.Render(noRedact),
		Nonce: e.Nonce().Render(noRedact), Scope: e.Scope(), Resource: e.Resource(),
		ResponseType: e.ResponseType(), ResponseMode: e.ResponseMode(), Prompt: e.Prompt(),
		CodeChallenge: e.CodeChallenge().Render(noRedact), CodeChallengeMethod: e.CodeChallengeMethod(),
		ParamsByReference: e.ParamsByReference(), PushedRef: e.PushedRef(),
		Code: e.Code.Render(noRedact), Delivery: e.Delivery(), GrantType: e.GrantType(),
		CodeVerifier: e.CodeVerifier().Render(noRedact), RefreshToken: e.RefreshToken().Render(noRedact),
		ClientAuth: e.ClientAuth(), ClientSecret: e.ClientSecret().Render(noRedact),
		Assertion: e.Assertion().Render(noRedact), AccessToken: e.AccessToken().Render(noRedact),
		IDToken: e.IDToken().Render(noRedact), ExpiresIn: e.ExpiresIn(), RefreshExpiresIn: e.RefreshExpiresIn(), Error: redactError(e.Err, noRedact),
		Origin: e.Origin(), Prefetch: e.Prefetch(), Conn: e.Conn(), Page: e.Page(), Process: e.Process(),
		RequestID: e.RequestID(), IDTokenClaims: claims(e.IDToken()), AccessTokenClaims: claims(e.AccessToken()),
		Refusal: appRefusal(e.Refusal()),
	}
}

func appRefusal(r *model.AppRefusal) *report.AppRefusal {
	if r == nil {
		return nil
	}
	return &report.AppRefusal{Library: r.Library, Words: r.Words, Cause: string(r.Cause)}
}

func reportProvider(p model.Provider) report.Provider {
	return report.Provider{Family: string(p.Family), Variant: p.Variant, Cloud: p.Cloud, Tenant: p.Tenant, Host: p.Host, Policy: p.Policy}
}

// claims returns a token's non-identifying JWT claims, nil for an opaque
// or absent token.
func claims(s secret.Secret) *report.Claims {
	c, ok := s.Claims()
	if !ok {
		return nil
	}
	return &report.Claims{Alg: c.Alg, Kid: c.Kid, Typ: c.Typ, Issuer: c.Issuer, Aud: c.Aud, Tenant: c.Tenant,
		AZP: c.AZP, AppID: c.AppID, Ver: c.Ver, Scope: c.Scope,
		Issued: report.At(c.Issued), Before: report.At(c.Before), Expiry: report.At(c.Expiry)}
}

func eventRecords(r fileResult, noRedact bool) []report.Event {
	out := make([]report.Event, 0, r.eventCount())
	for e := range r.eachEvent() {
		out = append(out, eventRecord(r.path, r.format, e, noRedact))
	}
	return out
}

// signOutRecord is eventRecord for a sign-out step: its hint and URIs in
// fields of their own, so that id_token and redirect_uri keep the meaning
// they have on sign-in steps.
func signOutRecord(file string, format model.Format, e *model.Event, noRedact bool) report.Event {
	so := e.SignOut()
	r := report.Event{
		File: file, Format: string(format), Ref: e.Ref, Exchange: e.Exchange,
		Time: report.At(e.Time), ServerDate: report.At(e.ServerDate()), Kind: e.Kind.String(),
		Provider: reportProvider(e.Provider()), Endpoint: redactURL(e.Endpoint(), noRedact), Method: e.Method(), Status: e.Status,
		ClientID: e.ClientID(), State: e.State.Render(noRedact), Error: redactError(e.Err, noRedact),
		Origin: e.Origin(), Conn: e.Conn(), Page: e.Page(), Process: e.Process(), RequestID: e.RequestID(),
		IDTokenHint: e.IDToken().Render(noRedact), IDTokenHintClaims: claims(e.IDToken()),
		ReturnParam: so.ReturnParam, LogoutHint: so.LogoutHint.Render(noRedact), UILocales: so.UILocales,
		To: redactURL(so.To, noRedact), PageTitle: so.PageTitle, Token: so.Token.Render(noRedact),
		TokenTypeHint: so.TokenTypeHint, Issuer: so.Issuer, SID: so.SID,
	}
	if e.Kind == model.LogoutRequest {
		r.PostLogoutRedirectURI = redactURL(e.RedirectURI(), noRedact)
	} else {
		r.RedirectURI = redactURL(e.RedirectURI(), noRedact)
	}
	return r
}
