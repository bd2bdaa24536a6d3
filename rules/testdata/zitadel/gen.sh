#!/bin/bash
# Records ../zitadel-APP-STORY.har, and ../zitadel-APP-STORY.pcap for some of
# the stories: sign-ins against the example OpenID provider of
# github.com/zitadel/oidc/v3 v3.52.0 (op/main.go runs its
# exampleop.SetupServer on 127.0.0.1:4981 with the library's default
# endpoints) by two apps: a single-page app using @auth0/auth0-spa-js 2.27.0
# (spa/index.html, served by rec.mjs on localhost:4982) and a server-side Go
# web app using golang.org/x/oauth2 v0.38.0 and github.com/coreos/go-oidc/v3
# v3.21.0 (webapp/main.go, localhost:4983). The Go programs are built from the
# module proxy in a temporary module, not in traceaudit's; the SDK is
# installed by npm ci (package.json, package-lock.json). Headless Chromium
# driven over the DevTools protocol (../spa-libs/cdp.mjs; rec.mjs says what
# each story does) while tcpdump captures lo (plain HTTP, ports
# 4981-4983); the HAR and capture of a story come from the same run. The
# provider starts afresh for each story. Needs root (tcpdump), node 20 or
# later with npm, Go and chromium. Run from this directory:
# ./gen.sh [APP:STORY ...]. Secrets are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
chmod 755 "$work"
cap= op= app=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; [ -n "$op" ] && kill "$op" 2>/dev/null; [ -n "$app" ] && kill "$app" 2>/dev/null; rm -rf "$work"' EXIT
cp -r rec.mjs wants.mjs ../spa-libs/cdp.mjs package.json package-lock.json spa op webapp "$work/"
(cd "$work" && npm ci --no-audit --no-fund >/dev/null)
(cd "$work" && go mod init zitadelrec >/dev/null 2>&1 &&
  go get github.com/zitadel/oidc/v3@v3.52.0 github.com/coreos/go-oidc/v3@v3.21.0 golang.org/x/oauth2@v0.38.0 >/dev/null 2>&1 &&
  go mod tidy >/dev/null 2>&1 && go build -o bin/op ./op && go build -o bin/webapp ./webapp)
all="spa:cors-blocked spa:clean spa:reload spa:two-tabs spa:redirect-mismatch spa:silent spa:refresh spa:signout
  web:clean web:reload web:two-tabs web:redirect-mismatch web:bad-secret web:pkce-missing web:refresh-reuse web:signout"
for run in ${*:-$all}; do
  name=${run%%:*} story=${run#*:}
  # auth0-spa-js sends an Auth0-Client header with its token requests, which
  # the library's default CORS policy does not allow: spa:cors-blocked keeps
  # that policy, the other SPA stories allow the header.
  cors=
  [ "$name" = spa ] && [ "$story" != cors-blocked ] && cors=Auth0-Client
  EXTRA_CORS_HEADERS=$cors "$work/bin/op" >"$work/op.log" 2>&1 & op=$!
  for i in $(seq 1 60); do curl -fs -o /dev/null http://127.0.0.1:4981/.well-known/openid-configuration && break; sleep 0.5; done
  if [ "$name" = web ]; then
    env=()
    case $story in
      redirect-mismatch) env=(REDIRECT_URI=http://localhost:4983/callback) ;;
      bad-secret) env=(SECRET=not-the-secret) ;;
      pkce-missing) env=(NO_VERIFIER=1) ;;
      refresh-reuse) env=(REFRESH_DELAY=300ms) ;;
    esac
    env "${env[@]}" "$work/bin/webapp" >"$work/webapp.log" 2>&1 & app=$!
    for i in $(seq 1 60); do curl -fs -o /dev/null http://127.0.0.1:4983/ && break; sleep 0.5; done
  fi
  tcpdump -i lo -s 0 -U -w "$work/$name-$story.pcap" 'tcp port 4981 or tcp port 4982 or tcp port 4983' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work" && node --experimental-websocket rec.mjs "$name" "$story" "$here/../zitadel-$name-$story.har" 2>&1 |
    grep -v -E 'ExperimentalWarning|--trace-warnings') &&
    node wants.mjs "$name" "$story" "$here/../zitadel-$name-$story.har" || echo "gen.sh: $name $story did not happen"
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  [ -n "$app" ] && { kill "$app"; wait "$app" || true; app=; }
  kill "$op"; wait "$op" || true; op=
  grep -E 'level=(ERROR|WARN)' "$work/op.log" | cut -c1-300 | sed 's/^/op: /' || true
  # The captures kept: a server app's back channel (its token requests) is
  # in the capture only.
  case $name:$story in web:clean|web:reload|web:two-tabs|web:bad-secret|web:refresh-reuse|spa:cors-blocked|spa:silent)
    cp "$work/$name-$story.pcap" "$here/../zitadel-$name-$story.pcap" ;;
  esac
done
ls -l "$here"/../zitadel-*
