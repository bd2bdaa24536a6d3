#!/bin/bash
# Records ../dot-STORY.har and ../dot-STORY.pcap: sign-ins against
# django-oauth-toolkit 1.7.0 (Debian bookworm's python3-django-oauth-toolkit,
# oauthlib 3.2.2, Django 3.2) as an OpenID provider (provider.py: a Django
# site with oauth2_provider's URLs under /o/, OIDC on, PKCE required,
# Django's login view, DOT's consent page) under Django's runserver, by the
# small web app of ../opstories/rec.mjs (PKCE, a state cookie per sign-in,
# one verifier cookie, client_secret_basic), driven by Debian's headless
# Chromium through the DevTools protocol (../allauth/cdphar.mjs builds the
# HAR), captured with tcpdump on lo in the same run (plain HTTP: the
# browser's requests and the app's back channel). The database is made
# fresh for each story; the code-expired story's provider keeps codes 2
# seconds (AUTHORIZATION_CODE_EXPIRE_SECONDS) and its app waits 5 before
# redeeming. With DOT_PREFIX=oauth/ the site includes oauth2_provider.urls
# under /oauth/ instead of DOT's documented /o/ (as many sites do) and the
# files are ../dot-oauth-STORY.*. Needs root (tcpdump), apt-get install
# python3-django-oauth-toolkit, node 20 or later, chromium, openssl. Run
# from this directory: ./gen.sh [STORY ...]. Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
chmod 755 "$work"
cap= op=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; [ -n "$op" ] && kill "$op" 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/run/opstories" "$work/run/allauth" "$work/run/django-oauth-toolkit"
cp ../opstories/rec.mjs ../opstories/wants.mjs "$work/run/opstories/"
cp ../allauth/cdphar.mjs "$work/run/allauth/"
cp provider.mjs "$work/run/django-oauth-toolkit/"
openssl genrsa -out "$work/key.pem" 2048 2>/dev/null
export DOT_KEY="$work/key.pem" DOT_DB="$work/dot.sqlite3" DOT_PREFIX=${DOT_PREFIX:-o/}
out=dot
[ "$DOT_PREFIX" != o/ ] && out="dot-${DOT_PREFIX%/}"
for s in ${*:-clean code-reuse redirect-mismatch two-tabs denied bad-secret pkce-mismatch pkce-missing code-expired refresh-reused}; do
  rm -f "$DOT_DB"
  DOT_CODE_TTL=60
  [ "$s" = code-expired ] && DOT_CODE_TTL=2
  export DOT_CODE_TTL
  /usr/bin/python3 provider.py setup
  /usr/bin/python3 provider.py runserver 127.0.0.1:4966 --noreload --insecure >"$work/provider.log" 2>&1 & op=$!
  for i in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:4966/${DOT_PREFIX}.well-known/openid-configuration/" && break; sleep 0.5; done
  tcpdump -i lo -s 0 -U -w "$work/dot-$s.pcap" 'tcp port 4966 or tcp port 4967' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work/run/opstories" && node --experimental-websocket --stack-trace-limit=0 rec.mjs ../django-oauth-toolkit/provider.mjs "$s" "$here/../$out-$s.har") \
    || echo "gen.sh: $s did not happen"
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  kill "$op"; wait "$op" || true; op=
  grep -E '" [45][0-9][0-9] ' "$work/provider.log" | cut -c1-300 | sed 's/^/provider: /' || true
  # The captures kept: the stories whose cause is on the app's back
  # channel (and the clean sign-in).
  case $s in clean|code-reuse|bad-secret|pkce-mismatch|pkce-missing|code-expired|refresh-reused) cp "$work/dot-$s.pcap" "$here/../$out-$s.pcap" ;; esac
done
ls -l "$here/../$out"-*.*
