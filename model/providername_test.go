package model

import "testing"

// TestProviderName checks a provider's human name for every family, its
// variants and clouds, and the generic one's.
func TestProviderName(t *testing.T) {
	for _, c := range []struct {
		p    Provider
		want string
	}{
		{Provider{Family: FamilyEntra, Variant: "v2"}, "Microsoft Entra ID (v2)"},
		{Provider{Family: FamilyEntra, Variant: "b2c"}, "Azure AD B2C"},
		{Provider{Family: FamilyEntra, Variant: "ciam", Cloud: "china"}, "Microsoft Entra External ID [china]"},
		{Provider{Family: FamilyEntra, Cloud: "global"}, "Microsoft Entra ID"},
		{Provider{Family: FamilyADFS}, "AD FS"},
		{Provider{Family: FamilyGoogle}, "Google"},
		{Provider{Family: FamilyOkta}, "Okta"},
		{Provider{Family: FamilyAuth0}, "Auth0"},
		{Provider{Family: FamilyKeycloak}, "Keycloak"},
		{Provider{Family: FamilyCognito}, "Amazon Cognito"},
		{Provider{Family: FamilyGitHub}, "GitHub"},
		{Provider{Family: FamilyPing}, "PingFederate"},
		{Provider{Family: FamilyPing, Variant: "pingone"}, "PingOne"},
		{Provider{Family: FamilyOneLogin}, "OneLogin"},
		{Provider{Family: FamilyForgeRock}, "ForgeRock AM"},
		{Provider{Family: FamilySalesforce}, "Salesforce"},
		{Provider{Family: FamilyDex}, "Dex"},
		{Provider{Family: FamilyHydra}, "Ory Hydra"},
		{Provider{Family: FamilyLemonLDAP}, "LemonLDAP::NG"},
		{Provider{Family: FamilyGlewlwyd}, "Glewlwyd"},
		{Provider{Family: FamilyDjangoOAuthToolkit}, "django-oauth-toolkit"},
		{Provider{Family: FamilyGeneric, Host: "idp.example"}, "the authorization server idp.example"},
		{Provider{Family: FamilyApp}, "the authorization server"},
	} {
		if got := ProviderName(c.p); got != c.want {
			t.Errorf("ProviderName(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}
