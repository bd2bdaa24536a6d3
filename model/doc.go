// Package model is traceaudit's format-neutral trace model: HTTP exchanges
// as every reader (HAR, SAZ, pcap) produces them, the notes and limits of
// reading, and the OAuth 2.0 / OpenID Connect events derived from them
// (built by package oauth). Its values carry credentials as secret.Secret.
//
// The package does no I/O. Readers in har/, saz/ and pcap/ build Exchanges;
// oauth.ExtractAll turns them into Events; rules/ reasons over Events.
package model
