// Package quic reads QUIC connections (version 1, RFC 9000 and 9001, and
// version 2, RFC 9369) from captured UDP datagrams and hands their stream
// data, in order, to a Handler (package pcap reads HTTP/3 from it).
//
// A Tracker is fed every datagram of the capture's QUIC traffic in capture
// order. It splits coalesced packets, routes them to their connection (by
// the client's first Destination Connection ID, the connection IDs the
// long headers and NEW_CONNECTION_ID frames name, and the UDP 4-tuple),
// removes header protection, recovers packet numbers and opens the
// packets: Initial packets with keys derived from the client's first
// Destination Connection ID, which needs no secret, so the ClientHello's
// server name (SNI) and random and the ServerHello's cipher suite are
// always read; Handshake, 0-RTT and 1-RTT packets with the TLS secrets a
// key log holds for the ClientHello's random (Chromium's SSLKEYLOGFILE
// logs them as for TLS over TCP), following key updates. 0-RTT packets are
// held until the server's EncryptedExtensions says whether it took the
// early data: taken, they are opened; refused, they are left out (the
// server never read them; the client sends their data again in 1-RTT).
// After a Retry the Initial keys follow the connection ID the client
// moved to; a client that moved to another address or port (NAT
// rebinding) stays in its connection. CRYPTO and STREAM
// frames are reassembled by offset (out of order, duplicated, overlapping);
// a stream whose data the capture lost is handed over with the gap marked
// when its connection ends.
//
// Everything is bounded: connections, connection IDs, held packets,
// buffered stream and CRYPTO bytes; every length is checked against the
// bytes present. Key material never appears in notes.
package quic
