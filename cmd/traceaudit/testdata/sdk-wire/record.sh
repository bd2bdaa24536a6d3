#!/bin/bash
# Records sdk-wire.har (headless Chromium over the DevTools protocol,
# rec.mjs and rules/testdata/spa-libs/cdp.mjs) and sdk-wire.saz (each
# exchange's bytes as server.mjs received and sent them, as a SAZ's raw
# members, zipped with Python's zipfile): the SDKs of package.json, each
# SDK's own browser build loaded by app.js's pages, against server.mjs's
# stand-in services over TLS (a certificate made here for this run, which
# Chromium is told to accept; every service host mapped to 127.0.0.1).
# Needs node 20 or later with npm, python3, openssl and Debian's chromium.
# Run from this directory. Secrets are test-only values (canaries.json).
set -eu
port=4960
here=$(pwd)
work=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$work"' EXIT
cp package.json package-lock.json "$work/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 -subj /CN=app.example.com 2>/dev/null
mkdir "$work/wire"
(cd "$work" && WIRE_DIR="$work/wire" TLS_KEY=key.pem TLS_CERT=cert.pem exec node "$here/server.mjs" $port) & srv=$!
for i in $(seq 30); do sleep 0.5; (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; done
node --experimental-websocket rec.mjs $port sdk-wire.har 2>&1 | grep -v -E 'ExperimentalWarning|--trace-warnings'
sleep 1
python3 - "$work/wire" sdk-wire.saz <<'PY'
import os, sys, zipfile
wire, out = sys.argv[1], sys.argv[2]
n = len([f for f in os.listdir(wire) if f.endswith('_c.txt')])
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for i in range(1, n + 1):
        for part in ('c', 's'):
            z.write(os.path.join(wire, f'{i}_{part}.txt'), f'raw/{i}_{part}.txt')
        z.writestr(f'raw/{i}_m.xml', f'<?xml version="1.0" encoding="utf-8"?>\n<Session SID="{i}" BitFlags="0"><SessionFlags><SessionFlag N="x-clientip" V="127.0.0.1" /></SessionFlags></Session>\n')
PY
