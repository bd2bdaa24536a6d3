#!/bin/bash
# Records ../modoidc-STORY.pcap and ../o2p-STORY.pcap: sign-ins through two relying
# parties that sit in front of an app, Apache 2.4 with mod_auth_openidc 2.4.12
# (Debian 12's apache2 and libapache2-mod-auth-openidc) and oauth2-proxy v7.15.6
# (built from the Go module proxy), against panva's oidc-provider 9.13.3, all on
# loopback over plain HTTP, driven by Debian's headless Chromium through the
# DevTools protocol (rec.mjs says what each story does), captured with tcpdump on
# lo. Needs root (tcpdump, Apache), node 20 or later with npm, Go, chromium,
# apache2 and libapache2-mod-auth-openidc. Run from this directory:
#   sudo ./gen.sh [RP:STORY...]     e.g. ./gen.sh modoidc:clean o2p:two-tabs
# RP:STORY+har records the browser's HAR (../RP-STORY.har) in a run of its own
# instead of the capture; without arguments, the captures of every story.
# Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
chmod 755 "$work"
cap=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$work"' EXIT
cp package.json package-lock.json rec.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
if [ -z "${O2P:-}" ]; then
  GOBIN="$work/bin" go install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6
  export O2P="$work/bin/oauth2-proxy"
fi
all=
for rp in modoidc o2p; do
  for s in clean replay double-callback lost-state two-tabs redirect-mismatch wrong-secret; do all="$all $rp:$s"; done
done
for rs in ${*:-$all}; do
  rp=${rs%%:*} s=${rs#*:}
  if [ "${s%+har}" != "$s" ]; then
    # RP:STORY+har: the browser's HAR of a run of its own (no capture).
    s=${s%+har}
    (cd "$work" && HAR="$work/$rp-$s.har" node --experimental-websocket --stack-trace-limit=0 rec.mjs "$rp" "$s")
    cp "$work/$rp-$s.har" "$here/../$rp-$s.har"
    continue
  fi
  tcpdump -i lo -s 0 -U -w "$work/$rp-$s.pcap" 'tcp port 4711 or tcp port 4712 or tcp port 4713' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work" && node --experimental-websocket --stack-trace-limit=0 rec.mjs "$rp" "$s")
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  cp "$work/$rp-$s.pcap" "$here/../$rp-$s.pcap"
done
ls -l "$here"/../modoidc-*.* "$here"/../o2p-*.* 2>/dev/null || true
