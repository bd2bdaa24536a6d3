#!/bin/bash
# Records ../hydra-STORY.har and ../hydra-STORY.pcap: sign-ins against Ory Hydra
# v2.3.0 (github.com/ory/hydra/v2, `hydra serve all --dev`, DSN=memory, no
# URLS_ERROR: its own error page) by a small web app with a login and consent app
# written against Hydra's admin API (rec.mjs says what each story does), built
# from the Go module proxy, driven by Debian's headless Chromium through the
# DevTools protocol (../allauth/cdphar.mjs builds the HAR), captured with tcpdump
# on lo in the same run (plain HTTP). Needs root (tcpdump), node 20 or later, Go
# and chromium. Run from this directory: sudo ./gen.sh [STORY ...]. Hydra does
# not enter traceaudit's module: it is built in a temporary directory. Secrets
# are test-only values.
set -eu
here=$(pwd)
work=$(mktemp -d)
chmod 755 "$work"
cap= hydra=
trap '[ -n "$cap" ] && kill "$cap" 2>/dev/null; [ -n "$hydra" ] && kill "$hydra" 2>/dev/null; rm -rf "$work"' EXIT
cp rec.mjs ../allauth/cdphar.mjs "$work/"
HYDRA=${HYDRA:-}
if [ -z "$HYDRA" ]; then
  # DSN=memory is SQLite in memory: the sqlite build tag, as its -sqlite
  # release binaries are built. Its go.mod replaces its API client with a directory the module's zip
  # leaves out (a module of its own): the published one is used.
  d=$(go mod download -json github.com/ory/hydra/v2@v2.3.0 | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  cp -r "$d" "$work/hydra-src" && chmod -R u+w "$work/hydra-src"
  sed -i '/=> \.\/internal\/httpclient/d' "$work/hydra-src/go.mod"
  (cd "$work/hydra-src" && GOFLAGS=-mod=mod go build -tags sqlite,sqlite_omit_load_extension -o "$work/bin/hydra" .)
  HYDRA="$work/bin/hydra"
fi
export DSN=memory URLS_SELF_ISSUER=http://127.0.0.1:4444 URLS_LOGIN=http://127.0.0.1:4896/login \
  URLS_CONSENT=http://127.0.0.1:4896/consent SECRETS_SYSTEM=test-only-hydra-system-secret \
  SERVE_PUBLIC_HOST=127.0.0.1 SERVE_ADMIN_HOST=127.0.0.1 LOG_LEVEL=info
for s in ${*:-clean redirect-mismatch consent-denied code-reuse two-tabs pkce-mismatch}; do
  "$HYDRA" serve all --dev --sqa-opt-out >"$work/hydra.log" 2>&1 & hydra=$!
  for i in $(seq 1 60); do curl -fs -o /dev/null http://127.0.0.1:4445/health/ready && break; sleep 0.5; done
  tcpdump -i lo -s 0 -U -w "$work/hydra-$s.pcap" 'tcp port 4444 or tcp port 4896 or tcp port 4897' 2>/dev/null & cap=$!
  sleep 1
  (cd "$work" && node --experimental-websocket --stack-trace-limit=0 rec.mjs "$s" "$here/../hydra-$s.har")
  sleep 1
  kill "$cap"; wait "$cap" || true; cap=
  kill "$hydra"; wait "$hydra" || true; hydra=
  grep -E 'level=(error|warning)' "$work/hydra.log" | cut -c1-300 | sed 's/^/hydra: /' || true
  cp "$work/hydra-$s.pcap" "$here/../hydra-$s.pcap"
done
ls -l "$here"/../hydra-*.*
