// Package parse is traceaudit's format-neutral model: HTTP exchanges as every
// reader (HAR, SAZ, pcap) produces them, the OAuth 2.0 / OpenID Connect events
// derived from them, and the Secret type that keeps codes and tokens out of
// every output unless redaction is switched off.
//
// The package does no I/O. Readers in har/, saz/ and pcap/ build Exchanges;
// Extract (oauth.go) turns them into Events; rules/ reasons over Events.
package parse
