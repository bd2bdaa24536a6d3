#!/bin/bash
# Records, of the page and answers server.mjs sends: coded-bodies.har
# (headless Chromium over the DevTools protocol, rec.mjs),
# coded-bodies.pcap (tcpdump on the loopback) and coded-bodies.saz (each
# exchange's bytes as the server received and sent them, as a SAZ's raw
# members, zipped with Python's zipfile). Needs root (tcpdump), node 20 or
# later, python3 and Debian's chromium. Run from this directory. Tokens are
# test-only values.
set -eu
port=4951
wire=$(mktemp -d)
WIRE_DIR=$wire node server.mjs $port & srv=$!
tcpdump -i lo -s 0 -U -w coded-bodies.pcap "tcp port $port" 2>/dev/null & cap=$!
trap 'kill $srv $cap 2>/dev/null || true; rm -rf "$wire"' EXIT
for i in $(seq 30); do sleep 0.5; (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; done; sleep 1
rm -f "$wire"/*
node --experimental-websocket rec.mjs "http://127.0.0.1:$port/" coded-bodies.har 2>&1 | grep -v -E 'ExperimentalWarning|--trace-warnings'
sleep 1
python3 - "$wire" coded-bodies.saz <<'PY'
import os, sys, zipfile
wire, out = sys.argv[1], sys.argv[2]
n = len([f for f in os.listdir(wire) if f.endswith('_c.txt')])
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for i in range(1, n + 1):
        for part in ('c', 's'):
            z.write(os.path.join(wire, f'{i}_{part}.txt'), f'raw/{i}_{part}.txt')
        z.writestr(f'raw/{i}_m.xml', f'<?xml version="1.0" encoding="utf-8"?>\n<Session SID="{i}" BitFlags="0"><SessionFlags><SessionFlag N="x-clientip" V="127.0.0.1" /></SessionFlags></Session>\n')
PY
