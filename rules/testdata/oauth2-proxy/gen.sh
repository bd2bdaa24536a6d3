#!/bin/bash
# Records oauth2-proxy-STORY.har here, and for the stories whose cause is on
# oauth2-proxy's back channel oauth2-proxy-STORY.pcapng with the TLS keys
# embedded: sign-ins through oauth2-proxy v7.15.6 (built from the Go module
# proxy) in front of an app, against panva's oidc-provider 9.13.3 over https
# (../spa-libs/provider.mjs), driven by Debian's headless Chromium through
# the DevTools protocol (../spa-libs/cdp.mjs builds the HAR; rec.mjs says
# what each story does), while tcpdump captures the loopback's three ports.
# Chromium writes its TLS keys (SSLKEYLOGFILE), node the provider's side of
# every connection (--tls-keylog: oauth2-proxy's redemptions and refreshes);
# editcap embeds both in the pcapng. The provider's package is pinned by
# ../rp-modules/package.json and package-lock.json. Needs root (tcpdump),
# node 20 or later with npm, Go, chromium, openssl, editcap, and nginx for
# large-cookie-nginx. Run from this directory: ./gen.sh [STORY ...].
# Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
chmod 755 "$work"
cap=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$work"' EXIT
# The layout of rules/testdata, so rec.mjs's ../spa-libs/*.mjs resolve and
# find oidc-provider in the work directory's node_modules.
mkdir -p "$work/oauth2-proxy" "$work/spa-libs"
cp ../rp-modules/package.json ../rp-modules/package-lock.json "$work/"
cp rec.mjs "$work/oauth2-proxy/"
cp ../spa-libs/cdp.mjs ../spa-libs/provider.mjs "$work/spa-libs/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
if [ -z "${O2P:-}" ]; then
  GOBIN="$work/bin" go install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6
  export O2P="$work/bin/oauth2-proxy"
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=app.lab.test \
  -addext subjectAltName=IP:127.0.0.1,DNS:app.lab.test -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
all="clean sign-in-page cookie-secure cookie-domain csrf-expired two-tabs two-tabs-per-request reload redirect-mismatch
  wrong-secret email-domain large-cookie large-cookie-nginx refresh-failed"
for story in ${*:-$all}; do
  rm -f "$work/keys.log" "$work/node-keys.log"
  # Behind nginx only the browser's side of nginx (4963) and the back
  # channel (4961): nginx's own hop to oauth2-proxy would be every request
  # a second time.
  ports='tcp port 4961 or tcp port 4962'
  [ "$story" = large-cookie-nginx ] && ports='tcp port 4961 or tcp port 4963'
  tcpdump -i lo -s 0 -U -w "$work/$story.pcap" "$ports" 2>/dev/null & cap=$!
  sleep 1
  (cd "$work/oauth2-proxy" && SSLKEYLOGFILE="$work/keys.log" TLS_KEY="$work/key.pem" TLS_CERT="$work/cert.pem" \
    NODE_EXTRA_CA_CERTS="$work/cert.pem" node --experimental-websocket --tls-keylog="$work/node-keys.log" \
    rec.mjs "$story" "$here/oauth2-proxy-$story.har" 2>&1 | grep -v -E 'ExperimentalWarning|--trace-warnings|oidc-provider (NOTICE|WARNING)|--tls-keylog') ||
    echo "gen.sh: $story did not happen"
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  case $story in clean|wrong-secret|email-domain|large-cookie-nginx|refresh-failed)
    cat "$work/keys.log" "$work/node-keys.log" > "$work/all-keys.log" 2>/dev/null || true
    editcap --inject-secrets "tls,$work/all-keys.log" "$work/$story.pcap" "$here/oauth2-proxy-$story.pcapng" ;;
  esac
done
ls -l "$here"/oauth2-proxy-*
