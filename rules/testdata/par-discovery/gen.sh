#!/bin/bash
# Records ../par-discovery-*.har: a browser app that reads panva's oidc-provider
# 9.13.3's discovery document and pushes its authorization request to the
# endpoint it names (oidc-provider's /request), on loopback over plain HTTP,
# driven by Debian's headless Chromium through the DevTools protocol (rec.mjs says
# what each story does; ../allauth/cdphar.mjs builds the HAR). Needs node 20 or
# later with npm, chromium. Run from this directory: ./gen.sh [STORY ...].
# Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json rec.mjs ../allauth/cdphar.mjs "$work/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
for s in ${*:-clean reused}; do
  (cd "$work" && node --experimental-websocket rec.mjs "$s" "$here/../par-discovery-$s.har")
done
ls -l "$here"/../par-discovery-*.har
