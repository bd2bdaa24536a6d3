#!/bin/bash
# Records QUIC that is not HTTP/3 on a port other than 443: the lab's
# quicpair (testdata/lab/cmd/quicpair, quic-go v0.66.0 as server and
# client on loopback) agrees on ALPN "doq" (DNS over QUIC's) and sends
# three messages, each on a stream of its own. tcpdump captures lo, udp
# port 8853.
#   bash gen-quic-other.sh OUT
# Needs root, tcpdump and Go.
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$here/../../../testdata/lab" && go build -o "$work/quicpair" ./cmd/quicpair)
tcpdump -i lo -U -w "$out" "udp port 8853" 2>"$work/tcpdump.log" &
dump=$!
sleep 1
"$work/quicpair" -listen 127.0.0.1:8853 -alpn doq -n 3
sleep 1
kill $dump
wait $dump || true
cat "$work/tcpdump.log" >&2
