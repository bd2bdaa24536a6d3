#!/bin/sh
# Writes NAME.tshark-h3.txt for each QUIC recording: the frames in which
# tshark (4.0.17 here) finds an HTTP/3 HEADERS frame sent to port 443 (a
# request's header section), one per line. tshark 4.0 does not decode QPACK,
# so the frames are what is compared (pcap/tlsdec's TestHTTP3MatchesTshark).
#   sh gen-tshark-h3.sh CAPTURE [KEYLOG]
set -eu
cap=$1
keys=${2:-}
opt=
[ -n "$keys" ] && opt="-o tls.keylog_file:$keys"
tshark -r "$cap" $opt -Y 'http3.frame_type == 1 && udp.dstport == 443' -T fields -e frame.number >"$cap.tshark-h3.txt"
