package model

import "time"

// CodeLifetime is how long a provider keeps an authorization code valid.
type CodeLifetime struct {
	// Expired: redemptions later than this are over the provider's limit.
	Expired time.Duration
	// Suspicious: redemptions later than this are unusually slow.
	Suspicious time.Duration
	// Source says where the figure comes from, for findings.
	Source string
}

// CodeLifetimeOf returns the authorization code lifetime of a provider
// family, from the documented or observed figures (knowledge doc §R4).
func CodeLifetimeOf(p Provider) CodeLifetime {
	switch p.Family {
	case "entra":
		if p.Variant == "b2c" {
			return CodeLifetime{Expired: 10 * time.Minute, Suspicious: 5 * time.Minute,
				Source: "Azure AD B2C documents about 10 minutes; 5 minutes has been reported"}
		}
		return CodeLifetime{Expired: 10 * time.Minute, Suspicious: 5 * time.Minute,
			Source: "Microsoft Entra ID documents about 10 minutes"}
	case "adfs":
		return CodeLifetime{Expired: 10 * time.Minute, Suspicious: 5 * time.Minute,
			Source: "AD FS follows the RFC 6749 maximum of 10 minutes"}
	case "okta":
		return CodeLifetime{Expired: 60 * time.Second, Suspicious: 30 * time.Second,
			Source: "Okta codes live 60 seconds (not configurable)"}
	case "keycloak":
		return CodeLifetime{Expired: 60 * time.Second, Suspicious: 30 * time.Second,
			Source: "Keycloak's default realm client login timeout is 60 seconds"}
	case "cognito":
		return CodeLifetime{Expired: 5 * time.Minute, Suspicious: 60 * time.Second,
			Source: "Amazon Cognito codes live 5 minutes"}
	case "github":
		return CodeLifetime{Expired: 10 * time.Minute, Suspicious: 60 * time.Second,
			Source: "GitHub codes expire after 10 minutes"}
	case "lemonldap":
		return CodeLifetime{Expired: 60 * time.Second, Suspicious: 30 * time.Second,
			Source: "LemonLDAP::NG keeps codes 60 seconds by default: oidcServiceAuthorizationCodeExpiration, which a relying party's Authorization Code expiration option overrides"}
	case "glewlwyd":
		return CodeLifetime{Expired: 10 * time.Minute, Suspicious: 60 * time.Second,
			Source: "Glewlwyd's OpenID Connect plugin keeps codes 600 seconds by default: its code-duration"}
	case FamilyDjangoOAuthToolkit:
		return CodeLifetime{Expired: 60 * time.Second, Suspicious: 30 * time.Second,
			Source: "django-oauth-toolkit keeps codes 60 seconds by default: its AUTHORIZATION_CODE_EXPIRE_SECONDS setting"}
	case "google", "auth0":
		return CodeLifetime{Expired: 10 * time.Minute, Suspicious: 60 * time.Second,
			Source: "no documented figure; 60 seconds is unusual, 10 minutes is the RFC 6749 maximum"}
	}
	return CodeLifetime{Expired: 10 * time.Minute, Suspicious: 60 * time.Second,
		Source: "RFC 6749 recommends at most 10 minutes"}
}

// ProviderName is a human name for findings: "Microsoft Entra ID (v2)".
func ProviderName(p Provider) string {
	n, ok := familyName(p.Family)
	if !ok {
		n = "the authorization server"
		if p.Host != "" {
			n += " " + p.Host
		}
		return n
	}
	switch p.Variant {
	case "b2c":
		n = "Azure AD B2C"
	case "ciam":
		n = "Microsoft Entra External ID"
	case "pingone":
		n = "PingOne"
	case "v1", "v2":
		n += " (" + p.Variant + ")"
	}
	if p.Cloud != "" && p.Cloud != "global" {
		n += " [" + p.Cloud + "]"
	}
	return n
}

// familyName is a family's human name, false for the generic one. A
// switch, not a map made at each call: the rules name a provider for
// every token request they judge (a scan of the 20,000-entry bench HAR
// allocated 9 MB making that map).
func familyName(f Family) (string, bool) {
	switch f {
	case FamilyEntra:
		return "Microsoft Entra ID", true
	case FamilyADFS:
		return "AD FS", true
	case FamilyGoogle:
		return "Google", true
	case FamilyOkta:
		return "Okta", true
	case FamilyAuth0:
		return "Auth0", true
	case FamilyKeycloak:
		return "Keycloak", true
	case FamilyCognito:
		return "Amazon Cognito", true
	case FamilyGitHub:
		return "GitHub", true
	case FamilyPing:
		return "PingFederate", true
	case FamilyOneLogin:
		return "OneLogin", true
	case FamilyForgeRock:
		return "ForgeRock AM", true
	case FamilySalesforce:
		return "Salesforce", true
	case FamilyDex:
		return "Dex", true
	case FamilyHydra:
		return "Ory Hydra", true
	case FamilyLemonLDAP:
		return "LemonLDAP::NG", true
	case FamilyGlewlwyd:
		return "Glewlwyd", true
	case FamilyDjangoOAuthToolkit:
		return "django-oauth-toolkit", true
	}
	return "", false
}
