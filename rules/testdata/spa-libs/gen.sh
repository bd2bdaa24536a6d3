#!/bin/bash
# Records ../msal-*.har and ../oidcts-*.har, and ../msal-*.pcapng and
# ../oidcts-*.pcapng for some of the stories: single-page apps using
# Microsoft's MSAL.js 5 (@azure/msal-browser 5.31.0, its redirect bridge page,
# protocolMode OIDC) and oidc-client-ts 3.5.0, each library's own browser build
# served as the page's script (app.mjs, app/), against panva's oidc-provider
# 9.13.3 over https (provider.mjs; a self-signed certificate made here for
# this run, which Chromium is told to accept), driven by Debian's headless
# Chromium through the DevTools protocol (cdp.mjs: tabs, hidden iframes and
# popups; rec.mjs says what each story does) while tcpdump captures the
# loopback's three ports. Chromium writes its TLS keys (SSLKEYLOGFILE); the
# captures kept are pcapng with those keys embedded (editcap
# --inject-secrets), so they read with no other input. Needs root (tcpdump),
# node 20 or later with npm, chromium, openssl, editcap. Run from this
# directory: ./gen.sh [LIB:STORY ...]. Secrets are test-only values.
# LIB entra records ../msal-aad-STORY.har (and .pcapng): MSAL.js in its
# default AAD protocol mode against the Entra-shaped provider of entra.mjs
# (rec-entra.mjs; login.microsoftonline.com mapped to 127.0.0.1:4945).
set -eu
here=$(pwd)
work=$(mktemp -d)
cap=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$work"' EXIT
cp -r package.json package-lock.json rec.mjs rec-entra.mjs entra.mjs wants-entra.mjs cdp.mjs provider.mjs app.mjs app "$work/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:login.microsoftonline.com 2>/dev/null
all="msal:clean msal:reload msal:double-callback msal:two-tabs msal:redirect-mismatch msal:silent-login-required msal:refresh
  msal:refresh-expired msal:refresh-invalid-scope msal:popup oidcts:clean oidcts:reload oidcts:double-callback oidcts:two-tabs
  oidcts:redirect-mismatch oidcts:silent-login-required oidcts:refresh oidcts:refresh-expired oidcts:popup oidcts:signout oidcts:signout-revoke
  entra:clean entra:double-callback entra:two-tabs entra:redirect-mismatch entra:silent-login-required entra:refresh entra:refresh-expired
  entra:web-platform"
for run in ${*:-$all}; do
  lib=${run%%:*} story=${run#*:}
  rm -f "$work/keys.log"
  tcpdump -i lo -s 0 -U -w "$work/$lib-$story.pcap" 'tcp port 4941 or tcp port 4942 or tcp port 4943 or tcp port 4945' 2>/dev/null & cap=$!
  sleep 1
  if [ "$lib" = entra ]; then
    out=msal-aad-$story
    (cd "$work" && SSLKEYLOGFILE="$work/keys.log" TLS_KEY=key.pem TLS_CERT=cert.pem \
      node --experimental-websocket rec-entra.mjs "$story" "$here/../$out.har" 2>&1 | grep -v -E 'WARNING|NOTICE|ExperimentalWarning|--trace-warnings') \
      || echo "gen.sh: $lib $story did not happen"
  else
    out=$lib-$story
    (cd "$work" && SSLKEYLOGFILE="$work/keys.log" TLS_KEY=key.pem TLS_CERT=cert.pem \
      node --experimental-websocket rec.mjs "$lib" "$story" "$here/../$lib-$story.har" 2>&1 | grep -v -E 'WARNING|NOTICE|ExperimentalWarning|--trace-warnings') \
      || echo "gen.sh: $lib $story did not happen"
  fi
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  # The captures kept: the stories whose renewals and refusals travel on
  # the provider's TLS connections.
  case $lib:$story in entra:clean|entra:silent-login-required|entra:refresh-expired|entra:web-platform|\
    msal:clean|msal:reload|msal:double-callback|msal:silent-login-required|msal:refresh-expired|\
    oidcts:clean|oidcts:reload|oidcts:double-callback|oidcts:silent-login-required|oidcts:refresh-expired|oidcts:signout|oidcts:signout-revoke)
    editcap --inject-secrets "tls,$work/keys.log" "$work/$lib-$story.pcap" "$here/../$out.pcapng" ;;
  esac
done
ls -l "$here"/../msal-* "$here"/../oidcts-*
