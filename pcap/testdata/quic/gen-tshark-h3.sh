#!/bin/sh
# Writes NAME.tshark-h3.txt for each QUIC recording: the frames in which
# tshark (4.0.17 here) finds an HTTP/3 HEADERS frame sent to the server's port (a
# request's header section), one per line. tshark 4.0 does not decode QPACK,
# so the frames are what is compared (pcap/tlsdec's TestHTTP3MatchesTshark).
#   sh gen-tshark-h3.sh CAPTURE [KEYLOG [PORT]]   (PORT: the server's, 443 unless given)
set -eu
cap=$1
keys=${2:-}
opt=
[ -n "$keys" ] && opt="-o tls.keylog_file:$keys"
port=${3:-443}
tshark -r "$cap" $opt -Y "http3.frame_type == 1 && udp.dstport == $port" -T fields -e frame.number >"$cap.tshark-h3.txt"
