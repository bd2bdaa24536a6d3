package catalog

import (
	"strings"
	"time"

	"github.com/traceaudit/traceaudit/model"
)

// ErrorClass groups provider errors by what went wrong, so rules can reason
// about Entra, Okta, Google, Keycloak… answers alike.
type ErrorClass string

const (
	ClassNone            ErrorClass = ""
	ClassCodeReused      ErrorClass = "code-reused"      // the code was already redeemed
	ClassCodeExpired     ErrorClass = "code-expired"     // the code (or grant) expired
	ClassCodeInvalid     ErrorClass = "code-invalid"     // invalid/expired/used: the provider does not say which
	ClassCodeMalformed   ErrorClass = "code-malformed"   // the code was altered in transit
	ClassRedirectURI     ErrorClass = "redirect-uri"     // redirect URI not registered or not equal
	ClassPKCE            ErrorClass = "pkce"             // verifier does not match / missing
	ClassPKCEFormat      ErrorClass = "pkce-format"      // challenge/method/verifier malformed
	ClassClientAuth      ErrorClass = "client-auth"      // client credential wrong, missing or not allowed
	ClassSPACrossOrigin  ErrorClass = "spa-cross-origin" // 'spa' vs web platform redemption
	ClassLoop            ErrorClass = "loop"             // request loop / throttling
	ClassRefreshExpired  ErrorClass = "refresh-expired"  // refresh token expired or revoked
	ClassInteraction     ErrorClass = "interaction"      // silent request needs interaction/consent/MFA
	ClassTenant          ErrorClass = "tenant"           // wrong tenant, cloud or endpoint
	ClassMalformed       ErrorClass = "malformed"        // malformed request / missing parameter
	ClassFlowExpired     ErrorClass = "flow-expired"     // the sign-in page flow timed out
	ClassStateMismatch   ErrorClass = "state"            // state/correlation failures reported by clients
	ClassWrapper         ErrorClass = "wrapper"          // a generic code wrapping the real one (AADSTS70002)
	ClassScope           ErrorClass = "scope"            // invalid or missing scope
	ClassAccess          ErrorClass = "access"           // user not allowed / not found / blocked
	ClassResponseType    ErrorClass = "response-type"    // response_type/mode not enabled
	ClassGrantType       ErrorClass = "grant-type"       // the client may not use this grant (unauthorized_client)
	ClassGenericGrant    ErrorClass = "invalid-grant"    // bare invalid_grant with nothing more specific
	ClassUserAction      ErrorClass = "user-action"      // the user left the flow (cancelled, asked for a password reset) or mistyped a code it asked for
	ClassLogoutRedirect  ErrorClass = "logout-redirect"  // sign-out: the post-logout redirect URI is not registered
	ClassLogoutHint      ErrorClass = "logout-hint"      // sign-out: id_token_hint missing, expired, of another client or unreadable
	ClassLogoutSession   ErrorClass = "logout-session"   // sign-out: the session to end is not the provider's (already ended, another account)
	ClassPending         ErrorClass = "pending"          // keep polling: the device code (or CIBA) user has not finished; the protocol, not a failure
	ClassAssertion       ErrorClass = "assertion"        // a token presented as a grant or assertion (on-behalf-of, JWT bearer, federation) is expired or invalid
	ClassService         ErrorClass = "service"          // the provider's own failure or throttling: retry, then a support ticket
	ClassUnknownProvider ErrorClass = "unknown"
)

// ErrorInfo is one catalog entry: a provider code or message, what it means
// and what to do about it.
type ErrorInfo struct {
	// Code is the provider code ("AADSTS54005", "AADB2C90006", "MSIS9612")
	// or "" for message-matched entries.
	Code string
	// Family is the provider family the message belongs to ("" = any).
	Family model.Family
	// Match is a lower-case substring of error_description (or of the
	// error page) identifying the entry when there is no code.
	Match       string
	Class       ErrorClass
	Meaning     string
	Remediation string
	// Also names rules that report this entry's error besides those of its
	// class: words a provider uses on its sign-in and its sign-out pages
	// alike (Keycloak's "Invalid redirect uri") keep the sign-in class the
	// sign-in rules read, and explain names the sign-out rule too.
	Also []string
	// Lifetime, for an entry whose text is one server software's own
	// wording, is that software's default authorization code lifetime
	// (zero otherwise): the words name the server when its host, run by
	// anyone, cannot.
	Lifetime model.CodeLifetime
	// Causes, when set, are this code's own usual causes, said instead of
	// its class's: an interrupt the STS shows in an interactive sign-in
	// (Keep me signed in, MFA registration) is not a silent request that
	// found no session, though both reach a silent request as
	// interaction_required.
	Causes []string
}

// errorCatalog is ordered: code entries first, then message entries from
// the most to the least specific text.
var errorCatalog = []ErrorInfo{
	// Microsoft Entra ID (knowledge doc §5).
	{Code: "AADSTS50011", Class: ClassRedirectURI, Meaning: "the redirect URI in the request is not registered for the application",
		Remediation: "Register the exact redirect URI (scheme, host, port, path, case) in the app registration, or fix the app to send the registered value."},
	{Code: "AADSTS900971", Class: ClassRedirectURI, Meaning: "no reply address was provided",
		Remediation: "Send a registered absolute redirect_uri."},
	{Code: "AADSTS90102", Class: ClassRedirectURI, Meaning: "redirect_uri is not a valid absolute URI",
		Remediation: "Send a registered absolute redirect_uri (fix placeholders and encoding)."},
	{Code: "AADSTS70000", Class: ClassGenericGrant, Meaning: "invalid grant: the code is malformed, or the token redirect_uri differs from the authorize one",
		Remediation: "Restart the sign-in and send the same redirect_uri on the token request as on the authorize request."},
	{Code: "AADSTS54005", Class: ClassCodeReused, Meaning: "the authorization code was already redeemed",
		Remediation: "Redeem each code exactly once."},
	{Code: "AADSTS70008", Class: ClassCodeExpired, Meaning: "the authorization code or refresh token expired from inactivity",
		Remediation: "Send a new interactive authorization request; redeem codes immediately."},
	{Code: "AADSTS700082", Class: ClassRefreshExpired, Meaning: "the refresh token expired after 90 days of inactivity",
		Remediation: "Start an interactive (top-level) sign-in; store the newest refresh token after every refresh."},
	{Code: "AADSTS700084", Class: ClassRefreshExpired, Meaning: "the single-page app's refresh token reached its fixed 24-hour lifetime",
		Remediation: "Start an interactive (top-level) sign-in."},
	{Code: "AADSTS50173", Class: ClassRefreshExpired, Meaning: "the grant was revoked (password change or administrator revocation)",
		Remediation: "Reauthenticate interactively."},
	{Code: "AADSTS70043", Class: ClassRefreshExpired, Meaning: "the refresh token expired under a Conditional Access sign-in frequency policy",
		Remediation: "Reauthenticate interactively."},
	{Code: "AADSTS70019", Class: ClassFlowExpired, Meaning: "the device code expired: the user did not finish signing in on the verification page (microsoft.com/devicelogin) within its lifetime (15 minutes)",
		Remediation: "Start a new device code sign-in and have the user enter the new code promptly."},
	{Code: "AADSTS50089", Class: ClassFlowExpired, Meaning: "the sign-in flow token expired (the user took too long)",
		Remediation: "Restart the sign-in."},
	{Code: "AADSTS50148", Class: ClassPKCE, Meaning: "the code_verifier does not match the code_challenge of the authorization request",
		Remediation: "Send the exact verifier generated for this authorization request; store it per transaction."},
	{Code: "AADSTS501481", Class: ClassPKCE, Meaning: "the code_verifier does not match the code_challenge of the authorization request",
		Remediation: "Send the exact verifier generated for this authorization request; store it per transaction."},
	{Code: "AADSTS50147", Class: ClassPKCEFormat, Meaning: "the code_challenge has an invalid size",
		Remediation: "Use S256 with a 43–128 character verifier."},
	{Code: "AADSTS501491", Class: ClassPKCEFormat, Meaning: "the code_challenge has an invalid size",
		Remediation: "Use S256 with a 43–128 character verifier."},
	{Code: "AADSTS50149", Class: ClassPKCEFormat, Meaning: "the code_challenge_method is invalid",
		Remediation: "Use code_challenge_method=S256."},
	{Code: "AADSTS9002326", Class: ClassSPACrossOrigin, Meaning: "cross-origin token redemption is permitted only for the 'Single-Page Application' client type",
		Remediation: "Register this redirect URI under the Single-page application platform (type spa), or redeem server-side with a Web-platform redirect URI."},
	{Code: "AADSTS90023", Class: ClassSPACrossOrigin, Meaning: "cross-origin token redemption is permitted only for the 'Single-Page Application' client type (older code)",
		Remediation: "Register this redirect URI under the Single-page application platform (type spa), or redeem server-side with a Web-platform redirect URI."},
	{Code: "AADSTS9002327", Class: ClassSPACrossOrigin, Meaning: "a code issued to a 'spa' redirect URI was redeemed without a cross-origin (Origin) request",
		Remediation: "A spa URI's code must be redeemed by browser JavaScript (CORS with Origin); server-side redemption needs a Web-platform redirect URI and a client credential."},
	{Code: "AADSTS7000215", Class: ClassClientAuth, Meaning: "invalid client secret (often the secret ID was sent instead of its value)",
		Remediation: "Send the client secret value, not its ID; rotate if unsure."},
	{Code: "AADSTS7000222", Class: ClassClientAuth, Meaning: "the client secret has expired",
		Remediation: "Create a new client secret and deploy it."},
	{Code: "AADSTS7000218", Class: ClassClientAuth, Meaning: "a confidential client sent neither client_assertion nor client_secret",
		Remediation: "Send the client credential, or register the redirect URI as a public-client/SPA platform."},
	{Code: "AADSTS700025", Class: ClassClientAuth, Meaning: "a public client sent a client credential",
		Remediation: "Public clients (SPA/native) must not send a client secret or assertion."},
	{Code: "AADSTS700027", Class: ClassClientAuth, Meaning: "the client assertion failed signature validation",
		Remediation: "Sign the assertion with a certificate registered on the app; check claims (aud, iss, sub, exp)."},
	{Code: "AADSTS50012", Class: ClassClientAuth, Meaning: "the client assertion or certificate is invalid",
		Remediation: "Fix the signing certificate, assertion claims or credential."},
	{Code: "AADSTS70002", Class: ClassWrapper, Meaning: "error validating credentials (legacy wrapper around the real code)",
		Remediation: "See the wrapped error code."},
	{Code: "AADSTS700005", Class: ClassTenant, Meaning: "the code was redeemed on a different tenant endpoint than it was issued for",
		Remediation: "Redeem on the same tenant path as the authorize request."},
	{Code: "AADSTS700016", Class: ClassTenant, Meaning: "the application was not found in the tenant",
		Remediation: "Check client_id, tenant and cloud host."},
	{Code: "AADSTS90002", Class: ClassTenant, Meaning: "the tenant was not found (often the wrong cloud)",
		Remediation: "Check the tenant id and the cloud host."},
	{Code: "AADSTS50194", Class: ClassTenant, Meaning: "a single-tenant application used the /common endpoint",
		Remediation: "Use the tenant-specific (or /organizations) endpoint."},
	{Code: "AADSTS9001023", Class: ClassTenant, Meaning: "the grant type is not supported on /common or /consumers",
		Remediation: "Use the tenant-specific endpoint."},
	{Code: "AADSTS90056", Class: ClassMalformed, Meaning: "the token endpoint was misused (e.g. called with GET)",
		Remediation: "POST to the token endpoint; back-button GETs can be ignored."},
	{Code: "AADSTS900561", Class: ClassMalformed, Meaning: "the token endpoint expects POST",
		Remediation: "POST to the token endpoint; back-button GETs can be ignored."},
	{Code: "AADSTS900144", Class: ClassMalformed, Meaning: "a required parameter is missing",
		Remediation: "Inspect the raw request in the trace for the missing parameter."},
	{Code: "AADSTS90014", Class: ClassMalformed, Meaning: "a required field is missing from the credential",
		Remediation: "Inspect the raw request in the trace."},
	{Code: "AADSTS9002313", Class: ClassMalformed, Meaning: "the request is malformed or invalid",
		Remediation: "Inspect the raw request in the trace (encoding, duplicated or missing parameters)."},
	{Code: "AADSTS70011", Class: ClassScope, Meaning: "the scope is invalid", Remediation: "Fix the requested scope."},
	{Code: "AADSTS28003", Class: ClassScope, Meaning: "the scope is empty", Remediation: "Request at least one scope."},
	{Code: "AADSTS65001", Class: ClassInteraction, Meaning: "the user or administrator has not consented",
		Remediation: "Request consent interactively or grant admin consent.",
		Causes:      []string{"the app asks for a permission (scope) the user or an administrator has not granted, often one added to the app registration after users consented", "user consent is turned off for the tenant or restricted, so only an administrator can grant it", "a silent request (prompt=none) or a token request on behalf of the user, which cannot show the consent screen"}},
	{Code: "AADSTS50058", Class: ClassInteraction, Meaning: "no single sign-on session for a silent (prompt=none) request",
		Remediation: "Fall back to an interactive request."},
	{Code: "AADSTS50076", Class: ClassInteraction, Meaning: "multi-factor authentication is required",
		Remediation: "Make an interactive request so the user can complete MFA.",
		Causes:      []string{"a Conditional Access policy or per-user MFA requires multifactor authentication for this user, app, location or device", "a request that cannot show the MFA challenge: a silent one (prompt=none, a refresh token), the resource owner password grant, or a token request on behalf of the user"}},
	{Code: "AADSTS50079", Class: ClassInteraction, Meaning: "the user must enroll for multi-factor authentication",
		Remediation: "Make an interactive request.",
		Causes:      []string{"the user has not registered the security info (authenticator app, phone) that a policy now requires", "a silent or non-interactive request, which cannot show the registration"}},
	{Code: "AADSTS50105", Class: ClassAccess, Meaning: "the user is not assigned to the application",
		Remediation: "Assign the user or group to the application."},
	{Code: "AADSTS53003", Class: ClassAccess, Meaning: "access was blocked by Conditional Access",
		Remediation: "Review the Conditional Access policy in the sign-in logs."},
	{Code: "AADSTS50020", Class: ClassAccess, Meaning: "the user account does not exist in the tenant",
		Remediation: "Invite the user as a guest or use the right tenant."},
	{Code: "AADSTS50034", Class: ClassAccess, Meaning: "the user account was not found",
		Remediation: "Check the account and tenant."},
	{Code: "AADSTS16000", Class: ClassAccess, Meaning: "the user account (of the identity provider it signed in at) does not exist in the tenant and cannot access the application there: it must be added as an external user first",
		Remediation: "Invite the user to the tenant as a guest, or sign out and sign in with an account of the tenant."},
	{Code: "AADSTS16001", Class: ClassAccess, Meaning: "account selection problem",
		Remediation: "Pick the account again or retry."},
	{Code: "AADSTS50126", Class: ClassAccess, Meaning: "the user name or password is wrong",
		Remediation: "Have the user check the account and password; a client that posts passwords itself (the password grant) should move to an interactive sign-in."},
	{Code: "AADSTS50053", Class: ClassAccess, Meaning: "the account is locked (too many failed sign-ins) or the sign-in came from a blocked IP address",
		Remediation: "Wait for the lockout to end or have an administrator unlock the account; look for a client retrying a wrong password."},
	{Code: "AADSTS50055", Class: ClassAccess, Meaning: "the user's password has expired",
		Remediation: "Have the user change the password in an interactive sign-in."},
	{Code: "AADSTS50057", Class: ClassAccess, Meaning: "the user account is disabled",
		Remediation: "An administrator must enable the account."},
	{Code: "AADSTS50158", Class: ClassInteraction, Meaning: "an external security challenge (a third-party MFA or Conditional Access control) was not satisfied",
		Remediation: "Make an interactive request so the user can complete the challenge.",
		Causes:      []string{"a Conditional Access custom control or an external MFA provider was not completed or did not answer", "a silent request, which cannot show the external challenge"}},
	{Code: "AADSTS53000", Class: ClassAccess, Meaning: "Conditional Access requires a compliant or managed device",
		Remediation: "Sign in from a compliant, managed device or review the Conditional Access policy in the sign-in logs."},
	{Code: "AADSTS65004", Class: ClassAccess, Meaning: "the user declined to consent to the application's permissions",
		Remediation: "Ask for consent again, request fewer permissions, or have an administrator grant consent."},
	{Code: "AADSTS90094", Class: ClassAccess, Meaning: "the permissions requested need an administrator's consent",
		Remediation: "Have an administrator grant consent for the tenant, or request permissions users may consent to."},
	{Code: "AADSTS90072", Class: ClassAccess, Meaning: "the account signed in at its home identity provider does not exist in this tenant",
		Remediation: "Invite the user as a guest, or sign in with an account of this tenant."},
	{Code: "AADSTS7000112", Class: ClassAccess, Meaning: "the application is disabled",
		Remediation: "Enable sign-in for the application's service principal in the tenant."},
	{Code: "AADSTS500113", Class: ClassRedirectURI, Meaning: "no reply address is registered for the application",
		Remediation: "Register the redirect URI the app sends in the app registration."},
	{Code: "AADSTS500011", Class: ClassScope, Meaning: "the resource named in the request (resource or scope) was not found in the tenant",
		Remediation: "Check the resource URI or the scope's application ID URI, and that the resource application exists (or is consented) in the tenant."},
	{Code: "AADSTS700022", Class: ClassScope, Meaning: "the scope is not valid (for example several resources, or .default mixed with other scopes)",
		Remediation: "Request the scopes of one resource per request."},
	{Code: "AADSTS650056", Class: ClassScope, Meaning: "misconfigured application: its registration lists no permission for the resource the sign-in asks for, or the permission has no consent",
		Remediation: "Add the permissions the sign-in requests to the app registration (API permissions) and grant consent, or request only the permissions it lists."},
	{Code: "AADSTS650052", Class: ClassScope, Meaning: "the application needs access to a service the tenant has not subscribed to or enabled",
		Remediation: "Have an administrator enable the service (or its service principal) in the tenant, or drop that permission."},
	{Code: "AADSTS700051", Class: ClassResponseType, Meaning: "response_type token is not enabled for the application",
		Remediation: "Enable access tokens for the implicit flow in the app registration, or use the code flow."},
	{Code: "AADSTS700024", Class: ClassClientAuth, Meaning: "the client assertion is not within its valid time range",
		Remediation: "Build a fresh client assertion for each request (nbf and exp around now) and check the client's clock."},
	{Code: "AADSTS50059", Class: ClassTenant, Meaning: "no tenant was found in the request or the credentials",
		Remediation: "Send the request to the tenant's endpoint (not /common) for a single-tenant application."},
	{Code: "AADSTS50128", Class: ClassTenant, Meaning: "the domain name is not valid: no tenant-identifying information in the request",
		Remediation: "Use a tenant ID or a verified domain in the authority."},
	{Code: "AADSTS50132", Class: ClassRefreshExpired, Meaning: "the session is no longer valid: the password changed",
		Remediation: "Reauthenticate interactively."},
	{Code: "AADSTS50133", Class: ClassRefreshExpired, Meaning: "the session is no longer valid: the password expired or was reset",
		Remediation: "Reauthenticate interactively."},
	{Code: "AADSTS50196", Class: ClassLoop, Meaning: "the server detected a client request loop",
		Remediation: "Cache and reuse tokens, try silent acquisition before interactive, never retry auth errors in a tight loop."},
	{Code: "AADSTS700054", Class: ClassResponseType, Meaning: "response_type id_token is not enabled for the application",
		Remediation: "Enable ID tokens for the app or use the code flow."},
	{Code: "AADSTS70007", Class: ClassResponseType, Meaning: "unsupported response_mode",
		Remediation: "Use a response_mode the flow supports."},
	// Microsoft Entra ID, from Microsoft's reference list of AADSTS codes
	// (MicrosoftDocs/entra-docs docs/identity-platform/reference-error-codes.md
	// at 3164b3b5d031edef0ad334ba09d3ea6dcb619c1a): the codes met in
	// browser and app sign-in, token and refresh traces. The names in
	// parentheses are the list's own (the STS's exception names), what
	// Microsoft's sign-in logs and support call them.
	//
	// Interrupts: the STS asks the user for something; a silent request
	// gets them as interaction_required.
	{Code: "AADSTS50072", Class: ClassInteraction, Meaning: "the user must enroll for second-factor authentication, interactively (UserStrongAuthEnrollmentRequiredInterrupt)",
		Remediation: "Make an interactive request so the user can register the security info multifactor authentication needs.",
		Causes:      []string{"the user has not registered the security info multifactor authentication needs, and a policy requires it now", "a silent or non-interactive request, which cannot show the registration"}},
	{Code: "AADSTS50074", Class: ClassInteraction, Meaning: "strong authentication is required and the user did not pass the MFA challenge (UserStrongAuthClientAuthNRequiredInterrupt)",
		Remediation: "Make an interactive request so the user can complete the MFA challenge; if it keeps failing, the sign-in log's authentication details name the method that failed.",
		Causes:      []string{"the user did not pass the MFA challenge (denied, timed out, or the method failed)", "a silent request, which cannot show the challenge"}},
	{Code: "AADSTS50078", Class: ClassInteraction, Meaning: "the multifactor authentication presented has expired under the administrator's policies: the user must do MFA again for this resource (UserStrongAuthExpired)",
		Remediation: "Make an interactive request so the user can perform multifactor authentication again.",
		Causes:      []string{"a policy (sign-in frequency, or MFA for this resource) asks for multifactor authentication more recent than the session's", "a refresh token or silent request, which cannot show the challenge"}},
	{Code: "AADSTS50097", Class: ClassInteraction, Meaning: "device authentication is required (DeviceAuthenticationRequired)",
		Remediation: "Make an interactive request from a device registered in Microsoft Entra ID, with a browser or broker that can present the device's identity; check the device's registration if it persists.",
		Causes:      []string{"a Conditional Access policy requires a registered (hybrid joined, compliant) device and the request carried no device identity", "a browser that cannot present the device's identity: an InPrivate window, a browser without the Windows Accounts extension or Microsoft Single Sign On extension, or an unregistered device"}},
	{Code: "AADSTS50125", Class: ClassInteraction, Meaning: "the sign-in was interrupted by a password reset or password registration step (PasswordResetRegistrationRequiredInterrupt)",
		Remediation: "Make an interactive request so the user can complete the password reset or registration.",
		Causes:      []string{"the user's password must be reset, or the self-service password reset registration completed, before signing in", "a silent request, which cannot show that step"}},
	{Code: "AADSTS50140", Class: ClassInteraction, Meaning: "the \"Keep me signed in\" prompt interrupted the sign-in (KmsiInterrupt): an expected step of the sign-in, not a failure",
		Remediation: "Nothing to fix: the user answers the prompt in an interactive sign-in; a silent request that gets it falls back to an interactive one.",
		Causes:      []string{"the \"Stay signed in?\" prompt of an interactive sign-in: the user answers it and the sign-in goes on", "a silent request (prompt=none) that reached the prompt, which it cannot show"}},
	{Code: "AADSTS50168", Class: ClassInteraction, Meaning: "the client can get a single sign-on token through the Windows 10 Accounts extension, but the request carried none or an expired one, so the sign-in was interrupted to fetch it (ChromeBrowserSsoInterruptRequired)",
		Remediation: "Nothing to fix when the sign-in then completes; otherwise check that the browser's Windows Accounts extension is installed and enabled.",
		Causes:      []string{"a browser that can do single sign-on through the Windows Accounts extension sent no device token, or an expired one, and is sent to fetch it"}},
	{Code: "AADSTS50199", Class: ClassInteraction, Meaning: "for security the user must confirm this is the app they meant to sign in to (CmsiInterrupt): shown when a native app requests a token in a system webview with a redirect URI outside the safe list; not a failure",
		Remediation: "Nothing to fix if the user confirms; to avoid the prompt, use a redirect URI of the safe list (http://, https://, or chrome-extension:// in desktop Chrome).",
		Causes:      []string{"a native app's sign-in in a system web view with a redirect URI outside the safe list (a custom scheme), for which Microsoft Entra ID asks the user to confirm the app"}},
	{Code: "AADSTS700020", Class: ClassInteraction, Meaning: "the access grant requires interaction (InteractionRequired)",
		Remediation: "Make an interactive request for the same resource so the user can complete what is required."},
	{Code: "AADSTS81010", Class: ClassInteraction, Meaning: "Seamless SSO failed because the user's Kerberos ticket has expired or is invalid (DesktopSsoAuthTokenInvalid)",
		Remediation: "Let the user sign in interactively; for Seamless SSO to work again the user needs a fresh Kerberos ticket (sign in to Windows again).",
		Causes:      []string{"Seamless SSO with an expired or invalid Kerberos ticket (the user signed in to Windows long ago, or the ticket is for another account)", "the Kerberos decryption key of the AZUREADSSOACC computer account rolled over on-premises and not in Microsoft Entra ID"}},
	{Code: "AADSTS9002341", Class: ClassInteraction, Meaning: "the user is required to permit single sign-on for the application and has not granted it",
		Remediation: "Send the user to an interactive request, whose consent screen lets the user permit single sign-on.",
		Causes:      []string{"the application asks the user to permit single sign-on and the user has not yet been asked in an interactive request"}},
	{Code: "AADSTS160021", Class: ClassInteraction, Meaning: "the application requested a user session that does not exist (AppSessionSelectionInvalidSessionNotExist)",
		Remediation: "Make an interactive request; a silent request (prompt=none, MSAL's ssoSilent) must name the sid or login_hint of a session the user still has."},
	// Conditional Access, accounts, passwords and devices: no rule decides
	// these; the verdict gives their meaning.
	{Code: "AADSTS16003", Class: ClassAccess, Meaning: "the user account has not been added to the resource tenant (SsoUserAccountNotFoundInResourceTenant)",
		Remediation: "Invite the user to the tenant as a guest, or sign in with an account of this tenant."},
	{Code: "AADSTS50005", Class: ClassAccess, Meaning: "the user signed in from a device platform that Conditional Access does not support (DevicePolicyError)",
		Remediation: "Sign in from a supported platform, or review the Conditional Access policy's device platform condition in the sign-in logs."},
	{Code: "AADSTS50014", Class: ClassAccess, Meaning: "the user account does not exist in the directory (GuestUserInPendingState): a guest not yet in the tenant, or the app chose the wrong tenant",
		Remediation: "Add the user as a guest (or have the user redeem the invitation), and check the tenant the app signs in to."},
	{Code: "AADSTS50056", Class: ClassAccess, Meaning: "invalid or null password: no password exists in the directory for this user",
		Remediation: "Have the user enter the password again; if the account has none, an administrator sets one or the user signs in with another method."},
	{Code: "AADSTS50129", Class: ClassAccess, Meaning: "workplace join is required to register the device (DeviceIsNotWorkplaceJoined)",
		Remediation: "Register (workplace join) the device in Microsoft Entra ID, then sign in again."},
	{Code: "AADSTS50131", Class: ClassAccess, Meaning: "a Conditional Access error: a bad Windows device state, a request blocked for suspicious activity, or an access or security policy decision (ConditionalAccessFailed)",
		Remediation: "Open the sign-in in the sign-in logs (its Conditional Access tab) for the policy and the condition that failed."},
	{Code: "AADSTS50135", Class: ClassAccess, Meaning: "the password must be changed because of account risk (PasswordChangeCompromisedPassword)",
		Remediation: "Have the user change the password in an interactive sign-in (self-service password reset), or have an administrator reset it and remediate the user's risk."},
	{Code: "AADSTS50144", Class: ClassAccess, Meaning: "the user's Active Directory (on-premises) password has expired (InvalidPasswordExpiredOnPremPassword)",
		Remediation: "Generate a new password for the user, or have the user reset it with self-service password reset."},
	{Code: "AADSTS50155", Class: ClassAccess, Meaning: "device authentication failed for this user (DeviceAuthenticationFailed)",
		Remediation: "Check the device in Microsoft Entra ID (registered, enabled) and sign in again from it."},
	{Code: "AADSTS50177", Class: ClassAccess, Meaning: "an external challenge is not supported for passthrough users (ExternalChallengeNotSupportedForPassthroughUsers)",
		Remediation: "Sign in with an account of the tenant, or exclude passthrough (external) users from the policy that requires the external challenge."},
	{Code: "AADSTS500014", Class: ClassAccess, Meaning: "the resource's service principal is disabled: a subscription in the tenant lapsed, or an administrator disabled it (InvalidResourceServicePrincipalDisabled)",
		Remediation: "Enable sign-in for the resource's enterprise application (service principal) in the tenant, or renew the subscription it comes with."},
	{Code: "AADSTS500021", Class: ClassAccess, Meaning: "tenant restrictions deny access: the tenant is not in the list of allowed tenants of the Restrict-Access-To-Tenant header",
		Remediation: "Sign in with an account of an allowed tenant, or have the network's administrator add this tenant to the Restrict-Access-To-Tenant list the proxy inserts."},
	{Code: "AADSTS500022", Class: ClassAccess, Meaning: "tenant restrictions deny access: the tenant is not in the list of allowed tenants of the Restrict-Access-To-Tenant header",
		Remediation: "Sign in with an account of an allowed tenant, or have the network's administrator add this tenant to the Restrict-Access-To-Tenant list the proxy inserts."},
	{Code: "AADSTS500207", Class: ClassAccess, Meaning: "the account type cannot be used for the resource being accessed",
		Remediation: "Sign in with an account of the type the resource accepts (work or school account, or personal Microsoft account)."},
	{Code: "AADSTS500208", Class: ClassAccess, Meaning: "the domain is not a valid sign-in domain for the account type: for example a personal Microsoft account signing in to a tenant that allows only work or school accounts",
		Remediation: "Sign in with an account of the type the tenant allows (a work or school account of the tenant)."},
	{Code: "AADSTS500212", Class: ClassAccess, Meaning: "the user's administrator set an outbound cross-tenant access policy that does not allow access to the resource tenant (NotAllowedByOutboundPolicyTenant)",
		Remediation: "The administrator of the user's home tenant must allow the resource tenant in its cross-tenant access settings (outbound access)."},
	{Code: "AADSTS500213", Class: ClassAccess, Meaning: "the resource tenant's cross-tenant access policy does not allow this user to access the tenant (NotAllowedByInboundPolicyTenant)",
		Remediation: "The resource tenant's administrator must allow the user's tenant (or the user) in its cross-tenant access settings (inbound access)."},
	{Code: "AADSTS51004", Class: ClassAccess, Meaning: "the user account does not exist in the directory (UserAccountNotInDirectory): the app likely chose the wrong tenant",
		Remediation: "Invite the user as a guest or use the right tenant."},
	{Code: "AADSTS53001", Class: ClassAccess, Meaning: "Conditional Access requires a domain-joined device, and the device is not domain-joined (DeviceNotDomainJoined)",
		Remediation: "Sign in from a domain-joined device, or review the Conditional Access policy in the sign-in logs."},
	{Code: "AADSTS53002", Class: ClassAccess, Meaning: "the app used is not an approved app for Conditional Access (ApplicationUsedIsNotAnApprovedApp)",
		Remediation: "Sign in with one of the approved client apps the policy requires, or review the Conditional Access policy in the sign-in logs."},
	{Code: "AADSTS53004", Class: ClassAccess, Meaning: "the user must complete multifactor authentication registration before accessing this content, and registration is blocked because of risk (ProofUpBlockedDueToRisk)",
		Remediation: "Have the user register for multifactor authentication; while registration stays blocked, an administrator must first remediate the user's risk (Identity Protection)."},
	{Code: "AADSTS53011", Class: ClassAccess, Meaning: "the user is blocked because of risk in the home tenant",
		Remediation: "The home tenant's administrator must review and remediate the user's risk (Identity Protection)."},
	{Code: "AADSTS530032", Class: ClassAccess, Meaning: "a security policy the tenant administrator configured blocks this request (BlockedByConditionalAccessOnSecurityPolicy)",
		Remediation: "Check the request against the tenant-level security policies; the sign-in logs name the policy."},
	{Code: "AADSTS530035", Class: ClassAccess, Meaning: "security defaults blocked the request: it used legacy authentication or was deemed unsafe (BlockedBySecurityDefaults)",
		Remediation: "Use modern authentication (OAuth 2.0 or OpenID Connect, as MSAL does) instead of legacy protocols; see the policies security defaults enforce."},
	{Code: "AADSTS70001", Class: ClassAccess, Meaning: "the application is disabled (UnauthorizedClient)",
		Remediation: "Enable sign-in for the application's service principal in the tenant, and check the client_id is the application's."},
	{Code: "AADSTS90095", Class: ClassAccess, Meaning: "the admin consent workflow's interrupt: the user is told to ask an administrator for consent (AdminConsentRequiredRequestAccess)",
		Remediation: "Have the user send the consent request and an administrator approve it, or grant admin consent for the tenant."},
	{Code: "AADSTS90099", Class: ClassAccess, Meaning: "the application has not been authorized in the tenant: partner delegated administrators can use it only once it is",
		Remediation: "Provide pre-consent for the application in the customer tenant, or authorize it with the Partner Center API."},
	// Tenants, clouds and endpoints.
	{Code: "AADSTS90038", Class: ClassTenant, Meaning: "the tenant belongs to a national cloud that this cloud instance does not federate with: a cloud redirect error (NationalCloudTenantRedirection)",
		Remediation: "Sign in at the national cloud's own sign-in host (login.microsoftonline.us for Azure Government, login.chinacloudapi.cn for Microsoft Azure operated by 21Vianet) with an app registered there, or use a tenant of the cloud the app signs in to."},
	{Code: "AADSTS90043", Class: ClassTenant, Meaning: "national cloud authorization code redirection is disabled (NationalCloudAuthCodeRedirection)",
		Remediation: "Sign in and redeem the code at the national cloud the tenant belongs to, with an app registered there."},
	{Code: "AADSTS90051", Class: ClassTenant, Meaning: "the national cloud identifier is invalid (InvalidNationalCloudId)",
		Remediation: "Use the authority host of the cloud the tenant belongs to."},
	{Code: "AADSTS900382", Class: ClassTenant, Meaning: "a confidential client is not supported in a cross-cloud request",
		Remediation: "Send the confidential client's requests to the cloud the app and the tenant belong to."},
	{Code: "AADSTS900432", Class: ClassTenant, Meaning: "a confidential client is not supported in a cross-cloud request",
		Remediation: "Send the confidential client's requests to the cloud the app and the tenant belong to."},
	{Code: "AADSTS1000104", Class: ClassTenant, Meaning: "the resource's cloud is not allowed for the tenant the signing-in identity comes from (XCB2BResourceCloudNotAllowedOnIdentityTenant)",
		Remediation: "Sign in with an account of the resource's cloud, or have the tenants' administrators allow the other Microsoft cloud in their cross-tenant access settings."},
	{Code: "AADSTS50049", Class: ClassTenant, Meaning: "unknown or invalid instance (NoSuchInstanceForDiscovery)",
		Remediation: "Use a valid authority host (login.microsoftonline.com or the national cloud's) in the app's configuration."},
	{Code: "AADSTS50107", Class: ClassTenant, Meaning: "the requested federation realm object does not exist: the sign-in request could not be matched with an existing authentication endpoint or instance",
		Remediation: "Check the authority (host and tenant) and the realm the app sends."},
	{Code: "AADSTS50143", Class: ClassTenant, Meaning: "session mismatch: the session is invalid because the user's tenant does not match the domain hint",
		Remediation: "Send the domain_hint of the user's own tenant, or none; if it persists, open a support ticket with the correlation ID, request ID and error code."},
	{Code: "AADSTS90019", Class: ClassTenant, Meaning: "Microsoft Entra ID could not determine the tenant from the request (MissingTenantRealm)",
		Remediation: "Use the tenant-specific endpoint (the tenant ID or a verified domain in the authority)."},
	{Code: "AADSTS90027", Class: ClassTenant, Meaning: "tokens cannot be issued from this API version on the Microsoft account (MSA) tenant: the app must use version 2.0 of the protocol",
		Remediation: "Use the v2.0 endpoints (/oauth2/v2.0/authorize and /oauth2/v2.0/token) for personal Microsoft accounts."},
	{Code: "AADSTS90124", Class: ClassTenant, Meaning: "the resource is not supported over the /common or /consumers endpoints (V1ResourceV2GlobalEndpointNotSupported)",
		Remediation: "Use the /organizations or tenant-specific endpoint."},
	{Code: "AADSTS90130", Class: ClassTenant, Meaning: "the application is not supported over the /common or /consumers endpoints (NonConvergedAppV2GlobalEndpointNotSupported)",
		Remediation: "Use the /organizations or tenant-specific endpoint."},
	{Code: "AADSTS9002332", Class: ClassTenant, Meaning: "the application is configured for Microsoft Entra users only, so the /consumers endpoint cannot serve it",
		Remediation: "Use the /organizations or tenant-specific endpoint, or change the app's supported account types if personal Microsoft accounts should sign in."},
	{Code: "AADSTS650059", Class: ClassTenant, Meaning: "the application is not configured for use in the tenant: its signInAudience AzureADMyOrg limits it to its home tenant",
		Remediation: "Sign in at the app's home tenant, or make the app multitenant (supported account types) if other tenants should use it."},
	{Code: "AADSTS700011", Class: ClassTenant, Meaning: "the client application was not found in the directory (UnauthorizedClientAppNotFoundInOrgIdTenant)",
		Remediation: "Check client_id, tenant and cloud host."},
	// Resources, permissions and consent.
	{Code: "AADSTS28002", Class: ClassScope, Meaning: "the scope is not valid when requesting an access token",
		Remediation: "Request a valid scope."},
	{Code: "AADSTS50001", Class: ClassScope, Meaning: "the resource is disabled or does not exist (InvalidResource)",
		Remediation: "Send the exact resource URL (or the scope's application ID URI) of the resource, and check it exists and is enabled in the tenant."},
	{Code: "AADSTS65005", Class: ClassScope, Meaning: "misconfigured application: its required resource access list holds no app the resource can discover, or the client requested a resource its list does not name, or Graph answered bad request or not found; for a SAML app, possibly a wrong Identifier (Entity ID) (MisconfiguredApplication)",
		Remediation: "Add the permissions the sign-in requests to the app registration (API permissions) and grant consent; for a SAML app check its Identifier (Entity ID)."},
	{Code: "AADSTS650054", Class: ClassScope, Meaning: "the application asked for permissions to a resource that was removed or is no longer available",
		Remediation: "Remove the permission to the missing resource from the app registration, or make sure every resource the app calls exists in the tenant."},
	{Code: "AADSTS650057", Class: ClassScope, Meaning: "invalid resource: the client requested access to a resource not listed in the requested permissions of its app registration",
		Remediation: "Add the resource's permission to the app registration (API permissions) and grant consent, or request only resources the registration lists."},
	{Code: "AADSTS700023", Class: ClassScope, Meaning: "the scope is not valid when requesting an access token (InvalidResourcelessScope)",
		Remediation: "Request the scopes of one resource (https://graph.microsoft.com/User.Read, api://{app id}/.default), not only OpenID Connect scopes, when asking for an access token."},
	{Code: "AADSTS90008", Class: ClassScope, Meaning: "the user or administrator has not consented to the application, which needs at least the sign-in and read user profile permission (TokenForItselfRequiresGraphPermission)",
		Remediation: "Add Microsoft Graph's User.Read (sign in and read user profile) to the app registration's API permissions and grant consent."},
	{Code: "AADSTS901002", Class: ClassScope, Meaning: "the 'resource' request parameter is not supported",
		Remediation: "On the v2.0 endpoints ask for scopes ({resource}/.default or named scopes) instead of sending resource."},
	// Client credentials.
	{Code: "AADSTS50048", Class: ClassClientAuth, Meaning: "the subject does not match the issuer claim in the client assertion (SubjectMismatchesIssuer)",
		Remediation: "Build the client assertion with iss and sub both the application (client) ID."},
	{Code: "AADSTS700030", Class: ClassClientAuth, Meaning: "invalid certificate: the subject name in the certificate is not authorized",
		Remediation: "Sign with a certificate whose subject name is authorized for the app, or register the certificate on the app."},
	// Requests.
	{Code: "AADSTS70003", Class: ClassMalformed, Meaning: "the grant type is not supported (UnsupportedGrantType)",
		Remediation: "Send a grant_type the endpoint supports (authorization_code, refresh_token, …), spelled exactly."},
	{Code: "AADSTS70004", Class: ClassRedirectURI, Meaning: "the redirect URI is not valid: it matches no address configured for the client (InvalidRedirectUri)",
		Remediation: "Register the exact redirect URI in the app registration, or fix the app to send the registered value."},
	{Code: "AADSTS70005", Class: ClassResponseType, Meaning: "unsupported response type: response_type token is not enabled for the app, or id_token was requested without the openid scope (UnsupportedResponseType)",
		Remediation: "Enable the implicit grant's tokens the app asks for (Authentication, Implicit grant and hybrid flows), add openid to the scope for id_token, or use the code flow."},
	{Code: "AADSTS90004", Class: ClassMalformed, Meaning: "the request is not properly formatted (InvalidRequestFormat)",
		Remediation: "Inspect the raw request in the trace (encoding, duplicated or missing parameters)."},
	{Code: "AADSTS90015", Class: ClassMalformed, Meaning: "the query string is too long (QueryStringTooLong)",
		Remediation: "Shorten the request URL: keep state small (store the app's data server-side) and drop parameters the sign-in does not need."},
	{Code: "AADSTS90100", Class: ClassMalformed, Meaning: "a parameter is empty or not valid (InvalidRequestParameter)",
		Remediation: "Inspect the raw request in the trace for the empty or invalid parameter."},
	{Code: "AADSTS90112", Class: ClassMalformed, Meaning: "the application identifier is expected to be a GUID",
		Remediation: "Send the application (client) ID, a GUID, as client_id."},
	// The device code flow (RFC 8628): a poll answered "pending" is the
	// protocol, not a failure.
	{Code: "AADSTS70016", Class: ClassPending, Meaning: "authorization is pending: the user has not finished signing in on the device code flow's verification page yet, and the device keeps polling (AuthorizationPending)",
		Remediation: "Nothing to fix: the client polls at the interval the device authorization answer gave until the user finishes; if it never completes, check the user opened the verification page and entered the code."},
	{Code: "AADSTS90119", Class: ClassUserAction, Meaning: "the user code is null or empty (InvalidUserCode)",
		Remediation: "Have the user enter the code the device shows on the verification page."},
	{Code: "AADSTS90120", Class: ClassFlowExpired, Meaning: "the device code request was already authorized or declined (InvalidDeviceFlowRequest)",
		Remediation: "Start a new device code sign-in for a new code; a code serves one sign-in."},
	{Code: "AADSTS70018", Class: ClassUserAction, Meaning: "invalid verification code: the user typed a wrong user code for the device code flow, so the authorization was not approved (BadVerificationCode)",
		Remediation: "Have the user enter the code the device shows exactly, or start a new device code sign-in."},
	// Assertions: a token presented as a grant or in a federation.
	{Code: "AADSTS50013", Class: ClassAssertion, Meaning: "the assertion is invalid: its issuer does not match the API version, it is expired or malformed, or the refresh token in it is not a primary refresh token (InvalidAssertion)",
		Remediation: "The app's developer must send a fresh, well-formed assertion from the right issuer (for on-behalf-of, an access token issued to the middle-tier API)."},
	{Code: "AADSTS500133", Class: ClassAssertion, Meaning: "the assertion is not within its valid time range: the access token used as the user assertion (on-behalf-of) has expired, or it is malformed or from another issuer",
		Remediation: "Make sure the access token has not expired before using it as the user assertion, or request a new token first."},
	{Code: "AADSTS50027", Class: ClassAssertion, Meaning: "invalid JWT: a nonce or sub claim missing, a subject mismatch, a duplicate claim, an unexpected issuer or audience, outside its valid time range, an improper format, or an external ID token whose signature failed (InvalidJwtToken)",
		Remediation: "Decode the JWT the request carries (its header and claims, not its signature) and fix the claim at fault: issuer, audience, lifetime, nonce or sub."},
	// The service's own failures.
	{Code: "AADSTS50000", Class: ClassService, Meaning: "an issue with the sign-in service (TokenIssuanceError)",
		Remediation: "Retry; if it persists, open a support ticket with Microsoft with the answer's trace ID, correlation ID and timestamp."},
	{Code: "AADSTS50033", Class: ClassService, Meaning: "a transient error not related to the database operations (RetryableError)",
		Remediation: "Retry the request."},
	{Code: "AADSTS90024", Class: ClassService, Meaning: "a transient error occurred (RequestBudgetExceededError)",
		Remediation: "Retry the request."},
	{Code: "AADSTS90033", Class: ClassService, Meaning: "the Microsoft Online Directory Service (MSODS) is not available (MsodsServiceUnavailable)",
		Remediation: "Retry later; if it persists, open a support ticket with the answer's trace ID and correlation ID."},
	{Code: "AADSTS50088", Class: ClassService, Meaning: "the limit on telecom MFA calls was reached",
		Remediation: "Try again in a few minutes, or use another multifactor authentication method."},
	{Code: "AADSTS90055", Class: ClassService, Meaning: "too many incoming requests: the tenant is throttled (TenantThrottlingError)",
		Remediation: "Reduce the request rate (cache tokens, back off after errors); if the tenant stays blocked, open a support ticket."},
	// Azure AD B2C.
	{Code: "AADB2C90006", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered for the client",
		Remediation: "Register the exact redirect URI for the application."},
	{Code: "AADB2C90007", Class: ClassRedirectURI, Meaning: "the application has no redirect URIs registered",
		Remediation: "Register the redirect URI for the application."},
	{Code: "AADB2C99059", Class: ClassPKCE, Meaning: "the request must present a code_challenge (single-page app)",
		Remediation: "Send code_challenge and code_challenge_method=S256."},
	{Code: "AADB2C90182", Class: ClassPKCE, Meaning: "the code_verifier does not match the code_challenge",
		Remediation: "Send the exact verifier generated for this authorization request."},
	{Code: "AADB2C90183", Class: ClassPKCEFormat, Meaning: "the code_verifier is invalid",
		Remediation: "Send a 43–128 character verifier."},
	{Code: "AADB2C90184", Class: ClassPKCEFormat, Meaning: "the code_challenge_method is not supported",
		Remediation: "Use S256."},
	{Code: "AADB2C90079", Class: ClassClientAuth, Meaning: "client credentials are required",
		Remediation: "Send the client secret."},
	{Code: "AADB2C90081", Class: ClassClientAuth, Meaning: "the client secret is invalid",
		Remediation: "Send the current client secret value."},
	{Code: "AADB2C90084", Class: ClassClientAuth, Meaning: "public clients must not send a client secret",
		Remediation: "Do not send a client secret from a public client."},
	{Code: "AADB2C90080", Class: ClassRefreshExpired, Meaning: "the grant has expired (sliding window)",
		Remediation: "Start an interactive sign-in."},
	{Code: "AADB2C90129", Class: ClassRefreshExpired, Meaning: "the grant was revoked",
		Remediation: "Start an interactive sign-in."},
	{Code: "AADB2C90077", Class: ClassInteraction, Meaning: "no session for a prompt=none request",
		Remediation: "Fall back to an interactive request."},
	// B2C hands these user choices back to the app as access_denied: the
	// app must handle them, or the user sees an error page.
	{Code: "AADB2C90118", Class: ClassUserAction, Meaning: "the user chose \"Forgot your password?\" on a sign-up or sign-in user flow without self-service password reset: Azure AD B2C hands that choice back to the app",
		Remediation: "Catch AADB2C90118 in the app and start the password reset user flow (or custom policy) with a new authorize request, or switch to a sign-up or sign-in user flow with self-service password reset enabled, which handles it itself."},
	{Code: "AADB2C90091", Class: ClassUserAction, Meaning: "the user cancelled the user flow (the Cancel button of a B2C page)",
		Remediation: "Handle this answer in the app: take the user back to a page from which the sign-in can start again, instead of showing an error."},
	{Code: "AADB2C90085", Class: ClassTenant, Meaning: "internal error, typically the policy is missing from the token request",
		Remediation: "Put the policy in the token endpoint path or as ?p=."},
	{Code: "AADB2C90088", Class: ClassTenant, Meaning: "the grant (code or refresh token) was not issued for this endpoint: it was issued under another user flow or custom policy",
		Remediation: "Redeem on the token endpoint of the same policy that issued the grant (the policy in the path or ?p= must match the authorize request's)."},
	// More of Azure AD B2C's list (MicrosoftDocs/azure-docs
	// articles/active-directory-b2c/error-codes.md at
	// 8b40f798d414e14871f9c89ee377bb2b93c86a13): the answers of its
	// authorize and token endpoints and of its sign-in pages.
	{Code: "AADB2C90008", Class: ClassMalformed, Meaning: "the request does not contain a client id parameter",
		Remediation: "Send the application's client_id."},
	{Code: "AADB2C90010", Class: ClassScope, Meaning: "the request does not contain a scope parameter",
		Remediation: "Send a scope (openid, and the client ID or an API's scope for an access token)."},
	{Code: "AADB2C90011", Class: ClassTenant, Meaning: "the client id in the request does not match the client id registered in the policy",
		Remediation: "Send the client_id of the application the policy names, or fix the policy's client id."},
	{Code: "AADB2C90012", Class: ClassScope, Meaning: "the scope provided in the request is not supported",
		Remediation: "Request scopes the application is granted: openid, offline_access, the client ID, or a published API's full scope URI."},
	{Code: "AADB2C90013", Class: ClassResponseType, Meaning: "the requested response type is not supported",
		Remediation: "Use a response_type the flow supports (code for the authorization code flow)."},
	{Code: "AADB2C90014", Class: ClassResponseType, Meaning: "the requested response mode is not supported",
		Remediation: "Use a response_mode the flow supports (query, fragment or form_post)."},
	{Code: "AADB2C90018", Class: ClassTenant, Meaning: "the client id in the request is not registered in the tenant",
		Remediation: "Check the client_id against the tenant's app registrations, and the tenant in the authority."},
	{Code: "AADB2C90035", Class: ClassService, Meaning: "the service is temporarily unavailable",
		Remediation: "Retry after a few minutes."},
	{Code: "AADB2C90037", Class: ClassService, Meaning: "an error occurred while processing the request",
		Remediation: "Contact the site's administrator with the answer's correlation ID and timestamp."},
	{Code: "AADB2C90043", Class: ClassMalformed, Meaning: "the prompt parameter contains invalid values: expected none, login, consent or select_account",
		Remediation: "Send prompt as none, login, consent or select_account."},
	{Code: "AADB2C90046", Class: ClassFlowExpired, Meaning: "B2C had trouble loading the sign-in's current state",
		Remediation: "Start the sign-in over from the beginning (from the app's sign-in link, not a bookmarked B2C page)."},
	{Code: "AADB2C90048", Class: ClassService, Meaning: "an unhandled exception occurred on the server",
		Remediation: "Retry; if it persists, look up the request's correlation ID in the policy's logs or open a support ticket."},
	{Code: "AADB2C90052", Class: ClassAccess, Meaning: "invalid username or password",
		Remediation: "Have the user check the account and password."},
	{Code: "AADB2C90053", Class: ClassAccess, Meaning: "no user with the specified credential could be found",
		Remediation: "Have the user check the account name, or sign up first."},
	{Code: "AADB2C90054", Class: ClassAccess, Meaning: "invalid username or password",
		Remediation: "Have the user check the account and password."},
	{Code: "AADB2C90055", Class: ClassScope, Meaning: "the scope must specify a resource, such as https://example.com/calendar.read",
		Remediation: "Request the API's full scope URI (https://{tenant}.onmicrosoft.com/{api}/{scope})."},
	{Code: "AADB2C90057", Class: ClassResponseType, Meaning: "the application is not configured to allow the OAuth implicit flow",
		Remediation: "Enable the implicit grant's tokens for the application, or use the authorization code flow with PKCE."},
	{Code: "AADB2C90058", Class: ClassClientAuth, Meaning: "the application is not configured to allow public clients",
		Remediation: "Allow public client flows for the application, or redeem as a confidential client with its secret."},
	{Code: "AADB2C90068", Class: ClassTenant, Meaning: "the application is not valid against this service: it was not created through the B2C portal",
		Remediation: "Use an application registered in the B2C tenant (App registrations of the Azure AD B2C blade)."},
	{Code: "AADB2C90083", Class: ClassMalformed, Meaning: "the request is missing a required parameter",
		Remediation: "Send the parameter the answer names."},
	{Code: "AADB2C90086", Class: ClassMalformed, Meaning: "the supplied grant_type is not supported",
		Remediation: "Send a grant_type B2C supports (authorization_code, refresh_token), spelled exactly."},
	{Code: "AADB2C90087", Class: ClassTenant, Meaning: "the grant was not issued for this version of the protocol endpoint",
		Remediation: "Redeem the grant at the same endpoint version as the authorize request (v2.0 with v2.0)."},
	{Code: "AADB2C90092", Class: ClassAccess, Meaning: "the application is disabled for the tenant",
		Remediation: "Enable the application in the tenant and try again."},
	{Code: "AADB2C90107", Class: ClassScope, Meaning: "the application cannot get an ID token: the openid scope was not requested, or the application is not authorized for it",
		Remediation: "Add openid to the scope, and grant the application the openid permission."},
	{Code: "AADB2C90110", Class: ClassScope, Meaning: "the scope must include openid when the response_type includes id_token",
		Remediation: "Add openid to the scope."},
	{Code: "AADB2C90111", Class: ClassAccess, Meaning: "the account has been locked",
		Remediation: "The tenant's support must unlock the account."},
	{Code: "AADB2C90114", Class: ClassAccess, Meaning: "the account is temporarily locked to prevent unauthorized use",
		Remediation: "Wait for the lockout to end; look for a client or user retrying a wrong password."},
	{Code: "AADB2C90115", Class: ClassScope, Meaning: "a code response_type needs in scope a resource or the client ID for an access token, openid for an ID token, and offline_access for refresh tokens",
		Remediation: "Request openid, offline_access and the client ID or the API's scope."},
	{Code: "AADB2C90117", Class: ClassScope, Meaning: "the scope provided in the request is not supported",
		Remediation: "Request scopes the application is granted: openid, offline_access, the client ID, or a published API's full scope URI."},
	{Code: "AADB2C90120", Class: ClassMalformed, Meaning: "the max_age parameter is invalid: it must be an integer in the allowed range",
		Remediation: "Send max_age as an integer in the range the answer names, or leave it out."},
	{Code: "AADB2C90128", Class: ClassRefreshExpired, Meaning: "the account associated with this grant no longer exists",
		Remediation: "Start an interactive sign-in (or sign-up)."},
	{Code: "AADB2C90146", Class: ClassScope, Meaning: "the scope names more than one resource for an access token, which is not supported",
		Remediation: "Request the scopes of one API per request."},
	{Code: "AADB2C90151", Class: ClassAccess, Meaning: "the user exceeded the maximum number of retries for multi-factor authentication",
		Remediation: "Have the user start the sign-in again later and check the phone or authenticator used."},
	{Code: "AADB2C90157", Class: ClassAccess, Meaning: "the user exceeded the maximum number of retries for a self-asserted step",
		Remediation: "Have the user start the sign-in again and check what the page asked for."},
	{Code: "AADB2C90205", Class: ClassScope, Meaning: "the application does not have sufficient permissions against this web resource",
		Remediation: "Grant the application the API's permission (API permissions, admin consent) and request that scope."},
	{Code: "AADB2C90209", Class: ClassLogoutHint, Meaning: "the id_token_hint does not contain an accepted audience",
		Remediation: "Send as id_token_hint an ID token issued to this application, not another app's token."},
	{Code: "AADB2C90210", Class: ClassLogoutHint, Meaning: "the id_token_hint could not be validated",
		Remediation: "Send as id_token_hint the unaltered ID token B2C issued for this sign-in."},
	{Code: "AADB2C90211", Class: ClassFlowExpired, Meaning: "the request carried an incomplete state cookie",
		Remediation: "Start the sign-in again from the app; let the browser keep B2C's cookies (no sign-in inside a third-party iframe, one host name for B2C)."},
	{Code: "AADB2C90212", Class: ClassFlowExpired, Meaning: "the request carried an invalid state cookie",
		Remediation: "Start the sign-in again from the app; let the browser keep B2C's cookies (no sign-in inside a third-party iframe, one host name for B2C)."},
	{Code: "AADB2C90224", Class: ClassGrantType, Meaning: "the resource owner (password) flow has not been enabled for the application",
		Remediation: "Use a sign-in user flow with the authorization code flow, or enable the resource owner password credentials user flow for the application."},
	{Code: "AADB2C90225", Class: ClassAccess, Meaning: "the username or password in the request is invalid",
		Remediation: "Have the user check the account and password; better, sign in with the authorization code flow."},
	{Code: "AADB2C90226", Class: ClassMalformed, Meaning: "the token exchange is only supported over HTTP POST",
		Remediation: "POST to the token endpoint."},
	{Code: "AADB2C90232", Class: ClassLogoutHint, Meaning: "the id_token_hint does not contain an accepted issuer",
		Remediation: "Send as id_token_hint an ID token this tenant and policy issued."},
	{Code: "AADB2C90233", Class: ClassLogoutHint, Meaning: "the id_token_hint failed signature validation",
		Remediation: "Send as id_token_hint the unaltered ID token B2C issued for this sign-in."},
	{Code: "AADB2C90235", Class: ClassAssertion, Meaning: "the provided id_token is expired",
		Remediation: "Provide a current ID token (renew it) and try again."},
	{Code: "AADB2C90237", Class: ClassAssertion, Meaning: "the provided id_token does not contain a valid audience",
		Remediation: "Provide an ID token issued for an audience the policy accepts (the answer lists the valid values)."},
	{Code: "AADB2C90238", Class: ClassAssertion, Meaning: "the provided id_token does not contain a valid issuer",
		Remediation: "Provide an ID token from an issuer the policy accepts (the answer lists the valid values)."},
	{Code: "AADB2C90239", Class: ClassAssertion, Meaning: "the provided id_token failed signature validation",
		Remediation: "Provide the unaltered ID token, signed with a key the policy trusts."},
	{Code: "AADB2C90240", Class: ClassAssertion, Meaning: "the provided id_token is malformed and could not be parsed",
		Remediation: "Provide the complete ID token (three base64url parts), not truncated or re-encoded."},
	{Code: "AADB2C90244", Class: ClassService, Meaning: "there are too many requests at this moment (throttling)",
		Remediation: "Wait and try again; reduce the request rate (cache tokens, back off after errors)."},
	{Code: "AADB2C90250", Class: ClassTenant, Meaning: "the generic login endpoint is not supported",
		Remediation: "Use the policy's endpoints: https://{tenant}.b2clogin.com/{tenant}.onmicrosoft.com/{policy}/oauth2/v2.0/authorize (or ?p={policy})."},
	{Code: "AADB2C90284", Class: ClassAccess, Meaning: "the application has not been granted consent and cannot be used for local accounts",
		Remediation: "Grant admin consent for the application's permissions (openid, offline_access) in the B2C tenant."},
	{Code: "AADB2C90285", Class: ClassTenant, Meaning: "the application with this identifier was not found",
		Remediation: "Check the client_id against the B2C tenant's app registrations."},
	{Code: "AADB2C90289", Class: ClassService, Meaning: "B2C encountered an error connecting to the identity provider",
		Remediation: "Try again later; if it persists, check the identity provider's configuration and availability."},
	{Code: "AADB2C99005", Class: ClassScope, Meaning: "the scope parameter contains an illegal character",
		Remediation: "Send the scopes space-separated and URL-encoded, without other characters."},
	// Sign-out (RP-Initiated Logout at /oauth2/v2.0/logout and a B2C
	// policy's /logout): AADSTS16002 as an Entra sign-out page shows it
	// (Azure/login#250); AADB2C90272 when the user flow or custom policy
	// has "Require ID Token in logout requests" on and the request has no
	// id_token_hint (MicrosoftDocs/azure-docs#34435,
	// microsoft-authentication-library-for-js#996); AADB2C90208 for an
	// expired hint (Microsoft Q&A 1184597).
	// Entra's list (reference-error-codes.md, as above) names two more
	// sign-out refusals of a session it does not have.
	{Code: "AADSTS50068", Class: ClassLogoutSession, Meaning: "sign-out failed: the app that initiated it is not a participant in the current session (SignoutInitiatorNotParticipant)",
		Remediation: "Treat the user as signed out of this app: clear the app's session; sign out from an app the user signed in to in this browser session."},
	{Code: "AADSTS50070", Class: ClassLogoutSession, Meaning: "sign-out failed: the request's name identifier matches none of the existing sessions (SignoutUnknownSessionIdentifier)",
		Remediation: "Send the name identifier (and session index) of the current sign-in's assertion, not a cached one; treat the user as signed out if the session already ended."},
	{Code: "AADSTS16002", Class: ClassLogoutSession, Meaning: "the sign-out names a user session Microsoft Entra does not have (\"Application requested to sign out of a user session which does not exist\"): the session already ended (another tab or app signed out, it expired), or the request's sid or logout_hint is another account's",
		Remediation: "Treat the user as signed out: clear the app's session and send the browser to the post-logout page; send the sid or logout_hint (login_hint claim) of the ID token of the current sign-in, not a cached one."},
	{Code: "AADB2C90272", Class: ClassLogoutHint, Meaning: "the sign-out request has no id_token_hint, and the user flow or custom policy requires one (\"Require ID Token in logout requests\": \"The id_token_hint parameter has not been specified in the request.\")",
		Remediation: "Send the ID token of the sign-in as id_token_hint on the /logout request (MSAL: logoutRedirect({ idTokenHint }); oidc-client-ts: signoutRedirect with the user loaded), or turn Require ID Token in logout requests off (user flow: Properties, Session behavior; custom policy: SingleSignOn … EnforceIdTokenHintOnLogout)."},
	{Code: "AADB2C90208", Class: ClassLogoutHint, Meaning: "the id_token_hint has expired (\"The provided id_token_hint parameter is expired. Please provide another token and try again.\")",
		Remediation: "Send the newest ID token as id_token_hint: renew it (a silent sign-in) before signing out, or start the flow again for a new one."},
	// AD FS.
	{Code: "MSIS9612", Class: ClassCodeInvalid, Meaning: "the authorization code is invalid (already used, expired or altered)",
		Remediation: "Redeem each code once and immediately."},
	// AD FS words its error page in the browser's language; the code
	// stays, so the code, not the text, classifies it.
	{Code: "MSIS9224", Class: ClassRedirectURI, Meaning: "the redirect_uri is not a redirect URI registered for the client identifier",
		Remediation: "Add the exact URI to the redirect URIs of the client (application group) in AD FS, or fix the app to send a registered one."},
	{Code: "MSIS9223", Class: ClassTenant, Meaning: "no client is registered in AD FS with this client identifier",
		Remediation: "Check the client_id against the application group's client identifier in AD FS."},
	{Code: "MSIS9622", Class: ClassClientAuth, Meaning: "client authentication failed: the credential the client sent is not valid for this AD FS application group",
		Remediation: "Send the client secret or certificate registered for the server application in AD FS; check it has not expired."},
	// AD FS's token endpoint and error redirects, in the words its answers
	// carry (error_description): MSIS9607, MSIS9602 and MSIS9659 as a
	// .NET AD FS client quotes its token endpoint's 400 bodies; MSIS9605
	// in an error redirect to a native client; MSIS9321 on AD FS's error
	// page (snok/django-auth-adfs#31); MSIS9615 in AD FS's developer
	// scenarios documentation; MSIS7065 on its error page.
	{Code: "MSIS9607", Class: ClassTenant, Meaning: "AD FS has no client registered with this client_id (\"No registered client is found with this identifier.\"): the client id of another application group, AD FS farm or environment, or a typo",
		Remediation: "Compare the client_id the app sends with the Client Identifier of its application in AD FS (AD FS Management → Application Groups → the group → the server or native application; Get-AdfsServerApplication, Get-AdfsNativeClientApplication) on the AD FS farm the app's authority names."},
	{Code: "MSIS9602", Class: ClassScope, Meaning: "the resource parameter names no Web API or relying party registered in AD FS (\"can not find a registered resource with the specified identifier\")",
		Remediation: "Send as resource an identifier of the Web API in the application group, character for character (scheme, host, trailing slash), or add the identifier the app sends to the Web API (AD FS Management → Application Groups → the group → the Web API → Identifiers)."},
	{Code: "MSIS9605", Class: ClassScope, Meaning: "the client is not allowed to access the requested resource: AD FS has no permission of this client to the Web API (or relying party) the resource parameter names",
		Remediation: "Permit the client on the Web API: AD FS Management → Application Groups → the group → the Web API → Client Permissions (add the client application with the scopes it asks for, openid at least), or Grant-AdfsApplicationPermission -ClientRoleIdentifier <client id> -ServerRoleIdentifier <resource identifier> -ScopeNames openid."},
	{Code: "MSIS9321", Class: ClassScope, Meaning: "the client is forbidden to access the resource the request names: AD FS has no permission of this client to that relying party or Web API",
		Remediation: "Permit the client on the resource: Grant-AdfsApplicationPermission -ClientRoleIdentifier <client id> -ServerRoleIdentifier <resource identifier> (AD FS 2016 and later: the Web API's Client Permissions in its application group), and send as resource the identifier the permission names."},
	{Code: "MSIS9615", Class: ClassRefreshExpired, Meaning: "the refresh token has expired (AD FS's refresh token lifetime follows its single sign-on settings)",
		Remediation: "Start an interactive sign-in (ADAL and MSAL do so themselves on this answer); the lifetime is AD FS's single sign-on setting (Set-AdfsProperties -SsoLifetime, PersistentSsoLifetimeMins for Keep me signed in and registered devices)."},
	{Code: "MSIS9659", Class: ClassAccess, Meaning: "the user name or password sent with the password grant is wrong",
		Remediation: "Check the account's user name (UPN) and password; better, stop collecting passwords in the app (the password grant) and sign in with the authorization code flow."},
	{Code: "MSIS7065", Class: ClassTenant, Meaning: "AD FS serves nothing at this URL (\"no registered protocol handlers on path\"): a wrong path (a typo, a segment too many or too few), an endpoint that is disabled, or a method the endpoint does not serve (a browser GET of /adfs/oauth2/token)",
		Remediation: "Use the endpoints AD FS's discovery document names (https://{AD FS host}/adfs/.well-known/openid-configuration: /adfs/oauth2/authorize/, and /adfs/oauth2/token/ by POST only); check the endpoint is enabled (Get-AdfsEndpoint)."},

	// Message-matched entries: providers without codes. Specific texts come
	// first: ory/fosite appends a specific hint to one generic description,
	// and zitadel's "invalid code" is a prefix of its PKCE messages.

	// GitHub's token endpoint (github.com/login/oauth/access_token, and
	// GitHub Enterprise Server's) answers its refusals with HTTP 200, the
	// error in the body (form-encoded, or JSON when asked), in these names
	// (its "Troubleshooting OAuth app access token request errors").
	{Match: "bad_verification_code", Class: ClassCodeInvalid, Meaning: "GitHub refused the code: it is incorrect, expired (GitHub codes live 10 minutes), already redeemed, or was issued to another OAuth app; GitHub answers all of these alike, with HTTP 200",
		Remediation: "Redeem each code once, as soon as the callback arrives, with the client_id of the app that requested it; a reload of the callback or a second handler must not redeem it again; restart the sign-in for a new code."},
	{Match: "incorrect_client_credentials", Class: ClassClientAuth, Meaning: "GitHub did not accept the client_id and client_secret of the token request: a wrong, deleted or regenerated client secret, the secret of another app, or a client_id GitHub does not have (it answers with HTTP 200)",
		Remediation: "Send the app's Client ID and a current client secret: GitHub → Settings (or the organization's settings) → Developer settings → OAuth Apps or GitHub Apps → the app → Client secrets (GitHub shows a secret once: generate a new one if it was lost, and deploy it)."},

	// RFC 9126 §2.2 and RFC 9101 §7: the request_uri an authorize request
	// names is unknown, expired or spent. A pushed request is for one
	// authorize request (oidc-provider consumes it; Keycloak, Authlete and
	// others alike) and lives seconds to a minute, so a reload, the back
	// button or a bookmark of the authorize URL sends a spent one. Before
	// the "already used" entries: no code is involved (oidc-provider says
	// "request_uri is invalid, expired, or was already used").
	{Match: "invalid_request_uri", Class: ClassFlowExpired, Meaning: "the request_uri of the authorize request (a pushed authorization request, RFC 9126, or a request object by reference) is unknown to the provider, expired or already used: a pushed request serves one authorize request and expires within about a minute",
		Remediation: "Push a new authorization request for every sign-in and send the browser to the authorize endpoint at once; a reload, the back button or a bookmarked authorize URL sends a spent request_uri, so start such a sign-in again from the app's login route (which pushes anew), and check the app server's clock and the provider's request_uri lifetime if the push and the authorize request are seconds apart."},

	// Sign-out refusals (OpenID Connect RP-Initiated Logout), in the words
	// of each provider's end-session endpoint; before the redirect URI
	// entries, whose words ("redirect URI registered") Microsoft's text
	// holds too. oidc-provider 9: lib/actions/end_session.js (the first is
	// recorded in rules/testdata/logout/logout-unregistered.har);
	// oidc-provider 6 refused a URI without a hint
	// (panva/node-oidc-provider#630). Okta: its 400 page
	// (firezone/firezone#1159, Okta's support article "The
	// post_logout_redirect_uri parameter must be a Logout redirect URI in
	// the client app settings"). Auth0: /v2/logout's returnTo and
	// /oidc/logout's post_logout_redirect_uri (auth0/auth0-react#127,
	// auth0-training/labs-node-create-an-application#35). Microsoft's
	// consumer and Entra endpoints (manfredsteyer/angular-oauth2-oidc#264).
	// Keycloak 18 and later (keycloak/keycloak's logout endpoint; s1t5/
	// mail-archiver#270 quotes its page and its log's reason,
	// itpropro/nuxt-oidc-auth#62 its refused hint).
	{Match: "post_logout_redirect_uri not registered", Class: ClassLogoutRedirect, Meaning: "oidc-provider (and servers built on it: Logto, the Solid servers) refused the sign-out: its post_logout_redirect_uri is not one of the client's registered post_logout_redirect_uris (an exact match: scheme, host, port, path, trailing slash)",
		Remediation: "Add the exact URI the app sends to the client's post_logout_redirect_uris (oidc-provider: the client's metadata; Logto: the application's Post sign-out redirect URIs), or make the app send a registered one."},
	{Match: "must be a logout redirect uri", Class: ClassLogoutRedirect, Meaning: "Okta refused the sign-out (400 at /v1/logout): its post_logout_redirect_uri is not one of the app's Sign-out redirect URIs (an exact, case-sensitive match, trailing slash included; a relative URI never matches)",
		Remediation: "Add the exact absolute URI the app sends to the app's Sign-out redirect URIs (Okta Admin Console: Applications, the app, General, Login, Sign-out redirect URIs), or make the app send a listed one."},
	{Match: "allowed logout urls", Class: ClassLogoutRedirect, Meaning: "Auth0 refused the sign-out: the returnTo (/v2/logout) or post_logout_redirect_uri (/oidc/logout) is not in the Allowed Logout URLs of the application named by client_id, or, without client_id, of the tenant",
		Remediation: "Add the exact URL the app sends to Allowed Logout URLs (Auth0 Dashboard: Applications, the app, Settings; without client_id in the request: Settings, Advanced, Allowed Logout URLs of the tenant), or send client_id with it."},
	{Match: "'post_logout_redirect_uri' is not valid", Class: ClassLogoutRedirect, Meaning: "Microsoft refused the sign-out (\"The provided value for the input parameter 'post_logout_redirect_uri' is not valid\"): it is not a redirect URI registered for the app, or the app never signed this user in and asks to sign them out",
		Remediation: "Register the exact URI as a redirect URI of the app (app registration: Authentication), or send one that is; sign out only a user this app signed in."},
	{Match: "post_logout_redirect_uri can only be used in combination with id_token_hint", Class: ClassLogoutHint, Meaning: "oidc-provider (6 and earlier) refused a sign-out that sent post_logout_redirect_uri without id_token_hint: it cannot tie the URI to a client (oidc-provider 7 and later drop the URI instead and end on their own page)",
		Remediation: "Send the ID token of the sign-in as id_token_hint with the post_logout_redirect_uri (openid-client: buildEndSessionUrl with id_token_hint)."},
	{Match: "client_id does not match the provided id_token_hint", Class: ClassLogoutHint, Meaning: "oidc-provider refused the sign-out: the id_token_hint was issued to another client than the request's client_id",
		Remediation: "Send the ID token this client received as id_token_hint, and this client's client_id (an app with several clients, or a copied configuration, mixes them)."},
	{Match: "unrecognized id_token_hint audience", Class: ClassLogoutHint, Meaning: "oidc-provider refused the sign-out (invalid_client): the id_token_hint's audience is no client it knows (a hint from another provider, environment, or a deleted client)",
		Remediation: "Send the ID token this provider issued to this client as id_token_hint; check the app's issuer and client configuration."},
	{Match: "could not decode id_token_hint", Class: ClassLogoutHint, Meaning: "oidc-provider refused the sign-out: the id_token_hint is no JWT (an access token, an opaque value, a truncated or twice-encoded token)",
		Remediation: "Send the ID token itself, unchanged, as id_token_hint (not the access token)."},
	{Match: "could not validate id_token_hint", Class: ClassLogoutHint, Meaning: "oidc-provider refused the id_token_hint of a sign-out (or of an authorize request): expired beyond what it accepts, signed with a key it no longer has, or otherwise invalid for the client",
		Remediation: "Send the newest ID token of this client's sign-in as id_token_hint (renew it before signing out); after a key rotation, sign in again for a fresh one."},
	{Match: "missing parameters: id_token_hint", Family: model.FamilyKeycloak, Class: ClassLogoutHint, Meaning: "Keycloak (18 and later) refused the sign-out: it sent post_logout_redirect_uri with neither id_token_hint nor client_id (its log: \"Either the parameter 'client_id' or the parameter 'id_token_hint' is required when 'post_logout_redirect_uri' is used.\")",
		Remediation: "Send the ID token of the sign-in as id_token_hint (or at least client_id) with the post_logout_redirect_uri; the client's Valid post logout redirect URIs must hold the URI."},
	{Match: "invalid parameter: id_token_hint", Family: model.FamilyKeycloak, Class: ClassLogoutHint, Meaning: "Keycloak refused the sign-out's id_token_hint: expired (it checks the hint's exp), issued by another realm or for another client, or no ID token",
		Remediation: "Send the newest ID token of this client's sign-in as id_token_hint (renew it before signing out), or send client_id instead of an expired hint."},
	// Keycloak words a refused redirect URI alike on its authorize and its
	// logout endpoint (its logout log says invalid_redirect_uri:
	// oidc-wp/openid-connect-generic#472); the sign-in class stays, the
	// sign-out rule is named too.
	{Match: "invalid redirect uri", Family: model.FamilyKeycloak, Class: ClassRedirectURI, Also: []string{"logout-redirect-mismatch"},
		Meaning:     "Keycloak refused the redirect URI: at its authorize endpoint the redirect_uri is not one of the client's Valid redirect URIs; at its logout endpoint (…/protocol/openid-connect/logout) the post_logout_redirect_uri is not one of its Valid post logout redirect URIs (Keycloak 18 and later; \"+\" there takes the Valid redirect URIs)",
		Remediation: "Add the exact URI to the client's Valid redirect URIs (sign-in) or Valid post logout redirect URIs (sign-out) in the Keycloak Admin Console (Clients, the client, Settings), or make the app send a listed one."},
	// Keycloak's error page when the authorize request lacks a parameter
	// (the oauth reader appends "(Missing parameter: name)" to the page's
	// words in any language). Before the redirect_uri entries: a missing
	// redirect_uri is sent, not registered.
	{Match: "missing parameter: ", Family: model.FamilyKeycloak, Class: ClassMalformed, Meaning: "the authorize request lacks a parameter Keycloak requires (the message names it)",
		Remediation: "Send the parameter the message names on the authorize request (a missing redirect_uri is sent by the app, not registered in Keycloak)."},
	{Match: "pkce code challenge did not match", Class: ClassPKCE, Meaning: "the code_verifier does not match the code_challenge",
		Remediation: "Send the exact verifier generated for this authorization request."},
	{Match: "code challenge was absent from the authorization request", Class: ClassPKCE, Meaning: "a code_verifier was sent but the authorize request had no code_challenge",
		Remediation: "Send the challenge on the authorize request whenever the token request sends a verifier."},
	{Match: "must include a code_challenge", Class: ClassPKCE, Meaning: "the client must use PKCE but sent no code_challenge",
		Remediation: "Send code_challenge and code_challenge_method=S256."},
	{Match: "initial pkce data", Class: ClassPKCE, Meaning: "no PKCE data is stored for this code",
		Remediation: "Send the code_challenge on the authorize request and the verifier on the token request."},
	{Match: "pkce code verifier must", Class: ClassPKCEFormat, Meaning: "the code_verifier is malformed (43–128 unreserved characters)",
		Remediation: "Send a 43–128 character verifier of unreserved characters."},
	{Match: "pkce code verifier can not be longer", Class: ClassPKCEFormat, Meaning: "the code_verifier is longer than 128 characters",
		Remediation: "Send a 43–128 character verifier."},
	{Match: "invalid code_verifier", Class: ClassPKCE, Meaning: "the code_verifier does not match the code_challenge",
		Remediation: "Send the exact verifier generated for this authorization request."},
	{Match: "invalid code challenge", Class: ClassPKCE, Meaning: "the code_verifier does not prove the code_challenge",
		Remediation: "Send the exact verifier generated for this authorization request."},
	{Match: "pkce required", Class: ClassPKCE, Meaning: "the client must use PKCE",
		Remediation: "Send code_challenge on the authorize request and code_verifier on the token request."},
	{Match: "redirect_uri' from this request does not match", Class: ClassRedirectURI, Meaning: "the token redirect_uri differs from the authorize one",
		Remediation: "Send the identical redirect_uri on the token request."},
	{Match: "redirect_uri\" from this request does not match", Class: ClassRedirectURI, Meaning: "the token redirect_uri differs from the authorize one",
		Remediation: "Send the identical redirect_uri on the token request."},
	{Match: "redirect_uri does not correspond", Class: ClassRedirectURI, Meaning: "the token redirect_uri differs from the authorize one",
		Remediation: "Send the identical redirect_uri on the token request."},
	{Match: "pre-registered redirect", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered for the client",
		Remediation: "Register the exact redirect URI."},
	{Match: "redirect_uri is missing in the client configuration", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered for the client",
		Remediation: "Register the exact redirect URI."},
	{Match: "redirect_uri is http and is not allowed", Class: ClassRedirectURI, Meaning: "the client may not use an http redirect URI",
		Remediation: "Use an https redirect URI (or allow http for development clients)."},
	{Match: "refresh token expired", Class: ClassRefreshExpired, Meaning: "the refresh token expired",
		Remediation: "Start an interactive sign-in."},
	{Match: "refresh token was already used", Class: ClassRefreshExpired, Meaning: "a rotated refresh token was used again",
		Remediation: "Store the newest refresh token after every refresh; serialize refreshes across tabs and processes."},
	{Match: "refresh token is malformed or not valid", Class: ClassRefreshExpired, Meaning: "the refresh token is unknown to the provider (revoked, rotated away, or altered)",
		Remediation: "Start an interactive sign-in; store the newest refresh token after every refresh."},
	// Auth0 answers an unknown refresh token (revoked, expired, or with
	// rotation an already-rotated one, whose reuse revokes the family)
	// with 403 invalid_grant and these words; Keycloak (TokenManager) a
	// refresh token used more often than its realm's Refresh Token Max
	// Reuse allows while Revoke Refresh Token is on.
	{Match: "unknown or invalid refresh token", Class: ClassRefreshExpired, Meaning: "the provider does not know this refresh token: it expired (inactivity or absolute lifetime) or was revoked, or, with refresh token rotation, it was already rotated and its reuse made the provider revoke every refresh token of its family (Auth0's reuse detection)",
		Remediation: "Start an interactive sign-in; with rotation, store the refresh token every refresh returns and use only the newest, one refresh at a time across tabs (auth0-spa-js: one client instance, cacheLocation shared by the tabs); check the application's refresh token expiration (Auth0 Dashboard: Applications, the app, Settings, Refresh Token Rotation and Refresh Token Expiration)."},
	{Match: "maximum allowed refresh token reuse exceeded", Class: ClassRefreshExpired, Meaning: "a refresh token was used again after the realm's allowed reuses (Revoke Refresh Token on, Refresh Token Max Reuse 0 by default): two tabs or processes refreshed with one token, or the client kept an old one; Keycloak may end the session with it",
		Remediation: "Use the refresh token every refresh returns and only the newest, one refresh at a time across tabs and processes; or turn Revoke Refresh Token off or raise Refresh Token Max Reuse (Keycloak Admin Console: Realm settings, Tokens)."},
	{Match: "concurrent requests using the same token", Class: ClassRefreshExpired, Meaning: "two refreshes raced on one refresh token",
		Remediation: "Serialize refreshes across tabs and processes."},
	{Match: "authorize code expired", Class: ClassCodeExpired, Meaning: "the authorization code expired",
		Remediation: "Redeem the code immediately in the callback request."},
	{Match: "already been used", Class: ClassCodeReused, Meaning: "the authorization code was already used",
		Remediation: "Redeem each code exactly once."},
	{Match: "code was already redeemed", Class: ClassCodeReused, Meaning: "the authorization code was already redeemed",
		Remediation: "Redeem each code exactly once."},
	{Match: "already used", Class: ClassCodeReused, Meaning: "the authorization code was already used",
		Remediation: "Redeem each code exactly once."},
	{Match: "authorization code has expired", Class: ClassCodeExpired, Meaning: "the authorization code expired",
		Remediation: "Redeem the code immediately in the callback request."},
	{Match: "code has expired", Class: ClassCodeExpired, Meaning: "the authorization code expired",
		Remediation: "Redeem the code immediately in the callback request."},
	{Match: "malformed auth code", Family: model.FamilyGoogle, Class: ClassCodeMalformed, Meaning: "the code was altered (double URL-decoding, or a token sent as a code)",
		Remediation: "Send the code exactly as received, decoded once."},
	{Match: "authorization code is invalid or has expired", Class: ClassCodeInvalid, Meaning: "the code is invalid, expired or already used",
		Remediation: "Redeem each code once and immediately."},
	{Match: "code not valid", Family: model.FamilyKeycloak, Class: ClassCodeInvalid, Meaning: "the code is invalid, expired or already used (Keycloak also revokes tokens issued from a reused code)",
		Remediation: "Redeem each code once and immediately."},
	{Match: "invalid authorization code", Class: ClassCodeInvalid, Meaning: "the code is invalid, expired or already used",
		Remediation: "Redeem each code once and immediately."},
	{Match: "incorrect or expired", Class: ClassCodeInvalid, Meaning: "the code is incorrect, expired or already used",
		Remediation: "Redeem each code once and immediately."},
	// Ory Hydra (v2) keeps the login and consent CSRF values in cookies
	// named per client (ory_hydra_login_csrf[_dev]_<hash of the client>),
	// checked when the login or consent app hands the flow back.
	{Match: "the csrf value from the token does not match the csrf value from the data store", Class: ClassStateMismatch, Meaning: "Ory Hydra refused the sign-in at its login or consent step: the CSRF cookie it set when this sign-in reached it (ory_hydra_login_csrf_…, ory_hydra_consent_csrf_…, one per client in a browser) did not come back with it: another sign-in for the same client in the same browser replaced it, or the browser kept it from Hydra (SameSite, Hydra's public URL on another host or scheme than the one the sign-in started on, a cookie that expired)",
		Remediation: "Start one sign-in at a time per client in a browser, keep Hydra's public URL on one host and scheme (behind TLS: serve.cookies.same_site_mode and the proxy's X-Forwarded-Proto), and on this error start a fresh sign-in once instead of showing it."},
	// LemonLDAP::NG's portal (its OpenID Connect issuer): refusals of an
	// authorize request are its error page with the portal error's number
	// (the extractor names it by its constant, PE_…), Refuse on its
	// consent page is consent_required, not access_denied.
	{Match: "pe_unauthorizedurl", Family: model.FamilyLemonLDAP, Class: ClassRedirectURI, Meaning: "LemonLDAP::NG refused the redirect URI (error 108, \"Unauthorized URL\"): it is not one of the relying party's allowed redirection addresses; the portal checks it once the user has signed in and logs \"Redirect URI … not allowed\"",
		Remediation: "Add the exact redirect URI to the relying party's allowed redirection addresses (LemonLDAP::NG Manager: OpenID Connect Relying Parties, the relying party, Options, Basic, Allowed redirection addresses for login), or fix the app to send a listed one."},
	{Match: "pe_unknownpartner", Family: model.FamilyLemonLDAP, Class: ClassTenant, Meaning: "LemonLDAP::NG has no relying party with this client_id (error 107, \"This application is not known\")",
		Remediation: "Declare the relying party in the LemonLDAP::NG Manager (OpenID Connect Relying Parties, its Client ID under Options, Basic), or fix the app's client_id."},
	{Match: "pe_unauthorizedpartner", Family: model.FamilyLemonLDAP, Class: ClassAccess, Meaning: "LemonLDAP::NG's access rule for this relying party refused the user (error 84, \"You're not authorized to access to this host\")",
		Remediation: "Grant the user access in the relying party's access rule (LemonLDAP::NG Manager: OpenID Connect Relying Parties, the relying party, Options, Access rule), or sign in with a permitted account."},
	{Match: "pe_oidc_service_not_allowed", Family: model.FamilyLemonLDAP, Class: ClassAccess, Meaning: "LemonLDAP::NG's OpenID Connect issuer is not allowed for this user (error 90): its issuer use rule refused them",
		Remediation: "Allow the user in the OpenID Connect issuer's use rule (LemonLDAP::NG Manager: General Parameters, Issuer modules, OpenID Connect, Use rule)."},
	{Match: "consent not given", Family: model.FamilyLemonLDAP, Class: ClassUserAction, Meaning: "the user pressed Refuse on LemonLDAP::NG's consent page: LemonLDAP::NG sends the app consent_required (\"consent not given\"), where other providers send access_denied; no silent request was involved",
		Remediation: "Nothing is broken if the user meant to refuse: sign in again and press Accept. For an app the organisation trusts, skip the page: LemonLDAP::NG Manager, OpenID Connect Relying Parties, the relying party, Options, Basic, Bypass consent (oidcRPMetaDataOptionsBypassConsent). The app should show the refusal as such, not as a failure."},
	// Glewlwyd's OpenID Connect plugin: an authorize request it cannot send
	// back is answered 403 with no body (the extractor's "403 with no
	// body"); a code it does not hold for the client, 403 invalid_code.
	{Match: "403 with no body", Family: model.FamilyGlewlwyd, Class: ClassRedirectURI, Meaning: "Glewlwyd refused the authorize request with 403 and no page: it answers so when the redirect_uri is not one of the client's redirect URIs (exact match), and when the client_id is unknown or disabled, neither of which it can send back to the app",
		Remediation: "Add the exact redirect URI to the client (Glewlwyd's administration app: Clients, the client, Redirect URIs; or PUT /api/client/{client_id} with its redirect_uri list), and check the client exists and is enabled."},
	{Match: "invalid_code", Class: ClassCodeInvalid, Meaning: "the code is not one the provider holds for this client: already redeemed, expired, issued for another redirect_uri, or redeemed with a PKCE verifier that does not match (Glewlwyd answers all of them with 403 invalid_code and logs \"Code invalid\")",
		Remediation: "Redeem each code once, at once, with the redirect_uri and PKCE verifier of its own authorize request."},
	// Dex (server/handlers.go) answers a code it does not hold, one it
	// issued to another client and an expired one alike; it deletes a code
	// when it redeems it and keeps one 30 minutes.
	{Match: "invalid or expired code parameter", Class: ClassCodeInvalid, Meaning: "Dex does not hold this code for the client: it was already redeemed (Dex deletes a code when it redeems it), it expired (Dex keeps a code 30 minutes), or it was issued to another client",
		Remediation: "Redeem each code once, in the callback request, with the client it was issued to.",
		Lifetime: model.CodeLifetime{Expired: 30 * time.Minute, Suspicious: 25 * time.Minute,
			Source: "Dex, recognised by its \"Invalid or expired code parameter.\", keeps codes 30 minutes (server/handlers.go)"}},
	// Dex's approval page (oauth2.skipApprovalScreen false, its default):
	// Cancel posts approval=rejected, answered with its error page, 500.
	{Match: "approval rejected.", Class: ClassUserAction, Meaning: "the user pressed Cancel on Dex's approval page (\"Grant Access\"): Dex answers with its error page (HTTP 500) and does not send the browser back to the app with access_denied, so the app never learns of it",
		Remediation: "Nothing is broken if the user meant to cancel: sign in again and press Grant Access. To skip the page, set oauth2.skipApprovalScreen: true in Dex's configuration."},
	{Match: "no longer valid", Class: ClassCodeInvalid, Meaning: "the code is no longer valid",
		Remediation: "Redeem each code once and immediately."},
	// Dex renders the first on its error page, Spring Authorization Server
	// the second on its authorize error page; Amazon Cognito redirects to
	// its /error page with the third.
	// IdentityServer (Duende, IdentityServer4) answers an unregistered or
	// malformed redirect URI with unauthorized_client or invalid_request
	// and this description.
	{Match: "invalid redirect_uri", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered for the client, or is not a valid absolute URI",
		Remediation: "Register the exact redirect URI for the client (IdentityServer: the client's RedirectUris), or fix the app to send the registered value."},
	{Match: "unregistered redirect_uri", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered for the client",
		Remediation: "Register the exact redirect URI."},
	{Match: "oauth 2.0 parameter: redirect_uri", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered for the client",
		Remediation: "Register the exact redirect URI."},
	{Match: "redirect_mismatch", Class: ClassRedirectURI, Meaning: "the redirect URI is not one of the app client's allowed callback URLs",
		Remediation: "Add the exact URI to the app client's allowed callback URLs."},
	{Match: "redirect_uri_mismatch", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered, or differs from the authorize request",
		Remediation: "Register the exact redirect URI and send the same value on the token request."},
	{Match: "incorrect redirect_uri", Class: ClassRedirectURI, Meaning: "the token redirect_uri differs from the authorize one",
		Remediation: "Send the identical redirect_uri on the token request."},
	{Match: "invalid parameter: redirect_uri", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered for the client",
		Remediation: "Add the exact URI to the client's valid redirect URIs."},
	{Match: "callback url mismatch", Class: ClassRedirectURI, Meaning: "the redirect URI is not in the allowed callback URLs",
		Remediation: "Add the exact URI to Allowed Callback URLs."},
	{Match: "must be a login redirect uri", Class: ClassRedirectURI, Meaning: "the redirect URI is not a Login redirect URI of the app",
		Remediation: "Add the exact URI to the app's Sign-in redirect URIs."},
	{Match: "absolute uri that is whitelisted", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered for the app",
		Remediation: "Add the exact URI to the app's redirect URIs."},
	{Match: "pre-registered 'redirect_uris'", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered for the client",
		Remediation: "Register the exact redirect URI."},
	{Match: "'redirect_uri' is not valid", Class: ClassRedirectURI, Meaning: "the redirect_uri is not valid for this client or request",
		Remediation: "Send a registered redirect_uri, the same on the authorize and token requests."},
	// panva's node oidc-provider answers a reused, expired, redirect_uri-
	// or PKCE-mismatched code alike, the cause only in its server log
	// (error_detail): the class stays generic, the rules weigh the trace's
	// evidence; its default code lifetime (ttl.AuthorizationCode, recorded
	// on 9.13.3 in the fixture lab) is what the timing is measured against.
	{Match: "grant request is invalid", Class: ClassGenericGrant, Meaning: "oidc-provider refused the code or refresh token: already used, expired, a redirect_uri or PKCE verifier that does not match the authorize request, or another client's; it answers all of these alike and names the cause only in its server log (error_detail)",
		Remediation: "Compare the redemption with its authorize request (reuse, redirect_uri, PKCE verifier, timing); oidc-provider's grant.error event on the server names the cause.",
		Lifetime: model.CodeLifetime{Expired: 60 * time.Second, Suspicious: 30 * time.Second,
			Source: "oidc-provider, recognised by its \"grant request is invalid\", keeps codes 60 seconds by default (ttl.AuthorizationCode)"}},
	// node-oidc-provider (under many Node servers) says the first; the
	// second is how many other servers word it.
	// oauthlib's own words (oauthlib/oauth2/rfc6749/errors.py), which the
	// servers built on it answer with: django-oauth-toolkit shows them on
	// its authorize page (HTTP 400, "Error: invalid_request" and the
	// description) when it cannot redirect, and in its token endpoint's
	// JSON.
	{Match: "mismatching redirect uri", Class: ClassRedirectURI, Meaning: "the redirect_uri is not one of the client's registered redirect URIs (at the authorize endpoint; oauthlib's MismatchingRedirectURIError, which django-oauth-toolkit answers with its error page and no redirect), or differs from the authorize request's (at the token endpoint)",
		Remediation: "Register the exact redirect URI for the client (django-oauth-toolkit: the Django admin, Django OAuth Toolkit, Applications, the application, Redirect uris) and send the same value on the token request."},
	{Match: "invalid client_id parameter value", Class: ClassTenant, Meaning: "the provider has no client with this client_id (oauthlib's InvalidClientIdError: a typo, the id of another environment, a deleted application), so it cannot send the error back to the app",
		Remediation: "Use the client id of an application that exists at this provider (django-oauth-toolkit: the Django admin, Django OAuth Toolkit, Applications, Client id)."},
	{Match: "code verifier required", Class: ClassPKCE, Meaning: "the token request sent no code_verifier for a code whose authorize request sent a code_challenge, or the provider requires PKCE (oauthlib's MissingCodeVerifierError)",
		Remediation: "Send the verifier generated for this authorization request with the code; keep it with the sign-in's state until the callback."},
	{Match: "code challenge required", Class: ClassPKCE, Meaning: "the provider requires PKCE and the authorize request sent no code_challenge (oauthlib's MissingCodeChallengeError; django-oauth-toolkit's PKCE_REQUIRED, on by default from its version 2.0)",
		Remediation: "Send a code_challenge (S256) with the authorize request and its verifier with the token request; or, for a confidential client that cannot, turn PKCE_REQUIRED off in the site's OAUTH2_PROVIDER settings."},
	{Match: "redirect_uri did not match", Class: ClassRedirectURI, Meaning: "the redirect URI is not one the client registered",
		Remediation: "Register the exact redirect URI and send the same value on the token request."},
	{Match: "redirect_uri does not match", Class: ClassRedirectURI, Meaning: "the redirect URI is not registered, or differs from the authorize request",
		Remediation: "Register the exact redirect URI and send the same value on the token request."},
	{Match: "redirect uri", Class: ClassRedirectURI, Meaning: "the redirect URI was rejected",
		Remediation: "Register the exact redirect URI and send the same value on the token request."},
	{Match: "pkce verification failed", Class: ClassPKCE, Meaning: "the code_verifier does not match the code_challenge",
		Remediation: "Send the exact verifier generated for this authorization request."},
	{Match: "failed to verify code verifier", Class: ClassPKCE, Meaning: "the code_verifier does not match the code_challenge",
		Remediation: "Send the exact verifier generated for this authorization request."},
	{Match: "invalid code verifier", Class: ClassPKCE, Meaning: "the code_verifier does not match the code_challenge",
		Remediation: "Send the exact verifier generated for this authorization request."},
	{Match: "missing code verifier", Class: ClassPKCE, Meaning: "the code_verifier is missing",
		Remediation: "Send the verifier generated for this authorization request."},
	{Match: "code verifier not specified", Class: ClassPKCE, Meaning: "the code_verifier is missing",
		Remediation: "Send the verifier generated for this authorization request."},
	{Match: "missing code_verifier", Class: ClassPKCE, Meaning: "the code_verifier is missing",
		Remediation: "Send the verifier generated for this authorization request."},
	{Match: "token has been expired or revoked", Class: ClassRefreshExpired, Meaning: "the refresh token expired or was revoked",
		Remediation: "Start an interactive sign-in (Google apps in Testing status get 7-day refresh tokens)."},
	{Match: "stale token", Class: ClassRefreshExpired, Meaning: "a rotated (stale) refresh token was reused",
		Remediation: "Store the newest refresh token after every refresh; serialize refreshes."},
	{Match: "session not active", Class: ClassRefreshExpired, Meaning: "the session behind the refresh token is gone",
		Remediation: "Start an interactive sign-in."},
	{Match: "token is not active", Class: ClassRefreshExpired, Meaning: "the refresh token is no longer active",
		Remediation: "Start an interactive sign-in."},
	{Match: "refresh token is invalid or expired", Class: ClassRefreshExpired, Meaning: "the refresh token is invalid or expired",
		Remediation: "Start an interactive sign-in."},
	{Match: "client request loop", Class: ClassLoop, Meaning: "the server detected a client request loop",
		Remediation: "Cache and reuse tokens; stop the loop."},
	// Sign-ins a provider refused for who the user is or what the app
	// asked, as Okta and Auth0 word them in error_description.
	{Match: "not assigned to the client application", Class: ClassAccess, Meaning: "the user is not assigned to the application",
		Remediation: "Assign the user, or a group of theirs, to the application (Okta Admin Console: Applications, the app, Assignments)."},
	// RFC 6749's unauthorized_client: the client is not allowed this grant
	// (or, at the authorize endpoint, this response type); Auth0 says which.
	{Match: "not allowed for the client", Family: model.FamilyAuth0, Class: ClassGrantType, Meaning: "the application is not allowed to use this grant type",
		Remediation: "Enable the grant the app uses (Authorization Code, Refresh Token) for the application: Auth0 Dashboard, Applications, the app, Settings, Advanced Settings, Grant Types."},
	{Match: "user is blocked", Class: ClassAccess, Meaning: "the user is blocked (by an administrator, or by brute-force protection after failed sign-ins)",
		Remediation: "Unblock the user in the provider's user management (Auth0 Dashboard: User Management, Users, the user), or wait for the brute-force block to end."},
	{Match: "service not found", Family: model.FamilyAuth0, Class: ClassScope, Meaning: "the audience the sign-in asked for names no API registered in the tenant",
		Remediation: "Send as audience the identifier of an API registered in the tenant (Auth0 Dashboard: Applications, APIs), or leave audience out."},
	// Okta's own words, in error_description or on its error page
	// ("Error Code: … Description: …").
	{Match: "requested feature is not enabled in this environment", Family: model.FamilyOkta, Class: ClassTenant, Meaning: "the Okta org does not have a feature the request needs: most often API Access Management, without which a custom authorization server (/oauth2/default/v1/… or /oauth2/{id}/v1/…) cannot be used",
		Remediation: "Use the org authorization server (issuer https://{your org}, endpoints /oauth2/v1/authorize and /oauth2/v1/token) in the app's configuration, or have the org's API Access Management (or the named feature) enabled by Okta; then sign in again."},
	{Match: "invalid value for 'client_id' parameter", Family: model.FamilyOkta, Class: ClassTenant, Meaning: "no application with this client_id exists in this Okta org (the client id of another org, of a preview org, or of a deleted or deactivated app)",
		Remediation: "Compare the authorize request's client_id with the app's Client ID in the Okta Admin Console of the org the URL names (Applications, the app, General, Client Credentials), and that the app is active."},
	{Match: "authorization server id is invalid", Family: model.FamilyOkta, Class: ClassTenant, Meaning: "the authorization server in the URL (/oauth2/{id}/v1/…) does not exist in this Okta org",
		Remediation: "Use the issuer of an authorization server of this org (Okta Admin Console: Security, API, Authorization Servers: its Issuer URI), or the org authorization server (/oauth2/v1/…)."},
	{Match: "policy evaluation failed for this request", Family: model.FamilyOkta, Class: ClassAccess, Meaning: "no access policy rule of the authorization server allows this request: the client is not assigned to a policy, or no rule allows its grant type, this user or group, or the scopes requested",
		Remediation: "In the Okta Admin Console (Security, API, Authorization Servers, the server, Access Policies) assign a policy to this client and add a rule allowing the grant type the app uses (Authorization Code), the user's group and the requested scopes."},
	{Match: "one or more scopes are not configured for the authorization server resource", Family: model.FamilyOkta, Class: ClassScope, Meaning: "a requested scope is not defined on this authorization server",
		Remediation: "Add the scope to the authorization server (Okta Admin Console: Security, API, Authorization Servers, the server, Scopes) or stop requesting it."},
	// Google's error page names its error ("Error 403: org_internal") in
	// every language; the names below are those of its account help's
	// error code list and its app audience settings.
	{Match: "disallowed_useragent", Family: model.FamilyGoogle, Class: ClassAccess, Meaning: "Google refuses sign-in inside an embedded browser (a WebView or in-app browser of a mobile or desktop app): only a real browser may load its sign-in",
		Remediation: "Open the sign-in in the system browser (Android Custom Tabs, iOS ASWebAuthenticationSession, the desktop's default browser with a loopback redirect URI), as the AppAuth libraries do; never load accounts.google.com in a WebView."},
	{Match: "org_internal", Family: model.FamilyGoogle, Class: ClassAccess, Meaning: "the OAuth client's project is Internal: only accounts of its Google Cloud organization may sign in, and this account is outside it",
		Remediation: "Sign in with an account of the project's organization, or make the app External (Google Cloud console: Google Auth Platform or OAuth consent screen, Audience, User type) and publish it or add the account as a test user."},
	{Match: "admin_policy_enforced", Family: model.FamilyGoogle, Class: ClassAccess, Meaning: "the Google Workspace administrator of this account does not allow the app, or some of the scopes it asks for",
		Remediation: "The account's Workspace administrator must trust the app or allow its scopes (Admin console: Security, Access and data control, API controls, Manage third-party app access); or sign in with another account, or ask for fewer scopes."},
	{Match: "access_not_configured", Family: model.FamilyGoogle, Class: ClassAccess, Meaning: "a Google Workspace for Education administrator has not configured access for this app",
		Remediation: "The Workspace administrator must configure the app's access (Admin console: Security, Access and data control, API controls) for the users who need it."},
	{Match: "error 403: access_denied", Family: model.FamilyGoogle, Class: ClassAccess, Meaning: "Google blocked the sign-in: most often the app is in Testing publishing status and this account is not one of its test users (the page says the app has not completed Google's verification process)",
		Remediation: "Add the account to the app's test users (Google Cloud console: Google Auth Platform or OAuth consent screen, Audience, Test users), or publish the app, with verification if it asks for sensitive scopes."},
	{Match: "deleted_client", Family: model.FamilyGoogle, Class: ClassTenant, Meaning: "the OAuth client was deleted from its Google Cloud project",
		Remediation: "Restore the client (Google Cloud console: APIs & Services, Credentials, deleted credentials can be restored for 30 days) or create a new one and deploy its client id."},
	{Match: "error 401: invalid_client", Family: model.FamilyGoogle, Class: ClassTenant, Meaning: "Google found no OAuth client with this client id (a typo, a truncated id, or the id of another project)",
		Remediation: "Compare the authorize request's client_id with the OAuth 2.0 Client IDs of the project (Google Cloud console: APIs & Services, Credentials)."},
	// PingFederate refuses an authorize request naming a client it does not
	// have with a 400 and these words (its troubleshooting guide).
	{Match: "unknown or invalid client_id", Family: model.FamilyPing, Class: ClassTenant, Meaning: "no OAuth client with this client_id is configured in PingFederate",
		Remediation: "Compare the authorize request's client_id with the clients of PingFederate's administrative console (Applications, OAuth, Clients), and replicate the configuration to every node of the cluster after adding it."},
	// Keycloak's error page when the authorize request names a client the
	// realm does not have.
	{Match: "client not found", Family: model.FamilyKeycloak, Class: ClassTenant, Meaning: "no client with this client_id exists in the realm (a wrong realm in the URL, or the client id of another realm or environment)",
		Remediation: "Check the client_id and the realm of the authorize URL against the realm's Clients list in the Keycloak Admin Console."},
	// Keycloak's sign-in page (cookieNotFoundMessage) when the login form
	// comes back without the authentication session's cookie.
	{Match: "cookie not found. please make sure cookies are enabled", Family: model.FamilyKeycloak, Class: ClassFlowExpired, Meaning: "Keycloak's sign-in page came back without its authentication session cookie (AUTH_SESSION_ID): the browser blocked or dropped it (a sign-in inside a third-party iframe, cookies disabled), the login form was sent to another host name than the authorize request, or the session was gone",
		Remediation: "Open the sign-in top-level, not in an iframe of another site; use one host name for Keycloak in the app's authority and in the pages Keycloak renders (its hostname setting behind a proxy); let the browser keep Keycloak's cookies; then start the sign-in again from the app."},
	// Keycloak redirects temporarily_unavailable with this description when
	// the login page's authentication session is gone.
	{Match: "authentication_expired", Family: model.FamilyKeycloak, Class: ClassFlowExpired, Meaning: "the authentication session of the sign-in page expired: the user took longer than the realm's login timeout, or sent a login page left open after signing in elsewhere (another tab, the back button)",
		Remediation: "Start the sign-in again from the app; raise the realm's Login timeout (Realm settings: Sessions) if users need longer."},
	// Last: zitadel's bare "invalid code" would shadow longer texts.
	{Match: "invalid code", Class: ClassCodeInvalid, Meaning: "the code is invalid, expired or already used",
		Remediation: "Redeem each code once and immediately."},
}

// grantTypeInfo explains a bare unauthorized_client: where the provider
// of family lists the grants and response types a client may use, or
// every provider's setting when the family is not known.
func grantTypeInfo(family model.Family) ErrorInfo {
	e := ErrorInfo{Class: ClassGrantType, Meaning: "the client is not allowed to use this grant type (at the authorize endpoint: this response type)"}
	const allow = "Allow the grant the app uses (authorization code, refresh token) or its response type for this client"
	switch family {
	case model.FamilyAuth0:
		e.Remediation = allow + ": Auth0 Dashboard, Applications, the app, Settings, Advanced Settings, Grant Types."
	case model.FamilyCognito:
		e.Remediation = allow + ": Amazon Cognito console, the user pool, App integration, the app client, Hosted UI: OAuth 2.0 grant types (Authorization code grant), with the client's OAuth flows enabled."
	case model.FamilyOkta:
		e.Remediation = allow + ": Okta Admin Console, Applications, the app, General, Grant type; and a rule of the authorization server's access policy allowing it."
	case model.FamilyKeycloak:
		e.Remediation = allow + ": Keycloak Admin Console, the realm, Clients, the client, Settings, Capability config (Standard flow for the code grant)."
	case model.FamilyGoogle:
		e.Meaning += "; at Google's token endpoint also a refresh token issued to another client"
		e.Remediation = "Send the refresh token with the client id and secret it was issued to; a client of another type (web, installed, TV) cannot use this grant."
	case model.FamilyGlewlwyd:
		// Glewlwyd answers a client it could not authenticate (a wrong or
		// missing secret, a token endpoint auth method the client does
		// not list) with unauthorized_client too, 403.
		e.Class = ClassClientAuth
		e.Meaning = "Glewlwyd refused the client at its token endpoint (403 unauthorized_client): it answers so when the client secret is wrong or missing, when the client does not list the authentication method used (token_endpoint_auth_method), and when the client may not use this grant (authorization_type)"
		e.Remediation = "Send the client's current secret with a method the client lists (Glewlwyd's administration app: Clients, the client: its password, Token endpoint authentication methods, Authorization types: code)."
	case model.FamilyEntra, model.FamilyADFS:
		e.Remediation = allow + ": the app registration (Entra: Authentication, the platform of the redirect URI; AD FS: the application group's client type)."
	default:
		e.Remediation = allow + " in the provider's app settings (Auth0: Advanced Settings, Grant Types; Amazon Cognito: the app client's OAuth 2.0 grant types; Okta: the app's Grant type; Keycloak: the client's Capability config; PingFederate: Applications, OAuth, Clients, Allowed Grant Types), or have the app use a grant the client is registered for."
	}
	return e
}

// Catalog returns a copy of the error catalog, in lookup order.
func Catalog() []ErrorInfo {
	return append([]ErrorInfo(nil), errorCatalog...)
}

// LookupCode finds a catalog entry by provider code ("AADSTS54005").
func LookupCode(code string) (ErrorInfo, bool) {
	for _, e := range errorCatalog {
		if e.Code != "" && strings.EqualFold(e.Code, code) {
			return e, true
		}
	}
	return ErrorInfo{}, false
}

// CodeReference says, for a provider code the catalog does not list, whose
// code it is and, as a clause, where that provider explains it. Microsoft numbers its
// codes in the thousands and adds to them, so a code missing here still
// gets an engineer to the provider's own words. ok is false for anything
// not shaped like one of Microsoft's codes (AADSTS, AADB2C, MSIS and
// digits).
func CodeReference(code string) (provider, where string, ok bool) {
	code = strings.ToUpper(strings.TrimSpace(code))
	for _, r := range []struct{ prefix, provider, where string }{
		// The sign-in service's own lookup page takes the number.
		{"AADSTS", "Microsoft Entra ID", "Microsoft's lookup page explains it: https://login.microsoftonline.com/error?code=%s"},
		{"AADB2C", "Azure AD B2C", "Microsoft's list of B2C codes explains it: https://learn.microsoft.com/azure/active-directory-b2c/error-codes"},
		// AD FS writes the error with its Activity ID, the answer's
		// client-request-id, in its own event log.
		{"MSIS", "AD FS", "the AD FS server's Admin event log (Applications and Services Logs, AD FS, Admin) has its details under the answer's Activity ID"},
	} {
		num, found := strings.CutPrefix(code, r.prefix)
		if !found || num == "" || len(num) > 9 || strings.Trim(num, "0123456789") != "" {
			continue
		}
		return r.provider, strings.Replace(r.where, "%s", num, 1), true
	}
	return "", "", false
}

// Classify returns the most specific catalog entry for a provider error:
// a known code other than a wrapper first, then a message match, then the
// bare OAuth error. ok is false when nothing in the error is known.
func Classify(pe *model.ProviderError, family model.Family) (ErrorInfo, bool) {
	if pe.IsZero() {
		return ErrorInfo{}, false
	}
	var wrapper *ErrorInfo
	for _, c := range pe.Codes {
		if e, ok := LookupCode(c); ok {
			if e.Class == ClassWrapper {
				w := e
				wrapper = &w
				continue
			}
			return e, true
		}
	}
	text := strings.ToLower(pe.Description + " " + pe.Error)
	for _, e := range errorCatalog {
		if e.Match == "" || (e.Family != "" && family != "" && e.Family != family) {
			continue
		}
		if strings.Contains(text, e.Match) {
			return e, true
		}
	}
	switch pe.Error {
	case "invalid_client":
		return ErrorInfo{Class: ClassClientAuth, Meaning: "the client failed to authenticate",
			Remediation: "Send exactly one valid client credential; public clients send none."}, true
	case "unauthorized_client":
		// Not a credential problem (RFC 6749 §4.1.2.1, §5.2): the client
		// authenticated, or was known, but is not allowed what it asked.
		return grantTypeInfo(family), true
	case "invalid_grant":
		return ErrorInfo{Class: ClassGenericGrant, Meaning: "invalid_grant: the code (or refresh token) is invalid, expired, already used, or was issued for another redirect URI or client",
			Remediation: "Compare the redemption with its authorize request (redirect_uri, PKCE, timing, reuse)."}, true
	case "interaction_required", "login_required", "consent_required", "account_selection_required":
		return ErrorInfo{Class: ClassInteraction, Meaning: "the silent request needs user interaction",
			Remediation: "Fall back to an interactive request."}, true
	case "invalid_scope":
		return ErrorInfo{Class: ClassScope, Meaning: "the scope is invalid", Remediation: "Fix the requested scope."}, true
	}
	if wrapper != nil {
		return *wrapper, true
	}
	return ErrorInfo{}, false
}

// PrimaryCode is the most specific provider code of an error: the first
// non-wrapper code ("AADSTS54005" rather than its wrapper "AADSTS70002").
func PrimaryCode(pe *model.ProviderError) string {
	if pe == nil || len(pe.Codes) == 0 {
		return ""
	}
	for _, c := range pe.Codes {
		if e, ok := LookupCode(c); !ok || e.Class != ClassWrapper {
			return c
		}
	}
	return pe.Codes[0]
}
