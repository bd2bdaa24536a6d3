#!/bin/bash
# Records ../lemonldap-STORY.har and ../lemonldap-STORY.pcap: sign-ins against
# LemonLDAP::NG 2.16.1 (Debian bookworm's lemonldap-ng package, its portal's
# OpenID Connect issuer role) by a small web app (../opstories/rec.mjs: PKCE,
# a state cookie per sign-in, one verifier cookie, client_secret_basic),
# driven by Debian's headless Chromium through the DevTools protocol
# (../allauth/cdphar.mjs builds the HAR), captured with tcpdump on lo in the
# same run (plain HTTP: the browser's requests and the app's back channel).
# The portal is Debian's index.psgi served by Starman (Debian's starman
# package; a single-process server would hold the app's token request
# behind the browser's idle connections) with its static files as Debian's
# nginx site serves them (portal.psgi), configured by conf.mjs from
# Debian's default lmConf-1.json (Demo authentication, dwho/dwho) in a
# temporary directory, restarted with fresh session stores for each story;
# the code-expired story's client keeps its codes 2 seconds
# (oidcRPMetaDataOptionsAuthorizationCodeExpiration) and its app waits 5
# before redeeming. Needs root (tcpdump), apt-get install lemonldap-ng
# starman, node 20 or later, chromium, openssl. Run from this directory:
# ./gen.sh [STORY ...]. Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
chmod 755 "$work"
cap= portal=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; [ -n "$portal" ] && kill "$portal" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/run/opstories" "$work/run/allauth" "$work/run/lemonldap"
cp ../opstories/rec.mjs ../opstories/wants.mjs "$work/run/opstories/"
cp ../allauth/cdphar.mjs "$work/run/allauth/"
cp provider.mjs "$work/run/lemonldap/"
openssl genrsa -out "$work/key.pem" 2048 2>/dev/null
openssl rsa -in "$work/key.pem" -pubout -out "$work/pub.pem" 2>/dev/null
for s in ${*:-clean code-reuse redirect-mismatch two-tabs denied bad-secret pkce-mismatch code-expired}; do
  d="$work/llng"
  rm -rf "$d" && mkdir -p "$d/conf" "$d/sessions/lock" "$d/psessions/lock" "$d/cache"
  ttl=60
  [ "$s" = code-expired ] && ttl=2
  node conf.mjs /var/lib/lemonldap-ng/conf/lmConf-1.json "$d" "$ttl" "$work/key.pem" "$work/pub.pem"
  (cd /usr/share/lemonldap-ng/portal/htdocs && LLNG_DEFAULTCONFFILE="$d/lemonldap-ng.ini" exec starman --workers 4 \
    --listen 127.0.0.1:4950 "$here/portal.psgi" >"$work/portal.log" 2>&1) & portal=$!
  for i in $(seq 1 60); do curl -fs -o /dev/null http://127.0.0.1:4950/.well-known/openid-configuration && break; sleep 0.5; done
  tcpdump -i lo -s 0 -U -w "$work/lemonldap-$s.pcap" 'tcp port 4950 or tcp port 4951' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work/run/opstories" && node --experimental-websocket --stack-trace-limit=0 rec.mjs ../lemonldap/provider.mjs "$s" "$here/../lemonldap-$s.har") \
    || echo "gen.sh: $s did not happen"
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  kill "$portal"; wait "$portal" || true; portal=
  grep -E '\[(error|warn)\]' "$work/portal.log" | grep -v 'has no configuration' | cut -c1-300 | sed 's/^/lemonldap: /' || true
  # The captures kept: the stories whose cause is on the app's back
  # channel alone (and the clean sign-in); each is about 1 MB, most of it the
  # portal's jQuery, Bootstrap and icon fonts.
  case $s in clean|bad-secret|pkce-mismatch|code-expired) cp "$work/lemonldap-$s.pcap" "$here/../lemonldap-$s.pcap" ;; esac
done
ls -l "$here"/../lemonldap-*.*
