// Package tlsdec decrypts TLS 1.0 to 1.3 connections found in packet
// captures, given the session secrets a browser or proxy wrote to an NSS key
// log (SSLKEYLOGFILE), a pcapng Decryption Secrets Block or a pcapng section
// comment.
//
// A Conn is fed the two TCP byte streams of one connection, in capture
// order, with the frame number and time of each segment. It parses the
// record layer and the handshake (randoms, cipher suite, version, SNI,
// ALPN), derives the record keys, and yields the application data as
// Chunks that remember the frame which carried their record, so that an
// HTTP request found in the plaintext can be located in the capture.
//
// What cannot be decrypted becomes a model.Note whose Ref is the frame of
// the ClientHello (or of the damage) and whose message names the connection
// and its server (SNI); key material never appears in notes or errors.
// Note kinds:
//
//	tls-no-keys             no key log entry for the connection (with byte counts)
//	tls-partial-keys        the key log lacks one epoch's secret (e.g. handshake)
//	tls-auth-failed         records that do not authenticate: wrong keys or damage
//	tls-no-handshake        the ClientHello or ServerHello was not captured
//	tls-unsupported         a version or cipher suite this package does not decrypt
//	tls-early-data          0-RTT data without CLIENT_EARLY_TRAFFIC_SECRET
//	tls-early-data-rejected 0-RTT data the server rejected, left out
//	tls-gap                 bytes missing from the capture; decryption resumed
//	tls-bad-record          bytes that are not TLS records; rest of the side skipped
//	tls-alert               a side ended the connection with a fatal TLS alert
//	tls-bad-handshake       a hello that cannot be parsed
//	tls-truncated           the capture ends inside a record
//	tls-no-data             keys found but no encrypted record captured
//	pcapng-damaged          embedded secrets that could not be read
package tlsdec
