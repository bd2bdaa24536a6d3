#!/bin/bash
# Records ../social-*.har and ../social-*.pcap (a capture of some of the stories): a
# Django 3.2 site (app.py, one file) signing in through social-auth-app-django 5.0.0
# and social-auth-core 4.3.0's OpenID Connect backend (Debian bookworm's
# python3-social-django, python3-django; Django's runserver) against panva's
# oidc-provider 9.13.3, both on loopback over plain HTTP, driven by Debian's headless
# Chromium through the DevTools protocol (rec.mjs says what each story does;
# ../allauth/cdphar.mjs builds the HAR) while tcpdump captures the loopback's two
# ports (the browser's requests and the app's own calls to the provider). Needs root
# (tcpdump), node 20 or later with npm, chromium, python3-social-django and python3-jose. Run from
# this directory: ./gen.sh [STORY ...]. Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
app= cap=
trap '[ -n "$app" ] && kill "$app" 2>/dev/null; [ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$work"' EXIT
# The layout of rules/testdata, so rec.mjs's ../allauth/cdphar.mjs resolves.
mkdir -p "$work/social-django" "$work/allauth"
cp package.json package-lock.json rec.mjs app.py "$work/social-django/"
cp ../allauth/cdphar.mjs "$work/allauth/"
(cd "$work/social-django" && npm ci --no-audit --no-fund >/dev/null)
for story in ${*:-clean two-tabs reload bad-secret redirect-mismatch lost-session denied}; do
  export LAB_OP=http://127.0.0.1:4941 LAB_DB="$work/db-$story.sqlite3"
  export LAB_CLIENT_SECRET=test-only-client-secret-for-social-app
  # The app's secret no longer matches the provider's registration.
  [ "$story" = bad-secret ] && LAB_CLIENT_SECRET=test-only-client-secret-rotated-at-the-provider
  (cd "$work/social-django" && /usr/bin/python3 app.py migrate -v0)
  tcpdump -i lo -s 0 -U -w "$work/$story.pcap" 'tcp port 4941 or tcp port 4942' 2>/dev/null & cap=$!
  # The provider runs inside rec.mjs; the app reads its discovery document
  # when a sign-in starts.
  (cd "$work/social-django" && exec /usr/bin/python3 app.py runserver 127.0.0.1:4942 --noreload >"$work/app.log" 2>&1) & app=$!
  sleep 2
  (cd "$work/social-django" && node --experimental-websocket rec.mjs "$story" "$here/../social-$story.har") || echo "gen.sh: $story did not happen"
  sleep 1
  kill "$app"; wait "$app" || true; app=
  kill "$cap"; wait "$cap" || true; cap=
  case $story in clean|two-tabs|reload|bad-secret) cp "$work/$story.pcap" "$here/../social-$story.pcap" ;; esac
  grep -vE '^$' "$work/app.log" | sed 's/^/app: /'
done
ls -l "$here"/../social-*
