#!/bin/sh
# Captures gen-h2streams.go's traffic (needs root, tcpdump and dumpcap):
#   h2streams.pcap      tcpdump on the loopback interface (Ethernet)
#   dup-lo-any.pcapng   dumpcap on the loopback interface and on "any" as
#                       Linux cooked v2 at once: two interfaces of
#                       different link types, each packet captured on both
# Usage: sh gen-h2streams.sh   (run in this directory)
set -eu
tcpdump -i lo -U -w h2streams.pcap 'tcp port 18081' >/dev/null 2>&1 &
tp=$!
dumpcap -q -i lo -f 'tcp port 18081' -i any -y LINUX_SLL2 -f 'tcp port 18081' -w dup-lo-any.pcapng >/dev/null 2>&1 &
dp=$!
sleep 3
go run gen-h2streams.go
sleep 1
kill "$tp" "$dp"
wait "$tp" || true
wait "$dp" || true
