#!/bin/bash
# Records ../authlib-*.har and ../authlib-*.pcap (a capture of five of the stories): a Flask 2.2 app (app.py) signing in
# with Authlib 1.2.0's Flask client (Debian bookworm's python3-authlib and
# python3-flask, Werkzeug 2.2's development server) against panva's oidc-provider
# 9.13.3, both on loopback over plain HTTP, driven by Debian's headless Chromium
# through the DevTools protocol (rec.mjs says what each story does;
# ../allauth/cdphar.mjs builds the HAR) while tcpdump captures the loopback's two
# ports (the browser's requests and the app's own calls to the provider). A story
# runs with Flask's debug mode (Werkzeug's debugger page for an exception), or
# without it when named STORY+prod (Flask's plain 500 page). The app's code is
# loaded under the name app.py, so the debugger's frames name no directory of the
# recording machine. Needs root (tcpdump), node 20 or later with npm, chromium,
# python3-authlib and python3-flask. Run from this directory: ./gen.sh [STORY ...].
# Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
app= cap=
trap '[ -n "$app" ] && kill "$app" 2>/dev/null; [ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$work"' EXIT
# The layout of rules/testdata, so rec.mjs's ../allauth/cdphar.mjs resolves.
mkdir -p "$work/authlib" "$work/allauth"
cp package.json package-lock.json rec.mjs app.py "$work/authlib/"
cp ../allauth/cdphar.mjs "$work/allauth/"
(cd "$work/authlib" && npm ci --no-audit --no-fund >/dev/null)
for run in ${*:-clean two-tabs reload bad-secret redirect-mismatch lost-session denied lost-session+prod bad-secret+prod}; do
  story=${run%+prod} name=${run/+/-}
  export LAB_OP=http://127.0.0.1:4921 LAB_PORT=4922 LAB_DEBUG=1
  export LAB_SECRET_KEY=test-only-flask-secret-key LAB_CLIENT_SECRET=test-only-client-secret-for-authlib-app
  unset LAB_REDIRECT_URI
  [ "$run" != "$story" ] && LAB_DEBUG=0
  # The app's secret no longer matches the provider's registration.
  [ "$story" = bad-secret ] && LAB_CLIENT_SECRET=test-only-client-secret-rotated-at-the-provider
  # The app configured with a callback URL the client has not registered.
  [ "$story" = redirect-mismatch ] && export LAB_REDIRECT_URI=http://localhost:4922/authorize
  tcpdump -i lo -s 0 -U -w "$work/$name.pcap" 'tcp port 4921 or tcp port 4922' 2>/dev/null & cap=$!
  (cd "$work/authlib" && exec /usr/bin/python3 -c 'exec(compile(open("app.py").read(), "app.py", "exec"))' >"$work/app.log" 2>&1) & app=$!
  sleep 1.5
  (cd "$work/authlib" && node --experimental-websocket rec.mjs "$story" "$here/../authlib-$name.har") || echo "gen.sh: $run did not happen"
  sleep 1
  kill "$app"; wait "$app" || true; app=
  kill "$cap"; wait "$cap" || true; cap=
  # The captures kept: a clean run, both tabs, the replay and the refused
  # redemption with the app's back channel, the plain 500 page's lost session.
  case $name in clean|two-tabs|reload|bad-secret|lost-session-prod) cp "$work/$name.pcap" "$here/../authlib-$name.pcap" ;; esac
  grep -vE '^ \* |Debugger PIN|^$' "$work/app.log" | sed 's/^/app: /'
done
ls -l "$here"/../authlib-*
