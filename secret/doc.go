// Package secret keeps codes, tokens and other credentials found in a trace
// out of every output unless redaction is switched off: the Secret type
// (formats as its fingerprint), the contract fingerprint, the redaction of
// URLs, forms and free text, the non-identifying claims of a JWT, tokens
// carried in URLs, and the placeholders HAR sanitizers leave. It imports
// nothing else of traceaudit's model.
package secret
