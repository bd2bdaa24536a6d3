#!/bin/bash
# Records ../devise-*.har: a Rails 6.1 app (config.ru, one file) signing in through
# Devise 4.8.1 and OmniAuth 2.1.1 with omniauth-oauth2 1.8.0 (Debian bookworm's
# ruby-rails, ruby-devise, ruby-omniauth, ruby-omniauth-oauth2, ruby-sqlite3, served
# by WEBrick) against panva's oidc-provider 9.13.3, both on loopback over plain
# HTTP, driven by Debian's headless Chromium through the DevTools protocol (rec.mjs
# says what each story does; ../allauth/cdphar.mjs builds the HAR). Needs node 20
# or later with npm, chromium and those Ruby packages. Run from this directory:
# ./gen.sh [STORY ...]. Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
app=
trap '[ -n "$app" ] && kill "$app" 2>/dev/null; rm -rf "$work"' EXIT
cp package.json package-lock.json rec.mjs ../allauth/cdphar.mjs config.ru "$work/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
for story in ${*:-clean two-tabs bad-secret denied}; do
  export LAB_DB="$work/db-$story.sqlite3" LAB_CLIENT_SECRET=test-only-client-secret-for-devise-app
  # The app's secret no longer matches the provider's registration.
  [ "$story" = bad-secret ] && LAB_CLIENT_SECRET=test-only-client-secret-rotated-at-the-provider
  (cd "$work" && exec rackup -s webrick -o 127.0.0.1 -p 4882 config.ru >"$work/app.log" 2>&1) & app=$!
  for i in $(seq 1 60); do curl -fs -o /dev/null http://127.0.0.1:4882/users/sign_in && break; sleep 0.5; done
  (cd "$work" && node --experimental-websocket rec.mjs "$story" "$here/../devise-$story.har")
  kill "$app"; wait "$app" || true; app=
  grep -E "Started|Completed|Redirected|omniauth|Processing|Error" "$work/app.log" | sed 's/^/app: /'
done
ls -l "$here"/../devise-*.har
