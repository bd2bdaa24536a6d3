#!/bin/bash
# Records ../msalnode-*, ../authjs-* and ../oidc6-* (.har, and for the
# stories whose cause is on the app's back channel a .pcapng with the TLS
# keys embedded): Express web apps signing in with @azure/msal-node 7,
# Auth.js (@auth/express on @auth/core) and openid-client 6 (app-*.mjs)
# against panva's oidc-provider over HTTPS (a throwaway self-signed
# certificate made here), driven by Debian's headless Chromium through the
# DevTools protocol (rec.mjs says what each story does; ../allauth/cdphar.mjs
# builds the HAR) while tcpdump captures the loopback's two ports. node
# writes its TLS keys (--tls-keylog: the provider's side of every
# connection and the app's own client side), editcap embeds them in the
# pcapng. Express answers errors with its default handler (NODE_ENV unset);
# node runs with --stack-trace-limit=0 so that page holds the error's name
# and message and no stack frames naming this machine's directories. Needs
# root (tcpdump), node 20 or later with npm, chromium, openssl, editcap.
# Run from this directory: ./gen.sh [LIB[:STORY] ...]. Secrets are test-only
# values.
set -eu
here=$(pwd)
work=$(mktemp -d)
cap=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$work"' EXIT
# The layout of rules/testdata, so rec.mjs's ../allauth/cdphar.mjs resolves.
mkdir -p "$work/node-webapps" "$work/allauth"
cp package.json package-lock.json rec.mjs wants.mjs app-*.mjs "$work/node-webapps/"
cp ../allauth/cdphar.mjs "$work/allauth/"
(cd "$work/node-webapps" && npm ci --no-audit --no-fund >/dev/null)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/op.key" -out "$work/op.pem" 2>/dev/null
all="clean two-tabs reload bad-secret redirect-mismatch lost-session denied"
for what in ${*:-msalnode authjs oidc6}; do
  lib=${what%%:*}
  stories=$all; [ "$what" != "$lib" ] && stories=${what#*:}
  for story in $stories; do
    rm -f "$work/keys.log"
    tcpdump -i lo -s 0 -U -w "$work/$story.pcap" 'tcp port 4951 or tcp port 4952' 2>/dev/null & cap=$!
    sleep 1
    (cd "$work/node-webapps" && OP_CERT="$work/op.pem" OP_KEY="$work/op.key" NODE_EXTRA_CA_CERTS="$work/op.pem" \
      node --experimental-websocket --stack-trace-limit=0 --tls-keylog="$work/keys.log" rec.mjs "$lib" "$story" "$here/../$lib-$story.har") ||
      echo "gen.sh: $lib $story did not happen"
    sleep 1
    kill "$cap"; wait "$cap" || true; cap=
    case $story in clean|two-tabs|reload|bad-secret)
      editcap --inject-secrets "tls,$work/keys.log" "$work/$story.pcap" "$here/../$lib-$story.pcapng" ;;
    esac
  done
done
ls -l "$here"/../msalnode-* "$here"/../authjs-* "$here"/../oidc6-* 2>/dev/null || true
