// Package pcap reads HTTP exchanges from packet captures: pcap and pcapng
// files (optionally gzip-compressed), through link layers, VLAN tags,
// VXLAN and IP fragments, TCP reassembly (gopacket's pure-Go reassembly),
// and HTTP/1.x or cleartext HTTP/2 recognized by content on any port.
//
// TLS connections are handed to a StreamDecrypter (pcap/tlsdec) when one is
// configured; otherwise each yields a "tls-no-keys" note naming the server.
//
// Memory follows live connections, not the file: finished connections are
// flushed, idle ones closed, bodies and header sections bounded by
// parse.Limits.
package pcap
