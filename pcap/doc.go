// Package pcap reads HTTP exchanges from packet captures.
//
// Containers: pcap (micro- and nanosecond, both byte orders, Kuznetzov's
// variant) and pcapng (several sections and interfaces, per-interface time
// resolution, EPB, SPB and the obsolete packet block), either one
// gzip-compressed, and Windows ETL captures (netsh trace capture=yes,
// pktmon), whose frames package pcap/etl takes out of the event log in
// etl2pcapng's order. Sniff tells them from other files.
//
// Below TCP: Ethernet with 802.1Q/QinQ tags, Linux cooked captures (SLL,
// SLL2), raw IPv4/IPv6, BSD loopback/null, NFLOG, VXLAN tunnels, IPv4 and
// IPv6 fragments. TCP is reassembled with gopacket's pure-Go reassembly:
// out-of-order segments, retransmissions, connections caught
// mid-stream; lost bytes become "gap" notes and what can still be read is
// kept.
//
// Above TCP, the protocol is recognized by content on any port: HTTP/1.x
// (keep-alive, pipelining, chunked, 100-continue, HEAD/204/304, bodies
// delimited by the close, CONNECT tunnels, 101 upgrades), cleartext HTTP/2
// (prior knowledge or "Upgrade: h2c"; H2Conn also serves decrypted h2) and
// TLS, which a StreamDecrypter (pcap/tlsdec) turns back into either;
// without one, each TLS connection yields a "tls-no-keys" note naming its
// server. UDP datagrams to or from port 443 are read as QUIC (pcap/quic),
// and on any other port those of a server whose client's first Initial
// packet the capture holds (recognised by its content: quic.ClientInitial):
// with a StreamDecrypter that implements QUICKeys (pcap/tlsdec's), its
// HTTP/3 requests become exchanges as HTTP/2's do (QPACK, the dynamic
// table included); QUIC connections that stay encrypted are counted, with
// their servers' names, in a "quic" note, and each yields a "tls-no-keys"
// note naming its server as a TLS connection over TCP does.
//
// Each Exchange has Ref "frame N", N being Wireshark's 1-based number of
// the packet that carried the request's first byte (for decrypted TLS, the
// first byte of the record holding it; for HTTP/3, the packet holding the
// first byte of the request's HEADERS frame); Start and End are the times of the
// packets carrying the request's first and the response's last byte; Conn
// is the TCP (for HTTP/3, UDP) 4-tuple "client:port-server:port". Exchanges come in the
// order their requests began. Body.Size counts body bytes after chunked
// framing is removed and before content decoding.
//
// Memory follows live connections, not the file: closed connections are
// flushed, idle ones (two minutes of capture time) closed, and bodies,
// header sections, pipelined requests, HTTP/2 streams, held-back exchanges
// and notes are all bounded.
package pcap
