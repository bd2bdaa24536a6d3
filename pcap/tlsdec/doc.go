// Package tlsdec decrypts TLS 1.2 and TLS 1.3 connections found in packet
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
// What cannot be decrypted (no keys, wrong keys, handshake not captured,
// unsupported cipher suite, damaged records) becomes a parse.Note; key
// material never appears in notes or errors.
package tlsdec
