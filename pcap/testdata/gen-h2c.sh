#!/bin/sh
# Captures gen-h2c.go's traffic into h2c.pcapng (needs root and tshark).
# Usage: sh gen-h2c.sh   (run in this directory)
set -eu
tshark -i lo -f 'tcp port 18080' -w h2c.pcapng >/dev/null 2>&1 &
pid=$!
sleep 2
go run gen-h2c.go
sleep 1
kill "$pid"
wait "$pid" || true
