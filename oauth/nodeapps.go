package oauth

import (
	"html"
	"strings"

	"github.com/traceaudit/traceaudit/model"
)

// nodeAppPhrases are the errors of Node web-app sign-in libraries that an
// error page shows when the library refuses a callback: @azure/msal-node's
// ClientAuthError (msal-common's "<code>: See https://aka.ms/msal.js.errors
// #<code> for details") and oauth4webapi's reasons, which openid-client 6
// puts in its ClientError's cause ("invalid response encountered" alone
// says nothing). match is lower case and, for the quoted words, written as
// Express's pages escape them or not; words is the library's own text.
var nodeAppPhrases = []struct {
	match, words, library string
	cause                 model.RefusalCause
}{
	// MSAL Node compares the callback's state with the state of the
	// request the app passes to acquireTokenByCode (with the callback's
	// parameters as its second argument).
	{"clientautherror: state_mismatch", "ClientAuthError: state_mismatch", msalNode, model.RefusalState},
	{"clientautherror: state_not_found", "ClientAuthError: state_not_found", msalNode, model.RefusalState},
	{"clientautherror: nonce_mismatch", "ClientAuthError: nonce_mismatch", msalNode, model.RefusalNonce},
	// openid-client 6 (oauth4webapi): the callback's state is not the
	// expectedState the app passed (another sign-in replaced it), or the
	// app passed none (its session did not come back).
	{"unexpected &quot;state&quot; response parameter encountered", `unexpected "state" response parameter encountered`, "openid-client", model.RefusalState},
	{`unexpected "state" response parameter encountered`, `unexpected "state" response parameter encountered`, "openid-client", model.RefusalState},
	{"unexpected id token &quot;nonce&quot; claim value", `unexpected ID Token "nonce" claim value`, "openid-client", model.RefusalNonce},
	{`unexpected id token "nonce" claim value`, `unexpected ID Token "nonce" claim value`, "openid-client", model.RefusalNonce},
	{"response parameter &quot;iss&quot; (issuer) missing", `response parameter "iss" (issuer) missing`, "openid-client", model.RefusalUnknown},
	{`response parameter "iss" (issuer) missing`, `response parameter "iss" (issuer) missing`, "openid-client", model.RefusalUnknown},
}

const msalNode = "MSAL Node"

// nodeAppRefusal reads a Node web-app library's refusal of a callback on
// an error page (head, its first bytes): nodeAppPhrases, MSAL Node's
// ServerError and openid-client 6's ResponseBodyError quoting the
// provider's answer to the app's own token request. nil when the page has
// none of them, or when the error raised is the callback's own
// (callbackErr, error=access_denied), which the callback's event carries.
func nodeAppRefusal(head []byte, callbackErr string) *model.AppRefusal {
	for _, ph := range nodeAppPhrases {
		if containsFoldASCII(head, ph.match) {
			return &model.AppRefusal{Library: ph.library, Words: ph.words, Cause: ph.cause}
		}
	}
	if name := msalServerError(head); name != "" && name != callbackErr {
		return &model.AppRefusal{Library: msalNode, Words: "ServerError: " + name, Cause: model.RefusalRedemption}
	}
	if name := responseBodyError(head); name != "" && name != callbackErr {
		return &model.AppRefusal{Library: "openid-client", Words: "ResponseBodyError: " + name, Cause: model.RefusalRedemption}
	}
	return nil
}

// msalServerError is the OAuth error name of msal-common's ServerError as
// its message is built ("ServerError: <error>: Error(s): <codes> -
// Timestamp: … - Description: … - Correlation ID: … - Trace ID: …"), ""
// when the page holds none. The structure after the name, not the word
// ServerError alone, tells MSAL's.
func msalServerError(head []byte) string {
	const mark = "servererror: "
	if !containsFoldASCII(head, mark) {
		return ""
	}
	text := html.UnescapeString(string(head))
	for off := 0; off < len(text); {
		i := foldIndex(text[off:], mark)
		if i < 0 {
			return ""
		}
		rest := text[off+i+len(mark):]
		off += i + len(mark)
		j := strings.IndexByte(rest, ':')
		if j <= 0 || j > 40 || !isOAuthErrorName(rest[:j]) {
			continue
		}
		if strings.HasPrefix(rest[j:], ": Error(s): ") {
			return rest[:j]
		}
	}
	return ""
}

// tokenErrorNames are RFC 6749's errors of a token endpoint (section
// 5.2), in the order a page is searched for them.
var tokenErrorNames = []string{"invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_request"}

// responseBodyError is the provider's error that a page showing
// oauth4webapi's ResponseBodyError (openid-client 6: "server responded
// with an error in the response body") names beside it (the error's
// error property, which an app's error page prints), "" when it names
// none.
func responseBodyError(head []byte) string {
	const mark = "responsebodyerror: server responded with an error in the response body"
	if !containsFoldASCII(head, mark) {
		return ""
	}
	text := string(head)
	i := foldIndex(text, mark)
	if i < 0 {
		return ""
	}
	rest := text[i+len(mark):]
	best, at := "", -1
	for _, n := range tokenErrorNames {
		if i := strings.Index(rest, n); i >= 0 && (at < 0 || i < at) {
			best, at = n, i
		}
	}
	return best
}
