#!/bin/bash
# Records ../eoc-clean.pcap, ../eoc-two-tabs.pcap and ../eoc-lost-cookie.pcap:
# an Express 4 app signing in with express-openid-connect 3.4.0 (openid-client 6)
# against panva's oidc-provider 9.13.3, both on loopback over plain HTTP, driven by
# Debian's headless Chromium through the DevTools protocol (rec.mjs says what each
# story does), captured with tcpdump on lo. Needs root (tcpdump), node 20 or later
# with npm, chromium. Run from this directory: sudo ./gen.sh [STORY...].
# Express answers the refusals with its default error handler (finalhandler) in its
# default environment (NODE_ENV unset, "development"); node runs with
# --stack-trace-limit=0 so that page holds the error's name and message but no stack
# frames (which would name this machine's directories). Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
cap=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$work"' EXIT
cp package.json package-lock.json rec.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
stories=${*:-clean two-tabs lost-cookie}
for s in $stories; do
  tcpdump -i lo -s 0 -U -w "$work/$s.pcap" 'tcp port 4701 or tcp port 4702' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work" && node --experimental-websocket --stack-trace-limit=0 rec.mjs "$s")
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  cp "$work/$s.pcap" "$here/../eoc-$s.pcap"
done
ls -l "$here"/../eoc-*.pcap
