package rules

// All returns every rule, in the order `traceaudit rules` lists them. The
// list is explicit: adding a rule means adding it here.
func All() []*Rule {
	return []*Rule{
		CodeReuse,
		RedirectURIMismatch,
		CodeExpired,
		MultiTabRace,
		PKCEMismatch,
		PKCEMissing,
		StateMismatch,
		SPACrossOrigin,
		ClientAuthFailed,
		SecretInBrowser,
		RefreshTokenExpired,
		RequestLoop,
		TokenInURL,
		WrongEndpoint,
		InteractionRequired,
		TokenRequestFailed,
		SessionNotEstablished,
		LogoutRedirectMismatch,
		LogoutIDTokenHint,
		LogoutNotPropagated,
		LogoutStateMismatch,
		FrontChannelLogoutBlocked,
		LogoutStoppedAtRevocation,
		TraceQuality,
	}
}

// ByID returns the rule with the given ID, or nil.
func ByID(id string) *Rule {
	for _, r := range All() {
		if r.ID == id {
			return r
		}
	}
	return nil
}
