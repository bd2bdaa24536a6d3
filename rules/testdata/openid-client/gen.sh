#!/bin/bash
# Records ../oidclient-*.har and ../oidclient-*.pcap (a capture of some of the
# stories): an Express 4 app using openid-client 5.7.1 directly (app.mjs, as its
# README's quick start: state and PKCE verifier in an express-session session)
# against panva's oidc-provider 9.13.3, both on loopback over plain HTTP, driven by
# Debian's headless Chromium through the DevTools protocol (rec.mjs says what each
# story does; ../allauth/cdphar.mjs builds the HAR) while tcpdump captures the
# loopback's two ports (the browser's requests and the app's own calls to the
# provider). Express answers errors with its default handler (NODE_ENV unset); node
# runs with --stack-trace-limit=0 so that page holds the error's name and message
# and no stack frames naming this machine's directories. Needs root (tcpdump), node
# 20 or later with npm, chromium. Run from this directory: ./gen.sh [STORY ...].
# Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
cap=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$work"' EXIT
# The layout of rules/testdata, so rec.mjs's ../allauth/cdphar.mjs resolves.
mkdir -p "$work/openid-client" "$work/allauth"
cp package.json package-lock.json rec.mjs app.mjs "$work/openid-client/"
cp ../allauth/cdphar.mjs "$work/allauth/"
(cd "$work/openid-client" && npm ci --no-audit --no-fund >/dev/null)
for story in ${*:-clean two-tabs reload bad-secret redirect-mismatch lost-session denied}; do
  tcpdump -i lo -s 0 -U -w "$work/$story.pcap" 'tcp port 4931 or tcp port 4932' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work/openid-client" && node --experimental-websocket --stack-trace-limit=0 rec.mjs "$story" "$here/../oidclient-$story.har") || echo "gen.sh: $story did not happen"
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  # The captures kept: the stories whose cause is on the app's back channel.
  case $story in clean|two-tabs|reload|bad-secret) cp "$work/$story.pcap" "$here/../oidclient-$story.pcap" ;; esac
done
ls -l "$here"/../oidclient-*
