// Package oauth finds the OAuth 2.0 / OpenID Connect steps in a trace's
// exchanges: it recognises providers and endpoints, reads authorize
// requests, callbacks, token requests and responses, discovery documents,
// form_post and error pages, and returns them as model.Events.
package oauth
