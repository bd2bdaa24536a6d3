#!/bin/bash
# Records logout-*.har here, and logout-clean.pcapng and
# logout-local-only.pcapng with the TLS keys of both sides embedded: an
# Express app signing in with openid-client 6 and signing out (app.mjs)
# against panva's oidc-provider 9.13.3 over HTTPS (../spa-libs/provider.mjs,
# a throwaway self-signed certificate made here), driven by Debian's headless
# Chromium through the DevTools protocol (../spa-libs/cdp.mjs; rec.mjs says
# what each story does) while tcpdump captures the loopback's two ports.
# Chromium writes its TLS keys (SSLKEYLOGFILE), node the app's back channel's
# (--tls-keylog); editcap embeds both in the pcapng. The packages are
# ../node-webapps' (package.json, package-lock.json). Needs root (tcpdump),
# node 20 or later with npm, chromium, openssl, editcap. Run from this
# directory: ./gen.sh [STORY ...]. Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
cap=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/spa-libs" "$work/logout"
cp ../node-webapps/package.json ../node-webapps/package-lock.json "$work/"
cp ../spa-libs/cdp.mjs ../spa-libs/provider.mjs "$work/spa-libs/"
cp rec.mjs app.mjs wants.mjs "$work/logout/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/op.key" -out "$work/op.pem" 2>/dev/null
for story in ${*:-clean unregistered missing-hint local-only}; do
  rm -f "$work/keys.log" "$work/app-keys.log"
  tcpdump -i lo -s 0 -U -w "$work/$story.pcap" 'tcp port 4961 or tcp port 4962' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work/logout" && SSLKEYLOGFILE="$work/keys.log" TLS_KEY="$work/op.key" TLS_CERT="$work/op.pem" \
    NODE_EXTRA_CA_CERTS="$work/op.pem" node --experimental-websocket --stack-trace-limit=0 \
    --tls-keylog="$work/app-keys.log" rec.mjs "$story" "$here/logout-$story.har" 2>&1 |
    grep -v -E 'WARNING|NOTICE|ExperimentalWarning|--trace-warnings') || echo "gen.sh: $story did not happen"
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  case $story in clean|local-only)
    cat "$work/keys.log" "$work/app-keys.log" > "$work/all-keys.log"
    editcap --inject-secrets "tls,$work/all-keys.log" "$work/$story.pcap" "$here/logout-$story.pcapng" ;;
  esac
done
ls -l "$here"/logout-*
